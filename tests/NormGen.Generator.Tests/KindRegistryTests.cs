using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using NormGen.Generator.Model;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// The registry of kinds (src/NormGen/Kinds/, issue 8 item 3): one definition per kind at its index, each naming a real
/// runtime attribute; the kinds' own options stored in the spec as records that compare by value; and the capability
/// table: every kind has the GPU variant of each kernel it has on the CPU, and every declaration gets its GPU file.
/// </summary>
public class KindRegistryTests
{
    private const string Usings = "using System;\nusing System.Numerics.Tensors;\nusing NormGen;\n\n";

    [Fact]
    public void EveryKindHasItsDefinitionAtItsIndex()
    {
        NormKind[] kinds = Enum.GetValues<NormKind>();
        Assert.Equal(kinds.Length, Kinds.All.Count);
        foreach (NormKind kind in kinds)
            Assert.Equal(kind, Kinds.Get(kind).Kind);
        Assert.Equal(kinds.Length, Kinds.All.Select(k => k.AttributeName).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void MetadataNamesAreTheRuntimeAttributes()
    {
        var runtime = typeof(NormGen.NormalizationAttribute).Assembly;
        foreach (KindDefinition kind in Kinds.All)
        {
            Type? attribute = runtime.GetType(kind.MetadataName);
            Assert.True(attribute is not null, $"{kind.MetadataName} is not a type of NormGen.Runtime");
            Assert.True(attribute!.IsSubclassOf(typeof(NormGen.NormalizationAttribute)), kind.MetadataName);
            // The row kinds share the row attribute's options (Residual, Activation, ...); the tensor kinds have their own.
            Assert.Equal(kind.IsRowKind, attribute.IsSubclassOf(typeof(NormGen.RowNormalizationAttribute)));
        }
    }

    /// <summary>Declarations and the options record each must give (records are internal: the theory is one test case in the runner).</summary>
    public static TheoryData<string, object> OptionCases() => new()
    {
        { "[BatchNorm(Training = true, Momentum = 0.25f)] public static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);",
          new BatchNormOptions(Training: true, Momentum: 0.25f) },
        { "[GroupNorm(4)] public static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);",
          new GroupNormOptions(4) },
        { "[ChannelLayerNorm(BiasFree = true)] public static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);",
          new ChannelLayerNormOptions(BiasFree: true) },
        { "[InstanceNorm] public static partial void M(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);",
          NoKindOptions.Instance },
        { "[DeepNorm(64, Alpha = 2.5f)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);",
          new RowOptions(Residual: true, Alpha: 2.5, AlphaSource: "given") },
        { "[LayerNorm(64, Residual = true, Activation = Activation.Gelu)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);",
          new RowOptions(Residual: true, Activation: ActivationKind.Gelu) },
    };

    /// <summary>
    /// The kind's own options reach the spec as its record, and two parses of one declaration (two compilations) give
    /// equal specs: the incremental pipeline compares them by value.
    /// </summary>
    [Theory]
    [MemberData(nameof(OptionCases))]
    public void KindOptionsAreTheKindsRecordAndCompareByValue(string declaration, object expected)
    {
        string source = Usings + "public static partial class K\n{\n    " + declaration + "\n}\n";
        KernelSpec first = ParseOne(source), second = ParseOne(source);
        Assert.Equal(expected, first.Options);
        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    private static KernelSpec ParseOne(string source)
    {
        var run = Harness.Run(Harness.Compile(source, "User.cs"));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        Assert.Empty(run.Result.Diagnostics);
        return Assert.Single(run.Result.TrackedSteps[TrackingNames.Specs].SelectMany(s => s.Outputs).Select(o => o.Value).OfType<KernelSpec>());
    }

    /// <summary>
    /// With ILGPU referenced, every declaration gets its GPU file and no diagnostic: every forward kind has a GPU kernel,
    /// and so has every backward form (flat or tensor spans, fused or not, DeepNorm's and the tensor kinds' included).
    /// </summary>
    [Theory]
    [InlineData("[LayerNorm(64)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);")]
    [InlineData("[RmsNorm(64)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);")]
    [InlineData("[DeepNorm(64, Alpha = 2f)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);")]
    [InlineData("[ChannelLayerNorm] public static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);")]
    [InlineData("[BatchNorm] public static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, TensorSpan<float> y);")]
    [InlineData("[BatchNorm(Training = true)] public static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);")]
    [InlineData("[GroupNorm(2)] public static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);")]
    [InlineData("[InstanceNorm] public static partial void M(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);")]
    [InlineData("[MinMaxScale] public static partial void M(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);")]
    [InlineData("[Standardize] public static partial void M(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);")]
    [InlineData("[LayerNorm(64, Backward = true)] public static partial void M(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);")]
    [InlineData("[DeepNorm(64, Alpha = 2f, Backward = true)] public static partial void M(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dsublayer, Span<float> dgamma, Span<float> dbeta);")]
    [InlineData("[InstanceNorm(Backward = true)] public static partial void M(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveRstd, TensorSpan<float> dx);")]
    [InlineData("[GroupNorm(2, Backward = true)] public static partial void M(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);")]
    [InlineData("[BatchNorm(Training = true, Backward = true)] public static partial void M(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveRstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);")]
    [InlineData("[ChannelLayerNorm(BiasFree = true, Backward = true)] public static partial void M(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, TensorSpan<float> dx, Span<float> dweight);")]
    [InlineData("[LayerNorm(64, Activation = Activation.Gelu, Backward = true)] public static partial void M(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);")]
    [InlineData("[RmsNorm(Axes = 1, Backward = true)] public static partial void M(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, TensorSpan<float> dx, Span<float> dweight);")]
    [InlineData("[LayerNorm(Axes = 1, Affine = Affine.None, Backward = true)] public static partial void M(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, TensorSpan<float> dx);")]
    public void EveryDeclarationGetsItsGpuFile(string declaration)
    {
        string source = Usings + "public static partial class K\n{\n    " + declaration + "\n}\n";
        var run = Harness.Run(Harness.Compile(true, ("User.cs", source)));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(run.Result.Diagnostics);
        Assert.Single(run.Result.GeneratedSources, s => s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal) && !s.HintName.StartsWith("NormGen.GpuDevice", StringComparison.Ordinal));
    }

    /// <summary>
    /// The capability table's rule, which retired NG0022: a kind with a CPU kernel has its GPU variant, and a kind with
    /// a CPU backward has a GPU backward. A new kind without them fails here, not in users' builds.
    /// </summary>
    [Fact]
    public void EveryKindHasTheGpuVariantOfEachCpuKernel()
    {
        foreach (NormKind kind in Enum.GetValues(typeof(NormKind)).Cast<NormKind>())
        {
            KindDefinition definition = Kinds.Get(kind);
            Assert.True(definition.Supports(Backends.CpuForward | Backends.GpuForward), kind + ": forward on the CPU and the GPU");
            Assert.Equal(definition.Supports(Backends.CpuBackward), definition.Supports(Backends.GpuBackward));
        }
    }
}
