using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>Float GroupNorm(4) with saved statistics, the counterpart of GradTensor.GnHalf.</summary>
public static partial class HalfStreamingKernels
{
    [GroupNorm(4, SaveStatistics = true)]
    public static partial void GnSaved(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y, Span<float> mean, Span<float> rstd);
}

/// <summary>
/// Half tensor kinds stream through a float buffer of at most 2²⁰ elements, a slab of independent units at a time, instead
/// of widening the whole tensor: the results must be those of the float kernel on the widened tensor, rounded once to
/// Half, whatever the slab boundaries (several samples per slab, channels of one sample, channels over all samples,
/// column ranges).
/// </summary>
[Collection(SettingsCollection.Name)]
public class HalfStreamingTests
{
    private static Half[] Input(int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(i => (Half)(rng.NextDouble() * 4 - 2 + (i % 11) * 0.125)).ToArray();
    }

    private static float[] Widen(Half[] values) => values.Select(v => (float)v).ToArray();

    private static Half[] Narrow(float[] values) => values.Select(v => (Half)v).ToArray();

    private static void SameAsFloat(Half[] expected, Half[] actual, string what) =>
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{what}: the streamed Half result differs from the float kernel's, rounded");

    [Theory]
    [InlineData(3, 8, 200, 300, -1)]  // 480,000 per sample: units of whole channels
    [InlineData(1, 40, 160, 170, -1)] // one sample: whole channels of it
    [InlineData(3, 8, 200, 300, 3)]   // units over three threads
    [InlineData(24, 16, 20, 30, 3)]   // 9,600 per sample: units of several samples, over three threads
    [InlineData(24, 16, 20, 30, 1)]
    public void SampleAndChannelSlabs(int n, int c, int h, int w, int threads)
    {
        nint[] shape = [n, c, h, w];
        int length = n * c * h * w;
        Half[] x = Input(length, 1), g = Input(c, 2), b = Input(c, 3), rm = Input(c, 4), rv = Input(c, 5).Select(v => (Half)(Math.Abs((float)v) + 0.5f)).ToArray();
        float[] xf = Widen(x);
        using var scope = new SettingsScope(threads, 1 << 14);

        var y = new Half[length];
        var yf = new float[length];
        TensorKernels.InormHalf(new ReadOnlyTensorSpan<Half>(x, shape), new TensorSpan<Half>(y, shape));
        Blocks.Inorm(new ReadOnlyTensorSpan<float>(xf, shape), new TensorSpan<float>(yf, shape));
        SameAsFloat(Narrow(yf), y, "InstanceNorm");

        TensorKernels.BnEvalHalf(new ReadOnlyTensorSpan<Half>(x, shape), g, b, rm, rv, new TensorSpan<Half>(y, shape));
        Blocks.BnEval(new ReadOnlyTensorSpan<float>(xf, shape), Widen(g), Widen(b), Widen(rm), Widen(rv), new TensorSpan<float>(yf, shape));
        SameAsFloat(Narrow(yf), y, "BatchNorm eval");

        TensorKernels.Gn4Half(new ReadOnlyTensorSpan<Half>(x, shape), g, b, new TensorSpan<Half>(y, shape));
        TensorKernels.Gn4(new ReadOnlyTensorSpan<float>(xf, shape), Widen(g), Widen(b), new TensorSpan<float>(yf, shape));
        SameAsFloat(Narrow(yf), y, "GroupNorm");

        // In place streams the same.
        Half[] inPlace = (Half[])x.Clone();
        TensorKernels.InormHalf(new ReadOnlyTensorSpan<Half>(inPlace, shape), new TensorSpan<Half>(inPlace, shape));
        Blocks.Inorm(new ReadOnlyTensorSpan<float>(xf, shape), new TensorSpan<float>(yf, shape));
        SameAsFloat(Narrow(yf), inPlace, "InstanceNorm in place");
    }

    [Theory]
    [InlineData(4, 6, 250, 250, -1)] // 250,000 per channel: units of one channel
    [InlineData(3000, 700, 1, 1, -1)] // (N, C): every channel over 3000 samples, units of 21 channels
    [InlineData(3000, 700, 1, 1, 3)]
    [InlineData(16, 64, 12, 12, 3)] // units of several channels over three threads
    public void BatchNormTrainingChannelSlabs(int n, int c, int h, int w, int threads)
    {
        nint[] shape = h * w == 1 ? [n, c] : [n, c, h, w];
        int length = n * c * h * w;
        Half[] x = Input(length, 6), g = Input(c, 7), b = Input(c, 8), rm = Input(c, 9), rv = Input(c, 10).Select(v => (Half)(Math.Abs((float)v) + 0.5f)).ToArray();
        float[] xf = Widen(x), rmf = Widen(rm), rvf = Widen(rv);
        using var scope = new SettingsScope(threads, 1 << 14);
        var y = new Half[length];
        var yf = new float[length];
        TensorKernels.BnTrainHalf(new ReadOnlyTensorSpan<Half>(x, shape), g, b, rm, rv, new TensorSpan<Half>(y, shape));
        Blocks.BnTrain(new ReadOnlyTensorSpan<float>(xf, shape), Widen(g), Widen(b), rmf, rvf, new TensorSpan<float>(yf, shape));
        SameAsFloat(Narrow(yf), y, "BatchNorm training, y");
        SameAsFloat(Narrow(rmf), rm, "BatchNorm training, running mean");
        SameAsFloat(Narrow(rvf), rv, "BatchNorm training, running var");
    }

