using System.ComponentModel;
using System.Numerics;

namespace NormGen;

/// <summary>
/// What one generated row kernel (LayerNorm, RMSNorm, DeepNorm and their fusions) computes, as static members of a
/// file-local struct the generator writes per declaration. <see cref="RowEngine"/> is specialised on that struct: the
/// JIT sees every member as a constant, so row lengths fold into the loops and the branches of absent fusions vanish.
/// </summary>
/// <typeparam name="T">The compute type: float (also for Half spans) or double.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IRowSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Elements in one row when fixed at compile time; 0 when the row length is a run-time argument.</summary>
    static abstract int RowLength { get; }

    /// <summary>1 / <see cref="RowLength"/> rounded to <typeparamref name="T"/> (unused when the row length is run-time).</summary>
    static abstract T InverseRowLength { get; }

    /// <summary>ε, added to σ² (or to mean(x²)) inside the square root.</summary>
    static abstract T Epsilon { get; }

    /// <summary>LayerNorm/DeepNorm (subtract the mean) rather than RMSNorm.</summary>
    static abstract bool Centered { get; }

    /// <summary>None, γ, or γ and β.</summary>
    static abstract Affine Affine { get; }

    /// <summary>γ is stored zero-centred: the kernel multiplies by 1 + γ (Gemma, TransformerEngine).</summary>
    static abstract bool ZeroCenteredGamma { get; }

    /// <summary>The activation applied to each output before it is stored.</summary>
    static abstract Activation Activation { get; }

    /// <summary>Pre-norm residual: the row normalized is h = α·x + residual (+ bias), not x.</summary>
    static abstract bool Residual { get; }

    /// <summary>h also adds a per-column bias.</summary>
    static abstract bool ResidualBias { get; }

    /// <summary>h is multiplied by <see cref="Alpha"/> (DeepNorm); false: α = 1, no multiplication.</summary>
    static abstract bool HasAlpha { get; }

    /// <summary>DeepNorm's α (unused unless <see cref="HasAlpha"/>).</summary>
    static abstract T Alpha { get; }

    /// <summary>h is stored into a residual-stream output.</summary>
    static abstract bool ResidualOut { get; }

    /// <summary>Each row's mean is saved.</summary>
    static abstract bool SaveMean { get; }

    /// <summary>Each row's rstd = 1/√(σ² + ε) is saved.</summary>
    static abstract bool SaveRstd { get; }
}
