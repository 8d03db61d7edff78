using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Sample;

/// <summary>
/// The kernels this sample uses. Each is a declaration only: the NormGen source generator writes the body, a
/// SIMD kernel specialised for the row length, epsilon and affine given here. Because this project references ILGPU,
/// every one of them also gets GPU overloads (Accelerator or AcceleratorStream first, ArrayView&lt;T&gt; for the spans);
/// GpuDemo.cs uses two of them.
/// </summary>
public static partial class Kernels
{
    /// <summary>BERT-base sized LayerNorm: 768 features per token, ε = 1e-5, learnable γ and β.</summary>
    [LayerNorm(768)]
    public static partial void LayerNorm768(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    /// <summary>RMSNorm as in LLaMA-style models: 768 features, ε = 1e-6, a learnable weight and no bias.</summary>
    [RmsNorm(768, Epsilon = 1e-6f)]
    public static partial void RmsNorm768(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    /// <summary>LayerNorm over the last axis of a tensor whose shape is known only at run time.</summary>
    [LayerNorm(Axes = 1)]
    public static partial void LayerNormLastAxis(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    /// <summary>
    /// The pre-norm residual step of a LLaMA-style block, fused: h = x + residual is stored in residualOut (the residual
    /// stream for the next block; it may be residual itself) and y = RMSNorm(h)·weight, in one pass over memory.
    /// </summary>
    [RmsNorm(768, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRmsNorm768(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

    /// <summary>A wider LayerNorm (4096 features, LLaMA-7B's hidden size) for the timing section.</summary>
    [LayerNorm(4096)]
    public static partial void LayerNorm4096(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
}
