using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;
using Xunit.Abstractions;
using static NormGen.Tests.BackwardReference;

namespace NormGen.Tests;

/// <summary>Channel LayerNorm (both Restormer variants): forward with saved statistics and backward.</summary>
public static partial class GradChannel
{
    [ChannelLayerNorm(SaveStatistics = true)]
    public static partial void Cln(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y, Span<float> mean, Span<float> rstd);

    [ChannelLayerNorm(Backward = true)]
    public static partial void ClnBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);

    [ChannelLayerNorm(BiasFree = true, SaveStatistics = true)]
    public static partial void ClnBiasFree(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y, Span<float> mean, Span<float> rstd);

    [ChannelLayerNorm(BiasFree = true, Backward = true)]
    public static partial void ClnBiasFreeBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, TensorSpan<float> dx, Span<float> dweight);

    [ChannelLayerNorm(SaveStatistics = true)]
    public static partial void ClnDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, TensorSpan<double> y, Span<double> mean, Span<double> rstd);

    [ChannelLayerNorm(Backward = true)]
    public static partial void ClnDoubleBackward(ReadOnlyTensorSpan<double> dy, ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, TensorSpan<double> dx, Span<double> dgamma, Span<double> dbeta);

    [ChannelLayerNorm(BiasFree = true, SaveStatistics = true)]
    public static partial void ClnBiasFreeDouble(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> weight, TensorSpan<double> y, Span<double> mean, Span<double> rstd);

    [ChannelLayerNorm(BiasFree = true, Backward = true)]
    public static partial void ClnBiasFreeDoubleBackward(ReadOnlyTensorSpan<double> dy, ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> weight, TensorSpan<double> dx, Span<double> dweight);

    [ChannelLayerNorm(SaveStatistics = true)]
    public static partial void ClnHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, TensorSpan<Half> y, Span<float> mean, Span<float> rstd);

    [ChannelLayerNorm(Backward = true)]
    public static partial void ClnHalfBackward(ReadOnlyTensorSpan<Half> dy, ReadOnlyTensorSpan<Half> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> gamma, TensorSpan<Half> dx, Span<float> dgamma, Span<float> dbeta);
}

/// <summary>
/// Independent double reference for the channel LayerNorm, statistics per (sample, position) over C, written with plain
/// loops from the forward's definition: WithBias y = (x − μ)·r·γ + β; BiasFree y = x·r·w, r = 1/√(σ² + ε).
/// </summary>
public static class ChannelLayerNormReference
{
    public static (double[] Mean, double[] Rstd) Statistics(double[] x, int batch, int channels, int spatial, double eps)
    {
        var mean = new double[batch * spatial];
        var rstd = new double[batch * spatial];
        for (int n = 0; n < batch; n++)
            for (int s = 0; s < spatial; s++)
            {
                double sum = 0;
                for (int c = 0; c < channels; c++) sum += x[(n * channels + c) * spatial + s];
                double mu = sum / channels, sq = 0;
                for (int c = 0; c < channels; c++) { double d = x[(n * channels + c) * spatial + s] - mu; sq += d * d; }
                mean[n * spatial + s] = mu;
                rstd[n * spatial + s] = 1 / Math.Sqrt(sq / channels + eps);
            }
        return (mean, rstd);
    }

