using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// MinMaxScale on narrow tables, which take the row-by-row panel from two vectors wide and, past 256 KiB, from one (and
/// column strips below): each element must be the bits of the same float operations done one at a time,
/// (x − min) / (max − min), 0 for a constant column, NaN for a column holding a NaN; on one thread, on all cores and in
/// place alike.
/// </summary>
[Collection(SettingsCollection.Name)]
public class ScalerNarrowPanelTests
{
    [Theory]
    [InlineData(20000, 20)] // one vector and a partial one, 1.6 MB: the panel
    [InlineData(5000, 40)]  // two and a half vectors: the panel
    [InlineData(3000, 48)]  // three vectors: the panel
    [InlineData(1000, 20)]  // 80 KB, one vector and a partial one: the strips
    public void MinMaxGivesTheScalarFloatBits(int samples, int features)
    {
        var rng = new Random(samples + features);
        float[] x = Enumerable.Range(0, samples * features).Select(i => (float)(rng.NextDouble() * 6 - 3 + (i % features) * 0.3)).ToArray();
        for (int r = 0; r < samples; r++) x[r * features + 1] = 1.75f; // constant column
        x[17 * features + features - 1] = float.NaN;                      // a NaN in the last (overlapping) column
        float[] expected = Scalar(x, samples, features);
        foreach (int degree in new[] { 1, -1 })
        foreach (bool inPlace in new[] { false, true })
        {
            float[] source = (float[])x.Clone(), y = inPlace ? source : new float[x.Length];
            nint[] shape = [samples, features];
            using (new SettingsScope(degree, 4096))
                Blocks.MinMax(new ReadOnlyTensorSpan<float>(source, shape, []), new TensorSpan<float>(y, shape, []));
            for (int i = 0; i < x.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]) || (float.IsNaN(expected[i]) && float.IsNaN(y[i])),
                    $"degree {degree}, in place {inPlace}, element {i} (column {i % features}): {y[i]:R}, expected {expected[i]:R}");
        }
    }

    /// <summary>Per column: min and max, then (x − min) / (max − min) in float, one operation at a time.</summary>
    private static float[] Scalar(float[] x, int samples, int features)
    {
        var y = new float[x.Length];
        for (int c = 0; c < features; c++)
        {
            float lo = x[c], hi = x[c];
            bool nan = false;
            for (int r = 0; r < samples; r++)
            {
                float v = x[r * features + c];
                nan |= float.IsNaN(v);
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }
            float range = hi - lo;
            for (int r = 0; r < samples; r++)
                y[r * features + c] = nan ? float.NaN : range == 0 ? 0 : (x[r * features + c] - lo) / range;
        }
        return y;
    }
}
