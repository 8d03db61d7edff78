using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace NormGen.Generator.Diagnostics;

/// <summary>Every diagnostic NormGen reports. IDs are stable: never renumber, only add.</summary>
internal static class NormGenDiagnostics
{
    private const string Category = "NormGen";

    /// <summary>
    /// Help links point at the diagnostics page that ships inside the NormGen package (and sits at the same path in the
    /// source tree): <c>docs/diagnostics.md#ng0007</c>, relative to the package folder. The project has no public web
    /// home yet, and a link to a site that does not exist would be worse than a relative one; IDEs that need an
    /// absolute URI fall back to their search link. When the project has a public home, make this its absolute URL.
    /// </summary>
    internal const string HelpBase = "docs/diagnostics.md#";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + id.ToLowerInvariant());

    public static readonly DiagnosticDescriptor MethodMustBeStaticPartial = Error("NG0001",
        "Kernel method must be 'static partial void' without a body",
        "Method '{0}' must be declared 'static partial void {0}(...);' with no body: NormGen writes the body. Write: {1}");

    public static readonly DiagnosticDescriptor ContainingTypeMustBePartial = Error("NG0002",
        "Containing type must be partial",
        "Type '{0}' contains the NormGen method '{1}' and must be declared 'partial' (and so must every type around it)");

    public static readonly DiagnosticDescriptor GenericMethod = Error("NG0003",
        "Kernel method cannot be generic",
        "Method '{0}' is generic; NormGen specialises each kernel for one element type. Declare one method per element type, e.g. {1}");

    public static readonly DiagnosticDescriptor UnsupportedParameterType = Error("NG0004",
        "Unsupported parameter type",
        "Parameter '{0}' has type '{1}'; NormGen accepts ReadOnlySpan<T>, Span<T>, ReadOnlyTensorSpan<T>, TensorSpan<T> (by value, no ref/in/out) and one int row length. Expected: {2}");

    public static readonly DiagnosticDescriptor UnsupportedElementType = Error("NG0005",
        "Unsupported element type",
        "Parameter '{0}' has element type '{1}'; the element type must be float, double or System.Half. Expected: {2}");

    public static readonly DiagnosticDescriptor ElementTypesDisagree = Error("NG0006",
        "Element types disagree",
        "Parameter '{0}' has element type '{1}' but must have '{2}' (the input's element type; statistics are float, or double for double inputs). Expected: {3}");

    public static readonly DiagnosticDescriptor SignatureDoesNotMatch = Error("NG0007",
        "Parameters do not match the attribute",
        "Method '{0}' has {1}; with {2} the method must be: {3}");

    public static readonly DiagnosticDescriptor ShapeEntryNotPositive = Error("NG0008",
        "Normalized shape entry must be positive",
        "Normalized shape entry {0} is {1}; every size must be at least 1, e.g. [{2}(768)]");

    public static readonly DiagnosticDescriptor ShapeTooLarge = Error("NG0009",
        "Normalized shape is too large",
        "The normalized shape [{0}] has more than 2147483647 elements per row; a row must fit in an int");

    public static readonly DiagnosticDescriptor AxesDisagreeWithShape = Error("NG0010",
        "Axes disagrees with the normalized shape",
        "Axes = {0} but the normalized shape [{1}] has {2} axes; remove Axes or make it {2}");

    public static readonly DiagnosticDescriptor AxesNotPositive = Error("NG0011",
        "Axes must be at least 1",
        "Axes = {0}; at least one trailing axis must be normalized, e.g. Axes = 1");

    public static readonly DiagnosticDescriptor InvalidEpsilon = Error("NG0012",
        "Epsilon must be positive and finite",
        "Epsilon = {0}; ε must be a positive finite number, e.g. Epsilon = {1}");

    public static readonly DiagnosticDescriptor NoShape = Error("NG0013",
        "Normalized shape unknown",
        "Method '{0}' gives no normalized shape: give it in the attribute ([{1}(768)]), or take tensor spans and set Axes ([{1}(Axes = 1)]), or add an 'int rowLength' parameter after x. Expected: {2}");

    public static readonly DiagnosticDescriptor OutputNotWritable = Error("NG0014",
        "Output must be writable",
        "Parameter '{0}' is an output and must be a {1}; write: {2}");

    public static readonly DiagnosticDescriptor FormsDisagree = Error("NG0015",
        "Tensor and flat spans mixed",
        "Parameter '{0}' is a {1} but '{2}' is a {3}: x and y must both be tensor spans or both be flat spans. Expected: {4}");

    public static readonly DiagnosticDescriptor MultipleAttributes = Error("NG0016",
        "More than one NormGen attribute",
        "Method '{0}' has more than one NormGen attribute; keep exactly one");

    public static readonly DiagnosticDescriptor InvalidAffine = Error("NG0017",
        "Unknown Affine value",
        "Affine = {0} is not a defined Affine value; use Affine.None, Affine.Scale or Affine.ScaleAndBias");

    public static readonly DiagnosticDescriptor InvalidAttributeArguments = Error("NG0018",
        "Attribute arguments could not be read",
        "The arguments of [{0}] could not be read; give the normalized shape as int constants, e.g. [{0}(768)] or [{0}(8, 96)]");

    public static readonly DiagnosticDescriptor UnsupportedOutputConversion = Error("NG0019",
        "Unsupported output element type",
        "Output '{0}' has element type '{2}' but the input is '{1}'; y may differ from x only as float → Half or Half → float. Declare '{0}' as Span<{1}> or use one of those pairs");

    public static readonly DiagnosticDescriptor TensorSpansRequired = Error("NG0020",
        "Tensor spans required",
        "[{0}] normalizes over axes of an (N, C, *) or (samples, features) tensor and needs x and y as tensor spans. Write: {1}");

    public static readonly DiagnosticDescriptor InvalidOption = Error("NG0021",
        "Invalid attribute option",
        "{0} is not valid here: {1}");

    public static readonly DiagnosticDescriptor FileLocalType = Error("NG0023",
        "Containing type is file-local",
        "Type '{0}' is declared 'file' and contains the NormGen method '{1}'; the generated kernel lives in another file, which cannot see a file-local type. Remove 'file' (use 'internal' or 'private' to keep the type out of the public API).");

    public static readonly DiagnosticDescriptor UnsupportedModifier = Error("NG0024",
        "Unsupported modifier on a kernel method",
        "Method '{0}' {1}; a kernel method takes an accessibility, 'static', 'partial' and optionally 'unsafe' or 'new', each once. Write: {2}");

    public static readonly DiagnosticDescriptor DeclaredTwice = Error("NG0025",
        "Kernel method declared twice",
        "Method '{0}' is declared more than once with the same parameters in '{1}'; keep one declaration (overloads need different parameter types)");

    public static readonly DiagnosticDescriptor ParametersOutOfOrder = Error("NG0026",
        "Parameters out of order",
        "Method '{0}' has its parameters out of order: {1}. NormGen gives each parameter its role by position; write: {2}");

    public static readonly DiagnosticDescriptor GpuOverloadsCollide = new("NG0030",
        "GPU overloads would collide",
        "The project references ILGPU, but '{0}' gets no GPU overloads: they would have the same parameter types as those of {1} (span and tensor-span parameters both become ArrayView<T>). The CPU kernel is generated as usual; give one of the two declarations another name to get GPU overloads for both.",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpBase + "ng0030");

    public static readonly DiagnosticDescriptor BackwardSignatureDoesNotMatch = Error("NG0031",
        "Backward parameters do not match the attribute",
        "Backward method '{0}' has {1}; with {2} the method must be: {3}");

    public static readonly DiagnosticDescriptor BackwardNotSupported = Error("NG0032",
        "Backward not available for this declaration",
        "{0} has no backward kernel: {1}");

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = Build();

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    private static Dictionary<string, DiagnosticDescriptor> Build()
    {
        var map = new Dictionary<string, DiagnosticDescriptor>(StringComparer.Ordinal);
        foreach (var field in typeof(NormGenDiagnostics).GetFields())
            if (field.GetValue(null) is DiagnosticDescriptor d) map.Add(d.Id, d);
        return map;
    }
}
