using System;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Gpu.Tests;

/// <summary>One CUDA accelerator when the machine has one; otherwise the reason it has none, for the skip message.</summary>
public sealed class CudaFixture : IDisposable
{
    public CudaFixture()
    {
        try
        {
            Context = Context.Create(builder => builder.Cuda());
            if (Context.GetCudaDevices().Count == 0)
                SkipReason = "No CUDA device is present (ILGPU found no CUDA driver or GPU), so the CUDA tests are skipped; the same kernels run on ILGPU's CPU accelerator in CpuAcceleratorTests.";
            else
                Accelerator = Context.CreateCudaAccelerator(0);
        }
        catch (Exception e)
        {
            SkipReason = $"CUDA could not be initialised ({e.GetType().Name}: {e.Message}), so the CUDA tests are skipped.";
        }
    }

    public Context? Context { get; }

    public Accelerator? Accelerator { get; }

    public string? SkipReason { get; }

    public void Dispose()
    {
        Accelerator?.Dispose();
        Context?.Dispose();
    }
}

/// <summary>
/// The GPU variants on a real CUDA device, at sizes the CPU accelerator cannot afford, against the CPU kernel and the
/// double reference. Skipped, with the reason shown, when no CUDA device is present.
/// </summary>
public sealed class CudaTests(CudaFixture fixture, ITestOutputHelper output) : IClassFixture<CudaFixture>
{
    private Accelerator Cuda
    {
        get
        {
            Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
            output.WriteLine(fixture.Accelerator!.Name);
            return fixture.Accelerator!;
        }
    }

    [SkippableTheory]
    [InlineData("Ln768", 768, 16384)]
    [InlineData("Ln4099", 4099, 1000)]
    [InlineData("LnDyn", 1, 70000)]
    [InlineData("LnDyn", 17, 70000)]
    [InlineData("LnDynScale", 1025, 3000)]
    [InlineData("LnDynScale", 65536, 8)]
    [InlineData("LnTensor", 4096, 512)]
    [InlineData("Rms1000", 1000, 4096)]
    [InlineData("RmsDyn", 16384, 256)]
    [InlineData("RmsDyn", 3, 100000)]
    public void FloatMatchesCpuAndReference(string name, int rowLength, int rows)
    {
        Accelerator cuda = Cuda;
        float[] x = Reference.Floats(rows * rowLength, rowLength, 3, 0.75);
        var (g, b) = Runner.FloatParameters(rowLength, rowLength);
        var e = Runner.Run(cuda, Cases.FloatCase(name), x, g, b, rowLength, inPlace: false, Reference.Widen);
        output.WriteLine($"{name} n={rowLength} rows={rows}: vs reference {e.VersusReference:E2}, vs CPU {e.VersusCpu:E2}");
        Assert.True(e.VersusReference < 2e-5 && e.VersusCpu < 2e-5, $"{e.VersusReference} {e.VersusCpu}");
    }

    [SkippableTheory]
    [InlineData(17, 70000)]
    [InlineData(4099, 500)]
    public void DoubleAndInPlace(int rowLength, int rows)
    {
        Accelerator cuda = Cuda;
        double[] x = Reference.Doubles(rows * rowLength, 1, 3, 0.75);
        double[] g = Reference.Doubles(rowLength, 2, 0.5, 1), b = Reference.Doubles(rowLength, 3, 0.5);
        var e = Runner.Run(cuda, Cases.DoubleCase("LnDynDouble"), x, g, b, rowLength, inPlace: true, v => v);
        Assert.True(e.VersusReference < 1e-12 && e.VersusCpu < 1e-12, $"{e.VersusReference} {e.VersusCpu}");
    }

    [SkippableTheory]
    [InlineData("RmsHalf2048", 2048, 4096)]
    [InlineData("LnHalfDyn", 4099, 300)]
    [InlineData("LnHalfDyn", 768, 5000)]
    public void Half(string name, int rowLength, int rows)
    {
        Accelerator cuda = Cuda;
        System.Half[] x = Array.ConvertAll(Reference.Floats(rows * rowLength, 4, 3, 0.75), v => (System.Half)v);
        var (gf, bf) = Runner.FloatParameters(rowLength, 4);
        var e = Runner.Run(cuda, Cases.HalfCase(name), x, Array.ConvertAll(gf, v => (System.Half)v), Array.ConvertAll(bf, v => (System.Half)v), rowLength, inPlace: false, Reference.Widen);
        Assert.True(e.VersusReference < 2e-3 && e.VersusCpu < 2e-3, $"{e.VersusReference} {e.VersusCpu}");
    }

    /// <summary>Every fused variant at sizes the CPU accelerator cannot afford; the residual stream in place for the residual forms.</summary>
    [SkippableTheory]
    [InlineData("AddRms", 4096, 4096)]
    [InlineData("AddRms", 17, 70000)]
    [InlineData("AddRms4096", 4096, 2048)]
    [InlineData("SkipLn", 768, 8192)]
    [InlineData("SkipLn", 16384, 64)]
    [InlineData("Deep", 1024, 4096)]
    [InlineData("DeepDouble", 4099, 300)]
    [InlineData("LnRelu", 1000, 2000)]
    [InlineData("LnGelu", 1000, 2000)]
    [InlineData("LnGeluTanh", 1025, 2000)]
    [InlineData("RmsSilu", 8192, 256)]
    [InlineData("LnGeluHalfOut", 768, 8192)]
    [InlineData("HalfAddRms", 4096, 1024)]
    [InlineData("GemmaRms", 2048, 2048)]
    [InlineData("LnZcStats", 3, 100000)]
    public void Fused(string name, int rowLength, int rows)
    {
        Accelerator cuda = Cuda;
        FusedCase c = FusedCases.Get(name);
        FusedRunner.Check(cuda, c, rowLength, rows, inPlace: c.Spec.HasResidualOut, seed: 3, output.WriteLine);
    }
}
