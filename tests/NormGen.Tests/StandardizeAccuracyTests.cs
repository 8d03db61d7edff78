using System;
using System.Numerics.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Tests;

/// <summary>Standardize over many samples keeps float accuracy (its statistics merge the moments of sub-blocks and blocks, not one long running sum).</summary>
public class StandardizeAccuracyTests(ITestOutputHelper output)
{
    /// <summary>
    /// 1,000,000 samples × 16 features, mean 100, std 10: max |y − reference| ≤ 2e-5 against a double two-pass
    /// reference (one long float running sum per column gave 1.3e-4). Then the same data in place, bitwise equal.
    /// </summary>
    [Fact]
    public void MillionSamplesStayAccurate()
    {
        const int samples = 1_000_000, features = 16;
        var x = new float[samples * features];
        var rng = new Random(2024);
        for (int i = 0; i < x.Length; i += 2)
        {
            // Box–Muller: two normal values per pair of uniforms.
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble(), radius = Math.Sqrt(-2 * Math.Log(u1));
            x[i] = (float)(100 + 10 * radius * Math.Cos(2 * Math.PI * u2));
            x[i + 1] = (float)(100 + 10 * radius * Math.Sin(2 * Math.PI * u2));
        }
        var y = new float[x.Length];
        nint[] shape = [samples, features];
        Blocks.ZScore(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(y, shape));

        double maxError = 0;
        for (int f = 0; f < features; f++)
        {
            double mean = 0;
            for (int s = 0; s < samples; s++) mean += x[s * features + f];
            mean /= samples;
            double variance = 0;
            for (int s = 0; s < samples; s++) variance += (x[s * features + f] - mean) * (x[s * features + f] - mean);
            double std = Math.Sqrt(variance / samples);
            for (int s = 0; s < samples; s++)
                maxError = Math.Max(maxError, Math.Abs(y[s * features + f] - (x[s * features + f] - mean) / std));
        }
        output.WriteLine($"max |y − reference| = {maxError:E2}");
        Assert.True(maxError <= 2e-5, $"max error {maxError:E3} > 2e-5");

        Blocks.ZScore(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(x, shape));
        Assert.Equal(y, x);
    }
}
