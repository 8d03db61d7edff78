using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// <c>[RmsNorm]</c>: y = x/√(mean(x²) + ε)·weight: no mean subtracted and no β by default; ε defaults to the compute
/// type's machine ε (PyTorch's <c>eps=None</c>); saves rstd only.
/// </summary>
internal sealed class RmsNorm : RowKindDefinition
{
    public override NormKind Kind => NormKind.RmsNorm;

    public override string AttributeName => "RmsNorm";

    public override string Title(KernelSpec spec) => "RMS normalization";

    public override string InWords(KernelSpec spec) => Title(spec);

    public override bool Centers => false;

    /// <summary>finfo(compute type).eps: 2⁻⁵² for double, 2⁻²³ for float and Half.</summary>
    public override float DefaultEpsilon(ElementKind element) =>
        element == ElementKind.Double ? NormDefaults.RmsNormEpsilonDoubleAsFloat : NormDefaults.RmsNormEpsilon;

    public override float SuggestedEpsilon => 1e-6f;

    public override AffineMode DefaultAffine => AffineMode.Scale;

    public override string RoleName(ParamRole role) => role switch
    {
        ParamRole.Gamma => "weight",
        ParamRole.GammaGradient => "dweight",
        _ => base.RoleName(role),
    };
}
