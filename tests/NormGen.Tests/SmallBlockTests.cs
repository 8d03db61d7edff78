using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// InstanceNorm, GroupNorm with one channel per group and BatchNorm training with batch 1 on blocks of every length
/// around the vector widths (the register path of TensorBlocks.SmallBlocks takes one to four 512-bit vectors, four
/// blocks at a time in an instance per shape: every float and double shape of one to three whole vectors, with and
/// without a rest, is here), and leaves blocks whose variance is not finite to the general path): against the double reference,
/// with a block of huge values (squares overflow) and a block holding a NaN among ordinary ones, in place, saved and
/// running statistics, and the same bits on one thread and on seven.
/// </summary>
[Collection(SettingsCollection.Name)]
public class SmallBlockTests
{
    private const double Eps = 1e-5;
    private const int Channels = 13; // not a multiple of four: the last run of blocks is shorter, and channels wrap inside a run

    public static TheoryData<int> Spatial => new() { 1, 7, 8, 15, 16, 17, 24, 31, 32, 33, 48, 49, 63, 64, 65, 196 };

    /// <summary>BatchNorm training needs more than one value per channel.</summary>
    public static TheoryData<int> BatchSpatial => new() { 2, 7, 8, 15, 16, 17, 24, 31, 32, 33, 48, 49, 63, 64, 65, 196 };

    /// <summary>Ordinary values (mean 3); block <paramref name="hugeBlock"/> scaled so its squares overflow the type, a NaN in block <paramref name="nanBlock"/>.</summary>
    private static double[] Input(int blocks, int spatial, int seed, double huge, int hugeBlock, int nanBlock)
    {
        var random = new Random(seed);
        double[] x = Enumerable.Range(0, blocks * spatial).Select(_ => (double)(float)(3 + 2 * (random.NextDouble() * 2 - 1))).ToArray();
        for (int i = 0; i < spatial; i++) x[hugeBlock * spatial + i] *= huge;
        x[nanBlock * spatial + spatial / 2] = double.NaN;
        return x;
    }

