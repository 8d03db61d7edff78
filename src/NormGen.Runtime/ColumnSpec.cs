using System.ComponentModel;
using System.Numerics;

namespace NormGen;

/// <summary>The column kinds <see cref="ColumnEngine"/> computes: statistics down the columns of a row-major panel.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum ColumnKind
{
    /// <summary>Z-score per feature column: y = (x − μ) / σ, σ the population standard deviation; σ = 0 gives 0. No ε.</summary>
    Standardize = 0,

    /// <summary>Min-max per feature column: y = (x − min) / (max − min); a constant column gives 0.</summary>
    MinMaxScale = 1,

    /// <summary>LayerNorm over the channels at every (sample, position): y = (x − μ) / √(σ² + ε), then the affine.</summary>
    ChannelLayerNorm = 2,
}

/// <summary>
/// What one generated column kernel (Standardize, MinMaxScale, ChannelLayerNorm) computes, as static members of a
/// struct the generator writes per declaration. <see cref="ColumnEngine"/> is specialised on that struct: the JIT sees
/// every member as a constant, so the branches of the other kinds and of absent affine parameters vanish.
/// </summary>
/// <typeparam name="T">The compute type: float (also for Half tensors, staged through float) or double.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IColumnSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The statistic and the mapping pass.</summary>
    static abstract ColumnKind Kind { get; }

    /// <summary>ε, added to σ² inside the square root (ChannelLayerNorm only).</summary>
    static abstract T Epsilon { get; }

    /// <summary>None, γ, or γ and β, per row of the panel (per channel; ChannelLayerNorm only).</summary>
    static abstract Affine Affine { get; }

    /// <summary>Restormer's BiasFree LayerNorm: y = x / √(σ² + ε) · γ, the mean not subtracted (ChannelLayerNorm only).</summary>
    static abstract bool BiasFree { get; }

    /// <summary>Each column's mean and rstd are saved for the backward pass (ChannelLayerNorm only).</summary>
    static abstract bool SaveStatistics { get; }
}
