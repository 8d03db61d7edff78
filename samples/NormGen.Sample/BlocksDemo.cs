using System;
using System.Globalization;
using NormGen;

namespace NormGen.Sample;

/// <summary>
/// The two residual block layouts the fused kernels are for: a pre-norm block (LLaMA-style, residual add fused into
/// RMSNorm) and a DeepNorm block (post-norm with the residual up-weighted by α, Wang et al. 2022).
/// </summary>
public static partial class BlocksDemo
{
    private const int Hidden = 768, Tokens = 4, Layers = 6;

    /// <summary>Pre-norm: stream ← stream + sublayer; y = RMSNorm(stream)·w. One pass writes both.</summary>
    [RmsNorm(Hidden, Epsilon = 1e-6f, Residual = true)]
    private static partial void AddRmsNorm(ReadOnlySpan<float> sublayer, ReadOnlySpan<float> stream, ReadOnlySpan<float> weight, Span<float> y, Span<float> streamOut);

    /// <summary>DeepNorm for an encoder of N = 24 layers: y = LayerNorm(α·x + sublayer), α = (2N)^¼ computed at compile time.</summary>
    [DeepNorm(Hidden, Architecture = DeepNetArchitecture.EncoderOnly, Layers = 24)]
    private static partial void DeepNorm24(ReadOnlySpan<float> x, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y);

    public static void PreNorm()
    {
        Console.WriteLine($"Pre-norm residual stream, {Tokens} tokens × {Hidden}, {Layers} layers: each layer adds its sublayer's output to the stream");
        Console.WriteLine("and normalizes the new stream for the next sublayer in one fused pass (the stream is updated in place).");
        float[] stream = Data.Activations(Hidden, [0, 0, 0, 0], [1, 1, 1, 1]);
        float[] normed = new float[stream.Length], sublayer = new float[stream.Length];
        float[] weight = Data.Filled(Hidden, 1f);
        Console.WriteLine($"  {"layer",5}  {"stream RMS",10}  {"normed RMS",10}");
        for (int layer = 0; layer < Layers; layer++)
        {
            // A stand-in sublayer: a fixed nonlinear map of the normalized input, growing with depth like real blocks do.
            for (int i = 0; i < sublayer.Length; i++)
                sublayer[i] = (layer + 1) * MathF.Tanh(normed[i] + 0.1f * (i % 7));
            AddRmsNorm(sublayer, stream, weight, normed, stream);
            Console.WriteLine($"  {layer,5}  {Data.Rms(stream),10:F3}  {Data.Rms(normed),10:F3}");
        }
        Console.WriteLine("  The stream's RMS grows with depth; every sublayer still sees an input of RMS 1.");
        Console.WriteLine();
    }

    public static void DeepNorm()
    {
        double alpha = DeepNet.Alpha(DeepNetArchitecture.EncoderOnly, 24);
        Console.WriteLine($"DeepNorm block (post-norm, encoder of N = 24 layers): x ← LayerNorm(α·x + G(x)) with α = (2N)^¼ = {alpha.ToString("F4", CultureInfo.InvariantCulture)}.");
        float[] x = Data.Activations(Hidden, [0, 0, 0, 0], [1, 1, 1, 1]);
        float[] g = new float[x.Length], y = new float[x.Length];
        float[] gamma = Data.Filled(Hidden, 1f), beta = Data.Filled(Hidden, 0f);
        for (int layer = 0; layer < Layers; layer++)
        {
            for (int i = 0; i < g.Length; i++) g[i] = 0.5f * MathF.Sin(x[i] * (layer + 1));
            DeepNorm24(x, g, gamma, beta, y);
            y.CopyTo(x.AsSpan());
        }
        var stats = Data.MeanVariance(x.AsSpan(0, Hidden));
        Console.WriteLine($"  After {Layers} layers token 0 has mean {stats.Mean.ToString("F4", CultureInfo.InvariantCulture)} and variance {stats.Variance.ToString("F4", CultureInfo.InvariantCulture)}: post-norm keeps the stream normalized,");
        Console.WriteLine("  and α > 1 weights the residual above each sublayer's update, which is what keeps 1000-layer post-norm stacks stable.");
        Console.WriteLine();
    }
}
