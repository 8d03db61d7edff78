using System;
using System.IO;
using System.Linq;
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
}
