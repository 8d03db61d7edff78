using System;
using System.Numerics;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NormGen;

/// <summary>
/// The building blocks of the generated tensor kernels (BatchNorm, GroupNorm, InstanceNorm, and the tails and
/// huge-value fallback of channel LayerNorm, MinMaxScale and Standardize), written once here instead of in every
/// generated file: the shifted two-pass statistics over contiguous blocks (<c>SumShifted</c>, <c>SumDeviations</c>),
/// the normalizing passes (<c>Apply</c>, <c>ScaleShift</c>, <c>ScaleShiftChannels</c>), the masks of an overlapping
/// last vector (<c>Tail512</c>…) and the double-precision fallback for blocks whose squares overflow
/// (<c>HugeStatistics</c>, <c>HugeApply</c>). Called by generated code only; the signatures may change with the
/// generator that ships in the same package.
/// </summary>
/// <remarks>
/// <para>Each primitive dispatches to 512-, 256-, 128-bit vectors or scalars behind <c>IsHardwareAccelerated</c> (a
/// JIT-time constant) and the block length, then runs a fixed-order loop: several independent accumulators, then an
/// overlapping, masked last vector. The order depends on the length and the processor only, so results are
/// reproducible and independent of the thread that runs a block.</para>
/// <para>Each primitive is one body, generic over the element type (float or double; Half kernels compute in float)
/// and over the width's operation struct (<c>Vec512</c>/<c>256</c>/<c>128</c>), with a scalar loop beside it. The
/// operations and their order are those the generator used to write into each kernel file, so the numerics are bitwise
/// those of before.</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class TensorBlocks
{
    /// <summary>
    /// The lanes of an overlapping last 512-bit vector that lie past the last full one, when <paramref name="remaining"/>
    /// (1 … lanes − 1) elements are left; <typeparamref name="T"/> is float or double.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Tail512<T>(nuint remaining) where T : unmanaged =>
        typeof(T) == typeof(double)
            ? Vector512.GreaterThanOrEqual(Vector512<long>.Indices, Vector512.Create((long)(8 - (int)remaining))).As<long, T>()
            : Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(16 - (int)remaining)).As<int, T>();

    /// <summary>The 256-bit form of <see cref="Tail512{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Tail256<T>(nuint remaining) where T : unmanaged =>
        typeof(T) == typeof(double)
            ? Vector256.GreaterThanOrEqual(Vector256<long>.Indices, Vector256.Create((long)(4 - (int)remaining))).As<long, T>()
            : Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(8 - (int)remaining)).As<int, T>();

    /// <summary>The 128-bit form of <see cref="Tail512{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Tail128<T>(nuint remaining) where T : unmanaged =>
        typeof(T) == typeof(double)
            ? Vector128.GreaterThanOrEqual(Vector128<long>.Indices, Vector128.Create((long)(2 - (int)remaining))).As<long, T>()
            : Vector128.GreaterThanOrEqual(Vector128<int>.Indices, Vector128.Create(4 - (int)remaining)).As<int, T>();

    /// <summary>
    /// How many units of work the columns of a panel <paramref name="width"/> columns wide are split into when a call
    /// spreads them over threads: ranges of a fixed width (a multiple of 64 columns, about width / 16, at least 64; the
    /// last range takes the remainder), so a range starts on a whole vector of every width and the split depends on
    /// the shape only, never on the thread count. 1 when the panel is narrower than two ranges.
    /// </summary>
    public static int ColumnRanges(int width) => width < 128 ? 1 : Math.Max(1, width / ColumnRangeWidth(width)); // ranges are at least 64 wide: no division for narrow panels

    /// <summary>
    /// The columns of range <paramref name="index"/> of <paramref name="ranges"/> (from <see cref="ColumnRanges"/>, or 1
    /// for the whole panel): <paramref name="from"/> … <paramref name="from"/> + <paramref name="count"/> − 1.
    /// </summary>
    public static void ColumnRange(int width, int ranges, int index, out int from, out int count)
    {
        if (ranges == 1)
        {
            from = 0;
            count = width;
            return;
        }
        int size = ColumnRangeWidth(width);
        from = index * size;
        count = index == ranges - 1 ? width - from : size;
    }

    /// <summary>The widest of the <see cref="ColumnRanges"/> ranges of a panel <paramref name="width"/> columns wide: the last one.</summary>
    public static int WidestColumnRange(int width)
    {
        ColumnRange(width, ColumnRanges(width), ColumnRanges(width) - 1, out _, out int count);
        return count;
    }

    private static int ColumnRangeWidth(int width) => Math.Max(64, (width / 16 + 63) & ~63);

    // ================================================================ float and double, one body for every width

    /// <summary>Σ (x[i] − shift) over n contiguous elements: the first pass of the shifted two-pass statistics.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumShifted(ref float x, nuint n, float shift) => SumShifted<float>(ref x, n, shift);

    /// <inheritdoc cref="SumShifted(ref float, nuint, float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumShifted(ref double x, nuint n, double shift) => SumShifted<double>(ref x, n, shift);

    /// <summary>
    /// Both statistics passes over one block of n contiguous elements: offset = Σ(x − shift) / count, then Σd and Σd²
    /// with d = (x − shift) − offset. Bitwise <see cref="SumShifted(ref float, nuint, float)"/> then
    /// <see cref="SumDeviations(ref float, nuint, float, float, out float, out float)"/>: the same vectors, accumulators and order. A small
    /// block (one to four 512-bit vectors, the tail overlapping) is loaded once and stays in registers for both passes,
    /// without the calls, the second tail mask and the reloads that dominate at a few dozen elements.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Moments(ref float x, nuint n, float shift, float count, out float offset, out float sumDev, out float sumSq) =>
        Moments<float>(ref x, n, shift, count, out offset, out sumDev, out sumSq);

    /// <inheritdoc cref="Moments(ref float, nuint, float, float, out float, out float, out float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Moments(ref double x, nuint n, double shift, double count, out double offset, out double sumDev, out double sumSq) =>
        Moments<double>(ref x, n, shift, count, out offset, out sumDev, out sumSq);

    /// <summary>Σd and Σd² with d = (x[i] − shift) − offset over n contiguous elements: the second pass (corrected two-pass variance).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SumDeviations(ref float x, nuint n, float shift, float offset, out float sumDev, out float sumSq) =>
        SumDeviations<float>(ref x, n, shift, offset, out sumDev, out sumSq);

    /// <inheritdoc cref="SumDeviations(ref float, nuint, float, float, out float, out float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SumDeviations(ref double x, nuint n, double shift, double offset, out double sumDev, out double sumSq) =>
        SumDeviations<double>(ref x, n, shift, offset, out sumDev, out sumSq);

    /// <summary>y[i] = ((x[i] − shift) − offset)·a + b over n contiguous elements (y may be x): the normalizing pass, a = rstd·γ, b = β. A constant block gives exactly b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Apply(ref float x, ref float y, nuint n, float shift, float offset, float a, float b) =>
        Apply<float>(ref x, ref y, n, shift, offset, a, b);

    /// <inheritdoc cref="Apply(ref float, ref float, nuint, float, float, float, float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Apply(ref double x, ref double y, nuint n, double shift, double offset, double a, double b) =>
        Apply<double>(ref x, ref y, n, shift, offset, a, b);

    /// <summary>y[i] = x[i]·s + t over n contiguous elements (y may be x): BatchNorm eval with folded running statistics.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleShift(ref float x, ref float y, nuint n, float s, float t) => ScaleShift<float>(ref x, ref y, n, s, t);

    /// <inheritdoc cref="ScaleShift(ref float, ref float, nuint, float, float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleShift(ref double x, ref double y, nuint n, double s, double t) => ScaleShift<double>(ref x, ref y, n, s, t);

    /// <summary>y[i] = x[i]·s[i] + t[i] over n contiguous elements (y may be x): one sample of an (N, C) BatchNorm eval.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleShiftChannels(ref float x, ref float y, nuint n, ref float s, ref float t) =>
        ScaleShiftChannels<float>(ref x, ref y, n, ref s, ref t);

    /// <inheritdoc cref="ScaleShiftChannels(ref float, ref float, nuint, ref float, ref float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleShiftChannels(ref double x, ref double y, nuint n, ref double s, ref double t) =>
        ScaleShiftChannels<double>(ref x, ref y, n, ref s, ref t);

    /// <summary>
    /// Mean and variance of x·2⁻ᵏ in double (<paramref name="scale"/> = 2⁻ᵏ, 2ᵏ ≥ max|x|) for a block whose squared
    /// deviations overflow its type; false when the block holds NaN or ±∞ (its result stays NaN, as on the common path).
    /// </summary>
    public static bool HugeStatistics(ref float x, nint blocks, nint length, nint blockStride, out double scale, out double mean, out double variance) =>
        HugeStatistics<float>(ref x, blocks, length, blockStride, out scale, out mean, out variance);

    /// <inheritdoc cref="HugeStatistics(ref float, nint, nint, nint, out double, out double, out double)"/>
    public static bool HugeStatistics(ref double x, nint blocks, nint length, nint blockStride, out double scale, out double mean, out double variance) =>
        HugeStatistics<double>(ref x, blocks, length, blockStride, out scale, out mean, out variance);

    /// <summary>y = (x·scale − mean)·a + b in double over <paramref name="length"/> contiguous elements (the huge-block fallback).</summary>
    public static void HugeApply(ref float x, ref float y, nint length, double scale, double mean, double a, double b) =>
        HugeApply<float>(ref x, ref y, length, scale, mean, a, b);

    /// <inheritdoc cref="HugeApply(ref float, ref float, nint, double, double, double, double)"/>
    public static void HugeApply(ref double x, ref double y, nint length, double scale, double mean, double a, double b) =>
        HugeApply<double>(ref x, ref y, length, scale, mean, a, b);

    /// <summary>Σ (x[i] − shift) over n ≥ one vector; four accumulators hide the add latency, the overlapping last vector masked.</summary>
    private static T SumShifted<TOps, TV, T>(ref T x, nuint n, T shift)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        TV k = TOps.Create(shift);
        TV s0 = TOps.Zero, s1 = s0, s2 = s0, s3 = s0;
        nuint i = 0;
        for (; i + 4 * (nuint)TOps.Count <= n; i += 4 * (nuint)TOps.Count)
        {
            s0 = TOps.Add(s0, TOps.Subtract(TOps.Load(ref x, i), k));
            s1 = TOps.Add(s1, TOps.Subtract(TOps.Load(ref x, i + (nuint)TOps.Count), k));
            s2 = TOps.Add(s2, TOps.Subtract(TOps.Load(ref x, i + 2 * (nuint)TOps.Count), k));
            s3 = TOps.Add(s3, TOps.Subtract(TOps.Load(ref x, i + 3 * (nuint)TOps.Count), k));
        }
        for (; i + (nuint)TOps.Count <= n; i += (nuint)TOps.Count)
            s0 = TOps.Add(s0, TOps.Subtract(TOps.Load(ref x, i), k));
        if (i < n)
            s1 = TOps.Add(s1, TOps.Select(TOps.TailMask(TOps.Count - (int)(n - i)), TOps.Subtract(TOps.Load(ref x, n - (nuint)TOps.Count), k)));
        return TOps.Sum(TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3)));
    }

    private static T SumShiftedScalar<T>(ref T x, nuint n, T shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (nuint i = 0; i < n; i++)
            sum += Unsafe.Add(ref x, i) - shift;
        return sum;
    }

    /// <summary>Σd and Σd² with d = (x[i] − shift) − offset, over n ≥ one vector: four Σd² and two Σd accumulators.</summary>
    private static void SumDeviations<TOps, TV, T>(ref T x, nuint n, T shift, T offset, out T sumDev, out T sumSq)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        TV k = TOps.Create(shift), m = TOps.Create(offset);
        TV q0 = TOps.Zero, q1 = q0, q2 = q0, q3 = q0, c0 = q0, c1 = q0;
        nuint i = 0;
        if (offset == T.Zero)
        {
            // The one-pass statistics (offset 0): the same loop without subtracting 0 (a − (+0) = a; a − (−0) differs
            // only in the sign of a zero d, which adds nothing to accumulators that start at +0), so the same sums.
            for (; i + 4 * (nuint)TOps.Count <= n; i += 4 * (nuint)TOps.Count)
            {
                TV d0 = TOps.Subtract(TOps.Load(ref x, i), k);
                TV d1 = TOps.Subtract(TOps.Load(ref x, i + (nuint)TOps.Count), k);
                TV d2 = TOps.Subtract(TOps.Load(ref x, i + 2 * (nuint)TOps.Count), k);
                TV d3 = TOps.Subtract(TOps.Load(ref x, i + 3 * (nuint)TOps.Count), k);
                q0 = TOps.MultiplyAdd(d0, d0, q0);
                q1 = TOps.MultiplyAdd(d1, d1, q1);
                q2 = TOps.MultiplyAdd(d2, d2, q2);
                q3 = TOps.MultiplyAdd(d3, d3, q3);
                c0 = TOps.Add(c0, TOps.Add(d0, d1));
                c1 = TOps.Add(c1, TOps.Add(d2, d3));
            }
        }
        for (; i + 4 * (nuint)TOps.Count <= n; i += 4 * (nuint)TOps.Count)
        {
            TV d0 = TOps.Subtract(TOps.Subtract(TOps.Load(ref x, i), k), m);
            TV d1 = TOps.Subtract(TOps.Subtract(TOps.Load(ref x, i + (nuint)TOps.Count), k), m);
            TV d2 = TOps.Subtract(TOps.Subtract(TOps.Load(ref x, i + 2 * (nuint)TOps.Count), k), m);
            TV d3 = TOps.Subtract(TOps.Subtract(TOps.Load(ref x, i + 3 * (nuint)TOps.Count), k), m);
            q0 = TOps.MultiplyAdd(d0, d0, q0);
            q1 = TOps.MultiplyAdd(d1, d1, q1);
            q2 = TOps.MultiplyAdd(d2, d2, q2);
            q3 = TOps.MultiplyAdd(d3, d3, q3);
            c0 = TOps.Add(c0, TOps.Add(d0, d1));
            c1 = TOps.Add(c1, TOps.Add(d2, d3));
        }
        for (; i + (nuint)TOps.Count <= n; i += (nuint)TOps.Count)
        {
            TV d = TOps.Subtract(TOps.Subtract(TOps.Load(ref x, i), k), m);
            q0 = TOps.MultiplyAdd(d, d, q0);
            c0 = TOps.Add(c0, d);
        }
        if (i < n)
        {
            TV d = TOps.Select(TOps.TailMask(TOps.Count - (int)(n - i)), TOps.Subtract(TOps.Subtract(TOps.Load(ref x, n - (nuint)TOps.Count), k), m));
            q1 = TOps.MultiplyAdd(d, d, q1);
            c1 = TOps.Add(c1, d);
        }
        sumDev = TOps.Sum(TOps.Add(c0, c1));
        sumSq = TOps.Sum(TOps.Add(TOps.Add(q0, q1), TOps.Add(q2, q3)));
    }

    private static void SumDeviationsScalar<T>(ref T x, nuint n, T shift, T offset, out T sumDev, out T sumSq) where T : unmanaged, IFloatingPointIeee754<T>
    {
        sumDev = T.Zero;
        sumSq = T.Zero;
        for (nuint i = 0; i < n; i++)
        {
            T d = Unsafe.Add(ref x, i) - shift - offset;
            sumDev += d;
            sumSq += d * d;
        }
    }

    /// <summary>y[i] = ((x[i] − shift) − offset)·a + b over n ≥ one vector: a constant block gives exactly b.</summary>
    /// <remarks>
    /// Inlined at every call site: left to the JIT, dynamic PGO inlined the 512-bit instance into some block loops and
    /// not others (InstanceNorm float 8×64×28×28, Intel Xeon: eba5bfa's generated loop had it inlined in a process where
    /// it ran at 144 µs, this tree's four-block loop called it and ran at 154; inlined in both, and blocks of that size one
    /// at a time, <see cref="MaxBatchedBlockBytes"/>, 0.98–1.01×).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Apply<TOps, TV, T>(ref T x, ref T y, nuint n, T shift, T offset, T a, T b)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        TV k = TOps.Create(shift), m = TOps.Create(offset), va = TOps.Create(a), vb = TOps.Create(b);
        // The overlapping last vector is computed first, so an in-place call (y is x) reads it before the loop
        // overwrites its first lanes.
        TV last = TOps.MultiplyAdd(TOps.Subtract(TOps.Subtract(TOps.Load(ref x, n - (nuint)TOps.Count), k), m), va, vb);
        nuint i = 0;
        for (; i + 4 * (nuint)TOps.Count <= n; i += 4 * (nuint)TOps.Count)
        {
            TOps.Store(TOps.MultiplyAdd(TOps.Subtract(TOps.Subtract(TOps.Load(ref x, i), k), m), va, vb), ref y, i);
            TOps.Store(TOps.MultiplyAdd(TOps.Subtract(TOps.Subtract(TOps.Load(ref x, i + (nuint)TOps.Count), k), m), va, vb), ref y, i + (nuint)TOps.Count);
            TOps.Store(TOps.MultiplyAdd(TOps.Subtract(TOps.Subtract(TOps.Load(ref x, i + 2 * (nuint)TOps.Count), k), m), va, vb), ref y, i + 2 * (nuint)TOps.Count);
            TOps.Store(TOps.MultiplyAdd(TOps.Subtract(TOps.Subtract(TOps.Load(ref x, i + 3 * (nuint)TOps.Count), k), m), va, vb), ref y, i + 3 * (nuint)TOps.Count);
        }
        for (; i + (nuint)TOps.Count <= n; i += (nuint)TOps.Count)
            TOps.Store(TOps.MultiplyAdd(TOps.Subtract(TOps.Subtract(TOps.Load(ref x, i), k), m), va, vb), ref y, i);
        TOps.Store(last, ref y, n - (nuint)TOps.Count);
    }

    private static void ApplyScalar<T>(ref T x, ref T y, nuint n, T shift, T offset, T a, T b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (nuint i = 0; i < n; i++)
            Unsafe.Add(ref y, i) = (Unsafe.Add(ref x, i) - shift - offset) * a + b;
    }

    /// <summary>y[i] = x[i]·s + t over n ≥ one vector.</summary>
    private static void ScaleShift<TOps, TV, T>(ref T x, ref T y, nuint n, T s, T t)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        TV vs = TOps.Create(s), vt = TOps.Create(t);
        // The overlapping last vector first, for in-place calls (see Apply).
        TV last = TOps.MultiplyAdd(TOps.Load(ref x, n - (nuint)TOps.Count), vs, vt);
        nuint i = 0;
        for (; i + 4 * (nuint)TOps.Count <= n; i += 4 * (nuint)TOps.Count)
        {
            TOps.Store(TOps.MultiplyAdd(TOps.Load(ref x, i), vs, vt), ref y, i);
            TOps.Store(TOps.MultiplyAdd(TOps.Load(ref x, i + (nuint)TOps.Count), vs, vt), ref y, i + (nuint)TOps.Count);
            TOps.Store(TOps.MultiplyAdd(TOps.Load(ref x, i + 2 * (nuint)TOps.Count), vs, vt), ref y, i + 2 * (nuint)TOps.Count);
            TOps.Store(TOps.MultiplyAdd(TOps.Load(ref x, i + 3 * (nuint)TOps.Count), vs, vt), ref y, i + 3 * (nuint)TOps.Count);
        }
        for (; i + (nuint)TOps.Count <= n; i += (nuint)TOps.Count)
            TOps.Store(TOps.MultiplyAdd(TOps.Load(ref x, i), vs, vt), ref y, i);
        TOps.Store(last, ref y, n - (nuint)TOps.Count);
    }

    private static void ScaleShiftScalar<T>(ref T x, ref T y, nuint n, T s, T t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (nuint i = 0; i < n; i++)
            Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i) * s + t;
    }

    /// <summary>y[i] = x[i]·s[i] + t[i] over n ≥ one vector (one sample of an (N, C) tensor).</summary>
    private static void ScaleShiftChannels<TOps, TV, T>(ref T x, ref T y, nuint n, ref T s, ref T t)
        where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        TV last = TOps.MultiplyAdd(TOps.Load(ref x, n - (nuint)TOps.Count), TOps.Load(ref s, n - (nuint)TOps.Count), TOps.Load(ref t, n - (nuint)TOps.Count));
        nuint i = 0;
        for (; i + (nuint)TOps.Count <= n; i += (nuint)TOps.Count)
            TOps.Store(TOps.MultiplyAdd(TOps.Load(ref x, i), TOps.Load(ref s, i), TOps.Load(ref t, i)), ref y, i);
        TOps.Store(last, ref y, n - (nuint)TOps.Count);
    }

    private static void ScaleShiftChannelsScalar<T>(ref T x, ref T y, nuint n, ref T s, ref T t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (nuint i = 0; i < n; i++)
            Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i) * Unsafe.Add(ref s, i) + Unsafe.Add(ref t, i);
    }

    internal static bool HugeStatistics<T>(ref T x, nint blocks, nint length, nint blockStride, out double scale, out double mean, out double variance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double max = 0d;
        for (nint b = 0; b < blocks; b++)
            for (nint i = 0; i < length; i++)
                max = Math.Max(max, Math.Abs(double.CreateTruncating(Unsafe.Add(ref x, b * blockStride + i))));
        scale = mean = variance = 0d;
        if (!double.IsFinite(max)) return false; // Math.Max propagates NaN
        scale = Math.ScaleB(1d, -Math.ILogB(max) - 1);
        // RowStatistics.ScalarMoments, the rows' fallback too: shifted by the first element, so a constant block is exact
        // (a double block's plain mean Σx/n need not be its value, and then its output was ±1, not 0).
        RowStatistics.ScalarMoments(ref x, blocks, length, blockStride, scale, out double shift, out double offset, out variance);
        mean = shift + offset;
        return true;
    }

    internal static void HugeApply<T>(ref T x, ref T y, nint length, double scale, double mean, double a, double b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (nint i = 0; i < length; i++)
            Unsafe.Add(ref y, i) = T.CreateTruncating((double.CreateTruncating(Unsafe.Add(ref x, i)) * scale - mean) * a + b);
    }
}
