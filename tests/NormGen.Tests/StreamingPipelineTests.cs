using System;
using System.Linq;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// The streaming path's cross-row pipeline (RowEngine.Streaming.cs: the last pass of row r interleaved with pass 1 of row
/// r + 1), forced with a streaming threshold of 0: row counts 1, 2, 3 and more, row lengths with and without a vector
/// remainder and with blocks the aligned last pass does not fill, every alignment of y, in place, huge and NaN rows in
/// the middle of a batch, one and several threads. Each result is checked against the double reference and bitwise
/// against the cached-store path (which runs no pipeline).
/// </summary>
[Collection(SettingsCollection.Name)]
public class StreamingPipelineTests
{
    private delegate void Kernel(ReadOnlySpan<float> x, int n, float[] g, float[] b, Span<float> y);

    private static readonly (string Name, NormKind Kind, Affine Affine, Kernel Run)[] FloatKernels =
    {
        ("LnFScaleAndBias", NormKind.LayerNorm, Affine.ScaleAndBias, (x, n, g, b, y) => DynKernels.LnFScaleAndBias(x, n, g, b, y)),
        ("LnFNone", NormKind.LayerNorm, Affine.None, (x, n, g, b, y) => DynKernels.LnFNone(x, n, y)),
        ("RmsFScale", NormKind.RmsNorm, Affine.Scale, (x, n, g, b, y) => DynKernels.RmsFScale(x, n, g, y)),
        ("RmsFScaleAndBias", NormKind.RmsNorm, Affine.ScaleAndBias, (x, n, g, b, y) => DynKernels.RmsFScaleAndBias(x, n, g, b, y)),
    };

