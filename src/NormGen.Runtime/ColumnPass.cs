using System.Numerics;
using System.Runtime.CompilerServices;

namespace NormGen;

/// <summary>
/// One pass of the shifted two-pass column statistics (Standardize, ChannelLayerNorm): what one row of a vector of
/// columns adds to the pass's sums. The column strips, the row split and the wide-table panel all accumulate through
/// <see cref="Add"/>, so every column gets the same operations in the same order whatever walk its driver takes.
/// </summary>
internal interface IColumnPass<TOps, TV, T>
    where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>How many sums the pass keeps per column: 1 or 2 (the second of <see cref="Add"/>'s sums is unused when 1).</summary>
    static abstract int Sums { get; }

    /// <summary>
    /// Adds the row at <paramref name="at"/> past <paramref name="x"/> to <paramref name="sum0"/> and
    /// <paramref name="sum1"/>, given the shift k (the column's first row) and the mean offset m (pass 2). x is loaded
    /// inside the expression that uses it, so the JIT folds the load into the subtract.
    /// </summary>
    static abstract void Add(ref T x, nuint at, TV k, TV m, ref TV sum0, ref TV sum1);
}

/// <summary>Pass 1: Σ(x − k), one sum (m unused).</summary>
internal readonly struct ShiftedSumPass<TOps, TV, T> : IColumnPass<TOps, TV, T>
    where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Sums => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref T x, nuint at, TV k, TV m, ref TV sum0, ref TV sum1) =>
        sum0 = TOps.Add(sum0, TOps.Subtract(TOps.Load(ref x, at), k));
}

/// <summary>Pass 2 (corrected two-pass): Σd² and Σd, d = (x − k) − m.</summary>
internal readonly struct DeviationsPass<TOps, TV, T> : IColumnPass<TOps, TV, T>
    where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Sums => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ref T x, nuint at, TV k, TV m, ref TV sum0, ref TV sum1)
    {
        TV d = TOps.Subtract(TOps.Subtract(TOps.Load(ref x, at), k), m);
        sum0 = TOps.MultiplyAdd(d, d, sum0);
        sum1 = TOps.Add(sum1, d);
    }
}
