using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary><c>[Standardize]</c>: each feature column of a (samples, features) tensor to zero mean and unit variance; no ε, no γ/β, no backward.</summary>
internal sealed class Standardize : KindDefinition
{
    public override NormKind Kind => NormKind.Standardize;

    public override string AttributeName => "Standardize";

    public override string Title(KernelSpec spec) => "Standardization";

    public override string Computes(KernelSpec spec) =>
        "y = (x − μ[f]) / σ[f], μ[f] the mean and σ[f] the population standard deviation (divide by the sample count) of feature f over the samples; a constant feature (σ = 0) gives 0. No ε";

    public override LayoutFamily Layout => LayoutFamily.Tensor;

    public override Backends Backends => Backends.CpuForward | Backends.GpuForward;

    public override bool HasEpsilon => false;

    public override bool HasAffine => false;

    public override AffineMode DefaultAffine => AffineMode.None;

    /// <summary>The number of features.</summary>
    public override int GpuSizeParameters => 1;
}
