using System.Text;

namespace NormGen.Generator;

/// <summary>A minimal indented text writer for emitted C# (4-space indents, '\n' line endings on every platform).</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    public SourceWriter Line(string text = "")
    {
        if (text.Length > 0) _sb.Append(' ', _indent * 4).Append(text);
        _sb.Append('\n');
        return this;
    }

    /// <summary>Writes each line of a multi-line block at the current indentation (blank lines stay blank).</summary>
    public SourceWriter Block(string text)
    {
        foreach (string line in text.Replace("\r\n", "\n").Split('\n')) Line(line.TrimEnd());
        return this;
    }

    /// <summary>Writes <paramref name="text"/> (if any) and an opening brace, then indents.</summary>
    public SourceWriter Open(string text)
    {
        if (text.Length > 0) Line(text);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
        return this;
    }

    /// <summary>Removes the last line if it is blank: the separator a part left out of the output would have followed.</summary>
    public SourceWriter TrimBlankLine()
    {
        if (_sb.Length >= 2 && _sb[_sb.Length - 1] == '\n' && _sb[_sb.Length - 2] == '\n') _sb.Length--;
        return this;
    }

    public SourceWriter Indent() { _indent++; return this; }

    public SourceWriter Outdent() { _indent--; return this; }

    public override string ToString() => _sb.ToString();
}
