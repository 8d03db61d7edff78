using System;
using System.Globalization;
using System.Linq;

namespace NormGen.Tests;

/// <summary>
/// The independent reference: plain double-precision loops, written from the definitions (PyTorch semantics), sharing
/// no code with the generator. LayerNorm: y = (x − μ)/√(σ² + ε)·γ + β with the biased σ² from an exact two-pass over
/// the row; RMSNorm: y = x/√(mean(x²) + ε)·γ (+ β). Inputs are the values the kernel actually received (already
/// rounded to its element type), so the comparison measures the kernel's arithmetic only.
/// </summary>
public static class Reference
{
    /// <summary>
    /// Normalizes every row of <paramref name="x"/>. <paramref name="terms"/> receives, per element, |x̂·γ| + |β| plus
    /// |γ|·max|x̂| of the row: the size of the quantities the kernel rounds, which scales its error (see <see cref="Tolerance"/>).
    /// </summary>
    public static double[] Normalize(NormKind kind, Affine affine, double epsilon, double[] x, int n, double[] gamma, double[] beta, out double[] terms)
    {
        var y = new double[x.Length];
        terms = new double[x.Length];
        for (int r = 0; r < x.Length / n; r++)
        {
            int o = r * n;
            // μ as an unevaluated sum hi + lo (compensated row sum, exact residual of the division), and each
            // deviation formed as (x − hi) − lo with x − hi exact (TwoSum): the reference's x − μ is then good to a
            // unit in its own last place however large μ is, instead of erring by 2⁻⁵³·|μ|. Sums of squares are
            // compensated as well, so the reference errs by a few units of 2⁻⁵³ whatever n is.
            double meanHi = 0, meanLo = 0, rstd;
            if (kind == NormKind.LayerNorm)
            {
                var (sHi, sLo) = CompensatedSum(x.AsSpan(o, n), square: false);
                meanHi = sHi / n;
                meanLo = (Math.FusedMultiplyAdd(-meanHi, n, sHi) + sLo) / n;
            }
            var dev = new double[n];
            for (int i = 0; i < n; i++)
            {
                double s = x[o + i] - meanHi, bb = s - x[o + i];
                double e = (x[o + i] - (s - bb)) + (-meanHi - bb);
                dev[i] = s + (e - meanLo);
            }
            if (kind == NormKind.RmsNorm) x.AsSpan(o, n).CopyTo(dev);
            var (qHi, qLo) = CompensatedSum(dev, square: true);
            rstd = 1 / Math.Sqrt((qHi + qLo) / n + epsilon);
            double maxHat = 0;
            for (int i = 0; i < n; i++) maxHat = Math.Max(maxHat, Math.Abs(dev[i] * rstd));
            for (int i = 0; i < n; i++)
            {
                double hat = dev[i] * rstd;
                double g = affine >= Affine.Scale ? gamma[i] : 1;
                double b = affine == Affine.ScaleAndBias ? beta[i] : 0;
                y[o + i] = hat * g + b;
                terms[o + i] = Math.Abs(hat * g) + Math.Abs(b) + Math.Abs(g) * maxHat;
            }
        }
        return y;
    }

    /// <summary>Neumaier's compensated sum of the values (or of their squares, each square's rounding error included via FMA).</summary>
    private static (double Hi, double Lo) CompensatedSum(ReadOnlySpan<double> values, bool square)
    {
        double sum = 0, c = 0;
        foreach (double v in values)
        {
            double a = square ? v * v : v;
            if (square) c += Math.FusedMultiplyAdd(v, v, -a);
            double t = sum + a;
            c += Math.Abs(sum) >= Math.Abs(a) ? (sum - t) + a : (a - t) + sum;
            sum = t;
        }
        return (sum, double.IsFinite(sum) ? c : 0); // ∞ − ∞ in the correction must not turn an infinite sum into NaN
    }

    /// <summary>
    /// The allowed error of a kernel computing in a type with unit roundoff u, for a row of n elements, as a multiple
    /// of u·terms (terms from <see cref="Normalize"/>).
    /// Reasoning: the kernel rounds a handful of times per element (x − shift − offset, ·rstd, ·γ, +β: ≤ 8u of the
    /// terms, and the shift/offset subtraction contributes u·|x − shift|/σ ≤ u·2·max|x̂|, which the terms include), and
    /// rstd carries the error of the row sums. A float row sum over n terms in L-lane accumulators has a worst-case
    /// relative error (n/L)·u, but with independent rounding errors of random sign it grows like √n·u (Higham,
    /// "Accuracy and Stability of Numerical Algorithms", §4.2); the data here are random, so we allow 16 + 4√n units.
    /// For n = 768 that is 127u ≈ 7.6e-6 (float), for n = 12288 it is 460u ≈ 2.7e-5; measured errors are at most
    /// 2.8u at every n (7× under the allowance at n = 1, 160× at n = 12288), leaving room for processors without FMA, while a real bug (a lost or doubled element, a wrong tail mask) shows up as ≥ 1/n relative error,
    /// far above the bound even at n = 12288. The reference itself errs by a few units of 2⁻⁵³ (compensated sums,
    /// double-double mean), negligible for float kernels and inside the allowance for double kernels.
    /// </summary>
    public static double Tolerance(double unitRoundoff, int n) => unitRoundoff * (16 + 4 * Math.Sqrt(n));

