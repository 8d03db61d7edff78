using System;
using System.Linq;
using Xunit;
using Xunit.Abstractions;
using static NormGen.Tests.BackwardReference;

namespace NormGen.Tests;

/// <summary>Activation epilogue: forward y = act(z), z = x̂·γ + β; backward dz = dy·act′(z) with z recomputed, then the norm's backward.</summary>
public static partial class GradActivation
{
    [LayerNorm(256, Activation = Activation.Relu, Backward = true)]
    public static partial void LnRelu(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(256, Activation = Activation.Gelu, Backward = true)]
    public static partial void LnGelu(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(256, Activation = Activation.GeluTanh, Backward = true)]
    public static partial void LnGeluTanh(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(256, Activation = Activation.Silu, Backward = true)]
    public static partial void LnSilu(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(256, Activation = Activation.Tanh, Backward = true)]
    public static partial void LnTanh(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(256, Activation = Activation.Sigmoid, Backward = true)]
    public static partial void LnSigmoid(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(256, SaveStatistics = true)]
    public static partial void Ln256(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(768, Activation = Activation.Gelu, SaveStatistics = true)]
    public static partial void LnGeluForward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(768, Activation = Activation.Gelu, Backward = true)]
    public static partial void LnGeluSaved(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [RmsNorm(Activation = Activation.Silu, Backward = true)]
    public static partial void RmsSiluDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> rstd, ReadOnlySpan<double> weight, Span<double> dx, Span<double> dweight);

    [LayerNorm(96, Activation = Activation.GeluTanh, Backward = true)]
    public static partial void LnGeluTanhHalf(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> dx, Span<float> dgamma, Span<float> dbeta);
}

