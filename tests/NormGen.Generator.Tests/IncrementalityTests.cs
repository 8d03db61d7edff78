using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NormGen.Generator.Model;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// Layer 3: the incremental pipeline caches. Two runs with step tracking (NetEscapades.EnumGenerators' TestHelpers),
/// the outputs of every tracked step walked for compiler objects, and targeted edits as in the logging generator's
/// LoggerMessageGeneratorIncrementalTests.
/// </summary>
public class IncrementalityTests
{
    private static readonly string[] s_trackingNames = { TrackingNames.Parse, TrackingNames.Specs, TrackingNames.Diagnostics, TrackingNames.InvalidDeclarations };

    /// <summary>Declarations that report a diagnostic, so the Diagnostics step has outputs too.</summary>
    private const string BrokenSource = """
        using System;
        using NormGen;

        namespace Broken;

        public static partial class Bad
        {
            [LayerNorm(0)]
            public static partial void ZeroShape(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
        }
        """;

    private const string ContractPath = "Kernels.cs";

    private static CSharpCompilation Input() => Harness.Compile(
        (ContractPath, DriverTests.ContractSource()),
        ("Extra.cs", DriverTests.ExtraSource),
        ("Broken.cs", BrokenSource));

    private static IEnumerable<IncrementalGeneratorRunStep> Steps(GeneratorRunResult result, string name) =>
        result.TrackedSteps.TryGetValue(name, out var steps) ? steps : ImmutableArray<IncrementalGeneratorRunStep>.Empty;

