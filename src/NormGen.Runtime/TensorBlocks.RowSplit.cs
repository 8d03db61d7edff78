using System;
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormGen;

// MinMaxScale on a narrow table (one column range, so the column split gives one thread; issue 11): the rows are
// split instead, in fixed blocks of ColumnSumBlock rows. Each block's per-column min and max go to their own slot and
// the calling thread combines them in block order; min and max are exact (IEEE 754-2019 minimum/maximum, −0 below
// +0), so every column gets the min and max of the column strips, and so the same outputs, on any thread count.
// (Only a column holding NaNs of different payloads could see another of its NaNs; the split depends on the shape
// only, so even then the result does not depend on the thread count.)
public static partial class TensorBlocks
{
    /// <summary>How many blocks of <see cref="ColumnSumBlock"/> rows a table of <paramref name="rows"/> rows has (the last one shorter).</summary>
    public static int RowBlocks(int rows) => (int)(((nuint)rows + ColumnSumBlock - 1) / ColumnSumBlock);

    /// <summary>
    /// MinMaxScale of a (rows × width) table over row blocks on the pool, when that spreads it over more than one
    /// thread and a vector fits in a row; false (nothing written) otherwise. y may be x.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool MinMaxRows(ReadOnlySpan<float> x, Span<float> y, int rows, int width) => OnRowBlocks(ColumnKind.MinMaxScale, x, y, rows, width);

    /// <summary>The double form of <see cref="MinMaxRows(ReadOnlySpan{float}, Span{float}, int, int)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool MinMaxRows(ReadOnlySpan<double> x, Span<double> y, int rows, int width) => OnRowBlocks(ColumnKind.MinMaxScale, x, y, rows, width);

    /// <summary>MinMaxScale over row blocks on <paramref name="threads"/> pool threads (see <see cref="OnRowBlocks{T}(ColumnKind, int, ReadOnlySpan{T}, Span{T}, int, int)"/>).</summary>
    internal static bool MinMaxRows<T>(int threads, ReadOnlySpan<T> x, Span<T> y, int rows, int width) where T : unmanaged, IFloatingPointIeee754<T>
        => OnRowBlocks(ColumnKind.MinMaxScale, threads, x, y, rows, width);

