using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using NormGen.Generator.Model;

namespace NormGen.Generator.Tests;

/// <summary>The shapes of the emitter grid: what the attribute says about the row and how x and y are passed.</summary>
internal enum GridShape
{
    /// <summary>[Norm(768)], flat spans: the common transformer row.</summary>
    Static768,

    /// <summary>[Norm(8, 96)], flat spans: two normalized axes, 768 elements.</summary>
    Static8x96,

    /// <summary>[Norm(13)]: not a multiple of any vector width, so every path has an overlapping tail.</summary>
    Static13,

    /// <summary>[Norm(3)]: shorter than a 128-bit float vector, so (for float and Half) only the scalar path exists.</summary>
    Static3,

    /// <summary>[Norm], flat spans and an <c>int rowLength</c> parameter.</summary>
    RuntimeFlat,

    /// <summary>[Norm(Axes = 2)], tensor spans: the shape comes from the tensor at run time.</summary>
    RuntimeTensorAxes2,

    /// <summary>[Norm(8, 96)], tensor spans: compile-time shape checked against the tensor's trailing axes.</summary>
    StaticTensor8x96,
}

/// <summary>One cell of the grid kind × shape × affine × element, with the spec the parser should produce for it.</summary>
internal sealed record GridCase(NormKind Kind, GridShape Shape, AffineMode Affine, ElementKind Element)
{
    public string Name => $"{Kind}_{Shape}_{Affine}_{Element}";

    public string MethodName => Kind == NormKind.LayerNorm ? "Ln" : "Rms";

    public override string ToString() => Name;

    private bool Tensor => Shape is GridShape.RuntimeTensorAxes2 or GridShape.StaticTensor8x96;

    private int[] ShapeValues => Shape switch
    {
        GridShape.Static768 => new[] { 768 },
        GridShape.Static8x96 or GridShape.StaticTensor8x96 => new[] { 8, 96 },
        GridShape.Static13 => new[] { 13 },
        GridShape.Static3 => new[] { 3 },
        _ => Array.Empty<int>(),
    };

    private string T => Element switch
    {
        ElementKind.Double => "double",
        ElementKind.Half => "Half",
        _ => "float",
    };

    private string GammaName => Kind == NormKind.RmsNorm ? "weight" : "gamma";

    internal IEnumerable<ParameterSpec> Parameters()
    {
        yield return new ParameterSpec("x", ParamRole.Input, Tensor ? ParamForm.ReadOnlyTensorSpan : ParamForm.ReadOnlySpan, Element);
        if (Shape == GridShape.RuntimeFlat) yield return new ParameterSpec("rowLength", ParamRole.RowLength, ParamForm.Int32, Element);
        if (Affine >= AffineMode.Scale) yield return new ParameterSpec(GammaName, ParamRole.Gamma, ParamForm.ReadOnlySpan, Element);
        if (Affine == AffineMode.ScaleAndBias) yield return new ParameterSpec("beta", ParamRole.Beta, ParamForm.ReadOnlySpan, Element);
        yield return new ParameterSpec("y", ParamRole.Output, Tensor ? ParamForm.TensorSpan : ParamForm.Span, Element);
    }

    /// <summary>The spec, written by hand (not by the parser) as the emitter's input.</summary>
    internal KernelSpec Spec() => new(
        Namespace: "Grid",
        ContainingTypes: new[] { new TypeDeclSpec("class", "Kernels") }.ToEquatableArray(),
        MethodName: MethodName,
        Modifiers: "public static partial",
        HintName: $"Grid.Kernels.{MethodName}.g.cs",
        KernelClassName: MethodName + "Kernel",
        Kind: Kind,
        Element: Element,
        Shape: ShapeValues.ToEquatableArray(),
        Axes: Shape == GridShape.RuntimeTensorAxes2 ? 2 : Math.Max(1, ShapeValues.Length),
        Epsilon: Kind == NormKind.RmsNorm ? 1e-6f : 1e-5f,
        Affine: Affine,
        Parameters: Parameters().ToEquatableArray());

