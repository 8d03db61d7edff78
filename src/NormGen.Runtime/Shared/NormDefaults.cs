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

        /// <summary>PyTorch's RMSNorm ε for <c>eps=None</c>: float32 machine epsilon, 2⁻²³.</summary>
        public const float RmsNormEpsilon = 1.1920929e-07f;

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
    }
}
