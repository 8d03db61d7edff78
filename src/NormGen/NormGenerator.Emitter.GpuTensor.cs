using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// The ILGPU variants of the tensor kinds that have statistics (BatchNorm evaluation has its own element-wise kernel):
/// GroupNorm, InstanceNorm, BatchNorm training, ChannelLayerNorm, MinMaxScale and Standardize. Each kind's statistics
/// block is drawn as a row of the row kernels, read through an index map: a (sample, group) or (sample, channel) block
/// is contiguous, a BatchNorm channel is N blocks of spatial values C × spatial apart, a ChannelLayerNorm position is C
/// values spatial apart, a scaler's column is one value per sample, features apart. The kernels are the row kernels'
/// shapes (one warp per block up to <see cref="WarpPerRowMaxLength"/> values, one group per longer block, grid-stride
/// over the blocks) with their statistics (<see cref="EmitRowStatistics"/>: shifted, corrected two-pass, rescued by a
/// power of two when a finite block overflows) and their fixed-order reductions, so a result is the same bits run to run.
/// </summary>
internal static partial class GpuEmitter
{
    /// <summary>The kinds this file draws: every tensor kind with statistics (BatchNorm only in training).</summary>
    private static bool IsGpuTensorKind(KernelSpec spec) => spec.Kind switch
    {
        NormKind.GroupNorm or NormKind.InstanceNorm or NormKind.ChannelLayerNorm or NormKind.MinMaxScale or NormKind.Standardize => true,
        NormKind.BatchNorm => spec.Training,
        _ => false,
    };

    private static bool IsScaler(KernelSpec spec) => spec.Kind is NormKind.MinMaxScale or NormKind.Standardize;

    /// <summary>The kernel class's view parameters, in order, with canonical names (the saved statistics as the row kernels name them).</summary>
    private static readonly (ParamRole Role, string Name)[] TensorRoles =
    {
        (ParamRole.Input, "x"),
        (ParamRole.Gamma, "gamma"),
        (ParamRole.Beta, "beta"),
        (ParamRole.RunningMean, "runningMean"),
        (ParamRole.RunningVar, "runningVar"),
        (ParamRole.BatchesTracked, "batchesTracked"),
        (ParamRole.Output, "y"),
        (ParamRole.Mean, "meanOut"),
        (ParamRole.Rstd, "rstdOut"),
    };

    /// <summary>The class of the device helpers the tensor kernels share, written once per compilation (<see cref="EmitDevicePrimitives"/>).</summary>
    private const string Device = "global::NormGen.Generated.GpuDevice.";

    /// <summary>The hint name of the file that holds <see cref="Device"/>.</summary>
    internal const string DevicePrimitivesHintName = "NormGen.GpuDevice.g.cs";

    /// <summary>The sizes every tensor kernel takes after its views (a kind ignores those it does not need).</summary>
    private const string TensorSizes = "int rows, int rowLength, int channels, int spatial";

    // ---------------------------------------------------------------- layout: a statistics block as a row

    /// <summary>Where row <c>row</c> (one statistics block) starts in x and y.</summary>
    private static string TensorRowStart(KernelSpec spec) => spec.Kind switch
    {
        NormKind.BatchNorm => "(long)row * spatial",
        NormKind.ChannelLayerNorm => "(long)(row / spatial) * channels * spatial + row % spatial",
        NormKind.MinMaxScale or NormKind.Standardize => "row",
        _ => "(long)row * rowLength",
    };

    /// <summary>The index in x and y of element <paramref name="i"/> of the row (the row's first element is <c>start</c>).</summary>
    private static string TensorIndex(KernelSpec spec, string i)
    {
        if (i == "0") return "start";
        return spec.Kind switch
        {
            NormKind.BatchNorm => $"start + (long)({i} / spatial) * channels * spatial + {i} % spatial",
            NormKind.ChannelLayerNorm => $"start + (long){i} * spatial",
            NormKind.MinMaxScale or NormKind.Standardize => $"start + (long){i} * rows",
            _ => $"start + {i}",
        };
    }

