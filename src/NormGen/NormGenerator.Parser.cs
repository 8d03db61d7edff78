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
    /// <summary>
    /// Turns one annotated method into a <see cref="KernelSpec"/> and/or diagnostics. Never throws for bad input. What is
    /// specific to a kind (its options, roles, names, backends) comes from its <see cref="KindDefinition"/>.
    /// </summary>
    internal static partial class Parser
    {
        private sealed record ParamInfo(IParameterSymbol Symbol, bool Supported, ParamForm Form, ElementKind? Element, string ElementDisplay);

        /// <summary>One declaration while it is parsed: its symbols, where to report, and what the attribute calls for.</summary>
        private sealed class Declaration
        {
            public Declaration(GeneratorAttributeSyntaxContext context, KindDefinition definition, CancellationToken cancellationToken)
            {
                Method = (IMethodSymbol)context.TargetSymbol;
                Syntax = (MethodDeclarationSyntax)context.TargetNode;
                Attribute = context.Attributes[0];
                Definition = definition;
                CancellationToken = cancellationToken;
                MethodLocation = LocationInfo.From(Syntax.Identifier.GetLocation());
                AttributeLocation = LocationInfo.From(Attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()) ?? MethodLocation;
            }

            public IMethodSymbol Method { get; }
            public MethodDeclarationSyntax Syntax { get; }
            public AttributeData Attribute { get; }
            /// <summary>What the attribute's kind takes and supports.</summary>
            public KindDefinition Definition { get; }
            public CancellationToken CancellationToken { get; }
            public LocationInfo? MethodLocation { get; }
            public LocationInfo? AttributeLocation { get; }
            public List<DiagnosticInfo> Diagnostics { get; } = new();

            /// <summary>The element type of the first float/double/Half span (float when none).</summary>
            public ElementKind Element { get; set; }
            /// <summary>x and y are (or, for the tensor kinds, must be) tensor spans.</summary>
            public bool TensorForm { get; set; }
            /// <summary>A flat row kind without a compile-time shape: an int row length follows x.</summary>
            public bool RuntimeRowLength { get; set; }
            /// <summary>The span parameters the attribute calls for, in order.</summary>
            public List<ParamRole> Roles { get; set; } = new();
            /// <summary>The declaration to write instead, for the diagnostics.</summary>
            public string Expected { get; set; } = "";

            public void Report(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] args) => Diagnostics.Add(Diag(descriptor, location, args));

            public LocationInfo? LocationOf(string parameterName) =>
                ParameterLocation(Method.Parameters.First(q => q.Name == parameterName), CancellationToken) ?? MethodLocation;

            /// <summary>A declaration with an error gets no kernel but, where it can be implemented, a body that throws.</summary>
            public ParseResult Done(KernelSpec? kernel) =>
                new(kernel, Diagnostics.ToEquatableArray(), kernel is null ? Stub(Method, Syntax, Diagnostics, CancellationToken) : null);
        }

        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, NormKind kind, CancellationToken cancellationToken)
        {
            var d = new Declaration(context, Kinds.Get(kind), cancellationToken);
            if (!AttributeIsUsable(d)) return d.Done(null);

            AttributeOptions options = ReadOptions(d);
            List<ParamInfo> parameters = ClassifyParameters(d.Method, cancellationToken);
            DescribeExpected(d, options, parameters);
            if (options.Backward && d.Definition.BackwardProblem(options) is string problem)
                options.Report(NormGenDiagnostics.BackwardNotSupported, $"[{d.Definition.AttributeName}(Backward = true)]", problem);

            CheckMethod(d);
            // A generic method is one mistake: its T-typed parameters are not reported again one by one.
            if (d.Method.TypeParameters.Length > 0)
            {
                d.Report(NormGenDiagnostics.GenericMethod, d.MethodLocation, d.Method.Name, d.Expected);
                return d.Done(null);
            }

            // ---- roles, in declaration order; one int row length allowed for run-time flat shapes ----
            var specs = new List<ParameterSpec>();
            bool parametersOk = CheckParameterTypes(d, parameters) &&
                (options.Backward ? MatchBackward(d, options, parameters, specs) : MatchForward(d, options, parameters, specs));
            if (d.Diagnostics.Count > 0 || !options.Ok || !parametersOk)
                return d.Done(null);
            return d.Done(CheckGpu(context, d, BuildSpec(d, options, specs)));
        }

        /// <summary>False (reported) for a second NormGen attribute on the method, or arguments the compiler could not bind.</summary>
        private static bool AttributeIsUsable(Declaration d)
        {
            // A method with two NormGen attributes is reported once, by the pipeline of the first attribute.
            var normAttributes = d.Method.GetAttributes().Where(a => IsNormGenAttribute(a.AttributeClass)).ToList();
            if (normAttributes.Count > 1)
            {
                if (SymbolEqualityComparer.Default.Equals(normAttributes[0].AttributeClass, d.Attribute.AttributeClass))
                    d.Report(NormGenDiagnostics.MultipleAttributes, d.MethodLocation, d.Method.Name);
                return false;
            }

            // No constructor: overload resolution failed (e.g. [LayerNorm("x")] or a missing argument), and the
            // arguments are simply absent from ConstructorArguments, so without this check they would read as "no shape".
            AttributeData attribute = d.Attribute;
            if (attribute.AttributeClass is null || attribute.AttributeClass.TypeKind == TypeKind.Error || attribute.AttributeConstructor is null ||
                attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error) ||
                attribute.NamedArguments.Any(a => a.Value.Kind == TypedConstantKind.Error) ||
                HasUnboundNamedArgument(attribute, d.CancellationToken))
            {
                d.Report(NormGenDiagnostics.InvalidAttributeArguments, d.AttributeLocation, d.Definition.AttributeName);
                return false;
            }
            return true;
        }

        /// <summary>Each parameter with its form and element type, or unsupported (ref, params, scoped, another type).</summary>
        private static List<ParamInfo> ClassifyParameters(IMethodSymbol method, CancellationToken cancellationToken)
        {
            var parameters = new List<ParamInfo>();
            foreach (IParameterSymbol p in method.Parameters)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (p.RefKind == RefKind.None && !p.IsParams && p.ScopedKind == ScopedKind.None && TryClassify(p.Type, out ParamForm form, out ITypeSymbol? elementType))
                    parameters.Add(new ParamInfo(p, true, form, elementType is null ? null : ClassifyElement(elementType), elementType?.ToDisplayString() ?? ""));
                else
                    parameters.Add(new ParamInfo(p, false, default, null, ""));
            }
            return parameters;
        }

        /// <summary>The element type, the form, the roles and the declaration the attribute calls for (for every later diagnostic).</summary>
        private static void DescribeExpected(Declaration d, AttributeOptions options, List<ParamInfo> parameters)
        {
            ParamInfo? first = parameters.FirstOrDefault(p => p.Supported && p.Form != ParamForm.Int32 && p.Element is ElementKind.Float or ElementKind.Double or ElementKind.Half);
            d.Element = first?.Element ?? ElementKind.Float;
            d.TensorForm = !d.Definition.IsRowKind || (parameters.Count > 0 && parameters[0].Supported && IsTensor(parameters[0].Form));
            d.RuntimeRowLength = d.Definition.IsRowKind && options.Shape.Count == 0 && !d.TensorForm;
            d.Roles = options.Backward ? d.Definition.BackwardRoles(options) : d.Definition.ForwardRoles(options, withResidualOut: false);
            d.Expected = options.Backward ? BackwardSignature(d, d.Roles) : ExpectedSignature(d, options, d.Roles);
        }

        /// <summary>The method itself: modifiers, static partial void without a body, partial (not file-local) containing types, declared once.</summary>
        private static void CheckMethod(Declaration d)
        {
            IMethodSymbol method = d.Method;
            MethodDeclarationSyntax syntax = d.Syntax;
            bool isStatic = syntax.Modifiers.Any(SyntaxKind.StaticKeyword);
            bool isPartial = syntax.Modifiers.Any(SyntaxKind.PartialKeyword);
            bool hasBody = syntax.Body is not null || syntax.ExpressionBody is not null;
            // extern partial is an implementing declaration, and so is a body the user wrote in another part: a
            // generated body would be a second implementation (CS0757).
            bool implemented = method.IsExtern || method.PartialImplementationPart is not null;
            if (ModifierProblem(syntax) is string modifierProblem)
                d.Report(NormGenDiagnostics.UnsupportedModifier, d.MethodLocation, method.Name, modifierProblem, d.Expected);
            else if (!isStatic || !isPartial || hasBody || !method.ReturnsVoid || implemented)
                d.Report(NormGenDiagnostics.MethodMustBeStaticPartial, d.MethodLocation, method.Name, d.Expected);

            for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                var declarations = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(d.CancellationToken)).OfType<TypeDeclarationSyntax>().ToList();
                if (!declarations.Any(t => t.Modifiers.Any(SyntaxKind.PartialKeyword)))
                {
                    d.Report(NormGenDiagnostics.ContainingTypeMustBePartial, d.MethodLocation, type.Name, method.Name);
                    break;
                }
                if (declarations.Any(t => t.Modifiers.Any(SyntaxKind.FileKeyword)))
                {
                    d.Report(NormGenDiagnostics.FileLocalType, d.MethodLocation, type.Name, method.Name);
                    break;
                }
            }

            // The compiler reports the second declaration (CS0756); a second kernel would add CS0757.
            if (IsRepeatedDeclaration(method))
                d.Report(NormGenDiagnostics.DeclaredTwice, d.MethodLocation, method.Name, method.ContainingType.Name);
        }

        /// <summary>Reports parameters whose type (NG0008) or element type (NG0009) no kernel takes.</summary>
        private static bool CheckParameterTypes(Declaration d, List<ParamInfo> parameters)
        {
            bool ok = true;
            foreach (ParamInfo p in parameters)
            {
                LocationInfo? location = ParameterLocation(p.Symbol, d.CancellationToken) ?? d.MethodLocation;
                if (!p.Supported)
                {
                    d.Report(NormGenDiagnostics.UnsupportedParameterType, location, p.Symbol.Name, DescribeParameterType(p.Symbol), d.Expected);
                    ok = false;
                }
                else if (p.Form != ParamForm.Int32 && p.Element is null)
                {
                    d.Report(NormGenDiagnostics.UnsupportedElementType, location, p.Symbol.Name, p.ElementDisplay, d.Expected);
                    ok = false;
                }
            }
            return ok;
        }

        /// <summary>Gives each parameter of a forward declaration its role (the residual-sum output is optional), then checks order, types and forms.</summary>
        private static bool MatchForward(Declaration d, AttributeOptions options, List<ParamInfo> parameters, List<ParameterSpec> specs)
        {
            var spans = parameters.Where(p => p.Form != ParamForm.Int32).ToList();
            int ints = parameters.Count - spans.Count;
            List<ParamRole> roles = d.Roles;
            if (spans.Count == roles.Count + 1 && d.Definition.ForwardRoles(options, withResidualOut: true) is { } withOut && withOut.Count == spans.Count)
                roles = withOut;
            if (spans.Count != roles.Count || !(ints == 0 || (ints == 1 && d.RuntimeRowLength)))
            {
                d.Report(NormGenDiagnostics.SignatureDoesNotMatch, d.MethodLocation, d.Method.Name,
                    DescribeParameters(spans.Count, ints), DescribeAttribute(d.Definition, options), d.Expected);
                return false;
            }

            int spanIndex = 0;
            foreach (ParamInfo p in parameters)
            {
                ParamRole role = p.Form == ParamForm.Int32 ? ParamRole.RowLength : roles[spanIndex++];
                specs.Add(new ParameterSpec(p.Symbol.Name, role, p.Form, p.Element ?? d.Element));
            }
            if (OrderMistake(d.Definition, specs) is string mistake)
            {
                d.Report(NormGenDiagnostics.ParametersOutOfOrder, d.MethodLocation, d.Method.Name, mistake, d.Expected);
                return false;
            }
            return CheckRoles(d, options, specs);
        }

        /// <summary>The spec of a valid declaration: the method's names, the common options and the kind's own.</summary>
        private static KernelSpec BuildSpec(Declaration d, AttributeOptions options, List<ParameterSpec> specs)
        {
            IMethodSymbol method = d.Method;
            ParameterSpec output = specs.First(s => s.Role is ParamRole.Output or ParamRole.InputGradient);
            return new KernelSpec(
                Namespace: method.ContainingNamespace is { IsGlobalNamespace: false } ns ? string.Join(".", NamespaceNames(ns).Select(GlobalNames.Identifier)) : null,
                ContainingTypes: ContainingTypes(method).ToEquatableArray(),
                MethodName: method.Name,
                Modifiers: string.Join(" ", d.Syntax.Modifiers.Select(m => m.Text)),
                HintName: HintName(method),
                KernelClassName: KernelClassName(method),
                Kind: d.Definition.Kind,
                Element: d.Element,
                Shape: options.Shape.ToEquatableArray(),
                Axes: options.Shape.Count > 0 ? options.Shape.Count : options.Axes ?? 1,
                // RMSNorm's default is finfo(compute type).eps (PyTorch eps=None): 2⁻⁵² for double, 2⁻²³ otherwise.
                Epsilon: options.EpsilonGiven ? options.Epsilon : d.Definition.DefaultEpsilon(d.Element),
                Affine: options.Affine,
                Parameters: specs.ToEquatableArray(),
                IsExtension: method.IsExtensionMethod)
            {
                OutputElement = output.Element,
                Options = options.KindOptions,
                SaveStatistics = options.SaveStatistics,
                UserDocumentation = Documentation.Read(method, d.CancellationToken),
                Backward = options.Backward,
            };
        }

        /// <summary>With ILGPU referenced, says when this spec gets no GPU overload because another declaration's would collide with them (NG0030, a warning: the CPU kernel is fine).</summary>
        private static KernelSpec CheckGpu(GeneratorAttributeSyntaxContext context, Declaration d, KernelSpec spec)
        {
            if (context.SemanticModel.Compilation.GetTypeByMetadataName("ILGPU.Runtime.Accelerator") is null) return spec;
            if (GpuTwin(d.Method) is not IMethodSymbol twin) return spec;
            d.Report(NormGenDiagnostics.GpuOverloadsCollide, d.MethodLocation, d.Method.Name, twin.ToDisplayString());
            return spec with { GpuOverloadsCollide = true };
        }

        // ------------------------------------------------------------------ attribute options

        /// <summary>
        /// Reads and validates the options every kind has (shape, axes, ε, affine, saved statistics, backward), then the
        /// kind's own (<see cref="KindDefinition.ReadOptions"/>).
        /// </summary>
        private static AttributeOptions ReadOptions(Declaration d)
        {
            KindDefinition kind = d.Definition;
            var o = new AttributeOptions(d.Attribute, kind.AttributeName, d.AttributeLocation, d.Diagnostics)
            {
                Epsilon = kind.DefaultEpsilon(ElementKind.Float),
                Affine = kind.DefaultAffine,
            };
            kind.ReadConstructorArguments(o);
            o.Axes = o.Int("Axes");
            if (o.Float("Epsilon") is float epsilon)
            {
                o.Epsilon = epsilon;
                o.EpsilonGiven = true;
            }
            int affineValue = o.Int("Affine") ?? (int)o.Affine;
            o.SaveStatistics = o.Bool("SaveStatistics");
            o.Backward = o.Bool("Backward");

            CheckShape(o);
            if (kind.HasEpsilon && (float.IsNaN(o.Epsilon) || float.IsInfinity(o.Epsilon) || o.Epsilon <= 0f))
                o.Report(NormGenDiagnostics.InvalidEpsilon, FormatFloat(o.Epsilon), FormatFloat(kind.SuggestedEpsilon) + "f");
            if (affineValue is < 0 or > 2)
                o.Report(NormGenDiagnostics.InvalidAffine, affineValue.ToString(CultureInfo.InvariantCulture));
            o.Affine = (AffineMode)Math.Max(0, Math.Min(2, affineValue));

            o.KindOptions = kind.ReadOptions(o);
            if (o.SaveStatistics && !kind.SavesStatistics(o))
                o.Invalid("SaveStatistics = true", kind.SaveStatisticsFix);
            return o;
        }

        /// <summary>Shape entries positive, their product an int, Axes positive and equal to the shape's rank when both are given.</summary>
        private static void CheckShape(AttributeOptions o)
        {
            for (int i = 0; i < o.Shape.Count; i++)
            {
                if (o.Shape[i] <= 0)
                    o.Report(NormGenDiagnostics.ShapeEntryNotPositive, i.ToString(CultureInfo.InvariantCulture), o.Shape[i].ToString(CultureInfo.InvariantCulture), o.AttributeName);
            }
            if (o.Ok && NormDefaults.RowLength(o.Shape.ToArray()) == -2)
                o.Report(NormGenDiagnostics.ShapeTooLarge, JoinShape(o.Shape));
            if (o.Axes is int ax && ax < 1)
                o.Report(NormGenDiagnostics.AxesNotPositive, ax.ToString(CultureInfo.InvariantCulture));
            else if (o.Axes is int ax2 && o.Shape.Count > 0 && ax2 != o.Shape.Count)
                o.Report(NormGenDiagnostics.AxesDisagreeWithShape, ax2.ToString(CultureInfo.InvariantCulture), JoinShape(o.Shape), o.Shape.Count.ToString(CultureInfo.InvariantCulture));
        }

        // ------------------------------------------------------------------ roles

        /// <summary>Element types, writable outputs and span forms of a forward declaration whose roles are assigned (NG0009–NG0016).</summary>
        private static bool CheckRoles(Declaration d, AttributeOptions o, List<ParameterSpec> specs)
        {
            bool ok = true;
            ParameterSpec input = specs.First(s => s.Role == ParamRole.Input);
            ParameterSpec output = specs.First(s => s.Role == ParamRole.Output);
            foreach (ParameterSpec s in specs.Where(s => s.Role != ParamRole.RowLength))
                ok &= CheckRole(d, o, s);

            if (ok && IsTensor(input.Form) != IsTensor(output.Form))
            {
                d.Report(NormGenDiagnostics.FormsDisagree, d.LocationOf(output.Name), output.Name, FormName(output.Form), input.Name, FormName(input.Form), d.Expected);
                ok = false;
            }
            if (ok && !d.Definition.IsRowKind && !IsTensor(input.Form))
            {
                d.Report(NormGenDiagnostics.TensorSpansRequired, d.LocationOf(input.Name), d.Definition.AttributeName, d.Expected);
                ok = false;
            }
            if (ok && d.Definition.IsRowKind && o.Shape.Count == 0 && (d.TensorForm ? o.Axes is null : !specs.Any(s => s.Role == ParamRole.RowLength)))
            {
                d.Report(NormGenDiagnostics.NoShape, d.MethodLocation, d.Method.Name, d.Definition.AttributeName, d.Expected);
                ok = false;
            }
            return ok;
        }

        /// <summary>One forward parameter's element type and form.</summary>
        private static bool CheckRole(Declaration d, AttributeOptions o, ParameterSpec s)
        {
            bool ok = true;
            ElementKind element0 = d.Element;
            // Element types: statistics are float (double for double inputs), the counter is long, y may be float ↔ Half.
            ElementKind want = s.Role switch
            {
                ParamRole.Mean or ParamRole.Rstd => element0 == ElementKind.Double ? ElementKind.Double : ElementKind.Float,
                ParamRole.BatchesTracked => ElementKind.Int64,
                _ => element0,
            };
            bool elementOk = s.Element == want || (s.Role == ParamRole.Output && d.Definition.IsRowKind && IsConvertible(element0, s.Element));
            if (s.Element == ElementKind.Int64 && s.Role != ParamRole.BatchesTracked)
            {
                d.Report(NormGenDiagnostics.UnsupportedElementType, d.LocationOf(s.Name), s.Name, "long", d.Expected);
                ok = false;
            }
            else if (!elementOk)
            {
                if (s.Role == ParamRole.Output && s.Element != ElementKind.Int64)
                    d.Report(NormGenDiagnostics.UnsupportedOutputConversion, d.LocationOf(s.Name), s.Name, ElementName(element0), ElementName(s.Element));
                else
                    d.Report(NormGenDiagnostics.ElementTypesDisagree, d.LocationOf(s.Name), s.Name, ElementName(s.Element), ElementName(want), d.Expected);
                ok = false;
            }

            // Forms: outputs writable; x and y tensors or flat together; everything else a flat span.
            if (d.Definition.IsWritten(s.Role, o) && s.Form is ParamForm.ReadOnlySpan or ParamForm.ReadOnlyTensorSpan)
            {
                d.Report(NormGenDiagnostics.OutputNotWritable, d.LocationOf(s.Name), s.Name, s.Form == ParamForm.ReadOnlySpan ? "Span<T>" : "TensorSpan<T>", d.Expected);
                ok = false;
            }
            else if (s.Role is not (ParamRole.Input or ParamRole.Output) && IsTensor(s.Form))
            {
                d.Report(NormGenDiagnostics.UnsupportedParameterType, d.LocationOf(s.Name), s.Name, FormName(s.Form) + " (only x and y may be tensor spans; the others are flat spans)", d.Expected);
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
            KindDefinition? kind = Kinds.All.FirstOrDefault(k => k.MetadataName == attributeName);
            if (attribute is null || kind is null) return null;
            bool backward = attribute.NamedArguments.Any(n => n.Key == "Backward" && n.Value.Value is true);
            if (!kind.IsRowKind && backward) return null;
            var parts = new List<string>();
            foreach (IParameterSymbol p in m.Parameters)
            {
                if (p.RefKind != RefKind.None || !TryClassify(p.Type, out ParamForm form, out ITypeSymbol? element)) return null;
                parts.Add(form == ParamForm.Int32 ? "int" : "view of " + element!.ToDisplayString());
            }
            bool staticShape = attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Array ? !a.IsNull && a.Values.Length > 0 : a.Value is int);
            if (kind.IsRowKind && IsTensorDeclaration(m) && !staticShape) parts.Add("int");
            // The tensor kinds' sizes (GpuEmitter.TensorSizeParameters): spatial (BatchNorm), features (the scalers),
            // channels and spatial (the others).
            parts.AddRange(Enumerable.Repeat("int", kind.GpuSizeParameters));
            return string.Join(", ", parts);
        }

        private static bool IsConvertible(ElementKind from, ElementKind to) =>
            (from == ElementKind.Float && to == ElementKind.Half) || (from == ElementKind.Half && to == ElementKind.Float);

        private static bool IsTensor(ParamForm form) => form is ParamForm.ReadOnlyTensorSpan or ParamForm.TensorSpan;

        // ------------------------------------------------------------------ helpers


        private static DiagnosticInfo Diag(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] args) =>
            new(descriptor.Id, location, args.ToEquatableArray());

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

        /// <summary>The declaration a user should write for this attribute, for the diagnostics' "write this instead".</summary>
        private static string ExpectedSignature(Declaration d, AttributeOptions o, List<ParamRole> roles)
        {
            string t = ElementName(d.Element);
            string stats = d.Element == ElementKind.Double ? "double" : "float";
            var parts = new List<string>();
            foreach (ParamRole role in roles)
            {
                string n = d.Definition.SignatureName(role, o);
                string text = role switch
                {
                    ParamRole.Input => d.TensorForm ? $"ReadOnlyTensorSpan<{t}> {n}" : $"ReadOnlySpan<{t}> {n}",
                    ParamRole.Output => d.TensorForm ? $"TensorSpan<{t}> {n}" : $"Span<{t}> {n}",
                    ParamRole.Mean or ParamRole.Rstd => $"Span<{stats}> {n}",
                    ParamRole.BatchesTracked => $"Span<long> {n}",
                    _ when d.Definition.IsWritten(role, o) => $"Span<{t}> {n}",
                    _ => $"ReadOnlySpan<{t}> {n}",
                };
                parts.Add(text);
                if (role == ParamRole.Input && d.RuntimeRowLength) parts.Add("int rowLength");
            }
            return $"static partial void {d.Method.Name}({string.Join(", ", parts)});";
        }

        private static string DescribeParameters(int spans, int ints)
        {
            string s = spans == 1 ? "1 span parameter" : $"{spans} span parameters";
            if (ints > 0) s += ints == 1 ? " and 1 int parameter" : $" and {ints} int parameters";
            return s;
        }

        /// <summary>What the attribute asks for, in NG0004's words: "[LayerNorm] and Affine.Scale (gamma only) and …".</summary>
        private static string DescribeAttribute(KindDefinition kind, AttributeOptions o)
        {
            var parts = new List<string> { $"[{kind.AttributeName}]" };
            if (kind.DescribeAffine(o) is string affine) parts.Add(affine);
            if (o.Bool("Residual")) parts.Add(o.Bool("ResidualBias") ? "Residual and ResidualBias (residual, bias; residualOut optional)" : "Residual (residual; residualOut optional)");
            if (o.SaveStatistics) parts.Add(kind.Centers ? "SaveStatistics (mean, rstd)" : "SaveStatistics (rstd)");
            if (o.Shape.Count > 0 && kind.IsRowKind) parts.Add("a compile-time shape (no int row length)");
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
        private static string? OrderMistake(KindDefinition kind, List<ParameterSpec> specs)
        {
            var spans = specs.Where(s => s.Role != ParamRole.RowLength).ToList();
            var names = spans.Select(s => s.Name).ToList();
            var expected = spans.Select(s => kind.RoleName(s.Role)).ToList();
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
            var between = spans.Skip(misplacedInput).Take(misplacedOutput - misplacedInput).Select(s => kind.RoleName(s.Role)).ToList();
            return $"'{spans[misplacedInput].Name}' is writable and sits where {kind.RoleName(spans[misplacedInput].Role)} belongs, while '{spans[misplacedOutput].Name}' is read-only where {kind.RoleName(spans[misplacedOutput].Role)} belongs: the output {kind.RoleName(spans[misplacedOutput].Role)} must come after {JoinNames(between)}";
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
