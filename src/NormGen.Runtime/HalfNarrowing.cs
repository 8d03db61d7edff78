using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormGen;

/// <summary>
/// float → Half narrowing for every Half output (a unit of a tensor, a block of rows, a gradient), the bits of
/// <c>(Half)f</c> (round to nearest, ties to even) for every float. Each vector of 16 floats (8 at 256 bits) takes one
/// test: where every lane rounds to a normal Half (2⁻¹⁴ ≤ |f| &lt; 65,520, the rule for a normalized output), the
/// float's bits themselves are rounded: 0xFFF plus the lowest kept mantissa bit added below the 13 dropped bits (the
/// carry is the rounding, into the exponent where the mantissa overflows), the exponent rebiased by −112 in the same add,
/// then sign, exponent and mantissa shifted into place. Otherwise a vector with no lane at 65,520 or beyond (zeros, Half
/// subnormals) takes the subnormals by a float add of ½ (whose rounding is the Half subnormal's), and the rare vector
/// holding ±∞, NaN or a value past Half's range is cast element by element. Measured on the 2-core EPYC (Zen 4), one
/// thread, floats in [−2, 2): 7.4–8.3 floats per ns from 768 to 2²⁰ (in cache) against
/// TensorPrimitives.ConvertToHalf's 4.7–5.1. Without 256-bit vectors, TensorPrimitives.
/// </summary>
internal static class HalfNarrowing
{
    /// <summary>|f| from which every lane rounds to a normal Half: 2⁻¹⁴, the least normal Half.</summary>
    private const uint LeastNormal = 0x38800000u;

    /// <summary>|f| from which a float rounds to ±∞ or is ±∞ or NaN: 65,520, halfway from 65,504 (Half's largest) to 2¹⁶.</summary>
    private const uint PastRange = 0x477FF000u;

    /// <summary>The exponent's rebias, −112 in the exponent field (wrapping), plus 0xFFF: one below half the dropped bits' unit.</summary>
    private const uint RebiasAndRound = 0xC8000FFFu;

    /// <summary>½ and its bits: a Half subnormal's unit (2⁻²⁴) is the ulp of ½, so |f| + ½ rounds |f| to it.</summary>
    private const float Half1 = 0.5f;
    private const uint HalfBits = 0x3F000000u;

