using System;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// Standardize's statistics merge the moments of sub-blocks of rows (up to 128) and of blocks of 1,024 rows (Chan et al.'s
/// pairwise update) instead of summing each column in two whole passes. These columns make the merge carry the result:
/// means that drift from sub-block to sub-block (a trend, a step), a large mean with a small spread, one outlier, a
/// constant column, and a table past one block with a partial last sub-block. Every output is compared with a
/// double-precision two-pass reference written here, and one thread's bits with two and three threads'.
/// </summary>
[Collection(SettingsCollection.Name)]
public class StandardizeMomentsTests
{
    private const int Features = 16;

    [Theory]
    [InlineData(5003)]  // four whole blocks of 1,024 rows and 907 more: 7 whole sub-blocks of 128, then 11 rows
    [InlineData(130)]   // one block: a whole sub-block and 2 rows
    [InlineData(100)]   // one sub-block: the plain corrected two-pass
    public void MergedMomentsMatchTheDoubleReference(int rows)
    {
        float[] x = Columns(rows);
        float[] y = Run(x, rows, threads: 1);
        double[] expected = Reference(x, rows);
        for (int i = 0; i < x.Length; i++)
        {
            int column = i % Features;
            if (column == 4)
                Assert.True(y[i] == 0f, $"constant column, row {i / Features}: {y[i]}");
            else
                Assert.True(Math.Abs(y[i] - expected[i]) <= 4e-6 * Math.Max(1, Math.Abs(expected[i])),
                    $"({rows}, {Features}) row {i / Features} column {column}: {y[i]} vs {expected[i]}");
        }
        for (int threads = 2; threads <= 3; threads++)
        {
            float[] other = Run(x, rows, threads);
            for (int i = 0; i < x.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(other[i]) == BitConverter.SingleToInt32Bits(y[i]),
                    $"{threads} threads, ({rows}, {Features}) row {i / Features} column {i % Features}: {other[i]} vs one thread's {y[i]}");
        }
    }

