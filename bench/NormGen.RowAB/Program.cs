extern alias baseline;

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading;
using Current = NormGen.RowAB.Adapter;
using Old = baseline::NormGen.RowAB.Adapter;

namespace NormGen.RowAB;

/// <summary>
/// The row kernels of this tree (NormGen.RowAB.K, generated now) against a baseline generator's output of the same
/// declarations (baseline::NormGen.RowAB.K): bitwise equality of y, the residual stream and the saved statistics over
/// run-time lengths 1…1100, the compile-time shapes, ordinary, constant, large-mean, huge (squares overflow), NaN and
/// ±∞ rows, in place, streaming stores, several threads and one row per call (y of a kernel whose activation takes an
/// exponential within 4 ulps of the call's largest |y|: the baseline keeps its commit's activations, the BCL's
/// exponential, and this tree has its own); then (<c>--time</c>) interleaved timing, one thread.
/// Usage: <c>bench/NormGen.RowAB/baseline.sh eba5bfa &amp;&amp; dotnet run -c Release --project bench/NormGen.RowAB [-- [--no-check] [--pipeline MODE] --time [--cpu] [--rounds N] [--only KERNEL] [--cases KERNEL:ROWSxN,…] [--place X/Y,…]]</c>;
/// with DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0 or DOTNET_EnableHWIntrinsic=0 for the 256-bit, 128-bit and scalar paths.
/// </summary>
public static class Program
{
    private static readonly int[] RunTimeLengths =
        { 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 47, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 511, 512, 513, 767, 768, 769, 1000, 1023, 1024, 1025, 1099, 1100 };

    private const int Variants = 9;

    /// <summary>
    /// Modes: 0 plain, 1 in place with y one element into its array, 2 streaming stores, 3 streaming in place, 4 threads,
    /// 5 one row (the engine's one-row path; the other modes pass 3 or 7 rows).
    /// </summary>
    private const int Modes = 6;

