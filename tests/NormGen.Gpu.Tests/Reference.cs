using System;

namespace NormGen.Gpu.Tests;

/// <summary>Independent double-precision references (naive two-pass, written from the formulas, not from the kernels).</summary>
internal static class Reference
{
    public static double[] LayerNorm(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / rowLength; r++)
        {
            ReadOnlySpan<double> row = x.Slice(r * rowLength, rowLength);
            double mean = 0;
            foreach (double v in row) mean += v;
            mean /= rowLength;
            double variance = 0;
            foreach (double v in row) variance += (v - mean) * (v - mean);
            variance /= rowLength;
            double rstd = 1 / Math.Sqrt(variance + eps);
            for (int i = 0; i < rowLength; i++)
            {
                double value = (row[i] - mean) * rstd;
                if (!gamma.IsEmpty) value *= gamma[i];
                if (!beta.IsEmpty) value += beta[i];
                y[r * rowLength + i] = value;
            }
        }
        return y;
    }

    public static double[] RmsNorm(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / rowLength; r++)
        {
            ReadOnlySpan<double> row = x.Slice(r * rowLength, rowLength);
            double sumSq = 0;
            foreach (double v in row) sumSq += v * v;
            double rstd = 1 / Math.Sqrt(sumSq / rowLength + eps);
            for (int i = 0; i < rowLength; i++)
                y[r * rowLength + i] = row[i] * rstd * (gamma.IsEmpty ? 1 : gamma[i]);
        }
        return y;
    }

    public static double[] Widen(float[] values) => Array.ConvertAll(values, v => (double)v);

    public static double[] Widen(Half[] values) => Array.ConvertAll(values, v => (double)v);

    /// <summary>Random values with a per-row mean offset (so the mean matters) in a fixed seed.</summary>
    public static float[] Floats(int count, int seed, double scale = 2, double offset = 0)
    {
        var rng = new Random(seed);
        var a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float)(offset + (rng.NextDouble() * 2 - 1) * scale);
        return a;
    }

    public static double[] Doubles(int count, int seed, double scale = 2, double offset = 0)
    {
        var rng = new Random(seed);
        var a = new double[count];
        for (int i = 0; i < count; i++) a[i] = offset + (rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Largest |actual − expected| / (1 + |expected|): an absolute error near 0, relative for large values.</summary>
    public static double MaxError(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
    {
        if (expected.Length != actual.Length) throw new ArgumentException("length mismatch");
        OutputLog.Record(actual);
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = Math.Abs(actual[i] - expected[i]) / (1 + Math.Abs(expected[i]));
            if (double.IsNaN(e)) return double.NaN;
            max = Math.Max(max, e);
        }
        return max;
    }
}