    /// <summary>The public entry points' body: the split of <paramref name="kind"/> when the table spreads over more than one pool thread; false (nothing written) otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool OnRowBlocks<T>(ColumnKind kind, ReadOnlySpan<T> x, Span<T> y, int rows, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = RowBlocks(rows);
        int threads = RowScheduler.DegreeOfParallelism(blocks, x.Length / blocks);
        return threads > 1 && OnRowBlocks(kind, threads, x, y, rows, width);
    }

    /// <summary>
    /// MinMaxScale's or Standardize's split on <paramref name="threads"/> pool threads with the widest accelerated vector
    /// that fits a row (the width the column strips pick, so the columns fall into the same vectors); false (nothing
    /// written) when no vector fits, or for Standardize in place.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool OnRowBlocks<T>(ColumnKind kind, int threads, ReadOnlySpan<T> x, Span<T> y, int rows, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (kind == ColumnKind.Standardize && Unsafe.AreSame(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y)))
            return false;
        if (Vector512.IsHardwareAccelerated && width >= Vector512<T>.Count)
            OnRowBlocks<Vec512<T>, Vector512<T>, T>(kind, threads, x, y, rows, width);
        else if (Vector256.IsHardwareAccelerated && width >= Vector256<T>.Count)
            OnRowBlocks<Vec256<T>, Vector256<T>, T>(kind, threads, x, y, rows, width);
        else if (Vector128.IsHardwareAccelerated && width >= Vector128<T>.Count)
            OnRowBlocks<Vec128<T>, Vector128<T>, T>(kind, threads, x, y, rows, width);
        else
            return false;
        return true;
    }

    private static void OnRowBlocks<TOps, TV, T>(ColumnKind kind, int threads, ReadOnlySpan<T> x, Span<T> y, int rows, int width)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (kind == ColumnKind.MinMaxScale) MinMaxRows<TOps, TV, T>(threads, x, y, rows, width);
        else StandardizeRows<TOps, TV, T>(threads, x, y, rows, width);
    }

    private static void MinMaxRows<TOps, TV, T>(int threads, ReadOnlySpan<T> x, Span<T> y, int rows, int width)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = RowBlocks(rows);
        // Per block: the min and max of each column (2·width), then the combined min and range (2·width).
        T[] scratch = ArrayPool<T>.Shared.Rent(2 * width * (blocks + 1));
        try
        {
            Span<T> partials = scratch.AsSpan(0, 2 * width * blocks), bounds = scratch.AsSpan(2 * width * blocks, 2 * width);
            RowScheduler.Run(threads, blocks, new MinMaxBlocks<TOps, TV, T>(rows, width, false), MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(partials));

            // Block 0's, then each later block's in order; hi becomes the range.
            nuint lanes = (nuint)TOps.Count, w = (nuint)width;
            ref T p0 = ref MemoryMarshal.GetReference(partials);
            ref T lo = ref MemoryMarshal.GetReference(bounds);
            ref T hi = ref Unsafe.Add(ref lo, w);
            for (nuint j = 0; j < w; j += lanes)
            {
                nuint at = j + lanes <= w ? j : w - lanes; // the overlapping last vector: its lanes hold the same values twice
                TV l = TOps.Load(ref p0, at), h = TOps.Load(ref p0, w + at);
                for (nuint b = 1; b < (nuint)blocks; b++)
                {
                    l = TOps.Min(l, TOps.Load(ref p0, 2 * w * b + at));
                    h = TOps.Max(h, TOps.Load(ref p0, 2 * w * b + w + at));
                }
                TOps.Store(l, ref lo, at);
                TOps.Store(TOps.Subtract(h, l), ref hi, at);
            }
            RowScheduler.Run(threads, blocks, new MinMaxBlocks<TOps, TV, T>(rows, width, true), MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(bounds), MemoryMarshal.AsBytes(y));
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>One pass of <see cref="MinMaxRows{T}"/> over the row blocks of one pool thread: the blocks' min and max, or the scaled output.</summary>
    private readonly struct MinMaxBlocks<TOps, TV, T>(int rows, int width, bool scale) : IRowKernel
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
        {
            ref T x = ref MemoryMarshal.GetReference(buffers.Get<T>(0));
            ref T data = ref MemoryMarshal.GetReference(buffers.Get<T>(1));
            nuint lanes = (nuint)TOps.Count, w = (nuint)width, full = w / lanes * lanes, last = w - lanes;
            for (int b = firstRow; b < firstRow + rowCount; b++)
            {
                nuint start = (nuint)b * ColumnSumBlock, end = Math.Min((nuint)rows, start + ColumnSumBlock);
                if (scale)
                {
                    ref T y = ref MemoryMarshal.GetReference(buffers.Get<T>(2));
                    ref T hi = ref Unsafe.Add(ref data, w);
                    TV keep = TOps.TailMask(TOps.Count - (int)(w - full));
                    for (nuint r = start; r < end; r++)
                    {
                        ref T row = ref Unsafe.Add(ref x, r * w);
                        ref T output = ref Unsafe.Add(ref y, r * w);
                        for (nuint j = 0; j < full; j += lanes)
                            TOps.Store(ScaleRange<TOps, TV, T>(TOps.Load(ref row, j), TOps.Load(ref data, j), TOps.Load(ref hi, j)), ref output, j);
                        if (full < w)
                        {
                            // Rows are read before they are written, and only the new lanes are stored, so y may be x.
                            TV v = ScaleRange<TOps, TV, T>(TOps.Load(ref row, last), TOps.Load(ref data, last), TOps.Load(ref hi, last));
                            TOps.Store(TOps.Select(keep, v, TOps.Load(ref output, last)), ref output, last);
                        }
                    }
                    continue;
                }
                ref T lo = ref Unsafe.Add(ref data, 2 * w * (nuint)b);
                for (nuint j = 0; j < w; j += lanes)
                {
                    nuint at = j + lanes <= w ? j : last;
                    TV l = TOps.Load(ref x, start * w + at), h = l;
                    for (nuint r = start + 1; r < end; r++)
                    {
                        TV v = TOps.Load(ref x, r * w + at);
                        l = TOps.Min(l, v);
                        h = TOps.Max(h, v);
                    }
                    TOps.Store(l, ref lo, at);
                    TOps.Store(h, ref lo, w + at);
                }
            }
        }
    }
}

