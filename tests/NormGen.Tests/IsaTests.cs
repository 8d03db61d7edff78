using System;
using System.Diagnostics;
using System.IO;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Tests;

/// <summary>
/// Runs NormGen.IsaCheck (a console program with its own kernels and a double-reference checklist) in a child process
/// under each ISA switch, so that the 512-bit, 256-bit, 128-bit and scalar paths all run in every `dotnet test`,
/// whatever the processor defaults to. The printed acceleration flags prove the switch took effect.
/// .NET 10 reads AVX-512 as one group, DOTNET_EnableAVX512; DOTNET_EnableAVX512F (the .NET 8/9 name) is ignored
/// by .NET 10, so the AVX-512 run sets both.
/// </summary>
public class IsaTests(ITestOutputHelper output)
{
    public static TheoryData<string> Switches => ["none", "DOTNET_EnableAVX512F=0;DOTNET_EnableAVX512=0", "DOTNET_EnableAVX2=0", "DOTNET_EnableHWIntrinsic=0"];

    [Theory]
    [MemberData(nameof(Switches))]
    public async System.Threading.Tasks.Task IsaCheck_PassesUnderSwitch(string environment)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "NormGen.IsaCheck.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: NormGen.Tests must reference tests/NormGen.IsaCheck");
        Assert.True(File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")), "NormGen.IsaCheck.runtimeconfig.json was not copied next to the tests");

        var start = new ProcessStartInfo(DotnetHost(), $"\"{dll}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Start from this process's environment without any ISA switch, then set the ones under test.
        foreach (string key in new[] { "DOTNET_EnableAVX512F", "DOTNET_EnableAVX512", "DOTNET_EnableAVX2", "DOTNET_EnableAVX", "DOTNET_EnableHWIntrinsic", "DOTNET_PreferredVectorBitWidth",
                                        "COMPlus_EnableAVX512F", "COMPlus_EnableAVX2", "COMPlus_EnableHWIntrinsic" })
            start.Environment.Remove(key);
        if (environment != "none")
            foreach (string pair in environment.Split(';'))
                start.Environment[pair.Split('=')[0]] = pair.Split('=')[1];

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "IsaCheck did not finish in 2 minutes");
        output.WriteLine($"[{environment}] exit {process.ExitCode}");
        output.WriteLine(stdout);
        output.WriteLine(await stderr);

        bool v512 = Flag(stdout, "Vector512"), v256 = Flag(stdout, "Vector256"), v128 = Flag(stdout, "Vector128");
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("ALL PASS", stdout);
        Assert.DoesNotContain("FAIL ", stdout);
        switch (environment)
        {
            case "DOTNET_EnableAVX512F=0;DOTNET_EnableAVX512=0":
                Assert.False(v512, "Vector512 still accelerated with AVX-512 disabled");
                break;
            case "DOTNET_EnableAVX2=0":
                Assert.False(v512 || v256, "Vector512/256 still accelerated with AVX2 disabled");
                break;
            case "DOTNET_EnableHWIntrinsic=0":
                Assert.False(v512 || v256 || v128, "vectors still accelerated with hardware intrinsics disabled");
                break;
        }
    }

    private static bool Flag(string stdout, string vector)
    {
        string key = $"{vector}.IsHardwareAccelerated=";
        int at = stdout.IndexOf(key, StringComparison.Ordinal);
        Assert.True(at >= 0, $"IsaCheck did not print {key}");
        return stdout.AsSpan(at + key.Length).StartsWith("True", StringComparison.Ordinal);
    }

    /// <summary>The dotnet host running these tests (so the child uses the same runtime), else "dotnet" on the PATH.</summary>
    private static string DotnetHost()
    {
        string? root = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(root) && File.Exists(root)) return root;
        string? main = Environment.ProcessPath;
        if (main is not null && Path.GetFileNameWithoutExtension(main) == "dotnet") return main;
        return "dotnet";
    }
}
