using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using NormGen.Testing;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Tests;

/// <summary>
/// Independent double-precision references for the tensor kinds: plain loops over the (N, C, S) or (R, F) layout, mean
/// first, then Σ(x − mean)², nothing shared with the generated kernels.
/// </summary>
internal static class TensorReference
{
    /// <summary>Statistics (mean, biased variance) of the values picked by <paramref name="index"/>.</summary>
    public static (double Mean, double Var) Moments(IEnumerable<int> index, double[] x)
    {
        // Shifted by the first value: exact for a constant block (the plain mean Σx/n of nine equal doubles need not be
        // their value, and then a constant column's reference was ±1 instead of 0).
        var idx = index.ToList();
        double shift = x[idx[0]];
        double mean = shift + idx.Sum(i => x[i] - shift) / idx.Count;
        double var = idx.Sum(i => (x[i] - mean) * (x[i] - mean)) / idx.Count;
        return (mean, var);
    }

    public static IEnumerable<int> ChannelIndices(int n, int c0, int channels, int cs, int s) =>
        Enumerable.Range(c0, channels).SelectMany(c => Enumerable.Range(0, s).Select(j => (n * cs + c) * s + j));

    /// <summary>GroupNorm (InstanceNorm when groups = C).</summary>
    public static double[] GroupNorm(double[] x, int n, int c, int s, int groups, double[]? gamma, double[]? beta, double eps)
    {
        var y = new double[x.Length];
        int per = c / groups;
        for (int b = 0; b < n; b++)
            for (int g = 0; g < groups; g++)
            {
                var (mean, var) = Moments(ChannelIndices(b, g * per, per, c, s), x);
                double rstd = 1 / Math.Sqrt(var + eps);
                foreach (int ch in Enumerable.Range(g * per, per))
                    for (int j = 0; j < s; j++)
                    {
                        int i = (b * c + ch) * s + j;
                        y[i] = (x[i] - mean) * rstd * (gamma?[ch] ?? 1) + (beta?[ch] ?? 0);
                    }
            }
        return y;
    }

    /// <summary>BatchNorm training: y and the batch mean and biased variance per channel.</summary>
    public static double[] BatchNormTrain(double[] x, int n, int c, int s, double[]? gamma, double[]? beta, double eps, out double[] mean, out double[] var)
    {
        var y = new double[x.Length];
        mean = new double[c];
        var = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            var idx = Enumerable.Range(0, n).SelectMany(b => ChannelIndices(b, ch, 1, c, s)).ToList();
            (mean[ch], var[ch]) = Moments(idx, x);
            double rstd = 1 / Math.Sqrt(var[ch] + eps);
            foreach (int i in idx) y[i] = (x[i] - mean[ch]) * rstd * (gamma?[ch] ?? 1) + (beta?[ch] ?? 0);
        }
        return y;
    }

    public static double[] BatchNormEval(double[] x, int n, int c, int s, double[] gamma, double[] beta, double[] rm, double[] rv, double eps)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / s % c;
            y[i] = (x[i] - rm[ch]) / Math.Sqrt(rv[ch] + eps) * gamma[ch] + beta[ch];
        }
        return y;
    }

    /// <summary>LayerNorm over C at every (n, s).</summary>
    public static double[] ChannelLayerNorm(double[] x, int n, int c, int s, double[]? gamma, double[]? beta, double eps)
    {
        var y = new double[x.Length];
        for (int b = 0; b < n; b++)
            for (int j = 0; j < s; j++)
            {
                var idx = Enumerable.Range(0, c).Select(ch => (b * c + ch) * s + j).ToList();
                var (mean, var) = Moments(idx, x);
                for (int ch = 0; ch < c; ch++)
                    y[idx[ch]] = (x[idx[ch]] - mean) / Math.Sqrt(var + eps) * (gamma?[ch] ?? 1) + (beta?[ch] ?? 0);
            }
        return y;
    }

    public static double[] Standardize(double[] x, int rows, int features)
    {
        var y = new double[x.Length];
        for (int f = 0; f < features; f++)
        {
            var idx = Enumerable.Range(0, rows).Select(r => r * features + f).ToList();
            var (mean, var) = Moments(idx, x);
            foreach (int i in idx) y[i] = var == 0 ? 0 : (x[i] - mean) / Math.Sqrt(var);
        }
        return y;
    }

    public static double[] MinMax(double[] x, int rows, int features)
    {
        var y = new double[x.Length];
        for (int f = 0; f < features; f++)
        {
            var idx = Enumerable.Range(0, rows).Select(r => r * features + f).ToList();
            double lo = idx.Min(i => x[i]), hi = idx.Max(i => x[i]);
            foreach (int i in idx) y[i] = hi == lo ? 0 : (x[i] - lo) / (hi - lo);
        }
        return y;
    }
}

public class TensorNormTests(ITestOutputHelper output)
{
    private const double Eps = 1e-5;

    // ---------------------------------------------------------------- helpers

    private static nint[] Shape(params int[] dims) => dims.Select(d => (nint)d).ToArray();

    private static (int N, int C, int S) Layout(int[] dims) => (dims[0], dims[1], dims.Skip(2).Aggregate(1, (a, b) => a * b));

