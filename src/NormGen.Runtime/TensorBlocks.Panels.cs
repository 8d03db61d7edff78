using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NormGen;

// The scalers' row-by-row panels (issue 11), written once here instead of in every MinMaxScale and Standardize kernel
// file: a wide table is read in memory order, row by row, into per-column accumulators that stay in cache, so a tall
// table streams through once per pass instead of once per column strip. The text is what the generator used to write
// into each kernel, unchanged, so the numerics are bitwise those of before (bench/NormGen.TensorAB).
public static partial class TensorBlocks
{
    /// <summary>Rows summed per block before the block sums are added, in the column kinds' statistics (channel LayerNorm, Standardize): bounds the rounding error of long columns.</summary>
    public const nuint ColumnSumBlock = 1024;

    // ================================================================ float: Standardize

    /// <summary>
    /// Standardize, columns 0 … n − 1 (n a multiple of 16) of a (rows × width) panel, rows width apart, row by row:
    /// the statistics of a kernel's column strip (Chunk512) in the same order per column, then the normalized output.
    /// </summary>
    public static void StandardizePanel512(ref float x, ref float y, nuint rows, nuint width, nuint n)
    {
        // Per column: the shift k, the mean offset m, four block accumulators, the two totals; per vector: a flag.
        int size = checked((int)(8 * n + n / 16));
        float[]? rented = size <= 1024 ? null : System.Buffers.ArrayPool<float>.Shared.Rent(size);
        Span<float> buffer = rented is null ? stackalloc float[1024] : rented;
        ref float k = ref MemoryMarshal.GetReference(buffer);
        ref float m = ref Unsafe.Add(ref k, n);
        ref float a0 = ref Unsafe.Add(ref k, 2 * n);
        ref float a1 = ref Unsafe.Add(ref k, 3 * n);
        ref float a2 = ref Unsafe.Add(ref k, 4 * n);
        ref float a3 = ref Unsafe.Add(ref k, 5 * n);
        ref float sumSq = ref Unsafe.Add(ref k, 6 * n);
        ref float sumDev = ref Unsafe.Add(ref k, 7 * n);
        ref float huge = ref Unsafe.Add(ref k, 8 * n);
        Vector512<float> count = Vector512.Create((float)rows);
        nuint r, j;

        // Pass 1: the mean as shift + offset (the first row), two accumulators per block of ColumnSumBlock rows.
        for (j = 0; j < n; j += 16)
        {
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref x, j), ref k, j);
            Vector512.StoreUnsafe(Vector512<float>.Zero, ref m, j);
        }
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (j = 0; j < n; j += 16)
            {
                Vector512.StoreUnsafe(Vector512<float>.Zero, ref a0, j);
                Vector512.StoreUnsafe(Vector512<float>.Zero, ref a1, j);
            }
            for (r = start; r + 4 <= end; r += 4) // two pairs per load of the accumulators, in row order
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 16)
                {
                    Vector512<float> kj = Vector512.LoadUnsafe(ref k, j);
                    Vector512<float> s0 = Vector512.LoadUnsafe(ref a0, j) + (Vector512.LoadUnsafe(ref x0, j) - kj);
                    Vector512<float> s1 = Vector512.LoadUnsafe(ref a1, j) + (Vector512.LoadUnsafe(ref x0, j + width) - kj);
                    Vector512.StoreUnsafe(s0 + (Vector512.LoadUnsafe(ref x0, j + 2 * width) - kj), ref a0, j);
                    Vector512.StoreUnsafe(s1 + (Vector512.LoadUnsafe(ref x0, j + 3 * width) - kj), ref a1, j);
                }
            }
            for (; r + 2 <= end; r += 2)
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                ref float x1 = ref Unsafe.Add(ref x0, width);
                for (j = 0; j < n; j += 16)
                {
                    Vector512<float> kj = Vector512.LoadUnsafe(ref k, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a0, j) + (Vector512.LoadUnsafe(ref x0, j) - kj), ref a0, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a1, j) + (Vector512.LoadUnsafe(ref x1, j) - kj), ref a1, j);
                }
            }
            if (r < end)
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 16)
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a0, j) + (Vector512.LoadUnsafe(ref x0, j) - Vector512.LoadUnsafe(ref k, j)), ref a0, j);
            }
            for (j = 0; j < n; j += 16)
                Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref m, j) + (Vector512.LoadUnsafe(ref a0, j) + Vector512.LoadUnsafe(ref a1, j)), ref m, j);
        }
        for (j = 0; j < n; j += 16)
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref m, j) / count, ref m, j);

        // Pass 2: corrected two-pass variance, blocked as pass 1.
        for (j = 0; j < n; j += 16)
        {
            Vector512.StoreUnsafe(Vector512<float>.Zero, ref sumSq, j);
            Vector512.StoreUnsafe(Vector512<float>.Zero, ref sumDev, j);
        }
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (j = 0; j < n; j += 16)
            {
                Vector512.StoreUnsafe(Vector512<float>.Zero, ref a0, j);
                Vector512.StoreUnsafe(Vector512<float>.Zero, ref a1, j);
                Vector512.StoreUnsafe(Vector512<float>.Zero, ref a2, j);
                Vector512.StoreUnsafe(Vector512<float>.Zero, ref a3, j);
            }
            for (r = start; r + 4 <= end; r += 4) // two pairs per load of the accumulators, in row order
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 16)
                {
                    Vector512<float> kj = Vector512.LoadUnsafe(ref k, j), mj = Vector512.LoadUnsafe(ref m, j);
                    Vector512<float> d0 = Vector512.LoadUnsafe(ref x0, j) - kj - mj;
                    Vector512<float> d1 = Vector512.LoadUnsafe(ref x0, j + width) - kj - mj;
                    Vector512<float> d2 = Vector512.LoadUnsafe(ref x0, j + 2 * width) - kj - mj;
                    Vector512<float> d3 = Vector512.LoadUnsafe(ref x0, j + 3 * width) - kj - mj;
                    Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(d2, d2, Vector512.MultiplyAddEstimate(d0, d0, Vector512.LoadUnsafe(ref a0, j))), ref a0, j);
                    Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(d3, d3, Vector512.MultiplyAddEstimate(d1, d1, Vector512.LoadUnsafe(ref a1, j))), ref a1, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a2, j) + d0 + d2, ref a2, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a3, j) + d1 + d3, ref a3, j);
                }
            }
            for (; r + 2 <= end; r += 2)
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                ref float x1 = ref Unsafe.Add(ref x0, width);
                for (j = 0; j < n; j += 16)
                {
                    Vector512<float> kj = Vector512.LoadUnsafe(ref k, j), mj = Vector512.LoadUnsafe(ref m, j);
                    Vector512<float> d0 = Vector512.LoadUnsafe(ref x0, j) - kj - mj;
                    Vector512<float> d1 = Vector512.LoadUnsafe(ref x1, j) - kj - mj;
                    Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(d0, d0, Vector512.LoadUnsafe(ref a0, j)), ref a0, j);
                    Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(d1, d1, Vector512.LoadUnsafe(ref a1, j)), ref a1, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a2, j) + d0, ref a2, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a3, j) + d1, ref a3, j);
                }
            }
            if (r < end)
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 16)
                {
                    Vector512<float> d = Vector512.LoadUnsafe(ref x0, j) - Vector512.LoadUnsafe(ref k, j) - Vector512.LoadUnsafe(ref m, j);
                    Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(d, d, Vector512.LoadUnsafe(ref a0, j)), ref a0, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a2, j) + d, ref a2, j);
                }
            }
            for (j = 0; j < n; j += 16)
            {
                Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref sumSq, j) + (Vector512.LoadUnsafe(ref a0, j) + Vector512.LoadUnsafe(ref a1, j)), ref sumSq, j);
                Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref sumDev, j) + (Vector512.LoadUnsafe(ref a2, j) + Vector512.LoadUnsafe(ref a3, j)), ref sumDev, j);
            }
        }

        // The statistics; a vector whose variance is not finite goes to HugeColumn one column at a time, in double.
        for (j = 0; j < n; j += 16)
        {
            Vector512<float> sumDevJ = Vector512.LoadUnsafe(ref sumDev, j);
            Vector512<float> variance = Vector512.Max((Vector512.LoadUnsafe(ref sumSq, j) - sumDevJ * sumDevJ / count) / count, Vector512<float>.Zero); // NaN stays NaN
            if (!Vector512.EqualsAll(variance - variance, Vector512<float>.Zero))
            {
                for (nuint l = 0; l < 16; l++)
                    StandardizeHugeColumn(ref Unsafe.Add(ref x, j + l), ref Unsafe.Add(ref y, j + l), rows, width);
                Unsafe.Add(ref huge, j / 16) = 1f;
                continue;
            }
            Unsafe.Add(ref huge, j / 16) = 0f;
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref m, j) + sumDevJ / count, ref m, j);
            Vector512<float> rstd = Vector512.ConditionalSelect(Vector512.Equals(variance, Vector512<float>.Zero), Vector512<float>.Zero, Vector512.Create(1f) / Vector512.Sqrt(variance)); // σ = 0 gives 0, not 0 · ∞
            Vector512.StoreUnsafe(rstd, ref a0, j);
        }

        // Pass 3: normalize row by row; rows are read before they are written, so y may be x.
        for (r = 0; r < rows; r++)
        {
            ref float xr = ref Unsafe.Add(ref x, r * width);
            ref float yr = ref Unsafe.Add(ref y, r * width);
            for (j = 0; j < n; j += 16)
                if (Unsafe.Add(ref huge, j / 16) == 0f)
                    Vector512.StoreUnsafe((Vector512.LoadUnsafe(ref xr, j) - Vector512.LoadUnsafe(ref k, j) - Vector512.LoadUnsafe(ref m, j)) * Vector512.LoadUnsafe(ref a0, j), ref yr, j);
        }
        if (rented is not null)
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>
    /// Standardize, columns 0 … n − 1 (n a multiple of 8) of a (rows × width) panel, rows width apart, row by row:
    /// the statistics of a kernel's column strip (Chunk256) in the same order per column, then the normalized output.
    /// </summary>
    public static void StandardizePanel256(ref float x, ref float y, nuint rows, nuint width, nuint n)
    {
        // Per column: the shift k, the mean offset m, four block accumulators, the two totals; per vector: a flag.
        int size = checked((int)(8 * n + n / 8));
        float[]? rented = size <= 1024 ? null : System.Buffers.ArrayPool<float>.Shared.Rent(size);
        Span<float> buffer = rented is null ? stackalloc float[1024] : rented;
        ref float k = ref MemoryMarshal.GetReference(buffer);
        ref float m = ref Unsafe.Add(ref k, n);
        ref float a0 = ref Unsafe.Add(ref k, 2 * n);
        ref float a1 = ref Unsafe.Add(ref k, 3 * n);
        ref float a2 = ref Unsafe.Add(ref k, 4 * n);
        ref float a3 = ref Unsafe.Add(ref k, 5 * n);
        ref float sumSq = ref Unsafe.Add(ref k, 6 * n);
        ref float sumDev = ref Unsafe.Add(ref k, 7 * n);
        ref float huge = ref Unsafe.Add(ref k, 8 * n);
        Vector256<float> count = Vector256.Create((float)rows);
        nuint r, j;

        // Pass 1: the mean as shift + offset (the first row), two accumulators per block of ColumnSumBlock rows.
        for (j = 0; j < n; j += 8)
        {
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref x, j), ref k, j);
            Vector256.StoreUnsafe(Vector256<float>.Zero, ref m, j);
        }
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (j = 0; j < n; j += 8)
            {
                Vector256.StoreUnsafe(Vector256<float>.Zero, ref a0, j);
                Vector256.StoreUnsafe(Vector256<float>.Zero, ref a1, j);
            }
            for (r = start; r + 4 <= end; r += 4) // two pairs per load of the accumulators, in row order
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 8)
                {
                    Vector256<float> kj = Vector256.LoadUnsafe(ref k, j);
                    Vector256<float> s0 = Vector256.LoadUnsafe(ref a0, j) + (Vector256.LoadUnsafe(ref x0, j) - kj);
                    Vector256<float> s1 = Vector256.LoadUnsafe(ref a1, j) + (Vector256.LoadUnsafe(ref x0, j + width) - kj);
                    Vector256.StoreUnsafe(s0 + (Vector256.LoadUnsafe(ref x0, j + 2 * width) - kj), ref a0, j);
                    Vector256.StoreUnsafe(s1 + (Vector256.LoadUnsafe(ref x0, j + 3 * width) - kj), ref a1, j);
                }
            }
            for (; r + 2 <= end; r += 2)
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                ref float x1 = ref Unsafe.Add(ref x0, width);
                for (j = 0; j < n; j += 8)
                {
                    Vector256<float> kj = Vector256.LoadUnsafe(ref k, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a0, j) + (Vector256.LoadUnsafe(ref x0, j) - kj), ref a0, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a1, j) + (Vector256.LoadUnsafe(ref x1, j) - kj), ref a1, j);
                }
            }
            if (r < end)
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 8)
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a0, j) + (Vector256.LoadUnsafe(ref x0, j) - Vector256.LoadUnsafe(ref k, j)), ref a0, j);
            }
            for (j = 0; j < n; j += 8)
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref m, j) + (Vector256.LoadUnsafe(ref a0, j) + Vector256.LoadUnsafe(ref a1, j)), ref m, j);
        }
        for (j = 0; j < n; j += 8)
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref m, j) / count, ref m, j);

        // Pass 2: corrected two-pass variance, blocked as pass 1.
        for (j = 0; j < n; j += 8)
        {
            Vector256.StoreUnsafe(Vector256<float>.Zero, ref sumSq, j);
            Vector256.StoreUnsafe(Vector256<float>.Zero, ref sumDev, j);
        }
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (j = 0; j < n; j += 8)
            {
                Vector256.StoreUnsafe(Vector256<float>.Zero, ref a0, j);
                Vector256.StoreUnsafe(Vector256<float>.Zero, ref a1, j);
                Vector256.StoreUnsafe(Vector256<float>.Zero, ref a2, j);
                Vector256.StoreUnsafe(Vector256<float>.Zero, ref a3, j);
            }
            for (r = start; r + 4 <= end; r += 4) // two pairs per load of the accumulators, in row order
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 8)
                {
                    Vector256<float> kj = Vector256.LoadUnsafe(ref k, j), mj = Vector256.LoadUnsafe(ref m, j);
                    Vector256<float> d0 = Vector256.LoadUnsafe(ref x0, j) - kj - mj;
                    Vector256<float> d1 = Vector256.LoadUnsafe(ref x0, j + width) - kj - mj;
                    Vector256<float> d2 = Vector256.LoadUnsafe(ref x0, j + 2 * width) - kj - mj;
                    Vector256<float> d3 = Vector256.LoadUnsafe(ref x0, j + 3 * width) - kj - mj;
                    Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(d2, d2, Vector256.MultiplyAddEstimate(d0, d0, Vector256.LoadUnsafe(ref a0, j))), ref a0, j);
                    Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(d3, d3, Vector256.MultiplyAddEstimate(d1, d1, Vector256.LoadUnsafe(ref a1, j))), ref a1, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a2, j) + d0 + d2, ref a2, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a3, j) + d1 + d3, ref a3, j);
                }
            }
            for (; r + 2 <= end; r += 2)
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                ref float x1 = ref Unsafe.Add(ref x0, width);
                for (j = 0; j < n; j += 8)
                {
                    Vector256<float> kj = Vector256.LoadUnsafe(ref k, j), mj = Vector256.LoadUnsafe(ref m, j);
                    Vector256<float> d0 = Vector256.LoadUnsafe(ref x0, j) - kj - mj;
                    Vector256<float> d1 = Vector256.LoadUnsafe(ref x1, j) - kj - mj;
                    Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(d0, d0, Vector256.LoadUnsafe(ref a0, j)), ref a0, j);
                    Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(d1, d1, Vector256.LoadUnsafe(ref a1, j)), ref a1, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a2, j) + d0, ref a2, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a3, j) + d1, ref a3, j);
                }
            }
            if (r < end)
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 8)
                {
                    Vector256<float> d = Vector256.LoadUnsafe(ref x0, j) - Vector256.LoadUnsafe(ref k, j) - Vector256.LoadUnsafe(ref m, j);
                    Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(d, d, Vector256.LoadUnsafe(ref a0, j)), ref a0, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a2, j) + d, ref a2, j);
                }
            }
            for (j = 0; j < n; j += 8)
            {
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref sumSq, j) + (Vector256.LoadUnsafe(ref a0, j) + Vector256.LoadUnsafe(ref a1, j)), ref sumSq, j);
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref sumDev, j) + (Vector256.LoadUnsafe(ref a2, j) + Vector256.LoadUnsafe(ref a3, j)), ref sumDev, j);
            }
        }

        // The statistics; a vector whose variance is not finite goes to HugeColumn one column at a time, in double.
        for (j = 0; j < n; j += 8)
        {
            Vector256<float> sumDevJ = Vector256.LoadUnsafe(ref sumDev, j);
            Vector256<float> variance = Vector256.Max((Vector256.LoadUnsafe(ref sumSq, j) - sumDevJ * sumDevJ / count) / count, Vector256<float>.Zero); // NaN stays NaN
            if (!Vector256.EqualsAll(variance - variance, Vector256<float>.Zero))
            {
                for (nuint l = 0; l < 8; l++)
                    StandardizeHugeColumn(ref Unsafe.Add(ref x, j + l), ref Unsafe.Add(ref y, j + l), rows, width);
                Unsafe.Add(ref huge, j / 8) = 1f;
                continue;
            }
            Unsafe.Add(ref huge, j / 8) = 0f;
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref m, j) + sumDevJ / count, ref m, j);
            Vector256<float> rstd = Vector256.ConditionalSelect(Vector256.Equals(variance, Vector256<float>.Zero), Vector256<float>.Zero, Vector256.Create(1f) / Vector256.Sqrt(variance)); // σ = 0 gives 0, not 0 · ∞
            Vector256.StoreUnsafe(rstd, ref a0, j);
        }

        // Pass 3: normalize row by row; rows are read before they are written, so y may be x.
        for (r = 0; r < rows; r++)
        {
            ref float xr = ref Unsafe.Add(ref x, r * width);
            ref float yr = ref Unsafe.Add(ref y, r * width);
            for (j = 0; j < n; j += 8)
                if (Unsafe.Add(ref huge, j / 8) == 0f)
                    Vector256.StoreUnsafe((Vector256.LoadUnsafe(ref xr, j) - Vector256.LoadUnsafe(ref k, j) - Vector256.LoadUnsafe(ref m, j)) * Vector256.LoadUnsafe(ref a0, j), ref yr, j);
        }
        if (rented is not null)
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>
    /// Standardize, columns 0 … n − 1 (n a multiple of 4) of a (rows × width) panel, rows width apart, row by row:
    /// the statistics of a kernel's column strip (Chunk128) in the same order per column, then the normalized output.
    /// </summary>
    public static void StandardizePanel128(ref float x, ref float y, nuint rows, nuint width, nuint n)
    {
        // Per column: the shift k, the mean offset m, four block accumulators, the two totals; per vector: a flag.
        int size = checked((int)(8 * n + n / 4));
        float[]? rented = size <= 1024 ? null : System.Buffers.ArrayPool<float>.Shared.Rent(size);
        Span<float> buffer = rented is null ? stackalloc float[1024] : rented;
        ref float k = ref MemoryMarshal.GetReference(buffer);
        ref float m = ref Unsafe.Add(ref k, n);
        ref float a0 = ref Unsafe.Add(ref k, 2 * n);
        ref float a1 = ref Unsafe.Add(ref k, 3 * n);
        ref float a2 = ref Unsafe.Add(ref k, 4 * n);
        ref float a3 = ref Unsafe.Add(ref k, 5 * n);
        ref float sumSq = ref Unsafe.Add(ref k, 6 * n);
        ref float sumDev = ref Unsafe.Add(ref k, 7 * n);
        ref float huge = ref Unsafe.Add(ref k, 8 * n);
        Vector128<float> count = Vector128.Create((float)rows);
        nuint r, j;

        // Pass 1: the mean as shift + offset (the first row), two accumulators per block of ColumnSumBlock rows.
        for (j = 0; j < n; j += 4)
        {
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref x, j), ref k, j);
            Vector128.StoreUnsafe(Vector128<float>.Zero, ref m, j);
        }
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (j = 0; j < n; j += 4)
            {
                Vector128.StoreUnsafe(Vector128<float>.Zero, ref a0, j);
                Vector128.StoreUnsafe(Vector128<float>.Zero, ref a1, j);
            }
            for (r = start; r + 4 <= end; r += 4) // two pairs per load of the accumulators, in row order
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 4)
                {
                    Vector128<float> kj = Vector128.LoadUnsafe(ref k, j);
                    Vector128<float> s0 = Vector128.LoadUnsafe(ref a0, j) + (Vector128.LoadUnsafe(ref x0, j) - kj);
                    Vector128<float> s1 = Vector128.LoadUnsafe(ref a1, j) + (Vector128.LoadUnsafe(ref x0, j + width) - kj);
                    Vector128.StoreUnsafe(s0 + (Vector128.LoadUnsafe(ref x0, j + 2 * width) - kj), ref a0, j);
                    Vector128.StoreUnsafe(s1 + (Vector128.LoadUnsafe(ref x0, j + 3 * width) - kj), ref a1, j);
                }
            }
            for (; r + 2 <= end; r += 2)
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                ref float x1 = ref Unsafe.Add(ref x0, width);
                for (j = 0; j < n; j += 4)
                {
                    Vector128<float> kj = Vector128.LoadUnsafe(ref k, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a0, j) + (Vector128.LoadUnsafe(ref x0, j) - kj), ref a0, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a1, j) + (Vector128.LoadUnsafe(ref x1, j) - kj), ref a1, j);
                }
            }
            if (r < end)
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 4)
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a0, j) + (Vector128.LoadUnsafe(ref x0, j) - Vector128.LoadUnsafe(ref k, j)), ref a0, j);
            }
            for (j = 0; j < n; j += 4)
                Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref m, j) + (Vector128.LoadUnsafe(ref a0, j) + Vector128.LoadUnsafe(ref a1, j)), ref m, j);
        }
        for (j = 0; j < n; j += 4)
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref m, j) / count, ref m, j);

        // Pass 2: corrected two-pass variance, blocked as pass 1.
        for (j = 0; j < n; j += 4)
        {
            Vector128.StoreUnsafe(Vector128<float>.Zero, ref sumSq, j);
            Vector128.StoreUnsafe(Vector128<float>.Zero, ref sumDev, j);
        }
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (j = 0; j < n; j += 4)
            {
                Vector128.StoreUnsafe(Vector128<float>.Zero, ref a0, j);
                Vector128.StoreUnsafe(Vector128<float>.Zero, ref a1, j);
                Vector128.StoreUnsafe(Vector128<float>.Zero, ref a2, j);
                Vector128.StoreUnsafe(Vector128<float>.Zero, ref a3, j);
            }
            for (r = start; r + 4 <= end; r += 4) // two pairs per load of the accumulators, in row order
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 4)
                {
                    Vector128<float> kj = Vector128.LoadUnsafe(ref k, j), mj = Vector128.LoadUnsafe(ref m, j);
                    Vector128<float> d0 = Vector128.LoadUnsafe(ref x0, j) - kj - mj;
                    Vector128<float> d1 = Vector128.LoadUnsafe(ref x0, j + width) - kj - mj;
                    Vector128<float> d2 = Vector128.LoadUnsafe(ref x0, j + 2 * width) - kj - mj;
                    Vector128<float> d3 = Vector128.LoadUnsafe(ref x0, j + 3 * width) - kj - mj;
                    Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(d2, d2, Vector128.MultiplyAddEstimate(d0, d0, Vector128.LoadUnsafe(ref a0, j))), ref a0, j);
                    Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(d3, d3, Vector128.MultiplyAddEstimate(d1, d1, Vector128.LoadUnsafe(ref a1, j))), ref a1, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a2, j) + d0 + d2, ref a2, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a3, j) + d1 + d3, ref a3, j);
                }
            }
            for (; r + 2 <= end; r += 2)
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                ref float x1 = ref Unsafe.Add(ref x0, width);
                for (j = 0; j < n; j += 4)
                {
                    Vector128<float> kj = Vector128.LoadUnsafe(ref k, j), mj = Vector128.LoadUnsafe(ref m, j);
                    Vector128<float> d0 = Vector128.LoadUnsafe(ref x0, j) - kj - mj;
                    Vector128<float> d1 = Vector128.LoadUnsafe(ref x1, j) - kj - mj;
                    Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(d0, d0, Vector128.LoadUnsafe(ref a0, j)), ref a0, j);
                    Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(d1, d1, Vector128.LoadUnsafe(ref a1, j)), ref a1, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a2, j) + d0, ref a2, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a3, j) + d1, ref a3, j);
                }
            }
            if (r < end)
            {
                ref float x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 4)
                {
                    Vector128<float> d = Vector128.LoadUnsafe(ref x0, j) - Vector128.LoadUnsafe(ref k, j) - Vector128.LoadUnsafe(ref m, j);
                    Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(d, d, Vector128.LoadUnsafe(ref a0, j)), ref a0, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a2, j) + d, ref a2, j);
                }
            }
            for (j = 0; j < n; j += 4)
            {
                Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref sumSq, j) + (Vector128.LoadUnsafe(ref a0, j) + Vector128.LoadUnsafe(ref a1, j)), ref sumSq, j);
                Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref sumDev, j) + (Vector128.LoadUnsafe(ref a2, j) + Vector128.LoadUnsafe(ref a3, j)), ref sumDev, j);
            }
        }

        // The statistics; a vector whose variance is not finite goes to HugeColumn one column at a time, in double.
        for (j = 0; j < n; j += 4)
        {
            Vector128<float> sumDevJ = Vector128.LoadUnsafe(ref sumDev, j);
            Vector128<float> variance = Vector128.Max((Vector128.LoadUnsafe(ref sumSq, j) - sumDevJ * sumDevJ / count) / count, Vector128<float>.Zero); // NaN stays NaN
            if (!Vector128.EqualsAll(variance - variance, Vector128<float>.Zero))
            {
                for (nuint l = 0; l < 4; l++)
                    StandardizeHugeColumn(ref Unsafe.Add(ref x, j + l), ref Unsafe.Add(ref y, j + l), rows, width);
                Unsafe.Add(ref huge, j / 4) = 1f;
                continue;
            }
            Unsafe.Add(ref huge, j / 4) = 0f;
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref m, j) + sumDevJ / count, ref m, j);
            Vector128<float> rstd = Vector128.ConditionalSelect(Vector128.Equals(variance, Vector128<float>.Zero), Vector128<float>.Zero, Vector128.Create(1f) / Vector128.Sqrt(variance)); // σ = 0 gives 0, not 0 · ∞
            Vector128.StoreUnsafe(rstd, ref a0, j);
        }

        // Pass 3: normalize row by row; rows are read before they are written, so y may be x.
        for (r = 0; r < rows; r++)
        {
            ref float xr = ref Unsafe.Add(ref x, r * width);
            ref float yr = ref Unsafe.Add(ref y, r * width);
            for (j = 0; j < n; j += 4)
                if (Unsafe.Add(ref huge, j / 4) == 0f)
                    Vector128.StoreUnsafe((Vector128.LoadUnsafe(ref xr, j) - Vector128.LoadUnsafe(ref k, j) - Vector128.LoadUnsafe(ref m, j)) * Vector128.LoadUnsafe(ref a0, j), ref yr, j);
        }
        if (rented is not null)
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>
    /// One column (rows, stride apart) whose squared deviations overflow float, in double on x·2⁻ᵏ, 2ᵏ ≥ max|x|; a
    /// column holding NaN or ±∞ gives NaN, as on the common path. Rows are read before they are written.
    /// </summary>
    private static void StandardizeHugeColumn(ref float x, ref float y, nuint rows, nuint stride)
    {
        if (!HugeStatistics(ref x, (nint)rows, 1, (nint)stride, out double scale, out double mean, out double variance))
        {
            for (nuint r = 0; r < rows; r++)
                Unsafe.Add(ref y, r * stride) = float.NaN;
            return;
        }
        double rstd = variance == 0d ? 0d : 1d / Math.Sqrt(variance);
        for (nuint r = 0; r < rows; r++)
            Unsafe.Add(ref y, r * stride) = (float)(((double)Unsafe.Add(ref x, r * stride) * scale - mean) * rstd);
    }

    // ================================================================ float: MinMaxScale

    /// <summary>
    /// All columns of a (rows × width) panel, rows stride apart, 16 neighbouring columns per vector, width ≥ 4 × 16 (narrower tables
    /// are faster in column strips): MinMaxScale's per column min and max,
    /// then (x − min) / (max − min), both passes row by row.
    /// </summary>
    public static void MinMaxPanel512(ref float x, ref float y, nuint rows, nuint width, nuint stride)
    {
        // Vector j covers columns j·16 … j·16 + 16 − 1; when 16 does not divide width, one more vector covers the last 16
        // columns (it overlaps the one before it) and stores only its new lanes. Its accumulators get their own slot.
        nuint full = width / 16;
        nuint slots = full + (width % 16 != 0 ? 1u : 0u);
        nuint last = width - 16;
        int n = checked((int)(slots * 16));
        float[]? rented = n <= 256 ? null : System.Buffers.ArrayPool<float>.Shared.Rent(2 * n);
        Span<float> buffer = rented is null ? stackalloc float[512] : rented;
        ref float lo = ref MemoryMarshal.GetReference(buffer);
        ref float hi = ref Unsafe.Add(ref lo, n);

        // Pass 1: min and max. They propagate NaN (IEEE 754-2019 minimum/maximum), so a NaN poisons its own column only.
        for (nuint j = 0; j < slots; j++)
        {
            Vector512<float> v = Vector512.LoadUnsafe(ref x, j < full ? j * 16 : last);
            Vector512.StoreUnsafe(v, ref lo, j * 16);
            Vector512.StoreUnsafe(v, ref hi, j * 16);
        }
        nuint r = 1;
        for (; r + 4 <= rows; r += 4)
        {
            ref float row = ref Unsafe.Add(ref x, r * stride);
            for (nuint j = 0; j < slots; j++)
                MinMax4x512(ref row, stride, j < full ? j * 16 : last, ref lo, ref hi, j * 16);
        }
        for (; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref x, r * stride);
            for (nuint j = 0; j < slots; j++)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref row, j < full ? j * 16 : last);
                Vector512.StoreUnsafe(Vector512.Min(Vector512.LoadUnsafe(ref lo, j * 16), v), ref lo, j * 16);
                Vector512.StoreUnsafe(Vector512.Max(Vector512.LoadUnsafe(ref hi, j * 16), v), ref hi, j * 16);
            }
        }
        for (nuint j = 0; j < slots; j++) // hi becomes the range
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref hi, j * 16) - Vector512.LoadUnsafe(ref lo, j * 16), ref hi, j * 16);

        // Pass 2: (x − min) / range, a constant column (range 0) giving 0 rather than 0 / 0. Rows are read before they
        // are written, and the overlapping last vector keeps the lanes already written, so y may be x.
        Vector512<float> keep = Tail512<float>(width - full * 16);
        for (r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref x, r * stride);
            ref float output = ref Unsafe.Add(ref y, r * stride);
            for (nuint j = 0; j < full; j++)
                Vector512.StoreUnsafe(ScaleRange512(Vector512.LoadUnsafe(ref row, j * 16), Vector512.LoadUnsafe(ref lo, j * 16), Vector512.LoadUnsafe(ref hi, j * 16)), ref output, j * 16);
            if (full < slots)
            {
                Vector512<float> v = ScaleRange512(Vector512.LoadUnsafe(ref row, last), Vector512.LoadUnsafe(ref lo, full * 16), Vector512.LoadUnsafe(ref hi, full * 16));
                Vector512.StoreUnsafe(Vector512.ConditionalSelect(keep, v, Vector512.LoadUnsafe(ref output, last)), ref output, last);
            }
        }
        if (rented is not null)
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>Four rows (stride apart) of 16 columns at <paramref name="at"/> into the min and max at <paramref name="slot"/>, in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MinMax4x512(ref float row, nuint stride, nuint at, ref float lo, ref float hi, nuint slot)
    {
        Vector512<float> v0 = Vector512.LoadUnsafe(ref row, at), v1 = Vector512.LoadUnsafe(ref row, at + stride);
        Vector512<float> v2 = Vector512.LoadUnsafe(ref row, at + 2 * stride), v3 = Vector512.LoadUnsafe(ref row, at + 3 * stride);
        Vector512.StoreUnsafe(Vector512.Min(Vector512.Min(Vector512.Min(Vector512.Min(Vector512.LoadUnsafe(ref lo, slot), v0), v1), v2), v3), ref lo, slot);
        Vector512.StoreUnsafe(Vector512.Max(Vector512.Max(Vector512.Max(Vector512.Max(Vector512.LoadUnsafe(ref hi, slot), v0), v1), v2), v3), ref hi, slot);
    }

    /// <summary>(x − min) / range, or 0 where the range is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ScaleRange512(Vector512<float> x, Vector512<float> lo, Vector512<float> range) =>
        Vector512.ConditionalSelect(Vector512.Equals(range, Vector512<float>.Zero), Vector512<float>.Zero, (x - lo) / range);

    /// <summary>
    /// All columns of a (rows × width) panel, rows stride apart, 8 neighbouring columns per vector, width ≥ 4 × 8 (narrower tables
    /// are faster in column strips): MinMaxScale's per column min and max,
    /// then (x − min) / (max − min), both passes row by row.
    /// </summary>
    public static void MinMaxPanel256(ref float x, ref float y, nuint rows, nuint width, nuint stride)
    {
        // Vector j covers columns j·8 … j·8 + 8 − 1; when 8 does not divide width, one more vector covers the last 8
        // columns (it overlaps the one before it) and stores only its new lanes. Its accumulators get their own slot.
        nuint full = width / 8;
        nuint slots = full + (width % 8 != 0 ? 1u : 0u);
        nuint last = width - 8;
        int n = checked((int)(slots * 8));
        float[]? rented = n <= 256 ? null : System.Buffers.ArrayPool<float>.Shared.Rent(2 * n);
        Span<float> buffer = rented is null ? stackalloc float[512] : rented;
        ref float lo = ref MemoryMarshal.GetReference(buffer);
        ref float hi = ref Unsafe.Add(ref lo, n);

        // Pass 1: min and max. They propagate NaN (IEEE 754-2019 minimum/maximum), so a NaN poisons its own column only.
        for (nuint j = 0; j < slots; j++)
        {
            Vector256<float> v = Vector256.LoadUnsafe(ref x, j < full ? j * 8 : last);
            Vector256.StoreUnsafe(v, ref lo, j * 8);
            Vector256.StoreUnsafe(v, ref hi, j * 8);
        }
        nuint r = 1;
        for (; r + 4 <= rows; r += 4)
        {
            ref float row = ref Unsafe.Add(ref x, r * stride);
            for (nuint j = 0; j < slots; j++)
                MinMax4x256(ref row, stride, j < full ? j * 8 : last, ref lo, ref hi, j * 8);
        }
        for (; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref x, r * stride);
            for (nuint j = 0; j < slots; j++)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref row, j < full ? j * 8 : last);
                Vector256.StoreUnsafe(Vector256.Min(Vector256.LoadUnsafe(ref lo, j * 8), v), ref lo, j * 8);
                Vector256.StoreUnsafe(Vector256.Max(Vector256.LoadUnsafe(ref hi, j * 8), v), ref hi, j * 8);
            }
        }
        for (nuint j = 0; j < slots; j++) // hi becomes the range
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref hi, j * 8) - Vector256.LoadUnsafe(ref lo, j * 8), ref hi, j * 8);

        // Pass 2: (x − min) / range, a constant column (range 0) giving 0 rather than 0 / 0. Rows are read before they
        // are written, and the overlapping last vector keeps the lanes already written, so y may be x.
        Vector256<float> keep = Tail256<float>(width - full * 8);
        for (r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref x, r * stride);
            ref float output = ref Unsafe.Add(ref y, r * stride);
            for (nuint j = 0; j < full; j++)
                Vector256.StoreUnsafe(ScaleRange256(Vector256.LoadUnsafe(ref row, j * 8), Vector256.LoadUnsafe(ref lo, j * 8), Vector256.LoadUnsafe(ref hi, j * 8)), ref output, j * 8);
            if (full < slots)
            {
                Vector256<float> v = ScaleRange256(Vector256.LoadUnsafe(ref row, last), Vector256.LoadUnsafe(ref lo, full * 8), Vector256.LoadUnsafe(ref hi, full * 8));
                Vector256.StoreUnsafe(Vector256.ConditionalSelect(keep, v, Vector256.LoadUnsafe(ref output, last)), ref output, last);
            }
        }
        if (rented is not null)
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>Four rows (stride apart) of 8 columns at <paramref name="at"/> into the min and max at <paramref name="slot"/>, in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MinMax4x256(ref float row, nuint stride, nuint at, ref float lo, ref float hi, nuint slot)
    {
        Vector256<float> v0 = Vector256.LoadUnsafe(ref row, at), v1 = Vector256.LoadUnsafe(ref row, at + stride);
        Vector256<float> v2 = Vector256.LoadUnsafe(ref row, at + 2 * stride), v3 = Vector256.LoadUnsafe(ref row, at + 3 * stride);
        Vector256.StoreUnsafe(Vector256.Min(Vector256.Min(Vector256.Min(Vector256.Min(Vector256.LoadUnsafe(ref lo, slot), v0), v1), v2), v3), ref lo, slot);
        Vector256.StoreUnsafe(Vector256.Max(Vector256.Max(Vector256.Max(Vector256.Max(Vector256.LoadUnsafe(ref hi, slot), v0), v1), v2), v3), ref hi, slot);
    }

    /// <summary>(x − min) / range, or 0 where the range is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ScaleRange256(Vector256<float> x, Vector256<float> lo, Vector256<float> range) =>
        Vector256.ConditionalSelect(Vector256.Equals(range, Vector256<float>.Zero), Vector256<float>.Zero, (x - lo) / range);

    /// <summary>
    /// All columns of a (rows × width) panel, rows stride apart, 4 neighbouring columns per vector, width ≥ 4 × 4 (narrower tables
    /// are faster in column strips): MinMaxScale's per column min and max,
    /// then (x − min) / (max − min), both passes row by row.
    /// </summary>
    public static void MinMaxPanel128(ref float x, ref float y, nuint rows, nuint width, nuint stride)
    {
        // Vector j covers columns j·4 … j·4 + 4 − 1; when 4 does not divide width, one more vector covers the last 4
        // columns (it overlaps the one before it) and stores only its new lanes. Its accumulators get their own slot.
        nuint full = width / 4;
        nuint slots = full + (width % 4 != 0 ? 1u : 0u);
        nuint last = width - 4;
        int n = checked((int)(slots * 4));
        float[]? rented = n <= 256 ? null : System.Buffers.ArrayPool<float>.Shared.Rent(2 * n);
        Span<float> buffer = rented is null ? stackalloc float[512] : rented;
        ref float lo = ref MemoryMarshal.GetReference(buffer);
        ref float hi = ref Unsafe.Add(ref lo, n);

        // Pass 1: min and max. They propagate NaN (IEEE 754-2019 minimum/maximum), so a NaN poisons its own column only.
        for (nuint j = 0; j < slots; j++)
        {
            Vector128<float> v = Vector128.LoadUnsafe(ref x, j < full ? j * 4 : last);
            Vector128.StoreUnsafe(v, ref lo, j * 4);
            Vector128.StoreUnsafe(v, ref hi, j * 4);
        }
        nuint r = 1;
        for (; r + 4 <= rows; r += 4)
        {
            ref float row = ref Unsafe.Add(ref x, r * stride);
            for (nuint j = 0; j < slots; j++)
                MinMax4x128(ref row, stride, j < full ? j * 4 : last, ref lo, ref hi, j * 4);
        }
        for (; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref x, r * stride);
            for (nuint j = 0; j < slots; j++)
            {
                Vector128<float> v = Vector128.LoadUnsafe(ref row, j < full ? j * 4 : last);
                Vector128.StoreUnsafe(Vector128.Min(Vector128.LoadUnsafe(ref lo, j * 4), v), ref lo, j * 4);
                Vector128.StoreUnsafe(Vector128.Max(Vector128.LoadUnsafe(ref hi, j * 4), v), ref hi, j * 4);
            }
        }
        for (nuint j = 0; j < slots; j++) // hi becomes the range
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref hi, j * 4) - Vector128.LoadUnsafe(ref lo, j * 4), ref hi, j * 4);

        // Pass 2: (x − min) / range, a constant column (range 0) giving 0 rather than 0 / 0. Rows are read before they
        // are written, and the overlapping last vector keeps the lanes already written, so y may be x.
        Vector128<float> keep = Tail128<float>(width - full * 4);
        for (r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref x, r * stride);
            ref float output = ref Unsafe.Add(ref y, r * stride);
            for (nuint j = 0; j < full; j++)
                Vector128.StoreUnsafe(ScaleRange128(Vector128.LoadUnsafe(ref row, j * 4), Vector128.LoadUnsafe(ref lo, j * 4), Vector128.LoadUnsafe(ref hi, j * 4)), ref output, j * 4);
            if (full < slots)
            {
                Vector128<float> v = ScaleRange128(Vector128.LoadUnsafe(ref row, last), Vector128.LoadUnsafe(ref lo, full * 4), Vector128.LoadUnsafe(ref hi, full * 4));
                Vector128.StoreUnsafe(Vector128.ConditionalSelect(keep, v, Vector128.LoadUnsafe(ref output, last)), ref output, last);
            }
        }
        if (rented is not null)
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>Four rows (stride apart) of 4 columns at <paramref name="at"/> into the min and max at <paramref name="slot"/>, in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MinMax4x128(ref float row, nuint stride, nuint at, ref float lo, ref float hi, nuint slot)
    {
        Vector128<float> v0 = Vector128.LoadUnsafe(ref row, at), v1 = Vector128.LoadUnsafe(ref row, at + stride);
        Vector128<float> v2 = Vector128.LoadUnsafe(ref row, at + 2 * stride), v3 = Vector128.LoadUnsafe(ref row, at + 3 * stride);
        Vector128.StoreUnsafe(Vector128.Min(Vector128.Min(Vector128.Min(Vector128.Min(Vector128.LoadUnsafe(ref lo, slot), v0), v1), v2), v3), ref lo, slot);
        Vector128.StoreUnsafe(Vector128.Max(Vector128.Max(Vector128.Max(Vector128.Max(Vector128.LoadUnsafe(ref hi, slot), v0), v1), v2), v3), ref hi, slot);
    }

    /// <summary>(x − min) / range, or 0 where the range is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> ScaleRange128(Vector128<float> x, Vector128<float> lo, Vector128<float> range) =>
        Vector128.ConditionalSelect(Vector128.Equals(range, Vector128<float>.Zero), Vector128<float>.Zero, (x - lo) / range);

    // ================================================================ double: Standardize

    /// <summary>
    /// Standardize, columns 0 … n − 1 (n a multiple of 8) of a (rows × width) panel, rows width apart, row by row:
    /// the statistics of a kernel's column strip (Chunk512) in the same order per column, then the normalized output.
    /// </summary>
    public static void StandardizePanel512(ref double x, ref double y, nuint rows, nuint width, nuint n)
    {
        // Per column: the shift k, the mean offset m, four block accumulators, the two totals; per vector: a flag.
        int size = checked((int)(8 * n + n / 8));
        double[]? rented = size <= 1024 ? null : System.Buffers.ArrayPool<double>.Shared.Rent(size);
        Span<double> buffer = rented is null ? stackalloc double[1024] : rented;
        ref double k = ref MemoryMarshal.GetReference(buffer);
        ref double m = ref Unsafe.Add(ref k, n);
        ref double a0 = ref Unsafe.Add(ref k, 2 * n);
        ref double a1 = ref Unsafe.Add(ref k, 3 * n);
        ref double a2 = ref Unsafe.Add(ref k, 4 * n);
        ref double a3 = ref Unsafe.Add(ref k, 5 * n);
        ref double sumSq = ref Unsafe.Add(ref k, 6 * n);
        ref double sumDev = ref Unsafe.Add(ref k, 7 * n);
        ref double huge = ref Unsafe.Add(ref k, 8 * n);
        Vector512<double> count = Vector512.Create((double)rows);
        nuint r, j;

        // Pass 1: the mean as shift + offset (the first row), two accumulators per block of ColumnSumBlock rows.
        for (j = 0; j < n; j += 8)
        {
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref x, j), ref k, j);
            Vector512.StoreUnsafe(Vector512<double>.Zero, ref m, j);
        }
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (j = 0; j < n; j += 8)
            {
                Vector512.StoreUnsafe(Vector512<double>.Zero, ref a0, j);
                Vector512.StoreUnsafe(Vector512<double>.Zero, ref a1, j);
            }
            for (r = start; r + 4 <= end; r += 4) // two pairs per load of the accumulators, in row order
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 8)
                {
                    Vector512<double> kj = Vector512.LoadUnsafe(ref k, j);
                    Vector512<double> s0 = Vector512.LoadUnsafe(ref a0, j) + (Vector512.LoadUnsafe(ref x0, j) - kj);
                    Vector512<double> s1 = Vector512.LoadUnsafe(ref a1, j) + (Vector512.LoadUnsafe(ref x0, j + width) - kj);
                    Vector512.StoreUnsafe(s0 + (Vector512.LoadUnsafe(ref x0, j + 2 * width) - kj), ref a0, j);
                    Vector512.StoreUnsafe(s1 + (Vector512.LoadUnsafe(ref x0, j + 3 * width) - kj), ref a1, j);
                }
            }
            for (; r + 2 <= end; r += 2)
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                ref double x1 = ref Unsafe.Add(ref x0, width);
                for (j = 0; j < n; j += 8)
                {
                    Vector512<double> kj = Vector512.LoadUnsafe(ref k, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a0, j) + (Vector512.LoadUnsafe(ref x0, j) - kj), ref a0, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a1, j) + (Vector512.LoadUnsafe(ref x1, j) - kj), ref a1, j);
                }
            }
            if (r < end)
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 8)
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a0, j) + (Vector512.LoadUnsafe(ref x0, j) - Vector512.LoadUnsafe(ref k, j)), ref a0, j);
            }
            for (j = 0; j < n; j += 8)
                Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref m, j) + (Vector512.LoadUnsafe(ref a0, j) + Vector512.LoadUnsafe(ref a1, j)), ref m, j);
        }
        for (j = 0; j < n; j += 8)
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref m, j) / count, ref m, j);

        // Pass 2: corrected two-pass variance, blocked as pass 1.
        for (j = 0; j < n; j += 8)
        {
            Vector512.StoreUnsafe(Vector512<double>.Zero, ref sumSq, j);
            Vector512.StoreUnsafe(Vector512<double>.Zero, ref sumDev, j);
        }
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (j = 0; j < n; j += 8)
            {
                Vector512.StoreUnsafe(Vector512<double>.Zero, ref a0, j);
                Vector512.StoreUnsafe(Vector512<double>.Zero, ref a1, j);
                Vector512.StoreUnsafe(Vector512<double>.Zero, ref a2, j);
                Vector512.StoreUnsafe(Vector512<double>.Zero, ref a3, j);
            }
            for (r = start; r + 4 <= end; r += 4) // two pairs per load of the accumulators, in row order
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 8)
                {
                    Vector512<double> kj = Vector512.LoadUnsafe(ref k, j), mj = Vector512.LoadUnsafe(ref m, j);
                    Vector512<double> d0 = Vector512.LoadUnsafe(ref x0, j) - kj - mj;
                    Vector512<double> d1 = Vector512.LoadUnsafe(ref x0, j + width) - kj - mj;
                    Vector512<double> d2 = Vector512.LoadUnsafe(ref x0, j + 2 * width) - kj - mj;
                    Vector512<double> d3 = Vector512.LoadUnsafe(ref x0, j + 3 * width) - kj - mj;
                    Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(d2, d2, Vector512.MultiplyAddEstimate(d0, d0, Vector512.LoadUnsafe(ref a0, j))), ref a0, j);
                    Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(d3, d3, Vector512.MultiplyAddEstimate(d1, d1, Vector512.LoadUnsafe(ref a1, j))), ref a1, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a2, j) + d0 + d2, ref a2, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a3, j) + d1 + d3, ref a3, j);
                }
            }
            for (; r + 2 <= end; r += 2)
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                ref double x1 = ref Unsafe.Add(ref x0, width);
                for (j = 0; j < n; j += 8)
                {
                    Vector512<double> kj = Vector512.LoadUnsafe(ref k, j), mj = Vector512.LoadUnsafe(ref m, j);
                    Vector512<double> d0 = Vector512.LoadUnsafe(ref x0, j) - kj - mj;
                    Vector512<double> d1 = Vector512.LoadUnsafe(ref x1, j) - kj - mj;
                    Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(d0, d0, Vector512.LoadUnsafe(ref a0, j)), ref a0, j);
                    Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(d1, d1, Vector512.LoadUnsafe(ref a1, j)), ref a1, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a2, j) + d0, ref a2, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a3, j) + d1, ref a3, j);
                }
            }
            if (r < end)
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 8)
                {
                    Vector512<double> d = Vector512.LoadUnsafe(ref x0, j) - Vector512.LoadUnsafe(ref k, j) - Vector512.LoadUnsafe(ref m, j);
                    Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(d, d, Vector512.LoadUnsafe(ref a0, j)), ref a0, j);
                    Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref a2, j) + d, ref a2, j);
                }
            }
            for (j = 0; j < n; j += 8)
            {
                Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref sumSq, j) + (Vector512.LoadUnsafe(ref a0, j) + Vector512.LoadUnsafe(ref a1, j)), ref sumSq, j);
                Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref sumDev, j) + (Vector512.LoadUnsafe(ref a2, j) + Vector512.LoadUnsafe(ref a3, j)), ref sumDev, j);
            }
        }

        // The statistics; a vector whose variance is not finite goes to HugeColumn one column at a time, in double.
        for (j = 0; j < n; j += 8)
        {
            Vector512<double> sumDevJ = Vector512.LoadUnsafe(ref sumDev, j);
            Vector512<double> variance = Vector512.Max((Vector512.LoadUnsafe(ref sumSq, j) - sumDevJ * sumDevJ / count) / count, Vector512<double>.Zero); // NaN stays NaN
            if (!Vector512.EqualsAll(variance - variance, Vector512<double>.Zero))
            {
                for (nuint l = 0; l < 8; l++)
                    StandardizeHugeColumn(ref Unsafe.Add(ref x, j + l), ref Unsafe.Add(ref y, j + l), rows, width);
                Unsafe.Add(ref huge, j / 8) = 1d;
                continue;
            }
            Unsafe.Add(ref huge, j / 8) = 0d;
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref m, j) + sumDevJ / count, ref m, j);
            Vector512<double> rstd = Vector512.ConditionalSelect(Vector512.Equals(variance, Vector512<double>.Zero), Vector512<double>.Zero, Vector512.Create(1d) / Vector512.Sqrt(variance)); // σ = 0 gives 0, not 0 · ∞
            Vector512.StoreUnsafe(rstd, ref a0, j);
        }

        // Pass 3: normalize row by row; rows are read before they are written, so y may be x.
        for (r = 0; r < rows; r++)
        {
            ref double xr = ref Unsafe.Add(ref x, r * width);
            ref double yr = ref Unsafe.Add(ref y, r * width);
            for (j = 0; j < n; j += 8)
                if (Unsafe.Add(ref huge, j / 8) == 0d)
                    Vector512.StoreUnsafe((Vector512.LoadUnsafe(ref xr, j) - Vector512.LoadUnsafe(ref k, j) - Vector512.LoadUnsafe(ref m, j)) * Vector512.LoadUnsafe(ref a0, j), ref yr, j);
        }
        if (rented is not null)
            System.Buffers.ArrayPool<double>.Shared.Return(rented);
    }

    /// <summary>
    /// Standardize, columns 0 … n − 1 (n a multiple of 4) of a (rows × width) panel, rows width apart, row by row:
    /// the statistics of a kernel's column strip (Chunk256) in the same order per column, then the normalized output.
    /// </summary>
    public static void StandardizePanel256(ref double x, ref double y, nuint rows, nuint width, nuint n)
    {
        // Per column: the shift k, the mean offset m, four block accumulators, the two totals; per vector: a flag.
        int size = checked((int)(8 * n + n / 4));
        double[]? rented = size <= 1024 ? null : System.Buffers.ArrayPool<double>.Shared.Rent(size);
        Span<double> buffer = rented is null ? stackalloc double[1024] : rented;
        ref double k = ref MemoryMarshal.GetReference(buffer);
        ref double m = ref Unsafe.Add(ref k, n);
        ref double a0 = ref Unsafe.Add(ref k, 2 * n);
        ref double a1 = ref Unsafe.Add(ref k, 3 * n);
        ref double a2 = ref Unsafe.Add(ref k, 4 * n);
        ref double a3 = ref Unsafe.Add(ref k, 5 * n);
        ref double sumSq = ref Unsafe.Add(ref k, 6 * n);
        ref double sumDev = ref Unsafe.Add(ref k, 7 * n);
        ref double huge = ref Unsafe.Add(ref k, 8 * n);
        Vector256<double> count = Vector256.Create((double)rows);
        nuint r, j;

        // Pass 1: the mean as shift + offset (the first row), two accumulators per block of ColumnSumBlock rows.
        for (j = 0; j < n; j += 4)
        {
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref x, j), ref k, j);
            Vector256.StoreUnsafe(Vector256<double>.Zero, ref m, j);
        }
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (j = 0; j < n; j += 4)
            {
                Vector256.StoreUnsafe(Vector256<double>.Zero, ref a0, j);
                Vector256.StoreUnsafe(Vector256<double>.Zero, ref a1, j);
            }
            for (r = start; r + 4 <= end; r += 4) // two pairs per load of the accumulators, in row order
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 4)
                {
                    Vector256<double> kj = Vector256.LoadUnsafe(ref k, j);
                    Vector256<double> s0 = Vector256.LoadUnsafe(ref a0, j) + (Vector256.LoadUnsafe(ref x0, j) - kj);
                    Vector256<double> s1 = Vector256.LoadUnsafe(ref a1, j) + (Vector256.LoadUnsafe(ref x0, j + width) - kj);
                    Vector256.StoreUnsafe(s0 + (Vector256.LoadUnsafe(ref x0, j + 2 * width) - kj), ref a0, j);
                    Vector256.StoreUnsafe(s1 + (Vector256.LoadUnsafe(ref x0, j + 3 * width) - kj), ref a1, j);
                }
            }
            for (; r + 2 <= end; r += 2)
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                ref double x1 = ref Unsafe.Add(ref x0, width);
                for (j = 0; j < n; j += 4)
                {
                    Vector256<double> kj = Vector256.LoadUnsafe(ref k, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a0, j) + (Vector256.LoadUnsafe(ref x0, j) - kj), ref a0, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a1, j) + (Vector256.LoadUnsafe(ref x1, j) - kj), ref a1, j);
                }
            }
            if (r < end)
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 4)
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a0, j) + (Vector256.LoadUnsafe(ref x0, j) - Vector256.LoadUnsafe(ref k, j)), ref a0, j);
            }
            for (j = 0; j < n; j += 4)
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref m, j) + (Vector256.LoadUnsafe(ref a0, j) + Vector256.LoadUnsafe(ref a1, j)), ref m, j);
        }
        for (j = 0; j < n; j += 4)
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref m, j) / count, ref m, j);

        // Pass 2: corrected two-pass variance, blocked as pass 1.
        for (j = 0; j < n; j += 4)
        {
            Vector256.StoreUnsafe(Vector256<double>.Zero, ref sumSq, j);
            Vector256.StoreUnsafe(Vector256<double>.Zero, ref sumDev, j);
        }
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (j = 0; j < n; j += 4)
            {
                Vector256.StoreUnsafe(Vector256<double>.Zero, ref a0, j);
                Vector256.StoreUnsafe(Vector256<double>.Zero, ref a1, j);
                Vector256.StoreUnsafe(Vector256<double>.Zero, ref a2, j);
                Vector256.StoreUnsafe(Vector256<double>.Zero, ref a3, j);
            }
            for (r = start; r + 4 <= end; r += 4) // two pairs per load of the accumulators, in row order
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 4)
                {
                    Vector256<double> kj = Vector256.LoadUnsafe(ref k, j), mj = Vector256.LoadUnsafe(ref m, j);
                    Vector256<double> d0 = Vector256.LoadUnsafe(ref x0, j) - kj - mj;
                    Vector256<double> d1 = Vector256.LoadUnsafe(ref x0, j + width) - kj - mj;
                    Vector256<double> d2 = Vector256.LoadUnsafe(ref x0, j + 2 * width) - kj - mj;
                    Vector256<double> d3 = Vector256.LoadUnsafe(ref x0, j + 3 * width) - kj - mj;
                    Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(d2, d2, Vector256.MultiplyAddEstimate(d0, d0, Vector256.LoadUnsafe(ref a0, j))), ref a0, j);
                    Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(d3, d3, Vector256.MultiplyAddEstimate(d1, d1, Vector256.LoadUnsafe(ref a1, j))), ref a1, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a2, j) + d0 + d2, ref a2, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a3, j) + d1 + d3, ref a3, j);
                }
            }
            for (; r + 2 <= end; r += 2)
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                ref double x1 = ref Unsafe.Add(ref x0, width);
                for (j = 0; j < n; j += 4)
                {
                    Vector256<double> kj = Vector256.LoadUnsafe(ref k, j), mj = Vector256.LoadUnsafe(ref m, j);
                    Vector256<double> d0 = Vector256.LoadUnsafe(ref x0, j) - kj - mj;
                    Vector256<double> d1 = Vector256.LoadUnsafe(ref x1, j) - kj - mj;
                    Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(d0, d0, Vector256.LoadUnsafe(ref a0, j)), ref a0, j);
                    Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(d1, d1, Vector256.LoadUnsafe(ref a1, j)), ref a1, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a2, j) + d0, ref a2, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a3, j) + d1, ref a3, j);
                }
            }
            if (r < end)
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 4)
                {
                    Vector256<double> d = Vector256.LoadUnsafe(ref x0, j) - Vector256.LoadUnsafe(ref k, j) - Vector256.LoadUnsafe(ref m, j);
                    Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(d, d, Vector256.LoadUnsafe(ref a0, j)), ref a0, j);
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref a2, j) + d, ref a2, j);
                }
            }
            for (j = 0; j < n; j += 4)
            {
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref sumSq, j) + (Vector256.LoadUnsafe(ref a0, j) + Vector256.LoadUnsafe(ref a1, j)), ref sumSq, j);
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref sumDev, j) + (Vector256.LoadUnsafe(ref a2, j) + Vector256.LoadUnsafe(ref a3, j)), ref sumDev, j);
            }
        }

        // The statistics; a vector whose variance is not finite goes to HugeColumn one column at a time, in double.
        for (j = 0; j < n; j += 4)
        {
            Vector256<double> sumDevJ = Vector256.LoadUnsafe(ref sumDev, j);
            Vector256<double> variance = Vector256.Max((Vector256.LoadUnsafe(ref sumSq, j) - sumDevJ * sumDevJ / count) / count, Vector256<double>.Zero); // NaN stays NaN
            if (!Vector256.EqualsAll(variance - variance, Vector256<double>.Zero))
            {
                for (nuint l = 0; l < 4; l++)
                    StandardizeHugeColumn(ref Unsafe.Add(ref x, j + l), ref Unsafe.Add(ref y, j + l), rows, width);
                Unsafe.Add(ref huge, j / 4) = 1d;
                continue;
            }
            Unsafe.Add(ref huge, j / 4) = 0d;
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref m, j) + sumDevJ / count, ref m, j);
            Vector256<double> rstd = Vector256.ConditionalSelect(Vector256.Equals(variance, Vector256<double>.Zero), Vector256<double>.Zero, Vector256.Create(1d) / Vector256.Sqrt(variance)); // σ = 0 gives 0, not 0 · ∞
            Vector256.StoreUnsafe(rstd, ref a0, j);
        }

        // Pass 3: normalize row by row; rows are read before they are written, so y may be x.
        for (r = 0; r < rows; r++)
        {
            ref double xr = ref Unsafe.Add(ref x, r * width);
            ref double yr = ref Unsafe.Add(ref y, r * width);
            for (j = 0; j < n; j += 4)
                if (Unsafe.Add(ref huge, j / 4) == 0d)
                    Vector256.StoreUnsafe((Vector256.LoadUnsafe(ref xr, j) - Vector256.LoadUnsafe(ref k, j) - Vector256.LoadUnsafe(ref m, j)) * Vector256.LoadUnsafe(ref a0, j), ref yr, j);
        }
        if (rented is not null)
            System.Buffers.ArrayPool<double>.Shared.Return(rented);
    }

    /// <summary>
    /// Standardize, columns 0 … n − 1 (n a multiple of 2) of a (rows × width) panel, rows width apart, row by row:
    /// the statistics of a kernel's column strip (Chunk128) in the same order per column, then the normalized output.
    /// </summary>
    public static void StandardizePanel128(ref double x, ref double y, nuint rows, nuint width, nuint n)
    {
        // Per column: the shift k, the mean offset m, four block accumulators, the two totals; per vector: a flag.
        int size = checked((int)(8 * n + n / 2));
        double[]? rented = size <= 1024 ? null : System.Buffers.ArrayPool<double>.Shared.Rent(size);
        Span<double> buffer = rented is null ? stackalloc double[1024] : rented;
        ref double k = ref MemoryMarshal.GetReference(buffer);
        ref double m = ref Unsafe.Add(ref k, n);
        ref double a0 = ref Unsafe.Add(ref k, 2 * n);
        ref double a1 = ref Unsafe.Add(ref k, 3 * n);
        ref double a2 = ref Unsafe.Add(ref k, 4 * n);
        ref double a3 = ref Unsafe.Add(ref k, 5 * n);
        ref double sumSq = ref Unsafe.Add(ref k, 6 * n);
        ref double sumDev = ref Unsafe.Add(ref k, 7 * n);
        ref double huge = ref Unsafe.Add(ref k, 8 * n);
        Vector128<double> count = Vector128.Create((double)rows);
        nuint r, j;

        // Pass 1: the mean as shift + offset (the first row), two accumulators per block of ColumnSumBlock rows.
        for (j = 0; j < n; j += 2)
        {
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref x, j), ref k, j);
            Vector128.StoreUnsafe(Vector128<double>.Zero, ref m, j);
        }
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (j = 0; j < n; j += 2)
            {
                Vector128.StoreUnsafe(Vector128<double>.Zero, ref a0, j);
                Vector128.StoreUnsafe(Vector128<double>.Zero, ref a1, j);
            }
            for (r = start; r + 4 <= end; r += 4) // two pairs per load of the accumulators, in row order
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 2)
                {
                    Vector128<double> kj = Vector128.LoadUnsafe(ref k, j);
                    Vector128<double> s0 = Vector128.LoadUnsafe(ref a0, j) + (Vector128.LoadUnsafe(ref x0, j) - kj);
                    Vector128<double> s1 = Vector128.LoadUnsafe(ref a1, j) + (Vector128.LoadUnsafe(ref x0, j + width) - kj);
                    Vector128.StoreUnsafe(s0 + (Vector128.LoadUnsafe(ref x0, j + 2 * width) - kj), ref a0, j);
                    Vector128.StoreUnsafe(s1 + (Vector128.LoadUnsafe(ref x0, j + 3 * width) - kj), ref a1, j);
                }
            }
            for (; r + 2 <= end; r += 2)
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                ref double x1 = ref Unsafe.Add(ref x0, width);
                for (j = 0; j < n; j += 2)
                {
                    Vector128<double> kj = Vector128.LoadUnsafe(ref k, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a0, j) + (Vector128.LoadUnsafe(ref x0, j) - kj), ref a0, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a1, j) + (Vector128.LoadUnsafe(ref x1, j) - kj), ref a1, j);
                }
            }
            if (r < end)
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 2)
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a0, j) + (Vector128.LoadUnsafe(ref x0, j) - Vector128.LoadUnsafe(ref k, j)), ref a0, j);
            }
            for (j = 0; j < n; j += 2)
                Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref m, j) + (Vector128.LoadUnsafe(ref a0, j) + Vector128.LoadUnsafe(ref a1, j)), ref m, j);
        }
        for (j = 0; j < n; j += 2)
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref m, j) / count, ref m, j);

        // Pass 2: corrected two-pass variance, blocked as pass 1.
        for (j = 0; j < n; j += 2)
        {
            Vector128.StoreUnsafe(Vector128<double>.Zero, ref sumSq, j);
            Vector128.StoreUnsafe(Vector128<double>.Zero, ref sumDev, j);
        }
        for (nuint start = 0; start < rows; start += ColumnSumBlock)
        {
            nuint end = rows - start > ColumnSumBlock ? start + ColumnSumBlock : rows;
            for (j = 0; j < n; j += 2)
            {
                Vector128.StoreUnsafe(Vector128<double>.Zero, ref a0, j);
                Vector128.StoreUnsafe(Vector128<double>.Zero, ref a1, j);
                Vector128.StoreUnsafe(Vector128<double>.Zero, ref a2, j);
                Vector128.StoreUnsafe(Vector128<double>.Zero, ref a3, j);
            }
            for (r = start; r + 4 <= end; r += 4) // two pairs per load of the accumulators, in row order
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 2)
                {
                    Vector128<double> kj = Vector128.LoadUnsafe(ref k, j), mj = Vector128.LoadUnsafe(ref m, j);
                    Vector128<double> d0 = Vector128.LoadUnsafe(ref x0, j) - kj - mj;
                    Vector128<double> d1 = Vector128.LoadUnsafe(ref x0, j + width) - kj - mj;
                    Vector128<double> d2 = Vector128.LoadUnsafe(ref x0, j + 2 * width) - kj - mj;
                    Vector128<double> d3 = Vector128.LoadUnsafe(ref x0, j + 3 * width) - kj - mj;
                    Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(d2, d2, Vector128.MultiplyAddEstimate(d0, d0, Vector128.LoadUnsafe(ref a0, j))), ref a0, j);
                    Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(d3, d3, Vector128.MultiplyAddEstimate(d1, d1, Vector128.LoadUnsafe(ref a1, j))), ref a1, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a2, j) + d0 + d2, ref a2, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a3, j) + d1 + d3, ref a3, j);
                }
            }
            for (; r + 2 <= end; r += 2)
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                ref double x1 = ref Unsafe.Add(ref x0, width);
                for (j = 0; j < n; j += 2)
                {
                    Vector128<double> kj = Vector128.LoadUnsafe(ref k, j), mj = Vector128.LoadUnsafe(ref m, j);
                    Vector128<double> d0 = Vector128.LoadUnsafe(ref x0, j) - kj - mj;
                    Vector128<double> d1 = Vector128.LoadUnsafe(ref x1, j) - kj - mj;
                    Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(d0, d0, Vector128.LoadUnsafe(ref a0, j)), ref a0, j);
                    Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(d1, d1, Vector128.LoadUnsafe(ref a1, j)), ref a1, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a2, j) + d0, ref a2, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a3, j) + d1, ref a3, j);
                }
            }
            if (r < end)
            {
                ref double x0 = ref Unsafe.Add(ref x, r * width);
                for (j = 0; j < n; j += 2)
                {
                    Vector128<double> d = Vector128.LoadUnsafe(ref x0, j) - Vector128.LoadUnsafe(ref k, j) - Vector128.LoadUnsafe(ref m, j);
                    Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(d, d, Vector128.LoadUnsafe(ref a0, j)), ref a0, j);
                    Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref a2, j) + d, ref a2, j);
                }
            }
            for (j = 0; j < n; j += 2)
            {
                Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref sumSq, j) + (Vector128.LoadUnsafe(ref a0, j) + Vector128.LoadUnsafe(ref a1, j)), ref sumSq, j);
                Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref sumDev, j) + (Vector128.LoadUnsafe(ref a2, j) + Vector128.LoadUnsafe(ref a3, j)), ref sumDev, j);
            }
        }

        // The statistics; a vector whose variance is not finite goes to HugeColumn one column at a time, in double.
        for (j = 0; j < n; j += 2)
        {
            Vector128<double> sumDevJ = Vector128.LoadUnsafe(ref sumDev, j);
            Vector128<double> variance = Vector128.Max((Vector128.LoadUnsafe(ref sumSq, j) - sumDevJ * sumDevJ / count) / count, Vector128<double>.Zero); // NaN stays NaN
            if (!Vector128.EqualsAll(variance - variance, Vector128<double>.Zero))
            {
                for (nuint l = 0; l < 2; l++)
                    StandardizeHugeColumn(ref Unsafe.Add(ref x, j + l), ref Unsafe.Add(ref y, j + l), rows, width);
                Unsafe.Add(ref huge, j / 2) = 1d;
                continue;
            }
            Unsafe.Add(ref huge, j / 2) = 0d;
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref m, j) + sumDevJ / count, ref m, j);
            Vector128<double> rstd = Vector128.ConditionalSelect(Vector128.Equals(variance, Vector128<double>.Zero), Vector128<double>.Zero, Vector128.Create(1d) / Vector128.Sqrt(variance)); // σ = 0 gives 0, not 0 · ∞
            Vector128.StoreUnsafe(rstd, ref a0, j);
        }

        // Pass 3: normalize row by row; rows are read before they are written, so y may be x.
        for (r = 0; r < rows; r++)
        {
            ref double xr = ref Unsafe.Add(ref x, r * width);
            ref double yr = ref Unsafe.Add(ref y, r * width);
            for (j = 0; j < n; j += 2)
                if (Unsafe.Add(ref huge, j / 2) == 0d)
                    Vector128.StoreUnsafe((Vector128.LoadUnsafe(ref xr, j) - Vector128.LoadUnsafe(ref k, j) - Vector128.LoadUnsafe(ref m, j)) * Vector128.LoadUnsafe(ref a0, j), ref yr, j);
        }
        if (rented is not null)
            System.Buffers.ArrayPool<double>.Shared.Return(rented);
    }

    /// <summary>
    /// One column (rows, stride apart) whose squared deviations overflow double, in double on x·2⁻ᵏ, 2ᵏ ≥ max|x|; a
    /// column holding NaN or ±∞ gives NaN, as on the common path. Rows are read before they are written.
    /// </summary>
    private static void StandardizeHugeColumn(ref double x, ref double y, nuint rows, nuint stride)
    {
        if (!HugeStatistics(ref x, (nint)rows, 1, (nint)stride, out double scale, out double mean, out double variance))
        {
            for (nuint r = 0; r < rows; r++)
                Unsafe.Add(ref y, r * stride) = double.NaN;
            return;
        }
        double rstd = variance == 0d ? 0d : 1d / Math.Sqrt(variance);
        for (nuint r = 0; r < rows; r++)
            Unsafe.Add(ref y, r * stride) = (double)(((double)Unsafe.Add(ref x, r * stride) * scale - mean) * rstd);
    }

    // ================================================================ double: MinMaxScale

    /// <summary>
    /// All columns of a (rows × width) panel, rows stride apart, 8 neighbouring columns per vector, width ≥ 4 × 8 (narrower tables
    /// are faster in column strips): MinMaxScale's per column min and max,
    /// then (x − min) / (max − min), both passes row by row.
    /// </summary>
    public static void MinMaxPanel512(ref double x, ref double y, nuint rows, nuint width, nuint stride)
    {
        // Vector j covers columns j·8 … j·8 + 8 − 1; when 8 does not divide width, one more vector covers the last 8
        // columns (it overlaps the one before it) and stores only its new lanes. Its accumulators get their own slot.
        nuint full = width / 8;
        nuint slots = full + (width % 8 != 0 ? 1u : 0u);
        nuint last = width - 8;
        int n = checked((int)(slots * 8));
        double[]? rented = n <= 256 ? null : System.Buffers.ArrayPool<double>.Shared.Rent(2 * n);
        Span<double> buffer = rented is null ? stackalloc double[512] : rented;
        ref double lo = ref MemoryMarshal.GetReference(buffer);
        ref double hi = ref Unsafe.Add(ref lo, n);

        // Pass 1: min and max. They propagate NaN (IEEE 754-2019 minimum/maximum), so a NaN poisons its own column only.
        for (nuint j = 0; j < slots; j++)
        {
            Vector512<double> v = Vector512.LoadUnsafe(ref x, j < full ? j * 8 : last);
            Vector512.StoreUnsafe(v, ref lo, j * 8);
            Vector512.StoreUnsafe(v, ref hi, j * 8);
        }
        nuint r = 1;
        for (; r + 4 <= rows; r += 4)
        {
            ref double row = ref Unsafe.Add(ref x, r * stride);
            for (nuint j = 0; j < slots; j++)
                MinMax4x512(ref row, stride, j < full ? j * 8 : last, ref lo, ref hi, j * 8);
        }
        for (; r < rows; r++)
        {
            ref double row = ref Unsafe.Add(ref x, r * stride);
            for (nuint j = 0; j < slots; j++)
            {
                Vector512<double> v = Vector512.LoadUnsafe(ref row, j < full ? j * 8 : last);
                Vector512.StoreUnsafe(Vector512.Min(Vector512.LoadUnsafe(ref lo, j * 8), v), ref lo, j * 8);
                Vector512.StoreUnsafe(Vector512.Max(Vector512.LoadUnsafe(ref hi, j * 8), v), ref hi, j * 8);
            }
        }
        for (nuint j = 0; j < slots; j++) // hi becomes the range
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref hi, j * 8) - Vector512.LoadUnsafe(ref lo, j * 8), ref hi, j * 8);

        // Pass 2: (x − min) / range, a constant column (range 0) giving 0 rather than 0 / 0. Rows are read before they
        // are written, and the overlapping last vector keeps the lanes already written, so y may be x.
        Vector512<double> keep = Tail512<double>(width - full * 8);
        for (r = 0; r < rows; r++)
        {
            ref double row = ref Unsafe.Add(ref x, r * stride);
            ref double output = ref Unsafe.Add(ref y, r * stride);
            for (nuint j = 0; j < full; j++)
                Vector512.StoreUnsafe(ScaleRange512(Vector512.LoadUnsafe(ref row, j * 8), Vector512.LoadUnsafe(ref lo, j * 8), Vector512.LoadUnsafe(ref hi, j * 8)), ref output, j * 8);
            if (full < slots)
            {
                Vector512<double> v = ScaleRange512(Vector512.LoadUnsafe(ref row, last), Vector512.LoadUnsafe(ref lo, full * 8), Vector512.LoadUnsafe(ref hi, full * 8));
                Vector512.StoreUnsafe(Vector512.ConditionalSelect(keep, v, Vector512.LoadUnsafe(ref output, last)), ref output, last);
            }
        }
        if (rented is not null)
            System.Buffers.ArrayPool<double>.Shared.Return(rented);
    }

    /// <summary>Four rows (stride apart) of 8 columns at <paramref name="at"/> into the min and max at <paramref name="slot"/>, in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MinMax4x512(ref double row, nuint stride, nuint at, ref double lo, ref double hi, nuint slot)
    {
        Vector512<double> v0 = Vector512.LoadUnsafe(ref row, at), v1 = Vector512.LoadUnsafe(ref row, at + stride);
        Vector512<double> v2 = Vector512.LoadUnsafe(ref row, at + 2 * stride), v3 = Vector512.LoadUnsafe(ref row, at + 3 * stride);
        Vector512.StoreUnsafe(Vector512.Min(Vector512.Min(Vector512.Min(Vector512.Min(Vector512.LoadUnsafe(ref lo, slot), v0), v1), v2), v3), ref lo, slot);
        Vector512.StoreUnsafe(Vector512.Max(Vector512.Max(Vector512.Max(Vector512.Max(Vector512.LoadUnsafe(ref hi, slot), v0), v1), v2), v3), ref hi, slot);
    }

    /// <summary>(x − min) / range, or 0 where the range is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> ScaleRange512(Vector512<double> x, Vector512<double> lo, Vector512<double> range) =>
        Vector512.ConditionalSelect(Vector512.Equals(range, Vector512<double>.Zero), Vector512<double>.Zero, (x - lo) / range);

    /// <summary>
    /// All columns of a (rows × width) panel, rows stride apart, 4 neighbouring columns per vector, width ≥ 4 × 4 (narrower tables
    /// are faster in column strips): MinMaxScale's per column min and max,
    /// then (x − min) / (max − min), both passes row by row.
    /// </summary>
    public static void MinMaxPanel256(ref double x, ref double y, nuint rows, nuint width, nuint stride)
    {
        // Vector j covers columns j·4 … j·4 + 4 − 1; when 4 does not divide width, one more vector covers the last 4
        // columns (it overlaps the one before it) and stores only its new lanes. Its accumulators get their own slot.
        nuint full = width / 4;
        nuint slots = full + (width % 4 != 0 ? 1u : 0u);
        nuint last = width - 4;
        int n = checked((int)(slots * 4));
        double[]? rented = n <= 256 ? null : System.Buffers.ArrayPool<double>.Shared.Rent(2 * n);
        Span<double> buffer = rented is null ? stackalloc double[512] : rented;
        ref double lo = ref MemoryMarshal.GetReference(buffer);
        ref double hi = ref Unsafe.Add(ref lo, n);

        // Pass 1: min and max. They propagate NaN (IEEE 754-2019 minimum/maximum), so a NaN poisons its own column only.
        for (nuint j = 0; j < slots; j++)
        {
            Vector256<double> v = Vector256.LoadUnsafe(ref x, j < full ? j * 4 : last);
            Vector256.StoreUnsafe(v, ref lo, j * 4);
            Vector256.StoreUnsafe(v, ref hi, j * 4);
        }
        nuint r = 1;
        for (; r + 4 <= rows; r += 4)
        {
            ref double row = ref Unsafe.Add(ref x, r * stride);
            for (nuint j = 0; j < slots; j++)
                MinMax4x256(ref row, stride, j < full ? j * 4 : last, ref lo, ref hi, j * 4);
        }
        for (; r < rows; r++)
        {
            ref double row = ref Unsafe.Add(ref x, r * stride);
            for (nuint j = 0; j < slots; j++)
            {
                Vector256<double> v = Vector256.LoadUnsafe(ref row, j < full ? j * 4 : last);
                Vector256.StoreUnsafe(Vector256.Min(Vector256.LoadUnsafe(ref lo, j * 4), v), ref lo, j * 4);
                Vector256.StoreUnsafe(Vector256.Max(Vector256.LoadUnsafe(ref hi, j * 4), v), ref hi, j * 4);
            }
        }
        for (nuint j = 0; j < slots; j++) // hi becomes the range
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref hi, j * 4) - Vector256.LoadUnsafe(ref lo, j * 4), ref hi, j * 4);

        // Pass 2: (x − min) / range, a constant column (range 0) giving 0 rather than 0 / 0. Rows are read before they
        // are written, and the overlapping last vector keeps the lanes already written, so y may be x.
        Vector256<double> keep = Tail256<double>(width - full * 4);
        for (r = 0; r < rows; r++)
        {
            ref double row = ref Unsafe.Add(ref x, r * stride);
            ref double output = ref Unsafe.Add(ref y, r * stride);
            for (nuint j = 0; j < full; j++)
                Vector256.StoreUnsafe(ScaleRange256(Vector256.LoadUnsafe(ref row, j * 4), Vector256.LoadUnsafe(ref lo, j * 4), Vector256.LoadUnsafe(ref hi, j * 4)), ref output, j * 4);
            if (full < slots)
            {
                Vector256<double> v = ScaleRange256(Vector256.LoadUnsafe(ref row, last), Vector256.LoadUnsafe(ref lo, full * 4), Vector256.LoadUnsafe(ref hi, full * 4));
                Vector256.StoreUnsafe(Vector256.ConditionalSelect(keep, v, Vector256.LoadUnsafe(ref output, last)), ref output, last);
            }
        }
        if (rented is not null)
            System.Buffers.ArrayPool<double>.Shared.Return(rented);
    }

    /// <summary>Four rows (stride apart) of 4 columns at <paramref name="at"/> into the min and max at <paramref name="slot"/>, in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MinMax4x256(ref double row, nuint stride, nuint at, ref double lo, ref double hi, nuint slot)
    {
        Vector256<double> v0 = Vector256.LoadUnsafe(ref row, at), v1 = Vector256.LoadUnsafe(ref row, at + stride);
        Vector256<double> v2 = Vector256.LoadUnsafe(ref row, at + 2 * stride), v3 = Vector256.LoadUnsafe(ref row, at + 3 * stride);
        Vector256.StoreUnsafe(Vector256.Min(Vector256.Min(Vector256.Min(Vector256.Min(Vector256.LoadUnsafe(ref lo, slot), v0), v1), v2), v3), ref lo, slot);
        Vector256.StoreUnsafe(Vector256.Max(Vector256.Max(Vector256.Max(Vector256.Max(Vector256.LoadUnsafe(ref hi, slot), v0), v1), v2), v3), ref hi, slot);
    }

    /// <summary>(x − min) / range, or 0 where the range is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> ScaleRange256(Vector256<double> x, Vector256<double> lo, Vector256<double> range) =>
        Vector256.ConditionalSelect(Vector256.Equals(range, Vector256<double>.Zero), Vector256<double>.Zero, (x - lo) / range);

    /// <summary>
    /// All columns of a (rows × width) panel, rows stride apart, 2 neighbouring columns per vector, width ≥ 4 × 2 (narrower tables
    /// are faster in column strips): MinMaxScale's per column min and max,
    /// then (x − min) / (max − min), both passes row by row.
    /// </summary>
    public static void MinMaxPanel128(ref double x, ref double y, nuint rows, nuint width, nuint stride)
    {
        // Vector j covers columns j·2 … j·2 + 2 − 1; when 2 does not divide width, one more vector covers the last 2
        // columns (it overlaps the one before it) and stores only its new lanes. Its accumulators get their own slot.
        nuint full = width / 2;
        nuint slots = full + (width % 2 != 0 ? 1u : 0u);
        nuint last = width - 2;
        int n = checked((int)(slots * 2));
        double[]? rented = n <= 256 ? null : System.Buffers.ArrayPool<double>.Shared.Rent(2 * n);
        Span<double> buffer = rented is null ? stackalloc double[512] : rented;
        ref double lo = ref MemoryMarshal.GetReference(buffer);
        ref double hi = ref Unsafe.Add(ref lo, n);

        // Pass 1: min and max. They propagate NaN (IEEE 754-2019 minimum/maximum), so a NaN poisons its own column only.
        for (nuint j = 0; j < slots; j++)
        {
            Vector128<double> v = Vector128.LoadUnsafe(ref x, j < full ? j * 2 : last);
            Vector128.StoreUnsafe(v, ref lo, j * 2);
            Vector128.StoreUnsafe(v, ref hi, j * 2);
        }
        nuint r = 1;
        for (; r + 4 <= rows; r += 4)
        {
            ref double row = ref Unsafe.Add(ref x, r * stride);
            for (nuint j = 0; j < slots; j++)
                MinMax4x128(ref row, stride, j < full ? j * 2 : last, ref lo, ref hi, j * 2);
        }
        for (; r < rows; r++)
        {
            ref double row = ref Unsafe.Add(ref x, r * stride);
            for (nuint j = 0; j < slots; j++)
            {
                Vector128<double> v = Vector128.LoadUnsafe(ref row, j < full ? j * 2 : last);
                Vector128.StoreUnsafe(Vector128.Min(Vector128.LoadUnsafe(ref lo, j * 2), v), ref lo, j * 2);
                Vector128.StoreUnsafe(Vector128.Max(Vector128.LoadUnsafe(ref hi, j * 2), v), ref hi, j * 2);
            }
        }
        for (nuint j = 0; j < slots; j++) // hi becomes the range
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref hi, j * 2) - Vector128.LoadUnsafe(ref lo, j * 2), ref hi, j * 2);

        // Pass 2: (x − min) / range, a constant column (range 0) giving 0 rather than 0 / 0. Rows are read before they
        // are written, and the overlapping last vector keeps the lanes already written, so y may be x.
        Vector128<double> keep = Tail128<double>(width - full * 2);
        for (r = 0; r < rows; r++)
        {
            ref double row = ref Unsafe.Add(ref x, r * stride);
            ref double output = ref Unsafe.Add(ref y, r * stride);
            for (nuint j = 0; j < full; j++)
                Vector128.StoreUnsafe(ScaleRange128(Vector128.LoadUnsafe(ref row, j * 2), Vector128.LoadUnsafe(ref lo, j * 2), Vector128.LoadUnsafe(ref hi, j * 2)), ref output, j * 2);
            if (full < slots)
            {
                Vector128<double> v = ScaleRange128(Vector128.LoadUnsafe(ref row, last), Vector128.LoadUnsafe(ref lo, full * 2), Vector128.LoadUnsafe(ref hi, full * 2));
                Vector128.StoreUnsafe(Vector128.ConditionalSelect(keep, v, Vector128.LoadUnsafe(ref output, last)), ref output, last);
            }
        }
        if (rented is not null)
            System.Buffers.ArrayPool<double>.Shared.Return(rented);
    }

    /// <summary>Four rows (stride apart) of 2 columns at <paramref name="at"/> into the min and max at <paramref name="slot"/>, in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MinMax4x128(ref double row, nuint stride, nuint at, ref double lo, ref double hi, nuint slot)
    {
        Vector128<double> v0 = Vector128.LoadUnsafe(ref row, at), v1 = Vector128.LoadUnsafe(ref row, at + stride);
        Vector128<double> v2 = Vector128.LoadUnsafe(ref row, at + 2 * stride), v3 = Vector128.LoadUnsafe(ref row, at + 3 * stride);
        Vector128.StoreUnsafe(Vector128.Min(Vector128.Min(Vector128.Min(Vector128.Min(Vector128.LoadUnsafe(ref lo, slot), v0), v1), v2), v3), ref lo, slot);
        Vector128.StoreUnsafe(Vector128.Max(Vector128.Max(Vector128.Max(Vector128.Max(Vector128.LoadUnsafe(ref hi, slot), v0), v1), v2), v3), ref hi, slot);
    }

    /// <summary>(x − min) / range, or 0 where the range is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<double> ScaleRange128(Vector128<double> x, Vector128<double> lo, Vector128<double> range) =>
        Vector128.ConditionalSelect(Vector128.Equals(range, Vector128<double>.Zero), Vector128<double>.Zero, (x - lo) / range);
}
