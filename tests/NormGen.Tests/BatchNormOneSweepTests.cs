using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// BatchNorm training's statistics on AVX-512 for blocks of one vector or more (BlockEngine.WalkedStatistics for the
/// channel walks, SmallBlockChannels for blocks of one to four vectors, their sweeps from 4 MiB, TensorBlocks.SweptMoments
/// for the sample split): each channel's shift is
/// its first block's mean, one pass adds Σ(x − shift) and Σ(x − shift)², and a channel whose shift lies too far from
/// its mean (BlockEngine.OnePassHolds) takes a second pass around the mean. The input mixes channels that one pass
/// settles (independent values around a large mean, a constant channel) with channels it cannot (a first sample far
/// from the others, a trend over the samples, so the first block is far from the mean), on every driver: against the
/// double reference, and each channel bitwise equal to the same channel computed alone as an (N, 1, spatial) tensor on
/// one thread (a walk) and on seven (the sample split), and the whole tensor equal on one and two threads and in place.
/// On other machines the same checks run through their own paths.
/// </summary>
[Collection(SettingsCollection.Name)]
public class BatchNormOneSweepTests
{
    private const double Eps = 1e-5, Momentum = 0.1;

    /// <summary>Channels: what one pass settles, what needs two (see the class summary).</summary>
    private enum Channel { LargeMean, FarFirstSample, Constant, Trend, Spread, Plain5, Plain6, Plain7 }

    private const int Channels = 8;

    private static double[] Input(int n, int spatial, int seed, bool asFloat)
    {
        var random = new Random(seed);
        double[] x = new double[n * Channels * spatial];
        for (int i = 0; i < x.Length; i++)
        {
            int sample = i / (Channels * spatial);
            double u = random.NextDouble() * 2 - 1;
            double v = (Channel)(i / spatial % Channels) switch
            {
                Channel.LargeMean => 1e4 + 1.7 * u,
                Channel.FarFirstSample => (sample == 0 ? 40 : 0) + u,
                Channel.Constant => 7.25,
                Channel.Trend => 3.0 * sample + u,
                Channel.Spread => -2 + 5 * u,
                _ => 0.5 + u,
            };
            x[i] = asFloat ? (float)v : v;
        }
        return x;
    }

    /// <summary>γ and β per channel: 0.75 + 0.125·c and −0.5 + 0.25·c (exact in float).</summary>
    private static double[] Gamma(int c) => Enumerable.Range(0, c).Select(i => 0.75 + 0.125 * i).ToArray();

    private static double[] Beta(int c) => Enumerable.Range(0, c).Select(i => -0.5 + 0.25 * i).ToArray();

    /// <summary>
    /// Float shapes: (16, 8, 100) a channel walk; (24, 8, 128) its copied form (blocks 4 KiB apart); (16, 8, 8192) and
    /// (18, 8, 7300) from 4 MiB, swept (the second with two samples past the groups of four and a 4-lane tail); blocks of
    /// one to four vectors (SmallBlockChannels): (16, 8, 49) walked, (2700, 8, 49) swept.
    /// </summary>
    [Theory]
    [InlineData(16, 49)]
    [InlineData(2700, 49)]
    [InlineData(16, 100)]
    [InlineData(24, 128)]
    [InlineData(16, 8192)]
    [InlineData(18, 7300)]
    public void FloatStatisticsInOneSweepOrTwoMatchTheReferenceOnEveryDriver(int n, int spatial) =>
        Check(ChannelCopyTests.TrainFloat, n, spatial, asFloat: true, 2e-5);

    /// <summary>Double: (9, 8, 20) small blocks, (9, 8, 36) a walk, (16, 8, 4100) swept.</summary>
    [Theory]
    [InlineData(9, 20)]
    [InlineData(9, 36)]
    [InlineData(16, 4100)]
    public void DoubleStatisticsInOneSweepOrTwoMatchTheReferenceOnEveryDriver(int n, int spatial) =>
        Check(ChannelCopyTests.TrainDouble, n, spatial, asFloat: false, 1e-12);