    /// <summary>The channel of element <paramref name="i"/> of the row: the index into γ and β.</summary>
    private static string TensorChannel(KernelSpec spec, string i) => spec.Kind switch
    {
        NormKind.BatchNorm => "row",
        NormKind.ChannelLayerNorm => i,
        _ => $"firstChannel + {i} / spatial",
    };

    /// <summary>What one row of the kernels is, in words.</summary>
    private static string TensorBlockText(KernelSpec spec) => spec.Kind switch
    {
        NormKind.GroupNorm => $"(sample, group) block (C/{Lit(spec.Groups)} channels × spatial contiguous values)",
        NormKind.InstanceNorm => "(sample, channel) block (spatial contiguous values)",
        NormKind.BatchNorm => "channel (N blocks of spatial values, C × spatial apart)",
        NormKind.ChannelLayerNorm => "(sample, position) (C values, spatial apart)",
        _ => "column, a feature (one value per sample, features apart)",
    };

    // ---------------------------------------------------------------- public overloads

    /// <summary>The sizes the overloads take after the views: what the views' lengths cannot tell.</summary>
    private static List<string> TensorSizeParameters(KernelSpec spec) => spec.Kind switch
    {
        NormKind.BatchNorm => new List<string> { Unique(spec, "spatial") },
        NormKind.MinMaxScale or NormKind.Standardize => new List<string> { Unique(spec, "features") },
        _ => new List<string> { Unique(spec, "channels"), Unique(spec, "spatial") },
    };

    private static void EmitTensorOverloads(SourceWriter w, KernelSpec spec)
    {
        string modifiers = string.Join(" ", spec.Modifiers.Split(' ').Where(m => m.Length > 0 && m != "partial"));
        string accelerator = Unique(spec, "accelerator");
        string stream = Unique(spec, "stream");
        List<string> sizes = TensorSizeParameters(spec);
        var parameters = spec.Parameters.Select(p => View(PublicElement(p.Element)) + " " + CpuEmitter.Id(p.Name)).ToList();
        parameters.AddRange(sizes.Select(s => "int " + s));
        var arguments = spec.Parameters.Select(p => CpuEmitter.Id(p.Name)).Concat(sizes).ToList();
        string parameterList = string.Join(", ", parameters);

        EmitTensorDocumentation(w, spec, sizes, onStream: false);
        w.Line(Generated);
        w.Open($"{modifiers} void {CpuEmitter.Id(spec.MethodName)}(global::ILGPU.Runtime.Accelerator {accelerator}, {parameterList})");
        w.Line($"if ({accelerator} is null) throw new global::System.ArgumentNullException({CpuEmitter.StrOfId(accelerator)});");
        w.Line($"{QualifiedMethod(spec)}({accelerator}.DefaultStream, {string.Join(", ", arguments)});");
        w.Close();
        w.Line();

        EmitTensorDocumentation(w, spec, sizes, onStream: true);
        w.Line(Generated);
        w.Open($"{modifiers} void {CpuEmitter.Id(spec.MethodName)}(global::ILGPU.Runtime.AcceleratorStream {stream}, {parameterList})");
        w.Line($"if ({stream} is null) throw new global::System.ArgumentNullException({CpuEmitter.StrOfId(stream)});");
        string k = GpuKernelClassName(spec);
        (string rows, string rowLength, string channels, string spatial) = EmitTensorSizeChecks(w, spec, sizes, k);
        EmitTensorLengthChecks(w, spec, channels, rows);
        EmitOverlapChecks(w, spec, k);
        w.Line($"if ({CpuEmitter.Id(spec.Input.Name)}.Length == 0) return;");
        var launchArgs = Views(spec, TensorRoles)
            .Select(v => CpuEmitter.Id(v.User.Name) + (v.User.Element == ElementKind.Half ? ".Cast<global::ILGPU.Half>()" : ""))
            .Concat(new[] { $"(int){rows}", rowLength, channels, spatial });
        w.Line($"{k}.Launch({stream}, {string.Join(", ", launchArgs)});");
        w.Close();
    }

