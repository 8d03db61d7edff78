using System;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// What the attributes' tooltips (the runtime's XML documentation) say about threading agrees with what the generated
/// kernels do: a kind whose generated remarks spread work over threads is documented so, and one that runs on the
/// calling thread says that.
/// </summary>
public class DocumentationTests
{
    private const string Preamble = "using System;\nusing System.Numerics.Tensors;\nusing NormGen;\n\nnamespace D;\n\npublic static partial class K\n{\n";

    [Theory]
    [InlineData("ChannelLayerNorm", "[ChannelLayerNorm] public static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);")]
    [InlineData("BatchNorm", "[BatchNorm] public static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, TensorSpan<float> y);")]
    [InlineData("BatchNorm", "[BatchNorm(Training = true)] public static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y);")]
    [InlineData("GroupNorm", "[GroupNorm(2)] public static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y);")]
    [InlineData("InstanceNorm", "[InstanceNorm] public static partial void M(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);")]
    [InlineData("MinMaxScale", "[MinMaxScale] public static partial void M(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);")]
    [InlineData("Standardize", "[Standardize] public static partial void M(ReadOnlyTensorSpan<float> x, TensorSpan<float> y);")]
    public void AttributeTooltipMatchesTheKernelsThreading(string attribute, string declaration)
    {
        var run = Harness.Run(Harness.Compile(Preamble + declaration + "\n}\n"));
        Assert.Empty(run.Result.Diagnostics);
        string kernel = Harness.Sources(run.Result).Single().Text;
        bool threaded = kernel.Contains("Large tensors spread their independent blocks over up to", StringComparison.Ordinal);
        bool training = declaration.Contains("Training = true", StringComparison.Ordinal);

        string remarks = Remarks(attribute);
        if (threaded)
        {
            Assert.Contains("NormGen.NormGenSettings.MaxDegreeOfParallelism", remarks);
            Assert.Contains(" threads", remarks);
            Assert.DoesNotContain("Kernels run on the calling thread", remarks);
        }
        else
        {
            Assert.Contains(training ? "Training runs on the calling thread" : "Runs on the calling thread", remarks);
        }
    }

    /// <summary>
    /// The remarks say what the kernel normalizes: DeepNorm and the pre-norm residual normalize h = α·x + residual, so
    /// their statistics paragraph speaks of h (it said "x − μ" for every row kernel).
    /// </summary>
    [Theory]
    [InlineData("[DeepNorm(64, Architecture = DeepNetArchitecture.EncoderOnly, Layers = 24)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);", "h")]
    [InlineData("[RmsNorm(64, Residual = true)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, Span<float> y, Span<float> residualOut);", "h")]
    [InlineData("[LayerNorm(64)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);", "x")]
    public void RowRemarks_NameTheRowThatIsNormalized(string declaration, string normalized)
    {
        var run = Harness.Run(Harness.Compile(Preamble + declaration + "\n}\n"));
        Assert.Empty(run.Result.Diagnostics);
        string kernel = Harness.Sources(run.Result).Single().Text;
        string other = normalized == "h" ? "x" : "h";
        Assert.Contains($"redone on {normalized}·2⁻ᵏ", kernel, StringComparison.Ordinal);
        Assert.DoesNotContain($"redone on {other}·2⁻ᵏ", kernel, StringComparison.Ordinal);
        if (!declaration.Contains("RmsNorm", StringComparison.Ordinal))
            Assert.Contains($"{normalized} − μ is formed as ({normalized} − shift)", kernel, StringComparison.Ordinal);
    }

    /// <summary>The remarks of NormGen.{attribute}Attribute in the runtime's XML documentation file.</summary>
    private static string Remarks(string attribute)
    {
        string xml = Path.ChangeExtension(typeof(global::NormGen.LayerNormAttribute).Assembly.Location, ".xml");
        XElement member = XDocument.Load(xml).Descendants("member")
            .Single(m => (string?)m.Attribute("name") == $"T:NormGen.{attribute}Attribute");
        return string.Join(" ", member.Element("remarks")!.DescendantNodes().Select(n => n switch
        {
            XText t => t.Value,
            XElement { Name.LocalName: "see" } e => (string?)e.Attribute("cref") ?? "",
            _ => "",
        })).Replace("\n", " ");
    }
}
