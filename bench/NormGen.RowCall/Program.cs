extern alias baseline;

using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using New = NormGen.RowAB.K;
using Old = baseline::NormGen.RowAB.K;

namespace NormGen.RowCall;

/// <summary>
/// Direct-call timing of small row calls, this tree's generated kernels against the baseline commit's (the same
/// Kernels.cs; see the project file). Each cell calls both sides' generated method from a loop specialised on a struct
/// (no delegate, no adapter switch), on the same arrays, in rounds of about 5 ms of this thread's CPU time, alternating
/// old-new, new-old, …; it prints the best round of each side, their ratio and the median of the per-pair ratios.
/// Usage: <c>dotnet run -c Release --project bench/NormGen.RowCall [-- [--rounds N] [--only KERNEL|"KERNEL ROWS×N"] [--wall]]</c>.
/// </summary>
public static unsafe class Program
{
    private static bool s_wall;

    /// <summary>
    /// ROWCALL_DIRECT=1: each cell calls the generated method directly, so the JIT may inline it into the timing loop
    /// (it decides per process and per side). By default the call goes through a function pointer held in the cell (an
    /// indirect call, not a delegate): each side's generated method is compiled on its own, as a caller that does not
    /// inline it sees it.
    /// </summary>
    private static readonly bool s_direct = Environment.GetEnvironmentVariable("ROWCALL_DIRECT") == "1";

    public static void Main(string[] args)
    {
        int rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(41);
        string? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        s_wall = args.Contains("--wall") || !OperatingSystem.IsLinux();
        var cells = new List<(string Name, Func<int, (double Old, double New)> Run)>
        {
            ("RmsF 1×100", r => Cell<RmsF<Baseline>, RmsF<Current>>(1, 100, r)),
            ("RmsF 1×64", r => Cell<RmsF<Baseline>, RmsF<Current>>(1, 64, r)),
            ("RmsNoneF 1×100", r => Cell<RmsNoneF<Baseline>, RmsNoneF<Current>>(1, 100, r)),
            ("LnF 1×100", r => Cell<LnF<Baseline>, LnF<Current>>(1, 100, r)),
            ("LnF 1×64", r => Cell<LnF<Baseline>, LnF<Current>>(1, 64, r)),
            ("LnD 1×100", r => Cell<LnD<Baseline>, LnD<Current>>(1, 100, r)),
            ("Ln768F 1×768", r => Cell<Ln768F<Baseline>, Ln768F<Current>>(1, 768, r)),
            ("AddLnF 1×100", r => Cell<AddLnF<Baseline>, AddLnF<Current>>(1, 100, r)),
            ("RmsF 4×100", r => Cell<RmsF<Baseline>, RmsF<Current>>(4, 100, r)),
            ("LnF 4×100", r => Cell<LnF<Baseline>, LnF<Current>>(4, 100, r)),
        };
        // --cases RmsF:1x80,LnF:2x100 times those cells instead.
        string? list = args.SkipWhile(a => a != "--cases").Skip(1).FirstOrDefault();
        if (list is not null)
            cells = list.Split(',').Select(c => c.Split(':', 'x')).Select(p => Named(p[0], int.Parse(p[1]), int.Parse(p[2]))).ToList();
        Console.WriteLine($"Direct calls, one thread, {rounds} alternating pairs of rounds ({(s_wall ? "wall clock" : "thread CPU time")}), ns per call:");
        Console.WriteLine($"{"cell",-16} {"baseline",9} {"new",9} {"ratio",7} {"median pair ratio",18}");
        var ratios = new List<double>();
        foreach (var (name, run) in cells.Where(c => only is null || c.Name == only || c.Name.StartsWith(only + " ", StringComparison.Ordinal)))
        {
            run(0); // warm-up of both sides (tier-1 code in place before timing)
            Console.Write($"{name,-16} ");
            (double o, double n) = run(rounds);
            ratios.Add(n / o);
        }
        if (ratios.Count > 0)
            Console.WriteLine($"Geometric mean of the best-round ratios: {Math.Exp(ratios.Average(Math.Log)):F3}");
    }

