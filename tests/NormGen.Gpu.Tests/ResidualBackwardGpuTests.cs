using System;
using ILGPU;
using ILGPU.Runtime;
using Xunit;
using Half = System.Half;

namespace NormGen.Gpu.Tests;

/// <summary>Pre-norm residual backward declarations whose GPU overloads the tests run (dh = dx + dResidualOut).</summary>
public static partial class ResidualBackwardGpuKernels
{
    [LayerNorm(768, Residual = true, Backward = true)]
    public static partial void Ln768(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dh, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(Residual = true, Backward = true)]
    public static partial void LnDyn(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dh, Span<float> dgamma, Span<float> dbeta);

    [RmsNorm(Residual = true, Backward = true)]
    public static partial void RmsDyn(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, Span<float> dh, Span<float> dweight);

    [RmsNorm(1025, ZeroCenteredGamma = true, Residual = true, Backward = true)] // group per row
    public static partial void Rms1025Zc(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, Span<float> dh, Span<float> dweight);

    [LayerNorm(Affine = Affine.None, Residual = true, Backward = true)]
    public static partial void LnNoneDyn(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dh);

    [LayerNorm(Residual = true, Backward = true)]
    public static partial void LnDynDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> dResidualOut, ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, Span<double> dh, Span<double> dgamma, Span<double> dbeta);

    [RmsNorm(Residual = true, Backward = true)]
    public static partial void RmsDynHalf(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> dResidualOut, ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> weight, Span<Half> dh, Span<float> dweight);

    [LayerNorm(Backward = true)] // the same math without the add, for the bitwise fusion check
    public static partial void LnDynNoResidual(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);
}

