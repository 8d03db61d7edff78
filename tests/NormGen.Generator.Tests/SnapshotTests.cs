using System.IO;
using Xunit;
using Xunit.Sdk;

namespace NormGen.Generator.Tests;

/// <summary>The snapshot helper itself: names, scrubbing, and the received file plus diff on a mismatch.</summary>
public class SnapshotTests
{
    [Fact]
    public void FileStemFollowsVerify()
    {
        Assert.Equal("DriverTests.Contract#NormGen.Tests.Kernels.Norm.g", Snapshot.FileStem("DriverTests", "Contract", null, "NormGen.Tests.Kernels.Norm.g.cs"));
        Assert.Equal("EmitterTests.Emit_LayerNorm_Static13_None_Float", Snapshot.FileStem("EmitterTests", "Emit", "LayerNorm_Static13_None_Float", null));
    }

    [Fact]
    public void ScrubsVersionAndLineEndings()
    {
        string text = "[global::System.CodeDom.Compiler.GeneratedCode(\"NormGen\", \"1.2.3-beta.4\")]\r\nclass C { }\r\n";
        Assert.Equal("[global::System.CodeDom.Compiler.GeneratedCode(\"NormGen\", \"{NormGenVersion}\")]\nclass C { }\n", Snapshot.Scrub(text));
        Assert.Equal("GeneratedCode(\"Other\", \"1.0\")", Snapshot.Scrub("GeneratedCode(\"Other\", \"1.0\")"));
    }

    /// <summary>Against the committed SnapshotTests.MismatchFails.verified.cs (lines "one" to "five").</summary>
    [Fact]
    public void MismatchFails()
    {
        if (Snapshot.Accepting) return; // accepting would overwrite the fixture
        string received = Path.Combine(Snapshot.Directory(), "SnapshotTests.MismatchFails.received.cs");
        try
        {
            Snapshot.Match("one\ntwo\nthree\nfour\nfive\n");
            var failure = Assert.Throws<XunitException>(() => Snapshot.Match("one\ntwo\nTHREE\nfour\nfive\n"));
            Assert.Contains("-three", failure.Message);
            Assert.Contains("+THREE", failure.Message);
            Assert.Contains("@@", failure.Message);
            Assert.Contains(Snapshot.AcceptVariable, failure.Message);
            Assert.Equal("one\ntwo\nTHREE\nfour\nfive\n", File.ReadAllText(received));
        }
        finally
        {
            File.Delete(received);
        }
    }
}
