using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Threading;

namespace NormGen.TensorAB;

/// <summary>
/// The tensor kernels of this tree (NormGen.Tests.Tensors, generated now) against a baseline generator's output
/// (Baseline.Tensors, from baseline.sh): bitwise equality on ordinary, odd-shaped, constant, huge-valued and NaN
/// inputs, then interleaved timing (single thread): the best round of each side and the ratio new / baseline per kernel.
/// Both sides are timed on the same input, output and parameter arrays: with an output array each, their alignments
/// differ (one 64-byte aligned, the other not, say) and the one whose 512-bit stores split cache lines loses a few
/// percent that has nothing to do with its code.
/// Usage: <c>bench/NormGen.TensorAB/baseline.sh &lt;commit&gt; &amp;&amp; dotnet run --project bench/NormGen.TensorAB -c Release [-- [--no-check] [--cpu] [--rounds N] [--batch-ms N] [--only TEXT]]</c>
/// (<c>--no-check</c> skips the bitwise check, <c>--cpu</c> times thread CPU time instead of wall clock, <c>--only</c> times only the cases whose "kernel type shape" line contains TEXT, e.g. <c>"Standardize float"</c>;
/// <c>--threads</c> times, on all cores, the shapes only the new splits spread over threads; TENSORAB_AB=Type.s_field=V
/// times and checks this tree against itself with a runtime switch 0 and V, see <see cref="Switch"/>).
/// </summary>
public static class Program
{
    private delegate void Kernel<T>(T[] x, T[] y, nint[] shape, T[] p);

    private sealed record Case(string Name, string Type, nint[] Shape, Action<int> Old, Action<int> New, Func<int, bool> Same);

    public static int Main(string[] args)
    {
        int rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(21);
        // --batch-ms N: the length of one timed batch (default 20 ms); shorter batches fit between the scheduler's
        // interruptions on a loaded machine, so the best round is more often an undisturbed one.
        s_batchMs = args.SkipWhile(a => a != "--batch-ms").Skip(1).Select(int.Parse).FirstOrDefault(20);
        var cases = new List<Case>();
        Add<float>(cases, "float");
        Add<double>(cases, "double");

        // Bitwise on all cores (the default) and on one thread: the two can take different paths (column ranges, or the
        // whole panel), and both must give the baseline's bits.
        // --no-check skips it (timing a runtime change whose bits bench/bits.sh checks anyway).
        int mismatches = 0;
        // With TENSORAB_AB the check compares the tree with the switch at 0 ("baseline") against the tree with it set.
        s_check = Switch.FromEnvironment();
        foreach (int degree in args.Contains("--no-check") ? Array.Empty<int>() : new[] { -1, 1 })
        {
            NormGenSettings.MaxDegreeOfParallelism = degree;
            foreach (Case c in cases)
                for (int variant = 0; variant < 4; variant++)
                    if (!c.Same(variant))
                    {
                        mismatches++;
                        Console.WriteLine($"MISMATCH {c.Name} {c.Type} [{string.Join("×", c.Shape)}] input variant {variant}, MaxDegreeOfParallelism {degree}");
                    }
        }
        if (!args.Contains("--no-check"))
            Console.WriteLine($"Bitwise: {cases.Count * 8 - mismatches} of {cases.Count * 8} (kernel, shape, input, all cores or one thread) combinations equal to the baseline.");

        if (args.Contains("--threads"))
        {
            TimeSplits(rounds);
            return mismatches == 0 ? 0 : 1;
        }

        NormGenSettings.MaxDegreeOfParallelism = 1;
        s_threadCpuTime = args.Contains("--cpu") && OperatingSystem.IsLinux();
        Console.WriteLine($"Timing, one thread, {rounds} interleaved rounds ({(s_threadCpuTime ? "thread CPU time" : "wall clock")}); best round of each (the least disturbed on a loud machine) and the ratio of the medians:");
        Console.WriteLine($"{"kernel",-20} {"type",-7} {"shape",-16} {"baseline µs",12} {"new µs",10} {"ratio",7} {"median ratio",13}");
        string? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        Switch? ab = Switch.FromEnvironment();
        if (ab is not null)
            Console.WriteLine($"A/B: this tree's kernels against themselves, \"baseline\" with {ab.Name} = 0, \"new\" with {ab.Name} = {ab.Value}");
        var ratios = new List<double>();
        foreach (Case c in cases)
        {
            if (only != null && !$"{c.Name} {c.Type} {string.Join("×", c.Shape)}".Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
            Action<int> oldSide = ab is null ? c.Old : c.New;
            double TimeOld(int reps, int minMs) { ab?.Set(0); return Time(oldSide, reps, minMs); }
            double TimeNew(int reps, int minMs) { ab?.Set(ab.Value); return Time(c.New, reps, minMs); }
            ab?.Set(ab.Value);
            int reps = Calibrate(c.New);
            TimeOld(reps, 300); // warm-up past tiered compilation
            TimeNew(reps, 300);
            Thread.Sleep(100);
            TimeOld(reps, 200);
            TimeNew(reps, 200);
            var old = new List<double>();
            var now = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                old.Add(TimeOld(reps, 0));
                now.Add(TimeNew(reps, 0));
            }
            ab?.Set(0);
            double o = old.Min(), n = now.Min();
            ratios.Add(n / o);
            Console.WriteLine($"{c.Name,-20} {c.Type,-7} {string.Join("×", c.Shape),-16} {o,12:F3} {n,10:F3} {n / o,7:F3} {Median(now) / Median(old),13:F3}");
        }
        if (ratios.Count > 0)
            Console.WriteLine($"Geometric mean of the best-round ratios: {Math.Exp(ratios.Average(Math.Log)):F3}");
        return mismatches == 0 ? 0 : 1;
    }

