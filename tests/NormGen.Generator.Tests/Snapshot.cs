using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using DiffPlex.Renderer;
using Xunit.Sdk;

namespace NormGen.Generator.Tests;

/// <summary>
/// A small stand-in for Verify / Verify.SourceGenerators (not reachable from this machine's NuGet) with the same file
/// conventions, so switching to Verify later changes only this file:
/// <list type="bullet">
/// <item><c>Snapshots/&lt;Class&gt;.&lt;Test&gt;[_&lt;parameters&gt;][#&lt;hint&gt;].verified.cs</c>, committed next to the tests
/// (the directory is found from the caller's source path, not the build output).</item>
/// <item>On a mismatch (or a missing snapshot) the actual text goes to the matching <c>.received.cs</c> beside it
/// (git-ignored) and the test fails with a unified diff.</item>
/// <item><c>NORMGEN_ACCEPT_SNAPSHOTS=1</c> accepts: the verified file is overwritten and the test passes.</item>
/// <item>Scrubbing: line endings become '\n' and the generator version in <c>GeneratedCode("NormGen", "…")</c> becomes
/// <see cref="VersionPlaceholder"/>, so a version bump does not touch every snapshot.</item>
/// </list>
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "NORMGEN_ACCEPT_SNAPSHOTS";
    public const string VersionPlaceholder = "{NormGenVersion}";

    private static readonly Regex s_version = new(@"GeneratedCode\(""NormGen"", ""[^""]*""\)", RegexOptions.CultureInvariant);

    /// <summary>True when snapshots are being accepted rather than checked.</summary>
    public static bool Accepting => Environment.GetEnvironmentVariable(AcceptVariable) is "1" or "true" or "True";

    /// <summary>The text as it is stored in a snapshot: '\n' line endings, generator version scrubbed.</summary>
    public static string Scrub(string text) =>
        s_version.Replace(text.Replace("\r\n", "\n"), $"GeneratedCode(\"NormGen\", \"{VersionPlaceholder}\")");

    /// <summary>The snapshot directory of the test project (beside the calling test's source file).</summary>
    public static string Directory([CallerFilePath] string callerFile = "") =>
        Path.Combine(Path.GetDirectoryName(callerFile)!, "Snapshots");

    /// <summary>
    /// Compares <paramref name="text"/> with <c>Snapshots/&lt;Class&gt;.&lt;Test&gt;[_parameters][#hint].verified.cs</c>.
    /// <paramref name="hint"/> is a generated file's hint name (its trailing <c>.cs</c> is dropped, as Verify.SourceGenerators does).
    /// </summary>
    public static void Match(
        string text,
        string? parameters = null,
        string? hint = null,
        [CallerFilePath] string callerFile = "",
        [CallerMemberName] string test = "")
    {
        string name = FileStem(Path.GetFileNameWithoutExtension(callerFile), test, parameters, hint);
        string directory = Directory(callerFile);
        string verifiedPath = Path.Combine(directory, name + ".verified.cs");
        string receivedPath = Path.Combine(directory, name + ".received.cs");
        string actual = Scrub(text);

        if (Accepting)
        {
            System.IO.Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, actual, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Delete(receivedPath);
            return;
        }

        string? expected = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        System.IO.Directory.CreateDirectory(directory);
        File.WriteAllText(receivedPath, actual, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        var message = new StringBuilder();
        if (expected is null)
        {
            message.Append("New snapshot: ").Append(verifiedPath).Append(" does not exist.\n")
                   .Append("The output was written to ").Append(receivedPath).Append(".\n");
        }
        else
        {
            message.Append("Snapshot mismatch: ").Append(verifiedPath).Append('\n')
                   .Append("Received: ").Append(receivedPath).Append('\n')
                   .Append(UnifiedDiff(expected, actual, name + ".verified.cs", name + ".received.cs"));
        }
        message.Append("Review the received file; rename it to .verified.cs, or rerun with ").Append(AcceptVariable).Append("=1 to accept all.");
        throw new XunitException(message.ToString());
    }

    /// <summary>Verify's file stem: <c>Class.Test</c>, <c>_parameters</c> for a theory, <c>#hint</c> for one of several files.</summary>
    public static string FileStem(string className, string test, string? parameters, string? hint)
    {
        var sb = new StringBuilder(className).Append('.').Append(test);
        if (!string.IsNullOrEmpty(parameters)) sb.Append('_').Append(parameters);
        if (!string.IsNullOrEmpty(hint))
            sb.Append('#').Append(hint!.EndsWith(".cs", StringComparison.Ordinal) ? hint.Substring(0, hint.Length - 3) : hint);
        foreach (char c in Path.GetInvalidFileNameChars()) sb.Replace(c, '_');
        return sb.ToString();
    }

    /// <summary>A unified diff with three lines of context (DiffPlex), capped so a wholly different file stays readable.</summary>
    public static string UnifiedDiff(string expected, string actual, string expectedName, string actualName)
    {
        string diff = UnidiffRenderer.GenerateUnidiff(expected, actual, expectedName, actualName, ignoreWhitespace: false, ignoreCase: false, contextLines: 3);
        const int maxLines = 200;
        string[] lines = diff.Split('\n');
        if (lines.Length <= maxLines) return diff.EndsWith("\n", StringComparison.Ordinal) ? diff : diff + "\n";
        var list = new List<string>(lines[..maxLines]) { $"... ({lines.Length - maxLines} more diff lines)" };
        return string.Join("\n", list) + "\n";
    }
}
