using System;
using System.Linq;
using System.Runtime.Intrinsics;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// The tensor kernels' runtime building blocks (<see cref="TensorBlocks"/>) on their own, at every length around the
/// vector widths (so each dispatch path, the unrolled loop and the overlapping masked tail run), against a double
/// reference written here; and in-place calls equal out-of-place ones.
/// </summary>
public class TensorBlocksTests
{
    private static readonly int[] Lengths = Enumerable.Range(1, 70).Concat([127, 128, 129, 1000]).ToArray();

    private static double[] Data(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => 3 + 2 * (random.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void SumShiftedAndSumDeviationsMatchTheReference()
    {
        foreach (int n in Lengths)
        {
            double[] d = Data(n, n);
            float[] f = d.Select(v => (float)v).ToArray();
            double shift = f[0], offset = 0.25;
            double sum = f.Sum(v => v - shift);
            double dev = f.Sum(v => v - shift - offset), sq = f.Sum(v => (v - shift - offset) * (v - shift - offset));

            Assert.Equal(sum, TensorBlocks.SumShifted(ref f[0], (nuint)n, (float)shift), 1e-5 * n);
            TensorBlocks.SumDeviations(ref f[0], (nuint)n, (float)shift, (float)offset, out float fDev, out float fSq);
            Assert.Equal(dev, fDev, 1e-5 * n);
            Assert.Equal(sq, fSq, 1e-5 * n);

            double dShift = d[0];
            Assert.Equal(d.Sum(v => v - dShift), TensorBlocks.SumShifted(ref d[0], (nuint)n, dShift), 1e-12 * n);
            TensorBlocks.SumDeviations(ref d[0], (nuint)n, dShift, offset, out double dDev, out double dSq);
            Assert.Equal(d.Sum(v => v - dShift - offset), dDev, 1e-12 * n);
            Assert.Equal(d.Sum(v => (v - dShift - offset) * (v - dShift - offset)), dSq, 1e-12 * n);
        }
    }

    [Fact]
    public void ApplyAndScaleShiftMatchTheReferenceAndMayRunInPlace()
    {
        foreach (int n in Lengths)
        {
            float[] x = Data(n, 100 + n).Select(v => (float)v).ToArray();
            float[] s = Data(n, 200 + n).Select(v => (float)v).ToArray(), t = Data(n, 300 + n).Select(v => (float)(v - 3)).ToArray();
            float[] y = new float[n];

            TensorBlocks.Apply(ref x[0], ref y[0], (nuint)n, 2f, 0.5f, 1.5f, -0.25f);
            for (int i = 0; i < n; i++) Assert.Equal((x[i] - 2.0 - 0.5) * 1.5 - 0.25, y[i], 1e-5);
            AssertInPlaceEqual(x, y, (a, b) => TensorBlocks.Apply(ref a[0], ref b[0], (nuint)n, 2f, 0.5f, 1.5f, -0.25f));

            TensorBlocks.ScaleShift(ref x[0], ref y[0], (nuint)n, 1.5f, -0.25f);
            for (int i = 0; i < n; i++) Assert.Equal(x[i] * 1.5 - 0.25, y[i], 1e-5);
            AssertInPlaceEqual(x, y, (a, b) => TensorBlocks.ScaleShift(ref a[0], ref b[0], (nuint)n, 1.5f, -0.25f));

            TensorBlocks.ScaleShiftChannels(ref x[0], ref y[0], (nuint)n, ref s[0], ref t[0]);
            for (int i = 0; i < n; i++) Assert.Equal((double)x[i] * s[i] + t[i], y[i], 1e-5);
            AssertInPlaceEqual(x, y, (a, b) => TensorBlocks.ScaleShiftChannels(ref a[0], ref b[0], (nuint)n, ref s[0], ref t[0]));
        }
    }

    /// <summary>The out-of-place result <paramref name="expected"/> equals the same call on a copy of x written in place.</summary>
    private static void AssertInPlaceEqual(float[] x, float[] expected, Action<float[], float[]> call)
    {
        float[] copy = (float[])x.Clone();
        call(copy, copy);
        Assert.Equal(expected, copy);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(15)]
    public void TailMasksSelectTheLastLanes(int remaining)
    {
        Vector512<float> f = TensorBlocks.Tail512<float>((nuint)remaining);
        for (int lane = 0; lane < 16; lane++)
            Assert.Equal(lane >= 16 - remaining, BitConverter.SingleToInt32Bits(f[lane]) == -1);
        if (remaining < 8)
        {
            Vector512<double> d = TensorBlocks.Tail512<double>((nuint)remaining);
            for (int lane = 0; lane < 8; lane++)
                Assert.Equal(lane >= 8 - remaining, BitConverter.DoubleToInt64Bits(d[lane]) == -1L);
            Vector256<float> f256 = TensorBlocks.Tail256<float>((nuint)remaining);
            for (int lane = 0; lane < 8; lane++)
                Assert.Equal(lane >= 8 - remaining, BitConverter.SingleToInt32Bits(f256[lane]) == -1);
        }
        if (remaining < 4)
        {
            Vector128<float> f128 = TensorBlocks.Tail128<float>((nuint)remaining);
            for (int lane = 0; lane < 4; lane++)
                Assert.Equal(lane >= 4 - remaining, BitConverter.SingleToInt32Bits(f128[lane]) == -1);
        }
    }

    [Fact]
    public void HugeStatisticsScaleTheBlockAndRejectNaN()
    {
        // Two strided runs of three values whose squares overflow float.
        float[] x = [3e30f, -1e30f, 2e30f, 99f, 99f, 5e30f, 0f, -3e30f];
        Assert.True(TensorBlocks.HugeStatistics(ref x[0], 2, 3, 5, out double scale, out double mean, out double variance));
        double[] v = [x[0], x[1], x[2], x[5], x[6], x[7]];
        double m = v.Average(), var = v.Sum(a => (a - m) * (a - m)) / v.Length;
        Assert.True(scale > 0 && scale * 5e30 <= 1 && scale * 5e30 > 0.25, "2^k is the power of two just above max|x|");
        Assert.Equal(m, mean / scale, m * 1e-12 + 1e18);
        Assert.Equal(var, variance / scale / scale, var * 1e-12);

        float[] y = new float[3];
        TensorBlocks.HugeApply(ref x[0], ref y[0], 3, scale, mean, 1 / Math.Sqrt(variance), 0.5);
        for (int i = 0; i < 3; i++) Assert.Equal((x[i] - m) / Math.Sqrt(var) + 0.5, y[i], 1e-5);

        x[6] = float.NaN;
        Assert.False(TensorBlocks.HugeStatistics(ref x[0], 2, 3, 5, out _, out _, out _));
    }
}
