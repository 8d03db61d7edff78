using System;
using System.Linq;
using System.Numerics.Tensors;
using ILGPU;
using ILGPU.Runtime;
using Xunit;
using Half = System.Half;

namespace NormGen.Gpu.Tests;

/// <summary>The tensor kinds' backward declarations whose GPU overloads the tests run: each kind × float/double/Half × affine variants.</summary>
public static partial class TensorBackwardGpuKernels
{
    [GroupNorm(4, Backward = true)]
    public static partial void Gn(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);

    [GroupNorm(4, Affine = Affine.Scale, Backward = true)]
    public static partial void GnScale(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma);

    [GroupNorm(4, Affine = Affine.None, Backward = true)]
    public static partial void GnNone(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, TensorSpan<float> dx);

    [GroupNorm(3, Backward = true)]
    public static partial void GnDouble(ReadOnlyTensorSpan<double> dy, ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, TensorSpan<double> dx, Span<double> dgamma, Span<double> dbeta);

    [GroupNorm(2, Backward = true)]
    public static partial void GnHalf(ReadOnlyTensorSpan<Half> dy, ReadOnlyTensorSpan<Half> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> gamma, TensorSpan<Half> dx, Span<float> dgamma, Span<float> dbeta);

    [InstanceNorm(Backward = true)]
    public static partial void In(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, TensorSpan<float> dx);

    [InstanceNorm(Affine = Affine.ScaleAndBias, Backward = true)]
    public static partial void InDouble(ReadOnlyTensorSpan<double> dy, ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, TensorSpan<double> dx, Span<double> dgamma, Span<double> dbeta);

    [InstanceNorm(Affine = Affine.ScaleAndBias, Backward = true)]
    public static partial void InHalf(ReadOnlyTensorSpan<Half> dy, ReadOnlyTensorSpan<Half> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> gamma, TensorSpan<Half> dx, Span<float> dgamma, Span<float> dbeta);

    [BatchNorm(Training = true, Backward = true)]
    public static partial void Bn(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveRstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);

    [BatchNorm(Training = true, Affine = Affine.None, Backward = true)]
    public static partial void BnDouble(ReadOnlyTensorSpan<double> dy, ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> saveMean, ReadOnlySpan<double> saveRstd, TensorSpan<double> dx);

    [BatchNorm(Training = true, Backward = true)]
    public static partial void BnHalf(ReadOnlyTensorSpan<Half> dy, ReadOnlyTensorSpan<Half> x, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveRstd, ReadOnlySpan<Half> gamma, TensorSpan<Half> dx, Span<float> dgamma, Span<float> dbeta);

    [ChannelLayerNorm(Backward = true)]
    public static partial void Cln(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);

    [ChannelLayerNorm(Backward = true)]
    public static partial void ClnDouble(ReadOnlyTensorSpan<double> dy, ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, TensorSpan<double> dx, Span<double> dgamma, Span<double> dbeta);

    [ChannelLayerNorm(Backward = true)]
    public static partial void ClnHalf(ReadOnlyTensorSpan<Half> dy, ReadOnlyTensorSpan<Half> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> gamma, TensorSpan<Half> dx, Span<float> dgamma, Span<float> dbeta);

    [ChannelLayerNorm(BiasFree = true, Backward = true)]
    public static partial void ClnBiasFree(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, TensorSpan<float> dx, Span<float> dweight);

    [ChannelLayerNorm(BiasFree = true, Backward = true)]
    public static partial void ClnBiasFreeDouble(ReadOnlyTensorSpan<double> dy, ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> weight, TensorSpan<double> dx, Span<double> dweight);
}

