using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace NormGen.Gpu.Tests;

/// <summary>
/// The generator run in memory, with and without an ILGPU reference: nothing GPU-related without ILGPU, compilable GPU
/// overloads with it, deterministic text, and a second run that reuses every GPU step.
/// </summary>
public sealed class GeneratorTests
{
    private const string Source = """
        using System;
        using System.Numerics.Tensors;
        using NormGen;

        namespace Sample.Gpu;

        public static partial class Outer<TKey>
        {
            internal static partial class Kernels
            {
                [LayerNorm(768)]
                public static partial void Norm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

                [RmsNorm(Epsilon = 1e-6f)]
                internal static partial void Rms(ReadOnlySpan<double> @in, ReadOnlySpan<double> weight, Span<double> @out, int n);

                [LayerNorm(Axes = 2, Affine = Affine.None)]
                public static partial void Tensor(ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);

                [LayerNorm(8, 96, Affine = Affine.Scale)]
                private static partial void Ln2D(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, TensorSpan<float> y);

                [RmsNorm(4096)]
                public static partial void Overload(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

                [RmsNorm(4096)]
                public static partial void Overload(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);
            }
        }
        """;

    private const string FusedSource = """
        using System;
        using System.Numerics.Tensors;
        using NormGen;

        namespace Sample.Gpu;

        public static partial class Blocks
        {
            [RmsNorm(4096, Epsilon = 1e-6f, Residual = true)]
            public static partial void AddRms(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);

            [DeepNorm(1024, Architecture = DeepNetArchitecture.EncoderOnly, Layers = 24)]
            public static partial void Deep(ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

            [LayerNorm(768, Activation = Activation.Gelu, SaveStatistics = true)]
            public static partial void LnGelu(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<Half> y, Span<float> mean, Span<float> rstd);

            [RmsNorm(2048, ZeroCenteredGamma = true)]
            public static partial void GemmaRms(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

            [LayerNorm(Residual = true, ResidualBias = true)]
            public static partial void SkipLn(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> residual, ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> residualOut);

            [RmsNorm(Axes = 1, Residual = true, SaveStatistics = true, Activation = Activation.Silu)]
            public static partial void HalfAddRms(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> residual, ReadOnlySpan<Half> weight, TensorSpan<float> y, Span<Half> residualOut, Span<float> rstd);

            [DeepNorm(Alpha = 2.5f, Activation = Activation.GeluTanh)]
            public static partial void DeepDouble(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> sublayer, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);

            [LayerNorm(13, Activation = Activation.Relu, ZeroCenteredGamma = true, Affine = Affine.Scale)]
            public static partial void Ln13(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, Span<float> y);

            [InstanceNorm]
            public static partial void Inorm(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

            [BatchNorm]
            public static partial void BnEval(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, TensorSpan<float> y);

            [BatchNorm(Training = true)]
            public static partial void BnTrain(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);
        }
        """;

    private static IIncrementalGenerator CreateGenerator()
    {
        string path = typeof(GeneratorTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NormGenGeneratorPath").Value!;
        Assembly assembly = Assembly.LoadFrom(Path.GetFullPath(path));
        return (IIncrementalGenerator)Activator.CreateInstance(assembly.GetType("NormGen.Generator.NormGenerator", throwOnError: true)!)!;
    }

    private static CSharpCompilation Compile(bool withIlgpu, params string[] sources)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => withIlgpu || !Path.GetFileName(p).StartsWith("ILGPU", StringComparison.OrdinalIgnoreCase))
            .Select(p => MetadataReference.CreateFromFile(p))
            .ToList();
        references.Add(MetadataReference.CreateFromFile(typeof(NormGen.NormGpu).Assembly.Location));
        references.Add(MetadataReference.CreateFromFile(typeof(System.Numerics.Tensors.TensorPrimitives).Assembly.Location));
        if (withIlgpu) references.Add(MetadataReference.CreateFromFile(typeof(ILGPU.Runtime.Accelerator).Assembly.Location));
        var parse = new CSharpParseOptions(LanguageVersion.Preview);
        return CSharpCompilation.Create("Sample", sources.Select(s => CSharpSyntaxTree.ParseText(s, parse)), references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
    }

