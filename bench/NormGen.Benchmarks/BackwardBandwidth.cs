using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Threading;
using System.Threading.Tasks;

namespace NormGen.Benchmarks;

/// <summary>
/// <c>backward</c> mode: the issue's "Fast" bar for the LayerNorm backward, side by side in one process (not
/// BenchmarkDotNet, so the pairs share the machine's state): single thread, NormGen against the TensorPrimitives
/// composition of the same math at 32 × 768 and 128 × 4096 (in cache), and against a streaming pass over the same
/// bytes at 2048 × 8192 (dy and x read, dx written, with non-temporal stores); then all cores at 2048 × 8192 against
/// the same streaming pass split over all cores; then the BatchNorm backward of (N, C, H, W) tensors against the same
/// streaming pass.
/// </summary>
/// <remarks>
/// <para>Bytes = dy + x read + dx written (3 × 4 bytes per element; γ, the statistics and dγ/dβ are left out). The
/// streaming pass is STREAM's "add", dx = dy + x with aligned non-temporal stores (<see cref="StreamingStore"/>): the
/// same two read streams and one write stream as the backward, with no read-for-ownership of dx.</para>
/// <para>Each pair warms up for <see cref="WarmUp"/> per method, pauses <see cref="Pause"/> for the tier-1 JIT, warms up
/// again; then timed batches of about <see cref="SampleTime"/> alternate between the two methods and the median batch of
/// each is reported. <c>--short</c> takes 5 samples instead of 15.</para>
/// </remarks>
public static class BackwardBandwidth
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromMilliseconds(400), Pause = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan SampleTime = TimeSpan.FromMilliseconds(40);

    private sealed class Data
    {
        public Data(BatchShape shape)
        {
            Shape = shape;
            var w = new Workload(shape);
            // Pinned: the streaming pass stores through StreamingStore, which needs pinned, aligned destinations.
            X = GC.AllocateArray<float>(shape.Elements, pinned: true);
            Dy = GC.AllocateArray<float>(shape.Elements, pinned: true);
            Dx = GC.AllocateArray<float>(shape.Elements, pinned: true);
            w.X.CopyTo(X, 0);
            new Workload(shape, seed: 7).X.CopyTo(Dy, 0);
            Gamma = w.Gamma;
            Mean = new float[shape.Rows];
            Rstd = new float[shape.Rows];
            Dgamma = new float[shape.Hidden];
            Dbeta = new float[shape.Hidden];
            Scratch = new float[2 * shape.Hidden];
            BackwardKernels.LayerNorm(X, shape.Hidden, w.Gamma, w.Beta, w.Y, Mean, Rstd);
        }

        public BatchShape Shape { get; }
        public float[] X { get; }
        public float[] Dy { get; }
        public float[] Dx { get; }
        public float[] Gamma { get; }
        public float[] Mean { get; }
        public float[] Rstd { get; }
        public float[] Dgamma { get; }
        public float[] Dbeta { get; }
        public float[] Scratch { get; }

        public void NormGen() => BackwardKernels.LayerNormBackward(Dy, X, Shape.Hidden, Mean, Rstd, Gamma, Dx, Dgamma, Dbeta);

        public void TensorPrimitives() => Baselines.TensorPrimitivesLayerNormBackward(Dy, X, Shape.Hidden, Mean, Rstd, Gamma, Dx, Dgamma, Dbeta, Scratch);

        public void Stream(int threads) => StreamAdd(Dy, X, Dx, threads);
    }

    public static int Run(string[] args)
    {
        int samples = args.Contains("--short") ? 5 : 15;
        int cores = Environment.ProcessorCount;
        Console.WriteLine($"LayerNorm backward (dy, x, mean, rstd, γ → dx, dγ, dβ), float; GB/s of dy + x read + dx written; median of {samples} batches.");
        Console.WriteLine($"{Vector512.IsHardwareAccelerated switch { true => "Vector512", false => Vector256.IsHardwareAccelerated ? "Vector256" : "Vector128" }}, {cores} cores.");
        Console.WriteLine();
        Console.WriteLine($"| case | threads | NormGen GB/s | baseline | baseline GB/s | NormGen / baseline | bar |");
        Console.WriteLine($"| --- | ---: | ---: | --- | ---: | ---: | --- |");
        try
        {
            NormGenSettings.MaxDegreeOfParallelism = 1;
            foreach (BatchShape shape in new[] { new BatchShape(32, 768), new BatchShape(128, 4096) })
            {
                var d = new Data(shape);
                Pair(d, "1", d.NormGen, "TensorPrimitives composition", d.TensorPrimitives, samples, "≥ 1.5×");
            }
            var big = new Data(new BatchShape(2048, 8192));
            Pair(big, "1", big.NormGen, "streaming add (NT stores)", () => big.Stream(1), samples, "≥ 70%");
            // The same with dx written by ordinary stores (the kernel's choice below NormGenSettings.StreamingStoreThreshold).
            long threshold = NormGenSettings.StreamingStoreThreshold;
            NormGenSettings.StreamingStoreThreshold = long.MaxValue;
            Pair(big, "1", big.NormGen, "streaming add (NT stores); NormGen with ordinary dx stores", () => big.Stream(1), samples, "");
            NormGenSettings.StreamingStoreThreshold = threshold;
            NormGenSettings.MaxDegreeOfParallelism = -1;
            Pair(big, $"all ({cores})", big.NormGen, $"streaming add, {cores} threads", () => big.Stream(cores), samples, "scales");
            BatchNormBackward(samples);
        }
        finally
        {
            NormGenSettings.MaxDegreeOfParallelism = -1;
        }
        return 0;
    }

    private static void Pair(Data d, string threads, Action normGen, string baselineName, Action baseline, int samples, string bar)
    {
        double bytes = 3.0 * sizeof(float) * d.Shape.Elements;
        double[] gbps = Medians(normGen, baseline, samples).Select(t => bytes / t / 1e9).ToArray();
        Console.WriteLine($"| {d.Shape.Rows} × {d.Shape.Hidden} | {threads} | {gbps[0]:F1} | {baselineName} | {gbps[1]:F1} | {gbps[0] / gbps[1]:F2} | {bar} |");
    }

    /// <summary>
    /// <c>backward</c> mode's second table: the BatchNorm backward of (N, C, H, W) float tensors against the streaming add
    /// of the same bytes (dy and x read, dx written), one thread, then all cores. From 4 MiB the backward's two passes
    /// sweep the tensor in memory order (ChannelBackward.BlockWork.SweptChannels).
    /// </summary>
    private static void BatchNormBackward(int samples)
    {
        int cores = Environment.ProcessorCount;
        Console.WriteLine();
        Console.WriteLine($"BatchNorm backward (dy, x, saved mean and rstd, γ → dx, dγ, dβ), float; GB/s of dy + x read + dx written; median of {samples} batches.");
        Console.WriteLine();
        Console.WriteLine("| shape | threads | NormGen | NormGen GB/s | streaming add GB/s | NormGen / streaming add |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach ((nint[] shape, int threads) in new (nint[], int)[] { ([32, 256, 14, 14], 1), ([128, 512, 7, 7], 1), ([8, 64, 56, 56], 1), ([32, 256, 14, 14], -1) })
        {
            int elements = (int)shape.Aggregate((nint)1, (a, b) => a * b), channels = (int)shape[1];
            var random = new Random(3);
            float[] x = GC.AllocateArray<float>(elements, pinned: true), dy = GC.AllocateArray<float>(elements, pinned: true), dx = GC.AllocateArray<float>(elements, pinned: true);
            for (int i = 0; i < elements; i++)
            {
                x[i] = (float)(random.NextDouble() * 4 - 2);
                dy[i] = (float)(random.NextDouble() - 0.5);
            }
            float[] gamma = Enumerable.Range(0, channels).Select(c => 0.5f + c % 7 * 0.1f).ToArray(), beta = new float[channels];
            float[] mean = new float[channels], rstd = new float[channels], dgamma = new float[channels], dbeta = new float[channels];
            NormGenSettings.MaxDegreeOfParallelism = 1;
            BackwardKernels.BatchNormTraining(new(x, shape, []), gamma, beta, new float[channels], Enumerable.Repeat(1f, channels).ToArray(), new(dx, shape, []), mean, rstd);
            NormGenSettings.MaxDegreeOfParallelism = threads;
            int streams = threads == 1 ? 1 : cores;
            double[] t = Medians(() => BackwardKernels.BatchNormBackward(new(dy, shape, []), new(x, shape, []), mean, rstd, gamma, new(dx, shape, []), dgamma, dbeta),
                () => StreamAdd(dy, x, dx, streams), samples);
            double bytes = 3.0 * sizeof(float) * elements;
            Console.WriteLine($"| ({string.Join(", ", shape)}) | {(threads == 1 ? "1" : $"all ({cores})")} | {t[0] * 1e6:F0} µs | {bytes / t[0] / 1e9:F1} | {bytes / t[1] / 1e9:F1} | {t[1] / t[0]:F2} |");
        }
        NormGenSettings.MaxDegreeOfParallelism = -1;
    }

    /// <summary>Median seconds per call of the two methods, each warmed up, then timed in alternating batches.</summary>
    private static double[] Medians(Action normGen, Action baseline, int samples)
    {
        Action[] run = [normGen, baseline];
        foreach (Action a in run)
        {
            Spin(a, WarmUp);
            Thread.Sleep(Pause);
            Spin(a, WarmUp);
        }
        int[] calls = run.Select(CallsPerBatch).ToArray();
        var perCall = new double[2][] { new double[samples], new double[samples] };
        for (int i = 0; i < samples; i++)
            for (int m = 0; m < 2; m++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int c = 0; c < calls[m]; c++) run[m]();
                perCall[m][i] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls[m];
            }
        return perCall.Select(p => { Array.Sort(p); return p[p.Length / 2]; }).ToArray();
    }

    /// <summary>dx = dy + x with aligned non-temporal stores: two read streams and one write stream, the backward's traffic.</summary>
    public static void StreamAdd(float[] dy, float[] x, float[] dx, int threads)
    {
        if (threads <= 1)
        {
            StreamAdd(dy, x, dx, 0, dx.Length);
            return;
        }
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, block =>
        {
            int size = dx.Length / threads / 64 * 64, start = block * size;
            StreamAdd(dy, x, dx, start, block == threads - 1 ? dx.Length - start : size);
        });
    }

    private static void StreamAdd(float[] dy, float[] x, float[] dx, int start, int count)
    {
        ReadOnlySpan<float> a = dy.AsSpan(start, count), b = x.AsSpan(start, count);
        Span<float> d = dx.AsSpan(start, count);
        int i = 0;
        int head = Math.Min(count, StreamingStore.ElementsToAlignment(ref d[0], Vector256<float>.Count));
        for (; i < head; i++) d[i] = a[i] + b[i];
        for (; i + Vector256<float>.Count <= count; i += Vector256<float>.Count)
            StreamingStore.Store(Vector256.Create(a.Slice(i)) + Vector256.Create(b.Slice(i)), ref d[i]);
        for (; i < count; i++) d[i] = a[i] + b[i];
        StreamingStore.Fence();
    }

    private static int CallsPerBatch(Action action)
    {
        var probe = Stopwatch.StartNew();
        int probeCalls = 0;
        while (probe.Elapsed < TimeSpan.FromMilliseconds(5)) { action(); probeCalls++; }
        return Math.Max(1, (int)(probeCalls * SampleTime.TotalMilliseconds / probe.Elapsed.TotalMilliseconds));
    }

    private static void Spin(Action action, TimeSpan duration)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration) action();
    }
}
