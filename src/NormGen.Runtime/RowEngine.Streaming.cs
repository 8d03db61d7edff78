using System;
using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormGen;

// The cross-row pipeline of the streaming path (issue 11): one loop runs the last pass of row r (read back from L1/L2,
// non-temporal stores) interleaved block by block with pass 1 of row r + 1 (read from memory), so the row's writes and
// the next row's reads stream together, as in a copy, instead of the core waiting on memory twice per row. Apart from
// VectorRows on purpose: that method is at the edge of the JIT's inlining budget, and this loop only runs for outputs
// past the last-level cache.
public static partial class RowEngine
{
    /// <summary>
    /// 0 (the default): the stores of large calls tuned by timing (RowEngine.StoreTuning.cs), the pipeline one of the
    /// candidates; 1: no tuning and no pipeline (the threshold's stores, rows a time); 2: the pipeline for every row form
    /// at every size it can run at (streaming and cached stores). Private, for side-by-side timing and tests only: the
    /// benchmark's <c>--pipeline-ab</c>, RowAB's <c>--pipeline</c> and the tests set it by reflection.
    /// </summary>
#pragma warning disable CS0649 // set by reflection
    private static int s_pipelineMode;
#pragma warning restore CS0649

    /// <summary>
    /// Pass 1 prefetches the row at least this many bytes ahead of the one it reads (at the same position), and at least
    /// the next row: for short rows one row ahead is too close for the prefetch to arrive before pass 1 needs it. Into
    /// L2 (prefetcht1) at every row length, not only from StreamingStore.MaxL1PrefetchBytes as the rows a time: 8 KiB
    /// ahead of x (and of a residual) is two rows of 4 KiB in flight, which prefetcht0 brought into L1 (32 KiB on Zen 4)
    /// over the lines of h, γ and β the pipeline still reads. RowAB, the pipeline with non-temporal stores (--pipeline 2
    /// --threshold 0), one process, thread CPU, 7-9 rounds, best round, prefetcht1's time ÷ prefetcht0's, two or three
    /// runs (2-core AMD EPYC, Zen 4): LnF 4096×1024 0.65–0.84, LnD 2048×1024 0.68–0.69, RmsF 4096×1024 0.84–0.85,
    /// AddLnF 4096×1024 0.68, AddLnNoOutF 4096×1024 0.71–0.74, DeepF 4096×1024 0.71, DeepF 8192×768 0.79–0.80, LnF
    /// 2048×2048 0.75–0.77, RmsF 8192×512 0.94–0.95, LnF 8192×512 0.83–1.07, LnF 16384×384 0.92–1.04; rows of 16 KiB
    /// and more (prefetcht1 already) the same: DeepF 512×4096 1.01, 2048×8192 1.00. Half a row, one row or two rows
    /// ahead read the same for LnF 2048×8192 and 1024×4096 (0.99–1.04), and prefetching γ and β 512 B–2 KiB ahead in
    /// the last pass did not help (0.97–1.10).
    /// </summary>
    private const int MinPrefetchAheadBytes = 8 << 10;

    /// <summary>
    /// Whether a call whose input is past a core's L2 (<see cref="MinPrefetchBytes"/>) runs <see cref="PipelinedRows"/>:
    /// float or double rows without an activation (the activation's last pass goes a vector at a time; see VectorRows),
    /// only when <see cref="s_pipelineMode"/> is 2; a JIT-time constant apart from the switch.
    /// </summary>
    /// <remarks>
    /// Off by default since 2026-11-30 (afternoon): which of the pipeline and the rows a time wins depends on the machine.
    /// It ran by default for plain LayerNorm rows of 32 KiB or more with non-temporal stores, where the VMs of the night
    /// and morning measured it 1.07-1.20× the rows a time's speed (LayerNorm 2048×8192, <c>table --pipeline-ab</c>); on
    /// the afternoon's VM (the same 2-core "AMD EPYC" type, its NT copy 47-54 GB/s against 39-47) the pipeline took
    /// 1.36-1.39× the rows a time's time (RowAB, ROWAB_MODE_AB=1, thread CPU time) and 1.22-1.29× the time of eba5bfa's
    /// generated kernel, over issue 8's 3% bar, while the rows a time read 0.96-1.00× eba5bfa's. The rows a time are what
    /// the generated kernels did, so they hold that bar on every machine measured; the pipeline stays for A/B (mode 2).
    /// Every other form had already measured no gain (RMSNorm 0.93-1.07×, the residual rows 0.69-1.02×, cached stores
    /// 0.91-1.20× depending on whether the rows were still in the last-level cache).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CanPipeline<TSpec, TX, TY, T>()
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
        => PipelineCapable<TSpec, TX, TY, T>() && s_pipelineMode == 2;

    /// <summary>How the pipeline's last pass stores: non-temporal (outputs past the caches) or cached.</summary>
    private interface IStoreKind
    {
        static abstract bool NonTemporal { get; }
    }

    private readonly struct NonTemporalStores : IStoreKind
    {
        public static bool NonTemporal => true;
    }

    private readonly struct CachedStores : IStoreKind
    {
        public static bool NonTemporal => false;
    }

