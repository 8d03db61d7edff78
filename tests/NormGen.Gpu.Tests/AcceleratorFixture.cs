using System;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace NormGen.Gpu.Tests;

/// <summary>
/// One ILGPU context and CPU accelerator for all CPU-accelerator tests, so each generated kernel compiles once per run
/// (the generated cache is per accelerator). The default CPU device emulates 4-lane warps and 16-thread groups, so
/// the group-per-row kernel runs with 4 warps and its shared-memory step is exercised. With the environment variable
/// <c>NORMGEN_GPU_TESTS_DEVICE=cuda</c> the same tests run on the first CUDA device instead (tests/NormGen.Gpu.DeviceRun
/// does that on a GPU machine without the SDK); CI never sets it.
/// </summary>
public sealed class CpuAcceleratorFixture : IDisposable
{
    public CpuAcceleratorFixture()
    {
        if (Environment.GetEnvironmentVariable("NORMGEN_GPU_TESTS_DEVICE") == "cuda")
        {
            Context = Context.Create(builder => builder.Cuda());
            Accelerator = Context.CreateCudaAccelerator(0);
            return;
        }
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
