using System.Collections.Generic;
using System.Linq;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// The ILGPU variants of the tensor kinds' backward kernels: <c>[GroupNorm(Backward = true)]</c>, <c>[InstanceNorm]</c>,
/// <c>[BatchNorm(Training = true)]</c> and <c>[ChannelLayerNorm]</c> (WithBias and BiasFree). One generic kernel set per
/// compute type in the shared device file (<c>GpuTensorBackwardKernelsFloat</c>/<c>Double</c>, drawn when
/// <see cref="GpuDeviceNeeds.TensorBackward"/> is), over the forward's layouts (<c>GpuTensorLayout</c>): each statistics
/// block is a row of the dx kernels (one warp per block up to <see cref="WarpPerRowMaxLength"/> values, one group per
/// longer block) with the two sums Σg and Σg·x̂ reduced in a fixed order; dγ/dβ per channel without atomics, by partials
/// per (sample, chunk of <see cref="SpatialBlock"/> positions, channel) into the stream's scratch buffer, then the shared
/// <c>GpuDevice.CombineKernel</c> adding each channel's partials in index order, so a call gives the same bits every run.
/// </summary>
internal static partial class GpuEmitter
{
    /// <summary>Positions per dγ/dβ partial: a constant (not a device property), so the partials and their order are fixed by the shape.</summary>
    private const int SpatialBlock = 256;

    /// <summary>The class of the shared tensor backward kernels in compute type <paramref name="c"/>.</summary>
    private static string TensorBackwardKernelsClass(string c) => c == "double" ? "GpuTensorBackwardKernelsDouble" : "GpuTensorBackwardKernelsFloat";

    private static string EmitTensorBackward(SourceWriter w, KernelSpec spec)
    {
        CpuEmitter.OpenUserType(w, spec);
        EmitTensorOverloads(w, spec);
        CpuEmitter.CloseUserType(w, spec);
        w.Line();
        if (spec.Namespace is not null) w.Open("namespace " + spec.Namespace);
        EmitTensorBackwardSpecStruct(w, spec);
        if (spec.Namespace is not null) w.Close();
        return GlobalNames.Qualify(w.ToString());
    }

    // ---------------------------------------------------------------- public overloads

    /// <summary>The shared launch of a tensor backward declaration: its views (absent ones left out), the geometry and its spec.</summary>
    private static string TensorBackwardLaunch(KernelSpec spec, string stream, string rows, string rowLength, string channels, string spatial) =>
        SharedLaunch(spec, TensorBackwardKernelsClass(CpuEmitter.ComputeName(spec)), $"{KernelElement(spec.Element)}, {GpuKernelClassName(spec)}", stream,
            new[] { ParamRole.OutputGradient, ParamRole.Input, ParamRole.InputGradient, ParamRole.Mean, ParamRole.Rstd }, new[] { $"(int){rows}", rowLength, channels, spatial },
            new[] { ParamRole.Gamma, ParamRole.GammaGradient, ParamRole.BetaGradient }, RoleNames.Of);

    /// <summary>A tensor backward overload's documentation (see <see cref="EmitOverloadDocumentation"/>).</summary>
    private static void EmitTensorBackwardDocumentation(SourceWriter w, KernelSpec spec, List<string> sizes, string? defaultStreamOf)
    {
        string Ref(ParamRole role) => $"<paramref name=\"{spec.Parameter(role)!.Name}\"/>";
        string summary = $"Backward of the {Kinds.Get(spec.Kind).InWords(spec)} on an ILGPU accelerator: the gradient {Ref(ParamRole.InputGradient)}{(HasParameterGradients(spec) ? " and those of the affine parameters" : "")}, given {Ref(ParamRole.OutputGradient)}";
        EmitOverloadDocumentation(w, summary, defaultStreamOf, () => EmitTensorBackwardRemarks(w, spec, sizes),
            "A size is not positive, a view's length does not fit the others, or an output overlaps an input without being the same view, or two outputs overlap. Nothing is enqueued.");
    }

