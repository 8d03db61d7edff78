using System;
using System.Linq;
using System.Runtime.Intrinsics;
using NormGen.Testing;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Tests;

/// <summary>Probe kernels for Activation.Tanh and Activation.Sigmoid (see <see cref="ActivationReference.ActivationProbe"/>).</summary>
public static partial class ActivationKernels
{
    [LayerNorm(Epsilon = 1e-30f, Affine = Affine.Scale, Activation = Activation.Tanh)]
    public static partial void LnTanhF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, Span<float> y);

    [LayerNorm(Epsilon = 1e-30f, Affine = Affine.Scale, Activation = Activation.Sigmoid)]
    public static partial void LnSigmoidF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, Span<float> y);

    [RmsNorm(Epsilon = 1e-30f, Activation = Activation.Tanh)]
    public static partial void RmsTanhF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> weight, Span<float> y);

    [RmsNorm(Epsilon = 1e-30f, Activation = Activation.Sigmoid)]
    public static partial void RmsSigmoidF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> weight, Span<float> y);

    [LayerNorm(Epsilon = 1e-30f, Affine = Affine.Scale, Activation = Activation.Tanh)]
    public static partial void LnTanhD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, Span<double> y);

    [LayerNorm(Epsilon = 1e-30f, Affine = Affine.Scale, Activation = Activation.Sigmoid)]
    public static partial void LnSigmoidD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, Span<double> y);

    [LayerNorm(Epsilon = 1e-30f, Affine = Affine.Scale, Activation = Activation.Tanh)]
    public static partial void LnTanhH(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> gamma, Span<Half> y);

    [LayerNorm(Epsilon = 1e-30f, Affine = Affine.Scale, Activation = Activation.Sigmoid)]
    public static partial void LnSigmoidH(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> gamma, Span<Half> y);

    // Ordinary data through a static-shape kernel with affine: the activation composes with the normalization.
    [LayerNorm(96, Activation = Activation.Tanh)]
    public static partial void LnTanh96(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
}

/// <summary>
/// Activation.Tanh and Activation.Sigmoid against a double reference. Measured maximum errors (this machine, all widths):
/// tanh ≤ 2 float ulps and sigmoid ≤ 3 float ulps; double: tanh and sigmoid ≤ 4 double ulps. The asserts allow that.
/// </summary>
public class ActivationTests(ITestOutputHelper output)
{
    private const double FloatTanhUlps = 2, FloatSigmoidUlps = 3, DoubleUlps = 4;

    private static readonly (float[] X, float[] Gamma) Probe = ActivationReference.ActivationProbe(4096);

    private static double MaxFloatUlps(float[] y, Func<double, double> reference, float[] inputs) =>
        Enumerable.Range(0, y.Length).Max(i => ActivationReference.FloatUlps(y[i], reference(inputs[i])));

    private static double MaxDoubleUlps(double[] y, Func<double, double> reference, double[] inputs) =>
        Enumerable.Range(0, y.Length).Max(i => ActivationReference.DoubleUlps(y[i], reference(inputs[i])));

    /// <summary>The inputs the probe's activation sees: ±γ.</summary>
    private static float[] Signed => Probe.X.Select((v, i) => v * Probe.Gamma[i]).ToArray();

    [Theory]
    [InlineData("LnTanhF"), InlineData("LnSigmoidF"), InlineData("RmsTanhF"), InlineData("RmsSigmoidF")]
    public void FloatKernelsAreWithinAFewUlps(string name)
    {
        bool tanh = name.Contains("Tanh");
        Func<double, double> reference = tanh ? ActivationReference.Tanh : ActivationReference.Sigmoid;
        int n = Probe.X.Length;
        // Two rows, so the second goes through the row loop's offset too.
        float[] x = [.. Probe.X, .. Probe.X], y = new float[2 * n];
        switch (name)
        {
            case "LnTanhF": ActivationKernels.LnTanhF(x, n, Probe.Gamma, y); break;
            case "LnSigmoidF": ActivationKernels.LnSigmoidF(x, n, Probe.Gamma, y); break;
            case "RmsTanhF": ActivationKernels.RmsTanhF(x, n, Probe.Gamma, y); break;
            default: ActivationKernels.RmsSigmoidF(x, n, Probe.Gamma, y); break;
        }
        float[] inputs = [.. Signed, .. Signed];
        double max = MaxFloatUlps(y, reference, inputs);
        output.WriteLine($"{name}: max {max:F2} float ulps over {y.Length} values");
        Assert.True(max <= (tanh ? FloatTanhUlps : FloatSigmoidUlps), $"{name}: {max} ulps");
    }

