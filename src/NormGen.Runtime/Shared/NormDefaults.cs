// This file is compiled into both NormGen.Runtime and the NormGen generator (linked), so the defaults and shape
// rules the generator bakes into kernels are the same ones the runtime documents and checks. Keep it C# 7.3-clean
// apart from what PolySharp provides, with no dependency beyond System.
namespace NormGen
{
    /// <summary>Defaults and limits shared by the NormGen generator and runtime.</summary>
    internal static class NormDefaults
    {
        /// <summary>PyTorch's default LayerNorm ε.</summary>
        public const float LayerNormEpsilon = 1e-5f;

        /// <summary>
        /// PyTorch's RMSNorm ε for <c>eps=None</c> with float and Half inputs: <c>finfo(float32).eps</c>, 2⁻²³
        /// (Half computes in float, PyTorch's opmath type for it).
        /// </summary>
        public const float RmsNormEpsilon = 1.1920929e-07f;

        /// <summary>
        /// PyTorch's RMSNorm ε for <c>eps=None</c> with double inputs: <c>finfo(float64).eps</c>, 2⁻⁵² =
        /// 2.220446049250313e-16. Exactly representable as a float, so <see cref="RmsNormEpsilonDoubleAsFloat"/> carries
        /// it through places typed float without loss.
        /// </summary>
        public const double RmsNormEpsilonDouble = 2.220446049250313e-16;

        /// <summary><see cref="RmsNormEpsilonDouble"/> as a float (2⁻⁵² is exact in float).</summary>
        public const float RmsNormEpsilonDoubleAsFloat = (float)RmsNormEpsilonDouble;

        /// <summary>The largest number of elements in one normalized row (the row is indexed with <see cref="int"/>).</summary>
        public const long MaxRowLength = int.MaxValue;

        /// <summary>
        /// Multiplies the entries of a normalized shape. Returns -1 if an entry is not positive and -2 if the product
        /// exceeds <see cref="MaxRowLength"/>.
        /// </summary>
        public static long RowLength(int[] shape)
        {
            long product = 1;
            foreach (int size in shape)
            {
                if (size <= 0) return -1;
                product *= size;
                if (product > MaxRowLength) return -2;
            }
            return product;
        }

        /// <summary>
        /// DeepNorm's α (Wang et al. 2022, table 1). architecture: 1 encoder-only (2N)^¼, 2 decoder-only (2M)^¼ with
        /// M = layers, 3 encoder of an encoder-decoder 0.81·(N⁴M)^(1/16), 4 decoder of an encoder-decoder (3M)^¼ with
        /// M = decoderLayers. Returns NaN when the layer counts the formula needs are not positive.
        /// </summary>
        public static double DeepNormAlpha(int architecture, int layers, int decoderLayers)
        {
            switch (architecture)
            {
                case 1:
                case 2:
                    return layers > 0 ? System.Math.Pow(2.0 * layers, 0.25) : double.NaN;
                case 3:
                    return layers > 0 && decoderLayers > 0 ? 0.81 * System.Math.Pow(System.Math.Pow(layers, 4) * decoderLayers, 1.0 / 16) : double.NaN;
                case 4:
                    return decoderLayers > 0 ? System.Math.Pow(3.0 * decoderLayers, 0.25) : double.NaN;
                default:
                    return double.NaN;
            }
        }
    }
}
