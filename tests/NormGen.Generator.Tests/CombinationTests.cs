using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Generator.Tests;

/// <summary>
/// Layer 5 for the combinations nobody declares by hand: a seeded sample of row-kernel configurations (kind × element
/// type × shape form × residual/bias/residualOut × affine × activation × statistics × zero-centred γ × output type) is
/// generated, compiled in memory, loaded into a collectible <see cref="AssemblyLoadContext"/> and run against a
/// double-precision reference written here. Every feature must combine with every other or be refused by a
/// diagnostic; a configuration the generator refuses fails this test too (the sampler only draws valid ones).
/// </summary>
public class CombinationTests(ITestOutputHelper output)
{
    private enum Kind { LayerNorm, RmsNorm, DeepNorm }
    private enum Form { Static, RuntimeFlat, Tensor }
    private enum Res { None, Residual, ResidualOut, BiasAndOut }
    private enum Act { None, Relu, Gelu, GeluTanh, Silu, Tanh, Sigmoid }

    private sealed record Config(int Id, Kind Kind, string T, string Out, Form Form, Res Res, int Affine, Act Act, bool Stats, bool ZeroCentered)
    {
        public string Name => $"K{Id}";
        public bool Centers => Kind != Kind.RmsNorm;
        public bool Residual => Kind == Kind.DeepNorm || Res != Res.None;
        public bool Bias => Res == Res.BiasAndOut;
        public bool ResidualOut => Kind != Kind.DeepNorm && Res is Res.ResidualOut or Res.BiasAndOut;
        public double Alpha => Kind == Kind.DeepNorm ? 1.5 : 1;
        public double Epsilon => Kind == Kind.RmsNorm ? (T == "double" ? Math.Pow(2, -52) : 1.1920929e-07) : 1e-5; // the attributes' defaults (PyTorch)
        public string Stat => T == "double" ? "double" : "float";

        public override string ToString() =>
            $"{Name}: {Kind} {T}->{Out} {Form} {Res} affine={Affine} {Act}{(Stats ? " stats" : "")}{(ZeroCentered ? " zc" : "")}";
    }

    private const int StaticN = 37;

    private static List<Config> Sample(int count)
    {
        var rng = new Random(20261123);
        var list = new List<Config>();
        var seen = new HashSet<string>();
        while (list.Count < count)
        {
            var kind = (Kind)rng.Next(3);
            string t = new[] { "float", "double", "Half" }[rng.Next(3)];
            string o = t switch { "float" => rng.Next(4) == 0 ? "Half" : "float", "Half" => rng.Next(3) == 0 ? "float" : "Half", _ => "double" };
            var form = (Form)rng.Next(3);
            var res = kind == Kind.DeepNorm ? (rng.Next(2) == 0 ? Res.None : Res.BiasAndOut) : (Res)rng.Next(4);
            int affine = rng.Next(3);
            var act = (Act)rng.Next(7);
            bool stats = rng.Next(2) == 0;
            bool zc = affine > 0 && rng.Next(3) == 0;
            var c = new Config(list.Count, kind, t, o, form, res, affine, act, stats, zc);
            if (seen.Add(c.ToString().Substring(c.Name.Length))) list.Add(c);
        }
        return list;
    }

