using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormGen;

// Two rows at a time for mid-length rows in cache (issue 11, in-cache rows). One row at a time, a row of 768 floats is
// mostly a serial chain: pass 1's four accumulators, the horizontal sums, the scalar square root and division, then the
// last pass; perf on LayerNorm 32×768 (2-core EPYC, Zen 5) put about 8% of the time on the sqrt/div stall and 12% on the
// row start. With two rows' pass 1 interleaved block by block, and both rows' statistics formed before either last
// pass, each row's chain overlaps the other's work; both last passes in one loop then load γ and β once for the two.
public static partial class RowEngine
{
    /// <summary>
    /// The longest row (3 KiB: 768 floats, 384 doubles) that <see cref="PairedRows"/> runs. A prototype of the pairing
    /// (LayerNorm, floats, 512-bit, the same process, thread CPU, one row at a time ÷ paired) measured about 1.0 at 1024
    /// floats, 0.86-0.89 at 2048 and 0.73 at 4096, and the pipelined pairs no better (six placements: LnF 64 × 1024
    /// 0.97-1.07, 32 × 2048 0.88-0.99, LnD 32 × 1024 0.85-0.97): past 3 KiB the second row's pass 1 no longer hides behind the first
    /// row's chain, and its x has left L1 when its last pass reads it again. bench/NormGen.RowAB, one process, thread
    /// CPU, best of 15 rounds, over eight placements of x and y modulo 4 KiB (--place 592/816,16/2064,40/1000,0/0,16/48,
    /// 48/16,16/3000,1000/200), one row at a time ÷ paired (above 1: pairing faster), with both last passes in one loop
    /// (<see cref="JointLastPass"/>): LnF 32 × 144 1.24-1.31, 64 × 512 1.06-1.30, Ln768F 8 × 768 1.05-1.20, 32 × 768
    /// 0.99-1.15 (geometric mean 1.09), LnD 32 × 200 1.21-1.32, 64 × 384 1.01-1.15; each row's last pass on its own, the
    /// pairing had read 1.13-1.36, 0.97-1.21, -, 0.94-1.08, 1.05-1.25 and 0.89-1.12. Longer rows still lose (four
    /// placements: LnF 64 × 1024 0.96-1.07, 32 × 2048 0.75-0.92). RMSNorm is not paired (its chain is shorter: no shift,
    /// one horizontal sum): RmsF 32 × 768 0.88-0.93 and 64 × 256 1.03-1.06 with the joint last pass; before it RmsF
    /// 32 × 144 0.97-1.15, 64 × 384 0.89-0.99, RmsD 32 × 200 0.99-1.00 over eight placements.
    /// </summary>
    private const int MaxPairedRowBytes = 3072;

    /// <summary>
    /// The most bytes of x a call (a thread's rows) may have for <see cref="PairedRows"/> (x and y together then fit a
    /// core's 1 MiB L2 on the 2-core EPYC). RowAB as for <see cref="MaxPairedRowBytes"/>, x and y placed at 16/2064 and
    /// 40/1000 bytes modulo 4 KiB, best of 21 rounds: Ln768F 160 × 768 (480 KiB) 1.12-1.15, but 256 × 768 (768 KiB)
    /// 0.92-0.94, 320 × 768 0.92-0.95, 600 × 768 0.86-0.89; LnF 512 × 256 (512 KiB) 1.10-1.22, but 1024 × 256
    /// 0.95-1.03 and 2000 × 256 0.98-0.99. Past L2 the rows wait on memory, not on their chains, and one row at a time
    /// does as well or better.
    /// </summary>
    private const long MaxPairedBytes = 512L << 10;

    /// <summary>
    /// Rows of at most this many bytes (256 floats, 128 doubles) are paired past <see cref="MaxPairedBytes"/> too, up to
    /// the prefetching threshold (<see cref="MinPrefetchBytes"/>): with both rows' last passes in one loop
    /// (<see cref="JointLastPass"/>), four placements, one row at a time ÷ paired: LnF 1024 × 256 (1 MiB of x) 1.13-1.17,
    /// 2000 × 256 1.10-1.19, but Ln768F 256 × 768 0.93-1.02 and 512 × 768 0.91-1.05.
    /// </summary>
    private const int MaxPairedRowBytesPastL2 = 1024;

