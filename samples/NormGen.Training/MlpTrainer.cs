using System;
using System.Collections.Generic;
using System.Numerics.Tensors;

namespace NormGen.Training;

/// <summary>Which normalization follows each hidden linear layer.</summary>
public enum NormVariant
{
    None,
    LayerNorm,
    BatchNorm,
}

/// <summary>Sizes and hyper-parameters of one training run.</summary>
public sealed record TrainingOptions
{
    public int Features { get; init; } = 20;
    public int Classes { get; init; } = 5;
    public int Hidden { get; init; } = 256;
    public int HiddenLayers { get; init; } = 3;
    public int TrainSamples { get; init; } = 4096;
    public int TestSamples { get; init; } = 1024;
    public int BatchSize { get; init; } = 128;
    public int Epochs { get; init; } = 8;
    public float LearningRate { get; init; } = 0.05f;

    /// <summary>Gradients are rescaled when their global L2 norm exceeds this (the same for every variant).</summary>
    public float ClipNorm { get; init; } = 5f;
    public int Seed { get; init; } = 1;
}

/// <summary>One epoch's mean training loss and the accuracy on the held-out samples after it.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TestAccuracy);

/// <summary>Samples and labels, row-major (samples × features).</summary>
public sealed record Dataset(float[] TrainX, int[] TrainY, float[] TestX, int[] TestY, int Features, int Classes);

/// <summary>
/// A small MLP (linear → [LayerNorm | BatchNorm] → ReLU, repeated, then a linear classifier with softmax cross-entropy)
/// trained by plain SGD. The normalizations run forward and backward through NormGen kernels; the matrix products are
/// plain loops over <see cref="TensorPrimitives"/> rows.
/// </summary>
public static class MlpTrainer
{
    /// <summary>
    /// A synthetic classification task whose raw features have very different scales and offsets (1e-2 … 1e3): the
    /// label is a non-linear function of an 8-dimensional latent point; each feature is a random projection of that
    /// point times its own scale, plus an offset of the same size.
    /// </summary>
    public static Dataset MakeData(TrainingOptions o)
    {
        var rng = new Random(o.Seed);
        const int latent = 8;
        var a = Gaussians(rng, o.Classes * latent, 1);
        var c = Gaussians(rng, o.Classes * latent, 1);
        var b = Gaussians(rng, o.Features * latent, 1 / Math.Sqrt(latent));
        var scale = new double[o.Features];
        var offset = new double[o.Features];
        for (int j = 0; j < o.Features; j++)
        {
            scale[j] = Math.Pow(10, -2 + 5.0 * j / Math.Max(1, o.Features - 1)); // 1e-2 … 1e3
            offset[j] = scale[j] * 3 * Gaussian(rng);
        }
        (float[] X, int[] Y) Make(int count)
        {
            var x = new float[count * o.Features];
            var y = new int[count];
            var z = new double[latent];
            for (int s = 0; s < count; s++)
            {
                for (int k = 0; k < latent; k++) z[k] = Gaussian(rng);
                int best = 0;
                double bestScore = double.NegativeInfinity;
                for (int k = 0; k < o.Classes; k++)
                {
                    double score = 0;
                    for (int l = 0; l < latent; l++) score += a[k * latent + l] * z[l] + 0.7 * Math.Sin(2 * c[k * latent + l] * z[l]);
                    if (score > bestScore) (best, bestScore) = (k, score);
                }
                y[s] = best;
                for (int j = 0; j < o.Features; j++)
                {
                    double v = 0;
                    for (int l = 0; l < latent; l++) v += b[j * latent + l] * z[l];
                    x[s * o.Features + j] = (float)(scale[j] * v + offset[j]);
                }
            }
            return (x, y);
        }
        var train = Make(o.TrainSamples);
        var test = Make(o.TestSamples);
        return new Dataset(train.X, train.Y, test.X, test.Y, o.Features, o.Classes);
    }

