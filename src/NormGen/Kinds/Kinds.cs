using System.Collections.Generic;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// The registry of kinds: one <see cref="KindDefinition"/> per <see cref="NormKind"/>, indexed by the kind. The pipeline
/// registers one attribute per entry; the parser, the spec and the emitters ask it what a kind takes and supports.
/// </summary>
internal static class Kinds
{
    /// <summary>Every kind, in <see cref="NormKind"/> order (the index of each is its kind's value).</summary>
    private static readonly KindDefinition[] s_byKind =
    {
        new LayerNorm(),
        new RmsNorm(),
        new DeepNorm(),
        new ChannelLayerNorm(),
        new BatchNorm(),
        new GroupNorm(),
        new InstanceNorm(),
        new MinMaxScale(),
        new Standardize(),
    };

    /// <summary>Every kind's definition, in <see cref="NormKind"/> order.</summary>
    public static IReadOnlyList<KindDefinition> All => s_byKind;

    public static KindDefinition Get(NormKind kind) => s_byKind[(int)kind];

}
