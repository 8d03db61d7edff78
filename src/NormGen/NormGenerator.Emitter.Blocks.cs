using System.Collections.Generic;
using System.Linq;
using NormGen.Generator.Model;
using static NormGen.Generator.CpuEmitter;

namespace NormGen.Generator;

/// <summary>
/// The block kinds' kernel class (BatchNorm evaluation and training, GroupNorm, InstanceNorm): their units, thread split,
/// statistics passes, small-block runs, huge-value fallback and Half staging live once in the runtime
/// (<c>global::NormGen.BlockEngine</c>); the generated class holds <c>Run</c>, one call of the engine, and a spec struct
/// of constants the engine is specialised on.
/// </summary>
internal static partial class TensorEmitter
{
    /// <summary>
    /// Run's body after its signature (written by <see cref="EmitKernelClass"/>): one call of the engine, specialised on
    /// <paramref name="types"/> (<c>Spec</c> and the compute type; Half: <c>Spec</c> alone).
    /// </summary>
    private static void EmitBlockRun(SourceWriter w, KernelSpec spec, string types)
    {
        string method = spec.Kind switch
        {
            NormKind.BatchNorm when spec.Training => "Train",
            NormKind.BatchNorm => "Evaluate",
            _ => "Groups",
        };
        var args = new List<string> { "x", "y", "batch", "channels", "spatial" };
        if (spec.Kind == NormKind.BatchNorm) args.AddRange(new[] { Canonical(ParamRole.RunningMean), Canonical(ParamRole.RunningVar) });
        foreach (ParameterSpec p in spec.Parameters)
            if (p.Role is ParamRole.BatchesTracked or ParamRole.Gamma or ParamRole.Beta or ParamRole.Mean or ParamRole.Rstd)
                args.Add($"{Canonical(p.Role)}: {Canonical(p.Role)}");
        w.Line($"    => global::NormGen.BlockEngine.{method}<{types}>({string.Join(", ", args)});");
    }

    /// <summary>What the kernel computes, as the static members <c>global::NormGen.IBlockSpec</c> asks for.</summary>
    private static void EmitBlockSpec(SourceWriter w, KernelSpec spec)
    {
        string c = ComputeName(spec);
        string kind = spec.Kind switch
        {
            NormKind.BatchNorm when spec.Training => "BatchNormTraining",
            NormKind.BatchNorm => "BatchNormEvaluation",
            NormKind.GroupNorm => "GroupNorm",
            _ => "InstanceNorm",
        };
        bool running = WritesRunning(spec);
        w.Line("/// <summary>The constants <see cref=\"global::NormGen.BlockEngine\"/> is specialised on: the JIT folds them into its one body.</summary>");
        w.Open($"internal readonly struct Spec : global::NormGen.IBlockSpec<{c}>");
        w.Line($"public static global::NormGen.BlockKind Kind => global::NormGen.BlockKind.{kind};");
        w.Line($"public static {c} Epsilon => {CpuEmitterText.Literal(spec.Epsilon, c)};");
        w.Line($"public static int Groups => {Lit(spec.Kind == NormKind.GroupNorm ? spec.Groups : 0)};");
        w.Line($"public static {c} Momentum => {(running && !spec.CumulativeAverage ? CpuEmitterText.Literal(spec.Momentum, c) : CpuEmitterText.Literal(0f, c))};");
        w.Line($"public static bool CumulativeAverage => {(running && spec.CumulativeAverage ? "true" : "false")};");
        w.Line($"public static global::NormGen.Affine Affine => global::NormGen.Affine.{spec.Affine};");
        w.Line($"public static bool SaveStatistics => {(spec.SaveStatistics ? "true" : "false")};");
        w.Close();
    }
}
