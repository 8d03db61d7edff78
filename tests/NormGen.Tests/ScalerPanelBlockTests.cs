using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// The scaler panels' statistics passes walk a wide table by sub-blocks of 8 rows, strips of vectors at a time with
/// their accumulators in registers (TensorBlocks.MinMaxStrips: four vectors, then single ones; Standardize's
/// StandardizePanelSums, both passes: four rows at a time, then single rows). Every remainder is reached here: row counts 1 … 10 and
/// across a ColumnSumBlock (1,024 rows), widths whose vector count is not a multiple of the strip, and an overlapping
/// last vector inside a strip of four. Each output must match the double reference, and give the bits of the same
/// columns computed one narrow table at a time (the column strips, which take every column's rows in the same order).
/// </summary>
[Collection(SettingsCollection.Name)]
public class ScalerPanelBlockTests
{
    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        // MinMaxScale's panel from 4 vectors: 4 (one strip), 5 (strip + single), 7 with an overlapping last (strip + three
        // singles), 8 whose last strip ends on the overlapping vector, and a prime width. Standardize's from 16 vectors:
        // 16 (pairs), 17 (pairs + single), 18 whole + an overlapping chunk, 19 + an overlapping chunk.
        int[] widths = [64, 80, 100, 120, 127, 256, 272, 300, 311];
        foreach (int rows in new[] { 1, 2, 3, 7, 8, 9, 10 })
            foreach (int width in widths)
                data.Add(rows, width);
        foreach (int rows in new[] { 1025, 1031, 2056 })
            foreach (int width in new[] { 100, 120, 272, 311 })
                data.Add(rows, width);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void RowBlocksAndStripsMatchReferenceAndColumnStrips(int samples, int features)
    {
        float[] x = Data(samples, features);
        double[] xd = x.Select(v => (double)v).ToArray();
        foreach (bool minMax in new[] { true, false })
        {
            float[] y = Scale(minMax, x, samples, features);
            double[] expected = minMax ? TensorReference.MinMax(xd, samples, features) : TensorReference.Standardize(xd, samples, features);
            for (int i = 0; i < x.Length; i++)
            {
                if (i % features == 5 && samples > 2)
                    Assert.True(float.IsNaN(y[i]), $"{Name(minMax)} ({samples}, {features}): NaN column, row {i / features}: {y[i]}");
                else
                    Assert.True(Math.Abs(y[i] - expected[i]) <= 2e-5 * Math.Max(1, Math.Abs(expected[i])),
                        $"{Name(minMax)} ({samples}, {features}) row {i / features} column {i % features}: {y[i]} vs {expected[i]}");
            }

            // The same columns 16 at a time (a narrow table: column strips, rows in the same order per column).
            for (int from = 0; from < features; from += 16)
            {
                int count = Math.Min(16, features - from);
                float[] part = new float[samples * count];
                for (int r = 0; r < samples; r++) Array.Copy(x, r * features + from, part, r * count, count);
                float[] narrow = Scale(minMax, part, samples, count);
                for (int r = 0; r < samples; r++)
                    for (int c = 0; c < count; c++)
                        Assert.True(BitConverter.SingleToInt32Bits(narrow[r * count + c]) == BitConverter.SingleToInt32Bits(y[r * features + from + c]),
                            $"{Name(minMax)} ({samples}, {features}) row {r} column {from + c}: {y[r * features + from + c]} vs the strip's {narrow[r * count + c]}");
            }
        }
    }

    [Theory]
    [InlineData(9, 120)]
    [InlineData(1031, 311)]
    public void DoubleRowBlocksMatchReference(int samples, int features)
    {
        double[] x = Data(samples, features).Select(v => (double)v * 1.000001).ToArray();
        nint[] shape = [samples, features];
        foreach (bool minMax in new[] { true, false })
        {
            double[] y = new double[x.Length];
            using (new SettingsScope(1, 512))
            {
                if (minMax) TensorKernels.MinMaxDouble(new ReadOnlyTensorSpan<double>(x, shape), new TensorSpan<double>(y, shape));
                else TensorKernels.ZScoreDouble(new ReadOnlyTensorSpan<double>(x, shape), new TensorSpan<double>(y, shape));
            }
            double[] expected = minMax ? TensorReference.MinMax(x, samples, features) : TensorReference.Standardize(x, samples, features);
            for (int i = 0; i < x.Length; i++)
                if (i % features != 5)
                    Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-12 * Math.Max(1, Math.Abs(expected[i])),
                        $"{Name(minMax)} double ({samples}, {features}) row {i / features} column {i % features}: {y[i]} vs {expected[i]}");
        }
    }

    private static string Name(bool minMax) => minMax ? "MinMaxScale" : "Standardize";

    /// <summary>Values around a per-column offset, a constant column 1, and a NaN in column 5 at row 2 (tables of more than 2 rows).</summary>
    private static float[] Data(int samples, int features)
    {
        var rng = new Random(samples * 31 + features);
        float[] x = Enumerable.Range(0, samples * features).Select(i => (float)(rng.NextDouble() * 8 - 4 + (i % features) * 0.25)).ToArray();
        for (int r = 0; r < samples; r++) x[r * features + 1] = 2.5f;
        if (samples > 2) x[2 * features + 5] = float.NaN;
        return x;
    }

    private static float[] Scale(bool minMax, float[] x, int samples, int features)
    {
        nint[] shape = [samples, features];
        float[] y = new float[x.Length];
        using var scope = new SettingsScope(1, 512);
        if (minMax) Blocks.MinMax(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(y, shape));
        else Blocks.ZScore(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(y, shape));
        return y;
    }
}
