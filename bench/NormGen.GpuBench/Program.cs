using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Half = System.Half;

namespace NormGen.GpuBench;

/// <summary>
/// Forward LayerNorm, RMSNorm and the pre-norm residual RMSNorm (x + residual → residualOut, y) through NormGen's
/// generated ILGPU overloads on the best accelerator present, at rows × hidden = 16384 × {768, 1024, 4096, 8192, 16384},
/// float and Half. Prints effective GB/s counting every tensor moved once (x and y; for the residual form also residual
/// and residualOut; parameters once) next to the device's copy bandwidth measured in the same run (ArrayView.CopyTo).
/// Usage: NormGen.GpuBench [--quick] [--cpu] [--rows N] [--iterations N]
///   --quick   tiny shapes on ILGPU's CPU accelerator (a smoke test of the whole program, not a measurement)
///   --cpu     force ILGPU's CPU accelerator
/// </summary>
internal static class Program
{
    private static readonly int[] Hidden = [768, 1024, 4096, 8192, 16384];

    private delegate void Launch<T>(AcceleratorStream stream, ArrayView<T> x, ArrayView<T> residual, ArrayView<T> gamma, ArrayView<T> beta, ArrayView<T> y, ArrayView<T> residualOut) where T : unmanaged;

    /// <summary>One benchmarked kernel; <paramref name="Tensors"/> counts the row-sized tensors it moves (2, or 4 with the residual stream).</summary>
    private sealed record Case<T>(string Kind, int Hidden, int Parameters, int Tensors, Launch<T> Run) where T : unmanaged;

    private readonly record struct Result(double Seconds, double MaxError);

    public static int Main(string[] args)
    {
        bool quick = args.Contains("--quick");
        bool forceCpu = quick || args.Contains("--cpu");
        int rows = Option(args, "--rows", quick ? 4 : 16384);
        int iterations = Option(args, "--iterations", quick ? 2 : 50);
        int warmup = quick ? 1 : 5;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

        using Context context = Context.Create(builder => (forceCpu ? builder.CPU() : builder.Default()).Optimize(OptimizationLevel.O2));
        Device device = forceCpu
            ? context.GetCPUDevice(0)
            : context.GetPreferredDevice(preferCPU: false);
        using Accelerator accelerator = device.CreateAccelerator(context);
        using AcceleratorStream stream = accelerator.CreateStream();
        Console.WriteLine($"NormGen GPU benchmark: {accelerator.Name} ({accelerator.AcceleratorType}), {accelerator.MemorySize / (1 << 20)} MiB, warp {accelerator.WarpSize}, {accelerator.NumMultiprocessors} multiprocessors");
        Console.WriteLine($"rows = {rows}, {warmup} warm-up + {iterations} timed launches per shape (Stopwatch around stream.Synchronize){(quick ? ", --quick: CPU accelerator smoke test, numbers mean nothing" : "")}");

        double copy = CopyBandwidth(accelerator, stream, (long)rows * Hidden[^1] * sizeof(float), warmup, iterations);
        Console.WriteLine($"device copy bandwidth (read + write, {rows} x {Hidden[^1]} floats): {copy:F1} GB/s");
        Console.WriteLine();
        Console.WriteLine($"{"kernel",-11} {"dtype",-6} {"rows",7} {"hidden",7} {"time (us)",11} {"GB/s",9} {"% of copy",10} {"max err",10}");

        foreach (int hidden in Hidden)
        {
            foreach (var c in FloatCases(hidden)) Report(c.Kind, "float", rows, hidden, Measure(accelerator, stream, c, rows, warmup, iterations, i => (float)Pattern(i)), sizeof(float), c.Parameters, c.Tensors, copy);
            foreach (var c in HalfCases(hidden)) Report(c.Kind, "half", rows, hidden, Measure(accelerator, stream, c, rows, warmup, iterations, i => (Half)Pattern(i)), 2, c.Parameters, c.Tensors, copy);
        }
        return 0;
    }

