using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using NormGen.Generator.Diagnostics;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// The diagnostics' help links lead somewhere: every descriptor (found by reflection, so diagnostics added later are
/// covered too) links to <c>docs/diagnostics.md#ngNNNN</c>, and that page, which ships inside the package, has the anchor
/// and a row for the ID.
/// </summary>
public class DiagnosticDocsTests
{
    private static string RepositoryRoot([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));

    [Fact]
    public void EveryDescriptorHasItsAnchorInTheShippedDiagnosticsPage()
    {
        var descriptors = typeof(NormGenDiagnostics).GetFields()
            .Select(f => f.GetValue(null)).OfType<DiagnosticDescriptor>().ToList();
        Assert.NotEmpty(descriptors);
        string page = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "diagnostics.md"));
        Assert.All(descriptors, d =>
        {
            string anchor = d.Id.ToLowerInvariant();
            Assert.Equal("docs/diagnostics.md#" + anchor, d.HelpLinkUri);
            Assert.Contains($"id=\"{anchor}\"", page, StringComparison.Ordinal);
            Assert.Contains(d.Id, page, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void NoHelpLinkPointsAtAWebSite()
    {
        // The project has no public home yet: an absolute link would lead nowhere.
        var descriptors = typeof(NormGenDiagnostics).GetFields()
            .Select(f => f.GetValue(null)).OfType<DiagnosticDescriptor>();
        Assert.All(descriptors, d => Assert.False(Uri.TryCreate(d.HelpLinkUri, UriKind.Absolute, out _), d.HelpLinkUri));
    }
}
