using System;

namespace NormGen;

/// <summary>
/// Base class of every NormGen attribute. Put exactly one NormGen attribute on a <c>static partial void</c> method
/// declaration; the NormGen source generator writes the body.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public abstract class NormalizationAttribute : Attribute
{
    private protected NormalizationAttribute() { }
}

/// <summary>
/// Base class of the row normalizations (<see cref="LayerNormAttribute"/>, <see cref="RmsNormAttribute"/>,
/// <see cref="DeepNormAttribute"/>): each row of the trailing normalized axes is normalized on its own, with optional
/// fusions around it (residual add, activation, statistics outputs).
/// </summary>
public abstract class RowNormalizationAttribute : NormalizationAttribute
{
    private protected RowNormalizationAttribute(int[] normalizedShape, float defaultEpsilon, Affine defaultAffine)
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

    /// <summary>
    /// Fuses a residual add before the normalization: <c>h = x + residual</c>, <c>y = Norm(h)</c>. The method then takes
    /// <c>residual</c> right after <c>x</c>, and may take a <c>residualOut</c> span after <c>y</c> that receives h
    /// (the pre-norm residual stream; it may be the same memory as <c>residual</c>).
    /// </summary>
    public bool Residual { get; set; }

    /// <summary>
    /// With <see cref="Residual"/>: also adds a bias vector of the row length before normalizing,
    /// <c>h = x + residual + bias</c>, as ONNX Runtime's <c>SkipLayerNormalization</c>. The method takes <c>bias</c> after <c>residual</c>.
    /// </summary>
    public bool ResidualBias { get; set; }

    /// <summary>An activation applied to the normalized, scaled output before it is stored.</summary>
    public Activation Activation { get; set; }

    /// <summary>
    /// Also writes each row's statistics, as PyTorch saves them for the backward pass: LayerNorm/DeepNorm take
    /// <c>mean</c> and <c>rstd</c> spans (one element per row) after the outputs, RMSNorm takes <c>rstd</c> only.
    /// They are float for float and Half inputs and double for double inputs.
    /// </summary>
    public bool SaveStatistics { get; set; }

    /// <summary>Zero-centred γ (Gemma, TransformerEngine's <c>zero_centered_gamma</c>): the scale applied is <c>1 + γ</c>.</summary>
    public bool ZeroCenteredGamma { get; set; }

    /// <summary>
    /// Declares the backward pass instead of the forward (PyTorch's native formula): the method takes <c>dy</c>, <c>x</c>,
    /// the saved statistics (<c>mean</c> and <c>rstd</c>; RMSNorm <c>rstd</c> only), γ when affine, and writes <c>dx</c>
    /// and, when affine, <c>dgamma</c> (RMSNorm <c>dweight</c>) and <c>dbeta</c>. dγ/dβ are reduced deterministically
    /// (fixed blocks of rows, fixed combine order); see the README's "Training (backward)" section for every signature.
    /// With <c>Residual = true</c> (pre-norm residual) it also takes <c>dResidualOut</c> right after <c>dy</c>, reads the
    /// forward's residual sum h as <c>x</c>, and writes <c>dh = dx + dResidualOut</c>, the one gradient of x and residual.
    /// </summary>
    public bool Backward { get; set; }
}

