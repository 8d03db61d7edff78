using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Gpu.Tests;

/// <summary>
/// The tensor kinds with statistics, whose GPU overloads take the views plus the sizes the views cannot tell:
/// channels and spatial (GroupNorm, InstanceNorm, ChannelLayerNorm), spatial (BatchNorm), features (the scalers).
/// </summary>
public static partial class TensorGpuKernels
{
    [GroupNorm(4)]
    public static partial void Gn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [GroupNorm(2, SaveStatistics = true)]
    public static partial void GnSave(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y, Span<float> saveMean, Span<float> saveRstd);

    [GroupNorm(3, Epsilon = 1e-3f)]
    public static partial void GnDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, TensorSpan<double> y);

    [GroupNorm(2)]
    public static partial void GnHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, TensorSpan<Half> y);

    [InstanceNorm]
    public static partial void In(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    [InstanceNorm(Affine = Affine.ScaleAndBias)]
    public static partial void InAffineDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, TensorSpan<double> y);

    [InstanceNorm]
    public static partial void InHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);

    [BatchNorm(Training = true)]
    public static partial void BnTrain(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);

    [BatchNorm(Training = true, Momentum = 0.25f, SaveStatistics = true, Affine = Affine.None)]
    public static partial void BnTrainDouble(ReadOnlyTensorSpan<double> x, Span<double> runningMean, Span<double> runningVar, TensorSpan<double> y, Span<double> saveMean, Span<double> saveRstd);

    [BatchNorm(Training = true)]
    public static partial void BnTrainHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> runningMean, Span<Half> runningVar, TensorSpan<Half> y);

    [BatchNorm(Training = true, CumulativeAverage = true)]
    public static partial void BnTrainCumulative(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, Span<long> batchesTracked, TensorSpan<float> y);

    [ChannelLayerNorm]
    public static partial void Cln(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [ChannelLayerNorm(BiasFree = true)]
    public static partial void ClnBiasFreeDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> weight, TensorSpan<double> y);

    [ChannelLayerNorm(SaveStatistics = true)]
    public static partial void ClnHalfSave(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, TensorSpan<Half> y, Span<float> saveMean, Span<float> saveRstd);

    [MinMaxScale]
    public static partial void MinMax(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    [MinMaxScale]
    public static partial void MinMaxDouble(ReadOnlyTensorSpan<double> x, TensorSpan<double> y);

    [MinMaxScale]
    public static partial void MinMaxHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);

    [Standardize]
    public static partial void ZScore(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    [Standardize]
    public static partial void ZScoreDouble(ReadOnlyTensorSpan<double> x, TensorSpan<double> y);

    [Standardize]
    public static partial void ZScoreHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);
}
