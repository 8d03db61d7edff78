// Activations for the epilogues of the kernels: one copy here instead of one per generated file. The same formulas at
// every width (128/256/512-bit, one body each in VectorActivations) and in the scalar fallback, so a kernel's ISA paths
// agree to rounding. GELU uses erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), as .NET has no vector erf.
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
    internal const double P = 0.3275911, A1 = 0.254829592, A2 = -0.284496736, A3 = 1.421413741, A4 = -1.453152027, A5 = 1.061405429;
    internal const double InvSqrt2 = 0.70710678118654752440;
    internal const double SqrtTwoOverPi = 0.79788456080286535588;
    internal const double GeluTanhCubic = 0.044715;

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

    // The vector forms: each forwards to its one body for every width and element type in VectorActivations.

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Relu(Vector128<float> x) => VectorActivations<Vec128<float>, Vector128<float>, float>.Relu(x);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Gelu(Vector128<float> x) => VectorActivations<Vec128<float>, Vector128<float>, float>.Gelu(x);

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GeluTanh(Vector128<float> x) => VectorActivations<Vec128<float>, Vector128<float>, float>.GeluTanh(x);

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Silu(Vector128<float> x) => VectorActivations<Vec128<float>, Vector128<float>, float>.Silu(x);

    /// <summary>tanh per lane: below 0.625 an odd polynomial (rational for double), above it (1 − e)/(1 + e) with e = e^(−2|x|) (saturates to ±1; NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Tanh(Vector128<float> x) => VectorActivations<Vec128<float>, Vector128<float>, float>.Tanh(x);

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sigmoid(Vector128<float> x) => VectorActivations<Vec128<float>, Vector128<float>, float>.Sigmoid(x);

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Relu(Vector128<double> x) => VectorActivations<Vec128<double>, Vector128<double>, double>.Relu(x);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Gelu(Vector128<double> x) => VectorActivations<Vec128<double>, Vector128<double>, double>.Gelu(x);

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> GeluTanh(Vector128<double> x) => VectorActivations<Vec128<double>, Vector128<double>, double>.GeluTanh(x);

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Silu(Vector128<double> x) => VectorActivations<Vec128<double>, Vector128<double>, double>.Silu(x);

    /// <summary>tanh per lane: below 0.625 an odd polynomial (rational for double), above it (1 − e)/(1 + e) with e = e^(−2|x|) (saturates to ±1; NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Tanh(Vector128<double> x) => VectorActivations<Vec128<double>, Vector128<double>, double>.Tanh(x);

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Sigmoid(Vector128<double> x) => VectorActivations<Vec128<double>, Vector128<double>, double>.Sigmoid(x);

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Relu(Vector256<float> x) => VectorActivations<Vec256<float>, Vector256<float>, float>.Relu(x);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Gelu(Vector256<float> x) => VectorActivations<Vec256<float>, Vector256<float>, float>.Gelu(x);

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GeluTanh(Vector256<float> x) => VectorActivations<Vec256<float>, Vector256<float>, float>.GeluTanh(x);

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Silu(Vector256<float> x) => VectorActivations<Vec256<float>, Vector256<float>, float>.Silu(x);

    /// <summary>tanh per lane: below 0.625 an odd polynomial (rational for double), above it (1 − e)/(1 + e) with e = e^(−2|x|) (saturates to ±1; NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Tanh(Vector256<float> x) => VectorActivations<Vec256<float>, Vector256<float>, float>.Tanh(x);

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sigmoid(Vector256<float> x) => VectorActivations<Vec256<float>, Vector256<float>, float>.Sigmoid(x);

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Relu(Vector256<double> x) => VectorActivations<Vec256<double>, Vector256<double>, double>.Relu(x);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Gelu(Vector256<double> x) => VectorActivations<Vec256<double>, Vector256<double>, double>.Gelu(x);

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> GeluTanh(Vector256<double> x) => VectorActivations<Vec256<double>, Vector256<double>, double>.GeluTanh(x);

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Silu(Vector256<double> x) => VectorActivations<Vec256<double>, Vector256<double>, double>.Silu(x);

    /// <summary>tanh per lane: below 0.625 an odd polynomial (rational for double), above it (1 − e)/(1 + e) with e = e^(−2|x|) (saturates to ±1; NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Tanh(Vector256<double> x) => VectorActivations<Vec256<double>, Vector256<double>, double>.Tanh(x);

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Sigmoid(Vector256<double> x) => VectorActivations<Vec256<double>, Vector256<double>, double>.Sigmoid(x);

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Relu(Vector512<float> x) => VectorActivations<Vec512<float>, Vector512<float>, float>.Relu(x);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Gelu(Vector512<float> x) => VectorActivations<Vec512<float>, Vector512<float>, float>.Gelu(x);

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GeluTanh(Vector512<float> x) => VectorActivations<Vec512<float>, Vector512<float>, float>.GeluTanh(x);

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Silu(Vector512<float> x) => VectorActivations<Vec512<float>, Vector512<float>, float>.Silu(x);

    /// <summary>tanh per lane: below 0.625 an odd polynomial (rational for double), above it (1 − e)/(1 + e) with e = e^(−2|x|) (saturates to ±1; NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Tanh(Vector512<float> x) => VectorActivations<Vec512<float>, Vector512<float>, float>.Tanh(x);

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sigmoid(Vector512<float> x) => VectorActivations<Vec512<float>, Vector512<float>, float>.Sigmoid(x);

    /// <summary>max(x, 0) per lane (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Relu(Vector512<double> x) => VectorActivations<Vec512<double>, Vector512<double>, double>.Relu(x);

    /// <summary>The exact-form GELU per lane, ½·x·(1 + erf(x/√2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Gelu(Vector512<double> x) => VectorActivations<Vec512<double>, Vector512<double>, double>.Gelu(x);

    /// <summary>GELU's tanh approximation per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> GeluTanh(Vector512<double> x) => VectorActivations<Vec512<double>, Vector512<double>, double>.GeluTanh(x);

    /// <summary>SiLU per lane, x / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Silu(Vector512<double> x) => VectorActivations<Vec512<double>, Vector512<double>, double>.Silu(x);

    /// <summary>tanh per lane: below 0.625 an odd polynomial (rational for double), above it (1 − e)/(1 + e) with e = e^(−2|x|) (saturates to ±1; NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Tanh(Vector512<double> x) => VectorActivations<Vec512<double>, Vector512<double>, double>.Tanh(x);

    /// <summary>σ per lane: (x &lt; 0 ? e : 1) / (1 + e) with e = e^−|x| (no overflow; 0 at −∞, 1 at +∞, NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Sigmoid(Vector512<double> x) => VectorActivations<Vec512<double>, Vector512<double>, double>.Sigmoid(x);
}