    [Theory]
    [InlineData(true), InlineData(false)]
    public void DoubleKernelsAreWithinAFewUlps(bool tanh)
    {
        int n = Probe.X.Length;
        double[] x = Probe.X.Select(v => (double)v).ToArray(), g = Probe.Gamma.Select(v => (double)v).ToArray(), y = new double[n];
        if (tanh) ActivationKernels.LnTanhD(x, n, g, y); else ActivationKernels.LnSigmoidD(x, n, g, y);
        double max = MaxDoubleUlps(y, tanh ? ActivationReference.Tanh : ActivationReference.Sigmoid, Signed.Select(v => (double)v).ToArray());
        output.WriteLine($"double {(tanh ? "tanh" : "sigmoid")}: max {max:F2} double ulps");
        Assert.True(max <= DoubleUlps, $"{max} ulps");
    }

    [Theory]
    [InlineData(true), InlineData(false)]
    public void HalfKernelsRoundOnceFromFloat(bool tanh)
    {
        int n = Probe.X.Length;
        Half[] x = Probe.X.Select(v => (Half)v).ToArray(), g = Probe.Gamma.Select(v => (Half)v).ToArray(), y = new Half[n];
        if (tanh) ActivationKernels.LnTanhH(x, n, g, y); else ActivationKernels.LnSigmoidH(x, n, g, y);
        Func<double, double> reference = tanh ? ActivationReference.Tanh : ActivationReference.Sigmoid;
        for (int i = 0; i < n; i++)
        {
            double expected = reference((double)x[i] * (double)g[i]);
            // Within half a Half ulp plus the float result's few ulps: never more than one Half ulp away.
            double ulp = Math.Pow(2, Math.Max(Math.ILogB(Math.Abs(expected)), -14) - 10);
            Assert.True(Math.Abs((double)y[i] - expected) <= ulp || (double.IsNaN(expected) && Half.IsNaN(y[i])), $"y[{i}] = {y[i]}, expected {expected:R}");
        }
    }

    /// <summary>Saturation and special values: tanh(±∞) = ±1, σ(+∞) = 1, σ(−∞) = 0, large finite inputs saturate without NaN, NaN stays NaN.</summary>
    [Fact]
    public void SpecialValues()
    {
        float[] g = [float.PositiveInfinity, 1e30f, 100f, 50f, 0f, float.NaN, 1e-40f, 88.8f];
        float[] x = [1, -1, 1, -1, 1, -1, 1, -1];
        float[] t = new float[8], s = new float[8];
        ActivationKernels.LnTanhF(x, 8, g, t);
        ActivationKernels.LnSigmoidF(x, 8, g, s);
        Assert.Equal([1f, -1f, 1f, -1f, 0f], t.Take(5));
        Assert.True(float.IsNaN(t[5]));
        Assert.Equal(1e-40f, t[6]);
        Assert.Equal(-1f, t[7]);
        Assert.Equal([1f, 0f, 1f], s.Take(3));
        Assert.True(ActivationReference.FloatUlps(s[3], ActivationReference.Sigmoid(-50)) <= FloatSigmoidUlps, $"σ(−50) = {s[3]:R}");
        Assert.Equal(0.5f, s[4]);
        Assert.True(float.IsNaN(s[5]));
        Assert.Equal(0.5f, s[6]);
        Assert.True(ActivationReference.FloatUlps(s[7], ActivationReference.Sigmoid(-(double)88.8f)) <= FloatSigmoidUlps, $"σ(−88.8) = {s[7]:R}");
    }