/// <summary>
/// The double reference of the tensor backward, loops from the definition (independent of the kernels and of
/// NormGen.Runtime): statistics blocks given by a map (n, c, s) → block; WithBias dx = r·(g − mean(g) − x̂·mean(g·x̂)),
/// BiasFree (ChannelLayerNorm) dx = r·(g − x̂·mean(g·x̃)) with x̃ = x·r; dγ[c] = Σ dy·x̂ (BiasFree x̃), dβ[c] = Σ dy.
/// </summary>
internal static class TensorBackwardReference
{
    public static (double[] Mean, double[] Rstd) Statistics(double[] x, int batch, int channels, int spatial, Func<int, int, int, int> block, int blocks, double eps)
    {
        var sum = new double[blocks];
        var count = new double[blocks];
        var sq = new double[blocks];
        Each(batch, channels, spatial, (i, n, c, s) => { sum[block(n, c, s)] += x[i]; count[block(n, c, s)]++; });
        double[] mean = sum.Select((v, b) => v / count[b]).ToArray();
        Each(batch, channels, spatial, (i, n, c, s) => { double d = x[i] - mean[block(n, c, s)]; sq[block(n, c, s)] += d * d; });
        return (mean, sq.Select((v, b) => 1 / Math.Sqrt(v / count[b] + eps)).ToArray());
    }

    public static (double[] Dx, double[] Dgamma, double[] Dbeta) Backward(double[] dy, double[] x, double[] mean, double[] rstd, double[]? gamma,
        int batch, int channels, int spatial, Func<int, int, int, int> block, bool biasFree)
    {
        int blocks = mean.Length;
        var sumG = new double[blocks];
        var sumGx = new double[blocks];
        var count = new double[blocks];
        var dg = new double[channels];
        var db = new double[channels];
        Each(batch, channels, spatial, (i, n, c, s) =>
        {
            int b = block(n, c, s);
            double xs = biasFree ? x[i] * rstd[b] : (x[i] - mean[b]) * rstd[b], g = dy[i] * (gamma is null ? 1 : gamma[c]);
            sumG[b] += g;
            sumGx[b] += g * xs;
            count[b]++;
            dg[c] += dy[i] * xs;
            db[c] += dy[i];
        });
        var dx = new double[x.Length];
        Each(batch, channels, spatial, (i, n, c, s) =>
        {
            int b = block(n, c, s);
            double xh = (x[i] - mean[b]) * rstd[b], g = dy[i] * (gamma is null ? 1 : gamma[c]);
            dx[i] = rstd[b] * (g - (biasFree ? 0 : sumG[b] / count[b]) - xh * sumGx[b] / count[b]);
        });
        return (dx, dg, db);
    }

    private static void Each(int batch, int channels, int spatial, Action<int, int, int, int> body)
    {
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int s = 0; s < spatial; s++)
                    body((n * channels + c) * spatial + s, n, c, s);
    }
}

