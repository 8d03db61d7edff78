using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace NormGen.Generator.Model;

/// <summary>A location as plain values (a <see cref="Location"/> would root the compilation it came from).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan TextSpan, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, TextSpan, LineSpan);

    public static LocationInfo? From(Location? location)
    {
        if (location is null || location.SourceTree is null) return null;
        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }
}

/// <summary>A diagnostic to report, as plain values: descriptor id, location and message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> MessageArgs)
{
    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Diagnostics.NormGenDiagnostics.ById(Id), Location?.ToLocation(), MessageArgs.ToArray());
}

/// <summary>
/// The parser's result for one annotated method: a spec to emit, diagnostics to report, or both empty; and for a
/// declaration with an NG error that can still be implemented, a stub that throws (so the only error is the NG one).
/// </summary>
internal sealed record ParseResult(KernelSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics, InvalidDeclaration? Stub = null);

/// <summary>
/// A declaration NormGen reported an error for, as plain values: where it lives, its implementing signature
/// (<c>public static partial void M(global::System.ReadOnlySpan&lt;float&gt; x, …)</c>) and the message its body throws.
/// </summary>
internal sealed record InvalidDeclaration(string? Namespace, EquatableArray<TypeDeclSpec> ContainingTypes, string HintName, string Signature, string Message);