    /// <summary>
    /// The vector forms directly, at every width (a width the processor does not accelerate runs in software with the
    /// same formula), and the scalar forms, over the probe's inputs.
    /// </summary>
    [Fact]
    public void VectorFormsAtEveryWidth()
    {
        float[] v = Signed.Where(f => !float.IsNaN(f)).ToArray();
        double[] d = v.Select(f => (double)f).Concat(v.Select(f => f * 1.000000123456789)).ToArray();
        var results = new (string Name, double Max, double Bound)[]
        {
            ("tanh float 128", Map(v, 4, a => Arr(Activations.Tanh(Vector128.Create(a))), ActivationReference.Tanh), FloatTanhUlps),
            ("tanh float 256", Map(v, 8, a => Arr(Activations.Tanh(Vector256.Create(a))), ActivationReference.Tanh), FloatTanhUlps),
            ("tanh float 512", Map(v, 16, a => Arr(Activations.Tanh(Vector512.Create(a))), ActivationReference.Tanh), FloatTanhUlps),
            ("sigmoid float 128", Map(v, 4, a => Arr(Activations.Sigmoid(Vector128.Create(a))), ActivationReference.Sigmoid), FloatSigmoidUlps),
            ("sigmoid float 256", Map(v, 8, a => Arr(Activations.Sigmoid(Vector256.Create(a))), ActivationReference.Sigmoid), FloatSigmoidUlps),
            ("sigmoid float 512", Map(v, 16, a => Arr(Activations.Sigmoid(Vector512.Create(a))), ActivationReference.Sigmoid), FloatSigmoidUlps),
            ("tanh float scalar", Map(v, 1, a => [Activations.Tanh(a[0])], ActivationReference.Tanh), 0.5),
            ("sigmoid float scalar", Map(v, 1, a => [Activations.Sigmoid(a[0])], ActivationReference.Sigmoid), 0.5),
            ("tanh double 128", MapD(d, 2, a => Arr(Activations.Tanh(Vector128.Create(a))), ActivationReference.Tanh), DoubleUlps),
            ("tanh double 256", MapD(d, 4, a => Arr(Activations.Tanh(Vector256.Create(a))), ActivationReference.Tanh), DoubleUlps),
            ("tanh double 512", MapD(d, 8, a => Arr(Activations.Tanh(Vector512.Create(a))), ActivationReference.Tanh), DoubleUlps),
            ("sigmoid double 128", MapD(d, 2, a => Arr(Activations.Sigmoid(Vector128.Create(a))), ActivationReference.Sigmoid), DoubleUlps),
            ("sigmoid double 256", MapD(d, 4, a => Arr(Activations.Sigmoid(Vector256.Create(a))), ActivationReference.Sigmoid), DoubleUlps),
            ("sigmoid double 512", MapD(d, 8, a => Arr(Activations.Sigmoid(Vector512.Create(a))), ActivationReference.Sigmoid), DoubleUlps),
        };
        foreach (var (name, max, _) in results) output.WriteLine($"{name}: max {max:F2} ulps");
        Assert.All(results, r => Assert.True(r.Max <= r.Bound, $"{r.Name}: {r.Max} ulps > {r.Bound}"));

        // NaN stays NaN at every width.
        Assert.True(float.IsNaN(Activations.Tanh(Vector512.Create(float.NaN)).GetElement(3)));
        Assert.True(float.IsNaN(Activations.Sigmoid(Vector256.Create(float.NaN)).GetElement(3)));
        Assert.True(double.IsNaN(Activations.Tanh(Vector128.Create(double.NaN)).GetElement(1)));
        Assert.True(double.IsNaN(Activations.Sigmoid(Vector512.Create(double.NaN)).GetElement(1)));
    }

