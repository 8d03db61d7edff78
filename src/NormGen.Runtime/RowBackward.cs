using System;
using System.Buffers;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>What a row backward kernel computes; set by the generated wrapper from the attribute.</summary>
[Flags]
[EditorBrowsable(EditorBrowsableState.Never)]
public enum RowBackwardFlags
{
    /// <summary>RMSNorm: x̂ = x·rstd and no mean(g) term.</summary>
    None = 0,

    /// <summary>LayerNorm: x̂ = (x − μ)·rstd and dx subtracts mean(g).</summary>
    Centered = 1,

    /// <summary>The forward applied 1 + γ (zero-centred γ), so g = dy·(1 + γ).</summary>
    ZeroCenteredGamma = 2,
}

/// <summary>
/// The backward pass of the row normalizations (LayerNorm, RMSNorm), written once for every generated backward kernel
/// (PyTorch's native formula): with x̂ = (x − μ)·rstd (RMSNorm: x·rstd) and g = dy·γ,
/// <c>dx = rstd·(g − mean(g) − x̂·mean(g·x̂))</c> (RMSNorm: without mean(g)), <c>dγ = Σ dy·x̂</c>, <c>dβ = Σ dy</c>
/// over rows.
/// </summary>
/// <remarks>
/// Determinism: rows are cut into fixed blocks of <see cref="BlockRows"/> rows whatever the thread count. Each block
/// sums its rows' dγ/dβ contributions in row order into its own partial row; the partials are then added in a fixed
/// pairwise tree (block 2k + 1 into 2k, then 4k + 2 into 4k, …). No atomics, so dx, dγ and dβ are bitwise the same for
/// any <see cref="NormGenSettings.MaxDegreeOfParallelism"/>. Within a row the two reductions (Σg, Σg·x̂) use a fixed
/// number of vector accumulators and a fixed lane order, chosen by the row length and the processor only.
/// Half inputs are widened to float per row; every sum and the partials are float (double for double inputs).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class RowBackward
{
    /// <summary>Rows per dγ/dβ partial: the fixed block partition that makes the result independent of the thread count.</summary>
    public const int BlockRows = 64;

    /// <summary>How many blocks of <see cref="BlockRows"/> rows cover <paramref name="rows"/> rows.</summary>
    public static int BlockCount(int rows) => (rows + BlockRows - 1) / BlockRows;

    /// <summary>Backward of float rows. Arguments are already checked by the generated wrapper; empty spans mean "absent".</summary>
    /// <param name="dy">The gradient of the output, rows × rowLength.</param>
    /// <param name="x">The forward input.</param>
    /// <param name="mean">The forward's saved mean per row (empty for RMSNorm).</param>
    /// <param name="rstd">The forward's saved 1/√(σ² + ε) per row.</param>
    /// <param name="gamma">γ (empty without affine).</param>
    /// <param name="dx">Receives the input gradient; may be <paramref name="dy"/> or <paramref name="x"/> (in place).</param>
    /// <param name="dgamma">Receives Σ dy·x̂ over rows (empty when not wanted).</param>
    /// <param name="dbeta">Receives Σ dy over rows (empty when not wanted).</param>
    /// <param name="rowLength">Elements per row.</param>
    /// <param name="flags">LayerNorm or RMSNorm, zero-centred γ.</param>
    public static void Run(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma,
        Span<float> dx, Span<float> dgamma, Span<float> dbeta, int rowLength, RowBackwardFlags flags)
        => RunWithGamma(new FloatRows(), dy, x, mean, rstd, gamma, dx, dgamma, dbeta, rowLength, flags);

    /// <summary>Backward of double rows; see the float overload.</summary>
    public static void Run(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma,
        Span<double> dx, Span<double> dgamma, Span<double> dbeta, int rowLength, RowBackwardFlags flags)
        => RunWithGamma(new DoubleRows(), dy, x, mean, rstd, gamma, dx, dgamma, dbeta, rowLength, flags);

    /// <summary>Backward of Half rows: float math, float statistics, float dγ/dβ; dx rounded once to Half.</summary>
    public static void Run(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> gamma,
        Span<Half> dx, Span<float> dgamma, Span<float> dbeta, int rowLength, RowBackwardFlags flags)
        => RunWithGamma(new HalfRows(), dy, x, mean, rstd, gamma, dx, dgamma, dbeta, rowLength, flags);

    /// <summary>
    /// The overloads' one body: zero rows clear dγ and dβ; otherwise γ (empty without affine) is widened to the
    /// accumulation type in pooled scratch and made what the kernel multiplies by (<see cref="EffectiveGamma"/>), then
    /// <see cref="RunCore"/>.
    /// </summary>
    private static void RunWithGamma<TRows, TIn, TAcc>(TRows kernel, ReadOnlySpan<TIn> dy, ReadOnlySpan<TIn> x, ReadOnlySpan<TAcc> mean, ReadOnlySpan<TAcc> rstd,
        ReadOnlySpan<TIn> gamma, Span<TIn> dx, Span<TAcc> dgamma, Span<TAcc> dbeta, int rowLength, RowBackwardFlags flags)
        where TRows : struct, IRows<TIn, TAcc>
        where TIn : unmanaged
        where TAcc : unmanaged, IFloatingPointIeee754<TAcc>
    {
        if (rstd.IsEmpty)
        {
            dgamma.Clear();
            dbeta.Clear();
            return;
        }
        TAcc[] gammaEffective = ArrayPool<TAcc>.Shared.Rent(rowLength);
        Span<TAcc> effective = gammaEffective.AsSpan(0, rowLength);
        if (!gamma.IsEmpty) kernel.Widen(gamma, effective);
        EffectiveGamma(gamma.IsEmpty ? default : effective, effective, flags);
        RunCore(kernel, dy, x, mean, rstd, gammaEffective, dx, dgamma, dbeta, rowLength, flags);
        ArrayPool<TAcc>.Shared.Return(gammaEffective);
    }

    /// <summary>
    /// γ as the kernel multiplies by it, written into <paramref name="into"/>: 1 without affine, 1 + γ when zero-centred.
    /// <paramref name="gamma"/> may be <paramref name="into"/> itself.
    /// </summary>
    internal static void EffectiveGamma<T>(ReadOnlySpan<T> gamma, Span<T> into, RowBackwardFlags flags) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (gamma.IsEmpty) into.Fill(T.One);
        else if ((flags & RowBackwardFlags.ZeroCenteredGamma) != 0) TensorPrimitives.Add(gamma, T.One, into);
        else if (gamma != into) gamma.CopyTo(into);
    }

    // ------------------------------------------------------------------ the driver: fixed blocks, partials, fixed combine

    /// <summary>One element type's row loop (float, double, Half widened to float); TAcc is the accumulation type.</summary>
    private interface IRows<TIn, TAcc> where TIn : unmanaged where TAcc : unmanaged
    {
        /// <summary>Row-length parameters (γ) in the accumulation type: copied, or Half widened to float.</summary>
        void Widen(ReadOnlySpan<TIn> source, Span<TAcc> into);

        void Blocks(ReadOnlySpan<TIn> dy, ReadOnlySpan<TIn> x, ReadOnlySpan<TAcc> mean, ReadOnlySpan<TAcc> rstd, ReadOnlySpan<TAcc> gammaEffective,
            Span<TIn> dx, Span<TAcc> partials, int rowLength, int rows, int firstBlock, int blockCount, bool centered, bool accumulate);
    }

    private static void RunCore<TRows, TIn, TAcc>(TRows kernel, ReadOnlySpan<TIn> dy, ReadOnlySpan<TIn> x, ReadOnlySpan<TAcc> mean, ReadOnlySpan<TAcc> rstd,
        TAcc[] gammaEffective, Span<TIn> dx, Span<TAcc> dgamma, Span<TAcc> dbeta, int rowLength, RowBackwardFlags flags)
        where TRows : struct, IRows<TIn, TAcc>
        where TIn : unmanaged
        where TAcc : unmanaged, IFloatingPointIeee754<TAcc>
    {
        int rows = rstd.Length;
        int blocks = BlockCount(rows);
        bool accumulate = !dgamma.IsEmpty || !dbeta.IsEmpty;
        bool centered = (flags & RowBackwardFlags.Centered) != 0;
        // Per block: the dγ partial row, then the dβ partial row.
        int partialLength = accumulate ? checked(blocks * 2 * rowLength) : 0;
        TAcc[]? partials = accumulate ? ArrayPool<TAcc>.Shared.Rent(partialLength) : null;
        try
        {
            Span<TAcc> partialSpan = partials.AsSpan(0, partialLength);
            ReadOnlySpan<TAcc> gammaSpan = gammaEffective.AsSpan(0, rowLength);
            int threads = RowScheduler.DegreeOfParallelism(blocks, BlockRows * rowLength);
            if (threads == 1)
                kernel.Blocks(dy, x, mean, rstd, gammaSpan, dx, partialSpan, rowLength, rows, 0, blocks, centered, accumulate);
            else
                RowScheduler.Run(threads, blocks, new BlockWork<TRows, TIn, TAcc>(kernel, rowLength, rows, centered, accumulate),
                    MemoryMarshal.AsBytes(dy), MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(mean), MemoryMarshal.AsBytes(rstd),
                    MemoryMarshal.AsBytes(gammaSpan), MemoryMarshal.AsBytes(dx), MemoryMarshal.AsBytes(partialSpan));

            if (accumulate)
            {
                CombinePairwise(partialSpan, blocks, 2 * rowLength);
                if (!dgamma.IsEmpty) partialSpan.Slice(0, rowLength).CopyTo(dgamma);
                if (!dbeta.IsEmpty) partialSpan.Slice(rowLength, rowLength).CopyTo(dbeta);
            }
        }
        finally
        {
            if (partials is not null) ArrayPool<TAcc>.Shared.Return(partials);
        }
    }

    /// <summary>
    /// The channel kinds' dβ and dγ: <paramref name="count"/> partial rows of Σdy and of Σdy·x̂ per channel, each added in
    /// <see cref="CombinePairwise{T}"/>'s fixed order into its first row, which goes to <paramref name="dbeta"/> and
    /// <paramref name="dgamma"/> (each skipped when empty).
    /// </summary>
    internal static void CombineChannelSums<T>(Span<T> sumDy, Span<T> sumDyXhat, int count, int channels, Span<T> dgamma, Span<T> dbeta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CombinePairwise(sumDy, count, channels);
        CombinePairwise(sumDyXhat, count, channels);
        if (!dgamma.IsEmpty) sumDyXhat.Slice(0, channels).CopyTo(dgamma);
        if (!dbeta.IsEmpty) sumDy.Slice(0, channels).CopyTo(dbeta);
    }

    /// <summary>
    /// Adds <paramref name="count"/> partial rows of <paramref name="length"/> elements into the first, in a fixed pairwise
    /// tree: at step s, row k·2s + s is added into row k·2s. The order depends on the count only.
    /// </summary>
    public static void CombinePairwise<T>(Span<T> partials, int count, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int step = 1; step < count; step *= 2)
        {
            for (int k = 0; k + step < count; k += 2 * step)
            {
                Span<T> into = partials.Slice(k * length, length);
                TensorPrimitives.Add(into, partials.Slice((k + step) * length, length), into);
            }
        }
    }

    /// <summary>A range of blocks for one pool thread; the spans arrive pinned.</summary>
    private readonly struct BlockWork<TRows, TIn, TAcc>(TRows kernel, int rowLength, int rows, bool centered, bool accumulate) : IRowKernel
        where TRows : struct, IRows<TIn, TAcc>
        where TIn : unmanaged
        where TAcc : unmanaged
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
            => kernel.Blocks(buffers.Get<TIn>(0), buffers.Get<TIn>(1), buffers.Get<TAcc>(2), buffers.Get<TAcc>(3), buffers.Get<TAcc>(4),
                buffers.Get<TIn>(5), buffers.Get<TAcc>(6), rowLength, rows, firstRow, rowCount, centered, accumulate);
    }

    private readonly struct FloatRows : IRows<float, float>
    {
        public void Widen(ReadOnlySpan<float> source, Span<float> into) => source.CopyTo(into);

        public void Blocks(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gammaEffective,
            Span<float> dx, Span<float> partials, int rowLength, int rows, int firstBlock, int blockCount, bool centered, bool accumulate)
            => BlocksOf<float>(dy, x, mean, rstd, gammaEffective, dx, partials, rowLength, rows, firstBlock, blockCount, centered, accumulate);
    }

    private readonly struct DoubleRows : IRows<double, double>
    {
        public void Widen(ReadOnlySpan<double> source, Span<double> into) => source.CopyTo(into);

        public void Blocks(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gammaEffective,
            Span<double> dx, Span<double> partials, int rowLength, int rows, int firstBlock, int blockCount, bool centered, bool accumulate)
            => BlocksOf<double>(dy, x, mean, rstd, gammaEffective, dx, partials, rowLength, rows, firstBlock, blockCount, centered, accumulate);
    }

    /// <summary>Half rows: each row of dy and x is widened into float scratch, run through the float row, and dx rounded once.</summary>
    private readonly struct HalfRows : IRows<Half, float>
    {
        public void Widen(ReadOnlySpan<Half> source, Span<float> into) => HalfWidening.ToSingle(source, into);

        public void Blocks(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gammaEffective,
            Span<Half> dx, Span<float> partials, int rowLength, int rows, int firstBlock, int blockCount, bool centered, bool accumulate)
        {
            float[] scratch = ArrayPool<float>.Shared.Rent(3 * rowLength);
            Span<float> dyRow = scratch.AsSpan(0, rowLength), xRow = scratch.AsSpan(rowLength, rowLength), dxRow = scratch.AsSpan(2 * rowLength, rowLength);
            for (int block = firstBlock; block < firstBlock + blockCount; block++)
            {
                int first = block * BlockRows, last = Math.Min(rows, first + BlockRows);
                BlockPartials(partials, block, rowLength, accumulate, out Span<float> pg, out Span<float> pb);
                for (int row = first; row < last; row++)
                {
                    HalfWidening.ToSingle(dy.Slice(row * rowLength, rowLength), dyRow);
                    HalfWidening.ToSingle(x.Slice(row * rowLength, rowLength), xRow);
                    Row(dyRow, xRow, centered ? mean[row] : 0f, rstd[row], gammaEffective, dxRow, pg, pb, centered, accumulate);
                    HalfNarrowing.ToHalf(dxRow, dx.Slice(row * rowLength, rowLength));
                }
            }
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>Block <paramref name="block"/>'s dγ and dβ partial rows, cleared (empty when nothing accumulates).</summary>
    private static void BlockPartials<T>(Span<T> partials, int block, int rowLength, bool accumulate, out Span<T> pg, out Span<T> pb)
        where T : unmanaged
    {
        pg = accumulate ? partials.Slice(block * 2 * rowLength, rowLength) : default;
        pb = accumulate ? partials.Slice(block * 2 * rowLength + rowLength, rowLength) : default;
        pg.Clear();
        pb.Clear();
    }

    /// <summary>
    /// Blocks firstBlock … firstBlock + blockCount − 1: dx for their rows, and each block's partial rows. A dx too large
    /// for the cache (<see cref="RowScheduler.UseStreamingStores(long)"/>) is written with non-temporal stores, pinned here.
    /// </summary>
    private static unsafe void BlocksOf<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gammaEffective,
        Span<T> dx, Span<T> partials, int rowLength, int rows, int firstBlock, int blockCount, bool centered, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long bytes = (long)rows * rowLength * sizeof(T);
        bool streaming = RowScheduler.UseStreamingStores(bytes);
        // Prefetching the next pair pays off only when dy and x come from memory (measured: it slows rows that are in
        // cache), so it follows the streaming stores, or the cache-sized default threshold when stores are ordinary.
        bool prefetchRows = streaming || bytes >= NormGenSettings.DefaultStreamingStoreThreshold;
        fixed (T* pinned = dx)
        for (int block = firstBlock; block < firstBlock + blockCount; block++)
        {
            int first = block * BlockRows, last = Math.Min(rows, first + BlockRows);
            BlockPartials(partials, block, rowLength, accumulate, out Span<T> pg, out Span<T> pb);
            int row = first;
            // Rows in pairs (one pass 2 and one partial update for both; the same bits as row by row), prefetching the next pair.
            for (; row + 1 < last; row += 2)
            {
                int offset = row * rowLength;
                bool prefetch = prefetchRows && row + 3 < rows;
                int next = prefetch ? offset + 2 * rowLength : offset;
                RowPair(dy.Slice(offset, 2 * rowLength), x.Slice(offset, 2 * rowLength), centered ? mean[row] : T.Zero, rstd[row],
                    centered ? mean[row + 1] : T.Zero, rstd[row + 1], gammaEffective, dx.Slice(offset, 2 * rowLength), pg, pb, centered, accumulate, streaming,
                    ref Unsafe.Add(ref MemoryMarshal.GetReference(dy), next), ref Unsafe.Add(ref MemoryMarshal.GetReference(x), next), prefetch);
            }
            for (; row < last; row++)
            {
                int offset = row * rowLength;
                Row(dy.Slice(offset, rowLength), x.Slice(offset, rowLength), centered ? mean[row] : T.Zero, rstd[row], gammaEffective,
                    dx.Slice(offset, rowLength), pg, pb, centered, accumulate, streaming);
            }
        }
        if (streaming) StreamingStore.Fence();
    }

    // ------------------------------------------------------------------ one row, one loop skeleton for every width

    /// <summary>
    /// One row with the widest vectors the processor accelerates (JIT-time constants) that fit the row. With
    /// <paramref name="streaming"/>, dx (pinned by the caller) is written with non-temporal stores where it is aligned to a
    /// 512- or 256-bit vector, the same bits; narrower vectors store as usual.
    /// </summary>
    internal static void Row<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, T mu, T rstd, ReadOnlySpan<T> gammaEffective, Span<T> dx,
        Span<T> pg, Span<T> pb, bool centered, bool accumulate, bool streaming = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T dy0 = ref MemoryMarshal.GetReference(dy);
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T g0 = ref MemoryMarshal.GetReference(gammaEffective);
        ref T dx0 = ref MemoryMarshal.GetReference(dx);
        ref T pg0 = ref MemoryMarshal.GetReference(pg);
        ref T pb0 = ref MemoryMarshal.GetReference(pb);
        nuint n = (nuint)x.Length;
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
            RowOf<Vector512<T>, T, Vec512<T>>(ref dy0, ref x0, mu, rstd, ref g0, ref dx0, ref pg0, ref pb0, n, centered, accumulate, streaming);
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
            RowOf<Vector256<T>, T, Vec256<T>>(ref dy0, ref x0, mu, rstd, ref g0, ref dx0, ref pg0, ref pb0, n, centered, accumulate, streaming);
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
            RowOf<Vector128<T>, T, Vec128<T>>(ref dy0, ref x0, mu, rstd, ref g0, ref dx0, ref pg0, ref pb0, n, centered, accumulate);
        else
            RowOf<T, T, Scalar<T>>(ref dy0, ref x0, mu, rstd, ref g0, ref dx0, ref pg0, ref pb0, n, centered, accumulate);
    }

    /// <summary>Rows a and b = a + 1 (spans of 2 × rowLength) with the widest accelerated vectors that fit a row; see <see cref="RowPairOf"/>.</summary>
    private static void RowPair<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, T muA, T rstdA, T muB, T rstdB, ReadOnlySpan<T> gammaEffective, Span<T> dx,
        Span<T> pg, Span<T> pb, bool centered, bool accumulate, bool streaming, ref T nextDy, ref T nextX, bool prefetch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T dy0 = ref MemoryMarshal.GetReference(dy);
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T g0 = ref MemoryMarshal.GetReference(gammaEffective);
        ref T dx0 = ref MemoryMarshal.GetReference(dx);
        ref T pg0 = ref MemoryMarshal.GetReference(pg);
        ref T pb0 = ref MemoryMarshal.GetReference(pb);
        nuint n = (nuint)gammaEffective.Length;
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
            RowPairOf<Vector512<T>, T, Vec512<T>>(ref dy0, ref x0, muA, rstdA, muB, rstdB, ref g0, ref dx0, ref pg0, ref pb0, n, centered, accumulate, streaming,
                ref nextDy, ref nextX, prefetch);
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
            RowPairOf<Vector256<T>, T, Vec256<T>>(ref dy0, ref x0, muA, rstdA, muB, rstdB, ref g0, ref dx0, ref pg0, ref pb0, n, centered, accumulate, streaming,
                ref nextDy, ref nextX, prefetch);
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
            RowPairOf<Vector128<T>, T, Vec128<T>>(ref dy0, ref x0, muA, rstdA, muB, rstdB, ref g0, ref dx0, ref pg0, ref pb0, n, centered, accumulate, false,
                ref nextDy, ref nextX, prefetch);
        else
            RowPairOf<T, T, Scalar<T>>(ref dy0, ref x0, muA, rstdA, muB, rstdB, ref g0, ref dx0, ref pg0, ref pb0, n, centered, accumulate, false,
                ref nextDy, ref nextX, prefetch);
    }

    /// <summary>
    /// The row written once for every width: pass 1 sums g and g·x̂ (two accumulators each, to hide add latency), pass 2
    /// writes dx = rstd·(g − c₁ − x̂·c₂) and adds dy·x̂ and dy into the block's partials. Each element of dy and x is read
    /// before dx at the same index is written, so dx may be dy or x. The remainder after the last whole vector runs
    /// through the scalar operations (the same formula).
    /// </summary>
    private static void RowOf<TV, T, TOps>(ref T dy, ref T x, T mu, T rstd, ref T gamma, ref T dx, ref T pg, ref T pb, nuint n, bool centered, bool accumulate,
        bool streaming = false)
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOps : IVectorOps<TV, T>
    {
        nuint width = (nuint)TOps.Count, i;
        TV m = TOps.Create(mu), r = TOps.Create(rstd);
        RowSums<TV, T, TOps>(ref dy, ref x, mu, rstd, ref gamma, n, out T sumG, out T sumGx);
        Coefficients(sumG, sumGx, n, centered, out T c1, out T c2);
        TV c1v = TOps.Create(c1), c2v = TOps.Create(c2);
        nuint vectorEnd = n - n % width;
        // Non-temporal stores: the elements before dx's first aligned vector go through the scalar formula (the same bits),
        // the vectors are stored aligned from there; each stored vector's dy and x were read first, so dx may still be dy or x.
        nuint head = streaming ? (nuint)StreamingStore.ElementsToAlignment(ref dx, (int)width) : 0;
        if (head == width || head > n) { streaming = false; head = 0; }
        if (streaming)
        {
            RowTail(ref dy, ref x, mu, rstd, ref gamma, ref dx, ref pg, ref pb, c1, c2, 0, head, accumulate);
            vectorEnd = head + (n - head) / width * width;
            for (i = head; i < vectorEnd; i += width)
            {
                TV d = TOps.Load(ref dy, i);
                TV xh = TOps.Multiply(TOps.Subtract(TOps.Load(ref x, i), m), r);
                TV g = TOps.Multiply(d, TOps.Load(ref gamma, i));
                if (accumulate)
                {
                    TOps.Store(TOps.Add(TOps.Load(ref pg, i), TOps.Multiply(d, xh)), ref pg, i);
                    TOps.Store(TOps.Add(TOps.Load(ref pb, i), d), ref pb, i);
                }
                StoreNonTemporal(TOps.Multiply(r, TOps.Subtract(TOps.Subtract(g, c1v), TOps.Multiply(xh, c2v))), ref Unsafe.Add(ref dx, i));
            }
        }
        else if (accumulate)
        {
            for (i = 0; i < vectorEnd; i += width)
            {
                TV d = TOps.Load(ref dy, i);
                TV xh = TOps.Multiply(TOps.Subtract(TOps.Load(ref x, i), m), r);
                TV g = TOps.Multiply(d, TOps.Load(ref gamma, i));
                TOps.Store(TOps.Add(TOps.Load(ref pg, i), TOps.Multiply(d, xh)), ref pg, i);
                TOps.Store(TOps.Add(TOps.Load(ref pb, i), d), ref pb, i);
                TOps.Store(TOps.Multiply(r, TOps.Subtract(TOps.Subtract(g, c1v), TOps.Multiply(xh, c2v))), ref dx, i);
            }
        }
        else
        {
            for (i = 0; i < vectorEnd; i += width)
            {
                TV xh = TOps.Multiply(TOps.Subtract(TOps.Load(ref x, i), m), r);
                TV g = TOps.Multiply(TOps.Load(ref dy, i), TOps.Load(ref gamma, i));
                TOps.Store(TOps.Multiply(r, TOps.Subtract(TOps.Subtract(g, c1v), TOps.Multiply(xh, c2v))), ref dx, i);
            }
        }
        RowTail(ref dy, ref x, mu, rstd, ref gamma, ref dx, ref pg, ref pb, c1, c2, vectorEnd, n, accumulate);
    }

    /// <summary>Pass 1 of a row: Σg and Σg·x̂ with two vector accumulators each (to hide add latency), then the scalar remainder.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowSums<TV, T, TOps>(ref T dy, ref T x, T mu, T rstd, ref T gamma, nuint n, out T sumG, out T sumGx)
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOps : IVectorOps<TV, T>
    {
        nuint width = (nuint)TOps.Count, i = 0;
        TV m = TOps.Create(mu), r = TOps.Create(rstd);
        TV sg0 = TOps.Zero, sg1 = sg0, sx0 = sg0, sx1 = sg0;
        for (; i + 2 * width <= n; i += 2 * width)
        {
            TV xh0 = TOps.Multiply(TOps.Subtract(TOps.Load(ref x, i), m), r);
            TV g0 = TOps.Multiply(TOps.Load(ref dy, i), TOps.Load(ref gamma, i));
            sg0 = TOps.Add(sg0, g0);
            sx0 = TOps.Add(sx0, TOps.Multiply(g0, xh0));
            TV xh1 = TOps.Multiply(TOps.Subtract(TOps.Load(ref x, i + width), m), r);
            TV g1 = TOps.Multiply(TOps.Load(ref dy, i + width), TOps.Load(ref gamma, i + width));
            sg1 = TOps.Add(sg1, g1);
            sx1 = TOps.Add(sx1, TOps.Multiply(g1, xh1));
        }
        for (; i + width <= n; i += width)
        {
            TV xh = TOps.Multiply(TOps.Subtract(TOps.Load(ref x, i), m), r);
            TV g = TOps.Multiply(TOps.Load(ref dy, i), TOps.Load(ref gamma, i));
            sg0 = TOps.Add(sg0, g);
            sx0 = TOps.Add(sx0, TOps.Multiply(g, xh));
        }
        sumG = TOps.Sum(TOps.Add(sg0, sg1));
        sumGx = TOps.Sum(TOps.Add(sx0, sx1));
        for (; i < n; i++)
        {
            T xh = (Unsafe.Add(ref x, i) - mu) * rstd;
            T g = Unsafe.Add(ref dy, i) * Unsafe.Add(ref gamma, i);
            sumG += g;
            sumGx += g * xh;
        }

    }

    /// <summary>c₁ = mean(g) (0 for RMSNorm) and c₂ = mean(g·x̂) from a row's two sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Coefficients<T>(T sumG, T sumGx, nuint n, bool centered, out T c1, out T c2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T inverseN = T.One / T.CreateTruncating(n);
        c1 = centered ? sumG * inverseN : T.Zero;
        c2 = sumGx * inverseN;
    }

    /// <summary>
    /// Two consecutive rows a and b (b = a + 1) of one block: the bits of <see cref="RowOf"/> on a, then on b, with one
    /// pass 2 for both. Each partial element gets a's dy·x̂ and dy, then b's, in that order (the sequential order), but
    /// is loaded and stored once for the pair instead of once per row, and γ is loaded once. While pass 2 runs, the next
    /// pair's dy and x (from <paramref name="nextDy"/> and <paramref name="nextX"/>, 2·n elements each) are prefetched a
    /// line per vector of each, so their reads from memory overlap this pair's writes. dx of a row may be its dy or x.
    /// </summary>
    private static void RowPairOf<TV, T, TOps>(ref T dy, ref T x, T muA, T rstdA, T muB, T rstdB, ref T gamma, ref T dx, ref T pg, ref T pb,
        nuint n, bool centered, bool accumulate, bool streaming, ref T nextDy, ref T nextX, bool prefetch)
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOps : IVectorOps<TV, T>
    {
        ref T dyB = ref Unsafe.Add(ref dy, n), xB = ref Unsafe.Add(ref x, n), dxB = ref Unsafe.Add(ref dx, n);
        nuint width = (nuint)TOps.Count, i;
        RowSums<TV, T, TOps>(ref dy, ref x, muA, rstdA, ref gamma, n, out T sumGA, out T sumGxA);
        RowSums<TV, T, TOps>(ref dyB, ref xB, muB, rstdB, ref gamma, n, out T sumGB, out T sumGxB);
        Coefficients(sumGA, sumGxA, n, centered, out T c1A, out T c2A);
        Coefficients(sumGB, sumGxB, n, centered, out T c1B, out T c2B);
        TV mA = TOps.Create(muA), rA = TOps.Create(rstdA), c1A_ = TOps.Create(c1A), c2A_ = TOps.Create(c2A);
        TV mB = TOps.Create(muB), rB = TOps.Create(rstdB), c1B_ = TOps.Create(c1B), c2B_ = TOps.Create(c2B);
        // Non-temporal stores as in RowOf; both rows must reach vector alignment at the same element, else ordinary stores.
        nuint head = streaming ? (nuint)StreamingStore.ElementsToAlignment(ref dx, (int)width) : 0;
        if (streaming && (head == width || head > n || (nuint)StreamingStore.ElementsToAlignment(ref dxB, (int)width) != head)) { streaming = false; head = 0; }
        RowTail(ref dy, ref x, muA, rstdA, ref gamma, ref dx, ref pg, ref pb, c1A, c2A, 0, head, accumulate);
        RowTail(ref dyB, ref xB, muB, rstdB, ref gamma, ref dxB, ref pg, ref pb, c1B, c2B, 0, head, accumulate);
        nuint vectorEnd = head + (n - head) / width * width;
        // One prefetch per cache line: a vector of at least 64 bytes covers a line; narrower vectors prefetch every line twice (harmless).
        ref T nextDyB = ref Unsafe.Add(ref nextDy, n), nextXB = ref Unsafe.Add(ref nextX, n);
        // The next pair's four rows into L2 once they pass StreamingStore.MaxL1PrefetchBytes (rows of 4 KiB and more):
        // brought into L1 they evicted the lines this pass reads. One thread, LayerNorm backward, thread CPU, median of
        // 11, into L2 ÷ into L1 in speed (2-core AMD EPYC Zen 4, two runs): 2048 × 8192 floats 1.11–1.19, 8192 × 2048
        // 1.03–1.07, 16384 × 1024 1.05–1.07.
        bool toL2 = StreamingStore.PrefetchesToL2(4 * n * (nuint)Unsafe.SizeOf<T>());
        for (i = head; i < vectorEnd; i += width)
        {
            if (prefetch)
            {
                StreamingStore.Prefetch(ref nextDy, i, toL2);
                StreamingStore.Prefetch(ref nextX, i, toL2);
                StreamingStore.Prefetch(ref nextDyB, i, toL2);
                StreamingStore.Prefetch(ref nextXB, i, toL2);
            }
            TV gm = TOps.Load(ref gamma, i);
            TV dA = TOps.Load(ref dy, i);
            TV xhA = TOps.Multiply(TOps.Subtract(TOps.Load(ref x, i), mA), rA);
            TV gA = TOps.Multiply(dA, gm);
            TV dB = TOps.Load(ref dyB, i);
            TV xhB = TOps.Multiply(TOps.Subtract(TOps.Load(ref xB, i), mB), rB);
            TV gB = TOps.Multiply(dB, gm);
            if (accumulate)
            {
                TOps.Store(TOps.Add(TOps.Add(TOps.Load(ref pg, i), TOps.Multiply(dA, xhA)), TOps.Multiply(dB, xhB)), ref pg, i);
                TOps.Store(TOps.Add(TOps.Add(TOps.Load(ref pb, i), dA), dB), ref pb, i);
            }
            TV dxA = TOps.Multiply(rA, TOps.Subtract(TOps.Subtract(gA, c1A_), TOps.Multiply(xhA, c2A_)));
            TV dxBv = TOps.Multiply(rB, TOps.Subtract(TOps.Subtract(gB, c1B_), TOps.Multiply(xhB, c2B_)));
            if (streaming)
            {
                StoreNonTemporal(dxA, ref Unsafe.Add(ref dx, i));
                StoreNonTemporal(dxBv, ref Unsafe.Add(ref dxB, i));
            }
            else
            {
                TOps.Store(dxA, ref dx, i);
                TOps.Store(dxBv, ref dxB, i);
            }
        }
        RowTail(ref dy, ref x, muA, rstdA, ref gamma, ref dx, ref pg, ref pb, c1A, c2A, vectorEnd, n, accumulate);
        RowTail(ref dyB, ref xB, muB, rstdB, ref gamma, ref dxB, ref pg, ref pb, c1B, c2B, vectorEnd, n, accumulate);
    }

    /// <summary>Pass 2 of <see cref="RowOf"/> for elements from … to − 1 with scalars: the vector formula, element by element.</summary>
    private static void RowTail<T>(ref T dy, ref T x, T mu, T rstd, ref T gamma, ref T dx, ref T pg, ref T pb, T c1, T c2, nuint from, nuint to, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (nuint i = from; i < to; i++)
        {
            T d = Unsafe.Add(ref dy, i);
            T xh = (Unsafe.Add(ref x, i) - mu) * rstd;
            T g = d * Unsafe.Add(ref gamma, i);
            if (accumulate)
            {
                Unsafe.Add(ref pg, i) += d * xh;
                Unsafe.Add(ref pb, i) += d;
            }
            Unsafe.Add(ref dx, i) = rstd * ((g - c1) - xh * c2);
        }
    }

    /// <summary>An aligned non-temporal store of a 512- or 256-bit vector of float or double (the type tests are JIT-time constants).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreNonTemporal<TV, T>(TV value, ref T destination) where TV : struct where T : unmanaged
    {
        if (typeof(TV) == typeof(Vector512<float>)) StreamingStore.Store(Unsafe.As<TV, Vector512<float>>(ref value), ref Unsafe.As<T, float>(ref destination));
        else if (typeof(TV) == typeof(Vector512<double>)) StreamingStore.Store(Unsafe.As<TV, Vector512<double>>(ref value), ref Unsafe.As<T, double>(ref destination));
        else if (typeof(TV) == typeof(Vector256<float>)) StreamingStore.Store(Unsafe.As<TV, Vector256<float>>(ref value), ref Unsafe.As<T, float>(ref destination));
        else if (typeof(TV) == typeof(Vector256<double>)) StreamingStore.Store(Unsafe.As<TV, Vector256<double>>(ref value), ref Unsafe.As<T, double>(ref destination));
        else throw new NotSupportedException();
    }

    // ------------------------------------------------------------------ segments of the (N, C, *) kinds (ChannelBackward)

    /// <summary>Σdy and Σdy·x̂ over one contiguous segment, x̂ = (x − μ)·rstd, with the widest accelerated vectors.</summary>
    internal static void SegmentSums<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, T mu, T rstd, out T sumDy, out T sumDyXhat)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T dy0 = ref MemoryMarshal.GetReference(dy);
        ref T x0 = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length;
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
            SegmentSumsOf<Vector512<T>, T, Vec512<T>>(ref dy0, ref x0, mu, rstd, n, out sumDy, out sumDyXhat);
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
            SegmentSumsOf<Vector256<T>, T, Vec256<T>>(ref dy0, ref x0, mu, rstd, n, out sumDy, out sumDyXhat);
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
            SegmentSumsOf<Vector128<T>, T, Vec128<T>>(ref dy0, ref x0, mu, rstd, n, out sumDy, out sumDyXhat);
        else
            SegmentSumsOf<T, T, Scalar<T>>(ref dy0, ref x0, mu, rstd, n, out sumDy, out sumDyXhat);
    }

    /// <summary>dx = rstd·(γ·dy − c₁ − x̂·c₂) over one contiguous segment; dx may be dy or x.</summary>
    internal static void SegmentDx<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, Span<T> dx, T mu, T rstd, T gamma, T c1, T c2)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T dy0 = ref MemoryMarshal.GetReference(dy);
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T dx0 = ref MemoryMarshal.GetReference(dx);
        nuint n = (nuint)x.Length;
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
            SegmentDxOf<Vector512<T>, T, Vec512<T>>(ref dy0, ref x0, ref dx0, mu, rstd, gamma, c1, c2, n);
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
            SegmentDxOf<Vector256<T>, T, Vec256<T>>(ref dy0, ref x0, ref dx0, mu, rstd, gamma, c1, c2, n);
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
            SegmentDxOf<Vector128<T>, T, Vec128<T>>(ref dy0, ref x0, ref dx0, mu, rstd, gamma, c1, c2, n);
        else
            SegmentDxOf<T, T, Scalar<T>>(ref dy0, ref x0, ref dx0, mu, rstd, gamma, c1, c2, n);
    }

    private static void SegmentSumsOf<TV, T, TOps>(ref T dy, ref T x, T mu, T rstd, nuint n, out T sumDy, out T sumDyXhat)
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOps : IVectorOps<TV, T>
    {
        nuint width = (nuint)TOps.Count, i = 0;
        TV m = TOps.Create(mu), r = TOps.Create(rstd), s0 = TOps.Zero, s1 = s0;
        for (; i + width <= n; i += width)
        {
            TV d = TOps.Load(ref dy, i);
            s0 = TOps.Add(s0, d);
            s1 = TOps.Add(s1, TOps.Multiply(d, TOps.Multiply(TOps.Subtract(TOps.Load(ref x, i), m), r)));
        }
        sumDy = TOps.Sum(s0);
        sumDyXhat = TOps.Sum(s1);
        for (; i < n; i++)
        {
            T d = Unsafe.Add(ref dy, i);
            sumDy += d;
            sumDyXhat += d * ((Unsafe.Add(ref x, i) - mu) * rstd);
        }
    }

    private static void SegmentDxOf<TV, T, TOps>(ref T dy, ref T x, ref T dx, T mu, T rstd, T gamma, T c1, T c2, nuint n)
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOps : IVectorOps<TV, T>
    {
        nuint width = (nuint)TOps.Count, i = 0;
        TV m = TOps.Create(mu), r = TOps.Create(rstd), g = TOps.Create(gamma), c1v = TOps.Create(c1), c2v = TOps.Create(c2);
        for (; i + width <= n; i += width)
        {
            TV xh = TOps.Multiply(TOps.Subtract(TOps.Load(ref x, i), m), r);
            TV gd = TOps.Multiply(TOps.Load(ref dy, i), g);
            TOps.Store(TOps.Multiply(r, TOps.Subtract(TOps.Subtract(gd, c1v), TOps.Multiply(xh, c2v))), ref dx, i);
        }
        for (; i < n; i++)
        {
            T xh = (Unsafe.Add(ref x, i) - mu) * rstd;
            Unsafe.Add(ref dx, i) = rstd * ((Unsafe.Add(ref dy, i) * gamma - c1) - xh * c2);
        }
    }
}
