using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;

namespace NormGen.Benchmarks;

/// <summary>
/// <c>latency</c> mode: where the time of one 1×768 LayerNorm call goes, side by side in one process. Times the whole
/// call at 1 and 2 rows (the difference is one row body; 2·t(1) − t(2) is the fixed cost of a call), the generated
/// prologue's pieces on their own (the argument checks in <see cref="NormGuard"/>, the scheduler's two decisions), the
/// run-time row-length declaration and the TensorPrimitives composition at the same shape; a hand copy of the row body
/// with two kinds of horizontal sum (<see cref="RowReplica"/>); and the call's time against where its buffers lie
/// (distance from the inputs to y mod 4096, offset from a 64-byte boundary).
/// </summary>
/// <remarks>
/// Every variant is a plain loop over direct calls (no delegate), so the loop costs well under a nanosecond per call.
/// Each warms up for 300 ms, the process sleeps 300 ms (tier-1 code installed), each warms up again; then
/// <see cref="Samples"/> batches of <see cref="Calls"/> calls go round the variants in turn and the median is printed.
/// </remarks>
public static class Latency
{
    private const int Calls = 2_000, Samples = 101;
    private static readonly float[] s_x = new Workload(new BatchShape(2, 768)).X, s_y = new float[2 * 768];
    private static readonly float[] s_gamma = new Workload(new BatchShape(1, 768), seed: 3).Gamma, s_beta = new Workload(new BatchShape(1, 768), seed: 3).Beta;
    private static int s_sink;

    private static readonly (string Name, Func<int, int> Loop)[] Variants =
    [
        ("LayerNorm768, 1 row (the whole call)", StaticOneRow),
        ("LayerNorm768, 2 rows", StaticTwoRows),
        ("LayerNorm768, 1 row: the second row of the 2-row case", StaticSecondRow),
        ("run-time row length, 1×768", RunTimeOneRow),
        ("argument checks only (RowCount, 3 × Length, 3 overlap checks)", ChecksOnly),
        ("scheduler decisions only (DegreeOfParallelism, UseStreamingStores)", SchedulerOnly),
        ("TensorPrimitives composition, 1×768", Composition),
        ("experiment: the row body copied by hand, Vector512.Sum (RowReplica)", ReplicaLibrarySum),
        ("experiment: the same with 8-instruction halving sums", ReplicaHalvingSum),
        ("empty loop", Empty),
    ];

