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
        OpenImplementation(w, spec, EmitDocumentation);
        EmitBody(w, spec);
        w.Close();
        CloseUserType(w, spec);
        return GlobalNames.Qualify(w.ToString());
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
        string? residualOut = null;
        // DeepNorm's sublayer and dsublayer: flat spans, or tensor spans flattened like x and dx.
        var rowLocals = new Dictionary<ParamRole, string>();
        foreach (ParamRole role in new[] { ParamRole.Residual, ParamRole.ResidualGradient })
            if (spec.Parameter(role) is { } p) rowLocals[role] = Id(p.Name);
        if (!spec.IsRowKind)
        {
            EmitChannelBody(w, spec, Unique);
            return;
        }

        // 1. Row length and row count, checked before anything is written.
        if (spec.IsTensorForm)
            (dy, x, dx, residualOut) = EmitTensorRowChecks(w, spec, Unique, rows, rowLength, rowLocals);
        else
            residualOut = EmitSpanRowChecks(w, spec, rows, rowLength, dy, x, dx, rowLocals.Values);
        EmitRowParameterLengths(w, spec, rows, rowLength);

        // 2. Overlaps.
        // dh is written before dResidualOut is read, so they may not share memory (the table's rule for that pair).
        EmitOverlapChecks(w, spec, dy, x, dx, residualOut, rowLocals);

        // 3. The backward math, written once in the runtime.
        if (IsFused(spec))
        {
            EmitFusedCall(w, spec, dy, x, dx, rowLength, residualOut, rowLocals);
            return;
        }
        EmitRowBackwardCall(w, spec, dy, x, dx, rowLength, residualOut);
    }

    /// <summary>
    /// Tensor-form row kernels: the shape checks of every tensor against x (and the static trailing shape), the row count,
    /// and the dense spans the rest of the body works on. Returns the names of those spans (dy, x, dx, dResidualOut);
    /// <paramref name="rowLocals"/> is updated to the residual spans' flat names.
    /// </summary>
    private static (string Dy, string X, string Dx, string? ResidualOut) EmitTensorRowChecks(SourceWriter w, KernelSpec spec, System.Func<string, string> unique, string rows, string rowLength, Dictionary<ParamRole, string> rowLocals)
    {
        string dy = Name(spec, ParamRole.OutputGradient), x = Name(spec, ParamRole.Input), dx = Name(spec, ParamRole.InputGradient);
        string t = ElementName(spec.Element);
        string? residualOut = null;
        string dyFlat = unique("dyFlat"), xFlat = unique("xFlat"), dxFlat = unique("dxFlat");
        if (spec.HasStaticShape)
            w.Line($"global::NormGen.NormGuard.TrailingShape({x}.Lengths, new int[] {{ {string.Join(", ", spec.Shape.Select(Lit))} }}, {StrOfId(x)});");
        w.Line($"global::NormGen.NormGuard.SameShape({x}.Lengths, {dy}.Lengths, {StrOfId(x)}, {StrOfId(dy)});");
        w.Line($"global::NormGen.NormGuard.SameShape({x}.Lengths, {dx}.Lengths, {StrOfId(x)}, {StrOfId(dx)});");
        if (spec.Parameter(ParamRole.ResidualOutGradient) is { } dr)
        {
            string drFlat = unique("dResidualOutFlat");
            w.Line($"global::NormGen.NormGuard.SameShape({x}.Lengths, {Id(dr.Name)}.Lengths, {StrOfId(x)}, {StrOfId(Id(dr.Name))});");
            w.Line($"global::System.ReadOnlySpan<{t}> {drFlat} = global::NormGen.NormGuard.Dense({Id(dr.Name)}, {StrOfId(Id(dr.Name))});");
            residualOut = drFlat;
        }
        foreach (ParamRole role in rowLocals.Keys.ToList())
        {
            string name = rowLocals[role], flat = unique(name.TrimStart('@') + "Flat");
            string span = role == ParamRole.ResidualGradient ? "Span" : "ReadOnlySpan";
            w.Line($"global::NormGen.NormGuard.SameShape({x}.Lengths, {name}.Lengths, {StrOfId(x)}, {StrOfId(name)});");
            w.Line($"global::System.{span}<{t}> {flat} = global::NormGen.NormGuard.Dense({name}, {StrOfId(name)});");
            rowLocals[role] = flat;
        }
        w.Line($"int {rows} = global::NormGen.NormGuard.Rows({x}.Lengths, {Lit(spec.Axes)}, out int {rowLength}, {StrOfId(x)});");
        w.Line($"global::System.ReadOnlySpan<{t}> {dyFlat} = global::NormGen.NormGuard.Dense({dy}, {StrOfId(dy)});");
        w.Line($"global::System.ReadOnlySpan<{t}> {xFlat} = global::NormGen.NormGuard.Dense({x}, {StrOfId(x)});");
        w.Line($"global::System.Span<{t}> {dxFlat} = global::NormGen.NormGuard.Dense({dx}, {StrOfId(dx)});");
        return (dyFlat, xFlat, dxFlat, residualOut);
    }

    /// <summary>
    /// Span-form row kernels: the row length (static, or a positive parameter), the row count and the lengths of the
    /// element-wise spans (DeepNorm's sublayer and dsublayer among them). Returns the name of dResidualOut, if any.
    /// </summary>
    private static string? EmitSpanRowChecks(SourceWriter w, KernelSpec spec, string rows, string rowLength, string dy, string x, string dx, IEnumerable<string> residualSpans)
    {
        string? residualOut = null;
        if (spec.HasStaticShape)
        {
            w.Line($"const int {rowLength} = {Lit(spec.StaticRowLength)};");
        }
        else
        {
            string n = Id(spec.RowLengthParameter!.Name);
            w.Line($"if ({n} <= 0) throw new global::System.ArgumentOutOfRangeException({StrOfId(n)}, {n}, \"The row length must be positive.\");");
            w.Line($"int {rowLength} = {n};");
        }
        w.Line($"int {rows} = global::NormGen.NormGuard.RowCount({x}.Length, {rowLength}, {StrOfId(x)});");
        w.Line($"global::NormGen.NormGuard.Length({dy}.Length, {x}.Length, {StrOfId(dy)}, \"one per element of {spec.Input.Name}\");");
        w.Line($"global::NormGen.NormGuard.Length({dx}.Length, {x}.Length, {StrOfId(dx)}, \"one per element of {spec.Input.Name}\");");
        if (spec.Parameter(ParamRole.ResidualOutGradient) is { } dr)
        {
            residualOut = Id(dr.Name);
            w.Line($"global::NormGen.NormGuard.Length({residualOut}.Length, {x}.Length, {StrOfId(residualOut)}, \"one per element of {spec.Input.Name}\");");
        }
        foreach (string name in residualSpans)
            w.Line($"global::NormGen.NormGuard.Length({name}.Length, {x}.Length, {StrOfId(name)}, \"one per element of {spec.Input.Name}\");");
        return residualOut;
    }

    /// <summary>The lengths of the per-row (saved statistics) and per-element (γ, β, bias and their gradients) spans.</summary>
    private static void EmitRowParameterLengths(SourceWriter w, KernelSpec spec, string rows, string rowLength)
    {
        foreach (ParameterSpec p in spec.Parameters)
        {
            string what = p.Role switch
            {
                ParamRole.Mean or ParamRole.Rstd => rows,
                ParamRole.Gamma or ParamRole.GammaGradient or ParamRole.BetaGradient or ParamRole.Beta or ParamRole.Bias or ParamRole.BiasGradient => rowLength,
                _ => "",
            };
            if (what.Length > 0)
                w.Line($"global::NormGen.NormGuard.Length({Id(p.Name)}.Length, {what}, {StrOfId(Id(p.Name))}, \"{(what == rows ? "one per row" : "one per normalized element")}\");");
        }
    }

    /// <summary>The call of <c>NormGen.RowBackward.Run</c>, then the residual stream's share of the gradient (pre-norm DeepNorm).</summary>
    private static void EmitRowBackwardCall(SourceWriter w, KernelSpec spec, string dy, string x, string dx, string rowLength, string? residualOut)
    {
        var flags = new List<string>();
        if (spec.Centers) flags.Add("global::NormGen.RowBackwardFlags.Centered");
        if (spec.ZeroCenteredGamma) flags.Add("global::NormGen.RowBackwardFlags.ZeroCenteredGamma");
        if (flags.Count == 0) flags.Add("global::NormGen.RowBackwardFlags.None");
        string mean = spec.Parameter(ParamRole.Mean) is null ? "default" : Name(spec, ParamRole.Mean);
        w.Line($"global::NormGen.RowBackward.Run({dy}, {x}, {mean}, {Name(spec, ParamRole.Rstd)}, {Name(spec, ParamRole.Gamma)}, {dx}, " +
               $"{Name(spec, ParamRole.GammaGradient)}, {Name(spec, ParamRole.BetaGradient)}, {rowLength}, {string.Join(" | ", flags)});");
        if (residualOut is not null)
        {
            w.Line("// Pre-norm residual: h = x + residual fed the norm, so x and the residual stream share one gradient, dh = dx + dResidualOut.");
            w.Line($"global::NormGen.ResidualBackward.Add({dx}, {residualOut});");
        }
    }

    /// <summary>BatchNorm (training), GroupNorm, InstanceNorm: (N, C, *) checks, then <c>NormGen.ChannelBackward</c>.</summary>
    private static void EmitChannelBody(SourceWriter w, KernelSpec spec, System.Func<string, string> unique)
    {
        string dy = Name(spec, ParamRole.OutputGradient), x = Name(spec, ParamRole.Input), dx = Name(spec, ParamRole.InputGradient);
        string t = ElementName(spec.Element);
        string batch = unique("batch"), channels = unique("channels"), spatial = unique("spatial");
        string dyFlat = unique("dyFlat"), xFlat = unique("xFlat"), dxFlat = unique("dxFlat");
        string groups = spec.Kind switch { NormKind.BatchNorm => "0", NormKind.GroupNorm => Lit(spec.Groups), _ => channels };
        bool channelLayerNorm = spec.Kind == NormKind.ChannelLayerNorm;
        w.Line($"global::NormGen.NormGuard.SameShape({x}.Lengths, {dy}.Lengths, {StrOfId(x)}, {StrOfId(dy)});");
        w.Line($"global::NormGen.NormGuard.SameShape({x}.Lengths, {dx}.Lengths, {StrOfId(x)}, {StrOfId(dx)});");
        w.Line($"global::NormGen.NormGuard.ChannelLayout({x}.Lengths, {StrOfId(x)}, out int {batch}, out int {channels}, out int {spatial});");
        if (spec.Kind == NormKind.GroupNorm)
            w.Line($"global::NormGen.NormGuard.ChannelsDivisible({channels}, {groups}, {StrOfId(x)});");
        w.Line($"global::System.ReadOnlySpan<{t}> {dyFlat} = global::NormGen.NormGuard.Dense({dy}, {StrOfId(dy)});");
        w.Line($"global::System.ReadOnlySpan<{t}> {xFlat} = global::NormGen.NormGuard.Dense({x}, {StrOfId(x)});");
        w.Line($"global::System.Span<{t}> {dxFlat} = global::NormGen.NormGuard.Dense({dx}, {StrOfId(dx)});");
        KindDefinition kind = Kinds.Get(spec.Kind);
        string blocks = kind.StatisticsCount(batch, channels, spatial, groups), blockText = kind.OnePerStatisticsBlock;
        foreach (ParameterSpec p in spec.Parameters)
        {
            if (p.Role is ParamRole.Mean or ParamRole.Rstd)
                w.Line($"global::NormGen.NormGuard.Length({Id(p.Name)}.Length, {blocks}, {StrOfId(Id(p.Name))}, \"{blockText}\");");
            else if (p.Role is ParamRole.Gamma or ParamRole.GammaGradient or ParamRole.BetaGradient)
                w.Line($"global::NormGen.NormGuard.Length({Id(p.Name)}.Length, {channels}, {StrOfId(Id(p.Name))}, \"one per channel\");");
        }
        EmitOverlapChecks(w, spec, dyFlat, xFlat, dxFlat);
        if (channelLayerNorm)
            w.Line($"global::NormGen.ChannelLayerNormBackward.Run({dyFlat}, {xFlat}, {Name(spec, ParamRole.Mean)}, {Name(spec, ParamRole.Rstd)}, {Name(spec, ParamRole.Gamma)}, {dxFlat}, " +
                   $"{Name(spec, ParamRole.GammaGradient)}, {Name(spec, ParamRole.BetaGradient)}, {batch}, {channels}, {spatial}, biasFree: {(spec.BiasFree ? "true" : "false")});");
        else
            w.Line($"global::NormGen.ChannelBackward.Run({dyFlat}, {xFlat}, {Name(spec, ParamRole.Mean)}, {Name(spec, ParamRole.Rstd)}, {Name(spec, ParamRole.Gamma)}, {dxFlat}, " +
                   $"{Name(spec, ParamRole.GammaGradient)}, {Name(spec, ParamRole.BetaGradient)}, {batch}, {channels}, {spatial}, {groups});");
    }

    /// <summary>
    /// The aliasing checks of the one table every emitter renders (<see cref="OverlapCheck"/>): dx may be dy or x itself
    /// (each element is read before it is written); no output shares memory with another output or with the saved
    /// statistics, γ or anything else it does not replace element by element.
    /// </summary>
    private static void EmitOverlapChecks(SourceWriter w, KernelSpec spec, string dy, string x, string dx, string? residualOut = null, Dictionary<ParamRole, string>? rowLocals = null)
    {
        string Local(ParamRole role) => role switch
        {
            _ when rowLocals is not null && rowLocals.TryGetValue(role, out string? local) => local,
            ParamRole.OutputGradient => dy,
            ParamRole.ResidualOutGradient when residualOut is not null => residualOut,
            ParamRole.Input => x,
            ParamRole.InputGradient => dx,
            _ => Id(spec.Parameter(role)!.Name),
        };
        string Read(ParamRole role) => spec.Parameter(role)!.Form == ParamForm.Span
            ? $"(global::System.ReadOnlySpan<{ElementName(spec.Parameter(role)!.Element)}>){Local(role)}"
            : Local(role);
        CpuEmitter.EmitOverlapChecks(w, spec, Read, Local);
    }

    /// <summary>
    /// True when the row backward needs <c>NormGen.FusedRowBackward</c> rather than the plain <c>RowBackward</c>: the
    /// statistics are recomputed (not declared), DeepNorm, a residual bias or an activation epilogue.
    /// </summary>
    internal static bool IsFused(KernelSpec spec) =>
        spec.Backward && spec.IsRowKind &&
        (spec.Parameter(ParamRole.Rstd) is null || spec.Kind == NormKind.DeepNorm || spec.ResidualBias || spec.Activation != ActivationKind.None);

    /// <summary>The call into <c>NormGen.FusedRowBackward</c>: every present input and output by name, the rest left at their defaults.</summary>
    private static void EmitFusedCall(SourceWriter w, KernelSpec spec, string dy, string x, string dx, string rowLength, string? residualOut, Dictionary<ParamRole, string> rowLocals)
    {
        string c = ComputeName(spec);
        string flags = spec.Centers ? "global::NormGen.RowBackwardFlags.Centered" : "global::NormGen.RowBackwardFlags.None";
        if (spec.ZeroCenteredGamma) flags += " | global::NormGen.RowBackwardFlags.ZeroCenteredGamma";
        var args = new List<string> { dy, x, dx, rowLength, flags };
        void Named(ParamRole role)
        {
            string name = RoleNames.InBackward(role);
            if (rowLocals.TryGetValue(role, out string? local)) args.Add($"{name}: {local}");
            else if (role == ParamRole.ResidualOutGradient && residualOut is not null) args.Add($"{name}: {residualOut}");
            else if (spec.Parameter(role) is { } p) args.Add($"{name}: {Id(p.Name)}");
        }
        Named(ParamRole.Mean);
        Named(ParamRole.Rstd);
        if (spec.Parameter(ParamRole.Rstd) is null) args.Add($"epsilon: {CpuEmitterText.Literal(spec.Epsilon, c)}");
        Named(ParamRole.Gamma);
        Named(ParamRole.Beta);
        if (spec.Activation != ActivationKind.None) args.Add($"activation: global::NormGen.Activation.{spec.Activation}");
        Named(ParamRole.ResidualOutGradient);
        Named(ParamRole.Residual);
        Named(ParamRole.Bias);
        if (spec.Kind == NormKind.DeepNorm) args.Add($"alpha: {CpuEmitterText.Literal(spec.Alpha, c)}");
        Named(ParamRole.ResidualGradient);
        Named(ParamRole.GammaGradient);
        Named(ParamRole.BetaGradient);
        Named(ParamRole.BiasGradient);
        w.Line($"global::NormGen.FusedRowBackward.Run({string.Join(", ", args)});");
    }

    // ---------------------------------------------------------------- documentation

    /// <summary>The remarks' paragraphs for the fusions of <see cref="IsFused"/>.</summary>
    private static void EmitFusedDocumentation(SourceWriter w, KernelSpec spec, bool recomputed)
    {
        string x = Ref(spec, ParamRole.Input);
        if (recomputed)
            w.Line($"/// <para>Statistics: not kept from the forward, so recomputed per row from {(spec.Kind == NormKind.DeepNorm ? "h" : x)} by the forward's own algorithm (ε = {CpuEmitterText.Epsilon(spec)}), giving the values the forward saves bit for bit: one more read of each row, while it is in cache.</para>");
        if (spec.Kind == NormKind.DeepNorm)
            w.Line($"/// <para>DeepNorm: h = α·{x} + {Ref(spec, ParamRole.Residual)}{(spec.BiasInput is not null ? " + " + Ref(spec, ParamRole.Bias) : "")} (α = {CpuEmitterText.Literal(spec.Alpha, ComputeName(spec)).TrimEnd('f', 'd')}) is formed again per row as the forward formed it; with dh the gradient of h, {Ref(spec, ParamRole.ResidualGradient)} receives dh and {Ref(spec, ParamRole.InputGradient)} receives α·dh.</para>");
        if (spec.Parameter(ParamRole.BiasGradient) is not null)
            w.Line($"/// <para>Residual bias: the forward added the bias into h, so {Ref(spec, ParamRole.BiasGradient)} = Σ dh over all rows (fixed blocks and a fixed pairwise combine, like dγ), written, not accumulated.</para>");
        if (spec.Activation != ActivationKind.None)
            w.Line($"/// <para>Activation epilogue: the forward stored {spec.Activation}(z) with z = x̂·γ + β. z is recomputed per row from {x} and the statistics (never stored) and dy is replaced by dz = dy·{spec.Activation}′(z) before the backward above, so dγ = Σ dz·x̂ and dβ = Σ dz. The derivative is evaluated in double{(spec.Activation == ActivationKind.Gelu ? ", with Φ from the forward's erf approximation" : "")}.</para>");
    }

    /// <summary>The XML documentation of a backward kernel: what it computes, the lengths, determinism and arithmetic.</summary>
    private static void EmitDocumentation(SourceWriter w, KernelSpec spec)
    {
        bool rms = spec.Kind == NormKind.RmsNorm, rows = spec.IsRowKind;
        string kind = Kinds.Get(spec.Kind).InWords(spec), block = BlockInWords(spec);
        bool grads = spec.Parameter(ParamRole.GammaGradient) is not null || spec.Parameter(ParamRole.BetaGradient) is not null;
        bool recomputed = spec.Parameter(ParamRole.Rstd) is null;
        string stats = recomputed ? (rms ? "rstd" : "μ and rstd") : spec.Parameter(ParamRole.Mean) is null ? Ref(spec, ParamRole.Rstd) : $"{Ref(spec, ParamRole.Mean)} and {Ref(spec, ParamRole.Rstd)}";
        string dy = Ref(spec, ParamRole.OutputGradient), x = Ref(spec, ParamRole.Input), dx = Ref(spec, ParamRole.InputGradient);

        w.Line("/// <summary>");
        w.Line($"/// Backward of the {kind}: the gradients with respect to {x}{(grads ? " and the affine parameters" : "")}, given {dy}, the gradient of the output.");
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        w.Line($"/// <para>Computes, {BackwardMath(spec)}.</para>");
        string lengths = rows
            ? $"{dy}, {x} and {dx} hold the same whole number of rows{(recomputed ? "" : $"; {stats} one value per row")}{(spec.Gamma is not null || grads ? "; γ and its gradients one row" : "")}"
            : $"{dy}, {x} and {dx} are dense (N, C, *) tensors of one shape; {stats} one value per {(spec.Kind == NormKind.ChannelLayerNorm ? "(sample, position)" : block)}{(spec.Gamma is not null || grads ? "; γ and its gradients one per channel" : "")}";
        w.Line($"/// <para>Lengths: {lengths}. {dx} may be {dy} or {x} itself (in place).</para>");
        if (spec.Parameter(ParamRole.ResidualOutGradient) is not null)
            w.Line($"/// <para>Pre-norm residual: the forward normalized h = x + residual and passed h on, so {x} here is that h (the forward's residual output) and {dx} receives dh = dx + {Ref(spec, ParamRole.ResidualOutGradient)}, the one gradient of both x and the residual (as flash-attention and Liger). {Ref(spec, ParamRole.ResidualOutGradient)} must not overlap {dx}; it is added after the backward, in a second pass over {dx}.</para>");
        EmitFusedDocumentation(w, spec, recomputed);
        if (grads && spec.Kind == NormKind.ChannelLayerNorm)
            w.Line("/// <para>Deterministic: the work is cut into fixed units of (sample, <see cref=\"global::NormGen.ChannelLayerNormBackward.SpatialChunk\"/> positions) whatever the thread count; each unit keeps its own per-channel sums, and the units' sums are added in a fixed pairwise order, so the result is bitwise the same for any thread count.</para>");
        else if (grads)
            w.Line(rows
                ? "/// <para>Deterministic: rows are cut into fixed blocks of <see cref=\"global::NormGen.RowBackward.BlockRows\"/> rows, each block sums its rows' dγ/dβ in row order into its own partial, and the partials are added in a fixed pairwise order, so the result is bitwise the same for any thread count.</para>"
                : "/// <para>Deterministic: each (sample, channel) segment's sums are computed once, in a fixed order, and added over the samples in a fixed pairwise order, so the result is bitwise the same for any thread count.</para>");
        w.Line($"/// <para>Arithmetic: {(spec.Element == ElementKind.Half ? "Half widened to float, float sums and float dγ/dβ, dx rounded once to Half" : spec.Element == ElementKind.Double ? "double" : "float")}; 512-, 256-, 128-bit vectors or scalars, whichever the processor accelerates. Large inputs are spread over up to <see cref=\"global::NormGen.NormGenSettings.MaxDegreeOfParallelism\"/> threads.</para>");
        w.Line("/// </remarks>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A span's length or a tensor's shape does not fit the others, or an output overlaps an input without being the same memory. Nothing is written.</exception>");
    }

    /// <summary>
    /// What a backward kernel computes, in words: "for each row (PyTorch's native backward): x̂ = (x − μ)·rstd with …, g =
    /// dy·γ, dx = … over the row into dx; over all rows, dγ = Σ dy·x̂ …". One text for the CPU kernel's remarks and the
    /// GPU overloads' (row and tensor kinds).
    /// </summary>
    internal static string BackwardMath(KernelSpec spec)
    {
        bool rms = spec.Kind == NormKind.RmsNorm, rows = spec.IsRowKind, deep = spec.Kind == NormKind.DeepNorm;
        string block = BlockInWords(spec);
        string xhat = rms ? "x̂ = x·rstd" : deep ? "x̂ = (h − μ)·rstd" : "x̂ = (x − μ)·rstd";
        string gammaC = rows ? "γ" : "γ[c]";
        string g = spec.Activation != ActivationKind.None ? "g = dz" : "g = dy";
        string gamma = spec.Gamma is null ? g : spec.ZeroCenteredGamma ? $"{g}·(1 + {gammaC}) (zero-centred γ)" : $"{g}·{gammaC}";
        string dxText = rms ? "dx = rstd·(g − x̂·mean(g·x̂))"
            : spec.BiasFree ? "with x̃ = x·rstd (the mean not subtracted, as in the forward), dx = rstd·(g − x̂·mean(g·x̃))"
            : deep ? "dh = rstd·(g − mean(g) − x̂·mean(g·x̂))"
            : "dx = rstd·(g − mean(g) − x̂·mean(g·x̂))";
        string sum = spec.Activation != ActivationKind.None ? "Σ dz" : "Σ dy";
        var grads = new List<string>();
        if (spec.Parameter(ParamRole.GammaGradient) is not null) grads.Add($"{Ref(spec, ParamRole.GammaGradient)} = {sum}·{(spec.BiasFree ? "x̃" : "x̂")}");
        if (spec.Parameter(ParamRole.BetaGradient) is not null) grads.Add($"{Ref(spec, ParamRole.BetaGradient)} = {sum}");
        string statsSource = spec.Parameter(ParamRole.Rstd) is null ? $"{(rms ? "rstd" : "μ and rstd")} recomputed from the row"
            : spec.Parameter(ParamRole.Mean) is null ? $"the forward's saved {Ref(spec, ParamRole.Rstd)}"
            : $"the forward's saved {Ref(spec, ParamRole.Mean)} and {Ref(spec, ParamRole.Rstd)}";
        string into = deep ? " (dh, the gradient of h)" : $" into {Ref(spec, ParamRole.InputGradient)}";
        string over = rows ? "over all rows" : "per channel over (N, *)";
        return $"for each {block} (PyTorch's native backward): {xhat} with {statsSource}, {gamma}, {dxText} over the {block}{into}{(grads.Count > 0 ? $"; {over}, " + string.Join(" and ", grads) + " (written, not accumulated)" : "")}";
    }

    /// <summary>The unit whose statistics a backward kernel uses (a row, a channel, a (sample, group) …), in words.</summary>
    private static string BlockInWords(KernelSpec spec) => spec.Kind switch
    {
        NormKind.BatchNorm => "channel (over the batch and spatial axes)",
        NormKind.GroupNorm => "(sample, group)",
        NormKind.InstanceNorm => "(sample, channel)",
        NormKind.ChannelLayerNorm => "(sample, position) over the C channels",
        _ => "row",
    };
}
