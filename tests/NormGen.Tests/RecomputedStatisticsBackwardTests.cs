using System;
using System.Linq;
using Xunit;
using Xunit.Abstractions;
using static NormGen.Tests.BackwardReference;

namespace NormGen.Tests;

/// <summary>Backward declarations without mean/rstd: the kernel recomputes the statistics from x (issue 9, fused backward).</summary>
public static partial class GradRecompute
{
    [LayerNorm(768, Backward = true)]
    public static partial void LnBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [RmsNorm(4096, Backward = true)]
    public static partial void RmsBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> dx, Span<float> dweight);

    [LayerNorm(Backward = true)]
    public static partial void LnBackwardDynAffine(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(Affine = Affine.None, Backward = true)]
    public static partial void LnBackwardDyn(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, Span<float> dx);

    [RmsNorm(Backward = true, ZeroCenteredGamma = true)]
    public static partial void RmsZcBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> weight, Span<float> dx, Span<float> dweight);

    [LayerNorm(1000, Backward = true)]
    public static partial void LnBackwardDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, Span<double> dx, Span<double> dgamma, Span<double> dbeta);

    [RmsNorm(Backward = true)]
    public static partial void RmsBackwardDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> weight, Span<double> dx, Span<double> dweight);

    [LayerNorm(96, Backward = true)]
    public static partial void LnHalfBackward(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, ReadOnlySpan<Half> gamma, Span<Half> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(64, Epsilon = 0.25f, Backward = true)]
    public static partial void LnBackwardBigEpsilon(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);
}

public class RecomputedStatisticsBackwardTests(ITestOutputHelper output)
{
    /// <summary>Rows that exercise every branch of the forward's statistics: ordinary rows, a trend (the exact second pass), huge values (the scaled redo).</summary>
    private static float[] HardRows(Random rng, int rows, int n, double maxMean)
    {
        float[] x = BackwardData.Rows(rng, rows, n, maxMean);
        if (rows > 2)
        {
            for (int i = 0; i < n; i++) x[1 * n + i] = 1000f + 3f * i;          // a trend along the row: the shift misses the mean
            for (int i = 0; i < n; i++) x[2 * n + i] = i % 7 == 0 ? 3e19f : (float)BackwardData.Gaussian(rng); // squares overflow float
        }
        return x;
    }

    [Fact]
    public void LayerNorm768_RecomputedStatistics_BitwiseTheSavedOnes()
    {
        const int n = 768, rows = 150;
        var rng = new Random(21);
        float[] x = HardRows(rng, rows, n, 1e4), dy = BackwardData.Normal(rng, rows * n, 0.1, 1), g = BackwardData.Normal(rng, n, 1, 0.5), b = BackwardData.Normal(rng, n, 0, 0.5);
        float[] mean = new float[rows], rstd = new float[rows];
        Grad.Ln(x, g, b, new float[x.Length], mean, rstd);
        float[] dx = new float[x.Length], dg = new float[n], db = new float[n], dx2 = new float[x.Length], dg2 = new float[n], db2 = new float[n];
        Grad.LnBackward(dy, x, mean, rstd, g, dx, dg, db);
        GradRecompute.LnBackward(dy, x, g, dx2, dg2, db2);
        Assert.Equal(dx, dx2);
        Assert.Equal(dg, dg2);
        Assert.Equal(db, db2);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]    // shorter than a vector: the forward's double scalar path
    [InlineData(12)]
    [InlineData(37)]   // a masked tail
    [InlineData(333)]
    [InlineData(1027)]
    public void Dynamic_RecomputedStatistics_BitwiseTheSavedOnes(int n)
    {
        const int rows = 70;
        var rng = new Random(100 + n);
        float[] x = HardRows(rng, rows, n, 1e3), dy = BackwardData.Normal(rng, rows * n, 0, 1), g = BackwardData.Normal(rng, n, 1, 0.5), b = BackwardData.Normal(rng, n, 0, 0.5);
        float[] mean = new float[rows], rstd = new float[rows];
        Grad.LnDynAffine(x, n, g, b, new float[x.Length], mean, rstd);
        float[] dx = new float[x.Length], dg = new float[n], db = new float[n], dx2 = new float[x.Length], dg2 = new float[n], db2 = new float[n];
        Grad.LnBackwardDynAffine(dy, x, n, mean, rstd, g, dx, dg, db);
        GradRecompute.LnBackwardDynAffine(dy, x, n, g, dx2, dg2, db2);
        Assert.Equal(dx, dx2);
        Assert.Equal(dg, dg2);
        Assert.Equal(db, db2);

        float[] w = BackwardData.Normal(rng, n, 0, 0.3), dw = new float[n], dw2 = new float[n];
        Grad.RmsZc(x, n, w, new float[x.Length], rstd);
        Grad.RmsZcBackward(dy, x, n, rstd, w, dx, dw);
        GradRecompute.RmsZcBackward(dy, x, n, w, dx2, dw2);
        Assert.Equal(dx, dx2);
        Assert.Equal(dw, dw2);
    }

