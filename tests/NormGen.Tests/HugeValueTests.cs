using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace NormGen.Tests;

/// <summary>Kernels for rows with huge finite values.</summary>
public static partial class HugeKernels
{
    [LayerNorm(64)]
    public static partial void Ln64(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [LayerNorm(SaveStatistics = true)]
    public static partial void LnF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(SaveStatistics = true)]
    public static partial void LnD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y, Span<double> mean, Span<double> rstd);

    [LayerNorm]
    public static partial void LnH(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y);

    [RmsNorm(SaveStatistics = true)]
    public static partial void RmsF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> weight, Span<float> y, Span<float> rstd);

    [RmsNorm]
    public static partial void RmsD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(Residual = true)]
    public static partial void AddLnF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut);
}

/// <summary>
/// Rows of finite values whose squares or sums overflow the type (1e21 among zeros, ±3e38, one 1e30 spike, a constant
/// 3e38 row; 1e300 in double) give the finite result of the definition, within float (double) accuracy of a double
/// reference that scales the row itself; NaN and ±∞ rows behave as before.
/// </summary>
public class HugeValueTests
{
    private static readonly int[] Lengths = [1, 2, 3, 5, 8, 17, 64, 100, 1000];

    /// <summary>LayerNorm in double on x/m, m = max|x| (exact scaling, ε/m²): the definition without overflow.</summary>
    private static (double[] Y, double Mean, double Rstd) LayerNorm(double[] x, double[] g, double[] b, double eps)
    {
        int n = x.Length;
        double m = x.Max(Math.Abs);
        if (m == 0) m = 1;
        double[] s = x.Select(v => v / m).ToArray();
        double mean = s.Average();
        double variance = s.Sum(v => (v - mean) * (v - mean)) / n;
        double denominator = Math.Sqrt(variance + eps / m / m); // 0 only for a constant row whose ε/m² underflows
        return (s.Select((v, i) => (denominator == 0 ? 0 : (v - mean) / denominator) * g[i] + b[i]).ToArray(), mean * m, 1 / denominator / m);
    }

    private static (double[] Y, double Rstd) RmsNorm(double[] x, double[] g, double eps)
    {
        double m = x.Max(Math.Abs);
        if (m == 0) m = 1;
        double[] s = x.Select(v => v / m).ToArray();
        double denominator = Math.Sqrt(s.Sum(v => v * v) / s.Length + eps / m / m);
        return (s.Select((v, i) => (denominator == 0 ? 0 : v / denominator) * g[i]).ToArray(), 1 / denominator / m);
    }

    /// <summary>Rows with huge finite values, for a row length n (values representable in float).</summary>
    private static IEnumerable<(string Name, double[] Row)> Rows(int n, double big, int seed)
    {
        var rng = new Random(seed);
        double[] Normal() => Enumerable.Range(0, n).Select(_ => Math.Round(rng.NextDouble() * 4 - 2, 3)).ToArray();
        yield return ("one huge, zeros", Enumerable.Range(0, n).Select(i => i == 0 ? big : 0).ToArray());
        yield return ("one huge last, zeros", Enumerable.Range(0, n).Select(i => i == n - 1 ? big : 0).ToArray());
        yield return ("±huge alternating", Enumerable.Range(0, n).Select(i => i % 2 == 0 ? big : -big).ToArray());
        yield return ("±huge random signs", Enumerable.Range(0, n).Select(_ => rng.Next(2) == 0 ? big : -big * rng.NextDouble()).ToArray());
        double[] spike = Normal();
        spike[n / 2] = big / 1e8;
        yield return ("one spike among N(0,1)", spike);
        double[] spikes = Normal();
        spikes[n / 3] = big;
        spikes[n - 1] = -big / 3;
        yield return ("two huge spikes among N(0,1)", spikes);
        yield return ("constant huge", Enumerable.Repeat(big, n).ToArray());
        yield return ("huge ramp", Enumerable.Range(0, n).Select(i => big * ((i + 1.0) / n)).ToArray());
    }

    private static double[] Gamma(int n) => Enumerable.Range(0, n).Select(i => 0.5 + (i % 7) * 0.25).ToArray();

    private static double[] Beta(int n) => Enumerable.Range(0, n).Select(i => (i % 5) * 0.125 - 0.25).ToArray();

