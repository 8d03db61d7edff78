using System.Collections.Generic;
using System.Linq;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// The ILGPU variant of a row backward kernel (<c>[LayerNorm(Backward = true)]</c>, <c>[RmsNorm(Backward = true)]</c>,
/// <c>[DeepNorm(Backward = true)]</c>, flat or tensor spans, with or without the pre-norm residual's dh = dx + dResidualOut
/// fused into the dx pass, and the fused forms of <see cref="BackwardEmitter.IsFused"/>: statistics recomputed by a first
/// kernel running the forward's <see cref="EmitRowStatistics"/>, the activation epilogue, the residual bias's dbias,
/// DeepNorm's h re-formed by the forward's <see cref="EmitRowValue"/>): dx by one warp
/// (short rows) or one group (long rows) per row, as the forward kernels; dγ/dβ without
/// atomics, by per-block partials over a fixed number of rows (<c>NormGen.RowBackward.BlockRows</c>, whatever the
/// device) into a scratch buffer, then a second kernel that adds each column's partials in a fixed order. The kernels are
/// written once per compilation into the shared device file (<c>GpuRowBackwardKernelsFloat</c>/<c>Double</c>), generic over
/// a spec struct of constants that each declaration's GPU file holds beside its overloads and checks.
/// </summary>
internal static partial class GpuEmitter
{
    /// <summary>Blocks summed one after the other into a chunk total by the combine kernel; the chunk totals are then added in order.</summary>
    private const int CombineChunk = 32;

    private static bool HasParameterGradients(KernelSpec spec) => spec.Parameter(ParamRole.GammaGradient) is not null;

    /// <summary>Whether the declaration writes a per-column gradient (dγ, dβ, dbias): zero rows then still write zeros.</summary>
    private static bool HasColumnGradients(KernelSpec spec) => HasParameterGradients(spec) || spec.Parameter(ParamRole.BiasGradient) is not null;

    /// <summary>The fused forms' statistics are not passed in: the kernels recompute them (<c>GpuBackwardFlags.Recompute</c>).</summary>
    private static bool RecomputesStatistics(KernelSpec spec) => spec.Parameter(ParamRole.Rstd) is null;

    /// <summary>The row backward launch's views, in its parameter order (dy, x and dx by position, the others by their <see cref="RoleNames.InBackward"/> names).</summary>
    private static readonly ParamRole[] BackwardRoles =
    {
        ParamRole.OutputGradient,
        ParamRole.ResidualOutGradient,
        ParamRole.Input,
        ParamRole.Residual,
        ParamRole.Bias,
        ParamRole.Mean,
        ParamRole.Rstd,
        ParamRole.Gamma,
        ParamRole.Beta,
        ParamRole.InputGradient,
        ParamRole.ResidualGradient,
        ParamRole.GammaGradient,
        ParamRole.BetaGradient,
        ParamRole.BiasGradient,
    };

    private static string EmitBackward(SourceWriter w, KernelSpec spec)
    {
        CpuEmitter.OpenUserType(w, spec);
        EmitBackwardOverloads(w, spec);
        CpuEmitter.CloseUserType(w, spec);
        w.Line();
        if (spec.Namespace is not null) w.Open("namespace " + spec.Namespace);
        EmitBackwardSpecStruct(w, spec);
        if (spec.Namespace is not null) w.Close();
        return GlobalNames.Qualify(w.ToString());
    }

    // ---------------------------------------------------------------- public overloads

    private static void EmitBackwardOverloads(SourceWriter w, KernelSpec spec)
    {
        // Tensor-span declarations without a static shape read the row length from x's shape on the CPU; the views are
        // flat, so their GPU overloads take it as a last int (as the forward's).
        string? extra = ExtraRowLengthName(spec);
        EmitOverloadPair(w, spec, RowLengthSize(extra), cref => EmitBackwardDocumentation(w, spec, extra, cref), stream =>
        {
            (string rowLength, string rows) = EmitRowCount(w, spec, extra);
            // dy, dx, then the others in declaration order (dResidualOut, sublayer, dsublayer; the statistics; γ, β and the gradients).
            IEnumerable<ParameterSpec> views = new[] { spec.Parameter(ParamRole.OutputGradient)!, spec.Parameter(ParamRole.InputGradient)! }
                .Concat(spec.Parameters.Where(p => p.Role is not (ParamRole.OutputGradient or ParamRole.InputGradient)));
            EmitRowLengthChecks(w, spec, views, rowLength, rows, $"one per element of {spec.Input.Name}");
            // The CPU form's aliasing rules, from the same table: dx may be dy or x itself; no output shares memory with
            // another output or with the saved statistics, γ or dResidualOut.
            EmitOverlapChecks(w, spec);
            if (!HasColumnGradients(spec)) w.Line($"if ({rows} == 0) return;");
            w.Line(BackwardLaunch(spec, stream, rowLength, rows));
        });
    }

    /// <summary>A backward overload's documentation (see <see cref="EmitOverloadDocumentation"/>).</summary>
    private static void EmitBackwardDocumentation(SourceWriter w, KernelSpec spec, string? extra, string? defaultStreamOf)
    {
        string Ref(ParamRole role) => $"<paramref name=\"{spec.Parameter(role)!.Name}\"/>";
        string kind = spec.Kind switch { NormKind.RmsNorm => "RMS normalization", NormKind.DeepNorm => "DeepNorm normalization (h = α·x + sublayer)", _ => "layer normalization" };
        string summary = $"Backward of the {kind} on an ILGPU accelerator, over {RowsText(spec, extra, shape: "")}: the gradient {Ref(ParamRole.InputGradient)}{(HasParameterGradients(spec) ? " and those of the affine parameters" : "")}, given {Ref(ParamRole.OutputGradient)}";
        EmitOverloadDocumentation(w, summary, defaultStreamOf, () => EmitBackwardRemarks(w, spec),
            "A view's length does not fit the others, or an output overlaps an input without being the same view, or two outputs overlap. Nothing is enqueued.");
    }

