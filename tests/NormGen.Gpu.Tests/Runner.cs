using System;
using ILGPU;
using ILGPU.Runtime;

namespace NormGen.Gpu.Tests;

/// <summary>Runs one case on both targets and measures the GPU result against the CPU kernel and the double reference.</summary>
internal static class Runner
{
    public readonly record struct Errors(double VersusReference, double VersusCpu, double[] Gpu);

    public static Errors Run<T>(Accelerator accelerator, Case<T> c, T[] x, T[] gamma, T[] beta, int rowLength, bool inPlace, Func<T[], double[]> widen)
        where T : unmanaged
    {
        var cpu = new T[x.Length];
        c.Cpu(x, gamma, beta, cpu, rowLength);

        using var xBuffer = accelerator.Allocate1D(x);
        using var gBuffer = accelerator.Allocate1D(gamma);
        using var bBuffer = accelerator.Allocate1D(beta);
        using var yBuffer = accelerator.Allocate1D<T>(x.Length);
        ArrayView<T> output = inPlace ? xBuffer.View : yBuffer.View;
        c.Gpu(accelerator, xBuffer.View, gBuffer.View, bBuffer.View, output, rowLength);
        accelerator.Synchronize();
        T[] gpu = inPlace ? xBuffer.GetAsArray1D() : yBuffer.GetAsArray1D();

        double[] expected = Cases.Expected(c.Kind, c.Affine, c.Epsilon, widen(x), rowLength, widen(gamma), widen(beta));
        double[] gpuWide = widen(gpu);
        return new Errors(Reference.MaxError(expected, gpuWide), Reference.MaxError(widen(cpu), gpuWide), gpuWide);
    }

    /// <summary>Gamma near 1 and beta near 0 with some spread, so a swapped or missing parameter shows.</summary>
    public static (float[] Gamma, float[] Beta) FloatParameters(int rowLength, int seed) =>
        (Reference.Floats(rowLength, seed + 1, 0.5, 1), Reference.Floats(rowLength, seed + 2, 0.5));
}
