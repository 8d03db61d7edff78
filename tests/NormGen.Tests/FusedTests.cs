using System;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using NormGen.Testing;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Tests;

/// <summary>Double-precision reference for the fused row kernels, written independently of the generator.</summary>
internal static class FusedReference
{
    public enum Act { None, Relu, Gelu, GeluTanh, Silu }

    /// <summary>Normalizes one row h (already the residual sum) with the given options; returns y, mean and rstd.</summary>
    public static (double[] Y, double Mean, double Rstd) Row(double[] h, bool rms, double eps, double[]? gamma, double[]? beta, bool zeroCentered, Act act)
    {
        int n = h.Length;
        double mean = rms ? 0 : h.Sum() / n;
        double var = rms ? h.Sum(v => v * v) / n : h.Sum(v => (v - mean) * (v - mean)) / n;
        double rstd = 1 / Math.Sqrt(var + eps);
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double v = (h[i] - mean) * rstd;
            if (gamma is not null) v *= zeroCentered ? 1 + gamma[i] : gamma[i];
            if (beta is not null) v += beta[i];
            y[i] = Activate(v, act);
        }
        return (y, mean, rstd);
    }

    public static double Activate(double v, Act act) => act switch
    {
        Act.Relu => Math.Max(v, 0),
        Act.Gelu => ActivationReference.Gelu(v),
        Act.GeluTanh => ActivationReference.GeluTanh(v),
        Act.Silu => ActivationReference.Silu(v),
        _ => v,
    };

}