    [Fact]
    public void DoubleMergedMomentsMatchTheReference()
    {
        const int rows = 5003;
        float[] single = Columns(rows);
        double[] x = Array.ConvertAll(single, v => v * 1.0000001);
        double[] y = new double[x.Length];
        nint[] shape = [rows, Features];
        using (new SettingsScope(1, 512))
            TensorKernels.ZScoreDouble(new ReadOnlyTensorSpan<double>(x, shape), new TensorSpan<double>(y, shape));
        double[] expected = Reference(x, rows);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-11 * Math.Max(1, Math.Abs(expected[i])),
                $"double ({rows}, {Features}) row {i / Features} column {i % Features}: {y[i]} vs {expected[i]}");
    }

    /// <summary>
    /// A constant double column beside a NaN column and a column whose squares overflow: on AVX-512 all three share a
    /// vector (8 doubles), whose variance is not finite, so its columns go to the double fallback one at a time. The
    /// constant column must give exactly 0 there too, as on the common path (the fallback's plain mean Σx/n of equal
    /// doubles was not their value, and gave ±1), the huge column its z-scores, the NaN column NaN; on every driver.
    /// </summary>
    [Theory]
    [InlineData(9)]    // the panel
    [InlineData(3000)] // sub-blocks and blocks; the row split on several threads
    public void ConstantColumnBesideNaNAndHugeColumnsGivesZero(int rows)
    {
        const int features = 16;
        var rng = new Random(rows);
        double[] x = new double[rows * features];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < features; c++)
                x[r * features + c] = c switch
                {
                    1 => 2.5 * 1.000001,
                    5 => r == rows / 2 ? double.NaN : rng.NextDouble(),
                    6 => (rng.NextDouble() - 0.5) * 1e300,
                    _ => rng.NextDouble() * 4 - 2 + c,
                };
        double[] reference = Reference(x, rows, features);
        nint[] shape = [rows, features];
        foreach (int threads in new[] { 1, 2 })
        {
            double[] y = new double[x.Length];
            using (new SettingsScope(threads, 64))
                TensorKernels.ZScoreDouble(new ReadOnlyTensorSpan<double>(x, shape), new TensorSpan<double>(y, shape));
            for (int r = 0; r < rows; r++)
            {
                Assert.True(y[r * features + 1] == 0d, $"{threads} thread(s), ({rows}, {features}) row {r}: constant column {y[r * features + 1]}");
                Assert.True(double.IsNaN(y[r * features + 5]), $"{threads} thread(s), row {r}: NaN column {y[r * features + 5]}");
                for (int c = 0; c < features; c++)
                    if (c != 1 && c != 5)
                        Assert.True(Math.Abs(y[r * features + c] - reference[r * features + c]) <= 1e-11 * Math.Max(1, Math.Abs(reference[r * features + c])),
                            $"{threads} thread(s), ({rows}, {features}) row {r} column {c}: {y[r * features + c]} vs {reference[r * features + c]}");
            }
        }
    }

    /// <summary>
    /// Past a block's first sub-block, a sub-block's statistics come from one pass around the block's mean so far
    /// (ColumnEngine's predicted sub-blocks). Noise columns and trending columns (each sub-block's mean several of its
    /// standard deviations past the prediction, where the sub-block's own M2 loses bits to cancellation and the merge
    /// must make up for it) both match the double reference; a noise column's bits do not depend on its neighbours
    /// (noise or trends), on the panel of a wide table and the column strips of a narrow one, and two threads give one
    /// thread's bits.
    /// </summary>
    [Theory]
    [InlineData(320, 1)]   // the panel, one trending column
    [InlineData(320, 2)]   // the panel, every other column trending
    [InlineData(13, 1)]    // the column strips, one trending column
    [InlineData(13, 2)]    // the column strips, every other column trending
    public void PredictedColumnsKeepTheirBitsWhateverTheirNeighbours(int features, int trendEvery)
    {
        const int rows = 3000; // three blocks of 1,024 rows (the last 952), each of several sub-blocks
        bool Trend(int c) => trendEvery == 1 ? c == 5 : c % 2 == 1;
        float[] noise = new float[rows * features], mixed = new float[rows * features];
        var rng = new Random(features * 31 + trendEvery);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < features; c++)
            {
                double u = rng.NextDouble() * 2 - 1;
                noise[r * features + c] = c % 5 == 0 ? (float)(10000 + u) : (float)(c + u * (1 + c % 7));
                mixed[r * features + c] = Trend(c) ? (float)(r * 0.01 * (1 + c % 3) + u * 0.001) : noise[r * features + c];
            }
        float[] alone = RunTable(noise, rows, features, threads: 1);
        float[] beside = RunTable(mixed, rows, features, threads: 1);
        Assert.True(beside.AsSpan().SequenceEqual(RunTable(mixed, rows, features, threads: 2)), "two threads changed the bits");
        double[] expectedNoise = Reference(noise, rows, features), expectedMixed = Reference(mixed, rows, features);
        for (int i = 0; i < noise.Length; i++)
        {
            int column = i % features;
            if (!Trend(column))
                Assert.True(BitConverter.SingleToInt32Bits(beside[i]) == BitConverter.SingleToInt32Bits(alone[i]),
                    $"({rows}, {features}) row {i / features} column {column}: {beside[i]} beside trends, {alone[i]} beside noise");
            Assert.True(Math.Abs(alone[i] - expectedNoise[i]) <= 4e-6 * Math.Max(1, Math.Abs(expectedNoise[i])),
                $"noise ({rows}, {features}) row {i / features} column {column}: {alone[i]} vs {expectedNoise[i]}");
            Assert.True(Math.Abs(beside[i] - expectedMixed[i]) <= 4e-6 * Math.Max(1, Math.Abs(expectedMixed[i])),
                $"mixed ({rows}, {features}) row {i / features} column {column}: {beside[i]} vs {expectedMixed[i]}");
        }
    }

    private static float[] RunTable(float[] x, int rows, int features, int threads)
    {
        nint[] shape = [rows, features];
        float[] y = new float[x.Length];
        using (new SettingsScope(threads, 64))
            Blocks.ZScore(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(y, shape));
        return y;
    }

    /// <summary>
    /// Column 0 a trend (each sub-block's mean further off), 1 a mean of 10,000 with a spread of ±1, 2 a step of 1,000 at
    /// the middle row, 3 one outlier of 10⁶, 4 constant, the rest noise around offsets.
    /// </summary>
    private static float[] Columns(int rows)
    {
        var rng = new Random(rows);
        float[] x = new float[rows * Features];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < Features; c++)
            {
                double noise = rng.NextDouble() * 2 - 1;
                x[r * Features + c] = c switch
                {
                    0 => (float)(r * 0.01 + noise * 0.001),
                    1 => (float)(10000 + noise),
                    2 => (float)((r < rows / 2 ? 0 : 1000) + noise),
                    3 => r == rows / 3 ? 1e6f : (float)noise,
                    4 => 7.25f,
                    _ => (float)(c * 3 + noise * c),
                };
            }
        return x;
    }

    private static float[] Run(float[] x, int rows, int threads)
    {
        nint[] shape = [rows, Features];
        float[] y = new float[x.Length];
        using (new SettingsScope(threads, 64))
            Blocks.ZScore(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(y, shape));
        return y;
    }

    /// <summary>
    /// The population z-score per column, two passes in double over the inputs as given, each value taken less the
    /// column's first (exact for these inputs: without it, the sum of 5,003 doubles near 10,000 is off by about 5e-11
    /// of the mean); 0 for a constant column. A column past 1e150 is first multiplied by 2^-600 (exact), so its squares do
    /// not overflow; z-scores do not change with the scale.
    /// </summary>
    private static double[] Reference<T>(T[] x, int rows, int features = Features) where T : IConvertible
    {
        double[] y = new double[x.Length];
        for (int c = 0; c < features; c++)
        {
            double scale = 1;
            for (int r = 0; r < rows; r++)
                if (Math.Abs(x[r * features + c].ToDouble(null)) > 1e150) scale = Math.ScaleB(1, -600);
            double Value(int r) => x[r * features + c].ToDouble(null) * scale;
            double shift = Value(0), mean = 0, squares = 0;
            for (int r = 0; r < rows; r++) mean += Value(r) - shift;
            mean /= rows;
            for (int r = 0; r < rows; r++)
            {
                double d = Value(r) - shift - mean;
                squares += d * d;
            }
            double std = Math.Sqrt(squares / rows);
            for (int r = 0; r < rows; r++)
                y[r * features + c] = std == 0 ? 0 : (Value(r) - shift - mean) / std;
        }
        return y;
    }
}
