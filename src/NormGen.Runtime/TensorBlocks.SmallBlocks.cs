using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NormGen;

public static partial class TensorBlocks
{
    /// <summary>
    /// Whether <see cref="SmallBlocks{T}"/> takes blocks of <paramref name="n"/> elements: 512-bit vectors accelerated
    /// and one to four of them per block (float 16 ≤ n &lt; 64, double 8 ≤ n &lt; 32), or float blocks of four vectors
    /// up to <see cref="MaxBatchedBlockBytes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool FitsSmallBlocks<T>(nuint n) where T : unmanaged =>
        Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<T>.Count
        && (n < 4 * (nuint)Vector512<T>.Count
            // float only: double blocks of four vectors and more read 1.3–1.7× slower this way (InstanceNorm 32×256×14×14, loud)
            || (typeof(T) == typeof(float) && Avx512F.IsSupported && n * (nuint)Unsafe.SizeOf<T>() <= MaxBatchedBlockBytes));

    /// <summary>
    /// The longest block <see cref="SmallBlocks{T}"/> takes four at a time from memory: four such blocks stay in L1 between
    /// the passes. 2 KiB: with 4 KiB, InstanceNorm float 8×64×28×28 (blocks of 3,136 bytes) read 1.06–1.10× eba5bfa's
    /// per-block loop, one at a time 0.98–1.01 (Intel Xeon, Ice Lake; Apply inlined in both), while blocks of 784 bytes
    /// (32×256×14×14) gain four at a time (0.84–0.92).
    /// </summary>
    private const int MaxBatchedBlockBytes = 2048;

