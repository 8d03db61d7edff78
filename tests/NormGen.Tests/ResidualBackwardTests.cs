using System;
using System.Linq;
using Xunit;
using Xunit.Abstractions;
using static NormGen.Tests.BackwardReference;

namespace NormGen.Tests;

/// <summary>Pre-norm residual: forward h = x + residual → norm, and the backward dh = dx + dResidualOut.</summary>
public static partial class GradResidual
{
    [LayerNorm(768, Residual = true, SaveStatistics = true)]
    public static partial void Ln(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut, Span<float> mean, Span<float> rstd);

    [LayerNorm(768, Residual = true, Backward = true)]
    public static partial void LnBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dh, Span<float> dgamma, Span<float> dbeta);

    [RmsNorm(256, Residual = true, SaveStatistics = true)]
    public static partial void Rms(ReadOnlySpan<double> x, ReadOnlySpan<double> residual, ReadOnlySpan<double> weight, Span<double> y, Span<double> residualOut, Span<double> rstd);

    [RmsNorm(256, Residual = true, Backward = true)]
    public static partial void RmsBackward(ReadOnlySpan<double> dy, ReadOnlySpan<double> dResidualOut, ReadOnlySpan<double> x, ReadOnlySpan<double> rstd, ReadOnlySpan<double> weight, Span<double> dh, Span<double> dweight);

    [RmsNorm(64, Residual = true, Backward = true)]
    public static partial void RmsHalfBackward(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> dResidualOut, ReadOnlySpan<Half> x, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> weight, Span<Half> dh, Span<float> dweight);
}

