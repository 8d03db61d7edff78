#!/usr/bin/env python3
"""Writes Kernels.cs: the row-kernel declarations of the A/B check and an adapter that calls each by name.
The same file is compiled twice: by this tree's generator (NormGen.RowAB) and by the baseline commit's
(NormGen.RowAB.Baseline, see baseline.sh). Run: python3 gen_kernels.py > Kernels.cs"""
F, D, H = "float", "double", "Half"
# name, attribute, element, output element, roles (n = run-time int length, T = tensor form with Axes)
K = []
def k(name, attr, el, roles, out=None, tensor=0):
    K.append((name, attr, el, out or el, roles, tensor))
RT = ["x", "n"]
for el, s in ((F, "F"), (D, "D"), (H, "H")):
    k("Ln" + s, "LayerNorm", el, RT + ["gamma", "beta", "y"])
    k("LnNone" + s, "LayerNorm(Affine = Affine.None)", el, RT + ["y"])
    k("LnScale" + s, "LayerNorm(Affine = Affine.Scale)", el, RT + ["gamma", "y"])
    k("Rms" + s, "RmsNorm", el, RT + ["gamma", "y"])
    k("RmsNone" + s, "RmsNorm(Affine = Affine.None)", el, RT + ["y"])
    k("LnStats" + s, "LayerNorm(SaveStatistics = true)", el, RT + ["gamma", "beta", "y", "mean", "rstd"])
    k("RmsStats" + s, "RmsNorm(SaveStatistics = true)", el, RT + ["gamma", "y", "rstd"])
    k("AddLn" + s, "LayerNorm(Residual = true)", el, RT + ["residual", "gamma", "beta", "y", "residualOut"])
    k("AddLnNoOut" + s, "LayerNorm(Residual = true)", el, RT + ["residual", "gamma", "beta", "y"])
    k("AddLnBias" + s, "LayerNorm(Residual = true, ResidualBias = true)", el, RT + ["residual", "bias", "gamma", "beta", "y", "residualOut"])
    k("AddRmsStats" + s, "RmsNorm(Residual = true, SaveStatistics = true)", el, RT + ["residual", "gamma", "y", "residualOut", "rstd"])
    k("Deep" + s, "DeepNorm(Alpha = 2.5f)", el, RT + ["residual", "gamma", "beta", "y"])
    k("GemmaRms" + s, "RmsNorm(ZeroCenteredGamma = true)", el, RT + ["gamma", "y"])
    k("GemmaLn" + s, "LayerNorm(ZeroCenteredGamma = true)", el, RT + ["gamma", "beta", "y"])
    for act in ("Relu", "Gelu", "GeluTanh", "Silu", "Tanh", "Sigmoid"):
        k("Ln" + act + s, f"LayerNorm(Activation = Activation.{act})", el, RT + ["gamma", "beta", "y"])
    k("RmsSilu" + s, "RmsNorm(Activation = Activation.Silu)", el, RT + ["gamma", "y"])
k("LnHalfOutF", "LayerNorm(SaveStatistics = true)", F, RT + ["gamma", "beta", "y", "mean", "rstd"], out=H)
k("AddLnHalfOutF", "LayerNorm(Residual = true)", F, RT + ["residual", "gamma", "beta", "y", "residualOut"], out=H)
k("LnFloatOutH", "LayerNorm", H, RT + ["gamma", "beta", "y"], out=F)
k("AddRmsFloatOutH", "RmsNorm(Residual = true)", H, RT + ["residual", "gamma", "y"], out=F)
k("LnTensorF", "LayerNorm(Axes = 2)", F, ["x", "gamma", "beta", "y"], tensor=2)
k("RmsTensorH", "RmsNorm(Axes = 1)", H, ["x", "gamma", "y"], tensor=1)
k("LnTensorD", "LayerNorm(Axes = 1, SaveStatistics = true)", D, ["x", "gamma", "beta", "y", "mean", "rstd"], tensor=1)
# compile-time lengths
ST = {}
def s(name, shape, attr, el, roles, out=None, tensor=0):
    n = 1
    for v in shape: n *= v
    ST[name] = n
    args = ", ".join(str(v) for v in shape)
    a = attr.replace("(", f"({args}, ", 1) if "(" in attr else f"{attr}({args})"
    k(name, a, el, roles, out, tensor)
