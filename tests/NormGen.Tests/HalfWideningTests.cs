using System;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// The runtime's Half → float widening (HalfWidening.ToSingle, internal; every Half path widens with it): every one of the
/// 65,536 Half bit patterns gives the bits of <c>(float)h</c>, in spans of every length class (the vector loop, its scalar
/// tail), in order (vectors of finite values only, or of ±∞ and NaN only) and shuffled (vectors mixing them: the test for
/// ±∞ and NaN sends the whole vector to the full per-lane form).
/// </summary>
public class HalfWideningTests
{
    private delegate void Widening(ReadOnlySpan<Half> source, Span<float> destination);

    private static readonly Widening s_toSingle = typeof(NormGenSettings).Assembly.GetType("NormGen.HalfWidening", throwOnError: true)!
        .GetMethod("ToSingle")!.CreateDelegate<Widening>();

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(1000)]
    [InlineData(65536)]
    public void EveryHalfWidensToTheBitsOfTheCast(int spanLength) => WidensToTheCast(spanLength, shuffled: false);

    [Theory]
    [InlineData(31)]
    [InlineData(64)]
    [InlineData(65536)]
    public void EveryHalfWidensToTheBitsOfTheCast_Shuffled(int spanLength) => WidensToTheCast(spanLength, shuffled: true);

    private static void WidensToTheCast(int spanLength, bool shuffled)
    {
        var all = new Half[65536];
        for (int v = 0; v < all.Length; v++) all[v] = BitConverter.UInt16BitsToHalf((ushort)v);
        if (shuffled) new Random(7).Shuffle(all);
        var widened = new float[all.Length];
        for (int start = 0; start < all.Length; start += spanLength)
        {
            int length = Math.Min(spanLength, all.Length - start);
            s_toSingle(all.AsSpan(start, length), widened.AsSpan(start, length));
        }
        for (int v = 0; v < all.Length; v++)
            Assert.True(BitConverter.SingleToUInt32Bits(widened[v]) == BitConverter.SingleToUInt32Bits((float)all[v]),
                $"Half 0x{BitConverter.HalfToUInt16Bits(all[v]):X4}: 0x{BitConverter.SingleToUInt32Bits(widened[v]):X8}, (float)h 0x{BitConverter.SingleToUInt32Bits((float)all[v]):X8}");
    }

    [Fact]
    public void AShortDestinationIsRefused() =>
        Assert.Throws<ArgumentException>(() => s_toSingle(new Half[40], new float[39]));
}
