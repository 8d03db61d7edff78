using System;
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NormGen;

// γ and β on cache-line boundaries for the last pass (issue 11, in-cache and L3-sized rows). The last pass loads a vector
// of γ and one of β for every output vector of every row; the user's arrays are 8-byte aligned at best, so at 512 bits
// every one of those loads crosses two cache lines. Measured on the 2-core EPYC (Zen 5) with a C model of the row
// (32×768, x and y in L2): γ and β 16 bytes off a line cost 7-14 ns a row of 75-95, more than a misaligned x or y.
public static partial class RowEngine
{
    /// <summary>
    /// Calls of at least this many rows copy γ and β once into line-aligned scratch (<see cref="AlignedParameterRows"/>):
    /// the copy (2·n elements, in L1) is then under a tenth of the rows' own loads and stores.
    /// </summary>
    private const int MinAlignedParameterRows = 8;

    /// <summary>
    /// 0 (the default): γ and β copied where <see cref="AlignsParameters"/> says; 1: never. Private, for side-by-side
    /// timing and tests only (set by reflection, as s_pipelineMode).
    /// </summary>
#pragma warning disable CS0649 // set by reflection
    private static int s_parameterCopyMode;
#pragma warning restore CS0649

    /// <summary>
    /// Whether rows first … end − 1 run with γ and β copied into line-aligned scratch: x rows without a residual in the
    /// user's float or double memory, an affine spec, at least <see cref="MinAlignedParameterRows"/> rows, and γ not
    /// already on a vector boundary. JIT-time constants but the count and γ's address.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool AlignsParameters<TSpec, TX, TY, T, TV>(ref RowRefs<T> c, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct
        => typeof(TX) == typeof(T) && TSpec.Affine != Affine.None && !TSpec.Residual
            && end - first >= MinAlignedParameterRows && (nuint)Unsafe.AsPointer(ref c.Gamma) % (nuint)Unsafe.SizeOf<TV>() != 0
            && s_parameterCopyMode == 0;

    /// <summary>
    /// <see cref="VectorRows"/> over rows first … end − 1 with γ (and β) copied into one rented array, each on a 64-byte
    /// boundary: the same values, so every row's results are bitwise those with the user's γ and β. c.Gamma and c.Beta
    /// are the user's again on return (a row left to HugeRow reads them there).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe nuint AlignedParameterRows<TSpec, TX, TY, T, TV, TOps>(ref RowRefs<T> c, ref T x, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where TX : unmanaged where TY : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct where TOps : IRowOps<TV, T>
    {
        int n = TSpec.RowLength > 0 ? TSpec.RowLength : (int)c.N, line = 64 / Unsafe.SizeOf<T>();
        int stride = (n + line - 1) / line * line;
        bool beta = TSpec.Affine == Affine.ScaleAndBias;
        T[] scratch = ArrayPool<T>.Shared.Rent((beta ? 2 * stride : stride) + line);
        ref T gamma0 = ref c.Gamma, beta0 = ref c.Beta;
        try
        {
            // A moved array (a compacting GC) only loses the alignment: the refs are tracked.
            ref T start = ref MemoryMarshal.GetArrayDataReference(scratch);
            ref T g = ref Unsafe.Add(ref start, StreamingStore.ElementsToAlignment(ref start, line));
            MemoryMarshal.CreateReadOnlySpan(ref gamma0, n).CopyTo(MemoryMarshal.CreateSpan(ref g, n));
            c.Gamma = ref g;
            if (beta)
            {
                ref T b = ref Unsafe.Add(ref g, stride);
                MemoryMarshal.CreateReadOnlySpan(ref beta0, n).CopyTo(MemoryMarshal.CreateSpan(ref b, n));
                c.Beta = ref b;
            }
            return VectorRows<TSpec, TX, TY, T, TV, TOps, XPass1<T, TV, TOps>, AnyRows>(ref c, ref x, first, end);
        }
        finally
        {
            c.Gamma = ref gamma0;
            c.Beta = ref beta0;
            ArrayPool<T>.Shared.Return(scratch);
        }
    }
}
