using System;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// Bad arguments throw <see cref="ArgumentException"/> (or <see cref="ArgumentOutOfRangeException"/>) naming the user's
/// parameter, before anything is written: y is filled with a sentinel and must still hold it afterwards.
/// </summary>
public class ArgumentTests
{
    private const float Sentinel = -12345.5f;

    private static float[] Filled(int length) { var a = new float[length]; a.AsSpan().Fill(Sentinel); return a; }

    private static void AssertUntouched(float[] y)
    {
        foreach (float v in y) Assert.Equal(Sentinel, v);
    }

    private delegate void SpanAction(float[] y);

    /// <summary>Runs <paramref name="call"/> with a sentinel-filled y of <paramref name="yLength"/> elements and checks the exception and y.</summary>
    private static void Throws<TException>(string paramName, int yLength, SpanAction call) where TException : ArgumentException
    {
        float[] y = Filled(yLength);
        var e = Assert.ThrowsAny<TException>(() => call(y));
        Assert.Equal(paramName, e.ParamName);
        AssertUntouched(y);
    }

    private static float[] Ones(int n) { var a = new float[n]; a.AsSpan().Fill(1f); return a; }

    [Theory]
    [InlineData(768 * 2 + 1)]
    [InlineData(767)]
    [InlineData(1)]
    public void StaticShape_XNotWholeRows_ThrowsForX(int length) =>
        Throws<ArgumentException>("x", length, y => Kernels.Norm(Ones(length), Ones(768), Ones(768), y));

    [Theory]
    [InlineData(768 * 2 - 1)]
    [InlineData(768 * 2 + 1)]
    [InlineData(768 * 3)]
    [InlineData(0)]
    public void StaticShape_YWrongLength_ThrowsForY(int yLength) =>
        Throws<ArgumentException>("y", yLength, y => Kernels.Norm(Ones(768 * 2), Ones(768), Ones(768), y));

