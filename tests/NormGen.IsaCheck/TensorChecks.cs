// The (N, C, *) and (samples, features) kernels on this process's vector width, against double references written
// here: GroupNorm, InstanceNorm, BatchNorm (eval and one training step), channel LayerNorm, Standardize, MinMaxScale.
// Shapes are chosen so every contiguous run has a vector tail (37 spatial positions or features).
using System;
using System.Linq;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.IsaCheck;

public static partial class TensorKernels
{
    [GroupNorm(3)] public static partial void Gn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);
    [InstanceNorm] public static partial void Inorm(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);
    [InstanceNorm] public static partial void InormH(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);
    [BatchNorm] public static partial void BnEval(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, TensorSpan<float> y);
    [BatchNorm(Training = true, Momentum = 0.1f)] public static partial void BnTrain(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> runningMean, Span<double> runningVar, TensorSpan<double> y);
    [ChannelLayerNorm] public static partial void ChannelLn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);
    [Standardize] public static partial void ZScore(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);
    [MinMaxScale] public static partial void MinMax(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);
}

public static class TensorChecks
{
    private const int N = 2, C = 6, S = 37, Samples = 45, Features = 37;

    public static void Run(Action<string, Func<bool>> check)
    {
        var rng = new Random(37);
        double[] Data(int n, double offset) => Enumerable.Range(0, n).Select(_ => offset + rng.NextDouble() * 4 - 2).ToArray();
        double[] x = Data(N * C * S, 0.5).Select(v => (double)(float)v).ToArray();
        double[] gamma = Data(C, 1).Select(v => (double)(float)v).ToArray(), beta = Data(C, 0).Select(v => (double)(float)v).ToArray();
        float[] F(double[] a) => Array.ConvertAll(a, v => (float)v);
        nint[] shape = [N, C, S];

        check("GroupNorm(3) (N, C, 37) matches reference", () =>
        {
            float[] y = new float[x.Length];
            TensorKernels.Gn(new ReadOnlyTensorSpan<float>(F(x), shape), F(gamma), F(beta), new TensorSpan<float>(y, shape));
            return Matches(y, Grouped(x, 3, gamma, beta), 2e-5);
        });
        check("GroupNorm(3) (N, C, 37), blocks whose first vector is far from their mean or around 1e4, matches reference", () =>
        {
            // Groups of 74: every block's first 16 elements 40 above the rest (its one-pass shift too far from the mean:
            // the second pass), and every second group around 1e4.
            double[] far = (double[])x.Clone();
            int per = C / 3 * S;
            for (int i = 0; i < far.Length; i++)
                far[i] = (float)(far[i] + (i % per < 16 ? 40 : 0) + (i / per % 2 == 1 ? 1e4 : 0));
            float[] y = new float[far.Length];
            TensorKernels.Gn(new ReadOnlyTensorSpan<float>(F(far), shape), F(gamma), F(beta), new TensorSpan<float>(y, shape));
            return Matches(y, Grouped(far, 3, gamma, beta), 3e-5);
        });
        check("InstanceNorm (N, C, 37) matches reference, float and Half", () =>
        {
            float[] y = new float[x.Length];
            TensorKernels.Inorm(new ReadOnlyTensorSpan<float>(F(x), shape), new TensorSpan<float>(y, shape));
            Half[] xh = Array.ConvertAll(x, v => (Half)v), yh = new Half[x.Length];
            TensorKernels.InormH(new ReadOnlyTensorSpan<Half>(xh, shape), new TensorSpan<Half>(yh, shape));
            double[] expectedH = Grouped(Array.ConvertAll(xh, v => (double)v), C, null, null);
            return Matches(y, Grouped(x, C, null, null), 2e-5) && Matches(Array.ConvertAll(yh, v => (float)v), expectedH, 2e-3);
        });
        check("BatchNorm eval (N, C, 37) matches reference", () =>
        {
            double[] rm = Data(C, 0), rv = Data(C, 3).Select(Math.Abs).ToArray();
            float[] y = new float[x.Length];
            TensorKernels.BnEval(new ReadOnlyTensorSpan<float>(F(x), shape), F(gamma), F(beta), F(rm), F(rv), new TensorSpan<float>(y, shape));
            var expected = new double[x.Length];
            for (int n = 0; n < N; n++)
                for (int c = 0; c < C; c++)
                    for (int s = 0; s < S; s++)
                    {
                        int i = (n * C + c) * S + s;
                        expected[i] = ((float)x[i] - (float)rm[c]) / Math.Sqrt((float)rv[c] + 1e-5) * (float)gamma[c] + (float)beta[c];
                    }
            return Matches(y, expected, 2e-5);
        });
        check("BatchNorm training step (double) matches reference, running stats included", () =>
        {
            double[] rm = new double[C], rv = Enumerable.Repeat(1.0, C).ToArray(), y = new double[x.Length];
            TensorKernels.BnTrain(new ReadOnlyTensorSpan<double>(x, shape), gamma, beta, rm, rv, new TensorSpan<double>(y, shape));
            var expected = new double[x.Length];
            bool ok = true;
            for (int c = 0; c < C; c++)
            {
                var v = Enumerable.Range(0, N * S).Select(j => x[((j / S) * C + c) * S + j % S]).ToArray();
                double mean = v.Average(), var = v.Select(t => (t - mean) * (t - mean)).Sum() / v.Length;
                ok &= Math.Abs(rm[c] - 0.1 * mean) < 1e-12 && Math.Abs(rv[c] - (0.9 + 0.1 * var * v.Length / (v.Length - 1))) < 1e-12;
                for (int j = 0; j < N * S; j++)
                {
                    int i = ((j / S) * C + c) * S + j % S;
                    expected[i] = (x[i] - mean) / Math.Sqrt(var + 1e-5) * gamma[c] + beta[c];
                }
            }
            return ok && Matches(y, expected, 1e-12);
        });
        check("ChannelLayerNorm (N, C, 37) matches reference", () =>
        {
            float[] y = new float[x.Length];
            TensorKernels.ChannelLn(new ReadOnlyTensorSpan<float>(F(x), shape), F(gamma), F(beta), new TensorSpan<float>(y, shape));
            var expected = new double[x.Length];
            for (int n = 0; n < N; n++)
                for (int s = 0; s < S; s++)
                {
                    var v = Enumerable.Range(0, C).Select(c => x[(n * C + c) * S + s]).ToArray();
                    double mean = v.Average(), var = v.Select(t => (t - mean) * (t - mean)).Average();
                    for (int c = 0; c < C; c++)
                        expected[(n * C + c) * S + s] = (v[c] - mean) / Math.Sqrt(var + 1e-5) * gamma[c] + beta[c];
                }
            return Matches(y, expected, 2e-5);
        });
        double[] table = Data(Samples * Features, 3).Select(v => (double)(float)v).ToArray();
        nint[] tableShape = [Samples, Features];
        check("Standardize and MinMaxScale (45, 37) match reference", () =>
        {
            float[] z = new float[table.Length], m = new float[table.Length];
            TensorKernels.ZScore(new ReadOnlyTensorSpan<float>(F(table), tableShape), new TensorSpan<float>(z, tableShape));
            TensorKernels.MinMax(new ReadOnlyTensorSpan<float>(F(table), tableShape), new TensorSpan<float>(m, tableShape));
            double[] ez = new double[table.Length], em = new double[table.Length];
            for (int f = 0; f < Features; f++)
            {
                var col = Enumerable.Range(0, Samples).Select(r => table[r * Features + f]).ToArray();
                double mean = col.Average(), sd = Math.Sqrt(col.Select(t => (t - mean) * (t - mean)).Average()), lo = col.Min(), hi = col.Max();
                for (int r = 0; r < Samples; r++)
                {
                    ez[r * Features + f] = (col[r] - mean) / sd;
                    em[r * Features + f] = (col[r] - lo) / (hi - lo);
                }
            }
            return Matches(z, ez, 2e-5) && Matches(m, em, 2e-6);
        });
    }