    [Fact]
    public void Rms4096_Double_Half_RecomputedStatistics_BitwiseTheSavedOnes()
    {
        var rng = new Random(22);
        const int n = 4096, rows = 20;
        float[] x = HardRows(rng, rows, n, 50), dy = BackwardData.Normal(rng, rows * n, 0.1, 1), w = BackwardData.Normal(rng, n, 1, 0.5);
        float[] rstd = new float[rows], dx = new float[x.Length], dw = new float[n], dx2 = new float[x.Length], dw2 = new float[n];
        Grad.Rms(x, w, new float[x.Length], rstd);
        Grad.RmsBackward(dy, x, rstd, w, dx, dw);
        GradRecompute.RmsBackward(dy, x, w, dx2, dw2);
        Assert.Equal(dx, dx2);
        Assert.Equal(dw, dw2);

        const int nd = 1000, rowsD = 40;
        double[] xd = ToDouble(BackwardData.Rows(rng, rowsD, nd, 1e4)).Select((v, i) => v + 1e-3 * Math.Sin(i)).ToArray();
        double[] dyd = ToDouble(BackwardData.Normal(rng, rowsD * nd, 0.1, 1)), gd = ToDouble(BackwardData.Normal(rng, nd, 1, 0.5));
        double[] meanD = new double[rowsD], rstdD = new double[rowsD], dxd = new double[xd.Length], dgd = new double[nd], dbd = new double[nd];
        double[] dxd2 = new double[xd.Length], dgd2 = new double[nd], dbd2 = new double[nd];
        Grad.LnDouble(xd, gd, gd, new double[xd.Length], meanD, rstdD);
        Grad.LnBackwardDouble(dyd, xd, meanD, rstdD, gd, dxd, dgd, dbd);
        GradRecompute.LnBackwardDouble(dyd, xd, gd, dxd2, dgd2, dbd2);
        Assert.Equal(dxd, dxd2);
        Assert.Equal(dgd, dgd2);
        Assert.Equal(dbd, dbd2);

        const int nh = 96, rowsH = 300;
        Half[] xh = BackwardData.Rows(rng, rowsH, nh, 10).Select(v => (Half)v).ToArray(), dyh = BackwardData.Normal(rng, rowsH * nh, 0.1, 1).Select(v => (Half)v).ToArray();
        Half[] gh = BackwardData.Normal(rng, nh, 1, 0.5).Select(v => (Half)v).ToArray(), dxh = new Half[xh.Length], dxh2 = new Half[xh.Length];
        float[] meanH = new float[rowsH], rstdH = new float[rowsH], dgh = new float[nh], dbh = new float[nh], dgh2 = new float[nh], dbh2 = new float[nh];
        Grad.LnHalf(xh, gh, gh, new Half[xh.Length], meanH, rstdH);
        Grad.LnHalfBackward(dyh, xh, meanH, rstdH, gh, dxh, dgh, dbh);
        GradRecompute.LnHalfBackward(dyh, xh, gh, dxh2, dgh2, dbh2);
        Assert.Equal(dxh, dxh2);
        Assert.Equal(dgh, dgh2);
        Assert.Equal(dbh, dbh2);
    }

