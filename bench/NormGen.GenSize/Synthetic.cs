using System;
using System.Collections.Generic;
using System.Text;

namespace NormGen.GenSize;

/// <summary>
/// A synthetic project: <c>count</c> valid declarations drawn with a fixed seed (the same text on every run) over
/// kinds (about 60% row kinds, 30% tensor kinds, 10% backward), element types (float, double, Half), shapes
/// (compile-time lengths, a run-time length, tensor forms) and options (affine, residual, activation, saved
/// statistics, zero-centred γ, BatchNorm training).
/// </summary>
internal static class Synthetic
{
    public static string Source(int count)
    {
        var random = new Random(20260806);
        var sb = new StringBuilder("using System;\nusing System.Numerics.Tensors;\nusing NormGen;\n\nnamespace Synthetic;\n\n");
        const int perClass = 50;
        for (int i = 0; i < count; i++)
        {
            if (i % perClass == 0) sb.Append(i == 0 ? "" : "}\n\n").Append("public static partial class Kernels").Append(i / perClass).Append("\n{\n");
            double draw = random.NextDouble();
            string declaration = draw < 0.6 ? Row(random, i) : draw < 0.9 ? Tensor(random, i) : Backward(random, i);
            sb.Append(declaration).Append('\n');
        }
        return sb.Append("}\n").ToString();
    }

    private static T Pick<T>(Random r, params T[] items) => items[r.Next(items.Length)];

    private static string Element(Random r) => Pick(r, "float", "float", "float", "double", "Half");

    private static string Acc(string t) => t == "double" ? "double" : "float";

    private static string Row(Random r, int i)
    {
        string kind = Pick(r, "LayerNorm", "LayerNorm", "RmsNorm", "RmsNorm", "DeepNorm");
        string t = Element(r);
        int shape = Pick(r, 0, 0, 64, 128, 256, 384, 512, 768, 768, 1000, 1024, 2048, 4096, 13);
        bool tensor = r.Next(5) == 0;
        bool runtime = shape == 0;
        var options = new List<string>();
        string affine = Pick(r, "", "", "None", "Scale", "ScaleAndBias");
        if (affine.Length > 0) options.Add("Affine = Affine." + affine);
        bool gamma = affine is "Scale" or "ScaleAndBias" || (affine.Length == 0);
        bool beta = affine == "ScaleAndBias" || (affine.Length == 0 && kind != "RmsNorm");
        bool residual = kind != "DeepNorm" && !tensor && r.Next(4) == 0;
        if (residual) options.Add("Residual = true");
        string activation = Pick(r, "", "", "", "Gelu", "Relu", "Silu");
        if (activation.Length > 0) options.Add("Activation = Activation." + activation);
        bool save = !tensor && r.Next(5) == 0;
        if (save) options.Add("SaveStatistics = true");
        if (gamma && r.Next(8) == 0) options.Add("ZeroCenteredGamma = true");
        if (kind == "DeepNorm") options.Add(Pick(r, "Architecture = DeepNetArchitecture.EncoderOnly, Layers = 12", "Architecture = DeepNetArchitecture.DecoderOnly, Layers = 24", "Alpha = 1.5f"));
        if (tensor && runtime) options.Insert(0, "Axes = 1");
        string args = (runtime ? "" : shape.ToString(System.Globalization.CultureInfo.InvariantCulture)) is var s && s.Length > 0
            ? "(" + s + (options.Count > 0 ? ", " + string.Join(", ", options) : "") + ")"
            : options.Count > 0 ? "(" + string.Join(", ", options) + ")" : "";
        string ro = tensor ? $"ReadOnlyTensorSpan<{t}>" : $"ReadOnlySpan<{t}>";
        string rw = tensor ? $"TensorSpan<{t}>" : $"Span<{t}>";
        var p = new List<string> { ro + " x" };
        if (runtime && !tensor) p.Add("int rowLength");
        if (residual || kind == "DeepNorm") p.Add($"ReadOnlySpan<{t}> residual");
        if (gamma) p.Add($"ReadOnlySpan<{t}> gamma");
        if (beta) p.Add($"ReadOnlySpan<{t}> beta");
        p.Add(rw + " y");
        if (residual) p.Add($"Span<{t}> residualOut");
        if (save && kind != "RmsNorm") p.Add($"Span<{Acc(t)}> mean");
        if (save) p.Add($"Span<{Acc(t)}> rstd");
        return $"    [{kind}{args}]\n    public static partial void M{i}({string.Join(", ", p)});\n";
    }

