using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// The shared device file (<c>NormGen.GpuDevice.g.cs</c>) holds only what the compilation's GPU kernels use (kernel
/// families × compute types, the activations), compiles cleanly for any subset, and is rewritten only when that set
/// changes: its pipeline step carries a small flags value, not the specs.
/// </summary>
public class GpuDeviceFileTests
{
    private const string DeviceHint = "NormGen.GpuDevice.g.cs";

    private const string FloatRowSource = """
        using System;
        using NormGen;

        namespace Sample;

        public static partial class Small
        {
            [LayerNorm(768)]
            public static partial void Ln(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

            [RmsNorm(4096, Epsilon = 1e-6f)]
            public static partial void Rms(ReadOnlySpan<Half> x, ReadOnlySpan<Half> weight, Span<Half> y);
        }
        """;

    private const string DoubleTensorAndBackwardSource = """
        using System;
        using System.Numerics.Tensors;
        using NormGen;

        namespace Sample;

        public static partial class Other
        {
            [GroupNorm(4)]
            public static partial void Gn(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, TensorSpan<double> y);

            [LayerNorm(1000, Backward = true)]
            public static partial void LnBackward(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, Span<double> dx, Span<double> dgamma, Span<double> dbeta);
        }
        """;

    private static (Compilation Output, GeneratorRunResult Result, string Device) Generate(string source)
    {
        var run = Harness.Run(Harness.Compile(true, ("Input.cs", source)));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        string device = run.Result.GeneratedSources.Single(s => s.HintName == DeviceHint).SourceText.ToString();
        return (run.Output, run.Result, device);
    }

