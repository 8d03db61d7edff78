using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace NormGen;

/// <summary>
/// Argument checks and launch geometry for the GPU (ILGPU) overloads that NormGen emits when the consuming project
/// references ILGPU. Deliberately free of ILGPU types, so this runtime never depends on ILGPU: the generated code
/// passes lengths, offsets and device limits as plain numbers, and buffers as <see cref="object"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class NormGpu
{
    /// <summary>Rows up to this many elements are normalized by one warp each (several rows per thread group); longer rows by one group each.</summary>
    public const int WarpPerRowMaxLength = 1024;

    /// <summary>The largest number of warps in a group: the size of the kernels' shared array of per-warp partial sums.</summary>
    public const int MaxWarpsPerGroup = 32;

    /// <summary>Elements each thread of a group-per-row launch aims to handle (more per thread: fewer threads idling on barriers).</summary>
    private const int ElementsPerThread = 8;

    /// <summary>Returns <paramref name="length"/> / <paramref name="rowLength"/>, or throws if the view is not a whole number of rows.</summary>
    public static int RowCount(long length, int rowLength, string paramName)
    {
        if (rowLength <= 0)
            throw new ArgumentOutOfRangeException(paramName, rowLength, $"The row length must be positive, but is {rowLength}.");
        if (length % rowLength != 0)
            throw new ArgumentException($"'{paramName}' has {length} elements, which is not a whole number of rows of {rowLength} elements.", paramName);
        long rows = length / rowLength;
        if (rows > int.MaxValue)
            throw new ArgumentException($"'{paramName}' holds {rows} rows; at most {int.MaxValue} rows are supported per call.", paramName);
        return (int)rows;
    }

    /// <summary>Throws unless <paramref name="actual"/> equals <paramref name="expected"/>.</summary>
    public static void Length(long actual, long expected, string paramName, string what)
    {
        if (actual != expected)
            throw new ArgumentException($"'{paramName}' must have {expected} elements ({what}), but has {actual}.", paramName);
    }

    /// <summary>Throws unless the row length fits a GPU kernel (1 … <see cref="int.MaxValue"/>).</summary>
    public static void PositiveRowLength(int rowLength, string paramName)
    {
        if (rowLength <= 0)
            throw new ArgumentOutOfRangeException(paramName, rowLength, "The row length must be positive.");
    }

    /// <summary>
    /// Throws if the output view overlaps the input view without being the same memory (in place is allowed, a shifted
    /// overlap is not). Views of different buffers never overlap.
    /// </summary>
    public static void NoPartialOverlap(object? inputBuffer, long inputOffsetBytes, long inputBytes, object? outputBuffer, long outputOffsetBytes, long outputBytes, string inputName, string outputName)
    {
        if (inputBuffer is null || !ReferenceEquals(inputBuffer, outputBuffer) || inputBytes == 0 || outputBytes == 0) return;
        if (inputOffsetBytes == outputOffsetBytes && inputBytes == outputBytes) return;
        long offset = outputOffsetBytes - inputOffsetBytes;
        if (offset < inputBytes && -offset < outputBytes)
            throw new ArgumentException($"'{outputName}' overlaps '{inputName}' without being the same memory. Pass the same view for in-place use, or views that do not overlap.", outputName);
    }

    /// <summary>
    /// Throws if the output view shares any memory with the input view, the same view included: for an input that is
    /// read while the output is written (γ, β, a bias, running statistics). Views of different buffers never overlap.
    /// </summary>
    public static void NoOverlapWithInput(object? inputBuffer, long inputOffsetBytes, long inputBytes, object? outputBuffer, long outputOffsetBytes, long outputBytes, string inputName, string outputName)
    {
        if (inputBuffer is null || !ReferenceEquals(inputBuffer, outputBuffer) || inputBytes == 0 || outputBytes == 0) return;
        long offset = outputOffsetBytes - inputOffsetBytes;
        if (offset < inputBytes && -offset < outputBytes)
            throw new ArgumentException($"'{outputName}' overlaps '{inputName}', which is still read while '{outputName}' is written; pass views that do not overlap.", outputName);
    }

    /// <summary>
    /// Throws if two output views share any memory, the same view included (y and residualOut are both written).
    /// Views of different buffers never overlap.
    /// </summary>
    public static void NoOverlap(object? firstBuffer, long firstOffsetBytes, long firstBytes, object? secondBuffer, long secondOffsetBytes, long secondBytes, string firstName, string secondName)
    {
        if (firstBuffer is null || !ReferenceEquals(firstBuffer, secondBuffer) || firstBytes == 0 || secondBytes == 0) return;
        long offset = secondOffsetBytes - firstOffsetBytes;
        if (offset < firstBytes && -offset < secondBytes)
            throw new ArgumentException($"'{secondName}' overlaps '{firstName}'; both are written, so they must be separate memory.", secondName);
    }

    /// <summary>
    /// The cached scratch buffer of the GPU backward kernels' dγ/dβ partials for one stream and element type (one
    /// <see cref="ScratchSlot"/> per (stream, <typeparamref name="T"/>), dropped with the stream: weak keys). Generated
    /// code locks the slot while it enqueues the kernels that use the buffer; see <see cref="ScratchSlot"/>.
    /// </summary>
    /// <param name="stream">The ILGPU <c>AcceleratorStream</c> the kernels are enqueued on (typed <see cref="object"/>: this runtime does not reference ILGPU).</param>
    public static ScratchSlot Scratch<T>(object stream) where T : unmanaged =>
        ScratchSlots<T>.Table.GetValue(stream ?? throw new ArgumentNullException(nameof(stream)), static _ => new ScratchSlot());

    /// <summary>The length to allocate for a scratch request of <paramref name="needed"/> elements: the next power of two (at least 1024), so a growing workload reallocates a few times only.</summary>
    public static long ScratchLength(long needed)
    {
        long length = 1024;
        while (length < needed) length *= 2;
        return length;
    }

    private static class ScratchSlots<T> where T : unmanaged
    {
        public static readonly ConditionalWeakTable<object, ScratchSlot> Table = new();
    }

    /// <summary>Threads per group for a warp-per-row launch: a multiple of the warp size, at most 256 and the device limit.</summary>
    public static int WarpPerRowGroupSize(int warpSize, int maxThreadsPerGroup)
    {
        int limit = Math.Min(Math.Min(256, maxThreadsPerGroup), MaxWarpsPerGroup * warpSize);
        return Math.Max(warpSize, limit / warpSize * warpSize);
    }

    /// <summary>
    /// Threads per group for a group-per-row launch: enough for about <see cref="ElementsPerThread"/> elements each,
    /// rounded up to whole warps, at most 1024, <see cref="MaxWarpsPerGroup"/> warps and the device limit.
    /// </summary>
    public static int GroupPerRowGroupSize(int rowLength, int warpSize, int maxThreadsPerGroup)
    {
        int limit = Math.Min(Math.Min(1024, maxThreadsPerGroup), MaxWarpsPerGroup * warpSize) / warpSize * warpSize;
        long wanted = ((long)rowLength + ElementsPerThread - 1) / ElementsPerThread;
        wanted = (wanted + warpSize - 1) / warpSize * warpSize;
        return (int)Math.Max(warpSize, Math.Min(limit, wanted));
    }

    /// <summary>
    /// Groups to launch: enough to cover every row once, but no more than a few waves of resident groups; the kernels'
    /// grid-stride loop covers the rest, so any row count works whatever the device's grid limit.
    /// </summary>
    public static int GridSize(int rows, int rowsPerGroup, int groupSize, int multiprocessors, int maxThreadsPerMultiprocessor, int maxGridSize)
    {
        long needed = ((long)rows + rowsPerGroup - 1) / rowsPerGroup;
        long resident = (long)Math.Max(1, multiprocessors) * Math.Max(1, maxThreadsPerMultiprocessor / groupSize);
        long grid = Math.Min(needed, Math.Max(1, resident * 4));
        return (int)Math.Max(1, Math.Min(grid, Math.Max(1, maxGridSize)));
    }
}

