using System;

namespace NormGen;

/// <summary>
/// Generates a LayerNorm over the channel axis of an (N, C, *) tensor, separately at every spatial position: what
/// Restormer and ConvNeXt do with <c>to_3d → LayerNorm(C) → to_4d</c>, in one pass and without transposes.
/// <c>y[n, c, s] = (x[n, c, s] − μ[n, s]) / sqrt(σ²[n, s] + ε) · γ[c] + β[c]</c>.
/// </summary>
/// <remarks>
/// Defaults: ε = 1e-5 and <see cref="Affine.ScaleAndBias"/> (Restormer's <c>WithBias_LayerNorm</c>). Expected signature:
/// <c>static partial void Name(ReadOnlyTensorSpan&lt;T&gt; x, ReadOnlySpan&lt;T&gt; gamma, ReadOnlySpan&lt;T&gt; beta, TensorSpan&lt;T&gt; y)</c>.
/// <see cref="Affine.Scale"/> is this centred LayerNorm with γ only, <c>(x − μ) / sqrt(σ² + ε) · γ</c>; it is not
/// Restormer's BiasFree variant, which does not subtract the mean: for that set <see cref="BiasFree"/>.
/// x is (N, C, *) with any number of spatial axes; the kernel is vectorized across neighbouring spatial positions and
/// accumulates over the channels. With no spatial axes ((N, C)) it is a plain, unvectorized LayerNorm over C:
/// prefer <see cref="LayerNormAttribute"/> there.
/// <para>All tensor kinds: x and y are dense tensor spans of the same shape and element type (float, double, or Half;
/// Half is computed in float through one pooled float buffer and rounded once on store); y may be x (in place).
/// Shapes and span lengths are checked before anything is written (<see cref="ArgumentException"/> naming the
/// parameter). Statistics are exact two-pass (shift by the first element, corrected two-pass variance), never
/// E[x²] − μ². Runs on the calling thread.</para>
/// </remarks>
public sealed class ChannelLayerNormAttribute : NormalizationAttribute
{
    /// <summary>The value added to the variance inside the square root.</summary>
    public float Epsilon { get; set; } = NormDefaults.LayerNormEpsilon;

    /// <summary>Per-channel affine parameters (γ and β hold C elements).</summary>
    public Affine Affine { get; set; } = Affine.ScaleAndBias;

    /// <summary>
    /// Restormer's <c>BiasFree_LayerNorm</c>: <c>y[n, c, s] = x[n, c, s] / sqrt(σ²[n, s] + ε) · weight[c]</c>, with σ²
    /// the biased variance of the C values around their mean, but the mean <b>not</b> subtracted from x (Zamir et al.
    /// 2022). Signature: <c>(ReadOnlyTensorSpan&lt;T&gt; x, ReadOnlySpan&lt;T&gt; weight, TensorSpan&lt;T&gt; y)</c>,
    /// weight of C elements. <see cref="Affine"/> must then be left unset (or <see cref="Affine.Scale"/>).
    /// </summary>
    public bool BiasFree { get; set; }

    /// <summary>
    /// Also writes the mean and 1/√(σ² + ε) (biased σ²) of every (sample, position) for the backward pass: the method
    /// takes <c>Span saveMean</c> and <c>Span saveRstd</c> after y, N × spatial each, sample-major. Both variants save
    /// both (the BiasFree backward needs the mean too: σ² is taken around it). They are float for float and Half
    /// inputs, double for double inputs.
    /// </summary>
    public bool SaveStatistics { get; set; }

    /// <summary>
    /// Declares the backward pass instead of the forward: <c>(dy, x, saveMean, saveRstd, gamma, dx, dgamma, dbeta)</c>
    /// (BiasFree: <c>(dy, x, saveMean, saveRstd, weight, dx, dweight)</c>) with dy, x, dx tensor spans; see the
    /// README's "Training (backward)" section.
    /// </summary>
    public bool Backward { get; set; }
}

