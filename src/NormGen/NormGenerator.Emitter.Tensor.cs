using System.Collections.Generic;
using System.Linq;
using NormGen.Generator.Model;
using static NormGen.Generator.CpuEmitter;

namespace NormGen.Generator;

/// <summary>
/// Writes kernels for the kinds that normalize over axes of an (N, C, *) or (samples, features) tensor rather than
/// over contiguous rows: BatchNorm, GroupNorm, InstanceNorm, channel LayerNorm, min-max scaling, standardization.
/// </summary>
/// <remarks>
/// <para>The user's method checks every argument, flattens x and y (both dense), and calls <c>Run</c> in a file-local
/// kernel class, which calls the runtime's engine of its family with a spec struct of constants. Half kernels call the
/// engine's Half overload, which streams x through a pooled float buffer of at most 2²⁰ elements, a slab of independent
/// units at a time, normalizes each slab with the float kernel and narrows once on store. Every kind splits large calls
/// into units that depend on the shape only and spreads them over <c>RowScheduler</c>.</para>
/// <para>Two families of building blocks:</para>
/// <list type="bullet">
/// <item>Contiguous blocks (BatchNorm, GroupNorm, InstanceNorm): the statistics of a channel or group are sums over
/// blocks of <c>spatial</c> (or <c>C/G × spatial</c>) contiguous elements (<c>SumShifted</c>, <c>SumDeviations</c>),
/// and normalization is one multiply-add per element over the same blocks (<c>Apply</c>, <c>ScaleShift</c>). These do
/// not depend on the spec: they live once in the runtime (<c>NormGen.TensorBlocks</c>, with the overlapping-tail masks
/// and the huge-value fallback), and so do the drivers that split a tensor into such blocks (<c>NormGen.BlockEngine</c>,
/// generic over a spec struct); the generated class holds only <c>Run</c> and the spec struct
/// (NormGenerator.Emitter.Blocks.cs).</item>
/// <item>Columns (channel LayerNorm, Standardize, MinMaxScale): statistics over a strided axis at every position of a
/// contiguous one. A vector holds neighbouring positions; the loop walks the strided axis, so every lane is one
/// independent column and the panel of one vector's columns stays in L1 for all passes. They live once in the runtime
/// (<c>NormGen.ColumnEngine</c>, generic over a spec struct and the vector width); the generated class holds only
/// <c>Run</c> and the spec struct (NormGenerator.Emitter.Columns.cs).</item>
/// </list>
/// </remarks>
internal static partial class TensorEmitter
{
    private sealed record Vec(string Type, int Bits, int Lanes);

    private static List<Vec> Widths(KernelSpec spec)
    {
        int bytes = spec.Element == ElementKind.Double ? 8 : 4;
        return new List<Vec>
        {
            new("Vector512", 512, 64 / bytes),
            new("Vector256", 256, 32 / bytes),
            new("Vector128", 128, 16 / bytes),
        };
    }

    /// <summary>The name of each role inside the kernel class: its parameter name in the engines the class calls (<see cref="RoleNames.InTensorEngine"/>).</summary>
    private static string Canonical(ParamRole role) => RoleNames.InTensorEngine(role);

    private static bool IsColumnKind(KernelSpec spec) => spec.Kind is NormKind.ChannelLayerNorm or NormKind.Standardize or NormKind.MinMaxScale;

    private static bool IsSampleKind(KernelSpec spec) => spec.Kind is NormKind.Standardize or NormKind.MinMaxScale;

    private static bool WritesRunning(KernelSpec spec) => spec.Kind == NormKind.BatchNorm && spec.Training;

    public static string Emit(KernelSpec spec) => EmitKernelFile(spec, EmitEntryPoint, EmitKernelClass);

    // ---------------------------------------------------------------- entry point

