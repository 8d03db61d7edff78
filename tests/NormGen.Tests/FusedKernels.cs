using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Tests;

/// <summary>The row-wise fused declarations of the fused-kernels issue, exactly as written there, plus variants.</summary>
public static partial class Blocks
{
    // Pre-norm residual stream: h = x + residual; residualOut = h; y = RMSNorm(h)·weight. residualOut may alias residual.
    [RmsNorm(4096, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRms(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

    // DeepNorm (Wang et al. 2022): y = LN(α·x + sublayer); α = (2N)^¼ for an encoder-only stack of N layers.
    [DeepNorm(1024, Architecture = DeepNetArchitecture.EncoderOnly, Layers = 24)]
    public static partial void Deep(ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    // Epilogue activation, saved statistics (for a backward pass), output in another element type.
    [LayerNorm(768, Activation = Activation.Gelu, SaveStatistics = true)]
    public static partial void LnGelu(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<Half> y, Span<float> mean, Span<float> rstd);

    // Zero-centred gamma (Gemma, TransformerEngine): y = x̂·(1+γ).
    [RmsNorm(2048, ZeroCenteredGamma = true)]
    public static partial void GemmaRms(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    [LayerNorm(Residual = true, ResidualBias = true)]
    public static partial void SkipLn(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> residual, ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut);

    [RmsNorm(Axes = 1, Residual = true, SaveStatistics = true, Activation = Activation.Silu)]
    public static partial void HalfAddRms(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> residual, ReadOnlySpan<Half> weight, TensorSpan<float> y, Span<Half> residualOut, Span<float> rstd);

    [DeepNorm(Alpha = 2.5f, Activation = Activation.GeluTanh)]
    public static partial void DeepDouble(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> sublayer, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);

    [LayerNorm(13, Activation = Activation.Relu, ZeroCenteredGamma = true, Affine = Affine.Scale)]
    public static partial void Ln13(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, Span<float> y);
}
