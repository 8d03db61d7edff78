using System;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading.Tasks;

namespace NormGen.Benchmarks;

/// <summary>The hand-written competitors: what a .NET user would write without NormGen.</summary>
public static unsafe class Baselines
{
    public const float LayerNormEpsilon = 1e-5f;
    public const float RmsNormEpsilon = 1e-6f;

    /// <summary>LayerNorm as a plain two-pass scalar loop, the way it is usually first written.</summary>
    public static void NaiveLayerNorm(float[] x, int hidden, float[] gamma, float[] beta, float[] y)
    {
        int rows = x.Length / hidden;
        for (int r = 0; r < rows; r++)
        {
            int o = r * hidden;
            float sum = 0;
            for (int i = 0; i < hidden; i++) sum += x[o + i];
            float mean = sum / hidden;
            float sq = 0;
            for (int i = 0; i < hidden; i++) { float d = x[o + i] - mean; sq += d * d; }
            float rstd = 1f / MathF.Sqrt(sq / hidden + LayerNormEpsilon);
            for (int i = 0; i < hidden; i++) y[o + i] = (x[o + i] - mean) * rstd * gamma[i] + beta[i];
        }
    }

    /// <summary>RMSNorm as a plain scalar loop.</summary>
    public static void NaiveRmsNorm(float[] x, int hidden, float[] weight, float[] y)
    {
        int rows = x.Length / hidden;
        for (int r = 0; r < rows; r++)
        {
            int o = r * hidden;
            float sq = 0;
            for (int i = 0; i < hidden; i++) sq += x[o + i] * x[o + i];
            float rstd = 1f / MathF.Sqrt(sq / hidden + RmsNormEpsilon);
            for (int i = 0; i < hidden; i++) y[o + i] = x[o + i] * rstd * weight[i];
        }
    }

