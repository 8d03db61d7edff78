using System;
using System.Linq;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// Standardize and MinMaxScale in row blocks (TensorBlocks.PanelRows): a table of several column ranges on more than one
/// thread, and a tall Half table on any thread count. Each block keeps its own sums and the calling thread adds them in
/// block order, so the output must be bit for bit that of one thread reading the whole table row by row; a Half table
/// must give the float kernel's bits on the widened table, rounded once. Shapes with a last block of a few rows, rows
/// that are no multiple of four, columns that are no whole number of vectors; constant, NaN, infinite and (float) huge
/// columns; in place.
/// </summary>
[Collection(SettingsCollection.Name)]
public class ScalerRowBlockTests
{
    private delegate void Scaler<T>(ReadOnlyTensorSpan<T> x, TensorSpan<T> y);

    /// <summary>Values around an offset per column; column 3 constant, column 5 NaN in one row, column 7 +∞ in one row, and (huge) column 9 at ±3·10³⁷.</summary>
    private static T[] Table<T>(int rows, int columns, bool huge, int seed) where T : System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        var x = new T[rows * columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                x[r * columns + c] = T.CreateTruncating(c == 3 ? 1.5 : (c % 13) * 10 + rng.NextDouble() * 4 - 2);
        x[(rows / 2) * columns + 5] = T.NaN;
        x[(rows / 3) * columns + 7] = T.PositiveInfinity;
        if (huge)
            for (int r = 0; r < rows; r++)
                x[r * columns + 9] = T.CreateTruncating((r % 2 == 0 ? 3e37 : -3e37) * (1 + r % 7 * 0.01));
        return x;
    }

    private static T[] Run<T>(Scaler<T> scaler, T[] x, nint[] shape, int threads, bool inPlace)
    {
        var y = inPlace ? (T[])x.Clone() : new T[x.Length];
        using var scope = new SettingsScope(threads, 1 << 14);
        scaler(new ReadOnlyTensorSpan<T>(inPlace ? y : x, shape), new TensorSpan<T>(y, shape));
        return y;
    }

    private static void SameBits<T>(T[] expected, T[] actual, string what) where T : unmanaged
    {
        byte[] e = MemoryMarshal.AsBytes(expected.AsSpan()).ToArray(), a = MemoryMarshal.AsBytes(actual.AsSpan()).ToArray();
        int first = Enumerable.Range(0, e.Length).FirstOrDefault(i => e[i] != a[i], -1);
        Assert.True(first < 0, $"{what}: element {first / System.Runtime.CompilerServices.Unsafe.SizeOf<T>()} differs from one thread's");
    }

    [Theory]
    [InlineData(2503, 300)] // three blocks, the last 455 rows; ranges of 64 and 108 columns
    [InlineData(3000, 130)] // a partial last vector: the overlapping slot
    [InlineData(1100, 4096)] // 76 rows in the last block
    public void FloatRowBlocksGiveOneThreadsBits(int rows, int columns)
    {
        nint[] shape = [rows, columns];
        float[] x = Table<float>(rows, columns, huge: true, seed: rows);
        foreach ((string name, Scaler<float> scaler) in new (string, Scaler<float>)[] { ("Standardize", Blocks.ZScore), ("MinMaxScale", Blocks.MinMax) })
        {
            float[] one = Run(scaler, x, shape, 1, false);
            Assert.True(float.IsNaN(one[5]) && one[rows / 2 * columns + 3] == 0f, $"{name}: the NaN column and the constant column");
            SameBits(one, Run(scaler, x, shape, 2, false), $"{name} ({rows}, {columns}), two threads");
            SameBits(one, Run(scaler, x, shape, 3, false), $"{name} ({rows}, {columns}), three threads");
            SameBits(one, Run(scaler, x, shape, 3, true), $"{name} ({rows}, {columns}), three threads in place");
        }
    }

    [Fact]
    public void DoubleRowBlocksGiveOneThreadsBits()
    {
        nint[] shape = [2503, 300];
        double[] x = Table<double>(2503, 300, huge: false, seed: 5);
        foreach ((string name, Scaler<double> scaler) in new (string, Scaler<double>)[] { ("Standardize", TensorKernels.ZScoreDouble), ("MinMaxScale", TensorKernels.MinMaxDouble) })
        {
            double[] one = Run(scaler, x, shape, 1, false);
            SameBits(one, Run(scaler, x, shape, 3, false), $"{name}, three threads");
            SameBits(one, Run(scaler, x, shape, 3, true), $"{name}, three threads in place");
        }
    }

    [Theory]
    [InlineData(20001, 64, false)] // 20 blocks, the last 545 rows: stages of 64 rows, then 33
    [InlineData(17000, 130, false)] // column ranges of 64 and 66: the slab loop's units pass 1M; an overlapping slot
    [InlineData(17000, 130, true)] // NaN and +∞ columns: their variance is not finite, so the slab loop takes the table
    [InlineData(11000, 1000)] // stages of 8 rows; the slab loop's units (104 columns) pass 1M
    public void HalfRowBlocksGiveTheFloatKernelsBitsRounded(int rows, int columns, bool special = false)
    {
        nint[] shape = [rows, columns];
        var rng = new Random(columns);
        Half[] x = Enumerable.Range(0, rows * columns).Select(i => (Half)((i % columns % 13) * 10 + rng.NextDouble() * 4 - 2)).ToArray();
        if (special)
        {
            x[rows / 2 * columns + 5] = Half.NaN;
            x[rows / 3 * columns + 7] = Half.PositiveInfinity;
        }
        float[] widened = x.Select(v => (float)v).ToArray();
        foreach ((string name, Scaler<Half> half, Scaler<float> single) in new (string, Scaler<Half>, Scaler<float>)[]
                 { ("Standardize", TensorKernels.ZScoreHalf, Blocks.ZScore), ("MinMaxScale", TensorKernels.MinMaxHalf, Blocks.MinMax) })
        {
            Half[] expected = Run(single, widened, shape, 1, false).Select(v => (Half)v).ToArray();
            SameBits(expected, Run(half, x, shape, 1, false), $"Half {name} ({rows}, {columns}), one thread");
            SameBits(expected, Run(half, x, shape, 3, false), $"Half {name} ({rows}, {columns}), three threads");
            SameBits(expected, Run(half, x, shape, 3, true), $"Half {name} ({rows}, {columns}), three threads in place");
        }
    }
}