/// <summary>The activations and their derivatives in double, written here from their definitions (erf by series and continued fraction).</summary>
internal static class ActivationBackwardReference
{
    public static double Erf(double x)
    {
        double a = Math.Abs(x), r;
        if (a < 2.5)
        {
            double term = a, sum = a;
            for (int k = 1; k < 200 && Math.Abs(term) > 1e-300; k++)
            {
                term *= -a * a / k;
                sum += term / (2 * k + 1);
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            double t = a;
            for (int k = 120; k >= 1; k--) t = a + k / 2.0 / t;
            r = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / t;
        }
        return Math.CopySign(r, x);
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    private const double C = 0.7978845608028654, K = 0.044715;

    public static double Apply(Activation a, double z) => a switch
    {
        Activation.Relu => Math.Max(z, 0),
        Activation.Gelu => 0.5 * z * (1 + Erf(z / Math.Sqrt(2))),
        Activation.GeluTanh => 0.5 * z * (1 + Math.Tanh(C * (z + K * z * z * z))),
        Activation.Silu => z * Sigmoid(z),
        Activation.Tanh => Math.Tanh(z),
        Activation.Sigmoid => Sigmoid(z),
        _ => z,
    };

    public static double Derivative(Activation a, double z)
    {
        switch (a)
        {
            case Activation.Relu: return z > 0 ? 1 : 0;
            case Activation.Gelu: return 0.5 * (1 + Erf(z / Math.Sqrt(2))) + z * Math.Exp(-z * z / 2) / Math.Sqrt(2 * Math.PI);
            case Activation.GeluTanh:
            {
                double u = C * (z + K * z * z * z), t = Math.Tanh(u);
                return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * C * (1 + 3 * K * z * z);
            }
            case Activation.Silu: return Sigmoid(z) + z * Sigmoid(z) * (1 - Sigmoid(z));
            case Activation.Tanh: return 1 - Math.Tanh(z) * Math.Tanh(z);
            case Activation.Sigmoid: return Sigmoid(z) * (1 - Sigmoid(z));
            default: return 1;
        }
    }

    /// <summary>The full reference: z from the double forward (statistics from x unless given), dz = dy·act′(z), then the norm's backward.</summary>
    public static (double[] Dx, double[] Dg, double[] Db, double[] Z) Backward(Activation a, bool centered, double eps, double[] dy, double[] x, double[]? gamma, double[]? beta, int n,
        double[]? mean = null, double[]? rstd = null)
    {
        double[] z;
        if (rstd is null)
        {
            z = Forward(centered, eps, x, gamma, beta, false, n, out mean, out rstd);
        }
        else
        {
            z = new double[x.Length];
            for (int i = 0; i < x.Length; i++)
                z[i] = (x[i] - (centered ? mean![i / n] : 0)) * rstd[i / n] * (gamma is null ? 1 : gamma[i % n]) + (beta is null ? 0 : beta[i % n]);
        }
        double[] dz = dy.Select((d, i) => d * Derivative(a, z[i])).ToArray();
        var (dx, dg, db) = BackwardReference.Backward(centered, dz, x, mean, rstd, gamma, false, n);
        return (dx, dg, db, z);
    }
}

public class ActivationBackwardTests(ITestOutputHelper output)
{
    public static TheoryData<Activation> All => new() { Activation.Relu, Activation.Gelu, Activation.GeluTanh, Activation.Silu, Activation.Tanh, Activation.Sigmoid };

    [Theory]
    [MemberData(nameof(All))]
    public void Reference_AgreesWithCentralFiniteDifferences(Activation a)
    {
        const int n = 9, rows = 3;
        var rng = new Random(51);
        double[] x = ToDouble(BackwardData.Normal(rng, rows * n, 1, 1.5)), dy = ToDouble(BackwardData.Normal(rng, rows * n, 0, 1));
        double[] g = ToDouble(BackwardData.Normal(rng, n, 1, 0.5)), b = ToDouble(BackwardData.Normal(rng, n, 0.2, 0.5));
        foreach (bool centered in new[] { true, false })
        {
            double Loss()
            {
                double[] z = Forward(centered, 1e-5, x, g, b, false, n, out _, out _);
                return z.Select((v, i) => dy[i] * ActivationBackwardReference.Apply(a, v)).Sum();
            }
            double Fd(double[] v, int i)
            {
                double keep = v[i];
                v[i] = keep + 1e-6; double plus = Loss();
                v[i] = keep - 1e-6; double minus = Loss();
                v[i] = keep;
                return (plus - minus) / 2e-6;
            }
            var r = ActivationBackwardReference.Backward(a, centered, 1e-5, dy, x, g, b, n);
            Assert.True(r.Z.All(z => Math.Abs(z) > 1e-4), "no z at ReLU's kink");
            for (int i = 0; i < x.Length; i++) Assert.Equal(r.Dx[i], Fd(x, i), 1e-6);
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(r.Dg[j], Fd(g, j), 1e-6);
                Assert.Equal(r.Db[j], Fd(b, j), 1e-6);
            }
        }
    }

    private static void Run(Activation a, float[] dy, float[] x, float[] g, float[] b, float[] dx, float[] dg, float[] db)
    {
        switch (a)
        {
            case Activation.Relu: GradActivation.LnRelu(dy, x, g, b, dx, dg, db); break;
            case Activation.Gelu: GradActivation.LnGelu(dy, x, g, b, dx, dg, db); break;
            case Activation.GeluTanh: GradActivation.LnGeluTanh(dy, x, g, b, dx, dg, db); break;
            case Activation.Silu: GradActivation.LnSilu(dy, x, g, b, dx, dg, db); break;
            case Activation.Tanh: GradActivation.LnTanh(dy, x, g, b, dx, dg, db); break;
            default: GradActivation.LnSigmoid(dy, x, g, b, dx, dg, db); break;
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Float_Within1e5(Activation a)
    {
        const int n = 256, rows = 400;
        var rng = new Random(52 + (int)a);
        float[] x = BackwardData.Rows(rng, rows, n, 100), dy = BackwardData.Normal(rng, rows * n, 0.1, 1);
        float[] g = BackwardData.Normal(rng, n, 1, 0.5), b = BackwardData.Normal(rng, n, 0.2, 0.5);
        // The statistics the kernel recomputes are bitwise the forward's saved ones (RecomputedStatisticsBackwardTests):
        // the reference takes them as given, so the comparison measures the backward's arithmetic, as in BackwardTests.
        float[] mean = new float[rows], rstd = new float[rows];
        GradActivation.Ln256(x, g, b, new float[x.Length], mean, rstd);
        // dy = 0 where z sits within 1e-3 of ReLU's kink: there act′ jumps, and float and double z may fall on either side.
        var z0 = ActivationBackwardReference.Backward(a, true, 1e-5, ToDouble(dy), ToDouble(x), ToDouble(g), ToDouble(b), n, ToDouble(mean), ToDouble(rstd)).Z;
        for (int i = 0; i < dy.Length; i++) if (Math.Abs(z0[i]) < 1e-3) dy[i] = 0;
        float[] dx = new float[x.Length], dg = new float[n], db = new float[n];
        Run(a, dy, x, g, b, dx, dg, db);
        var r = ActivationBackwardReference.Backward(a, true, 1e-5, ToDouble(dy), ToDouble(x), ToDouble(g), ToDouble(b), n, ToDouble(mean), ToDouble(rstd));
        double ex = RelativeToMax(ToDouble(dx), r.Dx), eg = RelativeToMax(ToDouble(dg), r.Dg), eb = RelativeToMax(ToDouble(db), r.Db);
        output.WriteLine($"LayerNorm + {a} backward 400x256, |mean| ≤ 100 (statistics recomputed): dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-5 && eg <= 1e-5 && eb <= 1e-5, $"dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");

        // In place over dy.
        float[] inPlace = (float[])dy.Clone();
        Run(a, inPlace, x, g, b, inPlace, dg, db);
        Assert.Equal(dx, inPlace);
    }

    [Fact]
    public void Gelu_SavedStatistics_Rms_Double_Half()
    {
        const int n = 768, rows = 200;
        var rng = new Random(60);
        float[] x = BackwardData.Rows(rng, rows, n, 1e3), dy = BackwardData.Normal(rng, rows * n, 0.1, 1), g = BackwardData.Normal(rng, n, 1, 0.5), b = BackwardData.Normal(rng, n, 0, 0.5);
        float[] mean = new float[rows], rstd = new float[rows], dx = new float[x.Length], dg = new float[n], db = new float[n];
        GradActivation.LnGeluForward(x, g, b, new float[x.Length], mean, rstd);
        GradActivation.LnGeluSaved(dy, x, mean, rstd, g, b, dx, dg, db);
        var r = ActivationBackwardReference.Backward(Activation.Gelu, true, 1e-5, ToDouble(dy), ToDouble(x), ToDouble(g), ToDouble(b), n, ToDouble(mean), ToDouble(rstd));
        double ex = RelativeToMax(ToDouble(dx), r.Dx), eg = RelativeToMax(ToDouble(dg), r.Dg), eb = RelativeToMax(ToDouble(db), r.Db);
        output.WriteLine($"LayerNorm + Gelu backward 200x768, saved statistics, |mean| ≤ 1e3: dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-5 && eg <= 1e-5 && eb <= 1e-5, $"dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");

        const int nd = 300, rowsD = 60;
        double[] xd = ToDouble(BackwardData.Normal(rng, rowsD * nd, 0.3, 2)), dyd = ToDouble(BackwardData.Normal(rng, rowsD * nd, 0, 1)), wd = ToDouble(BackwardData.Normal(rng, nd, 1, 0.5));
        Forward(false, 2.220446049250313e-16, xd, null, null, false, nd, out _, out double[] rstdD);
        double[] dxd = new double[xd.Length], dwd = new double[nd];
        GradActivation.RmsSiluDouble(dyd, xd, nd, rstdD, wd, dxd, dwd);
        var rd = ActivationBackwardReference.Backward(Activation.Silu, false, 2.220446049250313e-16, dyd, xd, wd, null, nd, null, rstdD);
        double exd = RelativeToMax(dxd, rd.Dx), ewd = RelativeToMax(dwd, rd.Dg);
        output.WriteLine($"RMSNorm + Silu backward double 60x300: dx {exd:E2}, dweight {ewd:E2}");
        Assert.True(exd <= 1e-12 && ewd <= 1e-12, $"dx {exd:E2}, dweight {ewd:E2}");

        const int nh = 96, rowsH = 300;
        Half[] xh = BackwardData.Rows(rng, rowsH, nh, 5).Select(v => (Half)v).ToArray(), dyh = BackwardData.Normal(rng, rowsH * nh, 0, 1).Select(v => (Half)v).ToArray();
        Half[] gh = BackwardData.Normal(rng, nh, 1, 0.5).Select(v => (Half)v).ToArray(), bh = BackwardData.Normal(rng, nh, 0, 0.5).Select(v => (Half)v).ToArray();
        Half[] dxh = new Half[xh.Length];
        float[] dgh = new float[nh], dbh = new float[nh];
        GradActivation.LnGeluTanhHalf(dyh, xh, gh, bh, dxh, dgh, dbh);
        var rh = ActivationBackwardReference.Backward(Activation.GeluTanh, true, 1e-5, ToDouble(dyh), ToDouble(xh), ToDouble(gh), ToDouble(bh), nh);
        double exh = RelativeToMax(ToDouble(dxh), rh.Dx), egh = RelativeToMax(ToDouble(dgh), rh.Dg), ebh = RelativeToMax(ToDouble(dbh), rh.Db);
        output.WriteLine($"LayerNorm + GeluTanh backward Half 300x96: dx {exh:E2} (one Half rounding), dgamma {egh:E2}, dbeta {ebh:E2}");
        Assert.True(exh <= 1e-3 && egh <= 1e-5 && ebh <= 1e-5, $"dx {exh:E2}, dgamma {egh:E2}, dbeta {ebh:E2}");

        // β of the wrong length is named; nothing is written.
        float[] keep = Enumerable.Repeat(42f, x.Length).ToArray();
        Assert.Equal("beta", Assert.ThrowsAny<ArgumentException>(() => GradActivation.LnGeluSaved(dy, x, mean, rstd, g, b.AsSpan(1), keep, dg, db)).ParamName);
        Assert.All(keep, v => Assert.Equal(42f, v));
    }
}

/// <summary>The activation backward is bitwise the same whatever the thread count.</summary>
[Collection(SettingsCollection.Name)]
public class ActivationBackwardDeterminismTests
{
    [Fact]
    public void BitwiseIdentical_For1_2_7_AllThreads()
    {
        const int n = 256, rows = 1500;
        var rng = new Random(61);
        float[] x = BackwardData.Rows(rng, rows, n, 10), dy = BackwardData.Normal(rng, rows * n, 0.1, 1), g = BackwardData.Normal(rng, n, 1, 0.5), b = BackwardData.Normal(rng, n, 0, 0.5);
        var results = new[] { 1, 2, 7, -1 }.Select(threads =>
        {
            using var scope = new SettingsScope(threads, 1);
            float[] dx = new float[x.Length], dg = new float[n], db = new float[n];
            GradActivation.LnSilu(dy, x, g, b, dx, dg, db);
            return (dx, dg, db);
        }).ToList();
        foreach (var r in results.Skip(1))
        {
            Assert.Equal(results[0].dx, r.dx);
            Assert.Equal(results[0].dg, r.dg);
            Assert.Equal(results[0].db, r.db);
        }
    }
}
