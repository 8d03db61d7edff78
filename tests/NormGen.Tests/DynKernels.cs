// Run-time row length kernels: LayerNorm and RMSNorm × float, double, Half × every affine mode, plus the other
// accepted forms (Span<T> input, tensor spans with a static shape) used by the argument and invariance tests.
using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Tests;

public static partial class DynKernels
{
    [LayerNorm(Affine = Affine.None)] public static partial void LnFNone(ReadOnlySpan<float> x, int rowLength, Span<float> y);
    [LayerNorm(Affine = Affine.Scale)] public static partial void LnFScale(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, Span<float> y);
    [LayerNorm(Affine = Affine.ScaleAndBias)] public static partial void LnFScaleAndBias(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(Affine = Affine.None)] public static partial void LnDNone(ReadOnlySpan<double> x, int rowLength, Span<double> y);
    [LayerNorm(Affine = Affine.Scale)] public static partial void LnDScale(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, Span<double> y);
    [LayerNorm(Affine = Affine.ScaleAndBias)] public static partial void LnDScaleAndBias(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [LayerNorm(Affine = Affine.None)] public static partial void LnHNone(ReadOnlySpan<Half> x, int rowLength, Span<Half> y);
    [LayerNorm(Affine = Affine.Scale)] public static partial void LnHScale(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> gamma, Span<Half> y);
    [LayerNorm(Affine = Affine.ScaleAndBias)] public static partial void LnHScaleAndBias(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y);
    [RmsNorm(Affine = Affine.None)] public static partial void RmsFNone(ReadOnlySpan<float> x, int rowLength, Span<float> y);
    [RmsNorm(Affine = Affine.Scale)] public static partial void RmsFScale(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, Span<float> y);
    [RmsNorm(Affine = Affine.ScaleAndBias)] public static partial void RmsFScaleAndBias(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [RmsNorm(Affine = Affine.None)] public static partial void RmsDNone(ReadOnlySpan<double> x, int rowLength, Span<double> y);
    [RmsNorm(Affine = Affine.Scale)] public static partial void RmsDScale(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, Span<double> y);
    [RmsNorm(Affine = Affine.ScaleAndBias)] public static partial void RmsDScaleAndBias(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(Affine = Affine.None)] public static partial void RmsHNone(ReadOnlySpan<Half> x, int rowLength, Span<Half> y);
    [RmsNorm(Affine = Affine.Scale)] public static partial void RmsHScale(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> gamma, Span<Half> y);
    [RmsNorm(Affine = Affine.ScaleAndBias)] public static partial void RmsHScaleAndBias(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y);

    /// <summary>Every run-time row length kernel above as a uniform test case.</summary>
    public static KernelCase[] All() =>
    [
        KernelCase.Dynamic<float>("LnFNone", NormKind.LayerNorm, Affine.None, (x, n, g, b, y) => LnFNone(x, n, y)),
        KernelCase.Dynamic<float>("LnFScale", NormKind.LayerNorm, Affine.Scale, (x, n, g, b, y) => LnFScale(x, n, g, y)),
        KernelCase.Dynamic<float>("LnFScaleAndBias", NormKind.LayerNorm, Affine.ScaleAndBias, (x, n, g, b, y) => LnFScaleAndBias(x, n, g, b, y)),
        KernelCase.Dynamic<double>("LnDNone", NormKind.LayerNorm, Affine.None, (x, n, g, b, y) => LnDNone(x, n, y)),
        KernelCase.Dynamic<double>("LnDScale", NormKind.LayerNorm, Affine.Scale, (x, n, g, b, y) => LnDScale(x, n, g, y)),
        KernelCase.Dynamic<double>("LnDScaleAndBias", NormKind.LayerNorm, Affine.ScaleAndBias, (x, n, g, b, y) => LnDScaleAndBias(x, n, g, b, y)),
        KernelCase.Dynamic<Half>("LnHNone", NormKind.LayerNorm, Affine.None, (x, n, g, b, y) => LnHNone(x, n, y)),
        KernelCase.Dynamic<Half>("LnHScale", NormKind.LayerNorm, Affine.Scale, (x, n, g, b, y) => LnHScale(x, n, g, y)),
        KernelCase.Dynamic<Half>("LnHScaleAndBias", NormKind.LayerNorm, Affine.ScaleAndBias, (x, n, g, b, y) => LnHScaleAndBias(x, n, g, b, y)),
        KernelCase.Dynamic<float>("RmsFNone", NormKind.RmsNorm, Affine.None, (x, n, g, b, y) => RmsFNone(x, n, y)),
        KernelCase.Dynamic<float>("RmsFScale", NormKind.RmsNorm, Affine.Scale, (x, n, g, b, y) => RmsFScale(x, n, g, y)),
        KernelCase.Dynamic<float>("RmsFScaleAndBias", NormKind.RmsNorm, Affine.ScaleAndBias, (x, n, g, b, y) => RmsFScaleAndBias(x, n, g, b, y)),
        KernelCase.Dynamic<double>("RmsDNone", NormKind.RmsNorm, Affine.None, (x, n, g, b, y) => RmsDNone(x, n, y)),
        KernelCase.Dynamic<double>("RmsDScale", NormKind.RmsNorm, Affine.Scale, (x, n, g, b, y) => RmsDScale(x, n, g, y)),
        KernelCase.Dynamic<double>("RmsDScaleAndBias", NormKind.RmsNorm, Affine.ScaleAndBias, (x, n, g, b, y) => RmsDScaleAndBias(x, n, g, b, y)),
        KernelCase.Dynamic<Half>("RmsHNone", NormKind.RmsNorm, Affine.None, (x, n, g, b, y) => RmsHNone(x, n, y)),
        KernelCase.Dynamic<Half>("RmsHScale", NormKind.RmsNorm, Affine.Scale, (x, n, g, b, y) => RmsHScale(x, n, g, y)),
        KernelCase.Dynamic<Half>("RmsHScaleAndBias", NormKind.RmsNorm, Affine.ScaleAndBias, (x, n, g, b, y) => RmsHScaleAndBias(x, n, g, b, y)),
    ];
}