    /// <summary>
    /// --threads: the shapes that only the sample split (BatchNorm training, one channel) or the row-block split (scalers
    /// under 128 columns) spread over the cores, timed on all cores, new against baseline (which keeps them on one thread).
    /// </summary>
    private static void TimeSplits(int rounds)
    {
        NormGenSettings.MaxDegreeOfParallelism = -1;
        Console.WriteLine($"Timing on all {Environment.ProcessorCount} cores, {rounds} interleaved rounds (best round of each):");
        foreach (var (name, shape) in new (string, nint[])[] { ("MinMaxScale", [100000, 64]), ("Standardize", [100000, 64]), ("BatchNorm train", [64, 1, 128, 128]), ("BatchNorm train", [32, 3, 224, 224]), ("BatchNorm train", [256, 1, 256, 256]) })
        {
            Kernel<float> @new = Pick<float>(name, false, true), old = Pick<float>(name, false, false);
            int length = (int)shape.Aggregate((nint)1, (a, b) => a * b);
            float[] x = new float[length], y = new float[length], p = new float[4 * (int)shape[1]];
            Fill(x, p, 0);
            Action<int> o = _ => old(x, y, shape, (float[])p.Clone()), n = _ => @new(x, y, shape, (float[])p.Clone());
            int reps = Calibrate(n);
            Time(o, reps, 300);
            Time(n, reps, 300);
            double bo = double.MaxValue, bn = double.MaxValue;
            for (int r = 0; r < rounds; r++)
            {
                bo = Math.Min(bo, Time(o, reps, 0));
                bn = Math.Min(bn, Time(n, reps, 0));
            }
            Console.WriteLine($"{name,-20} float   {string.Join("×", shape),-16} {bo,12:F1} {bn,10:F1} {bn / bo,7:F3}");
        }
    }

    /// <summary>
    /// TENSORAB_AB=Type.s_field=V (Type in namespace NormGen of the runtime, e.g. <c>TensorBlocks.s_experiment=1</c>): the
    /// timing runs this tree's kernels on both sides, the field 0 for the first and V for the second, set before each
    /// timed batch, so a runtime change is measured in one process instead of across processes, whose placement of code
    /// and memory moved some cells by 10% on its own (InstanceNorm float 8×64×28×28, Intel Xeon VM). The field has to
    /// be a plain <c>static int</c> read where the change is: a <c>static readonly</c> one is a constant to the JIT once
    /// the class is initialised, and setting it does nothing to code already compiled.
    /// </summary>
    private sealed class Switch(System.Reflection.FieldInfo field, string name, int value)
    {
        public string Name { get; } = name;

        public int Value { get; } = value;

        public void Set(int v) => field.SetValue(null, v);