    /// <summary>
    /// Every activation's vector form at 128, 256 and 512 bits, float and double, each within 4 ulps of the double
    /// reference plus c·|x| for the approximations (GELU's erf: measured 1.07e-7·|x| in float, 7e-8·|x| in double;
    /// GELU-tanh: 8.6e-8·|x| in float, 1.7e-16·|x| in double; SiLU's e^−x overflowing below −88.7 in float: 2.9e-39·|x|).
    /// Each width is held to the reference rather than to the others: with the BCL's vector exponential (before the
    /// runtime's own, VectorExp), full test runs saw Silu double 1 ulp and GELU double ~25 ulps apart between 512 and
    /// 128/256 bits. VectorExp gives the same bits at every width (ExpTests.EveryWidthGivesTheSameBits).
    /// </summary>
    [Theory]
    [InlineData(Activation.Relu, 0, 0), InlineData(Activation.Gelu, 2e-7, 1e-7), InlineData(Activation.GeluTanh, 2e-7, 1e-15)]
    [InlineData(Activation.Silu, 1e-37, 0), InlineData(Activation.Tanh, 0, 0), InlineData(Activation.Sigmoid, 0, 0)]
    public void EveryWidthIsNearTheReference(Activation activation, double floatPerX, double doublePerX)
    {
        float[] v = [.. Signed.Where(f => !float.IsNaN(f)), .. Enumerable.Range(0, 4000).Select(i => (float)(-100 + i * 0.05))];
        v = [.. v, .. new float[(16 - v.Length % 16) % 16]];
        double[] d = v.Select((f, i) => i % 2 == 0 ? f : f * 1.000000123456789).ToArray();
        Func<double, double> reference = activation switch
        {
            Activation.Relu => x => Math.Max(x, 0),
            Activation.Gelu => ActivationReference.Gelu,
            Activation.GeluTanh => ActivationReference.GeluTanh,
            Activation.Silu => ActivationReference.Silu,
            Activation.Tanh => ActivationReference.Tanh,
            _ => ActivationReference.Sigmoid,
        };
        var (form128, form256, form512) = (Form<Vector128<float>>(activation), Form<Vector256<float>>(activation), Form<Vector512<float>>(activation));
        var (form128D, form256D, form512D) = (Form<Vector128<double>>(activation), Form<Vector256<double>>(activation), Form<Vector512<double>>(activation));
        float[] f128 = Lanes(v, 4, a => Arr(form128(Vector128.Create(a)))), f256 = Lanes(v, 8, a => Arr(form256(Vector256.Create(a))));
        float[] f512 = Lanes(v, 16, a => Arr(form512(Vector512.Create(a))));
        double[] d128 = Lanes(d, 2, a => Arr(form128D(Vector128.Create(a)))), d256 = Lanes(d, 4, a => Arr(form256D(Vector256.Create(a))));
        double[] d512 = Lanes(d, 8, a => Arr(form512D(Vector512.Create(a))));
        for (int i = 0; i < v.Length; i++)
        {
            double expected = reference(v[i]), expectedD = reference(d[i]);
            double floatUlp = Math.Pow(2, Math.Max(Math.ILogB(Math.Abs(expected == 0 ? f128[i] : expected)), -126) - 23);
            double doubleUlp = Math.Pow(2, Math.Max(Math.ILogB(Math.Abs(expectedD == 0 ? d128[i] : expectedD)), -1022) - 52);
            foreach ((int bits, float value) in new[] { (128, f128[i]), (256, f256[i]), (512, f512[i]) })
                Assert.True(Near(value, expected, 4 * floatUlp, floatPerX, v[i]), $"{activation}({v[i]:R}) float at {bits} bits = {value:R}, expected {expected:R}");
            foreach ((int bits, double value) in new[] { (128, d128[i]), (256, d256[i]), (512, d512[i]) })
                Assert.True(Near(value, expectedD, 4 * doubleUlp, doublePerX, d[i]), $"{activation}({d[i]:R}) double at {bits} bits = {value:R}, expected {expectedD:R}");
        }
    }

