using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NormGen;

// The scalers' mapping pass over a whole dense table (issue 11): MinMaxScale's, and Standardize's where no column went to
// its double path. A tall table that does not fit in the last-level cache is bound by the memory bus: MinMaxScale must
// read x twice (its min and max, then the output) and write y once, as Standardize (its statistics by sub-blocks that
// stay in cache for both passes). Two things cut the
// bytes that cross the bus:
// - the output is written with non-temporal stores once it is larger than the streaming threshold, so the lines of y
//   are not first read for ownership (a quarter of the traffic);
// - the output pass walks the table last row first, so it starts on the rows the pass before it left in the last-level
//   cache instead of on the rows it evicted first.
// The pass walks the table as one flat array, so every vector store but the first and the last is aligned, whatever
// the row length (a row-by-row walk of 1 KiB rows restarts the aligned loop 100,000 times). A vector that spans two
// rows reads its per-column parameters from arrays extended by one vector past the last column (the first columns
// again). Each element gets the same operations as in the row-by-row walk, so the bits do not change. Standardize on
// (100000, 256) floats, one thread, 2-core AMD EPYC (Zen 5), table mode, three alternating pairs of processes: 10.8-11.6 ms
// a call this way against 12.3-12.8 ms row by row with cached stores (an earlier measurement, 20.9-21.6 against
// 19.2-19.7 ms on a slower phase of the machine, had kept the row walk).
public static partial class ColumnEngine
{
    /// <summary>The mapping of a scaler's output pass: y from x and three per-column parameters.</summary>
    internal interface IColumnMap<TV, T> where TV : struct
    {
        /// <summary>The output of x, a vector of columns starting at <paramref name="column"/>.</summary>
        static abstract TV Map(TV x, ref T a, ref T b, ref T c, nuint column);
    }

