using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace NormGen.Tests;

/// <summary>Exact (bitwise) properties: constant rows, NaN/Inf isolation, in-place, zero rows.</summary>
public class SpecialValueTests
{
    public static IEnumerable<object[]> AllNames =>
        KernelCase.AllDynamic.Concat(KernelCase.AllStatic).Select(c => new object[] { c.Name });

    private static readonly int[] DynamicLengths = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 768, 1000];

    private static IEnumerable<int> Lengths(KernelCase c) => c.StaticRowLength > 0 ? [c.StaticRowLength] : DynamicLengths;

    private static long Bits(double v) => BitConverter.DoubleToInt64Bits(v);

    /// <summary>
    /// A constant row has zero deviation: LayerNorm must give exactly β (bitwise; 0·γ + β is exact), or exactly zero
    /// without β. A zero row under RMSNorm is the same case (0/√ε = 0). Constants include a large one (1e6, not Half),
    /// where E[x²] − μ² would leave a rounding residue and give noise instead of β.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllNames))]
    public void ConstantRow_GivesExactlyBeta(string name)
    {
        KernelCase c = KernelCase.Get(name);
        double[] constants = c.Kind == NormKind.RmsNorm ? [0.0] : c.IsHalf ? [0.0, 1.0, -3.5, 1e-3, 1000.5] : [0.0, 1.0, -3.5, 1e-3, 1e6 + 0.25, -7.1e4];
        var rng = new Random(3);
        foreach (int n in Lengths(c))
        {
            var (g, b) = Reference.AffineParameters(rng, n);
            g = c.Round(g); b = c.Round(b);
            double[] x = c.Round(constants.SelectMany(v => Enumerable.Repeat(v, n)).ToArray());
            double[] y = c.Run(x, n, g, b);
            for (int i = 0; i < y.Length; i++)
            {
                if (c.Affine == Affine.ScaleAndBias)
                    Assert.True(Bits(y[i]) == Bits(b[i % n]), $"{name} n={n} constant={x[i]}: y[{i}]={y[i]:R}, β={b[i % n]:R}");
                else
                    Assert.True(y[i] == 0, $"{name} n={n} constant={x[i]}: y[{i}]={y[i]:R}, expected 0");
            }
        }
    }

    /// <summary>
    /// One NaN or ±Inf in the middle row (at its first, a middle, or its last element, so that the tail vector is hit too):
    /// the other rows are bitwise what they are without it. The poisoned row: LayerNorm gives NaN everywhere (μ is
    /// NaN or ±Inf, so every x − μ is NaN or ∞ and σ² is NaN). RMSNorm with NaN is NaN everywhere; with ±Inf the mean
    /// square is +∞, so rstd = 0 and the row is 0·γ (+β) except NaN (∞·0) at the infinite element: that is what the
    /// definition gives (PyTorch's rms_norm returns the same), and the reference computes it the same way.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllNames))]
    public void NonFiniteValue_PoisonsOnlyItsRow(string name)
    {
        KernelCase c = KernelCase.Get(name);
        var rng = new Random(4);
        foreach (int n in Lengths(c))
        {
            var (g, b) = Reference.AffineParameters(rng, n);
            g = c.Round(g); b = c.Round(b);
            double[] clean = c.Round(Reference.Normal(rng, 3 * n));
            double[] cleanY = c.Run(clean, n, g, b);
            foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
            {
                foreach (int col in new[] { 0, n / 2, n - 1 }.Distinct())
                {
                    double[] x = (double[])clean.Clone();
                    x[n + col] = bad;
                    double[] y = c.Run(x, n, g, b);
                    string where = $"{name} n={n} {bad} at col {col}";
                    for (int i = 0; i < n; i++)
                    {
                        Assert.True(Bits(y[i]) == Bits(cleanY[i]), $"{where}: row 0 changed at {i}");
                        Assert.True(Bits(y[2 * n + i]) == Bits(cleanY[2 * n + i]), $"{where}: row 2 changed at {i}");
                    }
                    double[] expected = Reference.Normalize(c.Kind, c.Affine, c.Epsilon, x, n, g, b, out _);
                    for (int i = n; i < 2 * n; i++)
                    {
                        if (c.Kind == NormKind.LayerNorm || double.IsNaN(bad))
                            Assert.True(double.IsNaN(y[i]), $"{where}: y[{i}]={y[i]} is not NaN");
                        else if (double.IsNaN(expected[i]))
                            Assert.True(double.IsNaN(y[i]), $"{where}: y[{i}]={y[i]} is not NaN (∞·0)");
                        else
                            Assert.True(y[i] == expected[i], $"{where}: y[{i}]={y[i]:R}, expected {expected[i]:R} (rstd = 0)");
                    }
                }
            }
        }
    }

    /// <summary>y is x: the result is bitwise the out-of-place result (the overlapping tail vector must be read before it is overwritten).</summary>
    [Theory]
    [MemberData(nameof(AllNames))]
    public void InPlace_EqualsOutOfPlace(string name)
    {
        KernelCase c = KernelCase.Get(name);
        var rng = new Random(5);
        foreach (int n in Lengths(c))
        {
            var (g, b) = Reference.AffineParameters(rng, n);
            g = c.Round(g); b = c.Round(b);
            double[] x = c.Round(Reference.Normal(rng, 3 * n, 2, 3));
            double[] outOfPlace = c.Run(x, n, g, b);
            double[] inPlace = c.RunInPlace(x, n, g, b);
            for (int i = 0; i < x.Length; i++)
                Assert.True(Bits(outOfPlace[i]) == Bits(inPlace[i]), $"{name} n={n}: element {i} in place {inPlace[i]:R} vs {outOfPlace[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void ZeroRows_IsANoOp(string name)
    {
        KernelCase c = KernelCase.Get(name);
        int n = c.StaticRowLength > 0 ? c.StaticRowLength : 8;
        var (g, b) = Reference.AffineParameters(new Random(6), n);
        double[] y = c.Run([], n, c.Round(g), c.Round(b));
        Assert.Empty(y);
    }

    [Fact]
    public void ZeroRows_TensorForm_IsANoOp_AndLeavesOtherMemoryAlone()
    {
        var x = new float[0];
        var y = new float[] { 42f };
        var g = new float[8 * 96];
        var b = new float[8 * 96];
        Kernels.LnDyn(new System.Numerics.Tensors.ReadOnlyTensorSpan<float>(x, [0, 8, 96]), g, b,
            new System.Numerics.Tensors.TensorSpan<float>(y.AsSpan(0, 0), [0, 8, 96]));
        Assert.Equal(42f, y[0]);
        Kernels.RmsHalf(new System.Numerics.Tensors.ReadOnlyTensorSpan<Half>(new Half[0], [0, 16]), new Half[16],
            new System.Numerics.Tensors.TensorSpan<Half>(new Half[0], [0, 16]));
    }
}
