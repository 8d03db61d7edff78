namespace NormGen.Generator.Model;

/// <summary>
/// The one role → name table of the generator: the name a parameter of each <see cref="ParamRole"/> has in the
/// generated code and in the calls it makes. The generated calls pass the optional views by name, so these names are the
/// parameter names of the runtime's engines and of the shared GPU launches; each emitter reads them here. Where a
/// backend's names differ, this file says so and why (<see cref="InTensorEngine"/>, <see cref="InGpuForward"/>,
/// <see cref="InBackward"/>); a kind's renames in its expected signature (RMSNorm's <c>weight</c>, DeepNorm's
/// <c>sublayer</c>, BatchNorm's <c>saveMean</c>) are the kind's own, in <c>KindDefinition.RoleName</c> overrides.
/// </summary>
internal static class RoleNames
{
    /// <summary>
    /// A role's name: in the expected signatures and the NG diagnostics (before a kind's renames), and as the parameter
    /// name of <c>global::NormGen.RowEngine.Forward</c>, <c>global::NormGen.FusedRowBackward.Run</c> and the shared GPU
    /// backward launches.
    /// </summary>
    public static string Of(ParamRole role) => role switch
    {
        ParamRole.Input => "x",
        ParamRole.Residual => "residual",
        ParamRole.Bias => "bias",
        ParamRole.Gamma => "gamma",
        ParamRole.Beta => "beta",
        ParamRole.RunningMean => "runningMean",
        ParamRole.RunningVar => "runningVar",
        ParamRole.BatchesTracked => "batchesTracked",
        ParamRole.Output => "y",
        ParamRole.ResidualOut => "residualOut",
        ParamRole.Mean => "mean",
        ParamRole.Rstd => "rstd",
        ParamRole.OutputGradient => "dy",
        ParamRole.ResidualOutGradient => "dResidualOut",
        ParamRole.InputGradient => "dx",
        ParamRole.GammaGradient => "dgamma",
        ParamRole.BetaGradient => "dbeta",
        ParamRole.ResidualGradient => "dsublayer",
        ParamRole.BiasGradient => "dbias",
        _ => "rowLength",
    };

    /// <summary>
    /// A role's name in the tensor engines (<c>global::NormGen.BlockEngine</c>, <c>global::NormGen.ColumnEngine</c>) and
    /// the tensor kernel class that calls them. Differs: the saved statistics are <c>saveMean</c>/<c>saveRstd</c>
    /// (PyTorch's save_mean/save_invstd), so that BatchNorm's are not taken for its running mean.
    /// </summary>
    public static string InTensorEngine(ParamRole role) => role switch
    {
        ParamRole.Mean => "saveMean",
        ParamRole.Rstd => "saveRstd",
        _ => Of(role),
    };

    /// <summary>
    /// A role's name in the shared GPU forward launches (<c>GpuRowKernelsFloat.Launch</c>, <c>GpuTensorKernelsFloat.Launch</c>,
    /// …). Differs: the saved statistics are <c>meanOut</c>/<c>rstdOut</c>, because the same device file's backward kernels
    /// read a <c>mean</c> and <c>rstd</c> and the suffix tells the written views from the read ones.
    /// </summary>
    public static string InGpuForward(ParamRole role) => role switch
    {
        ParamRole.Mean => "meanOut",
        ParamRole.Rstd => "rstdOut",
        _ => Of(role),
    };

    /// <summary>
    /// A role's name in the row backward engines (<c>global::NormGen.FusedRowBackward.Run</c> and the shared GPU backward
    /// launch). Differs: the residual is <c>sublayer</c>, since only DeepNorm's backward takes it (its dh is
    /// <c>dsublayer</c>).
    /// </summary>
    public static string InBackward(ParamRole role) => role == ParamRole.Residual ? "sublayer" : Of(role);

    /// <summary>
    /// The row forward's span roles in the order <c>global::NormGen.RowEngine.Forward</c> and the shared GPU row launch
    /// take them (x and y positionally, the others by name).
    /// </summary>
    public static readonly ParamRole[] RowForward =
    {
        ParamRole.Input,
        ParamRole.Residual,
        ParamRole.Bias,
        ParamRole.Gamma,
        ParamRole.Beta,
        ParamRole.Output,
        ParamRole.ResidualOut,
        ParamRole.Mean,
        ParamRole.Rstd,
    };
}
