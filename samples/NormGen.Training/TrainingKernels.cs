using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Training;

/// <summary>The NormGen kernels the MLP trains with: LayerNorm and BatchNorm, forward (saving statistics) and backward.</summary>
public static partial class TrainingKernels
{
    /// <summary>LayerNorm over each sample's hidden units, saving μ and rstd per sample for the backward pass.</summary>
    [LayerNorm(SaveStatistics = true)]
    public static partial void LayerNorm(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(Backward = true)]
    public static partial void LayerNormBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    /// <summary>BatchNorm in training on a (batch, units) tensor: batch statistics, running statistics updated, μ and rstd saved per unit.</summary>
    [BatchNorm(Training = true, SaveStatistics = true)]
    public static partial void BatchNormTrain(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y, Span<float> saveMean, Span<float> saveRstd);

    [BatchNorm(Training = true, Backward = true)]
    public static partial void BatchNormBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveRstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);

    /// <summary>BatchNorm in evaluation: the running statistics.</summary>
    [BatchNorm]
    public static partial void BatchNormEval(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, TensorSpan<float> y);
}