    private static IEnumerable<Case<float>> FloatCases(int hidden) => hidden switch
    {
        768 =>
        [
            new("LayerNorm", hidden, 2, 2, (s, x, r, g, b, y, ro) => BenchKernels.LayerNorm768F32(s, x, g, b, y)),
            new("RMSNorm", hidden, 1, 2, (s, x, r, g, b, y, ro) => BenchKernels.RmsNorm768F32(s, x, g, y)),
            new("AddRMSNorm", hidden, 1, 4, (s, x, r, g, b, y, ro) => BenchKernels.AddRmsNorm768F32(s, x, r, g, y, ro)),
        ],
        1024 =>
        [
            new("LayerNorm", hidden, 2, 2, (s, x, r, g, b, y, ro) => BenchKernels.LayerNorm1024F32(s, x, g, b, y)),
            new("RMSNorm", hidden, 1, 2, (s, x, r, g, b, y, ro) => BenchKernels.RmsNorm1024F32(s, x, g, y)),
            new("AddRMSNorm", hidden, 1, 4, (s, x, r, g, b, y, ro) => BenchKernels.AddRmsNorm1024F32(s, x, r, g, y, ro)),
        ],
        4096 =>
        [
            new("LayerNorm", hidden, 2, 2, (s, x, r, g, b, y, ro) => BenchKernels.LayerNorm4096F32(s, x, g, b, y)),
            new("RMSNorm", hidden, 1, 2, (s, x, r, g, b, y, ro) => BenchKernels.RmsNorm4096F32(s, x, g, y)),
            new("AddRMSNorm", hidden, 1, 4, (s, x, r, g, b, y, ro) => BenchKernels.AddRmsNorm4096F32(s, x, r, g, y, ro)),
        ],
        8192 =>
        [
            new("LayerNorm", hidden, 2, 2, (s, x, r, g, b, y, ro) => BenchKernels.LayerNorm8192F32(s, x, g, b, y)),
            new("RMSNorm", hidden, 1, 2, (s, x, r, g, b, y, ro) => BenchKernels.RmsNorm8192F32(s, x, g, y)),
            new("AddRMSNorm", hidden, 1, 4, (s, x, r, g, b, y, ro) => BenchKernels.AddRmsNorm8192F32(s, x, r, g, y, ro)),
        ],
        _ =>
        [
            new("LayerNorm", hidden, 2, 2, (s, x, r, g, b, y, ro) => BenchKernels.LayerNorm16384F32(s, x, g, b, y)),
            new("RMSNorm", hidden, 1, 2, (s, x, r, g, b, y, ro) => BenchKernels.RmsNorm16384F32(s, x, g, y)),
            new("AddRMSNorm", hidden, 1, 4, (s, x, r, g, b, y, ro) => BenchKernels.AddRmsNorm16384F32(s, x, r, g, y, ro)),
        ],
    };

