using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Tests;

// A copy of the training issue's declarations (forward with saved statistics, and the backward kernels).
public static partial class Grad
{
    [LayerNorm(768, SaveStatistics = true)]
    public static partial void Ln(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(768, Backward = true)]
    public static partial void LnBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [RmsNorm(4096, SaveStatistics = true)]
    public static partial void Rms(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, Span<float> rstd);

    [RmsNorm(4096, Backward = true)]
    public static partial void RmsBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, Span<float> dx, Span<float> dweight);

    [LayerNorm(Affine = Affine.None, Backward = true)]
    public static partial void LnBackwardDyn(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx);

    [LayerNorm(1000, Backward = true)]
    public static partial void LnBackwardDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, Span<double> dx, Span<double> dgamma, Span<double> dbeta);

    [BatchNorm(Training = true, SaveStatistics = true)]   // also writes the batch mean and 1/sqrt(var + eps) per channel
    public static partial void BnTrain(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y, Span<float> saveMean, Span<float> saveRstd);

    [BatchNorm(Training = true, Backward = true)]
    public static partial void BnBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveRstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);

    [GroupNorm(32, SaveStatistics = true)]   // mean and rstd per (sample, group)
    public static partial void Gn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y, Span<float> mean, Span<float> rstd);

    [GroupNorm(32, Backward = true)]
    public static partial void GnBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);
}
