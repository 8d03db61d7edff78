using System;
using System.Linq;
using System.Runtime.Intrinsics;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Tests;

/// <summary>
/// The runtime's vector exponential (VectorExp, reached as the internal Vec512/Vec256/Vec128.Exp by reflection), which
/// every vector activation and activation derivative uses: its error against the platform's double-precision Math.Exp
/// over the whole range of each type, its special values, and the same bits at every vector width.
/// </summary>
public class ExpTests(ITestOutputHelper output)
{
    /// <summary>Vec{bits}&lt;T&gt;.Exp as a delegate.</summary>
    private static Func<TV, TV> Exp<TV>(int bits, Type element)
    {
        Type ops = typeof(RowEngine).Assembly.GetType($"NormGen.Vec{bits}`1", throwOnError: true)!.MakeGenericType(element);
        return ops.GetMethod("Exp", [typeof(TV)])!.CreateDelegate<Func<TV, TV>>();
    }

    /// <summary>Every 331st float bit pattern in [−104, 89] and the edges, padded to whole 512-bit vectors.</summary>
    private static float[] FloatSweep()
    {
        var values = new System.Collections.Generic.List<float> { 0f, -0f, 88.72283f, 88.72284f, -87.33654f, -103.97207f, -103.97209f, 1e-30f, -1e-30f };
        for (uint bits = 0; bits < BitConverter.SingleToUInt32Bits(104f); bits += 331)
        {
            float v = BitConverter.UInt32BitsToSingle(bits);
            if (v <= 89f) values.Add(v);
            values.Add(-v);
        }
        while (values.Count % 16 != 0) values.Add(1f);
        return [.. values];
    }

    private static T[] Apply<T, TV>(T[] x, int lanes, Func<TV, TV> exp, Func<T[], int, TV> load, Action<TV, T[], int> store)
    {
        var y = new T[x.Length];
        for (int i = 0; i < x.Length; i += lanes) store(exp(load(x, i)), y, i);
        return y;
    }

    private static float[] FloatExp(float[] x, int bits) => bits switch
    {
        512 => Apply(x, 16, Exp<Vector512<float>>(512, typeof(float)), (a, i) => Vector512.Create(a, i), (v, a, i) => v.CopyTo(a, i)),
        256 => Apply(x, 8, Exp<Vector256<float>>(256, typeof(float)), (a, i) => Vector256.Create(a, i), (v, a, i) => v.CopyTo(a, i)),
        _ => Apply(x, 4, Exp<Vector128<float>>(128, typeof(float)), (a, i) => Vector128.Create(a, i), (v, a, i) => v.CopyTo(a, i)),
    };

    private static double[] DoubleExp(double[] x, int bits) => bits switch
    {
        512 => Apply(x, 8, Exp<Vector512<double>>(512, typeof(double)), (a, i) => Vector512.Create(a, i), (v, a, i) => v.CopyTo(a, i)),
        256 => Apply(x, 4, Exp<Vector256<double>>(256, typeof(double)), (a, i) => Vector256.Create(a, i), (v, a, i) => v.CopyTo(a, i)),
        _ => Apply(x, 2, Exp<Vector128<double>>(128, typeof(double)), (a, i) => Vector128.Create(a, i), (v, a, i) => v.CopyTo(a, i)),
    };

