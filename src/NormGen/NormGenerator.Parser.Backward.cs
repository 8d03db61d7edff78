using System.Collections.Generic;
using System.Linq;
using NormGen.Generator.Diagnostics;
using NormGen.Generator.Model;

namespace NormGen.Generator;

public sealed partial class NormGenerator
{
    internal static partial class Parser
    {
        // ------------------------------------------------------------------ backward declarations (Backward = true)

        /// <summary>The roles of the form that leaves the saved statistics out (row kinds: recomputed in the kernel).</summary>
        private static List<ParamRole> WithoutStatistics(List<ParamRole> roles) => roles.Where(r => r is not (ParamRole.Mean or ParamRole.Rstd)).ToList();

        /// <summary>The backward declaration a user should write, for the diagnostics' "write this instead".</summary>
        private static string BackwardSignature(Declaration d, List<ParamRole> roles)
        {
            string t = ElementName(d.Element);
            string acc = d.Element == ElementKind.Double ? "double" : "float";
            bool tensorForm = d.TensorForm;
            var parts = new List<string>();
            bool residual = roles.Contains(ParamRole.ResidualOutGradient);
            foreach (ParamRole role in roles)
            {
                string n = role == ParamRole.InputGradient && residual ? "dh" : d.Definition.RoleName(role);
                parts.Add(role switch
                {
                    ParamRole.OutputGradient or ParamRole.ResidualOutGradient or ParamRole.Input or ParamRole.Residual => tensorForm ? $"ReadOnlyTensorSpan<{t}> {n}" : $"ReadOnlySpan<{t}> {n}",
                    ParamRole.InputGradient or ParamRole.ResidualGradient => tensorForm ? $"TensorSpan<{t}> {n}" : $"Span<{t}> {n}",
                    ParamRole.Mean or ParamRole.Rstd => $"ReadOnlySpan<{acc}> {n}",
                    ParamRole.GammaGradient or ParamRole.BetaGradient or ParamRole.BiasGradient => $"Span<{acc}> {n}",
                    _ => $"ReadOnlySpan<{t}> {n}",
                });
                if (role == ParamRole.Input && d.RuntimeRowLength) parts.Add("int rowLength");
            }
            return $"static partial void {d.Method.Name}({string.Join(", ", parts)});";
        }

