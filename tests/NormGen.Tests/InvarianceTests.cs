using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Tests;

/// <summary>Tests that change <see cref="NormGenSettings"/> (or need them unchanged) run alone, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SettingsCollection
{
    public const string Name = "NormGenSettings";
}

/// <summary>Sets the process-wide settings for one test and puts the previous values back.</summary>
internal sealed class SettingsScope : IDisposable
{
    private readonly int _maxDegree = NormGenSettings.MaxDegreeOfParallelism;
    private readonly int _minElements = NormGenSettings.MinElementsPerThread;

    public SettingsScope(int maxDegreeOfParallelism, int minElementsPerThread)
    {
        NormGenSettings.MaxDegreeOfParallelism = maxDegreeOfParallelism;
        NormGenSettings.MinElementsPerThread = minElementsPerThread;
    }

    public void Dispose()
    {
        NormGenSettings.MaxDegreeOfParallelism = _maxDegree;
        NormGenSettings.MinElementsPerThread = _minElements;
    }
}

/// <summary>A row's result depends on the row only: not on its batch, not on the thread that computes it.</summary>
public class BatchInvarianceTests
{
    public static IEnumerable<object[]> Cases =>
    [
        ["LnFScaleAndBias", 1], ["LnFScaleAndBias", 7], ["LnFScaleAndBias", 100], ["LnFScaleAndBias", 768], ["LnFScaleAndBias", 4099],
        ["RmsFScale", 17], ["RmsFScale", 4096], ["LnDScaleAndBias", 1000], ["RmsDNone", 33], ["LnHScaleAndBias", 768], ["RmsHScale", 129],
        ["LnF768", 0], ["RmsF4099", 0], ["LnD12288", 0],
    ];

    /// <summary>1000 rows computed in one call (spread over threads with the default settings) vs each sampled row alone.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void RowAlone_EqualsSameRowInBatchOf1000(string name, int rowLength)
    {
        KernelCase c = KernelCase.Get(name);
        int n = c.StaticRowLength > 0 ? c.StaticRowLength : rowLength;
        int rows = n >= 12288 ? 300 : 1000; // keeps the double 12288 case at ~30 MB
        var rng = new Random(n);
        var (g, b) = Reference.AffineParameters(rng, n);
        g = c.Round(g); b = c.Round(b);
        double[] x = c.Round(Reference.Normal(rng, rows * n, 3, 2));
        double[] batch = c.Run(x, n, g, b);
        foreach (int r in new[] { 0, 1, rows / 2, rows - 2, rows - 1 })
        {
            double[] alone = c.Run(x.AsSpan(r * n, n).ToArray(), n, g, b);
            for (int i = 0; i < n; i++)
                Assert.True(BitConverter.DoubleToInt64Bits(alone[i]) == BitConverter.DoubleToInt64Bits(batch[r * n + i]),
                    $"{name} n={n}: row {r} element {i}: alone {alone[i]:R}, in batch {batch[r * n + i]:R}");
        }
    }
}

