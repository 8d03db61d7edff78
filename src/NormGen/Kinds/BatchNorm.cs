using System.Collections.Generic;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// <c>[BatchNorm]</c> over the channels of an (N, C, *) tensor: in training, biased batch statistics normalise and the
/// unbiased variance updates the running statistics (momentum, or a cumulative average); in evaluation, the running
/// statistics fold into y = x·s + t.
/// </summary>
internal sealed class BatchNorm : KindDefinition
{
    public override NormKind Kind => NormKind.BatchNorm;

    public override string AttributeName => "BatchNorm";

    public override LayoutFamily Layout => LayoutFamily.Tensor;

    /// <summary>The backward needs the batch statistics saved in training (<see cref="BackwardProblem"/>).</summary>
    public override Backends Backends => Backends.CpuForward | Backends.CpuBackward | Backends.GpuForward | Backends.GpuBackward;

    public override KindOptions DefaultOptions => new BatchNormOptions();

    public override KindOptions ReadOptions(AttributeOptions o)
    {
        var options = new BatchNormOptions(o.Bool("Training"), o.Float("Momentum") ?? 0.1f, o.Bool("CumulativeAverage"));
        if (float.IsNaN(options.Momentum) || options.Momentum < 0f || options.Momentum > 1f)
            o.Invalid("Momentum = " + NormGenerator.Parser.FormatFloat(options.Momentum), "the momentum must be in [0, 1], e.g. Momentum = 0.1f");
        if (!options.Training && (options.CumulativeAverage || o.Has("Momentum")))
            o.Invalid(options.CumulativeAverage ? "CumulativeAverage = true" : "Momentum", "running statistics are only updated in training: set Training = true");
        return options;
    }

    private static bool Training(AttributeOptions o) => o.KindOptions is BatchNormOptions { Training: true };

    public override bool SavesStatistics(AttributeOptions o) => Training(o);

    public override string SaveStatisticsFix => "evaluation uses the running statistics and has nothing to save: set Training = true";

    public override string? BackwardProblem(AttributeOptions o) => Training(o)
        ? base.BackwardProblem(o)
        : "the backward of BatchNorm uses the batch statistics saved in training: set Training = true (and declare the forward with Training = true, SaveStatistics = true)";

    /// <summary>The running statistics after β (written in training), and the batch counter of a cumulative average.</summary>
    protected override void AddStateRoles(AttributeOptions o, List<ParamRole> roles)
    {
        roles.Add(ParamRole.RunningMean);
        roles.Add(ParamRole.RunningVar);
        if (o.KindOptions is BatchNormOptions { Training: true, CumulativeAverage: true }) roles.Add(ParamRole.BatchesTracked);
    }

    public override bool IsWritten(ParamRole role, AttributeOptions o) =>
        base.IsWritten(role, o) || (Training(o) && role is ParamRole.RunningMean or ParamRole.RunningVar);

    /// <summary>The saved batch statistics are named as the tensor engines name them (saveMean, saveRstd), apart from the running ones.</summary>
    public override string RoleName(ParamRole role) => RoleNames.InTensorEngine(role);

    public override string StatisticsBlock => "channel";

    public override string StatisticsCount(string batch, string channels, string spatial, string groups) => channels;

    public override string Title(KernelSpec spec) => spec.Training ? "Batch normalization (training)" : "Batch normalization (evaluation)";

    public override string Computes(KernelSpec spec) => spec.Training
        ? $"y = (x − μ[c]) / √(σ²[c] + ε){ChannelAffine(spec)} with ε = {Epsilon(spec)}, μ[c] and σ²[c] the mean and biased variance of channel c over N × spatial values (PyTorch <c>batch_norm</c>, <c>training=True</c>)"
        : $"y = (x − {Ref(spec, ParamRole.RunningMean)}[c]) / √({Ref(spec, ParamRole.RunningVar)}[c] + ε){ChannelAffine(spec)} with ε = {Epsilon(spec)} (PyTorch <c>batch_norm</c>, <c>training=False</c>), folded once per channel into s[c] = γ[c] / √(var[c] + ε) and t[c] = β[c] − mean[c]·s[c], so every element costs one multiply-add: y = x·s[c] + t[c]";

    public override string? Then(KernelSpec spec)
    {
        if (!spec.Training) return null;
        string mean = Ref(spec, ParamRole.RunningMean), variance = Ref(spec, ParamRole.RunningVar);
        if (!spec.CumulativeAverage)
            return $"Then updates the running statistics in place with momentum m = {CpuEmitterText.Float(spec.Momentum)}: {mean} ← (1 − m)·{mean} + m·μ and {variance} ← (1 − m)·{variance} + m·σ²·n/(n − 1), the unbiased variance with n = N × spatial.";
        string count = Ref(spec, ParamRole.BatchesTracked);
        return $"Then updates the running statistics as PyTorch does with <c>momentum=None</c>: {count}[0] is incremented and m = 1 / {count}[0]; {mean} ← (1 − m)·{mean} + m·μ and {variance} ← (1 − m)·{variance} + m·σ²·n/(n − 1) (the unbiased variance, n = N × spatial), a cumulative average over the batches seen.";
    }

    public override string InWords(KernelSpec spec) => spec.Training ? "batch normalization in training (batch statistics)" : base.InWords(spec);

    /// <summary>The spatial size.</summary>
    public override int GpuSizeParameters => 1;
}
