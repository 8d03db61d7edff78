using System;

namespace NormGen;

/// <summary>DeepNorm's constants (Wang et al. 2022, table 1), the same formulas the generator uses at compile time.</summary>
public static class DeepNet
{
    /// <summary>α, the weight of the residual input in <c>LN(α·x + G(x))</c>.</summary>
    /// <param name="architecture">The stack the layer belongs to (not <see cref="DeepNetArchitecture.Custom"/>).</param>
    /// <param name="layers">N (encoder layers) or, for <see cref="DeepNetArchitecture.DecoderOnly"/>, M.</param>
    /// <param name="decoderLayers">M for the encoder-decoder architectures; ignored otherwise.</param>
    /// <exception cref="ArgumentOutOfRangeException">A layer count the formula needs is not positive, or the architecture is Custom.</exception>
    public static double Alpha(DeepNetArchitecture architecture, int layers, int decoderLayers = 0)
    {
        double alpha = NormDefaults.DeepNormAlpha((int)architecture, layers, decoderLayers);
        if (double.IsNaN(alpha))
            throw new ArgumentOutOfRangeException(nameof(architecture), architecture,
                "α needs a known architecture and positive layer counts: Layers for encoder-only/decoder-only, Layers and DecoderLayers for EncoderDecoderEncoder, DecoderLayers for EncoderDecoderDecoder.");
        return alpha;
    }
}
