using System;
using System.Linq;
using Xunit;
using Xunit.Abstractions;
using static NormGen.Tests.BackwardReference;

namespace NormGen.Tests;

/// <summary>Pre-norm residual with a residual bias: forward h = x + residual + bias → norm; backward dh = dx + dResidualOut, dbias = Σ dh.</summary>
public static partial class GradResidualBias
{
    [LayerNorm(768, Residual = true, ResidualBias = true, SaveStatistics = true)]
    public static partial void Ln(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut, Span<float> mean, Span<float> rstd);

    [LayerNorm(768, Residual = true, ResidualBias = true, Backward = true)]
    public static partial void LnBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dh, Span<float> dgamma, Span<float> dbeta, Span<float> dbias);

    [LayerNorm(768, Residual = true, ResidualBias = true, Backward = true)]
    public static partial void LnBackwardRecomputed(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, Span<float> dh, Span<float> dgamma, Span<float> dbeta, Span<float> dbias);

    [RmsNorm(Residual = true, ResidualBias = true, Backward = true)]
    public static partial void RmsBackwardDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> dResidualOut, ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> rstd, ReadOnlySpan<double> weight, Span<double> dh, Span<double> dweight, Span<double> dbias);

    [RmsNorm(64, Residual = true, ResidualBias = true, Backward = true)]
    public static partial void RmsBackwardHalf(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> dResidualOut, ReadOnlySpan<Half> x, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> weight, Span<Half> dh, Span<float> dweight, Span<float> dbias);
}

public class ResidualBiasBackwardTests(ITestOutputHelper output)
{
    /// <summary>dh (reference) with the column sums Σ dh as dbias.</summary>
    private static (double[] Dh, double[] DBias) ReferenceDh(double[] dx, double[] dro, int n)
    {
        double[] dh = dx.Select((v, i) => v + dro[i]).ToArray();
        var dbias = new double[n];
        for (int i = 0; i < dh.Length; i++) dbias[i % n] += dh[i];
        return (dh, dbias);
    }

    /// <summary>The reference's dbias = Σ dh is d(Σ dy·LN(x + r + b) + Σ dResidualOut·(x + r + b))/db, by central differences.</summary>
    [Fact]
    public void Reference_dbias_AgreesWithCentralFiniteDifferences()
    {
        const int n = 6, rows = 4;
        var rng = new Random(31);
        double[] x = ToDouble(BackwardData.Normal(rng, rows * n, 1, 1)), r = ToDouble(BackwardData.Normal(rng, rows * n, -1, 1)), bias = ToDouble(BackwardData.Normal(rng, n, 0, 1));
        double[] dy = ToDouble(BackwardData.Normal(rng, rows * n, 0, 1)), dro = ToDouble(BackwardData.Normal(rng, rows * n, 0, 1)), g = ToDouble(BackwardData.Normal(rng, n, 1, 0.5));
        double[] H() => x.Select((v, i) => v + r[i] + bias[i % n]).ToArray();
        double Loss()
        {
            double[] h = H();
            double[] y = Forward(true, 1e-5, h, g, g, false, n, out _, out _);
            return y.Select((v, i) => v * dy[i] + h[i] * dro[i]).Sum();
        }
        double[] hh = H();
        Forward(true, 1e-5, hh, g, g, false, n, out double[] mean, out double[] rstd);
        var (_, dbias) = ReferenceDh(Backward(true, dy, hh, mean, rstd, g, false, n).Dx, dro, n);
        for (int j = 0; j < n; j++)
        {
            double keep = bias[j];
            bias[j] = keep + 1e-6; double plus = Loss();
            bias[j] = keep - 1e-6; double minus = Loss();
            bias[j] = keep;
            Assert.Equal(dbias[j], (plus - minus) / 2e-6, 6);
        }
    }