/// <summary>
/// Generates a Batch Normalization kernel over an (N, C, *) tensor (Ioffe &amp; Szegedy 2015; PyTorch <c>BatchNorm1d/2d/3d</c>).
/// </summary>
/// <remarks>
/// Evaluation (the default) uses the running statistics, folded to one multiply-add per element:
/// <c>y = x·s[c] + t[c]</c>, <c>s = γ/sqrt(running_var + ε)</c>, <c>t = β − running_mean·s</c>. Signature:
/// <c>(ReadOnlyTensorSpan&lt;T&gt; x, ReadOnlySpan&lt;T&gt; gamma, ReadOnlySpan&lt;T&gt; beta, ReadOnlySpan&lt;T&gt; runningMean, ReadOnlySpan&lt;T&gt; runningVar, TensorSpan&lt;T&gt; y)</c>.
/// Training normalizes with the batch statistics (biased variance) and updates the running ones in place with the
/// unbiased variance, <c>r ← (1 − m)·r + m·stat</c>; runningMean and runningVar are then <c>Span&lt;T&gt;</c>.
/// x is (N, C, *) with any number of spatial axes, including none; training needs more than one value per channel
/// (N × spatial &gt; 1), as PyTorch does.
/// <para>All tensor kinds: x and y are dense tensor spans of the same shape and element type (float, double, or Half;
/// Half is computed in float through one pooled float buffer and rounded once on store); y may be x (in place).
/// Shapes and span lengths are checked before anything is written (<see cref="ArgumentException"/> naming the
/// parameter). Statistics are exact two-pass (shift by the first element, corrected two-pass variance), never
/// E[x²] − μ². Evaluation spreads the samples of a large (N, C) tensor, or the (sample, channel) blocks of a large (N, C, *) one, over up to <see cref="NormGenSettings.MaxDegreeOfParallelism"/> threads, and a small one runs on the calling thread; a block's result does not depend on the thread. Training runs on the calling thread.</para>
/// </remarks>
public sealed class BatchNormAttribute : NormalizationAttribute
{
    /// <summary>The value added to the variance inside the square root (PyTorch default 1e-5).</summary>
    public float Epsilon { get; set; } = NormDefaults.LayerNormEpsilon;

    /// <summary>Per-channel affine parameters (γ and β hold C elements).</summary>
    public Affine Affine { get; set; } = Affine.ScaleAndBias;

    /// <summary>True: normalize with batch statistics and update the running statistics. False (default): evaluation.</summary>
    public bool Training { get; set; }

    /// <summary>The running statistics' update factor m in <c>r ← (1 − m)·r + m·stat</c> (PyTorch default 0.1).</summary>
    public float Momentum { get; set; } = 0.1f;

    /// <summary>
    /// PyTorch's <c>momentum=None</c>: a cumulative moving average, <c>m = 1 / batchesTracked</c> after incrementing
    /// the counter. The method then takes a <c>Span&lt;long&gt; batchesTracked</c> of one element after runningVar.
    /// </summary>
    public bool CumulativeAverage { get; set; }

    /// <summary>
    /// Also writes each statistics block's mean and 1/√(σ² + ε) (biased σ²), as PyTorch saves them for the backward
    /// pass: the method takes <c>Span saveMean</c> and <c>Span saveRstd</c> after y, one per channel (training only). They are float for float and
    /// Half inputs, double for double inputs.
    /// </summary>
    public bool SaveStatistics { get; set; }

    /// <summary>
    /// Declares the backward pass instead of the forward: <c>(dy, x, saveMean, saveRstd, [gamma], dx, [dgamma, dbeta])</c>
    /// with dy, x, dx tensor spans; see the README's "Training (backward)" section.
    /// </summary>
    public bool Backward { get; set; }
}

