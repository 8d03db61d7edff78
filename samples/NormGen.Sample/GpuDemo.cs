using System;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace NormGen.Sample;

/// <summary>
/// The same declarations on an ILGPU accelerator: a CUDA GPU when one is present, otherwise ILGPU's CPU accelerator
/// (which runs each GPU thread as a CPU thread: correct, slow, so the batch here is small). The GPU results are
/// compared with the CPU kernels'.
/// </summary>
public static class GpuDemo
{
    private const int Hidden = 768, Tokens = 32;

    public static void Run()
    {
        Console.WriteLine("GPU: the project references ILGPU, so NormGen also wrote GPU overloads of the same kernels (Accelerator first, ArrayView<T> for the spans).");
        (Context context, Accelerator accelerator) = Open();
        using (context)
        using (accelerator)
        {
            Console.WriteLine($"  Device: {accelerator.Name} ({accelerator.AcceleratorType}{(accelerator.AcceleratorType == AcceleratorType.CPU ? ": no CUDA device found, ILGPU's CPU accelerator stands in" : "")}).");

            float[] x = Data.Activations(Hidden, Means(), Scales(), seed: 11);
            float[] residual = Data.Activations(Hidden, Means(), Scales(), seed: 12);
            float[] gamma = Data.Filled(Hidden, 1.5f), beta = Data.Filled(Hidden, 0.25f), weight = Data.Filled(Hidden, 0.5f);

            using var xs = accelerator.Allocate1D(x);
            using var residuals = accelerator.Allocate1D(residual);
            using var gammas = accelerator.Allocate1D(gamma);
            using var betas = accelerator.Allocate1D(beta);
            using var weights = accelerator.Allocate1D(weight);
            using var ys = accelerator.Allocate1D<float>(x.Length);

            // LayerNorm: the call is enqueued; Synchronize waits for it (the first call also compiles the kernel).
            Kernels.LayerNorm768(accelerator, xs.View, gammas.View, betas.View, ys.View);
            accelerator.Synchronize();
            float[] cpu = new float[x.Length];
            Kernels.LayerNorm768(x, gamma, beta, cpu);
            Console.WriteLine($"  LayerNorm768 on {Tokens} tokens: max |GPU − CPU| = {MaxAbsDifference(ys.GetAsArray1D(), cpu):0.0E+0}");

            // Residual RMSNorm, the residual stream updated in place (residualOut is the residual view itself).
            float[] cpuY = new float[x.Length], cpuStream = new float[x.Length];
            Kernels.AddRmsNorm768(x, residual, weight, cpuY, cpuStream);
            Kernels.AddRmsNorm768(accelerator, xs.View, residuals.View, weights.View, ys.View, residuals.View);
            accelerator.Synchronize();
            Console.WriteLine($"  AddRmsNorm768 (h = x + residual in place, y = RMSNorm(h)·weight): max |GPU − CPU| = {MaxAbsDifference(ys.GetAsArray1D(), cpuY):0.0E+0} for y, {MaxAbsDifference(residuals.GetAsArray1D(), cpuStream):0.0E+0} for the residual stream");
        }
        Console.WriteLine();
    }

    /// <summary>CUDA when a device is there, else the CPU accelerator. A machine without the CUDA driver simply has no CUDA devices.</summary>
    private static (Context, Accelerator) Open()
    {
        try
        {
            Context cuda = Context.Create(builder => builder.Cuda().CPU());
            if (cuda.GetCudaDevices().Count > 0) return (cuda, cuda.CreateCudaAccelerator(0));
            return (cuda, cuda.CreateCPUAccelerator(0));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.WriteLine($"  (CUDA could not be initialised: {e.GetType().Name}; using ILGPU's CPU accelerator.)");
            Context cpu = Context.Create(builder => builder.CPU());
            return (cpu, cpu.CreateCPUAccelerator(0));
        }
    }

    private static double[] Means()
    {
        var means = new double[Tokens];
        for (int i = 0; i < Tokens; i++) means[i] = (i % 7 - 3) * 0.5;
        return means;
    }

    private static double[] Scales()
    {
        var scales = new double[Tokens];
        for (int i = 0; i < Tokens; i++) scales[i] = 0.5 + i % 5;
        return scales;
    }

    private static double MaxAbsDifference(float[] a, float[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        return max;
    }
}