    private static double[] Params(int c, int seed, double offset)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, c).Select(_ => (double)(float)(offset + random.NextDouble() - 0.5)).ToArray();
    }

    /// <summary>Every element within tolerance of the reference, except block <paramref name="nanBlock"/>, which is all NaN.</summary>
    private static void AssertBlocks(string what, double[] actual, double[] expected, int spatial, int nanBlock, double tolerance)
    {
        for (int i = 0; i < actual.Length; i++)
        {
            if (i / spatial == nanBlock)
                Assert.True(double.IsNaN(actual[i]), $"{what}: element {i} of the NaN block is {actual[i]}");
            else
                Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"{what}: element {i} is {actual[i]}, expected {expected[i]}");
        }
    }

    /// <summary>
    /// The reference with block <paramref name="hugeBlock"/> computed on its values divided by <paramref name="scale"/> and
    /// ε ≈ 0: the plain double reference overflows on squares of 1e200, and ε is nothing beside a variance of 1e400.
    /// </summary>
    private static double[] WithHugeBlock(Func<double[], double, double[]> reference, double[] x, int spatial, int hugeBlock, double scale, double eps)
    {
        double[] expected = reference(x, eps), scaled = (double[])x.Clone();
        for (int i = hugeBlock * spatial; i < (hugeBlock + 1) * spatial; i++) scaled[i] /= scale;
        double[] small = reference(scaled, 1e-300); // not 0: a one-element block has variance 0
        Array.Copy(small, hugeBlock * spatial, expected, hugeBlock * spatial, spatial);
        return expected;
    }

    [Theory, MemberData(nameof(Spatial))]
    public void InstanceNormAndOneChannelGroupsMatchTheReference(int spatial)
    {
        const int n = 2, c = Channels, hugeBlock = 6, nanBlock = c + 9;
        nint[] shape = [n, c, spatial];
        double[] xd = Input(n * c, spatial, spatial, 1e30, hugeBlock, nanBlock);
        float[] x = xd.Select(v => (float)v).ToArray();
        double[] g = Params(c, 1, 1), b = Params(c, 2, 0);
        float[] gf = g.Select(v => (float)v).ToArray(), bf = b.Select(v => (float)v).ToArray();
        double[] xr = x.Select(v => (double)v).ToArray();

        float[] y = new float[x.Length];
        TensorKernels.InormAffine(new ReadOnlyTensorSpan<float>(x, shape), gf, bf, new TensorSpan<float>(y, shape));
        double[] expected = TensorReference.GroupNorm(xr, n, c, spatial, c, g.Select(v => (double)(float)v).ToArray(), b.Select(v => (double)(float)v).ToArray(), Eps);
        AssertBlocks("InstanceNorm affine", y.Select(v => (double)v).ToArray(), expected, spatial, nanBlock, 2e-5);

        // Saved statistics per (n, c) block.
        float[] y2 = new float[x.Length], mean = new float[n * c], rstd = new float[n * c];
        GradTensor.In(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(y2, shape), mean, rstd);
        AssertBlocks("InstanceNorm", y2.Select(v => (double)v).ToArray(), TensorReference.GroupNorm(xr, n, c, spatial, c, null, null, Eps), spatial, nanBlock, 2e-5);
        for (int block = 0; block < n * c; block++)
        {
            if (block == nanBlock) { Assert.True(float.IsNaN(mean[block]) && float.IsNaN(rstd[block])); continue; }
            var (m, v) = TensorReference.Moments(Enumerable.Range(block * spatial, spatial), xr);
            Assert.Equal(m, mean[block], Math.Abs(m) * 1e-5 + 1e-5);
            double r = 1 / Math.Sqrt(v + Eps);
            Assert.True(Math.Abs(rstd[block] - r) <= 1e-5 * r, $"rstd of block {block}: {rstd[block]}, expected {r}");
        }

        // GroupNorm with 32 groups over 32 channels: one channel per group, the same register path.
        nint[] shape32 = [1, 32, spatial];
        double[] x32d = Input(32, spatial, 100 + spatial, 1e30, 5, 30);
        float[] x32 = x32d.Select(v => (float)v).ToArray(), g32 = Params(32, 3, 1).Select(v => (float)v).ToArray(), b32 = Params(32, 4, 0).Select(v => (float)v).ToArray();
        float[] y32 = new float[x32.Length], gm = new float[32], gr = new float[32];
        GradTensor.Gn(new ReadOnlyTensorSpan<float>(x32, shape32), g32, b32, new TensorSpan<float>(y32, shape32), gm, gr);
        double[] expected32 = TensorReference.GroupNorm(x32.Select(v => (double)v).ToArray(), 1, 32, spatial, 32, g32.Select(v => (double)v).ToArray(), b32.Select(v => (double)v).ToArray(), Eps);
        AssertBlocks("GroupNorm(32) over 32 channels", y32.Select(v => (double)v).ToArray(), expected32, spatial, 30, 2e-5);

        // double, with values whose squares overflow double.
        double[] xdd = Input(n * c, spatial, 200 + spatial, 1e200, hugeBlock, nanBlock);
        double[] ydd = new double[xdd.Length];
        TensorKernels.InormDouble(new ReadOnlyTensorSpan<double>(xdd, shape), new TensorSpan<double>(ydd, shape));
        double[] expectedD = WithHugeBlock((v, e) => TensorReference.GroupNorm(v, n, c, spatial, c, null, null, e), xdd, spatial, hugeBlock, 1e200, Eps);
        AssertBlocks("InstanceNorm double", ydd, expectedD, spatial, nanBlock, 1e-12);

        // In place equals out of place.
        float[] inPlace = (float[])x.Clone();
        TensorKernels.InormAffine(new ReadOnlyTensorSpan<float>(inPlace, shape), gf, bf, new TensorSpan<float>(inPlace, shape));
        Assert.Equal(y, inPlace);
    }

    [Theory, MemberData(nameof(BatchSpatial))]
    public void BatchNormTrainingOfOneSampleMatchesTheReference(int spatial)
    {
        const int c = Channels, hugeBlock = 6, nanBlock = 9;
        nint[] shape = [1, c, spatial];
        double[] xd = Input(c, spatial, 300 + spatial, 1e30, hugeBlock, nanBlock);
        float[] x = xd.Select(v => (float)v).ToArray();
        double[] xr = x.Select(v => (double)v).ToArray();
        float[] g = Params(c, 5, 1).Select(v => (float)v).ToArray(), b = Params(c, 6, 0).Select(v => (float)v).ToArray();
        float[] rm0 = Params(c, 7, 0).Select(v => (float)v).ToArray(), rv0 = Params(c, 8, 1).Select(v => (float)v).ToArray();
        double[] expected = TensorReference.BatchNormTrain(xr, 1, c, spatial, g.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray(), Eps, out double[] mean, out double[] var);

        float[] y = new float[x.Length], rm = (float[])rm0.Clone(), rv = (float[])rv0.Clone(), saveMean = new float[c], saveRstd = new float[c];
        GradTensor.BnTrain(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm, rv, new TensorSpan<float>(y, shape), saveMean, saveRstd);
        AssertBlocks("BatchNorm training", y.Select(v => (double)v).ToArray(), expected, spatial, nanBlock, 2e-5);
        for (int ch = 0; ch < c; ch++)
        {
            if (ch == nanBlock)
            {
                Assert.True(float.IsNaN(rm[ch]) && float.IsNaN(saveMean[ch]));
                continue;
            }
            double expectedMean = 0.9 * rm0[ch] + 0.1 * mean[ch];
            Assert.True(Math.Abs(rm[ch] - expectedMean) <= 1e-5 * (1 + Math.Abs(expectedMean)), $"runningMean[{ch}] {rm[ch]}, expected {expectedMean}");
            Assert.True(Math.Abs(saveMean[ch] - mean[ch]) <= 1e-5 * (1 + Math.Abs(mean[ch])), $"saveMean[{ch}] {saveMean[ch]}, expected {mean[ch]}");
            double r = 1 / Math.Sqrt(var[ch] + Eps);
            Assert.True(Math.Abs(saveRstd[ch] - r) <= 1e-5 * r, $"saveRstd[{ch}] {saveRstd[ch]}, expected {r}");
            if (ch == hugeBlock)
                Assert.Equal(float.PositiveInfinity, rv[ch]); // an unbiased variance of 1e59 does not fit float
            else
            {
                double expectedVar = 0.9 * rv0[ch] + 0.1 * var[ch] * spatial / (spatial - 1);
                Assert.True(Math.Abs(rv[ch] - expectedVar) <= 1e-5 * (1 + Math.Abs(expectedVar)), $"runningVar[{ch}] {rv[ch]}, expected {expectedVar}");
            }
        }

        // The declaration without saved statistics gives the same bits; in place too.
        float[] y2 = new float[x.Length], rm2 = (float[])rm0.Clone(), rv2 = (float[])rv0.Clone();
        Blocks.BnTrain(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm2, rv2, new TensorSpan<float>(y2, shape));
        Assert.Equal(y, y2);
        Assert.Equal(rm, rm2);
        Assert.Equal(rv, rv2);
        float[] inPlace = (float[])x.Clone();
        Blocks.BnTrain(new ReadOnlyTensorSpan<float>(inPlace, shape), g, b, (float[])rm0.Clone(), (float[])rv0.Clone(), new TensorSpan<float>(inPlace, shape));
        Assert.Equal(y, inPlace);

        // double (momentum 0.25, ε 1e-3), with values whose squares overflow double.
        double[] xdd = Input(c, spatial, 400 + spatial, 1e200, hugeBlock, nanBlock);
        double[] gd = g.Select(v => (double)v).ToArray(), bd = b.Select(v => (double)v).ToArray();
        double[] expectedD = WithHugeBlock((v, e) => TensorReference.BatchNormTrain(v, 1, c, spatial, gd, bd, e, out _, out _), xdd, spatial, hugeBlock, 1e200, 1e-3);
        TensorReference.BatchNormTrain(xdd, 1, c, spatial, gd, bd, 1e-3, out double[] meanD, out _);
        double[] yd = new double[xdd.Length], rmd = new double[c], rvd = Enumerable.Repeat(1d, c).ToArray();
        TensorKernels.BnTrainDouble(new ReadOnlyTensorSpan<double>(xdd, shape), gd, bd, rmd, rvd, new TensorSpan<double>(yd, shape));
        AssertBlocks("BatchNorm training double", yd, expectedD, spatial, nanBlock, 1e-12);
        for (int ch = 0; ch < c; ch++)
            if (ch != nanBlock)
                Assert.True(Math.Abs(rmd[ch] - 0.25 * meanD[ch]) <= 1e-12 * (1 + Math.Abs(meanD[ch])), $"double runningMean[{ch}]");
    }

    [Theory]
    [InlineData(49)]
    [InlineData(17)]
    [InlineData(63)]
    public void SmallBlocksGiveTheSameBitsOnOneThreadAndOnSeven(int spatial)
    {
        const int n = 3, c = 256;
        nint[] shape = [n, c, spatial], one = [1, c, spatial];
        float[] x = Input(n * c, spatial, 7, 1e30, 100, 301).Select(v => (float)v).ToArray();
        float[] g = Params(c, 1, 1).Select(v => (float)v).ToArray(), b = Params(c, 2, 0).Select(v => (float)v).ToArray();
        float[][] Outputs(int threads)
        {
            using var scope = new SettingsScope(threads, 64);
            float[] y = new float[x.Length], mean = new float[n * c], rstd = new float[n * c];
            GradTensor.In(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(y, shape), mean, rstd);
            float[] ya = new float[x.Length];
            TensorKernels.InormAffine(new ReadOnlyTensorSpan<float>(x, shape), g, b, new TensorSpan<float>(ya, shape));
            float[] yb = new float[c * spatial], rm = new float[c], rv = Enumerable.Repeat(1f, c).ToArray(), sm = new float[c], sr = new float[c];
            GradTensor.BnTrain(new ReadOnlyTensorSpan<float>(x.AsSpan(0, c * spatial).ToArray(), one), g, b, rm, rv, new TensorSpan<float>(yb, one), sm, sr);
            return [y, mean, rstd, ya, yb, rm, rv, sm, sr];
        }
        float[][] single = Outputs(1), seven = Outputs(7);
        for (int i = 0; i < single.Length; i++)
            Assert.True(single[i].AsSpan().SequenceEqual(seven[i]), $"output {i} differs between one thread and seven");
    }

    /// <summary>
    /// BatchNorm training with several samples whose blocks are one to four 512-bit vectors (the register path of
    /// BlockEngine.SmallBlockChannels on AVX-512), or longer (whole channels, four blocks' sums at a time in
    /// BlockEngine.Channels512, redone block by block for the huge and the NaN channel): against the double reference with a channel of huge values and a channel
    /// holding a NaN, in place, and bitwise equal to the sample split on seven threads, which sums the same blocks with the
    /// general loops (TensorBlocks.SweptMoments, BatchApply).
    /// </summary>
    [Theory]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(49)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(221)]
    public void BatchNormTrainingOfSeveralSamplesMatchesTheReferenceAndTheSampleSplit(int spatial) => CheckBatchNormTraining(8, spatial, 500 + spatial);

    /// <summary>
    /// BatchNorm training of a tensor from 4 MiB (nine samples of three channels of 40,000: on AVX-512,
    /// BlockEngine.SweptChannels512, each pass a sweep in memory order four samples at a time, the ninth sample left
    /// over; 7,200 samples of blocks of 49: SweptSmallBlockChannels): the checks of <see cref="BatchNormTrainingOfSeveralSamplesMatchesTheReferenceAndTheSampleSplit"/>, and
    /// bitwise equal on two threads (a channel range each, swept) too.
    /// </summary>
    [Theory]
    [InlineData(9, 40000)]
    [InlineData(7200, 49)] // blocks of 49 floats: BlockEngine.SweptSmallBlockChannels
    public void BatchNormTrainingOfALargeTensorMatchesTheReferenceOnAnyThreadCount(int n, int spatial) => CheckBatchNormTraining(n, spatial, 77 + spatial);

    /// <summary>
    /// n samples of three channels of <paramref name="spatial"/> elements, channel 1 huge (×1e30) and channel 2 holding a
    /// NaN: one thread against the double reference, and bitwise equal on two and seven threads and in place.
    /// </summary>
    private static void CheckBatchNormTraining(int n, int spatial, int seed)
    {
        const int c = 3, hugeChannel = 1, nanChannel = 2;
        nint[] shape = [n, c, spatial];
        var random = new Random(seed);
        float[] x = new float[n * c * spatial];
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / spatial % c;
            x[i] = (float)(3 + 2 * (random.NextDouble() * 2 - 1)) * (ch == hugeChannel ? 1e30f : 1f);
        }
        x[(4 * c + nanChannel) * spatial + spatial / 2] = float.NaN;
        float[] g = Params(c, 11, 1).Select(v => (float)v).ToArray(), b = Params(c, 12, 0).Select(v => (float)v).ToArray();
        double[] gd = g.Select(v => (double)v).ToArray(), bd = b.Select(v => (double)v).ToArray();

        // The reference; the huge channel's from its values divided by 1e30 and ε ≈ 0 (ε is nothing beside a variance of 1e60).
        double[] xr = x.Select(v => (double)v).ToArray(), scaled = x.Select((v, i) => i / spatial % c == hugeChannel ? v / 1e30 : (double)v).ToArray();
        double[] expected = TensorReference.BatchNormTrain(xr, n, c, spatial, gd, bd, Eps, out double[] mean, out double[] var);
        double[] expectedHuge = TensorReference.BatchNormTrain(scaled, n, c, spatial, gd, bd, 1e-300, out _, out _);

        float[][] Outputs(int threads, bool inPlace)
        {
            using var scope = new SettingsScope(threads, 64);
            float[] y = inPlace ? (float[])x.Clone() : new float[x.Length], rm = new float[c], rv = Enumerable.Repeat(1f, c).ToArray();
            float[] sm = new float[c], sr = new float[c];
            GradTensor.BnTrain(new ReadOnlyTensorSpan<float>(inPlace ? y : x, shape), g, b, rm, rv, new TensorSpan<float>(y, shape), sm, sr);
            return [y, rm, rv, sm, sr];
        }
        float[][] one = Outputs(1, false);
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / spatial % c;
            if (ch == nanChannel)
            {
                Assert.True(float.IsNaN(one[0][i]), $"element {i} of the NaN channel is {one[0][i]}");
                continue;
            }
            double e = ch == hugeChannel ? expectedHuge[i] : expected[i];
            Assert.True(Math.Abs(one[0][i] - e) <= 2e-5 * (1 + Math.Abs(e)), $"element {i} is {one[0][i]}, expected {e}");
        }
        Assert.True(float.IsNaN(one[1][nanChannel]) && float.IsNaN(one[3][nanChannel]));
        double expectedMean = 0.1 * mean[0], expectedVar = 0.9 + 0.1 * var[0] * (n * spatial) / (n * spatial - 1d);
        Assert.True(Math.Abs(one[1][0] - expectedMean) <= 1e-5 * (1 + Math.Abs(expectedMean)), $"runningMean[0] {one[1][0]}, expected {expectedMean}");
        Assert.True(Math.Abs(one[2][0] - expectedVar) <= 1e-5 * (1 + expectedVar), $"runningVar[0] {one[2][0]}, expected {expectedVar}");
        Assert.True(Math.Abs(one[4][0] - 1 / Math.Sqrt(var[0] + Eps)) <= 1e-5 / Math.Sqrt(var[0] + Eps), $"saveRstd[0] {one[4][0]}");

        float[][] two = Outputs(2, false), split = Outputs(7, false), inPlace = Outputs(1, true);
        for (int i = 0; i < one.Length; i++)
        {
            Assert.True(one[i].AsSpan().SequenceEqual(two[i]), $"output {i} differs between one thread and two");
            Assert.True(one[i].AsSpan().SequenceEqual(split[i]), $"output {i} differs between one thread and the sample split on seven");
            Assert.True(one[i].AsSpan().SequenceEqual(inPlace[i]), $"output {i} differs in place");
        }
    }
}
