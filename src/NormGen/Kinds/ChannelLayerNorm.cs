using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// <c>[ChannelLayerNorm]</c>: LayerNorm over C at every (n, position) of an (N, C, *) tensor (Restormer's
/// WithBias_LayerNorm), or with <c>BiasFree</c> Restormer's BiasFree_LayerNorm, x / √(σ² + ε) · weight.
/// </summary>
internal sealed class ChannelLayerNorm : KindDefinition
{
    public override NormKind Kind => NormKind.ChannelLayerNorm;

    public override string AttributeName => "ChannelLayerNorm";

    public override LayoutFamily Layout => LayoutFamily.Tensor;

    public override Backends Backends => Backends.CpuForward | Backends.CpuBackward | Backends.GpuForward | Backends.GpuBackward;

    public override KindOptions DefaultOptions => new ChannelLayerNormOptions();

    public override KindOptions ReadOptions(AttributeOptions o)
    {
        bool biasFree = o.Bool("BiasFree");
        if (biasFree)
        {
            // Restormer's BiasFree_LayerNorm takes a weight and nothing else.
            if (o.Affine != AffineMode.Scale && o.Has("Affine"))
                o.Invalid("BiasFree = true with Affine." + o.Affine, "Restormer's BiasFree LayerNorm, x / √(σ² + ε) · weight, always takes one weight and no bias: remove Affine (or write Affine = Affine.Scale)");
            o.Affine = AffineMode.Scale;
        }
        return new ChannelLayerNormOptions(biasFree);
    }

    public override bool SavesStatistics(AttributeOptions o) => true;

    public override string SignatureName(ParamRole role, AttributeOptions o) =>
        role == ParamRole.Gamma && o.KindOptions is ChannelLayerNormOptions { BiasFree: true } ? "weight" : RoleName(role);

    public override string? DescribeAffine(AttributeOptions o) =>
        o.KindOptions is ChannelLayerNormOptions { BiasFree: true } ? "BiasFree (weight only)" : base.DescribeAffine(o);

    public override string StatisticsBlock => "(sample, position)";

    public override string StatisticsCount(string batch, string channels, string spatial, string groups) => $"{batch} * {spatial}";

    public override string Title(KernelSpec spec) => "Layer normalization over the channels";

    public override string Computes(KernelSpec spec) => spec.BiasFree
        ? $"y[n, c, s] = x[n, c, s] / √(σ²[n, s] + ε) · {Ref(spec, ParamRole.Gamma)}[c] with ε = {Epsilon(spec)}, σ² the biased variance of the C values at position s of sample n around their mean; the mean is <b>not</b> subtracted from x. This is Restormer's <c>BiasFree_LayerNorm</c>, <c>x / sqrt(x.var(-1, unbiased=False) + eps) * weight</c>, over <c>to_3d(x)</c>"
        : $"y[n, c, s] = (x[n, c, s] − μ[n, s]) / √(σ²[n, s] + ε){ChannelAffine(spec)} with ε = {Epsilon(spec)}, μ and σ² the mean and biased variance of the C values at position s of sample n: Restormer's <c>to_3d → LayerNorm(C) → to_4d</c>{(spec.Affine == AffineMode.ScaleAndBias ? " (its WithBias_LayerNorm)" : "")}";

    public override string InWords(KernelSpec spec) =>
        spec.BiasFree ? "channel layer normalization (Restormer's BiasFree variant, y = x·rstd·w)" : "channel layer normalization";

    public override int GpuSizeParameters => 2;
}