    public static int Run(string[] args)
    {
        NormGenSettings.MaxDegreeOfParallelism = 1;
        Console.WriteLine($"1×768 LayerNorm latency, 1 thread; {Samples} batches of {Calls:N0} calls per variant, median ns per call.");
        foreach (var v in Variants) Spin(v.Loop, TimeSpan.FromMilliseconds(300));
        Thread.Sleep(300);
        foreach (var v in Variants) Spin(v.Loop, TimeSpan.FromMilliseconds(300));
        var ns = new double[Variants.Length][];
        for (int i = 0; i < Variants.Length; i++) ns[i] = new double[Samples];
        for (int s = 0; s < Samples; s++)
            for (int i = 0; i < Variants.Length; i++)
            {
                long start = Stopwatch.GetTimestamp();
                s_sink += Variants[i].Loop(Calls);
                ns[i][s] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / Calls;
            }
        double[] median = ns.Select(a => a.Order().ElementAt(Samples / 2)).ToArray();
        double[] best = ns.Select(a => a.Min()).ToArray();
        Console.WriteLine();
        Console.WriteLine("| variant | ns per call (median) | fastest batch |");
        Console.WriteLine("| --- | ---: | ---: |");
        for (int i = 0; i < Variants.Length; i++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {Variants[i].Name} | {median[i]:F1} | {best[i]:F1} |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Addresses mod 4096 of this run's buffers: x {Mod4K(s_x)}, γ {Mod4K(s_gamma)}, β {Mod4K(s_beta)}, y {Mod4K(s_y)} (row 2: x, y + 3072)."));
        foreach ((string which, double[] t) in new[] { ("medians", median), ("fastest batches", best) })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"From the {which}: one row body ≈ t(2 rows) − t(1 row) = {t[1] - t[0]:F1} ns; fixed cost of a call ≈ 2·t(1) − t(2) = {2 * t[0] - t[1]:F1} ns " +
                $"(of which checks {t[4]:F1}, scheduler {t[5]:F1}; the loop {t[^1]:F1})."));
        Placement();
        return 0;
    }

    private static unsafe long Mod4K(float[] a)
    {
        fixed (float* p = a) return (long)((nuint)p % 4096);
    }

    /// <summary>
    /// 1×768 with x, γ and β 4 KiB-aligned and y placed <c>d</c> bytes past a 4 KiB boundary: the row's time against
    /// the distance, mod 4096, from each input to y. Stores to y[i] followed by loads of an input at the same address
    /// bits 0–11 (4K aliasing) wait for the store, so a call's time depends on where the allocator put the buffers.
    /// </summary>
    private static void Placement()
    {
        const int n = 768, page = 1024; // floats per 4 KiB
        float[] buffer = GC.AllocateArray<float>(16 * page, pinned: true);
        int start = (int)((4096 - Mod4K(buffer)) % 4096 / sizeof(float));
        Span<float> all = buffer.AsSpan(start);
        s_x.AsSpan(0, n).CopyTo(all.Slice(0, n));
        s_gamma.CopyTo(all.Slice(4 * page, n));
        s_beta.CopyTo(all.Slice(8 * page, n));
        int[] offsets = [0, 16, 64, 128, 256, 512, 768];
        var ns = new double[offsets.Length][];
        for (int k = 0; k < offsets.Length; k++) ns[k] = new double[Samples];
        for (int s = 0; s < Samples; s++)
            for (int k = 0; k < offsets.Length; k++)
            {
                ReadOnlySpan<float> x = all.Slice(0, n), gamma = all.Slice(4 * page, n), beta = all.Slice(8 * page, n);
                Span<float> y = all.Slice(12 * page + offsets[k], n);
                long begin = Stopwatch.GetTimestamp();
                for (int i = 0; i < Calls; i++) Kernels.LayerNorm768(x, gamma, beta, y);
                ns[k][s] = Stopwatch.GetElapsedTime(begin).TotalNanoseconds / Calls;
            }
        Console.WriteLine();
        Console.WriteLine("| x, γ, β 4 KiB-aligned; y − x (mod 4096) | ns per call (median) | fastest batch |");
        Console.WriteLine("| ---: | ---: | ---: |");
        for (int k = 0; k < offsets.Length; k++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {offsets[k] * sizeof(float)} B | {ns[k].Order().ElementAt(Samples / 2):F1} | {ns[k].Min():F1} |"));

        // The same four buffers all moved by the same few bytes past a 64-byte boundary: every 512-bit load and store
        // of the row then spans two cache lines.
        int[] shifts = [0, 1, 4, 8, 12];
        var split = new double[shifts.Length][];
        for (int k = 0; k < shifts.Length; k++) split[k] = new double[Samples];
        for (int s = 0; s < Samples; s++)
            for (int k = 0; k < shifts.Length; k++)
            {
                int o = shifts[k];
                ReadOnlySpan<float> x = all.Slice(o, n), gamma = all.Slice(4 * page + o, n), beta = all.Slice(8 * page + o, n);
                Span<float> y = all.Slice(12 * page + 2 * 256 + o, n);
                long begin = Stopwatch.GetTimestamp();
                for (int i = 0; i < Calls; i++) Kernels.LayerNorm768(x, gamma, beta, y);
                split[k][s] = Stopwatch.GetElapsedTime(begin).TotalNanoseconds / Calls;
            }
        Console.WriteLine();
        Console.WriteLine("| x, γ, β, y all this far past a 64-byte boundary (y − x ≡ 2048 mod 4096) | ns per call (median) | fastest batch |");
        Console.WriteLine("| ---: | ---: | ---: |");
        for (int k = 0; k < shifts.Length; k++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {shifts[k] * sizeof(float)} B | {split[k].Order().ElementAt(Samples / 2):F1} | {split[k].Min():F1} |"));
    }

    private static void Spin(Func<int, int> loop, TimeSpan duration)
    {
        var watch = Stopwatch.StartNew();
        do s_sink += loop(1000); while (watch.Elapsed < duration);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int StaticOneRow(int calls)
    {
        ReadOnlySpan<float> x = s_x.AsSpan(0, 768), gamma = s_gamma, beta = s_beta;
        Span<float> y = s_y.AsSpan(0, 768);
        for (int i = 0; i < calls; i++) Kernels.LayerNorm768(x, gamma, beta, y);
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int StaticTwoRows(int calls)
    {
        ReadOnlySpan<float> x = s_x, gamma = s_gamma, beta = s_beta;
        Span<float> y = s_y;
        for (int i = 0; i < calls; i++) Kernels.LayerNorm768(x, gamma, beta, y);
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int StaticSecondRow(int calls)
    {
        ReadOnlySpan<float> x = s_x.AsSpan(768, 768), gamma = s_gamma, beta = s_beta;
        Span<float> y = s_y.AsSpan(768, 768);
        for (int i = 0; i < calls; i++) Kernels.LayerNorm768(x, gamma, beta, y);
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int RunTimeOneRow(int calls)
    {
        ReadOnlySpan<float> x = s_x.AsSpan(0, 768), gamma = s_gamma, beta = s_beta;
        Span<float> y = s_y.AsSpan(0, 768);
        for (int i = 0; i < calls; i++) GrowthKernels.LayerNorm(x, 768, gamma, beta, y);
        return 0;
    }

    /// <summary>The checks of the generated LayerNorm768 prologue, in its order, with its arguments.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ChecksOnly(int calls)
    {
        ReadOnlySpan<float> x = s_x.AsSpan(0, 768), gamma = s_gamma, beta = s_beta;
        Span<float> y = s_y.AsSpan(0, 768);
        int sum = 0;
        for (int i = 0; i < calls; i++)
        {
            const int rowLength = 768;
            int rows = NormGuard.RowCount(x.Length, rowLength, "x");
            NormGuard.Length(y.Length, x.Length, "y", "the same as x");
            NormGuard.Length(gamma.Length, rowLength, "gamma", "one per normalized element");
            NormGuard.Length(beta.Length, rowLength, "beta", "one per normalized element");
            NormGuard.NoPartialOverlap(x, y, "x", "y");
            NormGuard.NoOverlapWithInput(gamma, y, "gamma", "y");
            NormGuard.NoOverlapWithInput(beta, y, "beta", "y");
            sum += rows;
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int SchedulerOnly(int calls)
    {
        int sum = 0, rows = s_x.Length / 768 - 1;
        for (int i = 0; i < calls; i++)
        {
            int threads = RowScheduler.DegreeOfParallelism(rows, 768);
            bool streaming = RowScheduler.UseStreamingStores((long)s_y.Length / 2 * sizeof(float));
            sum += threads + (streaming ? 1 : 0);
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Composition(int calls)
    {
        ReadOnlySpan<float> x = s_x.AsSpan(0, 768), gamma = s_gamma, beta = s_beta;
        Span<float> y = s_y.AsSpan(0, 768);
        for (int i = 0; i < calls; i++) Baselines.TensorPrimitivesLayerNorm(x, 768, gamma, beta, y);
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReplicaLibrarySum(int calls)
    {
        ReadOnlySpan<float> x = s_x.AsSpan(0, 768), gamma = s_gamma, beta = s_beta;
        Span<float> y = s_y.AsSpan(0, 768);
        int sum = 0;
        for (int i = 0; i < calls; i++) sum += RowReplica.Row<RowReplica.LibrarySum>(x, gamma, beta, y) ? 1 : 0;
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReplicaHalvingSum(int calls)
    {
        ReadOnlySpan<float> x = s_x.AsSpan(0, 768), gamma = s_gamma, beta = s_beta;
        Span<float> y = s_y.AsSpan(0, 768);
        int sum = 0;
        for (int i = 0; i < calls; i++) sum += RowReplica.Row<RowReplica.HalvingSum>(x, gamma, beta, y) ? 1 : 0;
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Empty(int calls)
    {
        int sum = 0;
        for (int i = 0; i < calls; i++) sum += Volatile.Read(ref s_sink) & 1;
        return sum;
    }
}