    [Fact]
    public void LayerNorm_ResidualBias_Float_Within1e5_Recomputed_Bitwise_InPlace()
    {
        const int n = 768, rows = 2000;
        var rng = new Random(32);
        float[] x = BackwardData.Rows(rng, rows, n, 1e3), res = BackwardData.Normal(rng, rows * n, 0, 1), bias = BackwardData.Normal(rng, n, 0.5, 1);
        float[] g = BackwardData.Normal(rng, n, 1, 0.5), b = BackwardData.Normal(rng, n, 0, 0.5);
        float[] h = new float[rows * n], mean = new float[rows], rstd = new float[rows];
        GradResidualBias.Ln(x, res, bias, g, b, new float[rows * n], h, mean, rstd);
        float[] dy = BackwardData.Normal(rng, rows * n, 0.1, 1), dro = BackwardData.Normal(rng, rows * n, 0.2, 1);
        float[] dh = new float[rows * n], dg = new float[n], db = new float[n], dbias = new float[n];
        GradResidualBias.LnBackward(dy, dro, h, mean, rstd, g, dh, dg, db, dbias);
        var (rdx, rdg, rdb) = Backward(true, ToDouble(dy), ToDouble(h), ToDouble(mean), ToDouble(rstd), ToDouble(g), false, n);
        var (rdh, rdbias) = ReferenceDh(rdx, ToDouble(dro), n);
        double eh = RelativeToMax(ToDouble(dh), rdh), eg = RelativeToMax(ToDouble(dg), rdg), eb = RelativeToMax(ToDouble(db), rdb), ebias = RelativeToMax(ToDouble(dbias), rdbias);
        output.WriteLine($"LnResidualBiasBackward 2000x768: dh {eh:E2}, dgamma {eg:E2}, dbeta {eb:E2}, dbias {ebias:E2}");
        Assert.True(eh <= 1e-5 && eg <= 1e-5 && eb <= 1e-5 && ebias <= 1e-5, $"dh {eh:E2}, dgamma {eg:E2}, dbeta {eb:E2}, dbias {ebias:E2}");

        // Statistics recomputed from h: bitwise the same as with the saved ones.
        float[] dh2 = new float[rows * n], dg2 = new float[n], db2 = new float[n], dbias2 = new float[n];
        GradResidualBias.LnBackwardRecomputed(dy, dro, h, g, dh2, dg2, db2, dbias2);
        Assert.Equal(dh, dh2);
        Assert.Equal(dg, dg2);
        Assert.Equal(db, db2);
        Assert.Equal(dbias, dbias2);

        // dh over dy (in place).
        float[] inPlace = (float[])dy.Clone();
        GradResidualBias.LnBackward(inPlace, dro, h, mean, rstd, g, inPlace, dg2, db2, dbias2);
        Assert.Equal(dh, inPlace);
        Assert.Equal(dbias, dbias2);
    }

    [Fact]
    public void RmsNorm_ResidualBias_Double_Within1e12_And_Half()
    {
        const int n = 300, rows = 130;
        var rng = new Random(33);
        double[] h = ToDouble(BackwardData.Normal(rng, rows * n, 0.5, 2)), w = ToDouble(BackwardData.Normal(rng, n, 1, 0.5));
        double[] rstd = Enumerable.Range(0, rows).Select(r => 1 / Math.Sqrt(h.Skip(r * n).Take(n).Select(v => v * v).Average() + 2.220446049250313e-16)).ToArray();
        double[] dy = ToDouble(BackwardData.Normal(rng, rows * n, 0.1, 1)), dro = ToDouble(BackwardData.Normal(rng, rows * n, 0, 1));
        double[] dh = new double[rows * n], dw = new double[n], dbias = new double[n];
        GradResidualBias.RmsBackwardDouble(dy, dro, h, n, rstd, w, dh, dw, dbias);
        var (rdx, rdw, _) = Backward(false, dy, h, null, rstd, w, false, n);
        var (rdh, rdbias) = ReferenceDh(rdx, dro, n);
        double eh = RelativeToMax(dh, rdh), ew = RelativeToMax(dw, rdw), ebias = RelativeToMax(dbias, rdbias);
        output.WriteLine($"RmsResidualBiasBackward double 130x300: dh {eh:E2}, dweight {ew:E2}, dbias {ebias:E2}");
        Assert.True(eh <= 1e-12 && ew <= 1e-12 && ebias <= 1e-12, $"dh {eh:E2}, dweight {ew:E2}, dbias {ebias:E2}");

        const int nh = 64, rowsH = 500;
        Half[] hh = BackwardData.Normal(rng, rowsH * nh, 0, 2).Select(v => (Half)v).ToArray(), dyh = BackwardData.Normal(rng, rowsH * nh, 0, 1).Select(v => (Half)v).ToArray();
        Half[] droh = BackwardData.Normal(rng, rowsH * nh, 0, 1).Select(v => (Half)v).ToArray(), wh = BackwardData.Normal(rng, nh, 1, 0.5).Select(v => (Half)v).ToArray();
        double[] hd = ToDouble(hh);
        float[] rstdH = Enumerable.Range(0, rowsH).Select(r => (float)(1 / Math.Sqrt(hd.Skip(r * nh).Take(nh).Select(v => v * v).Average() + 1e-6))).ToArray();
        Half[] dhh = new Half[rowsH * nh];
        float[] dwh = new float[nh], dbiasH = new float[nh];
        GradResidualBias.RmsBackwardHalf(dyh, droh, hh, rstdH, wh, dhh, dwh, dbiasH);
        var (rdxH, rdwH, _) = Backward(false, ToDouble(dyh), hd, null, ToDouble(rstdH), ToDouble(wh), false, nh);
        var (rdhH, rdbiasH) = ReferenceDh(rdxH, ToDouble(droh), nh);
        double ehH = RelativeToMax(ToDouble(dhh), rdhH), ewH = RelativeToMax(ToDouble(dwh), rdwH), ebH = RelativeToMax(ToDouble(dbiasH), rdbiasH);
        output.WriteLine($"RmsResidualBiasBackward Half 500x64: dh {ehH:E2} (one Half rounding), dweight {ewH:E2}, dbias {ebH:E2} (float, from dh before rounding)");
        Assert.True(ehH <= 1e-3 && ewH <= 1e-5 && ebH <= 1e-5, $"dh {ehH:E2}, dweight {ewH:E2}, dbias {ebH:E2}");
    }