[Collection(SettingsCollection.Name)]
public class ThreadInvarianceTests
{
    [Fact]
    public void Settings_RejectInvalidValues()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NormGenSettings.MaxDegreeOfParallelism = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => NormGenSettings.MaxDegreeOfParallelism = -2);
        Assert.Throws<ArgumentOutOfRangeException>(() => NormGenSettings.MinElementsPerThread = 0);
        Assert.Equal(-1, NormGenSettings.MaxDegreeOfParallelism);
    }

    /// <summary>
    /// 512 × 4096: one thread vs all threads with a small MinElementsPerThread (which forces the pool path even on
    /// a 2-core machine), and vs three threads (uneven blocks). Bitwise equal for float, double, Half, LayerNorm and RMSNorm.
    /// </summary>
    [Theory]
    [InlineData("LnFScaleAndBias")]
    [InlineData("RmsFScale")]
    [InlineData("LnDScaleAndBias")]
    [InlineData("LnHScaleAndBias")]
    [InlineData("RmsHNone")]
    public void OneThread_EqualsAllThreads_Bitwise(string name)
    {
        const int rows = 512, n = 4096;
        KernelCase c = KernelCase.Get(name);
        var rng = new Random(11);
        var (g, b) = Reference.AffineParameters(rng, n);
        g = c.Round(g); b = c.Round(b);
        double[] x = c.Round(Reference.Normal(rng, rows * n, 1, 2));

        double[] sequential, parallel, threeThreads;
        using (new SettingsScope(1, 1 << 17))
        {
            Assert.Equal(1, RowScheduler.DegreeOfParallelism(rows, n));
            sequential = c.Run(x, n, g, b);
        }
        using (new SettingsScope(-1, 64))
        {
            if (Environment.ProcessorCount > 1)
                Assert.True(RowScheduler.DegreeOfParallelism(rows, n) > 1, "the settings must force the parallel path");
            parallel = c.Run(x, n, g, b);
        }
        using (new SettingsScope(3, 4096)) // an odd thread count: uneven blocks
            threeThreads = c.Run(x, n, g, b);

        Assert.True(sequential.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(parallel.Select(BitConverter.DoubleToInt64Bits)), $"{name}: 1 thread vs all threads differ");
        Assert.True(sequential.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(threeThreads.Select(BitConverter.DoubleToInt64Bits)), $"{name}: 1 thread vs 3 threads differ");
    }

    [Fact]
    public void TensorForm_ParallelPath_MatchesSequential()
    {
        var rng = new Random(12);
        float[] x = KernelCase<float>.To(Reference.Normal(rng, 64 * 8 * 96));
        float[] g = KernelCase<float>.To(Reference.Normal(rng, 768)), b = KernelCase<float>.To(Reference.Normal(rng, 768));
        float[] y1 = new float[x.Length], y2 = new float[x.Length];
        using (new SettingsScope(1, 1 << 17))
            Kernels.LnDyn(new ReadOnlyTensorSpan<float>(x, [64, 8, 96]), g, b, new TensorSpan<float>(y1, [64, 8, 96]));
        using (new SettingsScope(-1, 1))
            Kernels.LnDyn(new ReadOnlyTensorSpan<float>(x, [64, 8, 96]), g, b, new TensorSpan<float>(y2, [64, 8, 96]));
        Assert.Equal(y1, y2);
    }

    /// <summary>
    /// A warm call on the calling thread allocates nothing (Half's float scratch comes from the shared array pool).
    /// Measured with the default settings for an input below the parallel threshold, and with MaxDegreeOfParallelism
    /// = 1 for a large one.
    /// </summary>
    [Fact]
    public void SequentialPath_WarmCall_AllocatesNothing()
    {
        var rng = new Random(13);
        float[] xf = KernelCase<float>.To(Reference.Normal(rng, 16 * 768)), gf = KernelCase<float>.To(Reference.Normal(rng, 768)), bf = KernelCase<float>.To(Reference.Normal(rng, 768));
        float[] yf = new float[xf.Length];
        Half[] xh = KernelCase<Half>.To(Reference.Normal(rng, 16 * 768)), gh = KernelCase<Half>.To(Reference.Normal(rng, 768)), bh = KernelCase<Half>.To(Reference.Normal(rng, 768));
        Half[] yh = new Half[xh.Length];
        double[] xd = Reference.Normal(rng, 16 * 1000), gd = Reference.Normal(rng, 1000), bd = Reference.Normal(rng, 1000), yd = new double[xd.Length];
        float[] xBig = KernelCase<float>.To(Reference.Normal(rng, 256 * 4096)), yBig = new float[xBig.Length], g4096 = new float[4096];
        Half[] xBigH = KernelCase<Half>.To(Reference.Normal(rng, 64 * 4096)), yBigH = new Half[xBigH.Length], g4096H = new Half[4096];

        var calls = new (string Name, Action Call)[]
        {
            ("Kernels.Norm float 768", () => Kernels.Norm(xf, gf, bf, yf)),
            ("LnFScaleAndBias float", () => DynKernels.LnFScaleAndBias(xf, 768, gf, bf, yf)),
            ("RmsFNone float", () => DynKernels.RmsFNone(xf.AsSpan(0, 12200), 100, yf.AsSpan(0, 12200))),
            ("LnHScaleAndBias Half", () => DynKernels.LnHScaleAndBias(xh, 768, gh, bh, yh)),
            ("RmsHScale Half", () => DynKernels.RmsHScale(xh, 768, gh, yh)),
            ("Kernels.LnDouble double 1000", () => Kernels.LnDouble(xd, gd, bd, yd)),
            ("Kernels.LnDyn tensor", () => Kernels.LnDyn(new ReadOnlyTensorSpan<float>(xf, [16, 8, 96]), gf, bf, new TensorSpan<float>(yf, [16, 8, 96]))),
            ("Kernels.RmsHalf tensor", () => Kernels.RmsHalf(new ReadOnlyTensorSpan<Half>(xh, [16, 768]), gh, new TensorSpan<Half>(yh, [16, 768]))),
        };
        foreach (var (name, call) in calls)
            Assert.Equal((name, 0L), (name, AllocatedBy(call)));

        using (new SettingsScope(1, 1 << 17))
        {
            Assert.Equal(("Rms float 256x4096, 1 thread", 0L), ("Rms float 256x4096, 1 thread", AllocatedBy(() => Kernels.Rms(xBig, g4096, yBig))));
            Assert.Equal(("RmsHScale Half 64x4096, 1 thread", 0L), ("RmsHScale Half 64x4096, 1 thread", AllocatedBy(() => DynKernels.RmsHScale(xBigH, 4096, g4096H, yBigH))));
        }
    }

    private static long AllocatedBy(Action call)
    {
        call(); // warm: JIT, tiering, the pool's per-thread bucket
        call();
        long before = GC.GetAllocatedBytesForCurrentThread();
        call();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
