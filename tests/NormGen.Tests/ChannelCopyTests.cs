using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// BatchNorm training on shapes whose channels BlockEngine.CopiedChannels512 takes on AVX-512 (more than 8 blocks a
/// multiple of 4 KiB apart, the channel within 32 KiB): pass 1 copies each block and passes 2 and 3 read the copy.
/// Against the double reference with a channel of huge values (the fallback writes it from x) and a channel holding a
/// NaN (pass 1 redone block by block), in place, on seven threads, and bitwise equal, channel by channel, to the same
/// channel computed alone as an (N, 1, spatial) tensor, whose blocks lie close together and take Channels512's loops.
/// </summary>
[Collection(SettingsCollection.Name)]
public class ChannelCopyTests
{
    private const double Eps = 1e-5;

    /// <summary>(N, C, spatial): tails of 0, 4, 4 and 8 lanes; batches with and without a remainder past the groups of four; (33, 64, 88) a half multiple of 4 KiB apart (two phases, more than 16 blocks).</summary>
    public static TheoryData<int, int, int> FloatShapes => new() { { 16, 16, 64 }, { 9, 256, 68 }, { 12, 256, 196 }, { 33, 64, 88 } };

    /// <summary>Double: tails of 0 and 4 lanes.</summary>
    public static TheoryData<int, int, int> DoubleShapes => new() { { 17, 16, 32 }, { 9, 128, 36 } };

    private const int HugeChannel = 1, NanChannel = 2;

    private static double[] Input(int n, int c, int spatial, double huge)
    {
        var random = new Random(n * 1000 + c + spatial);
        double[] x = new double[n * c * spatial];
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(3 + 2 * (random.NextDouble() * 2 - 1)) * (i / spatial % c == HugeChannel ? huge : 1);
        x[((n / 2) * c + NanChannel) * spatial + spatial / 2] = double.NaN;
        return x;
    }

