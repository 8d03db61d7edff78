using System;
using NormGen;

namespace NormGen.Benchmarks;

/// <summary>
/// Run-time row-length kernels for the cost-growth sweep (<c>growth</c> mode, Growth.cs): one declaration serves every
/// hidden size, as a library that does not know its model width declares it. Epsilons match the baselines.
/// </summary>
public static partial class GrowthKernels
{
    [LayerNorm]
    public static partial void LayerNorm(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [RmsNorm(Epsilon = 1e-6f)]
    public static partial void RmsNorm(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> weight, Span<float> y);
}
