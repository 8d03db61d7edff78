using System;

namespace NormGen.Gpu.Tests;

/// <summary>Double-precision references for the tensor kinds, written from their definitions (PyTorch semantics).</summary>
internal static class TensorReference
{
    /// <summary>GroupNorm (InstanceNorm: groups = C): per (sample, group) μ and biased σ², per-channel γ/β.</summary>
    public static (double[] Y, double[] Mean, double[] Rstd) Groups(double[] x, int batch, int channels, int spatial, int groups, double[]? gamma, double[]? beta, double eps)
    {
        int per = channels / groups, length = per * spatial;
        var y = new double[x.Length];
        var mean = new double[batch * groups];
        var rstd = new double[batch * groups];
        for (int block = 0; block < batch * groups; block++)
        {
            (double m, double v) = Moments(x, block * length, 1, length);
            mean[block] = m;
            rstd[block] = 1 / Math.Sqrt(v + eps);
            for (int i = 0; i < length; i++)
            {
                int c = block % groups * per + i / spatial;
                y[block * length + i] = (x[block * length + i] - m) * rstd[block] * (gamma?[c] ?? 1) + (beta?[c] ?? 0);
            }
        }
        return (y, mean, rstd);
    }

    /// <summary>BatchNorm training: batch statistics per channel over N × spatial, running stats with the unbiased variance.</summary>
    public static (double[] Y, double[] RunningMean, double[] RunningVar, double[] Mean, double[] Rstd) BatchTraining(
        double[] x, int batch, int channels, int spatial, double[]? gamma, double[]? beta, double[] runningMean, double[] runningVar, double eps, double momentum)
    {
        var y = new double[x.Length];
        double[] rm = (double[])runningMean.Clone(), rv = (double[])runningVar.Clone();
        var mean = new double[channels];
        var rstd = new double[channels];
        int count = batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
                for (int s = 0; s < spatial; s++) sum += x[(n * channels + c) * spatial + s];
            double m = sum / count, sq = 0;
            for (int n = 0; n < batch; n++)
                for (int s = 0; s < spatial; s++) sq += Math.Pow(x[(n * channels + c) * spatial + s] - m, 2);
            double v = sq / count;
            mean[c] = m;
            rstd[c] = 1 / Math.Sqrt(v + eps);
            for (int n = 0; n < batch; n++)
                for (int s = 0; s < spatial; s++)
                {
                    int i = (n * channels + c) * spatial + s;
                    y[i] = (x[i] - m) * rstd[c] * (gamma?[c] ?? 1) + (beta?[c] ?? 0);
                }
            rm[c] = (1 - momentum) * rm[c] + momentum * m;
            rv[c] = (1 - momentum) * rv[c] + momentum * v * count / (count - 1);
        }
        return (y, rm, rv, mean, rstd);
    }

    /// <summary>ChannelLayerNorm: over the C channels at every (sample, position); BiasFree does not subtract the mean.</summary>
    public static (double[] Y, double[] Mean, double[] Rstd) ChannelLayerNorm(double[] x, int batch, int channels, int spatial, double[]? gamma, double[]? beta, double eps, bool biasFree)
    {
        var y = new double[x.Length];
        var mean = new double[batch * spatial];
        var rstd = new double[batch * spatial];
        for (int n = 0; n < batch; n++)
            for (int s = 0; s < spatial; s++)
            {
                int start = n * channels * spatial + s;
                (double m, double v) = Moments(x, start, spatial, channels);
                double r = 1 / Math.Sqrt(v + eps);
                mean[n * spatial + s] = m;
                rstd[n * spatial + s] = r;
                for (int c = 0; c < channels; c++)
                {
                    int i = start + c * spatial;
                    y[i] = biasFree ? x[i] * r * gamma![c] : (x[i] - m) * r * (gamma?[c] ?? 1) + (beta?[c] ?? 0);
                }
            }
        return (y, mean, rstd);
    }

    /// <summary>MinMaxScale per column of a (samples, features) table; a constant column gives 0, NaN poisons its column.</summary>
    public static double[] MinMax(double[] x, int samples, int features)
    {
        var y = new double[x.Length];
        for (int f = 0; f < features; f++)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            bool nan = false;
            for (int r = 0; r < samples; r++)
            {
                double v = x[r * features + f];
                nan |= double.IsNaN(v);
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }
            for (int r = 0; r < samples; r++)
                y[r * features + f] = nan ? double.NaN : hi == lo ? 0 : (x[r * features + f] - lo) / (hi - lo);
        }
        return y;
    }

    /// <summary>Standardize per column, population σ, no ε; a constant column gives 0.</summary>
    public static double[] Standardize(double[] x, int samples, int features)
    {
        var y = new double[x.Length];
        for (int f = 0; f < features; f++)
        {
            (double m, double v) = Moments(x, f, features, samples);
            for (int r = 0; r < samples; r++)
                y[r * features + f] = v == 0 ? 0 : (x[r * features + f] - m) / Math.Sqrt(v);
        }
        return y;
    }

    /// <summary>Mean and biased variance of count values, stride apart, by the textbook two-pass formula in double.</summary>
    private static (double Mean, double Variance) Moments(double[] x, int start, int stride, int count)
    {
        double sum = 0;
        for (int i = 0; i < count; i++) sum += x[start + i * stride];
        double m = sum / count, sq = 0;
        for (int i = 0; i < count; i++) sq += Math.Pow(x[start + i * stride] - m, 2);
        return (m, sq / count);
    }
}
