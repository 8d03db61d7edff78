using System;
using System.Buffers;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
/// Work units are (sample, chunk of <see cref="SpatialChunk"/> positions): a unit accumulates its per-position means
/// over C row by row (one vector loop per row, GatherRow; Σdy and Σdy·x̂ per row by TensorPrimitives.Sum and Dot), then
/// writes dx row by row (OutputRow). The two loops replaced a composition of TensorPrimitives calls (five and seven
/// passes over each row) with the same operations per element, so the same bits (ChannelLayerNormBackwardBitsTests): one
/// thread, (32, 256, 14, 14) floats 1.34–1.49 → 0.80–0.84 ms, (1, 64, 256, 256) 4.9–5.0 → 4.1–4.2, (4, 96, 128, 128)
/// 7.9 → 7.6 (there the unit's 1.5 MB of rows and the scratch outgrow L2, which the chunk width, fixed because dγ's
/// combine order depends on it, leaves as it is) (each
/// row of dy and x is read before the same row of dx is written, so dx may be dy or x). Each unit keeps its own Σdy and
/// Σdy·x̂ per channel, and the units' rows are added in <see cref="RowBackward.CombinePairwise{T}"/>'s fixed pairwise
/// order. The units are spread over up to <see cref="NormGenSettings.MaxDegreeOfParallelism"/> threads by the row
/// scheduler; the partition is fixed by the shape alone and every unit computes the same bits on any thread, so dx, dγ
/// and dβ are bitwise the same for any thread count.
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

    /// <summary>
    /// Backward of a Half (N, C, *) tensor: float math and float dγ/dβ, dx rounded once. Each (sample, chunk) unit's rows
    /// of dy and x are widened into a float buffer of the thread that takes it and computed there as in a float call
    /// (the same rows, so the same bits; TensorPrimitives.Sum and Dot do not depend on where a row lies), not the whole
    /// tensor: scratch of two unit's worth per thread instead of two float copies of the tensor.
    /// </summary>
    public static void Run(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> gamma,
        Span<Half> dx, Span<float> dgamma, Span<float> dbeta, int batch, int channels, int spatial, bool biasFree)
    {
        if (batch == 0 || channels == 0 || spatial == 0)
        {
            dgamma.Clear();
            dbeta.Clear();
            return;
        }
        float[] gammaWide = ArrayPool<float>.Shared.Rent(gamma.Length);
        HalfWidening.ToSingle(gamma, gammaWide);
        int chunks = (spatial + SpatialChunk - 1) / SpatialChunk;
        RunUnits(new HalfUnitWork(channels, spatial, chunks, biasFree), batch * chunks, channels, Math.Min(spatial, SpatialChunk),
            MemoryMarshal.AsBytes(dy), MemoryMarshal.AsBytes(x), mean, rstd, gammaWide.AsSpan(0, gamma.Length), MemoryMarshal.AsBytes(dx), dgamma, dbeta);
        ArrayPool<float>.Shared.Return(gammaWide);
    }

    /// <summary>
    /// Positions per work unit: each sample's spatial axis is cut into chunks of this many positions (a constant, not a
    /// function of the thread count), so the units, their sums and the combine order are fixed by the shape alone. A
    /// chunk's C rows (C × 2048 × 2 inputs) stay in cache between the two passes.
    /// </summary>
    public const int SpatialChunk = 2048;

    private static void RunCore<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
        Span<T> dx, Span<T> dgamma, Span<T> dbeta, int batch, int channels, int spatial, bool biasFree)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (batch == 0 || channels == 0 || spatial == 0)
        {
            dgamma.Clear();
            dbeta.Clear();
            return;
        }
        int chunks = (spatial + SpatialChunk - 1) / SpatialChunk;
        RunUnits(new UnitWork<T>(channels, spatial, chunks, biasFree), batch * chunks, channels, Math.Min(spatial, SpatialChunk),
            MemoryMarshal.AsBytes(dy), MemoryMarshal.AsBytes(x), mean, rstd, gamma, MemoryMarshal.AsBytes(dx), dgamma, dbeta);
    }

    /// <summary>
    /// The (sample, chunk of positions) units, in that order, over the pool (on the calling thread when they do not spread):
    /// each keeps its own Σdy and Σdy·x̂ per channel, and the units' rows are added in CombinePairwise's fixed order, whatever
    /// thread computed them, into dβ and dγ. Buffers of <typeparamref name="TWork"/>: dy, x, mean, rstd, γ, dx, the sums.
    /// </summary>
    private static void RunUnits<T, TWork>(TWork work, int units, int channels, int unitWidth, ReadOnlySpan<byte> dy, ReadOnlySpan<byte> x,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma, Span<byte> dx, Span<T> dgamma, Span<T> dbeta)
        where T : unmanaged, IFloatingPointIeee754<T> where TWork : struct, IRowKernel
    {
        T[] sums = ArrayPool<T>.Shared.Rent(2 * units * channels);
        try
        {
            Span<T> sumDy = sums.AsSpan(0, units * channels), sumDyXhat = sums.AsSpan(units * channels, units * channels);
            int threads = RowScheduler.DegreeOfParallelism(units, channels * unitWidth);
            RowScheduler.Run(threads, units, work, dy, x, MemoryMarshal.AsBytes(mean), MemoryMarshal.AsBytes(rstd), MemoryMarshal.AsBytes(gamma), dx,
                MemoryMarshal.AsBytes(sumDy), MemoryMarshal.AsBytes(sumDyXhat));
            RowBackward.CombineChannelSums(sumDy, sumDyXhat, units, channels, dgamma, dbeta);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(sums);
        }
    }

    /// <summary>
    /// A range of a Half call's units for one thread: each unit's C rows of dy and x widened into a (1, C, width) float
    /// tensor, computed there by <see cref="UnitWork{T}.Unit"/> (dx over the widened dy) and narrowed into dx. Every row is
    /// read before any of the unit's dx is written, so dx may be dy or x.
    /// </summary>
    private readonly struct HalfUnitWork(int channels, int spatial, int chunks, bool biasFree) : IRowKernel
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
        {
            ReadOnlySpan<Half> dy = buffers.Get<Half>(0), x = buffers.Get<Half>(1);
            Span<Half> dx = buffers.Get<Half>(5);
            int width = Math.Min(spatial, SpatialChunk);
            float[] wide = ArrayPool<float>.Shared.Rent(2 * channels * width), scratch = ArrayPool<float>.Shared.Rent(4 * width);
            for (int unit = firstRow; unit < firstRow + rowCount; unit++)
            {
                int n = unit / chunks, start = unit % chunks * SpatialChunk, length = Math.Min(SpatialChunk, spatial - start);
                Span<float> dyWide = wide.AsSpan(0, channels * length), xWide = wide.AsSpan(channels * length, channels * length);
                for (int c = 0; c < channels; c++)
                {
                    int offset = (n * channels + c) * spatial + start;
                    HalfWidening.ToSingle(dy.Slice(offset, length), dyWide.Slice(c * length, length));
                    HalfWidening.ToSingle(x.Slice(offset, length), xWide.Slice(c * length, length));
                }
                // The unit as a one-sample tensor of its own width: rows c·length apart, statistics from its first position.
                new UnitWork<float>(channels, length, 1, biasFree).Unit(dyWide, xWide, buffers.Get<float>(2).Slice(n * spatial + start, length),
                    buffers.Get<float>(3).Slice(n * spatial + start, length), buffers.Get<float>(4), dyWide,
                    buffers.Get<float>(6).Slice(unit * channels, channels), buffers.Get<float>(7).Slice(unit * channels, channels), scratch, 0, 0, length);
                for (int c = 0; c < channels; c++)
                    HalfNarrowing.ToHalf(dyWide.Slice(c * length, length), dx.Slice((n * channels + c) * spatial + start, length));
            }
            ArrayPool<float>.Shared.Return(wide);
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>A range of (sample, chunk) units; also the row scheduler's work item (the spans arrive pinned).</summary>
    private readonly struct UnitWork<T>(int channels, int spatial, int chunks, bool biasFree) : IRowKernel
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
            => Units(buffers.Get<T>(0), buffers.Get<T>(1), buffers.Get<T>(2), buffers.Get<T>(3), buffers.Get<T>(4), buffers.Get<T>(5),
                buffers.Get<T>(6), buffers.Get<T>(7), firstRow, rowCount);

        public void Units(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
            Span<T> dx, Span<T> sumDy, Span<T> sumDyXhat, int firstUnit, int unitCount)
        {
            int width = Math.Min(spatial, SpatialChunk);
            T[] scratch = ArrayPool<T>.Shared.Rent(4 * width);
            try
            {
                for (int unit = firstUnit; unit < firstUnit + unitCount; unit++)
                {
                    int n = unit / chunks, start = unit % chunks * SpatialChunk, length = Math.Min(SpatialChunk, spatial - start);
                    Unit(dy, x, mean, rstd, gamma, dx, sumDy.Slice(unit * channels, channels), sumDyXhat.Slice(unit * channels, channels),
                        scratch, n, start, length);
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(scratch);
            }
        }

        /// <summary>Positions start … start + length − 1 of sample n: their dx, and each channel's Σdy and Σdy·x̂ over them.</summary>
        public void Unit(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
            Span<T> dx, Span<T> sumDy, Span<T> sumDyXhat, T[] scratch, int n, int start, int length)
        {
            Span<T> meanG = scratch.AsSpan(0, length), meanGx = scratch.AsSpan(length, length);
            Span<T> xhat = scratch.AsSpan(2 * length, length), g = scratch.AsSpan(3 * length, length);
            ReadOnlySpan<T> mu = mean.Slice(n * spatial + start, length), rs = rstd.Slice(n * spatial + start, length);
            T inverseChannels = T.One / T.CreateTruncating(channels);
            // Pass 1: per position, mean_c(g) and mean_c(g·x̂) (BiasFree: mean_c(g·x̃), x̃ = x·rstd); per channel, Σdy and Σdy·x̂.
            meanG.Clear();
            meanGx.Clear();
            for (int c = 0; c < channels; c++)
            {
                int offset = (n * channels + c) * spatial + start;
                ReadOnlySpan<T> dyRow = dy.Slice(offset, length);
                GatherRow(dyRow, x.Slice(offset, length), mu, rs, gamma.IsEmpty ? T.One : gamma[c], !gamma.IsEmpty, biasFree, xhat, meanG, meanGx);
                sumDy[c] = TensorPrimitives.Sum(dyRow);
                sumDyXhat[c] = TensorPrimitives.Dot(dyRow, (ReadOnlySpan<T>)xhat);
            }
            TensorPrimitives.Multiply(meanG, inverseChannels, meanG);
            TensorPrimitives.Multiply(meanGx, inverseChannels, meanGx);

            // Pass 2: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)); BiasFree: rstd·(g − x̂·mean(g·x̃)), x̂ = (x − μ)·rstd.
            for (int c = 0; c < channels; c++)
            {
                int offset = (n * channels + c) * spatial + start;
                OutputRow(dy.Slice(offset, length), x.Slice(offset, length), mu, rs, gamma.IsEmpty ? T.One : gamma[c], !gamma.IsEmpty, biasFree, meanG, meanGx,
                    dx.Slice(offset, length));
            }
        }

        /// <summary>
        /// Pass 1 over one channel's row of a unit, one loop: x̂ = (x − μ)·rstd (BiasFree: x·rstd) into <paramref name="xhat"/>,
        /// g = dy·γ[c] (dy without affine), meanG += g, meanGx = g·x̂ + meanGx — per element the operations, in the order, of
        /// the TensorPrimitives calls it replaces (Subtract, Multiply, Multiply, Add, MultiplyAdd: multiply, then add), so
        /// the same bits with one pass over the row instead of five.
        /// </summary>
        private static void GatherRow(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mu, ReadOnlySpan<T> rs, T gammaC, bool affine, bool biasFree,
            Span<T> xhat, Span<T> meanG, Span<T> meanGx)
        {
            int i = 0;
            if (Vector512.IsHardwareAccelerated && dy.Length >= Vector512<T>.Count)
                i = GatherRow<Vec512<T>, Vector512<T>>(dy, x, mu, rs, gammaC, affine, biasFree, xhat, meanG, meanGx);
            else if (Vector256.IsHardwareAccelerated && dy.Length >= Vector256<T>.Count)
                i = GatherRow<Vec256<T>, Vector256<T>>(dy, x, mu, rs, gammaC, affine, biasFree, xhat, meanG, meanGx);
            else if (Vector128.IsHardwareAccelerated && dy.Length >= Vector128<T>.Count)
                i = GatherRow<Vec128<T>, Vector128<T>>(dy, x, mu, rs, gammaC, affine, biasFree, xhat, meanG, meanGx);
            for (; i < dy.Length; i++)
            {
                T xh = biasFree ? x[i] * rs[i] : (x[i] - mu[i]) * rs[i];
                xhat[i] = xh;
                T g = affine ? dy[i] * gammaC : dy[i];
                meanG[i] = meanG[i] + g;
                meanGx[i] = g * xh + meanGx[i];
            }
        }

        /// <summary><see cref="GatherRow(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, T, bool, bool, Span{T}, Span{T}, Span{T})"/>'s whole vectors; returns the first element left.</summary>
        private static int GatherRow<TOps, TV>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mu, ReadOnlySpan<T> rs, T gammaC, bool affine, bool biasFree,
            Span<T> xhat, Span<T> meanG, Span<T> meanGx)
            where TOps : IVectorMathOps<TV, T> where TV : struct
        {
            ref T dy0 = ref MemoryMarshal.GetReference(dy), x0 = ref MemoryMarshal.GetReference(x), mu0 = ref MemoryMarshal.GetReference(mu);
            ref T rs0 = ref MemoryMarshal.GetReference(rs), xhat0 = ref MemoryMarshal.GetReference(xhat);
            ref T meanG0 = ref MemoryMarshal.GetReference(meanG), meanGx0 = ref MemoryMarshal.GetReference(meanGx);
            TV gv = TOps.Create(gammaC);
            nuint i = 0, lanes = (nuint)TOps.Count, n = (nuint)dy.Length;
            for (; i + lanes <= n; i += lanes)
            {
                TV r = TOps.Load(ref rs0, i);
                TV xh = biasFree ? TOps.Multiply(TOps.Load(ref x0, i), r) : TOps.Multiply(TOps.Subtract(TOps.Load(ref x0, i), TOps.Load(ref mu0, i)), r);
                TOps.Store(xh, ref xhat0, i);
                TV g = affine ? TOps.Multiply(TOps.Load(ref dy0, i), gv) : TOps.Load(ref dy0, i);
                TOps.Store(TOps.Add(TOps.Load(ref meanG0, i), g), ref meanG0, i);
                TOps.Store(TOps.Add(TOps.Multiply(g, xh), TOps.Load(ref meanGx0, i)), ref meanGx0, i);
            }
            return (int)i;
        }

        /// <summary>
        /// Pass 2 over one channel's row, one loop: dx = (g − meanG − (x − μ)·rstd·meanGx)·rstd (BiasFree: without − meanG),
        /// each element by the operations, in the order, of the seven TensorPrimitives calls it replaces, so the same bits.
        /// Each element of dy and x is read before dx's is written, so dx may be dy or x.
        /// </summary>
        private static void OutputRow(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mu, ReadOnlySpan<T> rs, T gammaC, bool affine, bool biasFree,
            ReadOnlySpan<T> meanG, ReadOnlySpan<T> meanGx, Span<T> dx)
        {
            int i = 0;
            if (Vector512.IsHardwareAccelerated && dy.Length >= Vector512<T>.Count)
                i = OutputRow<Vec512<T>, Vector512<T>>(dy, x, mu, rs, gammaC, affine, biasFree, meanG, meanGx, dx);
            else if (Vector256.IsHardwareAccelerated && dy.Length >= Vector256<T>.Count)
                i = OutputRow<Vec256<T>, Vector256<T>>(dy, x, mu, rs, gammaC, affine, biasFree, meanG, meanGx, dx);
            else if (Vector128.IsHardwareAccelerated && dy.Length >= Vector128<T>.Count)
                i = OutputRow<Vec128<T>, Vector128<T>>(dy, x, mu, rs, gammaC, affine, biasFree, meanG, meanGx, dx);
            for (; i < dy.Length; i++)
            {
                T xh = (x[i] - mu[i]) * rs[i];
                T g = affine ? dy[i] * gammaC : dy[i];
                if (!biasFree) g -= meanG[i];
                dx[i] = (g - xh * meanGx[i]) * rs[i];
            }
        }

        /// <summary><see cref="OutputRow(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, T, bool, bool, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>'s whole vectors; returns the first element left.</summary>
        private static int OutputRow<TOps, TV>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mu, ReadOnlySpan<T> rs, T gammaC, bool affine, bool biasFree,
            ReadOnlySpan<T> meanG, ReadOnlySpan<T> meanGx, Span<T> dx)
            where TOps : IVectorMathOps<TV, T> where TV : struct
        {
            ref T dy0 = ref MemoryMarshal.GetReference(dy), x0 = ref MemoryMarshal.GetReference(x), mu0 = ref MemoryMarshal.GetReference(mu);
            ref T rs0 = ref MemoryMarshal.GetReference(rs), meanG0 = ref MemoryMarshal.GetReference(meanG), meanGx0 = ref MemoryMarshal.GetReference(meanGx);
            ref T dx0 = ref MemoryMarshal.GetReference(dx);
            TV gv = TOps.Create(gammaC);
            nuint i = 0, lanes = (nuint)TOps.Count, n = (nuint)dy.Length;
            for (; i + lanes <= n; i += lanes)
            {
                TV r = TOps.Load(ref rs0, i);
                TV xh = TOps.Multiply(TOps.Subtract(TOps.Load(ref x0, i), TOps.Load(ref mu0, i)), r);
                TV g = affine ? TOps.Multiply(TOps.Load(ref dy0, i), gv) : TOps.Load(ref dy0, i);
                if (!biasFree) g = TOps.Subtract(g, TOps.Load(ref meanG0, i));
                TOps.Store(TOps.Multiply(TOps.Subtract(g, TOps.Multiply(xh, TOps.Load(ref meanGx0, i))), r), ref dx0, i);
            }
            return (int)i;
        }
    }
}
