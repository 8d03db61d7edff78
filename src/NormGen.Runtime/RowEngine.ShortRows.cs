using System.Numerics;
using System.Runtime.CompilerServices;

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
    /// more; RMSNorm only for inputs in cache (under <see cref="MinPrefetchBytes"/>): at 100,000 × 64 floats it measured
    /// 1.2-1.45× the one-row path's thread CPU time pipelined (with or without prefetching two rows ahead), LayerNorm
    /// 0.77-0.90×. JIT-time constants but the length, the count, c.Streaming and c.Prefetch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Pipelined<TSpec, TX, TY, T, TV, TOps>(ref RowRefs<T> c, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        => typeof(TX) == typeof(T) && typeof(TY) == typeof(T) && !TSpec.Residual && TSpec.Activation == Activation.None
            && (TSpec.RowLength > 0 ? TSpec.RowLength <= MaxPipelinedVectors * Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>() : c.N <= (nuint)(MaxPipelinedVectors * Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>()))
            && end - first >= 2 && !c.Streaming && (TSpec.Centered || !c.Prefetch);

    /// <summary>
    /// Short rows (see <see cref="Pipelined"/>) software-pipelined: step k runs row k's pass 1, then the statistics and the
    /// last pass of row k − 3, whose sums waited in registers, so the serial chains of four rows are in flight together,
    /// with one copy of each pass in the method (two rows written out side by side put it past the JIT's inlining budget:
    /// Pass1, Statistics and the last pass were left as calls). Lookahead 2 measured about as fast, 3 a little faster.
    /// Each row's operations are <see cref="VectorRows"/>' in the same order (same bits, wherever the row is in the
    /// batch). Returns the first row left to HugeRow (pass 1 of the rows after it wrote nothing), or end.
    /// </summary>
    private static nuint ShortRows<TSpec, T, TV, TOps>(ref RowRefs<T> c, ref T xFirst, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        nuint n = TSpec.RowLength > 0 ? (nuint)TSpec.RowLength : c.N, L = (nuint)TOps.Count, xStride = c.XStride, yStride = c.YStride;
        T inv = TSpec.RowLength > 0 ? TSpec.InverseRowLength : T.One / T.CreateTruncating((int)n);
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
                if (!Statistics<TSpec, T, TV, TOps>(ref x, n, inv, tail, shift3, sums3, squares3, out TV m, out TV r, out TV rc, out T mean, out T rstd))
                    return row;
                Save<TSpec, T>(ref c, row, mean, rstd);
                ShortLastPass<TSpec, T, TV, TOps>(ref x, ref c.Gamma, ref c.Beta, ref Unsafe.Add(ref c.Y, row * yStride), n, m, r, rc);
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
    /// A row's statistics from pass 1's sums as <see cref="VectorRows"/> forms them: the last pass's center, rstd and
    /// −offset·rstd as vectors (LayerNorm; RMSNorm: zero, rstd, zero), and the mean and rstd to save. False for a finite
    /// row whose squares or sums overflow. VectorRows keeps its written-out copy of these lines: calling this from it
    /// (2026-11-30, bench/NormGen.RowAB/tier1-calls.sh) left OutputOf, get_Affine and get_ResidualOut as calls in the 512-bit
    /// residual rows (AddLnF, AddRms4096F, Deep1024F) and ExpSingle in the 256-bit GELU row: past the JIT's inlining budget.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Statistics<TSpec, T, TV, TOps>(ref T src, nuint n, T inv, TV tail, T shift, TV sums, TV squares,
        out TV m, out TV r, out TV rc, out T mean, out T rstd)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        m = rc = r = TOps.Zero;
        mean = T.Zero;
        if (TSpec.Centered)
        {
            if (!Finish<TSpec, T, TV, TOps>(ref src, n, inv, tail, shift, sums, squares, out T center, out T offset, out rstd, out mean))
                return false;
            m = TOps.Create(center);
            rc = TOps.Create(-(offset * rstd));
        }
        else
        {
            T meanSquare = TOps.Sum(squares) * inv;
            rstd = T.Zero;
            if (!T.IsFinite(meanSquare) && AllFinite(ref src, n))
                return false;
            rstd = T.One / T.Sqrt(meanSquare + TSpec.Epsilon);
        }
        r = TOps.Create(rstd);
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
        if (TSpec.RowLength > 0) n = (nuint)TSpec.RowLength;
        nuint L = (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>()), last = n - L;
        bool hasTail = n % L != 0;
        TV lastOut = hasTail ? Output<TSpec, T, TV, TOps>(TOps.Load(ref src, last), ref gamma, ref beta, last, m, r, rc) : TOps.Zero;
        for (nuint i = 0; i + L <= n; i += L)
            TOps.Store(Output<TSpec, T, TV, TOps>(TOps.Load(ref src, i), ref gamma, ref beta, i, m, r, rc), ref y, i);
        if (hasTail) TOps.Store(lastOut, ref y, last);
    }
}
