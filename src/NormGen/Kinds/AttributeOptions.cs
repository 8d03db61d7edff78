using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using NormGen.Generator.Diagnostics;
using NormGen.Generator.Model;

namespace NormGen.Generator;

/// <summary>
/// One attribute's arguments while the parser reads them: the options every kind has (shape, axes, ε, affine, saved
/// statistics, backward), the kind's own options (<see cref="KindOptions"/>, read and validated by its
/// <see cref="KindDefinition"/>), and where to report what is wrong. Parse-time state only: never part of a spec.
/// </summary>
internal sealed class AttributeOptions
{
    private readonly AttributeData _attribute;
    private readonly List<DiagnosticInfo> _diagnostics;

    public AttributeOptions(AttributeData attribute, string attributeName, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        _attribute = attribute;
        _diagnostics = diagnostics;
        AttributeName = attributeName;
        Location = location;
    }

    /// <summary>The attribute's short name, e.g. <c>LayerNorm</c>.</summary>
    public string AttributeName { get; }

    /// <summary>Where the attribute's diagnostics are reported.</summary>
    public LocationInfo? Location { get; }

    public List<int> Shape { get; } = new();
    public int? Axes;
    public float Epsilon;
    public bool EpsilonGiven;
    public AffineMode Affine;
    public bool SaveStatistics, Backward;

    /// <summary>The kind's own options, as read (also when invalid: the expected signature is built from them).</summary>
    public KindOptions KindOptions = NoKindOptions.Instance;

    /// <summary>False once an option was reported.</summary>
    public bool Ok = true;

    public IEnumerable<TypedConstant> ConstructorArguments => _attribute.ConstructorArguments;

    /// <summary>True when the attribute names <paramref name="name"/> (whatever its value).</summary>
    public bool Has(string name)
    {
        foreach (KeyValuePair<string, TypedConstant> named in _attribute.NamedArguments)
            if (named.Key == name) return true;
        return false;
    }

    public bool Bool(string name) => Last<bool>(name) ?? false;

    public int? Int(string name) => Last<int>(name);

    public float? Float(string name) => Last<float>(name);

    /// <summary>The last named argument <paramref name="name"/> whose value is a <typeparamref name="T"/> (enums read as int); null when none.</summary>
    private T? Last<T>(string name) where T : struct
    {
        T? value = null;
        foreach (KeyValuePair<string, TypedConstant> named in _attribute.NamedArguments)
            if (named.Key == name && named.Value.Value is T typed) value = typed;
        return value;
    }

    /// <summary>Reports a diagnostic at the attribute; the options are then not valid.</summary>
    public void Report(DiagnosticDescriptor descriptor, params string[] args)
    {
        _diagnostics.Add(new DiagnosticInfo(descriptor.Id, Location, args.ToEquatableArray()));
        Ok = false;
    }

    /// <summary>An option that is out of range or does not fit the others (NG0019): what is wrong and what to write instead.</summary>
    public void Invalid(string option, string fix) => Report(NormGenDiagnostics.InvalidOption, option, fix);
}
