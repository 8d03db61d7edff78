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
    public static bool MinMaxRows(ReadOnlySpan<float> x, Span<float> y, int rows, int width)
    {
        int blocks = RowBlocks(rows);
        int threads = RowScheduler.DegreeOfParallelism(blocks, x.Length / blocks);
        return threads > 1 && MinMaxRows<float>(threads, x, y, rows, width);
    }

    /// <summary>The double form of <see cref="MinMaxRows(ReadOnlySpan{float}, Span{float}, int, int)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool MinMaxRows(ReadOnlySpan<double> x, Span<double> y, int rows, int width)
    {
        int blocks = RowBlocks(rows);
        int threads = RowScheduler.DegreeOfParallelism(blocks, x.Length / blocks);
        return threads > 1 && MinMaxRows<double>(threads, x, y, rows, width);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool MinMaxRows<T>(int threads, ReadOnlySpan<T> x, Span<T> y, int rows, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated && width >= Vector512<T>.Count)
            MinMaxRows<PanelOps512<T>, Vector512<T>, T>(threads, x, y, rows, width);
        else if (Vector256.IsHardwareAccelerated && width >= Vector256<T>.Count)
            MinMaxRows<PanelOps256<T>, Vector256<T>, T>(threads, x, y, rows, width);
        else if (Vector128.IsHardwareAccelerated && width >= Vector128<T>.Count)
            MinMaxRows<PanelOps128<T>, Vector128<T>, T>(threads, x, y, rows, width);
        else
            return false;
        return true;
    }

    private static void MinMaxRows<TOps, TV, T>(int threads, ReadOnlySpan<T> x, Span<T> y, int rows, int width)
        where TOps : IPanelOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
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
        where TOps : IPanelOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
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
                    TV keep = TOps.Tail(w - full);
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
