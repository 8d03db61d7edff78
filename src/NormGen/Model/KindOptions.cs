namespace NormGen.Generator.Model;

/// <summary>
/// The options only one kind (or one family of kinds) has, as the kind's own record: plain values, so a
/// <see cref="KernelSpec"/> holding one still compares by value. Each kind reads and validates its own in its file
/// under <c>Kinds/</c>; <see cref="KernelSpec"/> exposes them read-only (<see cref="KernelSpec.Training"/>, …).
/// </summary>
internal abstract record KindOptions;

/// <summary>Kinds without options of their own (InstanceNorm, MinMaxScale, Standardize).</summary>
internal sealed record NoKindOptions : KindOptions
{
    public static readonly NoKindOptions Instance = new();
}

/// <summary>
/// The row kinds' fusions (LayerNorm, RMSNorm, DeepNorm): h = α·x + residual (+ bias) is normalized when
/// <see cref="Residual"/> (always for DeepNorm), then γ is applied (zero-centred: 1 + γ) and the activation.
/// </summary>
/// <param name="Residual">h = α·x + residual (+ bias) is normalized (Residual, and always for DeepNorm).</param>
/// <param name="ResidualBias">A pre-norm bias is added with the residual.</param>
/// <param name="Alpha">DeepNorm's α (1 when not DeepNorm). Float kernels round it to float.</param>
/// <param name="AlphaSource">How α was obtained, for the remarks (e.g. "(2·24)^¼, encoder-only, N = 24").</param>
/// <param name="Activation">The epilogue activation.</param>
/// <param name="ZeroCenteredGamma">y = x̂·(1 + γ) + β.</param>
internal sealed record RowOptions(
    bool Residual = false,
    bool ResidualBias = false,
    double Alpha = 1d,
    string AlphaSource = "",
    ActivationKind Activation = ActivationKind.None,
    bool ZeroCenteredGamma = false) : KindOptions;

/// <summary>BatchNorm: training (batch statistics, running-stat update) or evaluation, and the running-statistics update.</summary>
/// <param name="Training">Training (batch statistics, running-stat update) rather than evaluation.</param>
/// <param name="Momentum">Running-statistics momentum (as given; 0.1 by default).</param>
/// <param name="CumulativeAverage">Cumulative moving average (PyTorch momentum=None).</param>
internal sealed record BatchNormOptions(bool Training = false, float Momentum = 0.1f, bool CumulativeAverage = false) : KindOptions;

/// <summary>GroupNorm: the number of groups.</summary>
internal sealed record GroupNormOptions(int Groups) : KindOptions;

/// <summary>
/// ChannelLayerNorm: <see cref="BiasFree"/> is Restormer's BiasFree_LayerNorm, y = x / √(σ² + ε) · weight, σ² the
/// variance around the mean but the mean not subtracted from x. Affine is then Scale (the weight is the Gamma role).
/// </summary>
internal sealed record ChannelLayerNormOptions(bool BiasFree = false) : KindOptions;
