using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Generator.Tests;

/// <summary>
/// A seeded generator of declarations, valid and invalid: every kind and option, span and tensor forms, all element
/// types, names that are keywords or framework names, members that would capture generated names, nesting, generic
/// and record containers, namespaces differing only in case. For each compilation unit: the generator does not throw,
/// no generated file has a compile error (a declaration with an NG error gets no code, or code that compiles), and
/// two runs give identical files. A failure prints the seed and the declarations of the failing file. About 260
/// declarations per run (10 units of 24); seeds 99, 555 and 31337 with 8 units each also passed when this was written.
/// </summary>
public class RandomizedGeneratorTests
{
    private readonly ITestOutputHelper _output;

    public RandomizedGeneratorTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(20261129, 4)]
    [InlineData(1, 2)]
    [InlineData(7, 2)]
    [InlineData(1234567, 2)]
    public void RandomDeclarations(int seed, int units)
    {
        var rng = new Random(seed);
        int declarations = 0, withNgError = 0, files = 0;
        for (int u = 0; u < units; u++)
        {
            var unit = new UnitBuilder(rng);
            string source = unit.Build(declarationCount: 24);
            bool withIlgpu = rng.Next(3) != 0;
            string where = $"seed {seed}, unit {u}{(withIlgpu ? ", ILGPU referenced" : "")}";

            var compilation = Harness.Compile(withIlgpu, ("Unit.cs", source));
            var run = Harness.Run(compilation, Harness.CreateDriver(trackSteps: false));
            Assert.True(run.Result.Exception is null, $"{where}: the generator threw {run.Result.Exception}\n\n{source}");
            var crashes = run.DriverDiagnostics.Where(d => d.Id is "CS8785" or "CS8784").ToList();
            Assert.True(crashes.Count == 0, $"{where}: {Harness.Format(crashes)}\n\n{source}");

            // Deterministic: a second, fresh run writes the same files.
            var again = Harness.Run(compilation, Harness.CreateDriver(trackSteps: false));
            Assert.Equal(Harness.Sources(run.Result), Harness.Sources(again.Result));

            var errors = run.Output.GetDiagnostics()
                .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true)
                .ToList();
            if (errors.Count > 0)
            {
                string hint = System.IO.Path.GetFileName(errors[0].Location.SourceTree!.FilePath);
                string method = hint.Split('.').Reverse().SkipWhile(p => p is "cs" or "g" or "Gpu" || (p.Length == 8 && p.All(Uri.IsHexDigit))).First();
                string declarations_ = string.Join("\n", source.Split('\n').Where(l => l.Contains(" " + method + "(", StringComparison.Ordinal) || l.Contains("@" + method + "(", StringComparison.Ordinal)));
                Assert.Fail($"{where}: generated code does not compile ({errors.Count} errors).\n{Harness.Format(errors.Take(10))}\n\nDeclarations of '{method}':\n{declarations_}\n\nWhole unit:\n{source}");
            }
            declarations += unit.Count;
            withNgError += run.Result.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
            files += run.Result.GeneratedSources.Length;
        }
        _output.WriteLine($"seed {seed}: {declarations} declarations, {withNgError} NG errors, {files} generated files");
        Assert.True(files > declarations / 4, "Most declarations should be valid: the generator of declarations is broken.");
    }

    /// <summary>
    /// Writes one compilation unit of random declarations. Not generated (issue 7, item 9, on another branch: the
    /// generator accepts them without an NG error and its code then fails to compile): non-partial or file-local
    /// containers, scoped parameters, abstract/virtual/readonly or duplicated modifiers, a method declared twice.
    /// </summary>
    private sealed class UnitBuilder
    {
        private static readonly string[] s_namespaces = { "App", "App.ml", "App.ML", "Lib.Math", "App.@checked.@event", "App.NormGen", "Unsafe", "N.Vector512", "" };
        private static readonly string[] s_typeNames = { "Kernels", "K", "k", "@struct", "@class", "Math", "MathF", "MemoryMarshal", "TensorPrimitives", "Outer", "Inner", "Vector128", "NormGuard", "Activations", "Half", "RowScheduler" };
        private static readonly string[] s_methodNames = { "Norm", "norm", "Norm_2", "@checked", "@in", "Math", "MemoryMarshal", "Unsafe", "NormKernel", "Ln", "Rms", "Vector512", "__NormGen_Norm", "Normé", "@record", "value" };
        private static readonly string[] s_parameterNames = { "x", "y", "gamma", "beta", "@in", "@out", "@base", "Math", "MathF", "Unsafe", "MemoryMarshal", "nameof", "Span", "ReadOnlySpan", "Half", "rows", "rowLength", "threads", "xFlat", "yFlat", "accelerator", "stream", "k", "i", "n", "offset", "scratch", "@params", "value", "Vector512", "TensorPrimitives", "Vector128", "global", "NormKernel", "h", "streaming", "channels", "spatial", "data", "w" };
        private static readonly string[] s_memberNames = { "Math", "MathF", "Unsafe", "MemoryMarshal", "nameof", "Vector512", "Vector256", "Vector128", "TensorPrimitives", "NormKernel", "RmsKernel", "Span", "ReadOnlySpan", "Half", "ArgumentException", "ArgumentOutOfRangeException", "MemoryExtensions", "ArrayPool", "NormGen", "System", "ILGPU", "Activations", "Shape", "RowLength" };

        private readonly Random _rng;
        private readonly StringBuilder _sb = new();
        private readonly HashSet<string> _signatures = new(StringComparer.Ordinal);
        private int _indent;
        private readonly Stack<int> _types = new();
        private int _typeCount;

        public UnitBuilder(Random rng) => _rng = rng;

        public int Count { get; private set; }

        private T Pick<T>(IReadOnlyList<T> items) => items[_rng.Next(items.Count)];

        private bool Chance(double p) => _rng.NextDouble() < p;

        private void Line(string text) => _sb.Append(' ', _indent * 4).Append(text).Append('\n');

        public string Build(int declarationCount)
        {
            var namespaces = s_namespaces.OrderBy(_ => _rng.Next()).Take(3).ToList();
            int perNamespace = (declarationCount + namespaces.Count - 1) / namespaces.Count;
            foreach (string ns in namespaces)
            {
                if (ns.Length > 0) { Line("namespace " + ns); Line("{"); _indent++; }
                var typeNames = s_typeNames.OrderBy(_ => _rng.Next()).ToList();
                for (int written = 0, t = 0; written < perNamespace && t < typeNames.Count; t++)
                    written += WriteType(typeNames[t], ns, depth: 0, budget: Math.Min(6, perNamespace - written));
                if (ns.Length > 0) { _indent--; Line("}"); }
            }
            return _sb.ToString();
        }

        /// <summary>A partial type with a few capture-prone members, some kernels, and sometimes a nested type. Returns the kernels written.</summary>
        private int WriteType(string name, string ns, int depth, int budget)
        {
            string kind = Pick(new[] { "class", "class", "static class", "struct", "record", "record struct", "interface" });
            var typeParameters = depth < 2 && kind != "static class" && Chance(0.3) ? Pick(new[] { "<T>", "<TKey, TValue>", "<@Unsafe>" }) : "";
            bool extensions = kind == "static class" && depth == 0 && typeParameters.Length == 0;
            string accessibility = depth == 0 ? Pick(new[] { "public ", "internal ", "" }) : Pick(new[] { "public ", "internal ", "private ", "" });
            // Item 9 (another branch) reports non-partial containers; here every container is partial.
            Line($"{accessibility}{(kind.StartsWith("static", StringComparison.Ordinal) ? "static partial class" : "partial " + kind)} {name}{typeParameters}");
            Line("{");
            _indent++;
            _types.Push(_typeCount++);

            var taken = new HashSet<string>(StringComparer.Ordinal) { name.TrimStart('@') };
            foreach (string p in typeParameters.Trim('<', '>').Split(',').Select(s => s.Trim().TrimStart('@')).Where(s => s.Length > 0)) taken.Add(p);
            var methodNames = s_methodNames.Where(m => !taken.Contains(m.TrimStart('@'))).OrderBy(_ => _rng.Next()).Take(3).ToList();
            foreach (string m in methodNames) taken.Add(m.TrimStart('@'));
            WriteCaptureMembers(taken, kind);

            int written = 0;
            for (int i = 0; i < budget; i++)
            {
                if (WriteKernel(Pick(methodNames), kind, extensions)) written++;
            }
            if (depth < 2 && Chance(0.4))
            {
                string nested = Pick(s_typeNames.Where(t => !taken.Contains(t.TrimStart('@'))).ToList());
                written += WriteType(nested, ns, depth + 1, Math.Max(1, budget / 2));
            }
            _types.Pop();
            _indent--;
            Line("}");
            return written;
        }

        private void WriteCaptureMembers(HashSet<string> taken, string kind)
        {
            bool isStatic = kind == "static class";
            bool isInterface = kind == "interface";
            foreach (string member in s_memberNames.Where(m => !taken.Contains(m)).OrderBy(_ => _rng.Next()).Take(_rng.Next(0, 5)))
            {
                taken.Add(member);
                string pub = isInterface ? "" : "public ";
                switch (_rng.Next(4))
                {
                    case 0: Line($"{pub}static int {member}{(isInterface ? " { get => 0; }" : " = 0;")}"); break;
                    case 1: Line($"{pub}static void {member}(object o) {{ }}"); break;
                    case 2: Line($"{pub}{(isStatic || isInterface ? "static " : "")}class {member} {{ }}"); break;
                    default: Line($"{pub}const int {member} = 1;"); break;
                }
            }
        }

        // ------------------------------------------------------------------ kernels

        private static readonly string[] s_kinds = { "LayerNorm", "RmsNorm", "DeepNorm", "ChannelLayerNorm", "BatchNorm", "GroupNorm", "InstanceNorm", "MinMaxScale", "Standardize" };

        private static string T(string element) => element == "Half" ? "global::System.Half" : element;

        private bool WriteKernel(string name, string containerKind, bool extensionsAllowed)
        {
            string kind = Pick(s_kinds);
            bool row = kind is "LayerNorm" or "RmsNorm" or "DeepNorm";
            string element = Pick(new[] { "float", "float", "double", "Half" });
            var args = new List<string>();
            var named = new List<string>();

            // ---- options
            string affine = kind switch
            {
                "RmsNorm" => "Scale",
                "InstanceNorm" or "MinMaxScale" or "Standardize" => "None",
                _ => "ScaleAndBias",
            };
            if (kind is not ("MinMaxScale" or "Standardize") && Chance(0.5))
            {
                affine = Pick(new[] { "None", "Scale", "ScaleAndBias" });
                named.Add("Affine = global::NormGen.Affine." + affine);
            }
            bool tensor = !row || Chance(0.35);
            var shape = new List<int>();
            bool residual = kind == "DeepNorm", residualBias = false, save = false, training = false, cumulative = false;
            int axes = 0;
            if (row)
            {
                if (Chance(0.65))
                {
                    int dims = _rng.Next(1, 4);
                    for (int d = 0; d < dims; d++) shape.Add(Pick(new[] { 1, 2, 3, 7, 8, 13, 16, 64, 96, 768 }));
                    if (Chance(0.05)) shape = new List<int> { 1 << 29, 3 }; // huge Half rows (CS0220 once)
                    args.AddRange(shape.Select(s => s.ToString(CultureInfo.InvariantCulture)));
                    if (tensor && Chance(0.2)) named.Add("Axes = " + shape.Count.ToString(CultureInfo.InvariantCulture));
                }
                else if (tensor)
                {
                    axes = _rng.Next(1, 4);
                    named.Add("Axes = " + axes.ToString(CultureInfo.InvariantCulture));
                }
                if (kind != "DeepNorm" && Chance(0.3)) { residual = true; named.Add("Residual = true"); }
                if (residual && Chance(0.4)) { residualBias = true; named.Add("ResidualBias = true"); }
                if (Chance(0.25)) { save = true; named.Add("SaveStatistics = true"); }
                if (Chance(0.3)) named.Add("Activation = global::NormGen.Activation." + Pick(new[] { "None", "Relu", "Gelu", "GeluTanh", "Silu" }));
                if (affine != "None" && Chance(0.2)) named.Add("ZeroCenteredGamma = true");
                if (kind == "DeepNorm")
                    named.Add(Chance(0.5) ? "Alpha = 2.5f" : "Architecture = global::NormGen.DeepNetArchitecture.EncoderOnly, Layers = 6");
            }
            if (kind == "GroupNorm") args.Add(_rng.Next(1, 9).ToString(CultureInfo.InvariantCulture));
            if (kind == "BatchNorm" && Chance(0.5))
            {
                training = true;
                named.Add("Training = true");
                if (Chance(0.3)) named.Add("Momentum = 0.2f");
                if (Chance(0.3)) { cumulative = true; named.Add("CumulativeAverage = true"); }
            }
            if (kind is not ("MinMaxScale" or "Standardize") && Chance(0.3))
                named.Add("Epsilon = " + Pick(new[] { "1e-5f", "1e-6f", "0.1f", "1e-12f", "3.5e-3f" }));

            // ---- parameters, by role (the rule of docs: x, residual, bias, γ, β, running stats, y, residualOut, mean, rstd)
            var roles = new List<string> { "x" };
            if (row && residual) roles.Add("residual");
            if (row && residualBias) roles.Add("bias");
            if (kind is not ("MinMaxScale" or "Standardize"))
            {
                if (affine is "Scale" or "ScaleAndBias") roles.Add("gamma");
                if (affine == "ScaleAndBias") roles.Add("beta");
            }
            if (kind == "BatchNorm") { roles.Add("runningMean"); roles.Add("runningVar"); if (training && cumulative) roles.Add("batchesTracked"); }
            roles.Add("y");
            if (row && residual && kind != "DeepNorm" && Chance(0.5)) roles.Add("residualOut");
            if (row && save && kind != "RmsNorm") roles.Add("mean");
            if (row && save) roles.Add("rstd");

            string stats = element == "double" ? "double" : "float";
            string output = row && element != "double" && Chance(0.15) ? (element == "float" ? "Half" : "float") : element;
            var types = roles.Select(r => r switch
            {
                "x" => tensor ? $"global::System.Numerics.Tensors.ReadOnlyTensorSpan<{T(element)}>" : $"global::System.ReadOnlySpan<{T(element)}>",
                "y" => tensor ? $"global::System.Numerics.Tensors.TensorSpan<{T(output)}>" : $"global::System.Span<{T(output)}>",
                "mean" or "rstd" => $"global::System.Span<{stats}>",
                "batchesTracked" => "global::System.Span<long>",
                "residualOut" => $"global::System.Span<{T(element)}>",
                "runningMean" or "runningVar" when training => $"global::System.Span<{T(element)}>",
                _ => $"global::System.ReadOnlySpan<{T(element)}>",
            }).ToList();
            if (row && !tensor && shape.Count == 0) types.Insert(_rng.Next(1, types.Count + 1), "int");

            // ---- mistakes (about one declaration in four): each should give an NG error, never broken generated code
            string modifiers = "static partial void";
            string typeParameters = "";
            if (Chance(0.25))
            {
                switch (_rng.Next(9))
                {
                    case 0 when types.Count > 1: { int a = _rng.Next(types.Count), b = _rng.Next(types.Count); (types[a], types[b]) = (types[b], types[a]); break; }
                    case 1 when types.Count > 1: types.RemoveAt(_rng.Next(types.Count)); break;
                    case 2: types.Insert(_rng.Next(types.Count + 1), Pick(new[] { "global::System.ReadOnlySpan<float>", "int", "float[]", "global::System.Span<int>" })); break;
                    case 3: types[_rng.Next(types.Count)] = Pick(new[] { "global::System.ReadOnlySpan<decimal>", "global::System.Span<byte>", "global::System.Numerics.Tensors.TensorSpan<float>", "global::System.ReadOnlySpan<double>" }); break;
                    case 4: { int i = _rng.Next(types.Count); types[i] = Pick(new[] { "ref ", "in ", "out " }) + types[i]; break; }
                    case 5: typeParameters = "<TElement>"; break;
                    case 6: modifiers = Pick(new[] { "partial void", "static partial int", "static void" }); break;
                    case 7: args.Insert(0, Pick(new[] { "0", "-3" })); break;
                    default: named.Add(Pick(new[] { "Epsilon = -1f", "Affine = (global::NormGen.Affine)7", "Activation = (global::NormGen.Activation)9", "Axes = 0" })); break;
                }
            }
            if (containerKind == "interface" && modifiers == "partial void") modifiers = "static partial void";

            // ---- names, and a signature not declared before in this type (a duplicate declaration is item 9's, not ours)
            var names = s_parameterNames.OrderBy(_ => _rng.Next()).Take(types.Count).ToList();
            string signature = name.TrimStart('@') + typeParameters + "(" + string.Join(",", types.Select(t => t.Replace("ref ", "").Replace("in ", "").Replace("out ", ""))) + ")";
            if (!_signatures.Add(_types.Peek().ToString(CultureInfo.InvariantCulture) + ":" + signature))
                return false;
            bool isThis = extensionsAllowed && Chance(0.25) && !types[0].StartsWith("ref", StringComparison.Ordinal) && !types[0].StartsWith("out", StringComparison.Ordinal) && !types[0].StartsWith("in ", StringComparison.Ordinal) && types[0] != "float[]";
            string parameters = string.Join(", ", types.Select((t, i) => (isThis && i == 0 ? "this " : "") + t + " " + names[i]));
            string attribute = $"global::NormGen.{kind}" + (args.Count + named.Count > 0 ? "(" + string.Join(", ", args.Concat(named)) + ")" : "");
            string accessibility = containerKind == "interface" ? Pick(new[] { "public ", "" }) : Pick(new[] { "public ", "internal ", "private ", "" });
            Line($"[{attribute}]");
            Line($"{accessibility}{modifiers} {name}{typeParameters}({parameters});");
            Count++;
            return true;
        }
    }
}
