using System;
using NormGen;

namespace NormGen.Tests;

// A copy of the training issue's row declarations (forward with saved statistics, and the backward kernels).
public static partial class Grad
{
    [LayerNorm(768, SaveStatistics = true)]
    public static partial void Ln(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(768, Backward = true)]
    public static partial void LnBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [RmsNorm(4096, SaveStatistics = true)]
    public static partial void Rms(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, Span<float> rstd);

    [RmsNorm(4096, Backward = true)]
    public static partial void RmsBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, Span<float> dx, Span<float> dweight);

    [LayerNorm(Affine = Affine.None, Backward = true)]
    public static partial void LnBackwardDyn(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx);

    [LayerNorm(1000, Backward = true)]
    public static partial void LnBackwardDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, Span<double> dx, Span<double> dgamma, Span<double> dbeta);
}