    /// <summary>The backward stream overload's remarks: the math, the residual gradient, the fusions, the views, the kernels, the scratch.</summary>
    private static void EmitBackwardRemarks(SourceWriter w, KernelSpec spec)
    {
        string Ref(ParamRole role) => $"<paramref name=\"{spec.Parameter(role)!.Name}\"/>";
        bool grads = HasParameterGradients(spec), recompute = RecomputesStatistics(spec);
        string stats = recompute ? "" : spec.Parameter(ParamRole.Mean) is null ? Ref(ParamRole.Rstd) : $"{Ref(ParamRole.Mean)} and {Ref(ParamRole.Rstd)}";
        w.Line("/// <remarks>");
        w.Line($"/// <para>GPU variant of the span method of the same name, with the same math, {BackwardEmitter.BackwardMath(spec)}.</para>");
        bool residual = spec.Parameter(ParamRole.ResidualOutGradient) is not null;
        if (residual)
            w.Line($"/// <para>Pre-norm residual: the forward normalized h = x + residual and passed h on, so {Ref(ParamRole.Input)} here is that h (the forward's residual output) and {Ref(ParamRole.InputGradient)} receives dh = dx + {Ref(ParamRole.ResidualOutGradient)}, the one gradient of both x and the residual (as flash-attention and Liger), added in the dx kernel's last pass (one pass on the GPU; the span method adds it in a second pass over dh, so the two may differ by one float rounding of dx).</para>");
        EmitFusedBackwardRemarks(w, spec);
        var rowRoles = new[] { ParamRole.OutputGradient, ParamRole.ResidualOutGradient, ParamRole.Input, ParamRole.Residual, ParamRole.InputGradient, ParamRole.ResidualGradient };
        var rowViews = rowRoles.Where(r => spec.Parameter(r) is not null).Select(Ref).ToList();
        string residualAlias = residual ? $" {Ref(ParamRole.ResidualOutGradient)} must not overlap {Ref(ParamRole.InputGradient)} (as in the span method)." : "";
        if (spec.Parameter(ParamRole.ResidualGradient) is not null) residualAlias += $" {Ref(ParamRole.ResidualGradient)} may be {Ref(ParamRole.Residual)} itself.";
        bool fusedColumns = spec.Parameter(ParamRole.Beta) is not null || spec.Parameter(ParamRole.Bias) is not null || spec.Parameter(ParamRole.BiasGradient) is not null;
        string columns = fusedColumns ? "; γ, β, the bias and their gradients one row each" : spec.Gamma is not null || grads ? "; γ and its gradients one row" : "";
        string flat = spec.IsTensorForm ? " (the span method's tensors as flat views of their dense elements)" : "";
        w.Line($"/// <para>Views: {string.Join(", ", rowViews.Take(rowViews.Count - 1))} and {rowViews[rowViews.Count - 1]}{flat} hold the same whole number of rows{(recompute ? "" : $"; {stats} one value per row")}{columns}; all belong to the stream's accelerator. {Ref(ParamRole.InputGradient)} may be {Ref(ParamRole.OutputGradient)} or {Ref(ParamRole.Input)} itself (in place).{residualAlias} Zero rows enqueue {(HasColumnGradients(spec) ? "only the kernel that writes zero gradients" : "nothing")}.</para>");
        string kernel = spec.HasStaticShape
            ? spec.StaticRowLength <= WarpPerRowMaxLength ? "one warp per row, warp-shuffle reductions" : "one group per row, warp shuffles meeting in shared memory"
            : $"rows up to {Lit(WarpPerRowMaxLength)} elements: one warp per row; longer rows: one group per row";
        string compute = spec.Element switch { ElementKind.Double => "double", ElementKind.Half => "float (Half widened on load, dx rounded once to Half)", _ => "float" };
        w.Line($"/// <para>dx kernel: {kernel}; two passes over the row (the sums of g and g·x̂, then dx{(residual ? " + dResidualOut" : "")}). Arithmetic in {compute}.</para>");
        EmitBackwardScratchRemarks(w, spec);
        w.Line("/// <para>Compiled once per accelerator, on first use, and cached.</para>");
        w.Line("/// </remarks>");
    }

