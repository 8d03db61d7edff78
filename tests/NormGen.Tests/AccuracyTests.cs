using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Tests;

/// <summary>Every kernel against the double reference, at every row length 1…200 (run-time row length) and at the static sizes.</summary>
public class AccuracyTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> DynamicNames => KernelCase.AllDynamic.Select(c => new object[] { c.Name });
    public static IEnumerable<object[]> StaticNames => KernelCase.AllStatic.Select(c => new object[] { c.Name });

    /// <summary>
    /// Row lengths 1…200 cover every tail length of every vector width (16/8/4 floats, 8/4/2 doubles), rows shorter
    /// than each width (scalar path) and several 4-vector blocks. Three rows each: centred, off-centre, far off-centre.
    /// </summary>
    [Theory]
    [MemberData(nameof(DynamicNames))]
    public void RunTimeRowLength_1To200_MatchesReference(string name)
    {
        KernelCase c = KernelCase.Get(name);
        var rng = new Random(name.GetHashCode(StringComparison.Ordinal) & 0xffff);
        var stats = new ErrorStats();
        for (int n = 1; n <= 200; n++)
            CheckAgainstReference(c, n, rows: 3, rng, [(0, 1), (5, 2), (-30, 0.5)], stats);
        output.WriteLine($"{name} n=1..200: {stats}");
    }

    /// <summary>
    /// One row per call, every row length 1…200: the generated method's inlined one-row path (RowEngine.InlinedOneRow, a
    /// spec without residual or activation at the widest vectors) and, for a row shorter than those vectors, the row
    /// method's one-row instance. Each of three rows (centred, off-centre, far off-centre) alone is within tolerance of
    /// the double reference and bitwise the same row computed in a batch of three (the row loop).
    /// </summary>
    [Theory]
    [MemberData(nameof(DynamicNames))]
    public void OneRowCalls_1To200_MatchReferenceAndBatch(string name)
    {
        KernelCase c = KernelCase.Get(name);
        var rng = new Random(name.GetHashCode(StringComparison.Ordinal) & 0xffff ^ 0x5a5a);
        (double Mean, double Std)[] rowStats = [(0, 1), (5, 2), (-30, 0.5)];
        for (int n = 1; n <= 200; n++)
        {
            double[] x = c.Round(rowStats.SelectMany(s => Reference.Normal(rng, n, s.Mean, s.Std)).ToArray());
            var (g, b) = Reference.AffineParameters(rng, n);
            g = c.Round(g); b = c.Round(b);
            double[] batch = c.Run(x, n, g, b);
            double tol = Reference.Tolerance(c.ComputeEpsilon, n);
            for (int r = 0; r < rowStats.Length; r++)
            {
                double[] row = x.AsSpan(r * n, n).ToArray();
                double[] alone = c.Run(row, n, g, b);
                double[] expected = Reference.Normalize(c.Kind, c.Affine, c.Epsilon, row, n, g, b, out double[] terms);
                for (int i = 0; i < n; i++)
                {
                    Assert.True(BitConverter.DoubleToInt64Bits(alone[i]) == BitConverter.DoubleToInt64Bits(batch[r * n + i]),
                        $"{name} n={n} row {r} element {i}: alone {alone[i]:R}, in a batch {batch[r * n + i]:R}");
                    double allowed = tol * terms[i] + (c.IsHalf ? 0.5 * Reference.HalfUlp(expected[i]) : 0);
                    Assert.True(Math.Abs(alone[i] - expected[i]) <= allowed,
                        $"{name} n={n} row {r} element {i}: y={alone[i]:R} reference={expected[i]:R} allowed={allowed:E3}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(StaticNames))]
    public void StaticShape_MatchesReference(string name)
    {
        KernelCase c = KernelCase.Get(name);
        var rng = new Random(c.StaticRowLength * 31 + (int)c.Kind);
        var stats = new ErrorStats();
        int rows = Math.Clamp(40000 / c.StaticRowLength, 3, 64);
        CheckAgainstReference(c, c.StaticRowLength, rows, rng, [(0, 1), (5, 2), (-30, 0.5), (0, 1e-3), (100, 10)], stats);
        output.WriteLine($"{name}: {stats}");
    }

    /// <summary>
    /// Runs <paramref name="c"/> on <paramref name="rows"/> random rows of length <paramref name="n"/> (row r drawn from
    /// the r-th (mean, std) pair, cycling) and asserts every element is within tolerance of the reference.
    /// Float/double: |y − ref| ≤ <see cref="Reference.Tolerance"/>·terms. Half: the reference is computed on the
    /// Half-rounded x, γ, β; the kernel computes in float and rounds once on store, which costs at most ½ Half ulp at
    /// the result, plus the float computation's own error (same float tolerance). A Half accumulation or a double
    /// rounding would cost several ulps and fail.
    /// </summary>
    internal static void CheckAgainstReference(KernelCase c, int n, int rows, Random rng, (double Mean, double Std)[] rowStats, ErrorStats stats)
    {
        var x = new double[rows * n];
        for (int r = 0; r < rows; r++)
        {
            var (mean, std) = rowStats[r % rowStats.Length];
            Reference.Normal(rng, n, mean, std).CopyTo(x, r * n);
        }
        var (g, b) = Reference.AffineParameters(rng, n);
        x = c.Round(x); g = c.Round(g); b = c.Round(b);

        double[] y = c.Run(x, n, g, b);
        double[] expected = Reference.Normalize(c.Kind, c.Affine, c.Epsilon, x, n, g, b, out double[] terms);
        double tol = Reference.Tolerance(c.ComputeEpsilon, n);
        for (int i = 0; i < y.Length; i++)
        {
            stats.Add(y[i], expected[i], terms[i], c.ComputeEpsilon, $"{c.Name} n={n} row={i / n} col={i % n}");
            double allowed = tol * terms[i] + (c.IsHalf ? 0.5 * Reference.HalfUlp(expected[i]) : 0);
            double err = Math.Abs(y[i] - expected[i]);
            if (!(err <= allowed))
                Assert.Fail($"{c.Name} n={n} row={i / n} col={i % n}: y={y[i]:R} reference={expected[i]:R} error={err:E3} allowed={allowed:E3}");
        }
    }
}
