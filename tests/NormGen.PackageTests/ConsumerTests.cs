using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Xml.Linq;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.PackageTests;

/// <summary>
/// What a user gets from the package: <c>dotnet pack</c> into a temporary feed, then a new console project that
/// references only <c>NormGen</c> from that feed builds, runs a LayerNorm and a GroupNorm (checked here against a
/// double-precision reference), and a wrong declaration fails its build with an NG error, not CS0246 or CS8795 alone.
/// </summary>
public sealed class ConsumerTests(ITestOutputHelper output) : IDisposable
{
    private const int Rows = 3, RowLength = 8;          // LayerNorm(8) over 3 rows
    private const int N = 2, C = 4, L = 3, Groups = 2;  // GroupNorm(2) over (2, 4, 3)

    private static readonly string s_root = typeof(ConsumerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "NormGenRepositoryRoot").Value!;

    // A version no real build has, so no NuGet cache can hold a stale copy; restored into this test's own folder.
    private readonly string _version = "0.0.1-consumertest-" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _temp = Directory.CreateTempSubdirectory("normgen-package-test-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public void PackageBuildsRunsAndReportsDiagnosticsInANewProject()
    {
        string feed = Path.Combine(_temp, "feed");
        // Pack only the packable project (the repository root packs the same one); --artifacts-path keeps every build
        // output of this pack in the temporary folder, away from the bin/ and obj/ folders of the test run itself.
        Run(s_root, $"pack \"{Path.Combine(s_root, "src", "NormGen.Runtime", "NormGen.Runtime.csproj")}\" -c Release -o \"{feed}\" " +
            $"-p:Version={_version} --artifacts-path \"{Path.Combine(_temp, "artifacts")}\"", expectSuccess: true);

        CheckPackageLayout(feed);

        string app = CreateConsumer(feed);
        string build = Run(app, "build -c Release", expectSuccess: true);
        Assert.DoesNotContain("warning NG", build, StringComparison.Ordinal);

        string run = Run(app, $"\"{Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll")}\"", expectSuccess: true);
        CheckLayerNorm(ReadLine(run, "layernorm"));
        CheckGroupNorm(ReadLine(run, "groupnorm"));