    /// <summary>
    /// The user's method: its documentation, then the checks of shapes, lengths and aliasing (all before anything is
    /// written), then the call of the kernel class's Run on the dense spans.
    /// </summary>
    private static void EmitEntryPoint(SourceWriter w, KernelSpec spec)
    {
        OpenImplementation(w, spec, EmitDocumentation);

        var taken = new HashSet<string>(spec.Parameters.Select(p => p.Name));
        string Unique(string name)
        {
            while (taken.Contains(name)) name += "_";
            taken.Add(name);
            return name;
        }
        ParameterSpec x = spec.Input, y = spec.Output;
        string xId = Id(x.Name), yId = Id(y.Name);
        string e = ElementName(spec.Element);
        string xFlat = Unique("xFlat"), yFlat = Unique("yFlat");

        // 1. Shapes, lengths and aliasing, all checked before anything is written.
        w.Line($"global::NormGen.NormGuard.SameShape({xId}.Lengths, {yId}.Lengths, {Str(x.Name)}, {Str(y.Name)});");
        string[] dims = EmitLayoutChecks(w, spec, Unique);
        w.Line($"ReadOnlySpan<{e}> {xFlat} = global::NormGen.NormGuard.Dense({xId}, {Str(x.Name)});");
        w.Line($"Span<{e}> {yFlat} = global::NormGen.NormGuard.Dense({yId}, {Str(y.Name)});");
        EmitSpanLengthChecks(w, spec, dims);
        // y may be x (in place); it shares no memory with γ, β or the running statistics, which the training
        // kernel writes and so keeps apart from x and y.
        string Flat(ParamRole role) => role == ParamRole.Input ? xFlat : role == ParamRole.Output ? yFlat : Id(spec.Parameter(role)!.Name);
        string Ro(ParamRole role) => spec.Parameter(role)!.Form == ParamForm.Span
            ? $"(ReadOnlySpan<{ElementName(spec.Parameter(role)!.Element)}>){Flat(role)}"
            : Flat(role);
        EmitOverlapChecks(w, spec, Ro, Flat);
        w.Line($"if ({xFlat}.IsEmpty) return;");
        w.Line();

        // 2. Run.
        var args = spec.Parameters.Select(p => p.Role switch
        {
            ParamRole.Input => xFlat,
            ParamRole.Output => yFlat,
            _ => Id(p.Name),
        });
        w.Line($"{spec.KernelClassName}.Run({string.Join(", ", args)}, {string.Join(", ", dims)});");
        w.Close();
    }

    /// <summary>
    /// The layout checks of the entry point: x is (samples, features) or (N, C, *), with C a multiple of the groups and
    /// more than one value per channel where running statistics are written. Returns the names of the dimensions.
    /// </summary>
    private static string[] EmitLayoutChecks(SourceWriter w, KernelSpec spec, System.Func<string, string> unique)
    {
        ParameterSpec x = spec.Input;
        string xId = Id(x.Name);
        string[] dims;
        if (IsSampleKind(spec))
        {
            dims = new[] { unique("samples"), unique("features") };
            w.Line($"global::NormGen.NormGuard.SampleLayout({xId}.Lengths, {Str(x.Name)}, out int {dims[0]}, out int {dims[1]});");
        }
        else
        {
            dims = new[] { unique("batch"), unique("channels"), unique("spatial") };
            w.Line($"global::NormGen.NormGuard.ChannelLayout({xId}.Lengths, {Str(x.Name)}, out int {dims[0]}, out int {dims[1]}, out int {dims[2]});");
            if (spec.Kind == NormKind.GroupNorm)
                w.Line($"global::NormGen.NormGuard.ChannelsDivisible({dims[1]}, {spec.KernelClassName}.Spec.Groups, {Str(x.Name)});");
            if (WritesRunning(spec))
                w.Line($"global::NormGen.NormGuard.MoreThanOneValuePerChannel({dims[0]}, {dims[2]}, {dims[1]}, {Str(x.Name)});");
        }
        return dims;
    }

    /// <summary>
    /// The length checks of the entry point: γ, β and the running statistics hold one value per channel, the batch
    /// counter one, the saved statistics one per channel, (sample, group), (sample, position) or (sample, channel).
    /// </summary>
    private static void EmitSpanLengthChecks(SourceWriter w, KernelSpec spec, string[] dims)
    {
        foreach (ParameterSpec p in spec.Parameters)
        {
            switch (p.Role)
            {
                case ParamRole.Gamma or ParamRole.Beta or ParamRole.RunningMean or ParamRole.RunningVar:
                    w.Line($"global::NormGen.NormGuard.Length({Id(p.Name)}.Length, {dims[1]}, {Str(p.Name)}, \"one per channel\");");
                    break;
                case ParamRole.BatchesTracked:
                    w.Line($"global::NormGen.NormGuard.Length({Id(p.Name)}.Length, 1, {Str(p.Name)}, \"the number of batches seen so far\");");
                    break;
                case ParamRole.Mean or ParamRole.Rstd: // saved statistics: one per channel (BatchNorm), per (sample, group) (GroupNorm), per (sample, channel) (InstanceNorm)
                    KindDefinition kind = Kinds.Get(spec.Kind);
                    string blocks = kind.StatisticsCount(dims[0], dims[1], dims[2], $"{spec.KernelClassName}.Spec.Groups");
                    w.Line($"global::NormGen.NormGuard.Length({Id(p.Name)}.Length, {blocks}, {Str(p.Name)}, \"{kind.OnePerStatisticsBlock}\");");
                    break;
            }
        }
    }

    // ---------------------------------------------------------------- documentation

