using System;

namespace NormGen;

/// <summary>
/// Base class of the NormGen attributes. Put exactly one of the derived attributes on a
/// <c>static partial void</c> method declaration; the NormGen source generator supplies the body.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public abstract class NormalizationAttribute : Attribute
{
    private protected NormalizationAttribute(int[] normalizedShape, float defaultEpsilon, Affine defaultAffine)
    {
        NormalizedShape = normalizedShape ?? Array.Empty<int>();
        Epsilon = defaultEpsilon;
        Affine = defaultAffine;
    }

    /// <summary>
    /// The sizes of the trailing axes that are normalized together (PyTorch's <c>normalized_shape</c>), known at
    /// compile time. Empty when the shape is given at run time (see <see cref="Axes"/>).
    /// </summary>
    public int[] NormalizedShape { get; }

    /// <summary>
    /// How many trailing axes of a tensor span are normalized when <see cref="NormalizedShape"/> is not given.
    /// When a shape is given, this may be left unset or must equal the shape's length.
    /// </summary>
    public int Axes { get; set; }

    /// <summary>The value added to the variance (or mean square) inside the square root, for numerical stability.</summary>
    public float Epsilon { get; set; }

    /// <summary>Which affine parameters are applied after normalizing; decides whether the method takes gamma and beta.</summary>
    public Affine Affine { get; set; }
}

/// <summary>
/// Generates a Layer Normalization kernel (Ba et al. 2016; PyTorch <c>torch.nn.functional.layer_norm</c>):
/// <c>y = (x − μ) / sqrt(σ² + ε) · γ + β</c> over the trailing normalized axes of each row, with the biased variance σ².
/// </summary>
/// <remarks>
/// Defaults follow PyTorch: <see cref="NormalizationAttribute.Epsilon"/> = 1e-5 and <see cref="Affine.ScaleAndBias"/>.
/// Expected signature (T is <see cref="float"/>, <see cref="double"/> or <see cref="Half"/>):
/// <c>static partial void Name(ReadOnlySpan&lt;T&gt; x, ReadOnlySpan&lt;T&gt; gamma, ReadOnlySpan&lt;T&gt; beta, Span&lt;T&gt; y)</c>;
/// see the README for the tensor-span and run-time row-length forms.
/// </remarks>
public sealed class LayerNormAttribute : NormalizationAttribute
{
    /// <summary>Declares a LayerNorm whose normalized shape is given at run time (set <see cref="NormalizationAttribute.Axes"/> for tensor spans, or take an <see cref="int"/> row-length parameter).</summary>
    public LayerNormAttribute() : base(Array.Empty<int>(), NormDefaults.LayerNormEpsilon, Affine.ScaleAndBias) { }

    /// <summary>Declares a LayerNorm over a compile-time normalized shape, e.g. <c>[LayerNorm(768)]</c> or <c>[LayerNorm(8, 96)]</c>.</summary>
    /// <param name="normalizedShape">The sizes of the trailing normalized axes; each must be positive.</param>
    public LayerNormAttribute(params int[] normalizedShape) : base(normalizedShape, NormDefaults.LayerNormEpsilon, Affine.ScaleAndBias) { }
}

/// <summary>
/// Generates a Root-Mean-Square Normalization kernel (Zhang &amp; Sennrich 2019; PyTorch <c>torch.nn.functional.rms_norm</c>):
/// <c>y = x / sqrt(mean(x²) + ε) · γ</c> over the trailing normalized axes of each row.
/// </summary>
/// <remarks>
/// Defaults follow PyTorch: <see cref="NormalizationAttribute.Epsilon"/> = float32 machine epsilon (1.1920929e-07,
/// what PyTorch uses for <c>eps=None</c>) and <see cref="Affine.Scale"/>.
/// Expected signature: <c>static partial void Name(ReadOnlySpan&lt;T&gt; x, ReadOnlySpan&lt;T&gt; weight, Span&lt;T&gt; y)</c>.
/// </remarks>
public sealed class RmsNormAttribute : NormalizationAttribute
{
    /// <summary>Declares an RMSNorm whose normalized shape is given at run time.</summary>
    public RmsNormAttribute() : base(Array.Empty<int>(), NormDefaults.RmsNormEpsilon, Affine.Scale) { }

    /// <summary>Declares an RMSNorm over a compile-time normalized shape, e.g. <c>[RmsNorm(4096)]</c>.</summary>
    /// <param name="normalizedShape">The sizes of the trailing normalized axes; each must be positive.</param>
    public RmsNormAttribute(params int[] normalizedShape) : base(normalizedShape, NormDefaults.RmsNormEpsilon, Affine.Scale) { }
}
