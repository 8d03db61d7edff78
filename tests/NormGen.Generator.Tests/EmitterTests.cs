using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using NormGen.Generator.Model;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// Layer 1: the CPU emitter on hand-made specs over kind × shape × affine × element. Every cell is compiled with a
/// matching user declaration; a pruned set is also snapshotted.
/// </summary>
public class EmitterTests
{
    [Theory]
    [MemberData(nameof(GridCase.SnapshottedNames), MemberType = typeof(GridCase))]
    public void Emit(string name)
    {
        GridCase cell = GridCase.Parse(name);
        Snapshot.Match(CpuEmitter.Emit(cell.Spec()), parameters: name);
    }

    /// <summary>The emitted file plus the user's declaration compile without errors, and the emitted file without warnings, for every cell.</summary>
    [Theory]
    [MemberData(nameof(GridCase.AllNames), MemberType = typeof(GridCase))]
    public void EmittedSourceCompiles(string name)
    {
        GridCase cell = GridCase.Parse(name);
        KernelSpec spec = cell.Spec();
        var compilation = Harness.Compile(("User.cs", cell.Declaration()), (spec.HintName, CpuEmitter.Emit(spec)));
        var problems = compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error ||
                        (d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath == spec.HintName))
            .ToList();
        Assert.True(problems.Count == 0, $"{name}:\n{Harness.Format(problems)}");
    }

    /// <summary>
    /// The parser reads each cell's declaration into exactly the spec written by hand above, so the emitter snapshots
    /// show what the generator really writes for those declarations.
    /// </summary>
    [Theory]
    [MemberData(nameof(GridCase.AllNames), MemberType = typeof(GridCase))]
    public void ParserProducesTheHandMadeSpec(string name)
    {
        GridCase cell = GridCase.Parse(name);
        var run = Harness.Run(Harness.Compile(cell.Declaration(), "User.cs"));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        Assert.Empty(run.Result.Diagnostics);
        KernelSpec parsed = Assert.Single(run.Result.TrackedSteps[TrackingNames.Specs].SelectMany(s => s.Outputs).Select(o => o.Value).OfType<KernelSpec>());
        // Names carry a hash of the exact signature (issue 7, item 6), which the hand-made spec does not compute.
        string hash = parsed.KernelClassName.Substring(parsed.KernelClassName.Length - 8);
        Assert.Matches("^[0-9a-f]{8}$", hash);
        Assert.Equal($"__NormGen_{cell.MethodName}_{hash}", parsed.KernelClassName);
        Assert.Equal($"Grid.Kernels.{cell.MethodName}.{hash}.g.cs", parsed.HintName);
        KernelSpec expected = cell.Spec() with { HintName = parsed.HintName, KernelClassName = parsed.KernelClassName };
        Assert.Equal(expected, parsed);
        Assert.Equal(CpuEmitter.Emit(expected), Assert.Single(run.Result.GeneratedSources).SourceText.ToString());
    }

    /// <summary>A few specs outside the grid: global namespace, nested generic and struct/record containers, keyword names, odd ε.</summary>
    public static IEnumerable<object[]> EdgeNames() => EdgeSpecs().Keys.Select(k => new object[] { k });

    private static Dictionary<string, (KernelSpec Spec, string Declaration)> EdgeSpecs()
    {
        var flat = new[]
        {
            new ParameterSpec("x", ParamRole.Input, ParamForm.ReadOnlySpan, ElementKind.Float),
            new ParameterSpec("y", ParamRole.Output, ParamForm.Span, ElementKind.Float),
        }.ToEquatableArray();
        return new Dictionary<string, (KernelSpec, string)>
        {
            ["GlobalNamespace"] = (
                new KernelSpec(null, new[] { new TypeDeclSpec("class", "K") }.ToEquatableArray(), "N", "static partial", "K.N.g.cs", "NKernel",
                    NormKind.LayerNorm, ElementKind.Float, new[] { 64 }.ToEquatableArray(), 1, 1e-3f, AffineMode.None, flat),
                "using System; using NormGen; partial class K { [LayerNorm(64, Epsilon = 1e-3f, Affine = Affine.None)] static partial void N(ReadOnlySpan<float> x, Span<float> y); }"),
            ["NestedGenericStructRecord"] = (
                new KernelSpec("A.B", new[] { new TypeDeclSpec("class", "Outer<T>"), new TypeDeclSpec("struct", "Mid"), new TypeDeclSpec("record", "Inner") }.ToEquatableArray(),
                    "N", "internal static partial", "A.B.Outer`1.Mid.Inner.N.g.cs", "NKernel",
                    NormKind.RmsNorm, ElementKind.Float, new[] { 16 }.ToEquatableArray(), 1, 1f, AffineMode.None, flat),
                "using System; using NormGen; namespace A.B { partial class Outer<T> { partial struct Mid { partial record Inner { [RmsNorm(16, Epsilon = 1f, Affine = Affine.None)] internal static partial void N(ReadOnlySpan<float> x, Span<float> y); } } } }"),
            ["DoubleOddEpsilon"] = (
                new KernelSpec("E", new[] { new TypeDeclSpec("class", "K") }.ToEquatableArray(), "N", "public static partial", "E.K.N.g.cs", "NKernel",
                    NormKind.LayerNorm, ElementKind.Double, new[] { 5 }.ToEquatableArray(), 1, 0.1f, AffineMode.None,
                    new[]
                    {
                        new ParameterSpec("x", ParamRole.Input, ParamForm.ReadOnlySpan, ElementKind.Double),
                        new ParameterSpec("y", ParamRole.Output, ParamForm.Span, ElementKind.Double),
                    }.ToEquatableArray()),
                "using System; using NormGen; namespace E { public static partial class K { [LayerNorm(5, Epsilon = 0.1f, Affine = Affine.None)] public static partial void N(ReadOnlySpan<double> x, Span<double> y); } }"),
            // Parameter names that are C# keywords (nameof(@in)) or that the body's own locals would otherwise use.
            ["KeywordAndCollidingNames"] = (
                new KernelSpec("E", new[] { new TypeDeclSpec("class", "K") }.ToEquatableArray(), "N", "public static partial", "E.K.N.g.cs", "NKernel",
                    NormKind.LayerNorm, ElementKind.Float, EquatableArray<int>.Empty, 1, 1e-5f, AffineMode.ScaleAndBias,
                    new[]
                    {
                        new ParameterSpec("in", ParamRole.Input, ParamForm.ReadOnlySpan, ElementKind.Float),
                        new ParameterSpec("rows", ParamRole.RowLength, ParamForm.Int32, ElementKind.Float),
                        new ParameterSpec("threads", ParamRole.Gamma, ParamForm.ReadOnlySpan, ElementKind.Float),
                        new ParameterSpec("base", ParamRole.Beta, ParamForm.ReadOnlySpan, ElementKind.Float),
                        new ParameterSpec("out", ParamRole.Output, ParamForm.Span, ElementKind.Float),
                    }.ToEquatableArray()),
                "using System; using NormGen; namespace E { public static partial class K { [LayerNorm] public static partial void N(ReadOnlySpan<float> @in, int rows, ReadOnlySpan<float> threads, ReadOnlySpan<float> @base, Span<float> @out); } }"),
            ["TensorCollidingNames"] = (
                new KernelSpec("E", new[] { new TypeDeclSpec("class", "K") }.ToEquatableArray(), "N", "public static partial", "E.K.N.g.cs", "NKernel",
                    NormKind.RmsNorm, ElementKind.Half, EquatableArray<int>.Empty, 1, 1.1920929e-07f, AffineMode.Scale,
                    new[]
                    {
                        new ParameterSpec("xFlat", ParamRole.Input, ParamForm.ReadOnlyTensorSpan, ElementKind.Half),
                        new ParameterSpec("rowLength", ParamRole.Gamma, ParamForm.ReadOnlySpan, ElementKind.Half),
                        new ParameterSpec("yFlat", ParamRole.Output, ParamForm.TensorSpan, ElementKind.Half),
                    }.ToEquatableArray()),
                "using System; using System.Numerics.Tensors; using NormGen; namespace E { public static partial class K { [RmsNorm(Axes = 1)] public static partial void N(ReadOnlyTensorSpan<Half> xFlat, ReadOnlySpan<Half> rowLength, TensorSpan<Half> yFlat); } }"),
        };
    }

    [Theory]
    [MemberData(nameof(EdgeNames))]
    public void EmitEdge(string name)
    {
        var (spec, declaration) = EdgeSpecs()[name];
        string source = CpuEmitter.Emit(spec);
        Snapshot.Match(source, parameters: name);

        var compilation = Harness.Compile(("User.cs", declaration), (spec.HintName, source));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, Harness.Format(errors));

        var run = Harness.Run(Harness.Compile(declaration, "User.cs"));
        Assert.Empty(run.Result.Diagnostics);
        KernelSpec parsed = Assert.Single(run.Result.TrackedSteps[TrackingNames.Specs].SelectMany(s => s.Outputs).Select(o => o.Value).OfType<KernelSpec>());
        // The parser's names end in a hash of the exact signature (issue 7, item 6); the hand-made spec keeps short ones.
        string hash = parsed.KernelClassName.Substring(parsed.KernelClassName.Length - 8);
        Assert.Equal($"__NormGen_{spec.MethodName}_{hash}", parsed.KernelClassName);
        Assert.Equal(spec.HintName.Replace(".g.cs", "." + hash + ".g.cs"), parsed.HintName);
        Assert.Equal(spec with { HintName = parsed.HintName, KernelClassName = parsed.KernelClassName }, parsed);
    }
}