    /// <summary>
    /// Normalizes the blocks <paramref name="block"/> … <paramref name="end"/> − 1 of <paramref name="n"/> contiguous
    /// elements each (block b at x + b·n; its channel c = b mod <paramref name="channels"/>): each block is loaded once
    /// into registers, its shifted two-pass statistics (<c>Moments</c>: the same vectors, accumulators and order),
    /// variance, rstd and y = ((x − shift) − offset)·a + b (<c>Apply</c>'s lanes) come from those registers, then it is
    /// stored. a = rstd·γ[c] (rstd without γ), b = β[c] (0 without β); optional outputs: the saved mean and rstd per
    /// block, and the running statistics per channel (BatchNorm, r ← (1 − m)·r + m·stat, the unbiased variance). Every
    /// value is bitwise that of Moments, the generated end of a block and Apply. Returns the first block not done: a
    /// block whose variance is not finite (huge values, NaN, ±∞) is left, unwritten, to the caller's general path;
    /// <paramref name="block"/> itself when the blocks do not fit (<see cref="FitsSmallBlocks{T}"/>). Blocks of four
    /// vectors up to <see cref="MaxBatchedBlockBytes"/> go four at a time too, from memory (<see cref="LargerBlocks{T}"/>).
    /// </summary>
    /// <remarks>
    /// A 49-element block costs a few dozen vector operations; the calls, reloads, stack buffer and index divisions
    /// around them used to cost more. Consecutive blocks are independent, so the processor overlaps one block's
    /// latency chain (horizontal sums, divisions, square root) with the next block's loads.
    /// </remarks>
    public static int SmallBlocks<T>(ref T x, ref T y, nuint n, int block, int end, int channels, T epsilon,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> saveMean, Span<T> saveRstd,
        Span<T> runningMean, Span<T> runningVar, T momentum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!FitsSmallBlocks<T>(n) || block >= end) return block;
        var outputs = new SmallBlockOutputs<T>(T.CreateTruncating(n), gamma, beta, saveMean, saveRstd, runningMean, runningVar, momentum);
        int c = block % channels;
        if (n >= 4 * (nuint)Vector512<T>.Count)
            return LargerBlocks(ref x, ref y, n, block, end, channels, epsilon, in outputs, c);
        if (Avx512F.IsSupported)
        {
            // Four blocks at a time, in an instance per shape (whole vectors, rest): see FourBlocks.
            nuint whole = n / (nuint)Vector512<T>.Count;
            bool rest = n % (nuint)Vector512<T>.Count != 0, stopped;
            block = whole switch
            {
                1 => rest ? FourBlocks<T, Whole1Rest>(ref x, ref y, n, block, end, channels, epsilon, in outputs, ref c, out stopped)
                    : FourBlocks<T, Whole1>(ref x, ref y, n, block, end, channels, epsilon, in outputs, ref c, out stopped),
                2 => rest ? FourBlocks<T, Whole2Rest>(ref x, ref y, n, block, end, channels, epsilon, in outputs, ref c, out stopped)
                    : FourBlocks<T, Whole2>(ref x, ref y, n, block, end, channels, epsilon, in outputs, ref c, out stopped),
                _ => rest ? FourBlocks<T, Whole3Rest>(ref x, ref y, n, block, end, channels, epsilon, in outputs, ref c, out stopped)
                    : FourBlocks<T, Whole3>(ref x, ref y, n, block, end, channels, epsilon, in outputs, ref c, out stopped),
            };
            if (stopped) return block;
        }
        for (; block < end; block++)
        {
            ref T xb = ref Unsafe.Add(ref x, (nint)block * (nint)n);
            var data = new SmallBlock512<T, AnyShape>(ref xb, n);
            T shift = xb, count = outputs.Count;
            data.Moments(shift, count, out T offset, out T sumDev, out T sumSq);
            T variance = T.Max((sumSq - sumDev * sumDev / count) / count, T.Zero);
            offset += sumDev / count;
            T rstd = T.One / T.Sqrt(variance + epsilon);
            if (!outputs.Finish(in data, ref Unsafe.Add(ref y, (nint)block * (nint)n), block, ref c, channels, shift, offset, variance, rstd, outputs.Unbiased(variance)))
                return block;
        }
        return end;
    }

    /// <summary>
    /// <see cref="SmallBlocks{T}"/>' four blocks at a time (blocks of one to three whole 512-bit vectors and perhaps a rest,
    /// <typeparamref name="TShape"/>): their horizontal sums in one shuffle tree (Sum4) and their scalar ends (divisions,
    /// square root) as lanes of one vector, instead of four serial latency chains. Returns the first block not done,
    /// with <paramref name="stopped"/> set where that block's variance is not finite (left, unwritten, to the caller's
    /// general path); else fewer than four blocks are left.
    /// </summary>
    /// <remarks>
    /// An instance per shape makes SmallBlock512's "is there a second, a third vector, a rest" JIT-time constants: the
    /// loop is straight-line code, and its sixteen block vectors, sums and lanes fit the 32 registers. With the shape
    /// known only at run time the JIT spilled vectors to the stack around those branches, and the loop's time then
    /// depended on where the stack lay in a 4 KiB page (the reloads alias x's loads and y's stores in the low 12 bits):
    /// InstanceNorm (1, 512, 7, 7) in one process with the stack moved 0–4 KiB read 8.9–11.4 µs, with the shape known
    /// 8.2–8.3 at every place; BatchNorm training 10.6–13.0 µs, then 10.0–10.5 (8.3–8.4 with the local copies below and
    /// EndFour).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)] // one call per SmallBlocks call; six instances inlined there would share its registers
    private static int FourBlocks<T, TShape>(ref T x, ref T y, nuint n, int block, int end, int channels, T epsilon, in SmallBlockOutputs<T> outputs,
        ref int c, out bool stopped)
        where T : unmanaged, IFloatingPointIeee754<T> where TShape : struct, IBlockShape
    {
        stopped = false;
        // Local copies of the outputs and the channel: the caller's, reached through references, were address-exposed,
        // so the JIT reloaded the output spans after every store (BatchNorm training (1, 512, 7, 7) 10.0-10.5 µs with
        // them, 9.0-9.1 with the copies, in one process with the stack at 16 places).
        SmallBlockOutputs<T> o = outputs;
        int ch = c;
        Vector256<T> count = Vector256.Create(o.Count), eps = Vector256.Create(epsilon);
        Vector512<T> keep = SmallBlock512<T, TShape>.Keep(n);
        for (; block + 4 <= end; block += 4)
        {
            ref T x0 = ref Unsafe.Add(ref x, (nint)block * (nint)n);
            ref T x1 = ref Unsafe.Add(ref x0, (nint)n);
            ref T x2 = ref Unsafe.Add(ref x1, (nint)n);
            ref T x3 = ref Unsafe.Add(ref x2, (nint)n);
            SmallBlock512<T, TShape> b0 = new(ref x0, n), b1 = new(ref x1, n), b2 = new(ref x2, n), b3 = new(ref x3, n);
            T k0 = x0, k1 = x1, k2 = x2, k3 = x3;
            Vector256<T> offset = Sum4(b0.ShiftedSum(k0, keep), b1.ShiftedSum(k1, keep), b2.ShiftedSum(k2, keep), b3.ShiftedSum(k3, keep)) / count;
            b0.Deviations(k0, offset.GetElement(0), keep, out Vector512<T> d0, out Vector512<T> q0);
            b1.Deviations(k1, offset.GetElement(1), keep, out Vector512<T> d1, out Vector512<T> q1);
            b2.Deviations(k2, offset.GetElement(2), keep, out Vector512<T> d2, out Vector512<T> q2);
            b3.Deviations(k3, offset.GetElement(3), keep, out Vector512<T> d3, out Vector512<T> q3);
            Vector256<T> sumDev = Sum4(d0, d1, d2, d3), sumSq = Sum4(q0, q1, q2, q3);
            Vector256<T> variance = Vector256.Max((sumSq - sumDev * sumDev / count) / count, Vector256<T>.Zero);
            offset += sumDev / count;
            Vector256<T> rstd = Vector256<T>.One / Vector256.Sqrt(variance + eps);
            Vector256<T> unbiased = o.Running ? variance * count / (count - Vector256<T>.One) : variance;
            ref T y0 = ref Unsafe.Add(ref y, (nint)block * (nint)n);
            if ((Vector256.Equals(variance - variance, Vector256<T>.Zero).ExtractMostSignificantBits() & 0xF) == 0xF && o.CanEndFour(block, ch, channels))
            {
                // All four variances finite, four channels without a wrap: their ends as lanes (EndFour), then each
                // block's y from its registers.
                Vector256<T> shifts = Vector256<T>.Zero.WithElement(0, k0).WithElement(1, k1).WithElement(2, k2).WithElement(3, k3);
                o.EndFour(block, ch, shifts, offset, unbiased, rstd, out Vector256<T> a, out Vector256<T> b);
                b0.Apply(ref y0, k0, offset.GetElement(0), a.GetElement(0), b.GetElement(0));
                b1.Apply(ref Unsafe.Add(ref y0, (nint)n), k1, offset.GetElement(1), a.GetElement(1), b.GetElement(1));
                b2.Apply(ref Unsafe.Add(ref y0, 2 * (nint)n), k2, offset.GetElement(2), a.GetElement(2), b.GetElement(2));
                b3.Apply(ref Unsafe.Add(ref y0, 3 * (nint)n), k3, offset.GetElement(3), a.GetElement(3), b.GetElement(3));
                if ((ch += 4) == channels) ch = 0;
                continue;
            }
            if (!o.Finish(in b0, ref y0, block, ref ch, channels, k0, offset.GetElement(0), variance.GetElement(0), rstd.GetElement(0), unbiased.GetElement(0)))
            {
                stopped = true;
                c = ch;
                return block;
            }
            if (!o.Finish(in b1, ref Unsafe.Add(ref y0, (nint)n), block + 1, ref ch, channels, k1, offset.GetElement(1), variance.GetElement(1), rstd.GetElement(1), unbiased.GetElement(1)))
            {
                stopped = true;
                c = ch;
                return block + 1;
            }
            if (!o.Finish(in b2, ref Unsafe.Add(ref y0, 2 * (nint)n), block + 2, ref ch, channels, k2, offset.GetElement(2), variance.GetElement(2), rstd.GetElement(2), unbiased.GetElement(2)))
            {
                stopped = true;
                c = ch;
                return block + 2;
            }
            if (!o.Finish(in b3, ref Unsafe.Add(ref y0, 3 * (nint)n), block + 3, ref ch, channels, k3, offset.GetElement(3), variance.GetElement(3), rstd.GetElement(3), unbiased.GetElement(3)))
            {
                stopped = true;
                c = ch;
                return block + 3;
            }
        }
        c = ch;
        return block;
    }

    /// <summary>
    /// SmallBlocks for blocks of four vectors or more: BlockEngine.BlockStatistics four blocks at a time (each block's
    /// shift the mean of its first vector, the four in one Sum4; Σ(x − shift) and Σ(x − shift)² by DeviationLanes512, the
    /// four blocks' sums in one Sum4; the bound of OnePassHolds as lanes; a second pass around the mean only for a block
    /// the first does not settle), their scalar ends as vector lanes, then Apply per block. The block is reread from L1
    /// by each pass, as by the general path; the bits are its bits. InstanceNorm float (32, 256, 14, 14), blocks of 196:
    /// the shifts and the bound as lanes 0.87 of the time of one block's at a time (TensorAB, one process, same bits),
    /// which itself read 0.95 of the two-pass code's.
    /// </summary>
    private static int LargerBlocks<T>(ref T x, ref T y, nuint n, int block, int end, int channels, T epsilon, in SmallBlockOutputs<T> outputs, int c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> count = Vector256.Create(outputs.Count), eps = Vector256.Create(epsilon);
        nuint prefix = BlockEngine.ShiftElements<T>(n);
        Vector256<T> prefixCount = Vector256.Create(T.CreateTruncating(prefix));
        for (; block + 4 <= end; block += 4)
        {
            ref T x0 = ref Unsafe.Add(ref x, (nint)block * (nint)n);
            ref T x1 = ref Unsafe.Add(ref x0, (nint)n);
            ref T x2 = ref Unsafe.Add(ref x1, (nint)n);
            ref T x3 = ref Unsafe.Add(ref x2, (nint)n);
            // The four shifts (BlockEngine.MeanShift of each block's first vector) as lanes: one Sum4 for the four
            // horizontal sums, one division, the first element where the mean is not finite.
            Vector256<T> first = Vector256<T>.Zero.WithElement(0, x0).WithElement(1, x1).WithElement(2, x2).WithElement(3, x3);
            Vector256<T> shift = first + Sum4(Vector512.LoadUnsafe(ref x0) - Vector512.Create(x0), Vector512.LoadUnsafe(ref x1) - Vector512.Create(x1),
                Vector512.LoadUnsafe(ref x2) - Vector512.Create(x2), Vector512.LoadUnsafe(ref x3) - Vector512.Create(x3)) / prefixCount;
            shift = Vector256.ConditionalSelect(Vector256.Equals(shift - shift, Vector256<T>.Zero), shift, first);
            DeviationLanes512(ref x0, n, shift.GetElement(0), T.Zero, out Vector512<T> d0, out Vector512<T> q0);
            DeviationLanes512(ref x1, n, shift.GetElement(1), T.Zero, out Vector512<T> d1, out Vector512<T> q1);
            DeviationLanes512(ref x2, n, shift.GetElement(2), T.Zero, out Vector512<T> d2, out Vector512<T> q2);
            DeviationLanes512(ref x3, n, shift.GetElement(3), T.Zero, out Vector512<T> d3, out Vector512<T> q3);
            Vector256<T> sumDev = Sum4(d0, d1, d2, d3), sumSq = Sum4(q0, q1, q2, q3), offset = Vector256<T>.Zero;
            uint unsettled = ~BlockEngine.OnePassHolds(sumDev, sumSq, count) & 0xF;
            while (unsettled != 0)
            {
                // The second pass of BlockStatistics, around the mean, for a block the first did not settle.
                int j = BitOperations.TrailingZeroCount(unsettled);
                unsettled &= unsettled - 1;
                T o = sumDev.GetElement(j) / outputs.Count;
                DeviationLanes512(ref Unsafe.Add(ref x0, j * (nint)n), n, shift.GetElement(j), o, out Vector512<T> dev, out Vector512<T> sq);
                offset = offset.WithElement(j, o);
                sumDev = sumDev.WithElement(j, Vector512.Sum(dev));
                sumSq = sumSq.WithElement(j, Vector512.Sum(sq));
            }
            Vector256<T> variance = Vector256.Max((sumSq - sumDev * sumDev / count) / count, Vector256<T>.Zero);
            offset += sumDev / count;
            Vector256<T> rstd = Vector256<T>.One / Vector256.Sqrt(variance + eps);
            Vector256<T> unbiased = outputs.Running ? variance * count / (count - Vector256<T>.One) : variance;
            for (int j = 0; j < 4; j++)
            {
                nint at = (nint)(block + j) * (nint)n;
                if (!outputs.FinishInMemory(ref Unsafe.Add(ref x, at), ref Unsafe.Add(ref y, at), n, block + j, ref c, channels, shift.GetElement(j),
                    offset.GetElement(j), variance.GetElement(j), rstd.GetElement(j), unbiased.GetElement(j)))
                    return block + j;
            }
        }
        for (; block < end; block++)
        {
            nint at = (nint)block * (nint)n;
            ref T xb = ref Unsafe.Add(ref x, at);
            T cnt = outputs.Count;
            BlockEngine.BlockStatistics(ref xb, n, cnt, out T shift, out T offset, out T sumDev, out T sumSq);
            T variance = T.Max((sumSq - sumDev * sumDev / cnt) / cnt, T.Zero);
            offset += sumDev / cnt;
            T rstd = T.One / T.Sqrt(variance + epsilon);
            if (!outputs.FinishInMemory(ref xb, ref Unsafe.Add(ref y, at), n, block, ref c, channels, shift, offset, variance, rstd, outputs.Unbiased(variance)))
                return block;
        }
        return end;
    }

    /// <summary>SumDeviations (512-bit) before its horizontal sums (n ≥ one vector): the same accumulators, loads and order.</summary>
    /// <remarks>
    /// Inlined at every call site: left to the JIT, dynamic PGO inlined such lane helpers only where the first shape to
    /// reach Tier 1 ran (BatchNorm training double 8×64×28×28), and 3×16×7×7 of the same declaration then called them
    /// once per block from the remainder loop, returning the vectors through memory: 1.07–1.23× eba5bfa's kernel after
    /// that cell (TensorAB), 0.97–1.00 inlined; without PGO (DOTNET_TieredPGO=0) 1.18–1.59× alone, 1.04 inlined.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void DeviationLanes512<T>(ref T x, nuint n, T shift, T offset, out Vector512<T> sumDev, out Vector512<T> sumSq)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        DeviationLanes512<T, NoCopy>(ref x, ref x, n, shift, offset, out sumDev, out sumSq);

    /// <summary>
    /// <see cref="DeviationLanes512{T}"/>, with <see cref="CopyBlocks"/> also storing each vector it loads to
    /// <paramref name="copy"/> at the same index (the overlapping last one too); with <see cref="NoCopy"/> copy is not used.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void DeviationLanes512<T, TCopy>(ref T x, ref T copy, nuint n, T shift, T offset, out Vector512<T> sumDev, out Vector512<T> sumSq)
        where T : unmanaged, IFloatingPointIeee754<T> where TCopy : struct, IBlockCopy
    {
        nuint L = (nuint)Vector512<T>.Count;
        Vector512<T> k = Vector512.Create(shift), m = Vector512.Create(offset);
        Vector512<T> q0 = Vector512<T>.Zero, q1 = q0, q2 = q0, q3 = q0, c0 = q0, c1 = q0;
        nuint i = 0;
        if (offset == T.Zero)
        {
            // The one-pass statistics (offset 0): the same loop without subtracting 0, the same sums (as in
            // TensorBlocks.SumDeviations).
            for (; i + 4 * L <= n; i += 4 * L)
            {
                Vector512<T> d0 = LoadCopied<T, TCopy>(ref x, ref copy, i) - k;
                Vector512<T> d1 = LoadCopied<T, TCopy>(ref x, ref copy, i + L) - k;
                Vector512<T> d2 = LoadCopied<T, TCopy>(ref x, ref copy, i + 2 * L) - k;
                Vector512<T> d3 = LoadCopied<T, TCopy>(ref x, ref copy, i + 3 * L) - k;
                q0 = Vec512<T>.MultiplyAdd(d0, d0, q0);
                q1 = Vec512<T>.MultiplyAdd(d1, d1, q1);
                q2 = Vec512<T>.MultiplyAdd(d2, d2, q2);
                q3 = Vec512<T>.MultiplyAdd(d3, d3, q3);
                c0 += d0 + d1;
                c1 += d2 + d3;
            }
        }
        for (; i + 4 * L <= n; i += 4 * L)
        {
            Vector512<T> d0 = LoadCopied<T, TCopy>(ref x, ref copy, i) - k - m;
            Vector512<T> d1 = LoadCopied<T, TCopy>(ref x, ref copy, i + L) - k - m;
            Vector512<T> d2 = LoadCopied<T, TCopy>(ref x, ref copy, i + 2 * L) - k - m;
            Vector512<T> d3 = LoadCopied<T, TCopy>(ref x, ref copy, i + 3 * L) - k - m;
            q0 = Vec512<T>.MultiplyAdd(d0, d0, q0);
            q1 = Vec512<T>.MultiplyAdd(d1, d1, q1);
            q2 = Vec512<T>.MultiplyAdd(d2, d2, q2);
            q3 = Vec512<T>.MultiplyAdd(d3, d3, q3);
            c0 += d0 + d1;
            c1 += d2 + d3;
        }
        for (; i + L <= n; i += L)
        {
            Vector512<T> d = LoadCopied<T, TCopy>(ref x, ref copy, i) - k - m;
            q0 = Vec512<T>.MultiplyAdd(d, d, q0);
            c0 += d;
        }
        if (i < n)
        {
            Vector512<T> d = Vector512.ConditionalSelect(Tail512<T>(n - i), LoadCopied<T, TCopy>(ref x, ref copy, n - L) - k - m, Vector512<T>.Zero);
            q1 = Vec512<T>.MultiplyAdd(d, d, q1);
            c1 += d;
        }
        sumDev = c0 + c1;
        sumSq = (q0 + q1) + (q2 + q3);
    }

    /// <summary>The vector at x + i, also stored to copy + i when TCopy says so.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> LoadCopied<T, TCopy>(ref T x, ref T copy, nuint i) where T : unmanaged where TCopy : struct, IBlockCopy
    {
        Vector512<T> v = Vector512.LoadUnsafe(ref x, i);
        if (TCopy.Copies) v.StoreUnsafe(ref copy, i);
        return v;
    }

    /// <summary>Whether a block primitive also copies each vector it loads (<see cref="DeviationLanes512{T, TCopy}"/>).</summary>
    internal interface IBlockCopy
    {
        static abstract bool Copies { get; }
    }

    /// <summary>The blocks are read only.</summary>
    internal readonly struct NoCopy : IBlockCopy
    {
        public static bool Copies => false;
    }

    /// <summary>Each block is copied as it is read (BlockEngine's copied channel walk).</summary>
    internal readonly struct CopyBlocks : IBlockCopy
    {
        public static bool Copies => true;
    }

    /// <summary>
    /// Vector512.Sum of each of four vectors (lanes 0–3 of the result), bitwise: the same pairs added in the same tree
    /// (float: within each 128-bit quarter (a0 + a1) + (a2 + a3), then (q0 + q1) + (q2 + q3) over the quarters; double:
    /// a0 + a1 per quarter, then the same), only the four trees share their shuffles and adds. IEEE addition is
    /// commutative, so the operand order inside a pair does not change a finite result; a non-finite one is redone by
    /// the caller's general path anyway.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<T> Sum4<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c, Vector512<T> d) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Vector512<float> fa = a.AsSingle(), fb = b.AsSingle(), fc = c.AsSingle(), fd = d.AsSingle();
            // Per quarter: [a0 + a1, a2 + a3, b0 + b1, b2 + b3], then [a, b, c, d] quarter sums.
            Vector512<float> ab = Avx512F.Shuffle(fa, fb, 0x88) + Avx512F.Shuffle(fa, fb, 0xDD);
            Vector512<float> cd = Avx512F.Shuffle(fc, fd, 0x88) + Avx512F.Shuffle(fc, fd, 0xDD);
            Vector512<float> quarters = Avx512F.Shuffle(ab, cd, 0x88) + Avx512F.Shuffle(ab, cd, 0xDD);
            quarters = Avx512F.Shuffle4x128(quarters, quarters, 0xD8); // quarters 0, 2 | 1, 3
            Vector256<float> halves = quarters.GetLower() + quarters.GetUpper();
            return (halves.GetLower() + halves.GetUpper()).ToVector256().As<float, T>();
        }
        else
        {
            Vector512<double> da = a.AsDouble(), db = b.AsDouble(), dc = c.AsDouble(), dd = d.AsDouble();
            // Per quarter: [a0 + a1, b0 + b1], then the quarters 0 + 1 and 2 + 3 of each.
            Vector512<double> ab = Avx512F.Shuffle(da, db, 0x00) + Avx512F.Shuffle(da, db, 0xFF);
            Vector512<double> cd = Avx512F.Shuffle(dc, dd, 0x00) + Avx512F.Shuffle(dc, dd, 0xFF);
            Vector512<double> halves = Avx512F.Shuffle4x128(ab, cd, 0x88) + Avx512F.Shuffle4x128(ab, cd, 0xDD);
            halves = Avx512F.Shuffle4x128(halves, halves, 0xD8);
            return (halves.GetLower() + halves.GetUpper()).As<double, T>();
        }
    }
}

