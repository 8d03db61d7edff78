using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// Every output that shares memory with an input it does not replace element by element, or with another output,
/// is refused with an <see cref="ArgumentException"/> naming the output, before anything is written: every buffer
/// of a call is a slice of one sentinel-filled array, which must be unchanged afterwards. The exact aliases the
/// kernels support (y = x, residualOut = residual) still work.
/// </summary>
public class OverlapTests
{
    private const float Sentinel = -12345.5f;
    private const int Size = 16384;

    private static Span<float> F(float[] b, int start, int length) => b.AsSpan(start, length);
    private static Span<Half> H(float[] b, int start, int length) => MemoryMarshal.Cast<float, Half>(b.AsSpan()).Slice(start, length);
    private static Span<double> D(float[] b, int start, int length) => MemoryMarshal.Cast<float, double>(b.AsSpan()).Slice(start, length);
    private static Span<long> L(float[] b, int start, int length) => MemoryMarshal.Cast<float, long>(b.AsSpan()).Slice(start, length);
    private static TensorSpan<float> T(float[] b, int start, params nint[] lengths) => new(b.AsSpan(start, (int)lengths.Aggregate((p, q) => p * q)), lengths);

    private delegate void Call(float[] b);

    /// <summary>Name → (the parameter the exception must name, the call on slices of one buffer).</summary>
    private static readonly Dictionary<string, (string Param, Call Call)> s_cases = new()
    {
        // Row kinds: y over γ / β / weight / bias, a shifted or an equal start.
        ["Ln_YOverGamma"] = ("y", b => DynKernels.LnFScaleAndBias(F(b, 1000, 32), 16, F(b, 0, 16), F(b, 2000, 16), F(b, 8, 32))),
        ["Ln_YStartsAtGamma"] = ("y", b => DynKernels.LnFScaleAndBias(F(b, 1000, 32), 16, F(b, 0, 16), F(b, 2000, 16), F(b, 0, 32))),
        ["Ln_YOverBeta"] = ("y", b => DynKernels.LnFScaleAndBias(F(b, 1000, 32), 16, F(b, 2000, 16), F(b, 24, 16), F(b, 0, 32))),
        ["Rms_YOverWeight"] = ("y", b => StaticKernels.RmsF16(F(b, 1000, 32), F(b, 16, 16), F(b, 0, 32))),
        ["SkipLn_YOverBias"] = ("y", b => Blocks.SkipLn(F(b, 1000, 32), 16, F(b, 2000, 32), F(b, 4, 16), F(b, 3000, 16), F(b, 3100, 16), F(b, 0, 32), F(b, 4000, 32))),
        ["SkipLn_ResidualOutOverGamma"] = ("residualOut", b => Blocks.SkipLn(F(b, 1000, 32), 16, F(b, 2000, 32), F(b, 3200, 16), F(b, 16, 16), F(b, 3100, 16), F(b, 4000, 32), F(b, 0, 32))),
        ["SkipLn_ResidualOutOverX"] = ("residualOut", b => Blocks.SkipLn(F(b, 0, 32), 16, F(b, 2000, 32), F(b, 3200, 16), F(b, 3000, 16), F(b, 3100, 16), F(b, 4000, 32), F(b, 1, 32))),
        ["AddRms_ResidualOutOverWeight"] = ("residualOut", b => Blocks.AddRms(F(b, 0, 4096), F(b, 0, 4096), F(b, 4096, 4096), F(b, 0, 4096), F(b, 4196, 4096))),
        ["DeepDouble_YOverGamma"] = ("y", b => Blocks.DeepDouble(D(b, 500, 32), 16, D(b, 600, 32), D(b, 0, 16), D(b, 700, 16), D(b, 0, 32))),
        // Saved statistics over x, γ, y or each other.
        ["LnGelu_MeanOverX"] = ("mean", b => Blocks.LnGelu(F(b, 0, 1536), F(b, 2000, 768), F(b, 3000, 768), H(b, 20000, 1536), F(b, 100, 2), F(b, 4000, 2))),
        ["LnGelu_RstdOverX"] = ("rstd", b => Blocks.LnGelu(F(b, 0, 1536), F(b, 2000, 768), F(b, 3000, 768), H(b, 20000, 1536), F(b, 4000, 2), F(b, 1535, 2))),
        ["LnGelu_MeanStartsAtGamma"] = ("mean", b => Blocks.LnGelu(F(b, 0, 1536), F(b, 2000, 768), F(b, 3000, 768), H(b, 20000, 1536), F(b, 2000, 2), F(b, 4000, 2))),
        ["LnGelu_MeanOverY"] = ("mean", b => Blocks.LnGelu(F(b, 0, 1536), F(b, 2000, 768), F(b, 3000, 768), H(b, 20000, 1536), F(b, 10100, 2), F(b, 4000, 2))),
        ["LnGelu_RstdOverMean"] = ("rstd", b => Blocks.LnGelu(F(b, 0, 1536), F(b, 2000, 768), F(b, 3000, 768), H(b, 20000, 1536), F(b, 4000, 2), F(b, 4001, 2))),
        ["HalfAddRms_RstdOverResidual"] = ("rstd", b => Blocks.HalfAddRms(new ReadOnlyTensorSpan<Half>(H(b, 2000, 32), [2, 16]), H(b, 0, 32), H(b, 3000, 16), T(b, 4000, 2, 16), H(b, 5000, 32), F(b, 4, 2))),
        // Tensor kinds: γ, β or running statistics inside y; running statistics inside x (training).
        ["Gn_GammaInsideY"] = ("y", b => Blocks.Gn(T(b, 1000, 1, 32, 2), F(b, 10, 32), F(b, 2000, 32), T(b, 0, 1, 32, 2))),
        ["ChannelLn_BetaInsideY"] = ("y", b => TensorKernels.ChannelLn(T(b, 1000, 1, 4, 2, 2), F(b, 2000, 4), F(b, 3, 4), T(b, 0, 1, 4, 2, 2))),
        ["InormAffine_GammaInsideY"] = ("y", b => TensorKernels.InormAffine(T(b, 1000, 2, 4, 3), F(b, 20, 4), F(b, 2000, 4), T(b, 0, 2, 4, 3))),
        ["BnTrain_RunningMeanInsideX"] = ("runningMean", b => Blocks.BnTrain(T(b, 0, 2, 4, 2), F(b, 2000, 4), F(b, 2100, 4), F(b, 4, 4), F(b, 2200, 4), T(b, 3000, 2, 4, 2))),
        ["BnTrain_RunningVarInsideX"] = ("runningVar", b => Blocks.BnTrain(T(b, 0, 2, 4, 2), F(b, 2000, 4), F(b, 2100, 4), F(b, 2200, 4), F(b, 12, 4), T(b, 3000, 2, 4, 2))),
        ["BnTrain_RunningVarInsideY"] = ("y", b => Blocks.BnTrain(T(b, 1000, 2, 4, 2), F(b, 2000, 4), F(b, 2100, 4), F(b, 2200, 4), F(b, 0, 4), T(b, 0, 2, 4, 2))),
        ["BnTrain_GammaInsideY"] = ("y", b => Blocks.BnTrain(T(b, 1000, 2, 4, 2), F(b, 4, 4), F(b, 2100, 4), F(b, 2200, 4), F(b, 2300, 4), T(b, 0, 2, 4, 2))),
        ["BnTrain_RunningMeanOverRunningVar"] = ("runningVar", b => Blocks.BnTrain(T(b, 1000, 2, 4, 2), F(b, 2000, 4), F(b, 2100, 4), F(b, 0, 4), F(b, 2, 4), T(b, 3000, 2, 4, 2))),
        ["BnEval_RunningMeanInsideY"] = ("y", b => Blocks.BnEval(T(b, 1000, 2, 4, 2), F(b, 2000, 4), F(b, 2100, 4), F(b, 8, 4), F(b, 2300, 4), T(b, 0, 2, 4, 2))),
        ["BnCumulative_BatchesTrackedInsideX"] = ("batchesTracked", b => TensorKernels.BnCumulative(T(b, 0, 2, 4, 2), F(b, 2000, 4), F(b, 2100, 4), F(b, 2200, 4), F(b, 2300, 4), L(b, 3, 1), T(b, 3000, 2, 4, 2))),
    };