    private static double[] Params(int c, int seed, double offset)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, c).Select(_ => (double)(float)(offset + random.NextDouble() - 0.5)).ToArray();
    }

    /// <summary>y, and per channel the running mean, running variance, saved mean and saved rstd, of one call.</summary>
    internal delegate double[][] Train(double[] x, int n, int c, int spatial, double[] g, double[] b, int threads, bool inPlace);

    internal static double[][] TrainFloat(double[] x, int n, int c, int spatial, double[] g, double[] b, int threads, bool inPlace)
    {
        using var scope = new SettingsScope(threads, 64);
        nint[] shape = [n, c, spatial];
        float[] xf = x.Select(v => (float)v).ToArray(), y = inPlace ? xf : new float[x.Length];
        float[] rm = new float[c], rv = Enumerable.Repeat(1f, c).ToArray(), sm = new float[c], sr = new float[c];
        GradTensor.BnTrain(new ReadOnlyTensorSpan<float>(xf, shape), g.Select(v => (float)v).ToArray(), b.Select(v => (float)v).ToArray(), rm, rv, new TensorSpan<float>(y, shape), sm, sr);
        return new[] { y, rm, rv, sm, sr }.Select(a => a.Select(v => (double)v).ToArray()).ToArray();
    }

    internal static double[][] TrainDouble(double[] x, int n, int c, int spatial, double[] g, double[] b, int threads, bool inPlace)
    {
        using var scope = new SettingsScope(threads, 64);
        nint[] shape = [n, c, spatial];
        double[] xd = (double[])x.Clone(), y = inPlace ? xd : new double[x.Length];
        double[] rm = new double[c], rv = Enumerable.Repeat(1d, c).ToArray(), sm = new double[c], sr = new double[c];
        GradTensor.BnTrainDouble(new ReadOnlyTensorSpan<double>(xd, shape), g, b, rm, rv, new TensorSpan<double>(y, shape), sm, sr);
        return [y, rm, rv, sm, sr];
    }

    [Theory]
    [MemberData(nameof(FloatShapes))]
    public void FloatCopiedChannelsMatchTheReferenceAndTheChannelAlone(int n, int c, int spatial) =>
        Check(TrainFloat, n, c, spatial, 1e30, 2e-5);

    [Theory]
    [MemberData(nameof(DoubleShapes))]
    public void DoubleCopiedChannelsMatchTheReferenceAndTheChannelAlone(int n, int c, int spatial) =>
        Check(TrainDouble, n, c, spatial, 1e200, 1e-12);

    private static void Check(Train train, int n, int c, int spatial, double huge, double tolerance)
    {
        double[] x = Input(n, c, spatial, huge);
        double[] g = Params(c, 11, 1), b = Params(c, 12, 0);

        // The reference; the huge channel's from its values divided by the scale and ε ≈ 0 (ε is nothing beside its variance).
        double[] scaled = x.Select((v, i) => i / spatial % c == HugeChannel ? v / huge : v).ToArray();
        double[] expected = TensorReference.BatchNormTrain(x, n, c, spatial, g, b, Eps, out double[] mean, out double[] var);
        double[] expectedHuge = TensorReference.BatchNormTrain(scaled, n, c, spatial, g, b, 1e-300, out _, out _);
        double[][] one = train(x, n, c, spatial, g, b, 1, false);
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / spatial % c;
            if (ch == NanChannel)
            {
                Assert.True(double.IsNaN(one[0][i]), $"element {i} of the NaN channel is {one[0][i]}");
                continue;
            }
            double e = ch == HugeChannel ? expectedHuge[i] : expected[i];
            Assert.True(Math.Abs(one[0][i] - e) <= tolerance * (1 + Math.Abs(e)), $"element {i} is {one[0][i]}, expected {e}");
        }
        int count = n * spatial;
        for (int ch = 0; ch < c; ch++)
        {
            if (ch == NanChannel || ch == HugeChannel) continue;
            double expectedMean = 0.1 * mean[ch], expectedVar = 0.9 + 0.1 * var[ch] * count / (count - 1d), expectedRstd = 1 / Math.Sqrt(var[ch] + Eps);
            Assert.True(Math.Abs(one[1][ch] - expectedMean) <= tolerance * (1 + Math.Abs(expectedMean)), $"runningMean[{ch}] {one[1][ch]}, expected {expectedMean}");
            Assert.True(Math.Abs(one[2][ch] - expectedVar) <= tolerance * (1 + expectedVar), $"runningVar[{ch}] {one[2][ch]}, expected {expectedVar}");
            Assert.True(Math.Abs(one[4][ch] - expectedRstd) <= tolerance * expectedRstd, $"saveRstd[{ch}] {one[4][ch]}, expected {expectedRstd}");
        }
        Assert.True(double.IsNaN(one[1][NanChannel]) && double.IsNaN(one[3][NanChannel]));

        double[][] seven = train(x, n, c, spatial, g, b, 7, false), inPlace = train(x, n, c, spatial, g, b, 1, true);
        for (int i = 0; i < one.Length; i++)
        {
            Assert.True(one[i].AsSpan().SequenceEqual(seven[i]), $"output {i} differs between one thread and seven");
            Assert.True(one[i].AsSpan().SequenceEqual(inPlace[i]), $"output {i} differs in place");
        }

        // Each channel alone, (N, 1, spatial): its blocks a block apart, not copied; the same sums in the same order.
        foreach (int ch in new[] { 0, HugeChannel, NanChannel, c - 1 })
        {
            double[] alone = new double[n * spatial];
            for (int s = 0; s < n; s++)
                Array.Copy(x, (s * c + ch) * spatial, alone, s * spatial, spatial);
            double[][] single = train(alone, n, 1, spatial, [g[ch]], [b[ch]], 1, false);
            for (int s = 0; s < n; s++)
                Assert.True(one[0].AsSpan((s * c + ch) * spatial, spatial).SequenceEqual(single[0].AsSpan(s * spatial, spatial)), $"channel {ch}, sample {s} differs from the channel alone");
            for (int i = 1; i < one.Length; i++)
                Assert.True(one[i][ch].Equals(single[i][0]), $"output {i} of channel {ch} is {one[i][ch]}, alone {single[i][0]}");
        }
    }
}
