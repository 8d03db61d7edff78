using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace NormGen;

// Store tuning for large row calls (issue 11). Which stores write a large output fastest depends on the machine: on one
// 2-core AMD EPYC VM (Zen 4) LayerNorm 4096 × 1024 floats ran 1.8-2× faster with non-temporal stores and the next row's
// reads interleaved into this row's writes (the cross-row pipeline) than with the cached stores the 32 MiB threshold
// picks, and 512 × 4096 1.2-1.3×; on another VM of the same type (Zen 5) the pipeline took up to 1.6× the time for rows
// under 32 KiB, and on the reference Xeon VM 16 MiB outputs were 1.7× faster cached. No fixed rule fits them all, and
// every way computes the same bits, so the first calls of each (spec, thread count, row size, output size) class time
// the candidates and the later ones keep the fastest (StoreProbe).
public static partial class RowEngine
{
    /// <summary>The ways a large row call can write its output; each computes the same bits.</summary>
    internal enum RowStores
    {
        /// <summary>What <see cref="NormGenSettings.StreamingStoreThreshold"/> picks, rows a time.</summary>
        Threshold = 0,

        /// <summary>Non-temporal stores, rows a time (each row's last pass prefetching the next row).</summary>
        Streaming = 1,

        /// <summary>Non-temporal stores in the cross-row pipeline (RowEngine.Streaming.cs).</summary>
        Pipelined = 2,
    }

    /// <summary>
    /// A call whose input and output together are at least this share of <see cref="NormGenSettings.StreamingStoreThreshold"/>
    /// (÷ 2: half the last-level cache, at most 16 MiB) is tuned: smaller ones stay in cache, where cached stores are right.
    /// </summary>
    private const int TunedShareOfThreshold = 2;

    /// <summary>The probes, one per (spec, compute type, threads, log₂ row bytes, log₂ output bytes).</summary>
    private static readonly ConcurrentDictionary<(Type Spec, Type Compute, int Threads, int RowLog, int OutputLog), StoreProbe> s_storeProbes = new();

    /// <summary>
    /// Whether a call of this spec can take the cross-row pipeline at all: float or double rows (Half ones are staged
    /// through float scratch) without an activation (whose last pass goes a vector at a time). A JIT-time constant.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool PipelineCapable<TSpec, TX, TY, T>()
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(TX) != typeof(Half) && typeof(TY) != typeof(Half) && Spec<TSpec, T>.Activation == Activation.None;

    /// <summary>
    /// Whether <see cref="Large"/> tunes this call's stores: a spec that can stream and pipeline, tuning on
    /// (<see cref="NormGenSettings.TuneStores"/>) with the default threshold, no forced pipeline mode, and input plus
    /// output of at least half the threshold.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TunesStores<TSpec, TX, TY, T>(long inputBytes, long outputBytes)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!PipelineCapable<TSpec, TX, TY, T>() || !CanStream<TSpec, TX, TY, T>() || s_pipelineMode != 0 || !NormGenSettings.TuneStores) return false;
        long threshold = NormGenSettings.StreamingStoreThreshold;
        return threshold == NormGenSettings.DefaultStreamingStoreThreshold && inputBytes + outputBytes >= threshold / TunedShareOfThreshold;
    }

    /// <summary>
    /// <see cref="Large"/> for a call <see cref="TunesStores"/> takes: its class's probe picks the stores (the
    /// threshold's while it warms up, then each candidate in turn, then the fastest for good), the call runs with them and,
    /// while the probe is still deciding, reports its time per byte.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TunedLarge<TSpec, TX, TY, T>(ReadOnlySpan<TX> x, Span<TY> y, int rowLength, int rows, ReadOnlySpan<TX> residual, ReadOnlySpan<TX> bias,
        ReadOnlySpan<TX> gamma, ReadOnlySpan<TX> beta, Span<TX> residualOut, Span<T> mean, Span<T> rstd, int threads, bool thresholdStreams, long bytes)
        where TSpec : struct, IRowSpec<T>
        where TX : unmanaged
        where TY : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        StoreProbe probe = s_storeProbes.GetOrAdd(StoreClass<TSpec, T>(threads, rowLength, y.Length), static (_, streams) => new StoreProbe(streams), thresholdStreams);
        RowStores stores = probe.Next(out bool timed);
        bool streaming = thresholdStreams || stores != RowStores.Threshold, pipeline = stores == RowStores.Pipelined;
        long start = timed ? Stopwatch.GetTimestamp() : 0;
        RunLarge<TSpec, TX, TY, T>(x, y, rowLength, rows, residual, bias, gamma, beta, residualOut, mean, rstd, threads, streaming, prefetch: true, pipeline);
        if (timed) probe.Record(stores, (double)(Stopwatch.GetTimestamp() - start) / bytes);
    }

    /// <summary>The stores the probe of a tuned class has settled on, or null while it is still timing (tests, benchmarks).</summary>
    internal static RowStores? TunedStores<TSpec, T>(int threads, int rowLength, long outputLength)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        return s_storeProbes.TryGetValue(StoreClass<TSpec, T>(threads, rowLength, outputLength), out StoreProbe? probe) ? probe.Decided : null;
    }

    /// <summary>A call's class for its probe: the spec, compute type, thread count, log₂ of the row's and of the output's bytes.</summary>
    private static (Type Spec, Type Compute, int Threads, int RowLog, int OutputLog) StoreClass<TSpec, T>(int threads, int rowLength, long outputLength)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> =>
        (typeof(TSpec), typeof(T), threads, BitOperations.Log2((ulong)rowLength * (ulong)Unsafe.SizeOf<T>()), BitOperations.Log2((ulong)outputLength * (ulong)Unsafe.SizeOf<T>()));

    /// <summary>Forgets every probe (tests: a class timed again from its first call).</summary>
    internal static void ResetStoreTuning() => s_storeProbes.Clear();
}