    public static IEnumerable<object[]> CaseNames() => s_cases.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void OverlapIsRefusedBeforeAnythingIsWritten(string name)
    {
        (string param, Call call) = s_cases[name];
        float[] buffer = new float[Size];
        buffer.AsSpan().Fill(Sentinel);
        var e = Assert.ThrowsAny<ArgumentException>(() => call(buffer));
        Assert.Equal(param, e.ParamName);
        Assert.Contains("overlaps", e.Message);
        Assert.All(buffer, v => Assert.Equal(Sentinel, v));
    }

    [Fact]
    public void SupportedAliasesStillWork()
    {
        float[] b = new float[Size];
        var rng = new Random(7);
        for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble();
        // y = x in place, residualOut = residual, and y = x for a tensor kind: no exception, and finite results.
        DynKernels.LnFScaleAndBias(F(b, 0, 32), 16, F(b, 100, 16), F(b, 200, 16), F(b, 0, 32));
        Blocks.SkipLn(F(b, 300, 32), 16, F(b, 400, 32), F(b, 500, 16), F(b, 600, 16), F(b, 700, 16), F(b, 800, 32), F(b, 400, 32));
        Blocks.BnTrain(T(b, 1000, 2, 4, 2), F(b, 1100, 4), F(b, 1200, 4), F(b, 1300, 4), F(b, 1400, 4), T(b, 1000, 2, 4, 2));
        Assert.All(b, v => Assert.True(float.IsFinite(v)));
        // Adjacent buffers do not overlap.
        DynKernels.LnFScaleAndBias(F(b, 2000, 32), 16, F(b, 2032, 16), F(b, 2048, 16), F(b, 2064, 32));
    }
}
