using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>Tensor kernels for blocks and channels with huge finite values.</summary>
public static partial class HugeTensorKernels
{
    [GroupNorm(2, SaveStatistics = true)]
    public static partial void Gn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y, Span<float> mean, Span<float> rstd);

    [InstanceNorm]
    public static partial void Inorm(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

    [InstanceNorm]
    public static partial void InormDouble(ReadOnlyTensorSpan<double> x, TensorSpan<double> y);

    [BatchNorm(Training = true, Momentum = 0.5f)]
    public static partial void BnTrain(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);

    [ChannelLayerNorm]
    public static partial void ChannelLn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

    [ChannelLayerNorm(BiasFree = true)]
    public static partial void ChannelLnBiasFree(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);

    [Standardize]
    public static partial void ZScore(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);
}

/// <summary>
/// Blocks (GroupNorm, InstanceNorm) and channels (BatchNorm training, (N, C, *) and (N, C)) of finite values whose
/// squared deviations overflow float (a 1e20 spike, ±3e38; 1e300 in double) give the finite result of the definition,
/// within float accuracy of a double reference that scales each block itself; a block holding NaN stays NaN and the
/// other blocks of the same tensor are unaffected.
/// </summary>
public class HugeTensorTests
{
    private const int N = 2, C = 4, S = 5;

    /// <summary>Normalization of the values at <paramref name="index"/> in double on x/m, m = max|x| (ε/m²).</summary>
    private static void Reference(double[] x, int[] index, double eps, double[] y, out double mean, out double variance)
    {
        double m = index.Max(i => Math.Abs(x[i]));
        if (m == 0) m = 1;
        double mu = index.Average(i => x[i] / m);
        double v = index.Sum(i => (x[i] / m - mu) * (x[i] / m - mu)) / index.Length;
        foreach (int i in index) y[i] = (x[i] / m - mu) / Math.Sqrt(v + eps / m / m);
        mean = mu * m;
        variance = v * m * m;
    }

    /// <summary>(N, C, S): sample 0 channel 0 has a 1e20 spike, sample 1 channel 1 holds ±3e38, channel 3 of sample 1 is ordinary.</summary>
    private static double[] Data(double huge = 3e38, double spike = 1e20)
    {
        var random = new Random(7);
        double[] x = Enumerable.Range(0, N * C * S).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        x[2] = spike;
        for (int s = 0; s < S; s++) x[(1 * C + 1) * S + s] = s % 2 == 0 ? huge : -huge * (0.5 + 0.1 * s);
        return x;
    }

