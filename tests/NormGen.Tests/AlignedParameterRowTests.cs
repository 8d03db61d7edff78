using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Xunit;

namespace NormGen.Tests;

/// <summary>Kernels whose batches of 8 rows or more run with γ and β copied into line-aligned scratch (RowEngine.AlignedParameters.cs).</summary>
public static partial class AlignedParameterKernels
{
    [LayerNorm(SaveStatistics = true)]
    public static partial void LnF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(SaveStatistics = true)]
    public static partial void LnD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y, Span<double> mean, Span<double> rstd);

    [RmsNorm(SaveStatistics = true)]
    public static partial void RmsF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> weight, Span<float> y, Span<float> rstd);

    [LayerNorm(768)]
    public static partial void Ln768F(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
}

/// <summary>
/// Calls of at least 8 rows copy γ and β into line-aligned scratch for the last pass when the user's γ is not on a vector
/// boundary. The copy holds the same values, so every row of such a batch must be bitwise the row computed alone (one
/// row: the user's γ and β), around the switch (7, 8, 9 rows), with γ and β at every misalignment, next to huge rows
/// (redone in HugeRow from the user's γ and β, after which the rows go on with the copy), NaN and ±∞ rows; in place too;
/// and the batch within the accuracy bound of the double reference.
/// </summary>
public class AlignedParameterRowTests
{
    // Past ShortRows' 8 vectors at every width (so VectorRows runs), with and without a tail, one and several blocks.
    private static readonly int[] Lengths = [129, 200, 256, 300, 768, 1000, 1025];
    private static readonly int[] RowCounts = [1, 7, 8, 9, 16, 21];