    public static int Main(string[] args)
    {
        InlineLog.StartIfAsked();
        // --pipeline 2: RowEngine's private s_pipelineMode (0 the default, 1 no cross-row pipeline, 2 the pipeline for every
        // row form it can run: here the streaming modes), set by reflection as the tests and the benchmark's --pipeline-ab do.
        int pipelineMode = args.SkipWhile(a => a != "--pipeline").Skip(1).Select(int.Parse).FirstOrDefault(0);
        typeof(RowEngine).GetField("s_pipelineMode", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.SetValue(null, pipelineMode);
        string isa = Vector512.IsHardwareAccelerated ? "AVX-512" : Vector256.IsHardwareAccelerated ? "AVX2 (256-bit)" : Vector128.IsHardwareAccelerated ? "128-bit" : "scalar";
        int total = 0, equal = 0;
        foreach (var kernel in Current.Kernels.Where(_ => !args.Contains("--no-check")))
        {
            int[] lengths = kernel.StaticLength > 0 ? new[] { kernel.StaticLength } : RunTimeLengths;
            foreach (int n in lengths)
                for (int variant = 0; variant < Variants; variant++)
                    for (int mode = 0; mode < Modes; mode++)
                    {
                        if (mode is 1 or 3 && (kernel.Element != kernel.Output || kernel.Tensor && mode == 1)) continue;
                        total++;
                        string? why = Compare(kernel, n, variant, mode);
                        if (why is null) equal++;
                        else if (total - equal <= 40) Console.WriteLine($"MISMATCH {kernel.Name} n={n} variant={variant} mode={mode}: {why}");
                    }
        }
        Settings(mode: 0);
        Console.WriteLine($"{isa}: {equal}/{total} combinations equal (kernel × row length × input × mode; y, residual stream and statistics compared bit for bit; " +
            $"an exponential activation's y within {ActivationUlps} ulps of the call's largest |y|).");
        if (s_activationUlps.Count > 0)
            Console.WriteLine($"  of them {s_activationNear} with an activation's y not bit for bit (the exponential: VectorExp against the baseline's BCL Exp); " +
                "largest difference per kernel in ulps of the call's largest |y| (and in ulps of the element): " +
                string.Join(", ", s_activationUlps.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value.Scaled:F2} ({k.Value.Ulps})")));
        if (args.Contains("--time")) Time(args);
        return equal == total ? 0 : 1;
    }

    private static void Settings(int mode)
    {
        NormGenSettings.MaxDegreeOfParallelism = mode == 4 ? 3 : 1;
        NormGenSettings.MinElementsPerThread = mode == 4 ? 1 : 16384;
        NormGenSettings.StreamingStoreThreshold = mode is 2 or 3 ? 0 : long.MaxValue;
    }

    private sealed class Buffers
    {
        public object X = null!, Residual = null!, Bias = null!, Gamma = null!, Beta = null!, Y = null!, ResidualOut = null!, Mean = null!, Rstd = null!;
    }

    private static string? Compare((string Name, string Element, string Output, int StaticLength, bool Tensor, string Roles) kernel, int n, int variant, int mode)
    {
        Settings(mode);
        int rows = mode switch { 4 => 7, 5 => 1, _ => 3 };
        int off = kernel.Tensor ? 0 : mode switch { 1 => 1, 2 => 3, _ => 0 };
        bool inPlace = mode is 1 or 3;
        Buffers a = Make(kernel.Element, kernel.Output, rows, n, off, variant, inPlace), b = Make(kernel.Element, kernel.Output, rows, n, off, variant, inPlace);
        try
        {
            Old.Run(kernel.Name, rows, n, off, a.X, a.Residual, a.Bias, a.Gamma, a.Beta, a.Y, a.ResidualOut, a.Mean, a.Rstd);
            Current.Run(kernel.Name, rows, n, off, b.X, b.Residual, b.Bias, b.Gamma, b.Beta, b.Y, b.ResidualOut, b.Mean, b.Rstd);
        }
        catch (Exception e)
        {
            return e.GetType().Name + ": " + e.Message;
        }
        if (!Same(a.Y, b.Y))
        {
            // An activation's exponential is the runtime's VectorExp on the new side and the BCL's on the baseline's
            // (baseline-gen/Activations.cs): y within a few ulps of its largest |y|, everything else bit for bit.
            // GELU's 1 + erf cancels: a tiny output carries its input's absolute error, so the bound is in ulps of the
            // call's largest |y| (an ulp of each element is reported too).
            if (!HasExponential(kernel.Name)) return "y differs";
            long ulps = MaxUlps(a.Y, b.Y);
            double scaled = MaxScaledDifference(a.Y, b.Y);
            var (u, sc) = s_activationUlps.GetValueOrDefault(kernel.Name);
            s_activationUlps[kernel.Name] = (Math.Max(u, ulps), Math.Max(sc, scaled));
            if (!(scaled <= ActivationUlps)) return $"y differs by {scaled:F1} ulps of its largest |y| ({ulps} ulps of an element)";
            s_activationNear++;
            if (ReferenceEquals(a.X, a.Y)) a.X = b.X; // in place: x is y, compared above
        }
        if (!Same(a.ResidualOut, b.ResidualOut)) return "residualOut differs";
        if (!Same(a.Residual, b.Residual)) return "residual differs";
        if (!Same(a.Mean, b.Mean)) return "mean differs";
        if (!Same(a.Rstd, b.Rstd)) return "rstd differs";
        if (!Same(a.X, b.X)) return "x differs";
        return null;
    }

    private static bool Same(object p, object q) => Bytes(p).SequenceEqual(Bytes(q));

    /// <summary>
    /// The most by which y of an activation kernel may differ from the baseline's (see Compare), in ulps of the call's
    /// largest |y|.
    /// </summary>
    private const double ActivationUlps = 4;
    private static readonly Dictionary<string, (long Ulps, double Scaled)> s_activationUlps = new();
    private static int s_activationNear;

    /// <summary>Whether the kernel's activation takes an exponential (GELU, its tanh form, SiLU, tanh, sigmoid).</summary>
    private static bool HasExponential(string kernel) => new[] { "Gelu", "Silu", "Tanh", "Sigmoid" }.Any(kernel.Contains);

    /// <summary>The largest distance in units in the last place between two arrays' elements (NaN and NaN: 0).</summary>
    private static long MaxUlps(object p, object q) => (p, q) switch
    {
        (float[] f, float[] g) => f.Zip(g, (u, v) => float.IsNaN(u) && float.IsNaN(v) ? 0 : Math.Abs(Ordered(BitConverter.SingleToInt32Bits(u), int.MaxValue) - Ordered(BitConverter.SingleToInt32Bits(v), int.MaxValue))).Max(),
        (double[] f, double[] g) => f.Zip(g, (u, v) => double.IsNaN(u) && double.IsNaN(v) ? 0 : Math.Abs(Ordered(BitConverter.DoubleToInt64Bits(u), long.MaxValue) - Ordered(BitConverter.DoubleToInt64Bits(v), long.MaxValue))).Max(),
        (Half[] f, Half[] g) => f.Zip(g, (u, v) => Half.IsNaN(u) && Half.IsNaN(v) ? 0 : Math.Abs(Ordered(BitConverter.HalfToInt16Bits(u), short.MaxValue) - Ordered(BitConverter.HalfToInt16Bits(v), short.MaxValue))).Max(),
        _ => throw new ArgumentException(),
    };

    /// <summary>
    /// The largest |p − q| over the elements, in ulps of the largest finite |q|; non-finite elements must be equal (else
    /// +∞).
    /// </summary>
    private static double MaxScaledDifference(object p, object q)
    {
        double[] a = Doubles(p), b = Doubles(q);
        double largest = b.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max(), worst = 0;
        double ulp = q switch
        {
            float[] => Math.Max(MathF.BitIncrement((float)largest) - (float)largest, float.Epsilon),
            Half[] => Math.Max((double)Half.BitIncrement((Half)largest) - (double)(Half)largest, (double)Half.Epsilon),
            _ => Math.Max(Math.BitIncrement(largest) - largest, double.Epsilon),
        };
        for (int i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(a[i]) && double.IsNaN(b[i]) || a[i] == b[i]) continue;
            if (!double.IsFinite(a[i]) || !double.IsFinite(b[i])) return double.PositiveInfinity;
            worst = Math.Max(worst, Math.Abs(a[i] - b[i]) / ulp);
        }
        return worst;
    }

    private static double[] Doubles(object a) => a switch
    {
        float[] f => f.Select(v => (double)v).ToArray(),
        double[] d => d,
        Half[] h => h.Select(v => (double)v).ToArray(),
        _ => throw new ArgumentException(),
    };

    // Sign-magnitude bits (sign-extended) to a monotonic integer line, −0 and +0 both 0.
    private static long Ordered(long bits, long magnitudeMask) => bits < 0 ? -(bits & magnitudeMask) : bits;

    private static ReadOnlySpan<byte> Bytes(object a) => a switch
    {
        float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
        double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
        Half[] h => MemoryMarshal.AsBytes(h.AsSpan()),
        _ => throw new ArgumentException(),
    };

    private static Buffers Make(string element, string output, int rows, int n, int off, int variant, bool inPlace)
    {
        var random = new Random(1234 + 31 * variant + n);
        int length = rows * n + off;
        var b = new Buffers
        {
            X = Array(element, Row(random, rows, n, off, variant, element)),
            Residual = Array(element, Row(random, rows, n, off, 0, element)),
            Bias = Array(element, Column(random, n, -0.5, 0.5)),
            Gamma = Array(element, Column(random, n, 0.5, 1.5)),
            Beta = Array(element, Column(random, n, -0.5, 0.5)),
            Mean = Array(element == "double" ? "double" : "float", Enumerable.Repeat(-7.0, rows).ToArray()),
            Rstd = Array(element == "double" ? "double" : "float", Enumerable.Repeat(-7.0, rows).ToArray()),
        };
        b.Y = inPlace ? b.X : Array(output, Enumerable.Repeat(-9.0, length).ToArray());
        b.ResidualOut = inPlace ? b.Residual : Array(element, Enumerable.Repeat(-9.0, length).ToArray());
        return b;
    }

    private static double[] Column(Random random, int n, double low, double high)
        => Enumerable.Range(0, n).Select(_ => low + (high - low) * random.NextDouble()).ToArray();

    /// <summary>
    /// Rows by variant: 0 ordinary (mean 3, spread 2); 1 constant rows; 2 mean 1e4 with σ 1e-3; 3 a few 3e19 (float's
    /// squares overflow; 1e160 for double); 4 a few 1e30 (1e300 for double); 5 a NaN in row 1; 6 +∞ in row 0, −∞ in
    /// row 2; 7 mixed rows: ordinary, one huge element among zeros, constant; 8 a trend along the row (the shift of the
    /// first vector lies far from the mean: the exact second pass).
    /// </summary>
    private static double[] Row(Random random, int rows, int n, int off, int variant, string element)
    {
        bool dbl = element == "double", half = element == "Half";
        double huge1 = dbl ? 1e160 : half ? 6e4 : 3e19, huge2 = dbl ? 1e300 : half ? 6.5e4 : 1e30;
        var v = new double[rows * n + off];
        for (int i = 0; i < v.Length; i++) v[i] = 3 + 2 * (random.NextDouble() * 2 - 1);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++)
            {
                ref double e = ref v[off + r * n + j];
                switch (variant)
                {
                    case 1: e = 1.25 + r; break;
                    case 2: e = 1e4 + 1e-3 * (random.NextDouble() - 0.5); break;
                    case 3: if ((j * 7 + r) % 5 == 0) e = huge1 * (random.NextDouble() + 0.5); break;
                    case 4: if ((j * 3 + r) % 4 == 0) e = -huge2 * (random.NextDouble() + 0.5); break;
                    case 5: if (r == 1 && j == n / 2) e = double.NaN; break;
                    case 6: if (r == 0 && j == n - 1) e = double.PositiveInfinity; else if (r == 2 && j == 0) e = double.NegativeInfinity; break;
                    case 7: e = r == 0 ? e : r == 1 ? (j == n / 3 ? huge1 : 0) : -2.5; break;
                    case 8: e = 100 + 10.0 * j + (j < 16 ? 1000 : 0); break;
                }
            }
        return v;
    }

