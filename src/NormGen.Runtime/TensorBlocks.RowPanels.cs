using System;
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormGen;

// Standardize and MinMaxScale on a dense table, split into the fixed row blocks of ColumnSumBlock rows (issue 11): for
// tables of several column ranges on more than one thread (the column ranges read a quarter of each row per unit:
// (100000, 256) floats took 22.6 ms on two threads against 10.0 on one), and for Half tables at two vectors wide and
// more whose slab units would pass 2^20 elements, on any thread count (the Half staging gathered 64-column slices of
// every row: 47.6 ms against float's 10.0).
// Each block is read as the panel reads a table (PanelSubBlock into moments of its own, MinMaxStrips) and keeps its
// moments (or min and max) apart; the calling thread merges them in block order, as the panel merges its blocks (and
// min/max are exact), so every column gets the panel's bits on any thread count. Half
// rows are widened a few at a time into a small float stage for each pass and narrowed once on store: the bits of the
// float kernel on the widened table, rounded once, without widening the table. A float or double table's output pass
// writes each block as the single-thread panel writes the table (MapTable: flat, streaming past the threshold, last row
// first), with the panel's per-column arrays. 2-core AMD EPYC, alternating processes, before the flat output pass:
// (100000, 256) floats on two threads 21.8-22.6 -> 8.4-9.3 ms (Standardize), 10.9-11.2 -> 6.6-7.3 (MinMaxScale); Half on
// one thread 46.7-48.3 -> 22.3-24.0 and 40.1-41.1 -> 15.8-16.0; Half (16000, 256) on two threads 2.2-3.8 -> 1.0 ms.
public static partial class TensorBlocks
{
    /// <summary>
    /// Standardize or MinMaxScale (<typeparamref name="TSpec"/>) of a dense (rows × width) table of <typeparamref name="TX"/>
    /// (float, double, or Half computed in float) on row blocks over <paramref name="threads"/> pool threads, with the
    /// widest accelerated vector of which two fit in a row; false, with nothing written, when none does, or (Half)
    /// when a column's variance is not finite in float (the caller's column path takes those to double).
    /// </summary>
    internal static bool PanelRows<TSpec, TX, T>(int threads, ReadOnlySpan<TX> x, Span<TX> y, int rows, int width)
        where TSpec : struct, IColumnSpec<T> where TX : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated && width >= 2 * Vector512<T>.Count)
            return PanelRows<TSpec, Vec512<T>, Vector512<T>, TX, T>(threads, x, y, rows, width);
        if (Vector256.IsHardwareAccelerated && width >= 2 * Vector256<T>.Count)
            return PanelRows<TSpec, Vec256<T>, Vector256<T>, TX, T>(threads, x, y, rows, width);
        if (Vector128.IsHardwareAccelerated && width >= 2 * Vector128<T>.Count)
            return PanelRows<TSpec, Vec128<T>, Vector128<T>, TX, T>(threads, x, y, rows, width);
        return false;
    }

    /// <summary>
    /// <see cref="PanelRows{TSpec, TX, T}(int, ReadOnlySpan{TX}, Span{TX}, int, int)"/> for one vector width. The scratch,
    /// pinned and on a 64-byte boundary: two sums (or min and max) per slot lane per block, then the statistics
    /// (<see cref="RowPanelBlocks{TSpec, TOps, TV, TX, T}"/>: k, m, rstd per slot lane and a flag per slot, or min and range;
    /// from 4n, row 0 and then a float or double table's per-column arrays for ColumnEngine.MapTable).
    /// </summary>
    private static unsafe bool PanelRows<TSpec, TOps, TV, TX, T>(int threads, ReadOnlySpan<TX> x, Span<TX> y, int rows, int width)
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where TX : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = RowBlocks(rows), lanes = TOps.Count, n = (width + lanes - 1) / lanes * lanes;
        int partials = 2 * n * blocks, statistics = 4 * n + 3 * (width + 2 * lanes); // row 0 (Standardize's shift), then the output pass's per-column arrays, from 4n
        T[] rented = ArrayPool<T>.Shared.Rent(partials + statistics + ScratchSlack<T>());
        try
        {
            fixed (T* pinned = rented)
            {
                var scratch = new Span<T>(Unsafe.AsPointer(ref Aligned64(pinned)), partials + statistics);
                return TSpec.Kind == ColumnKind.MinMaxScale
                    ? MinMaxPanelRows<TSpec, TOps, TV, TX, T>(threads, x, y, rows, width, scratch.Slice(0, partials), scratch.Slice(partials))
                    : StandardizePanelRows<TSpec, TOps, TV, TX, T>(threads, x, y, rows, width, scratch.Slice(0, partials), scratch.Slice(partials));
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }

    /// <summary>MinMaxScale on row blocks: each block's min and max per column, combined in block order, then the scaled output.</summary>
    private static bool MinMaxPanelRows<TSpec, TOps, TV, TX, T>(int threads, ReadOnlySpan<TX> x, Span<TX> y, int rows, int width, Span<T> partials, Span<T> statistics)
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where TX : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = RowBlocks(rows);
        nuint lanes = (nuint)TOps.Count, n = (nuint)partials.Length / 2 / (nuint)blocks;
        RowScheduler.Run(threads, blocks, new RowPanelBlocks<TSpec, TOps, TV, TX, T>(rows, width, RowPanelPass.Bounds), MemoryMarshal.AsBytes(x),
            MemoryMarshal.AsBytes(partials), MemoryMarshal.AsBytes(statistics));
        ref T p0 = ref MemoryMarshal.GetReference(partials);
        ref T lo = ref MemoryMarshal.GetReference(statistics);
        for (nuint j = 0; j < n; j += lanes)
        {
            TV l = TOps.Load(ref p0, j), h = TOps.Load(ref p0, n + j);
            for (nuint b = 1; b < (nuint)blocks; b++)
            {
                l = TOps.Min(l, TOps.Load(ref p0, 2 * n * b + j));
                h = TOps.Max(h, TOps.Load(ref p0, 2 * n * b + n + j));
            }
            TOps.Store(l, ref lo, j);
            TOps.Store(TOps.Subtract(h, l), ref lo, n + j); // the range
        }
        bool mapped = PanelMapArrays<TSpec, TOps, TV, TX, T>(x, y, rows, width, ref lo, n, out bool streaming);
        RowScheduler.Run(threads, blocks, new RowPanelBlocks<TSpec, TOps, TV, TX, T>(rows, width, RowPanelPass.Output, mapped, streaming), MemoryMarshal.AsBytes(x),
            MemoryMarshal.AsBytes(partials), MemoryMarshal.AsBytes(statistics), MemoryMarshal.AsBytes(y));
        return true;
    }

    /// <summary>
    /// Standardize on row blocks: the shift k (row 0), each block's moments (its sub-blocks' two passes, merged), the
    /// blocks' merged in order, the statistics, then the output. A slot whose variance is not finite goes to double one new column at a time, as in
    /// the panel (for Half: false before anything is written).
    /// </summary>
    private static bool StandardizePanelRows<TSpec, TOps, TV, TX, T>(int threads, ReadOnlySpan<TX> x, Span<TX> y, int rows, int width, Span<T> partials, Span<T> statistics)
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where TX : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = RowBlocks(rows);
        nuint lanes = (nuint)TOps.Count, w = (nuint)width, n = (nuint)partials.Length / 2 / (nuint)blocks, last = w - lanes;
        ref T p0 = ref MemoryMarshal.GetReference(partials);
        ref T k = ref MemoryMarshal.GetReference(statistics);
        ref T m = ref Unsafe.Add(ref k, n);
        ref T rstd = ref Unsafe.Add(ref k, 2 * n);
        ref T huge = ref Unsafe.Add(ref k, 3 * n);
        ref T row0 = ref RowAs(x, 0, w, ref Unsafe.Add(ref k, 4 * n));
        TV count = TOps.Create(T.CreateTruncating((nuint)rows));
        for (nuint j = 0; j < n; j += lanes)
            TOps.Store(TOps.Load(ref row0, Column(j, last)), ref k, j);

        ReadOnlySpan<byte> xBytes = MemoryMarshal.AsBytes(x), partialBytes = MemoryMarshal.AsBytes(partials), statisticBytes = MemoryMarshal.AsBytes(statistics);
        bool streamed = typeof(TX) == typeof(T) && ColumnEngine.StreamStatistics(ref Unsafe.As<TX, T>(ref MemoryMarshal.GetReference(x)),
            ref Unsafe.As<TX, T>(ref MemoryMarshal.GetReference(y)), (nuint)rows * w);
        RowScheduler.Run(threads, blocks, new RowPanelBlocks<TSpec, TOps, TV, TX, T>(rows, width, RowPanelPass.Moments, streaming: streamed), xBytes, partialBytes, statisticBytes);
        MergeBlocks<TOps, TV, T>(ref p0, n, rows); // into block 0's, as the panel merges them
        bool anyHuge = false;
        for (nuint j = 0; j < n; j += lanes)
        {
            TV variance = ColumnEngine.MomentsVariance<TOps, TV, T>(TOps.Load(ref p0, n + j), count);
            Unsafe.Add(ref huge, j / lanes) = T.Zero;
            if (!ColumnEngine.AllFinite<TOps, TV, T>(variance))
            {
                if (typeof(TX) != typeof(T)) return false;
                Unsafe.Add(ref huge, j / lanes) = T.One;
                anyHuge = true;
                ref T xs = ref Unsafe.As<TX, T>(ref MemoryMarshal.GetReference(x));
                ref T ys = ref Unsafe.As<TX, T>(ref MemoryMarshal.GetReference(y));
                for (nuint l = j - Column(j, last); l < lanes; l++)
                    StandardizeHugeColumn(ref Unsafe.Add(ref xs, Column(j, last) + l), ref Unsafe.Add(ref ys, Column(j, last) + l), (nuint)rows, w);
                continue;
            }
            TOps.Store(TOps.Load(ref p0, j), ref m, j);
            TOps.Store(ColumnEngine.StandardizeRstd<TOps, TV, T>(variance), ref rstd, j);
        }

        bool streaming = false, mapped = !anyHuge && PanelMapArrays<TSpec, TOps, TV, TX, T>(x, y, rows, width, ref k, n, out streaming);
        RowScheduler.Run(threads, blocks, new RowPanelBlocks<TSpec, TOps, TV, TX, T>(rows, width, RowPanelPass.Output, mapped, streaming), xBytes, partialBytes, statisticBytes,
            MemoryMarshal.AsBytes(y));
        return true;
    }

    /// <summary>
    /// For a float or double table (a Half one narrows its stage instead; false), the output pass's per-column arrays for
    /// ColumnEngine.MapTable from the statistics' slots at <paramref name="slots"/> (MinMaxScale: min, range; Standardize:
    /// k, m, rstd; n apart), laid out from 4n past them as the single-thread panel lays them out (MapArrays): every
    /// block starts a multiple of 1,024 rows into y, a multiple of 64 bytes, so on the same phase as y.
    /// </summary>
    private static bool PanelMapArrays<TSpec, TOps, TV, TX, T>(ReadOnlySpan<TX> x, Span<TX> y, int rows, int width, ref T slots, nuint n, out bool streaming)
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where TX : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        streaming = false;
        if (typeof(TX) != typeof(T)) return false;
        ref T x0 = ref Unsafe.As<TX, T>(ref MemoryMarshal.GetReference(x)), y0 = ref Unsafe.As<TX, T>(ref MemoryMarshal.GetReference(y));
        streaming = ColumnEngine.StreamOutput(ref x0, ref y0, (nuint)rows * (nuint)width); // as the panel: past the threshold, and then last row first
        MapArrays<TOps, TV, T>(ref slots, n, TSpec.Kind == ColumnKind.MinMaxScale ? 2 : 3, (nuint)width, ref Unsafe.Add(ref slots, 4 * n), ref y0, streaming, out _);
        return true;
    }

    /// <summary>What a run of <see cref="RowPanelBlocks{TSpec, TOps, TV, TX, T}"/> does with each block.</summary>
    private enum RowPanelPass
    {
        /// <summary>Standardize: the block's moments (mean offset from k, M2) per slot lane, sub-block by sub-block.</summary>
        Moments,
        /// <summary>MinMaxScale: min and max per slot lane.</summary>
        Bounds,
        /// <summary>The normalized output.</summary>
        Output,
    }

    /// <summary>
    /// One pass of the row-block panel over the blocks of one pool thread. Buffers: x, the per-block partials (two times
    /// n per block), the statistics, and y (output pass). Rows of a float or double table are read where they lie; Half
    /// rows are widened into a stage of a few rows (a multiple of four that divides <see cref="ColumnSumBlock"/>, so each
    /// accumulator gets its rows in the order of a whole block) and, in the output pass, narrowed from it into y.
    /// </summary>
    private readonly struct RowPanelBlocks<TSpec, TOps, TV, TX, T>(int rows, int width, RowPanelPass pass, bool mapped = false, bool streaming = false) : IRowKernel
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where TX : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        public unsafe void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
        {
            nuint lanes = (nuint)TOps.Count, w = (nuint)width, n = (w + lanes - 1) / lanes * lanes;
            nuint stageRows = typeof(TX) == typeof(T) ? ColumnSumBlock : StageRows(w);
            // The thread's own k and sub-block mean m, four accumulators, then the stage, which holds at most the table's
            // rows (a table of few, very wide rows would rent four rows' worth).
            int size = (int)(6 * n + (typeof(TX) == typeof(T) ? 0 : Math.Min(stageRows, (nuint)rows) * w)) + ScratchSlack<T>();
            T[] rented = ArrayPool<T>.Shared.Rent(size);
            fixed (T* pinned = rented)
            {
                ref T k = ref Aligned64(pinned);
                if (pass == RowPanelPass.Moments)
                    MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetReference(buffers.Get<T>(2)), (int)n).CopyTo(MemoryMarshal.CreateSpan(ref k, (int)n));
                for (int b = firstRow; b < firstRow + rowCount; b++)
                    Block(in buffers, (nuint)b, stageRows, ref k, ref Unsafe.Add(ref k, 6 * n));
            }
            ArrayPool<T>.Shared.Return(rented);
        }

        /// <summary>
        /// Block b, <paramref name="stageRows"/> rows at a time: its moments into its partials (the thread's copy of k at
        /// <paramref name="k"/>, then the sub-blocks' m and accumulators), its min and max, or its output.
        /// </summary>
        private void Block(in PinnedBuffers buffers, nuint b, nuint stageRows, ref T k, ref T stage)
        {
            nuint lanes = (nuint)TOps.Count, w = (nuint)width, n = (w + lanes - 1) / lanes * lanes, last = w - lanes;
            nuint start = b * ColumnSumBlock, end = Math.Min((nuint)rows, start + ColumnSumBlock);
            ReadOnlySpan<TX> x = buffers.Get<TX>(0);
            ref T partial = ref Unsafe.Add(ref MemoryMarshal.GetReference(buffers.Get<T>(1)), 2 * n * b);
            ref T statistics = ref MemoryMarshal.GetReference(buffers.Get<T>(2));
            bool streamed = typeof(TX) == typeof(T) && streaming; // Standardize's statistics passes: ColumnEngine.StreamStatistics, decided by the caller
            if (pass == RowPanelPass.Moments)
            {
                // The panel's sub-blocks, merged into the block's moments; Half rows widened a stage at a time, once per pass.
                var source = new StagedRows<TX, T>(x, w, ref stage, stageRows);
                nuint subBlock = ColumnEngine.StandardizeSubBlock<T>(w);
                for (nuint sub = start; sub < end; sub += subBlock)
                    PanelSubBlock<StagedRows<TX, T>, TOps, TV, T>(ref source, sub, Math.Min(subBlock, end - sub), w, n, last, ref k,
                        ref Unsafe.Add(ref k, 2 * n), ref partial, sub - start, streamed);
                return;
            }
            for (nuint sub = start; sub < end; sub += stageRows)
            {
                nuint count = Math.Min(stageRows, end - sub);
                ref T block = ref RowsAs(x, sub, count, w, ref stage);
                switch (pass)
                {
                    case RowPanelPass.Bounds:
                        if (sub == start)
                            for (nuint j = 0; j < n; j += lanes)
                            {
                                TV v = TOps.Load(ref block, Column(j, last));
                                TOps.Store(v, ref partial, j);
                                TOps.Store(v, ref partial, n + j);
                            }
                        MinMaxStrips<TOps, TV, T>(ref block, sub == start ? 1u : 0u, count, w, w, ref partial, ref Unsafe.Add(ref partial, n));
                        break;
                    default:
                        Output(buffers.Get<TX>(3), sub, count, ref block, ref statistics);
                        break;
                }
            }
        }

        /// <summary>
        /// The normalized output of <paramref name="count"/> rows from row <paramref name="first"/>, read from
        /// <paramref name="block"/> (x's rows, or their widened stage): written into y, or into the stage and narrowed.
        /// </summary>
        private void Output(Span<TX> y, nuint first, nuint count, ref T block, ref T statistics)
        {
            nuint lanes = (nuint)TOps.Count, w = (nuint)width, n = (w + lanes - 1) / lanes * lanes;
            ref T output = ref typeof(TX) == typeof(T) ? ref Unsafe.As<TX, T>(ref Unsafe.Add(ref MemoryMarshal.GetReference(y), first * w)) : ref block;
            if (typeof(TX) == typeof(T) && mapped)
            {
                // The block as one flat walk with the panel's arrays (PanelMapArrays), streaming past the threshold as the panel does.
                ref T y0 = ref Unsafe.As<TX, T>(ref MemoryMarshal.GetReference(y));
                ref T a = ref MapParameters(ref Unsafe.Add(ref statistics, 4 * n), ref y0, lanes, w, streaming, out nuint spacing);
                if (TSpec.Kind == ColumnKind.MinMaxScale)
                    ColumnEngine.MapTable<ColumnEngine.ScaleRangeMap<TOps, TV, T>, TOps, TV, T>(ref block, ref output, count * w, w, ref a, ref Unsafe.Add(ref a, spacing),
                        ref Unsafe.Add(ref a, spacing), streaming, reverse: streaming);
                else
                    ColumnEngine.MapTable<ColumnEngine.StandardizeMap<TOps, TV, T>, TOps, TV, T>(ref block, ref output, count * w, w, ref a, ref Unsafe.Add(ref a, spacing),
                        ref Unsafe.Add(ref a, 2 * spacing), streaming, reverse: streaming);
                return;
            }
            TV keep = TOps.TailMask(TOps.Count - (int)(w - w / lanes * lanes));
            if (TSpec.Kind == ColumnKind.MinMaxScale)
                MinMaxRowByRow<TOps, TV, T>(ref block, ref output, count, w, w, ref statistics, ref Unsafe.Add(ref statistics, n));
            else
                ColumnsRowByRow<TSpec, TOps, TV, T>(ref block, ref output, count, w, w, ref statistics, n, ref Unsafe.Add(ref statistics, 3 * n), keep,
                    ref statistics, ref statistics);
            if (typeof(TX) == typeof(Half))
                HalfNarrowing.ToHalf(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, float>(ref block), (int)(count * w)),
                    MemoryMarshal.Cast<TX, Half>(y.Slice((int)(first * w), (int)(count * w))));
        }
    }

    /// <summary>
    /// Rows of a Half table widened per stage: about 32 KiB of float, a power of two from 4 to <see cref="ColumnSumBlock"/>
    /// (so stages start on multiples of four rows within a block and within a statistics sub-block).
    /// </summary>
    private static nuint StageRows(nuint width)
    {
        nuint stageRows = 4;
        while (stageRows < ColumnSumBlock && 2 * stageRows * width * sizeof(float) <= 32768)
            stageRows *= 2;
        return stageRows;
    }

    /// <summary>Row <paramref name="row"/> of a dense table as <typeparamref name="T"/>: where it lies, or (Half) widened into <paramref name="stage"/>.</summary>
    private static ref T RowAs<TX, T>(ReadOnlySpan<TX> x, nuint row, nuint width, ref T stage) where TX : unmanaged where T : unmanaged =>
        ref RowsAs(x, row, 1, width, ref stage);

    /// <summary>
    /// Rows <paramref name="first"/> … first + count − 1 of a dense table as <typeparamref name="T"/>, width apart: where
    /// they lie, or (Half) widened into <paramref name="stage"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref T RowsAs<TX, T>(ReadOnlySpan<TX> x, nuint first, nuint count, nuint width, ref T stage) where TX : unmanaged where T : unmanaged
    {
        if (typeof(TX) == typeof(T))
            return ref Unsafe.As<TX, T>(ref Unsafe.Add(ref MemoryMarshal.GetReference(x), first * width));
        HalfWidening.ToSingle(MemoryMarshal.Cast<TX, Half>(x.Slice((int)(first * width), (int)(count * width))),
            MemoryMarshal.CreateSpan(ref Unsafe.As<T, float>(ref stage), (int)(count * width)));
        return ref stage;
    }
}
