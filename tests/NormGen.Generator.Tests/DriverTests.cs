using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>Layer 2: whole generator runs over the contract declarations, snapshotted per generated file, and determinism.</summary>
public class DriverTests
{
    /// <summary>
    /// A copy of tests/NormGen.Tests/Kernels.cs (the six contract declarations). A copy, not a link, so these
    /// snapshots change only when this project decides to follow a change of the contract.
    /// </summary>
    internal static string ContractSource([CallerFilePath] string thisFile = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(thisFile)!, "Inputs", "ContractKernels.cs"));

    /// <summary>Declarations beyond the contract: a non-trivial ε (decimal separator), overloads, nesting, a generic container, global namespace.</summary>
    internal const string ExtraSource = """
        using System;
        using System.Numerics.Tensors;
        using NormGen;

        namespace Extra.Space
        {
            public static partial class Overloads
            {
                [LayerNorm(64, Epsilon = 0.0025f)]
                public static partial void Norm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

                [LayerNorm(64, Epsilon = 0.0025f)]
                public static partial void Norm(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
            }

            internal partial class Outer<T>
            {
                private partial struct Inner
                {
                    [RmsNorm(Affine = Affine.None, Epsilon = 1.5e-3f)]
                    internal static partial void Rms(ReadOnlySpan<Half> x, int rowLength, Span<Half> y);
                }
            }
        }

        partial class GlobalKernels
        {
            [RmsNorm(8, 16, Affine = Affine.ScaleAndBias)]
            static partial void Rms(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, TensorSpan<float> y);
        }
        """;

    private static (Compilation Output, GeneratorRunResult Result) RunClean(params (string Path, string Text)[] sources) =>
        RunClean(false, sources);

    private static (Compilation Output, GeneratorRunResult Result) RunClean(bool withIlgpu, params (string Path, string Text)[] sources)
    {
        var run = Harness.Run(Harness.Compile(withIlgpu, sources));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        Assert.True(run.Result.Diagnostics.IsEmpty, "Generator diagnostics:\n" + Harness.Format(run.Result.Diagnostics));
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The generated compilation has errors:\n" + Harness.Format(errors));
        return (run.Output, run.Result);
    }

    /// <summary>A copy of the fused-kernels issue's declarations (row fusions, BatchNorm, GroupNorm, InstanceNorm, scalers, channel LayerNorm).</summary>
    internal static string FusedContractSource([CallerFilePath] string thisFile = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(thisFile)!, "Inputs", "FusedContractKernels.cs"));

    [Fact]
    public void FusedContract()
    {
        var (_, result) = RunClean(("Blocks.cs", FusedContractSource()));
        var sources = Harness.Sources(result);
        Assert.Equal(12, sources.Count);
        foreach (var (hint, text) in sources) Snapshot.Match(text, hint: hint);
        AssertNoOrphanSnapshots(nameof(FusedContract), sources.Select(s => s.HintName));
    }

    /// <summary>A copy of the training issue's declarations: forward kernels saving statistics and the backward kernels.</summary>
    internal static string TrainingContractSource([CallerFilePath] string thisFile = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(thisFile)!, "Inputs", "TrainingContractKernels.cs"));

    [Fact]
    public void TrainingContract()
    {
        var (_, result) = RunClean(("Grad.cs", TrainingContractSource()));
        var sources = Harness.Sources(result);
        Assert.Equal(10, sources.Count);
        foreach (var (hint, text) in sources) Snapshot.Match(text, hint: hint);
        AssertNoOrphanSnapshots(nameof(TrainingContract), sources.Select(s => s.HintName));
    }

    /// <summary>The tensor kinds (GroupNorm, InstanceNorm, BatchNorm training and eval, channel LayerNorm both ways, the scalers) in float, double and Half.</summary>
    internal static string TensorKindsSource([CallerFilePath] string thisFile = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(thisFile)!, "Inputs", "TensorKinds.cs"));

    [Fact]
    public void TensorKinds()
    {
        var (_, result) = RunClean(("Tensors.cs", TensorKindsSource()));
        var sources = Harness.Sources(result);
        Assert.Equal(24, sources.Count);
        foreach (var (hint, text) in sources) Snapshot.Match(text, hint: hint);
        AssertNoOrphanSnapshots(nameof(TensorKinds), sources.Select(s => s.HintName));
    }

    /// <summary>
    /// Kernels with GPU variants (a row kernel, a Half one with a run-time length, residual LayerNorm, BatchNorm eval, a
    /// LayerNorm backward, and one of each other tensor kind: GroupNorm, InstanceNorm, BatchNorm training,
    /// ChannelLayerNorm, MinMaxScale, Standardize).
    /// </summary>
    internal static string GpuKernelsSource([CallerFilePath] string thisFile = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(thisFile)!, "Inputs", "GpuKernels.cs"));

    /// <summary>With ILGPU referenced every kernel also gets its GPU file (<c>*.Gpu.g.cs</c>): both are pinned.</summary>
    [Fact]
    public void GpuKernels()
    {
        var (_, result) = RunClean(withIlgpu: true, ("Gpu.cs", GpuKernelsSource()));
        var sources = Harness.Sources(result);
        Assert.Equal(12, sources.Count(s => s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal)));
        Assert.Equal(25, sources.Count); // and NormGen.GpuDevice.g.cs, the device code every GPU file shares
        foreach (var (hint, text) in sources) Snapshot.Match(text, hint: hint);
        AssertNoOrphanSnapshots(nameof(GpuKernels), sources.Select(s => s.HintName));
    }

    [Fact]
    public void Contract()
    {
        var (_, result) = RunClean(("Kernels.cs", ContractSource()));
        var sources = Harness.Sources(result);
        Assert.Equal(
            new[]
            {
                "NormGen.Tests.Kernels.Ln2D.g.cs", "NormGen.Tests.Kernels.LnDouble.g.cs", "NormGen.Tests.Kernels.LnDyn.g.cs",
                "NormGen.Tests.Kernels.Norm.g.cs", "NormGen.Tests.Kernels.Rms.g.cs", "NormGen.Tests.Kernels.RmsHalf.g.cs",
            },
            sources.Select(s => WithoutHash(s.HintName)));
        foreach (var (hint, text) in sources) Snapshot.Match(text, hint: hint);
        AssertNoOrphanSnapshots(nameof(Contract), sources.Select(s => s.HintName));
    }

    [Fact]
    public void Extra()
    {
        var (_, result) = RunClean(("Extra.cs", ExtraSource));
        var sources = Harness.Sources(result);
        Assert.Equal(
            new[]
            {
                "Extra.Space.Outer`1.Inner.Rms.g.cs", "Extra.Space.Overloads.Norm.g.cs", "Extra.Space.Overloads.Norm.g.cs", "GlobalKernels.Rms.g.cs", // the two overloads differ in their hashes
            },
            sources.Select(s => WithoutHash(s.HintName)));
        foreach (var (hint, text) in sources) Snapshot.Match(text, hint: hint);
        AssertNoOrphanSnapshots(nameof(Extra), sources.Select(s => s.HintName));
    }

    /// <summary>A hint name without the signature hash before ".g.cs" (RobustnessTests checks the hashes).</summary>
    private static string WithoutHash(string hint) => System.Text.RegularExpressions.Regex.Replace(hint, @"\.[0-9a-f]{8}\.g\.cs$", ".g.cs");

    /// <summary>A verified file that no generated file matches any more is a stale snapshot (a renamed or removed kernel).</summary>
    private static void AssertNoOrphanSnapshots(string test, IEnumerable<string> hints)
    {
        string prefix = $"{nameof(DriverTests)}.{test}#";
        var expected = hints.Select(h => Snapshot.FileStem(nameof(DriverTests), test, null, h) + ".verified.cs").ToHashSet(StringComparer.Ordinal);
        var orphans = Directory.GetFiles(Snapshot.Directory(), prefix + "*.verified.cs")
            .Select(Path.GetFileName)
            .Where(f => !expected.Contains(f!))
            .ToList();
        Assert.True(orphans.Count == 0, "Stale snapshots (delete them): " + string.Join(", ", orphans));
    }

    /// <summary>Valid declarations in less common places: each gets a kernel, no diagnostic, and the result compiles.</summary>
    [Theory]
    [InlineData("public partial record R(int A) { [LayerNorm(768)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y); }")]
    [InlineData("public partial record struct R(int A) { [RmsNorm(768)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y); }")]
    [InlineData("public partial interface I { [RmsNorm(768)] static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y); }")]
    [InlineData("public partial struct S { [LayerNorm(Axes = 3, Affine = Affine.None)] internal static partial void M(ReadOnlyTensorSpan<double> x, TensorSpan<double> y); }")]
    [InlineData("public static partial class Ext { [RmsNorm(768)] public static partial void M(this ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y); }")]
    [InlineData("public static partial class Ext { [LayerNorm] public static partial void M(this ReadOnlySpan<Half> x, int n, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y); }")]
    public void UnusualButValidDeclarationsCompile(string declaration)
    {
        var (_, result) = RunClean(("Unusual.cs", "using System;\nusing System.Numerics.Tensors;\nusing NormGen;\n\nnamespace U;\n\n" + declaration));
        Assert.Single(result.GeneratedSources);
    }

    private static IReadOnlyList<(string HintName, string Text)> Generate()
    {
        var run = Harness.Run(Harness.Compile(("Kernels.cs", ContractSource()), ("Extra.cs", ExtraSource)));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        return Harness.Sources(run.Result);
    }

    [Fact]
    public void TwoRunsProduceIdenticalText()
    {
        var first = Generate();
        var second = Generate();
        Assert.Equal(10, first.Count);
        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData("de-DE")]
    [InlineData("tr-TR")]
    [InlineData("ar-SA")]
    public void CurrentCultureDoesNotChangeTheOutput(string culture)
    {
        CultureInfo savedCulture = CultureInfo.CurrentCulture, savedUiCulture = CultureInfo.CurrentUICulture;
        IReadOnlyList<(string, string)> invariant, localized;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
            invariant = Generate();
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(culture);
            localized = Generate();
        }
        finally
        {
            CultureInfo.CurrentCulture = savedCulture;
            CultureInfo.CurrentUICulture = savedUiCulture;
        }
        Assert.Equal(invariant, localized);
    }
}