    /// <summary>Trains one variant from the same initial weights (same seed) and returns the per-epoch results.</summary>
    public static List<EpochResult> Train(NormVariant variant, TrainingOptions o, Dataset data)
    {
        var rng = new Random(o.Seed + 1);
        var net = new Network(variant, o, rng);
        var results = new List<EpochResult>();
        int batches = o.TrainSamples / o.BatchSize;
        int[] order = new int[o.TrainSamples];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        float[] xb = new float[o.BatchSize * o.Features];
        int[] yb = new int[o.BatchSize];
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            rng.Shuffle(order);
            double lossSum = 0;
            for (int bi = 0; bi < batches; bi++)
            {
                for (int s = 0; s < o.BatchSize; s++)
                {
                    int idx = order[bi * o.BatchSize + s];
                    data.TrainX.AsSpan(idx * o.Features, o.Features).CopyTo(xb.AsSpan(s * o.Features));
                    yb[s] = data.TrainY[idx];
                }
                lossSum += net.TrainStep(xb, yb, o.LearningRate);
            }
            results.Add(new EpochResult(epoch, lossSum / batches, net.Accuracy(data.TestX, data.TestY)));
        }
        return results;
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static double[] Gaussians(Random rng, int count, double sd)
    {
        var v = new double[count];
        for (int i = 0; i < count; i++) v[i] = sd * Gaussian(rng);
        return v;
    }

    /// <summary>A dense layer y = x·W + b (W is in × out, row-major) with its gradients.</summary>
    private sealed class Linear
    {
        public readonly int In, Out;
        public readonly float[] W, B, DW, DB;

        public Linear(int inputs, int outputs, Random rng)
        {
            In = inputs;
            Out = outputs;
            W = new float[inputs * outputs];
            B = new float[outputs];
            DW = new float[W.Length];
            DB = new float[outputs];
            double sd = Math.Sqrt(2.0 / inputs); // He initialisation for ReLU
            for (int i = 0; i < W.Length; i++) W[i] = (float)(sd * Gaussian(rng));
        }

        public void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
        {
            for (int s = 0; s < batch; s++)
            {
                Span<float> row = y.Slice(s * Out, Out);
                B.CopyTo(row);
                for (int i = 0; i < In; i++)
                    TensorPrimitives.MultiplyAdd(W.AsSpan(i * Out, Out), x[s * In + i], row, row);
            }
        }

        /// <summary>Accumulates dW, db from this batch (after clearing them) and writes dx when asked.</summary>
        public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch)
        {
            Array.Clear(DW);
            Array.Clear(DB);
            for (int s = 0; s < batch; s++)
            {
                ReadOnlySpan<float> g = dy.Slice(s * Out, Out);
                TensorPrimitives.Add(DB, g, DB);
                for (int i = 0; i < In; i++)
                {
                    Span<float> dwRow = DW.AsSpan(i * Out, Out);
                    TensorPrimitives.MultiplyAdd(g, x[s * In + i], dwRow, dwRow);
                    if (!dx.IsEmpty) dx[s * In + i] = TensorPrimitives.Dot(g, W.AsSpan(i * Out, Out));
                }
            }
        }

