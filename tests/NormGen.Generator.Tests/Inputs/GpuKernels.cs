using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Tests;

// Kernels whose GPU variants (ILGPU referenced) are pinned by snapshots: a row kernel, a fused one, BatchNorm eval
// and a backward kernel.
public static partial class Gpu
{
    [LayerNorm(768)]
    public static partial void Ln(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [RmsNorm]
    public static partial void RmsDyn(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> weight, Span<Half> y);

    // Pre-norm residual stream: h = x + residual; residualOut = h; y = LN(h)·γ + β.
    [LayerNorm(1024, Residual = true)]
    public static partial void AddLn(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut);

    [BatchNorm]
    public static partial void BnEval(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, TensorSpan<float> y);

    [LayerNorm(768, Backward = true)]
    public static partial void LnBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);
}

// The tensor kinds with statistics, one of each, across float, double and Half (ILGPU referenced).
public static partial class GpuTensors
{
    [GroupNorm(8, SaveStatistics = true)]
    public static partial void Gn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y, Span<float> saveMean, Span<float> saveRstd);

    [InstanceNorm]
    public static partial void InormHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);

    [BatchNorm(Training = true, CumulativeAverage = true)]
    public static partial void BnTrain(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> runningMean, Span<double> runningVar, Span<long> batchesTracked, TensorSpan<double> y);

    [ChannelLayerNorm(BiasFree = true)]
    public static partial void ClnBiasFree(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);

    [MinMaxScale]
    public static partial void MinMaxHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);

    [Standardize]
    public static partial void ZScore(ReadOnlyTensorSpan<double> x, TensorSpan<double> y);
}

// A tensor kind's backward on the GPU (ILGPU referenced): its overloads, and the shared tensor backward kernels in the device file.
public static partial class GpuTensorBackward
{
    [GroupNorm(4, Backward = true)]
    public static partial void GnBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);
}