    /// <summary>The XML documentation of the user's method: what it computes, the shapes, the code paths and the exception.</summary>
    private static void EmitDocumentation(SourceWriter w, KernelSpec spec)
    {
        string x = $"<paramref name=\"{spec.Input.Name}\"/>", y = $"<paramref name=\"{spec.Output.Name}\"/>";
        var paras = new List<string>();
        string summary = KindDescription(spec, x, y, paras);

        var perChannel = spec.Parameters.Where(p => p.Role is ParamRole.Gamma or ParamRole.Beta or ParamRole.RunningMean or ParamRole.RunningVar).Select(p => $"<paramref name=\"{p.Name}\"/>").ToList();
        string layout = IsSampleKind(spec)
            ? $"{x} has rank 2 or more"
            : $"{x} is (N, C, *) with any number of spatial axes, including none";
        paras.Add($"Shapes: {layout}; {y} has the same shape; both are dense{(perChannel.Count > 0 ? $"; {string.Join(", ", perChannel)} hold C elements" : "")}. {y} may be {x} itself (in place). An empty tensor does nothing.");

        var widths = Widths(spec).Select(v => $"{Lit(v.Bits)}-bit vectors ({Lit(v.Lanes)} × {ComputeName(spec)})").ToList();
        widths.Add("scalar");
        string half = spec.Element == ElementKind.Half
            ? " Half tensors stream through a pooled float buffer of at most 2²⁰ elements (" + HalfUnits(spec) + " at a time): widened, computed in float, and rounded once to Half on store."
            : "";
        paras.Add($"Code paths: {string.Join(", ", widths)}, chosen by the JIT for the processor and by the length of the contiguous axis; every reduction runs in a fixed order that depends only on the shape, so results are reproducible. Large tensors spread their independent {(IsColumnKind(spec) ? "column ranges" : spec.Kind == NormKind.BatchNorm && spec.Training ? "channels" : "blocks")} over up to <see cref=\"global::NormGen.NormGenSettings.MaxDegreeOfParallelism\"/> threads; the split depends on the shape only and a unit's result does not depend on the thread, so the results are bitwise the same for any thread count.{half}");

        w.Line("/// <summary>");
        w.Line("/// " + summary);
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        foreach (string p in paras) w.Line($"/// <para>{p}</para>");
        w.Line("/// </remarks>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A tensor's shape or a span's length does not fit the others, or y overlaps x without being the same memory. Nothing is written.</exception>");
    }

    /// <summary>
    /// The summary of a tensor kernel's documentation for its kind, and the paragraphs that say what it computes
    /// (added to <paramref name="paras"/>): the kind's formula (<see cref="KindDefinition.Computes"/>, the GPU overloads'
    /// too), what follows it, and how this CPU kernel takes the statistics.
    /// </summary>
    private static string KindDescription(KernelSpec spec, string x, string y, List<string> paras)
    {
        KindDefinition kind = Kinds.Get(spec.Kind);
        string computes = "Computes " + kind.Computes(spec) + ".";
        const string samplesAxis = " Axis 0 holds the samples; a tensor of rank above 2 is treated as (samples, product of the other axes).";
        switch (spec.Kind)
        {
            case NormKind.BatchNorm when spec.Training:
                paras.Add(computes);
                paras.Add(kind.Then(spec)!);
                paras.Add("Statistics: exact two-pass per channel, over N contiguous blocks of spatial elements. The mean is kept as the channel's first element plus an offset and the variance is the corrected two-pass sum (Chan, Golub &amp; LeVeque), never E[x²] − μ², so a constant channel gives exactly β and a NaN stays in its channel.");
                return $"{kind.Title(spec)} of {x} into {y}, over the (N, C, *) layout: statistics per channel over the batch and all spatial positions.";
            case NormKind.BatchNorm:
                paras.Add(computes);
                return $"{kind.Title(spec)} of {x} into {y}, over the (N, C, *) layout, with the running statistics.";
            case NormKind.GroupNorm:
                paras.Add(computes);
                paras.Add("Statistics: exact two-pass over each group's contiguous block (shift by its first element, corrected two-pass variance), never E[x²] − μ²: a constant group gives exactly β and a NaN stays in its group.");
                return $"Group normalization of {x} into {y}, over the (N, C, *) layout with {Lit(spec.Groups)} groups of C / {Lit(spec.Groups)} channels.";
            case NormKind.InstanceNorm:
                paras.Add(computes);
                paras.Add("Statistics: exact two-pass over each (n, c) block (shift by its first element, corrected two-pass variance), never E[x²] − μ²: a constant channel gives exactly β (0 without affine) and a NaN stays in its channel.");
                return $"Instance normalization of {x} into {y}, over the (N, C, *) layout: statistics per sample and channel.";
            case NormKind.ChannelLayerNorm:
                paras.Add(computes.TrimEnd('.') + (spec.BiasFree
                    ? ", in one pass without transposes. With no spatial axes ((N, C)) it is computed without vectors."
                    : " in one pass, without transposes. With no spatial axes ((N, C)) it is a plain LayerNorm over C, computed here without vectors: [LayerNorm] is the faster choice there."));
                paras.Add($"Vectorized across neighbouring spatial positions (contiguous), accumulating over the channels (stride = spatial); the panel of one vector's positions × C stays in L1 for the three passes. Each position: shift by its channel-0 value, corrected two-pass variance{(spec.BiasFree ? "" : "; a constant position gives exactly β")}.");
                return $"Layer normalization over the channel axis of {x} into {y}, separately at every spatial position of the (N, C, *) layout{(spec.BiasFree ? ", Restormer's BiasFree variant" : "")}.";
            case NormKind.Standardize:
                paras.Add(computes + samplesAxis);
                paras.Add("Vectorized across neighbouring features (contiguous), accumulating over the samples; each feature: shift by its first sample, corrected two-pass variance, never E[x²] − μ². A NaN makes its own column NaN and no other.");
                return $"Z-score standardization of {x} into {y}, per feature (column) of a (samples, features) tensor.";
            default:
                paras.Add(computes + samplesAxis);
                paras.Add("Vectorized across neighbouring features (contiguous), with a running min and max over the samples. min and max propagate NaN (as <c>torch.amin</c>/<c>amax</c>), so a NaN makes its own column NaN and no other.");
                return $"Min-max scaling of {x} into {y}, per feature (column) of a (samples, features) tensor, to [0, 1].";
        }
    }

