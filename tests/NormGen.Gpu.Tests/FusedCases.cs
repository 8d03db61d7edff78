using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using Half = System.Half;

namespace NormGen.Gpu.Tests;

internal enum Act { None, Relu, Gelu, GeluTanh, Silu, Tanh, Sigmoid }

/// <summary>What the double reference needs to know about a fused declaration.</summary>
internal sealed record FusedSpec(Kind Kind, double Epsilon, bool Residual = false, bool Bias = false, double Alpha = 1, AffineKind Affine = AffineKind.ScaleAndBias,
    bool ZeroCentered = false, Act Act = Act.None, bool SavesMean = false, bool SavesRstd = false, bool HasResidualOut = false);

/// <summary>The inputs of one run, as doubles (each case converts them to its element types; all values are exact Halves when a case needs Half).</summary>
internal sealed record FusedInputs(int RowLength, int Rows, double[] X, double[] Residual, double[] Bias, double[] Gamma, double[] Beta);

/// <summary>The outputs of one run, widened to double; arrays a declaration lacks are null.</summary>
internal sealed record FusedOutputs(double[] Y, double[]? ResidualOut = null, double[]? Mean = null, double[]? Rstd = null);

/// <summary>One fused declaration driven both ways. <c>Gpu</c>'s bool asks for residualOut to be the residual view itself (in place).</summary>
internal sealed record FusedCase(string Name, FusedSpec Spec, int StaticRowLength, double Tolerance, Func<FusedInputs, FusedOutputs> Cpu, Func<Accelerator, FusedInputs, bool, FusedOutputs> Gpu)
{
    /// <summary>residualOut holds h itself: exact up to the sum's rounding, or rounded once more to Half.</summary>
    public double ResidualOutTolerance { get; init; } = 1e-6;

    public override string ToString() => Name;
}

/// <summary>Every fused GPU variant of <see cref="FusedGpuKernels"/>, with the conversions its element types need.</summary>
internal static class FusedCases
{
    private const double FloatTolerance = 2e-5, DoubleTolerance = 1e-11, HalfTolerance = 2e-3;

    private static float[] F(double[] v) => Array.ConvertAll(v, d => (float)d);
    private static Half[] H(double[] v) => Array.ConvertAll(v, d => (Half)d);
    private static double[] W(float[] v) => Array.ConvertAll(v, f => (double)f);
    private static double[] W(Half[] v) => Array.ConvertAll(v, h => (double)h);

    private static MemoryBuffer1D<T, Stride1D.Dense> Up<T>(Accelerator a, T[] values) where T : unmanaged => a.Allocate1D(values);
    private static MemoryBuffer1D<T, Stride1D.Dense> New<T>(Accelerator a, long length) where T : unmanaged => a.Allocate1D<T>(length);

    private static double[] Down(Accelerator a, MemoryBuffer1D<float, Stride1D.Dense> b) { a.Synchronize(); return W(b.GetAsArray1D()); }
    private static double[] Down(Accelerator a, MemoryBuffer1D<double, Stride1D.Dense> b) { a.Synchronize(); return b.GetAsArray1D(); }
    private static double[] Down(Accelerator a, MemoryBuffer1D<Half, Stride1D.Dense> b) { a.Synchronize(); return W(b.GetAsArray1D()); }

