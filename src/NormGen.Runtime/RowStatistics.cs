using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// The mean and 1/√(σ² + ε) of one row, by exactly the algorithm of the generated forward row kernels (the same vector
/// width, accumulators, shift, order of operations, scalar fallback and scaled recomputation of rows whose squares
/// overflow), so a backward kernel that recomputes the statistics gets the values the forward would have saved, bit for
/// bit. Used by <see cref="FusedRowBackward"/> when the caller did not keep the forward's statistics.
/// </summary>
/// <remarks>
/// The forward's generated code is the specification: pass 1 sums d = x − shift and d² with four vector accumulators
/// (shift = the mean of the first vector); if the shift lies too far from the mean (offset² &gt; mean(d²)/4) an exact
/// second pass around the mean decides. Rows shorter than a vector, and processors without vector acceleration, use the
/// double-precision scalar path. A finite row whose sums overflow is redone in double on x·2⁻ᵏ.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class RowStatistics
{
    /// <summary>The row's statistics as the generated forward computes them (<paramref name="mean"/> is 0 for RMSNorm).</summary>
    /// <param name="row">One row in the compute type (Half rows widened to float first, as the forward does).</param>
    /// <param name="epsilon">ε in the compute type, as the forward's <c>Epsilon</c> constant.</param>
    /// <param name="centered">LayerNorm (mean and variance) rather than RMSNorm (mean square).</param>
    /// <param name="mean">Receives μ (LayerNorm) or 0.</param>
    /// <param name="rstd">Receives 1/√(σ² + ε) (RMSNorm: 1/√(mean(x²) + ε)).</param>
    public static void Compute<T>(ReadOnlySpan<T> row, T epsilon, bool centered, out T mean, out T rstd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x = ref MemoryMarshal.GetReference(row);
        nuint n = (nuint)row.Length;
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
            VectorRow<Vector512<T>, T, Vec512<T>>(ref x, n, epsilon, centered, out mean, out rstd);
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
            VectorRow<Vector256<T>, T, Vec256<T>>(ref x, n, epsilon, centered, out mean, out rstd);
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
            VectorRow<Vector128<T>, T, Vec128<T>>(ref x, n, epsilon, centered, out mean, out rstd);
        else
            ScalarRow(ref x, (int)n, epsilon, centered, out mean, out rstd);
    }

    private static void VectorRow<TV, T, TOps>(ref T x, nuint n, T epsilon, bool centered, out T meanOut, out T rstdOut)
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOps : IRowOps<TV, T>
    {
        nuint L = (nuint)TOps.Count, block = 4 * L, i;
        T inv = T.One / T.CreateTruncating(n);
        bool hasTail = n % L != 0;
        TV tail = hasTail ? TOps.TailMask((int)(L - n % L)) : TOps.Zero;
        if (!centered)
        {
            TV q0 = TOps.Zero, q1 = q0, q2 = q0, q3 = q0;
            for (i = 0; i + block <= n; i += block)
            {
                TV v0 = TOps.Load(ref x, i), v1 = TOps.Load(ref x, i + L), v2 = TOps.Load(ref x, i + 2 * L), v3 = TOps.Load(ref x, i + 3 * L);
                q0 = TOps.MultiplyAdd(v0, v0, q0);
                q1 = TOps.MultiplyAdd(v1, v1, q1);
                q2 = TOps.MultiplyAdd(v2, v2, q2);
                q3 = TOps.MultiplyAdd(v3, v3, q3);
            }
            for (; i + L <= n; i += L)
            {
                TV v = TOps.Load(ref x, i);
                q0 = TOps.MultiplyAdd(v, v, q0);
            }
            if (hasTail)
            {
                TV v = TOps.Select(tail, TOps.Load(ref x, n - L));
                q1 = TOps.MultiplyAdd(v, v, q1);
            }
            T meanSquare = TOps.Sum(TOps.Add(TOps.Add(q0, q1), TOps.Add(q2, q3))) * inv;
            meanOut = T.Zero;
            if (!T.IsFinite(meanSquare) && HugeRow(ref x, n, epsilon, centered, out meanOut, out rstdOut)) return;
            rstdOut = T.One / T.Sqrt(meanSquare + epsilon);
            return;
        }

        T shift = TOps.Sum(TOps.Load(ref x, 0)) / T.CreateTruncating(L);
        TV k = TOps.Create(shift);
        TV s0 = TOps.Zero, s1 = s0, s2 = s0, s3 = s0, p0 = s0, p1 = s0, p2 = s0, p3 = s0;
        for (i = 0; i + block <= n; i += block)
        {
            TV d0 = TOps.Subtract(TOps.Load(ref x, i), k), d1 = TOps.Subtract(TOps.Load(ref x, i + L), k);
            TV d2 = TOps.Subtract(TOps.Load(ref x, i + 2 * L), k), d3 = TOps.Subtract(TOps.Load(ref x, i + 3 * L), k);
            s0 = TOps.Add(s0, d0); p0 = TOps.MultiplyAdd(d0, d0, p0);
            s1 = TOps.Add(s1, d1); p1 = TOps.MultiplyAdd(d1, d1, p1);
            s2 = TOps.Add(s2, d2); p2 = TOps.MultiplyAdd(d2, d2, p2);
            s3 = TOps.Add(s3, d3); p3 = TOps.MultiplyAdd(d3, d3, p3);
        }
        for (; i + L <= n; i += L)
        {
            TV d = TOps.Subtract(TOps.Load(ref x, i), k);
            s0 = TOps.Add(s0, d);
            p0 = TOps.MultiplyAdd(d, d, p0);
        }
        if (hasTail)
        {
            TV d = TOps.Select(tail, TOps.Subtract(TOps.Load(ref x, n - L), k));
            s1 = TOps.Add(s1, d);
            p1 = TOps.MultiplyAdd(d, d, p1);
        }
        T offset = TOps.Sum(TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3))) * inv;
        T meanSq = TOps.Sum(TOps.Add(TOps.Add(p0, p1), TOps.Add(p2, p3))) * inv;
        T center = shift, variance;
        if (offset * offset <= T.CreateTruncating(0.25) * meanSq)
        {
            variance = meanSq - offset * offset;
        }
        else
        {
            // The forward's exact second pass around the mean (corrected two-pass formula).
            center = shift + offset;
            TV m = TOps.Create(center);
            TV e0 = TOps.Zero, e1 = e0, e2 = e0, e3 = e0, c0 = e0, c1 = e0;
            for (i = 0; i + block <= n; i += block)
            {
                TV d0 = TOps.Subtract(TOps.Load(ref x, i), m), d1 = TOps.Subtract(TOps.Load(ref x, i + L), m);
                TV d2 = TOps.Subtract(TOps.Load(ref x, i + 2 * L), m), d3 = TOps.Subtract(TOps.Load(ref x, i + 3 * L), m);
                e0 = TOps.MultiplyAdd(d0, d0, e0);
                e1 = TOps.MultiplyAdd(d1, d1, e1);
                e2 = TOps.MultiplyAdd(d2, d2, e2);
                e3 = TOps.MultiplyAdd(d3, d3, e3);
                c0 = TOps.Add(c0, TOps.Add(d0, d1));
                c1 = TOps.Add(c1, TOps.Add(d2, d3));
            }
            for (; i + L <= n; i += L)
            {
                TV d = TOps.Subtract(TOps.Load(ref x, i), m);
                e0 = TOps.MultiplyAdd(d, d, e0);
                c0 = TOps.Add(c0, d);
            }
            if (hasTail)
            {
                TV d = TOps.Select(tail, TOps.Subtract(TOps.Load(ref x, n - L), m));
                e1 = TOps.MultiplyAdd(d, d, e1);
                c1 = TOps.Add(c1, d);
            }
            T sumDev = TOps.Sum(TOps.Add(c0, c1));
            variance = (TOps.Sum(TOps.Add(TOps.Add(e0, e1), TOps.Add(e2, e3))) - sumDev * sumDev * inv) * inv;
            offset = sumDev * inv;
        }
        variance = T.Max(variance, T.Zero); // NaN stays NaN
        if ((!T.IsFinite(variance) || !T.IsFinite(center + offset)) && HugeRow(ref x, n, epsilon, centered, out meanOut, out rstdOut)) return;
        rstdOut = T.One / T.Sqrt(variance + epsilon);
        meanOut = center + offset;
    }

    /// <summary>
    /// Centred statistics without vectors, in double, of x·<paramref name="scale"/> over <paramref name="blocks"/> blocks
    /// of <paramref name="length"/> contiguous elements, <paramref name="blockStride"/> apart (one block for a row). The
    /// scale is 1 for a plain row (exact) or 2⁻ᵏ for values whose squares overflow (exact too). One body for the forward's
    /// scalar and huge rows, this recomputation, and the tensor kinds' huge-value fallback (TensorBlocks.HugeStatistics):
    /// shifted corrected two-pass with shift = the first element, x − shift formed before the offset, as the vector paths
    /// do, so a constant block is exact and a large mean loses nothing to the mean's rounding; mean = shift + offset,
    /// variance biased, at least 0 (NaN stays NaN).
    /// </summary>
    internal static void ScalarMoments<T>(ref T x, nint blocks, nint length, nint blockStride, double scale, out double shift, out double offset, out double variance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)blocks * length, sum = 0;
        shift = double.CreateTruncating(x) * scale;
        for (nint b = 0; b < blocks; b++)
            for (nint i = 0; i < length; i++)
                sum += double.CreateTruncating(Unsafe.Add(ref x, b * blockStride + i)) * scale - shift;
        offset = sum / count;
        double sumDev = 0, sumSquares = 0;
        for (nint b = 0; b < blocks; b++)
            for (nint i = 0; i < length; i++)
            {
                double d = double.CreateTruncating(Unsafe.Add(ref x, b * blockStride + i)) * scale - shift - offset;
                sumDev += d;
                sumSquares += d * d;
            }
        variance = Math.Max((sumSquares - sumDev * sumDev / count) / count, 0d);
        offset += sumDev / count;
    }

    /// <summary>The forward's scalar row (no SIMD, or a row shorter than a vector): accumulates in double.</summary>
    private static void ScalarRow<T>(ref T x, int n, T epsilon, bool centered, out T meanOut, out T rstdOut)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double eps = double.CreateTruncating(epsilon);
        if (!centered)
        {
            double sumSq = 0;
            for (int i = 0; i < n; i++)
            {
                double v = double.CreateTruncating(Unsafe.Add(ref x, i));
                sumSq += v * v;
            }
            meanOut = T.Zero;
            if (!double.IsFinite(sumSq) && HugeRow(ref x, (nuint)n, epsilon, centered, out meanOut, out rstdOut)) return;
            rstdOut = T.CreateTruncating(1d / Math.Sqrt(sumSq / n + eps));
            return;
        }
        ScalarMoments(ref x, 1, n, 0, 1d, out double shift, out double offset, out double variance);
        double mean = shift + offset;
        if ((!double.IsFinite(variance) || !double.IsFinite(mean)) && HugeRow(ref x, (nuint)n, epsilon, centered, out meanOut, out rstdOut)) return;
        meanOut = T.CreateTruncating(mean);
        rstdOut = T.CreateTruncating(1d / Math.Sqrt(variance + eps));
    }

    /// <summary>
    /// The forward's HugeRow statistics: a finite row whose sums overflow, redone in double on x·2⁻ᵏ with ε·2⁻²ᵏ.
    /// False (nothing decided) when the row holds NaN or ±∞ or is all zeros.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool HugeRow<T>(ref T src, nuint n, T epsilonT, bool centered, out T meanOut, out T rstdOut)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        meanOut = T.Zero;
        rstdOut = T.Zero;
        double max = 0;
        for (nuint i = 0; i < n; i++) max = Math.Max(max, Math.Abs(double.CreateTruncating(Unsafe.Add(ref src, i))));
        if (!double.IsFinite(max) || max == 0) return false;
        double scale = Math.ScaleB(1d, -Math.ILogB(max));
        double eps = double.CreateTruncating(epsilonT);
        double epsilon = eps * scale * scale;
        if (centered)
        {
            ScalarMoments(ref src, 1, (nint)n, 0, scale, out double shift, out double offset, out double variance); // the forward's HugeRow
            double mean = shift + offset;
            bool constant = variance + epsilon == 0;
            double rstd = constant ? 0d : 1d / Math.Sqrt(variance + epsilon);
            meanOut = T.CreateTruncating(mean / scale);
            rstdOut = constant ? T.CreateTruncating(1d / Math.Sqrt(eps)) : T.CreateTruncating(rstd * scale);
        }
        else
        {
            double sumSq = 0;
            for (nuint i = 0; i < n; i++)
            {
                double v = double.CreateTruncating(Unsafe.Add(ref src, i)) * scale;
                sumSq += v * v;
            }
            rstdOut = T.CreateTruncating(1d / Math.Sqrt(sumSq / n + epsilon) * scale);
        }
        return true;
    }
}
