using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NormGen;

// BatchNorm training with few channels and many samples (issue 11): one channel's statistics spread over the pool by
// (channel, sample) block. Each block's partial sums are the very values the one-thread loop computes per sample
// (SumDeviations on the same block around the same shift and offset), written to their own slot, and the
// kernel adds them up per channel in sample order, as that loop does: so the statistics, and the outputs, are bitwise
// those of one thread, for any thread count.
public static partial class TensorBlocks
{
    /// <summary>
    /// BatchNorm training's normalizing pass over every (channel, sample) block on <paramref name="threads"/> threads:
    /// y = ((x − shift) − offset)·a + b (<see cref="Apply(ref float, ref float, nuint, float, float, float, float)"/>) with
    /// channel c's (shift, offset, a, b, apply) at <paramref name="coefficients"/>[5c …]; a channel whose apply is 0 is
    /// left alone (its kernel has written it already). y may be x.
    /// </summary>
    public static void BatchApply(int threads, ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> coefficients, int batch, int channels, int spatial) =>
        RowScheduler.Run(threads, channels * batch, new SampleBlocks<float>(SampleBlocks<float>.Normalize, batch, channels, spatial),
            MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(coefficients), MemoryMarshal.AsBytes(y));

    /// <summary>The double form of <see cref="BatchApply(int, ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, int, int, int)"/>.</summary>
    public static void BatchApply(int threads, ReadOnlySpan<double> x, Span<double> y, ReadOnlySpan<double> coefficients, int batch, int channels, int spatial) =>
        RowScheduler.Run(threads, channels * batch, new SampleBlocks<double>(SampleBlocks<double>.Normalize, batch, channels, spatial),
            MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(coefficients), MemoryMarshal.AsBytes(y));

    /// <summary>
    /// BatchNorm training's statistics as the one-thread drivers take them, over every (channel, sample) block on
    /// <paramref name="threads"/> threads. <paramref name="partials"/> (3·C·N + 5·C long) receives, per channel c: offset_c
    /// at 3·C·N + c, its shift at 3·C·N + C + c (BlockEngine.ChannelShift), whether it took the second pass (1, else 0) at
    /// 3·C·N + 2·C + c, and Σd, Σd² (d = x − shift − offset_c) at 3·C·N + 3·C + c and 3·C·N + 4·C + c, each the sum of
    /// its blocks' SumDeviations in sample order (at C·N + u and 2·C·N + u, u = c·N + n): first around the shift
    /// (offset 0), then, for a channel whose sums fail BlockEngine.OnePassHolds (BlockEngine.Unsettled), around
    /// shift + S1/(N·spatial). The values and order the one-thread drivers add, so the same bits.
    /// </summary>
    internal static void SweptMoments<T>(int threads, ReadOnlySpan<T> x, Span<T> partials, int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int units = channels * batch;
        Span<T> offsets = partials.Slice(3 * units, channels), shifts = partials.Slice(3 * units + channels, channels);
        Span<T> pending = partials.Slice(3 * units + 2 * channels, channels);
        Span<T> sumDevs = partials.Slice(3 * units + 3 * channels, channels), sumSqs = partials.Slice(3 * units + 4 * channels, channels);
        ref T x0 = ref MemoryMarshal.GetReference(x);
        BlockEngine.FirstSweepAround(ref x0, spatial, shifts, offsets, pending);
        var pass = new SampleBlocks<T>(SampleBlocks<T>.SweptDeviations, batch, channels, spatial);
        RowScheduler.Run(threads, units, pass, MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(partials));
        AddPartials(partials, batch, channels, pending, sumDevs, sumSqs);
        if (BlockEngine.Unsettled(sumDevs, sumSqs, T.CreateTruncating((long)batch * spatial), offsets, pending))
        {
            RowScheduler.Run(threads, units, pass, MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(partials));
            AddPartials(partials, batch, channels, pending, sumDevs, sumSqs);
        }
    }

    /// <summary>Each pending channel's Σd and Σd²: its blocks' partials added in sample order, from 0.</summary>
    private static void AddPartials<T>(ReadOnlySpan<T> partials, int batch, int channels, ReadOnlySpan<T> pending, Span<T> sumDevs, Span<T> sumSqs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int units = channels * batch;
        for (int c = 0; c < channels; c++)
        {
            if (pending[c] == T.Zero) continue;
            T sumDev = T.Zero, sumSq = T.Zero;
            for (int n = 0; n < batch; n++)
            {
                sumDev += partials[units + c * batch + n];
                sumSq += partials[2 * units + c * batch + n];
            }
            sumDevs[c] = sumDev;
            sumSqs[c] = sumSq;
        }
    }

    /// <summary>One pass of the sample split over the units firstUnit … (u = c·N + n: channel c, sample n) of one pool thread.</summary>
    private readonly struct SampleBlocks<T>(int pass, int batch, int channels, int spatial) : IRowKernel
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public const int Normalize = 0, SweptDeviations = 1;

        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
        {
            Span<T> x = buffers.Get<T>(0), data = buffers.Get<T>(1);
            ref T x0 = ref MemoryMarshal.GetReference(x);
            int units = channels * batch;
            nuint length = (nuint)spatial;
            for (int u = firstRow; u < firstRow + rowCount; u++)
            {
                int c = u / batch, n = u % batch;
                ref T block = ref Unsafe.Add(ref x0, (nint)n * channels * spatial + (nint)c * spatial);
                if (pass == SweptDeviations)
                {
                    // SweptMoments: the channel's own shift and offset, channels still pending only.
                    if (data[3 * units + 2 * channels + c] == T.Zero) continue;
                    SumDeviations(ref block, length, data[3 * units + channels + c], data[3 * units + c], out T dev, out T sq);
                    data[units + u] = dev;
                    data[2 * units + u] = sq;
                }
                else if (data[5 * c + 4] != T.Zero)
                {
                    ref T output = ref Unsafe.Add(ref MemoryMarshal.GetReference(buffers.Get<T>(2)), (nint)n * channels * spatial + (nint)c * spatial);
                    Apply(ref block, ref output, length, data[5 * c], data[5 * c + 1], data[5 * c + 2], data[5 * c + 3]);
                }
            }
        }
    }
}