    /// <summary>
    /// Checks the sizes and derives the kernels' geometry: the number of rows (statistics blocks, a long local checked
    /// to fit an int), the row length, C and spatial (1 where the kind has none). Returns the expressions for the launch.
    /// </summary>
    private static (string Rows, string RowLength, string Channels, string Spatial) EmitTensorSizeChecks(SourceWriter w, KernelSpec spec, List<string> sizes, string k)
    {
        string x = CpuEmitter.Id(spec.Input.Name), xName = CpuEmitter.StrOfId(x);
        string rows = Unique(spec, "rows"), batch = Unique(spec, "batch");
        if (IsScaler(spec))
        {
            string features = sizes[0];
            w.Line($"global::NormGen.NormGpu.PositiveRowLength({features}, {CpuEmitter.StrOfId(features)});");
            w.Line($"int {batch} = global::NormGen.NormGpu.RowCount({x}.Length, {features}, {xName}); // samples");
            w.Line($"long {rows} = {features}; // one row per feature (column)");
            return (rows, batch, "1", "1");
        }
        string channels, spatial = sizes[sizes.Count - 1];
        w.Line($"global::NormGen.NormGpu.PositiveRowLength({spatial}, {CpuEmitter.StrOfId(spatial)});");
        if (spec.Kind == NormKind.BatchNorm)
        {
            string mean = CpuEmitter.Id(spec.Parameter(ParamRole.RunningMean)!.Name);
            channels = Unique(spec, "channels");
            w.Line($"if ({mean}.Length == 0 || {mean}.Length > int.MaxValue) throw new global::System.ArgumentException($\"'{spec.Parameter(ParamRole.RunningMean)!.Name}' must hold one value per channel (at least one), but has {{{mean}.Length}}.\", {CpuEmitter.StrOfId(mean)});");
            w.Line($"int {channels} = (int){mean}.Length;");
        }
        else
        {
            channels = sizes[0];
            w.Line($"global::NormGen.NormGpu.PositiveRowLength({channels}, {CpuEmitter.StrOfId(channels)});");
            if (spec.Kind == NormKind.GroupNorm)
                w.Line($"global::NormGen.NormGuard.ChannelsDivisible({channels}, {k}.Groups, {CpuEmitter.StrOfId(channels)});");
        }
        w.Line($"if ((long){channels} * {spatial} > int.MaxValue) throw new global::System.ArgumentOutOfRangeException({CpuEmitter.StrOfId(spatial)}, {spatial}, \"One sample (C × spatial elements) must fit an int.\");");
        w.Line($"int {batch} = global::NormGen.NormGpu.RowCount({x}.Length, {channels} * {spatial}, {xName});");
        switch (spec.Kind)
        {
            case NormKind.BatchNorm:
                w.Line($"global::NormGen.NormGuard.MoreThanOneValuePerChannel({batch}, {spatial}, {channels}, {xName});");
                w.Line($"if ((long){batch} * {spatial} > int.MaxValue) throw new global::System.ArgumentException($\"'{spec.Input.Name}' holds {{(long){batch} * {spatial}}} values per channel; at most {{int.MaxValue}} are supported per call.\", {xName});");
                w.Line($"long {rows} = {channels}; // one row per channel");
                return (rows, $"{batch} * {spatial}", channels, spatial);
            case NormKind.ChannelLayerNorm:
                w.Line($"long {rows} = (long){batch} * {spatial}; // one row per (sample, position)");
                EmitRowsFit(w, spec, rows);
                return (rows, channels, channels, spatial);
            default:
                string groups = spec.Kind == NormKind.GroupNorm ? $"{k}.Groups" : channels;
                w.Line($"long {rows} = (long){batch} * {groups}; // one row per (sample, {(spec.Kind == NormKind.GroupNorm ? "group" : "channel")})");
                EmitRowsFit(w, spec, rows);
                return (rows, $"{channels} / {groups} * {spatial}", channels, spatial);
        }
    }

