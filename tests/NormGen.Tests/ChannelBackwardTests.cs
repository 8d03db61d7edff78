using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;
using Xunit.Abstractions;
using static NormGen.Tests.BackwardReference;

namespace NormGen.Tests;

/// <summary>BatchNorm (training), GroupNorm and InstanceNorm: saved statistics and backward against the double reference.</summary>
public class ChannelBackwardTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(8, 3, 50)]
    [InlineData(128, 256, 1)]
    [InlineData(4, 16, 33)]
    [InlineData(9, 3, 40000)] // 4.3 MB: the passes sweep the tensor in memory order (ChannelBackward.BlockWork.SweptChannels)
    public void BatchNorm_SavedStatistics_And_Backward_Within1e5(int batch, int channels, int spatial)
    {
        var rng = new Random(batch * 1000 + channels);
        int length = batch * channels * spatial;
        nint[] shape = spatial == 1 ? [batch, channels] : [batch, channels, spatial];
        float[] x = BackwardData.Rows(rng, 1, length, 0).Select((v, i) => v + 100f * ((i / spatial) % channels)).ToArray();
        float[] dy = BackwardData.Normal(rng, length, 0.1, 1), g = BackwardData.Normal(rng, channels, 1, 0.5), b = BackwardData.Normal(rng, channels, 0, 0.5);
        float[] rm = new float[channels], rv = Enumerable.Repeat(1f, channels).ToArray(), y = new float[length], sm = new float[channels], sr = new float[channels];
        GradTensor.BnTrain(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm, rv, new TensorSpan<float>(y, shape), sm, sr);
        var (rMean, rRstd) = ChannelBackwardReference.Statistics(ToDouble(x), batch, channels, spatial, 0, 1e-5);
        Assert.True(RelativeToMax(ToDouble(sm), rMean) <= 1e-6, "saveMean");
        Assert.True(RelativeToMax(ToDouble(sr), rRstd) <= 1e-5, "saveRstd");

        float[] dx = new float[length], dg = new float[channels], db = new float[channels];
        GradTensor.BnBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), sm, sr, g, new TensorSpan<float>(dx, shape), dg, db);
        var (rdx, rdg, rdb) = ChannelBackwardReference.Backward(ToDouble(dy), ToDouble(x), ToDouble(sm), ToDouble(sr), ToDouble(g), batch, channels, spatial, 0);
        double ex = RelativeToMax(ToDouble(dx), rdx), eg = RelativeToMax(ToDouble(dg), rdg), eb = RelativeToMax(ToDouble(db), rdb);
        output.WriteLine($"BnBackward ({batch}, {channels}, {spatial}): dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-5 && eg <= 1e-5 && eb <= 1e-5, $"dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");

        // In place: dx = dy.
        float[] inPlace = (float[])dy.Clone();
        GradTensor.BnBackward(new ReadOnlyTensorSpan<float>(inPlace, shape), new ReadOnlyTensorSpan<float>(x, shape), sm, sr, g, new TensorSpan<float>(inPlace, shape), dg, db);
        Assert.Equal(dx, inPlace);
    }

    [Fact]
    public void BatchNormDouble_Within1e12()
    {
        const int batch = 16, channels = 5, spatial = 40, length = batch * channels * spatial;
        var rng = new Random(21);
        nint[] shape = [batch, channels, spatial];
        double[] x = ToDouble(BackwardData.Normal(rng, length, 1e3, 2)), dy = ToDouble(BackwardData.Normal(rng, length, 0.1, 1)), g = ToDouble(BackwardData.Normal(rng, channels, 1, 0.5));
        double[] sm = new double[channels], sr = new double[channels], dx = new double[length], dg = new double[channels], db = new double[channels];
        GradTensor.BnTrainDouble(new ReadOnlyTensorSpan<double>(x, shape), g, g, new double[channels], new double[channels], new TensorSpan<double>(new double[length], shape), sm, sr);
        GradTensor.BnBackwardDouble(new ReadOnlyTensorSpan<double>(dy, shape), new ReadOnlyTensorSpan<double>(x, shape), sm, sr, g, new TensorSpan<double>(dx, shape), dg, db);
        var (rdx, rdg, rdb) = ChannelBackwardReference.Backward(dy, x, sm, sr, g, batch, channels, spatial, 0);
        double ex = RelativeToMax(dx, rdx), eg = RelativeToMax(dg, rdg), eb = RelativeToMax(db, rdb);
        output.WriteLine($"BnBackwardDouble: dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-12 && eg <= 1e-12 && eb <= 1e-12, $"dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
    }

    [Theory]
    [InlineData(2, 64, 49)]
    [InlineData(3, 32, 1)]
    public void GroupNorm_SavedStatistics_And_Backward_Within1e5(int batch, int channels, int spatial)
    {
        var rng = new Random(channels + spatial);
        int length = batch * channels * spatial;
        nint[] shape = [batch, channels, spatial];
        float[] x = BackwardData.Rows(rng, batch * 32, channels / 32 * spatial, 1e3), dy = BackwardData.Normal(rng, length, 0.1, 1);
        float[] g = BackwardData.Normal(rng, channels, 1, 0.5), b = BackwardData.Normal(rng, channels, 0, 0.5);
        float[] mean = new float[batch * 32], rstd = new float[batch * 32], dx = new float[length], dg = new float[channels], db = new float[channels];
        GradTensor.Gn(new ReadOnlyTensorSpan<float>(x, shape), g, b, new TensorSpan<float>(new float[length], shape), mean, rstd);
        var (rMean, rRstd) = ChannelBackwardReference.Statistics(ToDouble(x), batch, channels, spatial, 32, 1e-5);
        Assert.True(RelativeToMax(ToDouble(mean), rMean) <= 1e-6, "mean");
        Assert.True(RelativeToMax(ToDouble(rstd), rRstd) <= 1e-5, "rstd");
        GradTensor.GnBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), mean, rstd, g, new TensorSpan<float>(dx, shape), dg, db);
        var (rdx, rdg, rdb) = ChannelBackwardReference.Backward(ToDouble(dy), ToDouble(x), ToDouble(mean), ToDouble(rstd), ToDouble(g), batch, channels, spatial, 32);
        double ex = RelativeToMax(ToDouble(dx), rdx), eg = RelativeToMax(ToDouble(dg), rdg), eb = RelativeToMax(ToDouble(db), rdb);
        output.WriteLine($"GnBackward ({batch}, {channels}, {spatial}): dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
        Assert.True(ex <= 1e-5 && eg <= 1e-5 && eb <= 1e-5, $"dx {ex:E2}, dgamma {eg:E2}, dbeta {eb:E2}");
    }

    [Fact]
    public void InstanceNorm_And_HalfGroupNorm_Backward()
    {
        const int batch = 3, channels = 8, spatial = 37, length = batch * channels * spatial;
        var rng = new Random(31);
        nint[] shape = [batch, channels, spatial];
        float[] x = BackwardData.Rows(rng, batch * channels, spatial, 100), dy = BackwardData.Normal(rng, length, 0.1, 1);
        float[] mean = new float[batch * channels], rstd = new float[batch * channels], dx = new float[length];
        GradTensor.In(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(new float[length], shape), mean, rstd);
        GradTensor.InBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), mean, rstd, new TensorSpan<float>(dx, shape));
        var (rdx, _, _) = ChannelBackwardReference.Backward(ToDouble(dy), ToDouble(x), ToDouble(mean), ToDouble(rstd), null, batch, channels, spatial, channels);
        double ex = RelativeToMax(ToDouble(dx), rdx);
        output.WriteLine($"InBackward: dx {ex:E2}");
        Assert.True(ex <= 1e-5, $"dx {ex:E2}");

        Half[] xh = x.Select(v => (Half)v).ToArray(), dyh = dy.Select(v => (Half)v).ToArray(), gh = BackwardData.Normal(rng, channels, 1, 0.5).Select(v => (Half)v).ToArray();
        Half[] dxh = new Half[length];
        float[] gm = new float[batch * 4], gr = new float[batch * 4], dg = new float[channels], db = new float[channels];
        GradTensor.GnHalf(new ReadOnlyTensorSpan<Half>(xh, shape), gh, gh, new TensorSpan<Half>(new Half[length], shape), gm, gr);
        GradTensor.GnHalfBackward(new ReadOnlyTensorSpan<Half>(dyh, shape), new ReadOnlyTensorSpan<Half>(xh, shape), gm, gr, gh, new TensorSpan<Half>(dxh, shape), dg, db);
        var (hdx, hdg, hdb) = ChannelBackwardReference.Backward(ToDouble(dyh), ToDouble(xh), ToDouble(gm), ToDouble(gr), ToDouble(gh), batch, channels, spatial, 4);
        double hx = RelativeToMax(ToDouble(dxh), hdx), hg = RelativeToMax(ToDouble(dg), hdg), hb = RelativeToMax(ToDouble(db), hdb);
        output.WriteLine($"GnHalfBackward: dx {hx:E2} (one Half rounding), dgamma {hg:E2}, dbeta {hb:E2}");
        Assert.True(hx <= 1e-3 && hg <= 1e-5 && hb <= 1e-5, $"dx {hx:E2}, dgamma {hg:E2}, dbeta {hb:E2}");
    }

    [Fact]
    public void WrongShapes_ThrowNamingTheParameter_NothingWritten()
    {
        nint[] shape = [4, 32, 3];
        float[] x = new float[384], dy = new float[384], g = new float[32], sm = new float[32], sr = new float[32];
        float[] dx = Enumerable.Repeat(42f, 384).ToArray(), dg = Enumerable.Repeat(42f, 33).ToArray(), db = Enumerable.Repeat(42f, 32).ToArray();
        var e = Assert.ThrowsAny<ArgumentException>(() => GradTensor.BnBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), sm, sr, g, new TensorSpan<float>(dx, shape), dg, db));
        Assert.Equal("dgamma", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => GradTensor.BnBackward(new ReadOnlyTensorSpan<float>(dy, [4, 32, 2]), new ReadOnlyTensorSpan<float>(x, shape), sm, sr, g, new TensorSpan<float>(dx, shape), dg.AsSpan(1), db));
        Assert.Equal("dy", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => GradTensor.GnBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), sm, sr, g, new TensorSpan<float>(dx, shape), dg.AsSpan(1), db));
        Assert.Equal("mean", e.ParamName); // GroupNorm(32) on 4 samples: 128 means
        Assert.All(dx, v => Assert.Equal(42f, v));
        Assert.All(dg, v => Assert.Equal(42f, v));
        Assert.All(db, v => Assert.Equal(42f, v));
    }
}

