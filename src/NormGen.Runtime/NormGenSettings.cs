using System;
using System.Globalization;
using System.IO;
using System.Threading;

namespace NormGen;

/// <summary>Process-wide settings that every generated NormGen kernel reads on each call.</summary>
public static class NormGenSettings
{
    private static int s_maxDegreeOfParallelism = -1;
    private static int s_minElementsPerThread = 1 << 17;
    // Read before s_streamingStoreThreshold's initializer uses them: static initializers run in textual order.
    private static readonly long s_lastLevelCacheBytes = ReadLastLevelCache();
    private static readonly long s_defaultStreamingStoreThreshold = s_lastLevelCacheBytes > 0 ? Math.Min(s_lastLevelCacheBytes, 32L << 20) : 32L << 20;
    private static long s_streamingStoreThreshold = s_defaultStreamingStoreThreshold;
    private static int s_tuneStores = 1;

    /// <summary>
    /// The most threads one kernel call spreads its rows over. -1 (the default) means <see cref="Environment.ProcessorCount"/>;
    /// 1 runs every call on the calling thread. Results are bitwise the same whatever the value: each row is computed
    /// by the same code whichever thread runs it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is 0 or less than -1.</exception>
    public static int MaxDegreeOfParallelism
    {
        get => Volatile.Read(ref s_maxDegreeOfParallelism);
        set
        {
            if (value == 0 || value < -1)
                throw new ArgumentOutOfRangeException(nameof(value), value, "MaxDegreeOfParallelism must be -1 (all cores) or a positive thread count.");
            Volatile.Write(ref s_maxDegreeOfParallelism, value);
        }
    }

    /// <summary>
    /// The fewest elements a thread is given before another thread is used (default 131072). Waking a pool thread costs
    /// microseconds, about the time one thread needs to normalize this many elements, so smaller inputs stay on the
    /// calling thread and allocate nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MinElementsPerThread
    {
        get => Volatile.Read(ref s_minElementsPerThread);
        set
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), value, "MinElementsPerThread must be at least 1.");
            Volatile.Write(ref s_minElementsPerThread, value);
        }
    }

    /// <summary>
    /// Calls whose output is at least this many bytes (default <see cref="DefaultStreamingStoreThreshold"/>) write it
    /// with non-temporal stores: the output bypasses the caches, which saves the read-for-ownership of every output line
    /// (a third of the memory traffic of a normalization that reads x and writes y) at the price of the output not being
    /// in cache for the next step; the streaming pass also prefetches the next row's input. <see cref="long.MaxValue"/>
    /// turns streaming stores off. Results are bitwise the same either way.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public static long StreamingStoreThreshold
    {
        get => Volatile.Read(ref s_streamingStoreThreshold);
        set
        {
            if (value < 0)
                throw new ArgumentOutOfRangeException(nameof(value), value, "StreamingStoreThreshold must not be negative.");
            Volatile.Write(ref s_streamingStoreThreshold, value);
        }
    }

    /// <summary>
    /// Whether large calls choose their stores by timing (default true): row calls (LayerNorm, RMSNorm and their residual
    /// forms over float or double, no activation) whose input and output together are at least half of
    /// <see cref="StreamingStoreThreshold"/>, and Standardize and MinMaxScale calls over float or double tables whose x
    /// and y together are from half the threshold up to it (cached or non-temporal stores the candidates), with the
    /// threshold at its default. The first calls of each spec, thread count and size class
    /// try the stores <see cref="StreamingStoreThreshold"/> picks, non-temporal stores, and non-temporal stores with the
    /// next row's reads interleaved into this row's writes (untimed for their first 250 ms, while their code tiers up, then
    /// timed five times each), and the later calls keep the fastest. Which is fastest
    /// depends on the machine (2-core AMD EPYC Zen 4: LayerNorm 4096 × 1024 floats 1.8–2× faster with the interleaved
    /// non-temporal stores; other VMs measured them slower for rows under 32 KiB). Results are bitwise the same whichever
    /// is used. False: every call takes the stores the threshold picks.
    /// </summary>
    public static bool TuneStores
    {
        get => Volatile.Read(ref s_tuneStores) != 0;
        set => Volatile.Write(ref s_tuneStores, value ? 1 : 0);
    }

    /// <summary>
    /// The size in bytes of the last-level cache that the operating system reports for the first processor (Linux:
    /// the highest-level data or unified cache under <c>/sys/devices/system/cpu/cpu0/cache</c>), read once; 0 where
    /// it cannot be read (another operating system, or a VM that does not expose it).
    /// </summary>
    public static long LastLevelCacheBytes => s_lastLevelCacheBytes;

    /// <summary>
    /// The default of <see cref="StreamingStoreThreshold"/>: the last-level cache size (an output that large cannot stay
    /// in cache next to its input), at most 32 MiB, and 32 MiB where the size is unknown. The cap is there because VMs
    /// report their host's shared cache (260 MiB on the reference Xeon VM, where 64 MiB outputs are still 1.6× faster
    /// with streaming stores and 16 MiB ones 1.7× faster with cached stores; see docs/benchmarks.md).
    /// </summary>
    public static long DefaultStreamingStoreThreshold => s_defaultStreamingStoreThreshold;

    private static long ReadLastLevelCache()
    {
        const string directory = "/sys/devices/system/cpu/cpu0/cache";
        try
        {
            if (!Directory.Exists(directory)) return 0;
            int bestLevel = 0;
            long best = 0;
            foreach (string index in Directory.EnumerateDirectories(directory, "index*"))
            {
                if (ReadLine(index, "type") == "Instruction") continue;
                if (!int.TryParse(ReadLine(index, "level"), NumberStyles.None, CultureInfo.InvariantCulture, out int level) || level < bestLevel) continue;
                long size = ParseCacheSize(ReadLine(index, "size"));
                if (size <= 0) continue;
                bestLevel = level;
                best = size;
            }
            return best;
        }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }

    private static string ReadLine(string directory, string file)
    {
        string path = Path.Combine(directory, file);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : "";
    }

    /// <summary>sysfs cache sizes: "32768K", "1M", "512" (bytes); 0 when the text is not one of these.</summary>
    private static long ParseCacheSize(string text)
    {
        if (text.Length == 0) return 0;
        long unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        string digits = unit == 1 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value > 0 && value < (1L << 40) ? value * unit : 0;
    }
}
