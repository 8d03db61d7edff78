using System;
using System.Runtime.CompilerServices;
using System.Numerics;

namespace NormGen;

public static partial class RowEngine
{
    /// <summary>
    /// The elements of streamed rows (non-temporal stores from each row's first vector boundary) outside their aligned
    /// vectors, when y is off the vector grid (an array's data is rarely on a 64-byte line): a row's elements after its
    /// last aligned vector and the next row's elements before its first share one vector of memory. Each row used to
    /// store its part with cached stores, into a line the other row streams: such a store waits for the line's
    /// write-combining buffer and reads the line back from memory. Now a row's tail is carried (its last vector, the
    /// lanes from <see cref="_from"/> on) and the next row, if it starts where the carried row ends, stores it with its
    /// own head as one aligned non-temporal vector (<see cref="Head"/>); a tail no row takes (the last row of a run, a
    /// next row elsewhere) and a head with nothing carried go with cached whole-vector stores of the same values
    /// (<see cref="Flush"/>). The values stored are the lanes the rows computed, so the output is bitwise the same.
    /// Positions are byte offsets from the call's y (RowRefs.Y), so the state is a plain value the row loops keep.
    /// </summary>
    /// <remarks>
    /// RowAB, the pipeline with non-temporal stores (--pipeline 2 --threshold 0), one process, thread CPU, 7 rounds, best
    /// round, the cached ends' time ÷ the shared vector's (2-core AMD EPYC, Zen 4), x and y 16 or 56 bytes past a line:
    /// LnF 20000×512 1.70–1.95, 10000×1024 1.47–1.48, AddLnNoOutF 4096×1024 1.02–1.12, LnF 2048×8192 1.01; on the line
    /// (nothing shared) 0.86–1.02. Leaving the ends out altogether (wrong output, timing only) had read 0.57–0.74 of the
    /// time for the first two. The pipeline's residual stream out, streamed at y's phase, has its own (AddLnF 10000×512
    /// 1.10–1.14, 4096×1024 1.00–1.05, AddRmsStatsF 4096×1024 1.00–1.08 at 16 or 56 bytes off a line).
    /// </remarks>
    private struct StreamedEnds<TV> where TV : struct
    {
        /// <summary>The carried row's last vector.</summary>
        private TV _carry;

        /// <summary>Where the carried row ends, in bytes from y; −1: nothing carried.</summary>
        private nint _end;

        /// <summary>The first lane of <see cref="_carry"/> not stored yet.</summary>
        private nuint _from;

        /// <summary>Nothing carried.</summary>
        public static StreamedEnds<TV> None => new() { _end = -1 };

        /// <summary>
        /// The elements 0 … <paramref name="head"/> − 1 of the row at <paramref name="y"/> (lanes of its first vector
        /// <paramref name="first"/>): with the carried tail, if it ends there, as one non-temporal vector; else with a
        /// cached store of the whole first vector (after the carried tail's own, <see cref="Flush"/>).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Head<T, TOps>(ref T yBase, ref T y, TV first, nuint head) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IRowOps<TV, T>
        {
            if (head == 0) return;
            if (_end == Unsafe.ByteOffset(ref yBase, ref y) && _from == head)
            {
                TOps.StoreNonTemporal(Shared<T, TOps>(_carry, first, head), ref Unsafe.Subtract(ref y, (nuint)TOps.Count - head));
                _end = -1;
                return;
            }
            Flush<T, TOps>(ref yBase);
            TOps.Store(first, ref y, 0);
        }

        /// <summary>
        /// Carries the elements of the row of <paramref name="n"/> at <paramref name="y"/> from lane
        /// <paramref name="from"/> of its last vector <paramref name="last"/> (at n − L) on, if any (from &lt; L), after
        /// storing a tail still carried (its row's next row started elsewhere).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Tail<T, TOps>(ref T yBase, ref T y, nuint n, TV last, nuint from) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IRowOps<TV, T>
        {
            Flush<T, TOps>(ref yBase);
            if (from >= (nuint)TOps.Count) return;
            _carry = last;
            _from = from;
            _end = Unsafe.ByteOffset(ref yBase, ref Unsafe.Add(ref y, n));
        }

        /// <summary>Stores the carried tail, if any, as a cached store of the carried row's whole last vector.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Flush<T, TOps>(ref T yBase) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IRowOps<TV, T>
        {
            if (_end < 0) return;
            TOps.Store(_carry, ref Unsafe.Subtract(ref Unsafe.AddByteOffset(ref yBase, _end), (nuint)TOps.Count), 0);
            _end = -1;
        }

        /// <summary>
        /// The vector that straddles two rows: lanes <paramref name="head"/> … L − 1 of the earlier row's last vector,
        /// then lanes 0 … head − 1 of the next row's first vector.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TV Shared<T, TOps>(TV earlier, TV next, nuint head) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IRowOps<TV, T>
        {
            VectorPair pair;
            pair.Low = earlier;
            pair.High = next;
            return TOps.Load(ref Unsafe.As<TV, T>(ref pair.Low), head);
        }

        /// <summary>Two vectors side by side in memory (<see cref="Shared"/>).</summary>
        private struct VectorPair
        {
            public TV Low, High;
        }
    }
}