    /// <summary>The declaration and an array-taking wrapper (reflection cannot pass spans).</summary>
    private static (string Declaration, string Wrapper) Source(Config c)
    {
        var args = new List<string>();
        if (c.Form == Form.Static) args.Add(StaticN.ToString(CultureInfo.InvariantCulture));
        if (c.Form == Form.Tensor) args.Add("Axes = 1");
        args.Add($"Affine = Affine.{new[] { "None", "Scale", "ScaleAndBias" }[c.Affine]}");
        if (c.Kind == Kind.DeepNorm) args.Add("Alpha = 1.5f");
        else if (c.Residual) args.Add("Residual = true");
        if (c.Bias) args.Add("ResidualBias = true");
        if (c.Act != Act.None) args.Add("Activation = Activation." + c.Act);
        if (c.Stats) args.Add("SaveStatistics = true");
        if (c.ZeroCentered) args.Add("ZeroCenteredGamma = true");
        bool tensor = c.Form == Form.Tensor;
        var p = new List<string> { tensor ? $"ReadOnlyTensorSpan<{c.T}> x" : $"ReadOnlySpan<{c.T}> x" };
        var call = new List<string> { tensor ? $"new ReadOnlyTensorSpan<{c.T}>(x, [rows, n])" : "x" };
        var w = new List<string> { $"{c.T}[] x" };
        void Add(string type, string name, bool output = false)
        {
            p.Add($"{(output ? "Span" : "ReadOnlySpan")}<{type}> {name}");
            call.Add(name);
            w.Add($"{type}[] {name}");
        }
        if (c.Form == Form.RuntimeFlat) { p.Add("int n"); call.Add("n"); }
        if (c.Residual) Add(c.T, "residual");
        if (c.Bias) Add(c.T, "bias");
        if (c.Affine >= 1) Add(c.T, "gamma");
        if (c.Affine == 2) Add(c.T, "beta");
        p.Add(tensor ? $"TensorSpan<{c.Out}> y" : $"Span<{c.Out}> y");
        call.Add(tensor ? $"new TensorSpan<{c.Out}>(y, [rows, n])" : "y");
        w.Add($"{c.Out}[] y");
        if (c.ResidualOut) Add(c.T, "residualOut", output: true);
        if (c.Stats && c.Centers) Add(c.Stat, "mean", output: true);
        if (c.Stats) Add(c.Stat, "rstd", output: true);
        string declaration = $"    [{c.Kind}({string.Join(", ", args)})]\n    public static partial void {c.Name}({string.Join(", ", p)});\n";
        string wrapper = $"    public static void Run{c.Name}(int rows, int n, {string.Join(", ", w)}) => {c.Name}({string.Join(", ", call)});\n";
        return (declaration, wrapper);
    }

