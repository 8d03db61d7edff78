using System;
using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using NormGen.Testing;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Tests;

/// <summary>
/// NormGen vs ONNX Runtime's CPU kernels on single-node models (LayerNormalization opset 17, SimplifiedLayerNormalization),
/// float. Both are compared with the double reference; the assertion is that NormGen and ORT agree within the float
/// tolerance of each (the sum of the two allowed errors), and the errors of both are printed for the record.
/// </summary>
public class OnnxRuntimeTests(ITestOutputHelper output)
{
    private delegate void Kernel(float[] x, float[] gamma, float[] beta, float[] y, long[] shape, int axis);

    public static TheoryData<string, long[], int> LayerNormCases => new()
    {
        { "bias", [3, 768], 1 },
        { "bias", [2, 4099], 1 },
        { "bias", [5, 1000], 1 },
        { "bias", [2, 7, 64], 2 },
        { "bias", [4, 8, 96], 1 },   // two normalized axes (8 × 96)
        { "bias", [2, 3, 4, 32], 1 }, // three normalized axes
        { "nobias", [3, 768], 1 },
        { "nobias", [2, 5, 33], 2 },
        { "nobias", [4, 8, 96], 1 },
    };

    [Theory]
    [MemberData(nameof(LayerNormCases))]
    public void LayerNormalization17_MatchesOrt(string bias, long[] shape, int axis)
    {
        bool withBias = bias == "bias";
        Compare(OnnxModels.LayerNormalization(shape, axis, 1e-5f, withBias), shape, axis, withBias ? ["X", "Scale", "B"] : ["X", "Scale"],
            NormKind.LayerNorm, withBias ? Affine.ScaleAndBias : Affine.Scale, 1e-5f,
            (x, g, b, y, s, a) =>
            {
                int n = RowLength(s, a);
                if (!withBias) DynKernels.LnFScale(x, n, g, y);
                else if (s.Length - a == 2) Kernels.LnDyn(new ReadOnlyTensorSpan<float>(x, Lengths(s)), g, b, new TensorSpan<float>(y, Lengths(s)));
                else DynKernels.LnFScaleAndBias(x, n, g, b, y);
            });
    }

    public static TheoryData<long[], int> RmsCases => new()
    {
        { [3, 768], 1 },
        { [2, 4096], 1 },
        { [2, 7, 65], 2 },
        { [4, 8, 96], 1 },
    };

    [Theory]
    [MemberData(nameof(RmsCases))]
    public void SimplifiedLayerNormalization_MatchesOrt(long[] shape, int axis)
    {
        // NormGen's default RMSNorm ε (float32 machine epsilon) and the contract kernel's 1e-6.
        Compare(OnnxModels.SimplifiedLayerNormalization(shape, axis, 1.1920929e-07f), shape, axis, ["X", "scale"],
            NormKind.RmsNorm, Affine.Scale, 1.1920929e-07f,
            (x, g, _, y, s, a) => DynKernels.RmsFScale(x, RowLength(s, a), g, y));
        if (shape[^1] == 4096)
            Compare(OnnxModels.SimplifiedLayerNormalization(shape, axis, 1e-6f), shape, axis, ["X", "scale"],
                NormKind.RmsNorm, Affine.Scale, 1e-6f, (x, g, _, y, s, a) => Kernels.Rms(x, g, y));
    }

    private static int RowLength(long[] shape, int axis)
    {
        long n = 1;
        for (int i = axis; i < shape.Length; i++) n *= shape[i];
        return (int)n;
    }

    private static nint[] Lengths(long[] shape) => Array.ConvertAll(shape, v => (nint)v);

    private void Compare(byte[] model, long[] shape, int axis, string[] inputNames, NormKind kind, Affine affine, float epsilon, Kernel kernel)
    {
        int n = RowLength(shape, axis);
        int total = (int)(RowLength(shape, 0));
        var rng = new Random(total + n);
        // Rows off-centre (mean 3, std 2) so that the mean's handling matters, as in real activations.
        float[] x = KernelCase<float>.To(Reference.Normal(rng, total, 3, 2));
        var (gd, bd) = Reference.AffineParameters(rng, n);
        float[] g = KernelCase<float>.To(gd), b = KernelCase<float>.To(bd);

        var y = new float[total];
        kernel(x, g, b, y, shape, axis);

        float[] ort;
        using (var session = new InferenceSession(model))
        {
            long[] paramShape = shape[axis..];
            var inputs = new OrtValue[inputNames.Length];
            inputs[0] = OrtValue.CreateTensorValueFromMemory(x, shape);
            inputs[1] = OrtValue.CreateTensorValueFromMemory(g, paramShape);
            if (inputs.Length > 2) inputs[2] = OrtValue.CreateTensorValueFromMemory(b, paramShape);
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputNames, inputs, ["Y"]);
            ort = results[0].GetTensorDataAsSpan<float>().ToArray();
            foreach (OrtValue v in inputs) v.Dispose();
        }

        double[] xd = KernelCase<float>.From(x);
        double[] expected = Reference.Normalize(kind, affine, epsilon, xd, n, KernelCase<float>.From(g), KernelCase<float>.From(b), out double[] terms);
        double u = Math.Pow(2, -24), tol = Reference.Tolerance(u, n);
        var ngStats = new ErrorStats();
        var ortStats = new ErrorStats();
        double maxDiff = 0;
        for (int i = 0; i < total; i++)
        {
            ngStats.Add(y[i], expected[i], terms[i], u, $"{i}");
            ortStats.Add(ort[i], expected[i], terms[i], u, $"{i}");
            double diff = Math.Abs((double)y[i] - ort[i]);
            maxDiff = Math.Max(maxDiff, diff);
            Assert.True(diff <= 2 * tol * terms[i], $"element {i}: NormGen {y[i]:R}, ORT {ort[i]:R}, reference {expected[i]:R}");
            Assert.True(Math.Abs(y[i] - expected[i]) <= tol * terms[i], $"element {i}: NormGen {y[i]:R}, reference {expected[i]:R}");
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{kind} shape=[{string.Join(",", shape)}] axis={axis} affine={affine} ε={epsilon:R}: NormGen maxAbs={ngStats.MaxAbs:E2} maxRel={ngStats.MaxRel:E2} | ORT maxAbs={ortStats.MaxAbs:E2} maxRel={ortStats.MaxRel:E2} | max |NormGen−ORT|={maxDiff:E2}"));
    }
}
