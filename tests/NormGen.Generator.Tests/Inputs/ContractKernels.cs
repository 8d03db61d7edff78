using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Tests;

/// <summary>The declarations of the core contract, exactly as written in the issue.</summary>
public static partial class Kernels
{
    [LayerNorm(768, Epsilon = 1e-5f, Affine = Affine.ScaleAndBias)]
    public static partial void Norm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [RmsNorm(4096, Epsilon = 1e-6f, Affine = Affine.Scale)]
    public static partial void Rms(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    [LayerNorm(8, 96, Affine = Affine.None)]            // two normalized axes, 768 elements per row
    public static partial void Ln2D(ReadOnlySpan<float> x, Span<float> y);

    [LayerNorm(Axes = 2, Affine = Affine.ScaleAndBias)] // shape known at run time: the last 2 axes are normalized
    public static partial void LnDyn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [RmsNorm(Axes = 1)]
    public static partial void RmsHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> weight, TensorSpan<Half> y);

    [LayerNorm(1000)]
    public static partial void LnDouble(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
}
