using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// Standardize's finishing step (σ², the finite test, the mean and 1/σ, and the one-column double fallback of a vector
/// whose σ² is not finite) in each of its three drivers: the column strips (one thread), the row split (a narrow table
/// on several threads) and the wide-table panel (one thread, 16 vectors or more; on several threads the same table goes
/// by column ranges, in strips). Columns whose squares overflow the element type sit in the first vector, in the lanes
/// only the overlapping last vector stores, and in the lanes it shares with the vector before it; one column holds NaN.
/// Every output must match the double reference (NaN column: NaN) and give the same bits on any thread count, i.e. each
/// driver the strips' bits.
/// </summary>
[Collection(SettingsCollection.Name)]
public class StandardizeFinishTests
{
    [Theory]
    [InlineData(3000, 40)]  // row split on several threads (three blocks of 1024 rows), strips on one
    [InlineData(5000, 13)]  // row split, the last vector overlapping the one before it
    [InlineData(300, 300)]  // the panel on one thread (whole vectors) and a strip for the overlapping last vector; column ranges on several
    public void HugeAndNaNColumnsMatchReferenceOnEveryDriver(int samples, int features)
    {
        int[] huge = [1, features - 1, features - 6];
        float[] x = Data(samples, features, seed: features);
        foreach (int column in huge)
            for (int r = 0; r < samples; r++)
                x[r * features + column] = (r % 2 == 0 ? 3e37f : -3e37f) + r * 1e31f;
        int nanColumn = features / 2;
        x[samples / 3 * features + nanColumn] = float.NaN;
        nint[] shape = [samples, features];
        float[] one = SameBitsOnAnyThreadCount(x, (input, output) => Blocks.ZScore(new ReadOnlyTensorSpan<float>(input, shape), new TensorSpan<float>(output, shape)));
        double[] expected = TensorReference.Standardize(x.Select(v => (double)v).ToArray(), samples, features);
        for (int i = 0; i < x.Length; i++)
        {
            if (i % features == nanColumn)
                Assert.True(float.IsNaN(one[i]), $"({samples}, {features}) NaN column, row {i / features}: {one[i]}");
            else
                Assert.True(Math.Abs(one[i] - expected[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])),
                    $"({samples}, {features}) row {i / features} column {i % features}: {one[i]} vs {expected[i]}");
        }
    }

    [Theory]
    [InlineData(3000, 20)]  // row split (double: 8 lanes at 512 bits, the last vector overlapping)
    [InlineData(300, 150)]  // the panel on one thread (double: 16 vectors of 8 from 128 columns)
    public void DoubleHugeColumnsMatchScaledReference(int samples, int features)
    {
        float[] data = Data(samples, features, seed: 2 * features);
        double[] x = data.Select(v => (double)v).ToArray();
        int[] huge = [0, features - 1];
        foreach (int column in huge)
            for (int r = 0; r < samples; r++)
                x[r * features + column] = (r % 2 == 0 ? 1e300 : -1e300) + r * 1e294;
        nint[] shape = [samples, features];
        double[] one = SameBitsOnAnyThreadCount(x, (input, output) => TensorKernels.ZScoreDouble(new ReadOnlyTensorSpan<double>(input, shape), new TensorSpan<double>(output, shape)));
        // Standardize does not depend on the scale of a column: the reference on the huge columns·2⁻¹⁰⁰⁰ keeps their squares finite.
        double[] expected = TensorReference.Standardize(x.Select((v, i) => huge.Contains(i % features) ? Math.ScaleB(v, -1000) : v).ToArray(), samples, features);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(one[i] - expected[i]) <= 1e-9 * Math.Max(1, Math.Abs(expected[i])),
                $"({samples}, {features}) row {i / features} column {i % features}: {one[i]} vs {expected[i]}");
    }

    /// <summary>The kernel's output on one thread, after checking that 2, 7 and all threads give the same bits.</summary>
    private static T[] SameBitsOnAnyThreadCount<T>(T[] x, Action<T[], T[]> kernel) where T : IEquatable<T>
    {
        T[] Run(int degree)
        {
            using var scope = new SettingsScope(degree, minElementsPerThread: 512);
            T[] y = new T[x.Length];
            kernel(x, y);
            return y;
        }
        T[] one = Run(1);
        foreach (int degree in new[] { 2, 7, -1 })
            Assert.True(one.AsSpan().SequenceEqual(Run(degree)), $"{degree} threads changed the bits");
        return one;
    }

    private static float[] Data(int samples, int features, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, samples * features).Select(i => (float)(rng.NextDouble() * 6 - 3 + i % features * 0.5)).ToArray();
    }
}
