using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NormGen.Generator.Diagnostics;
using NormGen.Generator.Model;

namespace NormGen.Generator;

public sealed partial class NormGenerator
{
    /// <summary>Turns one annotated method into a <see cref="KernelSpec"/> and/or diagnostics. Never throws for bad input.</summary>
    internal static partial class Parser
    {
        /// <summary>The attribute's options, read and validated, before the parameters are looked at.</summary>
        private sealed class Options
        {
            public List<int> Shape = new();
            public int? Axes;
            public float Epsilon;
            public bool EpsilonGiven;
            public AffineMode Affine;
            public bool Residual, ResidualBias, SaveStatistics, ZeroCenteredGamma, Training, CumulativeAverage, BiasFree, Backward;
            public ActivationKind Activation;
            public double Alpha = 1d;
            public string AlphaSource = "";
            public float Momentum = 0.1f;
            public int Groups;
            public bool Ok = true;
        }

        private sealed record ParamInfo(IParameterSymbol Symbol, bool Supported, ParamForm Form, ElementKind? Element, string ElementDisplay);

        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, NormKind kind, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            var method = (IMethodSymbol)context.TargetSymbol;
            var syntax = (MethodDeclarationSyntax)context.TargetNode;
            AttributeData attribute = context.Attributes[0];
            string attributeName = AttributeShortName(kind);
            LocationInfo? methodLocation = LocationInfo.From(syntax.Identifier.GetLocation());
            LocationInfo? attributeLocation = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()) ?? methodLocation;
            // A declaration with an error gets no kernel but, where it can be implemented, a body that throws.
            ParseResult Done(KernelSpec? kernel) =>
                new(kernel, diagnostics.ToEquatableArray(), kernel is null ? Stub(method, syntax, diagnostics, cancellationToken) : null);

            // A method with two NormGen attributes is reported once, by the pipeline of the first attribute.
            var normAttributes = method.GetAttributes().Where(a => IsNormGenAttribute(a.AttributeClass)).ToList();
            if (normAttributes.Count > 1)
            {
                if (SymbolEqualityComparer.Default.Equals(normAttributes[0].AttributeClass, attribute.AttributeClass))
                    diagnostics.Add(Diag(NormGenDiagnostics.MultipleAttributes, methodLocation, method.Name));
                return Done(null);
            }

