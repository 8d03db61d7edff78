using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Tests;

// The tensor kinds in float, double and Half (Half runs the float kernel on a widened copy), pinned by snapshots.
public static partial class Tensors
{
    [GroupNorm(8)]
    public static partial void GnFloat(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [InstanceNorm]
    public static partial void InormFloat(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    [BatchNorm(Training = true)]
    public static partial void BnTrainFloat(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);

    [BatchNorm]
    public static partial void BnEvalFloat(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, TensorSpan<float> y);

    [ChannelLayerNorm]
    public static partial void ChannelLnFloat(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [ChannelLayerNorm(BiasFree = true)]
    public static partial void ChannelLnBiasFreeFloat(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);

    [MinMaxScale]
    public static partial void MinMaxFloat(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    [Standardize]
    public static partial void ZScoreFloat(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    [GroupNorm(8)]
    public static partial void GnDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, TensorSpan<double> y);

    [InstanceNorm]
    public static partial void InormDouble(ReadOnlyTensorSpan<double> x, TensorSpan<double> y);

    [BatchNorm(Training = true)]
    public static partial void BnTrainDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> runningMean, Span<double> runningVar, TensorSpan<double> y);

    [BatchNorm]
    public static partial void BnEvalDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar, TensorSpan<double> y);

    [ChannelLayerNorm]
    public static partial void ChannelLnDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, TensorSpan<double> y);

    [ChannelLayerNorm(BiasFree = true)]
    public static partial void ChannelLnBiasFreeDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> weight, TensorSpan<double> y);

    [MinMaxScale]
    public static partial void MinMaxDouble(ReadOnlyTensorSpan<double> x, TensorSpan<double> y);

    [Standardize]
    public static partial void ZScoreDouble(ReadOnlyTensorSpan<double> x, TensorSpan<double> y);

    [GroupNorm(8)]
    public static partial void GnHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, TensorSpan<Half> y);

    [InstanceNorm]
    public static partial void InormHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);

    [BatchNorm(Training = true)]
    public static partial void BnTrainHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> runningMean, Span<Half> runningVar, TensorSpan<Half> y);

    [BatchNorm]
    public static partial void BnEvalHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, ReadOnlySpan<Half> runningMean, ReadOnlySpan<Half> runningVar, TensorSpan<Half> y);

    [ChannelLayerNorm]
    public static partial void ChannelLnHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, TensorSpan<Half> y);

    [ChannelLayerNorm(BiasFree = true)]
    public static partial void ChannelLnBiasFreeHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> weight, TensorSpan<Half> y);

    [MinMaxScale]
    public static partial void MinMaxHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);

    [Standardize]
    public static partial void ZScoreHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);
}
