using System.Numerics;
using System.Runtime.CompilerServices;

namespace NormGen;

/// <summary>
/// e^x per lane, written once over the vector width and element type (<c>TOps</c> is <see cref="Vec512{T}"/>,
/// <see cref="Vec256{T}"/> or <see cref="Vec128{T}"/>) for the activations and their derivatives.
/// </summary>
/// <remarks>
/// <para>
/// Why not the runtime's <c>Vector512.Exp</c>: its body (<c>VectorMath.ExpSingle</c>/<c>ExpDouble</c>) is no
/// AggressiveInlining method, so the JIT inlines it only at call sites its profile calls hot, and that differed from
/// process to process: in the row kernels it stayed a call per vector in most processes (the runtime's
/// MethodJitInliningFailed events: "unprofitable inline", "too many il bytes"; bench/NormGen.RowAB/InlineLog.cs), every
/// vector live across the call was spilled, and a LayerNorm with SiLU read 1.13–1.29× the generated kernel of eba5bfa.
/// This one is AggressiveInlining down to the lane operations, so it is inlined wherever an activation is: the same code
/// in every process, tier and width.
/// </para>
/// <para>
/// The method (Cody and Waite's): n = round(x·log₂e), r = x − n·ln 2 with ln 2 split into a high part exact in the
/// product and a low part, so |r| ≤ ½ln 2 is exact to a few ulps of r; e^r by its Taylor polynomial in Horner form
/// (degree 7 for float, truncation error 0.35⁸/8! ≈ 5·10⁻⁹ relative; degree 13 for double, ≈ 4·10⁻¹⁸); then
/// e^x = e^r·2^⌊n/2⌉·2^(n−⌊n/2⌉), two exact scalings, so a result below the normal range rounds once into a subnormal
/// and one above it overflows to +∞. x is clamped first to [−104, 89] (float) or [−746, 710] (double), outside which
/// e^x is 0 or +∞ in the type; NaN stays NaN (the clamps are IEEE minimum/maximum). Error against Math.Exp, sweeps over the whole range
/// (ExpTests; IsaCheck on each ISA path): float 0.90 ulp and double 1.00 ulp with FMA (the polynomial's multiply-adds
/// fused), float 1.18 ulps without (the 128-bit and scalar paths of a processor without FMA).
/// </para>
/// <para>
/// The GPU kernels' scalar <c>Exp</c> (written by the generator, NormGenerator.Emitter.Gpu's EmitExp) is the same method
/// with the same polynomial degrees, but rounds n half away from zero and splits ln 2 differently for float, so the two
/// may differ in the last bit; both are held to the double reference, not to each other.
/// </para>
/// </remarks>
internal static class VectorExp<TOps, TV, T>
    where TOps : IVectorMathOps<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>e^<paramref name="x"/> per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp(TV x)
    {
        x = TOps.Min(TOps.Max(x, TOps.Create(C.Lowest)), TOps.Create(C.Highest));
        // x·log₂e rounded to an integer by adding and subtracting 1.5·2^(mantissa bits): round to nearest even.
        TV n = TOps.Subtract(TOps.MultiplyAdd(x, TOps.Create(C.Log2E), TOps.Create(C.Round)), TOps.Create(C.Round));
        TV r = TOps.MultiplyAdd(n, TOps.Create(C.NegLn2High), x);
        r = TOps.MultiplyAdd(n, TOps.Create(C.NegLn2Low), r);
        TV p = typeof(T) == typeof(float)
            ? TOps.Create(C.F7)
            : TOps.MultiplyAdd(TOps.MultiplyAdd(TOps.MultiplyAdd(TOps.MultiplyAdd(TOps.MultiplyAdd(TOps.MultiplyAdd(
                TOps.Create(C.F13), r, TOps.Create(C.F12)), r, TOps.Create(C.F11)), r, TOps.Create(C.F10)), r, TOps.Create(C.F9)),
                r, TOps.Create(C.F8)), r, TOps.Create(C.F7));
        p = TOps.MultiplyAdd(p, r, TOps.Create(C.F6));
        p = TOps.MultiplyAdd(p, r, TOps.Create(C.F5));
        p = TOps.MultiplyAdd(p, r, TOps.Create(C.F4));
        p = TOps.MultiplyAdd(p, r, TOps.Create(C.F3));
        p = TOps.MultiplyAdd(p, r, TOps.Create(C.F2));
        p = TOps.MultiplyAdd(p, r, TOps.Create(C.One));
        p = TOps.MultiplyAdd(p, r, TOps.Create(C.One));
        TV half = TOps.Subtract(TOps.MultiplyAdd(n, TOps.Create(C.Half), TOps.Create(C.Round)), TOps.Create(C.Round));
        return TOps.Multiply(TOps.Multiply(p, TOps.PowerOfTwo(half)), TOps.PowerOfTwo(TOps.Subtract(n, half)));
    }

    /// <summary>
    /// The constants rounded once to <typeparamref name="T"/>. Static readonly: tier-1 code reads them as constants.
    /// </summary>
    private static class C
    {
        private static readonly bool Single = typeof(T) == typeof(float);
        public static readonly T Lowest = T.CreateTruncating(Single ? -104.0 : -746.0), Highest = T.CreateTruncating(Single ? 89.0 : 710.0);
        public static readonly T Log2E = T.CreateTruncating(1.4426950408889634);
        public static readonly T Round = T.CreateTruncating(Single ? 12582912.0 : 6755399441055744.0); // 1.5·2^23, 1.5·2^52
        // ln 2 = high + low, high with few enough bits that n·high is exact (Cephes expf; fdlibm exp).
        public static readonly T NegLn2High = Single ? T.CreateTruncating(-0.693359375) : T.CreateTruncating(-6.93147180369123816490e-01);
        public static readonly T NegLn2Low = Single ? T.CreateTruncating(2.12194440e-4) : T.CreateTruncating(-1.90821492927058770002e-10);
        public static readonly T One = T.One, Half = T.CreateTruncating(0.5);
        // 1/k!, rounded once to T.
        public static readonly T F2 = T.CreateTruncating(1.0 / 2), F3 = T.CreateTruncating(1.0 / 6), F4 = T.CreateTruncating(1.0 / 24);
        public static readonly T F5 = T.CreateTruncating(1.0 / 120), F6 = T.CreateTruncating(1.0 / 720), F7 = T.CreateTruncating(1.0 / 5040);
        public static readonly T F8 = T.CreateTruncating(1.0 / 40320), F9 = T.CreateTruncating(1.0 / 362880), F10 = T.CreateTruncating(1.0 / 3628800);
        public static readonly T F11 = T.CreateTruncating(1.0 / 39916800), F12 = T.CreateTruncating(1.0 / 479001600), F13 = T.CreateTruncating(1.0 / 6227020800);
    }
}
