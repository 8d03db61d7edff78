using System;
using NormGen;

namespace NormGen.Benchmarks;

/// <summary>
/// The NormGen kernels under test: one compile-time row length per hidden size in the suite, as a model would declare
/// them. Epsilons match the baselines (LayerNorm 1e-5, RMSNorm 1e-6).
/// </summary>
public static partial class Kernels
{
    [LayerNorm(768)]
    public static partial void LayerNorm768(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [LayerNorm(1024)]
    public static partial void LayerNorm1024(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [LayerNorm(4096)]
    public static partial void LayerNorm4096(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [LayerNorm(8192)]
    public static partial void LayerNorm8192(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [RmsNorm(768, Epsilon = 1e-6f)]
    public static partial void RmsNorm768(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    [RmsNorm(1024, Epsilon = 1e-6f)]
    public static partial void RmsNorm1024(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    [RmsNorm(4096, Epsilon = 1e-6f)]
    public static partial void RmsNorm4096(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    [RmsNorm(8192, Epsilon = 1e-6f)]
    public static partial void RmsNorm8192(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    /// <summary>Calls the compile-time LayerNorm kernel for <paramref name="hidden"/>.</summary>
    public static void LayerNorm(int hidden, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
    {
        switch (hidden)
        {
            case 768: LayerNorm768(x, gamma, beta, y); break;
            case 1024: LayerNorm1024(x, gamma, beta, y); break;
            case 4096: LayerNorm4096(x, gamma, beta, y); break;
            case 8192: LayerNorm8192(x, gamma, beta, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "No compile-time LayerNorm kernel for this hidden size.");
        }
    }

    /// <summary>Calls the compile-time RMSNorm kernel for <paramref name="hidden"/>.</summary>
    public static void RmsNorm(int hidden, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y)
    {
        switch (hidden)
        {
            case 768: RmsNorm768(x, weight, y); break;
            case 1024: RmsNorm1024(x, weight, y); break;
            case 4096: RmsNorm4096(x, weight, y); break;
            case 8192: RmsNorm8192(x, weight, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "No compile-time RMSNorm kernel for this hidden size.");
        }
    }
}