/// <summary>
/// The tensor kinds' GPU backward overloads on ILGPU's CPU accelerator, against the CPU backward kernel of the same
/// declaration and <see cref="TensorBackwardReference"/>: dx relative to max(|dx|, max rstd·|g|), dγ and dβ relative to
/// their largest magnitude; float 1e-5, double 1e-12, Half (float arithmetic, dx rounded to Half) 2e-3 for dx and 1e-5
/// for dγ/dβ (float). Every case also runs twice and must give the same bits; in place; bad arguments refused.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class TensorBackwardGpuTests(CpuAcceleratorFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private readonly Accelerator accelerator = fixture.Accelerator;

    internal enum Layout { Batch, Group, Instance, Channel, ChannelBiasFree }

    internal delegate void GpuCall<T, S>(Accelerator a, ArrayView<T> dy, ArrayView<T> x, ArrayView<S> mean, ArrayView<S> rstd, ArrayView<T> gamma, ArrayView<T> dx, ArrayView<S> dgamma, ArrayView<S> dbeta, int channels, int spatial)
        where T : unmanaged where S : unmanaged;

    internal delegate void CpuCall<T, S>(T[] dy, T[] x, S[] mean, S[] rstd, T[] gamma, T[] dx, S[] dgamma, S[] dbeta, nint[] shape);

    internal sealed record Case<T, S>(Layout Layout, int Groups, bool Gamma, bool Beta, GpuCall<T, S> Gpu, CpuCall<T, S> Cpu)
        where T : unmanaged where S : unmanaged;

    private static ReadOnlyTensorSpan<T> R<T>(T[] a, nint[] shape) => new(a, shape);
    private static TensorSpan<T> W<T>(T[] a, nint[] shape) => new(a, shape);

    private static Case<float, float> FloatCase(string name) => name switch
    {
        "Gn" => new(Layout.Group, 4, true, true,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.Gn(a, dy, x, m, r, g, dx, dg, db, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.Gn(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg, db)),
        "GnScale" => new(Layout.Group, 4, true, false,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.GnScale(a, dy, x, m, r, g, dx, dg, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.GnScale(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg)),
        "GnNone" => new(Layout.Group, 4, false, false,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.GnNone(a, dy, x, m, r, dx, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.GnNone(R(dy, sh), R(x, sh), m, r, W(dx, sh))),
        "In" => new(Layout.Instance, 0, false, false,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.In(a, dy, x, m, r, dx, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.In(R(dy, sh), R(x, sh), m, r, W(dx, sh))),
        "Bn" => new(Layout.Batch, 0, true, true,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.Bn(a, dy, x, m, r, g, dx, dg, db, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.Bn(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg, db)),
        "Cln" => new(Layout.Channel, 0, true, true,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.Cln(a, dy, x, m, r, g, dx, dg, db, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.Cln(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg, db)),
        "ClnBiasFree" => new(Layout.ChannelBiasFree, 0, true, false,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.ClnBiasFree(a, dy, x, m, r, g, dx, dg, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.ClnBiasFree(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg)),
        _ => throw new ArgumentException(name),
    };

    private static Case<double, double> DoubleCase(string name) => name switch
    {
        "GnDouble" => new(Layout.Group, 3, true, true,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.GnDouble(a, dy, x, m, r, g, dx, dg, db, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.GnDouble(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg, db)),
        "InDouble" => new(Layout.Instance, 0, true, true,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.InDouble(a, dy, x, m, r, g, dx, dg, db, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.InDouble(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg, db)),
        "BnDouble" => new(Layout.Batch, 0, false, false,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.BnDouble(a, dy, x, m, r, dx, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.BnDouble(R(dy, sh), R(x, sh), m, r, W(dx, sh))),
        "ClnDouble" => new(Layout.Channel, 0, true, true,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.ClnDouble(a, dy, x, m, r, g, dx, dg, db, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.ClnDouble(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg, db)),
        "ClnBiasFreeDouble" => new(Layout.ChannelBiasFree, 0, true, false,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.ClnBiasFreeDouble(a, dy, x, m, r, g, dx, dg, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.ClnBiasFreeDouble(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg)),
        _ => throw new ArgumentException(name),
    };

    private static Case<Half, float> HalfCase(string name) => name switch
    {
        "GnHalf" => new(Layout.Group, 2, true, true,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.GnHalf(a, dy, x, m, r, g, dx, dg, db, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.GnHalf(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg, db)),
        "InHalf" => new(Layout.Instance, 0, true, true,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.InHalf(a, dy, x, m, r, g, dx, dg, db, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.InHalf(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg, db)),
        "BnHalf" => new(Layout.Batch, 0, true, true,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.BnHalf(a, dy, x, m, r, g, dx, dg, db, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.BnHalf(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg, db)),
        "ClnHalf" => new(Layout.Channel, 0, true, true,
            (a, dy, x, m, r, g, dx, dg, db, c, s) => TensorBackwardGpuKernels.ClnHalf(a, dy, x, m, r, g, dx, dg, db, c, s),
            (dy, x, m, r, g, dx, dg, db, sh) => TensorBackwardGpuKernels.ClnHalf(R(dy, sh), R(x, sh), m, r, g, W(dx, sh), dg, db)),
        _ => throw new ArgumentException(name),
    };

    /// <summary>The map (n, c, s) → statistics block and the number of blocks.</summary>
    private static (Func<int, int, int, int> Block, int Blocks) Blocks(Layout layout, int groups, int batch, int channels, int spatial) => layout switch
    {
        Layout.Batch => ((n, c, s) => c, channels),
        Layout.Group => ((n, c, s) => n * groups + c / (channels / groups), batch * groups),
        Layout.Instance => ((n, c, s) => n * channels + c, batch * channels),
        _ => ((n, c, s) => n * spatial + s, batch * spatial),
    };

    /// <summary>Values representable in Half, so every element type sees the same inputs.</summary>
    private static double[] Values(int count, int seed, double scale, double offset = 0)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (double)(Half)(offset + (rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    private sealed record Run<T, S>(T[] Dx, S[] Dgamma, S[] Dbeta);

    private Run<T, S> RunGpu<T, S>(Case<T, S> k, T[] dy, T[] x, S[] mean, S[] rstd, T[] gamma, int channels, int spatial, bool inPlace = false)
        where T : unmanaged where S : unmanaged
    {
        using var dyB = accelerator.Allocate1D(dy);
        using var xB = accelerator.Allocate1D(x);
        using var mB = accelerator.Allocate1D(mean);
        using var rB = accelerator.Allocate1D(rstd);
        using var gB = accelerator.Allocate1D(gamma);
        using var dxB = accelerator.Allocate1D<T>(x.Length);
        using var dgB = accelerator.Allocate1D<S>(channels);
        using var dbB = accelerator.Allocate1D<S>(channels);
        k.Gpu(accelerator, dyB.View, xB.View, mB.View, rB.View, k.Gamma ? gB.View : default, inPlace ? dyB.View : dxB.View,
            k.Gamma ? dgB.View : default, k.Beta ? dbB.View : default, channels, spatial);
        accelerator.Synchronize();
        return new((inPlace ? dyB : dxB).GetAsArray1D(), dgB.GetAsArray1D(), dbB.GetAsArray1D());
    }

    private void Check<T, S>(Case<T, S> k, int batch, int channels, int spatial, Func<double, T> narrow, Func<T, double> widen,
        Func<double, S> narrowS, Func<S, double> widenS, double tolerance, double gradientTolerance, bool inPlace = false)
        where T : unmanaged where S : unmanaged
    {
        int length = batch * channels * spatial;
        bool biasFree = k.Layout == Layout.ChannelBiasFree;
        (Func<int, int, int, int> block, int blocks) = Blocks(k.Layout, k.Groups, batch, channels, spatial);
        double[] xD = Values(length, 11 + length, 2, 0.5).Select(v => widen(narrow(v))).ToArray();
        double[] dyD = Values(length, 12 + length, 1).Select(v => widen(narrow(v))).ToArray();
        double[] gammaD = Values(channels, 13, 0.5, 1).Select(v => widen(narrow(v))).ToArray();
        (double[] meanD, double[] rstdD) = TensorBackwardReference.Statistics(xD, batch, channels, spatial, block, blocks, 1e-5);
        S[] mean = meanD.Select(narrowS).ToArray(), rstd = rstdD.Select(narrowS).ToArray();
        meanD = mean.Select(widenS).ToArray(); // the reference reads the statistics as saved
        rstdD = rstd.Select(widenS).ToArray();
        var (eDx, eDg, eDb) = TensorBackwardReference.Backward(dyD, xD, meanD, rstdD, k.Gamma ? gammaD : null, batch, channels, spatial, block, biasFree);

        T[] dy = dyD.Select(narrow).ToArray(), x = xD.Select(narrow).ToArray(), gamma = gammaD.Select(narrow).ToArray();
        nint[] shape = { batch, channels, spatial };
        var cpu = new Run<T, S>(new T[length], new S[channels], new S[channels]);
        k.Cpu(dy, x, mean, rstd, gamma, cpu.Dx, cpu.Dgamma, cpu.Dbeta, shape);
        Run<T, S> gpu = RunGpu(k, dy, x, mean, rstd, gamma, channels, spatial, inPlace);
        Run<T, S> again = RunGpu(k, dy, x, mean, rstd, gamma, channels, spatial, inPlace);

        // dx is a difference of terms of size rstd·|g|; where they cancel no kernel does better than that size times the rounding.
        double terms = 0;
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int s = 0; s < spatial; s++)
                {
                    int i = (n * channels + c) * spatial + s;
                    terms = Math.Max(terms, rstdD[block(n, c, s)] * Math.Abs(dyD[i] * (k.Gamma ? gammaD[c] : 1)));
                }
        double[] Wd(T[] a) => a.Select(widen).ToArray();
        double[] Ws(S[] a) => a.Select(widenS).ToArray();
        void Near(string what, double[] expected, double[] actual, double floor, double tol)
        {
            double error = BackwardGpuTests.RelativeError(expected, actual, floor);
            output.WriteLine($"{what}: {error:E2}");
            Assert.True(error <= tol, $"{what}: relative error {error:E2} over {tol:E0}");
        }
        Near("dx vs reference", eDx, Wd(gpu.Dx), terms, tolerance);
        Near("dx vs CPU", Wd(cpu.Dx), Wd(gpu.Dx), terms, tolerance);
        if (k.Gamma)
        {
            Near("dγ vs reference", eDg, Ws(gpu.Dgamma), 0, gradientTolerance);
            Near("dγ vs CPU", Ws(cpu.Dgamma), Ws(gpu.Dgamma), 0, gradientTolerance);
        }
        if (k.Beta)
        {
            Near("dβ vs reference", eDb, Ws(gpu.Dbeta), 0, gradientTolerance);
            Near("dβ vs CPU", Ws(cpu.Dbeta), Ws(gpu.Dbeta), 0, gradientTolerance);
        }
        // Run to run: the same bits (fixed-order reductions, no atomics).
        Assert.Equal(Bytes(gpu.Dx), Bytes(again.Dx));
        if (k.Gamma) Assert.Equal(Bytes(gpu.Dgamma), Bytes(again.Dgamma));
        if (k.Beta) Assert.Equal(Bytes(gpu.Dbeta), Bytes(again.Dbeta));
    }

    private static byte[] Bytes<T>(T[] a) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()).ToArray();

    [Theory]
    [InlineData("Gn", 2, 8, 7)]
    [InlineData("Gn", 3, 8, 1)]
    [InlineData("Gn", 2, 12, 49)]
    [InlineData("Gn", 2, 8, 50)]
    [InlineData("Gn", 1, 8, 600)] // 1200 values per group: one group per block
    [InlineData("GnScale", 2, 8, 7)]
    [InlineData("GnNone", 2, 8, 50)]
    [InlineData("In", 2, 3, 7)]
    [InlineData("In", 4, 5, 1)]
    [InlineData("In", 1, 2, 1500)]
    [InlineData("Bn", 4, 3, 1)]
    [InlineData("Bn", 3, 5, 7)]
    [InlineData("Bn", 5, 4, 50)]
    [InlineData("Bn", 2, 3, 600)] // 1200 values per channel
    [InlineData("Cln", 2, 8, 7)]
    [InlineData("Cln", 2, 3, 49)]
    [InlineData("Cln", 1, 5, 600)] // three position chunks per sample in the dγ/dβ partials
    [InlineData("Cln", 2, 1100, 1)] // 1100 channels per position: one group per block
    [InlineData("ClnBiasFree", 2, 8, 49)]
    [InlineData("ClnBiasFree", 1, 1030, 2)]
    public void FloatMatchesReferenceAndCpu(string name, int batch, int channels, int spatial) =>
        Check(FloatCase(name), batch, channels, spatial, v => (float)v, v => v, v => (float)v, v => v, 1e-5, 1e-5);

    [Theory]
    [InlineData("GnDouble", 2, 6, 49)]
    [InlineData("GnDouble", 1, 6, 700)]
    [InlineData("InDouble", 2, 3, 49)]
    [InlineData("BnDouble", 3, 5, 49)]
    [InlineData("ClnDouble", 2, 6, 50)]
    [InlineData("ClnBiasFreeDouble", 2, 6, 7)]
    public void DoubleMatchesReferenceAndCpu(string name, int batch, int channels, int spatial) =>
        Check(DoubleCase(name), batch, channels, spatial, v => v, v => v, v => v, v => v, 1e-12, 1e-12);

    [Theory]
    [InlineData("GnHalf", 2, 4, 50)]
    [InlineData("InHalf", 2, 3, 7)]
    [InlineData("BnHalf", 4, 3, 7)]
    [InlineData("ClnHalf", 2, 4, 7)]
    public void HalfMatchesReferenceAndCpu(string name, int batch, int channels, int spatial) =>
        Check(HalfCase(name), batch, channels, spatial, v => (Half)v, v => (double)v, v => (float)v, v => v, 2e-3, 1e-5);

    [Theory]
    [InlineData("Gn", 2, 8, 7)]
    [InlineData("Bn", 3, 5, 7)]
    [InlineData("Cln", 2, 3, 49)]
    public void InPlaceDxOverDyMatches(string name, int batch, int channels, int spatial) =>
        Check(FloatCase(name), batch, channels, spatial, v => (float)v, v => v, v => (float)v, v => v, 1e-5, 1e-5, inPlace: true);

    [Fact]
    public void EmptyTensorWritesZeroGradients()
    {
        using var empty = accelerator.Allocate1D<float>(0);
        using var stats = accelerator.Allocate1D<float>(3);
        using var gamma = accelerator.Allocate1D(new float[] { 1, 2, 3 });
        using var dg = accelerator.Allocate1D(new float[] { 5, 5, 5 });
        using var db = accelerator.Allocate1D(new float[] { 5, 5, 5 });
        TensorBackwardGpuKernels.Bn(accelerator, empty.View, empty.View, stats.View, stats.View, gamma.View, empty.View, dg.View, db.View, 4);
        accelerator.Synchronize();
        Assert.Equal(new float[3], dg.GetAsArray1D());
        Assert.Equal(new float[3], db.GetAsArray1D());
    }

    [Fact]
    public void BadArgumentsAreRefusedBeforeAnythingIsWritten()
    {
        const int n = 2, c = 8, s = 3;
        using var dy = accelerator.Allocate1D<float>(n * c * s);
        using var x = accelerator.Allocate1D<float>(n * c * s);
        using var stats = accelerator.Allocate1D<float>(n * 4);
        using var gamma = accelerator.Allocate1D<float>(c);
        using var dx = accelerator.Allocate1D(Enumerable.Repeat(7f, n * c * s).ToArray());
        using var dg = accelerator.Allocate1D<float>(c);
        using var shortDg = accelerator.Allocate1D<float>(c - 1);
        using var db = accelerator.Allocate1D<float>(c);
        var e = Assert.ThrowsAny<ArgumentException>(() => TensorBackwardGpuKernels.Gn(accelerator, dy.View, x.View, stats.View, stats.View, gamma.View, dx.View, shortDg.View, db.View, c, s));
        Assert.Equal("dgamma", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => TensorBackwardGpuKernels.Gn(accelerator, dy.View, x.View, stats.View, stats.View, gamma.View, dx.View, dg.View, db.View, 6, 4)); // 6 channels, 4 groups
        Assert.Equal("channels", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => TensorBackwardGpuKernels.Gn(accelerator, dy.View, x.View, stats.View, stats.View, gamma.View, dx.View, dg.View, dg.View, c, s)); // two outputs in one buffer
        Assert.Equal("dbeta", e.ParamName);
        accelerator.Synchronize();
        Assert.All(dx.GetAsArray1D(), v => Assert.Equal(7f, v));
    }
}
