using System;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// The per-call checks and scheduling decisions that every kernel call inlines (NormGuard.RowCount and Length,
/// RowScheduler.DegreeOfParallelism): same answers and the same messages as the plain formulas they replaced.
/// </summary>
[Collection(SettingsCollection.Name)]
public class FastPathTests
{
    /// <summary>The degree as first written: min(max, rows, rows·length / MinElementsPerThread), at least 1.</summary>
    private static int ReferenceDegree(int rowCount, int rowLength, int max, int minElements)
    {
        if (max == 1 || rowCount < 2) return 1;
        if (max < 0) max = Environment.ProcessorCount;
        long degree = Math.Min(Math.Min(max, rowCount), (long)rowCount * rowLength / minElements);
        return degree < 1 ? 1 : (int)degree;
    }

    [Fact]
    public void DegreeOfParallelism_EqualsTheFormula_AroundEveryThreshold()
    {
        int[] rowCounts = [0, 1, 2, 3, 4, 7, 64, 255, 256, 257, 1000, 1 << 20, int.MaxValue];
        int[] rowLengths = [1, 2, 63, 64, 65, 768, 4096, 1 << 17, (1 << 17) + 1, int.MaxValue];
        foreach ((int max, int minElements) in new[] { (1, 1 << 17), (-1, 1 << 17), (-1, 64), (3, 4096), (2, 1), (16, 1 << 17), (-1, int.MaxValue) })
            using (new SettingsScope(max, minElements))
                foreach (int rows in rowCounts)
                    foreach (int n in rowLengths)
                        Assert.Equal(ReferenceDegree(rows, n, max, minElements), RowScheduler.DegreeOfParallelism(rows, n));
    }

    [Theory]
    [InlineData(0, 768, 0)]
    [InlineData(768, 768, 1)]
    [InlineData(768 * 1000, 768, 1000)]
    [InlineData(7, 1, 7)]
    [InlineData(int.MaxValue, 1, int.MaxValue)]
    [InlineData(int.MaxValue - 1, 3, (int.MaxValue - 1) / 3)]
    public void RowCount_WholeRows_ReturnsTheQuotient(int length, int rowLength, int rows) =>
        Assert.Equal(rows, NormGuard.RowCount(length, rowLength, "x"));

    [Theory]
    [InlineData(767, 768)]
    [InlineData(769, 768)]
    [InlineData(1, 2)]
    [InlineData(int.MaxValue, 2)]
    [InlineData(int.MaxValue, int.MaxValue - 1)]
    public void RowCount_NotWholeRows_ThrowsWithTheMessage(int length, int rowLength)
    {
        var e = Assert.Throws<ArgumentException>(() => NormGuard.RowCount(length, rowLength, "input"));
        Assert.Equal("input", e.ParamName);
        Assert.StartsWith($"'input' has {length} elements, which is not a whole number of rows of {rowLength} elements.", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(int.MinValue)]
    public void RowCount_RowLengthNotPositive_ThrowsOutOfRange(int rowLength)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NormGuard.RowCount(10, rowLength, "rowLength"));
        Assert.Equal("rowLength", e.ParamName);
        Assert.Equal(rowLength, e.ActualValue);
        Assert.StartsWith($"The row length must be positive, but is {rowLength}.", e.Message);
    }

    [Fact]
    public void Length_Differs_ThrowsWithTheMessage()
    {
        NormGuard.Length(768, 768, "gamma", "one per normalized element");
        var e = Assert.Throws<ArgumentException>(() => NormGuard.Length(767, 768, "gamma", "one per normalized element"));
        Assert.Equal("gamma", e.ParamName);
        Assert.StartsWith("'gamma' must have 768 elements (one per normalized element), but has 767.", e.Message);
    }
}
