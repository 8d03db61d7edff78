using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Threading;
using System.Threading.Tasks;
using ScottPlot;

namespace NormGen.Benchmarks;

/// <summary>
/// <c>growth</c> mode (issue 11's cost-growth target): single-thread LayerNorm and RMSNorm GB/s (x read + y written)
/// over hidden 64 … 65,536 × rows 1 … 10⁶ with one run-time row-length declaration (<see cref="GrowthKernels"/>), side
/// by side with a non-temporal copy and a plain copy of the same bytes and, up to 64 MiB per tensor, the
/// TensorPrimitives composition; each case marked with the cache level its working set (x + y) falls in. Then the
/// largest case of each hidden size on all cores, and the static 768/4096 declarations against the run-time one at a
/// few check points. Prints Markdown and draws <c>docs/benchmark-growth.png</c> (<c>--out PATH</c> elsewhere;
/// <c>--l3 32M</c> sets the L3 size that the cache levels are marked by, see <see cref="CacheSizes.Read"/>;
/// <c>--streaming-threshold 64M</c> sets <see cref="NormGenSettings.StreamingStoreThreshold"/>, <c>off</c> turns streaming
/// stores off; <c>--only 1000000x64,10x4096</c> measures just those cases, printing their lines only; <c>--align 0</c>
/// starts x and y that many bytes past a 64-byte boundary).
/// </summary>
/// <remarks>
/// Timed in this process. One x and one y of 1 GiB each are allocated (pinned) once and every case uses their first
/// rows × hidden elements, so nothing is allocated between cases. Every method first warms up on several shapes (small,
/// wide, streaming) for <see cref="WarmUp"/> each, the process sleeps <see cref="Pause"/> so the background JIT installs
/// its tier-1 code, and they warm up again; then each case calls every method once (caches, pages; a case the store
/// probe times, x + y from half the streaming threshold, runs the NormGen methods for <see cref="ProbeWarmUp"/> first, so
/// the probe has kept its stores), sizes batches to
/// about <see cref="SampleTime"/>, and times <see cref="Samples"/> batches round the methods in turn (3 where one call
/// is longer than a batch); the median is reported (<c>--best</c>: the fastest). Cases over 1 GiB per tensor are skipped.
/// </remarks>
public static class Growth
{
    private static readonly int[] HiddenSizes = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
    private static readonly int[] RowCounts = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
    private const long MaxTensorBytes = 1L << 30, CompositionMaxTensorBytes = 64L << 20;
    private const int Samples = 9, LongSamples = 3;
    private static readonly TimeSpan WarmUp = TimeSpan.FromMilliseconds(60), Pause = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// How long, and how many calls at least, a NormGen method runs before a case the store probe times is measured:
    /// past the probe's 250 ms of untimed candidates and its 2 + 5 calls per candidate (three candidates).
    /// </summary>
    private static readonly TimeSpan ProbeWarmUp = TimeSpan.FromMilliseconds(400);

    private const int ProbeWarmCalls = 24;

    /// <summary>The NormGen methods of <see cref="Methods"/> (the first two: LayerNorm, RMSNorm).</summary>
    private const int NormGenMethods = 2;
    private static readonly TimeSpan SampleTime = TimeSpan.FromMilliseconds(8), Probe = TimeSpan.FromMilliseconds(2);

    // Method indices of a case.
    private const int Ln = 0, Rms = 1, TpLn = 2, TpRms = 3, NtCopy = 4, PlainCopy = 5;
    private static readonly string[] Names = ["NormGen LayerNorm", "NormGen RMSNorm", "TP LayerNorm", "TP RMSNorm", "NT copy", "copy"];

    /// <summary>One case: seconds per call, median (fastest with <c>--best</c>) and fastest batch, per method (null: not measured).</summary>
    private sealed record Case(int Hidden, int Rows, double?[] Median, double?[] Best)
    {
        public double Bytes => 2.0 * sizeof(float) * Hidden * Rows;
        public double? GBps(int method) => Median[method] is double s ? Bytes / s / 1e9 : null;
    }