    private static IEnumerable<Case<Half>> HalfCases(int hidden) => hidden switch
    {
        768 =>
        [
            new("LayerNorm", hidden, 2, 2, (s, x, r, g, b, y, ro) => BenchKernels.LayerNorm768F16(s, x, g, b, y)),
            new("RMSNorm", hidden, 1, 2, (s, x, r, g, b, y, ro) => BenchKernels.RmsNorm768F16(s, x, g, y)),
            new("AddRMSNorm", hidden, 1, 4, (s, x, r, g, b, y, ro) => BenchKernels.AddRmsNorm768F16(s, x, r, g, y, ro)),
        ],
        1024 =>
        [
            new("LayerNorm", hidden, 2, 2, (s, x, r, g, b, y, ro) => BenchKernels.LayerNorm1024F16(s, x, g, b, y)),
            new("RMSNorm", hidden, 1, 2, (s, x, r, g, b, y, ro) => BenchKernels.RmsNorm1024F16(s, x, g, y)),
            new("AddRMSNorm", hidden, 1, 4, (s, x, r, g, b, y, ro) => BenchKernels.AddRmsNorm1024F16(s, x, r, g, y, ro)),
        ],
        4096 =>
        [
            new("LayerNorm", hidden, 2, 2, (s, x, r, g, b, y, ro) => BenchKernels.LayerNorm4096F16(s, x, g, b, y)),
            new("RMSNorm", hidden, 1, 2, (s, x, r, g, b, y, ro) => BenchKernels.RmsNorm4096F16(s, x, g, y)),
            new("AddRMSNorm", hidden, 1, 4, (s, x, r, g, b, y, ro) => BenchKernels.AddRmsNorm4096F16(s, x, r, g, y, ro)),
        ],
        8192 =>
        [
            new("LayerNorm", hidden, 2, 2, (s, x, r, g, b, y, ro) => BenchKernels.LayerNorm8192F16(s, x, g, b, y)),
            new("RMSNorm", hidden, 1, 2, (s, x, r, g, b, y, ro) => BenchKernels.RmsNorm8192F16(s, x, g, y)),
            new("AddRMSNorm", hidden, 1, 4, (s, x, r, g, b, y, ro) => BenchKernels.AddRmsNorm8192F16(s, x, r, g, y, ro)),
        ],
        _ =>
        [
            new("LayerNorm", hidden, 2, 2, (s, x, r, g, b, y, ro) => BenchKernels.LayerNorm16384F16(s, x, g, b, y)),
            new("RMSNorm", hidden, 1, 2, (s, x, r, g, b, y, ro) => BenchKernels.RmsNorm16384F16(s, x, g, y)),
            new("AddRMSNorm", hidden, 1, 4, (s, x, r, g, b, y, ro) => BenchKernels.AddRmsNorm16384F16(s, x, r, g, y, ro)),
        ],
    };

    /// <summary>
    /// Seconds per launch, averaged over <paramref name="iterations"/> launches after warm-up (the first warm-up
    /// compiles), and the largest error of the first and last rows (y, and residualOut for the residual form) against a
    /// double-precision reference, so a run on a machine without the .NET test suite still checks the results. The
    /// residual form writes residualOut to its own buffer, so every launch reads the same inputs.
    /// </summary>
    private static Result Measure<T>(Accelerator accelerator, AcceleratorStream stream, Case<T> c, int rows, int warmup, int iterations, Func<int, T> value)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        long n = (long)rows * c.Hidden;
        bool residual = c.Tensors == 4;
        using MemoryBuffer1D<T, Stride1D.Dense> x = accelerator.Allocate1D<T>(n);
        using MemoryBuffer1D<T, Stride1D.Dense> y = accelerator.Allocate1D<T>(n);
        using MemoryBuffer1D<T, Stride1D.Dense> r = accelerator.Allocate1D<T>(residual ? n : 0);
        using MemoryBuffer1D<T, Stride1D.Dense> ro = accelerator.Allocate1D<T>(residual ? n : 0);
        using MemoryBuffer1D<T, Stride1D.Dense> gamma = accelerator.Allocate1D(Enumerable.Range(0, c.Hidden).Select(i => value(i + 7)).ToArray());
        using MemoryBuffer1D<T, Stride1D.Dense> beta = accelerator.Allocate1D(Enumerable.Range(0, c.Hidden).Select(i => value(i + 11)).ToArray());
        // Upload one block of values and replicate it on the device: host-side generation of 2^28 values would dominate.
        int block = (int)Math.Min(n, 1 << 20);
        T[] host = new T[block], hostResidual = new T[block];
        for (int i = 0; i < block; i++) { host[i] = value(i); hostResidual[i] = value(3 * i + 5); }
        void Fill(MemoryBuffer1D<T, Stride1D.Dense> buffer, T[] values)
        {
            buffer.View.SubView(0, block).CopyFromCPU(values);
            for (long offset = block; offset < n; offset += block)
                buffer.View.SubView(0, Math.Min(block, n - offset)).CopyTo(stream, buffer.View.SubView(offset, Math.Min(block, n - offset)));
        }
        Fill(x, host);
        if (residual) Fill(r, hostResidual);
        stream.Synchronize();

