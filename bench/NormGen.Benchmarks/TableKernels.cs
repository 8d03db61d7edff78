using System;
using System.Numerics.Tensors;
using NormGen;

namespace NormGen.Benchmarks;

/// <summary>
/// The kernels of the <c>table</c> mode (Table.cs) that the other suites do not declare: DeepNorm rows and the tensor
/// kinds, as a model would declare them (ε as PyTorch).
/// </summary>
public static partial class TableKernels
{
    /// <summary>α of an 18-layer encoder-only stack, (2N)^¼ = 6^½ ≈ 2.45; the value does not change the cost.</summary>
    [DeepNorm(1024, Architecture = DeepNetArchitecture.EncoderOnly, Layers = 18)]
    private static partial void Deep1024(ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    [DeepNorm(8192, Architecture = DeepNetArchitecture.EncoderOnly, Layers = 18)]
    private static partial void Deep8192(ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    /// <summary>α of <see cref="Deep1024"/> and <see cref="Deep8192"/>, for the composition.</summary>
    public static readonly float DeepAlpha = (float)Math.Pow(2 * 18, 0.25);

    public static void DeepNorm(int hidden, ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
    {
        switch (hidden)
        {
            case 1024: Deep1024(x, sublayer, gamma, beta, y); break;
            case 8192: Deep8192(x, sublayer, gamma, beta, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "No compile-time DeepNorm kernel for this hidden size.");
        }
    }

    [InstanceNorm(Affine = Affine.ScaleAndBias)]
    public static partial void InstanceNorm(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [BatchNorm(Training = true, Momentum = 0.1f)]
    public static partial void BatchNormTraining(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);

    [BatchNorm]
    public static partial void BatchNormEval(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, TensorSpan<float> y);

    [GroupNorm(32)]
    public static partial void GroupNorm32(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [MinMaxScale]
    public static partial void MinMaxScale(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    [Standardize]
    public static partial void Standardize(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    // The cores table (`table --only cores`): the tensor kinds and scalers in float and Half, one thread against all cores.
    [InstanceNorm(Affine = Affine.ScaleAndBias)]
    public static partial void InstanceNormHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, TensorSpan<Half> y);

    [BatchNorm(Training = true, Momentum = 0.1f)]
    public static partial void BatchNormTrainingHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> runningMean, Span<Half> runningVar, TensorSpan<Half> y);

    [GroupNorm(32)]
    public static partial void GroupNorm32Half(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, TensorSpan<Half> y);

    [ChannelLayerNorm]
    public static partial void ChannelLayerNorm(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [ChannelLayerNorm]
    public static partial void ChannelLayerNormHalf(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, TensorSpan<Half> y);

    [MinMaxScale]
    public static partial void MinMaxScaleHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);

    [Standardize]
    public static partial void StandardizeHalf(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);
}

/// <summary>
/// The tensor kinds composed from <see cref="TensorPrimitives"/> calls, what a .NET user would write without NormGen:
/// exact two-pass statistics per block (Sum; Subtract into y; SumOfSquares of y), then the affine per block.
/// </summary>
public static class TensorBaselines
{
    public const float Epsilon = 1e-5f;

    /// <summary>y = y·s + t with scalars s and t: TensorPrimitives has no MultiplyAdd of two scalars, so Multiply, then Add.</summary>
    private static void AffineInPlace(Span<float> y, float s, float t)
    {
        TensorPrimitives.Multiply(y, s, y);
        TensorPrimitives.Add(y, t, y);
    }

    /// <summary>InstanceNorm over (N, C, HW): each (n, c) block normalised on its own, per-channel γ, β.</summary>
    public static void InstanceNorm(ReadOnlySpan<float> x, int n, int c, int hw, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
    {
        for (int b = 0; b < n * c; b++)
        {
            int ch = b % c;
            ReadOnlySpan<float> xb = x.Slice(b * hw, hw);
            Span<float> yb = y.Slice(b * hw, hw);
            float mean = TensorPrimitives.Sum(xb) / hw;
            TensorPrimitives.Subtract(xb, mean, yb);
            float rstd = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(yb) / hw + Epsilon);
            AffineInPlace(yb, rstd * gamma[ch], beta[ch]);
        }
    }

    /// <summary>GroupNorm over (N, C, HW) with <paramref name="groups"/> groups of contiguous channels, per-channel γ, β.</summary>
    public static void GroupNorm(ReadOnlySpan<float> x, int n, int c, int hw, int groups, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
    {
        int perGroup = c / groups, size = perGroup * hw;
        for (int g = 0; g < n * groups; g++)
        {
            ReadOnlySpan<float> xg = x.Slice(g * size, size);
            Span<float> yg = y.Slice(g * size, size);
            float mean = TensorPrimitives.Sum(xg) / size;
            TensorPrimitives.Subtract(xg, mean, yg);
            float rstd = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(yg) / size + Epsilon);
            int firstChannel = g % groups * perGroup;
            for (int k = 0; k < perGroup; k++)
            {
                Span<float> yc = yg.Slice(k * hw, hw);
                AffineInPlace(yc, rstd * gamma[firstChannel + k], beta[firstChannel + k]);
            }
        }
    }

    /// <summary>
    /// BatchNorm training over (N, C, HW): per channel, the mean over every (n, c) block, x − mean into y and the sum of
    /// its squares, then y·s + t and the running statistics (momentum 0.1, unbiased variance), as PyTorch.
    /// </summary>
    public static void BatchNormTraining(ReadOnlySpan<float> x, int n, int c, int hw, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, Span<float> y)
    {
        int count = n * hw;
        for (int ch = 0; ch < c; ch++)
        {
            float sum = 0;
            for (int i = 0; i < n; i++) sum += TensorPrimitives.Sum(x.Slice((i * c + ch) * hw, hw));
            float mean = sum / count, squares = 0;
            for (int i = 0; i < n; i++)
            {
                Span<float> yb = y.Slice((i * c + ch) * hw, hw);
                TensorPrimitives.Subtract(x.Slice((i * c + ch) * hw, hw), mean, yb);
                squares += TensorPrimitives.SumOfSquares(yb);
            }
            float variance = squares / count, scale = gamma[ch] / MathF.Sqrt(variance + Epsilon);
            for (int i = 0; i < n; i++)
            {
                Span<float> yb = y.Slice((i * c + ch) * hw, hw);
                AffineInPlace(yb, scale, beta[ch]);
            }
            runningMean[ch] = 0.9f * runningMean[ch] + 0.1f * mean;
            runningVar[ch] = 0.9f * runningVar[ch] + 0.1f * (count > 1 ? squares / (count - 1) : variance);
        }
    }

    /// <summary>BatchNorm eval over (N, C, HW): y = x·s + t per channel, s and t folded from the running statistics.</summary>
    public static void BatchNormEval(ReadOnlySpan<float> x, int n, int c, int hw, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Span<float> y)
    {
        for (int b = 0; b < n * c; b++)
        {
            int ch = b % c;
            float s = gamma[ch] / MathF.Sqrt(runningVar[ch] + Epsilon);
            Span<float> yb = y.Slice(b * hw, hw);
            TensorPrimitives.Multiply(x.Slice(b * hw, hw), s, yb);
            TensorPrimitives.Add(yb, beta[ch] - runningMean[ch] * s, yb);
        }
    }

    /// <summary>
    /// MinMaxScale over (samples, features), row-wise: per-column min and max accumulated row by row (TensorPrimitives.Min
    /// and Max into column vectors), then y = (x − min)·(1/(max − min)) row by row (0 for a constant column).
    /// </summary>
    public static void MinMaxScale(ReadOnlySpan<float> x, int samples, int features, Span<float> min, Span<float> max, Span<float> scale, Span<float> y)
    {
        x.Slice(0, features).CopyTo(min);
        x.Slice(0, features).CopyTo(max);
        for (int r = 1; r < samples; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * features, features);
            TensorPrimitives.Min(min, row, min);
            TensorPrimitives.Max(max, row, max);
        }
        TensorPrimitives.Subtract(max, min, scale);
        for (int j = 0; j < features; j++) scale[j] = scale[j] == 0 ? 0 : 1f / scale[j];
        for (int r = 0; r < samples; r++)
        {
            Span<float> yr = y.Slice(r * features, features);
            TensorPrimitives.Subtract(x.Slice(r * features, features), min, yr);
            TensorPrimitives.Multiply(yr, scale, yr);
        }
    }

    /// <summary>
    /// Standardize over (samples, features), row-wise: column sums row by row, then the column sums of squared
    /// deviations row by row (Subtract, then MultiplyAdd into the accumulator), then y = (x − mean)·rstd row by row.
    /// </summary>
    public static void Standardize(ReadOnlySpan<float> x, int samples, int features, Span<float> mean, Span<float> squares, Span<float> scratch, Span<float> y)
    {
        mean.Clear();
        squares.Clear();
        for (int r = 0; r < samples; r++) TensorPrimitives.Add(mean, x.Slice(r * features, features), mean);
        TensorPrimitives.Multiply(mean, 1f / samples, mean);
        for (int r = 0; r < samples; r++)
        {
            TensorPrimitives.Subtract(x.Slice(r * features, features), mean, scratch);
            TensorPrimitives.MultiplyAdd(scratch, scratch, squares, squares);
        }
        for (int j = 0; j < features; j++) squares[j] = squares[j] == 0 ? 0 : 1f / MathF.Sqrt(squares[j] / samples);
        for (int r = 0; r < samples; r++)
        {
            Span<float> yr = y.Slice(r * features, features);
            TensorPrimitives.Subtract(x.Slice(r * features, features), mean, yr);
            TensorPrimitives.Multiply(yr, squares, yr);
        }
    }
}