    /// <summary>
    /// <paramref name="values"/> as T in a pinned array, starting <paramref name="misalign"/> elements past a 64-byte
    /// line (0: on the line, which takes no copy; 1 … 64/size(T) − 1: never on one); free the handle after the call.
    /// </summary>
    private static ArraySegment<T> Place<T>(double[] values, int misalign, Func<double, T> convert, out GCHandle handle) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>(), line = 64 / size;
        T[] array = new T[values.Length + 2 * line];
        handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        long address = handle.AddrOfPinnedObject();
        int start = (int)((64 - address % 64) % 64) / size + misalign % line;
        for (int i = 0; i < values.Length; i++) array[start + i] = convert(values[i]);
        return new ArraySegment<T>(array, start, values.Length);
    }

    private static double[] Batch(Random rng, int rows, int n, string? special, int[] at)
    {
        double[] x = Reference.Normal(rng, rows * n, 5, 2);
        if (special is not null)
            foreach (int r in at.Where(r => r < rows))
                (special switch
                {
                    "huge" => Enumerable.Range(0, n).Select(i => i % 3 == 0 ? 3e38 : -1e38).ToArray(),
                    "nan" => Enumerable.Range(0, n).Select(i => i == n - 1 ? double.NaN : rng.NextDouble()).ToArray(),
                    "inf" => Enumerable.Range(0, n).Select(i => i == 0 ? double.PositiveInfinity : rng.NextDouble()).ToArray(),
                    "-inf" => Enumerable.Range(0, n).Select(i => i == n / 3 ? double.NegativeInfinity : rng.NextDouble()).ToArray(),
                    "outlier" => Enumerable.Range(0, n).Select(i => i < 4 ? 1000 + i : rng.NextDouble()).ToArray(),
                    _ => throw new ArgumentException(special),
                }).CopyTo(x, r * n);
        return x;
    }

    /// <summary>
    /// Runs a kernel on float or double copies, γ and β <paramref name="offset"/> elements past a 64-byte line; returns
    /// y, mean (zeros for RMSNorm), rstd as doubles.
    /// </summary>
    private static (double[] Y, double[] Mean, double[] Rstd) Run(string kernel, double[] x, int n, double[] g, double[] b, int offset, bool inPlace = false)
    {
        int rows = x.Length / n;
        if (kernel.EndsWith('F'))
        {
            float[] xf = x.Select(v => (float)v).ToArray();
            ArraySegment<float> gs = Place(g, offset, v => (float)v, out GCHandle gh), bs = Place(b, offset, v => (float)v, out GCHandle bh);
            float[] y = inPlace ? xf : new float[x.Length], mean = new float[rows], rstd = new float[rows];
            if (kernel == "LnF") AlignedParameterKernels.LnF(xf, n, gs, bs, y, mean, rstd);
            else if (kernel == "RmsF") AlignedParameterKernels.RmsF(xf, n, gs, y, rstd);
            else AlignedParameterKernels.Ln768F(xf, gs, bs, y);
            gh.Free();
            bh.Free();
            return (y.Select(v => (double)v).ToArray(), mean.Select(v => (double)v).ToArray(), rstd.Select(v => (double)v).ToArray());
        }
        ArraySegment<double> gd = Place(g, offset, v => v, out GCHandle gdh), bd = Place(b, offset, v => v, out GCHandle bdh);
        double[] xd = (double[])x.Clone(), yd = inPlace ? xd : new double[x.Length], meanD = new double[rows], rstdD = new double[rows];
        AlignedParameterKernels.LnD(xd, n, gd, bd, yd, meanD, rstdD);
        gdh.Free();
        bdh.Free();
        return (yd, meanD, rstdD);
    }

    /// <summary>Every element of y within the double reference's bound (unit roundoff u, row length n) of its value.</summary>
    private static void AssertNearReference(NormKind kind, double epsilon, double u, double[] x, int n, double[] g, double[] b, double[] y, string label)
    {
        double[] expected = Reference.Normalize(kind, kind == NormKind.LayerNorm ? Affine.ScaleAndBias : Affine.Scale, epsilon, x, n, g, b, out double[] terms);
        double tol = Reference.Tolerance(u, n);
        for (int i = 0; i < y.Length; i++)
            if (!(Math.Abs(y[i] - expected[i]) <= tol * terms[i]))
                Assert.Fail($"{label} row={i / n} col={i % n}: y={y[i]:R} reference={expected[i]:R}");
    }

    private static void AssertBitwise(string what, double[] expected, double[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
                Assert.Fail($"{what}: element {i}: alone {expected[i]:R}, in batch {actual[i]:R}");
    }

    private static void CheckRowsAlone(string kernel, double[] x, int n, double[] g, double[] b, int offset, string label, bool inPlace = false)
    {
        int rows = x.Length / n;
        var batch = Run(kernel, x, n, g, b, offset, inPlace);
        for (int r = 0; r < rows; r++)
        {
            var alone = Run(kernel, x.AsSpan(r * n, n).ToArray(), n, g, b, offset);
            AssertBitwise($"{label} row {r} y", alone.Y, batch.Y.AsSpan(r * n, n).ToArray());
            AssertBitwise($"{label} row {r} mean", alone.Mean, [batch.Mean[r]]);
            AssertBitwise($"{label} row {r} rstd", alone.Rstd, [batch.Rstd[r]]);
        }
    }

    public static IEnumerable<object[]> Kernels => [["LnF"], ["LnD"], ["RmsF"]];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EveryRow_EqualsRowAlone_Bitwise_AroundTheSwitch(string kernel)
    {
        var rng = new Random(kernel.Length * 11 + 3);
        foreach (int n in Lengths)
        {
            var (g, b) = Reference.AffineParameters(rng, n);
            foreach (int rows in RowCounts)
            {
                int offset = 1 + (n + rows) % 7; // 1 … 7: misaligned for float and double
                double[] x = Batch(rng, rows, n, null, []);
                CheckRowsAlone(kernel, x, n, g, b, offset, $"{kernel} n={n} rows={rows} γ offset {offset}");
                CheckRowsAlone(kernel, x, n, g, b, offset, $"{kernel} n={n} rows={rows} γ offset {offset} in place", inPlace: true);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void SpecialRows_EqualRowsAlone_Bitwise(string kernel)
    {
        var rng = new Random(kernel.Length * 17 + 9);
        int[][] places = [[0], [4], [8], [0, 1], [3, 7, 8]];
        foreach (int n in new[] { 200, 768 })
        {
            var (g, b) = Reference.AffineParameters(rng, n);
            foreach (string special in new[] { "huge", "nan", "inf", "-inf", "outlier" })
                foreach (int[] at in places)
                {
                    double[] x = Batch(rng, 9, n, special, at);
                    CheckRowsAlone(kernel, x, n, g, b, 3, $"{kernel} n={n} {special} at [{string.Join(",", at)}]");
                    CheckRowsAlone(kernel, x, n, g, b, 5, $"{kernel} n={n} {special} at [{string.Join(",", at)}] in place", inPlace: true);
                }
        }
    }

    /// <summary>Every misalignment of γ and β (and the aligned one, which does not copy) gives the same bits.</summary>
    [Fact]
    public void EveryParameterOffset_GivesTheSameBits()
    {
        var rng = new Random(768);
        var (g, b) = Reference.AffineParameters(rng, 768);
        double[] x = Batch(rng, 12, 768, "outlier", [5]);
        var first = Run("Ln768F", x, 768, g, b, 0);
        for (int offset = 1; offset < 16; offset++)
        {
            var other = Run("Ln768F", x, 768, g, b, offset);
            AssertBitwise($"Ln768F γ offset {offset}", first.Y, other.Y);
        }
        CheckRowsAlone("Ln768F", x, 768, g, b, 7, "Ln768F γ offset 7");
    }

    /// <summary>The batch against the double reference: a row normalised with a wrong γ or β (a bad copy) would be far off.</summary>
    [Theory]
    [InlineData("LnF", NormKind.LayerNorm, 1e-5)]
    [InlineData("LnD", NormKind.LayerNorm, 1e-5)]
    [InlineData("RmsF", NormKind.RmsNorm, 1.1920928955078125e-07)]
    public void Batch_MatchesDoubleReference(string kernel, NormKind kind, double epsilon)
    {
        var rng = new Random(31);
        double u = kernel.EndsWith('F') ? Math.Pow(2, -24) : Math.Pow(2, -53);
        foreach (int n in Lengths)
            foreach (int rows in new[] { 8, 13 })
            {
                var (x, g, b) = Reference.SpreadRows(rng, rows, n, kernel.EndsWith('F'));
                double[] y = Run(kernel, x, n, g, b, 1 + rows % 5).Y;
                AssertNearReference(kind, epsilon, u, x, n, g, b, y, $"{kernel} n={n} rows={rows}");
            }
    }

    /// <summary>
    /// Runs a kernel with x and y (in place: one array, x's values overwritten) <paramref name="yOffset"/> elements past a
    /// 64-byte line and γ and β <paramref name="gOffset"/> past one; returns y, mean (zeros for RMSNorm), rstd as doubles.
    /// </summary>
    private static (double[] Y, double[] Mean, double[] Rstd) RunAtY(string kernel, double[] x, int n, double[] g, double[] b, int gOffset, int yOffset,
        bool inPlace)
    {
        int rows = x.Length / n;
        if (kernel.EndsWith('F'))
        {
            ArraySegment<float> gs = Place(g, gOffset, v => (float)v, out GCHandle gh), bs = Place(b, gOffset, v => (float)v, out GCHandle bh);
            ArraySegment<float> xs = Place(x, yOffset, v => (float)v, out GCHandle xh);
            GCHandle yh = default;
            ArraySegment<float> ys = inPlace ? xs : Place(new double[x.Length], yOffset, v => (float)v, out yh);
            float[] mean = new float[rows], rstd = new float[rows];
            if (kernel == "LnF") AlignedParameterKernels.LnF(xs, n, gs, bs, ys, mean, rstd);
            else if (kernel == "RmsF") AlignedParameterKernels.RmsF(xs, n, gs, ys, rstd);
            else AlignedParameterKernels.Ln768F(xs, gs, bs, ys);
            double[] y = ys.Select(v => (double)v).ToArray();
            foreach (GCHandle h in new[] { gh, bh, xh, yh })
                if (h.IsAllocated) h.Free();
            return (y, mean.Select(v => (double)v).ToArray(), rstd.Select(v => (double)v).ToArray());
        }
        ArraySegment<double> gd = Place(g, gOffset, v => v, out GCHandle gdh), bd = Place(b, gOffset, v => v, out GCHandle bdh);
        ArraySegment<double> xd = Place(x, yOffset, v => v, out GCHandle xdh);
        GCHandle ydh = default;
        ArraySegment<double> yd = inPlace ? xd : Place(new double[x.Length], yOffset, v => v, out ydh);
        double[] meanD = new double[rows], rstdD = new double[rows];
        AlignedParameterKernels.LnD(xd, n, gd, bd, yd, meanD, rstdD);
        double[] yOut = yd.ToArray();
        foreach (GCHandle h in new[] { gdh, bdh, xdh, ydh })
            if (h.IsAllocated) h.Free();
        return (yOut, meanD, rstdD);
    }

    /// <summary>
    /// Every row of a batch at y offset <paramref name="yOffset"/> (where the last pass starts at y's first vector
    /// boundary, γ and β copied at y's offset within a line) bitwise the row alone (one row: no copy, the pass from 0).
    /// </summary>
    private static void CheckRowsAloneAtY(string kernel, double[] x, int n, double[] g, double[] b, int gOffset, int yOffset, bool inPlace, string label)
    {
        int rows = x.Length / n;
        var batch = RunAtY(kernel, x, n, g, b, gOffset, yOffset, inPlace);
        for (int r = 0; r < rows; r++)
        {
            var alone = Run(kernel, x.AsSpan(r * n, n).ToArray(), n, g, b, gOffset);
            AssertBitwise($"{label} row {r} y", alone.Y, batch.Y.AsSpan(r * n, n).ToArray());
            AssertBitwise($"{label} row {r} mean", alone.Mean, [batch.Mean[r]]);
            AssertBitwise($"{label} row {r} rstd", alone.Rstd, [batch.Rstd[r]]);
        }
    }

    /// <summary>
    /// y at every offset within a line (0 … 15 floats, 0 … 7 doubles), row strides a multiple of a line (768, 256, 1024:
    /// the last pass from y's vector boundary) and not (1000: a multiple of 32 bytes only, 200, 129), separate and in place.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kernels))]
    public void EveryYOffset_EveryRow_EqualsRowAlone_Bitwise(string kernel)
    {
        var rng = new Random(kernel.Length * 23 + 5);
        int line = kernel.EndsWith('F') ? 16 : 8;
        foreach (int n in new[] { 768, 256, 1024, 1000, 200, 129 })
        {
            var (g, b) = Reference.AffineParameters(rng, n);
            double[] x = Batch(rng, 9, n, null, []);
            for (int yOffset = 0; yOffset < line; yOffset++)
            {
                int gOffset = 1 + (n + yOffset) % (line - 1); // never on a line: the copy runs
                CheckRowsAloneAtY(kernel, x, n, g, b, gOffset, yOffset, false, $"{kernel} n={n} y offset {yOffset} γ offset {gOffset}");
                CheckRowsAloneAtY(kernel, x, n, g, b, gOffset, yOffset, true, $"{kernel} n={n} y offset {yOffset} γ offset {gOffset} in place");
            }
        }
    }

    /// <summary>The fixed-length kernel (its loops folded) at every y offset, with NaN, ±∞, huge and outlying rows among the others.</summary>
    [Fact]
    public void Ln768F_EveryYOffset_SpecialRows_EqualRowsAlone_Bitwise()
    {
        var rng = new Random(7680);
        var (g, b) = Reference.AffineParameters(rng, 768);
        foreach (string special in new[] { "nan", "inf", "-inf", "huge", "outlier" })
        {
            double[] x = Batch(rng, 10, 768, special, [0, 4, 9]);
            for (int yOffset = 0; yOffset < 16; yOffset++)
            {
                CheckRowsAloneAtY("Ln768F", x, 768, g, b, 3, yOffset, false, $"Ln768F {special} y offset {yOffset}");
                CheckRowsAloneAtY("Ln768F", x, 768, g, b, 3, yOffset, true, $"Ln768F {special} y offset {yOffset} in place");
            }
        }
    }

    /// <summary>Rows at y offsets off a line against the double reference (a lane peeled twice or missed would be far off).</summary>
    [Theory]
    [InlineData("LnF", NormKind.LayerNorm, 1e-5)]
    [InlineData("LnD", NormKind.LayerNorm, 1e-5)]
    [InlineData("RmsF", NormKind.RmsNorm, 1.1920928955078125e-07)]
    public void YOffsets_MatchDoubleReference(string kernel, NormKind kind, double epsilon)
    {
        var rng = new Random(37);
        double u = kernel.EndsWith('F') ? Math.Pow(2, -24) : Math.Pow(2, -53);
        foreach (int n in new[] { 768, 1024 })
            foreach (int yOffset in new[] { 1, 5, 7 })
            {
                int rows = 9;
                var (x, g, b) = Reference.SpreadRows(rng, rows, n, kernel.EndsWith('F'));
                double[] y = RunAtY(kernel, x, n, g, b, 2, yOffset, inPlace: yOffset == 5).Y;
                AssertNearReference(kind, epsilon, u, x, n, g, b, y, $"{kernel} n={n} y offset {yOffset}");
            }
    }
}