    [Fact]
    public void ColumnRangeSlabs()
    {
        nint[] shape = [1, 48, 150, 150]; // a (48 × 22,500) sample, larger than a slab: column ranges of it
        int length = 48 * 150 * 150;
        Half[] x = Input(length, 11), g = Input(48, 12), b = Input(48, 13);
        float[] xf = Widen(x);
        using var scope = new SettingsScope(-1, 1 << 17);
        var y = new Half[length];
        var yf = new float[length];
        TensorKernels.ChannelLnHalf(new ReadOnlyTensorSpan<Half>(x, shape), g, b, new TensorSpan<Half>(y, shape));
        TensorKernels.ChannelLn(new ReadOnlyTensorSpan<float>(xf, shape), Widen(g), Widen(b), new TensorSpan<float>(yf, shape));
        SameAsFloat(Narrow(yf), y, "ChannelLayerNorm");

        nint[] table = [5000, 300]; // ranges of 64 columns, the last 108 wide
        int cells = 5000 * 300;
        Half[] t = Input(cells, 14);
        float[] tf = Widen(t);
        var ty = new Half[cells];
        var tyf = new float[cells];
        TensorKernels.MinMaxHalf(new ReadOnlyTensorSpan<Half>(t, table), new TensorSpan<Half>(ty, table));
        Blocks.MinMax(new ReadOnlyTensorSpan<float>(tf, table), new TensorSpan<float>(tyf, table));
        SameAsFloat(Narrow(tyf), ty, "MinMaxScale");
        TensorKernels.ZScoreHalf(new ReadOnlyTensorSpan<Half>(t, table), new TensorSpan<Half>(ty, table));
        Blocks.ZScore(new ReadOnlyTensorSpan<float>(tf, table), new TensorSpan<float>(tyf, table));
        SameAsFloat(Narrow(tyf), ty, "Standardize");
    }

    [Fact]
    public void ColumnRangeSlabsSaveStatistics()
    {
        // Two samples, each larger than a slab: the engine's Half loop slices the saved statistics per (sample, column
        // range); they must land where the float kernel puts them, with the same bits.
        nint[] shape = [2, 48, 150, 150];
        int length = 2 * 48 * 150 * 150, positions = 2 * 150 * 150;
        Half[] x = Input(length, 21), g = Input(48, 22), b = Input(48, 23);
        float[] xf = Widen(x);
        using var scope = new SettingsScope(-1, 1 << 17);
        var y = new Half[length];
        var yf = new float[length];
        float[] mean = new float[positions], rstd = new float[positions], meanF = new float[positions], rstdF = new float[positions];
        GradChannel.ClnHalf(new ReadOnlyTensorSpan<Half>(x, shape), g, b, new TensorSpan<Half>(y, shape), mean, rstd);
        GradChannel.Cln(new ReadOnlyTensorSpan<float>(xf, shape), Widen(g), Widen(b), new TensorSpan<float>(yf, shape), meanF, rstdF);
        SameAsFloat(Narrow(yf), y, "ChannelLayerNorm");
        Assert.Equal(meanF, mean);
        Assert.Equal(rstdF, rstd);
        Assert.DoesNotContain(0f, rstd); // every position was written
    }

    [Theory]
    [InlineData(2, 8, 200, 300, 3)] // samples past a unit: units of one group (120,000 elements), over three threads
    [InlineData(1, 8, 200, 300, 1)]
    [InlineData(6, 8, 20, 30, 3)]   // small samples: units of several
    public void GroupNormUnitsOfGroupsSaveTheFloatStatistics(int n, int c, int h, int w, int threads)
    {
        nint[] shape = [n, c, h, w];
        int length = n * c * h * w;
        Half[] x = Input(length, 31), g = Input(c, 32), b = Input(c, 33);
        float[] xf = Widen(x);
        using var scope = new SettingsScope(threads, 1 << 14);
        var y = new Half[length];
        var yf = new float[length];
        float[] mean = new float[4 * n], rstd = new float[4 * n], meanF = new float[4 * n], rstdF = new float[4 * n];
        GradTensor.GnHalf(new ReadOnlyTensorSpan<Half>(x, shape), g, b, new TensorSpan<Half>(y, shape), mean, rstd);
        HalfStreamingKernels.GnSaved(new ReadOnlyTensorSpan<float>(xf, shape), Widen(g), Widen(b), new TensorSpan<float>(yf, shape), meanF, rstdF);
        SameAsFloat(Narrow(yf), y, "GroupNorm");
        Assert.Equal(meanF, mean);
        Assert.Equal(rstdF, rstd);
        Assert.DoesNotContain(0f, rstd);

        Half[] inPlace = (Half[])x.Clone();
        GradTensor.GnHalf(new ReadOnlyTensorSpan<Half>(inPlace, shape), g, b, new TensorSpan<Half>(inPlace, shape), mean, rstd);
        SameAsFloat(Narrow(yf), inPlace, "GroupNorm in place");
    }
}
