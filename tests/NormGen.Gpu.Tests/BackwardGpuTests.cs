using System;
using ILGPU;
using ILGPU.Runtime;
using Xunit;
using Half = System.Half;

namespace NormGen.Gpu.Tests;

/// <summary>Backward declarations whose GPU overloads the tests run: LayerNorm and RMSNorm, static and run-time lengths, warp and group kernels, float/double/Half.</summary>
public static partial class BackwardGpuKernels
{
    [LayerNorm(768, Backward = true)]
    public static partial void Ln768(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(1025, Backward = true)] // group per row
    public static partial void Ln1025(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(Backward = true)]
    public static partial void LnDyn(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(Affine = Affine.None, Backward = true)]
    public static partial void LnNoneDyn(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx);

    [RmsNorm(Backward = true)]
    public static partial void RmsDyn(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, Span<float> dx, Span<float> dweight);

    [RmsNorm(768, ZeroCenteredGamma = true, Backward = true)]
    public static partial void Rms768Zc(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, Span<float> dx, Span<float> dweight);

    [LayerNorm(Backward = true)]
    public static partial void LnDynDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, Span<double> dx, Span<double> dgamma, Span<double> dbeta);

    [RmsNorm(Backward = true)]
    public static partial void RmsDynDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> rstd, ReadOnlySpan<double> weight, Span<double> dx, Span<double> dweight);

    [LayerNorm(Backward = true)]
    public static partial void LnDynHalf(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> gamma, Span<Half> dx, Span<float> dgamma, Span<float> dbeta);
}

