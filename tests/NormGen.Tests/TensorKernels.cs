using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Tests;

/// <summary>The (N, C, *) and (samples, features) declarations of the fused-kernels issue, exactly as written there.</summary>
public static partial class Blocks
{
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
}

/// <summary>Variants of the tensor kinds: element types, affine modes, cumulative BatchNorm, channel LayerNorm.</summary>
public static partial class TensorKernels
{
    // Restormer's WithBias_LayerNorm and BiasFree_LayerNorm over the channels of (N, C, H, W).
    [ChannelLayerNorm]
    public static partial void ChannelLn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    // Centred LayerNorm over C with γ only (not Restormer's BiasFree: that one does not subtract the mean).
    [ChannelLayerNorm(Affine = Affine.Scale, Epsilon = 1e-6f)]
    public static partial void ChannelLnScale(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, TensorSpan<float> y);

    // Restormer's BiasFree_LayerNorm: x / sqrt(var + 1e-5) * weight, the mean not subtracted.
    [ChannelLayerNorm(BiasFree = true)]
    public static partial void ChannelLnBiasFree(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);

    [ChannelLayerNorm(BiasFree = true)]
    public static partial void ChannelLnBiasFreeDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> weight, TensorSpan<double> y);

    [ChannelLayerNorm(BiasFree = true, Affine = Affine.Scale)]
    public static partial void ChannelLnBiasFreeHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> weight, TensorSpan<Half> y);

    [ChannelLayerNorm]
    public static partial void ChannelLnDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, TensorSpan<double> y);

    [ChannelLayerNorm]
    public static partial void ChannelLnHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, TensorSpan<Half> y);

    [BatchNorm(Training = true, CumulativeAverage = true)]
    public static partial void BnCumulative(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, Span<long> batchesTracked, TensorSpan<float> y);

    [BatchNorm(Training = true, Momentum = 0.25f, Epsilon = 1e-3f)]
    public static partial void BnTrainDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> runningMean, Span<double> runningVar, TensorSpan<double> y);

    [BatchNorm(Training = true)]
    public static partial void BnTrainHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> runningMean, Span<Half> runningVar, TensorSpan<Half> y);

    [BatchNorm(Training = true, Affine = Affine.None)]
    public static partial void BnTrainNoAffine(ReadOnlyTensorSpan<float> x, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);

    [BatchNorm]
    public static partial void BnEvalDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar, TensorSpan<double> y);

    [BatchNorm]
    public static partial void BnEvalHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, ReadOnlySpan<Half> runningMean, ReadOnlySpan<Half> runningVar, TensorSpan<Half> y);

    [GroupNorm(4)]
    public static partial void Gn4(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [GroupNorm(2, Epsilon = 1e-6f)]
    public static partial void Gn2Double(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, TensorSpan<double> y);

    [GroupNorm(4)]
    public static partial void Gn4Half(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, TensorSpan<Half> y);

    [InstanceNorm(Affine = Affine.ScaleAndBias)]
    public static partial void InormAffine(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [InstanceNorm]
    public static partial void InormDouble(ReadOnlyTensorSpan<double> x, TensorSpan<double> y);

    [InstanceNorm]
    public static partial void InormHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);

    [MinMaxScale]
    public static partial void MinMaxDouble(ReadOnlyTensorSpan<double> x, TensorSpan<double> y);

    [MinMaxScale]
    public static partial void MinMaxHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);

    [Standardize]
    public static partial void ZScoreDouble(ReadOnlyTensorSpan<double> x, TensorSpan<double> y);

    [Standardize]
    public static partial void ZScoreHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);
}
