using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace NormGen.Gpu.Tests;

/// <summary>
/// For before/after comparisons of the GPU kernels (same bits): when <c>NORMGEN_GPU_OUTPUT_LOG</c> names a file, every
/// output the tests measure (the <c>actual</c> of <see cref="Reference.MaxError"/> and
/// <see cref="BackwardGpuTests.RelativeError"/>) is hashed, and the sorted hashes with their counts are written there
/// when the test process exits. Two runs of the same tests with two generators give the same file exactly when every
/// measured output has the same bits (tests run in parallel, so the log is a multiset, not a sequence).
/// </summary>
internal static class OutputLog
{
    private static readonly string? Path = Environment.GetEnvironmentVariable("NORMGEN_GPU_OUTPUT_LOG");
    private static readonly ConcurrentDictionary<string, int> Hashes = new();

    static OutputLog()
    {
        if (Path is not null)
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                File.WriteAllLines(Path, Hashes.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
    }

    public static void Record(ReadOnlySpan<double> actual)
    {
        if (Path is null) return;
        string hash = Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(actual)));
        Hashes.AddOrUpdate(hash, 1, (_, n) => n + 1);
    }
}
