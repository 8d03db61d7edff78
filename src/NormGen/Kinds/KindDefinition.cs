using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>How a kind's data is laid out, and so which emitter family draws it.</summary>
internal enum LayoutFamily
{
    /// <summary>Rows normalized one by one (LayerNorm, RMSNorm, DeepNorm): <see cref="CpuEmitter"/> and the GPU row kernels.</summary>
    Row,

    /// <summary>(N, C, *) or (samples, features) tensors with per-block statistics: <see cref="TensorEmitter"/> and the GPU tensor kernels.</summary>
    Tensor,
}

/// <summary>
/// The backends a kind has kernels for: the capability table the parser consults (NG0032 for a backward of a kind without
/// one). Every kind has the GPU variant of each kernel it has on the CPU (KindRegistryTests checks it), so NG0022, which
/// said that one was missing, is retired.
/// </summary>
[Flags]
internal enum Backends
{
    None = 0,
    CpuForward = 1,
    CpuBackward = 2,
    GpuForward = 4,
    GpuBackward = 8,
}

/// <summary>
/// Everything specific to one normalization kind, in one place: its attribute (name, defaults, the options it reads and
/// how it validates them), the parameter roles it expects forward and backward and their names, the text its
/// diagnostics use, its layout family and the backends it supports. One subclass per kind under <c>Kinds/</c>;
/// <see cref="Kinds.Get"/> finds it. The parser's general checks (method shape, element types, forms, order) and
/// the emitters stay kind-agnostic where they can and ask the definition where they cannot.
/// </summary>
internal abstract class KindDefinition
{
    public abstract NormKind Kind { get; }

    /// <summary>The attribute's short name as users write it (<c>LayerNorm</c> for <c>NormGen.LayerNormAttribute</c>).</summary>
    public abstract string AttributeName { get; }

    /// <summary>The attribute's metadata name, which the pipeline registers (<c>ForAttributeWithMetadataName</c>).</summary>
    public string MetadataName => "NormGen." + AttributeName + "Attribute";

    public abstract LayoutFamily Layout { get; }

    public bool IsRowKind => Layout == LayoutFamily.Row;

    public abstract Backends Backends { get; }

    public bool Supports(Backends backends) => (Backends & backends) == backends;

    /// <summary>True when the kernel subtracts a mean (everything but RMSNorm).</summary>
    public virtual bool Centers => true;

    /// <summary>DeepNorm: the residual stream is always added (the second input is the sublayer's output).</summary>
    public virtual bool AlwaysResidual => false;

    // ------------------------------------------------------------------ attribute defaults and options

    /// <summary>The attribute's ε when none is given (the compute type's, for kinds whose default depends on it).</summary>
    public virtual float DefaultEpsilon(ElementKind element) => NormDefaults.LayerNormEpsilon;

    /// <summary>The ε NG0006 suggests instead of an invalid one.</summary>
    public virtual float SuggestedEpsilon => NormDefaults.LayerNormEpsilon;

    /// <summary>False for the kinds whose attribute has no ε (the scalers).</summary>
    public virtual bool HasEpsilon => true;

    public virtual AffineMode DefaultAffine => AffineMode.ScaleAndBias;

    /// <summary>False for the kinds that take no γ and β whatever <c>Affine</c> says (the scalers).</summary>
    public virtual bool HasAffine => true;

    /// <summary>The kind's own options when the attribute sets none (also a hand-made spec's default).</summary>
    public virtual KindOptions DefaultOptions => NoKindOptions.Instance;

    /// <summary>Reads the constructor's arguments: the normalized shape (<c>[LayerNorm(64)]</c>, <c>[LayerNorm(8, 64)]</c>) unless overridden.</summary>
    public virtual void ReadConstructorArguments(AttributeOptions o)
    {
        foreach (TypedConstant argument in o.ConstructorArguments)
        {
            if (argument.Kind == TypedConstantKind.Array)
            {
                // [LayerNorm(null)]: Values is a default array here. The runtime reads a null shape as empty.
                if (argument.IsNull) continue;
                foreach (TypedConstant item in argument.Values)
                    if (item.Value is int size) o.Shape.Add(size);
            }
            else if (argument.Value is int single)
            {
                o.Shape.Add(single);
            }
        }
    }

