using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// <see cref="IVectorMathOps{TVector, T}"/> plus the lane operations the activations
/// (<see cref="VectorActivations{TOps, TV, T}"/>) use beyond it: one, negation, copying a sign, a greater-than mask and mask logic.
/// Each is the <c>Vector512/256/128</c> operation the per-width activations called, so the results stay bit for bit.
/// </summary>
internal interface IActivationOps<TV, T> : IVectorMathOps<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>1 in every lane (a constant at each use, as <c>Vector512&lt;T&gt;.One</c>, not a value kept live).</summary>
    static abstract TV One { get; }

    /// <summary>−a per lane (the unary operator, not 0 − a: the sign of zero and of NaN flips).</summary>
    static abstract TV Negate(TV a);

    /// <summary>The magnitude of <paramref name="value"/> with the sign of <paramref name="sign"/>, per lane.</summary>
    static abstract TV CopySign(TV value, TV sign);

    /// <summary>All bits set in the lanes where a &gt; b (false for NaN).</summary>
    static abstract TV GreaterThan(TV a, TV b);

    /// <summary>The bitwise or of two masks.</summary>
    static abstract TV Or(TV a, TV b);

    /// <summary>The bitwise complement of a mask.</summary>
    static abstract TV OnesComplement(TV a);
}

/// <summary>The members <see cref="IActivationOps{TV, T}"/> adds at 512 bits.</summary>
internal readonly partial struct Vec512<T> : IActivationOps<Vector512<T>, T>
{
    public static Vector512<T> One => Vector512<T>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Negate(Vector512<T> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> CopySign(Vector512<T> value, Vector512<T> sign) => Vector512.CopySign(value, sign);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> GreaterThan(Vector512<T> a, Vector512<T> b) => Vector512.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Or(Vector512<T> a, Vector512<T> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> OnesComplement(Vector512<T> a) => ~a;
}

/// <summary>The members <see cref="IActivationOps{TV, T}"/> adds at 256 bits.</summary>
internal readonly partial struct Vec256<T> : IActivationOps<Vector256<T>, T>
{
    public static Vector256<T> One => Vector256<T>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Negate(Vector256<T> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> CopySign(Vector256<T> value, Vector256<T> sign) => Vector256.CopySign(value, sign);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> GreaterThan(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Or(Vector256<T> a, Vector256<T> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> OnesComplement(Vector256<T> a) => ~a;
}

/// <summary>The members <see cref="IActivationOps{TV, T}"/> adds at 128 bits.</summary>
internal readonly partial struct Vec128<T> : IActivationOps<Vector128<T>, T>
{
    public static Vector128<T> One => Vector128<T>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Negate(Vector128<T> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> CopySign(Vector128<T> value, Vector128<T> sign) => Vector128.CopySign(value, sign);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> GreaterThan(Vector128<T> a, Vector128<T> b) => Vector128.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Or(Vector128<T> a, Vector128<T> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> OnesComplement(Vector128<T> a) => ~a;
}
