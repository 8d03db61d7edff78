using Microsoft.CodeAnalysis;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// <c>[GroupNorm(groups)]</c>: statistics per (sample, group of C / groups channels) of an (N, C, *) tensor, biased,
/// with a per-channel affine.
/// </summary>
internal sealed class GroupNorm : KindDefinition
{
    public override NormKind Kind => NormKind.GroupNorm;

    public override string AttributeName => "GroupNorm";

    public override LayoutFamily Layout => LayoutFamily.Tensor;

    public override Backends Backends => Backends.CpuForward | Backends.CpuBackward | Backends.GpuForward | Backends.GpuBackward;

    public override KindOptions DefaultOptions => new GroupNormOptions(0);

    /// <summary>The constructor takes the number of groups, not a shape (read in <see cref="ReadOptions"/>).</summary>
    public override void ReadConstructorArguments(AttributeOptions o)
    {
    }

    public override KindOptions ReadOptions(AttributeOptions o)
    {
        int groups = 0;
        foreach (TypedConstant argument in o.ConstructorArguments)
            if (argument.Value is int value) groups = value;
        if (groups < 1)
            o.Invalid("Groups = " + groups.ToString(System.Globalization.CultureInfo.InvariantCulture), "at least one group is needed, e.g. [GroupNorm(32)]");
        return new GroupNormOptions(groups);
    }

    public override bool SavesStatistics(AttributeOptions o) => true;

    public override string StatisticsBlock => "(sample, group)";

    public override string StatisticsCount(string batch, string channels, string spatial, string groups) => $"{batch} * {groups}";

    public override string Title(KernelSpec spec) => "Group normalization";

    public override string Computes(KernelSpec spec) =>
        $"y = (x − μ[n, g]) / √(σ²[n, g] + ε){ChannelAffine(spec)} with ε = {Epsilon(spec)}, μ and σ² the mean and biased variance of group g of sample n (its C/G channels × all spatial positions, one contiguous block), and per-channel γ and β (PyTorch <c>group_norm</c>). C must be a multiple of {CpuEmitter.Lit(spec.Groups)}";

    /// <summary>Channels and spatial size.</summary>
    public override int GpuSizeParameters => 2;
}
