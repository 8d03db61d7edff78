using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// Half → float widening for the short spans the Half paths convert one at a time (a row, or a range of a row's columns).
/// TensorPrimitives.ConvertToSingle takes a slower path under 256 elements on .NET 10: 62 ns for 64 Halfs, 151 ns for 100,
/// against 28 and 42 ns here (and 36 ns for 256, where it is the faster of the two); a Half Standardize of (100000, 256),
/// which widens its column ranges row by row 64 at a time, spent 30 of its 49 ms there. (The row engine's Half rows keep
/// TensorPrimitives: routed through here, LnH 64×1024 and RmsH 64×4096 read 1.17–1.19× and 1.33–1.45× eba5bfa's
/// kernels against 0.99–1.00 and 1.00–1.22, RowAB thread CPU, alternating DLL swaps.)
/// </summary>
internal static class HalfWidening
{
    /// <summary>The shortest span handed to TensorPrimitives.ConvertToSingle.</summary>
    private const int MinLibrarySpan = 256;

    /// <summary>2¹¹²: moves a Half's exponent bias (15) to a float's (127).</summary>
    private const float TwoTo112 = 5.192296858534828E+33f;

    /// <summary>
    /// Writes each Half of <paramref name="source"/> as a float into <paramref name="destination"/> (at least as long):
    /// the bits of <c>(float)h</c> for every one of the 65,536 Half values (exact, NaN payloads shifted and quieted).
    /// </summary>
    public static void ToSingle(ReadOnlySpan<Half> source, Span<float> destination)
    {
        if (source.Length >= MinLibrarySpan || !Vector512.IsHardwareAccelerated)
        {
            TensorPrimitives.ConvertToSingle(source, destination);
            return;
        }
        if (destination.Length < source.Length) throw new ArgumentException("The destination is shorter than the source.", nameof(destination));
        ref ushort s = ref Unsafe.As<Half, ushort>(ref MemoryMarshal.GetReference(source));
        ref float d = ref MemoryMarshal.GetReference(destination);
        nuint n = (nuint)source.Length, i = 0;
        for (; i + 32 <= n; i += 32)
        {
            (Vector512<uint> lower, Vector512<uint> upper) = Vector512.Widen(Vector512.LoadUnsafe(ref s, i));
            Widen(lower).StoreUnsafe(ref d, i);
            Widen(upper).StoreUnsafe(ref d, i + 16);
        }
        for (; i < n; i++)
            Unsafe.Add(ref d, i) = (float)Unsafe.As<ushort, Half>(ref Unsafe.Add(ref s, i));
    }

    /// <summary>
    /// Sixteen Half bit patterns (in the low 16 bits of each lane) as floats: finite values as their exponent-and-mantissa
    /// bits shifted into a float's place times 2¹¹² (exact, subnormal Halfs included), ±∞ and NaN with the exponent all
    /// ones (a NaN's quiet bit set, as <c>(float)h</c> does), then the sign.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Widen(Vector512<uint> h)
    {
        Vector512<uint> sign = (h & Vector512.Create(0x8000u)) << 16;
        Vector512<uint> magnitude = h & Vector512.Create(0x7FFFu);
        Vector512<uint> shifted = magnitude << 13;
        Vector512<uint> finite = (shifted.AsSingle() * Vector512.Create(TwoTo112)).AsUInt32();
        Vector512<uint> special = shifted | Vector512.Create(0x7F800000u)
            | (Vector512.GreaterThan(magnitude, Vector512.Create(0x7C00u)) & Vector512.Create(0x00400000u));
        Vector512<uint> bits = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x7C00u)), special, finite);
        return (bits | sign).AsSingle();
    }
}
