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

/// <summary>
/// <see cref="IVectorOps{TVector, T}"/> plus every lane-wise operation the width-generic loops use, implemented once per
/// width by <c>Vec512</c>/<c>Vec256</c>/<c>Vec128</c>: the row engine (<see cref="IRowOps{TV, T}"/>),
/// <see cref="RowStatistics"/>, the activation derivatives (<see cref="ActivationGradient"/>), and the tensor kinds'
/// primitives, panels and column kernels (<see cref="TensorBlocks"/>, <see cref="ColumnEngine"/>). Each member is the
/// operation the generated kernels used, so results stay bit for bit.
/// </summary>
internal interface IVectorMathOps<TVector, T> : IVectorOps<TVector, T>
    where TVector : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract TVector Divide(TVector a, TVector b);
    static abstract TVector Abs(TVector a);

    /// <summary>e^a per lane (<see cref="VectorExp{TOps, TV, T}"/>).</summary>
    static abstract TVector Exp(TVector a);

    /// <summary>
    /// 2^n per lane, for lanes holding integers n in the normal exponent range (float −126…127, double −1022…1023), built
    /// from the bits: n plus 1.5·2^m plus the bias rounds to an integer whose low bits are n + bias, shifted into the
    /// exponent field (m the mantissa's bits).
    /// </summary>
    static abstract TVector PowerOfTwo(TVector n);
    static abstract TVector LessThan(TVector a, TVector b);
    static abstract TVector EqualLanes(TVector a, TVector b);
    static abstract TVector Select(TVector mask, TVector whenTrue, TVector whenFalse);

    /// <summary>The lanes of <paramref name="value"/> where <paramref name="mask"/> is set, zero elsewhere.</summary>
    static abstract TVector Select(TVector mask, TVector value);

    /// <summary>The lane-wise minimum, IEEE 754-2019 <c>minimum</c>: NaN propagates, −0 is below +0.</summary>
    static abstract TVector Min(TVector a, TVector b);

    /// <summary>The lane-wise maximum, IEEE 754-2019 <c>maximum</c>: NaN propagates, +0 is above −0.</summary>
    static abstract TVector Max(TVector a, TVector b);
    static abstract TVector Sqrt(TVector a);

    /// <summary>a·b + c as <c>MultiplyAddEstimate</c> (fused where the processor has FMA).</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary>Whether every lane is +0 or −0.</summary>
    static abstract bool AllZero(TVector a);

    /// <summary>Lane <paramref name="index"/> of <paramref name="a"/>.</summary>
    static abstract T GetElement(TVector a, int index);

    /// <summary>Every bit set: the store mask of a vector whose lanes are all kept.</summary>
    static abstract TVector AllBitsSet { get; }

    /// <summary>
    /// The tail mask of an overlapping last vector: the lanes from <paramref name="firstKept"/> on (with r elements left
    /// past the last full vector, <c>TailMask(Count − r)</c> selects those r).
    /// </summary>
    static abstract TVector TailMask(int firstKept);

    /// <summary>An aligned non-temporal store (<see cref="StreamingStore"/>); the destination is pinned.</summary>
    static abstract void StoreNonTemporal(TVector value, ref T destination);
}