    /// <summary>Normalization over groups of consecutive channels of each sample (GroupNorm; InstanceNorm when groups = C).</summary>
    private static double[] Grouped(double[] x, int groups, double[]? gamma, double[]? beta)
    {
        var y = new double[x.Length];
        int per = C / groups * S;
        for (int n = 0; n < N; n++)
            for (int g = 0; g < groups; g++)
            {
                int start = (n * groups + g) * per;
                var v = x.AsSpan(start, per).ToArray();
                double mean = v.Average(), var = v.Select(t => (t - mean) * (t - mean)).Average(), rs = 1 / Math.Sqrt(var + 1e-5);
                for (int j = 0; j < per; j++)
                {
                    int c = g * (C / groups) + j / S;
                    y[start + j] = (v[j] - mean) * rs * (gamma?[c] ?? 1) + (beta?[c] ?? 0);
                }
            }
        return y;
    }

    private static bool Matches(float[] actual, double[] expected, double tolerance)
    {
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i]))))
            {
                Console.WriteLine($"  element {i}: {actual[i]:R} vs {expected[i]:R}");
                return false;
            }
        return true;
    }

    private static bool Matches(double[] actual, double[] expected, double tolerance)
    {
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i]))))
            {
                Console.WriteLine($"  element {i}: {actual[i]:R} vs {expected[i]:R}");
                return false;
            }
        return true;
    }
}
