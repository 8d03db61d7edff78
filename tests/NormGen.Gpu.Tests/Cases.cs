using System;
using System.Numerics.Tensors;
using ILGPU;
using ILGPU.Runtime;
using Half = System.Half;

namespace NormGen.Gpu.Tests;

internal enum Kind { LayerNorm, RmsNorm }

internal enum AffineKind { None, Scale, ScaleAndBias }

/// <summary>The CPU span call of a declaration: x, gamma, beta, y, row length (unused arguments ignored).</summary>
internal delegate void CpuCall<T>(T[] x, T[] gamma, T[] beta, T[] y, int rowLength);

/// <summary>The GPU overload of the same declaration.</summary>
internal delegate void GpuCall<T>(Accelerator accelerator, ArrayView<T> x, ArrayView<T> gamma, ArrayView<T> beta, ArrayView<T> y, int rowLength) where T : unmanaged;

/// <summary>One declared kernel, as the tests drive it: both of its targets plus what the reference needs.</summary>
internal sealed record Case<T>(string Name, Kind Kind, AffineKind Affine, double Epsilon, int StaticRowLength, CpuCall<T> Cpu, GpuCall<T> Gpu)
    where T : unmanaged
{
    public override string ToString() => Name;
}

/// <summary>Every GPU variant the test project declares (see <see cref="GpuKernels"/>).</summary>
internal static class Cases
{
    public static readonly Case<float>[] Float =
    [
        new("Ln768", Kind.LayerNorm, AffineKind.ScaleAndBias, 1e-5, 768,
            (x, g, b, y, n) => GpuKernels.Ln768(x, g, b, y),
            (a, x, g, b, y, n) => GpuKernels.Ln768(a, x, g, b, y)),
        new("Ln4099", Kind.LayerNorm, AffineKind.ScaleAndBias, 1e-5, 4099,
            (x, g, b, y, n) => GpuKernels.Ln4099(x, g, b, y),
            (a, x, g, b, y, n) => GpuKernels.Ln4099(a, x, g, b, y)),
        new("LnDyn", Kind.LayerNorm, AffineKind.None, 1e-5, 0,
            (x, g, b, y, n) => GpuKernels.LnDyn(x, y, n),
            (a, x, g, b, y, n) => GpuKernels.LnDyn(a, x, y, n)),
        new("LnDynScale", Kind.LayerNorm, AffineKind.Scale, 1e-5, 0,
            (x, g, b, y, n) => GpuKernels.LnDynScale(x, g, y, n),
            (a, x, g, b, y, n) => GpuKernels.LnDynScale(a, x, g, y, n)),
        new("LnTensor", Kind.LayerNorm, AffineKind.ScaleAndBias, 1e-5, 0,
            (x, g, b, y, n) => GpuKernels.LnTensor(new ReadOnlyTensorSpan<float>(x, [x.Length / n, 1, n]), g, b, new TensorSpan<float>(y, [y.Length / n, 1, n])),
            (a, x, g, b, y, n) => GpuKernels.LnTensor(a, x, g, b, y, n)),
        new("Rms1000", Kind.RmsNorm, AffineKind.Scale, 1e-6, 1000,
            (x, g, b, y, n) => GpuKernels.Rms1000(x, g, y),
            (a, x, g, b, y, n) => GpuKernels.Rms1000(a, x, g, y)),
        new("RmsDyn", Kind.RmsNorm, AffineKind.Scale, 1e-6, 0,
            (x, g, b, y, n) => GpuKernels.RmsDyn(x, g, y, n),
            (a, x, g, b, y, n) => GpuKernels.RmsDyn(a, x, g, y, n)),
    ];

    public static readonly Case<double>[] Double =
    [
        new("LnDynDouble", Kind.LayerNorm, AffineKind.ScaleAndBias, 1e-5, 0,
            (x, g, b, y, n) => GpuKernels.LnDynDouble(x, g, b, y, n),
            (a, x, g, b, y, n) => GpuKernels.LnDynDouble(a, x, g, b, y, n)),
        new("RmsDynNone", Kind.RmsNorm, AffineKind.None, Math.Pow(2, -52), 0,
            (x, g, b, y, n) => GpuKernels.RmsDynNone(x, y, n),
            (a, x, g, b, y, n) => GpuKernels.RmsDynNone(a, x, y, n)),
    ];

    public static readonly Case<Half>[] Halves =
    [
        new("RmsHalf2048", Kind.RmsNorm, AffineKind.Scale, 1.1920929e-07, 2048,
            (x, g, b, y, n) => GpuKernels.RmsHalf2048(x, g, y),
            (a, x, g, b, y, n) => GpuKernels.RmsHalf2048(a, x, g, y)),
        new("LnHalfDyn", Kind.LayerNorm, AffineKind.ScaleAndBias, 1e-5, 0,
            (x, g, b, y, n) => GpuKernels.LnHalfDyn(x, g, b, y, n),
            (a, x, g, b, y, n) => GpuKernels.LnHalfDyn(a, x, g, b, y, n)),
    ];

    public static Case<float> FloatCase(string name) => Array.Find(Float, c => c.Name == name)!;

    public static Case<double> DoubleCase(string name) => Array.Find(Double, c => c.Name == name)!;

    public static Case<Half> HalfCase(string name) => Array.Find(Halves, c => c.Name == name)!;

    public static double[] Expected(Kind kind, AffineKind affine, double eps, double[] x, int n, double[] gamma, double[] beta) => kind == Kind.LayerNorm
        ? Reference.LayerNorm(x, n, affine >= AffineKind.Scale ? gamma : default, affine == AffineKind.ScaleAndBias ? beta : default, eps)
        : Reference.RmsNorm(x, n, affine >= AffineKind.Scale ? gamma : default, eps);
}
