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
/// The forward row kernel of LayerNorm, RMSNorm and DeepNorm, written once for every vector width and every fusion and
/// specialised by the JIT per declaration on the generated <see cref="IRowSpec{T}"/> struct (the TensorPrimitives
/// operator pattern): the generated method checks its arguments and calls <see cref="Forward{TSpec, TX, TY, T}"/>.
/// </summary>
/// <remarks>
/// Per row: an optional prologue forms h = α·x + residual (+ bias) in pass 1 and stores it (into the residual-stream
/// output, y, or row scratch when streaming); the statistics are the shifted one-pass sums (shift = the mean of the first
/// vector, four accumulators), kept while the shift is within about σ/2 of the mean, else an exact corrected two-pass;
/// the last pass normalises as (x − center)·rstd − offset·rstd, then applies 1 + γ or γ, β and the activation. Rows
/// shorter than a vector and processors without SIMD take a double-precision scalar path; a finite row whose sums
/// overflow is redone in double on x·2⁻ᵏ (HugeRow). Large outputs use aligned non-temporal stores; inputs past a core's
/// L2 prefetch the next row during the last pass (with either kind of store); with non-temporal stores over float or
/// double spans and no activation, a row's last pass runs interleaved with the next row's pass 1 (the cross-row
/// pipeline, RowEngine.Streaming.cs); Half spans are widened into float scratch and narrowed once on store.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class RowEngine
{
    /// <summary>
    /// Normalizes <paramref name="rows"/> rows of <paramref name="x"/> into <paramref name="y"/>, on this thread or
    /// spread over the pool. Arguments must already be checked (lengths, overlaps, rows &gt; 0); spans the spec does not
    /// use are empty.
    /// </summary>
    /// <typeparam name="TSpec">The generated spec: row length, ε, fusions.</typeparam>
    /// <typeparam name="TX">Element of the inputs and of the residual-stream output (float, double or Half).</typeparam>
    /// <typeparam name="TY">Element of the output (TX, or float ↔ Half).</typeparam>
    /// <typeparam name="T">Compute type: float (for float and Half) or double; also the statistics' element.</typeparam>
    /// <param name="x">The rows.</param>
    /// <param name="y">The output, the length of <paramref name="x"/>.</param>
    /// <param name="rowLength">Elements per row (the spec's RowLength when fixed at compile time).</param>
    /// <param name="rows">Rows in <paramref name="x"/>.</param>
    /// <param name="residual">The residual added to x (pre-norm residual, DeepNorm).</param>
    /// <param name="bias">The per-column bias added to h.</param>
    /// <param name="gamma">γ, one per column.</param>
    /// <param name="beta">β, one per column.</param>
    /// <param name="residualOut">Receives h.</param>
    /// <param name="mean">Receives each row's mean.</param>
    /// <param name="rstd">Receives each row's 1/√(σ² + ε).</param>
    /// <remarks>
    /// The row methods tier up like the generated kernels before them: compiled fully optimised on first use
    /// (AggressiveOptimization) they had no profile, and without one the JIT left the large inlinees of the activations
    /// (the BCL's VectorMath.ExpSingle, under GELU; since replaced by <see cref="VectorExp{TOps, TV, T}"/>) as calls, one per
    /// output vector (LayerNorm+GELU 1.2× the generated kernel). The
    /// scalar path (short rows, no SIMD) stays AggressiveOptimization. Forward itself is inlined into the generated
    /// method, so a small call passes no spans through the stack: it goes from the argument checks straight to the row
    /// loop.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Forward<TSpec, TX, TY, T>(ReadOnlySpan<TX> x, Span<TY> y, int rowLength, int rows,
        ReadOnlySpan<TX> residual = default, ReadOnlySpan<TX> bias = default, ReadOnlySpan<TX> gamma = default, ReadOnlySpan<TX> beta = default,
        Span<TX> residualOut = default, Span<T> mean = default, Span<T> rstd = default)
        where TSpec : struct, IRowSpec<T>
        where TX : unmanaged
        where TY : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long elementBytes = typeof(TY) == typeof(double) ? sizeof(double) : sizeof(float);
        // A small call (its input under MinPrefetchBytes, on this thread, cached stores) is decided with one compare and
        // two flag reads and goes to the row loop with streaming and prefetch known to be off; everything else is
        // decided out of this method's line (Large), where a call of 2 MiB or more does not feel the extra frame.
        if (x.Length * elementBytes < MinPrefetchBytes && RowScheduler.DegreeOfParallelism(rows, rowLength) == 1
            && !(CanStream<TSpec, TX, TY, T>() && RowScheduler.UseStreamingStores(y.Length * elementBytes, rowLength * elementBytes, y)))
        {
            OnThisThread<TSpec, TX, TY, T>(x, residual, bias, gamma, beta, y, residualOut, mean, rstd, rowLength, rows, prefetch: false);
        }
        else
        {
            Large<TSpec, TX, TY, T>(x, y, rowLength, rows, residual, bias, gamma, beta, residualOut, mean, rstd);
        }
    }

    /// <summary>
    /// <see cref="Forward"/> for a call that is not small: the thread count, the store kind, prefetching and the
    /// cross-row pipeline decided, then the rows on this thread or <see cref="Spread"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Large<TSpec, TX, TY, T>(ReadOnlySpan<TX> x, Span<TY> y, int rowLength, int rows, ReadOnlySpan<TX> residual, ReadOnlySpan<TX> bias,
        ReadOnlySpan<TX> gamma, ReadOnlySpan<TX> beta, Span<TX> residualOut, Span<T> mean, Span<T> rstd)
        where TSpec : struct, IRowSpec<T>
        where TX : unmanaged
        where TY : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int threads = RowScheduler.DegreeOfParallelism(rows, rowLength);
        long elementBytes = typeof(TY) == typeof(double) ? sizeof(double) : sizeof(float);
        bool streaming = CanStream<TSpec, TX, TY, T>() && RowScheduler.UseStreamingStores(y.Length * elementBytes, rowLength * elementBytes, y);
        if (TunesStores<TSpec, TX, TY, T>(x.Length * elementBytes, y.Length * elementBytes))
        {
            TunedLarge<TSpec, TX, TY, T>(x, y, rowLength, rows, residual, bias, gamma, beta, residualOut, mean, rstd, threads, streaming,
                (x.Length + y.Length) * elementBytes);
            return;
        }
        bool prefetch = streaming || x.Length * elementBytes >= MinPrefetchBytes;
        bool pipeline = prefetch && CanPipeline<TSpec, TX, TY, T>();
        RunLarge<TSpec, TX, TY, T>(x, y, rowLength, rows, residual, bias, gamma, beta, residualOut, mean, rstd, threads, streaming, prefetch, pipeline);
    }

    /// <summary>
    /// A large call once its thread count, stores, prefetching and pipeline are decided (<see cref="Large"/>, the tuned
    /// call): on this thread with cached stores, else over the pool (<see cref="Spread"/>, which pins the spans).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunLarge<TSpec, TX, TY, T>(ReadOnlySpan<TX> x, Span<TY> y, int rowLength, int rows, ReadOnlySpan<TX> residual, ReadOnlySpan<TX> bias,
        ReadOnlySpan<TX> gamma, ReadOnlySpan<TX> beta, Span<TX> residualOut, Span<T> mean, Span<T> rstd, int threads, bool streaming, bool prefetch, bool pipeline)
        where TSpec : struct, IRowSpec<T>
        where TX : unmanaged
        where TY : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (threads == 1 && !streaming && !pipeline)
            OnThisThread<TSpec, TX, TY, T>(x, residual, bias, gamma, beta, y, residualOut, mean, rstd, rowLength, rows, prefetch);
        else
            Spread<TSpec, TX, TY, T>(x, y, rowLength, rows, residual, bias, gamma, beta, residualOut, mean, rstd, threads, streaming, prefetch, pipeline);
    }

    /// <summary>
    /// All rows on the calling thread with cached stores, for <see cref="Forward"/>'s small call and <see cref="Large"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OnThisThread<TSpec, TX, TY, T>(ReadOnlySpan<TX> x, ReadOnlySpan<TX> residual, ReadOnlySpan<TX> bias, ReadOnlySpan<TX> gamma,
        ReadOnlySpan<TX> beta, Span<TY> y, Span<TX> residualOut, Span<T> mean, Span<T> rstd, int rowLength, int rows, bool prefetch)
        where TSpec : struct, IRowSpec<T>
        where TX : unmanaged
        where TY : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsPlain<TSpec, TX, TY, T>(false))
        {
            // A small spec's one row (no residual, no activation) goes through InlinedOneRow, inlined here. The test reads
            // static readonly fields (Spec), constants when the JIT imports this method at tier 1, so another spec's method
            // does not import that branch (a spec property is a call until inlined, and the JIT inlined a dead branch's calls
            // too: AddLnF's generated method went from 125 to 534 inlinees). The generator marks the generated method of such
            // a spec over float or double spans NoInlining (KernelSpec.InlinesOneRow, the same test): inlined into a small
            // caller, the row ran out of the caller's inlining budget.
            if (!Spec<TSpec, T>.Residual && Spec<TSpec, T>.Activation == Activation.None && rows == 1)
            {
                SmallOneRow<TSpec, T>(ref Direct<TX, T>(x), ref Direct<TX, T>(gamma), ref Direct<TX, T>(beta), ref Direct<TY, T>(y),
                    ref MemoryMarshal.GetReference(mean), ref MemoryMarshal.GetReference(rstd), (nuint)(Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.RowLength : rowLength));
                return;
            }
            // Float and double: the spans become one RowRefs here and go down by reference (9 spans by value through
            // three calls cost a small call more than its row).
            RowRefs<T> c;
            if (rows == 1)
            {
                // One row: x, γ, β, y and the length go to the row method in registers; c holds only the streams of a
                // residual and the saved statistics.
                PlainRefs<TSpec, TX, TY, T>(out c, x, residual, bias, gamma, beta, y, residualOut, mean, rstd, rowLength, false, prefetch, oneRow: true);
                PlainRow<TSpec, T>(ref c, ref Direct<TX, T>(x), ref Direct<TX, T>(gamma), ref Direct<TX, T>(beta), ref Direct<TY, T>(y),
                    (nuint)(Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.RowLength : rowLength));
            }
            else
            {
                PlainRefs<TSpec, TX, TY, T>(out c, x, residual, bias, gamma, beta, y, residualOut, mean, rstd, rowLength, false, prefetch, oneRow: false);
                PlainRows<TSpec, T>(ref c, ref Direct<TX, T>(x), 0, rows);
            }
        }
        else
        {
            Rows<TSpec, TX, TY, T>(x, residual, bias, gamma, beta, y, residualOut, mean, rstd, rowLength, 0, rows, false, prefetch);
        }
    }

    /// <summary>
    /// <see cref="Forward"/> over several threads or with streaming stores: the scheduler pins every span, which streaming
    /// stores need. Out of Forward's line, so a small call's frame does not carry the scheduler's arguments.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Spread<TSpec, TX, TY, T>(ReadOnlySpan<TX> x, Span<TY> y, int rowLength, int rows, ReadOnlySpan<TX> residual, ReadOnlySpan<TX> bias,
        ReadOnlySpan<TX> gamma, ReadOnlySpan<TX> beta, Span<TX> residualOut, Span<T> mean, Span<T> rstd, int threads, bool streaming, bool prefetch,
        bool pipeline)
        where TSpec : struct, IRowSpec<T>
        where TX : unmanaged
        where TY : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
        => RowScheduler.Run(threads, rows, new Block<TSpec, TX, TY, T>(rowLength, streaming, prefetch, pipeline),
            MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(residual), MemoryMarshal.AsBytes(bias), MemoryMarshal.AsBytes(gamma),
            MemoryMarshal.AsBytes(beta), MemoryMarshal.AsBytes((ReadOnlySpan<TY>)y), MemoryMarshal.AsBytes((ReadOnlySpan<TX>)residualOut),
            MemoryMarshal.AsBytes((ReadOnlySpan<T>)mean), MemoryMarshal.AsBytes((ReadOnlySpan<T>)rstd));

    /// <summary>
    /// Whether large outputs can use non-temporal stores: every output the last pass writes must be the user's (pinned)
    /// memory, not a Half staging buffer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CanStream<TSpec, TX, TY, T>()
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(TY) != typeof(Half) && !(Spec<TSpec, T>.ResidualOut && typeof(TX) == typeof(Half));

    /// <summary>A block of rows for one pool thread; the spans arrive pinned, in <see cref="Forward"/>'s order.</summary>
    private readonly struct Block<TSpec, TX, TY, T>(int rowLength, bool streaming, bool prefetch, bool pipeline) : IRowKernel
        where TSpec : struct, IRowSpec<T>
        where TX : unmanaged
        where TY : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
        {
            if (IsPlain<TSpec, TX, TY, T>(streaming) || pipeline)
            {
                PlainRefs<TSpec, TX, TY, T>(out RowRefs<T> c, buffers.Get<TX>(0), buffers.Get<TX>(1), buffers.Get<TX>(2), buffers.Get<TX>(3), buffers.Get<TX>(4),
                    buffers.Get<TY>(5), buffers.Get<TX>(6), buffers.Get<T>(7), buffers.Get<T>(8), rowLength, streaming, prefetch, oneRow: false);
                if (pipeline)
                    StreamedRows<TSpec, T>(ref c, ref Unsafe.Add(ref c.X, (nuint)firstRow * c.XStride), firstRow, rowCount);
                else
                    PlainRows<TSpec, T>(ref c, ref Unsafe.Add(ref c.X, (nuint)firstRow * c.XStride), firstRow, rowCount);
            }
            else
            {
                Rows<TSpec, TX, TY, T>(buffers.Get<TX>(0), buffers.Get<TX>(1), buffers.Get<TX>(2), buffers.Get<TX>(3), buffers.Get<TX>(4),
                    buffers.Get<TY>(5), buffers.Get<TX>(6), buffers.Get<T>(7), buffers.Get<T>(8), rowLength, firstRow, rowCount, streaming, prefetch);
            }
        }
    }

    /// <summary>
    /// Whether a call runs without row scratch: float or double spans, and no residual with streaming stores (h then
    /// lives in scratch). A JIT-time constant apart from <paramref name="streaming"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsPlain<TSpec, TX, TY, T>(bool streaming)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(TX) != typeof(Half) && typeof(TY) != typeof(Half) && !(Spec<TSpec, T>.Residual && streaming);

    // ---------------------------------------------------------------- rows

    /// <summary>The row's elements in the compute type: the user's memory, or float scratch for Half.</summary>
    private static ref T Direct<TX, T>(ReadOnlySpan<TX> span) where TX : unmanaged
        => ref Unsafe.As<TX, T>(ref MemoryMarshal.GetReference(span));

    private static T[]? Rent<T>(bool needed, int n) => needed ? ArrayPool<T>.Shared.Rent(n) : null;

    private static void Return<T>(T[]? array)
    {
        if (array is not null) ArrayPool<T>.Shared.Return(array);
    }

    /// <summary>Widens a Half span into float scratch; the scratch's first element.</summary>
    private static ref T Widen<TX, T>(ReadOnlySpan<TX> source, T[] scratch) where TX : unmanaged where T : unmanaged
    {
        Span<float> into = MemoryMarshal.Cast<T, float>(scratch.AsSpan(0, source.Length));
        HalfWidening.ToSingle(MemoryMarshal.Cast<TX, Half>(source), into);
        return ref MemoryMarshal.GetArrayDataReference(scratch);
    }

    /// <summary>
    /// Normalizes rows firstRow … firstRow + rowCount − 1 with the widest vectors this processor accelerates that fit
    /// the row (JIT-time constants for a compile-time row), chosen once per call. Arguments are already checked. Not
    /// inlined: with the spec's values folded at import (<see cref="Spec{TSpec, T}"/>) the JIT began to inline this Half
    /// path into the generated method, and LayerNorm Half 64×1024 read 1.12–1.16× eba5bfa in some processes.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Rows<TSpec, TX, TY, T>(ReadOnlySpan<TX> x, ReadOnlySpan<TX> residual, ReadOnlySpan<TX> bias, ReadOnlySpan<TX> gamma,
        ReadOnlySpan<TX> beta, Span<TY> y, Span<TX> residualOut, Span<T> mean, Span<T> rstd, int rowLength, int firstRow, int rowCount, bool streaming, bool prefetch)
        where TSpec : struct, IRowSpec<T>
        where TX : unmanaged
        where TY : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.RowLength : rowLength;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<T>.Count)
            Loop<TSpec, TX, TY, T, VectorBody<T, Vector512<T>, Vec512<T>>>(x, residual, bias, gamma, beta, y, residualOut, mean, rstd, n, firstRow, rowCount, streaming, prefetch);
        else if (Vector256.IsHardwareAccelerated && n >= Vector256<T>.Count)
            Loop<TSpec, TX, TY, T, VectorBody<T, Vector256<T>, Vec256<T>>>(x, residual, bias, gamma, beta, y, residualOut, mean, rstd, n, firstRow, rowCount, streaming, prefetch);
        else if (Vector128.IsHardwareAccelerated && n >= Vector128<T>.Count)
            Loop<TSpec, TX, TY, T, VectorBody<T, Vector128<T>, Vec128<T>>>(x, residual, bias, gamma, beta, y, residualOut, mean, rstd, n, firstRow, rowCount, streaming, prefetch);
        else
            Loop<TSpec, TX, TY, T, ScalarBody<T>>(x, residual, bias, gamma, beta, y, residualOut, mean, rstd, n, firstRow, rowCount, streaming, prefetch);
    }

    /// <summary>
    /// Where one call's rows are: each stream's first row and its stride (the row length for the user's memory, 0 for
    /// a row of scratch), the per-column parameters and the per-call flags. The row method gets it by reference with the
    /// row index: four arguments per row instead of thirteen, most of which went through the stack.
    /// </summary>
    private ref struct RowRefs<T>
    {
        public ref T X, Residual, Bias, Gamma, Beta, Y, ResidualOut, H, Mean, Rstd;
        public nuint XStride, ResidualStride, YStride, ResidualOutStride, HStride, N;
        /// <summary>Where the last pass's vector loop starts (y's first vector boundary; see AlignedParameterRows), 0 elsewhere.</summary>
        public nuint Head;
        public bool Streaming, Prefetch;
    }

    /// <summary>
    /// One row at one width: <see cref="Loop"/> is specialised on it. Saves the row's statistics into c.Mean and
    /// c.Rstd; false (nothing saved) for a row the caller redoes in HugeRow.
    /// </summary>
    private interface IRowBody<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>
        /// Rows <paramref name="first"/> … <paramref name="end"/> − 1, <paramref name="x"/> the first one's x; returns the
        /// first row left to HugeRow, or <paramref name="end"/>.
        /// </summary>
        static abstract nuint Rows<TSpec, TX, TY>(ref RowRefs<T> c, ref T x, nuint first, nuint end) where TSpec : struct, IRowSpec<T> where TX : unmanaged where TY : unmanaged;

        /// <summary>
        /// Row 0 alone (a one-row call over float or double spans), its x, γ, β, y and length given (c holds only the
        /// residual's streams and the statistics'); false when it is left to HugeRow.
        /// </summary>
        static abstract bool Row<TSpec>(ref RowRefs<T> c, ref T x, ref T gamma, ref T beta, ref T y, nuint n) where TSpec : struct, IRowSpec<T>;
    }

    /// <summary>
    /// A JIT-time row count for <see cref="VectorRows"/>: <see cref="OneRow"/> gives a one-row call its own instance of
    /// the row method, without the row loop and its state (the next row's pointers, the strides). A single row of a
    /// run-time length measured 1.05-1.07× the generated kernels before the engine with the loop's instance (RmsF 1×64,
    /// LnD 1×100: about 40 more instructions a call, most of them the row loop's registers and RowRefs). The row method
    /// tests it as typeof(TRange) == typeof(OneRow), which the importer folds: a static property read was an inlinee at
    /// every use, on the row method's inlining budget.
    /// </summary>
    private interface IRowRange;

    private readonly struct OneRow : IRowRange;

    private readonly struct AnyRows : IRowRange;

    private readonly struct VectorBody<T, TV, TOps> : IRowBody<T>
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static nuint Rows<TSpec, TX, TY>(ref RowRefs<T> c, ref T x, nuint first, nuint end) where TSpec : struct, IRowSpec<T> where TX : unmanaged where TY : unmanaged
            => Spec<TSpec, T>.Residual ? (Paired<TSpec, TX, TY, T, TV>(ref c, first, end) ? PairedRows<TSpec, T, TV, TOps>(ref c, ref x, first, end)
                    : LoopRows<TSpec, TX, TY, T, TV, TOps, ResidualPass1<T, TV, TOps>>(ref c, ref x, first, end))
                : Pipelined<TSpec, TX, TY, T, TV, TOps>(ref c, first, end) ? ShortRows<TSpec, T, TV, TOps>(ref c, ref x, first, end)
                : AlignsParameters<TSpec, TX, TY, T, TV>(ref c, first, end) ? AlignedParameterRows<TSpec, TX, TY, T, TV, TOps>(ref c, ref x, first, end)
                : Paired<TSpec, TX, TY, T, TV>(ref c, first, end) ? PairedRows<TSpec, T, TV, TOps>(ref c, ref x, first, end)
                : LoopRows<TSpec, TX, TY, T, TV, TOps, XPass1<T, TV, TOps>>(ref c, ref x, first, end);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Row<TSpec>(ref RowRefs<T> c, ref T x, ref T gamma, ref T beta, ref T y, nuint n) where TSpec : struct, IRowSpec<T>
            => 0 != (Spec<TSpec, T>.Residual ? VectorRows<TSpec, T, T, T, TV, TOps, ResidualPass1<T, TV, TOps>, OneRow>(ref c, ref x, ref gamma, ref beta, ref y, n, 0, 1)
                : VectorRows<TSpec, T, T, T, TV, TOps, XPass1<T, TV, TOps>, OneRow>(ref c, ref x, ref gamma, ref beta, ref y, n, 0, 1));
    }

    private readonly struct ScalarBody<T> : IRowBody<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static nuint Rows<TSpec, TX, TY>(ref RowRefs<T> c, ref T x, nuint first, nuint end) where TSpec : struct, IRowSpec<T> where TX : unmanaged where TY : unmanaged
        {
            for (nuint row = first; row < end; row++)
            {
                if (!ScalarRow<TSpec, T>(ref Unsafe.Add(ref c.X, row * c.XStride), ref Unsafe.Add(ref c.Residual, row * c.ResidualStride), ref c.Bias,
                    ref c.Gamma, ref c.Beta, ref Unsafe.Add(ref c.Y, row * c.YStride), ref Unsafe.Add(ref c.ResidualOut, row * c.ResidualOutStride),
                    ref Unsafe.Add(ref c.H, row * c.HStride), out T mean, out T rstd, (int)c.N, c.Streaming))
                    return row;
                Save<TSpec, T>(ref c, row, mean, rstd);
            }
            return end;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Row<TSpec>(ref RowRefs<T> c, ref T x, ref T gamma, ref T beta, ref T y, nuint n) where TSpec : struct, IRowSpec<T>
        {
            CompleteOneRow(ref c, ref x, ref gamma, ref beta, ref y, n);
            return Rows<TSpec, T, T>(ref c, ref x, 0, 1) != 0;
        }
    }

    /// <summary>Stores row <paramref name="row"/>'s statistics where the spec saves them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Save<TSpec, T>(ref RowRefs<T> c, nuint row, T mean, T rstd)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Spec<TSpec, T>.SaveMean) Unsafe.Add(ref c.Mean, row) = mean;
        if (Spec<TSpec, T>.SaveRstd) Unsafe.Add(ref c.Rstd, row) = rstd;
    }

    /// <summary>The row loop of <see cref="Rows"/> at one width.</summary>
    private static void Loop<TSpec, TX, TY, T, TBody>(ReadOnlySpan<TX> x, ReadOnlySpan<TX> residual, ReadOnlySpan<TX> bias, ReadOnlySpan<TX> gamma,
        ReadOnlySpan<TX> beta, Span<TY> y, Span<TX> residualOut, Span<T> mean, Span<T> rstd, int n, int firstRow, int rowCount, bool streaming, bool prefetch)
        where TSpec : struct, IRowSpec<T>
        where TX : unmanaged
        where TY : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
        where TBody : struct, IRowBody<T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = Spec<TSpec, T>.RowLength; // a JIT-time constant: the loops and tails fold
        bool halfIn = typeof(TX) == typeof(Half), halfOut = typeof(TY) == typeof(Half), stream = CanStream<TSpec, TX, TY, T>();
        if (halfIn || halfOut)
        {
            HalfLoop<TSpec, TX, TY, T, TBody>(x, residual, bias, gamma, beta, y, residualOut, mean, rstd, n, firstRow, rowCount, prefetch);
            return;
        }
        // With streaming stores h cannot live in the output (it would be read back from memory): it gets a row of
        // cache-resident scratch instead. The pool hands the same array back on the next call: no allocation per call.
        T[]? hScratch = Rent<T>(Spec<TSpec, T>.Residual && stream && streaming, n);
        try
        {
            nuint un = (nuint)n;
            RowRefs<T> c = default;
            c.Bias = ref Direct<TX, T>(bias);
            c.Gamma = ref Direct<TX, T>(gamma);
            c.Beta = ref Direct<TX, T>(beta);
            c.N = un;
            c.Mean = ref MemoryMarshal.GetReference(mean);
            c.Rstd = ref MemoryMarshal.GetReference(rstd);
            c.Streaming = stream && streaming;
            c.Prefetch = prefetch;
            c.X = ref Direct<TX, T>(x);
            c.XStride = un;
            if (Spec<TSpec, T>.Residual)
            {
                c.Residual = ref Direct<TX, T>(residual);
                c.ResidualStride = un;
            }
            c.Y = ref Direct<TY, T>(y);
            c.YStride = un;
            if (Spec<TSpec, T>.ResidualOut)
            {
                c.ResidualOut = ref Direct<TX, T>(residualOut);
                c.ResidualOutStride = un;
            }
            if (hScratch is not null) c.H = ref MemoryMarshal.GetArrayDataReference(hScratch);
            else if (Spec<TSpec, T>.ResidualOut) { c.H = ref c.ResidualOut; c.HStride = c.ResidualOutStride; }
            else { c.H = ref c.Y; c.HStride = c.YStride; }
            // All the rows in one call of the row method (a huge row stops it for HugeRow), so streamed rows carry their
            // ends to the next row (StreamedEnds).
            PlainLoop<TSpec, T, TBody>(ref c, ref Unsafe.Add(ref c.X, (nuint)firstRow * c.XStride), firstRow, rowCount);
        }
        finally
        {
            Return(hScratch);
        }
    }

    /// <summary>
    /// The float elements of a Half call's blocks of rows in scratch, all streams together (x and y, and the residual
    /// streams; 32 KiB, in L1 with γ and β): short rows are widened, computed and narrowed several per conversion call
    /// instead of one. RowAB against eba5bfa's kernels, one thread: LnH 256×100 1.00 → 0.57–0.59, 1024×256 → 0.90–0.91,
    /// AddLnH 512×128 → 0.81–0.86; rows of 1024 and more about 1.0 either way (AddLnH 64×1024 with four rows of its four
    /// streams per block, 64 KiB: 1.03–1.11).
    /// </summary>
    private const int HalfBlockElements = 8192;

    /// <summary>Rows per block of <see cref="HalfLoop"/>: <see cref="HalfBlockElements"/> over the streams in scratch, at least one row.</summary>
    private static int HalfBlockRows<TSpec, T>(int n) where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
        => Math.Max(1, HalfBlockElements / (2 + (Spec<TSpec, T>.Residual ? 1 : 0) + (Spec<TSpec, T>.ResidualOut ? 1 : 0)) / n);

    /// <summary>
    /// <see cref="Loop"/> for Half inputs or output: blocks of rows (at least one; <see cref="HalfBlockElements"/>) widened
    /// into float scratch, computed there by the row method over the block (the same operations per row as one row at a
    /// time) and narrowed once per block; γ, β and the residual bias widened once. The saved statistics are float or
    /// double spans of the caller's, offset to the block's first row. Rows are read before they are written, so y may be
    /// x and residualOut may be residual.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void HalfLoop<TSpec, TX, TY, T, TBody>(ReadOnlySpan<TX> x, ReadOnlySpan<TX> residual, ReadOnlySpan<TX> bias, ReadOnlySpan<TX> gamma,
        ReadOnlySpan<TX> beta, Span<TY> y, Span<TX> residualOut, Span<T> mean, Span<T> rstd, int n, int firstRow, int rowCount, bool prefetch)
        where TSpec : struct, IRowSpec<T>
        where TX : unmanaged
        where TY : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
        where TBody : struct, IRowBody<T>
    {
        bool halfIn = typeof(TX) == typeof(Half), halfOut = typeof(TY) == typeof(Half);
        int block = HalfBlockRows<TSpec, T>(n), size = block * n;
        T[]? xS = Rent<T>(halfIn, size), residualS = Rent<T>(halfIn && Spec<TSpec, T>.Residual, size), biasS = Rent<T>(halfIn && Spec<TSpec, T>.ResidualBias, n);
        T[]? gammaS = Rent<T>(halfIn && Spec<TSpec, T>.Affine != Affine.None, n), betaS = Rent<T>(halfIn && Spec<TSpec, T>.Affine == Affine.ScaleAndBias, n);
        T[]? yS = Rent<T>(halfOut, size), residualOutS = Rent<T>(halfIn && Spec<TSpec, T>.ResidualOut, size);
        try
        {
            nuint un = (nuint)n;
            RowRefs<T> c = default;
            c.Bias = ref halfIn && Spec<TSpec, T>.ResidualBias ? ref Widen(bias, biasS!) : ref Direct<TX, T>(bias);
            c.Gamma = ref halfIn && Spec<TSpec, T>.Affine != Affine.None ? ref Widen(gamma, gammaS!) : ref Direct<TX, T>(gamma);
            c.Beta = ref halfIn && Spec<TSpec, T>.Affine == Affine.ScaleAndBias ? ref Widen(beta, betaS!) : ref Direct<TX, T>(beta);
            c.N = un;
            c.Prefetch = !halfIn && prefetch; // Half rows are widened from x into scratch: nothing to prefetch there
            c.XStride = c.YStride = c.HStride = un;
            c.ResidualStride = Spec<TSpec, T>.Residual ? un : 0;
            c.ResidualOutStride = Spec<TSpec, T>.ResidualOut ? un : 0;
            for (int first = firstRow, end = firstRow + rowCount; first < end; first += block)
            {
                int count = Math.Min(block, end - first), offset = first * n, length = count * n;
                c.X = ref halfIn ? ref Widen(x.Slice(offset, length), xS!) : ref Direct<TX, T>(x.Slice(offset));
                if (Spec<TSpec, T>.Residual)
                    c.Residual = ref halfIn ? ref Widen(residual.Slice(offset, length), residualS!) : ref Direct<TX, T>(residual.Slice(offset));
                c.Y = ref halfOut ? ref MemoryMarshal.GetArrayDataReference(yS!) : ref Direct<TY, T>(y.Slice(offset));
                if (Spec<TSpec, T>.ResidualOut)
                    c.ResidualOut = ref halfIn ? ref MemoryMarshal.GetArrayDataReference(residualOutS!) : ref Direct<TX, T>(residualOut.Slice(offset));
                c.H = ref Spec<TSpec, T>.ResidualOut ? ref c.ResidualOut : ref c.Y;
                if (Spec<TSpec, T>.SaveMean) c.Mean = ref Unsafe.Add(ref MemoryMarshal.GetReference(mean), first);
                if (Spec<TSpec, T>.SaveRstd) c.Rstd = ref Unsafe.Add(ref MemoryMarshal.GetReference(rstd), first);
                nuint r = TBody.Rows<TSpec, TX, TY>(ref c, ref c.X, 0, (nuint)count);
                while (r < (nuint)count)
                {
                    RedoHugeRow<TSpec, T>(ref c, r++);
                    r = TBody.Rows<TSpec, TX, TY>(ref c, ref Unsafe.Add(ref c.X, r * un), r, (nuint)count);
                }
                if (halfOut) HalfNarrowing.ToHalf(MemoryMarshal.Cast<T, float>(yS.AsSpan(0, length)), MemoryMarshal.Cast<TY, Half>(y.Slice(offset, length)));
                if (halfIn && Spec<TSpec, T>.ResidualOut)
                    HalfNarrowing.ToHalf(MemoryMarshal.Cast<T, float>(residualOutS.AsSpan(0, length)), MemoryMarshal.Cast<TX, Half>(residualOut.Slice(offset, length)));
            }
        }
        finally
        {
            Return(xS); Return(residualS); Return(biasS); Return(gammaS); Return(betaS); Return(yS); Return(residualOutS);
        }
    }

    /// <summary>
    /// The row streams of a call over float or double spans without row scratch (see <see cref="IsPlain"/>): h in
    /// residualOut or y, every stream strided by the row length. For one row (<paramref name="oneRow"/>, a constant at
    /// each call) only what its row method (the one-row instance, <see cref="PlainRow"/>) reads from c: the residual's
    /// streams and the saved statistics; x, γ, β, y and the length go to it as arguments, and the scalar row and HugeRow
    /// get them from <see cref="CompleteOneRow"/>. No strides: one row is row 0 (a stride times 0). The prolog's zeroing
    /// of the local (it holds refs) leaves the rest 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PlainRefs<TSpec, TX, TY, T>(out RowRefs<T> c, ReadOnlySpan<TX> x, ReadOnlySpan<TX> residual, ReadOnlySpan<TX> bias, ReadOnlySpan<TX> gamma,
        ReadOnlySpan<TX> beta, Span<TY> y, Span<TX> residualOut, Span<T> mean, Span<T> rstd, int rowLength, bool streaming, bool prefetch, bool oneRow)
        where TSpec : struct, IRowSpec<T>
        where TX : unmanaged
        where TY : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint un = (nuint)(Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.RowLength : rowLength);
        // Written in place into the caller's local. The refs of a stream the spec does not use are not stored: a local
        // holding refs is zeroed in the prolog whatever the code says (the GC reads it), so they stay null, as the empty
        // spans' starts were; the rest is stored (a small call paid for 18 stores here, 13 for plain LayerNorm, none for
        // one row of it now). An = default is not folded into the prolog's zeroing, and a local c returned by value was
        // copied whole.
        Unsafe.SkipInit(out c);
        if (Spec<TSpec, T>.Residual) c.Residual = ref Direct<TX, T>(residual);
        if (Spec<TSpec, T>.ResidualBias) c.Bias = ref Direct<TX, T>(bias);
        if (Spec<TSpec, T>.ResidualOut) c.ResidualOut = ref Direct<TX, T>(residualOut);
        if (!oneRow || Spec<TSpec, T>.Residual || Spec<TSpec, T>.ResidualOut)
            c.H = ref Spec<TSpec, T>.ResidualOut ? ref Direct<TX, T>(residualOut) : ref Direct<TY, T>(y); // not c.Y: read back from the stack
        if (Spec<TSpec, T>.SaveMean) c.Mean = ref MemoryMarshal.GetReference(mean);
        if (Spec<TSpec, T>.SaveRstd) c.Rstd = ref MemoryMarshal.GetReference(rstd);
        if (oneRow) return;
        c.X = ref Direct<TX, T>(x);
        c.XStride = un;
        c.ResidualStride = Spec<TSpec, T>.Residual ? un : 0;
        if (Spec<TSpec, T>.Affine != Affine.None) c.Gamma = ref Direct<TX, T>(gamma);
        if (Spec<TSpec, T>.Affine == Affine.ScaleAndBias) c.Beta = ref Direct<TX, T>(beta);
        c.Y = ref Direct<TY, T>(y);
        c.YStride = un;
        c.ResidualOutStride = Spec<TSpec, T>.ResidualOut ? un : 0;
        c.HStride = un;
        c.N = un;
        c.Streaming = streaming;
        c.Prefetch = prefetch;
    }

    /// <summary>
    /// The rest of a one-row call's <see cref="RowRefs{T}"/> (see <see cref="PlainRefs"/>), for the paths that take the row
    /// from c: the scalar row and HugeRow.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CompleteOneRow<T>(ref RowRefs<T> c, ref T x, ref T gamma, ref T beta, ref T y, nuint n)
    {
        // The streams are the caller's spans' (PlainRefs' Direct); AsRef only widens the compiler's view of their scope.
        c.X = ref Unsafe.AsRef(in x);
        c.Gamma = ref Unsafe.AsRef(in gamma);
        c.Beta = ref Unsafe.AsRef(in beta);
        c.Y = ref Unsafe.AsRef(in y);
        c.N = n;
        c.Streaming = false;
    }

    /// <summary><see cref="Rows"/> for a plain call (<see cref="IsPlain"/>): the width chosen once, then <see cref="PlainLoop"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PlainRows<TSpec, T>(ref RowRefs<T> c, ref T x, int firstRow, int rowCount)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint n = Spec<TSpec, T>.RowLength > 0 ? (nuint)Spec<TSpec, T>.RowLength : c.N;
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
            PlainLoop<TSpec, T, VectorBody<T, Vector512<T>, Vec512<T>>>(ref c, ref x, firstRow, rowCount);
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
            PlainLoop<TSpec, T, VectorBody<T, Vector256<T>, Vec256<T>>>(ref c, ref x, firstRow, rowCount);
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
            PlainLoop<TSpec, T, VectorBody<T, Vector128<T>, Vec128<T>>>(ref c, ref x, firstRow, rowCount);
        else
            PlainLoop<TSpec, T, ScalarBody<T>>(ref c, ref x, firstRow, rowCount);
    }

    /// <summary>
    /// <see cref="PlainRows"/> for one row on the calling thread (cached stores): the short-row pipeline's test, the loop
    /// that goes on after a huge row and the fence fold away, and the row method is its one-row instance
    /// (<see cref="IRowBody{T}.Row"/>, <see cref="OneRow"/>), which gets x, γ, β, y and the length <paramref name="n"/>
    /// in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PlainRow<TSpec, T>(ref RowRefs<T> c, ref T x, ref T gamma, ref T beta, ref T y, nuint n)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
            PlainRowAt<TSpec, T, VectorBody<T, Vector512<T>, Vec512<T>>>(ref c, ref x, ref gamma, ref beta, ref y, n);
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
            PlainRowAt<TSpec, T, VectorBody<T, Vector256<T>, Vec256<T>>>(ref c, ref x, ref gamma, ref beta, ref y, n);
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
            PlainRowAt<TSpec, T, VectorBody<T, Vector128<T>, Vec128<T>>>(ref c, ref x, ref gamma, ref beta, ref y, n);
        else
            PlainRowAt<TSpec, T, ScalarBody<T>>(ref c, ref x, ref gamma, ref beta, ref y, n);
    }

    /// <summary><see cref="PlainRow"/> at one width: the row, and HugeRow if its sums overflowed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PlainRowAt<TSpec, T, TBody>(ref RowRefs<T> c, ref T x, ref T gamma, ref T beta, ref T y, nuint n)
        where TSpec : struct, IRowSpec<T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TBody : struct, IRowBody<T>
    {
        if (!TBody.Row<TSpec>(ref c, ref x, ref gamma, ref beta, ref y, n))
            RedoHugeOneRow<TSpec, T>(ref c, ref x, ref gamma, ref beta, ref y, n);
    }

    /// <summary>The one row of <see cref="PlainRow"/> redone in HugeRow, out of its line.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RedoHugeOneRow<TSpec, T>(ref RowRefs<T> c, ref T x, ref T gamma, ref T beta, ref T y, nuint n)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        CompleteOneRow(ref c, ref x, ref gamma, ref beta, ref y, n);
        RedoHugeRow<TSpec, T>(ref c, 0);
    }

    /// <summary>
    /// <see cref="Loop"/> for a plain call: no pool, no try/finally (whose locals the JIT would keep on the stack), the
    /// streams by reference from the caller's frame, except <paramref name="x"/> (row <paramref name="firstRow"/>'s), which
    /// comes in a register: read back from c, the first row's chain started behind a store-forwarded load and a multiply.
    /// </summary>
    private static void PlainLoop<TSpec, T, TBody>(ref RowRefs<T> c, ref T x, int firstRow, int rowCount)
        where TSpec : struct, IRowSpec<T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TBody : struct, IRowBody<T>
    {
        nuint end = (nuint)(firstRow + rowCount);
        // The row loop runs inside the row method, with no call in it; a row whose sums overflow stops it for HugeRow.
        nuint r = TBody.Rows<TSpec, T, T>(ref c, ref x, (nuint)firstRow, end);
        while (r < end)
        {
            RedoHugeRow<TSpec, T>(ref c, r++);
            r = TBody.Rows<TSpec, T, T>(ref c, ref Unsafe.Add(ref c.X, r * c.XStride), r, end);
        }
        if (c.Streaming) StreamingStore.Fence();
    }

    /// <summary>
    /// Row <paramref name="r"/> redone in HugeRow (its sums overflowed), for <see cref="Loop"/> and <see cref="PlainLoop"/>,
    /// out of their line. h reaches residualOut when it lived elsewhere (CopyH does nothing when h is residualOut).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RedoHugeRow<TSpec, T>(ref RowRefs<T> c, nuint r)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint un = Spec<TSpec, T>.RowLength > 0 ? (nuint)Spec<TSpec, T>.RowLength : c.N;
        ref T h = ref Unsafe.Add(ref c.H, r * c.HStride);
        ref T src = ref Spec<TSpec, T>.Residual ? ref h : ref Unsafe.Add(ref c.X, r * c.XStride);
        HugeRow<TSpec, T>(ref src, ref c.Gamma, ref c.Beta, ref Unsafe.Add(ref c.Y, r * c.YStride), out T rowMean, out T rowRstd, un);
        if (Spec<TSpec, T>.ResidualOut) CopyH(ref h, ref Unsafe.Add(ref c.ResidualOut, r * c.ResidualOutStride), un);
        Save<TSpec, T>(ref c, r, rowMean, rowRstd);
    }

    /// <summary>When h lived in scratch (streaming requested), the residual stream still has to reach residualOut.</summary>
    private static void CopyH<T>(ref T h, ref T residualOut, nuint n)
    {
        if (!Unsafe.AreSame(ref h, ref residualOut))
            MemoryMarshal.CreateReadOnlySpan(ref h, (int)n).CopyTo(MemoryMarshal.CreateSpan(ref residualOut, (int)n));
    }

    // ---------------------------------------------------------------- vector row

    /// <summary>
    /// h = α·x + residual (+ bias) for the vector at <paramref name="i"/> + <paramref name="j"/>·(the vector's length), in
    /// the order the scalar path uses, so a constant row stays exact. Each load's offset is written out from a local, a
    /// constant and the vector's length as sizeof(TV)/sizeof(T) (a constant when the JIT imports it, not an inlinee on the
    /// row method's budget as TOps.Count is), so it folds into the access ([x + 4·i + disp]) as in the generated kernels
    /// before the engine: an offset i + L computed by the caller landed in a temp (one lea per vector), and one written
    /// with a local L in a lea per vector shared by the x and residual loads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV H<TSpec, T, TV, TOps>(ref T x, ref T residual, ref T bias, nuint i, nuint j, TV alpha)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        TV v = TOps.Load(ref x, i + j * (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>()));
        if (Spec<TSpec, T>.HasAlpha) v = TOps.Multiply(alpha, v);
        v = TOps.Add(v, TOps.Load(ref residual, i + j * (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>())));
        return Spec<TSpec, T>.ResidualBias ? TOps.Add(v, TOps.Load(ref bias, i + j * (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>()))) : v;
    }

    /// <summary>One output vector from the row's (x or h) vector: normalise, affine, activation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Output<TSpec, T, TV, TOps>(TV v, ref T gamma, ref T beta, nuint offset, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        => Activated<TSpec, T, TV, TOps>(AffineOutput<TSpec, T, TV, TOps>(v, ref gamma, ref beta, offset, m, r, rc));

    /// <summary>
    /// <see cref="Output"/> from the column's γ and β vectors (zero where the spec has none).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV OutputOf<TSpec, T, TV, TOps>(TV v, TV g, TV b, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        => Activated<TSpec, T, TV, TOps>(AffineOf<TSpec, T, TV, TOps>(v, g, b, m, r, rc));

    /// <summary>The spec's activation of an affine output vector (none: the vector).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Activated<TSpec, T, TV, TOps>(TV e)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        => Spec<TSpec, T>.Activation == Activation.None ? e : VectorActivations<TOps, TV, T>.Apply(Spec<TSpec, T>.Activation, e);

    /// <summary><see cref="Output"/> before the activation: normalise, affine.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV AffineOutput<TSpec, T, TV, TOps>(TV v, ref T gamma, ref T beta, nuint offset, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        => AffineOf<TSpec, T, TV, TOps>(v, Spec<TSpec, T>.Affine != Affine.None ? TOps.Load(ref gamma, offset) : TOps.Zero,
            Spec<TSpec, T>.Affine == Affine.ScaleAndBias ? TOps.Load(ref beta, offset) : TOps.Zero, m, r, rc);

    /// <summary>
    /// (x − μ)·rstd (RMSNorm: x·rstd), then γ (1 + γ when zero-centred) and β: <see cref="OutputOf"/> before its activation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV AffineOf<TSpec, T, TV, TOps>(TV v, TV g, TV b, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        TV e = Spec<TSpec, T>.Centered ? TOps.MultiplyAdd(TOps.Subtract(v, m), r, rc) : TOps.Multiply(v, r);
        if (Spec<TSpec, T>.Affine != Affine.None)
        {
            if (Spec<TSpec, T>.ZeroCenteredGamma) g = TOps.Add(g, TOps.Create(T.One));
            e = Spec<TSpec, T>.Affine == Affine.Scale ? TOps.Multiply(e, g) : TOps.MultiplyAdd(e, g, b);
        }
        return e;
    }

    /// <summary>
    /// The activation over a row of <paramref name="n"/> ≥ one vector's elements in place (y holds the affine output). The
    /// overlapping last vector is read before the loop, so its lanes that the loop also covers are activated once. Not
    /// inlined: the row method's registers stay out of it (see the caller).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ActivateInPlace<TSpec, T, TV, TOps>(ref T y, nuint n)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
        nuint L = (nuint)TOps.Count, last = n - L;
        bool hasTail = n % L != 0;
        TV lastOut = hasTail ? Activated<TSpec, T, TV, TOps>(TOps.Load(ref y, last)) : TOps.Zero;
        for (nuint i = 0; i + L <= n; i += L)
            TOps.Store(Activated<TSpec, T, TV, TOps>(TOps.Load(ref y, i)), ref y, i);
        if (hasTail) TOps.Store(lastOut, ref y, last);
    }

    /// <summary>
    /// Loads a column's γ and β vectors for <see cref="OutputOf"/>, chosen by the spec's affine kind: each load has no
    /// condition around it, so the block loop's offsets i + a constant reach the loads' addresses as written (a load
    /// under a condition had its offset spilled into a temp: one lea and a move per vector).
    /// </summary>
    private interface IAffineLoads<T, TV, TOps> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        static abstract TV Gamma(ref T gamma, nuint offset);
        static abstract TV Beta(ref T beta, nuint offset);
    }

    private readonly struct ScaleAndBiasLoads<T, TV, TOps> : IAffineLoads<T, TV, TOps> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TV Gamma(ref T gamma, nuint offset) => TOps.Load(ref gamma, offset);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TV Beta(ref T beta, nuint offset) => TOps.Load(ref beta, offset);
    }

    private readonly struct ScaleLoads<T, TV, TOps> : IAffineLoads<T, TV, TOps> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TV Gamma(ref T gamma, nuint offset) => TOps.Load(ref gamma, offset);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TV Beta(ref T beta, nuint offset) => TOps.Zero;
    }

    private readonly struct NoAffineLoads<T, TV, TOps> : IAffineLoads<T, TV, TOps> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TV Gamma(ref T gamma, nuint offset) => TOps.Zero;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TV Beta(ref T beta, nuint offset) => TOps.Zero;
    }

    /// <summary>
    /// Pass 1 of a row (<see cref="Pass1"/> or <see cref="Pass1H"/>), chosen per spec by the row method's type argument:
    /// each row method then holds only its own. Inlinees under a condition that is false for the spec (if TSpec.Residual)
    /// still spend the JIT's inlining budget for the row method: with both passes in it, every kernel's row method ran
    /// out of budget and left Load, Store and Output as calls. The two stay two bodies: one Pass1 over a source type
    /// argument (x loaded; h formed and stored) kept the bits but added about 15 small inlinees per row method, and the
    /// 256-bit row method of LayerNorm+GELU then left VectorMath.ExpSingle as a call (tier1-calls.sh with
    /// DOTNET_EnableAVX512=0).
    /// </summary>
    private interface IPass1<T, TV, TOps> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        /// <summary>Sums and squares of the row (four accumulators combined); returns the shift.</summary>
        static abstract T Run<TSpec>(ref T x, ref T residual, ref T bias, ref T h, nuint n, out TV sums, out TV squares) where TSpec : struct, IRowSpec<T>;
    }

    private readonly struct XPass1<T, TV, TOps> : IPass1<T, TV, TOps> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Run<TSpec>(ref T x, ref T residual, ref T bias, ref T h, nuint n, out TV sums, out TV squares) where TSpec : struct, IRowSpec<T>
            => Pass1<TSpec, T, TV, TOps>(ref x, n, out sums, out squares);
    }

    private readonly struct ResidualPass1<T, TV, TOps> : IPass1<T, TV, TOps> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Run<TSpec>(ref T x, ref T residual, ref T bias, ref T h, nuint n, out TV sums, out TV squares) where TSpec : struct, IRowSpec<T>
            => Pass1H<TSpec, T, TV, TOps>(ref x, ref residual, ref bias, ref h, n, out sums, out squares);
    }

    /// <summary>
    /// Pass 1 of a row without a residual: the deviations d = x − shift summed and squared (RMSNorm: the squares), four
    /// accumulators of each combined as ((0 + 1) + (2 + 3)); returns the shift (zero for RMSNorm). Every load's offset is
    /// i + a constant written out, which folds into the access ([x + 4·i + disp]): no lea per block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Pass1<TSpec, T, TV, TOps>(ref T x, nuint n, out TV sums, out TV squares)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        T shift = T.Zero;
        if (Spec<TSpec, T>.Centered)
            shift = Shift<T, TV, TOps>(ref x);
        ShiftedSums<TSpec, T, TV, TOps>(ref x, n, TOps.Create(shift), out sums, out squares);
        return shift;
    }

    /// <summary>
    /// A row's shift for <see cref="Pass1"/>: the mean of its first vector, summed pairwise, so a constant row's shift is
    /// exactly its value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Shift<T, TV, TOps>(ref T x) where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        => TOps.Sum(TOps.Load(ref x, 0)) * (T.One / T.CreateTruncating(TOps.Count)); // L is a power of two: the same bits as the division, without a divide per row

    /// <summary>
    /// <see cref="Pass1"/>'s sums around a given shift <paramref name="k"/> (every lane the shift; RMSNorm: unused).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShiftedSums<TSpec, T, TV, TOps>(ref T x, nuint n, TV k, out TV sums, out TV squares)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
        nuint L = (nuint)TOps.Count, block = 4 * L, last = n - L, i;
        TV s0 = TOps.Zero, s1 = s0, s2 = s0, s3 = s0, q0 = s0, q1 = s0, q2 = s0, q3 = s0;
        i = 0;
        if (n >= block) // folds for a compile-time row shorter than a block (i is not known to be 0 there)
            for (i = 0; i + block <= n; i += block)
                SumsBlock<TSpec, T, TV, TOps>(ref x, i, k, ref s0, ref s1, ref s2, ref s3, ref q0, ref q1, ref q2, ref q3);
        SumsRest<TSpec, T, TV, TOps>(ref x, n, i, k, ref s0, ref s1, ref q0, ref q1);
        sums = TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3));
        squares = TOps.Add(TOps.Add(q0, q1), TOps.Add(q2, q3));
    }

    /// <summary>
    /// One block (four vectors from <paramref name="i"/>) of <see cref="ShiftedSums"/>: <see cref="Pass1Step{TSpec, T, TV, TOps}(TV, TV, TV, TV, TV, ref TV, ref TV, ref TV, ref TV, ref TV, ref TV, ref TV, ref TV)"/>
    /// of x's four vectors. Written once for the one-row pass and the paired rows' (<see cref="PairedSums"/>), so a row's
    /// sums have the same bits in both.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumsBlock<TSpec, T, TV, TOps>(ref T x, nuint i, TV k, ref TV s0, ref TV s1, ref TV s2, ref TV s3, ref TV q0, ref TV q1, ref TV q2, ref TV q3)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        => Pass1Step<TSpec, T, TV, TOps>(TOps.Load(ref x, i), TOps.Load(ref x, i + (nuint)TOps.Count), TOps.Load(ref x, i + 2 * (nuint)TOps.Count),
            TOps.Load(ref x, i + 3 * (nuint)TOps.Count), k, ref s0, ref s1, ref s2, ref s3, ref q0, ref q1, ref q2, ref q3);

    /// <summary>
    /// <see cref="ShiftedSums"/> after its blocks, from <paramref name="i"/> (where they ended): the vectors left, into the
    /// first accumulators, and the overlapping last vector's lanes past them, into the second.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumsRest<TSpec, T, TV, TOps>(ref T x, nuint n, nuint i, TV k, ref TV s0, ref TV s1, ref TV q0, ref TV q1)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
        nuint L = (nuint)TOps.Count, last = n - L;
        // Vectors after the blocks, if any, from where the blocks ended: the test folds for a compile-time row (the loop's
        // own entry test did not); a run-time row goes straight to the loop's test.
        if (Spec<TSpec, T>.RowLength == 0 || n % (4 * (nuint)TOps.Count) >= (nuint)TOps.Count)
        {
            for (; i + L <= n; i += L)
                Pass1Step<TSpec, T, TV, TOps>(TOps.Load(ref x, i), k, ref s0, ref q0);
        }
        if (n % L != 0)
        {
            // The last vector overlaps the one before it; the mask keeps only its lanes past the last full vector.
            TV tail = TOps.TailMask((int)(L - n % L));
            TV d = TOps.Select(tail, Spec<TSpec, T>.Centered ? TOps.Subtract(TOps.Load(ref x, last), k) : TOps.Load(ref x, last));
            if (Spec<TSpec, T>.Centered) s1 = TOps.Add(s1, d);
            q1 = TOps.MultiplyAdd(d, d, q1);
        }
    }

    /// <summary>
    /// <see cref="Pass1"/> of a row with a residual: h = α·x + residual (+ bias) is formed, stored into
    /// <paramref name="h"/> (the residual-stream output, y, or row scratch) and summed, every offset i + a constant
    /// written out (see <see cref="H"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Pass1H<TSpec, T, TV, TOps>(ref T x, ref T residual, ref T bias, ref T h, nuint n, out TV sums, out TV squares)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
        nuint L = (nuint)TOps.Count, block = 4 * L, last = n - L, i;
        TV alpha = Spec<TSpec, T>.HasAlpha ? TOps.Create(Spec<TSpec, T>.Alpha) : TOps.Zero;
        T shift = T.Zero;
        if (Spec<TSpec, T>.Centered)
            shift = TOps.Sum(H<TSpec, T, TV, TOps>(ref x, ref residual, ref bias, 0, 0, alpha)) * (T.One / T.CreateTruncating(L));
        TV k = TOps.Create(shift);
        TV s0 = TOps.Zero, s1 = s0, s2 = s0, s3 = s0, q0 = s0, q1 = s0, q2 = s0, q3 = s0;
        // Formed before the loop: if h is stored over x (in place) the loop overwrites the overlapped lanes.
        TV hLast = n % L != 0 ? H<TSpec, T, TV, TOps>(ref x, ref residual, ref bias, last, 0, alpha) : TOps.Zero;
        i = 0;
        if (n >= block)
            for (i = 0; i + block <= n; i += block)
            {
                TV h0 = H<TSpec, T, TV, TOps>(ref x, ref residual, ref bias, i, 0, alpha);
                TOps.Store(h0, ref h, i);
                TV h1 = H<TSpec, T, TV, TOps>(ref x, ref residual, ref bias, i, 1, alpha);
                TOps.Store(h1, ref h, i + (nuint)TOps.Count);
                TV h2 = H<TSpec, T, TV, TOps>(ref x, ref residual, ref bias, i, 2, alpha);
                TOps.Store(h2, ref h, i + 2 * (nuint)TOps.Count);
                TV h3 = H<TSpec, T, TV, TOps>(ref x, ref residual, ref bias, i, 3, alpha);
                TOps.Store(h3, ref h, i + 3 * (nuint)TOps.Count);
                Pass1Step<TSpec, T, TV, TOps>(h0, h1, h2, h3, k, ref s0, ref s1, ref s2, ref s3, ref q0, ref q1, ref q2, ref q3);
            }
        if (n % (4 * (nuint)TOps.Count) >= (nuint)TOps.Count)
        {
            for (i = n >= block ? n / block * block : 0; i + L <= n; i += L)
            {
                TV v = H<TSpec, T, TV, TOps>(ref x, ref residual, ref bias, i, 0, alpha);
                TOps.Store(v, ref h, i);
                Pass1Step<TSpec, T, TV, TOps>(v, k, ref s0, ref q0);
            }
        }
        if (n % L != 0)
        {
            TV d = TOps.Select(TOps.TailMask((int)(L - n % L)), Spec<TSpec, T>.Centered ? TOps.Subtract(hLast, k) : hLast);
            if (Spec<TSpec, T>.Centered) s1 = TOps.Add(s1, d);
            q1 = TOps.MultiplyAdd(d, d, q1);
            TOps.Store(hLast, ref h, last);
        }
        sums = TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3));
        squares = TOps.Add(TOps.Add(q0, q1), TOps.Add(q2, q3));
        return shift;
    }

    /// <summary>
    /// The one row of a call of a small spec (no residual, no activation) over float or double spans, on this thread
    /// with cached stores: with the widest vectors the processor accelerates, <see cref="InlinedOneRow"/> (one copy in the
    /// generated method: the narrower widths' would only be inlined there too); a row shorter than one of them, or one left
    /// to HugeRow (pass 1 wrote nothing), through <see cref="PlainRow"/> out of line. Measured against the row method's
    /// one-row instance (a call, RowRefs built in the caller): RmsF 1×100 1.10–1.17× eba5bfa before, 1.01 now.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SmallOneRow<TSpec, T>(ref T x, ref T gamma, ref T beta, ref T y, ref T mean, ref T rstd, nuint n)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
        // Returns, not a bool tested after: the JIT kept the bool in a register and tested it.
        if (Vector512.IsHardwareAccelerated)
        {
            if (n >= (nuint)Vector512<T>.Count && InlinedOneRow<TSpec, T, Vector512<T>, Vec512<T>>(ref x, ref gamma, ref beta, ref y, ref mean, ref rstd, n))
                return;
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            if (n >= (nuint)Vector256<T>.Count && InlinedOneRow<TSpec, T, Vector256<T>, Vec256<T>>(ref x, ref gamma, ref beta, ref y, ref mean, ref rstd, n))
                return;
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            if (n >= (nuint)Vector128<T>.Count && InlinedOneRow<TSpec, T, Vector128<T>, Vec128<T>>(ref x, ref gamma, ref beta, ref y, ref mean, ref rstd, n))
                return;
        }
        OneRowOutOfLine<TSpec, T>(ref x, ref gamma, ref beta, ref y, ref mean, ref rstd, n);
    }

    /// <summary><see cref="SmallOneRow"/>'s row through <see cref="PlainRow"/>, its RowRefs (the statistics' refs) built here.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OneRowOutOfLine<TSpec, T>(ref T x, ref T gamma, ref T beta, ref T y, ref T mean, ref T rstd, nuint n)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        RowRefs<T> c = default;
        c.Mean = ref Unsafe.AsRef(in mean); // the caller's span's (AsRef widens only the compiler's view of its scope)
        c.Rstd = ref Unsafe.AsRef(in rstd);
        PlainRow<TSpec, T>(ref c, ref x, ref gamma, ref beta, ref y, n);
    }

    /// <summary>
    /// <see cref="VectorRows"/>' one-row instance for a small spec (no residual, no activation), small enough to be
    /// inlined into the generated method: the same pass 1, statistics (<see cref="Statistics"/>) and last pass
    /// (<see cref="OneRowLastPass"/>), so the same bits. False, nothing written, for a row left to HugeRow.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InlinedOneRow<TSpec, T, TV, TOps>(ref T x, ref T gamma, ref T beta, ref T y, ref T mean, ref T rstd, nuint n)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
        nuint L = (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>());
        T inv = Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.InverseRowLength : T.One / T.CreateTruncating((int)n);
        TV tail = Spec<TSpec, T>.Centered && n % L != 0 ? TOps.TailMask((int)(L - n % L)) : TOps.Zero;
        T shift = Pass1<TSpec, T, TV, TOps>(ref x, n, out TV sums, out TV squares);
        if (!Statistics<TSpec, T, TV, TOps>(ref x, n, inv, tail, shift, sums, squares, out T center, out T scaledOffset, out T rowMean, out T rowRstd))
            return false;
        if (Spec<TSpec, T>.SaveMean) mean = rowMean;
        if (Spec<TSpec, T>.SaveRstd) rstd = rowRstd;
        OneRowLastPass<TSpec, T, TV, TOps>(ref x, ref gamma, ref beta, ref y, n, TOps.Create(center), TOps.Create(rowRstd), TOps.Create(scaledOffset));
        return true;
    }

    /// <summary><see cref="VectorRows"/>' instance with the row loop: every stream from c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint LoopRows<TSpec, TX, TY, T, TV, TOps, TPass1>(ref RowRefs<T> c, ref T xFirst, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where TX : unmanaged where TY : unmanaged where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TPass1 : struct, IPass1<T, TV, TOps>
        => VectorRows<TSpec, TX, TY, T, TV, TOps, TPass1, AnyRows>(ref c, ref xFirst, ref Unsafe.NullRef<T>(), ref Unsafe.NullRef<T>(), ref Unsafe.NullRef<T>(), 0,
            first, end);

    /// <summary>
    /// Rows first … end − 1 with vectors of TV, each saving its statistics; returns the first row whose squares or sums
    /// overflow although it is finite (nothing written but h: the caller redoes it in HugeRow and goes on after it), or
    /// end. The row loop is in here, with no call in it: a call per row cost the arguments' and the prologue's time, and
    /// the row body is too large for the JIT to inline into a loop elsewhere. The one-row instance (<see cref="OneRow"/>)
    /// takes its row's γ, β, y and length (<paramref name="nOne"/>) from the arguments, in registers (a one-row call builds no
    /// more of c than a residual's streams and the statistics); the loop's instance takes them from c (see
    /// <see cref="LoopRows"/>).
    /// </summary>
    private static nuint VectorRows<TSpec, TX, TY, T, TV, TOps, TPass1, TRange>(ref RowRefs<T> c, ref T xFirst, ref T gammaOne, ref T betaOne, ref T yOne,
        nuint nOne, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where TX : unmanaged where TY : unmanaged where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TPass1 : struct, IPass1<T, TV, TOps> where TRange : struct, IRowRange
    {
        // A one-row call's instance (OneRow): row 0 only, and every way round the loop returns instead (below), so the JIT
        // drops the loop and what it carries (the next row's pointers, the strides): RMSNorm's row method then saves three
        // registers, not six, and reads nothing from c but a residual's streams and the statistics' refs.
        if (typeof(TRange) == typeof(OneRow))
        {
            first = 0;
            end = 1;
        }
        // The first row's x comes in a register and the next row's is one add away: the row's serial chain (first vector,
        // shift, pass 1) no longer starts behind a load of c.X and c.XStride, and a multiply, from the caller's frame. The
        // residual and h go the same way, and the bias is read once.
        ref T xNext = ref xFirst;
        nuint xStride = typeof(TRange) == typeof(OneRow) ? 0 : c.XStride;
        ref T residualNext = ref Unsafe.NullRef<T>(), hNext = ref Unsafe.NullRef<T>(), bias = ref Unsafe.NullRef<T>();
        nuint residualStride = 0, hStride = 0;
        if (Spec<TSpec, T>.Residual)
        {
            residualStride = c.ResidualStride;
            residualNext = ref Unsafe.Add(ref c.Residual, first * residualStride);
            hStride = c.HStride;
            hNext = ref Unsafe.Add(ref c.H, first * hStride);
            bias = ref c.Bias;
        }
        StreamedEnds<TV> ends = StreamedEnds<TV>.None; // streaming stores: the rows' ends (StreamRow)
        for (nuint row = first; row < end; row++)
        {
            // A JIT-time constant when fixed: the loops and tails fold. The typeof tests fold in the importer, so the
            // other instance's reads stay out of each instance (and of its inlining budget).
            nuint n = nOne;
            if (typeof(TRange) != typeof(OneRow)) n = c.N;
            if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
            // A JIT-time false where the output cannot stream (Half): the streaming loop, with its calls to the activation,
            // then leaves the method (and the JIT's inlining budget for it). So in the one-row instance: a one-row call has
            // cached stores (PlainRow) and no next row to prefetch.
            bool streaming = typeof(TRange) != typeof(OneRow) && CanStream<TSpec, TX, TY, T>() && c.Streaming, prefetch = typeof(TRange) != typeof(OneRow) && c.Prefetch;
            ref T x = ref xNext;
            xNext = ref Unsafe.Add(ref xNext, xStride);
            ref T residual = ref residualNext, h = ref hNext, gamma = ref gammaOne, beta = ref betaOne;
            if (typeof(TRange) != typeof(OneRow))
            {
                gamma = ref c.Gamma;
                beta = ref c.Beta;
            }
            if (Spec<TSpec, T>.Residual)
            {
                residualNext = ref Unsafe.Add(ref residualNext, residualStride);
                hNext = ref Unsafe.Add(ref hNext, hStride);
            }
            ref T y = ref yOne;
            if (typeof(TRange) != typeof(OneRow)) y = ref Unsafe.Add(ref c.Y, row * c.YStride);
            ref T residualOut = ref Unsafe.NullRef<T>();
            if (Spec<TSpec, T>.ResidualOut) residualOut = ref Unsafe.Add(ref c.ResidualOut, row * c.ResidualOutStride);
            nuint L = (nuint)TOps.Count, block = 4 * L, last = n - L, i;
            T inv = Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.InverseRowLength : T.One / T.CreateTruncating((int)n);
            bool hasTail = n % L != 0;
            // The last vector overlaps the one before it; this mask keeps only its lanes past the last full vector.
            TV tail = hasTail ? TOps.TailMask((int)(L - n % L)) : TOps.Zero;
            ref T src = ref Spec<TSpec, T>.Residual ? ref h : ref x; // what the later passes read: h is read back from cache
            T meanOut = T.Zero;

            // Pass 1: deviations d = x − shift summed and squared in one pass (RMSNorm: the squares), with shift the mean of
            // the first vector (summed pairwise, so a constant row's shift is exactly its value). Four accumulators of each
            // hide latency. With a residual, h is formed and stored on the way.
            T shift = TPass1.Run<TSpec>(ref x, ref residual, ref bias, ref h, n, out TV sums, out TV squares);

            T rstd;
            TV m = TOps.Zero, rc = TOps.Zero;
            if (Spec<TSpec, T>.Centered)
            {
                if (!Finish<TSpec, T, TV, TOps>(ref src, n, inv, tail, shift, sums, squares, out T center, out T offset, out rstd, out meanOut))
                {
                    if (typeof(TRange) != typeof(OneRow)) ends.Flush<T, TOps>(ref c.Y);
                    return row;
                }
                // Last pass: (x − μ)·rstd = (x − center)·rstd − offset·rstd: one subtraction, exact for a row with a large
                // mean, and one FMA with the small offset·rstd (under ½ in units of σ).
                m = TOps.Create(center);
                rc = TOps.Create(-(offset * rstd));
            }
            else
            {
                T meanSquare = TOps.Sum(squares) * inv;
                if (!T.IsFinite(meanSquare) && AllFinite(ref src, n))
                {
                    if (typeof(TRange) != typeof(OneRow)) ends.Flush<T, TOps>(ref c.Y);
                    return row;
                }
                rstd = T.One / T.Sqrt(meanSquare + Spec<TSpec, T>.Epsilon);
            }
            Save<TSpec, T>(ref c, row, meanOut, rstd);
            TV r = TOps.Create(rstd);
            if (streaming && StreamRow<TSpec, T, TV, TOps>(ref x, ref residual, ref src, ref gamma, ref beta, ref y, ref residualOut, n, m, r, rc, prefetch,
                ref ends, ref c.Y))
            {
                if (typeof(TRange) == typeof(OneRow)) return end;
                continue;
            }

            // The overlapping last vector is computed before the loop, so an in-place call (y is x) reads it before the loop
            // overwrites its first lanes.
            // With γ and β at y's phase (AlignedParameterRows) the loop starts at y's first vector boundary, so its stores
            // and γ's and β's loads are aligned; the first vector, computed here, is stored after it over the same values.
            // A typeof test: the importer drops the block from every other instantiation (and from their inlining budget).
            nuint head = 0;
            TV firstOut = TOps.Zero;
            if (typeof(TPass1) == typeof(YPhasePass1<T, TV, TOps>))
            {
                head = c.Head;
                firstOut = Output<TSpec, T, TV, TOps>(TOps.Load(ref src, 0), ref gamma, ref beta, 0, m, r, rc);
            }
            // The one-row instance's last pass has its loads folded into the operations (OneRowLastPass); the loop's keeps
            // its own, so its inlining budget is what it was (three more OutputAt copies per instance left get_ResidualOut
            // and a Vec512 operation as calls in the row loop).
            if (typeof(TRange) == typeof(OneRow) && Spec<TSpec, T>.Activation == Activation.None)
            {
                OneRowLastPass<TSpec, T, TV, TOps>(ref src, ref gamma, ref beta, ref y, n, m, r, rc);
                return end;
            }
            i = 0;
            if (Spec<TSpec, T>.Activation != Activation.None)
            {
                // Two loops over the row, the second on y in L1: the normalised, affine row into y, then the activation
                // over y in place in a method of its own, where only y and the index are live across the activation's
                // long chain (RowAB, 7 activation cells at 64×768, thread CPU against eba5bfa's kernels: geometric mean
                // 0.93 this way, 1.02 with the activation in this method's one loop).
                TV lastAffine = hasTail ? AffineOutput<TSpec, T, TV, TOps>(TOps.Load(ref src, last), ref gamma, ref beta, last, m, r, rc) : TOps.Zero;
                for (; i + L <= n; i += L)
                    TOps.Store(AffineOutput<TSpec, T, TV, TOps>(TOps.Load(ref src, i), ref gamma, ref beta, i, m, r, rc), ref y, i);
                if (hasTail) TOps.Store(lastAffine, ref y, last);
                ActivateInPlace<TSpec, T, TV, TOps>(ref y, n);
                if (streaming && Spec<TSpec, T>.ResidualOut) CopyH(ref h, ref residualOut, n); // streaming first: get_ResidualOut left a call per row when over budget
                if (typeof(TRange) == typeof(OneRow)) return end;
                continue;
            }
            TV lastOut = hasTail || head != 0 ? Output<TSpec, T, TV, TOps>(TOps.Load(ref src, last), ref gamma, ref beta, last, m, r, rc) : TOps.Zero;
            if (n >= block)
            {
                // Written twice, with and without the prefetch, so the in-cache loop carries no test per block.
                if (Spec<TSpec, T>.Affine == Affine.ScaleAndBias)
                    LastPassBlocks<TSpec, T, TV, TOps, ScaleAndBiasLoads<T, TV, TOps>>(ref x, ref residual, ref src, ref gamma, ref beta, ref y, n, head, m, r, rc, prefetch);
                else if (Spec<TSpec, T>.Affine == Affine.Scale)
                    LastPassBlocks<TSpec, T, TV, TOps, ScaleLoads<T, TV, TOps>>(ref x, ref residual, ref src, ref gamma, ref beta, ref y, n, head, m, r, rc, prefetch);
                else
                    LastPassBlocks<TSpec, T, TV, TOps, NoAffineLoads<T, TV, TOps>>(ref x, ref residual, ref src, ref gamma, ref beta, ref y, n, head, m, r, rc, prefetch);
            }
            // Vectors after the blocks, if any: the test folds for a compile-time row (the loop's own entry test did not).
            // Written with L and block, not TOps.Count: this late in the method a call to inline can be one past the budget.
            if ((n - head) % block >= L)
                for (i = head + (n - head) / block * block; i + L <= n; i += L)
                    TOps.Store(Output<TSpec, T, TV, TOps>(TOps.Load(ref src, i), ref gamma, ref beta, i, m, r, rc), ref y, i);
            if (hasTail || head != 0) TOps.Store(lastOut, ref y, last);
            if (head != 0) TOps.Store(firstOut, ref y, 0);
            if (streaming && Spec<TSpec, T>.ResidualOut) CopyH(ref h, ref residualOut, n);
            if (typeof(TRange) == typeof(OneRow)) return end;
        }
        if (typeof(TRange) != typeof(OneRow)) ends.Flush<T, TOps>(ref c.Y);
        return end;
    }

    /// <summary>
    /// The last pass's blocks of four vectors (no activation), cached stores. Every stream's offset is i + a constant
    /// written out (TOps.Count, not a local), which the JIT folds into the access ([base + 4·i + disp]): no address
    /// arithmetic per vector. The blocks that prefetch the next row have a loop of their own, so the others (all of them
    /// in cache) carry no test per block. From <paramref name="head"/> (see <see cref="RowRefs{T}.Head"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LastPassBlocks<TSpec, T, TV, TOps, TAffine>(ref T x, ref T residual, ref T src, ref T gamma, ref T beta, ref T y, nuint n,
        nuint head, TV m, TV r, TV rc, bool prefetch)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TAffine : struct, IAffineLoads<T, TV, TOps>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
        // The blocks that prefetch the next row (see MinPrefetchRowBytes), then the rest without a test per block.
        nuint i = head, rowBytes = n * (nuint)Unsafe.SizeOf<T>();
        if (prefetch && (rowBytes >= MinPrefetchRowBytes || !Spec<TSpec, T>.Centered && rowBytes < MaxFirstBlockPrefetchBytes))
            for (nuint ahead = rowBytes < MinPrefetchRowBytes ? head + 4 * (nuint)TOps.Count : n; i + 4 * (nuint)TOps.Count <= n && i < ahead; i += 4 * (nuint)TOps.Count)
            {
                PrefetchBlock<TSpec, T, TV, TOps>(ref x, ref residual, i + n, toL2: PrefetchesToL2<T>(n));
                // With h in y (a residual without residualOut), the next row's h too: its pass 1 stores there, and the lines
                // come from memory. RowAB, thread CPU, best of 15, two placements, two runs, without ÷ with: DeepF 512×4096
                // 1.14-1.15 / 1.14-1.15, AddLnNoOutF 512×4096 1.10-1.17 / 1.16-1.17, DeepD 1024×1024 1.09-1.12 /
                // 1.02-1.08, DeepF 1000×2048 1.01-1.05, DeepD 2048×512 1.01-1.05, AddLnNoOutF 4096×1024 1.03-1.06,
                // 128×4096 0.99-1.03; DeepF 4096×1024 1.07-1.10 in one run, 0.92-0.94 in the other. With residualOut (h
                // there), prefetching it read 0.91-0.94 (AddLnF 4096×1024): not done.
                if (Spec<TSpec, T>.Residual && !Spec<TSpec, T>.ResidualOut)
                    PrefetchBlock<TSpec, T, TV, TOps>(ref src, ref src, i + n, withResidual: false, toL2: PrefetchesToL2<T>(n));
                OutputBlock<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, ref y, i, m, r, rc);
            }
        if (!prefetch && YJustPastSource(ref src, ref y, CachedRowsZoneStart))
        {
            // y 33 to 256 bytes past the source in a 4 KiB page: the blocks from the last down, each block's loads before
            // its stores, so no load follows a store it matches in the low 12 address bits (see CachedRowsZoneStart).
            for (nuint k = (n - head) / (4 * (nuint)TOps.Count); k-- > 0;)
                OutputBlockLoadsFirst<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, ref y, head + k * 4 * (nuint)TOps.Count, m, r, rc);
            return;
        }
        for (; i + 4 * (nuint)TOps.Count <= n; i += 4 * (nuint)TOps.Count)
            OutputBlock<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, ref y, i, m, r, rc);
    }

    /// <summary><see cref="OutputBlock"/> with the four vectors' loads (inside <see cref="OutputAt"/>) before their four stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputBlockLoadsFirst<TSpec, T, TV, TOps, TAffine>(ref T src, ref T gamma, ref T beta, ref T y, nuint i, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TAffine : struct, IAffineLoads<T, TV, TOps>
    {
        TV e0 = OutputAt<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, i, 0, m, r, rc);
        TV e1 = OutputAt<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, i, 1, m, r, rc);
        TV e2 = OutputAt<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, i, 2, m, r, rc);
        TV e3 = OutputAt<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, i, 3, m, r, rc);
        TOps.Store(e0, ref y, i);
        TOps.Store(e1, ref y, i + (nuint)TOps.Count);
        TOps.Store(e2, ref y, i + 2 * (nuint)TOps.Count);
        TOps.Store(e3, ref y, i + 3 * (nuint)TOps.Count);
    }

    /// <summary>
    /// The last pass of a one-row call's row (no activation, cached stores), with the spec's γ and β loads
    /// (<see cref="IAffineLoads{T, TV, TOps}"/>): <see cref="OneRowLastPassWith"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OneRowLastPass<TSpec, T, TV, TOps>(ref T src, ref T gamma, ref T beta, ref T y, nuint n, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.Affine == Affine.ScaleAndBias)
            OneRowLastPassWith<TSpec, T, TV, TOps, ScaleAndBiasLoads<T, TV, TOps>>(ref src, ref gamma, ref beta, ref y, n, m, r, rc);
        else if (Spec<TSpec, T>.Affine == Affine.Scale)
            OneRowLastPassWith<TSpec, T, TV, TOps, ScaleLoads<T, TV, TOps>>(ref src, ref gamma, ref beta, ref y, n, m, r, rc);
        else
            OneRowLastPassWith<TSpec, T, TV, TOps, NoAffineLoads<T, TV, TOps>>(ref src, ref gamma, ref beta, ref y, n, m, r, rc);
    }

    /// <summary>
    /// The last pass of a one-row call's row (no activation, cached stores): the blocks (<see cref="OutputBlock"/>, as
    /// <see cref="LastPassBlocks"/> without the prefetch), then the vectors after them from where the blocks ended and the overlapping last vector through <see cref="OutputAt"/>, so their loads of x
    /// (or h), γ and β fold into the operations too (RmsF: 3 instructions per vector, as in eba5bfa's generated kernel,
    /// where <see cref="Output"/> took 5).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OneRowLastPassWith<TSpec, T, TV, TOps, TAffine>(ref T src, ref T gamma, ref T beta, ref T y, nuint n, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TAffine : struct, IAffineLoads<T, TV, TOps>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength;
        nuint L = (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>()), block = 4 * L, last = n - L;
        // The overlapping last vector is computed before the loops, so an in-place call (y is x) reads it before they
        // overwrite its first lanes.
        TV lastOut = n % L != 0 ? OutputAt<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, last, 0, m, r, rc) : default;
        nuint i = 0;
        if (n >= block)
            for (; i + block <= n; i += block)
                OutputBlock<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, ref y, i, m, r, rc);
        // Vectors after the blocks, if any, from where the blocks ended (see ShiftedSums).
        if (Spec<TSpec, T>.RowLength == 0 || n % block >= L)
            for (; i + L <= n; i += L)
                TOps.Store(OutputAt<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, i, 0, m, r, rc), ref y, i);
        if (n % L != 0) TOps.Store(lastOut, ref y, last);
    }

    /// <summary>Four output vectors from <paramref name="i"/> (see <see cref="LastPassBlocks"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputBlock<TSpec, T, TV, TOps, TAffine>(ref T src, ref T gamma, ref T beta, ref T y, nuint i, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TAffine : struct, IAffineLoads<T, TV, TOps>
    {
        TOps.Store(OutputAt<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, i, 0, m, r, rc), ref y, i);
        TOps.Store(OutputAt<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, i, 1, m, r, rc), ref y, i + (nuint)TOps.Count);
        TOps.Store(OutputAt<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, i, 2, m, r, rc), ref y, i + 2 * (nuint)TOps.Count);
        TOps.Store(OutputAt<TSpec, T, TV, TOps, TAffine>(ref src, ref gamma, ref beta, i, 3, m, r, rc), ref y, i + 3 * (nuint)TOps.Count);
    }

    /// <summary>
    /// <see cref="OutputOf"/> for the block loop, at vector <paramref name="j"/> from <paramref name="i"/>: x (or h), γ and β
    /// are each loaded inside the operation that uses it, so the JIT folds the load into that multiply or multiply-add;
    /// passed to OutputOf as arguments, each took a register and a vmovups of its own (RmsF: 5 instructions per output
    /// vector, against 3 in eba5bfa's generated kernel). The same operations in the same order as OutputOf, without the
    /// activation: the block loop runs only for specs without one. Each offset is i + j·(vector length) written out (see
    /// <see cref="H"/>), so it reaches the access as a displacement.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV OutputAt<TSpec, T, TV, TOps, TAffine>(ref T src, ref T gamma, ref T beta, nuint i, nuint j, TV m, TV r, TV rc)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
        where TAffine : struct, IAffineLoads<T, TV, TOps>
    {
        TV e = Spec<TSpec, T>.Centered
            ? TOps.MultiplyAdd(TOps.Subtract(TOps.Load(ref src, i + j * (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>())), m), r, rc)
            : TOps.Multiply(TOps.Load(ref src, i + j * (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>())), r);
        // typeof tests, not TSpec.Affine: the importer drops the other branches, which stay out of the inlining budget.
        if (typeof(TAffine) == typeof(NoAffineLoads<T, TV, TOps>)) return e;
        if (Spec<TSpec, T>.ZeroCenteredGamma)
            return typeof(TAffine) == typeof(ScaleLoads<T, TV, TOps>)
                ? TOps.Multiply(e, TOps.Add(TAffine.Gamma(ref gamma, i + j * (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>())), TOps.Create(T.One)))
                : TOps.MultiplyAdd(e, TOps.Add(TAffine.Gamma(ref gamma, i + j * (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>())), TOps.Create(T.One)),
                    TAffine.Beta(ref beta, i + j * (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>())));
        return typeof(TAffine) == typeof(ScaleLoads<T, TV, TOps>)
            ? TOps.Multiply(e, TAffine.Gamma(ref gamma, i + j * (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>())))
            : TOps.MultiplyAdd(e, TAffine.Gamma(ref gamma, i + j * (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>())),
                TAffine.Beta(ref beta, i + j * (nuint)(Unsafe.SizeOf<TV>() / Unsafe.SizeOf<T>())));
    }

    /// <summary>
    /// LayerNorm's statistics from pass 1's sums. Var = mean(d²) − offset². While the shift is within about σ/2 of the
    /// mean (offset² ≤ mean(d²)/4) that subtraction loses under half a bit, so the one pass is as exact as two. Otherwise
    /// (an outlying first vector, a trend along the row, NaN) an exact second pass around the mean decides, by the
    /// corrected two-pass formula σ² = (Σe² − (Σe)²/n)/n with e = x − mean: never E[x²] − μ². False for a finite row
    /// whose squares or sums overflow.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Finish<TSpec, T, TV, TOps>(ref T src, nuint n, T inv, TV tail, T shift, TV sums, TV squares,
        out T center, out T offset, out T rstd, out T mean)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        nuint L = (nuint)TOps.Count, block = 4 * L, last = n - L, i;
        offset = TOps.Sum(sums) * inv; // mean − shift
        T meanSquare = TOps.Sum(squares) * inv; // mean of d²
        center = shift;
        T variance;
        if (offset * offset <= T.CreateTruncating(0.25) * meanSquare)
        {
            variance = meanSquare - offset * offset;
        }
        else
        {
            center = shift + offset;
            TV mv = TOps.Create(center);
            TV e0 = TOps.Zero, e1 = e0, e2 = e0, e3 = e0, c0 = e0, c1 = e0;
            i = 0;
            if (n >= block)
                for (i = 0; i + block <= n; i += block)
                {
                    ref T si = ref Unsafe.Add(ref src, i);
                    TV d0 = TOps.Subtract(TOps.Load(ref si, 0), mv), d1 = TOps.Subtract(TOps.Load(ref si, L), mv);
                    TV d2 = TOps.Subtract(TOps.Load(ref si, 2 * L), mv), d3 = TOps.Subtract(TOps.Load(ref si, 3 * L), mv);
                    e0 = TOps.MultiplyAdd(d0, d0, e0);
                    e1 = TOps.MultiplyAdd(d1, d1, e1);
                    e2 = TOps.MultiplyAdd(d2, d2, e2);
                    e3 = TOps.MultiplyAdd(d3, d3, e3);
                    c0 = TOps.Add(c0, TOps.Add(d0, d1));
                    c1 = TOps.Add(c1, TOps.Add(d2, d3));
                }
            for (i = n >= block ? n / block * block : 0; i + L <= n; i += L)
            {
                TV d = TOps.Subtract(TOps.Load(ref src, i), mv);
                e0 = TOps.MultiplyAdd(d, d, e0);
                c0 = TOps.Add(c0, d);
            }
            if (n % L != 0)
            {
                TV d = TOps.Select(tail, TOps.Subtract(TOps.Load(ref src, last), mv));
                e1 = TOps.MultiplyAdd(d, d, e1);
                c1 = TOps.Add(c1, d);
            }
            T sumDev = TOps.Sum(TOps.Add(c0, c1));
            variance = (TOps.Sum(TOps.Add(TOps.Add(e0, e1), TOps.Add(e2, e3))) - sumDev * sumDev * inv) * inv;
            offset = sumDev * inv;
        }
        variance = Max0(variance); // NaN stays NaN
        mean = center + offset;
        rstd = T.Zero;
        if ((!T.IsFinite(variance) || !T.IsFinite(center + offset)) && AllFinite(ref src, n))
            return false;
        rstd = T.One / T.Sqrt(variance + Spec<TSpec, T>.Epsilon);
        return true;
    }

    /// <summary>
    /// max(v, 0) with NaN kept, as MathF.Max / Math.Max: vmaxss and one fixup, where the generic T.Max lowers to vrangess
    /// and two fixups, on the path from the sums to rstd that the last pass waits for.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Max0<T>(T v) where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(T) == typeof(float) ? Unsafe.BitCast<float, T>(MathF.Max(Unsafe.BitCast<T, float>(v), 0f))
            : typeof(T) == typeof(double) ? Unsafe.BitCast<double, T>(Math.Max(Unsafe.BitCast<T, double>(v), 0d))
            : T.Max(v, T.Zero);

    /// <summary>
    /// Statistics not finite: NaN or ±∞ in the row (the fast result stands, as it always did), or a finite row whose
    /// squares or sums overflow, which the row redoes in HugeRow. One predictable branch per row. Inlined, and the call to
    /// HugeRow stays out of the row method: a call site there costs the hot loops their registers (vectors live across
    /// a call are spilled).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AllFinite<T>(ref T src, nuint n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        nuint j = 0;
        while (j < n && T.IsFinite(Unsafe.Add(ref src, j)))
            j++;
        return j == n;
    }

    /// <summary>
    /// Inputs of at least this many bytes (2 MiB, past a core's L2) are prefetched a row ahead in the last pass, also
    /// with cached stores, where rows are long enough (<see cref="MinPrefetchRowBytes"/>): such a row starts on new 4 KiB
    /// pages, or soon crosses one, where the hardware prefetcher starts over, so without
    /// it the next row's first lines are demand misses, and its reads wait for this row's writes instead of overlapping
    /// them. Smaller inputs are in cache, where the prefetches would only cost instructions.
    /// </summary>
    private const long MinPrefetchBytes = 2L << 20;

    /// <summary>
    /// The shortest row (2 KiB) whose last pass prefetches the next row, all of it; shorter rows prefetch nothing, but
    /// RMSNorm rows under <see cref="MaxFirstBlockPrefetchBytes"/>, which prefetch the next row's first block. Rows under
    /// 2 KiB lie back to back within pages, so the hardware prefetcher's stream runs on into the next row. RowAB, thread
    /// CPU, in one process, x and y placed at three to six offsets modulo 4 KiB (--place), LayerNorm without prefetch ÷
    /// with the rule before (the first block under 1 KiB, the whole row from there; 5400ff3): 60000×128 floats 0.91-0.98,
    /// 25000×200 0.81-0.98, 19531×256 0.91-1.08, 13020×384 0.99-1.03; ÷ the whole next row: 50000×100 0.94-0.95, 19531×256
    /// 0.85-0.94, 13020×384 0.95-0.98; but from 2 KiB LayerNorm needs it (9765×512 1.31-1.66, 8000×768 1.42-1.70, 4096×1024
    /// 1.02-1.15, AddLnF 4096×1024 1.06-1.15). RMSNorm, six placements, no prefetch ÷ the whole next row: 19531×256 0.94-1.03
    /// (geometric mean 0.98), 15625×320 0.94-1.02 (0.98), 13020×384 0.94-0.99 (0.96), 11160×448 0.94-1.00 (0.97); the first
    /// block only there: 0.97-0.98, 11160×448 1.02. Its shorter rows keep the first block: without it, 50000×100 1.01-1.10,
    /// 40000×128 1.08-1.11, 25000×200 1.04-1.07 the time (78125×64 0.98-1.02).
    /// </summary>
    private const int MinPrefetchRowBytes = 2048;

    /// <summary>RMSNorm rows under this many bytes (1 KiB) prefetch the next row's first block (see <see cref="MinPrefetchRowBytes"/>).</summary>
    private const int MaxFirstBlockPrefetchBytes = 1024;

    /// <summary>
    /// Prefetches the lines of one block (four vectors) of x, and of the residual (<paramref name="withResidual"/>: for a
    /// residual spec), at <paramref name="offset"/> (the next row's).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchBlock<TSpec, T, TV, TOps>(ref T x, ref T residual, nuint offset, bool withResidual = true, bool toL2 = false)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        // Written out (a block is 1, 2 or 4 lines; JIT-time constants): the JIT kept a loop of four for 512 bits, with its
        // counter and branch in every block of the last pass.
        nuint line = (nuint)(64 / Unsafe.SizeOf<T>()), lines = 4 * (nuint)TOps.Count * (nuint)Unsafe.SizeOf<T>() / 64;
        PrefetchLine<TSpec, T>(ref x, ref residual, offset, withResidual, toL2);
        if (lines >= 2) PrefetchLine<TSpec, T>(ref x, ref residual, offset + line, withResidual, toL2);
        if (lines >= 4)
        {
            PrefetchLine<TSpec, T>(ref x, ref residual, offset + 2 * line, withResidual, toL2);
            PrefetchLine<TSpec, T>(ref x, ref residual, offset + 3 * line, withResidual, toL2);
        }
    }

    /// <summary>
    /// Prefetches the line of x, and of the residual (see <see cref="PrefetchBlock"/>), at <paramref name="offset"/>: into
    /// L1, or into L2 (<paramref name="toL2"/>, see <see cref="PrefetchesToL2"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchLine<TSpec, T>(ref T x, ref T residual, nuint offset, bool withResidual, bool toL2)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        StreamingStore.Prefetch(ref x, offset, toL2);
        if (Spec<TSpec, T>.Residual && withResidual) StreamingStore.Prefetch(ref residual, offset, toL2);
    }

    /// <summary>
    /// Whether rows of <paramref name="n"/> elements prefetch the next row into L2 (a JIT-time constant for a compile-time
    /// row). Rows of 16 KiB or more (StreamingStore.MaxL1PrefetchBytes) prefetch the next row into L2 (prefetcht1) instead of L1: with x, γ and
    /// β of such a row streaming through L1 (32 KiB on Zen 4) in the last pass (two rows' in the paired rows), the next
    /// row's lines brought into L1 evicted the lines that pass still read. 2-core AMD EPYC (Zen 4), RowAB in one process,
    /// thread CPU, 9 rounds, two runs, prefetcht0's time ÷ prefetcht1's (best / median round): LnF 2048 × 8192 1.11–1.17 /
    /// 1.17–1.23, RmsF 2048 × 8192 1.32 / 1.31–1.42, AddLnF 2048 × 8192 1.17–1.19 / 1.12–1.23, DeepF 2048 × 8192
    /// 1.17–1.23 / 1.19, LnD 1024 × 4096 1.23–1.28 / 1.16–1.18, LnF 1024 × 4096 1.08 / 1.09, 256 × 16384 0.98–1.20 /
    /// 1.04–1.15, 512 × 4096 1.09 / 0.99. Shorter rows keep prefetcht0: on a Zen 5 VM prefetcht1 ran LayerNorm 4096 ×
    /// 1024 1.17× slower (docs/benchmarks.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool PrefetchesToL2<T>(nuint n) => StreamingStore.PrefetchesToL2(n * (nuint)Unsafe.SizeOf<T>());

    /// <summary>
    /// The shortest row (16 KiB) whose non-temporal last pass in <see cref="StreamRow"/> goes down the row when y lies 1 to
    /// 127 bytes past the source in a page (<see cref="StreamedPairsZoneEnd"/>, as the non-temporal pairs). RowAB (2-core
    /// AMD EPYC, Zen 4), NT rows a time (--pipeline 1 --threshold 0), one process, thread CPU, 7 rounds, down ÷ up: RmsF
    /// 2048×8192 +8 0.72, +56 0.70, 16/72 0.85, +120 0.79 (5.2 ms → 3.6 at +56); RmsF 4096×4096 0.72–0.88, 1024×16384
    /// 0.77–0.95; off the zone 0.99–1.00; but shorter rows lose: RmsF 4096×2048 1.20–1.46, RmsF and LnF 8192×1024
    /// 1.09–2.04, so they keep the plain order.
    /// </summary>
    private const int MinStreamedDownRowBytes = 16 << 10;

    /// <summary>
    /// The last pass with aligned non-temporal stores, for outputs too large for the caches: they skip the
    /// read-for-ownership of every output line. The unaligned head and the tail are computed first and stored last, so
    /// an in-place call reads them before the loop overwrites them (not at all when the loop's vectors cover the row). Each step also prefetches the next row's input at the
    /// same place, so its reads overlap these writes (not for Half inputs, whose rows are widened into scratch). False
    /// when y is not aligned to its element size (the cached loop then runs). A long row whose y lies just past its source
    /// goes down instead (<see cref="MinStreamedDownRowBytes"/>). Inlined, for the same reason as <see cref="AllFinite"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool StreamRow<TSpec, T, TV, TOps>(ref T x, ref T residual, ref T src, ref T gamma, ref T beta, ref T y, ref T residualOut,
        nuint n, TV m, TV r, TV rc, bool prefetch, ref StreamedEnds<TV> ends, ref T yBase)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength; // a JIT-time constant: the loops and tails fold
        nuint L = (nuint)TOps.Count, last = n - L, i;
        nuint head = (nuint)StreamingStore.ElementsToAlignment(ref y, (int)L);
        if (head >= L) return false;
        bool alignedH = Spec<TSpec, T>.ResidualOut && (nuint)StreamingStore.ElementsToAlignment(ref residualOut, (int)L) == head;
        TV first = Output<TSpec, T, TV, TOps>(TOps.Load(ref src, 0), ref gamma, ref beta, 0, m, r, rc);
        TV lastOut = Output<TSpec, T, TV, TOps>(TOps.Load(ref src, last), ref gamma, ref beta, last, m, r, rc);
        if (!Spec<TSpec, T>.ResidualOut && n * (nuint)Unsafe.SizeOf<T>() >= MinStreamedDownRowBytes
            && YJustPastSource(ref src, ref y, zoneEnd: StreamedPairsZoneEnd))
        {
            // A row of 16 KiB or more with y 1 to 127 bytes past the source in a page: from the last vector down, as the
            // non-temporal pairs go (see MinStreamedDownRowBytes); i ends where the loop up would, for the ends below.
            nuint count = n >= head + L ? (n - head) / L : 0;
            for (nuint k = count; k-- > 0;)
            {
                if (prefetch)
                    PrefetchLine<TSpec, T>(ref x, ref residual, head + k * L + n, withResidual: true, toL2: PrefetchesToL2<T>(n));
                TOps.StoreNonTemporal(Output<TSpec, T, TV, TOps>(TOps.Load(ref src, head + k * L), ref gamma, ref beta, head + k * L, m, r, rc),
                    ref Unsafe.Add(ref y, head + k * L));
            }
            i = head + count * L;
        }
        else
        {
            for (i = head; i + L <= n; i += L)
            {
                if (prefetch)
                    PrefetchLine<TSpec, T>(ref x, ref residual, i + n, withResidual: true, toL2: PrefetchesToL2<T>(n));
                TOps.StoreNonTemporal(Output<TSpec, T, TV, TOps>(TOps.Load(ref src, i), ref gamma, ref beta, i, m, r, rc), ref Unsafe.Add(ref y, i));
                if (Spec<TSpec, T>.ResidualOut)
                {
                    if (alignedH)
                        TOps.StoreNonTemporal(TOps.Load(ref src, i), ref Unsafe.Add(ref residualOut, i));
                    else
                        TOps.Store(TOps.Load(ref src, i), ref residualOut, i);
                }
            }
        }
        // i is where the aligned loop stopped. An aligned row of whole vectors has no ends: storing its first and last
        // vectors again, cached, into lines the loop has just streamed cost up to 3.7× in the C model (stream-model.c,
        // "ends cached again"). Otherwise the row's head goes out with the previous row's carried tail as one
        // non-temporal vector, and its tail is carried to the next row (StreamedEnds); a head or tail no neighbour takes
        // goes as a cached whole vector (an element-wise StoreEnds here, as a call, had made the JIT keep vectors live
        // across rows on the stack, and inlined it cost the residual row methods their inlining budget).
        ends.Head<T, TOps>(ref yBase, ref y, first, head);
        ends.Tail<T, TOps>(ref yBase, ref y, n, lastOut, i - last);
        if (Spec<TSpec, T>.ResidualOut)
        {
            TOps.Store(TOps.Load(ref src, 0), ref residualOut, 0);
            TOps.Store(TOps.Load(ref src, last), ref residualOut, last);
        }
        return true;
    }

    // ---------------------------------------------------------------- scalar row and huge rows

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double D<T>(T value) where T : unmanaged, IFloatingPointIeee754<T> => double.CreateTruncating(value);

    /// <summary>The scalar output for element i from the normalized value <paramref name="core"/>: affine, activation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ScalarOutput<TSpec, T>(T core, ref T gamma, ref T beta, nuint i)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Spec<TSpec, T>.Affine != Affine.None)
        {
            T g = Spec<TSpec, T>.ZeroCenteredGamma ? T.One + Unsafe.Add(ref gamma, i) : Unsafe.Add(ref gamma, i);
            core = Spec<TSpec, T>.Affine == Affine.Scale ? core * g : core * g + Unsafe.Add(ref beta, i);
        }
        return Spec<TSpec, T>.Activation == Activation.None ? core : ActivateScalar(Spec<TSpec, T>.Activation, core);
    }

    private static T ActivateScalar<T>(Activation activation, T v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            float f = Unsafe.BitCast<T, float>(v);
            f = activation switch
            {
                Activation.Relu => Activations.Relu(f),
                Activation.Gelu => Activations.Gelu(f),
                Activation.GeluTanh => Activations.GeluTanh(f),
                Activation.Silu => Activations.Silu(f),
                Activation.Tanh => Activations.Tanh(f),
                Activation.Sigmoid => Activations.Sigmoid(f),
                _ => f,
            };
            return Unsafe.BitCast<float, T>(f);
        }
        double d = Unsafe.BitCast<T, double>(v);
        d = activation switch
        {
            Activation.Relu => Activations.Relu(d),
            Activation.Gelu => Activations.Gelu(d),
            Activation.GeluTanh => Activations.GeluTanh(d),
            Activation.Silu => Activations.Silu(d),
            Activation.Tanh => Activations.Tanh(d),
            Activation.Sigmoid => Activations.Sigmoid(d),
            _ => d,
        };
        return Unsafe.BitCast<double, T>(d);
    }

    /// <summary>One row without vectors (no SIMD, or a row shorter than a vector). Accumulates in double. False: see <see cref="VectorRows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see Forward's remarks
    private static bool ScalarRow<TSpec, T>(ref T x, ref T residual, ref T bias, ref T gamma, ref T beta, ref T y, ref T residualOut, ref T h,
        out T meanOut, out T rstdOut, int n, bool streaming)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (int)Spec<TSpec, T>.RowLength; // a JIT-time constant: the loops and tails fold
        if (Spec<TSpec, T>.Residual)
        {
            for (int i = 0; i < n; i++)
            {
                T v = Spec<TSpec, T>.HasAlpha ? Spec<TSpec, T>.Alpha * Unsafe.Add(ref x, i) : Unsafe.Add(ref x, i);
                v += Unsafe.Add(ref residual, i);
                Unsafe.Add(ref h, i) = Spec<TSpec, T>.ResidualBias ? v + Unsafe.Add(ref bias, i) : v;
            }
        }
        ref T src = ref Spec<TSpec, T>.Residual ? ref h : ref x;
        double eps = D(Spec<TSpec, T>.Epsilon), mean = 0, shift = 0, offset = 0, rstd;
        meanOut = rstdOut = T.Zero;
        if (Spec<TSpec, T>.Centered)
        {
            // RowStatistics.ScalarMoments (the backward's recomputation uses it too, so the same bits): x − shift before
            // the offset, as the vector paths; for a double row with a large mean, shift + offset rounded to the mean's
            // ulp put its error into every x − μ (2,300 units of y at a mean of 10⁴, OffsetTests).
            RowStatistics.ScalarMoments(ref src, 1, n, 0, 1d, out shift, out offset, out double variance);
            mean = shift + offset;
            if ((!double.IsFinite(variance) || !double.IsFinite(mean)) && AllFinite(ref src, (nuint)n)) return false;
            rstd = 1d / Math.Sqrt(variance + eps);
            meanOut = T.CreateTruncating(mean);
        }
        else
        {
            double sumSq = 0;
            for (int i = 0; i < n; i++)
                sumSq += D(Unsafe.Add(ref src, i)) * D(Unsafe.Add(ref src, i));
            if (!double.IsFinite(sumSq) && AllFinite(ref src, (nuint)n)) return false;
            rstd = 1d / Math.Sqrt(sumSq / n + eps);
        }
        rstdOut = T.CreateTruncating(rstd);
        for (int i = 0; i < n; i++)
        {
            T core = T.CreateTruncating(Spec<TSpec, T>.Centered ? (D(Unsafe.Add(ref src, i)) - shift - offset) * rstd : D(Unsafe.Add(ref src, i)) * rstd);
            Unsafe.Add(ref y, i) = ScalarOutput<TSpec, T>(core, ref gamma, ref beta, (nuint)i);
        }
        if (Spec<TSpec, T>.ResidualOut && streaming) CopyH(ref h, ref residualOut, (nuint)n);
        return true;
    }

    /// <summary>
    /// A row whose squares or sums overflow the type although every element is finite (e.g. 1e21 among zeros).
    /// Normalizing x·s with s = 2⁻ᵏ, 2ᵏ ≤ max|x| &lt; 2ᵏ⁺¹, is exact (a power of two) and keeps every square in range;
    /// with ε·s² in place of ε the result is the unscaled formula's (ε·s² may underflow to 0, which is then exact in the
    /// type). Computed in double, as the scalar path. Called from Rows, only for rows whose elements are all finite.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void HugeRow<TSpec, T>(ref T src, ref T gamma, ref T beta, ref T y, out T meanOut, out T rstdOut, nuint n)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Spec<TSpec, T>.RowLength > 0) n = (nuint)Spec<TSpec, T>.RowLength; // a JIT-time constant: the loops and tails fold
        double max = 0; // not 0 at the end: the row's squares or sums overflowed
        for (nuint i = 0; i < n; i++)
            max = Math.Max(max, Math.Abs(D(Unsafe.Add(ref src, i))));
        double scale = Math.ScaleB(1d, -Math.ILogB(max));
        double epsilon = D(Spec<TSpec, T>.Epsilon) * scale * scale;
        double mean = 0, shift = 0, offset = 0, rstd;
        meanOut = T.Zero;
        if (Spec<TSpec, T>.Centered)
        {
            // RowStatistics.ScalarMoments of x·2⁻ᵏ (the backward's recomputation takes the same), x − shift first.
            RowStatistics.ScalarMoments(ref src, 1, (nint)n, 0, scale, out shift, out offset, out double variance);
            mean = shift + offset;
            // σ² = 0 with ε·s² underflowed to 0: a constant row, every x − μ is 0; rstd is then that of σ² = 0, 1/√ε.
            bool constant = variance + epsilon == 0;
            rstd = constant ? 0d : 1d / Math.Sqrt(variance + epsilon);
            meanOut = T.CreateTruncating(mean / scale);
            rstdOut = constant ? T.CreateTruncating(1d / Math.Sqrt(D(Spec<TSpec, T>.Epsilon))) : T.CreateTruncating(rstd * scale);
        }
        else
        {
            double sumSq = 0;
            for (nuint i = 0; i < n; i++)
            {
                double v = D(Unsafe.Add(ref src, i)) * scale;
                sumSq += v * v;
            }
            rstd = 1d / Math.Sqrt(sumSq / n + epsilon);
            rstdOut = T.CreateTruncating(rstd * scale);
        }
        for (nuint i = 0; i < n; i++)
        {
            T core = T.CreateTruncating(Spec<TSpec, T>.Centered ? (D(Unsafe.Add(ref src, i)) * scale - shift - offset) * rstd : D(Unsafe.Add(ref src, i)) * scale * rstd);
            Unsafe.Add(ref y, i) = ScalarOutput<TSpec, T>(core, ref gamma, ref beta, i);
        }
    }
}
