// Non-temporal stores for generated kernels whose output is too large to stay in cache: they skip the read-for-
// ownership of each output line (a third of the traffic of a normalization that reads x and writes y) and do not
// evict the input. Kept here, in one unsafe place, so users' projects need no AllowUnsafeBlocks.
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// Aligned non-temporal vector stores, used by generated kernels for outputs of at least
/// <see cref="NormGenSettings.StreamingStoreThreshold"/> bytes. The destination must be pinned for the whole call
/// (generated code only uses this under <see cref="RowScheduler.Run{TKernel}"/>, which pins every span) and aligned
/// to the vector size (see <see cref="ElementsToAlignment{T}(ref T, int)"/>).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class StreamingStore
{
    /// <summary>
    /// How many elements from <paramref name="destination"/> to the next address aligned to a vector of
    /// <paramref name="lanes"/> elements (0 … lanes − 1), or <paramref name="lanes"/> if no element of the span can be
    /// aligned (an address that is not a multiple of the element size).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ElementsToAlignment<T>(ref T destination, int lanes) where T : unmanaged
    {
        nuint address = (nuint)Unsafe.AsPointer(ref destination);
        nuint vectorBytes = (nuint)(lanes * sizeof(T));
        if (address % (nuint)sizeof(T) != 0) return lanes;
        return (int)((vectorBytes - address % vectorBytes) % vectorBytes / (nuint)sizeof(T));
    }

    /// <summary>
    /// Asks the processor to bring the cache line <paramref name="elementOffset"/> elements past <paramref name="row"/>
    /// into the caches (prefetcht0), without waiting for it. Generated kernels call it in a row's last pass for the next
    /// row, so its reads from memory overlap this row's writes. The line may lie past the end of the buffer: a prefetch
    /// never faults, and the address is formed as a pointer here, never as a managed reference. A no-op without SSE.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch<T>(ref T row, nuint elementOffset) where T : unmanaged
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
            System.Runtime.Intrinsics.X86.Sse.Prefetch0((byte*)Unsafe.AsPointer(ref row) + elementOffset * (nuint)sizeof(T));
    }

    /// <summary>
    /// <see cref="Prefetch{T}(ref T, nuint)"/> into L2 (prefetcht1), not L1: for rows too long for L1 to hold the next row's lines next
    /// to the lines this row's last pass reads (x, γ, β); see <see cref="MaxL1PrefetchBytes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PrefetchToL2<T>(ref T row, nuint elementOffset) where T : unmanaged
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
            System.Runtime.Intrinsics.X86.Sse.Prefetch1((byte*)Unsafe.AsPointer(ref row) + elementOffset * (nuint)sizeof(T));
    }

    /// <summary><see cref="PrefetchToL2{T}"/> when <paramref name="toL2"/> (see <see cref="PrefetchesToL2"/>), else <see cref="Prefetch{T}(ref T, nuint)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Prefetch<T>(ref T row, nuint elementOffset, bool toL2) where T : unmanaged
    {
        if (toL2) PrefetchToL2(ref row, elementOffset);
        else Prefetch(ref row, elementOffset);
    }

    /// <summary>
    /// The most bytes a row pass prefetches for the next row (or pair) into L1 (16 KiB, half of Zen 4's L1): more go to L2
    /// (<see cref="PrefetchesToL2"/>), since the pass itself reads as much through L1 (the forward's rules in
    /// RowEngine.PrefetchesToL2, the backward's paired rows in RowBackward).
    /// </summary>
    internal const int MaxL1PrefetchBytes = 16 << 10;

    /// <summary>Whether a pass that prefetches <paramref name="bytes"/> for the next row (or rows) does so into L2 (<see cref="MaxL1PrefetchBytes"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool PrefetchesToL2(nuint bytes) => bytes >= MaxL1PrefetchBytes;

    /// <summary>Makes the streaming stores of this thread visible to others (an sfence); call once after the last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fence()
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported) System.Runtime.Intrinsics.X86.Sse.StoreFence();
    }

    /// <summary>Stores <paramref name="value"/> at the aligned, pinned <paramref name="destination"/> without polluting the cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination) => Vector128.StoreAlignedNonTemporal(value, (float*)Unsafe.AsPointer(ref destination));

    /// <summary>Stores <paramref name="value"/> at the aligned, pinned <paramref name="destination"/> without polluting the cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<double> value, ref double destination) => Vector128.StoreAlignedNonTemporal(value, (double*)Unsafe.AsPointer(ref destination));

    /// <summary>Stores <paramref name="value"/> at the aligned, pinned <paramref name="destination"/> without polluting the cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination) => Vector256.StoreAlignedNonTemporal(value, (float*)Unsafe.AsPointer(ref destination));

    /// <summary>Stores <paramref name="value"/> at the aligned, pinned <paramref name="destination"/> without polluting the cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<double> value, ref double destination) => Vector256.StoreAlignedNonTemporal(value, (double*)Unsafe.AsPointer(ref destination));

    /// <summary>Stores <paramref name="value"/> at the aligned, pinned <paramref name="destination"/> without polluting the cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination) => Vector512.StoreAlignedNonTemporal(value, (float*)Unsafe.AsPointer(ref destination));

    /// <summary>Stores <paramref name="value"/> at the aligned, pinned <paramref name="destination"/> without polluting the cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<double> value, ref double destination) => Vector512.StoreAlignedNonTemporal(value, (double*)Unsafe.AsPointer(ref destination));
}
