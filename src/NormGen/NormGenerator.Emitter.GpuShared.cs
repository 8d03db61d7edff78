using System.Collections.Generic;
using System.Linq;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// The GPU kernels written once per compilation, into <see cref="DevicePrimitivesHintName"/>: the row kernels (LayerNorm,
/// RMSNorm, DeepNorm and every row fusion), BatchNorm evaluation's element kernel and the row backward kernels (in
/// NormGenerator.Emitter.GpuBackward.cs), generic over a small spec struct
/// that each declaration's GPU file holds. The struct's members return constants (which features, ε, α, the element
/// conversions), so ILGPU, which compiles a generic kernel per instantiation and resolves the constrained calls on the
/// struct, folds every branch on them away, and the CPU accelerator's JIT does the same. The arithmetic is the one the
/// per-declaration kernels had, in the same order.
/// </summary>
internal static partial class GpuEmitter
{
    /// <summary>The type of a kernel launcher field: compiled on first use, taking the stream, the launch configuration and <paramref name="typeArgs"/>.</summary>
    internal static string LauncherType(string typeArgs) =>
        $"global::System.Lazy<global::System.Action<global::ILGPU.Runtime.AcceleratorStream, global::ILGPU.KernelConfig, {typeArgs}>>";

    /// <summary>A launcher field's initializer: loads <paramref name="kernel"/> on first use (one thread compiles, the others wait).</summary>
    internal static string LoadLauncher(string typeArgs, string kernel) =>
        $"new(() => global::ILGPU.Runtime.KernelLoaders.LoadKernel<{typeArgs}>(accelerator, {kernel}), global::System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);";

    /// <summary>The namespace of the shared device code.</summary>
    private const string SharedNamespace = "global::NormGen.Generated.";

    /// <summary>The class of the shared row kernels in compute type <paramref name="c"/>.</summary>
    private static string RowKernelsClass(string c) => c == "double" ? "GpuRowKernelsDouble" : "GpuRowKernelsFloat";

    /// <summary>The shared row kernels' feature flags, as the kernels test them.</summary>
    private static List<string> RowFlags(KernelSpec spec)
    {
        var flags = new List<string>();
        if (spec.Centers) flags.Add("Centered");
        if (spec.Residual) flags.Add("Residual");
        if (spec.Residual && spec.Alpha != 1d) flags.Add("Alpha");
        if (spec.ResidualBias) flags.Add("ResidualBias");
        if (spec.ResidualOutput is not null) flags.Add("ResidualOut");
        if (spec.Affine != AffineMode.None) flags.Add("Gamma");
        if (spec.Affine == AffineMode.ScaleAndBias) flags.Add("Beta");
        if (spec.ZeroCenteredGamma) flags.Add("ZeroCenteredGamma");
        if (spec.MeanOutput is not null) flags.Add("SaveMean");
        if (spec.SaveStatistics) flags.Add("SaveRstd");
        return flags;
    }