/// <summary>The per-block outputs of <see cref="TensorBlocks.SmallBlocks{T}"/>: what each optional span receives.</summary>
internal readonly ref struct SmallBlockOutputs<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly T Count;
    private readonly ReadOnlySpan<T> _gamma, _beta;
    private readonly Span<T> _saveMean, _saveRstd, _runningMean, _runningVar;
    private readonly T _momentum;

    public SmallBlockOutputs(T count, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> saveMean, Span<T> saveRstd, Span<T> runningMean, Span<T> runningVar, T momentum)
    {
        Count = count;
        _gamma = gamma;
        _beta = beta;
        _saveMean = saveMean;
        _saveRstd = saveRstd;
        _runningMean = runningMean;
        _runningVar = runningVar;
        _momentum = momentum;
    }

    /// <summary>Whether the running statistics are updated (BatchNorm training).</summary>
    public bool Running => !_runningMean.IsEmpty;

    /// <summary>The unbiased variance the running variance takes, variance·count / (count − 1); the callers with four blocks' variances as lanes divide them in one vector, the same IEEE operations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Unbiased(T variance) => Running ? variance * Count / (Count - T.One) : variance;

    /// <summary>
    /// The end of one block from its statistics: false (nothing written) when the variance is not finite; else the saved
    /// statistics, y = ((x − shift) − offset)·a + b with a = rstd·γ[c], b = β[c], the running statistics (with
    /// <paramref name="unbiased"/> = <see cref="Unbiased"/>(variance)), and c moves on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Finish<TShape>(in SmallBlock512<T, TShape> data, ref T y, int block, ref int c, int channels, T shift, T offset, T variance, T rstd, T unbiased)
        where TShape : struct, IBlockShape
    {
        if (!T.IsFinite(variance)) return false;
        End(block, ref c, channels, shift, offset, unbiased, rstd, out T a, out T b);
        data.Apply(ref y, shift, offset, a, b);
        return true;
    }

    /// <summary><see cref="Finish"/> for a block in memory (four vectors or more): y = ((x − shift) − offset)·a + b by <c>Apply</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool FinishInMemory(ref T x, ref T y, nuint n, int block, ref int c, int channels, T shift, T offset, T variance, T rstd, T unbiased)
    {
        if (!T.IsFinite(variance)) return false;
        End(block, ref c, channels, shift, offset, unbiased, rstd, out T a, out T b);
        TensorBlocks.Apply(ref x, ref y, n, shift, offset, a, b);
        return true;
    }

    /// <summary>
    /// Whether four consecutive blocks from <paramref name="block"/>, channels <paramref name="c"/> … c + 3 (no wrap),
    /// can end together (<see cref="EndFour"/>): every span they touch holds those four places.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool CanEndFour(int block, int c, int channels) =>
        c + 4 <= channels
        && (_gamma.IsEmpty || c + 4 <= _gamma.Length) && (_beta.IsEmpty || c + 4 <= _beta.Length)
        && (_runningMean.IsEmpty || c + 4 <= _runningMean.Length && c + 4 <= _runningVar.Length)
        && (_saveMean.IsEmpty || block + 4 <= _saveMean.Length && block + 4 <= _saveRstd.Length);

    /// <summary>
    /// <see cref="End"/> of four blocks at once (see <see cref="CanEndFour"/>), their statistics as lanes 0–3: the same
    /// IEEE operations per lane (γ·rstd, the saved mean shift + offset, r ← (1 − m)·r + m·stat as two products and a sum),
    /// so the same bits, with one load and one store per span instead of four scalar ones per block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EndFour(int block, int c, Vector256<T> shift, Vector256<T> offset, Vector256<T> unbiased, Vector256<T> rstd, out Vector256<T> a, out Vector256<T> b)
    {
        Vector256<T> mean = shift + offset;
        if (!_saveMean.IsEmpty)
        {
            Store4(mean, ref Unsafe.Add(ref MemoryMarshal.GetReference(_saveMean), block));
            Store4(rstd, ref Unsafe.Add(ref MemoryMarshal.GetReference(_saveRstd), block));
        }
        a = _gamma.IsEmpty ? rstd : rstd * Load4(ref Unsafe.Add(ref MemoryMarshal.GetReference(_gamma), c));
        b = _beta.IsEmpty ? Vector256<T>.Zero : Load4(ref Unsafe.Add(ref MemoryMarshal.GetReference(_beta), c));
        if (!_runningMean.IsEmpty)
        {
            Vector256<T> keep = Vector256.Create(T.One - _momentum), m = Vector256.Create(_momentum);
            ref T rm = ref Unsafe.Add(ref MemoryMarshal.GetReference(_runningMean), c);
            ref T rv = ref Unsafe.Add(ref MemoryMarshal.GetReference(_runningVar), c);
            Store4(keep * Load4(ref rm) + m * mean, ref rm);
            Store4(keep * Load4(ref rv) + m * unbiased, ref rv);
        }
    }

    /// <summary>Four elements at <paramref name="p"/> as lanes 0–3 (float: the lower half; the upper lanes zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Load4(ref T p) => typeof(T) == typeof(float)
        ? Vector128.LoadUnsafe(ref p).ToVector256() : Vector256.LoadUnsafe(ref p);

    /// <summary>Lanes 0–3 of <paramref name="v"/> to the four elements at <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(Vector256<T> v, ref T p)
    {
        if (typeof(T) == typeof(float)) v.GetLower().StoreUnsafe(ref p);
        else v.StoreUnsafe(ref p);
    }

    /// <summary>The saved and running statistics of a block with a finite variance, its a and b; c moves on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void End(int block, ref int c, int channels, T shift, T offset, T unbiased, T rstd, out T a, out T b)
    {
        if (!_saveMean.IsEmpty)
        {
            _saveMean[block] = shift + offset;
            _saveRstd[block] = rstd;
        }
        a = _gamma.IsEmpty ? rstd : rstd * _gamma[c];
        b = _beta.IsEmpty ? T.Zero : _beta[c];
        if (!_runningMean.IsEmpty)
        {
            // PyTorch: the mean and the unbiased variance, r ← (1 − m)·r + m·stat.
            _runningMean[c] = (T.One - _momentum) * _runningMean[c] + _momentum * (shift + offset);
            _runningVar[c] = (T.One - _momentum) * _runningVar[c] + _momentum * unbiased;
        }
        if (++c == channels) c = 0;
    }
}

