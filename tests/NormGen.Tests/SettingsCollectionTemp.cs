using Xunit;

namespace NormGen.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SettingsCollection
{
    public const string Name = "NormGenSettings";
}
