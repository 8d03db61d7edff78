// One static-shape kernel per row length, float and double, LayerNorm (default ScaleAndBias) and RMSNorm (default
// Scale). The sizes cover rows shorter than every vector, exactly one vector, one past and one short of a vector or
// a 4-vector block of each width, and model sizes (768, 1000, 1024, 4099 = prime-ish tail, 12288).
// The declarations and the table below were written by a small script; keep them in step when adding sizes.
using System;
using NormGen;

namespace NormGen.Tests;

public static partial class StaticKernels
{
    [LayerNorm(1)] public static partial void LnF1(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(1)] public static partial void LnD1(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(1)] public static partial void RmsF1(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(1)] public static partial void RmsD1(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(2)] public static partial void LnF2(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(2)] public static partial void LnD2(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(2)] public static partial void RmsF2(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(2)] public static partial void RmsD2(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(3)] public static partial void LnF3(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(3)] public static partial void LnD3(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(3)] public static partial void RmsF3(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(3)] public static partial void RmsD3(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(4)] public static partial void LnF4(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(4)] public static partial void LnD4(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(4)] public static partial void RmsF4(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(4)] public static partial void RmsD4(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(5)] public static partial void LnF5(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(5)] public static partial void LnD5(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(5)] public static partial void RmsF5(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(5)] public static partial void RmsD5(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(7)] public static partial void LnF7(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(7)] public static partial void LnD7(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(7)] public static partial void RmsF7(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(7)] public static partial void RmsD7(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(8)] public static partial void LnF8(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(8)] public static partial void LnD8(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(8)] public static partial void RmsF8(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(8)] public static partial void RmsD8(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(13)] public static partial void LnF13(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(13)] public static partial void LnD13(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(13)] public static partial void RmsF13(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(13)] public static partial void RmsD13(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(15)] public static partial void LnF15(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(15)] public static partial void LnD15(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(15)] public static partial void RmsF15(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(15)] public static partial void RmsD15(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(16)] public static partial void LnF16(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(16)] public static partial void LnD16(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(16)] public static partial void RmsF16(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(16)] public static partial void RmsD16(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(17)] public static partial void LnF17(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(17)] public static partial void LnD17(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(17)] public static partial void RmsF17(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(17)] public static partial void RmsD17(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(31)] public static partial void LnF31(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(31)] public static partial void LnD31(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(31)] public static partial void RmsF31(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(31)] public static partial void RmsD31(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(33)] public static partial void LnF33(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(33)] public static partial void LnD33(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(33)] public static partial void RmsF33(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(33)] public static partial void RmsD33(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(63)] public static partial void LnF63(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(63)] public static partial void LnD63(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(63)] public static partial void RmsF63(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(63)] public static partial void RmsD63(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(64)] public static partial void LnF64(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(64)] public static partial void LnD64(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(64)] public static partial void RmsF64(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(64)] public static partial void RmsD64(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(65)] public static partial void LnF65(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(65)] public static partial void LnD65(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(65)] public static partial void RmsF65(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(65)] public static partial void RmsD65(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(127)] public static partial void LnF127(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(127)] public static partial void LnD127(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(127)] public static partial void RmsF127(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(127)] public static partial void RmsD127(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(129)] public static partial void LnF129(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(129)] public static partial void LnD129(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(129)] public static partial void RmsF129(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(129)] public static partial void RmsD129(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(768)] public static partial void LnF768(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(768)] public static partial void LnD768(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(768)] public static partial void RmsF768(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(768)] public static partial void RmsD768(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(1000)] public static partial void LnF1000(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(1000)] public static partial void LnD1000(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(1000)] public static partial void RmsF1000(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(1000)] public static partial void RmsD1000(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(1024)] public static partial void LnF1024(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(1024)] public static partial void LnD1024(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(1024)] public static partial void RmsF1024(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(1024)] public static partial void RmsD1024(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(4099)] public static partial void LnF4099(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(4099)] public static partial void LnD4099(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(4099)] public static partial void RmsF4099(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(4099)] public static partial void RmsD4099(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    [LayerNorm(12288)] public static partial void LnF12288(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);
    [LayerNorm(12288)] public static partial void LnD12288(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);
    [RmsNorm(12288)] public static partial void RmsF12288(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
    [RmsNorm(12288)] public static partial void RmsD12288(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);

    /// <summary>Every static-shape kernel above as a uniform test case.</summary>
    public static KernelCase[] All() =>
    [
        KernelCase.Static<float>("LnF1", NormKind.LayerNorm, Affine.ScaleAndBias, 1, (x, _, g, b, y) => LnF1(x, g, b, y)),
        KernelCase.Static<double>("LnD1", NormKind.LayerNorm, Affine.ScaleAndBias, 1, (x, _, g, b, y) => LnD1(x, g, b, y)),
        KernelCase.Static<float>("RmsF1", NormKind.RmsNorm, Affine.Scale, 1, (x, _, g, b, y) => RmsF1(x, g, y)),
        KernelCase.Static<double>("RmsD1", NormKind.RmsNorm, Affine.Scale, 1, (x, _, g, b, y) => RmsD1(x, g, y)),
        KernelCase.Static<float>("LnF2", NormKind.LayerNorm, Affine.ScaleAndBias, 2, (x, _, g, b, y) => LnF2(x, g, b, y)),
        KernelCase.Static<double>("LnD2", NormKind.LayerNorm, Affine.ScaleAndBias, 2, (x, _, g, b, y) => LnD2(x, g, b, y)),
        KernelCase.Static<float>("RmsF2", NormKind.RmsNorm, Affine.Scale, 2, (x, _, g, b, y) => RmsF2(x, g, y)),
        KernelCase.Static<double>("RmsD2", NormKind.RmsNorm, Affine.Scale, 2, (x, _, g, b, y) => RmsD2(x, g, y)),
        KernelCase.Static<float>("LnF3", NormKind.LayerNorm, Affine.ScaleAndBias, 3, (x, _, g, b, y) => LnF3(x, g, b, y)),
        KernelCase.Static<double>("LnD3", NormKind.LayerNorm, Affine.ScaleAndBias, 3, (x, _, g, b, y) => LnD3(x, g, b, y)),
        KernelCase.Static<float>("RmsF3", NormKind.RmsNorm, Affine.Scale, 3, (x, _, g, b, y) => RmsF3(x, g, y)),
        KernelCase.Static<double>("RmsD3", NormKind.RmsNorm, Affine.Scale, 3, (x, _, g, b, y) => RmsD3(x, g, y)),
        KernelCase.Static<float>("LnF4", NormKind.LayerNorm, Affine.ScaleAndBias, 4, (x, _, g, b, y) => LnF4(x, g, b, y)),
        KernelCase.Static<double>("LnD4", NormKind.LayerNorm, Affine.ScaleAndBias, 4, (x, _, g, b, y) => LnD4(x, g, b, y)),
        KernelCase.Static<float>("RmsF4", NormKind.RmsNorm, Affine.Scale, 4, (x, _, g, b, y) => RmsF4(x, g, y)),
        KernelCase.Static<double>("RmsD4", NormKind.RmsNorm, Affine.Scale, 4, (x, _, g, b, y) => RmsD4(x, g, y)),
        KernelCase.Static<float>("LnF5", NormKind.LayerNorm, Affine.ScaleAndBias, 5, (x, _, g, b, y) => LnF5(x, g, b, y)),
        KernelCase.Static<double>("LnD5", NormKind.LayerNorm, Affine.ScaleAndBias, 5, (x, _, g, b, y) => LnD5(x, g, b, y)),
        KernelCase.Static<float>("RmsF5", NormKind.RmsNorm, Affine.Scale, 5, (x, _, g, b, y) => RmsF5(x, g, y)),
        KernelCase.Static<double>("RmsD5", NormKind.RmsNorm, Affine.Scale, 5, (x, _, g, b, y) => RmsD5(x, g, y)),
        KernelCase.Static<float>("LnF7", NormKind.LayerNorm, Affine.ScaleAndBias, 7, (x, _, g, b, y) => LnF7(x, g, b, y)),
        KernelCase.Static<double>("LnD7", NormKind.LayerNorm, Affine.ScaleAndBias, 7, (x, _, g, b, y) => LnD7(x, g, b, y)),
        KernelCase.Static<float>("RmsF7", NormKind.RmsNorm, Affine.Scale, 7, (x, _, g, b, y) => RmsF7(x, g, y)),
        KernelCase.Static<double>("RmsD7", NormKind.RmsNorm, Affine.Scale, 7, (x, _, g, b, y) => RmsD7(x, g, y)),
        KernelCase.Static<float>("LnF8", NormKind.LayerNorm, Affine.ScaleAndBias, 8, (x, _, g, b, y) => LnF8(x, g, b, y)),
        KernelCase.Static<double>("LnD8", NormKind.LayerNorm, Affine.ScaleAndBias, 8, (x, _, g, b, y) => LnD8(x, g, b, y)),
        KernelCase.Static<float>("RmsF8", NormKind.RmsNorm, Affine.Scale, 8, (x, _, g, b, y) => RmsF8(x, g, y)),
        KernelCase.Static<double>("RmsD8", NormKind.RmsNorm, Affine.Scale, 8, (x, _, g, b, y) => RmsD8(x, g, y)),
        KernelCase.Static<float>("LnF13", NormKind.LayerNorm, Affine.ScaleAndBias, 13, (x, _, g, b, y) => LnF13(x, g, b, y)),
        KernelCase.Static<double>("LnD13", NormKind.LayerNorm, Affine.ScaleAndBias, 13, (x, _, g, b, y) => LnD13(x, g, b, y)),
        KernelCase.Static<float>("RmsF13", NormKind.RmsNorm, Affine.Scale, 13, (x, _, g, b, y) => RmsF13(x, g, y)),
        KernelCase.Static<double>("RmsD13", NormKind.RmsNorm, Affine.Scale, 13, (x, _, g, b, y) => RmsD13(x, g, y)),
        KernelCase.Static<float>("LnF15", NormKind.LayerNorm, Affine.ScaleAndBias, 15, (x, _, g, b, y) => LnF15(x, g, b, y)),
        KernelCase.Static<double>("LnD15", NormKind.LayerNorm, Affine.ScaleAndBias, 15, (x, _, g, b, y) => LnD15(x, g, b, y)),
        KernelCase.Static<float>("RmsF15", NormKind.RmsNorm, Affine.Scale, 15, (x, _, g, b, y) => RmsF15(x, g, y)),
        KernelCase.Static<double>("RmsD15", NormKind.RmsNorm, Affine.Scale, 15, (x, _, g, b, y) => RmsD15(x, g, y)),
        KernelCase.Static<float>("LnF16", NormKind.LayerNorm, Affine.ScaleAndBias, 16, (x, _, g, b, y) => LnF16(x, g, b, y)),
        KernelCase.Static<double>("LnD16", NormKind.LayerNorm, Affine.ScaleAndBias, 16, (x, _, g, b, y) => LnD16(x, g, b, y)),
        KernelCase.Static<float>("RmsF16", NormKind.RmsNorm, Affine.Scale, 16, (x, _, g, b, y) => RmsF16(x, g, y)),
        KernelCase.Static<double>("RmsD16", NormKind.RmsNorm, Affine.Scale, 16, (x, _, g, b, y) => RmsD16(x, g, y)),
        KernelCase.Static<float>("LnF17", NormKind.LayerNorm, Affine.ScaleAndBias, 17, (x, _, g, b, y) => LnF17(x, g, b, y)),
        KernelCase.Static<double>("LnD17", NormKind.LayerNorm, Affine.ScaleAndBias, 17, (x, _, g, b, y) => LnD17(x, g, b, y)),
        KernelCase.Static<float>("RmsF17", NormKind.RmsNorm, Affine.Scale, 17, (x, _, g, b, y) => RmsF17(x, g, y)),
        KernelCase.Static<double>("RmsD17", NormKind.RmsNorm, Affine.Scale, 17, (x, _, g, b, y) => RmsD17(x, g, y)),
        KernelCase.Static<float>("LnF31", NormKind.LayerNorm, Affine.ScaleAndBias, 31, (x, _, g, b, y) => LnF31(x, g, b, y)),
        KernelCase.Static<double>("LnD31", NormKind.LayerNorm, Affine.ScaleAndBias, 31, (x, _, g, b, y) => LnD31(x, g, b, y)),
        KernelCase.Static<float>("RmsF31", NormKind.RmsNorm, Affine.Scale, 31, (x, _, g, b, y) => RmsF31(x, g, y)),
        KernelCase.Static<double>("RmsD31", NormKind.RmsNorm, Affine.Scale, 31, (x, _, g, b, y) => RmsD31(x, g, y)),
        KernelCase.Static<float>("LnF33", NormKind.LayerNorm, Affine.ScaleAndBias, 33, (x, _, g, b, y) => LnF33(x, g, b, y)),
        KernelCase.Static<double>("LnD33", NormKind.LayerNorm, Affine.ScaleAndBias, 33, (x, _, g, b, y) => LnD33(x, g, b, y)),
        KernelCase.Static<float>("RmsF33", NormKind.RmsNorm, Affine.Scale, 33, (x, _, g, b, y) => RmsF33(x, g, y)),
        KernelCase.Static<double>("RmsD33", NormKind.RmsNorm, Affine.Scale, 33, (x, _, g, b, y) => RmsD33(x, g, y)),
        KernelCase.Static<float>("LnF63", NormKind.LayerNorm, Affine.ScaleAndBias, 63, (x, _, g, b, y) => LnF63(x, g, b, y)),
        KernelCase.Static<double>("LnD63", NormKind.LayerNorm, Affine.ScaleAndBias, 63, (x, _, g, b, y) => LnD63(x, g, b, y)),
        KernelCase.Static<float>("RmsF63", NormKind.RmsNorm, Affine.Scale, 63, (x, _, g, b, y) => RmsF63(x, g, y)),
        KernelCase.Static<double>("RmsD63", NormKind.RmsNorm, Affine.Scale, 63, (x, _, g, b, y) => RmsD63(x, g, y)),
        KernelCase.Static<float>("LnF64", NormKind.LayerNorm, Affine.ScaleAndBias, 64, (x, _, g, b, y) => LnF64(x, g, b, y)),
        KernelCase.Static<double>("LnD64", NormKind.LayerNorm, Affine.ScaleAndBias, 64, (x, _, g, b, y) => LnD64(x, g, b, y)),
        KernelCase.Static<float>("RmsF64", NormKind.RmsNorm, Affine.Scale, 64, (x, _, g, b, y) => RmsF64(x, g, y)),
        KernelCase.Static<double>("RmsD64", NormKind.RmsNorm, Affine.Scale, 64, (x, _, g, b, y) => RmsD64(x, g, y)),
        KernelCase.Static<float>("LnF65", NormKind.LayerNorm, Affine.ScaleAndBias, 65, (x, _, g, b, y) => LnF65(x, g, b, y)),
        KernelCase.Static<double>("LnD65", NormKind.LayerNorm, Affine.ScaleAndBias, 65, (x, _, g, b, y) => LnD65(x, g, b, y)),
        KernelCase.Static<float>("RmsF65", NormKind.RmsNorm, Affine.Scale, 65, (x, _, g, b, y) => RmsF65(x, g, y)),
        KernelCase.Static<double>("RmsD65", NormKind.RmsNorm, Affine.Scale, 65, (x, _, g, b, y) => RmsD65(x, g, y)),
        KernelCase.Static<float>("LnF127", NormKind.LayerNorm, Affine.ScaleAndBias, 127, (x, _, g, b, y) => LnF127(x, g, b, y)),
        KernelCase.Static<double>("LnD127", NormKind.LayerNorm, Affine.ScaleAndBias, 127, (x, _, g, b, y) => LnD127(x, g, b, y)),
        KernelCase.Static<float>("RmsF127", NormKind.RmsNorm, Affine.Scale, 127, (x, _, g, b, y) => RmsF127(x, g, y)),
        KernelCase.Static<double>("RmsD127", NormKind.RmsNorm, Affine.Scale, 127, (x, _, g, b, y) => RmsD127(x, g, y)),
        KernelCase.Static<float>("LnF129", NormKind.LayerNorm, Affine.ScaleAndBias, 129, (x, _, g, b, y) => LnF129(x, g, b, y)),
        KernelCase.Static<double>("LnD129", NormKind.LayerNorm, Affine.ScaleAndBias, 129, (x, _, g, b, y) => LnD129(x, g, b, y)),
        KernelCase.Static<float>("RmsF129", NormKind.RmsNorm, Affine.Scale, 129, (x, _, g, b, y) => RmsF129(x, g, y)),
        KernelCase.Static<double>("RmsD129", NormKind.RmsNorm, Affine.Scale, 129, (x, _, g, b, y) => RmsD129(x, g, y)),
        KernelCase.Static<float>("LnF768", NormKind.LayerNorm, Affine.ScaleAndBias, 768, (x, _, g, b, y) => LnF768(x, g, b, y)),
        KernelCase.Static<double>("LnD768", NormKind.LayerNorm, Affine.ScaleAndBias, 768, (x, _, g, b, y) => LnD768(x, g, b, y)),
        KernelCase.Static<float>("RmsF768", NormKind.RmsNorm, Affine.Scale, 768, (x, _, g, b, y) => RmsF768(x, g, y)),
        KernelCase.Static<double>("RmsD768", NormKind.RmsNorm, Affine.Scale, 768, (x, _, g, b, y) => RmsD768(x, g, y)),
        KernelCase.Static<float>("LnF1000", NormKind.LayerNorm, Affine.ScaleAndBias, 1000, (x, _, g, b, y) => LnF1000(x, g, b, y)),
        KernelCase.Static<double>("LnD1000", NormKind.LayerNorm, Affine.ScaleAndBias, 1000, (x, _, g, b, y) => LnD1000(x, g, b, y)),
        KernelCase.Static<float>("RmsF1000", NormKind.RmsNorm, Affine.Scale, 1000, (x, _, g, b, y) => RmsF1000(x, g, y)),
        KernelCase.Static<double>("RmsD1000", NormKind.RmsNorm, Affine.Scale, 1000, (x, _, g, b, y) => RmsD1000(x, g, y)),
        KernelCase.Static<float>("LnF1024", NormKind.LayerNorm, Affine.ScaleAndBias, 1024, (x, _, g, b, y) => LnF1024(x, g, b, y)),
        KernelCase.Static<double>("LnD1024", NormKind.LayerNorm, Affine.ScaleAndBias, 1024, (x, _, g, b, y) => LnD1024(x, g, b, y)),
        KernelCase.Static<float>("RmsF1024", NormKind.RmsNorm, Affine.Scale, 1024, (x, _, g, b, y) => RmsF1024(x, g, y)),
        KernelCase.Static<double>("RmsD1024", NormKind.RmsNorm, Affine.Scale, 1024, (x, _, g, b, y) => RmsD1024(x, g, y)),
        KernelCase.Static<float>("LnF4099", NormKind.LayerNorm, Affine.ScaleAndBias, 4099, (x, _, g, b, y) => LnF4099(x, g, b, y)),
        KernelCase.Static<double>("LnD4099", NormKind.LayerNorm, Affine.ScaleAndBias, 4099, (x, _, g, b, y) => LnD4099(x, g, b, y)),
        KernelCase.Static<float>("RmsF4099", NormKind.RmsNorm, Affine.Scale, 4099, (x, _, g, b, y) => RmsF4099(x, g, y)),
        KernelCase.Static<double>("RmsD4099", NormKind.RmsNorm, Affine.Scale, 4099, (x, _, g, b, y) => RmsD4099(x, g, y)),
        KernelCase.Static<float>("LnF12288", NormKind.LayerNorm, Affine.ScaleAndBias, 12288, (x, _, g, b, y) => LnF12288(x, g, b, y)),
        KernelCase.Static<double>("LnD12288", NormKind.LayerNorm, Affine.ScaleAndBias, 12288, (x, _, g, b, y) => LnD12288(x, g, b, y)),
        KernelCase.Static<float>("RmsF12288", NormKind.RmsNorm, Affine.Scale, 12288, (x, _, g, b, y) => RmsF12288(x, g, y)),
        KernelCase.Static<double>("RmsD12288", NormKind.RmsNorm, Affine.Scale, 12288, (x, _, g, b, y) => RmsD12288(x, g, y)),
    ];
}