    public static readonly FusedCase[] All =
    [
        new("AddRms", new(Kind.RmsNorm, 1e-6, Residual: true, Affine: AffineKind.Scale, HasResidualOut: true), 0, FloatTolerance,
            io =>
            {
                var y = new float[io.X.Length];
                var ro = new float[io.X.Length];
                FusedGpuKernels.AddRms(F(io.X), F(io.Residual), F(io.Gamma), y, ro, io.RowLength);
                return new(W(y), W(ro));
            },
            (a, io, inPlace) =>
            {
                using var x = Up(a, F(io.X)); using var r = Up(a, F(io.Residual)); using var g = Up(a, F(io.Gamma));
                using var y = New<float>(a, io.X.Length); using var ro = New<float>(a, io.X.Length);
                var residualOut = inPlace ? r : ro;
                FusedGpuKernels.AddRms(a, x.View, r.View, g.View, y.View, residualOut.View, io.RowLength);
                return new(Down(a, y), Down(a, residualOut));
            }),
        new("AddRms4096", new(Kind.RmsNorm, 1e-6, Residual: true, Affine: AffineKind.Scale, HasResidualOut: true), 4096, FloatTolerance,
            io =>
            {
                var y = new float[io.X.Length];
                var ro = new float[io.X.Length];
                FusedGpuKernels.AddRms4096(F(io.X), F(io.Residual), F(io.Gamma), y, ro);
                return new(W(y), W(ro));
            },
            (a, io, inPlace) =>
            {
                using var x = Up(a, F(io.X)); using var r = Up(a, F(io.Residual)); using var g = Up(a, F(io.Gamma));
                using var y = New<float>(a, io.X.Length); using var ro = New<float>(a, io.X.Length);
                var residualOut = inPlace ? r : ro;
                FusedGpuKernels.AddRms4096(a, x.View, r.View, g.View, y.View, residualOut.View);
                return new(Down(a, y), Down(a, residualOut));
            }),
        new("SkipLn", new(Kind.LayerNorm, 1e-5, Residual: true, Bias: true, HasResidualOut: true), 0, FloatTolerance,
            io =>
            {
                var y = new float[io.X.Length];
                var ro = new float[io.X.Length];
                FusedGpuKernels.SkipLn(F(io.X), io.RowLength, F(io.Residual), F(io.Bias), F(io.Gamma), F(io.Beta), y, ro);
                return new(W(y), W(ro));
            },
            (a, io, inPlace) =>
            {
                using var x = Up(a, F(io.X)); using var r = Up(a, F(io.Residual)); using var bias = Up(a, F(io.Bias));
                using var g = Up(a, F(io.Gamma)); using var b = Up(a, F(io.Beta));
                using var y = New<float>(a, io.X.Length); using var ro = New<float>(a, io.X.Length);
                var residualOut = inPlace ? r : ro;
                FusedGpuKernels.SkipLn(a, x.View, io.RowLength, r.View, bias.View, g.View, b.View, y.View, residualOut.View);
                return new(Down(a, y), Down(a, residualOut));
            }),
        new("Deep", new(Kind.LayerNorm, 1e-5, Residual: true, Alpha: Math.Pow(48, 0.25)), 0, FloatTolerance,
            io =>
            {
                var y = new float[io.X.Length];
                FusedGpuKernels.Deep(F(io.X), F(io.Residual), F(io.Gamma), F(io.Beta), y, io.RowLength);
                return new(W(y));
            },
            (a, io, _) =>
            {
                using var x = Up(a, F(io.X)); using var r = Up(a, F(io.Residual));
                using var g = Up(a, F(io.Gamma)); using var b = Up(a, F(io.Beta)); using var y = New<float>(a, io.X.Length);
                FusedGpuKernels.Deep(a, x.View, r.View, g.View, b.View, y.View, io.RowLength);
                return new(Down(a, y));
            }),
        new("DeepDouble", new(Kind.LayerNorm, 1e-5, Residual: true, Alpha: 2.5, Act: Act.GeluTanh), 0, DoubleTolerance,
            io =>
            {
                var y = new double[io.X.Length];
                FusedGpuKernels.DeepDouble(io.X, io.RowLength, io.Residual, io.Gamma, io.Beta, y);
                return new(y);
            },
            (a, io, _) =>
            {
                using var x = Up(a, io.X); using var r = Up(a, io.Residual);
                using var g = Up(a, io.Gamma); using var b = Up(a, io.Beta); using var y = New<double>(a, io.X.Length);
                FusedGpuKernels.DeepDouble(a, x.View, io.RowLength, r.View, g.View, b.View, y.View);
                return new(Down(a, y));
            }),
        Activation("LnRelu", Act.Relu, FusedGpuKernels.LnRelu, FusedGpuKernels.LnRelu),
        Activation("LnGelu", Act.Gelu, FusedGpuKernels.LnGelu, FusedGpuKernels.LnGelu),
        Activation("LnGeluTanh", Act.GeluTanh, FusedGpuKernels.LnGeluTanh, FusedGpuKernels.LnGeluTanh),
        Activation("LnTanh", Act.Tanh, FusedGpuKernels.LnTanh, FusedGpuKernels.LnTanh),
        Activation("LnSigmoid", Act.Sigmoid, FusedGpuKernels.LnSigmoid, FusedGpuKernels.LnSigmoid),
        new("RmsSilu", new(Kind.RmsNorm, 1.1920929e-07, Affine: AffineKind.Scale, Act: Act.Silu), 0, FloatTolerance,
            io =>
            {
                var y = new float[io.X.Length];
                FusedGpuKernels.RmsSilu(F(io.X), F(io.Gamma), y, io.RowLength);
                return new(W(y));
            },
            (a, io, _) =>
            {
                using var x = Up(a, F(io.X)); using var g = Up(a, F(io.Gamma)); using var y = New<float>(a, io.X.Length);
                FusedGpuKernels.RmsSilu(a, x.View, g.View, y.View, io.RowLength);
                return new(Down(a, y));
            }),
        new("LnGeluHalfOut", new(Kind.LayerNorm, 1e-5, Act: Act.Gelu, SavesMean: true, SavesRstd: true), 768, HalfTolerance,
            io =>
            {
                var y = new Half[io.X.Length];
                var mean = new float[io.Rows];
                var rstd = new float[io.Rows];
                FusedGpuKernels.LnGeluHalfOut(F(io.X), F(io.Gamma), F(io.Beta), y, mean, rstd);
                return new(W(y), null, W(mean), W(rstd));
            },
            (a, io, _) =>
            {
                using var x = Up(a, F(io.X)); using var g = Up(a, F(io.Gamma)); using var b = Up(a, F(io.Beta));
                using var y = New<Half>(a, io.X.Length); using var mean = New<float>(a, io.Rows); using var rstd = New<float>(a, io.Rows);
                FusedGpuKernels.LnGeluHalfOut(a, x.View, g.View, b.View, y.View, mean.View, rstd.View);
                return new(Down(a, y), null, Down(a, mean), Down(a, rstd));
            }),
        new("HalfAddRms", new(Kind.RmsNorm, 1.1920929e-07, Residual: true, Affine: AffineKind.Scale, Act: Act.Silu, SavesRstd: true, HasResidualOut: true), 0, FloatTolerance,
            io =>
            {
                var y = new float[io.X.Length];
                var ro = new Half[io.X.Length];
                var rstd = new float[io.Rows];
                FusedGpuKernels.HalfAddRms(H(io.X), H(io.Residual), H(io.Gamma), y, ro, rstd, io.RowLength);
                return new(W(y), W(ro), null, W(rstd));
            },
            (a, io, inPlace) =>
            {
                using var x = Up(a, H(io.X)); using var r = Up(a, H(io.Residual)); using var g = Up(a, H(io.Gamma));
                using var y = New<float>(a, io.X.Length); using var ro = New<Half>(a, io.X.Length); using var rstd = New<float>(a, io.Rows);
                var residualOut = inPlace ? r : ro;
                FusedGpuKernels.HalfAddRms(a, x.View, r.View, g.View, y.View, residualOut.View, rstd.View, io.RowLength);
                return new(Down(a, y), Down(a, residualOut), null, Down(a, rstd));
            })
        {
            ResidualOutTolerance = 1e-3,
        },
        new("GemmaRms", new(Kind.RmsNorm, 1.1920929e-07, Affine: AffineKind.Scale, ZeroCentered: true), 0, FloatTolerance,
            io =>
            {
                var y = new float[io.X.Length];
                FusedGpuKernels.GemmaRms(F(io.X), F(io.Gamma), y, io.RowLength);
                return new(W(y));
            },
            (a, io, _) =>
            {
                using var x = Up(a, F(io.X)); using var g = Up(a, F(io.Gamma)); using var y = New<float>(a, io.X.Length);
                FusedGpuKernels.GemmaRms(a, x.View, g.View, y.View, io.RowLength);
                return new(Down(a, y));
            }),
        new("LnZcStats", new(Kind.LayerNorm, 1e-5, ZeroCentered: true, SavesMean: true, SavesRstd: true), 0, DoubleTolerance,
            io =>
            {
                var y = new double[io.X.Length];
                var mean = new double[io.Rows];
                var rstd = new double[io.Rows];
                FusedGpuKernels.LnZcStats(io.X, io.Gamma, io.Beta, y, mean, rstd, io.RowLength);
                return new(y, null, mean, rstd);
            },
            (a, io, _) =>
            {
                using var x = Up(a, io.X); using var g = Up(a, io.Gamma); using var b = Up(a, io.Beta);
                using var y = New<double>(a, io.X.Length); using var mean = New<double>(a, io.Rows); using var rstd = New<double>(a, io.Rows);
                FusedGpuKernels.LnZcStats(a, x.View, g.View, b.View, y.View, mean.View, rstd.View, io.RowLength);
                return new(Down(a, y), null, Down(a, mean), Down(a, rstd));
            }),
    ];

