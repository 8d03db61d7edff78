using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

namespace NormGen;

/// <summary>A block of rows that a generated kernel processes; implemented by generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IRowKernel
{
    /// <summary>Processes rows <paramref name="firstRow"/> … <paramref name="firstRow"/> + <paramref name="rowCount"/> − 1.</summary>
    /// <param name="buffers">The call's spans, pinned for the duration of the call.</param>
    /// <param name="firstRow">The first row of the block.</param>
    /// <param name="rowCount">How many rows the block has.</param>
    void Execute(in PinnedBuffers buffers, int firstRow, int rowCount);
}

/// <summary>
/// Up to ten spans pinned by <see cref="RowScheduler.Run{TKernel}"/>, handed to each worker so that generated code can
/// rebuild them as spans on another thread without an <c>unsafe</c> context in the user's project.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly unsafe struct PinnedBuffers
{
    private readonly Buffer10<nint> _pointers;
    private readonly Buffer10<int> _byteLengths;

    internal PinnedBuffers(Buffer10<nint> pointers, Buffer10<int> byteLengths)
    {
        _pointers = pointers;
        _byteLengths = byteLengths;
    }

    /// <summary>The span pinned at <paramref name="index"/>, as elements of <typeparamref name="T"/>.</summary>
    public Span<T> Get<T>(int index) where T : unmanaged
        => new Span<T>((void*)_pointers[index], _byteLengths[index] / sizeof(T));

    [System.Runtime.CompilerServices.InlineArray(10)]
    internal struct Buffer10<T>
    {
        private T _element0;
    }
}

