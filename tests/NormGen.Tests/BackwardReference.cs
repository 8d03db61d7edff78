using System;

namespace NormGen.Tests;

/// <summary>
/// The independent double-precision backward reference, written from the analytic formula (PyTorch's native backward)
/// with plain loops: x̂ = (x − μ)·rstd (RMSNorm: x·rstd), g = dy·γ_eff, dx = rstd·(g − mean(g) − x̂·mean(g·x̂))
/// (RMSNorm without mean(g)), dγ = Σ dy·x̂, dβ = Σ dy. It takes the statistics as given (the ones the forward saved), so
/// a comparison measures the backward kernel's arithmetic only. <see cref="BackwardReferenceTests"/> checks it against
/// central finite differences of a double forward.
/// </summary>
public static class BackwardReference
{
    public static (double[] Dx, double[] DGamma, double[] DBeta) Backward(bool centered, double[] dy, double[] x, double[]? mean, double[] rstd,
        double[]? gamma, bool zeroCentered, int n)
    {
        int rows = x.Length / n;
        var dx = new double[x.Length];
        var dg = new double[n];
        var db = new double[n];
        var xh = new double[n];
        var g = new double[n];
        for (int r = 0; r < rows; r++)
        {
            int o = r * n;
            double mu = centered ? mean![r] : 0, rs = rstd[r], sumG = 0, sumGx = 0;
            for (int i = 0; i < n; i++)
            {
                xh[i] = (x[o + i] - mu) * rs;
                double ge = gamma is null ? 1 : zeroCentered ? 1 + gamma[i] : gamma[i];
                g[i] = dy[o + i] * ge;
                sumG += g[i];
                sumGx += g[i] * xh[i];
                dg[i] += dy[o + i] * xh[i];
                db[i] += dy[o + i];
            }
            double c1 = centered ? sumG / n : 0, c2 = sumGx / n;
            for (int i = 0; i < n; i++) dx[o + i] = rs * (g[i] - c1 - xh[i] * c2);
        }
        return (dx, dg, db);
    }

    /// <summary>The forward in double: y = x̂·γ_eff + β, with μ and rstd from the row (biased variance), returned for the backward.</summary>
    public static double[] Forward(bool centered, double eps, double[] x, double[]? gamma, double[]? beta, bool zeroCentered, int n, out double[] mean, out double[] rstd)
    {
        int rows = x.Length / n;
        var y = new double[x.Length];
        mean = new double[rows];
        rstd = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            int o = r * n;
            double mu = 0;
            if (centered)
            {
                for (int i = 0; i < n; i++) mu += x[o + i];
                mu /= n;
            }
            double v = 0;
            for (int i = 0; i < n; i++) v += (x[o + i] - mu) * (x[o + i] - mu);
            double rs = 1 / Math.Sqrt(v / n + eps);
            mean[r] = mu;
            rstd[r] = rs;
            for (int i = 0; i < n; i++)
            {
                double ge = gamma is null ? 1 : zeroCentered ? 1 + gamma[i] : gamma[i];
                y[o + i] = (x[o + i] - mu) * rs * ge + (beta is null ? 0 : beta[i]);
            }
        }
        return y;
    }

    /// <summary>The largest |a − b| divided by the largest |b|: the accuracy measure of issue 9.</summary>
    public static double RelativeToMax(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        double maxErr = 0, maxRef = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = Math.Abs(actual[i] - expected[i]);
            if (!(e <= maxErr)) maxErr = e; // NaN wins
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }
        return maxErr / Math.Max(maxRef, double.Epsilon);
    }

    public static double[] ToDouble(ReadOnlySpan<float> v)
    {
        var r = new double[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = v[i];
        return r;
    }

    public static double[] ToDouble(ReadOnlySpan<Half> v)
    {
        var r = new double[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = (double)v[i];
        return r;
    }

    public static float[] ToFloat(double[] v) => Array.ConvertAll(v, d => (float)d);
}

/// <summary>
/// The (N, C, *) backward reference in double: statistics blocks are channels over (N, *) (BatchNorm, groups = 0),
/// (sample, group) (GroupNorm) or (sample, channel) (InstanceNorm, groups = C); γ per channel.
/// </summary>
public static class ChannelBackwardReference
{
    public static int Block(int n, int c, int channels, int groups) => groups == 0 ? c : n * groups + c / (channels / groups);

    /// <summary>The biased mean and 1/√(σ² + ε) of every block, two-pass in double.</summary>
    public static (double[] Mean, double[] Rstd) Statistics(double[] x, int batch, int channels, int spatial, int groups, double eps)
    {
        int blocks = groups == 0 ? channels : batch * groups;
        var sum = new double[blocks];
        var count = new double[blocks];
        var sq = new double[blocks];
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int s = 0; s < spatial; s++)
                {
                    int b = Block(n, c, channels, groups);
                    sum[b] += x[(n * channels + c) * spatial + s];
                    count[b]++;
                }
        var mean = new double[blocks];
        for (int b = 0; b < blocks; b++) mean[b] = sum[b] / count[b];
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int s = 0; s < spatial; s++)
                {
                    int b = Block(n, c, channels, groups);
                    double d = x[(n * channels + c) * spatial + s] - mean[b];
                    sq[b] += d * d;
                }
        var rstd = new double[blocks];
        for (int b = 0; b < blocks; b++) rstd[b] = 1 / Math.Sqrt(sq[b] / count[b] + eps);
        return (mean, rstd);
    }

    public static (double[] Dx, double[] DGamma, double[] DBeta) Backward(double[] dy, double[] x, double[] mean, double[] rstd, double[]? gamma,
        int batch, int channels, int spatial, int groups)
    {
        int blocks = mean.Length;
        var sumG = new double[blocks];
        var sumGx = new double[blocks];
        var count = new double[blocks];
        var dg = new double[channels];
        var db = new double[channels];
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int s = 0; s < spatial; s++)
                {
                    int i = (n * channels + c) * spatial + s, b = Block(n, c, channels, groups);
                    double xh = (x[i] - mean[b]) * rstd[b], g = dy[i] * (gamma is null ? 1 : gamma[c]);
                    sumG[b] += g;
                    sumGx[b] += g * xh;
                    count[b]++;
                    dg[c] += dy[i] * xh;
                    db[c] += dy[i];
                }
        var dx = new double[x.Length];
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                for (int s = 0; s < spatial; s++)
                {
                    int i = (n * channels + c) * spatial + s, b = Block(n, c, channels, groups);
                    double xh = (x[i] - mean[b]) * rstd[b], g = dy[i] * (gamma is null ? 1 : gamma[c]);
                    dx[i] = rstd[b] * (g - sumG[b] / count[b] - xh * sumGx[b] / count[b]);
                }
        return (dx, dg, db);
    }
}