    private delegate void CpuLn(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, int length);
    private delegate void GpuLn(Accelerator a, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y, int length);

    private static FusedCase Activation(string name, Act act, CpuLn cpu, GpuLn gpu) =>
        new(name, new(Kind.LayerNorm, 1e-5, Act: act), 0, FloatTolerance,
            io =>
            {
                var y = new float[io.X.Length];
                cpu(F(io.X), F(io.Gamma), F(io.Beta), y, io.RowLength);
                return new(W(y));
            },
            (a, io, _) =>
            {
                using var x = Up(a, F(io.X)); using var g = Up(a, F(io.Gamma)); using var b = Up(a, F(io.Beta)); using var y = New<float>(a, io.X.Length);
                gpu(a, x.View, g.View, b.View, y.View, io.RowLength);
                return new(Down(a, y));
            });

    public static FusedCase Get(string name) => All.Single(c => c.Name == name);

    /// <summary>Inputs for a case: values that are exact Halves (so every element type sees the same numbers), a per-row offset, γ near 1, β and bias near 0.</summary>
    public static FusedInputs Inputs(int rowLength, int rows, int seed)
    {
        static double[] Values(int count, int seed, double scale, double offset)
        {
            var rng = new Random(seed);
            var a = new double[count];
            for (int i = 0; i < count; i++) a[i] = (double)(Half)(offset + (rng.NextDouble() * 2 - 1) * scale);
            return a;
        }
        int count = rowLength * rows;
        return new FusedInputs(rowLength, rows,
            Values(count, seed, 3, 0.75), Values(count, seed + 1, 2, -0.25), Values(rowLength, seed + 2, 0.5, 0.1),
            Values(rowLength, seed + 3, 0.5, 1), Values(rowLength, seed + 4, 0.5, 0));
    }
}