    private static double[] Random(int length, int seed, double scale = 2, double offset = 0)
    {
        var rng = new Random(seed);
        // Rounded to float, so float kernels and the double reference see the same inputs.
        return Enumerable.Range(0, length).Select(_ => (double)(float)(offset + (rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    private static float[] F(double[] a) => a.Select(v => (float)v).ToArray();

    private static Half[] H(double[] a) => a.Select(v => (Half)v).ToArray();

    private static double[] D(float[] a) => a.Select(v => (double)v).ToArray();

    private static double[] D(Half[] a) => a.Select(v => (double)v).ToArray();

    /// <summary>Max |a − b| / (1 + |b|).</summary>
    private static double MaxErr(double[] actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = Math.Abs(actual[i] - expected[i]) / (1 + Math.Abs(expected[i]));
            if (double.IsNaN(e)) e = double.PositiveInfinity;
            max = Math.Max(max, e);
        }
        return max;
    }

    private void Check(string what, double[] actual, double[] expected, double tolerance)
    {
        double err = MaxErr(actual, expected);
        output.WriteLine($"{what}: max rel err {err:E2}");
        Assert.True(err <= tolerance, $"{what}: {err:E3} > {tolerance:E1}");
    }

    public static IEnumerable<object[]> ChannelShapes() => new[]
    {
        new object[] { new[] { 1, 1, 1 } }, new object[] { new[] { 2, 3 } }, new object[] { new[] { 4, 64 } },
        new object[] { new[] { 1, 8, 3 } }, new object[] { new[] { 2, 3, 7, 7 } }, new object[] { new[] { 3, 16, 17 } },
        new object[] { new[] { 4, 64, 5, 5 } }, new object[] { new[] { 2, 32, 2, 3, 4 } }, new object[] { new[] { 1, 5, 100 } },
        // A sample's panel past ColumnEngine.MaxPlainStorePanelBytes in float and double (64 × 143): ChannelLayerNorm's
        // whole column chunks then store through the select with y, and the last one overlaps.
        new object[] { new[] { 2, 64, 11, 13 } },
    };

    // ---------------------------------------------------------------- BatchNorm eval

    [Theory, MemberData(nameof(ChannelShapes))]
    public void BatchNormEvalMatchesReferenceAndOrt(int[] dims)
    {
        var (n, c, s) = Layout(dims);
        double[] x = Random(n * c * s, 1, 3, 0.5), g = Random(c, 2), b = Random(c, 3), rm = Random(c, 4);
        double[] rv = Random(c, 5).Select(v => v * v + 0.1).ToArray();
        double[] expected = TensorReference.BatchNormEval(x, n, c, s, g, b, rm, rv, Eps);

        float[] xf = F(x), yf = new float[x.Length];
        Blocks.BnEval(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), F(g), F(b), F(rm), F(rv), new TensorSpan<float>(yf, Shape(dims)));
        Check("float", D(yf), TensorReference.BatchNormEval(D(xf), n, c, s, D(F(g)), D(F(b)), D(F(rm)), D(F(rv)), Eps), 2e-6);

        double[] yd = new double[x.Length];
        TensorKernels.BnEvalDouble(new ReadOnlyTensorSpan<double>(x, Shape(dims)), g, b, rm, rv, new TensorSpan<double>(yd, Shape(dims)));
        Check("double", yd, expected, 1e-14);

        Half[] xh = H(x), yh = new Half[x.Length];
        double[] expectedHalf = TensorReference.BatchNormEval(D(xh), n, c, s, D(H(g)), D(H(b)), D(H(rm)), D(H(rv)), Eps);
        TensorKernels.BnEvalHalf(new ReadOnlyTensorSpan<Half>(xh, Shape(dims)), H(g), H(b), H(rm), H(rv), new TensorSpan<Half>(yh, Shape(dims)));
        Check("Half", D(yh), expectedHalf, 1e-3);

        float[] ort = RunOrt(OnnxModels.BatchNormalization(dims.Select(d => (long)d).ToArray(), (float)Eps), dims, xf, F(g), F(b), F(rm), F(rv));
        Check("ORT vs NormGen", D(yf), D(ort), 2e-6);

        // In place: y is x.
        Blocks.BnEval(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), F(g), F(b), F(rm), F(rv), new TensorSpan<float>(xf, Shape(dims)));
        Assert.Equal(yf, xf);
    }

    private static float[] RunOrt(byte[] model, int[] dims, float[] x, params float[][] parameters)
    {
        using var session = new InferenceSession(model);
        var names = session.InputNames.ToArray();
        var values = new List<OrtValue> { OrtValue.CreateTensorValueFromMemory(x, dims.Select(d => (long)d).ToArray()) };
        foreach (float[] p in parameters) values.Add(OrtValue.CreateTensorValueFromMemory(p, new long[] { p.Length }));
        try
        {
            using var results = session.Run(new RunOptions(), names, values, session.OutputNames.Take(1).ToArray());
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    // ---------------------------------------------------------------- BatchNorm training

    [Theory]
    [InlineData(new[] { 2, 3 }), InlineData(new[] { 4, 64 }), InlineData(new[] { 1, 4, 3 }), InlineData(new[] { 2, 3, 7, 7 }), InlineData(new[] { 3, 16, 17 }), InlineData(new[] { 4, 8, 1 })]
    public void BatchNormTrainingTracksRunningStatisticsOverSteps(int[] dims)
    {
        var (n, c, s) = Layout(dims);
        double[] g = Random(c, 2), b = Random(c, 3);
        // Momentum 0.1 (the contract declaration) and cumulative average, side by side, for four batches.
        float[] rmF = new float[c], rvF = Enumerable.Repeat(1f, c).ToArray();
        float[] rmC = new float[c], rvC = Enumerable.Repeat(1f, c).ToArray();
        long[] tracked = { 0 };
        double[] rmRef = new double[c], rvRef = Enumerable.Repeat(1d, c).ToArray();
        double[] rmRefC = new double[c], rvRefC = Enumerable.Repeat(1d, c).ToArray();
        double count = (double)n * s;
        for (int step = 1; step <= 4; step++)
        {
            double[] x = Random(n * c * s, 10 + step, 2 + step, step * 3.0);
            double[] expected = TensorReference.BatchNormTrain(x, n, c, s, g, b, Eps, out double[] mean, out double[] var);
            float[] y = new float[x.Length], y2 = new float[x.Length];
            Blocks.BnTrain(new ReadOnlyTensorSpan<float>(F(x), Shape(dims)), F(g), F(b), rmF, rvF, new TensorSpan<float>(y, Shape(dims)));
            TensorKernels.BnCumulative(new ReadOnlyTensorSpan<float>(F(x), Shape(dims)), F(g), F(b), rmC, rvC, tracked, new TensorSpan<float>(y2, Shape(dims)));
            Check($"step {step} y", D(y), expected, 1e-5);
            Assert.Equal(y, y2);
            Assert.Equal(step, tracked[0]);
            double m = 1.0 / step;
            for (int ch = 0; ch < c; ch++)
            {
                rmRef[ch] = 0.9 * rmRef[ch] + 0.1 * mean[ch];
                rvRef[ch] = 0.9 * rvRef[ch] + 0.1 * var[ch] * count / (count - 1);
                rmRefC[ch] = (1 - m) * rmRefC[ch] + m * mean[ch];
                rvRefC[ch] = (1 - m) * rvRefC[ch] + m * var[ch] * count / (count - 1);
            }
            Check($"step {step} runningMean", D(rmF), rmRef, 1e-5);
            Check($"step {step} runningVar", D(rvF), rvRef, 1e-5);
            Check($"step {step} cumulative runningMean", D(rmC), rmRefC, 1e-5);
            Check($"step {step} cumulative runningVar", D(rvC), rvRefC, 1e-5);
        }
    }

    [Theory]
    [InlineData(new[] { 3, 5, 9, 11 })]  // blocks of 99: six 512-bit float vectors and a masked tail (double: twelve and a tail)
    [InlineData(new[] { 2, 4, 64 })]     // whole vectors only
    [InlineData(new[] { 1, 3, 130 })]    // one sample
    [InlineData(new[] { 5, 2, 13, 17 })] // blocks of 221: the four-vector loop, single vectors and a tail
    public void BatchNormTrainingOfLongBlocksMatchesTheReference(int[] dims)
    {
        // Blocks of four 512-bit vectors or more take whole channels at a time (BlockEngine.Channels512).
        var (n, c, s) = Layout(dims);
        double[] x = Random(n * c * s, 31, 3, 5), g = Random(c, 32), b = Random(c, 33);
        double count = (double)n * s;
        double[] expected = TensorReference.BatchNormTrain(x, n, c, s, g, b, Eps, out double[] mean, out double[] var);
        float[] y = new float[x.Length], rm = new float[c], rv = Enumerable.Repeat(1f, c).ToArray();
        Blocks.BnTrain(new ReadOnlyTensorSpan<float>(F(x), Shape(dims)), F(g), F(b), rm, rv, new TensorSpan<float>(y, Shape(dims)));
        Check("float y", D(y), expected, 1e-5);
        Check("float runningMean", D(rm), mean.Select(v => 0.1 * v).ToArray(), 1e-6);
        Check("float runningVar", D(rv), var.Select(v => 0.9 + 0.1 * v * count / (count - 1)).ToArray(), 1e-6);

        // In place gives the bits of out of place.
        float[] inPlace = F(x), rmI = new float[c], rvI = Enumerable.Repeat(1f, c).ToArray();
        Blocks.BnTrain(new ReadOnlyTensorSpan<float>(inPlace, Shape(dims)), F(g), F(b), rmI, rvI, new TensorSpan<float>(inPlace, Shape(dims)));
        Assert.Equal(y, inPlace);
        Assert.Equal(rv, rvI);

        double[] expectedD = TensorReference.BatchNormTrain(x, n, c, s, g, b, 1e-3, out _, out double[] varD);
        double[] yd = new double[x.Length], rmD = new double[c], rvD = Enumerable.Repeat(1d, c).ToArray();
        TensorKernels.BnTrainDouble(new ReadOnlyTensorSpan<double>(x, Shape(dims)), g, b, rmD, rvD, new TensorSpan<double>(yd, Shape(dims)));
        Check("double y", yd, expectedD, 1e-13);
        Check("double runningVar", rvD, varD.Select(v => 0.75 + 0.25 * v * count / (count - 1)).ToArray(), 1e-14);

        // A NaN in the last channel's last block: that channel's outputs and running statistics are NaN, the other
        // channels keep their bits.
        float[] xn = F(x), yn = new float[x.Length], rmN = new float[c], rvN = Enumerable.Repeat(1f, c).ToArray();
        xn[((n - 1) * c + c - 1) * s + s / 2] = float.NaN;
        Blocks.BnTrain(new ReadOnlyTensorSpan<float>(xn, Shape(dims)), F(g), F(b), rmN, rvN, new TensorSpan<float>(yn, Shape(dims)));
        for (int i = 0; i < yn.Length; i++)
        {
            if (i / s % c == c - 1) Assert.True(float.IsNaN(yn[i]), $"element {i} of the NaN's channel is {yn[i]}");
            else Assert.Equal(y[i], yn[i]);
        }
        Assert.True(float.IsNaN(rmN[c - 1]) && float.IsNaN(rvN[c - 1]));
        Assert.Equal(rm.AsSpan(0, c - 1).ToArray(), rmN.AsSpan(0, c - 1).ToArray());
    }

    [Fact]
    public void BatchNormTrainingDoubleHalfAndNoAffine()
    {
        int[] dims = { 3, 5, 4, 5 };
        var (n, c, s) = Layout(dims);
        double[] x = Random(n * c * s, 7, 4, 100), g = Random(c, 2), b = Random(c, 3);
        double count = n * s;

        double[] expected = TensorReference.BatchNormTrain(x, n, c, s, g, b, 1e-3, out double[] mean, out double[] var);
        double[] yd = new double[x.Length], rm = new double[c], rv = Enumerable.Repeat(1d, c).ToArray();
        TensorKernels.BnTrainDouble(new ReadOnlyTensorSpan<double>(x, Shape(dims)), g, b, rm, rv, new TensorSpan<double>(yd, Shape(dims)));
        Check("double y", yd, expected, 1e-13);
        Check("double runningMean", rm, mean.Select(v => 0.25 * v).ToArray(), 1e-14);
        Check("double runningVar", rv, var.Select(v => 0.75 + 0.25 * v * count / (count - 1)).ToArray(), 1e-14);

        Half[] xh = H(x);
        double[] expectedH = TensorReference.BatchNormTrain(D(xh), n, c, s, D(H(g)), D(H(b)), Eps, out double[] meanH, out _);
        Half[] yh = new Half[x.Length], rmH = new Half[c], rvH = Enumerable.Repeat((Half)1, c).ToArray();
        TensorKernels.BnTrainHalf(new ReadOnlyTensorSpan<Half>(xh, Shape(dims)), H(g), H(b), rmH, rvH, new TensorSpan<Half>(yh, Shape(dims)));
        Check("Half y", D(yh), expectedH, 1e-3);
        Check("Half runningMean", D(rmH), meanH.Select(v => 0.1 * v).ToArray(), 1e-3);

        double[] expectedN = TensorReference.BatchNormTrain(x, n, c, s, null, null, Eps, out _, out _);
        float[] yn = new float[x.Length];
        TensorKernels.BnTrainNoAffine(new ReadOnlyTensorSpan<float>(F(x), Shape(dims)), new float[c], new float[c], new TensorSpan<float>(yn, Shape(dims)));
        Check("no affine", D(yn), expectedN, 2e-5);
    }

    // ---------------------------------------------------------------- GroupNorm / InstanceNorm

    [Theory]
    [InlineData(new[] { 1, 4 }), InlineData(new[] { 2, 4, 1 }), InlineData(new[] { 2, 8, 3 }), InlineData(new[] { 3, 12, 7, 7 }), InlineData(new[] { 4, 64, 17 }), InlineData(new[] { 1, 16, 2, 3, 5 })]
    public void GroupNormMatchesReferenceAndOrt(int[] dims)
    {
        var (n, c, s) = Layout(dims);
        double[] x = Random(n * c * s, 21, 3, -2), g = Random(c, 22), b = Random(c, 23);
        float[] xf = F(x), yf = new float[x.Length];
        double[] expected = TensorReference.GroupNorm(D(xf), n, c, s, 4, D(F(g)), D(F(b)), Eps);
        TensorKernels.Gn4(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), F(g), F(b), new TensorSpan<float>(yf, Shape(dims)));
        Check("float", D(yf), expected, 1e-5);

        double[] yd = new double[x.Length];
        TensorKernels.Gn2Double(new ReadOnlyTensorSpan<double>(x, Shape(dims)), g, b, new TensorSpan<double>(yd, Shape(dims)));
        Check("double, 2 groups", yd, TensorReference.GroupNorm(x, n, c, s, 2, g, b, 1e-6), 1e-13);

        Half[] xh = H(x), yh = new Half[x.Length];
        TensorKernels.Gn4Half(new ReadOnlyTensorSpan<Half>(xh, Shape(dims)), H(g), H(b), new TensorSpan<Half>(yh, Shape(dims)));
        Check("Half", D(yh), TensorReference.GroupNorm(D(xh), n, c, s, 4, D(H(g)), D(H(b)), Eps), 1e-3);

        float[] ort = RunOrt(OnnxModels.GroupNormalization(dims.Select(d => (long)d).ToArray(), 4, (float)Eps), dims, xf, F(g), F(b));
        Check("ORT (opset 21) vs NormGen", D(yf), D(ort), 1e-5);

        TensorKernels.Gn4(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), F(g), F(b), new TensorSpan<float>(xf, Shape(dims)));
        Assert.Equal(yf, xf);
    }

    [Theory]
    [InlineData(new[] { 1, 32, 1 }), InlineData(new[] { 2, 64, 7, 7 }), InlineData(new[] { 1, 32, 17 })]
    public void GroupNorm32ContractDeclaration(int[] dims)
    {
        var (n, c, s) = Layout(dims);
        double[] x = Random(n * c * s, 31, 1, 5), g = Random(c, 32), b = Random(c, 33);
        float[] y = new float[x.Length];
        float[] xf = F(x);
        Blocks.Gn(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), F(g), F(b), new TensorSpan<float>(y, Shape(dims)));
        Check("Gn(32)", D(y), TensorReference.GroupNorm(D(xf), n, c, s, 32, D(F(g)), D(F(b)), Eps), 1e-5);
    }

