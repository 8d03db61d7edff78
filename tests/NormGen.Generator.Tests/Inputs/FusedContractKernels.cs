using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Tests;

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

    // BatchNorm over (N, C, *): training normalises with batch statistics and updates the running ones in place.
    [BatchNorm(Training = true, Momentum = 0.1f)]
    public static partial void BnTrain(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);

    [BatchNorm]
    public static partial void BnEval(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, TensorSpan<float> y);

    [GroupNorm(32)]
    public static partial void Gn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [InstanceNorm]
    public static partial void Inorm(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    // Feature scaling over samples, per feature (column) of a (samples, features) tensor.
    [MinMaxScale]
    public static partial void MinMax(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);      // to [0, 1]; constant columns give 0

    [Standardize]
    public static partial void ZScore(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);      // (x − mean)/std, population std; constant columns give 0

    // Restormer's channel LayerNorm, WithBias and BiasFree.
    [ChannelLayerNorm]
    public static partial void ChannelLn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [ChannelLayerNorm(BiasFree = true)]
    public static partial void ChannelLnBiasFree(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);
}
