using System;
using ILGPU.Runtime;
using NormGen.Testing;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Gpu.Tests;

/// <summary>Activation probes (see <see cref="ActivationReference.ActivationProbe"/>): the activation sees ±γ exactly.</summary>
public static partial class ActivationGpuKernels
{
    [LayerNorm(Epsilon = 1e-30f, Affine = Affine.Scale, Activation = Activation.Tanh)]
    public static partial void TanhProbe(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, Span<float> y, int length);

    [LayerNorm(Epsilon = 1e-30f, Affine = Affine.Scale, Activation = Activation.Sigmoid)]
    public static partial void SigmoidProbe(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, Span<float> y, int length);

    [RmsNorm(Epsilon = 1e-30f, Activation = Activation.Tanh)]
    public static partial void TanhProbeDouble(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y, int length);

    [RmsNorm(Epsilon = 1e-30f, Activation = Activation.Sigmoid)]
    public static partial void SigmoidProbeDouble(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y, int length);
}

/// <summary>
/// The GPU variants' Tanh and Sigmoid (their own e^v from arithmetic, the CPU kernel's formulas) on ILGPU's CPU
/// accelerator, in ulps against the double reference. Measured: float tanh ≤ 2 ulps, sigmoid ≤ 3 ulps; double ≤ 4 ulps
/// (the asserted bounds). The group-per-row kernel runs (row length 4096).
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class ActivationGpuTests(CpuAcceleratorFixture fixture, ITestOutputHelper output)
{
    private const int N = 4096;

    [Theory]
    [InlineData(true, 2.0), InlineData(false, 3.0)]
    public void FloatWithinAFewUlps(bool tanh, double bound)
    {
        Accelerator a = fixture.Accelerator;
        var (x, g) = ActivationReference.ActivationProbe(N);
        using var xb = Device.Upload(a, x);
        using var gb = Device.Upload(a, g);
        using var yb = a.Allocate1D<float>(N);
        if (tanh) ActivationGpuKernels.TanhProbe(a, xb.View, gb.View, yb.View, N);
        else ActivationGpuKernels.SigmoidProbe(a, xb.View, gb.View, yb.View, N);
        float[] y = Device.Download(a, yb);
        Func<double, double> reference = tanh ? ActivationReference.Tanh : ActivationReference.Sigmoid;
        double max = 0;
        for (int i = 0; i < N; i++) max = Math.Max(max, ActivationReference.FloatUlps(y[i], reference((double)x[i] * g[i])));
        output.WriteLine($"GPU float {(tanh ? "tanh" : "sigmoid")}: max {max:F2} ulps");
        Assert.True(max <= bound, $"{max} ulps");

        // The CPU kernel of the same declaration agrees to within the same bound.
        var cpu = new float[N];
        if (tanh) ActivationGpuKernels.TanhProbe(x, g, cpu, N); else ActivationGpuKernels.SigmoidProbe(x, g, cpu, N);
        for (int i = 0; i < N; i++) Assert.True(ActivationReference.FloatUlps(y[i], cpu[i]) <= 2 * bound, $"[{i}] GPU {y[i]:R} vs CPU {cpu[i]:R}");
    }

    [Theory]
    [InlineData(true), InlineData(false)]
    public void DoubleWithinAFewUlps(bool tanh)
    {
        Accelerator a = fixture.Accelerator;
        var (xf, gf) = ActivationReference.ActivationProbe(N);
        double[] x = Array.ConvertAll(xf, v => (double)v), g = Array.ConvertAll(gf, v => (double)v);
        using var xb = Device.Upload(a, x);
        using var gb = Device.Upload(a, g);
        using var yb = a.Allocate1D<double>(N);
        if (tanh) ActivationGpuKernels.TanhProbeDouble(a, xb.View, gb.View, yb.View, N);
        else ActivationGpuKernels.SigmoidProbeDouble(a, xb.View, gb.View, yb.View, N);
        double[] y = Device.Download(a, yb);
        Func<double, double> reference = tanh ? ActivationReference.Tanh : ActivationReference.Sigmoid;
        double max = 0;
        for (int i = 0; i < N; i++) max = Math.Max(max, ActivationReference.DoubleUlps(y[i], reference(x[i] * g[i])));
        output.WriteLine($"GPU double {(tanh ? "tanh" : "sigmoid")}: max {max:F2} ulps");
        Assert.True(max <= 4, $"{max} ulps");
    }
}
