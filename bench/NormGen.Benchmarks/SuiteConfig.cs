using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using Perfolizer.Horology;

namespace NormGen.Benchmarks;

/// <summary>
/// The suite's configuration: a short job sized so that the whole suite (90 cases, about 6 s each) finishes in about 10 minutes on a
/// 2-core machine, the bandwidth and comparison columns, and a filter that drops cases that would only repeat others.
/// </summary>
public sealed class SuiteConfig : ManualConfig
{
    /// <param name="quick">
    /// A smoke-test job (2 warm-ups, 3 iterations of 100 ms): shows that everything runs; numbers are rough. Shorter
    /// iterations are not worth it: the pilot stage then ends before tiered compilation has optimised the code, and
    /// the composed TensorPrimitives baseline is measured 10× too slow.
    /// </param>
    public SuiteConfig(bool quick)
    {
        Add(DefaultConfig.Instance);
        AddJob(quick
            ? Job.Default.WithId("Quick").WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(3).WithIterationTime(TimeInterval.FromMilliseconds(100))
            // 150 ms iterations hold 2–15 calls of the biggest shape and many thousands of the smallest; 10 iterations
            // give a usable standard deviation without the default job's 15–100.
            : Job.Default.WithId("Suite").WithLaunchCount(1).WithWarmupCount(4).WithIterationCount(10).WithIterationTime(TimeInterval.FromMilliseconds(150)));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(new BandwidthColumn(), new PercentOfCopyColumn(), new SpeedupOverColumn(nameof(LayerNormBenchmarks.TensorPrimitives), "×TP"),
            new SpeedupOverColumn(nameof(ResidualBenchmarks.OnnxRuntimeSkipLayerNorm), "×ORT-Skip"));
        HideColumns(Column.Error, Column.Gen0, Column.Gen1, Column.Gen2);
        // The naive loop and the TensorPrimitives composition never use more than one thread: in the AllCores group
        // they would only repeat their Single-thread numbers.
        AddFilter(new SimpleFilter(c =>
            !(Equals(c.Parameters["Threads"], Threads.AllCores) &&
              c.Descriptor.WorkloadMethod.Name is nameof(LayerNormBenchmarks.NaiveScalar) or nameof(LayerNormBenchmarks.TensorPrimitives))));
        WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared));
        WithOption(ConfigOptions.JoinSummary, false);
    }
}
