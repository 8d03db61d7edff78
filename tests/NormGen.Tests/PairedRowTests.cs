using System;
using System.Linq;
using Xunit;
using static NormGen.Tests.ShortRowPipelineTests;

namespace NormGen.Tests;

/// <summary>
/// LayerNorm rows of 9 vectors to 3 KiB in cache, and of 16 KiB to 256 KiB in cache and past L2, run two at a time on AVX-512
/// (RowEngine.PairedRows, LongPairedRows): both rows' pass 1
/// interleaved, both rows' statistics, the next pair's pass 1, then both rows' last passes in one loop (γ and β loaded
/// once for the two). Every row of a batch must
/// still be bitwise the row computed alone (the one-row path), at either place in its pair, with odd counts (the last
/// row alone), next to huge rows (the first or the second of a pair left to HugeRow), NaN, ±∞ and outlying rows; with γ
/// and β copied at y's phase (eight rows or more, y at every offset within a vector); out of place and in place; and
/// within the accuracy bound of the double reference. RMSNorm rows of the same lengths (one row at a time: pairing did
/// not pay there) and the other ISA paths must hold the same.
/// </summary>
public class PairedRowTests
{
    /// <summary>Float rows from just past the short-row pipeline's 8 vectors (128 floats) to 3 KiB, and one past it.</summary>
    private static readonly int[] FloatLengths = [129, 144, 200, 256, 300, 512, 768, 769];

    /// <summary>Double rows from just past 8 vectors (64 doubles) to 3 KiB (384), and one past it.</summary>
    private static readonly int[] DoubleLengths = [65, 100, 200, 384, 385];

    private static readonly int[] RowCounts = [2, 3, 8, 9, 11];

    [Theory]
    [InlineData("LnF")]
    [InlineData("LnD")]
    [InlineData("RmsF")]
    [InlineData("RmsD")]
    public void EveryRow_EqualsRowAlone_Bitwise(string kernel)
        => CheckEveryRowAlone(kernel, kernel.EndsWith('F') ? FloatLengths : DoubleLengths, RowCounts, new Random(kernel.Length * 31 + 7));

    /// <summary>
    /// A special row as the first of a pair (the pair stops before writing either row), as the second (the first row
    /// written, then HugeRow), both rows of a pair, in two pairs, and as the odd last row.
    /// </summary>
    [Theory]
    [InlineData("LnF", 256)]
    [InlineData("LnF", 768)]
    [InlineData("LnD", 200)]
    [InlineData("Ln768F", 768)]
    [InlineData("RmsF", 256)]
    [InlineData("RmsD", 130)]
    public void SpecialRows_EqualRowsAlone_Bitwise(string kernel, int n)
    {
        var rng = new Random(n + kernel.Length);
        var (g, b) = Reference.AffineParameters(rng, n);
        int[][] places = [[0], [1], [0, 1], [2, 5], [8]];
        foreach (string special in new[] { "huge", "spike", "nan", "inf", "-inf", "outlier", "nan-pair" })
            foreach (int[] at in places)
                foreach (int rows in new[] { 3, 9 })
                {
                    double[] x = Batch(rng, rows, n, special, at);
                    string label = $"{kernel} n={n} rows={rows} {special} at [{string.Join(",", at)}]";
                    CheckRowsAlone(kernel, x, n, g, b, label);
                    CheckRowsAlone(kernel, x, n, g, b, label + " in place", inPlace: true);
                }
    }

