using System;

namespace NormGen.Generator.Model;

/// <summary>
/// What of the shared device file (<c>NormGen.GpuDevice.g.cs</c>) a compilation's GPU kernels use: the kernel families
/// (row kernels with BatchNorm evaluation, tensor kernels, row backward kernels, tensor backward kernels) in each compute type, and the epilogue
/// activations. One value per compilation, or-ed from every GPU spec's own, so an edit that leaves it unchanged (an ε,
/// a row length, a new declaration of a kind already used) does not rewrite the file.
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

    /// <summary>Every family in float (float and Half declarations compute in float).</summary>
    Float = RowsFloat | TensorsFloat | BackwardFloat | TensorBackwardFloat,
    /// <summary>Every family in double.</summary>
    Double = RowsDouble | TensorsDouble | BackwardDouble | TensorBackwardDouble,
    Rows = RowsFloat | RowsDouble,
    Tensors = TensorsFloat | TensorsDouble,
    Backward = BackwardFloat | BackwardDouble,
    /// <summary>The tensor kinds' backward kernels (GroupNorm, InstanceNorm, BatchNorm training, ChannelLayerNorm).</summary>
    TensorBackward = TensorBackwardFloat | TensorBackwardDouble,
    /// <summary>The families that use the stream's scratch buffer and the dγ/dβ combine kernel.</summary>
    AnyBackward = Backward | TensorBackward,
    /// <summary>The activations that call the device's e^v (all but ReLU).</summary>
    Exp = Gelu | GeluTanh | Silu | Tanh | Sigmoid,
    Activations = Relu | Exp,
}
