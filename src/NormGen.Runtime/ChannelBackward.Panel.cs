using System;
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormGen;

// BatchNorm backward on an (N, C) tensor (BatchNorm1d): channel c is column c of an N × C panel, so the work runs along
// whole rows, vectorized across the channels, in blocks of rows over the pool; Half rows are widened a row at a time.
public static partial class ChannelBackward
{
    /// <summary>
    /// The panel's rows per block aim at this many elements (Σdy and Σdy·x̂ rows of a block together: 2 × 32 KiB of
    /// floats, in a core's L2).
    /// </summary>
    private const int PanelBlockElements = 8192;

    /// <summary>
    /// BatchNorm on an (N, C) tensor. Σdy and Σdy·x̂ per channel are the sums over the samples in
    /// <see cref="RowBackward.CombinePairwise{T}"/>'s fixed tree; a block of a power-of-two number of rows starting at a
    /// multiple of it is a subtree of that tree (the steps below its size only add rows inside it, the later steps only
    /// its first row), so the blocks are summed apart, over the pool, and their sums then added in the tree's remaining
    /// order: the bits of the whole tree, for any block size and thread count. As γ is constant over a channel,
    /// Σg = γ·Σdy and Σg·x̂ = γ·Σdy·x̂; then dx = rstd·(γ·dy − c₁ − x̂·c₂) row by row (c₁ = γ·Σdy / N, c₂ = γ·Σdy·x̂ / N).
    /// Scratch: the blocks' sums (2·C per block) and, per thread, a block's rows of both sums.
    /// </summary>
    private static void Panel<TIn, T>(ReadOnlySpan<TIn> dy, ReadOnlySpan<TIn> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<TIn> gamma,
        Span<TIn> dx, Span<T> dgamma, Span<T> dbeta, int batch, int channels)
        where TIn : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rowsPerBlock = PanelBlockRows(batch, channels), blocks = (batch + rowsPerBlock - 1) / rowsPerBlock;
        T[] scratch = ArrayPool<T>.Shared.Rent(2 * blocks * channels + 3 * channels);
        try
        {
            Span<T> sumDy = scratch.AsSpan(0, blocks * channels), sumDyXhat = scratch.AsSpan(blocks * channels, blocks * channels);
            Span<T> c1 = scratch.AsSpan(2 * blocks * channels, channels), c2 = scratch.AsSpan(2 * blocks * channels + channels, channels);
            // γ as T: the caller's for float and double, widened into the scratch for Half.
            ReadOnlySpan<T> gammaT = default;
            if (typeof(TIn) == typeof(T))
                gammaT = MemoryMarshal.Cast<TIn, T>(gamma);
            else if (!gamma.IsEmpty)
            {
                Span<T> widened = scratch.AsSpan(2 * blocks * channels + 2 * channels, channels);
                Widen(gamma, widened);
                gammaT = widened;
            }
            int threads = RowScheduler.DegreeOfParallelism(blocks, rowsPerBlock * channels);
            var work = new PanelWork<TIn, T>(batch, channels, rowsPerBlock);
            RowScheduler.Run(threads, blocks, work, MemoryMarshal.AsBytes(dy), MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(mean),
                MemoryMarshal.AsBytes(rstd), MemoryMarshal.AsBytes(sumDy), MemoryMarshal.AsBytes(sumDyXhat));
            RowBackward.CombineChannelSums(sumDy, sumDyXhat, blocks, channels, dgamma, dbeta);
            T inverseCount = T.One / T.CreateTruncating(batch);
            TensorPrimitives.Multiply(sumDy.Slice(0, channels), inverseCount, c1);
            TensorPrimitives.Multiply(sumDyXhat.Slice(0, channels), inverseCount, c2);
            if (!gamma.IsEmpty)
            {
                TensorPrimitives.Multiply(c1, gammaT, c1);
                TensorPrimitives.Multiply(c2, gammaT, c2);
            }
            RowScheduler.Run(threads, blocks, work with { Output = true }, MemoryMarshal.AsBytes(dy), MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(mean),
                MemoryMarshal.AsBytes(rstd), MemoryMarshal.AsBytes(c1), MemoryMarshal.AsBytes(c2), MemoryMarshal.AsBytes(gammaT), MemoryMarshal.AsBytes(dx));
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// The panel's rows per block: a power of two (the tree's subtrees), about <see cref="PanelBlockElements"/> / C, and at
    /// least √N, so the blocks' sums (2·C per block) stay within about 2·C·√N however wide the rows.
    /// </summary>
    private static int PanelBlockRows(int batch, int channels)
    {
        int rows = 1;
        while (rows < batch && ((long)rows * 2 * channels <= PanelBlockElements || (long)rows * rows < batch)) rows *= 2;
        return rows;
    }

    /// <summary>A row of <typeparamref name="TIn"/> as <typeparamref name="T"/> (Half widened exactly; float or double copied).</summary>
    private static void Widen<TIn, T>(ReadOnlySpan<TIn> source, Span<T> destination) where TIn : unmanaged where T : unmanaged
    {
        if (typeof(TIn) == typeof(Half))
            HalfWidening.ToSingle(MemoryMarshal.Cast<TIn, Half>(source), MemoryMarshal.Cast<T, float>(destination));
        else
            MemoryMarshal.Cast<TIn, T>(source).CopyTo(destination);
    }

    /// <summary>
    /// A range of the panel's row blocks for one pool thread: their Σdy and Σdy·x̂ (<see cref="Sums"/>), or, with
    /// <see cref="Output"/>, their rows of dx (<see cref="Outputs"/>). The spans arrive pinned.
    /// </summary>
    private readonly record struct PanelWork<TIn, T>(int Batch, int Channels, int RowsPerBlock) : IRowKernel
        where TIn : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
    {
        public bool Output { get; init; }

        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
        {
            if (Output)
                Outputs(buffers.Get<TIn>(0), buffers.Get<TIn>(1), buffers.Get<T>(2), buffers.Get<T>(3), buffers.Get<T>(4), buffers.Get<T>(5),
                    buffers.Get<T>(6), buffers.Get<TIn>(7), firstRow, rowCount);
            else
                Sums(buffers.Get<TIn>(0), buffers.Get<TIn>(1), buffers.Get<T>(2), buffers.Get<T>(3), buffers.Get<T>(4), buffers.Get<T>(5), firstRow, rowCount);
        }

        /// <summary>
        /// Each block's rows of dy (widened or copied) and of dy·x̂ = dy·((x − μ)·rstd) (the operations of the
        /// TensorPrimitives Subtract, Multiply, Multiply they replace), summed in the tree's order
        /// (<see cref="RowBackward.CombinePairwise{T}"/> over the block's rows) into the block's row of the sums.
        /// </summary>
        private void Sums(ReadOnlySpan<TIn> dy, ReadOnlySpan<TIn> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, Span<T> sumDy, Span<T> sumDyXhat,
            int firstBlock, int blockCount)
        {
            int c = Channels, rows = RowsPerBlock;
            T[] local = ArrayPool<T>.Shared.Rent(2 * rows * c + c);
            try
            {
                Span<T> dyRows = local.AsSpan(0, rows * c), products = local.AsSpan(rows * c, rows * c), xWide = local.AsSpan(2 * rows * c, c);
                for (int block = firstBlock; block < firstBlock + blockCount; block++)
                {
                    int first = block * rows, count = Math.Min(rows, Batch - first);
                    for (int k = 0; k < count; k++)
                    {
                        Span<T> dyRow = dyRows.Slice(k * c, c);
                        Widen(dy.Slice((first + k) * c, c), dyRow);
                        ReadOnlySpan<T> xRow;
                        if (typeof(TIn) == typeof(T)) xRow = MemoryMarshal.Cast<TIn, T>(x.Slice((first + k) * c, c));
                        else { Widen(x.Slice((first + k) * c, c), xWide); xRow = xWide; }
                        ProductRow(dyRow, xRow, mean, rstd, products.Slice(k * c, c));
                    }
                    RowBackward.CombinePairwise(dyRows, count, c);
                    RowBackward.CombinePairwise(products, count, c);
                    dyRows.Slice(0, c).CopyTo(sumDy.Slice(block * c, c));
                    products.Slice(0, c).CopyTo(sumDyXhat.Slice(block * c, c));
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(local);
            }
        }

        /// <summary>
        /// Each block's rows of dx = (γ·dy − c₁ − (x − μ)·rstd·c₂)·rstd (dy without γ). A Half row is widened, computed in
        /// float and rounded once; each row of dy and x is read before its dx is written, so dx may be dy or x.
        /// </summary>
        private void Outputs(ReadOnlySpan<TIn> dy, ReadOnlySpan<TIn> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> c1, ReadOnlySpan<T> c2,
            ReadOnlySpan<T> gamma, Span<TIn> dx, int firstBlock, int blockCount)
        {
            int c = Channels, first = firstBlock * RowsPerBlock, end = Math.Min(Batch, (firstBlock + blockCount) * RowsPerBlock);
            if (typeof(TIn) == typeof(T))
            {
                for (int row = first; row < end; row++)
                    OutputRow(MemoryMarshal.Cast<TIn, T>(dy.Slice(row * c, c)), MemoryMarshal.Cast<TIn, T>(x.Slice(row * c, c)), mean, rstd, gamma, c1, c2,
                        MemoryMarshal.Cast<TIn, T>(dx.Slice(row * c, c)));
                return;
            }
            T[] local = ArrayPool<T>.Shared.Rent(2 * c);
            try
            {
                Span<T> dyWide = local.AsSpan(0, c), xWide = local.AsSpan(c, c);
                for (int row = first; row < end; row++)
                {
                    Widen(dy.Slice(row * c, c), dyWide);
                    Widen(x.Slice(row * c, c), xWide);
                    OutputRow(dyWide, xWide, mean, rstd, gamma, c1, c2, dyWide);
                    HalfNarrowing.ToHalf(MemoryMarshal.Cast<T, float>(dyWide), MemoryMarshal.Cast<TIn, Half>(dx.Slice(row * c, c)));
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(local);
            }
        }
    }

    /// <summary>p = dy·((x − μ)·rstd) per channel, one loop (the operations, in the order, of three TensorPrimitives calls).</summary>
    private static void ProductRow<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, Span<T> product)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && dy.Length >= Vector512<T>.Count)
            i = ProductRow<T, Vec512<T>, Vector512<T>>(dy, x, mean, rstd, product);
        else if (Vector256.IsHardwareAccelerated && dy.Length >= Vector256<T>.Count)
            i = ProductRow<T, Vec256<T>, Vector256<T>>(dy, x, mean, rstd, product);
        else if (Vector128.IsHardwareAccelerated && dy.Length >= Vector128<T>.Count)
            i = ProductRow<T, Vec128<T>, Vector128<T>>(dy, x, mean, rstd, product);
        for (; i < dy.Length; i++)
            product[i] = dy[i] * ((x[i] - mean[i]) * rstd[i]);
    }

