using System;
using System.Globalization;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Tests;

/// <summary>
/// Rows with a large mean and unit spread (offsets 0, 1e2, 1e4, 1e6, std 1): where the one-pass E[x²] − μ² formula and
/// a float mean lose precision. NormGen is compared with the double reference and with the obvious TensorPrimitives
/// composition in the same precision: μ = Sum(x)/n, d = x − μ, σ² = SumOfSquares(d)/n, y = FusedMultiplyAdd(d·rstd, γ, β).
/// </summary>
public class OffsetTests(ITestOutputHelper output)
{
    public static TheoryData<double> Offsets => [0, 1e2, 1e4, 1e6];

    [Theory]
    [MemberData(nameof(Offsets))]
    public void LayerNormFloat_LargeRowMean_NoNaN_BoundedError_AtLeastAsAccurateAsTensorPrimitives(double offset)
    {
        foreach (int n in new[] { 768, 4099 })
        {
            var (ng, tp) = Measure<float>(DynKernels.LnFScaleAndBias, NormKind.LayerNorm, offset, n, rows: 32, seed: n);
            Report("LayerNorm float", offset, n, ng, tp);
            // Bounded: the same tolerance as at offset 0 (NormGen forms x − shift exactly, so the mean's size does not enter).
            Assert.True(ng.MaxUnits <= 16 + 4 * Math.Sqrt(n), $"NormGen error {ng} at offset {offset}");
            AssertAtLeastAsAccurate(ng, tp, offset, n);
        }
    }

    [Theory]
    [MemberData(nameof(Offsets))]
    public void LayerNormDouble_LargeRowMean_NoNaN_BoundedError_AtLeastAsAccurateAsTensorPrimitives(double offset)
    {
        foreach (int n in new[] { 768, 4099 })
        {
            var (ng, tp) = Measure<double>(DynKernels.LnDScaleAndBias, NormKind.LayerNorm, offset, n, rows: 32, seed: n);
            Report("LayerNorm double", offset, n, ng, tp);
            Assert.True(ng.MaxUnits <= 16 + 4 * Math.Sqrt(n), $"NormGen error {ng} at offset {offset}");
            AssertAtLeastAsAccurate(ng, tp, offset, n);
        }
    }

    /// <summary>
    /// A double row whose squares overflow (values near 1e300, so the row is redone in double on x·2⁻ᵏ) with a mean
    /// 10¹⁰ times its spread: the fallback must keep the spread as the common path keeps it (x − shift before the
    /// offset). The reference, written here, scales by 2⁻¹⁰⁰⁰ (exact) and subtracts the first value (exact within a
    /// factor of two) before its two passes. The mean rounded to its own ulp first (the fallback before) put errors of
    /// about 1e-6 into y.
    /// </summary>
    [Fact]
    public void LayerNormDouble_HugeRowWithLargeMean_KeepsItsSpread()
    {
        const int n = 1000, rows = 4;
        var rng = new Random(7);
        double[] x = Reference.Normal(rng, rows * n, 0, 1).Select(v => 1e300 * (1 + 1e-10 * v)).ToArray();
        double[] gamma = Enumerable.Repeat(1d, n).ToArray(), beta = new double[n], y = new double[x.Length];
        DynKernels.LnDScaleAndBias(x, n, gamma, beta, y);
        double maxError = 0;
        for (int r = 0; r < rows; r++)
        {
            double scale = Math.ScaleB(1d, -1000), shift = x[r * n] * scale, sum = 0, squares = 0;
            for (int i = 0; i < n; i++) sum += x[r * n + i] * scale - shift;
            double offset = sum / n;
            for (int i = 0; i < n; i++) { double d = x[r * n + i] * scale - shift - offset; squares += d * d; }
            double std = Math.Sqrt(squares / n);
            for (int i = 0; i < n; i++)
                maxError = Math.Max(maxError, Math.Abs(y[r * n + i] - (x[r * n + i] * scale - shift - offset) / std));
        }
        output.WriteLine($"huge row, mean 1e10 × its spread: max |y − reference| {maxError:E2}");
        Assert.True(maxError <= 1e-12, $"max |y − reference| {maxError:E2}");
    }

    /// <summary>
    /// RMSNorm has no mean to subtract: an offset only makes x̂ ≈ ±1 everywhere. Its error is bounded the same way;
    /// compared with TensorPrimitives (SumOfSquares, then Multiply) for the record, without asserting an order,
    /// because both are one rounded sum and one or two products and either may win by a unit in the last place.
    /// </summary>
    [Theory]
    [MemberData(nameof(Offsets))]
    public void RmsNormFloat_LargeRowMean_NoNaN_BoundedError(double offset)
    {
        foreach (int n in new[] { 768, 4099 })
        {
            var (ng, tp) = Measure<float>(DynKernels.RmsFScale, NormKind.RmsNorm, offset, n, rows: 32, seed: n);
            Report("RMSNorm float", offset, n, ng, tp);
            Assert.True(ng.MaxUnits <= 16 + 4 * Math.Sqrt(n), $"NormGen error {ng} at offset {offset}");
        }
    }

    /// <summary>Half holds up to 65504 with 11 significant bits: offsets 0, 1e2 and 1e4 (at 1e4 the spacing is 8, so rows are coarsely quantized).</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1e2)]
    [InlineData(1e4)]
    public void LayerNormHalf_LargeRowMean_WithinHalfUlp(double offset)
    {
        KernelCase c = KernelCase.Get("LnHScaleAndBias");
        var stats = new ErrorStats();
        AccuracyTests.CheckAgainstReference(c, 768, 32, new Random(7), [(offset, 1)], stats);
        output.WriteLine($"LayerNorm Half offset={offset:G} n=768: {stats}");
        AccuracyTests.CheckAgainstReference(KernelCase.Get("RmsHScale"), 768, 32, new Random(8), [(offset, 1)], stats = new ErrorStats());
        output.WriteLine($"RMSNorm Half offset={offset:G} n=768: {stats}");
    }

