using System;
using System.Linq;
using Xunit;

namespace NormGen.Tests;

/// <summary>Half row kernels for <see cref="HalfRowBlockTests"/>: statistics saved, and the residual stream with a bias.</summary>
public static partial class HalfRowBlockKernels
{
    [LayerNorm(SaveStatistics = true)]
    public static partial void LnStats(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(Residual = true, ResidualBias = true)]
    public static partial void AddLn(ReadOnlySpan<Half> x, int rowLength, ReadOnlySpan<Half> residual, ReadOnlySpan<Half> bias, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y, Span<Half> residualOut);
}

/// <summary>
/// Half rows go through float scratch in blocks of several rows (RowEngine.HalfLoop: up to 8,192 floats of scratch over
/// all streams, x and y, and the residual streams). Every row of a batch must get the bits it gets alone — y, the saved mean and rstd, the residual stream —
/// at a block's first row, its last, a last block of fewer rows, a row of +∞ and one of NaN in mid-block (left to the
/// double path), and in place (y over x, residualOut over residual).
/// </summary>
[Collection(SettingsCollection.Name)]
public class HalfRowBlockTests
{
    private static Half[] Values(int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(i => (Half)(rng.NextDouble() * 6 - 3 + (i % 5))).ToArray();
    }

    [Theory]
    [InlineData(7, 1000)]   // blocks of 585 rows (with the residual streams 292): a full block, then a short one
    [InlineData(33, 700)]   // blocks of 124 (62): five full blocks and one of 80 (eleven and one of 18)
    [InlineData(100, 95)]   // blocks of 40 (20)
    [InlineData(1000, 9)]   // blocks of 4 (2)
    [InlineData(5000, 3)]   // a block per row
    public void EveryRowGetsItsOwnBits(int n, int rows)
    {
        using var scope = new SettingsScope(1, 1 << 17);
        Half[] x = Values(rows * n, n), gamma = Values(n, 1), beta = Values(n, 2), residual = Values(rows * n, 3), bias = Values(n, 4);
        x[(rows / 2) * n + n / 2] = Half.PositiveInfinity;
        x[(rows / 2 + 1) * n] = Half.NaN;
        var y = new Half[rows * n];
        float[] mean = new float[rows], rstd = new float[rows];
        HalfRowBlockKernels.LnStats(x, n, gamma, beta, y, mean, rstd);
        var yAdd = new Half[rows * n];
        var h = new Half[rows * n];
        HalfRowBlockKernels.AddLn(x, n, residual, bias, gamma, beta, yAdd, h);

        var yRow = new Half[n];
        var hRow = new Half[n];
        float[] m = new float[1], r = new float[1];
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<Half> xr = x.AsSpan(row * n, n);
            HalfRowBlockKernels.LnStats(xr, n, gamma, beta, yRow, m, r);
            Assert.True(yRow.AsSpan().SequenceEqual(y.AsSpan(row * n, n)), $"n = {n}: row {row}'s y differs from the row alone");
            Assert.Equal(BitConverter.SingleToInt32Bits(m[0]), BitConverter.SingleToInt32Bits(mean[row]));
            Assert.Equal(BitConverter.SingleToInt32Bits(r[0]), BitConverter.SingleToInt32Bits(rstd[row]));
            HalfRowBlockKernels.AddLn(xr, n, residual.AsSpan(row * n, n), bias, gamma, beta, yRow, hRow);
            Assert.True(yRow.AsSpan().SequenceEqual(yAdd.AsSpan(row * n, n)), $"n = {n}: row {row}'s residual y differs from the row alone");
            Assert.True(hRow.AsSpan().SequenceEqual(h.AsSpan(row * n, n)), $"n = {n}: row {row}'s residual stream differs from the row alone");
        }
        Assert.True(Half.IsNaN(y[(rows / 2) * n]) && Half.IsNaN(y[(rows / 2 + 1) * n + 1]), "the +∞ and NaN rows give NaN");
        Assert.False(Half.IsNaN(y[(rows / 2 - 1) * n]), "the row before them does not");

        // In place: y over x, residualOut over residual.
        Half[] inPlace = (Half[])x.Clone(), stream = (Half[])residual.Clone();
        HalfRowBlockKernels.LnStats(inPlace, n, gamma, beta, inPlace, mean, rstd);
        Assert.True(inPlace.AsSpan().SequenceEqual(y), $"n = {n}: in place");
        inPlace = (Half[])x.Clone();
        HalfRowBlockKernels.AddLn(inPlace, n, stream, bias, gamma, beta, inPlace, stream);
        Assert.True(inPlace.AsSpan().SequenceEqual(yAdd) && stream.AsSpan().SequenceEqual(h), $"n = {n}: residual in place");
    }
}
