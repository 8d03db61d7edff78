using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormGen;

public static partial class RowEngine
{
    /// <summary>
    /// Rows of at most this many vectors run software-pipelined (<see cref="ShortRows"/>). A row that short is mostly its
    /// serial chain (the shift's horizontal sum, pass 1, two more horizontal sums, the scalar rstd, the last pass: about
    /// 120 cycles for LayerNorm), which the processor overlapped with the next row's only in part: one row at a time,
    /// LayerNorm at hidden 64 ran at a quarter to a third of its cache level's best case. Rows of 16 and 32 vectors
    /// measured no faster pipelined (their blocks of four in the last pass then run one vector a step).
    /// </summary>
    private const int MaxPipelinedVectors = 8;

    /// <summary>
    /// Whether <see cref="VectorBody{T, TV, TOps}"/> runs rows first … end − 1 in <see cref="ShortRows"/>: float or double
    /// spans (the rows in the user's memory), x only (pass 1 writes nothing, so a row left to HugeRow can be started
    /// over), no activation, cached stores, a row of at most <see cref="MaxPipelinedVectors"/> vectors, and two rows or
    /// more; RMSNorm pipelined only for inputs in cache (under <see cref="MinPrefetchBytes"/>): at 100,000 × 64 floats it
    /// measured 1.2-1.45× the one-row path's thread CPU time pipelined (with or without prefetching two rows ahead),
    /// LayerNorm 0.77-0.90×; past that, RMSNorm rows of at most <see cref="MaxInMemoryShortRowBytes"/> take
    /// <see cref="ShortRowsInMemory"/>; LayerNorm rows past 256 bytes only while the rows' x and y stay in the last-level
    /// cache (<see cref="PastCache{T}"/>). JIT-time constants but the length, the count, c.Streaming and c.Prefetch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Pipelined<TSpec, TX, TY, T, TV, TOps>(ref RowRefs<T> c, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        => typeof(TX) == typeof(T) && typeof(TY) == typeof(T) && !Spec<TSpec, T>.Residual && Spec<TSpec, T>.Activation == Activation.None
            && (Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.RowLength <= MaxPipelinedVectors * Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>() : c.N <= (nuint)(MaxPipelinedVectors * Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>()))
            && end - first >= 2 && !c.Streaming
            && (Spec<TSpec, T>.Centered ? !PastCache<T>(ref c, first, end) : !c.Prefetch || RowBytes<TSpec, T>(ref c) <= MaxInMemoryShortRowBytes);

    /// <summary>A row's bytes (a JIT-time constant for a compile-time length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint RowBytes<TSpec, T>(ref RowRefs<T> c) where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
        => (Spec<TSpec, T>.RowLength > 0 ? (nuint)Spec<TSpec, T>.RowLength : c.N) * (nuint)Unsafe.SizeOf<T>();

    /// <summary>
    /// The longest RMSNorm row (400 bytes: 100 floats, 50 doubles) that <see cref="ShortRowsInMemory"/> runs when the
    /// input is past a core's L2. RowAB, thread CPU, x, y and γ placed (--place), that loop ÷ the one-row path: floats
    /// 156,250 × 32 0.87-0.93, 78,125 × 64 0.90-0.94, 62,500 × 80 0.91-0.93, 52,083 × 96 0.89-0.94, 50,000 × 100
    /// 0.95-0.97, 48,076 × 104 0.94-1.00, 46,296 × 108 0.99-1.03, but 44,642 × 112 1.14-1.22 and 40,000 × 128 1.10-1.22;
    /// doubles 78,125 × 32 0.90-0.93, 52,083 × 48 0.91-0.95, 39,062 × 64 1.15; 256-bit vectors, floats × 32, 48 and 64
    /// 0.83-0.93. eba5bfa's generated kernel had read 1.04-1.10× faster than the one-row path on the rows of 64-100 floats.
    /// </summary>
    private const int MaxInMemoryShortRowBytes = 400;