    private static void EmitRowsFit(SourceWriter w, KernelSpec spec, string rows) =>
        w.Line($"if ({rows} > int.MaxValue) throw new global::System.ArgumentException($\"'{spec.Input.Name}' holds {{{rows}}} statistics blocks; at most {{int.MaxValue}} are supported per call.\", {CpuEmitter.StrOfId(CpuEmitter.Id(spec.Input.Name))});");

    /// <summary>Every other view's length against x, the channel count or the number of statistics blocks.</summary>
    private static void EmitTensorLengthChecks(SourceWriter w, KernelSpec spec, string channels, string rows)
    {
        string x = CpuEmitter.Id(spec.Input.Name);
        string block = spec.Kind switch
        {
            NormKind.BatchNorm => "one per channel",
            NormKind.GroupNorm => "one per (sample, group)",
            NormKind.ChannelLayerNorm => "one per (sample, position)",
            _ => "one per (sample, channel)",
        };
        foreach (ParameterSpec p in spec.Parameters)
        {
            string id = CpuEmitter.Id(p.Name), name = CpuEmitter.StrOfId(id);
            switch (p.Role)
            {
                case ParamRole.Output:
                    w.Line($"global::NormGen.NormGpu.Length({id}.Length, {x}.Length, {name}, \"the same as {spec.Input.Name}\");");
                    break;
                case ParamRole.Gamma or ParamRole.Beta or ParamRole.RunningVar:
                    w.Line($"global::NormGen.NormGpu.Length({id}.Length, {channels}, {name}, \"one per channel\");");
                    break;
                case ParamRole.BatchesTracked:
                    w.Line($"global::NormGen.NormGpu.Length({id}.Length, 1, {name}, \"the number of batches seen so far\");");
                    break;
                case ParamRole.Mean or ParamRole.Rstd:
                    w.Line($"global::NormGen.NormGpu.Length({id}.Length, {rows}, {name}, \"{block}\");");
                    break;
            }
        }
    }

