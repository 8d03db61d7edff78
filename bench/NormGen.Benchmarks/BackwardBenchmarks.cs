using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace NormGen.Benchmarks;

/// <summary>
/// LayerNorm backward (dy, x, saved mean/rstd, γ → dx, dγ, dβ). Three tensors move (dy and x read, dx written), so
/// GB/s counts three plus γ read and dγ, dβ written; Copy is the x → y copy, the streaming bound per tensor stream.
/// TensorPrimitives is the same math composed from TensorPrimitives calls, row by row (dγ/dβ accumulated in row
/// order). Single thread: the targets are single-thread ones.
/// </summary>
[BenchmarkCategory("Backward"), AffineVectors(3), TensorsMoved(3)]
public class BackwardBenchmarks
{
    [ParamsSource(nameof(Shapes))]
    public BatchShape Shape { get; set; }

    public static BatchShape[] Shapes { get; } = [new(32, 768), new(128, 4096), new(2048, 8192)];

    [ParamsSource(nameof(ThreadModes))]
    public Threads Threads { get; set; }

    public static Threads[] ThreadModes { get; } = [Threads.Single];

    private Workload _w = null!;
    private float[] _dy = null!, _dx = null!, _mean = null!, _rstd = null!, _dgamma = null!, _dbeta = null!, _rowScratch = null!;

    [GlobalSetup]
    public void Setup()
    {
        _w = new Workload(Shape);
        _dy = new Workload(Shape, seed: 7).X;
        _dx = new float[Shape.Elements];
        _mean = new float[Shape.Rows];
        _rstd = new float[Shape.Rows];
        _dgamma = new float[Shape.Hidden];
        _dbeta = new float[Shape.Hidden];
        _rowScratch = new float[2 * Shape.Hidden];
        NormGenSettings.MaxDegreeOfParallelism = 1;
        BackwardKernels.LayerNorm(_w.X, Shape.Hidden, _w.Gamma, _w.Beta, _w.Y, _mean, _rstd);
    }

    /// <summary>x → y, the copy bound per stream.</summary>
    [Benchmark]
    public void Copy() => Baselines.Copy(_w.X, _w.Y, 1);

    /// <summary>[LayerNorm(Backward = true)] with a run-time row length.</summary>
    [Benchmark]
    public void NormGenLayerNormBackward() => BackwardKernels.LayerNormBackward(_dy, _w.X, Shape.Hidden, _mean, _rstd, _w.Gamma, _dx, _dgamma, _dbeta);

    /// <summary>The same formula from TensorPrimitives calls: x̂, g = dy·γ, Σg, Σg·x̂, dx, then dγ += dy·x̂ and dβ += dy.</summary>
    [Benchmark]
    public void TensorPrimitives() => Baselines.TensorPrimitivesLayerNormBackward(_dy, _w.X, Shape.Hidden, _mean, _rstd, _w.Gamma, _dx, _dgamma, _dbeta, _rowScratch);
}

/// <summary>The backward kernel under test and the forward that saves its statistics.</summary>
public static partial class BackwardKernels
{
    [LayerNorm(SaveStatistics = true)]
    public static partial void LayerNorm(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd);

    [LayerNorm(Backward = true)]
    public static partial void LayerNormBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

    [BatchNorm(Training = true, SaveStatistics = true)]
    public static partial void BatchNormTraining(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y, Span<float> saveMean, Span<float> saveRstd);

    [BatchNorm(Training = true, Backward = true)]
    public static partial void BatchNormBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveRstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);
}
