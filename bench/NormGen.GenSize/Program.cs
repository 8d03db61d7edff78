using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NormGen.GenSize;

/// <summary>
/// Runs the generator in memory and prints how much source it writes (issue 8, item 4):
/// <list type="bullet">
/// <item><c>acceptance</c>: the generator tests' contract declarations (tests/NormGen.Generator.Tests/Inputs: every
/// kind and fusion, forward and backward, about 30 declarations);</item>
/// <item><c>synthetic500</c>: 500 declarations drawn with a fixed seed over kinds, element types, shapes and options
/// (<see cref="Synthetic"/>);</item>
/// <item><c>issue33</c>: the acceptance set less the 6 GPU-tensor inputs, the 33 declarations issue 8 measured.</item>
/// </list>
/// Usage: <c>dotnet run --project bench/NormGen.GenSize -c Release -- [--ilgpu] [--files] [--project DIR]</c>.
/// <c>--ilgpu</c> references ILGPU (GPU variants are written too); <c>--files</c> lists every file's line count;
/// <c>--project DIR</c> also writes the synthetic declarations as two buildable projects, <c>DIR/with</c> (NormGen as
/// an analyzer) and <c>DIR/without</c> (the same methods with empty bodies, no generator), to time <c>dotnet build</c>.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        bool ilgpu = args.Contains("--ilgpu");
        bool files = args.Contains("--files");
        string root = RepositoryRoot();
        var sets = new List<(string Name, string[] Sources)>
        {
            ("acceptance", Acceptance(root)),
            ("issue33", Issue33(Acceptance(root))),
            ("synthetic500", new[] { Synthetic.Source(500) }),
        };
        Console.WriteLine($"Generated source per set (ILGPU referenced: {(ilgpu ? "yes" : "no")})");
        Console.WriteLine($"{"set",-14} {"decls",6} {"files",6} {"lines",9} {"bytes",11} {"median",7} {"max",6}  errors  warnings");
        int failures = 0;
        foreach (var (name, sources) in sets)
        {
            var report = Measure(sources, ilgpu);
            failures += report.Problems.Count;
            int[] lines = report.Files.Select(f => f.Lines).OrderBy(n => n).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-14} {report.Declarations,6} {lines.Length,6} {lines.Sum(),9} {report.Files.Sum(f => (long)f.Bytes),11} {Median(lines),7} {(lines.Length == 0 ? 0 : lines[^1]),6}  {report.Problems.Count,6}  {report.Warnings}"));
            foreach (string problem in report.Problems.Take(20)) Console.WriteLine("    " + problem);
            if (files)
                foreach (var f in report.Files.OrderByDescending(f => f.Lines))
                    Console.WriteLine($"    {f.Lines,6}  {f.Hint}");
        }
        int p = Array.IndexOf(args, "--project");
        if (p >= 0 && p + 1 < args.Length)
            BuildProjects.Write(Path.GetFullPath(args[p + 1]), root, Synthetic.Source(500));
        return failures == 0 ? 0 : 1;
    }

    private static double Median(int[] sorted) =>
        sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2.0;

    /// <summary>The repository root: the first parent of the working directory or this program holding NormGen.sln.</summary>
    private static string RepositoryRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "NormGen.sln"))) return d.FullName;
        throw new InvalidOperationException("Run inside the NormGen repository (NormGen.sln not found).");
    }

    /// <summary>The generator tests' declaration files: the contract, the fused kinds, training (forward + backward), the GPU set.</summary>
    private static string[] Acceptance(string root)
    {
        string inputs = Path.Combine(root, "tests", "NormGen.Generator.Tests", "Inputs");
        return new[] { "ContractKernels.cs", "FusedContractKernels.cs", "TrainingContractKernels.cs", "GpuKernels.cs" }
            .Select(f => File.ReadAllText(Path.Combine(inputs, f)))
            .ToArray();
    }

    /// <summary>
    /// The acceptance set as issue 8 measured it when filed (33 declarations): without the <c>GpuTensors</c> class of
    /// GpuKernels.cs (the 6 GPU-tensor inputs added later), so the before and after numbers count the same declarations.
    /// </summary>
    private static string[] Issue33(string[] acceptance) =>
        acceptance.Select(source =>
        {
            int start = source.IndexOf("// The tensor kinds with statistics", StringComparison.Ordinal);
            if (start < 0) start = source.IndexOf("public static partial class GpuTensors", StringComparison.Ordinal);
            return start < 0 ? source : source.Substring(0, start);
        }).ToArray();

    private sealed record FileSize(string Hint, int Lines, int Bytes);

    private sealed record Report(int Declarations, List<FileSize> Files, List<string> Problems, string Warnings);

    private static Report Measure(string[] sources, bool ilgpu)
    {
        var parse = new CSharpParseOptions(LanguageVersion.CSharp12);
        var compilation = CSharpCompilation.Create(
            "GenSize",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, parse, $"Input{i}.cs")),
            References(ilgpu),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new NormGen.Generator.NormGenerator().AsSourceGenerator() }, parseOptions: parse);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> driverDiagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        var problems = new List<string>();
        if (result.Exception is not null) problems.Add("generator threw: " + result.Exception.Message);
        problems.AddRange(driverDiagnostics.Concat(result.Diagnostics).Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
        var warnings = driverDiagnostics.Concat(result.Diagnostics).Where(d => d.Severity == DiagnosticSeverity.Warning)
            .GroupBy(d => d.Id).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}");
        problems.AddRange(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(20).Select(d => d.ToString()));
        // NORMGEN_GENSIZE_DUMP=DIR writes the generated files there, to read what was measured.
        if (Environment.GetEnvironmentVariable("NORMGEN_GENSIZE_DUMP") is { Length: > 0 } dump)
        {
            Directory.CreateDirectory(dump);
            foreach (var s in result.GeneratedSources) File.WriteAllText(Path.Combine(dump, s.HintName), s.SourceText.ToString());
        }
        var files = result.GeneratedSources
            .Select(s => s.SourceText.ToString())
            .Zip(result.GeneratedSources, (text, s) => new FileSize(s.HintName, LineCount(text), Encoding.UTF8.GetByteCount(text)))
            .ToList();
        int declarations = sources.Sum(s => s.Split('\n').Count(l => l.TrimStart().StartsWith("[", StringComparison.Ordinal) && !l.TrimStart().StartsWith("[assembly", StringComparison.Ordinal)));
        return new Report(declarations, files, problems, string.Join(" ", warnings));
    }

    private static int LineCount(string text) => text.Length == 0 ? 0 : text.Split('\n').Length - (text.EndsWith('\n') ? 1 : 0);

    private static ImmutableArray<MetadataReference> References(bool ilgpu)
    {
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        foreach (string path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string file = Path.GetFileName(path);
            if (file.StartsWith("System.", StringComparison.OrdinalIgnoreCase) || file is "netstandard.dll" or "mscorlib.dll")
                paths[file] = path;
        }
        paths["NormGen.Runtime.dll"] = typeof(global::NormGen.LayerNormAttribute).Assembly.Location;
        paths["System.Numerics.Tensors.dll"] = typeof(System.Numerics.Tensors.TensorPrimitives).Assembly.Location;
        if (ilgpu) paths["ILGPU.dll"] = typeof(global::ILGPU.Runtime.Accelerator).Assembly.Location;
        return paths.Values.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    }
}
