using System;
using System.Linq;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Xunit;
using Xunit.Abstractions;
using static NormGen.Tests.BackwardReference;

namespace NormGen.Tests;

/// <summary>Inputs for the backward tests: rows with very different means and scales, dy with a bias.</summary>
internal static class BackwardData
{
    public static float[] Rows(Random rng, int rows, int n, double maxMean)
    {
        var x = new float[rows * n];
        for (int r = 0; r < rows; r++)
        {
            double mean = (rng.NextDouble() * 2 - 1) * maxMean, scale = 0.1 + 3 * rng.NextDouble();
            for (int i = 0; i < n; i++) x[r * n + i] = (float)(mean + scale * Gaussian(rng));
        }
        return x;
    }

    public static float[] Normal(Random rng, int count, double mean, double scale)
    {
        var v = new float[count];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(mean + scale * Gaussian(rng));
        return v;
    }

    public static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

/// <summary>The reference itself: its analytic gradients agree with central finite differences of a double forward.</summary>
public class BackwardReferenceTests
{
    [Theory]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    [InlineData(false, true, false)]
    [InlineData(false, true, true)]
    [InlineData(true, true, true)]
    public void AnalyticGradients_MatchCentralDifferences(bool centered, bool affine, bool zeroCentered)
    {
        const int n = 13, rows = 3;
        const double eps = 1e-5, h = 1e-6;
        var rng = new Random(7);
        double[] x = Enumerable.Range(0, rows * n).Select(_ => 2 + 1.5 * BackwardData.Gaussian(rng)).ToArray();
        double[] dy = Enumerable.Range(0, rows * n).Select(_ => BackwardData.Gaussian(rng)).ToArray();
        double[]? gamma = affine ? Enumerable.Range(0, n).Select(_ => 1 + 0.3 * BackwardData.Gaussian(rng)).ToArray() : null;
        double[]? beta = affine ? Enumerable.Range(0, n).Select(_ => 0.3 * BackwardData.Gaussian(rng)).ToArray() : null;

        double Loss(double[] xs, double[]? gs, double[]? bs)
        {
            double[] y = Forward(centered, eps, xs, gs, bs, zeroCentered, n, out _, out _);
            double l = 0;
            for (int i = 0; i < y.Length; i++) l += dy[i] * y[i];
            return l;
        }
        double Difference(double[] v, int i, Func<double> loss)
        {
            double keep = v[i];
            v[i] = keep + h; double plus = loss();
            v[i] = keep - h; double minus = loss();
            v[i] = keep;
            return (plus - minus) / (2 * h);
        }

        Forward(centered, eps, x, gamma, beta, zeroCentered, n, out double[] mean, out double[] rstd);
        var (dx, dg, db) = Backward(centered, dy, x, mean, rstd, gamma, zeroCentered, n);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(Difference(x, i, () => Loss(x, gamma, beta)), dx[i], 1e-7);
        if (affine)
        {
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(Difference(gamma!, i, () => Loss(x, gamma, beta)), dg[i], 1e-7);
                Assert.Equal(Difference(beta!, i, () => Loss(x, gamma, beta)), db[i], 1e-7);
            }
        }
    }
}

/// <summary>The contract's backward kernels against the double reference; safety of the arguments.</summary>
public class BackwardTests(ITestOutputHelper output)
{
    /// <summary>Forward with saved statistics, backward, and the reference given the same saved statistics.</summary>
    private static (float[] Dx, float[] Dg, float[] Db, double[] RDx, double[] RDg, double[] RDb) RunLayerNorm768(int rows, double maxMean, int seed)
    {
        const int n = 768;
        var rng = new Random(seed);
        float[] x = BackwardData.Rows(rng, rows, n, maxMean);
        float[] dy = BackwardData.Normal(rng, rows * n, 0.1, 1);
        float[] gamma = BackwardData.Normal(rng, n, 1, 0.5), beta = BackwardData.Normal(rng, n, 0, 0.5);
        float[] y = new float[x.Length], mean = new float[rows], rstd = new float[rows];
        Grad.Ln(x, gamma, beta, y, mean, rstd);
        float[] dx = new float[x.Length], dg = new float[n], db = new float[n];
        Grad.LnBackward(dy, x, mean, rstd, gamma, dx, dg, db);
        var (rdx, rdg, rdb) = Backward(true, ToDouble(dy), ToDouble(x), ToDouble(mean), ToDouble(rstd), ToDouble(gamma), false, n);
        return (dx, dg, db, rdx, rdg, rdb);
    }

