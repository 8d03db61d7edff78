namespace NormGen;

/// <summary>Which learnable element-wise affine parameters a normalization applies after normalizing.</summary>
public enum Affine
{
    /// <summary>No affine parameters: <c>y = x̂</c>. The method takes neither gamma nor beta.</summary>
    None = 0,

    /// <summary>A per-element scale only: <c>y = x̂ · γ</c>. The method takes gamma (RMSNorm calls it <c>weight</c>).</summary>
    Scale = 1,

    /// <summary>A per-element scale and shift: <c>y = x̂ · γ + β</c>. The method takes gamma, then beta.</summary>
    ScaleAndBias = 2,
}

/// <summary>An element-wise activation applied to the normalized output before it is stored (an epilogue).</summary>
public enum Activation
{
    /// <summary>No activation.</summary>
    None = 0,

    /// <summary><c>max(y, 0)</c>.</summary>
    Relu = 1,

    /// <summary>The exact GELU, <c>y · Φ(y) = ½·y·(1 + erf(y/√2))</c>: PyTorch's default <c>approximate='none'</c>.
    /// erf is evaluated with a rational approximation whose absolute error is below 1.5e-7.</summary>
    Gelu = 2,

    /// <summary>The tanh approximation of GELU, <c>½·y·(1 + tanh(√(2/π)·(y + 0.044715·y³)))</c>: PyTorch's <c>approximate='tanh'</c>.</summary>
    GeluTanh = 3,

    /// <summary>SiLU (swish), <c>y · σ(y) = y / (1 + e^−y)</c>.</summary>
    Silu = 4,

    /// <summary>
    /// <c>tanh(y)</c>: the layer-normalized RNN of Ba et al. 2016, <c>h = tanh(g/σ ⊙ (a − μ) + b)</c>. Within about 2 ulps
    /// of the exact value in float (an odd polynomial near 0, <c>(1 − e)/(1 + e)</c> with <c>e = e^(−2|y|)</c> beyond);
    /// saturates to ±1, NaN stays NaN.
    /// </summary>
    Tanh = 5,

    /// <summary>
    /// The logistic sigmoid <c>σ(y) = 1 / (1 + e^−y)</c> (LSTM gates in a layer-normalized LSTM). Within about 3 ulps of
    /// the exact value in float; 0 at −∞, 1 at +∞, no overflow, NaN stays NaN.
    /// </summary>
    Sigmoid = 6,
}

/// <summary>
/// Which stack a DeepNorm layer belongs to; decides α of <c>x_{l+1} = LN(α·x + G(x))</c> (Wang et al. 2022, arXiv 2203.00555, table 1).
/// </summary>
public enum DeepNetArchitecture
{
    /// <summary>α is given directly with <see cref="DeepNormAttribute.Alpha"/>.</summary>
    Custom = 0,

    /// <summary>An encoder-only stack of N = <see cref="DeepNormAttribute.Layers"/> layers: α = (2N)^¼.</summary>
    EncoderOnly = 1,

    /// <summary>A decoder-only stack of M = <see cref="DeepNormAttribute.Layers"/> layers: α = (2M)^¼.</summary>
    DecoderOnly = 2,

    /// <summary>The encoder of an encoder-decoder model with N = <see cref="DeepNormAttribute.Layers"/> encoder and
    /// M = <see cref="DeepNormAttribute.DecoderLayers"/> decoder layers: α = 0.81·(N⁴M)^(1/16).</summary>
    EncoderDecoderEncoder = 3,

    /// <summary>The decoder of an encoder-decoder model with M = <see cref="DeepNormAttribute.DecoderLayers"/> decoder layers: α = (3M)^¼.</summary>
    EncoderDecoderDecoder = 4,
}