    /// <summary>
    /// Eight rows and more copy γ (and β) where y's rows start (the last pass from y's first vector boundary): x, y, γ and
    /// β at every element offset within a 64-byte line, so every head (0-15 floats) is taken, out of place and in place,
    /// for the run-time and the compile-time length; each row bitwise the row alone at offset 0.
    /// </summary>
    [Theory]
    [InlineData("LnF", 256)]
    [InlineData("LnF", 300)]
    [InlineData("Ln768F", 768)]
    [InlineData("RmsF", 256)]
    [InlineData("LnF", 4096)] // long rows in cache, paired (LongPairedRows), from c.Head
    [InlineData("LnF", 5000)]
    public void EveryOffset_EqualsRowAlone_Bitwise(string kernel, int n)
    {
        var rng = new Random(n * 3 + kernel.Length);
        var (g, b) = Reference.AffineParameters(rng, n);
        foreach (int rows in new[] { 8, 9 })
        {
            double[] x = Batch(rng, rows, n, "huge", [5]);
            var alone = Enumerable.Range(0, rows).Select(r => Run(kernel, x.AsSpan(r * n, n).ToArray(), n, g, b).Y).ToArray();
            for (int offset = 0; offset < 16; offset++)
                foreach (bool inPlace in new[] { false, true })
                {
                    float[] xs = new float[x.Length + 32], ys = inPlace ? xs : new float[x.Length + 32];
                    float[] gs = new float[n + 32], bs = new float[n + 32];
                    int xo = offset, yo = inPlace ? offset : (offset * 7 + 3) % 16, go = (offset * 5 + 1) % 16, bo = (offset * 11 + 2) % 16;
                    for (int i = 0; i < x.Length; i++) xs[xo + i] = (float)x[i];
                    for (int i = 0; i < n; i++)
                    {
                        gs[go + i] = (float)g[i];
                        bs[bo + i] = (float)b[i];
                    }
                    var xSpan = xs.AsSpan(xo, x.Length);
                    var ySpan = ys.AsSpan(yo, x.Length);
                    if (kernel == "Ln768F") ShortRowKernels.Ln768F(xSpan, gs.AsSpan(go, n), bs.AsSpan(bo, n), ySpan);
                    else if (kernel == "RmsF") ShortRowKernels.RmsF(xSpan, n, gs.AsSpan(go, n), ySpan, new float[rows]);
                    else ShortRowKernels.LnF(xSpan, n, gs.AsSpan(go, n), bs.AsSpan(bo, n), ySpan, new float[rows], new float[rows]);
                    double[] y = ySpan.ToArray().Select(v => (double)v).ToArray();
                    for (int r = 0; r < rows; r++)
                        AssertBitwise($"{kernel} n={n} rows={rows} offsets x {xo} y {yo} γ {go} β {bo}{(inPlace ? " in place" : "")} row {r}",
                            alone[r], y.AsSpan(r * n, n).ToArray());
                }
        }
    }

    /// <summary>
    /// Rows in cache, short pairs (up to 3 KiB: 200 and 768 floats), long pairs (LongPairedRows: 4,096 and 5,000) and
    /// rows one at a time between them (1,024 and 2,000 floats: VectorRows' last pass in blocks), whose y starts 4 to 300
    /// bytes past x within a 4 KiB page (x and y in one array): in the zone (1 or, but for the long pairs, 33 to 256
    /// bytes: RowEngine.YJustPastSource) the last pass goes down the rows, else up; each row bitwise the row alone, with a
    /// huge row as the second of a pair.
    /// </summary>
    [Theory]
    [InlineData(200)]
    [InlineData(768)]
    [InlineData(1024)]
    [InlineData(2000)]
    [InlineData(4096)]
    [InlineData(5000)]
    public void RowsInCache_YJustPastX_EqualRowsAlone_Bitwise(int n) => CheckYJustPastX(n, [4, 32, 36, 56, 64, 200, 252, 256, 300], "");

    /// <summary>
    /// Nine LnF rows of <paramref name="n"/> floats (a huge row as the second of a pair) with y <paramref name="deltas"/>
    /// bytes past x's place in a 4 KiB page (x and y in one array): every row bitwise the row alone.
    /// </summary>
    internal static void CheckYJustPastX(int n, int[] deltas, string label)
    {
        var rng = new Random(n * 5 + 1);
        var (g, b) = Reference.AffineParameters(rng, n);
        const int rows = 9;
        double[] x = Batch(rng, rows, n, "huge", [5]);
        var alone = Enumerable.Range(0, rows).Select(r => Run("LnF", x.AsSpan(r * n, n).ToArray(), n, g, b).Y).ToArray();
        float[] gf = g.Select(v => (float)v).ToArray(), bf = b.Select(v => (float)v).ToArray();
        int length = rows * n, yStart = (length + 1023) / 1024 * 1024; // y at x's place in a page, then on
        foreach (int delta in deltas)
        {
            float[] data = new float[yStart + delta / 4 + length];
            for (int i = 0; i < length; i++) data[i] = (float)x[i];
            Span<float> y = data.AsSpan(yStart + delta / 4, length);
            ShortRowKernels.LnF(data.AsSpan(0, length), n, gf, bf, y, new float[rows], new float[rows]);
            double[] yd = y.ToArray().Select(v => (double)v).ToArray();
            for (int r = 0; r < rows; r++)
                AssertBitwise($"LnF n={n}{label} y {delta} B past x, row {r}", alone[r], yd.AsSpan(r * n, n).ToArray());
        }
    }