/// <summary>
/// The timing of one class of large row calls (see RowEngine.StoreTuning.cs): its first calls go round the candidates
/// untimed (<see cref="WarmRounds"/> rounds, and on until <see cref="WarmTicks"/> have passed since the first: each
/// candidate's code compiled and tiered up, the pages touched), then the candidates take turns until each has
/// <see cref="Samples"/> timed calls, and the fastest by its best call (the least disturbed) is kept; the threshold's own
/// stores unless another is faster by more than <see cref="Margin"/>. Thread-safe: calls that arrive together take turns
/// as they come, and the decision is made once.
/// </summary>
internal sealed class StoreProbe
{
    /// <summary>Untimed rounds of the candidates before the timed ones, at least.</summary>
    internal const int WarmRounds = 2;

    /// <summary>
    /// How long after a class's first call its untimed rounds go on (250 ms): tiered compilation installs a method's
    /// optimized code some 100 ms after its 30th call, and a probe timed before that compares unoptimized code. Not
    /// readonly: the tests set it to 0.
    /// </summary>
    internal static long WarmTicks = Stopwatch.Frequency / 4;

    /// <summary>Timed calls per candidate.</summary>
    internal const int Samples = 5;

    /// <summary>How much faster (time ratio) another candidate must be to be kept over the threshold's stores.</summary>
    internal const double Margin = 0.97;

    private readonly RowEngine.RowStores[] _candidates;
    private readonly double[] _best;
    private readonly int[] _timed;
    private int _calls;
    private int _decided = -1;
    private long _first;
    private int _warmCalls = -1;

    /// <param name="thresholdStreams">The threshold already picks non-temporal stores: then they are the threshold's candidate.</param>
    public StoreProbe(bool thresholdStreams)
        : this(thresholdStreams
            ? [RowEngine.RowStores.Threshold, RowEngine.RowStores.Pipelined]
            : [RowEngine.RowStores.Threshold, RowEngine.RowStores.Streaming, RowEngine.RowStores.Pipelined])
    {
    }

    /// <param name="candidates">The candidates, the threshold's first.</param>
    public StoreProbe(RowEngine.RowStores[] candidates)
    {
        _candidates = candidates;
        _best = new double[_candidates.Length];
        _timed = new int[_candidates.Length];
        Array.Fill(_best, double.PositiveInfinity);
    }

    /// <summary>The stores kept, or null while timing.</summary>
    public RowEngine.RowStores? Decided
    {
        get
        {
            int decided = Volatile.Read(ref _decided);
            return decided < 0 ? null : _candidates[decided];
        }
    }

    /// <summary>The stores for the next call; <paramref name="timed"/>: whether to report its time (<see cref="Record"/>).</summary>
    public RowEngine.RowStores Next(out bool timed)
    {
        int decided = Volatile.Read(ref _decided);
        timed = false;
        if (decided >= 0) return _candidates[decided];
        int call = Interlocked.Increment(ref _calls) - 1;
        int warm = Volatile.Read(ref _warmCalls);
        if (warm < 0)
        {
            // Still warming: round after round of the candidates untimed, until the rounds and the time are both done;
            // then the timed calls start with the first candidate.
            long now = Stopwatch.GetTimestamp();
            if (call == 0) Volatile.Write(ref _first, now);
            bool done = call >= WarmRounds * _candidates.Length && call % _candidates.Length == 0 && now - Volatile.Read(ref _first) >= Volatile.Read(ref WarmTicks);
            if (!done || Interlocked.CompareExchange(ref _warmCalls, call, -1) != -1)
                return _candidates[call % _candidates.Length];
            warm = call;
        }
        if (call < warm) return _candidates[call % _candidates.Length];
        timed = true;
        return _candidates[(call - warm) % _candidates.Length];
    }


    /// <summary>A timed call's time per byte with <paramref name="stores"/>; decides once every candidate has its samples.</summary>
    public void Record(RowEngine.RowStores stores, double timePerByte)
    {
        lock (_best)
        {
            if (_decided >= 0) return;
            int i = Array.IndexOf(_candidates, stores);
            _timed[i]++;
            _best[i] = Math.Min(_best[i], timePerByte);
            foreach (int count in _timed)
                if (count < Samples) return;
            int fastest = 0;
            for (int k = 1; k < _candidates.Length; k++)
                if (_best[k] < _best[fastest]) fastest = k;
            // The threshold's stores stay unless beaten by more than the margin: the others evict the output from cache.
            Volatile.Write(ref _decided, _best[fastest] < Margin * _best[0] ? fastest : 0);
        }
    }
}