/// <summary>
/// One stream's cached scratch buffer for the GPU backward kernels' dγ/dβ partials (an ILGPU
/// <c>MemoryBuffer1D&lt;T, Stride1D.Dense&gt;</c>, typed <see cref="object"/>), reused by every call on that stream.
/// </summary>
/// <remarks>
/// <para>Why reuse is safe without waiting: a call enqueues, on one stream, the kernel that writes the partials, the dx
/// kernel and the kernel that reads them back; the next call's partials kernel is enqueued after them on the same
/// stream, so the stream's order runs it only once the previous combine has finished. Generated code holds the slot's
/// lock (<c>lock (slot)</c>) from choosing the buffer to enqueuing the last kernel, so calls from several threads on one
/// stream cannot interleave their kernels; calls on different streams have different slots (the cache is keyed by
/// stream), so they never share a buffer.</para>
/// <para>Growing: a call that needs more than the buffer holds waits for its stream (earlier calls may still read the
/// old buffer), frees the old buffer and allocates <see cref="NormGpu.ScratchLength"/> elements; so a call synchronises
/// only when the scratch grows, a few times per stream. The buffer lives as long as the stream (the default stream:
/// the accelerator); ILGPU frees it with the accelerator.</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ScratchSlot
{
    /// <summary>The cached buffer, or null before the first call; read and replaced only under <c>lock (this)</c>.</summary>
    public object? Buffer { get; set; }
}
