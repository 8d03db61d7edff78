// Runs a fixed checklist of generated kernels against a double-precision reference on whatever vector widths the
// JIT accelerates in this process, prints the acceleration flags and one PASS/FAIL line per check, and exits 1 if any
// check fails. NormGen.Tests starts it with the ISA environment switches so each kernel path runs in every test run.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.Intrinsics;
using NormGen;

namespace NormGen.IsaCheck;

public static partial class IsaKernels
{
    [LayerNorm] public static partial void LnF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(Affine = Affine.None)] public static partial void LnFNone(ReadOnlySpan<float> x, int rowLength, Span<float> y);
    [LayerNorm] public static partial void LnD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [LayerNorm] public static partial void LnH(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y);
    [RmsNorm] public static partial void RmsF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(Affine = Affine.ScaleAndBias)] public static partial void RmsFBias(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> weight, ReadOnlySpan<float> beta, Span<float> y);
    [RmsNorm] public static partial void RmsD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> weight, Span<double> y);
    [RmsNorm] public static partial void RmsH(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> weight, Span<Half> y);
    [LayerNorm(768)] public static partial void LnF768(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(4099)] public static partial void LnF4099(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(3)] public static partial void LnF3(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(13)] public static partial void LnD13(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(17)] public static partial void RmsF17(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(1000)] public static partial void RmsD1000(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    // Fused forms: the checks feed x/2 and x/2 (DeepNorm: x/4 with α = 2, and x/2), so h = x exactly and the plain
    // reference applies; residualOut must then hold x bitwise.
    [RmsNorm(Residual = true)] public static partial void AddRmsF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);
    [LayerNorm(Residual = true, ResidualBias = true)] public static partial void SkipLnF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> residual, ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut);
    [DeepNorm(Alpha = 2f)] public static partial void DeepD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> sublayer, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    // Activation probes (ActivationReference.ActivationProbe): the activation sees ±γ exactly.
    [LayerNorm(Epsilon = 1e-30f, Affine = Affine.Scale, Activation = Activation.Tanh)] public static partial void LnTanhF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, Span<float> y);
    [LayerNorm(Epsilon = 1e-30f, Affine = Affine.Scale, Activation = Activation.Sigmoid)] public static partial void LnSigmoidF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, Span<float> y);
    [RmsNorm(Epsilon = 1e-30f, Activation = Activation.Tanh)] public static partial void RmsTanhD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> weight, Span<double> y);
    [RmsNorm(Epsilon = 1e-30f, Activation = Activation.Sigmoid)] public static partial void RmsSigmoidD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> weight, Span<double> y);
    [LayerNorm(Residual = true)] public static partial void AddLnH(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> residual, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y, Span<Half> residualOut);
}

public static class Program
{
    private delegate void Fn(double[] x, int n, double[] g, double[] b, double[] y);

    private sealed record Kernel(string Name, bool LayerNorm, bool Scale, bool Bias, char Type, int StaticN, Fn Run);

    private static int s_failures;