    /// <summary>The tensor backward stream overload's remarks: the math, the views, the kernels, the scratch.</summary>
    private static void EmitTensorBackwardRemarks(SourceWriter w, KernelSpec spec, List<string> sizes)
    {
        string Ref(string name) => $"<paramref name=\"{name}\"/>";
        string dy = Ref(spec.Parameter(ParamRole.OutputGradient)!.Name), x = Ref(spec.Input.Name), dx = Ref(spec.Parameter(ParamRole.InputGradient)!.Name);
        string stats = $"{Ref(spec.Parameter(ParamRole.Mean)!.Name)} and {Ref(spec.Parameter(ParamRole.Rstd)!.Name)}";
        string channels = sizes.Count == 2 ? $"{Ref(sizes[0])} is C" : $"C is the length of {Ref(spec.Parameter(ParamRole.Mean)!.Name)}";
        var perChannel = spec.Parameters.Where(p => p.Role is ParamRole.Gamma or ParamRole.GammaGradient or ParamRole.BetaGradient).Select(p => Ref(p.Name)).ToList();
        string perChannelText = perChannel.Count == 0 ? "" : $"; {string.Join(", ", perChannel)} one value per channel";
        bool grads = HasParameterGradients(spec);
        string compute = spec.Element switch { ElementKind.Double => "double", ElementKind.Half => "float (Half widened on load, dx rounded once to Half)", _ => "float" };
        w.Line("/// <remarks>");
        w.Line($"/// <para>GPU variant of the tensor method of the same name, with the same math, {BackwardEmitter.BackwardMath(spec)}.</para>");
        w.Line($"/// <para>Views: {dy}, {x} and {dx} are the dense, row-major elements of an (N, C, *) tensor, {channels}, {Ref(sizes[sizes.Count - 1])} the product of the axes after C; {stats} hold one value per {Kinds.Get(spec.Kind).StatisticsBlock} ({(spec.Element == ElementKind.Double ? "double" : "float")}){perChannelText}; all belong to the stream's accelerator. {dx} may be {dy} or {x} itself (in place). An empty tensor enqueues {(grads ? "only the kernel that writes zero gradients" : "nothing")}.</para>");
        w.Line($"/// <para>dx kernel: one row of the row kernels per {TensorBlockText(spec)}: one warp per row up to {Lit(WarpPerRowMaxLength)} values, one group per longer row, a grid-stride loop over the rows; two passes (the sums of g and g·{(spec.BiasFree ? "x̃" : "x̂")}, reduced in a fixed order, then dx). Arithmetic in {compute}.</para>");
        if (grads)
        {
            w.Line($"/// <para>dγ/dβ without atomics, deterministic (the same bits for the same inputs on the same device, whatever the launch geometry): one thread per (sample, chunk of {Lit(SpatialBlock)} positions, channel) sums its positions in order into a scratch buffer, before dx is written (so dx may be dy or x); a second kernel adds each channel's partials in index order, in chunks of {Lit(CombineChunk)}, into the outputs. Scratch: N × ⌈spatial / {Lit(SpatialBlock)}⌉ × C{(spec.Parameter(ParamRole.BetaGradient) is not null ? " × 2" : "")} {(spec.Element == ElementKind.Double ? "doubles" : "floats")} in the stream's cached buffer (<see cref=\"global::NormGen.ScratchSlot\"/>), the three kernels enqueued under the slot's lock.</para>");
        }
        w.Line("/// <para>Compiled once per accelerator, on first use, and cached.</para>");
        w.Line("/// </remarks>");
    }

    // ---------------------------------------------------------------- spec struct

    /// <summary>The shared tensor backward kernels' feature flags for the declaration.</summary>
    private static List<string> TensorBackwardFlags(KernelSpec spec)
    {
        var flags = new List<string>();
        if (spec.Gamma is not null) flags.Add("Gamma");
        if (spec.BiasFree) flags.Add("BiasFree");
        if (HasParameterGradients(spec)) flags.Add("GammaGradient");
        if (spec.Parameter(ParamRole.BetaGradient) is not null) flags.Add("BetaGradient");
        return flags;
    }

    private static void EmitTensorBackwardSpecStruct(SourceWriter w, KernelSpec spec)
    {
        string c = CpuEmitter.ComputeName(spec);
        OpenSpecStruct(w, spec, $"tensor backward kernels compute for <c>{SpecOwner(spec)}.{spec.MethodName}</c> (see its remarks): a row of the dx kernels is one {TensorBlockText(spec)}.",
            $"IGpuTensorBackwardSpec<{KernelElement(spec.Element)}, {c}>");
        w.Line(LayoutProperty(spec));
        w.Line(FlagsProperty("GpuTensorBackwardFlags", TensorBackwardFlags(spec)));
        EmitLoadAndStore(w, spec, c);
        w.Close();
    }