        public static Switch? FromEnvironment()
        {
            string? spec = Environment.GetEnvironmentVariable("TENSORAB_AB");
            if (string.IsNullOrEmpty(spec)) return null;
            int dot = spec.IndexOf('.'), eq = spec.IndexOf('=');
            if (dot < 1 || eq < dot + 2 || !int.TryParse(spec.AsSpan(eq + 1), out int value))
                throw new ArgumentException($"TENSORAB_AB='{spec}': expected Type.s_field=V, e.g. TensorBlocks.s_experiment=1.");
            string typeName = spec[..dot], fieldName = spec[(dot + 1)..eq];
            Type type = typeof(NormGenSettings).Assembly.GetType("NormGen." + typeName)
                ?? throw new ArgumentException($"TENSORAB_AB: no type NormGen.{typeName} in the runtime.");
            var field = type.GetField(fieldName, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
                ?? throw new ArgumentException($"TENSORAB_AB: no static field {fieldName} on NormGen.{typeName}.");
            if (field.FieldType != typeof(int) || field.IsInitOnly || field.IsLiteral)
                throw new ArgumentException($"TENSORAB_AB: NormGen.{typeName}.{fieldName} must be a static int that is neither readonly nor const.");
            return new Switch(field, $"{typeName}.{fieldName}", value);
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted[sorted.Count / 2];
    }

    private static int s_batchMs = 20;

    /// <summary>TENSORAB_AB's switch during the bitwise check: 0 for the baseline side, its value for the new side.</summary>
    private static Switch? s_check;

    /// <summary>Repetitions so one timed batch takes about <see cref="s_batchMs"/> ms (20 unless --batch-ms says otherwise).</summary>
    private static int Calibrate(Action<int> run)
    {
        run(0);
        var sw = Stopwatch.StartNew();
        int reps = 0;
        while (sw.ElapsedMilliseconds < s_batchMs) { run(0); reps++; }
        return Math.Max(1, reps);
    }

    /// <summary>Runs batches of <paramref name="reps"/> calls (for at least <paramref name="minMs"/> ms); the last batch's µs per call.</summary>
    private static double Time(Action<int> run, int reps, int minMs)
    {
        var total = Stopwatch.StartNew();
        double perCall;
        do
        {
            var sw = Stopwatch.StartNew();
            double cpu0 = ThreadCpuMicroseconds();
            for (int i = 0; i < reps; i++) run(0);
            perCall = (s_threadCpuTime ? ThreadCpuMicroseconds() - cpu0 : sw.Elapsed.TotalMicroseconds) / reps;
        } while (total.ElapsedMilliseconds < minMs);
        return perCall;
    }

    private static bool s_threadCpuTime;

    /// <summary>This thread's CPU time in µs under <c>--cpu</c> (<see cref="NormGen.Bench.ThreadCpuClock"/>), 0 otherwise.</summary>
    private static double ThreadCpuMicroseconds() => s_threadCpuTime ? NormGen.Bench.ThreadCpuClock.Microseconds() : 0;

    private static void Add<T>(List<Case> cases, string type) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool d = typeof(T) == typeof(double);
        nint[] nchw = { 8, 64, 28, 28 }, odd = { 3, 16, 7, 7 }, small = { 1, 512, 7, 7 }, blocks196 = { 32, 256, 14, 14 }, nc = { 256, 96 }, panel = { 4096, 100 }, panelOdd = { 999, 13 }, panelWide = { 2000, 300 }, panelTall = { 100000, 256 }, panelL3 = { 1000, 4096 };
        // Parameters p: gamma (C), beta (C), running mean (C), running var (C).
        foreach (var (name, shapes) in new (string, nint[][])[]
        {
            ("GroupNorm", new[] { nchw, odd }),
            ("InstanceNorm", new[] { nchw, odd, small, blocks196 }), // small, blocks196: the table mode's shapes
            ("BatchNorm train", new[] { nchw, odd, nc, small, blocks196 }),
            ("BatchNorm eval", new[] { nchw, odd, nc }),
            ("ChannelLN", new[] { nchw, odd, new nint[] { 1, 64, 256, 256 }, new nint[] { 4, 96, 56, 56 }, new nint[] { 2, 256, 32, 32 } }),
            ("ChannelLN biasfree", new[] { nchw, odd }),
            ("MinMaxScale", new[] { panel, panelOdd, panelWide, panelTall }), // panelTall: the table mode's (100000, 256)
            ("Standardize", new[] { panel, panelOdd, panelWide, panelTall, panelL3 }),
        })
        {
            foreach (nint[] shape in shapes)
            {
                Kernel<T> @new = Pick<T>(name, d, true), old = Pick<T>(name, d, false);
                int length = (int)shape.Aggregate((nint)1, (a, b) => a * b);
                int channels = (int)shape[1];
                T[] x = new T[length], yNew = new T[length], yOld = new T[length], p = new T[4 * channels], pNew = new T[4 * channels], pOld = new T[4 * channels];
                Fill(x, p, 0);
                // Timing: both sides write yNew and pNew (same addresses, same alignment); the check below keeps them apart.
                cases.Add(new Case(name, type, shape,
                    _ => { p.CopyTo(pNew, 0); old(x, yNew, shape, pNew); },
                    _ => { p.CopyTo(pNew, 0); @new(x, yNew, shape, pNew); },
                    variant =>
                    {
                        Fill(x, p, variant);
                        p.CopyTo(pOld, 0);
                        p.CopyTo(pNew, 0);
                        s_check?.Set(0);
                        old(x, yOld, shape, pOld);
                        s_check?.Set(s_check.Value);
                        @new(x, yNew, shape, pNew);
                        s_check?.Set(0);
                        bool same = MemoryMarshal.AsBytes(yOld.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(yNew.AsSpan()))
                                    && MemoryMarshal.AsBytes(pOld.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(pNew.AsSpan()));
                        Fill(x, p, 0);
                        return same;
                    }));
            }
        }
    }