    private static string TensorFormula(KernelSpec spec)
    {
        string affine = spec.Affine switch
        {
            AffineMode.None => "",
            AffineMode.Scale => " · γ[c]",
            _ => " · γ[c] + β[c]",
        };
        return spec.Kind switch
        {
            NormKind.GroupNorm => $"y = (x − μ) / √(σ² + ε){affine} with μ and σ² (biased) per (sample, group of C/{Lit(spec.Groups)} channels)",
            NormKind.InstanceNorm => $"y = (x − μ) / √(σ² + ε){affine} with μ and σ² (biased) per (sample, channel)",
            NormKind.BatchNorm => $"y = (x − μ[c]) / √(σ²[c] + ε){affine} with the batch statistics of channel c over N × spatial values (biased σ²); then runningMean ← (1 − m)·runningMean + m·μ and runningVar ← (1 − m)·runningVar + m·σ²·n/(n − 1), the unbiased variance with n = N × spatial, {(spec.CumulativeAverage ? "m = 1 / batchesTracked after counting this batch (PyTorch's momentum=None)" : $"m = {CpuEmitterText.Float(spec.Momentum)}")}",
            NormKind.ChannelLayerNorm when spec.BiasFree => "y[n, c, s] = x[n, c, s] / √(σ²[n, s] + ε) · weight[c], σ² the biased variance of the C values around their mean, the mean not subtracted (Restormer's BiasFree_LayerNorm)",
            NormKind.ChannelLayerNorm => $"y[n, c, s] = (x[n, c, s] − μ[n, s]) / √(σ²[n, s] + ε){affine}, over the C channels at every position",
            NormKind.MinMaxScale => "y = (x − min) / (max − min) per column (feature), divided, not multiplied by a reciprocal; a constant column gives 0; min and max propagate NaN",
            _ => "y = (x − mean) / σ per column (feature), σ the population standard deviation, no ε; a constant column gives 0",
        };
    }

    private static void EmitTensorDocumentation(SourceWriter w, KernelSpec spec, List<string> sizes, bool onStream)
    {
        string Ref(string name) => $"<paramref name=\"{name}\"/>";
        string x = Ref(spec.Input.Name), y = Ref(spec.Output.Name);
        string what = spec.Kind switch
        {
            NormKind.GroupNorm => "Group normalization",
            NormKind.InstanceNorm => "Instance normalization",
            NormKind.BatchNorm => "Batch normalization (training)",
            NormKind.ChannelLayerNorm => "Layer normalization over the channels",
            NormKind.MinMaxScale => "Min-max scaling",
            _ => "Standardization",
        };
        string layout = IsScaler(spec)
            ? $"{x} and {y} are the dense, row-major elements of a (samples, features) tensor, {Ref(sizes[0])} the number of features (the product of the axes after the first)"
            : $"{x} and {y} are the dense, row-major elements of an (N, C, *) tensor, {(sizes.Count == 2 ? $"{Ref(sizes[0])} is C and " : $"C is the length of {Ref(spec.Parameter(ParamRole.RunningMean)!.Name)}, ")}{Ref(sizes[sizes.Count - 1])} the product of the axes after C (1 for an (N, C) tensor)";
        var perChannel = spec.Parameters.Where(p => p.Role is ParamRole.Gamma or ParamRole.Beta or ParamRole.RunningMean or ParamRole.RunningVar).Select(p => Ref(p.Name)).ToList();
        if (perChannel.Count > 0) layout += $"; {string.Join(", ", perChannel)} hold{(perChannel.Count == 1 ? "s" : "")} one value per channel";
        if (spec.MeanOutput is not null)
            layout += $"; {Ref(spec.MeanOutput.Name)} and {Ref(spec.RstdOutput!.Name)} receive the mean and 1/√(σ² + ε) of every block ({(spec.Element == ElementKind.Double ? "double" : "float")})";
        w.Line("/// <summary>");
        w.Line($"/// {what} of {x} into {y} on an ILGPU accelerator; {(onStream ? "enqueued on <paramref name=\"stream\"/>" : "enqueued on the accelerator's default stream")}, not synchronised.");
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        w.Line($"/// <para>GPU variant of the tensor method of the same name, with the same numerics: {TensorFormula(spec)}.</para>");
        w.Line($"/// <para>Views: {layout}. {y} may be {x} itself (in place). An empty tensor enqueues nothing.</para>");
        string compute = spec.Element switch { ElementKind.Double => "double", ElementKind.Half => "float (Half is widened on load and rounded once on store)", _ => "float" };
        string stats = spec.Kind == NormKind.MinMaxScale
            ? "min and max by warp-shuffle (and shared-memory) reductions"
            : "the mean as the block's first value plus an offset, corrected two-pass variance (never E[x²] − μ²), a power-of-two rescale for a finite block that overflows";
        string running = spec.Kind == NormKind.BatchNorm ? " The block's first thread then updates the running statistics of its channel." : "";
        w.Line($"/// <para>Kernel: one row of the row kernels per {TensorBlockText(spec)}: one warp per row up to {Lit(WarpPerRowMaxLength)} values, one group per longer row, a grid-stride loop over the rows. Statistics in {compute}: {stats}; fixed-order reductions, so a call gives the same bits every run.{running} Compiled once per accelerator, on first use, and cached.</para>");
        w.Line("/// </remarks>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A size is not positive, a view's length does not fit the others, or an output overlaps an input without being the same view. Nothing is enqueued.</exception>");
    }

    // ---------------------------------------------------------------- kernel class