    private static object Array(string element, double[] values) => element switch
    {
        "double" => values,
        "Half" => values.Select(d => (Half)d).ToArray(),
        _ => values.Select(d => (float)d).ToArray(),
    };

    // ---------------------------------------------------------------- timing

    private static void Time(string[] args)
    {
        int rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(15);
        s_threadCpuTime = args.Contains("--cpu") && OperatingSystem.IsLinux();
        Settings(mode: 0);
        // --threshold BYTES: NormGenSettings.StreamingStoreThreshold for the timing (default: its default; 0: non-temporal
        // stores wherever they can run, which also turns the store tuning off), e.g. with --pipeline 2 for the pipeline
        // with streaming stores.
        NormGenSettings.StreamingStoreThreshold = args.SkipWhile(a => a != "--threshold").Skip(1).Select(long.Parse).FirstOrDefault(NormGenSettings.DefaultStreamingStoreThreshold);
        // LnSiluF, LnTanhF and LnGeluD time the activations' epilogue beside LnGelu768F. The baseline keeps its own
        // activations (baseline-gen/Activations.cs, the BCL's exponential); with it, whether the JIT inlined the BCL's
        // exponential into the row method decided 1.0× or 1.2–1.4× eba5bfa here, process by process, until VectorExp.
        var cases = new (string Kernel, int Rows, int N)[]
        {
            ("Ln768F", 1, 768), ("Ln768F", 64, 768), ("Ln768F", 2048, 768), ("Rms4096F", 64, 4096), ("LnF", 64, 1024), ("LnF", 256, 100), ("RmsF", 64, 4096),
            ("LnD", 64, 1024), ("LnH", 64, 1024), ("RmsH", 64, 4096), ("AddRms4096F", 64, 4096), ("AddLnF", 64, 1024),
            ("Deep1024F", 64, 1024), ("LnGelu768F", 64, 768), ("LnSiluF", 64, 768), ("LnTanhF", 64, 768), ("LnGeluD", 64, 768), ("GemmaRms2048F", 64, 2048), ("LnTensorF", 64, 768),
            ("LnStatsF", 64, 1024), ("Ln13F", 1024, 13), ("LnF", 4096, 7), ("LnF", 4096, 1024), ("Ln1000D", 64, 1000),
            ("LnF", 2048, 8192), ("RmsF", 2048, 8192), ("AddLnF", 2048, 8192), ("AddLnF", 4096, 1024),
            // Short rows whose x and y together pass the last-level cache (a sweep of 64-1024 floats at 20-51 MB found them,
            // 2026-12-01): the pipeline's 60000×128 was 1.85× eba5bfa before RowEngine.PastCache; 25000×200 1.15-1.22×
            // before rows under 1 KiB prefetched only the next row's first block (5400ff3; since 34b2f6a LayerNorm rows under 2 KiB prefetch nothing).
            ("LnF", 60000, 128), ("LnF", 25000, 200),
            // Paired rows (RowEngine.PairedRows, LayerNorm rows of 9 vectors to 3 KiB in cache): the shapes where pairing gains.
            ("LnF", 32, 256), ("LnD", 32, 200),
            // One row of a run-time length per call: the generated method's checks and the engine's entry weigh most here.
            ("RmsF", 1, 64), ("RmsF", 1, 100), ("LnF", 1, 64), ("LnF", 1, 100), ("LnD", 1, 100),
        };
        // --cases LnF:1000x64,RmsF:10x128 times those cells instead.
        string? list = args.SkipWhile(a => a != "--cases").Skip(1).FirstOrDefault();
        if (list is not null)
            cases = list.Split(',').Select(c => c.Split(':', 'x')).Select(p => (p[0], int.Parse(p[1]), int.Parse(p[2]))).ToArray();
        Console.WriteLine($"Timing, one thread, {rounds} interleaved rounds ({(s_threadCpuTime ? "thread CPU time" : "wall clock")}); best round of each and the ratio new / baseline:");
        Console.WriteLine($"{"kernel",-16} {"rows×n",-12} {"baseline µs",12} {"new µs",10} {"ratio",7} {"median ratio",13}");
        var ratios = new List<double>();
        string? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        // Every selected case runs on both sides first, then a pause: tier-1 code is in place for all of them before the
        // first is timed (under load, the first case was otherwise timed on tier-0 code of the new side: 5× slower).
        foreach (var (name, rows, n) in cases.Where(c => only is null || c.Kernel == only))
        {
            var kernel = Current.Kernels.First(k => k.Name == name);
            Buffers b = Make(kernel.Element, kernel.Output, rows, n, 0, 0, false);
            WarmUp(() => Old.Run(name, rows, n, 0, b.X, b.Residual, b.Bias, b.Gamma, b.Beta, b.Y, b.ResidualOut, b.Mean, b.Rstd));
            WarmUp(() => Current.Run(name, rows, n, 0, b.X, b.Residual, b.Bias, b.Gamma, b.Beta, b.Y, b.ResidualOut, b.Mean, b.Rstd));
        }
        Thread.Sleep(500);
        // Then the same again after the pause: a method whose tier-1 code was queued during the first round is installed
        // by now, and one still counting calls gets the rest.
        foreach (var (name, rows, n) in cases.Where(c => only is null || c.Kernel == only))
        {
            var kernel = Current.Kernels.First(k => k.Name == name);
            Buffers b = Make(kernel.Element, kernel.Output, rows, n, 0, 0, false);
            WarmUp(() => Old.Run(name, rows, n, 0, b.X, b.Residual, b.Bias, b.Gamma, b.Beta, b.Y, b.ResidualOut, b.Mean, b.Rstd));
            WarmUp(() => Current.Run(name, rows, n, 0, b.X, b.Residual, b.Bias, b.Gamma, b.Beta, b.Y, b.ResidualOut, b.Mean, b.Rstd));
        }
        Thread.Sleep(500);
        // --place 16/16,16/2064 times every case once per placement: x's rows from the byte given first modulo 4 KiB, y's
        // from the second (with four numbers, x/residual/y/residualOut; with two, the residual stream 2 KiB after x and
        // residualOut 2 KiB after y; with seven, then bias/γ/β, which otherwise lie 24 bytes past a line, at 2072, 1048 and
        // 3096, as a small array can). Without it the arrays lie where the allocator puts them, which moves memory-bound
        // cells by 10-40% from process to process (4 KiB aliasing between x's loads and y's stores; γ on a line or not).
        int[]?[] placements = args.SkipWhile(a => a != "--place").Skip(1).FirstOrDefault() is string placeList
            ? placeList.Split(',').Select(ParsePlacement).ToArray()
            : new int[]?[] { null };
        foreach (var (name, rows, n) in cases.Where(c => only is null || c.Kernel == only))
        foreach (int[]? placement in placements)
        {
            var kernel = Current.Kernels.First(k => k.Name == name);
            Buffers b = Make(kernel.Element, kernel.Output, rows, n, 0, 0, false);
            int[] offsets = placement is null ? new int[7] : Place(b, placement);
            string where = placement is null ? "" : $"  at {string.Join("/", placement.Take(4))}";
            // Both sides write the same arrays (same alignment).
            Action old = () => Old.Run(name, rows, n, offsets[0], offsets[1], offsets[2], offsets[3], offsets[4], offsets[5], offsets[6], b.X, b.Residual, b.Bias, b.Gamma, b.Beta, b.Y, b.ResidualOut, b.Mean, b.Rstd);
            Action now = () => Current.Run(name, rows, n, offsets[0], offsets[1], offsets[2], offsets[3], offsets[4], offsets[5], offsets[6], b.X, b.Residual, b.Bias, b.Gamma, b.Beta, b.Y, b.ResidualOut, b.Mean, b.Rstd);
            // ROWAB_CONTROL=aa times the baseline against itself, =nn the new kernels against themselves (the harness's own
            // bias between the first and the second of a pair); =swap times the new side first in each pair.
            string? control = Environment.GetEnvironmentVariable("ROWAB_CONTROL");
            if (control == "aa") now = old;
            if (control == "nn") old = now;
            // ROWAB_MODE_AB=M times the new kernels against themselves, the first of each pair with RowEngine's pipeline
            // mode 0 (the default) and the second with mode M (see --pipeline).
            // ROWAB_AB_FIELD names another of RowEngine's private int switches for the same (e.g. s_parameterCopyMode: 1 no
            // copy of γ and β, 2 the copy on a line with the last pass from element 0 instead of from y's vector boundary).
            if (int.TryParse(Environment.GetEnvironmentVariable("ROWAB_MODE_AB"), out int abMode))
            {
                string fieldName = Environment.GetEnvironmentVariable("ROWAB_AB_FIELD") ?? "s_pipelineMode";
                var field = typeof(RowEngine).GetField(fieldName, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
                Action inner = now;
                old = () => { field.SetValue(null, 0); inner(); };
                now = () => { field.SetValue(null, abMode); inner(); };
            }
            // ROWAB_THRESHOLD_AB=BYTES times the new kernels against themselves, the first of each pair with the default
            // NormGenSettings.StreamingStoreThreshold (the last-level cache's size) and the second with BYTES (0: non-temporal
            // stores at every size that can use them).
            if (long.TryParse(Environment.GetEnvironmentVariable("ROWAB_THRESHOLD_AB"), out long threshold))
            {
                Action inner = now;
                old = () => { NormGenSettings.StreamingStoreThreshold = NormGenSettings.DefaultStreamingStoreThreshold; inner(); };
                now = () => { NormGenSettings.StreamingStoreThreshold = threshold; inner(); };
            }
            bool newFirst = control == "swap";
            if (Environment.GetEnvironmentVariable("ROWAB_SHORT") is string shortRounds)
            {
                // ROWAB_SHORT=N: N rounds of a few calls each, alternating, the best of each side: on a machine whose other
                // core (or SMT sibling) is busy, short rounds find the quiet moments that 20 ms rounds never get.
                int few = Math.Max(1, (int)(20 / Math.Max(0.5, Measure(now, 10, 50))));
                double bestOld = double.MaxValue, bestNew = double.MaxValue;
                for (int r = 0; r < int.Parse(shortRounds); r++)
                {
                    bestOld = Math.Min(bestOld, Measure(old, few, 0));
                    bestNew = Math.Min(bestNew, Measure(now, few, 0));
                }
                ratios.Add(bestNew / bestOld);
                Console.WriteLine($"{name,-16} {rows + "×" + n,-12} {bestOld,12:F2} {bestNew,10:F2} {bestNew / bestOld,7:F3}   (short rounds of {few} calls)");
                continue;
            }
            if (Environment.GetEnvironmentVariable("ROWAB_ADDR") is not null)
                Console.WriteLine($"  x, y, gamma, beta mod 4096: {Mod4096(b.X, offsets[0])}, {Mod4096(b.Y, offsets[2])}, {Mod4096(b.Gamma, offsets[5])}, {Mod4096(b.Beta, offsets[6])}");
            int reps = Calibrate(now);
            Measure(old, reps, 300);
            Measure(now, reps, 300);
            Thread.Sleep(100);
            Measure(old, reps, 200);
            Measure(now, reps, 200);
            var o = new List<double>();
            var c = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                if (newFirst) c.Add(Measure(now, reps, 0));
                o.Add(Measure(old, reps, 0));
                if (!newFirst) c.Add(Measure(now, reps, 0));
            }
            double bo = o.Min(), bc = c.Min();
            ratios.Add(bc / bo);
            Console.WriteLine($"{name,-16} {rows + "×" + n,-12} {bo,12:F2} {bc,10:F2} {bc / bo,7:F3} {Median(c) / Median(o),13:F3}{where}");
        }
        Console.WriteLine($"Geometric mean of the best-round ratios: {Math.Exp(ratios.Average(Math.Log)):F3}");
    }

