using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// Writes the ILGPU variant of one kernel when the consuming compilation references ILGPU: two public overloads of
/// the user's method (one taking an <c>Accelerator</c>, one an <c>AcceleratorStream</c>) whose span parameters become
/// <c>ArrayView&lt;T&gt;</c>, and a file-local class with the explicitly grouped kernels and a per-accelerator cache of
/// their compiled launchers.
/// </summary>
/// <remarks>
/// Kernels: rows up to <see cref="WarpPerRowMaxLength"/> elements are normalized by one warp each (several rows per
/// group, warp-shuffle reductions, no barriers); longer rows by one group each (warp shuffles, then the per-warp sums
/// meet in shared memory). Both walk the rows with a grid-stride loop. Statistics mirror the CPU emitter: LayerNorm
/// keeps the mean as the row's first element plus an offset and uses the corrected two-pass variance (the CPU kernels
/// take one pass when the first vector's mean is close enough to the row's, the GPU kernels always two); RMSNorm one
/// pass for the mean square; float arithmetic (double for double, float for Half, rounded once on store).
/// The row fusions of the CPU emitter are all here: residual (+ bias, + residualOut) and DeepNorm's α, with
/// h = α·x + residual (+ bias) formed in registers in every pass; zero-centred γ; the epilogue activation (arithmetic
/// only, so every ILGPU backend compiles it); saved mean/rstd; float ↔ Half output.
/// </remarks>
internal static partial class GpuEmitter
{
    /// <summary>Must equal <c>NormGen.NormGpu.WarpPerRowMaxLength</c> in the runtime.</summary>
    internal const int WarpPerRowMaxLength = 1024;

    private const string Generated = "[global::System.CodeDom.Compiler.GeneratedCode(\"NormGen\", \"" + CpuEmitter.GeneratorVersion + "\")]";
    private const string AcceleratorTypeName = "ILGPU.Runtime.Accelerator";

    /// <summary>The constraint of the generated view helpers' type parameters: any contiguous view, unboxed.</summary>
    private const string ViewConstraint = "struct, global::ILGPU.IContiguousArrayView";

    /// <summary>
    /// One bool that says whether the compilation references ILGPU. It is all that leaves the compilation, so an edit
    /// re-emits nothing unless a spec or the reference changes. Built once per generator, shared by every attribute.
    /// </summary>
    public static IncrementalValueProvider<bool> ReferencesIlgpu(IncrementalGeneratorInitializationContext context) =>
        context.CompilationProvider
            .Select(static (compilation, _) => compilation.GetTypeByMetadataName(AcceleratorTypeName) is not null)
            .WithTrackingName(TrackingNames.IlgpuReference);

    /// <summary>
    /// Adds the GPU outputs to the pipeline: the specs the GPU emitter supports, when the compilation references ILGPU.
    /// Returns those specs (for <see cref="RegisterDevicePrimitives"/>).
    /// </summary>
    public static IncrementalValuesProvider<KernelSpec> Register(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<KernelSpec> specs, IncrementalValueProvider<bool> hasIlgpu)
    {
        IncrementalValuesProvider<KernelSpec> gpuSpecs = specs
            .Combine(hasIlgpu)
            .Where(static pair => pair.Right && Supports(pair.Left) is null && !pair.Left.GpuOverloadsCollide)
            .Select(static (pair, _) => pair.Left)
            .WithTrackingName(TrackingNames.GpuSpecs);

        context.RegisterSourceOutput(gpuSpecs, static (spc, spec) => spc.AddSource(HintName(spec), Emit(spec)));
        return gpuSpecs;
    }

    /// <summary>
    /// Null when this emitter writes the GPU variant of the spec; otherwise what it lacks, for NG0022: the kinds'
    /// capability table (<see cref="KindDefinition.Backends"/>, <see cref="Kinds.GpuGap"/>), which the parser reads too.
    /// The GPU kernels cover every forward kind: the row kinds with every row fusion, BatchNorm evaluation, and the other
    /// tensor kinds (Emitter.GpuTensor.cs); backward kernels every row backward form (Emitter.GpuBackward.cs).
    /// </summary>
    internal static string? Supports(KernelSpec spec) => Kinds.GpuGap(spec);

    /// <summary>BatchNorm evaluation: running statistics folded into one multiply-add per element, on the GPU as on the CPU.</summary>
    private static bool IsBatchNormEval(KernelSpec spec) => spec.Kind == NormKind.BatchNorm && !spec.Training;

    /// <summary><c>Ns.Type.Method.g.cs</c> becomes <c>Ns.Type.Method.Gpu.g.cs</c>.</summary>
    internal static string HintName(KernelSpec spec) =>
        spec.HintName.EndsWith(".g.cs", System.StringComparison.Ordinal)
            ? spec.HintName.Substring(0, spec.HintName.Length - ".g.cs".Length) + ".Gpu.g.cs"
            : spec.HintName + ".Gpu.g.cs";

    public static string Emit(KernelSpec spec)
    {
        var w = new SourceWriter();
        w.Line("// <auto-generated/>");
        w.Line("#nullable enable");
        w.Line("#pragma warning disable CS1591 // the user's declaration carries the public documentation");
        w.Line();
        if (spec.Backward) return IsGpuTensorKind(spec) ? EmitTensorBackward(w, spec) : EmitBackward(w, spec);
        CpuEmitter.OpenUserType(w, spec);
        if (IsBatchNormEval(spec)) EmitBatchNormOverloads(w, spec);
        else if (IsGpuTensorKind(spec)) EmitTensorOverloads(w, spec);
        else EmitOverloads(w, spec);
        CpuEmitter.CloseUserType(w, spec);

        w.Line();
        if (spec.Namespace is not null) w.Open("namespace " + spec.Namespace);
        if (IsGpuTensorKind(spec)) EmitTensorSpecStruct(w, spec);
        else EmitRowSpecStruct(w, spec, batchNormEval: IsBatchNormEval(spec));
        if (spec.Namespace is not null) w.Close();
        return GlobalNames.Qualify(w.ToString());
    }

    // ---------------------------------------------------------------- names and shapes