    private static (string Name, Func<int, (double Old, double New)> Run) Named(string kernel, int rows, int n)
        => ($"{kernel} {rows}×{n}", kernel switch
        {
            "RmsF" => r => Cell<RmsF<Baseline>, RmsF<Current>>(rows, n, r),
            "RmsNoneF" => r => Cell<RmsNoneF<Baseline>, RmsNoneF<Current>>(rows, n, r),
            "LnF" => r => Cell<LnF<Baseline>, LnF<Current>>(rows, n, r),
            "LnD" => r => Cell<LnD<Baseline>, LnD<Current>>(rows, n, r),
            "Ln768F" => r => Cell<Ln768F<Baseline>, Ln768F<Current>>(rows, 768, r),
            "AddLnF" => r => Cell<AddLnF<Baseline>, AddLnF<Current>>(rows, n, r),
            _ => throw new ArgumentException($"Unknown kernel {kernel}."),
        });

    /// <summary>A kernel call on fixed arrays, for one side.</summary>
    private interface ICell<TSelf> where TSelf : struct, ICell<TSelf>
    {
        static abstract TSelf Create(int rows, int n);

        void Run();
    }

    /// <summary>
    /// One cell: the baseline against the new kernels, or with ROWCALL_CONTROL=aa the baseline against itself and with =nn
    /// the new kernels against themselves (the harness's own bias between the two slots of a pair).
    /// </summary>
    private static (double Old, double New) Cell<TOld, TNew>(int rows, int n, int pairs)
        where TOld : struct, ICell<TOld> where TNew : struct, ICell<TNew>
        => Environment.GetEnvironmentVariable("ROWCALL_CONTROL") switch
        {
            "aa" => Compare(TOld.Create(rows, n), TOld.Create(rows, n), pairs),
            "nn" => Compare(TNew.Create(rows, n), TNew.Create(rows, n), pairs),
            _ => Compare(TOld.Create(rows, n), TNew.Create(rows, n), pairs),
        };

    /// <summary>Which generator's kernels a cell calls: a JIT-time constant in each instantiation.</summary>
    private interface ISide
    {
        static abstract bool IsBaseline { get; }
    }

    private readonly struct Baseline : ISide
    {
        public static bool IsBaseline => true;
    }

    private readonly struct Current : ISide
    {
        public static bool IsBaseline => false;
    }

    /// <summary>Inputs of one cell: rows × n ordinary values (mean 0.3, spread 1), γ and β near 1 and 0.</summary>
    private sealed class Arrays<T> where T : unmanaged
    {
        public readonly T[] X, Residual, Gamma, Beta, Y, ResidualOut;
        public readonly int N;

        public Arrays(int rows, int n, Func<double, T> convert)
        {
            var random = new Random(rows * 7919 + n);
            T Draw(double center, double spread) => convert(center + spread * (random.NextDouble() - 0.5));
            X = Enumerable.Range(0, rows * n).Select(_ => Draw(0.3, 2)).ToArray();
            Residual = Enumerable.Range(0, rows * n).Select(_ => Draw(-0.1, 2)).ToArray();
            Gamma = Enumerable.Range(0, n).Select(_ => Draw(1, 0.5)).ToArray();
            Beta = Enumerable.Range(0, n).Select(_ => Draw(0, 0.5)).ToArray();
            Y = new T[rows * n];
            ResidualOut = new T[rows * n];
            N = n;
        }
    }

    private static Arrays<float> Floats(int rows, int n) => Shared<float>.Get(rows, n, v => (float)v);

    private static Arrays<double> Doubles(int rows, int n) => Shared<double>.Get(rows, n, v => v);

    /// <summary>Both sides of a cell use the same arrays (same alignment).</summary>
    private static class Shared<T> where T : unmanaged
    {
        private static readonly Dictionary<(int, int), Arrays<T>> s_arrays = new();

        public static Arrays<T> Get(int rows, int n, Func<double, T> convert)
        {
            if (!s_arrays.TryGetValue((rows, n), out Arrays<T>? a))
                s_arrays[(rows, n)] = a = new Arrays<T>(rows, n, convert);
            return a;
        }
    }

