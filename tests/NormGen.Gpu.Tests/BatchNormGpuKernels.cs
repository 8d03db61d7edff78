using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Gpu.Tests;

/// <summary>BatchNorm evaluation declarations, whose GPU overloads take the views plus the spatial size (product of the axes after C).</summary>
public static partial class BatchNormGpuKernels
{
    [BatchNorm]
    public static partial void BnEval(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, TensorSpan<float> y);

    [BatchNorm(Affine = Affine.None, Epsilon = 1e-3f)]
    public static partial void BnEvalDoubleNoAffine(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar, TensorSpan<double> y);

    [BatchNorm]
    public static partial void BnEvalHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, ReadOnlySpan<Half> runningMean, ReadOnlySpan<Half> runningVar, TensorSpan<Half> y);
}
