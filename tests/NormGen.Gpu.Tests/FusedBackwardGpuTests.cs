using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;
using Xunit;
using Half = System.Half;

namespace NormGen.Gpu.Tests;

/// <summary>
/// The fused row backward declarations whose GPU overloads the tests run: statistics recomputed in the kernel, the
/// activation epilogue, the residual bias, DeepNorm (with its bias and all together), in float, double and Half; and
/// the forward declarations whose saved statistics the recomputed ones must equal bit for bit.
/// </summary>
public static partial class FusedBackwardGpuKernels
{
    [LayerNorm(Backward = true)]
    public static partial void LnRecompute(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(Backward = true)]
    public static partial void LnSaved(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(SaveStatistics = true)]
    public static partial void LnForward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd, int rowLength);

    [RmsNorm(ZeroCenteredGamma = true, Backward = true)]
    public static partial void RmsRecompute(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> weight, Span<float> dx, Span<float> dweight);

    [RmsNorm(ZeroCenteredGamma = true, Backward = true)]
    public static partial void RmsSaved(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, Span<float> dx, Span<float> dweight);

    [RmsNorm(ZeroCenteredGamma = true, SaveStatistics = true)]
    public static partial void RmsForward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, Span<float> rstd, int rowLength);

    [LayerNorm(Backward = true)]
    public static partial void LnRecomputeDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, Span<double> dx, Span<double> dgamma, Span<double> dbeta);

    [RmsNorm(Backward = true)]
    public static partial void RmsRecomputeHalf(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> weight, Span<Half> dx, Span<float> dweight);

    [LayerNorm(Activation = Activation.Relu, Backward = true)]
    public static partial void LnRelu(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(Activation = Activation.Gelu, Backward = true)]
    public static partial void LnGelu(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(Activation = Activation.GeluTanh, Backward = true)]
    public static partial void LnGeluTanh(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [RmsNorm(Activation = Activation.Silu, Backward = true)]
    public static partial void RmsSilu(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, Span<float> dx, Span<float> dweight);

    [LayerNorm(Activation = Activation.Tanh, Backward = true)]
    public static partial void LnTanhRecompute(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(Affine = Affine.None, Activation = Activation.Sigmoid, Backward = true)]
    public static partial void LnSigmoidNone(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx);

    [LayerNorm(Activation = Activation.Gelu, Backward = true)]
    public static partial void LnGeluDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> dx, Span<double> dgamma, Span<double> dbeta);

    [LayerNorm(Activation = Activation.Silu, Backward = true)]
    public static partial void LnSiluHalf(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> dx, Span<float> dgamma, Span<float> dbeta);

    [LayerNorm(Residual = true, ResidualBias = true, Backward = true)]
    public static partial void LnResidualBias(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dh, Span<float> dgamma, Span<float> dbeta, Span<float> dbias);

    [RmsNorm(Residual = true, ResidualBias = true, Backward = true)]
    public static partial void RmsResidualBiasDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> dResidualOut, ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> weight, Span<double> dh, Span<double> dweight, Span<double> dbias);

    [DeepNorm(Alpha = 2.5f, Backward = true)]
    public static partial void Deep(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dsublayer, Span<float> dgamma, Span<float> dbeta);

    [DeepNorm(Alpha = 2.5f, Backward = true)]
    public static partial void DeepRecompute(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dsublayer, Span<float> dgamma, Span<float> dbeta);

    [DeepNorm(Alpha = 2.5f, SaveStatistics = true)]
    public static partial void DeepForward(ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd, int rowLength);

    [DeepNorm(Alpha = 2.5f, ResidualBias = true, Activation = Activation.Gelu, Backward = true)]
    public static partial void DeepAll(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dsublayer, Span<float> dgamma, Span<float> dbeta, Span<float> dbias);

    [DeepNorm(Alpha = 2.5f, ResidualBias = true, Backward = true)]
    public static partial void DeepBiasDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> sublayer, ReadOnlySpan<double> bias, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, Span<double> dx, Span<double> dsublayer, Span<double> dgamma, Span<double> dbeta, Span<double> dbias);

    [DeepNorm(Alpha = 2.5f, ResidualBias = true, Backward = true)]
    public static partial void DeepBiasHalf(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> sublayer, ReadOnlySpan<Half> bias, ReadOnlySpan<Half> gamma, Span<Half> dx, Span<Half> dsublayer, Span<float> dgamma, Span<float> dbeta, Span<float> dbias);

    [LayerNorm(Axes = 1, Backward = true)]
    public static partial void LnTensor(System.Numerics.Tensors.ReadOnlyTensorSpan<float> dy, System.Numerics.Tensors.ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, System.Numerics.Tensors.TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);

    [RmsNorm(33, Activation = Activation.Silu, Backward = true)]
    public static partial void RmsTensor33(System.Numerics.Tensors.ReadOnlyTensorSpan<float> dy, System.Numerics.Tensors.ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, System.Numerics.Tensors.TensorSpan<float> dx, Span<float> dweight);
}