/// <summary>
/// Generates a Group Normalization kernel over an (N, C, *) tensor (Wu &amp; He 2018; PyTorch <c>group_norm</c>):
/// statistics per (sample, group of C/G channels), biased variance, per-channel affine.
/// </summary>
/// <remarks>
/// Signature: <c>(ReadOnlyTensorSpan&lt;T&gt; x, ReadOnlySpan&lt;T&gt; gamma, ReadOnlySpan&lt;T&gt; beta, TensorSpan&lt;T&gt; y)</c>;
/// γ and β hold C elements. x is (N, C, *); C not a multiple of <see cref="Groups"/> is an <see cref="ArgumentException"/> on x.
/// <para>All tensor kinds: x and y are dense tensor spans of the same shape and element type (float, double, or Half;
/// Half is computed in float through one pooled float buffer and rounded once on store); y may be x (in place).
/// Shapes and span lengths are checked before anything is written (<see cref="ArgumentException"/> naming the
/// parameter). Statistics are exact two-pass (shift by the first element, corrected two-pass variance), never
/// E[x²] − μ². The (sample, group) blocks of a large tensor are spread over up to <see cref="NormGenSettings.MaxDegreeOfParallelism"/> threads, a small one runs on the calling thread; a block's result does not depend on the thread.</para>
/// </remarks>
public sealed class GroupNormAttribute : NormalizationAttribute
{
    /// <summary>Declares a GroupNorm with <paramref name="groups"/> groups; C must be a multiple of it.</summary>
    /// <param name="groups">The number of groups G (≥ 1).</param>
    public GroupNormAttribute(int groups) => Groups = groups;

    /// <summary>The number of channel groups G.</summary>
    public int Groups { get; }

    /// <summary>The value added to the variance inside the square root (PyTorch default 1e-5).</summary>
    public float Epsilon { get; set; } = NormDefaults.LayerNormEpsilon;

    /// <summary>Per-channel affine parameters (γ and β hold C elements).</summary>
    public Affine Affine { get; set; } = Affine.ScaleAndBias;

    /// <summary>
    /// Also writes each statistics block's mean and 1/√(σ² + ε) (biased σ²), as PyTorch saves them for the backward
    /// pass: the method takes <c>Span saveMean</c> and <c>Span saveRstd</c> after y, one per (sample, group), sample-major. They are float for float and
    /// Half inputs, double for double inputs.
    /// </summary>
    public bool SaveStatistics { get; set; }

    /// <summary>
    /// Declares the backward pass instead of the forward: <c>(dy, x, saveMean, saveRstd, [gamma], dx, [dgamma, dbeta])</c>
    /// with dy, x, dx tensor spans; see the README's "Training (backward)" section.
    /// </summary>
    public bool Backward { get; set; }
}

/// <summary>
/// Generates an Instance Normalization kernel over an (N, C, *) tensor (Ulyanov et al. 2016; PyTorch <c>instance_norm</c>):
/// statistics per (sample, channel), biased variance. PyTorch's default has no affine parameters; set
/// <see cref="Affine"/> for per-channel γ/β.
/// </summary>
/// <remarks>
/// Signature: <c>(ReadOnlyTensorSpan&lt;T&gt; x, TensorSpan&lt;T&gt; y)</c>, or with gamma and beta (C elements each)
/// before y when <see cref="Affine"/> is set. x is (N, C, *).
/// <para>All tensor kinds: x and y are dense tensor spans of the same shape and element type (float, double, or Half;
/// Half is computed in float through one pooled float buffer and rounded once on store); y may be x (in place).
/// Shapes and span lengths are checked before anything is written (<see cref="ArgumentException"/> naming the
/// parameter). Statistics are exact two-pass (shift by the first element, corrected two-pass variance), never
/// E[x²] − μ². The (sample, channel) blocks of a large tensor are spread over up to <see cref="NormGenSettings.MaxDegreeOfParallelism"/> threads, a small one runs on the calling thread; a block's result does not depend on the thread.</para>
/// </remarks>
public sealed class InstanceNormAttribute : NormalizationAttribute
{
    /// <summary>The value added to the variance inside the square root (PyTorch default 1e-5).</summary>
    public float Epsilon { get; set; } = NormDefaults.LayerNormEpsilon;