    private static IEnumerable<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRunResult result, string name) =>
        Steps(result, name).SelectMany(s => s.Outputs);

    private static string Describe(GeneratorRunResult result, string name) =>
        string.Join("\n", Outputs(result, name).Select(o => $"  {o.Reason}: {o.Value}"));

    private static void AssertAllCachedOrUnchanged(GeneratorRunResult result, string name)
    {
        var outputs = Outputs(result, name).ToList();
        Assert.True(outputs.Count > 0, $"Step {name} has no outputs (is it still tracked?)");
        Assert.True(
            outputs.All(o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged),
            $"Step {name} re-ran with a different result:\n{Describe(result, name)}");
    }

    private static (GeneratorRunResult First, GeneratorRunResult Second) RunTwice(Compilation first, Compilation second)
    {
        var run1 = Harness.Run(first);
        Harness.AssertGeneratorDidNotThrow(run1.Result, run1.DriverDiagnostics);
        var run2 = Harness.Run(second, run1.Driver);
        Harness.AssertGeneratorDidNotThrow(run2.Result, run2.DriverDiagnostics);
        return (run1.Result, run2.Result);
    }

    [Fact]
    public void SecondRunOnTheSameInputIsCached()
    {
        CSharpCompilation input = Input();
        var (first, second) = RunTwice(input, input.Clone());

        foreach (string name in s_trackingNames)
        {
            AssertAllCachedOrUnchanged(second, name);
            Assert.Equal(Outputs(first, name).Select(o => o.Value), Outputs(second, name).Select(o => o.Value));
        }
        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.Equal(Harness.Sources(first), Harness.Sources(second));
    }

    /// <summary>Every value a tracked step produced, walked field by field: no symbol, syntax, compilation or location inside.</summary>
    [Fact]
    public void StepOutputsHoldNoCompilerObjects()
    {
        var run = Harness.Run(Input());
        foreach (string name in s_trackingNames)
        {
            var outputs = Outputs(run.Result, name).ToList();
            Assert.True(outputs.Count > 0, $"Step {name} has no outputs");
            foreach (var (value, _) in outputs)
                AssertNoCompilerObjects(value, name, new HashSet<object>(ReferenceEqualityComparer.Instance));
        }
    }

    [Fact]
    public void TheWalkerFindsAHiddenLocation()
    {
        var holder = new List<object> { Tuple.Create(1, Location.None) };
        Assert.ThrowsAny<Exception>(() => AssertNoCompilerObjects(holder, "test", new HashSet<object>(ReferenceEqualityComparer.Instance)));
    }

    private static readonly Type[] s_forbidden =
    {
        typeof(Compilation), typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(SemanticModel),
        typeof(Location), typeof(AttributeData), typeof(SyntaxToken), typeof(IOperation), typeof(GeneratorAttributeSyntaxContext),
    };

    private static void AssertNoCompilerObjects(object? value, string path, HashSet<object> visited)
    {
        if (value is null) return;
        Type type = value.GetType();
        Type? bad = s_forbidden.FirstOrDefault(f => f.IsAssignableFrom(type));
        Assert.True(bad is null, $"{path} holds a {bad?.Name} ({type.FullName}); it would defeat caching and root the compilation.");
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type.IsPointer) return;
        if (!type.IsValueType && !visited.Add(value)) return;

        if (value is Array array)
        {
            int i = 0;
            foreach (object? item in array) AssertNoCompilerObjects(item, $"{path}[{i++}]", visited);
            return;
        }
        for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType)
            foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                AssertNoCompilerObjects(field.GetValue(value), $"{path}.{field.Name}", visited);
    }

    [Fact]
    public void AddingAnUnrelatedClassChangesNothing()
    {
        CSharpCompilation input = Input();
        var edited = input.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Other { public class Unrelated { public int Value => 42; } }", Harness.ParseOptions, "Unrelated.cs"));
        var (first, second) = RunTwice(input, edited);

        foreach (string name in s_trackingNames) AssertAllCachedOrUnchanged(second, name);
        Assert.Equal(Harness.Sources(first), Harness.Sources(second));
    }

    [Fact]
    public void ChangingOneEpsilonModifiesOnlyThatSpec()
    {
        CSharpCompilation input = Input();
        SyntaxTree contract = input.SyntaxTrees.Single(t => t.FilePath == ContractPath);
        string text = contract.ToString();
        Assert.Contains("[RmsNorm(4096, Epsilon = 1e-6f", text);
        var edited = input.ReplaceSyntaxTree(contract, CSharpSyntaxTree.ParseText(
            text.Replace("[RmsNorm(4096, Epsilon = 1e-6f", "[RmsNorm(4096, Epsilon = 2e-6f"), Harness.ParseOptions, ContractPath));
        var (first, second) = RunTwice(input, edited);

        var specs = Outputs(second, TrackingNames.Specs).ToList();
        var modified = specs.Where(o => o.Reason == IncrementalStepRunReason.Modified).Select(o => (KernelSpec)o.Value).ToList();
        Assert.True(modified.Count == 1, "Expected exactly one modified spec:\n" + Describe(second, TrackingNames.Specs));
        Assert.Equal("Rms", modified[0].MethodName);
        Assert.Equal(2e-6f, modified[0].Epsilon);
        Assert.All(specs.Where(o => !ReferenceEquals(o.Value, modified[0])),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{o.Reason}: {o.Value}"));

        // Only the edited kernel's text differs.
        var before = Harness.Sources(first).ToDictionary(s => s.HintName, s => s.Text);
        var after = Harness.Sources(second).ToDictionary(s => s.HintName, s => s.Text);
        Assert.Equal(before.Keys.OrderBy(k => k, StringComparer.Ordinal), after.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Matches(@"^NormGen\.Tests\.Kernels\.Rms\.[0-9a-f]{8}\.g\.cs$", Assert.Single(before.Keys, k => before[k] != after[k]));
    }

    /// <summary>
    /// Blank lines above the declarations move every location below them. The specs hold no locations, so they stay
    /// unchanged and no kernel is re-emitted; only the moved diagnostic is re-reported at its new line.
    /// </summary>
    [Fact]
    public void MovingDeclarationsLeavesSpecsUnchanged()
    {
        CSharpCompilation input = Input();
        var edited = input;
        foreach (SyntaxTree tree in input.SyntaxTrees)
        {
            string text = tree.ToString();
            int at = text.IndexOf("public static partial class", StringComparison.Ordinal);
            if (at < 0) continue;
            edited = edited.ReplaceSyntaxTree(edited.SyntaxTrees.Single(t => t.FilePath == tree.FilePath),
                CSharpSyntaxTree.ParseText(text.Insert(at, "\n\n\n"), Harness.ParseOptions, tree.FilePath));
        }
        var (first, second) = RunTwice(input, edited);

        AssertAllCachedOrUnchanged(second, TrackingNames.Specs);
        Assert.Equal(Harness.Sources(first), Harness.Sources(second));

        Assert.Contains(Outputs(second, TrackingNames.Diagnostics), o => o.Reason == IncrementalStepRunReason.Modified);
        Diagnostic before = Assert.Single(first.Diagnostics), after = Assert.Single(second.Diagnostics);
        Assert.Equal("NG0008", after.Id);
        Assert.Equal(before.Location.GetLineSpan().StartLinePosition.Line + 3, after.Location.GetLineSpan().StartLinePosition.Line);
    }
}