    private static float[] s_x = [], s_y = [], s_gamma = [], s_beta = [];

    /// <summary>Where x and y start in <see cref="s_x"/> and <see cref="s_y"/>: 0, or as <c>--align</c> asks.</summary>
    private static int s_offset;

    /// <summary><c>--best</c>: report each method's fastest batch instead of the median (for a machine others are loading).</summary>
    private static bool s_best;

    public static int Run(string[] args)
    {
        var started = Stopwatch.StartNew();
        string path = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine("docs", "benchmark-growth.png");
        NormGenSettings.MaxDegreeOfParallelism = 1;
        s_best = args.Contains("--best");
        string? l3 = args.SkipWhile(a => a != "--l3").Skip(1).FirstOrDefault();
        CacheSizes caches = CacheSizes.Read(l3 is null ? 0 : CacheSizes.Parse(l3));
        Console.WriteLine($"Processor: {ProcessorName()}, {Environment.ProcessorCount} logical cores; .NET {Environment.Version}; " +
            $"Vector512 {(Vector512.IsHardwareAccelerated ? "accelerated" : "not accelerated")}; caches: {caches}; " +
            $"streaming stores from {CacheSizes.Size(NormGenSettings.StreamingStoreThreshold)} of output.");
        Console.WriteLine(s_best ? "Each cell is the fastest of the method's batches (--best)." : "Each cell is the median of the method's batches.");
        if (args.SkipWhile(a => a != "--streaming-threshold").Skip(1).FirstOrDefault() is string threshold)
        {
            NormGenSettings.StreamingStoreThreshold = CacheSizes.Parse(threshold) is > 0 and long bytes ? bytes : long.MaxValue;
            Console.WriteLine($"--streaming-threshold: streaming stores from {NormGenSettings.StreamingStoreThreshold:N0} bytes of output.");
        }
        // --only 1000000x64,100x4096: just these cases (rows x hidden), for a quick look; no chart, no all-cores or check points.
        HashSet<(int, int)>? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',')
            .Select(c => c.Split('x')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToHashSet();
        Allocate();
        // --align B: x and y start B bytes past a 64-byte boundary (both arrays come from the same allocator, so
        // they share their alignment); by default they start where the allocator put them.
        if (args.SkipWhile(a => a != "--align").Skip(1).FirstOrDefault() is string align)
            s_offset = (int)((64 + int.Parse(align, CultureInfo.InvariantCulture) - Mod64(s_y)) % 64) / sizeof(float);
        Console.WriteLine($"x starts {(Mod64(s_x) + 4 * s_offset) % 64} B and y {(Mod64(s_y) + 4 * s_offset) % 64} B past a 64-byte boundary.");
        WarmUpAll();

        var cases = new List<Case>();
        bool Selected(int hidden, int rows) => Fits(hidden, rows) && (only is null || only.Contains((rows, hidden)));
        int total = HiddenSizes.Sum(h => RowCounts.Count(r => Selected(h, r)));
        foreach (int hidden in HiddenSizes)
            foreach (int rows in RowCounts.Where(r => Selected(hidden, r)))
            {
                Case c = MeasureCase(hidden, rows);
                cases.Add(c);
                string methods = string.Join("  ", Enumerable.Range(0, Names.Length)
                    .Select(m => c.GBps(m) is double g ? string.Create(CultureInfo.InvariantCulture, $"{Names[m]} {g:F1}") : ""));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{cases.Count,2}/{total}] {rows,9:N0} × {hidden,-6:N0} {CacheSizes.Size(c.Bytes),10} {caches.LevelOf(c.Bytes),-4} {methods}"));
            }
        Console.WriteLine();
        if (only is not null) return 0;
        PrintGrids(cases, caches);
        PrintOverheads(cases, caches);
        AllCores(cases);
        CheckPoints();
        Draw(path, cases, caches);
        Console.WriteLine($"Chart: {Path.GetFullPath(path)}");
        Console.WriteLine($"({started.Elapsed.TotalSeconds:F0} s)");
        return 0;
    }

    private static unsafe int Mod64(float[] a)
    {
        fixed (float* p = a) return (int)((nuint)p % 64);
    }

    private static bool Fits(int hidden, int rows) => (long)hidden * rows * sizeof(float) <= MaxTensorBytes;

    private static void Allocate()
    {
        int elements = (int)(MaxTensorBytes / sizeof(float)) + 16;
        s_x = GC.AllocateUninitializedArray<float>(elements, pinned: true);
        s_y = GC.AllocateUninitializedArray<float>(elements, pinned: true);
        // One 64 Ki-element block of values around 0.5 with spread 1, tiled: rows of any length look alike.
        var rng = new Random(42);
        for (int i = 0; i < 1 << 16; i++) s_x[i] = (float)(0.5 + (rng.NextDouble() * 2 - 1));
        for (int i = 1 << 16; i < elements; i += 1 << 16) s_x.AsSpan(0, Math.Min(1 << 16, elements - i)).CopyTo(s_x.AsSpan(i));
        s_y.AsSpan().Clear(); // touch every page of y before anything is timed
        s_gamma = Enumerable.Range(0, HiddenSizes[^1]).Select(_ => (float)(0.9 + rng.NextDouble() * 0.2)).ToArray();
        s_beta = Enumerable.Range(0, HiddenSizes[^1]).Select(_ => (float)(rng.NextDouble() * 0.2 - 0.1)).ToArray();
    }

    /// <summary>The six methods at rows × hidden; the compositions only up to <see cref="CompositionMaxTensorBytes"/>.</summary>
    private static Action?[] Methods(int hidden, int rows)
    {
        int n = hidden * rows;
        float[] x = s_x, y = s_y, gamma = s_gamma, beta = s_beta;
        bool composition = (long)n * sizeof(float) <= CompositionMaxTensorBytes;
        return
        [
            () => GrowthKernels.LayerNorm(x.AsSpan(s_offset, n), hidden, gamma.AsSpan(0, hidden), beta.AsSpan(0, hidden), y.AsSpan(s_offset, n)),
            () => GrowthKernels.RmsNorm(x.AsSpan(s_offset, n), hidden, gamma.AsSpan(0, hidden), y.AsSpan(s_offset, n)),
            composition ? () => Baselines.TensorPrimitivesLayerNorm(x.AsSpan(s_offset, n), hidden, gamma.AsSpan(0, hidden), beta.AsSpan(0, hidden), y.AsSpan(s_offset, n)) : null,
            composition ? () => Baselines.TensorPrimitivesRmsNorm(x.AsSpan(s_offset, n), hidden, gamma.AsSpan(0, hidden), y.AsSpan(s_offset, n)) : null,
            () => Baselines.NonTemporalCopy(x.AsSpan(s_offset, n), y.AsSpan(s_offset, n)),
            () => x.AsSpan(s_offset, n).CopyTo(y.AsSpan(s_offset, n)),
        ];
    }

    /// <summary>Every method on a small, a wide, a many-row and a streaming shape, then a pause for the background JIT, twice.</summary>
    private static void WarmUpAll()
    {
        (int Rows, int Hidden)[] shapes = [(1, 768), (100, 1024), (1000, 64), (10, 65536), (10_000, 4096)];
        for (int round = 0; round < 2; round++)
        {
            foreach ((int rows, int hidden) in shapes)
                foreach (Action? m in Methods(hidden, rows))
                    if (m is not null) Spin(m, WarmUp);
            Thread.Sleep(Pause);
        }
    }

    private static Case MeasureCase(int hidden, int rows)
    {
        // A case whose x + y is at least half the default streaming threshold is a class the store probe times
        // (RowEngine.StoreTuning.cs: its candidates untimed for 250 ms, then 5 timed calls each): its NormGen methods
        // run until the probe has decided, so the batches measure the stores it keeps, not its candidates.
        long bytes = 2L * hidden * rows * sizeof(float);
        bool tuned = NormGenSettings.TuneStores && NormGenSettings.StreamingStoreThreshold == NormGenSettings.DefaultStreamingStoreThreshold
            && bytes >= NormGenSettings.DefaultStreamingStoreThreshold / 2;
        (double?[] median, double?[] best) = Measure(Methods(hidden, rows), tuned ? NormGenMethods : 0);
        return new Case(hidden, rows, median, best);
    }

    /// <summary>
    /// Seconds per call of each method: median and fastest of the batches, which go round the methods in turn. The first
    /// <paramref name="probed"/> methods are first called for <see cref="ProbeWarmUp"/> and at least
    /// <see cref="ProbeWarmCalls"/> times (a class the store probe times).
    /// </summary>
    private static (double?[] Median, double?[] Best) Measure(Action?[] methods, int probed = 0)
    {
        int count = methods.Length;
        var calls = new int[count];
        bool longCalls = false;
        for (int m = 0; m < count; m++)
        {
            if (methods[m] is not Action a) continue;
            if (m < probed)
                for (var (since, warmCalls) = (Stopwatch.StartNew(), 0); since.Elapsed < ProbeWarmUp || warmCalls < ProbeWarmCalls; warmCalls++)
                    a();
            a(); // pages and caches as the timed calls find them
            calls[m] = CallsPerBatch(a, out bool longCall);
            longCalls |= longCall;
        }
        int samples = longCalls ? LongSamples : Samples;
        var perCall = new double[count][];
        for (int m = 0; m < count; m++) perCall[m] = new double[samples];
        for (int i = 0; i < samples; i++)
            for (int m = 0; m < count; m++)
            {
                if (methods[m] is not Action a) continue;
                long start = Stopwatch.GetTimestamp();
                for (int k = 0; k < calls[m]; k++) a();
                perCall[m][i] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls[m];
            }
        var median = new double?[count];
        var best = new double?[count];
        for (int m = 0; m < count; m++)
        {
            if (methods[m] is null) continue;
            Array.Sort(perCall[m]);
            median[m] = perCall[m][s_best ? 0 : samples / 2];
            best[m] = perCall[m][0];
        }
        return (median, best);
    }

    private static int CallsPerBatch(Action action, out bool longCall)
    {
        var probe = Stopwatch.StartNew();
        int probeCalls = 0;
        do { action(); probeCalls++; } while (probe.Elapsed < Probe);
        longCall = probe.Elapsed > SampleTime;
        return Math.Max(1, (int)(probeCalls * SampleTime.TotalMilliseconds / probe.Elapsed.TotalMilliseconds));
    }

    private static void Spin(Action action, TimeSpan duration)
    {
        var watch = Stopwatch.StartNew();
        do action(); while (watch.Elapsed < duration);
    }

    // ---------------------------------------------------------------- tables

    private static void PrintGrids(List<Case> cases, CacheSizes caches)
    {
        Dictionary<string, double> lnBest = LevelBest(cases, caches, Ln), rmsBest = LevelBest(cases, caches, Rms);
        Grid("NormGen LayerNorm, run-time row length, 1 thread: GB/s, cache level of x + y, and % of the best LayerNorm case of that level", cases,
            c => $"{c.GBps(Ln):F1} {caches.LevelOf(c.Bytes)} {c.GBps(Ln) / lnBest[caches.LevelOf(c.Bytes)]:P0}");
        Grid("NormGen RMSNorm, run-time row length, 1 thread: GB/s, cache level, % of the best RMSNorm case of that level", cases,
            c => $"{c.GBps(Rms):F1} {caches.LevelOf(c.Bytes)} {c.GBps(Rms) / rmsBest[caches.LevelOf(c.Bytes)]:P0}");
        Grid("NT copy of the same bytes (x → y, aligned non-temporal stores), GB/s", cases, c => $"{c.GBps(NtCopy):F1}");
        Grid("copy of the same bytes (Span.CopyTo), GB/s", cases, c => $"{c.GBps(PlainCopy):F1}");
        Grid("LayerNorm: NormGen speed ÷ TensorPrimitives composition (– over 64 MiB per tensor)", cases,
            c => c.Median[TpLn] is double tp ? $"{tp / c.Median[Ln]!.Value:F2}×" : "–");
        Grid("RMSNorm: NormGen speed ÷ TensorPrimitives composition", cases,
            c => c.Median[TpRms] is double tp ? $"{tp / c.Median[Rms]!.Value:F2}×" : "–");
        Grid("LayerNorm: NormGen ÷ the faster copy of the same bytes", cases,
            c => $"{c.GBps(Ln) / Math.Max(c.GBps(NtCopy)!.Value, c.GBps(PlainCopy)!.Value):P0}");
        Console.WriteLine("Best case per cache level (LayerNorm / RMSNorm GB/s): " + string.Join(", ",
            lnBest.Keys.Select(l => string.Create(CultureInfo.InvariantCulture, $"{l} {lnBest[l]:F1} / {rmsBest[l]:F1}"))));
        foreach (string level in lnBest.Keys)
        {
            Case[] inLevel = cases.Where(c => caches.LevelOf(c.Bytes) == level).ToArray();
            int flat = inLevel.Count(c => c.GBps(Ln) >= 0.85 * lnBest[level]);
            Console.WriteLine($"  {level}: {flat} of {inLevel.Length} LayerNorm cases within 15% of the level's best; below: " +
                string.Join(", ", inLevel.Where(c => c.GBps(Ln) < 0.85 * lnBest[level]).Select(c => $"{c.Rows:N0}×{c.Hidden:N0}")));
        }
        Console.WriteLine();
    }

    private static Dictionary<string, double> LevelBest(List<Case> cases, CacheSizes caches, int method)
        => cases.GroupBy(c => caches.LevelOf(c.Bytes)).ToDictionary(g => g.Key, g => g.Max(c => c.GBps(method)!.Value));

    /// <summary>A Markdown grid: one line per hidden size, one column per row count.</summary>
    private static void Grid(string title, List<Case> cases, Func<Case, string> cell)
    {
        Console.WriteLine(title + ":");
        Console.WriteLine();
        Console.WriteLine("| hidden \\ rows | " + string.Join(" | ", RowCounts.Select(r => r.ToString("N0", CultureInfo.InvariantCulture))) + " |");
        Console.WriteLine("| ---: |" + string.Concat(Enumerable.Repeat(" ---: |", RowCounts.Length)));
        foreach (int hidden in HiddenSizes)
        {
            IEnumerable<string> cells = RowCounts.Select(r => cases.FirstOrDefault(c => c.Hidden == hidden && c.Rows == r) is Case c
                ? string.Create(CultureInfo.InvariantCulture, $"{cell(c)}") : "–");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {hidden:N0} | {string.Join(" | ", cells)} |"));
        }
        Console.WriteLine();
    }

    /// <summary>
    /// Where the curve bends, measured: the fixed cost of a call (rows = 1, fitted as a + b·hidden over the sizes in L1)
    /// and the fixed cost of a row (hidden 64, from the time per row at 100 and 1,000 rows against the bytes at the
    /// level's best speed).
    /// </summary>
    private static void PrintOverheads(List<Case> cases, CacheSizes caches)
    {
        foreach ((int method, string name) in new[] { (Ln, "LayerNorm"), (Rms, "RMSNorm") })
        {
            Case[] single = cases.Where(c => c.Rows == 1 && c.Hidden <= 1024).ToArray();
            double mx = single.Average(c => c.Hidden), my = single.Average(c => c.Median[method]!.Value);
            double slope = single.Sum(c => (c.Hidden - mx) * (c.Median[method]!.Value - my)) / single.Sum(c => (c.Hidden - mx) * (c.Hidden - mx));
            double intercept = my - slope * mx;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}, 1 row: time ≈ {intercept * 1e9:F1} ns + {slope * 1e9 * 64:F2} ns per 64 elements (fit over hidden 64…1,024); " +
                $"1×64 {single[0].Median[method] * 1e9:F1} ns, 1×1,024 {single.Last().Median[method] * 1e9:F1} ns."));
            Dictionary<string, double> best = LevelBest(cases, caches, method);
            foreach (Case c in cases.Where(c => c.Hidden == 64 && c.Rows is 100 or 1000))
            {
                double perRow = c.Median[method]!.Value / c.Rows, level = best[caches.LevelOf(c.Bytes)];
                double moving = 2.0 * sizeof(float) * c.Hidden / (level * 1e9);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  hidden 64, {c.Rows:N0} rows ({caches.LevelOf(c.Bytes)}): {perRow * 1e9:F1} ns per row; its 512 B at the level's best {level:F1} GB/s take {moving * 1e9:F1} ns, so {(perRow - moving) * 1e9:F1} ns per row is fixed cost."));
            }
        }
        Console.WriteLine();
    }

    /// <summary>The largest case of each hidden size on all cores, against an all-cores NT copy of the same bytes.</summary>
    private static void AllCores(List<Case> cases)
    {
        int threads = Environment.ProcessorCount;
        Console.WriteLine($"All cores ({threads} threads), the largest case of each hidden size: GB/s");
        Console.WriteLine();
        Console.WriteLine("| rows × hidden | NormGen LayerNorm, 1 thread | NormGen LayerNorm, all cores | NT copy, all cores | all cores ÷ NT copy |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (int hidden in HiddenSizes)
        {
            Case single = cases.Where(c => c.Hidden == hidden).MaxBy(c => c.Rows)!;
            int rows = single.Rows, n = hidden * rows;
            float[] x = s_x, y = s_y, gamma = s_gamma, beta = s_beta;
            NormGenSettings.MaxDegreeOfParallelism = -1;
            (double?[] t, _) = Measure(
            [
                () => GrowthKernels.LayerNorm(x.AsSpan(s_offset, n), hidden, gamma.AsSpan(0, hidden), beta.AsSpan(0, hidden), y.AsSpan(s_offset, n)),
                () => ParallelNonTemporalCopy(n, threads),
            ]);
            NormGenSettings.MaxDegreeOfParallelism = 1;
            double all = single.Bytes / t[0]!.Value / 1e9, copy = single.Bytes / t[1]!.Value / 1e9;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {rows:N0} × {hidden:N0} | {single.GBps(Ln):F1} | {all:F1} | {copy:F1} | {all / copy:P0} |"));
        }
        Console.WriteLine();
    }

    private static void ParallelNonTemporalCopy(int n, int threads)
    {
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, block =>
        {
            int size = n / threads / 16 * 16, start = block * size;
            int count = block == threads - 1 ? n - start : size;
            Baselines.NonTemporalCopy(s_x.AsSpan(s_offset + start, count), s_y.AsSpan(s_offset + start, count));
        });
    }

    /// <summary>The static 768 and 4096 declarations against the run-time one, side by side, at a few row counts.</summary>
    private static void CheckPoints()
    {
        Console.WriteLine("Check points, 1 thread: compile-time declaration ([LayerNorm(768)], …) against the run-time one (GB/s; ns per call at 1 row)");
        Console.WriteLine();
        Console.WriteLine("| rows × hidden | LayerNorm static | LayerNorm run-time | static ÷ run-time | RMSNorm static | RMSNorm run-time | static ÷ run-time |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        (int Rows, int Hidden)[] points = [(1, 768), (32, 768), (1000, 768), (100_000, 768), (1, 4096), (128, 4096), (10_000, 4096)];
        float[] x = s_x, y = s_y, gamma = s_gamma, beta = s_beta;
        foreach ((int rows, int hidden) in points)
        {
            int n = rows * hidden;
            Action[] methods =
            [
                () => Kernels.LayerNorm(hidden, x.AsSpan(s_offset, n), gamma.AsSpan(0, hidden), beta.AsSpan(0, hidden), y.AsSpan(s_offset, n)),
                () => GrowthKernels.LayerNorm(x.AsSpan(s_offset, n), hidden, gamma.AsSpan(0, hidden), beta.AsSpan(0, hidden), y.AsSpan(s_offset, n)),
                () => Kernels.RmsNorm(hidden, x.AsSpan(s_offset, n), gamma.AsSpan(0, hidden), y.AsSpan(s_offset, n)),
                () => GrowthKernels.RmsNorm(x.AsSpan(s_offset, n), hidden, gamma.AsSpan(0, hidden), y.AsSpan(s_offset, n)),
            ];
            // Every point past tiered compilation first: the static kernels have not run the grid, and each row count can
            // take paths of the engine that 1 row did not (the pairs, the copied γ and β, the prefetching loop). Warmed
            // at the 1-row points only, the static kernels read 0.03-0.46× the run-time one at 32 × 768, 1,000 × 768 and
            // 128 × 4,096 (2026-12-02), and a stand-alone loop of [LayerNorm(768)] at 600 × 768 took 2.1× the time after
            // 300 ms of warm-up and a 200 ms pause, the same as the run-time kernel after 2 s.
            foreach (Action m in methods) Spin(m, TimeSpan.FromMilliseconds(300));
            Thread.Sleep(Pause);
            foreach (Action m in methods) Spin(m, TimeSpan.FromMilliseconds(300));
            (double?[] t, _) = Measure(methods);
            double bytes = 2.0 * sizeof(float) * n;
            string Cell(double s) => rows == 1 ? $"{s * 1e9:F0} ns" : $"{bytes / s / 1e9:F1}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {rows:N0} × {hidden:N0} | {Cell(t[0]!.Value)} | {Cell(t[1]!.Value)} | {t[1] / t[0]:F2}× | {Cell(t[2]!.Value)} | {Cell(t[3]!.Value)} | {t[3] / t[2]:F2}× |"));
        }
        Console.WriteLine();
    }

    // ---------------------------------------------------------------- chart

    private static void Draw(string path, List<Case> cases, CacheSizes caches)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category20();
        for (int h = 0; h < HiddenSizes.Length; h++)
        {
            Case[] line = cases.Where(c => c.Hidden == HiddenSizes[h]).OrderBy(c => c.Bytes).ToArray();
            var scatter = plot.Add.Scatter(line.Select(c => Math.Log2(c.Bytes)).ToArray(), line.Select(c => c.GBps(Ln)!.Value).ToArray(), palette.GetColor(h));
            scatter.LegendText = $"hidden {HiddenSizes[h]:N0}";
            scatter.LineWidth = 2;
            scatter.MarkerSize = 6;
        }
        Case[] all = cases.OrderBy(c => c.Bytes).ToArray();
        var copy = plot.Add.Scatter(all.Select(c => Math.Log2(c.Bytes)).ToArray(), all.Select(c => c.GBps(NtCopy)!.Value).ToArray(), Colors.Gray);
        copy.LegendText = "NT copy, same bytes";
        copy.LineWidth = 0;
        copy.MarkerSize = 4;
        foreach ((string name, long size) in new[] { ("L1d", caches.L1d), ("L2", caches.L2), ("L3", caches.L3) })
        {
            if (size <= 0) continue;
            var v = plot.Add.VerticalLine(Math.Log2(size), 1.5f, Colors.Black, LinePattern.Dotted);
            v.LegendText = $"{name} {CacheSizes.Size(size)} (x + y)";
        }
        double[] ticks = Enumerable.Range(9, 23).Where(k => k % 2 == 1).Select(k => (double)k).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks, ticks.Select(k => CacheSizes.Size(Math.Pow(2, k))).ToArray());
        plot.Axes.SetLimitsY(0, cases.Max(c => Math.Max(c.GBps(Ln)!.Value, c.GBps(NtCopy)!.Value)) * 1.1);
        plot.Title("LayerNorm, run-time row length, float, 1 thread: GB/s against bytes moved (rows 1 … 10⁶)");
        plot.XLabel("bytes moved per call (x read + y written; log scale)");
        plot.YLabel("GB/s");
        plot.ShowLegend(Edge.Right);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, 1100, 600);
    }

    private static string ProcessorName()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture + " (model name unknown)";
    }
}