    /// <summary>
    /// Against the double reference whose statistics come from the reference forward (so the reference gradient is the
    /// full derivative, checked by <see cref="BackwardReferenceTests"/> against central finite differences).
    /// </summary>
    [Fact]
    public void Float_And_Double_AgainstTheFullDoubleReference()
    {
        const int n = 768, rows = 300;
        var rng = new Random(23);
        float[] x = BackwardData.Rows(rng, rows, n, 10), dy = BackwardData.Normal(rng, rows * n, 0.1, 1), g = BackwardData.Normal(rng, n, 1, 0.5);
        float[] dx = new float[x.Length], dg = new float[n], db = new float[n];
        GradRecompute.LnBackward(dy, x, g, dx, dg, db);
        Forward(true, 1e-5, ToDouble(x), ToDouble(g), null, false, n, out double[] mean, out double[] rstd);
        var (rdx, rdg, rdb) = Backward(true, ToDouble(dy), ToDouble(x), mean, rstd, ToDouble(g), false, n);
        double ex = RelativeToMax(ToDouble(dx), rdx), eg = RelativeToMax(ToDouble(dg), rdg), eb = RelativeToMax(ToDouble(db), rdb);
        output.WriteLine($"LnBackward recomputed 300x768 (|mean| ≤ 10): dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-5 && eg <= 1e-5 && eb <= 1e-5, $"dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");

        const int nr = 4096, rowsR = 40;
        float[] xr = BackwardData.Rows(rng, rowsR, nr, 50), dyr = BackwardData.Normal(rng, rowsR * nr, 0.1, 1), w = BackwardData.Normal(rng, nr, 1, 0.5);
        float[] dxr = new float[xr.Length], dw = new float[nr];
        GradRecompute.RmsBackward(dyr, xr, w, dxr, dw);
        Forward(false, 1.1920928955078125e-07, ToDouble(xr), null, null, false, nr, out _, out double[] rstdR);
        var (rdxr, rdw, _) = Backward(false, ToDouble(dyr), ToDouble(xr), null, rstdR, ToDouble(w), false, nr);
        double exr = RelativeToMax(ToDouble(dxr), rdxr), ew = RelativeToMax(ToDouble(dw), rdw);
        output.WriteLine($"RmsBackward recomputed 40x4096: dx {exr:E2}, dweight {ew:E2}");
        Assert.True(exr <= 1e-5 && ew <= 1e-5, $"dx {exr:E2}, dweight {ew:E2}");

        const int nd = 257, rowsD = 50;
        double[] xd = ToDouble(BackwardData.Rows(rng, rowsD, nd, 1e3)).Select((v, i) => v + 1e-3 * Math.Sin(i)).ToArray();
        double[] dyd = ToDouble(BackwardData.Normal(rng, rowsD * nd, 0.1, 1)), wd = ToDouble(BackwardData.Normal(rng, nd, 1, 0.5));
        double[] dxd = new double[xd.Length], dwd = new double[nd];
        GradRecompute.RmsBackwardDouble(dyd, xd, nd, wd, dxd, dwd);
        Forward(false, 2.220446049250313e-16, xd, null, null, false, nd, out _, out double[] rstdD);
        var (rdxd, rdwd, _) = Backward(false, dyd, xd, null, rstdD, wd, false, nd);
        double exd = RelativeToMax(dxd, rdxd), ewd = RelativeToMax(dwd, rdwd);
        output.WriteLine($"RmsBackward double recomputed 50x257: dx {exd:E2}, dweight {ewd:E2}");
        Assert.True(exd <= 1e-12 && ewd <= 1e-12, $"dx {exd:E2}, dweight {ewd:E2}");
    }

    /// <summary>ε enters the backward through the recomputed rstd: a row with σ² comparable to ε shows it.</summary>
    [Fact]
    public void Epsilon_OfTheAttribute_IsUsed()
    {
        const int n = 64, rows = 9;
        var rng = new Random(24);
        float[] x = BackwardData.Normal(rng, rows * n, 3, 0.3), dy = BackwardData.Normal(rng, rows * n, 0, 1), g = BackwardData.Normal(rng, n, 1, 0.5);
        float[] dx = new float[x.Length], dg = new float[n], db = new float[n];
        GradRecompute.LnBackwardBigEpsilon(dy, x, g, dx, dg, db);
        Forward(true, 0.25, ToDouble(x), null, null, false, n, out double[] mean, out double[] rstd);
        var (rdx, rdg, _) = Backward(true, ToDouble(dy), ToDouble(x), mean, rstd, ToDouble(g), false, n);
        Forward(true, 1e-5, ToDouble(x), null, null, false, n, out double[] mean5, out double[] rstd5);
        var (wrongDx, _, _) = Backward(true, ToDouble(dy), ToDouble(x), mean5, rstd5, ToDouble(g), false, n);
        double ex = RelativeToMax(ToDouble(dx), rdx), eg = RelativeToMax(ToDouble(dg), rdg);
        output.WriteLine($"Epsilon = 0.25: dx {ex:E2}, dgamma {eg:E2}; the ε = 1e-5 gradient differs by {RelativeToMax(wrongDx, rdx):E2}");
        Assert.True(ex <= 1e-5 && eg <= 1e-5, $"dx {ex:E2}, dgamma {eg:E2}");
        Assert.True(RelativeToMax(wrongDx, rdx) > 0.1);
    }

    [Fact]
    public void InPlace_And_WrongLengths()
    {
        const int n = 768, rows = 70;
        var rng = new Random(25);
        float[] x = BackwardData.Rows(rng, rows, n, 10), dy = BackwardData.Normal(rng, rows * n, 0, 1), g = BackwardData.Normal(rng, n, 1, 0.5);
        float[] dx = new float[x.Length], dg = new float[n], db = new float[n];
        GradRecompute.LnBackward(dy, x, g, dx, dg, db);
        float[] inPlace = (float[])dy.Clone();
        GradRecompute.LnBackward(inPlace, x, g, inPlace, dg, db);
        Assert.Equal(dx, inPlace);
        float[] inPlaceX = (float[])x.Clone();
        GradRecompute.LnBackward(dy, inPlaceX, g, inPlaceX, dg, db);
        Assert.Equal(dx, inPlaceX);

        void Check(string param, Action<float[], float[], float[]> call)
        {
            float[] o = Enumerable.Repeat(42f, rows * n + 1).ToArray(), og = Enumerable.Repeat(42f, n + 1).ToArray(), ob = Enumerable.Repeat(42f, n + 1).ToArray();
            Assert.Equal(param, Assert.ThrowsAny<ArgumentException>(() => call(o, og, ob)).ParamName);
            Assert.All(o, v => Assert.Equal(42f, v));
            Assert.All(og, v => Assert.Equal(42f, v));
            Assert.All(ob, v => Assert.Equal(42f, v));
        }
        Check("x", (o, og, ob) => GradRecompute.LnBackward(dy, x.AsSpan(1), g, o.AsSpan(1), og.AsSpan(1), ob.AsSpan(1)));
        Check("dy", (o, og, ob) => GradRecompute.LnBackward(dy.AsSpan(n), x, g, o.AsSpan(1), og.AsSpan(1), ob.AsSpan(1)));
        Check("dx", (o, og, ob) => GradRecompute.LnBackward(dy, x, g, o, og.AsSpan(1), ob.AsSpan(1)));
        Check("gamma", (o, og, ob) => GradRecompute.LnBackward(dy, x, g.AsSpan(1), o.AsSpan(1), og.AsSpan(1), ob.AsSpan(1)));
        Check("dgamma", (o, og, ob) => GradRecompute.LnBackward(dy, x, g, o.AsSpan(1), og, ob.AsSpan(1)));
        Check("dbeta", (o, og, ob) => GradRecompute.LnBackward(dy, x, g, o.AsSpan(1), og.AsSpan(1), ob));
        Check("rowLength", (o, og, ob) => GradRecompute.LnBackwardDyn(dy, x, 0, o.AsSpan(1)));
    }
}

/// <summary>The recomputing backward is bitwise the same for any thread count.</summary>
[Collection(SettingsCollection.Name)]
public class RecomputedStatisticsDeterminismTests
{
    [Fact]
    public void BitwiseIdentical_For1_2_7_AllThreads()
    {
        const int n = 768, rows = 1000;
        var rng = new Random(26);
        float[] x = BackwardData.Rows(rng, rows, n, 100), dy = BackwardData.Normal(rng, rows * n, 0.1, 1), g = BackwardData.Normal(rng, n, 1, 0.5);
        var results = new[] { 1, 2, 7, -1 }.Select(threads =>
        {
            using var scope = new SettingsScope(threads, 1);
            float[] dx = new float[x.Length], dg = new float[n], db = new float[n];
            GradRecompute.LnBackward(dy, x, g, dx, dg, db);
            return (dx, dg, db);
        }).ToList();
        foreach (var r in results.Skip(1))
        {
            Assert.Equal(results[0].dx, r.dx);
            Assert.Equal(results[0].dg, r.dg);
            Assert.Equal(results[0].db, r.db);
        }
    }
}