    /// <summary>
    /// The spec struct of one declaration's GPU kernels: what the shared kernels compute for it, as constants. Row kinds and
    /// BatchNorm evaluation.
    /// </summary>
    private static void EmitRowSpecStruct(SourceWriter w, KernelSpec spec, bool batchNormEval)
    {
        string c = CpuEmitter.ComputeName(spec);
        string tIn = KernelElement(spec.Element), tOut = KernelElement(spec.OutputElement);
        var flags = batchNormEval
            ? new List<string>(spec.Gamma is not null ? spec.Beta is not null ? new[] { "Gamma", "Beta" } : new[] { "Gamma" } : new string[0])
            : RowFlags(spec);
        OpenSpecStruct(w, spec, $"{(batchNormEval ? "element kernel computes" : "row kernels compute")} for <c>{SpecOwner(spec)}.{spec.MethodName}</c> (see its remarks), as constants the kernels are compiled with.",
            $"IGpuRowSpec<{tIn}, {tOut}, {c}>");
        w.Line(FlagsProperty("GpuRowFlags", flags));
        w.Line($"public int RowLength => {(spec.HasStaticShape && !batchNormEval ? Lit(spec.StaticRowLength) : "0")};");
        w.Line($"public {c} Epsilon => {CpuEmitterText.Literal(spec.Epsilon, c)};");
        w.Line($"public {c} Alpha => {(spec.Residual && spec.Alpha != 1d ? CpuEmitterText.Literal(spec.Alpha, c) : CpuEmitterText.Literal(1d, c))};{(spec.Residual && spec.Alpha != 1d && spec.AlphaSource.Length > 0 ? " // " + spec.AlphaSource : "")}");
        w.Line($"public {c} Load({tIn} v) => {LoadBody(spec.Element)};");
        w.Line($"public {tIn} Keep({c} v) => {StoreBody(spec.Element)};");
        w.Line($"public {tOut} Store({c} v) => {StoreBody(spec.OutputElement)};");
        w.Line($"public {c} Activate({c} v) => {(spec.Activation == ActivationKind.None ? "v" : $"{SharedNamespace}GpuDevice.{spec.Activation}(v)")};");
        w.Close();
    }

    /// <summary>The shared launch of a row declaration: its views (absent ones left out, they default to empty), lengths and spec.</summary>
    private static string RowLaunch(KernelSpec spec, string stream, string rowLength, string rows) =>
        SharedLaunch(spec, RowKernelsClass(CpuEmitter.ComputeName(spec)), $"{KernelElement(spec.Element)}, {KernelElement(spec.OutputElement)}, {GpuKernelClassName(spec)}",
            stream, new[] { ParamRole.Input, ParamRole.Output }, new[] { rowLength, rows }, RoleNames.RowForward, RoleNames.InGpuForward);

    /// <summary>
    /// The statement that enqueues a declaration's kernels through a shared kernel class's <c>Launch&lt;<paramref name="typeArgs"/>&gt;</c>:
    /// the stream, the views of <paramref name="positional"/> in order, the <paramref name="sizes"/>, then every other view
    /// of <paramref name="named"/> the declaration has, by its parameter name there (<paramref name="nameOf"/>); absent views
    /// are left out and default to empty. A Half view is passed as ILGPU's Half.
    /// </summary>
    private static string SharedLaunch(KernelSpec spec, string kernelsClass, string typeArgs, string stream, ParamRole[] positional, IEnumerable<string> sizes,
        IEnumerable<ParamRole> named, System.Func<ParamRole, string> nameOf)
    {
        var args = new List<string> { stream };
        args.AddRange(positional.Select(role => SharedKernelView(spec, role)));
        args.AddRange(sizes);
        foreach (ParamRole role in named)
            if (!positional.Contains(role) && spec.Parameter(role) is not null)
                args.Add($"{nameOf(role)}: {SharedKernelView(spec, role)}");
        return $"{SharedNamespace}{kernelsClass}.Launch<{typeArgs}>({string.Join(", ", args)});";
    }

    // ---------------------------------------------------------------- pieces every spec struct and launch uses

    /// <summary>The declaring types as the spec structs' summaries name them (type parameters left out).</summary>
    private static string SpecOwner(KernelSpec spec) => string.Join(".", spec.ContainingTypes.Select(t => t.NameWithTypeParameters.Split('<')[0]));

    /// <summary>A spec struct's flags value: the members of the shared enum <paramref name="enumName"/> or-ed, None when there are none.</summary>
    private static string FlagsValue(string enumName, List<string> flags)
    {
        string f = SharedNamespace + enumName + ".";
        return flags.Count == 0 ? f + "None" : string.Join(" | ", flags.Select(x => f + x));
    }

    /// <summary>
    /// Opens a declaration's spec struct: its summary ("What the shared " + <paramref name="summaryRest"/>), the attribute,
    /// and the file-local struct implementing the shared interface <paramref name="specInterface"/>; the caller writes the
    /// members and closes it.
    /// </summary>
    private static void OpenSpecStruct(SourceWriter w, KernelSpec spec, string summaryRest, string specInterface)
    {
        w.Line($"/// <summary>What the shared {summaryRest}</summary>");
        w.Line(Generated);
        w.Open($"file readonly struct {GpuKernelClassName(spec)} : {SharedNamespace}{specInterface}");
    }

    /// <summary>A spec struct's <c>Flags</c> property: <see cref="FlagsValue"/> of the shared enum <paramref name="enumName"/>.</summary>
    private static string FlagsProperty(string enumName, List<string> flags) => $"public {SharedNamespace}{enumName} Flags => {FlagsValue(enumName, flags)};";

    /// <summary>A tensor spec struct's <c>Layout</c> property (<see cref="TensorLayout"/>).</summary>
    private static string LayoutProperty(KernelSpec spec) => $"public {SharedNamespace}GpuTensorLayout Layout => {SharedNamespace}GpuTensorLayout.{TensorLayout(spec)};";

    /// <summary>A spec struct's <c>Load</c> and <c>Store</c> between the kernel element and the compute type <paramref name="c"/> (input and output of one element type).</summary>
    private static void EmitLoadAndStore(SourceWriter w, KernelSpec spec, string c)
    {
        string t = KernelElement(spec.Element);
        w.Line($"public {c} Load({t} v) => {LoadBody(spec.Element)};");
        w.Line($"public {t} Store({c} v) => {StoreBody(spec.Element)};");
    }

    /// <summary>The body of a spec struct's <c>Load</c>: the kernel element to the compute type (Half widens to float).</summary>
    private static string LoadBody(ElementKind element) => element == ElementKind.Half ? "(float)v" : "v";

    /// <summary>The body of a spec struct's <c>Store</c> or <c>Keep</c>: the compute type to the kernel element (float narrows to ILGPU's Half).</summary>
    private static string StoreBody(ElementKind element) => element == ElementKind.Half ? "(global::ILGPU.Half)v" : "v";

    /// <summary>A user parameter's view as the shared kernels take it (a Half view reinterpreted as ILGPU's Half).</summary>
    private static string SharedKernelView(KernelSpec spec, ParamRole role) =>
        CpuEmitter.Id(spec.Parameter(role)!.Name) + (spec.Parameter(role)!.Element == ElementKind.Half ? ".Cast<global::ILGPU.Half>()" : "");

    /// <summary>
    /// The cref of a declaration's <c>AcceleratorStream</c> overload, for the <c>Accelerator</c> overload's remarks: the
    /// method's name and the parameter types of <paramref name="parameters"/> ("type name" each), generic arguments in braces.
    /// </summary>
    private static string StreamOverloadCref(KernelSpec spec, IEnumerable<string> parameters) =>
        $"{CpuEmitter.Id(spec.MethodName)}(global::ILGPU.Runtime.AcceleratorStream, {string.Join(", ", parameters.Select(p => p.Substring(0, p.LastIndexOf(' ')).Replace('<', '{').Replace('>', '}')))})";

    /// <summary>
    /// The <c>Accelerator</c> overload's remarks, in place of the <c>AcceleratorStream</c> overload's (<paramref name="streamOverload"/>,
    /// a cref) which it runs: one line instead of the same paragraphs twice.
    /// </summary>
    private static void EmitDefaultStreamRemarks(SourceWriter w, string streamOverload) =>
        w.Line($"/// <remarks>Runs <see cref=\"{streamOverload}\"/> on the accelerator's default stream: the same checks, the same kernel; its remarks say what is computed and what the views must hold.</remarks>");

    /// <summary>
    /// A declaration's two public overloads, each after its documentation (<paramref name="emitDocumentation"/>, given the
    /// <c>AcceleratorStream</c> overload's cref for the <c>Accelerator</c> overload and null for the stream overload itself).
    /// The <c>Accelerator</c> overload checks the accelerator and runs the other on its default stream; the
    /// <c>AcceleratorStream</c> overload checks the stream, then <paramref name="emitChecksAndLaunch"/> writes the rest of
    /// its body (given the stream parameter's name). The parameters are the declaration's (<see cref="OverloadParameters"/>),
    /// then <paramref name="sizes"/> as ints.
    /// </summary>
    private static void EmitOverloadPair(SourceWriter w, KernelSpec spec, IEnumerable<string> sizes,
        System.Action<string?> emitDocumentation, System.Action<string> emitChecksAndLaunch)
    {
        string modifiers = string.Join(" ", spec.Modifiers.Split(' ').Where(m => m.Length > 0 && m != "partial"));
        string method = CpuEmitter.Id(spec.MethodName);
        string accelerator = Unique(spec, "accelerator");
        string stream = Unique(spec, "stream");
        (List<string> parameters, List<string> arguments) = OverloadParameters(spec, sizes);
        string parameterList = string.Join(", ", parameters);

        emitDocumentation(StreamOverloadCref(spec, parameters));
        w.Line(Generated);
        w.Open($"{modifiers} void {method}(global::ILGPU.Runtime.Accelerator {accelerator}, {parameterList})");
        w.Line(NullCheck(accelerator));
        w.Line($"{QualifiedMethod(spec)}({accelerator}.DefaultStream, {string.Join(", ", arguments)});");
        w.Close();
        w.Line();

        emitDocumentation(null);
        w.Line(Generated);
        w.Open($"{modifiers} void {method}(global::ILGPU.Runtime.AcceleratorStream {stream}, {parameterList})");
        w.Line(NullCheck(stream));
        emitChecksAndLaunch(stream);
        w.Close();
    }

    /// <summary>
    /// The public overloads' parameters after the accelerator or stream ("type name": each view an <c>ArrayView</c> of the
    /// user's element type, a run-time row length an int), then <paramref name="sizes"/> as ints; and the arguments that
    /// pass them all on.
    /// </summary>
    private static (List<string> Parameters, List<string> Arguments) OverloadParameters(KernelSpec spec, IEnumerable<string> sizes)
    {
        var parameters = spec.Parameters
            .Select(p => (p.Role == ParamRole.RowLength ? "int" : View(PublicElement(p.Element))) + " " + CpuEmitter.Id(p.Name))
            .Concat(sizes.Select(size => "int " + size))
            .ToList();
        var arguments = spec.Parameters.Select(p => CpuEmitter.Id(p.Name)).Concat(sizes).ToList();
        return (parameters, arguments);
    }

    /// <summary>The statement that throws <c>ArgumentNullException</c> when the parameter <paramref name="id"/> is null.</summary>
    private static string NullCheck(string id) => $"if ({id} is null) throw new global::System.ArgumentNullException({CpuEmitter.StrOfId(id)});";

    /// <summary>
    /// An overload's documentation: the summary (<paramref name="summary"/>, then where it is enqueued), then the stream
    /// overload's remarks (<paramref name="emitRemarks"/>) or, for the <c>Accelerator</c> overload (<paramref name="defaultStreamOf"/>:
    /// the cref of the stream overload it runs), one line that points at them; then the <c>ArgumentException</c> it throws
    /// (<paramref name="whenThrown"/>).
    /// </summary>
    private static void EmitOverloadDocumentation(SourceWriter w, string summary, string? defaultStreamOf, System.Action emitRemarks, string whenThrown)
    {
        string on = defaultStreamOf is null ? "enqueued on <paramref name=\"stream\"/>" : "enqueued on the accelerator's default stream";
        w.Line("/// <summary>");
        w.Line($"/// {summary}; {on}, not synchronised.");
        w.Line("/// </summary>");
        if (defaultStreamOf is not null) EmitDefaultStreamRemarks(w, defaultStreamOf);
        else emitRemarks();
        w.Line($"/// <exception cref=\"global::System.ArgumentException\">{whenThrown}</exception>");
    }

    /// <summary>
    /// A kernel family's launchers class for one spec on one accelerator: a lazily compiled launcher per kernel (one
    /// field line per group of kernels sharing a signature, <paramref name="groups"/> in order), the per-accelerator
    /// cache and the device limits the launches size their grids by.
    /// </summary>
    private static void EmitLaunchers(SourceWriter w, string typeParameters, string where, params (string TypeArgs, (string Field, string Kernel)[] Kernels)[] groups)
    {
        w.Line("/// <summary>The compiled launchers of one spec on one accelerator (each compiled on first use, one thread compiles, the others wait) and the device limits.</summary>");
        w.Open($"private sealed class Launchers<{typeParameters}> {where}");
        foreach (var group in groups)
            w.Line($"public readonly {LauncherType(group.TypeArgs)} {string.Join(", ", group.Kernels.Select(k => k.Field))};");
        w.Line("public readonly int WarpSize, MaxThreadsPerGroup, Multiprocessors, MaxThreadsPerMultiprocessor, MaxGridSize;");
        w.Line();
        w.Line("/// <summary>One per accelerator, dropped with it (weak keys; thread-safe).</summary>");
        w.Line($"public static readonly global::System.Runtime.CompilerServices.ConditionalWeakTable<global::ILGPU.Runtime.Accelerator, Launchers<{typeParameters}>> Cache = new();");
        w.Line();
        w.Open("public Launchers(global::ILGPU.Runtime.Accelerator accelerator)");
        foreach (var group in groups)
            foreach (var (field, kernel) in group.Kernels)
                w.Line($"{field} = {LoadLauncher(group.TypeArgs, kernel)}");
        w.Line("WarpSize = accelerator.WarpSize;");
        w.Line("MaxThreadsPerGroup = accelerator.MaxNumThreadsPerGroup;");
        w.Line("Multiprocessors = accelerator.NumMultiprocessors;");
        w.Line("MaxThreadsPerMultiprocessor = accelerator.MaxNumThreadsPerMultiprocessor;");
        w.Line("MaxGridSize = accelerator.MaxGridSize.X;");
        w.Close();
        w.Close();
        w.Line();
    }

    // ---------------------------------------------------------------- shared file

    /// <summary>
    /// The flags, the thread shapes and the spec interfaces of the kernel families <paramref name="needs"/> uses, once per
    /// compilation.
    /// </summary>
    private static void EmitSpecInterfaces(SourceWriter w, GpuDeviceNeeds needs)
    {
        bool rows = (needs & GpuDeviceNeeds.RowClass) != 0;
        bool rowFlags = (needs & (GpuDeviceNeeds.RowClass | GpuDeviceNeeds.Tensors)) != 0;
        if (rowFlags) EmitRowFlags(w);
        if ((needs & RowShaped) != 0)
        {
            if (rowFlags) w.Line();
            EmitThreadShapes(w, ComputeTypes(needs & RowShaped).ToArray());
        }
        if (rows)
        {
            w.Line();
            EmitRowSpecInterface(w);
        }
        if ((needs & GpuDeviceNeeds.Backward) != 0)
        {
            w.Line();
            EmitBackwardSpecInterface(w, rows);
        }
        if ((needs & GpuDeviceNeeds.Tensors) != 0)
        {
            w.Line();
            EmitTensorSpecInterface(w, rows);
        }
        if ((needs & GpuDeviceNeeds.TensorBackward) != 0)
        {
            w.Line();
            EmitTensorBackwardSpecInterface(w, layoutWritten: (needs & GpuDeviceNeeds.Tensors) != 0);
        }
    }

    /// <summary>The flags of the row and tensor spec structs.</summary>
    private static void EmitRowFlags(SourceWriter w)
    {
        w.Line("/// <summary>What a row or tensor kernel computes besides the statistics every kernel takes (the kernels test the bits).</summary>");
        w.Line("[global::System.Flags]");
        w.Open("internal enum GpuRowFlags");
        w.Line("None = 0,");
        w.Line("/// <summary>Subtract the mean (LayerNorm, DeepNorm); otherwise RMSNorm's mean square.</summary>");
        w.Line("Centered = 1,");
        w.Line("/// <summary>Normalize h = x + residual (α·x + residual with <see cref=\"Alpha\"/>), formed again in every pass.</summary>");
        w.Line("Residual = 2,");
        w.Line("/// <summary>DeepNorm's α multiplies x in h.</summary>");
        w.Line("Alpha = 4,");
        w.Line("/// <summary>h also adds the per-column bias.</summary>");
        w.Line("ResidualBias = 8,");
        w.Line("/// <summary>h is stored in residualOut (the residual stream for the next block).</summary>");
        w.Line("ResidualOut = 16,");
        w.Line("/// <summary>Multiply by γ.</summary>");
        w.Line("Gamma = 32,");
        w.Line("/// <summary>Add β.</summary>");
        w.Line("Beta = 64,");
        w.Line("/// <summary>γ is zero-centred: multiply by 1 + γ.</summary>");
        w.Line("ZeroCenteredGamma = 128,");
        w.Line("/// <summary>Save the row's mean.</summary>");
        w.Line("SaveMean = 256,");
        w.Line("/// <summary>Save the row's rstd.</summary>");
        w.Line("SaveRstd = 512,");
        w.Line("/// <summary>Normalize x itself, not x − μ, by the variance around the mean (Restormer's BiasFree_LayerNorm).</summary>");
        w.Line("BiasFree = 1024,");
        w.Line("/// <summary>BatchNorm training: update the channel's running statistics.</summary>");
        w.Line("RunningStatistics = 2048,");
        w.Line("/// <summary>BatchNorm's momentum=None: the momentum is 1 / the number of batches, counted in batchesTracked.</summary>");
        w.Line("CumulativeAverage = 4096,");
        w.Line("/// <summary>MinMaxScale: (x − min) / (max − min) instead of the statistics.</summary>");
        w.Line("MinMax = 8192,");
        w.Close();
    }

    /// <summary>The row kernels' spec interface.</summary>
    private static void EmitRowSpecInterface(SourceWriter w)
    {
        w.Line("/// <summary>");
        w.Line("/// One declaration's row kernel, as constants: a readonly struct with no fields whose members the shared generic");
        w.Line("/// kernels call on <c>default(TSpec)</c> (ILGPU compiles one kernel per struct and folds the constants).");
        w.Line("/// </summary>");
        w.Line("/// <typeparam name=\"TIn\">The element type of x and the other inputs (and residualOut).</typeparam>");
        w.Line("/// <typeparam name=\"TOut\">The element type of y.</typeparam>");
        w.Line("/// <typeparam name=\"TCompute\">float (for float and Half) or double: the statistics and the arithmetic.</typeparam>");
        w.Open("internal interface IGpuRowSpec<TIn, TOut, TCompute>");
        w.Line("GpuRowFlags Flags { get; }");
        w.Line("/// <summary>The row length when it is a constant of the declaration, 0 when it is a run-time argument.</summary>");
        w.Line("int RowLength { get; }");
        w.Line("TCompute Epsilon { get; }");
        w.Line("TCompute Alpha { get; }");
        w.Line("/// <summary>An input element in the compute type (Half widened).</summary>");
        w.Line("TCompute Load(TIn value);");
        w.Line("/// <summary>h rounded to the input element type, for residualOut.</summary>");
        w.Line("TIn Keep(TCompute value);");
        w.Line("/// <summary>A result rounded once to y's element type.</summary>");
        w.Line("TOut Store(TCompute value);");
        w.Line("/// <summary>The epilogue activation (the identity when there is none).</summary>");
        w.Line("TCompute Activate(TCompute value);");
        w.Close();
    }

    /// <summary>
    /// The shared row kernels of one compute type: the launch with its per-accelerator cache, the warp-per-row and
    /// group-per-row kernels (<paramref name="rows"/>), BatchNorm evaluation's element kernel (<paramref name="batchNormEval"/>).
    /// </summary>
    private static void EmitRowKernels(SourceWriter w, string c, bool rows, bool batchNormEval)
    {
        string tc = c;
        const string Constraints = "where TIn : unmanaged where TOut : unmanaged where TSpec : struct, IGpuRowSpec<TIn, TOut, ";
        string where = Constraints + tc + ">";
        var kernelViews = RowKernelViews(tc).ToList();
        string views = string.Join(", ", kernelViews.Select(v => $"global::ILGPU.ArrayView<{v.Element}> {v.Name}"));
        string typeArgs = string.Join(", ", kernelViews.Select(v => $"global::ILGPU.ArrayView<{v.Element}>")) + ", int, int";
        string args = string.Join(", ", kernelViews.Select(v => v.Name)) + ", rowLength, rows";
        string bnTypeArgs = "global::ILGPU.ArrayView<TIn>, global::ILGPU.ArrayView<TIn>, global::ILGPU.ArrayView<TIn>, global::ILGPU.ArrayView<TIn>, global::ILGPU.ArrayView<TIn>, global::ILGPU.ArrayView<TOut>, int";

        w.Line("/// <summary>");
        if (rows)
        {
            w.Line($"/// The row kernels of every row declaration computed in {c}, generic over its spec struct: one warp per row up to");
            w.Line($"/// {Lit(WarpPerRowMaxLength)} elements (several rows per group, shuffle reductions, no barriers), one group per longer row (warp");
            w.Line($"/// shuffles meeting in shared memory), a grid-stride loop over the rows{(batchNormEval ? "; and BatchNorm evaluation's element kernel" : "")}.");
        }
        else w.Line($"/// BatchNorm evaluation's element kernel for every such declaration computed in {c}, generic over its spec struct.");
        w.Line("/// </summary>");
        w.Line(Generated);
        w.Open($"internal static class {RowKernelsClass(c)}");
        var launchers = new List<(string, (string, string)[])>();
        if (rows) launchers.Add((typeArgs, new[] { ("WarpPerRow", "WarpPerRowKernel<TIn, TOut, TSpec>"), ("GroupPerRow", "GroupPerRowKernel<TIn, TOut, TSpec>") }));
        if (batchNormEval) launchers.Add((bnTypeArgs, new[] { ("Elements", "BatchNormEvalKernel<TIn, TOut, TSpec>") }));
        EmitLaunchers(w, "TIn, TOut, TSpec", where, launchers.ToArray());
        if (rows) EmitRowLaunchAndKernels(w, c, where, views, args);
        if (rows && batchNormEval) w.Line();
        if (batchNormEval) EmitBatchNormEvalKernel(w, c, where);
        w.Close();
    }

    /// <summary>
    /// The row kernels' views in <see cref="RoleNames.RowForward"/> order, named as each declaration's launch passes them
    /// (<see cref="RoleNames.InGpuForward"/>), with their element type: y's <c>TOut</c>, the saved statistics' compute type
    /// <paramref name="c"/>, the other views' <c>TIn</c>.
    /// </summary>
    private static IEnumerable<(ParamRole Role, string Element, string Name)> RowKernelViews(string c) =>
        RoleNames.RowForward.Select(role => (role, role == ParamRole.Output ? "TOut" : role is ParamRole.Mean or ParamRole.Rstd ? c : "TIn", RoleNames.InGpuForward(role)));

    /// <summary>The row kernels' launch, the value h, the kernel pair and their one body.</summary>
    private static void EmitRowLaunchAndKernels(SourceWriter w, string c, string where, string views, string args)
    {
        string optional = string.Join(", ", RowKernelViews(c).Where(v => v.Role is not (ParamRole.Input or ParamRole.Output)).Select(v => $"global::ILGPU.ArrayView<{v.Element}> {v.Name} = default"));
        w.Line("/// <summary>Picks the kernel and the geometry, and enqueues it. Arguments are already checked; rows &gt; 0. Absent views stay empty.</summary>");
        w.Line($"internal static void Launch<TIn, TOut, TSpec>(global::ILGPU.Runtime.AcceleratorStream stream, global::ILGPU.ArrayView<TIn> x, global::ILGPU.ArrayView<TOut> y, int rowLength, int rows, {optional})");
        w.Open($"    {where}");
        w.Line("Launchers<TIn, TOut, TSpec> l = Launchers<TIn, TOut, TSpec>.Cache.GetValue(stream.Accelerator, static accelerator => new Launchers<TIn, TOut, TSpec>(accelerator));");
        EmitRowLaunch(w, warpKernel: true, groupKernel: true, "rowLength", args);
        w.Close();
        w.Line();
        EmitRowValue(w, c, where, new RowValueNames("<TIn, TOut, TSpec>", "TIn", "GpuRowFlags.Residual", "GpuRowFlags.Alpha", "GpuRowFlags.ResidualBias", "residual", "h = α·x + residual (+ bias)"));
        w.Line();
        EmitKernelPair(w, c, "<TIn, TOut, TSpec>", $"{views}, int rowLength, int rows", args, where);
        w.Line();
        EmitGenericRowKernel(w, c, views, where);
    }

    /// <summary>
    /// The value normalized at an element, x or h = α·x + residual (+ bias), in the order the CPU kernel forms it: written
    /// once for the forward row kernels and the backward kernels (which re-form DeepNorm's h), whose names differ.
    /// </summary>
    private static void EmitRowValue(SourceWriter w, string c, string where, RowValueNames names)
    {
        string view = $"global::ILGPU.ArrayView<{names.Element}>";
        w.Line($"/// <summary>The value normalized at element <paramref name=\"index\"/> (column <paramref name=\"column\"/>): x, or {names.What}, in the CPU kernel's order.</summary>");
        w.Open($"private static {c} Value{names.TypeParameters}(TSpec spec, {view} x, {view} {names.Residual}, {view} bias, long index, int column) {where}");
        w.Line($"{c} v = spec.Load(x[index]);");
        w.Line($"if ((spec.Flags & {names.ResidualFlag}) == 0) return v;");
        w.Line(names.AlphaFlag is null ? "v = spec.Alpha * v;" : $"if ((spec.Flags & {names.AlphaFlag}) != 0) v = spec.Alpha * v;");
        w.Line($"v += spec.Load({names.Residual}[index]);");
        w.Line($"if ((spec.Flags & {names.BiasFlag}) != 0) v += spec.Load(bias[column]);");
        w.Line("return v;");
        w.Close();
    }

    /// <summary>
    /// The names <see cref="EmitRowValue"/> writes for one kernel family: its type parameters, the views' element type,
    /// the flags that add the residual, multiply by α (null: always, with the residual) and add the bias, the residual
    /// view's name, and h in words.
    /// </summary>
    private sealed record RowValueNames(string TypeParameters, string Element, string ResidualFlag, string? AlphaFlag, string BiasFlag, string Residual, string What);

    /// <summary>The loop over a thread's elements of its row, for the thread shape <c>threads</c> of the shared kernels.</summary>
    private const string ThreadLoop = "for (int i = threads.First; i < n; i += threads.Step)";

    /// <summary>
    /// The two kernel shapes, each a call of the one body (<c>Rows</c>) with its thread shape: one warp per row (no shared
    /// memory), one group per row (a shared-memory slot per warp for the group reductions).
    /// </summary>
    private static void EmitKernelPair(SourceWriter w, string c, string typeParameters, string parameterList, string args, string where, string name = "")
    {
        string body = $"{name}Rows{typeParameters.Replace(">", ", {0}>")}";
        w.Line("/// <summary>One warp per row (short rows): the lanes stride through the row and reduce with shuffles, no barriers.</summary>");
        w.Line($"internal static void {name}WarpPerRowKernel{typeParameters}({parameterList})");
        w.Line($"    {where} =>");
        w.Line($"    {string.Format(body, "GpuWarpRows")}({args}, default);");
        w.Line();
        w.Line("/// <summary>One group per row (long rows): warp shuffles meeting in shared memory.</summary>");
        w.Line($"internal static void {name}GroupPerRowKernel{typeParameters}({parameterList})");
        w.Line($"    {where} =>");
        w.Line($"    {string.Format(body, "GpuGroupRows")}({args}, global::ILGPU.SharedMemory.Allocate<{c}>(global::NormGen.NormGpu.MaxWarpsPerGroup));");
    }

    /// <summary>Opens the one body of a kernel pair (<paramref name="name"/><c>Rows</c>) and its grid-stride loop over the rows (<c>row</c>); the caller closes both.</summary>
    private static void OpenRowsBody(SourceWriter w, string c, string typeParameters, string parameterList, string where, string name = "")
    {
        w.Line("/// <summary>");
        w.Line("/// The body of both kernel shapes: the threads of <typeparamref name=\"TThreads\"/> (a warp or a group) share a row, stride");
        w.Line("/// through it and reduce over it; the warps or groups of the grid stride over the rows, so any row count works.");
        w.Line("/// </summary>");
        w.Line($"private static void {name}Rows{typeParameters.Replace(">", ", TThreads>")}({parameterList}, global::ILGPU.ArrayView<{c}> partials)");
        w.Open($"    {where} where TThreads : struct, IGpuRowThreads<{c}>");
        w.Line("TSpec spec = default;");
        w.Line("TThreads threads = default;");
        w.Open("for (int row = threads.FirstRow; row < rows; row += threads.RowStep)");
    }

    private static void EmitGenericRowKernel(SourceWriter w, string c, string views, string where)
    {
        const string Device = "GpuDevice.";
        string one = One(c);
        OpenRowsBody(w, c, "<TIn, TOut, TSpec>", $"{views}, int rowLength, int rows", where);
        w.Line("int n = spec.RowLength > 0 ? spec.RowLength : rowLength; // a constant when the declaration's shape is");
        w.Line("long start = (long)row * n;");
        foreach (bool centers in new[] { true, false })
        {
            w.Open(centers ? "if ((spec.Flags & GpuRowFlags.Centered) != 0)" : "else");
            EmitRowStatistics(w, new RowReading(c, centers, "n", ThreadLoop, i => i == "0" ? "Value<TIn, TOut, TSpec>(spec, x, residual, bias, start, 0)" : $"Value<TIn, TOut, TSpec>(spec, x, residual, bias, start + {i}, {i})",
                "element", "element", v => $"threads.Sum({v}, partials)", v => $"threads.Max({v}, partials)", Device, "spec.Epsilon"));
            EmitSharedSavedStatistics(w, c, "threads.IsFirst", centers);
            w.Line();
            w.Line("// Last pass: normalise, apply the affine and the activation, store h if asked. Each element is read and");
            w.Line("// written by the same thread, so y may be x and residualOut may be residual.");
            w.Open(ThreadLoop);
            w.Line($"{c} h = Value<TIn, TOut, TSpec>(spec, x, residual, bias, start + i, i);");
            w.Line("if ((spec.Flags & GpuRowFlags.ResidualOut) != 0) residualOut[start + i] = spec.Keep(h);");
            w.Line(centers ? $"{c} v = (h * scale - shift - offset) * rstd;" : $"{c} v = h * scale * rstd;");
            w.Line($"if ((spec.Flags & GpuRowFlags.Gamma) != 0) v *= (spec.Flags & GpuRowFlags.ZeroCenteredGamma) != 0 ? {one} + spec.Load(gamma[i]) : spec.Load(gamma[i]);");
            w.Line("if ((spec.Flags & GpuRowFlags.Beta) != 0) v += spec.Load(beta[i]);");
            w.Line("y[start + i] = spec.Store(spec.Activate(v));");
            w.Close();
            w.Close();
        }
        w.Close();
        w.Close();
    }

    /// <summary>BatchNorm evaluation: y = x·s[c] + t[c], s and t folded from the running statistics per element as the CPU kernel folds them.</summary>
    private static void EmitBatchNormEvalKernel(SourceWriter w, string c, string where)
    {
        string one = One(c);
        string sqrt = SquareRoot(c);
        w.Line("/// <summary>Enqueues BatchNorm evaluation's element kernel: 256-thread groups (or the device's limit), at most a few waves of them. Arguments are already checked; x is not empty.</summary>");
        w.Line("internal static void LaunchBatchNormEval<TIn, TOut, TSpec>(global::ILGPU.Runtime.AcceleratorStream stream, global::ILGPU.ArrayView<TIn> x, global::ILGPU.ArrayView<TIn> gamma, global::ILGPU.ArrayView<TIn> beta, global::ILGPU.ArrayView<TIn> runningMean, global::ILGPU.ArrayView<TIn> runningVar, global::ILGPU.ArrayView<TOut> y, int spatial)");
        w.Open($"    {where}");
        w.Line("Launchers<TIn, TOut, TSpec> l = Launchers<TIn, TOut, TSpec>.Cache.GetValue(stream.Accelerator, static accelerator => new Launchers<TIn, TOut, TSpec>(accelerator));");
        w.Line("int group = global::System.Math.Min(256, l.MaxThreadsPerGroup);");
        w.Line("long blocks = (x.Length + group - 1) / group;");
        w.Line("int grid = global::NormGen.NormGpu.GridSize((int)global::System.Math.Min(blocks, int.MaxValue), 1, group, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
        w.Line("l.Elements.Value(stream, new global::ILGPU.KernelConfig(grid, group), x, gamma, beta, runningMean, runningVar, y, spatial);");
        w.Close();
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// One element per thread, the grid striding over the tensor: y = x·s[c] + t[c], with s and t folded from the");
        w.Line("/// channel's running statistics exactly as the CPU kernel folds them. Each element is read and written by the");
        w.Line("/// same thread, so y may be x.");
        w.Line("/// </summary>");
        w.Line("private static void BatchNormEvalKernel<TIn, TOut, TSpec>(global::ILGPU.ArrayView<TIn> x, global::ILGPU.ArrayView<TIn> gamma, global::ILGPU.ArrayView<TIn> beta, global::ILGPU.ArrayView<TIn> runningMean, global::ILGPU.ArrayView<TIn> runningVar, global::ILGPU.ArrayView<TOut> y, int spatial)");
        w.Open($"    {where}");
        w.Line("TSpec spec = default;");
        w.Line("int channels = (int)runningMean.Length;");
        w.Line("long step = (long)global::ILGPU.Grid.DimX * global::ILGPU.Group.DimX;");
        w.Open("for (long i = global::ILGPU.Grid.GlobalIndex.X; i < x.Length; i += step)");
        w.Line("int c = (int)(i / spatial % channels);");
        w.Line($"{c} rstd = {one} / {sqrt}(spec.Load(runningVar[c]) + spec.Epsilon);");
        w.Line($"{c} s = (spec.Flags & GpuRowFlags.Gamma) != 0 ? rstd * spec.Load(gamma[c]) : rstd;");
        w.Line($"{c} t = (spec.Flags & GpuRowFlags.Beta) != 0 ? spec.Load(beta[c]) - spec.Load(runningMean[c]) * s : -spec.Load(runningMean[c]) * s;");
        w.Line("y[i] = spec.Store(spec.Load(x[i]) * s + t);");
        w.Close();
        w.Close();
    }

    /// <summary>The overlap checks on views (constrained calls, the views are not boxed), once per compilation in the device class.</summary>
    private static void EmitSharedViewChecks(SourceWriter w)
    {
        foreach ((string name, string what) in new[]
        {
            ("NoPartialOverlap", "Throws if b overlaps a without being the same view (same buffer, same offset, same length)."),
            ("NoOverlapWithInput", "Throws if the output b shares any memory with the input a, which is still read while b is written (the same view included)."),
            ("NoOverlap", "Throws if the two outputs share any memory at all (the same view included)."),
        })
        {
            w.Line($"/// <summary>{what}</summary>");
            w.Line($"internal static void {name}<TA, TB>(TA a, TB b, string aName, string bName) where TA : {ViewConstraint} where TB : {ViewConstraint} =>");
            w.Line($"    global::NormGen.NormGpu.{name}(BufferOf(a), OffsetInBytes(a), a.LengthInBytes, BufferOf(b), OffsetInBytes(b), b.LengthInBytes, aName, bName);");
            w.Line();
        }
        w.Line("// Constrained calls: the views are not boxed.");
        w.Line($"private static object? BufferOf<TView>(TView view) where TView : {ViewConstraint} => view.IsValid ? view.Buffer : null;");
        w.Line();
        w.Line($"private static long OffsetInBytes<TView>(TView view) where TView : {ViewConstraint} => view.IsValid ? view.IndexInBytes : 0;");
    }
}

/// <summary>The tensor kinds' part of the shared GPU code: their spec struct, layouts and generic kernels.</summary>
internal static partial class GpuEmitter
{
    /// <summary>The class of the shared tensor kernels in compute type <paramref name="c"/>.</summary>
    private static string TensorKernelsClass(string c) => c == "double" ? "GpuTensorKernelsDouble" : "GpuTensorKernelsFloat";

    /// <summary>How a kind's statistics blocks sit in the tensor (<c>GpuTensorLayout</c>).</summary>
    private static string TensorLayout(KernelSpec spec) => spec.Kind switch
    {
        NormKind.BatchNorm => "Channels",
        NormKind.ChannelLayerNorm => "Positions",
        NormKind.MinMaxScale or NormKind.Standardize => "Columns",
        _ => "Blocks",
    };

    private static List<string> TensorFlags(KernelSpec spec)
    {
        var flags = new List<string>();
        if (spec.Kind == NormKind.MinMaxScale) flags.Add("MinMax");
        if (spec.BiasFree) flags.Add("BiasFree");
        if (!IsScaler(spec) && spec.Gamma is not null) flags.Add("Gamma");
        if (!IsScaler(spec) && spec.Gamma is not null && spec.Beta is not null) flags.Add("Beta");
        if (spec.MeanOutput is not null) flags.Add("SaveMean");
        if (spec.SaveStatistics) flags.Add("SaveRstd");
        if (spec.Kind == NormKind.BatchNorm) flags.Add("RunningStatistics");
        if (spec.Kind == NormKind.BatchNorm && spec.CumulativeAverage) flags.Add("CumulativeAverage");
        return flags;
    }

    /// <summary>The spec struct of one tensor declaration's GPU kernels.</summary>
    private static void EmitTensorSpecStruct(SourceWriter w, KernelSpec spec)
    {
        string c = CpuEmitter.ComputeName(spec);
        string t = KernelElement(spec.Element);
        string epsilon = spec.Kind switch
        {
            NormKind.Standardize => CpuEmitterText.Literal(0d, c) + "; // no ε: σ = 0 gives rstd = 0, so a constant column gives 0",
            NormKind.MinMaxScale => CpuEmitterText.Literal(0d, c) + "; // unused",
            _ => CpuEmitterText.Literal(spec.Epsilon, c) + ";",
        };
        OpenSpecStruct(w, spec, $"tensor kernels compute for <c>{SpecOwner(spec)}.{spec.MethodName}</c> (see its remarks): a row of the kernels is one {TensorBlockText(spec)}.",
            $"IGpuTensorSpec<{t}, {c}>");
        w.Line(LayoutProperty(spec));
        w.Line(FlagsProperty("GpuRowFlags", TensorFlags(spec)));
        w.Line($"public {c} Epsilon => {epsilon}");
        w.Line($"public {c} Momentum => {(spec.Kind == NormKind.BatchNorm && !spec.CumulativeAverage ? CpuEmitterText.Literal(spec.Momentum, c) : CpuEmitterText.Literal(0d, c))};");
        EmitLoadAndStore(w, spec, c);
        w.Close();
    }

    /// <summary>The shared launch of a tensor declaration.</summary>
    private static string TensorLaunch(KernelSpec spec, string stream, string rows, string rowLength, string channels, string spatial) =>
        SharedLaunch(spec, TensorKernelsClass(CpuEmitter.ComputeName(spec)), $"{KernelElement(spec.Element)}, {GpuKernelClassName(spec)}",
            stream, new[] { ParamRole.Input, ParamRole.Output }, new[] { $"(int){rows}", rowLength, channels, spatial }, TensorRoles, RoleNames.InGpuForward);

    /// <summary>The tensor spec interface and the layouts, once per compilation.</summary>
    private static void EmitTensorSpecInterface(SourceWriter w, bool rowSpec)
    {
        EmitTensorLayoutEnum(w);
        w.Line();
        w.Line($"/// <summary>One tensor declaration's kernels, as constants{AsRowSpec(rowSpec)}.</summary>");
        w.Open("internal interface IGpuTensorSpec<T, TCompute>");
        w.Line("GpuTensorLayout Layout { get; }");
        w.Line("/// <summary>Gamma, Beta, SaveMean, SaveRstd, and the tensor kinds' own: BiasFree, RunningStatistics, CumulativeAverage, MinMax.</summary>");
        w.Line("GpuRowFlags Flags { get; }");
        w.Line("TCompute Epsilon { get; }");
        w.Line("/// <summary>BatchNorm's momentum (unless CumulativeAverage).</summary>");
        w.Line("TCompute Momentum { get; }");
        w.Line("TCompute Load(T value);");
        w.Line("T Store(TCompute value);");
        w.Close();
    }

    /// <summary>The layouts of the tensor kinds' statistics blocks, once per compilation (forward and backward kernels read them).</summary>
    private static void EmitTensorLayoutEnum(SourceWriter w)
    {
        w.Line("/// <summary>How a tensor kind's statistics blocks (the rows of the tensor kernels) sit in an (N, C, *) or (samples, features) tensor.</summary>");
        w.Open("internal enum GpuTensorLayout");
        w.Line("/// <summary>GroupNorm, InstanceNorm: a (sample, group) or (sample, channel) block is contiguous; γ, β per channel.</summary>");
        w.Line("Blocks,");
        w.Line("/// <summary>BatchNorm: a channel is N blocks of spatial values, C × spatial apart; the row is the channel.</summary>");
        w.Line("Channels,");
        w.Line("/// <summary>ChannelLayerNorm: a (sample, position) is C values spatial apart; element i is channel i.</summary>");
        w.Line("Positions,");
        w.Line("/// <summary>MinMaxScale, Standardize: a column (feature) is one value per sample, features apart.</summary>");
        w.Line("Columns,");
        w.Close();
    }

    /// <summary>The shared tensor kernels of one compute type, with the batch count kernel when a BatchNorm declaration counts its batches (<paramref name="batchCount"/>).</summary>
    private static void EmitTensorKernels(SourceWriter w, string c, bool batchCount)
    {
        string where = $"where T : unmanaged where TSpec : struct, IGpuTensorSpec<T, {c}>";
        string V(string t) => $"global::ILGPU.ArrayView<{t}>";
        // The views in the launch's order (TensorRoles), named as the declarations' launches pass them (RoleNames.InGpuForward).
        var kernelViews = TensorRoles.Select(role => (Role: role, Element: role == ParamRole.BatchesTracked ? "long" : role is ParamRole.Mean or ParamRole.Rstd ? c : "T", Name: RoleNames.InGpuForward(role))).ToList();
        string views = string.Join(", ", kernelViews.Select(v => $"{V(v.Element)} {v.Name}"));
        string typeArgs = string.Join(", ", kernelViews.Select(v => V(v.Element))) + ", int, int, int, int";
        string args = string.Join(", ", kernelViews.Select(v => v.Name)) + ", rows, rowLength, channels, spatial";
        string optional = string.Join(", ", kernelViews.Where(v => v.Role is not (ParamRole.Input or ParamRole.Output)).Select(v => $"{V(v.Element)} {v.Name} = default"));

        w.Line("/// <summary>");
        w.Line($"/// The kernels of every tensor declaration with statistics computed in {c}, generic over its spec struct: each");
        w.Line("/// statistics block is a row of the row kernels read through the layout's index map (one warp per row up to");
        w.Line($"/// {Lit(WarpPerRowMaxLength)} values, one group per longer row, a grid-stride loop over the rows).");
        w.Line("/// </summary>");
        w.Line(Generated);
        w.Open($"internal static class {TensorKernelsClass(c)}");
        var rows = (typeArgs, new[] { ("WarpPerRow", "WarpPerRowKernel<T, TSpec>"), ("GroupPerRow", "GroupPerRowKernel<T, TSpec>") });
        if (batchCount) EmitLaunchers(w, "T, TSpec", where, rows, (V("long"), new[] { ("Count", "CountKernel") }));
        else EmitLaunchers(w, "T, TSpec", where, rows);
        w.Line($"/// <summary>Picks the kernel and the geometry, and enqueues it{(batchCount ? " (then the batch count, for BatchNorm's momentum=None)" : "")}. Arguments are already checked; rows &gt; 0. Absent views stay empty.</summary>");
        w.Line($"internal static void Launch<T, TSpec>(global::ILGPU.Runtime.AcceleratorStream stream, {V("T")} x, {V("T")} y, int rows, int rowLength, int channels, int spatial, {optional})");
        w.Open($"    {where}");
        w.Line("Launchers<T, TSpec> l = Launchers<T, TSpec>.Cache.GetValue(stream.Accelerator, static accelerator => new Launchers<T, TSpec>(accelerator));");
        EmitRowLaunch(w, warpKernel: true, groupKernel: true, "rowLength", args);
        if (batchCount)
        {
            w.Line("// After the kernel that read the old count (the stream runs them in order): one thread counts this batch.");
            w.Line("if ((default(TSpec).Flags & GpuRowFlags.CumulativeAverage) != 0)");
            w.Line("    l.Count.Value(stream, new global::ILGPU.KernelConfig(1, 1), batchesTracked);");
        }
        w.Close();
        w.Line();
        EmitTensorLayoutHelpers(w);
        EmitKernelPair(w, c, "<T, TSpec>", $"{views}, {TensorSizes}", args, where);
        w.Line();
        EmitTensorKernel(w, c, views, where);
        if (batchCount) EmitCountKernel(w);
        w.Close();
    }

    /// <summary>BatchNorm's batch count (momentum=None), after the normalizing kernel.</summary>
    private static void EmitCountKernel(SourceWriter w)
    {
        w.Line();
        w.Line("/// <summary>PyTorch's momentum=None: counts this batch, after the normalizing kernel read the old count.</summary>");
        w.Open("private static void CountKernel(global::ILGPU.ArrayView<long> batchesTracked)");
        w.Line("if (global::ILGPU.Grid.GlobalIndex.X == 0)");
        w.Line("    batchesTracked[0] += 1;");
        w.Close();
    }

    /// <summary>The layouts' index maps: where a row starts, where its element i is, and the channel (index into γ, β) of element i.</summary>
    private static void EmitTensorLayoutHelpers(SourceWriter w)
    {
        w.Line("/// <summary>Where row <paramref name=\"row\"/> (one statistics block) starts in x and y.</summary>");
        w.Line("private static long Start(GpuTensorLayout layout, int row, int rowLength, int channels, int spatial) =>");
        w.Line("    layout == GpuTensorLayout.Channels ? (long)row * spatial");
        w.Line("    : layout == GpuTensorLayout.Positions ? (long)(row / spatial) * channels * spatial + row % spatial");
        w.Line("    : layout == GpuTensorLayout.Columns ? row");
        w.Line("    : (long)row * rowLength;");
        w.Line();
        w.Line("/// <summary>The index in x and y of element <paramref name=\"i\"/> of the row that starts at <paramref name=\"start\"/>.</summary>");
        w.Line("private static long Index(GpuTensorLayout layout, long start, int i, int rows, int channels, int spatial) =>");
        w.Line("    layout == GpuTensorLayout.Channels ? start + (long)(i / spatial) * channels * spatial + i % spatial");
        w.Line("    : layout == GpuTensorLayout.Positions ? start + (long)i * spatial");
        w.Line("    : layout == GpuTensorLayout.Columns ? start + (long)i * rows");
        w.Line("    : start + i;");
        w.Line();
        w.Line("/// <summary>The channel of element <paramref name=\"i\"/> of row <paramref name=\"row\"/>: the index into γ and β.</summary>");
        w.Line("private static int Channel(GpuTensorLayout layout, int row, int i, int rowLength, int channels, int spatial) =>");
        w.Line("    layout == GpuTensorLayout.Channels ? row");
        w.Line("    : layout == GpuTensorLayout.Positions ? i");
        w.Line("    : (int)((long)row * (rowLength / spatial) % channels) + i / spatial;");
        w.Line();
    }

    private static void EmitTensorKernel(SourceWriter w, string c, string views, string where)
    {
        string one = One(c);
        string zero = Zero(c);
        string loop = ThreadLoop.Replace("< n;", "< rowLength;");
        const string Device = "GpuDevice.";
        string At(string i) => $"spec.Load(x[Index(spec.Layout, start, {i}, rows, channels, spatial)])";

        OpenRowsBody(w, c, "<T, TSpec>", $"{views}, {TensorSizes}", where);
        w.Line("long start = Start(spec.Layout, row, rowLength, channels, spatial);");
        w.Open("if ((spec.Flags & GpuRowFlags.MinMax) != 0)");
        w.Line("// Pass 1: min and max; every thread starts from the column's first value. NaN propagates, so a NaN makes its");
        w.Line("// own column NaN and no other.");
        w.Line($"{c} lo = spec.Load(x[start]), hi = lo;");
        w.Open(loop);
        w.Line($"{c} v = {At("i")};");
        w.Line($"lo = {Device}Smaller(lo, v);");
        w.Line($"hi = {Device}Larger(hi, v);");
        w.Close();
        w.Line("hi = threads.Max(hi, partials);");
        w.Line("lo = -threads.Max(-lo, partials); // min(a, b) = −max(−a, −b)");
        w.Line($"{c} range = hi - lo;");
        w.Line();
        w.Line("// Pass 2: (x − min) / range, divided so that the maximum maps to 1 exactly; a constant column (range 0) gives 0.");
        w.Line("// Each element is read and written by the same thread, so y may be x.");
        w.Open(loop);
        w.Line("long at = Index(spec.Layout, start, i, rows, channels, spatial);");
        w.Line($"y[at] = spec.Store(range == {zero} ? {zero} : (spec.Load(x[at]) - lo) / range);");
        w.Close();
        w.Line("continue;");
        w.Close();
        EmitRowStatistics(w, new RowReading(c, Centers: true, "rowLength", loop, i => i == "0" ? "spec.Load(x[start])" : At(i), "x", "value",
            v => $"threads.Sum({v}, partials)", v => $"threads.Max({v}, partials)", Device, "spec.Epsilon"));
        EmitSharedSavedStatistics(w, c, "threads.IsFirst", centers: true);
        w.Open("if (threads.IsFirst && (spec.Flags & GpuRowFlags.RunningStatistics) != 0)");
        w.Line("// Running statistics (PyTorch): the batch mean and the unbiased variance, r ← (1 − m)·r + m·stat, of the");
        w.Line("// unscaled values (scale is 1 unless the channel overflowed). momentum=None: 1 / the count including this batch.");
        w.Line($"{c} momentum = (spec.Flags & GpuRowFlags.CumulativeAverage) != 0 ? ({c})(1d / (batchesTracked[0] + 1)) : spec.Momentum;");
        w.Line($"{c} count = rowLength;");
        w.Line($"runningMean[row] = spec.Store(({one} - momentum) * spec.Load(runningMean[row]) + momentum * ((shift + offset) / scale));");
        w.Line($"runningVar[row] = spec.Store(({one} - momentum) * spec.Load(runningVar[row]) + momentum * (variance / (scale * scale) * count / (count - {one})));");
        w.Close();
        w.Line();
        w.Line("// Last pass: normalise (x itself, not x − μ, for BiasFree) and apply the channel's γ, β. Each element is read and");
        w.Line("// written by the same thread, so y may be x.");
        w.Open(loop);
        w.Line("long at = Index(spec.Layout, start, i, rows, channels, spatial);");
        w.Line($"{c} xi = spec.Load(x[at]);");
        w.Line($"{c} v = (spec.Flags & GpuRowFlags.BiasFree) != 0 ? xi * scale * rstd : (xi * scale - shift - offset) * rstd;");
        w.Line("if ((spec.Flags & GpuRowFlags.Gamma) != 0) v *= spec.Load(gamma[Channel(spec.Layout, row, i, rowLength, channels, spatial)]);");
        w.Line("if ((spec.Flags & GpuRowFlags.Beta) != 0) v += spec.Load(beta[Channel(spec.Layout, row, i, rowLength, channels, spatial)]);");
        w.Line("y[at] = spec.Store(v);");
        w.Close();
        w.Close();
        w.Close();
    }

    /// <summary>The saved statistics of the row (the mean of the unscaled values and rstd), written by the row's first thread.</summary>
    private static void EmitSharedSavedStatistics(SourceWriter w, string c, string firstThread, bool centers)
    {
        w.Open($"if ({firstThread} && (spec.Flags & GpuRowFlags.SaveRstd) != 0)");
        if (centers)
        {
            w.Line($"if ((spec.Flags & GpuRowFlags.SaveMean) != 0) meanOut[row] = {SavedMean};");
            w.Line($"rstdOut[row] = {SavedRstd(c, centers)};");
        }
        else w.Line($"rstdOut[row] = {SavedRstd(c, centers)};");
        w.Close();
    }

    /// <summary>The saved mean after <see cref="EmitRowStatistics"/>: of the unscaled values (the forward's and the backward's recomputed one).</summary>
    private const string SavedMean = "(shift + offset) / scale";

    /// <summary>The saved rstd after <see cref="EmitRowStatistics"/>: of the unscaled values; 1/√ε for a constant row (LayerNorm).</summary>
    private static string SavedRstd(string c, bool centers) =>
        centers ? $"constant ? {One(c)} / {SquareRoot(c)}(spec.Epsilon) : rstd * scale" : "rstd * scale";

    /// <summary>
    /// A spec interface's reference to the row kernels' one, which explains the pattern: a cref when that interface is
    /// written (<paramref name="rowSpec"/>), otherwise nothing.
    /// </summary>
    private static string AsRowSpec(bool rowSpec) => rowSpec ? " (as <see cref=\"IGpuRowSpec{TIn, TOut, TCompute}\"/>)" : "";

    /// <summary>The two ways threads share a row (a warp, a group), as the structs the kernels' one body is generic over, in the compute types <paramref name="computeTypes"/>.</summary>
    private static void EmitThreadShapes(SourceWriter w, string[] computeTypes)
    {
        w.Line("/// <summary>The threads that share one row of a kernel: where they start and stride, and their reductions.</summary>");
        w.Open("internal interface IGpuRowThreads<TCompute> where TCompute : unmanaged");
        w.Line("/// <summary>This thread's first row and the stride over rows (a grid-stride loop).</summary>");
        w.Line("int FirstRow { get; }");
        w.Line("int RowStep { get; }");
        w.Line("/// <summary>This thread's first element of the row and the stride through it.</summary>");
        w.Line("int First { get; }");
        w.Line("int Step { get; }");
        w.Line("/// <summary>The thread that writes the row's scalars (saved statistics, running statistics).</summary>");
        w.Line("bool IsFirst { get; }");
        w.Line("/// <summary>The sum over the row's threads, in every thread (fixed order: the same bits in every thread and run).</summary>");
        w.Line("TCompute Sum(TCompute value, global::ILGPU.ArrayView<TCompute> partials);");
        w.Line("/// <summary>The maximum (NaN propagating) over the row's threads, in every thread.</summary>");
        w.Line("TCompute Max(TCompute value, global::ILGPU.ArrayView<TCompute> partials);");
        w.Close();
        foreach (bool group in new[] { false, true })
        {
            w.Line();
            w.Line(group
                ? "/// <summary>One group per row (long rows): the group's threads stride through the row, reduce with warp shuffles and meet in shared memory (partials).</summary>"
                : "/// <summary>One warp per row (short rows): several rows per group, shuffle reductions, no barriers (partials unused).</summary>");
            w.Open($"internal readonly struct {(group ? "GpuGroupRows" : "GpuWarpRows")} : {string.Join(", ", computeTypes.Select(c => $"IGpuRowThreads<{c}>"))}");
            w.Line(group ? "public int FirstRow => global::ILGPU.Grid.IdxX;" : "public int FirstRow => global::ILGPU.Grid.IdxX * (global::ILGPU.Group.DimX / global::ILGPU.Warp.WarpSize) + global::ILGPU.Warp.WarpIdx;");
            w.Line(group ? "public int RowStep => global::ILGPU.Grid.DimX;" : "public int RowStep => global::ILGPU.Grid.DimX * (global::ILGPU.Group.DimX / global::ILGPU.Warp.WarpSize);");
            w.Line(group ? "public int First => global::ILGPU.Group.IdxX;" : "public int First => global::ILGPU.Warp.LaneIdx;");
            w.Line(group ? "public int Step => global::ILGPU.Group.DimX;" : "public int Step => global::ILGPU.Warp.WarpSize;");
            w.Line(group ? "public bool IsFirst => global::ILGPU.Group.IsFirstThread;" : "public bool IsFirst => global::ILGPU.Warp.IsFirstLane;");
            foreach (string c in computeTypes)
            {
                w.Line($"public {c} Sum({c} value, global::ILGPU.ArrayView<{c}> partials) => {(group ? "GpuDevice.GroupSum(value, partials)" : "GpuDevice.WarpSum(value)")};");
                w.Line($"public {c} Max({c} value, global::ILGPU.ArrayView<{c}> partials) => {(group ? "GpuDevice.GroupMax(value, partials)" : "GpuDevice.WarpMax(value)")};");
            }
            w.Close();
        }
    }
}
