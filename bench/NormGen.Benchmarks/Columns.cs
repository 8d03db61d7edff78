using System;
using System.Globalization;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace NormGen.Benchmarks;

/// <summary>Shared plumbing of the custom columns: the mean of a case, and the case of another method with the same parameters.</summary>
public abstract class SuiteColumn : IColumn
{
    public abstract string Id { get; }
    public abstract string ColumnName { get; }
    public abstract string Legend { get; }
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);
    public abstract string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style);
    public override string ToString() => ColumnName;

    /// <summary>Mean time of one call in nanoseconds, or null when the case has no result.</summary>
    protected static double? MeanNs(Summary summary, BenchmarkCase? c)
        => c is null ? null : summary[c]?.ResultStatistics?.Mean;

    /// <summary>The case of <paramref name="method"/> in the same suite and shape, with <paramref name="threads"/> (or the same threads).</summary>
    protected static BenchmarkCase? Sibling(Summary summary, BenchmarkCase c, string method, Threads? threads = null)
        => summary.BenchmarksCases.FirstOrDefault(o =>
            o.Descriptor.Type == c.Descriptor.Type &&
            o.Descriptor.WorkloadMethod.Name == method &&
            Equals(o.Parameters["Shape"], c.Parameters["Shape"]) &&
            Equals(o.Parameters["Threads"], threads ?? c.Parameters["Threads"]) &&
            o.Job == c.Job);
}

/// <summary>
/// Bandwidth: bytes moved (read x once, write y once, read each of γ/β once) divided by the mean time of a call.
/// A normalization that reads x more than once from memory shows up here as less than the copy's GB/s.
/// </summary>
public sealed class BandwidthColumn : SuiteColumn
{
    public override string Id => "NormGen.GBps";
    public override string ColumnName => "GB/s";
    public override string Legend => "Bytes moved (x read + y written, plus residual read + residualOut written in the residual suite, + γ/β read once) / mean time, in 10^9 bytes per second";

    public static long BytesMoved(BenchmarkCase c)
    {
        var shape = (BatchShape)c.Parameters["Shape"];
        int affine = c.Descriptor.WorkloadMethod.Name == nameof(NormBenchmarks.Copy)
            ? 0
            : c.Descriptor.Type.GetCustomAttribute<AffineVectorsAttribute>()?.Count ?? 0;
        int tensors = c.Descriptor.WorkloadMethod.Name == nameof(NormBenchmarks.Copy)
            ? 2
            : c.Descriptor.Type.GetCustomAttribute<TensorsMovedAttribute>()?.Count ?? 2;
        return ((long)tensors * shape.Elements + (long)affine * shape.Hidden) * sizeof(float);
    }

    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        => MeanNs(summary, benchmarkCase) is double ns && ns > 0
            ? (BytesMoved(benchmarkCase) / ns).ToString("F1", CultureInfo.InvariantCulture) // bytes per ns = GB/s
            : "?";
}

/// <summary>The case's bandwidth as a percentage of the copy bound's, for the same shape and threads.</summary>
public sealed class PercentOfCopyColumn : SuiteColumn
{
    public override string Id => "NormGen.PercentOfCopy";
    public override string ColumnName => "%Copy";
    public override string Legend => "GB/s as a percentage of Copy's GB/s at the same shape and threads (100% = as fast as copying x to y)";

    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (MeanNs(summary, benchmarkCase) is not double ns || ns <= 0) return "?";
        BenchmarkCase? copy = Sibling(summary, benchmarkCase, nameof(NormBenchmarks.Copy));
        if (MeanNs(summary, copy) is not double copyNs || copyNs <= 0) return "-";
        double gbps = BandwidthColumn.BytesMoved(benchmarkCase) / ns, copyGbps = BandwidthColumn.BytesMoved(copy!) / copyNs;
        return (100 * gbps / copyGbps).ToString("F0", CultureInfo.InvariantCulture) + "%";
    }
}

/// <summary>How many times faster than <c>method</c> run on one thread at the same shape (mean time of that case / this case's).</summary>
public sealed class SpeedupOverColumn(string method, string columnName) : SuiteColumn
{
    public override string Id => "NormGen.SpeedupOver." + method;
    public override string ColumnName => columnName;
    public override string Legend => $"Speed-up over {method} on one thread at the same shape: its mean time / this mean time";

    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (MeanNs(summary, benchmarkCase) is not double ns || ns <= 0) return "?";
        if (MeanNs(summary, Sibling(summary, benchmarkCase, method, Threads.Single)) is not double otherNs) return "-";
        return (otherNs / ns).ToString("F2", CultureInfo.InvariantCulture) + "×";
    }
}
