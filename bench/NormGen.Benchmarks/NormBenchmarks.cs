using System;
using BenchmarkDotNet.Attributes;

namespace NormGen.Benchmarks;

/// <summary>
/// Parameters and buffers shared by the LayerNorm and RMSNorm suites. Each case runs in its own process, so the
/// settings and the ONNX Runtime session made here belong to that case alone.
/// </summary>
public abstract class NormBenchmarks
{
    /// <summary>rows × hidden: one token, a short batch, and growing activations up to 2048 × 8192 (64 MiB each for x and y).</summary>
    [ParamsSource(nameof(Shapes))]
    public BatchShape Shape { get; set; }

    public static BatchShape[] Shapes { get; } = [new(1, 768), new(32, 768), new(128, 4096), new(512, 4096), new(4096, 1024), new(2048, 8192)];

    // A ParamsSource like Shape (not [Params]) so that the two keep their declaration order: Shape is the leftmost
    // column and comes first in the full names that --filter matches ("…(Shape: 32x768, Threads: Single)").
    [ParamsSource(nameof(ThreadModes))]
    public Threads Threads { get; set; }

    public static Threads[] ThreadModes { get; } = [Threads.Single, Threads.AllCores];

    protected Workload W = null!;
    protected OrtRunner? Ort;
    private int _copyThreads;

    protected void SetUp()
    {
        W = new Workload(Shape);
        NormGenSettings.MaxDegreeOfParallelism = Threads == Threads.Single ? 1 : -1;
        _copyThreads = Threads == Threads.Single ? 1 : Environment.ProcessorCount;
    }

    [GlobalCleanup]
    public void CleanUp()
    {
        Ort?.Dispose();
        Ort = null;
    }

    /// <summary>The copy bound: x → y, the bytes every normalization has to move at least.</summary>
    [Benchmark]
    public void Copy() => Baselines.Copy(W.X, W.Y, _copyThreads);
}

/// <summary>LayerNorm (ε = 1e-5, γ and β) forward over float rows.</summary>
[BenchmarkCategory("LayerNorm"), AffineVectors(2)]
public class LayerNormBenchmarks : NormBenchmarks
{
    [GlobalSetup]
    public void Setup() => SetUp();

    [GlobalSetup(Target = nameof(OnnxRuntime))]
    public void SetupOnnxRuntime()
    {
        SetUp();
        Ort = OrtRunner.LayerNorm(W, Threads);
    }

    /// <summary>NormGen's generated kernel for the compile-time row length.</summary>
    [Benchmark]
    public void NormGenKernel() => Kernels.LayerNorm(W.Shape.Hidden, W.X, W.Gamma, W.Beta, W.Y);

    /// <summary>Per row: Sum, Subtract, SumOfSquares, Multiply, MultiplyAdd (single thread only).</summary>
    [Benchmark]
    public void TensorPrimitives() => Baselines.TensorPrimitivesLayerNorm(W.X, W.Shape.Hidden, W.Gamma, W.Beta, W.Y);

    /// <summary>The plain two-pass scalar loop (single thread only).</summary>
    [Benchmark]
    public void NaiveScalar() => Baselines.NaiveLayerNorm(W.X, W.Shape.Hidden, W.Gamma, W.Beta, W.Y);

    /// <summary>ONNX Runtime CPU LayerNormalization, IntraOpNumThreads = 1 (Single) or the default pool (AllCores).</summary>
    [Benchmark]
    public void OnnxRuntime() => Ort!.Run();
}

/// <summary>RMSNorm (ε = 1e-6, weight) forward over float rows.</summary>
[BenchmarkCategory("RmsNorm"), AffineVectors(1)]
public class RmsNormBenchmarks : NormBenchmarks
{
    [GlobalSetup]
    public void Setup() => SetUp();

    [GlobalSetup(Target = nameof(OnnxRuntime))]
    public void SetupOnnxRuntime()
    {
        SetUp();
        Ort = OrtRunner.RmsNorm(W, Threads);
    }

    [Benchmark]
    public void NormGenKernel() => Kernels.RmsNorm(W.Shape.Hidden, W.X, W.Gamma, W.Y);

    /// <summary>Per row: SumOfSquares, Multiply by rstd, Multiply by weight (single thread only).</summary>
    [Benchmark]
    public void TensorPrimitives() => Baselines.TensorPrimitivesRmsNorm(W.X, W.Shape.Hidden, W.Gamma, W.Y);

    /// <summary>ONNX Runtime SimplifiedLayerNormalization, IntraOpNumThreads = 1 (Single) or the default pool (AllCores).</summary>
    [Benchmark]
    public void OnnxRuntime() => Ort!.Run();
}

/// <summary>How many per-element parameter vectors (γ, β) a suite's kernels read once per call; counted by the GB/s column.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class AffineVectorsAttribute(int count) : Attribute
{
    public int Count { get; } = count;
}
