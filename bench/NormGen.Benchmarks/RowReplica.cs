using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormGen.Benchmarks;

/// <summary>
/// An experiment for the <c>latency</c> mode: the generated 512-bit LayerNorm row body for 768 elements (one-pass
/// statistics, cached stores), copied by hand, with its three horizontal sums done either by <see cref="Vector512.Sum"/>
/// (as generated: on .NET 10, four 128-bit reductions of about 26 instructions) or by halving (512 → 256 → 128, then two
/// shuffles: 8 instructions). The sums sit on the row's critical path (shift → pass 1 → mean and variance → rstd →
/// last pass), so the difference is what a faster reduction would take off a 1×768 call. Only for rows where the
/// one pass suffices (the benchmark's rows); it is not a kernel.
/// </summary>
public static class RowReplica
{
    private const int N = 768;
    private const float InverseRowLength = 1f / N, Epsilon = 1e-5f;

    public interface ISum { static abstract float Sum(Vector512<float> v); }

    public struct LibrarySum : ISum
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Sum(Vector512<float> v) => Vector512.Sum(v);
    }

    public struct HalvingSum : ISum
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Sum(Vector512<float> v)
        {
            Vector256<float> h = v.GetLower() + v.GetUpper();
            Vector128<float> q = h.GetLower() + h.GetUpper();
            q += Vector128.Shuffle(q, Vector128.Create(2, 3, 0, 1));
            q += Vector128.Shuffle(q, Vector128.Create(1, 0, 3, 2));
            return q.ToScalar();
        }
    }

    /// <summary>One call on one row of 768, with the generated call's checks left out (they cost about 1 ns).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool Row<TSum>(ReadOnlySpan<float> xs, ReadOnlySpan<float> gammas, ReadOnlySpan<float> betas, Span<float> ys) where TSum : struct, ISum
    {
        if (xs.Length != N || ys.Length != N || gammas.Length != N || betas.Length != N) throw new ArgumentException("768");
        ref float x = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(xs);
        ref float gamma = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(gammas);
        ref float beta = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(betas);
        ref float y = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(ys);
        return Row512<TSum>(ref x, ref gamma, ref beta, ref y);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool Row512<TSum>(ref float x, ref float gamma, ref float beta, ref float y) where TSum : struct, ISum
    {
        nuint n = N, i;
        float shift = TSum.Sum(Vector512.LoadUnsafe(ref x, 0)) / 16;
        Vector512<float> k = Vector512.Create(shift);
        Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0, q0 = s0, q1 = s0, q2 = s0, q3 = s0;
        for (i = 0; i + 64 <= n; i += 64)
        {
            Vector512<float> d0 = Vector512.LoadUnsafe(ref x, i) - k;
            s0 += d0;
            q0 = Vector512.MultiplyAddEstimate(d0, d0, q0);
            Vector512<float> d1 = Vector512.LoadUnsafe(ref x, i + 16) - k;
            s1 += d1;
            q1 = Vector512.MultiplyAddEstimate(d1, d1, q1);
            Vector512<float> d2 = Vector512.LoadUnsafe(ref x, i + 32) - k;
            s2 += d2;
            q2 = Vector512.MultiplyAddEstimate(d2, d2, q2);
            Vector512<float> d3 = Vector512.LoadUnsafe(ref x, i + 48) - k;
            s3 += d3;
            q3 = Vector512.MultiplyAddEstimate(d3, d3, q3);
        }
        float offset = TSum.Sum((s0 + s1) + (s2 + s3)) * InverseRowLength;
        float meanSquare = TSum.Sum((q0 + q1) + (q2 + q3)) * InverseRowLength;
        if (!(offset * offset <= 0.25f * meanSquare)) return false; // the second pass: not replicated
        float variance = MathF.Max(meanSquare - offset * offset, 0f);
        if (!float.IsFinite(variance) || !float.IsFinite(shift + offset)) return false;
        float rstd = 1f / MathF.Sqrt(variance + Epsilon);
        Vector512<float> m = Vector512.Create(shift), rc = Vector512.Create(-(offset * rstd)), r = Vector512.Create(rstd);
        for (i = 0; i + 64 <= n; i += 64)
        {
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i) - m, r, rc), Vector512.LoadUnsafe(ref gamma, i), Vector512.LoadUnsafe(ref beta, i)), ref y, i);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 16) - m, r, rc), Vector512.LoadUnsafe(ref gamma, i + 16), Vector512.LoadUnsafe(ref beta, i + 16)), ref y, i + 16);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 32) - m, r, rc), Vector512.LoadUnsafe(ref gamma, i + 32), Vector512.LoadUnsafe(ref beta, i + 32)), ref y, i + 32);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 48) - m, r, rc), Vector512.LoadUnsafe(ref gamma, i + 48), Vector512.LoadUnsafe(ref beta, i + 48)), ref y, i + 48);
        }
        return true;
    }
}
