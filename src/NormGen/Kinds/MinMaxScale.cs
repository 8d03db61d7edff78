using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary><c>[MinMaxScale]</c>: each feature column of a (samples, features) tensor scaled to [0, 1]; no ε, no γ/β, no backward.</summary>
internal sealed class MinMaxScale : KindDefinition
{
    public override NormKind Kind => NormKind.MinMaxScale;

    public override string AttributeName => "MinMaxScale";

    public override string Title(KernelSpec spec) => "Min-max scaling";

    public override string Computes(KernelSpec spec) =>
        "y = (x − min[f]) / (max[f] − min[f]) over the samples of feature f (divided, not multiplied by a reciprocal, so the maximum maps to exactly 1); a constant feature gives 0";

    public override LayoutFamily Layout => LayoutFamily.Tensor;

    public override Backends Backends => Backends.CpuForward | Backends.GpuForward;

    public override bool HasEpsilon => false;

    public override bool HasAffine => false;

    public override AffineMode DefaultAffine => AffineMode.None;

    /// <summary>The number of features.</summary>
    public override int GpuSizeParameters => 1;
}