/// <summary>
/// Generates a Layer Normalization kernel (Ba et al. 2016; PyTorch <c>torch.nn.functional.layer_norm</c>):
/// <c>y = (x − μ) / sqrt(σ² + ε) · γ + β</c> over the trailing normalized axes of each row, with the biased variance σ².
/// </summary>
/// <remarks>
/// Defaults follow PyTorch: <see cref="RowNormalizationAttribute.Epsilon"/> = 1e-5 and <see cref="Affine.ScaleAndBias"/>.
/// Expected signature (T is <see cref="float"/>, <see cref="double"/> or <see cref="Half"/>):
/// <c>static partial void Name(ReadOnlySpan&lt;T&gt; x, ReadOnlySpan&lt;T&gt; gamma, ReadOnlySpan&lt;T&gt; beta, Span&lt;T&gt; y)</c>;
/// see the README for the tensor-span, run-time row-length and fused forms.
/// </remarks>
public sealed class LayerNormAttribute : RowNormalizationAttribute
{
    /// <summary>Declares a LayerNorm whose normalized shape is given at run time (set <see cref="RowNormalizationAttribute.Axes"/> for tensor spans, or take an <see cref="int"/> row-length parameter).</summary>
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
/// Defaults follow PyTorch: <see cref="Affine.Scale"/>, and when <see cref="RowNormalizationAttribute.Epsilon"/> is not
/// set, the machine epsilon of the compute type, as PyTorch's <c>eps=None</c> (<c>torch.finfo(opmath dtype).eps</c>):
/// 1.1920929e-07 (2⁻²³) for float and Half inputs, 2.220446049250313e-16 (2⁻⁵²) for double inputs. An Epsilon you set
/// applies to every element type.
/// Expected signature: <c>static partial void Name(ReadOnlySpan&lt;T&gt; x, ReadOnlySpan&lt;T&gt; weight, Span&lt;T&gt; y)</c>.
/// </remarks>
public sealed class RmsNormAttribute : RowNormalizationAttribute
{
    /// <summary>Declares an RMSNorm whose normalized shape is given at run time.</summary>
    public RmsNormAttribute() : base(Array.Empty<int>(), NormDefaults.RmsNormEpsilon, Affine.Scale) { }

    /// <summary>Declares an RMSNorm over a compile-time normalized shape, e.g. <c>[RmsNorm(4096)]</c>.</summary>
    /// <param name="normalizedShape">The sizes of the trailing normalized axes; each must be positive.</param>
    public RmsNormAttribute(params int[] normalizedShape) : base(normalizedShape, NormDefaults.RmsNormEpsilon, Affine.Scale) { }
}

/// <summary>
/// Generates a DeepNorm kernel (Wang et al. 2022, "DeepNet: Scaling Transformers to 1,000 Layers"):
/// <c>y = LayerNorm(α·x + sublayer)</c>, the post-norm residual connection with the residual input up-weighted by α.
/// </summary>
/// <remarks>
/// α is computed at compile time from <see cref="Architecture"/>, <see cref="Layers"/> and <see cref="DecoderLayers"/>
/// (the paper's table 1), or given with <see cref="Alpha"/>. Expected signature:
/// <c>static partial void Name(ReadOnlySpan&lt;T&gt; x, ReadOnlySpan&lt;T&gt; sublayer, ReadOnlySpan&lt;T&gt; gamma, ReadOnlySpan&lt;T&gt; beta, Span&lt;T&gt; y)</c>.
/// <see cref="RowNormalizationAttribute.Residual"/> is implied (the sublayer output is the residual).
/// </remarks>
public sealed class DeepNormAttribute : RowNormalizationAttribute
{
    /// <summary>Declares a DeepNorm whose normalized shape is given at run time.</summary>
    public DeepNormAttribute() : base(Array.Empty<int>(), NormDefaults.LayerNormEpsilon, Affine.ScaleAndBias) { }

    /// <summary>Declares a DeepNorm over a compile-time normalized shape, e.g. <c>[DeepNorm(1024, Architecture = DeepNetArchitecture.EncoderOnly, Layers = 24)]</c>.</summary>
    /// <param name="normalizedShape">The sizes of the trailing normalized axes; each must be positive.</param>
    public DeepNormAttribute(params int[] normalizedShape) : base(normalizedShape, NormDefaults.LayerNormEpsilon, Affine.ScaleAndBias) { }

    /// <summary>α, given directly. Leave unset (0) to compute it from <see cref="Architecture"/> and the layer counts.</summary>
    public float Alpha { get; set; }

    /// <summary>Which stack the layer belongs to; selects the paper's formula for α.</summary>
    public DeepNetArchitecture Architecture { get; set; }

    /// <summary>N, the number of layers of the stack (of the encoder, for <see cref="DeepNetArchitecture.EncoderDecoderEncoder"/>; of the decoder for <see cref="DeepNetArchitecture.DecoderOnly"/>).</summary>
    public int Layers { get; set; }

    /// <summary>M, the number of decoder layers of an encoder-decoder model.</summary>
    public int DecoderLayers { get; set; }
}
