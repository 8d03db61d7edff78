using System;
using System.Buffers;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

namespace NormGen;

/// <summary>
/// The row backward (LayerNorm, RMSNorm, DeepNorm) with its fusions, for generated backward kernels whose declaration
/// asks for more than the plain <see cref="RowBackward"/>: statistics recomputed in the kernel when the caller did not
/// keep them, the activation epilogue, the pre-norm residual with a residual bias, and DeepNorm's α·x + sublayer.
/// </summary>
/// <remarks>
/// <para>Per row, in this order: the normalized input (x; for DeepNorm h = α·x + sublayer (+ bias), recomputed exactly as
/// the forward formed it); its statistics (the saved ones, or recomputed by <see cref="RowStatistics"/>, the forward's
/// own algorithm: one extra read of a row that is in cache anyway); with an activation, z = x̂·γ + β and
/// dz = dy·act′(z) (z is never stored); then <see cref="RowBackward"/>'s row (dx = rstd·(g − mean(g) − x̂·mean(g·x̂))
/// with g = dz·γ, and the block's dγ/dβ partials); then dh = dx + dResidualOut (pre-norm residual), dbias += dh, and
/// for DeepNorm dsublayer = dh, dx = α·dh.</para>
/// <para>Determinism: the same fixed blocks of <see cref="RowBackward.BlockRows"/> rows and the same fixed pairwise combine
/// of the per-block partials (dγ, dβ and dbias) as <see cref="RowBackward"/>, so the results are bitwise the same for any
/// <see cref="NormGenSettings.MaxDegreeOfParallelism"/>. Half is widened to float per row; every sum is float (double for
/// double) and each Half output is rounded once.</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class FusedRowBackward
{
    /// <summary>Fused backward of float rows. Arguments are already checked by the generated wrapper; empty spans mean "absent".</summary>
    /// <param name="dy">The gradient of the output, rows × rowLength.</param>
    /// <param name="x">The forward's input (pre-norm residual: its residual output h).</param>
    /// <param name="dx">Receives the input gradient (pre-norm residual: dh); may be <paramref name="dy"/> or <paramref name="x"/>.</param>
    /// <param name="rowLength">Elements per row.</param>
    /// <param name="flags">LayerNorm or RMSNorm, zero-centred γ.</param>
    /// <param name="mean">The saved mean per row (empty: recomputed, or RMSNorm).</param>
    /// <param name="rstd">The saved 1/√(σ² + ε) per row; empty: both statistics are recomputed from the row.</param>
    /// <param name="epsilon">The forward's ε, used when the statistics are recomputed.</param>
    /// <param name="gamma">γ (empty without affine).</param>
    /// <param name="beta">β, needed with an activation to recompute the pre-activation (empty: none).</param>
    /// <param name="activation">The forward's activation epilogue.</param>
    /// <param name="dResidualOut">Pre-norm residual: the gradient of the residual stream, added to dx.</param>
    /// <param name="sublayer">DeepNorm: the sublayer output G(x) (non-empty selects DeepNorm's h = α·x + sublayer).</param>
    /// <param name="bias">DeepNorm with a residual bias: the bias added to h.</param>
    /// <param name="alpha">DeepNorm's α.</param>
    /// <param name="dsublayer">DeepNorm: receives dh, the sublayer's gradient.</param>
    /// <param name="dgamma">Receives Σ dz·x̂ over rows (empty when not wanted).</param>
    /// <param name="dbeta">Receives Σ dz over rows (empty when not wanted).</param>
    /// <param name="dbias">Receives Σ dh over rows, the residual bias's gradient (empty when not wanted).</param>
    public static void Run(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx, int rowLength, RowBackwardFlags flags,
        ReadOnlySpan<float> mean = default, ReadOnlySpan<float> rstd = default, float epsilon = 0f,
        ReadOnlySpan<float> gamma = default, ReadOnlySpan<float> beta = default, Activation activation = Activation.None,
        ReadOnlySpan<float> dResidualOut = default, ReadOnlySpan<float> sublayer = default, ReadOnlySpan<float> bias = default, float alpha = 1f,
        Span<float> dsublayer = default, Span<float> dgamma = default, Span<float> dbeta = default, Span<float> dbias = default)
        => Core(dy, x, dx, rowLength, flags, mean, rstd, epsilon, gamma, beta, activation, dResidualOut, sublayer, bias, alpha, dsublayer, dgamma, dbeta, dbias);

    /// <summary>Fused backward of double rows; see the float overload.</summary>
    public static void Run(ReadOnlySpan<double> dy, ReadOnlySpan<double> x, Span<double> dx, int rowLength, RowBackwardFlags flags,
        ReadOnlySpan<double> mean = default, ReadOnlySpan<double> rstd = default, double epsilon = 0d,
        ReadOnlySpan<double> gamma = default, ReadOnlySpan<double> beta = default, Activation activation = Activation.None,
        ReadOnlySpan<double> dResidualOut = default, ReadOnlySpan<double> sublayer = default, ReadOnlySpan<double> bias = default, double alpha = 1d,
        Span<double> dsublayer = default, Span<double> dgamma = default, Span<double> dbeta = default, Span<double> dbias = default)
        => Core(dy, x, dx, rowLength, flags, mean, rstd, epsilon, gamma, beta, activation, dResidualOut, sublayer, bias, alpha, dsublayer, dgamma, dbeta, dbias);

    /// <summary>Fused backward of Half rows: float math, float statistics and float dγ/dβ/dbias; each Half output rounded once.</summary>
    public static void Run(ReadOnlySpan<Half> dy, ReadOnlySpan<Half> x, Span<Half> dx, int rowLength, RowBackwardFlags flags,
        ReadOnlySpan<float> mean = default, ReadOnlySpan<float> rstd = default, float epsilon = 0f,
        ReadOnlySpan<Half> gamma = default, ReadOnlySpan<Half> beta = default, Activation activation = Activation.None,
        ReadOnlySpan<Half> dResidualOut = default, ReadOnlySpan<Half> sublayer = default, ReadOnlySpan<Half> bias = default, float alpha = 1f,
        Span<Half> dsublayer = default, Span<float> dgamma = default, Span<float> dbeta = default, Span<float> dbias = default)
    {
        float[] wide = ArrayPool<float>.Shared.Rent(3 * rowLength);
        try
        {
            Span<float> g = Widen(gamma, wide.AsSpan(0, rowLength)), b = Widen(beta, wide.AsSpan(rowLength, rowLength)), c = Widen(bias, wide.AsSpan(2 * rowLength, rowLength));
            Core<Half, float>(dy, x, dx, rowLength, flags, mean, rstd, epsilon, g, b, activation, dResidualOut, sublayer, c, alpha, dsublayer, dgamma, dbeta, dbias);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(wide);
        }
    }

    private static Span<float> Widen(ReadOnlySpan<Half> source, Span<float> into)
    {
        if (source.IsEmpty) return default;
        HalfWidening.ToSingle(source, into);
        return into;
    }

    private static unsafe void Core<TIn, T>(ReadOnlySpan<TIn> dy, ReadOnlySpan<TIn> x, Span<TIn> dx, int rowLength, RowBackwardFlags flags,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, T epsilon, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Activation activation,
        ReadOnlySpan<TIn> dResidualOut, ReadOnlySpan<TIn> sublayer, ReadOnlySpan<T> bias, T alpha,
        Span<TIn> dsublayer, Span<T> dgamma, Span<T> dbeta, Span<T> dbias)
        where TIn : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = x.Length / rowLength;
        if (rows == 0)
        {
            dgamma.Clear();
            dbeta.Clear();
            dbias.Clear();
            return;
        }
        int blocks = RowBackward.BlockCount(rows);
        bool accumulate = !dgamma.IsEmpty || !dbeta.IsEmpty, anyPartial = accumulate || !dbias.IsEmpty;
        // Per block: the dγ partial row, the dβ partial row, the dbias partial row.
        int partialLength = anyPartial ? checked(blocks * 3 * rowLength) : 0;
        T[]? partials = anyPartial ? ArrayPool<T>.Shared.Rent(partialLength) : null;
        T[] gammaEffective = ArrayPool<T>.Shared.Rent(rowLength);
        try
        {
            Span<T> ge = gammaEffective.AsSpan(0, rowLength);
            RowBackward.EffectiveGamma(gamma, ge, flags);
            Span<T> partialSpan = partials.AsSpan(0, partialLength);
            fixed (TIn* pDy = dy, pX = x, pDx = dx, pDro = dResidualOut, pSub = sublayer, pDsub = dsublayer)
            fixed (T* pMean = mean, pRstd = rstd, pGamma = ge, pBeta = beta, pBias = bias, pPartials = partialSpan)
            {
                var job = new Job<TIn, T>
                {
                    Dy = (nint)pDy, X = (nint)pX, Dx = (nint)pDx, DResidualOut = dResidualOut.IsEmpty ? 0 : (nint)pDro,
                    Sublayer = sublayer.IsEmpty ? 0 : (nint)pSub, Dsublayer = (nint)pDsub,
                    Mean = mean.IsEmpty ? 0 : (nint)pMean, Rstd = rstd.IsEmpty ? 0 : (nint)pRstd, Gamma = (nint)pGamma,
                    Beta = beta.IsEmpty ? 0 : (nint)pBeta, Bias = bias.IsEmpty ? 0 : (nint)pBias, Partials = (nint)pPartials,
                    Rows = rows, RowLength = rowLength, Epsilon = epsilon, Alpha = alpha, Activation = activation,
                    Centered = (flags & RowBackwardFlags.Centered) != 0, Accumulate = accumulate, AccumulateBias = !dbias.IsEmpty, AnyPartial = anyPartial,
                };
                int threads = RowScheduler.DegreeOfParallelism(blocks, RowBackward.BlockRows * rowLength);
                if (threads == 1)
                    job.Blocks(0, blocks);
                else
                    Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                    {
                        // Contiguous ranges of whole blocks: a block's partials never depend on which thread ran it.
                        int first = (int)((long)blocks * t / threads), last = (int)((long)blocks * (t + 1) / threads);
                        job.Blocks(first, last - first);
                    });
            }
            if (anyPartial)
            {
                RowBackward.CombinePairwise(partialSpan, blocks, 3 * rowLength);
                if (!dgamma.IsEmpty) partialSpan.Slice(0, rowLength).CopyTo(dgamma);
                if (!dbeta.IsEmpty) partialSpan.Slice(rowLength, rowLength).CopyTo(dbeta);
                if (!dbias.IsEmpty) partialSpan.Slice(2 * rowLength, rowLength).CopyTo(dbias);
            }
        }
        finally
        {
            if (partials is not null) ArrayPool<T>.Shared.Return(partials);
            ArrayPool<T>.Shared.Return(gammaEffective);
        }
    }

    /// <summary>One call's pinned buffers (0 = absent) and settings, shared by the pool threads.</summary>
    private sealed unsafe class Job<TIn, T>
        where TIn : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public nint Dy, X, Dx, DResidualOut, Sublayer, Dsublayer, Mean, Rstd, Gamma, Beta, Bias, Partials;
        public int Rows, RowLength;
        public T Epsilon, Alpha;
        public Activation Activation;
        public bool Centered, Accumulate, AccumulateBias, AnyPartial;

        private static bool Same => typeof(TIn) == typeof(T);

        private Span<TIn> RowOf(nint p, int row) => new((TIn*)p + (long)row * RowLength, RowLength);

        private ReadOnlySpan<T> Columns(nint p) => p == 0 ? default : new ReadOnlySpan<T>((T*)p, RowLength);

        /// <summary>A row in the compute type: the row itself when TIn is T, else widened into scratch.</summary>
        private static ReadOnlySpan<T> Wide(Span<TIn> row, Span<T> scratch)
        {
            if (Same) return MemoryMarshal.Cast<TIn, T>(row);
            HalfWidening.ToSingle(MemoryMarshal.Cast<TIn, Half>(row), MemoryMarshal.Cast<T, float>(scratch));
            return scratch;
        }

        private static void Narrow(ReadOnlySpan<T> values, Span<TIn> into)
        {
            if (Same) values.CopyTo(MemoryMarshal.Cast<TIn, T>(into));
            else HalfNarrowing.ToHalf(MemoryMarshal.Cast<T, float>(values), MemoryMarshal.Cast<TIn, Half>(into));
        }

        public void Blocks(int firstBlock, int blockCount)
        {
            int n = RowLength;
            T[] scratch = ArrayPool<T>.Shared.Rent(4 * n);
            try
            {
                Span<T> hRow = scratch.AsSpan(0, n), dzRow = scratch.AsSpan(n, n), dhRow = scratch.AsSpan(2 * n, n), tmp = scratch.AsSpan(3 * n, n);
                ReadOnlySpan<T> gamma = Columns(Gamma), beta = Columns(Beta), bias = Columns(Bias);
                bool deepNorm = Sublayer != 0;
                for (int block = firstBlock; block < firstBlock + blockCount; block++)
                {
                    int first = block * RowBackward.BlockRows, last = Math.Min(Rows, first + RowBackward.BlockRows);
                    Span<T> partial = AnyPartial ? new Span<T>((T*)Partials + (long)block * 3 * n, 3 * n) : default;
                    partial.Clear();
                    Span<T> pg = Accumulate ? partial.Slice(0, n) : default, pb = Accumulate ? partial.Slice(n, n) : default;
                    Span<T> pbias = AccumulateBias ? partial.Slice(2 * n, n) : default;
                    for (int row = first; row < last; row++)
                    {
                        // 1. The normalized row: x, or DeepNorm's h = α·x + sublayer (+ bias) in the forward's order of operations.
                        ReadOnlySpan<T> src;
                        if (deepNorm)
                        {
                            TensorPrimitives.Multiply(Wide(RowOf(X, row), hRow), Alpha, hRow);
                            TensorPrimitives.Add(hRow, Wide(RowOf(Sublayer, row), tmp), hRow);
                            if (!bias.IsEmpty) TensorPrimitives.Add(hRow, bias, hRow);
                            src = hRow;
                        }
                        else
                        {
                            src = Wide(RowOf(X, row), hRow);
                        }

                        // 2. Statistics: saved, or recomputed by the forward's own algorithm.
                        T mu, rs;
                        if (Rstd == 0)
                        {
                            RowStatistics.Compute(src, Epsilon, Centered, out mu, out rs);
                        }
                        else
                        {
                            mu = Centered ? ((T*)Mean)[row] : T.Zero;
                            rs = ((T*)Rstd)[row];
                        }

                        // 3. The activation epilogue: dz = dy·act′(z) with z = x̂·γ + β recomputed (never stored).
                        ReadOnlySpan<T> d = Wide(RowOf(Dy, row), dzRow);
                        if (Activation != Activation.None)
                        {
                            global::NormGen.ActivationGradient.Apply(Activation, d, src, mu, rs, gamma, beta, dzRow);
                            d = dzRow;
                        }

                        // 4. The norm's backward; dh lands in dx itself when nothing follows that needs a separate row.
                        Span<TIn> dxRow = RowOf(Dx, row);
                        Span<T> dh = Same && !deepNorm ? MemoryMarshal.Cast<TIn, T>(dxRow) : dhRow;
                        RowBackward.Row(d, src, mu, rs, gamma, dh, pg, pb, Centered, Accumulate);

                        // 5. Residual stream, residual bias, DeepNorm's two inputs.
                        if (DResidualOut != 0) TensorPrimitives.Add(dh, Wide(RowOf(DResidualOut, row), tmp), dh);
                        if (AccumulateBias) TensorPrimitives.Add(pbias, dh, pbias);
                        if (deepNorm)
                        {
                            Narrow(dh, RowOf(Dsublayer, row));
                            TensorPrimitives.Multiply(dh, Alpha, dh);
                        }
                        if (!Same || deepNorm) Narrow(dh, dxRow);
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(scratch);
            }
        }
    }

    private const double InvSqrt2 = 0.70710678118654752440, InvSqrt2Pi = 0.39894228040143267794, SqrtTwoOverPi = 0.79788456080286535588, GeluTanhCubic = 0.044715;

    /// <summary>
    /// act′(z) for the activations of <see cref="Activations"/>, in double (a scalar form; the kernel uses the vector
    /// <see cref="ActivationGradient"/>, the same derivatives written without cancellation): ReLU 1 for z &gt; 0 else 0; GELU Φ(z) + z·φ(z)
    /// with Φ from the same erf approximation as the forward; GELU-tanh the derivative of its tanh form; SiLU
    /// σ(z)·(1 + z·(1 − σ(z))); tanh 1 − tanh²(z); sigmoid σ(z)·(1 − σ(z)). NaN stays NaN.
    /// </summary>
    public static double ActivationDerivative(Activation activation, double z)
    {
        switch (activation)
        {
            case Activation.Relu:
                return z > 0 ? 1d : double.IsNaN(z) ? z : 0d;
            case Activation.Gelu:
                return 0.5 * (1 + Activations.Erf(z * InvSqrt2)) + z * Math.Exp(-0.5 * z * z) * InvSqrt2Pi;
            case Activation.GeluTanh:
            {
                double t = Math.Tanh(SqrtTwoOverPi * (z + GeluTanhCubic * z * z * z));
                return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * SqrtTwoOverPi * (1 + 3 * GeluTanhCubic * z * z);
            }
            case Activation.Silu:
            {
                double s = Activations.Sigmoid(z);
                return s * (1 + z * (1 - s));
            }
            case Activation.Tanh:
            {
                double t = Math.Tanh(z);
                return 1 - t * t;
            }
            case Activation.Sigmoid:
            {
                double s = Activations.Sigmoid(z);
                return s * (1 - s);
            }
            default:
                return 1d;
        }
    }
}
