using System.Collections.Generic;
using System.Linq;
using NormGen.Generator.Model;
using static NormGen.Generator.CpuEmitter;

namespace NormGen.Generator;

/// <summary>
/// The column kinds' kernel class (Standardize, MinMaxScale, ChannelLayerNorm): their statistics, mapping passes,
/// vector widths, thread split and huge-value fallback live once in the runtime (<c>global::NormGen.ColumnEngine</c>);
/// the generated class holds the float/double <c>Run</c> that calls the engine, the Half <c>Run</c> that stages slabs
/// through it, and a spec struct of constants the engine is specialised on.
/// </summary>
internal static partial class TensorEmitter
{
    /// <summary>
    /// Run's body after its signature (written by <see cref="EmitKernelClass"/>): one call of the engine, specialised on
    /// <paramref name="types"/> (<c>Spec</c> and the compute type; Half: <c>Spec</c> alone).
    /// </summary>
    private static void EmitColumnRun(SourceWriter w, KernelSpec spec, string types)
    {
        if (IsSampleKind(spec))
        {
            w.Line($"    => global::NormGen.ColumnEngine.Samples<{types}>(x, y, samples, features);");
            return;
        }
        var args = new List<string> { "x", "y", "batch", "channels", "spatial" };
        foreach (ParameterSpec p in spec.Parameters)
            if (p.Role is ParamRole.Gamma or ParamRole.Beta or ParamRole.Mean or ParamRole.Rstd)
                args.Add($"{Canonical(p.Role)}: {Canonical(p.Role)}");
        w.Line($"    => global::NormGen.ColumnEngine.Channels<{types}>({string.Join(", ", args)});");
    }

    /// <summary>What the kernel computes, as the static members <c>global::NormGen.IColumnSpec</c> asks for.</summary>
    private static void EmitColumnSpec(SourceWriter w, KernelSpec spec)
    {
        string c = ComputeName(spec);
        string kind = spec.Kind switch
        {
            NormKind.Standardize => "Standardize",
            NormKind.MinMaxScale => "MinMaxScale",
            _ => "ChannelLayerNorm",
        };
        bool layerNorm = spec.Kind == NormKind.ChannelLayerNorm;
        w.Line("/// <summary>The constants <see cref=\"global::NormGen.ColumnEngine\"/> is specialised on: the JIT folds them into its one width-generic body.</summary>");
        w.Open($"private readonly struct Spec : global::NormGen.IColumnSpec<{c}>");
        w.Line($"public static global::NormGen.ColumnKind Kind => global::NormGen.ColumnKind.{kind};");
        w.Line($"public static {c} Epsilon => {(layerNorm ? CpuEmitterText.Literal(spec.Epsilon, c) : CpuEmitterText.Literal(0f, c))};");
        w.Line($"public static global::NormGen.Affine Affine => global::NormGen.Affine.{(layerNorm ? spec.Affine : AffineMode.None)};");
        w.Line($"public static bool BiasFree => {(layerNorm && spec.BiasFree ? "true" : "false")};");
        w.Line($"public static bool SaveStatistics => {(layerNorm && spec.SaveStatistics ? "true" : "false")};");
        w.Close();
    }
}
