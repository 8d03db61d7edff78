using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Sample;

/// <summary>The tensor normalizations and the feature scalers the sample demonstrates (TensorDemo.cs, ScalingDemo.cs, Pictures.cs).</summary>
public static partial class Kernels
{
    /// <summary>BatchNorm2d training step: batch statistics normalize, the running ones move by momentum 0.1.</summary>
    [BatchNorm(Training = true)]
    public static partial void BatchNormTrain(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);

    /// <summary>BatchNorm2d evaluation: the running statistics, folded to y = x·s[c] + t[c].</summary>
    [BatchNorm]
    public static partial void BatchNormEval(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, TensorSpan<float> y);

    /// <summary>GroupNorm with 4 groups (statistics per sample and group of C/4 channels).</summary>
    [GroupNorm(4)]
    public static partial void GroupNorm4(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    /// <summary>InstanceNorm (statistics per sample and channel, no affine: PyTorch's default).</summary>
    [InstanceNorm]
    public static partial void InstanceNorm(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    /// <summary>Restormer's WithBias_LayerNorm: LayerNorm over the channels at every pixel, with weight and bias.</summary>
    [ChannelLayerNorm]
    public static partial void ChannelLayerNormWithBias(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, TensorSpan<float> y);

    /// <summary>Restormer's BiasFree_LayerNorm: x / √(var + ε) · weight over the channels at every pixel, the mean not subtracted.</summary>
    [ChannelLayerNorm(BiasFree = true)]
    public static partial void ChannelLayerNormBiasFree(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);

    /// <summary>Min-max scaling of each column of a (samples, features) table to [0, 1].</summary>
    [MinMaxScale]
    public static partial void MinMax(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    /// <summary>z-score standardization of each column of a (samples, features) table.</summary>
    [Standardize]
    public static partial void ZScore(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    /// <summary>LayerNorm over the features of a (samples, features) batch, for the LayerNorm-vs-BatchNorm picture.</summary>
    [LayerNorm(Axes = 1, Affine = Affine.None)]
    public static partial void LayerNormFeatures(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    /// <summary>BatchNorm1d training step over (samples, features), for the same picture.</summary>
    [BatchNorm(Training = true, Affine = Affine.None)]
    public static partial void BatchNormFeatures(ReadOnlyTensorSpan<float> x, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);
}
