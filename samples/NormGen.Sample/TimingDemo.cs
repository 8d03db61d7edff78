using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;

namespace NormGen.Sample;

/// <summary>An indicative timing of NormGen against the loop one would write by hand.</summary>
public static class TimingDemo
{
    private const int Rows = 512, Hidden = 4096;

    public static void Run()
    {
        float[] x = Data.Activations(Hidden, Enumerate(Rows, r => r % 7 - 3.0), Enumerate(Rows, r => 0.5 + r % 5)), y = new float[x.Length], reference = new float[x.Length];
        float[] gamma = Data.Filled(Hidden, 1.1f), beta = Data.Filled(Hidden, -0.2f);
        long bytes = (2L * x.Length + 2L * Hidden) * sizeof(float); // read x, write y, read γ and β once

        Console.WriteLine($"Timing LayerNorm on {Rows} × {Hidden} floats ({bytes / (1 << 20)} MiB moved per call), {Environment.ProcessorCount} cores:");
        Console.WriteLine($"  {"",-30} {"µs per call",12} {"GB/s",8}");

        double naive = Measure(() => NaiveLayerNorm(x, Hidden, gamma, beta, reference));
        Report("naive scalar loop", naive, bytes);

        int saved = NormGenSettings.MaxDegreeOfParallelism;
        NormGenSettings.MaxDegreeOfParallelism = 1;
        double single = Measure(() => Kernels.LayerNorm4096(x, gamma, beta, y));
        Report("NormGen, 1 thread", single, bytes, naive);
        NormGenSettings.MaxDegreeOfParallelism = -1;
        double all = Measure(() => Kernels.LayerNorm4096(x, gamma, beta, y));
        Report($"NormGen, all {Environment.ProcessorCount} cores", all, bytes, naive);
        NormGenSettings.MaxDegreeOfParallelism = saved;

        double maxDiff = 0;
        for (int i = 0; i < y.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(y[i] - reference[i]));
        Console.WriteLine($"  Largest difference between NormGen and the naive loop: {maxDiff.ToString("0.0E+0", CultureInfo.InvariantCulture)}.");
        Console.WriteLine("  These timings are indicative (a few hundred milliseconds each, on whatever else this machine is doing);");
        Console.WriteLine("  bench/NormGen.Benchmarks has the real numbers, against TensorPrimitives, ONNX Runtime and the copy bound.");
        Console.WriteLine();
    }

    /// <summary>LayerNorm as it is usually first written: two passes for the statistics, one to normalize.</summary>
    private static void NaiveLayerNorm(float[] x, int hidden, float[] gamma, float[] beta, float[] y)
    {
        for (int r = 0; r < x.Length / hidden; r++)
        {
            int o = r * hidden;
            float sum = 0;
            for (int i = 0; i < hidden; i++) sum += x[o + i];
            float mean = sum / hidden;
            float sq = 0;
            for (int i = 0; i < hidden; i++) sq += (x[o + i] - mean) * (x[o + i] - mean);
            float rstd = 1f / MathF.Sqrt(sq / hidden + 1e-5f);
            for (int i = 0; i < hidden; i++) y[o + i] = (x[o + i] - mean) * rstd * gamma[i] + beta[i];
        }
    }

    /// <summary>
    /// Microseconds per call: warm up past tiered compilation (at least 40 calls and 400 ms, then a pause while the JIT's
    /// optimised code is installed in the background, then 200 ms more), then the fastest of several ~40 ms batches, the
    /// batch least disturbed by other work on the machine. With 150 ms of warm-up NormGen's kernel was still running its
    /// unoptimised first-tier code (16–19 ms a call instead of under 1 ms: "0.2× the naive loop").
    /// </summary>
    private static double Measure(Action call)
    {
        var clock = Stopwatch.StartNew();
        int calls = 0;
        while (clock.ElapsedMilliseconds < 400 || calls < 40) { call(); calls++; }
        Thread.Sleep(200);
        clock.Restart();
        calls = 0;
        while (clock.ElapsedMilliseconds < 200 || calls < 3) { call(); calls++; }
        int perBatch = Math.Max(1, (int)(calls * 40 / clock.Elapsed.TotalMilliseconds));
        double best = double.MaxValue;
        for (int batch = 0; batch < 6; batch++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < perBatch; i++) call();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMicroseconds / perBatch);
        }
        return best;
    }

    private static void Report(string what, double microseconds, long bytes, double? baseline = null)
    {
        string speedup = baseline is double b ? $"  ({(b / microseconds).ToString("0.0", CultureInfo.InvariantCulture)}× the naive loop)" : "";
        Console.WriteLine($"  {what,-30} {microseconds.ToString("0.0", CultureInfo.InvariantCulture),12} {(bytes / (microseconds * 1e3)).ToString("0.0", CultureInfo.InvariantCulture),8}{speedup}");
    }

    private static double[] Enumerate(int count, Func<int, double> f)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = f(i);
        return values;
    }
}