/// <summary>
/// One block of one to four 512-bit vectors held in registers (the last one overlapping, its repeated lanes masked
/// off): the statistics passes of SumShifted (512-bit) and SumDeviations (512-bit) and the lanes of Apply (512-bit),
/// unrolled. <typeparamref name="TShape"/> gives the number of whole vectors and whether a rest follows when they are
/// known at JIT time (<see cref="IBlockShape"/>); with <see cref="AnyShape"/> they are read from the length.
/// </summary>
internal readonly ref struct SmallBlock512<T, TShape> where T : unmanaged, IFloatingPointIeee754<T> where TShape : struct, IBlockShape
{
    private readonly Vector512<T> _v0, _v1, _v2, _tail;
    private readonly nuint _full, _rest, _n;

    /// <summary>Whether the block has a second whole vector.</summary>
    private bool Second
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Known ? TShape.Whole >= 2 : _full >= 2;
    }

    /// <summary>Whether the block has a third whole vector.</summary>
    private bool Third
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Known ? TShape.Whole >= 3 : _full >= 3;
    }

    /// <summary>Whether elements follow the whole vectors (the overlapping last vector).</summary>
    private bool Rest
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Known ? TShape.Rest : _rest != 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SmallBlock512(ref T x, nuint n)
    {
        nuint L = (nuint)Vector512<T>.Count;
        _n = n;
        _full = n / L;
        _rest = n - _full * L;
        Vector512<T> zero = Vector512<T>.Zero;
        _v0 = Vector512.LoadUnsafe(ref x);
        _v1 = Second ? Vector512.LoadUnsafe(ref x, L) : zero;
        _v2 = Third ? Vector512.LoadUnsafe(ref x, 2 * L) : zero;
        _tail = Rest ? Vector512.LoadUnsafe(ref x, n - L) : zero;
    }

    /// <summary>
    /// The lanes of the overlapping last vector that belong to a block of <paramref name="n"/> elements (the rest past
    /// the whole vectors; zero when there is none): one value for every block of that length, which
    /// <see cref="ShiftedSum"/> and <see cref="Deviations"/> take from the caller, so that blocks processed together
    /// share one register for it instead of holding a copy each (four blocks' copies had made the JIT spill vectors to
    /// the stack inside SmallBlocks' loop).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Keep(nuint n) => n % (nuint)Vector512<T>.Count != 0 ? TensorBlocks.Tail512<T>(n % (nuint)Vector512<T>.Count) : Vector512<T>.Zero;

    /// <summary>offset = Σ(x − shift) / count, then Σd and Σd² with d = (x − shift) − offset, in SumShifted's (512-bit) and SumDeviations' (512-bit) order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Moments(T shift, T count, out T offset, out T sumDev, out T sumSq)
    {
        Vector512<T> keep = Keep(_n);
        offset = Vector512.Sum(ShiftedSum(shift, keep)) / count;
        Deviations(shift, offset, keep, out Vector512<T> dev, out Vector512<T> sq);
        sumDev = Vector512.Sum(dev);
        sumSq = Vector512.Sum(sq);
    }

    /// <summary>Pass 1 before its horizontal sum: the lanes of Σ(x − shift) as SumShifted (512-bit) adds them (<paramref name="keep"/>: <see cref="Keep"/> of the block's length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> ShiftedSum(T shift, Vector512<T> keep)
    {
        Vector512<T> zero = Vector512<T>.Zero;
        Vector512<T> k = Vector512.Create(shift);

        // As SumShifted (512-bit) (no 4-vector iteration below four vectors): s0 takes the whole vectors in order, s1 the tail.
        Vector512<T> s0 = zero + (_v0 - k), s1 = zero, s2 = zero, s3 = zero;
        if (Second) s0 += _v1 - k;
        if (Third) s0 += _v2 - k;
        if (Rest) s1 += Vector512.ConditionalSelect(keep, _tail - k, zero);
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>Pass 2 before its horizontal sums: the lanes of Σd and Σd², d = (x − shift) − offset, as SumDeviations (512-bit) adds them (<paramref name="keep"/>: <see cref="Keep"/> of the block's length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Deviations(T shift, T offset, Vector512<T> keep, out Vector512<T> sumDev, out Vector512<T> sumSq)
    {
        Vector512<T> zero = Vector512<T>.Zero;
        Vector512<T> k = Vector512.Create(shift), m = Vector512.Create(offset);

        // q0/c0 the whole vectors, q1/c1 the tail.
        Vector512<T> q0 = zero, q1 = zero, q2 = zero, q3 = zero, c0 = zero, c1 = zero;
        Vector512<T> d = _v0 - k - m;
        q0 = Vec512<T>.MultiplyAdd(d, d, q0);
        c0 += d;
        if (Second)
        {
            d = _v1 - k - m;
            q0 = Vec512<T>.MultiplyAdd(d, d, q0);
            c0 += d;
        }
        if (Third)
        {
            d = _v2 - k - m;
            q0 = Vec512<T>.MultiplyAdd(d, d, q0);
            c0 += d;
        }
        if (Rest)
        {
            d = Vector512.ConditionalSelect(keep, _tail - k - m, zero);
            q1 = Vec512<T>.MultiplyAdd(d, d, q1);
            c1 += d;
        }
        sumDev = c0 + c1;
        sumSq = (q0 + q1) + (q2 + q3);
    }

    /// <summary>y = ((x − shift) − offset)·a + b from the registers, lane for lane Apply (512-bit) (y may be the block itself: it is all loaded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(ref T y, T shift, T offset, T a, T b)
    {
        nuint L = (nuint)Vector512<T>.Count;
        Vector512<T> k = Vector512.Create(shift), m = Vector512.Create(offset), va = Vector512.Create(a), vb = Vector512.Create(b);
        Vector512.StoreUnsafe(Vec512<T>.MultiplyAdd(_v0 - k - m, va, vb), ref y);
        if (Second) Vector512.StoreUnsafe(Vec512<T>.MultiplyAdd(_v1 - k - m, va, vb), ref y, L);
        if (Third) Vector512.StoreUnsafe(Vec512<T>.MultiplyAdd(_v2 - k - m, va, vb), ref y, 2 * L);
        if (Rest) Vector512.StoreUnsafe(Vec512<T>.MultiplyAdd(_tail - k - m, va, vb), ref y, _n - L);
    }
}

/// <summary>
/// The shape of a <see cref="SmallBlock512{T, TShape}"/> when known at JIT time: its whole 512-bit vectors (1 to 3) and
/// whether a rest follows them (<see cref="TensorBlocks"/>' four blocks at a time run an instance per shape).
/// </summary>
internal interface IBlockShape
{
    /// <summary>Whether <see cref="Whole"/> and <see cref="Rest"/> hold; else the block reads them from its length.</summary>
    static abstract bool Known { get; }

    /// <summary>The whole vectors of the block.</summary>
    static abstract int Whole { get; }

    /// <summary>Whether elements follow the whole vectors.</summary>
    static abstract bool Rest { get; }
}

/// <summary>A block's shape read from its length at run time.</summary>
internal readonly struct AnyShape : IBlockShape { public static bool Known => false; public static int Whole => 0; public static bool Rest => false; }

/// <summary>One whole vector.</summary>
internal readonly struct Whole1 : IBlockShape { public static bool Known => true; public static int Whole => 1; public static bool Rest => false; }

/// <summary>One whole vector and a rest.</summary>
internal readonly struct Whole1Rest : IBlockShape { public static bool Known => true; public static int Whole => 1; public static bool Rest => true; }

/// <summary>Two whole vectors.</summary>
internal readonly struct Whole2 : IBlockShape { public static bool Known => true; public static int Whole => 2; public static bool Rest => false; }

/// <summary>Two whole vectors and a rest.</summary>
internal readonly struct Whole2Rest : IBlockShape { public static bool Known => true; public static int Whole => 2; public static bool Rest => true; }

/// <summary>Three whole vectors.</summary>
internal readonly struct Whole3 : IBlockShape { public static bool Known => true; public static int Whole => 3; public static bool Rest => false; }

/// <summary>Three whole vectors and a rest.</summary>
internal readonly struct Whole3Rest : IBlockShape { public static bool Known => true; public static int Whole => 3; public static bool Rest => true; }