    /// <summary>
    /// Reads and validates the kind's own options (after the common ones: shape, axes, ε, affine), reporting what is
    /// wrong on <paramref name="o"/>. Returns them also when invalid: the expected signature is built from them.
    /// </summary>
    public virtual KindOptions ReadOptions(AttributeOptions o) => NoKindOptions.Instance;

    /// <summary>True when a forward kernel of these options can save mean and rstd.</summary>
    public virtual bool SavesStatistics(AttributeOptions o) => false;

    /// <summary>What to write instead of <c>SaveStatistics = true</c> where <see cref="SavesStatistics"/> is false.</summary>
    public virtual string SaveStatisticsFix =>
        "only the row kinds, BatchNorm training, GroupNorm, InstanceNorm and ChannelLayerNorm save statistics: remove it";

    /// <summary>Why <c>Backward = true</c> cannot be implemented with these options (NG0032), or null.</summary>
    public virtual string? BackwardProblem(AttributeOptions o)
    {
        if (!Supports(Backends.CpuBackward))
            return "backward kernels exist for [LayerNorm], [RmsNorm], [DeepNorm], [BatchNorm(Training = true)], [GroupNorm], [InstanceNorm] and [ChannelLayerNorm] so far";
        if (o.SaveStatistics)
            return "SaveStatistics belongs on the forward declaration; the backward reads the saved statistics: remove SaveStatistics here";
        return null;
    }

    // ------------------------------------------------------------------ parameter roles

    /// <summary>The span parameters of a forward declaration, in order; <paramref name="withResidualOut"/>: the form that also writes the residual sum.</summary>
    public List<ParamRole> ForwardRoles(AttributeOptions o, bool withResidualOut)
    {
        var roles = new List<ParamRole> { ParamRole.Input };
        AddPrologueRoles(o, roles);
        if (HasAffine && o.Affine >= AffineMode.Scale) roles.Add(ParamRole.Gamma);
        if (HasAffine && o.Affine == AffineMode.ScaleAndBias) roles.Add(ParamRole.Beta);
        AddStateRoles(o, roles);
        roles.Add(ParamRole.Output);
        AddOutputRoles(o, withResidualOut, roles);
        return roles;
    }

    /// <summary>Inputs between x and γ (the row kinds' residual and bias).</summary>
    protected virtual void AddPrologueRoles(AttributeOptions o, List<ParamRole> roles)
    {
    }

    /// <summary>State between β and y (BatchNorm's running statistics).</summary>
    protected virtual void AddStateRoles(AttributeOptions o, List<ParamRole> roles)
    {
    }

    /// <summary>Outputs after y: the saved statistics, per statistics block.</summary>
    protected virtual void AddOutputRoles(AttributeOptions o, bool withResidualOut, List<ParamRole> roles)
    {
        if (!o.SaveStatistics || !SavesStatistics(o)) return;
        roles.Add(ParamRole.Mean);
        roles.Add(ParamRole.Rstd);
    }

    /// <summary>
    /// The span parameters of a backward kernel, in order: dy, x, the saved mean and rstd, γ when affine, then the
    /// outputs dx, dγ (when affine) and dβ (with a bias). The row kinds add their fusions (<see cref="RowKindDefinition"/>).
    /// </summary>
    public virtual List<ParamRole> BackwardRoles(AttributeOptions o)
    {
        var roles = new List<ParamRole> { ParamRole.OutputGradient, ParamRole.Input, ParamRole.Mean, ParamRole.Rstd };
        if (o.Affine >= AffineMode.Scale) roles.Add(ParamRole.Gamma);
        roles.Add(ParamRole.InputGradient);
        if (o.Affine >= AffineMode.Scale) roles.Add(ParamRole.GammaGradient);
        if (o.Affine == AffineMode.ScaleAndBias) roles.Add(ParamRole.BetaGradient);
        return roles;
    }