    public static int Main()
    {
        Console.WriteLine($"Vector512.IsHardwareAccelerated={Vector512.IsHardwareAccelerated}");
        Console.WriteLine($"Vector256.IsHardwareAccelerated={Vector256.IsHardwareAccelerated}");
        Console.WriteLine($"Vector128.IsHardwareAccelerated={Vector128.IsHardwareAccelerated}");

        var kernels = new List<Kernel>
        {
            new("LnF", true, true, true, 'f', 0, (x, n, g, b, y) => Float(x, g, b, y, (xs, gs, bs, ys) => IsaKernels.LnF(xs, n, gs, bs, ys))),
            new("LnFNone", true, false, false, 'f', 0, (x, n, g, b, y) => Float(x, g, b, y, (xs, gs, bs, ys) => IsaKernels.LnFNone(xs, n, ys))),
            new("LnD", true, true, true, 'd', 0, (x, n, g, b, y) => IsaKernels.LnD(x, n, g, b, y)),
            new("LnH", true, true, true, 'h', 0, (x, n, g, b, y) => Half16(x, g, b, y, (xs, gs, bs, ys) => IsaKernels.LnH(xs, n, gs, bs, ys))),
            new("RmsF", false, true, false, 'f', 0, (x, n, g, b, y) => Float(x, g, b, y, (xs, gs, bs, ys) => IsaKernels.RmsF(xs, n, gs, ys))),
            new("RmsFBias", false, true, true, 'f', 0, (x, n, g, b, y) => Float(x, g, b, y, (xs, gs, bs, ys) => IsaKernels.RmsFBias(xs, n, gs, bs, ys))),
            new("RmsD", false, true, false, 'd', 0, (x, n, g, b, y) => IsaKernels.RmsD(x, n, g, y)),
            new("RmsH", false, true, false, 'h', 0, (x, n, g, b, y) => Half16(x, g, b, y, (xs, gs, bs, ys) => IsaKernels.RmsH(xs, n, gs, ys))),
            new("LnF768", true, true, true, 'f', 768, (x, n, g, b, y) => Float(x, g, b, y, (xs, gs, bs, ys) => IsaKernels.LnF768(xs, gs, bs, ys))),
            new("LnF4099", true, true, true, 'f', 4099, (x, n, g, b, y) => Float(x, g, b, y, (xs, gs, bs, ys) => IsaKernels.LnF4099(xs, gs, bs, ys))),
            new("LnF3", true, true, true, 'f', 3, (x, n, g, b, y) => Float(x, g, b, y, (xs, gs, bs, ys) => IsaKernels.LnF3(xs, gs, bs, ys))),
            new("LnD13", true, true, true, 'd', 13, (x, n, g, b, y) => IsaKernels.LnD13(x, g, b, y)),
            new("RmsF17", false, true, false, 'f', 17, (x, n, g, b, y) => Float(x, g, b, y, (xs, gs, bs, ys) => IsaKernels.RmsF17(xs, gs, ys))),
            new("RmsD1000", false, true, false, 'd', 1000, (x, n, g, b, y) => IsaKernels.RmsD1000(x, g, y)),
            new("AddRmsF", false, true, false, 'f', 0, (x, n, g, b, y) => Float(x, g, b, y, (xs, gs, bs, ys) =>
            {
                float[] expected = xs.ToArray(), half = Halve(xs), residualOut = new float[xs.Length];
                IsaKernels.AddRmsF(half, n, half, gs, ys, residualOut);
                RequireEqual("AddRmsF residualOut", residualOut, expected);
            })),
            new("SkipLnF", true, true, true, 'f', 0, (x, n, g, b, y) => Float(x, g, b, y, (xs, gs, bs, ys) =>
            {
                float[] expected = xs.ToArray(), half = Halve(xs), residualOut = new float[xs.Length];
                IsaKernels.SkipLnF(half, n, half, new float[n], gs, bs, ys, residualOut);
                RequireEqual("SkipLnF residualOut", residualOut, expected);
            })),
            new("DeepD", true, true, true, 'd', 0, (x, n, g, b, y) =>
            {
                double[] quarter = Array.ConvertAll(x, v => v / 4), half = Array.ConvertAll(x, v => v / 2);
                IsaKernels.DeepD(quarter, n, half, g, b, y);
            }),
            new("AddLnH", true, true, true, 'h', 0, (x, n, g, b, y) => Half16(x, g, b, y, (xs, gs, bs, ys) =>
            {
                // x/2 is not always a Half (subnormals), so the check is the kernel's own definition: h = x + residual in float.
                Half[] half = Array.ConvertAll(xs.ToArray(), v => (Half)((float)v / 2)), residualOut = new Half[xs.Length];
                Half[] expected = Array.ConvertAll(half, v => (Half)((float)v + (float)v));
                IsaKernels.AddLnH(half, n, half, gs, bs, ys, residualOut);
                if (!residualOut.Select(BitConverter.HalfToInt16Bits).SequenceEqual(expected.Select(BitConverter.HalfToInt16Bits)))
                    throw new InvalidOperationException("AddLnH residualOut is not x + residual bitwise");
            })),
        };

        var lengths = new List<int>();
        for (int n = 1; n <= 70; n++) lengths.Add(n);
        lengths.AddRange([127, 128, 129, 768, 1000, 4099]);

        foreach (Kernel k in kernels)
        {
            int[] ns = k.StaticN > 0 ? [k.StaticN] : lengths.ToArray();
            Check($"{k.Name} matches reference (n={Describe(ns)})", () => ns.All(n => Accuracy(k, n, 0, 1, 3) && Accuracy(k, n, -30, 0.5, 2)));
            if (k.Type != 'h')
                Check($"{k.Name} row mean 1e4, std 1", () => ns.All(n => Accuracy(k, n, 1e4, 1, 2)));
            Check($"{k.Name} in place equals out of place", () => ns.All(n => InPlace(k, n)));
            if (k.LayerNorm)
                Check($"{k.Name} constant row gives exactly beta", () => ns.All(n => ConstantRow(k, n)));
            Check($"{k.Name} NaN poisons only its row", () => ns.All(n => NaNRow(k, n)));
            // Rows whose squares overflow the type (HugeRow, called from the rows loop when a row method gives up).
            if (k.Type != 'h')
                Check($"{k.Name} huge rows (std {(k.Type == 'd' ? "1e160" : "1e30")}) match reference", () => ns.All(n => Accuracy(k, n, 0, k.Type == 'd' ? 1e160 : 1e30, 3)));
        }

        TensorChecks.Run(Check);

        // Activation.Tanh / Sigmoid on this ISA's width: float within 2 / 3 ulps, double within 4 ulps.
        Check("LnTanhF activation probe within 2 float ulps", () => ActivationProbe(true, false) <= 2);
        Check("LnSigmoidF activation probe within 3 float ulps", () => ActivationProbe(false, false) <= 3);
        Check("RmsTanhD activation probe within 4 double ulps", () => ActivationProbe(true, true) <= 4);
        Check("RmsSigmoidD activation probe within 4 double ulps", () => ActivationProbe(false, true) <= 4);

        // The runtime's exponential (VectorExp, under every activation) on this ISA: with FMA its polynomial is fused, without
        // (the 128-bit and scalar paths here) it is not, so the bound is 1.5 float ulps / 2 double ulps for both.
        Check("VectorExp within 1.5 float ulps and 2 double ulps of Math.Exp (128-bit and the widest vectors)", () => ExpWithin(1.5, 2));

        // The activation backward's vectorised act′ on this ISA's width, every tail (n = 1..70, 1000): dβ of one row is dz.
        foreach (Activation a in new[] { Activation.Relu, Activation.Gelu, Activation.GeluTanh, Activation.Silu, Activation.Tanh, Activation.Sigmoid })
            Check($"FusedRowBackward {a} dz = dy·act′(z) matches reference (float, double; n = 1..70, 1000)", () => lengths.Where(n => n <= 70 || n == 1000).All(n => ActivationGradientMatches(a, n)));

        // Streaming (non-temporal) stores: the same results, bitwise, on this ISA's vector width.
        Check("streaming stores equal cached stores (LnF, AddRmsF, n = 1..70, 1000, 4099)", () => lengths.Where(n => n != 127 && n != 128 && n != 129 && n != 768).All(StreamingMatches));

        // Half → float widening (HalfWidening, internal: every Half path) on this ISA's width: the bits of (float)h.
        Check("HalfWidening gives (float)h for all 65,536 Halfs, in order and shuffled (spans of 1..70, 1000, 65,536)", HalfWideningMatches);

        Console.WriteLine(s_failures == 0 ? "ALL PASS" : $"{s_failures} FAILED");
        return s_failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// The internal Vec128/Vec512.Exp (by reflection) over every 4093rd float bit pattern in [−104, 89] and 200,000 doubles
    /// in [−745, 709], against Math.Exp in ulps of the result (2⁻¹⁴⁹ / 2⁻¹⁰⁷⁴ below the normal range).
    /// </summary>
    private static bool ExpWithin(double floatUlps, double doubleUlps)
    {
        Type Ops(int bits, Type t) => typeof(RowEngine).Assembly.GetType($"NormGen.Vec{bits}`1", throwOnError: true)!.MakeGenericType(t);
        var f128 = Ops(128, typeof(float)).GetMethod("Exp", [typeof(Vector128<float>)])!.CreateDelegate<Func<Vector128<float>, Vector128<float>>>();
        var f512 = Ops(512, typeof(float)).GetMethod("Exp", [typeof(Vector512<float>)])!.CreateDelegate<Func<Vector512<float>, Vector512<float>>>();
        var d128 = Ops(128, typeof(double)).GetMethod("Exp", [typeof(Vector128<double>)])!.CreateDelegate<Func<Vector128<double>, Vector128<double>>>();
        double worstF = 0, worstD = 0;
        var lanes = new float[16];
        for (uint b = 0; b < BitConverter.SingleToUInt32Bits(104f); b += 16 * 4093)
        {
            for (int k = 0; k < 16; k++) { float v = BitConverter.UInt32BitsToSingle(b + (uint)k * 4093); lanes[k] = k % 2 == 0 ? Math.Min(v, 88f) : -v; }
            Vector512<float> wide = f512(Vector512.Create(lanes));
            for (int k = 0; k < 16; k++)
            {
                double exact = Math.Exp(lanes[k]), ulp = Math.Pow(2, Math.Max(Math.ILogB(exact), -126) - 23);
                float narrow = f128(Vector128.Create(lanes, k / 4 * 4)).GetElement(k % 4);
                worstF = Math.Max(worstF, Math.Max(Math.Abs(wide.GetElement(k) - exact), Math.Abs(narrow - exact)) / ulp);
            }
        }
        var random = new Random(7);
        for (int i = 0; i < 100_000; i++)
        {
            double a = -745 + 1454 * random.NextDouble(), c = random.NextDouble() - 0.5;
            Vector128<double> y = d128(Vector128.Create(a, c));
            foreach ((double x, double v) in new[] { (a, y.GetElement(0)), (c, y.GetElement(1)) })
            {
                double exact = Math.Exp(x);
                if (exact == 0 || double.IsInfinity(exact)) continue;
                worstD = Math.Max(worstD, Math.Abs(v - exact) / Math.Pow(2, Math.Max(Math.ILogB(exact), -1022) - 52));
            }
        }
        Console.WriteLine($"  exp: max {worstF.ToString("F2", CultureInfo.InvariantCulture)} float ulps, {worstD.ToString("F2", CultureInfo.InvariantCulture)} double ulps");
        return worstF <= floatUlps && worstD <= doubleUlps;
    }

    /// <summary>The largest error, in ulps of the output type, of an activation probe kernel against the double reference.</summary>
    private static double ActivationProbe(bool tanh, bool dbl)
    {
        const int n = 4096;
        var (x, g) = NormGen.Testing.ActivationReference.ActivationProbe(n);
        Func<double, double> reference = tanh ? NormGen.Testing.ActivationReference.Tanh : NormGen.Testing.ActivationReference.Sigmoid;
        double max = 0;
        if (dbl)
        {
            double[] xd = Array.ConvertAll(x, v => (double)v), gd = Array.ConvertAll(g, v => (double)v), y = new double[n];
            if (tanh) IsaKernels.RmsTanhD(xd, n, gd, y); else IsaKernels.RmsSigmoidD(xd, n, gd, y);
            for (int i = 0; i < n; i++) max = Math.Max(max, NormGen.Testing.ActivationReference.DoubleUlps(y[i], reference(xd[i] * gd[i])));
        }
        else
        {
            var y = new float[n];
            if (tanh) IsaKernels.LnTanhF(x, n, g, y); else IsaKernels.LnSigmoidF(x, n, g, y);
            for (int i = 0; i < n; i++) max = Math.Max(max, NormGen.Testing.ActivationReference.FloatUlps(y[i], reference((double)x[i] * g[i])));
        }
        Console.WriteLine($"  {(tanh ? "tanh" : "sigmoid")} {(dbl ? "double" : "float")}: max {max.ToString("F2", CultureInfo.InvariantCulture)} ulps");
        return max;
    }

    private static float[] Halve(ReadOnlySpan<float> x)
    {
        var half = new float[x.Length];
        for (int i = 0; i < x.Length; i++) half[i] = x[i] / 2;
        return half;
    }

    private static void RequireEqual<T>(string what, T[] actual, ReadOnlySpan<T> expected) where T : IEquatable<T>
    {
        if (!actual.AsSpan().SequenceEqual(expected))
            throw new InvalidOperationException($"{what} is not x + residual bitwise");
    }

    private static bool StreamingMatches(int n)
    {
        const int rows = 5;
        var rng = new Random(n);
        float[] x = Enumerable.Range(0, rows * n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        float[] res = Enumerable.Range(0, rows * n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        float[] g = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray(), b = (float[])g.Clone();
        (float[] Ln, float[] Rms, float[] RmsOut) Run(long threshold)
        {
            long saved = NormGenSettings.StreamingStoreThreshold;
            NormGenSettings.StreamingStoreThreshold = threshold;
            try
            {
                // y one element into a buffer, so the streaming path also peels an unaligned head.
                float[] ln = new float[rows * n + 1], rms = new float[rows * n + 1], rmsOut = new float[rows * n];
                IsaKernels.LnF(x, n, g, b, ln.AsSpan(1));
                IsaKernels.AddRmsF(x, n, res, g, rms.AsSpan(1), rmsOut);
                return (ln, rms, rmsOut);
            }
            finally { NormGenSettings.StreamingStoreThreshold = saved; }
        }
        var cached = Run(long.MaxValue);
        var streamed = Run(0);
        return cached.Ln.AsSpan().SequenceEqual(streamed.Ln) && cached.Rms.AsSpan().SequenceEqual(streamed.Rms) && cached.RmsOut.AsSpan().SequenceEqual(streamed.RmsOut);
    }

    private delegate void Widening(ReadOnlySpan<Half> source, Span<float> destination);

    private static bool HalfWideningMatches()
    {
        var toSingle = typeof(NormGenSettings).Assembly.GetType("NormGen.HalfWidening", throwOnError: true)!.GetMethod("ToSingle")!.CreateDelegate<Widening>();
        var all = new Half[65536];
        for (int v = 0; v < all.Length; v++) all[v] = BitConverter.UInt16BitsToHalf((ushort)v);
        var shuffled = (Half[])all.Clone();
        new Random(7).Shuffle(shuffled);
        var widened = new float[all.Length];
        foreach (Half[] values in new[] { all, shuffled })
            foreach (int span in Enumerable.Range(1, 70).Append(1000).Append(65536))
            {
                for (int start = 0; start < values.Length; start += span)
                    toSingle(values.AsSpan(start, Math.Min(span, values.Length - start)), widened.AsSpan(start));
                for (int v = 0; v < values.Length; v++)
                    if (BitConverter.SingleToUInt32Bits(widened[v]) != BitConverter.SingleToUInt32Bits((float)values[v]))
                    {
                        Console.WriteLine($"  Half 0x{BitConverter.HalfToUInt16Bits(values[v]):X4} (spans of {span}): 0x{BitConverter.SingleToUInt32Bits(widened[v]):X8}");
                        return false;
                    }
            }
        return true;
    }

    private static string Describe(int[] ns) => ns.Length == 1 ? ns[0].ToString(CultureInfo.InvariantCulture) : $"{ns[0]}..{ns[^1]}, {ns.Length} lengths";

    private static void Check(string what, Func<bool> check)
    {
        bool ok;
        try { ok = check(); }
        catch (Exception e) { Console.WriteLine($"  {e.GetType().Name}: {e.Message}"); ok = false; }
        Console.WriteLine($"{(ok ? "PASS" : "FAIL")} {what}");
        if (!ok) s_failures++;
    }

    private delegate void FloatFn(ReadOnlySpan<float> x, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> y);
    private delegate void HalfFn(ReadOnlySpan<Half> x, ReadOnlySpan<Half> g, ReadOnlySpan<Half> b, Span<Half> y);

    private static void Float(double[] x, double[] g, double[] b, double[] y, FloatFn fn)
    {
        float[] xs = Array.ConvertAll(x, v => (float)v), ys = new float[y.Length];
        bool inPlace = ReferenceEquals(x, y);
        fn(xs, Array.ConvertAll(g, v => (float)v), Array.ConvertAll(b, v => (float)v), inPlace ? xs : ys);
        float[] result = inPlace ? xs : ys;
        for (int i = 0; i < y.Length; i++) y[i] = result[i];
    }

    private static void Half16(double[] x, double[] g, double[] b, double[] y, HalfFn fn)
    {
        Half[] xs = Array.ConvertAll(x, v => (Half)v), ys = new Half[y.Length];
        bool inPlace = ReferenceEquals(x, y);
        fn(xs, Array.ConvertAll(g, v => (Half)v), Array.ConvertAll(b, v => (Half)v), inPlace ? xs : ys);
        Half[] result = inPlace ? xs : ys;
        for (int i = 0; i < y.Length; i++) y[i] = (double)result[i];
    }

    private static double RoundTo(char type, double v) => type switch { 'f' => (float)v, 'h' => (double)(Half)v, _ => v };

    private static (double[] X, double[] G, double[] B) Data(Kernel k, int n, int rows, double mean, double std, int seed)
    {
        var rng = new Random(seed);
        var x = new double[rows * n];
        for (int i = 0; i < x.Length; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            x[i] = RoundTo(k.Type, mean + std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        var g = new double[n];
        var b = new double[n];
        for (int i = 0; i < n; i++)
        {
            g[i] = RoundTo(k.Type, (0.5 + rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1));
            b[i] = RoundTo(k.Type, 0.25 + rng.NextDouble());
        }
        return (x, g, b);
    }

    /// <summary>
    /// Each element within u·(16 + 4√n) of the terms |x̂γ| + |β| + |γ|·max|x̂| (as in NormGen.Tests' Reference), plus
    /// ½ Half ulp for Half. The reference is a plain two-pass in double; for double kernels its own worst-case error
    /// (a sequential sum of n terms: n·2⁻⁵³ relative, times |μ|/σ for the mean) is added to the allowance.
    /// A huge <paramref name="std"/> (squares past the type's range) is checked on the reference side on x·s with ε·s²,
    /// s a power of two near 1/std: the same result, exactly, without overflow in the reference.
    /// </summary>
    private static bool Accuracy(Kernel k, int n, double mean, double std, int rows)
    {
        var (x, g, b) = Data(k, n, rows, mean, std, n * 7 + (int)mean);
        var y = new double[x.Length];
        k.Run(x, n, g, b, y);
        double eps = k.LayerNorm ? (k.Type == 'd' ? 1e-5 : 1e-5f) : (k.Type == 'd' ? Math.Pow(2, -52) : 1.1920929e-07f);
        if (std > 1e20)
        {
            double s = Math.ScaleB(1d, -Math.ILogB(std));
            x = Array.ConvertAll(x, v => v * s);
            eps *= s * s;
        }
        double u = k.Type == 'd' ? Math.Pow(2, -53) : Math.Pow(2, -24);
        double units = 16 + 4 * Math.Sqrt(n);
        for (int r = 0; r < rows; r++)
        {
            int o = r * n;
            double mu = 0;
            if (k.LayerNorm) { for (int i = 0; i < n; i++) mu += x[o + i]; mu /= n; }
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (x[o + i] - mu) * (x[o + i] - mu);
            // A constant huge row whose ε·s² underflowed to 0: every x − μ is 0, and so is x̂ (as the kernels give).
            double rstd = ss / n + eps == 0 ? 0 : 1 / Math.Sqrt(ss / n + eps);
            double maxHat = 0;
            for (int i = 0; i < n; i++) maxHat = Math.Max(maxHat, Math.Abs((x[o + i] - mu) * rstd));
            double referenceError = k.Type == 'd' ? Math.Pow(2, -53) * 2 * n * (1 + Math.Abs(mu) * rstd) : 0;
            for (int i = 0; i < n; i++)
            {
                double hat = (x[o + i] - mu) * rstd;
                double gi = k.Scale ? g[i] : 1, bi = k.Bias ? b[i] : 0;
                double expected = hat * gi + bi;
                double terms = Math.Abs(hat * gi) + Math.Abs(bi) + Math.Abs(gi) * maxHat;
                double allowed = (u * units + referenceError) * terms + (k.Type == 'h' ? 0.5 * HalfUlp(expected) : 0);
                if (!(Math.Abs(y[o + i] - expected) <= allowed))
                {
                    Console.WriteLine($"  {k.Name} n={n} mean={mean} row={r} col={i}: y={y[o + i]:R} reference={expected:R} allowed={allowed:E2}");
                    return false;
                }
            }
        }
        return true;
    }

    private static double HalfUlp(double v) => Math.Abs(v) < Math.Pow(2, -14) ? Math.Pow(2, -24) : Math.Pow(2, Math.ILogB(Math.Abs(v)) - 10);

    private static bool InPlace(Kernel k, int n)
    {
        var (x, g, b) = Data(k, n, 3, 2, 3, n);
        var y = new double[x.Length];
        k.Run(x, n, g, b, y);
        k.Run(x, n, g, b, x); // the wrappers pass the same typed array as x and y
        for (int i = 0; i < x.Length; i++)
            if (BitConverter.DoubleToInt64Bits(x[i]) != BitConverter.DoubleToInt64Bits(y[i]))
            {
                Console.WriteLine($"  {k.Name} n={n}: element {i} in place {x[i]:R} vs {y[i]:R}");
                return false;
            }
        return true;
    }

    private static bool ConstantRow(Kernel k, int n)
    {
        var (_, g, b) = Data(k, n, 1, 0, 1, n + 1);
        var x = new double[2 * n];
        for (int i = 0; i < n; i++) { x[i] = RoundTo(k.Type, -3.5); x[n + i] = RoundTo(k.Type, 1000.5); }
        var y = new double[x.Length];
        k.Run(x, n, g, b, y);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = k.Bias ? b[i % n] : 0;
            if (!(k.Bias ? BitConverter.DoubleToInt64Bits(y[i]) == BitConverter.DoubleToInt64Bits(expected) : y[i] == 0))
            {
                Console.WriteLine($"  {k.Name} n={n}: y[{i}]={y[i]:R}, expected {expected:R}");
                return false;
            }
        }
        return true;
    }

    private static bool NaNRow(Kernel k, int n)
    {
        var (x, g, b) = Data(k, n, 3, 1, 2, n + 2);
        var clean = new double[x.Length];
        k.Run(x, n, g, b, clean);
        x[n + n / 2] = double.NaN;
        var y = new double[x.Length];
        k.Run(x, n, g, b, y);
        for (int i = 0; i < x.Length; i++)
        {
            bool middle = i >= n && i < 2 * n;
            bool ok = middle ? double.IsNaN(y[i]) : BitConverter.DoubleToInt64Bits(y[i]) == BitConverter.DoubleToInt64Bits(clean[i]);
            if (!ok)
            {
                Console.WriteLine($"  {k.Name} n={n}: y[{i}]={y[i]:R} (clean {clean[i]:R})");
                return false;
            }
        }
        return true;
    }

    /// <summary>FusedRowBackward with an activation on one row of n: dβ = dz = dy·act′(z) against act′ in double from its definition.</summary>
    private static bool ActivationGradientMatches(Activation a, int n)
    {
        var rng = new Random(n * 7 + (int)a);
        double[] x = new double[n], dy = new double[n], g = new double[n], b = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = rng.NextDouble() * 4 - 2; dy[i] = rng.NextDouble() * 2 - 1; g[i] = rng.NextDouble() * 3 - 0.5; b[i] = rng.NextDouble() * 12 - 6;
        }
        const double mu = 0.25, rs = 1.5;
        float[] xf = Array.ConvertAll(x, v => (float)v), dyf = Array.ConvertAll(dy, v => (float)v), gf = Array.ConvertAll(g, v => (float)v), bf = Array.ConvertAll(b, v => (float)v);
        double[] dz = new double[n], dzf = new double[n], reference = new double[n], referenceF = new double[n];
        for (int i = 0; i < n; i++)
        {
            double z = (x[i] - mu) * rs * g[i] + b[i], zf = ((double)xf[i] - mu) * rs * gf[i] + bf[i];
            if (Math.Abs(z) < 1e-3 || Math.Abs(zf) < 1e-3) { dy[i] = 0; dyf[i] = 0; } // ReLU's kink: either side within rounding
            reference[i] = dy[i] * Derivative(a, z);
            referenceF[i] = dyf[i] * Derivative(a, zf);
        }
        double[] dxd = new double[n], dbd = new double[n];
        NormGen.FusedRowBackward.Run(dy, x, dxd, n, RowBackwardFlags.Centered, new[] { mu }, new[] { rs }, 1e-5, g, b, a, dbeta: dbd);
        float[] dxf = new float[n], dbf = new float[n];
        NormGen.FusedRowBackward.Run(dyf, xf, dxf, n, RowBackwardFlags.Centered, new[] { (float)mu }, new[] { (float)rs }, 1e-5f, gf, bf, a, dbeta: dbf);
        double maxD = reference.Max(Math.Abs), maxF = referenceF.Max(Math.Abs);
        // GELU's Φ is the forward's erf approximation (|error| < 1.5e-7): up to 0.75e-7·|dy| apart from the exact one.
        double erf = a == Activation.Gelu ? 0.75e-7 : 0;
        for (int i = 0; i < n; i++)
        {
            if (!(Math.Abs(dbd[i] - reference[i]) <= 1e-12 * maxD + erf * Math.Abs(dy[i]))) return false;
            if (!(Math.Abs(dbf[i] - referenceF[i]) <= 1e-5 * maxF + erf * Math.Abs(dyf[i]))) return false;
        }
        return true;
    }

    private static double Derivative(Activation a, double z)
    {
        double s = 1 / (1 + Math.Exp(-z)), c = Math.Sqrt(2 / Math.PI), k = 0.044715;
        switch (a)
        {
            case Activation.Relu: return z > 0 ? 1 : 0;
            case Activation.Gelu: return 0.5 * (1 + NormGen.Testing.ActivationReference.Erf(z / Math.Sqrt(2))) + z * Math.Exp(-z * z / 2) / Math.Sqrt(2 * Math.PI);
            case Activation.GeluTanh:
            {
                double t = Math.Tanh(c * (z + k * z * z * z));
                return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * k * z * z);
            }
            case Activation.Silu: return s * (1 + z * (1 - s));
            case Activation.Tanh: return 1 / (Math.Cosh(z) * Math.Cosh(z));
            default: return s * (1 - s);
        }
    }
}