public class ResidualBackwardTests(ITestOutputHelper output)
{
    /// <summary>The reference's dh = dx + dResidualOut is d(Σ dy·norm(x + r) + Σ dResidualOut·(x + r))/dx, by central differences.</summary>
    [Fact]
    public void Reference_dh_AgreesWithCentralFiniteDifferences()
    {
        const int n = 6, rows = 2;
        var rng = new Random(9);
        double[] x = ToDouble(BackwardData.Normal(rng, rows * n, 1, 1)), r = ToDouble(BackwardData.Normal(rng, rows * n, -1, 1));
        double[] dy = ToDouble(BackwardData.Normal(rng, rows * n, 0, 1)), dro = ToDouble(BackwardData.Normal(rng, rows * n, 0, 1)), g = ToDouble(BackwardData.Normal(rng, n, 1, 0.5));
        double Loss()
        {
            double[] h = x.Zip(r, (a, b) => a + b).ToArray();
            double[] y = Forward(true, 1e-5, h, g, g, false, n, out _, out _);
            return y.Select((v, i) => v * dy[i] + h[i] * dro[i]).Sum();
        }
        double[] hh = x.Zip(r, (a, b) => a + b).ToArray();
        Forward(true, 1e-5, hh, g, g, false, n, out double[] mean, out double[] rstd);
        double[] dh = Backward(true, dy, hh, mean, rstd, g, false, n).Dx.Select((v, i) => v + dro[i]).ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            x[i] = keep + 1e-6; double plus = Loss();
            x[i] = keep - 1e-6; double minus = Loss();
            x[i] = keep;
            Assert.Equal(dh[i], (plus - minus) / 2e-6, 6);
        }
    }

    [Fact]
    public void LayerNorm_Residual_Backward_Within1e5_InPlaceOnDy()
    {
        const int n = 768, rows = 37;
        var rng = new Random(12);
        float[] x = BackwardData.Rows(rng, rows, n, 1e3), res = BackwardData.Normal(rng, rows * n, 0, 1), g = BackwardData.Normal(rng, n, 1, 0.5), b = BackwardData.Normal(rng, n, 0, 0.5);
        float[] y = new float[rows * n], h = new float[rows * n], mean = new float[rows], rstd = new float[rows];
        GradResidual.Ln(x, res, g, b, y, h, mean, rstd);
        float[] dy = BackwardData.Normal(rng, rows * n, 0.1, 1), dro = BackwardData.Normal(rng, rows * n, 0, 1);
        float[] dh = new float[rows * n], dg = new float[n], db = new float[n];
        GradResidual.LnBackward(dy, dro, h, mean, rstd, g, dh, dg, db);
        var (rdx, rdg, rdb) = Backward(true, ToDouble(dy), ToDouble(h), ToDouble(mean), ToDouble(rstd), ToDouble(g), false, n);
        double[] rdh = rdx.Select((v, i) => v + dro[i]).ToArray();
        double eh = RelativeToMax(ToDouble(dh), rdh), eg = RelativeToMax(ToDouble(dg), rdg), eb = RelativeToMax(ToDouble(db), rdb);
        output.WriteLine($"LnResidualBackward: dh {eh:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(eh <= 1e-5 && eg <= 1e-5 && eb <= 1e-5, $"dh {eh:E2}, dgamma {eg:E2}, dbeta {eb:E2}");

        float[] inPlace = (float[])dy.Clone();
        GradResidual.LnBackward(inPlace, dro, h, mean, rstd, g, inPlace, dg, db);
        Assert.Equal(dh, inPlace);
    }

    [Fact]
    public void RmsNorm_Residual_Backward_Double_Within1e12()
    {
        const int n = 256, rows = 9;
        var rng = new Random(13);
        double[] x = ToDouble(BackwardData.Normal(rng, rows * n, 0, 2)), res = ToDouble(BackwardData.Normal(rng, rows * n, 0, 1)), w = ToDouble(BackwardData.Normal(rng, n, 1, 0.5));
        double[] h = new double[rows * n], rstd = new double[rows];
        GradResidual.Rms(x, res, w, new double[rows * n], h, rstd);
        double[] dy = ToDouble(BackwardData.Normal(rng, rows * n, 0.1, 1)), dro = ToDouble(BackwardData.Normal(rng, rows * n, 0, 1));
        double[] dh = new double[rows * n], dw = new double[n];
        GradResidual.RmsBackward(dy, dro, h, rstd, w, dh, dw);
        var (rdx, rdw, _) = Backward(false, dy, h, null, rstd, w, false, n);
        double eh = RelativeToMax(dh, rdx.Select((v, i) => v + dro[i]).ToArray()), ew = RelativeToMax(dw, rdw);
        output.WriteLine($"RmsResidualBackward double: dh {eh:E2}, dweight {ew:E2}");
        Assert.True(eh <= 1e-12 && ew <= 1e-12, $"dh {eh:E2}, dweight {ew:E2}");
    }

    [Fact]
    public void RmsNorm_Residual_Backward_Half_And_Checks()
    {
        const int n = 64, rows = 5;
        var rng = new Random(14);
        Half[] h = BackwardData.Normal(rng, rows * n, 0, 2).Select(v => (Half)v).ToArray(), dy = BackwardData.Normal(rng, rows * n, 0, 1).Select(v => (Half)v).ToArray();
        Half[] dro = BackwardData.Normal(rng, rows * n, 0, 1).Select(v => (Half)v).ToArray(), w = BackwardData.Normal(rng, n, 1, 0.5).Select(v => (Half)v).ToArray();
        double[] hd = ToDouble(h);
        float[] rstd = Enumerable.Range(0, rows).Select(r => (float)(1 / Math.Sqrt(hd.Skip(r * n).Take(n).Select(v => v * v).Average() + 1e-6))).ToArray();
        Half[] dh = new Half[rows * n];
        float[] dw = new float[n];
        GradResidual.RmsHalfBackward(dy, dro, h, rstd, w, dh, dw);
        var (rdx, rdw, _) = Backward(false, ToDouble(dy), hd, null, ToDouble(rstd), ToDouble(w), false, n);
        double eh = RelativeToMax(ToDouble(dh), rdx.Select((v, i) => v + (double)dro[i]).ToArray()), ew = RelativeToMax(ToDouble(dw), rdw);
        output.WriteLine($"RmsResidualBackward Half: dh {eh:E2}, dweight {ew:E2}");
        Assert.True(eh <= 2e-3 && ew <= 1e-5, $"dh {eh:E2}, dweight {ew:E2}");

        // dResidualOut of the wrong length, or the same memory as dh: ArgumentException naming it, nothing written.
        Half[] keep = Enumerable.Repeat((Half)7, rows * n).ToArray();
        Assert.Equal("dResidualOut", Assert.ThrowsAny<ArgumentException>(() => GradResidual.RmsHalfBackward(dy, dro.AsSpan(1), h, rstd, w, keep, dw)).ParamName);
        Assert.All(keep, v => Assert.Equal((Half)7, v));
        Assert.Equal("dh", Assert.ThrowsAny<ArgumentException>(() => GradResidual.RmsHalfBackward(dy, keep, h, rstd, w, keep, dw)).ParamName);
        Assert.All(keep, v => Assert.Equal((Half)7, v));
    }
}