    /// <summary>Inputs: 0 ordinary (mean 3, spread 2), 1 with constant stretches, 2 with values whose squares overflow, 3 with a NaN.</summary>
    private static void Fill<T>(T[] x, T[] p, int variant) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(12345 + variant);
        for (int i = 0; i < x.Length; i++) x[i] = T.CreateTruncating(3 + 2 * (random.NextDouble() * 2 - 1));
        int c = p.Length / 4;
        for (int i = 0; i < c; i++)
        {
            p[i] = T.CreateTruncating(0.5 + random.NextDouble());          // gamma
            p[c + i] = T.CreateTruncating(random.NextDouble() - 0.5);      // beta
            p[2 * c + i] = T.CreateTruncating(random.NextDouble() - 0.5);  // running mean
            p[3 * c + i] = T.CreateTruncating(0.5 + random.NextDouble());  // running var
        }
        double huge = typeof(T) == typeof(double) ? 1e200 : 1e30;
        switch (variant)
        {
            case 1:
                for (int i = 0; i < x.Length / 3; i++) x[i] = T.CreateTruncating(1.25);
                break;
            case 2:
                for (int i = 0; i < x.Length; i += 97) x[i] = T.CreateTruncating(huge * (random.NextDouble() + 0.5));
                break;
            case 3:
                x[x.Length / 2] = T.NaN;
                break;
        }
    }

    private static Kernel<T> Pick<T>(string name, bool isDouble, bool current) => isDouble
        ? (Kernel<T>)(object)(current ? NewDouble(name) : OldDouble(name))
        : (Kernel<T>)(object)(current ? NewFloat(name) : OldFloat(name));

    private static ReadOnlySpan<T> G<T>(T[] p, int c) => p.AsSpan(0, c);
    private static ReadOnlySpan<T> B<T>(T[] p, int c) => p.AsSpan(c, c);

