using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using ScottPlot;

namespace NormGen.Benchmarks;

/// <summary>
/// <c>chart</c> mode: single-thread LayerNorm bandwidth (GB/s of x read plus y written) against the hidden size, for
/// NormGen, the TensorPrimitives composition, ONNX Runtime and the copy bound, timed in this process (not
/// BenchmarkDotNet: 44 cases in about a minute), drawn to a PNG and printed as a Markdown table.
/// </summary>
/// <remarks>
/// Every case holds the same number of elements (<see cref="Elements"/>, 4 MiB of x and 4 MiB of y), so only the row
/// length changes along the chart. At each size every method warms up for <see cref="WarmUp"/> of calls, pauses
/// <see cref="Pause"/> so the tier-1 code the JIT compiles in the background is installed, and warms up again; then
/// <see cref="Samples"/> timed batches of about <see cref="SampleTime"/> go round the four methods in turn, and the
/// median batch of each is reported (the best is printed too).
/// </remarks>
public static class Chart
{
    private const int Elements = 1 << 20;
    private const int Samples = 15;
    private static readonly TimeSpan WarmUp = TimeSpan.FromMilliseconds(400), Pause = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan SampleTime = TimeSpan.FromMilliseconds(25);

    private static readonly (string Name, Color Color)[] Methods =
    [
        ("NormGen", Colors.SteelBlue),
        ("TensorPrimitives", Colors.DarkOrange),
        ("ONNX Runtime", Colors.ForestGreen),
        ("copy x → y", Colors.Gray),
    ];

    public static int Run(string[] args)
    {
        string path = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine("docs", "benchmark-layernorm-bandwidth.png");
        NormGenSettings.MaxDegreeOfParallelism = 1;
        int[] sizes = ChartKernels.HiddenSizes;
        var gbps = new double[Methods.Length, sizes.Length];
        var best = new double[Methods.Length, sizes.Length];
        int total = Methods.Length * sizes.Length, done = 0;
        Console.WriteLine($"LayerNorm bandwidth, 1 thread, {Elements:N0} floats per case; {total} cases ({sizes.Length} sizes × {Methods.Length} methods), about {Duration()} s per size.");

        for (int s = 0; s < sizes.Length; s++)
        {
            int hidden = sizes[s];
            var w = new Workload(new BatchShape(Elements / hidden, hidden));
            using OrtRunner ort = OrtRunner.LayerNorm(w, Threads.Single);
            Action[] run =
            [
                () => ChartKernels.LayerNorm(hidden, w.X, w.Gamma, w.Beta, w.Y),
                () => Baselines.TensorPrimitivesLayerNorm(w.X, hidden, w.Gamma, w.Beta, w.Y),
                ort.Run,
                () => Baselines.Copy(w.X, w.Y, threads: 1),
            ];
            // Side by side: every method warms up, then the timed batches go round the methods in turn, so a burst of
            // load from elsewhere on the machine falls on all four alike.
            foreach (Action a in run) WarmUpOnce(a);
            int[] calls = run.Select(CallsPerBatch).ToArray();
            var perCall = new double[Methods.Length][];
            for (int m = 0; m < Methods.Length; m++) perCall[m] = new double[Samples];
            for (int i = 0; i < Samples; i++)
                for (int m = 0; m < Methods.Length; m++)
                {
                    long start = Stopwatch.GetTimestamp();
                    for (int c = 0; c < calls[m]; c++) run[m]();
                    perCall[m][i] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls[m];
                }
            for (int m = 0; m < Methods.Length; m++)
            {
                Array.Sort(perCall[m]);
                double median = perCall[m][Samples / 2], bytes = 2.0 * sizeof(float) * Elements;
                gbps[m, s] = bytes / median / 1e9;
                best[m, s] = bytes / perCall[m][0] / 1e9;
                Console.WriteLine($"[{++done,2}/{total}] {Methods[m].Name,-17} {w.Shape,-9} {median * 1e6,9:F1} µs  {gbps[m, s],6:F1} GB/s (best {best[m, s]:F1})");
            }
        }

        Draw(path, sizes, gbps);
        Console.WriteLine();
        Console.WriteLine($"Chart: {Path.GetFullPath(path)}");
        Console.WriteLine();
        PrintTable(sizes, gbps);
        return 0;
    }

    private static double Duration() => Math.Round(((WarmUp * 2 + Pause + SampleTime * Samples) * Methods.Length).TotalSeconds, 1);

    /// <summary>Calls for <see cref="WarmUp"/>, pauses for the background JIT, calls again.</summary>
    private static void WarmUpOnce(Action action)
    {
        Spin(action, WarmUp);
        Thread.Sleep(Pause);
        Spin(action, WarmUp);
    }

    /// <summary>Calls per batch so a batch lasts about <see cref="SampleTime"/>.</summary>
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

    private static void Draw(string path, int[] sizes, double[,] gbps)
    {
        var plot = new Plot();
        double[] xs = sizes.Select(h => Math.Log2(h)).ToArray();
        for (int m = 0; m < Methods.Length; m++)
        {
            var line = plot.Add.Scatter(xs, Enumerable.Range(0, sizes.Length).Select(s => gbps[m, s]).ToArray(), Methods[m].Color);
            line.LegendText = Methods[m].Name;
            line.LineWidth = 2;
            line.MarkerSize = 7;
            if (m == Methods.Length - 1) line.LinePattern = LinePattern.Dashed;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, sizes.Select(h => h.ToString("N0", CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.SetLimitsY(0, Enumerable.Range(0, sizes.Length).Max(s => Enumerable.Range(0, Methods.Length).Max(m => gbps[m, s])) * 1.1);
        plot.Title($"LayerNorm, float, 1 thread, {Elements / (1 << 20)} Mi elements per call: GB/s (x read + y written)");
        plot.XLabel("hidden size (row length); rows = 1,048,576 / hidden");
        plot.YLabel("GB/s");
        plot.ShowLegend(Edge.Right);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, 1000, 560);
    }

    private static void PrintTable(int[] sizes, double[,] gbps)
    {
        Console.WriteLine("| hidden | rows | " + string.Join(" | ", Methods.Select(m => m.Name)) + " | NormGen / copy |");
        Console.WriteLine("| ---: | ---: |" + string.Concat(Enumerable.Repeat(" ---: |", Methods.Length + 1)));
        for (int s = 0; s < sizes.Length; s++)
        {
            IEnumerable<string> cells = Enumerable.Range(0, Methods.Length).Select(m => gbps[m, s].ToString("F1", CultureInfo.InvariantCulture));
            double ratio = gbps[0, s] / gbps[Methods.Length - 1, s];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {sizes[s]:N0} | {Elements / sizes[s]:N0} | {string.Join(" | ", cells)} | {ratio:P0} |"));
        }
    }
}
