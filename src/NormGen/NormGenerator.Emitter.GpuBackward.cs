using System.Collections.Generic;
using System.Linq;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// The ILGPU variant of a row backward kernel (<c>[LayerNorm(Backward = true)]</c>, <c>[RmsNorm(Backward = true)]</c>,
/// flat spans, with or without the pre-norm residual's dh = dx + dResidualOut fused into the dx pass): dx by one warp
/// (short rows) or one group (long rows) per row, as the forward kernels; dγ/dβ without
/// atomics, by per-block partials over a fixed number of rows (<c>NormGen.RowBackward.BlockRows</c>, whatever the
/// device) into a scratch buffer, then a second kernel that adds each column's partials in a fixed order.
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

    private static List<KernelView> BackwardViews(KernelSpec spec) => Views(spec, BackwardRoles);

    private static string EmitBackward(SourceWriter w, KernelSpec spec)
    {
        CpuEmitter.OpenUserType(w, spec);
        EmitBackwardOverloads(w, spec);
        CpuEmitter.CloseUserType(w, spec);
        w.Line();
        if (spec.Namespace is not null) w.Open("namespace " + spec.Namespace);
        EmitBackwardKernelClass(w, spec);
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

        EmitBackwardDocumentation(w, spec, stream: false);
        w.Line(Generated);
        w.Open($"{modifiers} void {CpuEmitter.Id(spec.MethodName)}(global::ILGPU.Runtime.Accelerator {accelerator}, {parameterList})");
        w.Line($"if ({accelerator} is null) throw new global::System.ArgumentNullException({CpuEmitter.StrOfId(accelerator)});");
        w.Line($"{QualifiedMethod(spec)}({accelerator}.DefaultStream, {string.Join(", ", arguments)});");
        w.Close();
        w.Line();

        EmitBackwardDocumentation(w, spec, stream: true);
        w.Line(Generated);
        w.Open($"{modifiers} void {CpuEmitter.Id(spec.MethodName)}(global::ILGPU.Runtime.AcceleratorStream {stream}, {parameterList})");
        w.Line($"if ({stream} is null) throw new global::System.ArgumentNullException({CpuEmitter.StrOfId(stream)});");
        string k = GpuKernelClassName(spec);
        string x = Id(ParamRole.Input), dy = Id(ParamRole.OutputGradient), dx = Id(ParamRole.InputGradient);
        string rowLength = spec.RowLengthParameter?.Name == "rowLength" ? "rowLength" : Unique(spec, "rowLength");
        string rows = Unique(spec, "rows");
        if (spec.HasStaticShape)
        {
            w.Line($"const int {rowLength} = {k}.RowLength;");
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
        var launchArgs = BackwardViews(spec)
            .Select(v => CpuEmitter.Id(v.User.Name) + (v.User.Element == ElementKind.Half ? ".Cast<global::ILGPU.Half>()" : ""))
            .ToList();
        if (!spec.HasStaticShape) launchArgs.Add(rowLength);
        launchArgs.Add(rows);
        w.Line($"{k}.Launch({stream}, {string.Join(", ", launchArgs)});");
        w.Close();
    }

    private static void EmitBackwardDocumentation(SourceWriter w, KernelSpec spec, bool stream)
    {
        bool rms = spec.Kind == NormKind.RmsNorm;
        string Ref(ParamRole role) => $"<paramref name=\"{spec.Parameter(role)!.Name}\"/>";
        string rowText = spec.HasStaticShape
            ? $"rows of {Lit(spec.StaticRowLength)} elements"
            : $"rows of <paramref name=\"{spec.RowLengthParameter!.Name}\"/> elements";
        bool grads = HasParameterGradients(spec);
        string on = stream ? "enqueued on <paramref name=\"stream\"/>" : "enqueued on the accelerator's default stream";
        on += ", not synchronised";
        string xhat = rms ? "x̂ = x·rstd" : "x̂ = (x − μ)·rstd";
        string g = spec.Gamma is null ? "g = dy" : spec.ZeroCenteredGamma ? "g = dy·(1 + γ) (zero-centred γ)" : "g = dy·γ";
        string dxText = rms ? "dx = rstd·(g − x̂·mean(g·x̂))" : "dx = rstd·(g − mean(g) − x̂·mean(g·x̂))";
        var gradText = new List<string>();
        if (spec.Parameter(ParamRole.GammaGradient) is not null) gradText.Add($"{Ref(ParamRole.GammaGradient)} = Σ dy·x̂");
        if (spec.Parameter(ParamRole.BetaGradient) is not null) gradText.Add($"{Ref(ParamRole.BetaGradient)} = Σ dy");
        string stats = spec.Parameter(ParamRole.Mean) is null ? Ref(ParamRole.Rstd) : $"{Ref(ParamRole.Mean)} and {Ref(ParamRole.Rstd)}";
        w.Line("/// <summary>");
        w.Line($"/// Backward of the {(rms ? "RMS" : "layer")} normalization on an ILGPU accelerator, over {rowText}: the gradient {Ref(ParamRole.InputGradient)}{(grads ? " and those of the affine parameters" : "")}, given {Ref(ParamRole.OutputGradient)}; {on}.");
        w.Line("/// </summary>");
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
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A view's length does not fit the others, or an output overlaps an input without being the same view, or two outputs overlap. Nothing is enqueued.</exception>");
    }

    // ---------------------------------------------------------------- kernel class

    private static void EmitBackwardKernelClass(SourceWriter w, KernelSpec spec)
    {
        string c = CpuEmitter.ComputeName(spec);
        string owner = string.Join(".", spec.ContainingTypes.Select(t => t.NameWithTypeParameters.Split('<')[0]));
        bool warpKernel = !spec.HasStaticShape || spec.StaticRowLength <= WarpPerRowMaxLength;
        bool groupKernel = !spec.HasStaticShape || spec.StaticRowLength > WarpPerRowMaxLength;
        bool grads = HasParameterGradients(spec);
        bool betaGrad = spec.Parameter(ParamRole.BetaGradient) is not null;
        string gradCount = betaGrad ? "2" : "1";
        bool staticShape = spec.HasStaticShape;
        string n = staticShape ? "RowLength" : "rowLength";
        string kernelElement = KernelElement(spec.Element);
        List<KernelView> views = BackwardViews(spec);

        // dx kernel: dy, x, [mean], rstd, [gamma], dx, [rowLength], rows.
        var dxViews = views.Where(v => v.Role is not (ParamRole.GammaGradient or ParamRole.BetaGradient)).ToList();
        var dxTypes = dxViews.Select(v => View(v.Element)).ToList();
        var dxParams = dxViews.Select(v => $"{View(v.Element)} {v.Name}").ToList();
        var dxArgs = dxViews.Select(v => v.Name).ToList();
        if (!staticShape) { dxTypes.Add("int"); dxParams.Add("int rowLength"); dxArgs.Add("rowLength"); }
        dxTypes.Add("int"); dxParams.Add("int rows"); dxArgs.Add("rows");
        string dxTypeArgs = string.Join(", ", dxTypes);

        // Partials kernel: dy, x, [mean], rstd, partials, [rowLength], rows.
        var partialViews = dxViews.Where(v => v.Role is ParamRole.OutputGradient or ParamRole.Input or ParamRole.Mean or ParamRole.Rstd).ToList();
        var partialTypes = partialViews.Select(v => View(v.Element)).Concat(new[] { View(c) }).ToList();
        var partialParams = partialViews.Select(v => $"{View(v.Element)} {v.Name}").Concat(new[] { $"{View(c)} partials" }).ToList();
        var partialArgs = partialViews.Select(v => v.Name).Concat(new[] { "scratch.View" }).ToList();
        if (!staticShape) { partialTypes.Add("int"); partialParams.Add("int rowLength"); partialArgs.Add("rowLength"); }
        partialTypes.Add("int"); partialParams.Add("int rows"); partialArgs.Add("rows");
        string partialTypeArgs = string.Join(", ", partialTypes);

        // Combine kernel (shared): partials, output, rowLength, blocks, gradients, which.
        string combineTypeArgs = $"{View(c)}, {View(c)}, int, int, int, int";

        string Launcher(string typeArgs) => $"global::System.Lazy<global::System.Action<global::ILGPU.Runtime.AcceleratorStream, global::ILGPU.KernelConfig, {typeArgs}>>";
        string Load(string typeArgs, string kernel) => $"new(() => global::ILGPU.Runtime.KernelLoaders.LoadKernel<{typeArgs}>(accelerator, {kernel}), global::System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);";

        w.Line($"/// <summary>ILGPU kernels behind the GPU overloads of <c>{owner}.{spec.MethodName}</c>; see their remarks.</summary>");
        w.Line(Generated);
        w.Open($"file static class {GpuKernelClassName(spec)}");
        if (staticShape)
        {
            w.Line("/// <summary>Elements in one normalized row: a constant in the kernels, so their loops have known trip counts.</summary>");
            w.Line($"internal const int RowLength = {Lit(spec.StaticRowLength)};");
            w.Line();
        }
        if (grads)
        {
            w.Line("/// <summary>Rows per dγ/dβ block: the CPU kernel's constant, independent of the device, so the partials (and the result) do not depend on the launch geometry.</summary>");
            w.Line("private const int BlockRows = global::NormGen.RowBackward.BlockRows;");
            w.Line();
        }
        w.Line("/// <summary>Compiled launchers of one accelerator (compiled on first use, one thread compiles, the others wait) and the device limits.</summary>");
        w.Open("private sealed class Launchers");
        if (warpKernel) w.Line($"public readonly {Launcher(dxTypeArgs)} WarpPerRow;");
        if (groupKernel) w.Line($"public readonly {Launcher(dxTypeArgs)} GroupPerRow;");
        if (grads)
        {
            w.Line($"public readonly {Launcher(partialTypeArgs)} Partials;");
            w.Line($"public readonly {Launcher(combineTypeArgs)} Combine;");
        }
        w.Line("public readonly int WarpSize, MaxThreadsPerGroup, Multiprocessors, MaxThreadsPerMultiprocessor, MaxGridSize;");
        w.Line();
        w.Open("public Launchers(global::ILGPU.Runtime.Accelerator accelerator)");
        if (warpKernel) w.Line($"WarpPerRow = {Load(dxTypeArgs, "WarpPerRowKernel")}");
        if (groupKernel) w.Line($"GroupPerRow = {Load(dxTypeArgs, "GroupPerRowKernel")}");
        if (grads)
        {
            w.Line($"Partials = {Load(partialTypeArgs, "PartialsKernel")}");
            w.Line($"Combine = {Load(combineTypeArgs, Device + "CombineKernel")}");
        }
        w.Line("WarpSize = accelerator.WarpSize;");
        w.Line("MaxThreadsPerGroup = accelerator.MaxNumThreadsPerGroup;");
        w.Line("Multiprocessors = accelerator.NumMultiprocessors;");
        w.Line("MaxThreadsPerMultiprocessor = accelerator.MaxNumThreadsPerMultiprocessor;");
        w.Line("MaxGridSize = accelerator.MaxGridSize.X;");
        w.Close();
        w.Close();
        w.Line();
        w.Line("/// <summary>One <see cref=\"Launchers\"/> per accelerator, dropped with it (weak keys; thread-safe).</summary>");
        w.Line("private static readonly global::System.Runtime.CompilerServices.ConditionalWeakTable<global::ILGPU.Runtime.Accelerator, Launchers> Cache = new();");
        w.Line();

        // ---- launch
        var launchParams = views.Select(v => $"{View(v.Element)} {v.Name}").ToList();
        if (!staticShape) launchParams.Add("int rowLength");
        launchParams.Add("int rows");
        w.Line("/// <summary>");
        w.Line(grads
            ? "/// Enqueues the partials kernel (it reads dy and x before dx may overwrite them), the dx kernel and the combine kernel,"
            : "/// Enqueues the dx kernel. Arguments are already checked; rows &gt; 0.");
        if (grads) w.Line("/// in that order on one stream, under the lock of the stream's scratch slot, without waiting. Arguments are already checked.");
        w.Line("/// </summary>");
        w.Open($"internal static void Launch(global::ILGPU.Runtime.AcceleratorStream stream, {string.Join(", ", launchParams)})");
        w.Line("Launchers l = Cache.GetValue(stream.Accelerator, static accelerator => new Launchers(accelerator));");
        w.Line("int elementGroup = global::System.Math.Min(256, l.MaxThreadsPerGroup);");
        if (grads)
        {
            w.Line("int blocks = (rows + BlockRows - 1) / BlockRows;");
            w.Line($"global::NormGen.ScratchSlot slot = global::NormGen.NormGpu.Scratch<{c}>(stream);");
            w.Line("// Under the slot's lock no other call can enqueue its partials between ours and our combine; stream order does the rest.");
            w.Open("lock (slot)");
            w.Line($"// Per block: the dγ partial row{(betaGrad ? ", then the dβ partial row" : "")}.");
            w.Line($"global::ILGPU.Runtime.MemoryBuffer1D<{c}, global::ILGPU.Stride1D.Dense> scratch = {Device}Scratch<{c}>(stream, slot, (long)blocks * {gradCount} * {n});");
            w.Open("if (rows > 0)");
            w.Line($"long cells = (long)blocks * {n};");
            w.Line("int partialGrid = global::NormGen.NormGpu.GridSize((int)global::System.Math.Min((cells + elementGroup - 1) / elementGroup, int.MaxValue), 1, elementGroup, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
            w.Line($"l.Partials.Value(stream, new global::ILGPU.KernelConfig(partialGrid, elementGroup), {string.Join(", ", partialArgs)});");
        }
        void EmitWarpLaunch()
        {
            w.Line("int group = global::NormGen.NormGpu.WarpPerRowGroupSize(l.WarpSize, l.MaxThreadsPerGroup);");
            w.Line("int grid = global::NormGen.NormGpu.GridSize(rows, group / l.WarpSize, group, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
            w.Line($"l.WarpPerRow.Value(stream, new global::ILGPU.KernelConfig(grid, group), {string.Join(", ", dxArgs)});");
        }
        void EmitGroupLaunch()
        {
            w.Line($"int group = global::NormGen.NormGpu.GroupPerRowGroupSize({n}, l.WarpSize, l.MaxThreadsPerGroup);");
            w.Line("int grid = global::NormGen.NormGpu.GridSize(rows, 1, group, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
            w.Line($"l.GroupPerRow.Value(stream, new global::ILGPU.KernelConfig(grid, group), {string.Join(", ", dxArgs)});");
        }
        if (warpKernel && groupKernel)
        {
            w.Open($"if (rowLength <= {Lit(WarpPerRowMaxLength)})");
            EmitWarpLaunch();
            w.Close();
            w.Open("else");
            EmitGroupLaunch();
            w.Close();
        }
        else if (warpKernel) EmitWarpLaunch();
        else EmitGroupLaunch();
        if (grads)
        {
            w.Close();
            w.Line($"int combineGrid = global::NormGen.NormGpu.GridSize(({n} + elementGroup - 1) / elementGroup, 1, elementGroup, l.Multiprocessors, l.MaxThreadsPerMultiprocessor, l.MaxGridSize);");
            w.Line($"l.Combine.Value(stream, new global::ILGPU.KernelConfig(combineGrid, elementGroup), scratch.View, dgamma, {n}, blocks, {gradCount}, 0);");
            if (betaGrad)
                w.Line($"l.Combine.Value(stream, new global::ILGPU.KernelConfig(combineGrid, elementGroup), scratch.View, dbeta, {n}, blocks, {gradCount}, 1);");
            w.Close();
        }
        w.Close();

        string dxParamList = string.Join(", ", dxParams);
        if (warpKernel)
        {
            w.Line();
            EmitBackwardDxKernel(w, spec, dxParamList, groupPerRow: false);
        }
        if (groupKernel)
        {
            w.Line();
            EmitBackwardDxKernel(w, spec, dxParamList, groupPerRow: true);
        }
        if (grads)
        {
            w.Line();
            EmitPartialsKernel(w, spec, string.Join(", ", partialParams), gradCount, betaGrad);
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

    private static string LoadValue(KernelSpec spec, string view, string index) =>
        spec.Element == ElementKind.Half ? $"(float){view}[{index}]" : $"{view}[{index}]";

    /// <summary>x̂ at element index of a row with statistics mu (LayerNorm) and r.</summary>
    private static string Xhat(KernelSpec spec, string index) =>
        spec.Centers ? $"({LoadValue(spec, "x", index)} - mu) * r" : $"{LoadValue(spec, "x", index)} * r";

    private static void EmitBackwardDxKernel(SourceWriter w, KernelSpec spec, string parameterList, bool groupPerRow)
    {
        string c = CpuEmitter.ComputeName(spec);
        string zero = c == "double" ? "0d" : "0f";
        string one = c == "double" ? "1d" : "1f";
        string n = spec.HasStaticShape ? "RowLength" : "rowLength";
        string first = groupPerRow ? "global::ILGPU.Group.IdxX" : "global::ILGPU.Warp.LaneIdx";
        string step = groupPerRow ? "global::ILGPU.Group.DimX" : "global::ILGPU.Warp.WarpSize";
        string sum(string value) => RowSum(groupPerRow, value, Device);
        string loop = $"for (int i = {first}; i < {n}; i += {step})";
        string dyi = LoadValue(spec, "dy", "start + i");
        string g = spec.Gamma is null ? dyi
            : spec.ZeroCenteredGamma ? $"{dyi} * ({one} + {LoadValue(spec, "gamma", "i")})"
            : $"{dyi} * {LoadValue(spec, "gamma", "i")}";

        w.Line("/// <summary>");
        w.Line(groupPerRow
            ? "/// dx, one group per row (long rows): the group's threads stride through the row; the sums meet in shared memory."
            : "/// dx, one warp per row (short rows): the lanes stride through the row and reduce with shuffles, no barriers.");
        bool residual = spec.Parameter(ParamRole.ResidualOutGradient) is not null;
        w.Line(residual
            ? "/// Pass 1 sums g and g·x̂; pass 2 writes dh = rstd·(g − c₁ − x̂·c₂) + dResidualOut. Each element is read and written by the"
            : "/// Pass 1 sums g and g·x̂; pass 2 writes dx = rstd·(g − c₁ − x̂·c₂). Each element is read and written by the");
        w.Line("/// same thread, after every read of the row, so dx may be dy or x.");
        w.Line("/// </summary>");
        w.Open($"private static void {(groupPerRow ? "GroupPerRowKernel" : "WarpPerRowKernel")}({parameterList})");
        if (groupPerRow)
        {
            w.Line($"global::ILGPU.ArrayView<{c}> partials = global::ILGPU.SharedMemory.Allocate<{c}>(global::NormGen.NormGpu.MaxWarpsPerGroup);");
            w.Open("for (int row = global::ILGPU.Grid.IdxX; row < rows; row += global::ILGPU.Grid.DimX)");
        }
        else
        {
            w.Line("int warpsPerGroup = global::ILGPU.Group.DimX / global::ILGPU.Warp.WarpSize;");
            w.Line("int rowStep = global::ILGPU.Grid.DimX * warpsPerGroup;");
            w.Open("for (int row = global::ILGPU.Grid.IdxX * warpsPerGroup + global::ILGPU.Warp.WarpIdx; row < rows; row += rowStep)");
        }
        w.Line($"long start = (long)row * {n};");
        if (spec.Centers) w.Line($"{c} mu = mean[row];");
        w.Line($"{c} r = rstd[row];");
        w.Line(spec.Centers ? $"{c} sg = {zero}, sx = {zero};" : $"{c} sx = {zero};");
        w.Open(loop);
        w.Line($"{c} g = {g};");
        if (spec.Centers) w.Line("sg += g;");
        w.Line($"sx += g * ({Xhat(spec, "start + i")});");
        w.Close();
        w.Line($"{c} inverseN = {one} / {n};");
        w.Line(spec.Centers ? $"{c} c1 = {sum("sg")} * inverseN;" : $"{c} c1 = {zero}; // RMSNorm: no mean(g) term");
        w.Line($"{c} c2 = {sum("sx")} * inverseN;");
        w.Open(loop);
        w.Line($"{c} g = {g};");
        w.Line($"{c} xh = {Xhat(spec, "start + i")};");
        // Pre-norm residual: dh = dx + dResidualOut, dx rounded to the compute type first, as the span method's second pass.
        string expr = residual ? $"r * (g - c1 - xh * c2) + {LoadValue(spec, "dResidualOut", "start + i")}" : "r * (g - c1 - xh * c2)";
        w.Line($"dx[start + i] = {(spec.Element == ElementKind.Half ? $"(global::ILGPU.Half)({expr})" : expr)};");
        w.Close();
        w.Close();
        w.Close();
    }

    private static void EmitPartialsKernel(SourceWriter w, KernelSpec spec, string parameterList, string gradCount, bool betaGrad)
    {
        string c = CpuEmitter.ComputeName(spec);
        string zero = c == "double" ? "0d" : "0f";
        string n = spec.HasStaticShape ? "RowLength" : "rowLength";
        w.Line("/// <summary>");
        w.Line("/// One thread per (block, column), the grid striding over them: the block's rows in row order, Σ dy·x̂ (and Σ dy)");
        w.Line("/// into the block's partial rows. Consecutive threads take consecutive columns, so the reads are coalesced.");
        w.Line("/// </summary>");
        w.Open($"private static void PartialsKernel({parameterList})");
        w.Line($"long cells = (long)((rows + BlockRows - 1) / BlockRows) * {n};");
        w.Line("long step = (long)global::ILGPU.Grid.DimX * global::ILGPU.Group.DimX;");
        w.Open("for (long cell = global::ILGPU.Grid.GlobalIndex.X; cell < cells; cell += step)");
        w.Line($"int block = (int)(cell / {n});");
        w.Line($"int column = (int)(cell - (long)block * {n});");
        w.Line("int firstRow = block * BlockRows;");
        w.Line("int lastRow = rows - firstRow < BlockRows ? rows : firstRow + BlockRows;");
        w.Line(betaGrad ? $"{c} pg = {zero}, pb = {zero};" : $"{c} pg = {zero};");
        w.Open("for (int row = firstRow; row < lastRow; row++)");
        w.Line($"long index = (long)row * {n} + column;");
        w.Line($"{c} d = {LoadValue(spec, "dy", "index")};");
        if (spec.Centers) w.Line($"{c} mu = mean[row];");
        w.Line($"{c} r = rstd[row];");
        w.Line($"pg += d * ({Xhat(spec, "index")});");
        if (betaGrad) w.Line("pb += d;");
        w.Close();
        w.Line(betaGrad ? $"partials[(long)block * 2 * {n} + column] = pg;" : $"partials[(long)block * {n} + column] = pg;");
        if (betaGrad) w.Line($"partials[((long)block * 2 + 1) * {n} + column] = pb;");
        w.Close();
        w.Close();
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
