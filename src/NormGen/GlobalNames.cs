using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace NormGen.Generator;

/// <summary>
/// The one table of framework names the emitters write, and the two rules that keep user names from capturing them
/// (issue 7, items 7 and 8):
/// <list type="number">
/// <item>The emitters write framework types short, as a person would (<c>Unsafe.Add</c>, <c>Vector512.Create</c>,
/// <c>ReadOnlySpan&lt;float&gt;</c>); <see cref="Qualify"/> rewrites every such name in code (not in comments or
/// strings) to its <c>global::</c> form, so a user's member, parameter, nested type, namespace (<c>Lib.Math</c>) or
/// global using of that name cannot capture it. Generated files carry no using directives.</item>
/// <item>Every user identifier the emitters write goes through <see cref="Identifier"/>: keywords get '@', and so do
/// names in the table, which both makes them legal and tells <see cref="Qualify"/> to leave them alone.</item>
/// </list>
/// </summary>
internal static class GlobalNames
{
    private static readonly Dictionary<string, string> s_qualified = new(System.StringComparer.Ordinal)
    {
        ["Math"] = "global::System.Math",
        ["MathF"] = "global::System.MathF",
        ["Half"] = "global::System.Half",
        ["Span"] = "global::System.Span",
        ["ReadOnlySpan"] = "global::System.ReadOnlySpan",
        ["MemoryExtensions"] = "global::System.MemoryExtensions",
        ["ArgumentException"] = "global::System.ArgumentException",
        ["ArgumentNullException"] = "global::System.ArgumentNullException",
        ["ArgumentOutOfRangeException"] = "global::System.ArgumentOutOfRangeException",
        ["NotSupportedException"] = "global::System.NotSupportedException",
        ["ArrayPool"] = "global::System.Buffers.ArrayPool",
        ["TensorPrimitives"] = "global::System.Numerics.Tensors.TensorPrimitives",
        ["TensorSpan"] = "global::System.Numerics.Tensors.TensorSpan",
        ["ReadOnlyTensorSpan"] = "global::System.Numerics.Tensors.ReadOnlyTensorSpan",
        ["Unsafe"] = "global::System.Runtime.CompilerServices.Unsafe",
        ["MethodImpl"] = "global::System.Runtime.CompilerServices.MethodImpl",
        ["MethodImplOptions"] = "global::System.Runtime.CompilerServices.MethodImplOptions",
        ["MemoryMarshal"] = "global::System.Runtime.InteropServices.MemoryMarshal",
        ["Vector64"] = "global::System.Runtime.Intrinsics.Vector64",
        ["Vector128"] = "global::System.Runtime.Intrinsics.Vector128",
        ["Vector256"] = "global::System.Runtime.Intrinsics.Vector256",
        ["Vector512"] = "global::System.Runtime.Intrinsics.Vector512",
    };

    /// <summary>
    /// A user's name as an identifier in generated code: '@' before keywords (reserved and contextual: <c>@checked</c>,
    /// <c>@in</c>, <c>@record</c>) and before the table's names (<c>@Math</c>), the name unchanged otherwise.
    /// </summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None || s_qualified.ContainsKey(name)
            ? "@" + name
            : name;

    /// <summary>
    /// Rewrites each table name that stands alone in code (not after '.', ':' or '@', not in a comment, string, char
    /// literal or directive) to its <c>global::</c> form.
    /// </summary>
    public static string Qualify(string code)
    {
        var sb = new StringBuilder(code.Length + code.Length / 4);
        int i = 0, n = code.Length;
        bool lineStart = true;
        while (i < n)
        {
            char c = code[i];
            if (c == '\n') { sb.Append(c); i++; lineStart = true; continue; }
            if (c is ' ' or '\t' or '\r') { sb.Append(c); i++; continue; }
            if (lineStart && c == '#') { i = CopyUntilLineEnd(code, i, sb); continue; }
            lineStart = false;
            if (c == '/' && i + 1 < n && code[i + 1] == '/') { i = CopyUntilLineEnd(code, i, sb); continue; }
            if (c == '/' && i + 1 < n && code[i + 1] == '*')
            {
                int end = code.IndexOf("*/", i + 2, System.StringComparison.Ordinal);
                end = end < 0 ? n : end + 2;
                sb.Append(code, i, end - i);
                i = end;
                continue;
            }
            if (c is '"' or '\'')
            {
                bool verbatim = i > 0 && code[i - 1] == '@';
                int j = i + 1;
                while (j < n && code[j] != c)
                {
                    if (code[j] == '\\' && !verbatim) j++;
                    j++;
                }
                j = System.Math.Min(j + 1, n);
                sb.Append(code, i, j - i);
                i = j;
                continue;
            }
            if (char.IsLetter(c) || c == '_' || c == '@')
            {
                int j = i + 1;
                while (j < n && (char.IsLetterOrDigit(code[j]) || code[j] == '_')) j++;
                string token = code.Substring(i, j - i);
                char before = i > 0 ? code[i - 1] : ' ';
                if (before is not ('.' or ':') && s_qualified.TryGetValue(token, out string? qualified)) sb.Append(qualified);
                else sb.Append(token);
                i = j;
                continue;
            }
            sb.Append(c);
            i++;
        }
        return sb.ToString();
    }

    private static int CopyUntilLineEnd(string code, int i, StringBuilder sb)
    {
        int end = code.IndexOf('\n', i);
        if (end < 0) end = code.Length;
        sb.Append(code, i, end - i);
        return end;
    }
}
