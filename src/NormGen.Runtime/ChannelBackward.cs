using System;
using System.Buffers;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// The backward pass of the (N, C, *) normalizations, written once for every generated backward kernel: BatchNorm in
/// training (statistics per channel over (N, *)), GroupNorm (per (sample, group)) and InstanceNorm (per (sample,
/// channel)). Same formula as <see cref="RowBackward"/> over each statistics block, with a per-channel γ:
/// <c>dx = rstd·(g − mean(g) − x̂·mean(g·x̂))</c>, g = dy·γ[c], <c>dγ[c] = Σ dy·x̂</c>, <c>dβ[c] = Σ dy</c> over (N, *).
/// </summary>
/// <remarks>
/// Each block is a list of contiguous (sample, channel) segments of <c>spatial</c> elements. Every segment's Σdy and
/// Σdy·x̂ is computed once (vectors, fixed order) and kept per (sample, channel); a block adds its segments' sums in
/// segment order in double, and dγ/dβ add the per-(sample, channel) sums over the samples in a fixed pairwise order.
/// Blocks are independent, so results are bitwise the same for any thread count. Half tensors are widened to float.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class ChannelBackward
{
    /// <summary>Backward of a float (N, C, *) tensor. Arguments are already checked; empty spans mean "absent".</summary>
    /// <param name="dy">The output gradient, N × C × spatial, dense.</param>
    /// <param name="x">The forward input.</param>
    /// <param name="mean">Saved means: C for BatchNorm (<paramref name="groups"/> = 0), N × groups otherwise.</param>
    /// <param name="rstd">Saved 1/√(σ² + ε), as <paramref name="mean"/>.</param>
    /// <param name="gamma">γ per channel (empty without affine).</param>
    /// <param name="dx">Receives the input gradient; may be <paramref name="dy"/> or <paramref name="x"/>.</param>
    /// <param name="dgamma">Receives Σ dy·x̂ per channel (or empty).</param>
    /// <param name="dbeta">Receives Σ dy per channel (or empty).</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">The product of the axes after C (1 for an (N, C) tensor).</param>
    /// <param name="groups">0 for BatchNorm (statistics per channel); G for GroupNorm; C for InstanceNorm.</param>
    public static void Run(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma,
        Span<float> dx, Span<float> dgamma, Span<float> dbeta, int batch, int channels, int spatial, int groups)
        => RunCore(dy, x, mean, rstd, gamma, dx, dgamma, dbeta, batch, channels, spatial, groups);

    /// <summary>Backward of a double (N, C, *) tensor; see the float overload.</summary>
    public static void Run(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma,
        Span<double> dx, Span<double> dgamma, Span<double> dbeta, int batch, int channels, int spatial, int groups)
        => RunCore(dy, x, mean, rstd, gamma, dx, dgamma, dbeta, batch, channels, spatial, groups);

    /// <summary>
    /// Backward of a Half (N, C, *) tensor: float math and float dγ/dβ, dx rounded once. Each statistics block's rows of dy
    /// and x are widened into the float buffer of the thread that takes it and computed there as in a float call (the same
    /// rows, so the same bits), not the whole tensor; an (N, C) BatchNorm (the panel) a row at a time.
    /// </summary>
    public static void Run(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> gamma,
        Span<Half> dx, Span<float> dgamma, Span<float> dbeta, int batch, int channels, int spatial, int groups)
    {
        if (batch * channels == 0 || spatial == 0)
        {
            dgamma.Clear();
            dbeta.Clear();
            return;
        }
        if (groups == 0 && spatial == 1)
        {
            Panel<Half, float>(dy, x, mean, rstd, gamma, dx, dgamma, dbeta, batch, channels);
            return;
        }
        float[] gammaWide = ArrayPool<float>.Shared.Rent(gamma.Length);
        try
        {
            HalfWidening.ToSingle(gamma, gammaWide);
            RunBlocks(new HalfBlockWork(batch, channels, spatial, groups), batch, channels, spatial, groups, MemoryMarshal.AsBytes(dy), MemoryMarshal.AsBytes(x),
                mean, rstd, gammaWide.AsSpan(0, gamma.Length), MemoryMarshal.AsBytes(dx), dgamma, dbeta);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(gammaWide);
        }
    }

    private static void RunCore<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
        Span<T> dx, Span<T> dgamma, Span<T> dbeta, int batch, int channels, int spatial, int groups)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int segments = batch * channels;
        if (segments == 0 || spatial == 0)
        {
            dgamma.Clear();
            dbeta.Clear();
            return;
        }
        if (groups == 0 && spatial == 1)
        {
            Panel<T, T>(dy, x, mean, rstd, gamma, dx, dgamma, dbeta, batch, channels);
            return;
        }
        RunBlocks(new BlockWork<T>(batch, channels, spatial, groups), batch, channels, spatial, groups, MemoryMarshal.AsBytes(dy), MemoryMarshal.AsBytes(x),
            mean, rstd, gamma, MemoryMarshal.AsBytes(dx), dgamma, dbeta);
    }

    /// <summary>
    /// The statistics blocks ((sample, group), or channels for BatchNorm) over the pool (on the calling thread when they do
    /// not spread): Σdy and Σdy·x̂ per (sample, channel) segment, then summed over the samples, in CombinePairwise's fixed
    /// order, into dβ and dγ. Buffers of <typeparamref name="TWork"/>: dy, x, mean, rstd, γ, dx, the two sums.
    /// </summary>
    private static void RunBlocks<T, TWork>(TWork work, int batch, int channels, int spatial, int groups, ReadOnlySpan<byte> dy, ReadOnlySpan<byte> x,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma, Span<byte> dx, Span<T> dgamma, Span<T> dbeta)
        where T : unmanaged, IFloatingPointIeee754<T> where TWork : struct, IRowKernel
    {
        int segments = batch * channels;
        T[] sums = ArrayPool<T>.Shared.Rent(2 * segments);
        try
        {
            Span<T> sumDy = sums.AsSpan(0, segments), sumDyXhat = sums.AsSpan(segments, segments);
            int blocks = groups == 0 ? channels : batch * groups;
            int blockLength = groups == 0 ? batch * spatial : channels / groups * spatial;
            int threads = RowScheduler.DegreeOfParallelism(blocks, blockLength);
            RowScheduler.Run(threads, blocks, work, dy, x, MemoryMarshal.AsBytes(mean), MemoryMarshal.AsBytes(rstd), MemoryMarshal.AsBytes(gamma), dx,
                MemoryMarshal.AsBytes(sumDy), MemoryMarshal.AsBytes(sumDyXhat));
            RowBackward.CombineChannelSums(sumDy, sumDyXhat, batch, channels, dgamma, dbeta);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(sums);
        }
    }

    /// <summary>A range of statistics blocks; also the pool work item (the spans arrive pinned).</summary>
    internal readonly struct BlockWork<T>(int batch, int channels, int spatial, int groups) : IRowKernel
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
            => Blocks(buffers.Get<T>(0), buffers.Get<T>(1), buffers.Get<T>(2), buffers.Get<T>(3), buffers.Get<T>(4), buffers.Get<T>(5),
                buffers.Get<T>(6), buffers.Get<T>(7), firstRow, rowCount);

        public void Blocks(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
            Span<T> dx, Span<T> sumDy, Span<T> sumDyXhat, int firstBlock, int blockCount)
        {
            // BatchNorm from 4 MiB: each pass a sweep in memory order (SweptChannels), the same bits.
            if (groups == 0 && batch > 1 && (long)x.Length * Unsafe.SizeOf<T>() >= BlockEngine.SampleMajorBytes)
            {
                SweptChannels(dy, x, mean, rstd, gamma, dx, sumDy, sumDyXhat, firstBlock, blockCount);
                return;
            }
            for (int block = firstBlock; block < firstBlock + blockCount; block++)
            {
                int first = FirstRow(block);
                Block(dy.Slice(first), x.Slice(first), dx.Slice(first), RowStride, mean, rstd, gamma, sumDy, sumDyXhat, block);
            }
        }

        /// <summary>
        /// One statistics block, its k-th segment's row at k·<paramref name="rowStride"/> in dy, x and dx (the tensor, or a
        /// Half block's widened rows): each segment's Σdy and Σdy·x̂ (kept for dγ/dβ), the block's Σg and Σg·x̂ in double in
        /// segment order, then dx = rstd·(γ[c]·dy − c₁ − x̂·c₂).
        /// </summary>
        public void Block(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dx, int rowStride, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
            Span<T> sumDy, Span<T> sumDyXhat, int block)
        {
            bool perChannel = groups == 0;
            int perGroup = perChannel ? 1 : channels / groups;
            int count = perChannel ? batch : perGroup; // segments per block
            T mu = mean[block], rs = rstd[block];
            for (int k = 0; k < count; k++)
            {
                int segment = Segment(block, k, perChannel, perGroup);
                RowBackward.SegmentSums(dy.Slice(k * rowStride, spatial), x.Slice(k * rowStride, spatial), mu, rs, out sumDy[segment], out sumDyXhat[segment]);
            }
            DxConstants(block, gamma, sumDy, sumDyXhat, out T c1, out T c2);
            for (int k = 0; k < count; k++)
            {
                int c = Segment(block, k, perChannel, perGroup) % channels;
                RowBackward.SegmentDx(dy.Slice(k * rowStride, spatial), x.Slice(k * rowStride, spatial), dx.Slice(k * rowStride, spatial), mu, rs,
                    gamma.IsEmpty ? T.One : gamma[c], c1, c2);
            }
        }

        /// <summary>
        /// BatchNorm's channels firstChannel … firstChannel + channelCount − 1 as <see cref="Block"/> computes them, each of
        /// its two passes a sweep over those channels in memory order, sample by sample, instead of a walk down each
        /// channel's segments a sample apart: the same SegmentSums and SegmentDx calls and the same double sums in sample
        /// order, so the same bits on any split of the channels over threads. Float, one thread, against the channel walk
        /// (2-core AMD EPYC, Zen 4 VM; best / median of 15 alternating batches): (32, 256, 14, 14) 1136 / 1276 µs against
        /// 2757 / 2988, (128, 512, 7, 7) 0.47 / 0.64 of its time, (64, 256, 28, 28) 0.88 / 0.93, (8, 64, 56, 56) 0.75 / 0.86.
        /// </summary>
        private void SweptChannels(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
            Span<T> dx, Span<T> sumDy, Span<T> sumDyXhat, int firstChannel, int channelCount)
        {
            int end = firstChannel + channelCount;
            for (int n = 0; n < batch; n++)
            {
                for (int c = firstChannel; c < end; c++)
                {
                    int segment = n * channels + c;
                    RowBackward.SegmentSums(dy.Slice(segment * spatial, spatial), x.Slice(segment * spatial, spatial), mean[c], rstd[c],
                        out sumDy[segment], out sumDyXhat[segment]);
                }
            }
            T[] constants = ArrayPool<T>.Shared.Rent(2 * channelCount);
            try
            {
                for (int c = firstChannel; c < end; c++)
                    DxConstants(c, gamma, sumDy, sumDyXhat, out constants[2 * (c - firstChannel)], out constants[2 * (c - firstChannel) + 1]);
                for (int n = 0; n < batch; n++)
                {
                    for (int c = firstChannel; c < end; c++)
                    {
                        int at = (n * channels + c) * spatial;
                        RowBackward.SegmentDx(dy.Slice(at, spatial), x.Slice(at, spatial), dx.Slice(at, spatial), mean[c], rstd[c],
                            gamma.IsEmpty ? T.One : gamma[c], constants[2 * (c - firstChannel)], constants[2 * (c - firstChannel) + 1]);
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(constants);
            }
        }

        /// <summary>
        /// The constants of a statistics block's dx = rstd·(γ[c]·dy − c₁ − x̂·c₂), from its segments' Σdy and Σdy·x̂:
        /// c₁ = Σ γ[c]·Σdy and c₂ = Σ γ[c]·Σdy·x̂ over the segments in order, in double, each divided by the block's count.
        /// </summary>
        private void DxConstants(int block, ReadOnlySpan<T> gamma, ReadOnlySpan<T> sumDy, ReadOnlySpan<T> sumDyXhat, out T c1, out T c2)
        {
            bool perChannel = groups == 0;
            int perGroup = perChannel ? 1 : channels / groups;
            int count = perChannel ? batch : perGroup; // segments per block
            double sumG = 0, sumGx = 0;
            for (int k = 0; k < count; k++)
            {
                int segment = Segment(block, k, perChannel, perGroup);
                double g = gamma.IsEmpty ? 1d : double.CreateTruncating(gamma[segment % channels]);
                sumG += g * double.CreateTruncating(sumDy[segment]);
                sumGx += g * double.CreateTruncating(sumDyXhat[segment]);
            }
            T inverseCount = T.One / T.CreateTruncating((long)count * spatial);
            c1 = T.CreateTruncating(sumG) * inverseCount;
            c2 = T.CreateTruncating(sumGx) * inverseCount;
        }

        /// <summary>Where a block's first segment starts in the tensor.</summary>
        public int FirstRow(int block) => Segment(block, 0, groups == 0, groups == 0 ? 1 : channels / groups) * spatial;

        /// <summary>Between a block's segments in the tensor: a group's channels lie one after another, a channel's samples C rows apart.</summary>
        public int RowStride => groups == 0 ? channels * spatial : spatial;

        /// <summary>The k-th (sample, channel) segment of a block: sample k of channel <c>block</c> (BatchNorm), or channel k of the group.</summary>
        private int Segment(int block, int k, bool perChannel, int perGroup)
            => perChannel ? k * channels + block : (block / groups) * channels + (block % groups) * perGroup + k;
    }
}