/// <summary>The tensor backward kernels give bitwise the same results for any thread count.</summary>
[Collection(SettingsCollection.Name)]
public class ChannelBackwardDeterminismTests
{
    [Theory]
    [InlineData(16, 64, 100)]
    [InlineData(4, 32, 8192)] // 4 MiB: BatchNorm's channel ranges sweep in memory order (ChannelBackward.BlockWork.SweptChannels)
    public void BnAndGnBackward_BitwiseIdentical_For1_2_7_AllThreads(int batch, int channels, int spatial)
    {
        int length = batch * channels * spatial;
        var rng = new Random(41);
        nint[] shape = [batch, channels, spatial];
        float[] x = BackwardData.Normal(rng, length, 3, 2), dy = BackwardData.Normal(rng, length, 0.1, 1), g = BackwardData.Normal(rng, channels, 1, 0.5);
        float[] sm = new float[channels], sr = new float[channels], gm = new float[batch * 32], gr = new float[batch * 32];
        GradTensor.BnTrain(new ReadOnlyTensorSpan<float>(x, shape), g, g, new float[channels], new float[channels], new TensorSpan<float>(new float[length], shape), sm, sr);
        GradTensor.Gn(new ReadOnlyTensorSpan<float>(x, shape), g, g, new TensorSpan<float>(new float[length], shape), gm, gr);
        float[][] Run()
        {
            float[] dx = new float[length], dg = new float[channels], db = new float[channels], gdx = new float[length], gdg = new float[channels], gdb = new float[channels];
            GradTensor.BnBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), sm, sr, g, new TensorSpan<float>(dx, shape), dg, db);
            GradTensor.GnBackward(new ReadOnlyTensorSpan<float>(dy, shape), new ReadOnlyTensorSpan<float>(x, shape), gm, gr, g, new TensorSpan<float>(gdx, shape), gdg, gdb);
            return [dx, dg, db, gdx, gdg, gdb];
        }
        var results = new[] { 1, 2, 7, -1 }.Select(threads =>
        {
            using var scope = new SettingsScope(threads, 1);
            return Run();
        }).ToList();
        foreach (float[][] r in results.Skip(1))
            for (int k = 0; k < r.Length; k++)
                Assert.True(results[0][k].AsSpan().SequenceEqual(r[k]), $"output {k}");
    }
}
