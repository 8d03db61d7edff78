using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>Layer 2 for the fused row backward (issue 9): the generated wrappers, snapshotted, and that they compile.</summary>
public class FusedBackwardDriverTests
{
    internal const string Source = """
        using System;
        using System.Numerics.Tensors;
        using NormGen;

        namespace Fused;

        public static partial class Grad
        {
            // Statistics recomputed in the kernel: no mean/rstd parameters.
            [LayerNorm(768, Backward = true)]
            public static partial void LnBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

            [RmsNorm(Backward = true)]
            public static partial void RmsBackward(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> weight, Span<Half> dx, Span<float> dweight);

            // Pre-norm residual with a residual bias: dbias = Σ dh.
            [LayerNorm(768, Residual = true, ResidualBias = true, Backward = true)]
            public static partial void LnResidualBiasBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dh, Span<float> dgamma, Span<float> dbeta, Span<float> dbias);

            // DeepNorm: dx = α·dh, dsublayer = dh; with a residual bias also dbias; tensor spans flattened like x.
            [DeepNorm(1024, Architecture = DeepNetArchitecture.EncoderOnly, Layers = 24, ResidualBias = true, Backward = true)]
            public static partial void DnBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> bias, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dsublayer, Span<float> dgamma, Span<float> dbeta, Span<float> dbias);

            [DeepNorm(Alpha = 2.5f, Axes = 2, Backward = true)]
            public static partial void DnBackwardTensor(ReadOnlyTensorSpan<double> dy, ReadOnlyTensorSpan<double> x, ReadOnlyTensorSpan<double> sublayer, ReadOnlySpan<double> gamma, TensorSpan<double> dx, TensorSpan<double> dsublayer, Span<double> dgamma, Span<double> dbeta);

            // Activation epilogue: z = x̂·γ + β recomputed, dz = dy·act′(z).
            [LayerNorm(768, Activation = Activation.Gelu, Backward = true)]
            public static partial void LnGeluBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);
        }
        """;

    [Fact]
    public void FusedBackward()
    {
        var run = Harness.Run(Harness.Compile(("Fused.cs", Source)));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        Assert.True(run.Result.Diagnostics.IsEmpty, "Generator diagnostics:\n" + Harness.Format(run.Result.Diagnostics));
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The generated compilation has errors:\n" + Harness.Format(errors));
        var sources = Harness.Sources(run.Result);
        Assert.Equal(Source.Split("static partial void").Length - 1, sources.Count);
        foreach (var (hint, text) in sources) Snapshot.Match(text, hint: hint);
    }

    /// <summary>
    /// With ILGPU referenced every fused form gets its GPU file and no NG0022, and everything compiles; pinned: the
    /// device file (the backward kernels in float and double, GELU′), the tensor-span DeepNorm with recomputed
    /// statistics and the activation epilogue's GPU files.
    /// </summary>
    [Fact]
    public void FusedBackwardOnGpu()
    {
        var run = Harness.Run(Harness.Compile(true, ("Fused.cs", Source)));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        Assert.True(run.Result.Diagnostics.IsEmpty, "Generator diagnostics:\n" + Harness.Format(run.Result.Diagnostics));
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The generated compilation has errors:\n" + Harness.Format(errors));
        var gpu = Harness.Sources(run.Result).Where(s => s.HintName.EndsWith(".Gpu.g.cs", System.StringComparison.Ordinal) || s.HintName == "NormGen.GpuDevice.g.cs").ToList();
        Assert.Equal(Source.Split("static partial void").Length, gpu.Count);
        foreach (var (hint, text) in gpu.Where(s => s.HintName.Contains("DnBackwardTensor.", System.StringComparison.Ordinal) || s.HintName.Contains("LnGeluBackward.", System.StringComparison.Ordinal) || s.HintName == "NormGen.GpuDevice.g.cs"))
            Snapshot.Match(text, hint: hint);
    }
}
