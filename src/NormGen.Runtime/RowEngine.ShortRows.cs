using System.Numerics;
using System.Runtime.CompilerServices;

namespace NormGen;

public static partial class RowEngine
{
    /// <summary>
    /// Rows of at most this many vectors run two at a time (<see cref="PairedRows"/>). A row that short is mostly its
    /// serial chain (the shift's sum, pass 1, two horizontal sums, the scalar rstd, the last pass), which the processor
    /// overlaps with the next row's only while both fit in its scheduler: one row at a time, hidden 64 ran at a quarter
    /// of its cache level's best case.
    /// </summary>
    private const int MaxPairedVectors = 8;

    /// <summary>
    /// Whether <see cref="VectorBody{T, TV, TOps}"/> runs rows first … end − 1 in pairs: float or double spans (the rows in
    /// the user's memory), x only (pass 1 writes nothing, so a row left to HugeRow can be started over), no activation, cached stores, a row of at most
    /// <see cref="MaxPairedVectors"/> vectors, and two rows or more. JIT-time constants but the length, the count and
    /// c.Streaming.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Paired<TSpec, TX, TY, T, TV, TOps>(ref RowRefs<T> c, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        => typeof(TX) == typeof(T) && typeof(TY) == typeof(T) && !TSpec.Residual && TSpec.Activation == Activation.None
            && (TSpec.RowLength > 0 ? TSpec.RowLength <= MaxPairedVectors * Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>() : c.N <= (nuint)(MaxPairedVectors * Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>()))
            && end - first >= 2 && !c.Streaming;

    /// <summary>
    /// Short rows (see <see cref="Paired"/>) software-pipelined: step k runs row k's pass 1, then the statistics and the
    /// last pass of row k − 2, whose sums waited in registers, so three rows' serial chains are in flight together with
    /// one copy of each pass in the method (copies per row put it past the JIT's inlining budget). Each row's operations
    /// are <see cref="VectorRows"/>' in the same order (same bits, wherever the row is in the batch). Returns the first
    /// row left to HugeRow (pass 1 of the rows after it wrote nothing), or end.
    /// </summary>
    private static nuint PairedRows<TSpec, T, TV, TOps>(ref RowRefs<T> c, ref T xFirst, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        nuint n = TSpec.RowLength > 0 ? (nuint)TSpec.RowLength : c.N, L = (nuint)TOps.Count, xStride = c.XStride, yStride = c.YStride;
        T inv = TSpec.RowLength > 0 ? TSpec.InverseRowLength : T.One / T.CreateTruncating((int)n);
        TV tail = n % L != 0 ? TOps.TailMask((int)(L - n % L)) : TOps.Zero;
        // Pass 1's results of rows k − 1 (1) and k − 2 (2).
        T shift1 = T.Zero, shift2 = T.Zero;
        TV sums1 = TOps.Zero, squares1 = sums1, sums2 = sums1, squares2 = sums1;
        for (nuint k = first; k < end + 2; k++)
        {
            T shift = T.Zero;
            TV sums = TOps.Zero, squares = sums;
            if (k < end)
                shift = Pass1<TSpec, T, TV, TOps>(ref Unsafe.Add(ref xFirst, (k - first) * xStride), n, out sums, out squares);
            if (k >= first + 2)
            {
                nuint row = k - 2;
                ref T x = ref Unsafe.Add(ref xFirst, (row - first) * xStride);
                if (!Statistics<TSpec, T, TV, TOps>(ref x, n, inv, tail, shift2, sums2, squares2, out TV m, out TV r, out TV rc, out T mean, out T rstd))
                    return row;
                Save<TSpec, T>(ref c, row, mean, rstd);
                ShortLastPass<TSpec, T, TV, TOps>(ref x, ref c.Gamma, ref c.Beta, ref Unsafe.Add(ref c.Y, row * yStride), n, m, r, rc);
            }
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
    /// row whose squares or sums overflow.
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
    /// <see cref="VectorRows"/>' last pass with cached stores and no activation, one vector a step (a short row has few
    /// blocks, and the blocks' four copies of the output would put <see cref="PairedRows"/> past the JIT's inlining
    /// budget): the overlapping last vector first, so an in-place call reads it before the loop overwrites its first lanes.
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
