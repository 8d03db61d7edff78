using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using NormGen.Generator.Diagnostics;
using NormGen.Generator.Model;

namespace NormGen.Generator;

public sealed partial class NormGenerator
{
    internal static partial class Parser
    {
        // ------------------------------------------------------------------ backward declarations (Backward = true)

        /// <summary>
        /// The span parameters of a backward kernel, in order: dy, [dResidualOut], x, [DeepNorm: sublayer, bias], the saved
        /// statistics (mean unless RMSNorm, rstd), γ when affine, [β with an activation], then the outputs dx (dh),
        /// [DeepNorm: dsublayer], dγ (when affine), dβ (with a bias) and [dbias with a residual bias]. Row kinds may leave
        /// the statistics out (<see cref="WithoutStatistics"/>): the kernel then recomputes them.
        /// </summary>
        private static List<ParamRole> BackwardRoles(NormKind kind, Options o)
        {
            var roles = new List<ParamRole> { ParamRole.OutputGradient };
            if (o.Residual) roles.Add(ParamRole.ResidualOutGradient);
            roles.Add(ParamRole.Input);
            if (kind == NormKind.DeepNorm) roles.Add(ParamRole.Residual);
            if (kind == NormKind.DeepNorm && o.ResidualBias) roles.Add(ParamRole.Bias);
            if (kind != NormKind.RmsNorm) roles.Add(ParamRole.Mean);
            roles.Add(ParamRole.Rstd);
            if (o.Affine >= AffineMode.Scale) roles.Add(ParamRole.Gamma);
            if (o.Activation != ActivationKind.None && o.Affine == AffineMode.ScaleAndBias) roles.Add(ParamRole.Beta);
            roles.Add(ParamRole.InputGradient);
            if (kind == NormKind.DeepNorm) roles.Add(ParamRole.ResidualGradient);
            if (o.Affine >= AffineMode.Scale) roles.Add(ParamRole.GammaGradient);
            if (o.Affine == AffineMode.ScaleAndBias) roles.Add(ParamRole.BetaGradient);
            if (o.ResidualBias) roles.Add(ParamRole.BiasGradient);
            return roles;
        }

        /// <summary>The roles of the form that leaves the saved statistics out (row kinds: recomputed in the kernel).</summary>
        private static List<ParamRole> WithoutStatistics(List<ParamRole> roles) => roles.Where(r => r is not (ParamRole.Mean or ParamRole.Rstd)).ToList();

        private static string BackwardRoleName(NormKind kind, ParamRole role) => role switch
        {
            ParamRole.OutputGradient => "dy",
            ParamRole.ResidualOutGradient => "dResidualOut",
            ParamRole.InputGradient => "dx",
            ParamRole.GammaGradient => kind == NormKind.RmsNorm ? "dweight" : "dgamma",
            ParamRole.BetaGradient => "dbeta",
            ParamRole.ResidualGradient => "dsublayer",
            ParamRole.BiasGradient => "dbias",
            _ => RoleName(kind, role),
        };

        /// <summary>The backward declaration a user should write, for the diagnostics' "write this instead".</summary>
        private static string BackwardSignature(string name, NormKind kind, ElementKind element, bool tensorForm, bool runtimeRowLength, List<ParamRole> roles)
        {
            string t = ElementName(element);
            string acc = element == ElementKind.Double ? "double" : "float";
            var parts = new List<string>();
            bool residual = roles.Contains(ParamRole.ResidualOutGradient);
            foreach (ParamRole role in roles)
            {
                string n = role == ParamRole.InputGradient && residual ? "dh" : BackwardRoleName(kind, role);
                parts.Add(role switch
                {
                    ParamRole.OutputGradient or ParamRole.ResidualOutGradient or ParamRole.Input or ParamRole.Residual => tensorForm ? $"ReadOnlyTensorSpan<{t}> {n}" : $"ReadOnlySpan<{t}> {n}",
                    ParamRole.InputGradient or ParamRole.ResidualGradient => tensorForm ? $"TensorSpan<{t}> {n}" : $"Span<{t}> {n}",
                    ParamRole.Mean or ParamRole.Rstd => $"ReadOnlySpan<{acc}> {n}",
                    ParamRole.GammaGradient or ParamRole.BetaGradient or ParamRole.BiasGradient => $"Span<{acc}> {n}",
                    _ => $"ReadOnlySpan<{t}> {n}",
                });
                if (role == ParamRole.Input && runtimeRowLength) parts.Add("int rowLength");
            }
            return $"static partial void {name}({string.Join(", ", parts)});";
        }

