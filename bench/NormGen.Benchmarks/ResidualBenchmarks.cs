using System;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using NormGen.Testing;

namespace NormGen.Benchmarks;

/// <summary>
/// The pre-norm residual block: h = x + residual, residualOut = h, y = Norm(h). Four tensors move (x and residual
/// read, y and residualOut written), so GB/s counts four; Copy is the same x → y copy as in the other suites, the
/// streaming bound each tensor stream can reach. Single thread: the targets are single-thread ones.
/// </summary>
[BenchmarkCategory("Residual"), AffineVectors(2), TensorsMoved(4)]
public class ResidualBenchmarks
{
    [ParamsSource(nameof(Shapes))]
    public BatchShape Shape { get; set; }

    public static BatchShape[] Shapes { get; } = [new(32, 768), new(128, 4096), new(4096, 1024), new(2048, 8192)];

    [ParamsSource(nameof(ThreadModes))]
    public Threads Threads { get; set; }

    public static Threads[] ThreadModes { get; } = [Threads.Single];

    private Workload _w = null!;
    private float[] _residual = null!, _residualOut = null!;
    private OrtSkip? _ort;

    [GlobalSetup]
    public void Setup()
    {
        _w = new Workload(Shape);
        _residual = new Workload(Shape, seed: 7).X;
        _residualOut = new float[Shape.Elements];
        NormGenSettings.MaxDegreeOfParallelism = 1;
    }

    [GlobalSetup(Targets = [nameof(OnnxRuntimeSkipLayerNorm)])]
    public void SetupSkipLayerNorm() { Setup(); _ort = new OrtSkip(_w, _residual, _residualOut, layerNorm: true); }

    [GlobalSetup(Targets = [nameof(OnnxRuntimeSkipRmsNorm)])]
    public void SetupSkipRmsNorm() { Setup(); _ort = new OrtSkip(_w, _residual, _residualOut, layerNorm: false); }

    [GlobalCleanup]
    public void CleanUp() { _ort?.Dispose(); _ort = null; }

    /// <summary>x → y, the copy bound per stream.</summary>
    [Benchmark]
    public void Copy() => Baselines.Copy(_w.X, _w.Y, 1);

    /// <summary>[RmsNorm(hidden, Residual = true)]: one pass over x and residual, h kept for the scale pass.</summary>
    [Benchmark]
    public void NormGenAddRmsNorm() => ResidualKernels.AddRms(Shape.Hidden, _w.X, _residual, _w.Gamma, _w.Y, _residualOut);

    /// <summary>[LayerNorm(hidden, Residual = true)].</summary>
    [Benchmark]
    public void NormGenAddLayerNorm() => ResidualKernels.AddLayerNorm(Shape.Hidden, _w.X, _residual, _w.Gamma, _w.Beta, _w.Y, _residualOut);

    /// <summary>TensorPrimitives.Add into residualOut, then the RMSNorm composition on it.</summary>
    [Benchmark]
    public void TensorPrimitivesAddRmsNorm()
    {
        System.Numerics.Tensors.TensorPrimitives.Add(_w.X, _residual, _residualOut);
        Baselines.TensorPrimitivesRmsNorm(_residualOut, Shape.Hidden, _w.Gamma, _w.Y);
    }

    /// <summary>TensorPrimitives.Add into residualOut, then the LayerNorm composition on it.</summary>
    [Benchmark]
    public void TensorPrimitivesAddLayerNorm()
    {
        System.Numerics.Tensors.TensorPrimitives.Add(_w.X, _residual, _residualOut);
        Baselines.TensorPrimitivesLayerNorm(_residualOut, Shape.Hidden, _w.Gamma, _w.Beta, _w.Y);
    }

    /// <summary>ONNX Runtime com.microsoft.SkipLayerNormalization (output and input_skip_bias_sum), one intra-op thread.</summary>
    [Benchmark]
    public void OnnxRuntimeSkipLayerNorm() => _ort!.Run();

    /// <summary>ONNX Runtime com.microsoft.SkipSimplifiedLayerNormalization, one intra-op thread.</summary>
    [Benchmark]
    public void OnnxRuntimeSkipRmsNorm() => _ort!.Run();