    // ---------------------------------------------------------------- kernel class

    /// <summary>
    /// The kernel class: <c>Run</c>, one call of the runtime engine (<c>ColumnEngine</c> for the column kinds,
    /// <c>BlockEngine</c> for the block kinds), and the spec struct of constants the engine is specialised on.
    /// </summary>
    private static void EmitKernelClass(SourceWriter w, KernelSpec spec)
    {
        string owner = string.Join(".", spec.ContainingTypes.Select(t => t.NameWithTypeParameters.Split('<')[0]));
        w.Line($"/// <summary>Kernels behind <c>{owner}.{spec.MethodName}</c>; see its remarks.</summary>");
        w.Line(Generated);
        w.Open($"file static class {spec.KernelClassName}");
        bool columns = IsColumnKind(spec);
        string c = ComputeName(spec);
        bool half = spec.Element == ElementKind.Half;
        w.Line(half
            ? "/// <summary>Normalizes x into y (in place allowed), through float slabs. Arguments are already checked and x is not empty.</summary>"
            : "/// <summary>Normalizes x into y (in place allowed). Arguments are already checked and x is not empty.</summary>");
        w.Line($"internal static void Run({RunParameters(spec, half ? "Half" : c)})");
        string types = half ? "Spec" : $"Spec, {c}"; // Half: the engine's Half overload, which stages slabs through the float kernel
        if (columns) EmitColumnRun(w, spec, types);
        else EmitBlockRun(w, spec, types);
        w.Line();
        if (columns) EmitColumnSpec(w, spec);
        else EmitBlockSpec(w, spec);
        w.Close();
    }

    // ---------------------------------------------------------------- Run's parameters

    private static string RunParameters(KernelSpec spec, string element)
    {
        var list = new List<string>();
        foreach (ParameterSpec p in spec.Parameters)
        {
            string type = p.Role switch
            {
                ParamRole.Output => $"Span<{element}>",
                ParamRole.BatchesTracked => "Span<long>",
                ParamRole.Mean or ParamRole.Rstd => $"Span<{(element == "double" ? "double" : "float")}>",
                ParamRole.RunningMean or ParamRole.RunningVar when spec.Training => $"Span<{element}>",
                _ => $"ReadOnlySpan<{element}>",
            };
            list.Add($"{type} {Canonical(p.Role)}");
        }
        list.AddRange(IsSampleKind(spec) ? new[] { "int samples", "int features" } : new[] { "int batch", "int channels", "int spatial" });
        return string.Join(", ", list);
    }

    private static string HalfUnits(KernelSpec spec) => spec.Kind switch
    {
        NormKind.GroupNorm => "whole samples",
        NormKind.InstanceNorm or NormKind.BatchNorm when !spec.Training => "whole samples, or whole channels of a sample larger than a slab",
        NormKind.BatchNorm => "whole channels over all samples",
        _ => "column ranges, all samples",
    };
}
