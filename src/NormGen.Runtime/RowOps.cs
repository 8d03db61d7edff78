using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// The vector operations of the forward row kernel (<see cref="RowEngine"/>) and of <see cref="RowStatistics"/>, as
/// static members of a struct per width: the loop is written once over <c>TOps</c> and the JIT specialises it for 512-,
/// 256- and 128-bit vectors. Each member is the operation the generated kernels used, so results stay bit for bit.
/// </summary>
internal interface IRowOps<TV, T> : IActivationOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>An aligned non-temporal store (<see cref="StreamingStore"/>).</summary>
    static abstract void StoreNonTemporal(TV value, ref T destination);

    /// <summary>a·b + c as <c>MultiplyAddEstimate</c> (fused where the processor has FMA).</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    /// <summary>The tail mask: the lanes from <paramref name="firstKept"/> on.</summary>
    static abstract TV TailMask(int firstKept);

    /// <summary>The lanes of <paramref name="value"/> where <paramref name="mask"/> is set, zero elsewhere.</summary>
    static abstract TV Select(TV mask, TV value);
}

/// <summary>The members <see cref="IRowOps{TV, T}"/> adds to <see cref="IVectorOps{TVector, T}"/> at 512 bits.</summary>
internal readonly partial struct Vec512<T> : IRowOps<Vector512<T>, T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(Vector512<T> value, ref T destination)
    {
        if (typeof(T) == typeof(float)) StreamingStore.Store(value.AsSingle(), ref Unsafe.As<T, float>(ref destination));
        else StreamingStore.Store(value.AsDouble(), ref Unsafe.As<T, double>(ref destination));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) => typeof(T) == typeof(float)
        ? Vector512.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : Vector512.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> TailMask(int firstKept) => typeof(T) == typeof(float)
        ? Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(firstKept)).AsSingle().As<float, T>()
        : Vector512.GreaterThanOrEqual(Vector512<long>.Indices, Vector512.Create((long)firstKept)).AsDouble().As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Select(Vector512<T> mask, Vector512<T> value) => Vector512.ConditionalSelect(mask, value, Vector512<T>.Zero);
}

/// <summary>The members <see cref="IRowOps{TV, T}"/> adds to <see cref="IVectorOps{TVector, T}"/> at 256 bits.</summary>
internal readonly partial struct Vec256<T> : IRowOps<Vector256<T>, T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(Vector256<T> value, ref T destination)
    {
        if (typeof(T) == typeof(float)) StreamingStore.Store(value.AsSingle(), ref Unsafe.As<T, float>(ref destination));
        else StreamingStore.Store(value.AsDouble(), ref Unsafe.As<T, double>(ref destination));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) => typeof(T) == typeof(float)
        ? Vector256.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : Vector256.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> TailMask(int firstKept) => typeof(T) == typeof(float)
        ? Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(firstKept)).AsSingle().As<float, T>()
        : Vector256.GreaterThanOrEqual(Vector256<long>.Indices, Vector256.Create((long)firstKept)).AsDouble().As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Select(Vector256<T> mask, Vector256<T> value) => Vector256.ConditionalSelect(mask, value, Vector256<T>.Zero);
}

/// <summary>The members <see cref="IRowOps{TV, T}"/> adds to <see cref="IVectorOps{TVector, T}"/> at 128 bits.</summary>
internal readonly partial struct Vec128<T> : IRowOps<Vector128<T>, T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(Vector128<T> value, ref T destination)
    {
        if (typeof(T) == typeof(float)) StreamingStore.Store(value.AsSingle(), ref Unsafe.As<T, float>(ref destination));
        else StreamingStore.Store(value.AsDouble(), ref Unsafe.As<T, double>(ref destination));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c) => typeof(T) == typeof(float)
        ? Vector128.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : Vector128.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> TailMask(int firstKept) => typeof(T) == typeof(float)
        ? Vector128.GreaterThanOrEqual(Vector128<int>.Indices, Vector128.Create(firstKept)).AsSingle().As<float, T>()
        : Vector128.GreaterThanOrEqual(Vector128<long>.Indices, Vector128.Create((long)firstKept)).AsDouble().As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Select(Vector128<T> mask, Vector128<T> value) => Vector128.ConditionalSelect(mask, value, Vector128<T>.Zero);
}
