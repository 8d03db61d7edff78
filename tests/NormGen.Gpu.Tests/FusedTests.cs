using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using Half = System.Half;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Gpu.Tests;

/// <summary>
/// Every fused GPU variant on ILGPU's CPU accelerator: each output (y, residualOut, mean, rstd) against the CPU kernel of
/// the same declaration and against <see cref="FusedReference"/>; odd lengths, many rows, in-place residual stream,
/// wrong view lengths and overlaps.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class FusedTests(CpuAcceleratorFixture fixture, ITestOutputHelper output)
{
    private static readonly int[] Lengths = [1, 3, 17, 1000, 4099];

    private Accelerator Accelerator => fixture.Accelerator;

    public static TheoryData<string, int, int> Shapes()
    {
        var data = new TheoryData<string, int, int>();
        foreach (FusedCase c in FusedCases.All)
        {
            if (c.StaticRowLength > 0)
                data.Add(c.Name, c.StaticRowLength, 3);
            else
                foreach (int n in Lengths) data.Add(c.Name, n, n >= 1000 ? 3 : 9);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesCpuAndReference(string name, int rowLength, int rows) => Check(FusedCases.Get(name), rowLength, rows, inPlace: false, seed: rowLength + rows);

    /// <summary>residualOut is the residual view itself: the residual stream updated in place, as a transformer block does.</summary>
    [Theory]
    [InlineData("AddRms", 17, 5)]
    [InlineData("AddRms", 4099, 2)]
    [InlineData("AddRms4096", 4096, 2)]
    [InlineData("SkipLn", 1000, 3)]
    [InlineData("SkipLn", 1, 4)]
    [InlineData("HalfAddRms", 1025, 2)]
    public void ResidualOutInPlace(string name, int rowLength, int rows) => Check(FusedCases.Get(name), rowLength, rows, inPlace: true, seed: 99);

    /// <summary>More than 2^16 rows: the grid-stride loop with the fused epilogue and the per-row statistics.</summary>
    [Theory]
    [InlineData("AddRms", 3)]
    [InlineData("HalfAddRms", 1)]
    public void ManyRows(string name, int rowLength) => Check(FusedCases.Get(name), rowLength, 65537, inPlace: false, seed: 5);

    private void Check(FusedCase c, int rowLength, int rows, bool inPlace, int seed) =>
        FusedRunner.Check(Accelerator, c, rowLength, rows, inPlace, seed, output.WriteLine);

    /// <summary>A constant h gives exactly β after the residual add too (the shift is h's first element).</summary>
    [Fact]
    public void ConstantResidualSumGivesBeta()
    {
        const int n = 1000;
        var io = FusedCases.Inputs(n, 2, 3);
        // x + residual + bias = 1000.5 exactly in float: residual and bias on a grid of 1/8, x the remainder.
        var rng = new Random(1);
        for (int i = 0; i < io.X.Length; i++) io.Residual[i] = rng.Next(-64, 64) / 8.0;
        for (int i = 0; i < n; i++) io.Bias[i] = rng.Next(-64, 64) / 8.0;
        for (int i = 0; i < io.X.Length; i++) io.X[i] = 1000.5 - io.Residual[i] - io.Bias[i % n];
        FusedOutputs gpu = FusedCases.Get("SkipLn").Gpu(Accelerator, io, false);
        for (int i = 0; i < io.X.Length; i++) Assert.Equal((float)io.Beta[i % n], (float)gpu.Y[i]);
        Assert.All(gpu.ResidualOut!, v => Assert.Equal(1000.5, v));
    }

    [Fact]
    public void BadViewLengthsAndOverlapsThrowNamingTheParameter()
    {
        const int n = 17, rows = 4;
        using var x = Accelerator.Allocate1D<float>(n * rows);
        using var r = Accelerator.Allocate1D<float>(n * rows);
        using var y = Accelerator.Allocate1D<float>(n * rows);
        using var ro = Accelerator.Allocate1D<float>(n * rows);
        using var g = Accelerator.Allocate1D<float>(n);
        using var stats = Accelerator.Allocate1D<float>(rows);
        using var hx = Accelerator.Allocate1D<Half>(n * rows);
        using var hro = Accelerator.Allocate1D<Half>(n * rows);
        using var hg = Accelerator.Allocate1D<Half>(n);
        using var hy = Accelerator.Allocate1D<Half>(768 * 2);
        using var x768 = Accelerator.Allocate1D<float>(768 * 2);
        using var g768 = Accelerator.Allocate1D<float>(768);

        string Param(Action call) => Assert.Throws<ArgumentException>(call).ParamName!;

        Assert.Equal("residual", Param(() => FusedGpuKernels.AddRms(Accelerator, x.View, r.View.SubView(0, n), g.View, y.View, ro.View, n)));
        Assert.Equal("y", Param(() => FusedGpuKernels.AddRms(Accelerator, x.View, r.View, g.View, y.View.SubView(0, n), ro.View, n)));
        Assert.Equal("residualOut", Param(() => FusedGpuKernels.AddRms(Accelerator, x.View, r.View, g.View, y.View, ro.View.SubView(0, n * 2), n)));
        Assert.Equal("weight", Param(() => FusedGpuKernels.AddRms(Accelerator, x.View, r.View, g.View.SubView(0, 3), y.View, ro.View, n)));
        Assert.Equal("bias", Param(() => FusedGpuKernels.SkipLn(Accelerator, x.View, n, r.View, g.View.SubView(0, 16), g.View, g.View, y.View, ro.View)));
        Assert.Equal("sublayer", Param(() => FusedGpuKernels.Deep(Accelerator, x.View, r.View.SubView(1, n), g.View, g.View, y.View, n)));
        Assert.Equal("rstd", Param(() => FusedGpuKernels.HalfAddRms(Accelerator, hx.View, hx.View, hg.View, y.View, hro.View, stats.View.SubView(0, 3), n)));
        Assert.Equal("residualOut", Param(() => FusedGpuKernels.HalfAddRms(Accelerator, hx.View, hx.View, hg.View, y.View, hro.View.SubView(0, n), stats.View, n)));
        Assert.Equal("mean", Param(() => FusedGpuKernels.LnGeluHalfOut(Accelerator, x768.View, g768.View, g768.View, hy.View, stats.View.SubView(0, 1), stats.View.SubView(0, 2))));
        Assert.Equal("rstd", Param(() => FusedGpuKernels.LnGeluHalfOut(Accelerator, x768.View, g768.View, g768.View, hy.View, stats.View.SubView(0, 2), stats.View)));
        Assert.Equal("y", Param(() => FusedGpuKernels.LnGeluHalfOut(Accelerator, x768.View, g768.View, g768.View, hy.View.SubView(0, 768), stats.View.SubView(0, 2), stats.View.SubView(2, 2))));

        // y and residualOut are both written: the same view is refused too.
        Assert.Equal("residualOut", Param(() => FusedGpuKernels.AddRms(Accelerator, x.View, r.View, g.View, y.View, y.View, n)));
        // A shifted overlap of the residual stream is refused; the same view (in place) is not.
        Assert.Equal("residualOut", Param(() => FusedGpuKernels.AddRms(Accelerator, x.View.SubView(0, n * 2), r.View.SubView(0, n * 2), g.View, y.View.SubView(0, n * 2), r.View.SubView(1, n * 2), n)));
        Assert.Equal("y", Param(() => FusedGpuKernels.AddRms(Accelerator, x.View.SubView(0, n * 2), r.View.SubView(0, n * 2), g.View, r.View.SubView(n, n * 2), ro.View.SubView(0, n * 2), n)));
        FusedGpuKernels.AddRms(Accelerator, x.View, r.View, g.View, y.View, r.View, n);
        Accelerator.Synchronize();
        Assert.Throws<ArgumentOutOfRangeException>(() => FusedGpuKernels.AddRms(Accelerator, x.View, r.View, g.View, y.View, ro.View, 0));
    }
    /// <summary>
    /// Outputs over γ, β, the bias, x or each other are refused before the launch, the exact in-place aliases are not:
    /// every view is a slice of one sentinel-filled buffer, which is unchanged afterwards.
    /// </summary>
    [Fact]
    public void OutputsOverlappingReadOnlyInputsAreRefusedBeforeTheLaunch()
    {
        const int n = 16, rows = 4, size = 8192;
        const float sentinel = -12345.5f;
        using var buffer = Accelerator.Allocate1D<float>(size);
        using var bn = Accelerator.Allocate1D<float>(256);
        var b = buffer.View;
        ArrayView<float> V(int start, int length) => b.SubView(start, length);
        void Refused(string param, Action call)
        {
            buffer.CopyFromCPU(Enumerable.Repeat(sentinel, size).ToArray());
            var e = Assert.Throws<ArgumentException>(call);
            Assert.Equal(param, e.ParamName);
            Assert.Contains("overlaps", e.Message);
            Accelerator.Synchronize();
            Assert.All(buffer.GetAsArray1D(), v => Assert.Equal(sentinel, v));
        }

        Refused("y", () => FusedGpuKernels.AddRms(Accelerator, V(1000, n * rows), V(2000, n * rows), V(8, n), V(0, n * rows), V(3000, n * rows), n));
        Refused("y", () => FusedGpuKernels.Deep(Accelerator, V(1000, n * rows), V(2000, n * rows), V(3000, n), V(0, n), V(0, n * rows), n));
        Refused("residualOut", () => FusedGpuKernels.SkipLn(Accelerator, V(1000, n * rows), n, V(2000, n * rows), V(40, n), V(3000, n), V(3100, n), V(4000, n * rows), V(0, n * rows)));
        Refused("mean", () => FusedGpuKernels.LnGeluHalfOut(Accelerator, V(0, 1536), V(2000, 768), V(3000, 768), V(4000, 768).Cast<Half>(), V(100, 2), V(5000, 2)));
        Refused("rstd", () => FusedGpuKernels.HalfAddRms(Accelerator, V(1000, n * rows / 2).Cast<Half>(), V(2000, n * rows / 2).Cast<Half>(), V(3000, n / 2).Cast<Half>(), V(0, n * rows), V(4000, n * rows / 2).Cast<Half>(), V(60, rows), n));
        Refused("y", () => BatchNormGpuKernels.BnEval(Accelerator, V(1000, 2 * 3 * 4), V(2000, 3), V(2100, 3), V(4, 3), V(2200, 3), V(0, 2 * 3 * 4), 4));

        // The supported exact aliases still run: y = x, residualOut = residual.
        FusedGpuKernels.AddRms(Accelerator, bn.View.SubView(0, 64), bn.View.SubView(64, 64), bn.View.SubView(128, n), bn.View.SubView(0, 64), bn.View.SubView(64, 64), n);
        Accelerator.Synchronize();
    }
}