/// <summary>
/// The GPU overloads of the pre-norm residual backward on ILGPU's CPU accelerator: dh = dx + dResidualOut fused into the
/// dx kernel, against an independent double reference and the span method; bitwise equal to the plain GPU backward
/// plus dResidualOut added in float; the span method's aliasing rules (dh may be dy or x, not dResidualOut) and
/// argument checks before anything is enqueued.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class ResidualBackwardGpuTests(CpuAcceleratorFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private readonly Accelerator accelerator = fixture.Accelerator;

    private delegate void GpuCall<T>(Accelerator a, ArrayView<T> dy, ArrayView<T> dro, ArrayView<T> x, ArrayView<T> mean, ArrayView<T> rstd, ArrayView<T> gamma, ArrayView<T> dh, ArrayView<T> dgamma, ArrayView<T> dbeta, int n) where T : unmanaged;

    private delegate void CpuCall<T>(T[] dy, T[] dro, T[] x, T[] mean, T[] rstd, T[] gamma, T[] dh, T[] dgamma, T[] dbeta, int n);

    private sealed record Case<T>(bool Centered, bool Gamma, bool Beta, bool ZeroCentered, GpuCall<T> Gpu, CpuCall<T> Cpu) where T : unmanaged;

    private static Case<float> FloatCase(string name) => name switch
    {
        "Ln768" => new(true, true, true, false,
            (a, dy, dr, x, m, r, g, dh, dg, db, n) => ResidualBackwardGpuKernels.Ln768(a, dy, dr, x, m, r, g, dh, dg, db),
            (dy, dr, x, m, r, g, dh, dg, db, n) => ResidualBackwardGpuKernels.Ln768(dy, dr, x, m, r, g, dh, dg, db)),
        "LnDyn" => new(true, true, true, false,
            (a, dy, dr, x, m, r, g, dh, dg, db, n) => ResidualBackwardGpuKernels.LnDyn(a, dy, dr, x, n, m, r, g, dh, dg, db),
            (dy, dr, x, m, r, g, dh, dg, db, n) => ResidualBackwardGpuKernels.LnDyn(dy, dr, x, n, m, r, g, dh, dg, db)),
        "RmsDyn" => new(false, true, false, false,
            (a, dy, dr, x, m, r, g, dh, dg, db, n) => ResidualBackwardGpuKernels.RmsDyn(a, dy, dr, x, n, r, g, dh, dg),
            (dy, dr, x, m, r, g, dh, dg, db, n) => ResidualBackwardGpuKernels.RmsDyn(dy, dr, x, n, r, g, dh, dg)),
        "Rms1025Zc" => new(false, true, false, true,
            (a, dy, dr, x, m, r, g, dh, dg, db, n) => ResidualBackwardGpuKernels.Rms1025Zc(a, dy, dr, x, r, g, dh, dg),
            (dy, dr, x, m, r, g, dh, dg, db, n) => ResidualBackwardGpuKernels.Rms1025Zc(dy, dr, x, r, g, dh, dg)),
        "LnNoneDyn" => new(true, false, false, false,
            (a, dy, dr, x, m, r, g, dh, dg, db, n) => ResidualBackwardGpuKernels.LnNoneDyn(a, dy, dr, x, n, m, r, dh),
            (dy, dr, x, m, r, g, dh, dg, db, n) => ResidualBackwardGpuKernels.LnNoneDyn(dy, dr, x, n, m, r, dh)),
        _ => throw new ArgumentException(name),
    };

    private static Case<double> DoubleCase() => new(true, true, true, false,
        (a, dy, dr, x, m, r, g, dh, dg, db, n) => ResidualBackwardGpuKernels.LnDynDouble(a, dy, dr, x, n, m, r, g, dh, dg, db),
        (dy, dr, x, m, r, g, dh, dg, db, n) => ResidualBackwardGpuKernels.LnDynDouble(dy, dr, x, n, m, r, g, dh, dg, db));

    public enum Alias { None, DhIsDy, DhIsX }

    private (T[] Dh, T[] Dgamma, T[] Dbeta) RunGpu<T>(Case<T> c, T[] dy, T[] dro, T[] x, T[] mean, T[] rstd, T[] gamma, int n, Alias alias = Alias.None) where T : unmanaged
    {
        using var dyB = accelerator.Allocate1D(dy);
        using var drB = accelerator.Allocate1D(dro);
        using var xB = accelerator.Allocate1D(x);
        using var mB = accelerator.Allocate1D(mean);
        using var rB = accelerator.Allocate1D(rstd);
        using var gB = accelerator.Allocate1D(gamma);
        using var dhB = accelerator.Allocate1D<T>(x.Length);
        using var dgB = accelerator.Allocate1D(new T[n]); // zeros where the case has no such gradient
        using var dbB = accelerator.Allocate1D(new T[n]);
        MemoryBuffer1D<T, Stride1D.Dense> target = alias switch { Alias.DhIsDy => dyB, Alias.DhIsX => xB, _ => dhB };
        c.Gpu(accelerator, dyB.View, drB.View, xB.View, c.Centered ? mB.View : default, rB.View, c.Gamma ? gB.View : default, target.View,
            c.Gamma ? dgB.View : default, c.Beta ? dbB.View : default, n);
        accelerator.Synchronize();
        return (target.GetAsArray1D(), dgB.GetAsArray1D(), dbB.GetAsArray1D());
    }

    /// <summary>Runs a case against the double reference (dh = dx + dResidualOut) and the span method, within the tolerance relative to each output's largest magnitude.</summary>
    private void Check<T>(Case<T> c, int n, int rows, Func<double, T> narrow, Func<T, double> widen, double tolerance, Alias alias = Alias.None) where T : unmanaged
    {
        var (dyD, xD, meanD, rstdD, gammaD) = BackwardGpuTests.Inputs(c.Centered, n, rows, 2000 + n + rows, v => widen(narrow(v)));
        double[] droD = Array.ConvertAll(Reference.Doubles(n * rows, 3000 + n, 1.5), v => widen(narrow(v)));
        T[] N(double[] a) => Array.ConvertAll(a, v => narrow(v));
        double[] W(T[] a) => Array.ConvertAll(a, v => widen(v));
        T[] dy = N(dyD), dro = N(droD), x = N(xD), mean = N(meanD), rstd = N(rstdD), gamma = N(gammaD);
        var (eDx, eDg, eDb) = BackwardGpuTests.Expected(c.Centered, c.Gamma, c.ZeroCentered, dyD, xD, meanD, rstdD, gammaD, n);
        double[] eDh = new double[eDx.Length];
        for (int i = 0; i < eDh.Length; i++) eDh[i] = eDx[i] + droD[i];

        var cpuDh = new T[x.Length];
        var cpuDg = new T[n];
        var cpuDb = new T[n];
        c.Cpu(dy, dro, x, mean, rstd, gamma, cpuDh, cpuDg, cpuDb, n);
        var (dh, dg, db) = RunGpu(c, dy, dro, x, mean, rstd, gamma, n, alias);

        // As in BackwardGpuTests: dx's terms, rstd·|g|, are the floor of the scale where they cancel; here also |dResidualOut|.
        double terms = 0;
        for (int i = 0; i < xD.Length; i++)
            terms = Math.Max(terms, Math.Max(Math.Abs(droD[i]), rstdD[i / n] * Math.Abs(dyD[i] * (c.Gamma ? (c.ZeroCentered ? 1 + gammaD[i % n] : gammaD[i % n]) : 1))));
        double hRef = BackwardGpuTests.RelativeError(eDh, W(dh), terms), hCpu = BackwardGpuTests.RelativeError(W(cpuDh), W(dh), terms);
        output.WriteLine($"dh vs reference {hRef:E2}, vs CPU {hCpu:E2}" +
            (c.Gamma ? $"; dγ vs reference {BackwardGpuTests.RelativeError(eDg, W(dg)):E2}" : "") +
            (c.Beta ? $"; dβ vs reference {BackwardGpuTests.RelativeError(eDb, W(db)):E2}" : ""));
        Assert.InRange(hRef, 0, tolerance);
        Assert.InRange(hCpu, 0, tolerance);
        if (c.Gamma)
        {
            Assert.InRange(BackwardGpuTests.RelativeError(eDg, W(dg)), 0, tolerance);
            Assert.InRange(BackwardGpuTests.RelativeError(W(cpuDg), W(dg)), 0, tolerance);
        }
        if (c.Beta)
        {
            Assert.InRange(BackwardGpuTests.RelativeError(eDb, W(db)), 0, tolerance);
            Assert.InRange(BackwardGpuTests.RelativeError(W(cpuDb), W(db)), 0, tolerance);
        }
    }

    [Theory]
    [InlineData("Ln768", 768, 1)]
    [InlineData("Ln768", 768, 130)]
    [InlineData("LnDyn", 1, 300)]
    [InlineData("LnDyn", 17, 3000)]
    [InlineData("LnDyn", 1025, 65)]
    [InlineData("RmsDyn", 17, 200)]
    [InlineData("RmsDyn", 2000, 9)]
    [InlineData("Rms1025Zc", 1025, 66)]
    [InlineData("LnNoneDyn", 33, 100)]
    public void FloatMatchesReferenceAndCpu(string name, int n, int rows) =>
        Check(FloatCase(name), n, rows, v => (float)v, v => v, 1e-5);

    [Theory]
    [InlineData(17, 3000)]
    [InlineData(1025, 65)]
    public void DoubleMatchesReferenceAndCpu(int n, int rows) =>
        Check(DoubleCase(), n, rows, v => v, v => v, 1e-12);

    [Theory]
    [InlineData("LnDyn", 768, 65, Alias.DhIsDy)]
    [InlineData("LnDyn", 1025, 3, Alias.DhIsX)]
    [InlineData("Rms1025Zc", 1025, 65, Alias.DhIsDy)]
    [InlineData("RmsDyn", 40, 70, Alias.DhIsX)]
    public void InPlaceDhOverDyOrXMatches(string name, int n, int rows, Alias alias)
    {
        Case<float> c = FloatCase(name);
        Check(c, n, rows, v => (float)v, v => v, 1e-5, alias);
        // In place gives the very bits of a separate dh.
        var (dyD, xD, meanD, rstdD, gammaD) = BackwardGpuTests.Inputs(c.Centered, n, rows, 5, v => (float)v);
        float[] F(double[] a) => Array.ConvertAll(a, v => (float)v);
        float[] dro = F(Reference.Doubles(n * rows, 6));
        var separate = RunGpu(c, F(dyD), dro, F(xD), F(meanD), F(rstdD), F(gammaD), n);
        var inPlace = RunGpu(c, F(dyD), dro, F(xD), F(meanD), F(rstdD), F(gammaD), n, alias);
        Assert.Equal(Bits(separate.Dh), Bits(inPlace.Dh));
        Assert.Equal(Bits(separate.Dgamma), Bits(inPlace.Dgamma));
        Assert.Equal(Bits(separate.Dbeta), Bits(inPlace.Dbeta));
    }

    /// <summary>
    /// The fused add is exactly the span method's second pass: on the CPU accelerator (no FMA contraction) the residual
    /// kernel's dh is bitwise the plain GPU backward's dx plus dResidualOut added in float, and dγ/dβ are the same bits.
    /// On CUDA the PTX compiler contracts dx's last multiply and the add into one FMA (seen on an H200: 1-ulp
    /// differences), so there dh may differ from the two-rounding sum by at most dx's rounding error and dh's own.
    /// </summary>
    [Theory]
    [InlineData(17, 3000)]
    [InlineData(1025, 65)]
    public void FusedAddIsBitwiseThePlainBackwardPlusDResidualOut(int n, int rows)
    {
        var (dyD, xD, meanD, rstdD, gammaD) = BackwardGpuTests.Inputs(true, n, rows, 21, v => (float)v);
        float[] F(double[] a) => Array.ConvertAll(a, v => (float)v);
        float[] dy = F(dyD), x = F(xD), mean = F(meanD), rstd = F(rstdD), gamma = F(gammaD), dro = F(Reference.Doubles(n * rows, 22));
        var fused = RunGpu(FloatCase("LnDyn"), dy, dro, x, mean, rstd, gamma, n);

        using var dyB = accelerator.Allocate1D(dy);
        using var xB = accelerator.Allocate1D(x);
        using var mB = accelerator.Allocate1D(mean);
        using var rB = accelerator.Allocate1D(rstd);
        using var gB = accelerator.Allocate1D(gamma);
        using var dxB = accelerator.Allocate1D<float>(x.Length);
        using var dgB = accelerator.Allocate1D<float>(n);
        using var dbB = accelerator.Allocate1D<float>(n);
        ResidualBackwardGpuKernels.LnDynNoResidual(accelerator, dyB.View, xB.View, n, mB.View, rB.View, gB.View, dxB.View, dgB.View, dbB.View);
        accelerator.Synchronize();
        float[] dx = dxB.GetAsArray1D();
        float[] sum = new float[dx.Length];
        for (int i = 0; i < dx.Length; i++) sum[i] = dx[i] + dro[i];
        if (accelerator.AcceleratorType == AcceleratorType.CPU)
            Assert.Equal(Bits(sum), Bits(fused.Dh));
        else
            for (int i = 0; i < dx.Length; i++) // half an ulp of dx (the product's rounding the FMA skips) plus one of dh
                Assert.True(Math.Abs((double)fused.Dh[i] - sum[i]) <= Math.Abs(dx[i]) / (1 << 24) + Math.Abs(sum[i]) / (1 << 23) + float.Epsilon,
                    $"dh[{i}] = {fused.Dh[i]:R}, dx + dResidualOut = {sum[i]:R}");
        Assert.Equal(Bits(dgB.GetAsArray1D()), Bits(fused.Dgamma));
        Assert.Equal(Bits(dbB.GetAsArray1D()), Bits(fused.Dbeta));
    }

    [Fact]
    public void HalfMatchesReference()
    {
        const int n = 300, rows = 70;
        var (dyD, xD, meanD, rstdD, gammaD) = BackwardGpuTests.Inputs(false, n, rows, 31, v => (double)(Half)v);
        double[] droD = Array.ConvertAll(Reference.Doubles(n * rows, 32), v => (double)(Half)v);
        Half[] H(double[] a) => Array.ConvertAll(a, v => (Half)v);
        float[] F(double[] a) => Array.ConvertAll(a, v => (float)v);
        var (eDx, eDg, _) = BackwardGpuTests.Expected(false, true, false, dyD, xD, meanD, Array.ConvertAll(F(rstdD), v => (double)v), gammaD, n);
        double[] eDh = new double[eDx.Length];
        for (int i = 0; i < eDh.Length; i++) eDh[i] = eDx[i] + droD[i];
        using var dyB = accelerator.Allocate1D(H(dyD));
        using var drB = accelerator.Allocate1D(H(droD));
        using var xB = accelerator.Allocate1D(H(xD));
        using var rB = accelerator.Allocate1D(F(rstdD));
        using var gB = accelerator.Allocate1D(H(gammaD));
        using var dhB = accelerator.Allocate1D<Half>(n * rows);
        using var dgB = accelerator.Allocate1D<float>(n);
        ResidualBackwardGpuKernels.RmsDynHalf(accelerator, dyB.View, drB.View, xB.View, n, rB.View, gB.View, dhB.View, dgB.View);
        accelerator.Synchronize();
        // dh is rounded once to Half (2⁻¹¹ relative); dweight is a float sum.
        Assert.InRange(BackwardGpuTests.RelativeError(eDh, Array.ConvertAll(dhB.GetAsArray1D(), v => (double)v)), 0, 1e-3);
        Assert.InRange(BackwardGpuTests.RelativeError(eDg, Array.ConvertAll(dgB.GetAsArray1D(), v => (double)v)), 0, 1e-5);
    }

    [Theory]
    [InlineData("dy")]
    [InlineData("dResidualOut")]
    [InlineData("x")]
    [InlineData("mean")]
    [InlineData("rstd")]
    [InlineData("gamma")]
    [InlineData("dh")]
    [InlineData("dgamma")]
    [InlineData("dbeta")]
    public void WrongLengthsThrowNamingTheParameterAndWriteNothing(string wrong)
    {
        const int n = 17, rows = 4;
        int L(string name, int length) => name == wrong ? length + 1 : length;
        using var dy = accelerator.Allocate1D<float>(L("dy", n * rows));
        using var dro = accelerator.Allocate1D<float>(L("dResidualOut", n * rows));
        using var x = accelerator.Allocate1D<float>(L("x", n * rows));
        using var mean = accelerator.Allocate1D<float>(L("mean", rows));
        using var rstd = accelerator.Allocate1D<float>(L("rstd", rows));
        using var gamma = accelerator.Allocate1D<float>(L("gamma", n));
        using var dh = accelerator.Allocate1D<float>(L("dh", n * rows));
        using var dgamma = accelerator.Allocate1D<float>(L("dgamma", n));
        using var dbeta = accelerator.Allocate1D<float>(L("dbeta", n));
        dh.MemSet(0x7F);
        dgamma.MemSet(0x7F);
        dbeta.MemSet(0x7F);
        var e = Assert.ThrowsAny<ArgumentException>(() =>
            ResidualBackwardGpuKernels.LnDyn(accelerator, dy.View, dro.View, x.View, n, mean.View, rstd.View, gamma.View, dh.View, dgamma.View, dbeta.View));
        Assert.Equal(wrong, e.ParamName);
        accelerator.Synchronize();
        AssertUntouched(dh, dgamma, dbeta);
    }

    /// <summary>The span method's aliasing rules: dh may not share memory with dResidualOut (the same view included), nor overlap dy or x shifted.</summary>
    [Theory]
    [InlineData("same")]
    [InlineData("shifted")]
    [InlineData("dyShifted")]
    public void DhOverlappingDResidualOutOrShiftedOverDyThrowsAndWritesNothing(string how)
    {
        const int n = 17, rows = 4;
        using var big = accelerator.Allocate1D<float>(n * rows + 1);
        using var other = accelerator.Allocate1D<float>(n * rows);
        using var x = accelerator.Allocate1D<float>(n * rows);
        using var stats = accelerator.Allocate1D<float>(rows);
        using var gamma = accelerator.Allocate1D<float>(n);
        using var dgamma = accelerator.Allocate1D<float>(n);
        using var dbeta = accelerator.Allocate1D<float>(n);
        big.MemSet(0x7F);
        dgamma.MemSet(0x7F);
        dbeta.MemSet(0x7F);
        // Offsets into the shared buffer (-1: the separate one) of dy, dResidualOut and dh.
        (int dyAt, int droAt, int dhAt) = how switch { "same" => (-1, 0, 0), "shifted" => (-1, 0, 1), _ => (0, -1, 1) };
        ArrayView<float> V(int at) => at < 0 ? other.View : big.View.SubView(at, n * rows);
        var e = Assert.ThrowsAny<ArgumentException>(() =>
            ResidualBackwardGpuKernels.LnDyn(accelerator, V(dyAt), V(droAt), x.View, n, stats.View, stats.View, gamma.View, V(dhAt), dgamma.View, dbeta.View));
        Assert.Equal("dh", e.ParamName);
        accelerator.Synchronize();
        AssertUntouched(big, dgamma, dbeta);
        // The same layout is rejected by the span method, naming the same parameter.
        float[] cpu = new float[n * rows + 1], o = new float[n * rows];
        float[] xs = new float[n * rows], st = new float[rows], g = new float[n], dg = new float[n], db = new float[n];
        Span<float> S(int at) => at < 0 ? o : cpu.AsSpan(at, n * rows);
        var ce = Assert.ThrowsAny<ArgumentException>(() => ResidualBackwardGpuKernels.LnDyn(S(dyAt), S(droAt), xs, n, st, st, g, S(dhAt), dg, db));
        Assert.Equal("dh", ce.ParamName);
    }

    private static void AssertUntouched(params MemoryBuffer1D<float, Stride1D.Dense>[] buffers)
    {
        foreach (var b in buffers)
            foreach (float v in b.GetAsArray1D()) Assert.Equal(BitConverter.Int32BitsToSingle(0x7F7F7F7F), v);
    }

    private static int[] Bits(float[] a) => Array.ConvertAll(a, BitConverter.SingleToInt32Bits);
}
