using System;
using System.IO;
using System.Text.RegularExpressions;

namespace NormGen.GenSize;

/// <summary>
/// Writes the synthetic declarations as two projects for timing <c>dotnet build</c>: <c>with/</c> runs NormGen (an
/// analyzer reference to src/NormGen) and <c>without/</c> holds the same methods with empty bodies and no generator,
/// so the difference is what NormGen's generated code costs the build.
/// </summary>
internal static class BuildProjects
{
    public static void Write(string directory, string root, string source)
    {
        string runtime = Path.Combine(root, "src", "NormGen.Runtime", "NormGen.Runtime.csproj");
        string generator = Path.Combine(root, "src", "NormGen", "NormGen.csproj");
        WriteProject(Path.Combine(directory, "with"), source,
            $"""<ProjectReference Include="{generator}" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />""", runtime);
        string stubs = Regex.Replace(source, @"public static partial void (\w+)\((.*)\);", "public static void $1($2) { }");
        WriteProject(Path.Combine(directory, "without"), stubs, "", runtime);
        Console.WriteLine($"Wrote {directory}/with and {directory}/without; time e.g.: dotnet build {directory}/with -c Release (after one restore)");
    }

    private static void WriteProject(string directory, string source, string analyzer, string runtime)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "Kernels.cs"), source);
        File.WriteAllText(Path.Combine(directory, "Synthetic.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="System.Numerics.Tensors" Version="10.0.0" />
                <ProjectReference Include="{runtime}" />
                {analyzer}
              </ItemGroup>
            </Project>
            """);
    }
}
