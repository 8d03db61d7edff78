using System;
using NormGen;

namespace NormGen.GpuBench;

/// <summary>
/// The benchmarked kernels: static shapes (what a model declares), float and Half, LayerNorm and RMSNorm (PyTorch defaults),
/// and the pre-norm residual RMSNorm (h = x + residual; residualOut = h; y = RMSNorm(h)·weight).
/// </summary>
internal static partial class BenchKernels
{
    [LayerNorm(768)]
    public static partial void LayerNorm768F32(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [RmsNorm(768, Epsilon = 1e-6f)]
    public static partial void RmsNorm768F32(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    [LayerNorm(768)]
    public static partial void LayerNorm768F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y);

    [RmsNorm(768, Epsilon = 1e-6f)]
    public static partial void RmsNorm768F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> weight, Span<Half> y);

    [LayerNorm(1024)]
    public static partial void LayerNorm1024F32(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [RmsNorm(1024, Epsilon = 1e-6f)]
    public static partial void RmsNorm1024F32(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    [LayerNorm(1024)]
    public static partial void LayerNorm1024F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y);

    [RmsNorm(1024, Epsilon = 1e-6f)]
    public static partial void RmsNorm1024F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> weight, Span<Half> y);

    [LayerNorm(4096)]
    public static partial void LayerNorm4096F32(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [RmsNorm(4096, Epsilon = 1e-6f)]
    public static partial void RmsNorm4096F32(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    [LayerNorm(4096)]
    public static partial void LayerNorm4096F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y);

    [RmsNorm(4096, Epsilon = 1e-6f)]
    public static partial void RmsNorm4096F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> weight, Span<Half> y);

    [LayerNorm(8192)]
    public static partial void LayerNorm8192F32(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [RmsNorm(8192, Epsilon = 1e-6f)]
    public static partial void RmsNorm8192F32(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    [LayerNorm(8192)]
    public static partial void LayerNorm8192F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y);

    [RmsNorm(8192, Epsilon = 1e-6f)]
    public static partial void RmsNorm8192F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> weight, Span<Half> y);

    [LayerNorm(16384)]
    public static partial void LayerNorm16384F32(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [RmsNorm(16384, Epsilon = 1e-6f)]
    public static partial void RmsNorm16384F32(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

    [LayerNorm(16384)]
    public static partial void LayerNorm16384F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y);

    [RmsNorm(16384, Epsilon = 1e-6f)]
    public static partial void RmsNorm16384F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> weight, Span<Half> y);

    [RmsNorm(768, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRmsNorm768F32(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

    [RmsNorm(768, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRmsNorm768F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> residual, ReadOnlySpan<Half> weight, Span<Half> y, Span<Half> residualOut);

    [RmsNorm(1024, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRmsNorm1024F32(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

    [RmsNorm(1024, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRmsNorm1024F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> residual, ReadOnlySpan<Half> weight, Span<Half> y, Span<Half> residualOut);

    [RmsNorm(4096, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRmsNorm4096F32(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

    [RmsNorm(4096, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRmsNorm4096F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> residual, ReadOnlySpan<Half> weight, Span<Half> y, Span<Half> residualOut);

    [RmsNorm(8192, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRmsNorm8192F32(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

    [RmsNorm(8192, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRmsNorm8192F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> residual, ReadOnlySpan<Half> weight, Span<Half> y, Span<Half> residualOut);

    [RmsNorm(16384, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRmsNorm16384F32(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

    [RmsNorm(16384, Epsilon = 1e-6f, Residual = true)]
    public static partial void AddRmsNorm16384F16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> residual, ReadOnlySpan<Half> weight, Span<Half> y, Span<Half> residualOut);
}
