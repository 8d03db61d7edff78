using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>The README's quick start, exactly as written, compiles with the generator and runs.</summary>
public class ReadmeTests
{
    [Fact]
    public void QuickStartCompilesAndRuns()
    {
        string code = QuickStart();
        var compilation = Harness.Compile(code, "Program.cs")
            .WithOptions(Harness.CompilationOptions.WithOutputKind(OutputKind.ConsoleApplication));
        var run = Harness.Run(compilation);
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        Assert.Empty(run.Result.Diagnostics);
        // (CS1591: the harness parses with documentation diagnostics on; a console program needs no XML docs.)
        var problems = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Id != "CS1591").ToList();
        Assert.True(problems.Count == 0, Harness.Format(problems));

        using var stream = new MemoryStream();
        var emit = run.Output.Emit(stream);
        Assert.True(emit.Success, Harness.Format(emit.Diagnostics));
        var context = new AssemblyLoadContext("readme", isCollectible: true);
        var console = Console.Out;
        try
        {
            stream.Position = 0;
            var writer = new StringWriter();
            Console.SetOut(writer);
            var entry = context.LoadFromStream(stream).EntryPoint!;
            entry.Invoke(null, entry.GetParameters().Length == 0 ? null : new object[] { Array.Empty<string>() });
            Assert.StartsWith("y[0] = ", writer.ToString());
        }
        finally
        {
            Console.SetOut(console);
            context.Unload();
        }
    }

    /// <summary>The first <c>```csharp</c> block under "## Quick start" in the repository's README.md.</summary>
    private static string QuickStart([CallerFilePath] string here = "")
    {
        string readme = File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "README.md")).Replace("\r\n", "\n");
        int section = readme.IndexOf("\n## Quick start\n", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no Quick start section");
        int start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = readme.IndexOf("\n```", start, StringComparison.Ordinal);
        return readme.Substring(start, end - start);
    }
}