    /// <summary>
    /// Rows of at most 1 KiB stay paired past 512 KiB of x (up to the prefetching threshold, 2 MiB): a batch of 640 KB
    /// with huge rows as the first and the second of a pair, every row against the row alone, out of place and in place.
    /// </summary>
    [Theory]
    [InlineData("LnF", 200)]
    [InlineData("LnD", 100)]
    public void PastL2_ShortRows_EqualRowsAlone_Bitwise(string kernel, int n)
    {
        var rng = new Random(n + 77);
        var (g, b) = Reference.AffineParameters(rng, n);
        int rows = 640_000 / (n * (kernel.EndsWith('F') ? 4 : 8)) + 1;
        double[] x = Batch(rng, rows, n, "huge", [100, 203, rows - 1]);
        CheckRowsAlone(kernel, x, n, g, b, $"{kernel} n={n} rows={rows}");
        CheckRowsAlone(kernel, x, n, g, b, $"{kernel} n={n} rows={rows} in place", inPlace: true);
    }

    /// <summary>
    /// Rows of 16 KiB and more in cache (under 2 MiB of x) run two at a time too (RowEngine.LongPairedRows, without
    /// prefetching): 2, 3 and 9 rows with a huge, NaN or outlying row first (the first of a pair), second (the second of
    /// a pair) or last (an odd last row alone), every row against the row alone, out of place and in place.
    /// </summary>
    [Theory]
    [InlineData("LnF", 4096)]
    [InlineData("LnF", 5000)]
    [InlineData("LnF", 8192)]
    [InlineData("LnD", 2048)]
    public void LongRowsInCache_EqualRowsAlone_Bitwise(string kernel, int n)
    {
        var rng = new Random(n + 3);
        var (g, b) = Reference.AffineParameters(rng, n);
        foreach (int rows in new[] { 2, 3, 9 })
            foreach (int at in new[] { 0, 1, rows - 1 })
                foreach (string special in new[] { "huge", "nan", "outlier" })
                {
                    double[] x = Batch(rng, rows, n, special, [at]);
                    if (special == "huge" && !kernel.EndsWith('F')) // about 3e38 overflows only a float's squares
                        for (int i = at * n; i < (at + 1) * n; i++)
                            x[i] *= 1e268;
                    string label = $"{kernel} n={n} rows={rows} {special} at {at}";
                    CheckRowsAlone(kernel, x, n, g, b, label);
                    CheckRowsAlone(kernel, x, n, g, b, label + " in place", inPlace: true);
                }
    }

    /// <summary>
    /// Rows of 16 KiB and more in a call past L2 (over 2 MiB of x, the rows prefetched) run two at a time too
    /// (RowEngine.LongPairedRows: each pair's pass 1, then both last passes in one loop that prefetches the next pair): an
    /// odd number of rows with huge rows as the first of a pair (row 2), the second (row 6) and the odd last row, every
    /// row against the row alone, out of place and in place.
    /// </summary>
    [Theory]
    [InlineData("LnF", 4096)]
    [InlineData("LnF", 5000)]
    [InlineData("LnD", 2048)]
    public void LongRowsPastL2_EqualRowsAlone_Bitwise(string kernel, int n)
        => CheckLongRowsAlone(kernel, n, new Random(n + 5), "");

    /// <summary>
    /// An odd number of rows of <paramref name="n"/> past 2 MiB (prefetched), huge rows as the first of a pair (row 2), the
    /// second (row 6: after row 2 the pairs start again at 3) and the odd last row: every row against the row alone, out of place and in place. Returns the batch
    /// and its γ and β.
    /// </summary>
    internal static (double[] X, double[] G, double[] B) CheckLongRowsAlone(string kernel, int n, Random rng, string label)
    {
        var (g, b) = Reference.AffineParameters(rng, n);
        int rows = 2_200_000 / (n * (kernel.EndsWith('F') ? 4 : 8)) | 1;
        double[] x = Batch(rng, rows, n, "huge", [2, 6, rows - 1]);
        if (!kernel.EndsWith('F')) // about 3e38 overflows only a float's squares: a double row's must be huger still
            foreach (int huge in new[] { 2, 6, rows - 1 })
                for (int i = huge * n; i < (huge + 1) * n; i++)
                    x[i] *= 1e268;
        CheckRowsAlone(kernel, x, n, g, b, $"{kernel} n={n} rows={rows}{label}");
        CheckRowsAlone(kernel, x, n, g, b, $"{kernel} n={n} rows={rows}{label} in place", inPlace: true);
        return (x, g, b);
    }

