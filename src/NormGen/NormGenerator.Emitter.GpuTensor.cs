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

    /// <summary>The tensor launch's views, in its parameter order (x and y by position, the others by their <see cref="RoleNames.InGpuForward"/> names).</summary>
    private static readonly ParamRole[] TensorRoles =
    {
        ParamRole.Input,
        ParamRole.Gamma,
        ParamRole.Beta,
        ParamRole.RunningMean,
        ParamRole.RunningVar,
        ParamRole.BatchesTracked,
        ParamRole.Output,
        ParamRole.Mean,
        ParamRole.Rstd,
    };

    /// <summary>The class of the device helpers the tensor kernels share, written once per compilation (<see cref="EmitDevicePrimitives"/>).</summary>
    private const string Device = "global::NormGen.Generated.GpuDevice.";

    /// <summary>The hint name of the file that holds <see cref="Device"/>.</summary>
    internal const string DevicePrimitivesHintName = "NormGen.GpuDevice.g.cs";

    /// <summary>The sizes every tensor kernel takes after its views (a kind ignores those it does not need).</summary>
    private const string TensorSizes = "int rows, int rowLength, int channels, int spatial";

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

    /// <summary>
    /// A tensor kind's two overloads (the accelerator's default stream, and an explicit stream), forward or backward:
    /// the size, length and overlap checks, then the shared launch.
    /// </summary>
    private static void EmitTensorOverloads(SourceWriter w, KernelSpec spec)
    {
        List<string> sizes = TensorSizeParameters(spec);
        EmitOverloadPair(w, spec, sizes, EmitDocumentation, stream =>
        {
            (string rows, string rowLength, string channels, string spatial) = EmitTensorSizeChecks(w, spec, sizes);
            EmitTensorLengthChecks(w, spec, channels, rows);
            EmitOverlapChecks(w, spec); // the CPU form's aliasing rules, from the same table
            // An empty tensor enqueues nothing, but a backward with dγ still writes their zeros.
            if (!spec.Backward || !HasParameterGradients(spec)) w.Line($"if ({CpuEmitter.Id(spec.Input.Name)}.Length == 0) return;");
            w.Line(spec.Backward ? TensorBackwardLaunch(spec, stream, rows, rowLength, channels, spatial) : TensorLaunch(spec, stream, rows, rowLength, channels, spatial));
        });

        void EmitDocumentation(string? defaultStreamOf)
        {
            if (spec.Backward) EmitTensorBackwardDocumentation(w, spec, sizes, defaultStreamOf);
            else EmitTensorDocumentation(w, spec, sizes, defaultStreamOf);
        }
    }

    /// <summary>
    /// Checks the sizes and derives the kernels' geometry: the number of rows (statistics blocks, a long local checked
    /// to fit an int), the row length, C and spatial (1 where the kind has none). Returns the expressions for the launch.
    /// </summary>
    private static (string Rows, string RowLength, string Channels, string Spatial) EmitTensorSizeChecks(SourceWriter w, KernelSpec spec, List<string> sizes)
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
            ParameterSpec perChannel = spec.Parameter(ParamRole.RunningMean) ?? spec.Parameter(ParamRole.Mean)!; // the backward's saveMean
            string mean = CpuEmitter.Id(perChannel.Name);
            channels = Unique(spec, "channels");
            w.Line($"if ({mean}.Length == 0 || {mean}.Length > int.MaxValue) throw new global::System.ArgumentException($\"'{perChannel.Name}' must hold one value per channel (at least one), but has {{{mean}.Length}}.\", {CpuEmitter.StrOfId(mean)});");
            w.Line($"int {channels} = (int){mean}.Length;");
        }
        else
        {
            channels = sizes[0];
            w.Line($"global::NormGen.NormGpu.PositiveRowLength({channels}, {CpuEmitter.StrOfId(channels)});");
            if (spec.Kind == NormKind.GroupNorm)
                w.Line($"global::NormGen.NormGuard.ChannelsDivisible({channels}, {Lit(spec.Groups)}, {CpuEmitter.StrOfId(channels)});");
        }
        w.Line($"if ((long){channels} * {spatial} > int.MaxValue) throw new global::System.ArgumentOutOfRangeException({CpuEmitter.StrOfId(spatial)}, {spatial}, \"One sample (C × spatial elements) must fit an int.\");");
        w.Line($"int {batch} = global::NormGen.NormGpu.RowCount({x}.Length, {channels} * {spatial}, {xName});");
        switch (spec.Kind)
        {
            case NormKind.BatchNorm:
                if (!spec.Backward) w.Line($"global::NormGen.NormGuard.MoreThanOneValuePerChannel({batch}, {spatial}, {channels}, {xName});");
                w.Line($"if ((long){batch} * {spatial} > int.MaxValue) throw new global::System.ArgumentException($\"'{spec.Input.Name}' holds {{(long){batch} * {spatial}}} values per channel; at most {{int.MaxValue}} are supported per call.\", {xName});");
                w.Line($"long {rows} = {channels}; // one row per channel");
                return (rows, $"{batch} * {spatial}", channels, spatial);
            case NormKind.ChannelLayerNorm:
                w.Line($"long {rows} = (long){batch} * {spatial}; // one row per (sample, position)");
                EmitRowsFit(w, spec, rows);
                return (rows, channels, channels, spatial);
            default:
                string groups = spec.Kind == NormKind.GroupNorm ? Lit(spec.Groups) : channels;
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
        string block = Kinds.Get(spec.Kind).OnePerStatisticsBlock;
        foreach (ParameterSpec p in spec.Parameters)
        {
            string id = CpuEmitter.Id(p.Name), name = CpuEmitter.StrOfId(id);
            switch (p.Role)
            {
                case ParamRole.Output or ParamRole.OutputGradient or ParamRole.InputGradient:
                    w.Line($"global::NormGen.NormGpu.Length({id}.Length, {x}.Length, {name}, \"the same as {spec.Input.Name}\");");
                    break;
                case ParamRole.Gamma or ParamRole.Beta or ParamRole.RunningVar or ParamRole.GammaGradient or ParamRole.BetaGradient:
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

    /// <summary>What the kernel computes: the kind's formula, the same text as the CPU kernel's remarks, and what follows it (BatchNorm training's running statistics).</summary>
    private static string TensorFormula(KernelSpec spec)
    {
        KindDefinition kind = Kinds.Get(spec.Kind);
        return kind.Computes(spec) + "." + (kind.Then(spec) is { } then ? " " + then : "");
    }

    /// <summary>A tensor overload's documentation (see <see cref="EmitOverloadDocumentation"/>).</summary>
    private static void EmitTensorDocumentation(SourceWriter w, KernelSpec spec, List<string> sizes, string? defaultStreamOf) =>
        EmitOverloadDocumentation(w, $"{Kinds.Get(spec.Kind).Title(spec)} of <paramref name=\"{spec.Input.Name}\"/> into <paramref name=\"{spec.Output.Name}\"/> on an ILGPU accelerator",
            defaultStreamOf, () => EmitTensorRemarks(w, spec, sizes),
            "A size is not positive, a view's length does not fit the others, or an output overlaps an input without being the same view. Nothing is enqueued.");

    /// <summary>The tensor stream overload's remarks: the numerics, the layout of the views, the kernel.</summary>
    private static void EmitTensorRemarks(SourceWriter w, KernelSpec spec, List<string> sizes)
    {
        string Ref(string name) => $"<paramref name=\"{name}\"/>";
        string x = Ref(spec.Input.Name), y = Ref(spec.Output.Name);
        string layout = IsScaler(spec)
            ? $"{x} and {y} are the dense, row-major elements of a (samples, features) tensor, {Ref(sizes[0])} the number of features (the product of the axes after the first)"
            : $"{x} and {y} are the dense, row-major elements of an (N, C, *) tensor, {(sizes.Count == 2 ? $"{Ref(sizes[0])} is C and " : $"C is the length of {Ref(spec.Parameter(ParamRole.RunningMean)!.Name)}, ")}{Ref(sizes[sizes.Count - 1])} the product of the axes after C (1 for an (N, C) tensor)";
        var perChannel = spec.Parameters.Where(p => p.Role is ParamRole.Gamma or ParamRole.Beta or ParamRole.RunningMean or ParamRole.RunningVar).Select(p => Ref(p.Name)).ToList();
        if (perChannel.Count > 0) layout += $"; {string.Join(", ", perChannel)} hold{(perChannel.Count == 1 ? "s" : "")} one value per channel";
        if (spec.MeanOutput is not null)
            layout += $"; {Ref(spec.MeanOutput.Name)} and {Ref(spec.RstdOutput!.Name)} receive the mean and 1/√(σ² + ε) of every block ({(spec.Element == ElementKind.Double ? "double" : "float")})";
        w.Line("/// <remarks>");
        w.Line($"/// <para>GPU variant of the tensor method of the same name, with the same numerics: {TensorFormula(spec)}</para>");
        w.Line($"/// <para>Views: {layout}. {y} may be {x} itself (in place). An empty tensor enqueues nothing.</para>");
        string compute = spec.Element switch { ElementKind.Double => "double", ElementKind.Half => "float (Half is widened on load and rounded once on store)", _ => "float" };
        string stats = spec.Kind == NormKind.MinMaxScale
            ? "min and max by warp-shuffle (and shared-memory) reductions, which propagate NaN (a NaN makes its own column NaN)"
            : "the mean as the block's first value plus an offset, corrected two-pass variance (never E[x²] − μ²), a power-of-two rescale for a finite block that overflows";
        string running = spec.Kind == NormKind.BatchNorm ? " The block's first thread then updates the running statistics of its channel." : "";
        w.Line($"/// <para>Kernel: one row of the row kernels per {TensorBlockText(spec)}: one warp per row up to {Lit(WarpPerRowMaxLength)} values, one group per longer row, a grid-stride loop over the rows. Statistics in {compute}: {stats}; fixed-order reductions, so a call gives the same bits every run.{running} Compiled once per accelerator, on first use, and cached.</para>");
        w.Line("/// </remarks>");
    }

    // ---------------------------------------------------------------- device helpers, once per compilation

    /// <summary>
    /// Writes <see cref="DevicePrimitivesHintName"/> once per compilation when any GPU kernel is emitted: the shared
    /// generic kernels and the reductions, comparisons, activations and view checks the kernels call. Only the parts the
    /// compilation's GPU specs (<paramref name="gpuSpecs"/>, per attribute) use are written: each spec maps to a small
    /// <see cref="GpuDeviceNeeds"/> value, and the values are or-ed into one, so the file is rewritten only when that
    /// answer changes (an edited ε or a new declaration of a kind already used leaves it cached).
    /// </summary>
    public static void RegisterDevicePrimitives(IncrementalGeneratorInitializationContext context, List<IncrementalValuesProvider<KernelSpec>> gpuSpecs)
    {
        IncrementalValueProvider<GpuDeviceNeeds>? all = null;
        foreach (IncrementalValuesProvider<KernelSpec> specs in gpuSpecs)
        {
            IncrementalValueProvider<GpuDeviceNeeds> needs = specs
                .Select(static (spec, _) => DeviceNeeds(spec))
                .Collect()
                .Select(static (list, _) => list.Aggregate(GpuDeviceNeeds.None, static (a, b) => a | b));
            all = all is { } sofar ? sofar.Combine(needs).Select(static (pair, _) => pair.Left | pair.Right) : needs;
        }
        if (all is not { } used) return;
        context.RegisterSourceOutput(used.WithTrackingName(TrackingNames.GpuDevicePrimitives), static (spc, needs) =>
        {
            if (needs != GpuDeviceNeeds.None) spc.AddSource(DevicePrimitivesHintName, EmitDevicePrimitives(needs));
        });
    }

    /// <summary>What one GPU spec's file calls in the shared device file: its kernel family and the optional kernels it launches, in its compute type; its activation.</summary>
    internal static GpuDeviceNeeds DeviceNeeds(KernelSpec spec)
    {
        GpuDeviceNeeds kernels = spec.Backward && IsGpuTensorKind(spec)
                ? GpuDeviceNeeds.TensorBackwardFloat | (HasParameterGradients(spec) ? GpuDeviceNeeds.TensorGammaGradientFloat : GpuDeviceNeeds.None)
            : spec.Backward ? RowBackwardNeeds(spec)
            : IsGpuTensorKind(spec) ? GpuDeviceNeeds.TensorsFloat | (spec.Kind == NormKind.BatchNorm && spec.CumulativeAverage ? GpuDeviceNeeds.BatchCountFloat : GpuDeviceNeeds.None)
            : IsBatchNormEval(spec) ? GpuDeviceNeeds.BatchNormEvalFloat
            : GpuDeviceNeeds.RowsFloat;
        GpuDeviceNeeds activation = spec.Activation == ActivationKind.None ? GpuDeviceNeeds.None
            : ActivationNeeds(spec.Activation) | (spec.Backward ? GpuDeviceNeeds.BackwardActivation : GpuDeviceNeeds.ForwardActivation);
        return kernels.In(CpuEmitter.ComputeName(spec) == "double") | activation;
    }

    /// <summary>A row backward declaration's kernels (in float): dx, and the statistics, dγ/dβ and dbias partials kernels it asks for.</summary>
    private static GpuDeviceNeeds RowBackwardNeeds(KernelSpec spec) =>
        GpuDeviceNeeds.BackwardFloat
        | (RecomputesStatistics(spec) ? GpuDeviceNeeds.RecomputeFloat : GpuDeviceNeeds.None)
        | (HasParameterGradients(spec) ? GpuDeviceNeeds.RowGammaGradientFloat : GpuDeviceNeeds.None)
        | (spec.Parameter(ParamRole.BiasGradient) is not null ? GpuDeviceNeeds.BiasGradientFloat : GpuDeviceNeeds.None);

    private static GpuDeviceNeeds ActivationNeeds(ActivationKind activation) => activation switch
    {
        ActivationKind.Relu => GpuDeviceNeeds.Relu,
        ActivationKind.Gelu => GpuDeviceNeeds.Gelu,
        ActivationKind.GeluTanh => GpuDeviceNeeds.GeluTanh,
        ActivationKind.Silu => GpuDeviceNeeds.Silu,
        ActivationKind.Tanh => GpuDeviceNeeds.Tanh,
        ActivationKind.Sigmoid => GpuDeviceNeeds.Sigmoid,
        _ => GpuDeviceNeeds.None,
    };

    /// <summary>The compute types <paramref name="needs"/> uses, float first.</summary>
    private static IEnumerable<string> ComputeTypes(GpuDeviceNeeds needs)
    {
        if ((needs & GpuDeviceNeeds.Float) != 0) yield return "float";
        if ((needs & GpuDeviceNeeds.Double) != 0) yield return "double";
    }

    /// <summary>Whether <paramref name="needs"/> has the family <paramref name="family"/> (Rows, Tensors, Backward) in compute type <paramref name="c"/>.</summary>
    private static bool Uses(GpuDeviceNeeds needs, GpuDeviceNeeds family, string c) =>
        (needs & family & (c == "double" ? GpuDeviceNeeds.Double : GpuDeviceNeeds.Float)) != 0;

    /// <summary>
    /// The shared device file with the parts <paramref name="needs"/> names: the <c>GpuDevice</c> helpers, the spec
    /// interfaces and the kernel classes of the families and compute types in use.
    /// </summary>
    internal static string EmitDevicePrimitives(GpuDeviceNeeds needs)
    {
        var w = new SourceWriter();
        w.Line("// <auto-generated/>");
        w.Line("#nullable enable");
        w.Line();
        w.Open("namespace NormGen.Generated");
        EmitDeviceHelpers(w, needs);
        w.Line();
        EmitSpecInterfaces(w, needs);
        foreach (string c in ComputeTypes(needs))
        {
            if (Uses(needs, GpuDeviceNeeds.RowClass, c))
            {
                w.Line();
                EmitRowKernels(w, c, rows: Uses(needs, GpuDeviceNeeds.Rows, c), batchNormEval: Uses(needs, GpuDeviceNeeds.BatchNormEval, c));
            }
            if (Uses(needs, GpuDeviceNeeds.Backward, c))
            {
                w.Line();
                EmitBackwardKernels(w, c, new RowBackwardParts(needs.Has(GpuDeviceNeeds.RecomputeFloat, c), needs.Has(GpuDeviceNeeds.RowGammaGradientFloat, c), needs.Has(GpuDeviceNeeds.BiasGradientFloat, c)));
            }
            if (Uses(needs, GpuDeviceNeeds.Tensors, c))
            {
                w.Line();
                EmitTensorKernels(w, c, batchCount: needs.Has(GpuDeviceNeeds.BatchCountFloat, c));
            }
            if (Uses(needs, GpuDeviceNeeds.TensorBackward, c))
            {
                w.Line();
                EmitTensorBackwardKernels(w, c, gammaGradient: needs.Has(GpuDeviceNeeds.TensorGammaGradientFloat, c));
            }
        }
        w.Close();
        return GlobalNames.Qualify(w.ToString());
    }

    /// <summary>The <c>GpuDevice</c> class: sums and maxima over a warp or a group (fixed order), Finite, Larger, Smaller, the activations in use, the view checks, the backward's scratch and combine.</summary>
    private static void EmitDeviceHelpers(SourceWriter w, GpuDeviceNeeds needs)
    {
        w.Line("/// <summary>");
        w.Line("/// Device code shared by this compilation's GPU kernels, written once rather than in every kernel class: sums and");
        w.Line("/// maxima over a warp or a group in a fixed order (the same bits run to run), the NaN-aware comparisons they need,");
        w.Line("/// the epilogue activations (arithmetic only, so every ILGPU backend compiles them) and the launch-side view checks.");
        w.Line("/// </summary>");
        w.Line(Generated);
        w.Open("internal static class GpuDevice");
        foreach (string c in ComputeTypes(needs & RowShaped))
        {
            EmitSums(w, c, groupKernel: true, "internal");
            EmitMaxima(w, c, groupKernel: true, "internal");
            if (Uses(needs, GpuDeviceNeeds.Tensors, c))
            {
                w.Line();
                w.Line("/// <summary>min(a, b), NaN if either is NaN.</summary>");
                w.Line($"internal static {c} Smaller({c} a, {c} b) => a < b || {c}.IsNaN(a) ? a : b;");
            }
            EmitDeviceActivations(w, needs, c);
            w.Line();
        }
        EmitSharedViewChecks(w);
        if ((needs & GpuDeviceNeeds.Scratch) != 0)
        {
            w.Line();
            EmitScratchMethod(w);
            foreach (string c in new[] { "float", "double" }.Where(c => needs.Has(GpuDeviceNeeds.ColumnGradientsFloat, c)))
            {
                if (c == "double" && (needs & GpuDeviceNeeds.ColumnGradientsFloat) != 0) w.Line();
                EmitCombineKernel(w, c);
            }
        }
        w.Close();
    }

    /// <summary>The families whose kernels share rows among a warp or a group (all but BatchNorm evaluation's element kernel).</summary>
    private const GpuDeviceNeeds RowShaped = GpuDeviceNeeds.Rows | GpuDeviceNeeds.Tensors | GpuDeviceNeeds.Backward | GpuDeviceNeeds.TensorBackward;

    /// <summary>
    /// The activations in compute type <paramref name="c"/>: those of the forward row kernels when a forward row
    /// declaration has one, their derivatives when a row backward declaration has one (the flags name the activations
    /// in use, not which family asked for which), and the e^v they share.
    /// </summary>
    private static void EmitDeviceActivations(SourceWriter w, GpuDeviceNeeds needs, string c)
    {
        bool forward = Uses(needs, GpuDeviceNeeds.Rows, c) && (needs & GpuDeviceNeeds.ForwardActivation) != 0;
        bool backward = Uses(needs, GpuDeviceNeeds.Backward, c) && (needs & GpuDeviceNeeds.BackwardActivation) != 0;
        var activations = new[] { ActivationKind.Relu, ActivationKind.Gelu, ActivationKind.GeluTanh, ActivationKind.Silu, ActivationKind.Tanh, ActivationKind.Sigmoid }
            .Where(a => (needs & ActivationNeeds(a)) != 0).ToList();
        if (forward) foreach (ActivationKind activation in activations) EmitActivation(w, activation, c == "double", "internal");
        if (backward) foreach (ActivationKind activation in activations) EmitActivationGradient(w, activation, c == "double");
        if ((forward || backward) && (needs & GpuDeviceNeeds.Exp) != 0)
        {
            w.Line();
            EmitExp(w, c == "double", "internal");
        }
    }
}
