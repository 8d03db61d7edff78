using System;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Tests;

public class SmokeTests(ITestOutputHelper output)
{
    [Fact]
    public void LayerNorm768MatchesDoubleReference()
    {
        output.WriteLine($"V512={Vector512.IsHardwareAccelerated} V256={Vector256.IsHardwareAccelerated} V128={Vector128.IsHardwareAccelerated}");
        var rng = new Random(1);
        int rows = 5, d = 768;
        var x = new float[rows * d]; var g = new float[d]; var b = new float[d]; var y = new float[rows * d];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2 + (i / d) * 1000.0);
        for (int i = 0; i < d; i++) { g[i] = (float)rng.NextDouble(); b[i] = (float)rng.NextDouble(); }
        Kernels.Norm(x, g, b, y);
        double maxErr = 0;
        for (int r = 0; r < rows; r++)
        {
            double mean = 0; for (int i = 0; i < d; i++) mean += x[r * d + i]; mean /= d;
            double v = 0; for (int i = 0; i < d; i++) v += (x[r * d + i] - mean) * (x[r * d + i] - mean); v /= d;
            double rs = 1 / Math.Sqrt(v + 1e-5);
            for (int i = 0; i < d; i++) maxErr = Math.Max(maxErr, Math.Abs((x[r * d + i] - mean) * rs * g[i] + b[i] - y[r * d + i]));
        }
        output.WriteLine($"max abs err {maxErr}");
        Assert.True(maxErr < 1e-4, maxErr.ToString());
    }
}

public class OnnxSmokeTests
{
    [Fact]
    public void OrtLayerNormMatchesNormGen()
    {
        int rows = 3, d = 768;
        var rng = new Random(2);
        var x = new float[rows * d]; var g = new float[d]; var b = new float[d]; var y = new float[rows * d];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
        for (int i = 0; i < d; i++) { g[i] = (float)rng.NextDouble(); b[i] = (float)rng.NextDouble(); }
        Kernels.Norm(x, g, b, y);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(NormGen.Testing.OnnxModels.LayerNormalization([rows, d], 1, 1e-5f, true));
        using var xs = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x, new long[] { rows, d });
        using var gs = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(g, new long[] { d });
        using var bs = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(b, new long[] { d });
        using var results = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), new[] { "X", "Scale", "B" }, new[] { xs, gs, bs }, new[] { "Y" });
        var ort = results[0].GetTensorDataAsSpan<float>().ToArray();
        double max = 0;
        for (int i = 0; i < y.Length; i++) max = Math.Max(max, Math.Abs(ort[i] - y[i]));
        Assert.True(max < 1e-5, max.ToString());
    }
}
