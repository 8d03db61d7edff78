// Vector activations for the epilogues of generated kernels: one copy here instead of one per generated file.
// The same formulas at every width (128/256/512-bit) and in the scalar fallback, so a kernel's ISA paths agree to
// rounding. GELU uses erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), as .NET has no vector erf.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// The activations a NormGen kernel can apply before storing its output (<see cref="Activation"/>), for scalars and
/// for 128-, 256- and 512-bit vectors of float and double.
/// </summary>
public static class Activations
{
    // erf(a) ≈ 1 − t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·e^(−a²), t = 1/(1 + p·a), a ≥ 0.
    private const double P = 0.3275911, A1 = 0.254829592, A2 = -0.284496736, A3 = 1.421413741, A4 = -1.453152027, A5 = 1.061405429;
    private const double InvSqrt2 = 0.70710678118654752440;
    private const double SqrtTwoOverPi = 0.79788456080286535588;
    private const double GeluTanhCubic = 0.044715;

    // tanh(x) for |x| < 0.625 (Moshier, Cephes tanhf / tanh): float x + x·z·(c0 + z·(c1 + …)) with z = x², max error
    // 0.75 ulp; double x + x·z·P(z)/Q(z), max error 2.4e-17 relative. There (1 − e)/(1 + e) with e = e^(−2|x|) would
    // lose relative accuracy as |x| → 0; from 0.625 on, e ≤ 0.29 and it loses under a bit.
    private const float TanhSmall = 0.625f;
    private const float TF0 = -3.33332819422e-1f, TF1 = 1.33314422036e-1f, TF2 = -5.37397155531e-2f, TF3 = 2.06390887954e-2f, TF4 = -5.70498872745e-3f;
    private const double TP0 = -1.61468768441708447952e3, TP1 = -9.92877231001918586564e1, TP2 = -9.64399179425052238628e-1;
    private const double TQ0 = 4.84406305325125486048e3, TQ1 = 2.23548839060100448583e3, TQ2 = 1.12811678491632931402e2;

    /// <summary>max(x, 0).</summary>
    public static float Relu(float x) => x > 0f ? x : (float.IsNaN(x) ? x : 0f);

    /// <summary>max(x, 0).</summary>
    public static double Relu(double x) => x > 0d ? x : (double.IsNaN(x) ? x : 0d);

    /// <summary>The exact-form GELU, ½·x·(1 + erf(x/√2)).</summary>
    public static float Gelu(float x) => (float)Gelu((double)x);

    /// <summary>The exact-form GELU, ½·x·(1 + erf(x/√2)).</summary>
    public static double Gelu(double x) => 0.5 * x * (1 + Erf(x * InvSqrt2));

    /// <summary>GELU's tanh approximation, ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    public static float GeluTanh(float x) => (float)GeluTanh((double)x);

    /// <summary>GELU's tanh approximation, ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(SqrtTwoOverPi * (x + GeluTanhCubic * x * x * x)));

    /// <summary>SiLU, x·σ(x) = x / (1 + e^−x).</summary>
    public static float Silu(float x) => x / (1f + MathF.Exp(-x));

    /// <summary>SiLU, x·σ(x) = x / (1 + e^−x).</summary>
    public static double Silu(double x) => x / (1d + Math.Exp(-x));

    /// <summary>tanh, rounded once from double.</summary>
    public static float Tanh(float x) => (float)Math.Tanh(x);

    /// <summary>tanh.</summary>
    public static double Tanh(double x) => Math.Tanh(x);

    /// <summary>The logistic sigmoid σ(x) = 1 / (1 + e^−x), rounded once from double.</summary>
    public static float Sigmoid(float x) => (float)Sigmoid((double)x);

    /// <summary>
    /// The logistic sigmoid σ(x) = 1 / (1 + e^−x), as e/(1 + e) with e = e^−|x| for x &lt; 0 so that e never overflows:
    /// 0 at −∞, 1 at +∞, NaN stays NaN.
    /// </summary>
    public static double Sigmoid(double x)
    {
        double e = Math.Exp(-Math.Abs(x));
        return (x < 0 ? e : 1d) / (1d + e);
    }

