using System;
using System.Globalization;
using System.IO;
using System.Runtime.Intrinsics.X86;

namespace NormGen.Benchmarks;

/// <summary>
/// The data-cache sizes of the first processor, for marking which cache level a working set falls in (<c>growth</c>
/// mode): Linux's <c>/sys/devices/system/cpu/cpu0/cache/index*</c> where it exists, else CPUID (leaf 4 on Intel,
/// 0x80000005/0x80000006 on AMD; VMs without the sysfs tree usually still answer these), else zeros.
/// </summary>
/// <param name="L1d">Level-1 data cache, bytes (per core).</param>
/// <param name="L2">Level-2 cache, bytes.</param>
/// <param name="L3">Level-3 cache, bytes, as reported (a VM may report its host's whole cache).</param>
/// <param name="Source">Where the sizes were read.</param>
public sealed record CacheSizes(long L1d, long L2, long L3, string Source)
{
    /// <summary>The level a working set of <paramref name="bytes"/> fits in: "L1", "L2", "L3" or "DRAM".</summary>
    public string LevelOf(double bytes)
        => bytes <= L1d ? "L1" : bytes <= L2 ? "L2" : bytes <= L3 ? "L3" : "DRAM";

    public override string ToString()
        => $"L1d {Size(L1d)}, L2 {Size(L2)}, L3 {Size(L3)} ({Source})";

    /// <summary>1.5 MiB, 48 KiB, 512 B.</summary>
    public static string Size(double bytes)
    {
        (double value, string unit) = bytes >= 1 << 30 ? (bytes / (1 << 30), "GiB") : bytes >= 1 << 20 ? (bytes / (1 << 20), "MiB") : bytes >= 1 << 10 ? (bytes / (1 << 10), "KiB") : (bytes, "B");
        return string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {unit}");
    }

    /// <summary>
    /// The sizes from sysfs or CPUID. Without sysfs, an L3 over 64 MiB from CPUID is taken to be a VM's report of its
    /// host's whole cache and counted as 32 MiB, the cap <see cref="NormGenSettings.DefaultStreamingStoreThreshold"/> uses
    /// for the same reason; <paramref name="l3Override"/> (bytes, from <c>--l3</c>) replaces the L3 size outright.
    /// </summary>
    public static CacheSizes Read(long l3Override = 0)
    {
        CacheSizes sizes = FromSysfs() ?? FromCpuid() ?? new CacheSizes(0, 0, 0, "unknown");
        if (l3Override > 0)
            return sizes with { L3 = l3Override, Source = $"{sizes.Source}; L3 {Size(sizes.L3)} as reported, {Size(l3Override)} from --l3" };
        if (sizes.Source.StartsWith("CPUID", StringComparison.Ordinal) && sizes.L3 > 64L << 20)
            return sizes with { L3 = 32L << 20, Source = $"{sizes.Source}; L3 reported as {Size(sizes.L3)}, a VM's host total: counted as 32 MiB" };
        return sizes;
    }

    private static CacheSizes? FromSysfs()
    {
        const string directory = "/sys/devices/system/cpu/cpu0/cache";
        try
        {
            if (!Directory.Exists(directory)) return null;
            long l1 = 0, l2 = 0, l3 = 0;
            foreach (string index in Directory.EnumerateDirectories(directory, "index*"))
            {
                if (ReadLine(index, "type") == "Instruction") continue;
                long size = ParseSize(ReadLine(index, "size"));
                switch (ReadLine(index, "level"))
                {
                    case "1": l1 = size; break;
                    case "2": l2 = size; break;
                    case "3": l3 = size; break;
                }
            }
            return l1 > 0 ? new CacheSizes(l1, l2, l3, directory) : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static CacheSizes? FromCpuid()
    {
        if (!X86Base.IsSupported) return null;
        long l1 = 0, l2 = 0, l3 = 0;
        // Deterministic cache parameters (Intel leaf 4): ways × partitions × line × sets per subleaf, until type 0.
        for (int sub = 0; sub < 16; sub++)
        {
            (int a, int b, int c, _) = X86Base.CpuId(4, sub);
            int type = a & 31;
            if (type == 0) break;
            if (type == 2) continue; // instruction cache
            long size = (((uint)b >> 22) + 1L) * (((b >> 12) & 0x3FF) + 1L) * ((b & 0xFFF) + 1L) * ((uint)c + 1L);
            switch ((a >> 5) & 7)
            {
                case 1: l1 = size; break;
                case 2: l2 = size; break;
                case 3: l3 = size; break;
            }
        }
        if (l1 > 0) return new CacheSizes(l1, l2, l3, "CPUID leaf 4");
        // AMD's extended leaves: L1d in KiB in ECX[31:24] of 0x80000005; L2 in KiB in ECX[31:16], L3 in 512 KiB units in EDX[31:18] of 0x80000006.
        if ((uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax < 0x80000006) return null;
        l1 = ((uint)X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx >> 24) * 1024L;
        (_, _, int ecx6, int edx6) = X86Base.CpuId(unchecked((int)0x80000006), 0);
        l2 = ((uint)ecx6 >> 16) * 1024L;
        l3 = ((uint)edx6 >> 18) * 512L * 1024;
        return l1 > 0 ? new CacheSizes(l1, l2, l3, "CPUID 0x80000005/6; no /sys/devices/system/cpu/cpu0/cache here") : null;
    }

    private static string ReadLine(string directory, string file)
    {
        string path = Path.Combine(directory, file);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : "";
    }

    /// <summary>A size as sysfs writes it ("32768K", "32M", "1G", bytes); 0 when it is not one.</summary>
    public static long Parse(string text) => ParseSize(text.Trim());

    private static long ParseSize(string text)
    {
        if (text.Length == 0) return 0;
        long unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        return long.TryParse(unit == 1 ? text : text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v * unit : 0;
    }
}