        /// <summary>Gives each parameter of a backward declaration its role and checks types and forms (NG0031, NG0014, NG0015, NG0013).</summary>
        private static bool MatchBackward(Declaration d, AttributeOptions o, List<ParamInfo> parameters, List<ParameterSpec> specs)
        {
            KindDefinition kind = d.Definition;
            List<ParamRole> roles = d.Roles;
            var spans = parameters.Where(p => p.Form != ParamForm.Int32).ToList();
            int ints = parameters.Count - spans.Count;
            string attributeText = DescribeBackward(kind, o);
            // Row kinds may leave the saved statistics out; the kernel then recomputes them from x (one more read of x).
            // A declaration that names a mean or rstd meant to pass them: its count is wrong for another reason.
            bool namesStatistics = spans.Any(p => p.Symbol.Name.IndexOf("mean", System.StringComparison.OrdinalIgnoreCase) >= 0 || p.Symbol.Name.IndexOf("rstd", System.StringComparison.OrdinalIgnoreCase) >= 0);
            if (kind.IsRowKind && spans.Count != roles.Count && !namesStatistics && WithoutStatistics(roles) is { } recomputed && spans.Count == recomputed.Count)
                roles = recomputed;
            if (spans.Count != roles.Count || ints > (d.RuntimeRowLength ? 1 : 0))
            {
                d.Report(NormGenDiagnostics.BackwardSignatureDoesNotMatch, d.MethodLocation, d.Method.Name, DescribeParameters(spans.Count, ints), attributeText, d.Expected);
                return false;
            }

            int spanIndex = 0;
            foreach (ParamInfo p in parameters)
                specs.Add(new ParameterSpec(p.Symbol.Name, p.Form == ParamForm.Int32 ? ParamRole.RowLength : roles[spanIndex++], p.Form, p.Element ?? d.Element));

            ElementKind element0 = d.Element, accumulation = element0 == ElementKind.Double ? ElementKind.Double : ElementKind.Float;
            bool tensorForm = d.TensorForm;
            foreach (ParameterSpec s in specs.Where(s => s.Role != ParamRole.RowLength))
            {
                LocationInfo? location = d.LocationOf(s.Name);
                ElementKind want = s.Role is ParamRole.Mean or ParamRole.Rstd or ParamRole.GammaGradient or ParamRole.BetaGradient or ParamRole.BiasGradient ? accumulation : element0;
                bool writable = s.Role is ParamRole.InputGradient or ParamRole.GammaGradient or ParamRole.BetaGradient or ParamRole.ResidualGradient or ParamRole.BiasGradient;
                bool tensorRole = s.Role is ParamRole.OutputGradient or ParamRole.ResidualOutGradient or ParamRole.Input or ParamRole.InputGradient or ParamRole.Residual or ParamRole.ResidualGradient;
                string problem =
                    s.Element != want ? $"'{s.Name}' is {ElementName(s.Element)} but must be {ElementName(want)}" :
                    writable && s.Form is ParamForm.ReadOnlySpan or ParamForm.ReadOnlyTensorSpan ? $"'{s.Name}' is read-only but is written" :
                    !writable && s.Form is ParamForm.Span or ParamForm.TensorSpan && tensorRole ? $"'{s.Name}' must be read-only" :
                    tensorRole && IsTensor(s.Form) != tensorForm ? $"'{s.Name}' mixes tensor and flat spans" :
                    !tensorRole && IsTensor(s.Form) ? $"'{s.Name}' must be a flat span (only {(kind.AlwaysResidual ? "dy, x, sublayer, dx and dsublayer" : o.Bool("Residual") ? "dy, dResidualOut, x and dx" : "dy, x and dx")} may be tensor spans)" :
                    "";
                if (problem.Length > 0)
                {
                    d.Report(NormGenDiagnostics.BackwardSignatureDoesNotMatch, location, d.Method.Name, problem, attributeText, d.Expected);
                    return false;
                }
            }
            if (kind.IsRowKind && o.Shape.Count == 0 && (tensorForm ? o.Axes is null : ints == 0))
            {
                d.Report(NormGenDiagnostics.NoShape, d.MethodLocation, d.Method.Name, kind.AttributeName, d.Expected);
                return false;
            }
            return true;
        }

        /// <summary>What a backward attribute asks for, in NG0031's words.</summary>
        private static string DescribeBackward(KindDefinition kind, AttributeOptions o)
        {
            string affine = o.Affine switch
            {
                AffineMode.None => "Affine.None (no gamma, no dgamma, no dbeta)",
                AffineMode.Scale => $"Affine.Scale ({kind.RoleName(ParamRole.Gamma)}, {kind.RoleName(ParamRole.GammaGradient)})",
                _ => "Affine.ScaleAndBias (gamma, dgamma, dbeta)",
            };
            string stats = $"the saved {(kind.Centers ? "mean and rstd" : "rstd")} (one per {kind.StatisticsBlock})";
            string shape = o.Shape.Count > 0 ? " and a compile-time shape (no int row length)" : "";
            string residual = o.Bool("Residual") ? ", Residual (dResidualOut after dy; dh = dx + dResidualOut as the one input gradient)" : "";
            if (kind.AlwaysResidual) residual = ", DeepNorm (x and sublayer in; dx = α·dh and dsublayer = dh out)";
            if (o.Bool("ResidualBias")) residual += kind.AlwaysResidual ? ", ResidualBias (bias after sublayer; dbias = Σ dh last)" : ", ResidualBias (dbias = Σ dh last)";
            ActivationKind activation = o.KindOptions is RowOptions row ? row.Activation : ActivationKind.None;
            if (activation != ActivationKind.None) residual += $", Activation = {activation} ({(o.Affine == AffineMode.ScaleAndBias ? "beta after gamma: " : "")}the pre-activation is recomputed)";
            if (kind.IsRowKind) stats += " (or leave them out: recomputed from x)";
            return $"[{kind.AttributeName}(Backward = true)] and {affine}{residual}, reading {stats}{shape}";
        }
    }
}