    /// <summary>The remarks' paragraphs on the column gradients' kernels and on the scratch buffer they (and recomputed statistics) use.</summary>
    private static void EmitBackwardScratchRemarks(SourceWriter w, KernelSpec spec)
    {
        bool recompute = RecomputesStatistics(spec);
        int gradients = (HasParameterGradients(spec) ? 1 : 0) + (spec.Parameter(ParamRole.BetaGradient) is not null ? 1 : 0) + (spec.Parameter(ParamRole.BiasGradient) is not null ? 1 : 0);
        if (gradients == 0 && !recompute) return;
        if (HasParameterGradients(spec))
            w.Line("/// <para>dγ/dβ without atomics, deterministic (the same bits for the same inputs on the same device, whatever the launch geometry): the rows are cut into blocks of <see cref=\"global::NormGen.RowBackward.BlockRows\"/> rows (a constant, not a device property); one kernel sums each (block, column) over its rows in row order into a scratch buffer, before dx is written (so dx may be dy or x); a second kernel adds each column's block partials in block order, in chunks of " + Lit(CombineChunk) + ", into the outputs.</para>");
        string size = (recompute ? "2 × rows" + (gradients > 0 ? " + " : "") : "") + (gradients > 0 ? $"blocks × {(gradients > 1 ? Lit(gradients) + " × " : "")}row length" : "");
        bool fused = BackwardEmitter.IsFused(spec);
        w.Line($"/// <para>Scratch: {size} {(spec.Element == ElementKind.Double ? "doubles" : "floats")} in the stream's cached buffer (<see cref=\"global::NormGen.ScratchSlot\"/>), reused without waiting: stream order keeps one call's kernels apart from the next's, and the {(fused ? "call's" : "three")} kernels are enqueued under the slot's lock, so calls from several threads on one stream do not interleave. Only when the buffer must grow does the call wait for the stream before freeing the old one. Read the gradients after synchronising the stream, as any kernel's output.</para>");
    }

    /// <summary>The remarks' paragraphs for the fusions of <see cref="BackwardEmitter.IsFused"/>, as the GPU kernels compute them.</summary>
    private static void EmitFusedBackwardRemarks(SourceWriter w, KernelSpec spec)
    {
        string Ref(ParamRole role) => $"<paramref name=\"{spec.Parameter(role)!.Name}\"/>";
        bool deepNorm = spec.Kind == NormKind.DeepNorm;
        if (RecomputesStatistics(spec))
            w.Line($"/// <para>Statistics: not kept from the forward, so recomputed per row from {(deepNorm ? "h" : Ref(ParamRole.Input))} (ε = {CpuEmitterText.Epsilon(spec)}) by a first kernel that runs the GPU forward's own statistics code with its thread shapes, giving the mean and rstd the GPU forward saves bit for bit, into the scratch buffer: one more read of each row.</para>");
        if (deepNorm)
            w.Line($"/// <para>DeepNorm: h = α·{Ref(ParamRole.Input)} + {Ref(ParamRole.Residual)}{(spec.BiasInput is not null ? " + " + Ref(ParamRole.Bias) : "")} (α = {CpuEmitterText.Literal(spec.Alpha, CpuEmitter.ComputeName(spec)).TrimEnd('f', 'd')}) is formed again per element as the GPU forward forms it; with dh the gradient of h, the dx kernel's last pass writes dh to {Ref(ParamRole.ResidualGradient)} and α·dh to {Ref(ParamRole.InputGradient)}.</para>");
        if (spec.Parameter(ParamRole.BiasGradient) is { } dbias)
            w.Line($"/// <para>Residual bias: the forward added the bias into h, so <paramref name=\"{dbias.Name}\"/> = Σ dh over all rows (written, not accumulated), summed from dh as stored ({(deepNorm ? Ref(ParamRole.ResidualGradient) : Ref(ParamRole.InputGradient))}) by a kernel after the dx kernel, per (block, column) in row order, then the fixed-order combine of dγ.{(spec.Element == ElementKind.Half ? " dh is stored as Half, so this sum may differ from the span method's (which adds dh in float) by that rounding." : "")}</para>");
        if (spec.Activation != ActivationKind.None)
            w.Line($"/// <para>Activation epilogue: the forward stored {spec.Activation}(z) with z = x̂·γ + β. z is recomputed per element (never stored) and dy is replaced by dz = dy·{spec.Activation}′(z) in every pass, so dγ = Σ dz·x̂ and dβ = Σ dz; the derivative is written from e^(−|·|) alone (nothing cancels), in the compute type{(spec.Activation == ActivationKind.Gelu ? ", with Φ from the forward's erf approximation" : "")}.</para>");
    }

    // ---------------------------------------------------------------- spec struct

    /// <summary>The shared backward kernels' feature flags for the declaration, as the kernels test them.</summary>
    private static List<string> BackwardFlags(KernelSpec spec)
    {
        var flags = new List<string>();
        if (spec.Centers) flags.Add("Centered");
        if (spec.Gamma is not null) flags.Add("Gamma");
        if (spec.Gamma is not null && spec.ZeroCenteredGamma) flags.Add("ZeroCenteredGamma");
        if (spec.Parameter(ParamRole.ResidualOutGradient) is not null) flags.Add("ResidualGradient");
        if (HasParameterGradients(spec)) flags.Add("GammaGradient");
        if (spec.Parameter(ParamRole.BetaGradient) is not null) flags.Add("BetaGradient");
        if (RecomputesStatistics(spec)) flags.Add("Recompute");
        if (spec.Kind == NormKind.DeepNorm) flags.Add("Sublayer");
        if (spec.Parameter(ParamRole.Bias) is not null) flags.Add("ResidualBias");
        if (spec.Parameter(ParamRole.BiasGradient) is not null) flags.Add("BiasGradient");
        if (spec.Activation != ActivationKind.None) flags.Add("Activation");
        if (spec.Activation != ActivationKind.None && spec.Parameter(ParamRole.Beta) is not null) flags.Add("Beta");
        return flags;
    }

    /// <summary>The spec struct of one backward declaration's GPU kernels: what the shared backward kernels compute for it, as constants.</summary>
    private static void EmitBackwardSpecStruct(SourceWriter w, KernelSpec spec)
    {
        string c = CpuEmitter.ComputeName(spec);
        OpenSpecStruct(w, spec, $"backward kernels compute for <c>{SpecOwner(spec)}.{spec.MethodName}</c> (see its remarks), as constants the kernels are compiled with.",
            $"IGpuBackwardSpec<{KernelElement(spec.Element)}, {c}>");
        w.Line(FlagsProperty("GpuBackwardFlags", BackwardFlags(spec)));
        w.Line($"public int RowLength => {(spec.HasStaticShape ? Lit(spec.StaticRowLength) : "0")};");
        w.Line($"public {c} Epsilon => {CpuEmitterText.Literal(spec.Epsilon, c)};");
        bool alpha = spec.Kind == NormKind.DeepNorm;
        w.Line($"public {c} Alpha => {CpuEmitterText.Literal(alpha ? spec.Alpha : 1d, c)};{(alpha && spec.AlphaSource.Length > 0 ? " // " + spec.AlphaSource : "")}");
        EmitLoadAndStore(w, spec, c);
        w.Line($"public {c} ActivationGradient({c} z) => {(spec.Activation == ActivationKind.None ? CpuEmitterText.Literal(1d, c) : $"{SharedNamespace}GpuDevice.{spec.Activation}Gradient(z)")};");
        w.Close();
    }

    /// <summary>The shared launch of a backward declaration: its views (absent ones left out, they default to empty), lengths and spec.</summary>
    private static string BackwardLaunch(KernelSpec spec, string stream, string rowLength, string rows) =>
        SharedLaunch(spec, BackwardKernelsClass(CpuEmitter.ComputeName(spec)), $"{KernelElement(spec.Element)}, {GpuKernelClassName(spec)}",
            stream, new[] { ParamRole.OutputGradient, ParamRole.Input, ParamRole.InputGradient }, new[] { rowLength, rows }, BackwardRoles, RoleNames.InBackward);

    // ---------------------------------------------------------------- shared kernels (once per compilation)

    /// <summary>The class of the shared backward kernels in compute type <paramref name="c"/>.</summary>
    private static string BackwardKernelsClass(string c) => c == "double" ? "GpuRowBackwardKernelsDouble" : "GpuRowBackwardKernelsFloat";

    /// <summary>The backward spec interface and its flags, once per compilation.</summary>
    internal static void EmitBackwardSpecInterface(SourceWriter w, bool rowSpec)
    {
        w.Line("/// <summary>What a row backward kernel computes (the kernels test the bits).</summary>");
        w.Line("[global::System.Flags]");
        w.Open("internal enum GpuBackwardFlags");
        w.Line("None = 0,");
        w.Line("/// <summary>LayerNorm: x̂ = (x − μ)·rstd and dx subtracts mean(g); otherwise RMSNorm's x̂ = x·rstd.</summary>");
        w.Line("Centered = 1,");
        w.Line("/// <summary>g = dy·γ; otherwise g = dy.</summary>");
        w.Line("Gamma = 2,");
        w.Line("/// <summary>γ is zero-centred: g = dy·(1 + γ).</summary>");
        w.Line("ZeroCenteredGamma = 4,");
        w.Line("/// <summary>Pre-norm residual: dx receives dh = dx + dResidualOut.</summary>");
        w.Line("ResidualGradient = 8,");
        w.Line("/// <summary>Write dγ = Σ dy·x̂ over all rows.</summary>");
        w.Line("GammaGradient = 16,");
        w.Line("/// <summary>Write dβ = Σ dy over all rows.</summary>");
        w.Line("BetaGradient = 32,");
        w.Line("/// <summary>The statistics were not kept: a first kernel recomputes them per row with the forward's code, into the scratch buffer.</summary>");
        w.Line("Recompute = 64,");
        w.Line("/// <summary>DeepNorm: the row is h = α·x + sublayer (+ bias), formed again per element; dsublayer receives dh and dx α·dh.</summary>");
        w.Line("Sublayer = 128,");
        w.Line("/// <summary>h also adds the per-column bias (DeepNorm).</summary>");
        w.Line("ResidualBias = 256,");
        w.Line("/// <summary>Write dbias = Σ dh over all rows.</summary>");
        w.Line("BiasGradient = 512,");
        w.Line("/// <summary>Activation epilogue: dy is replaced by dz = dy·act′(z), z = x̂·γ + β recomputed.</summary>");
        w.Line("Activation = 1024,");
        w.Line("/// <summary>z adds β.</summary>");
        w.Line("Beta = 2048,");
        w.Close();
        w.Line();
        w.Line($"/// <summary>One backward declaration's kernels, as constants{AsRowSpec(rowSpec)}.</summary>");
        w.Line("/// <typeparam name=\"T\">The element type of dy, x, γ, dx and dResidualOut.</typeparam>");
        w.Line("/// <typeparam name=\"TCompute\">float (for float and Half) or double: the saved statistics, dγ, dβ and the arithmetic.</typeparam>");
        w.Open("internal interface IGpuBackwardSpec<T, TCompute>");
        w.Line("GpuBackwardFlags Flags { get; }");
        w.Line("/// <summary>The row length when it is a constant of the declaration, 0 when it is a run-time argument.</summary>");
        w.Line("int RowLength { get; }");
        w.Line("/// <summary>The forward's ε, for recomputed statistics.</summary>");
        w.Line("TCompute Epsilon { get; }");
        w.Line("/// <summary>DeepNorm's α (1 otherwise).</summary>");
        w.Line("TCompute Alpha { get; }");
        w.Line("/// <summary>An element in the compute type (Half widened).</summary>");
        w.Line("TCompute Load(T value);");
        w.Line("/// <summary>dx rounded once to the element type.</summary>");
        w.Line("T Store(TCompute value);");
        w.Line("/// <summary>act′(z) of the activation epilogue (1 when there is none).</summary>");
        w.Line("TCompute ActivationGradient(TCompute z);");
        w.Close();
    }

    /// <summary>The shared backward kernels' class constraint on <c>T</c> and <c>TSpec</c> in compute type <paramref name="c"/>.</summary>
    private static string BackwardWhere(string c) => $"where T : unmanaged where TSpec : struct, IGpuBackwardSpec<T, {c}>";

    /// <summary>The dx kernels' views, in their parameter order.</summary>
    private static string BackwardDxViews(string c) =>
        $"{View("T")} dy, {View("T")} dResidualOut, {View("T")} x, {View("T")} sublayer, {View("T")} bias, {View(c)} mean, {View(c)} rstd, {View("T")} gamma, {View("T")} beta, {View("T")} dx, {View("T")} dsublayer";

    /// <summary>The dx kernels' launcher type arguments (the views, then row length and rows).</summary>
    private static string BackwardDxTypeArgs(string c) => $"{View("T")}, {View("T")}, {View("T")}, {View("T")}, {View("T")}, {View(c)}, {View(c)}, {View("T")}, {View("T")}, {View("T")}, {View("T")}, int, int";

    /// <summary>The partials kernel's views, in their parameter order.</summary>
    private static string BackwardPartialViews(string c) =>
        $"{View("T")} dy, {View("T")} x, {View("T")} sublayer, {View("T")} bias, {View(c)} mean, {View(c)} rstd, {View("T")} gamma, {View("T")} beta, {View(c)} partials";

    /// <summary>The partials kernel's launcher type arguments.</summary>
    private static string BackwardPartialTypeArgs(string c) => $"{View("T")}, {View("T")}, {View("T")}, {View("T")}, {View(c)}, {View(c)}, {View("T")}, {View("T")}, {View(c)}, int, int";

    /// <summary>The statistics kernels' views (recomputed statistics), in their parameter order.</summary>
    private static string BackwardStatisticsViews(string c) => $"{View("T")} x, {View("T")} sublayer, {View("T")} bias, {View(c)} meanOut, {View(c)} rstdOut";

    /// <summary>The dx kernels' arguments, as the launch and the kernel pair pass them.</summary>
    private const string BackwardDxArgs = "dy, dResidualOut, x, sublayer, bias, mean, rstd, gamma, beta, dx, dsublayer, rowLength, rows";

    /// <summary>The statistics kernels' arguments.</summary>
    private const string BackwardStatisticsArgs = "x, sublayer, bias, meanOut, rstdOut, rowLength, rows";

    /// <summary>
    /// The optional kernels of the row backward class in one compute type, those some declaration of the compilation
    /// launches: the statistics kernels (<paramref name="Recompute"/>), the dγ/dβ partials kernel
    /// (<paramref name="GammaGradient"/>), the dbias partials kernel (<paramref name="BiasGradient"/>).
    /// </summary>
    internal sealed record RowBackwardParts(bool Recompute, bool GammaGradient, bool BiasGradient)
    {
        /// <summary>Whether a per-column gradient is written, through per-block partials and the combine kernel.</summary>
        public bool ColumnGradients => GammaGradient || BiasGradient;

        /// <summary>Whether a kernel besides dx is launched, under the lock of the stream's scratch slot.</summary>
        public bool Any => Recompute || ColumnGradients;
    }

    /// <summary>
    /// The shared backward kernels of one compute type: the launch with its per-accelerator cache, dx (warp per row, group
    /// per row), and of the statistics, dγ/dβ and dbias partials kernels those in <paramref name="parts"/>.
    /// </summary>
    internal static void EmitBackwardKernels(SourceWriter w, string c, RowBackwardParts parts)
    {
        w.Line("/// <summary>");
        w.Line($"/// The backward kernels of every row declaration (LayerNorm, RMSNorm, DeepNorm, Backward = true) computed in {c}, generic over its");
        string dx = $"/// spec struct: dx by one warp per row up to {Lit(WarpPerRowMaxLength)} elements, one group per longer row";
        if (parts.ColumnGradients)
        {
            string gradients = parts.GammaGradient && parts.BiasGradient ? "dγ/dβ/dbias" : parts.GammaGradient ? "dγ/dβ" : "dbias";
            w.Line($"{dx}; {gradients} without atomics, by");
            w.Line($"/// per-block partials over a fixed number of rows into the stream's scratch buffer, then <c>GpuDevice.CombineKernel</c>{(parts.Recompute ? ";" : ".")}");
        }
        else w.Line(dx + (parts.Recompute ? ";" : "."));
        if (parts.Recompute) w.Line("/// statistics not kept from the forward recomputed first by the forward's own code.");
        w.Line("/// </summary>");
        w.Line(Generated);
        w.Open($"internal static class {BackwardKernelsClass(c)}");
        w.Line("/// <summary>Rows per dγ/dβ block: the CPU kernel's constant, independent of the device, so the partials (and the result) do not depend on the launch geometry.</summary>");
        w.Line("private const int BlockRows = global::NormGen.RowBackward.BlockRows;");
        w.Line();
        EmitBackwardLaunchers(w, c, parts);
        EmitBackwardLaunch(w, c, parts);
        EmitBackwardElementHelpers(w, c);
        if (parts.Recompute) EmitBackwardStatisticsKernels(w, c);
        EmitBackwardDxKernels(w, c);
        if (parts.GammaGradient) EmitBackwardPartialsKernel(w, c);
        if (parts.BiasGradient) EmitBiasPartialsKernel(w, c);
        else w.TrimBlankLine();
        w.Close();
    }

    /// <summary>The backward kernels' per-accelerator cache: the dx launchers, the statistics, partials and combine launchers of <paramref name="parts"/>, and the device limits.</summary>
    private static void EmitBackwardLaunchers(SourceWriter w, string c, RowBackwardParts parts)
    {
        string where = BackwardWhere(c);
        string dxTypeArgs = BackwardDxTypeArgs(c), partialTypeArgs = BackwardPartialTypeArgs(c);
        string statisticsTypeArgs = $"{View("T")}, {View("T")}, {View("T")}, {View(c)}, {View(c)}, int, int";
        string biasTypeArgs = $"{View("T")}, {View(c)}, int, int, int";
        string combineTypeArgs = $"{View(c)}, {View(c)}, int, int, int, int";
        var groups = new List<(string, (string, string)[])> { (dxTypeArgs, new[] { ("WarpPerRow", "WarpPerRowKernel<T, TSpec>"), ("GroupPerRow", "GroupPerRowKernel<T, TSpec>") }) };
        if (parts.Recompute) groups.Add((statisticsTypeArgs, new[] { ("StatisticsWarpPerRow", "StatisticsWarpPerRowKernel<T, TSpec>"), ("StatisticsGroupPerRow", "StatisticsGroupPerRowKernel<T, TSpec>") }));
        if (parts.GammaGradient) groups.Add((partialTypeArgs, new[] { ("Partials", "PartialsKernel<T, TSpec>") }));
        if (parts.BiasGradient) groups.Add((biasTypeArgs, new[] { ("BiasPartials", "BiasPartialsKernel<T, TSpec>") }));
        if (parts.ColumnGradients) groups.Add((combineTypeArgs, new[] { ("Combine", "GpuDevice.CombineKernel") }));
        EmitLaunchers(w, "T, TSpec", where, groups.ToArray());
    }

    /// <summary>
    /// The backward launch: the dx kernel alone, or under the scratch slot's lock the statistics, partials, dx, dbias
    /// partials and combine kernels that the spec asks for (of those in <paramref name="parts"/>).
    /// </summary>
    private static void EmitBackwardLaunch(SourceWriter w, string c, RowBackwardParts parts)
    {
        string where = BackwardWhere(c);
        string V(string t) => View(t);
        w.Line("/// <summary>");
        w.Line("/// Enqueues the dx kernel; with recomputed statistics, dγ (and dβ) or dbias, under the lock of the stream's scratch");
        w.Line("/// slot and in this order on one stream, without waiting: the statistics kernel, the partials kernel (it reads dy and");
        w.Line("/// x before dx may overwrite them), the dx kernel, the dbias partials kernel (it reads dh as written) and the");
        w.Line("/// combines. Arguments are already checked; rows &gt; 0 unless a column gradient is asked (zero rows write zero");
        w.Line("/// gradients). Absent views stay empty.");
        w.Line("/// </summary>");
        // The optional views in BackwardRoles order, named as the declarations' launches pass them (RoleNames.InBackward).
        string optional = string.Join(", ", BackwardRoles
            .Where(role => role is not (ParamRole.OutputGradient or ParamRole.Input or ParamRole.InputGradient))
            .Select(role => $"{V(role is ParamRole.Mean or ParamRole.Rstd or ParamRole.GammaGradient or ParamRole.BetaGradient or ParamRole.BiasGradient ? c : "T")} {RoleNames.InBackward(role)} = default"));
        w.Line($"internal static void Launch<T, TSpec>(global::ILGPU.Runtime.AcceleratorStream stream, {V("T")} dy, {V("T")} x, {V("T")} dx, int rowLength, int rows, {optional})");
        w.Open($"    {where}");
        w.Line("Launchers<T, TSpec> l = Launchers<T, TSpec>.Cache.GetValue(stream.Accelerator, static accelerator => new Launchers<T, TSpec>(accelerator));");
        if (parts.Any) EmitBackwardScratchLaunch(w, c, parts);
        else w.Line($"LaunchDx(stream, l, {BackwardDxArgs}); // no declaration computed in {c} recomputes its statistics or writes a column gradient");
        w.Close();
        w.Line();
        EmitBackwardLaunchHelpers(w, c, parts);
    }

    /// <summary>
    /// The launch's body when some declaration launches more than dx: dx alone for the others, else the kernels of
    /// <paramref name="parts"/> that the spec's flags ask for, under the scratch slot's lock.
    /// </summary>
    private static void EmitBackwardScratchLaunch(SourceWriter w, string c, RowBackwardParts parts)
    {
        List<string> partFlags = BackwardPartFlags(parts).ToList();
        w.Line("GpuBackwardFlags flags = default(TSpec).Flags;");
        w.Open($"if ((flags & {(partFlags.Count == 1 ? partFlags[0] : "(" + string.Join(" | ", partFlags) + ")")}) == 0)");
        w.Line($"LaunchDx(stream, l, {BackwardDxArgs});");
        w.Line("return;");
        w.Close();
        var scratch = new List<string>();
        if (parts.ColumnGradients)
        {
            w.Line("int elementGroup = global::System.Math.Min(256, l.MaxThreadsPerGroup);");
            w.Line("int blocks = (rows + BlockRows - 1) / BlockRows;");
            w.Line("int gradients = Gradients(flags);");
        }
        if (parts.Recompute)
        {
            w.Line("long statistics = (flags & GpuBackwardFlags.Recompute) != 0 ? 2L * rows : 0;");
            scratch.Add("statistics");
        }
        if (parts.ColumnGradients)
        {
            w.Line("long cells = (long)blocks * rowLength;");
            scratch.Add("cells * gradients");
        }
        w.Line($"global::NormGen.ScratchSlot slot = global::NormGen.NormGpu.Scratch<{c}>(stream);");
        w.Line("// Under the slot's lock no other call can enqueue its kernels between ours; stream order does the rest.");
        w.Open("lock (slot)");
        w.Line(ScratchLayoutComment(parts));
        w.Line($"global::ILGPU.Runtime.MemoryBuffer1D<{c}, global::ILGPU.Stride1D.Dense> scratch = GpuDevice.Scratch<{c}>(stream, slot, {string.Join(" + ", scratch)});");
        if (parts.ColumnGradients)
            w.Line($"{View(c)} partials = gradients > 0 ? scratch.View.SubView({(parts.Recompute ? "statistics" : "0")}, cells * gradients) : default;");
        w.Open("if (rows > 0)");
        EmitBackwardRowKernelLaunches(w, parts);
        w.Close();
        EmitBackwardCombines(w, parts);
        w.Close();
    }

    /// <summary>What the scratch buffer holds, for the launch's comment: the recomputed statistics, then the partial rows of <paramref name="parts"/>.</summary>
    private static string ScratchLayoutComment(RowBackwardParts parts)
    {
        var gradients = new List<string>();
        if (parts.GammaGradient) gradients.Add("dγ, dβ");
        if (parts.BiasGradient) gradients.Add("dbias");
        string partials = $"per block the {string.Join(" and ", gradients)} partial rows asked for";
        if (!parts.Recompute) return "// P" + partials.Substring(1) + ".";
        return gradients.Count == 0 ? "// The recomputed mean and rstd." : "// The recomputed mean and rstd, then " + partials + ".";
    }

    /// <summary>The spec flags that ask for a kernel of <paramref name="parts"/>, as the launch tests them.</summary>
    private static IEnumerable<string> BackwardPartFlags(RowBackwardParts parts)
    {
        if (parts.Recompute) yield return "GpuBackwardFlags.Recompute";
        if (parts.GammaGradient) yield return "GpuBackwardFlags.GammaGradient";
        if (parts.BiasGradient) yield return "GpuBackwardFlags.BiasGradient";
    }

    /// <summary>The launch's kernels over the rows (rows &gt; 0): statistics, partials, dx, dbias partials, those the flags ask for (of <paramref name="parts"/>).</summary>
    private static void EmitBackwardRowKernelLaunches(SourceWriter w, RowBackwardParts parts)
    {
        if (parts.Recompute)
        {
            w.Open("if (statistics > 0)");
            w.Line("mean = scratch.View.SubView(0, rows);");
            w.Line("rstd = scratch.View.SubView(rows, rows);");
            w.Line("LaunchStatistics(stream, l, x, sublayer, bias, mean, rstd, rowLength, rows);");
            w.Close();
        }
        if (parts.ColumnGradients)
            w.Line("int partialGrid = global::NormGen.NormGpu.GridSize((int)global::System.Math.Min((cells + elementGroup - 1) / elementGroup, int.MaxValue), 1, elementGroup, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
        if (parts.GammaGradient)
        {
            w.Line("if ((flags & GpuBackwardFlags.GammaGradient) != 0)");
            w.Line("    l.Partials.Value(stream, new global::ILGPU.KernelConfig(partialGrid, elementGroup), dy, x, sublayer, bias, mean, rstd, gamma, beta, partials, rowLength, rows);");
        }
        w.Line($"LaunchDx(stream, l, {BackwardDxArgs});");
        if (!parts.BiasGradient) return;
        w.Line("// dh as written: dx (pre-norm residual) or dsublayer (DeepNorm).");
        w.Line("if ((flags & GpuBackwardFlags.BiasGradient) != 0)");
        w.Line("    l.BiasPartials.Value(stream, new global::ILGPU.KernelConfig(partialGrid, elementGroup), (flags & GpuBackwardFlags.Sublayer) != 0 ? dsublayer : dx, partials, rowLength, rows, gradients);");
    }

    /// <summary>The combines of the column gradients in <paramref name="parts"/>, each when the flags ask for it: every column's partials added in block order.</summary>
    private static void EmitBackwardCombines(SourceWriter w, RowBackwardParts parts)
    {
        if (!parts.ColumnGradients) return;
        w.Line("int combineGrid = global::NormGen.NormGpu.GridSize((rowLength + elementGroup - 1) / elementGroup, 1, elementGroup, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
        foreach ((string flag, string output, string index, bool present) in new[]
        {
            ("GammaGradient", "dgamma", "0", parts.GammaGradient),
            ("BetaGradient", "dbeta", "1", parts.GammaGradient),
            ("BiasGradient", "dbias", "gradients - 1", parts.BiasGradient),
        })
        {
            if (!present) continue;
            w.Line($"if ((flags & GpuBackwardFlags.{flag}) != 0)");
            w.Line($"    l.Combine.Value(stream, new global::ILGPU.KernelConfig(combineGrid, elementGroup), partials, {output}, rowLength, blocks, gradients, {index});");
        }
    }

    /// <summary>The launch's helpers: the number of partial rows per block, and the row kernels' picks of warp or group per row.</summary>
    private static void EmitBackwardLaunchHelpers(SourceWriter w, string c, RowBackwardParts parts)
    {
        string where = BackwardWhere(c);
        if (parts.ColumnGradients)
        {
            w.Line("/// <summary>Partial rows per block: dγ, dβ and dbias, those asked for, in that order.</summary>");
            w.Line("private static int Gradients(GpuBackwardFlags flags) =>");
            w.Line("    ((flags & GpuBackwardFlags.GammaGradient) != 0 ? 1 : 0) + ((flags & GpuBackwardFlags.BetaGradient) != 0 ? 1 : 0) + ((flags & GpuBackwardFlags.BiasGradient) != 0 ? 1 : 0);");
            w.Line();
        }
        w.Line("/// <summary>Picks the dx kernel (warp or group per row) and its geometry, and enqueues it.</summary>");
        w.Line($"private static void LaunchDx<T, TSpec>(global::ILGPU.Runtime.AcceleratorStream stream, Launchers<T, TSpec> l, {BackwardDxViews(c)}, int rowLength, int rows)");
        w.Open($"    {where}");
        EmitRowLaunch(w, warpKernel: true, groupKernel: true, "rowLength", BackwardDxArgs);
        w.Close();
        w.Line();
        if (!parts.Recompute) return;
        w.Line("/// <summary>Picks the statistics kernel by the forward's rule (warp or group per row, the same geometry), and enqueues it.</summary>");
        w.Line($"private static void LaunchStatistics<T, TSpec>(global::ILGPU.Runtime.AcceleratorStream stream, Launchers<T, TSpec> l, {BackwardStatisticsViews(c)}, int rowLength, int rows)");
        w.Open($"    {where}");
        EmitRowLaunch(w, warpKernel: true, groupKernel: true, "rowLength", BackwardStatisticsArgs, "Statistics");
        w.Close();
        w.Line();
    }

    /// <summary>The per-element helpers of the backward kernels: h, x̂, γ as applied, dz and g.</summary>
    private static void EmitBackwardElementHelpers(SourceWriter w, string c)
    {
        string where = BackwardWhere(c);
        string V(string t) => View(t);
        string one = One(c);
        EmitRowValue(w, c, where, new RowValueNames("<T, TSpec>", "T", "GpuBackwardFlags.Sublayer", null, "GpuBackwardFlags.ResidualBias", "sublayer", "DeepNorm's h = α·x + sublayer (+ bias)"));
        w.Line();
        w.Line("/// <summary>x̂ at element <paramref name=\"index\"/> (column <paramref name=\"column\"/>) of a row with the statistics mu (LayerNorm) and r: (h − μ)·rstd or h·rstd.</summary>");
        w.Line($"private static {c} Normalized<T, TSpec>(TSpec spec, {V("T")} x, {V("T")} sublayer, {V("T")} bias, long index, int column, {c} mu, {c} r) {where} =>");
        w.Line("    (spec.Flags & GpuBackwardFlags.Centered) != 0 ? (Value<T, TSpec>(spec, x, sublayer, bias, index, column) - mu) * r : Value<T, TSpec>(spec, x, sublayer, bias, index, column) * r;");
        w.Line();
        w.Line("/// <summary>γ as the forward applied it at <paramref name=\"column\"/>: γ or 1 + γ (call only with γ).</summary>");
        w.Line($"private static {c} Scale<T, TSpec>(TSpec spec, {V("T")} gamma, int column) {where} =>");
        w.Line($"    (spec.Flags & GpuBackwardFlags.ZeroCenteredGamma) != 0 ? {one} + spec.Load(gamma[column]) : spec.Load(gamma[column]);");
        w.Line();
        w.Line("/// <summary>dz at element <paramref name=\"index\"/>: dy, or with the activation epilogue dy·act′(z), z = x̂·γ + β as the span method recomputes it.</summary>");
        w.Open($"private static {c} OutputGradient<T, TSpec>(TSpec spec, {V("T")} dy, {V("T")} gamma, {V("T")} beta, long index, int column, {c} xh) {where}");
        w.Line($"{c} d = spec.Load(dy[index]);");
        w.Line("if ((spec.Flags & GpuBackwardFlags.Activation) == 0) return d;");
        w.Line($"{c} z = (spec.Flags & GpuBackwardFlags.Gamma) != 0 ? xh * Scale<T, TSpec>(spec, gamma, column) : xh;");
        w.Line("if ((spec.Flags & GpuBackwardFlags.Beta) != 0) z += spec.Load(beta[column]);");
        w.Line("return d * spec.ActivationGradient(z);");
        w.Close();
        w.Line();
        w.Line("/// <summary>g at element <paramref name=\"index\"/>: dz, dz·γ or dz·(1 + γ).</summary>");
        w.Open($"private static {c} Gradient<T, TSpec>(TSpec spec, {V("T")} dy, {V("T")} gamma, {V("T")} beta, long index, int column, {c} xh) {where}");
        w.Line($"{c} d = OutputGradient<T, TSpec>(spec, dy, gamma, beta, index, column, xh);");
        w.Line("return (spec.Flags & GpuBackwardFlags.Gamma) != 0 ? d * Scale<T, TSpec>(spec, gamma, column) : d;");
        w.Close();
        w.Line();
    }

    /// <summary>
    /// The statistics kernels (recomputed statistics): each row's mean and rstd by the forward row kernels' own code
    /// (<see cref="EmitRowStatistics"/>, the same thread shapes and geometry), saved as the forward saves them.
    /// </summary>
    private static void EmitBackwardStatisticsKernels(SourceWriter w, string c)
    {
        string where = BackwardWhere(c);
        string parameters = $"{BackwardStatisticsViews(c)}, int rowLength, int rows";
        w.Line("// The statistics kernels (Recompute): each row's mean and rstd by the forward row kernels' own code, thread shapes and");
        w.Line("// geometry, so they are the bits the GPU forward saves; the other kernels then read them as saved statistics.");
        EmitKernelPair(w, c, "<T, TSpec>", parameters, BackwardStatisticsArgs, where, "Statistics");
        w.Line();
        OpenRowsBody(w, c, "<T, TSpec>", parameters, where, "Statistics");
        w.Line("int n = spec.RowLength > 0 ? spec.RowLength : rowLength; // a constant when the declaration's shape is");
        w.Line("long start = (long)row * n;");
        foreach (bool centers in new[] { true, false })
        {
            w.Open(centers ? "if ((spec.Flags & GpuBackwardFlags.Centered) != 0)" : "else");
            EmitRowStatistics(w, new RowReading(c, centers, "n", ThreadLoop, i => i == "0" ? "Value<T, TSpec>(spec, x, sublayer, bias, start, 0)" : $"Value<T, TSpec>(spec, x, sublayer, bias, start + {i}, {i})",
                "element", "element", v => $"threads.Sum({v}, partials)", v => $"threads.Max({v}, partials)", "GpuDevice.", "spec.Epsilon"));
            w.Open("if (threads.IsFirst)");
            if (centers) w.Line($"meanOut[row] = {SavedMean};");
            w.Line($"rstdOut[row] = {SavedRstd(c, centers)};");
            w.Close();
            w.Close();
        }
        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>The dx kernels: the warp and group kernel pair, the two-pass row body.</summary>
    private static void EmitBackwardDxKernels(SourceWriter w, string c)
    {
        string where = BackwardWhere(c);
        string dxViews = BackwardDxViews(c);
        string one = One(c);
        string zero = Zero(c);
        EmitKernelPair(w, c, "<T, TSpec>", $"{dxViews}, int rowLength, int rows", BackwardDxArgs, where);
        w.Line();
        OpenRowsBody(w, c, "<T, TSpec>", $"{dxViews}, int rowLength, int rows", where);
        w.Line("int n = spec.RowLength > 0 ? spec.RowLength : rowLength; // a constant when the declaration's shape is");
        w.Line("long start = (long)row * n;");
        w.Line("bool centered = (spec.Flags & GpuBackwardFlags.Centered) != 0;");
        w.Line($"{c} mu = centered ? mean[row] : {zero};");
        w.Line($"{c} r = rstd[row];");
        w.Line("// Pass 1: the sums of g and g·x̂.");
        w.Line($"{c} sg = {zero}, sx = {zero};");
        w.Open(ThreadLoop);
        w.Line($"{c} xh = Normalized<T, TSpec>(spec, x, sublayer, bias, start + i, i, mu, r);");
        w.Line($"{c} g = Gradient<T, TSpec>(spec, dy, gamma, beta, start + i, i, xh);");
        w.Line("if (centered) sg += g;");
        w.Line("sx += g * xh;");
        w.Close();
        w.Line($"{c} inverseN = {one} / n;");
        w.Line($"{c} c1 = centered ? threads.Sum(sg, partials) * inverseN : {zero}; // RMSNorm: no mean(g) term");
        w.Line($"{c} c2 = threads.Sum(sx, partials) * inverseN;");
        w.Line();
        w.Line("// Pass 2: dx = rstd·(g − c₁ − x̂·c₂) (+ dResidualOut: dh, dx rounded to the compute type first, as the span");
        w.Line("// method's second pass; DeepNorm: dsublayer = dh, dx = α·dh). Each element is read and written by the same");
        w.Line("// thread, after every read of the row, so dx may be dy or x (and dsublayer sublayer).");
        w.Open(ThreadLoop);
        w.Line($"{c} xh = Normalized<T, TSpec>(spec, x, sublayer, bias, start + i, i, mu, r);");
        w.Line($"{c} g = Gradient<T, TSpec>(spec, dy, gamma, beta, start + i, i, xh);");
        w.Line($"{c} v = r * (g - c1 - xh * c2);");
        w.Line("if ((spec.Flags & GpuBackwardFlags.ResidualGradient) != 0) v += spec.Load(dResidualOut[start + i]);");
        w.Open("if ((spec.Flags & GpuBackwardFlags.Sublayer) != 0)");
        w.Line("dsublayer[start + i] = spec.Store(v);");
        w.Line("v *= spec.Alpha;");
        w.Close();
        w.Line("dx[start + i] = spec.Store(v);");
        w.Close();
        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>The dγ/dβ partials kernel: one thread per (block, column), the block's rows in row order.</summary>
    private static void EmitBackwardPartialsKernel(SourceWriter w, string c)
    {
        string where = BackwardWhere(c);
        string zero = Zero(c);
        w.Line("/// <summary>");
        w.Line("/// One thread per (block, column), the grid striding over them: the block's rows in row order, Σ dz·x̂ (and Σ dz)");
        w.Line("/// into the block's partial rows. Consecutive threads take consecutive columns, so the reads are coalesced.");
        w.Line("/// </summary>");
        w.Line($"private static void PartialsKernel<T, TSpec>({BackwardPartialViews(c)}, int rowLength, int rows)");
        w.Open($"    {where}");
        w.Line("TSpec spec = default;");
        w.Line("int n = spec.RowLength > 0 ? spec.RowLength : rowLength; // a constant when the declaration's shape is");
        w.Line("bool betaGradient = (spec.Flags & GpuBackwardFlags.BetaGradient) != 0;");
        w.Line("int gradients = Gradients(spec.Flags);");
        w.Line("long cells = (long)((rows + BlockRows - 1) / BlockRows) * n;");
        w.Line("long step = (long)global::ILGPU.Grid.DimX * global::ILGPU.Group.DimX;");
        w.Open("for (long cell = global::ILGPU.Grid.GlobalIndex.X; cell < cells; cell += step)");
        w.Line("int block = (int)(cell / n);");
        w.Line("int column = (int)(cell - (long)block * n);");
        w.Line("int firstRow = block * BlockRows;");
        w.Line("int lastRow = rows - firstRow < BlockRows ? rows : firstRow + BlockRows;");
        w.Line($"{c} pg = {zero}, pb = {zero};");
        w.Open("for (int row = firstRow; row < lastRow; row++)");
        w.Line("long index = (long)row * n + column;");
        w.Line($"{c} mu = (spec.Flags & GpuBackwardFlags.Centered) != 0 ? mean[row] : {zero};");
        w.Line($"{c} xh = Normalized<T, TSpec>(spec, x, sublayer, bias, index, column, mu, rstd[row]);");
        w.Line($"{c} d = OutputGradient<T, TSpec>(spec, dy, gamma, beta, index, column, xh);");
        w.Line("pg += d * xh;");
        w.Line("if (betaGradient) pb += d;");
        w.Close();
        w.Line("partials[(long)block * gradients * n + column] = pg;");
        w.Line("if (betaGradient) partials[((long)block * gradients + 1) * n + column] = pb;");
        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>The dbias partials kernel: one thread per (block, column), Σ dh over the block's rows in row order.</summary>
    private static void EmitBiasPartialsKernel(SourceWriter w, string c)
    {
        string zero = Zero(c);
        w.Line("/// <summary>");
        w.Line("/// The residual bias's gradient, after the dx kernel: one thread per (block, column), Σ dh over the block's rows in row");
        w.Line("/// order (dh as written), into the block's last partial row.");
        w.Line("/// </summary>");
        w.Line($"private static void BiasPartialsKernel<T, TSpec>({View("T")} dh, {View(c)} partials, int rowLength, int rows, int gradients)");
        w.Open($"    {BackwardWhere(c)}");
        w.Line("TSpec spec = default;");
        w.Line("int n = spec.RowLength > 0 ? spec.RowLength : rowLength; // a constant when the declaration's shape is");
        w.Line("long cells = (long)((rows + BlockRows - 1) / BlockRows) * n;");
        w.Line("long step = (long)global::ILGPU.Grid.DimX * global::ILGPU.Group.DimX;");
        w.Open("for (long cell = global::ILGPU.Grid.GlobalIndex.X; cell < cells; cell += step)");
        w.Line("int block = (int)(cell / n);");
        w.Line("int column = (int)(cell - (long)block * n);");
        w.Line("int lastRow = rows - block * BlockRows < BlockRows ? rows : (block + 1) * BlockRows;");
        w.Line($"{c} s = {zero};");
        w.Line("for (int row = block * BlockRows; row < lastRow; row++)");
        w.Line("    s += spec.Load(dh[(long)row * n + column]);");
        w.Line("partials[((long)block * gradients + gradients - 1) * n + column] = s;");
        w.Close();
        w.Close();
    }

    /// <summary>
    /// act′(z) of the backward's activation epilogue, in the device class: the span method's derivatives
    /// (<c>NormGen.ActivationGradient</c>), each written from e = e^(−|·|) alone so that nothing cancels, with the device's
    /// own e^v (arithmetic only, as the forward activations). NaN stays NaN.
    /// </summary>
    private static void EmitActivationGradient(SourceWriter w, ActivationKind activation, bool dbl)
    {
        string c = dbl ? "double" : "float";
        string f = dbl ? "d" : "f";
        string L(double value) => dbl ? CpuEmitterText.Literal(value, "double") : CpuEmitterText.Float((float)value) + "f";
        w.Line();
        string head = $"internal static {c} {activation}Gradient({c} z)";
        switch (activation)
        {
            case ActivationKind.Relu:
                w.Line("/// <summary>ReLU′: 1 above 0, else 0; NaN stays NaN.</summary>");
                w.Line($"{head} => z > 0{f} ? 1{f} : {c}.IsNaN(z) ? z : 0{f};");
                return;
            case ActivationKind.Gelu:
                w.Line("/// <summary>GELU′ = Φ(z) + z·φ(z), Φ from the forward's erf approximation without the 1 + erf that would cancel: ½·poly·e^(−z²/2) below 0, 1 − that above.</summary>");
                w.Open(head);
                w.Line($"{c} a = (z < 0{f} ? -z : z) * {L(InverseSqrt2)};");
                EmitErfPolynomial(w, c, f, L);
                w.Line($"{c} e = Exp(-(a * a));");
                w.Line($"{c} lower = 0.5{f} * poly * e;");
                w.Line($"return (z < 0{f} ? lower : 1{f} - lower) + z * e * {L(0.39894228040143267794)};");
                break;
            case ActivationKind.GeluTanh:
                w.Line("/// <summary>The derivative of GELU's tanh form: ½(1 + tanh u) = σ(2u) and ½·sech²(u) = 2e/(1 + e)² with e = e^(−2|u|).</summary>");
                w.Open(head);
                w.Line($"{c} z2 = z * z;");
                w.Line($"{c} u = {L(SqrtTwoOverPi)} * (z + {L(GeluCubic)} * z2 * z);");
                w.Line($"{c} e = Exp(-((u < 0{f} ? -u : u) * 2{f}));");
                w.Line($"{c} r = 1{f} / (1{f} + e);");
                w.Line($"{c} slope = {L(2 * SqrtTwoOverPi)} * (1{f} + {L(3 * GeluCubic)} * z2);");
                w.Line($"return (u < 0{f} ? e * r : r) + z * slope * e * (r * r);");
                break;
            case ActivationKind.Silu:
                w.Line("/// <summary>SiLU′ = σ(z)·(1 + z·(1 − σ(z))), σ and 1 − σ from e = e^(−|z|).</summary>");
                w.Open(head);
                w.Line($"{c} e = Exp(z < 0{f} ? z : -z);");
                w.Line($"{c} r = 1{f} / (1{f} + e);");
                w.Line($"{c} er = e * r;");
                w.Line($"return (z < 0{f} ? er : r) * (1{f} + z * (z < 0{f} ? r : er));");
                break;
            case ActivationKind.Tanh:
                w.Line("/// <summary>tanh′ = 1 − tanh² = 4e/(1 + e)² with e = e^(−2|z|).</summary>");
                w.Open(head);
                w.Line($"{c} e = Exp(-((z < 0{f} ? -z : z) * 2{f}));");
                w.Line($"{c} r = 1{f} / (1{f} + e);");
                w.Line($"return 4{f} * e * (r * r);");
                break;
            case ActivationKind.Sigmoid:
                w.Line("/// <summary>σ′ = σ·(1 − σ) = e/(1 + e)² with e = e^(−|z|).</summary>");
                w.Open(head);
                w.Line($"{c} e = Exp(z < 0{f} ? z : -z);");
                w.Line($"{c} r = 1{f} / (1{f} + e);");
                w.Line("return e * (r * r);");
                break;
        }
        w.Close();
    }

    /// <summary>The backward kernels' accessor of the stream's cached scratch buffer (see <c>NormGen.ScratchSlot</c>), once per compilation in the device class.</summary>
    internal static void EmitScratchMethod(SourceWriter w)
    {
        const string c = "T";
        string buffer = $"global::ILGPU.Runtime.MemoryBuffer1D<{c}, global::ILGPU.Stride1D.Dense>";
        w.Line("/// <summary>");
        w.Line("/// The stream's cached scratch buffer, at least <paramref name=\"length\"/> elements: reused as it is when large enough;");
        w.Line("/// otherwise the stream is waited for (its earlier calls may still read the old buffer), the old buffer freed and a");
        w.Line("/// larger one allocated. Called under the slot's lock.");
        w.Line("/// </summary>");
        w.Open($"internal static {buffer} Scratch<T>(global::ILGPU.Runtime.AcceleratorStream stream, global::NormGen.ScratchSlot slot, long length) where T : unmanaged");
        w.Line($"if (slot.Buffer is {buffer} cached && cached.Length >= length) return cached;");
        w.Open("if (slot.Buffer is global::System.IDisposable old)");
        w.Line("stream.Synchronize();");
        w.Line("slot.Buffer = null;");
        w.Line("old.Dispose();");
        w.Close();
        w.Line($"{buffer} fresh = stream.Accelerator.Allocate1D<{c}>(global::NormGen.NormGpu.ScratchLength(length));");
        w.Line("slot.Buffer = fresh;");
        w.Line("return fresh;");
        w.Close();
        w.Line();
    }

    /// <summary>The backward kernels' combine of the dγ/dβ block partials, once per compilation in the device class, in compute type <paramref name="c"/>.</summary>
    internal static void EmitCombineKernel(SourceWriter w, string c)
    {
        string zero = Zero(c);
        w.Line("/// <summary>");
        w.Line("/// The backward kernels' combine, one thread per column: the column's block partials (per block, <paramref name=\"gradients\"/>");
        w.Line("/// partial rows; gradient which: 0 dγ, 1 dβ) added in block order, in chunks of " + Lit(CombineChunk) + " whose totals are added in order, so");
        w.Line("/// the order is fixed by the row count alone. Zero blocks write zeros.");
        w.Line("/// </summary>");
        w.Open($"internal static void CombineKernel(global::ILGPU.ArrayView<{c}> partials, global::ILGPU.ArrayView<{c}> output, int rowLength, int blocks, int gradients, int which)");
        w.Line($"const int CombineChunk = {Lit(CombineChunk)};");
        w.Line("int step = global::ILGPU.Grid.DimX * global::ILGPU.Group.DimX;");
        w.Open("for (int column = global::ILGPU.Grid.GlobalIndex.X; column < rowLength; column += step)");
        w.Line($"{c} total = {zero};");
        w.Open("for (int chunk = 0; chunk < blocks; chunk += CombineChunk)");
        w.Line("int end = blocks - chunk < CombineChunk ? blocks : chunk + CombineChunk;");
        w.Line($"{c} s = {zero};");
        w.Line("for (int block = chunk; block < end; block++)");
        w.Line("    s += partials[((long)block * gradients + which) * rowLength + column];");
        w.Line("total += s;");
        w.Close();
        w.Line("output[column] = total;");
        w.Close();
        w.Close();
    }
}