    /// <summary>
    /// The shortest row (16 KiB: 4,096 floats, 2,048 doubles) that <see cref="LongPairedRows"/> pairs, in cache or in a
    /// call past L2 (x of <see cref="MinPrefetchBytes"/> or more): each pair's pass 1, its statistics, then both last
    /// passes in one loop that loads γ and β once (past L2 also prefetching the next pair), with cached or non-temporal
    /// stores (<see cref="JointLastPass"/>). There a row's last pass reads x, γ and
    /// β, three times the row, more than L1 holds; two rows share one read of γ and β. In cache (x under
    /// <see cref="MinPrefetchBytes"/>, all of it in L2 or L3), RowAB (ROWAB_MODE_AB, 2026-12-02), one process, thread CPU,
    /// best of 15, two placements of x and y, one row at a time ÷ paired: LnF 2 × 8192 1.18-1.19, 10 × 8192 1.14-1.16,
    /// 30 × 8192 1.10-1.12, 60 × 8192 1.12-1.14, 3 × 16384 1.14, 20 × 16384 1.14, 8 × 32768 1.12, 15 × 32768 1.15,
    /// 4 × 65536 1.20, 10 × 4096 1.03-1.07, 50 × 4096 1.10, 120 × 4096 1.06-1.09, 40 × 5000 1.08-1.09, LnD 10 × 4096
    /// 1.13-1.16, 30 × 4096 1.10-1.13, 40 × 2048 1.09-1.10, 100 × 2048 1.10. The residual rows (h formed by each row's
    /// pass 1 into residualOut or y, then read by the joint last pass) in cache, the same way: AddLnF 2 × 16384
    /// 1.16-1.17, 10 × 8192 1.08-1.12, 50 × 4096 1.06-1.08, AddLnNoOutF 10 × 8192 1.05-1.13, AddLnBiasF 3 × 16384
    /// 1.05-1.08, DeepF 10 × 8192 1.03-1.15, 50 × 4096 1.00-1.06, AddLnD 10 × 4096 1.09-1.13; past L2 they are not
    /// paired (cached AddLnF 128 × 4096 1.05-1.09 but 512 × 4096 0.97-1.00, AddLnBiasF 256 × 8192 0.95-1.00, AddLnD
    /// 256 × 4096 0.99-1.01; non-temporal, with h in two rows of scratch, AddLnF 2048 × 8192 0.96-0.98, DeepF 0.98-1.03).
    /// Past L2: RowAB, one process, thread CPU,
    /// best of 9, one row at a time ÷ paired (above 1: pairing faster), 2-core EPYC (Zen 5): LnF 128 × 4096 1.07-1.13,
    /// 512 × 4096 1.06-1.17, 1024 × 4096 1.10, 256 × 8192 1.16, 64 × 16384 1.14-1.20, 32 × 32768 1.13, 16 × 65536 1.13,
    /// 300 × 5000 1.09-1.10, LnD 512 × 2048 1.09-1.11, 256 × 4096 1.09-1.15; but 200 × 3000 (12 KiB rows) 0.99-1.00, 1024 ×
    /// 2048 0.69-0.94, 4096 × 1024 0.63-0.71, 4096 × 768 0.76-0.91 (shorter rows: the rows a time prefetch them better).
    /// With β made to alias γ (wrong values, timing only), the rows a time had measured 0.81-0.87 of their time at 128
    /// and 512 × 4096: the parameters' traffic is what pairing saves. With non-temporal stores (outputs past the
    /// streaming threshold), rows a time ÷ paired (ROWAB_MODE_AB=1 ROWAB_AB_FIELD=s_pairedRowsMode, mode 2 against 0):
    /// LnF 2048 × 8192 1.14-1.31, 4096 × 4096 1.11-1.24, 1024 × 16384 1.22-1.24, LnD 2048 × 4096 1.19-1.28 (three placements
    /// of x and y). RMSNorm (γ only) is not paired: its long rows read, rows a time ÷ paired, RmsF 2048 × 8192 1.04-1.16,
    /// 1024 × 16384 1.11-1.15 and RmsD 2048 × 4096 1.04-1.08 with non-temporal stores, but RmsF 4096 × 4096 0.81-0.93, and
    /// with cached stores 512 × 4096 1.00 and 128 × 4096 0.86-0.96.
    /// </summary>
    private const int MinLongPairedRowBytes = 16384;

    /// <summary>The longest row <see cref="LongPairedRows"/> pairs (256 KiB: two rows and γ, β fill a core's 1 MiB L2), as far as measured.</summary>
    private const int MaxLongPairedRowBytes = 256 << 10;

    /// <summary>
    /// 0 (the default): rows paired where <see cref="Paired"/> says; 1: never; 2: as 0 but rows with non-temporal stores
    /// one at a time (no non-temporal pairs). Private, for side-by-side timing and tests only (set by
    /// reflection, as s_pipelineMode).
    /// </summary>
#pragma warning disable CS0649 // set by reflection
    private static int s_pairedRowsMode;
#pragma warning restore CS0649

