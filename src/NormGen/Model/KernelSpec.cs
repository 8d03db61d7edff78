namespace NormGen.Generator.Model;

/// <summary>Which normalization a kernel computes.</summary>
internal enum NormKind
{
    LayerNorm,
    RmsNorm,
    DeepNorm,
    ChannelLayerNorm,
    BatchNorm,
    GroupNorm,
    InstanceNorm,
    MinMaxScale,
    Standardize,
}

/// <summary>Mirror of <c>NormGen.Activation</c> (same values).</summary>
internal enum ActivationKind
{
    None = 0,
    Relu = 1,
    Gelu = 2,
    GeluTanh = 3,
    Silu = 4,
    Tanh = 5,
    Sigmoid = 6,
}

/// <summary>The element type of a span parameter.</summary>
internal enum ElementKind
{
    Float,
    Double,
    Half,
    Int64,
}

/// <summary>Mirror of <c>NormGen.Affine</c> (same values): the generator does not reference the runtime.</summary>
internal enum AffineMode
{
    None = 0,
    Scale = 1,
    ScaleAndBias = 2,
}

/// <summary>What a parameter of the user's method is for.</summary>
internal enum ParamRole
{
    Input,
    Residual,
    Bias,
    Gamma,
    Beta,
    RunningMean,
    RunningVar,
    BatchesTracked,
    Output,
    ResidualOut,
    Mean,
    Rstd,
    RowLength,

    // ---- backward kernels ----
    /// <summary>The gradient of the forward output (backward kernels).</summary>
    OutputGradient,
    /// <summary>The gradient of the forward input, written by backward kernels.</summary>
    InputGradient,
    /// <summary>Σ dy·x̂, written by backward kernels (RMSNorm: dweight).</summary>
    GammaGradient,
    /// <summary>Σ dy, written by backward kernels.</summary>
    BetaGradient,
    /// <summary>The gradient reaching the residual stream from later layers (pre-norm residual backward: dh = dx + dResidualOut).</summary>
    ResidualOutGradient,
    /// <summary>DeepNorm: the sublayer's gradient dh, written by backward kernels (dx = α·dh).</summary>
    ResidualGradient,
    /// <summary>Σ dh over rows, the residual bias's gradient, written by backward kernels.</summary>
    BiasGradient,
}

/// <summary>How a parameter is passed.</summary>
internal enum ParamForm
{
    ReadOnlySpan,
    Span,
    ReadOnlyTensorSpan,
    TensorSpan,
    Int32,
}

/// <summary>One parameter of the user's declaration, with the role the parser gave it.</summary>
internal sealed record ParameterSpec(string Name, ParamRole Role, ParamForm Form, ElementKind Element);

/// <summary>A type that contains the method, outermost first, as it must be re-declared (e.g. <c>partial class Kernels</c>; names escaped, e.g. <c>@struct</c>).</summary>
internal sealed record TypeDeclSpec(string Keyword, string NameWithTypeParameters);

