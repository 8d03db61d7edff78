using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// The channel LayerNorm backward's dx, element by element, against the operations its documentation gives, written
/// here in scalar float: per position, mean_c(g) and mean_c(g·x̂) summed over the channels in order from 0 and scaled by
/// 1/C, then dx = ((g − mean(g)) − x̂·mean(g·x̂))·rstd (BiasFree: x̃ = x·rstd in the means, no − mean(g)), every product and
/// sum rounded to float on its own (no fused multiply-add). IEEE 754 makes each such operation exact to the bit in a
/// vector lane as in a scalar, so dx must match bit for bit on every ISA path, whatever the runtime's loop structure.
/// </summary>
[Collection(SettingsCollection.Name)]
public class ChannelLayerNormBackwardBitsTests
{
    private static float[] Values(int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
    }

    private static float[] ReferenceDx(float[] dy, float[] x, float[] mean, float[] rstd, float[] gamma, int batch, int channels, int spatial, bool biasFree)
    {
        var dx = new float[dy.Length];
        float inverse = 1f / channels;
        for (int n = 0; n < batch; n++)
            for (int s = 0; s < spatial; s++)
            {
                float mu = mean[n * spatial + s], rs = rstd[n * spatial + s], meanG = 0f, meanGx = 0f;
                for (int c = 0; c < channels; c++)
                {
                    int i = (n * channels + c) * spatial + s;
                    float xh = biasFree ? x[i] * rs : (x[i] - mu) * rs;
                    float g = dy[i] * gamma[c];
                    meanG = meanG + g;
                    float product = g * xh;
                    meanGx = product + meanGx;
                }
                meanG *= inverse;
                meanGx *= inverse;
                for (int c = 0; c < channels; c++)
                {
                    int i = (n * channels + c) * spatial + s;
                    float xh = (x[i] - mu) * rs;
                    float g = dy[i] * gamma[c];
                    if (!biasFree) g -= meanG;
                    float scaled = xh * meanGx;
                    dx[i] = (g - scaled) * rs;
                }
            }
        return dx;
    }

    [Theory]
    [InlineData(2, 5, 3000, false)] // two spatial chunks of the runtime's units, the second 952 wide
    [InlineData(3, 17, 35, false)]  // rows shorter than a vector's multiple: the scalar tail
    [InlineData(2, 5, 3000, true)]
    [InlineData(1, 48, 1000, true)]
    public void DxIsTheDocumentedOperationsBitForBit(int batch, int channels, int spatial, bool biasFree)
    {
        nint[] shape = [batch, channels, spatial];
        int length = batch * channels * spatial;
        float[] x = Values(length, 1), dy = Values(length, 2), gamma = Values(channels, 3), beta = Values(channels, 4);
        float[] y = new float[length], mean = new float[batch * spatial], rstd = new float[batch * spatial], dx = new float[length];
        float[] dgamma = new float[channels], dbeta = new float[channels];
        if (biasFree)
        {
            GradChannel.ClnBiasFree(new ReadOnlyTensorSpan<float>(x, shape), gamma, new TensorSpan<float>(y, shape), mean, rstd);
            GradChannel.ClnBiasFreeBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), mean, rstd, gamma,
                new TensorSpan<float>(dx, shape), dgamma);
        }
        else
        {
            GradChannel.Cln(new ReadOnlyTensorSpan<float>(x, shape), gamma, beta, new TensorSpan<float>(y, shape), mean, rstd);
            GradChannel.ClnBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), mean, rstd, gamma,
                new TensorSpan<float>(dx, shape), dgamma, dbeta);
        }
        float[] expected = ReferenceDx(dy, x, mean, rstd, gamma, batch, channels, spatial, biasFree);
        int first = Enumerable.Range(0, length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(dx[i]), -1);
        Assert.True(first < 0, $"dx[{first}] = {(first < 0 ? 0 : dx[first]):R}, the documented operations give {(first < 0 ? 0 : expected[first]):R}");
    }

    /// <summary>
    /// Half widens each (sample, chunk) unit on its own (not the whole tensor): dx must be the float kernel's on the widened
    /// tensors, rounded once, and dγ, dβ the float kernel's bits, on one thread and three, and in place.
    /// </summary>
    [Theory]
    [InlineData(2, 5, 3000, 1)] // two chunks per sample, the second 952 wide
    [InlineData(2, 5, 3000, 3)]
    [InlineData(3, 17, 35, 3)]
    public void HalfIsTheFloatKernelRounded(int batch, int channels, int spatial, int threads)
    {
        nint[] shape = [batch, channels, spatial];
        int length = batch * channels * spatial;
        Half[] x = Values(length, 5).Select(v => (Half)v).ToArray(), dy = Values(length, 6).Select(v => (Half)v).ToArray();
        Half[] gamma = Values(channels, 7).Select(v => (Half)v).ToArray();
        float[] xf = x.Select(v => (float)v).ToArray(), dyf = dy.Select(v => (float)v).ToArray(), gf = gamma.Select(v => (float)v).ToArray();
        float[] mean = new float[batch * spatial], rstd = new float[batch * spatial];
        GradChannel.Cln(new ReadOnlyTensorSpan<float>(xf, shape), gf, gf, new TensorSpan<float>(new float[length], shape), mean, rstd);
        using var scope = new SettingsScope(threads, 1);
        float[] dxf = new float[length], dgf = new float[channels], dbf = new float[channels], dg = new float[channels], db = new float[channels];
        GradChannel.ClnBackward(new ReadOnlyTensorSpan<float>(dyf, shape), new ReadOnlyTensorSpan<float>(xf, shape), mean, rstd, gf, new TensorSpan<float>(dxf, shape), dgf, dbf);
        var dx = new Half[length];
        GradChannel.ClnHalfBackward(new ReadOnlyTensorSpan<Half>(dy, shape), new ReadOnlyTensorSpan<Half>(x, shape), mean, rstd, gamma, new TensorSpan<Half>(dx, shape), dg, db);
        Assert.True(dxf.Select(v => (Half)v).ToArray().AsSpan().SequenceEqual(dx), "dx: the float kernel's, rounded");
        Assert.Equal(dgf, dg);
        Assert.Equal(dbf, db);
        Half[] inPlace = (Half[])dy.Clone();
        GradChannel.ClnHalfBackward(new ReadOnlyTensorSpan<Half>(inPlace, shape), new ReadOnlyTensorSpan<Half>(x, shape), mean, rstd, gamma, new TensorSpan<Half>(inPlace, shape), dg, db);
        Assert.True(inPlace.AsSpan().SequenceEqual(dx), "in place");
    }
}

