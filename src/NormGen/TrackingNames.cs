namespace NormGen.Generator;

/// <summary>Names of the incremental pipeline's steps, for tests that check every step is cached on a second run.</summary>
internal static class TrackingNames
{
    public const string Parse = "NormGen.Parse";
    public const string Specs = "NormGen.Specs";
    public const string Diagnostics = "NormGen.Diagnostics";
    public const string InvalidDeclarations = "NormGen.InvalidDeclarations";
    public const string IlgpuReference = "NormGen.IlgpuReference";
    public const string GpuSpecs = "NormGen.GpuSpecs";
    public const string GpuDevicePrimitives = "NormGen.GpuDevicePrimitives";
}
