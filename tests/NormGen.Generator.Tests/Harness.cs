using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NormGen.Generator.Tests;

/// <summary>In-memory compilations and generator runs shared by the tests.</summary>
internal static class Harness
{
    /// <summary>C# 12: the newest language the generator's floor compiler (Roslyn 4.8) knows.</summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12, DocumentationMode.Diagnose);

    public static readonly CSharpCompilationOptions CompilationOptions = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        allowUnsafe: true,
        deterministic: true);

    /// <summary>
    /// The framework (trusted platform assemblies of this test process: System.*, netstandard, mscorlib),
    /// NormGen.Runtime and System.Numerics.Tensors. Loaded once: metadata references are immutable and shareable.
    /// </summary>
    public static readonly ImmutableArray<MetadataReference> References = BuildReferences();

    private static ImmutableArray<MetadataReference> BuildReferences()
    {
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        foreach (string path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string file = Path.GetFileName(path);
            if (file.StartsWith("System.", StringComparison.OrdinalIgnoreCase) || file is "netstandard.dll" or "mscorlib.dll" || file.StartsWith("Microsoft.Win32.", StringComparison.OrdinalIgnoreCase))
                paths[file] = path;
        }
        paths["NormGen.Runtime.dll"] = typeof(global::NormGen.LayerNormAttribute).Assembly.Location;
        paths["System.Numerics.Tensors.dll"] = typeof(System.Numerics.Tensors.TensorPrimitives).Assembly.Location;
        return paths.OrderBy(p => p.Key, StringComparer.Ordinal)
                    .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p.Value))
                    .ToImmutableArray();
    }

    /// <summary><see cref="References"/> plus ILGPU: the generator then also writes the GPU overloads.</summary>
    public static readonly ImmutableArray<MetadataReference> ReferencesWithIlgpu =
        References.Add(MetadataReference.CreateFromFile(typeof(global::ILGPU.Runtime.Accelerator).Assembly.Location));

    public static CSharpCompilation Compile(params (string Path, string Text)[] sources) => Compile(false, sources);

    public static CSharpCompilation Compile(bool withIlgpu, params (string Path, string Text)[] sources) =>
        CSharpCompilation.Create(
            "NormGen.GeneratorTests.Input",
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, s.Path)),
            withIlgpu ? ReferencesWithIlgpu : References,
            CompilationOptions);

    public static CSharpCompilation Compile(string source, string path = "Input.cs") => Compile((path, source));

    /// <summary>A driver for the NormGen generator with step tracking on (so tests can read the incremental steps).</summary>
    public static GeneratorDriver CreateDriver(bool trackSteps = true, IncrementalGeneratorOutputKind disabledOutputs = IncrementalGeneratorOutputKind.None) =>
        CSharpGeneratorDriver.Create(
            new[] { new NormGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(disabledOutputs, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator once; returns the driver (for a second, incremental run), the updated compilation and the result.</summary>
    public static (GeneratorDriver Driver, Compilation Output, GeneratorRunResult Result, ImmutableArray<Diagnostic> DriverDiagnostics) Run(Compilation input, GeneratorDriver? driver = null)
    {
        driver ??= CreateDriver();
        driver = driver.RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        return (driver, output, result, diagnostics);
    }

    /// <summary>The generated files, by hint name in ordinal order.</summary>
    public static IReadOnlyList<(string HintName, string Text)> Sources(GeneratorRunResult result) =>
        result.GeneratedSources
              .OrderBy(s => s.HintName, StringComparer.Ordinal)
              .Select(s => (s.HintName, s.SourceText.ToString()))
              .ToList();

    /// <summary>Errors only, formatted one per line with location, for assertion messages.</summary>
    public static string Format(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics.Select(d => d.ToString()));

    /// <summary>
    /// Fails if the generator threw: an exception on the run result, or the compiler's "generator failed" warning
    /// CS8785 (which is how a user sees a generator crash).
    /// </summary>
    public static void AssertGeneratorDidNotThrow(GeneratorRunResult result, ImmutableArray<Diagnostic> driverDiagnostics)
    {
        Xunit.Assert.True(result.Exception is null, "The generator threw: " + result.Exception);
        var crashes = driverDiagnostics.Concat(result.Diagnostics).Where(d => d.Id is "CS8785" or "CS8784").ToList();
        Xunit.Assert.True(crashes.Count == 0, "Generator failure diagnostics:\n" + Format(crashes));
    }
}
