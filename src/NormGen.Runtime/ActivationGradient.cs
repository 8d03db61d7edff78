using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static NormGen.Activations;

namespace NormGen;

/// <summary>
/// The activation epilogue's backward for <see cref="FusedRowBackward"/>: dz = dy·act′(z) with z = (x − μ)·rstd·γ + β
/// recomputed per element, vectorised at 512, 256 or 128 bits (float math for float and Half rows, double for double).
/// </summary>
/// <remarks>
/// Each derivative is written from e = e^(−|·|) alone, so that nothing cancels: σ(y) = (y &lt; 0 ? e : 1)/(1 + e),
/// 1 − σ(y) = (y &lt; 0 ? 1 : e)/(1 + e), tanh′(y) = 4e/(1 + e)² with e = e^(−2|y|), GELU's Φ(z) = ½·poly·e^(−z²/2) for
/// z &lt; 0 (the forward's erf approximation, 1 − erf(a) = poly·e^(−a²), without the 1 + erf that would cancel) and
/// 1 − ½·poly·e^(−z²/2) above, and z·φ(z) from the same exponential. The lanes are independent, so a row's tail is one
/// overlapping vector computed before the loop stores anything (dz may be dy).
/// </remarks>
internal static class ActivationGradient
{
    private const double InvSqrt2Pi = 0.39894228040143267794;