    /// <summary>One check through <paramref name="train"/>, ChannelCopyTests' float or double call (y, then per channel the running mean and variance, the saved mean and rstd).</summary>
    private static void Check(ChannelCopyTests.Train train, int n, int spatial, bool asFloat, double tolerance)
    {
        double[] x = Input(n, spatial, n * 31 + spatial, asFloat);
        double[] g = Gamma(Channels), b = Beta(Channels);
        double[] expected = TensorReference.BatchNormTrain(x, n, Channels, spatial, g, b, Eps, out double[] mean, out double[] var);
        double[][] one = train(x, n, Channels, spatial, g, b, 1, false);

        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(one[0][i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"element {i} (channel {(Channel)(i / spatial % Channels)}) is {one[0][i]}, expected {expected[i]}");
        int count = n * spatial;
        for (int c = 0; c < Channels; c++)
        {
            double runningMean = Momentum * mean[c], runningVar = 1 - Momentum + Momentum * var[c] * count / (count - 1d);
            double rstd = 1 / Math.Sqrt(var[c] + Eps);
            Assert.True(Math.Abs(one[1][c] - runningMean) <= tolerance * (1 + Math.Abs(runningMean)), $"running mean of {(Channel)c}: {one[1][c]}, expected {runningMean}");
            Assert.True(Math.Abs(one[2][c] - runningVar) <= tolerance * (1 + runningVar), $"running variance of {(Channel)c}: {one[2][c]}, expected {runningVar}");
            Assert.True(Math.Abs(one[3][c] - mean[c]) <= tolerance * (1 + Math.Abs(mean[c])), $"saved mean of {(Channel)c}: {one[3][c]}, expected {mean[c]}");
            Assert.True(Math.Abs(one[4][c] - rstd) <= tolerance * rstd, $"saved rstd of {(Channel)c}: {one[4][c]}, expected {rstd}");
        }

        // The constant channel exactly: its mean is its value, its variance 0, so y = β and the running variance decays.
        int constant = (int)Channel.Constant;
        double beta = asFloat ? (float)b[constant] : b[constant];
        for (int s = 0; s < n; s++)
            for (int j = 0; j < spatial; j++)
                Assert.Equal(beta, one[0][(s * Channels + constant) * spatial + j]);
        Assert.Equal(7.25, one[3][constant]);
        Assert.Equal(asFloat ? (double)(float)(1 - Momentum) : 1 - Momentum, one[2][constant]);

        // The whole tensor on two threads and in place; each channel alone, on one thread and on seven.
        double[][] two = train(x, n, Channels, spatial, g, b, 2, false), inPlace = train(x, n, Channels, spatial, g, b, 1, true);
        for (int k = 0; k < one.Length; k++)
        {
            Assert.True(one[k].AsSpan().SequenceEqual(two[k]), $"output {k} differs between one thread and two");
            Assert.True(one[k].AsSpan().SequenceEqual(inPlace[k]), $"output {k} differs in place");
        }
        for (int c = 0; c < Channels; c++)
        {
            double[] alone = new double[n * spatial];
            for (int s = 0; s < n; s++)
                Array.Copy(x, (s * Channels + c) * spatial, alone, s * spatial, spatial);
            foreach (int threads in new[] { 1, 7 })
            {
                double[][] single = train(alone, n, 1, spatial, [g[c]], [b[c]], threads, false);
                for (int s = 0; s < n; s++)
                    Assert.True(single[0].AsSpan(s * spatial, spatial).SequenceEqual(one[0].AsSpan((s * Channels + c) * spatial, spatial)),
                        $"y of channel {(Channel)c}, sample {s}, differs from the channel alone on {threads} thread(s)");
                for (int k = 1; k < one.Length; k++)
                    Assert.True(single[k][0] == one[k][c], $"output {k} of channel {(Channel)c} is {one[k][c]} in the tensor, {single[k][0]} alone on {threads} thread(s)");
            }
        }
    }
}