    /// <summary>One ORT session over a Skip op with every OrtValue made up front (pinned arrays): Run measures the op alone.</summary>
    internal sealed class OrtSkip : IDisposable
    {
        private readonly SessionOptions _options = new() { ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        private readonly InferenceSession _session;
        private readonly RunOptions _run = new();
        private readonly string[] _inputNames, _outputNames = ["output", "input_skip_bias_sum"];
        private readonly OrtValue[] _inputs, _outputs;

        public OrtSkip(Workload w, float[] residual, float[] residualOut, bool layerNorm)
        {
            long[] shape = [1, w.Shape.Rows, w.Shape.Hidden], row = [w.Shape.Hidden];
            byte[] model = layerNorm
                ? OnnxModels.SkipLayerNormalization(shape, Baselines.LayerNormEpsilon, withBeta: true, withBias: false)
                : OnnxModels.SkipSimplifiedLayerNormalization(shape, Baselines.RmsNormEpsilon);
            _session = new InferenceSession(model, _options);
            _inputNames = layerNorm ? ["input", "skip", "gamma", "beta"] : ["input", "skip", "gamma"];
            _inputs = layerNorm
                ? [OrtValue.CreateTensorValueFromMemory(w.X, shape), OrtValue.CreateTensorValueFromMemory(residual, shape), OrtValue.CreateTensorValueFromMemory(w.Gamma, row), OrtValue.CreateTensorValueFromMemory(w.Beta, row)]
                : [OrtValue.CreateTensorValueFromMemory(w.X, shape), OrtValue.CreateTensorValueFromMemory(residual, shape), OrtValue.CreateTensorValueFromMemory(w.Gamma, row)];
            _outputs = [OrtValue.CreateTensorValueFromMemory(w.Y, shape), OrtValue.CreateTensorValueFromMemory(residualOut, shape)];
        }

        public void Run() => _session.Run(_run, _inputNames, _inputs, _outputNames, _outputs);

        public void Dispose()
        {
            foreach (OrtValue v in _inputs) v.Dispose();
            foreach (OrtValue v in _outputs) v.Dispose();
            _run.Dispose();
            _session.Dispose();
            _options.Dispose();
        }
    }
}

/// <summary>How many full tensors (rows × hidden floats) a suite's kernels move, for the GB/s column (default 2: x and y).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class TensorsMovedAttribute(int count) : Attribute
{
    public int Count { get; } = count;
}

/// <summary>The residual kernels under test, one compile-time row length per hidden size.</summary>
public static partial class ResidualKernels
{
    [RmsNorm(768, Epsilon = 1e-6f, Residual = true)]
    private static partial void AddRms768(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

    [RmsNorm(1024, Epsilon = 1e-6f, Residual = true)]
    private static partial void AddRms1024(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

    [RmsNorm(4096, Epsilon = 1e-6f, Residual = true)]
    private static partial void AddRms4096(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

    [RmsNorm(8192, Epsilon = 1e-6f, Residual = true)]
    private static partial void AddRms8192(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

    [LayerNorm(768, Residual = true)]
    private static partial void AddLn768(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut);

    [LayerNorm(1024, Residual = true)]
    private static partial void AddLn1024(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut);

    [LayerNorm(4096, Residual = true)]
    private static partial void AddLn4096(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut);

    [LayerNorm(8192, Residual = true)]
    private static partial void AddLn8192(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut);

    public static void AddRms(int hidden, ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut)
    {
        switch (hidden)
        {
            case 768: AddRms768(x, residual, weight, y, residualOut); break;
            case 1024: AddRms1024(x, residual, weight, y, residualOut); break;
            case 4096: AddRms4096(x, residual, weight, y, residualOut); break;
            case 8192: AddRms8192(x, residual, weight, y, residualOut); break;
            default: throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "No compile-time residual RMSNorm kernel for this hidden size.");
        }
    }

    public static void AddLayerNorm(int hidden, ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut)
    {
        switch (hidden)
        {
            case 768: AddLn768(x, residual, gamma, beta, y, residualOut); break;
            case 1024: AddLn1024(x, residual, gamma, beta, y, residualOut); break;
            case 4096: AddLn4096(x, residual, gamma, beta, y, residualOut); break;
            case 8192: AddLn8192(x, residual, gamma, beta, y, residualOut); break;
            default: throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "No compile-time residual LayerNorm kernel for this hidden size.");
        }
    }
}
