using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;
using static NormGen.Tests.BackwardReference;

namespace NormGen.Tests;

/// <summary>
/// BatchNorm backward on an (N, C) tensor (BatchNorm1d; ChannelBackward's panel, summed in row blocks over the pool):
/// dβ and dγ are the documented fixed pairwise tree over the samples bit for bit, and dx the documented formula, whatever
/// the thread count, the row count (blocks cut short) or the width; Half is the float kernel on the widened tensors,
/// rounded once; in place (dx = dy, dx = x) gives the same bits.
/// </summary>
[Collection(SettingsCollection.Name)]
public class BatchNormPanelBackwardTests
{
    [Theory]
    [InlineData(1, 5, 1)]
    [InlineData(7, 33, 1)]
    [InlineData(3000, 1, 1)]
    [InlineData(1000, 37, 7)]
    [InlineData(257, 2049, 2)]
    [InlineData(4099, 70, 3)]
    [InlineData(9, 20000, 2)]
    public void Float_IsThePairwiseTreeAndFormula_BitForBit(int batch, int channels, int threads)
    {
        var (dy, x, mean, rstd, gamma) = Inputs(batch, channels);
        var (rdx, rdg, rdb) = TreeReference(dy, x, mean, rstd, gamma, batch, channels);
        nint[] shape = [batch, channels];
        using var scope = new SettingsScope(threads, 1);
        float[] dx = new float[batch * channels], dg = new float[channels], db = new float[channels];
        GradTensor.BnBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), mean, rstd, gamma, new TensorSpan<float>(dx, shape), dg, db);
        Assert.True(rdb.AsSpan().SequenceEqual(db), "dbeta: the pairwise tree's bits");
        Assert.True(rdg.AsSpan().SequenceEqual(dg), "dgamma: the pairwise tree's bits");
        Assert.True(rdx.AsSpan().SequenceEqual(dx), "dx: the formula's bits");

        // And the math, against the double reference.
        var (ddx, ddg, ddb) = ChannelBackwardReference.Backward(ToDouble(dy), ToDouble(x), ToDouble(mean), ToDouble(rstd), ToDouble(gamma), batch, channels, 1, 0);
        Assert.True(RelativeToMax(ToDouble(dx), ddx) <= 1e-5 && RelativeToMax(ToDouble(dg), ddg) <= 1e-5 && RelativeToMax(ToDouble(db), ddb) <= 1e-5);

        // In place, both ways.
        float[] inPlace = (float[])dy.Clone();
        GradTensor.BnBackward(new ReadOnlyTensorSpan<float>(inPlace, shape), new ReadOnlyTensorSpan<float>(x, shape), mean, rstd, gamma, new TensorSpan<float>(inPlace, shape), dg, db);
        Assert.True(inPlace.AsSpan().SequenceEqual(dx), "dx = dy");
        inPlace = (float[])x.Clone();
        GradTensor.BnBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(inPlace, shape), mean, rstd, gamma, new TensorSpan<float>(inPlace, shape), dg, db);
        Assert.True(inPlace.AsSpan().SequenceEqual(dx), "dx = x");
    }

    [Fact]
    public void Float_WithoutGamma_IsTheFormulaWithGammaOne()
    {
        const int batch = 300, channels = 900;
        var (dy, x, mean, rstd, _) = Inputs(batch, channels);
        var (rdx, rdg, rdb) = TreeReference(dy, x, mean, rstd, null, batch, channels);
        using var scope = new SettingsScope(2, 1);
        float[] dx = new float[batch * channels], dg = new float[channels], db = new float[channels];
        ChannelBackward.Run(dy, x, mean, rstd, default, dx, dg, db, batch, channels, 1, 0);
        Assert.True(rdb.AsSpan().SequenceEqual(db), "dbeta");
        Assert.True(rdg.AsSpan().SequenceEqual(dg), "dgamma");
        Assert.True(rdx.AsSpan().SequenceEqual(dx), "dx");
    }

    [Theory]
    [InlineData(5, 16, 1)]
    [InlineData(1000, 37, 3)]
    [InlineData(513, 1030, 2)]
    public void Half_IsTheFloatKernelRounded(int batch, int channels, int threads)
    {
        var (dyf, xf, mean, rstd, gf) = Inputs(batch, channels);
        Half[] dy = dyf.Select(v => (Half)v).ToArray(), x = xf.Select(v => (Half)v).ToArray(), gamma = gf.Select(v => (Half)v).ToArray();
        dyf = dy.Select(v => (float)v).ToArray();
        xf = x.Select(v => (float)v).ToArray();
        gf = gamma.Select(v => (float)v).ToArray();
        nint[] shape = [batch, channels];
        using var scope = new SettingsScope(threads, 1);
        float[] dxf = new float[batch * channels], dgf = new float[channels], dbf = new float[channels], dg = new float[channels], db = new float[channels];
        GradTensor.BnBackward(new ReadOnlyTensorSpan<float>(dyf, shape), new ReadOnlyTensorSpan<float>(xf, shape), mean, rstd, gf, new TensorSpan<float>(dxf, shape), dgf, dbf);
        var dx = new Half[batch * channels];
        HalfBackwardKernels.BnHalfBackward(new ReadOnlyTensorSpan<Half>(dy, shape), new ReadOnlyTensorSpan<Half>(x, shape), mean, rstd, gamma, new TensorSpan<Half>(dx, shape), dg, db);
        Assert.True(dxf.Select(v => (Half)v).ToArray().AsSpan().SequenceEqual(dx), "dx: the float kernel's, rounded once");
        Assert.Equal(dgf, dg);
        Assert.Equal(dbf, db);
        Half[] inPlace = (Half[])dy.Clone();
        HalfBackwardKernels.BnHalfBackward(new ReadOnlyTensorSpan<Half>(inPlace, shape), new ReadOnlyTensorSpan<Half>(x, shape), mean, rstd, gamma, new TensorSpan<Half>(inPlace, shape), dg, db);
        Assert.True(inPlace.AsSpan().SequenceEqual(dx), "dx = dy");
        inPlace = (Half[])x.Clone();
        HalfBackwardKernels.BnHalfBackward(new ReadOnlyTensorSpan<Half>(dy, shape), new ReadOnlyTensorSpan<Half>(inPlace, shape), mean, rstd, gamma, new TensorSpan<Half>(inPlace, shape), dg, db);
        Assert.True(inPlace.AsSpan().SequenceEqual(dx), "dx = x");
    }

    /// <summary>dy, x (a large mean per channel), the channels' mean and rstd, γ.</summary>
    private static (float[] Dy, float[] X, float[] Mean, float[] Rstd, float[] Gamma) Inputs(int batch, int channels)
    {
        var rng = new Random(batch * 31 + channels);
        float[] x = Enumerable.Range(0, batch * channels).Select(i => (float)(50 * (i % channels % 7) + 3 * (rng.NextDouble() * 2 - 1))).ToArray();
        float[] dy = BackwardData.Normal(rng, batch * channels, 0.1, 1), gamma = BackwardData.Normal(rng, channels, 1, 0.5);
        float[] mean = new float[channels], rstd = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double sum = 0, squares = 0;
            for (int n = 0; n < batch; n++) sum += x[n * channels + c];
            double mu = sum / batch;
            for (int n = 0; n < batch; n++) squares += (x[n * channels + c] - mu) * (x[n * channels + c] - mu);
            mean[c] = (float)mu;
            rstd[c] = (float)(1 / Math.Sqrt(squares / batch + 1e-5));
        }
        return (dy, x, mean, rstd, gamma);
    }

    /// <summary>
    /// The documented float contract, written here: p = dy·((x − μ)·rstd); dβ[c] and dγ[c] the sums of dy and p over the
    /// samples in the fixed pairwise tree (step s = 1, 2, 4, …: sample k·2s + s added into sample k·2s);
    /// c₁ = (dβ·(1/N))·γ, c₂ = (dγ·(1/N))·γ; dx = ((γ·dy − c₁) − ((x − μ)·rstd)·c₂)·rstd. Without γ: γ·dy is dy and c₁, c₂
    /// are not scaled.
    /// </summary>
    private static (float[] Dx, float[] Dgamma, float[] Dbeta) TreeReference(float[] dy, float[] x, float[] mean, float[] rstd, float[]? gamma, int batch, int channels)
    {
        float[] dbeta = new float[channels], dgamma = new float[channels], dx = new float[batch * channels];
        float[] sums = new float[batch], products = new float[batch];
        float inverse = 1f / batch;
        for (int c = 0; c < channels; c++)
        {
            for (int n = 0; n < batch; n++)
            {
                int i = n * channels + c;
                sums[n] = dy[i];
                products[n] = dy[i] * ((x[i] - mean[c]) * rstd[c]);
            }
            for (int step = 1; step < batch; step *= 2)
                for (int k = 0; k + step < batch; k += 2 * step)
                {
                    sums[k] += sums[k + step];
                    products[k] += products[k + step];
                }
            dbeta[c] = sums[0];
            dgamma[c] = products[0];
            float c1 = dbeta[c] * inverse, c2 = dgamma[c] * inverse;
            if (gamma is not null)
            {
                c1 *= gamma[c];
                c2 *= gamma[c];
            }
            for (int n = 0; n < batch; n++)
            {
                int i = n * channels + c;
                float xhat = (x[i] - mean[c]) * rstd[c];
                float g = gamma is null ? dy[i] : dy[i] * gamma[c];
                dx[i] = (g - c1 - xhat * c2) * rstd[c];
            }
        }
        return (dx, dgamma, dbeta);
    }
}
