using System;
using NormGen;

namespace NormGen.Gpu.Tests;

/// <summary>
/// Fused declarations whose GPU overloads the fused tests run: residual (with and without residualOut, with a pre-norm
/// bias), DeepNorm α, every activation, saved statistics, zero-centred γ, float → Half and Half → float outputs.
/// </summary>
public static partial class FusedGpuKernels
{
    // Pre-norm residual stream (the fused-kernels issue's AddRms, run-time length): residualOut may be residual.
    [RmsNorm(Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRms(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut, int length);

    // The declaration as written: static 4096, group per row.
    [RmsNorm(4096, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRms4096(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

    // ONNX Runtime's SkipLayerNormalization: h = x + skip + bias, LayerNorm(h), h kept.
    [LayerNorm(Residual = true, ResidualBias = true)]
    public static partial void SkipLn(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> residual, ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut);

    // DeepNorm with α from the paper's table: (2·24)^¼.
    [DeepNorm(Architecture = DeepNetArchitecture.EncoderOnly, Layers = 24)]
    public static partial void Deep(ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, int length);

    [DeepNorm(Alpha = 2.5f, Activation = Activation.GeluTanh)]
    public static partial void DeepDouble(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> sublayer, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);

    [LayerNorm(Activation = Activation.Relu)]
    public static partial void LnRelu(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, int length);

    [LayerNorm(Activation = Activation.Gelu)]
    public static partial void LnGelu(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, int length);

    [LayerNorm(Activation = Activation.GeluTanh)]
    public static partial void LnGeluTanh(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, int length);

    // Ba et al.'s layer-normalized RNN (tanh) and LSTM gates (sigmoid).
    [LayerNorm(Activation = Activation.Tanh)]
    public static partial void LnTanh(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, int length);

    [LayerNorm(Activation = Activation.Sigmoid)]
    public static partial void LnSigmoid(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, int length);

    [RmsNorm(Activation = Activation.Silu)]
    public static partial void RmsSilu(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, int length);

    // The LnGelu: activation, saved statistics, float → Half output.
    [LayerNorm(768, Activation = Activation.Gelu, SaveStatistics = true)]
    public static partial void LnGeluHalfOut(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<Half> y, Span<float> mean, Span<float> rstd);

    // Half in, float out, Half residual stream, float rstd.
    [RmsNorm(Residual = true, SaveStatistics = true, Activation = Activation.Silu)]
    public static partial void HalfAddRms(ReadOnlySpan<Half> x, ReadOnlySpan<Half> residual, ReadOnlySpan<Half> weight, Span<float> y, Span<Half> residualOut, Span<float> rstd, int length);

    // Gemma: y = x̂·(1 + γ).
    [RmsNorm(ZeroCenteredGamma = true)]
    public static partial void GemmaRms(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, int length);

    [LayerNorm(ZeroCenteredGamma = true, SaveStatistics = true)]
    public static partial void LnZcStats(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y, Span<double> mean, Span<double> rstd, int length);
}