    [Fact]
    public void SampledCombinationsCompileRunAndMatchTheReference()
    {
        List<Config> configs = Sample(90);
        var sb = new StringBuilder("using System;\nusing System.Numerics.Tensors;\nusing NormGen;\n\nnamespace Combos;\n\npublic static partial class K\n{\n");
        foreach (Config c in configs)
        {
            var (declaration, wrapper) = Source(c);
            sb.Append(declaration).Append(wrapper);
        }
        sb.Append("}\n");

        var run = Harness.Run(Harness.Compile(sb.ToString(), "Combos.cs"));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        Assert.True(run.Result.Diagnostics.IsEmpty, "Generator diagnostics:\n" + Harness.Format(run.Result.Diagnostics));
        using var image = new MemoryStream();
        var emitted = run.Output.Emit(image);
        Assert.True(emitted.Success, "Compilation failed:\n" + Harness.Format(emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));

        var context = new AssemblyLoadContext("NormGen.Combinations", isCollectible: true);
        try
        {
            image.Position = 0;
            Type k = context.LoadFromStream(image).GetType("Combos.K")!;
            int failures = 0;
            foreach (Config c in configs)
            {
                foreach (int n in c.Form == Form.Static ? new[] { StaticN } : new[] { 1, 5, 37, 130 })
                {
                    string? problem = Check(c, n, k.GetMethod("Run" + c.Name)!);
                    if (problem is not null)
                    {
                        failures++;
                        output.WriteLine($"FAIL {c} n={n}: {problem}");
                    }
                }
            }
            output.WriteLine($"{configs.Count} configurations, {configs.Sum(c => c.Form == Form.Static ? 1 : 4)} runs, {failures} failures");
            Assert.Equal(0, failures);
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Runs one configuration on 3 rows of n elements; returns a description of the first mismatch, or null.</summary>
    private static string? Check(Config c, int n, MethodInfo run)
    {
        const int rows = 3;
        var rng = new Random(c.Id * 1000 + n);
        double[] Data(int length, double scale, double offset) =>
            Enumerable.Range(0, length).Select(_ => Round(c.T, offset + scale * (rng.NextDouble() * 2 - 1))).ToArray();
        double[] x = Data(rows * n, 2, 0.5), residual = Data(rows * n, 1, 0), bias = Data(n, 0.3, 0);
        double[] gamma = Data(n, 0.4, 1), beta = Data(n, 0.3, 0);

        var args = new List<object> { rows, n, Typed(c.T, x) };
        if (c.Residual) args.Add(Typed(c.T, residual));
        if (c.Bias) args.Add(Typed(c.T, bias));
        if (c.Affine >= 1) args.Add(Typed(c.T, gamma));
        if (c.Affine == 2) args.Add(Typed(c.T, beta));
        Array y = Typed(c.Out, new double[rows * n]);
        args.Add(y);
        Array? residualOut = c.ResidualOut ? Typed(c.T, new double[rows * n]) : null;
        if (residualOut is not null) args.Add(residualOut);
        Array? mean = c.Stats && c.Centers ? Typed(c.Stat, new double[rows]) : null;
        if (mean is not null) args.Add(mean);
        Array? rstd = c.Stats ? Typed(c.Stat, new double[rows]) : null;
        if (rstd is not null) args.Add(rstd);
        run.Invoke(null, args.ToArray());

        // Tolerances: float arithmetic ~1e-6 relative to the row's scale; double ~1e-12; one rounding to Half; GELU's erf
        // approximation adds 1.5e-7 absolute even in double.
        double computeTol = c.T == "double" ? 1e-11 : 3e-5;
        if (c.Act is Act.Gelu) computeTol = Math.Max(computeTol, 3e-7);
        for (int r = 0; r < rows; r++)
        {
            var h = new double[n];
            for (int i = 0; i < n; i++)
            {
                h[i] = c.Residual ? c.Alpha * x[r * n + i] + residual[r * n + i] + (c.Bias ? bias[i] : 0) : x[r * n + i];
                if (residualOut is not null)
                {
                    double got = ToDouble(residualOut.GetValue(r * n + i));
                    if (!Close(got, h[i], c.T == "Half" ? 1e-3 : c.T == "double" ? 1e-15 : 1e-7)) return $"residualOut[{r},{i}] = {got} vs {h[i]}";
                }
            }
            double mu = c.Centers ? h.Average() : 0;
            double variance = h.Select(v => (v - mu) * (v - mu)).Average();
            double rs = 1 / Math.Sqrt(variance + c.Epsilon);
            if (mean is not null && !Close(ToDouble(mean.GetValue(r)), mu, c.T == "double" ? 1e-12 : 1e-5)) return $"mean[{r}]";
            if (rstd is not null && !Close(ToDouble(rstd.GetValue(r)) / rs, 1, c.T == "double" ? 1e-12 : 1e-5)) return $"rstd[{r}]";
            for (int i = 0; i < n; i++)
            {
                double v = (h[i] - mu) * rs;
                if (c.Affine >= 1) v *= c.ZeroCentered ? 1 + gamma[i] : gamma[i];
                if (c.Affine == 2) v += beta[i];
                v = Activate(v, c.Act);
                double got = ToDouble(y.GetValue(r * n + i));
                double tol = computeTol + (c.Out == "Half" ? Math.Pow(2, -10) : 0);
                if (!Close(got, v, tol)) return $"y[{r},{i}] = {got:R} vs {v:R}";
            }
        }
        return null;
    }

    private static double ToDouble(object? value) => value switch
    {
        Half h => (double)h,
        float f => f,
        double d => d,
        _ => throw new InvalidOperationException($"unexpected element {value}"),
    };

    private static bool Close(double actual, double expected, double tolerance) =>
        Math.Abs(actual - expected) <= tolerance * (1 + Math.Abs(expected));

    private static double Round(string type, double v) => type switch { "float" => (float)v, "Half" => (double)(Half)v, _ => v };

    private static Array Typed(string type, double[] values) => type switch
    {
        "float" => values.Select(v => (float)v).ToArray(),
        "Half" => values.Select(v => (Half)v).ToArray(),
        _ => values.ToArray(),
    };

    private static double Activate(double v, Act act) => act switch
    {
        Act.Relu => Math.Max(v, 0),
        Act.Gelu => NormGen.Testing.ActivationReference.Gelu(v),
        Act.GeluTanh => NormGen.Testing.ActivationReference.GeluTanh(v),
        Act.Silu => NormGen.Testing.ActivationReference.Silu(v),
        Act.Tanh => NormGen.Testing.ActivationReference.Tanh(v),
        Act.Sigmoid => NormGen.Testing.ActivationReference.Sigmoid(v),
        _ => v,
    };

}
