using System.Numerics;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// The vector operations of the forward row kernel (<see cref="RowEngine"/>) and of <see cref="RowStatistics"/>: the
/// width structs' <see cref="IVectorMathOps{TVector, T}"/> and the activations' <see cref="IActivationOps{TV, T}"/>. The
/// loop is written once over <c>TOps</c> and the JIT specialises it for 512-, 256- and 128-bit vectors; each member is
/// the operation the generated kernels used, so results stay bit for bit.
/// </summary>
internal interface IRowOps<TV, T> : IActivationOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
{
}

/// <summary><see cref="IRowOps{TV, T}"/> at 512 bits.</summary>
internal readonly partial struct Vec512<T> : IRowOps<Vector512<T>, T>;

/// <summary><see cref="IRowOps{TV, T}"/> at 256 bits.</summary>
internal readonly partial struct Vec256<T> : IRowOps<Vector256<T>, T>;

/// <summary><see cref="IRowOps{TV, T}"/> at 128 bits.</summary>
internal readonly partial struct Vec128<T> : IRowOps<Vector128<T>, T>;
