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
    /// 0 (the default): γ and β copied where <see cref="AlignsParameters"/> says, at y's phase where it can be; 1: never;
    /// 2: copied, always on a line, the last pass from element 0 (before the phase); 3: as 0, but also where y is on
    /// vectors (the rule before <see cref="MinAlignedParameterRowsYOnVectors"/>). Private, for side-by-side timing and
    /// tests only (set by reflection, as s_pipelineMode).
    /// </summary>
#pragma warning disable CS0649 // set by reflection
    private static int s_parameterCopyMode;
#pragma warning restore CS0649

    /// <summary>
    /// Whether rows first … end − 1 run with γ and β copied into line-aligned scratch: x rows without a residual in the
    /// user's float or double memory, an affine spec, at least <see cref="MinAlignedParameterRows"/> rows, and γ not
    /// already on a vector boundary; with y on vectors and the input in cache only LayerNorm from
    /// <see cref="MinAlignedParameterRowsYOnVectors"/> rows. JIT-time constants but the count, c.Prefetch and the addresses.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool AlignsParameters<TSpec, TX, TY, T, TV>(ref RowRefs<T> c, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct
        => typeof(TX) == typeof(T) && Spec<TSpec, T>.Affine != Affine.None && !Spec<TSpec, T>.Residual
            && end - first >= MinAlignedParameterRows && (nuint)Unsafe.AsPointer(ref c.Gamma) % (nuint)Unsafe.SizeOf<TV>() != 0
            && s_parameterCopyMode != 1
            && (s_parameterCopyMode == 3 || c.Prefetch || !YOnVectors<T, TV>(ref c, first)
                || Spec<TSpec, T>.Affine == Affine.ScaleAndBias && end - first >= MinAlignedParameterRowsYOnVectors);

    /// <summary>
    /// With every row's y on a vector boundary and the input in cache (under <see cref="MinPrefetchBytes"/>), γ and β are
    /// copied only for LayerNorm's γ and β and at least this many rows: the copy then buys aligned γ/β loads only (the
    /// stores are aligned already), which a few rows or γ alone (RMSNorm) do not repay. Past L2 the copy stays: RMSNorm
    /// 40000×128 with y on vectors read 1.21× eba5bfa's time without it, 1.05-1.11 with it. RowAB, thread CPU, x and y on vectors, γ and β 24 bytes past a line, copying ÷ not:
    /// LayerNorm 768 floats, 8 rows 1.19, 16 rows 1.09-1.10, 32 rows 1.04-1.05, 256 rows 0.94, 2048 rows 0.92-0.94; 64 × 1024
    /// 0.88-0.92, 4096 × 1024 0.90-0.97; RMSNorm 64 × 4096 1.02-1.05; with y off the vectors the copy at y's phase still
    /// gains (LayerNorm 32 × 768 0.90-0.94).
    /// </summary>
    private const int MinAlignedParameterRowsYOnVectors = 64;

    /// <summary>Whether y of row <paramref name="first"/> and so every row's y (its stride a whole number of vectors) starts on a vector boundary.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool YOnVectors<T, TV>(ref RowRefs<T> c, nuint first) where T : unmanaged where TV : struct
        => (nuint)Unsafe.AsPointer(ref Unsafe.Add(ref c.Y, first * c.YStride)) % (nuint)Unsafe.SizeOf<TV>() == 0
            && c.YStride * (nuint)Unsafe.SizeOf<T>() % (nuint)Unsafe.SizeOf<TV>() == 0;

    /// <summary>
    /// <see cref="VectorRows"/> over rows first … end − 1 with γ (and β) copied into one rented array: the same values, so
    /// every row's results are bitwise those with the user's γ and β. c.Gamma and c.Beta are the user's again on return
    /// (a row left to HugeRow reads them there). Where every row's y has the same offset within a line (y's stride a
    /// multiple of a vector) and the spec has no activation, γ and β get y's offset within their line and the last pass
    /// starts at y's first vector boundary (<see cref="RowRefs{T}.Head"/>): its stores and γ's and β's loads are then all
    /// aligned, only x's loads are not (C model, 32×768 in L2: 107 ns a row → 78-90). Otherwise they start on a line.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe nuint AlignedParameterRows<TSpec, TX, TY, T, TV, TOps>(ref RowRefs<T> c, ref T x, nuint first, nuint end)
        where TSpec : struct, IRowSpec<T> where TX : unmanaged where TY : unmanaged where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct where TOps : IRowOps<TV, T>
    {
        int n = Spec<TSpec, T>.RowLength > 0 ? Spec<TSpec, T>.RowLength : (int)c.N, size = Unsafe.SizeOf<T>(), line = 64 / size;
        int stride = (n + line - 1) / line * line;
        bool beta = Spec<TSpec, T>.Affine == Affine.ScaleAndBias;
        nuint y0 = (nuint)Unsafe.AsPointer(ref Unsafe.Add(ref c.Y, first * c.YStride)), vector = (nuint)Unsafe.SizeOf<TV>();
        bool atPhase = Spec<TSpec, T>.Activation == Activation.None && y0 % (nuint)size == 0 && c.YStride * (nuint)size % vector == 0
            && s_parameterCopyMode == 0;
        int phase = atPhase ? (int)(y0 % 64) / size : 0;
        T[] scratch = ArrayPool<T>.Shared.Rent((beta ? 2 * stride : stride) + 2 * line);
        ref T gamma0 = ref c.Gamma, beta0 = ref c.Beta;
        try
        {
            // A moved array (a compacting GC) only loses the alignment: the refs are tracked.
            ref T start = ref MemoryMarshal.GetArrayDataReference(scratch);
            ref T g = ref Unsafe.Add(ref start, StreamingStore.ElementsToAlignment(ref start, line) + phase);
            MemoryMarshal.CreateReadOnlySpan(ref gamma0, n).CopyTo(MemoryMarshal.CreateSpan(ref g, n));
            c.Gamma = ref g;
            if (beta)
            {
                ref T b = ref Unsafe.Add(ref g, stride);
                MemoryMarshal.CreateReadOnlySpan(ref beta0, n).CopyTo(MemoryMarshal.CreateSpan(ref b, n));
                c.Beta = ref b;
            }
            c.Head = atPhase ? (vector - y0 % vector) % vector / (nuint)size : 0;
            return Paired<TSpec, TX, TY, T, TV>(ref c, first, end) ? PairedRows<TSpec, T, TV, TOps>(ref c, ref x, first, end)
                : c.Head != 0 ? LoopRows<TSpec, TX, TY, T, TV, TOps, YPhasePass1<T, TV, TOps>>(ref c, ref x, first, end)
                : LoopRows<TSpec, TX, TY, T, TV, TOps, XPass1<T, TV, TOps>>(ref c, ref x, first, end);
        }
        finally
        {
            c.Gamma = ref gamma0;
            c.Beta = ref beta0;
            c.Head = 0;
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// <see cref="XPass1{T, TV, TOps}"/> under another name: <see cref="VectorRows"/> instantiated with it starts its last
    /// pass at c.Head (γ and β at y's phase), and only that instantiation carries the code for it.
    /// </summary>
    private readonly struct YPhasePass1<T, TV, TOps> : IPass1<T, TV, TOps> where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TOps : IRowOps<TV, T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static T Run<TSpec>(ref T x, ref T residual, ref T bias, ref T h, nuint n, out TV sums, out TV squares) where TSpec : struct, IRowSpec<T>
            => Pass1<TSpec, T, TV, TOps>(ref x, n, out sums, out squares);
    }
}