    /// <summary>
    /// Whether LayerNorm rows first … end − 1 of <paramref name="c"/> are longer than 256 bytes and their x and y together
    /// reach the streaming threshold (the last-level cache; on several threads, each thread's rows): then the one-row
    /// path beats the pipeline. RowAB, thread CPU, the one-row path's time ÷ the pipeline's, one thread (the one-row path
    /// then prefetching the next row's first block, which rows under <see cref="MinPrefetchRowBytes"/> no longer do: 0.97-0.99×
    /// the time at 60,000 × 128 without it): 100,000 × 128 floats 0.54-0.68, 60,000 × 128 0.58-0.69, 40,000 ×
    /// 128 0.62-0.67, 114,285 × 112 0.70, 133,333 × 96 0.78, 160,000 × 80 0.89-0.90; rows of 64 stay pipelined (200,000 ×
    /// 64 1.00-1.07, 100,000 × 64 1.13-1.17), and so do rows in cache (20,000 × 128, 20 MB: 1.10-1.14; 10,000 × 128 1.19-1.22).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool PastCache<T>(ref RowRefs<T> c, nuint first, nuint end)
        => c.N * (nuint)Unsafe.SizeOf<T>() > 256 && RowScheduler.UseStreamingStores(2 * (long)((end - first) * c.N) * Unsafe.SizeOf<T>());

