using System;
using System.ComponentModel;
using System.Numerics.Tensors;

namespace NormGen;

/// <summary>
/// The pre-norm residual backward's last step, for generated <c>[LayerNorm(Residual = true, Backward = true)]</c> and
/// <c>[RmsNorm(Residual = true, Backward = true)]</c> kernels: the forward normalized h = x + residual and passed h on as
/// the residual stream, so x and residual share one gradient, <c>dh = dx + dResidualOut</c> (as flash-attention and Liger
/// return it).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ResidualBackward
{
    /// <summary>dh += dResidualOut, element by element (dh holds the norm's dx). Arguments are already checked.</summary>
    public static void Add(Span<float> dh, ReadOnlySpan<float> dResidualOut) => TensorPrimitives.Add(dh, dResidualOut, dh);

    /// <summary>dh += dResidualOut for double.</summary>
    public static void Add(Span<double> dh, ReadOnlySpan<double> dResidualOut) => TensorPrimitives.Add(dh, dResidualOut, dh);

    /// <summary>dh += dResidualOut for Half: both widened to float, added, rounded once more to Half.</summary>
    public static void Add(Span<Half> dh, ReadOnlySpan<Half> dResidualOut)
    {
        Span<float> a = stackalloc float[256], b = stackalloc float[256];
        for (int start = 0; start < dh.Length; start += a.Length)
        {
            int n = Math.Min(a.Length, dh.Length - start);
            HalfWidening.ToSingle(dh.Slice(start, n), a.Slice(0, n));
            HalfWidening.ToSingle(dResidualOut.Slice(start, n), b.Slice(0, n));
            TensorPrimitives.Add(a.Slice(0, n), b.Slice(0, n), a.Slice(0, n));
            HalfNarrowing.ToHalf(a.Slice(0, n), dh.Slice(start, n));
        }
    }
}
