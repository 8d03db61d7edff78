using System;
using System.Linq;
using ILGPU.Runtime;
using Xunit;

namespace NormGen.Gpu.Tests;

/// <summary>Row kernels for rows with huge finite values (warp per row for short rows, group per row for long ones).</summary>
public static partial class HugeGpuKernels
{
    [LayerNorm(SaveStatistics = true)]
    public static partial void Ln(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd, int length);

    [RmsNorm(SaveStatistics = true)]
    public static partial void Rms(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, Span<float> rstd, int length);

    [LayerNorm]
    public static partial void LnDouble(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y, int length);
}

/// <summary>
/// The GPU variants on rows whose squares or sums overflow (1e21 among zeros, ±3e38, a 1e30 spike, a constant 3e38 row;
/// 1e300 in double): finite results within float (double) accuracy of a double reference on the scaled row; ordinary
/// and NaN rows in the same launch keep their results.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class HugeRowGpuTests(CpuAcceleratorFixture fixture)
{
    private static double[][] Rows(int n, double big)
    {
        var rng = new Random(n);
        double[] spike = Enumerable.Range(0, n).Select(_ => (double)(float)(rng.NextDouble() * 2 - 1)).ToArray();
        spike[n / 2] = big / 1e8;
        return
        [
            Enumerable.Range(0, n).Select(i => i == 0 ? big : 0).ToArray(),
            Enumerable.Range(0, n).Select(i => i % 3 == 0 ? big : -big).ToArray(),
            spike,
            Enumerable.Repeat(big, n).ToArray(),
            Enumerable.Range(0, n).Select(i => (double)(float)(rng.NextDouble() * 2 - 1)).ToArray(), // ordinary
        ];
    }

    /// <summary>Returns y, mean and rstd of LayerNorm (rms: of RMSNorm) of x, in double on x/max|x|.</summary>
    private static (double[] Y, double Mean, double Rstd) Reference(double[] x, double[] g, double[]? b, double eps, bool rms)
    {
        double m = x.Max(Math.Abs);
        double[] s = x.Select(v => v / m).ToArray();
        double mean = rms ? 0 : s.Average();
        double second = s.Sum(v => (v - mean) * (v - mean)) / s.Length;
        double denominator = Math.Sqrt(second + eps / m / m);
        return (s.Select((v, i) => (denominator == 0 ? 0 : (v - mean) / denominator) * g[i] + (b?[i] ?? 0)).ToArray(), mean * m, 1 / denominator / m);
    }

    private static void Near(string what, double actual, double expected, double tol) =>
        Assert.True(double.IsFinite(actual) && Math.Abs(actual - expected) <= tol * (1 + Math.Abs(expected)), $"{what}: {actual:R} vs {expected:R}");

    [Theory]
    [InlineData(64), InlineData(5), InlineData(3000)]
    public void FloatLayerNormAndRmsNorm(int n)
    {
        Accelerator a = fixture.Accelerator;
        foreach (double big in new[] { 1e21, 3e38 })
        {
            double[][] rows = Rows(n, big);
            float[] x = rows.SelectMany(r => r.Select(v => (float)v)).ToArray();
            x[x.Length - 1] = float.NaN; // the last (ordinary) row becomes a NaN row: it stays NaN
            float[] g = Enumerable.Range(0, n).Select(i => 0.5f + i % 3).ToArray(), b = Enumerable.Range(0, n).Select(i => 0.25f * (i % 4)).ToArray();
            using var xb = Device.Upload(a, x);
            using var gb = Device.Upload(a, g);
            using var bb = Device.Upload(a, b);
            using var yb = a.Allocate1D<float>(x.Length);
            using var mb = a.Allocate1D<float>(rows.Length);
            using var rb = a.Allocate1D<float>(rows.Length);
            HugeGpuKernels.Ln(a, xb.View, gb.View, bb.View, yb.View, mb.View, rb.View, n);
            float[] y = Device.Download(a, yb), mean = Device.Download(a, mb), rstd = Device.Download(a, rb);
            for (int r = 0; r < rows.Length - 1; r++)
            {
                var e = Reference(rows[r].Select(v => (double)(float)v).ToArray(), g.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray(), 1e-5f, rms: false);
                for (int i = 0; i < n; i++) Near($"LN n={n} big={big} row {r} [{i}]", y[r * n + i], e.Y[i], 1e-5);
                Near($"LN mean row {r}", mean[r] / big, e.Mean / big, 1e-6);
                Assert.True(Math.Abs(rstd[r] - e.Rstd) <= 1e-5 * e.Rstd + 1.5e-45, $"LN rstd row {r}: {rstd[r]:R} vs {e.Rstd:R}");
            }
            Assert.All(y.Skip((rows.Length - 1) * n), v => Assert.True(float.IsNaN(v)));

            HugeGpuKernels.Rms(a, xb.View, gb.View, yb.View, rb.View, n);
            y = Device.Download(a, yb);
            rstd = Device.Download(a, rb);
            for (int r = 0; r < rows.Length - 1; r++)
            {
                var e = Reference(rows[r].Select(v => (double)(float)v).ToArray(), g.Select(v => (double)v).ToArray(), null, 1.1920929e-07f, rms: true);
                for (int i = 0; i < n; i++) Near($"RMS n={n} big={big} row {r} [{i}]", y[r * n + i], e.Y[i], 1e-5);
                Assert.True(Math.Abs(rstd[r] - e.Rstd) <= 1e-5 * e.Rstd + 1.5e-45, $"RMS rstd row {r}: {rstd[r]:R} vs {e.Rstd:R}");
            }
        }
    }

    [Theory]
    [InlineData(7), InlineData(3000)]
    public void DoubleLayerNorm(int n)
    {
        Accelerator a = fixture.Accelerator;
        double[][] rows = Rows(n, 1e300);
        double[] x = rows.SelectMany(r => r).ToArray();
        double[] g = Enumerable.Range(0, n).Select(i => 0.5 + i % 3).ToArray(), b = Enumerable.Range(0, n).Select(i => 0.25 * (i % 4)).ToArray();
        using var xb = Device.Upload(a, x);
        using var gb = Device.Upload(a, g);
        using var bb = Device.Upload(a, b);
        using var yb = a.Allocate1D<double>(x.Length);
        HugeGpuKernels.LnDouble(a, xb.View, gb.View, bb.View, yb.View, n);
        double[] y = Device.Download(a, yb);
        for (int r = 0; r < rows.Length; r++)
        {
            var e = Reference(rows[r], g, b, 1e-5, rms: false);
            for (int i = 0; i < n; i++) Near($"LN double n={n} row {r} [{i}]", y[r * n + i], e.Y[i], 1e-13);
        }
    }
}
