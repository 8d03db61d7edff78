using System;
using NormGen;

namespace NormGen.Benchmarks;

/// <summary>
/// LayerNorm kernels for the bandwidth chart (<c>chart</c> mode, Chart.cs): one compile-time kernel per hidden size from
/// 64 to 65,536, as a user with a known model width declares it.
/// </summary>
public static partial class ChartKernels
{
    /// <summary>The hidden sizes of the chart, 2⁶ … 2¹⁶.</summary>
    public static readonly int[] HiddenSizes = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

    [LayerNorm(64)] private static partial void Ln64(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(128)] private static partial void Ln128(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(256)] private static partial void Ln256(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(512)] private static partial void Ln512(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(1024)] private static partial void Ln1024(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(2048)] private static partial void Ln2048(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(4096)] private static partial void Ln4096(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(8192)] private static partial void Ln8192(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(16384)] private static partial void Ln16384(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(32768)] private static partial void Ln32768(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(65536)] private static partial void Ln65536(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    /// <summary>Calls the compile-time LayerNorm kernel for <paramref name="hidden"/>.</summary>
    public static void LayerNorm(int hidden, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
    {
        switch (hidden)
        {
            case 64: Ln64(x, gamma, beta, y); break;
            case 128: Ln128(x, gamma, beta, y); break;
            case 256: Ln256(x, gamma, beta, y); break;
            case 512: Ln512(x, gamma, beta, y); break;
            case 1024: Ln1024(x, gamma, beta, y); break;
            case 2048: Ln2048(x, gamma, beta, y); break;
            case 4096: Ln4096(x, gamma, beta, y); break;
            case 8192: Ln8192(x, gamma, beta, y); break;
            case 16384: Ln16384(x, gamma, beta, y); break;
            case 32768: Ln32768(x, gamma, beta, y); break;
            case 65536: Ln65536(x, gamma, beta, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "No chart kernel for this hidden size.");
        }
    }
}