    /// <summary>
    /// Whether rows first … end − 1 run two at a time (<see cref="PairedRows"/>): LayerNorm (see
    /// <see cref="MaxPairedRowBytes"/> on RMSNorm) over float or double spans (the rows in the user's memory), x only (with
    /// a residual: long rows in cache only, see <see cref="MinLongPairedRowBytes"/>), no activation, 512-bit vectors (two
    /// rows' sixteen accumulators and two shifts fit the 32 registers; at 256 bits they would spill), two rows or more,
    /// each longer than the short-row pipeline's (<see cref="MaxPipelinedVectors"/>); in cache (no prefetch: under
    /// <see cref="MinPrefetchBytes"/>, cached stores) rows of at most
    /// <see cref="MaxPairedRowBytes"/> and at most <see cref="MaxPairedBytes"/> of x unless the rows are at most
    /// <see cref="MaxPairedRowBytesPastL2"/>; in cache or past L2 (prefetched, cached or non-temporal stores) rows of
    /// <see cref="MinLongPairedRowBytes"/> to <see cref="MaxLongPairedRowBytes"/> (<see cref="LongPairedRows"/>).
    /// JIT-time constants but the length, the count and the flags.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Paired<TSpec, TX, TY, T, TV>(ref RowRefs<T> c, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct
        => typeof(TX) == typeof(T) && typeof(TY) == typeof(T) && typeof(TV) == typeof(Vector512<T>)
            && (!Spec<TSpec, T>.Residual || !c.Prefetch && RowBytes<TSpec, T>(ref c) >= MinLongPairedRowBytes)
            && Spec<TSpec, T>.Centered && Spec<TSpec, T>.Activation == Activation.None
            && RowBytes<TSpec, T>(ref c) > (nuint)(MaxPipelinedVectors * Unsafe.SizeOf<TV>()) && end - first >= 2
            && (RowBytes<TSpec, T>(ref c) >= MinLongPairedRowBytes
                ? RowBytes<TSpec, T>(ref c) <= MaxLongPairedRowBytes
                : !c.Prefetch && RowBytes<TSpec, T>(ref c) <= MaxPairedRowBytes
                  && ((end - first) * RowBytes<TSpec, T>(ref c) <= MaxPairedBytes || RowBytes<TSpec, T>(ref c) <= MaxPairedRowBytesPastL2))
            && s_pairedRowsMode != 1;

