using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using Half = System.Half;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Gpu.Tests;

/// <summary>
/// Every generated GPU variant on ILGPU's CPU accelerator, against the CPU kernel of the same declaration and an
/// independent double-precision reference. Sizes are small: the CPU accelerator runs each GPU thread as a CPU thread.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class CpuAcceleratorTests(CpuAcceleratorFixture fixture, ITestOutputHelper output)
{
    private const double FloatTolerance = 2e-5;
    private const double DoubleTolerance = 1e-12;
    private const double HalfTolerance = 2e-3; // a Half ulp is 2^-10 relative; both sides round once

    private static readonly int[] OddLengths = [1, 3, 17, 1000, 1024, 1025, 4099];

    private Accelerator Accelerator => fixture.Accelerator;

    public static TheoryData<string, int, int> FloatShapes()
    {
        var data = new TheoryData<string, int, int>();
        foreach (Case<float> c in Cases.Float)
        {
            if (c.StaticRowLength > 0)
            {
                data.Add(c.Name, c.StaticRowLength, 1);
                data.Add(c.Name, c.StaticRowLength, 7);
            }
            else
            {
                foreach (int n in OddLengths) data.Add(c.Name, n, n >= 1000 ? 5 : 9);
            }
        }
        return data;
    }

    public static TheoryData<string, int, int> DoubleShapes()
    {
        var data = new TheoryData<string, int, int>();
        foreach (Case<double> c in Cases.Double)
            foreach (int n in OddLengths) data.Add(c.Name, n, n >= 1000 ? 5 : 9);
        return data;
    }

    public static TheoryData<string, int, int> HalfShapes()
    {
        var data = new TheoryData<string, int, int>();
        data.Add("RmsHalf2048", 2048, 3);
        foreach (int n in new[] { 1, 17, 1000, 4099 }) data.Add("LnHalfDyn", n, 3);
        return data;
    }

    [Theory]
    [MemberData(nameof(FloatShapes))]
    public void FloatMatchesCpuAndReference(string name, int rowLength, int rows)
    {
        Case<float> c = Cases.FloatCase(name);
        float[] x = Reference.Floats(rows * rowLength, rowLength + rows, 3, 0.75);
        var (g, b) = Runner.FloatParameters(rowLength, rowLength);
        var e = Runner.Run(Accelerator, c, x, g, b, rowLength, inPlace: false, Reference.Widen);
        output.WriteLine($"{name} n={rowLength} rows={rows}: vs reference {e.VersusReference:E2}, vs CPU {e.VersusCpu:E2}");
        Assert.True(e.VersusReference < FloatTolerance, $"vs reference {e.VersusReference}");
        Assert.True(e.VersusCpu < FloatTolerance, $"vs CPU {e.VersusCpu}");
    }

    [Theory]
    [MemberData(nameof(DoubleShapes))]
    public void DoubleMatchesCpuAndReference(string name, int rowLength, int rows)
    {
        Case<double> c = Cases.DoubleCase(name);
        double[] x = Reference.Doubles(rows * rowLength, rowLength + rows, 3, 0.75);
        double[] g = Reference.Doubles(rowLength, 5, 0.5, 1), b = Reference.Doubles(rowLength, 6, 0.5);
        var e = Runner.Run(Accelerator, c, x, g, b, rowLength, inPlace: false, v => v);
        output.WriteLine($"{name} n={rowLength} rows={rows}: vs reference {e.VersusReference:E2}, vs CPU {e.VersusCpu:E2}");
        Assert.True(e.VersusReference < DoubleTolerance, $"vs reference {e.VersusReference}");
        Assert.True(e.VersusCpu < DoubleTolerance, $"vs CPU {e.VersusCpu}");
    }

    [Theory]
    [MemberData(nameof(HalfShapes))]
    public void HalfMatchesCpuAndReference(string name, int rowLength, int rows)
    {
        Case<Half> c = Cases.HalfCase(name);
        Half[] x = ToHalf(Reference.Floats(rows * rowLength, rowLength, 3, 0.75));
        var (gf, bf) = Runner.FloatParameters(rowLength, rowLength);
        var e = Runner.Run(Accelerator, c, x, ToHalf(gf), ToHalf(bf), rowLength, inPlace: false, Reference.Widen);
        output.WriteLine($"{name} n={rowLength} rows={rows}: vs reference {e.VersusReference:E2}, vs CPU {e.VersusCpu:E2}");
        Assert.True(e.VersusReference < HalfTolerance, $"vs reference {e.VersusReference}");
        Assert.True(e.VersusCpu < HalfTolerance, $"vs CPU {e.VersusCpu}");
    }

    [Theory]
    [InlineData("Ln768", 768, 3)]
    [InlineData("Ln4099", 4099, 2)]
    [InlineData("LnDyn", 17, 5)]
    [InlineData("LnDynScale", 4099, 2)]
    [InlineData("LnTensor", 1000, 3)]
    [InlineData("Rms1000", 1000, 3)]
    [InlineData("RmsDyn", 3, 11)]
    public void InPlaceFloat(string name, int rowLength, int rows)
    {
        Case<float> c = Cases.FloatCase(name);
        float[] x = Reference.Floats(rows * rowLength, 42, 3, 0.75);
        var (g, b) = Runner.FloatParameters(rowLength, 42);
        var e = Runner.Run(Accelerator, c, x, g, b, rowLength, inPlace: true, Reference.Widen);
        Assert.True(e.VersusReference < FloatTolerance, $"vs reference {e.VersusReference}");
        Assert.True(e.VersusCpu < FloatTolerance, $"vs CPU {e.VersusCpu}");
    }

    [Fact]
    public void InPlaceDoubleAndHalf()
    {
        double[] xd = Reference.Doubles(4 * 1025, 9);
        double[] gd = Reference.Doubles(1025, 10, 0.5, 1), bd = Reference.Doubles(1025, 11, 0.5);
        var ed = Runner.Run(Accelerator, Cases.DoubleCase("LnDynDouble"), xd, gd, bd, 1025, inPlace: true, v => v);
        Assert.True(ed.VersusReference < DoubleTolerance && ed.VersusCpu < DoubleTolerance, $"{ed.VersusReference} {ed.VersusCpu}");

        Half[] xh = ToHalf(Reference.Floats(2 * 2048, 12));
        var (g, b) = Runner.FloatParameters(2048, 13);
        var eh = Runner.Run(Accelerator, Cases.HalfCase("RmsHalf2048"), xh, ToHalf(g), ToHalf(b), 2048, inPlace: true, Reference.Widen);
        Assert.True(eh.VersusReference < HalfTolerance && eh.VersusCpu < HalfTolerance, $"{eh.VersusReference} {eh.VersusCpu}");
    }

    /// <summary>More than 2^16 rows: the grid is far smaller than the row count, so the grid-stride loop does the work.</summary>
    [Theory]
    [InlineData("LnDyn", 3)]
    [InlineData("RmsDyn", 1)]
    [InlineData("LnTensor", 2)]
    public void ManyRows(string name, int rowLength)
    {
        const int rows = 65537;
        Case<float> c = Cases.FloatCase(name);
        float[] x = Reference.Floats(rows * rowLength, 7, 3, 0.75);
        var (g, b) = Runner.FloatParameters(rowLength, 7);
        var e = Runner.Run(Accelerator, c, x, g, b, rowLength, inPlace: false, Reference.Widen);
        Assert.True(e.VersusReference < FloatTolerance, $"vs reference {e.VersusReference}");
        Assert.True(e.VersusCpu < FloatTolerance, $"vs CPU {e.VersusCpu}");
    }

    /// <summary>Rows longer than the warp kernel's limit and more rows than the grid: the group kernel's grid-stride loop.</summary>
    [Fact]
    public void ManyLongRowsUseTheGroupKernelsGridStride()
    {
        Case<float> c = Cases.FloatCase("RmsDyn");
        const int rowLength = 1100, rows = 40;
        float[] x = Reference.Floats(rows * rowLength, 8);
        var (g, b) = Runner.FloatParameters(rowLength, 8);
        var e = Runner.Run(Accelerator, c, x, g, b, rowLength, inPlace: false, Reference.Widen);
        Assert.True(e.VersusReference < FloatTolerance && e.VersusCpu < FloatTolerance, $"{e.VersusReference} {e.VersusCpu}");
    }

    /// <summary>A constant row gives exactly β, and a row with a large mean keeps its precision (the shifted mean).</summary>
    [Fact]
    public void ConstantRowGivesBetaAndLargeMeanKeepsPrecision()
    {
        const int n = 768;
        var x = new float[2 * n];
        Array.Fill(x, 1000.5f, 0, n);
        float[] noise = Reference.Floats(n, 3, 1, 10000);
        noise.CopyTo(x, n);
        var (g, b) = Runner.FloatParameters(n, 3);
        var e = Runner.Run(Accelerator, Cases.FloatCase("Ln768"), x, g, b, n, inPlace: false, Reference.Widen);
        for (int i = 0; i < n; i++) Assert.Equal(b[i], (float)e.Gpu[i]);
        Assert.True(e.VersusReference < 1e-3, $"vs reference {e.VersusReference}"); // 1e4 ± 1 in float: inputs carry 1e-3 relative noise
        Assert.True(e.VersusCpu < FloatTolerance, $"vs CPU {e.VersusCpu}");
    }

    [Fact]
    public void RowLength65536()
    {
        const int n = 65536;
        float[] x = Reference.Floats(n, 4, 3, 0.75);
        var (g, b) = Runner.FloatParameters(n, 4);
        var e = Runner.Run(Accelerator, Cases.FloatCase("LnDynScale"), x, g, b, n, inPlace: false, Reference.Widen);
        Assert.True(e.VersusReference < FloatTolerance && e.VersusCpu < FloatTolerance, $"{e.VersusReference} {e.VersusCpu}");
    }

    [Fact]
    public void StreamOverloadMatchesAcceleratorOverloadBitwise()
    {
        const int n = 1000, rows = 3;
        float[] x = Reference.Floats(n * rows, 5);
        var (g, _) = Runner.FloatParameters(n, 5);
        using var xs = Accelerator.Allocate1D(x);
        using var gs = Accelerator.Allocate1D(g);
        using var y1 = Accelerator.Allocate1D<float>(x.Length);
        using var y2 = Accelerator.Allocate1D<float>(x.Length);
        using AcceleratorStream stream = Accelerator.CreateStream();
        GpuKernels.Rms1000(Accelerator, xs.View, gs.View, y1.View);
        GpuKernels.Rms1000(stream, xs.View, gs.View, y2.View);
        stream.Synchronize();
        Accelerator.Synchronize();
        Assert.Equal(y1.GetAsArray1D(), y2.GetAsArray1D());
    }

    [Fact]
    public void EmptyViewsEnqueueNothing()
    {
        using var empty = Accelerator.Allocate1D<float>(0);
        using var g = Accelerator.Allocate1D<float>(768);
        GpuKernels.Ln768(Accelerator, empty.View, g.View, g.View, empty.View);
        GpuKernels.LnDyn(Accelerator, ArrayView<float>.Empty, ArrayView<float>.Empty, 5);
        Accelerator.Synchronize();
    }

    [Fact]
    public void BadViewLengthsThrowNamingTheParameter()
    {
        using var x = Accelerator.Allocate1D<float>(768 * 2);
        using var y = Accelerator.Allocate1D<float>(768 * 2);
        using var g = Accelerator.Allocate1D<float>(768);
        using var shortBuffer = Accelerator.Allocate1D<float>(767);
        using var d = Accelerator.Allocate1D<double>(10);
        using var h = Accelerator.Allocate1D<Half>(2048);

        Assert.Equal("x", Assert.Throws<ArgumentException>(() => GpuKernels.Ln768(Accelerator, shortBuffer.View, g.View, g.View, y.View)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => GpuKernels.Ln768(Accelerator, x.View, g.View, g.View, y.View.SubView(0, 768))).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentException>(() => GpuKernels.Ln768(Accelerator, x.View, shortBuffer.View, g.View, y.View)).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentException>(() => GpuKernels.Ln768(Accelerator, x.View, g.View, shortBuffer.View, y.View)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => GpuKernels.RmsDyn(Accelerator, x.View, g.View, y.View, 384)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => GpuKernels.LnDyn(Accelerator, x.View, y.View, 1000)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => GpuKernels.LnDyn(Accelerator, x.View, y.View, 0)).ParamName);
        Assert.Equal("rowLength", Assert.Throws<ArgumentOutOfRangeException>(() => GpuKernels.LnTensor(Accelerator, x.View, g.View, g.View, y.View, -1)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentException>(() => GpuKernels.LnDynDouble(Accelerator, d.View.SubView(0, 9), d.View, d.View.SubView(0, 3), d.View.SubView(0, 9), 3)).ParamName);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => GpuKernels.LnDynDouble(Accelerator, d.View, d.View, d.View, d.View, 0)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => GpuKernels.RmsHalf2048(Accelerator, h.View, h.View, h.View.SubView(0, 1024))).ParamName);
        // A shifted overlap of x and y is refused; the same view (in place) is not.
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => GpuKernels.LnDyn(Accelerator, x.View.SubView(0, 768), x.View.SubView(1, 768), 768)).ParamName);
        Assert.Throws<ArgumentNullException>(() => GpuKernels.LnDyn((Accelerator)null!, x.View, y.View, 768));
        Assert.Throws<ArgumentNullException>(() => GpuKernels.LnDyn((AcceleratorStream)null!, x.View, y.View, 768));
    }

    private static Half[] ToHalf(float[] values) => values.Select(v => (Half)v).ToArray();
}
