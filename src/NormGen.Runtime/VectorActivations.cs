using System.Numerics;
using System.Runtime.CompilerServices;

namespace NormGen;

/// <summary>
/// The vector forms of <see cref="Activations"/>, each written once over the vector width (the TensorPrimitives
/// operator-struct pattern): <c>TOps</c> is <see cref="Vec512{T}"/>, <see cref="Vec256{T}"/> or <see cref="Vec128{T}"/>
/// and the JIT specialises each body per width and element type. Only tanh's polynomial near 0 differs by element type.
/// </summary>
/// <remarks>
/// The operations and their order are those of the per-width forms these bodies replaced, and each constant is rounded
/// to <c>T</c> as the casts there rounded it, so every width gives the same bits as before. The exponential is taken
/// into a local before the expression that uses it: where the JIT's inlining budget leaves <c>Exp</c> a call, a
/// constant such as <c>TOps.One</c> (itself a call in IL) evaluated before it would stay live across the call.
/// </remarks>
internal static class VectorActivations<TOps, TV, T>
    where TOps : IActivationOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The activation of a kernel's epilogue (<see cref="Activation.None"/>: <paramref name="x"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Apply(Activation activation, TV x)
        => activation switch
        {
            Activation.Relu => Relu(x),
            Activation.Gelu => Gelu(x),
            Activation.GeluTanh => GeluTanh(x),
            Activation.Silu => Silu(x),
            Activation.Tanh => Tanh(x),
            Activation.Sigmoid => Sigmoid(x),
            _ => x,
        };

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Relu(TV x)
        => TOps.Select(TOps.Or(TOps.GreaterThan(x, TOps.Zero), TOps.OnesComplement(TOps.EqualLanes(x, x))), x, TOps.Zero);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Gelu(TV x)
    {
        TV z = TOps.Multiply(x, TOps.Create(Constants.InvSqrt2));
        TV a = TOps.Abs(z);
        TV poly = ErfPolynomial(a);
        TV e = TOps.Exp(TOps.Negate(TOps.Multiply(a, a)));
        TV erf = TOps.CopySign(TOps.Subtract(TOps.One, TOps.Multiply(poly, e)), z);
        return TOps.Multiply(TOps.Multiply(TOps.Create(Constants.Half), x), TOps.Add(TOps.One, erf));
    }

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV GeluTanh(TV x)
    {
        TV cubic = TOps.Multiply(TOps.Multiply(TOps.Multiply(TOps.Create(Constants.GeluTanhCubic), x), x), x);
        TV u = TOps.Multiply(TOps.Create(Constants.SqrtTwoOverPi), TOps.Add(x, cubic));
        // tanh(u) = 1 − 2/(e^(2u) + 1): saturates cleanly to ±1 when e^(2u) overflows or underflows.
        TV e = TOps.Exp(TOps.Add(u, u));
        TV tanh = TOps.Subtract(TOps.One, TOps.Divide(TOps.Create(Constants.Two), TOps.Add(e, TOps.One)));
        return TOps.Multiply(TOps.Multiply(TOps.Create(Constants.Half), x), TOps.Add(TOps.One, tanh));
    }

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Silu(TV x)
    {
        TV e = TOps.Exp(TOps.Negate(x));
        return TOps.Divide(x, TOps.Add(TOps.One, e));
    }

    /// <summary>
    /// tanh per lane: below 0.625 an odd polynomial (float) or rational function (double), above it (1 − e)/(1 + e) with
    /// e = e^(−2|x|), which never overflows and saturates to ±1. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Tanh(TV x)
    {
        TV a = TOps.Abs(x);
        TV z = TOps.Multiply(x, x);
        TV near0 = typeof(T) == typeof(float) ? TanhNear0Float(x, z) : TanhNear0Double(x, z);
        TV e = TOps.Exp(TOps.Negate(TOps.Add(a, a)));
        TV far = TOps.CopySign(TOps.Divide(TOps.Subtract(TOps.One, e), TOps.Add(TOps.One, e)), x);
        return TOps.Select(TOps.LessThan(a, TOps.Create(Constants.TanhSmall)), near0, far);
    }

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid(TV x)
    {
        TV e = TOps.Exp(TOps.Negate(TOps.Abs(x)));
        return TOps.Divide(TOps.Select(TOps.LessThan(x, TOps.Zero), e, TOps.One), TOps.Add(TOps.One, e));
    }

    /// <summary>
    /// The polynomial of erf's approximation (<see cref="Activations.Erf"/>) at a ≥ 0: t·(a1 + t·(a2 + t·(a3 + t·(a4 +
    /// t·a5)))) with t = 1/(1 + p·a), so that 1 − erf(a) ≈ poly·e^(−a²). Shared by GELU and its derivative
    /// (<see cref="ActivationGradient"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV ErfPolynomial(TV a)
    {
        TV t = TOps.Divide(TOps.One, TOps.Add(TOps.One, TOps.Multiply(TOps.Create(Constants.P), a)));
        TV inner = TOps.Add(TOps.Create(Constants.A4), TOps.Multiply(t, TOps.Create(Constants.A5)));
        inner = TOps.Add(TOps.Create(Constants.A3), TOps.Multiply(t, inner));
        inner = TOps.Add(TOps.Create(Constants.A2), TOps.Multiply(t, inner));
        return TOps.Multiply(t, TOps.Add(TOps.Create(Constants.A1), TOps.Multiply(t, inner)));
    }

    // Cephes tanhf: x + x·z·(c0 + z·(c1 + …)), evaluated as ((poly·z)·x) + x.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV TanhNear0Float(TV x, TV z)
    {
        TV poly = TOps.Add(TOps.Create(Constants.TF3), TOps.Multiply(z, TOps.Create(Constants.TF4)));
        poly = TOps.Add(TOps.Create(Constants.TF2), TOps.Multiply(z, poly));
        poly = TOps.Add(TOps.Create(Constants.TF1), TOps.Multiply(z, poly));
        poly = TOps.Add(TOps.Create(Constants.TF0), TOps.Multiply(z, poly));
        return TOps.Add(TOps.Multiply(TOps.Multiply(poly, z), x), x);
    }

    // Cephes tanh: x + (x·z)·P(z)/Q(z).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV TanhNear0Double(TV x, TV z)
    {
        TV p = TOps.Add(TOps.Create(Constants.TP0), TOps.Multiply(z, TOps.Add(TOps.Create(Constants.TP1), TOps.Multiply(z, TOps.Create(Constants.TP2)))));
        TV q = TOps.Add(TOps.Create(Constants.TQ1), TOps.Multiply(z, TOps.Add(TOps.Create(Constants.TQ2), z)));
        q = TOps.Add(TOps.Create(Constants.TQ0), TOps.Multiply(z, q));
        return TOps.Add(x, TOps.Multiply(TOps.Multiply(x, z), TOps.Divide(p, q)));
    }

    /// <summary>
    /// The constants rounded once to <typeparamref name="T"/> (as the casts <c>(float)c</c> of the per-width forms did).
    /// Static readonly: tier-1 code reads them as constants, so a body costs the JIT's inliner no conversion code.
    /// </summary>
    private static class Constants
    {
        public static readonly T Half = T.CreateTruncating(0.5), Two = T.CreateTruncating(2.0);
        public static readonly T InvSqrt2 = T.CreateTruncating(Activations.InvSqrt2);
        public static readonly T SqrtTwoOverPi = T.CreateTruncating(Activations.SqrtTwoOverPi), GeluTanhCubic = T.CreateTruncating(Activations.GeluTanhCubic);
        public static readonly T P = T.CreateTruncating(Activations.P), A1 = T.CreateTruncating(Activations.A1), A2 = T.CreateTruncating(Activations.A2);
        public static readonly T A3 = T.CreateTruncating(Activations.A3), A4 = T.CreateTruncating(Activations.A4), A5 = T.CreateTruncating(Activations.A5);

        // tanh(x) for |x| < 0.625 (Moshier, Cephes tanhf / tanh): float x + x·z·(c0 + z·(c1 + …)) with z = x², max
        // error 0.75 ulp; double x + x·z·P(z)/Q(z), max error 2.4e-17 relative. There (1 − e)/(1 + e) with e = e^(−2|x|)
        // would lose relative accuracy as |x| → 0; from 0.625 on, e ≤ 0.29 and it loses under a bit.
        public static readonly T TanhSmall = T.CreateTruncating(0.625f);
        public static readonly T TF0 = T.CreateTruncating(-3.33332819422e-1f), TF1 = T.CreateTruncating(1.33314422036e-1f), TF2 = T.CreateTruncating(-5.37397155531e-2f);
        public static readonly T TF3 = T.CreateTruncating(2.06390887954e-2f), TF4 = T.CreateTruncating(-5.70498872745e-3f);
        public static readonly T TP0 = T.CreateTruncating(-1.61468768441708447952e3), TP1 = T.CreateTruncating(-9.92877231001918586564e1), TP2 = T.CreateTruncating(-9.64399179425052238628e-1);
        public static readonly T TQ0 = T.CreateTruncating(4.84406305325125486048e3), TQ1 = T.CreateTruncating(2.23548839060100448583e3), TQ2 = T.CreateTruncating(1.12811678491632931402e2);
    }
}
