using System.Collections.Generic;
using System.Globalization;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// What the row kinds (LayerNorm, RMSNorm, DeepNorm) share: the row fusions of <see cref="RowOptions"/> (residual,
/// bias, α, activation, zero-centred γ), saved statistics per row, the optional residual-sum output, and backward
/// kernels on the CPU and the GPU.
/// </summary>
internal abstract class RowKindDefinition : KindDefinition
{
    public override LayoutFamily Layout => LayoutFamily.Row;

    public override Backends Backends => Backends.CpuForward | Backends.CpuBackward | Backends.GpuForward | Backends.GpuBackward;

    public override KindOptions DefaultOptions => new RowOptions(Residual: AlwaysResidual);

    public override KindOptions ReadOptions(AttributeOptions o)
    {
        bool residual = o.Bool("Residual"), residualBias = o.Bool("ResidualBias"), zeroCenteredGamma = o.Bool("ZeroCenteredGamma");
        int activationValue = o.Int("Activation") ?? 0;
        var activation = ActivationKind.None;
        if (activationValue is < 0 or > 6)
            o.Invalid("Activation = " + activationValue.ToString(CultureInfo.InvariantCulture), "use Activation.None, Relu, Gelu, GeluTanh, Silu, Tanh or Sigmoid");
        else
            activation = (ActivationKind)activationValue;

        CheckResidual(o, residual, residualBias);
        if (zeroCenteredGamma && o.Affine == AffineMode.None)
            o.Invalid("ZeroCenteredGamma = true", "it changes how γ is applied: use Affine.Scale or Affine.ScaleAndBias, or remove it");
        (double alpha, string alphaSource) = ReadAlpha(o);
        return new RowOptions(residual || AlwaysResidual, residualBias, alpha, alphaSource, activation, zeroCenteredGamma);
    }

    /// <summary>Checks Residual and ResidualBias together (NG0021).</summary>
    protected virtual void CheckResidual(AttributeOptions o, bool residual, bool residualBias)
    {
        if (residualBias && !residual)
            o.Invalid("ResidualBias = true", "it adds a bias to the residual sum: also set Residual = true");
    }

    /// <summary>α and how it was obtained (DeepNorm); 1 for the other row kinds.</summary>
    protected virtual (double Alpha, string Source) ReadAlpha(AttributeOptions o) => (1d, "");

    public override bool SavesStatistics(AttributeOptions o) => true;

    /// <summary>The residual and its bias, after x.</summary>
    protected override void AddPrologueRoles(AttributeOptions o, List<ParamRole> roles)
    {
        if (o.KindOptions is not RowOptions { Residual: true } row) return;
        roles.Add(ParamRole.Residual);
        if (row.ResidualBias) roles.Add(ParamRole.Bias);
    }

    /// <summary>After y: the residual sum (optional, not DeepNorm's), then the saved mean (not RMSNorm's) and rstd, per row.</summary>
    protected override void AddOutputRoles(AttributeOptions o, bool withResidualOut, List<ParamRole> roles)
    {
        if (withResidualOut && o.KindOptions is RowOptions { Residual: true } && !AlwaysResidual) roles.Add(ParamRole.ResidualOut);
        if (o.SaveStatistics && Centers) roles.Add(ParamRole.Mean);
        if (o.SaveStatistics) roles.Add(ParamRole.Rstd);
    }

    /// <summary>
    /// The span parameters of a row backward kernel, in order: dy, [dResidualOut], x, [DeepNorm: sublayer, bias], the
    /// saved statistics (mean unless RMSNorm, rstd), γ when affine, [β with an activation], then the outputs dx (dh),
    /// [DeepNorm: dsublayer], dγ (when affine), dβ (with a bias) and [dbias with a residual bias]. The statistics may be
    /// left out (the parser's <c>WithoutStatistics</c>): the kernel then recomputes them.
    /// </summary>
    public override List<ParamRole> BackwardRoles(AttributeOptions o)
    {
        var row = o.KindOptions as RowOptions ?? new RowOptions();
        var roles = new List<ParamRole> { ParamRole.OutputGradient };
        if (o.Bool("Residual")) roles.Add(ParamRole.ResidualOutGradient);
        roles.Add(ParamRole.Input);
        if (AlwaysResidual) roles.Add(ParamRole.Residual);
        if (AlwaysResidual && row.ResidualBias) roles.Add(ParamRole.Bias);
        if (Centers) roles.Add(ParamRole.Mean);
        roles.Add(ParamRole.Rstd);
        if (o.Affine >= AffineMode.Scale) roles.Add(ParamRole.Gamma);
        if (row.Activation != ActivationKind.None && o.Affine == AffineMode.ScaleAndBias) roles.Add(ParamRole.Beta);
        roles.Add(ParamRole.InputGradient);
        if (AlwaysResidual) roles.Add(ParamRole.ResidualGradient);
        if (o.Affine >= AffineMode.Scale) roles.Add(ParamRole.GammaGradient);
        if (o.Affine == AffineMode.ScaleAndBias) roles.Add(ParamRole.BetaGradient);
        if (row.ResidualBias) roles.Add(ParamRole.BiasGradient);
        return roles;
    }
}