/// <summary>
/// Everything the emitters need to write one kernel, and nothing else: plain values only, so the incremental
/// pipeline can compare specs between runs and skip emission when nothing changed.
/// </summary>
internal sealed record KernelSpec(
    string? Namespace, // as written in a namespace declaration (segments escaped, e.g. App.@checked); null: the global namespace
    EquatableArray<TypeDeclSpec> ContainingTypes,
    string MethodName,
    string Modifiers,
    string HintName,
    string KernelClassName,
    NormKind Kind,
    ElementKind Element,
    EquatableArray<int> Shape,
    int Axes,
    float Epsilon,
    AffineMode Affine,
    EquatableArray<ParameterSpec> Parameters,
    bool IsExtension = false)
{
    // ---- fusions and kind-specific options (defaults: none) ----

    /// <summary>Element type of y (may differ from the input: float ↔ Half).</summary>
    public ElementKind OutputElement { get; init; } = Element;

    /// <summary>
    /// The options of this kind alone (<see cref="RowOptions"/>, <see cref="BatchNormOptions"/>, …), read and validated by
    /// the kind's definition under <c>Kinds/</c>; by default the kind's defaults. The properties below read them.
    /// </summary>
    public KindOptions Options { get; init; } = Kinds.Get(Kind).DefaultOptions;

    /// <summary>h = α·x + residual (+ bias) is normalized (Residual, and always for DeepNorm).</summary>
    public bool Residual => Options is RowOptions { Residual: true };

    /// <summary>A pre-norm bias is added with the residual.</summary>
    public bool ResidualBias => Options is RowOptions { ResidualBias: true };

    /// <summary>DeepNorm's α (1 when not DeepNorm). Float kernels round it to float.</summary>
    public double Alpha => Options is RowOptions row ? row.Alpha : 1d;

    /// <summary>How α was obtained, for the remarks (e.g. "(2·24)^¼, encoder-only, N = 24").</summary>
    public string AlphaSource => Options is RowOptions row ? row.AlphaSource : "";

    public ActivationKind Activation => Options is RowOptions row ? row.Activation : ActivationKind.None;

    /// <summary>
    /// A row kind whose one-row call the runtime runs inline in the generated method (<c>RowEngine</c>'s
    /// test in <c>OnThisThread</c> and <c>IsPlain</c>: float or double spans, no residual, no activation); the generated method is
    /// then NoInlining.
    /// </summary>
    public bool InlinesOneRow => Element is ElementKind.Float or ElementKind.Double && OutputElement is ElementKind.Float or ElementKind.Double
        && !Residual && Activation == ActivationKind.None;

    public bool ZeroCenteredGamma => Options is RowOptions { ZeroCenteredGamma: true };

    /// <summary>BatchNorm: training (batch statistics, running-stat update) rather than evaluation.</summary>
    public bool Training => Options is BatchNormOptions { Training: true };

    /// <summary>BatchNorm: running-statistics momentum (0 for the other kinds).</summary>
    public float Momentum => Options is BatchNormOptions bn ? bn.Momentum : 0f;

    /// <summary>BatchNorm: cumulative moving average (PyTorch momentum=None).</summary>
    public bool CumulativeAverage => Options is BatchNormOptions { CumulativeAverage: true };

    /// <summary>ChannelLayerNorm: Restormer's BiasFree_LayerNorm (see <see cref="ChannelLayerNormOptions"/>).</summary>
    public bool BiasFree => Options is ChannelLayerNormOptions { BiasFree: true };

    /// <summary>GroupNorm: number of groups (0 for the other kinds).</summary>
    public int Groups => Options is GroupNormOptions gn ? gn.Groups : 0;

    /// <summary>Forward kernels may save mean and rstd (the row kinds per row, the tensor kinds per statistics block).</summary>
    public bool SaveStatistics { get; init; }

    /// <summary>The backward pass (dy, x, saved statistics → dx, dγ, dβ) rather than the forward.</summary>
    public bool Backward { get; init; }

    /// <summary>The user's own doc comment on the declaration, as XML lines without '///' ("" when none): see <see cref="Documentation"/>.</summary>
    public string UserDocumentation { get; init; } = "";

    /// <summary>No GPU overloads although the GPU emitter supports the spec: they would duplicate another declaration's (NG0030).</summary>
    public bool GpuOverloadsCollide { get; init; }

    /// <summary>True for the kinds normalized row by row (LayerNorm, RMSNorm, DeepNorm).</summary>
    public bool IsRowKind => Kinds.Get(Kind).IsRowKind;

    /// <summary>True when the kernel subtracts a mean (everything but RMSNorm).</summary>
    public bool Centers => Kinds.Get(Kind).Centers;

    public ParameterSpec? ResidualInput => Find(ParamRole.Residual);

    public ParameterSpec? BiasInput => Find(ParamRole.Bias);

    public ParameterSpec? ResidualOutput => Find(ParamRole.ResidualOut);

    public ParameterSpec? MeanOutput => Find(ParamRole.Mean);

    public ParameterSpec? RstdOutput => Find(ParamRole.Rstd);

    public ParameterSpec? Parameter(ParamRole role) => Find(role);

    /// <summary>True when the row length is a compile-time constant.</summary>
    public bool HasStaticShape => Shape.Count > 0;

    /// <summary>The compile-time row length (product of <see cref="Shape"/>), or 0 when it is known only at run time.</summary>
    public int StaticRowLength
    {
        get
        {
            if (!HasStaticShape) return 0;
            int product = 1;
            foreach (int size in Shape) product *= size;
            return product;
        }
    }

    /// <summary>True when x and y are tensor spans.</summary>
    public bool IsTensorForm => Input.Form is ParamForm.ReadOnlyTensorSpan or ParamForm.TensorSpan;

    public ParameterSpec Input => Find(ParamRole.Input)!;

    public ParameterSpec Output => Find(ParamRole.Output)!;

    public ParameterSpec? Gamma => Find(ParamRole.Gamma);

    public ParameterSpec? Beta => Find(ParamRole.Beta);

    public ParameterSpec? RowLengthParameter => Find(ParamRole.RowLength);

    private ParameterSpec? Find(ParamRole role)
    {
        foreach (ParameterSpec p in Parameters)
            if (p.Role == role) return p;
        return null;
    }
}