    /// <summary>MinMaxScale: a = min, b = max − min; (x − min) / range, 0 where the range is 0.</summary>
    internal readonly struct ScaleRangeMap<TOps, TV, T> : IColumnMap<TV, T>
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Map(TV x, ref T a, ref T b, ref T c, nuint column)
        {
            TV range = TOps.Load(ref b, column);
            return TOps.Select(TOps.EqualLanes(range, TOps.Zero), TOps.Zero, TOps.Divide(TOps.Subtract(x, TOps.Load(ref a, column)), range));
        }
    }

    /// <summary>Standardize: a = k, b = m, c = rstd; ((x − k) − m)·rstd, the operations of <see cref="Standardized{TOps, TV, T}"/>.</summary>
    internal readonly struct StandardizeMap<TOps, TV, T> : IColumnMap<TV, T>
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Map(TV x, ref T a, ref T b, ref T c, nuint column) =>
            TOps.Multiply(TOps.Subtract(TOps.Subtract(x, TOps.Load(ref a, column)), TOps.Load(ref b, column)), TOps.Load(ref c, column));
    }

    /// <summary>
    /// y = Map(x, a, b, c) over a dense (rows × width) table, width ≥ one vector, as one flat array; a, b and c hold
    /// width + one vector of per-column values (the last vector's worth repeats columns 0 …). Non-temporal stores when
    /// <paramref name="streaming"/>; the rows last to first when <paramref name="reverse"/>. y may be x: the first and
    /// the last vector (which overlap the aligned ones) are computed before anything is stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static unsafe void MapTable<TMap, TOps, TV, T>(ref T x, ref T y, nuint total, nuint width, ref T a, ref T b, ref T c, bool streaming, bool reverse)
        where TMap : IColumnMap<TV, T> where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint lanes = (nuint)TOps.Count;
        fixed (T* pinned = &y) // the non-temporal stores take an address
        {
            nuint first = MapStart(ref y, lanes, streaming);
            streaming &= first < lanes;
            first %= lanes;
            nuint tailColumn = (total - lanes) % width;
            TV head = TMap.Map(TOps.Load(ref x, 0), ref a, ref b, ref c, 0);
            TV tail = TMap.Map(TOps.Load(ref x, total - lanes), ref a, ref b, ref c, tailColumn);
            nuint vectors = (total - first) / lanes;
            if (reverse)
            {
                nuint i = first + (vectors - 1) * lanes, column = i % width;
                for (nuint v = 0; v < vectors; v++, i -= lanes)
                {
                    TV value = TMap.Map(TOps.Load(ref x, i), ref a, ref b, ref c, column);
                    StoreVector<TOps, TV, T>(value, ref y, i, streaming);
                    column = column >= lanes ? column - lanes : column + width - lanes;
                }
            }
            else
            {
                nuint i = first, column = first % width;
                for (nuint v = 0; v < vectors; v++, i += lanes)
                {
                    TV value = TMap.Map(TOps.Load(ref x, i), ref a, ref b, ref c, column);
                    StoreVector<TOps, TV, T>(value, ref y, i, streaming);
                    column += lanes;
                    if (column >= width) column -= width;
                }
            }
            // The unaligned ends, same values as the aligned stores they overlap.
            TOps.Store(head, ref y, 0);
            TOps.Store(tail, ref y, total - lanes);
            if (streaming) StreamingStore.Fence();
        }
    }

    /// <summary>
    /// The element of y from which <see cref="MapTable{TMap, TOps, TV, T}"/> walks whole vectors: with non-temporal
    /// stores, the first on a vector boundary (<paramref name="lanes"/> when y is not aligned to its element size, and
    /// then no store is aligned: MapTable stores through the cache from 0); otherwise 0.
    /// </summary>
    internal static nuint MapStart<T>(ref T y, nuint lanes, bool streaming) where T : unmanaged =>
        streaming ? (nuint)StreamingStore.ElementsToAlignment(ref y, (int)lanes) : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreVector<TOps, TV, T>(TV value, ref T y, nuint index, bool streaming)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!streaming)
            TOps.Store(value, ref y, index);
        else
            TOps.StoreNonTemporal(value, ref Unsafe.Add(ref y, index));
    }

    /// <summary>
    /// Whether the column statistics passes over a table of <paramref name="total"/> elements (Standardize's and
    /// ChannelLayerNorm's panels, the row blocks) stream x from memory, one row at a time prefetched ahead, rather than
    /// four rows at a time from the cache: when x and y together (x alone when y is x) reach the streaming threshold, as
    /// for the output pass. x alone was the rule before; a table just under it (x of 30-31 MB beside a y as large)
    /// does not stay in the last-level cache between the passes, and read four rows at a time it came from memory in four
    /// streams, which the hardware prefetcher follows worse. Standardize (40000, 192) floats, one thread: 3.19 -> 2.36-2.44 ms;
    /// (40000, 199) 3.91 -> 2.94-3.05 (2-core EPYC, in one session); (20000, 192..199) unchanged (x + y under 32 MiB).
    /// </summary>
    internal static bool StreamStatistics<T>(ref T x, ref T y, nuint total) where T : unmanaged => StreamOutput(ref x, ref y, total);

    /// <summary>
    /// Whether a scaler's output pass over <paramref name="total"/> elements writes with non-temporal stores: as a tuned
    /// call on this thread says (<see cref="t_stores"/>), else by the threshold.
    /// </summary>
    internal static bool StreamOutput<T>(nuint total) where T : unmanaged =>
        t_stores != 0 ? t_stores == 2 : RowScheduler.UseStreamingStores((long)total * Unsafe.SizeOf<T>());

    /// <summary>
    /// The stores a tuned scaler call (<see cref="TunedSamples"/>) runs with on this thread: 0 none (the threshold
    /// decides), 1 cached, 2 non-temporal. Its passes decide their stores on the calling thread, before they spread.
    /// </summary>
    [ThreadStatic]
    private static int t_stores;

    /// <summary>The probes of the scalers' store tuning, one per (spec, compute type, threads, log₂ rows, log₂ columns).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Type Spec, Type Compute, int Threads, int RowLog, int ColumnLog), StoreProbe> s_storeProbes = new();

    /// <summary>
    /// Whether a Standardize or MinMaxScale call over a float or double table tunes its stores (see
    /// <see cref="NormGenSettings.TuneStores"/>): tuning on with the default threshold, x and y together at least half
    /// of it, and the threshold not already streaming them (then cached and non-temporal stores are the candidates).
    /// </summary>
    private static bool TunesStores<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged
    {
        if (!NormGenSettings.TuneStores) return false;
        long threshold = NormGenSettings.StreamingStoreThreshold;
        long bytes = (long)TableElements(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), (nuint)x.Length) * Unsafe.SizeOf<T>();
        return threshold == NormGenSettings.DefaultStreamingStoreThreshold && bytes >= threshold / 2 && bytes < threshold;
    }

    /// <summary>
    /// <see cref="Samples{TSpec, T}"/> for a call <see cref="TunesStores"/> takes: its class's probe (RowEngine.StoreTuning.cs)
    /// picks cached or non-temporal stores, the call runs with them on this thread's decisions, and reports its time per
    /// byte while the probe decides. Both compute the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TunedSamples<TSpec, T>(ReadOnlySpan<T> x, Span<T> y, int samples, int features, int ranges)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = TensorBlocks.RowBlocks(samples);
        StoreProbe probe = s_storeProbes.GetOrAdd(StoreClass<TSpec, T>(RowScheduler.DegreeOfParallelism(blocks, x.Length / blocks), samples, features),
            static _ => new StoreProbe([RowEngine.RowStores.Threshold, RowEngine.RowStores.Streaming]));
        RowEngine.RowStores stores = probe.Next(out bool timed);
        long start = timed ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        t_stores = stores == RowEngine.RowStores.Streaming ? 2 : 1;
        try
        {
            UntunedSamples<TSpec, T>(x, y, samples, features, ranges);
        }
        finally
        {
            t_stores = 0;
        }
        if (timed) probe.Record(stores, (double)(System.Diagnostics.Stopwatch.GetTimestamp() - start) / (2.0 * x.Length * Unsafe.SizeOf<T>()));
    }

    /// <summary>The stores the probe of a tuned scaler class has settled on, or null while it is still timing (tests).</summary>
    internal static RowEngine.RowStores? TunedStores<TSpec, T>(int threads, int samples, int features)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        s_storeProbes.TryGetValue(StoreClass<TSpec, T>(threads, samples, features), out StoreProbe? probe) ? probe.Decided : null;

    /// <summary>A scaler call's class for its probe: the spec, compute type, thread count, log₂ of its rows and of its columns.</summary>
    private static (Type Spec, Type Compute, int Threads, int RowLog, int ColumnLog) StoreClass<TSpec, T>(int threads, int samples, int features)
        where TSpec : struct, IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        (typeof(TSpec), typeof(T), threads, BitOperations.Log2((uint)samples), BitOperations.Log2((uint)features));

    /// <summary>Forgets every scaler probe (tests).</summary>
    internal static void ResetStoreTuning() => s_storeProbes.Clear();

    /// <summary>
    /// Whether MinMaxScale's output pass over a dense table of <paramref name="total"/> elements writes with non-temporal
    /// stores: when x and y together (x alone when y is x) reach the streaming threshold, since its min/max pass wants x
    /// in the last-level cache and a y written through the cache evicts it. Measured on the output pass alone, repeated,
    /// (1000, 4096) floats: 0.82-0.85 ms streaming against 1.11-1.15 ms cached (loud 2-core EPYC, thread CPU time); that
    /// shape (31.25 MiB together) stays just under the default 32 MiB threshold, so it changes tables of 32-64 MiB only.
    /// </summary>
    internal static bool StreamOutput<T>(ref T x, ref T y, nuint total) where T : unmanaged =>
        StreamOutput<T>(TableElements(ref x, ref y, total));

    /// <summary>The elements a pass over x (<paramref name="total"/>) and y moves through the caches: x alone when y is x.</summary>
    private static nuint TableElements<T>(ref T x, ref T y, nuint total) => Unsafe.AreSame(ref x, ref y) ? total : 2 * total;

}
