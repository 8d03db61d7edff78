using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using NormGen.Generator.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Generator.Tests;

/// <summary>
/// Layer 4: each NG descriptor from a snippet that triggers it, with the exact set of IDs and spans (marked in the
/// snippet as <c>{|NG0004:text|}</c>) and the fix the message promises; and malformed declarations that must not
/// crash the generator.
/// </summary>
public class DiagnosticsTests(ITestOutputHelper output)
{
    private const string Preamble = "using System;\nusing System.Numerics.Tensors;\nusing NormGen;\n\nnamespace D;\n\n";

    private const string LnParams = "ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y";
    private const string LnExpected = "static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);";
    private const string RmsParams = "ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y";
    private const string RmsExpected = "static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);";

    /// <summary>Name → (snippet with marked spans, texts each reported message must contain).</summary>
    private static readonly Dictionary<string, (string Snippet, string[] MessageContains)> s_cases = new()
    {
        ["NG0001_NotStatic"] = (
            $"public partial class K {{ [LayerNorm(768)] public partial void {{|NG0001:M|}}({LnParams}); }}",
            new[] { "must be declared 'static partial void M(...);'", "Write: " + LnExpected }),
        ["NG0001_HasBody"] = (
            $"public partial class K {{ [LayerNorm(768)] static partial void {{|NG0001:M|}}({LnParams}) {{ }} }}",
            new[] { "Write: " + LnExpected }),
        ["NG0001_ReturnsValue"] = (
            $"public partial class K {{ [RmsNorm(768)] public static partial int {{|NG0001:M|}}({RmsParams}); }}",
            new[] { "Write: " + RmsExpected }),
        ["NG0001_ExternPartial"] = (
            $"public partial class K {{ [LayerNorm(768)] public static extern partial void {{|NG0001:M|}}({LnParams}); }}",
            new[] { "with no body: NormGen writes the body", "Write: " + LnExpected }),
        ["NG0001_UserImplementation"] = (
            $"public partial class K {{ [LayerNorm(768)] static partial void {{|NG0001:M|}}({LnParams}); static partial void M({LnParams}) {{ }} }}",
            new[] { "with no body: NormGen writes the body" }),
        ["NG0002_NotPartial"] = (
            $"public class K {{ [LayerNorm(768)] static partial void {{|NG0002:M|}}({LnParams}); }}",
            new[] { "Type 'K'", "must be declared 'partial'" }),
        ["NG0002_OuterNotPartial"] = (
            $"public class Outer {{ public partial class Inner {{ [LayerNorm(768)] static partial void {{|NG0002:M|}}({LnParams}); }} }}",
            new[] { "Type 'Outer'", "must be declared 'partial'" }),
        ["NG0003_Generic"] = (
            $"public partial class K {{ [LayerNorm(768)] static partial void {{|NG0003:M|}}<T>({LnParams}); }}",
            new[] { "Declare one method per element type, e.g. " + LnExpected }),
        ["NG0004_Array"] = (
            "public partial class K { [RmsNorm(768)] static partial void M({|NG0004:float[] x|}, ReadOnlySpan<float> weight, Span<float> y); }",
            new[] { "has type 'float[]'", "Expected: " + RmsExpected }),
        ["NG0004_Ref"] = (
            "public partial class K { [RmsNorm(768)] static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, {|NG0004:ref Span<float> y|}); }",
            new[] { "has type 'ref System.Span<float>'", "by value, no ref/in/out", "Expected: " + RmsExpected }),
        ["NG0004_TensorGamma"] = (
            "public partial class K { [RmsNorm(Axes = 1)] static partial void M(ReadOnlyTensorSpan<float> x, {|NG0004:ReadOnlyTensorSpan<float> weight|}, TensorSpan<float> y); }",
            new[] { "the others are flat spans", "Expected: static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);" }),
        ["NG0005_IntElements"] = (
            "public partial class K { [RmsNorm(768)] static partial void M({|NG0005:ReadOnlySpan<int> x|}, ReadOnlySpan<float> weight, Span<float> y); }",
            new[] { "element type 'int'", "float, double or System.Half", "Expected: " + RmsExpected }),
        ["NG0019_DoubleToHalf"] = (
            "public partial class K { [LayerNorm(768)] static partial void M(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, {|NG0019:Span<Half> y|}); }",
            new[] { "y may differ from x only as float → Half or Half → float", "Span<double>" }),
        ["NG0020_BatchNormFlat"] = (
            "public partial class K { [BatchNorm] static partial void M({|NG0020:ReadOnlySpan<float> x|}, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Span<float> y); }",
            new[] { "needs x and y as tensor spans", "ReadOnlyTensorSpan<float> x" }),
        ["NG0021_ResidualBiasWithoutResidual"] = (
            $"public partial class K {{ [{{|NG0021:LayerNorm(768, ResidualBias = true)|}}] static partial void M({LnParams}); }}",
            new[] { "ResidualBias = true is not valid here", "also set Residual = true" }),
        ["NG0021_DeepNormWithoutAlpha"] = (
            "public partial class K { [{|NG0021:DeepNorm(1024)|}] static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y); }",
            new[] { "Alpha = 2.0f", "Architecture = DeepNetArchitecture.EncoderOnly, Layers = N" }),
        ["NG0021_MomentumOutOfRange"] = (
            "public partial class K { [{|NG0021:BatchNorm(Training = true, Momentum = 1.5f)|}] static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVar, TensorSpan<float> y); }",
            new[] { "Momentum = 1.5", "in [0, 1]" }),
        ["NG0021_BiasFreeWithAffineNone"] = (
            "public partial class K { [{|NG0021:ChannelLayerNorm(BiasFree = true, Affine = Affine.None)|}] static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y); }",
            new[] { "BiasFree = true with Affine.None is not valid here", "always takes one weight and no bias: remove Affine" }),
        ["NG0021_BiasFreeWithScaleAndBias"] = (
            "public partial class K { [{|NG0021:ChannelLayerNorm(BiasFree = true, Affine = Affine.ScaleAndBias)|}] static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y); }",
            new[] { "BiasFree = true with Affine.ScaleAndBias is not valid here" }),
        ["NG0021_GroupsZero"] = (
            "public partial class K { [{|NG0021:GroupNorm(0)|}] static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y); }",
            new[] { "Groups = 0", "[GroupNorm(32)]" }),
        ["NG0030_SpanAndTensorFormsWithIlgpu"] = (
            "public partial class K { [RmsNorm(64)] static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y); [RmsNorm(64)] static partial void {|NG0030:M|}(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y); }",
            new[] { "'M' gets no GPU overloads", "K.M(System.ReadOnlySpan<float>, System.ReadOnlySpan<float>, System.Span<float>)" }),
        ["NG0006_Mixed"] = (
            "public partial class K { [LayerNorm(768)] static partial void M(ReadOnlySpan<float> x, {|NG0006:ReadOnlySpan<double> gamma|}, ReadOnlySpan<float> beta, Span<float> y); }",
            new[] { "element type 'double' but must have 'float'", "Expected: " + LnExpected }),
        ["NG0007_MissingGammaBeta"] = (
            "public partial class K { [LayerNorm(768)] static partial void {|NG0007:M|}(ReadOnlySpan<float> x, Span<float> y); }",
            new[] { "has 2 span parameters", "Affine.ScaleAndBias", "the method must be: " + LnExpected }),
        ["NG0007_IntWithStaticShape"] = (
            "public partial class K { [RmsNorm(768)] static partial void {|NG0007:M|}(ReadOnlySpan<float> x, int n, ReadOnlySpan<float> weight, Span<float> y); }",
            new[] { "3 span parameters and 1 int parameter", "compile-time shape (no int row length)", "the method must be: " + RmsExpected }),
        ["NG0008_ZeroEntry"] = (
            $"public partial class K {{ [{{|NG0008:LayerNorm(768, 0)|}}] static partial void M({LnParams}); }}",
            new[] { "entry 1 is 0", "e.g. [LayerNorm(768)]" }),
        ["NG0009_TooLarge"] = (
            $"public partial class K {{ [{{|NG0009:LayerNorm(65536, 65536)|}}] static partial void M({LnParams}); }}",
            new[] { "[65536, 65536]", "must fit in an int" }),
        ["NG0010_AxesDisagree"] = (
            $"public partial class K {{ [{{|NG0010:LayerNorm(8, 96, Axes = 1)|}}] static partial void M({LnParams}); }}",
            new[] { "Axes = 1", "has 2 axes; remove Axes or make it 2" }),
        ["NG0011_AxesZero"] = (
            "public partial class K { [{|NG0011:RmsNorm(Axes = 0)|}] static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y); }",
            new[] { "Axes = 0", "e.g. Axes = 1" }),
        ["NG0012_ZeroEpsilon"] = (
            $"public partial class K {{ [{{|NG0012:RmsNorm(768, Epsilon = 0f)|}}] static partial void M({RmsParams}); }}",
            new[] { "Epsilon = 0;", "e.g. Epsilon = 1E-06f" }),
        ["NG0012_NaNEpsilon"] = (
            $"public partial class K {{ [{{|NG0012:LayerNorm(768, Epsilon = float.NaN)|}}] static partial void M({LnParams}); }}",
            new[] { "Epsilon = NaN", "e.g. Epsilon = 1E-05f" }),
        ["NG0013_FlatNoShape"] = (
            $"public partial class K {{ [LayerNorm] static partial void {{|NG0013:M|}}({LnParams}); }}",
            new[] { "[LayerNorm(768)]", "[LayerNorm(Axes = 1)]", "Expected: static partial void M(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);" }),
        ["NG0013_TensorNoAxes"] = (
            "public partial class K { [RmsNorm] static partial void {|NG0013:M|}(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y); }",
            new[] { "[RmsNorm(Axes = 1)]", "Expected: static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);" }),
        ["NG0014_ReadOnlyOutput"] = (
            "public partial class K { [RmsNorm(768)] static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, {|NG0014:ReadOnlySpan<float> y|}); }",
            new[] { "must be a Span<T>; write: " + RmsExpected }),
        ["NG0014_ReadOnlyTensorOutput"] = (
            "public partial class K { [RmsNorm(Axes = 1)] static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, {|NG0014:ReadOnlyTensorSpan<float> y|}); }",
            new[] { "must be a TensorSpan<T>; write: static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);" }),
        ["NG0015_TensorInFlatOut"] = (
            "public partial class K { [RmsNorm(Axes = 1)] static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, {|NG0015:Span<float> y|}); }",
            new[] { "both be tensor spans or both be flat spans", "Expected: static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);" }),
        ["NG0016_TwoAttributes"] = (
            $"public partial class K {{ [LayerNorm(768)] [RmsNorm(768)] static partial void {{|NG0016:M|}}({LnParams}); }}",
            new[] { "keep exactly one" }),
        ["NG0017_UndefinedAffine"] = (
            $"public partial class K {{ [{{|NG0017:LayerNorm(768, Affine = (Affine)7)|}}] static partial void M({LnParams}); }}",
            new[] { "Affine = 7", "use Affine.None, Affine.Scale or Affine.ScaleAndBias" }),
        ["NG0018_UndefinedConstant"] = (
            $"public partial class K {{ [{{|NG0018:LayerNorm(768, Epsilon = Missing.Value)|}}] static partial void M({LnParams}); }}",
            new[] { "could not be read", "e.g. [LayerNorm(768)] or [LayerNorm(8, 96)]" }),
        ["NG0018_NonConstantShape"] = (
            $"public partial class K {{ static int s_n = 768; [{{|NG0018:LayerNorm(s_n)|}}] static partial void M({LnParams}); }}",
            new[] { "could not be read" }),
        ["NG0018_StringShape"] = (
            $"public partial class K {{ [{{|NG0018:LayerNorm(\"x\")|}}] static partial void M({LnParams}); }}",
            new[] { "could not be read", "e.g. [LayerNorm(768)]" }),
        ["NG0018_MissingArgument"] = (
            $"public partial class K {{ [{{|NG0018:RmsNorm(768, )|}}] static partial void M({RmsParams}); }}",
            new[] { "could not be read", "e.g. [RmsNorm(768)]" }),
        // Declarations the generator used to accept and then implement with code that does not compile.
        ["NG0023_FileLocalType"] = (
            $"file partial class K {{ [LayerNorm(768)] public static partial void {{|NG0023:M|}}({LnParams}); }}",
            new[] { "Type 'K' is declared 'file'", "Remove 'file'" }),
        ["NG0023_FileLocalOuterType"] = (
            $"file partial class Outer {{ partial class K {{ [LayerNorm(768)] public static partial void {{|NG0023:M|}}({LnParams}); }} }}",
            new[] { "Type 'Outer' is declared 'file'" }),
        ["NG0004_Scoped"] = (
            "public partial class K { [RmsNorm(768)] public static partial void M({|NG0004:scoped ReadOnlySpan<float> x|}, ReadOnlySpan<float> weight, Span<float> y); }",
            new[] { "has type 'scoped System.ReadOnlySpan<float>'", "Expected: " + RmsExpected }),
        ["NG0024_Virtual"] = (
            $"public partial class K {{ [LayerNorm(768)] public virtual partial void {{|NG0024:M|}}({LnParams}); }}",
            new[] { "Method 'M' is 'virtual'", "Write: " + LnExpected }),
        ["NG0024_Abstract"] = (
            $"public abstract partial class K {{ [LayerNorm(768)] public abstract partial void {{|NG0024:M|}}({LnParams}); }}",
            new[] { "Method 'M' is 'abstract'" }),
        ["NG0024_StaticVirtualInInterface"] = (
            $"public partial interface I {{ [LayerNorm(768)] public static virtual partial void {{|NG0024:M|}}({LnParams}); }}",
            new[] { "Method 'M' is 'virtual'" }),
        ["NG0024_StaticReadonly"] = (
            $"public partial struct S {{ [LayerNorm(768)] public static readonly partial void {{|NG0024:M|}}({LnParams}); }}",
            new[] { "Method 'M' is 'readonly'" }),
        ["NG0024_DuplicateModifier"] = (
            $"public partial class K {{ [LayerNorm(768)] public static static partial void {{|NG0024:M|}}({LnParams}); }}",
            new[] { "Method 'M' has 'static' twice", "each once" }),
        ["NG0025_DeclaredTwice"] = (
            $"public partial class K {{ [LayerNorm(768)] public static partial void M({LnParams}); [LayerNorm(768)] public static partial void {{|NG0025:M|}}({LnParams}); }}",
            new[] { "declared more than once with the same parameters in 'K'" }),
        // One mistake, one error, and a message that names it.
        ["NG0026_OutputFirst"] = (
            "public partial class K { [LayerNorm(768)] public static partial void {|NG0026:M|}(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta); }",
            new[] { "'y' must come after 'gamma' and 'beta'", "write: " + LnExpected }),
        ["NG0026_GammaBetaSwapped"] = (
            "public partial class K { [LayerNorm(768)] public static partial void {|NG0026:M|}(ReadOnlySpan<float> x, ReadOnlySpan<float> beta, ReadOnlySpan<float> gamma, Span<float> y); }",
            new[] { "'beta' must come after 'gamma'" }),
        ["NG0026_OtherNames"] = (
            "public partial class K { [RmsNorm(768)] public static partial void {|NG0026:M|}(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> w); }",
            new[] { "'output' is writable and sits where weight belongs", "the output y must come after 'weight'" }),
        ["NG0003_GenericOnly"] = (
            "public partial class K { [LayerNorm(768)] public static partial void {|NG0003:M|}<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y); }",
            new[] { "Declare one method per element type, e.g. " + LnExpected }),
        ["NG0018_NonConstantNamedArgument"] = (
            $"public partial class K {{ static float s_eps = 1e-5f; [{{|NG0018:LayerNorm(768, Epsilon = s_eps)|}}] public static partial void M({LnParams}); }}",
            new[] { "could not be read" }),
        ["NG0018_NonConstantGroups"] = (
            "public partial class K { static int s_g = 4; [{|NG0018:GroupNorm(s_g)|}] public static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, TensorSpan<float> y); }",
            new[] { "could not be read" }),
        ["NG0031_BackwardMissingRstd"] = (
            "public partial class K { [LayerNorm(768, Backward = true)] static partial void {|NG0031:M|}(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta); }",
            new[] { "has 7 span parameters", "Backward = true", "static partial void M(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta);" }),
        ["NG0031_BackwardHalfGradientsAreFloat"] = (
            "public partial class K { [RmsNorm(64, Backward = true)] static partial void M(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> weight, Span<Half> dx, {|NG0031:Span<Half> dweight|}); }",
            new[] { "'dweight' is Half but must be float", "static partial void M(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, ReadOnlySpan<float> rstd, ReadOnlySpan<Half> weight, Span<Half> dx, Span<float> dweight);" }),
        ["NG0031_BackwardDxReadOnly"] = (
            "public partial class K { [LayerNorm(Affine = Affine.None, Backward = true)] static partial void M(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, {|NG0031:ReadOnlySpan<float> dx|}); }",
            new[] { "'dx' is read-only but is written", "int rowLength" }),
        ["NG0031_ResidualBackwardMissingDResidualOut"] = (
            "public partial class K { [LayerNorm(768, Residual = true, Backward = true)] static partial void {|NG0031:M|}(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta); }",
            new[] { "static partial void M(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dh, Span<float> dgamma, Span<float> dbeta);" }),
        ["NG0031_ResidualBiasBackwardMissingDbias"] = (
            "public partial class K { [LayerNorm(768, Residual = true, ResidualBias = true, Backward = true)] static partial void {|NG0031:M|}(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dh, Span<float> dgamma, Span<float> dbeta); }",
            new[] { "ResidualBias (dbias = Σ dh last)", "static partial void M(ReadOnlySpan<float> dy, ReadOnlySpan<float> dResidualOut, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dh, Span<float> dgamma, Span<float> dbeta, Span<float> dbias);" }),
        ["NG0031_DeepNormBackwardMissingSublayer"] = (
            "public partial class K { [DeepNorm(64, Alpha = 2f, Backward = true)] static partial void {|NG0031:M|}(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta); }",
            new[] { "DeepNorm (x and sublayer in; dx = α·dh and dsublayer = dh out)", "static partial void M(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dsublayer, Span<float> dgamma, Span<float> dbeta);" }),
        ["NG0031_DeepNormBackwardBiasIsFlat"] = (
            "public partial class K { [DeepNorm(Alpha = 2f, Axes = 1, ResidualBias = true, Backward = true)] static partial void M(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlyTensorSpan<float> sublayer, {|NG0031:ReadOnlyTensorSpan<float> bias|}, ReadOnlySpan<float> gamma, TensorSpan<float> dx, TensorSpan<float> dsublayer, Span<float> dgamma, Span<float> dbeta, Span<float> dbias); }",
            new[] { "'bias' must be a flat span (only dy, x, sublayer, dx and dsublayer may be tensor spans)" }),
        ["NG0031_ActivationBackwardNeedsBeta"] = (
            "public partial class K { [LayerNorm(768, Activation = Activation.Gelu, Backward = true)] static partial void {|NG0031:M|}(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, Span<float> dx, Span<float> dgamma, Span<float> dbeta); }",
            new[] { "Activation = Gelu (beta after gamma: the pre-activation is recomputed)", "static partial void M(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> dx, Span<float> dgamma, Span<float> dbeta);" }),
        ["NG0032_BatchNormEvalBackward"] = (
            "public partial class K { [{|NG0032:BatchNorm(Backward = true)|}] static partial void M(ReadOnlyTensorSpan<float> dy, ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveRstd, ReadOnlySpan<float> gamma, TensorSpan<float> dx, Span<float> dgamma, Span<float> dbeta); }",
            new[] { "set Training = true" }),
        ["NG0021_BatchNormEvalSaveStatistics"] = (
            "public partial class K { [{|NG0021:BatchNorm(SaveStatistics = true)|}] static partial void M(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, TensorSpan<float> y); }",
            new[] { "SaveStatistics = true is not valid here", "set Training = true" }),
        ["Several_OnePerParameter"] = (
            "public partial class K { [LayerNorm(768)] static partial void M({|NG0004:float[] x|}, {|NG0005:ReadOnlySpan<int> gamma|}, ReadOnlySpan<float> beta, Span<double> y); }",
            Array.Empty<string>()),
    };