    /// <summary>|y − ref| ≤ tol·(1 + |ref|), every y finite.</summary>
    private static void Near(string what, IReadOnlyList<double> actual, IReadOnlyList<double> expected, double tol)
    {
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(double.IsFinite(actual[i]), $"{what}: y[{i}] = {actual[i]} is not finite");
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tol * (1 + Math.Abs(expected[i])), $"{what}: y[{i}] = {actual[i]:R}, expected {expected[i]:R}");
        }
    }

    /// <summary>The issue's three rows through [LayerNorm(64)]: {1e21, 0, …}, ±3e38, one 1e30 spike.</summary>
    [Fact]
    public void IssueRowsThroughLayerNorm64()
    {
        const int n = 64;
        var rng = new Random(1);
        double[] spike = Enumerable.Range(0, n).Select(_ => (double)(float)(rng.NextDouble() * 2 - 1)).ToArray();
        spike[17] = 1e30;
        var rows = new (string, double[])[]
        {
            ("{1e21, 0, …}", Enumerable.Range(0, n).Select(i => i == 0 ? 1e21 : 0).ToArray()),
            ("±3e38", Enumerable.Range(0, n).Select(i => (i * 7 % 3 == 0 ? 3e38 : -3e38)).ToArray()),
            ("one 1e30 spike", spike),
        };
        double[] g = Gamma(n), b = Beta(n);
        foreach (var (name, row) in rows)
        {
            float[] x = row.Select(v => (float)v).ToArray(), y = new float[n];
            HugeKernels.Ln64(x, g.Select(v => (float)v).ToArray(), b.Select(v => (float)v).ToArray(), y);
            Near(name, y.Select(v => (double)v).ToArray(), LayerNorm(x.Select(v => (double)v).ToArray(), g, b, 1e-5f).Y, 2e-6);
        }
    }

    [Fact]
    public void FloatLayerNormAndStatistics()
    {
        foreach (int n in Lengths)
            foreach (double big in new[] { 1e20, 1e30, 3e38, float.MaxValue })
                foreach (var (name, row) in Rows(n, big, n))
                {
                    float[] x = row.Select(v => (float)v).ToArray();
                    double[] xd = x.Select(v => (double)v).ToArray(), g = Gamma(n), b = Beta(n);
                    float[] y = new float[n], mean = new float[1], rstd = new float[1];
                    HugeKernels.LnF(x, n, g.Select(v => (float)v).ToArray(), b.Select(v => (float)v).ToArray(), y, mean, rstd);
                    var e = LayerNorm(xd, g, b, 1e-5f);
                    string what = $"LnF n={n} {name} ({big:G3})";
                    Near(what, y.Select(v => (double)v).ToArray(), e.Y, 3e-6);
                    Assert.True(Math.Abs(mean[0] - e.Mean) <= 1e-6 * Math.Abs(xd.Max(Math.Abs)), $"{what}: mean {mean[0]:R} vs {e.Mean:R}");
                    Assert.True(Math.Abs(rstd[0] - e.Rstd) <= 1e-6 * e.Rstd + 1.5e-45, $"{what}: rstd {rstd[0]:R} vs {e.Rstd:R}");
                }
    }

    [Fact]
    public void DoubleLayerNorm()
    {
        foreach (int n in Lengths)
            foreach (double big in new[] { 1e160, 1e300, double.MaxValue })
                foreach (var (name, row) in Rows(n, big, n))
                {
                    double[] g = Gamma(n), b = Beta(n), y = new double[n], mean = new double[1], rstd = new double[1];
                    HugeKernels.LnD(row, n, g, b, y, mean, rstd);
                    var e = LayerNorm(row, g, b, 1e-5);
                    Near($"LnD n={n} {name} ({big:G3})", y, e.Y, 1e-13);
                }
    }

    [Fact]
    public void HalfLayerNormAtHalfMax()
    {
        foreach (int n in Lengths)
            foreach (var (name, row) in Rows(n, 65504, n))
            {
                Half[] x = row.Select(v => (Half)v).ToArray();
                double[] g = Gamma(n), b = Beta(n);
                var y = new Half[n];
                HugeKernels.LnH(x, n, g.Select(v => (Half)v).ToArray(), b.Select(v => (Half)v).ToArray(), y);
                Near($"LnH n={n} {name}", y.Select(v => (double)v).ToArray(), LayerNorm(x.Select(v => (double)v).ToArray(), g.Select(v => (double)(Half)v).ToArray(), b.Select(v => (double)(Half)v).ToArray(), 1e-5f).Y, 2e-3);
            }
    }

    [Fact]
    public void RmsNormFloatAndDouble()
    {
        foreach (int n in Lengths)
        {
            foreach (double big in new[] { 2e19, 1e30, 3e38 })
                foreach (var (name, row) in Rows(n, big, n))
                {
                    float[] x = row.Select(v => (float)v).ToArray();
                    double[] xd = x.Select(v => (double)v).ToArray(), g = Gamma(n);
                    float[] y = new float[n], rstd = new float[1];
                    HugeKernels.RmsF(x, n, g.Select(v => (float)v).ToArray(), y, rstd);
                    var e = RmsNorm(xd, g, 1.1920929e-07f);
                    Near($"RmsF n={n} {name} ({big:G3})", y.Select(v => (double)v).ToArray(), e.Y, 3e-6);
                    Assert.True(Math.Abs(rstd[0] - e.Rstd) <= 1e-6 * e.Rstd + 1.5e-45, $"RmsF n={n} {name}: rstd {rstd[0]:R} vs {e.Rstd:R}");
                }
            foreach (var (name, row) in Rows(n, 1e300, n))
            {
                double[] g = Gamma(n), y = new double[n];
                HugeKernels.RmsD(row, n, g, y);
                Near($"RmsD n={n} {name}", y, RmsNorm(row, g, Math.Pow(2, -52)).Y, 1e-13);
            }
        }
    }

    /// <summary>The residual stream is formed once (h = x + residual), then normalized scaled: residualOut holds h, y is LN(h); also in place.</summary>
    [Fact]
    public void ResidualRows()
    {
        foreach (int n in Lengths)
            foreach (var (name, row) in Rows(n, 3e38, n))
            {
                float[] half = row.Select(v => (float)(v / 2)).ToArray();
                double[] h = half.Select(v => (double)v + v).ToArray(), g = Gamma(n), b = Beta(n);
                float[] gf = g.Select(v => (float)v).ToArray(), bf = b.Select(v => (float)v).ToArray();
                float[] y = new float[n], residualOut = new float[n];
                HugeKernels.AddLnF(half, n, half, gf, bf, y, residualOut);
                Assert.Equal(h.Select(v => (float)v), residualOut);
                var e = LayerNorm(h, g, b, 1e-5f);
                Near($"AddLnF n={n} {name}", y.Select(v => (double)v).ToArray(), e.Y, 3e-6);

                float[] residual = (float[])half.Clone();
                HugeKernels.AddLnF(half, n, residual, gf, bf, y, residual); // residualOut is residual
                Assert.Equal(h.Select(v => (float)v), residual);
                Near($"AddLnF in place n={n} {name}", y.Select(v => (double)v).ToArray(), e.Y, 3e-6);
            }
    }

    /// <summary>Ordinary rows next to huge ones are bitwise what they are alone (the fallback is per row).</summary>
    [Fact]
    public void OtherRowsAreUntouched()
    {
        const int n = 100;
        var rng = new Random(3);
        float[] normal = Enumerable.Range(0, 3 * n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        float[] g = Gamma(n).Select(v => (float)v).ToArray(), b = Beta(n).Select(v => (float)v).ToArray();
        float[] alone = new float[3 * n], mixed = new float[3 * n];
        HugeKernels.LnF(normal, n, g, b, alone, new float[3], new float[3]);
        float[] x = (float[])normal.Clone();
        x[n + 5] = 3e38f;
        HugeKernels.LnF(x, n, g, b, mixed, new float[3], new float[3]);
        Assert.Equal(alone.Take(n), mixed.Take(n));
        Assert.Equal(alone.Skip(2 * n), mixed.Skip(2 * n));
        Assert.All(mixed.Skip(n).Take(n), v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>Non-finite rows keep their behaviour: NaN (also next to a huge value) gives NaN, ±∞ gives NaN for LayerNorm; RMSNorm with +∞ gives 0·γ except NaN at ∞.</summary>
    [Fact]
    public void NonFiniteRowsAsBefore()
    {
        const int n = 17;
        float[] g = Gamma(n).Select(v => (float)v).ToArray(), b = Beta(n).Select(v => (float)v).ToArray();
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            float[] x = Enumerable.Range(0, n).Select(i => i == 3 ? 3e38f : 1f * i).ToArray();
            x[9] = bad;
            float[] y = new float[n];
            HugeKernels.LnF(x, n, g, b, y, new float[1], new float[1]);
            Assert.All(y, v => Assert.True(float.IsNaN(v)));
        }
        float[] xr = Enumerable.Range(0, n).Select(i => 1f * i).ToArray();
        xr[4] = float.PositiveInfinity;
        float[] yr = new float[n];
        HugeKernels.RmsF(xr, n, g, yr, new float[1]);
        for (int i = 0; i < n; i++)
            Assert.True(i == 4 ? float.IsNaN(yr[i]) : yr[i] == 0, $"RMS +∞ row: y[{i}] = {yr[i]}");
    }
}
