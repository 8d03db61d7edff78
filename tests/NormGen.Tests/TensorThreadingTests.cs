using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// Every tensor kind spreads its independent units (blocks, channels, column ranges) over the pool for large tensors; a unit's
/// result must not depend on the thread that computes it, nor on how many threads share the call.
/// </summary>
[Collection(SettingsCollection.Name)]
public class TensorThreadingTests
{
    private static float[] Run(int maxDegree, Action<float[]> kernel, int length)
    {
        using var scope = new SettingsScope(maxDegree, minElementsPerThread: 1024);
        var y = new float[length];
        kernel(y);
        return y;
    }

    [Fact]
    public void GroupNormInstanceNormAndBatchNormGiveTheSameBitsOnOneThreadAndOnAll()
    {
        nint[] shape = [4, 64, 33, 33];
        int length = 4 * 64 * 33 * 33;
        var rng = new Random(5);
        float[] x = Enumerable.Range(0, length).Select(i => (float)(rng.NextDouble() * 4 - 2 + (i / 1089) % 7)).ToArray();
        float[] g = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() + 0.5)).ToArray();
        float[] b = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();

        using (new SettingsScope(-1, 1024))
            Assert.True(Environment.ProcessorCount < 2 || RowScheduler.DegreeOfParallelism(4 * 32, 2 * 1089) > 1, "the parallel path should be taken");

        void Gn(float[] y) => Blocks.Gn(new ReadOnlyTensorSpan<float>(x, shape), g, b, new TensorSpan<float>(y, shape));
        void In(float[] y) => TensorKernels.InormAffine(new ReadOnlyTensorSpan<float>(x, shape), g, b, new TensorSpan<float>(y, shape));
        Assert.Equal(Run(1, Gn, length), Run(-1, Gn, length));
        Assert.Equal(Run(1, In, length), Run(-1, In, length));

        float[] rm = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        float[] rv = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() + 0.1)).ToArray();
        void Bn(float[] y) => Blocks.BnEval(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm, rv, new TensorSpan<float>(y, shape));
        Assert.Equal(Run(1, Bn, length), Run(-1, Bn, length));
        nint[] flat = [length / 64, 64]; // (N, C): one unit per sample
        void BnRows(float[] y) => Blocks.BnEval(new ReadOnlyTensorSpan<float>(x, flat), g, b, rm, rv, new TensorSpan<float>(y, flat));
        Assert.Equal(Run(1, BnRows, length), Run(-1, BnRows, length));

        // In place, on all threads, equals out of place.
        float[] inPlace = (float[])x.Clone();
        using (new SettingsScope(-1, 1024))
            Blocks.Gn(new ReadOnlyTensorSpan<float>(inPlace, shape), g, b, new TensorSpan<float>(inPlace, shape));
        Assert.Equal(Run(1, Gn, length), inPlace);
    }

    [Fact]
    public void BatchNormEvaluationMatchesTheReferenceWhenAThreadStartsMidChannel()
    {
        // 15 (sample, channel) blocks of 169 over four threads (4, 4, 4, 3 blocks): the second, third and fourth start at
        // channels 4, 3 and 2 of their samples, so each block must find its own channel's scale and shift.
        nint[] shape = [3, 5, 13, 13];
        const int channels = 5, spatial = 169, length = 3 * channels * spatial;
        float[] x = Data(length, 11), g = Data(channels, 12), b = Data(channels, 13), rm = Data(channels, 14);
        float[] rv = Data(channels, 15).Select(v => Math.Abs(v) + 0.5f).ToArray();
        float[] threaded = new float[length], single = new float[length];
        using (new SettingsScope(4, 512))
        {
            Assert.Equal(4, RowScheduler.DegreeOfParallelism(3 * channels, spatial));
            Blocks.BnEval(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm, rv, new TensorSpan<float>(threaded, shape));
        }
        using (new SettingsScope(1, 512))
            Blocks.BnEval(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm, rv, new TensorSpan<float>(single, shape));
        Assert.Equal(single, threaded);
        for (int i = 0; i < length; i++)
        {
            int c = i / spatial % channels;
            double expected = (x[i] - (double)rm[c]) / Math.Sqrt(rv[c] + 1e-5) * g[c] + b[c];
            Assert.True(Math.Abs(threaded[i] - expected) <= 1e-4 + 1e-5 * Math.Abs(expected), $"element {i} (channel {c}): {threaded[i]} against {expected}");
        }
    }

    [Theory]
    [InlineData(5, 250, 1)] // (N, C), folded on the stack: C not a whole number of 64-byte lines, the shift starts past padding
    [InlineData(5, 256, 1)] // the most channels folded on the stack
    [InlineData(5, 257, 1)] // the fewest folded in a pooled array
    [InlineData(3, 256, 9)] // (N, C, *)
    [InlineData(3, 300, 9)]
    public void BatchNormEvaluationMatchesTheReferenceWithItsChannelsFoldedOnTheStackOrInAPooledArray(int n, int c, int spatial)
    {
        nint[] shape = spatial == 1 ? [n, c] : [n, c, spatial];
        int length = n * c * spatial;
        float[] x = Data(length, 21), g = Data(c, 22), b = Data(c, 23), rm = Data(c, 24);
        float[] rv = Data(c, 25).Select(v => Math.Abs(v) + 0.5f).ToArray();
        double[] Wide(float[] v) => v.Select(e => (double)e).ToArray();
        foreach (int degree in new[] { 1, 4 })
        {
            float[] y = new float[length];
            double[] yd = new double[length];
            using (new SettingsScope(degree, 256))
            {
                Assert.Equal(degree, RowScheduler.DegreeOfParallelism(spatial == 1 ? n : n * c, spatial == 1 ? c : spatial));
                Blocks.BnEval(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm, rv, new TensorSpan<float>(y, shape));
                TensorKernels.BnEvalDouble(new ReadOnlyTensorSpan<double>(Wide(x), shape), Wide(g), Wide(b), Wide(rm), Wide(rv), new TensorSpan<double>(yd, shape));
            }
            for (int i = 0; i < length; i++)
            {
                int channel = i / spatial % c;
                double expected = (x[i] - (double)rm[channel]) / Math.Sqrt(rv[channel] + 1e-5) * g[channel] + b[channel];
                Assert.True(Math.Abs(y[i] - expected) <= 1e-5 + 1e-5 * Math.Abs(expected), $"float element {i} (channel {channel}, {degree} threads): {y[i]} against {expected}");
                Assert.True(Math.Abs(yd[i] - expected) <= 1e-12 + 1e-12 * Math.Abs(expected), $"double element {i} (channel {channel}, {degree} threads): {yd[i]} against {expected}");
            }
        }
    }

    /// <summary>The outputs of one call (y and whatever else it writes) with the given thread limit, on a fresh copy of its state.</summary>
    private static T[][] Outputs<T>(int maxDegree, Func<T[][]> call)
    {
        using var scope = new SettingsScope(maxDegree, minElementsPerThread: 512);
        return call();
    }

    private static void SameBitsOnAnyThreadCount<T>(Func<T[][]> call)
    {
        T[][] one = Outputs(1, call);
        foreach (int degree in new[] { 2, 7, -1 })
        {
            T[][] other = Outputs(degree, call);
            Assert.Equal(one.Length, other.Length);
            for (int i = 0; i < one.Length; i++)
                Assert.True(one[i].AsSpan().SequenceEqual(other[i]), $"output {i} differs with MaxDegreeOfParallelism = {degree}");
        }
    }

    private static float[] Data(int length, int seed, double spread = 4)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(i => (float)(rng.NextDouble() * spread - spread / 2 + (i % 13) * 0.25)).ToArray();
    }

    [Theory]
    [InlineData(3, 70, 5, 7)]   // (N, C, *): one unit per channel
    [InlineData(2, 9, 33, 31)]
    [InlineData(24, 256, 14, 14)] // 4.8 MB: whole channels (BlockEngine.Channels512; without 512-bit vectors one thread sweeps in memory order, SampleMajor), the pool by channel
    [InlineData(300, 1000, 1, 1)] // (N, C): ranges of channels (15 ranges, the last 104 wide)
    [InlineData(40, 130, 1, 1)]   // (N, C): two ranges, the last not a whole number of vectors
    public void BatchNormTrainingGivesTheSameBitsOnAnyThreadCount(int n, int c, int h, int w)
    {
        nint[] shape = h * w == 1 ? [n, c] : [n, c, h, w];
        int length = n * c * h * w;
        float[] x = Data(length, 1), g = Data(c, 2), b = Data(c, 3);
        float[] rm0 = Data(c, 4), rv0 = Data(c, 5).Select(v => Math.Abs(v) + 0.5f).ToArray();
        using (new SettingsScope(-1, 512))
        {
            int units = h * w == 1 ? TensorBlocks.ColumnRanges(c) : c;
            Assert.True(Environment.ProcessorCount < 2 || RowScheduler.DegreeOfParallelism(units, length / units) > 1, "the parallel path should be taken");
        }
        SameBitsOnAnyThreadCount(() =>
        {
            float[] y = new float[length], rm = (float[])rm0.Clone(), rv = (float[])rv0.Clone(), mean = new float[c], rstd = new float[c];
            GradTensor.BnTrain(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm, rv, new TensorSpan<float>(y, shape), mean, rstd);
            return new[] { y, rm, rv, mean, rstd };
        });
        SameBitsOnAnyThreadCount(() =>
        {
            double[] xd = x.Select(v => (double)v).ToArray(), y = new double[length], rm = rm0.Select(v => (double)v).ToArray(), rv = rv0.Select(v => (double)v).ToArray();
            TensorKernels.BnTrainDouble(new ReadOnlyTensorSpan<double>(xd, shape), g.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray(), rm, rv, new TensorSpan<double>(y, shape));
            return new[] { y, rm, rv };
        });
        // In place on all threads equals out of place on one.
        float[] inPlace = (float[])x.Clone(), rmA = (float[])rm0.Clone(), rvA = (float[])rv0.Clone();
        using (new SettingsScope(-1, 512))
            Blocks.BnTrain(new ReadOnlyTensorSpan<float>(inPlace, shape), g, b, rmA, rvA, new TensorSpan<float>(inPlace, shape));
        float[] expected = new float[length], rmB = (float[])rm0.Clone(), rvB = (float[])rv0.Clone();
        using (new SettingsScope(1, 512))
            Blocks.BnTrain(new ReadOnlyTensorSpan<float>(x, shape), g, b, rmB, rvB, new TensorSpan<float>(expected, shape));
        Assert.Equal(expected, inPlace);
        Assert.Equal(rmB, rmA);
        Assert.Equal(rvB, rvA);
    }

    [Theory]
    [InlineData(16, 1, 20, 20, false)] // one channel: only the split by sample spreads it
    [InlineData(6, 3, 17, 19, false)]  // three channels on seven threads; blocks of 323 (a masked tail)
    [InlineData(200, 2, 3, 5, false)]  // blocks of 15, shorter than a 512-bit vector of floats
    [InlineData(9, 2, 16, 16, true)]   // channel 0's squares overflow float: the huge-value fallback inside the split
    public void BatchNormTrainingSplitBySampleGivesTheSameBitsOnAnyThreadCount(int n, int c, int h, int w, bool huge)
    {
        nint[] shape = [n, c, h, w];
        int length = n * c * h * w, spatial = h * w;
        float[] x = Data(length, 21, spread: 50), g = Data(c, 22), b = Data(c, 23);
        if (huge)
            for (int s = 0; s < n; s++)
                for (int i = 0; i < spatial; i++)
                    x[s * c * spatial + i] *= 3e19f;
        float[] rm0 = Data(c, 24), rv0 = Data(c, 25).Select(v => Math.Abs(v) + 0.5f).ToArray();
        using (new SettingsScope(7, 512))
            Assert.True(RowScheduler.DegreeOfParallelism(c * n, spatial) > RowScheduler.DegreeOfParallelism(c, length / c), "seven threads should split the channels by sample");
        SameBitsOnAnyThreadCount(() =>
        {
            float[] y = new float[length], rm = (float[])rm0.Clone(), rv = (float[])rv0.Clone(), mean = new float[c], rstd = new float[c];
            GradTensor.BnTrain(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm, rv, new TensorSpan<float>(y, shape), mean, rstd);
            return new[] { y, rm, rv, mean, rstd };
        });
        SameBitsOnAnyThreadCount(() =>
        {
            double[] xd = x.Select(v => (double)v).ToArray(), y = new double[length], rm = rm0.Select(v => (double)v).ToArray(), rv = rv0.Select(v => (double)v).ToArray();
            TensorKernels.BnTrainDouble(new ReadOnlyTensorSpan<double>(xd, shape), g.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray(), rm, rv, new TensorSpan<double>(y, shape));
            return new[] { y, rm, rv };
        });
        if (!huge) // Half cannot hold 3e19
            SameBitsOnAnyThreadCount(() =>
            {
                Half[] y = new Half[length], rm = rm0.Select(v => (Half)v).ToArray(), rv = rv0.Select(v => (Half)v).ToArray();
                TensorKernels.BnTrainHalf(new ReadOnlyTensorSpan<Half>(x.Select(v => (Half)v).ToArray(), shape), g.Select(v => (Half)v).ToArray(), b.Select(v => (Half)v).ToArray(), rm, rv, new TensorSpan<Half>(y, shape));
                return new[] { y, rm, rv };
            });
        // In place on seven threads equals out of place on one.
        float[] inPlace = (float[])x.Clone(), rmA = (float[])rm0.Clone(), rvA = (float[])rv0.Clone();
        using (new SettingsScope(7, 512))
            Blocks.BnTrain(new ReadOnlyTensorSpan<float>(inPlace, shape), g, b, rmA, rvA, new TensorSpan<float>(inPlace, shape));
        float[] expected = new float[length], rmB = (float[])rm0.Clone(), rvB = (float[])rv0.Clone();
        using (new SettingsScope(1, 512))
            Blocks.BnTrain(new ReadOnlyTensorSpan<float>(x, shape), g, b, rmB, rvB, new TensorSpan<float>(expected, shape));
        Assert.Equal(expected, inPlace);
        Assert.Equal(rmB, rmA);
        Assert.Equal(rvB, rvA);
        Assert.All(expected, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(2, 24, 9, 29)]    // 261 positions: four ranges of 64, the last 69 wide (not whole vectors)
    [InlineData(3, 7, 40, 50)]    // 2000 positions: ranges of 128
    [InlineData(2, 16, 5, 11)]    // 55 positions: narrower than a range (one unit per sample)
    public void ChannelLayerNormGivesTheSameBitsOnAnyThreadCount(int n, int c, int h, int w)
    {
        nint[] shape = [n, c, h, w];
        int length = n * c * h * w, columns = n * h * w;
        float[] x = Data(length, 7), g = Data(c, 8), b = Data(c, 9);
        SameBitsOnAnyThreadCount(() =>
        {
            float[] y = new float[length], mean = new float[columns], rstd = new float[columns];
            GradChannel.Cln(new ReadOnlyTensorSpan<float>(x, shape), g, b, new TensorSpan<float>(y, shape), mean, rstd);
            return new[] { y, mean, rstd };
        });
        SameBitsOnAnyThreadCount(() =>
        {
            float[] y = new float[length];
            TensorKernels.ChannelLnBiasFree(new ReadOnlyTensorSpan<float>(x, shape), g, new TensorSpan<float>(y, shape));
            return new[] { y };
        });
        SameBitsOnAnyThreadCount(() =>
        {
            double[] y = new double[length];
            TensorKernels.ChannelLnDouble(new ReadOnlyTensorSpan<double>(x.Select(v => (double)v).ToArray(), shape), g.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray(), new TensorSpan<double>(y, shape));
            return new[] { y };
        });
        float[] inPlace = (float[])x.Clone();
        using (new SettingsScope(-1, 512))
            TensorKernels.ChannelLn(new ReadOnlyTensorSpan<float>(inPlace, shape), g, b, new TensorSpan<float>(inPlace, shape));
        float[] expected = new float[length];
        using (new SettingsScope(1, 512))
            TensorKernels.ChannelLn(new ReadOnlyTensorSpan<float>(x, shape), g, b, new TensorSpan<float>(expected, shape));
        Assert.Equal(expected, inPlace);
    }

    [Theory]
    [InlineData(2000, 256)]  // four ranges of 64 (MinMaxScale's row-by-row panel in each)
    [InlineData(300, 1100)]  // ranges of 128; Standardize's panel (≥ 16 vectors) on one thread, column strips per range
    [InlineData(500, 333)]   // the last range not whole vectors
    [InlineData(3000, 40)]   // narrower than a range: blocks of 1024 rows (three) instead (Standardize out of place only)
    [InlineData(5000, 13)]   // blocks of rows, the last vector overlapping (13 columns)
    [InlineData(2100, 3)]    // narrower than any vector: column by column on one thread
    public void ScalersGiveTheSameBitsOnAnyThreadCount(int samples, int features)
    {
        nint[] shape = [samples, features];
        int length = samples * features;
        float[] x = Data(length, 11, spread: 100);
        x[5 * features + 3] = float.NaN; // one poisoned column
        for (int r = 0; r < samples; r++) x[r * features + features - 2] = 1.5f; // one constant column
        SameBitsOnAnyThreadCount(() =>
        {
            float[] y = new float[length];
            Blocks.MinMax(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(y, shape));
            return new[] { y };
        });
        SameBitsOnAnyThreadCount(() =>
        {
            float[] y = new float[length];
            Blocks.ZScore(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(y, shape));
            return new[] { y };
        });
        SameBitsOnAnyThreadCount(() =>
        {
            double[] y = new double[length];
            TensorKernels.ZScoreDouble(new ReadOnlyTensorSpan<double>(x.Select(v => (double)v).ToArray(), shape), new TensorSpan<double>(y, shape));
            return new[] { y };
        });
        SameBitsOnAnyThreadCount(() =>
        {
            Half[] y = new Half[length];
            TensorKernels.MinMaxHalf(new ReadOnlyTensorSpan<Half>(x.Select(v => (Half)v).ToArray(), shape), new TensorSpan<Half>(y, shape));
            return new[] { y };
        });
        foreach (bool minMax in new[] { true, false })
        {
            float[] inPlace = (float[])x.Clone(), expected = new float[length];
            using (new SettingsScope(-1, 512))
                if (minMax) Blocks.MinMax(new ReadOnlyTensorSpan<float>(inPlace, shape), new TensorSpan<float>(inPlace, shape));
                else Blocks.ZScore(new ReadOnlyTensorSpan<float>(inPlace, shape), new TensorSpan<float>(inPlace, shape));
            using (new SettingsScope(1, 512))
                if (minMax) Blocks.MinMax(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(expected, shape));
                else Blocks.ZScore(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(expected, shape));
            Assert.Equal(expected, inPlace);
        }
    }

    /// <summary>
    /// The row splits' public entry points (<see cref="TensorBlocks.MinMaxRows(ReadOnlySpan{float}, Span{float}, int, int)"/>,
    /// <see cref="TensorBlocks.StandardizeRows(ReadOnlySpan{float}, Span{float}, int, int)"/> and their double forms) on
    /// tables narrow enough for the split: on several threads each takes it (true) and matches the double reference
    /// written here (min–max to [0, 1]; z-scores with the biased σ); Standardize declines in place (false, nothing
    /// written) while MinMaxScale runs in place with the same bits; on one thread both decline. Without SIMD
    /// (DOTNET_EnableHWIntrinsic=0) no vector fits in a row, and both decline everywhere, writing nothing.
    /// </summary>
    [Theory]
    [InlineData(3000, 40)] // three blocks of 1024 rows, whole 512-bit vectors and a 256-bit tail lane group
    [InlineData(5000, 13)] // five blocks, the last vector overlapping
    public void RowSplitEntryPointsMatchTheReference(int rows, int width)
    {
        float[] x = Data(rows * width, 23, spread: 100);
        double[] xd = x.Select(v => (double)v).ToArray();
        (double[] minMax, double[] zScore) = ColumnReference(xd, rows, width);
        if (!System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated)
        {
            using var scope = new SettingsScope(4, 1024);
            float[] untouched = new float[x.Length];
            Assert.False(TensorBlocks.MinMaxRows(x, untouched, rows, width));
            Assert.False(TensorBlocks.StandardizeRows(x, untouched, rows, width));
            Assert.All(untouched, v => Assert.Equal(0f, v));
            return;
        }
        using (new SettingsScope(4, 1024))
        {
            float[] y = new float[x.Length], z = new float[x.Length];
            double[] yd = new double[x.Length], zd = new double[x.Length];
            Assert.True(TensorBlocks.MinMaxRows(x, y, rows, width));
            Assert.True(TensorBlocks.MinMaxRows(xd, yd, rows, width));
            Assert.True(TensorBlocks.StandardizeRows(x, z, rows, width));
            Assert.True(TensorBlocks.StandardizeRows(xd, zd, rows, width));
            for (int i = 0; i < x.Length; i++)
            {
                Assert.Equal(minMax[i], y[i], 1e-6);
                Assert.Equal(minMax[i], yd[i], 1e-12);
                Assert.Equal(zScore[i], z[i], 1e-4);
                Assert.Equal(zScore[i], zd[i], 1e-10);
            }

            float[] inPlace = (float[])x.Clone();
            Assert.False(TensorBlocks.StandardizeRows(inPlace, inPlace, rows, width));
            Assert.Equal(x, inPlace);
            Assert.True(TensorBlocks.MinMaxRows(inPlace, inPlace, rows, width));
            Assert.Equal(y, inPlace);
        }
        using (new SettingsScope(1, 1024))
        {
            Assert.False(TensorBlocks.MinMaxRows(x, new float[x.Length], rows, width));
            Assert.False(TensorBlocks.StandardizeRows(xd, new double[x.Length], rows, width));
        }
    }

    /// <summary>Per column of a (rows × width) table, in double: (x − min)/(max − min), and (x − μ)/σ with σ² = mean((x − μ)²).</summary>
    private static (double[] MinMax, double[] ZScore) ColumnReference(double[] x, int rows, int width)
    {
        double[] minMax = new double[x.Length], zScore = new double[x.Length];
        for (int c = 0; c < width; c++)
        {
            double[] column = Enumerable.Range(0, rows).Select(r => x[r * width + c]).ToArray();
            double lo = column.Min(), hi = column.Max(), mean = column.Average();
            double sigma = Math.Sqrt(column.Sum(v => (v - mean) * (v - mean)) / rows);
            for (int r = 0; r < rows; r++)
            {
                minMax[r * width + c] = (column[r] - lo) / (hi - lo);
                zScore[r * width + c] = (column[r] - mean) / sigma;
            }
        }
        return (minMax, zScore);
    }
}
