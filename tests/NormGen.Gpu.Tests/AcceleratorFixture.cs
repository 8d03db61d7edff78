using System;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Xunit;

namespace NormGen.Gpu.Tests;

/// <summary>
/// One ILGPU context and CPU accelerator for all CPU-accelerator tests, so each generated kernel compiles once per run
/// (the generated cache is per accelerator). The default CPU device emulates 4-lane warps and 16-thread groups, so
/// the group-per-row kernel runs with 4 warps and its shared-memory step is exercised.
/// </summary>
public sealed class CpuAcceleratorFixture : IDisposable
{
    public CpuAcceleratorFixture()
    {
        Context = Context.Create(builder => builder.CPU(CPUDevice.GetDevice(CPUDeviceKind.Default)));
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

[CollectionDefinition(Name)]
public sealed class CpuAcceleratorCollection : ICollectionFixture<CpuAcceleratorFixture>
{
    public const string Name = "ILGPU CPU accelerator";
}

/// <summary>Uploads, runs and downloads around a generated GPU call.</summary>
internal static class Device
{
    public static MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(Accelerator accelerator, T[] values) where T : unmanaged
        => accelerator.Allocate1D(values);

    public static T[] Download<T>(Accelerator accelerator, MemoryBuffer1D<T, Stride1D.Dense> buffer) where T : unmanaged
    {
        accelerator.Synchronize();
        return buffer.GetAsArray1D();
    }
}
