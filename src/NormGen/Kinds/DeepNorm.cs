using System.Globalization;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// <c>[DeepNorm]</c>: x_{l+1} = LN(α·x + G(x)) (Wang et al. 2022): a LayerNorm that always adds its sublayer's output
/// to α·x, α given or computed from the architecture and the layer counts (<see cref="NormDefaults.DeepNormAlpha"/>).
/// </summary>
internal sealed class DeepNorm : RowKindDefinition
{
    public override NormKind Kind => NormKind.DeepNorm;

    public override string AttributeName => "DeepNorm";

    public override string Title(KernelSpec spec) => "DeepNorm (post-norm residual with α)";

    public override string InWords(KernelSpec spec) => "DeepNorm (layer normalization of h = α·x + sublayer)";

    public override bool AlwaysResidual => true;

    public override string RoleName(ParamRole role) => role == ParamRole.Residual ? "sublayer" : base.RoleName(role);

    protected override void CheckResidual(AttributeOptions o, bool residual, bool residualBias)
    {
        if (residual)
            o.Invalid("Residual = true", "DeepNorm always adds its sublayer input: remove Residual");
    }

    /// <summary>α = Alpha, or from Architecture, Layers and DecoderLayers (one of the two, NG0021 otherwise).</summary>
    protected override (double Alpha, string Source) ReadAlpha(AttributeOptions o)
    {
        int architecture = o.Int("Architecture") ?? 0, layers = o.Int("Layers") ?? 0, decoderLayers = o.Int("DecoderLayers") ?? 0;
        if (o.Float("Alpha") is float a)
        {
            if (architecture != 0)
                o.Invalid("Alpha together with Architecture", "give either Alpha = … or Architecture and Layers, not both");
            else if (float.IsNaN(a) || float.IsInfinity(a) || a <= 0f)
                o.Invalid("Alpha = " + NormGenerator.Parser.FormatFloat(a), "α must be positive and finite, e.g. Alpha = 2.0f");
            else // The float's shortest decimal text, read as a double: Alpha = 2.5f means 2.5 for double kernels too.
                return (double.Parse(NormGenerator.Parser.FormatFloat(a), CultureInfo.InvariantCulture), "given");
            return (1d, "");
        }

        double value = NormDefaults.DeepNormAlpha(architecture, layers, decoderLayers);
        if (double.IsNaN(value))
        {
            o.Invalid(architecture == 0 ? "no α" : "Architecture without its layer counts",
                "write Alpha = 2.0f, or Architecture = DeepNetArchitecture.EncoderOnly, Layers = N (EncoderDecoderEncoder also needs DecoderLayers = M; EncoderDecoderDecoder needs DecoderLayers = M)");
            return (1d, "");
        }
        string n = layers.ToString(CultureInfo.InvariantCulture), m = decoderLayers.ToString(CultureInfo.InvariantCulture);
        return (value, architecture switch
        {
            1 => $"(2N)^¼ for an encoder-only stack, N = {n}",
            2 => $"(2M)^¼ for a decoder-only stack, M = {n}",
            3 => $"0.81·(N⁴M)^(1/16) for the encoder of an encoder-decoder, N = {n}, M = {m}",
            _ => $"(3M)^¼ for the decoder of an encoder-decoder, M = {m}",
        });
    }
}
