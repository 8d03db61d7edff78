using System;

namespace NormGen.Testing;

/// <summary>
/// Double-precision references for the activations, written independently of NormGen.Runtime's Activations: the exact
/// erf (by a series), not the kernels' rational approximation. Shared by the test projects.
/// </summary>
internal static class ActivationReference
{
    /// <summary>The exact GELU, ½·x·(1 + erf(x/√2)) (PyTorch's approximate='none').</summary>
    public static double Gelu(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    /// <summary>GELU's tanh approximation (PyTorch's approximate='tanh').</summary>
    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    /// <summary>SiLU, x / (1 + e^−x).</summary>
    public static double Silu(double x) => x / (1 + Math.Exp(-x));

    /// <summary>tanh (Math.Tanh, within an ulp of double).</summary>
    public static double Tanh(double x) => Math.Tanh(x);

    /// <summary>The logistic sigmoid 1/(1 + e^−x), as e^x/(1 + e^x) for x &lt; 0 so that nothing overflows.</summary>
    public static double Sigmoid(double x) => x < 0 ? Math.Exp(x) / (1 + Math.Exp(x)) : 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// The activation probe: a LayerNorm row of alternating +1, −1 (even length, a power of two) has mean 0 and variance 1
    /// exactly, so with a tiny ε (1e-30) and β = 0 every kernel path forms x̂·γ = ±γ exactly and the output is act(±γ):
    /// the activation alone, measured against <see cref="Tanh"/>/<see cref="Sigmoid"/> in ulps. γ sweeps zero, subnormals,
    /// 1e-38 … 100 in magnitude, [−12, 12] densely, the 0.625 switch of tanh, and ±∞ (NaN is checked separately).
    /// </summary>
    public static (float[] X, float[] Gamma) ActivationProbe(int n)
    {
        var rng = new Random(12345);
        var gamma = new float[n];
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = i % 2 == 0 ? 1f : -1f;
            gamma[i] = (i % 4) switch
            {
                0 => (float)(rng.NextDouble() * 24 - 12),
                1 => (float)Math.Pow(10, -38 + 40 * rng.NextDouble()),
                2 => (float)(rng.NextDouble() * 1.4 - 0.7),
                _ => (float)(rng.NextDouble() * 200 - 100),
            };
        }
        float[] specials = [0f, 1e-45f, -1e-45f, 1e-40f, 0.625f, MathF.BitDecrement(0.625f), MathF.BitIncrement(0.625f), -0.625f, 88f, 90f, 104f, 1e30f, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue];
        for (int i = 0; i < specials.Length; i++) gamma[3 + 4 * i] = specials[i];
        return (x, gamma);
    }

    /// <summary>|actual − expected| in units of the last place of <paramref name="expected"/> as a float (2⁻¹⁴⁹ below the normal range).</summary>
    public static double FloatUlps(double actual, double expected)
    {
        if (actual == expected || (double.IsNaN(actual) && double.IsNaN(expected))) return 0;
        if (double.IsNaN(actual) || double.IsNaN(expected) || double.IsInfinity(actual) || double.IsInfinity(expected)) return double.PositiveInfinity;
        double ulp = Math.Pow(2, Math.Max(Math.ILogB(Math.Abs(expected == 0 ? actual : expected)), -126) - 23);
        return Math.Abs(actual - expected) / ulp;
    }

    /// <summary>|actual − expected| in units of the last place of <paramref name="expected"/> as a double.</summary>
    public static double DoubleUlps(double actual, double expected)
    {
        if (actual == expected || (double.IsNaN(actual) && double.IsNaN(expected))) return 0;
        if (double.IsNaN(actual) || double.IsNaN(expected) || double.IsInfinity(actual) || double.IsInfinity(expected)) return double.PositiveInfinity;
        double ulp = Math.Pow(2, Math.Max(Math.ILogB(Math.Abs(expected == 0 ? actual : expected)), -1022) - 52);
        return Math.Abs(actual - expected) / ulp;
    }

    /// <summary>erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·⋯·(2n+1)): positive terms only, no cancellation.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double a = Math.Abs(x);
        if (a > 6) return Math.Sign(x);
        double term = a, sum = a;
        for (int k = 1; k < 400 && term > 1e-18 * sum; k++)
        {
            term *= 2 * a * a / (2 * k + 1);
            sum += term;
        }
        return Math.Sign(x) * 2 / Math.Sqrt(Math.PI) * Math.Exp(-a * a) * sum;
    }
}
