using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormGen;

// The column kinds' row-by-row panels (issue 11), written once here instead of in every MinMaxScale and Standardize kernel
// file: a wide table is read in memory order, row by row, into per-column accumulators that stay in cache, so a tall
// table streams through once per pass instead of once per column strip (ColumnPanel: Standardize, and ChannelLayerNorm's
// tiles of columns where its strips do not stay in L1; MinMaxPanel). Each panel is one body generic over the
// element type and the operator struct of a vector width (Vec512/256/128, the TensorPrimitives pattern), which the
// JIT specialises per (width, type); ColumnEngine's drivers call them (the per-width public entry points of the
// kernels that called panels directly are gone: no generated code calls them since the column kinds moved there). The
// operations, and their order, are those the generator used to write into each kernel, so the numerics are bitwise
// those of before (bench/NormGen.TensorAB).
public static partial class TensorBlocks
{
    /// <summary>Rows summed per block before the block sums are added, in the column kinds' statistics (channel LayerNorm, Standardize): bounds the rounding error of long columns.</summary>
    public const nuint ColumnSumBlock = 1024;

    // ================================================================ Standardize

    /// <summary>
    /// Standardize or ChannelLayerNorm (<typeparamref name="TSpec"/>) over all <paramref name="columns"/> columns (at
    /// least one vector) of a (rows × columns) panel, rows <paramref name="width"/> apart, row by row: the statistics of
    /// a column strip (<see cref="ColumnEngine"/>'s MomentsChunk) in the same order per column, then the normalized
    /// output (γ and β of the row), and the saved statistics per column. Slot j (a vector of accumulators) covers
    /// columns j … j + L − 1, the last one columns − L … columns − 1 when L does not divide the column count (it overlaps
    /// the slot before it and stores only its new lanes).
    /// </summary>
    internal static unsafe void ColumnPanel<TSpec, TOps, TV, T>(ref T x, ref T y, nuint rows, nuint width, nuint columns,
        ref T gamma, ref T beta, ref T saveMean, ref T saveRstd)
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Per slot lane: the shift k, the mean offset m, four accumulators, a block's moments, the column's; per slot: a
        // flag; then (a dense table's flat output pass) k, m and rstd per column, each extended by one vector and aligned as y.
        nuint lanes = (nuint)TOps.Count, n = (columns + lanes - 1) / lanes * lanes;
        T[] rented = System.Buffers.ArrayPool<T>.Shared.Rent(checked((int)(PanelStatistics * n + Flags(n, lanes) + 3 * (columns + 2 * lanes))) + ScratchSlack<T>());
        fixed (T* scratch = rented)
            ColumnPanel<TSpec, TOps, TV, T>(ref x, ref y, rows, width, columns, ref gamma, ref beta, ref saveMean, ref saveRstd, ref Aligned64(scratch));
        System.Buffers.ArrayPool<T>.Shared.Return(rented);
    }

    /// <summary>
    /// <see cref="ColumnPanel{TSpec, TOps, TV, T}(ref T, ref T, nuint, nuint, nuint, ref T, ref T, ref T, ref T)"/> with
    /// its scratch from <paramref name="k"/>: <see cref="PanelStatistics"/>·n + the flags + 3·(columns + 2L) elements (n
    /// the slots' lanes), pinned and on a 64-byte boundary.
    /// </summary>
    private static void ColumnPanel<TSpec, TOps, TV, T>(ref T x, ref T y, nuint rows, nuint width, nuint columns,
        ref T gamma, ref T beta, ref T saveMean, ref T saveRstd, ref T k)
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint lanes = (nuint)TOps.Count, n = (columns + lanes - 1) / lanes * lanes, last = columns - lanes;
        ref T m = ref Unsafe.Add(ref k, n);
        ref T rstd = ref Unsafe.Add(ref k, 2 * n); // the first block accumulator, once the statistics are done
        ref T huge = ref Unsafe.Add(ref k, PanelStatistics * n);
        TV count = TOps.Create(T.CreateTruncating(rows));
        TV keep = TOps.TailMask(TOps.Count - (int)(columns - columns / lanes * lanes)); // the last slot's new lanes

        for (nuint j = 0; j < n; j += lanes)
            TOps.Store(TOps.Load(ref x, Column(j, last)), ref k, j);
        bool streamed = ColumnEngine.StreamStatistics(ref x, ref y, rows * columns);
        ColumnPanelMoments<TOps, TV, T>(ref x, rows, width, n, last, ref k, ColumnEngine.SubBlockRows<TSpec, T>(width), streamed);

        // The statistics; a slot whose variance is not finite goes to HugeColumn one (new) column at a time, in double.
        ref T offsets = ref Unsafe.Add(ref k, 8 * n);
        ref T m2s = ref Unsafe.Add(ref k, 9 * n);
        bool anyHuge = false;
        for (nuint j = 0; j < n; j += lanes)
        {
            nuint at = Column(j, last);
            TV variance = ColumnEngine.MomentsVariance<TOps, TV, T>(TOps.Load(ref m2s, j), count);
            if (!ColumnEngine.AllFinite<TOps, TV, T>(variance))
            {
                for (nuint l = j - at; l < lanes; l++)
                    ColumnEngine.HugeColumn<TSpec, T>(ref Unsafe.Add(ref x, at + l), ref Unsafe.Add(ref y, at + l), rows, width, ref gamma, ref beta,
                        ref Unsafe.Add(ref saveMean, at + l), ref Unsafe.Add(ref saveRstd, at + l));
                Unsafe.Add(ref huge, j / lanes) = T.One;
                anyHuge = true;
                continue;
            }
            Unsafe.Add(ref huge, j / lanes) = T.Zero;
            TV mean = TOps.Load(ref offsets, j);
            TV r = ColumnEngine.Rstd<TSpec, TOps, TV, T>(variance);
            TOps.Store(mean, ref m, j);
            TOps.Store(r, ref rstd, j);
            if (TSpec.SaveStatistics)
            {
                // Saved for the backward pass: the mean and rstd of each column; the last slot keeps the lanes before it.
                TV slotKeep = at == j ? TOps.AllBitsSet : keep;
                TOps.Store(TOps.Select(slotKeep, TOps.Add(TOps.Load(ref k, j), mean), TOps.Load(ref saveMean, at)), ref saveMean, at);
                TOps.Store(TOps.Select(slotKeep, r, TOps.Load(ref saveRstd, at)), ref saveRstd, at);
            }
        }

        if (TSpec.Kind == ColumnKind.Standardize && width == columns && !anyHuge)
            StandardizeTable<TOps, TV, T>(ref x, ref y, rows, columns, ref k, n, ref Unsafe.Add(ref huge, Flags(n, lanes)));
        else
            ColumnsRowByRow<TSpec, TOps, TV, T>(ref x, ref y, rows, width, columns, ref k, n, ref huge, keep, ref gamma, ref beta);
    }

    /// <summary>
    /// The elements the panel's per-slot flags take: a whole number of vectors, so the flat output pass's per-column
    /// arrays after them start on a vector boundary (StandardizeTable aligns them to y's vectors from there).
    /// </summary>
    private static nuint Flags(nuint n, nuint lanes) => (n / lanes + lanes - 1) / lanes * lanes;

    /// <summary>
    /// ChannelLayerNorm of a (channels × positions) panel, rows <paramref name="width"/> apart, in tiles of about
    /// <see cref="ChannelTileBytes"/> of columns (<see cref="ColumnPanel{TSpec, TOps, TV, T}(ref T, ref T, nuint, nuint, nuint, ref T, ref T, ref T, ref T)"/>
    /// each; the last tile takes what is left, up to two tiles' worth): a tile's rows stay in cache between its passes
    /// and its accumulators in L1, where the column strips read each channel's line a whole row apart.
    /// </summary>
    internal static void ChannelTiles<TSpec, TOps, TV, T>(ref T x, ref T y, nuint rows, nuint width, nuint columns,
        ref T gamma, ref T beta, ref T saveMean, ref T saveRstd)
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint tile = (nuint)(ChannelTileBytes / Unsafe.SizeOf<T>());
        for (nuint c = 0, count; c < columns; c += count)
        {
            count = columns - c <= 2 * tile ? columns - c : tile;
            ColumnPanel<TSpec, TOps, TV, T>(ref Unsafe.Add(ref x, c), ref Unsafe.Add(ref y, c), rows, width, count, ref gamma, ref beta,
                ref TSpec.SaveStatistics ? ref Unsafe.Add(ref saveMean, c) : ref saveMean, ref TSpec.SaveStatistics ? ref Unsafe.Add(ref saveRstd, c) : ref saveRstd);
        }
    }

    /// <summary>
    /// The columns of a tile of <see cref="ChannelTiles{TSpec, TOps, TV, T}"/>, in bytes of a row (512 floats): one thread,
    /// (1, 48, 256, 256) floats 1.10 ms a call in tiles of 2 KiB, 1.21 in 4 KiB, 1.31 in 8 KiB; (1, 192, 64, 64) 139, 168
    /// and 240 µs.
    /// </summary>
    private const int ChannelTileBytes = 2048;

    /// <summary>Where slot j of a panel of <c>last</c> + L columns starts: j, or the overlapping last vector at <paramref name="last"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint Column(nuint j, nuint last) => j < last ? j : last;

    /// <summary>
    /// The output pass of a panel of a wider table, of ChannelLayerNorm (γ and β of the row), or with a column computed
    /// in double (those slots' <paramref name="huge"/> flag set: HugeColumn wrote them), row by row: rows are read before
    /// they are written, so y may be x, and the overlapping last slot stores only its new lanes (<paramref name="keep"/>).
    /// k, m and rstd per slot lane lie n apart.
    /// </summary>
    private static void ColumnsRowByRow<TSpec, TOps, TV, T>(ref T x, ref T y, nuint rows, nuint width, nuint columns, ref T k, nuint n, ref T huge, TV keep,
        ref T gamma, ref T beta)
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint lanes = (nuint)TOps.Count, full = columns / lanes * lanes, last = columns - lanes;
        ref T m = ref Unsafe.Add(ref k, n);
        ref T rstd = ref Unsafe.Add(ref k, 2 * n);
        for (nuint r = 0; r < rows; r++)
        {
            ref T xr = ref Unsafe.Add(ref x, r * width);
            ref T yr = ref Unsafe.Add(ref y, r * width);
            for (nuint j = 0; j < full; j += lanes)
                if (Unsafe.Add(ref huge, j / lanes) == T.Zero)
                    TOps.Store(ColumnEngine.Normalize<TSpec, TOps, TV, T>(ref xr, j, TOps.Load(ref k, j), TOps.Load(ref m, j), TOps.Load(ref rstd, j), ref gamma, ref beta, r), ref yr, j);
            if (full < n && Unsafe.Add(ref huge, full / lanes) == T.Zero)
            {
                TV v = ColumnEngine.Normalize<TSpec, TOps, TV, T>(ref xr, last, TOps.Load(ref k, full), TOps.Load(ref m, full), TOps.Load(ref rstd, full), ref gamma, ref beta, r);
                TOps.Store(TOps.Select(keep, v, TOps.Load(ref yr, last)), ref yr, last);
            }
        }
    }

    /// <summary>
    /// Standardize's pass 3 on a dense table, as one flat array (ColumnEngine.MapTable, as MinMaxScale's): past the cache
    /// last row first, so it starts on the rows pass 2 left in cache, and with streaming stores; each element gets the
    /// operations of the row walk. k, m and rstd per slot lane lie n apart from <paramref name="k"/>; they are laid out
    /// per column in <paramref name="scratch"/> (room for three arrays of columns + 2 vectors) by MapArrays, as
    /// MinMaxScale's minimum and range.
    /// </summary>
    private static void StandardizeTable<TOps, TV, T>(ref T x, ref T y, nuint rows, nuint columns, ref T k, nuint n, ref T scratch)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool streaming = ColumnEngine.StreamOutput(ref x, ref y, rows * columns);
        ref T shift = ref MapArrays<TOps, TV, T>(ref k, n, 3, columns, ref scratch, ref y, streaming, out nuint spacing);
        ref T offset = ref Unsafe.Add(ref shift, spacing);
        ref T scale = ref Unsafe.Add(ref offset, spacing);
        ColumnEngine.MapTable<ColumnEngine.StandardizeMap<TOps, TV, T>, TOps, TV, T>(ref x, ref y, rows * columns, columns, ref shift, ref offset, ref scale,
            streaming, reverse: streaming);
    }

    /// <summary>
    /// Where a dense table's per-column parameter arrays for ColumnEngine.MapTable start in <paramref name="scratch"/> (on
    /// a vector boundary): where y's first aligned vector falls, so with whole vectors per row every load of them is
    /// aligned; the next ones follow <paramref name="spacing"/> apart, a whole number of vectors, so they share its phase.
    /// Each needs columns + one vector; for k arrays, scratch holds k·(columns + 2L) elements.
    /// </summary>
    private static ref T MapParameters<T>(ref T scratch, ref T y, nuint lanes, nuint columns, bool streaming, out nuint spacing) where T : unmanaged
    {
        nuint phase = ColumnEngine.MapStart(ref y, lanes, streaming) % columns % lanes;
        spacing = (columns + 2 * lanes - 1) / lanes * lanes;
        return ref Unsafe.Add(ref scratch, (lanes - phase) % lanes);
    }

    /// <summary>
    /// The per-column arrays ColumnEngine.MapTable reads, from <paramref name="arrays"/> rows of a panel's slots n apart
    /// from <paramref name="slots"/> (MinMaxScale: minimum, range; Standardize: k, m, rstd), laid out in
    /// <paramref name="scratch"/> where <see cref="MapParameters"/> puts them; returns the first, the others
    /// <paramref name="spacing"/> apart. Written once for the single-thread panels and the row blocks (TensorBlocks.RowPanels).
    /// </summary>
    private static ref T MapArrays<TOps, TV, T>(ref T slots, nuint n, int arrays, nuint columns, ref T scratch, ref T y, bool streaming, out nuint spacing)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T first = ref MapParameters(ref scratch, ref y, (nuint)TOps.Count, columns, streaming, out spacing);
        for (int i = 0; i < arrays; i++)
            PerColumn<TOps, TV, T>(ref Unsafe.Add(ref slots, (nuint)i * n), n, columns, ref Unsafe.Add(ref first, (nuint)i * spacing));
        return ref first;
    }

    /// <summary>
    /// One parameter per column for ColumnEngine.MapTable from a panel's slots (n lanes from <paramref name="slots"/>; slot
    /// j at column <see cref="Column"/>(j, columns − L), the overlapping last slot's shared lanes the bits of the slot
    /// before it), then one vector past the last column: the first columns again, for a vector that spans two rows.
    /// </summary>
    private static void PerColumn<TOps, TV, T>(ref T slots, nuint n, nuint columns, ref T perColumn)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint lanes = (nuint)TOps.Count, last = columns - lanes;
        for (nuint j = 0; j < n; j += lanes)
            TOps.Store(TOps.Load(ref slots, j), ref perColumn, Column(j, last));
        TOps.Store(TOps.Load(ref perColumn, 0), ref perColumn, columns);
    }

    /// <summary>
    /// Runs <paramref name="panel"/> with a scratch of <paramref name="size"/> elements (from the stack up to 1,024, else
    /// pooled), pinned for the call and starting on a 64-byte boundary; a and b are the panel's own two sizes.
    /// </summary>
    private static unsafe void WithScratch<T>(int size, delegate*<ref T, ref T, nuint, nuint, nuint, ref T, void> panel, ref T x, ref T y, nuint rows, nuint a, nuint b)
        where T : unmanaged
    {
        size += ScratchSlack<T>();
        T[]? rented = size <= 1024 ? null : System.Buffers.ArrayPool<T>.Shared.Rent(size);
        Span<T> buffer = rented is null ? stackalloc T[1024] : rented;
        fixed (T* scratch = buffer)
            panel(ref x, ref y, rows, a, b, ref Aligned64(scratch));
        if (rented is not null)
            System.Buffers.ArrayPool<T>.Shared.Return(rented);
    }

    /// <summary>
    /// Elements of slack that let a panel's scratch start on a 64-byte boundary (<see cref="Aligned64{T}(T*)"/>): its
    /// per-column arrays are loaded and stored once per vector of x, and a vector that splits two cache lines costs
    /// about a third of the row-at-a-time statistics passes' time ((100000, 256) floats, passes 1 and 2: 8.4 ms aligned
    /// against 11.0 ms 16 bytes off).
    /// </summary>
    private static int ScratchSlack<T>() where T : unmanaged => 64 / Unsafe.SizeOf<T>();

    /// <summary>The first element of a pinned scratch buffer that lies on a 64-byte boundary.</summary>
    private static unsafe ref T Aligned64<T>(T* scratch) where T : unmanaged =>
        ref Unsafe.AsRef<T>(scratch + StreamingStore.ElementsToAlignment(ref Unsafe.AsRef<T>(scratch), ScratchSlack<T>()));

    /// <summary>
    /// Elements of a panel's scratch before its per-slot flags, per slot lane: k, m, four accumulators, a block's
    /// moments (offset, M2), the column's moments (offset, M2).
    /// </summary>
    private const nuint PanelStatistics = 10;

    /// <summary>
    /// The moments of every column of a panel (ColumnEngine's statistics, written there), row by row with the
    /// accumulators in memory: each block of <see cref="ColumnSumBlock"/> rows sub-block by sub-block
    /// (<see cref="PanelSubBlock{TRows, TOps, TV, T}"/>, its moments at 6n and 7n past k), the blocks merged in order into the
    /// column's offset and M2 at 8n and 9n (<see cref="MergeSlots{TOps, TV, T}"/>). m (n past k) and the accumulators
    /// (2n … 5n) are the sub-blocks' own.
    /// </summary>
    private static void ColumnPanelMoments<TOps, TV, T>(ref T x, nuint rows, nuint width, nuint n, nuint last, ref T k, nuint subBlock, bool streamed)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T block = ref Unsafe.Add(ref k, 6 * n);
        ref T total = ref Unsafe.Add(ref k, 8 * n);
        var source = new TableRows<T>(ref x, width);
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (nuint sub = start; sub < end; sub += subBlock)
                PanelSubBlock<TableRows<T>, TOps, TV, T>(ref source, sub, end - sub > subBlock ? subBlock : end - sub, width, n, last, ref k,
                    ref Unsafe.Add(ref k, 2 * n), ref block, sub - start, streamed);
            MergeSlots<TOps, TV, T>(ref total, ref block, n, start, end - start);
        }
    }

    /// <summary>
    /// How far ahead, in bytes, a Standardize panel past the cache prefetches x when its sub-blocks' first pass reads it
    /// from memory one row at a time (<see cref="PanelSubBlock{TRows, TOps, TV, T}"/>). (100000, 256) floats, one thread,
    /// whole call, 2-core AMD EPYC (Zen 5), three rounds of table mode, when both passes read x from memory: 9.1-9.6 ms at
    /// 8 KiB, 9.3-9.8 at 16 KiB, 9.8-10.2 at 4 KiB, 10.5-11.0 at 2 KiB.
    /// </summary>
    private const nuint StatisticsPrefetchBytes = 8192;

    /// <summary>Where a panel's statistics sub-block reads its rows (<see cref="PanelSubBlock{TRows, TOps, TV, T}"/>).</summary>
    internal interface IPanelRows<T> where T : unmanaged
    {
        /// <summary>The most rows one call of <see cref="Rows"/> gives: a multiple of four.</summary>
        nuint Chunk { get; }

        /// <summary>Rows first … first + count − 1 of the table (count ≤ <see cref="Chunk"/>), a row's width apart.</summary>
        ref T Rows(nuint first, nuint count);
    }

    /// <summary>A float or double table's rows, where they lie.</summary>
    internal readonly ref struct TableRows<T> : IPanelRows<T> where T : unmanaged
    {
        private readonly ref T _x;
        private readonly nuint _width;

        /// <summary>The rows of the table at <paramref name="x"/>, <paramref name="width"/> apart.</summary>
        public TableRows(ref T x, nuint width)
        {
            _x = ref x;
            _width = width;
        }

        public nuint Chunk => nuint.MaxValue;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ref T Rows(nuint first, nuint count) => ref Unsafe.Add(ref _x, first * _width);
    }

    /// <summary>
    /// A table's rows as <typeparamref name="T"/>: where they lie (TX is T), or (Half) widened into a stage of
    /// <see cref="Chunk"/> rows at each call (<see cref="RowsAs{TX, T}"/>), so a sub-block's two passes widen its rows twice
    /// instead of holding them all.
    /// </summary>
    internal readonly ref struct StagedRows<TX, T> : IPanelRows<T> where TX : unmanaged where T : unmanaged
    {
        private readonly ReadOnlySpan<TX> _x;
        private readonly ref T _stage;
        private readonly nuint _width, _chunk;

        /// <summary>The rows of <paramref name="x"/>, <paramref name="width"/> apart, widened <paramref name="chunk"/> rows at a time into <paramref name="stage"/>.</summary>
        public StagedRows(ReadOnlySpan<TX> x, nuint width, ref T stage, nuint chunk)
        {
            _x = x;
            _width = width;
            _stage = ref stage;
            _chunk = typeof(TX) == typeof(T) ? nuint.MaxValue : chunk;
        }

        public nuint Chunk => _chunk;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ref T Rows(nuint first, nuint count) => ref RowsAs(_x, first, count, _width, ref _stage);
    }

    /// <summary>
    /// One statistics sub-block of a panel (<paramref name="count"/> rows from row <paramref name="first"/> of
    /// <paramref name="source"/>) by ColumnEngine's statistics: the block's first (<paramref name="before"/> = 0) by its two
    /// passes back to back, Σ(x − k) into the accumulators at <paramref name="accumulators"/> (even rows at 0, odd rows
    /// at n), its mean offset into m (n past k), then Σd² and Σd (even rows at 0 and 2n, odd rows at n and 3n); a later
    /// one predicted, the second pass alone around the block's offset so far (copied into m). Its moments
    /// (ColumnEngine.SubBlockMoments) go into the block's at <paramref name="moments"/> (offset, M2 n apart), merged
    /// after the <paramref name="before"/> rows it already holds. Each pass: see <see cref="PanelPass{TPass, TRows, TOps, TV, T}"/>.
    /// </summary>
    private static void PanelSubBlock<TRows, TOps, TV, T>(scoped ref TRows source, nuint first, nuint count, nuint width, nuint n, nuint last, ref T k,
        ref T accumulators, ref T moments, nuint before, bool streamed)
        where TRows : IPanelRows<T>, allows ref struct
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint lanes = (nuint)TOps.Count, j;
        ref T m = ref Unsafe.Add(ref k, n);
        ref T even = ref accumulators;
        ref T odd = ref Unsafe.Add(ref accumulators, n);
        ref T m2 = ref Unsafe.Add(ref moments, n);
        TV size = TOps.Create(T.CreateTruncating(count));
        ColumnEngine.MergeWeights<T>(before, count, out T shareT, out T crossT);
        TV share = TOps.Create(shareT), cross = TOps.Create(crossT);

        if (before == 0 || ColumnEngine.s_predictionMode != 0)
        {
            // The block's first sub-block: its two passes.
            PanelPass<ShiftedSumPass<TOps, TV, T>, TRows, TOps, TV, T>(ref source, first, count, width, n, last, ref k, ref even, ref odd, streamed);
            for (j = 0; j < n; j += lanes)
                TOps.Store(TOps.Divide(TOps.Add(TOps.Load(ref even, j), TOps.Load(ref odd, j)), size), ref m, j);
            PanelPass<DeviationsPass<TOps, TV, T>, TRows, TOps, TV, T>(ref source, first, count, width, n, last, ref k, ref even, ref odd, streamed: false);
        }
        else
        {
            // A later one, predicted (ColumnEngine.BlockMoments): the second pass alone, around the block's offset so far,
            // reading the rows from memory as pass 1 does.
            for (j = 0; j < n; j += lanes)
                TOps.Store(TOps.Load(ref moments, j), ref m, j);
            PanelPass<DeviationsPass<TOps, TV, T>, TRows, TOps, TV, T>(ref source, first, count, width, n, last, ref k, ref even, ref odd, streamed);
        }

        for (j = 0; j < n; j += lanes)
        {
            ColumnEngine.SubBlockMoments<TOps, TV, T>(TOps.Load(ref m, j), TOps.Add(TOps.Load(ref even, j), TOps.Load(ref odd, j)),
                TOps.Add(TOps.Load(ref even, 2 * n + j), TOps.Load(ref odd, 2 * n + j)), size, out TV offset, out TV subM2);
            if (before != 0)
            {
                TV blockOffset = TOps.Load(ref moments, j), blockM2 = TOps.Load(ref m2, j);
                ColumnEngine.Merge<TOps, TV, T>(ref blockOffset, ref blockM2, offset, subM2, share, cross);
                (offset, subM2) = (blockOffset, blockM2);
            }
            TOps.Store(offset, ref moments, j);
            TOps.Store(subM2, ref m2, j);
        }
    }

    /// <summary>
    /// One pass of <see cref="PanelSubBlock{TRows, TOps, TV, T}"/> over its rows into the accumulators (cleared first):
    /// four rows per load of the accumulators from the cache, or, for the pass that first reads a table past the cache
    /// (<paramref name="streamed"/>), one row at a time with x prefetched ahead: four rows read four streams of lines at
    /// once, which the hardware prefetcher follows worse than one. Both give each accumulator its rows in order, as
    /// ColumnEngine.BlockSums does in registers, whatever the source's chunks (multiples of four rows).
    /// </summary>
    private static void PanelPass<TPass, TRows, TOps, TV, T>(scoped ref TRows source, nuint first, nuint count, nuint width, nuint n, nuint last, ref T k,
        ref T even, ref T odd, bool streamed)
        where TPass : IColumnPass<TOps, TV, T> where TRows : IPanelRows<T>, allows ref struct
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint ahead = streamed ? StatisticsPrefetchBytes / (nuint)Unsafe.SizeOf<T>() : 0;
        ClearSums<TPass, TOps, TV, T>(ref even, ref Unsafe.Add(ref even, 2 * n), n);
        ClearSums<TPass, TOps, TV, T>(ref odd, ref Unsafe.Add(ref odd, 2 * n), n);
        for (nuint c = 0, chunk; c < count; c += chunk)
        {
            chunk = Math.Min(source.Chunk, count - c);
            ref T rows = ref source.Rows(first + c, chunk);
            nuint r = streamed ? 0 : ColumnPanelFourRows<TPass, TOps, TV, T>(ref rows, 0, chunk, width, n, last, ref k, ref even, ref odd);
            for (; r < chunk; r++)
            {
                ref T xr = ref Unsafe.Add(ref rows, r * width);
                PrefetchRow<T>(ref xr, ahead, n);
                ColumnPanelRow<TPass, TOps, TV, T>(ref xr, n, last, ref k, ref r % 2 == 0 ? ref even : ref odd);
            }
        }
    }

    /// <summary>
    /// The row splits' merge (TensorBlocks.StandardizeRows, StandardizePanelRows): the moments each block of
    /// <see cref="ColumnSumBlock"/> rows handed back (offset, M2 n apart, 2n per block from <paramref name="partials"/>)
    /// merged in block order into block 0's, as one thread merges its blocks.
    /// </summary>
    internal static void MergeBlocks<TOps, TV, T>(ref T partials, nuint n, int rows)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (nuint b = 1, blocks = (nuint)RowBlocks(rows); b < blocks; b++)
            MergeSlots<TOps, TV, T>(ref partials, ref Unsafe.Add(ref partials, 2 * n * b), n, b * ColumnSumBlock, Math.Min((nuint)rows - b * ColumnSumBlock, ColumnSumBlock));
    }

    /// <summary>
    /// Merges the moments of <paramref name="added"/> rows at <paramref name="moments"/> (offset, M2 n apart, per slot
    /// lane) into those at <paramref name="into"/> after the <paramref name="before"/> rows they hold (ColumnEngine.Merge),
    /// or copies them when <paramref name="before"/> is 0.
    /// </summary>
    internal static void MergeSlots<TOps, TV, T>(ref T into, ref T moments, nuint n, nuint before, nuint added)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        ColumnEngine.MergeWeights<T>(before, added, out T shareT, out T crossT);
        TV share = TOps.Create(shareT), cross = TOps.Create(crossT);
        for (nuint j = 0; j < n; j += (nuint)TOps.Count)
        {
            TV offset = TOps.Load(ref moments, j), m2 = TOps.Load(ref moments, n + j);
            if (before != 0)
            {
                TV intoOffset = TOps.Load(ref into, j), intoM2 = TOps.Load(ref into, n + j);
                ColumnEngine.Merge<TOps, TV, T>(ref intoOffset, ref intoM2, offset, m2, share, cross);
                (offset, m2) = (intoOffset, intoM2);
            }
            TOps.Store(offset, ref into, j);
            TOps.Store(m2, ref into, n + j);
        }
    }

    /// <summary>
    /// The rows start … of one block of <see cref="PanelSubBlock{TRows, TOps, TV, T}"/>, four at a time while
    /// four remain before <paramref name="end"/>, two per load of the accumulators: rows 0 and 2 of each four into the
    /// even ones, 1 and 3 into the odd ones (each pass's sum i at 2i·n past <paramref name="even"/> and
    /// <paramref name="odd"/>); returns the first row left. Here and in <see cref="ColumnPanelRow{TPass, TOps, TV, T}"/>
    /// not inlined: inside the pass, around the other's call or beside its loop, the JIT kept the accumulators' addresses
    /// on the stack and reloaded them in the loop (double (2000, 300): 0.81-0.97 of eba5bfa against 0.67-0.74 before).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nuint ColumnPanelFourRows<TPass, TOps, TV, T>(ref T x, nuint start, nuint end, nuint width, nuint n, nuint last, ref T k, ref T even, ref T odd)
        where TPass : IColumnPass<TOps, TV, T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T m = ref Unsafe.Add(ref k, n);
        ref T even1 = ref Unsafe.Add(ref even, 2 * n);
        ref T odd1 = ref Unsafe.Add(ref odd, 2 * n);
        nuint r;
        for (r = start; r + 4 <= end; r += 4)
        {
            ref T x0 = ref Unsafe.Add(ref x, r * width);
            for (nuint j = 0; j < n; j += (nuint)TOps.Count)
            {
                TV kj = TOps.Load(ref k, j), mj = TPass.Sums == 2 ? TOps.Load(ref m, j) : TOps.Zero;
                TV e0 = TOps.Load(ref even, j), o0 = TOps.Load(ref odd, j);
                TV e1 = TPass.Sums == 2 ? TOps.Load(ref even1, j) : TOps.Zero, o1 = TPass.Sums == 2 ? TOps.Load(ref odd1, j) : TOps.Zero;
                nuint at = Column(j, last);
                TPass.Add(ref x0, at, kj, mj, ref e0, ref e1);
                TPass.Add(ref x0, at + width, kj, mj, ref o0, ref o1);
                TPass.Add(ref x0, at + 2 * width, kj, mj, ref e0, ref e1);
                TPass.Add(ref x0, at + 3 * width, kj, mj, ref o0, ref o1);
                StoreSums<TPass, TOps, TV, T>(e0, e1, ref even, ref even1, j);
                StoreSums<TPass, TOps, TV, T>(o0, o1, ref odd, ref odd1, j);
            }
        }
        return r;
    }

    /// <summary>One row of <see cref="PanelSubBlock{TRows, TOps, TV, T}"/> into the accumulators of its parity (sum i at 2i·n past <paramref name="sums"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ColumnPanelRow<TPass, TOps, TV, T>(ref T xr, nuint n, nuint last, ref T k, ref T sums)
        where TPass : IColumnPass<TOps, TV, T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T m = ref Unsafe.Add(ref k, n);
        ref T sums1 = ref Unsafe.Add(ref sums, 2 * n);
        for (nuint j = 0; j < n; j += (nuint)TOps.Count)
        {
            TV s0 = TOps.Load(ref sums, j), s1 = TPass.Sums == 2 ? TOps.Load(ref sums1, j) : TOps.Zero;
            TPass.Add(ref xr, Column(j, last), TOps.Load(ref k, j), TPass.Sums == 2 ? TOps.Load(ref m, j) : TOps.Zero, ref s0, ref s1);
            StoreSums<TPass, TOps, TV, T>(s0, s1, ref sums, ref sums1, j);
        }
    }

    /// <summary>Zeroes the n elements of the pass's sums at <paramref name="sum0"/> (and <paramref name="sum1"/> when it keeps two).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ClearSums<TPass, TOps, TV, T>(ref T sum0, ref T sum1, nuint n)
        where TPass : IColumnPass<TOps, TV, T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (nuint j = 0; j < n; j += (nuint)TOps.Count)
            StoreSums<TPass, TOps, TV, T>(TOps.Zero, TOps.Zero, ref sum0, ref sum1, j);
    }

    /// <summary>Stores <paramref name="value0"/> at j past <paramref name="sum0"/>, and <paramref name="value1"/> past <paramref name="sum1"/> when the pass keeps two sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSums<TPass, TOps, TV, T>(TV value0, TV value1, ref T sum0, ref T sum1, nuint j)
        where TPass : IColumnPass<TOps, TV, T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        TOps.Store(value0, ref sum0, j);
        if (TPass.Sums == 2)
            TOps.Store(value1, ref sum1, j);
    }

    /// <summary>
    /// Prefetches the cache lines of the n elements <paramref name="ahead"/> elements past <paramref name="row"/>, one
    /// per 64 bytes (none when <paramref name="ahead"/> is 0). A prefetch past the end of x does not fault.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRow<T>(ref T row, nuint ahead, nuint n) where T : unmanaged
    {
        if (ahead == 0) return;
        for (nuint j = 0; j < n; j += 64 / (nuint)Unsafe.SizeOf<T>())
            StreamingStore.Prefetch(ref row, ahead + j);
    }

    /// <summary>
    /// One column (rows, stride apart) whose squared deviations overflow <typeparamref name="T"/>, in double on x·2⁻ᵏ,
    /// 2ᵏ ≥ max|x|; a column holding NaN or ±∞ gives NaN, as on the common path. Rows are read before they are written.
    /// </summary>
    private static void StandardizeHugeColumn<T>(ref T x, ref T y, nuint rows, nuint stride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool finite = typeof(T) == typeof(float)
            ? HugeStatistics(ref Unsafe.As<T, float>(ref x), (nint)rows, 1, (nint)stride, out double scale, out double mean, out double variance)
            : HugeStatistics(ref Unsafe.As<T, double>(ref x), (nint)rows, 1, (nint)stride, out scale, out mean, out variance);
        if (!finite)
        {
            for (nuint r = 0; r < rows; r++)
                Unsafe.Add(ref y, r * stride) = T.NaN;
            return;
        }
        double rstd = variance == 0d ? 0d : 1d / Math.Sqrt(variance);
        for (nuint r = 0; r < rows; r++)
            Unsafe.Add(ref y, r * stride) = T.CreateTruncating((double.CreateTruncating(Unsafe.Add(ref x, r * stride)) * scale - mean) * rstd);
    }

    // ================================================================ MinMaxScale

    /// <summary>
    /// All columns of a (rows × width) panel, rows stride apart, one vector of neighbouring columns at a time, width ≥ 4
    /// vectors: MinMaxScale's per column min and max, then (x − min) / (max − min), both passes row by row.
    /// </summary>
    internal static unsafe void MinMaxPanel<TOps, TV, T>(ref T x, ref T y, nuint rows, nuint width, nuint stride)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        // lo and hi per slot, then (a dense table's flat output pass) min and range per column, extended by one vector.
        nuint lanes = (nuint)TOps.Count, slots = (width + lanes - 1) / lanes;
        WithScratch(checked((int)(2 * slots * lanes + lanes + 2 * (width + 2 * lanes))), &MinMaxPanel<TOps, TV, T>, ref x, ref y, rows, width, stride);
    }

    /// <summary>
    /// <see cref="MinMaxPanel{TOps, TV, T}(ref T, ref T, nuint, nuint, nuint)"/> with its scratch from <paramref name="lo"/>:
    /// 2·slots·L + L + 2·(width + 2L) elements, pinned and on a 64-byte boundary.
    /// </summary>
    private static void MinMaxPanel<TOps, TV, T>(ref T x, ref T y, nuint rows, nuint width, nuint stride, ref T lo)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Vector j covers columns j·L … j·L + L − 1; when L does not divide width, one more vector covers the last L
        // columns (it overlaps the one before it) and stores only its new lanes. Its accumulators get their own slot.
        nuint lanes = (nuint)TOps.Count;
        nuint full = width / lanes;
        nuint slots = full + (width % lanes != 0 ? 1u : 0u);
        nuint last = width - lanes;
        nuint n = slots * lanes;
        ref T hi = ref Unsafe.Add(ref lo, n);

        // Pass 1: min and max. They propagate NaN (IEEE 754-2019 minimum/maximum), so a NaN poisons its own column only.
        for (nuint j = 0; j < slots; j++)
        {
            TV v = TOps.Load(ref x, j < full ? j * lanes : last);
            TOps.Store(v, ref lo, j * lanes);
            TOps.Store(v, ref hi, j * lanes);
        }
        // Rows 1 … rows − 1 in blocks of a few rows, each block a strip of four vectors at a time with their min and max
        // in registers (MinMaxStrips): the accumulators are loaded and stored once per block instead of once per row.
        // Every column still sees its rows in order, so the results (NaN payloads included) are those of a row-by-row walk.
        MinMaxStrips<TOps, TV, T>(ref x, 1, rows, width, stride, ref lo, ref hi);
        for (nuint j = 0; j < slots; j++) // hi becomes the range
            TOps.Store(TOps.Subtract(TOps.Load(ref hi, j * lanes), TOps.Load(ref lo, j * lanes)), ref hi, j * lanes);

        // Pass 2: (x − min) / range, a constant column (range 0) giving 0 rather than 0 / 0. A dense table: as one flat
        // array; past the cache last row first (pass 1 left those in cache) and with streaming stores (ColumnEngine.MapTable).
        if (stride == width)
        {
            bool streaming = ColumnEngine.StreamOutput(ref x, ref y, rows * width);
            // The per-column parameters laid out for MapTable (MapParameters): loads that split cache lines cost 10% of the
            // whole call at (100000, 256) floats (7.2-7.9 ms against 8.0-9.0). hi (now the range) lies n past lo.
            ref T minimum = ref MapArrays<TOps, TV, T>(ref lo, n, 2, width, ref Unsafe.Add(ref lo, 2 * n), ref y, streaming, out nuint spacing);
            ref T range = ref Unsafe.Add(ref minimum, spacing);
            ColumnEngine.MapTable<ColumnEngine.ScaleRangeMap<TOps, TV, T>, TOps, TV, T>(ref x, ref y, rows * width, width, ref minimum, ref range, ref range,
                streaming, reverse: streaming);
        }
        else
            MinMaxRowByRow<TOps, TV, T>(ref x, ref y, rows, width, stride, ref lo, ref hi);
    }

    /// <summary>Rows per block of <see cref="MinMaxStrips{TOps, TV, T}"/>: the distance, in rows, at which it prefetches.</summary>
    private const nuint MinMaxBlockRows = 8;

    /// <summary>
    /// MinMaxScale's pass 1 over rows <paramref name="first"/> … rows − 1 of a (rows × width) panel, rows stride apart, into
    /// the min and max of each slot (<paramref name="lo"/>, <paramref name="hi"/>, holding those of the rows before): per block of <see cref="MinMaxBlockRows"/>
    /// rows, strips of four vectors (then single vectors) whose min and max stay in registers for the whole block,
    /// each row's strip prefetched one block ahead. A column sees its rows in order.
    /// </summary>
    private static void MinMaxStrips<TOps, TV, T>(ref T x, nuint first, nuint rows, nuint width, nuint stride, ref T lo, ref T hi)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint lanes = (nuint)TOps.Count, full = width / lanes, slots = full + (width % lanes != 0 ? 1u : 0u), last = width - lanes;
        nuint ahead = MinMaxBlockRows * stride;
        for (nuint start = first; start < rows; start += MinMaxBlockRows)
        {
            nuint count = rows - start > MinMaxBlockRows ? MinMaxBlockRows : rows - start;
            ref T block = ref Unsafe.Add(ref x, start * stride);
            nuint j = 0;
            for (; j + 4 <= slots; j += 4)
                MinMaxStrip4<TOps, TV, T>(ref block, count, stride, ahead, j * lanes, j + 3 < full ? (j + 3) * lanes : last, ref lo, ref hi);
            for (; j < slots; j++)
            {
                nuint at = j < full ? j * lanes : last;
                TV l = TOps.Load(ref lo, j * lanes), h = TOps.Load(ref hi, j * lanes);
                for (nuint r = 0; r < count; r++)
                {
                    ref T row = ref Unsafe.Add(ref block, r * stride);
                    StreamingStore.PrefetchToL2(ref row, ahead + at);
                    TV v = TOps.Load(ref row, at);
                    l = TOps.Min(l, v);
                    h = TOps.Max(h, v);
                }
                TOps.Store(l, ref lo, j * lanes);
                TOps.Store(h, ref hi, j * lanes);
            }
        }
    }

    /// <summary>
    /// Prefetches the cache lines of four vectors from <paramref name="offset"/> past <paramref name="row"/> (one per 64
    /// bytes) into L2 (prefetcht1): MinMaxScale (100000, 256) floats, one thread, thread CPU, median of 9, took 15.8–17.3 ms
    /// with it against 20.6–21.4 with prefetcht0 and 20.4–24.2 with none (two runs), and in two more runs 1.30× faster than
    /// prefetcht0 both times, (1000, 4096) 1.06–1.09× (2-core AMD EPYC Zen 4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchStrip<TV, T>(ref T row, nuint offset) where TV : struct where T : unmanaged
    {
        nuint lanes = (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>());
        StreamingStore.PrefetchToL2(ref row, offset);
        if (Unsafe.SizeOf<TV>() >= 32)
            StreamingStore.PrefetchToL2(ref row, offset + 2 * lanes);
        if (Unsafe.SizeOf<TV>() >= 64)
        {
            StreamingStore.PrefetchToL2(ref row, offset + lanes);
            StreamingStore.PrefetchToL2(ref row, offset + 3 * lanes);
        }
    }

    /// <summary>
    /// Four neighbouring slots from <paramref name="at"/> (columns at, at + L, at + 2L, then <paramref name="at3"/>: the
    /// overlapping last vector when the strip ends the row) over <paramref name="count"/> rows, into their min and max.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MinMaxStrip4<TOps, TV, T>(ref T block, nuint count, nuint stride, nuint ahead, nuint at, nuint at3, ref T lo, ref T hi)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint lanes = (nuint)TOps.Count;
        TV l0 = TOps.Load(ref lo, at), l1 = TOps.Load(ref lo, at + lanes), l2 = TOps.Load(ref lo, at + 2 * lanes), l3 = TOps.Load(ref lo, at + 3 * lanes);
        TV h0 = TOps.Load(ref hi, at), h1 = TOps.Load(ref hi, at + lanes), h2 = TOps.Load(ref hi, at + 2 * lanes), h3 = TOps.Load(ref hi, at + 3 * lanes);
        for (nuint r = 0; r < count; r++)
        {
            ref T row = ref Unsafe.Add(ref block, r * stride);
            PrefetchStrip<TV, T>(ref row, ahead + at);
            TV v0 = TOps.Load(ref row, at), v1 = TOps.Load(ref row, at + lanes), v2 = TOps.Load(ref row, at + 2 * lanes), v3 = TOps.Load(ref row, at3);
            l0 = TOps.Min(l0, v0);
            h0 = TOps.Max(h0, v0);
            l1 = TOps.Min(l1, v1);
            h1 = TOps.Max(h1, v1);
            l2 = TOps.Min(l2, v2);
            h2 = TOps.Max(h2, v2);
            l3 = TOps.Min(l3, v3);
            h3 = TOps.Max(h3, v3);
        }
        TOps.Store(l0, ref lo, at);
        TOps.Store(l1, ref lo, at + lanes);
        TOps.Store(l2, ref lo, at + 2 * lanes);
        TOps.Store(l3, ref lo, at + 3 * lanes);
        TOps.Store(h0, ref hi, at);
        TOps.Store(h1, ref hi, at + lanes);
        TOps.Store(h2, ref hi, at + 2 * lanes);
        TOps.Store(h3, ref hi, at + 3 * lanes);
    }

    /// <summary>
    /// MinMaxScale's pass 2 on a panel of a wider table, row by row. Rows are read before they are written, and the
    /// overlapping last vector keeps the lanes already written, so y may be x.
    /// </summary>
    private static void MinMaxRowByRow<TOps, TV, T>(ref T x, ref T y, nuint rows, nuint width, nuint stride, ref T lo, ref T hi)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint lanes = (nuint)TOps.Count, full = width / lanes, slots = full + (width % lanes != 0 ? 1u : 0u), last = width - lanes;
        TV keep = TOps.TailMask(TOps.Count - (int)(width - full * lanes));
        for (nuint r = 0; r < rows; r++)
        {
            ref T row = ref Unsafe.Add(ref x, r * stride);
            ref T output = ref Unsafe.Add(ref y, r * stride);
            for (nuint j = 0; j < full; j++)
                TOps.Store(ScaleRange<TOps, TV, T>(TOps.Load(ref row, j * lanes), TOps.Load(ref lo, j * lanes), TOps.Load(ref hi, j * lanes)), ref output, j * lanes);
            if (full < slots)
            {
                TV v = ScaleRange<TOps, TV, T>(TOps.Load(ref row, last), TOps.Load(ref lo, full * lanes), TOps.Load(ref hi, full * lanes));
                TOps.Store(TOps.Select(keep, v, TOps.Load(ref output, last)), ref output, last);
            }
        }
    }

    /// <summary>(x − min) / range, or 0 where the range is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ScaleRange<TOps, TV, T>(TV x, TV lo, TV range)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T> =>
        TOps.Select(TOps.EqualLanes(range, TOps.Zero), TOps.Zero, TOps.Divide(TOps.Subtract(x, lo), range));
}
