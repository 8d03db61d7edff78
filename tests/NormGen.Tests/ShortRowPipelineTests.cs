using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace NormGen.Tests;

/// <summary>Kernels whose short rows take the row engine's software pipeline (RowEngine.ShortRows.cs).</summary>
public static partial class ShortRowKernels
{
    [LayerNorm(SaveStatistics = true)]
    public static partial void LnF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(SaveStatistics = true)]
    public static partial void LnD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y, Span<double> mean, Span<double> rstd);

    [RmsNorm(SaveStatistics = true)]
    public static partial void RmsF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> weight, Span<float> y, Span<float> rstd);

    [RmsNorm(SaveStatistics = true)]
    public static partial void RmsD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> weight, Span<double> y, Span<double> rstd);

    [LayerNorm(64)]
    public static partial void Ln64F(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [LayerNorm(768)]
    public static partial void Ln768F(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
}

/// <summary>
/// Short rows (up to 8 vectors) run software-pipelined: row k's pass 1 before the statistics and last pass of row k − 3.
/// Every row of a batch must still be bitwise the row computed alone (which runs the one-row path), whatever its place in
/// the pipeline (first rows, last rows, odd counts), next to huge rows (redone in HugeRow, after which the pipeline
/// restarts), NaN and ±∞ rows and rows whose first vector is far from the mean (the exact second pass); y, the saved mean
/// and rstd; out of place and in place; and within the accuracy bound of the double reference.
/// </summary>
public class ShortRowPipelineTests
{
    private static readonly int[] Lengths = [4, 7, 8, 13, 16, 33, 64, 100, 128, 129];
    private static readonly int[] RowCounts = [1, 2, 3, 4, 5, 7, 11];

    /// <summary>A special row placed at some rows of a batch: huge (squares overflow), NaN, +∞, −∞, an outlying first vector.</summary>
    internal static double[] Special(string kind, Random rng, int n) => kind switch
    {
        "huge" => Enumerable.Range(0, n).Select(i => i % 3 == 0 ? 3e38 : -1e38).ToArray(),
        "spike" => Enumerable.Range(0, n).Select(i => i == n / 2 ? 1e30 : rng.NextDouble()).ToArray(),
        "nan" => Enumerable.Range(0, n).Select(i => i == n - 1 ? double.NaN : rng.NextDouble()).ToArray(),
        "inf" => Enumerable.Range(0, n).Select(i => i == 0 ? double.PositiveInfinity : rng.NextDouble()).ToArray(),
        "-inf" => Enumerable.Range(0, n).Select(i => i == n / 3 ? double.NegativeInfinity : rng.NextDouble()).ToArray(),
        // The first vector far from the rest: the shift is not within σ/2 of the mean, the exact second pass decides.
        "outlier" => Enumerable.Range(0, n).Select(i => i < Math.Min(n, 4) ? 1000 + i : rng.NextDouble()).ToArray(),
        // Two NaNs of different payloads in the first vector (kept by the conversion to float): the shift's payload is
        // the one its horizontal sum's order of additions picks.
        "nan-pair" => Enumerable.Range(0, n).Select(i => i < 2 ? BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0000L | (1L + i) << 40) : rng.NextDouble()).ToArray(),
        _ => throw new ArgumentException(kind),
    };

    internal static double[] Batch(Random rng, int rows, int n, string? special, int[] at)
    {
        double[] x = Reference.Normal(rng, rows * n, 5, 2);
        if (special is not null)
            foreach (int r in at.Where(r => r < rows))
                Special(special, rng, n).CopyTo(x, r * n);
        return x;
    }

    /// <summary>Runs one of the kernels on float or double copies; returns y, mean (zeros for RMSNorm), rstd as doubles.</summary>
    internal static (double[] Y, double[] Mean, double[] Rstd) Run(string kernel, double[] x, int n, double[] g, double[] b, bool inPlace = false)
    {
        int rows = x.Length / n;
        if (kernel.EndsWith('F'))
        {
            float[] xf = x.Select(v => (float)v).ToArray(), gf = g.Select(v => (float)v).ToArray(), bf = b.Select(v => (float)v).ToArray();
            float[] y = inPlace ? xf : new float[x.Length], mean = new float[rows], rstd = new float[rows];
            if (kernel == "LnF") ShortRowKernels.LnF(xf, n, gf, bf, y, mean, rstd);
            else if (kernel == "RmsF") ShortRowKernels.RmsF(xf, n, gf, y, rstd);
            else if (kernel == "Ln768F") ShortRowKernels.Ln768F(xf, gf, bf, y);
            else ShortRowKernels.Ln64F(xf, gf, bf, y);
            return (y.Select(v => (double)v).ToArray(), mean.Select(v => (double)v).ToArray(), rstd.Select(v => (double)v).ToArray());
        }
        double[] xd = (double[])x.Clone(), yd = inPlace ? xd : new double[x.Length], meanD = new double[rows], rstdD = new double[rows];
        if (kernel == "LnD") ShortRowKernels.LnD(xd, n, g, b, yd, meanD, rstdD);
        else ShortRowKernels.RmsD(xd, n, g, yd, rstdD);
        return (yd, meanD, rstdD);
    }

    /// <summary>
    /// Of two NaNs of different payloads in one row ("nan-pair"), which one survives depends on the operand order the JIT
    /// gave the adds of <c>Vector512.Sum</c> and the grouped rows' shuffle tree, and unoptimized code (a Debug build of
    /// NormGen.Runtime) orders them otherwise than optimized code. In the Release build a row alone and the same row in a
    /// batch kept different payloads in 1 run of 13 of this suite (GroupsOfFour_* on LnF, the nan-pair row in the last
    /// group), never twice in a row: timing-dependent, which points at tiered compilation (tier-0 and tier-1 code of
    /// the same method), not pinned down (a standalone row and batch gave the same payload at tier 0, tier 1 and MinOpts). IEEE 754 leaves the payload of an operation on two NaNs open; such
    /// rows are compared as NaN in both, every other element bit for bit (bench/NormGen.RowAB compares every payload of
    /// the Release build, after tier-up).
    /// </summary>
    internal static void AssertBitwise(string what, double[] expected, double[] actual)
    {
        bool anyNaNPayload = what.Contains("nan-pair", StringComparison.Ordinal);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i])
                && !(anyNaNPayload && double.IsNaN(expected[i]) && double.IsNaN(actual[i])))
                Assert.Fail($"{what}: element {i}: alone {expected[i]:R}, in batch {actual[i]:R}");
    }

    /// <summary>Each row of the batch against the row run alone: y, mean, rstd bit for bit.</summary>
    internal static void CheckRowsAlone(string kernel, double[] x, int n, double[] g, double[] b, string label, bool inPlace = false)
    {
        int rows = x.Length / n;
        var batch = Run(kernel, x, n, g, b, inPlace);
        for (int r = 0; r < rows; r++)
        {
            var alone = Run(kernel, x.AsSpan(r * n, n).ToArray(), n, g, b);
            AssertBitwise($"{label} row {r} y", alone.Y, batch.Y.AsSpan(r * n, n).ToArray());
            AssertBitwise($"{label} row {r} mean", alone.Mean, [batch.Mean[r]]);
            AssertBitwise($"{label} row {r} rstd", alone.Rstd, [batch.Rstd[r]]);
        }
    }

    public static IEnumerable<object[]> Kernels => [["LnF"], ["LnD"], ["RmsF"], ["RmsD"]];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EveryRow_EqualsRowAlone_Bitwise_AnyRowCount(string kernel)
        => CheckEveryRowAlone(kernel, Lengths, RowCounts, new Random(kernel.Length * 7 + 1));

    /// <summary>Batches of every length and row count given, each row against the row alone, out of place and in place.</summary>
    internal static void CheckEveryRowAlone(string kernel, int[] lengths, int[] rowCounts, Random rng)
    {
        foreach (int n in lengths)
        {
            var (g, b) = Reference.AffineParameters(rng, n);
            foreach (int rows in rowCounts)
            {
                double[] x = Batch(rng, rows, n, null, []);
                CheckRowsAlone(kernel, x, n, g, b, $"{kernel} n={n} rows={rows}");
                CheckRowsAlone(kernel, x, n, g, b, $"{kernel} n={n} rows={rows} in place", inPlace: true);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void SpecialRowsInsideThePipeline_EqualRowsAlone_Bitwise(string kernel)
    {
        var rng = new Random(kernel.Length * 13 + 5);
        int[][] places = [[0], [1], [2], [3], [6], [0, 1], [2, 5], [0, 3, 4, 6]];
        foreach (int n in new[] { 8, 16, 33, 64, 100, 128 })
        {
            var (g, b) = Reference.AffineParameters(rng, n);
            foreach (string special in new[] { "huge", "spike", "nan", "inf", "-inf", "outlier" })
                foreach (int[] at in places)
                {
                    double[] x = Batch(rng, 7, n, special, at);
                    CheckRowsAlone(kernel, x, n, g, b, $"{kernel} n={n} {special} at [{string.Join(",", at)}]");
                    CheckRowsAlone(kernel, x, n, g, b, $"{kernel} n={n} {special} at [{string.Join(",", at)}] in place", inPlace: true);
                }
        }
    }

    /// <summary>The batch against the double reference: a pipelined row that used another row's sums would be far off.</summary>
    [Theory]
    [InlineData("LnF", NormKind.LayerNorm, 1e-5)]
    [InlineData("LnD", NormKind.LayerNorm, 1e-5)]
    [InlineData("RmsF", NormKind.RmsNorm, 1.1920928955078125e-07)]
    [InlineData("RmsD", NormKind.RmsNorm, 2.220446049250313e-16)]
    [InlineData("Ln64F", NormKind.LayerNorm, 1e-5)]
    public void Batch_MatchesDoubleReference(string kernel, NormKind kind, double epsilon)
        => CheckAgainstReference(kernel, kind, epsilon, kernel == "Ln64F" ? [64] : Lengths, RowCounts, new Random(29));

    /// <summary>
    /// Batches of rows of different means and spreads (so a row normalised with its neighbour's statistics is far off),
    /// every length and row count given, against the double reference within the accuracy bound.
    /// </summary>
    internal static void CheckAgainstReference(string kernel, NormKind kind, double epsilon, int[] lengths, int[] rowCounts, Random rng)
    {
        double u = kernel.EndsWith('F') ? Math.Pow(2, -24) : Math.Pow(2, -53);
        foreach (int n in lengths)
            foreach (int rows in rowCounts)
            {
                var (x, g, b) = Reference.SpreadRows(rng, rows, n, kernel.EndsWith('F'));
                double[] y = Run(kernel, x, n, g, b).Y;
                double[] expected = Reference.Normalize(kind, kind == NormKind.LayerNorm ? Affine.ScaleAndBias : Affine.Scale, epsilon, x, n, g, b, out double[] terms);
                double tol = Reference.Tolerance(u, n);
                for (int i = 0; i < y.Length; i++)
                    if (!(Math.Abs(y[i] - expected[i]) <= tol * terms[i]))
                        Assert.Fail($"{kernel} n={n} rows={rows} row={i / n} col={i % n}: y={y[i]:R} reference={expected[i]:R}");
            }
    }

    /// <summary>
    /// Batches with x past 2 MiB: LayerNorm pipelined with the prefetching flag set; RMSNorm rows of at most 400 bytes in
    /// RowEngine.ShortRowsInMemory (64 and 100 floats, 48 doubles), longer ones (128 floats, 64 doubles) back on the one-row
    /// path: sampled rows, including the last three (drained after the pipeline's last pass 1) and a huge row and its
    /// neighbours (HugeRow, then the loop again), against the row alone, y and rstd bit for bit.
    /// </summary>
    [Theory]
    [InlineData("LnF", 64)]
    [InlineData("RmsF", 64)]
    [InlineData("LnD", 64)]
    [InlineData("RmsF", 100)]
    [InlineData("RmsF", 128)]
    [InlineData("RmsD", 48)]
    [InlineData("RmsD", 64)]
    public void LargeBatch_SampledRowsEqualRowsAlone_Bitwise(string kernel, int n)
    {
        int rows = (640000 + n - 1) / n; // x 2.56 MB as floats
        var rng = new Random(5 + n);
        var (g, b) = Reference.AffineParameters(rng, n);
        double[] x = Batch(rng, rows, n, "huge", [4321]);
        foreach (bool inPlace in new[] { false, true })
        {
            var batch = Run(kernel, x, n, g, b, inPlace);
            foreach (int r in new[] { 0, 1, 2, 3, 4320, 4321, 4322, rows - 3, rows - 2, rows - 1 })
            {
                var alone = Run(kernel, x.AsSpan(r * n, n).ToArray(), n, g, b);
                AssertBitwise($"{kernel} n={n} row {r} y{(inPlace ? " in place" : "")}", alone.Y, batch.Y.AsSpan(r * n, n).ToArray());
                AssertBitwise($"{kernel} n={n} row {r} rstd{(inPlace ? " in place" : "")}", alone.Rstd, [batch.Rstd[r]]);
            }
        }
    }

    /// <summary>
    /// Float LayerNorm's short rows run in groups of four (RowEngine.ShortRowGroups, on AVX-512): the four rows' sums in
    /// one shuffle tree, their statistics as vector lanes. A special row (huge, NaN, ±∞, a spike, an outlying first
    /// vector) at every position of batches of two or three groups with 0-3 rows left over must not change the other
    /// rows of its group, and must itself equal the row alone (NaN payloads included: two NaNs of different payloads in
    /// the first vector, whose group shift is formed in another order of additions). The other kernels take the
    /// one-row-a-step pipeline here, and must hold the same.
    /// </summary>
    [Theory]
    [InlineData("LnF")]
    [InlineData("Ln64F")]
    [InlineData("LnD")]
    [InlineData("RmsF")]
    public void GroupsOfFour_SpecialRowAtEveryPosition_EqualRowsAlone_Bitwise(string kernel)
    {
        var rng = new Random(kernel.Length * 17 + 3);
        foreach (int n in kernel == "Ln64F" ? new[] { 64 } : new[] { 16, 64, 100, 128 })
        {
            var (g, b) = Reference.AffineParameters(rng, n);
            foreach (int rows in new[] { 9, 10, 11, 12 })
                for (int at = 0; at < rows; at++)
                    foreach (string special in new[] { "huge", "nan", "inf", "-inf", "spike", "outlier", "nan-pair" })
                        CheckRowsAlone(kernel, Batch(rng, rows, n, special, [at]), n, g, b, $"{kernel} n={n} rows={rows} {special} at {at}", inPlace: at % 2 == 1);
        }
    }

    /// <summary>
    /// Two or three special rows in one group of four (two huge rows: the first goes to HugeRow and the groups start
    /// over after it; a huge row next to NaN and outlier rows), and a group of four with nothing special before and
    /// after: every row equals the row alone.
    /// </summary>
    [Theory]
    [InlineData("LnF")]
    [InlineData("Ln64F")]
    public void GroupsOfFour_SeveralSpecialRowsInOneGroup_EqualRowsAlone_Bitwise(string kernel)
    {
        var rng = new Random(kernel.Length * 19 + 11);
        (string Kind, int At)[][] layouts =
        [
            [("huge", 4), ("huge", 5)], [("huge", 4), ("huge", 7)], [("huge", 5), ("nan", 6)], [("nan", 4), ("huge", 6)],
            [("outlier", 4), ("huge", 5), ("inf", 7)], [("huge", 0), ("huge", 1), ("huge", 2), ("huge", 3)], [("outlier", 8), ("nan", 9)],
            [("nan-pair", 4), ("huge", 5), ("nan-pair", 6)], [("nan-pair", 0), ("inf", 2), ("nan-pair", 3)],
        ];
        foreach (int n in kernel == "Ln64F" ? new[] { 64 } : new[] { 33, 64 })
        {
            var (g, b) = Reference.AffineParameters(rng, n);
            foreach (var layout in layouts)
                foreach (int rows in new[] { 10, 13 })
                {
                    double[] x = Batch(rng, rows, n, null, []);
                    foreach (var (kind, at) in layout)
                        Special(kind, rng, n).CopyTo(x, at * n);
                    string label = $"{kernel} n={n} rows={rows} " + string.Join(",", layout.Select(l => $"{l.Kind}@{l.At}"));
                    CheckRowsAlone(kernel, x, n, g, b, label);
                    CheckRowsAlone(kernel, x, n, g, b, label + " in place", inPlace: true);
                }
        }
    }

    /// <summary>The compile-time 64-element row: the pipeline with its loops folded, against the row alone.</summary>
    [Fact]
    public void CompileTimeRow_EveryRowEqualsRowAlone_Bitwise()
    {
        var rng = new Random(64);
        var (g, b) = Reference.AffineParameters(rng, 64);
        foreach (int rows in RowCounts)
            foreach (string? special in new[] { null, "huge", "nan", "outlier" })
                CheckRowsAlone("Ln64F", Batch(rng, rows, 64, special, [1, 4]), 64, g, b, $"Ln64F rows={rows} {special}");
    }
}