    /// <summary>
    /// Writes each float of <paramref name="source"/> as a Half into <paramref name="destination"/> (at least as long):
    /// the bits of <c>(Half)f</c> for every float (±∞ past Half's range, NaN quieted with its payload's top bits).
    /// </summary>
    public static void ToHalf(ReadOnlySpan<float> source, Span<Half> destination)
    {
        if (!Vector256.IsHardwareAccelerated )
        {
            TensorPrimitives.ConvertToHalf(source, destination);
            return;
        }
        if (destination.Length < source.Length) throw new ArgumentException("The destination is shorter than the source.", nameof(destination));
        ref uint s = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref ushort d = ref Unsafe.As<Half, ushort>(ref MemoryMarshal.GetReference(destination));
        nuint n = (nuint)source.Length, i = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            for (; i + 16 <= n; i += 16)
            {
                Vector512<uint> u = Vector512.LoadUnsafe(ref s, i);
                Vector512<uint> magnitude = u & Vector512.Create(0x7FFFFFFFu);
                Vector512<uint> r;
                if (Vector512.LessThanAll(magnitude - Vector512.Create(LeastNormal), Vector512.Create(PastRange - LeastNormal)))
                    r = Normal(u);
                else if (!Vector512.GreaterThanOrEqualAny(magnitude, Vector512.Create(PastRange)))
                    r = Vector512.ConditionalSelect(Vector512.LessThan(magnitude, Vector512.Create(LeastNormal)), Subnormal(u, magnitude), Normal(u));
                else
                {
                    Cast(ref s, ref d, i, i + 16);
                    continue;
                }
                Avx512F.ConvertToVector256UInt16(r).StoreUnsafe(ref d, i);
            }
        }
        else
        {
            // 256-bit vectors (AVX2, or DOTNET_EnableAVX512=0): 16 floats a step, two vectors narrowed into one.
            for (; i + 16 <= n; i += 16)
            {
                Vector256<uint> u0 = Vector256.LoadUnsafe(ref s, i), u1 = Vector256.LoadUnsafe(ref s, i + 8);
                Vector256<uint> m0 = u0 & Vector256.Create(0x7FFFFFFFu), m1 = u1 & Vector256.Create(0x7FFFFFFFu);
                Vector256<uint> r0, r1;
                if (Vector256.LessThanAll(Vector256.Max(m0 - Vector256.Create(LeastNormal), m1 - Vector256.Create(LeastNormal)), Vector256.Create(PastRange - LeastNormal)))
                    (r0, r1) = (Normal(u0), Normal(u1));
                else if (!Vector256.GreaterThanOrEqualAny(Vector256.Max(m0, m1), Vector256.Create(PastRange)))
                    (r0, r1) = (Vector256.ConditionalSelect(Vector256.LessThan(m0, Vector256.Create(LeastNormal)), Subnormal(u0, m0), Normal(u0)),
                        Vector256.ConditionalSelect(Vector256.LessThan(m1, Vector256.Create(LeastNormal)), Subnormal(u1, m1), Normal(u1)));
                else
                {
                    Cast(ref s, ref d, i, i + 16);
                    continue;
                }
                Vector256.Narrow(r0, r1).StoreUnsafe(ref d, i);
            }
        }
        Cast(ref s, ref d, i, n);
    }

    /// <summary>Floats <paramref name="from"/> … <paramref name="end"/> − 1 cast one by one.</summary>
    private static void Cast(ref uint s, ref ushort d, nuint from, nuint end)
    {
        for (nuint j = from; j < end; j++)
            Unsafe.Add(ref d, j) = BitConverter.HalfToUInt16Bits((Half)BitConverter.UInt32BitsToSingle(Unsafe.Add(ref s, j)));
    }

    /// <summary>
    /// Sixteen floats that round to normal Halfs, as Half bits (in the low 16 bits of each lane): the rebias and the
    /// rounding added to the float's bits (sign included: the sum stays under the sign bit), then the exponent and
    /// mantissa shifted down 13 and the sign down 16 into bit 15.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Normal(Vector512<uint> u)
    {
        Vector512<uint> t = u + Vector512.Create(RebiasAndRound) + ((u >> 13) & Vector512.Create(1u));
        return Vector512.ConditionalSelect(Vector512.Create(0x7FFFu), t >> 13, t >> 16);
    }

    /// <summary>Eight floats that round to normal Halfs: <see cref="Normal(Vector512{uint})"/> at 256 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Normal(Vector256<uint> u)
    {
        Vector256<uint> t = u + Vector256.Create(RebiasAndRound) + ((u >> 13) & Vector256.Create(1u));
        return Vector256.ConditionalSelect(Vector256.Create(0x7FFFu), t >> 13, t >> 16);
    }

    /// <summary>
    /// Sixteen floats under 2⁻¹⁴ in magnitude, as Half bits: |f| + ½ rounds |f| to a multiple of 2⁻²⁴ (ties to even),
    /// whose count is the Half's bits (2⁻¹⁴ itself where it rounds up to the least normal), with the sign.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Subnormal(Vector512<uint> u, Vector512<uint> magnitude) =>
        ((magnitude.AsSingle() + Vector512.Create(Half1)).AsUInt32() - Vector512.Create(HalfBits)) | ((u ^ magnitude) >> 16);

    /// <summary>Eight floats under 2⁻¹⁴ in magnitude: <see cref="Subnormal(Vector512{uint}, Vector512{uint})"/> at 256 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Subnormal(Vector256<uint> u, Vector256<uint> magnitude) =>
        ((magnitude.AsSingle() + Vector256.Create(Half1)).AsUInt32() - Vector256.Create(HalfBits)) | ((u ^ magnitude) >> 16);
}
