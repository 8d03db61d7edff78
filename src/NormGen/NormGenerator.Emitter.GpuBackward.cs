using System.Collections.Generic;
using System.Linq;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// The ILGPU variant of a row backward kernel (<c>[LayerNorm(Backward = true)]</c>, <c>[RmsNorm(Backward = true)]</c>,
/// flat spans, with or without the pre-norm residual's dh = dx + dResidualOut fused into the dx pass): dx by one warp
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

    /// <summary>The kernel class's view parameters of the dx kernel, in order, with canonical names.</summary>
    private static readonly (ParamRole Role, string Name)[] BackwardRoles =
    {
        (ParamRole.OutputGradient, "dy"),
        (ParamRole.ResidualOutGradient, "dResidualOut"),
        (ParamRole.Input, "x"),
        (ParamRole.Mean, "mean"),
        (ParamRole.Rstd, "rstd"),
        (ParamRole.Gamma, "gamma"),
        (ParamRole.InputGradient, "dx"),
        (ParamRole.GammaGradient, "dgamma"),
        (ParamRole.BetaGradient, "dbeta"),
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
        string modifiers = string.Join(" ", spec.Modifiers.Split(' ').Where(m => m.Length > 0 && m != "partial"));
        string accelerator = Unique(spec, "accelerator");
        string stream = Unique(spec, "stream");
        var parameters = spec.Parameters.Select(p => p.Role == ParamRole.RowLength ? "int " + CpuEmitter.Id(p.Name) : View(PublicElement(p.Element)) + " " + CpuEmitter.Id(p.Name)).ToList();
        var arguments = spec.Parameters.Select(p => CpuEmitter.Id(p.Name)).ToList();
        string parameterList = string.Join(", ", parameters);
        string Id(ParamRole role) => CpuEmitter.Id(spec.Parameter(role)!.Name);

        EmitBackwardDocumentation(w, spec, StreamOverloadCref(spec, parameters));
        EmitDefaultStreamOverload(w, spec, modifiers, accelerator, parameterList, arguments);
        w.Line();

        EmitBackwardDocumentation(w, spec, defaultStreamOf: null);
        w.Line(Generated);
        w.Open($"{modifiers} void {CpuEmitter.Id(spec.MethodName)}(global::ILGPU.Runtime.AcceleratorStream {stream}, {parameterList})");
        w.Line($"if ({stream} is null) throw new global::System.ArgumentNullException({CpuEmitter.StrOfId(stream)});");
        string k = GpuKernelClassName(spec);
        string x = Id(ParamRole.Input), dy = Id(ParamRole.OutputGradient), dx = Id(ParamRole.InputGradient);
        string rowLength = spec.RowLengthParameter?.Name == "rowLength" ? "rowLength" : Unique(spec, "rowLength");
        string rows = Unique(spec, "rows");
        if (spec.HasStaticShape)
        {
            w.Line($"const int {rowLength} = {Lit(spec.StaticRowLength)};");
        }
        else
        {
            string n = CpuEmitter.Id(spec.RowLengthParameter!.Name);
            w.Line($"global::NormGen.NormGpu.PositiveRowLength({n}, {CpuEmitter.StrOfId(n)});");
            if (n != rowLength) w.Line($"int {rowLength} = {n};");
        }
        w.Line($"int {rows} = global::NormGen.NormGpu.RowCount({x}.Length, {rowLength}, {CpuEmitter.StrOfId(x)});");
        w.Line($"global::NormGen.NormGpu.Length({dy}.Length, {x}.Length, {CpuEmitter.StrOfId(dy)}, \"one per element of {spec.Input.Name}\");");
        w.Line($"global::NormGen.NormGpu.Length({dx}.Length, {x}.Length, {CpuEmitter.StrOfId(dx)}, \"one per element of {spec.Input.Name}\");");
        if (spec.Parameter(ParamRole.ResidualOutGradient) is { } dr)
            w.Line($"global::NormGen.NormGpu.Length({CpuEmitter.Id(dr.Name)}.Length, {x}.Length, {CpuEmitter.StrOfId(CpuEmitter.Id(dr.Name))}, \"one per element of {spec.Input.Name}\");");
        foreach (ParameterSpec p in spec.Parameters)
        {
            string id = CpuEmitter.Id(p.Name);
            if (p.Role is ParamRole.Mean or ParamRole.Rstd)
                w.Line($"global::NormGen.NormGpu.Length({id}.Length, {rows}, {CpuEmitter.StrOfId(id)}, \"one per row\");");
            else if (p.Role is ParamRole.Gamma or ParamRole.GammaGradient or ParamRole.BetaGradient)
                w.Line($"global::NormGen.NormGpu.Length({id}.Length, {rowLength}, {CpuEmitter.StrOfId(id)}, \"one per normalized element\");");
        }
        // The CPU form's aliasing rules, from the same table: dx may be dy or x itself; no output shares memory with
        // another output or with the saved statistics, γ or dResidualOut.
        EmitOverlapChecks(w, spec, k);
        if (!HasParameterGradients(spec)) w.Line($"if ({rows} == 0) return;");
        w.Line(BackwardLaunch(spec, stream, rowLength, rows));
        w.Close();
    }

    /// <summary>A backward overload's documentation (see <see cref="EmitDocumentation"/>).</summary>
    private static void EmitBackwardDocumentation(SourceWriter w, KernelSpec spec, string? defaultStreamOf)
    {
        string Ref(ParamRole role) => $"<paramref name=\"{spec.Parameter(role)!.Name}\"/>";
        string rowText = spec.HasStaticShape
            ? $"rows of {Lit(spec.StaticRowLength)} elements"
            : $"rows of <paramref name=\"{spec.RowLengthParameter!.Name}\"/> elements";
        string on = defaultStreamOf is null ? "enqueued on <paramref name=\"stream\"/>" : "enqueued on the accelerator's default stream";
        w.Line("/// <summary>");
        w.Line($"/// Backward of the {(spec.Kind == NormKind.RmsNorm ? "RMS" : "layer")} normalization on an ILGPU accelerator, over {rowText}: the gradient {Ref(ParamRole.InputGradient)}{(HasParameterGradients(spec) ? " and those of the affine parameters" : "")}, given {Ref(ParamRole.OutputGradient)}; {on}, not synchronised.");
        w.Line("/// </summary>");
        if (defaultStreamOf is not null) EmitDefaultStreamRemarks(w, defaultStreamOf);
        else EmitBackwardRemarks(w, spec);
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A view's length does not fit the others, or an output overlaps an input without being the same view, or two outputs overlap. Nothing is enqueued.</exception>");
    }

    /// <summary>The backward stream overload's remarks: the math, the residual gradient, the views, the kernels, the scratch.</summary>
    private static void EmitBackwardRemarks(SourceWriter w, KernelSpec spec)
    {
        bool rms = spec.Kind == NormKind.RmsNorm;
        string Ref(ParamRole role) => $"<paramref name=\"{spec.Parameter(role)!.Name}\"/>";
        bool grads = HasParameterGradients(spec);
        string xhat = rms ? "x̂ = x·rstd" : "x̂ = (x − μ)·rstd";
        string g = spec.Gamma is null ? "g = dy" : spec.ZeroCenteredGamma ? "g = dy·(1 + γ) (zero-centred γ)" : "g = dy·γ";
        string dxText = rms ? "dx = rstd·(g − x̂·mean(g·x̂))" : "dx = rstd·(g − mean(g) − x̂·mean(g·x̂))";
        var gradText = new List<string>();
        if (spec.Parameter(ParamRole.GammaGradient) is not null) gradText.Add($"{Ref(ParamRole.GammaGradient)} = Σ dy·x̂");
        if (spec.Parameter(ParamRole.BetaGradient) is not null) gradText.Add($"{Ref(ParamRole.BetaGradient)} = Σ dy");
        string stats = spec.Parameter(ParamRole.Mean) is null ? Ref(ParamRole.Rstd) : $"{Ref(ParamRole.Mean)} and {Ref(ParamRole.Rstd)}";
        w.Line("/// <remarks>");
        w.Line($"/// <para>GPU variant of the span method of the same name, with the same math (PyTorch's native backward): {xhat} with the forward's saved {stats}, {g}, {dxText} per row{(grads ? "; over all rows, " + string.Join(" and ", gradText) + " (written, not accumulated)" : "")}.</para>");
        bool residual = spec.Parameter(ParamRole.ResidualOutGradient) is not null;
        if (residual)
            w.Line($"/// <para>Pre-norm residual: the forward normalized h = x + residual and passed h on, so {Ref(ParamRole.Input)} here is that h (the forward's residual output) and {Ref(ParamRole.InputGradient)} receives dh = dx + {Ref(ParamRole.ResidualOutGradient)}, the one gradient of both x and the residual (as flash-attention and Liger), added in the dx kernel's last pass (one pass on the GPU; the span method adds it in a second pass over dh, so the two may differ by one float rounding of dx).</para>");
        string rowViews = residual
            ? $"{Ref(ParamRole.OutputGradient)}, {Ref(ParamRole.ResidualOutGradient)}, {Ref(ParamRole.Input)} and {Ref(ParamRole.InputGradient)}"
            : $"{Ref(ParamRole.OutputGradient)}, {Ref(ParamRole.Input)} and {Ref(ParamRole.InputGradient)}";
        string residualAlias = residual ? $" {Ref(ParamRole.ResidualOutGradient)} must not overlap {Ref(ParamRole.InputGradient)} (as in the span method)." : "";
        w.Line($"/// <para>Views: {rowViews} hold the same whole number of rows; {stats} one value per row{(spec.Gamma is not null || grads ? "; γ and its gradients one row" : "")}; all belong to the stream's accelerator. {Ref(ParamRole.InputGradient)} may be {Ref(ParamRole.OutputGradient)} or {Ref(ParamRole.Input)} itself (in place).{residualAlias} Zero rows enqueue {(grads ? "only the kernel that writes zero gradients" : "nothing")}.</para>");
        string kernel = spec.HasStaticShape
            ? spec.StaticRowLength <= WarpPerRowMaxLength ? "one warp per row, warp-shuffle reductions" : "one group per row, warp shuffles meeting in shared memory"
            : $"rows up to {Lit(WarpPerRowMaxLength)} elements: one warp per row; longer rows: one group per row";
        string compute = spec.Element switch { ElementKind.Double => "double", ElementKind.Half => "float (Half widened on load, dx rounded once to Half)", _ => "float" };
        w.Line($"/// <para>dx kernel: {kernel}; two passes over the row (the sums of g and g·x̂, then dx{(residual ? " + dResidualOut" : "")}). Arithmetic in {compute}.</para>");
        if (grads)
        {
            w.Line("/// <para>dγ/dβ without atomics, deterministic (the same bits for the same inputs on the same device, whatever the launch geometry): the rows are cut into blocks of <see cref=\"global::NormGen.RowBackward.BlockRows\"/> rows (a constant, not a device property); one kernel sums each (block, column) over its rows in row order into a scratch buffer, before dx is written (so dx may be dy or x); a second kernel adds each column's block partials in block order, in chunks of " + Lit(CombineChunk) + ", into the outputs.</para>");
            w.Line($"/// <para>Scratch: blocks × {(spec.Parameter(ParamRole.BetaGradient) is not null ? "2 × " : "")}row length {(spec.Element == ElementKind.Double ? "doubles" : "floats")} in the stream's cached buffer (<see cref=\"global::NormGen.ScratchSlot\"/>), reused without waiting: stream order keeps one call's kernels apart from the next's, and the three kernels are enqueued under the slot's lock, so calls from several threads on one stream do not interleave. Only when the buffer must grow does the call wait for the stream before freeing the old one. Read the gradients after synchronising the stream, as any kernel's output.</para>");
        }
        w.Line("/// <para>Compiled once per accelerator, on first use, and cached.</para>");
        w.Line("/// </remarks>");
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
        return flags;
    }

    /// <summary>The spec struct of one backward declaration's GPU kernels: what the shared backward kernels compute for it, as constants.</summary>
    private static void EmitBackwardSpecStruct(SourceWriter w, KernelSpec spec)
    {
        string c = CpuEmitter.ComputeName(spec);
        string t = KernelElement(spec.Element);
        string owner = SpecOwner(spec);
        List<string> flags = BackwardFlags(spec);
        w.Line($"/// <summary>What the shared backward kernels compute for <c>{owner}.{spec.MethodName}</c> (see its remarks), as constants the kernels are compiled with.</summary>");
        w.Line(Generated);
        w.Open($"file readonly struct {GpuKernelClassName(spec)} : {SharedNamespace}IGpuBackwardSpec<{t}, {c}>");
        w.Line($"public {SharedNamespace}GpuBackwardFlags Flags => {FlagsValue("GpuBackwardFlags", flags)};");
        w.Line($"public int RowLength => {(spec.HasStaticShape ? Lit(spec.StaticRowLength) : "0")};");
        w.Line($"public {c} Load({t} v) => {LoadBody(spec.Element)};");
        w.Line($"public {t} Store({c} v) => {StoreBody(spec.Element)};");
        w.Close();
    }

    /// <summary>The shared launch of a backward declaration: its views (absent ones left out, they default to empty), lengths and spec.</summary>
    private static string BackwardLaunch(KernelSpec spec, string stream, string rowLength, string rows)
    {
        var args = new List<string> { stream };
        string Arg(ParamRole role) => SharedKernelView(spec, role);
        args.Add(Arg(ParamRole.OutputGradient));
        args.Add(Arg(ParamRole.Input));
        args.Add(Arg(ParamRole.InputGradient));
        args.Add(rowLength);
        args.Add(rows);
        foreach ((ParamRole role, string name) in BackwardRoles)
            if (role is not (ParamRole.OutputGradient or ParamRole.Input or ParamRole.InputGradient) && spec.Parameter(role) is not null)
                args.Add($"{name}: {Arg(role)}");
        string c = CpuEmitter.ComputeName(spec);
        return $"{SharedNamespace}{BackwardKernelsClass(c)}.Launch<{KernelElement(spec.Element)}, {GpuKernelClassName(spec)}>({string.Join(", ", args)});";
    }

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
        w.Close();
        w.Line();
        w.Line($"/// <summary>One backward declaration's kernels, as constants{AsRowSpec(rowSpec)}.</summary>");
        w.Line("/// <typeparam name=\"T\">The element type of dy, x, γ, dx and dResidualOut.</typeparam>");
        w.Line("/// <typeparam name=\"TCompute\">float (for float and Half) or double: the saved statistics, dγ, dβ and the arithmetic.</typeparam>");
        w.Open("internal interface IGpuBackwardSpec<T, TCompute>");
        w.Line("GpuBackwardFlags Flags { get; }");
        w.Line("/// <summary>The row length when it is a constant of the declaration, 0 when it is a run-time argument.</summary>");
        w.Line("int RowLength { get; }");
        w.Line("/// <summary>An element in the compute type (Half widened).</summary>");
        w.Line("TCompute Load(T value);");
        w.Line("/// <summary>dx rounded once to the element type.</summary>");
        w.Line("T Store(TCompute value);");
        w.Close();
    }

    /// <summary>The shared backward kernels' class constraint on <c>T</c> and <c>TSpec</c> in compute type <paramref name="c"/>.</summary>
    private static string BackwardWhere(string c) => $"where T : unmanaged where TSpec : struct, IGpuBackwardSpec<T, {c}>";

    /// <summary>The dx kernels' views, in their parameter order.</summary>
    private static string BackwardDxViews(string c) =>
        $"{View("T")} dy, {View("T")} dResidualOut, {View("T")} x, {View(c)} mean, {View(c)} rstd, {View("T")} gamma, {View("T")} dx";

    /// <summary>The dx kernels' launcher type arguments (the views, then row length and rows).</summary>
    private static string BackwardDxTypeArgs(string c) => $"{View("T")}, {View("T")}, {View("T")}, {View(c)}, {View(c)}, {View("T")}, {View("T")}, int, int";

    /// <summary>The partials kernel's launcher type arguments.</summary>
    private static string BackwardPartialTypeArgs(string c) => $"{View("T")}, {View("T")}, {View(c)}, {View(c)}, {View(c)}, int, int";

    /// <summary>The dx kernels' arguments, as the launch and the kernel pair pass them.</summary>
    private const string BackwardDxArgs = "dy, dResidualOut, x, mean, rstd, gamma, dx, rowLength, rows";

    /// <summary>The shared backward kernels of one compute type: the launch with its per-accelerator cache, the dx kernels (warp per row, group per row) and the dγ/dβ partials kernel.</summary>
    internal static void EmitBackwardKernels(SourceWriter w, string c)
    {
        w.Line("/// <summary>");
        w.Line($"/// The backward kernels of every row declaration (LayerNorm, RMSNorm, Backward = true) computed in {c}, generic over its");
        w.Line($"/// spec struct: dx by one warp per row up to {Lit(WarpPerRowMaxLength)} elements, one group per longer row; dγ/dβ without atomics, by");
        w.Line("/// per-block partials over a fixed number of rows into the stream's scratch buffer, then <c>GpuDevice.CombineKernel</c>.");
        w.Line("/// </summary>");
        w.Line(Generated);
        w.Open($"internal static class {BackwardKernelsClass(c)}");
        w.Line("/// <summary>Rows per dγ/dβ block: the CPU kernel's constant, independent of the device, so the partials (and the result) do not depend on the launch geometry.</summary>");
        w.Line("private const int BlockRows = global::NormGen.RowBackward.BlockRows;");
        w.Line();
        EmitBackwardLaunchers(w, c);
        EmitBackwardLaunch(w, c);
        EmitBackwardDxKernels(w, c);
        EmitBackwardPartialsKernel(w, c);
        w.Close();
    }

    /// <summary>The backward kernels' per-accelerator cache: the dx, partials and combine launchers and the device limits.</summary>
    private static void EmitBackwardLaunchers(SourceWriter w, string c)
    {
        string where = BackwardWhere(c);
        string dxTypeArgs = BackwardDxTypeArgs(c), partialTypeArgs = BackwardPartialTypeArgs(c);
        string combineTypeArgs = $"{View(c)}, {View(c)}, int, int, int, int";
        string Launcher(string typeArgs) => $"global::System.Lazy<global::System.Action<global::ILGPU.Runtime.AcceleratorStream, global::ILGPU.KernelConfig, {typeArgs}>>";
        string Load(string typeArgs, string kernel) => $"new(() => global::ILGPU.Runtime.KernelLoaders.LoadKernel<{typeArgs}>(accelerator, {kernel}), global::System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);";
        w.Line("/// <summary>The compiled launchers of one spec on one accelerator (each compiled on first use, one thread compiles, the others wait) and the device limits.</summary>");
        w.Open($"private sealed class Launchers<T, TSpec> {where}");
        w.Line($"public readonly {Launcher(dxTypeArgs)} WarpPerRow, GroupPerRow;");
        w.Line($"public readonly {Launcher(partialTypeArgs)} Partials;");
        w.Line($"public readonly {Launcher(combineTypeArgs)} Combine;");
        w.Line("public readonly int WarpSize, MaxThreadsPerGroup, Multiprocessors, MaxThreadsPerMultiprocessor, MaxGridSize;");
        w.Line();
        w.Line("/// <summary>One per accelerator, dropped with it (weak keys; thread-safe).</summary>");
        w.Line("public static readonly global::System.Runtime.CompilerServices.ConditionalWeakTable<global::ILGPU.Runtime.Accelerator, Launchers<T, TSpec>> Cache = new();");
        w.Line();
        w.Open("public Launchers(global::ILGPU.Runtime.Accelerator accelerator)");
        w.Line($"WarpPerRow = {Load(dxTypeArgs, "WarpPerRowKernel<T, TSpec>")}");
        w.Line($"GroupPerRow = {Load(dxTypeArgs, "GroupPerRowKernel<T, TSpec>")}");
        w.Line($"Partials = {Load(partialTypeArgs, "PartialsKernel<T, TSpec>")}");
        w.Line($"Combine = {Load(combineTypeArgs, "GpuDevice.CombineKernel")}");
        EmitGeometryFields(w);
        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>The backward launch: the dx kernel alone, or under the scratch slot's lock the partials, dx and combine kernels.</summary>
    private static void EmitBackwardLaunch(SourceWriter w, string c)
    {
        string where = BackwardWhere(c);
        string dxViews = BackwardDxViews(c), dxArgs = BackwardDxArgs;
        string V(string t) => View(t);
        w.Line("/// <summary>");
        w.Line("/// Enqueues the dx kernel; with dγ (and dβ), first the partials kernel (it reads dy and x before dx may overwrite");
        w.Line("/// them), then the dx kernel and the combine kernel, in that order on one stream, under the lock of the stream's");
        w.Line("/// scratch slot, without waiting. Arguments are already checked; rows &gt; 0 unless dγ is asked (zero rows write");
        w.Line("/// zero gradients). Absent views stay empty.");
        w.Line("/// </summary>");
        w.Line($"internal static void Launch<T, TSpec>(global::ILGPU.Runtime.AcceleratorStream stream, {V("T")} dy, {V("T")} x, {V("T")} dx, int rowLength, int rows, {V("T")} dResidualOut = default, {V(c)} mean = default, {V(c)} rstd = default, {V("T")} gamma = default, {V(c)} dgamma = default, {V(c)} dbeta = default)");
        w.Open($"    {where}");
        w.Line("Launchers<T, TSpec> l = Launchers<T, TSpec>.Cache.GetValue(stream.Accelerator, static accelerator => new Launchers<T, TSpec>(accelerator));");
        w.Open("if ((default(TSpec).Flags & GpuBackwardFlags.GammaGradient) == 0)");
        w.Line($"LaunchDx(stream, l, {dxArgs});");
        w.Line("return;");
        w.Close();
        w.Line("int elementGroup = global::System.Math.Min(256, l.MaxThreadsPerGroup);");
        w.Line("int blocks = (rows + BlockRows - 1) / BlockRows;");
        w.Line("int gradients = (default(TSpec).Flags & GpuBackwardFlags.BetaGradient) != 0 ? 2 : 1;");
        w.Line($"global::NormGen.ScratchSlot slot = global::NormGen.NormGpu.Scratch<{c}>(stream);");
        w.Line("// Under the slot's lock no other call can enqueue its partials between ours and our combine; stream order does the rest.");
        w.Open("lock (slot)");
        w.Line("// Per block: the dγ partial row, then the dβ partial row if asked.");
        w.Line($"global::ILGPU.Runtime.MemoryBuffer1D<{c}, global::ILGPU.Stride1D.Dense> scratch = GpuDevice.Scratch<{c}>(stream, slot, (long)blocks * gradients * rowLength);");
        w.Open("if (rows > 0)");
        w.Line("long cells = (long)blocks * rowLength;");
        w.Line("int partialGrid = global::NormGen.NormGpu.GridSize((int)global::System.Math.Min((cells + elementGroup - 1) / elementGroup, int.MaxValue), 1, elementGroup, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
        w.Line("l.Partials.Value(stream, new global::ILGPU.KernelConfig(partialGrid, elementGroup), dy, x, mean, rstd, scratch.View, rowLength, rows);");
        w.Line($"LaunchDx(stream, l, {dxArgs});");
        w.Close();
        w.Line("int combineGrid = global::NormGen.NormGpu.GridSize((rowLength + elementGroup - 1) / elementGroup, 1, elementGroup, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
        w.Line("l.Combine.Value(stream, new global::ILGPU.KernelConfig(combineGrid, elementGroup), scratch.View, dgamma, rowLength, blocks, gradients, 0);");
        w.Line("if (gradients == 2)");
        w.Line("    l.Combine.Value(stream, new global::ILGPU.KernelConfig(combineGrid, elementGroup), scratch.View, dbeta, rowLength, blocks, gradients, 1);");
        w.Close();
        w.Close();
        w.Line();
        w.Line("/// <summary>Picks the dx kernel (warp or group per row) and its geometry, and enqueues it.</summary>");
        w.Line($"private static void LaunchDx<T, TSpec>(global::ILGPU.Runtime.AcceleratorStream stream, Launchers<T, TSpec> l, {dxViews}, int rowLength, int rows)");
        w.Open($"    {where}");
        EmitRowLaunch(w, warpKernel: true, groupKernel: true, "rowLength", dxArgs);
        w.Close();
        w.Line();
    }

    /// <summary>The dx kernels: g and x̂ per element, the warp and group kernel pair, the two-pass row body.</summary>
    private static void EmitBackwardDxKernels(SourceWriter w, string c)
    {
        string where = BackwardWhere(c);
        string dxViews = BackwardDxViews(c);
        string V(string t) => View(t);
        string one = c == "double" ? "1d" : "1f";
        string zero = c == "double" ? "0d" : "0f";
        w.Line("/// <summary>g at element <paramref name=\"index\"/> (column <paramref name=\"column\"/>): dy, dy·γ or dy·(1 + γ).</summary>");
        w.Open($"private static {c} Gradient<T, TSpec>(TSpec spec, {V("T")} dy, {V("T")} gamma, long index, int column) {where}");
        w.Line($"{c} d = spec.Load(dy[index]);");
        w.Line("if ((spec.Flags & GpuBackwardFlags.Gamma) == 0) return d;");
        w.Line($"return (spec.Flags & GpuBackwardFlags.ZeroCenteredGamma) != 0 ? d * ({one} + spec.Load(gamma[column])) : d * spec.Load(gamma[column]);");
        w.Close();
        w.Line();
        w.Line("/// <summary>x̂ at element <paramref name=\"index\"/> of a row with the statistics mu (LayerNorm) and r: (x − μ)·rstd or x·rstd.</summary>");
        w.Line($"private static {c} Normalized<T, TSpec>(TSpec spec, {V("T")} x, long index, {c} mu, {c} r) {where} =>");
        w.Line("    (spec.Flags & GpuBackwardFlags.Centered) != 0 ? (spec.Load(x[index]) - mu) * r : spec.Load(x[index]) * r;");
        w.Line();
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
        w.Line($"{c} g = Gradient<T, TSpec>(spec, dy, gamma, start + i, i);");
        w.Line("if (centered) sg += g;");
        w.Line("sx += g * Normalized<T, TSpec>(spec, x, start + i, mu, r);");
        w.Close();
        w.Line($"{c} inverseN = {one} / n;");
        w.Line($"{c} c1 = centered ? threads.Sum(sg, partials) * inverseN : {zero}; // RMSNorm: no mean(g) term");
        w.Line($"{c} c2 = threads.Sum(sx, partials) * inverseN;");
        w.Line();
        w.Line("// Pass 2: dx = rstd·(g − c₁ − x̂·c₂) (+ dResidualOut: dh, dx rounded to the compute type first, as the span");
        w.Line("// method's second pass). Each element is read and written by the same thread, after every read of the row, so");
        w.Line("// dx may be dy or x.");
        w.Open(ThreadLoop);
        w.Line($"{c} g = Gradient<T, TSpec>(spec, dy, gamma, start + i, i);");
        w.Line($"{c} xh = Normalized<T, TSpec>(spec, x, start + i, mu, r);");
        w.Line($"{c} v = r * (g - c1 - xh * c2);");
        w.Line("if ((spec.Flags & GpuBackwardFlags.ResidualGradient) != 0) v += spec.Load(dResidualOut[start + i]);");
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
        string zero = c == "double" ? "0d" : "0f";
        string partialViews = $"{View("T")} dy, {View("T")} x, {View(c)} mean, {View(c)} rstd, {View(c)} partials";
        w.Line("/// <summary>");
        w.Line("/// One thread per (block, column), the grid striding over them: the block's rows in row order, Σ dy·x̂ (and Σ dy)");
        w.Line("/// into the block's partial rows. Consecutive threads take consecutive columns, so the reads are coalesced.");
        w.Line("/// </summary>");
        w.Line($"private static void PartialsKernel<T, TSpec>({partialViews}, int rowLength, int rows)");
        w.Open($"    {where}");
        w.Line("TSpec spec = default;");
        w.Line("int n = spec.RowLength > 0 ? spec.RowLength : rowLength; // a constant when the declaration's shape is");
        w.Line("bool beta = (spec.Flags & GpuBackwardFlags.BetaGradient) != 0;");
        w.Line("int gradients = beta ? 2 : 1;");
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
        w.Line($"{c} d = spec.Load(dy[index]);");
        w.Line($"{c} mu = (spec.Flags & GpuBackwardFlags.Centered) != 0 ? mean[row] : {zero};");
        w.Line("pg += d * Normalized<T, TSpec>(spec, x, index, mu, rstd[row]);");
        w.Line("if (beta) pb += d;");
        w.Close();
        w.Line("partials[(long)block * gradients * n + column] = pg;");
        w.Line("if (beta) partials[((long)block * 2 + 1) * n + column] = pb;");
        w.Close();
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
        string zero = c == "double" ? "0d" : "0f";
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