    private static Kernel<float> NewFloat(string name) => name switch
    {
        "GroupNorm" => (x, y, s, p) => NormGen.Tests.Tensors.GnFloat(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), new(y, s)),
        "InstanceNorm" => (x, y, s, p) => NormGen.Tests.Tensors.InormFloat(new(x, s), new(y, s)),
        "BatchNorm train" => (x, y, s, p) => NormGen.Tests.Tensors.BnTrainFloat(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), p.AsSpan(2 * (int)s[1], (int)s[1]), p.AsSpan(3 * (int)s[1], (int)s[1]), new(y, s)),
        "BatchNorm eval" => (x, y, s, p) => NormGen.Tests.Tensors.BnEvalFloat(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), p.AsSpan(2 * (int)s[1], (int)s[1]), p.AsSpan(3 * (int)s[1], (int)s[1]), new(y, s)),
        "ChannelLN" => (x, y, s, p) => NormGen.Tests.Tensors.ChannelLnFloat(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), new(y, s)),
        "ChannelLN biasfree" => (x, y, s, p) => NormGen.Tests.Tensors.ChannelLnBiasFreeFloat(new(x, s), G(p, (int)s[1]), new(y, s)),
        "MinMaxScale" => (x, y, s, p) => NormGen.Tests.Tensors.MinMaxFloat(new(x, s), new(y, s)),
        _ => (x, y, s, p) => NormGen.Tests.Tensors.ZScoreFloat(new(x, s), new(y, s)),
    };

    private static Kernel<float> OldFloat(string name) => name switch
    {
        "GroupNorm" => (x, y, s, p) => Baseline.Tensors.GnFloat(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), new(y, s)),
        "InstanceNorm" => (x, y, s, p) => Baseline.Tensors.InormFloat(new(x, s), new(y, s)),
        "BatchNorm train" => (x, y, s, p) => Baseline.Tensors.BnTrainFloat(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), p.AsSpan(2 * (int)s[1], (int)s[1]), p.AsSpan(3 * (int)s[1], (int)s[1]), new(y, s)),
        "BatchNorm eval" => (x, y, s, p) => Baseline.Tensors.BnEvalFloat(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), p.AsSpan(2 * (int)s[1], (int)s[1]), p.AsSpan(3 * (int)s[1], (int)s[1]), new(y, s)),
        "ChannelLN" => (x, y, s, p) => Baseline.Tensors.ChannelLnFloat(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), new(y, s)),
        "ChannelLN biasfree" => (x, y, s, p) => Baseline.Tensors.ChannelLnBiasFreeFloat(new(x, s), G(p, (int)s[1]), new(y, s)),
        "MinMaxScale" => (x, y, s, p) => Baseline.Tensors.MinMaxFloat(new(x, s), new(y, s)),
        _ => (x, y, s, p) => Baseline.Tensors.ZScoreFloat(new(x, s), new(y, s)),
    };

    private static Kernel<double> NewDouble(string name) => name switch
    {
        "GroupNorm" => (x, y, s, p) => NormGen.Tests.Tensors.GnDouble(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), new(y, s)),
        "InstanceNorm" => (x, y, s, p) => NormGen.Tests.Tensors.InormDouble(new(x, s), new(y, s)),
        "BatchNorm train" => (x, y, s, p) => NormGen.Tests.Tensors.BnTrainDouble(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), p.AsSpan(2 * (int)s[1], (int)s[1]), p.AsSpan(3 * (int)s[1], (int)s[1]), new(y, s)),
        "BatchNorm eval" => (x, y, s, p) => NormGen.Tests.Tensors.BnEvalDouble(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), p.AsSpan(2 * (int)s[1], (int)s[1]), p.AsSpan(3 * (int)s[1], (int)s[1]), new(y, s)),
        "ChannelLN" => (x, y, s, p) => NormGen.Tests.Tensors.ChannelLnDouble(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), new(y, s)),
        "ChannelLN biasfree" => (x, y, s, p) => NormGen.Tests.Tensors.ChannelLnBiasFreeDouble(new(x, s), G(p, (int)s[1]), new(y, s)),
        "MinMaxScale" => (x, y, s, p) => NormGen.Tests.Tensors.MinMaxDouble(new(x, s), new(y, s)),
        _ => (x, y, s, p) => NormGen.Tests.Tensors.ZScoreDouble(new(x, s), new(y, s)),
    };

    private static Kernel<double> OldDouble(string name) => name switch
    {
        "GroupNorm" => (x, y, s, p) => Baseline.Tensors.GnDouble(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), new(y, s)),
        "InstanceNorm" => (x, y, s, p) => Baseline.Tensors.InormDouble(new(x, s), new(y, s)),
        "BatchNorm train" => (x, y, s, p) => Baseline.Tensors.BnTrainDouble(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), p.AsSpan(2 * (int)s[1], (int)s[1]), p.AsSpan(3 * (int)s[1], (int)s[1]), new(y, s)),
        "BatchNorm eval" => (x, y, s, p) => Baseline.Tensors.BnEvalDouble(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), p.AsSpan(2 * (int)s[1], (int)s[1]), p.AsSpan(3 * (int)s[1], (int)s[1]), new(y, s)),
        "ChannelLN" => (x, y, s, p) => Baseline.Tensors.ChannelLnDouble(new(x, s), G(p, (int)s[1]), B(p, (int)s[1]), new(y, s)),
        "ChannelLN biasfree" => (x, y, s, p) => Baseline.Tensors.ChannelLnBiasFreeDouble(new(x, s), G(p, (int)s[1]), new(y, s)),
        "MinMaxScale" => (x, y, s, p) => Baseline.Tensors.MinMaxDouble(new(x, s), new(y, s)),
        _ => (x, y, s, p) => Baseline.Tensors.ZScoreDouble(new(x, s), new(y, s)),
    };
}