    public static IEnumerable<object[]> CaseNames() => s_cases.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ReportsExactlyTheMarkedDiagnostics(string name)
    {
        var (snippet, contains) = s_cases[name];
        var (source, expected) = ParseMarkers(Preamble + snippet);

        // Cases named *WithIlgpu compile against a stand-in for ILGPU's Accelerator: the generator only looks the type up.
        var compilation = name.EndsWith("WithIlgpu", StringComparison.Ordinal)
            ? Harness.Compile(("Snippet.cs", source), ("IlgpuStub.cs", "namespace ILGPU.Runtime { public abstract class Accelerator { } }"))
            : Harness.Compile(source, "Snippet.cs");
        var run = Harness.Run(compilation);
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        var actual = run.Result.Diagnostics
            .Select(d => (d.Id, d.Location.SourceSpan, Text: source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)))
            .OrderBy(d => d.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(
            expected.Select(e => $"{e.Id} at '{source.Substring(e.Span.Start, e.Span.Length)}' {e.Span}"),
            actual.Select(a => $"{a.Id} at '{a.Text}' {a.SourceSpan}"));

        foreach (Diagnostic d in run.Result.Diagnostics)
        {
            Assert.Equal(d.Id is "NG0030" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, d.Severity);
            Assert.Equal("Snippet.cs", d.Location.SourceTree?.FilePath ?? d.Location.GetLineSpan().Path);
            string message = d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
            foreach (string text in contains) Assert.Contains(text, message);
        }
        // A method with an error gets no kernel, at most a stub that throws; a warning (NG0030) leaves the CPU kernel
        // in place and adds no GPU file.
        // (A method declared twice: the first declaration keeps its kernel, the second is reported.)
        if (name == "NG0025_DeclaredTwice")
            Assert.Single(run.Result.GeneratedSources);
        else if (run.Result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            Assert.All(run.Result.GeneratedSources, s => Assert.EndsWith("`Invalid.g.cs", s.HintName));
        else // NG0030: only the declaration that reports it lacks GPU overloads (the span form's GPU file is there)
            Assert.Equal(run.Result.Diagnostics.Count(d => d.Id == "NG0030"), run.Result.GeneratedSources.Count(s => s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal)));

        // One mistake, one error: nothing the generator wrote fails to compile, and no "partial method has no
        // implementation" (CS8795) comes with the NG error.
        var generatedErrors = run.Output.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath != "Snippet.cs" && d.Location.SourceTree?.FilePath != "IlgpuStub.cs")
            // GPU files (and the shared device file they launch) need the real ILGPU, not this stub; NormGen.Gpu.Tests
            // compiles them against it.
            .Where(d => d.Location.SourceTree?.FilePath.EndsWith(".Gpu.g.cs", StringComparison.Ordinal) != true
                && d.Location.SourceTree?.FilePath.EndsWith("NormGen.GpuDevice.g.cs", StringComparison.Ordinal) != true)
            .ToList();
        Assert.True(generatedErrors.Count == 0, "Errors in generated code:\n" + Harness.Format(generatedErrors));
        if (!s_noStubPossible.Contains(name))
            Assert.DoesNotContain(run.Output.GetDiagnostics(), d => d.Id == "CS8795");
    }

    /// <summary>
    /// Declarations no implementation can compile for (another file cannot see a file-local type; the compiler rejects
    /// the modifiers of any implementing part; a second definition has none to pair with), so CS8795 stays beside the NG error.
    /// </summary>
    private static readonly HashSet<string> s_noStubPossible = new(StringComparer.Ordinal)
    {
        "NG0023_FileLocalType", "NG0023_FileLocalOuterType", "NG0024_Abstract", "NG0024_StaticVirtualInInterface", "NG0024_StaticReadonly", "NG0025_DeclaredTwice",
    };

    /// <summary>
    /// The complete diagnostic list of a snippet: the NG error and the compiler's own complaints about the user's text
    /// (which the generator cannot remove), never a CS8795 or an error in generated code.
    /// </summary>
    [Theory]
    [InlineData("public partial class K { [LayerNorm(768)] public static partial void M(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta); }", "NG0026")]
    [InlineData("public partial class K { [LayerNorm(768)] public static partial void M<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y); }", "NG0003")]
    [InlineData("public partial class K { [RmsNorm(768)] public static partial void M(ReadOnlySpan<float> x, Span<float> y); }", "NG0007")]
    [InlineData("public partial class K { [RmsNorm(768)] public static partial void M(scoped ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y); }", "NG0004")]
    [InlineData("public partial class K { [RmsNorm(768)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<int> weight, Span<float> y); }", "NG0005")]
    [InlineData("public partial class K { [LayerNorm(768)] public virtual partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y); }", "NG0024")]
    [InlineData("public partial class K { [LayerNorm(768)] public static static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y); }", "CS1004 NG0024")]
    [InlineData("file partial class K { [LayerNorm(768)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y); }", "CS8795 NG0023")] // no stub can see a file-local type
    [InlineData("public partial class K { [LayerNorm(768)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y); [LayerNorm(768)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y); }", "CS0111 CS0756 NG0025")]
    [InlineData("public partial class K { static float s_eps = 1e-5f; [LayerNorm(768, Epsilon = s_eps)] public static partial void M(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y); }", "CS0182 NG0018")]
    [InlineData("public static partial class K { [LayerNorm(768)] public static partial void M(this ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, Span<float> y); }", "NG0007")]
    public void OneMistakeOneError(string snippet, string expectedIds)
    {
        var run = Harness.Run(Harness.Compile(Preamble + snippet, "Snippet.cs"));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)
            .Concat(run.Result.Diagnostics).Select(d => d.Id).OrderBy(i => i, StringComparer.Ordinal);
        Assert.Equal(expectedIds, string.Join(" ", errors));
    }

    /// <summary>
    /// <c>#pragma warning disable NG0030</c> around a declaration silences its warning, as docs/diagnostics.md says, and
    /// only there: the same declaration outside the pragma still reports. The diagnostic's location lies in the
    /// compilation's own tree (an external location rebuilt from the path would make the compiler ignore the pragma).
    /// </summary>
    [Fact]
    public void PragmaWarningDisableSuppressesAWarning()
    {
        const string snippet = """
            public partial class K
            {
                [RmsNorm(64)] static partial void Quiet(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
            #pragma warning disable NG0030 // the tensor form's CPU kernel is enough here: the span form keeps the GPU overloads
                [RmsNorm(64)] static partial void Quiet(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);
            #pragma warning restore NG0030
                [RmsNorm(64)] static partial void Loud(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y);
                [RmsNorm(64)] static partial void Loud(ReadOnlyTensorSpan<float> x, ReadOnlySpan<float> weight, TensorSpan<float> y);
            }
            """;
        var compilation = Harness.Compile(("Snippet.cs", Preamble + snippet), ("IlgpuStub.cs", "namespace ILGPU.Runtime { public abstract class Accelerator { } }"));
        var run = Harness.Run(compilation);
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);

        // RunGeneratorsAndUpdateCompilation's diagnostics (what csc prints) and the run result agree: the compiler applies
        // the pragma by marking the diagnostic suppressed (csc and the IDE do not show a suppressed diagnostic).
        foreach (var reported in new[] { run.DriverDiagnostics, run.Result.Diagnostics })
        {
            Diagnostic shown = Assert.Single(reported, d => d.Id == "NG0030" && !d.IsSuppressed);
            Assert.Contains("'Loud'", shown.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Diagnostic quiet = Assert.Single(reported, d => d.Id == "NG0030" && d.IsSuppressed);
            Assert.Contains("'Quiet'", quiet.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Assert.All(reported, d => Assert.Same(compilation.SyntaxTrees.Single(t => t.FilePath == "Snippet.cs"), d.Location.SourceTree));
        }
    }

    /// <summary>Valid declarations in variant generic interfaces compile: the generated part repeats the variance (CS1067).</summary>
    [Theory]
    [InlineData("out")]
    [InlineData("in")]
    public void VariantInterfaceKeepsTheVariance(string variance)
    {
        var run = Harness.Run(Harness.Compile(Preamble + $"public partial interface I<{variance} T> {{ [LayerNorm(768)] public static partial void M({LnParams}); }}", "Snippet.cs"));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        Assert.Empty(run.Result.Diagnostics);
        Assert.Single(run.Result.GeneratedSources);
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, Harness.Format(errors));
    }

    /// <summary>Calling a declaration NormGen reported throws <see cref="NotSupportedException"/> with the NG message.</summary>
    [Fact]
    public void StubThrowsNotSupportedWithTheMessage()
    {
        string source = Preamble + "public static partial class K { [LayerNorm(768)] public static partial void M(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta); "
            + "public static void Call() => M(new float[768], new float[768], new float[768], new float[768]); }";
        var run = Harness.Run(Harness.Compile(source, "Snippet.cs"));
        Assert.Equal(new[] { "NG0026" }, run.Result.Diagnostics.Select(d => d.Id));
        string expected = run.Result.Diagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        using var stream = new System.IO.MemoryStream();
        var emit = run.Output.Emit(stream);
        Assert.True(emit.Success, Harness.Format(emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        var context = new System.Runtime.Loader.AssemblyLoadContext("stub", isCollectible: true);
        try
        {
            stream.Position = 0;
            var call = context.LoadFromStream(stream).GetType("D.K")!.GetMethod("Call")!;
            var e = Assert.Throws<System.Reflection.TargetInvocationException>(() => call.Invoke(null, null));
            var notSupported = Assert.IsType<NotSupportedException>(e.InnerException);
            Assert.Equal("NormGen could not implement 'M': NG0026: " + expected, notSupported.Message);
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Every descriptor has at least one case above, and each has a help link and the NormGen category.</summary>
    [Fact]
    public void EveryDescriptorIsCovered()
    {
        var descriptors = typeof(NormGenDiagnostics).GetFields()
            .Select(f => f.GetValue(null)).OfType<DiagnosticDescriptor>().ToList();
        // Well-formed, distinct NG#### IDs (not contiguous: NG0027–NG0029 are unused), each with a marked case in s_cases.
        Assert.All(descriptors, d => Assert.Matches("^NG[0-9]{4}$", d.Id));
        Assert.Equal(descriptors.Count, descriptors.Select(d => d.Id).Distinct().Count());
        var covered = s_cases.Values.SelectMany(c => ParseMarkers(c.Snippet).Expected.Select(e => e.Id)).ToHashSet();
        Assert.All(descriptors, d => Assert.Contains(d.Id, covered));
        foreach (DiagnosticDescriptor d in descriptors)
        {
            Assert.Equal("NormGen", d.Category);
            Assert.EndsWith("#" + d.Id.ToLowerInvariant(), d.HelpLinkUri);
            Assert.Same(d, NormGenDiagnostics.ById(d.Id));
        }
    }

    /// <summary>Strips <c>{|ID:text|}</c> markers and returns the clean source with each marked span.</summary>
    internal static (string Source, List<(string Id, TextSpan Span)> Expected) ParseMarkers(string marked)
    {
        var sb = new StringBuilder();
        var expected = new List<(string, TextSpan)>();
        var open = new Stack<(string Id, int Start)>();
        int i = 0;
        while (i < marked.Length)
        {
            if (marked[i] == '{' && i + 1 < marked.Length && marked[i + 1] == '|')
            {
                int colon = marked.IndexOf(':', i);
                open.Push((marked.Substring(i + 2, colon - i - 2), sb.Length));
                i = colon + 1;
            }
            else if (marked[i] == '|' && i + 1 < marked.Length && marked[i + 1] == '}' && open.Count > 0)
            {
                var (id, start) = open.Pop();
                expected.Add((id, TextSpan.FromBounds(start, sb.Length)));
                i += 2;
            }
            else
            {
                sb.Append(marked[i++]);
            }
        }
        Assert.Empty(open);
        return (sb.ToString(), expected.OrderBy(e => e.Item2.Start).ThenBy(e => e.Item1, StringComparer.Ordinal).ToList());
    }

    // ------------------------------------------------------------------ never throws

    /// <summary>Malformed declarations (most do not compile at all): the generator may report or stay silent, never crash.</summary>
    private static readonly Dictionary<string, string> s_malformed = new()
    {
        ["NoParameters"] = "public partial class K { [LayerNorm] static partial void M(); }",
        ["MissingAttributeArgument"] = $"public partial class K {{ [LayerNorm(768, )] static partial void M({LnParams}); }}",
        ["UnfinishedNamedArgument"] = $"public partial class K {{ [LayerNorm(768, Epsilon = )] static partial void M({LnParams}); }}",
        ["StringShape"] = $"public partial class K {{ [LayerNorm(\"x\")] static partial void M({LnParams}); }}",
        ["NullShape"] = $"public partial class K {{ [LayerNorm(null)] static partial void M({LnParams}); }}",
        ["NullArrayShape"] = $"public partial class K {{ [LayerNorm((int[])null)] static partial void M({LnParams}); }}",
        ["ErrorTypes"] = "public partial class K { [LayerNorm(768)] static partial void M(Foo x, ReadOnlySpan<Bar> gamma, Baz<float> beta, Span<float> y); }",
        ["ParamsArray"] = "public partial class K { [LayerNorm(768)] static partial void M(params float[] x); }",
        ["RefInOut"] = "public partial class K { [RmsNorm(768)] static partial void M(in ReadOnlySpan<float> x, ref ReadOnlySpan<float> weight, out Span<float> y); }",
        ["NestedNonPartial"] = $"public class Outer {{ class Mid {{ partial class Inner {{ [LayerNorm(768)] static partial void M({LnParams}); }} }} }}",
        ["GenericContainer"] = "public partial class G<T> where T : struct { [RmsNorm(16)] static partial void M(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, Span<T> y); }",
        ["BodyNotPartial"] = "public partial class K { [LayerNorm(768)] static void M(ReadOnlySpan<float> x, Span<float> y) { } }",
        ["Extern"] = $"public partial class K {{ [LayerNorm(768)] static extern void M({LnParams}); }}",
        ["ExternPartial"] = $"public partial class K {{ [LayerNorm(768)] static extern partial void M({LnParams}); }}",
        ["Record"] = $"public partial record R(int A) {{ [LayerNorm(768)] public static partial void M({LnParams}); }}",
        ["RecordStruct"] = $"public partial record struct R(int A) {{ [LayerNorm(768)] public static partial void M({LnParams}); }}",
        ["Interface"] = $"public partial interface I {{ [LayerNorm(768)] static partial void M({LnParams}); }}",
        ["DefinitionAndImplementation"] = $"public partial class K {{ [LayerNorm(768)] static partial void M({LnParams}); static partial void M({LnParams}) {{ }} }}",
        ["LocalFunction"] = $"public partial class K {{ void F() {{ [LayerNorm(768)] static void M({LnParams}) {{ }} }} }}",
        ["Constructor"] = "public partial class K { [LayerNorm(768)] public K() { } }",
        ["HugeShape"] = $"public partial class K {{ [LayerNorm(int.MaxValue, int.MaxValue, int.MaxValue)] static partial void M({LnParams}); }}",
        ["NegativeAffine"] = $"public partial class K {{ [LayerNorm(768, Affine = (Affine)(-1))] static partial void M({LnParams}); }}",
        ["InfiniteEpsilon"] = $"public partial class K {{ [LayerNorm(768, Epsilon = float.PositiveInfinity)] static partial void M({LnParams}); }}",
        ["SameMethodTwice"] = $"public partial class K {{ [LayerNorm(768)] static partial void M({LnParams}); [LayerNorm(768)] static partial void M({LnParams}); }}",
        ["UnclosedEverything"] = "public partial class K { [LayerNorm(768 static partial void M(ReadOnlySpan<float> x",
        ["PointerAndFunctionPointer"] = "public unsafe partial class K { [RmsNorm(4)] static partial void M(float* x, delegate*<void> weight, Span<float> y); }",
        ["TupleAndDynamic"] = "public partial class K { [RmsNorm(4)] static partial void M((float, float) x, dynamic weight, Span<float> y); }",
    };

    public static IEnumerable<object[]> MalformedNames() => s_malformed.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(MalformedNames))]
    public void NeverThrows(string name)
    {
        string source = Preamble + s_malformed[name];
        var run = Harness.Run(Harness.Compile(source, "Malformed.cs"));
        Harness.AssertGeneratorDidNotThrow(run.Result, run.DriverDiagnostics);
        output.WriteLine($"{run.Result.GeneratedSources.Length} generated file(s); errors in generated code:");
        foreach (Diagnostic d in run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath.EndsWith(".g.cs") == true))
            output.WriteLine("  " + d);
        output.WriteLine("errors in the snippet:");
        foreach (Diagnostic d in run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath == "Malformed.cs"))
            output.WriteLine("  " + d);
        output.WriteLine("generator diagnostics:");
        // Whatever it reports is one of its own descriptors, located in the snippet.
        foreach (Diagnostic d in run.Result.Diagnostics)
        {
            output.WriteLine("  " + d);
            Assert.StartsWith("NG", d.Id);
            Assert.True(d.Location.IsInSource || d.Location.Kind == LocationKind.ExternalFile, $"{d.Id} has no source location");
        }
    }
}