    /// <summary>"x/y", "x/residual/y/residualOut" or those and "/bias/γ/β", bytes modulo 4 KiB (see --place).</summary>
    private static int[] ParsePlacement(string text)
    {
        int[] p = text.Split('/').Select(int.Parse).ToArray();
        int[] parameters = { 2072, 1048, 3096 };
        p = p.Length switch
        {
            2 => new[] { p[0], p[0] + 2048, p[1], p[1] + 2048 }.Concat(parameters).ToArray(),
            4 => p.Concat(parameters).ToArray(),
            7 => p,
            _ => throw new ArgumentException($"--place {text}: two, four or seven byte offsets"),
        };
        return p.Select(v => (v % 4096 + 4096) % 4096).ToArray();
    }

    /// <summary>
    /// Moves x, the residual stream, y, residualOut, the bias, γ and β into pinned arrays with 4 KiB to spare and returns
    /// the element at which each one starts so that they lie at the placement's bytes modulo 4 KiB.
    /// </summary>
    private static int[] Place(Buffers b, int[] placement)
    {
        var offsets = new int[7];
        b.X = Pinned(b.X, placement[0], out offsets[0]);
        b.Residual = Pinned(b.Residual, placement[1], out offsets[1]);
        b.Y = Pinned(b.Y, placement[2], out offsets[2]);
        b.ResidualOut = Pinned(b.ResidualOut, placement[3], out offsets[3]);
        b.Bias = Pinned(b.Bias, placement[4], out offsets[4]);
        b.Gamma = Pinned(b.Gamma, placement[5], out offsets[5]);
        b.Beta = Pinned(b.Beta, placement[6], out offsets[6]);
        return offsets;
    }

