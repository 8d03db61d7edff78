using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// The generic form of <see cref="TensorBlocks"/>' primitives, called by the drivers written once over T
/// (<see cref="BlockEngine"/>, the sample split) and by the public float and double overloads: each picks the widest
/// accelerated vector no longer than the block and calls the width-generic loop.
/// </summary>
public static partial class TensorBlocks
{
    // Each primitive picks the widest accelerated vector no longer than n (IsHardwareAccelerated and the lane
    // count are JIT-time constants), then runs the width-generic loop over that width's Vec struct.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T SumShifted<T>(ref T x, nuint n, T shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
            return SumShifted<Vec512<T>, Vector512<T>, T>(ref x, n, shift);
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
            return SumShifted<Vec256<T>, Vector256<T>, T>(ref x, n, shift);
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
            return SumShifted<Vec128<T>, Vector128<T>, T>(ref x, n, shift);
        return SumShiftedScalar(ref x, n, shift);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Moments<T>(ref T x, nuint n, T shift, T count, out T offset, out T sumDev, out T sumSq)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count && n < 4 * (nuint)Vector512<T>.Count)
        {
            SmallMoments512(ref x, n, shift, count, out offset, out sumDev, out sumSq);
            return;
        }
        offset = SumShifted(ref x, n, shift) / count;
        SumDeviations(ref x, n, shift, offset, out sumDev, out sumSq);
    }

    /// <summary>
    /// <c>Moments</c> for one to four 512-bit vectors (float 16 ≤ n &lt; 64, double 8 ≤ n &lt; 32): the loops of
    /// <see cref="SumShifted{TOps, TV, T}"/> and <see cref="SumDeviations{TOps, TV, T}"/> at 512 bits unrolled over
    /// registers, the same vectors, accumulators and order.
    /// </summary>
    private static void SmallMoments512<T>(ref T x, nuint n, T shift, T count, out T offset, out T sumDev, out T sumSq)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var block = new SmallBlock512<T, AnyShape>(ref x, n);
        block.Moments(shift, count, out offset, out sumDev, out sumSq);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SumDeviations<T>(ref T x, nuint n, T shift, T offset, out T sumDev, out T sumSq) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
            SumDeviations<Vec512<T>, Vector512<T>, T>(ref x, n, shift, offset, out sumDev, out sumSq);
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
            SumDeviations<Vec256<T>, Vector256<T>, T>(ref x, n, shift, offset, out sumDev, out sumSq);
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
            SumDeviations<Vec128<T>, Vector128<T>, T>(ref x, n, shift, offset, out sumDev, out sumSq);
        else
            SumDeviationsScalar(ref x, n, shift, offset, out sumDev, out sumSq);
    }

    /// <summary>
    /// <see cref="Apply{T}"/> into a block of y whose lines no hardware prefetcher is fetching (BatchNorm training's blocks,
    /// a sample apart): each line of y is prefetched first, so the stores find their lines in cache instead of each
    /// waiting in the store buffer for its own. The same values as Apply. In-process A/B (TensorAB's TENSORAB_AB), Intel
    /// Xeon (Ice Lake), prefetched ÷ not: BatchNorm training float 32×256×14×14 0.90–0.91, double 0.86–0.90, float
    /// 8×64×28×28 0.89–0.94 (one run 1.04), double 0.98–0.99. In GroupNorm and InstanceNorm, whose blocks follow each
    /// other in memory, it measured 0.91 and 1.03–1.07: not used there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void ApplyPrefetched<T>(ref T x, ref T y, nuint n, T shift, T offset, T a, T b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
            for (nuint i = 0; i < n; i += (nuint)(64 / Unsafe.SizeOf<T>()))
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref y, i)));
        Apply(ref x, ref y, n, shift, offset, a, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Apply<T>(ref T x, ref T y, nuint n, T shift, T offset, T a, T b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
            Apply<Vec512<T>, Vector512<T>, T>(ref x, ref y, n, shift, offset, a, b);
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
            Apply<Vec256<T>, Vector256<T>, T>(ref x, ref y, n, shift, offset, a, b);
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
            Apply<Vec128<T>, Vector128<T>, T>(ref x, ref y, n, shift, offset, a, b);
        else
            ApplyScalar(ref x, ref y, n, shift, offset, a, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScaleShift<T>(ref T x, ref T y, nuint n, T s, T t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
            ScaleShift<Vec512<T>, Vector512<T>, T>(ref x, ref y, n, s, t);
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
            ScaleShift<Vec256<T>, Vector256<T>, T>(ref x, ref y, n, s, t);
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
            ScaleShift<Vec128<T>, Vector128<T>, T>(ref x, ref y, n, s, t);
        else
            ScaleShiftScalar(ref x, ref y, n, s, t);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScaleShiftChannels<T>(ref T x, ref T y, nuint n, ref T s, ref T t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count)
            ScaleShiftChannels<Vec512<T>, Vector512<T>, T>(ref x, ref y, n, ref s, ref t);
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<T>.Count)
            ScaleShiftChannels<Vec256<T>, Vector256<T>, T>(ref x, ref y, n, ref s, ref t);
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<T>.Count)
            ScaleShiftChannels<Vec128<T>, Vector128<T>, T>(ref x, ref y, n, ref s, ref t);
        else
            ScaleShiftChannelsScalar(ref x, ref y, n, ref s, ref t);
    }
}