        // LayerNorm's default affine needs gamma and beta: NG0007, which states the signature to write.
        File.WriteAllText(Path.Combine(app, "Wrong.cs"), """
            using System;
            using NormGen;

            public static partial class WrongKernels
            {
                [LayerNorm(768)]
                public static partial void Wrong(ReadOnlySpan<float> x, Span<float> y);
            }
            """);
        string failed = Run(app, "build -c Release", expectSuccess: false);
        Assert.Contains("error NG0007", failed, StringComparison.Ordinal);
        Assert.Contains("static partial void Wrong(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)", failed, StringComparison.Ordinal);
        Assert.DoesNotContain("CS0246", failed, StringComparison.Ordinal);
        // The SDK prints each diagnostic's help link: the page that ships in the package.
        Assert.Contains("docs/diagnostics.md#ng0007", failed, StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>dotnet pack</c> at the repository root makes the NormGen package and nothing else: every other project of the
    /// solution says IsPackable=false (the consumer test packs the one packable project directly, which is faster).
    /// </summary>
    [Fact]
    public void OnlyTheRuntimeProjectIsPackable()
    {
        string solution = File.ReadAllText(Path.Combine(s_root, "NormGen.sln"));
        var projects = solution.Split('"').Where(p => p.EndsWith(".csproj", StringComparison.Ordinal))
            .Select(p => p.Replace('\\', '/')).ToList();
        Assert.Contains("src/NormGen.Runtime/NormGen.Runtime.csproj", projects);
        Assert.Contains("tests/NormGen.PackageTests/NormGen.PackageTests.csproj", projects);
        foreach (string project in projects.Where(p => p != "src/NormGen.Runtime/NormGen.Runtime.csproj"))
        {
            XDocument xml = XDocument.Load(Path.Combine(s_root, project));
            Assert.True(xml.Descendants("IsPackable").Any(e => e.Value.Trim() == "false"), $"{project} must set IsPackable=false");
        }
        XDocument runtime = XDocument.Load(Path.Combine(s_root, "src", "NormGen.Runtime", "NormGen.Runtime.csproj"));
        Assert.Equal("NormGen", runtime.Descendants("PackageId").Single().Value);
    }

    /// <summary>One package: the generator in the Roslyn 4.8 analyzer folder, the runtime with its docs in lib/net10.0.</summary>
    private void CheckPackageLayout(string feed)
    {
        string[] packages = Directory.GetFiles(feed, "*.nupkg");
        Assert.Equal([$"NormGen.{_version}.nupkg"], packages.Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(feed, $"NormGen.{_version}.snupkg")), "symbols package");

        using ZipArchive zip = ZipFile.OpenRead(packages[0]);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        output.WriteLine(string.Join(Environment.NewLine, entries.Order(StringComparer.Ordinal)));
        foreach (string expected in new[]
        {
            "analyzers/dotnet/roslyn4.8/cs/NormGen.dll", "lib/net10.0/NormGen.Runtime.dll", "lib/net10.0/NormGen.Runtime.xml",
            "README.md", "LICENSE", "docs/diagnostics.md",
        })
            Assert.Contains(expected, entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("NormGen.dll", StringComparison.Ordinal));

        XDocument nuspec;
        using (Stream s = zip.GetEntry("NormGen.nuspec")!.Open()) nuspec = XDocument.Load(s);
        XNamespace ns = nuspec.Root!.Name.Namespace;
        XElement metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("MIT", metadata.Element(ns + "license")?.Value);
        Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
        Assert.Null(metadata.Element(ns + "developmentDependency")); // would hide lib/ from the compiler
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => (string)d.Attribute("id")!).ToList();
        Assert.Equal(["System.Numerics.Tensors"], dependencies);
    }

    private string CreateConsumer(string feed)
    {
        string app = Path.Combine(_temp, "app");
        Directory.CreateDirectory(app);
        // Nothing from folders above (a stray Directory.Build.props in the temp folder) may change this build.
        File.WriteAllText(Path.Combine(app, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(app, "Directory.Build.targets"), "<Project />");
        // The feed on top of the configured sources (System.Numerics.Tensors comes from them, or from the machine's
        // package folder as a fallback), restored into a folder of this test.
        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string fallback = Directory.Exists(globalPackages)
            ? $"""<fallbackPackageFolders><add key="machine" value="{globalPackages}" /></fallbackPackageFolders>""" : "";
        File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(_temp, "packages")}" /></config>
              <packageSources><add key="normgen-test-feed" value="{feed}" /></packageSources>
              {fallback}
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <RestorePackagesPath>{Path.Combine(_temp, "packages")}</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="NormGen" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), $$"""
            using System;
            using System.Globalization;
            using System.Linq;
            using System.Numerics.Tensors;
            using NormGen;

            float[] x = [{{Literals(LayerNormInput())}}];
            float[] gamma = [{{Literals(Gamma(RowLength))}}];
            float[] beta = [{{Literals(Beta(RowLength))}}];
            var y = new float[x.Length];
            Kernels.Norm(x, gamma, beta, y);
            Print("layernorm", y);

            float[] g = [{{Literals(GroupNormInput())}}];
            float[] gGamma = [{{Literals(Gamma(C))}}];
            float[] gBeta = [{{Literals(Beta(C))}}];
            var gy = new float[g.Length];
            Kernels.Group(new ReadOnlyTensorSpan<float>(g, [{{N}}, {{C}}, {{L}}]), gGamma, gBeta, new TensorSpan<float>(gy, [{{N}}, {{C}}, {{L}}]));
            Print("groupnorm", gy);

            static void Print(string name, float[] values) =>
                Console.WriteLine(name + ": " + string.Join(" ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));

            public static partial class Kernels
            {
                [LayerNorm({{RowLength}})]
                public static partial void Norm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

                [GroupNorm({{Groups}})]
                public static partial void Group(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);
            }
            """);
        return app;
    }

    private static void CheckLayerNorm(float[] y)
    {
        float[] x = LayerNormInput(), gamma = Gamma(RowLength), beta = Beta(RowLength);
        Assert.Equal(x.Length, y.Length);
        for (int r = 0; r < Rows; r++)
        {
            var (mean, rstd) = Moments(Enumerable.Range(r * RowLength, RowLength).Select(i => (double)x[i]));
            for (int j = 0; j < RowLength; j++)
            {
                int i = r * RowLength + j;
                AssertClose((x[i] - mean) * rstd * gamma[j] + beta[j], y[i], i);
            }
        }
    }

    private static void CheckGroupNorm(float[] y)
    {
        float[] x = GroupNormInput(), gamma = Gamma(C), beta = Beta(C);
        Assert.Equal(x.Length, y.Length);
        int perGroup = C / Groups * L;
        for (int n = 0; n < N; n++)
            for (int g = 0; g < Groups; g++)
            {
                int start = (n * C + g * (C / Groups)) * L;
                var (mean, rstd) = Moments(Enumerable.Range(start, perGroup).Select(i => (double)x[i]));
                for (int i = start; i < start + perGroup; i++)
                {
                    int c = i / L % C;
                    AssertClose((x[i] - mean) * rstd * gamma[c] + beta[c], y[i], i);
                }
            }
    }

    /// <summary>Mean and 1/√(biased variance + 1e-5), in double.</summary>
    private static (double Mean, double Rstd) Moments(IEnumerable<double> values)
    {
        double[] v = values.ToArray();
        double mean = v.Average();
        double variance = v.Sum(e => (e - mean) * (e - mean)) / v.Length;
        return (mean, 1 / Math.Sqrt(variance + 1e-5));
    }

    private static void AssertClose(double expected, float actual, int index) =>
        Assert.True(Math.Abs(expected - actual) <= 2e-6 + 2e-6 * Math.Abs(expected), $"element {index}: expected {expected}, got {actual}");

    // Inputs with an offset and spread that differ per row / group, so a wrong axis or a missing mean shows.
    private static float[] LayerNormInput() => Values(Rows * RowLength, seed: 1, i => 3f * (i / RowLength) - 2f, scale: i => 1f + i / RowLength);
    private static float[] GroupNormInput() => Values(N * C * L, seed: 2, i => 5f * (i / (C / Groups * L)), scale: 2f);
    private static float[] Gamma(int n) => Values(n, seed: 3, _ => 1f, scale: 0.5f);
    private static float[] Beta(int n) => Values(n, seed: 4, _ => 0f, scale: 0.5f);

    private static float[] Values(int count, int seed, Func<int, float> offset, float scale) =>
        Values(count, seed, offset, _ => scale);

    private static float[] Values(int count, int seed, Func<int, float> offset, Func<int, float> scale)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i => offset(i) + scale(i) * (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    private static string Literals(float[] values) =>
        string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture) + "f"));

    private static float[] ReadLine(string text, string name)
    {
        string line = text.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(name + ": ", StringComparison.Ordinal));
        return line[(name.Length + 2)..].Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Runs the dotnet host; returns stdout and stderr together and fails with them if the exit code disagrees.</summary>
    private string Run(string workingDirectory, string arguments, bool expectSuccess)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            Arguments = arguments.StartsWith('"') ? arguments : arguments + " -nodeReuse:false",
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The test host inherits MSBuild's variables from `dotnet test`; a child build must find its own SDK.
        foreach (string name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" })
            info.Environment.Remove(name);
        info.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["MSBUILDTERMINALLOGGER"] = "off";

        var text = new StringBuilder();
        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (text) text.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (text) text.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {arguments} did not finish in 5 minutes:\n{text}");
        }
        process.WaitForExit();
        string result;
        lock (text) result = text.ToString();
        output.WriteLine($"dotnet {arguments}: exit {process.ExitCode}, {watch.Elapsed.TotalSeconds:F1} s");
        if ((process.ExitCode == 0) != expectSuccess)
            Assert.Fail($"dotnet {arguments} exited with {process.ExitCode}:\n{result}");
        return result;
    }
}
