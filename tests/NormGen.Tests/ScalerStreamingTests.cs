using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// The scaler panels' paths for tables past the streaming threshold (forced here with a threshold of 0): MinMaxScale's
/// output pass as one flat walk, last row first, with non-temporal stores (ColumnEngine.MapTable), its statistics read
/// in blocks of rows (as in cache); Standardize's statistics passes one row at a time with x prefetched ahead (four rows
/// per load of the accumulators in cache; past the cache tables from four vectors wide take this panel, in cache from
/// sixteen, narrower ones go in column strips), its output pass on a dense table as MinMaxScale's (row by row where a
/// column went to double). Each output must be the bits of the in-cache paths (column strips for (1030, 64)), of the
/// column ranges on several threads (whose panels walk row by row), and in place, whatever the alignment of x and y;
/// and close to the double reference.
/// </summary>
[Collection(SettingsCollection.Name)]
public class ScalerStreamingTests
{
    [Theory]
    [InlineData(2100, 256)] // three blocks of rows, whole vectors
    [InlineData(1500, 333)] // an odd width: flat vectors span two rows; MinMaxScale's overlapping last slot
    [InlineData(1030, 64)]  // MinMaxScale's narrowest panel (4 vectors), two blocks
    [InlineData(1, 320)]    // one row
    [InlineData(3, 1031)]   // a prime width, more columns than rows
    public void StreamingGivesTheCachedBitsAndMatchesReference(int samples, int features)
    {
        // With a NaN in column 3 (that vector of columns goes to Standardize's double path) and without.
        foreach (bool minMax in new[] { true, false })
        foreach (bool poison in new[] { true, false })
        {
            float[] x = Data(samples, features, seed: 5, poison);
            float[] cached = Scale(minMax, x, samples, features, degree: 1, threshold: long.MaxValue);
            float[] streamed = Scale(minMax, x, samples, features, degree: 1, threshold: 0);
            Assert.True(cached.AsSpan().SequenceEqual(streamed), $"{(minMax ? "MinMax" : "ZScore")}: streaming stores changed the bits");
            Assert.True(cached.AsSpan().SequenceEqual(Scale(minMax, x, samples, features, degree: -1, threshold: 0)), "all cores differ from one thread");
            Assert.True(cached.AsSpan().SequenceEqual(Scale(minMax, x, samples, features, degree: 1, threshold: 0, inPlace: true)), "in place differs");
            double[] xd = x.Select(v => (double)v).ToArray();
            double[] expected = minMax ? TensorReference.MinMax(xd, samples, features) : TensorReference.Standardize(xd, samples, features);
            for (int i = 0; i < x.Length; i++)
            {
                int column = i % features;
                if (column == 3 && poison && samples > 5) Assert.True(float.IsNaN(streamed[i]), $"NaN column, row {i / features}: {streamed[i]}");
                else Assert.True(Math.Abs(streamed[i] - expected[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {streamed[i]} vs {expected[i]}");
            }
        }
    }

    [Fact]
    public void StreamingDoubleTablesMatchTheCachedBits()
    {
        const int samples = 1100, features = 260; // two blocks; 260 = 32 vectors of 8 doubles and an overlapping one
        double[] x = Data(samples, features, seed: 9).Select(v => (double)v * 1.000001).ToArray();
        foreach (bool minMax in new[] { true, false })
        {
            double[] cached = ScaleDouble(minMax, x, samples, features, long.MaxValue), streamed = ScaleDouble(minMax, x, samples, features, 0);
            Assert.True(cached.AsSpan().SequenceEqual(streamed), $"{(minMax ? "MinMax" : "ZScore")} double: streaming stores changed the bits");
        }
    }

    [Fact]
    public void HugeColumnsStreamLikeTheOthers()
    {
        // Column 7's squares overflow float: Standardize computes its vector of columns in double, the others as usual.
        const int samples = 1200, features = 256;
        float[] x = Data(samples, features, seed: 3);
        for (int r = 0; r < samples; r++) x[r * features + 7] = (r % 2 == 0 ? 1e30f : -1e30f) + r;
        double[] xd = x.Select(v => (double)v).ToArray();
        foreach (bool minMax in new[] { true, false })
        {
            float[] streamed = Scale(minMax, x, samples, features, degree: 1, threshold: 0);
            Assert.True(Scale(minMax, x, samples, features, degree: 1, threshold: long.MaxValue).AsSpan().SequenceEqual(streamed));
            double[] expected = minMax ? TensorReference.MinMax(xd, samples, features) : TensorReference.Standardize(xd, samples, features);
            for (int i = 0; i < x.Length; i++)
                if (i % features != 3)
                    Assert.True(Math.Abs(streamed[i] - expected[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {streamed[i]} vs {expected[i]}");
        }
    }

    /// <summary>
    /// A width that is no whole number of vectors (333 floats: 20 vectors and a last one overlapping the 20th by three
    /// columns) with columns whose squares overflow float where the last two vectors overlap (318) and in the last
    /// vector's new columns (330): those vectors go to double, the overlapping columns once; in place too, streamed or
    /// not, on one thread or all, and close to the double reference.
    /// </summary>
    [Fact]
    public void HugeColumnsInTheOverlappingLastVector()
    {
        const int samples = 1100, features = 333;
        float[] x = Data(samples, features, seed: 17, poison: false);
        for (int r = 0; r < samples; r++)
        {
            x[r * features + 318] = (r % 2 == 0 ? 1e30f : -1e30f) + r;
            x[r * features + 330] = (r % 3 == 0 ? 3e25f : -2e25f);
        }
        double[] expected = TensorReference.Standardize(x.Select(v => (double)v).ToArray(), samples, features);
        float[] cached = Scale(minMax: false, x, samples, features, degree: 1, threshold: long.MaxValue);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(cached[i] - expected[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])), $"element {i} (column {i % features}): {cached[i]} vs {expected[i]}");
        foreach (long threshold in new[] { 0L, long.MaxValue })
        foreach (int degree in new[] { 1, -1 })
        foreach (bool inPlace in new[] { false, true })
            Assert.True(cached.AsSpan().SequenceEqual(Scale(minMax: false, x, samples, features, degree, threshold, inPlace)),
                $"threshold {threshold}, degree {degree}, in place {inPlace}: other bits");
    }

    /// <summary>
    /// x and y at every element offset within a 64-byte line (y at another offset than x): MinMaxScale lays its per-column
    /// parameters out by where y's first aligned vector falls, and both panels put their scratch on a 64-byte boundary;
    /// none of it may change a bit. Row counts with a short last block of rows, odd and even.
    /// </summary>
    [Theory]
    [InlineData(1100, 256)]
    [InlineData(1031, 300)]
    public void EveryAlignmentGivesTheCachedBits(int samples, int features)
    {
        float[] x = Data(samples, features, seed: 11);
        nint[] shape = [samples, features];
        foreach (bool minMax in new[] { true, false })
        {
            float[] cached = Scale(minMax, x, samples, features, degree: 1, threshold: long.MaxValue);
            for (int offset = 0; offset < 16; offset++)
            {
                int yOffset = (offset * 7 + 3) % 16;
                float[] xb = GC.AllocateArray<float>(x.Length + 16, pinned: true), yb = GC.AllocateArray<float>(x.Length + 16, pinned: true);
                x.CopyTo(xb, offset);
                long saved = NormGenSettings.StreamingStoreThreshold;
                try
                {
                    NormGenSettings.StreamingStoreThreshold = 0;
                    using var scope = new SettingsScope(1, 512);
                    var source = new ReadOnlyTensorSpan<float>(xb.AsSpan(offset, x.Length), shape, []);
                    var target = new TensorSpan<float>(yb.AsSpan(yOffset, x.Length), shape, []);
                    if (minMax) Blocks.MinMax(source, target);
                    else Blocks.ZScore(source, target);
                }
                finally
                {
                    NormGenSettings.StreamingStoreThreshold = saved;
                }
                Assert.True(cached.AsSpan().SequenceEqual(yb.AsSpan(yOffset, x.Length)), $"{(minMax ? "MinMax" : "ZScore")}: x at +{offset}, y at +{yOffset} changed the bits");
            }
        }
    }

    /// <summary>Values around a per-column offset, a constant column 1 and (<paramref name="poison"/>, more than 5 rows) a NaN in column 3.</summary>
    private static float[] Data(int samples, int features, int seed, bool poison = true)
    {
        var rng = new Random(seed);
        float[] x = Enumerable.Range(0, samples * features).Select(i => (float)(rng.NextDouble() * 8 - 4 + (i % features) * 0.5)).ToArray();
        for (int r = 0; r < samples; r++) x[r * features + 1] = 2.5f;
        if (poison && samples > 5) x[5 * features + 3] = float.NaN;
        return x;
    }

    private static float[] Scale(bool minMax, float[] x, int samples, int features, int degree, long threshold, bool inPlace = false)
    {
        nint[] shape = [samples, features];
        long saved = NormGenSettings.StreamingStoreThreshold;
        float[] y = inPlace ? (float[])x.Clone() : new float[x.Length];
        float[] source = inPlace ? y : x;
        try
        {
            NormGenSettings.StreamingStoreThreshold = threshold;
            using var scope = new SettingsScope(degree, 512);
            if (minMax) Blocks.MinMax(new ReadOnlyTensorSpan<float>(source, shape), new TensorSpan<float>(y, shape));
            else Blocks.ZScore(new ReadOnlyTensorSpan<float>(source, shape), new TensorSpan<float>(y, shape));
        }
        finally
        {
            NormGenSettings.StreamingStoreThreshold = saved;
        }
        return y;
    }

    private static double[] ScaleDouble(bool minMax, double[] x, int samples, int features, long threshold)
    {
        nint[] shape = [samples, features];
        long saved = NormGenSettings.StreamingStoreThreshold;
        double[] y = new double[x.Length];
        try
        {
            NormGenSettings.StreamingStoreThreshold = threshold;
            using var scope = new SettingsScope(1, 512);
            if (minMax) TensorKernels.MinMaxDouble(new ReadOnlyTensorSpan<double>(x, shape), new TensorSpan<double>(y, shape));
            else TensorKernels.ZScoreDouble(new ReadOnlyTensorSpan<double>(x, shape), new TensorSpan<double>(y, shape));
        }
        finally
        {
            NormGenSettings.StreamingStoreThreshold = saved;
        }
        return y;
    }
}