    // ---------------------------------------------------------------- shared kernels (once per compilation)

    /// <summary>The tensor backward flags and spec interface (and the layouts when the forward kernels did not write them).</summary>
    private static void EmitTensorBackwardSpecInterface(SourceWriter w, bool layoutWritten)
    {
        if (!layoutWritten)
        {
            EmitTensorLayoutEnum(w);
            w.Line();
        }
        w.Line("/// <summary>What a tensor backward kernel computes (the kernels test the bits).</summary>");
        w.Line("[global::System.Flags]");
        w.Open("internal enum GpuTensorBackwardFlags");
        w.Line("None = 0,");
        w.Line("/// <summary>g = dy·γ[c]; otherwise g = dy.</summary>");
        w.Line("Gamma = 1,");
        w.Line("/// <summary>ChannelLayerNorm BiasFree: the sums use x̃ = x·rstd and dx has no mean(g) term.</summary>");
        w.Line("BiasFree = 2,");
        w.Line("/// <summary>Write dγ[c] = Σ dy·x̂ (BiasFree: Σ dy·x̃).</summary>");
        w.Line("GammaGradient = 4,");
        w.Line("/// <summary>Write dβ[c] = Σ dy.</summary>");
        w.Line("BetaGradient = 8,");
        w.Close();
        w.Line();
        w.Line("/// <summary>One tensor backward declaration's kernels, as constants.</summary>");
        w.Line("/// <typeparam name=\"T\">The element type of dy, x, γ and dx.</typeparam>");
        w.Line("/// <typeparam name=\"TCompute\">float (for float and Half) or double: the saved statistics, dγ, dβ and the arithmetic.</typeparam>");
        w.Open("internal interface IGpuTensorBackwardSpec<T, TCompute>");
        w.Line("GpuTensorLayout Layout { get; }");
        w.Line("GpuTensorBackwardFlags Flags { get; }");
        w.Line("TCompute Load(T value);");
        w.Line("T Store(TCompute value);");
        w.Close();
    }

    private static string TensorBackwardWhere(string c) => $"where T : unmanaged where TSpec : struct, IGpuTensorBackwardSpec<T, {c}>";

    /// <summary>The dx kernels' views, in their parameter order.</summary>
    private static string TensorBackwardDxViews(string c) =>
        $"{View("T")} dy, {View("T")} x, {View(c)} mean, {View(c)} rstd, {View("T")} gamma, {View("T")} dx";

    private const string TensorBackwardDxArgs = "dy, x, mean, rstd, gamma, dx, rows, rowLength, channels, spatial";

    /// <summary>The shared tensor backward kernels of one compute type: dx, and the dγ/dβ partials kernel when some declaration asks for dγ (<paramref name="gammaGradient"/>).</summary>
    private static void EmitTensorBackwardKernels(SourceWriter w, string c, bool gammaGradient)
    {
        w.Line("/// <summary>");
        w.Line($"/// The backward kernels of every GroupNorm, InstanceNorm, BatchNorm (training) and ChannelLayerNorm declaration computed in {c},");
        w.Line("/// generic over its spec struct: dx by one row of the row kernels per statistics block, read through the layout's index");
        if (gammaGradient)
        {
            w.Line("/// map; dγ/dβ by partials per (sample, chunk of positions, channel) into the stream's scratch buffer, then");
            w.Line("/// <c>GpuDevice.CombineKernel</c>, in a fixed order (no atomics).");
        }
        else w.Line("/// map.");
        w.Line("/// </summary>");
        w.Line(Generated);
        w.Open($"internal static class {TensorBackwardKernelsClass(c)}");
        if (gammaGradient)
        {
            w.Line("/// <summary>Positions per dγ/dβ partial: a constant, so the partials (and the result) do not depend on the device or the launch geometry.</summary>");
            w.Line($"private const int SpatialBlock = {Lit(SpatialBlock)};");
            w.Line();
        }
        EmitTensorBackwardLaunchers(w, c, gammaGradient);
        EmitTensorBackwardLaunch(w, c, gammaGradient);
        EmitTensorLayoutHelpers(w);
        EmitTensorBackwardElementHelpers(w, c, gammaGradient);
        EmitKernelPair(w, c, "<T, TSpec>", $"{TensorBackwardDxViews(c)}, {TensorSizes}", TensorBackwardDxArgs, TensorBackwardWhere(c));
        w.Line();
        EmitTensorBackwardDxKernel(w, c);
        if (gammaGradient)
        {
            w.Line();
            EmitTensorBackwardPartialsKernel(w, c);
        }
        w.Close();
    }