    /// <summary>
    /// RowEngine's private switch: 0 the default (the pipeline where RowEngine picks it), 1 no pipeline, 2 the pipeline for
    /// every row form at every size past a core's L2 (cached stores under the streaming threshold).
    /// </summary>
    private static readonly System.Reflection.FieldInfo PipelineMode =
        typeof(RowEngine).GetField("s_pipelineMode", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;

    private static T WithSettings<T>(long threshold, int threads, Func<T> run, int pipelineMode = 0)
    {
        long t = NormGenSettings.StreamingStoreThreshold;
        int d = NormGenSettings.MaxDegreeOfParallelism, m = NormGenSettings.MinElementsPerThread;
        try
        {
            PipelineMode.SetValue(null, pipelineMode);
            NormGenSettings.StreamingStoreThreshold = threshold;
            NormGenSettings.MaxDegreeOfParallelism = threads;
            NormGenSettings.MinElementsPerThread = 1; // several threads even for a few rows
            return run();
        }
        finally
        {
            PipelineMode.SetValue(null, 0);
            NormGenSettings.StreamingStoreThreshold = t;
            NormGenSettings.MaxDegreeOfParallelism = d;
            NormGenSettings.MinElementsPerThread = m;
        }
    }

    /// <summary>Rows of mean 3 and σ 2 (float values); row <paramref name="special"/>'s kind in the middle: 1 huge, 2 NaN.</summary>
    private static float[] Rows(int rows, int n, int seed, int special = -1, int kind = 0)
    {
        double[] v = Reference.Normal(new Random(seed), rows * n, mean: 3, std: 2);
        float[] x = v.Select(d => (float)d).ToArray();
        if (special >= 0)
        {
            Array.Clear(x, special * n, n);
            if (kind == 1) { x[special * n + n / 3] = 3e19f; x[special * n + n - 1] = -1e19f; } // squares overflow float
            else x[special * n + 5] = float.NaN;
        }
        return x;
    }

    /// <summary>y at <paramref name="yOffset"/> elements into its array (or x itself when in place), computed with the settings.</summary>
    private static float[] Run(Kernel k, float[] x, int n, float[] g, float[] b, long threshold, int threads, int yOffset, bool inPlace, int mode = 0) =>
        WithSettings(threshold, threads, () =>
        {
            if (inPlace)
            {
                float[] data = (float[])x.Clone();
                k(data, n, g, b, data);
                return data;
            }
            var buffer = new float[x.Length + 16];
            k(x, n, g, b, buffer.AsSpan(yOffset, x.Length));
            return buffer.AsSpan(yOffset, x.Length).ToArray();
        }, mode);

    private static void AssertNearReference(NormKind kind, Affine affine, float[] x, int n, float[] g, float[] b, float[] y, int skipRow = -1,
        double? epsilon = null)
    {
        double[] reference = Reference.Normalize(kind, affine, epsilon ?? (kind == NormKind.RmsNorm ? 1.1920928955078125e-07 : 1e-5),
            x.Select(v => (double)v).ToArray(), n, g.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray(), out double[] terms);
        double tolerance = Reference.Tolerance(Math.Pow(2, -24), n);
        for (int i = 0; i < y.Length; i++)
        {
            if (i / n == skipRow) continue;
            Assert.True(Math.Abs(y[i] - reference[i]) <= tolerance * terms[i],
                $"row {i / n}, column {i % n}: {y[i]} vs reference {reference[i]} (allowed {tolerance * terms[i]:G3})");
        }
    }

    /// <summary>
    /// Blocks.AddRms (RMSNorm(4096), ε = 1e-6, the residual stream out) with y <paramref name="offset"/> and h
    /// <paramref name="offset"/> + 1 elements into larger arrays, under the given streaming threshold, threads and pipeline switch.
    /// </summary>
    private static (float[] Y, float[] H) AddRms(float[] x, float[] res, float[] w, long threshold, int threads, int offset, int mode) =>
        WithSettings(threshold, threads, () =>
        {
            int length = x.Length;
            var y = new float[length + 8];
            var h = new float[length + 8];
            Blocks.AddRms(x, res, w, y.AsSpan(offset, length), h.AsSpan(offset + 1, length));
            return (y.AsSpan(offset, length).ToArray(), h.AsSpan(offset + 1, length).ToArray());
        }, mode);

    /// <summary>h = x + residual exactly, and y near the double reference of RMSNorm(h) with ε = 1e-6.</summary>
    private static void AssertAddRmsNearReference(float[] x, float[] res, float[] w, int d, (float[] Y, float[] H) result)
    {
        float[] h = x.Select((v, i) => v + res[i]).ToArray();
        Assert.Equal(h, result.H);
        AssertNearReference(NormKind.RmsNorm, Affine.Scale, h, d, w, new float[d], result.Y, epsilon: 1e-6);
    }

    /// <summary>Blocks.Deep (DeepNorm(1024), α = (2·24)^¼) under the given streaming threshold, threads and pipeline switch.</summary>
    private static float[] Deep(float[] x, float[] sublayer, float[] g, float[] b, long threshold, int threads, int mode) =>
        WithSettings(threshold, threads, () =>
        {
            var y = new float[x.Length];
            Blocks.Deep(x, sublayer, g, b, y);
            return y;
        }, mode);

    /// <summary>y near the double reference of LayerNorm(α·x + sublayer), α = (2·24)^¼ as Blocks.Deep declares.</summary>
    private static void AssertDeepNearReference(float[] x, float[] sublayer, int e, float[] g, float[] b, float[] y)
    {
        float alpha = MathF.Pow(2 * 24, 0.25f);
        float[] h = x.Select((v, i) => alpha * v + sublayer[i]).ToArray();
        AssertNearReference(NormKind.LayerNorm, Affine.ScaleAndBias, h, e, g, b, y);
    }

    [Theory]
    [InlineData(1, 512)]
    [InlineData(2, 512)]
    [InlineData(3, 515)]
    [InlineData(3, 1000)]
    [InlineData(5, 1027)]
    [InlineData(4, 2048)]
    [InlineData(7, 4099)]
    public void PipelinedRowsMatchTheReferenceAndTheCachedStores(int rows, int n)
    {
        var rng = new Random(n + rows);
        float[] x = Rows(rows, n, n * 7 + rows);
        var (gd, bd) = Reference.AffineParameters(rng, n);
        float[] g = gd.Select(v => (float)v).ToArray(), b = bd.Select(v => (float)v).ToArray();
        foreach (var (name, kind, affine, k) in FloatKernels)
        {
            float[] cached = Run(k, x, n, g, b, long.MaxValue, 1, 0, inPlace: false);
            AssertNearReference(kind, affine, x, n, g, b, cached);
            // Mode 2: the pipeline (by default only for rows of 32 KiB or more); mode 1: the rows a time (StreamRow).
            foreach (int mode in new[] { 2, 1 })
            {
                foreach (int yOffset in new[] { 0, 1, 3, 15 })
                    foreach (int threads in new[] { 1, 2 })
                        Assert.True(cached.AsSpan().SequenceEqual(Run(k, x, n, g, b, 0, threads, yOffset, inPlace: false, mode)),
                            $"{name} rows={rows} n={n} yOffset={yOffset} threads={threads} mode={mode}: streamed differs from cached stores");
                foreach (int threads in new[] { 1, 2 })
                    Assert.True(cached.AsSpan().SequenceEqual(Run(k, x, n, g, b, 0, threads, 0, inPlace: true, mode)),
                        $"{name} rows={rows} n={n} in place, threads={threads} mode={mode}: streamed differs from cached stores");
            }
        }
    }

    /// <summary>
    /// The pipeline's last pass with y 4 to 300 bytes past x within a 4 KiB page (x and y in one array): rows under 16 KiB
    /// whose y is 1–256 bytes past their source store each block one step late (RowEngine.DelayedBlock), the others in
    /// the plain order; both bitwise the cached stores', one and two threads, with a huge row in the middle.
    /// </summary>
    [Theory]
    [InlineData(5, 512)]
    [InlineData(4, 1000)]
    [InlineData(5, 1024)]
    [InlineData(3, 2051)]
    public void PipelinedRowsWithYJustPastXInAPageMatchTheCachedStores(int rows, int n)
    {
        float[] x = Rows(rows, n, 90 + n, special: rows / 2, kind: 1);
        var (gd, bd) = Reference.AffineParameters(new Random(91 + n), n);
        float[] g = gd.Select(v => (float)v).ToArray(), b = bd.Select(v => (float)v).ToArray();
        int length = rows * n, yStart = (length + 1023) / 1024 * 1024; // y's first element at x's place in a page, then on
        foreach (var (name, _, _, k) in FloatKernels)
        {
            float[] cached = Run(k, x, n, g, b, long.MaxValue, 1, 0, inPlace: false);
            foreach (int delta in new[] { 4, 56, 200, 252, 256, 300 })
                foreach (int threads in new[] { 1, 2 })
                {
                    float[] data = new float[yStart + delta / 4 + length];
                    x.CopyTo(data, 0);
                    float[] streamed = WithSettings(0, threads, () =>
                    {
                        k(data.AsSpan(0, length), n, g, b, data.AsSpan(yStart + delta / 4, length));
                        return data.AsSpan(yStart + delta / 4, length).ToArray();
                    }, pipelineMode: 2);
                    Assert.True(cached.AsSpan().SequenceEqual(streamed), $"{name} rows={rows} n={n} y {delta} B past x threads={threads}");
                }
        }
    }

    /// <summary>
    /// A row whose squares overflow float (redone in HugeRow, after which the pipeline starts again) and a NaN row, in
    /// the middle, first and last row of a streamed batch: the rows around them are untouched by the exit.
    /// </summary>
    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 2)]
    [InlineData(1, 4)]
    [InlineData(2, 0)]
    [InlineData(2, 2)]
    [InlineData(2, 4)]
    public void HugeAndNaNRowsInAStreamedBatch(int kind, int special)
    {
        const int rows = 5, n = 1031;
        float[] x = Rows(rows, n, 40 + special, special, kind);
        var (gd, bd) = Reference.AffineParameters(new Random(41), n);
        float[] g = gd.Select(v => (float)v).ToArray(), b = bd.Select(v => (float)v).ToArray();
        foreach (var (name, nk, affine, k) in FloatKernels)
        {
            float[] cached = Run(k, x, n, g, b, long.MaxValue, 1, 0, inPlace: false);
            // The huge row is finite and has a reference; a NaN row is NaN throughout.
            AssertNearReference(nk, affine, x, n, g, b, cached, skipRow: kind == 2 ? special : -1);
            if (kind == 2) Assert.All(cached.Skip(special * n).Take(n), v => Assert.True(float.IsNaN(v)));
            foreach (int mode in new[] { 2, 1 })
                foreach (int threads in new[] { 1, 2 })
                    foreach (bool inPlace in new[] { false, true })
                    {
                        float[] streamed = Run(k, x, n, g, b, 0, threads, 5, inPlace, mode);
                        Assert.True(cached.AsSpan().SequenceEqual(streamed), $"{name} special row {special} kind {kind} threads={threads} inPlace={inPlace} mode={mode}");
                    }
        }
    }

    /// <summary>Double rows (the 512-bit vector is 8 lanes: a block of 32), with and without a remainder.</summary>
    [Theory]
    [InlineData(3, 256)]
    [InlineData(4, 301)]
    public void PipelinedDoubleRowsMatchTheCachedStores(int rows, int n)
    {
        double[] x = Reference.Normal(new Random(n), rows * n, mean: -2, std: 3);
        var (g, b) = Reference.AffineParameters(new Random(n + 1), n);
        double[] Run(long threshold, int threads, int offset, int mode = 2) => WithSettings(threshold, threads, () =>
        {
            var buffer = new double[x.Length + 8];
            DynKernels.LnDScaleAndBias(x, n, g, b, buffer.AsSpan(offset, x.Length));
            return buffer.AsSpan(offset, x.Length).ToArray();
        }, mode);
        double[] cached = Run(long.MaxValue, 1, 0);
        double[] reference = Reference.Normalize(NormKind.LayerNorm, Affine.ScaleAndBias, 1e-5, x, n, g, b, out double[] terms);
        double tolerance = Reference.Tolerance(Math.Pow(2, -53), n);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(cached[i] - reference[i]) <= tolerance * terms[i], $"element {i}: {cached[i]} vs {reference[i]}");
        foreach (int offset in new[] { 0, 1, 5 })
            foreach (int threads in new[] { 1, 2 })
                foreach (int mode in new[] { 2, 1 })
                    Assert.Equal(cached, Run(0, threads, offset, mode));
    }

    /// <summary>
    /// A streamed row's ends (RowEngine.StoreEnds: only the elements before y's first aligned vector and after its last
    /// one, stored an element at a time) for every phase of y against a 64-byte line and every remainder of the row
    /// length modulo 16 floats, in the pipeline (mode 2) and a row at a time (mode 1), in place too: bitwise the cached
    /// stores', and each row alone (one call per row) equal to the row in the batch.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public void StreamedRowEndsMatchTheCachedStoresForEveryPhaseAndRemainder(int mode)
    {
        const int rows = 3;
        for (int remainder = 0; remainder < 16; remainder++)
        {
            int n = 512 + remainder; // 2 KiB or more: rows that may stream
            float[] x = Rows(rows, n, 60 + remainder);
            var (gd, bd) = Reference.AffineParameters(new Random(61 + remainder), n);
            float[] g = gd.Select(v => (float)v).ToArray(), b = bd.Select(v => (float)v).ToArray();
            foreach (var (name, _, _, k) in FloatKernels.Where(f => f.Name is "LnFScaleAndBias" or "RmsFScale"))
            {
                float[] cached = Run(k, x, n, g, b, long.MaxValue, 1, 0, inPlace: false);
                for (int yOffset = 0; yOffset < 16; yOffset++)
                {
                    float[] streamed = Run(k, x, n, g, b, 0, 1, yOffset, inPlace: false, mode);
                    Assert.True(cached.AsSpan().SequenceEqual(streamed), $"{name} n={n} yOffset={yOffset} mode={mode}: streamed differs from cached stores");
                }
                Assert.True(cached.AsSpan().SequenceEqual(Run(k, x, n, g, b, 0, 1, 0, inPlace: true, mode)), $"{name} n={n} in place, mode={mode}");
                for (int r = 0; r < rows; r++)
                {
                    float[] alone = Run(k, x.AsSpan(r * n, n).ToArray(), n, g, b, 0, 1, 7, inPlace: false, mode);
                    Assert.True(cached.AsSpan(r * n, n).SequenceEqual(alone), $"{name} n={n} row {r} alone differs from the row in the batch, mode={mode}");
                }
            }
        }
    }

    /// <summary>
    /// The same for the residual stream written beside y (Blocks.SkipLn at a run-time length, residualOut at y's phase, so
    /// its vectors stream too and its ends go through StoreEnds): y and h bitwise the cached stores' for every phase and
    /// remainder, a row at a time and pipelined.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public void StreamedResidualOutEndsMatchTheCachedStores(int mode)
    {
        const int rows = 3;
        foreach (int remainder in new[] { 0, 1, 7, 15 })
        {
            int n = 512 + remainder;
            float[] x = Rows(rows, n, 70 + remainder), res = Rows(rows, n, 71 + remainder), bias = Rows(1, n, 72), g = Rows(1, n, 73), b = Rows(1, n, 74);
            (float[] Y, float[] H) Run(long threshold, int offset, int m) => WithSettings(threshold, 1, () =>
            {
                var y = new float[x.Length + 16];
                var h = new float[x.Length + 16];
                Blocks.SkipLn(x, n, res, bias, g, b, y.AsSpan(offset, x.Length), h.AsSpan(offset, x.Length));
                return (y.AsSpan(offset, x.Length).ToArray(), h.AsSpan(offset, x.Length).ToArray());
            }, m);
            var (cy, ch) = Run(long.MaxValue, 0, 0);
            foreach (int offset in new[] { 0, 1, 4, 9, 15 })
            {
                var (sy, sh) = Run(0, offset, mode);
                Assert.True(cy.AsSpan().SequenceEqual(sy), $"n={n} offset={offset} mode={mode}: y");
                Assert.True(ch.AsSpan().SequenceEqual(sh), $"n={n} offset={offset} mode={mode}: h");
            }
        }
    }

    /// <summary>
    /// Residual rows, with the pipeline for them (RowEngine's private switch, off by default: h = x + residual + bias
    /// into two rows of scratch, residualOut from it) and without (the default): rows 1, 2, 3 and 5, odd
    /// lengths, residualOut aligned as y or not, x, residual and y one buffer, a huge row in the middle; y and h bitwise
    /// the cached stores', which match the double reference of the float h the kernel formed.
    /// </summary>
    [Theory]
    [InlineData(1, 515)]
    [InlineData(2, 1000)]
    [InlineData(3, 2051)]
    [InlineData(5, 1024)]
    public void PipelinedResidualRowsMatchTheReferenceAndTheCachedStores(int rows, int n)
    {
        float[] x = Rows(rows, n, n + 1, special: rows > 2 ? rows / 2 : -1, kind: 1), res = Rows(rows, n, n + 2);
        var (gd, bd) = Reference.AffineParameters(new Random(n), n);
        float[] g = gd.Select(v => (float)v).ToArray(), b = bd.Select(v => (float)v).ToArray(), bias = Rows(1, n, n + 3);
        (float[] Y, float[] H) Run(long threshold, int threads, int yOffset, int hOffset, bool inPlace, int mode = 0) => WithSettings(threshold, threads, () =>
        {
            var yBuffer = new float[x.Length + 16];
            var hBuffer = new float[x.Length + 16];
            if (inPlace)
            {
                float[] data = (float[])x.Clone(); // x, residual and y one buffer: h = 2x + bias
                Blocks.SkipLn(data, n, data, bias, g, b, data, hBuffer.AsSpan(hOffset, x.Length));
                return (data, hBuffer.AsSpan(hOffset, x.Length).ToArray());
            }
            Blocks.SkipLn(x, n, res, bias, g, b, yBuffer.AsSpan(yOffset, x.Length), hBuffer.AsSpan(hOffset, x.Length));
            return (yBuffer.AsSpan(yOffset, x.Length).ToArray(), hBuffer.AsSpan(hOffset, x.Length).ToArray());
        }, mode);
        foreach (bool inPlace in new[] { false, true })
        {
            var cached = Run(long.MaxValue, 1, 0, 0, inPlace);
            float[] h = x.Select((v, i) => v + (inPlace ? v : res[i]) + bias[i % n]).ToArray();
            Assert.Equal(h, cached.H);
            AssertNearReference(NormKind.LayerNorm, Affine.ScaleAndBias, h, n, g, b, cached.Y);
            foreach (var (yOffset, hOffset) in new[] { (0, 0), (3, 3), (1, 6) })
                foreach (int threads in new[] { 1, 2 })
                    foreach (int mode in new[] { 0, 2 })
                    {
                        var streamed = Run(0, threads, yOffset, hOffset, inPlace, mode);
                        string what = $"rows={rows} n={n} offsets {yOffset}/{hOffset} threads={threads} inPlace={inPlace} mode={mode}";
                        Assert.True(cached.Y.AsSpan().SequenceEqual(streamed.Y), "y: " + what);
                        Assert.True(cached.H.AsSpan().SequenceEqual(streamed.H), "h: " + what);
                    }
        }
    }

    /// <summary>
    /// The compile-time residual kernels: RMSNorm with the residual stream out (4096) and DeepNorm (α·x + sublayer, 1024,
    /// h only in scratch), one to four rows, one and two threads, residual pipeline on and off: bitwise the cached stores,
    /// near the double reference.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void PipelinedAddRmsAndDeepNormMatchTheCachedStores(int rows)
    {
        const int d = 4096, e = 1024;
        float[] x = Rows(rows, d, rows), res = Rows(rows, d, rows + 10), w = Rows(1, d, 5);
        var cachedRms = AddRms(x, res, w, long.MaxValue, 1, 0, mode: 0);
        AssertAddRmsNearReference(x, res, w, d, cachedRms);
        foreach (int offset in new[] { 0, 2 })
            foreach (int threads in new[] { 1, 2 })
                foreach (int mode in new[] { 0, 2 })
                {
                    var streamed = AddRms(x, res, w, 0, threads, offset, mode);
                    Assert.True(cachedRms.Y.AsSpan().SequenceEqual(streamed.Y) && cachedRms.H.AsSpan().SequenceEqual(streamed.H), $"AddRms offset {offset} threads {threads} mode {mode}");
                }

        float[] dx = Rows(rows, e, rows + 20), ds = Rows(rows, e, rows + 30);
        var (gd, bd) = Reference.AffineParameters(new Random(rows), e);
        float[] g = gd.Select(v => (float)v).ToArray(), b = bd.Select(v => (float)v).ToArray();
        float[] cachedDeep = Deep(dx, ds, g, b, long.MaxValue, 1, mode: 0);
        AssertDeepNearReference(dx, ds, e, g, b, cachedDeep);
        foreach (int threads in new[] { 1, 2 })
            foreach (int mode in new[] { 0, 2 })
                Assert.True(cachedDeep.AsSpan().SequenceEqual(Deep(dx, ds, g, b, 0, threads, mode)), $"DeepNorm threads {threads} mode {mode}");
    }
    // ---------------------------------------------------------------- the pipeline with cached stores

    /// <summary>
    /// The pipeline with cached stores runs for inputs past a core's L2 (2 MiB) under the streaming threshold: these
    /// shapes are all at least 2 MiB of floats. Rows 1, 2, 3 and more, odd lengths, y at every alignment, in place, one
    /// and two threads, a huge and a NaN row in the middle of a batch: the pipelined results (the default and every form,
    /// switch 0 and 2) are bitwise the rows a time (switch 1), which match the double reference.
    /// </summary>
    [Theory]
    [InlineData(1, 524291, -1, 0)]
    [InlineData(2, 262147, -1, 0)]
    [InlineData(3, 174763, 1, 1)]
    [InlineData(129, 4099, 64, 1)]
    [InlineData(512, 1027, 300, 2)]
    [InlineData(256, 2048, 0, 2)]
    public void CachedPipelineMatchesTheRowsATime(int rows, int n, int special, int kind)
    {
        float[] x = Rows(rows, n, n + rows, special, kind);
        var (gd, bd) = Reference.AffineParameters(new Random(n), n);
        float[] g = gd.Select(v => (float)v).ToArray(), b = bd.Select(v => (float)v).ToArray();
        foreach (var (name, nk, affine, k) in FloatKernels.Take(3))
        {
            float[] before = Run(k, x, n, g, b, long.MaxValue, 1, 0, inPlace: false, mode: 1);
            AssertNearReference(nk, affine, x, n, g, b, before, skipRow: kind == 2 ? special : -1);
            foreach (int mode in new[] { 0, 2 })
                foreach (int threads in new[] { 1, 2 })
                {
                    foreach (int yOffset in new[] { 0, 3 })
                        Assert.True(before.AsSpan().SequenceEqual(Run(k, x, n, g, b, long.MaxValue, threads, yOffset, inPlace: false, mode)),
                            $"{name} rows={rows} n={n} yOffset={yOffset} threads={threads} mode={mode}: pipelined differs from the rows a time");
                    Assert.True(before.AsSpan().SequenceEqual(Run(k, x, n, g, b, long.MaxValue, threads, 0, inPlace: true, mode)),
                        $"{name} rows={rows} n={n} in place, threads={threads} mode={mode}: pipelined differs from the rows a time");
                }
        }
    }

    /// <summary>
    /// Residual rows (x + residual + bias with the residual stream out; RMSNorm with it; DeepNorm) on the pipeline with
    /// cached stores, 2 MiB and more: y and h bitwise the rows a time, at offsets where h is and is not aligned as y,
    /// in place (x, residual and y one buffer), one and two threads, a huge row in the middle.
    /// </summary>
    [Theory]
    [InlineData(1, 524291)]
    [InlineData(3, 174763)]
    [InlineData(129, 4099)]
    public void CachedPipelineResidualRowsMatchTheRowsATime(int rows, int n)
    {
        float[] x = Rows(rows, n, n + 1, special: rows > 2 ? rows / 2 : -1, kind: 1), res = Rows(rows, n, n + 2);
        var (gd, bd) = Reference.AffineParameters(new Random(n), n);
        float[] g = gd.Select(v => (float)v).ToArray(), b = bd.Select(v => (float)v).ToArray(), bias = Rows(1, n, n + 3);
        (float[] Y, float[] H) Run(int threads, int yOffset, int hOffset, bool inPlace, int mode) => WithSettings(long.MaxValue, threads, () =>
        {
            var yBuffer = new float[x.Length + 16];
            var hBuffer = new float[x.Length + 16];
            if (inPlace)
            {
                float[] data = (float[])x.Clone();
                Blocks.SkipLn(data, n, data, bias, g, b, data, hBuffer.AsSpan(hOffset, x.Length));
                return (data, hBuffer.AsSpan(hOffset, x.Length).ToArray());
            }
            Blocks.SkipLn(x, n, res, bias, g, b, yBuffer.AsSpan(yOffset, x.Length), hBuffer.AsSpan(hOffset, x.Length));
            return (yBuffer.AsSpan(yOffset, x.Length).ToArray(), hBuffer.AsSpan(hOffset, x.Length).ToArray());
        }, mode);
        foreach (bool inPlace in new[] { false, true })
        {
            var before = Run(1, 0, 0, inPlace, mode: 1);
            float[] h = x.Select((v, i) => v + (inPlace ? v : res[i]) + bias[i % n]).ToArray();
            Assert.Equal(h, before.H);
            AssertNearReference(NormKind.LayerNorm, Affine.ScaleAndBias, h, n, g, b, before.Y);
            foreach (var (yOffset, hOffset) in new[] { (0, 0), (1, 6) })
                foreach (int threads in new[] { 1, 2 })
                    foreach (int mode in new[] { 0, 2 })
                    {
                        var piped = Run(threads, yOffset, hOffset, inPlace, mode);
                        string what = $"rows={rows} n={n} offsets {yOffset}/{hOffset} threads={threads} inPlace={inPlace} mode={mode}";
                        Assert.True(before.Y.AsSpan().SequenceEqual(piped.Y), "y: " + what);
                        Assert.True(before.H.AsSpan().SequenceEqual(piped.H), "h: " + what);
                    }
        }
    }

    /// <summary>The compile-time residual kernels past 2 MiB with cached stores: AddRms (128 × 4096) and DeepNorm (512 × 1024).</summary>
    [Fact]
    public void CachedPipelineAddRmsAndDeepNormMatchTheRowsATime()
    {
        const int d = 4096, e = 1024, rmsRows = 128, deepRows = 512;
        float[] x = Rows(rmsRows, d, 1), res = Rows(rmsRows, d, 2), w = Rows(1, d, 5);
        var before = AddRms(x, res, w, long.MaxValue, 1, 0, mode: 1);
        AssertAddRmsNearReference(x, res, w, d, before);
        foreach (int offset in new[] { 0, 2 })
            foreach (int threads in new[] { 1, 2 })
                foreach (int mode in new[] { 0, 2 })
                {
                    var piped = AddRms(x, res, w, long.MaxValue, threads, offset, mode);
                    Assert.True(before.Y.AsSpan().SequenceEqual(piped.Y) && before.H.AsSpan().SequenceEqual(piped.H), $"AddRms offset {offset} threads {threads} mode {mode}");
                }

        float[] dx = Rows(deepRows, e, 20, special: 200, kind: 1), ds = Rows(deepRows, e, 30);
        var (gd, bd) = Reference.AffineParameters(new Random(3), e);
        float[] g = gd.Select(v => (float)v).ToArray(), b = bd.Select(v => (float)v).ToArray();
        float[] beforeDeep = Deep(dx, ds, g, b, long.MaxValue, 1, mode: 1);
        AssertDeepNearReference(dx, ds, e, g, b, beforeDeep);
        foreach (int threads in new[] { 1, 2 })
            foreach (int mode in new[] { 0, 2 })
                Assert.True(beforeDeep.AsSpan().SequenceEqual(Deep(dx, ds, g, b, long.MaxValue, threads, mode)), $"DeepNorm threads {threads} mode {mode}");
    }
}
