using System;
using System.Collections.Generic;
using System.Globalization;

namespace NormGen.Benchmarks;

/// <summary>
/// <c>--validate</c>: runs every benchmarked method once per shape and compares y with a double-precision reference,
/// so a fast-but-wrong competitor (or a mis-wired ONNX model) cannot go unnoticed in the timing tables.
/// </summary>
public static class Validation
{
    private const double Tolerance = 1e-3;

    public static int Run()
    {
        int failures = 0;
        Console.WriteLine($"{"suite",-10}{"shape",-11}{"method",-28}{"max |y - ref|",14}");
        foreach (BatchShape s in NormBenchmarks.Shapes)
        {
            var w = new Workload(s);
            int h = w.Shape.Hidden;
            double[] lnRef = Reference(w, rms: false), rmsRef = Reference(w, rms: true);
            var ln = new List<(string, Action)>
            {
                ("NormGen (1 thread)", () => { NormGenSettings.MaxDegreeOfParallelism = 1; Kernels.LayerNorm(h, w.X, w.Gamma, w.Beta, w.Y); }),
                ("NormGen (all cores)", () => { NormGenSettings.MaxDegreeOfParallelism = -1; Kernels.LayerNorm(h, w.X, w.Gamma, w.Beta, w.Y); }),
                ("TensorPrimitives", () => Baselines.TensorPrimitivesLayerNorm(w.X, h, w.Gamma, w.Beta, w.Y)),
                ("NaiveScalar", () => Baselines.NaiveLayerNorm(w.X, h, w.Gamma, w.Beta, w.Y)),
                ("OnnxRuntime (1 thread)", () => { using var o = OrtRunner.LayerNorm(w, Threads.Single); o.Run(); }),
                ("OnnxRuntime (default)", () => { using var o = OrtRunner.LayerNorm(w, Threads.AllCores); o.Run(); }),
            };
            var rms = new List<(string, Action)>
            {
                ("NormGen (1 thread)", () => { NormGenSettings.MaxDegreeOfParallelism = 1; Kernels.RmsNorm(h, w.X, w.Gamma, w.Y); }),
                ("NormGen (all cores)", () => { NormGenSettings.MaxDegreeOfParallelism = -1; Kernels.RmsNorm(h, w.X, w.Gamma, w.Y); }),
                ("TensorPrimitives", () => Baselines.TensorPrimitivesRmsNorm(w.X, h, w.Gamma, w.Y)),
                ("NaiveScalar", () => Baselines.NaiveRmsNorm(w.X, h, w.Gamma, w.Y)),
                ("OnnxRuntime (1 thread)", () => { using var o = OrtRunner.RmsNorm(w, Threads.Single); o.Run(); }),
                ("OnnxRuntime (default)", () => { using var o = OrtRunner.RmsNorm(w, Threads.AllCores); o.Run(); }),
            };
            failures += Check("LayerNorm", s, ln, w, lnRef) + Check("RmsNorm", s, rms, w, rmsRef);
        }
        NormGenSettings.MaxDegreeOfParallelism = -1;
        Console.WriteLine(failures == 0 ? "All outputs match the reference." : $"{failures} output(s) differ from the reference by more than {Tolerance}.");
        return failures == 0 ? 0 : 1;
    }

    private static int Check(string suite, BatchShape shape, List<(string Name, Action Run)> methods, Workload w, double[] reference)
    {
        int failures = 0;
        foreach ((string name, Action run) in methods)
        {
            Array.Fill(w.Y, float.NaN);
            run();
            double max = 0;
            for (int i = 0; i < reference.Length; i++)
            {
                double e = Math.Abs(w.Y[i] - reference[i]);
                if (!(e <= max)) max = e; // NaN propagates into max
            }
            bool ok = max <= Tolerance;
            if (!ok) failures++;
            Console.WriteLine($"{suite,-10}{shape.ToString(),-11}{name,-28}{max.ToString("E2", CultureInfo.InvariantCulture),14}{(ok ? "" : "  FAIL")}");
        }
        return failures;
    }

    private static double[] Reference(Workload w, bool rms)
    {
        int h = w.Shape.Hidden;
        var y = new double[w.X.Length];
        for (int r = 0; r < w.Shape.Rows; r++)
        {
            int o = r * h;
            double mean = 0, sq = 0;
            if (!rms)
            {
                for (int i = 0; i < h; i++) mean += w.X[o + i];
                mean /= h;
            }
            for (int i = 0; i < h; i++) sq += (w.X[o + i] - mean) * (w.X[o + i] - mean);
            double rstd = 1 / Math.Sqrt(sq / h + (rms ? Baselines.RmsNormEpsilon : Baselines.LayerNormEpsilon));
            for (int i = 0; i < h; i++)
                y[o + i] = (w.X[o + i] - mean) * rstd * w.Gamma[i] + (rms ? 0 : w.Beta[i]);
        }
        return y;
    }
}