    /// <summary>erf with the same approximation as the vector forms (|error| &lt; 1.5e-7).</summary>
    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        double t = 1 / (1 + P * a);
        double poly = t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5))));
        double r = 1 - poly * Math.Exp(-a * a);
        return double.IsNaN(x) ? x : Math.CopySign(r, x);
    }

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Relu(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero) | ~Vector128.Equals(x, x), x, Vector128<float>.Zero);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Gelu(Vector128<float> x)
    {
        Vector128<float> z = x * Vector128.Create((float)InvSqrt2);
        Vector128<float> a = Vector128.Abs(z);
        Vector128<float> t = Vector128<float>.One / (Vector128<float>.One + Vector128.Create((float)P) * a);
        Vector128<float> poly = t * (Vector128.Create((float)A1) + t * (Vector128.Create((float)A2) + t * (Vector128.Create((float)A3) + t * (Vector128.Create((float)A4) + t * Vector128.Create((float)A5)))));
        Vector128<float> erf = Vector128.CopySign(Vector128<float>.One - poly * Vector128.Exp(-(a * a)), z);
        return Vector128.Create((float)0.5) * x * (Vector128<float>.One + erf);
    }

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> GeluTanh(Vector128<float> x)
    {
        Vector128<float> u = Vector128.Create((float)SqrtTwoOverPi) * (x + Vector128.Create((float)GeluTanhCubic) * x * x * x);
        // tanh(u) = 1 − 2/(e^(2u) + 1): saturates cleanly to ±1 when e^(2u) overflows or underflows.
        Vector128<float> tanh = Vector128<float>.One - Vector128.Create((float)2) / (Vector128.Exp(u + u) + Vector128<float>.One);
        return Vector128.Create((float)0.5) * x * (Vector128<float>.One + tanh);
    }

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Silu(Vector128<float> x) => x / (Vector128<float>.One + Vector128.Exp(-x));

    /// <summary>
    /// tanh per lane: below 0.625 an odd polynomial, above it (1 − e)/(1 + e) with e = e^(−2|x|), which
    /// never overflows and saturates to ±1. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Tanh(Vector128<float> x)
    {
        Vector128<float> a = Vector128.Abs(x);
        Vector128<float> z = x * x;
        Vector128<float> near0 = (Vector128.Create(TF0) + z * (Vector128.Create(TF1) + z * (Vector128.Create(TF2) + z * (Vector128.Create(TF3) + z * Vector128.Create(TF4))))) * z * x + x;
        Vector128<float> e = Vector128.Exp(-(a + a));
        Vector128<float> far = Vector128.CopySign((Vector128<float>.One - e) / (Vector128<float>.One + e), x);
        return Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128.Create(TanhSmall)), near0, far);
    }

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sigmoid(Vector128<float> x)
    {
        Vector128<float> e = Vector128.Exp(-Vector128.Abs(x));
        return Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), e, Vector128<float>.One) / (Vector128<float>.One + e);
    }

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Relu(Vector128<double> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<double>.Zero) | ~Vector128.Equals(x, x), x, Vector128<double>.Zero);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Gelu(Vector128<double> x)
    {
        Vector128<double> z = x * Vector128.Create((double)InvSqrt2);
        Vector128<double> a = Vector128.Abs(z);
        Vector128<double> t = Vector128<double>.One / (Vector128<double>.One + Vector128.Create((double)P) * a);
        Vector128<double> poly = t * (Vector128.Create((double)A1) + t * (Vector128.Create((double)A2) + t * (Vector128.Create((double)A3) + t * (Vector128.Create((double)A4) + t * Vector128.Create((double)A5)))));
        Vector128<double> erf = Vector128.CopySign(Vector128<double>.One - poly * Vector128.Exp(-(a * a)), z);
        return Vector128.Create((double)0.5) * x * (Vector128<double>.One + erf);
    }

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> GeluTanh(Vector128<double> x)
    {
        Vector128<double> u = Vector128.Create((double)SqrtTwoOverPi) * (x + Vector128.Create((double)GeluTanhCubic) * x * x * x);
        // tanh(u) = 1 − 2/(e^(2u) + 1): saturates cleanly to ±1 when e^(2u) overflows or underflows.
        Vector128<double> tanh = Vector128<double>.One - Vector128.Create((double)2) / (Vector128.Exp(u + u) + Vector128<double>.One);
        return Vector128.Create((double)0.5) * x * (Vector128<double>.One + tanh);
    }

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Silu(Vector128<double> x) => x / (Vector128<double>.One + Vector128.Exp(-x));

    /// <summary>
    /// tanh per lane: below 0.625 an odd polynomial (rational for double), above it (1 − e)/(1 + e) with e = e^(−2|x|), which
    /// never overflows and saturates to ±1. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Tanh(Vector128<double> x)
    {
        Vector128<double> a = Vector128.Abs(x);
        Vector128<double> z = x * x;
        Vector128<double> near0 = x + x * z * ((Vector128.Create(TP0) + z * (Vector128.Create(TP1) + z * Vector128.Create(TP2))) / (Vector128.Create(TQ0) + z * (Vector128.Create(TQ1) + z * (Vector128.Create(TQ2) + z))));
        Vector128<double> e = Vector128.Exp(-(a + a));
        Vector128<double> far = Vector128.CopySign((Vector128<double>.One - e) / (Vector128<double>.One + e), x);
        return Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128.Create((double)TanhSmall)), near0, far);
    }

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Sigmoid(Vector128<double> x)
    {
        Vector128<double> e = Vector128.Exp(-Vector128.Abs(x));
        return Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<double>.Zero), e, Vector128<double>.One) / (Vector128<double>.One + e);
    }

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero) | ~Vector256.Equals(x, x), x, Vector256<float>.Zero);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Gelu(Vector256<float> x)
    {
        Vector256<float> z = x * Vector256.Create((float)InvSqrt2);
        Vector256<float> a = Vector256.Abs(z);
        Vector256<float> t = Vector256<float>.One / (Vector256<float>.One + Vector256.Create((float)P) * a);
        Vector256<float> poly = t * (Vector256.Create((float)A1) + t * (Vector256.Create((float)A2) + t * (Vector256.Create((float)A3) + t * (Vector256.Create((float)A4) + t * Vector256.Create((float)A5)))));
        Vector256<float> erf = Vector256.CopySign(Vector256<float>.One - poly * Vector256.Exp(-(a * a)), z);
        return Vector256.Create((float)0.5) * x * (Vector256<float>.One + erf);
    }

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GeluTanh(Vector256<float> x)
    {
        Vector256<float> u = Vector256.Create((float)SqrtTwoOverPi) * (x + Vector256.Create((float)GeluTanhCubic) * x * x * x);
        // tanh(u) = 1 − 2/(e^(2u) + 1): saturates cleanly to ±1 when e^(2u) overflows or underflows.
        Vector256<float> tanh = Vector256<float>.One - Vector256.Create((float)2) / (Vector256.Exp(u + u) + Vector256<float>.One);
        return Vector256.Create((float)0.5) * x * (Vector256<float>.One + tanh);
    }

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Silu(Vector256<float> x) => x / (Vector256<float>.One + Vector256.Exp(-x));

    /// <summary>
    /// tanh per lane: below 0.625 an odd polynomial, above it (1 − e)/(1 + e) with e = e^(−2|x|), which
    /// never overflows and saturates to ±1. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> a = Vector256.Abs(x);
        Vector256<float> z = x * x;
        Vector256<float> near0 = (Vector256.Create(TF0) + z * (Vector256.Create(TF1) + z * (Vector256.Create(TF2) + z * (Vector256.Create(TF3) + z * Vector256.Create(TF4))))) * z * x + x;
        Vector256<float> e = Vector256.Exp(-(a + a));
        Vector256<float> far = Vector256.CopySign((Vector256<float>.One - e) / (Vector256<float>.One + e), x);
        return Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(TanhSmall)), near0, far);
    }

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
    {
        Vector256<float> e = Vector256.Exp(-Vector256.Abs(x));
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), e, Vector256<float>.One) / (Vector256<float>.One + e);
    }

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Relu(Vector256<double> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<double>.Zero) | ~Vector256.Equals(x, x), x, Vector256<double>.Zero);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Gelu(Vector256<double> x)
    {
        Vector256<double> z = x * Vector256.Create((double)InvSqrt2);
        Vector256<double> a = Vector256.Abs(z);
        Vector256<double> t = Vector256<double>.One / (Vector256<double>.One + Vector256.Create((double)P) * a);
        Vector256<double> poly = t * (Vector256.Create((double)A1) + t * (Vector256.Create((double)A2) + t * (Vector256.Create((double)A3) + t * (Vector256.Create((double)A4) + t * Vector256.Create((double)A5)))));
        Vector256<double> erf = Vector256.CopySign(Vector256<double>.One - poly * Vector256.Exp(-(a * a)), z);
        return Vector256.Create((double)0.5) * x * (Vector256<double>.One + erf);
    }

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> GeluTanh(Vector256<double> x)
    {
        Vector256<double> u = Vector256.Create((double)SqrtTwoOverPi) * (x + Vector256.Create((double)GeluTanhCubic) * x * x * x);
        // tanh(u) = 1 − 2/(e^(2u) + 1): saturates cleanly to ±1 when e^(2u) overflows or underflows.
        Vector256<double> tanh = Vector256<double>.One - Vector256.Create((double)2) / (Vector256.Exp(u + u) + Vector256<double>.One);
        return Vector256.Create((double)0.5) * x * (Vector256<double>.One + tanh);
    }

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Silu(Vector256<double> x) => x / (Vector256<double>.One + Vector256.Exp(-x));

    /// <summary>
    /// tanh per lane: below 0.625 an odd polynomial (rational for double), above it (1 − e)/(1 + e) with e = e^(−2|x|), which
    /// never overflows and saturates to ±1. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Tanh(Vector256<double> x)
    {
        Vector256<double> a = Vector256.Abs(x);
        Vector256<double> z = x * x;
        Vector256<double> near0 = x + x * z * ((Vector256.Create(TP0) + z * (Vector256.Create(TP1) + z * Vector256.Create(TP2))) / (Vector256.Create(TQ0) + z * (Vector256.Create(TQ1) + z * (Vector256.Create(TQ2) + z))));
        Vector256<double> e = Vector256.Exp(-(a + a));
        Vector256<double> far = Vector256.CopySign((Vector256<double>.One - e) / (Vector256<double>.One + e), x);
        return Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create((double)TanhSmall)), near0, far);
    }

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Sigmoid(Vector256<double> x)
    {
        Vector256<double> e = Vector256.Exp(-Vector256.Abs(x));
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<double>.Zero), e, Vector256<double>.One) / (Vector256<double>.One + e);
    }

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Relu(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero) | ~Vector512.Equals(x, x), x, Vector512<float>.Zero);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Gelu(Vector512<float> x)
    {
        Vector512<float> z = x * Vector512.Create((float)InvSqrt2);
        Vector512<float> a = Vector512.Abs(z);
        Vector512<float> t = Vector512<float>.One / (Vector512<float>.One + Vector512.Create((float)P) * a);
        Vector512<float> poly = t * (Vector512.Create((float)A1) + t * (Vector512.Create((float)A2) + t * (Vector512.Create((float)A3) + t * (Vector512.Create((float)A4) + t * Vector512.Create((float)A5)))));
        Vector512<float> erf = Vector512.CopySign(Vector512<float>.One - poly * Vector512.Exp(-(a * a)), z);
        return Vector512.Create((float)0.5) * x * (Vector512<float>.One + erf);
    }

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GeluTanh(Vector512<float> x)
    {
        Vector512<float> u = Vector512.Create((float)SqrtTwoOverPi) * (x + Vector512.Create((float)GeluTanhCubic) * x * x * x);
        // tanh(u) = 1 − 2/(e^(2u) + 1): saturates cleanly to ±1 when e^(2u) overflows or underflows.
        Vector512<float> tanh = Vector512<float>.One - Vector512.Create((float)2) / (Vector512.Exp(u + u) + Vector512<float>.One);
        return Vector512.Create((float)0.5) * x * (Vector512<float>.One + tanh);
    }

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Silu(Vector512<float> x) => x / (Vector512<float>.One + Vector512.Exp(-x));

    /// <summary>
    /// tanh per lane: below 0.625 an odd polynomial, above it (1 − e)/(1 + e) with e = e^(−2|x|), which
    /// never overflows and saturates to ±1. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        Vector512<float> a = Vector512.Abs(x);
        Vector512<float> z = x * x;
        Vector512<float> near0 = (Vector512.Create(TF0) + z * (Vector512.Create(TF1) + z * (Vector512.Create(TF2) + z * (Vector512.Create(TF3) + z * Vector512.Create(TF4))))) * z * x + x;
        Vector512<float> e = Vector512.Exp(-(a + a));
        Vector512<float> far = Vector512.CopySign((Vector512<float>.One - e) / (Vector512<float>.One + e), x);
        return Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(TanhSmall)), near0, far);
    }

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x)
    {
        Vector512<float> e = Vector512.Exp(-Vector512.Abs(x));
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), e, Vector512<float>.One) / (Vector512<float>.One + e);
    }

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Relu(Vector512<double> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<double>.Zero) | ~Vector512.Equals(x, x), x, Vector512<double>.Zero);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Gelu(Vector512<double> x)
    {
        Vector512<double> z = x * Vector512.Create((double)InvSqrt2);
        Vector512<double> a = Vector512.Abs(z);
        Vector512<double> t = Vector512<double>.One / (Vector512<double>.One + Vector512.Create((double)P) * a);
        Vector512<double> poly = t * (Vector512.Create((double)A1) + t * (Vector512.Create((double)A2) + t * (Vector512.Create((double)A3) + t * (Vector512.Create((double)A4) + t * Vector512.Create((double)A5)))));
        Vector512<double> erf = Vector512.CopySign(Vector512<double>.One - poly * Vector512.Exp(-(a * a)), z);
        return Vector512.Create((double)0.5) * x * (Vector512<double>.One + erf);
    }

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> GeluTanh(Vector512<double> x)
    {
        Vector512<double> u = Vector512.Create((double)SqrtTwoOverPi) * (x + Vector512.Create((double)GeluTanhCubic) * x * x * x);
        // tanh(u) = 1 − 2/(e^(2u) + 1): saturates cleanly to ±1 when e^(2u) overflows or underflows.
        Vector512<double> tanh = Vector512<double>.One - Vector512.Create((double)2) / (Vector512.Exp(u + u) + Vector512<double>.One);
        return Vector512.Create((double)0.5) * x * (Vector512<double>.One + tanh);
    }

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Silu(Vector512<double> x) => x / (Vector512<double>.One + Vector512.Exp(-x));

    /// <summary>
    /// tanh per lane: below 0.625 an odd polynomial (rational for double), above it (1 − e)/(1 + e) with e = e^(−2|x|), which
    /// never overflows and saturates to ±1. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Tanh(Vector512<double> x)
    {
        Vector512<double> a = Vector512.Abs(x);
        Vector512<double> z = x * x;
        Vector512<double> near0 = x + x * z * ((Vector512.Create(TP0) + z * (Vector512.Create(TP1) + z * Vector512.Create(TP2))) / (Vector512.Create(TQ0) + z * (Vector512.Create(TQ1) + z * (Vector512.Create(TQ2) + z))));
        Vector512<double> e = Vector512.Exp(-(a + a));
        Vector512<double> far = Vector512.CopySign((Vector512<double>.One - e) / (Vector512<double>.One + e), x);
        return Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create((double)TanhSmall)), near0, far);
    }

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Sigmoid(Vector512<double> x)
    {
        Vector512<double> e = Vector512.Exp(-Vector512.Abs(x));
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<double>.Zero), e, Vector512<double>.One) / (Vector512<double>.One + e);
    }
}
