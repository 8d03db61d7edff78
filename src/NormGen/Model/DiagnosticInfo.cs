using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace NormGen.Generator.Model;

/// <summary>A location as plain values (a <see cref="Location"/> would root the compilation it came from).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan TextSpan, LinePositionSpan LineSpan)
{
    /// <summary>
    /// The location in <paramref name="tree"/> when it is the tree of <see cref="FilePath"/>, so that the compiler applies
    /// the tree's <c>#pragma warning disable</c> directives to the diagnostic (it ignores them for an external location);
    /// otherwise an external location rebuilt from the path.
    /// </summary>
    public Location ToLocation(SyntaxTree? tree) =>
        tree is not null && tree.FilePath == FilePath && TextSpan.End <= tree.Length
            ? Location.Create(tree, TextSpan)
            : Location.Create(FilePath, TextSpan, LineSpan);

    /// <summary>The compilation's one tree with <see cref="FilePath"/>; null when none or several have it.</summary>
    public SyntaxTree? FindTree(Compilation compilation)
    {
        SyntaxTree? match = null;
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            if (tree.FilePath != FilePath) continue;
            if (match is not null) return null;
            match = tree;
        }
        return match;
    }

    public static LocationInfo? From(Location? location)
    {
        if (location is null || location.SourceTree is null) return null;
        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }
}

/// <summary>A diagnostic to report, as plain values: descriptor id, location and message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> MessageArgs)
{
    public Diagnostic ToDiagnostic(SyntaxTree? tree) =>
        Diagnostic.Create(Diagnostics.NormGenDiagnostics.ById(Id), Location?.ToLocation(tree), MessageArgs.ToArray());
}

/// <summary>
/// One declaration's diagnostics with the syntax tree they lie in (all of them lie on the one method declaration), for
/// the reporting step only. Equal when the diagnostics are equal and the tree is the same object, so an edit elsewhere
/// (a new compilation, the same tree) re-reports nothing. A tree does not root a compilation; no cached spec holds one.
/// </summary>
internal sealed record LocatedDiagnostics(EquatableArray<DiagnosticInfo> Diagnostics, SyntaxTree? Tree)
{
    public static LocatedDiagnostics Locate(EquatableArray<DiagnosticInfo> diagnostics, Compilation compilation)
    {
        foreach (DiagnosticInfo d in diagnostics)
            if (d.Location is not null) return new LocatedDiagnostics(diagnostics, d.Location.FindTree(compilation));
        return new LocatedDiagnostics(diagnostics, null);
    }
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
