using System;
using System.Buffers;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static NormGen.TensorBlocks;

namespace NormGen;

/// <summary>
/// The drivers of the block kinds (BatchNorm evaluation and training, GroupNorm, InstanceNorm), written once: they split
/// an (N, C, *) tensor into units, spread them over <see cref="RowScheduler"/>, and compute each unit's statistics and
/// outputs with the contiguous-block primitives of <see cref="TensorBlocks"/> (<c>SumShifted</c>, <c>SumDeviations</c>,
/// <c>Moments</c>, <c>Apply</c>, <c>SmallBlocks</c>, the huge-value fallback). Generated kernels call
/// <see cref="Groups{TSpec, T}"/>, <see cref="Evaluate{TSpec, T}"/> or <see cref="Train{TSpec, T}"/> with a file-local
/// <see cref="IBlockSpec{T}"/> struct; the JIT specialises the body per spec.
/// </summary>
/// <remarks>
/// The operations, and their order, are those the generator used to write into every kernel file, so the results are
/// bitwise those of before (bench/NormGen.TensorAB). Every reduction runs in an order that depends on the shape only and
/// a unit's result does not depend on the thread that runs it, so results do not depend on the thread count. The drivers
/// do not check the lengths of their spans: the generated entry point checks them (and overlaps) before calling, and
/// γ[c] and β[c] are read without bounds checks (measured: 1.5–2.5% of a GroupNorm (3, 16, 7, 7) call).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class BlockEngine
{
    // ---------------------------------------------------------------- GroupNorm, InstanceNorm

    /// <summary>
    /// GroupNorm or InstanceNorm of a dense (batch × channels × spatial) tensor: statistics per (sample, group) block, then
    /// each channel of the block normalized with its own γ and β. The saved statistics hold one value per block. Arguments
    /// are already checked, x is not empty, and y is x or does not overlap it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // compiled on its own: inlined into the generated entry point, its blocks' calls stayed calls (see Evaluate)
    [SkipLocalsInit]
    public static void Groups<TSpec, T>(ReadOnlySpan<T> x, Span<T> y, int batch, int channels, int spatial,
        ReadOnlySpan<T> gamma = default, ReadOnlySpan<T> beta = default, Span<T> saveMean = default, Span<T> saveRstd = default)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Groups are independent contiguous blocks: large tensors spread them over the pool (same code per group
        // whichever thread runs it, so results do not depend on the thread count).
        int groups = GroupCount<TSpec, T>(channels);
        int blocks = batch * groups;
        int threads = RowScheduler.DegreeOfParallelism(blocks, channels / groups * spatial);
        if (threads == 1)
            GroupBlocks<TSpec, T>(0, blocks, x, gamma, beta, y, saveMean, saveRstd, channels, spatial);
        else
            RowScheduler.Run(threads, blocks, new GroupWork<TSpec, T>(channels, spatial), MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(gamma),
                MemoryMarshal.AsBytes(beta), MemoryMarshal.AsBytes(y), MemoryMarshal.AsBytes(saveMean), MemoryMarshal.AsBytes(saveRstd));
    }

    /// <summary>
    /// <see cref="Groups{TSpec, T}"/> for Half tensors: γ and β are widened once, then units of whole samples (InstanceNorm:
    /// whole channels of a sample larger than a unit) are widened into a float buffer per thread, computed there by the
    /// float kernel and narrowed once on store (BlockEngine.Half.cs); the saved statistics stay float.
    /// </summary>
    public static void Groups<TSpec>(ReadOnlySpan<Half> x, Span<Half> y, int batch, int channels, int spatial,
        ReadOnlySpan<Half> gamma = default, ReadOnlySpan<Half> beta = default, Span<float> saveMean = default, Span<float> saveRstd = default)
        where TSpec : struct, IBlockSpec<float> =>
        StagedSamples<TSpec>(x, y, batch, channels, spatial, gamma, beta, default, default, saveMean, saveRstd);

    /// <summary>G for GroupNorm, C for InstanceNorm (one group per channel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int GroupCount<TSpec, T>(int channels)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        TSpec.Kind == BlockKind.GroupNorm ? TSpec.Groups : channels;

    /// <summary>
    /// Where block (sample n, group g), block = n·G + g, starts: (n·C + g·C/G)·spatial = block·(C/G)·spatial, since G
    /// divides C. The same offset as from n and g, without the division that splits the block index.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint GroupStart(int block, nuint groupLength) => (nint)block * (nint)groupLength;

    /// <summary>The group of the next block: g + 1, back to 0 after the last group of a sample.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NextGroup(int g, int groups) => g + 1 == groups ? 0 : g + 1;

    /// <summary>A range of (sample, group) blocks for one pool thread; the spans arrive pinned.</summary>
    private readonly struct GroupWork<TSpec, T>(int channels, int spatial) : IRowKernel
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount) =>
            GroupBlocks<TSpec, T>(firstRow, rowCount, buffers.Get<T>(0), buffers.Get<T>(1), buffers.Get<T>(2), buffers.Get<T>(3),
                buffers.Get<T>(4), buffers.Get<T>(5), channels, spatial);
    }

    /// <summary>
    /// Normalizes the (sample, group) blocks firstBlock … firstBlock + blockCount − 1: blocks under 64 elements go to
    /// <see cref="SmallGroupBlocks{TSpec, T}"/>, single-channel blocks up to 4 KiB to <see cref="SingleChannelBlocks{TSpec, T}"/>,
    /// the others to <see cref="LargeGroupBlocks{TSpec, T}"/>. Decided once per call, so the block loops test nothing per block.
    /// </summary>
    [SkipLocalsInit]
    private static void GroupBlocks<TSpec, T>(int firstBlock, int blockCount, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> y, Span<T> saveMean, Span<T> saveRstd, int channels, int spatial)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int perGroup = channels / GroupCount<TSpec, T>(channels);
        nuint groupLength = (nuint)perGroup * (nuint)spatial;
        // Blocks under 64 elements go in runs (SmallGroupBlocks); from 64 on, Moments is SumShifted + SumDeviations anyway
        // and the run's buffer and second loop cost more than the overlap gains (GroupNorm 3×16×7×7, 98 elements: 1.14×).
        if (groupLength < 64)
            SmallGroupBlocks<TSpec, T>(firstBlock, blockCount, x, gamma, beta, y, saveMean, saveRstd, channels, spatial);
        else if (perGroup == 1 && TensorBlocks.FitsSmallBlocks<T>(groupLength))
            SingleChannelBlocks<TSpec, T>(firstBlock, blockCount, x, gamma, beta, y, saveMean, saveRstd, channels, spatial);
        else
            LargeGroupBlocks<TSpec, T>(firstBlock, blockCount, x, gamma, beta, y, saveMean, saveRstd, channels, spatial);
    }

    /// <summary>
    /// <see cref="GroupBlocks{TSpec, T}"/> for single-channel blocks of 64 elements up to 4 KiB: four at a time
    /// (TensorBlocks.SmallBlocks), up to one whose variance is not finite (huge values, NaN), which
    /// <see cref="LargeGroupBlocks{TSpec, T}"/> takes alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SingleChannelBlocks<TSpec, T>(int firstBlock, int blockCount, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> y, Span<T> saveMean, Span<T> saveRstd, int channels, int spatial)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T y0 = ref MemoryMarshal.GetReference(y);
        for (int block = firstBlock, end = firstBlock + blockCount; block < end; block++)
        {
            block = TensorBlocks.SmallBlocks(ref x0, ref y0, (nuint)spatial, block, end, channels, TSpec.Epsilon,
                gamma, beta, saveMean, saveRstd, default, default, T.Zero);
            if (block == end) break;
            LargeGroupBlocks<TSpec, T>(block, 1, x, gamma, beta, y, saveMean, saveRstd, channels, spatial);
        }
    }

    /// <summary>
    /// <see cref="GroupBlocks{TSpec, T}"/> for blocks of 64 elements and more: the statistics in one pass or two
    /// (<see cref="BlockStatistics{T}"/>), then each channel normalized (<see cref="EndGroup{TSpec, T}"/>). One pass
    /// instead of always two (2026-12-03): GroupNorm float 8×64×28×28 0.79 of the time, double 0.80 (TensorAB, one process).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining), SkipLocalsInit]
    private static void LargeGroupBlocks<TSpec, T>(int firstBlock, int blockCount, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> y, Span<T> saveMean, Span<T> saveRstd, int channels, int spatial)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int groups = GroupCount<TSpec, T>(channels);
        int perGroup = channels / groups;
        nuint groupLength = (nuint)perGroup * (nuint)spatial;
        T count = T.CreateTruncating(groupLength);
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T y0 = ref MemoryMarshal.GetReference(y);
        // g, the block's group in its sample, is counted along (one division per call, none per block).
        for (int block = firstBlock, g = firstBlock % groups; block < firstBlock + blockCount; block++, g = NextGroup(g, groups))
        {
            // The group is one contiguous block: perGroup channels × spatial positions of sample block / groups.
            nint start = GroupStart(block, groupLength);
            ref T xg = ref Unsafe.Add(ref x0, start);

            // Passes 1 and 2: one pass around the shift, a second around the mean where the first does not settle it.
            BlockStatistics(ref xg, groupLength, count, out T shift, out T offset, out T sumDev, out T sumSq);
            EndGroup<TSpec, T>(block, g, perGroup, start, ref x0, ref y0, spatial, count, shift, offset, sumDev, sumSq, gamma, beta, saveMean, saveRstd);
        }
    }

    /// <summary>
    /// <see cref="GroupBlocks{TSpec, T}"/> for blocks of fewer than 64 elements, in runs of 16 blocks: first the
    /// statistics of the whole run (Moments, in registers), then its outputs.
    /// </summary>
    [SkipLocalsInit]
    private static void SmallGroupBlocks<TSpec, T>(int firstBlock, int blockCount, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> y, Span<T> saveMean, Span<T> saveRstd, int channels, int spatial)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int groups = GroupCount<TSpec, T>(channels);
        int perGroup = channels / groups;
        nuint groupLength = (nuint)perGroup * (nuint)spatial;
        T count = T.CreateTruncating(groupLength);
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T y0 = ref MemoryMarshal.GetReference(y);
        // Small blocks go in runs of 16: first the statistics of the whole run, then its outputs. The blocks are
        // independent, so the processor overlaps their latency chains (horizontal sums, divisions, square root: most
        // of a small block's time), and the run stays in L1 between the two loops. Each block's arithmetic is
        // unchanged, and so are its bits.
        Span<T> moments = stackalloc T[4 * 16];
        for (int first = firstBlock, endBlock = firstBlock + blockCount, end; first < endBlock; first = end)
        {
            // Blocks of one to four 512-bit vectors: normalized from registers (SmallBlocks), up to one whose variance is
            // not finite (huge values, NaN), which the loops below take alone; other lengths go in runs of 16. With more
            // than one channel per group γ and β are not constant over a block: the loops take it.
            if (perGroup == 1)
                first = TensorBlocks.SmallBlocks(ref x0, ref y0, groupLength, first, endBlock, channels, TSpec.Epsilon,
                    gamma, beta, saveMean, saveRstd, default, default, T.Zero);
            if (first == endBlock) break;
            end = perGroup == 1 && TensorBlocks.FitsSmallBlocks<T>(groupLength) ? first + 1 : Math.Min(first + 16, endBlock);
            for (int block = first; block < end; block++)
            {
                // Passes 1 and 2: the mean as shift + offset, shift the group's first element (exact for a constant
                // group), then the corrected two-pass variance (biased); a small block stays in registers for both.
                ref T first0 = ref Unsafe.Add(ref x0, GroupStart(block, groupLength));
                int i = 4 * (block - first);
                moments[i] = first0;
                Moments(ref first0, groupLength, moments[i], count, out moments[i + 1], out moments[i + 2], out moments[i + 3]);
            }
            for (int block = first, g = first % groups; block < end; block++, g = NextGroup(g, groups))
            {
                // The group is one contiguous block: perGroup channels × spatial positions of sample block / groups.
                nint start = GroupStart(block, groupLength);
                int i = 4 * (block - first);
                EndGroup<TSpec, T>(block, g, perGroup, start, ref x0, ref y0, spatial, count,
                    moments[i], moments[i + 1], moments[i + 2], moments[i + 3], gamma, beta, saveMean, saveRstd);
            }
        }
    }

    /// <summary>
    /// The end of a GroupNorm/InstanceNorm block, from its moments: variance, the huge-value fallback, the saved
    /// statistics and pass 3, which normalizes each channel of the group with its own γ and β.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining), SkipLocalsInit]
    private static void EndGroup<TSpec, T>(int block, int g, int perGroup, nint start, ref T x0, ref T y0, int spatial, T count,
        T shift, T offset, T sumDev, T sumSq, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> saveMean, Span<T> saveRstd)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        T variance = Variance(sumDev, sumSq, count);
        ref T xg = ref Unsafe.Add(ref x0, start);
        if (!T.IsFinite(variance) && HugeStatistics(ref xg, 1, (nint)perGroup * spatial, 0, out double hs, out double hm, out double hv))
        {
            // Finite values whose squares overflow T: this block in double on x·2⁻ᵏ.
            double hr = HugeRstd<TSpec, T>(hs, hv);
            if (TSpec.SaveStatistics)
            {
                saveMean[block] = T.CreateTruncating(hm / hs);
                saveRstd[block] = T.CreateTruncating(hr * hs);
            }
            for (int j = 0; j < perGroup; j++)
            {
                int c = g * perGroup + j;
                nint o = start + (nint)j * spatial;
                HugeApply(ref Unsafe.Add(ref x0, o), ref Unsafe.Add(ref y0, o), spatial, hs, hm, HugeScale<TSpec, T>(hr, gamma, c), HugeBias<TSpec, T>(beta, c));
            }
            return;
        }
        offset += sumDev / count;
        T rstd = Rstd<TSpec, T>(variance);
        if (TSpec.SaveStatistics)
        {
            saveMean[block] = shift + offset; // saved for the backward pass
            saveRstd[block] = rstd;
        }

        // Pass 3: normalize each channel of the group with its own γ and β.
        for (int j = 0; j < perGroup; j++)
        {
            int c = g * perGroup + j;
            nint o = start + (nint)j * spatial;
            Apply(ref Unsafe.Add(ref x0, o), ref Unsafe.Add(ref y0, o), (nuint)spatial, shift, offset, Scale<TSpec, T>(rstd, gamma, c), Bias<TSpec, T>(beta, c));
        }
    }

    // ---------------------------------------------------------------- BatchNorm evaluation

    /// <summary>
    /// BatchNorm in evaluation: the running statistics folded once per channel into s[c] = γ[c] / √(var[c] + ε) and
    /// t[c] = β[c] − mean[c]·s[c], then y = x·s[c] + t[c] by sample ((N, C)) or (sample, channel) block. Arguments are
    /// already checked, x is not empty, and y is x or does not overlap it.
    /// </summary>
    /// <remarks>
    /// Not inlined: dynamic PGO inlined it into the generated entry point, where the JIT ran out of inlining budget and
    /// left the per-block <c>ScaleShift</c> as a call (BatchNorm eval 3×16×7×7 and 256×96 read 1.10–1.23× eba5bfa's
    /// generated kernel); compiled on its own, it inlines them as the generated <c>Run</c> did.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    public static void Evaluate<TSpec, T>(ReadOnlySpan<T> x, Span<T> y, int batch, int channels, int spatial,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, ReadOnlySpan<T> gamma = default, ReadOnlySpan<T> beta = default)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        // One scale and shift per channel, so each element costs one multiply-add; on the stack up to
        // StackFoldedChannels channels. No try/finally around the rented array: an exception would only leave it to the GC.
        T[]? rented = channels <= StackFoldedChannels ? null : ArrayPool<T>.Shared.Rent(2 * channels + 2 * FoldedPad);
        Span<T> folded = rented is null ? stackalloc T[2 * StackFoldedChannels + 2 * FoldedPad] : rented;
        int first = LineStart(folded), stride = LineStride<T>(channels);
        Span<T> scale = folded.Slice(first, channels), shift = folded.Slice(first + stride, channels);
        FoldRunningStatistics<TSpec, T>(runningMean, runningVar, gamma, beta, scale, shift);
        // Units of work: samples for (N, C), (sample, channel) blocks otherwise; large tensors spread them over the
        // pool (each unit is computed the same way whichever thread runs it).
        int units = spatial == 1 ? batch : batch * channels;
        int threads = RowScheduler.DegreeOfParallelism(units, spatial == 1 ? channels : spatial);
        if (threads == 1)
            ScaleShiftUnits(0, units, x, scale, shift, y, channels, spatial);
        else
            RowScheduler.Run(threads, units, new ScaleShiftWork<T>(channels, spatial), MemoryMarshal.AsBytes(x),
                MemoryMarshal.AsBytes((ReadOnlySpan<T>)scale), MemoryMarshal.AsBytes((ReadOnlySpan<T>)shift), MemoryMarshal.AsBytes(y));
        if (rented is not null)
            ArrayPool<T>.Shared.Return(rented);
    }

    /// <summary>
    /// The most channels whose folded scale and shift <see cref="Evaluate{TSpec, T}"/> keeps on the stack (4.25 KiB
    /// of double) instead of a pooled array: the pool's rent and return, and the try/finally that kept the block loop's
    /// variables on the stack, were a fixed cost of every small call.
    /// </summary>
    private const int StackFoldedChannels = 256;

    /// <summary>
    /// Elements (16, a 64-byte line of float, two of double) that the folded buffer holds beyond 2·C, at least the
    /// slack of <see cref="LineStart{T}(Span{T})"/> and <see cref="LineStride{T}(int)"/>, so that the scale and the shift
    /// can each start on a line: the (N, C) loop loads them as vectors beside x. Left wherever the stack put
    /// them, BatchNorm eval 256×96 read 0.77–1.28× eba5bfa's kernel from process to process (TensorAB); on lines, 0.70–1.03×.
    /// </summary>
    private const int FoldedPad = 16;

    /// <summary>
    /// The index (at most 16) of the first element of <paramref name="buffer"/> on a 64-byte boundary. Only a speed hint for a
    /// pooled array, which the GC may move during the call: the slices stay inside it, merely off the line.
    /// </summary>
    private static int LineStart<T>(Span<T> buffer) where T : unmanaged =>
        StreamingStore.ElementsToAlignment(ref MemoryMarshal.GetReference(buffer), 64 / Unsafe.SizeOf<T>());

    /// <summary><paramref name="count"/> elements rounded up to whole 64-byte lines: the distance between per-channel rows that each start on a line.</summary>
    private static int LineStride<T>(int count) where T : unmanaged
    {
        int line = 64 / Unsafe.SizeOf<T>();
        return (count + line - 1) / line * line;
    }

    /// <summary>s[c] = γ[c] / √(var[c] + ε) and t[c] = β[c] − mean[c]·s[c] (without β: −mean[c]·s[c]), for every channel.</summary>
    private static void FoldRunningStatistics<TSpec, T>(ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> scale, Span<T> shift)
        where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int c = 0; c < scale.Length; c++)
        {
            T rstd = T.One / T.Sqrt(runningVar[c] + TSpec.Epsilon);
            T s = Scale<TSpec, T>(rstd, gamma, c);
            scale[c] = s;
            shift[c] = TSpec.Affine == Affine.ScaleAndBias ? beta[c] - runningMean[c] * s : -runningMean[c] * s;
        }
    }

    /// <summary>
    /// <see cref="Evaluate{TSpec, T}"/> for Half tensors: the per-channel parameters are widened once, then units of whole
    /// samples (or whole channels of a sample larger than a unit) go through a float buffer per thread (BlockEngine.Half.cs).
    /// </summary>
    public static void Evaluate<TSpec>(ReadOnlySpan<Half> x, Span<Half> y, int batch, int channels, int spatial,
        ReadOnlySpan<Half> runningMean, ReadOnlySpan<Half> runningVar, ReadOnlySpan<Half> gamma = default, ReadOnlySpan<Half> beta = default)
        where TSpec : struct, IBlockSpec<float> =>
        StagedSamples<TSpec>(x, y, batch, channels, spatial, gamma, beta, runningMean, runningVar, default, default);

    /// <summary>A range of units (samples or (sample, channel) blocks) for one pool thread; the spans arrive pinned.</summary>
    private readonly struct ScaleShiftWork<T>(int channels, int spatial) : IRowKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount) =>
            ScaleShiftUnits<T>(firstRow, rowCount, buffers.Get<T>(0), buffers.Get<T>(1), buffers.Get<T>(2), buffers.Get<T>(3), channels, spatial);
    }

    /// <summary>y = x·scale[c] + shift[c] over units firstUnit … firstUnit + unitCount − 1.</summary>
    private static void ScaleShiftUnits<T>(int firstUnit, int unitCount, ReadOnlySpan<T> x, ReadOnlySpan<T> scale, ReadOnlySpan<T> shift, Span<T> y, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T y0 = ref MemoryMarshal.GetReference(y);
        if (spatial == 1)
        {
            // (N, C): a sample is one contiguous row of channels; vectorize across them.
            for (int n = firstUnit; n < firstUnit + unitCount; n++)
            {
                nint row = (nint)n * channels;
                ScaleShiftChannels(ref Unsafe.Add(ref x0, row), ref Unsafe.Add(ref y0, row), (nuint)channels, ref MemoryMarshal.GetReference(scale), ref MemoryMarshal.GetReference(shift));
            }
        }
        else
        {
            // (N, C, *): one contiguous block of spatial elements per (n, c).
            for (int unit = firstUnit; unit < firstUnit + unitCount; unit++)
            {
                nint offset = (nint)unit * spatial;
                ScaleShift(ref Unsafe.Add(ref x0, offset), ref Unsafe.Add(ref y0, offset), (nuint)spatial, scale[unit % channels], shift[unit % channels]);
            }
        }
    }

    // ---------------------------------------------------------------- the arithmetic every driver shares

    /// <summary>
    /// The shift of one-pass statistics: the mean of the <paramref name="n"/> elements from <paramref name="x"/>, first +
    /// Σ(x − first)/n rounded to T (the first element where that is not finite). BatchNorm training takes a channel's
    /// first block (<c>ChannelShift</c>), GroupNorm and InstanceNorm the first 512-bit vector's worth of a block
    /// (<see cref="ShiftElements{T}"/>, summed in place: one load and a horizontal sum). Near the mean for most data, so
    /// that one pass settles the statistics (<see cref="OnePassHolds{T}(T, T, T)"/>); x − shift is exact near the mean, so a large
    /// mean costs no precision, and a constant channel or block has its value as shift and S1 = S2 = 0 exactly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T MeanShift<T>(ref T x, nuint n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T first = x;
        T sum = Vector512.IsHardwareAccelerated && n == (nuint)Vector512<T>.Count
            ? Vector512.Sum(Vector512.LoadUnsafe(ref x) - Vector512.Create(first))
            : SumShifted(ref x, n, first);
        T shift = first + sum / T.CreateTruncating(n);
        return T.IsFinite(shift) ? shift : first;
    }

    /// <summary>
    /// How many leading elements of a GroupNorm/InstanceNorm block of <paramref name="n"/> its shift is the mean of: one
    /// 512-bit vector's worth (16 float, 8 double; the whole block when shorter), which pass 1 reads next anyway. Within
    /// σ/4 of the block's mean for independent float values; where the block's start is not typical of it,
    /// <see cref="OnePassHolds{T}(T, T, T)"/> sends it to the second pass. The first 64 elements instead cost InstanceNorm float
    /// (32, 256, 14, 14), blocks of 196, the whole gain of the one pass (TensorAB 431 µs against 433 for two passes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static nuint ShiftElements<T>(nuint n) where T : unmanaged => Math.Min(n, (nuint)Vector512<T>.Count);

    /// <summary>
    /// Whether one pass's sums around the shift, S1 = Σ(x − shift) and S2 = Σ(x − shift)² over n values, give the
    /// variance as exactly as a second pass around the mean: the corrected formula (S2 − S1²/n)/n (<see cref="Variance{T}"/>
    /// with offset 0) loses under half a bit while the shift is within about σ/2 of the mean, (S1/n)² ≤ (S2/n)/4, the
    /// bound of the row kinds' one-pass statistics (RowEngine). False for NaN, ±∞ and sums or squares that overflow:
    /// those take the second pass and its fallbacks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool OnePassHolds<T>(T sumDev, T sumSq, T count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T offset = sumDev / count;
        return T.IsFinite(sumSq) && T.IsFinite(sumDev * sumDev) && offset * offset <= T.CreateTruncating(0.25) * (sumSq / count);
    }

    /// <summary>
    /// <see cref="OnePassHolds{T}(T, T, T)"/> of the lanes of four or more blocks' sums (TensorBlocks.LargerBlocks): the
    /// same IEEE operations lane by lane (finite as v − v = 0), so the same decisions; bit j of the result is set where
    /// lane j holds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint OnePassHolds<T>(Vector256<T> sumDev, Vector256<T> sumSq, Vector256<T> count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> offset = sumDev / count, square = sumDev * sumDev;
        Vector256<T> holds = Vector256.LessThanOrEqual(offset * offset, Vector256.Create(T.CreateTruncating(0.25)) * (sumSq / count))
            & Vector256.Equals(sumSq - sumSq, Vector256<T>.Zero) & Vector256.Equals(square - square, Vector256<T>.Zero);
        return holds.ExtractMostSignificantBits();
    }

    /// <summary>
    /// A contiguous block's statistics (GroupNorm, InstanceNorm): its shift (<see cref="MeanShift{T}"/> of the first
    /// <see cref="ShiftElements{T}"/>), S1 = Σ(x − shift) and S2 = Σ(x − shift)² in one pass (SumDeviations around offset 0),
    /// and where <see cref="OnePassHolds{T}(T, T, T)"/> fails, the corrected two-pass sums around shift + S1/n from a second.
    /// TensorBlocks.LargerBlocks computes the same four blocks at a time (InstanceNorm blocks of 64–512 floats).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void BlockStatistics<T>(ref T x, nuint n, T count, out T shift, out T offset, out T sumDev, out T sumSq)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        shift = MeanShift(ref x, ShiftElements<T>(n));
        offset = T.Zero;
        SumDeviations(ref x, n, shift, offset, out sumDev, out sumSq);
        if (OnePassHolds(sumDev, sumSq, count)) return;
        offset = sumDev / count;
        SumDeviations(ref x, n, shift, offset, out sumDev, out sumSq);
    }

    /// <summary>The biased variance from the corrected two-pass sums, σ² = (Σd² − (Σd)²/count) / count, clamped at 0 (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Variance<T>(T sumDev, T sumSq, T count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T variance = (sumSq - sumDev * sumDev / count) / count;
        // Math.Max against a literal 0 is the JIT's short form (one max and one fix-up); T.Max(variance, T.Zero) takes a
        // range and two fix-ups on the latency chain of every block. Same result, NaN included.
        if (typeof(T) == typeof(float)) return Unsafe.BitCast<float, T>(Math.Max(Unsafe.BitCast<T, float>(variance), 0f));
        if (typeof(T) == typeof(double)) return Unsafe.BitCast<double, T>(Math.Max(Unsafe.BitCast<T, double>(variance), 0d));
        return T.Max(variance, T.Zero);
    }

    /// <summary>rstd = 1 / √(σ² + ε).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Rstd<TSpec, T>(T variance) where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        T.One / T.Sqrt(variance + TSpec.Epsilon);

    /// <summary>The huge-value fallback's rstd of x·2⁻ᵏ: 1 / √(σ²·2⁻²ᵏ + ε·2⁻²ᵏ), in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double HugeRstd<TSpec, T>(double scale, double variance) where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        1d / Math.Sqrt(variance + double.CreateTruncating(TSpec.Epsilon) * scale * scale);

    // γ[c] and β[c] below are read without a bounds check: the generated entry point checked that γ and β hold one value
    // per channel, and c is a channel. The checks cost two compares and two live lengths in every channel loop.

    /// <summary>The output scale a = rstd·γ[c] (rstd without γ).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Scale<TSpec, T>(T rstd, ReadOnlySpan<T> gamma, int c) where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        TSpec.Affine == Affine.None ? rstd : rstd * Unsafe.Add(ref MemoryMarshal.GetReference(gamma), c);

    /// <summary>The output shift b = β[c] (0 without β).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Bias<TSpec, T>(ReadOnlySpan<T> beta, int c) where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        TSpec.Affine == Affine.ScaleAndBias ? Unsafe.Add(ref MemoryMarshal.GetReference(beta), c) : T.Zero;

    /// <summary><see cref="Scale{TSpec, T}"/> of the huge-value fallback, in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double HugeScale<TSpec, T>(double rstd, ReadOnlySpan<T> gamma, int c) where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        TSpec.Affine == Affine.None ? rstd : rstd * double.CreateTruncating(Unsafe.Add(ref MemoryMarshal.GetReference(gamma), c));

    /// <summary><see cref="Bias{TSpec, T}"/> of the huge-value fallback, in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double HugeBias<TSpec, T>(ReadOnlySpan<T> beta, int c) where TSpec : struct, IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        TSpec.Affine == Affine.ScaleAndBias ? double.CreateTruncating(Unsafe.Add(ref MemoryMarshal.GetReference(beta), c)) : 0d;
}
