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
}
