using System;
using System.Linq;
using BenchmarkDotNet.Running;

namespace NormGen.Benchmarks;

/// <summary>
/// Entry point. Arguments are BenchmarkDotNet's (<c>--filter</c>, <c>--list flat</c>, …) plus our own:
/// <c>--quick</c> (a smoke-test job instead of the suite's job), <c>--validate</c> (check every method's output
/// against a double-precision reference at every shape, then exit; no timing) and <c>chart [--out PATH]</c> (the
/// bandwidth-against-hidden-size chart, timed in process, Chart.cs), <c>table</c> (issue 11's tables: memory-bound rows,
/// tensor kinds and scalers against TensorPrimitives, ONNX Runtime and a non-temporal copy, Table.cs) and
/// <c>backward [--short]</c> (the backward's side-by-side ratios, BackwardBandwidth.cs), <c>growth [--out PATH]</c>
/// (GB/s over hidden 64 … 65,536 × rows 1 … 10⁶ with the cache level of each case, Growth.cs), <c>latency</c> (where the
/// time of a 1×768 call goes, Latency.cs). See docs/benchmarks.md.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--validate"))
            return Validation.Run();
        if (args.FirstOrDefault() == "chart")
            return Chart.Run(args);
        if (args.FirstOrDefault() == "table")
            return Table.Run(args);
        if (args.FirstOrDefault() == "backward")
            return BackwardBandwidth.Run(args);
        if (args.FirstOrDefault() == "growth")
            return Growth.Run(args);
        if (args.FirstOrDefault() == "latency")
            return Latency.Run(args);
        bool quick = args.Contains("--quick");
        string[] rest = args.Where(a => a != "--quick").ToArray();
        BenchmarkSwitcher.FromTypes([typeof(LayerNormBenchmarks), typeof(RmsNormBenchmarks), typeof(ResidualBenchmarks), typeof(BackwardBenchmarks)]).Run(rest, new SuiteConfig(quick));
        return 0;
    }
}