    private static void EmitTensorBackwardLaunchers(SourceWriter w, string c, bool gammaGradient)
    {
        string dxTypeArgs = $"{View("T")}, {View("T")}, {View(c)}, {View(c)}, {View("T")}, {View("T")}, int, int, int, int";
        string partialTypeArgs = $"{View("T")}, {View("T")}, {View(c)}, {View(c)}, {View(c)}, int, int, int, int";
        string combineTypeArgs = $"{View(c)}, {View(c)}, int, int, int, int";
        var dx = (dxTypeArgs, new[] { ("WarpPerRow", "WarpPerRowKernel<T, TSpec>"), ("GroupPerRow", "GroupPerRowKernel<T, TSpec>") });
        if (!gammaGradient) EmitLaunchers(w, "T, TSpec", TensorBackwardWhere(c), dx);
        else EmitLaunchers(w, "T, TSpec", TensorBackwardWhere(c), dx, (partialTypeArgs, new[] { ("Partials", "PartialsKernel<T, TSpec>") }), (combineTypeArgs, new[] { ("Combine", "GpuDevice.CombineKernel") }));
    }

    /// <summary>The launch: the dx kernel alone, or under the scratch slot's lock the partials, dx and combine kernels (when some declaration asks for dγ: <paramref name="gammaGradient"/>).</summary>
    private static void EmitTensorBackwardLaunch(SourceWriter w, string c, bool gammaGradient)
    {
        string where = TensorBackwardWhere(c);
        w.Line("/// <summary>");
        w.Line("/// Enqueues the dx kernel; with dγ (and dβ), first the partials kernel (it reads dy and x before dx may overwrite");
        w.Line("/// them), then the dx kernel and the combine kernel, in that order on one stream, under the lock of the stream's");
        w.Line("/// scratch slot, without waiting. Arguments are already checked; x is not empty unless dγ is asked (an empty tensor");
        w.Line("/// writes zero gradients). Absent views stay empty.");
        w.Line("/// </summary>");
        w.Line($"internal static void Launch<T, TSpec>(global::ILGPU.Runtime.AcceleratorStream stream, {View("T")} dy, {View("T")} x, {View("T")} dx, {View(c)} mean, {View(c)} rstd, {TensorSizes}, {View("T")} gamma = default, {View(c)} dgamma = default, {View(c)} dbeta = default)");
        w.Open($"    {where}");
        w.Line("Launchers<T, TSpec> l = Launchers<T, TSpec>.Cache.GetValue(stream.Accelerator, static accelerator => new Launchers<T, TSpec>(accelerator));");
        if (gammaGradient) EmitTensorBackwardScratchLaunch(w, c);
        else w.Line($"LaunchDx(stream, l, {TensorBackwardDxArgs}); // no declaration computed in {c} asks for dγ");
        w.Close();
        w.Line();
        w.Line("/// <summary>Picks the dx kernel (warp or group per statistics block) and its geometry, and enqueues it.</summary>");
        w.Line($"private static void LaunchDx<T, TSpec>(global::ILGPU.Runtime.AcceleratorStream stream, Launchers<T, TSpec> l, {TensorBackwardDxViews(c)}, {TensorSizes})");
        w.Open($"    {where}");
        EmitRowLaunch(w, warpKernel: true, groupKernel: true, "rowLength", TensorBackwardDxArgs);
        w.Close();
        w.Line();
    }

