using System;
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static NormGen.TensorBlocks;
using System.Runtime.Intrinsics;

namespace NormGen;

// BatchNorm training: statistics per channel over N blocks of spatial contiguous elements (one per sample), the
// normalizing pass, and the update of the running statistics. Units spread over the pool are channels, fixed ranges of
// channels for (N, C), or (channel, sample) blocks for few channels (SampleSplit); each gives the bits of one thread.
public static partial class BlockEngine
{
    /// <summary>
    /// BatchNorm in training of a dense (batch × channels × spatial) tensor: y = (x − μ[c]) / √(σ²[c] + ε)·γ[c] + β[c]
    /// with batch statistics, then r ← (1 − m)·r + m·stat for the running mean and the unbiased running variance (m the
    /// spec's momentum, or with <see cref="IBlockSpec{T}.CumulativeAverage"/> 1 / ++batchesTracked[0]). The saved
    /// statistics hold one value per channel. Arguments are already checked (more than one value per channel), x is not
    /// empty, and y is x or does not overlap it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // compiled on its own: inlined into the generated entry point, its blocks' calls stayed calls (see Evaluate)
    public static void Train<TSpec, T>(ReadOnlySpan<T> x, Span<T> y, int batch, int channels, int spatial,
        Span<T> runningMean, Span<T> runningVar, Span<long> batchesTracked = default,
        ReadOnlySpan<T> gamma = default, ReadOnlySpan<T> beta = default, Span<T> saveMean = default, Span<T> saveRstd = default)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        TrainWith<TSpec, T>(x, gamma, beta, runningMean, runningVar, y, saveMean, saveRstd, batch, channels, spatial, Momentum<TSpec, T>(batchesTracked));

