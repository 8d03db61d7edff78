using System;
using System.Buffers;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;

namespace NormGen;

/// <summary>
/// The backward pass of the channel LayerNorm (<see cref="ChannelLayerNormAttribute"/>), written once for every
/// generated <c>[ChannelLayerNorm(Backward = true)]</c> kernel. Statistics are per (sample, position): the C values
/// x[n, ·, s]. With x̂ = (x − μ)·rstd and g = dy·γ[c]:
/// <list type="bullet">
/// <item>WithBias (Restormer's <c>WithBias_LayerNorm</c>): <c>dx = rstd·(g − mean_c(g) − x̂·mean_c(g·x̂))</c>,
/// <c>dγ[c] = Σ dy·x̂</c>, <c>dβ[c] = Σ dy</c> over (N, *).</item>
/// <item>BiasFree (<c>y = x·rstd·w</c>, the mean not subtracted): with x̃ = x·rstd,
/// <c>dx = rstd·(g − x̂·mean_c(g·x̃))</c> (from dx_i = r·g_i − r³/C·(Σ_j g_j x_j)·(x_i − μ)), <c>dw[c] = Σ dy·x̃</c>.</item>
/// </list>
/// </summary>
/// <remarks>
/// Each sample is a C × spatial panel; the per-position means over C are accumulated row by row across the positions
/// (vectorized over s by <see cref="TensorPrimitives"/>), then dx is written row by row (each row of dy and x is read
/// before the same row of dx is written, so dx may be dy or x). Each (sample, channel) row's Σdy and Σdy·x̂ is kept and
/// the rows are added over the samples in <see cref="RowBackward.CombinePairwise{T}"/>'s fixed pairwise order. The
/// work runs on the calling thread in a fixed order: bitwise the same for any <see cref="NormGenSettings.MaxDegreeOfParallelism"/>.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ChannelLayerNormBackward
{
    /// <summary>Backward of a float (N, C, *) tensor. Arguments are already checked; empty spans mean "absent".</summary>
    /// <param name="dy">The output gradient, N × C × spatial, dense.</param>
    /// <param name="x">The forward input.</param>
    /// <param name="mean">Saved means, N × spatial (one per (sample, position)).</param>
    /// <param name="rstd">Saved 1/√(σ² + ε), as <paramref name="mean"/>.</param>
    /// <param name="gamma">γ (or the BiasFree weight) per channel; empty without affine.</param>
    /// <param name="dx">Receives the input gradient; may be <paramref name="dy"/> or <paramref name="x"/>.</param>
    /// <param name="dgamma">Receives Σ dy·x̂ (BiasFree: Σ dy·x·rstd) per channel, or empty.</param>
    /// <param name="dbeta">Receives Σ dy per channel, or empty.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">The product of the axes after C.</param>
    /// <param name="biasFree">Restormer's BiasFree variant (y = x·rstd·w).</param>
    public static void Run(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma,
        Span<float> dx, Span<float> dgamma, Span<float> dbeta, int batch, int channels, int spatial, bool biasFree)
        => RunCore(dy, x, mean, rstd, gamma, dx, dgamma, dbeta, batch, channels, spatial, biasFree);

    /// <summary>Backward of a double (N, C, *) tensor; see the float overload.</summary>
    public static void Run(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma,
        Span<double> dx, Span<double> dgamma, Span<double> dbeta, int batch, int channels, int spatial, bool biasFree)
        => RunCore(dy, x, mean, rstd, gamma, dx, dgamma, dbeta, batch, channels, spatial, biasFree);

    /// <summary>Backward of a Half (N, C, *) tensor: widened to float, float math and float dγ/dβ, dx rounded once.</summary>
    public static void Run(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> gamma,
        Span<Half> dx, Span<float> dgamma, Span<float> dbeta, int batch, int channels, int spatial, bool biasFree)
    {
        int length = x.Length;
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * length + gamma.Length);
        try
        {
            Span<float> dyWide = scratch.AsSpan(0, length), xWide = scratch.AsSpan(length, length), gammaWide = scratch.AsSpan(2 * length, gamma.Length);
            TensorPrimitives.ConvertToSingle(dy, dyWide);
            TensorPrimitives.ConvertToSingle(x, xWide);
            TensorPrimitives.ConvertToSingle(gamma, gammaWide);
            RunCore<float>(dyWide, xWide, mean, rstd, gammaWide, dyWide, dgamma, dbeta, batch, channels, spatial, biasFree);
            TensorPrimitives.ConvertToHalf(dyWide, dx);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    private static void RunCore<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
        Span<T> dx, Span<T> dgamma, Span<T> dbeta, int batch, int channels, int spatial, bool biasFree)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int segments = batch * channels;
        if (segments == 0 || spatial == 0)
        {
            dgamma.Clear();
            dbeta.Clear();
            return;
        }
        T[] scratch = ArrayPool<T>.Shared.Rent(2 * segments + 4 * spatial);
        try
        {
            Span<T> sumDy = scratch.AsSpan(0, segments), sumDyXhat = scratch.AsSpan(segments, segments);
            Span<T> meanG = scratch.AsSpan(2 * segments, spatial), meanGx = scratch.AsSpan(2 * segments + spatial, spatial);
            Span<T> xhat = scratch.AsSpan(2 * segments + 2 * spatial, spatial), g = scratch.AsSpan(2 * segments + 3 * spatial, spatial);
            T inverseChannels = T.One / T.CreateTruncating(channels);
            for (int n = 0; n < batch; n++)
            {
                ReadOnlySpan<T> mu = mean.Slice(n * spatial, spatial), rs = rstd.Slice(n * spatial, spatial);
                // Pass 1: per position, mean_c(g) and mean_c(g·x̂) (BiasFree: mean_c(g·x̃), x̃ = x·rstd); per row, Σdy and Σdy·x̂.
                meanG.Clear();
                meanGx.Clear();
                for (int c = 0; c < channels; c++)
                {
                    int offset = (n * channels + c) * spatial;
                    ReadOnlySpan<T> dyRow = dy.Slice(offset, spatial), xRow = x.Slice(offset, spatial);
                    if (biasFree)
                    {
                        TensorPrimitives.Multiply(xRow, rs, xhat);
                    }
                    else
                    {
                        TensorPrimitives.Subtract(xRow, mu, xhat);
                        TensorPrimitives.Multiply(xhat, rs, xhat);
                    }
                    sumDy[n * channels + c] = TensorPrimitives.Sum(dyRow);
                    sumDyXhat[n * channels + c] = TensorPrimitives.Dot(dyRow, (ReadOnlySpan<T>)xhat);
                    if (gamma.IsEmpty) dyRow.CopyTo(g);
                    else TensorPrimitives.Multiply(dyRow, gamma[c], g);
                    TensorPrimitives.Add(meanG, g, meanG);
                    TensorPrimitives.MultiplyAdd(g, xhat, meanGx, meanGx);
                }
                TensorPrimitives.Multiply(meanG, inverseChannels, meanG);
                TensorPrimitives.Multiply(meanGx, inverseChannels, meanGx);

                // Pass 2: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)); BiasFree: rstd·(g − x̂·mean(g·x̃)), x̂ = (x − μ)·rstd.
                for (int c = 0; c < channels; c++)
                {
                    int offset = (n * channels + c) * spatial;
                    ReadOnlySpan<T> dyRow = dy.Slice(offset, spatial), xRow = x.Slice(offset, spatial);
                    TensorPrimitives.Subtract(xRow, mu, xhat);
                    TensorPrimitives.Multiply(xhat, rs, xhat);
                    if (gamma.IsEmpty) dyRow.CopyTo(g);
                    else TensorPrimitives.Multiply(dyRow, gamma[c], g);
                    if (!biasFree) TensorPrimitives.Subtract(g, meanG, g);
                    TensorPrimitives.Multiply(xhat, meanGx, xhat);
                    TensorPrimitives.Subtract(g, xhat, g);
                    TensorPrimitives.Multiply(g, rs, dx.Slice(offset, spatial));
                }
            }
            RowBackward.CombinePairwise(sumDy, batch, channels);
            RowBackward.CombinePairwise(sumDyXhat, batch, channels);
            if (!dgamma.IsEmpty) sumDyXhat.Slice(0, channels).CopyTo(dgamma);
            if (!dbeta.IsEmpty) sumDy.Slice(0, channels).CopyTo(dbeta);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }
}
