using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>RMSNorm's default ε follows the element type (PyTorch <c>eps=None</c>); an explicit ε applies to every type.</summary>
public class DefaultEpsilonTests
{
    private static string Generate(string element, string options)
    {
        string source = $$"""
            using System;
            using NormGen;
            public static partial class K
            {
                [RmsNorm(64{{options}})] public static partial void M(ReadOnlySpan<{{element}}> x, ReadOnlySpan<{{element}}> weight, Span<{{element}}> y);
            }
            """;
        var run = Harness.Run(Harness.Compile(source));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return Assert.Single(run.Result.GeneratedSources).SourceText.ToString();
    }

    [Fact]
    public void DoubleDefaultIsExactly2ToTheMinus52()
    {
        string text = Generate("double", "");
        Assert.Contains("public static double Epsilon => 2.220446049250313E-16d;", text);
        Assert.Contains("ε = 2.220446049250313E-16 (PyTorch <c>rms_norm</c>)", text);
        Assert.Equal(2.220446049250313E-16d, System.Math.Pow(2, -52));
    }

    [Theory]
    [InlineData("float", "public static float Epsilon => 1.1920929E-07f;")]
    [InlineData("Half", "public static float Epsilon => 1.1920929E-07f;")]
    public void FloatAndHalfDefaultIs2ToTheMinus23(string element, string expected) => Assert.Contains(expected, Generate(element, ""));

    [Fact]
    public void ExplicitEpsilonIsKeptForDouble()
    {
        string text = Generate("double", ", Epsilon = 1e-6f");
        Assert.Contains("public static double Epsilon => 1E-06d;", text);
    }
}