    /// <summary>dz[i] = dy[i]·act′(z[i]), z[i] = (x[i] − μ)·rstd·γ[i] + β[i] (β empty: 0); dz may be dy.</summary>
    public static void Apply<T>(Activation activation, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, T mu, T rs, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> dz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<T>.Count) Rows<Vec512<T>, Vector512<T>, T>(activation, dy, x, mu, rs, gamma, beta, dz);
        else if (Vector256.IsHardwareAccelerated && n >= Vector256<T>.Count) Rows<Vec256<T>, Vector256<T>, T>(activation, dy, x, mu, rs, gamma, beta, dz);
        else if (n >= Vector128<T>.Count) Rows<Vec128<T>, Vector128<T>, T>(activation, dy, x, mu, rs, gamma, beta, dz);
        else if (n > 0)
        {
            // Shorter than a 128-bit vector: one padded vector, so the formulas are the vector ones.
            Span<T> pad = stackalloc T[4 * Vector128<T>.Count];
            pad.Clear();
            Span<T> pdy = pad.Slice(0, Vector128<T>.Count), px = pad.Slice(Vector128<T>.Count, Vector128<T>.Count);
            Span<T> pg = pad.Slice(2 * Vector128<T>.Count, Vector128<T>.Count), pb = pad.Slice(3 * Vector128<T>.Count, Vector128<T>.Count);
            dy.CopyTo(pdy);
            x.CopyTo(px);
            gamma.CopyTo(pg);
            beta.CopyTo(pb);
            Rows<Vec128<T>, Vector128<T>, T>(activation, pdy, px, mu, rs, pg, beta.IsEmpty ? default : pb, pdy);
            pdy.Slice(0, n).CopyTo(dz);
        }
    }

    private static void Rows<TOps, TV, T>(Activation activation, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, T mu, T rs, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> dz)
        where TOps : struct, IActivationOps<TV, T>
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T rDy = ref MemoryMarshal.GetReference(dy), rX = ref MemoryMarshal.GetReference(x), rG = ref MemoryMarshal.GetReference(gamma);
        ref T rB = ref MemoryMarshal.GetReference(beta), rDz = ref MemoryMarshal.GetReference(dz);
        bool hasBeta = !beta.IsEmpty;
        nuint n = (nuint)x.Length, count = (nuint)TOps.Count, lastStart = n - count;
        TV vMu = TOps.Create(mu), vRs = TOps.Create(rs);
        // The last (possibly overlapping) vector first: its inputs are read before any dz is stored over dy.
        TV last = Element<TOps, TV, T>(activation, ref rDy, ref rX, ref rG, ref rB, hasBeta, lastStart, vMu, vRs);
        for (nuint i = 0; i < lastStart; i += count)
            TOps.Store(Element<TOps, TV, T>(activation, ref rDy, ref rX, ref rG, ref rB, hasBeta, i, vMu, vRs), ref rDz, i);
        TOps.Store(last, ref rDz, lastStart);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Element<TOps, TV, T>(Activation activation, ref T dy, ref T x, ref T gamma, ref T beta, bool hasBeta, nuint i, TV mu, TV rs)
        where TOps : struct, IActivationOps<TV, T>
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The same order of operations as the forward's z: ((x − μ)·rstd)·γ, then + β.
        TV z = TOps.Multiply(TOps.Multiply(TOps.Subtract(TOps.Load(ref x, i), mu), rs), TOps.Load(ref gamma, i));
        if (hasBeta) z = TOps.Add(z, TOps.Load(ref beta, i));
        return TOps.Multiply(TOps.Load(ref dy, i), Derivative<TOps, TV, T>(activation, z));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Derivative<TOps, TV, T>(Activation activation, TV z)
        where TOps : struct, IActivationOps<TV, T>
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TV one = TOps.Create(T.One);
        switch (activation)
        {
            case Activation.Relu:
            {
                // 1 above 0, else 0; NaN stays NaN.
                TV step = TOps.Select(TOps.LessThan(TOps.Zero, z), one, TOps.Zero);
                return TOps.Select(TOps.EqualLanes(z, z), step, z);
            }
            case Activation.Gelu:
            {
                TV a = TOps.Multiply(TOps.Abs(z), C<TOps, TV, T>(InvSqrt2));
                TV poly = VectorActivations<TOps, TV, T>.ErfPolynomial(a);
                TV e = TOps.Exp(TOps.Subtract(TOps.Zero, TOps.Multiply(a, a)));
                TV lower = TOps.Multiply(TOps.Multiply(C<TOps, TV, T>(0.5), poly), e);
                TV phi = TOps.Select(TOps.LessThan(z, TOps.Zero), lower, TOps.Subtract(one, lower));
                return TOps.Add(phi, TOps.Multiply(TOps.Multiply(z, e), C<TOps, TV, T>(InvSqrt2Pi)));
            }
            case Activation.GeluTanh:
            {
                // ½(1 + tanh u) = σ(2u); ½·sech²(u) = 2e/(1 + e)², e = e^(−2|u|).
                TV z2 = TOps.Multiply(z, z);
                TV u = TOps.Multiply(C<TOps, TV, T>(SqrtTwoOverPi), TOps.Add(z, TOps.Multiply(TOps.Multiply(C<TOps, TV, T>(GeluTanhCubic), z2), z)));
                TV au = TOps.Abs(u);
                TV e = TOps.Exp(TOps.Subtract(TOps.Zero, TOps.Add(au, au)));
                TV r = TOps.Divide(one, TOps.Add(one, e));
                TV half = TOps.Select(TOps.LessThan(u, TOps.Zero), TOps.Multiply(e, r), r);
                TV slope = TOps.Multiply(C<TOps, TV, T>(2 * SqrtTwoOverPi), TOps.Add(one, TOps.Multiply(C<TOps, TV, T>(3 * GeluTanhCubic), z2)));
                return TOps.Add(half, TOps.Multiply(TOps.Multiply(TOps.Multiply(z, slope), e), TOps.Multiply(r, r)));
            }
            case Activation.Silu:
            {
                TV e = TOps.Exp(TOps.Subtract(TOps.Zero, TOps.Abs(z)));
                TV r = TOps.Divide(one, TOps.Add(one, e)), er = TOps.Multiply(e, r);
                var negative = TOps.LessThan(z, TOps.Zero);
                TV s = TOps.Select(negative, er, r), oneMinusS = TOps.Select(negative, r, er);
                return TOps.Multiply(s, TOps.Add(one, TOps.Multiply(z, oneMinusS)));
            }
            case Activation.Tanh:
            {
                TV a = TOps.Abs(z);
                TV e = TOps.Exp(TOps.Subtract(TOps.Zero, TOps.Add(a, a)));
                TV r = TOps.Divide(one, TOps.Add(one, e));
                return TOps.Multiply(TOps.Multiply(C<TOps, TV, T>(4), e), TOps.Multiply(r, r));
            }
            case Activation.Sigmoid:
            {
                TV e = TOps.Exp(TOps.Subtract(TOps.Zero, TOps.Abs(z)));
                TV r = TOps.Divide(one, TOps.Add(one, e));
                return TOps.Multiply(e, TOps.Multiply(r, r));
            }
            default:
                return one;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV C<TOps, TV, T>(double value)
        where TOps : struct, IActivationOps<TV, T>
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
        => TOps.Create(T.CreateTruncating(value));
}
