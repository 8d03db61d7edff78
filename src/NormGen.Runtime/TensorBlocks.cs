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
/// <para>float and double have one copy each of the same text (Half kernels compute in float). The vector code is the
/// text the generator used to write into each kernel file, unchanged, so the numerics are bitwise those of before.</para>
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

    // ================================================================ float

    /// <summary>Σ (x[i] − shift) over n contiguous elements: the first pass of the shifted two-pass statistics. Picks the widest accelerated vector no longer than n (a JIT-time constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumShifted(ref float x, nuint n, float shift)
    {
        if (Vector512.IsHardwareAccelerated && n >= 16)
            return SumShifted512(ref x, n, shift);
        else if (Vector256.IsHardwareAccelerated && n >= 8)
            return SumShifted256(ref x, n, shift);
        else if (Vector128.IsHardwareAccelerated && n >= 4)
            return SumShifted128(ref x, n, shift);
        return SumShiftedScalar(ref x, n, shift);
    }

    /// <summary>Σ (x[i] − shift) over n ≥ 16 elements; four accumulators hide the add latency.</summary>
    private static float SumShifted512(ref float x, nuint n, float shift)
    {
        Vector512<float> k = Vector512.Create(shift);
        Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        nuint i = 0;
        for (; i + 64 <= n; i += 64)
        {
            s0 += Vector512.LoadUnsafe(ref x, i) - k;
            s1 += Vector512.LoadUnsafe(ref x, i + 16) - k;
            s2 += Vector512.LoadUnsafe(ref x, i + 32) - k;
            s3 += Vector512.LoadUnsafe(ref x, i + 48) - k;
        }
        for (; i + 16 <= n; i += 16)
            s0 += Vector512.LoadUnsafe(ref x, i) - k;
        if (i < n)
            s1 += Vector512.ConditionalSelect(Tail512<float>(n - i), Vector512.LoadUnsafe(ref x, n - 16) - k, Vector512<float>.Zero);
        return Vector512.Sum((s0 + s1) + (s2 + s3));
    }

    /// <summary>Σ (x[i] − shift) over n ≥ 8 elements; four accumulators hide the add latency.</summary>
    private static float SumShifted256(ref float x, nuint n, float shift)
    {
        Vector256<float> k = Vector256.Create(shift);
        Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        nuint i = 0;
        for (; i + 32 <= n; i += 32)
        {
            s0 += Vector256.LoadUnsafe(ref x, i) - k;
            s1 += Vector256.LoadUnsafe(ref x, i + 8) - k;
            s2 += Vector256.LoadUnsafe(ref x, i + 16) - k;
            s3 += Vector256.LoadUnsafe(ref x, i + 24) - k;
        }
        for (; i + 8 <= n; i += 8)
            s0 += Vector256.LoadUnsafe(ref x, i) - k;
        if (i < n)
            s1 += Vector256.ConditionalSelect(Tail256<float>(n - i), Vector256.LoadUnsafe(ref x, n - 8) - k, Vector256<float>.Zero);
        return Vector256.Sum((s0 + s1) + (s2 + s3));
    }

    /// <summary>Σ (x[i] − shift) over n ≥ 4 elements; four accumulators hide the add latency.</summary>
    private static float SumShifted128(ref float x, nuint n, float shift)
    {
        Vector128<float> k = Vector128.Create(shift);
        Vector128<float> s0 = Vector128<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        nuint i = 0;
        for (; i + 16 <= n; i += 16)
        {
            s0 += Vector128.LoadUnsafe(ref x, i) - k;
            s1 += Vector128.LoadUnsafe(ref x, i + 4) - k;
            s2 += Vector128.LoadUnsafe(ref x, i + 8) - k;
            s3 += Vector128.LoadUnsafe(ref x, i + 12) - k;
        }
        for (; i + 4 <= n; i += 4)
            s0 += Vector128.LoadUnsafe(ref x, i) - k;
        if (i < n)
            s1 += Vector128.ConditionalSelect(Tail128<float>(n - i), Vector128.LoadUnsafe(ref x, n - 4) - k, Vector128<float>.Zero);
        return Vector128.Sum((s0 + s1) + (s2 + s3));
    }

    private static float SumShiftedScalar(ref float x, nuint n, float shift)
    {
        float sum = 0f;
        for (nuint i = 0; i < n; i++)
            sum += Unsafe.Add(ref x, i) - shift;
        return sum;
    }

    /// <summary>
    /// Both statistics passes over one block of n contiguous elements: offset = Σ(x − shift) / count, then Σd and Σd²
    /// with d = (x − shift) − offset. Bitwise <see cref="SumShifted(ref float, nuint, float)"/> then
    /// <see cref="SumDeviations(ref float, nuint, float, float, out float, out float)"/>: the same vectors, accumulators and order. A small
    /// block (one to four 512-bit vectors, the tail overlapping) is loaded once and stays in registers for both passes,
    /// without the calls, the second tail mask and the reloads that dominate at a few dozen elements.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Moments(ref float x, nuint n, float shift, float count, out float offset, out float sumDev, out float sumSq)
    {
        if (Vector512.IsHardwareAccelerated && n >= 16 && n < 64)
        {
            SmallMoments512(ref x, n, shift, count, out offset, out sumDev, out sumSq);
            return;
        }
        offset = SumShifted(ref x, n, shift) / count;
        SumDeviations(ref x, n, shift, offset, out sumDev, out sumSq);
    }

    /// <summary>
    /// <c>Moments</c> for one to four 512-bit vectors (float 16 ≤ n &lt; 64, double 8 ≤ n &lt; 32): the loops of
    /// SumShifted512 and SumDeviations512 unrolled over registers, the same vectors, accumulators and order.
    /// </summary>
    private static void SmallMoments512<T>(ref T x, nuint n, T shift, T count, out T offset, out T sumDev, out T sumSq)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var block = new SmallBlock512<T>(ref x, n);
        block.Moments(shift, count, out offset, out sumDev, out sumSq);
    }

    /// <summary>Σd and Σd² with d = (x[i] − shift) − offset over n contiguous elements: the second pass (corrected two-pass variance). Picks the widest accelerated vector no longer than n (a JIT-time constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SumDeviations(ref float x, nuint n, float shift, float offset, out float sumDev, out float sumSq)
    {
        if (Vector512.IsHardwareAccelerated && n >= 16)
            SumDeviations512(ref x, n, shift, offset, out sumDev, out sumSq);
        else if (Vector256.IsHardwareAccelerated && n >= 8)
            SumDeviations256(ref x, n, shift, offset, out sumDev, out sumSq);
        else if (Vector128.IsHardwareAccelerated && n >= 4)
            SumDeviations128(ref x, n, shift, offset, out sumDev, out sumSq);
        else
            SumDeviationsScalar(ref x, n, shift, offset, out sumDev, out sumSq);
    }

    /// <summary>Σd and Σd² with d = (x[i] − shift) − offset, over n ≥ 16 elements.</summary>
    private static void SumDeviations512(ref float x, nuint n, float shift, float offset, out float sumDev, out float sumSq)
    {
        Vector512<float> k = Vector512.Create(shift), m = Vector512.Create(offset);
        Vector512<float> q0 = Vector512<float>.Zero, q1 = q0, q2 = q0, q3 = q0, c0 = q0, c1 = q0;
        nuint i = 0;
        for (; i + 64 <= n; i += 64)
        {
            Vector512<float> d0 = Vector512.LoadUnsafe(ref x, i) - k - m;
            Vector512<float> d1 = Vector512.LoadUnsafe(ref x, i + 16) - k - m;
            Vector512<float> d2 = Vector512.LoadUnsafe(ref x, i + 32) - k - m;
            Vector512<float> d3 = Vector512.LoadUnsafe(ref x, i + 48) - k - m;
            q0 = Vector512.MultiplyAddEstimate(d0, d0, q0);
            q1 = Vector512.MultiplyAddEstimate(d1, d1, q1);
            q2 = Vector512.MultiplyAddEstimate(d2, d2, q2);
            q3 = Vector512.MultiplyAddEstimate(d3, d3, q3);
            c0 += d0 + d1;
            c1 += d2 + d3;
        }
        for (; i + 16 <= n; i += 16)
        {
            Vector512<float> d = Vector512.LoadUnsafe(ref x, i) - k - m;
            q0 = Vector512.MultiplyAddEstimate(d, d, q0);
            c0 += d;
        }
        if (i < n)
        {
            Vector512<float> d = Vector512.ConditionalSelect(Tail512<float>(n - i), Vector512.LoadUnsafe(ref x, n - 16) - k - m, Vector512<float>.Zero);
            q1 = Vector512.MultiplyAddEstimate(d, d, q1);
            c1 += d;
        }
        sumDev = Vector512.Sum(c0 + c1);
        sumSq = Vector512.Sum((q0 + q1) + (q2 + q3));
    }

    /// <summary>Σd and Σd² with d = (x[i] − shift) − offset, over n ≥ 8 elements.</summary>
    private static void SumDeviations256(ref float x, nuint n, float shift, float offset, out float sumDev, out float sumSq)
    {
        Vector256<float> k = Vector256.Create(shift), m = Vector256.Create(offset);
        Vector256<float> q0 = Vector256<float>.Zero, q1 = q0, q2 = q0, q3 = q0, c0 = q0, c1 = q0;
        nuint i = 0;
        for (; i + 32 <= n; i += 32)
        {
            Vector256<float> d0 = Vector256.LoadUnsafe(ref x, i) - k - m;
            Vector256<float> d1 = Vector256.LoadUnsafe(ref x, i + 8) - k - m;
            Vector256<float> d2 = Vector256.LoadUnsafe(ref x, i + 16) - k - m;
            Vector256<float> d3 = Vector256.LoadUnsafe(ref x, i + 24) - k - m;
            q0 = Vector256.MultiplyAddEstimate(d0, d0, q0);
            q1 = Vector256.MultiplyAddEstimate(d1, d1, q1);
            q2 = Vector256.MultiplyAddEstimate(d2, d2, q2);
            q3 = Vector256.MultiplyAddEstimate(d3, d3, q3);
            c0 += d0 + d1;
            c1 += d2 + d3;
        }
        for (; i + 8 <= n; i += 8)
        {
            Vector256<float> d = Vector256.LoadUnsafe(ref x, i) - k - m;
            q0 = Vector256.MultiplyAddEstimate(d, d, q0);
            c0 += d;
        }
        if (i < n)
        {
            Vector256<float> d = Vector256.ConditionalSelect(Tail256<float>(n - i), Vector256.LoadUnsafe(ref x, n - 8) - k - m, Vector256<float>.Zero);
            q1 = Vector256.MultiplyAddEstimate(d, d, q1);
            c1 += d;
        }
        sumDev = Vector256.Sum(c0 + c1);
        sumSq = Vector256.Sum((q0 + q1) + (q2 + q3));
    }

    /// <summary>Σd and Σd² with d = (x[i] − shift) − offset, over n ≥ 4 elements.</summary>
    private static void SumDeviations128(ref float x, nuint n, float shift, float offset, out float sumDev, out float sumSq)
    {
        Vector128<float> k = Vector128.Create(shift), m = Vector128.Create(offset);
        Vector128<float> q0 = Vector128<float>.Zero, q1 = q0, q2 = q0, q3 = q0, c0 = q0, c1 = q0;
        nuint i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector128<float> d0 = Vector128.LoadUnsafe(ref x, i) - k - m;
            Vector128<float> d1 = Vector128.LoadUnsafe(ref x, i + 4) - k - m;
            Vector128<float> d2 = Vector128.LoadUnsafe(ref x, i + 8) - k - m;
            Vector128<float> d3 = Vector128.LoadUnsafe(ref x, i + 12) - k - m;
            q0 = Vector128.MultiplyAddEstimate(d0, d0, q0);
            q1 = Vector128.MultiplyAddEstimate(d1, d1, q1);
            q2 = Vector128.MultiplyAddEstimate(d2, d2, q2);
            q3 = Vector128.MultiplyAddEstimate(d3, d3, q3);
            c0 += d0 + d1;
            c1 += d2 + d3;
        }
        for (; i + 4 <= n; i += 4)
        {
            Vector128<float> d = Vector128.LoadUnsafe(ref x, i) - k - m;
            q0 = Vector128.MultiplyAddEstimate(d, d, q0);
            c0 += d;
        }
        if (i < n)
        {
            Vector128<float> d = Vector128.ConditionalSelect(Tail128<float>(n - i), Vector128.LoadUnsafe(ref x, n - 4) - k - m, Vector128<float>.Zero);
            q1 = Vector128.MultiplyAddEstimate(d, d, q1);
            c1 += d;
        }
        sumDev = Vector128.Sum(c0 + c1);
        sumSq = Vector128.Sum((q0 + q1) + (q2 + q3));
    }

    private static void SumDeviationsScalar(ref float x, nuint n, float shift, float offset, out float sumDev, out float sumSq)
    {
        sumDev = 0f;
        sumSq = 0f;
        for (nuint i = 0; i < n; i++)
        {
            float d = Unsafe.Add(ref x, i) - shift - offset;
            sumDev += d;
            sumSq += d * d;
        }
    }

    /// <summary>y[i] = ((x[i] − shift) − offset)·a + b over n contiguous elements (y may be x): the normalizing pass, a = rstd·γ, b = β. Picks the widest accelerated vector no longer than n (a JIT-time constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Apply(ref float x, ref float y, nuint n, float shift, float offset, float a, float b)
    {
        if (Vector512.IsHardwareAccelerated && n >= 16)
            Apply512(ref x, ref y, n, shift, offset, a, b);
        else if (Vector256.IsHardwareAccelerated && n >= 8)
            Apply256(ref x, ref y, n, shift, offset, a, b);
        else if (Vector128.IsHardwareAccelerated && n >= 4)
            Apply128(ref x, ref y, n, shift, offset, a, b);
        else
            ApplyScalar(ref x, ref y, n, shift, offset, a, b);
    }

    /// <summary>y[i] = ((x[i] − shift) − offset)·a + b over n ≥ 16 elements: a constant block gives exactly b.</summary>
    private static void Apply512(ref float x, ref float y, nuint n, float shift, float offset, float a, float b)
    {
        Vector512<float> k = Vector512.Create(shift), m = Vector512.Create(offset), va = Vector512.Create(a), vb = Vector512.Create(b);
        // The overlapping last vector is computed first, so an in-place call (y is x) reads it before the loop
        // overwrites its first lanes.
        Vector512<float> last = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, n - 16) - k - m, va, vb);
        nuint i = 0;
        for (; i + 64 <= n; i += 64)
        {
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i) - k - m, va, vb), ref y, i);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 16) - k - m, va, vb), ref y, i + 16);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 32) - k - m, va, vb), ref y, i + 32);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 48) - k - m, va, vb), ref y, i + 48);
        }
        for (; i + 16 <= n; i += 16)
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i) - k - m, va, vb), ref y, i);
        Vector512.StoreUnsafe(last, ref y, n - 16);
    }

    /// <summary>y[i] = ((x[i] − shift) − offset)·a + b over n ≥ 8 elements: a constant block gives exactly b.</summary>
    private static void Apply256(ref float x, ref float y, nuint n, float shift, float offset, float a, float b)
    {
        Vector256<float> k = Vector256.Create(shift), m = Vector256.Create(offset), va = Vector256.Create(a), vb = Vector256.Create(b);
        // The overlapping last vector is computed first, so an in-place call (y is x) reads it before the loop
        // overwrites its first lanes.
        Vector256<float> last = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, n - 8) - k - m, va, vb);
        nuint i = 0;
        for (; i + 32 <= n; i += 32)
        {
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i) - k - m, va, vb), ref y, i);
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i + 8) - k - m, va, vb), ref y, i + 8);
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i + 16) - k - m, va, vb), ref y, i + 16);
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i + 24) - k - m, va, vb), ref y, i + 24);
        }
        for (; i + 8 <= n; i += 8)
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i) - k - m, va, vb), ref y, i);
        Vector256.StoreUnsafe(last, ref y, n - 8);
    }

    /// <summary>y[i] = ((x[i] − shift) − offset)·a + b over n ≥ 4 elements: a constant block gives exactly b.</summary>
    private static void Apply128(ref float x, ref float y, nuint n, float shift, float offset, float a, float b)
    {
        Vector128<float> k = Vector128.Create(shift), m = Vector128.Create(offset), va = Vector128.Create(a), vb = Vector128.Create(b);
        // The overlapping last vector is computed first, so an in-place call (y is x) reads it before the loop
        // overwrites its first lanes.
        Vector128<float> last = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, n - 4) - k - m, va, vb);
        nuint i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i) - k - m, va, vb), ref y, i);
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i + 4) - k - m, va, vb), ref y, i + 4);
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i + 8) - k - m, va, vb), ref y, i + 8);
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i + 12) - k - m, va, vb), ref y, i + 12);
        }
        for (; i + 4 <= n; i += 4)
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i) - k - m, va, vb), ref y, i);
        Vector128.StoreUnsafe(last, ref y, n - 4);
    }

    private static void ApplyScalar(ref float x, ref float y, nuint n, float shift, float offset, float a, float b)
    {
        for (nuint i = 0; i < n; i++)
            Unsafe.Add(ref y, i) = (Unsafe.Add(ref x, i) - shift - offset) * a + b;
    }

    /// <summary>y[i] = x[i]·s + t over n contiguous elements (y may be x): BatchNorm eval with folded running statistics. Picks the widest accelerated vector no longer than n (a JIT-time constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleShift(ref float x, ref float y, nuint n, float s, float t)
    {
        if (Vector512.IsHardwareAccelerated && n >= 16)
            ScaleShift512(ref x, ref y, n, s, t);
        else if (Vector256.IsHardwareAccelerated && n >= 8)
            ScaleShift256(ref x, ref y, n, s, t);
        else if (Vector128.IsHardwareAccelerated && n >= 4)
            ScaleShift128(ref x, ref y, n, s, t);
        else
            ScaleShiftScalar(ref x, ref y, n, s, t);
    }

    /// <summary>y[i] = x[i]·s + t over n ≥ 16 elements.</summary>
    private static void ScaleShift512(ref float x, ref float y, nuint n, float s, float t)
    {
        Vector512<float> vs = Vector512.Create(s), vt = Vector512.Create(t);
        // The overlapping last vector first, for in-place calls (see Apply).
        Vector512<float> last = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, n - 16), vs, vt);
        nuint i = 0;
        for (; i + 64 <= n; i += 64)
        {
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i), vs, vt), ref y, i);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 16), vs, vt), ref y, i + 16);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 32), vs, vt), ref y, i + 32);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 48), vs, vt), ref y, i + 48);
        }
        for (; i + 16 <= n; i += 16)
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i), vs, vt), ref y, i);
        Vector512.StoreUnsafe(last, ref y, n - 16);
    }

    /// <summary>y[i] = x[i]·s + t over n ≥ 8 elements.</summary>
    private static void ScaleShift256(ref float x, ref float y, nuint n, float s, float t)
    {
        Vector256<float> vs = Vector256.Create(s), vt = Vector256.Create(t);
        // The overlapping last vector first, for in-place calls (see Apply).
        Vector256<float> last = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, n - 8), vs, vt);
        nuint i = 0;
        for (; i + 32 <= n; i += 32)
        {
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i), vs, vt), ref y, i);
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i + 8), vs, vt), ref y, i + 8);
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i + 16), vs, vt), ref y, i + 16);
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i + 24), vs, vt), ref y, i + 24);
        }
        for (; i + 8 <= n; i += 8)
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i), vs, vt), ref y, i);
        Vector256.StoreUnsafe(last, ref y, n - 8);
    }

    /// <summary>y[i] = x[i]·s + t over n ≥ 4 elements.</summary>
    private static void ScaleShift128(ref float x, ref float y, nuint n, float s, float t)
    {
        Vector128<float> vs = Vector128.Create(s), vt = Vector128.Create(t);
        // The overlapping last vector first, for in-place calls (see Apply).
        Vector128<float> last = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, n - 4), vs, vt);
        nuint i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i), vs, vt), ref y, i);
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i + 4), vs, vt), ref y, i + 4);
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i + 8), vs, vt), ref y, i + 8);
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i + 12), vs, vt), ref y, i + 12);
        }
        for (; i + 4 <= n; i += 4)
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i), vs, vt), ref y, i);
        Vector128.StoreUnsafe(last, ref y, n - 4);
    }

    private static void ScaleShiftScalar(ref float x, ref float y, nuint n, float s, float t)
    {
        for (nuint i = 0; i < n; i++)
            Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i) * s + t;
    }

    /// <summary>y[i] = x[i]·s[i] + t[i] over n contiguous elements (y may be x): one sample of an (N, C) BatchNorm eval. Picks the widest accelerated vector no longer than n (a JIT-time constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleShiftChannels(ref float x, ref float y, nuint n, ref float s, ref float t)
    {
        if (Vector512.IsHardwareAccelerated && n >= 16)
            ScaleShiftChannels512(ref x, ref y, n, ref s, ref t);
        else if (Vector256.IsHardwareAccelerated && n >= 8)
            ScaleShiftChannels256(ref x, ref y, n, ref s, ref t);
        else if (Vector128.IsHardwareAccelerated && n >= 4)
            ScaleShiftChannels128(ref x, ref y, n, ref s, ref t);
        else
            ScaleShiftChannelsScalar(ref x, ref y, n, ref s, ref t);
    }

    /// <summary>y[i] = x[i]·s[i] + t[i] over n ≥ 16 elements (one sample of an (N, C) tensor).</summary>
    private static void ScaleShiftChannels512(ref float x, ref float y, nuint n, ref float s, ref float t)
    {
        Vector512<float> last = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, n - 16), Vector512.LoadUnsafe(ref s, n - 16), Vector512.LoadUnsafe(ref t, n - 16));
        nuint i = 0;
        for (; i + 16 <= n; i += 16)
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i), Vector512.LoadUnsafe(ref s, i), Vector512.LoadUnsafe(ref t, i)), ref y, i);
        Vector512.StoreUnsafe(last, ref y, n - 16);
    }

    /// <summary>y[i] = x[i]·s[i] + t[i] over n ≥ 8 elements (one sample of an (N, C) tensor).</summary>
    private static void ScaleShiftChannels256(ref float x, ref float y, nuint n, ref float s, ref float t)
    {
        Vector256<float> last = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, n - 8), Vector256.LoadUnsafe(ref s, n - 8), Vector256.LoadUnsafe(ref t, n - 8));
        nuint i = 0;
        for (; i + 8 <= n; i += 8)
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i), Vector256.LoadUnsafe(ref s, i), Vector256.LoadUnsafe(ref t, i)), ref y, i);
        Vector256.StoreUnsafe(last, ref y, n - 8);
    }

    /// <summary>y[i] = x[i]·s[i] + t[i] over n ≥ 4 elements (one sample of an (N, C) tensor).</summary>
    private static void ScaleShiftChannels128(ref float x, ref float y, nuint n, ref float s, ref float t)
    {
        Vector128<float> last = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, n - 4), Vector128.LoadUnsafe(ref s, n - 4), Vector128.LoadUnsafe(ref t, n - 4));
        nuint i = 0;
        for (; i + 4 <= n; i += 4)
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i), Vector128.LoadUnsafe(ref s, i), Vector128.LoadUnsafe(ref t, i)), ref y, i);
        Vector128.StoreUnsafe(last, ref y, n - 4);
    }

    private static void ScaleShiftChannelsScalar(ref float x, ref float y, nuint n, ref float s, ref float t)
    {
        for (nuint i = 0; i < n; i++)
            Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i) * Unsafe.Add(ref s, i) + Unsafe.Add(ref t, i);
    }

    /// <summary>
    /// Mean and variance of x·2⁻ᵏ in double (<paramref name="scale"/> = 2⁻ᵏ, 2ᵏ ≥ max|x|) for a block whose squared
    /// deviations overflow float; false when the block holds NaN or ±∞ (its result stays NaN, as on the common path).
    /// </summary>
    public static bool HugeStatistics(ref float x, nint blocks, nint length, nint blockStride, out double scale, out double mean, out double variance)
    {
        double max = 0d;
        for (nint b = 0; b < blocks; b++)
            for (nint i = 0; i < length; i++)
                max = Math.Max(max, Math.Abs((double)Unsafe.Add(ref x, b * blockStride + i)));
        scale = mean = variance = 0d;
        if (!double.IsFinite(max)) return false; // Math.Max propagates NaN
        scale = Math.ScaleB(1d, -Math.ILogB(max) - 1);
        double count = (double)blocks * length, sum = 0d, sumSq = 0d;
        for (nint b = 0; b < blocks; b++)
            for (nint i = 0; i < length; i++)
                sum += (double)Unsafe.Add(ref x, b * blockStride + i) * scale;
        mean = sum / count;
        for (nint b = 0; b < blocks; b++)
            for (nint i = 0; i < length; i++)
            {
                double d = (double)Unsafe.Add(ref x, b * blockStride + i) * scale - mean;
                sumSq += d * d;
            }
        variance = sumSq / count;
        return true;
    }

    /// <summary>y = (x·scale − mean)·a + b in double over <paramref name="length"/> contiguous elements (the huge-block fallback).</summary>
    public static void HugeApply(ref float x, ref float y, nint length, double scale, double mean, double a, double b)
    {
        for (nint i = 0; i < length; i++)
            Unsafe.Add(ref y, i) = (float)(((double)Unsafe.Add(ref x, i) * scale - mean) * a + b);
    }

    // ================================================================ double

    /// <summary>Σ (x[i] − shift) over n contiguous elements: the first pass of the shifted two-pass statistics. Picks the widest accelerated vector no longer than n (a JIT-time constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumShifted(ref double x, nuint n, double shift)
    {
        if (Vector512.IsHardwareAccelerated && n >= 8)
            return SumShifted512(ref x, n, shift);
        else if (Vector256.IsHardwareAccelerated && n >= 4)
            return SumShifted256(ref x, n, shift);
        else if (Vector128.IsHardwareAccelerated && n >= 2)
            return SumShifted128(ref x, n, shift);
        return SumShiftedScalar(ref x, n, shift);
    }

    /// <summary>Σ (x[i] − shift) over n ≥ 8 elements; four accumulators hide the add latency.</summary>
    private static double SumShifted512(ref double x, nuint n, double shift)
    {
        Vector512<double> k = Vector512.Create(shift);
        Vector512<double> s0 = Vector512<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
        nuint i = 0;
        for (; i + 32 <= n; i += 32)
        {
            s0 += Vector512.LoadUnsafe(ref x, i) - k;
            s1 += Vector512.LoadUnsafe(ref x, i + 8) - k;
            s2 += Vector512.LoadUnsafe(ref x, i + 16) - k;
            s3 += Vector512.LoadUnsafe(ref x, i + 24) - k;
        }
        for (; i + 8 <= n; i += 8)
            s0 += Vector512.LoadUnsafe(ref x, i) - k;
        if (i < n)
            s1 += Vector512.ConditionalSelect(Tail512<double>(n - i), Vector512.LoadUnsafe(ref x, n - 8) - k, Vector512<double>.Zero);
        return Vector512.Sum((s0 + s1) + (s2 + s3));
    }

    /// <summary>Σ (x[i] − shift) over n ≥ 4 elements; four accumulators hide the add latency.</summary>
    private static double SumShifted256(ref double x, nuint n, double shift)
    {
        Vector256<double> k = Vector256.Create(shift);
        Vector256<double> s0 = Vector256<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
        nuint i = 0;
        for (; i + 16 <= n; i += 16)
        {
            s0 += Vector256.LoadUnsafe(ref x, i) - k;
            s1 += Vector256.LoadUnsafe(ref x, i + 4) - k;
            s2 += Vector256.LoadUnsafe(ref x, i + 8) - k;
            s3 += Vector256.LoadUnsafe(ref x, i + 12) - k;
        }
        for (; i + 4 <= n; i += 4)
            s0 += Vector256.LoadUnsafe(ref x, i) - k;
        if (i < n)
            s1 += Vector256.ConditionalSelect(Tail256<double>(n - i), Vector256.LoadUnsafe(ref x, n - 4) - k, Vector256<double>.Zero);
        return Vector256.Sum((s0 + s1) + (s2 + s3));
    }

    /// <summary>Σ (x[i] − shift) over n ≥ 2 elements; four accumulators hide the add latency.</summary>
    private static double SumShifted128(ref double x, nuint n, double shift)
    {
        Vector128<double> k = Vector128.Create(shift);
        Vector128<double> s0 = Vector128<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
        nuint i = 0;
        for (; i + 8 <= n; i += 8)
        {
            s0 += Vector128.LoadUnsafe(ref x, i) - k;
            s1 += Vector128.LoadUnsafe(ref x, i + 2) - k;
            s2 += Vector128.LoadUnsafe(ref x, i + 4) - k;
            s3 += Vector128.LoadUnsafe(ref x, i + 6) - k;
        }
        for (; i + 2 <= n; i += 2)
            s0 += Vector128.LoadUnsafe(ref x, i) - k;
        if (i < n)
            s1 += Vector128.ConditionalSelect(Tail128<double>(n - i), Vector128.LoadUnsafe(ref x, n - 2) - k, Vector128<double>.Zero);
        return Vector128.Sum((s0 + s1) + (s2 + s3));
    }

    private static double SumShiftedScalar(ref double x, nuint n, double shift)
    {
        double sum = 0d;
        for (nuint i = 0; i < n; i++)
            sum += Unsafe.Add(ref x, i) - shift;
        return sum;
    }

    /// <summary>
    /// Both statistics passes over one block of n contiguous elements: offset = Σ(x − shift) / count, then Σd and Σd²
    /// with d = (x − shift) − offset. Bitwise <see cref="SumShifted(ref double, nuint, double)"/> then
    /// <see cref="SumDeviations(ref double, nuint, double, double, out double, out double)"/>: the same vectors, accumulators and order. A small
    /// block (one to four 512-bit vectors, the tail overlapping) is loaded once and stays in registers for both passes,
    /// without the calls, the second tail mask and the reloads that dominate at a few dozen elements.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Moments(ref double x, nuint n, double shift, double count, out double offset, out double sumDev, out double sumSq)
    {
        if (Vector512.IsHardwareAccelerated && n >= 8 && n < 32)
        {
            SmallMoments512(ref x, n, shift, count, out offset, out sumDev, out sumSq);
            return;
        }
        offset = SumShifted(ref x, n, shift) / count;
        SumDeviations(ref x, n, shift, offset, out sumDev, out sumSq);
    }


    /// <summary>Σd and Σd² with d = (x[i] − shift) − offset over n contiguous elements: the second pass (corrected two-pass variance). Picks the widest accelerated vector no longer than n (a JIT-time constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SumDeviations(ref double x, nuint n, double shift, double offset, out double sumDev, out double sumSq)
    {
        if (Vector512.IsHardwareAccelerated && n >= 8)
            SumDeviations512(ref x, n, shift, offset, out sumDev, out sumSq);
        else if (Vector256.IsHardwareAccelerated && n >= 4)
            SumDeviations256(ref x, n, shift, offset, out sumDev, out sumSq);
        else if (Vector128.IsHardwareAccelerated && n >= 2)
            SumDeviations128(ref x, n, shift, offset, out sumDev, out sumSq);
        else
            SumDeviationsScalar(ref x, n, shift, offset, out sumDev, out sumSq);
    }

    /// <summary>Σd and Σd² with d = (x[i] − shift) − offset, over n ≥ 8 elements.</summary>
    private static void SumDeviations512(ref double x, nuint n, double shift, double offset, out double sumDev, out double sumSq)
    {
        Vector512<double> k = Vector512.Create(shift), m = Vector512.Create(offset);
        Vector512<double> q0 = Vector512<double>.Zero, q1 = q0, q2 = q0, q3 = q0, c0 = q0, c1 = q0;
        nuint i = 0;
        for (; i + 32 <= n; i += 32)
        {
            Vector512<double> d0 = Vector512.LoadUnsafe(ref x, i) - k - m;
            Vector512<double> d1 = Vector512.LoadUnsafe(ref x, i + 8) - k - m;
            Vector512<double> d2 = Vector512.LoadUnsafe(ref x, i + 16) - k - m;
            Vector512<double> d3 = Vector512.LoadUnsafe(ref x, i + 24) - k - m;
            q0 = Vector512.MultiplyAddEstimate(d0, d0, q0);
            q1 = Vector512.MultiplyAddEstimate(d1, d1, q1);
            q2 = Vector512.MultiplyAddEstimate(d2, d2, q2);
            q3 = Vector512.MultiplyAddEstimate(d3, d3, q3);
            c0 += d0 + d1;
            c1 += d2 + d3;
        }
        for (; i + 8 <= n; i += 8)
        {
            Vector512<double> d = Vector512.LoadUnsafe(ref x, i) - k - m;
            q0 = Vector512.MultiplyAddEstimate(d, d, q0);
            c0 += d;
        }
        if (i < n)
        {
            Vector512<double> d = Vector512.ConditionalSelect(Tail512<double>(n - i), Vector512.LoadUnsafe(ref x, n - 8) - k - m, Vector512<double>.Zero);
            q1 = Vector512.MultiplyAddEstimate(d, d, q1);
            c1 += d;
        }
        sumDev = Vector512.Sum(c0 + c1);
        sumSq = Vector512.Sum((q0 + q1) + (q2 + q3));
    }

    /// <summary>Σd and Σd² with d = (x[i] − shift) − offset, over n ≥ 4 elements.</summary>
    private static void SumDeviations256(ref double x, nuint n, double shift, double offset, out double sumDev, out double sumSq)
    {
        Vector256<double> k = Vector256.Create(shift), m = Vector256.Create(offset);
        Vector256<double> q0 = Vector256<double>.Zero, q1 = q0, q2 = q0, q3 = q0, c0 = q0, c1 = q0;
        nuint i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector256<double> d0 = Vector256.LoadUnsafe(ref x, i) - k - m;
            Vector256<double> d1 = Vector256.LoadUnsafe(ref x, i + 4) - k - m;
            Vector256<double> d2 = Vector256.LoadUnsafe(ref x, i + 8) - k - m;
            Vector256<double> d3 = Vector256.LoadUnsafe(ref x, i + 12) - k - m;
            q0 = Vector256.MultiplyAddEstimate(d0, d0, q0);
            q1 = Vector256.MultiplyAddEstimate(d1, d1, q1);
            q2 = Vector256.MultiplyAddEstimate(d2, d2, q2);
            q3 = Vector256.MultiplyAddEstimate(d3, d3, q3);
            c0 += d0 + d1;
            c1 += d2 + d3;
        }
        for (; i + 4 <= n; i += 4)
        {
            Vector256<double> d = Vector256.LoadUnsafe(ref x, i) - k - m;
            q0 = Vector256.MultiplyAddEstimate(d, d, q0);
            c0 += d;
        }
        if (i < n)
        {
            Vector256<double> d = Vector256.ConditionalSelect(Tail256<double>(n - i), Vector256.LoadUnsafe(ref x, n - 4) - k - m, Vector256<double>.Zero);
            q1 = Vector256.MultiplyAddEstimate(d, d, q1);
            c1 += d;
        }
        sumDev = Vector256.Sum(c0 + c1);
        sumSq = Vector256.Sum((q0 + q1) + (q2 + q3));
    }

    /// <summary>Σd and Σd² with d = (x[i] − shift) − offset, over n ≥ 2 elements.</summary>
    private static void SumDeviations128(ref double x, nuint n, double shift, double offset, out double sumDev, out double sumSq)
    {
        Vector128<double> k = Vector128.Create(shift), m = Vector128.Create(offset);
        Vector128<double> q0 = Vector128<double>.Zero, q1 = q0, q2 = q0, q3 = q0, c0 = q0, c1 = q0;
        nuint i = 0;
        for (; i + 8 <= n; i += 8)
        {
            Vector128<double> d0 = Vector128.LoadUnsafe(ref x, i) - k - m;
            Vector128<double> d1 = Vector128.LoadUnsafe(ref x, i + 2) - k - m;
            Vector128<double> d2 = Vector128.LoadUnsafe(ref x, i + 4) - k - m;
            Vector128<double> d3 = Vector128.LoadUnsafe(ref x, i + 6) - k - m;
            q0 = Vector128.MultiplyAddEstimate(d0, d0, q0);
            q1 = Vector128.MultiplyAddEstimate(d1, d1, q1);
            q2 = Vector128.MultiplyAddEstimate(d2, d2, q2);
            q3 = Vector128.MultiplyAddEstimate(d3, d3, q3);
            c0 += d0 + d1;
            c1 += d2 + d3;
        }
        for (; i + 2 <= n; i += 2)
        {
            Vector128<double> d = Vector128.LoadUnsafe(ref x, i) - k - m;
            q0 = Vector128.MultiplyAddEstimate(d, d, q0);
            c0 += d;
        }
        if (i < n)
        {
            Vector128<double> d = Vector128.ConditionalSelect(Tail128<double>(n - i), Vector128.LoadUnsafe(ref x, n - 2) - k - m, Vector128<double>.Zero);
            q1 = Vector128.MultiplyAddEstimate(d, d, q1);
            c1 += d;
        }
        sumDev = Vector128.Sum(c0 + c1);
        sumSq = Vector128.Sum((q0 + q1) + (q2 + q3));
    }

    private static void SumDeviationsScalar(ref double x, nuint n, double shift, double offset, out double sumDev, out double sumSq)
    {
        sumDev = 0d;
        sumSq = 0d;
        for (nuint i = 0; i < n; i++)
        {
            double d = Unsafe.Add(ref x, i) - shift - offset;
            sumDev += d;
            sumSq += d * d;
        }
    }

    /// <summary>y[i] = ((x[i] − shift) − offset)·a + b over n contiguous elements (y may be x): the normalizing pass, a = rstd·γ, b = β. Picks the widest accelerated vector no longer than n (a JIT-time constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Apply(ref double x, ref double y, nuint n, double shift, double offset, double a, double b)
    {
        if (Vector512.IsHardwareAccelerated && n >= 8)
            Apply512(ref x, ref y, n, shift, offset, a, b);
        else if (Vector256.IsHardwareAccelerated && n >= 4)
            Apply256(ref x, ref y, n, shift, offset, a, b);
        else if (Vector128.IsHardwareAccelerated && n >= 2)
            Apply128(ref x, ref y, n, shift, offset, a, b);
        else
            ApplyScalar(ref x, ref y, n, shift, offset, a, b);
    }

    /// <summary>y[i] = ((x[i] − shift) − offset)·a + b over n ≥ 8 elements: a constant block gives exactly b.</summary>
    private static void Apply512(ref double x, ref double y, nuint n, double shift, double offset, double a, double b)
    {
        Vector512<double> k = Vector512.Create(shift), m = Vector512.Create(offset), va = Vector512.Create(a), vb = Vector512.Create(b);
        // The overlapping last vector is computed first, so an in-place call (y is x) reads it before the loop
        // overwrites its first lanes.
        Vector512<double> last = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, n - 8) - k - m, va, vb);
        nuint i = 0;
        for (; i + 32 <= n; i += 32)
        {
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i) - k - m, va, vb), ref y, i);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 8) - k - m, va, vb), ref y, i + 8);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 16) - k - m, va, vb), ref y, i + 16);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 24) - k - m, va, vb), ref y, i + 24);
        }
        for (; i + 8 <= n; i += 8)
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i) - k - m, va, vb), ref y, i);
        Vector512.StoreUnsafe(last, ref y, n - 8);
    }

    /// <summary>y[i] = ((x[i] − shift) − offset)·a + b over n ≥ 4 elements: a constant block gives exactly b.</summary>
    private static void Apply256(ref double x, ref double y, nuint n, double shift, double offset, double a, double b)
    {
        Vector256<double> k = Vector256.Create(shift), m = Vector256.Create(offset), va = Vector256.Create(a), vb = Vector256.Create(b);
        // The overlapping last vector is computed first, so an in-place call (y is x) reads it before the loop
        // overwrites its first lanes.
        Vector256<double> last = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, n - 4) - k - m, va, vb);
        nuint i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i) - k - m, va, vb), ref y, i);
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i + 4) - k - m, va, vb), ref y, i + 4);
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i + 8) - k - m, va, vb), ref y, i + 8);
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i + 12) - k - m, va, vb), ref y, i + 12);
        }
        for (; i + 4 <= n; i += 4)
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i) - k - m, va, vb), ref y, i);
        Vector256.StoreUnsafe(last, ref y, n - 4);
    }

    /// <summary>y[i] = ((x[i] − shift) − offset)·a + b over n ≥ 2 elements: a constant block gives exactly b.</summary>
    private static void Apply128(ref double x, ref double y, nuint n, double shift, double offset, double a, double b)
    {
        Vector128<double> k = Vector128.Create(shift), m = Vector128.Create(offset), va = Vector128.Create(a), vb = Vector128.Create(b);
        // The overlapping last vector is computed first, so an in-place call (y is x) reads it before the loop
        // overwrites its first lanes.
        Vector128<double> last = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, n - 2) - k - m, va, vb);
        nuint i = 0;
        for (; i + 8 <= n; i += 8)
        {
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i) - k - m, va, vb), ref y, i);
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i + 2) - k - m, va, vb), ref y, i + 2);
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i + 4) - k - m, va, vb), ref y, i + 4);
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i + 6) - k - m, va, vb), ref y, i + 6);
        }
        for (; i + 2 <= n; i += 2)
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i) - k - m, va, vb), ref y, i);
        Vector128.StoreUnsafe(last, ref y, n - 2);
    }

    private static void ApplyScalar(ref double x, ref double y, nuint n, double shift, double offset, double a, double b)
    {
        for (nuint i = 0; i < n; i++)
            Unsafe.Add(ref y, i) = (Unsafe.Add(ref x, i) - shift - offset) * a + b;
    }

    /// <summary>y[i] = x[i]·s + t over n contiguous elements (y may be x): BatchNorm eval with folded running statistics. Picks the widest accelerated vector no longer than n (a JIT-time constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleShift(ref double x, ref double y, nuint n, double s, double t)
    {
        if (Vector512.IsHardwareAccelerated && n >= 8)
            ScaleShift512(ref x, ref y, n, s, t);
        else if (Vector256.IsHardwareAccelerated && n >= 4)
            ScaleShift256(ref x, ref y, n, s, t);
        else if (Vector128.IsHardwareAccelerated && n >= 2)
            ScaleShift128(ref x, ref y, n, s, t);
        else
            ScaleShiftScalar(ref x, ref y, n, s, t);
    }

    /// <summary>y[i] = x[i]·s + t over n ≥ 8 elements.</summary>
    private static void ScaleShift512(ref double x, ref double y, nuint n, double s, double t)
    {
        Vector512<double> vs = Vector512.Create(s), vt = Vector512.Create(t);
        // The overlapping last vector first, for in-place calls (see Apply).
        Vector512<double> last = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, n - 8), vs, vt);
        nuint i = 0;
        for (; i + 32 <= n; i += 32)
        {
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i), vs, vt), ref y, i);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 8), vs, vt), ref y, i + 8);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 16), vs, vt), ref y, i + 16);
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i + 24), vs, vt), ref y, i + 24);
        }
        for (; i + 8 <= n; i += 8)
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i), vs, vt), ref y, i);
        Vector512.StoreUnsafe(last, ref y, n - 8);
    }

    /// <summary>y[i] = x[i]·s + t over n ≥ 4 elements.</summary>
    private static void ScaleShift256(ref double x, ref double y, nuint n, double s, double t)
    {
        Vector256<double> vs = Vector256.Create(s), vt = Vector256.Create(t);
        // The overlapping last vector first, for in-place calls (see Apply).
        Vector256<double> last = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, n - 4), vs, vt);
        nuint i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i), vs, vt), ref y, i);
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i + 4), vs, vt), ref y, i + 4);
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i + 8), vs, vt), ref y, i + 8);
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i + 12), vs, vt), ref y, i + 12);
        }
        for (; i + 4 <= n; i += 4)
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i), vs, vt), ref y, i);
        Vector256.StoreUnsafe(last, ref y, n - 4);
    }

    /// <summary>y[i] = x[i]·s + t over n ≥ 2 elements.</summary>
    private static void ScaleShift128(ref double x, ref double y, nuint n, double s, double t)
    {
        Vector128<double> vs = Vector128.Create(s), vt = Vector128.Create(t);
        // The overlapping last vector first, for in-place calls (see Apply).
        Vector128<double> last = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, n - 2), vs, vt);
        nuint i = 0;
        for (; i + 8 <= n; i += 8)
        {
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i), vs, vt), ref y, i);
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i + 2), vs, vt), ref y, i + 2);
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i + 4), vs, vt), ref y, i + 4);
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i + 6), vs, vt), ref y, i + 6);
        }
        for (; i + 2 <= n; i += 2)
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i), vs, vt), ref y, i);
        Vector128.StoreUnsafe(last, ref y, n - 2);
    }

    private static void ScaleShiftScalar(ref double x, ref double y, nuint n, double s, double t)
    {
        for (nuint i = 0; i < n; i++)
            Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i) * s + t;
    }

    /// <summary>y[i] = x[i]·s[i] + t[i] over n contiguous elements (y may be x): one sample of an (N, C) BatchNorm eval. Picks the widest accelerated vector no longer than n (a JIT-time constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleShiftChannels(ref double x, ref double y, nuint n, ref double s, ref double t)
    {
        if (Vector512.IsHardwareAccelerated && n >= 8)
            ScaleShiftChannels512(ref x, ref y, n, ref s, ref t);
        else if (Vector256.IsHardwareAccelerated && n >= 4)
            ScaleShiftChannels256(ref x, ref y, n, ref s, ref t);
        else if (Vector128.IsHardwareAccelerated && n >= 2)
            ScaleShiftChannels128(ref x, ref y, n, ref s, ref t);
        else
            ScaleShiftChannelsScalar(ref x, ref y, n, ref s, ref t);
    }

    /// <summary>y[i] = x[i]·s[i] + t[i] over n ≥ 8 elements (one sample of an (N, C) tensor).</summary>
    private static void ScaleShiftChannels512(ref double x, ref double y, nuint n, ref double s, ref double t)
    {
        Vector512<double> last = Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, n - 8), Vector512.LoadUnsafe(ref s, n - 8), Vector512.LoadUnsafe(ref t, n - 8));
        nuint i = 0;
        for (; i + 8 <= n; i += 8)
            Vector512.StoreUnsafe(Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref x, i), Vector512.LoadUnsafe(ref s, i), Vector512.LoadUnsafe(ref t, i)), ref y, i);
        Vector512.StoreUnsafe(last, ref y, n - 8);
    }

    /// <summary>y[i] = x[i]·s[i] + t[i] over n ≥ 4 elements (one sample of an (N, C) tensor).</summary>
    private static void ScaleShiftChannels256(ref double x, ref double y, nuint n, ref double s, ref double t)
    {
        Vector256<double> last = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, n - 4), Vector256.LoadUnsafe(ref s, n - 4), Vector256.LoadUnsafe(ref t, n - 4));
        nuint i = 0;
        for (; i + 4 <= n; i += 4)
            Vector256.StoreUnsafe(Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref x, i), Vector256.LoadUnsafe(ref s, i), Vector256.LoadUnsafe(ref t, i)), ref y, i);
        Vector256.StoreUnsafe(last, ref y, n - 4);
    }

    /// <summary>y[i] = x[i]·s[i] + t[i] over n ≥ 2 elements (one sample of an (N, C) tensor).</summary>
    private static void ScaleShiftChannels128(ref double x, ref double y, nuint n, ref double s, ref double t)
    {
        Vector128<double> last = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, n - 2), Vector128.LoadUnsafe(ref s, n - 2), Vector128.LoadUnsafe(ref t, n - 2));
        nuint i = 0;
        for (; i + 2 <= n; i += 2)
            Vector128.StoreUnsafe(Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref x, i), Vector128.LoadUnsafe(ref s, i), Vector128.LoadUnsafe(ref t, i)), ref y, i);
        Vector128.StoreUnsafe(last, ref y, n - 2);
    }

    private static void ScaleShiftChannelsScalar(ref double x, ref double y, nuint n, ref double s, ref double t)
    {
        for (nuint i = 0; i < n; i++)
            Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i) * Unsafe.Add(ref s, i) + Unsafe.Add(ref t, i);
    }

    /// <summary>
    /// Mean and variance of x·2⁻ᵏ in double (<paramref name="scale"/> = 2⁻ᵏ, 2ᵏ ≥ max|x|) for a block whose squared
    /// deviations overflow double; false when the block holds NaN or ±∞ (its result stays NaN, as on the common path).
    /// </summary>
    public static bool HugeStatistics(ref double x, nint blocks, nint length, nint blockStride, out double scale, out double mean, out double variance)
    {
        double max = 0d;
        for (nint b = 0; b < blocks; b++)
            for (nint i = 0; i < length; i++)
                max = Math.Max(max, Math.Abs((double)Unsafe.Add(ref x, b * blockStride + i)));
        scale = mean = variance = 0d;
        if (!double.IsFinite(max)) return false; // Math.Max propagates NaN
        scale = Math.ScaleB(1d, -Math.ILogB(max) - 1);
        double count = (double)blocks * length, sum = 0d, sumSq = 0d;
        for (nint b = 0; b < blocks; b++)
            for (nint i = 0; i < length; i++)
                sum += (double)Unsafe.Add(ref x, b * blockStride + i) * scale;
        mean = sum / count;
        for (nint b = 0; b < blocks; b++)
            for (nint i = 0; i < length; i++)
            {
                double d = (double)Unsafe.Add(ref x, b * blockStride + i) * scale - mean;
                sumSq += d * d;
            }
        variance = sumSq / count;
        return true;
    }

    /// <summary>y = (x·scale − mean)·a + b in double over <paramref name="length"/> contiguous elements (the huge-block fallback).</summary>
    public static void HugeApply(ref double x, ref double y, nint length, double scale, double mean, double a, double b)
    {
        for (nint i = 0; i < length; i++)
            Unsafe.Add(ref y, i) = (double)(((double)Unsafe.Add(ref x, i) * scale - mean) * a + b);
    }
}