    private static object Pinned(object array, int phase, out int offset) => array switch
    {
        float[] f => Pinned(f, phase, out offset),
        double[] d => Pinned(d, phase, out offset),
        Half[] h => Pinned(h, phase, out offset),
        _ => throw new ArgumentException(nameof(array)),
    };

    private static unsafe T[] Pinned<T>(T[] source, int phase, out int offset) where T : unmanaged
    {
        if (phase % sizeof(T) != 0) throw new ArgumentException($"--place: {phase} is not a multiple of the element's {sizeof(T)} bytes");
        var target = GC.AllocateArray<T>(source.Length + 4096 / sizeof(T), pinned: true);
        fixed (T* start = target)
            offset = (int)(((phase - (long)start) % 4096 + 4096) % 4096) / sizeof(T);
        source.CopyTo(target, offset);
        return target;
    }

    /// <summary>The address of element <paramref name="offset"/> of <paramref name="array"/> modulo 4 KiB (ROWAB_ADDR).</summary>
    private static long Mod4096(object array, int offset)
    {
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        try { return ((long)handle.AddrOfPinnedObject() + offset * (long)Buffer.ByteLength((Array)array) / ((Array)array).Length) % 4096; } finally { handle.Free(); }
    }

    private static double Median(List<double> values) => values.OrderBy(v => v).ElementAt(values.Count / 2);