    /// <summary>Stores <paramref name="value"/> at the aligned <paramref name="destination"/> as <typeparamref name="TStores"/> says.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<T, TV, TOps, TStores>(TV value, ref T destination)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T> where TStores : struct, IStoreKind
    {
        if (TStores.NonTemporal) TOps.StoreNonTemporal(value, ref destination);
        else TOps.Store(value, ref destination, 0);
    }

    /// <summary>
    /// The rows of a call that <see cref="CanPipeline"/>, on one thread (c from <see cref="PlainRefs"/>; c.Streaming
    /// chooses the stores): the width chosen once, then the pipeline. With a residual and non-temporal stores, h lives in
    /// two rows of scratch (the row whose last pass reads it back and the row pass 1 forms), not in the output, which
    /// would be read back from memory; with cached stores it lives in the output, as a row at a time.
    /// </summary>
    private static void StreamedRows<TSpec, T>(ref RowRefs<T> c, ref T x, int firstRow, int rowCount)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (StreamingStore.ElementsToAlignment(ref c.Y, 1) != 0)
        {
            // y not aligned to its element size: no vector of it can be aligned, so VectorRows' loops run.
            PlainRows<TSpec, T>(ref c, ref x, firstRow, rowCount);
            return;
        }
        if (c.Streaming) PipelinedRowsAt<TSpec, T, NonTemporalStores>(ref c, ref x, firstRow, rowCount);
        else PipelinedRowsAt<TSpec, T, CachedStores>(ref c, ref x, firstRow, rowCount);
    }

    /// <summary><see cref="StreamedRows"/> with the store kind chosen: the scratch and the width.</summary>
    private static void PipelinedRowsAt<TSpec, T, TStores>(ref RowRefs<T> c, ref T x, int firstRow, int rowCount)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TStores : struct, IStoreKind
    {
        nuint n = Spec<TSpec, T>.RowLength > 0 ? (nuint)Spec<TSpec, T>.RowLength : c.N;
        // With cached stores h goes where the rows a time put it (residualOut, else y): the last pass reads it back from
        // cache and has no copy to make.
        T[]? scratch = Spec<TSpec, T>.Residual && TStores.NonTemporal ? ArrayPool<T>.Shared.Rent(2 * (int)n) : null;
        try
        {
            if (scratch is not null)
            {
                c.H = ref MemoryMarshal.GetArrayDataReference(scratch);
                c.HStride = 0;
            }
            if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
                PipelineLoop<TSpec, T, Vector512<T>, Vec512<T>, TStores>(ref c, ref x, firstRow, rowCount);
            else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
                PipelineLoop<TSpec, T, Vector256<T>, Vec256<T>, TStores>(ref c, ref x, firstRow, rowCount);
            else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
                PipelineLoop<TSpec, T, Vector128<T>, Vec128<T>, TStores>(ref c, ref x, firstRow, rowCount);
            else
                PlainLoop<TSpec, T, ScalarBody<T>>(ref c, ref x, firstRow, rowCount);
        }
        finally
        {
            Return(scratch);
        }
    }

    /// <summary>
    /// The pipeline's row loop at one width, as <see cref="PlainLoop"/>: a row whose sums overflow stops the pipeline
    /// (the row before it is complete), is redone in HugeRow (from its row of h scratch), and the pipeline starts again
    /// after it. A y whose address is not a multiple of its element size cannot be aligned for non-temporal stores:
    /// VectorRows' cached loop then runs.
    /// </summary>
    private static void PipelineLoop<TSpec, T, TV, TOps, TStores>(ref RowRefs<T> c, ref T x, int firstRow, int rowCount)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TStores : struct, IStoreKind
    {
        if (StreamingStore.ElementsToAlignment(ref c.Y, TOps.Count) >= TOps.Count)
        {
            PlainLoop<TSpec, T, VectorBody<T, TV, TOps>>(ref c, ref x, firstRow, rowCount);
            return;
        }
        nuint end = (nuint)(firstRow + rowCount), start = (nuint)firstRow, n = Spec<TSpec, T>.RowLength > 0 ? (nuint)Spec<TSpec, T>.RowLength : c.N;
        ref T scratch = ref c.H;
        nuint r = PipelinedRowsOf<TSpec, T, TV, TOps, TStores>(ref c, ref x, start, end);
        while (r < end)
        {
            if (Spec<TSpec, T>.Residual && TStores.NonTemporal) c.H = ref Unsafe.Add(ref scratch, (r - start) % 2 * n);
            RedoHugeRow<TSpec, T>(ref c, r++);
            c.H = ref scratch;
            start = r;
            r = PipelinedRowsOf<TSpec, T, TV, TOps, TStores>(ref c, ref Unsafe.Add(ref c.X, r * c.XStride), r, end);
        }
        if (TStores.NonTemporal) StreamingStore.Fence();
    }

    /// <summary><see cref="PipelinedRows"/> with the affine kind's loads chosen (JIT-time constants).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint PipelinedRowsOf<TSpec, T, TV, TOps, TStores>(ref RowRefs<T> c, ref T x, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TStores : struct, IStoreKind
        => Spec<TSpec, T>.Affine == Affine.ScaleAndBias ? PipelinedRows<TSpec, T, TV, TOps, ScaleAndBiasLoads<T, TV, TOps>, TStores>(ref c, ref x, first, end)
            : Spec<TSpec, T>.Affine == Affine.Scale ? PipelinedRows<TSpec, T, TV, TOps, ScaleLoads<T, TV, TOps>, TStores>(ref c, ref x, first, end)
            : PipelinedRows<TSpec, T, TV, TOps, NoAffineLoads<T, TV, TOps>, TStores>(ref c, ref x, first, end);

    /// <summary>
    /// Rows first … end − 1 of a streamed call: step k runs pass 1 of row first + k and the last pass of the row before
    /// it in one loop (the first step has no last pass, the step after the last row no pass 1). Pass 1 adds the same
    /// vectors into the same accumulators in the same order as VectorRows, and the statistics come from the same Finish,
    /// so every row's results are bitwise VectorRows' (and StreamRow's: the last pass is per element, the unaligned head
    /// and the overlapping last vector computed first and stored after the loop, for in-place calls). With a residual,
    /// h goes to row (row − first) mod 2 of c.H's scratch. Returns the first row left to HugeRow (the row before it is
    /// complete, the row's h in its scratch row), or end.
    /// </summary>
    private static nuint PipelinedRows<TSpec, T, TV, TOps, TAffine, TStores>(ref RowRefs<T> c, ref T xFirst, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TAffine : struct, IAffineLoads<T, TV, TOps>
        where TStores : struct, IStoreKind
    {
        nuint n = Spec<TSpec, T>.RowLength > 0 ? (nuint)Spec<TSpec, T>.RowLength : c.N; // a JIT-time constant when fixed
        nuint L = (nuint)TOps.Count, block = 4 * L, last = n - L, xStride = c.XStride;
        T inv = Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.InverseRowLength : T.One / T.CreateTruncating((int)n);
        bool hasTail = n % L != 0;
        TV tail = hasTail ? TOps.TailMask((int)(L - n % L)) : TOps.Zero;
        TV alpha = Spec<TSpec, T>.HasAlpha ? TOps.Create(Spec<TSpec, T>.Alpha) : TOps.Zero;
        nuint rowBytes = n * (nuint)Unsafe.SizeOf<T>();
        nuint ahead = (MinPrefetchAheadBytes + rowBytes - 1) / rowBytes * xStride; // whole rows, at least one
        // Rows under 16 KiB without a residual stream out whose y lies just past their source in a 4 KiB page store each
        // last-pass block one step late (DelayedBlock, decided per row).
        bool canDelay = !Spec<TSpec, T>.ResidualOut && !PrefetchesToL2<T>(n), delayStores = false;
        ref T gamma = ref c.Gamma, beta = ref c.Beta, bias = ref c.Bias;
        // The row whose last pass is pending: its source (x, or h in scratch, read back from cache), its outputs, and
        // its m, rstd and −offset·rstd.
        ref T srcPrev = ref xFirst, yPrev = ref xFirst, hOutPrev = ref xFirst; // read only while pending
        TV m = TOps.Zero, r = TOps.Zero, rc = TOps.Zero;
        bool pending = false;
        StreamedEnds<TV> ends = StreamedEnds<TV>.None, hEnds = ends; // non-temporal stores: the rows' ends (see StreamedEnds), y's and residualOut's
        ref T x = ref xFirst;
        for (nuint row = first; row < end || pending; row++, x = ref Unsafe.Add(ref x, xStride))
        {
            bool pass1 = row < end;
            ref T residual = ref x, h = ref x;
            if (Spec<TSpec, T>.Residual)
            {
                residual = ref Unsafe.Add(ref c.Residual, row * c.ResidualStride);
                h = ref TStores.NonTemporal ? ref Unsafe.Add(ref c.H, (row - first) % 2 * n) : ref Unsafe.Add(ref c.H, row * c.HStride);
            }
            // The pending row's last pass: head and overlapping last vector first (an in-place call overwrites them).
            nuint head = 0, both = 0, j;
            bool alignedH = false;
            TV firstOut = TOps.Zero, lastOut = TOps.Zero;
            if (pending)
            {
                head = (nuint)StreamingStore.ElementsToAlignment(ref yPrev, (int)L);
                alignedH = Spec<TSpec, T>.ResidualOut && TStores.NonTemporal && (nuint)StreamingStore.ElementsToAlignment(ref hOutPrev, (int)L) == head;
                firstOut = Output<TSpec, T, TV, TOps>(TOps.Load(ref srcPrev, 0), ref gamma, ref beta, 0, m, r, rc);
                lastOut = Output<TSpec, T, TV, TOps>(TOps.Load(ref srcPrev, last), ref gamma, ref beta, last, m, r, rc);
                both = (n - head) / block;
                delayStores = canDelay && YJustPastSource(ref srcPrev, ref yPrev);
            }
            T shift = T.Zero;
            if (pass1 && Spec<TSpec, T>.Centered) // as VectorRows
                shift = TOps.Sum(Spec<TSpec, T>.Residual ? H<TSpec, T, TV, TOps>(ref x, ref residual, ref bias, 0, 0, alpha) : TOps.Load(ref x, 0))
                    * (T.One / T.CreateTruncating(L));
            TV k = TOps.Create(shift);
            TV s0 = TOps.Zero, s1 = s0, s2 = s0, s3 = s0, q0 = s0, q1 = s0, q2 = s0, q3 = s0;
            TV hLast = Spec<TSpec, T>.Residual && hasTail && pass1 ? H<TSpec, T, TV, TOps>(ref x, ref residual, ref bias, last, 0, alpha) : TOps.Zero;
            TV d0 = TOps.Zero, d1 = d0, d2 = d0, d3 = d0; // the last-pass block stored one step late (DelayedBlock)
            nuint i = 0;
            if (pass1)
            {
                // Pass-1 blocks at i; the pending row's last-pass blocks at head + i (aligned y) while they fit.
                for (; i + block <= n; i += block)
                {
                    PrefetchBlock<TSpec, T, TV, TOps>(ref x, ref residual, i + ahead, toL2: true); // see MinPrefetchAheadBytes
                    ref T xi = ref Unsafe.Add(ref x, i);
                    ref T ri = ref Unsafe.Add(ref residual, i);
                    ref T bi = ref Unsafe.Add(ref bias, i);
                    ref T hi = ref Unsafe.Add(ref h, i);
                    Pass1Step<TSpec, T, TV, TOps>(Pass1Vector<TSpec, T, TV, TOps>(ref xi, ref ri, ref bi, ref hi, 0, alpha),
                        Pass1Vector<TSpec, T, TV, TOps>(ref xi, ref ri, ref bi, ref hi, L, alpha), Pass1Vector<TSpec, T, TV, TOps>(ref xi, ref ri, ref bi, ref hi, 2 * L, alpha),
                        Pass1Vector<TSpec, T, TV, TOps>(ref xi, ref ri, ref bi, ref hi, 3 * L, alpha), k, ref s0, ref s1, ref s2, ref s3, ref q0, ref q1, ref q2, ref q3);
                    if (i < both * block)
                    {
                        if (!delayStores)
                            StreamBlock<TSpec, T, TV, TOps, TAffine, TStores>(ref srcPrev, ref gamma, ref beta, ref yPrev, ref hOutPrev, head + i, m, r, rc, alignedH);
                        else
                            DelayedBlock<TSpec, T, TV, TOps, TAffine, TStores>(ref srcPrev, ref gamma, ref beta, ref yPrev, head + i, m, r, rc, i != 0, ref d0, ref d1, ref d2, ref d3);
                    }
                }
                if (delayStores && both != 0) // the last block's stores
                    PutBlock<T, TV, TOps, TStores>(d0, d1, d2, d3, ref yPrev, head + (both - 1) * block);
            }
            if (pending)
            {
                // The last-pass blocks pass 1 did not take (all of them after the last row), then its single vectors.
                for (j = head + (pass1 ? both * block : 0); j + block <= n; j += block)
                    StreamBlock<TSpec, T, TV, TOps, TAffine, TStores>(ref srcPrev, ref gamma, ref beta, ref yPrev, ref hOutPrev, j, m, r, rc, alignedH);
                for (; j + L <= n; j += L)
                    StreamVector<TSpec, T, TV, TOps, TAffine, TStores>(ref srcPrev, ref gamma, ref beta, ref yPrev, ref hOutPrev, j, m, r, rc, alignedH);
                if (TStores.NonTemporal) // only the elements outside the streamed vectors (before head, from j on)
                {
                    ends.Head<T, TOps>(ref c.Y, ref yPrev, firstOut, head);
                    ends.Tail<T, TOps>(ref c.Y, ref yPrev, n, lastOut, j - last);
                }
                else
                {
                    TOps.Store(firstOut, ref yPrev, 0);
                    TOps.Store(lastOut, ref yPrev, last);
                }
                if (Spec<TSpec, T>.ResidualOut && TStores.NonTemporal)
                {
                    // residualOut streamed at y's phase: its ends as y's (StreamedEnds); otherwise all through the cache.
                    if (alignedH)
                    {
                        hEnds.Head<T, TOps>(ref c.ResidualOut, ref hOutPrev, TOps.Load(ref srcPrev, 0), head);
                        hEnds.Tail<T, TOps>(ref c.ResidualOut, ref hOutPrev, n, TOps.Load(ref srcPrev, last), j - last);
                    }
                    else
                    {
                        StoreEnds<T, TV>(TOps.Load(ref srcPrev, 0), TOps.Load(ref srcPrev, last), ref hOutPrev, n, L, 0);
                    }
                }
                pending = false;
            }
            if (!pass1)
                break;
            // Pass 1's vectors after the blocks and its tail, as VectorRows.
            for (; i + L <= n; i += L)
                Pass1Step<TSpec, T, TV, TOps>(Pass1Vector<TSpec, T, TV, TOps>(ref x, ref residual, ref bias, ref h, i, alpha), k, ref s0, ref q0);
            if (hasTail)
            {
                TV v = Spec<TSpec, T>.Residual ? hLast : TOps.Load(ref x, last);
                if (Spec<TSpec, T>.Centered)
                {
                    TV d = TOps.Select(tail, TOps.Subtract(v, k));
                    s1 = TOps.Add(s1, d);
                    q1 = TOps.MultiplyAdd(d, d, q1);
                }
                else
                {
                    v = TOps.Select(tail, v);
                    q1 = TOps.MultiplyAdd(v, v, q1);
                }
                if (Spec<TSpec, T>.Residual) TOps.Store(hLast, ref h, last);
            }
            ref T src = ref Spec<TSpec, T>.Residual ? ref h : ref x;
            T rstd, meanOut = T.Zero;
            if (Spec<TSpec, T>.Centered)
            {
                if (!Finish<TSpec, T, TV, TOps>(ref src, n, inv, tail, shift, TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3)), TOps.Add(TOps.Add(q0, q1), TOps.Add(q2, q3)), out T center, out T offset, out rstd, out meanOut))
                {
                    FlushEnds<TSpec, T, TV, TOps>(ref c, ref ends, ref hEnds);
                    return row;
                }
                m = TOps.Create(center);
                rc = TOps.Create(-(offset * rstd));
            }
            else
            {
                T meanSquare = TOps.Sum(TOps.Add(TOps.Add(q0, q1), TOps.Add(q2, q3))) * inv;
                if (!T.IsFinite(meanSquare) && AllFinite(ref src, n))
                {
                    FlushEnds<TSpec, T, TV, TOps>(ref c, ref ends, ref hEnds);
                    return row;
                }
                rstd = T.One / T.Sqrt(meanSquare + Spec<TSpec, T>.Epsilon);
            }
            Save<TSpec, T>(ref c, row, meanOut, rstd);
            r = TOps.Create(rstd);
            srcPrev = ref src;
            yPrev = ref Unsafe.Add(ref c.Y, row * c.YStride);
            if (Spec<TSpec, T>.ResidualOut) hOutPrev = ref Unsafe.Add(ref c.ResidualOut, row * c.ResidualOutStride);
            pending = true;
        }
        FlushEnds<TSpec, T, TV, TOps>(ref c, ref ends, ref hEnds);
        return end;
    }

    /// <summary>The pipeline's carried row ends, y's and (with a residual stream out) residualOut's, stored as it stops.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FlushEnds<TSpec, T, TV, TOps>(ref RowRefs<T> c, ref StreamedEnds<TV> ends, ref StreamedEnds<TV> hEnds)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        ends.Flush<T, TOps>(ref c.Y);
        if (Spec<TSpec, T>.ResidualOut) hEnds.Flush<T, TOps>(ref c.ResidualOut);
    }

    /// <summary>
    /// Whether a row's y starts 1 to <see cref="JustPastZone"/> bytes past its source (what its last pass reads) within
    /// a 4 KiB page. Then, in a last pass that goes up the row, each load of the source follows by a few bytes, in the
    /// low 12 address bits, the stores just made to y, and waits for them (the processor matches loads to earlier stores
    /// on those bits first). Such a row's last pass stores each block one step late in the pipeline
    /// (<see cref="DelayedBlock"/>), and goes down the row in the paired rows (JointLastPass: the short and long pairs in
    /// cache, the long pairs with non-temporal stores); either moves the zone elsewhere, so the other rows keep the plain
    /// order.
    /// </summary>
    /// <remarks>
    /// <paramref name="zoneStart"/> and <paramref name="zoneEnd"/> move the zone's ends: the short pairs in cache go down
    /// from 33 bytes past the source only (see <see cref="CachedRowsZoneStart"/>), the pairs with non-temporal stores up
    /// to 127 only (<see cref="StreamedPairsZoneEnd"/>).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool YJustPastSource<T>(ref T src, ref T y, nuint zoneStart = 1, nuint zoneEnd = JustPastZone)
        => (nuint)Unsafe.ByteOffset(ref src, ref y) % 4096 - zoneStart <= zoneEnd - zoneStart;

    /// <summary>
    /// See <see cref="YJustPastSource"/>. RowAB, the pipeline with non-temporal stores, one process, thread CPU, 7 rounds,
    /// x at a page's start and y the given bytes on (2-core AMD EPYC, Zen 4), the plain order's time ÷ the delayed one's:
    /// y at +8 1.12–1.15, +56 1.19–1.52 (LnF 4096×1024, 8192×512, LnD 2048×1024, RmsF 4096×1024; DeepF 1.08), +200
    /// 1.06–1.11, +264 0.86–1.01, +328 0.95–1.00, +456 0.77–0.94, +600 0.89–1.00; at the same place 0.87–1.02. Rows of 16
    /// KiB and more read 0.93–0.98 delayed at every place (LnF 2048×8192) and keep the plain order. The long paired rows
    /// in cache (cached stores), up ÷ down: y at +8 1.08, +56 1.29–1.35, +128 1.09–1.10, +200 1.06–1.10 (LnF 128×4096,
    /// 64×8192, LnD 128×2048), +296 and +4040 0.99–1.00, at the same place 0.99–1.02; down read 1.15 slower at +4040 (its
    /// own zone, below the source). The short pairs go down too, from <see cref="CachedRowsZoneStart"/> on.
    /// </summary>
    private const nuint JustPastZone = 256;

    /// <summary>
    /// Where <see cref="YJustPastSource"/>'s zone starts for the rows in cache that are not long pairs: the short pairs
    /// (rows of up to 3 KiB, two at a time) and the rows one at a time (VectorRows' last pass: its blocks from the last
    /// down, each block's loads before its stores, <see cref="LastPassBlocks"/>): y 33 to 256 bytes past x in a page.
    /// The rows one at a time, RowAB, one process, thread CPU, 7 rounds, x on a page, down ÷ up: +40 0.73–0.82, +56
    /// 0.77–0.89 (RmsF 32×768 3.16 µs against 3.69, Rms4096F 64×4096, LnF 64×1024 10.5 against 13.6, RmsF 256×1024),
    /// +128 0.89–0.95, +200 0.86–0.96, +256 0.95–1.00; +8 to +32 0.89–1.07; past the zone 0.97–1.03. The short pairs: RowAB (2-core AMD EPYC, Zen 4), one process, thread CPU, 7-9
    /// rounds, x at a page's start and y the given bytes on, down ÷ up: +40 0.84–0.99, +56 0.65–0.94 (Ln768F 32×768
    /// 3.36–3.42 µs against 4.28–5.14), +64 0.60–1.08, +128 0.80–1.00, +200 0.89–1.00, +256 0.94–1.00 (Ln768F 32×768,
    /// 8×768, 128×768, LnF 64×256, 64×512, 1024×256, LnD 32×200, 64×384); nearer the source no gain (+8 to +32 0.95–1.04,
    /// LnD 64×384 at +8 1.03–1.14), so those rows keep the plain order; past the zone 0.99–1.01. A first version with
    /// the loop down out of line (one call per pair) had cost 1.14–1.35 at every place: the call spilled the pair's
    /// vectors; the loop is now inlined in the instance that goes down.
    /// </summary>
    private const nuint CachedRowsZoneStart = 33;

    /// <summary>
    /// Where <see cref="YJustPastSource"/>'s zone ends for the long pairs with non-temporal stores (LongPairedRows past
    /// the streaming threshold): y 1 to 127 bytes past x in a page. There a load of x that matches, in the low 12 bits,
    /// a non-temporal store still on its way to memory waits for it; going down the rows, the loads come before the
    /// stores they match. RowAB (2-core AMD EPYC, Zen 4), NT stores rows a time (--pipeline 1 --threshold 0), one
    /// process, thread CPU, 7 rounds, x at a page's start and y the given bytes on, down ÷ up: +8 0.54 / 0.66–0.73 /
    /// 0.52–0.54, +56 0.46–0.52 / 0.70–0.72 / 0.50–0.52, +96 0.46–0.47 / 0.85–0.87 / 0.48–0.50 (LnF 512×4096, LnF
    /// 2048×8192, LnD 512×2048; LnF 512×4096 at +56 432 µs against 901, and 403–454 off the zone); from +128 the
    /// rows diverge (0.83–0.94, but LnF 2048×8192 1.07–1.22 slower), so those keep the plain order; at the same place
    /// 0.98–1.03. Before this the non-temporal pairs always went up: the first version of the rule took only cached
    /// stores down.
    /// </summary>
    private const nuint StreamedPairsZoneEnd = 127;

    /// <summary>
    /// The pipeline's last-pass block at the aligned <paramref name="j"/> without a residual stream out: its four output
    /// vectors are computed into <paramref name="d0"/> … <paramref name="d3"/>, after the block before them
    /// (<paramref name="storePrevious"/>), held there, is stored at j − 4L (<see cref="PutBlock"/>; the caller stores the
    /// last). Each step's loads then come before the stores near them: a load after a store whose address matches it in
    /// the low 12 bits but for a few bytes (x and y at nearly the same place in a 4 KiB page, as arrays can lie) waits
    /// for that store. The same vectors in the same places, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DelayedBlock<TSpec, T, TV, TOps, TAffine, TStores>(ref T src, ref T gamma, ref T beta, ref T y, nuint j, TV m, TV r, TV rc,
        bool storePrevious, ref TV d0, ref TV d1, ref TV d2, ref TV d3)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TAffine : struct, IAffineLoads<T, TV, TOps>
        where TStores : struct, IStoreKind
    {
        nuint L = (nuint)TOps.Count;
        TV o0 = LastPassOutput<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, j, m, r, rc);
        TV o1 = LastPassOutput<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, j + L, m, r, rc);
        TV o2 = LastPassOutput<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, j + 2 * L, m, r, rc);
        TV o3 = LastPassOutput<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, j + 3 * L, m, r, rc);
        if (storePrevious) PutBlock<T, TV, TOps, TStores>(d0, d1, d2, d3, ref y, j - 4 * L);
        d0 = o0;
        d1 = o1;
        d2 = o2;
        d3 = o3;
    }

    /// <summary>Four vectors at the aligned <paramref name="j"/> of y, stored as <typeparamref name="TStores"/> says.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutBlock<T, TV, TOps, TStores>(TV v0, TV v1, TV v2, TV v3, ref T y, nuint j)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T> where TStores : struct, IStoreKind
    {
        nuint L = (nuint)TOps.Count;
        Put<T, TV, TOps, TStores>(v0, ref Unsafe.Add(ref y, j));
        Put<T, TV, TOps, TStores>(v1, ref Unsafe.Add(ref y, j + L));
        Put<T, TV, TOps, TStores>(v2, ref Unsafe.Add(ref y, j + 2 * L));
        Put<T, TV, TOps, TStores>(v3, ref Unsafe.Add(ref y, j + 3 * L));
    }

    /// <summary>
    /// Four output vectors from the aligned <paramref name="j"/> (<see cref="StreamVector"/> four times over, with the
    /// four y stores before the four h stores), and h into residualOut (non-temporal where it is aligned as y is).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StreamBlock<TSpec, T, TV, TOps, TAffine, TStores>(ref T src, ref T gamma, ref T beta, ref T y, ref T residualOut, nuint j, TV m, TV r, TV rc,
        bool alignedH)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TAffine : struct, IAffineLoads<T, TV, TOps>
        where TStores : struct, IStoreKind
    {
        nuint L = (nuint)TOps.Count;
        StreamOutput<TSpec, T, TV, TOps, TAffine, TStores>(ref src, ref gamma, ref beta, ref y, j, m, r, rc);
        StreamOutput<TSpec, T, TV, TOps, TAffine, TStores>(ref src, ref gamma, ref beta, ref y, j + L, m, r, rc);
        StreamOutput<TSpec, T, TV, TOps, TAffine, TStores>(ref src, ref gamma, ref beta, ref y, j + 2 * L, m, r, rc);
        StreamOutput<TSpec, T, TV, TOps, TAffine, TStores>(ref src, ref gamma, ref beta, ref y, j + 3 * L, m, r, rc);
        if (Spec<TSpec, T>.ResidualOut && TStores.NonTemporal) // with cached stores h is in residualOut already
        {
            if (alignedH)
            {
                StreamH<T, TV, TOps, TStores>(ref src, ref residualOut, j);
                StreamH<T, TV, TOps, TStores>(ref src, ref residualOut, j + L);
                StreamH<T, TV, TOps, TStores>(ref src, ref residualOut, j + 2 * L);
                StreamH<T, TV, TOps, TStores>(ref src, ref residualOut, j + 3 * L);
            }
            else
            {
                StreamH<T, TV, TOps, CachedStores>(ref src, ref residualOut, j);
                StreamH<T, TV, TOps, CachedStores>(ref src, ref residualOut, j + L);
                StreamH<T, TV, TOps, CachedStores>(ref src, ref residualOut, j + 2 * L);
                StreamH<T, TV, TOps, CachedStores>(ref src, ref residualOut, j + 3 * L);
            }
        }
    }

    /// <summary>One vector of <see cref="StreamBlock"/>, for the aligned vectors after the last whole block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StreamVector<TSpec, T, TV, TOps, TAffine, TStores>(ref T src, ref T gamma, ref T beta, ref T y, ref T residualOut, nuint j, TV m, TV r, TV rc,
        bool alignedH)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TAffine : struct, IAffineLoads<T, TV, TOps>
        where TStores : struct, IStoreKind
    {
        StreamOutput<TSpec, T, TV, TOps, TAffine, TStores>(ref src, ref gamma, ref beta, ref y, j, m, r, rc);
        if (Spec<TSpec, T>.ResidualOut && TStores.NonTemporal) // with cached stores h is in residualOut already
        {
            if (alignedH)
                StreamH<T, TV, TOps, TStores>(ref src, ref residualOut, j);
            else
                StreamH<T, TV, TOps, CachedStores>(ref src, ref residualOut, j);
        }
    }

    /// <summary>The output vector of the last pass at the aligned <paramref name="j"/> of y, stored as <typeparamref name="TStores"/> says.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StreamOutput<TSpec, T, TV, TOps, TAffine, TStores>(ref T src, ref T gamma, ref T beta, ref T y, nuint j, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TAffine : struct, IAffineLoads<T, TV, TOps>
        where TStores : struct, IStoreKind
        => Put<T, TV, TOps, TStores>(LastPassOutput<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, j, m, r, rc), ref Unsafe.Add(ref y, j));

    /// <summary>The last pass's output vector at <paramref name="j"/>: src, γ and β loaded there (the spec's affine loads).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV LastPassOutput<TSpec, T, TV, TOps, TAffine>(ref T src, ref T gamma, ref T beta, nuint j, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TAffine : struct, IAffineLoads<T, TV, TOps>
        => OutputOf<TSpec, T, TV, TOps>(TOps.Load(ref src, j), TAffine.Gamma(ref gamma, j), TAffine.Beta(ref beta, j), m, r, rc);

    /// <summary>
    /// A streamed row's ends, cached, an element at a time: elements 0 … <paramref name="head"/> − 1 of the row from
    /// <paramref name="first"/> (the row's first vector) and elements n − L + <paramref name="lastFrom"/> … n − 1 from
    /// <paramref name="last"/> (its last vector, at n − L), the elements the aligned non-temporal vectors do not cover
    /// (none for an aligned row whose length is whole vectors; head = L and lastFrom = 0: both whole vectors). A
    /// whole-vector store there also writes into lines the loop has just streamed, and a cached store into such a line
    /// waits for its write-combining buffer and reads the line back from memory: in the C model (stream-model.c, "ends
    /// cached again") that made 2048×768 rows 3.7× slower and 512×4096 1.12×. The stored values are the lanes the whole
    /// vectors held, so the output is the same. For the pipeline only: in VectorRows (StreamRow) its loops cost the
    /// residual row methods their inlining budget (tier1-calls.sh), and as a call there it made the JIT keep vectors
    /// live across rows on the stack (x64 has no callee-saved vector registers; the pipeline with such a call: LnF
    /// 2048×8192 1.0-1.15× eba5bfa's time against 0.88-0.90×), so StreamRow only leaves out the ends of an aligned row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreEnds<T, TV>(TV first, TV last, ref T row, nuint n, nuint head, nuint lastFrom) where T : unmanaged where TV : struct
    {
        nuint lanes = (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>());
        ref T firstLanes = ref Unsafe.As<TV, T>(ref first), lastLanes = ref Unsafe.As<TV, T>(ref last);
        for (nuint e = 0; e < head; e++)
            Unsafe.Add(ref row, e) = Unsafe.Add(ref firstLanes, e);
        ref T lastVector = ref Unsafe.Add(ref row, n - lanes);
        for (nuint e = lastFrom; e < lanes; e++)
            Unsafe.Add(ref lastVector, e) = Unsafe.Add(ref lastLanes, e);
    }

    /// <summary>The vector of h at <paramref name="j"/> copied into residualOut, stored as <typeparamref name="TStores"/> says.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StreamH<T, TV, TOps, TStores>(ref T src, ref T residualOut, nuint j)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T> where TStores : struct, IStoreKind
        => Put<T, TV, TOps, TStores>(TOps.Load(ref src, j), ref Unsafe.Add(ref residualOut, j));

    /// <summary>
    /// One block of the pipeline's pass 1: the four vectors v0 … v3 (x, or h) less the shift k (centred kinds; RMSNorm: v
    /// itself) into the four accumulator pairs, d_i added to s_i and d_i·d_i to q_i, one pair per vector: the operations
    /// of VectorRows' <see cref="Pass1"/> and <see cref="Pass1H"/>, which call it too (and the paired rows, through
    /// <see cref="SumsBlock"/>): the one place pass 1's step is written. On 2026-11-30 calling it from them had cost the
    /// row methods their inlining budget (AddLnF, AddRms4096F and Deep1024F at 512 bits left OutputOf, get_Affine and
    /// get_ResidualOut as calls; LnGelu768F at 256 bits VectorMath.ExpSingle); since the spec's values fold at import
    /// (Spec) and the activation has its own method, tier1-calls.sh (2026-12-02, AVX-512 and DOTNET_EnableAVX512=0)
    /// finds no call in any row method but CopyH and ActivateInPlace, which are calls by design.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pass1Step<TSpec, T, TV, TOps>(TV v0, TV v1, TV v2, TV v3, TV k, ref TV s0, ref TV s1, ref TV s2, ref TV s3,
        ref TV q0, ref TV q1, ref TV q2, ref TV q3)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.Centered)
        {
            v0 = TOps.Subtract(v0, k);
            v1 = TOps.Subtract(v1, k);
            v2 = TOps.Subtract(v2, k);
            v3 = TOps.Subtract(v3, k);
            s0 = TOps.Add(s0, v0);
            s1 = TOps.Add(s1, v1);
            s2 = TOps.Add(s2, v2);
            s3 = TOps.Add(s3, v3);
        }
        q0 = TOps.MultiplyAdd(v0, v0, q0);
        q1 = TOps.MultiplyAdd(v1, v1, q1);
        q2 = TOps.MultiplyAdd(v2, v2, q2);
        q3 = TOps.MultiplyAdd(v3, v3, q3);
    }

    /// <summary><see cref="Pass1Step{TSpec, T, TV, TOps}(TV, TV, TV, TV, TV, ref TV, ref TV, ref TV, ref TV, ref TV, ref TV, ref TV, ref TV)"/> for one vector after the blocks: v less k into s and q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pass1Step<TSpec, T, TV, TOps>(TV v, TV k, ref TV s, ref TV q)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.Centered)
        {
            v = TOps.Subtract(v, k);
            s = TOps.Add(s, v);
        }
        q = TOps.MultiplyAdd(v, v, q);
    }

    /// <summary>
    /// One pass-1 vector of the pipeline at <paramref name="offset"/>, for <see cref="Pass1Step{TSpec, T, TV, TOps}(TV, TV, TV, TV, TV, ref TV, ref TV, ref TV, ref TV, ref TV, ref TV, ref TV, ref TV)"/>:
    /// x, or h = α·x + residual (+ bias) stored into h, as VectorRows' pass 1 (Pass1, Pass1H) loads and forms them, so
    /// the pipeline's statistics are bitwise the row loop's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Pass1Vector<TSpec, T, TV, TOps>(ref T x, ref T residual, ref T bias, ref T h, nuint offset, TV alpha)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (!Spec<TSpec, T>.Residual)
            return TOps.Load(ref x, offset);
        TV v = H<TSpec, T, TV, TOps>(ref x, ref residual, ref bias, offset, 0, alpha);
        TOps.Store(v, ref h, offset);
        return v;
    }
}