    /// <summary>The launch's body when some declaration asks for dγ: dx alone for the others, else under the scratch slot's lock the partials, dx and combine kernels.</summary>
    private static void EmitTensorBackwardScratchLaunch(SourceWriter w, string c)
    {
        w.Open("if ((default(TSpec).Flags & GpuTensorBackwardFlags.GammaGradient) == 0)");
        w.Line($"LaunchDx(stream, l, {TensorBackwardDxArgs});");
        w.Line("return;");
        w.Close();
        w.Line("int elementGroup = global::System.Math.Min(256, l.MaxThreadsPerGroup);");
        w.Line("int batch = x.Length == 0 ? 0 : (int)(x.Length / ((long)channels * spatial));");
        w.Line("int units = batch * ((spatial + SpatialBlock - 1) / SpatialBlock); // (sample, chunk of positions)");
        w.Line("int gradients = (default(TSpec).Flags & GpuTensorBackwardFlags.BetaGradient) != 0 ? 2 : 1;");
        w.Line($"global::NormGen.ScratchSlot slot = global::NormGen.NormGpu.Scratch<{c}>(stream);");
        w.Line("// Under the slot's lock no other call can enqueue its partials between ours and our combine; stream order does the rest.");
        w.Open("lock (slot)");
        w.Line("// Per unit: the dγ partial row over the channels, then the dβ partial row if asked.");
        w.Line($"global::ILGPU.Runtime.MemoryBuffer1D<{c}, global::ILGPU.Stride1D.Dense> scratch = GpuDevice.Scratch<{c}>(stream, slot, (long)units * gradients * channels);");
        w.Open("if (units > 0)");
        w.Line("long cells = (long)units * channels;");
        w.Line("int partialGrid = global::NormGen.NormGpu.GridSize((int)global::System.Math.Min((cells + elementGroup - 1) / elementGroup, int.MaxValue), 1, elementGroup, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
        w.Line("l.Partials.Value(stream, new global::ILGPU.KernelConfig(partialGrid, elementGroup), dy, x, mean, rstd, scratch.View, rowLength, channels, spatial, units);");
        w.Line($"LaunchDx(stream, l, {TensorBackwardDxArgs});");
        w.Close();
        w.Line("int combineGrid = global::NormGen.NormGpu.GridSize((channels + elementGroup - 1) / elementGroup, 1, elementGroup, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
        w.Line("l.Combine.Value(stream, new global::ILGPU.KernelConfig(combineGrid, elementGroup), scratch.View, dgamma, channels, units, gradients, 0);");
        w.Line("if (gradients == 2)");
        w.Line("    l.Combine.Value(stream, new global::ILGPU.KernelConfig(combineGrid, elementGroup), scratch.View, dbeta, channels, units, gradients, 1);");
        w.Close();
    }

    /// <summary>The statistics block of an element, g and the normalized value, as the dx and partials kernels read them.</summary>
    private static void EmitTensorBackwardElementHelpers(SourceWriter w, string c, bool gammaGradient)
    {
        string where = TensorBackwardWhere(c);
        if (gammaGradient)
        {
            w.Line("/// <summary>The statistics block (the row of the dx kernels) of element (n, c, s).</summary>");
            w.Line("private static int StatisticsRow(GpuTensorLayout layout, int n, int c, int s, int rowLength, int channels, int spatial) =>");
            w.Line("    layout == GpuTensorLayout.Channels ? c");
            w.Line("    : layout == GpuTensorLayout.Positions ? n * spatial + s");
            w.Line("    : n * (channels / (rowLength / spatial)) + c / (rowLength / spatial);");
            w.Line();
        }
        w.Line("/// <summary>x̂ = (x − μ)·rstd, or BiasFree's x̃ = x·rstd (the value the forward multiplied by γ).</summary>");
        w.Line($"private static {c} Normalized<T, TSpec>(TSpec spec, T x, {c} mu, {c} r) {where} =>");
        w.Line("    (spec.Flags & GpuTensorBackwardFlags.BiasFree) != 0 ? spec.Load(x) * r : (spec.Load(x) - mu) * r;");
        w.Line();
        w.Line("/// <summary>g = dy·γ[c], or dy without affine.</summary>");
        w.Line($"private static {c} Gradient<T, TSpec>(TSpec spec, T dy, {View("T")} gamma, int channel) {where} =>");
        w.Line("    (spec.Flags & GpuTensorBackwardFlags.Gamma) != 0 ? spec.Load(dy) * spec.Load(gamma[channel]) : spec.Load(dy);");
        w.Line();
    }

    /// <summary>The one body of the dx kernel pair: per statistics block, the two sums, then dx.</summary>
    private static void EmitTensorBackwardDxKernel(SourceWriter w, string c)
    {
        string one = One(c);
        string zero = Zero(c);
        string loop = ThreadLoop.Replace("< n;", "< rowLength;");
        OpenRowsBody(w, c, "<T, TSpec>", $"{TensorBackwardDxViews(c)}, {TensorSizes}", TensorBackwardWhere(c));
        w.Line("long start = Start(spec.Layout, row, rowLength, channels, spatial);");
        w.Line($"{c} mu = mean[row], r = rstd[row];");
        w.Line("bool biasFree = (spec.Flags & GpuTensorBackwardFlags.BiasFree) != 0;");
        w.Line("// Pass 1: the sums of g and g·x̂ (BiasFree: g·x̃).");
        w.Line($"{c} sg = {zero}, sx = {zero};");
        w.Open(loop);
        w.Line("long at = Index(spec.Layout, start, i, rows, channels, spatial);");
        w.Line($"{c} g = Gradient<T, TSpec>(spec, dy[at], gamma, Channel(spec.Layout, row, i, rowLength, channels, spatial));");
        w.Line("sg += g;");
        w.Line("sx += g * Normalized<T, TSpec>(spec, x[at], mu, r);");
        w.Close();
        w.Line($"{c} inverseN = {one} / rowLength;");
        w.Line($"{c} c1 = biasFree ? {zero} : threads.Sum(sg, partials) * inverseN; // BiasFree: no mean(g) term");
        w.Line($"{c} c2 = threads.Sum(sx, partials) * inverseN;");
        w.Line();
        w.Line("// Pass 2: dx = rstd·(g − c₁ − x̂·c₂), x̂ = (x − μ)·rstd in both variants. Each element is read and written by the");
        w.Line("// same thread, after every read of the block, so dx may be dy or x.");
        w.Open(loop);
        w.Line("long at = Index(spec.Layout, start, i, rows, channels, spatial);");
        w.Line($"{c} g = Gradient<T, TSpec>(spec, dy[at], gamma, Channel(spec.Layout, row, i, rowLength, channels, spatial));");
        w.Line($"{c} xh = (spec.Load(x[at]) - mu) * r;");
        w.Line("dx[at] = spec.Store(r * (g - c1 - xh * c2));");
        w.Close();
        w.Close();
        w.Close();
    }

    /// <summary>The dγ/dβ partials kernel: one thread per (unit, channel), the unit's positions in order.</summary>
    private static void EmitTensorBackwardPartialsKernel(SourceWriter w, string c)
    {
        string zero = Zero(c);
        w.Line("/// <summary>");
        w.Line("/// One thread per (unit, channel), a unit being a sample's chunk of <see cref=\"SpatialBlock\"/> positions, the grid");
        w.Line("/// striding over them: the chunk's positions in order, Σ dy·x̂ (and Σ dy) into the unit's partial rows.");
        w.Line("/// </summary>");
        w.Line($"private static void PartialsKernel<T, TSpec>({View("T")} dy, {View("T")} x, {View(c)} mean, {View(c)} rstd, {View(c)} partials, int rowLength, int channels, int spatial, int units)");
        w.Open($"    {TensorBackwardWhere(c)}");
        w.Line("TSpec spec = default;");
        w.Line("bool beta = (spec.Flags & GpuTensorBackwardFlags.BetaGradient) != 0;");
        w.Line("int gradients = beta ? 2 : 1;");
        w.Line("int chunks = (spatial + SpatialBlock - 1) / SpatialBlock;");
        w.Line("long cells = (long)units * channels;");
        w.Line("long step = (long)global::ILGPU.Grid.DimX * global::ILGPU.Group.DimX;");
        w.Open("for (long cell = global::ILGPU.Grid.GlobalIndex.X; cell < cells; cell += step)");
        w.Line("int unit = (int)(cell / channels);");
        w.Line("int c = (int)(cell - (long)unit * channels);");
        w.Line("int n = unit / chunks;");
        w.Line("int first = unit % chunks * SpatialBlock;");
        w.Line("int last = spatial - first < SpatialBlock ? spatial : first + SpatialBlock;");
        w.Line("long segment = ((long)n * channels + c) * spatial;");
        w.Line($"{c} pg = {zero}, pb = {zero};");
        w.Open("for (int s = first; s < last; s++)");
        w.Line("int row = StatisticsRow(spec.Layout, n, c, s, rowLength, channels, spatial);");
        w.Line($"{c} d = spec.Load(dy[segment + s]);");
        w.Line("pg += d * Normalized<T, TSpec>(spec, x[segment + s], mean[row], rstd[row]);");
        w.Line("if (beta) pb += d;");
        w.Close();
        w.Line("partials[(long)unit * gradients * channels + c] = pg;");
        w.Line("if (beta) partials[((long)unit * 2 + 1) * channels + c] = pb;");
        w.Close();
        w.Close();
    }
}