    [Fact]
    public void FloatIsWithinAnUlpOfTheDoubleExp()
    {
        float[] x = FloatSweep();
        float[] y = FloatExp(x, 512);
        double worst = 0;
        float worstAt = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double exact = Math.Exp(x[i]);
            // A float ulp at the exact value (2^-149 below the normal range); +∞ where the float result overflows.
            if (exact > float.MaxValue) { Assert.True(float.IsPositiveInfinity(y[i]) || Math.Abs(y[i] - exact) <= Math.Pow(2, 104), $"e^{x[i]:R} = {y[i]:R}"); continue; }
            double ulp = Math.Pow(2, Math.Max(Math.ILogB(exact), -126) - 23);
            double err = Math.Abs(y[i] - exact) / ulp;
            if (err > worst) (worst, worstAt) = (err, x[i]);
        }
        // With FMA the polynomial's multiply-adds are fused (0.90 ulp measured); without, 1.18 (IsaCheck, 128-bit path).
        double bound = System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? 1.0 : 1.5;
        output.WriteLine($"float: {x.Length} values, max {worst:F3} ulps at x = {worstAt:R}");
        Assert.True(worst <= bound, $"max {worst} float ulps at x = {worstAt:R}");
    }

    [Fact]
    public void DoubleIsWithinTwoUlpsOfMathExp()
    {
        var random = new Random(20261130);
        double[] x = [0, -0.0, 709.782712893384, -708.39641853226408, -745.13321910194110, -0.34657359027997264, 0.34657359027997264,
            .. Enumerable.Range(0, 400_000).Select(_ => -746 + 1456 * random.NextDouble()),
            .. Enumerable.Range(0, 100_000).Select(_ => (random.NextDouble() - 0.5) * 2)];
        x = [.. x, .. new double[(8 - x.Length % 8) % 8]];
        double[] y = DoubleExp(x, 512);
        double worst = 0, worstAt = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double exact = Math.Exp(x[i]);
            double ulp = Math.Pow(2, Math.Max(Math.ILogB(exact), -1022) - 52);
            double err = exact == 0 ? (y[i] == 0 ? 0 : double.PositiveInfinity) : Math.Abs(y[i] - exact) / ulp;
            if (err > worst) (worst, worstAt) = (err, x[i]);
        }
        output.WriteLine($"double: {x.Length} values, max {worst:F3} ulps at x = {worstAt:R}");
        Assert.True(worst <= 2.0, $"max {worst} double ulps at x = {worstAt:R}");
    }

    [Fact]
    public void SpecialValues()
    {
        float[] xf = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 88.72283f, 88.7229f, 1000f, -103.9f, -104.5f, -1e30f, 1e30f, float.MaxValue, float.MinValue, -87.5f, -100f];
        float[] yf = FloatExp([.. xf], 512);
        Assert.True(float.IsNaN(yf[0]));
        Assert.Equal([float.PositiveInfinity, 0f, 1f, 1f], yf[1..5]);
        Assert.True(float.IsFinite(yf[5]) && yf[5] > 3.40e38f, $"e^88.72283 = {yf[5]:R}");
        Assert.Equal([float.PositiveInfinity, float.PositiveInfinity], yf[6..8]);
        Assert.True(yf[8] > 0 && float.IsSubnormal(yf[8]), $"e^-103.9 = {yf[8]:R}");
        Assert.Equal([0f, 0f, float.PositiveInfinity, float.PositiveInfinity, 0f], yf[9..14]);
        Assert.True(Math.Abs(yf[14] - Math.Exp(-87.5)) <= Math.Pow(2, -149), $"e^-87.5 = {yf[14]:R}"); // below the normal range (−87.34)
        Assert.True(Math.Abs(yf[15] - Math.Exp(-100)) <= Math.Pow(2, -149), $"e^-100 = {yf[15]:R}");

        double[] xd = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0, -0.0, 709.78, 709.79, -745.1, -746, -1e300, 1e300, -740];
        double[] yd = DoubleExp([.. xd, .. new double[4]], 512);
        Assert.True(double.IsNaN(yd[0]));
        Assert.Equal([double.PositiveInfinity, 0, 1, 1], yd[1..5]);
        Assert.True(double.IsFinite(yd[5]) && yd[5] > 1.7e308, $"e^709.78 = {yd[5]:R}");
        Assert.True(double.IsPositiveInfinity(yd[6]));
        Assert.Equal(double.Epsilon, yd[7]);
        Assert.Equal([0, 0, double.PositiveInfinity], yd[8..11]);
        Assert.True(Math.Abs(yd[11] - Math.Exp(-740)) <= double.Epsilon, $"e^-740 = {yd[11]:R}");
    }

    /// <summary>The same operations in every lane: 128-, 256- and 512-bit vectors give the same bits.</summary>
    [Fact]
    public void EveryWidthGivesTheSameBits()
    {
        float[] x = FloatSweep();
        float[] y512 = FloatExp(x, 512), y256 = FloatExp(x, 256), y128 = FloatExp(x, 128);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(BitConverter.SingleToUInt32Bits(y512[i]) == BitConverter.SingleToUInt32Bits(y256[i]), $"e^{x[i]:R}: {y512[i]:R} at 512 bits, {y256[i]:R} at 256");
            Assert.True(BitConverter.SingleToUInt32Bits(y512[i]) == BitConverter.SingleToUInt32Bits(y128[i]), $"e^{x[i]:R}: {y512[i]:R} at 512 bits, {y128[i]:R} at 128");
        }
        double[] d = x.Select((f, i) => f * (1 + i % 7 * 1e-9)).Concat([709.5, -745, 1e-300, -700, 3, -3, 0.5, -0.5]).ToArray();
        double[] d512 = DoubleExp(d, 512), d256 = DoubleExp(d, 256), d128 = DoubleExp(d, 128);
        for (int i = 0; i < d.Length; i++)
        {
            Assert.True(BitConverter.DoubleToUInt64Bits(d512[i]) == BitConverter.DoubleToUInt64Bits(d256[i]), $"e^{d[i]:R}: {d512[i]:R} at 512 bits, {d256[i]:R} at 256");
            Assert.True(BitConverter.DoubleToUInt64Bits(d512[i]) == BitConverter.DoubleToUInt64Bits(d128[i]), $"e^{d[i]:R}: {d512[i]:R} at 512 bits, {d128[i]:R} at 128");
        }
    }
}
