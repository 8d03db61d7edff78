using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// GroupNorm and InstanceNorm statistics of blocks of 64 elements and more (BlockEngine.BlockStatistics, and
/// TensorBlocks.LargerBlocks four InstanceNorm blocks at a time): the shift is the mean of the block's first 512-bit
/// vector, one pass adds Σ(x − shift) and Σ(x − shift)², and a block whose start is far from its mean
/// (BlockEngine.OnePassHolds) takes a second pass around the mean. Blocks one pass settles (independent values around a
/// large mean, a constant block) and blocks it does not (a first vector far from the rest, a trend along the block),
/// against the double reference; each InstanceNorm channel bitwise equal to the same channel alone (the single-block
/// path) and the tensor equal on one and two threads.
/// </summary>
[Collection(SettingsCollection.Name)]
public class GroupOneSweepTests
{
    /// <summary>What a block holds: block kind g for group g of each sample (InstanceNorm: channel g), Plain from 4 on.</summary>
    private enum Block { LargeMean, FarFirstVector, Constant, Trend, Plain }

    private static Block KindOf(int channel) => channel < 4 ? (Block)channel : Block.Plain;

    private static double[] Input(int n, int c, int spatial, int perGroup, bool asFloat)
    {
        var random = new Random(n * 100 + c * 10 + spatial);
        double[] x = new double[n * c * spatial];
        for (int i = 0; i < x.Length; i++)
        {
            int channel = i / spatial % c, j = i % spatial, inGroup = channel % perGroup * spatial + j;
            double u = random.NextDouble() * 2 - 1;
            double v = KindOf(channel / perGroup) switch
            {
                Block.LargeMean => 1e4 + 1.7 * u,
                Block.FarFirstVector => (inGroup < 16 ? 40 : 0) + u,
                Block.Constant => 7.25,
                Block.Trend => 0.1 * inGroup + u,
                _ => 0.5 + u,
            };
            x[i] = asFloat ? (float)v : v;
        }
        return x;
    }

    private static double[] InstanceFloat(double[] x, int n, int c, int spatial, int threads, out double[] mean, out double[] rstd)
    {
        using var scope = new SettingsScope(threads, 64);
        nint[] shape = [n, c, spatial];
        float[] xf = x.Select(v => (float)v).ToArray(), y = new float[x.Length], m = new float[n * c], r = new float[n * c];
        GradTensor.In(new ReadOnlyTensorSpan<float>(xf, shape), new TensorSpan<float>(y, shape), m, r);
        mean = m.Select(v => (double)v).ToArray();
        rstd = r.Select(v => (double)v).ToArray();
        return y.Select(v => (double)v).ToArray();
    }

    /// <summary>
    /// InstanceNorm float: (1, 7, 196) and (2, 7, 100) (four blocks at a time, then three alone), (3, 5, 512) (the
    /// longest block taken four at a time), (2, 6, 1000) (past it: one block at a time).
    /// </summary>
    [Theory]
    [InlineData(1, 7, 196)]
    [InlineData(2, 7, 100)]
    [InlineData(3, 5, 512)]
    [InlineData(2, 6, 1000)]
    public void InstanceNormFloatBlocksInOnePassOrTwoMatchTheReferenceAndTheBlockAlone(int n, int c, int spatial)
    {
        double[] x = Input(n, c, spatial, 1, asFloat: true);
        double[] expected = TensorReference.GroupNorm(x, n, c, spatial, c, null, null, 1e-5);
        double[] y = InstanceFloat(x, n, c, spatial, 1, out double[] mean, out double[] rstd);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 3e-5 * (1 + Math.Abs(expected[i])),
                $"element {i} ({KindOf(i / spatial % c)}) is {y[i]}, expected {expected[i]}");
        for (int b = 0; b < n * c; b++)
        {
            double[] block = x.AsSpan(b * spatial, spatial).ToArray();
            double m = block.Average(), v = block.Select(e => (e - m) * (e - m)).Average();
            Assert.True(Math.Abs(mean[b] - m) <= 1e-6 * (1 + Math.Abs(m)), $"saved mean of block {b} ({KindOf(b % c)}): {mean[b]}, expected {m}");
            Assert.True(Math.Abs(rstd[b] - 1 / Math.Sqrt(v + 1e-5)) <= 1e-5 / Math.Sqrt(v + 1e-5), $"saved rstd of block {b} ({KindOf(b % c)}): {rstd[b]}");
        }

