using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;
using Xunit.Abstractions;
using static NormGen.Tests.BackwardReference;

namespace NormGen.Tests;

/// <summary>DeepNorm: forward y = LN(h)·γ + β with h = α·x + sublayer (+ bias); backward dsublayer = dh, dx = α·dh (dbias = Σ dh).</summary>
public static partial class GradDeepNorm
{
    [DeepNorm(768, Architecture = DeepNetArchitecture.EncoderOnly, Layers = 24, SaveStatistics = true)]
    public static partial void Dn(ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd);

    [DeepNorm(768, Architecture = DeepNetArchitecture.EncoderOnly, Layers = 24, Backward = true)]
    public static partial void DnBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dsublayer, Span<float> dgamma, Span<float> dbeta);

    [DeepNorm(768, Architecture = DeepNetArchitecture.EncoderOnly, Layers = 24, Backward = true)]
    public static partial void DnBackwardRecomputed(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dsublayer, Span<float> dgamma, Span<float> dbeta);

    [DeepNorm(Alpha = 2.5f, ResidualBias = true, SaveStatistics = true)]
    public static partial void DnBiasDouble(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> sublayer, ReadOnlySpan<double> bias, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y, Span<double> mean, Span<double> rstd);

    [DeepNorm(Alpha = 2.5f, ResidualBias = true, Backward = true)]
    public static partial void DnBiasBackwardDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> sublayer, ReadOnlySpan<double> bias, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, Span<double> dx, Span<double> dsublayer, Span<double> dgamma, Span<double> dbeta, Span<double> dbias);

    [DeepNorm(96, Alpha = 1.5f, Backward = true)]
    public static partial void DnBackwardHalf(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, ReadOnlySpan<Half> sublayer, ReadOnlySpan<Half> gamma, Span<Half> dx, Span<Half> dsublayer, Span<float> dgamma, Span<float> dbeta);

    [DeepNorm(Alpha = 2.5f, Axes = 2, Backward = true)]
    public static partial void DnBackwardTensor(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlyTensorSpan<float> sublayer, ReadOnlySpan<float> gamma, TensorSpan<float> dx, TensorSpan<float> dsublayer, Span<float> dgamma, Span<float> dbeta);

    [DeepNorm(Alpha = 2.5f, Backward = true)]
    public static partial void DnBackwardFlat(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dsublayer, Span<float> dgamma, Span<float> dbeta);
}

public class DeepNormBackwardTests(ITestOutputHelper output)
{
    /// <summary>The reference DeepNorm backward: h from x, sublayer and bias, its statistics, LN backward for dh, dx = α·dh, dsublayer = dh, dbias = Σ dh.</summary>
    private static (double[] Dx, double[] Dsub, double[] Dg, double[] Db, double[] Dbias) Reference(double alpha, double[] dy, double[] x, double[] sub, double[]? bias,
        double[] g, double eps, int n, double[]? mean = null, double[]? rstd = null)
    {
        double[] h = x.Select((v, i) => alpha * v + sub[i] + (bias is null ? 0 : bias[i % n])).ToArray();
        if (rstd is null) Forward(true, eps, h, null, null, false, n, out mean, out rstd);
        var (dh, dg, db) = Backward(true, dy, h, mean, rstd, g, false, n);
        var dbias = new double[n];
        for (int i = 0; i < dh.Length; i++) dbias[i % n] += dh[i];
        return (dh.Select(v => alpha * v).ToArray(), dh, dg, db, dbias);
    }