/// <summary>Backward kernels for <see cref="ChannelBackwardHalfTests"/>: GroupNorm(4) in float, BatchNorm over Half.</summary>
public static partial class HalfBackwardKernels
{
    [GroupNorm(4, Backward = true)]
    public static partial void Gn4Backward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);

    [BatchNorm(Training = true, Backward = true)]
    public static partial void BnHalfBackward(ReadOnlyTensorSpan<Half> dy, ReadOnlyTensorSpan<Half> x, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveRstd, ReadOnlySpan<Half> gamma, TensorSpan<Half> dx, Span<float> dgamma, Span<float> dbeta);
}

/// <summary>
/// GroupNorm and BatchNorm backward over Half widen each statistics block on the thread that takes it (not the whole
/// tensor): dx must be the float kernel's on the widened tensors, rounded once, and dγ, dβ the float kernel's bits, on one
/// thread and three, and in place.
/// </summary>
[Collection(SettingsCollection.Name)]
public class ChannelBackwardHalfTests
{
    [Theory]
    [InlineData(3, 8, 5, 7, 1)]
    [InlineData(3, 8, 5, 7, 3)]
    [InlineData(2, 16, 30, 30, 3)]
    public void HalfIsTheFloatKernelRounded(int n, int c, int h, int w, int threads)
    {
        nint[] shape = [n, c, h, w];
        int length = n * c * h * w, spatial = h * w;
        var rng = new Random(c + h);
        float[] R(int count) => Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        Half[] x = R(length).Select(v => (Half)v).ToArray(), dy = R(length).Select(v => (Half)v).ToArray(), gamma = R(c).Select(v => (Half)v).ToArray();
        float[] xf = x.Select(v => (float)v).ToArray(), dyf = dy.Select(v => (float)v).ToArray(), gf = gamma.Select(v => (float)v).ToArray();
        float[] gm = R(n * 4).Select(v => v * 0.1f).ToArray(), gr = R(n * 4).Select(v => 1 + Math.Abs(v)).ToArray();
        float[] bm = R(c).Select(v => v * 0.1f).ToArray(), br = R(c).Select(v => 1 + Math.Abs(v)).ToArray();
        using var scope = new SettingsScope(threads, 1);
        foreach (bool batchNorm in new[] { false, true })
        {
            float[] dxf = new float[length], dgf = new float[c], dbf = new float[c], dg = new float[c], db = new float[c];
            var dx = new Half[length];
            Half[] inPlace = (Half[])dy.Clone();
            if (batchNorm)
            {
                GradTensor.BnBackward(new ReadOnlyTensorSpan<float>(dyf, shape), new ReadOnlyTensorSpan<float>(xf, shape), bm, br, gf, new TensorSpan<float>(dxf, shape), dgf, dbf);
                HalfBackwardKernels.BnHalfBackward(new ReadOnlyTensorSpan<Half>(dy, shape), new ReadOnlyTensorSpan<Half>(x, shape), bm, br, gamma, new TensorSpan<Half>(dx, shape), dg, db);
                HalfBackwardKernels.BnHalfBackward(new ReadOnlyTensorSpan<Half>(inPlace, shape), new ReadOnlyTensorSpan<Half>(x, shape), bm, br, gamma, new TensorSpan<Half>(inPlace, shape), new float[c], new float[c]);
            }
            else
            {
                HalfBackwardKernels.Gn4Backward(new ReadOnlyTensorSpan<float>(dyf, shape), new ReadOnlyTensorSpan<float>(xf, shape), gm, gr, gf, new TensorSpan<float>(dxf, shape), dgf, dbf);
                GradTensor.GnHalfBackward(new ReadOnlyTensorSpan<Half>(dy, shape), new ReadOnlyTensorSpan<Half>(x, shape), gm, gr, gamma, new TensorSpan<Half>(dx, shape), dg, db);
                GradTensor.GnHalfBackward(new ReadOnlyTensorSpan<Half>(inPlace, shape), new ReadOnlyTensorSpan<Half>(x, shape), gm, gr, gamma, new TensorSpan<Half>(inPlace, shape), new float[c], new float[c]);
            }
            string kind = batchNorm ? "BatchNorm" : "GroupNorm";
            Assert.True(dxf.Select(v => (Half)v).ToArray().AsSpan().SequenceEqual(dx), $"{kind} dx: the float kernel's, rounded");
            Assert.Equal(dgf, dg);
            Assert.Equal(dbf, db);
            Assert.True(inPlace.AsSpan().SequenceEqual(dx), $"{kind} in place");
        }
    }
}
