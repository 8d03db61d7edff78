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
    private static void EmitColumnKernelClass(SourceWriter w, KernelSpec spec)
    {
        string owner = string.Join(".", spec.ContainingTypes.Select(t => t.NameWithTypeParameters.Split('<')[0]));
        w.Line($"/// <summary>Kernels behind <c>{owner}.{spec.MethodName}</c>; see its remarks.</summary>");
        w.Line(Generated);
        w.Open($"file static class {spec.KernelClassName}");
        EmitColumnRun(w, spec);
        w.Line();
        EmitColumnSpec(w, spec);
        w.Close();
    }

    /// <summary>
    /// The driver: one call of the engine, specialised on <c>Spec</c> (Half tensors: the engine's Half overload, which
    /// stages slabs through the float kernel).
    /// </summary>
    private static void EmitColumnRun(SourceWriter w, KernelSpec spec)
    {
        string c = ComputeName(spec);
        bool half = spec.Element == ElementKind.Half;
        string types = half ? "Spec" : $"Spec, {c}";
        w.Line(half
            ? "/// <summary>Normalizes x into y (in place allowed), through float slabs. Arguments are already checked and x is not empty.</summary>"
            : "/// <summary>Normalizes x into y (in place allowed). Arguments are already checked and x is not empty.</summary>");
        w.Line($"internal static void Run({RunParameters(spec, half ? "Half" : c)})");
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
