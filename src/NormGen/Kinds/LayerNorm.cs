using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// <c>[LayerNorm]</c>: y = (x − μ)/√(σ² + ε)·γ + β over the last dimensions of each row, biased σ², ε = 1e-5, with the
/// row fusions of <see cref="RowKindDefinition"/>.
/// </summary>
internal sealed class LayerNorm : RowKindDefinition
{
    public override NormKind Kind => NormKind.LayerNorm;

    public override string AttributeName => "LayerNorm";

    public override string Title(KernelSpec spec) => "Layer normalization";
}