        // The constant block exactly: mean 7.25, y = 0.
        for (int s = 0; s < n; s++)
        {
            Assert.Equal(7.25, mean[s * c + (int)Block.Constant]);
            Assert.All(y.AsSpan((s * c + (int)Block.Constant) * spatial, spatial).ToArray(), e => Assert.Equal(0.0, e));
        }

        double[] two = InstanceFloat(x, n, c, spatial, 2, out double[] mean2, out double[] rstd2);
        Assert.True(y.AsSpan().SequenceEqual(two) && mean.AsSpan().SequenceEqual(mean2) && rstd.AsSpan().SequenceEqual(rstd2), "one thread and two differ");
        for (int b = 0; b < n * c; b++)
        {
            double[] alone = InstanceFloat(x.AsSpan(b * spatial, spatial).ToArray(), 1, 1, spatial, 1, out double[] meanAlone, out double[] rstdAlone);
            Assert.True(alone.AsSpan().SequenceEqual(y.AsSpan(b * spatial, spatial)), $"block {b} ({KindOf(b % c)}) differs from the block alone");
            Assert.True(meanAlone[0] == mean[b] && rstdAlone[0] == rstd[b], $"the statistics of block {b} ({KindOf(b % c)}) differ from the block alone");
        }
    }

    /// <summary>InstanceNorm double, blocks of 100 (one at a time), against the reference.</summary>
    [Fact]
    public void InstanceNormDoubleBlocksInOnePassOrTwoMatchTheReference()
    {
        const int n = 2, c = 6, spatial = 100;
        double[] x = Input(n, c, spatial, 1, asFloat: false), y = new double[x.Length];
        nint[] shape = [n, c, spatial];
        TensorKernels.InormDouble(new ReadOnlyTensorSpan<double>(x, shape), new TensorSpan<double>(y, shape));
        double[] expected = TensorReference.GroupNorm(x, n, c, spatial, c, null, null, 1e-5);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-12 * (1 + Math.Abs(expected[i])), $"element {i} ({KindOf(i / spatial % c)}) is {y[i]}, expected {expected[i]}");
    }

    /// <summary>GroupNorm(4) float over 8 channels of 50 (groups of 100) and GroupNorm(2) double over 8 of 40 (groups of 160), against the reference.</summary>
    [Fact]
    public void GroupNormBlocksInOnePassOrTwoMatchTheReference()
    {
        const int n = 2, c = 8;
        double[] g = Enumerable.Range(0, c).Select(i => 0.75 + 0.125 * i).ToArray(), b = Enumerable.Range(0, c).Select(i => -0.5 + 0.25 * i).ToArray();

        double[] x = Input(n, c, 50, 2, asFloat: true);
        nint[] shape = [n, c, 50];
        float[] yf = new float[x.Length];
        TensorKernels.Gn4(new ReadOnlyTensorSpan<float>(x.Select(v => (float)v).ToArray(), shape), g.Select(v => (float)v).ToArray(),
            b.Select(v => (float)v).ToArray(), new TensorSpan<float>(yf, shape));
        double[] expected = TensorReference.GroupNorm(x, n, c, 50, 4, g, b, 1e-5);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(yf[i] - expected[i]) <= 3e-5 * (1 + Math.Abs(expected[i])), $"float element {i} is {yf[i]}, expected {expected[i]}");

        double[] xd = Input(n, c, 40, 4, asFloat: false), yd = new double[xd.Length];
        shape = [n, c, 40];
        TensorKernels.Gn2Double(new ReadOnlyTensorSpan<double>(xd, shape), g, b, new TensorSpan<double>(yd, shape));
        expected = TensorReference.GroupNorm(xd, n, c, 40, 2, g, b, 1e-6);
        for (int i = 0; i < xd.Length; i++)
            Assert.True(Math.Abs(yd[i] - expected[i]) <= 1e-12 * (1 + Math.Abs(expected[i])), $"double element {i} is {yd[i]}, expected {expected[i]}");
    }
}
