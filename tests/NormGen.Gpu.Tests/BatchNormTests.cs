using System;
using System.Linq;
using System.Numerics.Tensors;
using ILGPU;
using ILGPU.Runtime;
using Half = System.Half;
using Xunit;

namespace NormGen.Gpu.Tests;

/// <summary>
/// BatchNorm evaluation on ILGPU's CPU accelerator against the CPU kernel of the same declaration and a double
/// reference y = (x − mean[c]) / √(var[c] + ε)·γ[c] + β[c], for (N, C), (N, C, L) and (N, C, H, W) shapes.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class BatchNormTests(CpuAcceleratorFixture fixture)
{
    private Accelerator Accelerator => fixture.Accelerator;

    private static double[] Values(int count, int seed, double scale, double offset)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (double)(Half)(offset + (rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    private static double[] Expected(double[] x, double[]? gamma, double[]? beta, double[] mean, double[] variance, int channels, int spatial, double eps)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / spatial % channels;
            y[i] = (x[i] - mean[c]) / Math.Sqrt(variance[c] + eps) * (gamma?[c] ?? 1) + (beta?[c] ?? 0);
        }
        return y;
    }

    [Theory]
    [InlineData(new[] { 5, 3 })]
    [InlineData(new[] { 4, 7, 17 })]
    [InlineData(new[] { 2, 3, 5, 9 })]
    [InlineData(new[] { 1, 1, 1 })]
    public void MatchesCpuAndReference(int[] shape)
    {
        int channels = shape[1], spatial = shape.Skip(2).Aggregate(1, (a, b) => a * b), count = shape.Aggregate(1, (a, b) => a * b);
        nint[] lengths = shape.Select(v => (nint)v).ToArray();
        double[] x = Values(count, 1, 3, 0.5), g = Values(channels, 2, 0.5, 1), b = Values(channels, 3, 0.5, 0);
        double[] mean = Values(channels, 4, 1, 0), variance = Values(channels, 5, 0.5, 1);

        // float
        {
            float[] xf = F(x), gf = F(g), bf = F(b), mf = F(mean), vf = F(variance), cpu = new float[count];
            BatchNormGpuKernels.BnEval(new ReadOnlyTensorSpan<float>(xf, lengths), gf, bf, mf, vf, new TensorSpan<float>(cpu, lengths));
            using var xs = Accelerator.Allocate1D(xf); using var gs = Accelerator.Allocate1D(gf); using var bs = Accelerator.Allocate1D(bf);
            using var ms = Accelerator.Allocate1D(mf); using var vs = Accelerator.Allocate1D(vf); using var ys = Accelerator.Allocate1D<float>(count);
            BatchNormGpuKernels.BnEval(Accelerator, xs.View, gs.View, bs.View, ms.View, vs.View, ys.View, spatial);
            // In place on a second call: y is x.
            BatchNormGpuKernels.BnEval(Accelerator, xs.View, gs.View, bs.View, ms.View, vs.View, xs.View, spatial);
            Accelerator.Synchronize();
            double[] gpu = W(ys.GetAsArray1D()), expected = Expected(x, g, b, mean, variance, channels, spatial, 1e-5);
            Assert.True(Reference.MaxError(expected, gpu) < 2e-6, $"vs reference {Reference.MaxError(expected, gpu)}");
            Assert.True(Reference.MaxError(W(cpu), gpu) < 2e-6, $"vs CPU {Reference.MaxError(W(cpu), gpu)}");
            Assert.Equal(ys.GetAsArray1D(), xs.GetAsArray1D());
        }
        // double, no affine, ε = 1e-3
        {
            double[] cpu = new double[count];
            BatchNormGpuKernels.BnEvalDoubleNoAffine(new ReadOnlyTensorSpan<double>(x, lengths), mean, variance, new TensorSpan<double>(cpu, lengths));
            using var xs = Accelerator.Allocate1D(x); using var ms = Accelerator.Allocate1D(mean); using var vs = Accelerator.Allocate1D(variance);
            using var ys = Accelerator.Allocate1D<double>(count);
            BatchNormGpuKernels.BnEvalDoubleNoAffine(Accelerator, xs.View, ms.View, vs.View, ys.View, spatial);
            Accelerator.Synchronize();
            double[] gpu = ys.GetAsArray1D(), expected = Expected(x, null, null, mean, variance, channels, spatial, 1e-3);
            Assert.True(Reference.MaxError(expected, gpu) < 1e-13 && Reference.MaxError(cpu, gpu) < 1e-13, $"{Reference.MaxError(expected, gpu)} {Reference.MaxError(cpu, gpu)}");
        }
        // Half, computed in float, rounded once
        {
            Half[] xh = H(x), gh = H(g), bh = H(b), mh = H(mean), vh = H(variance), cpu = new Half[count];
            BatchNormGpuKernels.BnEvalHalf(new ReadOnlyTensorSpan<Half>(xh, lengths), gh, bh, mh, vh, new TensorSpan<Half>(cpu, lengths));
            using var xs = Accelerator.Allocate1D(xh); using var gs = Accelerator.Allocate1D(gh); using var bs = Accelerator.Allocate1D(bh);
            using var ms = Accelerator.Allocate1D(mh); using var vs = Accelerator.Allocate1D(vh); using var ys = Accelerator.Allocate1D<Half>(count);
            BatchNormGpuKernels.BnEvalHalf(Accelerator, xs.View, gs.View, bs.View, ms.View, vs.View, ys.View, spatial);
            Accelerator.Synchronize();
            double[] gpu = W(ys.GetAsArray1D()), expected = Expected(x, g, b, mean, variance, channels, spatial, 1e-5);
            Assert.True(Reference.MaxError(expected, gpu) < 2e-3 && Reference.MaxError(W(cpu), gpu) < 2e-3, $"{Reference.MaxError(expected, gpu)} {Reference.MaxError(W(cpu), gpu)}");
        }
    }

    [Fact]
    public void BadViewLengthsThrowNamingTheParameter()
    {
        using var x = Accelerator.Allocate1D<float>(2 * 3 * 4);
        using var y = Accelerator.Allocate1D<float>(2 * 3 * 4);
        using var c3 = Accelerator.Allocate1D<float>(3);
        using var c2 = Accelerator.Allocate1D<float>(2);
        string Param(Action call) => Assert.Throws<ArgumentException>(call).ParamName!;
        Assert.Equal("gamma", Param(() => BatchNormGpuKernels.BnEval(Accelerator, x.View, c2.View, c3.View, c3.View, c3.View, y.View, 4)));
        Assert.Equal("runningVar", Param(() => BatchNormGpuKernels.BnEval(Accelerator, x.View, c3.View, c3.View, c3.View, c2.View, y.View, 4)));
        Assert.Equal("runningMean", Param(() => BatchNormGpuKernels.BnEval(Accelerator, x.View, c3.View, c3.View, c3.View.SubView(0, 0), c3.View, y.View, 4)));
        Assert.Equal("x", Param(() => BatchNormGpuKernels.BnEval(Accelerator, x.View, c3.View, c3.View, c3.View, c3.View, y.View, 5)));
        Assert.Equal("y", Param(() => BatchNormGpuKernels.BnEval(Accelerator, x.View, c3.View, c3.View, c3.View, c3.View, y.View.SubView(0, 12), 4)));
        Assert.Equal("y", Param(() => BatchNormGpuKernels.BnEval(Accelerator, x.View.SubView(0, 12), c3.View, c3.View, c3.View, c3.View, x.View.SubView(1, 12), 4)));
        Assert.Equal("spatial", Assert.Throws<ArgumentOutOfRangeException>(() => BatchNormGpuKernels.BnEval(Accelerator, x.View, c3.View, c3.View, c3.View, c3.View, y.View, 0)).ParamName);
    }

    private static float[] F(double[] v) => Array.ConvertAll(v, d => (float)d);
    private static Half[] H(double[] v) => Array.ConvertAll(v, d => (Half)d);
    private static double[] W(float[] v) => Array.ConvertAll(v, f => (double)f);
    private static double[] W(Half[] v) => Array.ConvertAll(v, h => (double)h);
}
