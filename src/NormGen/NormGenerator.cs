using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// Writes a specialised normalization kernel for every <c>static partial</c> method that carries a NormGen attribute
/// (<c>[LayerNorm]</c>, <c>[RmsNorm]</c>, <c>[DeepNorm]</c>, <c>[BatchNorm]</c>, <c>[GroupNorm]</c>, …), and reports NG
/// diagnostics for declarations it cannot implement.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class NormGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Whether the compilation references ILGPU: one bool, built once and shared by every attribute's GPU output.
        IncrementalValueProvider<bool> hasIlgpu = GpuEmitter.ReferencesIlgpu(context);
        var gpuSpecs = new System.Collections.Generic.List<IncrementalValuesProvider<KernelSpec>>();
        foreach (KindDefinition kind in Kinds.All)
            gpuSpecs.Add(Register(context, kind.MetadataName, kind.Kind, hasIlgpu));

        // The device helpers the GPU tensor kernels share: one file per compilation, when any of them is emitted.
        GpuEmitter.RegisterDevicePrimitives(context, gpuSpecs);
    }

    /// <summary>One attribute's pipeline: parse, CPU kernel, stubs, diagnostics, GPU outputs. Returns its GPU specs.</summary>
    private static IncrementalValuesProvider<KernelSpec> Register(IncrementalGeneratorInitializationContext context, string attributeName, NormKind kind, IncrementalValueProvider<bool> hasIlgpu)
    {
        // Find the annotated methods (cheap syntax filter first) and parse each into plain values: a spec and its diagnostics.
        IncrementalValuesProvider<ParseResult> results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                attributeName,
                predicate: static (node, _) => node is MethodDeclarationSyntax,
                transform: (ctx, ct) => Parser.Parse(ctx, kind, ct))
            .WithTrackingName(TrackingNames.Parse);

        // Specs and diagnostics leave in separate outputs, so moving a declaration (which changes only diagnostic
        // locations) does not re-emit its kernel.
        IncrementalValuesProvider<KernelSpec> specs = results
            .Where(static r => r.Spec is not null)
            .Select(static (r, _) => r.Spec!)
            .WithTrackingName(TrackingNames.Specs);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
            .Where(static r => r.Diagnostics.Count > 0)
            .Select(static (r, _) => r.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        // A declaration with an NG error gets a body that throws NotSupportedException with the NG message, so the
        // compiler does not add "partial method has no implementation" (CS8795) to the one real mistake.
        IncrementalValuesProvider<InvalidDeclaration> stubs = results
            .Where(static r => r.Stub is not null)
            .Select(static (r, _) => r.Stub!)
            .WithTrackingName(TrackingNames.InvalidDeclarations);
        context.RegisterSourceOutput(stubs, static (spc, stub) => spc.AddSource(stub.HintName, StubEmitter.Emit(stub)));

        // Write one source file per kernel: backward kernels through the backward emitter, row kinds through the row
        // emitter, (N, C, *) kinds through the tensor emitter.
        context.RegisterSourceOutput(specs, static (spc, spec) =>
            spc.AddSource(spec.HintName, spec.Backward ? BackwardEmitter.Emit(spec) : spec.IsRowKind ? CpuEmitter.Emit(spec) : TensorEmitter.Emit(spec)));

        // When the compilation references ILGPU, also write the GPU overloads and kernels.
        IncrementalValuesProvider<KernelSpec> gpuSpecs = GpuEmitter.Register(context, specs, hasIlgpu);

        // Report the diagnostics at locations in the compilation's own trees, so `#pragma warning disable NG00xx` applies
        // (the compiler ignores pragmas for a location rebuilt from a path). Only declarations with a diagnostic meet the
        // compilation, at this last step, and they re-report only when their diagnostics or their tree change.
        IncrementalValuesProvider<LocatedDiagnostics> located = diagnostics
            .Combine(context.CompilationProvider)
            .Select(static (pair, _) => LocatedDiagnostics.Locate(pair.Left, pair.Right));
        context.RegisterSourceOutput(located, static (spc, item) =>
        {
            foreach (DiagnosticInfo d in item.Diagnostics) spc.ReportDiagnostic(d.ToDiagnostic(item.Tree));
        });
        return gpuSpecs;
    }
}
