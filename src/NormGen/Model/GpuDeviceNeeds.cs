using System;

namespace NormGen.Generator.Model;

/// <summary>
/// What of the shared device file (<c>NormGen.GpuDevice.g.cs</c>) a compilation's GPU kernels use: the kernel families
/// (row kernels, BatchNorm evaluation's element kernel, tensor kernels, row backward kernels, tensor backward kernels) in
/// each compute type, the optional kernels of the backward families (recomputed statistics, dγ/dβ partials, dbias
/// partials) in each compute type, and the epilogue activations with the families that apply them. One value per
/// compilation, or-ed from every GPU spec's own, so an edit that leaves it unchanged (an ε, a row length, a new
/// declaration of a kind already used) does not rewrite the file. Each per-type flag's double twin is the next bit
/// (<see cref="GpuDeviceNeedsExtensions.In"/>).
/// </summary>
[Flags]
internal enum GpuDeviceNeeds
{
    None = 0,
    RowsFloat = 1 << 0,
    RowsDouble = 1 << 1,
    TensorsFloat = 1 << 2,
    TensorsDouble = 1 << 3,
    BackwardFloat = 1 << 4,
    BackwardDouble = 1 << 5,
    Relu = 1 << 6,
    Gelu = 1 << 7,
    GeluTanh = 1 << 8,
    Silu = 1 << 9,
    Tanh = 1 << 10,
    Sigmoid = 1 << 11,
    TensorBackwardFloat = 1 << 12,
    TensorBackwardDouble = 1 << 13,
    /// <summary>BatchNorm evaluation's element kernel (in the row kernels' class).</summary>
    BatchNormEvalFloat = 1 << 14,
    BatchNormEvalDouble = 1 << 15,
    /// <summary>The row backward's statistics kernels: a fused backward that recomputes mean and rstd (<c>GpuBackwardFlags.Recompute</c>).</summary>
    RecomputeFloat = 1 << 16,
    RecomputeDouble = 1 << 17,
    /// <summary>The row backward's dγ/dβ partials kernel (<c>GpuBackwardFlags.GammaGradient</c>).</summary>
    RowGammaGradientFloat = 1 << 18,
    RowGammaGradientDouble = 1 << 19,
    /// <summary>The row backward's dbias partials kernel (<c>GpuBackwardFlags.BiasGradient</c>).</summary>
    BiasGradientFloat = 1 << 20,
    BiasGradientDouble = 1 << 21,
    /// <summary>The tensor backward's dγ/dβ partials kernel (<c>GpuTensorBackwardFlags.GammaGradient</c>).</summary>
    TensorGammaGradientFloat = 1 << 22,
    TensorGammaGradientDouble = 1 << 23,
    /// <summary>The tensor kernels' batch count kernel: BatchNorm training with a cumulative average (momentum=None).</summary>
    BatchCountFloat = 1 << 26,
    BatchCountDouble = 1 << 27,
    /// <summary>A forward row declaration applies one of the activations named (the device class then holds them).</summary>
    ForwardActivation = 1 << 24,
    /// <summary>A row backward declaration differentiates one of the activations named (the device class then holds their derivatives).</summary>
    BackwardActivation = 1 << 25,

    /// <summary>Every family in float (float and Half declarations compute in float).</summary>
    Float = RowsFloat | BatchNormEvalFloat | TensorsFloat | BackwardFloat | TensorBackwardFloat,
    /// <summary>Every family in double.</summary>
    Double = RowsDouble | BatchNormEvalDouble | TensorsDouble | BackwardDouble | TensorBackwardDouble,
    Rows = RowsFloat | RowsDouble,
    BatchNormEval = BatchNormEvalFloat | BatchNormEvalDouble,
    /// <summary>The families in the row kernels' class and spec interface.</summary>
    RowClass = Rows | BatchNormEval,
    Tensors = TensorsFloat | TensorsDouble,
    Backward = BackwardFloat | BackwardDouble,
    /// <summary>The tensor kinds' backward kernels (GroupNorm, InstanceNorm, BatchNorm training, ChannelLayerNorm).</summary>
    TensorBackward = TensorBackwardFloat | TensorBackwardDouble,
    /// <summary>The kernels whose per-block partials the device class's combine kernel adds, in float.</summary>
    ColumnGradientsFloat = RowGammaGradientFloat | BiasGradientFloat | TensorGammaGradientFloat,
    ColumnGradientsDouble = RowGammaGradientDouble | BiasGradientDouble | TensorGammaGradientDouble,
    /// <summary>The kernels that write the stream's scratch buffer (so the device class holds <c>Scratch</c>).</summary>
    Scratch = RecomputeFloat | RecomputeDouble | ColumnGradientsFloat | ColumnGradientsDouble,
    /// <summary>The activations that call the device's e^v (all but ReLU).</summary>
    Exp = Gelu | GeluTanh | Silu | Tanh | Sigmoid,
    Activations = Relu | Exp,
}

/// <summary>The per-compute-type flags of <see cref="GpuDeviceNeeds"/>.</summary>
internal static class GpuDeviceNeedsExtensions
{
    /// <summary>The float flag <paramref name="floatFlag"/>, or its double twin (the next bit) when <paramref name="dbl"/>.</summary>
    public static GpuDeviceNeeds In(this GpuDeviceNeeds floatFlag, bool dbl) => dbl ? (GpuDeviceNeeds)((int)floatFlag << 1) : floatFlag;

    /// <summary>Whether <paramref name="needs"/> holds <paramref name="floatFlag"/> in compute type <paramref name="c"/> ("float" or "double").</summary>
    public static bool Has(this GpuDeviceNeeds needs, GpuDeviceNeeds floatFlag, string c) => (needs & floatFlag.In(c == "double")) != 0;
}