    /// <summary>
    /// Runs <paramref name="run"/> for at least 150 ms and 60 calls. A method is promoted to tier 1 after 30 calls counted
    /// once the runtime's tiering delay has passed, and 150 ms had held as few as 15 calls of a 10 ms case: under
    /// DOTNET_JitDisasm, LnF 50,000 × 768's row method was listed only at tier 0 and as on-stack-replacement code in a short
    /// run (2026-12-02); with this warm-up it reaches tier 1 before the rounds.
    /// </summary>
    private static void WarmUp(Action run)
    {
        var sw = Stopwatch.StartNew();
        for (int calls = 0; calls < 60 || sw.ElapsedMilliseconds < 150; calls++) run();
    }

    private static int Calibrate(Action run)
    {
        run();
        var sw = Stopwatch.StartNew();
        int reps = 0;
        while (sw.ElapsedMilliseconds < 20) { run(); reps++; }
        return Math.Max(1, reps);
    }

    private static bool s_threadCpuTime;

    private static double Measure(Action run, int reps, int minMs)
    {
        var total = Stopwatch.StartNew();
        double perCall;
        do
        {
            var sw = Stopwatch.StartNew();
            double cpu0 = ThreadCpuMicroseconds();
            for (int i = 0; i < reps; i++) run();
            perCall = (s_threadCpuTime ? ThreadCpuMicroseconds() - cpu0 : sw.Elapsed.TotalMicroseconds) / reps;
        } while (total.ElapsedMilliseconds < minMs);
        return perCall;
    }

    /// <summary>This thread's CPU time in µs under <c>--cpu</c> (<see cref="NormGen.Bench.ThreadCpuClock"/>), 0 otherwise.</summary>
    private static double ThreadCpuMicroseconds() => s_threadCpuTime ? NormGen.Bench.ThreadCpuClock.Microseconds() : 0;
}
