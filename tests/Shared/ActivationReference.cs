using System;

namespace NormGen.Testing;

/// <summary>
/// Double-precision references for the activations, written independently of NormGen.Runtime's Activations: the exact
/// erf (by a series), not the kernels' rational approximation. Shared by the test projects.
/// </summary>
public static class ActivationReference
{
    /// <summary>The exact GELU, ½·x·(1 + erf(x/√2)) (PyTorch's approximate='none').</summary>
    public static double Gelu(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    /// <summary>GELU's tanh approximation (PyTorch's approximate='tanh').</summary>
    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    /// <summary>SiLU, x / (1 + e^−x).</summary>
    public static double Silu(double x) => x / (1 + Math.Exp(-x));

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