    [Fact]
    public void WrongLengths_And_Overlaps_ThrowNamingTheParameter_NothingWritten()
    {
        const int n = 768, rows = 3;
        float[] h = new float[rows * n], dy = new float[rows * n], dro = new float[rows * n], g = new float[n], mean = new float[rows], rstd = new float[rows];
        void Check(string param, Action<float[], float[]> call)
        {
            float[] dh = Enumerable.Repeat(42f, rows * n + 1).ToArray(), grads = Enumerable.Repeat(42f, 3 * n + 1).ToArray();
            Assert.Equal(param, Assert.ThrowsAny<ArgumentException>(() => call(dh, grads)).ParamName);
            Assert.All(dh, v => Assert.Equal(42f, v));
            Assert.All(grads, v => Assert.Equal(42f, v));
        }
        Check("dbias", (dh, gr) => GradResidualBias.LnBackward(dy, dro, h, mean, rstd, g, dh.AsSpan(1), gr.AsSpan(0, n), gr.AsSpan(n, n), gr.AsSpan(2 * n, n + 1)));
        Check("dbias", (dh, gr) => GradResidualBias.LnBackward(dy, dro, h, mean, rstd, g, dh.AsSpan(1), gr.AsSpan(0, n), gr.AsSpan(n, n), gr.AsSpan(n - 1, n)));
        Check("dbias", (dh, gr) => GradResidualBias.LnBackward(dy, dro, h, mean, rstd, g, dh.AsSpan(1), gr.AsSpan(0, n), gr.AsSpan(n, n), dh.AsSpan(0, n)));
        Check("dResidualOut", (dh, gr) => GradResidualBias.LnBackwardRecomputed(dy, dro.AsSpan(1), h, g, dh.AsSpan(1), gr.AsSpan(0, n), gr.AsSpan(n, n), gr.AsSpan(2 * n, n)));
        Check("dh", (dh, gr) => GradResidualBias.LnBackwardRecomputed(dy, dh.AsSpan(0, rows * n), h, g, dh.AsSpan(0, rows * n), gr.AsSpan(0, n), gr.AsSpan(n, n), gr.AsSpan(2 * n, n)));
    }
}

/// <summary>dbias, like dγ and dβ, is bitwise the same whatever the thread count.</summary>
[Collection(SettingsCollection.Name)]
public class ResidualBiasDeterminismTests
{
    [Fact]
    public void BitwiseIdentical_For1_2_7_AllThreads()
    {
        const int n = 768, rows = 1000;
        var rng = new Random(34);
        float[] h = BackwardData.Rows(rng, rows, n, 100), dy = BackwardData.Normal(rng, rows * n, 0.1, 1), dro = BackwardData.Normal(rng, rows * n, 0, 1), g = BackwardData.Normal(rng, n, 1, 0.5);
        var results = new[] { 1, 2, 7, -1 }.Select(threads =>
        {
            using var scope = new SettingsScope(threads, 1);
            float[] dh = new float[h.Length], dg = new float[n], db = new float[n], dbias = new float[n];
            GradResidualBias.LnBackwardRecomputed(dy, dro, h, g, dh, dg, db, dbias);
            return (dh, dg, db, dbias);
        }).ToList();
        foreach (var r in results.Skip(1))
        {
            Assert.Equal(results[0].dh, r.dh);
            Assert.Equal(results[0].dg, r.dg);
            Assert.Equal(results[0].db, r.db);
            Assert.Equal(results[0].dbias, r.dbias);
        }
    }
}
