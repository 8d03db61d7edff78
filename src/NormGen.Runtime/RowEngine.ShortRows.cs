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
    /// Whether <see cref="VectorBody{T, TV, TOps}"/> runs rows first … end − 1 in pairs: x only (pass 1 writes nothing, so
    /// a row left to HugeRow can be started over), no activation, cached stores, a row of at most
    /// <see cref="MaxPairedVectors"/> vectors, and two rows or more. JIT-time constants but the length, the count and
    /// c.Streaming.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Paired<TSpec, T, TV, TOps>(ref RowRefs<T> c, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        => !TSpec.Residual && TSpec.Activation == Activation.None
            && (TSpec.RowLength > 0 ? TSpec.RowLength <= MaxPairedVectors * Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>() : c.N <= (nuint)(MaxPairedVectors * Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>()))
            && end - first >= 2 && !c.Streaming;

    /// <summary>
    /// Short rows (see <see cref="Paired"/>) two at a time: both rows' pass 1, then both statistics, then both last passes,
    /// so the two serial chains are in flight together. Each row's operations are <see cref="VectorRows"/>' in the same
    /// order (same bits, whichever row it is paired with). Returns the first row left to HugeRow (its output and its
    /// successors' not written), or end.
    /// </summary>
    private static nuint PairedRows<TSpec, T, TV, TOps>(ref RowRefs<T> c, ref T xFirst, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        nuint n = TSpec.RowLength > 0 ? (nuint)TSpec.RowLength : c.N, L = (nuint)TOps.Count, xStride = c.XStride, yStride = c.YStride;
        T inv = TSpec.RowLength > 0 ? TSpec.InverseRowLength : T.One / T.CreateTruncating((int)n);
        TV tail = n % L != 0 ? TOps.TailMask((int)(L - n % L)) : TOps.Zero;
        ref T x = ref xFirst;
        nuint row = first;
        for (; row + 2 <= end; row += 2)
        {
            ref T xb = ref Unsafe.Add(ref x, xStride);
            T shiftA = Pass1<TSpec, T, TV, TOps>(ref x, n, out TV sumsA, out TV squaresA);
            T shiftB = Pass1<TSpec, T, TV, TOps>(ref xb, n, out TV sumsB, out TV squaresB);
            if (!Statistics<TSpec, T, TV, TOps>(ref x, n, inv, tail, shiftA, sumsA, squaresA, out TV mA, out TV rA, out TV rcA, out T meanA, out T rstdA))
                return row;
            ref T ya = ref Unsafe.Add(ref c.Y, row * yStride);
            if (!Statistics<TSpec, T, TV, TOps>(ref xb, n, inv, tail, shiftB, sumsB, squaresB, out TV mB, out TV rB, out TV rcB, out T meanB, out T rstdB))
            {
                Save<TSpec, T>(ref c, row, meanA, rstdA);
                CachedLastPass<TSpec, T, TV, TOps>(ref x, ref c.Gamma, ref c.Beta, ref ya, n, mA, rA, rcA);
                return row + 1;
            }
            Save<TSpec, T>(ref c, row, meanA, rstdA);
            Save<TSpec, T>(ref c, row + 1, meanB, rstdB);
            CachedLastPass<TSpec, T, TV, TOps>(ref x, ref c.Gamma, ref c.Beta, ref ya, n, mA, rA, rcA);
            CachedLastPass<TSpec, T, TV, TOps>(ref xb, ref c.Gamma, ref c.Beta, ref Unsafe.Add(ref ya, yStride), n, mB, rB, rcB);
            x = ref Unsafe.Add(ref xb, xStride);
        }
        if (row < end)
        {
            T shift = Pass1<TSpec, T, TV, TOps>(ref x, n, out TV sums, out TV squares);
            if (!Statistics<TSpec, T, TV, TOps>(ref x, n, inv, tail, shift, sums, squares, out TV m, out TV r, out TV rc, out T mean, out T rstd))
                return row;
            Save<TSpec, T>(ref c, row, mean, rstd);
            CachedLastPass<TSpec, T, TV, TOps>(ref x, ref c.Gamma, ref c.Beta, ref Unsafe.Add(ref c.Y, row * yStride), n, m, r, rc);
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
    /// <see cref="VectorRows"/>' last pass with cached stores and no activation: the overlapping last vector first (an
    /// in-place call reads it before the loop overwrites its first lanes), the blocks of four, the vectors after them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CachedLastPass<TSpec, T, TV, TOps>(ref T src, ref T gamma, ref T beta, ref T y, nuint n, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (TSpec.RowLength > 0) n = (nuint)TSpec.RowLength;
        nuint L = (nuint)TOps.Count, block = 4 * L, last = n - L;
        bool hasTail = n % L != 0;
        TV lastOut = hasTail ? Output<TSpec, T, TV, TOps>(TOps.Load(ref src, last), ref gamma, ref beta, last, m, r, rc) : TOps.Zero;
        if (n >= block)
        {
            if (TSpec.Affine == Affine.ScaleAndBias)
                LastPassBlocks<TSpec, T, TV, TOps, ScaleAndBiasLoads<T, TV, TOps>>(ref src, ref src, ref src, ref gamma, ref beta, ref y, n, m, r, rc, false);
            else if (TSpec.Affine == Affine.Scale)
                LastPassBlocks<TSpec, T, TV, TOps, ScaleLoads<T, TV, TOps>>(ref src, ref src, ref src, ref gamma, ref beta, ref y, n, m, r, rc, false);
            else
                LastPassBlocks<TSpec, T, TV, TOps, NoAffineLoads<T, TV, TOps>>(ref src, ref src, ref src, ref gamma, ref beta, ref y, n, m, r, rc, false);
        }
        if (n % block >= L)
            for (nuint i = n >= block ? n / block * block : 0; i + L <= n; i += L)
                TOps.Store(Output<TSpec, T, TV, TOps>(TOps.Load(ref src, i), ref gamma, ref beta, i, m, r, rc), ref y, i);
        if (hasTail) TOps.Store(lastOut, ref y, last);
    }
}