/// <summary>
/// The GPU backward overloads on ILGPU's CPU accelerator, against the CPU backward kernel and an independent double
/// reference (dx, dγ, dβ within the tolerance relative to each output's largest magnitude), bitwise repeatable, in
/// place, and with bad lengths rejected before anything is enqueued.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class BackwardGpuTests(CpuAcceleratorFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private readonly Accelerator accelerator = fixture.Accelerator;

    internal delegate void GpuCall<T>(Accelerator a, ArrayView<T> dy, ArrayView<T> x, ArrayView<T> mean, ArrayView<T> rstd, ArrayView<T> gamma, ArrayView<T> dx, ArrayView<T> dgamma, ArrayView<T> dbeta, int n) where T : unmanaged;

    internal delegate void CpuCall<T>(T[] dy, T[] x, T[] mean, T[] rstd, T[] gamma, T[] dx, T[] dgamma, T[] dbeta, int n);

    internal sealed record Case<T>(bool Centered, bool Gamma, bool Beta, bool ZeroCentered, GpuCall<T> Gpu, CpuCall<T> Cpu) where T : unmanaged;

    private static Case<float> FloatCase(string name) => name switch
    {
        "Ln768" => new(true, true, true, false,
            (a, dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.Ln768(a, dy, x, m, r, g, dx, dg, db),
            (dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.Ln768(dy, x, m, r, g, dx, dg, db)),
        "Ln1025" => new(true, true, true, false,
            (a, dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.Ln1025(a, dy, x, m, r, g, dx, dg, db),
            (dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.Ln1025(dy, x, m, r, g, dx, dg, db)),
        "LnDyn" => new(true, true, true, false,
            (a, dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.LnDyn(a, dy, x, n, m, r, g, dx, dg, db),
            (dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.LnDyn(dy, x, n, m, r, g, dx, dg, db)),
        "LnNoneDyn" => new(true, false, false, false,
            (a, dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.LnNoneDyn(a, dy, x, n, m, r, dx),
            (dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.LnNoneDyn(dy, x, n, m, r, dx)),
        "RmsDyn" => new(false, true, false, false,
            (a, dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.RmsDyn(a, dy, x, n, r, g, dx, dg),
            (dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.RmsDyn(dy, x, n, r, g, dx, dg)),
        "Rms768Zc" => new(false, true, false, true,
            (a, dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.Rms768Zc(a, dy, x, r, g, dx, dg),
            (dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.Rms768Zc(dy, x, r, g, dx, dg)),
        _ => throw new ArgumentException(name),
    };

    private static Case<double> DoubleCase(string name) => name switch
    {
        "LnDynDouble" => new(true, true, true, false,
            (a, dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.LnDynDouble(a, dy, x, n, m, r, g, dx, dg, db),
            (dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.LnDynDouble(dy, x, n, m, r, g, dx, dg, db)),
        "RmsDynDouble" => new(false, true, false, false,
            (a, dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.RmsDynDouble(a, dy, x, n, r, g, dx, dg),
            (dy, x, m, r, g, dx, dg, db, n) => BackwardGpuKernels.RmsDynDouble(dy, x, n, r, g, dx, dg)),
        _ => throw new ArgumentException(name),
    };

    /// <summary>The inputs of one case in double: x with a row offset, dy, γ near 1, and the statistics of x rounded as the forward saves them.</summary>
    internal static (double[] Dy, double[] X, double[] Mean, double[] Rstd, double[] Gamma) Inputs(bool centered, int n, int rows, int seed, Func<double, double> round)
    {
        double[] x = Array.ConvertAll(Reference.Doubles(n * rows, seed, 2, 3), v => round(v));
        double[] dy = Array.ConvertAll(Reference.Doubles(n * rows, seed + 1), v => round(v));
        double[] gamma = Array.ConvertAll(Reference.Doubles(n, seed + 2, 0.5, 1), v => round(v));
        var mean = new double[rows];
        var rstd = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double mu = 0, q = 0;
            if (centered)
            {
                for (int i = 0; i < n; i++) mu += x[r * n + i];
                mu /= n;
            }
            for (int i = 0; i < n; i++) q += (x[r * n + i] - mu) * (x[r * n + i] - mu);
            mean[r] = round(mu);
            rstd[r] = round(1 / Math.Sqrt(q / n + 1e-5));
        }
        return (dy, x, mean, rstd, gamma);
    }

    /// <summary>The analytic backward in double (PyTorch's formulas), from the given saved statistics.</summary>
    internal static (double[] Dx, double[] Dgamma, double[] Dbeta) Expected(bool centered, bool hasGamma, bool zeroCentered, double[] dy, double[] x, double[] mean, double[] rstd, double[] gamma, int n)
    {
        int rows = x.Length / n;
        var dx = new double[x.Length];
        var dgamma = new double[n];
        var dbeta = new double[n];
        for (int r = 0; r < rows; r++)
        {
            double mu = centered ? mean[r] : 0, s = rstd[r], sumG = 0, sumGx = 0;
            for (int i = 0; i < n; i++)
            {
                double xh = (x[r * n + i] - mu) * s;
                double g = dy[r * n + i] * (hasGamma ? (zeroCentered ? 1 + gamma[i] : gamma[i]) : 1);
                sumG += g;
                sumGx += g * xh;
                dgamma[i] += dy[r * n + i] * xh;
                dbeta[i] += dy[r * n + i];
            }
            for (int i = 0; i < n; i++)
            {
                double xh = (x[r * n + i] - mu) * s;
                double g = dy[r * n + i] * (hasGamma ? (zeroCentered ? 1 + gamma[i] : gamma[i]) : 1);
                dx[r * n + i] = s * (g - (centered ? sumG / n : 0) - xh * sumGx / n);
            }
        }
        return (dx, dgamma, dbeta);
    }

    /// <summary>max |actual − expected| / max(max |expected|, floor).</summary>
    internal static double RelativeError(double[] expected, double[] actual, double floor = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        OutputLog.Record(actual);
        double scale = floor, error = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            double e = Math.Abs(actual[i] - expected[i]);
            if (double.IsNaN(e)) return double.NaN;
            error = Math.Max(error, e);
        }
        return scale == 0 ? error : error / scale;
    }

    private (T[] Dx, T[] Dgamma, T[] Dbeta) RunGpu<T>(Case<T> c, T[] dy, T[] x, T[] mean, T[] rstd, T[] gamma, int n, bool inPlace = false) where T : unmanaged
    {
        using var dyB = accelerator.Allocate1D(dy);
        using var xB = accelerator.Allocate1D(x);
        using var mB = accelerator.Allocate1D(mean);
        using var rB = accelerator.Allocate1D(rstd);
        using var gB = accelerator.Allocate1D(gamma);
        using var dxB = accelerator.Allocate1D<T>(x.Length);
        using var dgB = accelerator.Allocate1D<T>(n);
        using var dbB = accelerator.Allocate1D<T>(n);
        ArrayView<T> dx = inPlace ? dyB.View : dxB.View;
        c.Gpu(accelerator, dyB.View, xB.View, c.Centered ? mB.View : default, rB.View, c.Gamma ? gB.View : default, dx,
            c.Gamma ? dgB.View : default, c.Beta ? dbB.View : default, n);
        accelerator.Synchronize();
        return ((inPlace ? dyB : dxB).GetAsArray1D(), dgB.GetAsArray1D(), dbB.GetAsArray1D());
    }

    private void Check<T>(Case<T> c, int n, int rows, Func<double, T> narrow, Func<T, double> widen, double tolerance, bool inPlace = false) where T : unmanaged
    {
        var (dyD, xD, meanD, rstdD, gammaD) = Inputs(c.Centered, n, rows, 1000 + n + rows, v => widen(narrow(v)));
        T[] dy = Array.ConvertAll(dyD, v => narrow(v)), x = Array.ConvertAll(xD, v => narrow(v));
        T[] mean = Array.ConvertAll(meanD, v => narrow(v)), rstd = Array.ConvertAll(rstdD, v => narrow(v)), gamma = Array.ConvertAll(gammaD, v => narrow(v));
        var (eDx, eDg, eDb) = Expected(c.Centered, c.Gamma, c.ZeroCentered, dyD, xD, meanD, rstdD, gammaD, n);

        var cpuDx = new T[x.Length];
        var cpuDg = new T[n];
        var cpuDb = new T[n];
        c.Cpu(dy, x, mean, rstd, gamma, cpuDx, cpuDg, cpuDb, n);
        var (dx, dg, db) = RunGpu(c, dy, x, mean, rstd, gamma, n, inPlace);

        double[] W(T[] a) => Array.ConvertAll(a, v => widen(v));
        // dx is a difference of terms of size rstd·|g|; where they cancel (RMSNorm over one element: dx = rstd·g·ε/(x² + ε))
        // no float kernel can do better than their size times the rounding, so that size is the floor of the scale.
        double terms = 0;
        for (int i = 0; i < xD.Length; i++)
            terms = Math.Max(terms, rstdD[i / n] * Math.Abs(dyD[i] * (c.Gamma ? (c.ZeroCentered ? 1 + gammaD[i % n] : gammaD[i % n]) : 1)));
        output.WriteLine($"dx vs reference {RelativeError(eDx, W(dx), terms):E2}, vs CPU {RelativeError(W(cpuDx), W(dx), terms):E2}" +
            (c.Gamma ? $"; dγ vs reference {RelativeError(eDg, W(dg)):E2}, vs CPU {RelativeError(W(cpuDg), W(dg)):E2}" : "") +
            (c.Beta ? $"; dβ vs reference {RelativeError(eDb, W(db)):E2}, vs CPU {RelativeError(W(cpuDb), W(db)):E2}" : ""));
        Assert.InRange(RelativeError(eDx, W(dx), terms), 0, tolerance);
        Assert.InRange(RelativeError(W(cpuDx), W(dx), terms), 0, tolerance);
        if (c.Gamma)
        {
            Assert.InRange(RelativeError(eDg, W(dg)), 0, tolerance);
            Assert.InRange(RelativeError(W(cpuDg), W(dg)), 0, tolerance);
        }
        if (c.Beta)
        {
            Assert.InRange(RelativeError(eDb, W(db)), 0, tolerance);
            Assert.InRange(RelativeError(W(cpuDb), W(db)), 0, tolerance);
        }
    }

    [Theory]
    [InlineData("Ln768", 768, 1)]
    [InlineData("Ln768", 768, 130)]
    [InlineData("Ln1025", 1025, 1)]
    [InlineData("Ln1025", 1025, 129)]
    [InlineData("LnDyn", 1, 3000)]
    [InlineData("LnDyn", 17, 1)]
    [InlineData("LnDyn", 17, 3000)]
    [InlineData("LnDyn", 768, 65)]
    [InlineData("LnDyn", 1025, 64)]
    [InlineData("LnNoneDyn", 17, 100)]
    [InlineData("LnNoneDyn", 1025, 3)]
    [InlineData("RmsDyn", 1, 3000)]
    [InlineData("RmsDyn", 17, 3000)]
    [InlineData("RmsDyn", 1025, 65)]
    [InlineData("Rms768Zc", 768, 129)]
    public void FloatMatchesReferenceAndCpu(string name, int n, int rows) =>
        Check(FloatCase(name), n, rows, v => (float)v, v => v, 1e-5);

    [Theory]
    [InlineData("LnDynDouble", 17, 3000)]
    [InlineData("LnDynDouble", 1025, 65)]
    [InlineData("RmsDynDouble", 768, 129)]
    [InlineData("RmsDynDouble", 1, 100)]
    public void DoubleMatchesReferenceAndCpu(string name, int n, int rows) =>
        Check(DoubleCase(name), n, rows, v => v, v => v, 1e-12);

    [Theory]
    [InlineData("LnDyn", 768, 65)]
    [InlineData("RmsDyn", 1025, 3)]
    public void InPlaceDxOverDyMatches(string name, int n, int rows) =>
        Check(FloatCase(name), n, rows, v => (float)v, v => v, 1e-5, inPlace: true);

    [Theory]
    [InlineData("LnDyn", 17, 3000)]
    [InlineData("Ln1025", 1025, 129)]
    public void RepeatedCallsAreBitwiseIdentical(string name, int n, int rows)
    {
        Case<float> c = FloatCase(name);
        var (dyD, xD, meanD, rstdD, gammaD) = Inputs(true, n, rows, 7, v => (float)v);
        float[] F(double[] a) => Array.ConvertAll(a, v => (float)v);
        var first = RunGpu(c, F(dyD), F(xD), F(meanD), F(rstdD), F(gammaD), n);
        var second = RunGpu(c, F(dyD), F(xD), F(meanD), F(rstdD), F(gammaD), n);
        Assert.Equal(Bits(first.Dx), Bits(second.Dx));
        Assert.Equal(Bits(first.Dgamma), Bits(second.Dgamma));
        Assert.Equal(Bits(first.Dbeta), Bits(second.Dbeta));
    }

    private static int[] Bits(float[] a) => Array.ConvertAll(a, BitConverter.SingleToInt32Bits);

    [Fact]
    public void ZeroRowsWriteZeroGradients()
    {
        using var empty = accelerator.Allocate1D<float>(0);
        using var dg = accelerator.Allocate1D(new float[] { 5, 5, 5 });
        using var db = accelerator.Allocate1D(new float[] { 5, 5, 5 });
        using var g = accelerator.Allocate1D(new float[] { 1, 1, 1 });
        BackwardGpuKernels.LnDyn(accelerator, empty.View, empty.View, 3, empty.View, empty.View, g.View, empty.View, dg.View, db.View);
        accelerator.Synchronize();
        Assert.Equal(new float[3], dg.GetAsArray1D());
        Assert.Equal(new float[3], db.GetAsArray1D());
    }

    [Fact]
    public void HalfMatchesReference()
    {
        const int n = 300, rows = 70;
        var (dyD, xD, meanD, rstdD, gammaD) = Inputs(true, n, rows, 11, v => (double)(Half)v);
        Half[] H(double[] a) => Array.ConvertAll(a, v => (Half)v);
        float[] F(double[] a) => Array.ConvertAll(a, v => (float)v);
        var (eDx, eDg, eDb) = Expected(true, true, false, dyD, xD, Array.ConvertAll(F(meanD), v => (double)v), Array.ConvertAll(F(rstdD), v => (double)v), gammaD, n);
        using var dyB = accelerator.Allocate1D(H(dyD));
        using var xB = accelerator.Allocate1D(H(xD));
        using var mB = accelerator.Allocate1D(F(meanD));
        using var rB = accelerator.Allocate1D(F(rstdD));
        using var gB = accelerator.Allocate1D(H(gammaD));
        using var dxB = accelerator.Allocate1D<Half>(n * rows);
        using var dgB = accelerator.Allocate1D<float>(n);
        using var dbB = accelerator.Allocate1D<float>(n);
        BackwardGpuKernels.LnDynHalf(accelerator, dyB.View, xB.View, n, mB.View, rB.View, gB.View, dxB.View, dgB.View, dbB.View);
        accelerator.Synchronize();
        // dx is rounded once to Half (2⁻¹¹ relative); the gradients are float sums.
        Assert.InRange(RelativeError(eDx, Array.ConvertAll(dxB.GetAsArray1D(), v => (double)v)), 0, 1e-3);
        Assert.InRange(RelativeError(eDg, Array.ConvertAll(dgB.GetAsArray1D(), v => (double)v)), 0, 1e-5);
        Assert.InRange(RelativeError(eDb, Array.ConvertAll(dbB.GetAsArray1D(), v => (double)v)), 0, 1e-5);
    }

    [Theory]
    [InlineData("dy")]
    [InlineData("dx")]
    [InlineData("mean")]
    [InlineData("rstd")]
    [InlineData("gamma")]
    [InlineData("dgamma")]
    [InlineData("dbeta")]
    [InlineData("x")]
    public void WrongLengthsThrowNamingTheParameterAndWriteNothing(string wrong)
    {
        const int n = 17, rows = 4;
        int L(string name, int length) => name == wrong ? length + 1 : length;
        using var dy = accelerator.Allocate1D<float>(L("dy", n * rows));
        using var x = accelerator.Allocate1D<float>(L("x", n * rows));
        using var mean = accelerator.Allocate1D<float>(L("mean", rows));
        using var rstd = accelerator.Allocate1D<float>(L("rstd", rows));
        using var gamma = accelerator.Allocate1D<float>(L("gamma", n));
        using var dx = accelerator.Allocate1D(new float[L("dx", n * rows)]);
        using var dgamma = accelerator.Allocate1D(new float[L("dgamma", n)]);
        using var dbeta = accelerator.Allocate1D(new float[L("dbeta", n)]);
        dx.MemSet(0x7F);
        dgamma.MemSet(0x7F);
        dbeta.MemSet(0x7F);
        var e = Assert.ThrowsAny<ArgumentException>(() =>
            BackwardGpuKernels.LnDyn(accelerator, dy.View, x.View, n, mean.View, rstd.View, gamma.View, dx.View, dgamma.View, dbeta.View));
        Assert.Equal(wrong, e.ParamName);
        accelerator.Synchronize();
        foreach (float v in dx.GetAsArray1D()) Assert.Equal(BitConverter.Int32BitsToSingle(0x7F7F7F7F), v);
        foreach (float v in dgamma.GetAsArray1D()) Assert.Equal(BitConverter.Int32BitsToSingle(0x7F7F7F7F), v);
    }

    [Fact]
    public void BadRowLengthAndOverlappingOutputsThrow()
    {
        using var a = accelerator.Allocate1D<float>(34);
        using var s = accelerator.Allocate1D<float>(2);
        using var g = accelerator.Allocate1D<float>(17);
        using var dg = accelerator.Allocate1D<float>(17);
        var e = Assert.ThrowsAny<ArgumentException>(() => BackwardGpuKernels.LnDyn(accelerator, a.View, a.View, 0, s.View, s.View, g.View, a.View, dg.View, dg.View));
        Assert.Equal("rowLength", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => BackwardGpuKernels.LnDyn(accelerator, a.View, a.View, 17, s.View, s.View, g.View, a.View, dg.View, dg.View));
        Assert.Equal("dbeta", e.ParamName);
        using var shifted = accelerator.Allocate1D<float>(35);
        using var x = accelerator.Allocate1D<float>(34);
        using var db = accelerator.Allocate1D<float>(17);
        e = Assert.ThrowsAny<ArgumentException>(() => BackwardGpuKernels.LnDyn(accelerator, shifted.View.SubView(0, 34), x.View, 17, s.View, s.View, g.View, shifted.View.SubView(1, 34), dg.View, db.View));
        Assert.Equal("dx", e.ParamName);
    }
}
