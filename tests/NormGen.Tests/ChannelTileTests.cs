using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// ChannelLayerNorm's tiles (TensorBlocks.ChannelTiles): channels whose lines of a column strip would not stay in L1 (a
/// power-of-two row length, or more than 512 channels) are normalized row by row in tiles of columns instead of in
/// strips. Each column's statistics must be the bits of the strips: the same columns laid out with three more positions
/// per row (a row length the strips take) give the same y, mean and rstd bit for bit, with a constant column, a column
/// whose squares overflow (computed in double) and a NaN column among them; in place and on all cores too; and close to
/// the double reference.
/// </summary>
[Collection(SettingsCollection.Name)]
public class ChannelTileTests
{
    private const int Batch = 2, Channels = 32;

    /// <summary>ChannelLayerNorm's default ε (the declarations in GradChannel use it): 1e-5, as a float in float kernels.</summary>
    private static double Epsilon(bool dbl) => dbl ? 1e-5 : 1e-5f;

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void TilesGiveTheBitsOfTheStrips(bool dbl, bool biasFree)
    {
        int spatial = dbl ? 512 : 1024; // rows of 4 KiB: the strips' lines of 32 channels share 8 L1 sets
        double[] x = Data(Batch, Channels, spatial, seed: 3, dbl);
        double[] gamma = Enumerable.Range(0, Channels).Select(c => 0.5 + c / 40.0).ToArray();
        double[] beta = Enumerable.Range(0, Channels).Select(c => c / 50.0 - 0.3).ToArray();
        var tiled = Run(dbl, biasFree, x, Batch, Channels, spatial, gamma, beta);

        // The same columns with three more positions per row: a row length whose strips stay in L1.
        int wider = spatial + 3;
        double[] xw = new double[Batch * Channels * wider];
        var rng = new Random(9);
        for (int row = 0; row < Batch * Channels; row++)
            for (int p = 0; p < wider; p++)
                xw[row * wider + p] = p < spatial ? x[row * spatial + p] : rng.NextDouble();
        var strips = Run(dbl, biasFree, xw, Batch, Channels, wider, gamma, beta);
        for (int row = 0; row < Batch * Channels; row++)
            for (int p = 0; p < spatial; p++)
                Assert.True(Same(tiled.Y[row * spatial + p], strips.Y[row * wider + p]),
                    $"y (sample {row / Channels}, channel {row % Channels}, position {p}): tiles {tiled.Y[row * spatial + p]:R}, strips {strips.Y[row * wider + p]:R}");
        for (int n = 0; n < Batch; n++)
            for (int p = 0; p < spatial; p++)
            {
                Assert.True(Same(tiled.Mean[n * spatial + p], strips.Mean[n * wider + p]), $"mean ({n}, {p})");
                Assert.True(Same(tiled.Rstd[n * spatial + p], strips.Rstd[n * wider + p]), $"rstd ({n}, {p})");
            }

        // In place and on all cores: the same bits.
        Assert.True(Bitwise(tiled.Y, Run(dbl, biasFree, x, Batch, Channels, spatial, gamma, beta, inPlace: true).Y), "in place differs");
        Assert.True(Bitwise(tiled.Y, Run(dbl, biasFree, x, Batch, Channels, spatial, gamma, beta, degree: -1).Y), "all cores differ");

        // Against the double reference (the NaN column NaN; the overflowing column in double, as accurate as the rest, where
        // the reference can square it: float's 1e30, not double's 1e160).
        double[] expected = biasFree
            ? TensorNormTests.RestormerBiasFree(x, Batch, Channels, spatial, gamma, Epsilon(dbl))
            : TensorReference.ChannelLayerNorm(x, Batch, Channels, spatial, gamma, beta, Epsilon(dbl));
        for (int i = 0; i < x.Length; i++)
        {
            if (i < Channels * spatial && i % spatial == 5) { Assert.True(double.IsNaN(tiled.Y[i]), $"NaN column, element {i}: {tiled.Y[i]}"); continue; }
            if (dbl && i % spatial == 3) continue;
            Assert.True(Math.Abs(tiled.Y[i] - expected[i]) <= (dbl ? 1e-12 : 1e-4) * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {tiled.Y[i]} vs {expected[i]}");
        }
    }

    /// <summary>
    /// More than 512 channels (tiles whatever the row length) over a row length that is no whole number of vectors: the
    /// last tile's last vector overlaps the one before it; in place and on all cores the same bits, and close to the
    /// double reference.
    /// </summary>
    [Fact]
    public void ManyChannelsAndAnOverlappingLastVector()
    {
        const int batch = 1, channels = 520, spatial = 300;
        double[] x = Data(batch, channels, spatial, seed: 5, dbl: false, special: false);
        double[] gamma = Enumerable.Range(0, channels).Select(c => 1 + c / 1000.0).ToArray();
        double[] beta = Enumerable.Range(0, channels).Select(c => c / 2000.0).ToArray();
        var once = Run(false, false, x, batch, channels, spatial, gamma, beta);
        Assert.True(Bitwise(once.Y, Run(false, false, x, batch, channels, spatial, gamma, beta, inPlace: true).Y), "in place differs");
        Assert.True(Bitwise(once.Y, Run(false, false, x, batch, channels, spatial, gamma, beta, degree: -1).Y), "all cores differ");
        double[] expected = TensorReference.ChannelLayerNorm(x, batch, channels, spatial, gamma, beta, Epsilon(false));
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(once.Y[i] - expected[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {once.Y[i]} vs {expected[i]}");
    }

    /// <summary>
    /// ChannelLayerNorm's statistics take each block's first 16 channels in two passes and the later ones in one, around
    /// the mean so far (ColumnEngine's predicted sub-blocks). Positions whose channels climb in a ramp (each sub-block's
    /// mean many of its standard deviations past the prediction), step at channel 50, hold one outlier, or sit at 10⁴
    /// with a spread of 1, over 96 channels: y and the saved mean and rstd match the double reference as closely as
    /// the plain positions do, float and double, in the strips and in the tiles, and all cores give one thread's bits.
    /// </summary>
    [Theory]
    [InlineData(false, 203)]  // column strips
    [InlineData(false, 256)]  // tiles (a power-of-two row length)
    [InlineData(true, 203)]
    [InlineData(true, 256)]
    public void PredictedSubBlocksFollowRampsStepsAndOutliers(bool dbl, int spatial)
    {
        const int batch = 2, channels = 96;
        var rng = new Random(spatial);
        double[] x = new double[batch * channels * spatial];
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < spatial; p++)
                {
                    double u = rng.NextDouble() * 2 - 1;
                    x[(n * channels + c) * spatial + p] = (p % 4) switch
                    {
                        0 => c * 10.0 + u * 0.01,                    // a ramp across the channels
                        1 => (c < 50 ? 0 : 1000) + u,                // a step
                        2 => c == 70 ? 1e6 : u,                      // one outlier
                        _ => 1e4 + u,                                // a large mean, a small spread
                    };
                }
        if (!dbl) for (int i = 0; i < x.Length; i++) x[i] = (float)x[i];
        double[] gamma = Enumerable.Range(0, channels).Select(c => 0.5 + c / 100.0).ToArray();
        double[] beta = Enumerable.Range(0, channels).Select(c => c / 200.0 - 0.2).ToArray();
        var one = Run(dbl, false, x, batch, channels, spatial, gamma, beta);
        Assert.True(Bitwise(one.Y, Run(dbl, false, x, batch, channels, spatial, gamma, beta, degree: -1).Y), "all cores differ");
        double[] expected = TensorReference.ChannelLayerNorm(x, batch, channels, spatial, gamma, beta, Epsilon(dbl));
        double tolerance = dbl ? 1e-11 : 3e-6; // double: 10⁴ ± 1 loses 10⁴·ε of x − μ against σ, on any path
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(one.Y[i] - expected[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"{(dbl ? "double" : "float")} spatial {spatial}, element {i} (position {i % spatial}): {one.Y[i]} vs {expected[i]}");
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < spatial; p++)
            {
                double mean = 0, squares = 0;
                for (int c = 0; c < channels; c++) mean += x[(n * channels + c) * spatial + p];
                mean /= channels;
                for (int c = 0; c < channels; c++) { double d = x[(n * channels + c) * spatial + p] - mean; squares += d * d; }
                double rstd = 1 / Math.Sqrt(squares / channels + Epsilon(dbl));
                Assert.True(Math.Abs(one.Mean[n * spatial + p] - mean) <= tolerance * Math.Max(1, Math.Abs(mean)), $"mean ({n}, {p}): {one.Mean[n * spatial + p]} vs {mean}");
                Assert.True(Math.Abs(one.Rstd[n * spatial + p] - rstd) <= tolerance * rstd, $"rstd ({n}, {p}): {one.Rstd[n * spatial + p]} vs {rstd}");
            }
    }

    /// <summary>Values around a per-position offset; with <paramref name="special"/> position 1 constant, position 3 overflowing the type's squares, position 5 of sample 0 NaN in one channel.</summary>
    private static double[] Data(int batch, int channels, int spatial, int seed, bool dbl, bool special = true)
    {
        var rng = new Random(seed);
        double[] x = new double[batch * channels * spatial];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextDouble() * 4 - 2 + (i % spatial) * 0.01;
        if (!special) return x;
        for (int row = 0; row < batch * channels; row++)
        {
            x[row * spatial + 1] = 2.5;
            x[row * spatial + 3] = (row % 2 == 0 ? 1 : -1) * (dbl ? 1e160 : 1e30) * (1 + row / 100.0);
        }
        x[7 * spatial + 5] = double.NaN;
        if (!dbl) for (int i = 0; i < x.Length; i++) x[i] = (float)x[i];
        return x;
    }

    private static (double[] Y, double[] Mean, double[] Rstd) Run(bool dbl, bool biasFree, double[] x, int batch, int channels, int spatial,
        double[] gamma, double[] beta, bool inPlace = false, int degree = 1)
    {
        nint[] shape = [batch, channels, 1, spatial];
        using var scope = new SettingsScope(degree, 4096);
        if (dbl)
        {
            double[] xs = (double[])x.Clone(), y = inPlace ? xs : new double[x.Length], mean = new double[batch * spatial], rstd = new double[batch * spatial];
            if (biasFree) GradChannel.ClnBiasFreeDouble(new ReadOnlyTensorSpan<double>(xs, shape, []), gamma, new TensorSpan<double>(y, shape, []), mean, rstd);
            else GradChannel.ClnDouble(new ReadOnlyTensorSpan<double>(xs, shape, []), gamma, beta, new TensorSpan<double>(y, shape, []), mean, rstd);
            return (y, mean, rstd);
        }
        float[] xf = x.Select(v => (float)v).ToArray(), yf = inPlace ? xf : new float[x.Length], meanF = new float[batch * spatial], rstdF = new float[batch * spatial];
        float[] g = gamma.Select(v => (float)v).ToArray(), b = beta.Select(v => (float)v).ToArray();
        if (biasFree) GradChannel.ClnBiasFree(new ReadOnlyTensorSpan<float>(xf, shape, []), g, new TensorSpan<float>(yf, shape, []), meanF, rstdF);
        else GradChannel.Cln(new ReadOnlyTensorSpan<float>(xf, shape, []), g, b, new TensorSpan<float>(yf, shape, []), meanF, rstdF);
        return (yf.Select(v => (double)v).ToArray(), meanF.Select(v => (double)v).ToArray(), rstdF.Select(v => (double)v).ToArray());
    }

    private static bool Same(double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b);

    private static bool Bitwise(double[] a, double[] b) => a.Length == b.Length && a.Zip(b).All(p => Same(p.First, p.Second));
}
