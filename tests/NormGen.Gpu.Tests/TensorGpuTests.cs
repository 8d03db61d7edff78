using System;
using System.Linq;
using System.Numerics.Tensors;
using ILGPU;
using ILGPU.Runtime;
using Half = System.Half;
using Xunit;

namespace NormGen.Gpu.Tests;

/// <summary>
/// GroupNorm, InstanceNorm, BatchNorm training, ChannelLayerNorm, MinMaxScale and Standardize on ILGPU's CPU
/// accelerator, against the CPU kernel of the same declaration and the double reference of <see cref="TensorReference"/>:
/// float (1e-5), double (1e-12), Half (computed in float, 2e-3); short blocks (one warp each) and blocks over 1024
/// values (one group each); constant blocks, large means, odd sizes, two runs giving the same bits, in place, the
/// running statistics, and bad arguments refused naming the parameter before anything is written.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class TensorGpuTests(CpuAcceleratorFixture fixture)
{
    private Accelerator Accelerator => fixture.Accelerator;

    /// <summary>Values representable in Half (so every element type sees the same inputs).</summary>
    private static double[] Values(int count, int seed, double scale = 2, double offset = 0)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (double)(Half)(offset + (rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    private MemoryBuffer1D<T, Stride1D.Dense> Up<T>(T[] values) where T : unmanaged => Accelerator.Allocate1D(values);

    private T[] Down<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer) where T : unmanaged
    {
        Accelerator.Synchronize();
        return buffer.GetAsArray1D();
    }

    private static void Close(double[] expected, double[] actual, double tolerance, string what)
    {
        double error = Reference.MaxError(expected, actual);
        Assert.True(error < tolerance, $"{what}: max error {error} (tolerance {tolerance})");
    }

    private static float[] F(double[] v) => Array.ConvertAll(v, d => (float)d);
    private static Half[] H(double[] v) => Array.ConvertAll(v, d => (Half)d);
    private static double[] W(float[] v) => Array.ConvertAll(v, f => (double)f);
    private static double[] W(Half[] v) => Array.ConvertAll(v, h => (double)h);
    private static nint[] Shape(params int[] dims) => dims.Select(d => (nint)d).ToArray();

    // ---------------------------------------------------------------- GroupNorm, InstanceNorm

    [Theory]
    [InlineData(2, 8, 5)]
    [InlineData(3, 8, 1)]
    [InlineData(2, 12, 7)]
    [InlineData(1, 8, 600)] // 1200 values per group: one group per block
    public void GroupNormFloat(int n, int c, int s)
    {
        double[] x = Values(n * c * s, 1, 3, 0.5), g = Values(c, 2, 0.5, 1), b = Values(c, 3, 0.5);
        float[] xf = F(x), cpu = new float[x.Length];
        TensorGpuKernels.Gn(new ReadOnlyTensorSpan<float>(xf, Shape(n, c, s)), F(g), F(b), new TensorSpan<float>(cpu, Shape(n, c, s)));
        using var xs = Up(xf); using var gs = Up(F(g)); using var bs = Up(F(b));
        using var ys = Accelerator.Allocate1D<float>(x.Length); using var again = Accelerator.Allocate1D<float>(x.Length);
        TensorGpuKernels.Gn(Accelerator, xs.View, gs.View, bs.View, ys.View, c, s);
        TensorGpuKernels.Gn(Accelerator, xs.View, gs.View, bs.View, again.View, c, s);
        float[] gpu = Down(ys);
        Close(TensorReference.Groups(x, n, c, s, 4, g, b, 1e-5).Y, W(gpu), 1e-5, "reference");
        Close(W(cpu), W(gpu), 1e-5, "CPU");
        Assert.Equal(gpu, Down(again)); // the same bits on a second run
        TensorGpuKernels.Gn(Accelerator, xs.View, gs.View, bs.View, xs.View, c, s); // in place
        Assert.Equal(gpu, Down(xs));
    }

    [Fact]
    public void GroupNormSavesStatisticsAndDoubleAndHalfMatch()
    {
        const int n = 3, c = 6, s = 9;
        double[] x = Values(n * c * s, 4, 2, -1), g = Values(c, 5, 0.5, 1), b = Values(c, 6, 0.5);
        // float with saved statistics, 2 groups
        {
            float[] cpu = new float[x.Length], cpuMean = new float[n * 2], cpuRstd = new float[n * 2];
            TensorGpuKernels.GnSave(new ReadOnlyTensorSpan<float>(F(x), Shape(n, c, s)), F(g), F(b), new TensorSpan<float>(cpu, Shape(n, c, s)), cpuMean, cpuRstd);
            using var xs = Up(F(x)); using var gs = Up(F(g)); using var bs = Up(F(b)); using var ys = Accelerator.Allocate1D<float>(x.Length);
            using var ms = Accelerator.Allocate1D<float>(n * 2); using var rs = Accelerator.Allocate1D<float>(n * 2);
            TensorGpuKernels.GnSave(Accelerator, xs.View, gs.View, bs.View, ys.View, ms.View, rs.View, c, s);
            var expected = TensorReference.Groups(x, n, c, s, 2, g, b, 1e-5);
            Close(expected.Y, W(Down(ys)), 1e-5, "y");
            Close(expected.Mean, W(Down(ms)), 1e-6, "mean");
            Close(expected.Rstd, W(Down(rs)), 1e-5, "rstd");
            Close(W(cpuMean), W(Down(ms)), 1e-6, "mean vs CPU");
            Close(W(cpuRstd), W(Down(rs)), 1e-5, "rstd vs CPU");
        }
        // double, 3 groups, ε = 1e-3, also a block over 1024 values
        foreach ((int bn, int bc, int bs0) in new[] { (n, c, s), (1, 6, 700) })
        {
            double[] xd = Values(bn * bc * bs0, 7, 2, 3), gd = Values(bc, 8, 0.5, 1), bd = Values(bc, 9, 0.5), cpu = new double[xd.Length];
            TensorGpuKernels.GnDouble(new ReadOnlyTensorSpan<double>(xd, Shape(bn, bc, bs0)), gd, bd, new TensorSpan<double>(cpu, Shape(bn, bc, bs0)));
            using var xs = Up(xd); using var gs = Up(gd); using var bs = Up(bd); using var ys = Accelerator.Allocate1D<double>(xd.Length);
            TensorGpuKernels.GnDouble(Accelerator, xs.View, gs.View, bs.View, ys.View, bc, bs0);
            double[] gpu = Down(ys);
            Close(TensorReference.Groups(xd, bn, bc, bs0, 3, gd, bd, 1e-3).Y, gpu, 1e-12, "double reference");
            Close(cpu, gpu, 1e-12, "double CPU");
        }
        // Half, computed in float
        {
            Half[] cpu = new Half[x.Length];
            TensorGpuKernels.GnHalf(new ReadOnlyTensorSpan<Half>(H(x), Shape(n, c, s)), H(g), H(b), new TensorSpan<Half>(cpu, Shape(n, c, s)));
            using var xs = Up(H(x)); using var gs = Up(H(g)); using var bs = Up(H(b)); using var ys = Accelerator.Allocate1D<Half>(x.Length);
            TensorGpuKernels.GnHalf(Accelerator, xs.View, gs.View, bs.View, ys.View, c, s);
            double[] gpu = W(Down(ys));
            Close(TensorReference.Groups(x, n, c, s, 2, g, b, 1e-5).Y, gpu, 2e-3, "Half reference");
            Close(W(cpu), gpu, 2e-3, "Half CPU");
        }
    }

    [Theory]
    [InlineData(2, 3, 17)]
    [InlineData(1, 2, 1500)] // one group per (sample, channel) block
    [InlineData(4, 5, 1)]
    public void InstanceNormAllTypes(int n, int c, int s)
    {
        double[] x = Values(n * c * s, 10, 2, 0.25), g = Values(c, 11, 0.5, 1), b = Values(c, 12, 0.5);
        {
            float[] cpu = new float[x.Length];
            TensorGpuKernels.In(new ReadOnlyTensorSpan<float>(F(x), Shape(n, c, s)), new TensorSpan<float>(cpu, Shape(n, c, s)));
            using var xs = Up(F(x)); using var ys = Accelerator.Allocate1D<float>(x.Length);
            TensorGpuKernels.In(Accelerator, xs.View, ys.View, c, s);
            double[] gpu = W(Down(ys)), expected = TensorReference.Groups(x, n, c, s, c, null, null, 1e-5).Y;
            if (s == 1) Assert.All(gpu, v => Assert.Equal(0d, v)); // one value per block: x − μ = 0
            Close(expected, gpu, 1e-5, "float reference");
            Close(W(cpu), gpu, 1e-5, "float CPU");
        }
        {
            double[] cpu = new double[x.Length];
            TensorGpuKernels.InAffineDouble(new ReadOnlyTensorSpan<double>(x, Shape(n, c, s)), g, b, new TensorSpan<double>(cpu, Shape(n, c, s)));
            using var xs = Up(x); using var gs = Up(g); using var bs = Up(b); using var ys = Accelerator.Allocate1D<double>(x.Length);
            TensorGpuKernels.InAffineDouble(Accelerator, xs.View, gs.View, bs.View, ys.View, c, s);
            double[] gpu = Down(ys);
            Close(TensorReference.Groups(x, n, c, s, c, g, b, 1e-5).Y, gpu, 1e-12, "double reference");
            Close(cpu, gpu, 1e-12, "double CPU");
        }
        {
            Half[] cpu = new Half[x.Length];
            TensorGpuKernels.InHalf(new ReadOnlyTensorSpan<Half>(H(x), Shape(n, c, s)), new TensorSpan<Half>(cpu, Shape(n, c, s)));
            using var xs = Up(H(x)); using var ys = Accelerator.Allocate1D<Half>(x.Length);
            TensorGpuKernels.InHalf(Accelerator, xs.View, ys.View, c, s);
            double[] gpu = W(Down(ys));
            Close(TensorReference.Groups(x, n, c, s, c, null, null, 1e-5).Y, gpu, 2e-3, "Half reference");
            Close(W(cpu), gpu, 2e-3, "Half CPU");
        }
    }

    [Fact]
    public void ConstantBlocksAndLargeMeans()
    {
        const int n = 2, c = 8, s = 40;
        double[] g = Values(c, 13, 0.5, 1), b = Values(c, 14, 0.5);
        // Constant blocks: x − μ is 0 exactly, so y is β exactly.
        double[] constant = Enumerable.Repeat(3.0, n * c * s).ToArray();
        using (var xs = Up(F(constant))) using (var gs = Up(F(g))) using (var bs = Up(F(b))) using (var ys = Accelerator.Allocate1D<float>(constant.Length))
        {
            TensorGpuKernels.Gn(Accelerator, xs.View, gs.View, bs.View, ys.View, c, s);
            float[] y = Down(ys);
            for (int i = 0; i < y.Length; i++) Assert.Equal((float)b[i / s % c], y[i]);
        }
        // A mean of 1e4 with a spread of 1: the shifted two-pass statistics lose nothing to the mean.
        float[] large = Enumerable.Range(0, n * c * s).Select(i => 10000f + (float)Math.Sin(i) ).ToArray();
        double[] x = W(large);
        using (var xs = Up(large)) using (var gs = Up(F(g))) using (var bs = Up(F(b))) using (var ys = Accelerator.Allocate1D<float>(x.Length))
        {
            TensorGpuKernels.Gn(Accelerator, xs.View, gs.View, bs.View, ys.View, c, s);
            Close(TensorReference.Groups(x, n, c, s, 4, g, b, 1e-5).Y, W(Down(ys)), 2e-4, "GroupNorm, large mean");
        }
        using (var xs = Up(large)) using (var ys = Accelerator.Allocate1D<float>(x.Length))
        {
            TensorGpuKernels.ZScore(Accelerator, xs.View, ys.View, c * s);
            Close(TensorReference.Standardize(x, n, c * s), W(Down(ys)), 2e-4, "Standardize, large mean");
        }
    }

    [Fact]
    public void FiniteBlocksWhoseSquaresOverflowAreRescaled()
    {
        // ±3e19 and friends: the squared deviations overflow float (3.4e38), so the kernels repeat the passes on the block
        // scaled by a power of two; the result is that of the double reference.
        const int n = 2, c = 8, s = 3;
        double[] x = Values(n * c * s, 15, 1).Select(v => v * 3e19).ToArray(), g = Values(c, 16, 0.5, 1), b = Values(c, 17, 0.5);
        float[] xf = F(x);
        x = W(xf);
        using var xs = Up(xf); using var gs = Up(F(g)); using var bs = Up(F(b)); using var ys = Accelerator.Allocate1D<float>(x.Length);
        using var ms = Up(new float[c]); using var vs = Up(new float[c]);
        TensorGpuKernels.Gn(Accelerator, xs.View, gs.View, bs.View, ys.View, c, s);
        Close(TensorReference.Groups(x, n, c, s, 4, g, b, 1e-5).Y, W(Down(ys)), 1e-5, "GroupNorm");
        TensorGpuKernels.BnTrain(Accelerator, xs.View, gs.View, bs.View, ms.View, vs.View, ys.View, s);
        var expected = TensorReference.BatchTraining(x, n, c, s, g, b, new double[c], new double[c], 1e-5, 0.1);
        Close(expected.Y, W(Down(ys)), 1e-5, "BatchNorm y");
        Close(expected.RunningMean.Select(v => v / 3e19).ToArray(), W(Down(ms)).Select(v => v / 3e19).ToArray(), 1e-6, "BatchNorm runningMean / 3e19");
        Assert.All(Down(vs), v => Assert.True(float.IsPositiveInfinity(v))); // 0.1 · σ² overflows float, as on the CPU
        TensorGpuKernels.ZScore(Accelerator, xs.View, ys.View, c * s);
        Close(TensorReference.Standardize(x, n, c * s), W(Down(ys)), 1e-5, "Standardize");
    }

    [Fact]
    public void EmptyTensorsEnqueueNothingAndBatchNormTrainingNeedsTwoValues()
    {
        using var empty = Accelerator.Allocate1D<float>(0);
        using var c4 = Accelerator.Allocate1D<float>(4);
        TensorGpuKernels.Gn(Accelerator, empty.View, c4.View, c4.View, empty.View, 4, 3);
        TensorGpuKernels.Cln(Accelerator, empty.View, c4.View, c4.View, empty.View, 4, 3);
        TensorGpuKernels.MinMax(Accelerator, empty.View, empty.View, 5);
        Accelerator.Synchronize();
        // PyTorch refuses a training batch with one value per channel (no variance); so does the CPU kernel, and so the GPU one.
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => TensorGpuKernels.BnTrain(Accelerator, empty.View, c4.View, c4.View, c4.View, c4.View, empty.View, 3)).ParamName);
    }

    // ---------------------------------------------------------------- BatchNorm training

    [Theory]
    [InlineData(5, 3, 1)]
    [InlineData(4, 3, 17)]
    [InlineData(2, 3, 600)] // 1200 values per channel: one group per channel
    public void BatchNormTrainingFloat(int n, int c, int s)
    {
        double[] x = Values(n * c * s, 20, 3, 1), g = Values(c, 21, 0.5, 1), b = Values(c, 22, 0.5);
        double[] rm = Values(c, 23, 0.5), rv = Values(c, 24, 0.25, 1);
        float[] cpu = new float[x.Length], cpuMean = F(rm), cpuVar = F(rv);
        TensorGpuKernels.BnTrain(new ReadOnlyTensorSpan<float>(F(x), Shape(n, c, s)), F(g), F(b), cpuMean, cpuVar, new TensorSpan<float>(cpu, Shape(n, c, s)));
        using var xs = Up(F(x)); using var gs = Up(F(g)); using var bs = Up(F(b)); using var ms = Up(F(rm)); using var vs = Up(F(rv));
        using var ys = Accelerator.Allocate1D<float>(x.Length);
        TensorGpuKernels.BnTrain(Accelerator, xs.View, gs.View, bs.View, ms.View, vs.View, ys.View, s);
        float[] gpu = Down(ys);
        var expected = TensorReference.BatchTraining(x, n, c, s, g, b, rm, rv, 1e-5, 0.1);
        Close(expected.Y, W(gpu), 1e-5, "y vs reference");
        Close(W(cpu), W(gpu), 1e-5, "y vs CPU");
        Close(expected.RunningMean, W(Down(ms)), 1e-6, "runningMean vs reference");
        Close(expected.RunningVar, W(Down(vs)), 1e-6, "runningVar vs reference (unbiased)");
        Close(W(cpuMean), W(Down(ms)), 1e-6, "runningMean vs CPU");
        Close(W(cpuVar), W(Down(vs)), 1e-6, "runningVar vs CPU");
        // The same bits on a second run from the same running statistics.
        using var ms2 = Up(F(rm)); using var vs2 = Up(F(rv)); using var ys2 = Accelerator.Allocate1D<float>(x.Length);
        TensorGpuKernels.BnTrain(Accelerator, xs.View, gs.View, bs.View, ms2.View, vs2.View, ys2.View, s);
        Assert.Equal(gpu, Down(ys2));
        Assert.Equal(Down(ms), Down(ms2));
        Assert.Equal(Down(vs), Down(vs2));
    }

    [Fact]
    public void BatchNormTrainingDoubleHalfAndCumulative()
    {
        const int n = 3, c = 4, s = 5;
        double[] x = Values(n * c * s, 30, 2, -0.5), g = Values(c, 31, 0.5, 1), b = Values(c, 32, 0.5);
        double[] rm = Values(c, 33, 0.5), rv = Values(c, 34, 0.25, 1);
        // double, momentum 0.25, no affine, saved statistics
        {
            double[] cpu = new double[x.Length], cm = (double[])rm.Clone(), cv = (double[])rv.Clone(), sm = new double[c], sr = new double[c];
            TensorGpuKernels.BnTrainDouble(new ReadOnlyTensorSpan<double>(x, Shape(n, c, s)), cm, cv, new TensorSpan<double>(cpu, Shape(n, c, s)), sm, sr);
            using var xs = Up(x); using var ms = Up(rm); using var vs = Up(rv); using var ys = Accelerator.Allocate1D<double>(x.Length);
            using var saveMean = Accelerator.Allocate1D<double>(c); using var saveRstd = Accelerator.Allocate1D<double>(c);
            TensorGpuKernels.BnTrainDouble(Accelerator, xs.View, ms.View, vs.View, ys.View, saveMean.View, saveRstd.View, s);
            var expected = TensorReference.BatchTraining(x, n, c, s, null, null, rm, rv, 1e-5, 0.25);
            Close(expected.Y, Down(ys), 1e-12, "y");
            Close(cpu, Down(ys), 1e-12, "y vs CPU");
            Close(expected.RunningMean, Down(ms), 1e-12, "runningMean");
            Close(expected.RunningVar, Down(vs), 1e-12, "runningVar");
            Close(expected.Mean, Down(saveMean), 1e-12, "saveMean");
            Close(expected.Rstd, Down(saveRstd), 1e-12, "saveRstd");
            Close(cv, Down(vs), 1e-12, "runningVar vs CPU");
        }
        // Half: computed in float, running statistics rounded once on store
        {
            Half[] cpu = new Half[x.Length], cm = H(rm), cv = H(rv);
            TensorGpuKernels.BnTrainHalf(new ReadOnlyTensorSpan<Half>(H(x), Shape(n, c, s)), H(g), H(b), cm, cv, new TensorSpan<Half>(cpu, Shape(n, c, s)));
            using var xs = Up(H(x)); using var gs = Up(H(g)); using var bs = Up(H(b)); using var ms = Up(H(rm)); using var vs = Up(H(rv));
            using var ys = Accelerator.Allocate1D<Half>(x.Length);
            TensorGpuKernels.BnTrainHalf(Accelerator, xs.View, gs.View, bs.View, ms.View, vs.View, ys.View, s);
            var expected = TensorReference.BatchTraining(x, n, c, s, g, b, rm, rv, 1e-5, 0.1);
            Close(expected.Y, W(Down(ys)), 2e-3, "Half y");
            Close(W(cpu), W(Down(ys)), 2e-3, "Half y vs CPU");
            Close(expected.RunningVar, W(Down(vs)), 2e-3, "Half runningVar");
            Close(W(cv), W(Down(vs)), 2e-3, "Half runningVar vs CPU");
            Close(W(cm), W(Down(ms)), 2e-3, "Half runningMean vs CPU");
        }
        // momentum=None: two batches, m = 1 then 1/2, the count 0 → 2
        {
            double[] x2 = Values(x.Length, 35, 1, 2);
            using var gs = Up(F(g)); using var bs = Up(F(b)); using var ms = Up(F(rm)); using var vs = Up(F(rv));
            using var tracked = Accelerator.Allocate1D(new long[] { 0 }); using var ys = Accelerator.Allocate1D<float>(x.Length);
            using var x1s = Up(F(x)); using var x2s = Up(F(x2));
            TensorGpuKernels.BnTrainCumulative(Accelerator, x1s.View, gs.View, bs.View, ms.View, vs.View, tracked.View, ys.View, s);
            TensorGpuKernels.BnTrainCumulative(Accelerator, x2s.View, gs.View, bs.View, ms.View, vs.View, tracked.View, ys.View, s);
            var first = TensorReference.BatchTraining(x, n, c, s, g, b, rm, rv, 1e-5, 1);
            var second = TensorReference.BatchTraining(x2, n, c, s, g, b, first.RunningMean, first.RunningVar, 1e-5, 0.5);
            Assert.Equal(2L, Down(tracked)[0]);
            Close(second.RunningMean, W(Down(ms)), 1e-6, "cumulative runningMean");
            Close(second.RunningVar, W(Down(vs)), 1e-6, "cumulative runningVar");
            Close(second.Y, W(Down(ys)), 1e-5, "cumulative y");
        }
    }

    // ---------------------------------------------------------------- ChannelLayerNorm

    [Theory]
    [InlineData(2, 5, 7)]
    [InlineData(2, 40, 3)]
    [InlineData(4, 16, 1)]
    [InlineData(1, 1100, 2)] // 1100 channels: one group per position
    public void ChannelLayerNormAllTypes(int n, int c, int s)
    {
        double[] x = Values(n * c * s, 40, 2, 0.5), g = Values(c, 41, 0.5, 1), b = Values(c, 42, 0.5);
        {
            float[] cpu = new float[x.Length];
            TensorGpuKernels.Cln(new ReadOnlyTensorSpan<float>(F(x), Shape(n, c, s)), F(g), F(b), new TensorSpan<float>(cpu, Shape(n, c, s)));
            using var xs = Up(F(x)); using var gs = Up(F(g)); using var bs = Up(F(b)); using var ys = Accelerator.Allocate1D<float>(x.Length);
            TensorGpuKernels.Cln(Accelerator, xs.View, gs.View, bs.View, ys.View, c, s);
            float[] gpu = Down(ys);
            Close(TensorReference.ChannelLayerNorm(x, n, c, s, g, b, 1e-5, false).Y, W(gpu), 1e-5, "float reference");
            Close(W(cpu), W(gpu), 1e-5, "float CPU");
            TensorGpuKernels.Cln(Accelerator, xs.View, gs.View, bs.View, xs.View, c, s); // in place
            Assert.Equal(gpu, Down(xs));
        }
        {
            double[] cpu = new double[x.Length];
            TensorGpuKernels.ClnBiasFreeDouble(new ReadOnlyTensorSpan<double>(x, Shape(n, c, s)), g, new TensorSpan<double>(cpu, Shape(n, c, s)));
            using var xs = Up(x); using var gs = Up(g); using var ys = Accelerator.Allocate1D<double>(x.Length);
            TensorGpuKernels.ClnBiasFreeDouble(Accelerator, xs.View, gs.View, ys.View, c, s);
            Close(TensorReference.ChannelLayerNorm(x, n, c, s, g, null, 1e-5, true).Y, Down(ys), 1e-12, "BiasFree reference");
            Close(cpu, Down(ys), 1e-12, "BiasFree CPU");
        }
        {
            Half[] cpu = new Half[x.Length];
            float[] cpuMean = new float[n * s], cpuRstd = new float[n * s];
            TensorGpuKernels.ClnHalfSave(new ReadOnlyTensorSpan<Half>(H(x), Shape(n, c, s)), H(g), H(b), new TensorSpan<Half>(cpu, Shape(n, c, s)), cpuMean, cpuRstd);
            using var xs = Up(H(x)); using var gs = Up(H(g)); using var bs = Up(H(b)); using var ys = Accelerator.Allocate1D<Half>(x.Length);
            using var ms = Accelerator.Allocate1D<float>(n * s); using var rs = Accelerator.Allocate1D<float>(n * s);
            TensorGpuKernels.ClnHalfSave(Accelerator, xs.View, gs.View, bs.View, ys.View, ms.View, rs.View, c, s);
            var expected = TensorReference.ChannelLayerNorm(x, n, c, s, g, b, 1e-5, false);
            Close(expected.Y, W(Down(ys)), 2e-3, "Half reference");
            Close(W(cpu), W(Down(ys)), 2e-3, "Half CPU");
            Close(expected.Mean, W(Down(ms)), 1e-5, "saveMean");
            Close(expected.Rstd, W(Down(rs)), 1e-5, "saveRstd");
            Close(W(cpuRstd), W(Down(rs)), 1e-5, "saveRstd vs CPU");
        }
    }

    // ---------------------------------------------------------------- scalers

    [Theory]
    [InlineData(7, 5)]
    [InlineData(33, 1)]
    [InlineData(1500, 3)] // 1500 samples: one group per column
    public void ScalersAllTypes(int samples, int features)
    {
        double[] x = Values(samples * features, 50, 3, 1);
        double[] minMax = TensorReference.MinMax(x, samples, features), zScore = TensorReference.Standardize(x, samples, features);
        nint[] shape = Shape(samples, features);
        {
            float[] cpuA = new float[x.Length], cpuB = new float[x.Length];
            TensorGpuKernels.MinMax(new ReadOnlyTensorSpan<float>(F(x), shape), new TensorSpan<float>(cpuA, shape));
            TensorGpuKernels.ZScore(new ReadOnlyTensorSpan<float>(F(x), shape), new TensorSpan<float>(cpuB, shape));
            using var xs = Up(F(x)); using var a = Accelerator.Allocate1D<float>(x.Length); using var z = Accelerator.Allocate1D<float>(x.Length);
            TensorGpuKernels.MinMax(Accelerator, xs.View, a.View, features);
            TensorGpuKernels.ZScore(Accelerator, xs.View, z.View, features);
            Close(minMax, W(Down(a)), 1e-6, "MinMax reference");
            Close(W(cpuA), W(Down(a)), 1e-6, "MinMax CPU");
            Close(zScore, W(Down(z)), 1e-5, "Standardize reference");
            Close(W(cpuB), W(Down(z)), 1e-5, "Standardize CPU");
        }
        {
            double[] cpuA = new double[x.Length], cpuB = new double[x.Length];
            TensorGpuKernels.MinMaxDouble(new ReadOnlyTensorSpan<double>(x, shape), new TensorSpan<double>(cpuA, shape));
            TensorGpuKernels.ZScoreDouble(new ReadOnlyTensorSpan<double>(x, shape), new TensorSpan<double>(cpuB, shape));
            using var xs = Up(x); using var a = Accelerator.Allocate1D<double>(x.Length); using var z = Accelerator.Allocate1D<double>(x.Length);
            TensorGpuKernels.MinMaxDouble(Accelerator, xs.View, a.View, features);
            TensorGpuKernels.ZScoreDouble(Accelerator, xs.View, z.View, features);
            Close(minMax, Down(a), 1e-12, "MinMax double reference");
            Close(cpuA, Down(a), 1e-12, "MinMax double CPU");
            Close(zScore, Down(z), 1e-12, "Standardize double reference");
            Close(cpuB, Down(z), 1e-12, "Standardize double CPU");
        }
        {
            Half[] cpuA = new Half[x.Length], cpuB = new Half[x.Length];
            TensorGpuKernels.MinMaxHalf(new ReadOnlyTensorSpan<Half>(H(x), shape), new TensorSpan<Half>(cpuA, shape));
            TensorGpuKernels.ZScoreHalf(new ReadOnlyTensorSpan<Half>(H(x), shape), new TensorSpan<Half>(cpuB, shape));
            using var xs = Up(H(x)); using var a = Accelerator.Allocate1D<Half>(x.Length); using var z = Accelerator.Allocate1D<Half>(x.Length);
            TensorGpuKernels.MinMaxHalf(Accelerator, xs.View, a.View, features);
            TensorGpuKernels.ZScoreHalf(Accelerator, xs.View, z.View, features);
            Close(minMax, W(Down(a)), 2e-3, "MinMax Half reference");
            Close(W(cpuA), W(Down(a)), 2e-3, "MinMax Half CPU");
            Close(zScore, W(Down(z)), 2e-3, "Standardize Half reference");
            Close(W(cpuB), W(Down(z)), 2e-3, "Standardize Half CPU");
        }
    }

    [Fact]
    public void ScalersGiveZeroForConstantColumnsAndKeepNaNInItsColumn()
    {
        const int samples = 9, features = 3;
        double[] x = Values(samples * features, 51, 2);
        for (int r = 0; r < samples; r++) x[r * features] = 4; // column 0 constant
        x[5 * features + 2] = double.NaN; // column 2 holds a NaN
        using var xs = Up(F(x)); using var a = Accelerator.Allocate1D<float>(x.Length); using var z = Accelerator.Allocate1D<float>(x.Length);
        TensorGpuKernels.MinMax(Accelerator, xs.View, a.View, features);
        TensorGpuKernels.ZScore(Accelerator, xs.View, z.View, features);
        float[] ya = Down(a), yz = Down(z);
        double[] expected = TensorReference.MinMax(x, samples, features);
        for (int r = 0; r < samples; r++)
        {
            Assert.Equal(0f, ya[r * features]);
            Assert.Equal(0f, yz[r * features]);
            Assert.True(float.IsNaN(ya[r * features + 2]) && float.IsNaN(yz[r * features + 2]));
            Assert.True(Math.Abs(ya[r * features + 1] - expected[r * features + 1]) < 1e-6);
        }
        Assert.Contains(1f, Enumerable.Range(0, samples).Select(r => ya[r * features + 1])); // the maximum maps to 1 exactly
    }

    // ---------------------------------------------------------------- arguments

    [Fact]
    public void BadSizesLengthsAndOverlapsThrowNamingTheParameterBeforeWriting()
    {
        using var x = Accelerator.Allocate1D<float>(2 * 8 * 3);
        using var y = Accelerator.Allocate1D<float>(2 * 8 * 3);
        using var c8 = Accelerator.Allocate1D<float>(8);
        using var c7 = Accelerator.Allocate1D<float>(7);
        using var stats = Accelerator.Allocate1D<float>(4);
        x.MemSetToZero(); y.MemSetToZero(); c8.MemSetToZero();
        string Param(Action call) => Assert.ThrowsAny<ArgumentException>(call).ParamName!;
        Assert.Equal("gamma", Param(() => TensorGpuKernels.Gn(Accelerator, x.View, c7.View, c8.View, y.View, 8, 3)));
        Assert.Equal("beta", Param(() => TensorGpuKernels.Gn(Accelerator, x.View, c8.View, c7.View, y.View, 8, 3)));
        Assert.Equal("channels", Param(() => TensorGpuKernels.Gn(Accelerator, x.View, c8.View, c8.View, y.View, 6, 4))); // 6 channels, 4 groups
        Assert.Equal("channels", Param(() => TensorGpuKernels.Gn(Accelerator, x.View, c8.View, c8.View, y.View, 0, 3)));
        Assert.Equal("spatial", Param(() => TensorGpuKernels.Gn(Accelerator, x.View, c8.View, c8.View, y.View, 8, 0)));
        Assert.Equal("x", Param(() => TensorGpuKernels.Gn(Accelerator, x.View, c8.View, c8.View, y.View, 8, 5)));
        Assert.Equal("y", Param(() => TensorGpuKernels.Gn(Accelerator, x.View, c8.View, c8.View, y.View.SubView(0, 24), 8, 3)));
        Assert.Equal("y", Param(() => TensorGpuKernels.Gn(Accelerator, x.View.SubView(0, 24), c8.View, c8.View, x.View.SubView(1, 24), 8, 3)));
        using var wide = Accelerator.Allocate1D<float>(16);
        Assert.Equal("y", Param(() => TensorGpuKernels.Gn(Accelerator, c8.View, wide.View.SubView(0, 8), c8.View, wide.View.SubView(4, 8), 8, 1))); // y over γ
        Assert.Equal("saveRstd", Param(() => TensorGpuKernels.GnSave(Accelerator, x.View, c8.View, c8.View, y.View, stats.View, stats.View.SubView(0, 3), 8, 3)));
        Assert.Equal("saveRstd", Param(() => TensorGpuKernels.GnSave(Accelerator, x.View, c8.View, c8.View, y.View, stats.View, stats.View, 8, 3)));
        Assert.Equal("x", Param(() => TensorGpuKernels.BnTrain(Accelerator, x.View.SubView(0, 8), c8.View, c8.View, c8.View, c8.View, y.View.SubView(0, 8), 1))); // one value per channel
        Assert.Equal("runningVar", Param(() => TensorGpuKernels.BnTrain(Accelerator, x.View, c8.View, c8.View, c8.View, c7.View, y.View, 3)));
        Assert.Equal("runningMean", Param(() => TensorGpuKernels.BnTrain(Accelerator, x.View, c8.View, c8.View, c8.View.SubView(0, 0), c8.View, y.View, 3)));
        Assert.Equal("runningMean", Param(() => TensorGpuKernels.BnTrain(Accelerator, x.View, c8.View, c8.View, x.View.SubView(0, 8), c8.View, y.View, 3))); // written while x is read
        Assert.Equal("features", Param(() => TensorGpuKernels.MinMax(Accelerator, x.View, y.View, 0)));
        Assert.Equal("x", Param(() => TensorGpuKernels.ZScore(Accelerator, x.View, y.View, 7)));
        Assert.Equal("gamma", Param(() => TensorGpuKernels.Cln(Accelerator, x.View, c7.View, c8.View, y.View, 8, 3)));
        Assert.Equal("stream", Assert.Throws<ArgumentNullException>(() => TensorGpuKernels.In((AcceleratorStream)null!, x.View, y.View, 8, 3)).ParamName);
        Assert.All(Down(y), v => Assert.Equal(0f, v)); // nothing was written
        Assert.All(Down(c8), v => Assert.Equal(0f, v));
    }
}