        /// <summary>Reports the options and kinds that have no backward kernel (NG0032).</summary>
        private static void CheckBackwardOptions(NormKind kind, Options o, AttributeData attribute, LocationInfo? location, List<DiagnosticInfo> diagnostics)
        {
            string what = $"[{AttributeShortName(kind)}(Backward = true)]";
            void NotSupported(string why)
            {
                diagnostics.Add(Diag(NormGenDiagnostics.BackwardNotSupported, location, what, why));
                o.Ok = false;
            }
            if (kind is not (NormKind.LayerNorm or NormKind.RmsNorm or NormKind.DeepNorm or NormKind.BatchNorm or NormKind.GroupNorm or NormKind.InstanceNorm or NormKind.ChannelLayerNorm))
                NotSupported("backward kernels exist for [LayerNorm], [RmsNorm], [DeepNorm], [BatchNorm(Training = true)], [GroupNorm], [InstanceNorm] and [ChannelLayerNorm] so far");
            else if (kind == NormKind.BatchNorm && !o.Training)
                NotSupported("the backward of BatchNorm uses the batch statistics saved in training: set Training = true (and declare the forward with Training = true, SaveStatistics = true)");
            else if (o.Activation != ActivationKind.None && !IsRowKind(kind))
                NotSupported("the activation epilogue has a backward for the row kinds ([LayerNorm], [RmsNorm], [DeepNorm]) only: apply the activation's derivative to dy first, then call the plain backward");
            else if (o.SaveStatistics)
                NotSupported("SaveStatistics belongs on the forward declaration; the backward reads the saved statistics: remove SaveStatistics here");
        }