    public static double[] Forward(double[] x, double[] gamma, double[]? beta, int batch, int channels, int spatial, double eps, bool biasFree)
    {
        var (mean, rstd) = Statistics(x, batch, channels, spatial, eps);
        var y = new double[x.Length];
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int s = 0; s < spatial; s++)
                {
                    int i = (n * channels + c) * spatial + s, b = n * spatial + s;
                    y[i] = biasFree ? x[i] * rstd[b] * gamma[c] : (x[i] - mean[b]) * rstd[b] * gamma[c] + (beta?[c] ?? 0);
                }
        return y;
    }

    /// <summary>
    /// Analytic backward with the given statistics. WithBias: dx = r·(g − mean(g) − x̂·mean(g·x̂)). BiasFree: with
    /// c = x − μ, y = x·r·w, ∂r/∂x_i = −r³·c_i/C, so dx_i = r·g_i − r³/C·(Σ_j g_j x_j)·c_i and dw = Σ dy·x·r.
    /// </summary>
    public static (double[] Dx, double[] DGamma, double[] DBeta) Backward(double[] dy, double[] x, double[] mean, double[] rstd, double[] gamma,
        int batch, int channels, int spatial, bool biasFree)
    {
        var dx = new double[x.Length];
        var dg = new double[channels];
        var db = new double[channels];
        for (int n = 0; n < batch; n++)
            for (int s = 0; s < spatial; s++)
            {
                int b = n * spatial + s;
                double mu = mean[b], r = rstd[b], sumG = 0, sumGx = 0;
                for (int c = 0; c < channels; c++)
                {
                    int i = (n * channels + c) * spatial + s;
                    double g = dy[i] * gamma[c];
                    sumG += g;
                    sumGx += biasFree ? g * x[i] : g * (x[i] - mu) * r;
                    dg[c] += biasFree ? dy[i] * x[i] * r : dy[i] * (x[i] - mu) * r;
                    db[c] += dy[i];
                }
                for (int c = 0; c < channels; c++)
                {
                    int i = (n * channels + c) * spatial + s;
                    double g = dy[i] * gamma[c];
                    dx[i] = biasFree
                        ? r * g - r * r * r / channels * sumGx * (x[i] - mu)
                        : r * (g - sumG / channels - (x[i] - mu) * r * sumGx / channels);
                }
            }
        return (dx, dg, db);
    }
}

public class ChannelLayerNormBackwardTests(ITestOutputHelper output)
{
    private static double[] Data(Random rng, int count, double mean, double scale) => ToDouble(BackwardData.Normal(rng, count, mean, scale));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reference_AgreesWithCentralFiniteDifferences(bool biasFree)
    {
        const int batch = 2, channels = 5, spatial = 3, length = batch * channels * spatial;
        var rng = new Random(biasFree ? 3 : 4);
        double[] x = Data(rng, length, 0.5, 1), dy = Data(rng, length, 0, 1), g = Data(rng, channels, 1, 0.5), b = Data(rng, channels, 0, 0.5);
        const double eps = 1e-5, h = 1e-6;
        var (mean, rstd) = ChannelLayerNormReference.Statistics(x, batch, channels, spatial, eps);
        var (dx, dg, db) = ChannelLayerNormReference.Backward(dy, x, mean, rstd, g, batch, channels, spatial, biasFree);
        double Loss(double[] xx, double[] gg, double[] bb)
        {
            double[] y = ChannelLayerNormReference.Forward(xx, gg, biasFree ? null : bb, batch, channels, spatial, eps, biasFree);
            double l = 0;
            for (int i = 0; i < y.Length; i++) l += y[i] * dy[i];
            return l;
        }
        double Central(double[] v, int i, Func<double> loss)
        {
            double keep = v[i];
            v[i] = keep + h; double plus = loss();
            v[i] = keep - h; double minus = loss();
            v[i] = keep;
            return (plus - minus) / (2 * h);
        }
        for (int i = 0; i < length; i++)
            Assert.Equal(dx[i], Central(x, i, () => Loss(x, g, b)), 6);
        for (int c = 0; c < channels; c++)
        {
            Assert.Equal(dg[c], Central(g, c, () => Loss(x, g, b)), 6);
            if (!biasFree) Assert.Equal(db[c], Central(b, c, () => Loss(x, g, b)), 6);
        }
    }

