using System;
using System.Collections.Generic;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// The runtime's float → Half narrowing (HalfNarrowing.ToHalf, internal; every Half output narrows with it) against
/// <c>(Half)f</c>, bit for bit: floats around every boundary of its three forms (2⁻¹⁴, the least normal Half; 65,504 and
/// 65,520, where rounding reaches ±∞; the subnormals' ties; ±0, ±∞, NaNs with payloads), every mantissa tie and its
/// neighbours at every exponent Half can hold, and random bit patterns, in spans of every length class (the vector loop,
/// its scalar tail) and in vectors that are all of one form or mix them.
/// </summary>
public class HalfNarrowingTests
{
    private delegate void Narrowing(ReadOnlySpan<float> source, Span<Half> destination);

    private static readonly Narrowing s_toHalf = typeof(NormGenSettings).Assembly.GetType("NormGen.HalfNarrowing", throwOnError: true)!
        .GetMethod("ToHalf")!.CreateDelegate<Narrowing>();

    /// <summary>Floats at and beside the narrowing's boundaries and every rounding tie from 2⁻²⁶ to 2¹⁷, both signs.</summary>
    private static float[] Boundaries()
    {
        var bits = new List<uint> { 0, 0x7F800000, 0x7FC00000, 0x7F800001, 0x7FBFFFFF, 0x7FFFFFFF, 0x7FC01234, 0x7F802000, 0x00000001, 0x007FFFFF, 0x00800000 };
        foreach (uint center in new uint[] { 0x38800000, 0x477FE000, 0x477FF000, 0x47800000, 0x33000000, 0x33800000, 0x387FC000, 0x3F000000 })
            for (int k = -3000; k <= 3000; k++) bits.Add((uint)(center + k));
        for (uint exponent = 100; exponent <= 144; exponent++)
            for (uint kept = 0; kept < 1024; kept += 37)
            {
                uint tie = exponent << 23 | kept << 13 | 0x1000; // exactly halfway between two Halfs (or two subnormal steps below 2⁻¹⁴)
                bits.AddRange(new[] { tie - 1, tie, tie + 1, tie + 0x1000, exponent << 23 | kept << 13 });
            }
        var values = new List<float>();
        foreach (uint b in bits)
        {
            values.Add(BitConverter.UInt32BitsToSingle(b));
            values.Add(BitConverter.UInt32BitsToSingle(b | 0x80000000));
        }
        var random = new Random(11);
        for (int k = 0; k < 1 << 18; k++)
        {
            uint b = (uint)random.NextInt64();
            values.Add(BitConverter.UInt32BitsToSingle(k % 2 == 0 ? b : (b & 0x807FFFFF) | (uint)random.Next(98, 146) << 23));
            values.Add((float)(random.NextDouble() * 8 - 4));
        }
        return values.ToArray();
    }

    private static readonly float[] s_values = Boundaries();

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(100)]
    [InlineData(768)]
    [InlineData(1 << 20)]
    public void EveryFloatNarrowsToTheBitsOfTheCast(int spanLength) => NarrowsToTheCast(s_values, spanLength);

    [Theory]
    [InlineData(16)]
    [InlineData(1 << 20)]
    public void EveryFloatNarrowsToTheBitsOfTheCast_Shuffled(int spanLength)
    {
        float[] values = (float[])s_values.Clone();
        new Random(5).Shuffle(values);
        NarrowsToTheCast(values, spanLength);
    }

    /// <summary>Normalized outputs: vectors of normal Halfs only, with the odd zero, subnormal or overflow among them.</summary>
    [Fact]
    public void NormalVectorsWithTheOddOtherValue()
    {
        var random = new Random(3);
        var values = new float[1 << 16];
        for (int k = 0; k < values.Length; k++) values[k] = (float)(random.NextDouble() * 6 - 3);
        float[] odd = { 0f, -0f, 1e-6f, -3e-7f, 6.1e-5f, 65519.996f, 65520f, -7e4f, float.PositiveInfinity, float.NaN };
        for (int k = 0; k < values.Length; k += 97) values[k] = odd[k % odd.Length];
        NarrowsToTheCast(values, values.Length);
    }

    private static void NarrowsToTheCast(float[] values, int spanLength)
    {
        var narrowed = new Half[values.Length];
        for (int start = 0; start < values.Length; start += spanLength)
        {
            int length = Math.Min(spanLength, values.Length - start);
            s_toHalf(values.AsSpan(start, length), narrowed.AsSpan(start, length));
        }
        for (int k = 0; k < values.Length; k++)
            if (BitConverter.HalfToUInt16Bits(narrowed[k]) != BitConverter.HalfToUInt16Bits((Half)values[k]))
                Assert.Fail($"float 0x{BitConverter.SingleToUInt32Bits(values[k]):X8}: 0x{BitConverter.HalfToUInt16Bits(narrowed[k]):X4}, (Half)f 0x{BitConverter.HalfToUInt16Bits((Half)values[k]):X4}");
    }

    [Fact]
    public void AShortDestinationIsRefused() =>
        Assert.Throws<ArgumentException>(() => s_toHalf(new float[40], new Half[39]));
}