    private static (GeneratorDriver Driver, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(CSharpCompilation compilation, GeneratorDriver? driver = null)
    {
        driver ??= CSharpGeneratorDriver.Create([CreateGenerator().AsSourceGenerator()], parseOptions: (CSharpParseOptions)compilation.SyntaxTrees.First().Options,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return (driver, output, diagnostics);
    }

    /// <summary>Diagnostics in the GPU files (errors anywhere are checked apart).</summary>
    private static bool IsGpuFile(Diagnostic d) => d.Location.SourceTree?.FilePath.EndsWith(".Gpu.g.cs", StringComparison.Ordinal) == true;

    [Fact]
    public void WithoutIlgpuNothingGpuIsEmittedAndTheCodeCompiles()
    {
        CSharpCompilation compilation = Compile(withIlgpu: false, Source);
        Assert.Null(compilation.GetTypeByMetadataName("ILGPU.Runtime.Accelerator"));
        var (driver, output, diagnostics) = Run(compilation);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Empty(diagnostics);
        Assert.NotEmpty(result.GeneratedSources);
        Assert.DoesNotContain(result.GeneratedSources, s => s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal) || s.SourceText.ToString().Contains("ILGPU", StringComparison.Ordinal));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void WithIlgpuEveryMethodGetsCompilableGpuOverloads()
    {
        var (driver, output, diagnostics) = Run(Compile(withIlgpu: true, Source));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Empty(diagnostics);
        string[] gpuHints = result.GeneratedSources.Select(s => s.HintName).Where(h => h.EndsWith(".Gpu.g.cs", StringComparison.Ordinal)).OrderBy(h => h, StringComparer.Ordinal).ToArray();
        Assert.Equal(6, gpuHints.Length);
        // The shared device file (the generic kernels every GPU file launches) comes with any GPU kernel.
        Assert.Contains(result.GeneratedSources, s => s.HintName == "NormGen.GpuDevice.g.cs");
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && IsGpuFile(d)));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)); // the CPU files too (keyword names @in, @out)

        // The overloads: same name, Accelerator or AcceleratorStream first, views for spans.
        INamedTypeSymbol kernels = output.GetTypeByMetadataName("Sample.Gpu.Outer`1+Kernels")!;
        IMethodSymbol[] norm = kernels.GetMembers("Norm").OfType<IMethodSymbol>().ToArray();
        Assert.Equal(3, norm.Length);
        Assert.Contains(norm, m => m.Parameters[0].Type.ToDisplayString() == "ILGPU.Runtime.Accelerator" && m.Parameters.Skip(1).All(p => p.Type.ToDisplayString() == "ILGPU.ArrayView<float>"));
        Assert.Contains(norm, m => m.Parameters[0].Type.ToDisplayString() == "ILGPU.Runtime.AcceleratorStream");
        IMethodSymbol tensor = kernels.GetMembers("Tensor").OfType<IMethodSymbol>().Single(m => m.Parameters[0].Type.Name == "Accelerator");
        Assert.Equal("ILGPU.Runtime.Accelerator accelerator, ILGPU.ArrayView<System.Half> x, ILGPU.ArrayView<System.Half> y, int rowLength",
            string.Join(", ", tensor.Parameters.Select(p => p.Type.ToDisplayString() + " " + p.Name)));
        IMethodSymbol rms = kernels.GetMembers("Rms").OfType<IMethodSymbol>().Single(m => m.Parameters[0].Type.Name == "Accelerator");
        Assert.Equal(Accessibility.Internal, rms.DeclaredAccessibility);
        Assert.Equal("accelerator, in, weight, out, n", string.Join(", ", rms.Parameters.Select(p => p.Name)));
    }

    /// <summary>
    /// The fused-kernels issue's row declarations, BatchNorm evaluation and training and InstanceNorm all get GPU
    /// overloads and report nothing.
    /// </summary>
    [Fact]
    public void EveryRowFusionAndTensorKindGetsGpuOverloadsAndNoDiagnostic()
    {
        var (driver, output, diagnostics) = Run(Compile(withIlgpu: true, FusedSource));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Empty(diagnostics);
        string[] gpuHints = result.GeneratedSources.Select(s => s.HintName).Where(h => h.EndsWith(".Gpu.g.cs", StringComparison.Ordinal)).ToArray();
        Assert.Equal(11, gpuHints.Length);
        Assert.Contains(gpuHints, h => h.Contains("Inorm", StringComparison.Ordinal));
        Assert.Contains(gpuHints, h => h.Contains("BnTrain", StringComparison.Ordinal));
        // Their shared device helpers: one file for the compilation, however many tensor kernels use it.
        Assert.Single(result.GeneratedSources, s => s.HintName == "NormGen.GpuDevice.g.cs");
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && IsGpuFile(d)));

        // Views mirror the span parameters' element types: statistics float, y Half or float as declared.
        INamedTypeSymbol blocks = output.GetTypeByMetadataName("Sample.Gpu.Blocks")!;
        string Signature(string method) => string.Join(", ", blocks.GetMembers(method).OfType<IMethodSymbol>()
            .Single(m => m.Parameters[0].Type.Name == "Accelerator").Parameters.Select(p => p.Type.ToDisplayString() + " " + p.Name));
        Assert.Equal("ILGPU.Runtime.Accelerator accelerator, ILGPU.ArrayView<float> x, ILGPU.ArrayView<float> gamma, ILGPU.ArrayView<float> beta, ILGPU.ArrayView<System.Half> y, ILGPU.ArrayView<float> mean, ILGPU.ArrayView<float> rstd",
            Signature("LnGelu"));
        Assert.Equal("ILGPU.Runtime.Accelerator accelerator, ILGPU.ArrayView<System.Half> x, ILGPU.ArrayView<System.Half> residual, ILGPU.ArrayView<System.Half> weight, ILGPU.ArrayView<float> y, ILGPU.ArrayView<System.Half> residualOut, ILGPU.ArrayView<float> rstd, int rowLength",
            Signature("HalfAddRms"));
        Assert.Equal("ILGPU.Runtime.Accelerator accelerator, ILGPU.ArrayView<float> x, int rowLength, ILGPU.ArrayView<float> residual, ILGPU.ArrayView<float> bias, ILGPU.ArrayView<float> gamma, ILGPU.ArrayView<float> beta, ILGPU.ArrayView<float> y, ILGPU.ArrayView<float> residualOut",
            Signature("SkipLn"));
        Assert.Equal("ILGPU.Runtime.Accelerator accelerator, ILGPU.ArrayView<float> x, ILGPU.ArrayView<float> gamma, ILGPU.ArrayView<float> beta, ILGPU.ArrayView<float> runningMean, ILGPU.ArrayView<float> runningVar, ILGPU.ArrayView<float> y, int spatial",
            Signature("BnEval"));
        Assert.Equal("ILGPU.Runtime.Accelerator accelerator, ILGPU.ArrayView<float> x, ILGPU.ArrayView<float> gamma, ILGPU.ArrayView<float> beta, ILGPU.ArrayView<float> runningMean, ILGPU.ArrayView<float> runningVar, ILGPU.ArrayView<float> y, int spatial",
            Signature("BnTrain"));
        Assert.Equal("ILGPU.Runtime.Accelerator accelerator, ILGPU.ArrayView<float> x, ILGPU.ArrayView<float> y, int channels, int spatial",
            Signature("Inorm"));
        // α is a constant of the declaration's spec struct (the shared kernel multiplies x by it when the flag says so),
        // shown in the remarks.
        string deep = result.GeneratedSources.Single(s => s.HintName.StartsWith("Sample.Gpu.Blocks.Deep.", StringComparison.Ordinal) && s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("public float Alpha => 2.63214", deep, StringComparison.Ordinal);
        Assert.Contains("global::NormGen.Generated.GpuRowFlags.Alpha", deep, StringComparison.Ordinal);
        string device = result.GeneratedSources.Single(s => s.HintName == "NormGen.GpuDevice.g.cs").SourceText.ToString();
        Assert.Contains("if ((spec.Flags & GpuRowFlags.Alpha) != 0) v = spec.Alpha * v;", device, StringComparison.Ordinal);
    }

    private const string BackwardSource = """
        using System;
        using System.Numerics.Tensors;
        using NormGen;

        namespace Sample.Gpu;

        public static partial class Grad
        {
            [LayerNorm(768, Backward = true)]
            public static partial void LnBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);

            [RmsNorm(4096, Backward = true)]
            public static partial void RmsBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> rstd, ReadOnlySpan<float> weight, Span<float> dx, Span<float> dweight);

            [LayerNorm(Affine = Affine.None, Backward = true)]
            public static partial void LnBackwardDyn(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx);

            [LayerNorm(1000, Backward = true)]
            public static partial void LnBackwardDouble(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, ReadOnlySpan<double> gamma, Span<double> dx, Span<double> dgamma, Span<double> dbeta);

            [RmsNorm(Backward = true, ZeroCenteredGamma = true)]
            internal static partial void HalfRms(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> @in, int n, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> weight, Span<Half> dx, Span<float> dweight);

            [LayerNorm(Axes = 1, Backward = true)]
            public static partial void TensorBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);

            [BatchNorm(Training = true, Backward = true)]
            public static partial void BnBackward(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveRstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta);
        }
        """;

    /// <summary>
    /// Every backward declaration gets compilable GPU overloads and no diagnostic: flat-span and tensor-span row backward
    /// (the tensor form's take flat views and, without a static shape, an int row length last) and the tensor kinds'
    /// backward (here BatchNorm training).
    /// </summary>
    [Fact]
    public void EveryBackwardDeclarationGetsCompilableGpuOverloads()
    {
        var (driver, output, diagnostics) = Run(Compile(withIlgpu: true, BackwardSource));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        string[] messages = diagnostics.OrderBy(d => d.Location.SourceSpan.Start).Select(d => d.Id + ": " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Empty(messages);
        string[] gpuHints = result.GeneratedSources.Select(s => s.HintName).Where(h => h.EndsWith(".Gpu.g.cs", StringComparison.Ordinal)).ToArray();
        Assert.Equal(7, gpuHints.Length);
        Assert.Contains(gpuHints, h => h.Contains("BnBackward", StringComparison.Ordinal));
        Assert.Contains(gpuHints, h => h.Contains("TensorBackward", StringComparison.Ordinal));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && IsGpuFile(d)).Select(d => d.Id + ": " + d.GetMessage()));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        INamedTypeSymbol grad = output.GetTypeByMetadataName("Sample.Gpu.Grad")!;
        string Signature(string method) => string.Join(", ", grad.GetMembers(method).OfType<IMethodSymbol>()
            .Single(m => m.Parameters[0].Type.Name == "AcceleratorStream").Parameters.Select(p => p.Type.ToDisplayString() + " " + p.Name));
        Assert.Equal("ILGPU.Runtime.AcceleratorStream stream, ILGPU.ArrayView<float> dy, ILGPU.ArrayView<float> x, ILGPU.ArrayView<float> mean, ILGPU.ArrayView<float> rstd, ILGPU.ArrayView<float> gamma, ILGPU.ArrayView<float> dx, ILGPU.ArrayView<float> dgamma, ILGPU.ArrayView<float> dbeta",
            Signature("LnBackward"));
        Assert.Equal("ILGPU.Runtime.AcceleratorStream stream, ILGPU.ArrayView<System.Half> dy, ILGPU.ArrayView<System.Half> in, int n, ILGPU.ArrayView<float> rstd, ILGPU.ArrayView<System.Half> weight, ILGPU.ArrayView<System.Half> dx, ILGPU.ArrayView<float> dweight",
            Signature("HalfRms"));
        Assert.Equal("ILGPU.Runtime.AcceleratorStream stream, ILGPU.ArrayView<float> dy, ILGPU.ArrayView<float> x, ILGPU.ArrayView<float> saveMean, ILGPU.ArrayView<float> saveRstd, ILGPU.ArrayView<float> gamma, ILGPU.ArrayView<float> dx, ILGPU.ArrayView<float> dgamma, ILGPU.ArrayView<float> dbeta, int spatial",
            Signature("BnBackward"));
        string bn = result.GeneratedSources.Single(s => s.HintName.StartsWith("Sample.Gpu.Grad.BnBackward.", StringComparison.Ordinal) && s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("global::NormGen.Generated.GpuTensorBackwardKernelsFloat.Launch<float, ", bn, StringComparison.Ordinal);
        Assert.Equal("ILGPU.Runtime.AcceleratorStream stream, ILGPU.ArrayView<float> dy, ILGPU.ArrayView<float> x, ILGPU.ArrayView<float> mean, ILGPU.ArrayView<float> rstd, ILGPU.ArrayView<float> gamma, ILGPU.ArrayView<float> dx, ILGPU.ArrayView<float> dgamma, ILGPU.ArrayView<float> dbeta, int rowLength",
            Signature("TensorBackward"));
        // No atomics: the gradients come from block partials and a fixed-order combine.
        string ln = result.GeneratedSources.Single(s => s.HintName.StartsWith("Sample.Gpu.Grad.LnBackward.", StringComparison.Ordinal) && s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal)).SourceText.ToString();
        Assert.DoesNotContain("Atomic", ln, StringComparison.Ordinal);
        // The kernels are the compilation's shared backward kernels, instantiated with the declaration's spec struct.
        Assert.Contains("global::NormGen.Generated.GpuRowBackwardKernelsFloat.Launch<float, ", ln, StringComparison.Ordinal);
        string device = result.GeneratedSources.Single(s => s.HintName == "NormGen.GpuDevice.g.cs").SourceText.ToString();
        Assert.DoesNotContain("Atomic", device, StringComparison.Ordinal);
        Assert.Contains("private const int BlockRows = global::NormGen.RowBackward.BlockRows;", device, StringComparison.Ordinal);
    }

    /// <summary>The shared device file of a compilation (one per compilation when a GPU kernel is emitted).</summary>
    private static string DeviceFile(GeneratorDriver driver) =>
        driver.GetRunResult().Results.Single().GeneratedSources.Single(s => s.HintName == "NormGen.GpuDevice.g.cs").SourceText.ToString();

    /// <summary>The device file's backward parts: the kernel classes, their spec interfaces and the optional kernels, the scratch and the combine.</summary>
    private static readonly string[] BackwardDeviceParts =
    {
        "class GpuRowBackwardKernelsFloat", "class GpuTensorBackwardKernelsFloat", "interface IGpuBackwardSpec", "interface IGpuTensorBackwardSpec",
        "StatisticsWarpPerRowKernel", "void PartialsKernel<", "BiasPartialsKernel", "CombineKernel", "Scratch<T>",
    };

    /// <summary>
    /// A compilation whose GPU declarations are all forward (every row fusion and tensor kind) gets no backward device
    /// code at all: no backward kernel class, no statistics, partials or combine kernel, no scratch.
    /// </summary>
    [Fact]
    public void ForwardOnlyCompilation_GetsNoBackwardDeviceKernels()
    {
        var (driver, output, _) = Run(Compile(withIlgpu: true, FusedSource));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        string device = DeviceFile(driver);
        Assert.Contains("class GpuRowKernelsFloat", device, StringComparison.Ordinal);
        Assert.Contains("class GpuTensorKernelsFloat", device, StringComparison.Ordinal);
        foreach (string part in BackwardDeviceParts)
            Assert.DoesNotContain(part, device, StringComparison.Ordinal);
    }

    /// <summary>
    /// Backward declarations bring their kernels: saved statistics with dγ/dβ (row and tensor kinds) the dx, partials and
    /// combine kernels and the scratch; a fused backward that recomputes its statistics and writes dbias also the
    /// statistics and dbias partials kernels, which the saved-statistics declarations alone do not get.
    /// </summary>
    [Fact]
    public void BackwardDeclarations_GetTheBackwardDeviceKernelsTheyLaunch()
    {
        var (driver, output, _) = Run(Compile(withIlgpu: true, BackwardSource));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        string device = DeviceFile(driver);
        foreach (string part in BackwardDeviceParts.Where(p => p is not ("StatisticsWarpPerRowKernel" or "BiasPartialsKernel")))
            Assert.Contains(part, device, StringComparison.Ordinal);
        Assert.DoesNotContain("StatisticsWarpPerRowKernel", device, StringComparison.Ordinal);
        Assert.DoesNotContain("BiasPartialsKernel", device, StringComparison.Ordinal);

        const string Fused = """
            using System;
            using NormGen;

            namespace Sample.Gpu;

            public static partial class FusedGrad
            {
                [RmsNorm(Residual = true, ResidualBias = true, Backward = true)]
                public static partial void RmsResidualBias(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> weight, Span<float> dh, Span<float> dweight, Span<float> dbias);
            }
            """;
        var (fusedDriver, fusedOutput, _) = Run(Compile(withIlgpu: true, BackwardSource, Fused));
        Assert.Empty(fusedOutput.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        string fused = DeviceFile(fusedDriver);
        foreach (string part in BackwardDeviceParts)
            Assert.Contains(part, fused, StringComparison.Ordinal);
    }

    [Fact]
    public void OutputIsDeterministic()
    {
        string Texts() => string.Join("\n//----\n", Run(Compile(true, Source)).Driver.GetRunResult().Results.Single().GeneratedSources
            .Where(s => s.HintName.Contains(".Gpu.", StringComparison.Ordinal)).OrderBy(s => s.HintName, StringComparer.Ordinal).Select(s => s.HintName + "\n" + s.SourceText));
        string first = Texts();
        Assert.Equal(first, Texts());
        Assert.Matches(@"^Sample\.Gpu\.Outer`1\.Kernels\.Ln2D\.[0-9a-f]{8}\.Gpu\.g\.cs\n// <auto-generated/>", first);
    }

    /// <summary>
    /// The "does the compilation reference ILGPU" step reads the whole compilation, so it runs on every edit: it is built
    /// once for the generator and shared by the nine attributes' GPU outputs (it was built once per attribute, nine times).
    /// </summary>
    [Fact]
    public void IlgpuReferenceCheck_IsOneStep()
    {
        var (driver, _, _) = Run(Compile(withIlgpu: true, Source));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.True(result.TrackedSteps.TryGetValue("NormGen.IlgpuReference", out ImmutableArray<IncrementalGeneratorRunStep> runs));
        Assert.Single(runs);
    }

    [Fact]
    public void AnUnrelatedEditReusesEveryGpuStep()
    {
        CSharpCompilation compilation = Compile(withIlgpu: true, Source);
        var (driver, _, _) = Run(compilation);
        var (driver2, _, _) = Run(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Sample.Gpu; internal static class Unrelated { }", (CSharpParseOptions)compilation.SyntaxTrees.First().Options)), driver);
        GeneratorRunResult second = driver2.GetRunResult().Results.Single();
        foreach (string step in new[] { "NormGen.IlgpuReference", "NormGen.GpuSpecs" })
        {
            Assert.True(second.TrackedSteps.TryGetValue(step, out ImmutableArray<IncrementalGeneratorRunStep> runs), step);
            foreach (IncrementalGeneratorRunStep run in runs)
                foreach (var (value, reason) in run.Outputs)
                {
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {reason}");
                    Assert.False(value is Compilation or ISymbol or SyntaxNode, $"{step} holds a {value.GetType().Name}");
                }
        }
    }
}
