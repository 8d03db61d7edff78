using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// Outputs above <see cref="NormGenSettings.StreamingStoreThreshold"/> are written with aligned non-temporal stores
/// after an unaligned head; the results must be bitwise those of ordinary stores, in place and out of place, for every
/// alignment of y.
/// </summary>
[Collection(SettingsCollection.Name)]
public class StreamingStoreTests
{
    private static T WithSettings<T>(long threshold, int threads, Func<T> run)
    {
        long t = NormGenSettings.StreamingStoreThreshold;
        int d = NormGenSettings.MaxDegreeOfParallelism;
        try
        {
            NormGenSettings.StreamingStoreThreshold = threshold;
            NormGenSettings.MaxDegreeOfParallelism = threads;
            return run();
        }
        finally
        {
            NormGenSettings.StreamingStoreThreshold = t;
            NormGenSettings.MaxDegreeOfParallelism = d;
        }
    }

    private static float[] Random(int n, int seed) { var r = new Random(seed); return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 4 - 2)).ToArray(); }

    /// <summary>
    /// Rows shorter than 2 KiB are written with cached stores whatever the output's size: streaming them ran LayerNorm on
    /// 10⁶ × 64 floats at 2.9 GB/s against 22.5 cached (see RowScheduler.MinStreamingRowBytes).
    /// </summary>
    [Theory]
    [InlineData(1L << 30, 64 * 4, false)]
    [InlineData(1L << 30, 256 * 4, false)]
    [InlineData(1L << 30, 511 * 4, false)]
    [InlineData(1L << 30, 512 * 4, true)]
    [InlineData(1L << 30, 255 * 8, false)]
    [InlineData(1L << 30, 65536 * 4, true)]
    [InlineData(1L << 20, 4096 * 4, false)]
    public void ShortRowsNeverStream(long outputBytes, long rowBytes, bool expected)
    {
        bool streams = WithSettings(1L << 25, 1, () => RowScheduler.UseStreamingStores(outputBytes, rowBytes));
        Assert.Equal(expected, streams);
    }

    /// <summary>
    /// A line-aligned span of <paramref name="length"/> elements inside a pinned array (<paramref name="misalign"/> elements
    /// past the line), and the handle to free.
    /// </summary>
    private static (T[] Array, int Offset, GCHandle Handle) OnLine<T>(int length, int misalign) where T : unmanaged
    {
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var array = GC.AllocateArray<T>(length + 64 / size + misalign, pinned: true);
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        long address = (long)handle.AddrOfPinnedObject();
        int offset = (int)((64 - address % 64) % 64) / size + misalign;
        return (array, offset, handle);
    }

    /// <summary>
    /// Runs <paramref name="run"/> on a pinned array with a line-aligned span of <paramref name="length"/> elements from
    /// the offset it is given (<see cref="OnLine"/>), under the streaming threshold and thread count given (every row
    /// count splits over the threads: MinElementsPerThread 1); the settings are restored and the array freed after.
    /// </summary>
    private static R OnLineWith<T, R>(int length, long threshold, int threads, Func<T[], int, R> run) where T : unmanaged
    {
        using var scope = new SettingsScope(threads, 1);
        long saved = NormGenSettings.StreamingStoreThreshold;
        var (array, offset, handle) = OnLine<T>(length, 0);
        try
        {
            NormGenSettings.StreamingStoreThreshold = threshold;
            return run(array, offset);
        }
        finally
        {
            NormGenSettings.StreamingStoreThreshold = saved;
            handle.Free();
        }
    }

    /// <summary>
    /// Rows of 512 bytes or more that are a whole number of 64-byte lines, in an output whose first element is on a line,
    /// stream past the threshold (every row's lines are its own); off the line, a row that is not whole lines, or under
    /// 512 bytes, they do not (RowScheduler.MinLineStreamingRowBytes).
    /// </summary>
    [Theory]
    [InlineData(128, 0, true)]
    [InlineData(144, 0, true)]
    [InlineData(400, 0, true)]
    [InlineData(112, 0, false)]
    [InlineData(129, 0, false)]
    [InlineData(128, 1, false)]
    [InlineData(128, 4, false)]
    [InlineData(512, 3, true)] // 2 KiB rows stream anywhere
    public void LineRowsStreamPastTheThreshold(int rowLength, int misalign, bool expected)
    {
        var (array, offset, handle) = OnLine<float>(16, misalign);
        try
        {
            Assert.Equal(expected, WithSettings(1L << 20, 1, () => RowScheduler.UseStreamingStores(1L << 30, rowLength * 4L, array.AsSpan(offset, 16))));
            Assert.False(WithSettings(1L << 20, 1, () => RowScheduler.UseStreamingStores(1L << 19, rowLength * 4L, array.AsSpan(offset, 16))), "under the threshold");
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>
    /// Short rows on lines, streamed (threshold 0) and cached: LayerNorm and RMSNorm over floats and LayerNorm over doubles,
    /// y and the saved statistics bitwise equal, out of place and in place, on one thread and two.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void LineRowsStreamedEqualCachedStores(int threads)
    {
        const int rows = 33;
        foreach (int n in new[] { 128, 192, 400 })
            foreach (bool inPlace in new[] { false, true })
            {
                float[] x = Random(rows * n, n), g = Random(n, n + 1), b = Random(n, n + 2);
                (float[] Ln, float[] Mean, float[] Rstd, float[] Rms, float[] RmsRstd) Run(long threshold) =>
                    OnLineWith<float, (float[], float[], float[], float[], float[])>(rows * n, threshold, threads, (array, offset) =>
                    {
                        Span<float> y = array.AsSpan(offset, rows * n);
                        float[] mean = new float[rows], rstd = new float[rows], rmsRstd = new float[rows];
                        if (inPlace) x.CopyTo(y);
                        AlignedParameterKernels.LnF(inPlace ? y : x, n, g, b, y, mean, rstd);
                        float[] ln = y.ToArray();
                        if (inPlace) x.CopyTo(y);
                        AlignedParameterKernels.RmsF(inPlace ? y : x, n, g, y, rmsRstd);
                        return (ln, mean, rstd, y.ToArray(), rmsRstd);
                    });
                var cached = Run(long.MaxValue);
                var streamed = Run(0);
                Assert.Equal(cached.Ln, streamed.Ln);
                Assert.Equal(cached.Mean, streamed.Mean);
                Assert.Equal(cached.Rstd, streamed.Rstd);
                Assert.Equal(cached.Rms, streamed.Rms);
                Assert.Equal(cached.RmsRstd, streamed.RmsRstd);
            }
        foreach (int n in new[] { 64, 96 })
        {
            double[] x = Random(rows * n, n).Select(v => (double)v).ToArray(), g = Random(n, n + 1).Select(v => (double)v).ToArray();
            double[] Run(long threshold) => OnLineWith<double, double[]>(rows * n, threshold, threads, (array, offset) =>
            {
                Span<double> y = array.AsSpan(offset, rows * n);
                AlignedParameterKernels.LnD(x, n, g, g, y, new double[rows], new double[rows]);
                return y.ToArray();
            });
            Assert.Equal(Run(long.MaxValue), Run(0));
        }
    }

    /// <summary>
    /// LayerNorm rows of more than 256 bytes whose x and y together reach the streaming threshold leave the short-row
    /// pipeline for the one-row path (RowEngine.PastCache): the same bits, y and the saved statistics, as the pipeline
    /// gives under a higher threshold, with a huge row (HugeRow) inside the batch.
    /// </summary>
    [Theory]
    [InlineData(100)]
    [InlineData(128)]
    public void LayerNormRowsPastTheCacheLeaveThePipelineWithTheSameBits(int n)
    {
        const int rows = 6000; // x past 2 MiB
        float[] x = Random(rows * n, n), g = Random(n, n + 1), b = Random(n, n + 2);
        for (int i = 0; i < n; i++) x[1234 * n + i] = i % 2 == 0 ? 3e38f : -2e38f;
        (float[] Y, float[] Mean, float[] Rstd) Run(long threshold) => WithSettings(threshold, 1, () =>
        {
            float[] y = new float[rows * n + 1], mean = new float[rows], rstd = new float[rows];
            ShortRowKernels.LnF(x, n, g, b, y.AsSpan(1), mean, rstd); // y one element into its array: off the lines, never streamed
            return (y, mean, rstd);
        });
        var pipelined = Run(long.MaxValue);
        var oneRow = Run(1L << 20);
        Assert.Equal(pipelined.Y, oneRow.Y);
        Assert.Equal(pipelined.Mean, oneRow.Mean);
        Assert.Equal(pipelined.Rstd, oneRow.Rstd);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(3, 1)]
    [InlineData(15, 2)]
    public void StreamedLayerNormEqualsCachedStoresForEveryAlignment(int yOffset, int threads)
    {
        const int rows = 9, d = 768;
        float[] x = Random(rows * d, 1), g = Random(d, 2), b = Random(d, 3);
        float[] Run(long threshold) => WithSettings(threshold, threads, () =>
        {
            var buffer = new float[rows * d + 16];
            Kernels.Norm(x, g, b, buffer.AsSpan(yOffset, rows * d));
            return buffer.AsSpan(yOffset, rows * d).ToArray();
        });
        Assert.Equal(Run(long.MaxValue), Run(0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void StreamedInPlaceAndDynamicRowsEqualCachedStores(int offset)
    {
        foreach (int d in new[] { 16, 17, 100, 1000 })
        {
            const int rows = 5;
            float[] source = Random(rows * d + offset, d);
            float[] Run(long threshold) => WithSettings(threshold, 1, () =>
            {
                float[] data = (float[])source.Clone();
                var span = data.AsSpan(offset, rows * d);
                float[] g = Enumerable.Repeat(1.5f, d).ToArray(), b = Enumerable.Repeat(0.25f, d).ToArray();
                Blocks.SkipLn(span, d, span, b, g, b, span, new float[rows * d]); // x, residual and y are one buffer
                return span.ToArray();
            });
            Assert.Equal(Run(long.MaxValue), Run(0));
        }
    }

    /// <summary>
    /// Inputs of 2 MiB or more prefetch the next row during the last pass, with cached stores too: bitwise the same
    /// results as the same rows one call each (a row is too small to prefetch), in place as well, and the last row's
    /// prefetch past the end of x does not fault.
    /// </summary>
    [Fact]
    public void PrefetchedLargeInputsEqualRowByRowCalls()
    {
        const int rows = 1024, d = 768; // 3 MiB of x
        float[] x = Random(rows * d, 11), g = Random(d, 12), b = Random(d, 13);
        float[] Whole(bool inPlace) => WithSettings(long.MaxValue, 1, () =>
        {
            float[] y = inPlace ? (float[])x.Clone() : new float[rows * d];
            Kernels.Norm(inPlace ? y : x, g, b, y);
            return y;
        });
        float[] byRow = WithSettings(long.MaxValue, 1, () =>
        {
            var y = new float[rows * d];
            for (int r = 0; r < rows; r++) Kernels.Norm(x.AsSpan(r * d, d), g, b, y.AsSpan(r * d, d));
            return y;
        });
        Assert.Equal(byRow, Whole(inPlace: false));
        Assert.Equal(byRow, Whole(inPlace: true));
    }

    /// <summary>The same for a residual row kernel at a run-time length, which also prefetches the residual.</summary>
    [Fact]
    public void PrefetchedResidualRowsEqualRowByRowCalls()
    {
        const int rows = 600, d = 1000; // 2.3 MiB of x and of the residual
        float[] x = Random(rows * d, 14), res = Random(rows * d, 15), bias = Random(d, 16), g = Random(d, 17), b = Random(d, 18);
        (float[] Y, float[] H) Run(bool whole) => WithSettings(long.MaxValue, 1, () =>
        {
            float[] y = new float[rows * d], h = new float[rows * d];
            if (whole)
                Blocks.SkipLn(x, d, res, bias, g, b, y, h);
            else
                for (int r = 0; r < rows; r++)
                    Blocks.SkipLn(x.AsSpan(r * d, d), d, res.AsSpan(r * d, d), bias, g, b, y.AsSpan(r * d, d), h.AsSpan(r * d, d));
            return (y, h);
        });
        var (y1, h1) = Run(whole: true);
        var (y2, h2) = Run(whole: false);
        Assert.Equal(y2, y1);
        Assert.Equal(h2, h1);
    }

    /// <summary>
    /// The last pass of a spec with an activation, streamed (StreamRow) and cached (the row method's one-vector loop and
    /// overlapping last vector): DeepNorm + GELU-tanh over doubles, in place and not, at two alignments of y, with row
    /// lengths with and without a tail, each within 1e-12 of the double reference and the streamed bitwise equal to the
    /// cached. No other test streamed a spec with an activation.
    /// </summary>
    [Theory]
    [InlineData(0, false)]
    [InlineData(3, false)]
    [InlineData(0, true)]
    [InlineData(5, true)]
    public void StreamedActivationRowsMatchTheReferenceAndCachedStores(int yOffset, bool inPlace)
    {
        const int rows = 5;
        foreach (int d in new[] { 256, 300, 1001 })
        {
            var rng = new Random(d);
            double[] x = Enumerable.Range(0, rows * d).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            double[] sub = Enumerable.Range(0, rows * d).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            double[] g = Enumerable.Range(0, d).Select(_ => rng.NextDouble() + 0.5).ToArray();
            double[] b = Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray();
            double[] Run(long threshold) => WithSettings(threshold, 1, () =>
            {
                var buffer = new double[rows * d + 8];
                Span<double> y = buffer.AsSpan(yOffset, rows * d);
                if (inPlace) x.CopyTo(y);
                Blocks.DeepDouble(inPlace ? y : x, d, sub, g, b, y);
                return y.ToArray();
            });
            double[] cached = Run(long.MaxValue), streamed = Run(0);
            Assert.Equal(cached, streamed);
            for (int r = 0; r < rows; r++)
            {
                double[] h = Enumerable.Range(0, d).Select(i => 2.5 * x[r * d + i] + sub[r * d + i]).ToArray();
                var e = FusedReference.Row(h, false, 1e-5, g, b, false, FusedReference.Act.GeluTanh);
                for (int i = 0; i < d; i++)
                    Assert.True(Math.Abs(streamed[r * d + i] - e.Y[i]) < 1e-12, $"d {d} row {r} col {i}: {streamed[r * d + i]} vs {e.Y[i]}");
            }
        }
    }

    [Fact]
    public void StreamedResidualKeepsTheResidualStream()
    {
        const int rows = 4, d = 4096;
        float[] x = Random(rows * d, 7), res = Random(rows * d, 8), w = Random(d, 9);
        (float[] Y, float[] R) Run(long threshold, int offset) => WithSettings(threshold, 1, () =>
        {
            var y = new float[rows * d];
            var r = new float[rows * d + 8];
            Blocks.AddRms(x, res, w, y, r.AsSpan(offset, rows * d));
            return (y, r.AsSpan(offset, rows * d).ToArray());
        });
        var cached = Run(long.MaxValue, 0);
        foreach (int offset in new[] { 0, 3 })
        {
            var streamed = Run(0, offset);
            Assert.Equal(cached.Y, streamed.Y);
            Assert.Equal(cached.R, streamed.R);
        }
    }

    /// <summary>
    /// The default threshold is the last-level cache that Linux reports (highest-level data or unified cache of cpu0),
    /// capped at 32 MiB, or 32 MiB where none is reported; read here independently of the runtime's own parser. The
    /// setting starts at that default (it once started at 0, streaming every call, when its initializer ran first).
    /// </summary>
    [Fact]
    public void DefaultThresholdFollowsTheReportedLastLevelCache()
    {
        long expected = 0;
        int bestLevel = 0;
        const string root = "/sys/devices/system/cpu/cpu0/cache";
        if (Directory.Exists(root))
            foreach (string index in Directory.GetDirectories(root, "index*"))
            {
                string Read(string f) => File.Exists(Path.Combine(index, f)) ? File.ReadAllText(Path.Combine(index, f)).Trim() : "";
                if (Read("type") == "Instruction" || !int.TryParse(Read("level"), out int level) || level < bestLevel) continue;
                string size = Read("size");
                if (size.EndsWith('K')) { expected = long.Parse(size[..^1]) * 1024; bestLevel = level; }
                else if (size.EndsWith('M')) { expected = long.Parse(size[..^1]) * 1024 * 1024; bestLevel = level; }
            }
        Assert.Equal(expected, NormGenSettings.LastLevelCacheBytes);
        Assert.Equal(expected > 0 ? Math.Min(expected, 32L << 20) : 32L << 20, NormGenSettings.DefaultStreamingStoreThreshold);
        // The setting starts at the default (every test that changes it puts it back).
        Assert.Equal(NormGenSettings.DefaultStreamingStoreThreshold, NormGenSettings.StreamingStoreThreshold);
    }

    /// <summary>
    /// The row backward writes dx with non-temporal stores above the threshold (RowBackward's streaming pass): dx, dγ
    /// and dβ are bitwise those of ordinary stores for every alignment of dx, out of place and in place over dy, on one
    /// thread and on several, float and double, for row lengths with and without a vector remainder.
    /// </summary>
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(7, 1)]
    [InlineData(3, 2)]
    public void StreamedRowBackwardEqualsCachedStores(int dxOffset, int threads)
    {
        foreach (int n in new[] { 16, 100, 1000 })
        {
            const int rows = 130;
            float[] x = Random(rows * n, n), dy = Random(rows * n, n + 1), g = Random(n, n + 2);
            float[] mean = new float[rows], rstd = new float[rows];
            Grad.LnDynAffine(x, n, g, g, new float[rows * n], mean, rstd);
            (float[], float[], float[], float[], float[]) Run(long threshold, bool inPlace) => WithSettings(threshold, threads, () =>
            {
                var buffer = new float[rows * n + 16];
                Span<float> dx = buffer.AsSpan(dxOffset, rows * n);
                if (inPlace) dy.CopyTo(dx);
                float[] dg = new float[n], db = new float[n], rdx = new float[rows * n], rdw = new float[n];
                Grad.LnBackwardDynAffine(inPlace ? dx : dy, x, n, mean, rstd, g, dx, dg, db);
                Grad.RmsZcBackward(dy, x, n, rstd, g, rdx, rdw);
                return (dx.ToArray(), dg, db, rdx, rdw);
            });
            foreach (bool inPlace in new[] { false, true })
            {
                var cached = Run(long.MaxValue, inPlace);
                var streamed = Run(0, inPlace);
                Assert.Equal(cached.Item1, streamed.Item1);
                Assert.Equal(cached.Item2, streamed.Item2);
                Assert.Equal(cached.Item3, streamed.Item3);
                Assert.Equal(cached.Item4, streamed.Item4);
                Assert.Equal(cached.Item5, streamed.Item5);
            }
        }

        // double, 1000 per row (static shape): 125 vectors of 8 and no remainder, dx shifted by one element.
        const int r2 = 70, d2 = 1000;
        var rng = new Random(dxOffset);
        double[] xd = Enumerable.Range(0, r2 * d2).Select(_ => rng.NextDouble() * 4 - 2).ToArray(), dyd = xd.Reverse().ToArray(), gd = xd.Take(d2).ToArray();
        double[] md = new double[r2], rd = Enumerable.Repeat(0.7, r2).ToArray();
        (double[], double[], double[]) RunDouble(long threshold) => WithSettings(threshold, threads, () =>
        {
            var buffer = new double[r2 * d2 + 8];
            double[] dg = new double[d2], db = new double[d2];
            Grad.LnBackwardDouble(dyd, xd, md, rd, gd, buffer.AsSpan(dxOffset, r2 * d2), dg, db);
            return (buffer, dg, db);
        });
        var c = RunDouble(long.MaxValue);
        var st = RunDouble(0);
        Assert.Equal(c.Item1, st.Item1);
        Assert.Equal(c.Item2, st.Item2);
        Assert.Equal(c.Item3, st.Item3);
    }
}
