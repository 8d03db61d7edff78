using System;
using System.Numerics.Tensors;

namespace NormGen.Tests;

/// <summary>The training contract (issue 9): forward kernels that save statistics and their backward kernels, exactly as written there.</summary>
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

    // ---- further forms (README "Training (backward)") ----

    [LayerNorm(1000, SaveStatistics = true)]
    public static partial void LnDouble(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y, Span<double> mean, Span<double> rstd);

    [LayerNorm(SaveStatistics = true, Affine = Affine.None)]
    public static partial void LnDyn(ReadOnlySpan<float> x, int rowLength, Span<float> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(SaveStatistics = true)]
    public static partial void LnDynAffine(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(Backward = true)]
    public static partial void LnBackwardDynAffine(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [RmsNorm(SaveStatistics = true, ZeroCenteredGamma = true)]
    public static partial void RmsZc(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> weight, Span<float> y, Span<float> rstd);

    [RmsNorm(Backward = true, ZeroCenteredGamma = true)]
    public static partial void RmsZcBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, Span<float> dx, Span<float> dweight);

    [LayerNorm(96, SaveStatistics = true)]
    public static partial void LnHalf(ReadOnlySpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(96, Backward = true)]
    public static partial void LnHalfBackward(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> gamma, Span<Half> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(Axes = 2, Backward = true)]
    public static partial void LnTensorBackward(System.Numerics.Tensors.ReadOnlyTensorSpan<float> dy, System.Numerics.Tensors.ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, System.Numerics.Tensors.TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);
}

/// <summary>The tensor part of the training contract (issue 9), exactly as written there, plus InstanceNorm, double and Half.</summary>
public static partial class GradTensor
{
    [BatchNorm(Training = true, SaveStatistics = true)]
    public static partial void BnTrain(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y, Span<float> saveMean, Span<float> saveRstd);

    [BatchNorm(Training = true, Backward = true)]
    public static partial void BnBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveRstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);

    [GroupNorm(32, SaveStatistics = true)]
    public static partial void Gn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y, Span<float> mean, Span<float> rstd);

    [GroupNorm(32, Backward = true)]
    public static partial void GnBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);

    [InstanceNorm(SaveStatistics = true)]
    public static partial void In(ReadOnlyTensorSpan<float> x, TensorSpan<float> y, Span<float> mean, Span<float> rstd);

    [InstanceNorm(Backward = true)]
    public static partial void InBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, TensorSpan<float> dx);

    [BatchNorm(Training = true, SaveStatistics = true)]
    public static partial void BnTrainDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> runningMean, Span<double> runningVar, TensorSpan<double> y, Span<double> saveMean, Span<double> saveRstd);

    [BatchNorm(Training = true, Backward = true)]
    public static partial void BnBackwardDouble(ReadOnlyTensorSpan<double> dy, ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> saveMean, ReadOnlySpan<double> saveRstd, ReadOnlySpan<double> gamma, TensorSpan<double> dx, Span<double> dgamma, Span<double> dbeta);

    [GroupNorm(4, SaveStatistics = true)]
    public static partial void GnHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, TensorSpan<Half> y, Span<float> mean, Span<float> rstd);

    [GroupNorm(4, Backward = true)]
    public static partial void GnHalfBackward(ReadOnlyTensorSpan<Half> dy, ReadOnlyTensorSpan<Half> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> gamma, TensorSpan<Half> dx, Span<float> dgamma, Span<float> dbeta);
}
