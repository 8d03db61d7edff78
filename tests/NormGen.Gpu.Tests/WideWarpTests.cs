using System;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Xunit;

namespace NormGen.Gpu.Tests;

/// <summary>A CPU accelerator that emulates 16-lane warps and 128-thread groups (ILGPU's "Intel" CPU device).</summary>
public sealed class WideWarpFixture : IDisposable
{
    public WideWarpFixture()
    {
        Context = Context.Create(builder => builder.CPU(CPUDevice.GetDevice(CPUDeviceKind.Intel)));
        Accelerator = Context.CreateCPUAccelerator(0);
    }

    public Context Context { get; }

    public Accelerator Accelerator { get; }

    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}

/// <summary>
/// A few cases again with wider warps and groups: the xor-butterfly over 16 lanes and a group-per-row reduction
/// across 8+ warps (the default CPU device has 4-lane warps and 4 warps per group).
/// </summary>
public sealed class WideWarpTests(WideWarpFixture fixture) : IClassFixture<WideWarpFixture>
{
    [Theory]
    [InlineData("LnDyn", 17, 40)]
    [InlineData("LnDynScale", 4099, 3)]
    [InlineData("Ln4099", 4099, 2)]
    [InlineData("RmsDyn", 1000, 5)]
    [InlineData("RmsDyn", 1025, 3)]
    public void FloatMatchesCpuAndReference(string name, int rowLength, int rows)
    {
        float[] x = Reference.Floats(rows * rowLength, rowLength, 3, 0.75);
        var (g, b) = Runner.FloatParameters(rowLength, rowLength);
        var e = Runner.Run(fixture.Accelerator, Cases.FloatCase(name), x, g, b, rowLength, inPlace: false, Reference.Widen);
        Assert.True(e.VersusReference < 2e-5 && e.VersusCpu < 2e-5, $"{e.VersusReference} {e.VersusCpu}");
    }

    /// <summary>Fused variants with 16-lane warps and groups of 8+ warps: the statistics written by the group's first thread, the residual stream in place.</summary>
    [Theory]
    [InlineData("AddRms", 4099, 3, true)]
    [InlineData("SkipLn", 1025, 3, false)]
    [InlineData("HalfAddRms", 17, 40, true)]
    [InlineData("LnZcStats", 4099, 2, false)]
    [InlineData("LnGeluHalfOut", 768, 5, false)]
    public void FusedMatchesCpuAndReference(string name, int rowLength, int rows, bool inPlace) =>
        FusedRunner.Check(fixture.Accelerator, FusedCases.Get(name), rowLength, rows, inPlace, seed: 21, _ => { });
}