/// <summary>
/// The fused row backward on ILGPU's CPU accelerator: every fused form against the span method (the CPU fused backward)
/// and an independent double reference written here, over odd row lengths (1, 7, 33, 769: warp per row; 1025: group per
/// row); run to run bitwise; recomputed statistics bitwise equal to the GPU forward's saved ones (the backward with
/// recomputed statistics gives the very bits of the backward given the forward's); tensor-span overloads bitwise the
/// flat ones.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class FusedBackwardGpuTests(CpuAcceleratorFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private readonly Accelerator accelerator = fixture.Accelerator;

    /// <summary>What a case computes, for the reference; the inputs it reads and the outputs it writes follow from it.</summary>
    public sealed record Form(bool Centered, bool Recompute, Activation Activation = Activation.None, bool Gamma = true, bool Beta = false, bool ZeroCentered = false,
        bool ResidualGradient = false, bool DeepNorm = false, bool Bias = false, bool BiasGradient = false)
    {
        public double Alpha => DeepNorm ? 2.5 : 1;

        public bool BetaGradient => Gamma && (Centered || DeepNorm) && !ZeroCentered;
    }

    /// <summary>Views by name (element views: dy, dro, x, sub, bias, gamma, beta, dx, dsub; accumulation views: mean, rstd, dgamma, dbeta, dbias).</summary>
    private delegate void GpuCall<TE, TA>(Accelerator a, Func<string, ArrayView<TE>> e, Func<string, ArrayView<TA>> acc, int n) where TE : unmanaged where TA : unmanaged;

    private delegate void CpuCall<TE, TA>(Func<string, TE[]> e, Func<string, TA[]> acc, int n);

    private sealed record Case<TE, TA>(Form Form, GpuCall<TE, TA> Gpu, CpuCall<TE, TA> Cpu) where TE : unmanaged where TA : unmanaged;

    private static readonly string[] ElementNames = { "dy", "dro", "x", "sub", "bias", "gamma", "beta", "dx", "dsub" };
    private static readonly string[] AccumulationNames = { "mean", "rstd", "dgamma", "dbeta", "dbias" };

    private static Case<float, float> FloatCase(string name) => name switch
    {
        "LnRecompute" => new(new Form(true, true, Beta: false),
            (a, e, s, n) => FusedBackwardGpuKernels.LnRecompute(a, e("dy"), e("x"), n, e("gamma"), e("dx"), s("dgamma"), s("dbeta")),
            (e, s, n) => FusedBackwardGpuKernels.LnRecompute(e("dy"), e("x"), n, e("gamma"), e("dx"), s("dgamma"), s("dbeta"))),
        "RmsRecompute" => new(new Form(false, true, ZeroCentered: true),
            (a, e, s, n) => FusedBackwardGpuKernels.RmsRecompute(a, e("dy"), e("x"), n, e("gamma"), e("dx"), s("dgamma")),
            (e, s, n) => FusedBackwardGpuKernels.RmsRecompute(e("dy"), e("x"), n, e("gamma"), e("dx"), s("dgamma"))),
        "LnRelu" => ActivationCase(Activation.Relu, FusedBackwardGpuKernels.LnRelu, FusedBackwardGpuKernels.LnRelu),
        "LnGelu" => ActivationCase(Activation.Gelu, FusedBackwardGpuKernels.LnGelu, FusedBackwardGpuKernels.LnGelu),
        "LnGeluTanh" => ActivationCase(Activation.GeluTanh, FusedBackwardGpuKernels.LnGeluTanh, FusedBackwardGpuKernels.LnGeluTanh),
        "RmsSilu" => new(new Form(false, false, Activation.Silu),
            (a, e, s, n) => FusedBackwardGpuKernels.RmsSilu(a, e("dy"), e("x"), n, s("rstd"), e("gamma"), e("dx"), s("dgamma")),
            (e, s, n) => FusedBackwardGpuKernels.RmsSilu(e("dy"), e("x"), n, s("rstd"), e("gamma"), e("dx"), s("dgamma"))),
        "LnTanhRecompute" => new(new Form(true, true, Activation.Tanh, Beta: true),
            (a, e, s, n) => FusedBackwardGpuKernels.LnTanhRecompute(a, e("dy"), e("x"), n, e("gamma"), e("beta"), e("dx"), s("dgamma"), s("dbeta")),
            (e, s, n) => FusedBackwardGpuKernels.LnTanhRecompute(e("dy"), e("x"), n, e("gamma"), e("beta"), e("dx"), s("dgamma"), s("dbeta"))),
        "LnSigmoidNone" => new(new Form(true, false, Activation.Sigmoid, Gamma: false),
            (a, e, s, n) => FusedBackwardGpuKernels.LnSigmoidNone(a, e("dy"), e("x"), n, s("mean"), s("rstd"), e("dx")),
            (e, s, n) => FusedBackwardGpuKernels.LnSigmoidNone(e("dy"), e("x"), n, s("mean"), s("rstd"), e("dx"))),
        "LnResidualBias" => new(new Form(true, false, ResidualGradient: true, BiasGradient: true),
            (a, e, s, n) => FusedBackwardGpuKernels.LnResidualBias(a, e("dy"), e("dro"), e("x"), n, s("mean"), s("rstd"), e("gamma"), e("dx"), s("dgamma"), s("dbeta"), s("dbias")),
            (e, s, n) => FusedBackwardGpuKernels.LnResidualBias(e("dy"), e("dro"), e("x"), n, s("mean"), s("rstd"), e("gamma"), e("dx"), s("dgamma"), s("dbeta"), s("dbias"))),
        "Deep" => new(new Form(true, false, DeepNorm: true),
            (a, e, s, n) => FusedBackwardGpuKernels.Deep(a, e("dy"), e("x"), n, e("sub"), s("mean"), s("rstd"), e("gamma"), e("dx"), e("dsub"), s("dgamma"), s("dbeta")),
            (e, s, n) => FusedBackwardGpuKernels.Deep(e("dy"), e("x"), n, e("sub"), s("mean"), s("rstd"), e("gamma"), e("dx"), e("dsub"), s("dgamma"), s("dbeta"))),
        "DeepRecompute" => new(new Form(true, true, DeepNorm: true),
            (a, e, s, n) => FusedBackwardGpuKernels.DeepRecompute(a, e("dy"), e("x"), n, e("sub"), e("gamma"), e("dx"), e("dsub"), s("dgamma"), s("dbeta")),
            (e, s, n) => FusedBackwardGpuKernels.DeepRecompute(e("dy"), e("x"), n, e("sub"), e("gamma"), e("dx"), e("dsub"), s("dgamma"), s("dbeta"))),
        "DeepAll" => new(new Form(true, true, Activation.Gelu, Beta: true, DeepNorm: true, Bias: true, BiasGradient: true),
            (a, e, s, n) => FusedBackwardGpuKernels.DeepAll(a, e("dy"), e("x"), n, e("sub"), e("bias"), e("gamma"), e("beta"), e("dx"), e("dsub"), s("dgamma"), s("dbeta"), s("dbias")),
            (e, s, n) => FusedBackwardGpuKernels.DeepAll(e("dy"), e("x"), n, e("sub"), e("bias"), e("gamma"), e("beta"), e("dx"), e("dsub"), s("dgamma"), s("dbeta"), s("dbias"))),
        _ => throw new ArgumentException(name),
    };

    private delegate void ActivationGpu(Accelerator a, ArrayView<float> dy, ArrayView<float> x, int n, ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> dx, ArrayView<float> dgamma, ArrayView<float> dbeta);

    private delegate void ActivationCpu(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int n, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    private static Case<float, float> ActivationCase(Activation activation, ActivationGpu gpu, ActivationCpu cpu) => new(new Form(true, false, activation, Beta: true),
        (a, e, s, n) => gpu(a, e("dy"), e("x"), n, s("mean"), s("rstd"), e("gamma"), e("beta"), e("dx"), s("dgamma"), s("dbeta")),
        (e, s, n) => cpu(e("dy"), e("x"), n, s("mean"), s("rstd"), e("gamma"), e("beta"), e("dx"), s("dgamma"), s("dbeta")));

    private static Case<double, double> DoubleCase(string name) => name switch
    {
        "LnRecomputeDouble" => new(new Form(true, true),
            (a, e, s, n) => FusedBackwardGpuKernels.LnRecomputeDouble(a, e("dy"), e("x"), n, e("gamma"), e("dx"), s("dgamma"), s("dbeta")),
            (e, s, n) => FusedBackwardGpuKernels.LnRecomputeDouble(e("dy"), e("x"), n, e("gamma"), e("dx"), s("dgamma"), s("dbeta"))),
        "LnGeluDouble" => new(new Form(true, false, Activation.Gelu, Beta: true),
            (a, e, s, n) => FusedBackwardGpuKernels.LnGeluDouble(a, e("dy"), e("x"), n, s("mean"), s("rstd"), e("gamma"), e("beta"), e("dx"), s("dgamma"), s("dbeta")),
            (e, s, n) => FusedBackwardGpuKernels.LnGeluDouble(e("dy"), e("x"), n, s("mean"), s("rstd"), e("gamma"), e("beta"), e("dx"), s("dgamma"), s("dbeta"))),
        "RmsResidualBiasDouble" => new(new Form(false, true, ResidualGradient: true, BiasGradient: true),
            (a, e, s, n) => FusedBackwardGpuKernels.RmsResidualBiasDouble(a, e("dy"), e("dro"), e("x"), n, e("gamma"), e("dx"), s("dgamma"), s("dbias")),
            (e, s, n) => FusedBackwardGpuKernels.RmsResidualBiasDouble(e("dy"), e("dro"), e("x"), n, e("gamma"), e("dx"), s("dgamma"), s("dbias"))),
        "DeepBiasDouble" => new(new Form(true, false, DeepNorm: true, Bias: true, BiasGradient: true),
            (a, e, s, n) => FusedBackwardGpuKernels.DeepBiasDouble(a, e("dy"), e("x"), n, e("sub"), e("bias"), s("mean"), s("rstd"), e("gamma"), e("dx"), e("dsub"), s("dgamma"), s("dbeta"), s("dbias")),
            (e, s, n) => FusedBackwardGpuKernels.DeepBiasDouble(e("dy"), e("x"), n, e("sub"), e("bias"), s("mean"), s("rstd"), e("gamma"), e("dx"), e("dsub"), s("dgamma"), s("dbeta"), s("dbias"))),
        _ => throw new ArgumentException(name),
    };

    private static Case<Half, float> HalfCase(string name) => name switch
    {
        "RmsRecomputeHalf" => new(new Form(false, true),
            (a, e, s, n) => FusedBackwardGpuKernels.RmsRecomputeHalf(a, e("dy"), e("x"), n, e("gamma"), e("dx"), s("dgamma")),
            (e, s, n) => FusedBackwardGpuKernels.RmsRecomputeHalf(e("dy"), e("x"), n, e("gamma"), e("dx"), s("dgamma"))),
        "LnSiluHalf" => new(new Form(true, false, Activation.Silu, Beta: true),
            (a, e, s, n) => FusedBackwardGpuKernels.LnSiluHalf(a, e("dy"), e("x"), n, s("mean"), s("rstd"), e("gamma"), e("beta"), e("dx"), s("dgamma"), s("dbeta")),
            (e, s, n) => FusedBackwardGpuKernels.LnSiluHalf(e("dy"), e("x"), n, s("mean"), s("rstd"), e("gamma"), e("beta"), e("dx"), s("dgamma"), s("dbeta"))),
        "DeepBiasHalf" => new(new Form(true, true, DeepNorm: true, Bias: true, BiasGradient: true),
            (a, e, s, n) => FusedBackwardGpuKernels.DeepBiasHalf(a, e("dy"), e("x"), n, e("sub"), e("bias"), e("gamma"), e("dx"), e("dsub"), s("dgamma"), s("dbeta"), s("dbias")),
            (e, s, n) => FusedBackwardGpuKernels.DeepBiasHalf(e("dy"), e("x"), n, e("sub"), e("bias"), e("gamma"), e("dx"), e("dsub"), s("dgamma"), s("dbeta"), s("dbias"))),
        _ => throw new ArgumentException(name),
    };

    // ---------------------------------------------------------------- inputs and the double reference

    /// <summary>The inputs in double, already rounded to the element type (and the saved statistics to the accumulation type).</summary>
    private static Dictionary<string, double[]> Inputs(Form f, int n, int rows, int seed, Func<double, double> element, Func<double, double> accumulation, double rmsEpsilon)
    {
        double[] R(double[] a, Func<double, double> round) => Array.ConvertAll(a, v => round(v));
        var d = new Dictionary<string, double[]>
        {
            ["x"] = R(Reference.Doubles(n * rows, seed, 2, 3), element),
            ["dy"] = R(Reference.Doubles(n * rows, seed + 1), element),
            ["dro"] = R(Reference.Doubles(n * rows, seed + 2, 1.5), element),
            ["sub"] = R(Reference.Doubles(n * rows, seed + 3, 2, -1), element),
            ["bias"] = R(Reference.Doubles(n, seed + 4, 0.5), element),
            ["gamma"] = R(Reference.Doubles(n, seed + 5, 0.5, 1), element),
            ["beta"] = R(Reference.Doubles(n, seed + 6, 0.5), element),
        };
        (double[] mean, double[] rstd) = Statistics(f, H(f, d, n, accumulation), n, rmsEpsilon);
        d["mean"] = R(mean, accumulation);
        d["rstd"] = R(rstd, accumulation);
        return d;
    }

    /// <summary>
    /// The normalized rows: x, or DeepNorm's h = α·x + sublayer (+ bias) rounded as the compute type (<paramref name="round"/>)
    /// forms it, so that a row of one element has x̂ = 0 exactly in the reference too.
    /// </summary>
    private static double[] H(Form f, Dictionary<string, double[]> d, int n, Func<double, double> round)
    {
        double[] x = d["x"];
        if (!f.DeepNorm) return x;
        var h = new double[x.Length];
        for (int i = 0; i < h.Length; i++)
        {
            h[i] = round(round(f.Alpha * x[i]) + d["sub"][i]);
            if (f.Bias) h[i] = round(h[i] + d["bias"][i % n]);
        }
        return h;
    }

    /// <summary>The biased statistics in double; ε 1e-5 (LayerNorm, DeepNorm) or RMSNorm's default, the compute type's machine ε.</summary>
    private static (double[] Mean, double[] Rstd) Statistics(Form f, double[] h, int n, double rmsEpsilon)
    {
        int rows = h.Length / n;
        double[] mean = new double[rows], rstd = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double mu = 0, q = 0;
            if (f.Centered)
            {
                for (int i = 0; i < n; i++) mu += h[r * n + i];
                mu /= n;
            }
            for (int i = 0; i < n; i++) q += (h[r * n + i] - mu) * (h[r * n + i] - mu);
            mean[r] = mu;
            rstd[r] = 1 / Math.Sqrt(q / n + (f.Centered ? 1e-5 : rmsEpsilon));
        }
        return (mean, rstd);
    }

    /// <summary>act′(z) in double, from the definitions (Φ from the exact erf).</summary>
    private static double Derivative(Activation a, double z)
    {
        double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        const double C = 0.7978845608028654, K = 0.044715;
        switch (a)
        {
            case Activation.Relu: return z > 0 ? 1 : 0;
            case Activation.Gelu: return 0.5 * (1 + NormGen.Testing.ActivationReference.Erf(z / Math.Sqrt(2))) + z * Math.Exp(-z * z / 2) / Math.Sqrt(2 * Math.PI);
            case Activation.GeluTanh:
            {
                double t = Math.Tanh(C * (z + K * z * z * z));
                return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * C * (1 + 3 * K * z * z);
            }
            case Activation.Silu: return Sigmoid(z) * (1 + z * (1 - Sigmoid(z)));
            case Activation.Tanh: return 1 - Math.Tanh(z) * Math.Tanh(z);
            case Activation.Sigmoid: return Sigmoid(z) * (1 - Sigmoid(z));
            default: return 1;
        }
    }

    /// <summary>The fused backward in double (PyTorch's formulas), and the floor of dx's scale (the size of the terms that cancel).</summary>
    private static (Dictionary<string, double[]> Outputs, double Floor) Expected(Form f, Dictionary<string, double[]> d, int n, Func<double, double> round)
    {
        double[] h = H(f, d, n, round), dy = d["dy"], gamma = d["gamma"], beta = d["beta"];
        int rows = h.Length / n;
        double[] dh = new double[h.Length], dg = new double[n], db = new double[n], dbias = new double[n];
        double floor = 0;
        for (int r = 0; r < rows; r++)
        {
            double mu = f.Centered ? d["mean"][r] : 0, s = d["rstd"][r], sumG = 0, sumGx = 0;
            var g = new double[n];
            var xh = new double[n];
            for (int i = 0; i < n; i++)
            {
                double scale = f.Gamma ? (f.ZeroCentered ? 1 + gamma[i] : gamma[i]) : 1;
                xh[i] = (h[r * n + i] - mu) * s;
                double dz = dy[r * n + i];
                if (f.Activation != Activation.None) dz *= Derivative(f.Activation, xh[i] * scale + (f.Beta ? beta[i] : 0));
                g[i] = dz * scale;
                sumG += g[i];
                sumGx += g[i] * xh[i];
                dg[i] += dz * xh[i];
                db[i] += dz;
                floor = Math.Max(floor, s * Math.Abs(g[i]) * f.Alpha);
            }
            for (int i = 0; i < n; i++)
            {
                double v = s * (g[i] - (f.Centered ? sumG / n : 0) - xh[i] * sumGx / n);
                if (f.ResidualGradient) v += d["dro"][r * n + i];
                dh[r * n + i] = v;
                dbias[i] += v;
            }
        }
        var o = new Dictionary<string, double[]>();
        o["dx"] = f.DeepNorm ? Array.ConvertAll(dh, v => f.Alpha * v) : dh;
        if (f.DeepNorm) o["dsub"] = dh;
        if (f.Gamma) o["dgamma"] = dg;
        if (f.BetaGradient) o["dbeta"] = db;
        if (f.BiasGradient) o["dbias"] = dbias;
        if (f.ResidualGradient) floor = Math.Max(floor, MaxAbs(d["dro"]));
        return (o, floor);
    }

    private static double MaxAbs(double[] a)
    {
        double m = 0;
        foreach (double v in a) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    // ---------------------------------------------------------------- running a case

    /// <summary>Runs the GPU overloads once; returns every output widened to double. dx lands in dy itself when <paramref name="inPlace"/>.</summary>
    private Dictionary<string, double[]> RunGpu<TE, TA>(Case<TE, TA> c, Dictionary<string, double[]> d, int n, Func<double, TE> toE, Func<TE, double> fromE, Func<double, TA> toA, Func<TA, double> fromA, bool inPlace = false)
        where TE : unmanaged where TA : unmanaged
    {
        int count = d["x"].Length;
        var e = new Dictionary<string, MemoryBuffer1D<TE, Stride1D.Dense>>();
        var a = new Dictionary<string, MemoryBuffer1D<TA, Stride1D.Dense>>();
        try
        {
            foreach (string name in ElementNames)
                e[name] = accelerator.Allocate1D(d.TryGetValue(name, out double[]? v) ? Array.ConvertAll(v, x => toE(x)) : new TE[count]);
            foreach (string name in AccumulationNames)
                a[name] = accelerator.Allocate1D(d.TryGetValue(name, out double[]? v) ? Array.ConvertAll(v, x => toA(x)) : new TA[n]);
            ArrayView<TE> E(string name) => inPlace && name == "dx" ? e["dy"].View : e[name].View;
            c.Gpu(accelerator, E, name => a[name].View, n);
            accelerator.Synchronize();
            var result = new Dictionary<string, double[]>
            {
                ["dx"] = Array.ConvertAll((inPlace ? e["dy"] : e["dx"]).GetAsArray1D(), x => fromE(x)),
                ["dsub"] = Array.ConvertAll(e["dsub"].GetAsArray1D(), x => fromE(x)),
            };
            foreach (string name in new[] { "dgamma", "dbeta", "dbias" }) result[name] = Array.ConvertAll(a[name].GetAsArray1D(), x => fromA(x));
            return result;
        }
        finally
        {
            foreach (var b in e.Values) b.Dispose();
            foreach (var b in a.Values) b.Dispose();
        }
    }

    private static Dictionary<string, double[]> RunCpu<TE, TA>(Case<TE, TA> c, Dictionary<string, double[]> d, int n, Func<double, TE> toE, Func<TE, double> fromE, Func<double, TA> toA, Func<TA, double> fromA)
        where TE : unmanaged where TA : unmanaged
    {
        int count = d["x"].Length;
        var e = new Dictionary<string, TE[]>();
        var a = new Dictionary<string, TA[]>();
        foreach (string name in ElementNames) e[name] = d.TryGetValue(name, out double[]? v) ? Array.ConvertAll(v, x => toE(x)) : new TE[count];
        foreach (string name in AccumulationNames) a[name] = d.TryGetValue(name, out double[]? v) ? Array.ConvertAll(v, x => toA(x)) : new TA[n];
        c.Cpu(name => e[name], name => a[name], n);
        return new Dictionary<string, double[]>
        {
            ["dx"] = Array.ConvertAll(e["dx"], x => fromE(x)),
            ["dsub"] = Array.ConvertAll(e["dsub"], x => fromE(x)),
            ["dgamma"] = Array.ConvertAll(a["dgamma"], x => fromA(x)),
            ["dbeta"] = Array.ConvertAll(a["dbeta"], x => fromA(x)),
            ["dbias"] = Array.ConvertAll(a["dbias"], x => fromA(x)),
        };
    }

    /// <summary>
    /// Every output of the case against the double reference and the span method, within <paramref name="tolerance"/>
    /// relative to each output's largest magnitude (dx and dsublayer: at least the size of dx's terms), and
    /// <paramref name="columnTolerance"/> for dγ, dβ and dbias (sums over rows).
    /// </summary>
    private void Check<TE, TA>(Case<TE, TA> c, int n, int rows, Func<double, TE> toE, Func<TE, double> fromE, Func<double, TA> toA, Func<TA, double> fromA,
        double tolerance, double columnTolerance, double cpuTolerance)
        where TE : unmanaged where TA : unmanaged
    {
        double rmsEpsilon = typeof(TA) == typeof(double) ? 2.220446049250313e-16 : 1.1920928955078125e-07;
        Dictionary<string, double[]> d = Inputs(c.Form, n, rows, 4000 + n + rows, v => fromE(toE(v)), v => fromA(toA(v)), rmsEpsilon);
        // Recomputed: the kernels get no statistics; the reference takes the exact ones of the rounded inputs.
        var reference = new Dictionary<string, double[]>(d);
        if (c.Form.Recompute)
        {
            (reference["mean"], reference["rstd"]) = Statistics(c.Form, H(c.Form, d, n, v => fromA(toA(v))), n, rmsEpsilon);
            d.Remove("mean");
            d.Remove("rstd");
        }
        var (expected, floor) = Expected(c.Form, reference, n, v => fromA(toA(v)));
        Dictionary<string, double[]> gpu = RunGpu(c, d, n, toE, fromE, toA, fromA);
        Dictionary<string, double[]> cpu = RunCpu(c, d, n, toE, fromE, toA, fromA);
        foreach (var (name, want) in expected)
        {
            bool rowsOutput = name is "dx" or "dsub";
            double versusReference = BackwardGpuTests.RelativeError(want, gpu[name], rowsOutput ? floor : 0);
            double versusCpu = BackwardGpuTests.RelativeError(cpu[name], gpu[name], rowsOutput ? floor : 0);
            output.WriteLine($"{name}: vs reference {versusReference:E2}, vs CPU {versusCpu:E2}");
            Assert.InRange(versusReference, 0, rowsOutput ? tolerance : columnTolerance);
            Assert.InRange(versusCpu, 0, rowsOutput ? cpuTolerance : Math.Max(cpuTolerance, columnTolerance));
        }
    }

    private static float F(double v) => (float)v;

    private static double W(float v) => v;

    // ---------------------------------------------------------------- the cases

    public static TheoryData<string, int, int> FloatCases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (string name in new[] { "LnRecompute", "RmsRecompute", "LnRelu", "LnGelu", "LnGeluTanh", "RmsSilu", "LnTanhRecompute", "LnSigmoidNone", "LnResidualBias", "Deep", "DeepRecompute", "DeepAll" })
            foreach ((int n, int rows) in new[] { (1, 70), (7, 300), (33, 65), (769, 9), (1025, 5) })
                data.Add(name, n, rows);
        return data;
    }

    /// <summary>Float: 1e-5 of each output's scale against both (the kernels differ from the span method in summation order only).</summary>
    [Theory]
    [MemberData(nameof(FloatCases))]
    public void FloatMatchesReferenceAndCpu(string name, int n, int rows) =>
        Check(FloatCase(name), n, rows, F, W, F, W, 1e-5, 1e-5, 1e-5);

    /// <summary>Double: 1e-11 against the span method and the exact reference (GELU: 1e-6 against the reference, the forward's erf approximation's own error).</summary>
    [Theory]
    [InlineData("LnRecomputeDouble", 1, 40)]
    [InlineData("LnRecomputeDouble", 33, 65)]
    [InlineData("LnRecomputeDouble", 1025, 5)]
    [InlineData("LnGeluDouble", 7, 300)]
    [InlineData("LnGeluDouble", 769, 9)]
    [InlineData("RmsResidualBiasDouble", 7, 300)]
    [InlineData("RmsResidualBiasDouble", 1025, 5)]
    [InlineData("DeepBiasDouble", 33, 65)]
    [InlineData("DeepBiasDouble", 769, 9)]
    public void DoubleMatchesReferenceAndCpu(string name, int n, int rows)
    {
        Case<double, double> c = DoubleCase(name);
        double reference = c.Form.Activation == Activation.Gelu ? 1e-6 : 1e-11;
        Check(c, n, rows, v => v, v => v, v => v, v => v, reference, reference, 1e-11);
    }

    /// <summary>Half: dx rounded once to Half (2⁻¹¹ relative, 1e-3); dγ, dβ float sums (1e-4; dbias sums the stored Half dh, 2e-3).</summary>
    [Theory]
    [InlineData("RmsRecomputeHalf", 7, 300)]
    [InlineData("RmsRecomputeHalf", 769, 9)]
    [InlineData("LnSiluHalf", 33, 65)]
    [InlineData("LnSiluHalf", 1025, 5)]
    [InlineData("DeepBiasHalf", 1, 70)]
    [InlineData("DeepBiasHalf", 33, 65)]
    public void HalfMatchesReferenceAndCpu(string name, int n, int rows)
    {
        Case<Half, float> c = HalfCase(name);
        Check(c, n, rows, v => (Half)v, v => (double)v, F, W, 1e-3, c.Form.BiasGradient ? 2e-3 : 1e-4, 2e-3);
    }

    [Theory]
    [InlineData("DeepAll", 33, 300)]
    [InlineData("LnResidualBias", 1025, 40)]
    [InlineData("RmsRecompute", 769, 40)]
    public void RepeatedCallsAreBitwiseIdentical(string name, int n, int rows)
    {
        Case<float, float> c = FloatCase(name);
        Dictionary<string, double[]> d = Inputs(c.Form, n, rows, 9, v => (float)v, v => (float)v, 1.1920928955078125e-07);
        var first = RunGpu(c, d, n, F, W, F, W);
        var second = RunGpu(c, d, n, F, W, F, W);
        foreach (string key in first.Keys) Assert.Equal(first[key], second[key]);
    }

    /// <summary>dx may be dy itself: the same bits as a separate dx (dsublayer, dγ, dβ and dbias too).</summary>
    [Theory]
    [InlineData("DeepAll", 33, 65)]
    [InlineData("LnResidualBias", 1025, 5)]
    [InlineData("LnTanhRecompute", 7, 300)]
    public void InPlaceDxOverDyMatches(string name, int n, int rows)
    {
        Case<float, float> c = FloatCase(name);
        Dictionary<string, double[]> d = Inputs(c.Form, n, rows, 13, v => (float)v, v => (float)v, 1.1920928955078125e-07);
        var separate = RunGpu(c, d, n, F, W, F, W);
        var inPlace = RunGpu(c, d, n, F, W, F, W, inPlace: true);
        foreach (string key in separate.Keys) Assert.Equal(separate[key], inPlace[key]);
    }

    // ---------------------------------------------------------------- recomputed statistics are the forward's

    /// <summary>
    /// The statistics kernel runs the GPU forward's statistics code with its thread shapes, so the backward that
    /// recomputes them gives the very bits of the backward handed the GPU forward's saved mean and rstd (the forward's
    /// inputs have a large row offset and a row 1e21 among zeros, the scaled path). 1025 and 4000: group per row.
    /// </summary>
    [Theory]
    [InlineData(1, 50)]
    [InlineData(33, 65)]
    [InlineData(769, 9)]
    [InlineData(1025, 5)]
    [InlineData(4000, 3)]
    public void RecomputedStatisticsAreTheGpuForwardsBitwise(int n, int rows)
    {
        float[] x = Reference.Floats(n * rows, 51, 2, 1000), dy = Reference.Floats(n * rows, 52), sub = Reference.Floats(n * rows, 53);
        float[] gamma = Reference.Floats(n, 54, 0.5, 1), beta = Reference.Floats(n, 55);
        if (n > 1) x[n] = 1e21f; // row 1: a finite row whose squares overflow
        using var xB = accelerator.Allocate1D(x);
        using var dyB = accelerator.Allocate1D(dy);
        using var subB = accelerator.Allocate1D(sub);
        using var gB = accelerator.Allocate1D(gamma);
        using var bB = accelerator.Allocate1D(beta);
        using var y = accelerator.Allocate1D<float>(x.Length);
        using var mean = accelerator.Allocate1D<float>(rows);
        using var rstd = accelerator.Allocate1D<float>(rows);
        // Every output buffer starts zeroed; those a declaration does not write stay so.
        float[] Run(Action<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> call)
        {
            using var dx = accelerator.Allocate1D(new float[x.Length]);
            using var dsub = accelerator.Allocate1D(new float[x.Length]);
            using var dg = accelerator.Allocate1D(new float[n]);
            using var db = accelerator.Allocate1D(new float[n]);
            call(dx.View, dsub.View, dg.View, db.View);
            accelerator.Synchronize();
            return [.. dx.GetAsArray1D(), .. dsub.GetAsArray1D(), .. dg.GetAsArray1D(), .. db.GetAsArray1D()];
        }

        FusedBackwardGpuKernels.LnForward(accelerator, xB.View, gB.View, bB.View, y.View, mean.View, rstd.View, n);
        float[] saved = Run((dx, _, dg, db) => FusedBackwardGpuKernels.LnSaved(accelerator, dyB.View, xB.View, n, mean.View, rstd.View, gB.View, dx, dg, db));
        float[] recomputed = Run((dx, _, dg, db) => FusedBackwardGpuKernels.LnRecompute(accelerator, dyB.View, xB.View, n, gB.View, dx, dg, db));
        Assert.Equal(Bits(saved), Bits(recomputed));

        FusedBackwardGpuKernels.RmsForward(accelerator, xB.View, gB.View, y.View, rstd.View, n);
        saved = Run((dx, _, dg, _) => FusedBackwardGpuKernels.RmsSaved(accelerator, dyB.View, xB.View, n, rstd.View, gB.View, dx, dg));
        recomputed = Run((dx, _, dg, _) => FusedBackwardGpuKernels.RmsRecompute(accelerator, dyB.View, xB.View, n, gB.View, dx, dg));
        Assert.Equal(Bits(saved), Bits(recomputed));

        FusedBackwardGpuKernels.DeepForward(accelerator, xB.View, subB.View, gB.View, bB.View, y.View, mean.View, rstd.View, n);
        saved = Run((dx, ds, dg, db) => FusedBackwardGpuKernels.Deep(accelerator, dyB.View, xB.View, n, subB.View, mean.View, rstd.View, gB.View, dx, ds, dg, db));
        recomputed = Run((dx, ds, dg, db) => FusedBackwardGpuKernels.DeepRecompute(accelerator, dyB.View, xB.View, n, subB.View, gB.View, dx, ds, dg, db));
        Assert.Equal(Bits(saved), Bits(recomputed));
    }

    // ---------------------------------------------------------------- tensor-span declarations

    /// <summary>A tensor-span declaration's GPU overloads take flat views (and the row length last without a static shape): the flat form's kernel, the same bits.</summary>
    [Theory]
    [InlineData(7, 300)]
    [InlineData(1025, 5)]
    public void TensorSpanOverloadsAreTheFlatOnesBitwise(int n, int rows)
    {
        var (dyD, xD, meanD, rstdD, gammaD) = BackwardGpuTests.Inputs(true, n, rows, 61, v => (float)v);
        float[] Fl(double[] a) => Array.ConvertAll(a, v => (float)v);
        using var dy = accelerator.Allocate1D(Fl(dyD));
        using var x = accelerator.Allocate1D(Fl(xD));
        using var mean = accelerator.Allocate1D(Fl(meanD));
        using var rstd = accelerator.Allocate1D(Fl(rstdD));
        using var gamma = accelerator.Allocate1D(Fl(gammaD));
        float[] Run(bool tensor)
        {
            using var dx = accelerator.Allocate1D<float>(n * rows);
            using var dg = accelerator.Allocate1D<float>(n);
            using var db = accelerator.Allocate1D<float>(n);
            if (tensor) FusedBackwardGpuKernels.LnTensor(accelerator, dy.View, x.View, mean.View, rstd.View, gamma.View, dx.View, dg.View, db.View, n);
            else BackwardGpuKernels.LnDyn(accelerator, dy.View, x.View, n, mean.View, rstd.View, gamma.View, dx.View, dg.View, db.View);
            accelerator.Synchronize();
            return [.. dx.GetAsArray1D(), .. dg.GetAsArray1D(), .. db.GetAsArray1D()];
        }
        Assert.Equal(Bits(Run(tensor: false)), Bits(Run(tensor: true)));
    }

    /// <summary>A static-shape tensor declaration (with an activation, recomputed statistics) has no row-length argument; it matches its span method.</summary>
    [Fact]
    public void StaticShapeTensorSpanOverloadMatchesTheSpanMethod()
    {
        const int n = 33, rows = 20;
        float[] x = Reference.Floats(n * rows, 71, 2, 1), dy = Reference.Floats(n * rows, 72), w = Reference.Floats(n, 73, 0.5);
        using var dyB = accelerator.Allocate1D(dy);
        using var xB = accelerator.Allocate1D(x);
        using var wB = accelerator.Allocate1D(w);
        using var dxB = accelerator.Allocate1D<float>(n * rows);
        using var dwB = accelerator.Allocate1D<float>(n);
        FusedBackwardGpuKernels.RmsTensor33(accelerator, dyB.View, xB.View, wB.View, dxB.View, dwB.View);
        accelerator.Synchronize();
        float[] dx = new float[n * rows], dw = new float[n];
        nint[] shape = [rows, n];
        FusedBackwardGpuKernels.RmsTensor33(new System.Numerics.Tensors.ReadOnlyTensorSpan<float>(dy, shape), new System.Numerics.Tensors.ReadOnlyTensorSpan<float>(x, shape), w,
            new System.Numerics.Tensors.TensorSpan<float>(dx, shape), dw);
        double[] D(float[] a) => Array.ConvertAll(a, v => (double)v);
        Assert.InRange(BackwardGpuTests.RelativeError(D(dx), D(dxB.GetAsArray1D())), 0, 1e-5);
        Assert.InRange(BackwardGpuTests.RelativeError(D(dw), D(dwB.GetAsArray1D())), 0, 1e-5);
    }

    // ---------------------------------------------------------------- arguments

    [Theory]
    [InlineData("dy")]
    [InlineData("x")]
    [InlineData("sublayer")]
    [InlineData("bias")]
    [InlineData("gamma")]
    [InlineData("beta")]
    [InlineData("dx")]
    [InlineData("dsublayer")]
    [InlineData("dgamma")]
    [InlineData("dbeta")]
    [InlineData("dbias")]
    public void WrongLengthsThrowNamingTheParameterAndWriteNothing(string wrong)
    {
        const int n = 17, rows = 4;
        int L(string name, int length) => name == wrong ? length + 1 : length;
        var buffers = new Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>>();
        foreach (string name in new[] { "dy", "x", "sublayer", "dx", "dsublayer" }) buffers[name] = accelerator.Allocate1D<float>(L(name, n * rows));
        foreach (string name in new[] { "bias", "gamma", "beta", "dgamma", "dbeta", "dbias" }) buffers[name] = accelerator.Allocate1D<float>(L(name, n));
        try
        {
            foreach (string name in new[] { "dx", "dsublayer", "dgamma", "dbeta", "dbias" }) buffers[name].MemSet(0x7F);
            ArrayView<float> V(string name) => buffers[name].View;
            var e = Assert.ThrowsAny<ArgumentException>(() => FusedBackwardGpuKernels.DeepAll(accelerator, V("dy"), V("x"), n, V("sublayer"), V("bias"), V("gamma"), V("beta"), V("dx"), V("dsublayer"), V("dgamma"), V("dbeta"), V("dbias")));
            Assert.Equal(wrong, e.ParamName);
            accelerator.Synchronize();
            foreach (string name in new[] { "dx", "dsublayer", "dgamma", "dbeta", "dbias" })
                foreach (float v in buffers[name].GetAsArray1D()) Assert.Equal(BitConverter.Int32BitsToSingle(0x7F7F7F7F), v);
        }
        finally
        {
            foreach (var b in buffers.Values) b.Dispose();
        }
    }

    [Fact]
    public void ZeroRowsWriteZeroGradients()
    {
        using var empty = accelerator.Allocate1D<float>(0);
        using var dx = accelerator.Allocate1D<float>(0);
        using var dsub = accelerator.Allocate1D<float>(0);
        using var g = accelerator.Allocate1D(new float[] { 1, 1, 1 });
        using var dg = accelerator.Allocate1D(new float[] { 5, 5, 5 });
        using var db = accelerator.Allocate1D(new float[] { 5, 5, 5 });
        using var dbias = accelerator.Allocate1D(new float[] { 5, 5, 5 });
        FusedBackwardGpuKernels.DeepAll(accelerator, empty.View, empty.View, 3, empty.View, g.View, g.View, g.View, dx.View, dsub.View, dg.View, db.View, dbias.View);
        accelerator.Synchronize();
        Assert.Equal(new float[3], dg.GetAsArray1D());
        Assert.Equal(new float[3], db.GetAsArray1D());
        Assert.Equal(new float[3], dbias.GetAsArray1D());
    }

    private static int[] Bits(float[] a) => Array.ConvertAll(a, BitConverter.SingleToInt32Bits);
}