    [Theory]
    [InlineData(2, 48, 33, false)]
    [InlineData(3, 16, 1, false)]
    [InlineData(4, 64, 100, false)]
    [InlineData(2, 48, 33, true)]
    [InlineData(3, 16, 3, true)]
    [InlineData(4, 64, 100, true)]
    [InlineData(2, 8, 4500, false)] // three chunks of positions per sample (ChannelLayerNormBackward.SpatialChunk = 2048)
    [InlineData(1, 5, 4097, true)]
    public void Float_SavedStatistics_And_Backward_Within1e5(int batch, int channels, int spatial, bool biasFree)
    {
        var rng = new Random(batch * 100 + channels + spatial);
        int length = batch * channels * spatial;
        nint[] shape = [batch, channels, spatial];
        // Positions with means up to 1e3 and different scales.
        float[] x = BackwardData.Normal(rng, length, 0, 1);
        for (int n = 0; n < batch; n++)
            for (int s = 0; s < spatial; s++)
            {
                double mu = (rng.NextDouble() * 2 - 1) * 1e3, sc = 0.1 + 3 * rng.NextDouble();
                for (int c = 0; c < channels; c++) { int i = (n * channels + c) * spatial + s; x[i] = (float)(mu + sc * x[i]); }
            }
        float[] dy = BackwardData.Normal(rng, length, 0.1, 1), g = BackwardData.Normal(rng, channels, 1, 0.5), b = BackwardData.Normal(rng, channels, 0, 0.5);
        float[] mean = new float[batch * spatial], rstd = new float[batch * spatial], y = new float[length];
        var xs = new ReadOnlyTensorSpan<float>(x, shape);
        if (biasFree) GradChannel.ClnBiasFree(xs, g, new TensorSpan<float>(y, shape), mean, rstd);
        else GradChannel.Cln(xs, g, b, new TensorSpan<float>(y, shape), mean, rstd);
        var (rMean, rRstd) = ChannelLayerNormReference.Statistics(ToDouble(x), batch, channels, spatial, 1e-5);
        double em = RelativeToMax(ToDouble(mean), rMean), er = RelativeToMax(ToDouble(rstd), rRstd);
        Assert.True(em <= 1e-6, $"mean {em:E2}");
        Assert.True(er <= 1e-5, $"rstd {er:E2}");
        // The saved statistics are the ones the forward used.
        double ey = RelativeToMax(ToDouble(y), ChannelLayerNormReference.Forward(ToDouble(x), ToDouble(g), biasFree ? null : ToDouble(b), batch, channels, spatial, 1e-5, biasFree));
        Assert.True(ey <= 1e-5, $"y {ey:E2}");

        float[] dx = new float[length], dg = new float[channels], db = new float[channels];
        if (biasFree) GradChannel.ClnBiasFreeBackward(new ReadOnlyTensorSpan<float>(dy, shape), xs, mean, rstd, g, new TensorSpan<float>(dx, shape), dg);
        else GradChannel.ClnBackward(new ReadOnlyTensorSpan<float>(dy, shape), xs, mean, rstd, g, new TensorSpan<float>(dx, shape), dg, db);
        var (rdx, rdg, rdb) = ChannelLayerNormReference.Backward(ToDouble(dy), ToDouble(x), ToDouble(mean), ToDouble(rstd), ToDouble(g), batch, channels, spatial, biasFree);
        double ex = RelativeToMax(ToDouble(dx), rdx), eg = RelativeToMax(ToDouble(dg), rdg), eb = biasFree ? 0 : RelativeToMax(ToDouble(db), rdb);
        output.WriteLine($"ClnBackward{(biasFree ? " BiasFree" : "")} ({batch}, {channels}, {spatial}): mean {em:E2}, rstd {er:E2}, dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-5 && eg <= 1e-5 && eb <= 1e-5, $"dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");

        // In place: dx = dy gives the same bits.
        float[] inPlace = (float[])dy.Clone();
        if (biasFree) GradChannel.ClnBiasFreeBackward(new ReadOnlyTensorSpan<float>(inPlace, shape), xs, mean, rstd, g, new TensorSpan<float>(inPlace, shape), dg);
        else GradChannel.ClnBackward(new ReadOnlyTensorSpan<float>(inPlace, shape), xs, mean, rstd, g, new TensorSpan<float>(inPlace, shape), dg, db);
        Assert.Equal(dx, inPlace);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Float_SavedStatistics_OfHugeAndNaNPositions_AreWritten(bool biasFree)
    {
        // Positions whose squares overflow float take the double fallback, positions holding NaN give NaN: their saved
        // mean and rstd must be written like every other position's (the fallback used to leave them as they were).
        const int batch = 2, channels = 8, spatial = 37; // 37 positions: two 16-lane chunks and an overlapping tail
        var rng = new Random(37 + (biasFree ? 1 : 0));
        int length = batch * channels * spatial;
        nint[] shape = [batch, channels, spatial];
        float[] x = BackwardData.Normal(rng, length, 0, 1);
        for (int c = 0; c < channels; c++)
        {
            x[(0 * channels + c) * spatial + 5] *= 1e30f;  // sample 0, position 5 (a whole chunk): huge
            x[(1 * channels + c) * spatial + 36] *= 3e29f; // sample 1, position 36 (the overlapping tail): huge
            x[(1 * channels + c) * spatial + 1] += 2e30f;  // sample 1, position 1: huge mean, ordinary spread
        }
        x[(0 * channels + 3) * spatial + 20] = float.NaN; // sample 0, position 20: NaN
        float[] g = BackwardData.Normal(rng, channels, 1, 0.5), b = BackwardData.Normal(rng, channels, 0, 0.5);
        float[] mean = new float[batch * spatial], rstd = new float[batch * spatial], y = new float[length];
        Array.Fill(mean, -7f);
        Array.Fill(rstd, -7f);
        var xs = new ReadOnlyTensorSpan<float>(x, shape);
        if (biasFree) GradChannel.ClnBiasFree(xs, g, new TensorSpan<float>(y, shape), mean, rstd);
        else GradChannel.Cln(xs, g, b, new TensorSpan<float>(y, shape), mean, rstd);

        var (rMean, rRstd) = ChannelLayerNormReference.Statistics(ToDouble(x), batch, channels, spatial, 1e-5);
        for (int i = 0; i < batch * spatial; i++)
        {
            if (double.IsNaN(rMean[i]))
            {
                Assert.True(float.IsNaN(mean[i]) && float.IsNaN(rstd[i]), $"position {i}: NaN input, saved mean {mean[i]}, rstd {rstd[i]}");
                continue;
            }
            double sigma = 1 / rRstd[i];
            Assert.True(Math.Abs(mean[i] - rMean[i]) <= 1e-5 * Math.Max(Math.Abs(rMean[i]), sigma), $"position {i}: mean {mean[i]:R}, reference {rMean[i]:R}");
            Assert.True(Math.Abs(rstd[i] - rRstd[i]) <= 1e-5 * rRstd[i], $"position {i}: rstd {rstd[i]:R}, reference {rRstd[i]:R}");
        }
        double[] rY = ChannelLayerNormReference.Forward(ToDouble(x), ToDouble(g), biasFree ? null : ToDouble(b), batch, channels, spatial, 1e-5, biasFree);
        for (int i = 0; i < length; i++)
        {
            if (double.IsNaN(rY[i])) Assert.True(float.IsNaN(y[i]), $"y[{i}] = {y[i]}, reference NaN");
            else Assert.True(Math.Abs(y[i] - rY[i]) <= 1e-4 * Math.Max(1, Math.Abs(rY[i])), $"y[{i}] = {y[i]:R}, reference {rY[i]:R}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Double_Within1e12(bool biasFree)
    {
        const int batch = 3, channels = 24, spatial = 37, length = batch * channels * spatial;
        var rng = new Random(biasFree ? 77 : 78);
        nint[] shape = [batch, channels, spatial];
        double[] x = Data(rng, length, 1e3, 2), dy = Data(rng, length, 0.1, 1), g = Data(rng, channels, 1, 0.5);
        double[] mean = new double[batch * spatial], rstd = new double[batch * spatial], dx = new double[length], dg = new double[channels], db = new double[channels];
        var xs = new ReadOnlyTensorSpan<double>(x, shape);
        if (biasFree) GradChannel.ClnBiasFreeDouble(xs, g, new TensorSpan<double>(new double[length], shape), mean, rstd);
        else GradChannel.ClnDouble(xs, g, g, new TensorSpan<double>(new double[length], shape), mean, rstd);
        var (rMean, rRstd) = ChannelLayerNormReference.Statistics(x, batch, channels, spatial, 1e-5);
        Assert.True(RelativeToMax(mean, rMean) <= 1e-12 && RelativeToMax(rstd, rRstd) <= 1e-12, "statistics");
        if (biasFree) GradChannel.ClnBiasFreeDoubleBackward(new ReadOnlyTensorSpan<double>(dy, shape), xs, mean, rstd, g, new TensorSpan<double>(dx, shape), dg);
        else GradChannel.ClnDoubleBackward(new ReadOnlyTensorSpan<double>(dy, shape), xs, mean, rstd, g, new TensorSpan<double>(dx, shape), dg, db);
        var (rdx, rdg, rdb) = ChannelLayerNormReference.Backward(dy, x, mean, rstd, g, batch, channels, spatial, biasFree);
        double ex = RelativeToMax(dx, rdx), eg = RelativeToMax(dg, rdg), eb = biasFree ? 0 : RelativeToMax(db, rdb);
        output.WriteLine($"ClnDoubleBackward{(biasFree ? " BiasFree" : "")}: dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-12 && eg <= 1e-12 && eb <= 1e-12, $"dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
    }

    [Fact]
    public void Half_FloatGradients_Within1e3()
    {
        const int batch = 2, channels = 32, spatial = 40, length = batch * channels * spatial;
        var rng = new Random(5);
        nint[] shape = [batch, channels, spatial];
        Half[] x = BackwardData.Normal(rng, length, 2, 1).Select(v => (Half)v).ToArray(), dy = BackwardData.Normal(rng, length, 0.1, 1).Select(v => (Half)v).ToArray();
        Half[] g = BackwardData.Normal(rng, channels, 1, 0.5).Select(v => (Half)v).ToArray();
        float[] mean = new float[batch * spatial], rstd = new float[batch * spatial], dg = new float[channels], db = new float[channels];
        Half[] dx = new Half[length];
        var xs = new ReadOnlyTensorSpan<Half>(x, shape);
        GradChannel.ClnHalf(xs, g, g, new TensorSpan<Half>(new Half[length], shape), mean, rstd);
        var (rMean, rRstd) = ChannelLayerNormReference.Statistics(ToDouble(x), batch, channels, spatial, 1e-5);
        Assert.True(RelativeToMax(ToDouble(mean), rMean) <= 1e-6 && RelativeToMax(ToDouble(rstd), rRstd) <= 1e-5, "statistics");
        GradChannel.ClnHalfBackward(new ReadOnlyTensorSpan<Half>(dy, shape), xs, mean, rstd, g, new TensorSpan<Half>(dx, shape), dg, db);
        var (rdx, rdg, rdb) = ChannelLayerNormReference.Backward(ToDouble(dy), ToDouble(x), ToDouble(mean), ToDouble(rstd), ToDouble(g), batch, channels, spatial, false);
        double ex = RelativeToMax(ToDouble(dx), rdx), eg = RelativeToMax(ToDouble(dg), rdg), eb = RelativeToMax(ToDouble(db), rdb);
        output.WriteLine($"ClnHalfBackward: dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-3, $"dx {ex:E2} (one Half rounding)");
        Assert.True(eg <= 1e-5 && eb <= 1e-5, $"dgamma {eg:E2}, dbeta {eb:E2} (float accumulation)");
    }

    [Fact]
    public void WrongLengths_Throw_NamingTheParameter_NothingWritten()
    {
        const int batch = 2, channels = 4, spatial = 5, length = batch * channels * spatial;
        nint[] shape = [batch, channels, spatial];
        float[] x = new float[length], dy = new float[length], g = new float[channels], dx = Enumerable.Repeat(7f, length).ToArray();
        float[] dg = Enumerable.Repeat(7f, channels).ToArray(), db = Enumerable.Repeat(7f, channels).ToArray();
        void Call(int meanLength, int rstdLength, int gammaLength, int dgLength)
        {
            GradChannel.ClnBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), new float[meanLength], new float[rstdLength],
                g.AsSpan(0, gammaLength), new TensorSpan<float>(dx, shape), dg.AsSpan(0, dgLength), db);
        }
        Assert.Equal("mean", Assert.ThrowsAny<ArgumentException>(() => Call(batch * channels, batch * spatial, channels, channels)).ParamName);
        Assert.Equal("rstd", Assert.ThrowsAny<ArgumentException>(() => Call(batch * spatial, batch * spatial - 1, channels, channels)).ParamName);
        Assert.Equal("gamma", Assert.ThrowsAny<ArgumentException>(() => Call(batch * spatial, batch * spatial, channels - 1, channels)).ParamName);
        Assert.Equal("dgamma", Assert.ThrowsAny<ArgumentException>(() => Call(batch * spatial, batch * spatial, channels, channels - 1)).ParamName);
        Assert.Equal("dx", Assert.ThrowsAny<ArgumentException>(() => GradChannel.ClnBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape),
            new float[batch * spatial], new float[batch * spatial], g, new TensorSpan<float>(dx, [batch, channels, spatial - 1]), dg, db)).ParamName);
        Assert.Equal("mean", Assert.ThrowsAny<ArgumentException>(() => GradChannel.Cln(new ReadOnlyTensorSpan<float>(x, shape), g, g, new TensorSpan<float>(dx, shape),
            new float[batch * spatial + 1], new float[batch * spatial])).ParamName);
        Assert.All(dx, v => Assert.Equal(7f, v));
        Assert.All(dg, v => Assert.Equal(7f, v));
        Assert.All(db, v => Assert.Equal(7f, v));
    }
}

/// <summary>The channel LayerNorm backward gives bitwise the same results for any thread count.</summary>
[Collection(SettingsCollection.Name)]
public class ChannelLayerNormDeterminismTests
{
    /// <summary>
    /// Many samples of few positions, one sample of many positions (3 chunks), and a small tensor: bitwise the same for
    /// MaxDegreeOfParallelism 1, 2, 7 and all cores, with every unit allowed its own thread.
    /// </summary>
    [Theory]
    [InlineData(16, 48, 64)]
    [InlineData(1, 24, 5000)]
    [InlineData(3, 4, 5)]
    public void Backward_BitwiseIdentical_For1_2_7_AllThreads(int batch, int channels, int spatial)
    {
        int length = batch * channels * spatial;
        var rng = new Random(43 + spatial);
        nint[] shape = [batch, channels, spatial];
        float[] x = BackwardData.Normal(rng, length, 3, 2), dy = BackwardData.Normal(rng, length, 0.1, 1), g = BackwardData.Normal(rng, channels, 1, 0.5);
        float[] mean = new float[batch * spatial], rstd = new float[batch * spatial];
        GradChannel.Cln(new ReadOnlyTensorSpan<float>(x, shape), g, g, new TensorSpan<float>(new float[length], shape), mean, rstd);
        Half[] xh = x.Select(v => (Half)v).ToArray(), dyh = dy.Select(v => (Half)v).ToArray(), gh = g.Select(v => (Half)v).ToArray();
        float[][] Run()
        {
            float[] dx = new float[length], dg = new float[channels], db = new float[channels], bdx = new float[length], bdg = new float[channels];
            GradChannel.ClnBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), mean, rstd, g, new TensorSpan<float>(dx, shape), dg, db);
            GradChannel.ClnBiasFreeBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), mean, rstd, g, new TensorSpan<float>(bdx, shape), bdg);
            Half[] hdx = new Half[length];
            float[] hdg = new float[channels], hdb = new float[channels];
            GradChannel.ClnHalfBackward(new ReadOnlyTensorSpan<Half>(dyh, shape), new ReadOnlyTensorSpan<Half>(xh, shape), mean, rstd, gh, new TensorSpan<Half>(hdx, shape), hdg, hdb);
            // In place (dx = dy) on many threads: the same bits as a separate dx.
            float[] inPlace = (float[])dy.Clone();
            GradChannel.ClnBackward(new ReadOnlyTensorSpan<float>(inPlace, shape), new ReadOnlyTensorSpan<float>(x, shape), mean, rstd, g, new TensorSpan<float>(inPlace, shape), new float[channels], new float[channels]);
            Assert.True(dx.AsSpan().SequenceEqual(inPlace), "in place");
            return [dx, dg, db, bdx, bdg, hdx.Select(v => (float)v).ToArray(), hdg, hdb];
        }
        var results = new[] { 1, 2, 7, -1 }.Select(threads =>
        {
            using var scope = new SettingsScope(threads, 1); // every (sample, chunk) unit may go to its own thread
            return Run();
        }).ToList();
        foreach (float[][] r in results.Skip(1))
            for (int k = 0; k < r.Length; k++)
                Assert.True(results[0][k].AsSpan().SequenceEqual(r[k]), $"output {k}");
    }
}