    /// <summary>The spec's momentum, or PyTorch's momentum=None: count this batch, then m = 1 / batches seen, a cumulative average.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Momentum<TSpec, T>(Span<long> batchesTracked)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!TSpec.CumulativeAverage) return TSpec.Momentum;
        long tracked = ++batchesTracked[0];
        return T.CreateTruncating(1d / tracked);
    }

    /// <summary>Normalizes x into y with batch statistics and updates the running ones with the given momentum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // one call less: a small tensor spends a visible share of its time in calls
    private static void TrainWith<TSpec, T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> runningMean, Span<T> runningVar,
        Span<T> y, Span<T> saveMean, Span<T> saveRstd, int batch, int channels, int spatial, T momentum)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Units of work: single channels, or for (N, C) fixed ranges of channels (columns of the N × C panel). Each unit
        // is computed by the same code whichever thread runs it, and no statistic is split across units, so the results
        // do not depend on the thread count.
        int units = spatial == 1 ? TensorBlocks.ColumnRanges(channels) : channels;
        int threads = RowScheduler.DegreeOfParallelism(units, x.Length / units);
        // Fewer channels than threads: each channel is split by sample too (SampleSplit), same bits.
        int split = spatial > 1 && batch > 1 ? RowScheduler.DegreeOfParallelism(channels * batch, spatial) : 1;
        if (threads == 1 && split == 1)
        {
            if (spatial == 1) units = 1; // one thread: the whole panel, row by row
            TrainChannels<TSpec, T>(0, units, x, gamma, beta, runningMean, runningVar, y, saveMean, saveRstd, batch, channels, spatial, units, momentum);
        }
        else
        {
            Spread<TSpec, T>(threads, split, units, x, gamma, beta, runningMean, runningVar, y, saveMean, saveRstd, batch, channels, spatial, momentum);
        }
    }

    /// <summary>Training over several threads: by sample within each channel when that gives more threads than the channels, else by channel.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // out of TrainWith's line: a small tensor's call does not carry the pool's arguments
    private static void Spread<TSpec, T>(int threads, int split, int units, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> y, Span<T> saveMean, Span<T> saveRstd, int batch, int channels, int spatial, T momentum)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (split > threads)
            SampleSplit<TSpec, T>(split, x, gamma, beta, runningMean, runningVar, y, saveMean, saveRstd, batch, channels, spatial, momentum);
        else
            RowScheduler.Run(threads, units, new TrainWork<TSpec, T>(batch, channels, spatial, units, momentum),
                MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(gamma), MemoryMarshal.AsBytes(beta), MemoryMarshal.AsBytes(runningMean),
                MemoryMarshal.AsBytes(runningVar), MemoryMarshal.AsBytes(y), MemoryMarshal.AsBytes(saveMean), MemoryMarshal.AsBytes(saveRstd));
    }

    /// <summary>A range of units (channels, or channel ranges of an (N, C) panel) for one pool thread; the spans arrive pinned.</summary>
    private readonly struct TrainWork<TSpec, T>(int batch, int channels, int spatial, int ranges, T momentum) : IRowKernel
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount) =>
            TrainChannels<TSpec, T>(firstRow, rowCount, buffers.Get<T>(0), buffers.Get<T>(1), buffers.Get<T>(2), buffers.Get<T>(3),
                buffers.Get<T>(4), buffers.Get<T>(5), buffers.Get<T>(6), buffers.Get<T>(7), batch, channels, spatial, ranges, momentum);
    }

    /// <summary>
    /// Normalizes the units firstUnit … firstUnit + unitCount − 1 (channels; for (N, C), ranges of channels) in three
    /// passes and updates their running statistics (batch 1 and channels under 64 elements: <see cref="SmallChannels{TSpec, T}"/>).
    /// </summary>
    private static void TrainChannels<TSpec, T>(int firstUnit, int unitCount, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> y, Span<T> saveMean, Span<T> saveRstd, int batch, int channels, int spatial, int ranges, T momentum)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (spatial == 1)
        {
            for (int unit = firstUnit; unit < firstUnit + unitCount; unit++)
            {
                TensorBlocks.ColumnRange(channels, ranges, unit, out int from, out int width);
                Panel<TSpec, T>(x, gamma, beta, runningMean, runningVar, y, saveMean, saveRstd, batch, channels, from, width, momentum);
            }
            return;
        }
        // Batch 1 with channels under 64 elements: runs of 16 channels (SmallChannels), as SmallGroupBlocks does.
        if (batch == 1 && spatial < 64)
        {
            SmallChannels<TSpec, T>(firstUnit, unitCount, x, gamma, beta, runningMean, runningVar, y, saveMean, saveRstd, channels, spatial, momentum);
            return;
        }
        // Blocks of one to four 512-bit vectors across several samples: each pass takes each block into registers
        // (SmallBlock512) instead of calling the general loops three times per sample.
        if (Vector512.IsHardwareAccelerated && spatial >= Vector512<T>.Count && spatial < 4 * Vector512<T>.Count)
        {
            SmallBlockChannels<TSpec, T>(firstUnit, unitCount, x, gamma, beta, runningMean, runningVar, y, saveMean, saveRstd, batch, channels, spatial, momentum);
            return;
        }
        // Blocks of four 512-bit vectors or more: whole channels, each pass one loop over the channel's blocks (Channels512).
        if (Vector512.IsHardwareAccelerated && spatial >= 4 * Vector512<T>.Count)
        {
            Channels512<TSpec, T>(firstUnit, unitCount, x, gamma, beta, runningMean, runningVar, y, saveMean, saveRstd, batch, channels, spatial, momentum);
            return;
        }
        // Large tensors on one thread (without 512-bit vectors): the passes sweep the tensor in memory order instead of
        // channel by channel.
        if (unitCount == channels && batch > 1 && (long)x.Length * Unsafe.SizeOf<T>() >= SampleMajorBytes)
        {
            SampleMajor<TSpec, T>(x, gamma, beta, runningMean, runningVar, y, saveMean, saveRstd, batch, channels, spatial, momentum);
            return;
        }
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T y0 = ref MemoryMarshal.GetReference(y);
        nuint length = (nuint)spatial;
        nint sampleStride = (nint)channels * spatial;
        T count = T.CreateTruncating((long)batch * spatial);
        for (int c = firstUnit; c < firstUnit + unitCount; c++)
        {
            // Channel c is N blocks of spatial contiguous elements, one per sample, sampleStride apart.
            ref T xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
            ref T yc = ref Unsafe.Add(ref y0, (nint)c * spatial);

            // The mean as shift + offset, the shift the mean of the channel's first block (ChannelShift): x − shift is
            // exact near the mean, so a large mean costs no precision and a constant channel has offset 0 exactly. One
            // pass adds Σ(x − shift) and Σ(x − shift)²; where that is not as exact as two (OnePassHolds), the corrected
            // two-pass sums around shift + offset, σ² = (Σd² − (Σd)²/count) / count (biased, to normalize).
            T shift = ChannelShift(ref xc, spatial), offset = T.Zero;
            BlockSums(ref xc, batch, sampleStride, length, shift, offset, out T sumDev, out T sumSq);
            if (!OnePassHolds(sumDev, sumSq, count))
            {
                offset = sumDev / count;
                BlockSums(ref xc, batch, sampleStride, length, shift, offset, out sumDev, out sumSq);
            }
            EndChannel<TSpec, T>(c, ref xc, ref yc, batch, spatial, sampleStride, count, shift, offset, sumDev, sumSq, momentum,
                gamma, beta, runningMean, runningVar, saveMean, saveRstd, default);
        }
    }

    /// <summary>Σd and Σd² (d = x − shift − offset) over a channel's blocks, each block's SumDeviations, added in sample order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BlockSums<T>(ref T xc, int batch, nint sampleStride, nuint n, T shift, T offset, out T sumDev, out T sumSq)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        sumDev = T.Zero;
        sumSq = T.Zero;
        for (int s = 0; s < batch; s++)
        {
            SumDeviations(ref Unsafe.Add(ref xc, s * sampleStride), n, shift, offset, out T dev, out T sq);
            sumDev += dev;
            sumSq += sq;
        }
    }

    /// <summary>
    /// <see cref="TrainChannels{TSpec, T}"/> for blocks of four 512-bit vectors or more (float spatial ≥ 64, double ≥ 32):
    /// a channel at a time, each pass one loop over the channel's blocks, a sample apart. A channel of (32, 256, 14, 14) is
    /// 32 blocks of 784 bytes (25 KB): pass 1 brings it in, passes 2 and 3 find it in L1/L2, so x is read from memory once
    /// and y written once, where the memory-order sweeps (SampleMajor) read x three times (0.75× its time on
    /// (64, 256, 28, 28), 51 MB; 0.87–0.93× on (32, 256, 14, 14) double; float (32, 256, 14, 14) within noise, loud
    /// 2-core AMD EPYC, Zen 5). That walk reads each block at the latency of its few lines, and on a Zen 4 VM it ran
    /// 1.3–3× slower than sweeps with these same sums, so tensors from <see cref="SampleMajorBytes"/> now take
    /// <see cref="SweptChannels512{TSpec, T}"/>. Software prefetch of the next channel's blocks (into L1 or L2, during
    /// pass 1 or 2) measured no better than none. The statistics are <see cref="WalkedStatistics{T, TCopy}"/>'s: the shift
    /// is the channel's first block's mean, one loop adds Σ(x − shift) and Σ(x − shift)², and a second loop runs only
    /// where <see cref="OnePassHolds{T}(T, T, T)"/> fails (since 2026-12-03; before, always two loops around the first element).
    /// Each block's lanes are those of SumDeviations (512-bit) (DeviationLanes512), horizontally summed four blocks at a
    /// time (0.90–0.95× the time of one Vector512.Sum per block, float (32, 256, 14, 14)) and added in sample order, as
    /// the sweep and the sample split add them; pass 3 is Apply.
    /// </summary>
    private static void Channels512<TSpec, T>(int firstUnit, int unitCount, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> y, Span<T> saveMean, Span<T> saveRstd, int batch, int channels, int spatial, T momentum)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T y0 = ref MemoryMarshal.GetReference(y);
        nuint length = (nuint)spatial;
        nint sampleStride = (nint)channels * spatial;
        T count = T.CreateTruncating((long)batch * spatial);
        int end = firstUnit + unitCount;
        // Tensors from 4 MiB with four samples or more: sweeps in memory order (SweptChannels512), same bits.
        if ((long)x.Length * Unsafe.SizeOf<T>() >= SampleMajorBytes && batch >= 4)
        {
            SweptChannels512<TSpec, T>(firstUnit, unitCount, x, gamma, beta, runningMean, runningVar, y, saveMean, saveRstd, batch, channels, spatial, momentum);
            return;
        }
        nint copyStride = (spatial + Vector512<T>.Count - 1) & -Vector512<T>.Count;
        if ((long)batch * copyStride * Unsafe.SizeOf<T>() <= ChannelCopyBytes && batch > BlocksPerL1Set(sampleStride * Unsafe.SizeOf<T>()))
        {
            CopiedChannels512<TSpec, T>(firstUnit, unitCount, x, gamma, beta, runningMean, runningVar, y, saveMean, saveRstd, batch, channels, spatial, momentum, copyStride);
            return;
        }
        for (int c = firstUnit; c < end; c++)
        {
            ref T xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
            ref T yc = ref Unsafe.Add(ref y0, (nint)c * spatial);

            // The statistics (one loop over the channel's blocks, or two), then the end and pass 3 (Apply).
            WalkedStatistics<T, NoCopy>(ref xc, batch, sampleStride, length, count, ref xc, 0, out T shift, out T offset, out T sumDev, out T sumSq);
            EndChannel<TSpec, T>(c, ref xc, ref yc, batch, spatial, sampleStride, count, shift, offset, sumDev, sumSq, momentum,
                gamma, beta, runningMean, runningVar, saveMean, saveRstd, default);
        }
    }

    /// <summary>
    /// The longest channel (its blocks each rounded up to whole 512-bit vectors) that <see cref="CopiedChannels512{TSpec, T}"/>
    /// copies: it stays in L1 (48 KiB on Zen 5) next to the lines pass 3 writes.
    /// </summary>
    private const int ChannelCopyBytes = 32 << 10;

    /// <summary>
    /// How many blocks a sample apart a channel holds before its lines overflow the L1 sets they share: blocks
    /// <paramref name="sampleBytes"/> apart fall on 4096 / 2^min(12, trailing zeros) different 4 KiB phases (one when the
    /// distance is a multiple of 4 KiB), and each phase's sets keep 8 of their 12 ways (Zen 5; Intel's 48 KiB L1 too) for
    /// the channel's blocks, the rest for the lines of y that pass 3 writes. (8, 64, 28, 28) float (8 blocks, 49·4 KiB
    /// apart) stays with Channels512: copying it read 1.05× slower. ChannelLayerNorm's column strips use the same bound
    /// for their channels a row apart (ColumnEngine).
    /// </summary>
    internal static long BlocksPerL1Set(long sampleBytes) => 8L << (12 - Math.Min(12, BitOperations.TrailingZeroCount(sampleBytes)));

    /// <summary>
    /// <see cref="Channels512{TSpec, T}"/> for channels that fit <see cref="ChannelCopyBytes"/>: pass 1 also copies each
    /// block, as it loads it, into a 64-byte-aligned buffer (block n at n·<paramref name="copyStride"/>, a whole number of
    /// vectors), and passes 2 and 3 read the copy. A channel's blocks lie a sample apart, and when that distance is a
    /// multiple of 4 KiB (C·spatial·size: (32, 256, 14, 14) float is 49·4 KiB) they all fall into the same few L1 sets,
    /// more lines than those sets hold, so passes 2 and 3 found them in L2, evicted again by the lines of y that pass 3
    /// writes into the same sets; the copy is contiguous. Same values, operations and order as Channels512: the same bits.
    /// </summary>
    private static unsafe void CopiedChannels512<TSpec, T>(int firstUnit, int unitCount, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> y, Span<T> saveMean, Span<T> saveRstd, int batch, int channels, int spatial, T momentum, nint copyStride)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T y0 = ref MemoryMarshal.GetReference(y);
        nuint length = (nuint)spatial;
        nint sampleStride = (nint)channels * spatial;
        T count = T.CreateTruncating((long)batch * spatial);
        int end = firstUnit + unitCount;
        T[] scratch = ArrayPool<T>.Shared.Rent(5 * end + batch * (int)copyStride + 64 / Unsafe.SizeOf<T>());
        try
        {
            fixed (T* pinned = scratch)
            {
                Span<T> coefficients = scratch.AsSpan(0, 5 * end);
                // The copy starts on the first 64-byte boundary past the coefficients.
                T* copy = pinned + 5 * end;
                copy += StreamingStore.ElementsToAlignment(ref Unsafe.AsRef<T>(copy), 64 / Unsafe.SizeOf<T>());
                ref T b0 = ref Unsafe.AsRef<T>(copy);
                for (int c = firstUnit; c < end; c++)
                {
                    ref T xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
                    ref T yc = ref Unsafe.Add(ref y0, (nint)c * spatial);

                    // The statistics as Channels512 (the first loop copying each block), then the end; pass 3 from the copy.
                    WalkedStatistics<T, CopyBlocks>(ref xc, batch, sampleStride, length, count, ref b0, copyStride,
                        out T shift, out T offset, out T sumDev, out T sumSq);
                    EndChannel<TSpec, T>(c, ref xc, ref yc, batch, spatial, sampleStride, count, shift, offset, sumDev, sumSq, momentum,
                        gamma, beta, runningMean, runningVar, saveMean, saveRstd, coefficients);
                    if (coefficients[5 * c + 4] == T.Zero) continue; // the huge-value fallback has written the channel
                    T k = coefficients[5 * c], m = coefficients[5 * c + 1], a = coefficients[5 * c + 2], b = coefficients[5 * c + 3];
                    for (int n = 0; n < batch; n++)
                        ApplyPrefetched(ref Unsafe.Add(ref b0, n * copyStride), ref Unsafe.Add(ref yc, n * sampleStride), length, k, m, a, b);
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// <see cref="Channels512{TSpec, T}"/> for tensors from <see cref="SampleMajorBytes"/>: each pass a sweep over the
    /// units' channels in memory order, four samples at a time (four streams the hardware prefetcher follows) instead of
    /// a walk down each channel's blocks a sample apart, and the statistics in one sweep where that is as exact as two.
    /// Pass 1 takes each channel's shift (<see cref="ChannelShift{T}"/>) and adds S1 = Σ(x − shift)
    /// and S2 = Σ(x − shift)² (<see cref="SweepDeviations{T}"/> around offset 0); a channel whose sums pass
    /// <see cref="OnePassHolds{T}(T, T, T)"/> ends from them, the others take a second sweep around shift + S1/n, the corrected
    /// two-pass sums. Pass 3 is Apply sample by sample. Every channel's sums are added in sample order with the
    /// primitives of the channel walk (Sum4 groups of four samples, the rest one by one, non-finite totals redone block by
    /// block), so the bits are the same on any split of the channels over threads, and the sample split
    /// (<see cref="SampleSplit{TSpec, T}"/>) computes the same.
    /// </summary>
    /// <remarks>
    /// 2-core AMD EPYC (Zen 4, family 25 model 17) VM, one thread: float (32, 256, 14, 14) (6.4 MB) 555–608 µs against
    /// CopiedChannels512's 1557–1852 in `table --only tensors` (ONNX Runtime 751–790 in the same processes), with the
    /// two-pass statistics the walk used; TensorAB, new ÷ old, best round / median: float (32, 256, 14, 14) 0.76 / 0.60,
    /// (64, 256, 28, 28) 0.80 / 1.08, (9, 3, 40000) 0.87 / 0.87; double (32, 256, 14, 14) 0.63 / 0.63, (64, 256, 28, 28)
    /// 0.74 / 0.91. The one-sweep statistics (2026-12-03) then took 0.77 of that time on float (32, 256, 14, 14) (TensorAB,
    /// one process, the second sweep skipped against taken). Earlier sessions, on Zen 5, measured memory-order sweeps at
    /// 0.53–1.07 of the channel walk's time in the table and 0.87–1.20 in TensorAB.
    /// </remarks>
    private static void SweptChannels512<TSpec, T>(int firstUnit, int unitCount, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> y, Span<T> saveMean, Span<T> saveRstd, int batch, int channels, int spatial, T momentum)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int end = firstUnit + unitCount;
        T[] scratch = ArrayPool<T>.Shared.Rent(6 * unitCount + 5 * end);
        try
        {
            // Per unit (channel c at c − firstUnit): the shift; the offset; Σd; Σd²; whether the sweep takes the channel
            // (one); whether a non-finite total was redone block by block (one); then EndChannel's coefficients, by channel.
            Span<T> shifts = scratch.AsSpan(0, unitCount), offsets = scratch.AsSpan(unitCount, unitCount);
            Span<T> sumDevs = scratch.AsSpan(2 * unitCount, unitCount), sumSqs = scratch.AsSpan(3 * unitCount, unitCount);
            Span<T> pending = scratch.AsSpan(4 * unitCount, unitCount), redone = scratch.AsSpan(5 * unitCount, unitCount);
            Span<T> coefficients = scratch.AsSpan(6 * unitCount, 5 * end);
            ref T x0 = ref MemoryMarshal.GetReference(x);
            ref T y0 = ref MemoryMarshal.GetReference(y);
            nint sampleStride = (nint)channels * spatial;
            T count = T.CreateTruncating((long)batch * spatial);

            // Pass 1: S1 and S2 around each channel's shift.
            FirstSweepAround(ref Unsafe.Add(ref x0, (nint)firstUnit * spatial), spatial, shifts, offsets, pending);
            SweepDeviations(firstUnit, end, ref x0, batch, spatial, sampleStride, shifts, offsets, pending, sumDevs, sumSqs, redone);

            // Pass 2 for the channels one sweep does not settle: Σd and Σd², d = (x − shift) − S1/n.
            if (Unsettled(sumDevs, sumSqs, count, offsets, pending))
                SweepDeviations(firstUnit, end, ref x0, batch, spatial, sampleStride, shifts, offsets, pending, sumDevs, sumSqs, redone);
            EndSwept<TSpec, T>(firstUnit, end, ref x0, ref y0, batch, spatial, sampleStride, count, shifts, offsets, sumDevs, sumSqs, momentum,
                gamma, beta, runningMean, runningVar, saveMean, saveRstd, coefficients, smallBlocks: false);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Sets up the first statistics sweep of consecutive channels, the first at <paramref name="xc"/> (each
    /// <paramref name="spatial"/> further): each channel's shift (<see cref="ChannelShift{T}"/>), offset 0, every channel
    /// pending. The swept drivers and the sample split (TensorBlocks.SweptMoments) start alike.
    /// </summary>
    internal static void FirstSweepAround<T>(ref T xc, int spatial, Span<T> shifts, Span<T> offsets, Span<T> pending)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int u = 0; u < shifts.Length; u++)
            shifts[u] = ChannelShift(ref Unsafe.Add(ref xc, (nint)u * spatial), spatial);
        offsets.Clear();
        pending.Fill(T.One);
    }

    /// <summary>
    /// After a swept call's first statistics sweep (offsets 0): for each unit whose sums fail
    /// <see cref="OnePassHolds{T}(T, T, T)"/>, its offset S1/n and pending 1 (the second sweep takes it), else pending 0.
    /// Whether any unit is pending.
    /// </summary>
    internal static bool Unsettled<T>(ReadOnlySpan<T> sumDevs, ReadOnlySpan<T> sumSqs, T count, Span<T> offsets, Span<T> pending)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool any = false;
        for (int u = 0; u < pending.Length; u++)
        {
            bool holds = OnePassHolds(sumDevs[u], sumSqs[u], count);
            pending[u] = holds ? T.Zero : T.One;
            if (!holds) offsets[u] = sumDevs[u] / count;
            any |= !holds;
        }
        return any;
    }

    /// <summary>
    /// One sweep of <see cref="SweptChannels512{TSpec, T}"/>'s statistics: for each unit u whose <paramref name="pending"/>
    /// is not 0 (channel firstUnit + u), Σd and Σd² with d = (x − shifts[u]) − offsets[u], into sumDevs[u] and sumSqs[u].
    /// Four samples at a time, all channels of each group in memory order (AddFourDeviations: a Sum4 tree per group, added
    /// in sample order); a channel whose total is not finite is redone block by block (<see cref="ChannelDeviations512{T, TCopy}"/>,
    /// redone[u] = 1), the others add their batch mod 4 last samples one by one: the sums of the channel walk.
    /// </summary>
    private static void SweepDeviations<T>(int firstUnit, int end, ref T x0, int batch, int spatial, nint sampleStride,
        ReadOnlySpan<T> shifts, ReadOnlySpan<T> offsets, ReadOnlySpan<T> pending, Span<T> sumDevs, Span<T> sumSqs, Span<T> redone)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint length = (nuint)spatial;
        int whole = batch & ~3, units = end - firstUnit;
        for (int u = 0; u < units; u++)
        {
            if (pending[u] == T.Zero) continue;
            sumDevs[u] = T.Zero;
            sumSqs[u] = T.Zero;
        }
        redone.Clear();
        for (int s = 0; s < whole; s += 4)
        {
            for (int c = firstUnit; c < end; c++)
            {
                int u = c - firstUnit;
                if (pending[u] == T.Zero) continue;
                ref T xs = ref Unsafe.Add(ref x0, s * sampleStride + (nint)c * spatial);
                AddFourDeviations<T, NoCopy>(ref xs, sampleStride, ref xs, 0, length, shifts[u], offsets[u], ref sumDevs[u], ref sumSqs[u]);
            }
        }
        for (int u = 0; u < units; u++)
        {
            if (pending[u] == T.Zero || (T.IsFinite(sumDevs[u]) && T.IsFinite(sumSqs[u]))) continue;
            ref T xc = ref Unsafe.Add(ref x0, (nint)(firstUnit + u) * spatial);
            ChannelDeviations512<T, NoCopy>(ref xc, batch, sampleStride, length, shifts[u], offsets[u], ref xc, 0, out sumDevs[u], out sumSqs[u]);
            redone[u] = T.One;
        }
        for (int s = whole; s < batch; s++)
        {
            for (int c = firstUnit; c < end; c++)
            {
                int u = c - firstUnit;
                if (pending[u] == T.Zero || redone[u] != T.Zero) continue;
                DeviationLanes512(ref Unsafe.Add(ref x0, s * sampleStride + (nint)c * spatial), length, shifts[u], offsets[u], out Vector512<T> dev, out Vector512<T> sq);
                sumDevs[u] += Vector512.Sum(dev);
                sumSqs[u] += Vector512.Sum(sq);
            }
        }
    }

    /// <summary>
    /// A BatchNorm training channel's shift on 512-bit vectors (the walks, <see cref="SweptChannels512{TSpec, T}"/>, the
    /// sample split): <see cref="MeanShift{T}"/> of its first block, at most its first <see cref="ChannelShiftElements"/>.
    /// The mean of a whole block, rather than of a few lines, is near the channel's mean even where the values follow the
    /// spatial position (images), and costs 1/batch of a pass, from the lines pass 1 reads next.
    /// </summary>
    internal static T ChannelShift<T>(ref T xc, int spatial) where T : unmanaged, IFloatingPointIeee754<T> =>
        MeanShift(ref xc, Math.Min((nuint)spatial, ChannelShiftElements));

    /// <summary>The most elements of a channel's first block its shift is the mean of (<see cref="ChannelShift{T}"/>): 4,096, 16 KiB of float.</summary>
    private const nuint ChannelShiftElements = 4096;

    /// <summary>
    /// A walked channel's statistics (<see cref="Channels512{TSpec, T}"/>, <see cref="CopiedChannels512{TSpec, T}"/>): its
    /// shift (<see cref="ChannelShift{T}"/>), S1 = Σ(x − shift) and S2 = Σ(x − shift)² in one loop over its blocks
    /// (<see cref="ChannelDeviations512{T, TCopy}"/> around offset 0, copying each block when TCopy says so), and where
    /// <see cref="OnePassHolds{T}(T, T, T)"/> fails, the corrected two-pass sums around shift + S1/n from a second loop (over the
    /// copy, if any). The sums <see cref="SweepDeviations{T}"/> and the sample split add, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WalkedStatistics<T, TCopy>(ref T xc, int batch, nint sampleStride, nuint n, T count, ref T copy, nint copyStride,
        out T shift, out T offset, out T sumDev, out T sumSq)
        where T : unmanaged, IFloatingPointIeee754<T> where TCopy : struct, IBlockCopy
    {
        shift = ChannelShift(ref xc, (int)n);
        offset = T.Zero;
        ChannelDeviations512<T, TCopy>(ref xc, batch, sampleStride, n, shift, offset, ref copy, copyStride, out sumDev, out sumSq);
        if (OnePassHolds(sumDev, sumSq, count)) return;
        offset = sumDev / count;
        if (TCopy.Copies)
            ChannelDeviations512<T, NoCopy>(ref copy, batch, copyStride, n, shift, offset, ref copy, 0, out sumDev, out sumSq);
        else
            ChannelDeviations512<T, NoCopy>(ref xc, batch, sampleStride, n, shift, offset, ref xc, 0, out sumDev, out sumSq);
    }

    /// <summary>
    /// Adds the four horizontal sums of a four-sample group (TensorBlocks.Sum4's lanes 0–3) to <paramref name="sum"/> one by
    /// one, in sample order: how every BatchNorm training driver on 512-bit vectors adds a group.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddInOrder<T>(ref T sum, Vector256<T> sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        sum += sums.GetElement(0);
        sum += sums.GetElement(1);
        sum += sums.GetElement(2);
        sum += sums.GetElement(3);
    }

    /// <summary>
    /// Σd and Σd² of the four blocks of n elements a sample apart from <paramref name="x"/> (DeviationLanes512 each, copied to
    /// <paramref name="to"/>, copyStride apart, when TCopy says so; the four horizontal sums of each in one Sum4 tree),
    /// added to <paramref name="sumDev"/> and <paramref name="sumSq"/> in sample order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddFourDeviations<T, TCopy>(ref T x, nint sampleStride, ref T to, nint copyStride, nuint n, T shift, T offset, ref T sumDev, ref T sumSq)
        where T : unmanaged, IFloatingPointIeee754<T> where TCopy : struct, IBlockCopy
    {
        DeviationLanes512<T, TCopy>(ref x, ref to, n, shift, offset, out Vector512<T> d0, out Vector512<T> q0);
        DeviationLanes512<T, TCopy>(ref Unsafe.Add(ref x, sampleStride), ref Unsafe.Add(ref to, copyStride), n, shift, offset, out Vector512<T> d1, out Vector512<T> q1);
        DeviationLanes512<T, TCopy>(ref Unsafe.Add(ref x, 2 * sampleStride), ref Unsafe.Add(ref to, 2 * copyStride), n, shift, offset, out Vector512<T> d2, out Vector512<T> q2);
        DeviationLanes512<T, TCopy>(ref Unsafe.Add(ref x, 3 * sampleStride), ref Unsafe.Add(ref to, 3 * copyStride), n, shift, offset, out Vector512<T> d3, out Vector512<T> q3);
        AddInOrder(ref sumDev, TensorBlocks.Sum4(d0, d1, d2, d3));
        AddInOrder(ref sumSq, TensorBlocks.Sum4(q0, q1, q2, q3));
    }

    /// <summary>
    /// Σd and Σd² (d = x − shift − offset) over the channel's blocks (batch blocks of n ≥ 4 vectors, sampleStride apart),
    /// in sample order, of each block's SumDeviations (512-bit): four blocks' horizontal sums at a time in one shuffle tree
    /// (TensorBlocks.Sum4, the trees of Vector512.Sum), added one by one. A finite total means every pair added was
    /// finite, and then the order inside a pair cannot change a bit; a total that is not finite is redone block by block,
    /// so NaN payloads are those of Vector512.Sum too. With <see cref="CopyBlocks"/> each block s is also copied to
    /// <paramref name="copy"/> + s·<paramref name="copyStride"/> as it is loaded (TensorBlocks.DeviationLanes512 with
    /// CopyBlocks: the same lanes); with <see cref="NoCopy"/> copy and copyStride are not used.
    /// </summary>
    private static void ChannelDeviations512<T, TCopy>(ref T xc, int batch, nint sampleStride, nuint n, T shift, T offset, ref T copy, nint copyStride,
        out T sumDev, out T sumSq)
        where T : unmanaged, IFloatingPointIeee754<T> where TCopy : struct, IBlockCopy
    {
        sumDev = T.Zero;
        sumSq = T.Zero;
        int s = 0;
        for (; s + 4 <= batch; s += 4)
        {
            AddFourDeviations<T, TCopy>(ref Unsafe.Add(ref xc, s * sampleStride), sampleStride, ref Unsafe.Add(ref copy, s * copyStride), copyStride,
                n, shift, offset, ref sumDev, ref sumSq);
        }
        if (!T.IsFinite(sumDev) || !T.IsFinite(sumSq))
        {
            sumDev = T.Zero;
            sumSq = T.Zero;
            s = 0;
        }
        for (; s < batch; s++)
        {
            DeviationLanes512<T, TCopy>(ref Unsafe.Add(ref xc, s * sampleStride), ref Unsafe.Add(ref copy, s * copyStride), n, shift, offset,
                out Vector512<T> dev, out Vector512<T> sq);
            sumDev += Vector512.Sum(dev);
            sumSq += Vector512.Sum(sq);
        }
    }

    /// <summary>The smallest tensor <see cref="SampleMajor{TSpec, T}"/> and <see cref="SweptChannels512{TSpec, T}"/> take (and the BatchNorm backward's sweeps, ChannelBackward): a channel's blocks, a sample apart, no longer share pages.</summary>
    internal const long SampleMajorBytes = 4L << 20;

    /// <summary>
    /// All channels on one thread, each pass a sweep over the tensor in memory order (sample by sample, channel by
    /// channel), which the hardware prefetcher follows, rather than a walk down one channel's blocks a sample apart. Each
    /// channel's sums still add its samples in order, with the same primitives, so the bits are those of the channel loop;
    /// the channel ends are those of the sample split (coefficients, then the normalizing sweep).
    /// </summary>
    private static void SampleMajor<TSpec, T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> y, Span<T> saveMean, Span<T> saveRstd, int batch, int channels, int spatial, T momentum)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] scratch = ArrayPool<T>.Shared.Rent(10 * channels);
        try
        {
            Span<T> shifts = scratch.AsSpan(0, channels), offsets = scratch.AsSpan(channels, channels), sumDevs = scratch.AsSpan(2 * channels, channels);
            Span<T> sumSqs = scratch.AsSpan(3 * channels, channels), pending = scratch.AsSpan(4 * channels, channels);
            Span<T> coefficients = scratch.AsSpan(5 * channels, 5 * channels);
            ref T x0 = ref MemoryMarshal.GetReference(x);
            ref T y0 = ref MemoryMarshal.GetReference(y);
            nint sampleStride = (nint)channels * spatial;
            T count = T.CreateTruncating((long)batch * spatial);

            // The statistics as TrainChannels takes them: each channel's shift (ChannelShift), one sweep adding Σ(x − shift)
            // and Σ(x − shift)², a second around shift + offset for the channels it does not settle; the samples added in order.
            FirstSweepAround(ref x0, spatial, shifts, offsets, pending);
            SweepBlockSums(channels, ref x0, batch, spatial, shifts, offsets, pending, sumDevs, sumSqs);
            if (Unsettled(sumDevs, sumSqs, count, offsets, pending))
                SweepBlockSums(channels, ref x0, batch, spatial, shifts, offsets, pending, sumDevs, sumSqs);
            for (int c = 0; c < channels; c++)
            {
                ref T xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
                EndChannel<TSpec, T>(c, ref xc, ref Unsafe.Add(ref y0, (nint)c * spatial), batch, spatial, sampleStride, count, shifts[c], offsets[c], sumDevs[c], sumSqs[c], momentum,
                    gamma, beta, runningMean, runningVar, saveMean, saveRstd, coefficients);
            }
            nuint length = (nuint)spatial;

            // Pass 3: y = ((x − shift) − offset)·a + b, in memory order (a channel of the huge-value fallback is written already).
            for (int n = 0; n < batch; n++)
            {
                for (int c = 0; c < channels; c++)
                {
                    if (coefficients[5 * c + 4] == T.Zero) continue;
                    nint at = n * sampleStride + (nint)c * spatial;
                    Apply(ref Unsafe.Add(ref x0, at), ref Unsafe.Add(ref y0, at), length, coefficients[5 * c], coefficients[5 * c + 1], coefficients[5 * c + 2], coefficients[5 * c + 3]);
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// One statistics sweep of <see cref="SampleMajor{TSpec, T}"/>: for every channel c whose <paramref name="pending"/> is
    /// not 0, Σd and Σd² (d = x − shifts[c] − offsets[c]), each block's SumDeviations, sample by sample in memory order,
    /// so each channel's in sample order (<see cref="BlockSums{T}"/>'s sums).
    /// </summary>
    private static void SweepBlockSums<T>(int channels, ref T x0, int batch, int spatial, ReadOnlySpan<T> shifts, ReadOnlySpan<T> offsets,
        ReadOnlySpan<T> pending, Span<T> sumDevs, Span<T> sumSqs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint length = (nuint)spatial;
        nint sampleStride = (nint)channels * spatial;
        for (int c = 0; c < channels; c++)
        {
            if (pending[c] == T.Zero) continue;
            sumDevs[c] = T.Zero;
            sumSqs[c] = T.Zero;
        }
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                if (pending[c] == T.Zero) continue;
                SumDeviations(ref Unsafe.Add(ref x0, n * sampleStride + (nint)c * spatial), length, shifts[c], offsets[c], out T dev, out T sq);
                sumDevs[c] += dev;
                sumSqs[c] += sq;
            }
        }
    }

    /// <summary>
    /// <see cref="TrainChannels{TSpec, T}"/> for blocks (the spatial elements of one sample) of one to four 512-bit vectors
    /// (float 16 ≤ spatial &lt; 64, double 8 ≤ spatial &lt; 32): each pass takes each block from L1 into registers
    /// (SmallBlock512: the same vectors, accumulators and order as SumDeviations (512-bit) and Apply (512-bit)), without
    /// the calls per channel and sample, their loop set-up and their tail masks; the statistics as Channels512's
    /// (<see cref="ChannelShift{T}"/>, one loop, a second only where <see cref="OnePassHolds{T}(T, T, T)"/> fails).
    /// </summary>
    private static void SmallBlockChannels<TSpec, T>(int firstUnit, int unitCount, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> y, Span<T> saveMean, Span<T> saveRstd, int batch, int channels, int spatial, T momentum)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T y0 = ref MemoryMarshal.GetReference(y);
        nuint length = (nuint)spatial;
        nint sampleStride = (nint)channels * spatial;
        T count = T.CreateTruncating((long)batch * spatial);
        // Tensors from 4 MiB: each pass a sweep in memory order (SweptSmallBlockChannels), same bits.
        if ((long)x.Length * Unsafe.SizeOf<T>() >= SampleMajorBytes)
        {
            SweptSmallBlockChannels<TSpec, T>(firstUnit, unitCount, x, gamma, beta, runningMean, runningVar, y, saveMean, saveRstd, batch, channels, spatial, momentum);
            return;
        }
        for (int c = firstUnit; c < firstUnit + unitCount; c++)
        {
            ref T xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
            ref T yc = ref Unsafe.Add(ref y0, (nint)c * spatial);

            // The statistics as Channels512 takes them (shift, one loop, a second where it does not hold), each block's
            // Σd and Σd² from registers, added in sample order.
            T shift = ChannelShift(ref xc, spatial), offset = T.Zero;
            SmallBlockSums(ref xc, batch, sampleStride, length, shift, offset, out T sumDev, out T sumSq);
            if (!OnePassHolds(sumDev, sumSq, count))
            {
                offset = sumDev / count;
                SmallBlockSums(ref xc, batch, sampleStride, length, shift, offset, out sumDev, out sumSq);
            }
            EndChannel<TSpec, T>(c, ref xc, ref yc, batch, spatial, sampleStride, count, shift, offset, sumDev, sumSq, momentum,
                gamma, beta, runningMean, runningVar, saveMean, saveRstd, default, smallBlocks: true);
        }
    }

    /// <summary>Σd and Σd² (d = x − shift − offset) of a channel's blocks of one to four vectors, each block's from registers (SmallBlock512.Deviations: SumDeviations' lanes), added in sample order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SmallBlockSums<T>(ref T xc, int batch, nint sampleStride, nuint n, T shift, T offset, out T sumDev, out T sumSq)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        sumDev = T.Zero;
        sumSq = T.Zero;
        Vector512<T> keep = SmallBlock512<T, AnyShape>.Keep(n);
        for (int s = 0; s < batch; s++)
        {
            new SmallBlock512<T, AnyShape>(ref Unsafe.Add(ref xc, s * sampleStride), n).Deviations(shift, offset, keep, out Vector512<T> dev, out Vector512<T> sq);
            sumDev += Vector512.Sum(dev);
            sumSq += Vector512.Sum(sq);
        }
    }

    /// <summary>
    /// <see cref="SmallBlockChannels{TSpec, T}"/> for tensors from <see cref="SampleMajorBytes"/>: the same block
    /// operations (SmallBlock512) and per-channel order, each pass a sweep over the units' channels in memory order,
    /// sample by sample: the same bits on any split of the channels over threads; the second statistics sweep only for
    /// the channels one does not settle (<see cref="OnePassHolds{T}(T, T, T)"/>). TensorAB, one thread, new ÷ old, best
    /// round / median (2-core AMD EPYC, Zen 4 VM), the sweeps against the walk: float (128, 256, 7, 7) 0.66 / 0.61,
    /// (64, 512, 7, 7) 0.60 / 0.63, (9, 3000, 40) 1.06 / 1.01.
    /// </summary>
    private static void SweptSmallBlockChannels<TSpec, T>(int firstUnit, int unitCount, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> y, Span<T> saveMean, Span<T> saveRstd, int batch, int channels, int spatial, T momentum)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int end = firstUnit + unitCount;
        T[] scratch = ArrayPool<T>.Shared.Rent(5 * unitCount + 5 * end);
        try
        {
            // Per unit (channel c at c − firstUnit): the shift; the offset; Σd; Σd²; whether the sweep takes the channel
            // (one); then EndChannel's coefficients, by channel.
            Span<T> shifts = scratch.AsSpan(0, unitCount), offsets = scratch.AsSpan(unitCount, unitCount);
            Span<T> sumDevs = scratch.AsSpan(2 * unitCount, unitCount), sumSqs = scratch.AsSpan(3 * unitCount, unitCount);
            Span<T> pending = scratch.AsSpan(4 * unitCount, unitCount), coefficients = scratch.AsSpan(5 * unitCount, 5 * end);
            ref T x0 = ref MemoryMarshal.GetReference(x);
            ref T y0 = ref MemoryMarshal.GetReference(y);
            nint sampleStride = (nint)channels * spatial;
            T count = T.CreateTruncating((long)batch * spatial);
            FirstSweepAround(ref Unsafe.Add(ref x0, (nint)firstUnit * spatial), spatial, shifts, offsets, pending);
            SweepSmallBlockSums(firstUnit, end, ref x0, batch, spatial, sampleStride, shifts, offsets, pending, sumDevs, sumSqs);
            if (Unsettled(sumDevs, sumSqs, count, offsets, pending))
                SweepSmallBlockSums(firstUnit, end, ref x0, batch, spatial, sampleStride, shifts, offsets, pending, sumDevs, sumSqs);
            EndSwept<TSpec, T>(firstUnit, end, ref x0, ref y0, batch, spatial, sampleStride, count, shifts, offsets, sumDevs, sumSqs, momentum,
                gamma, beta, runningMean, runningVar, saveMean, saveRstd, coefficients, smallBlocks: true);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// One sweep of <see cref="SweptSmallBlockChannels{TSpec, T}"/>'s statistics: <see cref="SmallBlockSums{T}"/> of every
    /// unit u whose <paramref name="pending"/> is not 0 (channel firstUnit + u, around shifts[u] and offsets[u]), sample
    /// by sample over the channels in memory order.
    /// </summary>
    private static void SweepSmallBlockSums<T>(int firstUnit, int end, ref T x0, int batch, int spatial, nint sampleStride,
        ReadOnlySpan<T> shifts, ReadOnlySpan<T> offsets, ReadOnlySpan<T> pending, Span<T> sumDevs, Span<T> sumSqs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint length = (nuint)spatial;
        Vector512<T> keep = SmallBlock512<T, AnyShape>.Keep(length);
        for (int u = 0; u < end - firstUnit; u++)
        {
            if (pending[u] == T.Zero) continue;
            sumDevs[u] = T.Zero;
            sumSqs[u] = T.Zero;
        }
        for (int n = 0; n < batch; n++)
        {
            for (int c = firstUnit; c < end; c++)
            {
                int u = c - firstUnit;
                if (pending[u] == T.Zero) continue;
                new SmallBlock512<T, AnyShape>(ref Unsafe.Add(ref x0, n * sampleStride + (nint)c * spatial), length).Deviations(shifts[u], offsets[u], keep,
                    out Vector512<T> dev, out Vector512<T> sq);
                sumDevs[u] += Vector512.Sum(dev);
                sumSqs[u] += Vector512.Sum(sq);
            }
        }
    }

    /// <summary>
    /// The end of a swept call (<see cref="SweptChannels512{TSpec, T}"/>, <see cref="SweptSmallBlockChannels{TSpec, T}"/>):
    /// each channel's <see cref="EndChannel{TSpec, T}"/> from its shift and sums (unit c − firstUnit of the shifts and sums,
    /// channel c of the coefficients; without <paramref name="shifts"/> the shift is the channel's first element), then
    /// pass 3 sample by sample, Apply (512-bit) or, for <paramref name="smallBlocks"/>, SmallBlock512's Apply, as the
    /// channel walks write it; a channel of the huge-value fallback is written already.
    /// </summary>
    private static void EndSwept<TSpec, T>(int firstUnit, int end, ref T x0, ref T y0, int batch, int spatial, nint sampleStride, T count,
        ReadOnlySpan<T> shifts, ReadOnlySpan<T> offsets, ReadOnlySpan<T> sumDevs, ReadOnlySpan<T> sumSqs, T momentum, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> saveMean, Span<T> saveRstd, Span<T> coefficients, bool smallBlocks)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int c = firstUnit; c < end; c++)
        {
            ref T xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
            EndChannel<TSpec, T>(c, ref xc, ref Unsafe.Add(ref y0, (nint)c * spatial), batch, spatial, sampleStride, count,
                shifts.IsEmpty ? xc : shifts[c - firstUnit], offsets[c - firstUnit],
                sumDevs[c - firstUnit], sumSqs[c - firstUnit], momentum, gamma, beta, runningMean, runningVar, saveMean, saveRstd, coefficients);
        }
        nuint length = (nuint)spatial;
        for (int n = 0; n < batch; n++)
        {
            for (int c = firstUnit; c < end; c++)
            {
                if (coefficients[5 * c + 4] == T.Zero) continue;
                nint at = n * sampleStride + (nint)c * spatial;
                T shift = coefficients[5 * c], offset = coefficients[5 * c + 1], a = coefficients[5 * c + 2], b = coefficients[5 * c + 3];
                if (smallBlocks)
                    new SmallBlock512<T, AnyShape>(ref Unsafe.Add(ref x0, at), length).Apply(ref Unsafe.Add(ref y0, at), shift, offset, a, b);
                else
                    Apply(ref Unsafe.Add(ref x0, at), ref Unsafe.Add(ref y0, at), length, shift, offset, a, b);
            }
        }
    }

    /// <summary>
    /// <see cref="TrainChannels{TSpec, T}"/> for batch 1 and channels of fewer than 64 elements, in runs of 16 channels:
    /// the statistics of the whole run first (TensorBlocks.SmallBlocks or Moments), then its outputs.
    /// </summary>
    private static void SmallChannels<TSpec, T>(int firstUnit, int unitCount, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> y, Span<T> saveMean, Span<T> saveRstd, int channels, int spatial, T momentum)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int batch = 1;
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T y0 = ref MemoryMarshal.GetReference(y);
        nuint length = (nuint)spatial;
        nint sampleStride = (nint)channels * spatial;
        T count = T.CreateTruncating((long)batch * spatial);

        // Runs of 16 channels: first the statistics of the whole run (Moments: both passes, a small block in registers),
        // then its outputs. The channels are independent, so the processor overlaps their latency chains (horizontal
        // sums, divisions, square root); each channel's arithmetic is that of TrainChannels' loop (0 + Σ is Σ: a sum
        // holding the shifted first element, +0, is never −0), so are its bits.
        Span<T> moments = stackalloc T[4 * 16];
        for (int first = firstUnit, endUnit = firstUnit + unitCount, end; first < endUnit; first = end)
        {
            // Blocks of one to four 512-bit vectors: normalized from registers (SmallBlocks), up to one whose variance is
            // not finite (huge values, NaN), which the loops below take alone; other lengths go in runs of 16.
            first = TensorBlocks.SmallBlocks(ref x0, ref y0, length, first, endUnit, channels, TSpec.Epsilon,
                gamma, beta, saveMean, saveRstd, runningMean, runningVar, momentum);
            if (first == endUnit) break;
            end = TensorBlocks.FitsSmallBlocks<T>(length) ? first + 1 : Math.Min(first + 16, endUnit);
            for (int c = first; c < end; c++)
            {
                ref T xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
                int i = 4 * (c - first);
                moments[i] = xc;
                Moments(ref xc, length, xc, count, out moments[i + 1], out moments[i + 2], out moments[i + 3]);
            }
            for (int c = first; c < end; c++)
            {
                ref T xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
                ref T yc = ref Unsafe.Add(ref y0, (nint)c * spatial);
                int i = 4 * (c - first);
                EndChannel<TSpec, T>(c, ref xc, ref yc, batch, spatial, sampleStride, count, xc, moments[i + 1], moments[i + 2], moments[i + 3], momentum,
                    gamma, beta, runningMean, runningVar, saveMean, saveRstd, default);
            }
        }
    }

    /// <summary>
    /// The end of a BatchNorm training channel, from its moments: variance, the huge-value fallback, the saved statistics,
    /// pass 3 (or, with <paramref name="coefficients"/>, its coefficients for TensorBlocks.BatchApply; with
    /// <paramref name="smallBlocks"/>, from registers through SmallBlock512) and the running statistics.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EndChannel<TSpec, T>(int c, ref T xc, ref T yc, int batch, int spatial, nint sampleStride, T count,
        T shift, T offset, T sumDev, T sumSq, T momentum, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> saveMean, Span<T> saveRstd, Span<T> coefficients, bool smallBlocks = false)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        T variance = Variance(sumDev, sumSq, count);
        if (!T.IsFinite(variance) && HugeStatistics(ref xc, batch, spatial, sampleStride, out double hs, out double hm, out double hv))
        {
            // Finite values whose squares overflow T: this channel in double on x·2⁻ᵏ.
            double hr = HugeRstd<TSpec, T>(hs, hv);
            if (TSpec.SaveStatistics)
            {
                saveMean[c] = T.CreateTruncating(hm / hs);
                saveRstd[c] = T.CreateTruncating(hr * hs);
            }
            for (int n = 0; n < batch; n++)
                HugeApply(ref Unsafe.Add(ref xc, n * sampleStride), ref Unsafe.Add(ref yc, n * sampleStride), spatial, hs, hm, HugeScale<TSpec, T>(hr, gamma, c), HugeBias<TSpec, T>(beta, c));
            HugeRunning(ref runningMean[c], ref runningVar[c], momentum, hs, hm, hv, count);
            if (!coefficients.IsEmpty) coefficients[5 * c + 4] = T.Zero; // written: BatchApply leaves it alone
            return;
        }
        offset += sumDev / count;
        T rstd = Rstd<TSpec, T>(variance);
        if (TSpec.SaveStatistics)
        {
            saveMean[c] = shift + offset; // saved for the backward pass
            saveRstd[c] = rstd;
        }

        // Pass 3: normalize and apply γ, β (with coefficients: on the pool after the channel loop, BatchApply).
        T a = Scale<TSpec, T>(rstd, gamma, c), b = Bias<TSpec, T>(beta, c);
        if (!coefficients.IsEmpty)
        {
            coefficients[5 * c] = shift;
            coefficients[5 * c + 1] = offset;
            coefficients[5 * c + 2] = a;
            coefficients[5 * c + 3] = b;
            coefficients[5 * c + 4] = T.One;
        }
        else
        {
            for (int n = 0; n < batch; n++)
            {
                if (smallBlocks) // from registers, lane for lane Apply (512-bit)
                    new SmallBlock512<T, AnyShape>(ref Unsafe.Add(ref xc, n * sampleStride), (nuint)spatial).Apply(ref Unsafe.Add(ref yc, n * sampleStride), shift, offset, a, b);
                else
                    ApplyPrefetched(ref Unsafe.Add(ref xc, n * sampleStride), ref Unsafe.Add(ref yc, n * sampleStride), (nuint)spatial, shift, offset, a, b);
            }
        }

        // Running statistics (PyTorch): the mean and the unbiased variance, r ← (1 − m)·r + m·stat.
        runningMean[c] = (T.One - momentum) * runningMean[c] + momentum * (shift + offset);
        runningVar[c] = (T.One - momentum) * runningVar[c] + momentum * (variance * count / (count - T.One));
    }

    /// <summary>The running-statistics update of a channel that took the huge-value fallback, in double from its statistics of x·2⁻ᵏ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void HugeRunning<T>(ref T runningMean, ref T runningVar, T momentum, double scale, double mean, double variance, T count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double m = double.CreateTruncating(momentum), n = double.CreateTruncating(count);
        runningMean = T.CreateTruncating((1d - m) * double.CreateTruncating(runningMean) + m * (mean / scale));
        runningVar = T.CreateTruncating((1d - m) * double.CreateTruncating(runningVar) + m * (variance / scale / scale * n / (n - 1d)));
    }

    /// <summary>
    /// Few channels, many samples: the statistics of every channel spread over the pool by (channel, sample) block
    /// (TensorBlocks.SweptMoments: shift, one pass, a second for the channels it does not settle), the per-channel end on
    /// the calling thread from those partials in sample order, then the normalizing pass by block (TensorBlocks.BatchApply).
    /// The partials are the values the one-thread drivers (TrainChannels' loop, SampleMajor, SmallBlockChannels,
    /// Channels512 and their sweeps) add, in their order, so the bits are those of one thread.
    /// </summary>
    private static void SampleSplit<TSpec, T>(int threads, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> y, Span<T> saveMean, Span<T> saveRstd, int batch, int channels, int spatial, T momentum)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int units = channels * batch;
        T[] scratch = ArrayPool<T>.Shared.Rent(3 * units + 10 * channels);
        try
        {
            Span<T> partials = scratch.AsSpan(0, 3 * units + 5 * channels);
            Span<T> coefficients = scratch.AsSpan(3 * units + 5 * channels, 5 * channels);
            // The one-thread drivers' statistics: shift, one pass, a second where that does not hold.
            TensorBlocks.SweptMoments(threads, x, partials, batch, channels, spatial);
            ref T x0 = ref MemoryMarshal.GetReference(x);
            ref T y0 = ref MemoryMarshal.GetReference(y);
            nint sampleStride = (nint)channels * spatial;
            T count = T.CreateTruncating((long)batch * spatial);
            for (int c = 0; c < channels; c++)
            {
                ref T xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
                ref T yc = ref Unsafe.Add(ref y0, (nint)c * spatial);

                // The statistics SweptMoments left: the one-thread drivers' sums, in their order.
                T shift = partials[3 * units + channels + c], offset = partials[3 * units + c];
                T sumDev = partials[3 * units + 3 * channels + c], sumSq = partials[3 * units + 4 * channels + c];
                EndChannel<TSpec, T>(c, ref xc, ref yc, batch, spatial, sampleStride, count, shift, offset, sumDev, sumSq, momentum,
                    gamma, beta, runningMean, runningVar, saveMean, saveRstd, coefficients);
            }
            BatchApply(threads, x, y, coefficients, batch, channels, spatial);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// (N, C) input: channel c is column c of an N × C panel. Whole rows are accumulated into per-channel sums with
    /// TensorPrimitives (vectorized across the channels), rather than walking each column with stride C. Same statistics
    /// as the (N, C, *) path: shift by row 0, corrected two-pass variance. Works on the columns from … from + width − 1
    /// (a thread's range, or all of them); each column's result is the same either way.
    /// </summary>
    private static void Panel<TSpec, T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> runningMean, Span<T> runningVar,
        Span<T> y, Span<T> saveMean, Span<T> saveRstd, int batch, int channels, int from, int width, T momentum)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (TSpec.Affine != Affine.None) gamma = gamma.Slice(from, width);
        if (TSpec.Affine == Affine.ScaleAndBias) beta = beta.Slice(from, width);
        runningMean = runningMean.Slice(from, width);
        runningVar = runningVar.Slice(from, width);
        if (TSpec.SaveStatistics)
        {
            saveMean = saveMean.Slice(from, width);
            saveRstd = saveRstd.Slice(from, width);
        }
        // The five per-channel rows each start on a 64-byte line: PanelRow512 loads and stores them beside every row of x,
        // and wherever the pool's array fell, BatchNorm training double 256×96 took 22–23 µs instead of 16 (TensorAB, after
        // the other shapes of the declaration had run; 13.4 instead of 15.6–16 alone).
        int stride = LineStride<T>(width);
        T[] scratch = ArrayPool<T>.Shared.Rent(5 * stride + 64 / Unsafe.SizeOf<T>());
        try
        {
            Span<T> rows = scratch.AsSpan(LineStart<T>(scratch), 5 * stride);
            Span<T> shift = rows.Slice(0, width), offset = rows.Slice(stride, width);
            Span<T> sumDev = rows.Slice(2 * stride, width), sumSq = rows.Slice(3 * stride, width);
            Span<T> d = rows.Slice(4 * stride, width);
            T count = T.CreateTruncating(batch);
            x.Slice(from, width).CopyTo(shift);
            offset.Clear();
            sumDev.Clear();
            sumSq.Clear();

            // Pass 1: Σ (x − shift) per channel. With 512-bit vectors each row in one loop (PanelRow512) instead of two
            // TensorPrimitives calls and the round trip through d: the same operations per element, so the same bits.
            for (int n = 0; n < batch; n++)
            {
                if (Vector512.IsHardwareAccelerated)
                {
                    PanelRow512<T, PanelSum<T>>(x.Slice(n * channels + from, width), shift, offset, offset, sumSq); // accumulates into offset
                    continue;
                }
                TensorPrimitives.Subtract(x.Slice(n * channels + from, width), shift, d);
                TensorPrimitives.Add(offset, d, offset);
            }
            TensorPrimitives.Divide(offset, count, offset);

            // Pass 2: Σd and Σd², d = (x − shift) − offset.
            for (int n = 0; n < batch; n++)
            {
                if (Vector512.IsHardwareAccelerated)
                {
                    PanelRow512<T, PanelDeviations<T>>(x.Slice(n * channels + from, width), shift, offset, sumDev, sumSq);
                    continue;
                }
                TensorPrimitives.Subtract(x.Slice(n * channels + from, width), shift, d);
                TensorPrimitives.Subtract(d, offset, d);
                TensorPrimitives.Add(sumDev, d, sumDev);
                TensorPrimitives.MultiplyAdd(d, d, sumSq, sumSq);
            }

            double[]? huge = PanelChannelEnds<TSpec, T>(x, gamma, beta, runningMean, runningVar, saveMean, saveRstd, shift, offset, sumDev, sumSq,
                batch, channels, from, width, momentum);

            // Pass 3: y = ((x − shift) − offset)·a + b, row by row (a row is read before it is written: y may be x).
            for (int n = 0; n < batch; n++)
            {
                if (Vector512.IsHardwareAccelerated && huge is null)
                {
                    // y = d·a + b with a, b kept in sumSq, sumDev; the row is read before it is written.
                    PanelRow512<T, PanelApply<T>>(x.Slice(n * channels + from, width), shift, offset, sumSq, sumDev, y.Slice(n * channels + from, width));
                    continue;
                }
                TensorPrimitives.Subtract(x.Slice(n * channels + from, width), shift, d);
                TensorPrimitives.Subtract(d, offset, d);
                if (huge is not null)
                    for (int c = 0; c < width; c++)
                        if (huge[4 * c] != 0d)
                            d[c] = T.CreateTruncating((double.CreateTruncating(x[n * channels + from + c]) * huge[4 * c] - huge[4 * c + 1]) * huge[4 * c + 2] + huge[4 * c + 3]);
                TensorPrimitives.MultiplyAdd(d, sumSq, sumDev, y.Slice(n * channels + from, width));
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// One row of <see cref="Panel{TSpec, T}"/>'s passes in one loop over 512-bit vectors and a scalar remainder (no
    /// overlapping vector: the accumulators are read and written). Each element gets the operations of the
    /// TensorPrimitives calls it replaces, in their order (x − shift first, then − offset; d·d then + Σd², d·a then + b,
    /// neither fused), so each channel's bits are theirs. <typeparamref name="TPass"/> is the pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PanelRow512<T, TPass>(ReadOnlySpan<T> row, ReadOnlySpan<T> shift, ReadOnlySpan<T> offset, Span<T> first, Span<T> second, Span<T> output = default)
        where T : unmanaged, IFloatingPointIeee754<T> where TPass : struct, IPanelPass<T>
    {
        int width = row.Length, L = Vector512<T>.Count, j = 0;
        ref T x = ref MemoryMarshal.GetReference(row), k = ref MemoryMarshal.GetReference(shift), m = ref MemoryMarshal.GetReference(offset);
        ref T p = ref MemoryMarshal.GetReference(first), q = ref MemoryMarshal.GetReference(second), y = ref MemoryMarshal.GetReference(output);
        for (; j + L <= width; j += L)
            TPass.Vector(ref x, ref k, ref m, ref p, ref q, ref y, (nuint)j);
        for (; j < width; j++)
            TPass.Scalar(ref Unsafe.Add(ref x, j), Unsafe.Add(ref k, j), Unsafe.Add(ref m, j), ref Unsafe.Add(ref p, j), ref Unsafe.Add(ref q, j), ref Unsafe.Add(ref y, j));
    }

    /// <summary>One pass of <see cref="PanelRow512{T, TPass}"/> on the vector at index i, and on one element.</summary>
    private interface IPanelPass<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        static abstract void Vector(ref T x, ref T shift, ref T offset, ref T first, ref T second, ref T y, nuint i);

        static abstract void Scalar(ref T x, T shift, T offset, ref T first, ref T second, ref T y);
    }

    /// <summary>Pass 1: first += x − shift (TensorPrimitives.Subtract, then Add).</summary>
    private readonly struct PanelSum<T> : IPanelPass<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Vector(ref T x, ref T shift, ref T offset, ref T first, ref T second, ref T y, nuint i) =>
            (Vector512.LoadUnsafe(ref first, i) + (Vector512.LoadUnsafe(ref x, i) - Vector512.LoadUnsafe(ref shift, i))).StoreUnsafe(ref first, i);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Scalar(ref T x, T shift, T offset, ref T first, ref T second, ref T y) => first += x - shift;
    }

    /// <summary>Pass 2: d = (x − shift) − offset, first += d, second += d·d (Subtract, Subtract, Add, MultiplyAdd).</summary>
    private readonly struct PanelDeviations<T> : IPanelPass<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Vector(ref T x, ref T shift, ref T offset, ref T first, ref T second, ref T y, nuint i)
        {
            Vector512<T> d = Vector512.LoadUnsafe(ref x, i) - Vector512.LoadUnsafe(ref shift, i) - Vector512.LoadUnsafe(ref offset, i);
            (Vector512.LoadUnsafe(ref first, i) + d).StoreUnsafe(ref first, i);
            (d * d + Vector512.LoadUnsafe(ref second, i)).StoreUnsafe(ref second, i);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Scalar(ref T x, T shift, T offset, ref T first, ref T second, ref T y)
        {
            T d = x - shift - offset;
            first += d;
            second = d * d + second;
        }
    }

    /// <summary>Pass 3: y = ((x − shift) − offset)·first + second (Subtract, Subtract, MultiplyAdd); x is read before y is written.</summary>
    private readonly struct PanelApply<T> : IPanelPass<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Vector(ref T x, ref T shift, ref T offset, ref T first, ref T second, ref T y, nuint i) =>
            ((Vector512.LoadUnsafe(ref x, i) - Vector512.LoadUnsafe(ref shift, i) - Vector512.LoadUnsafe(ref offset, i)) * Vector512.LoadUnsafe(ref first, i)
                + Vector512.LoadUnsafe(ref second, i)).StoreUnsafe(ref y, i);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Scalar(ref T x, T shift, T offset, ref T first, ref T second, ref T y) => y = (x - shift - offset) * first + second;
    }

    /// <summary>
    /// <see cref="Panel{TSpec, T}"/>'s loop over its channels: from each channel's sums, the variance (with the huge-value
    /// fallback), the running statistics and the scale (kept in sumSq) and shift (kept in sumDev) that pass 3 applies.
    /// Returns per channel (2⁻ᵏ, mean, a, b) of the huge-value fallback (2⁻ᵏ = 0 elsewhere), or null when no channel took it.
    /// </summary>
    private static double[]? PanelChannelEnds<TSpec, T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> runningMean, Span<T> runningVar,
        Span<T> saveMean, Span<T> saveRstd, Span<T> shift, Span<T> offset, Span<T> sumDev, Span<T> sumSq, int batch, int channels, int from, int width, T momentum)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating(batch);
        double[]? huge = null;
        for (int c = 0; c < width; c++)
        {
            T variance = Variance(sumDev[c], sumSq[c], count);
            if (!T.IsFinite(variance) && HugeStatistics(ref Unsafe.Add(ref MemoryMarshal.GetReference(x), from + c), batch, 1, channels, out double hs, out double hm, out double hv))
            {
                // Finite values whose squares overflow T: this channel in double on x·2⁻ᵏ; pass 3 writes its outputs
                // through d with a = 1, b = 0.
                double hr = HugeRstd<TSpec, T>(hs, hv);
                if (TSpec.SaveStatistics)
                {
                    saveMean[c] = T.CreateTruncating(hm / hs);
                    saveRstd[c] = T.CreateTruncating(hr * hs);
                }
                HugeRunning(ref runningMean[c], ref runningVar[c], momentum, hs, hm, hv, count);
                huge ??= new double[4 * width];
                huge[4 * c] = hs;
                huge[4 * c + 1] = hm;
                huge[4 * c + 2] = HugeScale<TSpec, T>(hr, gamma, c);
                huge[4 * c + 3] = HugeBias<TSpec, T>(beta, c);
                sumSq[c] = T.One;
                sumDev[c] = T.Zero;
                continue;
            }
            offset[c] += sumDev[c] / count;
            T rstd = Rstd<TSpec, T>(variance);
            if (TSpec.SaveStatistics)
            {
                saveMean[c] = shift[c] + offset[c]; // saved for the backward pass
                saveRstd[c] = rstd;
            }
            runningMean[c] = (T.One - momentum) * runningMean[c] + momentum * (shift[c] + offset[c]);
            runningVar[c] = (T.One - momentum) * runningVar[c] + momentum * (variance * count / (count - T.One));
            sumSq[c] = Scale<TSpec, T>(rstd, gamma, c);
            sumDev[c] = Bias<TSpec, T>(beta, c);
        }
        return huge;
    }

    /// <summary>TensorBlocks.BatchApply for T (float or double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BatchApply<T>(int threads, ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<T> coefficients, int batch, int channels, int spatial) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            TensorBlocks.BatchApply(threads, MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y), MemoryMarshal.Cast<T, float>(coefficients), batch, channels, spatial);
        else
            TensorBlocks.BatchApply(threads, MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(y), MemoryMarshal.Cast<T, double>(coefficients), batch, channels, spatial);
    }
}