/// <summary>
/// A range of a Half call's statistics blocks for one thread: each block's segments of dy and x widened into a float
/// buffer (one row of <c>spatial</c> per segment), computed there by <see cref="ChannelBackward"/>'s float block (dx over the
/// widened dy) and narrowed into dx. The block's rows are all read before any of its dx is written, so dx may be dy or x.
/// </summary>
file readonly struct HalfBlockWork(int batch, int channels, int spatial, int groups) : IRowKernel
{
    public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
    {
        ReadOnlySpan<Half> dy = buffers.Get<Half>(0), x = buffers.Get<Half>(1);
        Span<Half> dx = buffers.Get<Half>(5);
        int count = groups == 0 ? batch : channels / groups, length = count * spatial;
        var block = new ChannelBackward.BlockWork<float>(batch, channels, spatial, groups);
        int stride = block.RowStride;
        float[] wide = ArrayPool<float>.Shared.Rent(2 * length);
        for (int b = firstRow; b < firstRow + rowCount; b++)
        {
            int first = block.FirstRow(b);
            Span<float> dyWide = wide.AsSpan(0, length), xWide = wide.AsSpan(length, length);
            for (int k = 0; k < count; k++)
            {
                HalfWidening.ToSingle(dy.Slice(first + k * stride, spatial), dyWide.Slice(k * spatial, spatial));
                HalfWidening.ToSingle(x.Slice(first + k * stride, spatial), xWide.Slice(k * spatial, spatial));
            }
            block.Block(dyWide, xWide, dyWide, spatial, buffers.Get<float>(2), buffers.Get<float>(3), buffers.Get<float>(4), buffers.Get<float>(6),
                buffers.Get<float>(7), b);
            for (int k = 0; k < count; k++)
                HalfNarrowing.ToHalf(dyWide.Slice(k * spatial, spatial), dx.Slice(first + k * stride, spatial));
        }
        ArrayPool<float>.Shared.Return(wide);
    }
}