    [Fact]
    public void Reference_AgreesWithCentralFiniteDifferences()
    {
        const int n = 7, rows = 3;
        const double alpha = 1.7;
        var rng = new Random(41);
        double[] x = ToDouble(BackwardData.Normal(rng, rows * n, 1, 1)), s = ToDouble(BackwardData.Normal(rng, rows * n, -1, 1)), bias = ToDouble(BackwardData.Normal(rng, n, 0, 1));
        double[] dy = ToDouble(BackwardData.Normal(rng, rows * n, 0, 1)), g = ToDouble(BackwardData.Normal(rng, n, 1, 0.5)), b = ToDouble(BackwardData.Normal(rng, n, 0, 0.5));
        double Loss()
        {
            double[] h = x.Select((v, i) => alpha * v + s[i] + bias[i % n]).ToArray();
            return Forward(true, 1e-5, h, g, b, false, n, out _, out _).Select((v, i) => v * dy[i]).Sum();
        }
        double Fd(double[] v, int i)
        {
            double keep = v[i];
            v[i] = keep + 1e-6; double plus = Loss();
            v[i] = keep - 1e-6; double minus = Loss();
            v[i] = keep;
            return (plus - minus) / 2e-6;
        }
        var r = Reference(alpha, dy, x, s, bias, g, 1e-5, n);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(r.Dx[i], Fd(x, i), 6);
            Assert.Equal(r.Dsub[i], Fd(s, i), 6);
        }
        for (int j = 0; j < n; j++)
        {
            Assert.Equal(r.Dbias[j], Fd(bias, j), 6);
            Assert.Equal(r.Dg[j], Fd(g, j), 6);
        }
    }

    [Fact]
    public void Float_Within1e5_RecomputedBitwise_InPlace()
    {
        const int n = 768, rows = 300;
        double alpha = (float)DeepNet.Alpha(DeepNetArchitecture.EncoderOnly, 24);
        var rng = new Random(42);
        float[] x = BackwardData.Rows(rng, rows, n, 100), s = BackwardData.Normal(rng, rows * n, 0, 2), g = BackwardData.Normal(rng, n, 1, 0.5), b = BackwardData.Normal(rng, n, 0, 0.5);
        float[] mean = new float[rows], rstd = new float[rows];
        GradDeepNorm.Dn(x, s, g, b, new float[x.Length], mean, rstd);
        float[] dy = BackwardData.Normal(rng, rows * n, 0.1, 1);
        float[] dx = new float[x.Length], ds = new float[x.Length], dg = new float[n], db = new float[n];
        GradDeepNorm.DnBackward(dy, x, s, mean, rstd, g, dx, ds, dg, db);
        // h as the kernel forms it (float), statistics as saved: the arithmetic of the backward alone.
        double[] hFloat = x.Select((v, i) => (double)((float)alpha * v + s[i])).ToArray();
        var (rdh, rdg, rdb) = Backward(true, ToDouble(dy), hFloat, ToDouble(mean), ToDouble(rstd), ToDouble(g), false, n);
        double ex = RelativeToMax(ToDouble(dx), rdh.Select(v => alpha * v).ToArray()), es = RelativeToMax(ToDouble(ds), rdh);
        double eg = RelativeToMax(ToDouble(dg), rdg), eb = RelativeToMax(ToDouble(db), rdb);
        output.WriteLine($"DeepNormBackward 300x768 (α = {alpha:R}): dx {ex:E2}, dsublayer {es:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-5 && es <= 1e-5 && eg <= 1e-5 && eb <= 1e-5, $"dx {ex:E2}, dsublayer {es:E2}, dgamma {eg:E2}, dbeta {eb:E2}");

        // Against the full double reference (h and statistics in double).
        var full = Reference(alpha, ToDouble(dy), ToDouble(x), ToDouble(s), null, ToDouble(g), 1e-5, n);
        double fx = RelativeToMax(ToDouble(dx), full.Dx), fs = RelativeToMax(ToDouble(ds), full.Dsub);
        output.WriteLine($"  vs the full double reference: dx {fx:E2}, dsublayer {fs:E2}");
        Assert.True(fx <= 1e-5 && fs <= 1e-5, $"dx {fx:E2}, dsublayer {fs:E2}");

        // Statistics recomputed: bitwise those saved by the forward.
        float[] dx2 = new float[x.Length], ds2 = new float[x.Length], dg2 = new float[n], db2 = new float[n];
        GradDeepNorm.DnBackwardRecomputed(dy, x, s, g, dx2, ds2, dg2, db2);
        Assert.Equal(dx, dx2);
        Assert.Equal(ds, ds2);
        Assert.Equal(dg, dg2);
        Assert.Equal(db, db2);

        // In place: dx over x and dsublayer over sublayer; dx over dy.
        float[] xi = (float[])x.Clone(), si = (float[])s.Clone();
        GradDeepNorm.DnBackward(dy, xi, si, mean, rstd, g, xi, si, dg2, db2);
        Assert.Equal(dx, xi);
        Assert.Equal(ds, si);
        float[] dyi = (float[])dy.Clone();
        GradDeepNorm.DnBackwardRecomputed(dyi, x, s, g, dyi, ds2, dg2, db2);
        Assert.Equal(dx, dyi);
    }

    [Fact]
    public void Double_ResidualBias_Within1e12()
    {
        const int n = 257, rows = 140;
        var rng = new Random(43);
        double[] x = ToDouble(BackwardData.Rows(rng, rows, n, 1e3)), s = ToDouble(BackwardData.Normal(rng, rows * n, 0, 2)), bias = ToDouble(BackwardData.Normal(rng, n, 0.5, 1));
        double[] g = ToDouble(BackwardData.Normal(rng, n, 1, 0.5)), b = ToDouble(BackwardData.Normal(rng, n, 0, 0.5)), dy = ToDouble(BackwardData.Normal(rng, rows * n, 0.1, 1));
        double[] mean = new double[rows], rstd = new double[rows];
        GradDeepNorm.DnBiasDouble(x, n, s, bias, g, b, new double[x.Length], mean, rstd);
        double[] dx = new double[x.Length], ds = new double[x.Length], dg = new double[n], db = new double[n], dbias = new double[n];
        GradDeepNorm.DnBiasBackwardDouble(dy, x, n, s, bias, mean, rstd, g, dx, ds, dg, db, dbias);
        var r = Reference(2.5, dy, x, s, bias, g, 1e-5, n);
        double ex = RelativeToMax(dx, r.Dx), es = RelativeToMax(ds, r.Dsub), eg = RelativeToMax(dg, r.Dg), eb = RelativeToMax(db, r.Db), ebias = RelativeToMax(dbias, r.Dbias);
        output.WriteLine($"DeepNorm+bias double 140x257: dx {ex:E2}, dsublayer {es:E2}, dgamma {eg:E2}, dbeta {eb:E2}, dbias {ebias:E2}");
        Assert.True(ex <= 1e-12 && es <= 1e-12 && eg <= 1e-12 && eb <= 1e-12 && ebias <= 1e-12, $"dx {ex:E2}, dsublayer {es:E2}, dgamma {eg:E2}, dbeta {eb:E2}, dbias {ebias:E2}");
    }

    [Fact]
    public void Half_And_Tensor_And_Checks()
    {
        const int n = 96, rows = 400;
        var rng = new Random(44);
        Half[] x = BackwardData.Rows(rng, rows, n, 5).Select(v => (Half)v).ToArray(), s = BackwardData.Normal(rng, rows * n, 0, 1).Select(v => (Half)v).ToArray();
        Half[] dy = BackwardData.Normal(rng, rows * n, 0, 1).Select(v => (Half)v).ToArray(), g = BackwardData.Normal(rng, n, 1, 0.5).Select(v => (Half)v).ToArray();
        Half[] dx = new Half[x.Length], ds = new Half[x.Length];
        float[] dg = new float[n], db = new float[n];
        GradDeepNorm.DnBackwardHalf(dy, x, s, g, dx, ds, dg, db);
        var r = Reference(1.5, ToDouble(dy), ToDouble(x), ToDouble(s), null, ToDouble(g), 1e-5, n);
        double ex = RelativeToMax(ToDouble(dx), r.Dx), es = RelativeToMax(ToDouble(ds), r.Dsub), eg = RelativeToMax(ToDouble(dg), r.Dg), eb = RelativeToMax(ToDouble(db), r.Db);
        output.WriteLine($"DeepNorm Half 400x96 (statistics recomputed): dx {ex:E2}, dsublayer {es:E2} (one Half rounding), dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-3 && es <= 1e-3 && eg <= 1e-5 && eb <= 1e-5, $"dx {ex:E2}, dsublayer {es:E2}, dgamma {eg:E2}, dbeta {eb:E2}");

        // Tensor spans: the same numbers as the flat form.
        const int nt = 60, rowsT = 20;
        float[] xt = BackwardData.Rows(rng, rowsT, nt, 3), st = BackwardData.Normal(rng, rowsT * nt, 0, 1), dyt = BackwardData.Normal(rng, rowsT * nt, 0, 1), gt = BackwardData.Normal(rng, nt, 1, 0.5);
        float[] dxf = new float[xt.Length], dsf = new float[xt.Length], dgf = new float[nt], dbf = new float[nt];
        float[] dxT = new float[xt.Length], dsT = new float[xt.Length], dgT = new float[nt], dbT = new float[nt];
        GradDeepNorm.DnBackwardFlat(dyt, xt, nt, st, gt, dxf, dsf, dgf, dbf);
        GradDeepNorm.DnBackwardTensor(new ReadOnlyTensorSpan<float>(dyt, [rowsT, 6, 10]), new ReadOnlyTensorSpan<float>(xt, [rowsT, 6, 10]), new ReadOnlyTensorSpan<float>(st, [rowsT, 6, 10]), gt,
            new TensorSpan<float>(dxT, [rowsT, 6, 10]), new TensorSpan<float>(dsT, [rowsT, 6, 10]), dgT, dbT);
        Assert.Equal(dxf, dxT);
        Assert.Equal(dsf, dsT);
        Assert.Equal(dgf, dgT);
        Assert.Equal(dbf, dbT);

        // Wrong lengths and overlaps name the parameter; nothing is written.
        void Check(string param, Action<float[]> call)
        {
            float[] o = Enumerable.Repeat(42f, 3 * rowsT * nt + 2 * nt).ToArray();
            Assert.Equal(param, Assert.ThrowsAny<ArgumentException>(() => call(o)).ParamName);
            Assert.All(o, v => Assert.Equal(42f, v));
        }
        int len = rowsT * nt;
        Check("sublayer", o => GradDeepNorm.DnBackwardFlat(dyt, xt, nt, st.AsSpan(1), gt, o.AsSpan(0, len), o.AsSpan(len, len), o.AsSpan(2 * len, nt), o.AsSpan(2 * len + nt, nt)));
        Check("dsublayer", o => GradDeepNorm.DnBackwardFlat(dyt, xt, nt, st, gt, o.AsSpan(0, len), o.AsSpan(len, len - 1), o.AsSpan(2 * len, nt), o.AsSpan(2 * len + nt, nt)));
        Check("dsublayer", o => GradDeepNorm.DnBackwardFlat(dyt, xt, nt, st, gt, o.AsSpan(0, len), o.AsSpan(5, len), o.AsSpan(2 * len, nt), o.AsSpan(2 * len + nt, nt)));
    }
}

/// <summary>DeepNorm's dx, dsublayer, dγ and dβ are bitwise the same whatever the thread count.</summary>
[Collection(SettingsCollection.Name)]
public class DeepNormBackwardDeterminismTests
{
    [Fact]
    public void BitwiseIdentical_For1_2_7_AllThreads()
    {
        const int n = 768, rows = 700;
        var rng = new Random(45);
        float[] x = BackwardData.Rows(rng, rows, n, 100), s = BackwardData.Normal(rng, rows * n, 0, 1), dy = BackwardData.Normal(rng, rows * n, 0.1, 1), g = BackwardData.Normal(rng, n, 1, 0.5);
        var results = new[] { 1, 2, 7, -1 }.Select(threads =>
        {
            using var scope = new SettingsScope(threads, 1);
            float[] dx = new float[x.Length], ds = new float[x.Length], dg = new float[n], db = new float[n];
            GradDeepNorm.DnBackwardRecomputed(dy, x, s, g, dx, ds, dg, db);
            return (dx, ds, dg, db);
        }).ToList();
        foreach (var r in results.Skip(1))
        {
            Assert.Equal(results[0].dx, r.dx);
            Assert.Equal(results[0].ds, r.ds);
            Assert.Equal(results[0].dg, r.dg);
            Assert.Equal(results[0].db, r.db);
        }
    }
}