    private static void EmitTensorKernelClass(SourceWriter w, KernelSpec spec)
    {
        string c = CpuEmitter.ComputeName(spec);
        string owner = string.Join(".", spec.ContainingTypes.Select(t => t.NameWithTypeParameters.Split('<')[0]));
        List<KernelView> views = Views(spec, TensorRoles);
        string typeArgs = string.Join(", ", views.Select(v => View(v.Element)).Concat(new[] { "int", "int", "int", "int" }));
        string kernelParamList = string.Join(", ", views.Select(v => $"{View(v.Element)} {v.Name}").Concat(new[] { TensorSizes }));
        string kernelArgList = string.Join(", ", views.Select(v => v.Name).Concat(new[] { "rows", "rowLength", "channels", "spatial" }));
        bool counts = spec.Kind == NormKind.BatchNorm && spec.CumulativeAverage;

        w.Line($"/// <summary>ILGPU kernels behind the GPU overloads of <c>{owner}.{spec.MethodName}</c>; a row of the kernels is one {TensorBlockText(spec)}.</summary>");
        w.Line(Generated);
        w.Open($"file static class {GpuKernelClassName(spec)}");
        if (spec.Kind == NormKind.GroupNorm)
        {
            w.Line($"internal const int Groups = {Lit(spec.Groups)};");
            w.Line();
        }
        if (spec.Kind == NormKind.Standardize)
            w.Line($"private const {c} Epsilon = 0{(c == "double" ? "d" : "f")}; // no ε: σ = 0 gives rstd = 0, so a constant column gives 0");
        else if (spec.Kind != NormKind.MinMaxScale)
            w.Line($"private const {c} Epsilon = {CpuEmitterText.Literal(spec.Epsilon, c)};");
        if (spec.Kind == NormKind.BatchNorm && !spec.CumulativeAverage)
            w.Line($"private const {c} Momentum = {CpuEmitterText.Literal(spec.Momentum, c)};");
        if (spec.Kind != NormKind.MinMaxScale) w.Line();

        var kernels = new List<(string Field, string Kernel, string TypeArgs)>
        {
            ("WarpPerRow", "WarpPerRowKernel", typeArgs),
            ("GroupPerRow", "GroupPerRowKernel", typeArgs),
        };
        if (counts) kernels.Add(("Count", "CountKernel", View("long")));
        EmitLauncherCache(w, kernels);
        EmitViewChecks(w, spec);

        w.Line($"/// <summary>Picks the kernel and the geometry, and enqueues it{(counts ? ", then the batch count" : "")}. Arguments are already checked; rows &gt; 0.</summary>");
        w.Open($"internal static void Launch(global::ILGPU.Runtime.AcceleratorStream stream, {kernelParamList})");
        w.Line("Launchers l = Cache.GetValue(stream.Accelerator, static accelerator => new Launchers(accelerator));");
        EmitRowLaunch(w, warpKernel: true, groupKernel: true, "rowLength", kernelArgList);
        if (counts)
        {
            w.Line("// After the kernel that read the old count (the stream runs them in order): one thread counts this batch.");
            w.Line("l.Count.Value(stream, new global::ILGPU.KernelConfig(1, 1), batchesTracked);");
        }
        w.Close();
        w.Line();
        EmitTensorKernel(w, spec, kernelParamList, groupPerRow: false);
        w.Line();
        EmitTensorKernel(w, spec, kernelParamList, groupPerRow: true);
        if (counts)
        {
            w.Line();
            w.Line("/// <summary>PyTorch's momentum=None: counts this batch, after the normalizing kernel read the old count.</summary>");
            w.Open("private static void CountKernel(global::ILGPU.ArrayView<long> batchesTracked)");
            w.Line("if (global::ILGPU.Grid.GlobalIndex.X == 0)");
            w.Line("    batchesTracked[0] += 1;");
            w.Close();
        }
        w.Close();
    }

    // ---------------------------------------------------------------- device helpers, once per compilation