    /// <summary>
    /// Short rows (see <see cref="Pipelined"/>) software-pipelined: step k runs row k's pass 1, then the statistics and the
    /// last pass of row k − 3, whose sums waited in registers, so the serial chains of four rows are in flight together,
    /// with one copy of each pass in the method (two rows written out side by side put it past the JIT's inlining budget:
    /// Pass1, Statistics and the last pass were left as calls). Lookahead 2 measured about as fast, 3 a little faster.
    /// Each row's operations are <see cref="VectorRows"/>' in the same order (same bits, wherever the row is in the
    /// batch). Returns the first row left to HugeRow (pass 1 of the rows after it wrote nothing), or end. LayerNorm over
    /// floats with 512-bit vectors runs in groups of four instead (<see cref="ShortRowGroups"/>).
    /// </summary>
    private static nuint ShortRows<TSpec, T, TV, TOps>(ref RowRefs<T> c, ref T xFirst, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.Centered && typeof(T) == typeof(float) && typeof(TV) == typeof(Vector512<T>) && Avx512F.IsSupported)
            return ShortRowGroups<TSpec, T, TV, TOps>(ref c, ref xFirst, first, end);
        if (!Spec<TSpec, T>.Centered && c.Prefetch)
            return ShortRowsInMemory<TSpec, T, TV, TOps>(ref c, ref xFirst, first, end);
        nuint n = Spec<TSpec, T>.RowLength > 0 ? (nuint)Spec<TSpec, T>.RowLength : c.N, L = (nuint)TOps.Count, xStride = c.XStride, yStride = c.YStride;
        T inv = Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.InverseRowLength : T.One / T.CreateTruncating((int)n);
        TV tail = n % L != 0 ? TOps.TailMask((int)(L - n % L)) : TOps.Zero;
        // Pass 1's results of rows k − 1 (1), k − 2 (2) and k − 3 (3).
        T shift1 = T.Zero, shift2 = T.Zero, shift3 = T.Zero;
        TV sums1 = TOps.Zero, squares1 = sums1, sums2 = sums1, squares2 = sums1, sums3 = sums1, squares3 = sums1;
        for (nuint k = first; k < end + 3; k++)
        {
            T shift = T.Zero;
            TV sums = TOps.Zero, squares = sums;
            if (k < end)
                shift = Pass1<TSpec, T, TV, TOps>(ref Unsafe.Add(ref xFirst, (k - first) * xStride), n, out sums, out squares);
            if (k >= first + 3)
            {
                nuint row = k - 3;
                ref T x = ref Unsafe.Add(ref xFirst, (row - first) * xStride);
                if (!Statistics<TSpec, T, TV, TOps>(ref x, n, inv, tail, shift3, sums3, squares3, out T center, out T scaledOffset, out T mean, out T rstd))
                    return row;
                Save<TSpec, T>(ref c, row, mean, rstd);
                ShortLastPass<TSpec, T, TV, TOps>(ref x, ref c.Gamma, ref c.Beta, ref Unsafe.Add(ref c.Y, row * yStride), n,
                    Spec<TSpec, T>.Centered ? TOps.Create(center) : TOps.Zero, TOps.Create(rstd), Spec<TSpec, T>.Centered ? TOps.Create(scaledOffset) : TOps.Zero);
            }
            shift3 = shift2;
            sums3 = sums2;
            squares3 = squares2;
            shift2 = shift1;
            sums2 = sums1;
            squares2 = squares1;
            shift1 = shift;
            sums1 = sums;
            squares1 = squares;
        }
        return end;
    }

    /// <summary>
    /// RMSNorm's short rows past a core's L2 (see <see cref="MaxInMemoryShortRowBytes"/>): one row a step, ShortRows' own
    /// pieces (Pass1, Statistics, ShortLastPass, so each row's operations and bits are <see cref="VectorRows"/>'), the
    /// length, 1/n, the tail mask and the streams in registers for the whole loop, and the next row's first block
    /// prefetched before the last pass, as the one-row path prefetches it. The one-row path read and recomputed them every
    /// row (its loop carries the residual, h, streaming, γ at y's phase and the prefetching blocks): about 40 instructions
    /// more a row of 64 floats. Returns the first row left to HugeRow, or end.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static nuint ShortRowsInMemory<TSpec, T, TV, TOps>(ref RowRefs<T> c, ref T xFirst, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        nuint n = Spec<TSpec, T>.RowLength > 0 ? (nuint)Spec<TSpec, T>.RowLength : c.N, L = (nuint)TOps.Count, xStride = c.XStride, yStride = c.YStride;
        T inv = Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.InverseRowLength : T.One / T.CreateTruncating((int)n);
        TV tail = n % L != 0 ? TOps.TailMask((int)(L - n % L)) : TOps.Zero;
        ref T gamma = ref c.Gamma, beta = ref c.Beta, y = ref c.Y, x = ref xFirst;
        for (nuint row = first; row < end; row++, x = ref Unsafe.Add(ref x, xStride))
        {
            T shift = Pass1<TSpec, T, TV, TOps>(ref x, n, out TV sums, out TV squares);
            if (!Statistics<TSpec, T, TV, TOps>(ref x, n, inv, tail, shift, sums, squares, out T center, out T scaledOffset, out T mean, out T rstd))
                return row;
            Save<TSpec, T>(ref c, row, mean, rstd);
            PrefetchBlock<TSpec, T, TV, TOps>(ref x, ref x, xStride);
            ShortLastPass<TSpec, T, TV, TOps>(ref x, ref gamma, ref beta, ref Unsafe.Add(ref y, row * yStride), n,
                Spec<TSpec, T>.Centered ? TOps.Create(center) : TOps.Zero, TOps.Create(rstd), Spec<TSpec, T>.Centered ? TOps.Create(scaledOffset) : TOps.Zero);
        }
        return end;
    }

    /// <summary>
    /// <see cref="ShortRows"/> for LayerNorm over floats with 512-bit vectors: the rows in groups of four. Step g forms group
    /// g's four shifts in one shuffle tree (<see cref="GroupShifts"/>), runs, row by row, pass 1 of group g's rows
    /// interleaved with the last passes of group g − 2 (whose statistics waited two steps, so their serial chains are
    /// done), then group g's Σd and Σd² horizontal sums in one shuffle tree each
    /// (<see cref="TensorBlocks.Sum4"/>: the bits of Vector512.Sum for a finite total) and its statistics as the four lanes
    /// of one vector op each (Finish's one-pass branch; IEEE sqrt and division are correctly rounded, so each lane is the
    /// scalar op's bits). A group with a lane not finite or past the one-pass bound (the exact second pass, NaN, ±∞,
    /// overflow) forms each row's statistics by <see cref="Statistics"/> from that row's own sums, as the one-row path
    /// does. The last group may have one to three rows (its other lanes repeat its first row's pass 1 and go unused).
    /// Each row's operations are <see cref="VectorRows"/>' (same bits, wherever the row is in the batch). Returns the
    /// first row left to HugeRow (pass 1 of the rows after it wrote nothing), or end.
    /// Measured (thread CPU time, bench/NormGen.RowAB, 2026-11-30): LayerNorm float 1000 × 64 about 0.85× the one-row-
    /// a-step pipeline's time, 256 × 100 and 1000 × 128 about 0.9×; the same grouping for RMSNorm (one horizontal sum per
    /// row to save) and for doubles (sums of eight lanes) measured 1.05-1.15×, so those keep <see cref="ShortRows"/>'
    /// pipeline. The sums stay in registers (held in memory, each 512-bit reload waited on its store: slower than
    /// before), and the last passes follow their pass 1 by two groups (by one, or grouped after the four passes 1, they
    /// waited on the statistics' chain). The grouped shifts and the statistics broadcast from memory: LnF 1000 × 64 and
    /// 256 × 100 about 0.88× again (loud machine, 4 alternating pairs; docs/benchmarks.md).
    /// </summary>
    private static nuint ShortRowGroups<TSpec, T, TV, TOps>(ref RowRefs<T> c, ref T xFirst, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        nuint n = Spec<TSpec, T>.RowLength > 0 ? (nuint)Spec<TSpec, T>.RowLength : c.N, L = (nuint)TOps.Count, xStride = c.XStride, yStride = c.YStride;
        T inv = Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.InverseRowLength : T.One / T.CreateTruncating((int)n);
        TV tail = n % L != 0 ? TOps.TailMask((int)(L - n % L)) : TOps.Zero;
        TV s0 = TOps.Zero, s1 = s0, s2 = s0, s3 = s0, q0 = s0, q1 = s0, q2 = s0, q3 = s0;
        // Lane j: row j of group g (shifts and the statistics being formed), of group g − 1 (wait*) and of group g − 2
        // (done*); with each group its first row, row count and first row left to HugeRow (4: none).
        Vector128<T> shifts = default, center = default, scaledOffset = default, mean = default, rstd = default;
        Vector128<T> waitCenter = default, waitScaledOffset = default, waitMean = default, waitRstd = default;
        Vector128<T> doneCenter = default, doneScaledOffset = default, doneMean = default, doneRstd = default;
        nuint waitFirst = first, waitCount = 0, waitHuge = 4, doneFirst = first, doneCount = 0, doneHuge = 4;
        // Group g − 2's statistics in memory for the last passes: each row's lanes broadcast by a load (vbroadcastss), no
        // shuffle; stored one group step after they were formed, so no load waits on its store.
        GroupLanes<T> done = default;
        ref T gamma = ref c.Gamma, beta = ref c.Beta, y = ref c.Y;
        for (nuint g = first; ; g += 4)
        {
            nuint count = g < end ? nuint.Min(end - g, 4) : 0, huge = 4;
            done.Center = doneCenter;
            done.ScaledOffset = doneScaledOffset;
            done.Mean = doneMean;
            done.Rstd = doneRstd;
            if (count > 0)
                shifts = GroupShifts<T, TV, TOps>(ref Unsafe.Add(ref xFirst, (g - first) * xStride), xStride, count);
            for (nuint j = 0; j < 4; j++)
            {
                if (count > 0)
                {
                    ShiftedSums<TSpec, T, TV, TOps>(ref Unsafe.Add(ref xFirst, (g - first + (j < count ? j : 0)) * xStride), n, Broadcast<T, TV>(shifts, j), out TV s, out TV q);
                    if (j == 0) { s0 = s; q0 = q; }
                    else if (j == 1) { s1 = s; q1 = q; }
                    else if (j == 2) { s2 = s; q2 = q; }
                    else { s3 = s; q3 = q; }
                }
                if (j < doneCount)
                {
                    nuint row = doneFirst + j;
                    if (j == doneHuge)
                        return row;
                    T r = Lane(ref done.Rstd, j);
                    Save<TSpec, T>(ref c, row, Lane(ref done.Mean, j), r);
                    ShortLastPass<TSpec, T, TV, TOps>(ref Unsafe.Add(ref xFirst, (row - first) * xStride), ref gamma, ref beta, ref Unsafe.Add(ref y, row * yStride), n,
                        TOps.Create(Lane(ref done.Center, j)), TOps.Create(r), TOps.Create(Lane(ref done.ScaledOffset, j)));
                }
            }
            if (count > 0)
            {
                // Finish's one-pass branch, lane by lane: offset = mean − shift, the mean of d², var = mean(d²) − offset².
                Vector128<T> invs = Vector128.Create(inv);
                Vector128<T> offset = Sum4<T, TV>(s0, s1, s2, s3) * invs, meanSquare = Sum4<T, TV>(q0, q1, q2, q3) * invs;
                Vector128<T> square = offset * offset, variance = meanSquare - square;
                center = shifts;
                mean = shifts + offset;
                // A finite variance: MaxNative is Max0.
                rstd = Vector128<T>.One / Vector128.Sqrt(Vector128.MaxNative(variance, Vector128<T>.Zero) + Vector128.Create(Spec<TSpec, T>.Epsilon));
                scaledOffset = (offset * rstd) ^ Vector128.Create(-T.Zero); // −(offset·rstd): the sign bit flipped, as the scalar negation
                Vector128<T> fast = Vector128.LessThanOrEqual(square, Vector128.Create(T.CreateTruncating(0.25)) * meanSquare) & Finite(variance) & Finite(mean);
                if (fast.ExtractMostSignificantBits() != 0xF)
                    for (nuint j = 0; j < count; j++)
                    {
                        if (!Statistics<TSpec, T, TV, TOps>(ref Unsafe.Add(ref xFirst, (g - first + j) * xStride), n, inv, tail, shifts.GetElement((int)j),
                            j == 0 ? s0 : j == 1 ? s1 : j == 2 ? s2 : s3, j == 0 ? q0 : j == 1 ? q1 : j == 2 ? q2 : q3,
                            out T rowCenter, out T rowScaledOffset, out T rowMean, out T rowRstd))
                        {
                            huge = j;
                            break;
                        }
                        center = Put(center, j, rowCenter);
                        scaledOffset = Put(scaledOffset, j, rowScaledOffset);
                        mean = Put(mean, j, rowMean);
                        rstd = Put(rstd, j, rowRstd);
                    }
            }
            if (count == 0 && waitCount == 0)
                return end;
            doneFirst = waitFirst;
            doneCount = waitCount;
            doneHuge = waitHuge;
            doneCenter = waitCenter;
            doneScaledOffset = waitScaledOffset;
            doneMean = waitMean;
            doneRstd = waitRstd;
            waitFirst = g;
            waitCount = count;
            waitHuge = huge;
            waitCenter = center;
            waitScaledOffset = scaledOffset;
            waitMean = mean;
            waitRstd = rstd;
        }
    }

    /// <summary>
    /// <see cref="Pass1"/>'s shifts of a group's rows (the mean of each row's first vector) as four lanes: the four horizontal
    /// sums in one <see cref="TensorBlocks.Sum4"/> tree, the same pairs added in the same order as each row's Vector512.Sum
    /// (same bits; a NaN's payload too, tested with two NaNs of different payloads in a first vector: re-forming a
    /// non-finite lane by the row's own Vector512.Sum here picked another payload than Pass1's inlined copy did).
    /// Lanes past <paramref name="count"/> repeat the first row's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> GroupShifts<T, TV, TOps>(ref T x, nuint xStride, nuint count)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        TV a = TOps.Load(ref x, 0), b = TOps.Load(ref x, count > 1 ? xStride : 0);
        TV c = TOps.Load(ref x, count > 2 ? 2 * xStride : 0), d = TOps.Load(ref x, count > 3 ? 3 * xStride : 0);
        return Sum4<T, TV>(a, b, c, d) * Vector128.Create(T.One / T.CreateTruncating(TOps.Count));
    }

    /// <summary>The four vectors' horizontal sums (TV is Vector512&lt;float&gt;) as four lanes: <see cref="TensorBlocks.Sum4"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Sum4<T, TV>(TV a, TV b, TV c, TV d) where T : unmanaged where TV : struct
        => TensorBlocks.Sum4(Unsafe.BitCast<TV, Vector512<T>>(a), Unsafe.BitCast<TV, Vector512<T>>(b), Unsafe.BitCast<TV, Vector512<T>>(c), Unsafe.BitCast<TV, Vector512<T>>(d)).GetLower();

    /// <summary>A group's statistics, lane j row j's (see <see cref="ShortRowGroups"/>).</summary>
    private struct GroupLanes<T> where T : unmanaged
    {
        public Vector128<T> Center, ScaledOffset, Mean, Rstd;
    }

    /// <summary>Lane <paramref name="j"/> of <paramref name="v"/>, read from memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Lane<T>(ref Vector128<T> v, nuint j) where T : unmanaged
        => Unsafe.Add(ref Unsafe.As<Vector128<T>, T>(ref v), j);

    /// <summary><paramref name="v"/> (four floats) with lane <paramref name="j"/> set to <paramref name="value"/>: a blend, no trip through memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Put<T>(Vector128<T> v, nuint j, T value)
        => Vector128.ConditionalSelect(Vector128.Equals(Vector128<int>.Indices, Vector128.Create((int)j)).As<int, T>(), Vector128.Create(value), v);

    /// <summary>Lane <paramref name="j"/> of <paramref name="v"/> (four floats) in every lane of a Vector512 (TV), by one permute.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Broadcast<T, TV>(Vector128<T> v, nuint j) where TV : struct
        => Unsafe.BitCast<Vector512<float>, TV>(Avx512F.PermuteVar16x32(v.AsSingle().ToVector256Unsafe().ToVector512Unsafe(), Vector512.Create((int)j)));

    /// <summary>Lanes neither NaN nor ±∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Finite<T>(Vector128<T> v) where T : unmanaged, IFloatingPointIeee754<T>
        => Vector128.LessThan(Vector128.Abs(v), Vector128.Create(T.PositiveInfinity));

    /// <summary>
    /// A row's statistics from pass 1's sums as <see cref="VectorRows"/> forms them: the last pass's center and
    /// −offset·rstd (LayerNorm; RMSNorm: zero, zero), the mean (RMSNorm: zero) and rstd. False for a finite row whose
    /// squares or sums overflow. VectorRows keeps its written-out copy of these lines: calling this from it
    /// (2026-11-30, bench/NormGen.RowAB/tier1-calls.sh) left OutputOf, get_Affine and get_ResidualOut as calls in the 512-bit
    /// residual rows (AddLnF, AddRms4096F, Deep1024F) and ExpSingle in the 256-bit GELU row: past the JIT's inlining budget.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Statistics<TSpec, T, TV, TOps>(ref T src, nuint n, T inv, TV tail, T shift, TV sums, TV squares,
        out T center, out T scaledOffset, out T mean, out T rstd)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        center = scaledOffset = mean = T.Zero;
        if (Spec<TSpec, T>.Centered)
        {
            if (!Finish<TSpec, T, TV, TOps>(ref src, n, inv, tail, shift, sums, squares, out center, out T offset, out rstd, out mean))
                return false;
            scaledOffset = -(offset * rstd);
        }
        else
        {
            T meanSquare = TOps.Sum(squares) * inv;
            rstd = T.Zero;
            if (!T.IsFinite(meanSquare) && AllFinite(ref src, n))
                return false;
            rstd = T.One / T.Sqrt(meanSquare + Spec<TSpec, T>.Epsilon);
        }
        return true;
    }

    /// <summary>
    /// <see cref="VectorRows"/>' last pass with cached stores and no activation, one vector a step (a short row has at most two
    /// blocks; with the blocks written out, two rows side by side had put the row method past the JIT's inlining budget),
    /// the overlapping last vector first, so an in-place call reads it before the loop overwrites its first lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShortLastPass<TSpec, T, TV, TOps>(ref T src, ref T gamma, ref T beta, ref T y, nuint n, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
        nuint L = (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>()), last = n - L;
        bool hasTail = n % L != 0;
        TV lastOut = hasTail ? Output<TSpec, T, TV, TOps>(TOps.Load(ref src, last), ref gamma, ref beta, last, m, r, rc) : TOps.Zero;
        for (nuint i = 0; i + L <= n; i += L)
            TOps.Store(Output<TSpec, T, TV, TOps>(TOps.Load(ref src, i), ref gamma, ref beta, i, m, r, rc), ref y, i);
        if (hasTail) TOps.Store(lastOut, ref y, last);
    }
}
