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
/// kernel class. Half kernels get a <c>Run</c> overload that streams x through a pooled float buffer of at most
/// <c>Slab</c> elements, a slab of independent units at a time, normalizes each slab with the float kernel and narrows
/// once on store. Every kind splits large calls into units that depend on the shape only and spreads them over
/// <c>RowScheduler</c>.</para>
/// <para>Two families of building blocks:</para>
/// <list type="bullet">
/// <item>Contiguous blocks (BatchNorm, GroupNorm, InstanceNorm): the statistics of a channel or group are sums over
/// blocks of <c>spatial</c> (or <c>C/G × spatial</c>) contiguous elements (<c>SumShifted</c>, <c>SumDeviations</c>),
/// and normalization is one multiply-add per element over the same blocks (<c>Apply</c>, <c>ScaleShift</c>). These do
/// not depend on the spec: they live once in the runtime (<c>NormGen.TensorBlocks</c>, with the overlapping-tail masks
/// and the huge-value fallback), and the generated driver calls them.</item>
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

    /// <summary>The canonical name of each role inside the kernel class.</summary>
    private static string Canonical(ParamRole role) => role switch
    {
        ParamRole.Gamma => "gamma",
        ParamRole.Beta => "beta",
        ParamRole.RunningMean => "runningMean",
        ParamRole.RunningVar => "runningVar",
        ParamRole.BatchesTracked => "batchesTracked",
        ParamRole.Output => "y",
        ParamRole.Mean => "saveMean",
        ParamRole.Rstd => "saveRstd",
        _ => "x",
    };

    private static bool IsColumnKind(KernelSpec spec) => spec.Kind is NormKind.ChannelLayerNorm or NormKind.Standardize or NormKind.MinMaxScale;

    private static bool IsSampleKind(KernelSpec spec) => spec.Kind is NormKind.Standardize or NormKind.MinMaxScale;

    private static bool WritesRunning(KernelSpec spec) => spec.Kind == NormKind.BatchNorm && spec.Training;

    public static string Emit(KernelSpec spec)
    {
        var w = new SourceWriter();
        EmitFileHeader(w);
        OpenUserType(w, spec);
        EmitEntryPoint(w, spec);
        CloseUserType(w, spec);

        w.Line();
        if (spec.Namespace is not null) w.Open("namespace " + spec.Namespace);
        EmitKernelClass(w, spec);
        if (spec.Namespace is not null) w.Close();
        return GlobalNames.Qualify(w.ToString());
    }

    // ---------------------------------------------------------------- entry point

    /// <summary>
    /// The user's method: its documentation, then the checks of shapes, lengths and aliasing (all before anything is
    /// written), then the call of the kernel class's Run on the dense spans.
    /// </summary>
    private static void EmitEntryPoint(SourceWriter w, KernelSpec spec)
    {
        Documentation.Write(w, spec, EmitDocumentation);
        w.Line(Generated);
        // An extension method's 'this' must be repeated on the implementing declaration (CS0755).
        string parameters = string.Join(", ", spec.Parameters.Select((p, i) => (spec.IsExtension && i == 0 ? "this " : "") + TypeName(p) + " " + Id(p.Name)));
        w.Open($"{spec.Modifiers} void {Id(spec.MethodName)}({parameters})");

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
                w.Line($"global::NormGen.NormGuard.ChannelsDivisible({dims[1]}, {spec.KernelClassName}.Groups, {Str(x.Name)});");
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
                    string blocks = kind.StatisticsCount(dims[0], dims[1], dims[2], $"{spec.KernelClassName}.Groups");
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
    /// (added to <paramref name="paras"/>): the formula, ε, γ and β, the running statistics and how the statistics are taken.
    /// </summary>
    private static string KindDescription(KernelSpec spec, string x, string y, List<string> paras)
    {
        string Ref(ParamRole role) => $"<paramref name=\"{spec.Parameter(role)!.Name}\"/>";
        string eps = CpuEmitterText.Float(spec.Epsilon);
        string affine = spec.Affine switch
        {
            AffineMode.None => "",
            AffineMode.Scale => " · γ[c]",
            _ => " · γ[c] + β[c]",
        };
        string summary;
        switch (spec.Kind)
        {
            case NormKind.BatchNorm when spec.Training:
                summary = $"{Kinds.Get(spec.Kind).Title(spec)} of {x} into {y}, over the (N, C, *) layout: statistics per channel over the batch and all spatial positions.";
                paras.Add($"Computes y = (x − μ[c]) / √(σ²[c] + ε){affine} with ε = {eps}, μ[c] and σ²[c] the mean and biased variance of channel c over N × spatial values (PyTorch <c>batch_norm</c>, <c>training=True</c>).");
                paras.Add(spec.CumulativeAverage
                    ? $"Then updates the running statistics as PyTorch does with <c>momentum=None</c>: {Ref(ParamRole.BatchesTracked)}[0] is incremented and m = 1 / {Ref(ParamRole.BatchesTracked)}[0]; {Ref(ParamRole.RunningMean)} ← (1 − m)·{Ref(ParamRole.RunningMean)} + m·μ and {Ref(ParamRole.RunningVar)} ← (1 − m)·{Ref(ParamRole.RunningVar)} + m·σ²·n/(n − 1) (the unbiased variance, n = N × spatial), a cumulative average over the batches seen."
                    : $"Then updates the running statistics in place with momentum m = {CpuEmitterText.Float(spec.Momentum)}: {Ref(ParamRole.RunningMean)} ← (1 − m)·{Ref(ParamRole.RunningMean)} + m·μ and {Ref(ParamRole.RunningVar)} ← (1 − m)·{Ref(ParamRole.RunningVar)} + m·σ²·n/(n − 1), the unbiased variance with n = N × spatial.");
                paras.Add("Statistics: exact two-pass per channel, over N contiguous blocks of spatial elements. The mean is kept as the channel's first element plus an offset and the variance is the corrected two-pass sum (Chan, Golub &amp; LeVeque), never E[x²] − μ², so a constant channel gives exactly β and a NaN stays in its channel.");
                break;
            case NormKind.BatchNorm:
                summary = $"{Kinds.Get(spec.Kind).Title(spec)} of {x} into {y}, over the (N, C, *) layout, with the running statistics.";
                paras.Add($"Computes y = (x − {Ref(ParamRole.RunningMean)}[c]) / √({Ref(ParamRole.RunningVar)}[c] + ε){affine} with ε = {eps} (PyTorch <c>batch_norm</c>, <c>training=False</c>), folded once per channel into s[c] = γ[c] / √(var[c] + ε) and t[c] = β[c] − mean[c]·s[c], so every element costs one multiply-add: y = x·s[c] + t[c].");
                break;
            case NormKind.GroupNorm:
                summary = $"Group normalization of {x} into {y}, over the (N, C, *) layout with {Lit(spec.Groups)} groups of C / {Lit(spec.Groups)} channels.";
                paras.Add($"Computes y = (x − μ[n, g]) / √(σ²[n, g] + ε){affine} with ε = {eps}, μ and σ² the mean and biased variance of group g of sample n (its C/G channels × all spatial positions, one contiguous block), and per-channel γ and β (PyTorch <c>group_norm</c>). C must be a multiple of {Lit(spec.Groups)}.");
                paras.Add("Statistics: exact two-pass over each group's contiguous block (shift by its first element, corrected two-pass variance), never E[x²] − μ²: a constant group gives exactly β and a NaN stays in its group.");
                break;
            case NormKind.InstanceNorm:
                summary = $"Instance normalization of {x} into {y}, over the (N, C, *) layout: statistics per sample and channel.";
                paras.Add($"Computes y = (x − μ[n, c]) / √(σ²[n, c] + ε){affine} with ε = {eps}, μ and σ² the mean and biased variance of the spatial positions of channel c of sample n (PyTorch <c>instance_norm</c> with <c>use_input_stats=True</c>; no running statistics).");
                paras.Add("Statistics: exact two-pass over each (n, c) block (shift by its first element, corrected two-pass variance), never E[x²] − μ²: a constant channel gives exactly β (0 without affine) and a NaN stays in its channel.");
                break;
            case NormKind.ChannelLayerNorm:
                summary = $"Layer normalization over the channel axis of {x} into {y}, separately at every spatial position of the (N, C, *) layout{(spec.BiasFree ? ", Restormer's BiasFree variant" : "")}.";
                if (spec.BiasFree)
                    paras.Add($"Computes y[n, c, s] = x[n, c, s] / √(σ²[n, s] + ε) · {Ref(ParamRole.Gamma)}[c] with ε = {eps}, σ² the biased variance of the C values at position s of sample n around their mean; the mean is <b>not</b> subtracted from x. This is Restormer's <c>BiasFree_LayerNorm</c>, <c>x / sqrt(x.var(-1, unbiased=False) + eps) * weight</c>, over <c>to_3d(x)</c>, in one pass without transposes. With no spatial axes ((N, C)) it is computed without vectors.");
                else
                    paras.Add($"Computes y[n, c, s] = (x[n, c, s] − μ[n, s]) / √(σ²[n, s] + ε){affine} with ε = {eps}, μ and σ² the mean and biased variance of the C values at position s of sample n: Restormer's <c>to_3d → LayerNorm(C) → to_4d</c>{(spec.Affine == AffineMode.ScaleAndBias ? " (its WithBias_LayerNorm)" : "")} in one pass, without transposes. With no spatial axes ((N, C)) it is a plain LayerNorm over C, computed here without vectors: [LayerNorm] is the faster choice there.");
                paras.Add($"Vectorized across neighbouring spatial positions (contiguous), accumulating over the channels (stride = spatial); the panel of one vector's positions × C stays in L1 for the three passes. Each position: shift by its channel-0 value, corrected two-pass variance{(spec.BiasFree ? "" : "; a constant position gives exactly β")}.");
                break;
            case NormKind.Standardize:
                summary = $"Z-score standardization of {x} into {y}, per feature (column) of a (samples, features) tensor.";
                paras.Add("Computes y = (x − μ[f]) / σ[f], μ[f] the mean and σ[f] the population standard deviation (divide by the sample count) of feature f over the samples; a constant feature (σ = 0) gives 0. No ε. Axis 0 holds the samples; a tensor of rank above 2 is treated as (samples, product of the other axes).");
                paras.Add("Vectorized across neighbouring features (contiguous), accumulating over the samples; each feature: shift by its first sample, corrected two-pass variance, never E[x²] − μ². A NaN makes its own column NaN and no other.");
                break;
            default:
                summary = $"Min-max scaling of {x} into {y}, per feature (column) of a (samples, features) tensor, to [0, 1].";
                paras.Add("Computes y = (x − min[f]) / (max[f] − min[f]) over the samples of feature f (divided, not multiplied by a reciprocal, so the maximum maps to exactly 1); a constant feature gives 0. Axis 0 holds the samples; a tensor of rank above 2 is treated as (samples, product of the other axes).");
                paras.Add("Vectorized across neighbouring features (contiguous), with a running min and max over the samples. min and max propagate NaN (as <c>torch.amin</c>/<c>amax</c>), so a NaN makes its own column NaN and no other.");
                break;
        }
        return summary;
    }

    // ---------------------------------------------------------------- kernel class

    private static void EmitKernelClass(SourceWriter w, KernelSpec spec)
    {
        if (IsColumnKind(spec))
        {
            EmitColumnKernelClass(w, spec); // a spec struct and a call of global::NormGen.ColumnEngine
            return;
        }
        string c = ComputeName(spec);
        string owner = string.Join(".", spec.ContainingTypes.Select(t => t.NameWithTypeParameters.Split('<')[0]));
        w.Line($"/// <summary>Kernels behind <c>{owner}.{spec.MethodName}</c>; see its remarks.</summary>");
        w.Line(Generated);
        w.Open($"file static class {spec.KernelClassName}");
        bool constants = false;
        if (spec.Kind is not (NormKind.Standardize or NormKind.MinMaxScale))
        {
            w.Line($"private const {c} Epsilon = {CpuEmitterText.Literal(spec.Epsilon, c)};");
            constants = true;
        }
        if (spec.Kind == NormKind.GroupNorm)
        {
            w.Line();
            w.Line("/// <summary>The number of channel groups G.</summary>");
            w.Line($"internal const int Groups = {Lit(spec.Groups)};");
        }
        if (WritesRunning(spec) && !spec.CumulativeAverage)
        {
            w.Line();
            w.Line("/// <summary>The running statistics' update factor m in r ← (1 − m)·r + m·stat.</summary>");
            w.Line($"private const {c} Momentum = {CpuEmitterText.Literal(spec.Momentum, c)};");
        }
        if (spec.Element == ElementKind.Half)
        {
            if (constants) w.Line();
            w.Line("/// <summary>The most elements a Half call widens to float at a time (4 MiB of float): big enough to spread over threads.</summary>");
            w.Line("private const int Slab = 1 << 20;");
            constants = true;
        }
        if (constants) w.Line();

        if (spec.Element == ElementKind.Half)
        {
            EmitHalfRun(w, spec);
            w.Line();
        }
        EmitRun(w, spec);
        if (WritesRunning(spec)) EmitBatchNormPanel(w, spec);

        w.Close();
    }

    // ---------------------------------------------------------------- Run: the kind's driver

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

    private static void EmitHalfRun(SourceWriter w, KernelSpec spec)
    {
        var staged = spec.Parameters.Where(p => p.Role is ParamRole.Gamma or ParamRole.Beta or ParamRole.RunningMean or ParamRole.RunningVar).ToList();
        w.Line("/// <summary>");
        w.Line("/// Half tensors stream: the per-channel parameters are widened once, then x goes through a pooled float buffer of at");
        w.Line("/// most <see cref=\"Slab\"/> elements, a slab of independent units at a time (" + HalfUnits(spec) + "),");
        w.Line("/// normalized there by the float kernel and narrowed once on store. Each unit is computed as in a whole-tensor call,");
        w.Line("/// so the results do not depend on the slab size.");
        w.Line("/// </summary>");
        w.Open($"internal static void Run({RunParameters(spec, "Half")})");
        if (staged.Count > 0)
        {
            w.Line($"float[] parameters = global::System.Buffers.ArrayPool<float>.Shared.Rent({Lit(staged.Count)} * channels);");
            for (int i = 0; i < staged.Count; i++)
            {
                string name = Canonical(staged[i].Role);
                w.Line($"Span<float> {name}Single = MemoryExtensions.AsSpan(parameters, {(i == 0 ? "0" : $"{Lit(i)} * channels")}, channels);");
                w.Line($"TensorPrimitives.ConvertToSingle({name}, {name}Single);");
            }
        }
        if (WritesRunning(spec))
        {
            if (spec.CumulativeAverage)
            {
                w.Line("// PyTorch's momentum=None: count this batch once, then m = 1 / batches seen.");
                w.Line("long tracked = ++batchesTracked[0];");
                w.Line("float momentum = (float)(1d / tracked);");
            }
            else
            {
                w.Line("const float momentum = Momentum;");
            }
        }
        string largest = spec.Kind switch
        {
            NormKind.BatchNorm when spec.Training => "batch * spatial", // one channel over all samples
            NormKind.GroupNorm => "channels * spatial", // one sample
            _ => "spatial", // one channel of one sample
        };
        w.Line($"float[] buffer = global::System.Buffers.ArrayPool<float>.Shared.Rent(Math.Min(x.Length, Math.Max(Slab, {largest})));");
        w.Open("try");
        EmitHalfSlabs(w, spec);
        w.Close();
        w.Line("finally");
        w.Open("");
        w.Line("global::System.Buffers.ArrayPool<float>.Shared.Return(buffer);");
        if (staged.Count > 0) w.Line("global::System.Buffers.ArrayPool<float>.Shared.Return(parameters);");
        w.Close();
        w.Close();
    }

    private static string HalfUnits(KernelSpec spec) => spec.Kind switch
    {
        NormKind.GroupNorm => "whole samples",
        NormKind.InstanceNorm or NormKind.BatchNorm when !spec.Training => "whole samples, or whole channels of a sample larger than a slab",
        NormKind.BatchNorm => "whole channels over all samples",
        _ => "column ranges, all samples",
    };

    /// <summary>The slab loop of a Half kernel: widen a slab into buffer, run the float kernel on it, narrow it into y.</summary>
    private static void EmitHalfSlabs(SourceWriter w, KernelSpec spec)
    {
        if (spec.Kind == NormKind.BatchNorm && spec.Training)
            EmitHalfChannelSlabs(w, spec);
        else
            EmitHalfSampleSlabs(w, spec);
    }

    /// <summary>
    /// The slab loop of a Half BatchNorm in training: whole channels over all samples, gathered into an
    /// (N, count, spatial) float tensor for Train, then the running statistics narrowed back.
    /// </summary>
    private static void EmitHalfChannelSlabs(SourceWriter w, KernelSpec spec)
    {
        // Channels c0 … c0 + count − 1 of every sample, gathered into an (N, count, spatial) tensor.
        string args = string.Join(", ", spec.Parameters.Where(p => p.Role != ParamRole.BatchesTracked).Select(p => p.Role switch
        {
            ParamRole.Input or ParamRole.Output => "data",
            _ => (p.Role is ParamRole.Mean or ParamRole.Rstd ? Canonical(p.Role) : Canonical(p.Role) + "Single") + ".Slice(c0, count)",
        }));
        w.Block("""
            // Units: channels, each over all samples (its statistics need them all); a slab holds as many as fit.
            int sampleLength = channels * spatial;
            int perSlab = Math.Max(1, Slab / (batch * spatial));
            for (int c0 = 0; c0 < channels; c0 += perSlab)
            {
                int count = Math.Min(perSlab, channels - c0);
                Span<float> data = MemoryExtensions.AsSpan(buffer, 0, batch * count * spatial);
                for (int n = 0; n < batch; n++)
                    TensorPrimitives.ConvertToSingle(x.Slice(n * sampleLength + c0 * spatial, count * spatial), data.Slice(n * count * spatial, count * spatial));
            """);
        w.Line($"    Train({args}, batch, count, spatial, momentum);");
        w.Block("""
                for (int n = 0; n < batch; n++)
                    TensorPrimitives.ConvertToHalf(data.Slice(n * count * spatial, count * spatial), y.Slice(n * sampleLength + c0 * spatial, count * spatial));
            }
            TensorPrimitives.ConvertToHalf(runningMeanSingle, runningMean);
            TensorPrimitives.ConvertToHalf(runningVarSingle, runningVar);
            """);
    }

    /// <summary>
    /// The slab loop of a Half GroupNorm, InstanceNorm or BatchNorm in evaluation: whole samples; InstanceNorm and
    /// BatchNorm eval split a sample larger than a slab into whole channels.
    /// </summary>
    private static void EmitHalfSampleSlabs(SourceWriter w, KernelSpec spec)
    {
        // GroupNorm, InstanceNorm, BatchNorm eval: whole samples; InstanceNorm and BatchNorm eval split a sample larger
        // than a slab into whole channels.
        bool byChannel = spec.Kind != NormKind.GroupNorm;
        string perSample = spec.Kind == NormKind.GroupNorm ? "Groups" : "channels";
        string Args(bool channelSlab) => string.Join(", ", spec.Parameters.Select(p => p.Role switch
        {
            ParamRole.Input or ParamRole.Output => "data",
            ParamRole.Mean or ParamRole.Rstd => channelSlab ? $"{Canonical(p.Role)}.Slice(n * channels + c0, count)" : $"{Canonical(p.Role)}.Slice(n0 * {perSample}, count * {perSample})",
            _ => Canonical(p.Role) + "Single" + (channelSlab ? ".Slice(c0, count)" : ""),
        }));
        w.Line("int sampleLength = channels * spatial;");
        if (byChannel) w.Open("if (sampleLength <= Slab)");
        w.Block($$"""
            // Units: whole samples, as many as fit in a slab.
            int perSlab = Math.Max(1, Slab / sampleLength);
            for (int n0 = 0; n0 < batch; n0 += perSlab)
            {
                int count = Math.Min(perSlab, batch - n0);
                Span<float> data = MemoryExtensions.AsSpan(buffer, 0, count * sampleLength);
                TensorPrimitives.ConvertToSingle(x.Slice(n0 * sampleLength, count * sampleLength), data);
                Run({{Args(false)}}, count, channels, spatial);
                TensorPrimitives.ConvertToHalf(data, y.Slice(n0 * sampleLength, count * sampleLength));
            }
            """);
        if (byChannel)
        {
            w.Close();
            w.Line("else");
            w.Open("");
            w.Block($$"""
                // Units: whole channels of one sample (a sample larger than a slab), as many as fit.
                int perSlab = Math.Max(1, Slab / spatial);
                for (int n = 0; n < batch; n++)
                    for (int c0 = 0; c0 < channels; c0 += perSlab)
                    {
                        int count = Math.Min(perSlab, channels - c0);
                        Span<float> data = MemoryExtensions.AsSpan(buffer, 0, count * spatial);
                        TensorPrimitives.ConvertToSingle(x.Slice(n * sampleLength + c0 * spatial, count * spatial), data);
                        Run({{Args(true)}}, 1, count, spatial);
                        TensorPrimitives.ConvertToHalf(data, y.Slice(n * sampleLength + c0 * spatial, count * spatial));
                    }
                """);
            w.Close();
        }
    }

    /// <summary>The pool work item of a threaded tensor kernel: carries channels and spatial, runs <paramref name="call"/>.</summary>
    private static void EmitBlockStruct(SourceWriter w, string summary, string call) =>
        EmitBlockStruct(w, summary, call, ("int", "channels"), ("int", "spatial"));

    /// <summary>The pool work item of a threaded tensor kernel: carries <paramref name="fields"/>, runs <paramref name="call"/>.</summary>
    private static void EmitBlockStruct(SourceWriter w, string summary, string call, params (string Type, string Name)[] fields)
    {
        w.Line($"/// <summary>{summary}</summary>");
        w.Open("internal readonly struct Block : global::NormGen.IRowKernel");
        foreach (var group in fields.GroupBy(f => f.Type))
            w.Line($"private readonly {group.Key} {string.Join(", ", group.Select(f => "_" + f.Name))};");
        w.Line();
        w.Line($"public Block({string.Join(", ", fields.Select(f => f.Type + " " + f.Name))})");
        w.Line("{");
        foreach (var f in fields) w.Line($"    _{f.Name} = {f.Name};");
        w.Line("}");
        w.Line();
        w.Line("public void Execute(in global::NormGen.PinnedBuffers buffers, int firstRow, int rowCount)");
        w.Line($"    => {call};");
        w.Close();
    }

    /// <summary>
    /// Run, which normalizes an already checked, non-empty tensor (BatchNorm, GroupNorm, InstanceNorm), and the methods it
    /// calls: one driver per kind.
    /// </summary>
    private static void EmitRun(SourceWriter w, KernelSpec spec)
    {
        var t = new Template(spec);
        string c = ComputeName(spec);
        string beta = spec.Beta is not null ? "beta[c]" : t.Zero;
        string a = spec.Gamma is not null ? "rstd * gamma[c]" : "rstd";
        w.Line("/// <summary>Normalizes x into y (in place allowed). Arguments are already checked and x is not empty.</summary>");
        w.Open($"internal static void Run({RunParameters(spec, c)})");
        switch (spec.Kind)
        {
            case NormKind.BatchNorm when !spec.Training:
                EmitBatchNormEvalRun(w, spec, t, c, a);
                break;
            case NormKind.BatchNorm:
                EmitBatchNormTrainingRun(w, spec, t, c, a, beta);
                break;
            case NormKind.GroupNorm or NormKind.InstanceNorm:
                EmitGroupBlocksRun(w, spec, t, c, a, beta);
                break;
        }
    }

    /// <summary>
    /// BatchNorm in evaluation: the end of Run, which folds the running statistics into one scale and shift per channel
    /// and spreads the units over the pool, then the pool's Block and Units (y = x·scale + shift).
    /// </summary>
    private static void EmitBatchNormEvalRun(SourceWriter w, KernelSpec spec, Template t, string c, string a)
    {
        w.Block(t.Fill($$"""
            // Fold the running statistics into one scale and shift per channel, so each element costs one multiply-add.
            {T}[] folded = global::System.Buffers.ArrayPool<{T}>.Shared.Rent(2 * channels);
            try
            {
                Span<{T}> scale = MemoryExtensions.AsSpan(folded, 0, channels), shift = MemoryExtensions.AsSpan(folded, channels, channels);
                for (int c = 0; c < channels; c++)
                {
                    {T} rstd = {ONE} / {MATH}.Sqrt(runningVar[c] + Epsilon);
                    {T} s = {{a}};
                    scale[c] = s;
                    shift[c] = {{(spec.Beta is not null ? "beta[c] - runningMean[c] * s" : "-runningMean[c] * s")}};
                }
                // Units of work: samples for (N, C), (sample, channel) blocks otherwise; large tensors spread
                // them over the pool (each unit is computed the same way whichever thread runs it).
                int units = spatial == 1 ? batch : batch * channels;
                int threads = global::NormGen.RowScheduler.DegreeOfParallelism(units, spatial == 1 ? channels : spatial);
                if (threads == 1)
                    Units(0, units, x, scale, shift, y, channels, spatial);
                else
                    global::NormGen.RowScheduler.Run(threads, units, new Block(channels, spatial), MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes((ReadOnlySpan<{T}>)scale), MemoryMarshal.AsBytes((ReadOnlySpan<{T}>)shift), MemoryMarshal.AsBytes(y));
            }
            finally
            {
                global::System.Buffers.ArrayPool<{T}>.Shared.Return(folded);
            }
            """));
        w.Close();
        w.Line();
        EmitBlockStruct(w, "A range of units (samples or (sample, channel) blocks) for one pool thread; the spans arrive pinned.",
            $"Units(firstRow, rowCount, buffers.Get<{c}>(0), buffers.Get<{c}>(1), buffers.Get<{c}>(2), buffers.Get<{c}>(3), _channels, _spatial)");
        w.Line();
        EmitScaleShiftUnits(w, t, c);
    }

    /// <summary>BatchNorm in evaluation: Units, which computes y = x·scale[c] + shift[c] over a range of units.</summary>
    private static void EmitScaleShiftUnits(SourceWriter w, Template t, string c)
    {
        w.Line("/// <summary>y = x·scale[c] + shift[c] over units firstUnit … firstUnit + unitCount − 1.</summary>");
        w.Open($"private static void Units(int firstUnit, int unitCount, ReadOnlySpan<{c}> x, ReadOnlySpan<{c}> scale, ReadOnlySpan<{c}> shift, Span<{c}> y, int channels, int spatial)");
        w.Block(t.Fill("""
            ref {T} x0 = ref MemoryMarshal.GetReference(x);
            ref {T} y0 = ref MemoryMarshal.GetReference(y);
            if (spatial == 1)
            {
                // (N, C): a sample is one contiguous row of channels; vectorize across them.
                for (int n = firstUnit; n < firstUnit + unitCount; n++)
                {
                    nint row = (nint)n * channels;
                    global::NormGen.TensorBlocks.ScaleShiftChannels(ref Unsafe.Add(ref x0, row), ref Unsafe.Add(ref y0, row), (nuint)channels, ref MemoryMarshal.GetReference(scale), ref MemoryMarshal.GetReference(shift));
                }
            }
            else
            {
                // (N, C, *): one contiguous block of spatial elements per (n, c).
                for (int unit = firstUnit; unit < firstUnit + unitCount; unit++)
                {
                    nint offset = (nint)unit * spatial;
                    global::NormGen.TensorBlocks.ScaleShift(ref Unsafe.Add(ref x0, offset), ref Unsafe.Add(ref y0, offset), (nuint)spatial, scale[unit % channels], shift[unit % channels]);
                }
            }
            """));
        w.Close();
    }

    /// <summary>
    /// BatchNorm in training: the end of Run, which picks the momentum and calls Train, then Train, Spread, the pool's Block,
    /// Channels, SampleSplit and SmallChannels, which normalize each channel with its batch statistics and update the
    /// running ones.
    /// </summary>
    private static void EmitBatchNormTrainingRun(SourceWriter w, KernelSpec spec, Template t, string c, string a, string beta)
    {
        if (spec.CumulativeAverage)
        {
            w.Line("// PyTorch's momentum=None: count this batch, then m = 1 / batches seen, a cumulative average.");
            w.Line("long tracked = ++batchesTracked[0];");
            w.Line($"{c} momentum = ({c})(1d / tracked);");
        }
        else
        {
            w.Line($"const {c} momentum = Momentum;");
        }
        // Channels are independent: large tensors spread them (or, for (N, C), ranges of them) over the pool.
        var spans = spec.Parameters.Where(p => p.Role is ParamRole.Input or ParamRole.Gamma or ParamRole.Beta or ParamRole.RunningMean or ParamRole.RunningVar or ParamRole.Output or ParamRole.Mean or ParamRole.Rstd).ToList();
        string spanArgs = string.Join(", ", spans.Select(p => Canonical(p.Role)));
        string spanParams = string.Join(", ", spans.Select(p => $"{(p.Role is ParamRole.Input or ParamRole.Gamma or ParamRole.Beta ? "ReadOnlySpan" : "Span")}<{c}> {Canonical(p.Role)}"));
        w.Line($"Train({spanArgs}, batch, channels, spatial, momentum);");
        w.Close();
        w.Line();
        EmitBatchNormTrain(w, t, c, spans, spanArgs, spanParams);
        w.Line();
        EmitBatchNormChannels(w, spec, t, c, spanArgs, spanParams, a, beta);
        w.Line();
        EmitSampleSplit(w, t, spanParams, c, BatchNormChannelEnd(spec, t, a, beta, split: true));
        w.Line();
        EmitBatchNormSmallChannels(w, spec, t, c, spanParams, a, beta);
    }

    /// <summary>
    /// BatchNorm in training: Train, which runs Channels on this thread or Spread on the pool (by channel, channel range or
    /// sample, the same bits), Spread, and the pool's Block.
    /// </summary>
    private static void EmitBatchNormTrain(SourceWriter w, Template t, string c, List<ParameterSpec> spans, string spanArgs, string trainParams)
    {
        w.Line("/// <summary>Normalizes x into y with batch statistics and updates the running ones with the given momentum.</summary>");
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)] // one call less: a small tensor spends a visible share of its time in calls");
        w.Open($"internal static void Train({trainParams}, int batch, int channels, int spatial, {c} momentum)");
        w.Block(t.Fill($$"""
            // Units of work: single channels, or for (N, C) fixed ranges of channels (columns of the N × C panel).
            // Each unit is computed by the same code whichever thread runs it, and no statistic is split across
            // units, so the results do not depend on the thread count.
            int units = spatial == 1 ? global::NormGen.TensorBlocks.ColumnRanges(channels) : channels;
            int threads = global::NormGen.RowScheduler.DegreeOfParallelism(units, x.Length / units);
            // Fewer channels than threads: each channel is split by sample too (SampleSplit), same bits.
            int split = spatial > 1 && batch > 1 ? global::NormGen.RowScheduler.DegreeOfParallelism(channels * batch, spatial) : 1;
            if (threads == 1 && split == 1)
            {
                if (spatial == 1) units = 1; // one thread: the whole panel, row by row
                Channels(0, units, {{spanArgs}}, batch, channels, spatial, units, momentum);
            }
            else
            {
                Spread(threads, split, units, {{spanArgs}}, batch, channels, spatial, momentum);
            }
            """));
        w.Close();
        w.Line();
        w.Line("/// <summary>Train over several threads: by sample within each channel when that gives more threads than the channels, else by channel.</summary>");
        w.Line("[MethodImpl(MethodImplOptions.NoInlining)] // out of Train's line: a small tensor's call does not carry the pool's arguments");
        w.Open($"private static void Spread(int threads, int split, int units, {trainParams}, int batch, int channels, int spatial, {c} momentum)");
        w.Block(t.Fill($$"""
            if (split > threads)
                SampleSplit(split, {{spanArgs}}, batch, channels, spatial, momentum);
            else
                global::NormGen.RowScheduler.Run(threads, units, new Block(batch, channels, spatial, units, momentum), {{string.Join(", ", spans.Select(p => $"MemoryMarshal.AsBytes({Canonical(p.Role)})"))}});
            """));
        w.Close();
        w.Line();
        EmitBlockStruct(w, "A range of units (channels, or channel ranges of an (N, C) panel) for one pool thread; the spans arrive pinned.",
            $"Channels(firstRow, rowCount, {string.Join(", ", spans.Select((p, i) => $"buffers.Get<{c}>({Lit(i)})"))}, _batch, _channels, _spatial, _ranges, _momentum)",
            ("int", "batch"), ("int", "channels"), ("int", "spatial"), ("int", "ranges"), (c, "momentum"));
    }

    /// <summary>
    /// BatchNorm in training: Channels, which normalizes a range of channels (for (N, C), panels of channel ranges; for
    /// batch 1 and small channels, SmallChannels) in three passes and updates their running statistics.
    /// </summary>
    private static void EmitBatchNormChannels(SourceWriter w, KernelSpec spec, Template t, string c, string channelArgs, string spanParams, string a, string beta)
    {
        w.Line("/// <summary>Normalizes the units firstUnit … firstUnit + unitCount − 1 (channels; for (N, C), ranges of channels) and updates their running statistics.</summary>");
        w.Open($"private static void Channels(int firstUnit, int unitCount, {spanParams}, int batch, int channels, int spatial, int ranges, {c} momentum)");
        w.Block(t.Fill($$"""
            if (spatial == 1)
            {
                for (int unit = firstUnit; unit < firstUnit + unitCount; unit++)
                {
                    global::NormGen.TensorBlocks.ColumnRange(channels, ranges, unit, out int from, out int width);
                    Panel(x, {{(spec.Gamma is not null ? "gamma, " : "")}}{{(spec.Beta is not null ? "beta, " : "")}}runningMean, runningVar, y, {{(spec.SaveStatistics ? "saveMean, saveRstd, " : "")}}batch, channels, from, width, momentum);
                }
                return;
            }
            """));
        w.Block(t.Fill($$"""
            // Batch 1 with channels under 64 elements: runs of 16 channels (SmallChannels), as GroupBlocks does.
            if (batch == 1 && spatial < 64)
            {
                SmallChannels(firstUnit, unitCount, {{channelArgs}}, channels, spatial, momentum);
                return;
            }
            ref {T} x0 = ref MemoryMarshal.GetReference(x);
            ref {T} y0 = ref MemoryMarshal.GetReference(y);
            nuint length = (nuint)spatial;
            nint sampleStride = (nint)channels * spatial;
            {T} count = ({T})((long)batch * spatial);
            """));
        w.Open("for (int c = firstUnit; c < firstUnit + unitCount; c++)");
        w.Block(t.Fill("""
            // Channel c is N blocks of spatial contiguous elements, one per sample, sampleStride apart.
            ref {T} xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
            ref {T} yc = ref Unsafe.Add(ref y0, (nint)c * spatial);

            // Pass 1: the mean as shift + offset, shift the channel's first element: x − shift is exact near the
            // mean, so a large mean costs no precision and a constant channel has offset 0 exactly.
            {T} shift = xc;
            {T} sum = {ZERO};
            for (int n = 0; n < batch; n++)
                sum += global::NormGen.TensorBlocks.SumShifted(ref Unsafe.Add(ref xc, n * sampleStride), length, shift);
            {T} offset = sum / count;

            // Pass 2: corrected two-pass variance, σ² = (Σd² − (Σd)²/count) / count (biased, to normalize).
            {T} sumDev = {ZERO}, sumSq = {ZERO};
            for (int n = 0; n < batch; n++)
            {
                global::NormGen.TensorBlocks.SumDeviations(ref Unsafe.Add(ref xc, n * sampleStride), length, shift, offset, out {T} dev, out {T} sq);
                sumDev += dev;
                sumSq += sq;
            }
            """));
        w.Block(BatchNormChannelEnd(spec, t, a, beta, split: false));
        w.Close();
        w.Close();
    }

    /// <summary>
    /// The end of a BatchNorm training channel, from its moments: variance, the huge-value fallback, pass 3 (or, with
    /// <paramref name="split"/>, its coefficients for BatchApply) and the running statistics; one text for every loop.
    /// </summary>
    private static string BatchNormChannelEnd(KernelSpec spec, Template t, string a, string beta, bool split) => t.Fill($$"""
        {T} variance = Math.Max((sumSq - sumDev * sumDev / count) / count, {ZERO}); // NaN stays NaN
        if (!{T}.IsFinite(variance) && global::NormGen.TensorBlocks.HugeStatistics(ref xc, batch, spatial, sampleStride, out double hs, out double hm, out double hv))
        {
            // Finite values whose squares overflow {T}: this channel in double on x·2⁻ᵏ.
            double hr = 1d / Math.Sqrt(hv + (double)Epsilon * hs * hs);{{(spec.SaveStatistics ? "\n    saveMean[c] = ({T})(hm / hs);\n    saveRstd[c] = ({T})(hr * hs);" : "")}}
            for (int n = 0; n < batch; n++)
                global::NormGen.TensorBlocks.HugeApply(ref Unsafe.Add(ref xc, n * sampleStride), ref Unsafe.Add(ref yc, n * sampleStride), spatial, hs, hm, hr{{(spec.Gamma is not null ? " * gamma[c]" : "")}}, {{(spec.Beta is not null ? "beta[c]" : "0d")}});
            runningMean[c] = ({T})((1d - momentum) * runningMean[c] + momentum * (hm / hs));
            runningVar[c] = ({T})((1d - momentum) * runningVar[c] + momentum * (hv / hs / hs * (double)count / ((double)count - 1d)));{{(split ? "\n    coefficients[5 * c + 4] = {ZERO}; // written: BatchApply leaves it alone" : "")}}
            continue;
        }
        offset += sumDev / count;
        {T} rstd = {ONE} / {MATH}.Sqrt(variance + Epsilon);{{(spec.SaveStatistics ? "\nsaveMean[c] = shift + offset; // saved for the backward pass\nsaveRstd[c] = rstd;" : "")}}

        // Pass 3: normalize{{(spec.Affine != AffineMode.None ? " and apply γ, β" : "")}}{{(split ? ", on the pool after the loop (BatchApply)" : "")}}.
        {T} a = {{a}}, b = {{beta}};
        {{(split ? "coefficients[5 * c] = shift;\ncoefficients[5 * c + 1] = offset;\ncoefficients[5 * c + 2] = a;\ncoefficients[5 * c + 3] = b;\ncoefficients[5 * c + 4] = {ONE};" : "for (int n = 0; n < batch; n++)\n    global::NormGen.TensorBlocks.Apply(ref Unsafe.Add(ref xc, n * sampleStride), ref Unsafe.Add(ref yc, n * sampleStride), length, shift, offset, a, b);")}}

        // Running statistics (PyTorch): the mean and the unbiased variance, r ← (1 − m)·r + m·stat.
        runningMean[c] = ({ONE} - momentum) * runningMean[c] + momentum * (shift + offset);
        runningVar[c] = ({ONE} - momentum) * runningVar[c] + momentum * (variance * count / (count - {ONE}));
        """);

    /// <summary>
    /// BatchNorm in training: SmallChannels, for batch 1 and channels under 64 elements, in runs of 16 channels: the
    /// statistics of the whole run first (TensorBlocks.SmallBlocks or Moments), then its outputs.
    /// </summary>
    private static void EmitBatchNormSmallChannels(SourceWriter w, KernelSpec spec, Template t, string c, string spanParams, string a, string beta)
    {
        w.Line("/// <summary>Channels for batch 1 and channels of fewer than 64 elements, in runs of 16 channels.</summary>");
        w.Open($"private static void SmallChannels(int firstUnit, int unitCount, {spanParams}, int channels, int spatial, {c} momentum)");
        w.Block(t.Fill("""
            const int batch = 1;
            ref {T} x0 = ref MemoryMarshal.GetReference(x);
            ref {T} y0 = ref MemoryMarshal.GetReference(y);
            nuint length = (nuint)spatial;
            nint sampleStride = (nint)channels * spatial;
            {T} count = ({T})((long)batch * spatial);

            // Runs of 16 channels: first the statistics of the whole run (Moments: both passes, a small block in
            // registers), then its outputs. The channels are independent, so the processor overlaps their latency
            // chains (horizontal sums, divisions, square root); each channel's arithmetic is that of Channels' loop
            // (0 + Σ is Σ: a sum holding the shifted first element, +0, is never −0), so are its bits.
            Span<{T}> moments = stackalloc {T}[4 * 16];
            """));
        w.Open("for (int first = firstUnit, endUnit = firstUnit + unitCount, end; first < endUnit; first = end)");
        w.Block(t.Fill(SmallBlocksCall(spec, "length", "first", "endUnit", "runningMean, runningVar, momentum")));
        w.Block(t.Fill("""
            for (int c = first; c < end; c++)
            {
                ref {T} xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
                int i = 4 * (c - first);
                moments[i] = xc;
                global::NormGen.TensorBlocks.Moments(ref xc, length, xc, count, out moments[i + 1], out moments[i + 2], out moments[i + 3]);
            }
            """));
        w.Open("for (int c = first; c < end; c++)");
        w.Block(t.Fill("""
            ref {T} xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
            ref {T} yc = ref Unsafe.Add(ref y0, (nint)c * spatial);
            int i = 4 * (c - first);
            {T} shift = xc, offset = moments[i + 1], sumDev = moments[i + 2], sumSq = moments[i + 3];
            """));
        w.Block(BatchNormChannelEnd(spec, t, a, beta, split: false));
        w.Close();
        w.Close();
        w.Close();
    }

    /// <summary>
    /// GroupNorm and InstanceNorm: the end of Run, which spreads the (sample, group) blocks over the pool, then the pool's
    /// Block, GroupBlocks (three passes per block) and SmallBlocks (blocks under 64 elements, in runs of 16).
    /// </summary>
    private static void EmitGroupBlocksRun(SourceWriter w, KernelSpec spec, Template t, string c, string a, string beta)
    {
        // Groups are independent contiguous blocks: large tensors spread them over the pool (same code per
        // group whichever thread runs it, so results do not depend on the thread count).
        string groupsExpr = spec.Kind == NormKind.GroupNorm ? "Groups" : "channels";
        var spans = spec.Parameters.Where(p => p.Role is ParamRole.Input or ParamRole.Gamma or ParamRole.Beta or ParamRole.Output or ParamRole.Mean or ParamRole.Rstd).ToList();
        string spanArgs = string.Join(", ", spans.Select(p => Canonical(p.Role)));
        w.Line($"int blocks = batch * {groupsExpr};");
        w.Line($"int threads = global::NormGen.RowScheduler.DegreeOfParallelism(blocks, channels / {groupsExpr} * spatial);");
        w.Line("if (threads == 1)");
        w.Line($"    GroupBlocks(0, blocks, {spanArgs}, channels, spatial);");
        w.Line("else");
        w.Line($"    global::NormGen.RowScheduler.Run(threads, blocks, new Block(channels, spatial), {string.Join(", ", spans.Select(p => $"MemoryMarshal.AsBytes({Canonical(p.Role)})"))});");
        w.Close();
        w.Line();
        EmitBlockStruct(w, "A range of (sample, group) blocks for one pool thread; the spans arrive pinned.",
            $"GroupBlocks(firstRow, rowCount, {string.Join(", ", spans.Select((p, i) => $"buffers.Get<{c}>({Lit(i)})"))}, _channels, _spatial)");
        w.Line();
        string spanParams = string.Join(", ", spans.Select(p => $"{(p.Role is ParamRole.Output or ParamRole.Mean or ParamRole.Rstd ? "Span" : "ReadOnlySpan")}<{c}> {Canonical(p.Role)}"));
        string groupsLine = spec.Kind == NormKind.GroupNorm
            ? "const int groups = Groups;"
            : "int groups = channels; // instance norm: one group per channel";
        string finish = GroupBlockEnd(spec, t, a, beta);
        EmitGroupBlocks(w, spec, t, spanArgs, spanParams, groupsLine, finish);
        w.Line();
        EmitSmallGroupBlocks(w, spec, t, spanParams, groupsLine, finish);
    }

    /// <summary>
    /// The end of a GroupNorm/InstanceNorm block, from its moments: variance, the huge-value fallback and pass 3, which
    /// normalizes each channel of the group with its own γ and β; one text for both loops.
    /// </summary>
    private static string GroupBlockEnd(KernelSpec spec, Template t, string a, string beta) => t.Fill($$"""
        {T} variance = Math.Max((sumSq - sumDev * sumDev / count) / count, {ZERO}); // NaN stays NaN
        if (!{T}.IsFinite(variance) && global::NormGen.TensorBlocks.HugeStatistics(ref xg, 1, (nint)groupLength, 0, out double hs, out double hm, out double hv))
        {
            // Finite values whose squares overflow {T}: this block in double on x·2⁻ᵏ.
            double hr = 1d / Math.Sqrt(hv + (double)Epsilon * hs * hs);{{(spec.SaveStatistics ? "\n    saveMean[block] = ({T})(hm / hs);\n    saveRstd[block] = ({T})(hr * hs);" : "")}}
            for (int j = 0; j < perGroup; j++)
            {
                int c = g * perGroup + j;
                nint o = start + (nint)j * spatial;
                global::NormGen.TensorBlocks.HugeApply(ref Unsafe.Add(ref x0, o), ref Unsafe.Add(ref y0, o), spatial, hs, hm, hr{{(spec.Gamma is not null ? " * gamma[c]" : "")}}, {{(spec.Beta is not null ? "beta[c]" : "0d")}});
            }
            continue;
        }
        offset += sumDev / count;
        {T} rstd = {ONE} / {MATH}.Sqrt(variance + Epsilon);{{(spec.SaveStatistics ? "\nsaveMean[block] = shift + offset; // saved for the backward pass\nsaveRstd[block] = rstd;" : "")}}

        // Pass 3: normalize each channel of the group with its own γ and β.
        for (int j = 0; j < perGroup; j++)
        {
            int c = g * perGroup + j;
            nint o = start + (nint)j * spatial;
            global::NormGen.TensorBlocks.Apply(ref Unsafe.Add(ref x0, o), ref Unsafe.Add(ref y0, o), (nuint)spatial, shift, offset, {{a}}, {{beta}});
        }
        """);

    /// <summary>
    /// GroupNorm and InstanceNorm: GroupBlocks, which normalizes a range of (sample, group) blocks in three passes (blocks
    /// under 64 elements go to SmallBlocks, single-channel blocks up to 4 KiB four at a time to TensorBlocks.SmallBlocks).
    /// </summary>
    private static void EmitGroupBlocks(SourceWriter w, KernelSpec spec, Template t, string spanArgs, string spanParams, string groupsLine, string finish)
    {
        w.Line("/// <summary>Normalizes the (sample, group) blocks firstBlock … firstBlock + blockCount − 1.</summary>");
        w.Open($"private static void GroupBlocks(int firstBlock, int blockCount, {spanParams}, int channels, int spatial)");
        w.Line(groupsLine);
        w.Block(t.Fill($$"""
            int perGroup = channels / groups;
            nuint groupLength = (nuint)perGroup * (nuint)spatial;
            // Blocks under 64 elements go in runs (SmallBlocks); from 64 on, Moments is SumShifted + SumDeviations anyway and
            // the run's buffer and second loop cost more than the overlap gains (GroupNorm 3×16×7×7, 98 elements: 1.14×).
            if (groupLength < 64)
            {
                SmallBlocks(firstBlock, blockCount, {{spanArgs}}, channels, spatial);
                return;
            }
            {T} count = ({T})groupLength;
            ref {T} x0 = ref MemoryMarshal.GetReference(x);
            ref {T} y0 = ref MemoryMarshal.GetReference(y);
            """));
        w.Open("for (int block = firstBlock; block < firstBlock + blockCount; block++)");
        w.Line("// One channel per group, blocks up to 4 KiB: four at a time (SmallBlocks), up to one whose variance is not");
        w.Line("// finite (huge values, NaN), which the rest of this loop takes.");
        w.Line(t.Fill($"if (perGroup == 1 && global::NormGen.TensorBlocks.FitsSmallBlocks<{{T}}>(groupLength) && (block = {SmallBlocksInvocation(spec, "groupLength", "block", "firstBlock + blockCount", $"default, default, {t.Zero}")}) == firstBlock + blockCount)"));
        w.Line("    break;");
        w.Block(t.Fill("""
            int n = block / groups, g = block % groups;

            // The group is one contiguous block: perGroup channels × spatial positions of sample n.
            nint start = ((nint)n * channels + (nint)g * perGroup) * spatial;
            ref {T} xg = ref Unsafe.Add(ref x0, start);

            // Pass 1: the mean as shift + offset, shift the group's first element (exact for a constant group).
            {T} shift = xg;
            {T} offset = global::NormGen.TensorBlocks.SumShifted(ref xg, groupLength, shift) / count;

            // Pass 2: corrected two-pass variance (biased).
            global::NormGen.TensorBlocks.SumDeviations(ref xg, groupLength, shift, offset, out {T} sumDev, out {T} sumSq);
            """));
        w.Block(finish);
        w.Close();
        w.Close();
    }

    /// <summary>
    /// GroupNorm and InstanceNorm: SmallBlocks, for blocks under 64 elements, in runs of 16 blocks: the statistics of the
    /// whole run first (Moments, in registers), then its outputs.
    /// </summary>
    private static void EmitSmallGroupBlocks(SourceWriter w, KernelSpec spec, Template t, string spanParams, string groupsLine, string finish)
    {
        w.Line("/// <summary>GroupBlocks for blocks of fewer than 64 elements, in runs of 16 blocks.</summary>");
        w.Open($"private static void SmallBlocks(int firstBlock, int blockCount, {spanParams}, int channels, int spatial)");
        w.Line(groupsLine);
        w.Block(t.Fill("""
            int perGroup = channels / groups;
            nuint groupLength = (nuint)perGroup * (nuint)spatial;
            {T} count = ({T})groupLength;
            ref {T} x0 = ref MemoryMarshal.GetReference(x);
            ref {T} y0 = ref MemoryMarshal.GetReference(y);
            // Small blocks go in runs of 16: first the statistics of the whole run, then its outputs. The blocks are
            // independent, so the processor overlaps their latency chains (horizontal sums, divisions, square root: most
            // of a small block's time), and the run stays in L1 between the two loops. Each block's arithmetic is
            // unchanged, and so are its bits.
            Span<{T}> moments = stackalloc {T}[4 * 16];
            """));
        w.Open("for (int first = firstBlock, endBlock = firstBlock + blockCount, end; first < endBlock; first = end)");
        w.Block(t.Fill(SmallBlocksCall(spec, "groupLength", "first", "endBlock", $"default, default, {t.Zero}")));
        w.Block(t.Fill("""
            for (int block = first; block < end; block++)
            {
                // Passes 1 and 2: the mean as shift + offset, shift the group's first element (exact for a constant
                // group), then the corrected two-pass variance (biased); a small block stays in registers for both.
                ref {T} first0 = ref Unsafe.Add(ref x0, ((nint)(block / groups) * channels + (nint)(block % groups) * perGroup) * spatial);
                int i = 4 * (block - first);
                moments[i] = first0;
                global::NormGen.TensorBlocks.Moments(ref first0, groupLength, moments[i], count, out moments[i + 1], out moments[i + 2], out moments[i + 3]);
            }
            """));
        w.Open("for (int block = first; block < end; block++)");
        w.Block(t.Fill("""
            int n = block / groups, g = block % groups;

            // The group is one contiguous block: perGroup channels × spatial positions of sample n.
            nint start = ((nint)n * channels + (nint)g * perGroup) * spatial;
            ref {T} xg = ref Unsafe.Add(ref x0, start);
            int i = 4 * (block - first);
            {T} shift = moments[i], offset = moments[i + 1], sumDev = moments[i + 2], sumSq = moments[i + 3];
            """));
        w.Block(finish);
        w.Close();
        w.Close();
        w.Close();
    }

    /// <summary>The call of TensorBlocks.SmallBlocks for the blocks first … endName − 1, with the spans the declaration has.</summary>
    private static string SmallBlocksInvocation(KernelSpec spec, string length, string first, string endName, string running)
    {
        string Span(ParamRole role, string name) => spec.Parameters.Any(p => p.Role == role) ? name : "default";
        return $"global::NormGen.TensorBlocks.SmallBlocks(ref x0, ref y0, {length}, {first}, {endName}, channels, Epsilon, "
            + $"{Span(ParamRole.Gamma, "gamma")}, {Span(ParamRole.Beta, "beta")}, {Span(ParamRole.Mean, "saveMean")}, {Span(ParamRole.Rstd, "saveRstd")}, {running})";
    }

    /// <summary>
    /// The head of a run in SmallBlocks / SmallChannels: blocks that fit 512-bit registers are normalized there
    /// (TensorBlocks.SmallBlocks) up to one whose variance is not finite, which the run's loops then take alone; other
    /// lengths go in runs of 16. GroupNorm uses it only with one channel per group (γ, β constant over the block).
    /// </summary>
    private static string SmallBlocksCall(KernelSpec spec, string length, string first, string endName, string running)
    {
        string call = SmallBlocksInvocation(spec, length, first, endName, running);
        bool oneChannel = spec.Kind != NormKind.GroupNorm;
        string guard = oneChannel ? "" : "perGroup == 1 && ";
        return $$"""
            // Blocks of one to four 512-bit vectors: normalized from registers (SmallBlocks), up to one whose variance is not
            // finite (huge values, NaN), which the loops below take alone; other lengths go in runs of 16.
            {{(oneChannel ? "" : "if (perGroup == 1)\n    ")}}{{first}} = {{call}};
            if ({{first}} == {{endName}}) break;
            end = {{guard}}global::NormGen.TensorBlocks.FitsSmallBlocks<{T}>({{length}}) ? {{first}} + 1 : Math.Min({{first}} + 16, {{endName}});
            """;
    }

    /// <summary>
    /// BatchNorm training on an (N, C) tensor: channel c is column c of an N × C panel, so whole rows are accumulated
    /// into per-channel sums (vectorized across the channels) instead of walking each column with stride C.
    /// </summary>
    private static void EmitBatchNormPanel(SourceWriter w, KernelSpec spec)
    {
        var t = new Template(spec);
        w.Line();
        w.Block(BatchNormPanelPasses(spec, t));
        w.Line();
        w.Block(BatchNormPanelChannelEnds(spec, t));
        w.Line();
        w.Block(t.Fill("""
                    // Pass 3: y = ((x − shift) − offset)·a + b, row by row (a row is read before it is written: y may be x).
                    for (int n = 0; n < batch; n++)
                    {
                        TensorPrimitives.Subtract(x.Slice(n * channels + from, width), shift, d);
                        TensorPrimitives.Subtract(d, offset, d);
                        if (huge is not null)
                            for (int c = 0; c < width; c++)
                                if (huge[4 * c] != 0d)
                                    d[c] = ({T})(((double)x[n * channels + from + c] * huge[4 * c] - huge[4 * c + 1]) * huge[4 * c + 2] + huge[4 * c + 3]);
                        TensorPrimitives.MultiplyAdd(d, sumSq, sumDev, y.Slice(n * channels + from, width));
                    }
                }
                finally
                {
                    global::System.Buffers.ArrayPool<{T}>.Shared.Return(scratch);
                }
            }
            """));
    }

    /// <summary>
    /// The head of Panel (its documentation, signature and scratch spans) and its passes 1 and 2: per channel Σ(x − shift),
    /// then Σd and Σd², each vectorized across the channels of a row.
    /// </summary>
    private static string BatchNormPanelPasses(KernelSpec spec, Template t)
    {
        string g = spec.Gamma is not null ? ", ReadOnlySpan<{T}> gamma" : "";
        string b = spec.Beta is not null ? ", ReadOnlySpan<{T}> beta" : "";
        string save = spec.SaveStatistics ? ", Span<{T}> saveMean, Span<{T}> saveRstd" : "";
        string gs = spec.Gamma is not null ? "gamma = gamma.Slice(from, width);\n    " : "";
        string bs = spec.Beta is not null ? "beta = beta.Slice(from, width);\n    " : "";
        string ss = spec.SaveStatistics ? "\n    saveMean = saveMean.Slice(from, width);\n    saveRstd = saveRstd.Slice(from, width);" : "";
        return t.Fill($$"""
            /// <summary>
            /// (N, C) input: channel c is column c of an N × C panel. Whole rows are accumulated into per-channel sums with
            /// TensorPrimitives (vectorized across the channels), rather than walking each column with stride C.
            /// Same statistics as the (N, C, *) path: shift by row 0, corrected two-pass variance. Works on the columns
            /// from … from + width − 1 (a thread's range, or all of them); each column's result is the same either way.
            /// </summary>
            private static void Panel(ReadOnlySpan<{T}> x{{g}}{{b}}, Span<{T}> runningMean, Span<{T}> runningVar, Span<{T}> y{{save}}, int batch, int channels, int from, int width, {T} momentum)
            {
                {{gs}}{{bs}}runningMean = runningMean.Slice(from, width);
                runningVar = runningVar.Slice(from, width);{{ss}}
                {T}[] scratch = global::System.Buffers.ArrayPool<{T}>.Shared.Rent(5 * width);
                try
                {
                    Span<{T}> shift = MemoryExtensions.AsSpan(scratch, 0, width), offset = MemoryExtensions.AsSpan(scratch, width, width);
                    Span<{T}> sumDev = MemoryExtensions.AsSpan(scratch, 2 * width, width), sumSq = MemoryExtensions.AsSpan(scratch, 3 * width, width);
                    Span<{T}> d = MemoryExtensions.AsSpan(scratch, 4 * width, width);
                    {T} count = batch;
                    x.Slice(from, width).CopyTo(shift);
                    offset.Clear();
                    sumDev.Clear();
                    sumSq.Clear();

                    // Pass 1: Σ (x − shift) per channel.
                    for (int n = 0; n < batch; n++)
                    {
                        TensorPrimitives.Subtract(x.Slice(n * channels + from, width), shift, d);
                        TensorPrimitives.Add(offset, d, offset);
                    }
                    TensorPrimitives.Divide(offset, count, offset);

                    // Pass 2: Σd and Σd², d = (x − shift) − offset.
                    for (int n = 0; n < batch; n++)
                    {
                        TensorPrimitives.Subtract(x.Slice(n * channels + from, width), shift, d);
                        TensorPrimitives.Subtract(d, offset, d);
                        TensorPrimitives.Add(sumDev, d, sumDev);
                        TensorPrimitives.MultiplyAdd(d, d, sumSq, sumSq);
                    }
            """);
    }

    /// <summary>
    /// Panel's loop over its channels: from each channel's sums, the variance (with the huge-value fallback), the running
    /// statistics and the scale and shift that pass 3 applies.
    /// </summary>
    private static string BatchNormPanelChannelEnds(KernelSpec spec, Template t)
    {
        string a = spec.Gamma is not null ? "rstd * gamma[c]" : "rstd";
        string bias = spec.Beta is not null ? "beta[c]" : t.Zero;
        string saveWrites = spec.SaveStatistics ? "\n        saveMean[c] = shift[c] + offset[c]; // saved for the backward pass\n        saveRstd[c] = rstd;" : "";
        return t.Fill($$"""
                    // Per channel: variance, the scale (kept in sumSq) and shift (kept in sumDev) of the output, running statistics.
                    double[]? huge = null; // per channel (2⁻ᵏ, mean, a, b) of the huge-value fallback; 2⁻ᵏ = 0 elsewhere
                    for (int c = 0; c < width; c++)
                    {
                        {T} variance = Math.Max((sumSq[c] - sumDev[c] * sumDev[c] / count) / count, {ZERO}); // NaN stays NaN
                        if (!{T}.IsFinite(variance) && global::NormGen.TensorBlocks.HugeStatistics(ref Unsafe.Add(ref MemoryMarshal.GetReference(x), from + c), batch, 1, channels, out double hs, out double hm, out double hv))
                        {
                            // Finite values whose squares overflow {T}: this channel in double on x·2⁻ᵏ; pass 3 writes
                            // its outputs through d with a = 1, b = 0.
                            double hr = 1d / Math.Sqrt(hv + (double)Epsilon * hs * hs);{{saveWrites.Replace("shift[c] + offset[c]", "({T})(hm / hs)").Replace("= rstd;", "= ({T})(hr * hs);")}}
                            runningMean[c] = ({T})((1d - momentum) * runningMean[c] + momentum * (hm / hs));
                            runningVar[c] = ({T})((1d - momentum) * runningVar[c] + momentum * (hv / hs / hs * (double)count / ((double)count - 1d)));
                            huge ??= new double[4 * width];
                            huge[4 * c] = hs;
                            huge[4 * c + 1] = hm;
                            huge[4 * c + 2] = hr{{(spec.Gamma is not null ? " * gamma[c]" : "")}};
                            huge[4 * c + 3] = {{(spec.Beta is not null ? "beta[c]" : "0d")}};
                            sumSq[c] = {ONE};
                            sumDev[c] = {ZERO};
                            continue;
                        }
                        offset[c] += sumDev[c] / count;
                        {T} rstd = {ONE} / {MATH}.Sqrt(variance + Epsilon);{{saveWrites}}
                        runningMean[c] = ({ONE} - momentum) * runningMean[c] + momentum * (shift[c] + offset[c]);
                        runningVar[c] = ({ONE} - momentum) * runningVar[c] + momentum * (variance * count / (count - {ONE}));
                        sumSq[c] = {{a}};
                        sumDev[c] = {{bias}};
                    }
            """);
    }

    // ---------------------------------------------------------------- templates

    /// <summary>Fills the placeholders of a code template for one compute type and (optionally) one vector width.</summary>
    private sealed class Template
    {
        private readonly string _c;

        public Template(KernelSpec spec) => _c = ComputeName(spec);

        public string T => _c;

        public string One => _c == "double" ? "1d" : "1f";

        public string Zero => _c == "double" ? "0d" : "0f";

        public string Fill(string text, Vec? v = null)
        {
            text = text.Replace("{T}", _c)
                .Replace("{ONE}", One)
                .Replace("{ZERO}", Zero)
                .Replace("{MATH}", _c == "double" ? "Math" : "MathF");
            if (v is not null)
            {
                text = text.Replace("{VT}", $"{v.Type}<{_c}>")
                    .Replace("{V}", v.Type)
                    .Replace("{W}", Lit(v.Bits))
                    .Replace("{L}", Lit(v.Lanes))
                    .Replace("{2L}", Lit(2 * v.Lanes))
                    .Replace("{3L}", Lit(3 * v.Lanes))
                    .Replace("{4L}", Lit(4 * v.Lanes));
            }
            return text;
        }
    }

    /// <summary>
    /// BatchNorm training's SampleSplit: each channel's statistics spread over the pool by (channel, sample) block
    /// (TensorBlocks.BatchMoments), the per-channel end on the calling thread from those partials in sample order, then
    /// the normalizing pass by block (TensorBlocks.BatchApply). The partials are the values Channels adds, in its order,
    /// so the bits are those of one thread.
    /// </summary>
    private static void EmitSampleSplit(SourceWriter w, Template t, string spanParams, string c, string finish)
    {
        w.Line("/// <summary>Few channels, many samples: passes 1–3 of every channel spread over the pool by (channel, sample) block; the same bits as Channels.</summary>");
        w.Open($"private static void SampleSplit(int threads, {spanParams}, int batch, int channels, int spatial, {c} momentum)");
        w.Block(t.Fill("""
            int units = channels * batch;
            {T}[] scratch = global::System.Buffers.ArrayPool<{T}>.Shared.Rent(3 * units + 6 * channels);
            try
            {
                Span<{T}> partials = global::System.MemoryExtensions.AsSpan(scratch, 0, 3 * units + channels);
                Span<{T}> coefficients = global::System.MemoryExtensions.AsSpan(scratch, 3 * units + channels, 5 * channels);
                global::NormGen.TensorBlocks.BatchMoments(threads, x, partials, batch, channels, spatial);
                ref {T} x0 = ref MemoryMarshal.GetReference(x);
                ref {T} y0 = ref MemoryMarshal.GetReference(y);
                nint sampleStride = (nint)channels * spatial;
                {T} count = ({T})((long)batch * spatial);
                for (int c = 0; c < channels; c++)
                {
                    ref {T} xc = ref Unsafe.Add(ref x0, (nint)c * spatial);
                    ref {T} yc = ref Unsafe.Add(ref y0, (nint)c * spatial);

                    // Passes 1 and 2 from the blocks' partials (BatchMoments), added in sample order as Channels adds them.
                    {T} shift = xc;
                    {T} offset = partials[3 * units + c];
                    {T} sumDev = {ZERO}, sumSq = {ZERO};
                    for (int n = 0; n < batch; n++)
                    {
                        sumDev += partials[units + c * batch + n];
                        sumSq += partials[2 * units + c * batch + n];
                    }
            """));
        w.Indent().Indent();
        w.Block(finish);
        w.Outdent().Outdent();
        w.Block(t.Fill("""
                }
                global::NormGen.TensorBlocks.BatchApply(threads, x, y, coefficients, batch, channels, spatial);
            }
            finally
            {
                global::System.Buffers.ArrayPool<{T}>.Shared.Return(scratch);
            }
            """));
        w.Close();
    }
}