    private readonly struct RmsF<TSide>(int rows, int n) : ICell<RmsF<TSide>> where TSide : ISide
    {
        public static RmsF<TSide> Create(int rows, int n) => new(rows, n);

        private readonly Arrays<float> _a = Floats(rows, n);
        private readonly delegate*<ReadOnlySpan<float>, int, ReadOnlySpan<float>, Span<float>, void> _kernel = TSide.IsBaseline ? &Old.RmsF : &New.RmsF;

        public void Run()
        {
            if (!s_direct) _kernel(_a.X, _a.N, _a.Gamma, _a.Y);
            else if (TSide.IsBaseline) Old.RmsF(_a.X, _a.N, _a.Gamma, _a.Y);
            else New.RmsF(_a.X, _a.N, _a.Gamma, _a.Y);
        }
    }

    private readonly struct RmsNoneF<TSide>(int rows, int n) : ICell<RmsNoneF<TSide>> where TSide : ISide
    {
        public static RmsNoneF<TSide> Create(int rows, int n) => new(rows, n);

        private readonly Arrays<float> _a = Floats(rows, n);
        private readonly delegate*<ReadOnlySpan<float>, int, Span<float>, void> _kernel = TSide.IsBaseline ? &Old.RmsNoneF : &New.RmsNoneF;

        public void Run()
        {
            if (!s_direct) _kernel(_a.X, _a.N, _a.Y);
            else if (TSide.IsBaseline) Old.RmsNoneF(_a.X, _a.N, _a.Y);
            else New.RmsNoneF(_a.X, _a.N, _a.Y);
        }
    }

    private readonly struct LnF<TSide>(int rows, int n) : ICell<LnF<TSide>> where TSide : ISide
    {
        public static LnF<TSide> Create(int rows, int n) => new(rows, n);

        private readonly Arrays<float> _a = Floats(rows, n);
        private readonly delegate*<ReadOnlySpan<float>, int, ReadOnlySpan<float>, ReadOnlySpan<float>, Span<float>, void> _kernel = TSide.IsBaseline ? &Old.LnF : &New.LnF;

        public void Run()
        {
            if (!s_direct) _kernel(_a.X, _a.N, _a.Gamma, _a.Beta, _a.Y);
            else if (TSide.IsBaseline) Old.LnF(_a.X, _a.N, _a.Gamma, _a.Beta, _a.Y);
            else New.LnF(_a.X, _a.N, _a.Gamma, _a.Beta, _a.Y);
        }
    }

    private readonly struct LnD<TSide>(int rows, int n) : ICell<LnD<TSide>> where TSide : ISide
    {
        public static LnD<TSide> Create(int rows, int n) => new(rows, n);

        private readonly Arrays<double> _a = Doubles(rows, n);
        private readonly delegate*<ReadOnlySpan<double>, int, ReadOnlySpan<double>, ReadOnlySpan<double>, Span<double>, void> _kernel = TSide.IsBaseline ? &Old.LnD : &New.LnD;

        public void Run()
        {
            if (!s_direct) _kernel(_a.X, _a.N, _a.Gamma, _a.Beta, _a.Y);
            else if (TSide.IsBaseline) Old.LnD(_a.X, _a.N, _a.Gamma, _a.Beta, _a.Y);
            else New.LnD(_a.X, _a.N, _a.Gamma, _a.Beta, _a.Y);
        }
    }

    private readonly struct Ln768F<TSide>(int rows, int n) : ICell<Ln768F<TSide>> where TSide : ISide
    {
        public static Ln768F<TSide> Create(int rows, int n) => new(rows, n);

        private readonly Arrays<float> _a = Floats(rows, n);
        private readonly delegate*<ReadOnlySpan<float>, ReadOnlySpan<float>, ReadOnlySpan<float>, Span<float>, void> _kernel = TSide.IsBaseline ? &Old.Ln768F : &New.Ln768F;

        public void Run()
        {
            if (!s_direct) _kernel(_a.X, _a.Gamma, _a.Beta, _a.Y);
            else if (TSide.IsBaseline) Old.Ln768F(_a.X, _a.Gamma, _a.Beta, _a.Y);
            else New.Ln768F(_a.X, _a.Gamma, _a.Beta, _a.Y);
        }
    }