    /// <summary>Per-channel affine parameters; <see cref="Affine.None"/> by default, as PyTorch's <c>affine=False</c>.</summary>
    public Affine Affine { get; set; } = Affine.None;

    /// <summary>
    /// Also writes each statistics block's mean and 1/√(σ² + ε) (biased σ²), as PyTorch saves them for the backward
    /// pass: the method takes <c>Span saveMean</c> and <c>Span saveRstd</c> after y, one per (sample, channel), sample-major. They are float for float and
    /// Half inputs, double for double inputs.
    /// </summary>
    public bool SaveStatistics { get; set; }

    /// <summary>
    /// Declares the backward pass instead of the forward: <c>(dy, x, saveMean, saveRstd, [gamma], dx, [dgamma, dbeta])</c>
    /// with dy, x, dx tensor spans; see the README's "Training (backward)" section.
    /// </summary>
    public bool Backward { get; set; }
}

/// <summary>
/// Generates min-max feature scaling of a (samples, features) tensor, per feature (column):
/// <c>y = (x − min) / (max − min)</c>, mapping each column to [0, 1]; a constant column gives 0.
/// </summary>
/// <remarks>
/// Signature: <c>(ReadOnlyTensorSpan&lt;T&gt; x, TensorSpan&lt;T&gt; y)</c>. Axis 0 holds the samples; a tensor of rank above 2 is treated as (samples, product of the other axes), i.e.
/// every trailing position is its own feature; rank below 2 is an <see cref="ArgumentException"/>.
/// The range is divided, not multiplied by its reciprocal, so each column's maximum maps to exactly 1. Min and max
/// propagate NaN (as <c>torch.amin</c>/<c>amax</c>, unlike scikit-learn's NaN-ignoring scaler): a NaN makes its own
/// column NaN and no other.
/// <para>All tensor kinds: x and y are dense tensor spans of the same shape and element type (float, double, or Half;
/// Half is computed in float through one pooled float buffer and rounded once on store); y may be x (in place).
/// Shapes and span lengths are checked before anything is written (<see cref="ArgumentException"/> naming the
/// parameter). Statistics are exact two-pass (shift by the first element, corrected two-pass variance), never
/// E[x²] − μ². Runs on the calling thread.</para>
/// </remarks>
public sealed class MinMaxScaleAttribute : NormalizationAttribute
{
}

/// <summary>
/// Generates z-score standardization of a (samples, features) tensor, per feature (column):
/// <c>y = (x − mean) / std</c> with the population standard deviation; a constant column gives 0.
/// </summary>
/// <remarks>
/// Signature: <c>(ReadOnlyTensorSpan&lt;T&gt; x, TensorSpan&lt;T&gt; y)</c>. Axis 0 holds the samples; a tensor of rank above 2 is treated as (samples, product of the other axes), i.e.
/// every trailing position is its own feature; rank below 2 is an <see cref="ArgumentException"/>.
/// No ε: σ = 0 gives 0 exactly, any other σ divides as is (scikit-learn's <c>StandardScaler</c> with population σ).
/// <para>All tensor kinds: x and y are dense tensor spans of the same shape and element type (float, double, or Half;
/// Half is computed in float through one pooled float buffer and rounded once on store); y may be x (in place).
/// Shapes and span lengths are checked before anything is written (<see cref="ArgumentException"/> naming the
/// parameter). Statistics are exact two-pass (shift by the first element, corrected two-pass variance), never
/// E[x²] − μ². Runs on the calling thread.</para>
/// </remarks>
public sealed class StandardizeAttribute : NormalizationAttribute
{
}