    /// <summary>
    /// Rows first … end − 1 (see <see cref="Paired"/>) two at a time: both rows' pass 1 interleaved block by block
    /// (<see cref="PairedSums"/>), both rows' statistics, then the next pair's pass 1, then both rows' last passes in one
    /// loop that loads γ and β once for the two (<see cref="JointLastPass"/>), from c.Head when γ and β are at y's phase
    /// (<see cref="AlignedParameterRows"/>). Every row's operations are
    /// <see cref="VectorRows"/>' in the same order, so its bits are the same wherever it is in the batch; an odd last row
    /// goes to VectorRows. Returns the first row left to HugeRow (a pair whose first row overflows: neither row written;
    /// whose second does: the first row written; pass 1 writes nothing), or end.
    /// </summary>
    /// <remarks>
    /// The next pair's pass 1 ahead of this pair's last passes overlaps the statistics' chain (RowAB, thread CPU, best of
    /// 21 rounds, two placements, pass 1 after the last passes ÷ ahead of them: Ln768F 8 × 768 1.08-1.10, 32 × 768
    /// 1.06-1.07, 128 × 768 1.01-1.05, LnF 32 × 256 1.15, 512 × 256 1.10-1.11, LnD 32 × 200 1.14-1.16).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nuint PairedRows<TSpec, T, TV, TOps>(ref RowRefs<T> c, ref T xFirst, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.Residual || RowBytes<TSpec, T>(ref c) >= MinLongPairedRowBytes)
        {
            // A y just past the rows' source in a 4 KiB page: the last passes go down the rows (see YJustPastSource; with
            // non-temporal stores a narrower zone, StreamedPairsZoneEnd; the first row's place decides for the call).
            ref T src = ref Spec<TSpec, T>.Residual ? ref Unsafe.Add(ref c.H, first * c.HStride) : ref xFirst;
            return YJustPastSource(ref src, ref Unsafe.Add(ref c.Y, first * c.YStride), zoneEnd: c.Streaming ? StreamedPairsZoneEnd : JustPastZone)
                ? LongPairedRows<TSpec, T, TV, TOps, Down>(ref c, ref xFirst, first, end)
                : LongPairedRows<TSpec, T, TV, TOps, Up>(ref c, ref xFirst, first, end);
        }
        // Shorter rows (always cached stores) go down from 33 bytes past the source on (see CachedRowsZoneStart).
        return YJustPastSource(ref xFirst, ref Unsafe.Add(ref c.Y, first * c.YStride), CachedRowsZoneStart)
            ? ShortPairedRows<TSpec, T, TV, TOps, Down>(ref c, ref xFirst, first, end)
            : ShortPairedRows<TSpec, T, TV, TOps, Up>(ref c, ref xFirst, first, end);
    }

    /// <summary>
    /// <see cref="PairedRows"/> for rows shorter than <see cref="MinLongPairedRowBytes"/>, their last passes in the
    /// direction <typeparamref name="TDirection"/> (one instance each: a typeof test in <see cref="JointLastPass"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nuint ShortPairedRows<TSpec, T, TV, TOps, TDirection>(ref RowRefs<T> c, ref T xFirst, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TDirection : struct
    {
        nuint n = Spec<TSpec, T>.RowLength > 0 ? (nuint)Spec<TSpec, T>.RowLength : c.N, L = (nuint)TOps.Count, xStride = c.XStride, yStride = c.YStride;
        T inv = Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.InverseRowLength : T.One / T.CreateTruncating((int)n);
        TV tail = n % L != 0 ? TOps.TailMask((int)(L - n % L)) : TOps.Zero;
        nuint row = first;
        ref T xa = ref xFirst;
        PairedSums<TSpec, T, TV, TOps>(ref xa, ref Unsafe.Add(ref xa, xStride), n, out T shiftA, out TV sumsA, out TV squaresA, out T shiftB, out TV sumsB, out TV squaresB);
        while (true)
        {
            ref T xb = ref Unsafe.Add(ref xa, xStride);
            if (!Statistics<TSpec, T, TV, TOps>(ref xa, n, inv, tail, shiftA, sumsA, squaresA, out T center, out T scaledOffset, out T mean, out T rstd))
                return row;
            bool second = Statistics<TSpec, T, TV, TOps>(ref xb, n, inv, tail, shiftB, sumsB, squaresB,
                out T centerB, out T scaledOffsetB, out T meanB, out T rstdB);
            // The next pair's pass 1 before this pair's last passes: it does not wait on the statistics' chain (horizontal
            // sums, square root, division), which it overlaps.
            ref T xNext = ref Unsafe.Add(ref xb, xStride);
            bool more = row + 3 < end;
            if (more)
                PairedSums<TSpec, T, TV, TOps>(ref xNext, ref Unsafe.Add(ref xNext, xStride), n, out shiftA, out sumsA, out squaresA, out shiftB, out sumsB, out squaresB);
            // Both rows' last passes in one loop, γ and β loaded once for the two. A second row left to HugeRow: the first
            // row twice (the same values stored twice), then return.
            Save<TSpec, T>(ref c, row, mean, rstd);
            ref T ya = ref Unsafe.Add(ref c.Y, row * yStride);
            if (second) Save<TSpec, T>(ref c, row + 1, meanB, rstdB);
            else
            {
                centerB = center;
                scaledOffsetB = scaledOffset;
                rstdB = rstd;
            }
            JointLastPass<TSpec, T, TV, TOps, CachedStores, TDirection>(ref xa, ref second ? ref xb : ref xa, ref c.Gamma, ref c.Beta, ref ya, ref second ? ref Unsafe.Add(ref ya, yStride) : ref ya, n, c.Head,
                Spec<TSpec, T>.Centered ? TOps.Create(center) : TOps.Zero, TOps.Create(rstd), Spec<TSpec, T>.Centered ? TOps.Create(scaledOffset) : TOps.Zero,
                Spec<TSpec, T>.Centered ? TOps.Create(centerB) : TOps.Zero, TOps.Create(rstdB), Spec<TSpec, T>.Centered ? TOps.Create(scaledOffsetB) : TOps.Zero,
                ref xa, ref xa, prefetch: false, ref Unsafe.NullRef<StreamedEnds<TV>>(), ref ya);
            if (!second) return row + 1;
            row += 2;
            xa = ref xNext;
            if (!more) break;
        }
        if (row == end) return end;
        return c.Head != 0 ? LoopRows<TSpec, T, T, T, TV, TOps, YPhasePass1<T, TV, TOps>>(ref c, ref xa, row, end)
            : LoopRows<TSpec, T, T, T, TV, TOps, XPass1<T, TV, TOps>>(ref c, ref xa, row, end);
    }

    /// <summary>
    /// <see cref="Pass1"/> of two rows, <paramref name="xa"/>'s and <paramref name="xb"/>'s, their blocks interleaved
    /// (<see cref="SumsBlock"/>, then <see cref="SumsRest"/> for each): each row's shift, accumulators and operations are
    /// Pass1's, so its sums have Pass1's bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairedSums<TSpec, T, TV, TOps>(ref T xa, ref T xb, nuint n, out T shiftA, out TV sumsA, out TV squaresA,
        out T shiftB, out TV sumsB, out TV squaresB)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
        shiftA = shiftB = T.Zero;
        if (Spec<TSpec, T>.Centered)
        {
            shiftA = Shift<T, TV, TOps>(ref xa);
            shiftB = Shift<T, TV, TOps>(ref xb);
        }
        TV ka = TOps.Create(shiftA), kb = TOps.Create(shiftB);
        TV a0 = TOps.Zero, a1 = a0, a2 = a0, a3 = a0, qa0 = a0, qa1 = a0, qa2 = a0, qa3 = a0;
        TV b0 = a0, b1 = a0, b2 = a0, b3 = a0, qb0 = a0, qb1 = a0, qb2 = a0, qb3 = a0;
        nuint i = 0;
        for (; i + 4 * (nuint)TOps.Count <= n; i += 4 * (nuint)TOps.Count)
        {
            SumsBlock<TSpec, T, TV, TOps>(ref xa, i, ka, ref a0, ref a1, ref a2, ref a3, ref qa0, ref qa1, ref qa2, ref qa3);
            SumsBlock<TSpec, T, TV, TOps>(ref xb, i, kb, ref b0, ref b1, ref b2, ref b3, ref qb0, ref qb1, ref qb2, ref qb3);
        }
        SumsRest<TSpec, T, TV, TOps>(ref xa, n, i, ka, ref a0, ref a1, ref qa0, ref qa1);
        SumsRest<TSpec, T, TV, TOps>(ref xb, n, i, kb, ref b0, ref b1, ref qb0, ref qb1);
        sumsA = TOps.Add(TOps.Add(a0, a1), TOps.Add(a2, a3));
        squaresA = TOps.Add(TOps.Add(qa0, qa1), TOps.Add(qa2, qa3));
        sumsB = TOps.Add(TOps.Add(b0, b1), TOps.Add(b2, b3));
        squaresB = TOps.Add(TOps.Add(qb0, qb1), TOps.Add(qb2, qb3));
    }

    /// <summary>
    /// <see cref="PairedRows"/> for rows of <see cref="MinLongPairedRowBytes"/> or more: each pair's pass 1
    /// (<see cref="PairedSums"/>; with a residual, <see cref="Pass1H"/> row by row), both rows' statistics, then both last
    /// passes in one loop (<see cref="JointLastPass"/>) that, past L2 (c.Prefetch), prefetches the next pair's rows as the
    /// rows a time prefetch the next row. The next pair's pass 1 does not run ahead here (as for short rows in cache): its
    /// rows would push this pair's out of L1 before their last passes. With non-temporal stores the pairs need every row's
    /// y at the same place within a vector (<see cref="SamePhaseRows"/>), else the rows go one at a time. The same
    /// operations per row, so the same bits; a row left to HugeRow as in PairedRows (the second: the first done one row at
    /// a time, or with a residual its last pass alone, <see cref="LastOfPair"/>).
    /// </summary>
    private static nuint LongPairedRows<TSpec, T, TV, TOps, TDirection>(ref RowRefs<T> c, ref T xFirst, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TDirection : struct
    {
        nuint n = Spec<TSpec, T>.RowLength > 0 ? (nuint)Spec<TSpec, T>.RowLength : c.N, L = (nuint)TOps.Count, xStride = c.XStride, yStride = c.YStride;
        T inv = Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.InverseRowLength : T.One / T.CreateTruncating((int)n);
        TV tail = n % L != 0 ? TOps.TailMask((int)(L - n % L)) : TOps.Zero;
        nuint row = first;
        ref T xa = ref xFirst;
        // With non-temporal stores, rows pair where every row's y starts at the same place within a vector
        // (SamePhaseRows); otherwise they go one at a time (below).
        bool stream = c.Streaming;
        nuint pairsEnd = stream && (s_pairedRowsMode == 2 || !SamePhaseRows<T, TV>(ref Unsafe.Add(ref c.Y, first * yStride), yStride)) ? row : end;
        StreamedEnds<TV> ends = StreamedEnds<TV>.None; // non-temporal stores (no residual): the rows' ends
        for (; row + 2 <= pairsEnd; row += 2, xa = ref Unsafe.Add(ref xa, 2 * xStride))
        {
            ref T xb = ref Unsafe.Add(ref xa, xStride);
            // What the last passes read: x, or with a residual h, which pass 1 forms and stores into the row's h (its
            // residualOut, else its y: a residual pairs with cached stores only).
            ref T srcA = ref xa, srcB = ref xb;
            T center, scaledOffset, mean, rstd, centerB, scaledOffsetB, meanB, rstdB;
            if (Spec<TSpec, T>.Residual)
            {
                // Row by row, the first row's statistics before the second row's pass 1: h may be stored over the second
                // row's x or residual (in place), so a first row left to HugeRow must leave the second untouched; and a
                // second row left to HugeRow cannot have the first row's h formed again (LastOfPair).
                srcA = ref Unsafe.Add(ref c.H, row * c.HStride);
                srcB = ref Unsafe.Add(ref srcA, c.HStride);
                ref T ra = ref Unsafe.Add(ref c.Residual, row * c.ResidualStride);
                T shiftA = Pass1H<TSpec, T, TV, TOps>(ref xa, ref ra, ref c.Bias, ref srcA, n, out TV sumsA, out TV squaresA);
                if (!Statistics<TSpec, T, TV, TOps>(ref srcA, n, inv, tail, shiftA, sumsA, squaresA, out center, out scaledOffset, out mean, out rstd))
                    return row;
                T shiftB = Pass1H<TSpec, T, TV, TOps>(ref xb, ref Unsafe.Add(ref ra, c.ResidualStride), ref c.Bias, ref srcB, n, out TV sumsB, out TV squaresB);
                if (!Statistics<TSpec, T, TV, TOps>(ref srcB, n, inv, tail, shiftB, sumsB, squaresB, out centerB, out scaledOffsetB, out meanB, out rstdB))
                    return LastOfPair<TSpec, T, TV, TOps>(ref c, row, ref srcA, mean, rstd, center, scaledOffset);
            }
            else
            {
                PairedSums<TSpec, T, TV, TOps>(ref xa, ref xb, n, out T shiftA, out TV sumsA, out TV squaresA, out T shiftB, out TV sumsB, out TV squaresB);
                if (!Statistics<TSpec, T, TV, TOps>(ref xa, n, inv, tail, shiftA, sumsA, squaresA, out center, out scaledOffset, out mean, out rstd))
                {
                    ends.Flush<T, TOps>(ref c.Y);
                    return row;
                }
                if (!Statistics<TSpec, T, TV, TOps>(ref xb, n, inv, tail, shiftB, sumsB, squaresB, out centerB, out scaledOffsetB, out meanB, out rstdB))
                    break; // the second row to HugeRow: this pair's first row one row at a time, below
            }
            Save<TSpec, T>(ref c, row, mean, rstd);
            Save<TSpec, T>(ref c, row + 1, meanB, rstdB);
            ref T ya = ref Unsafe.Add(ref c.Y, row * yStride);
            ref T yb = ref Unsafe.Add(ref ya, yStride);
            // The next pair's rows (the second only where there is one: the first twice otherwise), prefetched if any.
            ref T nextA = ref Unsafe.Add(ref xb, xStride);
            ref T nextB = ref row + 3 < end ? ref Unsafe.Add(ref nextA, xStride) : ref nextA;
            TV mA = TOps.Create(center), rA = TOps.Create(rstd), rcA = TOps.Create(scaledOffset);
            TV mB = TOps.Create(centerB), rB = TOps.Create(rstdB), rcB = TOps.Create(scaledOffsetB);
            // Non-temporal stores from y's first vector boundary (as StreamRow; the rows' y share its phase), cached ones from
            // c.Head (γ and β at y's phase, or 0).
            if (stream && !Spec<TSpec, T>.Residual)
                JointLastPass<TSpec, T, TV, TOps, NonTemporalStores, TDirection>(ref xa, ref xb, ref c.Gamma, ref c.Beta, ref ya, ref yb, n,
                    (nuint)StreamingStore.ElementsToAlignment(ref ya, (int)L), mA, rA, rcA, mB, rB, rcB, ref nextA, ref nextB, prefetch: c.Prefetch && row + 2 < end,
                    ref ends, ref c.Y);
            else
                JointLastPass<TSpec, T, TV, TOps, CachedStores, TDirection>(ref srcA, ref srcB, ref c.Gamma, ref c.Beta, ref ya, ref yb, n, c.Head, mA, rA, rcA, mB, rB, rcB,
                    ref nextA, ref nextB, prefetch: c.Prefetch && row + 2 < end, ref ends, ref c.Y);
        }
        ends.Flush<T, TOps>(ref c.Y);
        if (row == end) return end;
        return Spec<TSpec, T>.Residual ? LoopRows<TSpec, T, T, T, TV, TOps, ResidualPass1<T, TV, TOps>>(ref c, ref xa, row, end)
            : c.Head != 0 ? LoopRows<TSpec, T, T, T, TV, TOps, YPhasePass1<T, TV, TOps>>(ref c, ref xa, row, end)
            : LoopRows<TSpec, T, T, T, TV, TOps, XPass1<T, TV, TOps>>(ref c, ref xa, row, end);
    }

    /// <summary>
    /// A residual pair of <see cref="LongPairedRows"/> whose second row is left to HugeRow: the first row's last pass
    /// alone (its h, perhaps stored over its x, cannot be formed again, so the pair cannot start over one row at a time as
    /// LayerNorm's does). The second row's h is where HugeRow reads it. Returns the second row.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nuint LastOfPair<TSpec, T, TV, TOps>(ref RowRefs<T> c, nuint row, ref T h, T mean, T rstd, T center, T scaledOffset)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        nuint n = Spec<TSpec, T>.RowLength > 0 ? (nuint)Spec<TSpec, T>.RowLength : c.N;
        Save<TSpec, T>(ref c, row, mean, rstd);
        ref T y = ref Unsafe.Add(ref c.Y, row * c.YStride);
        TV m = TOps.Create(center), r = TOps.Create(rstd), rc = TOps.Create(scaledOffset);
        JointLastPass<TSpec, T, TV, TOps, CachedStores, Up>(ref h, ref h, ref c.Gamma, ref c.Beta, ref y, ref y, n, 0, m, r, rc, m, r, rc, ref h, ref h, prefetch: false,
            ref Unsafe.NullRef<StreamedEnds<TV>>(), ref y);
        return row + 1;
    }

    /// <summary>The direction of <see cref="JointLastPass"/>'s loop: up the rows (the plain order).</summary>
    private readonly struct Up;

    /// <summary>Down the rows, from the last whole vector (see <see cref="YJustPastSource"/>).</summary>
    private readonly struct Down;

    /// <summary>
    /// One vector of <see cref="JointLastPass"/>'s loop at <paramref name="i"/>: γ and β loaded once, both rows' outputs
    /// stored, and with <paramref name="prefetch"/> the next pair's lines at i.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void JointVector<TSpec, T, TV, TOps, TStores>(ref T srcA, ref T srcB, ref T gamma, ref T beta, ref T yA, ref T yB, nuint i,
        TV mA, TV rA, TV rcA, TV mB, TV rB, TV rcB, ref T nextA, ref T nextB, bool prefetch, nuint n)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TStores : struct, IStoreKind
    {
        if (prefetch)
        {
            StreamingStore.Prefetch(ref nextA, i, PrefetchesToL2<T>(n));
            StreamingStore.Prefetch(ref nextB, i, PrefetchesToL2<T>(n));
        }
        TV g = Spec<TSpec, T>.Affine != Affine.None ? TOps.Load(ref gamma, i) : TOps.Zero;
        TV b = Spec<TSpec, T>.Affine == Affine.ScaleAndBias ? TOps.Load(ref beta, i) : TOps.Zero;
        // Both loads before both stores: with the first row passed twice (its partner left to HugeRow) in place, the
        // second load would otherwise read the first store's output.
        TV va = TOps.Load(ref srcA, i), vb = TOps.Load(ref srcB, i);
        Put<T, TV, TOps, TStores>(AffineOf<TSpec, T, TV, TOps>(va, g, b, mA, rA, rcA), ref Unsafe.Add(ref yA, i));
        Put<T, TV, TOps, TStores>(AffineOf<TSpec, T, TV, TOps>(vb, g, b, mB, rB, rcB), ref Unsafe.Add(ref yB, i));
    }

    /// <summary>
    /// Whether every row's y (the first at <paramref name="y"/>, <paramref name="yStride"/> apart) starts at the same
    /// element of a vector, on an element boundary: the rows <see cref="LongPairedRows"/> can pair with non-temporal stores.
    /// </summary>
    private static unsafe bool SamePhaseRows<T, TV>(ref T y, nuint yStride) where T : unmanaged where TV : struct
        => (nuint)Unsafe.AsPointer(ref y) % (nuint)Unsafe.SizeOf<T>() == 0 && yStride * (nuint)Unsafe.SizeOf<T>() % (nuint)Unsafe.SizeOf<TV>() == 0;

    /// <summary>
    /// The last passes of two rows (<paramref name="srcA"/> into <paramref name="yA"/>, <paramref name="srcB"/> into
    /// <paramref name="yB"/>) in one loop from <paramref name="head"/>, each vector of γ and β loaded once for both: per
    /// output vector two loads instead of three. Each element's operations are <see cref="VectorRows"/>' last pass's
    /// (AffineOf is OutputAt's math), so the same bits. The loop stores as <typeparamref name="TStores"/> says: cached,
    /// or non-temporal from y's first vector boundary (head then y's phase, the same for both rows: see
    /// <see cref="SamePhaseRows"/>; the caller fences once after its rows), as <see cref="StreamRow"/> writes one row.
    /// The first vector (with a head) and the overlapping last vector of both rows are computed before the loop (in place:
    /// read before the loop overwrites them) and stored after it: through the cache, or with non-temporal stores through
    /// <paramref name="streamedEnds"/> (each row's tail carried into the vector it shares with the next row's head; the
    /// caller flushes it when it leaves the pairs; <paramref name="yBase"/> the call's y). With
    /// <paramref name="prefetch"/>, each vector's step also prefetches the line at the same place of
    /// <paramref name="nextA"/> and <paramref name="nextB"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void JointLastPass<TSpec, T, TV, TOps, TStores, TDirection>(ref T srcA, ref T srcB, ref T gamma, ref T beta, ref T yA, ref T yB, nuint n, nuint head,
        TV mA, TV rA, TV rcA, TV mB, TV rB, TV rcB, ref T nextA, ref T nextB, bool prefetch, ref StreamedEnds<TV> streamedEnds, ref T yBase)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TStores : struct, IStoreKind where TDirection : struct
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
        nuint L = (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>()), last = n - L, i;
        bool ends = n % L != 0 || head != 0;
        TV firstA = TOps.Zero, firstB = TOps.Zero, lastA = TOps.Zero, lastB = TOps.Zero;
        if (head != 0)
        {
            firstA = Output<TSpec, T, TV, TOps>(TOps.Load(ref srcA, 0), ref gamma, ref beta, 0, mA, rA, rcA);
            firstB = Output<TSpec, T, TV, TOps>(TOps.Load(ref srcB, 0), ref gamma, ref beta, 0, mB, rB, rcB);
        }
        if (ends)
        {
            lastA = Output<TSpec, T, TV, TOps>(TOps.Load(ref srcA, last), ref gamma, ref beta, last, mA, rA, rcA);
            lastB = Output<TSpec, T, TV, TOps>(TOps.Load(ref srcB, last), ref gamma, ref beta, last, mB, rB, rcB);
        }
        if (typeof(TDirection) == typeof(Down)) // a typeof test: the other instances do not import it
        {
            // The same vectors from the last whole one down (see YJustPastSource), cached or non-temporal; i ends where
            // the loop up would (the non-temporal ends below read it).
            nuint count = n >= head + L ? (n - head) / L : 0;
            for (nuint k = count; k-- > 0;)
                JointVector<TSpec, T, TV, TOps, TStores>(ref srcA, ref srcB, ref gamma, ref beta, ref yA, ref yB, head + k * L, mA, rA, rcA, mB, rB, rcB,
                    ref nextA, ref nextB, prefetch, n);
            i = head + count * L;
        }
        else
        {
            for (i = head; i + L <= n; i += L)
                JointVector<TSpec, T, TV, TOps, TStores>(ref srcA, ref srcB, ref gamma, ref beta, ref yA, ref yB, i, mA, rA, rcA, mB, rB, rcB,
                    ref nextA, ref nextB, prefetch, n);
        }
        if (TStores.NonTemporal)
        {
            // Row A's head with the tail carried from the row before, A's tail with B's head, B's tail carried on.
            streamedEnds.Head<T, TOps>(ref yBase, ref yA, firstA, head);
            streamedEnds.Tail<T, TOps>(ref yBase, ref yA, n, lastA, i - last);
            streamedEnds.Head<T, TOps>(ref yBase, ref yB, firstB, head);
            streamedEnds.Tail<T, TOps>(ref yBase, ref yB, n, lastB, i - last);
            return;
        }
        if (ends)
        {
            TOps.Store(lastA, ref yA, last);
            TOps.Store(lastB, ref yB, last);
        }
        if (head != 0)
        {
            TOps.Store(firstA, ref yA, 0);
            TOps.Store(firstB, ref yB, 0);
        }
    }
}