    /// <summary><see cref="ProductRow{T}"/>'s whole vectors; returns the first element left.</summary>
    private static int ProductRow<T, TOps, TV>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, Span<T> product)
        where T : unmanaged, IFloatingPointIeee754<T> where TOps : IVectorMathOps<TV, T> where TV : struct
    {
        ref T dy0 = ref MemoryMarshal.GetReference(dy), x0 = ref MemoryMarshal.GetReference(x), mean0 = ref MemoryMarshal.GetReference(mean);
        ref T rstd0 = ref MemoryMarshal.GetReference(rstd), product0 = ref MemoryMarshal.GetReference(product);
        nuint i = 0, lanes = (nuint)TOps.Count, n = (nuint)dy.Length;
        for (; i + lanes <= n; i += lanes)
        {
            TV xhat = TOps.Multiply(TOps.Subtract(TOps.Load(ref x0, i), TOps.Load(ref mean0, i)), TOps.Load(ref rstd0, i));
            TOps.Store(TOps.Multiply(TOps.Load(ref dy0, i), xhat), ref product0, i);
        }
        return (int)i;
    }

    /// <summary>
    /// dx = (γ·dy − c₁ − ((x − μ)·rstd)·c₂)·rstd per channel (dy without γ), one loop: per element the operations, in the
    /// order, of the eight TensorPrimitives calls it replaces. Each element of dy and x is read before dx's is written.
    /// </summary>
    private static void OutputRow<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> c1, ReadOnlySpan<T> c2, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && dy.Length >= Vector512<T>.Count)
            i = OutputRow<T, Vec512<T>, Vector512<T>>(dy, x, mean, rstd, gamma, c1, c2, dx);
        else if (Vector256.IsHardwareAccelerated && dy.Length >= Vector256<T>.Count)
            i = OutputRow<T, Vec256<T>, Vector256<T>>(dy, x, mean, rstd, gamma, c1, c2, dx);
        else if (Vector128.IsHardwareAccelerated && dy.Length >= Vector128<T>.Count)
            i = OutputRow<T, Vec128<T>, Vector128<T>>(dy, x, mean, rstd, gamma, c1, c2, dx);
        bool affine = !gamma.IsEmpty;
        for (; i < dy.Length; i++)
        {
            T xhat = (x[i] - mean[i]) * rstd[i];
            T g = affine ? dy[i] * gamma[i] : dy[i];
            dx[i] = (g - c1[i] - xhat * c2[i]) * rstd[i];
        }
    }

    /// <summary><see cref="OutputRow{T}"/>'s whole vectors; returns the first element left.</summary>
    private static int OutputRow<T, TOps, TV>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> c1, ReadOnlySpan<T> c2, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> where TOps : IVectorMathOps<TV, T> where TV : struct
    {
        ref T dy0 = ref MemoryMarshal.GetReference(dy), x0 = ref MemoryMarshal.GetReference(x), mean0 = ref MemoryMarshal.GetReference(mean);
        ref T rstd0 = ref MemoryMarshal.GetReference(rstd), gamma0 = ref MemoryMarshal.GetReference(gamma), c10 = ref MemoryMarshal.GetReference(c1);
        ref T c20 = ref MemoryMarshal.GetReference(c2), dx0 = ref MemoryMarshal.GetReference(dx);
        bool affine = !gamma.IsEmpty;
        nuint i = 0, lanes = (nuint)TOps.Count, n = (nuint)dy.Length;
        for (; i + lanes <= n; i += lanes)
        {
            TV r = TOps.Load(ref rstd0, i);
            TV xhat = TOps.Multiply(TOps.Subtract(TOps.Load(ref x0, i), TOps.Load(ref mean0, i)), r);
            TV g = affine ? TOps.Multiply(TOps.Load(ref dy0, i), TOps.Load(ref gamma0, i)) : TOps.Load(ref dy0, i);
            g = TOps.Subtract(TOps.Subtract(g, TOps.Load(ref c10, i)), TOps.Multiply(xhat, TOps.Load(ref c20, i)));
            TOps.Store(TOps.Multiply(g, r), ref dx0, i);
        }
        return (int)i;
    }
}
