using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// The column kinds' kernels (Standardize, MinMaxScale, ChannelLayerNorm), written once: statistics over a strided axis
/// at every position of a contiguous one. A sample (one for the scalers) is a (rows × width) panel, rows width apart,
/// whose columns are independent; a vector holds neighbouring columns and the loop walks down the rows, so every lane
/// is one column and a strip of one vector's columns stays in L1 for all passes (<c>Chunk</c>). Generated kernels call
/// <see cref="Samples{TSpec, T}"/> or <see cref="Channels{TSpec, T}"/> with a file-local <see cref="IColumnSpec{T}"/>
/// struct; the JIT specialises the one body per (spec, vector width) through the width's operator struct
/// (<c>Vec512/256/128</c>, <see cref="IVectorMathOps{TVector, T}"/>), the TensorPrimitives pattern.
/// </summary>
/// <remarks>
/// The operations, and their order, are those the generator used to write into every kernel file once per vector
/// width, so the results are bitwise those of before (bench/NormGen.TensorAB). Every reduction runs in an order that
/// depends on the shape only; the units spread over threads are (sample, fixed column range) and a column gets the
/// same chunks in a unit as in the whole panel, so results do not depend on the thread count.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class ColumnEngine
{
    /// <summary>
    /// Standardize or MinMaxScale of a dense (samples × features) table, per feature column. Arguments are already
    /// checked, x is not empty, and y is x or does not overlap it.
    /// </summary>
    public static void Samples<TSpec, T>(ReadOnlySpan<T> x, Span<T> y, int samples, int features)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ranges = TensorBlocks.ColumnRanges(features);
        if (TunesStores(x, y))
            TunedSamples<TSpec, T>(x, y, samples, features, ranges);
        else
            UntunedSamples<TSpec, T>(x, y, samples, features, ranges);
    }

    /// <summary><see cref="Samples{TSpec, T}"/> with its stores decided: split by row blocks over the pool where that spreads, else the column panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UntunedSamples<TSpec, T>(ReadOnlySpan<T> x, Span<T> y, int samples, int features, int ranges)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!RowSplit<TSpec, T>(x, y, samples, features, ranges))
            Run<TSpec, T>(x, default, default, y, default, default, 1, samples, features, ranges);
    }

    /// <summary>
    /// ChannelLayerNorm of a dense (batch × channels × spatial) tensor: every sample is a (channels × spatial) panel
    /// whose columns (positions) are normalized over their rows (channels). γ, β and the saved statistics are passed
    /// when <typeparamref name="TSpec"/> says so (saveMean and saveRstd hold batch × spatial values). Arguments are
    /// already checked and x is not empty.
    /// </summary>
    public static void Channels<TSpec, T>(ReadOnlySpan<T> x, Span<T> y, int batch, int channels, int spatial,
        ReadOnlySpan<T> gamma = default, ReadOnlySpan<T> beta = default, Span<T> saveMean = default, Span<T> saveRstd = default)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        Run<TSpec, T>(x, gamma, beta, y, saveMean, saveRstd, batch, channels, spatial, TensorBlocks.ColumnRanges(spatial));

    /// <summary>The most elements a Half call widens to float at a time (4 MiB of float): big enough to spread over threads.</summary>
    private const int HalfSlab = 1 << 20;

    /// <summary>
    /// <see cref="Samples{TSpec, T}"/> for Half tables. Past <see cref="MaxStagedUnit"/>, and two vectors wide, in the
    /// row blocks of TensorBlocks.PanelRows (a few rows widened at a time, every pass); otherwise the columns stream through
    /// a pooled float buffer of at most 2²⁰ elements, a range of columns (all samples) at a time, are computed there by
    /// the float kernel and narrowed once on store. Either way each column gets the bits of a float call, rounded once.
    /// </summary>
    public static void Samples<TSpec>(ReadOnlySpan<Half> x, Span<Half> y, int samples, int features)
        where TSpec : struct, IColumnSpec<float>
    {
        int blocks = TensorBlocks.RowBlocks(samples);
        if (StagedUnit(samples, features) <= MaxStagedUnit || !TensorBlocks.PanelRows<TSpec, Half, float>(RowScheduler.DegreeOfParallelism(blocks, x.Length / blocks), x, y, samples, features))
            Staged<TSpec>(x, default, default, y, default, default, 1, samples, features);
    }

    /// <summary>
    /// <see cref="Channels{TSpec, T}"/> for Half tensors: γ and β are widened once, then each sample's columns stream
    /// through a pooled float buffer as in <see cref="Samples{TSpec}"/>; the saved statistics stay float.
    /// </summary>
    public static void Channels<TSpec>(ReadOnlySpan<Half> x, Span<Half> y, int batch, int channels, int spatial,
        ReadOnlySpan<Half> gamma = default, ReadOnlySpan<Half> beta = default, Span<float> saveMean = default, Span<float> saveRstd = default)
        where TSpec : struct, IColumnSpec<float> =>
        Staged<TSpec>(x, gamma, beta, y, saveMean, saveRstd, batch, channels, spatial);

    /// <summary>
    /// The most elements of a Half table's unit of the slab loop (the table, or all rows of its widest column range) that
    /// keep the slab loop rather than the row blocks: widened once, a unit stays in cache for the float kernel's passes,
    /// where the row blocks widen x once per pass. One thread, Standardize / MinMaxScale, ms, slab loop against row
    /// blocks: (5000, 300) (units of 540K) 0.62-0.63 / 0.55 against 0.70-0.71 / 0.52-0.53; (8000, 256) (512K) 0.83 / 0.74
    /// against 0.90 / 0.68; (16000, 256) (1.02M) 3.7-5.9 / 4.2-5.0 against 2.0-2.1 / 1.4-1.5; (100000, 256) 46.7-48.3 /
    /// 40.1-41.1 against 22.3-24.0 / 15.8-16.0.
    /// </summary>
    private const long MaxStagedUnit = 1 << 20;

    /// <summary>The elements of the slab loop's largest unit for a Half table: the table when it fits a slab, else all rows of its widest column range.</summary>
    private static long StagedUnit(int rows, int width) => (long)rows * StagedWidth(width, StagedRanges(rows, width));

    /// <summary>The slab loop's column ranges of a sample: one (the whole sample) when it fits a slab, else <see cref="TensorBlocks.ColumnRanges"/>.</summary>
    private static int StagedRanges(int rows, int width) => (long)rows * width <= HalfSlab ? 1 : TensorBlocks.ColumnRanges(width);

    /// <summary>The columns of the slab loop's widest unit: the sample's width, or its widest column range.</summary>
    private static int StagedWidth(int width, int ranges) => ranges == 1 ? width : TensorBlocks.WidestColumnRange(width);

    /// <summary>
    /// The Half slab loop: units are ranges of columns of one sample (all rows of each), or whole samples that fit in a
    /// slab, spread over the pool; a thread gathers each of its units into a (rows × range) float panel of its own, runs
    /// the float entry point on it (on that thread when the units spread: RowScheduler keeps a kernel called inside one
    /// of its blocks off the pool) and narrows it back. γ and β are widened once.
    /// </summary>
    private static void Staged<TSpec>(ReadOnlySpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y,
        Span<float> saveMean, Span<float> saveRstd, int batch, int rows, int width)
        where TSpec : struct, IColumnSpec<float>
    {
        float[]? parameters = gamma.IsEmpty && beta.IsEmpty ? null : System.Buffers.ArrayPool<float>.Shared.Rent(gamma.Length + beta.Length);
        Span<float> gammaSingle = parameters is null ? default : parameters.AsSpan(0, gamma.Length);
        Span<float> betaSingle = parameters is null ? default : parameters.AsSpan(gamma.Length, beta.Length);
        HalfWidening.ToSingle(gamma, gammaSingle);
        HalfWidening.ToSingle(beta, betaSingle);
        int ranges = StagedRanges(rows, width);
        int threads = RowScheduler.DegreeOfParallelism(batch * ranges, rows * StagedWidth(width, ranges));
        try
        {
            RowScheduler.Run(threads, batch * ranges, new StagedUnits<TSpec>(rows, width, ranges), MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(y),
                MemoryMarshal.AsBytes(gammaSingle), MemoryMarshal.AsBytes(betaSingle), MemoryMarshal.AsBytes(saveMean), MemoryMarshal.AsBytes(saveRstd));
        }
        finally
        {
            if (parameters is not null) System.Buffers.ArrayPool<float>.Shared.Return(parameters);
        }
    }

    /// <summary>
    /// A range of the slab loop's units ((sample, column range) pairs) for one thread, through one pooled float buffer.
    /// Buffers: x, y (Half); γ, β, the saved mean and rstd (float).
    /// </summary>
    private readonly struct StagedUnits<TSpec>(int rows, int width, int ranges) : IRowKernel where TSpec : struct, IColumnSpec<float>
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
        {
            ReadOnlySpan<Half> x = buffers.Get<Half>(0);
            Span<Half> y = buffers.Get<Half>(1);
            float[] buffer = System.Buffers.ArrayPool<float>.Shared.Rent(rows * StagedWidth(width, ranges));
            for (int unit = firstRow; unit < firstRow + rowCount; unit++)
            {
                int n = unit / ranges;
                TensorBlocks.ColumnRange(width, ranges, unit - n * ranges, out int from, out int count);
                Span<float> data = buffer.AsSpan(0, rows * count);
                int at = n * rows * width + from;
                if (count == width) // a whole sample: one span
                    HalfWidening.ToSingle(x.Slice(at, rows * width), data);
                else
                    for (int row = 0; row < rows; row++)
                        HalfWidening.ToSingle(x.Slice(at + row * width, count), data.Slice(row * count, count));
                if (TSpec.Kind == ColumnKind.ChannelLayerNorm)
                    Channels<TSpec, float>(data, data, 1, rows, count, buffers.Get<float>(2), buffers.Get<float>(3),
                        TSpec.SaveStatistics ? buffers.Get<float>(4).Slice(n * width + from, count) : default,
                        TSpec.SaveStatistics ? buffers.Get<float>(5).Slice(n * width + from, count) : default);
                else
                    Samples<TSpec, float>(data, data, rows, count);
                if (count == width)
                    HalfNarrowing.ToHalf(data, y.Slice(at, rows * width));
                else
                    for (int row = 0; row < rows; row++)
                        HalfNarrowing.ToHalf(data.Slice(row * count, count), y.Slice(at + row * width, count));
            }
            System.Buffers.ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A scaler table spread over row blocks when that uses more than one thread: a narrow one (one column range) with
    /// TensorBlocks.RowSplit's column strips per block, a wider one with TensorBlocks.PanelRows' rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool RowSplit<TSpec, T>(ReadOnlySpan<T> x, Span<T> y, int samples, int features, int ranges)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = TensorBlocks.RowBlocks(samples);
        int threads = RowScheduler.DegreeOfParallelism(blocks, x.Length / blocks);
        if (threads == 1) return false;
        if (ranges > 1)
            return TensorBlocks.PanelRows<TSpec, T, T>(threads, x, y, samples, features);
        return TSpec.Kind == ColumnKind.MinMaxScale
            ? TensorBlocks.MinMaxRows(threads, x, y, samples, features)
            : TensorBlocks.StandardizeRows(threads, x, y, samples, features);
    }

    /// <summary>
    /// Units of work: (sample, fixed range of columns); the split depends on the shape only. One thread takes each
    /// panel whole.
    /// </summary>
    private static void Run<TSpec, T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y, Span<T> saveMean, Span<T> saveRstd,
        int batch, int rows, int width, int ranges)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int units = batch * ranges;
        int threads = RowScheduler.DegreeOfParallelism(units, ranges == 1 ? rows * width : x.Length / units); // no division for whole panels
        if (threads == 1)
            Units<TSpec, T>(0, batch, x, gamma, beta, y, saveMean, saveRstd, rows, width, 1);
        else
            RowScheduler.Run(threads, units, new Block<TSpec, T>(rows, width, ranges), MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(gamma),
                MemoryMarshal.AsBytes(beta), MemoryMarshal.AsBytes(y), MemoryMarshal.AsBytes(saveMean), MemoryMarshal.AsBytes(saveRstd));
    }

    /// <summary>A range of units ((sample, column range) pairs) for one pool thread; the spans arrive pinned.</summary>
    private readonly struct Block<TSpec, T>(int rows, int width, int ranges) : IRowKernel
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount) =>
            Units<TSpec, T>(firstRow, rowCount, buffers.Get<T>(0), buffers.Get<T>(1), buffers.Get<T>(2), buffers.Get<T>(3), buffers.Get<T>(4), buffers.Get<T>(5),
                rows, width, ranges);
    }

    /// <summary>Normalizes units firstUnit … firstUnit + unitCount − 1: column range unit % ranges of sample unit / ranges (ranges = 1: whole samples).</summary>
    private static void Units<TSpec, T>(int firstUnit, int unitCount, ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y,
        Span<T> saveMean, Span<T> saveRstd, int rows, int width, int ranges)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T y0 = ref MemoryMarshal.GetReference(y);
        ref T gamma0 = ref MemoryMarshal.GetReference(gamma);
        ref T beta0 = ref MemoryMarshal.GetReference(beta);
        ref T saveMean0 = ref MemoryMarshal.GetReference(saveMean);
        ref T saveRstd0 = ref MemoryMarshal.GetReference(saveRstd);
        for (int unit = firstUnit; unit < firstUnit + unitCount; unit++)
        {
            int sample = ranges == 1 ? unit : unit / ranges; // whole panels (every single-thread call): no division per unit
            TensorBlocks.ColumnRange(width, ranges, unit - sample * ranges, out int from, out int count);
            nint column = (nint)sample * width + from; // (sample, first position) as a column index of saveMean, saveRstd
            nint at = (nint)sample * rows * width + from;
            Columns<TSpec, T>(ref Unsafe.Add(ref x0, at), ref Unsafe.Add(ref y0, at), (nuint)rows, (nuint)count, (nuint)width, ref gamma0, ref beta0,
                ref (TSpec.SaveStatistics ? ref Unsafe.Add(ref saveMean0, column) : ref saveMean0),
                ref (TSpec.SaveStatistics ? ref Unsafe.Add(ref saveRstd0, column) : ref saveRstd0));
        }
    }

    /// <summary>Picks the widest accelerated vector that fits in width (IsHardwareAccelerated is a JIT-time constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns<TSpec, T>(ref T x, ref T y, nuint rows, nuint width, nuint stride, ref T gamma, ref T beta, ref T saveMean, ref T saveRstd)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated && width >= (nuint)Vector512<T>.Count)
            Columns<TSpec, Vec512<T>, Vector512<T>, T>(ref x, ref y, rows, width, stride, ref gamma, ref beta, ref saveMean, ref saveRstd);
        else if (Vector256.IsHardwareAccelerated && width >= (nuint)Vector256<T>.Count)
            Columns<TSpec, Vec256<T>, Vector256<T>, T>(ref x, ref y, rows, width, stride, ref gamma, ref beta, ref saveMean, ref saveRstd);
        else if (Vector128.IsHardwareAccelerated && width >= (nuint)Vector128<T>.Count)
            Columns<TSpec, Vec128<T>, Vector128<T>, T>(ref x, ref y, rows, width, stride, ref gamma, ref beta, ref saveMean, ref saveRstd);
        else if (TSpec.Kind == ColumnKind.MinMaxScale)
            MinMaxScalar(ref x, ref y, rows, width, stride);
        else
            MomentsScalar<TSpec, T>(ref x, ref y, rows, width, stride, ref gamma, ref beta, ref saveMean, ref saveRstd);
    }

    /// <summary>
    /// All columns of a (rows × width) panel, rows stride apart, one vector of neighbouring columns at a time, width ≥ one
    /// vector. The last chunk overlaps the one before it; its lanes are independent columns and only the new ones are
    /// stored (the others keep what the previous chunk wrote), so in-place calls stay correct.
    /// </summary>
    private static void Columns<TSpec, TOps, TV, T>(ref T x, ref T y, nuint rows, nuint width, nuint stride, ref T gamma, ref T beta, ref T saveMean, ref T saveRstd)
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint lanes = (nuint)TOps.Count, p = 0;
        if (TSpec.Kind == ColumnKind.MinMaxScale)
        {
            if (width >= 2 * lanes || (long)(rows * width) * Unsafe.SizeOf<T>() >= MinPanelBytes)
            {
                // Blocks of rows into per-column minima and maxima that stay in cache (in registers for a block, strip by
                // strip), so a tall table streams through once per pass instead of once per column strip. From two vectors
                // wide (it was four) and from one past MinPanelBytes: one thread, floats, strips → panel: (100000, 48)
                // 4.27 → 0.84–0.97 ms (0.68× → 2.9–3.3× the row-wise TP loop), (100000, 32) 1.39 → 0.67–0.75, (300000, 24)
                // 4.40 → 2.11, (20000, 48) 0.24 → 0.12, (5000, 40) 50 → 20–30 µs; (1000, 16) stays in its strip (2.1 µs
                // against 2.6).
                TensorBlocks.MinMaxPanel<TOps, TV, T>(ref x, ref y, rows, width, stride);
                return;
            }
            // A small narrow table: a few rows share each cache line, so one column strip at a time, its min and max in registers.
            for (; p + lanes <= width; p += lanes)
                MinMaxChunk<TOps, TV, T>(ref x, ref y, rows, stride, p, TOps.AllBitsSet);
            if (p < width)
                MinMaxChunk<TOps, TV, T>(ref x, ref y, rows, stride, width - lanes, TOps.TailMask(TOps.Count - (int)(width - p)));
            return;
        }
        if (TSpec.Kind == ColumnKind.Standardize && (width >= 2 * lanes || (long)(rows * width) * Unsafe.SizeOf<T>() >= MinPanelBytes))
        {
            // Row by row: every column strip pass reads one or two lines a row, a whole row apart, and past L1 that stride
            // costs more than the panel's accumulators in memory. One thread, floats, against the column strips:
            // (100000, 48) 3.39 → 1.36 ms, (50000, 128) 5.45 → 3.09, (100000, 64) 5.37 → 2.77, (8000, 128) 0.34 → 0.18,
            // (2000, 100) 50 → 30 µs, (100000, 250) 20.0 → 11.7 ms; one vector wide only from MinPanelBytes ((1000, 16):
            // 2.1 µs in a strip, 4.3 in the panel; (10000, 20): 49 → 39 µs).
            TensorBlocks.ColumnPanel<TSpec, TOps, TV, T>(ref x, ref y, rows, stride, width, ref gamma, ref beta, ref saveMean, ref saveRstd);
            return;
        }
        if (TSpec.Kind == ColumnKind.ChannelLayerNorm && width >= 16 * lanes && !StripsStayInL1<T>(rows, stride))
        {
            // Channels whose lines of a strip do not stay in L1 between its three passes (rows a power-of-two distance
            // apart share a few sets): row by row in tiles of columns. One thread, (1, 48, 128, 128) floats 776 → 139 µs,
            // (16, 32, 32, 32) 526 → 96, (1, 192, 64, 64) 957 → 139, (1, 48, 256, 256) 3.9 → 1.1 ms; the strips stay
            // where they fit ((8, 64, 28, 28): 58 µs in strips, 66–68 in tiles; (4, 96, 56, 56): 165 against 187).
            TensorBlocks.ChannelTiles<TSpec, TOps, TV, T>(ref x, ref y, rows, stride, width, ref gamma, ref beta, ref saveMean, ref saveRstd);
            return;
        }
        // Past L1, whole chunks read y's lines before they store them, as the last chunk does (see MomentsChunk).
        bool blend = (long)(rows * stride) * Unsafe.SizeOf<T>() > MaxPlainStorePanelBytes;
        for (; p + lanes <= width; p += lanes)
            MomentsChunk<TSpec, TOps, TV, T>(ref x, ref y, rows, stride, p, TOps.AllBitsSet, blend, ref gamma, ref beta, ref saveMean, ref saveRstd);
        if (p < width)
            MomentsChunk<TSpec, TOps, TV, T>(ref x, ref y, rows, stride, width - lanes, TOps.TailMask(TOps.Count - (int)(width - p)), true, ref gamma, ref beta, ref saveMean, ref saveRstd);
    }

    /// <summary>
    /// The largest panel (rows × stride elements of y, in bytes: 32 KiB, within L1) whose whole column chunks store their
    /// last pass plainly. Past it they store through the select with y's own lanes, which reads each line of y first: a
    /// chunk's stores go a row apart, one line each, where no prefetcher follows, and a plain store waits in the store
    /// buffer for its line, while the loads run ahead out of order and fetch several at once. One thread, Intel Xeon (Ice
    /// Lake), TensorAB against eba5bfa: ChannelLN biasfree double 8×64×28×28 1.19–1.37 → 0.91–0.96, float 1.03–1.37 →
    /// 0.85–0.93, ChannelLN double 1.03–1.18 → 0.90–0.94 (eba5bfa's time was bimodal too: its chunk inlined, the select
    /// folded to the plain store, or not). A panel in L1 (3×16×7×7) keeps the plain store.
    /// </summary>
    private const long MaxPlainStorePanelBytes = 32 << 10;

    /// <summary>The size from which the scalers take a table one vector wide (and under two) row by row: 256 KiB of x.</summary>
    private const long MinPanelBytes = 256 << 10;

    /// <summary>
    /// Whether a column strip's lines (one per row, rows <paramref name="stride"/> elements apart) stay in L1 for its three
    /// passes: no more rows than the sets they fall on keep (<see cref="BlockEngine.BlocksPerL1Set"/>), and at most 512
    /// lines (32 KiB) whatever the stride.
    /// </summary>
    private static bool StripsStayInL1<T>(nuint rows, nuint stride) where T : unmanaged =>
        (long)rows <= Math.Min(512, BlockEngine.BlocksPerL1Set((long)stride * Unsafe.SizeOf<T>()));

    /// <summary>
    /// One vector of neighbouring columns starting at p, over their rows (stride apart): shifted corrected two-pass
    /// statistics, then the normalized output, stored where <paramref name="keep"/> is set: through a select with y's
    /// lanes when <paramref name="blend"/> (the last chunk, which overlaps the one before it, and every chunk of a panel
    /// past <see cref="MaxPlainStorePanelBytes"/>), plainly otherwise (keep is every lane then).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // PGO inlined the tail's call into Columns, and that copy ran several times slower
    private static void MomentsChunk<TSpec, TOps, TV, T>(ref T x, ref T y, nuint rows, nuint stride, nuint p, TV keep, bool blend, ref T gamma, ref T beta, ref T saveMean, ref T saveRstd)
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x0 = ref Unsafe.Add(ref x, p);
        ref T y0 = ref Unsafe.Add(ref y, p);
        TV count = TOps.Create(T.CreateTruncating(rows));

        // The statistics (ColumnMoments): the mean as shift + offset, shift the first row (exact for a constant column),
        // and the sum of squared deviations, by sub-blocks of rows that stay in cache for their two passes, merged in
        // an order that depends on the shape only.
        TV k = TOps.Load(ref x0, 0);
        ColumnMoments<TOps, TV, T>(ref x0, rows, stride, SubBlockRows<TSpec, T>(stride), k, out TV m, out TV m2);
        TV variance = MomentsVariance<TOps, TV, T>(m2, count);
        if (!AllFinite<TOps, TV, T>(variance))
        {
            // A column's variance is not finite (its squares overflow T, or it holds NaN/±∞): this chunk's new columns one
            // at a time, in double.
            for (int l = 0; l < TOps.Count; l++)
                if (TOps.GetElement(keep, l) != T.Zero) // the lanes this chunk stores
                    HugeColumn<TSpec, T>(ref Unsafe.Add(ref x0, l), ref Unsafe.Add(ref y0, l), rows, stride, ref gamma, ref beta,
                        ref Unsafe.Add(ref saveMean, p + (nuint)l), ref Unsafe.Add(ref saveRstd, p + (nuint)l));
            return;
        }
        TV rstd = Rstd<TSpec, TOps, TV, T>(variance);
        if (TSpec.SaveStatistics)
        {
            // Saved for the backward pass: the mean and rstd of each column (sample, position).
            TOps.Store(TOps.Select(keep, TOps.Add(k, m), TOps.Load(ref saveMean, p)), ref saveMean, p);
            TOps.Store(TOps.Select(keep, rstd, TOps.Load(ref saveRstd, p)), ref saveRstd, p);
        }

        // Pass 3: normalize; rows are read before they are written, so y may be x. The overlapping last chunk keeps the
        // lanes the chunk before it wrote; past L1 every chunk loads y's line before storing it (MaxPlainStorePanelBytes).
        if (!blend)
        {
            for (nuint r = 0; r < rows; r++)
                TOps.Store(Normalize<TSpec, TOps, TV, T>(ref x0, r * stride, k, m, rstd, ref gamma, ref beta, r), ref y0, r * stride);
            return;
        }
        for (nuint r = 0; r < rows; r++)
        {
            TV v = Normalize<TSpec, TOps, TV, T>(ref x0, r * stride, k, m, rstd, ref gamma, ref beta, r);
            TOps.Store(TOps.Select(keep, v, TOps.Load(ref y0, r * stride)), ref y0, r * stride);
        }
    }

    // ---------------------------------------------------------------- the column statistics, written once
    // Standardize's and ChannelLayerNorm's statistics of one column, with k its first row (the shift: a constant column
    // is exact) and the rows cut into sub-blocks of SubBlockRows rows (Standardize: up to 128, at most 1 MiB of rows;
    // ChannelLayerNorm: 16 channels) inside blocks of ColumnSumBlock rows. A sub-block's two passes run back
    // to back, so its rows are read from memory once and again from cache: pass 1 (ShiftedSumPass), Σ(x − k) → its mean
    // offset m_b; pass 2 (DeviationsPass), Σd² and Σd with d = (x − k) − m_b → its moments (SubBlockMoments: offset
    // m_b + Σd/n_b and M2_b = Σd² − (Σd)²/n_b, the corrected two-pass of the sub-block; a column of one sub-block keeps
    // the bits of the whole-column passes before). Predicted sub-blocks: past a block's first sub-block, pass 1 is left
    // out and pass 2 takes d around the block's offset so far instead of the sub-block's own mean (the same formulas, so
    // offset_b = m + Σd/n_b exactly as before), one pass over the rows instead of two. Its M2_b may lose bits to
    // cancellation when the sub-block's mean lies δ past the prediction (an error of order ε·n_b·δ²), but the merge then
    // adds δ²·before·n_b/(before + n_b) ≥ n_b·δ²/2 (before ≥ n_b rows), so the block's M2 keeps an error of a few ε of
    // itself, as the two passes do: trends, steps and outliers match the double reference (StandardizeMomentsTests).
    // Standardize (1000, 4096) floats, one thread, in-process (TENSORAB_AB=ColumnEngine.s_predictionMode=1): the two
    // passes took 1.16-1.20x the predicted sub-blocks' time, (100000, 256) 1.06-1.07x, (4096, 100) 1.20-1.31x, with
    // every column trending alike (2-core AMD EPYC, Zen 5); ChannelLayerNorm, whose sub-blocks had been whole blocks,
    // (8, 64, 28, 28) 1.23-1.30x, (4, 96, 56, 56) 1.18x, (2, 256, 32, 32) 1.08x, double 1.02-1.17x (ChannelSubBlock).
    // Two accumulators per sum, even rows into the first and odd rows into the second, then added. The sub-blocks of a
    // block are merged in order (Merge: Chan et al.'s pairwise update), then
    // the blocks in order; σ² = M2/n (MomentsVariance) and 1/σ from it (Rstd). The merge tree depends on the shape only,
    // and a block's moments are what a row-split thread hands back, so the bits do not depend on the thread count. What a row
    // adds is written once, in the passes' Add, and the merge once, here; the drivers differ only in their walk: the
    // column strips (MomentsChunk) and the row split (TensorBlocks.StandardizeRows) keep the accumulators in registers
    // (BlockMoments); the row-by-row panel (TensorBlocks.PanelSubBlock: Standardize's wide or tall tables and their row
    // blocks, ChannelLayerNorm's tiles) walks rows in memory order, accumulators in memory, in the same order per column.
    // Standardize on a table past the cache read x from memory three times with whole-column passes, twice this way
    // ((100000, 256) floats, one thread, Zen 5, in-process: 0.63-0.69 of the whole-column passes' time).

    /// <summary>
    /// Rows of a statistics sub-block of a column whose rows lie <paramref name="stride"/> elements apart: Standardize's
    /// <see cref="StandardizeSubBlock{T}"/>; ChannelLayerNorm's <see cref="ChannelSubBlock"/> (with
    /// <c>s_predictionMode</c> 1, a whole <see cref="TensorBlocks.ColumnSumBlock"/>, as before the predicted sub-blocks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static nuint SubBlockRows<TSpec, T>(nuint stride) where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        TSpec.Kind == ColumnKind.Standardize ? StandardizeSubBlock<T>(stride) : s_predictionMode == 0 ? ChannelSubBlock : TensorBlocks.ColumnSumBlock;

    /// <summary>
    /// Rows (channels) of ChannelLayerNorm's statistics sub-blocks: its panels are in cache, so a sub-block needs no
    /// bound in bytes; it is there for the predicted sub-blocks (one pass over all but the first 16 channels of each
    /// block). In-process A/B against whole blocks of 1,024 channels (TensorAB, thread CPU, best of 11; above 1: the
    /// sub-blocks faster), float: (4, 96, 56, 56) 1.16–1.27, (8, 64, 28, 28) 1.11–1.19, (2, 256, 32, 32) 1.10, (1, 64,
    /// 256, 256) 1.07; double 1.03–1.15; 32 rows read about the same, 64 gained only past 64 channels, 8 rows less.
    /// </summary>
    private const nuint ChannelSubBlock = 16;

    /// <summary>
    /// Rows of Standardize's statistics sub-blocks for rows <paramref name="stride"/> elements apart: the largest power
    /// of two whose rows span at most <see cref="SubBlockBytes"/>, from 4 to 128 (a multiple of four that divides
    /// <see cref="TensorBlocks.ColumnSumBlock"/>). It depends on the table's row length, never on the thread count or on
    /// the walk, so every driver cuts a column the same way. One thread, floats, in-process against the sub-block fixed
    /// at each size, 2-core AMD EPYC (Zen 5): (100000, 256) 16 rows 0.74-0.77 of the whole-column passes' time, 32 rows
    /// 0.67, 64 rows 0.62, 128 rows 0.52, 1,024 rows 0.53-0.55.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static nuint StandardizeSubBlock<T>(nuint stride) where T : unmanaged
    {
        nuint rows = 128;
        while (rows > 4 && rows * stride * (nuint)Unsafe.SizeOf<T>() > SubBlockBytes)
            rows /= 2;
        return rows;
    }

    /// <summary>
    /// The most bytes of rows a Standardize statistics sub-block spans (<see cref="StandardizeSubBlock{T}"/>: 1 MiB, the
    /// L2 of a Zen 5 core), so its second pass reads them from L2 or L3, not from memory. Table mode, one thread, floats,
    /// 2-core AMD EPYC (Zen 5), one run each (±10%): (16000, 4096) 56.8 ms at 64 KiB (4 rows), 50.0 at 256 KiB (16),
    /// 46.6 at 1 MiB (64); (1000, 4096) 3.06, 2.46, 2.40 ms; (100000, 256) 14.7, 14.8, 13.7 ms (128 rows each).
    /// </summary>
    private const nuint SubBlockBytes = 1 << 20;

    /// <summary>
    /// The moments of rows 0 … rows − 1 of one vector of columns, rows stride apart: each block of
    /// <see cref="TensorBlocks.ColumnSumBlock"/> rows (<see cref="BlockMoments{TOps, TV, T}"/>), merged in order. Returns
    /// the mean offset from k and M2, the sum of squared deviations from the mean.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnMoments<TOps, TV, T>(ref T x0, nuint rows, nuint stride, nuint subBlock, TV k, out TV offset, out TV m2)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        BlockMoments<TOps, TV, T>(ref x0, 0, rows > TensorBlocks.ColumnSumBlock ? TensorBlocks.ColumnSumBlock : rows, stride, subBlock, k, out offset, out m2);
        for (nuint start = TensorBlocks.ColumnSumBlock; start < rows; start += TensorBlocks.ColumnSumBlock)
        {
            nuint end = rows - start > TensorBlocks.ColumnSumBlock ? start + TensorBlocks.ColumnSumBlock : rows;
            BlockMoments<TOps, TV, T>(ref x0, start, end, stride, subBlock, k, out TV blockOffset, out TV blockM2);
            MergeWeights<T>(start, end - start, out T share, out T cross);
            Merge<TOps, TV, T>(ref offset, ref m2, blockOffset, blockM2, TOps.Create(share), TOps.Create(cross));
        }
    }

    /// <summary>
    /// The moments of rows start … end − 1 (one block) of one vector of columns, rows stride apart: each sub-block's two
    /// passes (<see cref="BlockSums{TPass, TOps, TV, T}"/>, <see cref="SubBlockMoments{TOps, TV, T}"/>), merged in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void BlockMoments<TOps, TV, T>(ref T x0, nuint start, nuint end, nuint stride, nuint subBlock, TV k, out TV offset, out TV m2)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        offset = TOps.Zero;
        m2 = offset;
        for (nuint sub = start; sub < end; sub += subBlock)
        {
            nuint subEnd = end - sub > subBlock ? sub + subBlock : end;
            TV count = TOps.Create(T.CreateTruncating(subEnd - sub));
            TV subOffset, subM2;
            if (sub == start || s_predictionMode != 0)
            {
                SubBlockTwoPass<TOps, TV, T>(ref x0, sub, subEnd, stride, k, count, out subOffset, out subM2);
                if (sub == start)
                {
                    offset = subOffset;
                    m2 = subM2;
                    continue;
                }
            }
            else
            {
                // Past the block's first sub-block, predicted: one pass around the block's offset so far (see above).
                BlockSums<DeviationsPass<TOps, TV, T>, TOps, TV, T>(ref x0, sub, subEnd, stride, k, offset, out TV sumSq, out TV sumDev);
                SubBlockMoments<TOps, TV, T>(offset, sumSq, sumDev, count, out subOffset, out subM2);
            }
            MergeWeights<T>(sub - start, subEnd - sub, out T share, out T cross);
            Merge<TOps, TV, T>(ref offset, ref m2, subOffset, subM2, TOps.Create(share), TOps.Create(cross));
        }
    }

    /// <summary>
    /// A sub-block's moments (rows start … end − 1 of one vector of columns) by its two passes back to back (BlockSums,
    /// then <see cref="SubBlockMoments{TOps, TV, T}"/>): Σ(x − k) → its mean offset m_b, then Σd² and Σd with
    /// d = (x − k) − m_b.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SubBlockTwoPass<TOps, TV, T>(ref T x0, nuint start, nuint end, nuint stride, TV k, TV count, out TV offset, out TV m2)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        BlockSums<ShiftedSumPass<TOps, TV, T>, TOps, TV, T>(ref x0, start, end, stride, k, TOps.Zero, out TV shiftedSum, out _);
        TV mean = TOps.Divide(shiftedSum, count);
        BlockSums<DeviationsPass<TOps, TV, T>, TOps, TV, T>(ref x0, start, end, stride, k, mean, out TV sumSq, out TV sumDev);
        SubBlockMoments<TOps, TV, T>(mean, sumSq, sumDev, count, out offset, out m2);
    }

    /// <summary>
    /// 0 (the default): sub-blocks past a block's first are predicted (see the statistics' comment above); 1: every
    /// sub-block takes its two passes and ChannelLayerNorm's sub-block is a whole block, the statistics (and bits) before
    /// predicted sub-blocks, for in-process A/B timing (bench/NormGen.TensorAB's TENSORAB_AB=ColumnEngine.s_predictionMode=1).
    /// </summary>
