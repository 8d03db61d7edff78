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