    /// <summary>
    /// LayerNorm composed from <see cref="TensorPrimitives"/> per row: five vectorised passes (Sum, Subtract,
    /// SumOfSquares, Multiply, MultiplyAdd), each a separate sweep over the row.
    /// </summary>
    public static void TensorPrimitivesLayerNorm(ReadOnlySpan<float> x, int hidden, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
    {
        int rows = x.Length / hidden;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * hidden, hidden);
            Span<float> yr = y.Slice(r * hidden, hidden);
            float mean = TensorPrimitives.Sum(xr) / hidden;
            TensorPrimitives.Subtract(xr, mean, yr);
            float variance = TensorPrimitives.SumOfSquares(yr) / hidden;
            TensorPrimitives.Multiply(yr, 1f / MathF.Sqrt(variance + LayerNormEpsilon), yr);
            TensorPrimitives.MultiplyAdd(yr, gamma, beta, yr);
        }
    }

    /// <summary>RMSNorm composed from <see cref="TensorPrimitives"/> per row: SumOfSquares, Multiply by rstd, Multiply by weight.</summary>
    public static void TensorPrimitivesRmsNorm(ReadOnlySpan<float> x, int hidden, ReadOnlySpan<float> weight, Span<float> y)
    {
        int rows = x.Length / hidden;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * hidden, hidden);
            Span<float> yr = y.Slice(r * hidden, hidden);
            float meanSquare = TensorPrimitives.SumOfSquares(xr) / hidden;
            TensorPrimitives.Multiply(xr, 1f / MathF.Sqrt(meanSquare + RmsNormEpsilon), yr);
            TensorPrimitives.Multiply(yr, weight, yr);
        }
    }

    /// <summary>
    /// The LayerNorm backward from TensorPrimitives calls, row by row: x̂, g = dy·γ, Σg, Σg·x̂, dx, then dγ += dy·x̂ and
    /// dβ += dy (accumulated in row order). <paramref name="scratch"/> holds two rows.
    /// </summary>
    public static void TensorPrimitivesLayerNormBackward(ReadOnlySpan<float> dyAll, ReadOnlySpan<float> xAll, int n, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> gamma, Span<float> dxAll, Span<float> dgamma, Span<float> dbeta, Span<float> scratch)
    {
        Span<float> xhat = scratch.Slice(0, n), g = scratch.Slice(n, n);
        dgamma.Clear();
        dbeta.Clear();
        for (int r = 0; r < mean.Length; r++)
        {
            ReadOnlySpan<float> dy = dyAll.Slice(r * n, n), x = xAll.Slice(r * n, n);
            Span<float> dx = dxAll.Slice(r * n, n);
            TensorPrimitives.Subtract(x, mean[r], xhat);
            TensorPrimitives.Multiply(xhat, rstd[r], xhat);
            TensorPrimitives.Multiply(dy, gamma, g);
            float c1 = TensorPrimitives.Sum(g) / n, c2 = TensorPrimitives.Dot(g, xhat) / n;
            TensorPrimitives.MultiplyAdd(dy, xhat, dgamma, dgamma);
            TensorPrimitives.Add(dy, dbeta, dbeta);
            TensorPrimitives.Subtract(g, c1, g);
            TensorPrimitives.MultiplyAdd(xhat, -c2, g, g);
            TensorPrimitives.Multiply(g, rstd[r], dx);
        }
    }

    /// <summary>
    /// The copy bound: x → y, the same bytes a normalization must read and write. With <paramref name="threads"/> &gt; 1
    /// and a large input the copy is split into that many contiguous blocks, so the all-cores bound is all cores' bandwidth.
    /// </summary>
    public static void Copy(float[] x, float[] y, int threads)
    {
        if (threads <= 1 || x.Length < 2 * NormGenSettings.MinElementsPerThread)
            x.AsSpan().CopyTo(y);
        else
            ParallelCopy(x, y, threads);
    }

    // Apart from Copy so that the single-thread path does not allocate the lambda's closure.
    private static void ParallelCopy(float[] x, float[] y, int threads)
    {
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, block =>
        {
            int size = x.Length / threads, start = block * size;
            int count = block == threads - 1 ? x.Length - start : size;
            x.AsSpan(start, count).CopyTo(y.AsSpan(start, count));
        });
    }

    /// <summary>
    /// The streaming bound (issue 11's "NT copy"): x → y with aligned non-temporal vector stores (512-bit where
    /// accelerated), so y is written without the read-for-ownership of its lines, as NormGen's streaming path writes.
    /// With <paramref name="threads"/> &gt; 1 the copy is split into that many contiguous blocks.
    /// </summary>
    public static void NonTemporalCopy(float[] x, float[] y, int threads)
    {
        if (threads <= 1)
            NonTemporalCopy(x.AsSpan(), y.AsSpan());
        else
            ParallelNonTemporalCopy(x, y, threads);
    }

    private static void ParallelNonTemporalCopy(float[] x, float[] y, int threads)
    {
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, block =>
        {
            int size = x.Length / threads / 16 * 16, start = block * size;
            int count = block == threads - 1 ? x.Length - start : size;
            NonTemporalCopy(x.AsSpan(start, count), y.AsSpan(start, count));
        });
    }

    /// <summary>The single-thread NT copy of <paramref name="x"/> into <paramref name="y"/> (x.Length elements; y at least as long).</summary>
    public static void NonTemporalCopy(ReadOnlySpan<float> x, Span<float> y)
    {
        fixed (float* source = x)
        fixed (float* target = y)
        {
            int n = x.Length, i = 0;
            // Elements up to the first 64-byte boundary of y, copied with ordinary stores.
            int head = (int)((64 - (nuint)target % 64) % 64 / sizeof(float));
            if ((nuint)target % sizeof(float) != 0 || !Vector512.IsHardwareAccelerated && !Vector256.IsHardwareAccelerated)
            {
                x.CopyTo(y);
                return;
            }
            for (; i < Math.Min(head, n); i++) target[i] = source[i];
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i + 64 <= n; i += 64)
                {
                    Vector512.StoreAlignedNonTemporal(Vector512.Load(source + i), target + i);
                    Vector512.StoreAlignedNonTemporal(Vector512.Load(source + i + 16), target + i + 16);
                    Vector512.StoreAlignedNonTemporal(Vector512.Load(source + i + 32), target + i + 32);
                    Vector512.StoreAlignedNonTemporal(Vector512.Load(source + i + 48), target + i + 48);
                }
                for (; i + 16 <= n; i += 16)
                    Vector512.StoreAlignedNonTemporal(Vector512.Load(source + i), target + i);
            }
            else
            {
                for (; i + 8 <= n; i += 8)
                    Vector256.StoreAlignedNonTemporal(Vector256.Load(source + i), target + i);
            }
            for (; i < n; i++) target[i] = source[i];
            if (Sse.IsSupported) Sse.StoreFence();
        }
    }
}
