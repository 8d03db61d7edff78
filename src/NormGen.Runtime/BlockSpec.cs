using System.ComponentModel;
using System.Numerics;

namespace NormGen;

/// <summary>The kinds <see cref="BlockEngine"/> computes: statistics over contiguous blocks of an (N, C, *) tensor.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum BlockKind
{
    /// <summary>BatchNorm with the running statistics, folded per channel into y = x·s[c] + t[c].</summary>
    BatchNormEvaluation = 0,

    /// <summary>BatchNorm with batch statistics per channel (N blocks of spatial elements), then the running-statistics update.</summary>
    BatchNormTraining = 1,

    /// <summary>GroupNorm: statistics per (sample, group), one contiguous block of C/G × spatial elements.</summary>
    GroupNorm = 2,

    /// <summary>InstanceNorm: statistics per (sample, channel), one contiguous block of spatial elements.</summary>
    InstanceNorm = 3,
}

/// <summary>
/// What one generated block kernel (BatchNorm, GroupNorm, InstanceNorm) computes, as static members of a struct the
/// generator writes per declaration. <see cref="BlockEngine"/> is specialised on that struct: the JIT sees every member
/// as a constant, so the branches of the other kinds, of absent affine parameters and of unsaved statistics vanish.
/// </summary>
/// <typeparam name="T">The compute type: float (also for Half tensors, staged through float) or double.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IBlockSpec<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The kind, which picks the driver.</summary>
    static abstract BlockKind Kind { get; }

    /// <summary>ε, added to σ² (or the running variance) inside the square root.</summary>
    static abstract T Epsilon { get; }

    /// <summary>The number of channel groups G (GroupNorm only).</summary>
    static abstract int Groups { get; }

    /// <summary>The running statistics' update factor m in r ← (1 − m)·r + m·stat (BatchNorm training without <see cref="CumulativeAverage"/>).</summary>
    static abstract T Momentum { get; }

    /// <summary>PyTorch's <c>momentum=None</c>: m = 1 / batches seen, the counter incremented once per call (BatchNorm training).</summary>
    static abstract bool CumulativeAverage { get; }

    /// <summary>None, γ, or γ and β, one per channel.</summary>
    static abstract Affine Affine { get; }

    /// <summary>The mean and rstd of every statistic's block are saved for the backward pass (not BatchNorm evaluation).</summary>
    static abstract bool SaveStatistics { get; }
}
