using System.Numerics;
using System.Runtime.CompilerServices;

namespace NormGen;

/// <summary>
/// The float/double primitives of <see cref="TensorBlocks"/> in generic form, for the drivers written once over T
/// (<see cref="BlockEngine"/>, the sample split): each folds, at JIT time, to the call of its float or double overload.
/// </summary>
public static partial class TensorBlocks
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T SumShifted<T>(ref T x, nuint n, T shift) where T : unmanaged, IFloatingPointIeee754<T> => typeof(T) == typeof(float)
        ? (T)(object)TensorBlocks.SumShifted(ref Unsafe.As<T, float>(ref x), n, (float)(object)shift)
        : (T)(object)TensorBlocks.SumShifted(ref Unsafe.As<T, double>(ref x), n, (double)(object)shift);

    // SumDeviations and Moments without localsinit: inlined into the drivers' block loops, their address-taken locals
    // (dev, sq, o) were zeroed again on every block.
    [MethodImpl(MethodImplOptions.AggressiveInlining), SkipLocalsInit]
    internal static void SumDeviations<T>(ref T x, nuint n, T shift, T offset, out T sumDev, out T sumSq) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            TensorBlocks.SumDeviations(ref Unsafe.As<T, float>(ref x), n, (float)(object)shift, (float)(object)offset, out float dev, out float sq);
            sumDev = (T)(object)dev;
            sumSq = (T)(object)sq;
        }
        else
        {
            TensorBlocks.SumDeviations(ref Unsafe.As<T, double>(ref x), n, (double)(object)shift, (double)(object)offset, out double dev, out double sq);
            sumDev = (T)(object)dev;
            sumSq = (T)(object)sq;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining), SkipLocalsInit]
    internal static void Moments<T>(ref T x, nuint n, T shift, T count, out T offset, out T sumDev, out T sumSq) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            TensorBlocks.Moments(ref Unsafe.As<T, float>(ref x), n, (float)(object)shift, (float)(object)count, out float o, out float dev, out float sq);
            offset = (T)(object)o;
            sumDev = (T)(object)dev;
            sumSq = (T)(object)sq;
        }
        else
        {
            TensorBlocks.Moments(ref Unsafe.As<T, double>(ref x), n, (double)(object)shift, (double)(object)count, out double o, out double dev, out double sq);
            offset = (T)(object)o;
            sumDev = (T)(object)dev;
            sumSq = (T)(object)sq;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Apply<T>(ref T x, ref T y, nuint n, T shift, T offset, T a, T b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            TensorBlocks.Apply(ref Unsafe.As<T, float>(ref x), ref Unsafe.As<T, float>(ref y), n, (float)(object)shift, (float)(object)offset, (float)(object)a, (float)(object)b);
        else
            TensorBlocks.Apply(ref Unsafe.As<T, double>(ref x), ref Unsafe.As<T, double>(ref y), n, (double)(object)shift, (double)(object)offset, (double)(object)a, (double)(object)b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScaleShift<T>(ref T x, ref T y, nuint n, T s, T t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            TensorBlocks.ScaleShift(ref Unsafe.As<T, float>(ref x), ref Unsafe.As<T, float>(ref y), n, (float)(object)s, (float)(object)t);
        else
            TensorBlocks.ScaleShift(ref Unsafe.As<T, double>(ref x), ref Unsafe.As<T, double>(ref y), n, (double)(object)s, (double)(object)t);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScaleShiftChannels<T>(ref T x, ref T y, nuint n, ref T s, ref T t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            TensorBlocks.ScaleShiftChannels(ref Unsafe.As<T, float>(ref x), ref Unsafe.As<T, float>(ref y), n, ref Unsafe.As<T, float>(ref s), ref Unsafe.As<T, float>(ref t));
        else
            TensorBlocks.ScaleShiftChannels(ref Unsafe.As<T, double>(ref x), ref Unsafe.As<T, double>(ref y), n, ref Unsafe.As<T, double>(ref s), ref Unsafe.As<T, double>(ref t));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool HugeStatistics<T>(ref T x, nint blocks, nint length, nint blockStride, out double scale, out double mean, out double variance)
        where T : unmanaged, IFloatingPointIeee754<T> => typeof(T) == typeof(float)
        ? TensorBlocks.HugeStatistics(ref Unsafe.As<T, float>(ref x), blocks, length, blockStride, out scale, out mean, out variance)
        : TensorBlocks.HugeStatistics(ref Unsafe.As<T, double>(ref x), blocks, length, blockStride, out scale, out mean, out variance);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void HugeApply<T>(ref T x, ref T y, nint length, double scale, double mean, double a, double b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            TensorBlocks.HugeApply(ref Unsafe.As<T, float>(ref x), ref Unsafe.As<T, float>(ref y), length, scale, mean, a, b);
        else
            TensorBlocks.HugeApply(ref Unsafe.As<T, double>(ref x), ref Unsafe.As<T, double>(ref y), length, scale, mean, a, b);
    }
}
