using System.Collections.Generic;
using System.Linq;
using NormGen.Generator.Model;
using static NormGen.Generator.CpuEmitter;

namespace NormGen.Generator;

/// <summary>
/// Writes a backward kernel (<c>Backward = true</c>): a thin wrapper that checks the arguments before anything is
/// written, fixes the row length and the flags, and calls the one implementation of the backward math in
/// <c>NormGen.RowBackward</c> (width-generic vector loop, fixed block partition, fixed-order dγ/dβ combine).
/// </summary>
internal static class BackwardEmitter
{
    public static string Emit(KernelSpec spec)
    {
        var w = new SourceWriter();
        EmitFileHeader(w);
        OpenUserType(w, spec);
        EmitDocumentation(w, spec);
        w.Line(Generated);
        string parameters = string.Join(", ", spec.Parameters.Select((p, i) => (spec.IsExtension && i == 0 ? "this " : "") + TypeName(p) + " " + Id(p.Name)));
        w.Open($"{spec.Modifiers} void {spec.MethodName}({parameters})");
        EmitBody(w, spec);
        w.Close();
        CloseUserType(w, spec);
        return w.ToString();
    }

    private static string Name(KernelSpec spec, ParamRole role) => spec.Parameter(role) is { } p ? Id(p.Name) : "default";

    private static string Ref(KernelSpec spec, ParamRole role) => $"<paramref name=\"{spec.Parameter(role)!.Name}\"/>";

    private static void EmitBody(SourceWriter w, KernelSpec spec)
    {
        var taken = new HashSet<string>(spec.Parameters.Select(p => p.Name));
        string Unique(string name)
        {
            while (taken.Contains(name)) name += "_";
            taken.Add(name);
            return name;
        }
        string rows = Unique("rows"), rowLength = Unique("rowLength");
        string dy = Name(spec, ParamRole.OutputGradient), x = Name(spec, ParamRole.Input), dx = Name(spec, ParamRole.InputGradient);
        string t = Element(spec.Element);

        // 1. Row length and row count, checked before anything is written.
        if (spec.IsTensorForm)
        {
            string dyFlat = Unique("dyFlat"), xFlat = Unique("xFlat"), dxFlat = Unique("dxFlat");
            if (spec.HasStaticShape)
                w.Line($"global::NormGen.NormGuard.TrailingShape({x}.Lengths, new int[] {{ {string.Join(", ", spec.Shape.Select(Lit))} }}, nameof({x}));");
            w.Line($"global::NormGen.NormGuard.SameShape({x}.Lengths, {dy}.Lengths, nameof({x}), nameof({dy}));");
            w.Line($"global::NormGen.NormGuard.SameShape({x}.Lengths, {dx}.Lengths, nameof({x}), nameof({dx}));");
            w.Line($"int {rows} = global::NormGen.NormGuard.Rows({x}.Lengths, {Lit(spec.Axes)}, out int {rowLength}, nameof({x}));");
            w.Line($"global::System.ReadOnlySpan<{t}> {dyFlat} = global::NormGen.NormGuard.Dense({dy}, nameof({dy}));");
            w.Line($"global::System.ReadOnlySpan<{t}> {xFlat} = global::NormGen.NormGuard.Dense({x}, nameof({x}));");
            w.Line($"global::System.Span<{t}> {dxFlat} = global::NormGen.NormGuard.Dense({dx}, nameof({dx}));");
            (dy, x, dx) = (dyFlat, xFlat, dxFlat);
        }
        else
        {
            if (spec.HasStaticShape)
            {
                w.Line($"const int {rowLength} = {Lit(spec.StaticRowLength)};");
            }
            else
            {
                string n = Id(spec.RowLengthParameter!.Name);
                w.Line($"if ({n} <= 0) throw new global::System.ArgumentOutOfRangeException(nameof({n}), {n}, \"The row length must be positive.\");");
                w.Line($"int {rowLength} = {n};");
            }
            w.Line($"int {rows} = global::NormGen.NormGuard.RowCount({x}.Length, {rowLength}, nameof({x}));");
            w.Line($"global::NormGen.NormGuard.Length({dy}.Length, {x}.Length, nameof({dy}), \"one per element of {spec.Input.Name}\");");
            w.Line($"global::NormGen.NormGuard.Length({dx}.Length, {x}.Length, nameof({dx}), \"one per element of {spec.Input.Name}\");");
        }
        foreach (ParameterSpec p in spec.Parameters)
        {
            string what = p.Role switch
            {
                ParamRole.Mean or ParamRole.Rstd => rows,
                ParamRole.Gamma or ParamRole.GammaGradient or ParamRole.BetaGradient => rowLength,
                _ => "",
            };
            if (what.Length > 0)
                w.Line($"global::NormGen.NormGuard.Length({Id(p.Name)}.Length, {what}, nameof({Id(p.Name)}), \"{(what == rows ? "one per row" : "one per normalized element")}\");");
        }

        // 2. Overlaps: dx may be dy or x itself (each element is read before it is written), nothing else may share memory with an output.
        w.Line($"global::NormGen.NormGuard.NoPartialOverlap({dy}, {dx}, nameof({Name(spec, ParamRole.OutputGradient)}), nameof({Name(spec, ParamRole.InputGradient)}));");
        w.Line($"global::NormGen.NormGuard.NoPartialOverlap({x}, {dx}, nameof({Name(spec, ParamRole.Input)}), nameof({Name(spec, ParamRole.InputGradient)}));");
        var outputs = new List<string> { dx };
        foreach (ParamRole role in new[] { ParamRole.GammaGradient, ParamRole.BetaGradient })
        {
            if (spec.Parameter(role) is null) continue;
            string name = Name(spec, role);
            foreach (string other in outputs)
                w.Line($"global::NormGen.NormGuard.NoOverlap({other}, {name}, nameof({(other == dx ? Name(spec, ParamRole.InputGradient) : other)}), nameof({name}));");
            outputs.Add(name);
        }

        // 3. The backward math, written once in the runtime.
        var flags = new List<string>();
        if (spec.Centers) flags.Add("global::NormGen.RowBackwardFlags.Centered");
        if (spec.ZeroCenteredGamma) flags.Add("global::NormGen.RowBackwardFlags.ZeroCenteredGamma");
        if (flags.Count == 0) flags.Add("global::NormGen.RowBackwardFlags.None");
        string mean = spec.Parameter(ParamRole.Mean) is null ? "default" : Name(spec, ParamRole.Mean);
        w.Line($"global::NormGen.RowBackward.Run({dy}, {x}, {mean}, {Name(spec, ParamRole.Rstd)}, {Name(spec, ParamRole.Gamma)}, {dx}, " +
               $"{Name(spec, ParamRole.GammaGradient)}, {Name(spec, ParamRole.BetaGradient)}, {rowLength}, {string.Join(" | ", flags)});");
    }