    /// <summary>
    /// Writes <see cref="DevicePrimitivesHintName"/> once per compilation when any GPU tensor kernel is emitted: the
    /// reductions and comparisons the tensor kernels call, which depend on nothing but the compute type. Each
    /// attribute's GPU specs (<paramref name="gpuSpecs"/>) say whether it has a tensor kernel; the bools are combined
    /// into one, so the file is rewritten only when that answer changes.
    /// </summary>
    public static void RegisterDevicePrimitives(IncrementalGeneratorInitializationContext context, List<IncrementalValuesProvider<KernelSpec>> gpuSpecs)
    {
        IncrementalValueProvider<bool>? any = null;
        foreach (IncrementalValuesProvider<KernelSpec> specs in gpuSpecs)
        {
            IncrementalValueProvider<bool> uses = specs.Where(static s => IsGpuTensorKind(s)).Collect().Select(static (list, _) => list.Length > 0);
            any = any is { } sofar ? sofar.Combine(uses).Select(static (pair, _) => pair.Left || pair.Right) : uses;
        }
        if (any is not { } used) return;
        context.RegisterSourceOutput(used.WithTrackingName(TrackingNames.GpuDevicePrimitives), static (spc, emit) =>
        {
            if (emit) spc.AddSource(DevicePrimitivesHintName, EmitDevicePrimitives());
        });
    }

    /// <summary>The shared device class: sums and maxima over a warp or a group (fixed order), Finite, Larger, Smaller, in float and double.</summary>
    internal static string EmitDevicePrimitives()
    {
        var w = new SourceWriter();
        w.Line("// <auto-generated/>");
        w.Line("#nullable enable");
        w.Line();
        w.Open("namespace NormGen.Generated");
        w.Line("/// <summary>");
        w.Line("/// Device code shared by this compilation's GPU tensor kernels (GroupNorm, InstanceNorm, BatchNorm training,");
        w.Line("/// ChannelLayerNorm, MinMaxScale, Standardize), written once rather than in every kernel class: sums and maxima over");
        w.Line("/// a warp or a group in a fixed order (the same bits run to run), and the NaN-aware comparisons they need.");
        w.Line("/// </summary>");
        w.Line(Generated);
        w.Open("internal static class GpuDevice");
        foreach (string c in new[] { "float", "double" })
        {
            EmitSums(w, c, groupKernel: true, "internal");
            EmitMaxima(w, c, groupKernel: true, "internal");
            w.Line();
            w.Line("/// <summary>min(a, b), NaN if either is NaN.</summary>");
            w.Line($"internal static {c} Smaller({c} a, {c} b) => a < b || {c}.IsNaN(a) ? a : b;");
            if (c == "float") w.Line();
        }
        w.Close();
        w.Close();
        return GlobalNames.Qualify(w.ToString());
    }

    // ---------------------------------------------------------------- kernels