    /// <summary>
    /// NormGen's max error must not exceed the composition's. At offset 0 both are limited by the same final roundings
    /// (about 1–2 units of roundoff of the largest |y|), and NormGen's one-pass statistics path (deviations from the
    /// first vector's mean, taken only when that shift is within σ/2 of the mean, so the variance loses under half a
    /// bit) may land one rounding higher there: at offset 0 it is allowed one more unit of roundoff than the
    /// composition (in <see cref="ErrorStats.MaxUnits"/>, error / (u·|terms|)). From offset 1e2 up the composition
    /// loses 2⁻²⁴·|μ|/σ to the rounded mean and is 30× to 10⁵× worse; there NormGen must be strictly at least as accurate.
    /// </summary>
    private static void AssertAtLeastAsAccurate(ErrorStats ng, ErrorStats tp, double offset, int n) =>
        Assert.True(offset == 0 ? ng.MaxUnits <= tp.MaxUnits + 1 : ng.MaxAbs <= tp.MaxAbs,
            $"NormGen max error {ng.MaxAbs:E3} ({ng.MaxUnits:F2}u) > TensorPrimitives composition {tp.MaxAbs:E3} ({tp.MaxUnits:F2}u) at offset {offset}, n={n}");

    private void Report(string what, double offset, int n, ErrorStats ng, ErrorStats tp) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what} offset={offset:G} n={n}: NormGen maxAbs={ng.MaxAbs:E2} ({ng.MaxUnits:F2}u) maxRel={ng.MaxRel:E2} | TensorPrimitives maxAbs={tp.MaxAbs:E2} ({tp.MaxUnits:F2}u) maxRel={tp.MaxRel:E2}"));

    private delegate void Ln<T>(ReadOnlySpan<T> x, int n, ReadOnlySpan<T> g, ReadOnlySpan<T> b, Span<T> y);
    private delegate void Rms<T>(ReadOnlySpan<T> x, int n, ReadOnlySpan<T> g, Span<T> y);

    private static (ErrorStats NormGen, ErrorStats Composition) Measure<T>(Ln<T> kernel, NormKind kind, double offset, int n, int rows, int seed)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>, System.Numerics.IRootFunctions<T>
        => Measure<T>((x, g, b, y) => kernel(x, n, g, b, y), kind, Affine.ScaleAndBias, offset, n, rows, seed);

    private static (ErrorStats NormGen, ErrorStats Composition) Measure<T>(Rms<T> kernel, NormKind kind, double offset, int n, int rows, int seed)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>, System.Numerics.IRootFunctions<T>
        => Measure<T>((x, g, b, y) => kernel(x, n, g, y), kind, Affine.Scale, offset, n, rows, seed);

    private delegate void Call<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, ReadOnlySpan<T> b, Span<T> y);

    private static (ErrorStats, ErrorStats) Measure<T>(Call<T> kernel, NormKind kind, Affine affine, double offset, int n, int rows, int seed)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>, System.Numerics.IRootFunctions<T>
    {
        var rng = new Random(seed + (int)Math.Log10(offset + 1));
        T[] x = KernelCase<T>.To(Reference.Normal(rng, rows * n, offset, 1));
        var (gd, bd) = Reference.AffineParameters(rng, n);
        T[] g = KernelCase<T>.To(gd), b = KernelCase<T>.To(bd);
        double[] xd = KernelCase<T>.From(x);
        gd = KernelCase<T>.From(g); bd = KernelCase<T>.From(b);
        double eps = typeof(T) == typeof(double)
            ? (kind == NormKind.LayerNorm ? 1e-5 : Math.Pow(2, -52))
            : (kind == NormKind.LayerNorm ? 1e-5f : 1.1920929e-07f);
        double u = typeof(T) == typeof(double) ? Math.Pow(2, -53) : Math.Pow(2, -24);
        double[] expected = Reference.Normalize(kind, affine, eps, xd, n, gd, bd, out double[] terms);

        var y = new T[x.Length];
        kernel(x, g, b, y);

        // The composition a user would write with TensorPrimitives, in the same precision.
        var yc = new T[x.Length];
        var d = new T[n];
        T epsT = T.CreateTruncating(eps), nT = T.CreateTruncating(n);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> row = x.AsSpan(r * n, n);
            Span<T> dst = yc.AsSpan(r * n, n);
            if (kind == NormKind.LayerNorm)
            {
                T mean = TensorPrimitives.Sum(row) / nT;
                TensorPrimitives.Subtract(row, mean, d);
                T rstd = T.One / T.Sqrt(TensorPrimitives.SumOfSquares<T>(d) / nT + epsT);
                TensorPrimitives.Multiply(d, rstd, d);
                TensorPrimitives.FusedMultiplyAdd(d, g, b, dst);
            }
            else
            {
                T rstd = T.One / T.Sqrt(TensorPrimitives.SumOfSquares(row) / nT + epsT);
                TensorPrimitives.Multiply(row, rstd, d);
                TensorPrimitives.Multiply(d, g, dst);
            }
        }

        var ng = new ErrorStats();
        var tp = new ErrorStats();
        double[] yd = KernelCase<T>.From(y), ycd = KernelCase<T>.From(yc);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.False(double.IsNaN(yd[i]), $"NaN at {i} for offset {offset}");
            ng.Add(yd[i], expected[i], terms[i], u, $"i={i}");
            tp.Add(ycd[i], expected[i], terms[i], u, $"i={i}");
        }
        return (ng, tp);
    }
}
