using System;
using ILGPU.Runtime;
using Xunit;

namespace NormGen.Gpu.Tests;

/// <summary>Runs one fused case on an accelerator and checks every output against the CPU kernel and the double reference.</summary>
internal static class FusedRunner
{
    public static void Check(Accelerator accelerator, FusedCase c, int rowLength, int rows, bool inPlace, int seed, Action<string> log)
    {
        FusedInputs io = FusedCases.Inputs(rowLength, rows, seed);
        FusedOutputs cpu = c.Cpu(io);
        FusedOutputs gpu = c.Gpu(accelerator, io, inPlace);
        FusedOutputs expected = FusedReference.Run(c.Spec, io);

        void Compare(string what, double[]? e, double[]? cpuValues, double[]? gpuValues, double tolerance)
        {
            Assert.Equal(e is null, gpuValues is null);
            if (e is null) return;
            double versusReference = Reference.MaxError(e, gpuValues!);
            double versusCpu = Reference.MaxError(cpuValues!, gpuValues!);
            log($"{c.Name} n={rowLength} rows={rows}{(inPlace ? " in place" : "")} {what}: vs reference {versusReference:E2}, vs CPU {versusCpu:E2}");
            Assert.True(versusReference < tolerance, $"{what} vs reference {versusReference}");
            Assert.True(versusCpu < tolerance, $"{what} vs CPU {versusCpu}");
        }

        Compare("y", expected.Y, cpu.Y, gpu.Y, c.Tolerance);
        // The residual stream is h itself: exact up to the sum's rounding, rounded once more for Half.
        Compare("residualOut", expected.ResidualOut, cpu.ResidualOut, gpu.ResidualOut, c.ResidualOutTolerance);
        // Statistics are float for float and Half inputs, double for double.
        Compare("mean", expected.Mean, cpu.Mean, gpu.Mean, c.Tolerance > 1e-4 ? 2e-5 : c.Tolerance);
        Compare("rstd", expected.Rstd, cpu.Rstd, gpu.Rstd, c.Tolerance > 1e-4 ? 2e-5 : c.Tolerance);
    }
}