    private static void EmitTensorKernel(SourceWriter w, KernelSpec spec, string parameterList, bool groupPerRow)
    {
        string c = CpuEmitter.ComputeName(spec);
        string Load(string view, string index) => spec.Element == ElementKind.Half ? $"(float){view}[{index}]" : $"{view}[{index}]";
        string Store(string value) => spec.Element == ElementKind.Half ? $"(global::ILGPU.Half)({value})" : value;
        string loop = RowLoop(groupPerRow, "rowLength");

        OpenRowKernel(w, c, parameterList, groupPerRow);
        w.Line($"long start = {TensorRowStart(spec)};");
        if (spec.Kind == NormKind.MinMaxScale)
        {
            EmitMinMaxRow(w, spec, groupPerRow, Load, Store);
            return;
        }
        EmitRowStatistics(w, new RowReading(c, Centers: true, "rowLength", loop, i => Load("x", TensorIndex(spec, i)), "x", "value",
            v => RowSum(groupPerRow, v, Device), v => RowMax(groupPerRow, v, Device), Device));
        EmitSavedStatistics(w, spec, groupPerRow);
        if (spec.Kind == NormKind.BatchNorm) EmitRunningUpdate(w, spec, groupPerRow, Load, Store);
        w.Line();

        string gamma = spec.Gamma is not null ? Load("gamma", TensorChannel(spec, "i")) : "";
        string core = spec.BiasFree ? "xi * scale * rstd" : "(xi * scale - shift - offset) * rstd";
        string expr = spec.Affine switch
        {
            _ when IsScaler(spec) => core,
            AffineMode.None => core,
            AffineMode.Scale => $"{core} * {gamma}",
            _ => $"{core} * {gamma} + {Load("beta", TensorChannel(spec, "i"))}",
        };
        w.Line($"// Last pass: normalise{(spec.Affine != AffineMode.None && !IsScaler(spec) ? " and apply the channel's γ" + (spec.Beta is not null ? ", β" : "") : "")}{(spec.BiasFree ? " (x itself, not x − μ: BiasFree)" : "")}. Each element is read and written by the same");
        w.Line("// thread, so y may be x.");
        if (spec.Kind is NormKind.GroupNorm or NormKind.InstanceNorm && spec.Gamma is not null)
            w.Line("int firstChannel = (int)((long)row * (rowLength / spatial) % channels);");
        w.Open(loop);
        w.Line($"long at = {TensorIndex(spec, "i")};");
        w.Line($"{c} xi = {Load("x", "at")};");
        w.Line($"y[at] = {Store(expr)};");
        w.Close();
        w.Close();
        w.Close();
    }

    /// <summary>BatchNorm training: the row's first thread moves its channel's running statistics toward the batch's.</summary>
    private static void EmitRunningUpdate(SourceWriter w, KernelSpec spec, bool groupPerRow, System.Func<string, string, string> load, System.Func<string, string> store)
    {
        string c = CpuEmitter.ComputeName(spec);
        string one = c == "double" ? "1d" : "1f";
        w.Line(groupPerRow ? "if (global::ILGPU.Group.IsFirstThread)" : "if (global::ILGPU.Warp.IsFirstLane)");
        w.Open("");
        w.Line("// Running statistics (PyTorch): the batch mean and the unbiased variance, r ← (1 − m)·r + m·stat, of the");
        w.Line("// unscaled values (scale is 1 unless the channel overflowed).");
        w.Line(spec.CumulativeAverage
            ? $"{c} momentum = ({c})(1d / (batchesTracked[0] + 1)); // momentum=None: 1 / the count including this batch"
            : $"{c} momentum = Momentum;");
        w.Line($"{c} count = rowLength;");
        w.Line($"runningMean[row] = {store($"({one} - momentum) * {load("runningMean", "row")} + momentum * ((shift + offset) / scale)")};");
        w.Line($"runningVar[row] = {store($"({one} - momentum) * {load("runningVar", "row")} + momentum * (variance / (scale * scale) * count / (count - {one}))")};");
        w.Close();
    }

    /// <summary>MinMaxScale's row: min and max (NaN propagating), then (x − min) / (max − min), 0 for a constant column.</summary>
    private static void EmitMinMaxRow(SourceWriter w, KernelSpec spec, bool groupPerRow, System.Func<string, string, string> load, System.Func<string, string> store)
    {
        string c = CpuEmitter.ComputeName(spec);
        string zero = c == "double" ? "0d" : "0f";
        string loop = RowLoop(groupPerRow, "rowLength");
        w.Line("// Pass 1: min and max; every thread starts from the column's first value. NaN propagates, so a NaN makes its");
        w.Line("// own column NaN and no other.");
        w.Line($"{c} lo = {load("x", "start")}, hi = lo;");
        w.Open(loop);
        w.Line($"{c} v = {load("x", TensorIndex(spec, "i"))};");
        w.Line($"lo = {Device}Smaller(lo, v);");
        w.Line($"hi = {Device}Larger(hi, v);");
        w.Close();
        w.Line($"hi = {RowMax(groupPerRow, "hi", Device)};");
        w.Line($"lo = -{RowMax(groupPerRow, "-lo", Device)}; // min(a, b) = −max(−a, −b)");
        w.Line($"{c} range = hi - lo;");
        w.Line();
        w.Line("// Pass 2: (x − min) / range, divided so that the maximum maps to 1 exactly; a constant column (range 0) gives 0.");
        w.Line("// Each element is read and written by the same thread, so y may be x.");
        w.Open(loop);
        w.Line($"long at = {TensorIndex(spec, "i")};");
        w.Line($"y[at] = {store($"range == {zero} ? {zero} : ({load("x", "at")} - lo) / range")};");
        w.Close();
        w.Close();
        w.Close();
    }
}