s("Ln768F", [768], "LayerNorm(Epsilon = 1e-5f)", F, ["x", "gamma", "beta", "y"])
s("Ln13F", [13], "LayerNorm", F, ["x", "gamma", "beta", "y"])
s("Ln3F", [3], "LayerNorm", F, ["x", "gamma", "beta", "y"])
s("Rms2F", [2], "RmsNorm", F, ["x", "gamma", "y"])
s("Ln5D", [5], "LayerNorm", D, ["x", "gamma", "beta", "y"])
s("Ln1000D", [1000], "LayerNorm", D, ["x", "gamma", "beta", "y"])
s("Rms4096F", [4096], "RmsNorm(Epsilon = 1e-6f)", F, ["x", "gamma", "y"])
s("Ln8x96F", [8, 96], "LayerNorm(Affine = Affine.None)", F, ["x", "y"])
s("Ln13H", [13], "LayerNorm", H, ["x", "gamma", "beta", "y"])
s("Rms100H", [100], "RmsNorm", H, ["x", "gamma", "y"])
s("AddRms4096F", [4096], "RmsNorm(Epsilon = 1e-6f, Residual = true)", F, ["x", "residual", "gamma", "y", "residualOut"])
s("Deep1024F", [1024], "DeepNorm(Architecture = DeepNetArchitecture.EncoderOnly, Layers = 24)", F, ["x", "residual", "gamma", "beta", "y"])
s("LnGelu768F", [768], "LayerNorm(Activation = Activation.Gelu, SaveStatistics = true)", F, ["x", "gamma", "beta", "y", "mean", "rstd"], out=H)
s("GemmaRms2048F", [2048], "RmsNorm(ZeroCenteredGamma = true)", F, ["x", "gamma", "y"])
s("AddLnBias77D", [77], "LayerNorm(Residual = true, ResidualBias = true, SaveStatistics = true)", D, ["x", "residual", "bias", "gamma", "beta", "y", "residualOut", "mean", "rstd"])
s("Ln8x96TensorF", [8, 96], "LayerNorm", F, ["x", "gamma", "beta", "y"], tensor=3)  # 3: lengths [rows, 8, 96]

OUT = {"y", "residualOut", "mean", "rstd"}
def ptype(role, el, out, tensor):
    if role == "n": return "int"
    if role in ("mean", "rstd"): return f"Span<{D if el == D else F}>"
    e = out if role == "y" else el
    if tensor and role in ("x", "y"):
        return f"{'TensorSpan' if role == 'y' else 'ReadOnlyTensorSpan'}<{e}>"
    return f"{'Span' if role in OUT else 'ReadOnlySpan'}<{e}>"
def arg(role, el, out, tensor):
    if role == "n": return "n"
    if role in ("mean", "rstd"): return f"W<{D if el == D else F}>({role}, 0, rows)"
    e = out if role == "y" else el
    per_row = role in ("x", "y", "residual", "residualOut")
    if tensor and role in ("x", "y"):
        return f"{'WT' if role == 'y' else 'RT'}<{e}>({role}, {role}Off, rows, n, {tensor})"
    length = "rows * n" if per_row else "n"
    o = f"{role}Off"
    return f"{'W' if role in OUT else 'R'}<{e}>({role}, {o}, {length})"

print("// <auto-generated by gen_kernels.py/>")
print("using System;\nusing System.Numerics.Tensors;\nusing NormGen;\n\nnamespace NormGen.RowAB;\n")
print("public static partial class K\n{")
for name, attr, el, out, roles, tensor in K:
    params = ", ".join(f"{ptype(r, el, out, tensor)} {'rowLength' if r == 'n' else r}" for r in roles)
    print(f"    [{attr}]\n    public static partial void {name}({params});\n")
print("}\n")
print("/// <summary>Calls a kernel of <see cref=\"K\"/> by name on arrays (spans of rows start at element off, or at each array's own offset).</summary>")
print("public static class Adapter\n{")
print("    public static readonly (string Name, string Element, string Output, int StaticLength, bool Tensor, string Roles)[] Kernels =\n    {")
for name, attr, el, out, roles, tensor in K:
    print(f"        (\"{name}\", \"{el}\", \"{out}\", {ST.get(name, 0)}, {str(bool(tensor)).lower()}, \"{' '.join(roles)}\"),")
print("    };\n")
print("    private static ReadOnlySpan<T> R<T>(object a, int off, int length) => new ReadOnlySpan<T>((T[])a, off, length);")
print("    private static Span<T> W<T>(object a, int off, int length) => new Span<T>((T[])a, off, length);")
print("    private static nint[] Lengths(int rows, int n, int axes) => axes == 3 ? new nint[] { rows, 8, 96 } : axes == 1 ? new nint[] { rows, n } : n % 2 == 0 ? new nint[] { rows, 2, n / 2 } : new nint[] { rows, 1, n };")
print("    private static ReadOnlyTensorSpan<T> RT<T>(object a, int off, int rows, int n, int axes) => new ReadOnlyTensorSpan<T>(R<T>(a, off, rows * n), Lengths(rows, n, axes), default);")
print("    private static TensorSpan<T> WT<T>(object a, int off, int rows, int n, int axes) => new TensorSpan<T>(W<T>(a, off, rows * n), Lengths(rows, n, axes), default);\n")
print("    public static void Run(string name, int rows, int n, int off, object x, object residual, object bias, object gamma, object beta, object y, object residualOut, object mean, object rstd)")
print("        => Run(name, rows, n, off, off, off, off, 0, 0, 0, x, residual, bias, gamma, beta, y, residualOut, mean, rstd);\n")
print("    /// <summary>The same with each array (rows, bias, γ, β) starting at its own element (the timing's placement mode).</summary>")
print("    public static void Run(string name, int rows, int n, int xOff, int residualOff, int yOff, int residualOutOff, int biasOff, int gammaOff, int betaOff, object x, object residual, object bias, object gamma, object beta, object y, object residualOut, object mean, object rstd)\n    {")
print("        switch (name)\n        {")
for name, attr, el, out, roles, tensor in K:
    a = ", ".join(arg(r, el, out, tensor) for r in roles)
    print(f"            case \"{name}\": K.{name}({a}); break;")
print("            default: throw new ArgumentException(name);\n        }\n    }\n}")
