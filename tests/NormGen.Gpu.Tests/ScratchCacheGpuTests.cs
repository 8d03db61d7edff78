using System;
using System.Linq;
using System.Threading.Tasks;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace NormGen.Gpu.Tests;

/// <summary>
/// The GPU backward's cached scratch buffer (<see cref="ScratchSlot"/>): one per stream and element type, reused by
/// later calls without a new allocation, grown when a call needs more, and safe for calls from several threads on one
/// stream or on several streams (the same bits as sequential calls).
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class ScratchCacheGpuTests(CpuAcceleratorFixture fixture)
{
    private readonly Accelerator accelerator = fixture.Accelerator;

    private sealed record Inputs(float[] Dy, float[] X, float[] Mean, float[] Rstd, float[] Gamma, int N);

    private static Inputs Make(int n, int rows, int seed)
    {
        var (dy, x, mean, rstd, gamma) = BackwardGpuTests.Inputs(true, n, rows, seed, v => (float)v);
        float[] F(double[] a) => Array.ConvertAll(a, v => (float)v);
        return new(F(dy), F(x), F(mean), F(rstd), F(gamma), n);
    }

    /// <summary>One LayerNorm backward on <paramref name="stream"/>; returns the bits of dx, dγ and dβ.</summary>
    private int[] Run(AcceleratorStream stream, Inputs i)
    {
        using var dy = accelerator.Allocate1D(i.Dy);
        using var x = accelerator.Allocate1D(i.X);
        using var mean = accelerator.Allocate1D(i.Mean);
        using var rstd = accelerator.Allocate1D(i.Rstd);
        using var gamma = accelerator.Allocate1D(i.Gamma);
        using var dx = accelerator.Allocate1D<float>(i.X.Length);
        using var dg = accelerator.Allocate1D<float>(i.N);
        using var db = accelerator.Allocate1D<float>(i.N);
        BackwardGpuKernels.LnDyn(stream, dy.View, x.View, i.N, mean.View, rstd.View, gamma.View, dx.View, dg.View, db.View);
        stream.Synchronize();
        return dx.GetAsArray1D().Concat(dg.GetAsArray1D()).Concat(db.GetAsArray1D()).Select(BitConverter.SingleToInt32Bits).ToArray();
    }

    [Fact]
    public void RepeatedCallsReuseOneBufferPerStreamAndGiveTheSameBits()
    {
        using AcceleratorStream stream = accelerator.CreateStream();
        ScratchSlot slot = NormGpu.Scratch<float>(stream);
        Assert.Null(slot.Buffer);

        Inputs large = Make(300, 700, 1), small = Make(17, 100, 2);
        int[] first = Run(stream, large);
        object? buffer = slot.Buffer;
        Assert.NotNull(buffer);
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(first, Run(stream, large));
            Run(stream, small);
            Assert.Same(buffer, slot.Buffer); // no allocation per call
        }

        // A larger call grows the buffer (after waiting for the stream) and frees the old one.
        int[] huge = Run(stream, Make(1025, 1300, 3));
        Assert.NotSame(buffer, slot.Buffer);
        Assert.True(((MemoryBuffer)buffer!).IsDisposed);
        Assert.True(((MemoryBuffer)slot.Buffer!).Length >= 2L * ((1300 + 63) / 64) * 1025);
        Assert.Equal(first, Run(stream, large));
        Assert.Equal(huge, Run(stream, Make(1025, 1300, 3)));

        // Slots are per stream and per element type.
        Assert.NotSame(slot, NormGpu.Scratch<float>(accelerator.DefaultStream));
        Assert.NotSame(slot, NormGpu.Scratch<double>(stream));
    }

    [Fact]
    public void ScratchLengthIsAPowerOfTwoOfAtLeastTheRequest()
    {
        Assert.Equal(1024, NormGpu.ScratchLength(0));
        Assert.Equal(1024, NormGpu.ScratchLength(1024));
        Assert.Equal(2048, NormGpu.ScratchLength(1025));
        Assert.Equal(1L << 33, NormGpu.ScratchLength((1L << 32) + 1));
    }

    /// <summary>Calls from several threads on one stream (sharing its slot) and on separate streams: each result is the bits of the same call made alone.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ConcurrentCallsGiveTheSequentialBits(bool separateStreams)
    {
        const int threads = 4, repeats = 5;
        Inputs[] inputs = Enumerable.Range(0, threads).Select(t => Make(t % 2 == 0 ? 96 : 1025, 200 + 37 * t, 10 + t)).ToArray();
        int[][] expected = inputs.Select(i => Run(accelerator.DefaultStream, i)).ToArray();
        AcceleratorStream[] streams = Enumerable.Range(0, threads).Select(_ => separateStreams ? accelerator.CreateStream() : accelerator.DefaultStream).ToArray();
        try
        {
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                for (int k = 0; k < repeats; k++) Assert.Equal(expected[t], Run(streams[t], inputs[t]));
            });
        }
        finally
        {
            if (separateStreams)
                foreach (AcceleratorStream s in streams) s.Dispose();
        }
    }
}
