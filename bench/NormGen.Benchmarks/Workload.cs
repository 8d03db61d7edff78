using System;
using System.Globalization;

namespace NormGen.Benchmarks;

/// <summary>How many threads a case may use: one, or every core (NormGen and ONNX Runtime spread rows; the copy bound splits).</summary>
public enum Threads
{
    /// <summary>One thread: <see cref="NormGenSettings.MaxDegreeOfParallelism"/> = 1, ONNX Runtime IntraOpNumThreads = 1.</summary>
    Single,

    /// <summary>All cores: <see cref="NormGenSettings.MaxDegreeOfParallelism"/> = -1, ONNX Runtime's default thread pool.</summary>
    AllCores,
}

/// <summary>
/// A batch shape: rows × hidden, shown as "32x768" in tables and benchmark names (so <c>--filter '*32x768*'</c> selects
/// it). Ordered by element count, so tables read from the smallest input to the largest.
/// </summary>
public readonly record struct BatchShape(int Rows, int Hidden) : IComparable<BatchShape>, IComparable
{
    public int Elements => checked(Rows * Hidden);

    public int CompareTo(BatchShape other)
        => Elements != other.Elements ? Elements.CompareTo(other.Elements) : Hidden.CompareTo(other.Hidden);

    public int CompareTo(object? obj) => obj is BatchShape other ? CompareTo(other) : 1;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Rows}x{Hidden}");
}

/// <summary>
/// The buffers of one case: x with rows of different means and scales (like activations), gamma/beta near 1/0, and y.
/// Deterministic, so every method and every run sees the same data.
/// </summary>
public sealed class Workload
{
    public Workload(BatchShape shape, int seed = 42)
    {
        Shape = shape;
        X = new float[shape.Elements];
        Y = new float[shape.Elements];
        Gamma = new float[shape.Hidden];
        Beta = new float[shape.Hidden];
        var rng = new Random(seed);
        for (int r = 0; r < shape.Rows; r++)
        {
            float mean = (float)(rng.NextDouble() * 4 - 2), scale = (float)(0.5 + rng.NextDouble() * 2);
            for (int i = 0; i < shape.Hidden; i++)
                X[r * shape.Hidden + i] = mean + scale * (float)(rng.NextDouble() * 2 - 1);
        }
        for (int i = 0; i < shape.Hidden; i++)
        {
            Gamma[i] = (float)(0.9 + rng.NextDouble() * 0.2);
            Beta[i] = (float)(rng.NextDouble() * 0.2 - 0.1);
        }
    }

    public BatchShape Shape { get; }
    public float[] X { get; }
    public float[] Y { get; }
    public float[] Gamma { get; }
    public float[] Beta { get; }
}