    [Fact]
    public void LnBackward_RowMeansUpTo1e4_Within1e5()
    {
        var r = RunLayerNorm768(300, 1e4, 1);
        double ex = RelativeToMax(ToDouble(r.Dx), r.RDx), eg = RelativeToMax(ToDouble(r.Dg), r.RDg), eb = RelativeToMax(ToDouble(r.Db), r.RDb);
        output.WriteLine($"LnBackward 300x768, |mean| ≤ 1e4: dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-5, $"dx {ex:E2}");
        Assert.True(eg <= 1e-5, $"dgamma {eg:E2}");
        Assert.True(eb <= 1e-5, $"dbeta {eb:E2}");
    }

    [Fact]
    public void LnBackward_DGammaOver16384Rows_Within1e5()
    {
        var r = RunLayerNorm768(16384, 100, 2);
        double eg = RelativeToMax(ToDouble(r.Dg), r.RDg), eb = RelativeToMax(ToDouble(r.Db), r.RDb), ex = RelativeToMax(ToDouble(r.Dx), r.RDx);
        output.WriteLine($"LnBackward 16384x768: dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(eg <= 1e-5, $"dgamma {eg:E2}");
        Assert.True(eb <= 1e-5, $"dbeta {eb:E2}");
        Assert.True(ex <= 1e-5, $"dx {ex:E2}");
    }

    [Fact]
    public void RmsBackward_Within1e5()
    {
        const int n = 4096, rows = 70;
        var rng = new Random(3);
        float[] x = BackwardData.Rows(rng, rows, n, 50);
        float[] dy = BackwardData.Normal(rng, rows * n, 0.1, 1), w = BackwardData.Normal(rng, n, 1, 0.5);
        float[] y = new float[x.Length], rstd = new float[rows], dx = new float[x.Length], dw = new float[n];
        Grad.Rms(x, w, y, rstd);
        Grad.RmsBackward(dy, x, rstd, w, dx, dw);
        var (rdx, rdw, _) = Backward(false, ToDouble(dy), ToDouble(x), null, ToDouble(rstd), ToDouble(w), false, n);
        double ex = RelativeToMax(ToDouble(dx), rdx), ew = RelativeToMax(ToDouble(dw), rdw);
        output.WriteLine($"RmsBackward 70x4096: dx {ex:E2}, dweight {ew:E2}");
        Assert.True(ex <= 1e-5 && ew <= 1e-5, $"dx {ex:E2}, dweight {ew:E2}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]   // 128-bit vectors (rows shorter than a 256-bit vector)
    [InlineData(12)]  // 256-bit vectors and a scalar tail
    [InlineData(100)]
    [InlineData(1027)]
    public void LnBackwardDyn_NoAffine_Within1e5(int n)
    {
        const int rows = 37;
        var rng = new Random(n);
        float[] x = BackwardData.Rows(rng, rows, n, 1e4), dy = BackwardData.Normal(rng, rows * n, 0, 1);
        float[] y = new float[x.Length], mean = new float[rows], rstd = new float[rows], dx = new float[x.Length];
        Grad.LnDyn(x, n, y, mean, rstd);
        Grad.LnBackwardDyn(dy, x, n, mean, rstd, dx);
        var (rdx, _, _) = Backward(true, ToDouble(dy), ToDouble(x), ToDouble(mean), ToDouble(rstd), null, false, n);
        double ex = RelativeToMax(ToDouble(dx), rdx);
        output.WriteLine($"LnBackwardDyn {rows}x{n}: dx {ex:E2}");
        Assert.True(n == 1 ? ex == 0 || rdx.All(v => v == 0) : ex <= 1e-5, $"dx {ex:E2}");
    }

    [Fact]
    public void LnBackwardDouble_Within1e12()
    {
        const int n = 1000, rows = 150;
        var rng = new Random(4);
        double[] x = ToDouble(BackwardData.Rows(rng, rows, n, 1e4)).Select((v, i) => v + 1e-3 * Math.Sin(i)).ToArray();
        double[] dy = ToDouble(BackwardData.Normal(rng, rows * n, 0.1, 1)), g = ToDouble(BackwardData.Normal(rng, n, 1, 0.5)), b = new double[n];
        double[] y = new double[x.Length], mean = new double[rows], rstd = new double[rows], dx = new double[x.Length], dg = new double[n], db = new double[n];
        Grad.LnDouble(x, g, b, y, mean, rstd);
        Grad.LnBackwardDouble(dy, x, mean, rstd, g, dx, dg, db);
        var (rdx, rdg, rdb) = Backward(true, dy, x, mean, rstd, g, false, n);
        double ex = RelativeToMax(dx, rdx), eg = RelativeToMax(dg, rdg), eb = RelativeToMax(db, rdb);
        output.WriteLine($"LnBackwardDouble 150x1000: dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-12 && eg <= 1e-12 && eb <= 1e-12, $"dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
    }

    [Fact]
    public void DynAffine_And_ZeroCenteredRms_And_Tensor_Within1e5()
    {
        const int n = 333, rows = 129;
        var rng = new Random(5);
        float[] x = BackwardData.Rows(rng, rows, n, 100), dy = BackwardData.Normal(rng, rows * n, 0, 1);
        float[] g = BackwardData.Normal(rng, n, 1, 0.5), b = BackwardData.Normal(rng, n, 0, 0.5);
        float[] y = new float[x.Length], mean = new float[rows], rstd = new float[rows], dx = new float[x.Length], dg = new float[n], db = new float[n];

        Grad.LnDynAffine(x, n, g, b, y, mean, rstd);
        Grad.LnBackwardDynAffine(dy, x, n, mean, rstd, g, dx, dg, db);
        var (rdx, rdg, rdb) = Backward(true, ToDouble(dy), ToDouble(x), ToDouble(mean), ToDouble(rstd), ToDouble(g), false, n);
        Assert.True(RelativeToMax(ToDouble(dx), rdx) <= 1e-5 && RelativeToMax(ToDouble(dg), rdg) <= 1e-5 && RelativeToMax(ToDouble(db), rdb) <= 1e-5);

        // The same through tensor spans (rows of 3 × 111).
        float[] dxT = new float[x.Length], dgT = new float[n], dbT = new float[n];
        Grad.LnTensorBackward(new ReadOnlyTensorSpan<float>(dy, [rows, 3, 111]), new ReadOnlyTensorSpan<float>(x, [rows, 3, 111]), mean, rstd, g,
            new TensorSpan<float>(dxT, [rows, 3, 111]), dgT, dbT);
        Assert.Equal(dx, dxT);
        Assert.Equal(dg, dgT);
        Assert.Equal(db, dbT);

        // Zero-centred RMSNorm: g = dy·(1 + γ).
        float[] w = BackwardData.Normal(rng, n, 0, 0.3), dw = new float[n];
        Grad.RmsZc(x, n, w, y, rstd);
        Grad.RmsZcBackward(dy, x, n, rstd, w, dx, dw);
        var (zdx, zdw, _) = Backward(false, ToDouble(dy), ToDouble(x), null, ToDouble(rstd), ToDouble(w), true, n);
        double ex = RelativeToMax(ToDouble(dx), zdx), ew = RelativeToMax(ToDouble(dw), zdw);
        output.WriteLine($"zero-centred RMS {rows}x{n}: dx {ex:E2}, dweight {ew:E2}");
        Assert.True(ex <= 1e-5 && ew <= 1e-5, $"dx {ex:E2}, dweight {ew:E2}");
    }

    [Fact]
    public void Half_FloatMath_FloatGradients()
    {
        const int n = 96, rows = 5000;
        var rng = new Random(6);
        Half[] x = BackwardData.Rows(rng, rows, n, 10).Select(v => (Half)v).ToArray();
        Half[] dy = BackwardData.Normal(rng, rows * n, 0.1, 1).Select(v => (Half)v).ToArray();
        Half[] g = BackwardData.Normal(rng, n, 1, 0.5).Select(v => (Half)v).ToArray(), b = new Half[n];
        Half[] y = new Half[x.Length], dx = new Half[x.Length];
        float[] mean = new float[rows], rstd = new float[rows], dg = new float[n], db = new float[n];
        Grad.LnHalf(x, g, b, y, mean, rstd);
        Grad.LnHalfBackward(dy, x, mean, rstd, g, dx, dg, db);
        var (rdx, rdg, rdb) = Backward(true, ToDouble(dy), ToDouble(x), ToDouble(mean), ToDouble(rstd), ToDouble(g), false, n);
        double ex = RelativeToMax(ToDouble(dx), rdx), eg = RelativeToMax(ToDouble(dg), rdg), eb = RelativeToMax(ToDouble(db), rdb);
        output.WriteLine($"Half 5000x96: dx {ex:E2} (one Half rounding), dgamma {eg:E2}, dbeta {eb:E2} (float partials)");
        Assert.True(ex <= 1e-3, $"dx {ex:E2}");
        Assert.True(eg <= 1e-5 && eb <= 1e-5, $"dgamma {eg:E2}, dbeta {eb:E2}");
    }

    [Fact]
    public void InPlace_DxIsDy_SameAsSeparate()
    {
        var rng = new Random(8);
        const int n = 768, rows = 200;
        float[] x = BackwardData.Rows(rng, rows, n, 10), dy = BackwardData.Normal(rng, rows * n, 0, 1), g = BackwardData.Normal(rng, n, 1, 0.5);
        float[] y = new float[x.Length], mean = new float[rows], rstd = new float[rows];
        Grad.Ln(x, g, g, y, mean, rstd);
        float[] dx = new float[x.Length], dg = new float[n], db = new float[n], dg2 = new float[n], db2 = new float[n];
        Grad.LnBackward(dy, x, mean, rstd, g, dx, dg, db);
        float[] inPlace = (float[])dy.Clone();
        Grad.LnBackward(inPlace, x, mean, rstd, g, inPlace, dg2, db2);
        Assert.Equal(dx, inPlace);
        Assert.Equal(dg, dg2);
        Assert.Equal(db, db2);
        float[] inPlaceX = (float[])x.Clone();
        Grad.LnBackward(dy, inPlaceX, mean, rstd, g, inPlaceX, dg2, db2);
        Assert.Equal(dx, inPlaceX);
    }

    [Fact]
    public void NaN_InOneRow_StaysInThatRowOfDx()
    {
        var rng = new Random(9);
        const int n = 768, rows = 130;
        float[] x = BackwardData.Rows(rng, rows, n, 10), dy = BackwardData.Normal(rng, rows * n, 0, 1), g = BackwardData.Normal(rng, n, 1, 0.5);
        float[] y = new float[x.Length], mean = new float[rows], rstd = new float[rows], dx = new float[x.Length], dg = new float[n], db = new float[n];
        Grad.Ln(x, g, g, y, mean, rstd);
        dy[70 * n + 5] = float.NaN;
        Grad.LnBackward(dy, x, mean, rstd, g, dx, dg, db);
        for (int r = 0; r < rows; r++)
        {
            bool anyNaN = dx.AsSpan(r * n, n).ToArray().Any(float.IsNaN);
            Assert.Equal(r == 70, anyNaN);
        }
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheParameter_NothingWritten()
    {
        const int n = 768, rows = 4;
        float[] x = new float[rows * n], dy = new float[rows * n], g = new float[n], mean = new float[rows], rstd = new float[rows];
        void Check(string param, Action<float[], float[], float[]> call)
        {
            float[] dx = Enumerable.Repeat(42f, rows * n + 1).ToArray(), dg = Enumerable.Repeat(42f, n + 1).ToArray(), db = Enumerable.Repeat(42f, n + 1).ToArray();
            var e = Assert.ThrowsAny<ArgumentException>(() => call(dx, dg, db));
            Assert.Equal(param, e.ParamName);
            Assert.All(dx, v => Assert.Equal(42f, v));
            Assert.All(dg, v => Assert.Equal(42f, v));
            Assert.All(db, v => Assert.Equal(42f, v));
        }
        Check("x", (dx, dg, db) => Grad.LnBackward(dy, x.AsSpan(1), mean, rstd, g, dx.AsSpan(1), dg.AsSpan(1), db.AsSpan(1)));
        Check("dy", (dx, dg, db) => Grad.LnBackward(dy.AsSpan(n), x, mean, rstd, g, dx.AsSpan(1), dg.AsSpan(1), db.AsSpan(1)));
        Check("dx", (dx, dg, db) => Grad.LnBackward(dy, x, mean, rstd, g, dx, dg.AsSpan(1), db.AsSpan(1)));
        Check("mean", (dx, dg, db) => Grad.LnBackward(dy, x, mean.AsSpan(1), rstd, g, dx.AsSpan(1), dg.AsSpan(1), db.AsSpan(1)));
        Check("rstd", (dx, dg, db) => Grad.LnBackward(dy, x, mean, rstd.AsSpan(1), g, dx.AsSpan(1), dg.AsSpan(1), db.AsSpan(1)));
        Check("gamma", (dx, dg, db) => Grad.LnBackward(dy, x, mean, rstd, g.AsSpan(1), dx.AsSpan(1), dg.AsSpan(1), db.AsSpan(1)));
        Check("dgamma", (dx, dg, db) => Grad.LnBackward(dy, x, mean, rstd, g, dx.AsSpan(1), dg, db.AsSpan(1)));
        Check("dbeta", (dx, dg, db) => Grad.LnBackward(dy, x, mean, rstd, g, dx.AsSpan(1), dg.AsSpan(1), db));
        Check("dbeta", (dx, dg, db) => Grad.LnBackward(dy, x, mean, rstd, g, dx.AsSpan(1), dg.AsSpan(1), dx.AsSpan(5, n)));
        Check("dx", (dx, dg, db) => Grad.LnBackward(dx.AsSpan(0, rows * n), x, mean, rstd, g, dx.AsSpan(1), dg.AsSpan(1), db.AsSpan(1)));
        // Outputs that share memory with an input they do not replace element by element (issue 7, item 12).
        Check("dgamma", (dx, dg, db) => Grad.LnBackward(dy, x, mean, rstd, g, dx.AsSpan(1), MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(g), n), db.AsSpan(1)));
        Check("dx", (dx, dg, db) => Grad.LnBackward(dy, x, mean, rstd, dx.AsSpan(1, n), dx.AsSpan(1), dg.AsSpan(1), db.AsSpan(1)));
        Check("dbeta", (dx, dg, db) => Grad.LnBackward(dy, x, db.AsSpan(1, rows), rstd, g, dx.AsSpan(1), dg.AsSpan(1), db.AsSpan(1)));
        Check("rowLength", (dx, dg, db) => Grad.LnBackwardDyn(dy, x, 0, mean, rstd, dx.AsSpan(1)));
        Check("x", (dx, dg, db) => Grad.LnBackwardDyn(dy, x, 7, mean, rstd, dx.AsSpan(1)));
    }
}

/// <summary>dx, dγ and dβ are bitwise the same whatever the thread count.</summary>
[Collection(SettingsCollection.Name)]
public class BackwardDeterminismTests(ITestOutputHelper output)
{
    [Fact]
    public void LnAndRmsBackward_BitwiseIdentical_For1_2_7_AllThreads()
    {
        const int n = 768, rows = 1000;
        var rng = new Random(11);
        float[] x = BackwardData.Rows(rng, rows, n, 100), dy = BackwardData.Normal(rng, rows * n, 0.1, 1), g = BackwardData.Normal(rng, n, 1, 0.5);
        float[] y = new float[x.Length], mean = new float[rows], rstd = new float[rows];
        Grad.Ln(x, g, g, y, mean, rstd);
        float[] xr = BackwardData.Rows(rng, 300, 4096, 1), dyr = BackwardData.Normal(rng, 300 * 4096, 0, 1), w = BackwardData.Normal(rng, 4096, 1, 0.5);
        float[] rs = new float[300];
        Grad.Rms(xr, w, new float[xr.Length], rs);

        (float[], float[], float[], float[], float[]) Run()
        {
            float[] dx = new float[x.Length], dg = new float[n], db = new float[n], dxr = new float[xr.Length], dw = new float[4096];
            Grad.LnBackward(dy, x, mean, rstd, g, dx, dg, db);
            Grad.RmsBackward(dyr, xr, rs, w, dxr, dw);
            return (dx, dg, db, dxr, dw);
        }
        var results = new[] { 1, 2, 7, -1 }.Select(threads =>
        {
            using var scope = new SettingsScope(threads, 1); // every block of 64 rows may go to its own thread
            return Run();
        }).ToList();
        for (int k = 1; k < results.Count; k++)
        {
            Assert.True(results[0].Item1.AsSpan().SequenceEqual(results[k].Item1), "dx");
            Assert.True(results[0].Item2.AsSpan().SequenceEqual(results[k].Item2), "dgamma");
            Assert.True(results[0].Item3.AsSpan().SequenceEqual(results[k].Item3), "dbeta");
            Assert.True(results[0].Item4.AsSpan().SequenceEqual(results[k].Item4), "rms dx");
            Assert.True(results[0].Item5.AsSpan().SequenceEqual(results[k].Item5), "dweight");
        }
        output.WriteLine($"bitwise identical for MaxDegreeOfParallelism 1, 2, 7, -1 ({Environment.ProcessorCount} cores); dgamma[0] = {results[0].Item2[0]:R}");
    }

    /// <summary>
    /// Rows processed together (in pairs, sharing one partial update) give the bits of each row processed alone: dx of a
    /// block of rows equals each row's dx run as a batch of one, and within one block of 64 rows dγ and dβ equal the
    /// single rows' contributions added in row order (0 + a₀ + a₁ + …), with ordinary and with non-temporal dx stores.
    /// </summary>
    [Theory]
    [InlineData(37, 768, true)]
    [InlineData(64, 1000, true)]
    [InlineData(5, 19, false)]
    [InlineData(3, 4096, false)]
    public void RowsTogether_BitwiseEqualTo_RowsAlone_InRowOrder(int rows, int n, bool centered)
    {
        var rng = new Random(rows * 31 + n);
        float[] x = BackwardData.Rows(rng, rows, n, 10), dy = BackwardData.Normal(rng, rows * n, 0.1, 1), g = BackwardData.Normal(rng, n, 1, 0.5);
        float[] mean = new float[rows], rstd = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < n; i++) m += x[r * n + i];
            m /= n;
            for (int i = 0; i < n; i++) v += (x[r * n + i] - m) * (x[r * n + i] - m);
            mean[r] = centered ? (float)m : 0f;
            rstd[r] = (float)(1 / Math.Sqrt((centered ? v / n : v / n + m * m) + 1e-5));
        }
        RowBackwardFlags flags = centered ? RowBackwardFlags.Centered : RowBackwardFlags.None;
        long threshold = NormGenSettings.StreamingStoreThreshold;
        try
        {
            foreach (long t in new[] { long.MaxValue, 0L })
            {
                NormGenSettings.StreamingStoreThreshold = t;
                using var scope = new SettingsScope(1, 1);
                float[] dx = new float[rows * n], dg = new float[n], db = new float[n];
                RowBackward.Run(dy, x, centered ? mean : default, rstd, g, dx, dg, db, n, flags);
                float[] dxAlone = new float[rows * n], dgSum = new float[n], dbSum = new float[n], dgOne = new float[n], dbOne = new float[n];
                for (int r = 0; r < rows; r++)
                {
                    RowBackward.Run(dy.AsSpan(r * n, n), x.AsSpan(r * n, n), centered ? mean.AsSpan(r, 1) : default, rstd.AsSpan(r, 1), g,
                        dxAlone.AsSpan(r * n, n), dgOne, dbOne, n, flags);
                    for (int i = 0; i < n; i++)
                    {
                        dgSum[i] += dgOne[i];
                        dbSum[i] += dbOne[i];
                    }
                }
                Assert.True(dx.AsSpan().SequenceEqual(dxAlone), $"dx, threshold {t}");
                Assert.True(dg.AsSpan().SequenceEqual(dgSum), $"dgamma, threshold {t}");
                Assert.True(db.AsSpan().SequenceEqual(dbSum), $"dbeta, threshold {t}");
            }
        }
        finally
        {
            NormGenSettings.StreamingStoreThreshold = threshold;
        }
    }
}
