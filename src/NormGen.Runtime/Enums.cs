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