        public void Step(float lr)
        {
            TensorPrimitives.MultiplyAdd(DW, -lr, W, W);
            TensorPrimitives.MultiplyAdd(DB, -lr, B, B);
        }
    }

    /// <summary>The normalization after a hidden linear layer: γ, β, their gradients, saved statistics, BatchNorm running statistics.</summary>
    private sealed class Norm(NormVariant variant, int units, int batch)
    {
        public readonly float[] Gamma = Ones(units), Beta = new float[units], DGamma = new float[units], DBeta = new float[units];
        private readonly float[] _mean = new float[Math.Max(batch, units)], _rstd = new float[Math.Max(batch, units)];
        private readonly float[] _runningMean = new float[units], _runningVar = Ones(units);

        private static float[] Ones(int n)
        {
            var v = new float[n];
            Array.Fill(v, 1f);
            return v;
        }

        public void Forward(float[] h, float[] z, int rows, bool training)
        {
            nint[] shape = [rows, units];
            if (variant == NormVariant.LayerNorm)
                TrainingKernels.LayerNorm(h.AsSpan(0, rows * units), units, Gamma, Beta, z.AsSpan(0, rows * units), _mean.AsSpan(0, rows), _rstd.AsSpan(0, rows));
            else if (training)
                TrainingKernels.BatchNormTrain(new ReadOnlyTensorSpan<float>(h.AsSpan(0, rows * units), shape), Gamma, Beta, _runningMean, _runningVar,
                    new TensorSpan<float>(z.AsSpan(0, rows * units), shape), _mean.AsSpan(0, units), _rstd.AsSpan(0, units));
            else
                TrainingKernels.BatchNormEval(new ReadOnlyTensorSpan<float>(h.AsSpan(0, rows * units), shape), Gamma, Beta, _runningMean, _runningVar,
                    new TensorSpan<float>(z.AsSpan(0, rows * units), shape));
        }

        /// <summary>dz → dh in place (the kernels allow dx = dy), and dγ, dβ.</summary>
        public void Backward(ReadOnlySpan<float> h, Span<float> dz, int rows)
        {
            nint[] shape = [rows, units];
            if (variant == NormVariant.LayerNorm)
                TrainingKernels.LayerNormBackward(dz, h, units, _mean.AsSpan(0, rows), _rstd.AsSpan(0, rows), Gamma, dz, DGamma, DBeta);
            else
                TrainingKernels.BatchNormBackward(new ReadOnlyTensorSpan<float>(dz, shape), new ReadOnlyTensorSpan<float>(h, shape), _mean.AsSpan(0, units), _rstd.AsSpan(0, units),
                    Gamma, new TensorSpan<float>(dz, shape), DGamma, DBeta);
        }

        public void Step(float lr)
        {
            TensorPrimitives.MultiplyAdd(DGamma, -lr, Gamma, Gamma);
            TensorPrimitives.MultiplyAdd(DBeta, -lr, Beta, Beta);
        }
    }

    private sealed class Network
    {
        private readonly TrainingOptions _o;
        private readonly Linear[] _layers;
        private readonly Norm?[] _norms;
        private readonly float[][] _inputs, _pre, _post; // per hidden layer: its input, linear output h, normalized z (activation applied in place later)
        private readonly float[] _logits, _dLogits;
        private readonly float[][] _grad;

        public Network(NormVariant variant, TrainingOptions o, Random rng)
        {
            _o = o;
            int n = o.HiddenLayers, batch = Math.Max(o.BatchSize, o.TestSamples);
            _layers = new Linear[n + 1];
            _norms = new Norm?[n];
            _inputs = new float[n + 1][];
            _pre = new float[n][];
            _post = new float[n][];
            _grad = new float[n + 1][];
            for (int l = 0; l <= n; l++)
            {
                int inputs = l == 0 ? o.Features : o.Hidden, outputs = l == n ? o.Classes : o.Hidden;
                _layers[l] = new Linear(inputs, outputs, rng);
                _grad[l] = new float[batch * inputs];
                if (l < n)
                {
                    _pre[l] = new float[batch * outputs];
                    _post[l] = new float[batch * outputs];
                    _norms[l] = variant == NormVariant.None ? null : new Norm(variant, outputs, batch);
                }
            }
            _logits = new float[batch * o.Classes];
            _dLogits = new float[batch * o.Classes];
        }

        /// <summary>Forward to the logits; hidden activations are kept for the backward pass.</summary>
        private void Forward(float[] x, int rows, bool training)
        {
            float[] input = x;
            for (int l = 0; l < _o.HiddenLayers; l++)
            {
                _inputs[l] = input;
                int units = _o.Hidden;
                _layers[l].Forward(input.AsSpan(0, rows * _layers[l].In), _pre[l].AsSpan(0, rows * units), rows);
                if (_norms[l] is { } norm) norm.Forward(_pre[l], _post[l], rows, training);
                else _pre[l].AsSpan(0, rows * units).CopyTo(_post[l]);
                // ReLU in place on z: z is no longer needed, the mask z > 0 is recovered from relu(z) > 0.
                TensorPrimitives.Max(_post[l].AsSpan(0, rows * units), 0f, _post[l].AsSpan(0, rows * units));
                input = _post[l];
            }
            _inputs[_o.HiddenLayers] = input;
            _layers[_o.HiddenLayers].Forward(input.AsSpan(0, rows * _o.Hidden), _logits.AsSpan(0, rows * _o.Classes), rows);
        }

        public double TrainStep(float[] x, int[] y, float lr)
        {
            int rows = y.Length, k = _o.Classes;
            Forward(x, rows, training: true);

            // Softmax cross-entropy, mean over the batch.
            double loss = 0;
            for (int s = 0; s < rows; s++)
            {
                Span<float> logits = _logits.AsSpan(s * k, k), d = _dLogits.AsSpan(s * k, k);
                // Softmax of logits − max (stable for large logits, as the unnormalized network produces).
                TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), d);
                TensorPrimitives.Exp(d, d);
                TensorPrimitives.Divide(d, TensorPrimitives.Sum(d), d);
                loss -= Math.Log(Math.Max(d[y[s]], 1e-30f));
                d[y[s]] -= 1f;
                TensorPrimitives.Divide(d, rows, d);
            }

            // Backward: classifier, then each hidden layer (ReLU mask, normalization, linear).
            float[] upstream = _grad[_o.HiddenLayers];
            _layers[_o.HiddenLayers].Backward(_inputs[_o.HiddenLayers].AsSpan(0, rows * _o.Hidden), _dLogits.AsSpan(0, rows * k), upstream.AsSpan(0, rows * _o.Hidden), rows);
            for (int l = _o.HiddenLayers - 1; l >= 0; l--)
            {
                int units = _o.Hidden;
                Span<float> dz = upstream.AsSpan(0, rows * units);
                ReadOnlySpan<float> a = _post[l].AsSpan(0, rows * units);
                for (int i = 0; i < dz.Length; i++) if (a[i] <= 0f) dz[i] = 0f;
                // The normalization's backward writes dh over dz (the kernels allow dx = dy).
                _norms[l]?.Backward(_pre[l].AsSpan(0, rows * units), dz, rows);
                _layers[l].Backward(_inputs[l].AsSpan(0, rows * _layers[l].In), dz, l == 0 ? default : _grad[l].AsSpan(0, rows * _layers[l].In), rows);
                upstream = _grad[l];
            }

            // Global gradient-norm clipping, the same for every variant: without it the unnormalized network's first
            // steps on raw features of size 1e3 overflow to NaN.
            double squares = 0;
            foreach (Linear layer in _layers) squares += SumOfSquares(layer.DW) + SumOfSquares(layer.DB);
            foreach (Norm? norm in _norms) if (norm is not null) squares += SumOfSquares(norm.DGamma) + SumOfSquares(norm.DBeta);
            double gradNorm = Math.Sqrt(squares);
            float step = gradNorm > _o.ClipNorm ? (float)(lr * _o.ClipNorm / gradNorm) : lr;
            foreach (Linear layer in _layers) layer.Step(step);
            foreach (Norm? norm in _norms) norm?.Step(step);
            return loss / rows;
        }

        private static double SumOfSquares(float[] v) => TensorPrimitives.Dot(v, v);

        public double Accuracy(float[] x, int[] y)
        {
            int rows = y.Length, k = _o.Classes, correct = 0;
            Forward(x, rows, training: false);
            for (int s = 0; s < rows; s++)
                if (TensorPrimitives.IndexOfMax(_logits.AsSpan(s * k, k)) == y[s]) correct++;
            return (double)correct / rows;
        }
    }
}