        for (int i = 0; i < warmup; i++) c.Run(stream, x.View, r.View, gamma.View, beta.View, y.View, ro.View);
        stream.Synchronize();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) c.Run(stream, x.View, r.View, gamma.View, beta.View, y.View, ro.View);
        stream.Synchronize();
        double seconds = watch.Elapsed.TotalSeconds / iterations;

        double maxError = 0;
        double Error(double actual, double expected) => Math.Abs(actual - expected) / (1 + Math.Abs(expected));
        foreach (int row in new[] { 0, rows - 1 })
        {
            T[] actual = y.View.SubView((long)row * c.Hidden, c.Hidden).GetAsArray1D();
            T[] stored = residual ? ro.View.SubView((long)row * c.Hidden, c.Hidden).GetAsArray1D() : [];
            double[] xs = new double[c.Hidden];
            for (int j = 0; j < c.Hidden; j++)
            {
                int at = (int)(((long)row * c.Hidden + j) % block);
                xs[j] = double.CreateTruncating(host[at]) + (residual ? double.CreateTruncating(hostResidual[at]) : 0);
                if (residual) maxError = Math.Max(maxError, Error(double.CreateTruncating(stored[j]), xs[j]));
            }
            double mean = 0, meanSquare = 0;
            foreach (double v in xs) { mean += v; meanSquare += v * v; }
            mean /= c.Hidden;
            double variance = 0;
            foreach (double v in xs) variance += (v - mean) * (v - mean);
            variance /= c.Hidden;
            meanSquare /= c.Hidden;
            for (int j = 0; j < c.Hidden; j++)
            {
                double g = double.CreateTruncating(value(j + 7)), b = double.CreateTruncating(value(j + 11));
                double expected = c.Kind == "LayerNorm" ? (xs[j] - mean) / Math.Sqrt(variance + 1e-5) * g + b : xs[j] / Math.Sqrt(meanSquare + 1e-6) * g;
                maxError = Math.Max(maxError, Error(double.CreateTruncating(actual[j]), expected));
            }
        }
        return new Result(seconds, maxError);
    }

    private static double CopyBandwidth(Accelerator accelerator, AcceleratorStream stream, long bytes, int warmup, int iterations)
    {
        using MemoryBuffer1D<byte, Stride1D.Dense> source = accelerator.Allocate1D<byte>(bytes);
        using MemoryBuffer1D<byte, Stride1D.Dense> target = accelerator.Allocate1D<byte>(bytes);
        source.MemSetToZero(stream);
        for (int i = 0; i < warmup; i++) source.View.CopyTo(stream, target.View);
        stream.Synchronize();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) source.View.CopyTo(stream, target.View);
        stream.Synchronize();
        return 2.0 * bytes / (watch.Elapsed.TotalSeconds / iterations) / 1e9;
    }

    private static void Report(string kind, string dtype, int rows, int hidden, Result result, int elementSize, int parameters, int tensors, double copy)
    {
        double bytes = ((double)tensors * rows * hidden + (double)parameters * hidden) * elementSize;
        double gbs = bytes / result.Seconds / 1e9;
        Console.WriteLine($"{kind,-11} {dtype,-6} {rows,7} {hidden,7} {result.Seconds * 1e6,11:F1} {gbs,9:F1} {100 * gbs / copy,9:F1}% {result.MaxError,10:E1}");
    }

    /// <summary>Deterministic values in [-1.5, 2.5): a multiplicative hash of the index, so rows differ and nothing is constant.</summary>
    private static double Pattern(int i) => (unchecked((uint)i * 2654435761u) >> 8) / (double)(1 << 24) * 4 - 1.5;

    private static int Option(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
