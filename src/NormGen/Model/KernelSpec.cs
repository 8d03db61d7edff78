namespace NormGen.Generator.Model;

/// <summary>Which normalization a kernel computes.</summary>
internal enum NormKind
{
    LayerNorm,
    RmsNorm,
}

/// <summary>The element type of a span parameter.</summary>
internal enum ElementKind
{
    Float,
    Double,
    Half,
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
    Gamma,
    Beta,
    Output,
    RowLength,
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

/// <summary>A type that contains the method, outermost first, as it must be re-declared (e.g. <c>partial class Kernels</c>).</summary>
internal sealed record TypeDeclSpec(string Keyword, string NameWithTypeParameters);

/// <summary>
/// Everything the emitters need to write one kernel, and nothing else: plain values only, so the incremental
/// pipeline can compare specs between runs and skip emission when nothing changed.
/// </summary>
internal sealed record KernelSpec(
    string? Namespace,
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
