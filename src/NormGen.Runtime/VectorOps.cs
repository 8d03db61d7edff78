using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// The vector operations a width-generic kernel loop needs, as static members of a struct (the TensorPrimitives
/// operator pattern): a loop written once over <c>TOps</c> is specialised by the JIT for 512-, 256-, 128-bit vectors
/// and scalars. <c>ISimdVector</c> would do this but is not public in .NET 10.
/// </summary>
internal interface IVectorOps<TVector, T>
    where TVector : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract int Count { get; }
    static abstract TVector Zero { get; }
    static abstract TVector Create(T value);
    static abstract TVector Load(ref T source, nuint index);
    static abstract void Store(TVector value, ref T destination, nuint index);
    static abstract TVector Add(TVector a, TVector b);
    static abstract TVector Subtract(TVector a, TVector b);
    static abstract TVector Multiply(TVector a, TVector b);

    /// <summary>The lanes' sum in the vector type's fixed order.</summary>
    static abstract T Sum(TVector value);
}

internal readonly struct Vec512<T> : IVectorOps<Vector512<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector512<T>.Count;
    public static Vector512<T> Zero => Vector512<T>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Create(T value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Load(ref T source, nuint index) => Vector512.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector512<T> value) => Vector512.Sum(value);
}

internal readonly struct Vec256<T> : IVectorOps<Vector256<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector256<T>.Count;
    public static Vector256<T> Zero => Vector256<T>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Create(T value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Load(ref T source, nuint index) => Vector256.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector256<T> value) => Vector256.Sum(value);
}

internal readonly struct Vec128<T> : IVectorOps<Vector128<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector128<T>.Count;
    public static Vector128<T> Zero => Vector128<T>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Create(T value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Load(ref T source, nuint index) => Vector128.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector128<T> value) => Vector128.Sum(value);
}

/// <summary>One lane: the path for processors without vector acceleration and rows shorter than a vector.</summary>
internal readonly struct Scalar<T> : IVectorOps<T, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => 1;
    public static T Zero => T.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Create(T value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Load(ref T source, nuint index) => Unsafe.Add(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(T value, ref T destination, nuint index) => Unsafe.Add(ref destination, index) = value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Add(T a, T b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Subtract(T a, T b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Multiply(T a, T b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(T value) => value;
}