    /// <summary>The batch against the double reference: a paired row normalised with its partner's statistics would be far off.</summary>
    [Theory]
    [InlineData("LnF", NormKind.LayerNorm, 1e-5)]
    [InlineData("LnD", NormKind.LayerNorm, 1e-5)]
    [InlineData("Ln768F", NormKind.LayerNorm, 1e-5)]
    [InlineData("RmsF", NormKind.RmsNorm, 1.1920928955078125e-07)]
    [InlineData("RmsD", NormKind.RmsNorm, 2.220446049250313e-16)]
    public void Batch_MatchesDoubleReference(string kernel, NormKind kind, double epsilon)
        => CheckAgainstReference(kernel, kind, epsilon, kernel == "Ln768F" ? [768] : kernel.EndsWith('F') ? FloatLengths : DoubleLengths, RowCounts,
            new Random(kernel.Length + 41));
}

/// <summary>
/// LongPairedRows with non-temporal stores (the output past the streaming threshold, set to 0 here): both rows' last
/// passes stream from y's first vector boundary (RowEngine.JointLastPass with NonTemporalStores). Every row bitwise the row alone, with
/// huge rows as the first and the second of a pair and as the odd last row, out of place and in place, and with x and y
/// at several element offsets within a line (the rows' y then start off a vector: their first and last vectors go
/// through the cache).
/// </summary>
[Collection(SettingsCollection.Name)]
public class PairedStreamingRowTests
{
    [Theory]
    [InlineData("LnF", 4096)]
    [InlineData("LnF", 8200)] // rows 32 B off a whole number of vectors: their y at different phases, one at a time
    [InlineData("LnD", 2048)]
    public void StreamedLongRows_EqualRowsAlone_Bitwise(string kernel, int n)
    {
        long threshold = NormGenSettings.StreamingStoreThreshold;
        NormGenSettings.StreamingStoreThreshold = 0;
        try
        {
            var (x, g, b) = PairedRowTests.CheckLongRowsAlone(kernel, n, new Random(n + 11), " streamed");
            if (kernel != "LnF") return;
            int rows = x.Length / n;
            var alone = Enumerable.Range(0, rows).Select(r => Run(kernel, x.AsSpan(r * n, n).ToArray(), n, g, b).Y).ToArray();
            foreach (int offset in new[] { 1, 5, 15 })
            {
                float[] xs = new float[x.Length + 16], ys = new float[x.Length + 16];
                for (int i = 0; i < x.Length; i++) xs[offset + i] = (float)x[i];
                int yo = (offset * 7) % 16;
                ShortRowKernels.LnF(xs.AsSpan(offset, x.Length), n, g.Select(v => (float)v).ToArray(), b.Select(v => (float)v).ToArray(),
                    ys.AsSpan(yo, x.Length), new float[rows], new float[rows]);
                for (int r = 0; r < rows; r++)
                    AssertBitwise($"{kernel} n={n} rows={rows} streamed, x at +{offset}, y at +{yo}, row {r}",
                        alone[r], ys.AsSpan(yo + r * n, n).ToArray().Select(v => (double)v).ToArray());
            }
        }
        finally
        {
            NormGenSettings.StreamingStoreThreshold = threshold;
        }
    }

    /// <summary>
    /// The non-temporal pairs (4,096 and 8,192 floats) and rows a time (4,100 floats: rows off a whole number of vectors,
    /// so not paired; RowEngine.StreamRow) with y 4 to 300 bytes past x in a 4 KiB page: from 1 to 127 bytes
    /// (RowEngine.StreamedPairsZoneEnd) their last pass goes down the rows, else up, the streamed row ends carried either
    /// way; every row bitwise the row alone.
    /// </summary>
    [Theory]
    [InlineData(4096)]
    [InlineData(4100)]
    [InlineData(8192)]
    public void StreamedLongRows_YJustPastX_EqualRowsAlone_Bitwise(int n)
    {
        long threshold = NormGenSettings.StreamingStoreThreshold;
        NormGenSettings.StreamingStoreThreshold = 0;
        try
        {
            PairedRowTests.CheckYJustPastX(n, [4, 8, 56, 96, 124, 128, 200, 300], " streamed");
        }
        finally
        {
            NormGenSettings.StreamingStoreThreshold = threshold;
        }
    }
}
