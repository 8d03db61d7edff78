using System;
using System.Threading;

namespace NormGen;

/// <summary>Process-wide settings that every generated NormGen kernel reads on each call.</summary>
public static class NormGenSettings
{
    private static int s_maxDegreeOfParallelism = -1;
    private static int s_minElementsPerThread = 1 << 17;
    private static long s_streamingStoreThreshold = 32L << 20;

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
    /// Calls whose output is at least this many bytes (default 32 MiB) write it with non-temporal stores: the output
    /// bypasses the caches, which saves the read-for-ownership of every output line (a third of the memory traffic of
    /// a normalization that reads x and writes y) at the price of the output not being in cache for the next step.
    /// The default sits between the sizes where each wins on the reference machine (a 2-core Xeon VM: cached stores are
    /// 1.7× faster for a 16 MiB output, streaming stores 1.6× faster for 64 MiB; see docs/benchmarks.md); set it from
    /// your own machine's last-level cache. <see cref="long.MaxValue"/> turns streaming stores off. Results are bitwise
    /// the same either way.
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
}
