using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary><c>[InstanceNorm]</c>: statistics per (sample, channel) of an (N, C, *) tensor, biased; no affine by default (PyTorch's).</summary>
internal sealed class InstanceNorm : KindDefinition
{
    public override NormKind Kind => NormKind.InstanceNorm;

    public override string AttributeName => "InstanceNorm";

    public override LayoutFamily Layout => LayoutFamily.Tensor;

    public override Backends Backends => Backends.CpuForward | Backends.CpuBackward | Backends.GpuForward | Backends.GpuBackward;

    public override AffineMode DefaultAffine => AffineMode.None;

    public override bool SavesStatistics(AttributeOptions o) => true;

    public override string StatisticsBlock => "(sample, channel)";

    public override string Title(KernelSpec spec) => "Instance normalization";

    public override string Computes(KernelSpec spec) =>
        $"y = (x − μ[n, c]) / √(σ²[n, c] + ε){ChannelAffine(spec)} with ε = {Epsilon(spec)}, μ and σ² the mean and biased variance of the spatial positions of channel c of sample n (PyTorch <c>instance_norm</c> with <c>use_input_stats=True</c>; no running statistics)";

    /// <summary>Channels and spatial size.</summary>
    public override int GpuSizeParameters => 2;
}