    private static int[] Block(int n, int c0, int channels) =>
        Enumerable.Range(0, channels * S).Select(k => (n * C + c0) * S + k).ToArray();

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]), $"{what}[{i}] = {actual[i]}, expected {expected[i]}");
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[i]), $"{what}[{i}] = {actual[i]}, expected {expected[i]}");
        }
    }

    [Fact]
    public void GroupNormBlocksWithHugeValuesAreFinite()
    {
        double[] x = Data();
        float[] xf = x.Select(v => (float)v).ToArray(), y = new float[xf.Length], mean = new float[N * 2], rstd = new float[N * 2];
        float[] gamma = { 1f, 2f, 0.5f, -1f }, beta = { 0f, 1f, -1f, 0.25f };
        HugeTensorKernels.Gn(new ReadOnlyTensorSpan<float>(xf, [N, C, S]), gamma, beta, new TensorSpan<float>(y, [N, C, S]), mean, rstd);

        double[] expected = new double[x.Length];
        for (int n = 0; n < N; n++)
            for (int g = 0; g < 2; g++)
            {
                int[] block = Block(n, 2 * g, 2);
                Reference(xf.Select(v => (double)v).ToArray(), block, 1e-5, expected, out double mu, out double v);
                Assert.Equal(mu, mean[n * 2 + g], Math.Abs(mu) * 1e-6 + 1e-6);
                Assert.Equal(1 / Math.Sqrt(v + 1e-5), rstd[n * 2 + g], 1e-6 / Math.Sqrt(v + 1e-5) + 1e-45);
            }
        for (int i = 0; i < x.Length; i++) expected[i] = expected[i] * gamma[i / S % C] + beta[i / S % C];
        AssertClose(expected, y, "y");
    }

    [Fact]
    public void InstanceNormBlocksWithHugeValuesAreFiniteAndNaNStaysNaN()
    {
        double[] x = Data();
        x[(1 * C + 2) * S + 3] = double.NaN; // one block with NaN: NaN as before, its neighbours unaffected
        float[] xf = x.Select(v => (float)v).ToArray(), y = new float[xf.Length];
        HugeTensorKernels.Inorm(new ReadOnlyTensorSpan<float>(xf, [N, C, S]), new TensorSpan<float>(y, [N, C, S]));

        double[] expected = new double[x.Length];
        int[] nanBlock = Block(1, 2, 1);
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                if (!(n == 1 && c == 2)) Reference(xf.Select(v => (double)v).ToArray(), Block(n, c, 1), 1e-5, expected, out _, out _);
        Assert.All(nanBlock, i => Assert.True(float.IsNaN(y[i])));
        AssertClose(expected.Where((_, i) => !nanBlock.Contains(i)).ToArray(), y.Where((_, i) => !nanBlock.Contains(i)).ToArray(), "y");
    }

    [Fact]
    public void InstanceNormDoubleBlocksWithHugeValuesAreFinite()
    {
        double[] x = Data(huge: 1e300, spike: 1e170), y = new double[x.Length], expected = new double[x.Length];
        HugeTensorKernels.InormDouble(new ReadOnlyTensorSpan<double>(x, [N, C, S]), new TensorSpan<double>(y, [N, C, S]));
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++) Reference(x, Block(n, c, 1), 1e-5, expected, out _, out _);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-12 + 1e-12 * Math.Abs(expected[i]), $"y[{i}] = {y[i]}, expected {expected[i]}");
    }

    [Theory]
    [InlineData(S)] // (N, C, *): channels as N strided blocks
    [InlineData(70)] // blocks of four 512-bit float vectors and more: whole channels at a time (BlockEngine.Channels512)
    [InlineData(1)] // (N, C): channels as columns of the panel
    public void BatchNormTrainingChannelsWithHugeValuesAreFinite(int spatial)
    {
        int batch = spatial == 1 ? 6 : N;
        var random = new Random(11);
        double[] x = Enumerable.Range(0, batch * C * spatial).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        x[spatial] = 1e20; // sample 0, channel 1: a spike
        for (int n = 0; n < batch; n++)
            for (int s = 0; s < spatial; s++) x[(n * C + 2) * spatial + s] = (n + s) % 2 == 0 ? 3e38 : -2.5e38; // channel 2: ±3e38
        float[] xf = x.Select(v => (float)v).ToArray(), y = new float[xf.Length];
        float[] gamma = { 1f, 2f, 0.5f, -1f }, beta = { 0f, 1f, -1f, 0.25f }, runningMean = new float[C], runningVar = Enumerable.Repeat(1f, C).ToArray();
        nint[] shape = spatial == 1 ? [batch, C] : [batch, C, spatial];
        HugeTensorKernels.BnTrain(new ReadOnlyTensorSpan<float>(xf, shape), gamma, beta, runningMean, runningVar, new TensorSpan<float>(y, shape));

        double[] expected = new double[x.Length];
        for (int c = 0; c < C; c++)
        {
            int[] channel = Enumerable.Range(0, batch).SelectMany(n => Enumerable.Range(0, spatial).Select(s => (n * C + c) * spatial + s)).ToArray();
            Reference(xf.Select(v => (double)v).ToArray(), channel, 1e-5, expected, out double mu, out _);
            foreach (int i in channel) expected[i] = expected[i] * gamma[c] + beta[c];
            Assert.Equal(0.5 * mu, runningMean[c], Math.Abs(mu) * 1e-6 + 1e-6);
        }
        AssertClose(expected, y, "y");
    }

    /// <summary>Columns of a (rows × width) panel: ±3e38 in column 3, a 1e20 spike in column 20 and in the last column.</summary>
    private static float[] Panel(int rows, int width, int seed)
    {
        var random = new Random(seed);
        float[] x = Enumerable.Range(0, rows * width).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        for (int r = 0; r < rows; r++) x[r * width + 3] = r % 2 == 0 ? 3e38f : -2e38f - r * 1e36f;
        x[(rows / 2) * width + 20] = 1e20f;
        x[(rows - 1) * width + width - 1] = -1e20f;
        return x;
    }

    /// <summary>Column p over its rows in double on x/m: (x − μ)/√(σ² + ε) (or x/√(σ² + ε) when biasFree), ε = 0 with σ = 0 giving 0.</summary>
    private static double[] Column(float[] x, int rows, int width, int p, double eps, bool biasFree = false)
    {
        double[] c = Enumerable.Range(0, rows).Select(r => (double)x[r * width + p]).ToArray();
        double m = c.Max(Math.Abs);
        if (m == 0) m = 1;
        double mu = c.Average(v => v / m), v = c.Sum(v => (v / m - mu) * (v / m - mu)) / rows;
        double d = Math.Sqrt(v + eps / m / m);
        return c.Select(v => d == 0 ? 0 : (v / m - (biasFree ? 0 : mu)) / d).ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ChannelLayerNormColumnsWithHugeValuesAreFinite(bool biasFree)
    {
        const int channels = 6, spatial = 37; // columns: spatial positions; vector chunks plus an overlapping last chunk
        float[] x = Panel(channels, spatial, 5), y = new float[x.Length];
        float[] gamma = { 1f, 2f, 0.5f, -1f, 1.5f, 0.75f }, beta = { 0f, 1f, -1f, 0.25f, 0.5f, -0.5f };
        if (biasFree) HugeTensorKernels.ChannelLnBiasFree(new ReadOnlyTensorSpan<float>(x, [1, channels, spatial]), gamma, new TensorSpan<float>(y, [1, channels, spatial]));
        else HugeTensorKernels.ChannelLn(new ReadOnlyTensorSpan<float>(x, [1, channels, spatial]), gamma, beta, new TensorSpan<float>(y, [1, channels, spatial]));

        double[] expected = new double[x.Length];
        for (int p = 0; p < spatial; p++)
        {
            double[] col = Column(x, channels, spatial, p, 1e-5, biasFree);
            for (int r = 0; r < channels; r++) expected[r * spatial + p] = col[r] * gamma[r] + (biasFree ? 0 : beta[r]);
        }
        AssertClose(expected, y, "y");
    }

    [Fact]
    public void StandardizeColumnsWithHugeValuesAreFiniteAndNaNStaysNaN()
    {
        const int samples = 50, features = 23;
        float[] x = Panel(samples, features, 9), y = new float[x.Length];
        x[7 * features + 5] = float.NaN; // column 5 holds NaN: NaN as before
        HugeTensorKernels.ZScore(new ReadOnlyTensorSpan<float>(x, [samples, features]), new TensorSpan<float>(y, [samples, features]));

        for (int p = 0; p < features; p++)
        {
            if (p == 5)
            {
                Assert.All(Enumerable.Range(0, samples), r => Assert.True(float.IsNaN(y[r * features + p])));
                continue;
            }
            double[] col = Column(x, samples, features, p, 0);
            AssertClose(col, Enumerable.Range(0, samples).Select(r => y[r * features + p]).ToArray(), $"column {p}");
        }
    }
}
