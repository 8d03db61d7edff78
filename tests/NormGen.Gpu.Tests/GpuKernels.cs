using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Gpu.Tests;

/// <summary>Declarations whose GPU overloads the tests run: both kinds, static and run-time shapes, float/double/Half, every affine mode.</summary>
public static partial class GpuKernels
{
    [LayerNorm(768)]
    public static partial void Ln768(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [LayerNorm(4099)] // group per row, odd length
    public static partial void Ln4099(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [LayerNorm(Affine = Affine.None)]
    public static partial void LnDyn(ReadOnlySpan<float> x, Span<float> y, int length);

    [LayerNorm(Affine = Affine.Scale)]
    public static partial void LnDynScale(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, Span<float> y, int length);

    [LayerNorm]
    public static partial void LnDynDouble(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y, int n);

    [LayerNorm(Axes = 2)]
    public static partial void LnTensor(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [RmsNorm(1000, Epsilon = 1e-6f)]
    public static partial void Rms1000(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    [RmsNorm(Epsilon = 1e-6f)]
    public static partial void RmsDyn(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, int length);

    [RmsNorm(Affine = Affine.None)]
    public static partial void RmsDynNone(ReadOnlySpan<double> x, Span<double> y, int length);

    [RmsNorm(2048)]
    public static partial void RmsHalf2048(ReadOnlySpan<Half> x, ReadOnlySpan<Half> weight, Span<Half> y);
}

public static partial class GpuKernels
{
    [LayerNorm]
    public static partial void LnHalfDyn(ReadOnlySpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y, int length);
}