// Standardize on a narrow table, out of place: the same row blocks. Each block's per-column moments are exactly those
// of the column strips (ColumnEngine.BlockMoments: its sub-blocks' two passes, two accumulators over pairs of rows,
// merged in order), merged in block order as the strips merge them; the columns are grouped into vectors as the strips group them (the
// widest accelerated vector, the last one overlapping), so a vector whose variance is not finite falls back to the
// double path exactly as there. In place the strips read the overlapping last vector's old lanes after an earlier
// strip wrote them, which this path does not reproduce, so in-place calls keep the strips.
public static partial class TensorBlocks
{
    /// <summary>
    /// Standardize of a (rows × width) table over row blocks on the pool, when that spreads it over more than one
    /// thread, a vector fits in a row and y is not x; false (nothing written) otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool StandardizeRows(ReadOnlySpan<float> x, Span<float> y, int rows, int width) => OnRowBlocks(ColumnKind.Standardize, x, y, rows, width);

    /// <summary>The double form of <see cref="StandardizeRows(ReadOnlySpan{float}, Span{float}, int, int)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool StandardizeRows(ReadOnlySpan<double> x, Span<double> y, int rows, int width) => OnRowBlocks(ColumnKind.Standardize, x, y, rows, width);

    /// <summary>Standardize over row blocks on <paramref name="threads"/> pool threads (see <see cref="OnRowBlocks{T}(ColumnKind, int, ReadOnlySpan{T}, Span{T}, int, int)"/>).</summary>
    internal static bool StandardizeRows<T>(int threads, ReadOnlySpan<T> x, Span<T> y, int rows, int width) where T : unmanaged, IFloatingPointIeee754<T>
        => OnRowBlocks(ColumnKind.Standardize, threads, x, y, rows, width);