/// <summary><see cref="IVectorMathOps{TVector, T}"/> at 512 bits.</summary>
internal readonly partial struct Vec512<T> : IVectorMathOps<Vector512<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector512<T>.Count;
    public static Vector512<T> Zero => Vector512<T>.Zero;
    public static Vector512<T> AllBitsSet => Vector512<T>.AllBitsSet;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Create(T value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Load(ref T source, nuint index) => Vector512.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector512<T> value) => Vector512.Sum(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Divide(Vector512<T> a, Vector512<T> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Abs(Vector512<T> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Exp(Vector512<T> a) => VectorExp<Vec512<T>, Vector512<T>, T>.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> PowerOfTwo(Vector512<T> n) => typeof(T) == typeof(float)
        ? Vector512.ShiftLeft((n.AsSingle() + Vector512.Create(12583039f)).AsUInt32(), 23).AsSingle().As<float, T>()
        : Vector512.ShiftLeft((n.AsDouble() + Vector512.Create(6755399441056767.0)).AsUInt64(), 52).AsDouble().As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> LessThan(Vector512<T> a, Vector512<T> b) => Vector512.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> EqualLanes(Vector512<T> a, Vector512<T> b) => Vector512.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Select(Vector512<T> mask, Vector512<T> whenTrue, Vector512<T> whenFalse) => Vector512.ConditionalSelect(mask, whenTrue, whenFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Select(Vector512<T> mask, Vector512<T> value) => Vector512.ConditionalSelect(mask, value, Vector512<T>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Min(Vector512<T> a, Vector512<T> b) => Vector512.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Max(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Sqrt(Vector512<T> a) => Vector512.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) => typeof(T) == typeof(float)
        ? Vector512.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : Vector512.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AllZero(Vector512<T> a) => Vector512.EqualsAll(a, Vector512<T>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T GetElement(Vector512<T> a, int index) => a.GetElement(index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> TailMask(int firstKept) => typeof(T) == typeof(float)
        ? Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(firstKept)).AsSingle().As<float, T>()
        : Vector512.GreaterThanOrEqual(Vector512<long>.Indices, Vector512.Create((long)firstKept)).AsDouble().As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(Vector512<T> value, ref T destination)
    {
        if (typeof(T) == typeof(float)) StreamingStore.Store(value.AsSingle(), ref Unsafe.As<T, float>(ref destination));
        else StreamingStore.Store(value.AsDouble(), ref Unsafe.As<T, double>(ref destination));
    }
}

/// <summary><see cref="IVectorMathOps{TVector, T}"/> at 256 bits.</summary>
internal readonly partial struct Vec256<T> : IVectorMathOps<Vector256<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector256<T>.Count;
    public static Vector256<T> Zero => Vector256<T>.Zero;
    public static Vector256<T> AllBitsSet => Vector256<T>.AllBitsSet;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Create(T value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Load(ref T source, nuint index) => Vector256.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector256<T> value) => Vector256.Sum(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Divide(Vector256<T> a, Vector256<T> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Abs(Vector256<T> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Exp(Vector256<T> a) => VectorExp<Vec256<T>, Vector256<T>, T>.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> PowerOfTwo(Vector256<T> n) => typeof(T) == typeof(float)
        ? Vector256.ShiftLeft((n.AsSingle() + Vector256.Create(12583039f)).AsUInt32(), 23).AsSingle().As<float, T>()
        : Vector256.ShiftLeft((n.AsDouble() + Vector256.Create(6755399441056767.0)).AsUInt64(), 52).AsDouble().As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> LessThan(Vector256<T> a, Vector256<T> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> EqualLanes(Vector256<T> a, Vector256<T> b) => Vector256.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Select(Vector256<T> mask, Vector256<T> whenTrue, Vector256<T> whenFalse) => Vector256.ConditionalSelect(mask, whenTrue, whenFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Select(Vector256<T> mask, Vector256<T> value) => Vector256.ConditionalSelect(mask, value, Vector256<T>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Min(Vector256<T> a, Vector256<T> b) => Vector256.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Max(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Sqrt(Vector256<T> a) => Vector256.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) => typeof(T) == typeof(float)
        ? Vector256.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : Vector256.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AllZero(Vector256<T> a) => Vector256.EqualsAll(a, Vector256<T>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T GetElement(Vector256<T> a, int index) => a.GetElement(index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> TailMask(int firstKept) => typeof(T) == typeof(float)
        ? Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(firstKept)).AsSingle().As<float, T>()
        : Vector256.GreaterThanOrEqual(Vector256<long>.Indices, Vector256.Create((long)firstKept)).AsDouble().As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(Vector256<T> value, ref T destination)
    {
        if (typeof(T) == typeof(float)) StreamingStore.Store(value.AsSingle(), ref Unsafe.As<T, float>(ref destination));
        else StreamingStore.Store(value.AsDouble(), ref Unsafe.As<T, double>(ref destination));
    }
}

/// <summary><see cref="IVectorMathOps{TVector, T}"/> at 128 bits.</summary>
internal readonly partial struct Vec128<T> : IVectorMathOps<Vector128<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector128<T>.Count;
    public static Vector128<T> Zero => Vector128<T>.Zero;
    public static Vector128<T> AllBitsSet => Vector128<T>.AllBitsSet;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Create(T value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Load(ref T source, nuint index) => Vector128.LoadUnsafe(ref source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector128<T> value) => Vector128.Sum(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Divide(Vector128<T> a, Vector128<T> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Abs(Vector128<T> a) => Vector128.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Exp(Vector128<T> a) => VectorExp<Vec128<T>, Vector128<T>, T>.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> PowerOfTwo(Vector128<T> n) => typeof(T) == typeof(float)
        ? Vector128.ShiftLeft((n.AsSingle() + Vector128.Create(12583039f)).AsUInt32(), 23).AsSingle().As<float, T>()
        : Vector128.ShiftLeft((n.AsDouble() + Vector128.Create(6755399441056767.0)).AsUInt64(), 52).AsDouble().As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> LessThan(Vector128<T> a, Vector128<T> b) => Vector128.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> EqualLanes(Vector128<T> a, Vector128<T> b) => Vector128.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Select(Vector128<T> mask, Vector128<T> whenTrue, Vector128<T> whenFalse) => Vector128.ConditionalSelect(mask, whenTrue, whenFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Select(Vector128<T> mask, Vector128<T> value) => Vector128.ConditionalSelect(mask, value, Vector128<T>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Min(Vector128<T> a, Vector128<T> b) => Vector128.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Max(Vector128<T> a, Vector128<T> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Sqrt(Vector128<T> a) => Vector128.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c) => typeof(T) == typeof(float)
        ? Vector128.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : Vector128.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AllZero(Vector128<T> a) => Vector128.EqualsAll(a, Vector128<T>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T GetElement(Vector128<T> a, int index) => a.GetElement(index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> TailMask(int firstKept) => typeof(T) == typeof(float)
        ? Vector128.GreaterThanOrEqual(Vector128<int>.Indices, Vector128.Create(firstKept)).AsSingle().As<float, T>()
        : Vector128.GreaterThanOrEqual(Vector128<long>.Indices, Vector128.Create((long)firstKept)).AsDouble().As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(Vector128<T> value, ref T destination)
    {
        if (typeof(T) == typeof(float)) StreamingStore.Store(value.AsSingle(), ref Unsafe.As<T, float>(ref destination));
        else StreamingStore.Store(value.AsDouble(), ref Unsafe.As<T, double>(ref destination));
    }
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