            // No constructor: overload resolution failed (e.g. [LayerNorm("x")] or a missing argument), and the
            // arguments are simply absent from ConstructorArguments, so without this check they would read as "no shape".
            if (attribute.AttributeClass is null || attribute.AttributeClass.TypeKind == TypeKind.Error || attribute.AttributeConstructor is null ||
                attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error) ||
                attribute.NamedArguments.Any(a => a.Value.Kind == TypedConstantKind.Error) ||
                HasUnboundNamedArgument(attribute, cancellationToken))
            {
                diagnostics.Add(Diag(NormGenDiagnostics.InvalidAttributeArguments, attributeLocation, attributeName));
                return Done(null);
            }

            Options options = ReadOptions(kind, attribute, attributeName, attributeLocation, diagnostics);

            // ---- parameters: classify each one ----
            var parameters = new List<ParamInfo>();
            foreach (IParameterSymbol p in method.Parameters)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (p.RefKind == RefKind.None && !p.IsParams && p.ScopedKind == ScopedKind.None && TryClassify(p.Type, out ParamForm form, out ITypeSymbol? elementType))
                    parameters.Add(new ParamInfo(p, true, form, elementType is null ? null : ClassifyElement(elementType), elementType?.ToDisplayString() ?? ""));
                else
                    parameters.Add(new ParamInfo(p, false, default, null, ""));
            }

            ParamInfo? first = parameters.FirstOrDefault(p => p.Supported && p.Form != ParamForm.Int32 && p.Element is ElementKind.Float or ElementKind.Double or ElementKind.Half);
            ElementKind element0 = first?.Element ?? ElementKind.Float;
            bool tensorForm = IsTensorKind(kind) || (parameters.Count > 0 && parameters[0].Supported && IsTensor(parameters[0].Form));
            bool runtimeRowLength = IsRowKind(kind) && options.Shape.Count == 0 && !tensorForm;
            List<ParamRole> expectedRoles = options.Backward ? BackwardRoles(kind, options) : ExpectedRoles(kind, options, withResidualOut: false);
            string expected = options.Backward
                ? BackwardSignature(method.Name, kind, element0, tensorForm, runtimeRowLength, expectedRoles)
                : ExpectedSignature(method.Name, kind, options, element0, element0, tensorForm, runtimeRowLength, expectedRoles);
            if (options.Backward) CheckBackwardOptions(kind, options, attribute, attributeLocation, diagnostics);

            // ---- the method itself ----
            bool isStatic = syntax.Modifiers.Any(SyntaxKind.StaticKeyword);
            bool isPartial = syntax.Modifiers.Any(SyntaxKind.PartialKeyword);
            bool hasBody = syntax.Body is not null || syntax.ExpressionBody is not null;
            // extern partial is an implementing declaration, and so is a body the user wrote in another part: a
            // generated body would be a second implementation (CS0757).
            bool implemented = method.IsExtern || method.PartialImplementationPart is not null;
            if (ModifierProblem(syntax) is string modifierProblem)
                diagnostics.Add(Diag(NormGenDiagnostics.UnsupportedModifier, methodLocation, method.Name, modifierProblem, expected));
            else if (!isStatic || !isPartial || hasBody || !method.ReturnsVoid || implemented)
                diagnostics.Add(Diag(NormGenDiagnostics.MethodMustBeStaticPartial, methodLocation, method.Name, expected));

            for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                var declarations = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().ToList();
                if (!declarations.Any(t => t.Modifiers.Any(SyntaxKind.PartialKeyword)))
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.ContainingTypeMustBePartial, methodLocation, type.Name, method.Name));
                    break;
                }
                if (declarations.Any(t => t.Modifiers.Any(SyntaxKind.FileKeyword)))
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.FileLocalType, methodLocation, type.Name, method.Name));
                    break;
                }
            }

            // The compiler reports the second declaration (CS0756); a second kernel would add CS0757.
            if (IsRepeatedDeclaration(method))
                diagnostics.Add(Diag(NormGenDiagnostics.DeclaredTwice, methodLocation, method.Name, method.ContainingType.Name));

            // A generic method is one mistake: its T-typed parameters are not reported again one by one.
            if (method.TypeParameters.Length > 0)
            {
                diagnostics.Add(Diag(NormGenDiagnostics.GenericMethod, methodLocation, method.Name, expected));
                return Done(null);
            }

            // ---- parameter types ----
            bool parametersOk = true;
            foreach (ParamInfo p in parameters)
            {
                LocationInfo? location = ParameterLocation(p.Symbol, cancellationToken) ?? methodLocation;
                if (!p.Supported)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.UnsupportedParameterType, location, p.Symbol.Name, DescribeParameterType(p.Symbol), expected));
                    parametersOk = false;
                }
                else if (p.Form != ParamForm.Int32 && p.Element is null)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.UnsupportedElementType, location, p.Symbol.Name, p.ElementDisplay, expected));
                    parametersOk = false;
                }
            }

            // ---- roles, in declaration order; one int row length allowed for run-time flat shapes ----
            var specs = new List<ParameterSpec>();
            if (parametersOk && options.Backward)
            {
                parametersOk = MatchBackward(kind, options, method, parameters.Select(p => (p.Symbol, p.Form, p.Element ?? element0)).ToList(), expectedRoles,
                    element0, tensorForm, runtimeRowLength, attributeName, expected, methodLocation, specs, diagnostics, cancellationToken);
            }
            else if (parametersOk)
            {
                var spans = parameters.Where(p => p.Form != ParamForm.Int32).ToList();
                var ints = parameters.Where(p => p.Form == ParamForm.Int32).ToList();
                List<ParamRole> roles = expectedRoles;
                if (spans.Count == roles.Count + 1 && ExpectedRoles(kind, options, withResidualOut: true) is { } withOut && withOut.Count == spans.Count)
                    roles = withOut;
                bool intsOk = ints.Count == 0 || (ints.Count == 1 && runtimeRowLength);
                if (spans.Count != roles.Count || !intsOk)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.SignatureDoesNotMatch, methodLocation, method.Name,
                        DescribeParameters(spans.Count, ints.Count), DescribeAttribute(attributeName, kind, options), expected));
                    parametersOk = false;
                }
                else
                {
                    int spanIndex = 0;
                    foreach (ParamInfo p in parameters)
                    {
                        ParamRole role = p.Form == ParamForm.Int32 ? ParamRole.RowLength : roles[spanIndex++];
                        specs.Add(new ParameterSpec(p.Symbol.Name, role, p.Form, p.Element ?? element0));
                    }
                    if (OrderMistake(kind, specs) is string mistake)
                    {
                        diagnostics.Add(Diag(NormGenDiagnostics.ParametersOutOfOrder, methodLocation, method.Name, mistake, expected));
                        parametersOk = false;
                    }
                    else
                    {
                        parametersOk = CheckRoles(kind, options, method, specs, element0, tensorForm, expected, methodLocation, diagnostics, cancellationToken);
                    }
                }
            }

            if (diagnostics.Count > 0 || !options.Ok || !parametersOk)
                return Done(null);

            ParameterSpec output = specs.First(s => s.Role is ParamRole.Output or ParamRole.InputGradient);
            int resolvedAxes = options.Shape.Count > 0 ? options.Shape.Count : options.Axes ?? 1;
            var spec = new KernelSpec(
                Namespace: method.ContainingNamespace is { IsGlobalNamespace: false } ns ? string.Join(".", NamespaceNames(ns).Select(GlobalNames.Identifier)) : null,
                ContainingTypes: ContainingTypes(method).ToEquatableArray(),
                MethodName: method.Name,
                Modifiers: string.Join(" ", syntax.Modifiers.Select(m => m.Text)),
                HintName: HintName(method),
                KernelClassName: KernelClassName(method),
                Kind: kind,
                Element: element0,
                Shape: options.Shape.ToEquatableArray(),
                Axes: resolvedAxes,
                // RMSNorm's default is finfo(compute type).eps (PyTorch eps=None): 2⁻⁵² for double, 2⁻²³ otherwise.
                Epsilon: kind == NormKind.RmsNorm && !options.EpsilonGiven && element0 == ElementKind.Double ? NormDefaults.RmsNormEpsilonDoubleAsFloat : options.Epsilon,
                Affine: options.Affine,
                Parameters: specs.ToEquatableArray(),
                IsExtension: method.IsExtensionMethod)
            {
                OutputElement = output.Element,
                Residual = options.Residual || kind == NormKind.DeepNorm,
                ResidualBias = options.ResidualBias,
                Alpha = options.Alpha,
                AlphaSource = options.AlphaSource,
                Activation = options.Activation,
                SaveStatistics = options.SaveStatistics,
                ZeroCenteredGamma = options.ZeroCenteredGamma,
                Training = options.Training,
                Momentum = kind == NormKind.BatchNorm ? options.Momentum : 0f,
                CumulativeAverage = options.CumulativeAverage,
                Groups = options.Groups,
                UserDocumentation = Documentation.Read(method, cancellationToken),
                BiasFree = options.BiasFree,
                Backward = options.Backward,
            };
            // With ILGPU referenced, say so when this spec gets no GPU overload (a warning: the CPU kernel is fine).
            if (context.SemanticModel.Compilation.GetTypeByMetadataName("ILGPU.Runtime.Accelerator") is not null)
            {
                if (GpuEmitter.Supports(spec) is string gpuGap)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.NoGpuVariant, methodLocation, method.Name, gpuGap));
                }
                else if (GpuTwin(method) is IMethodSymbol twin)
                {
                    spec = spec with { GpuOverloadsCollide = true };
                    diagnostics.Add(Diag(NormGenDiagnostics.GpuOverloadsCollide, methodLocation, method.Name, twin.ToDisplayString()));
                }
            }
            return Done(spec);
        }

        // ------------------------------------------------------------------ attribute options

        private static Options ReadOptions(NormKind kind, AttributeData attribute, string attributeName, LocationInfo? location, List<DiagnosticInfo> diagnostics)
        {
            var o = new Options
            {
                Epsilon = kind == NormKind.RmsNorm ? NormDefaults.RmsNormEpsilon : NormDefaults.LayerNormEpsilon,
                Affine = kind switch
                {
                    NormKind.RmsNorm => AffineMode.Scale,
                    NormKind.InstanceNorm or NormKind.MinMaxScale or NormKind.Standardize => AffineMode.None,
                    _ => AffineMode.ScaleAndBias,
                },
            };

            foreach (TypedConstant argument in attribute.ConstructorArguments)
            {
                if (kind == NormKind.GroupNorm)
                {
                    if (argument.Value is int groups) o.Groups = groups;
                }
                else if (argument.Kind == TypedConstantKind.Array)
                {
                    // [LayerNorm(null)]: Values is a default array here. The runtime reads a null shape as empty.
                    if (argument.IsNull) continue;
                    foreach (TypedConstant item in argument.Values)
                        if (item.Value is int size) o.Shape.Add(size);
                }
                else if (argument.Value is int single)
                {
                    o.Shape.Add(single);
                }
            }

            int affineValue = (int)o.Affine, activationValue = 0, architecture = 0, layers = 0, decoderLayers = 0;
            float? alpha = null;
            foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            {
                object? v = named.Value.Value;
                switch (named.Key)
                {
                    case "Axes" when v is int a: o.Axes = a; break;
                    case "Epsilon" when v is float e: o.Epsilon = e; o.EpsilonGiven = true; break;
                    case "Affine" when v is int af: affineValue = af; break;
                    case "Residual" when v is bool b: o.Residual = b; break;
                    case "ResidualBias" when v is bool b: o.ResidualBias = b; break;
                    case "SaveStatistics" when v is bool b: o.SaveStatistics = b; break;
                    case "ZeroCenteredGamma" when v is bool b: o.ZeroCenteredGamma = b; break;
                    case "Activation" when v is int act: activationValue = act; break;
                    case "Alpha" when v is float al: alpha = al; break;
                    case "Architecture" when v is int ar: architecture = ar; break;
                    case "Layers" when v is int l: layers = l; break;
                    case "DecoderLayers" when v is int l: decoderLayers = l; break;
                    case "Training" when v is bool b: o.Training = b; break;
                    case "Momentum" when v is float m: o.Momentum = m; break;
                    case "CumulativeAverage" when v is bool b: o.CumulativeAverage = b; break;
                    case "BiasFree" when v is bool b: o.BiasFree = b; break;
                    case "Backward" when v is bool b: o.Backward = b; break;
                }
            }

            for (int i = 0; i < o.Shape.Count; i++)
            {
                if (o.Shape[i] <= 0)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.ShapeEntryNotPositive, location, i.ToString(CultureInfo.InvariantCulture), o.Shape[i].ToString(CultureInfo.InvariantCulture), attributeName));
                    o.Ok = false;
                }
            }
            if (o.Ok && NormDefaults.RowLength(o.Shape.ToArray()) == -2)
            {
                diagnostics.Add(Diag(NormGenDiagnostics.ShapeTooLarge, location, JoinShape(o.Shape)));
                o.Ok = false;
            }
            if (o.Axes is int ax && ax < 1)
            {
                diagnostics.Add(Diag(NormGenDiagnostics.AxesNotPositive, location, ax.ToString(CultureInfo.InvariantCulture)));
                o.Ok = false;
            }
            else if (o.Axes is int ax2 && o.Shape.Count > 0 && ax2 != o.Shape.Count)
            {
                diagnostics.Add(Diag(NormGenDiagnostics.AxesDisagreeWithShape, location, ax2.ToString(CultureInfo.InvariantCulture), JoinShape(o.Shape), o.Shape.Count.ToString(CultureInfo.InvariantCulture)));
                o.Ok = false;
            }
            if (HasEpsilon(kind) && (float.IsNaN(o.Epsilon) || float.IsInfinity(o.Epsilon) || o.Epsilon <= 0f))
            {
                string suggested = FormatFloat(kind == NormKind.RmsNorm ? 1e-6f : NormDefaults.LayerNormEpsilon) + "f";
                diagnostics.Add(Diag(NormGenDiagnostics.InvalidEpsilon, location, FormatFloat(o.Epsilon), suggested));
                o.Ok = false;
            }
            if (affineValue is < 0 or > 2)
            {
                diagnostics.Add(Diag(NormGenDiagnostics.InvalidAffine, location, affineValue.ToString(CultureInfo.InvariantCulture)));
                o.Ok = false;
            }
            o.Affine = (AffineMode)Math.Max(0, Math.Min(2, affineValue));
            if (activationValue is < 0 or > 6)
            {
                diagnostics.Add(Diag(NormGenDiagnostics.InvalidOption, location, "Activation = " + activationValue.ToString(CultureInfo.InvariantCulture), "use Activation.None, Relu, Gelu, GeluTanh, Silu, Tanh or Sigmoid"));
                o.Ok = false;
            }
            else
            {
                o.Activation = (ActivationKind)activationValue;
            }

            // Options that only make sense together.
            void Invalid(string option, string fix)
            {
                diagnostics.Add(Diag(NormGenDiagnostics.InvalidOption, location, option, fix));
                o.Ok = false;
            }
            if (o.ResidualBias && !o.Residual && kind != NormKind.DeepNorm)
                Invalid("ResidualBias = true", "it adds a bias to the residual sum: also set Residual = true");
            if (o.Residual && kind == NormKind.DeepNorm)
                Invalid("Residual = true", "DeepNorm always adds its sublayer input: remove Residual");
            if (o.BiasFree)
            {
                // Restormer's BiasFree_LayerNorm takes a weight and nothing else.
                if (o.Affine != AffineMode.Scale && attribute.NamedArguments.Any(a => a.Key == "Affine"))
                    Invalid("BiasFree = true with Affine." + o.Affine, "Restormer's BiasFree LayerNorm, x / √(σ² + ε) · weight, always takes one weight and no bias: remove Affine (or write Affine = Affine.Scale)");
                o.Affine = AffineMode.Scale;
            }
            if (o.ZeroCenteredGamma && o.Affine == AffineMode.None)
                Invalid("ZeroCenteredGamma = true", "it changes how γ is applied: use Affine.Scale or Affine.ScaleAndBias, or remove it");
            if (kind == NormKind.BatchNorm)
            {
                if (float.IsNaN(o.Momentum) || o.Momentum < 0f || o.Momentum > 1f)
                    Invalid("Momentum = " + FormatFloat(o.Momentum), "the momentum must be in [0, 1], e.g. Momentum = 0.1f");
                if (!o.Training && (o.CumulativeAverage || attribute.NamedArguments.Any(a => a.Key == "Momentum")))
                    Invalid(o.CumulativeAverage ? "CumulativeAverage = true" : "Momentum", "running statistics are only updated in training: set Training = true");
            }
            if (o.SaveStatistics && !IsRowKind(kind) && !SavesBlockStatistics(kind, o))
                Invalid("SaveStatistics = true", kind == NormKind.BatchNorm
                    ? "evaluation uses the running statistics and has nothing to save: set Training = true"
                    : "only the row kinds, BatchNorm training, GroupNorm, InstanceNorm and ChannelLayerNorm save statistics: remove it");
            if (kind == NormKind.GroupNorm && o.Groups < 1)
                Invalid("Groups = " + o.Groups.ToString(CultureInfo.InvariantCulture), "at least one group is needed, e.g. [GroupNorm(32)]");

            if (kind == NormKind.DeepNorm)
            {
                if (alpha is float a)
                {
                    if (architecture != 0)
                        Invalid("Alpha together with Architecture", "give either Alpha = … or Architecture and Layers, not both");
                    else if (float.IsNaN(a) || float.IsInfinity(a) || a <= 0f)
                        Invalid("Alpha = " + FormatFloat(a), "α must be positive and finite, e.g. Alpha = 2.0f");
                    else
                    {
                        // The float's shortest decimal text, read as a double: Alpha = 2.5f means 2.5 for double kernels too.
                        o.Alpha = double.Parse(FormatFloat(a), CultureInfo.InvariantCulture);
                        o.AlphaSource = "given";
                    }
                }
                else
                {
                    double value = NormDefaults.DeepNormAlpha(architecture, layers, decoderLayers);
                    if (double.IsNaN(value))
                    {
                        Invalid(architecture == 0 ? "no α" : "Architecture without its layer counts",
                            "write Alpha = 2.0f, or Architecture = DeepNetArchitecture.EncoderOnly, Layers = N (EncoderDecoderEncoder also needs DecoderLayers = M; EncoderDecoderDecoder needs DecoderLayers = M)");
                    }
                    else
                    {
                        o.Alpha = value;
                        string n = layers.ToString(CultureInfo.InvariantCulture), m = decoderLayers.ToString(CultureInfo.InvariantCulture);
                        o.AlphaSource = architecture switch
                        {
                            1 => $"(2N)^¼ for an encoder-only stack, N = {n}",
                            2 => $"(2M)^¼ for a decoder-only stack, M = {n}",
                            3 => $"0.81·(N⁴M)^(1/16) for the encoder of an encoder-decoder, N = {n}, M = {m}",
                            _ => $"(3M)^¼ for the decoder of an encoder-decoder, M = {m}",
                        };
                    }
                }
            }
            return o;
        }

        /// <summary>Tensor kinds whose forward can save mean and rstd per statistics block (channel; (sample, group); (sample, channel)).</summary>
        private static bool SavesBlockStatistics(NormKind kind, Options o) =>
            kind is NormKind.GroupNorm or NormKind.InstanceNorm or NormKind.ChannelLayerNorm || (kind == NormKind.BatchNorm && o.Training);

        private static bool HasEpsilon(NormKind kind) => kind is not (NormKind.MinMaxScale or NormKind.Standardize);

        // ------------------------------------------------------------------ roles

        /// <summary>The span parameters the attribute calls for, in order.</summary>
        private static List<ParamRole> ExpectedRoles(NormKind kind, Options o, bool withResidualOut)
        {
            var roles = new List<ParamRole> { ParamRole.Input };
            bool residual = o.Residual || kind == NormKind.DeepNorm;
            if (IsRowKind(kind))
            {
                if (residual) roles.Add(ParamRole.Residual);
                if (residual && o.ResidualBias) roles.Add(ParamRole.Bias);
            }
            if (kind is not (NormKind.MinMaxScale or NormKind.Standardize))
            {
                if (o.Affine >= AffineMode.Scale) roles.Add(ParamRole.Gamma);
                if (o.Affine == AffineMode.ScaleAndBias) roles.Add(ParamRole.Beta);
            }
            if (kind == NormKind.BatchNorm)
            {
                roles.Add(ParamRole.RunningMean);
                roles.Add(ParamRole.RunningVar);
                if (o.Training && o.CumulativeAverage) roles.Add(ParamRole.BatchesTracked);
            }
            roles.Add(ParamRole.Output);
            if (o.SaveStatistics && SavesBlockStatistics(kind, o))
            {
                roles.Add(ParamRole.Mean);
                roles.Add(ParamRole.Rstd);
            }
            if (IsRowKind(kind))
            {
                if (withResidualOut && residual && kind != NormKind.DeepNorm) roles.Add(ParamRole.ResidualOut);
                if (o.SaveStatistics && kind != NormKind.RmsNorm) roles.Add(ParamRole.Mean);
                if (o.SaveStatistics) roles.Add(ParamRole.Rstd);
            }
            return roles;
        }

        private static bool CheckRoles(NormKind kind, Options o, IMethodSymbol method, List<ParameterSpec> specs, ElementKind element0, bool tensorForm,
            string expected, LocationInfo? methodLocation, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            bool ok = true;
            LocationInfo? Loc(ParameterSpec s) => ParameterLocation(method.Parameters.First(q => q.Name == s.Name), ct) ?? methodLocation;
            ElementKind statsElement = element0 == ElementKind.Double ? ElementKind.Double : ElementKind.Float;
            ParameterSpec input = specs.First(s => s.Role == ParamRole.Input);
            ParameterSpec output = specs.First(s => s.Role == ParamRole.Output);

            foreach (ParameterSpec s in specs.Where(s => s.Role != ParamRole.RowLength))
            {
                // Element types: statistics are float (double for double inputs), the counter is long, y may be float ↔ Half.
                ElementKind want = s.Role switch
                {
                    ParamRole.Mean or ParamRole.Rstd => statsElement,
                    ParamRole.BatchesTracked => ElementKind.Int64,
                    _ => element0,
                };
                bool elementOk = s.Element == want ||
                    (s.Role == ParamRole.Output && IsRowKind(kind) && IsConvertible(element0, s.Element));
                if (s.Element == ElementKind.Int64 && s.Role != ParamRole.BatchesTracked)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.UnsupportedElementType, Loc(s), s.Name, "long", expected));
                    ok = false;
                }
                else if (!elementOk)
                {
                    if (s.Role == ParamRole.Output && s.Element != ElementKind.Int64)
                        diagnostics.Add(Diag(NormGenDiagnostics.UnsupportedOutputConversion, Loc(s), s.Name, ElementName(element0), ElementName(s.Element)));
                    else
                        diagnostics.Add(Diag(NormGenDiagnostics.ElementTypesDisagree, Loc(s), s.Name, ElementName(s.Element), ElementName(want), expected));
                    ok = false;
                }

                // Forms: outputs writable; x and y tensors or flat together; everything else a flat span.
                bool writable = s.Role is ParamRole.Output or ParamRole.ResidualOut or ParamRole.Mean or ParamRole.Rstd or ParamRole.BatchesTracked
                    || (o.Training && s.Role is ParamRole.RunningMean or ParamRole.RunningVar);
                bool xy = s.Role is ParamRole.Input or ParamRole.Output;
                if (writable && s.Form is ParamForm.ReadOnlySpan or ParamForm.ReadOnlyTensorSpan)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.OutputNotWritable, Loc(s), s.Name, s.Form == ParamForm.ReadOnlySpan ? "Span<T>" : "TensorSpan<T>", expected));
                    ok = false;
                }
                else if (!xy && IsTensor(s.Form))
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.UnsupportedParameterType, Loc(s), s.Name, FormName(s.Form) + " (only x and y may be tensor spans; the others are flat spans)", expected));
                    ok = false;
                }
            }

            if (ok && IsTensor(input.Form) != IsTensor(output.Form))
            {
                diagnostics.Add(Diag(NormGenDiagnostics.FormsDisagree, Loc(output), output.Name, FormName(output.Form), input.Name, FormName(input.Form), expected));
                ok = false;
            }
            if (ok && IsTensorKind(kind) && !IsTensor(input.Form))
            {
                diagnostics.Add(Diag(NormGenDiagnostics.TensorSpansRequired, Loc(input), AttributeShortName(kind), expected));
                ok = false;
            }
            if (ok && IsRowKind(kind) && o.Shape.Count == 0 && (tensorForm ? o.Axes is null : !specs.Any(s => s.Role == ParamRole.RowLength)))
            {
                diagnostics.Add(Diag(NormGenDiagnostics.NoShape, methodLocation, method.Name, AttributeShortName(kind), expected));
                ok = false;
            }
            return ok;
        }

        /// <summary>
        /// The declaration of the same name whose GPU overloads would have exactly this one's parameter types (a span
        /// form and a tensor form of one kernel: both take <c>ArrayView&lt;T&gt;</c>), and which keeps them: span forms
        /// before tensor forms, then the first in source order. Null when this declaration keeps its own.
        /// </summary>
        private static IMethodSymbol? GpuTwin(IMethodSymbol method)
        {
            if (method.ContainingType is null || GpuParameterKey(method) is not string key) return null;
            bool tensor = IsTensorDeclaration(method);
            foreach (IMethodSymbol other in method.ContainingType.GetMembers(method.Name).OfType<IMethodSymbol>())
            {
                if (SymbolEqualityComparer.Default.Equals(other, method) || GpuParameterKey(other) != key) continue;
                bool otherTensor = IsTensorDeclaration(other);
                if (otherTensor != tensor ? !otherTensor : Precedes(other, method)) return other;
            }
            return null;
        }

        private static bool IsTensorDeclaration(IMethodSymbol m) =>
            m.Parameters.Length > 0 && TryClassify(m.Parameters[0].Type, out ParamForm form, out _) && IsTensor(form);

        private static bool Precedes(IMethodSymbol a, IMethodSymbol b)
        {
            Location? la = a.Locations.FirstOrDefault(), lb = b.Locations.FirstOrDefault();
            int byPath = StringComparer.Ordinal.Compare(la?.SourceTree?.FilePath, lb?.SourceTree?.FilePath);
            return byPath != 0 ? byPath < 0 : (la?.SourceSpan.Start ?? 0) < (lb?.SourceSpan.Start ?? 0);
        }

        /// <summary>
        /// The parameter types the GPU overloads of an annotated declaration get after the accelerator or stream (views
        /// for spans, int row lengths, the extra row length or spatial size), or null when it gets none.
        /// </summary>
        private static string? GpuParameterKey(IMethodSymbol m)
        {
            AttributeData? attribute = m.GetAttributes().FirstOrDefault(a => IsNormGenAttribute(a.AttributeClass));
            string? attributeName = attribute?.AttributeClass?.ToDisplayString();
            NormKind? kind = null;
            foreach ((string name, NormKind k) in NormGenerator.Attributes)
                if (name == attributeName) kind = k;
            if (attribute is null || kind is not NormKind k0) return null;
            bool backward = attribute.NamedArguments.Any(n => n.Key == "Backward" && n.Value.Value is true);
            if (!IsRowKind(k0) && backward) return null;
            var parts = new List<string>();
            foreach (IParameterSymbol p in m.Parameters)
            {
                if (p.RefKind != RefKind.None || !TryClassify(p.Type, out ParamForm form, out ITypeSymbol? element)) return null;
                parts.Add(form == ParamForm.Int32 ? "int" : "view of " + element!.ToDisplayString());
            }
            bool staticShape = attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Array ? !a.IsNull && a.Values.Length > 0 : a.Value is int);
            if (IsRowKind(k0) && IsTensorDeclaration(m) && !staticShape) parts.Add("int");
            // The tensor kinds' sizes (GpuEmitter.TensorSizeParameters): spatial (BatchNorm), features (the scalers),
            // channels and spatial (the others).
            if (!IsRowKind(k0)) parts.Add(k0 is NormKind.GroupNorm or NormKind.InstanceNorm or NormKind.ChannelLayerNorm ? "int, int" : "int");
            return string.Join(", ", parts);
        }

        private static bool IsConvertible(ElementKind from, ElementKind to) =>
            (from == ElementKind.Float && to == ElementKind.Half) || (from == ElementKind.Half && to == ElementKind.Float);

        internal static bool IsRowKind(NormKind kind) => kind is NormKind.LayerNorm or NormKind.RmsNorm or NormKind.DeepNorm;

        internal static bool IsTensorKind(NormKind kind) => !IsRowKind(kind);

        private static bool IsTensor(ParamForm form) => form is ParamForm.ReadOnlyTensorSpan or ParamForm.TensorSpan;

        // ------------------------------------------------------------------ helpers


        private static DiagnosticInfo Diag(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] args) =>
            new(descriptor.Id, location, args.ToEquatableArray());

        internal static string AttributeShortName(NormKind kind) => kind switch
        {
            NormKind.RmsNorm => "RmsNorm",
            NormKind.DeepNorm => "DeepNorm",
            NormKind.ChannelLayerNorm => "ChannelLayerNorm",
            NormKind.BatchNorm => "BatchNorm",
            NormKind.GroupNorm => "GroupNorm",
            NormKind.InstanceNorm => "InstanceNorm",
            NormKind.MinMaxScale => "MinMaxScale",
            NormKind.Standardize => "Standardize",
            _ => "LayerNorm",
        };

        private static bool IsNormGenAttribute(INamedTypeSymbol? type)
        {
            for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
                if (t.Name == "NormalizationAttribute" && t.ContainingNamespace?.ToDisplayString() == "NormGen") return true;
            return false;
        }

        private static bool TryClassify(ITypeSymbol type, out ParamForm form, out ITypeSymbol? element)
        {
            form = default;
            element = null;
            if (type.SpecialType == SpecialType.System_Int32)
            {
                form = ParamForm.Int32;
                return true;
            }
            if (type is not INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named) return false;
            switch (named.ConstructedFrom.ToDisplayString())
            {
                case "System.ReadOnlySpan<T>": form = ParamForm.ReadOnlySpan; break;
                case "System.Span<T>": form = ParamForm.Span; break;
                case "System.Numerics.Tensors.ReadOnlyTensorSpan<T>": form = ParamForm.ReadOnlyTensorSpan; break;
                case "System.Numerics.Tensors.TensorSpan<T>": form = ParamForm.TensorSpan; break;
                default: return false;
            }
            element = named.TypeArguments[0];
            return true;
        }

        private static ElementKind? ClassifyElement(ITypeSymbol type)
        {
            if (type.SpecialType == SpecialType.System_Single) return ElementKind.Float;
            if (type.SpecialType == SpecialType.System_Double) return ElementKind.Double;
            if (type.SpecialType == SpecialType.System_Int64) return ElementKind.Int64;
            if (type.Name == "Half" && type.ContainingNamespace?.ToDisplayString() == "System") return ElementKind.Half;
            return null;
        }

        private static string DescribeParameterType(IParameterSymbol p)
        {
            string prefix = p.RefKind switch
            {
                RefKind.Ref => "ref ",
                RefKind.Out => "out ",
                RefKind.In => "in ",
                _ => p.IsParams ? "params " : "",
            };
            if (p.ScopedKind != ScopedKind.None) prefix = "scoped " + prefix;
            return prefix + p.Type.ToDisplayString();
        }

        private static LocationInfo? ParameterLocation(IParameterSymbol p, CancellationToken ct) =>
            LocationInfo.From(p.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(ct).GetLocation());

        internal static string ElementName(ElementKind e) => e switch
        {
            ElementKind.Double => "double",
            ElementKind.Half => "Half",
            ElementKind.Int64 => "long",
            _ => "float",
        };

        private static string FormName(ParamForm form) => form switch
        {
            ParamForm.ReadOnlySpan => "ReadOnlySpan<T>",
            ParamForm.Span => "Span<T>",
            ParamForm.ReadOnlyTensorSpan => "ReadOnlyTensorSpan<T>",
            ParamForm.TensorSpan => "TensorSpan<T>",
            _ => "int",
        };

        private static string RoleName(NormKind kind, ParamRole role) => role switch
        {
            ParamRole.Input => "x",
            ParamRole.Residual => kind == NormKind.DeepNorm ? "sublayer" : "residual",
            ParamRole.Bias => "bias",
            ParamRole.Gamma => kind == NormKind.RmsNorm ? "weight" : "gamma",
            ParamRole.Beta => "beta",
            ParamRole.RunningMean => "runningMean",
            ParamRole.RunningVar => "runningVar",
            ParamRole.BatchesTracked => "batchesTracked",
            ParamRole.Output => "y",
            ParamRole.ResidualOut => "residualOut",
            ParamRole.Mean => kind == NormKind.BatchNorm ? "saveMean" : "mean",
            ParamRole.Rstd => kind == NormKind.BatchNorm ? "saveRstd" : "rstd",
            _ => "rowLength",
        };

        /// <summary>The declaration a user should write for this attribute, for the diagnostics' "write this instead".</summary>
        private static string ExpectedSignature(string name, NormKind kind, Options o, ElementKind element, ElementKind outElement, bool tensorForm, bool runtimeRowLength, List<ParamRole> roles)
        {
            string t = ElementName(element);
            string stats = element == ElementKind.Double ? "double" : "float";
            var parts = new List<string>();
            foreach (ParamRole role in roles)
            {
                string n = role == ParamRole.Gamma && o.BiasFree ? "weight" : RoleName(kind, role);
                string text = role switch
                {
                    ParamRole.Input => tensorForm ? $"ReadOnlyTensorSpan<{t}> {n}" : $"ReadOnlySpan<{t}> {n}",
                    ParamRole.Output => tensorForm ? $"TensorSpan<{ElementName(outElement)}> {n}" : $"Span<{ElementName(outElement)}> {n}",
                    ParamRole.Mean or ParamRole.Rstd => $"Span<{stats}> {n}",
                    ParamRole.BatchesTracked => $"Span<long> {n}",
                    ParamRole.ResidualOut => $"Span<{t}> {n}",
                    ParamRole.RunningMean or ParamRole.RunningVar when o.Training => $"Span<{t}> {n}",
                    _ => $"ReadOnlySpan<{t}> {n}",
                };
                parts.Add(text);
                if (role == ParamRole.Input && runtimeRowLength) parts.Add("int rowLength");
            }
            return $"static partial void {name}({string.Join(", ", parts)});";
        }

        private static string DescribeParameters(int spans, int ints)
        {
            string s = spans == 1 ? "1 span parameter" : $"{spans} span parameters";
            if (ints > 0) s += ints == 1 ? " and 1 int parameter" : $" and {ints} int parameters";
            return s;
        }

        private static string DescribeAttribute(string attributeName, NormKind kind, Options o)
        {
            var parts = new List<string> { $"[{attributeName}]" };
            if (kind is not (NormKind.MinMaxScale or NormKind.Standardize))
            {
                parts.Add(o.BiasFree ? "BiasFree (weight only)" : o.Affine switch
                {
                    AffineMode.None => "Affine.None (no gamma, no beta)",
                    AffineMode.Scale => "Affine.Scale (gamma only)",
                    _ => "Affine.ScaleAndBias (gamma and beta)",
                });
            }
            if (o.Residual) parts.Add(o.ResidualBias ? "Residual and ResidualBias (residual, bias; residualOut optional)" : "Residual (residual; residualOut optional)");
            if (o.SaveStatistics) parts.Add(kind == NormKind.RmsNorm ? "SaveStatistics (rstd)" : "SaveStatistics (mean, rstd)");
            if (o.Shape.Count > 0 && IsRowKind(kind)) parts.Add("a compile-time shape (no int row length)");
            return string.Join(" and ", parts);
        }

        private static string JoinShape(List<int> shape) => string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture)));

        internal static string FormatFloat(float value) => value.ToString("R", CultureInfo.InvariantCulture);

        private static IEnumerable<TypeDeclSpec> ContainingTypes(IMethodSymbol method)
        {
            var stack = new Stack<TypeDeclSpec>();
            for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                string keyword = type.IsRecord
                    ? (type.TypeKind == TypeKind.Struct ? "record struct" : "record")
                    : type.TypeKind switch
                    {
                        TypeKind.Struct => "struct",
                        TypeKind.Interface => "interface",
                        _ => "class",
                    };
                string name = GlobalNames.Identifier(type.Name);
                if (type.TypeParameters.Length > 0)
                    name += "<" + string.Join(", ", type.TypeParameters.Select(tp => Variance(tp) + GlobalNames.Identifier(tp.Name))) + ">";
                stack.Push(new TypeDeclSpec(keyword, name));
            }
            return stack;
        }

        // Partial declarations of a variant interface must repeat the variance (CS1067).
        private static string Variance(ITypeParameterSymbol tp) => tp.Variance switch
        {
            VarianceKind.Out => "out ",
            VarianceKind.In => "in ",
            _ => "",
        };

        /// <summary>
        /// What is wrong with the method's modifiers for a kernel, e.g. "is 'virtual'" or "has 'static' twice", or null.
        /// An accessibility, static, partial, unsafe and new are fine (missing static/partial is NG0001's).
        /// </summary>
        private static string? ModifierProblem(MethodDeclarationSyntax syntax)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (SyntaxToken m in syntax.Modifiers)
            {
                if (!seen.Add(m.Text)) return $"has '{m.Text}' twice";
                switch (m.Kind())
                {
                    case SyntaxKind.PublicKeyword or SyntaxKind.PrivateKeyword or SyntaxKind.ProtectedKeyword or SyntaxKind.InternalKeyword:
                    case SyntaxKind.StaticKeyword or SyntaxKind.PartialKeyword or SyntaxKind.UnsafeKeyword or SyntaxKind.NewKeyword:
                    case SyntaxKind.ExternKeyword: // an implementation, NG0001's
                        break;
                    default:
                        return $"is '{m.Text}'";
                }
            }
            return null;
        }

        /// <summary>True when an earlier annotated partial definition in the same type has the same name and parameters.</summary>
        private static bool IsRepeatedDeclaration(IMethodSymbol method)
        {
            int Position(IMethodSymbol m) => m.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0;
            string File(IMethodSymbol m) => m.Locations.FirstOrDefault()?.SourceTree?.FilePath ?? "";
            foreach (IMethodSymbol other in method.ContainingType.GetMembers(method.Name).OfType<IMethodSymbol>())
            {
                if (SymbolEqualityComparer.Default.Equals(other, method) || other.Parameters.Length != method.Parameters.Length) continue;
                if (!other.GetAttributes().Any(a => IsNormGenAttribute(a.AttributeClass))) continue;
                bool same = true;
                for (int i = 0; same && i < other.Parameters.Length; i++)
                    same = other.Parameters[i].RefKind == method.Parameters[i].RefKind &&
                           SymbolEqualityComparer.Default.Equals(other.Parameters[i].Type, method.Parameters[i].Type);
                int order = string.CompareOrdinal(File(other), File(method));
                if (same && (order < 0 || (order == 0 && Position(other) < Position(method)))) return true;
            }
            return false;
        }

        /// <summary>
        /// When the parameters are the expected ones in another order, the real mistake ("'y' must come after 'gamma'
        /// and 'beta'"), rather than the type error it causes at the first misplaced position; otherwise null.
        /// </summary>
        private static string? OrderMistake(NormKind kind, List<ParameterSpec> specs)
        {
            var spans = specs.Where(s => s.Role != ParamRole.RowLength).ToList();
            var names = spans.Select(s => s.Name).ToList();
            var expected = spans.Select(s => RoleName(kind, s.Role)).ToList();
            if (names.SequenceEqual(expected, StringComparer.Ordinal)) return null;

            // The expected names, permuted: name the first parameter that sits before ones that belong before it.
            if (names.OrderBy(n => n, StringComparer.Ordinal).SequenceEqual(expected.OrderBy(n => n, StringComparer.Ordinal), StringComparer.Ordinal))
            {
                for (int i = 0; i < names.Count; i++)
                {
                    var before = expected.Take(expected.IndexOf(names[i])).Where(e => names.IndexOf(e) > i).ToList();
                    if (before.Count > 0) return $"'{names[i]}' must come after {JoinNames(before)}";
                }
                return null;
            }

            // Other names: a writable span where an input belongs and a read-only one where an output belongs.
            bool Writable(ParameterSpec s) => s.Form is ParamForm.Span or ParamForm.TensorSpan;
            bool OutputRole(ParamRole r) => r is ParamRole.Output or ParamRole.ResidualOut or ParamRole.Mean or ParamRole.Rstd;
            int misplacedOutput = spans.FindIndex(s => OutputRole(s.Role) && !Writable(s));
            int misplacedInput = spans.FindIndex(s => s.Role is not ParamRole.Input && !OutputRole(s.Role) && Writable(s) && s.Element == spans[0].Element);
            if (misplacedOutput < 0 || misplacedInput < 0 || misplacedInput > misplacedOutput) return null;
            var between = spans.Skip(misplacedInput).Take(misplacedOutput - misplacedInput).Select(s => RoleName(kind, s.Role)).ToList();
            return $"'{spans[misplacedInput].Name}' is writable and sits where {RoleName(kind, spans[misplacedInput].Role)} belongs, while '{spans[misplacedOutput].Name}' is read-only where {RoleName(kind, spans[misplacedOutput].Role)} belongs: the output {RoleName(kind, spans[misplacedOutput].Role)} must come after {JoinNames(between)}";
        }

        private static string JoinNames(List<string> names) =>
            names.Count == 1 ? $"'{names[0]}'" : string.Join(", ", names.Take(names.Count - 1).Select(n => $"'{n}'")) + $" and '{names[names.Count - 1]}'";

        /// <summary>True when the compiler dropped a named argument it could not bind (e.g. Epsilon = someField): its value would silently be the default.</summary>
        private static bool HasUnboundNamedArgument(AttributeData attribute, CancellationToken ct) =>
            attribute.ApplicationSyntaxReference?.GetSyntax(ct) is AttributeSyntax { ArgumentList: { } list } &&
            list.Arguments.Any(a => a.NameEquals is { } n && !attribute.NamedArguments.Any(na => na.Key == n.Name.Identifier.ValueText));

        // ------------------------------------------------------------------ stubs for invalid declarations

        private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>
        /// The implementing declaration for a method NormGen reported errors for, whose body throws with the messages;
        /// null where no implementation can compile: not a partial definition, already implemented, a containing type
        /// that is not partial or is file-local, modifiers the compiler rejects, a second declaration, constrained type parameters,
        /// types that do not resolve, or pointers outside an unsafe method.
        /// </summary>
        private static InvalidDeclaration? Stub(IMethodSymbol method, MethodDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var errors = diagnostics.Where(d => NormGenDiagnostics.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error).ToList();
            if (errors.Count == 0) return null;
            if (errors.Any(d => d.Id is "NG0002" or "NG0023" or "NG0025")) return null;
            // Modifiers the compiler accepts on a partial method pair are repeated once each; ones it rejects get no stub.
            var modifiers = syntax.Modifiers.Select(m => m.Text).Distinct(StringComparer.Ordinal).ToList();
            if (modifiers.Contains("abstract") || (modifiers.Contains("static") && modifiers.Any(m => m is "readonly" or "virtual" or "override" or "sealed")))
                return null;
            if (!method.IsPartialDefinition || method.PartialImplementationPart is not null || method.IsExtern ||
                syntax.Body is not null || syntax.ExpressionBody is not null || method.ReturnsByRef || method.ReturnsByRefReadonly)
                return null;
            if (method.TypeParameters.Any(tp => tp.HasReferenceTypeConstraint || tp.HasValueTypeConstraint || tp.HasUnmanagedTypeConstraint ||
                                                tp.HasNotNullConstraint || tp.HasConstructorConstraint || tp.ConstraintTypes.Length > 0))
                return null;
            var types = method.Parameters.Select(p => p.Type).Append(method.ReturnType).ToList();
            if (types.Any(ContainsErrorType)) return null;
            bool isUnsafe = syntax.Modifiers.Any(SyntaxKind.UnsafeKeyword);
            if (!isUnsafe && types.Any(t => t is IPointerTypeSymbol or IFunctionPointerTypeSymbol)) return null;

            var parameters = method.Parameters.Select((p, i) =>
            {
                string prefix = (method.IsExtensionMethod && i == 0 ? "this " : "") + (p.ScopedKind != ScopedKind.None ? "scoped " : "");
                prefix += p.RefKind switch
                {
                    RefKind.Ref => "ref ",
                    RefKind.Out => "out ",
                    RefKind.In => "in ",
                    RefKind.None => p.IsParams ? "params " : "",
                    _ => "ref readonly ",
                };
                return prefix + p.Type.ToDisplayString(s_typeFormat) + " " + CpuEmitter.Id(p.Name);
            });
            string typeParameters = method.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", method.TypeParameters.Select(tp => tp.Name)) + ">";
            string signature = $"{string.Join(" ", modifiers)} {method.ReturnType.ToDisplayString(s_typeFormat)} {CpuEmitter.Id(method.Name)}{typeParameters}({string.Join(", ", parameters)})";
            string message = $"NormGen could not implement '{method.Name}': " + string.Join(" ", errors.Select(d =>
                d.Id + ": " + string.Format(CultureInfo.InvariantCulture, NormGenDiagnostics.ById(d.Id).MessageFormat.ToString(CultureInfo.InvariantCulture), d.MessageArgs.ToArray<object>())));
            string hint = HintName(method);
            return new InvalidDeclaration(
                method.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
                ContainingTypes(method).ToEquatableArray(),
                hint.Substring(0, hint.Length - ".g.cs".Length) + "`Invalid.g.cs",
                signature,
                message);
        }

        private static bool ContainsErrorType(ITypeSymbol type) => type switch
        {
            { TypeKind: TypeKind.Error } => true,
            IArrayTypeSymbol a => ContainsErrorType(a.ElementType),
            IPointerTypeSymbol p => ContainsErrorType(p.PointedAtType),
            INamedTypeSymbol n => n.TypeArguments.Any(ContainsErrorType),
            _ => false,
        };

        private static string QualifiedPath(IMethodSymbol method)
        {
            var parts = new List<string>();
            for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
                parts.Insert(0, type.TypeParameters.Length > 0 ? $"{type.Name}`{type.TypeParameters.Length}" : type.Name);
            if (method.ContainingNamespace is { IsGlobalNamespace: false } ns) parts.InsertRange(0, NamespaceNames(ns));
            parts.Add(method.Name);
            return string.Join(".", parts);
        }

        /// <summary>The names of a namespace, outermost first, as declared (<c>App</c>, <c>checked</c>: without the '@' of ToDisplayString).</summary>
        private static List<string> NamespaceNames(INamespaceSymbol ns)
        {
            var names = new List<string>();
            for (INamespaceSymbol? n = ns; n is { IsGlobalNamespace: false }; n = n.ContainingNamespace) names.Insert(0, n.Name);
            return names;
        }

        /// <summary>
        /// The exact, case-sensitive identity of a method: namespace, containing types with their arity (nesting
        /// marked apart from namespaces), name, arity and parameter types. Two methods of one compilation share it only
        /// when they are declared twice (an error of its own), and then they get ordinals.
        /// </summary>
        private static string Signature(IMethodSymbol method)
        {
            var sb = new StringBuilder();
            if (method.ContainingNamespace is { IsGlobalNamespace: false } ns) sb.Append(string.Join(".", NamespaceNames(ns)));
            var types = new List<string>();
            for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
                types.Insert(0, type.Arity > 0 ? type.Name + "`" + type.Arity.ToString(CultureInfo.InvariantCulture) : type.Name);
            sb.Append("::").Append(string.Join("+", types)).Append("::").Append(method.Name);
            if (method.Arity > 0) sb.Append("``").Append(method.Arity.ToString(CultureInfo.InvariantCulture));
            sb.Append('(');
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                IParameterSymbol p = method.Parameters[i];
                if (i > 0) sb.Append(',');
                sb.Append(p.RefKind switch { RefKind.Ref => "ref ", RefKind.Out => "out ", RefKind.In => "in ", _ => "" });
                sb.Append(p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
            }
            return sb.Append(')').ToString();
        }

        /// <summary>
        /// Eight hex digits of a 32-bit FNV-1a hash of <see cref="Signature"/>: the same on every run, machine and
        /// culture, and different for names that differ only in case (which hint names compare equal).
        /// </summary>
        internal static string SignatureHash(IMethodSymbol method)
        {
            string signature = Signature(method);
            // Declared twice with one signature (CS0111/CS0756): the second and later get an ordinal, so no two hint names clash.
            var twins = method.ContainingType?.GetMembers(method.Name).OfType<IMethodSymbol>().Where(m => Signature(m) == signature)
                .OrderBy(m => m.Locations.FirstOrDefault()?.SourceTree?.FilePath, StringComparer.Ordinal)
                .ThenBy(m => m.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0)
                .ToList();
            int index = twins?.FindIndex(m => SymbolEqualityComparer.Default.Equals(m, method)) ?? -1;
            if (index > 0) signature += "#" + index.ToString(CultureInfo.InvariantCulture);
            uint hash = 2166136261;
            foreach (char c in signature)
            {
                hash ^= c;
                hash *= 16777619;
            }
            return hash.ToString("x8", CultureInfo.InvariantCulture);
        }

        /// <summary>
        /// <c>Namespace.Type`1.Nested.Method.1a2b3c4d.g.cs</c>: the readable path (characters a file name cannot hold
        /// become '_') and the signature's hash, which keeps overloads, case variants and <c>Norm</c> beside
        /// <c>Norm_2</c> apart: the compiler compares hint names ignoring case.
        /// </summary>
        internal static string HintName(IMethodSymbol method)
        {
            string path = QualifiedPath(method);
            var sb = new StringBuilder(path.Length + 16);
            foreach (char c in path) sb.Append(char.IsLetterOrDigit(c) || c is '.' or '_' or '`' ? c : '_');
            return sb.Append('.').Append(SignatureHash(method)).Append(".g.cs").ToString();
        }

        /// <summary>
        /// The generated helper class: <c>__NormGen_Method_1a2b3c4d</c>, a name no user member, parameter or nested
        /// type takes (the old <c>MethodKernel</c> was captured by a user's parameter or nested type of that name).
        /// </summary>
        private static string KernelClassName(IMethodSymbol method) => "__NormGen_" + method.Name + "_" + SignatureHash(method);
    }
}