    private static string Lit(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The element type of a public view: the user's element type (Half is <c>System.Half</c>).</summary>
    private static string PublicElement(ElementKind e) => e switch
    {
        ElementKind.Double => "double",
        ElementKind.Half => "global::System.Half",
        ElementKind.Int64 => "long",
        _ => "float",
    };

    /// <summary>The element type the kernels see: ILGPU's own Half, whose conversions ILGPU lowers to hardware instructions.</summary>
    private static string KernelElement(ElementKind e) => e switch
    {
        ElementKind.Double => "double",
        ElementKind.Half => "global::ILGPU.Half",
        ElementKind.Int64 => "long",
        _ => "float",
    };

    private static string View(string element) => $"global::ILGPU.ArrayView<{element}>";

    /// <summary>The name of the extra row-length parameter of run-time-shape tensor methods (their CPU form reads it from the tensor).</summary>
    private static string? ExtraRowLengthName(KernelSpec spec)
    {
        if (spec.HasStaticShape || !spec.IsTensorForm) return null;
        return Unique(spec, "rowLength");
    }

    private static string Unique(KernelSpec spec, string name)
    {
        while (spec.Parameters.Any(p => p.Name == name)) name += "_";
        return name;
    }

    /// <summary>The kernels' view parameters in order, with the canonical names used inside the kernel class (as the CPU emitter's).</summary>
    private static readonly (ParamRole Role, string Name)[] RowRoles =
    {
        (ParamRole.Input, "x"),
        (ParamRole.Residual, "residual"),
        (ParamRole.Bias, "bias"),
        (ParamRole.Gamma, "gamma"),
        (ParamRole.Beta, "beta"),
        (ParamRole.Output, "y"),
        (ParamRole.ResidualOut, "residualOut"),
        (ParamRole.Mean, "meanOut"),
        (ParamRole.Rstd, "rstdOut"),
    };

    private sealed record KernelView(ParamRole Role, string Name, ParameterSpec User)
    {
        public string Element => KernelElement(User.Element);
    }

    private static List<KernelView> KernelViews(KernelSpec spec) => Views(spec, RowRoles);

    /// <summary>The spec's parameters among <paramref name="roles"/>, in the table's order, with its canonical names.</summary>
    private static List<KernelView> Views(KernelSpec spec, (ParamRole Role, string Name)[] roles)
    {
        var list = new List<KernelView>();
        foreach ((ParamRole role, string name) in roles)
            if (spec.Parameter(role) is { } p) list.Add(new KernelView(role, name, p));
        return list;
    }

    /// <summary>
    /// The method as <c>global::Ns.Outer&lt;T&gt;.Kernels.Norm</c>, for the call from one overload to the other: a
    /// parameter may have the method's own name and would capture the simple name.
    /// </summary>
    private static string QualifiedMethod(KernelSpec spec) =>
        "global::" + string.Join(".", (spec.Namespace is null ? new string[0] : new[] { spec.Namespace })
            .Concat(spec.ContainingTypes.Select(t => t.NameWithTypeParameters))
            .Concat(new[] { CpuEmitter.Id(spec.MethodName) }));

    private static string GpuKernelClassName(KernelSpec spec) => spec.KernelClassName + "_Gpu";

    // ---------------------------------------------------------------- public overloads

    private static void EmitOverloads(SourceWriter w, KernelSpec spec)
    {
        string modifiers = string.Join(" ", spec.Modifiers.Split(' ').Where(m => m.Length > 0 && m != "partial"));
        string? extra = ExtraRowLengthName(spec);
        string accelerator = Unique(spec, "accelerator");
        string stream = Unique(spec, "stream");

        var parameters = new List<string>();
        var arguments = new List<string>();
        foreach (ParameterSpec p in spec.Parameters)
        {
            parameters.Add(p.Role == ParamRole.RowLength ? "int " + CpuEmitter.Id(p.Name) : View(PublicElement(p.Element)) + " " + CpuEmitter.Id(p.Name));
            arguments.Add(CpuEmitter.Id(p.Name));
        }
        if (extra is not null)
        {
            parameters.Add("int " + extra);
            arguments.Add(extra);
        }
        string parameterList = string.Join(", ", parameters);

        // Overload 1: the accelerator's default stream.
        EmitDocumentation(w, spec, extra, StreamOverloadCref(spec, parameters));
        EmitDefaultStreamOverload(w, spec, modifiers, accelerator, parameterList, arguments);
        w.Line();

        // Overload 2: an explicit stream. Checks everything before the launch, then enqueues.
        EmitDocumentation(w, spec, extra, defaultStreamOf: null);
        w.Line(Generated);
        w.Open($"{modifiers} void {CpuEmitter.Id(spec.MethodName)}(global::ILGPU.Runtime.AcceleratorStream {stream}, {parameterList})");
        w.Line($"if ({stream} is null) throw new global::System.ArgumentNullException({CpuEmitter.StrOfId(stream)});");
        string k = GpuKernelClassName(spec);
        string x = CpuEmitter.Id(spec.Input.Name);
        // Locals: a run-time row-length parameter may itself be called rowLength; any other user name is avoided.
        string rowLength = spec.RowLengthParameter?.Name == "rowLength" ? "rowLength" : Unique(spec, "rowLength");
        if (extra is not null) rowLength = extra;
        string rows = Unique(spec, "rows");
        if (spec.HasStaticShape)
        {
            w.Line($"const int {rowLength} = {Lit(spec.StaticRowLength)};");
        }
        else
        {
            string n = extra ?? CpuEmitter.Id(spec.RowLengthParameter!.Name);
            w.Line($"global::NormGen.NormGpu.PositiveRowLength({n}, {CpuEmitter.StrOfId(n)});");
            if (n != rowLength) w.Line($"int {rowLength} = {n};");
        }
        w.Line($"int {rows} = global::NormGen.NormGpu.RowCount({x}.Length, {rowLength}, {CpuEmitter.StrOfId(x)});");
        EmitRowLengthChecks(w, spec, rowLength, rows);
        // The same aliasing rules as the CPU form: in place is allowed, shifted overlaps are not, outputs share no
        // memory with γ, β, the bias or each other.
        EmitOverlapChecks(w, spec, k);
        w.Line($"if ({rows} == 0) return;");
        w.Line(RowLaunch(spec, stream, rowLength, rows));
        w.Close();
    }

    /// <summary>The row overload's length checks of every view but x: whole rows, one row, or one value per row.</summary>
    private static void EmitRowLengthChecks(SourceWriter w, KernelSpec spec, string rowLength, string rows)
    {
        string x = CpuEmitter.Id(spec.Input.Name);
        foreach (ParameterSpec p in spec.Parameters)
        {
            string id = CpuEmitter.Id(p.Name);
            switch (p.Role)
            {
                case ParamRole.Output or ParamRole.Residual or ParamRole.ResidualOut:
                    w.Line($"global::NormGen.NormGpu.Length({id}.Length, {x}.Length, {CpuEmitter.StrOfId(id)}, \"the same as {spec.Input.Name}\");");
                    break;
                case ParamRole.Bias or ParamRole.Gamma or ParamRole.Beta:
                    w.Line($"global::NormGen.NormGpu.Length({id}.Length, {rowLength}, {CpuEmitter.StrOfId(id)}, \"one per normalized element\");");
                    break;
                case ParamRole.Mean or ParamRole.Rstd:
                    w.Line($"global::NormGen.NormGpu.Length({id}.Length, {rows}, {CpuEmitter.StrOfId(id)}, \"one per row\");");
                    break;
            }
        }
    }

    /// <summary>
    /// An overload's documentation: the summary, then the remarks, or for the <c>Accelerator</c> overload (<paramref name="defaultStreamOf"/>:
    /// the cref of the stream overload it runs) one line that points at them.
    /// </summary>
    private static void EmitDocumentation(SourceWriter w, KernelSpec spec, string? extra, string? defaultStreamOf)
    {
        string x = spec.Input.Name, y = spec.Output.Name;
        string rowText = spec.HasStaticShape
            ? $"rows of {Lit(spec.StaticRowLength)} elements (normalized shape [{string.Join(", ", spec.Shape)}])"
            : $"rows of <paramref name=\"{extra ?? spec.RowLengthParameter!.Name}\"/> elements";
        string on = defaultStreamOf is null ? "enqueued on <paramref name=\"stream\"/>" : "enqueued on the accelerator's default stream";
        w.Line("/// <summary>");
        w.Line($"/// {Kinds.Get(spec.Kind).Title(spec)} of <paramref name=\"{x}\"/> into <paramref name=\"{y}\"/> on an ILGPU accelerator, over {rowText}; {on}, not synchronised.");
        w.Line("/// </summary>");
        if (defaultStreamOf is not null) EmitDefaultStreamRemarks(w, defaultStreamOf);
        else EmitRemarks(w, spec, extra);
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A view's length does not fit the others, or an output overlaps an input without being the same view. Nothing is enqueued.</exception>");
    }

    /// <summary>The stream overload's remarks: the numerics, the fusions, the views, the kernel.</summary>
    private static void EmitRemarks(SourceWriter w, KernelSpec spec, string? extra)
    {
        string x = spec.Input.Name, y = spec.Output.Name;
        string Ref(ParamRole role) => $"<paramref name=\"{spec.Parameter(role)!.Name}\"/>";
        w.Line("/// <remarks>");
        w.Line($"/// <para>GPU variant of the span method of the same name, with the same numerics: {CpuEmitter.Formula(spec)}, ε = {CpuEmitterText.Epsilon(spec)}.{ActivationText(spec)}</para>");
        if (spec.Residual)
        {
            string alpha = spec.Alpha != 1d ? "α·x + " : "x + ";
            string bias = spec.ResidualBias ? $" + {Ref(ParamRole.Bias)}" : "";
            w.Line($"/// <para>h = {alpha}{Ref(ParamRole.Residual)}{bias}, element by element{(spec.ResidualOutput is not null ? $", is stored in {Ref(ParamRole.ResidualOut)} (the residual stream for the next block)" : "")}; h is normalized. Each pass forms h again in registers from the inputs (which the row's first pass brought into cache) rather than storing and reloading it; it is written once, in the last pass{(spec.Element == ElementKind.Half ? ", and kept in float: only the stored copy is rounded to Half" : "")}.</para>");
            if (spec.Alpha != 1d)
                w.Line($"/// <para>α = {spec.Alpha.ToString("R", CultureInfo.InvariantCulture)}{(spec.AlphaSource.Length > 0 ? $" ({spec.AlphaSource.Replace("<", "&lt;")})" : "")}, a constant in the kernel (Wang et al. 2022, DeepNet).</para>");
        }
        if (extra is not null)
            w.Line($"/// <para>The views are the tensors' dense, row-major elements; <paramref name=\"{extra}\"/> is the product of the last {Lit(spec.Axes)} axis length{(spec.Axes == 1 ? "" : "s")} (the normalized shape).</para>");
        var perColumn = spec.Parameters.Where(p => p.Role is ParamRole.Gamma or ParamRole.Beta or ParamRole.Bias).Select(p => $"<paramref name=\"{p.Name}\"/>").ToList();
        var perRow = spec.Parameters.Where(p => p.Role is ParamRole.Residual or ParamRole.ResidualOut).Select(p => $"<paramref name=\"{p.Name}\"/>").ToList();
        var stats = spec.Parameters.Where(p => p.Role is ParamRole.Mean or ParamRole.Rstd).Select(p => $"<paramref name=\"{p.Name}\"/>").ToList();
        string views = $"<paramref name=\"{x}\"/>{string.Concat(perRow.Select(r => ", " + r))} and <paramref name=\"{y}\"/> hold a whole number of rows";
        if (perColumn.Count > 0) views += $"; {string.Join(", ", perColumn)} hold{(perColumn.Count == 1 ? "s" : "")} one row";
        if (stats.Count > 0) views += $"; {string.Join(" and ", stats)} hold{(stats.Count == 1 ? "s" : "")} one value per row ({(spec.Element == ElementKind.Double ? "double" : "float")}, saved as PyTorch saves them for the backward pass)";
        string inPlace = $"<paramref name=\"{y}\"/> may be <paramref name=\"{x}\"/> itself (in place){(spec.ResidualOutput is not null ? $", and {Ref(ParamRole.ResidualOut)} may be {Ref(ParamRole.Residual)}" : "")}";
        w.Line($"/// <para>Views: {views}; all belong to the stream's accelerator. {inPlace}. Zero rows enqueue nothing. A buffer's <c>View</c> converts to <c>ArrayView&lt;T&gt;</c> implicitly.</para>");
        string kernel = spec.HasStaticShape
            ? spec.StaticRowLength <= WarpPerRowMaxLength
                ? "one warp per row, several rows per group, warp-shuffle reductions"
                : "one group per row, warp-shuffle reductions meeting in shared memory"
            : $"rows up to {Lit(WarpPerRowMaxLength)} elements: one warp per row, several rows per group; longer rows: one group per row with a shared-memory reduction";
        string statsText = spec.Centers
            ? "mean as first element plus offset, corrected two-pass variance"
            : "one pass for the mean square";
        string compute = spec.Element switch
        {
            ElementKind.Double => "double",
            ElementKind.Half => "float (Half is widened on load)",
            _ => "float",
        };
        string store = spec.OutputElement != spec.Element
            ? $" The output is rounded once to {CpuEmitter.ElementName(spec.OutputElement)} on store."
            : spec.Element == ElementKind.Half ? " The output is rounded once to Half on store." : "";
        w.Line($"/// <para>Kernel: {kernel}; a grid-stride loop covers any row count. Statistics in {compute}: {statsText}.{store} Compiled once per accelerator, on first use, and cached.</para>");
        w.Line("/// </remarks>");
    }

    /// <summary>The aliasing checks of <see cref="OverlapCheck.For"/> on views, through the kernel class's helpers.</summary>
    private static void EmitOverlapChecks(SourceWriter w, KernelSpec spec, string kernelClass)
    {
        foreach (OverlapCheck c in OverlapCheck.For(spec))
        {
            string a = CpuEmitter.Id(c.First.Name), b = CpuEmitter.Id(c.Written.Name);
            w.Line($"{SharedNamespace}GpuDevice.{CheckName(c.Rule)}({a}, {b}, {CpuEmitter.StrOfId(a)}, {CpuEmitter.StrOfId(b)});");
        }
    }

    private static string CheckName(OverlapRule rule) => rule switch
    {
        OverlapRule.SameOrDisjoint => "NoPartialOverlap",
        OverlapRule.DisjointFromInput => "NoOverlapWithInput",
        _ => "NoOverlap",
    };

    private static string ActivationText(KernelSpec spec) => spec.Activation switch
    {
        ActivationKind.Relu => " act = ReLU.",
        ActivationKind.Gelu => " act = GELU, exact erf form (PyTorch's default), erf by Abramowitz &amp; Stegun 7.1.26 (within 1.5e-7), as the CPU kernel.",
        ActivationKind.GeluTanh => " act = GELU, tanh approximation, tanh(u) = 1 − 2/(e^(2u) + 1) as the CPU kernel.",
        ActivationKind.Silu => " act = SiLU, v / (1 + e^−v).",
        ActivationKind.Tanh => " act = tanh, the CPU kernel's formulas: an odd polynomial below |v| = 0.625, (1 − e)/(1 + e) with e = e^(−2|v|) above.",
        ActivationKind.Sigmoid => " act = the logistic sigmoid, (v &lt; 0 ? e : 1)/(1 + e) with e = e^−|v|, as the CPU kernel.",
        _ => "",
    };

    // ---------------------------------------------------------------- kernel class

    // ---------------------------------------------------------------- kernels

    /// <summary>
    /// The body of a row kernel class's <c>Launch</c> after the launchers are fetched: the warp-per-row kernel for rows up
    /// to <see cref="WarpPerRowMaxLength"/> elements, the group-per-row kernel for longer ones, each with its geometry.
    /// </summary>
    private static void EmitRowLaunch(SourceWriter w, bool warpKernel, bool groupKernel, string length, string kernelArgList, string name = "")
    {
        void EmitWarpLaunch()
        {
            w.Line("int group = global::NormGen.NormGpu.WarpPerRowGroupSize(l.WarpSize, l.MaxThreadsPerGroup);");
            w.Line("int grid = global::NormGen.NormGpu.GridSize(rows, group / l.WarpSize, group, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
            w.Line($"l.{name}WarpPerRow.Value(stream, new global::ILGPU.KernelConfig(grid, group), {kernelArgList});");
        }
        void EmitGroupLaunch()
        {
            w.Line($"int group = global::NormGen.NormGpu.GroupPerRowGroupSize({length}, l.WarpSize, l.MaxThreadsPerGroup);");
            w.Line("int grid = global::NormGen.NormGpu.GridSize(rows, 1, group, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
            w.Line($"l.{name}GroupPerRow.Value(stream, new global::ILGPU.KernelConfig(grid, group), {kernelArgList});");
        }
        if (warpKernel && groupKernel)
        {
            w.Open($"if ({length} <= {Lit(WarpPerRowMaxLength)})");
            EmitWarpLaunch();
            w.Close();
            w.Open("else");
            EmitGroupLaunch();
            w.Close();
        }
        else if (warpKernel) EmitWarpLaunch();
        else EmitGroupLaunch();
    }

    /// <summary>The sum of <paramref name="value"/> over the row's warp or group, in every thread.</summary>
    private static string RowSum(bool groupPerRow, string value, string device = "") => groupPerRow ? $"{device}GroupSum({value}, partials)" : $"{device}WarpSum({value})";

    /// <summary>
    /// The statistics of one row, whatever the kernel shape: the shifted, corrected two-pass mean and variance (or RMSNorm's
    /// mean square), repeated once on the row scaled by a power of two when a finite row overflows, then ε·scale² and
    /// rstd. Leaves <c>scale</c>, <c>shift</c>/<c>offset</c>/<c>variance</c> (or <c>meanSquare</c>), <c>epsilon</c>,
    /// <c>constant</c> and <c>rstd</c> in scope for the caller's last pass.
    /// </summary>
    private static void EmitRowStatistics(SourceWriter w, RowReading r)
    {
        string zero = r.Compute == "double" ? "0d" : "0f";
        string one = r.Compute == "double" ? "1d" : "1f";
        string sqrt = r.Compute == "double" ? "global::System.Math.Sqrt" : "global::System.MathF.Sqrt";
        w.Line($"// scale is 1, or 2⁻ᵏ with 2ᵏ ≈ max|{r.ValueName}| for a finite row whose {(r.Centers ? "squared deviations or sums" : "squares")} overflow {r.Compute} (1e21 among");
        w.Line("// zeros, ±3e38): the passes then run on the scaled row, exactly (a power of two), with ε·scale² for ε.");
        w.Line($"{r.Compute} scale = {one}{(r.Centers ? ", shift, offset, variance" : ", meanSquare")};");
        w.Open("for (int attempt = 0; ; attempt++)");
        if (r.Centers) EmitCenteredPasses(w, r, zero);
        else EmitMeanSquarePass(w, r, zero);
        EmitRescale(w, r, zero);
        w.Close();
        w.Line($"{r.Compute} epsilon = {r.Epsilon} * scale * scale; // {r.Epsilon} itself when scale is 1");
        if (r.Centers)
        {
            w.Line("// σ² = 0 with ε·scale² underflowed to 0: a constant row, every x − μ is 0, and its rstd is 1/√ε.");
            w.Line($"bool constant = variance + epsilon == {zero};");
            w.Line($"{r.Compute} rstd = constant ? {zero} : {one} / {sqrt}(variance + epsilon);");
        }
        else
        {
            w.Line($"{r.Compute} rstd = {one} / {sqrt}(meanSquare + epsilon);");
        }
    }

    /// <summary>
    /// LayerNorm's passes of <see cref="EmitRowStatistics"/>: the mean as shift + offset, then the corrected two-pass
    /// variance; breaks out of the attempt loop when both are finite (or on the second attempt).
    /// </summary>
    private static void EmitCenteredPasses(SourceWriter w, RowReading r, string zero)
    {
        w.Line($"// Pass 1: the mean as shift + offset, shift the row's first {r.FirstWhat}: {r.ValueName} − shift is exact near the mean, so a");
        w.Line("// row with a large mean loses nothing to the mean's rounding and a constant row has offset 0 exactly.");
        w.Line($"shift = {r.At("0")} * scale;");
        w.Line($"{r.Compute} s = {zero};");
        w.Line(r.Loop);
        w.Line($"    s += {r.At("i")} * scale - shift;");
        w.Line($"offset = {r.Sum("s")} / {r.Length};");
        w.Line();
        w.Line("// Pass 2: squared deviations and their plain sum, which corrects the mean's rounding error (corrected");
        w.Line("// two-pass). The row comes from L1/L2 now. Never E[x²] − μ².");
        w.Line($"{r.Compute} q = {zero}, e = {zero};");
        w.Open(r.Loop);
        w.Line($"{r.Compute} d = {r.At("i")} * scale - shift - offset;");
        w.Line("q += d * d;");
        w.Line("e += d;");
        w.Close();
        w.Line($"{r.Compute} sumSq = {r.Sum("q")};");
        w.Line($"{r.Compute} sumDev = {r.Sum("e")};");
        w.Line($"variance = (sumSq - sumDev * sumDev / {r.Length}) / {r.Length};");
        w.Line($"if (variance < {zero}) variance = {zero}; // NaN stays NaN");
        w.Line($"offset += sumDev / {r.Length};");
        w.Line("// Every thread of the row holds bit-identical sums, so this branch is the same for all of them.");
        w.Line($"if (attempt > 0 || ({r.Device}Finite(variance) && {r.Device}Finite(shift + offset)))");
        w.Line("    break;");
    }

    /// <summary>RMSNorm's pass of <see cref="EmitRowStatistics"/>: the mean square; breaks out when it is finite (or on the second attempt).</summary>
    private static void EmitMeanSquarePass(SourceWriter w, RowReading r, string zero)
    {
        w.Line("// Pass 1: the mean square.");
        w.Line($"{r.Compute} q = {zero};");
        w.Open(r.Loop);
        w.Line($"{r.Compute} v = {r.At("i")} * scale;");
        w.Line("q += v * v;");
        w.Close();
        w.Line($"meanSquare = {r.Sum("q")} / {r.Length};");
        w.Line("// Every thread of the row holds bit-identical sums, so this branch is the same for all of them.");
        w.Line($"if (attempt > 0 || {r.Device}Finite(meanSquare))");
        w.Line("    break;");
    }

    /// <summary>
    /// The end of an attempt of <see cref="EmitRowStatistics"/> whose statistics are not finite: the row's largest
    /// magnitude, and the power of two that scales it into [1, 4) for the next attempt (or a break when the row itself
    /// holds NaN or ±∞, or is all zeros).
    /// </summary>
    private static void EmitRescale(SourceWriter w, RowReading r, string zero)
    {
        w.Line($"// Not finite: NaN or ±∞ in the row (the result stands, as it always did), or a finite row that overflowed.");
        w.Line($"{r.Compute} largest = {zero};");
        w.Line(r.Loop);
        w.Line($"    largest = {r.Device}Larger(largest, global::System.Math.Abs({r.At("i")}));");
        w.Line($"largest = {r.Max("largest")};");
        w.Line($"if (!{r.Device}Finite(largest) || largest == {zero})");
        w.Line("    break;");
        if (r.Compute == "double")
        {
            w.Line("long field = 2046 - (long)((global::ILGPU.Interop.FloatAsInt(largest) >> 52) & 0x7FF); // 2^(1023 − k) ≤ … : largest·scale in [1, 4)");
            w.Line("scale = global::ILGPU.Interop.IntAsFloat((ulong)(field < 1 ? 1 : field) << 52);");
        }
        else
        {
            w.Line("int field = 254 - (int)((global::ILGPU.Interop.FloatAsInt(largest) >> 23) & 0xFF); // 2^(127 − k): largest·scale in [1, 4)");
            w.Line("scale = global::ILGPU.Interop.IntAsFloat((uint)(field < 1 ? 1 : field) << 23);");
        }
    }

    /// <summary>
    /// How a kernel reads one row, for <see cref="EmitRowStatistics"/>: the compute type, whether the mean is subtracted,
    /// the row length's name, the loop over the thread's elements, the value at a loop index ("0" or "i"), the value's
    /// name and what the first one is called (in comments), the row-wide sum and maximum, and the prefix of the device
    /// helpers (Finite, Larger): "" for the kernel class's own, the shared device class for the tensor kernels.
    /// </summary>
    private sealed record RowReading(string Compute, bool Centers, string Length, string Loop, System.Func<string, string> At,
        string ValueName, string FirstWhat, System.Func<string, string> Sum, System.Func<string, string> Max, string Device = "", string Epsilon = "Epsilon");

    /// <summary>WarpSum (and GroupSum) in compute type <paramref name="c"/>: a kernel class's private copy, or the shared device class's internal one.</summary>
    private static void EmitSums(SourceWriter w, string c, bool groupKernel, string access)
    {
        string zero = c == "double" ? "0d" : "0f";
        w.Line("/// <summary>");
        w.Line("/// The sum over a warp, in every lane: a butterfly of xor shuffles. Each step adds the same two values in every");
        w.Line("/// lane pair (a + b = b + a exactly), so all lanes hold bit-identical totals.");
        w.Line("/// </summary>");
        w.Open($"{access} static {c} WarpSum({c} value)");
        w.Line("for (int lanes = global::ILGPU.Warp.WarpSize / 2; lanes > 0; lanes /= 2)");
        w.Line("    value += global::ILGPU.Warp.ShuffleXor(value, lanes);");
        w.Line("return value;");
        w.Close();
        if (!groupKernel) return;
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The sum over the group, in every thread: warp sums, one per warp into shared memory, then every warp adds the");
        w.Line("/// partials itself in the same order (no broadcast round). The closing barrier lets the next call reuse them.");
        w.Line("/// </summary>");
        w.Open($"{access} static {c} GroupSum({c} value, global::ILGPU.ArrayView<{c}> partials)");
        w.Line("value = WarpSum(value);");
        w.Line("if (global::ILGPU.Warp.IsFirstLane)");
        w.Line("    partials[global::ILGPU.Warp.WarpIdx] = value;");
        w.Line("global::ILGPU.Group.Barrier();");
        w.Line("int warps = global::ILGPU.Group.DimX / global::ILGPU.Warp.WarpSize;");
        w.Line($"{c} total = {zero};");
        w.Line("for (int k = global::ILGPU.Warp.LaneIdx; k < warps; k += global::ILGPU.Warp.WarpSize)");
        w.Line("    total += partials[k];");
        w.Line("total = WarpSum(total);");
        w.Line("global::ILGPU.Group.Barrier();");
        w.Line("return total;");
        w.Close();
    }

    /// <summary>Finite, Larger, WarpMax (and GroupMax) in compute type <paramref name="c"/>, as <see cref="EmitSums"/>.</summary>
    private static void EmitMaxima(SourceWriter w, string c, bool groupKernel, string access)
    {
        w.Line();
        w.Line("/// <summary>Neither NaN nor ±∞ (IsNaN and IsInfinity, which every ILGPU backend lowers).</summary>");
        w.Line($"{access} static bool Finite({c} v) => !{c}.IsNaN(v) && !{c}.IsInfinity(v);");
        w.Line();
        w.Line("/// <summary>max(a, b), NaN if either is NaN.</summary>");
        w.Line($"{access} static {c} Larger({c} a, {c} b) => a > b || {c}.IsNaN(a) ? a : b;");
        w.Line();
        w.Line("/// <summary>The maximum over a warp, in every lane (a butterfly, as WarpSum).</summary>");
        w.Open($"{access} static {c} WarpMax({c} value)");
        w.Line("for (int lanes = global::ILGPU.Warp.WarpSize / 2; lanes > 0; lanes /= 2)");
        w.Line("    value = Larger(value, global::ILGPU.Warp.ShuffleXor(value, lanes));");
        w.Line("return value;");
        w.Close();
        if (!groupKernel) return;
        w.Line();
        w.Line("/// <summary>The maximum over the group, in every thread (as GroupSum).</summary>");
        w.Open($"{access} static {c} GroupMax({c} value, global::ILGPU.ArrayView<{c}> partials)");
        w.Line("value = WarpMax(value);");
        w.Line("if (global::ILGPU.Warp.IsFirstLane)");
        w.Line("    partials[global::ILGPU.Warp.WarpIdx] = value;");
        w.Line("global::ILGPU.Group.Barrier();");
        w.Line("int warps = global::ILGPU.Group.DimX / global::ILGPU.Warp.WarpSize;");
        w.Line($"{c} total = partials[0];");
        w.Line("for (int k = global::ILGPU.Warp.LaneIdx; k < warps; k += global::ILGPU.Warp.WarpSize)");
        w.Line("    total = Larger(total, partials[k]);");
        w.Line("total = WarpMax(total);");
        w.Line("global::ILGPU.Group.Barrier();");
        w.Line("return total;");
        w.Close();
    }

    // ---------------------------------------------------------------- activations

    /// <summary>
    /// The epilogue activation as a private method of the kernel class, with the CPU kernel's formulas. Nothing but
    /// arithmetic, comparisons and a bit cast: ILGPU lowers <c>MathF.Exp</c> only through libdevice or ILGPU.Algorithms,
    /// so e^v is computed here (Cody–Waite reduction, Taylor polynomial), which every backend compiles.
    /// </summary>
    private static void EmitActivation(SourceWriter w, ActivationKind activation, bool dbl, string access)
    {
        string name = activation.ToString();
        string c = dbl ? "double" : "float";
        string f = dbl ? "" : "f";
        string L(double value) => dbl ? CpuEmitterText.Literal(value, "double") : CpuEmitterText.Float((float)value) + "f";
        w.Line();
        switch (activation)
        {
            case ActivationKind.Relu:
                w.Line("/// <summary>ReLU: max(v, 0), NaN stays NaN.</summary>");
                w.Line($"{access} static {c} {name}({c} v) => v > 0{f} || {c}.IsNaN(v) ? v : 0{f};");
                return;
            case ActivationKind.Gelu:
                EmitGelu(w, c, f, L, access);
                break;
            case ActivationKind.GeluTanh:
                w.Line("/// <summary>GELU's tanh approximation, ½·v·(1 + tanh(√(2/π)·(v + 0.044715·v³))), tanh(u) = 1 − 2/(e^(2u) + 1) (saturates cleanly).</summary>");
                w.Open($"{access} static {c} {name}({c} v)");
                w.Line($"{c} u = {L(0.79788456080286535588)} * (v + {L(0.044715)} * v * v * v);");
                w.Line($"{c} tanh = 1{f} - 2{f} / (Exp(u + u) + 1{f});");
                w.Line($"return 0.5{f} * v * (1{f} + tanh);");
                w.Close();
                break;
            case ActivationKind.Silu:
                w.Line("/// <summary>SiLU, v·σ(v) = v / (1 + e^−v).</summary>");
                w.Line($"{access} static {c} {name}({c} v) => v / (1{f} + Exp(-v));");
                break;
            case ActivationKind.Tanh:
                EmitTanh(w, c, f, dbl, access);
                break;
            case ActivationKind.Sigmoid:
                w.Line("/// <summary>The logistic sigmoid, (v &lt; 0 ? e : 1)/(1 + e) with e = e^−|v|: no overflow, 0 at −∞, 1 at +∞, NaN stays NaN.</summary>");
                w.Open($"{access} static {c} {name}({c} v)");
                w.Line($"{c} e = Exp(v < 0{f} ? v : -v);");
                w.Line($"return (v < 0{f} ? e : 1{f}) / (1{f} + e);");
                w.Close();
                break;
        }
    }

    /// <summary>The exact-form GELU of <see cref="EmitActivation"/> (<paramref name="L"/> writes a literal in the compute type).</summary>
    private static void EmitGelu(SourceWriter w, string c, string f, System.Func<double, string> L, string access)
    {
        w.Line("/// <summary>");
        w.Line("/// The exact-form GELU, ½·v·(1 + erf(v/√2)), erf by Abramowitz &amp; Stegun 7.1.26 (|error| &lt; 1.5e-7):");
        w.Line("/// erf(a) ≈ 1 − t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·e^(−a²), t = 1/(1 + p·a), a = |z|, the CPU kernel's form.");
        w.Line("/// </summary>");
        w.Open($"{access} static {c} Gelu({c} v)");
        w.Line($"{c} z = v * {L(0.70710678118654752440)};");
        w.Line($"{c} a = z < 0{f} ? -z : z;");
        w.Line($"{c} t = 1{f} / (1{f} + {L(0.3275911)} * a);");
        w.Line($"{c} poly = t * ({L(0.254829592)} + t * ({L(-0.284496736)} + t * ({L(1.421413741)} + t * ({L(-1.453152027)} + t * {L(1.061405429)}))));");
        w.Line($"{c} erf = 1{f} - poly * Exp(-(a * a));");
        w.Line("if (z < 0" + f + ") erf = -erf;");
        w.Line($"return 0.5{f} * v * (1{f} + erf);");
        w.Close();
    }

    /// <summary>tanh of <see cref="EmitActivation"/>: the CPU kernel's odd polynomial below 0.625, (1 − e)/(1 + e) above.</summary>
    private static void EmitTanh(SourceWriter w, string c, string f, bool dbl, string access)
    {
        w.Line("/// <summary>");
        w.Line("/// tanh, the CPU kernel's formulas (Moshier, Cephes): below |v| = 0.625 an odd polynomial, where (1 − e)/(1 + e)");
        w.Line("/// would lose relative accuracy; above it (1 − e)/(1 + e) with e = e^(−2|v|), which never overflows. NaN stays NaN.");
        w.Line("/// </summary>");
        w.Open($"{access} static {c} Tanh({c} v)");
        w.Line($"{c} a = v < 0{f} ? -v : v;");
        w.Open($"if (a < 0.625{f})");
        w.Line($"{c} z = v * v;");
        w.Line(dbl
            ? "return v + v * z * ((-1614.6876844170845d + z * (-99.28772310019185d + z * -0.9643991794250523d)) / (4844.063053251255d + z * (2235.4883906010045d + z * (112.81167849163293d + z))));"
            : "return (-0.333332819422f + z * (0.133314422036f + z * (-0.0537397155531f + z * (0.0206390887954f + z * -0.00570498872745f)))) * z * v + v;");
        w.Close();
        w.Line($"{c} e = Exp(-(a + a));");
        w.Line($"{c} t = (1{f} - e) / (1{f} + e);");
        w.Line($"return v < 0{f} ? -t : t;");
        w.Close();
    }

    private static void EmitExp(SourceWriter w, bool dbl, string access)
    {
        w.Line("/// <summary>");
        w.Line("/// e^v from arithmetic alone: k = round(v/ln 2), r = v − k·ln 2 in two parts (Cody–Waite, exact for the k that");
        w.Line($"/// occur), e^r by its Taylor polynomial on |r| ≤ ln 2 / 2 (degree {(dbl ? "13" : "7")}: truncation under half an ulp), times 2^k built in");
        w.Line("/// two exponent-field halves so that neither overflows. NaN stays NaN; beyond the range, ∞ or 0.");
        w.Line("/// </summary>");
        if (dbl)
        {
            w.Open($"{access} static double Exp(double v)");
            w.Line("if (double.IsNaN(v)) return v;");
            w.Line("if (v > 709.782712893384) return double.PositiveInfinity;");
            w.Line("if (v < -745.2) return 0d;");
            w.Line("double t = v * 1.4426950408889634;");
            w.Line("int k = (int)(t + (t >= 0d ? 0.5 : -0.5));");
            w.Line("double r = v - k * 0.69314718036912382 - k * 1.9082149292705877E-10;");
            var terms = Enumerable.Range(1, 13).Select(i => 1.0 / Enumerable.Range(1, i).Aggregate(1.0, (a, b) => a * b)).ToArray();
            string poly = "1d";
            for (int i = terms.Length - 1; i >= 0; i--)
                poly = i == terms.Length - 1 ? CpuEmitterText.Literal(terms[i], "double") : $"{CpuEmitterText.Literal(terms[i], "double")} + r * ({poly})";
            w.Line($"double p = 1d + r * ({poly});");
            w.Line("int k1 = k / 2, k2 = k - k1;");
            w.Line("return p * global::ILGPU.Interop.IntAsFloat((ulong)(k1 + 1023) << 52) * global::ILGPU.Interop.IntAsFloat((ulong)(k2 + 1023) << 52);");
            w.Close();
        }
        else
        {
            w.Open($"{access} static float Exp(float v)");
            w.Line("if (float.IsNaN(v)) return v;");
            w.Line("if (v > 88.72284f) return float.PositiveInfinity;");
            w.Line("if (v < -103.97208f) return 0f;");
            w.Line("float t = v * 1.442695f;");
            w.Line("int k = (int)(t + (t >= 0f ? 0.5f : -0.5f));");
            w.Line("float r = v - k * 0.693145752f - k * 1.42860677E-06f;");
            w.Line("float p = 1f + r * (1f + r * (0.5f + r * (0.16666667f + r * (0.041666668f + r * (0.008333334f + r * (0.0013888889f + r * 0.0001984127f))))));");
            w.Line("int k1 = k / 2, k2 = k - k1;");
            w.Line("return p * global::ILGPU.Interop.IntAsFloat((uint)(k1 + 127) << 23) * global::ILGPU.Interop.IntAsFloat((uint)(k2 + 127) << 23);");
            w.Close();
        }
    }

    // ---------------------------------------------------------------- BatchNorm evaluation

    private static void EmitBatchNormOverloads(SourceWriter w, KernelSpec spec)
    {
        string modifiers = string.Join(" ", spec.Modifiers.Split(' ').Where(m => m.Length > 0 && m != "partial"));
        string accelerator = Unique(spec, "accelerator");
        string stream = Unique(spec, "stream");
        string spatial = Unique(spec, "spatial");
        string channels = Unique(spec, "channels");
        string Id(ParamRole role) => CpuEmitter.Id(spec.Parameter(role)!.Name);
        string x = Id(ParamRole.Input), y = Id(ParamRole.Output), mean = Id(ParamRole.RunningMean);
        var parameters = spec.Parameters.Select(p => View(PublicElement(p.Element)) + " " + CpuEmitter.Id(p.Name)).ToList();
        parameters.Add("int " + spatial);
        var arguments = spec.Parameters.Select(p => CpuEmitter.Id(p.Name)).ToList();
        arguments.Add(spatial);
        string parameterList = string.Join(", ", parameters);

        EmitBatchNormDocumentation(w, spec, spatial, StreamOverloadCref(spec, parameters));
        EmitDefaultStreamOverload(w, spec, modifiers, accelerator, parameterList, arguments);
        w.Line();

        EmitBatchNormDocumentation(w, spec, spatial, defaultStreamOf: null);
        w.Line(Generated);
        w.Open($"{modifiers} void {CpuEmitter.Id(spec.MethodName)}(global::ILGPU.Runtime.AcceleratorStream {stream}, {parameterList})");
        w.Line($"if ({stream} is null) throw new global::System.ArgumentNullException({CpuEmitter.StrOfId(stream)});");
        w.Line($"global::NormGen.NormGpu.PositiveRowLength({spatial}, {CpuEmitter.StrOfId(spatial)});");
        w.Line($"if ({mean}.Length == 0 || {mean}.Length > int.MaxValue) throw new global::System.ArgumentException($\"'{spec.Parameter(ParamRole.RunningMean)!.Name}' must hold one value per channel (at least one), but has {{{mean}.Length}}.\", {CpuEmitter.StrOfId(mean)});");
        w.Line($"int {channels} = (int){mean}.Length;");
        foreach (ParameterSpec p in spec.Parameters.Where(p => p.Role is ParamRole.Gamma or ParamRole.Beta or ParamRole.RunningVar))
            w.Line($"global::NormGen.NormGpu.Length({CpuEmitter.Id(p.Name)}.Length, {channels}, {CpuEmitter.StrOfId(CpuEmitter.Id(p.Name))}, \"one per channel, as {spec.Parameter(ParamRole.RunningMean)!.Name}\");");
        w.Line($"if ((long){channels} * {spatial} > int.MaxValue) throw new global::System.ArgumentOutOfRangeException({CpuEmitter.StrOfId(spatial)}, {spatial}, \"One sample (C × spatial elements) must fit an int.\");");
        w.Line($"global::NormGen.NormGpu.RowCount({x}.Length, {channels} * {spatial}, {CpuEmitter.StrOfId(x)});");
        w.Line($"global::NormGen.NormGpu.Length({y}.Length, {x}.Length, {CpuEmitter.StrOfId(y)}, \"the same as {spec.Input.Name}\");");
        string k = GpuKernelClassName(spec);
        EmitOverlapChecks(w, spec, k);
        w.Line($"if ({x}.Length == 0) return;");
        var launchArgs = new List<string> { stream };
        launchArgs.AddRange(BatchNormRoles
            .Select(r => spec.Parameter(r.Role) is not { } p ? "default" : CpuEmitter.Id(p.Name) + (p.Element == ElementKind.Half ? ".Cast<global::ILGPU.Half>()" : "")));
        launchArgs.Add(spatial);
        string types = $"{KernelElement(spec.Element)}, {KernelElement(spec.OutputElement)}, {k}";
        w.Line($"{SharedNamespace}{RowKernelsClass(CpuEmitter.ComputeName(spec))}.LaunchBatchNormEval<{types}>({string.Join(", ", launchArgs)});");
        w.Close();
    }

    /// <summary>A BatchNorm-evaluation overload's documentation (see <see cref="EmitDocumentation"/>).</summary>
    private static void EmitBatchNormDocumentation(SourceWriter w, KernelSpec spec, string spatial, string? defaultStreamOf)
    {
        bool onStream = defaultStreamOf is null;
        w.Line("/// <summary>");
        w.Line($"/// {Kinds.Get(spec.Kind).Title(spec)} of <paramref name=\"{spec.Input.Name}\"/> into <paramref name=\"{spec.Output.Name}\"/> on an ILGPU accelerator, with the running statistics; {(onStream ? "enqueued on <paramref name=\"stream\"/>" : "enqueued on the accelerator's default stream")}, not synchronised.");
        w.Line("/// </summary>");
        if (defaultStreamOf is not null) EmitDefaultStreamRemarks(w, defaultStreamOf);
        else EmitBatchNormRemarks(w, spec, spatial);
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A view's length does not fit the others, or the output overlaps the input without being the same view. Nothing is enqueued.</exception>");
    }

    /// <summary>The BatchNorm-evaluation stream overload's remarks: the folded numerics, the views, the element kernel.</summary>
    private static void EmitBatchNormRemarks(SourceWriter w, KernelSpec spec, string spatial)
    {
        string affine = spec.Affine switch
        {
            AffineMode.None => "",
            AffineMode.Scale => " · γ[c]",
            _ => " · γ[c] + β[c]",
        };
        w.Line("/// <remarks>");
        w.Line($"/// <para>GPU variant of the tensor method of the same name, with the same numerics: y = (x − mean[c]) / √(var[c] + ε){affine}, ε = {CpuEmitterText.Float(spec.Epsilon)} (PyTorch <c>batch_norm</c>, <c>training=False</c>), folded into s[c] = γ[c] / √(var[c] + ε) and t[c] = β[c] − mean[c]·s[c] so that y = x·s[c] + t[c].</para>");
        w.Line($"/// <para>Views: <paramref name=\"{spec.Input.Name}\"/> and <paramref name=\"{spec.Output.Name}\"/> are the dense, row-major elements of an (N, C, *) tensor; <paramref name=\"{spatial}\"/> is the product of the axes after C (1 for an (N, C) tensor). C is the length of <paramref name=\"{spec.Parameter(ParamRole.RunningMean)!.Name}\"/>; every per-channel view has C elements. <paramref name=\"{spec.Output.Name}\"/> may be <paramref name=\"{spec.Input.Name}\"/> itself (in place). An empty batch enqueues nothing.</para>");
        w.Line($"/// <para>Kernel: one thread per element in a grid-stride loop, channel c = (i / {spatial}) mod C; s[c] and t[c] are recomputed per element from the per-channel views (they stay in cache), which costs a square root and a division per element: far below the memory traffic.{(spec.Element == ElementKind.Half ? " Half is computed in float and rounded once on store." : "")} Compiled once per accelerator, on first use, and cached.</para>");
        w.Line("/// </remarks>");
    }

    private static readonly (ParamRole Role, string Name)[] BatchNormRoles =
    {
        (ParamRole.Input, "x"),
        (ParamRole.Gamma, "gamma"),
        (ParamRole.Beta, "beta"),
        (ParamRole.RunningMean, "runningMean"),
        (ParamRole.RunningVar, "runningVar"),
        (ParamRole.Output, "y"),
    };
}