    /// <summary>True when a forward kernel writes the parameter (so it must be a Span).</summary>
    public virtual bool IsWritten(ParamRole role, AttributeOptions o) =>
        role is ParamRole.Output or ParamRole.ResidualOut or ParamRole.Mean or ParamRole.Rstd or ParamRole.BatchesTracked;

    /// <summary>The name a parameter of this role has in the expected signature and in the diagnostics: <see cref="RoleNames.Of"/> unless the kind renames it.</summary>
    public virtual string RoleName(ParamRole role) => RoleNames.Of(role);

    /// <summary>The name the expected forward signature gives a role (<see cref="RoleName"/> unless an option renames it).</summary>
    public virtual string SignatureName(ParamRole role, AttributeOptions o) => RoleName(role);

    // ------------------------------------------------------------------ text for the diagnostics

    /// <summary>The affine part of the attribute's description in NG0004 (null: the kind takes no γ, β).</summary>
    public virtual string? DescribeAffine(AttributeOptions o) => !HasAffine ? null : o.Affine switch
    {
        AffineMode.None => "Affine.None (no gamma, no beta)",
        AffineMode.Scale => "Affine.Scale (gamma only)",
        _ => "Affine.ScaleAndBias (gamma and beta)",
    };

    /// <summary>What one saved mean/rstd pair covers, for the backward's description: "row", "channel", "(sample, group)"…</summary>
    public virtual string StatisticsBlock => "row";

    /// <summary>The expected length of the saved statistics in the generated length checks: "one per " + <see cref="StatisticsBlock"/>.</summary>
    public string OnePerStatisticsBlock => "one per " + StatisticsBlock;

    /// <summary>
    /// How many statistics blocks a tensor call holds (the saved mean and rstd hold one value each), as a C# expression
    /// over the generated code's (N, C, *) sizes and group count: N × C unless the kind's block is another.
    /// </summary>
    public virtual string StatisticsCount(string batch, string channels, string spatial, string groups) => $"{batch} * {channels}";

    /// <summary>The kernel's name at the head of its documentation, one text for the CPU and GPU variants ("Layer normalization", "Group normalization" …).</summary>
    public abstract string Title(KernelSpec spec);

    /// <summary>
    /// The kind in words inside a sentence ("the backward of the group normalization"), for the CPU and GPU backward
    /// kernels' documentation: the title with a small first letter unless the kind says more.
    /// </summary>
    public virtual string InWords(KernelSpec spec)
    {
        string title = Title(spec);
        return char.ToLowerInvariant(title[0]) + title.Substring(1);
    }

    /// <summary>
    /// What a tensor kind's forward kernel computes, from "y = …" with ε, its statistics and PyTorch's name for it: one
    /// text for the CPU kernel's remarks ("Computes …") and the GPU overloads' ("with the same numerics: …"). The row
    /// kinds' is <c>CpuEmitter.Formula</c>.
    /// </summary>
    public virtual string Computes(KernelSpec spec) => throw new NotSupportedException(Kind + " is a row kind: CpuEmitter.Formula");

    /// <summary>What a tensor kind's forward kernel does after normalizing, or null (BatchNorm training: the running statistics' update).</summary>
    public virtual string? Then(KernelSpec spec) => null;

    /// <summary>A parameter's reference in generated documentation (the CPU and GPU overloads name it alike).</summary>
    protected static string Ref(KernelSpec spec, ParamRole role) => $"<paramref name=\"{spec.Parameter(role)!.Name}\"/>";

    /// <summary>The per-channel affine after a tensor kind's normalized value: "", " · γ[c]" or " · γ[c] + β[c]".</summary>
    protected static string ChannelAffine(KernelSpec spec) => spec.Affine switch
    {
        AffineMode.None => "",
        AffineMode.Scale => " · γ[c]",
        _ => " · γ[c] + β[c]",
    };

    /// <summary>ε as the documentation writes it.</summary>
    protected static string Epsilon(KernelSpec spec) => CpuEmitterText.Float(spec.Epsilon);

    /// <summary>The sizes the GPU overloads take after the views (0 for the row kinds; see <c>GpuEmitter.TensorSizeParameters</c>).</summary>
    public virtual int GpuSizeParameters => 0;
}