    [Theory, MemberData(nameof(ChannelShapes))]
    public void InstanceNormMatchesReferenceAndOrt(int[] dims)
    {
        var (n, c, s) = Layout(dims);
        double[] x = Random(n * c * s, 41, 2, 1), g = Random(c, 42), b = Random(c, 43);
        float[] xf = F(x), y = new float[x.Length], ya = new float[x.Length];
        Blocks.Inorm(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), new TensorSpan<float>(y, Shape(dims)));
        Check("float", D(y), TensorReference.GroupNorm(D(xf), n, c, s, c, null, null, Eps), 1e-5);
        TensorKernels.InormAffine(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), F(g), F(b), new TensorSpan<float>(ya, Shape(dims)));
        Check("float affine", D(ya), TensorReference.GroupNorm(D(xf), n, c, s, c, D(F(g)), D(F(b)), Eps), 1e-5);

        double[] yd = new double[x.Length];
        TensorKernels.InormDouble(new ReadOnlyTensorSpan<double>(x, Shape(dims)), new TensorSpan<double>(yd, Shape(dims)));
        Check("double", yd, TensorReference.GroupNorm(x, n, c, s, c, null, null, Eps), 1e-13);

        Half[] xh = H(x), yh = new Half[x.Length];
        TensorKernels.InormHalf(new ReadOnlyTensorSpan<Half>(xh, Shape(dims)), new TensorSpan<Half>(yh, Shape(dims)));
        Check("Half", D(yh), TensorReference.GroupNorm(D(xh), n, c, s, c, null, null, Eps), 1e-3);

        if (dims.Length >= 3) // ORT's InstanceNormalization rejects rank 2
        {
            float[] ort = RunOrt(OnnxModels.InstanceNormalization(dims.Select(d => (long)d).ToArray(), (float)Eps), dims, xf, F(g), F(b));
            Check("ORT vs NormGen (affine)", D(ya), D(ort), 1e-5);
        }

        Blocks.Inorm(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), new TensorSpan<float>(xf, Shape(dims)));
        Assert.Equal(y, xf);
    }

    // ---------------------------------------------------------------- channel LayerNorm

    [Theory, MemberData(nameof(ChannelShapes))]
    public void ChannelLayerNormMatchesReference(int[] dims)
    {
        var (n, c, s) = Layout(dims);
        double[] x = Random(n * c * s, 51, 2, 10), g = Random(c, 52), b = Random(c, 53);
        float[] xf = F(x), y = new float[x.Length], ybf = new float[x.Length];
        TensorKernels.ChannelLn(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), F(g), F(b), new TensorSpan<float>(y, Shape(dims)));
        Check("float", D(y), TensorReference.ChannelLayerNorm(D(xf), n, c, s, D(F(g)), D(F(b)), Eps), 1e-5);
        TensorKernels.ChannelLnScale(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), F(g), new TensorSpan<float>(ybf, Shape(dims)));
        Check("float Affine.Scale (centred, γ only)", D(ybf), TensorReference.ChannelLayerNorm(D(xf), n, c, s, D(F(g)), null, 1e-6), 1e-5);

        double[] yd = new double[x.Length];
        TensorKernels.ChannelLnDouble(new ReadOnlyTensorSpan<double>(x, Shape(dims)), g, b, new TensorSpan<double>(yd, Shape(dims)));
        Check("double", yd, TensorReference.ChannelLayerNorm(x, n, c, s, g, b, Eps), 1e-13);

        Half[] xh = H(x), yh = new Half[x.Length];
        TensorKernels.ChannelLnHalf(new ReadOnlyTensorSpan<Half>(xh, Shape(dims)), H(g), H(b), new TensorSpan<Half>(yh, Shape(dims)));
        Check("Half", D(yh), TensorReference.ChannelLayerNorm(D(xh), n, c, s, D(H(g)), D(H(b)), Eps), 1e-3);

        TensorKernels.ChannelLn(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), F(g), F(b), new TensorSpan<float>(xf, Shape(dims)));
        Assert.Equal(y, xf);
    }

    /// <summary>
    /// Restormer's BiasFree_LayerNorm, written as Restormer writes it: <c>sigma = x.var(-1, keepdim=True,
    /// unbiased=False); return x / torch.sqrt(sigma + 1e-5) * weight</c> over the C values at each position.
    /// </summary>
    internal static double[] RestormerBiasFree(double[] x, int n, int c, int s, double[] weight, double eps)
    {
        var y = new double[x.Length];
        for (int b = 0; b < n; b++)
            for (int p = 0; p < s; p++)
            {
                double mean = 0, variance = 0;
                for (int k = 0; k < c; k++) mean += x[(b * c + k) * s + p];
                mean /= c;
                for (int k = 0; k < c; k++) variance += (x[(b * c + k) * s + p] - mean) * (x[(b * c + k) * s + p] - mean);
                variance /= c;
                for (int k = 0; k < c; k++) y[(b * c + k) * s + p] = x[(b * c + k) * s + p] / Math.Sqrt(variance + eps) * weight[k];
            }
        return y;
    }

    /// <summary>
    /// [ChannelLayerNorm(BiasFree = true)] is Restormer's BiasFree_LayerNorm: the variance is taken around the mean, the
    /// mean is not subtracted. Data with mean ≈ 1 (σ ≈ 0.6) makes it far from the centred LayerNorm (checked too), so a
    /// kernel that subtracts μ fails by about 1.7/σ.
    /// </summary>
    [Theory, MemberData(nameof(ChannelShapes))]
    public void ChannelLayerNormBiasFreeIsRestormers(int[] dims)
    {
        var (n, c, s) = Layout(dims);
        double[] x = Random(n * c * s, 54, 1, 1), w = Random(c, 55, 1, 1);
        double[] expected = RestormerBiasFree(x, n, c, s, w, Eps);
        if (c > 1)
            Assert.True(MaxErr(TensorReference.ChannelLayerNorm(x, n, c, s, w, null, Eps), expected) > 0.1, "the data should separate BiasFree from centred LayerNorm");

        float[] xf = F(x), yf = new float[x.Length];
        TensorKernels.ChannelLnBiasFree(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), F(w), new TensorSpan<float>(yf, Shape(dims)));
        Check("float", D(yf), RestormerBiasFree(D(xf), n, c, s, D(F(w)), Eps), 2e-6);

        double[] yd = new double[x.Length];
        TensorKernels.ChannelLnBiasFreeDouble(new ReadOnlyTensorSpan<double>(x, Shape(dims)), w, new TensorSpan<double>(yd, Shape(dims)));
        Check("double", yd, expected, 1e-13);

        Half[] xh = H(x), yh = new Half[x.Length];
        TensorKernels.ChannelLnBiasFreeHalf(new ReadOnlyTensorSpan<Half>(xh, Shape(dims)), H(w), new TensorSpan<Half>(yh, Shape(dims)));
        Check("Half", D(yh), RestormerBiasFree(D(xh), n, c, s, D(H(w)), Eps), 2e-3);

        // In place: y is x.
        TensorKernels.ChannelLnBiasFree(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), F(w), new TensorSpan<float>(xf, Shape(dims)));
        Assert.Equal(yf, xf);
    }

    // ---------------------------------------------------------------- feature scaling

    public static IEnumerable<object[]> SampleShapes() => new[]
    {
        new object[] { new[] { 1, 1 } }, new object[] { new[] { 5, 3 } }, new object[] { new[] { 2, 4 } }, new object[] { new[] { 17, 7 } },
        new object[] { new[] { 100, 33 } }, new object[] { new[] { 9, 64 } }, new object[] { new[] { 4, 3, 5 } }, new object[] { new[] { 64, 17 } },
        new object[] { new[] { 40, 70 } }, new object[] { new[] { 37, 300 } }, // wide: the row-by-row column passes, stack and rented buffers
    };

    [Theory, MemberData(nameof(SampleShapes))]
    public void StandardizeAndMinMaxMatchReference(int[] dims)
    {
        int rows = dims[0], features = dims.Skip(1).Aggregate(1, (a, b) => a * b);
        double[] x = Random(rows * features, 61, 5, 1000);
        float[] xf = F(x), yz = new float[x.Length], ym = new float[x.Length];
        Blocks.ZScore(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), new TensorSpan<float>(yz, Shape(dims)));
        Check("ZScore float", D(yz), TensorReference.Standardize(D(xf), rows, features), 1e-4);
        Blocks.MinMax(new ReadOnlyTensorSpan<float>(xf, Shape(dims)), new TensorSpan<float>(ym, Shape(dims)));
        Check("MinMax float", D(ym), TensorReference.MinMax(D(xf), rows, features), 1e-4);
        Assert.All(ym, v => Assert.InRange(v, 0f, 1f));

        double[] yd = new double[x.Length], ymd = new double[x.Length];
        TensorKernels.ZScoreDouble(new ReadOnlyTensorSpan<double>(x, Shape(dims)), new TensorSpan<double>(yd, Shape(dims)));
        Check("ZScore double", yd, TensorReference.Standardize(x, rows, features), 1e-11);
        TensorKernels.MinMaxDouble(new ReadOnlyTensorSpan<double>(x, Shape(dims)), new TensorSpan<double>(ymd, Shape(dims)));
        Check("MinMax double", ymd, TensorReference.MinMax(x, rows, features), 1e-13);

        double[] xs = Random(rows * features, 62, 3);
        Half[] xh = H(xs), yh = new Half[x.Length], ymh = new Half[x.Length];
        TensorKernels.ZScoreHalf(new ReadOnlyTensorSpan<Half>(xh, Shape(dims)), new TensorSpan<Half>(yh, Shape(dims)));
        Check("ZScore Half", D(yh), TensorReference.Standardize(D(xh), rows, features), 1e-3);
        TensorKernels.MinMaxHalf(new ReadOnlyTensorSpan<Half>(xh, Shape(dims)), new TensorSpan<Half>(ymh, Shape(dims)));
        Check("MinMax Half", D(ymh), TensorReference.MinMax(D(xh), rows, features), 1e-3);

        float[] inPlace = (float[])xf.Clone();
        Blocks.ZScore(new ReadOnlyTensorSpan<float>(inPlace, Shape(dims)), new TensorSpan<float>(inPlace, Shape(dims)));
        Assert.Equal(yz, inPlace);
        inPlace = (float[])xf.Clone();
        Blocks.MinMax(new ReadOnlyTensorSpan<float>(inPlace, Shape(dims)), new TensorSpan<float>(inPlace, Shape(dims)));
        Assert.Equal(ym, inPlace);
    }

    // ---------------------------------------------------------------- constant groups, NaN, large means

    [Fact]
    public void ConstantGroupsGiveExactlyBetaOrZero()
    {
        int[] dims = { 2, 8, 5, 7 };
        var (n, c, s) = Layout(dims);
        float[] x = Enumerable.Range(0, n * c * s).Select(i => 1234.5678f + (i / s % c)).ToArray(); // constant per (n, c)
        float[] g = F(Random(c, 1)), b = F(Random(c, 2)), y = new float[x.Length];
        TensorKernels.InormAffine(new ReadOnlyTensorSpan<float>(x, Shape(dims)), g, b, new TensorSpan<float>(y, Shape(dims)));
        for (int i = 0; i < y.Length; i++) Assert.Equal(b[i / s % c], y[i]);

        // Constant per group of two channels for Gn4, constant per channel across the batch for BatchNorm training.
        float[] xg = Enumerable.Range(0, n * c * s).Select(i => -77.125f * (i / (2 * s))).ToArray();
        TensorKernels.Gn4(new ReadOnlyTensorSpan<float>(xg, Shape(dims)), g, b, new TensorSpan<float>(y, Shape(dims)));
        for (int i = 0; i < y.Length; i++) Assert.Equal(b[i / s % c], y[i]);
        float[] xb = Enumerable.Range(0, n * c * s).Select(i => 3.3f * (i / s % c) + 1e4f).ToArray();
        Blocks.BnTrain(new ReadOnlyTensorSpan<float>(xb, Shape(dims)), g, b, new float[c], new float[c], new TensorSpan<float>(y, Shape(dims)));
        for (int i = 0; i < y.Length; i++) Assert.Equal(b[i / s % c], y[i]);

        // Channel LayerNorm: constant over C at each position.
        float[] xc = Enumerable.Range(0, n * c * s).Select(i => 0.1f * (i % s) + 9f).ToArray();
        TensorKernels.ChannelLn(new ReadOnlyTensorSpan<float>(xc, Shape(dims)), g, b, new TensorSpan<float>(y, Shape(dims)));
        for (int i = 0; i < y.Length; i++) Assert.Equal(b[i / s % c], y[i]);

        // Feature scaling: constant columns give 0, the others still scale.
        int rows = 19, features = 21;
        float[] xs = Enumerable.Range(0, rows * features).Select(i => i % features % 2 == 0 ? 42.42f : i * 0.37f).ToArray();
        float[] z = new float[xs.Length], m = new float[xs.Length];
        Blocks.ZScore(new ReadOnlyTensorSpan<float>(xs, Shape(rows, features)), new TensorSpan<float>(z, Shape(rows, features)));
        Blocks.MinMax(new ReadOnlyTensorSpan<float>(xs, Shape(rows, features)), new TensorSpan<float>(m, Shape(rows, features)));
        for (int i = 0; i < xs.Length; i++)
        {
            if (i % features % 2 == 0) { Assert.Equal(0f, z[i]); Assert.Equal(0f, m[i]); }
            else Assert.True(float.IsFinite(z[i]) && m[i] >= 0 && m[i] <= 1);
        }
        Assert.Equal(1f, m[(rows - 1) * features + 1]); // the largest value of an increasing column maps to exactly 1
    }

    [Fact]
    public void NaNStaysInItsGroup()
    {
        int[] dims = { 2, 8, 3, 7 };
        var (n, c, s) = Layout(dims);
        double[] xd = Random(n * c * s, 71);
        float[] x = F(xd);
        int poisoned = (1 * c + 5) * s + 4; // sample 1, channel 5
        x[poisoned] = float.NaN;
        float[] g = F(Random(c, 1)), b = F(Random(c, 2)), y = new float[x.Length];

        void Expect(Func<int, bool> inGroup, string what)
        {
            for (int i = 0; i < y.Length; i++)
                Assert.True(inGroup(i) ? float.IsNaN(y[i]) : float.IsFinite(y[i]), $"{what}: element {i} is {y[i]}");
        }
        TensorKernels.Gn4(new ReadOnlyTensorSpan<float>(x, Shape(dims)), g, b, new TensorSpan<float>(y, Shape(dims)));
        Expect(i => i / s / 2 == (1 * c + 5) / 2, "GroupNorm");
        Blocks.Inorm(new ReadOnlyTensorSpan<float>(x, Shape(dims)), new TensorSpan<float>(y, Shape(dims)));
        Expect(i => i / s == 1 * c + 5, "InstanceNorm");
        Blocks.BnTrain(new ReadOnlyTensorSpan<float>(x, Shape(dims)), g, b, new float[c], new float[c], new TensorSpan<float>(y, Shape(dims)));
        Expect(i => i / s % c == 5, "BatchNorm");
        TensorKernels.ChannelLn(new ReadOnlyTensorSpan<float>(x, Shape(dims)), g, b, new TensorSpan<float>(y, Shape(dims)));
        Expect(i => i / (c * s) == 1 && i % s == 4, "ChannelLayerNorm");

        int rows = 13, features = 37;
        float[] xs = F(Random(rows * features, 72));
        xs[5 * features + 20] = float.NaN;
        y = new float[xs.Length];
        Blocks.ZScore(new ReadOnlyTensorSpan<float>(xs, Shape(rows, features)), new TensorSpan<float>(y, Shape(rows, features)));
        Expect(i => i % features == 20, "Standardize");
        Blocks.MinMax(new ReadOnlyTensorSpan<float>(xs, Shape(rows, features)), new TensorSpan<float>(y, Shape(rows, features)));
        Expect(i => i % features == 20, "MinMax");
    }

    [Fact]
    public void LargeMeansKeepPrecision()
    {
        // Mean 1e4, spread 1e-2: E[x²] − μ² in float would lose every digit of the variance.
        int[] dims = { 2, 16, 9, 9 };
        var (n, c, s) = Layout(dims);
        float[] x = F(Random(n * c * s, 81, 1e-2, 1e4));
        double[] xd = D(x);
        float[] y = new float[x.Length];
        TensorKernels.Gn4(new ReadOnlyTensorSpan<float>(x, Shape(dims)), new float[c].Select(_ => 1f).ToArray(), new float[c], new TensorSpan<float>(y, Shape(dims)));
        Check("GroupNorm, mean 1e4", D(y), TensorReference.GroupNorm(xd, n, c, s, 4, null, null, Eps), 1e-3);
        Blocks.ZScore(new ReadOnlyTensorSpan<float>(x, Shape(n * c, s)), new TensorSpan<float>(y, Shape(n * c, s)));
        Check("Standardize, mean 1e4", D(y), TensorReference.Standardize(xd, n * c, s), 1e-3);
    }

    // ---------------------------------------------------------------- bad arguments

    [Fact]
    public void WrongShapesThrowNamingTheParameterBeforeWriting()
    {
        float[] x = F(Random(2 * 8 * 5, 91)), y = Enumerable.Repeat(-7f, 2 * 8 * 5).ToArray();
        float[] g = new float[8], b = new float[8], rm = new float[8], rv = Enumerable.Repeat(1f, 8).ToArray();
        nint[] shape = Shape(2, 8, 5);
        void Throws(string param, Action call)
        {
            var e = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(param, e.ParamName);
            Assert.All(y, v => Assert.Equal(-7f, v));
            Assert.All(rm, v => Assert.Equal(0f, v));
        }
        Throws("y", () => Blocks.BnEval(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm, rv, new TensorSpan<float>(y, Shape(2, 8, 4))));
        Throws("gamma", () => Blocks.BnEval(new ReadOnlyTensorSpan<float>(x, shape), new float[7], b, rm, rv, new TensorSpan<float>(y, shape)));
        Throws("runningVar", () => Blocks.BnTrain(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm, new float[9], new TensorSpan<float>(y, shape)));
        Throws("x", () => Blocks.BnTrain(new ReadOnlyTensorSpan<float>(x, Shape(1, 80, 1)), new float[80], new float[80], new float[80], new float[80], new TensorSpan<float>(y, Shape(1, 80, 1))));
        Throws("batchesTracked", () => TensorKernels.BnCumulative(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm, rv, new long[2], new TensorSpan<float>(y, shape)));
        Throws("x", () => TensorKernels.Gn4(new ReadOnlyTensorSpan<float>(x, Shape(2, 10, 4)), new float[10], new float[10], new TensorSpan<float>(y, Shape(2, 10, 4))));
        Throws("x", () => Blocks.Gn(new ReadOnlyTensorSpan<float>(x, shape), g, b, new TensorSpan<float>(y, shape)));
        Throws("beta", () => TensorKernels.ChannelLn(new ReadOnlyTensorSpan<float>(x, shape), g, new float[5], new TensorSpan<float>(y, shape)));
        Throws("x", () => Blocks.Inorm(new ReadOnlyTensorSpan<float>(x, Shape(80)), new TensorSpan<float>(y, Shape(80))));
        Throws("x", () => Blocks.ZScore(new ReadOnlyTensorSpan<float>(x, Shape(80)), new TensorSpan<float>(y, Shape(80))));
        Throws("y", () => Blocks.MinMax(new ReadOnlyTensorSpan<float>(x, Shape(8, 10)), new TensorSpan<float>(y, Shape(10, 8))));
        Throws("y", () => Blocks.Inorm(new ReadOnlyTensorSpan<float>(x, Shape(2, 8, 4)), new TensorSpan<float>(x.AsSpan(1, 64), Shape(2, 8, 4))));

        // Empty tensors do nothing.
        Blocks.Inorm(new ReadOnlyTensorSpan<float>(x, Shape(0, 8, 5)), new TensorSpan<float>(y, Shape(0, 8, 5)));
        Assert.All(y, v => Assert.Equal(-7f, v));
    }
}