    private static void StandardizeRows<TOps, TV, T>(int threads, ReadOnlySpan<T> x, Span<T> y, int rows, int width)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = RowBlocks(rows), lanes = TOps.Count;
        int slots = (width + lanes - 1) / lanes, n = slots * lanes;
        // Per block: two vectors per slot (its moments: mean offset from k, M2); then k, m, rstd per slot and a flag per slot.
        T[] scratch = ArrayPool<T>.Shared.Rent(2 * n * blocks + 3 * n + slots);
        try
        {
            Span<T> partials = scratch.AsSpan(0, 2 * n * blocks), stats = scratch.AsSpan(2 * n * blocks, 3 * n + slots);
            ref T p0 = ref MemoryMarshal.GetReference(partials);
            ref T k = ref MemoryMarshal.GetReference(stats);
            ref T m = ref Unsafe.Add(ref k, n);
            ref T rstd = ref Unsafe.Add(ref k, 2 * n);
            ref T huge = ref Unsafe.Add(ref k, 3 * n);
            ref T x0 = ref MemoryMarshal.GetReference(x);
            nuint w = (nuint)width, L = (nuint)lanes, full = w / L;
            TV count = TOps.Create(T.CreateTruncating((nuint)rows));
            for (nuint s = 0; s < (nuint)slots; s++)
                TOps.Store(TOps.Load(ref x0, s < full ? s * L : w - L), ref k, s * L);

            RowScheduler.Run(threads, blocks, new StandardizeBlocks<TOps, TV, T>(rows, width, 0), MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(partials), MemoryMarshal.AsBytes(stats));
            ref T y0 = ref MemoryMarshal.GetReference(y);
            MergeBlocks<TOps, TV, T>(ref p0, (nuint)n, rows); // into block 0's, as the strips merge them
            for (nuint s = 0; s < (nuint)slots; s++)
            {
                TV variance = ColumnEngine.MomentsVariance<TOps, TV, T>(TOps.Load(ref p0, (nuint)n + s * L), count);
                Unsafe.Add(ref huge, s) = T.Zero;
                if (!ColumnEngine.AllFinite<TOps, TV, T>(variance))
                {
                    // As the strips: this vector's new columns one at a time, in double.
                    Unsafe.Add(ref huge, s) = T.One;
                    nuint at = s < full ? s * L : w - L, first = s < full ? 0 : L - (w - full * L);
                    for (nuint l = first; l < L; l++)
                        StandardizeHugeColumn(ref Unsafe.Add(ref x0, at + l), ref Unsafe.Add(ref y0, at + l), (nuint)rows, w);
                    continue;
                }
                TOps.Store(TOps.Load(ref p0, s * L), ref m, s * L);
                TOps.Store(ColumnEngine.StandardizeRstd<TOps, TV, T>(variance), ref rstd, s * L);
            }

            RowScheduler.Run(threads, blocks, new StandardizeBlocks<TOps, TV, T>(rows, width, 1), MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(stats), MemoryMarshal.AsBytes(y));
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// One pass of <see cref="StandardizeRows{T}"/> over the row blocks of one pool thread: 0, each block's moments (mean
    /// offset from k, M2); 1, the output. Buffers: x, then the partials and the statistics (pass 0) or the statistics and y (pass 1).
    /// </summary>
    private readonly struct StandardizeBlocks<TOps, TV, T>(int rows, int width, int pass) : IRowKernel
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
        {
            ref T x = ref MemoryMarshal.GetReference(buffers.Get<T>(0));
            nuint w = (nuint)width, L = (nuint)TOps.Count, full = w / L, slots = (w + L - 1) / L, n = slots * L;
            ref T stats = ref MemoryMarshal.GetReference(buffers.Get<T>(pass == 1 ? 1 : 2));
            ref T k = ref stats;
            ref T m = ref Unsafe.Add(ref stats, n);
            ref T rstd = ref Unsafe.Add(ref stats, 2 * n);
            ref T huge = ref Unsafe.Add(ref stats, 3 * n);
            for (int b = firstRow; b < firstRow + rowCount; b++)
            {
                nuint start = (nuint)b * ColumnSumBlock, end = Math.Min((nuint)rows, start + ColumnSumBlock), r;
                for (nuint s = 0; s < slots; s++)
                {
                    nuint at = s < full ? s * L : w - L;
                    TV kj = TOps.Load(ref k, s * L);
                    if (pass == 1)
                    {
                        if (Unsafe.Add(ref huge, s) != T.Zero) continue;
                        ref T y = ref MemoryMarshal.GetReference(buffers.Get<T>(2));
                        TV mj = TOps.Load(ref m, s * L), rj = TOps.Load(ref rstd, s * L);
                        TV keep = s < full ? TOps.Zero : TOps.TailMask(TOps.Count - (int)(w - full * L)); // the last vector stores only its new lanes
                        for (r = start; r < end; r++)
                        {
                            TV v = ColumnEngine.Standardized<TOps, TV, T>(ref x, r * w + at, kj, mj, rj);
                            if (s < full) TOps.Store(v, ref y, r * w + at);
                            else TOps.Store(TOps.Select(keep, v, TOps.Load(ref y, r * w + at)), ref y, r * w + at);
                        }
                        continue;
                    }
                    ref T slot = ref Unsafe.Add(ref MemoryMarshal.GetReference(buffers.Get<T>(1)), 2 * n * (nuint)b + s * L);
                    // The column strips' block moments (ColumnEngine.BlockMoments), so the same bits.
                    ColumnEngine.BlockMoments<TOps, TV, T>(ref Unsafe.Add(ref x, at), start, end, w, ColumnEngine.StandardizeSubBlock<T>(w), kj, out TV offset, out TV m2);
                    TOps.Store(offset, ref slot, 0);
                    TOps.Store(m2, ref slot, n);
                }
            }
        }
    }
}
