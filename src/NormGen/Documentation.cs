using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Xml;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// The doc comment over the generated implementing declaration. C# takes a partial method's documentation from the
/// implementing part when it has any, so the generated comment must carry the user's own: the user's elements come
/// first, unchanged, and the generated explanation adds only the sections the user did not write (its
/// <c>&lt;summary&gt;</c>, <c>&lt;remarks&gt;</c>, <c>&lt;exception&gt;</c>). Nothing is added to <c>&lt;inheritdoc/&gt;</c>.
/// </summary>
internal static class Documentation
{
    /// <summary>
    /// The user's documentation of the declaring part, one XML element after another (crefs already resolved to
    /// documentation IDs, which the compiler passes through), or "" when there is none or it is not well-formed.
    /// </summary>
    public static string Read(IMethodSymbol method, CancellationToken cancellationToken)
    {
        string xml = method.GetDocumentationCommentXml(expandIncludes: false, cancellationToken: cancellationToken) ?? "";
        if (xml.Trim().Length == 0) return "";
        try
        {
            XElement member = XElement.Parse(xml, LoadOptions.PreserveWhitespace);
            var lines = new List<string>();
            foreach (XElement element in member.Elements())
                lines.AddRange(Dedent(element.ToString(SaveOptions.DisableFormatting).Replace("\r\n", "\n").Split('\n')));
            return string.Join("\n", lines);
        }
        catch (XmlException)
        {
            return "";
        }
    }

    /// <summary>Lines 2… of an element lose the indentation they share (the user's comment's, not their own).</summary>
    private static IEnumerable<string> Dedent(string[] lines)
    {
        int indent = lines.Skip(1).Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        for (int i = 0; i < lines.Length; i++)
            yield return (i == 0 || lines[i].Length < indent ? lines[i].TrimStart() : lines[i].Substring(indent)).TrimEnd();
    }

    /// <summary>Writes the doc comment: the generated one as is when the user wrote none, else the user's plus the missing sections.</summary>
    public static void Write(SourceWriter w, KernelSpec spec, Action<SourceWriter, KernelSpec> emitGenerated)
    {
        var generated = new SourceWriter();
        emitGenerated(generated, spec);
        string text = generated.ToString().TrimEnd('\n');
        if (spec.UserDocumentation.Length == 0)
        {
            w.Block(text);
            return;
        }
        string[] user = spec.UserDocumentation.Split('\n');
        foreach (string line in user) w.Line(line.Length > 0 ? "/// " + line : "///");
        var written = new HashSet<string>(user.Select(TagOf).Where(t => t.Length > 0), StringComparer.Ordinal);
        if (written.Contains("inheritdoc")) return;
        foreach (List<string> section in Sections(text.Split('\n')))
            if (!written.Contains(TagOf(section[0].Substring(3).TrimStart())))
                foreach (string line in section) w.Line(line);
    }

    /// <summary>The generated comment's top-level elements, each as its lines.</summary>
    private static IEnumerable<List<string>> Sections(string[] lines)
    {
        for (int i = 0; i < lines.Length; i++)
        {
            string tag = TagOf(lines[i].Substring(3).TrimStart());
            var section = new List<string> { lines[i] };
            while (!lines[i].Contains("</" + tag + ">") && !lines[i].TrimEnd().EndsWith("/>", StringComparison.Ordinal) && i + 1 < lines.Length)
                section.Add(lines[++i]);
            yield return section;
        }
    }

    /// <summary>The element name a line starts with (<c>&lt;summary&gt;</c> → summary), or "".</summary>
    private static string TagOf(string line)
    {
        if (!line.StartsWith("<", StringComparison.Ordinal) || line.StartsWith("</", StringComparison.Ordinal)) return "";
        int end = 1;
        while (end < line.Length && (char.IsLetterOrDigit(line[end]) || line[end] is '_' or '-' or ':' or '.')) end++;
        return line.Substring(1, end - 1);
    }
}