    [Theory]
    [InlineData(767)]
    [InlineData(769)]
    [InlineData(0)]
    public void StaticShape_GammaOrBetaWrongLength_ThrowsForThem(int length)
    {
        Throws<ArgumentException>("gamma", 768 * 2, y => Kernels.Norm(Ones(768 * 2), Ones(length), Ones(768), y));
        Throws<ArgumentException>("beta", 768 * 2, y => Kernels.Norm(Ones(768 * 2), Ones(768), Ones(length), y));
        Throws<ArgumentException>("weight", 4096, y => Kernels.Rms(Ones(4096), Ones(length == 0 ? 0 : 4096 + length - 768), y));
        Throws<ArgumentException>("weight", 8, y => StaticKernels.RmsF8(Ones(8), Ones(length % 8 == 0 ? 9 : length % 8), y));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void RunTimeRowLength_NotPositive_ThrowsOutOfRangeForRowLength(int rowLength)
    {
        Throws<ArgumentOutOfRangeException>("rowLength", 8, y => DynKernels.LnFScaleAndBias(Ones(8), rowLength, Ones(8), Ones(8), y));
        Throws<ArgumentOutOfRangeException>("rowLength", 8, y => DynKernels.RmsFNone(Ones(8), rowLength, y));
        Throws<ArgumentOutOfRangeException>("rowLength", 0, y => DynKernels.RmsFNone([], rowLength, y));
    }

    [Fact]
    public void RunTimeRowLength_BadLengths_ThrowForTheRightParameter()
    {
        Throws<ArgumentException>("x", 10, y => DynKernels.LnFScaleAndBias(Ones(10), 3, Ones(3), Ones(3), y));
        Throws<ArgumentException>("y", 10, y => DynKernels.LnFScaleAndBias(Ones(9), 3, Ones(3), Ones(3), y));
        Throws<ArgumentException>("y", 8, y => DynKernels.LnFScaleAndBias(Ones(9), 3, Ones(3), Ones(3), y));
        Throws<ArgumentException>("gamma", 9, y => DynKernels.LnFScaleAndBias(Ones(9), 3, Ones(9), Ones(3), y));
        Throws<ArgumentException>("beta", 9, y => DynKernels.LnFScaleAndBias(Ones(9), 3, Ones(3), Ones(2), y));
        Throws<ArgumentException>("gamma", 9, y => DynKernels.RmsFScale(Ones(9), 3, Ones(4), y));
        // A row longer than x: x is not a whole number of rows.
        Throws<ArgumentException>("x", 4, y => DynKernels.RmsFNone(Ones(4), 5, y));
    }

    [Fact]
    public void Half_BadLengths_LeaveYUntouched()
    {
        Half sentinel = (Half)Sentinel;
        var y = new Half[10];
        y.AsSpan().Fill(sentinel);
        var e = Assert.ThrowsAny<ArgumentException>(() => DynKernels.LnHScaleAndBias(new Half[10], 3, new Half[3], new Half[3], y));
        Assert.Equal("x", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => DynKernels.LnHScaleAndBias(new Half[9], 3, new Half[3], new Half[4], y.AsSpan(0, 9)));
        Assert.Equal("beta", e.ParamName);
        foreach (Half v in y) Assert.Equal(sentinel, v);
    }

    [Fact]
    public void TensorForm_ShapesThatDisagree_ThrowForTheRightParameter()
    {
        // y's shape differs from x's (same element count, and a different count).
        Throws<ArgumentException>("y", 2 * 8 * 96, y =>
            Kernels.LnDyn(new ReadOnlyTensorSpan<float>(Ones(2 * 8 * 96), [2, 8, 96]), Ones(768), Ones(768), new TensorSpan<float>(y, [2, 96, 8])));
        Throws<ArgumentException>("y", 3 * 8 * 96, y =>
            Kernels.LnDyn(new ReadOnlyTensorSpan<float>(Ones(2 * 8 * 96), [2, 8, 96]), Ones(768), Ones(768), new TensorSpan<float>(y, [3, 8, 96])));
        // Rank below the normalized axes.
        Throws<ArgumentException>("x", 96, y =>
            Kernels.LnDyn(new ReadOnlyTensorSpan<float>(Ones(96), [96]), Ones(96), Ones(96), new TensorSpan<float>(y, [96])));
        // gamma/beta sized for a different row.
        Throws<ArgumentException>("gamma", 2 * 8 * 96, y =>
            Kernels.LnDyn(new ReadOnlyTensorSpan<float>(Ones(2 * 8 * 96), [2, 8, 96]), Ones(96), Ones(768), new TensorSpan<float>(y, [2, 8, 96])));
        Throws<ArgumentException>("beta", 2 * 8 * 96, y =>
            Kernels.LnDyn(new ReadOnlyTensorSpan<float>(Ones(2 * 8 * 96), [2, 8, 96]), Ones(768), Ones(767), new TensorSpan<float>(y, [2, 8, 96])));
        // Static-shape tensor kernel: trailing axes must be exactly [4, 8].
        Throws<ArgumentException>("x", 3 * 8 * 4, y =>
            FormKernels.LnTensor4x8(new ReadOnlyTensorSpan<float>(Ones(3 * 8 * 4), [3, 8, 4]), Ones(32), Ones(32), new TensorSpan<float>(y, [3, 8, 4])));
        Throws<ArgumentException>("x", 32, y =>
            FormKernels.LnTensor4x8(new ReadOnlyTensorSpan<float>(Ones(32), [32]), Ones(32), Ones(32), new TensorSpan<float>(y, [32])));
        Throws<ArgumentException>("y", 3 * 32, y =>
            FormKernels.LnTensor4x8(new ReadOnlyTensorSpan<float>(Ones(3 * 32), [3, 4, 8]), Ones(32), Ones(32), new TensorSpan<float>(y, [1, 3, 4, 8])));
    }

    [Fact]
    public void TensorForm_StridedInput_ThrowsForX()
    {
        // A transposed view: lengths [8, 4], strides [1, 8]; not dense.
        float[] data = Ones(32);
        Throws<ArgumentException>("x", 32, y =>
            FormKernels.LnTensorAxes1(new ReadOnlyTensorSpan<float>(data, 0, [8, 4], [1, 8]), Ones(4), Ones(4), new TensorSpan<float>(y, [8, 4])));
    }

    [Fact]
    public void PartiallyOverlappingXAndY_ThrowsForY()
    {
        const int n = 16, rows = 4;
        foreach (int shift in new[] { 1, -1, n, -(n * rows - 1) })
        {
            float[] buffer = Filled(n * rows * 3);
            int xStart = n * rows, yStart = xStart + shift;
            for (int i = 0; i < n * rows; i++) buffer[xStart + i] = i;
            float[] before = (float[])buffer.Clone();
            var e = Assert.ThrowsAny<ArgumentException>(() =>
                DynKernels.LnFScaleAndBias(buffer.AsSpan(xStart, n * rows), n, Ones(n), Ones(n), buffer.AsSpan(yStart, n * rows)));
            Assert.Equal("y", e.ParamName);
            Assert.Equal(before, buffer);
            e = Assert.ThrowsAny<ArgumentException>(() => StaticKernels.RmsF16(buffer.AsSpan(xStart, n * rows), Ones(n), buffer.AsSpan(yStart, n * rows)));
            Assert.Equal("y", e.ParamName);
            Assert.Equal(before, buffer);
        }
        // Tensor spans over overlapping memory.
        float[] t = Filled(2 * 8 * 96 + 1);
        var e2 = Assert.ThrowsAny<ArgumentException>(() =>
            Kernels.LnDyn(new ReadOnlyTensorSpan<float>(t.AsSpan(0, 2 * 8 * 96), [2, 8, 96]), Ones(768), Ones(768), new TensorSpan<float>(t.AsSpan(1, 2 * 8 * 96), [2, 8, 96])));
        Assert.Equal("y", e2.ParamName);
        foreach (float v in t) Assert.Equal(Sentinel, v);
        // Adjacent but not overlapping is fine.
        float[] adj = Filled(2 * n);
        DynKernels.LnFNone(adj.AsSpan(0, n), n, adj.AsSpan(n, n));
    }

    [Fact]
    public void SpanInputForm_AcceptsMutableSpans()
    {
        float[] x = Ones(32), y = Filled(32);
        x[3] = 5;
        FormKernels.LnMutableInput(x, Ones(16), Ones(16), y);
        Assert.DoesNotContain(Sentinel, y);
        var e = Assert.ThrowsAny<ArgumentException>(() => FormKernels.LnMutableInput(x.AsSpan(0, 16), Ones(16), Ones(16), x.AsSpan(1, 16)));
        Assert.Equal("y", e.ParamName);
    }
}
