using System;
using Microsoft.ML.OnnxRuntime;
using NormGen.Testing;

namespace NormGen.Benchmarks;

/// <summary>
/// One ONNX Runtime CPU session over a single-node model, with every OrtValue created up front over the workload's
/// (pinned) arrays, so <see cref="Run"/> measures only <c>session.Run</c>: no allocation, no copy of inputs or outputs.
/// </summary>
public sealed class OrtRunner : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly OrtValue[] _inputs;
    private readonly string[] _outputNames = ["Y"];
    private readonly OrtValue[] _outputs;

    private OrtRunner(byte[] model, Threads threads, Workload w, bool layerNorm)
    {
        _options = new SessionOptions { ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        if (threads == Threads.Single)
        {
            _options.IntraOpNumThreads = 1;
            _options.InterOpNumThreads = 1;
        }
        else
        {
            // ONNX Runtime's intra-op threads spin after each Run by default, and on a 2-core machine they kept spinning
            // into the next method's batch: the all-cores LayerNorm 2048×8192 cell read NormGen 14.4–16.4 GB/s and the
            // two-thread NT copy 31.8–31.9 with them spinning, 21.2–22.8 and 37.0–39.8 without (ORT itself 16.8 against
            // 13.3–16.0; 2-core AMD EPYC Zen 4, two runs each). Without spinning each method has the cores to itself.
            _options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        }
        _session = new InferenceSession(model, _options);
        long[] shape = [w.Shape.Rows, w.Shape.Hidden], row = [w.Shape.Hidden];
        _inputNames = layerNorm ? ["X", "Scale", "B"] : ["X", "scale"];
        _inputs = layerNorm
            ? [OrtValue.CreateTensorValueFromMemory(w.X, shape), OrtValue.CreateTensorValueFromMemory(w.Gamma, row), OrtValue.CreateTensorValueFromMemory(w.Beta, row)]
            : [OrtValue.CreateTensorValueFromMemory(w.X, shape), OrtValue.CreateTensorValueFromMemory(w.Gamma, row)];
        _outputs = [OrtValue.CreateTensorValueFromMemory(w.Y, shape)];
    }

    /// <summary>ONNX <c>LayerNormalization</c> (opset 17) over the last axis, ε = 1e-5, with scale and bias.</summary>
    public static OrtRunner LayerNorm(Workload w, Threads threads)
        => new(OnnxModels.LayerNormalization([w.Shape.Rows, w.Shape.Hidden], 1, Baselines.LayerNormEpsilon, withBias: true), threads, w, layerNorm: true);

    /// <summary>ONNX Runtime's <c>SimplifiedLayerNormalization</c> (RMSNorm) over the last axis, ε = 1e-6, with scale.</summary>
    public static OrtRunner RmsNorm(Workload w, Threads threads)
        => new(OnnxModels.SimplifiedLayerNormalization([w.Shape.Rows, w.Shape.Hidden], 1, Baselines.RmsNormEpsilon), threads, w, layerNorm: false);

    public void Run() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

    public void Dispose()
    {
        foreach (OrtValue v in _inputs) v.Dispose();
        foreach (OrtValue v in _outputs) v.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}

/// <summary>
/// One ONNX Runtime session on one thread over any single-node model, with named inputs and outputs bound up front to
/// the caller's arrays (as <see cref="OrtRunner"/>), so <see cref="Run"/> measures only <c>session.Run</c>.
/// </summary>
public sealed class OrtModel : IDisposable
{
    private readonly SessionOptions _options = new() { ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames, _outputNames;
    private readonly OrtValue[] _inputs, _outputs;

    public OrtModel(byte[] model, (string Name, float[] Data, long[] Shape)[] inputs, (string Name, float[] Data, long[] Shape)[] outputs)
    {
        _session = new InferenceSession(model, _options);
        _inputNames = Array.ConvertAll(inputs, i => i.Name);
        _inputs = Array.ConvertAll(inputs, i => OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape));
        _outputNames = Array.ConvertAll(outputs, o => o.Name);
        _outputs = Array.ConvertAll(outputs, o => OrtValue.CreateTensorValueFromMemory(o.Data, o.Shape));
    }

    public void Run() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

    public void Dispose()
    {
        foreach (OrtValue v in _inputs) v.Dispose();
        foreach (OrtValue v in _outputs) v.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}
