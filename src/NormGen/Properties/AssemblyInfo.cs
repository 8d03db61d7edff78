using System.Runtime.CompilerServices;

// The generator tests build KernelSpec values by hand and call the emitter and parser directly.
[assembly: InternalsVisibleTo("NormGen.Generator.Tests")]
