using System;
using System.Collections.Generic;
using System.Collections.Immutable;
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
    internal static class Parser
    {
        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, NormKind kind, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            var method = (IMethodSymbol)context.TargetSymbol;
            var syntax = (MethodDeclarationSyntax)context.TargetNode;
            AttributeData attribute = context.Attributes[0];
            string attributeName = AttributeShortName(kind);
            LocationInfo? methodLocation = LocationInfo.From(syntax.Identifier.GetLocation());
            LocationInfo? attributeLocation = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()) ?? methodLocation;

            // A method with two NormGen attributes is reported once, by the pipeline of the first attribute.
            var normAttributes = method.GetAttributes().Where(a => IsNormGenAttribute(a.AttributeClass)).ToList();
            if (normAttributes.Count > 1)
            {
                if (SymbolEqualityComparer.Default.Equals(normAttributes[0].AttributeClass, attribute.AttributeClass))
                    diagnostics.Add(Diag(NormGenDiagnostics.MultipleAttributes, methodLocation, method.Name));
                return Result(null, diagnostics);
            }

            // ---- attribute arguments ----
            // No constructor: overload resolution failed (e.g. [LayerNorm("x")] or a missing argument), and the
            // arguments are simply absent from ConstructorArguments, so without this check they would read as "no shape".
            if (attribute.AttributeClass is null || attribute.AttributeClass.TypeKind == TypeKind.Error || attribute.AttributeConstructor is null ||
                attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error) ||
                attribute.NamedArguments.Any(a => a.Value.Kind == TypedConstantKind.Error))
            {
                diagnostics.Add(Diag(NormGenDiagnostics.InvalidAttributeArguments, attributeLocation, attributeName));
                return Result(null, diagnostics);
            }

            var shape = new List<int>();
            foreach (TypedConstant argument in attribute.ConstructorArguments)
            {
                if (argument.Kind == TypedConstantKind.Array)
                {
                    // [LayerNorm(null)]: Values is a default array here. The runtime reads a null shape as empty.
                    if (argument.IsNull) continue;
                    foreach (TypedConstant item in argument.Values)
                        if (item.Value is int size) shape.Add(size);
                }
                else if (argument.Value is int single)
                {
                    shape.Add(single);
                }
            }

            int? axes = null;
            float epsilon = kind == NormKind.RmsNorm ? NormDefaults.RmsNormEpsilon : NormDefaults.LayerNormEpsilon;
            int affineValue = (int)(kind == NormKind.RmsNorm ? AffineMode.Scale : AffineMode.ScaleAndBias);
            foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            {
                switch (named.Key)
                {
                    case "Axes" when named.Value.Value is int a: axes = a; break;
                    case "Epsilon" when named.Value.Value is float e: epsilon = e; break;
                    case "Affine" when named.Value.Value is int v: affineValue = v; break;
                }
            }

            bool attributeOk = true;
            for (int i = 0; i < shape.Count; i++)
            {
                if (shape[i] <= 0)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.ShapeEntryNotPositive, attributeLocation, i.ToString(CultureInfo.InvariantCulture), shape[i].ToString(CultureInfo.InvariantCulture), attributeName));
                    attributeOk = false;
                }
            }
            if (attributeOk && NormDefaults.RowLength(shape.ToArray()) == -2)
            {
                diagnostics.Add(Diag(NormGenDiagnostics.ShapeTooLarge, attributeLocation, JoinShape(shape)));
                attributeOk = false;
            }
            if (axes is int ax && ax < 1)
            {
                diagnostics.Add(Diag(NormGenDiagnostics.AxesNotPositive, attributeLocation, ax.ToString(CultureInfo.InvariantCulture)));
                attributeOk = false;
            }
            else if (axes is int ax2 && shape.Count > 0 && ax2 != shape.Count)
            {
                diagnostics.Add(Diag(NormGenDiagnostics.AxesDisagreeWithShape, attributeLocation, ax2.ToString(CultureInfo.InvariantCulture), JoinShape(shape), shape.Count.ToString(CultureInfo.InvariantCulture)));
                attributeOk = false;
            }
            if (float.IsNaN(epsilon) || float.IsInfinity(epsilon) || epsilon <= 0f)
            {
                string suggested = FormatFloat(kind == NormKind.RmsNorm ? 1e-6f : NormDefaults.LayerNormEpsilon) + "f";
                diagnostics.Add(Diag(NormGenDiagnostics.InvalidEpsilon, attributeLocation, FormatFloat(epsilon), suggested));
                attributeOk = false;
            }
            if (affineValue is < 0 or > 2)
            {
                diagnostics.Add(Diag(NormGenDiagnostics.InvalidAffine, attributeLocation, affineValue.ToString(CultureInfo.InvariantCulture)));
                attributeOk = false;
            }
            var affine = (AffineMode)Math.Max(0, Math.Min(2, affineValue));

            // ---- parameters ----
            var parameters = new List<ParamInfo>();
            foreach (IParameterSymbol p in method.Parameters)
            {
                cancellationToken.ThrowIfCancellationRequested();
                bool supported = p.RefKind == RefKind.None && !p.IsParams && TryClassify(p.Type, out ParamForm form, out ITypeSymbol? elementType);
                if (!supported)
                {
                    parameters.Add(new ParamInfo(p, false, default, null, ""));
                    continue;
                }
                TryClassify(p.Type, out form, out elementType);
                parameters.Add(new ParamInfo(p, true, form, elementType is null ? null : ClassifyElement(elementType), elementType?.ToDisplayString() ?? ""));
            }

            ParamInfo? first = parameters.FirstOrDefault(p => p.Supported && p.Form != ParamForm.Int32 && p.Element is not null);
            ElementKind element0 = first?.Element ?? ElementKind.Float;
            bool tensorForm = parameters.Count > 0 && parameters[0].Supported && parameters[0].Form is ParamForm.ReadOnlyTensorSpan or ParamForm.TensorSpan;
            bool hasIntParam = parameters.Any(p => p.Supported && p.Form == ParamForm.Int32);
            bool runtimeRowLength = shape.Count == 0 && !tensorForm;
            string expected = ExpectedSignature(method.Name, kind, affine, element0, tensorForm, runtimeRowLength);

            // ---- the method itself ----
            bool isStatic = syntax.Modifiers.Any(SyntaxKind.StaticKeyword);
            bool isPartial = syntax.Modifiers.Any(SyntaxKind.PartialKeyword);
            bool hasBody = syntax.Body is not null || syntax.ExpressionBody is not null;
            bool returnsVoid = method.ReturnsVoid;
            // extern partial is an implementing declaration, and so is a body the user wrote in another part: a
            // generated body would be a second implementation (CS0757).
            bool implemented = method.IsExtern || method.PartialImplementationPart is not null;
            if (!isStatic || !isPartial || hasBody || !returnsVoid || implemented)
                diagnostics.Add(Diag(NormGenDiagnostics.MethodMustBeStaticPartial, methodLocation, method.Name, expected));

            for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                bool partial = type.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.ContainingTypeMustBePartial, methodLocation, type.Name, method.Name));
                    break;
                }
            }

            if (method.TypeParameters.Length > 0)
                diagnostics.Add(Diag(NormGenDiagnostics.GenericMethod, methodLocation, method.Name, ExpectedSignature(method.Name, kind, affine, ElementKind.Float, tensorForm, runtimeRowLength)));

            bool parametersOk = true;
            foreach (ParamInfo p in parameters)
            {
                LocationInfo? location = ParameterLocation(p.Symbol, cancellationToken) ?? methodLocation;
                if (!p.Supported)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.UnsupportedParameterType, location, p.Symbol.Name, DescribeParameterType(p.Symbol), expected));
                    parametersOk = false;
                }
                else if (p.Form == ParamForm.Int32)
                {
                    continue;
                }
                else if (p.Element is null)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.UnsupportedElementType, location, p.Symbol.Name, p.ElementDisplay, ExpectedSignature(method.Name, kind, affine, ElementKind.Float, tensorForm, runtimeRowLength)));
                    parametersOk = false;
                }
                else if (p.Element != element0)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.ElementTypesDisagree, location, p.Symbol.Name, p.ElementDisplay, first!.ElementDisplay, expected));
                    parametersOk = false;
                }
            }

            // ---- roles: x, [gamma], [beta], y in order, plus one optional int row length ----
            var roles = new List<ParamRole> { ParamRole.Input };
            if (affine >= AffineMode.Scale) roles.Add(ParamRole.Gamma);
            if (affine == AffineMode.ScaleAndBias) roles.Add(ParamRole.Beta);
            roles.Add(ParamRole.Output);

            var specs = new List<ParameterSpec>();
            if (parametersOk)
            {
                var spans = parameters.Where(p => p.Form != ParamForm.Int32).ToList();
                var ints = parameters.Where(p => p.Form == ParamForm.Int32).ToList();
                // (every parameter is supported here: parametersOk)
                bool intsOk = ints.Count == 0 || (ints.Count == 1 && runtimeRowLength);
                if (spans.Count != roles.Count || !intsOk)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.SignatureDoesNotMatch, methodLocation, method.Name,
                        DescribeParameters(spans.Count, ints.Count), DescribeAttribute(attributeName, affine, shape.Count > 0), expected));
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

                    ParameterSpec input = specs.First(s => s.Role == ParamRole.Input);
                    ParameterSpec output = specs.First(s => s.Role == ParamRole.Output);
                    if (output.Form is ParamForm.ReadOnlySpan or ParamForm.ReadOnlyTensorSpan)
                    {
                        diagnostics.Add(Diag(NormGenDiagnostics.OutputNotWritable, ParameterLocation(method.Parameters.First(q => q.Name == output.Name), cancellationToken) ?? methodLocation,
                            output.Name, output.Form == ParamForm.ReadOnlySpan ? "Span<T>" : "TensorSpan<T>", expected));
                        parametersOk = false;
                    }
                    bool inputTensor = input.Form is ParamForm.ReadOnlyTensorSpan or ParamForm.TensorSpan;
                    bool outputTensor = output.Form is ParamForm.ReadOnlyTensorSpan or ParamForm.TensorSpan;
                    if (inputTensor != outputTensor)
                    {
                        diagnostics.Add(Diag(NormGenDiagnostics.FormsDisagree, ParameterLocation(method.Parameters.First(q => q.Name == output.Name), cancellationToken) ?? methodLocation,
                            output.Name, FormName(output.Form), input.Name, FormName(input.Form), expected));
                        parametersOk = false;
                    }
                    foreach (ParameterSpec s in specs.Where(s => s.Role is ParamRole.Gamma or ParamRole.Beta && s.Form is ParamForm.ReadOnlyTensorSpan or ParamForm.TensorSpan))
                    {
                        diagnostics.Add(Diag(NormGenDiagnostics.UnsupportedParameterType, ParameterLocation(method.Parameters.First(q => q.Name == s.Name), cancellationToken) ?? methodLocation,
                            s.Name, FormName(s.Form) + " (gamma and beta are flat spans of the row length)", expected));
                        parametersOk = false;
                    }
                    if (parametersOk && shape.Count == 0 && (inputTensor ? axes is null : !hasIntParam))
                    {
                        diagnostics.Add(Diag(NormGenDiagnostics.NoShape, methodLocation, method.Name, attributeName, expected));
                        parametersOk = false;
                    }
                }
            }

            if (diagnostics.Count > 0 || !attributeOk || !parametersOk)
                return Result(null, diagnostics);

            int resolvedAxes = shape.Count > 0 ? shape.Count : axes ?? 1;
            var spec = new KernelSpec(
                Namespace: method.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
                ContainingTypes: ContainingTypes(method).ToEquatableArray(),
                MethodName: method.Name,
                Modifiers: string.Join(" ", syntax.Modifiers.Select(m => m.Text)),
                HintName: HintName(method),
                KernelClassName: KernelClassName(method),
                Kind: kind,
                Element: element0,
                Shape: shape.ToEquatableArray(),
                Axes: resolvedAxes,
                Epsilon: epsilon,
                Affine: affine,
                Parameters: specs.ToEquatableArray(),
                IsExtension: method.IsExtensionMethod);
            return Result(spec, diagnostics);
        }

        private sealed record ParamInfo(IParameterSymbol Symbol, bool Supported, ParamForm Form, ElementKind? Element, string ElementDisplay);

        private static ParseResult Result(KernelSpec? spec, List<DiagnosticInfo> diagnostics) => new(spec, diagnostics.ToEquatableArray());

        private static DiagnosticInfo Diag(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] args) =>
            new(descriptor.Id, location, args.ToEquatableArray());

        internal static string AttributeShortName(NormKind kind) => kind switch
        {
            NormKind.RmsNorm => "RmsNorm",
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
            string name = named.ConstructedFrom.ToDisplayString();
            switch (name)
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
            return prefix + p.Type.ToDisplayString();
        }

        private static LocationInfo? ParameterLocation(IParameterSymbol p, CancellationToken ct) =>
            LocationInfo.From(p.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(ct).GetLocation());

        internal static string ElementName(ElementKind e) => e switch
        {
            ElementKind.Double => "double",
            ElementKind.Half => "Half",
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

        /// <summary>The declaration a user should write for this attribute, e.g. for the diagnostics' "write this instead".</summary>
        internal static string ExpectedSignature(string name, NormKind kind, AffineMode affine, ElementKind element, bool tensorForm, bool runtimeRowLength)
        {
            string t = ElementName(element);
            var sb = new StringBuilder();
            sb.Append("static partial void ").Append(name).Append('(');
            sb.Append(tensorForm ? $"ReadOnlyTensorSpan<{t}> x" : $"ReadOnlySpan<{t}> x");
            if (runtimeRowLength && !tensorForm) sb.Append(", int rowLength");
            string gammaName = kind == NormKind.RmsNorm ? "weight" : "gamma";
            if (affine >= AffineMode.Scale) sb.Append($", ReadOnlySpan<{t}> {gammaName}");
            if (affine == AffineMode.ScaleAndBias) sb.Append($", ReadOnlySpan<{t}> beta");
            sb.Append(tensorForm ? $", TensorSpan<{t}> y" : $", Span<{t}> y");
            sb.Append(");");
            return sb.ToString();
        }

        private static string DescribeParameters(int spans, int ints)
        {
            string s = spans == 1 ? "1 span parameter" : $"{spans} span parameters";
            if (ints > 0) s += ints == 1 ? " and 1 int parameter" : $" and {ints} int parameters";
            return s;
        }

        private static string DescribeAttribute(string attributeName, AffineMode affine, bool staticShape)
        {
            string affineText = affine switch
            {
                AffineMode.None => "Affine.None (no gamma, no beta)",
                AffineMode.Scale => "Affine.Scale (gamma only)",
                _ => "Affine.ScaleAndBias (gamma and beta)",
            };
            return $"[{attributeName}] and {affineText}{(staticShape ? " and a compile-time shape (no int row length)" : "")}";
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
                string name = type.Name;
                if (type.TypeParameters.Length > 0)
                    name += "<" + string.Join(", ", type.TypeParameters.Select(tp => tp.Name)) + ">";
                stack.Push(new TypeDeclSpec(keyword, name));
            }
            return stack;
        }

        private static string QualifiedPath(IMethodSymbol method)
        {
            var parts = new List<string>();
            for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
                parts.Insert(0, type.TypeParameters.Length > 0 ? $"{type.Name}`{type.TypeParameters.Length}" : type.Name);
            if (method.ContainingNamespace is { IsGlobalNamespace: false } ns) parts.Insert(0, ns.ToDisplayString());
            parts.Add(method.Name);
            return string.Join(".", parts);
        }

        /// <summary>
        /// 1-based position of this method among the annotated methods of the same name in its type, so overloads get
        /// distinct hint names. 1 for the common single method.
        /// </summary>
        private static int OverloadOrdinal(IMethodSymbol method)
        {
            var annotated = method.ContainingType.GetMembers(method.Name).OfType<IMethodSymbol>()
                .Where(m => m.GetAttributes().Any(a => IsNormGenAttribute(a.AttributeClass)))
                .OrderBy(m => m.Locations.FirstOrDefault()?.SourceTree?.FilePath, StringComparer.Ordinal)
                .ThenBy(m => m.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0)
                .ToList();
            int index = annotated.FindIndex(m => SymbolEqualityComparer.Default.Equals(m, method));
            return index < 0 ? 1 : index + 1;
        }

        private static string HintName(IMethodSymbol method)
        {
            int ordinal = OverloadOrdinal(method);
            string path = QualifiedPath(method) + (ordinal > 1 ? "_" + ordinal.ToString(CultureInfo.InvariantCulture) : "");
            var sb = new StringBuilder(path.Length + 5);
            foreach (char c in path) sb.Append(char.IsLetterOrDigit(c) || c is '.' or '_' or '`' ? c : '_');
            return sb.Append(".g.cs").ToString();
        }

        private static string KernelClassName(IMethodSymbol method)
        {
            int ordinal = OverloadOrdinal(method);
            return method.Name + "Kernel" + (ordinal > 1 ? ordinal.ToString(CultureInfo.InvariantCulture) : "");
        }
    }
}