        /// <summary>Gives each parameter of a backward declaration its role and checks types and forms (NG0031, NG0014, NG0015, NG0013).</summary>
        private static bool MatchBackward(NormKind kind, Options o, IMethodSymbol method, List<(IParameterSymbol Symbol, ParamForm Form, ElementKind Element)> parameters,
            List<ParamRole> roles, ElementKind element0, bool tensorForm, bool runtimeRowLength, string attributeName, string expected,
            LocationInfo? methodLocation, List<ParameterSpec> specs, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var spans = parameters.Where(p => p.Form != ParamForm.Int32).ToList();
            int ints = parameters.Count - spans.Count;
            string attributeText = DescribeBackward(attributeName, kind, o);
            // Row kinds may leave the saved statistics out; the kernel then recomputes them from x (one more read of x).
            // A declaration that names a mean or rstd meant to pass them: its count is wrong for another reason.
            bool namesStatistics = spans.Any(p => p.Symbol.Name.IndexOf("mean", System.StringComparison.OrdinalIgnoreCase) >= 0 || p.Symbol.Name.IndexOf("rstd", System.StringComparison.OrdinalIgnoreCase) >= 0);
            if (IsRowKind(kind) && spans.Count != roles.Count && !namesStatistics && WithoutStatistics(roles) is { } recomputed && spans.Count == recomputed.Count)
                roles = recomputed;
            if (spans.Count != roles.Count || ints > (runtimeRowLength ? 1 : 0))
            {
                diagnostics.Add(Diag(NormGenDiagnostics.BackwardSignatureDoesNotMatch, methodLocation, method.Name, DescribeParameters(spans.Count, ints), attributeText, expected));
                return false;
            }

            int spanIndex = 0;
            foreach (var p in parameters)
                specs.Add(new ParameterSpec(p.Symbol.Name, p.Form == ParamForm.Int32 ? ParamRole.RowLength : roles[spanIndex++], p.Form, p.Element));

            ElementKind accumulation = element0 == ElementKind.Double ? ElementKind.Double : ElementKind.Float;
            foreach (ParameterSpec s in specs.Where(s => s.Role != ParamRole.RowLength))
            {
                LocationInfo? location = ParameterLocation(method.Parameters.First(q => q.Name == s.Name), ct) ?? methodLocation;
                ElementKind want = s.Role is ParamRole.Mean or ParamRole.Rstd or ParamRole.GammaGradient or ParamRole.BetaGradient or ParamRole.BiasGradient ? accumulation : element0;
                bool writable = s.Role is ParamRole.InputGradient or ParamRole.GammaGradient or ParamRole.BetaGradient or ParamRole.ResidualGradient or ParamRole.BiasGradient;
                bool tensorRole = s.Role is ParamRole.OutputGradient or ParamRole.ResidualOutGradient or ParamRole.Input or ParamRole.InputGradient or ParamRole.Residual or ParamRole.ResidualGradient;
                string problem =
                    s.Element != want ? $"'{s.Name}' is {ElementName(s.Element)} but must be {ElementName(want)}" :
                    writable && s.Form is ParamForm.ReadOnlySpan or ParamForm.ReadOnlyTensorSpan ? $"'{s.Name}' is read-only but is written" :
                    !writable && s.Form is ParamForm.Span or ParamForm.TensorSpan && tensorRole ? $"'{s.Name}' must be read-only" :
                    tensorRole && IsTensor(s.Form) != tensorForm ? $"'{s.Name}' mixes tensor and flat spans" :
                    !tensorRole && IsTensor(s.Form) ? $"'{s.Name}' must be a flat span (only {(kind == NormKind.DeepNorm ? "dy, x, sublayer, dx and dsublayer" : o.Residual ? "dy, dResidualOut, x and dx" : "dy, x and dx")} may be tensor spans)" :
                    "";
                if (problem.Length > 0)
                {
                    diagnostics.Add(Diag(NormGenDiagnostics.BackwardSignatureDoesNotMatch, location, method.Name, problem, attributeText, expected));
                    return false;
                }
            }
            if (IsRowKind(kind) && o.Shape.Count == 0 && (tensorForm ? o.Axes is null : ints == 0))
            {
                diagnostics.Add(Diag(NormGenDiagnostics.NoShape, methodLocation, method.Name, AttributeShortName(kind), expected));
                return false;
            }
            return true;
        }

        private static string DescribeBackward(string attributeName, NormKind kind, Options o)
        {
            string affine = o.Affine switch
            {
                AffineMode.None => "Affine.None (no gamma, no dgamma, no dbeta)",
                AffineMode.Scale => kind == NormKind.RmsNorm ? "Affine.Scale (weight, dweight)" : "Affine.Scale (gamma, dgamma)",
                _ => "Affine.ScaleAndBias (gamma, dgamma, dbeta)",
            };
            string stats = kind switch
            {
                NormKind.RmsNorm => "the saved rstd (one per row)",
                NormKind.BatchNorm => "the saved mean and rstd (one per channel)",
                NormKind.GroupNorm => "the saved mean and rstd (one per (sample, group))",
                NormKind.InstanceNorm => "the saved mean and rstd (one per (sample, channel))",
                NormKind.ChannelLayerNorm => "the saved mean and rstd (one per (sample, position))",
                _ => "the saved mean and rstd (one per row)",
            };
            string shape = o.Shape.Count > 0 ? " and a compile-time shape (no int row length)" : "";
            string residual = o.Residual ? ", Residual (dResidualOut after dy; dh = dx + dResidualOut as the one input gradient)" : "";
            if (kind == NormKind.DeepNorm) residual = ", DeepNorm (x and sublayer in; dx = α·dh and dsublayer = dh out)";
            if (o.ResidualBias) residual += kind == NormKind.DeepNorm ? ", ResidualBias (bias after sublayer; dbias = Σ dh last)" : ", ResidualBias (dbias = Σ dh last)";
            if (o.Activation != ActivationKind.None) residual += $", Activation = {o.Activation} ({(o.Affine == AffineMode.ScaleAndBias ? "beta after gamma: " : "")}the pre-activation is recomputed)";
            if (IsRowKind(kind)) stats += " (or leave them out: recomputed from x)";
            return $"[{attributeName}(Backward = true)] and {affine}{residual}, reading {stats}{shape}";
        }
    }
}
