using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// BatchNorm training of (N, C) panels, whose passes run row by row (with 512-bit vectors BlockEngine.PanelRow512: whole
/// vectors, then the columns past the last one element by element): widths with and without such a remainder, against
/// the double reference (outputs, running and saved statistics), in place, and on seven threads (ranges of columns).
/// </summary>
[Collection(SettingsCollection.Name)]
public class PanelRowTests
{
    private const double Eps = 1e-5;

    /// <summary>(N, C): float 1 vector + 3 columns, 0 + 8, 2 + 15, 8 + 0; double 2 + 3, 1 + 0, 5 + 7, 16 + 0.</summary>
    public static TheoryData<int, int> Shapes => new() { { 5, 19 }, { 7, 8 }, { 33, 47 }, { 4, 128 } };

    private static double[] Random(int length, int seed, double mean, double spread)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (double)(float)(mean + spread * (random.NextDouble() * 2 - 1))).ToArray();
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PanelsMatchTheReference(int n, int c)
    {
        nint[] shape = [n, c];
        double[] x = Random(n * c, n + c, 4, 3), g = Random(c, 2, 1, 0.5), b = Random(c, 3, 0, 0.5);
        double[] expected = TensorReference.BatchNormTrain(x, n, c, 1, g, b, Eps, out double[] mean, out double[] var);
        double[] expectedRunningVar = var.Select(v => 0.9 + 0.1 * v * n / (n - 1d)).ToArray();

        float[] y = new float[x.Length], rm = new float[c], rv = Enumerable.Repeat(1f, c).ToArray(), sm = new float[c], sr = new float[c];
        GradTensor.BnTrain(new ReadOnlyTensorSpan<float>(x.Select(v => (float)v).ToArray(), shape), g.Select(v => (float)v).ToArray(), b.Select(v => (float)v).ToArray(), rm, rv,
            new TensorSpan<float>(y, shape), sm, sr);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 2e-5 * (1 + Math.Abs(expected[i])), $"float y[{i}] is {y[i]}, expected {expected[i]}");
        for (int ch = 0; ch < c; ch++)
        {
            Assert.True(Math.Abs(rm[ch] - 0.1 * mean[ch]) <= 1e-5 * (1 + Math.Abs(mean[ch])), $"float runningMean[{ch}] is {rm[ch]}, expected {0.1 * mean[ch]}");
            Assert.True(Math.Abs(rv[ch] - expectedRunningVar[ch]) <= 1e-5 * (1 + expectedRunningVar[ch]), $"float runningVar[{ch}] is {rv[ch]}, expected {expectedRunningVar[ch]}");
            Assert.True(Math.Abs(sm[ch] - mean[ch]) <= 1e-5 * (1 + Math.Abs(mean[ch])), $"float saveMean[{ch}] is {sm[ch]}, expected {mean[ch]}");
            Assert.True(Math.Abs(sr[ch] - 1 / Math.Sqrt(var[ch] + Eps)) <= 1e-5 / Math.Sqrt(var[ch] + Eps), $"float saveRstd[{ch}] is {sr[ch]}");
        }

        // In place and on seven threads: the same bits.
        float[] inPlace = x.Select(v => (float)v).ToArray(), rmI = new float[c], rvI = Enumerable.Repeat(1f, c).ToArray();
        GradTensor.BnTrain(new ReadOnlyTensorSpan<float>(inPlace, shape), g.Select(v => (float)v).ToArray(), b.Select(v => (float)v).ToArray(), rmI, rvI,
            new TensorSpan<float>(inPlace, shape), new float[c], new float[c]);
        Assert.Equal(y, inPlace);
        Assert.Equal(rv, rvI);
        using (new SettingsScope(7, 16))
        {
            float[] y7 = new float[x.Length], rm7 = new float[c], rv7 = Enumerable.Repeat(1f, c).ToArray();
            GradTensor.BnTrain(new ReadOnlyTensorSpan<float>(x.Select(v => (float)v).ToArray(), shape), g.Select(v => (float)v).ToArray(), b.Select(v => (float)v).ToArray(), rm7, rv7,
                new TensorSpan<float>(y7, shape), new float[c], new float[c]);
            Assert.Equal(y, y7);
            Assert.Equal(rv, rv7);
        }

        double[] yd = new double[x.Length], rmD = new double[c], rvD = Enumerable.Repeat(1d, c).ToArray(), smD = new double[c], srD = new double[c];
        GradTensor.BnTrainDouble(new ReadOnlyTensorSpan<double>(x, shape), g, b, rmD, rvD, new TensorSpan<double>(yd, shape), smD, srD);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(yd[i] - expected[i]) <= 1e-12 * (1 + Math.Abs(expected[i])), $"double y[{i}] is {yd[i]}, expected {expected[i]}");
        for (int ch = 0; ch < c; ch++)
        {
            Assert.True(Math.Abs(rvD[ch] - expectedRunningVar[ch]) <= 1e-12 * (1 + expectedRunningVar[ch]), $"double runningVar[{ch}] is {rvD[ch]}, expected {expectedRunningVar[ch]}");
            Assert.True(Math.Abs(smD[ch] - mean[ch]) <= 1e-12 * (1 + Math.Abs(mean[ch])), $"double saveMean[{ch}] is {smD[ch]}, expected {mean[ch]}");
        }
    }
}