    private readonly struct AddLnF<TSide>(int rows, int n) : ICell<AddLnF<TSide>> where TSide : ISide
    {
        public static AddLnF<TSide> Create(int rows, int n) => new(rows, n);

        private readonly Arrays<float> _a = Floats(rows, n);
        private readonly delegate*<ReadOnlySpan<float>, int, ReadOnlySpan<float>, ReadOnlySpan<float>, ReadOnlySpan<float>, Span<float>, Span<float>, void> _kernel = TSide.IsBaseline ? &Old.AddLnF : &New.AddLnF;

        public void Run()
        {
            if (!s_direct) _kernel(_a.X, _a.N, _a.Residual, _a.Gamma, _a.Beta, _a.Y, _a.ResidualOut);
            else if (TSide.IsBaseline) Old.AddLnF(_a.X, _a.N, _a.Residual, _a.Gamma, _a.Beta, _a.Y, _a.ResidualOut);
            else New.AddLnF(_a.X, _a.N, _a.Residual, _a.Gamma, _a.Beta, _a.Y, _a.ResidualOut);
        }
    }

    /// <summary>
    /// Times <paramref name="old"/> against <paramref name="now"/> in <paramref name="pairs"/> pairs of rounds, the order
    /// of each pair swapped from the last (so neither side is always second); 0 pairs: warm-up only.
    /// </summary>
    private static (double Old, double New) Compare<TOld, TNew>(TOld old, TNew now, int pairs)
        where TOld : struct, ICell<TOld> where TNew : struct, ICell<TNew>
    {
        if (pairs == 0)
        {
            // Tiered compilation promotes a method some 100 ms after its calls stop being new (call counting, then the
            // instrumented tier, then tier 1): a second of alternating calls and pauses gets both sides there.
            for (int i = 0; i < 10; i++)
            {
                Round(ref old, 10_000);
                Round(ref now, 10_000);
                Thread.Sleep(100);
            }
            return (1, 1);
        }
        int reps = Calibrate(ref now);
        var o = new List<double>();
        var c = new List<double>();
        for (int p = 0; p < pairs; p++)
        {
            if (p % 2 == 0)
            {
                o.Add(Round(ref old, reps));
                c.Add(Round(ref now, reps));
            }
            else
            {
                c.Add(Round(ref now, reps));
                o.Add(Round(ref old, reps));
            }
        }
        double bo = o.Min(), bc = c.Min();
        double medianPair = Median(o.Zip(c, (a, b) => b / a).ToList());
        Console.WriteLine($"{bo,9:F1} {bc,9:F1} {bc / bo,7:F3} {medianPair,18:F3}");
        return (bo, bc);
    }

    private static double Median(List<double> values) => values.OrderBy(v => v).ElementAt(values.Count / 2);

    /// <summary>Calls per round for about 5 ms.</summary>
    private static int Calibrate<TCell>(ref TCell cell) where TCell : struct, ICell<TCell>
    {
        double ns = Round(ref cell, 10_000);
        return Math.Max(100, (int)(5e6 / Math.Max(ns, 1)));
    }

    /// <summary>Nanoseconds per call over <paramref name="reps"/> calls.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Round<TCell>(ref TCell cell, int reps) where TCell : struct, ICell<TCell>
    {
        double t0 = Now();
        for (int i = 0; i < reps; i++)
            cell.Run();
        return (Now() - t0) / reps;
    }

    /// <summary>This thread's CPU time in ns (<see cref="NormGen.Bench.ThreadCpuClock"/>), or the wall clock with --wall.</summary>
    private static double Now()
        => s_wall ? System.Diagnostics.Stopwatch.GetTimestamp() * (1e9 / System.Diagnostics.Stopwatch.Frequency) : NormGen.Bench.ThreadCpuClock.Microseconds() * 1e3;
}
