using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NormGen;

/// <summary>
/// Argument checks called by generated kernels before they touch any memory. Each failure throws an
/// <see cref="ArgumentException"/> whose <see cref="ArgumentException.ParamName"/> is the user's parameter name.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class NormGuard
{
    // The checks below run on every call of every kernel, so they are inlined into the generated entry point and their
    // throws live in NoInlining helpers: a throw built inline (an interpolated message) would bring its string-builder
    // locals into the kernel's frame, which the prologue then zeroes on every call, and would spill the spans around it.
    // With a compile-time row length the division below becomes a multiply by a constant.

    /// <summary>Returns <paramref name="length"/> / <paramref name="rowLength"/>, or throws if the length is not a whole number of rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RowCount(int length, int rowLength, string paramName)
    {
        if (rowLength <= 0)
            ThrowRowLengthNotPositive(rowLength, paramName);
        int rows = length / rowLength;
        if (rows * rowLength != length) // one division; lengths are never negative, so this is length % rowLength != 0
            ThrowNotWholeRows(length, rowLength, paramName);
        return rows;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowRowLengthNotPositive(int rowLength, string paramName) =>
        throw new ArgumentOutOfRangeException(paramName, rowLength, $"The row length must be positive, but is {rowLength}.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotWholeRows(int length, int rowLength, string paramName) =>
        throw new ArgumentException($"'{paramName}' has {length} elements, which is not a whole number of rows of {rowLength} elements.", paramName);

    /// <summary>Throws unless <paramref name="actual"/> equals <paramref name="expected"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Length(int actual, int expected, string paramName, string what)
    {
        if (actual != expected)
            ThrowLength(actual, expected, paramName, what);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLength(int actual, int expected, string paramName, string what) =>
        throw new ArgumentException($"'{paramName}' must have {expected} elements ({what}), but has {actual}.", paramName);

    /// <summary>Throws if <paramref name="output"/> overlaps <paramref name="input"/> without starting at the same address (in-place is allowed, shifted overlap is not).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // a few instructions on the hot path; the throw is out of line
    public static void NoPartialOverlap<TIn, TOut>(ReadOnlySpan<TIn> input, Span<TOut> output, string inputName, string outputName)
    {
        if (input.IsEmpty || output.IsEmpty) return;
        ref byte i0 = ref Unsafe.As<TIn, byte>(ref MemoryMarshal.GetReference(input));
        ref byte o0 = ref Unsafe.As<TOut, byte>(ref MemoryMarshal.GetReference(output));
        if (Unsafe.AreSame(ref i0, ref o0) && Unsafe.SizeOf<TIn>() == Unsafe.SizeOf<TOut>()) return;
        nint inBytes = (nint)input.Length * Unsafe.SizeOf<TIn>();
        nint outBytes = (nint)output.Length * Unsafe.SizeOf<TOut>();
        nint offset = Unsafe.ByteOffset(ref i0, ref o0);
        if (offset < inBytes && -offset < outBytes)
            ThrowPartialOverlap(inputName, outputName);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowPartialOverlap(string inputName, string outputName) =>
        throw new ArgumentException($"'{outputName}' overlaps '{inputName}' without being the same memory. Pass the same span for in-place use, or buffers that do not overlap.", outputName);

    /// <summary>
    /// Throws if <paramref name="output"/> shares any memory with <paramref name="input"/>, the same start included: for
    /// an input that is read while the output is written (γ, β, a bias, running statistics, a statistic over x), where
    /// no aliasing is safe. One range test, no allocation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void NoOverlapWithInput<TIn, TOut>(ReadOnlySpan<TIn> input, Span<TOut> output, string inputName, string outputName)
    {
        if (input.IsEmpty || output.IsEmpty) return;
        nint inBytes = (nint)input.Length * Unsafe.SizeOf<TIn>();
        nint outBytes = (nint)output.Length * Unsafe.SizeOf<TOut>();
        nint offset = Unsafe.ByteOffset(ref Unsafe.As<TIn, byte>(ref MemoryMarshal.GetReference(input)), ref Unsafe.As<TOut, byte>(ref MemoryMarshal.GetReference(output)));
        if (offset < inBytes && -offset < outBytes)
            ThrowOverlapWithInput(inputName, outputName);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOverlapWithInput(string inputName, string outputName) =>
        throw new ArgumentException($"'{outputName}' overlaps '{inputName}', which is still read while '{outputName}' is written; pass buffers that do not overlap.", outputName);

    /// <summary>Throws if the two outputs share any memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void NoOverlap<TA, TB>(Span<TA> a, Span<TB> b, string aName, string bName)
    {
        if (a.IsEmpty || b.IsEmpty) return;
        nint aBytes = (nint)a.Length * Unsafe.SizeOf<TA>();
        nint bBytes = (nint)b.Length * Unsafe.SizeOf<TB>();
        nint offset = Unsafe.ByteOffset(ref Unsafe.As<TA, byte>(ref MemoryMarshal.GetReference(a)), ref Unsafe.As<TB, byte>(ref MemoryMarshal.GetReference(b)));
        if (offset < aBytes && -offset < bBytes)
            ThrowOutputsOverlap(aName, bName);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOutputsOverlap(string aName, string bName) =>
        throw new ArgumentException($"'{bName}' overlaps '{aName}'; the two outputs must be separate buffers.", bName);

    /// <summary>Returns the elements of a dense tensor span as a flat span, or throws if it is strided or broadcast.</summary>
    public static ReadOnlySpan<T> Dense<T>(in ReadOnlyTensorSpan<T> tensor, string paramName)
    {
        if (tensor.IsEmpty) return default;
        if (!tensor.IsDense)
            throw new ArgumentException($"'{paramName}' must be dense (contiguous, row-major, not broadcast). Copy it into a dense tensor first.", paramName);
        return MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in tensor.GetPinnableReference()), checked((int)tensor.FlattenedLength));
    }

    /// <summary>Returns the elements of a dense tensor span as a flat span, or throws if it is strided or broadcast.</summary>
    public static Span<T> Dense<T>(in TensorSpan<T> tensor, string paramName)
    {
        if (tensor.IsEmpty) return default;
        if (!tensor.IsDense)
            throw new ArgumentException($"'{paramName}' must be dense (contiguous, row-major, not broadcast). Copy it into a dense tensor first.", paramName);
        return MemoryMarshal.CreateSpan(ref tensor.GetPinnableReference(), checked((int)tensor.FlattenedLength));
    }

    /// <summary>
    /// For a tensor whose trailing <paramref name="axes"/> axes are normalized, returns the number of rows and sets
    /// <paramref name="rowLength"/> to the product of the normalized axes.
    /// </summary>
    public static int Rows(ReadOnlySpan<nint> lengths, int axes, out int rowLength, string paramName)
    {
        if (lengths.Length < axes)
            throw new ArgumentException($"'{paramName}' has rank {lengths.Length}, but {axes} trailing axes are normalized.", paramName);
        long row = 1, rows = 1;
        for (int i = 0; i < lengths.Length; i++)
        {
            if (i >= lengths.Length - axes) row *= lengths[i];
            else rows *= lengths[i];
            if (row > int.MaxValue || rows > int.MaxValue)
                throw new ArgumentException($"'{paramName}' is too large: rows and row length must each fit in an int.", paramName);
        }
        if (row == 0 && rows != 0)
            throw new ArgumentException($"'{paramName}' has an empty normalized axis; a row must hold at least one element.", paramName);
        rowLength = (int)row;
        return (int)rows;
    }

    /// <summary>Throws unless the trailing lengths of <paramref name="lengths"/> are exactly <paramref name="shape"/>.</summary>
    public static void TrailingShape(ReadOnlySpan<nint> lengths, ReadOnlySpan<int> shape, string paramName)
    {
        bool ok = lengths.Length >= shape.Length;
        for (int i = 0; ok && i < shape.Length; i++)
            ok = lengths[lengths.Length - shape.Length + i] == shape[i];
        if (!ok)
            throw new ArgumentException($"The trailing axes of '{paramName}' are [{string.Join(", ", lengths.ToArray())}], which does not end with the normalized shape [{string.Join(", ", shape.ToArray())}].", paramName);
    }

    /// <summary>Throws unless the two tensor shapes are identical.</summary>
    public static void SameShape(ReadOnlySpan<nint> expected, ReadOnlySpan<nint> actual, string expectedName, string paramName)
    {
        if (!expected.SequenceEqual(actual))
            throw new ArgumentException($"'{paramName}' has shape [{string.Join(", ", actual.ToArray())}] but must have the shape of '{expectedName}', [{string.Join(", ", expected.ToArray())}].", paramName);
    }
    /// <summary>
    /// Reads an (N, C, *) layout: <paramref name="batch"/> = N, <paramref name="channels"/> = C and
    /// <paramref name="spatial"/> = the product of the remaining axes (1 when there are none). Throws unless the rank
    /// is at least 2 and each of the three fits in an int.
    /// </summary>
    public static void ChannelLayout(ReadOnlySpan<nint> lengths, string paramName, out int batch, out int channels, out int spatial)
    {
        if (lengths.Length < 2)
            throw new ArgumentException($"'{paramName}' has rank {lengths.Length}, but an (N, C, *) tensor of rank 2 or more is expected.", paramName);
        long s = 1;
        for (int i = 2; i < lengths.Length; i++)
        {
            s *= lengths[i];
            if (s > int.MaxValue) break;
        }
        if (lengths[0] > int.MaxValue || lengths[1] > int.MaxValue || s > int.MaxValue || (long)lengths[1] * s > int.MaxValue)
            throw new ArgumentException($"'{paramName}' is too large: one sample (C × spatial) must fit in an int.", paramName);
        batch = (int)lengths[0];
        channels = (int)lengths[1];
        spatial = (int)s;
    }

    /// <summary>
    /// Reads a (samples, features, …) layout: axis 0 holds the samples, the product of the other axes the features.
    /// Throws unless the rank is at least 2 and both fit in an int.
    /// </summary>
    public static void SampleLayout(ReadOnlySpan<nint> lengths, string paramName, out int samples, out int features)
    {
        if (lengths.Length < 2)
            throw new ArgumentException($"'{paramName}' has rank {lengths.Length}, but a (samples, features) tensor of rank 2 or more is expected.", paramName);
        long f = 1;
        for (int i = 1; i < lengths.Length; i++)
        {
            f *= lengths[i];
            if (f > int.MaxValue) break;
        }
        if (lengths[0] > int.MaxValue || f > int.MaxValue)
            throw new ArgumentException($"'{paramName}' is too large: samples and features must each fit in an int.", paramName);
        samples = (int)lengths[0];
        features = (int)f;
    }

    /// <summary>Throws unless <paramref name="channels"/> is a multiple of <paramref name="groups"/> (GroupNorm).</summary>
    public static void ChannelsDivisible(int channels, int groups, string paramName)
    {
        if (channels % groups != 0)
            throw new ArgumentException($"'{paramName}' has {channels} channels, which is not a multiple of the {groups} groups.", paramName);
    }

    /// <summary>Throws unless a training batch has more than one value per channel (N × spatial &gt; 1), as PyTorch requires.</summary>
    public static void MoreThanOneValuePerChannel(int batch, int spatial, int channels, string paramName)
    {
        if (channels > 0 && (long)batch * spatial <= 1)
            throw new ArgumentException($"'{paramName}' holds {(long)batch * spatial} value(s) per channel; BatchNorm training needs more than one to estimate a variance.", paramName);
    }
}
