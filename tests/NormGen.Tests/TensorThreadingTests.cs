using System;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// GroupNorm, InstanceNorm and BatchNorm evaluation spread their independent blocks over the pool for large tensors; a block's result
/// must not depend on the thread that computes it.
/// </summary>
[Collection(SettingsCollection.Name)]
public class TensorThreadingTests
{
    private static float[] Run(int maxDegree, Action<float[]> kernel, int length)
    {
        using var scope = new SettingsScope(maxDegree, minElementsPerThread: 1024);
        var y = new float[length];
        kernel(y);
        return y;
    }

    [Fact]
    public void GroupNormInstanceNormAndBatchNormGiveTheSameBitsOnOneThreadAndOnAll()
    {
        nint[] shape = [4, 64, 33, 33];
        int length = 4 * 64 * 33 * 33;
        var rng = new Random(5);
        float[] x = Enumerable.Range(0, length).Select(i => (float)(rng.NextDouble() * 4 - 2 + (i / 1089) % 7)).ToArray();
        float[] g = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() + 0.5)).ToArray();
        float[] b = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();

        using (new SettingsScope(-1, 1024))
            Assert.True(Environment.ProcessorCount < 2 || RowScheduler.DegreeOfParallelism(4 * 32, 2 * 1089) > 1, "the parallel path should be taken");

        void Gn(float[] y) => Blocks.Gn(new ReadOnlyTensorSpan<float>(x, shape), g, b, new TensorSpan<float>(y, shape));
        void In(float[] y) => TensorKernels.InormAffine(new ReadOnlyTensorSpan<float>(x, shape), g, b, new TensorSpan<float>(y, shape));
        Assert.Equal(Run(1, Gn, length), Run(-1, Gn, length));
        Assert.Equal(Run(1, In, length), Run(-1, In, length));

        float[] rm = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        float[] rv = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() + 0.1)).ToArray();
        void Bn(float[] y) => Blocks.BnEval(new ReadOnlyTensorSpan<float>(x, shape), g, b, rm, rv, new TensorSpan<float>(y, shape));
        Assert.Equal(Run(1, Bn, length), Run(-1, Bn, length));
        nint[] flat = [length / 64, 64]; // (N, C): one unit per sample
        void BnRows(float[] y) => Blocks.BnEval(new ReadOnlyTensorSpan<float>(x, flat), g, b, rm, rv, new TensorSpan<float>(y, flat));
        Assert.Equal(Run(1, BnRows, length), Run(-1, BnRows, length));

        // In place, on all threads, equals out of place.
        float[] inPlace = (float[])x.Clone();
        using (new SettingsScope(-1, 1024))
            Blocks.Gn(new ReadOnlyTensorSpan<float>(inPlace, shape), g, b, new TensorSpan<float>(inPlace, shape));
        Assert.Equal(Run(1, Gn, length), inPlace);
    }
}
