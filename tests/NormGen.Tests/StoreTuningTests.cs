using System;
using System.Linq;
using System.Reflection;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// Store tuning of large row calls (RowEngine.StoreTuning.cs, <see cref="NormGenSettings.TuneStores"/>): the probe's
/// schedule and decision on given times (StoreProbe, internal), and whole kernels through the tuning: every call of a
/// class, while its probe takes turns and after it has decided, bitwise equal to the threshold's stores alone (the
/// pipeline forced off), on one and two threads, in place, with a residual stream out; no tuning with the setting off or
/// the threshold changed, and none under half the threshold.
/// </summary>
[Collection(SettingsCollection.Name)]
public class StoreTuningTests
{
    private static readonly Type Probe = typeof(NormGenSettings).Assembly.GetType("NormGen.StoreProbe", throwOnError: true)!;
    private static readonly Type Stores = typeof(RowEngine).GetNestedType("RowStores", BindingFlags.NonPublic)!;
    private static readonly FieldInfo PipelineMode = typeof(RowEngine).GetField("s_pipelineMode", BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo Reset = typeof(RowEngine).GetMethod("ResetStoreTuning", BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo Tuned = typeof(RowEngine).GetMethod("TunedStores", BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly int WarmRounds = (int)Probe.GetField("WarmRounds", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
    private static readonly FieldInfo WarmTicks = Probe.GetField("WarmTicks", BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>The calls a class of three candidates needs to decide with the warm-up's time set to 0.</summary>
    private static int DecidingCalls => 3 * WarmRounds + 3 * Samples;

    /// <summary>Runs <paramref name="test"/> with the probes' warm-up time 0 (its rounds only), then puts it back.</summary>
    private static void WithoutWarmTime(Action test)
    {
        object ticks = WarmTicks.GetValue(null)!;
        try
        {
            WarmTicks.SetValue(null, 0L);
            test();
        }
        finally
        {
            WarmTicks.SetValue(null, ticks);
        }
    }
    private static readonly int Samples = (int)Probe.GetField("Samples", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    private static object NewProbe(bool thresholdStreams) => Activator.CreateInstance(Probe, new object[] { thresholdStreams })!;

    private static string Next(object probe, out bool timed)
    {
        object?[] args = { null };
        object stores = Probe.GetMethod("Next")!.Invoke(probe, args)!;
        timed = (bool)args[0]!;
        return stores.ToString()!;
    }

    private static void Record(object probe, string stores, double timePerByte) =>
        Probe.GetMethod("Record")!.Invoke(probe, new[] { Enum.Parse(Stores, stores), timePerByte });

    private static string? Decided(object probe) => Probe.GetProperty("Decided")!.GetValue(probe)?.ToString();

    /// <summary>
    /// Warm rounds of the candidates untimed, then the candidates in turn, each timed <c>Samples</c> times; the one with
    /// the least best time kept and every later call untimed on it.
    /// </summary>
    [Theory]
    [InlineData(false, "Pipelined", 1.0, 0.8, 0.5)]
    [InlineData(false, "Streaming", 1.0, 0.6, 0.7)]
    [InlineData(false, "Threshold", 0.4, 0.6, 0.7)]
    [InlineData(false, "Threshold", 1.0, 0.99, 0.98)] // within the margin: the threshold's stores stay
    [InlineData(true, "Pipelined", 1.0, double.NaN, 0.9)]
    [InlineData(true, "Threshold", 0.9, double.NaN, 1.0)]
    public void TheProbeTimesEachCandidateThenKeepsTheFastest(bool thresholdStreams, string expected, double threshold, double streaming, double pipelined) =>
        WithoutWarmTime(() => ProbeTimesEachCandidate(thresholdStreams, expected, threshold, streaming, pipelined));

    private static void ProbeTimesEachCandidate(bool thresholdStreams, string expected, double threshold, double streaming, double pipelined)
    {
        object probe = NewProbe(thresholdStreams);
        string[] candidates = thresholdStreams ? ["Threshold", "Pipelined"] : ["Threshold", "Streaming", "Pipelined"];
        for (int call = 0; call < WarmRounds * candidates.Length; call++)
        {
            Assert.Equal(candidates[call % candidates.Length], Next(probe, out bool timed));
            Assert.False(timed);
        }
        var random = new Random(3);
        for (int round = 0; round < Samples; round++)
            foreach (string candidate in candidates)
            {
                Assert.Null(Decided(probe));
                Assert.Equal(candidate, Next(probe, out bool timed));
                Assert.True(timed);
                double best = candidate switch { "Threshold" => threshold, "Streaming" => streaming, _ => pipelined };
                // Every sample but one is disturbed: the best one decides.
                Record(probe, candidate, round == 2 ? best : best * (1.5 + random.NextDouble()));
            }
        Assert.Equal(expected, Decided(probe));
        for (int call = 0; call < 5; call++)
        {
            Assert.Equal(expected, Next(probe, out bool timed));
            Assert.False(timed);
        }
    }

    /// <summary>Times reported after the decision (calls that were under way) change nothing.</summary>
    [Fact]
    public void ALateTimeDoesNotReopenTheDecision() => WithoutWarmTime(() =>
    {
        object probe = NewProbe(thresholdStreams: true);
        for (int call = 0; call < 2 * WarmRounds; call++) Next(probe, out _);
        for (int round = 0; round < Samples; round++)
        {
            Record(probe, Next(probe, out _), 1.0);
            Record(probe, Next(probe, out _), 0.5);
        }
        Assert.Equal("Pipelined", Decided(probe));
        Record(probe, "Threshold", 0.01);
        Assert.Equal("Pipelined", Decided(probe));
    });

    /// <summary>With its time not yet passed, the warm-up goes on round after round, untimed, whatever the call count.</summary>
    [Fact]
    public void TheWarmUpLastsItsTime()
    {
        object probe = NewProbe(thresholdStreams: false);
        for (int call = 0; call < 200; call++)
        {
            Assert.Equal(new[] { "Threshold", "Streaming", "Pipelined" }[call % 3], Next(probe, out bool timed));
            Assert.False(timed);
        }
        Assert.Null(Decided(probe));
    }

    private delegate void Kernel(float[] x, int n, float[] g, float[] b, Span<float> y);

    private static readonly (string Name, Kernel Run)[] Kernels =
    {
        ("LnFScaleAndBias", (x, n, g, b, y) => DynKernels.LnFScaleAndBias(x, n, g, b, y)),
        ("RmsFScale", (x, n, g, b, y) => DynKernels.RmsFScale(x, n, g, y)),
    };

    private static float[] Rows(int rows, int n, int seed) =>
        Reference.Normal(new Random(seed), rows * n, mean: 3, std: 2).Select(d => (float)d).ToArray();

    private static Type SpecOf(string kernel) =>
        typeof(DynKernels).Assembly.GetTypes().Single(t => t.IsValueType && t.Name.Contains($"__NormGen_{kernel}_", StringComparison.Ordinal));

    /// <summary>
    /// 2,048 rows of 1,024 floats (8 MiB in, 8 MiB out: half the default threshold where the last-level cache is 32 MiB or
    /// more, the whole of it at 16 MiB): each of the probe's calls and those after it bitwise equal to the threshold's
    /// stores with tuning off, in place too, and the class decided after its warm and timed calls.
    /// </summary>
    [Theory]
    [InlineData("LnFScaleAndBias", 1)]
    [InlineData("LnFScaleAndBias", 2)]
    [InlineData("RmsFScale", 1)]
    public void EveryCallOfATunedClassIsBitwiseTheThresholdsResult(string name, int threads) => WithoutWarmTime(() =>
    {
        Kernel kernel = Kernels.Single(k => k.Name == name).Run;
        const int rows = 2048, n = 1024;
        float[] x = Rows(rows, n, 11), g = Rows(1, n, 12), b = Rows(1, n, 13);
        Assert.True(2L * x.Length * sizeof(float) >= NormGenSettings.DefaultStreamingStoreThreshold / 2, "the shape must be tuned");
        using var scope = new SettingsScope(threads, 1 << 17);
        float[] expected = new float[x.Length];
        try
        {
            PipelineMode.SetValue(null, 1);
            kernel(x, n, g, b, expected);
        }
        finally
        {
            PipelineMode.SetValue(null, 0);
        }
        Reset.Invoke(null, null);
        int calls = DecidingCalls + 3;
        for (int call = 0; call < calls; call++)
        {
            float[] y = new float[x.Length];
            kernel(x, n, g, b, y);
            Assert.True(expected.AsSpan().SequenceEqual(y), $"call {call} differs from the threshold's stores");
        }
        float[] inPlace = (float[])x.Clone();
        kernel(inPlace, n, g, b, inPlace);
        Assert.True(expected.AsSpan().SequenceEqual(inPlace), "in place differs");
        object? decided = Tuned.MakeGenericMethod(SpecOf(name), typeof(float)).Invoke(null, new object[] { threads, n, (long)x.Length });
        Assert.NotNull(decided);
    });

    /// <summary>
    /// Calls of one class from several threads at once while its probe takes turns (each its own y, one thread per call):
    /// every output bitwise the threshold's, and the class decided once the calls are done.
    /// </summary>
    [Fact]
    public void ConcurrentCallsThroughTheProbeAreBitwiseTheThresholds() => WithoutWarmTime(() =>
    {
        const int rows = 2048, n = 1024;
        float[] x = Rows(rows, n, 31), g = Rows(1, n, 32), b = Rows(1, n, 33);
        using var scope = new SettingsScope(1, 1 << 17);
        float[] expected = new float[x.Length];
        try
        {
            PipelineMode.SetValue(null, 1);
            DynKernels.LnFScaleAndBias(x, n, g, b, expected);
        }
        finally
        {
            PipelineMode.SetValue(null, 0);
        }
        Reset.Invoke(null, null);
        int perThread = DecidingCalls / 2 + 2;
        var differing = new System.Collections.Concurrent.ConcurrentBag<string>();
        System.Threading.Tasks.Parallel.For(0, 3, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = 3 }, t =>
        {
            float[] y = new float[x.Length];
            for (int call = 0; call < perThread; call++)
            {
                Array.Clear(y);
                DynKernels.LnFScaleAndBias(x, n, g, b, y);
                if (!expected.AsSpan().SequenceEqual(y)) differing.Add($"thread {t} call {call}");
            }
        });
        Assert.Empty(differing);
        Assert.NotNull(Tuned.MakeGenericMethod(SpecOf("LnFScaleAndBias"), typeof(float)).Invoke(null, new object[] { 1, n, (long)x.Length }));
    });

    /// <summary>The residual stream out (h) and y through every candidate, bitwise the threshold's.</summary>
    [Fact]
    public void AResidualStreamOutIsBitwiseTheThresholdsToo() => WithoutWarmTime(() =>
    {
        const int rows = 2048, n = 1024;
        float[] x = Rows(rows, n, 21), residual = Rows(rows, n, 22), g = Rows(1, n, 23), b = Rows(1, n, 24);
        using var scope = new SettingsScope(1, 1 << 17);
        float[] y0 = new float[x.Length], h0 = new float[x.Length];
        try
        {
            PipelineMode.SetValue(null, 1);
            HugeKernels.AddLnF(x, n, residual, g, b, y0, h0);
        }
        finally
        {
            PipelineMode.SetValue(null, 0);
        }
        Reset.Invoke(null, null);
        for (int call = 0; call < DecidingCalls + 2; call++)
        {
            float[] y = new float[x.Length], h = new float[x.Length];
            HugeKernels.AddLnF(x, n, residual, g, b, y, h);
            Assert.True(y0.AsSpan().SequenceEqual(y) && h0.AsSpan().SequenceEqual(h), $"call {call} differs");
        }
    });

    private static readonly MethodInfo ColumnReset = typeof(ColumnEngine).GetMethod("ResetStoreTuning", BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo ColumnTuned = typeof(ColumnEngine).GetMethod("TunedStores", BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>
    /// MinMaxScale and Standardize over a table whose x and y together are three quarters of the default threshold (cached
    /// by it): every call through the probe, and after its decision, bitwise the threshold's stores with tuning off, on one
    /// and two threads; the class decided; none with tuning off.
    /// </summary>
    [Theory]
    [InlineData("MinMax", 1)]
    [InlineData("MinMax", 2)]
    [InlineData("ZScore", 1)]
    [InlineData("ZScore", 2)]
    public void ScalersThroughTheProbeAreBitwiseTheThresholds(string name, int threads) => WithoutWarmTime(() =>
    {
        const int features = 2048;
        int samples = (int)(NormGenSettings.DefaultStreamingStoreThreshold * 3 / 4 / (2L * features * sizeof(float)));
        nint[] shape = { samples, features };
        float[] x = Reference.Normal(new Random(41), samples * features, mean: 5, std: 3).Select(d => (float)d).ToArray();
        void Run(float[] y)
        {
            if (name == "MinMax") Blocks.MinMax(new(x, shape, []), new(y, shape, []));
            else Blocks.ZScore(new(x, shape, []), new(y, shape, []));
        }
        using var scope = new SettingsScope(threads, 1 << 17);
        float[] expected = new float[x.Length];
        try
        {
            NormGenSettings.TuneStores = false;
            Run(expected);
        }
        finally
        {
            NormGenSettings.TuneStores = true;
        }
        ColumnReset.Invoke(null, null);
        for (int call = 0; call < 2 * WarmRounds + 2 * Samples + 2; call++)
        {
            float[] y = new float[x.Length];
            Run(y);
            Assert.True(expected.AsSpan().SequenceEqual(y), $"call {call} differs from the threshold's stores");
        }
        // The kernel's spec: a nested Spec of its generated class (other classes' kernels of the same name have their own).
        Type[] specs = typeof(Blocks).Assembly.GetTypes().Where(t => t.IsValueType && t.Name == "Spec" && t.DeclaringType!.Name.Contains($"__NormGen_{name}_", StringComparison.Ordinal)
            && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericArguments()[0] == typeof(float))).ToArray();
        int blocks = TensorBlocks.RowBlocks(samples);
        int used = RowScheduler.DegreeOfParallelism(blocks, x.Length / blocks);
        object?[] Decisions() => specs.Select(spec => ColumnTuned.MakeGenericMethod(spec, typeof(float)).Invoke(null, new object[] { used, samples, features })).ToArray();
        Assert.Contains(Decisions(), d => d is not null);
        try
        {
            ColumnReset.Invoke(null, null);
            NormGenSettings.TuneStores = false;
            for (int call = 0; call < 2 * WarmRounds + 2 * Samples + 2; call++) Run(new float[x.Length]);
            Assert.All(Decisions(), Assert.Null);
        }
        finally
        {
            NormGenSettings.TuneStores = true;
        }
    });

    /// <summary>No probe with the setting off, with a threshold set by hand, or under half the threshold.</summary>
    [Fact]
    public void NoTuningOffOrUnderHalfTheThresholdOrWithTheThresholdSet() => WithoutWarmTime(() =>
    {
        const int n = 1024;
        float[] g = Rows(1, n, 2), b = Rows(1, n, 3);
        Type spec = SpecOf("LnFScaleAndBias");
        using var scope = new SettingsScope(1, 1 << 17);
        object? Decide(int rows)
        {
            float[] x = Rows(rows, n, 1), y = new float[x.Length];
            for (int call = 0; call < DecidingCalls + 1; call++) DynKernels.LnFScaleAndBias(x, n, g, b, y);
            return Tuned.MakeGenericMethod(spec, typeof(float)).Invoke(null, new object[] { 1, n, (long)x.Length });
        }
        int large = 2048, small = (int)(NormGenSettings.DefaultStreamingStoreThreshold / 2 / (2L * n * sizeof(float))) / 2;
        long threshold = NormGenSettings.StreamingStoreThreshold;
        try
        {
            Reset.Invoke(null, null);
            NormGenSettings.TuneStores = false;
            Assert.Null(Decide(large));
            NormGenSettings.TuneStores = true;
            NormGenSettings.StreamingStoreThreshold = threshold + 1;
            Assert.Null(Decide(large));
            NormGenSettings.StreamingStoreThreshold = threshold;
            Assert.Null(Decide(small));
            Assert.NotNull(Decide(large));
        }
        finally
        {
            NormGenSettings.TuneStores = true;
            NormGenSettings.StreamingStoreThreshold = threshold;
        }
    });
}
