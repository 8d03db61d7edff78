using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// Declarations a user can legally write that once broke the generator (issue 7, items 6, 7, 8, 10 and 13): colliding
/// hint names, keywords as names, names that capture the generated code's framework names, tensor extension methods,
/// huge Half shapes, span and tensor overloads on the GPU, and the user's own documentation.
/// Each runs the whole generator and compiles its output, with and without ILGPU referenced.
/// </summary>
public class RobustnessTests
{
    private const string Usings = "using System;\nusing System.Numerics.Tensors;\nusing NormGen;\n\n";

    /// <summary>Runs the generator; asserts it did not throw, reported no NG error and that the output compiles without errors.</summary>
    internal static (Compilation Output, GeneratorRunResult Result) RunClean(bool withIlgpu, params (string Path, string Text)[] sources)
    {
        var run = Harness.Run(Harness.Compile(withIlgpu, sources));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        var ngErrors = run.Result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(ngErrors.Count == 0, "Generator errors:\n" + Harness.Format(ngErrors));
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The generated compilation has errors:\n" + Harness.Format(errors.Take(20)) + "\n\nFirst generated file with an error:\n" +
            errors.Select(e => e.Location.SourceTree).FirstOrDefault(t => t is not null && t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal))?.ToString());
        return (run.Output, run.Result);
    }

    private const string CollidingNames = """
        namespace App.ml
        {
            public static partial class K
            {
                [LayerNorm(64)]
                public static partial void Norm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

                [LayerNorm(64)]
                public static partial void norm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

                [LayerNorm(64)]
                public static partial void Norm(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y);

                [RmsNorm(64)]
                public static partial void Norm_2(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

                [RmsNorm(64)]
                public static partial void Norm_2(ReadOnlySpan<double> x, ReadOnlySpan<double> weight, Span<double> y);
            }

            public static partial class k
            {
                [RmsNorm(64)]
                public static partial void Norm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
            }

            public static partial class Outer<T>
            {
                public static partial class Inner
                {
                    [RmsNorm(64)]
                    public static partial void Norm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
                }
            }

            public static partial class Outer
            {
                public static partial class Inner
                {
                    [RmsNorm(64)]
                    public static partial void Norm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
                }
            }

            public static partial class Outer_1
            {
                public static partial class Inner
                {
                    [RmsNorm(64)]
                    public static partial void Norm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
                }
            }
        }

        namespace App.ML
        {
            public static partial class K
            {
                [LayerNorm(64)]
                public static partial void Norm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

                [LayerNorm(Axes = 1)]
                public static partial void Norm(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);
            }
        }
        """;

    /// <summary>Item 6: names equal but for case, overloads beside a method called Norm_2, generic and nested types.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HintNamesAreUniqueIgnoringCase(bool withIlgpu)
    {
        var (_, result) = RunClean(withIlgpu, ("Colliding.cs", Usings + CollidingNames));
        string[] hints = result.GeneratedSources.Select(s => s.HintName).ToArray();
        Assert.Equal(withIlgpu ? 23 : 11, hints.Length); // with ILGPU: a GPU file per kernel and the shared NormGen.GpuDevice.g.cs
        Assert.Equal(hints.Length, hints.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        // Readable: namespace, types and method first, then a short hash of the exact signature.
        Assert.Contains(hints, h => System.Text.RegularExpressions.Regex.IsMatch(h, @"^App\.ml\.K\.Norm\.[0-9a-f]{8}\.g\.cs$"));
        Assert.Contains(hints, h => System.Text.RegularExpressions.Regex.IsMatch(h, @"^App\.ml\.Outer`1\.Inner\.Norm\.[0-9a-f]{8}\.g\.cs$"));
    }

    /// <summary>Item 6: the hint name of one declaration does not depend on the other declarations or on the run.</summary>
    [Fact]
    public void HintNamesAreStable()
    {
        const string one = "namespace App.ml { public static partial class K { [RmsNorm(64)] public static partial void Norm_2(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y); } }";
        string alone = Harness.Run(Harness.Compile(("A.cs", Usings + one))).Result.GeneratedSources.Single().HintName;
        var all = Harness.Run(Harness.Compile(("B.cs", Usings + CollidingNames))).Result.GeneratedSources.Select(s => s.HintName).ToList();
        Assert.Contains(alone, all);
    }

    private const string Keywords = """
        namespace App.@checked.@event
        {
            public static partial class @struct
            {
                [LayerNorm(64)]
                public static partial void @checked(ReadOnlySpan<float> @in, ReadOnlySpan<float> @base, ReadOnlySpan<float> @this, Span<float> @out);

                [LayerNorm(Residual = true, SaveStatistics = true)]
                internal static partial void @in(ReadOnlySpan<Half> @params, int @int, ReadOnlySpan<Half> @ref, ReadOnlySpan<Half> @gamma, ReadOnlySpan<Half> @beta, Span<Half> @return, Span<Half> @object, Span<float> @mean, Span<float> @float);

                [LayerNorm(Axes = 2)]
                public static partial void @var(ReadOnlyTensorSpan<double> @in, ReadOnlySpan<double> @value, ReadOnlySpan<double> @from, TensorSpan<double> @out);

                [GroupNorm(2)]
                public static partial void @new(ReadOnlyTensorSpan<float> @in, ReadOnlySpan<float> @class, ReadOnlySpan<float> @record, TensorSpan<float> @out);

                [BatchNorm(Training = true)]
                public static partial void @do(ReadOnlyTensorSpan<float> @in, ReadOnlySpan<float> @if, ReadOnlySpan<float> @else, Span<float> @for, Span<float> @while, TensorSpan<float> @out);

                [BatchNorm]
                public static partial void @async(ReadOnlyTensorSpan<float> @in, ReadOnlySpan<float> @if, ReadOnlySpan<float> @else, ReadOnlySpan<float> @for, ReadOnlySpan<float> @while, TensorSpan<float> @out);

                [InstanceNorm]
                public static partial void @await(ReadOnlyTensorSpan<float> @in, TensorSpan<float> @out);

                [MinMaxScale]
                public static partial void @operator(ReadOnlyTensorSpan<float> @in, TensorSpan<float> @out);

                [Standardize]
                public static partial void @implicit(ReadOnlyTensorSpan<float> @in, TensorSpan<float> @out);

                [ChannelLayerNorm]
                public static partial void @explicit(ReadOnlyTensorSpan<float> @in, ReadOnlySpan<float> @weight, ReadOnlySpan<float> @bias, TensorSpan<float> @out);

                [DeepNorm(128, Alpha = 2f)]
                public static partial void @record(ReadOnlySpan<float> @in, ReadOnlySpan<float> @sizeof, ReadOnlySpan<float> @typeof, ReadOnlySpan<float> @default, Span<float> @out);

                public partial class @class
                {
                    [RmsNorm(Axes = 1)]
                    public static partial void @static(ReadOnlyTensorSpan<float> @in, ReadOnlySpan<float> @weight, TensorSpan<float> @out);
                }
            }
        }
        """;

    /// <summary>Item 7: keywords as namespace, type, method and parameter names, in every emitter.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KeywordNamesAreEscaped(bool withIlgpu)
    {
        var (_, result) = RunClean(withIlgpu, ("Keywords.cs", Usings + Keywords));
        Assert.Equal(withIlgpu ? 12 + 12 + 1 : 12, result.GeneratedSources.Length); // GPU: every kernel (row kinds, BatchNorm evaluation and training, the other tensor kinds), and the tensor kernels' shared device helpers
    }

    /// <summary>Framework names, <c>nameof</c> and the old helper-class names, declared by the user where they would capture.</summary>
    private const string Capture = """
        namespace Lib
        {
            // Types of the enclosing namespace: visible from every class declared in namespace Lib.Math.
            public static class MathF { }
            public static class Unsafe { }
            public static class Vector128 { }
            public static class Vector256 { }
            public static class MemoryExtensions { }
            public static class ArrayPool<T> { }
            public static class MethodImplOptions { }
            public static class Activations { }
            public static class NormGuard { }
        }

        namespace Lib.Math
        {
            public static class MemoryMarshal { }
            public static class TensorPrimitives { }
            public static class ArgumentOutOfRangeException { }
            public static class ArgumentException { }

            public static partial class Kernels
            {
                // Members of the containing type: visible from the generated method bodies.
                public static void nameof(object value) { }
                public static int Unsafe = 0;
                public static int MemoryMarshal() => 0;
                public static class Math { }
                public static class MathF { }
                public const int Vector512 = 512;
                public static class TensorPrimitives { }
                public class Span<T> { }
                public class ReadOnlySpan<T> { }
                public class Half { }
                public class NormKernel { }
                public static void LnKernel() { }
                public static int RmsHalfKernel;
                public static class NormKernelGpu { }

                [LayerNorm(64)]
                public static partial void Norm(global::System.ReadOnlySpan<float> MemoryMarshal, global::System.ReadOnlySpan<float> Unsafe, global::System.ReadOnlySpan<float> Math, global::System.Span<float> MathF);

                [LayerNorm(Residual = true, SaveStatistics = true, Activation = Activation.Gelu)]
                public static partial void Ln(global::System.ReadOnlySpan<float> Vector512, int TensorPrimitives, global::System.ReadOnlySpan<float> NormKernel, global::System.ReadOnlySpan<float> gamma, global::System.ReadOnlySpan<float> beta, global::System.Span<float> y, global::System.Span<float> Span, global::System.Span<float> ReadOnlySpan, global::System.Span<float> Half);

                [RmsNorm(Axes = 1, Residual = true)]
                public static partial void RmsHalf(ReadOnlyTensorSpan<global::System.Half> x, global::System.ReadOnlySpan<global::System.Half> nameof, global::System.ReadOnlySpan<global::System.Half> weight, TensorSpan<global::System.Half> LnKernel, global::System.Span<global::System.Half> Vector256);

                [RmsNorm(100)]
                public static partial void Rms(global::System.ReadOnlySpan<double> Vector128, global::System.ReadOnlySpan<double> weight, global::System.Span<double> ArgumentException);

                [LayerNorm(8, 96, Affine = Affine.Scale)]
                public static partial void Ln2D(ReadOnlyTensorSpan<float> ArrayPool, global::System.ReadOnlySpan<float> ConvertToSingle, TensorSpan<float> RowScheduler);

                [GroupNorm(2)]
                public static partial void Gn(ReadOnlyTensorSpan<global::System.Half> Math, global::System.ReadOnlySpan<global::System.Half> Unsafe, global::System.ReadOnlySpan<global::System.Half> MemoryMarshal, TensorSpan<global::System.Half> nameof);

                [BatchNorm(Training = true)]
                public static partial void BnTrain(ReadOnlyTensorSpan<double> Math, global::System.ReadOnlySpan<double> Unsafe, global::System.ReadOnlySpan<double> MemoryMarshal, global::System.Span<double> TensorPrimitives, global::System.Span<double> Vector512, TensorSpan<double> nameof);

                [BatchNorm]
                public static partial void BnEval(ReadOnlyTensorSpan<global::System.Half> Math, global::System.ReadOnlySpan<global::System.Half> Unsafe, global::System.ReadOnlySpan<global::System.Half> MemoryMarshal, global::System.ReadOnlySpan<global::System.Half> TensorPrimitives, global::System.ReadOnlySpan<global::System.Half> Vector512, TensorSpan<global::System.Half> nameof);

                [InstanceNorm(Affine = Affine.ScaleAndBias)]
                public static partial void Inorm(ReadOnlyTensorSpan<float> Math, global::System.ReadOnlySpan<float> Unsafe, global::System.ReadOnlySpan<float> MemoryMarshal, TensorSpan<float> nameof);

                [MinMaxScale]
                public static partial void MinMax(ReadOnlyTensorSpan<double> MathF, TensorSpan<double> Math);

                [Standardize]
                public static partial void Z(ReadOnlyTensorSpan<float> MathF, TensorSpan<float> Math);

                [LayerNorm(64, Backward = true)]
                public static partial void LnBack(global::System.ReadOnlySpan<float> MemoryMarshal, global::System.ReadOnlySpan<float> Unsafe, global::System.ReadOnlySpan<float> Math, global::System.ReadOnlySpan<float> MathF, global::System.ReadOnlySpan<float> nameof, global::System.Span<float> Vector512, global::System.Span<float> Span, global::System.Span<float> Half);

                [GroupNorm(2, Backward = true)]
                public static partial void @checked(ReadOnlyTensorSpan<float> Math, ReadOnlyTensorSpan<float> Unsafe, global::System.ReadOnlySpan<float> @in, global::System.ReadOnlySpan<float> nameof, global::System.ReadOnlySpan<float> MemoryMarshal, TensorSpan<float> Vector128, global::System.Span<float> @out, global::System.Span<float> TensorPrimitives);

                [ChannelLayerNorm]
                public static partial void Cln(ReadOnlyTensorSpan<global::System.Half> MathF, global::System.ReadOnlySpan<global::System.Half> Unsafe, global::System.ReadOnlySpan<global::System.Half> Vector128, TensorSpan<global::System.Half> Math);

                // A parameter named like its method: the GPU overload that forwards to the other must not call the parameter.
                [RmsNorm(64)]
                public static partial void Self(global::System.ReadOnlySpan<float> Self, global::System.ReadOnlySpan<float> weight, global::System.Span<float> y);

                [BatchNorm]
                public static partial void BnSelf(ReadOnlyTensorSpan<float> BnSelf, global::System.ReadOnlySpan<float> gamma, global::System.ReadOnlySpan<float> beta, global::System.ReadOnlySpan<float> runningMean, global::System.ReadOnlySpan<float> runningVar, TensorSpan<float> y);

                [DeepNorm(128, Architecture = DeepNetArchitecture.EncoderOnly, Layers = 6)]
                public static partial void Deep(global::System.ReadOnlySpan<double> Math, global::System.ReadOnlySpan<double> MathF, global::System.ReadOnlySpan<double> Unsafe, global::System.ReadOnlySpan<double> nameof, global::System.Span<double> MemoryMarshal);
            }
        }
        """;

    /// <summary>
    /// Item 8: every framework name in the generated code is global::-qualified, the helper classes have names no
    /// user member takes, and parameter names are written as strings rather than through a nameof a member can shadow.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UserNamesDoNotCaptureGeneratedNames(bool withIlgpu)
    {
        var (_, result) = RunClean(withIlgpu, ("Capture.cs", Usings + Capture));
        Assert.Equal(withIlgpu ? 17 + 17 + 1 : 17, result.GeneratedSources.Length); // GPU: the seven row kernels, two BatchNorm evaluations, the row backward kernel, the six other tensor kernels, the GroupNorm backward and their shared device helpers
        foreach (GeneratedSourceResult source in result.GeneratedSources)
            Assert.DoesNotContain("nameof(", source.SourceText.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Item 8: a global using (alias or static) of the user does not reach into the generated code either.</summary>
    [Fact]
    public void GlobalUsingsDoNotCaptureGeneratedNames()
    {
        const string globals = """
            global using MemoryMarshal = System.Console;
            global using static System.Console;
            global using Vector512 = System.Text.StringBuilder;
            global using Unsafe = System.Text.StringBuilder;
            """;
        RunClean(false, ("Globals.cs", globals), ("Capture.cs", Usings + "namespace G { public static partial class K { [LayerNorm(64)] public static partial void Norm(ReadOnlySpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y); [GroupNorm(4)] public static partial void Gn(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y); } }"));
    }

    /// <summary>Item 10: extension methods keep 'this' on tensor kinds and on tensor-form row kinds.</summary>
    [Theory]
    [InlineData("[GroupNorm(4)] public static partial void M(this ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);")]
    [InlineData("[InstanceNorm] public static partial void M(this ReadOnlyTensorSpan<Half> x, TensorSpan<Half> y);")]
    [InlineData("[BatchNorm] public static partial void M(this ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar, TensorSpan<double> y);")]
    [InlineData("[LayerNorm(Axes = 1)] public static partial void M(this ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);")]
    public void TensorExtensionMethodsKeepThis(string declaration)
    {
        var (output, _) = RunClean(true, ("Ext.cs", Usings + "namespace E;\npublic static partial class Ext { " + declaration + " }"));
        IMethodSymbol m = output.GetTypeByMetadataName("E.Ext")!.GetMembers("M").OfType<IMethodSymbol>().First(m => m.PartialImplementationPart is not null);
        Assert.True(m.IsExtensionMethod);
    }

    /// <summary>Item 10: Half kernels with a compile-time row too long for one scratch array of all the staged rows (CS0220).</summary>
    [Theory]
    [InlineData("[LayerNorm(1 << 30, Residual = true, ResidualBias = true)] public static partial void M(ReadOnlySpan<Half> x, ReadOnlySpan<Half> residual, ReadOnlySpan<Half> bias, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y, Span<Half> residualOut);")]
    [InlineData("[RmsNorm(1 << 29, 3)] public static partial void M(ReadOnlySpan<Half> x, ReadOnlySpan<Half> weight, Span<Half> y);")]
    [InlineData("[LayerNorm(2147483647)] public static partial void M(ReadOnlySpan<Half> x, ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, Span<Half> y);")]
    [InlineData("[LayerNorm(1 << 29, 3, Affine = Affine.Scale)] public static partial void M(ReadOnlyTensorSpan<Half> x, ReadOnlySpan<Half> gamma, TensorSpan<Half> y);")]
    public void HugeStaticHalfShapesCompile(string declaration)
    {
        RunClean(true, ("Huge.cs", Usings + "namespace H;\npublic static partial class K { " + declaration + " }"));
    }

    /// <summary>
    /// Item 10: a span and a tensor-span declaration of one kernel would get GPU overloads with identical signatures
    /// (CS0111): the span form keeps its GPU overloads, the tensor form gets none and NG0030 says why.
    /// </summary>
    [Fact]
    public void SpanAndTensorOverloadsDoNotCollideOnTheGpu()
    {
        const string source = """
            namespace O;
            public static partial class K
            {
                [LayerNorm(Axes = 1)]
                public static partial void Norm(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);

                [LayerNorm]
                public static partial void Norm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, int n);

                [RmsNorm(64)]
                public static partial void Rms(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);

                [RmsNorm(64)]
                public static partial void Rms(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);

                [RmsNorm(64)]
                public static partial void Rms(ReadOnlyTensorSpan<double> x, ReadOnlySpan<double> weight, TensorSpan<double> y);
            }
            """;
        var run = Harness.Run(Harness.Compile(true, ("O.cs", Usings + source)));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, Harness.Format(errors));
        var ng = run.Result.Diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ToList();
        Assert.Equal(new[] { "NG0030", "NG0030" }, ng.Select(d => d.Id));
        Assert.All(ng, d => Assert.Equal(DiagnosticSeverity.Warning, d.Severity));
        Assert.Contains("'Norm'", ng[0].GetMessage(), StringComparison.Ordinal);
        Assert.Contains("'Rms'", ng[1].GetMessage(), StringComparison.Ordinal);
        // The tensor forms' declarations carry the warnings.
        string[] lines = (Usings + source).Split('\n');
        Assert.All(ng, d => Assert.Contains("ReadOnlyTensorSpan<float>", lines[d.Location.GetLineSpan().StartLinePosition.Line], StringComparison.Ordinal));
        // Three GPU files: Norm (span), Rms (span), Rms (double tensor, whose views differ).
        Assert.Equal(3, run.Result.GeneratedSources.Count(s => s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal)));
    }

    private const string Documented = """
        namespace D;
        public static partial class K
        {
            /// <summary>My own summary of <see cref="Norm"/>.</summary>
            /// <param name="x">The activations.</param>
            /// <param name="gamma">Scale.</param>
            /// <param name="beta">Shift.</param>
            /// <param name="y">Where the result goes.</param>
            [LayerNorm(64)]
            public static partial void Norm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

            /// <summary>Grouped, <see cref="Span{T}"/>.</summary>
            /// <remarks>My remarks.</remarks>
            [GroupNorm(2, Affine = Affine.None)]
            public static partial void Gn(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);

            [RmsNorm(64)]
            public static partial void Undocumented(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
        }
        """;

    /// <summary>Item 13: the user's summary and param tags reach the XML documentation; the generated explanation fills in only what the user left out.</summary>
    [Fact]
    public void UserDocumentationIsKept()
    {
        var (output, _) = RunClean(false, ("D.cs", Usings + Documented));
        var xml = new MemoryStream();
        var emit = output.Emit(new MemoryStream(), xmlDocumentationStream: xml);
        Assert.True(emit.Success, Harness.Format(emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        XDocument doc = XDocument.Parse(System.Text.Encoding.UTF8.GetString(xml.ToArray()));
        XElement Member(string prefix) => doc.Descendants("member").Single(m => ((string)m.Attribute("name")!).StartsWith(prefix, StringComparison.Ordinal));

        XElement norm = Member("M:D.K.Norm(");
        Assert.Equal("My own summary of .", norm.Element("summary")!.Value.Trim());
        Assert.Equal("M:D.K.Norm(System.ReadOnlySpan{System.Single},System.ReadOnlySpan{System.Single},System.ReadOnlySpan{System.Single},System.Span{System.Single})",
            (string)norm.Element("summary")!.Element("see")!.Attribute("cref")!);
        Assert.Equal(new[] { "The activations.", "Scale.", "Shift.", "Where the result goes." }, norm.Elements("param").Select(p => p.Value.Trim()));
        Assert.Contains("Computes, for each row", norm.Element("remarks")?.Value ?? "", StringComparison.Ordinal); // the generated explanation is added
        Assert.Single(norm.Elements("summary"));

        XElement gn = Member("M:D.K.Gn(");
        Assert.Equal("T:System.Span`1", (string)gn.Element("summary")!.Element("see")!.Attribute("cref")!);
        Assert.Equal("My remarks.", Assert.Single(gn.Elements("remarks")).Value.Trim());

        XElement undocumented = Member("M:D.K.Undocumented(");
        Assert.Contains("RMS normalization", undocumented.Element("summary")!.Value, StringComparison.Ordinal);

        // The symbol API (IntelliSense) sees the same.
        IMethodSymbol normSymbol = output.GetTypeByMetadataName("D.K")!.GetMembers("Norm").OfType<IMethodSymbol>().Single();
        Assert.Contains("The activations.", normSymbol.GetDocumentationCommentXml(), StringComparison.Ordinal);
        Assert.Contains("My own summary", normSymbol.PartialImplementationPart!.GetDocumentationCommentXml(), StringComparison.Ordinal);
    }
}
