using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Tests;

/// <summary>The other accepted declaration forms, for argument checks and invariance tests.</summary>
public static partial class FormKernels
{
    /// <summary>Tensor spans with a compile-time normalized shape [4, 8].</summary>
    [LayerNorm(4, 8)]
    public static partial void LnTensor4x8(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    /// <summary>Tensor spans, last axis normalized, length known at run time.</summary>
    [LayerNorm(Axes = 1)]
    public static partial void LnTensorAxes1(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    /// <summary>Span&lt;T&gt; (not ReadOnlySpan) for the inputs.</summary>
    [LayerNorm(16)]
    public static partial void LnMutableInput(Span<float> x, Span<float> gamma, Span<float> beta, Span<float> y);

    [RmsNorm(Axes = 1, Affine = Affine.ScaleAndBias)]
    public static partial void RmsTensorDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, TensorSpan<double> y);
}