    private static string Element(ElementKind e) => e == ElementKind.Half ? "global::System.Half" : ElementName(e);

    private static string TypeName(ParameterSpec p)
    {
        string e = Element(p.Element);
        return p.Form switch
        {
            ParamForm.ReadOnlySpan => $"global::System.ReadOnlySpan<{e}>",
            ParamForm.Span => $"global::System.Span<{e}>",
            ParamForm.ReadOnlyTensorSpan => $"global::System.Numerics.Tensors.ReadOnlyTensorSpan<{e}>",
            ParamForm.TensorSpan => $"global::System.Numerics.Tensors.TensorSpan<{e}>",
            _ => "int",
        };
    }

    // ---------------------------------------------------------------- documentation

    private static void EmitDocumentation(SourceWriter w, KernelSpec spec)
    {
        bool rms = spec.Kind == NormKind.RmsNorm;
        string kind = rms ? "RMS normalization" : "layer normalization";
        string xhat = rms ? "x̂ = x·rstd" : "x̂ = (x − μ)·rstd";
        string gamma = spec.Gamma is null ? "g = dy" : spec.ZeroCenteredGamma ? "g = dy·(1 + γ) (zero-centred γ)" : "g = dy·γ";
        string dxText = rms ? "dx = rstd·(g − x̂·mean(g·x̂))" : "dx = rstd·(g − mean(g) − x̂·mean(g·x̂))";
        var grads = new List<string>();
        if (spec.Parameter(ParamRole.GammaGradient) is not null) grads.Add($"{Ref(spec, ParamRole.GammaGradient)} = Σ dy·x̂");
        if (spec.Parameter(ParamRole.BetaGradient) is not null) grads.Add($"{Ref(spec, ParamRole.BetaGradient)} = Σ dy");
        string stats = spec.Parameter(ParamRole.Mean) is null ? Ref(spec, ParamRole.Rstd) : $"{Ref(spec, ParamRole.Mean)} and {Ref(spec, ParamRole.Rstd)}";

        w.Line("/// <summary>");
        w.Line($"/// Backward of the {kind}: the gradients with respect to {Ref(spec, ParamRole.Input)}{(grads.Count > 0 ? " and the affine parameters" : "")}, given {Ref(spec, ParamRole.OutputGradient)}, the gradient of the output.");
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        w.Line($"/// <para>Computes, for each row (PyTorch's native backward): {xhat} with the forward's saved {stats}, {gamma}, {dxText} into {Ref(spec, ParamRole.InputGradient)}{(grads.Count > 0 ? "; over all rows, " + string.Join(" and ", grads) + " (written, not accumulated)" : "")}.</para>");
        w.Line($"/// <para>Lengths: {Ref(spec, ParamRole.OutputGradient)}, {Ref(spec, ParamRole.Input)} and {Ref(spec, ParamRole.InputGradient)} hold the same whole number of rows; {stats} one value per row{(spec.Gamma is not null || grads.Count > 0 ? "; γ and its gradients one row" : "")}. {Ref(spec, ParamRole.InputGradient)} may be {Ref(spec, ParamRole.OutputGradient)} or {Ref(spec, ParamRole.Input)} itself (in place). Zero rows write zero gradients.</para>");
        if (grads.Count > 0)
            w.Line("/// <para>Deterministic: rows are cut into fixed blocks of <see cref=\"global::NormGen.RowBackward.BlockRows\"/> rows, each block sums its rows' dγ/dβ in row order into its own partial, and the partials are added in a fixed pairwise order, so the result is bitwise the same for any thread count.</para>");
        w.Line($"/// <para>Arithmetic: {(spec.Element == ElementKind.Half ? "Half widened to float, float sums and float dγ/dβ, dx rounded once to Half" : spec.Element == ElementKind.Double ? "double" : "float")}; 512-, 256-, 128-bit vectors or scalars, whichever the processor accelerates. Large inputs are spread over up to <see cref=\"global::NormGen.NormGenSettings.MaxDegreeOfParallelism\"/> threads.</para>");
        w.Line("/// </remarks>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A span's length or a tensor's shape does not fit the others, or an output overlaps an input without being the same memory. Nothing is written.</exception>");
    }
}