    /// <summary>The spacing of Half numbers at |v| (2⁻²⁴ in the subnormal range).</summary>
    public static double HalfUlp(double v)
    {
        double a = Math.Abs(v);
        if (a < Math.Pow(2, -14)) return Math.Pow(2, -24);
        return Math.Pow(2, Math.ILogB(a) - 10);
    }

    /// <summary>Standard normal samples from a seeded generator (Box–Muller), shifted and scaled.</summary>
    public static double[] Normal(Random rng, int count, double mean = 0, double std = 1)
    {
        var v = new double[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            v[i] = mean + std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
        return v;
    }

    /// <summary>γ: magnitudes in [0.5, 1.5] with random signs. β: uniform in [−1, 1], never zero (so "exactly β" is not "±0").</summary>
    public static (double[] Gamma, double[] Beta) AffineParameters(Random rng, int n)
    {
        var g = new double[n];
        var b = new double[n];
        for (int i = 0; i < n; i++)
        {
            g[i] = (0.5 + rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1);
            b[i] = 2 * rng.NextDouble() - 1;
            if (b[i] == 0) b[i] = 0.25;
        }
        return (g, b);
    }

    /// <summary>
    /// <paramref name="rows"/> rows of <paramref name="n"/>: row r of mean 3r − 4 and deviation 0.5 + r (so a row
    /// normalised with its neighbour's statistics is far off), then γ and β (<see cref="AffineParameters"/>); all three
    /// rounded to float when <paramref name="toFloat"/>, for the float kernels.
    /// </summary>
    public static (double[] X, double[] Gamma, double[] Beta) SpreadRows(Random rng, int rows, int n, bool toFloat)
    {
        double[] x = new double[rows * n];
        for (int r = 0; r < rows; r++)
            Normal(rng, n, r * 3 - 4, 0.5 + r).CopyTo(x, r * n);
        var (g, b) = AffineParameters(rng, n);
        if (toFloat)
        {
            x = x.Select(v => (double)(float)v).ToArray();
            g = g.Select(v => (double)(float)v).ToArray();
            b = b.Select(v => (double)(float)v).ToArray();
        }
        return (x, g, b);
    }
}

/// <summary>Running maxima of the error of a kernel against the reference.</summary>
public sealed class ErrorStats
{
    public double MaxAbs;
    /// <summary>Max |y − ref| / |ref| over elements with |ref| ≥ 1e-3 (relative error is meaningless at zeros of y).</summary>
    public double MaxRel;
    /// <summary>Max |y − ref| / (u·terms): how much of the error budget was used, in units of roundoff.</summary>
    public double MaxUnits;
    /// <summary>
    /// Max |y − ref| in Half ulps at the reference value, over |ref| ≥ 1e-2 (meaningful for Half kernels only). Near
    /// zeros of x̂·γ + β the float arithmetic's own error (u·|x̂·γ|) exceeds the tiny Half spacing there.
    /// </summary>
    public double MaxHalfUlps;
    public long Elements;
    public string? Worst;

    public void Add(double y, double reference, double terms, double unitRoundoff, string where)
    {
        Elements++;
        double e = Math.Abs(y - reference);
        if (double.IsNaN(e)) e = double.PositiveInfinity;
        if (e > MaxAbs) { MaxAbs = e; Worst = where; }
        if (Math.Abs(reference) >= 1e-3) MaxRel = Math.Max(MaxRel, e / Math.Abs(reference));
        if (terms > 0) MaxUnits = Math.Max(MaxUnits, e / (unitRoundoff * terms));
        if (Math.Abs(reference) >= 1e-2) MaxHalfUlps = Math.Max(MaxHalfUlps, e / Reference.HalfUlp(reference));
    }

    public void Merge(ErrorStats other)
    {
        if (other.MaxAbs > MaxAbs) { MaxAbs = other.MaxAbs; Worst = other.Worst; }
        MaxRel = Math.Max(MaxRel, other.MaxRel);
        MaxUnits = Math.Max(MaxUnits, other.MaxUnits);
        MaxHalfUlps = Math.Max(MaxHalfUlps, other.MaxHalfUlps);
        Elements += other.Elements;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"maxAbs={MaxAbs:E2} maxRel={MaxRel:E2} maxUnits={MaxUnits:F1}u halfUlps={MaxHalfUlps:F2} over {Elements} elements");
}