#pragma warning disable CS0649 // set by reflection
    internal static int s_predictionMode;
#pragma warning restore CS0649

    /// <summary>
    /// A sub-block's moments from its passes (corrected two-pass): the mean offset from k, m_b + Σd/n_b, and
    /// M2_b = Σd² − (Σd)²/n_b, with m_b the offset pass 1 gave (Σ(x − k)/n_b) and d = (x − k) − m_b: the operations of
    /// the whole-column statistics before the sub-blocks, so a column of one sub-block keeps their bits. (Multiplying by
    /// 1/n_b instead measured no faster: in-process A/B, Standardize cells, geometric mean 1.005.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SubBlockMoments<TOps, TV, T>(TV mean, TV sumSq, TV sumDev, TV count, out TV offset, out TV m2)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        offset = TOps.Add(mean, TOps.Divide(sumDev, count));
        m2 = TOps.Subtract(sumSq, TOps.Divide(TOps.Multiply(sumDev, sumDev), count));
    }

    /// <summary>
    /// The weights of <see cref="Merge{TOps, TV, T}"/> for <paramref name="added"/> rows after <paramref name="before"/>
    /// (n = before + added): <paramref name="share"/> = added/n and <paramref name="cross"/> = before·added/n, from the
    /// counts only, in double and rounded once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MergeWeights<T>(nuint before, nuint added, out T share, out T cross) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = (double)before + added;
        share = T.CreateTruncating(added / total);
        cross = T.CreateTruncating(before * (added / total));
    }

    /// <summary>
    /// Merges the moments of the rows that follow (<paramref name="addedOffset"/>, <paramref name="addedM2"/>) into those
    /// of the rows before them (Chan, Golub and LeVeque's pairwise update): δ = the offsets' difference, offset += δ·share,
    /// M2 += M2_b + δ²·cross, with the weights of <see cref="MergeWeights{T}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Merge<TOps, TV, T>(ref TV offset, ref TV m2, TV addedOffset, TV addedM2, TV share, TV cross)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        TV delta = TOps.Subtract(addedOffset, offset);
        offset = TOps.Add(offset, TOps.Multiply(delta, share));
        m2 = TOps.Add(TOps.Add(m2, addedM2), TOps.Multiply(TOps.Multiply(delta, delta), cross));
    }

    /// <summary>The scalar form of <see cref="Merge{TOps, TV, T}"/> (the columns computed without vectors), the same operations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MergeScalar<T>(ref T offset, ref T m2, T addedOffset, T addedM2, nuint before, nuint added) where T : unmanaged, IFloatingPointIeee754<T>
    {
        MergeWeights(before, added, out T share, out T cross);
        T delta = addedOffset - offset;
        offset += delta * share;
        m2 = m2 + addedM2 + delta * delta * cross;
    }

    /// <summary>The biased variance M2/n from a column's moments, at least 0; NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV MomentsVariance<TOps, TV, T>(TV m2, TV count)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T> =>
        Max0<TOps, TV, T>(TOps.Divide(m2, count));

    /// <summary>
    /// The sums of one pass over rows start … end − 1 (one block) of one vector of columns, rows stride apart: two
    /// accumulators per sum, even rows of the block into the first, odd rows into the second, then added.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void BlockSums<TPass, TOps, TV, T>(ref T x0, nuint start, nuint end, nuint stride, TV k, TV m, out TV sum0, out TV sum1)
        where TPass : IColumnPass<TOps, TV, T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        TV even0 = TOps.Zero, odd0 = even0, even1 = even0, odd1 = even0;
        nuint r;
        for (r = start; r + 2 <= end; r += 2)
        {
            TPass.Add(ref x0, r * stride, k, m, ref even0, ref even1);
            TPass.Add(ref x0, (r + 1) * stride, k, m, ref odd0, ref odd1);
        }
        if (r < end)
            TPass.Add(ref x0, r * stride, k, m, ref even0, ref even1);
        sum0 = TOps.Add(even0, odd0);
        sum1 = TOps.Add(even1, odd1);
    }

    /// <summary>
    /// max(v, 0) lane-wise, NaN kept (Vector.Max): written with the constant zero where the JIT sees it, which lowers to
    /// vmaxps/vmaxpd and one fixup instead of the general vrangeps/vrangepd and two fixups that TOps.Max(v, TOps.Zero) got
    /// (the zero came through an inlined call, not a constant), on the path to rstd; same lanes either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Max0<TOps, TV, T>(TV v)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(TV) == typeof(Vector512<T>) ? Unsafe.BitCast<Vector512<T>, TV>(Vector512.Max(Unsafe.BitCast<TV, Vector512<T>>(v), Vector512<T>.Zero))
            : typeof(TV) == typeof(Vector256<T>) ? Unsafe.BitCast<Vector256<T>, TV>(Vector256.Max(Unsafe.BitCast<TV, Vector256<T>>(v), Vector256<T>.Zero))
            : typeof(TV) == typeof(Vector128<T>) ? Unsafe.BitCast<Vector128<T>, TV>(Vector128.Max(Unsafe.BitCast<TV, Vector128<T>>(v), Vector128<T>.Zero))
            : TOps.Max(v, TOps.Zero);

    /// <summary>Whether every lane is finite: otherwise the column's squares overflow T or it holds NaN/±∞, and it is computed in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool AllFinite<TOps, TV, T>(TV variance)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T> =>
        TOps.AllZero(TOps.Subtract(variance, variance));

    /// <summary>1/σ of the spec's kind from a finite variance: Standardize's (<see cref="StandardizeRstd{TOps, TV, T}"/>), else 1/√(σ² + ε).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Rstd<TSpec, TOps, TV, T>(TV variance)
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T> =>
        TSpec.Kind == ColumnKind.Standardize
            ? StandardizeRstd<TOps, TV, T>(variance)
            : TOps.Divide(TOps.Create(T.One), TOps.Sqrt(TOps.Add(variance, TOps.Create(TSpec.Epsilon))));

    /// <summary>Standardize's 1/σ (no ε); σ = 0 gives 0, not 0 · ∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV StandardizeRstd<TOps, TV, T>(TV variance)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T> =>
        TOps.Select(TOps.EqualLanes(variance, TOps.Zero), TOps.Zero, TOps.Divide(TOps.Create(T.One), TOps.Sqrt(variance)));

    /// <summary>(x − k − m)·rstd for x at <paramref name="at"/>, loaded inside the expression so the JIT folds the load into the subtract.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Standardized<TOps, TV, T>(ref T x, nuint at, TV k, TV m, TV rstd)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T> =>
        TOps.Multiply(TOps.Subtract(TOps.Subtract(TOps.Load(ref x, at), k), m), rstd);

    /// <summary>
    /// One row's output from x at <paramref name="at"/>: (x − k − m)·rstd, then the spec's affine (γ and β of row r);
    /// BiasFree: x·rstd·γ, the mean not subtracted. x is loaded inside the expression that uses it, so the JIT folds the
    /// load into the subtract or multiply (passed in as a loaded vector, it took a register and a vmovups of its own).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Normalize<TSpec, TOps, TV, T>(ref T x, nuint at, TV k, TV m, TV rstd, ref T gamma, ref T beta, nuint r)
        where TSpec : struct, IColumnSpec<T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (TSpec.BiasFree) return TOps.Multiply(TOps.Multiply(TOps.Load(ref x, at), rstd), TOps.Create(Unsafe.Add(ref gamma, r))); // Restormer: x, not x − μ
        TV core = Standardized<TOps, TV, T>(ref x, at, k, m, rstd);
        if (TSpec.Kind == ColumnKind.Standardize || TSpec.Affine == Affine.None) return core;
        if (TSpec.Affine == Affine.Scale) return TOps.Multiply(core, TOps.Create(Unsafe.Add(ref gamma, r)));
        return TOps.MultiplyAdd(core, TOps.Create(Unsafe.Add(ref gamma, r)), TOps.Create(Unsafe.Add(ref beta, r)));
    }

    /// <summary>
    /// One vector of neighbouring columns starting at p, over their rows (stride apart): min and max, then
    /// (x − min) / (max − min), stored where <paramref name="keep"/> is set.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // inlined twice into Columns by dynamic PGO, a narrow table ran ~30% slower
    private static void MinMaxChunk<TOps, TV, T>(ref T x, ref T y, nuint rows, nuint stride, nuint p, TV keep)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x0 = ref Unsafe.Add(ref x, p);
        ref T y0 = ref Unsafe.Add(ref y, p);
        // Min and max propagate NaN (IEEE 754-2019 minimum/maximum), so a NaN poisons its own column only.
        TV lo = TOps.Load(ref x0, 0), hi = lo;
        for (nuint r = 1; r < rows; r++)
        {
            TV v = TOps.Load(ref x0, r * stride);
            lo = TOps.Min(lo, v);
            hi = TOps.Max(hi, v);
        }
        TV range = TOps.Subtract(hi, lo);
        // A constant column (range 0) gives 0 rather than 0 / 0.
        TV constant = TOps.EqualLanes(range, TOps.Zero);
        for (nuint r = 0; r < rows; r++)
        {
            TV v = TOps.Select(constant, TOps.Zero, TOps.Divide(TOps.Subtract(TOps.Load(ref x0, r * stride), lo), range));
            TOps.Store(TOps.Select(keep, v, TOps.Load(ref y0, r * stride)), ref y0, r * stride);
        }
    }

    /// <summary>MinMaxScale's columns one at a time, without vectors (no SIMD, or fewer columns than one vector holds).</summary>
    private static void MinMaxScalar<T>(ref T x, ref T y, nuint rows, nuint width, nuint stride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (nuint p = 0; p < width; p++)
        {
            ref T x0 = ref Unsafe.Add(ref x, p);
            ref T y0 = ref Unsafe.Add(ref y, p);
            T lo = x0, hi = lo;
            for (nuint r = 1; r < rows; r++)
            {
                T v = Unsafe.Add(ref x0, r * stride);
                lo = T.Min(lo, v);
                hi = T.Max(hi, v);
            }
            T range = hi - lo;
            for (nuint r = 0; r < rows; r++)
                Unsafe.Add(ref y0, r * stride) = range == T.Zero ? T.Zero : (Unsafe.Add(ref x0, r * stride) - lo) / range;
        }
    }

    /// <summary>Standardize's and ChannelLayerNorm's columns one at a time, without vectors: the statistics of the vector paths, one accumulator per block.</summary>
    private static void MomentsScalar<TSpec, T>(ref T x, ref T y, nuint rows, nuint width, nuint stride, ref T gamma, ref T beta, ref T saveMean, ref T saveRstd)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating(rows);
        for (nuint p = 0; p < width; p++)
        {
            ref T x0 = ref Unsafe.Add(ref x, p);
            ref T y0 = ref Unsafe.Add(ref y, p);
            // The moments of the vector paths (ColumnMoments): sub-blocks merged into blocks, blocks merged in order; one
            // accumulator per sum.
            T shift = x0, offset = T.Zero, m2 = T.Zero;
            nuint subBlock = SubBlockRows<TSpec, T>(stride);
            for (nuint start = 0; start < rows; start += TensorBlocks.ColumnSumBlock)
            {
                nuint end = rows - start > TensorBlocks.ColumnSumBlock ? start + TensorBlocks.ColumnSumBlock : rows;
                T blockOffset = T.Zero, blockM2 = T.Zero;
                for (nuint sub = start; sub < end; sub += subBlock)
                {
                    nuint subEnd = end - sub > subBlock ? sub + subBlock : end;
                    T n = T.CreateTruncating(subEnd - sub), subOffset, subM2;
                    // Past the block's first sub-block, one pass around the block's offset so far (as BlockMoments).
                    if (sub != start && s_predictionMode == 0)
                        Deviations(ref x0, sub, subEnd, stride, shift, blockOffset, n, out subOffset, out subM2);
                    else
                    {
                        T sum = T.Zero;
                        for (nuint r = sub; r < subEnd; r++)
                            sum += Unsafe.Add(ref x0, r * stride) - shift;
                        Deviations(ref x0, sub, subEnd, stride, shift, sum / n, n, out subOffset, out subM2);
                    }
                    if (sub == start)
                        (blockOffset, blockM2) = (subOffset, subM2);
                    else
                        MergeScalar(ref blockOffset, ref blockM2, subOffset, subM2, sub - start, subEnd - sub);
                }
                if (start == 0)
                    (offset, m2) = (blockOffset, blockM2);
                else
                    MergeScalar(ref offset, ref m2, blockOffset, blockM2, start, end - start);
            }
            T variance = T.Max(m2 / count, T.Zero); // NaN stays NaN
            if (!T.IsFinite(variance))
            {
                HugeColumn<TSpec, T>(ref x0, ref y0, rows, stride, ref gamma, ref beta, ref Unsafe.Add(ref saveMean, p), ref Unsafe.Add(ref saveRstd, p)); // squares overflow T: in double
                continue;
            }
            T rstd = TSpec.Kind == ColumnKind.Standardize
                ? (variance == T.Zero ? T.Zero : T.One / T.Sqrt(variance))
                : T.One / T.Sqrt(variance + TSpec.Epsilon);
            if (TSpec.SaveStatistics)
            {
                Unsafe.Add(ref saveMean, p) = shift + offset; // saved for the backward pass
                Unsafe.Add(ref saveRstd, p) = rstd;
            }
            for (nuint r = 0; r < rows; r++)
                Unsafe.Add(ref y0, r * stride) = NormalizeScalar<TSpec, T>(Unsafe.Add(ref x0, r * stride), shift, offset, rstd, ref gamma, ref beta, r);
        }
    }

    /// <summary>
    /// The scalar path's deviations pass over rows start … end − 1 of one column (d = (x − shift) − mean, one accumulator
    /// per sum) and the sub-block's moments from it (SubBlockMoments' operations).
    /// </summary>
    private static void Deviations<T>(ref T x0, nuint start, nuint end, nuint stride, T shift, T mean, T n, out T offset, out T m2)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sumDev = T.Zero, sumSq = T.Zero;
        for (nuint r = start; r < end; r++)
        {
            T d = Unsafe.Add(ref x0, r * stride) - shift - mean;
            sumDev += d;
            sumSq += d * d;
        }
        offset = mean + sumDev / n;
        m2 = sumSq - sumDev * sumDev / n;
    }

    /// <summary>One element's output on the scalar path, as <see cref="Normalize{TSpec, TOps, TV, T}"/> (γ·x̂ + β unfused, as before).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T NormalizeScalar<TSpec, T>(T x, T shift, T offset, T rstd, ref T gamma, ref T beta, nuint r)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (TSpec.BiasFree) return x * rstd * Unsafe.Add(ref gamma, r); // Restormer: x, not x − μ
        T core = (x - shift - offset) * rstd;
        if (TSpec.Kind == ColumnKind.Standardize || TSpec.Affine == Affine.None) return core;
        if (TSpec.Affine == Affine.Scale) return core * Unsafe.Add(ref gamma, r);
        return core * Unsafe.Add(ref gamma, r) + Unsafe.Add(ref beta, r);
    }

    /// <summary>
    /// One column (rows, stride apart) whose squared deviations overflow <typeparamref name="T"/>, in double on x·2⁻ᵏ,
    /// 2ᵏ ≥ max|x|; a column holding NaN or ±∞ gives NaN, as on the common path. Rows are read before they are written.
    /// </summary>
    internal static void HugeColumn<TSpec, T>(ref T x, ref T y, nuint rows, nuint stride, ref T gamma, ref T beta, ref T saveMean, ref T saveRstd)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool finite = typeof(T) == typeof(float)
            ? TensorBlocks.HugeStatistics(ref Unsafe.As<T, float>(ref x), (nint)rows, 1, (nint)stride, out double scale, out double mean, out double variance)
            : TensorBlocks.HugeStatistics(ref Unsafe.As<T, double>(ref x), (nint)rows, 1, (nint)stride, out scale, out mean, out variance);
        if (!finite)
        {
            // NaN or ±∞ in the column: NaN out, and NaN statistics saved, as the general path gives for a NaN variance.
            for (nuint r = 0; r < rows; r++)
                Unsafe.Add(ref y, r * stride) = T.NaN;
            if (TSpec.SaveStatistics)
            {
                saveMean = T.NaN;
                saveRstd = T.NaN;
            }
            return;
        }
        double rstd = TSpec.Kind == ColumnKind.Standardize
            ? (variance == 0d ? 0d : 1d / Math.Sqrt(variance))
            : 1d / Math.Sqrt(variance + double.CreateTruncating(TSpec.Epsilon) * scale * scale);
        if (TSpec.SaveStatistics)
        {
            // Saved for the backward pass in x's units: μ = mean / scale, rstd of x = rstd · scale (x·scale was normalized).
            saveMean = T.CreateTruncating(mean / scale);
            saveRstd = T.CreateTruncating(rstd * scale);
        }
        for (nuint r = 0; r < rows; r++)
        {
            double v = double.CreateTruncating(Unsafe.Add(ref x, r * stride));
            double g = TSpec.Kind == ColumnKind.Standardize || TSpec.Affine == Affine.None ? 0d : double.CreateTruncating(Unsafe.Add(ref gamma, r));
            double output;
            if (TSpec.BiasFree)
                output = v * scale * rstd * g; // Restormer: x, not x − μ
            else if (TSpec.Kind == ColumnKind.Standardize || TSpec.Affine == Affine.None)
                output = (v * scale - mean) * rstd;
            else if (TSpec.Affine == Affine.Scale)
                output = (v * scale - mean) * rstd * g;
            else
                output = (v * scale - mean) * rstd * g + double.CreateTruncating(Unsafe.Add(ref beta, r));
            Unsafe.Add(ref y, r * stride) = T.CreateTruncating(output);
        }
    }
}