public class FusedTests(ITestOutputHelper output)
{
    private static float[] Random(int n, int seed, double scale = 1, double offset = 0)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(offset + scale * (rng.NextDouble() * 2 - 1))).ToArray();
    }

    private static double MaxAbs(ReadOnlySpan<float> a, double[] b, int offset = 0)
    {
        double m = 0;
        for (int i = 0; i < b.Length; i++) m = Math.Max(m, Math.Abs(a[offset + i] - b[i]));
        return m;
    }

    [Fact]
    public void ResidualRmsNormMatchesReferenceAndKeepsTheResidualStream()
    {
        const int d = 4096, rows = 3;
        float[] x = Random(rows * d, 1), res = Random(rows * d, 2, 3), w = Random(d, 3, 0.5, 1);
        float[] y = new float[rows * d], resOut = new float[rows * d];
        Blocks.AddRms(x, res, w, y, resOut);
        double worst = 0;
        for (int r = 0; r < rows; r++)
        {
            double[] h = Enumerable.Range(0, d).Select(i => (double)(x[r * d + i] + res[r * d + i])).ToArray();
            var expected = FusedReference.Row(h, rms: true, 1e-6, w.Select(v => (double)v).ToArray(), null, false, FusedReference.Act.None);
            worst = Math.Max(worst, MaxAbs(y, expected.Y, r * d));
        }
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i] + res[i], resOut[i]); // the float sum, bitwise
        output.WriteLine($"AddRms max abs error vs double reference: {worst:E2}");
        Assert.True(worst < 2e-5, $"max error {worst}");

        // residualOut may be the residual buffer itself.
        float[] inPlace = (float[])res.Clone(), y2 = new float[rows * d];
        Blocks.AddRms(x, inPlace, w, y2, inPlace);
        Assert.Equal(resOut, inPlace);
        Assert.Equal(y, y2);
    }

    [Fact]
    public void DeepNormUsesThePapersAlphaForAnEncoderOnlyStack()
    {
        const int d = 1024, rows = 4;
        double alpha = Math.Pow(2 * 24, 0.25); // (2N)^¼, N = 24
        Assert.Equal(alpha, DeepNet.Alpha(DeepNetArchitecture.EncoderOnly, 24), 12);
        float[] x = Random(rows * d, 4), sub = Random(rows * d, 5, 2), g = Random(d, 6, 0.5, 1), b = Random(d, 7, 0.1);
        float[] y = new float[rows * d];
        Blocks.Deep(x, sub, g, b, y);
        double worst = 0;
        for (int r = 0; r < rows; r++)
        {
            double[] h = Enumerable.Range(0, d).Select(i => alpha * x[r * d + i] + sub[r * d + i]).ToArray();
            var e = FusedReference.Row(h, false, 1e-5, g.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray(), false, FusedReference.Act.None);
            worst = Math.Max(worst, MaxAbs(y, e.Y, r * d));
        }
        output.WriteLine($"DeepNorm max abs error: {worst:E2}");
        Assert.True(worst < 2e-5, $"max error {worst}");
    }

    [Theory]
    [InlineData(DeepNetArchitecture.DecoderOnly, 12, 0)]
    [InlineData(DeepNetArchitecture.EncoderDecoderEncoder, 6, 6)]
    [InlineData(DeepNetArchitecture.EncoderDecoderDecoder, 0, 18)]
    public void DeepNetAlphaFollowsTableOne(DeepNetArchitecture architecture, int n, int m)
    {
        double expected = architecture switch
        {
            DeepNetArchitecture.DecoderOnly => Math.Pow(2.0 * n, 0.25),
            DeepNetArchitecture.EncoderDecoderEncoder => 0.81 * Math.Pow(Math.Pow(n, 4) * m, 1.0 / 16),
            _ => Math.Pow(3.0 * m, 0.25),
        };
        Assert.Equal(expected, DeepNet.Alpha(architecture, n, m), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => DeepNet.Alpha(architecture, 0, 0));
    }

    [Fact]
    public void LayerNormGeluWritesHalfAndSavesStatistics()
    {
        const int d = 768, rows = 5;
        float[] x = Random(rows * d, 8, 3, 10), g = Random(d, 9, 0.5, 1), b = Random(d, 10, 0.2);
        var y = new Half[rows * d];
        float[] mean = new float[rows], rstd = new float[rows];
        Blocks.LnGelu(x, g, b, y, mean, rstd);
        double worstY = 0, worstMean = 0, worstRstd = 0;
        for (int r = 0; r < rows; r++)
        {
            double[] h = Enumerable.Range(0, d).Select(i => (double)x[r * d + i]).ToArray();
            var e = FusedReference.Row(h, false, 1e-5, g.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray(), false, FusedReference.Act.Gelu);
            for (int i = 0; i < d; i++)
            {
                // One rounding to Half: within half an ulp of Half (2^-11 relative) plus the float kernel's own error.
                double tol = Math.Max(Math.Abs(e.Y[i]), 6.1e-5) * Math.Pow(2, -11) + 1e-5;
                double err = Math.Abs((double)y[r * d + i] - e.Y[i]);
                Assert.True(err <= tol, $"row {r} col {i}: {(double)y[r * d + i]} vs {e.Y[i]}");
                worstY = Math.Max(worstY, err);
            }
            worstMean = Math.Max(worstMean, Math.Abs(mean[r] - e.Mean));
            worstRstd = Math.Max(worstRstd, Math.Abs(rstd[r] - e.Rstd) / e.Rstd);
        }
        output.WriteLine($"LnGelu (Half out) max abs {worstY:E2}; mean abs {worstMean:E2}; rstd rel {worstRstd:E2}");
        Assert.True(worstMean < 1e-5 && worstRstd < 1e-5);
    }

    [Fact]
    public void ZeroCenteredGammaScalesByOnePlusGamma()
    {
        const int d = 2048, rows = 2;
        float[] x = Random(rows * d, 11, 2), w = Random(d, 12, 0.1);
        float[] y = new float[rows * d];
        Blocks.GemmaRms(x, w, y);
        double worst = 0;
        for (int r = 0; r < rows; r++)
        {
            var e = FusedReference.Row(Enumerable.Range(0, d).Select(i => (double)x[r * d + i]).ToArray(), true, 1.1920929e-07, w.Select(v => (double)v).ToArray(), null, true, FusedReference.Act.None);
            worst = Math.Max(worst, MaxAbs(y, e.Y, r * d));
        }
        Assert.True(worst < 1e-5, $"max error {worst}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(1000)]
    public void SkipLayerNormWithBiasMatchesReferenceAndOnnxRuntime(int d)
    {
        const int rows = 6;
        float[] x = Random(rows * d, 13), res = Random(rows * d, 14), bias = Random(d, 15, 0.3), g = Random(d, 16, 0.5, 1), b = Random(d, 17, 0.2);
        float[] y = new float[rows * d], resOut = new float[rows * d];
        Blocks.SkipLn(x, d, res, bias, g, b, y, resOut);
        double worst = 0;
        for (int r = 0; r < rows; r++)
        {
            double[] h = Enumerable.Range(0, d).Select(i => (double)(x[r * d + i] + res[r * d + i] + bias[i])).ToArray();
            var e = FusedReference.Row(h, false, 1e-5, g.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray(), false, FusedReference.Act.None);
            worst = Math.Max(worst, MaxAbs(y, e.Y, r * d));
        }
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i] + res[i] + bias[i % d], resOut[i]);
        Assert.True(worst < 2e-5, $"max error {worst}");

        using var session = new InferenceSession(OnnxModels.SkipLayerNormalization([1, rows, d], 1e-5f, withBeta: true, withBias: true));
        using var ox = OrtValue.CreateTensorValueFromMemory(x, new long[] { 1, rows, d });
        using var os = OrtValue.CreateTensorValueFromMemory(res, new long[] { 1, rows, d });
        using var og = OrtValue.CreateTensorValueFromMemory(g, new long[] { d });
        using var ob = OrtValue.CreateTensorValueFromMemory(b, new long[] { d });
        using var obias = OrtValue.CreateTensorValueFromMemory(bias, new long[] { d });
        using var results = session.Run(new RunOptions(), ["input", "skip", "gamma", "beta", "bias"], [ox, os, og, ob, obias], ["output", "input_skip_bias_sum"]);
        ReadOnlySpan<float> ortY = results[0].GetTensorDataAsSpan<float>();
        double vsOrt = 0;
        for (int i = 0; i < y.Length; i++) vsOrt = Math.Max(vsOrt, Math.Abs(ortY[i] - y[i]));
        output.WriteLine($"SkipLn d={d}: max abs vs reference {worst:E2}, vs ORT SkipLayerNormalization {vsOrt:E2}");
        Assert.True(vsOrt < 5e-5, $"vs ORT {vsOrt}");
    }

    [Fact]
    public void ResidualRmsNormMatchesOnnxRuntimeSkipSimplifiedLayerNormalization()
    {
        const int d = 4096, rows = 3;
        float[] x = Random(rows * d, 18), res = Random(rows * d, 19), w = Random(d, 20, 0.5, 1);
        float[] y = new float[rows * d], resOut = new float[rows * d];
        Blocks.AddRms(x, res, w, y, resOut);
        using var session = new InferenceSession(OnnxModels.SkipSimplifiedLayerNormalization([1, rows, d], 1e-6f));
        using var ox = OrtValue.CreateTensorValueFromMemory(x, new long[] { 1, rows, d });
        using var os = OrtValue.CreateTensorValueFromMemory(res, new long[] { 1, rows, d });
        using var og = OrtValue.CreateTensorValueFromMemory(w, new long[] { d });
        using var results = session.Run(new RunOptions(), ["input", "skip", "gamma"], [ox, os, og], ["output", "input_skip_bias_sum"]);
        ReadOnlySpan<float> ortY = results[0].GetTensorDataAsSpan<float>();
        ReadOnlySpan<float> ortSum = results[1].GetTensorDataAsSpan<float>();
        double vsOrt = 0;
        for (int i = 0; i < y.Length; i++)
        {
            vsOrt = Math.Max(vsOrt, Math.Abs(ortY[i] - y[i]));
            Assert.Equal(ortSum[i], resOut[i]);
        }
        output.WriteLine($"AddRms vs ORT SkipSimplifiedLayerNormalization: {vsOrt:E2}");
        Assert.True(vsOrt < 2e-5, $"vs ORT {vsOrt}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(33)]
    [InlineData(257)]
    public void HalfResidualRmsWithSiluWritesFloatAndKeepsTheSumInFloat(int d)
    {
        const int rows = 4;
        var rng = new Random(d);
        Half[] x = Enumerable.Range(0, rows * d).Select(_ => (Half)(rng.NextDouble() * 4 - 2)).ToArray();
        Half[] res = Enumerable.Range(0, rows * d).Select(_ => (Half)(rng.NextDouble() * 4 - 2)).ToArray();
        Half[] w = Enumerable.Range(0, d).Select(_ => (Half)(rng.NextDouble() + 0.5)).ToArray();
        float[] y = new float[rows * d];
        Half[] resOut = new Half[rows * d];
        float[] rstd = new float[rows];
        Blocks.HalfAddRms(new System.Numerics.Tensors.ReadOnlyTensorSpan<Half>(x, [rows, d]), res, w, new System.Numerics.Tensors.TensorSpan<float>(y, [rows, d]), resOut, rstd);
        for (int r = 0; r < rows; r++)
        {
            double[] h = Enumerable.Range(0, d).Select(i => (double)(float)x[r * d + i] + (float)res[r * d + i]).ToArray();
            var e = FusedReference.Row(h, true, 1.1920929e-07, w.Select(v => (double)v).ToArray(), null, false, FusedReference.Act.Silu);
            Assert.True(MaxAbs(y, e.Y, r * d) < 2e-5, $"row {r}");
            Assert.True(Math.Abs(rstd[r] - e.Rstd) / e.Rstd < 1e-5);
            for (int i = 0; i < d; i++) Assert.Equal((Half)h[i], resOut[r * d + i]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(9)]
    [InlineData(130)]
    public void DoubleDeepNormWithGeluTanhKeepsDoublePrecision(int d)
    {
        const int rows = 3;
        var rng = new Random(d + 100);
        double[] x = Enumerable.Range(0, rows * d).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        double[] sub = Enumerable.Range(0, rows * d).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        double[] g = Enumerable.Range(0, d).Select(_ => rng.NextDouble() + 0.5).ToArray();
        double[] b = Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray();
        double[] y = new double[rows * d];
        Blocks.DeepDouble(x, d, sub, g, b, y);
        for (int r = 0; r < rows; r++)
        {
            double[] h = Enumerable.Range(0, d).Select(i => 2.5 * x[r * d + i] + sub[r * d + i]).ToArray();
            var e = FusedReference.Row(h, false, 1e-5, g, b, false, FusedReference.Act.GeluTanh);
            for (int i = 0; i < d; i++) Assert.True(Math.Abs(y[r * d + i] - e.Y[i]) < 1e-12, $"row {r} col {i}: {y[r * d + i]} vs {e.Y[i]}");
        }
    }

    [Fact]
    public void OddRowWithReluAndZeroCenteredScale()
    {
        const int d = 13, rows = 7;
        float[] x = Random(rows * d, 21, 2), g = Random(d, 22, 0.3);
        float[] y = new float[rows * d];
        Blocks.Ln13(x, g, y);
        for (int r = 0; r < rows; r++)
        {
            var e = FusedReference.Row(Enumerable.Range(0, d).Select(i => (double)x[r * d + i]).ToArray(), false, 1e-5, g.Select(v => (double)v).ToArray(), null, true, FusedReference.Act.Relu);
            Assert.True(MaxAbs(y, e.Y, r * d) < 1e-5);
            for (int i = 0; i < d; i++) Assert.True(y[r * d + i] >= 0);
        }
    }

    [Fact]
    public void ConstantResidualSumGivesExactlyBeta()
    {
        const int d = 100, rows = 2;
        float[] x = Enumerable.Repeat(3.25f, rows * d).ToArray(), res = Enumerable.Repeat(-1.5f, rows * d).ToArray();
        float[] bias = Enumerable.Repeat(0.125f, d).ToArray(), g = Random(d, 23, 0.5, 1), b = Random(d, 24);
        float[] y = new float[rows * d], resOut = new float[rows * d];
        Blocks.SkipLn(x, d, res, bias, g, b, y, resOut);
        for (int i = 0; i < y.Length; i++) Assert.Equal(b[i % d], y[i]);
    }

    [Fact]
    public void FusedBadLengthsThrowBeforeWriting()
    {
        const int d = 4096;
        float[] x = new float[2 * d], res = new float[2 * d], w = new float[d], y = Enumerable.Repeat(7f, 2 * d).ToArray(), ro = Enumerable.Repeat(7f, 2 * d).ToArray();
        var e1 = Assert.Throws<ArgumentException>(() => Blocks.AddRms(x, res.AsSpan(1), w, y, ro));
        Assert.Equal("residual", e1.ParamName);
        var e2 = Assert.Throws<ArgumentException>(() => Blocks.AddRms(x, res, w, y, ro.AsSpan(0, d)));
        Assert.Equal("residualOut", e2.ParamName);
        var e3 = Assert.Throws<ArgumentException>(() => Blocks.AddRms(x, res, w, y, y)); // the two outputs are one buffer
        Assert.Equal("residualOut", e3.ParamName);
        var e4 = Assert.Throws<ArgumentException>(() => Blocks.LnGelu(new float[768 * 2], new float[768], new float[768], new Half[768 * 2], new float[2], new float[3]));
        Assert.Equal("rstd", e4.ParamName);
        Assert.All(y, v => Assert.Equal(7f, v));
        Assert.All(ro, v => Assert.Equal(7f, v));
    }
}