    private static string Tensor(Random r, int i)
    {
        string t = Element(r);
        string ro = $"ReadOnlyTensorSpan<{t}> x", rw = $"TensorSpan<{t}> y", span = $"ReadOnlySpan<{t}>";
        bool save = r.Next(5) == 0;
        string saved = save ? $", Span<{Acc(t)}> mean, Span<{Acc(t)}> rstd" : "";
        string saveOption = save ? ", SaveStatistics = true" : "";
        return Pick(r, 0, 1, 2, 3, 4, 5, 6, 7) switch
        {
            0 => $"    [GroupNorm({Pick(r, 2, 4, 8, 32)}{saveOption})]\n    public static partial void M{i}({ro}, {span} gamma, {span} beta, {rw}{saved});\n",
            1 => r.Next(2) == 0
                ? $"    [InstanceNorm]\n    public static partial void M{i}({ro}, {rw});\n"
                : $"    [InstanceNorm(Affine = Affine.ScaleAndBias{saveOption})]\n    public static partial void M{i}({ro}, {span} gamma, {span} beta, {rw}{saved});\n",
            2 => $"    [BatchNorm(Training = true, Momentum = {Pick(r, "0.1f", "0.01f")}{saveOption})]\n    public static partial void M{i}({ro}, {span} gamma, {span} beta, Span<{t}> runningMean, Span<{t}> runningVar, {rw}{saved});\n",
            3 => $"    [BatchNorm(Epsilon = {Pick(r, "1e-5f", "1e-3f")})]\n    public static partial void M{i}({ro}, {span} gamma, {span} beta, {span} runningMean, {span} runningVar, {rw});\n",
            4 => $"    [ChannelLayerNorm{(save ? "(SaveStatistics = true)" : "")}]\n    public static partial void M{i}({ro}, {span} gamma, {span} beta, {rw}{saved});\n",
            5 => $"    [ChannelLayerNorm(BiasFree = true)]\n    public static partial void M{i}({ro}, {span} weight, {rw});\n",
            6 => $"    [MinMaxScale]\n    public static partial void M{i}({ro}, {rw});\n",
            _ => $"    [Standardize]\n    public static partial void M{i}({ro}, {rw});\n",
        };
    }

    private static string Backward(Random r, int i)
    {
        string t = Pick(r, "float", "float", "double");
        string a = Acc(t);
        return Pick(r, 0, 1, 2, 3, 4) switch
        {
            0 => $"    [LayerNorm({Pick(r, 768, 1024, 4096)}, Backward = true)]\n    public static partial void M{i}(ReadOnlySpan<{t}> dy, ReadOnlySpan<{t}> x, ReadOnlySpan<{a}> mean, ReadOnlySpan<{a}> rstd, ReadOnlySpan<{t}> gamma, Span<{t}> dx, Span<{a}> dgamma, Span<{a}> dbeta);\n",
            1 => $"    [LayerNorm(Affine = Affine.None, Backward = true)]\n    public static partial void M{i}(ReadOnlySpan<{t}> dy, ReadOnlySpan<{t}> x, int rowLength, ReadOnlySpan<{a}> mean, ReadOnlySpan<{a}> rstd, Span<{t}> dx);\n",
            2 => $"    [RmsNorm({Pick(r, 2048, 4096)}, Backward = true)]\n    public static partial void M{i}(ReadOnlySpan<{t}> dy, ReadOnlySpan<{t}> x, ReadOnlySpan<{a}> rstd, ReadOnlySpan<{t}> weight, Span<{t}> dx, Span<{a}> dweight);\n",
            3 => $"    [BatchNorm(Training = true, Backward = true)]\n    public static partial void M{i}(ReadOnlyTensorSpan<{t}> dy, ReadOnlyTensorSpan<{t}> x, ReadOnlySpan<{a}> saveMean, ReadOnlySpan<{a}> saveRstd, ReadOnlySpan<{t}> gamma, TensorSpan<{t}> dx, Span<{a}> dgamma, Span<{a}> dbeta);\n",
            _ => $"    [GroupNorm({Pick(r, 8, 32)}, Backward = true)]\n    public static partial void M{i}(ReadOnlyTensorSpan<{t}> dy, ReadOnlyTensorSpan<{t}> x, ReadOnlySpan<{a}> mean, ReadOnlySpan<{a}> rstd, ReadOnlySpan<{t}> gamma, TensorSpan<{t}> dx, Span<{a}> dgamma, Span<{a}> dbeta);\n",
        };
    }
}