    /// <summary>No warning or error in any generated file (documentation comments are checked: crefs must resolve).</summary>
    private static void AssertCompilesCleanly(Compilation output) =>
        Assert.Empty(output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true)
            .Select(d => d.ToString()));

    [Fact]
    public void FloatRowKernelsOnly_TheDeviceFileHoldsTheFloatRowKernelsAndNothingElse()
    {
        var (output, _, device) = Generate(FloatRowSource);
        AssertCompilesCleanly(output);
        Assert.Contains("internal static class GpuRowKernelsFloat", device, StringComparison.Ordinal);
        Assert.Contains("interface IGpuRowSpec<TIn, TOut, TCompute>", device, StringComparison.Ordinal);
        foreach (string absent in new[] { "GpuRowKernelsDouble", "GpuTensorKernels", "GpuRowBackwardKernels", "IGpuTensorSpec", "IGpuBackwardSpec", "GpuTensorBackward", "IGpuTensorBackwardSpec", "CombineKernel", "Scratch<T>", " Gelu(", " Exp(", " Smaller(", "double WarpSum" })
            Assert.DoesNotContain(absent, device, StringComparison.Ordinal);
    }

    [Fact]
    public void DoubleTensorAndBackward_TheDeviceFileHoldsThoseFamiliesInDouble()
    {
        var (output, _, device) = Generate(DoubleTensorAndBackwardSource);
        AssertCompilesCleanly(output);
        foreach (string present in new[] { "GpuTensorKernelsDouble", "GpuRowBackwardKernelsDouble", "IGpuTensorSpec<T, TCompute>", "IGpuBackwardSpec<T, TCompute>", "internal static double Smaller(", "CombineKernel(global::ILGPU.ArrayView<double>", "Scratch<T>" })
            Assert.Contains(present, device, StringComparison.Ordinal);
        foreach (string absent in new[] { "GpuRowKernels", "IGpuRowSpec", "KernelsFloat", "float WarpSum", " Exp(", "GpuTensorBackward" })
            Assert.DoesNotContain(absent, device, StringComparison.Ordinal);
    }

    /// <summary>Each family alone (and so each subset of the device file's parts) compiles without a warning.</summary>
    [Theory]
    [InlineData("[MinMaxScale] public static partial void Scale(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);", "GpuTensorKernelsFloat")]
    [InlineData("[RmsNorm(512, Backward = true)] public static partial void RmsBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, Span<float> dx, Span<float> dweight);", "GpuRowBackwardKernelsFloat")]
    [InlineData("[BatchNorm] public static partial void BnEval(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar, TensorSpan<double> y);", "GpuRowKernelsDouble")]
    [InlineData("[InstanceNorm(Backward = true)] public static partial void InBackward(ReadOnlyTensorSpan<double> dy, ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, TensorSpan<double> dx);", "GpuTensorBackwardKernelsDouble")]
    [InlineData("[ChannelLayerNorm(BiasFree = true, Backward = true)] public static partial void ClnBackward(ReadOnlyTensorSpan<Half> dy, ReadOnlyTensorSpan<Half> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> weight, TensorSpan<Half> dx, Span<float> dweight);", "GpuTensorBackwardKernelsFloat")]
    public void OneFamilyAlone_CompilesCleanly(string declaration, string kernelsClass)
    {
        string source = "using System;\nusing System.Numerics.Tensors;\nusing NormGen;\n\nnamespace Sample;\n\npublic static partial class One\n{\n    " + declaration + "\n}\n";
        var (output, _, device) = Generate(source);
        AssertCompilesCleanly(output);
        Assert.Contains("internal static class " + kernelsClass, device, StringComparison.Ordinal);
        Assert.Single(new[] { "GpuRowKernelsFloat", "GpuRowKernelsDouble", "GpuTensorKernelsFloat", "GpuTensorKernelsDouble", "GpuRowBackwardKernelsFloat", "GpuRowBackwardKernelsDouble", "GpuTensorBackwardKernelsFloat", "GpuTensorBackwardKernelsDouble" },
            c => device.Contains("internal static class " + c, StringComparison.Ordinal));
    }

    /// <summary>
    /// The row backward class holds only the optional kernels its declarations launch (recomputed statistics, dγ/dβ
    /// partials, dbias partials), each subset compiles without a warning, and the scratch and the combine kernel come only
    /// with a kernel that writes the scratch buffer.
    /// </summary>
    [Theory]
    [InlineData("[LayerNorm(512, Affine = Affine.None, Backward = true)] public static partial void DxOnly(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx);",
        "", "StatisticsWarpPerRowKernel|PartialsKernel|BiasPartialsKernel|CombineKernel|Scratch<|Gradients(")]
    [InlineData("[LayerNorm(512, Affine = Affine.None, Backward = true)] public static partial void RecomputeOnly(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx);",
        "StatisticsWarpPerRowKernel|LaunchStatistics|Scratch<", "PartialsKernel|BiasPartialsKernel|CombineKernel|Gradients(")]
    [InlineData("[RmsNorm(512, Backward = true)] public static partial void GammaOnly(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, ReadOnlySpan<double> rstd, ReadOnlySpan<double> weight, Span<double> dx, Span<double> dweight);",
        "PartialsKernel|CombineKernel|Scratch<|Gradients(", "StatisticsWarpPerRowKernel|LaunchStatistics|BiasPartialsKernel")]
    [InlineData("[DeepNorm(Alpha = 2.5f, ResidualBias = true, Affine = Affine.None, Backward = true)] public static partial void BiasOnly(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> bias, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx, Span<float> dsublayer, Span<float> dbias);",
        "BiasPartialsKernel|CombineKernel|Scratch<|Gradients(", "StatisticsWarpPerRowKernel|LaunchStatistics|void PartialsKernel<")]
    [InlineData("[DeepNorm(Alpha = 2.5f, ResidualBias = true, Activation = Activation.Gelu, Backward = true)] public static partial void All(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dsublayer, Span<float> dgamma, Span<float> dbeta, Span<float> dbias);",
        "StatisticsWarpPerRowKernel|LaunchStatistics|PartialsKernel<T, TSpec>|BiasPartialsKernel|CombineKernel|Scratch<|GeluGradient", "GpuRowKernelsFloat|internal static float Gelu(")]
    public void RowBackward_TheClassHoldsTheKernelsItsDeclarationsLaunch(string declaration, string present, string absent)
    {
        string source = "using System;\nusing NormGen;\n\nnamespace Sample;\n\npublic static partial class One\n{\n    " + declaration + "\n}\n";
        var (output, _, device) = Generate(source);
        AssertCompilesCleanly(output);
        foreach (string part in present.Split('|', StringSplitOptions.RemoveEmptyEntries))
            Assert.Contains(part, device, StringComparison.Ordinal);
        foreach (string part in absent.Split('|', StringSplitOptions.RemoveEmptyEntries))
            Assert.DoesNotContain(part, device, StringComparison.Ordinal);
    }

    /// <summary>A tensor backward without dγ gets the dx kernels alone; BatchNorm evaluation alone gets its element kernel without the row kernels or the warp reductions.</summary>
    [Fact]
    public void TensorBackwardWithoutGammaAndBatchNormEvalAlone_GetOnlyTheirKernels()
    {
        var (output, _, device) = Generate("using System;\nusing System.Numerics.Tensors;\nusing NormGen;\n\nnamespace Sample;\n\npublic static partial class One\n{\n"
            + "    [InstanceNorm(Backward = true)] public static partial void InBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, TensorSpan<float> dx);\n"
            + "    [BatchNorm] public static partial void BnEval(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar, TensorSpan<double> y);\n}\n");
        AssertCompilesCleanly(output);
        foreach (string present in new[] { "internal static class GpuTensorBackwardKernelsFloat", "internal static class GpuRowKernelsDouble", "BatchNormEvalKernel<TIn, TOut, TSpec>", "float WarpSum" })
            Assert.Contains(present, device, StringComparison.Ordinal);
        foreach (string absent in new[] { "PartialsKernel", "CombineKernel", "Scratch<", "StatisticsRow(", "double WarpSum", "GpuRowKernelsFloat", "WarpPerRowKernel<TIn, TOut, TSpec>", "struct GpuWarpRows : IGpuRowThreads<float>, IGpuRowThreads<double>" })
            Assert.DoesNotContain(absent, device, StringComparison.Ordinal);
    }

    /// <summary>The tensor kernels' batch count kernel comes only with a BatchNorm training declaration that counts its batches (momentum=None).</summary>
    [Theory]
    [InlineData("[BatchNorm(Training = true, CumulativeAverage = true)] public static partial void Bn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, Span<long> batchesTracked, TensorSpan<float> y);", true)]
    [InlineData("[BatchNorm(Training = true)] public static partial void Bn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);", false)]
    public void BatchCountKernel_OnlyWithACumulativeAverage(string declaration, bool counts)
    {
        var (output, _, device) = Generate("using System;\nusing System.Numerics.Tensors;\nusing NormGen;\n\nnamespace Sample;\n\npublic static partial class One\n{\n    " + declaration + "\n}\n");
        AssertCompilesCleanly(output);
        Assert.Contains("internal static class GpuTensorKernelsFloat", device, StringComparison.Ordinal);
        Assert.Equal(counts, device.Contains("private static void CountKernel(", StringComparison.Ordinal));
        Assert.Equal(counts, device.Contains("l.Count.Value(", StringComparison.Ordinal));
    }

    [Fact]
    public void ActivationsAreWrittenOnlyWhenADeclarationUsesThem()
    {
        string withGelu = FloatRowSource.Replace("[LayerNorm(768)]", "[LayerNorm(768, Activation = Activation.Gelu)]", StringComparison.Ordinal);
        Assert.NotEqual(FloatRowSource, withGelu);
        var (output, _, device) = Generate(withGelu);
        AssertCompilesCleanly(output);
        Assert.Contains("internal static float Gelu(float v)", device, StringComparison.Ordinal);
        Assert.Contains("internal static float Exp(float v)", device, StringComparison.Ordinal);
        Assert.DoesNotContain("Silu", device, StringComparison.Ordinal);
    }

    [Fact]
    public void ChangingOneEpsilon_LeavesTheDeviceFileStepCachedAndItsTextUnchanged()
    {
        Compilation input = Harness.Compile(true, ("Input.cs", FloatRowSource));
        SyntaxTree tree = input.SyntaxTrees.Single();
        Compilation edited = input.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(
            FloatRowSource.Replace("Epsilon = 1e-6f", "Epsilon = 2e-6f", StringComparison.Ordinal), Harness.ParseOptions, "Input.cs"));
        var first = Harness.Run(input);
        var second = Harness.Run(edited, first.Driver);
        Harness.AssertGeneratorDidNotThrow(second.Result, second.DriverDiagnostics);

        var steps = second.Result.TrackedSteps[TrackingNames.GpuDevicePrimitives].SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(steps);
        Assert.All(steps, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        var before = Harness.Sources(first.Result).ToDictionary(s => s.HintName, s => s.Text);
        var after = Harness.Sources(second.Result).ToDictionary(s => s.HintName, s => s.Text);
        Assert.Equal(before[DeviceHint], after[DeviceHint]);
        // The edited declaration's CPU and GPU files change, nothing else.
        string[] changed = before.Keys.Where(k => before[k] != after[k]).OrderBy(k => k, StringComparer.Ordinal).ToArray();
        Assert.Equal(2, changed.Length);
        Assert.All(changed, k => Assert.StartsWith("Sample.Small.Rms.", k, StringComparison.Ordinal));
    }

    [Fact]
    public void AddingTheFirstDoubleDeclaration_RewritesTheDeviceFileWithTheDoubleKernels()
    {
        Compilation input = Harness.Compile(true, ("Input.cs", FloatRowSource));
        Compilation edited = input.AddSyntaxTrees(CSharpSyntaxTree.ParseText(DoubleTensorAndBackwardSource, Harness.ParseOptions, "Other.cs"));
        var first = Harness.Run(input);
        var second = Harness.Run(edited, first.Driver);
        Harness.AssertGeneratorDidNotThrow(second.Result, second.DriverDiagnostics);

        Assert.Contains(second.Result.TrackedSteps[TrackingNames.GpuDevicePrimitives].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        string device = second.Result.GeneratedSources.Single(s => s.HintName == DeviceHint).SourceText.ToString();
        foreach (string present in new[] { "GpuRowKernelsFloat", "GpuTensorKernelsDouble", "GpuRowBackwardKernelsDouble" })
            Assert.Contains(present, device, StringComparison.Ordinal);
        AssertCompilesCleanly(second.Output);
    }
}