    /// <summary>The user's declaration that <see cref="Spec"/> describes, attribute included.</summary>
    public string Declaration()
    {
        var args = new List<string>(ShapeValues.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        if (Shape == GridShape.RuntimeTensorAxes2) args.Add("Axes = 2");
        args.Add(Kind == NormKind.RmsNorm ? "Epsilon = 1e-6f" : "Epsilon = 1e-5f");
        args.Add("Affine = Affine." + Affine);
        string attribute = (Kind == NormKind.LayerNorm ? "LayerNorm" : "RmsNorm") + "(" + string.Join(", ", args) + ")";
        string parameters = string.Join(", ", Parameters().Select(p => p.Form switch
        {
            ParamForm.ReadOnlySpan => $"ReadOnlySpan<{T}> {p.Name}",
            ParamForm.Span => $"Span<{T}> {p.Name}",
            ParamForm.ReadOnlyTensorSpan => $"ReadOnlyTensorSpan<{T}> {p.Name}",
            ParamForm.TensorSpan => $"TensorSpan<{T}> {p.Name}",
            _ => $"int {p.Name}",
        }));
        var sb = new StringBuilder();
        sb.Append("using System;\nusing System.Numerics.Tensors;\nusing NormGen;\n\nnamespace Grid;\n\n");
        sb.Append("public static partial class Kernels\n{\n");
        sb.Append("    [").Append(attribute).Append("]\n");
        sb.Append("    public static partial void ").Append(MethodName).Append('(').Append(parameters).Append(");\n");
        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>The row kinds the grid covers (the tensor kinds and the fusions have their own cases).</summary>
    private static readonly NormKind[] Kinds = { NormKind.LayerNorm, NormKind.RmsNorm };

    /// <summary>The element types of the grid (long is only BatchNorm's counter).</summary>
    private static readonly ElementKind[] Elements = { ElementKind.Float, ElementKind.Double, ElementKind.Half };

    /// <summary>Every cell: 2 kinds × 7 shapes × 3 affine modes × 3 element types = 126.</summary>
    public static IEnumerable<GridCase> All()
    {
        foreach (NormKind kind in Kinds)
        foreach (GridShape shape in Enum.GetValues<GridShape>())
        foreach (AffineMode affine in Enum.GetValues<AffineMode>())
        foreach (ElementKind element in Elements)
            yield return new GridCase(kind, shape, affine, element);
    }

    /// <summary>
    /// The cells worth a snapshot (the rest are compiled, not snapshotted): every shape with float and the kind's
    /// default affine; the other affine modes at [768]; double and Half at [768], 13, 3, run-time flat and tensor.
    /// </summary>
    public static IEnumerable<GridCase> Snapshotted()
    {
        var set = new List<GridCase>();
        foreach (NormKind kind in Kinds)
        {
            AffineMode defaultAffine = kind == NormKind.RmsNorm ? AffineMode.Scale : AffineMode.ScaleAndBias;
            foreach (GridShape shape in Enum.GetValues<GridShape>())
                set.Add(new GridCase(kind, shape, defaultAffine, ElementKind.Float));
            foreach (AffineMode affine in Enum.GetValues<AffineMode>())
                set.Add(new GridCase(kind, GridShape.Static768, affine, ElementKind.Float));
            foreach (ElementKind element in new[] { ElementKind.Double, ElementKind.Half })
            foreach (GridShape shape in new[] { GridShape.Static768, GridShape.Static13, GridShape.Static3, GridShape.RuntimeFlat, GridShape.RuntimeTensorAxes2 })
                set.Add(new GridCase(kind, shape, shape == GridShape.Static3 ? AffineMode.None : defaultAffine, element));
        }
        return set.Distinct();
    }

    /// <summary>Looks a cell up by <see cref="Name"/> (theories take the name: the spec types are internal).</summary>
    public static GridCase Parse(string name) => All().Single(c => c.Name == name);

    public static IEnumerable<object[]> AllNames() => All().Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> SnapshottedNames() => Snapshotted().Select(c => new object[] { c.Name });
}
