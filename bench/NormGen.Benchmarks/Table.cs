using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Threading;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using NormGen.Bench;
using NormGen.Testing;

namespace NormGen.Benchmarks;

/// <summary>
/// <c>table</c> mode: issue 11's tables in one run, timed side by side in this process (not BenchmarkDotNet):
/// memory-bound rows against the TensorPrimitives composition, ONNX Runtime (one thread) and a copy with
/// non-temporal stores of the same bytes; the tensor kinds against ONNX Runtime and a TensorPrimitives composition;
/// the scalers on wide tables against a row-wise TensorPrimitives loop. Printed as Markdown with the processor named.
/// </summary>
/// <remarks>
/// GB/s = bytes the operation must move (x read + y written; residual rows: x, residual, y, residualOut; DeepNorm: x,
/// sublayer, y) ÷ time. "NT copy" copies the same number of bytes (half read, half written) with aligned 512-bit
/// non-temporal stores (<see cref="Baselines.NonTemporalCopy"/>). Every method of a case warms up for
/// <see cref="WarmUp"/> (past tiered compilation and PGO), pauses <see cref="Pause"/> so the background JIT installs
/// its code, and warms up again; then <see cref="Samples"/> batches of about <see cref="SampleTime"/> go round the
/// methods, each round in a new random order, and the median batch is reported (the fastest with <c>--best</c>).
/// </remarks>
public static class Table
{
    private static int Samples = 11;
    private static readonly TimeSpan WarmUp = TimeSpan.FromMilliseconds(300), Pause = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan SampleTime = TimeSpan.FromMilliseconds(20);

    /// <summary><c>--best</c>: report each method's fastest batch instead of the median (for a machine others are loading).</summary>
    private static bool s_best;

    /// <summary>
    /// <c>--pipeline-ab</c>: the rows past a core's L2 with the cross-row pipeline where RowEngine picks it by default,
    /// without it (the rows a time, as before) and with it for every row form at every size (cached stores under the
    /// streaming threshold, non-temporal above; RowEngine's private s_pipelineMode 0, 1, 2, set by reflection), side by
    /// side with the NT copy in one process: the only comparison that holds on a loaded machine; and the pipeline with
    /// streaming stores forced (threshold 0), which shows whether the default threshold suits the shapes under it
    /// (4096×1024: 16 MiB out).
    /// </summary>
    private static bool s_pipelineAb;

    /// <summary>
    /// <c>--stream-ab</c>: each row case with the default store choice, with streaming stores off (threshold
    /// <see cref="long.MaxValue"/>: cached stores) and forced (threshold 0), side by side with the TensorPrimitives
    /// composition and the NT copy (GB/s), and the speed ratios of the default to the other two and to TP.
    /// </summary>
    private static bool s_streamAb;

    /// <summary><c>--shapes 128x4096,64x8192</c>: only LayerNorm rows of these shapes (rows x hidden; see <see cref="ShapeCase"/>).</summary>
    private static BatchShape[]? s_shapes;

    /// <summary><c>--rms</c>: the <c>--shapes</c> cases as RMSNorm (768, 1024, 4096, 8192).</summary>
    private static bool s_rms;

    /// <summary><c>--consumer</c>: the <c>--shapes</c> LayerNorm cases each followed by a read of y (TensorPrimitives.Sum), as a next layer would.</summary>
    private static bool s_consumer;

    /// <summary>Where <c>--consumer</c>'s sums go, so the JIT keeps them.</summary>
    private static float s_sink;

    /// <summary>
    /// <c>--cpu</c>: time single-thread cases by the thread's CPU time (Linux CLOCK_THREAD_CPUTIME_ID), not the wall
    /// clock: on a machine shared with other builds it leaves out the time the thread waits for a core; with
    /// <c>--samples N</c> (default 11) more, shorter rounds. Single-thread rows, tensor kinds and scalers; all-cores
    /// cases stay on the wall clock.
    /// </summary>
    private static bool s_cpu;

    /// <summary><c>--match TEXT</c>: only the row cases whose name contains TEXT ("all cores": the all-cores case).</summary>
    private static string? s_match;

    /// <summary><c>--scaler-shapes 100000x250,…</c>: the scalers' (samples, features) shapes instead of issue 11's two.</summary>
    private static string? s_scalerShapes;