/// <summary>
/// Spreads the rows of one kernel call over the thread pool. Used by generated code; rows are split into contiguous
/// blocks, one per thread, and every row is computed by the same code whichever block it falls in, so results do not
/// depend on the thread count.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class RowScheduler
{
    /// <summary>How many threads a call with <paramref name="rowCount"/> rows of <paramref name="rowLength"/> elements should use.</summary>
    /// <remarks>
    /// Inlined into every kernel call: a single row, or too few elements to give a second thread
    /// <see cref="NormGenSettings.MinElementsPerThread"/>, answer 1 with two compares and no call; the division by the
    /// setting and the processor count are left to <see cref="ParallelDegree"/>, which only inputs large enough to
    /// spread reach.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DegreeOfParallelism(int rowCount, int rowLength)
    {
        if (rowCount < 2) return 1;
        int max = NormGenSettings.MaxDegreeOfParallelism;
        if (max == 1 || (long)rowCount * rowLength < 2L * NormGenSettings.MinElementsPerThread) return 1;
        return ParallelDegree(max, rowCount, rowLength);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ParallelDegree(int max, int rowCount, int rowLength)
    {
        if (t_inBlock) return 1; // a kernel called from a block of Run (the Half drivers' units): the pool is already busy
        if (max < 0) max = Environment.ProcessorCount;
        long byWork = (long)rowCount * rowLength / NormGenSettings.MinElementsPerThread;
        long degree = Math.Min(Math.Min(max, rowCount), byWork);
        return degree < 1 ? 1 : (int)degree;
    }

    /// <summary>Whether a call writing <paramref name="outputBytes"/> bytes should use non-temporal stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool UseStreamingStores(long outputBytes) => outputBytes >= NormGenSettings.StreamingStoreThreshold;

    /// <summary>
    /// The shortest output row, in bytes, that the forward row kernels write with non-temporal stores: 2 KiB (512 floats,
    /// 256 doubles). A shorter row's unaligned head and tail are ordinary stores into the lines its neighbours write
    /// non-temporally, and each row restarts the aligned loop: LayerNorm on 10⁶ × 64 floats (488 MiB) ran at 2.9 GB/s
    /// streaming against 22.5 GB/s with cached stores, 100,000 × 256 at 16.9 against 29.0, while from 512 floats streaming
    /// wins (100,000 × 512: 31.3 against 23.0; × 1024: 34.6 against 20.1; 2-core AMD EPYC, one thread, growth mode, y
    /// 56 bytes past a line). Shorter rows that share no line stream from <see cref="MinLineStreamingRowBytes"/>.
    /// </summary>
    public const int MinStreamingRowBytes = 2048;

    /// <summary>
    /// Whether a call writing <paramref name="outputBytes"/> bytes in rows of <paramref name="rowBytes"/> bytes should use
    /// non-temporal stores: the output is past <see cref="NormGenSettings.StreamingStoreThreshold"/> and its rows are at
    /// least <see cref="MinStreamingRowBytes"/> long.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool UseStreamingStores(long outputBytes, long rowBytes) => rowBytes >= MinStreamingRowBytes && UseStreamingStores(outputBytes);

    /// <summary>
    /// The shortest output row, in bytes, that the forward row kernels write with non-temporal stores when every row starts
    /// on a 64-byte line (the output's first element on a line, the row a whole number of lines): 512 bytes (128 floats, 64
    /// doubles). Such rows share no line, so every line is written by non-temporal stores alone, and each row's
    /// read-for-ownership is saved. LayerNorm, one thread, rows on lines, in one process against cached stores (2-core AMD
    /// EPYC, Zen 5, 51 MB outputs): 100,000 × 128 floats 39-42 GB/s against 23; 66,666 × 192 41-45 against 30-35; 50,000
    /// × 256 45-46 against 36-39; 33,333 × 384 47-49 against 39-41; RMSNorm 100,000 × 128 49-53 against 38. Rows of 64
    /// floats measured slower streamed (LayerNorm 22-25 against 26-27). Rows off the lines stay cached: streamed, 100,000 ×
    /// 128 ran at 6-11 GB/s (the lines two rows share took both kinds of store).
    /// </summary>
    public const int MinLineStreamingRowBytes = 512;

    /// <summary>
    /// <see cref="UseStreamingStores(long, long)"/> for the rows of <paramref name="output"/>, and also rows of at least
    /// <see cref="MinLineStreamingRowBytes"/> that are a whole number of 64-byte lines when the output's first element is
    /// on a line. The output's address is read only for an output past the threshold.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe bool UseStreamingStores<T>(long outputBytes, long rowBytes, Span<T> output) where T : unmanaged
        => UseStreamingStores(outputBytes) && (rowBytes >= MinStreamingRowBytes
            || rowBytes >= MinLineStreamingRowBytes && rowBytes % 64 == 0 && (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(output)) % 64 == 0);

    /// <summary>
    /// Pins the spans, splits <paramref name="rowCount"/> rows into <paramref name="degree"/> contiguous blocks and runs
    /// <paramref name="kernel"/> on each block in parallel. Returns when every block is done.
    /// </summary>
    /// <remarks>
    /// Never inlined: the kernels call it only for inputs large enough to spread or to stream, where a call costs
    /// nothing, and inlined its ten pinned locals would take registers and stack from every small call's fast path.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe void Run<TKernel>(int degree, int rowCount, TKernel kernel,
        ReadOnlySpan<byte> b0, ReadOnlySpan<byte> b1 = default, ReadOnlySpan<byte> b2 = default, ReadOnlySpan<byte> b3 = default,
        ReadOnlySpan<byte> b4 = default, ReadOnlySpan<byte> b5 = default, ReadOnlySpan<byte> b6 = default, ReadOnlySpan<byte> b7 = default,
        ReadOnlySpan<byte> b8 = default, ReadOnlySpan<byte> b9 = default)
        where TKernel : struct, IRowKernel
    {
        fixed (byte* p0 = b0) fixed (byte* p1 = b1) fixed (byte* p2 = b2) fixed (byte* p3 = b3)
        fixed (byte* p4 = b4) fixed (byte* p5 = b5) fixed (byte* p6 = b6) fixed (byte* p7 = b7)
        fixed (byte* p8 = b8) fixed (byte* p9 = b9)
        {
            var pointers = new PinnedBuffers.Buffer10<nint>();
            var lengths = new PinnedBuffers.Buffer10<int>();
            pointers[0] = (nint)p0; lengths[0] = b0.Length;
            pointers[1] = (nint)p1; lengths[1] = b1.Length;
            pointers[2] = (nint)p2; lengths[2] = b2.Length;
            pointers[3] = (nint)p3; lengths[3] = b3.Length;
            pointers[4] = (nint)p4; lengths[4] = b4.Length;
            pointers[5] = (nint)p5; lengths[5] = b5.Length;
            pointers[6] = (nint)p6; lengths[6] = b6.Length;
            pointers[7] = (nint)p7; lengths[7] = b7.Length;
            pointers[8] = (nint)p8; lengths[8] = b8.Length;
            pointers[9] = (nint)p9; lengths[9] = b9.Length;
            var buffers = new PinnedBuffers(pointers, lengths);
            if (degree <= 1)
            {
                kernel.Execute(in buffers, 0, rowCount);
                return;
            }
            var work = new BlockWork<TKernel>(kernel, buffers, rowCount, degree);
            Parallel.For(0, degree, new ParallelOptions { MaxDegreeOfParallelism = degree }, work.RunBlock);
        }
    }

    /// <summary>
    /// Set while this thread runs a block of <see cref="Run{TKernel}"/> on more than one thread: a kernel called inside it
    /// (a Half driver's unit, computed by the float kernel) stays on this thread instead of asking the busy pool again.
    /// </summary>
    [ThreadStatic]
    private static bool t_inBlock;

    private sealed class BlockWork<TKernel>(TKernel kernel, PinnedBuffers buffers, int rowCount, int blocks)
        where TKernel : struct, IRowKernel
    {
        public void RunBlock(int block)
        {
            // Even split with the remainder spread over the first blocks: block sizes differ by at most one row.
            int baseRows = rowCount / blocks, extra = rowCount % blocks;
            int first = block * baseRows + Math.Min(block, extra);
            int count = baseRows + (block < extra ? 1 : 0);
            bool nested = t_inBlock;
            t_inBlock = true;
            try
            {
                kernel.Execute(in buffers, first, count);
            }
            finally
            {
                t_inBlock = nested;
            }
        }
    }
}