    /// <summary>
    /// Row lengths that end in a partial vector at every width, in place (y is x) and not: the activation runs as a second
    /// loop over y that reads the overlapping last vector before the loop, so each element is activated once. The same
    /// bits both ways, and within the LayerNorm bound (times the activation's slope, at most 1) plus 8 ulps of the double
    /// reference's tanh/sigmoid of the normalised row: an element activated twice would be off by about 0.1.
    /// </summary>
    [Theory]
    [InlineData(17), InlineData(18), InlineData(23), InlineData(100), InlineData(1003)]
    public void PartialLastVectorsAreActivatedOnce(int n)
    {
        const int rows = 3;
        var random = new Random(n);
        float[] x = Enumerable.Range(0, rows * n).Select(_ => (float)(3 + 4 * (random.NextDouble() - 0.5))).ToArray();
        float[] gamma = Enumerable.Range(0, n).Select(_ => (float)(0.5 + 1.5 * random.NextDouble())).ToArray();
        double[] z = Reference.Normalize(NormKind.LayerNorm, Affine.Scale, 1e-30, [.. x.Select(v => (double)v)], n, [.. gamma.Select(v => (double)v)],
            new double[n], out double[] terms);
        double tol = Reference.Tolerance(Math.Pow(2, -24), n);
        foreach (bool tanh in new[] { true, false })
        {
            float[] y = new float[x.Length], inPlace = (float[])x.Clone();
            if (tanh)
            {
                ActivationKernels.LnTanhF(x, n, gamma, y);
                ActivationKernels.LnTanhF(inPlace, n, gamma, inPlace);
            }
            else
            {
                ActivationKernels.LnSigmoidF(x, n, gamma, y);
                ActivationKernels.LnSigmoidF(inPlace, n, gamma, inPlace);
            }
            for (int i = 0; i < y.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits(inPlace[i]), $"n={n} row={i / n} col={i % n}: {y[i]:R} out of place, {inPlace[i]:R} in place");
                double expected = tanh ? ActivationReference.Tanh(z[i]) : ActivationReference.Sigmoid(z[i]);
                double bound = tol * terms[i] + 8 * Math.Pow(2, Math.ILogB(Math.Abs(expected)) - 23);
                Assert.True(Math.Abs(y[i] - expected) <= bound, $"{(tanh ? "tanh" : "sigmoid")} n={n} row={i / n} col={i % n}: y={y[i]:R}, reference {expected:R}");
            }
        }
    }

    /// <summary>The public vector form of <paramref name="activation"/> for the vector type <typeparamref name="TV"/>.</summary>
    private static Func<TV, TV> Form<TV>(Activation activation)
    {
        string name = activation.ToString();
        var method = typeof(Activations).GetMethod(name, [typeof(TV)]) ?? throw new MissingMethodException(nameof(Activations), name);
        return method.CreateDelegate<Func<TV, TV>>();
    }

    /// <summary>|actual − expected| ≤ ulps + perX·|x|, or both equal (infinities) or both NaN.</summary>
    private static bool Near(double actual, double expected, double ulps, double perX, double x) =>
        actual == expected || (double.IsNaN(actual) && double.IsNaN(expected)) || Math.Abs(actual - expected) <= ulps + (perX == 0 ? 0 : perX * Math.Abs(x));

    /// <summary>f over consecutive groups of <paramref name="lanes"/> values, the results concatenated.</summary>
    private static T[] Lanes<T>(T[] values, int lanes, Func<T[], T[]> f) =>
        Enumerable.Range(0, values.Length / lanes).SelectMany(i => f(values[(i * lanes)..((i + 1) * lanes)])).ToArray();

    private static T[] Arr<T>(Vector128<T> v) => Enumerable.Range(0, Vector128<T>.Count).Select(i => v.GetElement(i)).ToArray();

    private static T[] Arr<T>(Vector256<T> v) => Enumerable.Range(0, Vector256<T>.Count).Select(i => v.GetElement(i)).ToArray();

    private static T[] Arr<T>(Vector512<T> v) => Enumerable.Range(0, Vector512<T>.Count).Select(i => v.GetElement(i)).ToArray();

    private static double Map(float[] values, int lanes, Func<float[], float[]> f, Func<double, double> reference)
    {
        double max = 0;
        for (int i = 0; i + lanes <= values.Length; i += lanes)
        {
            float[] r = f(values[i..(i + lanes)]);
            for (int j = 0; j < lanes; j++) max = Math.Max(max, ActivationReference.FloatUlps(r[j], reference(values[i + j])));
        }
        return max;
    }

    private static double MapD(double[] values, int lanes, Func<double[], double[]> f, Func<double, double> reference)
    {
        double max = 0;
        for (int i = 0; i + lanes <= values.Length; i += lanes)
        {
            double[] r = f(values[i..(i + lanes)]);
            for (int j = 0; j < lanes; j++) max = Math.Max(max, ActivationReference.DoubleUlps(r[j], reference(values[i + j])));
        }
        return max;
    }

    /// <summary>tanh after an ordinary LayerNorm with affine, against the double reference (static shape, several rows).</summary>
    [Fact]
    public void TanhAfterLayerNormMatchesReference()
    {
        const int n = 96, rows = 7;
        var rng = new Random(9);
        float[] x = Enumerable.Range(0, n * rows).Select(_ => (float)(rng.NextDouble() * 6 - 2)).ToArray();
        float[] g = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 3)).ToArray();
        float[] b = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var y = new float[x.Length];
        ActivationKernels.LnTanh96(x, g, b, y);
        for (int r = 0; r < rows; r++)
        {
            double mean = Enumerable.Range(0, n).Average(i => (double)x[r * n + i]);
            double variance = Enumerable.Range(0, n).Average(i => ((double)x[r * n + i] - mean) * ((double)x[r * n + i] - mean));
            for (int i = 0; i < n; i++)
            {
                double expected = Math.Tanh((x[r * n + i] - mean) / Math.Sqrt(variance + 1e-5) * g[i] + b[i]);
                Assert.True(Math.Abs(y[r * n + i] - expected) <= 3e-6, $"row {r} [{i}]: {y[r * n + i]:R} vs {expected:R}");
            }
        }
    }
}