    public static int Run(string[] args)
    {
        var started = Stopwatch.StartNew();
        s_best = args.Contains("--best");
        s_pipelineAb = args.Contains("--pipeline-ab");
        s_streamAb = args.Contains("--stream-ab");
        s_rms = args.Contains("--rms");
        s_consumer = args.Contains("--consumer");
        if (args.SkipWhile(a => a != "--shapes").Skip(1).FirstOrDefault() is string shapes)
            s_shapes = shapes.Split(',').Select(p => p.Split('x')).Select(p => new BatchShape(int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToArray();
        s_cpu = args.Contains("--cpu") && OperatingSystem.IsLinux();
        s_match = args.SkipWhile(a => a != "--match").Skip(1).FirstOrDefault();
        s_scalerShapes = args.SkipWhile(a => a != "--scaler-shapes").Skip(1).FirstOrDefault();
        if (args.SkipWhile(a => a != "--samples").Skip(1).FirstOrDefault() is string samples) Samples = int.Parse(samples, CultureInfo.InvariantCulture);
        // Warnings only (ORT's contrib ops print shape-merge notes at session creation, which would break the tables).
        OrtEnv.Instance().EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        Console.WriteLine($"Processor: {ProcessorName()}, {Environment.ProcessorCount} logical cores; .NET {Environment.Version}; " +
            $"Vector512 {(Vector512.IsHardwareAccelerated ? "accelerated" : "not accelerated")}; ONNX Runtime {OrtEnv.Instance().GetVersionString()}; float, ε as PyTorch.");
        Console.WriteLine(s_best ? "Each cell is the fastest of the method's batches (--best)." : "Each cell is the median of the method's batches.");
        if (s_cpu) Console.WriteLine("Single-thread cells are the calling thread's CPU time (--cpu), all-cores cells wall time.");
        Console.WriteLine();
        // --only rows|tensors|scalers: one of the three tables (a shorter run while working on one family).
        string? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        if (only is null or "rows")
        {
            Rows();
            Console.WriteLine();
        }
        if (only is null or "tensors")
        {
            Tensors();
            Console.WriteLine();
        }
        if (only is null or "scalers")
        {
            Scalers();
            Console.WriteLine();
        }
        if (only is null or "cores")
        {
            Cores();
            Console.WriteLine();
        }
        if (only == "bounds")
        {
            Bounds();
            Console.WriteLine();
        }
        Console.WriteLine($"({started.Elapsed.TotalSeconds:F0} s)");
        return 0;
    }

    // ---------------------------------------------------------------- memory-bound rows

    /// <summary>One row of the first table: the shape, how many tensors move, and the four methods (null: none).</summary>
    private sealed record RowCase(string Name, BatchShape Shape, int Tensors, bool AllCores, Action NormGen, Action? Composition, Action? Ort, Action Copy)
    {
        /// <summary>Where NormGen's arrays lie, bytes past a 4 KiB page (<see cref="Where"/>).</summary>
        public string Place { get; init; } = "";
    }

    /// <summary>
    /// Each array's first element in bytes past a 4 KiB page (large arrays do not move): y just past x in a page (4 KiB
    /// aliasing) or off the 64-byte lines moves memory-bound cells by 10–50% (docs/benchmarks.md), and the allocator puts
    /// two arrays of one size allocated one after the other 56 bytes apart here, so the table prints where its lie.
    /// </summary>
    private static string Where(params (string Name, Array Array)[] arrays) => string.Join(", ", arrays.Select(a =>
    {
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(a.Array, System.Runtime.InteropServices.GCHandleType.Pinned);
        try { return $"{a.Name} {(long)handle.AddrOfPinnedObject() % 4096}"; }
        finally { handle.Free(); }
    }));

    private static void Rows()
    {
        if (s_streamAb)
        {
            Console.WriteLine("| case | default | cached (threshold off) | streamed (threshold 0) | TP | NT copy | speed default ÷ cached | ÷ streamed | default/TP | cached/TP |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        }
        else
        {
            Console.WriteLine("| single thread | NormGen | TP | ONNX Runtime | NT copy | NormGen/TP | NormGen/ORT | NormGen/NT copy |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        }
        if (s_pipelineAb)
        {
            Console.WriteLine($"| case | default | rows a time (before) | NT copy | default/before | pipeline, every form | every form/before | pipeline, streaming forced (threshold 0; default {NormGenSettings.StreamingStoreThreshold >> 20} MiB) |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        }
        var places = new List<string>();
        foreach (Func<List<IDisposable>, RowCase> make in RowCases().Skip(s_pipelineAb ? 2 : 0))
        {
            var owned = new List<IDisposable>();
            RowCase c = make(owned);
            if (s_match is not null && !c.Name.Contains(s_match, StringComparison.Ordinal) && !(c.AllCores && s_match == "all cores"))
            {
                foreach (IDisposable d in owned) d.Dispose();
                continue;
            }
            NormGenSettings.MaxDegreeOfParallelism = c.AllCores ? -1 : 1;
            if (s_pipelineAb)
            {
                var mode = typeof(RowEngine).GetField("s_pipelineMode", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
                long threshold = NormGenSettings.StreamingStoreThreshold;
                Action With(int v, long t) => () => { mode.SetValue(null, v); NormGenSettings.StreamingStoreThreshold = t; c.NormGen(); };
                double?[] v = Measure([With(0, threshold), With(1, threshold), c.Copy, With(2, threshold), With(2, 0)], cpu: s_cpu && !c.AllCores);
                mode.SetValue(null, 0);
                NormGenSettings.StreamingStoreThreshold = threshold;
                foreach (IDisposable d in owned) d.Dispose();
                NormGenSettings.MaxDegreeOfParallelism = 1;
                double b = (double)c.Tensors * c.Shape.Elements * sizeof(float);
                string GB(double? s) => $"{b / s!.Value / 1e9:F1} ({100 * v[2]!.Value / s.Value:F0}%)";
                Print($"| {(c.AllCores ? c.Name + ", all cores" : c.Name)} | {GB(v[0])} | {GB(v[1])} | {b / v[2]!.Value / 1e9:F1} | {v[1]!.Value / v[0]!.Value:F2} | {GB(v[3])} | {v[1]!.Value / v[3]!.Value:F2} | {GB(v[4])} |");
                continue;
            }
            if (s_streamAb)
            {
                long threshold = NormGenSettings.StreamingStoreThreshold;
                Action With(long t) => () => { NormGenSettings.StreamingStoreThreshold = t; c.NormGen(); };
                double?[] v = Measure([With(threshold), With(long.MaxValue), With(0), c.Composition, c.Copy], cpu: s_cpu && !c.AllCores);
                NormGenSettings.StreamingStoreThreshold = threshold;
                foreach (IDisposable d in owned) d.Dispose();
                NormGenSettings.MaxDegreeOfParallelism = 1;
                double b = (double)c.Tensors * c.Shape.Elements * sizeof(float);
                string G(double? s) => s is null ? "–" : $"{b / s.Value / 1e9:F1}";
                Print($"| {c.Name} | {G(v[0])} | {G(v[1])} | {G(v[2])} | {G(v[3])} | {G(v[4])} | {v[1]!.Value / v[0]!.Value:F3} | {v[2]!.Value / v[0]!.Value:F3} | {Ratio(v[3], v[0])} | {Ratio(v[3], v[1])} |");
                continue;
            }
            if (c.Place.Length > 0) places.Add($"{(c.AllCores ? c.Name + ", all cores" : c.Name)}: {c.Place}");
            double?[] t = Measure([c.NormGen, c.Composition, c.Ort, c.Copy], cpu: s_cpu && !c.AllCores);
            foreach (IDisposable d in owned) d.Dispose();
            NormGenSettings.MaxDegreeOfParallelism = 1;
            double bytes = (double)c.Tensors * c.Shape.Elements * sizeof(float);
            bool latency = c.Shape.Rows == 1;
            string Cell(double? s) => s is null ? "–" : latency ? $"{s.Value * 1e9:N0} ns" : $"{bytes / s.Value / 1e9:F1}";
            string name = c.AllCores ? $"{c.Name}, all cores" : c.Name;
            string copy = Cell(t[3]) + (c.AllCores ? $" ({Environment.ProcessorCount}T)" : "");
            Print($"| {name} | {Cell(t[0])} | {Cell(t[1])} | {Cell(t[2])} | {copy} | {Ratio(t[1], t[0])} | {Ratio(t[2], t[0])} | {(latency ? "–" : Percent(t[3], t[0]))} |");
        }
        Console.WriteLine();
        Console.WriteLine("GB/s = bytes moved (x read + y written; residual: 4 tensors; DeepNorm: x, sublayer, y) ÷ time; 1×768 in ns per call.");
        Console.WriteLine("TP = the same math composed from TensorPrimitives calls per row; NT copy = AVX-512 non-temporal copy of the same bytes.");
        Console.WriteLine("Ratios are speed ratios (time of the other ÷ time of NormGen); NormGen/NT copy is NormGen's share of the copy bound.");
        if (places.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("Where NormGen's arrays lie (bytes past a 4 KiB page): " + string.Join("; ", places) + ".");
        }
        PrintStoreProbes();
    }

    /// <summary>
    /// The stores RowEngine's probes kept in this process (RowEngine.StoreTuning.cs: a large call's class times the
    /// threshold's cached stores, non-temporal rows a time and the non-temporal pipeline, then keeps the fastest), with
    /// each candidate's best time per byte relative to the threshold's: read by reflection, as the probe is internal. A
    /// row cell far from other runs' often kept other stores.
    /// </summary>
    private static void PrintStoreProbes()
    {
        const System.Reflection.BindingFlags Private = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Instance;
        if (typeof(RowEngine).GetField("s_storeProbes", Private)?.GetValue(null) is not System.Collections.IDictionary probes || probes.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine("Store probes in this process (kept stores; best time per byte of each candidate ÷ the threshold's cached stores):");
        foreach (System.Collections.DictionaryEntry entry in probes)
        {
            var key = (System.Runtime.CompilerServices.ITuple)entry.Key;
            object probe = entry.Value!;
            Type type = probe.GetType();
            var candidates = (Array)type.GetField("_candidates", Private)!.GetValue(probe)!;
            var best = (double[])type.GetField("_best", Private)!.GetValue(probe)!;
            int decided = (int)type.GetField("_decided", Private)!.GetValue(probe)!;
            string spec = ((Type)key[0]!).Name;
            spec = spec[(spec.LastIndexOf("NormGen_", StringComparison.Ordinal) is int at and >= 0 ? at + 8 : 0)..];
            string times = string.Join(", ", Enumerable.Range(0, candidates.Length).Select(i => $"{candidates.GetValue(i)} {best[i] / best[0]:F2}"));
            Console.WriteLine($"- {spec} ({key[1]}, {key[2]} thread(s), rows of 2^{key[3]} B, output 2^{key[4]} B): " +
                $"{(decided < 0 ? "still timing" : candidates.GetValue(decided))}; {times}");
        }
    }

    private static IEnumerable<Func<List<IDisposable>, RowCase>> RowCases()
    {
        if (s_shapes is not null)
        {
            foreach (BatchShape s in s_shapes)
                yield return owned => ShapeCase(s);
            yield break;
        }
        foreach (BatchShape s in new BatchShape[] { new(1, 768), new(32, 768), new(128, 4096), new(512, 4096), new(4096, 1024), new(2048, 8192) })
            yield return owned => LayerNormCase(s, allCores: false, owned);
        yield return owned =>
        {
            var w = new Workload(new BatchShape(2048, 8192));
            OrtRunner ort = OrtRunner.RmsNorm(w, Threads.Single);
            owned.Add(ort);
            var (src, dst) = CopyBuffers(w.Shape, 2);
            return new RowCase($"RMSNorm {Shape(w.Shape)}", w.Shape, 2, false,
                () => Kernels.RmsNorm(w.Shape.Hidden, w.X, w.Gamma, w.Y),
                () => Baselines.TensorPrimitivesRmsNorm(w.X, w.Shape.Hidden, w.Gamma, w.Y),
                ort.Run, () => Baselines.NonTemporalCopy(src, dst, 1)) { Place = Where(("x", w.X), ("y", w.Y), ("γ", w.Gamma)) };
        };
        foreach (BatchShape rs in new BatchShape[] { new(2048, 8192), new(512, 4096) })
            yield return owned =>
            {
                var w = new Workload(rs);
                float[] residual = new Workload(w.Shape, seed: 7).X, residualOut = new float[w.Shape.Elements];
                var ort = new ResidualBenchmarks.OrtSkip(w, residual, residualOut, layerNorm: true);
                owned.Add(ort);
                var (src, dst) = CopyBuffers(w.Shape, 4);
                int n = w.Shape.Hidden;
                return new RowCase($"residual LayerNorm {Shape(w.Shape)} (with residualOut)", w.Shape, 4, false,
                    () => ResidualKernels.AddLayerNorm(n, w.X, residual, w.Gamma, w.Beta, w.Y, residualOut),
                    () =>
                    {
                        for (int r = 0; r < w.Shape.Rows; r++)
                        {
                            Span<float> h = residualOut.AsSpan(r * n, n);
                            System.Numerics.Tensors.TensorPrimitives.Add(w.X.AsSpan(r * n, n), residual.AsSpan(r * n, n), h);
                            Baselines.TensorPrimitivesLayerNorm(h, n, w.Gamma, w.Beta, w.Y.AsSpan(r * n, n));
                        }
                    },
                    ort.Run, () => Baselines.NonTemporalCopy(src, dst, 1)) { Place = Where(("x", w.X), ("residual", residual), ("y", w.Y), ("residualOut", residualOut)) };
            };
        foreach (BatchShape s in new BatchShape[] { new(2048, 8192), new(4096, 1024) })
            yield return owned =>
            {
                var w = new Workload(s);
                float[] sublayer = new Workload(s, seed: 7).X;
                var (src, dst) = CopyBuffers(s, 3);
                int n = s.Hidden;
                float alpha = TableKernels.DeepAlpha;
                return new RowCase($"DeepNorm {Shape(s)}", s, 3, false,
                    () => TableKernels.DeepNorm(n, w.X, sublayer, w.Gamma, w.Beta, w.Y),
                    () =>
                    {
                        for (int r = 0; r < s.Rows; r++)
                        {
                            Span<float> y = w.Y.AsSpan(r * n, n);
                            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w.X.AsSpan(r * n, n), alpha, sublayer.AsSpan(r * n, n), y);
                            Baselines.TensorPrimitivesLayerNorm(y, n, w.Gamma, w.Beta, y);
                        }
                    },
                    null, () => Baselines.NonTemporalCopy(src, dst, 1)) { Place = Where(("x", w.X), ("sublayer", sublayer), ("y", w.Y)) };
            };
        yield return owned => LayerNormCase(new BatchShape(2048, 8192), allCores: true, owned);
    }

    /// <summary>
    /// A <c>--shapes</c> case: LayerNorm (any hidden size of <see cref="ChartKernels"/>) or, with <c>--rms</c>, RMSNorm
    /// (768, 1024, 4096, 8192), against the TP composition and the NT copy; with <c>--consumer</c> each LayerNorm call
    /// (NormGen's and TP's) is followed by a sum over y, a next step reading the output.
    /// </summary>
    private static RowCase ShapeCase(BatchShape s)
    {
        var w = new Workload(s);
        var (src, dst) = CopyBuffers(s, 2);
        Action copy = () => Baselines.NonTemporalCopy(src, dst, 1);
        if (s_rms)
            return new RowCase($"RMSNorm {Shape(s)}", s, 2, false, () => Kernels.RmsNorm(s.Hidden, w.X, w.Gamma, w.Y),
                () => Baselines.TensorPrimitivesRmsNorm(w.X, s.Hidden, w.Gamma, w.Y), null, copy);
        Action normGen = () => ChartKernels.LayerNorm(s.Hidden, w.X, w.Gamma, w.Beta, w.Y);
        Action composition = () => Baselines.TensorPrimitivesLayerNorm(w.X, s.Hidden, w.Gamma, w.Beta, w.Y);
        if (!s_consumer)
            return new RowCase($"LayerNorm {Shape(s)}", s, 2, false, normGen, composition, null, copy);
        return new RowCase($"LayerNorm {Shape(s)} + Sum(y)", s, 2, false, () => { normGen(); s_sink += TensorPrimitives.Sum(w.Y); },
            () => { composition(); s_sink += TensorPrimitives.Sum(w.Y); }, null, copy);
    }

    private static RowCase LayerNormCase(BatchShape s, bool allCores, List<IDisposable> owned)
    {
        var w = new Workload(s);
        OrtRunner ort = OrtRunner.LayerNorm(w, allCores ? Threads.AllCores : Threads.Single);
        owned.Add(ort);
        var (src, dst) = CopyBuffers(s, 2);
        int threads = allCores ? Environment.ProcessorCount : 1;
        return new RowCase($"LayerNorm {Shape(s)}", s, 2, allCores,
            () => Kernels.LayerNorm(s.Hidden, w.X, w.Gamma, w.Beta, w.Y),
            allCores ? null : () => Baselines.TensorPrimitivesLayerNorm(w.X, s.Hidden, w.Gamma, w.Beta, w.Y),
            ort.Run, () => Baselines.NonTemporalCopy(src, dst, threads)) { Place = Where(("x", w.X), ("y", w.Y), ("γ", w.Gamma), ("β", w.Beta)) };
    }

    /// <summary>Source and target of the NT copy for <paramref name="tensors"/> tensors of the shape moved: half of them each.</summary>
    private static (float[] Source, float[] Target) CopyBuffers(BatchShape s, int tensors)
    {
        int length = checked(s.Elements * tensors / 2);
        var source = new float[length];
        new Random(5).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(source.AsSpan()));
        for (int i = 0; i < source.Length; i++) if (!float.IsFinite(source[i])) source[i] = 0;
        return (source, new float[length]);
    }

    // ---------------------------------------------------------------- tensor kinds

    private static void Tensors()
    {
        NormGenSettings.MaxDegreeOfParallelism = 1;
        Console.WriteLine("| tensor kind, single thread | NormGen | TP | ONNX Runtime | NormGen GB/s | NT copy GB/s | NormGen/TP | NormGen/ORT | NormGen/NT copy |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        int[][] shapes = [[1, 512, 7, 7], [32, 256, 14, 14]];
        foreach (string kind in new[] { "InstanceNorm", "BatchNorm training", "BatchNorm eval", "GroupNorm(32)" })
            foreach (int[] shape in shapes)
                TensorCase(kind, shape);
        Console.WriteLine();
        Console.WriteLine("Times per call; GB/s = x read + y written. ONNX Runtime: InstanceNormalization (opset 17),");
        Console.WriteLine("BatchNormalization (opset 15; training_mode = 1 where this ONNX Runtime build has it), GroupNormalization (opset 21: per-channel scale).");
    }

    private static void TensorCase(string kind, int[] shape)
    {
        int n = shape[0], c = shape[1], hw = shape[2] * shape[3], elements = n * c * hw;
        var rng = new Random(11);
        float[] x = Enumerable.Range(0, elements).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray(), y = new float[elements];
        float[] gamma = Enumerable.Range(0, c).Select(_ => (float)(0.9 + rng.NextDouble() * 0.2)).ToArray();
        float[] beta = Enumerable.Range(0, c).Select(_ => (float)(rng.NextDouble() * 0.2 - 0.1)).ToArray();
        float[] runningMean = new float[c], runningVar = Enumerable.Repeat(1f, c).ToArray();
        float[] ortMean = new float[c], ortVar = new float[c];
        nint[] lengths = shape.Select(v => (nint)v).ToArray();
        long[] longShape = shape.Select(v => (long)v).ToArray(), channels = [c];
        var (src, dst) = CopyBuffers(new BatchShape(1, elements), 2);
        ReadOnlyTensorSpan<float> X() => new(x, lengths);
        TensorSpan<float> Y() => new(y, lengths);
        OnnxModels.Tensor F(string name, long[] dims) => new(name, OnnxModels.ElementType.Float, dims);
        (Action normGen, Action composition, Func<OrtModel> ortModel) = kind switch
        {
            "InstanceNorm" => (
                (Action)(() => TableKernels.InstanceNorm(X(), gamma, beta, Y())),
                (Action)(() => TensorBaselines.InstanceNorm(x, n, c, hw, gamma, beta, y)),
                (Func<OrtModel>)(() => new OrtModel(OnnxModels.InstanceNormalization(longShape, TensorBaselines.Epsilon),
                    [("input", x, longShape), ("scale", gamma, channels), ("B", beta, channels)], [("output", y, longShape)]))),
            "BatchNorm training" => (
                () => TableKernels.BatchNormTraining(X(), gamma, beta, runningMean, runningVar, Y()),
                () => TensorBaselines.BatchNormTraining(x, n, c, hw, gamma, beta, runningMean, runningVar, y),
                () => new OrtModel(OnnxModels.SingleAtOpset("BatchNormalization", 15,
                        [F("X", longShape), F("scale", channels), F("B", channels), F("input_mean", channels), F("input_var", channels)],
                        [F("Y", longShape), F("running_mean", channels), F("running_var", channels)],
                        [new("epsilon", F: TensorBaselines.Epsilon), new("momentum", F: 0.9f), new("training_mode", I: 1)]),
                    [("X", x, longShape), ("scale", gamma, channels), ("B", beta, channels), ("input_mean", runningMean, channels), ("input_var", runningVar, channels)],
                    [("Y", y, longShape), ("running_mean", ortMean, channels), ("running_var", ortVar, channels)])),
            "BatchNorm eval" => (
                () => TableKernels.BatchNormEval(X(), gamma, beta, runningMean, runningVar, Y()),
                () => TensorBaselines.BatchNormEval(x, n, c, hw, gamma, beta, runningMean, runningVar, y),
                () => new OrtModel(OnnxModels.BatchNormalization(longShape, TensorBaselines.Epsilon),
                    [("X", x, longShape), ("scale", gamma, channels), ("B", beta, channels), ("input_mean", runningMean, channels), ("input_var", runningVar, channels)],
                    [("Y", y, longShape)])),
            _ => (
                () => TableKernels.GroupNorm32(X(), gamma, beta, Y()),
                () => TensorBaselines.GroupNorm(x, n, c, hw, 32, gamma, beta, y),
                () => new OrtModel(OnnxModels.GroupNormalization(longShape, 32, TensorBaselines.Epsilon),
                    [("X", x, longShape), ("scale", gamma, channels), ("bias", beta, channels)], [("Y", y, longShape)])),
        };
        OrtModel? ort = null;
        string? ortNote = null;
        try
        {
            ort = ortModel();
            ort.Run(); // a build without the op (e.g. BatchNorm training outside ORT's training builds) fails here
        }
        catch (OnnxRuntimeException e)
        {
            ort?.Dispose();
            ort = null;
            ortNote = e.Message.Split('\n')[0];
        }
        // One thread on both sides (MaxDegreeOfParallelism 1; OrtModel: IntraOpNumThreads 1, which runs on the calling
        // thread), so the calling thread's CPU time (--cpu) is all of each method's time.
        double?[] t = Measure([normGen, composition, ort is null ? null : ort.Run, () => Baselines.NonTemporalCopy(src, dst, 1)], cpu: s_cpu);
        ort?.Dispose();
        double bytes = 2.0 * elements * sizeof(float);
        string Us(double? s) => s is null ? "–" : $"{s.Value * 1e6:F1} µs";
        string Gbps(double? s) => s is null ? "–" : $"{bytes / s.Value / 1e9:F1}";
        Print($"| {kind} ({string.Join(", ", shape)}) | {Us(t[0])} | {Us(t[1])} | {Us(t[2])} | {Gbps(t[0])} | {Gbps(t[3])} | {Ratio(t[1], t[0])} | {Ratio(t[2], t[0])} | {Percent(t[3], t[0])} |");
        if (ortNote is not null) Console.WriteLine($"  (ONNX Runtime: {ortNote})");
    }

    // ---------------------------------------------------------------- scalers

    private static void Scalers()
    {
        NormGenSettings.MaxDegreeOfParallelism = 1;
        Console.WriteLine("| scaler, single thread | NormGen | row-wise TP loop | NormGen GB/s | NT copy GB/s | NormGen/TP | NormGen/NT copy | read + NT copy | NormGen/bound |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        var shapes = s_scalerShapes?.Split(',').Select(p => p.Split('x')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToArray()
            ?? [(100_000, 256), (1000, 4096)];
        foreach (var (samples, features) in shapes)
        {
            int elements = samples * features;
            var rng = new Random(13);
            float[] x = new float[elements], y = new float[elements];
            for (int i = 0; i < elements; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
            float[] a = new float[features], b = new float[features], scratch = new float[features];
            nint[] lengths = [samples, features];
            var (src, dst) = CopyBuffers(new BatchShape(samples, features), 2);
            double bytes = 2.0 * elements * sizeof(float);
            foreach (string kind in new[] { "MinMaxScale", "Standardize" })
            {
                Action normGen = kind == "MinMaxScale"
                    ? () => TableKernels.MinMaxScale(new(x, lengths, []), new(y, lengths, []))
                    : () => TableKernels.Standardize(new(x, lengths, []), new(y, lengths, []));
                Action composition = kind == "MinMaxScale"
                    ? () => TensorBaselines.MinMaxScale(x, samples, features, a, b, scratch, y)
                    : () => TensorBaselines.Standardize(x, samples, features, a, b, scratch, y);
                double?[] t = Measure([normGen, composition, () => Baselines.NonTemporalCopy(src, dst, 1), () => s_sink += System.Numerics.Tensors.TensorPrimitives.Sum<float>(x)], cpu: s_cpu);
                double bound = t[3]!.Value + t[2]!.Value; // the least a scaler can do past the cache: its statistics read x once, its output copies x to y
                Print($"| {kind} ({samples:N0}, {features:N0}) | {t[0]!.Value * 1e3:F2} ms | {t[1]!.Value * 1e3:F2} ms | {bytes / t[0]!.Value / 1e9:F1} | {bytes / t[2]!.Value / 1e9:F1} | {Ratio(t[1], t[0])} | {Percent(t[2], t[0])} | {bound * 1e3:F2} ms | {Percent(bound, t[0])} |");
            }
        }
        Console.WriteLine();
        Console.WriteLine("Row-wise TP loop: per-column statistics accumulated row by row with TensorPrimitives (Min/Max; Add, then Subtract and");
        Console.WriteLine("MultiplyAdd for the squared deviations), then one Subtract and one Multiply per row. Read + NT copy: a");
        Console.WriteLine("TensorPrimitives.Sum over x plus the NT copy, the least a scaler past the cache can do (its statistics must read all");
        Console.WriteLine("of x before its output pass reads x and writes y); NormGen/bound = that time over NormGen's.");
    }

    // ---------------------------------------------------------------- one thread against all cores

    /// <summary>
    /// The tensor kinds and scalers in float and Half, each timed on one thread and on all cores side by side (issue 11:
    /// every kind spreads over the cores; Half streams in units): wall time, since the all-cores side runs on the pool.
    /// </summary>
    private static void Cores()
    {
        Console.WriteLine($"| tensor kind / scaler ({Environment.ProcessorCount} cores, wall time) | element | one thread | all cores | speed-up | all cores GB/s |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        nint[] image = [4, 96, 128, 128], wide = [1, 64, 256, 256], table = [100_000, 256];
        foreach ((string name, nint[] shape) in new (string, nint[])[]
                 {
                     ("InstanceNorm", image), ("BatchNorm training", image), ("GroupNorm(32)", image), ("ChannelLayerNorm", wide),
                     ("MinMaxScale", table), ("Standardize", table),
                 })
        {
            int elements = (int)shape.Aggregate((nint)1, (a, b) => a * b), channels = (int)shape[1];
            var rng = new Random(17);
            float[] x = new float[elements], y = new float[elements];
            for (int i = 0; i < elements; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
            Half[] xh = x.Select(v => (Half)v).ToArray(), yh = new Half[elements];
            float[] g = Enumerable.Repeat(1f, channels).ToArray(), b = new float[channels], rm = new float[channels], rv = Enumerable.Repeat(1f, channels).ToArray();
            Half[] gh = g.Select(v => (Half)v).ToArray(), bh = new Half[channels], rmh = new Half[channels], rvh = rv.Select(v => (Half)v).ToArray();
            (Action single, Action half) = name switch
            {
                "InstanceNorm" => ((Action)(() => TableKernels.InstanceNorm(new(x, shape, []), g, b, new(y, shape, []))),
                    (Action)(() => TableKernels.InstanceNormHalf(new(xh, shape, []), gh, bh, new(yh, shape, [])))),
                "BatchNorm training" => (() => TableKernels.BatchNormTraining(new(x, shape, []), g, b, rm, rv, new(y, shape, [])),
                    () => TableKernels.BatchNormTrainingHalf(new(xh, shape, []), gh, bh, rmh, rvh, new(yh, shape, []))),
                "GroupNorm(32)" => (() => TableKernels.GroupNorm32(new(x, shape, []), g, b, new(y, shape, [])),
                    () => TableKernels.GroupNorm32Half(new(xh, shape, []), gh, bh, new(yh, shape, []))),
                "ChannelLayerNorm" => (() => TableKernels.ChannelLayerNorm(new(x, shape, []), g, b, new(y, shape, [])),
                    () => TableKernels.ChannelLayerNormHalf(new(xh, shape, []), gh, bh, new(yh, shape, []))),
                "MinMaxScale" => (() => TableKernels.MinMaxScale(new(x, shape, []), new(y, shape, [])),
                    () => TableKernels.MinMaxScaleHalf(new(xh, shape, []), new(yh, shape, []))),
                _ => (() => TableKernels.Standardize(new(x, shape, []), new(y, shape, [])),
                    () => TableKernels.StandardizeHalf(new(xh, shape, []), new(yh, shape, []))),
            };
            foreach ((string element, Action call, int size) in new[] { ("float", single, sizeof(float)), ("Half", half, 2) })
            {
                double?[] t = Measure([
                    () => { NormGenSettings.MaxDegreeOfParallelism = 1; call(); },
                    () => { NormGenSettings.MaxDegreeOfParallelism = -1; call(); }]);
                NormGenSettings.MaxDegreeOfParallelism = -1;
                Print($"| {name} ({string.Join(", ", shape)}) | {element} | {t[0]!.Value * 1e3:F2} ms | {t[1]!.Value * 1e3:F2} ms | {Ratio(t[0], t[1])} | {2.0 * elements * size / t[1]!.Value / 1e9:F1} |");
            }
        }
        Console.WriteLine();
        Console.WriteLine("Speed-up: one thread's time ÷ all cores'. GB/s: x read once and y written once, whatever the passes.");
    }

    // ---------------------------------------------------------------- in-cache bounds

    /// <summary>
    /// <c>--only bounds</c> (not part of the full run): LayerNorm rows in cache and in L3 (the table's compile-time 768 and
    /// 4096 kernels) against the single passes a
    /// fused row cannot do without: one TensorPrimitives.MultiplyAdd per row (y = x·γ + β: the last pass's loads and
    /// stores, nothing else), TensorPrimitives.Sum then MultiplyAdd per row (the least two passes over the row), a cached
    /// copy of x into y (Span.CopyTo), and the TP composition of the rows table. Shows how far the issue's in-cache and
    /// L3 targets (2.5× TP at 32×768, 1.8× at 128 and 512 × 4096) are from the time of one pass over the rows.
    /// </summary>
    private static void Bounds()
    {
        Console.WriteLine("| LayerNorm | NormGen | one MultiplyAdd pass | Sum + MultiplyAdd | cached copy | TP | NormGen/TP | MultiplyAdd pass/TP | NormGen ÷ MultiplyAdd pass time |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        NormGenSettings.MaxDegreeOfParallelism = 1; // one thread, as the single-thread rows: --cpu times the calling thread only
        foreach (BatchShape shape in new BatchShape[] { new(8, 768), new(32, 768), new(128, 768), new(128, 4096), new(512, 4096) })
        {
            var w = new Workload(shape);
            float[] x = w.X, y = w.Y, g = w.Gamma, b = w.Beta;
            int rows = shape.Rows, n = shape.Hidden;
            Action multiplyAdd = () =>
            {
                for (int r = 0; r < rows; r++) TensorPrimitives.MultiplyAdd(x.AsSpan(r * n, n), g, b, y.AsSpan(r * n, n));
            };
            Action sumMultiplyAdd = () =>
            {
                for (int r = 0; r < rows; r++)
                {
                    s_sink += TensorPrimitives.Sum(x.AsSpan(r * n, n));
                    TensorPrimitives.MultiplyAdd(x.AsSpan(r * n, n), g, b, y.AsSpan(r * n, n));
                }
            };
            double?[] t = Measure([() => Kernels.LayerNorm(n, x, g, b, y), multiplyAdd, sumMultiplyAdd, () => x.AsSpan().CopyTo(y),
                () => Baselines.TensorPrimitivesLayerNorm(x, n, g, b, y)], cpu: s_cpu);
            double bytes = 2.0 * shape.Elements * sizeof(float);
            string G(double? v) => $"{bytes / v!.Value / 1e9:F1}";
            Print($"| {Shape(shape)} | {G(t[0])} | {G(t[1])} | {G(t[2])} | {G(t[3])} | {G(t[4])} | {Ratio(t[4], t[0])} | {Ratio(t[4], t[1])} | {t[0]!.Value / t[1]!.Value:F2} |");
        }
        Console.WriteLine();
        Console.WriteLine("GB/s = x read + y written ÷ time (γ and β not counted); ratios are speed ratios, the last column a time ratio.");
    }

    // ---------------------------------------------------------------- timing

    /// <summary>
    /// Seconds per call of each method (median batch, or fastest with --best) (null where the method is null), timed side by side: all warm up first,
    /// then the batches go round the methods, each round in a new random order, so a burst of load from elsewhere
    /// falls on all of them alike, none is always first and none always follows the same method.
    /// </summary>
    private static double?[] Measure(Action?[] methods, bool cpu = false)
    {
        foreach (Action? m in methods) if (m is not null) Spin(m, WarmUp);
        Thread.Sleep(Pause);
        foreach (Action? m in methods) if (m is not null) Spin(m, WarmUp);
        int[] calls = methods.Select(m => m is null ? 0 : CallsPerBatch(m)).ToArray();
        var perCall = methods.Select(_ => new double[Samples]).ToArray();
        // Each round runs the methods in a new random order (fixed seed): whichever method runs first in a round read
        // 3–10% slow (an unchanged control shape 0.97–1.00 in one order, 1.07–1.10 in the other), and in a fixed cycle a
        // method always follows the same one, so it always finds what that one left in the caches (BatchNorm training
        // (32, 256, 14, 14) after the NT copy 619–661 µs, after TP 455–714 µs): no method may always be first or always
        // follow the same method.
        var order = new Random(20261130);
        int[] sequence = Enumerable.Range(0, methods.Length).ToArray();
        for (int i = 0; i < Samples; i++)
        {
            order.Shuffle(sequence);
            foreach (int m in sequence)
            {
                if (methods[m] is not Action action) continue;
                long start = Stopwatch.GetTimestamp();
                double cpu0 = cpu ? ThreadCpuClock.Microseconds() : 0;
                for (int k = 0; k < calls[m]; k++) action();
                perCall[m][i] = (cpu ? (ThreadCpuClock.Microseconds() - cpu0) / 1e6 : Stopwatch.GetElapsedTime(start).TotalSeconds) / calls[m];
            }
        }
        return methods.Select((m, i) =>
        {
            if (m is null) return (double?)null;
            Array.Sort(perCall[i]);
            return perCall[i][s_best ? 0 : Samples / 2];
        }).ToArray();
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

    // ---------------------------------------------------------------- text

    /// <summary>How many times faster NormGen is than the other method (other's time ÷ NormGen's).</summary>
    private static string Ratio(double? other, double? normGen) => other is null || normGen is null ? "–" : $"{other.Value / normGen.Value:F2}×";

    /// <summary>NormGen's speed as a share of the copy's: copy time ÷ NormGen time.</summary>
    private static string Percent(double? copy, double? normGen) => copy is null || normGen is null ? "–" : $"{100 * copy.Value / normGen.Value:F0}%";

    private static string Shape(BatchShape s) => $"{s.Rows}×{s.Hidden}";

    private static void Print(string line) => Console.WriteLine(line);

    /// <summary>The processor's name from /proc/cpuinfo (Linux), else the environment's description.</summary>
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
