using System;
using System.Linq;
using Xunit;
using static NormGen.Tests.BackwardReference;

namespace NormGen.Tests;

/// <summary>
/// The vectorised act′ at every row length that ends a 512-, 256- or 128-bit loop differently (1..70 and 1000), for float,
/// double and Half (whose widened dy is overwritten in place by dz), against the double reference of
/// <see cref="ActivationBackwardReference"/>. With statistics given, dβ = Σ dz over the rows checks dz itself, and dγ = Σ dz·x̂
/// its pairing with x̂; dx is left to the other tests (at n = 2 it is mostly the norm's own cancellation, not act′).
/// </summary>
public class ActivationBackwardTailTests
{
    private static readonly int[] Lengths = Enumerable.Range(1, 70).Append(1000).ToArray();

    [Theory]
    [MemberData(nameof(ActivationBackwardTests.All), MemberType = typeof(ActivationBackwardTests))]
    public void EveryTail_MatchesDoubleReference(Activation a)
    {
        const int rows = 2;
        var rng = new Random(70 + (int)a);
        foreach (int n in Lengths)
        {
            // γ and β wide enough that z reaches the tails of every activation (|z| up to ~10).
            double[] x = ToDouble(BackwardData.Normal(rng, rows * n, 0.3, 2)), dy = ToDouble(BackwardData.Normal(rng, rows * n, 0, 1));
            double[] g = ToDouble(BackwardData.Normal(rng, n, 1, 1.5)), b = ToDouble(BackwardData.Normal(rng, n, 0, 3));
            Forward(true, 1e-5, x, g, b, false, n, out double[] meanD, out double[] rstdD);
            float[] mean = ToFloat(meanD), rstd = ToFloat(rstdD);
            var z = ActivationBackwardReference.Backward(a, true, 1e-5, dy, x, g, b, n, ToDouble(mean), ToDouble(rstd)).Z;
            // ReLU's kink: float and double z may fall on either side within rounding.
            for (int i = 0; i < dy.Length; i++) if (Math.Abs(z[i]) < 1e-3) dy[i] = 0;

            // double: the reference takes the same statistics.
            double[] dxd = new double[x.Length], dgd = new double[n], dbd = new double[n];
            FusedRowBackward.Run(dy, x, dxd, n, RowBackwardFlags.Centered, meanD, rstdD, 1e-5, g, b, a, dgamma: dgd, dbeta: dbd);
            var rd = ActivationBackwardReference.Backward(a, true, 1e-5, dy, x, g, b, n, meanD, rstdD);
            if (a == Activation.Gelu)
            {
                // GELU's Φ comes from the forward's erf approximation (|error| < 1.5e-7, so Φ within 0.75e-7), not from erf.
                for (int j = 0; j < n; j++)
                {
                    double sumDy = 0, sumDyXhat = 0;
                    for (int r = 0; r < rows; r++)
                    {
                        sumDy += Math.Abs(dy[r * n + j]);
                        sumDyXhat += Math.Abs(dy[r * n + j] * (x[r * n + j] - meanD[r]) * rstdD[r]);
                    }
                    Assert.True(Math.Abs(dbd[j] - rd.Db[j]) <= 0.75e-7 * sumDy + 1e-12 * Math.Abs(rd.Db[j]), $"double Gelu n={n} dz[{j}]: {dbd[j]} vs {rd.Db[j]}");
                    Assert.True(Math.Abs(dgd[j] - rd.Dg[j]) <= 0.75e-7 * sumDyXhat + 1e-12 * Math.Abs(rd.Dg[j]), $"double Gelu n={n} dgamma[{j}]: {dgd[j]} vs {rd.Dg[j]}");
                }
            }
            else
            {
                Assert.True(RelativeToMax(dbd, rd.Db) <= 1e-12 && RelativeToMax(dgd, rd.Dg) <= 1e-12,
                    $"double {a} n={n}: dz {RelativeToMax(dbd, rd.Db):E2}, dgamma {RelativeToMax(dgd, rd.Dg):E2}");
            }

            // float.
            float[] xf = ToFloat(x), dyf = ToFloat(dy), gf = ToFloat(g), bf = ToFloat(b);
            float[] dxf = new float[x.Length], dgf = new float[n], dbf = new float[n];
            FusedRowBackward.Run(dyf, xf, dxf, n, RowBackwardFlags.Centered, mean, rstd, 1e-5f, gf, bf, a, dgamma: dgf, dbeta: dbf);
            var rf = ActivationBackwardReference.Backward(a, true, 1e-5, ToDouble(dyf), ToDouble(xf), ToDouble(gf), ToDouble(bf), n, ToDouble(mean), ToDouble(rstd));
            double ez = RelativeToMax(ToDouble(dbf), rf.Db), eg = RelativeToMax(ToDouble(dgf), rf.Dg);
            Assert.True(ez <= 1e-5 && eg <= 1e-5, $"float {a} n={n}: dz {ez:E2}, dgamma {eg:E2}");

            // Half: dy is widened into the row that dz then overwrites, so the overlapping last vector must be read first.
            Half[] xh = xf.Select(v => (Half)v).ToArray(), dyh = dyf.Select(v => (Half)v).ToArray(), gh = gf.Select(v => (Half)v).ToArray(), bh = bf.Select(v => (Half)v).ToArray();
            Half[] dxh = new Half[x.Length];
            float[] dgh = new float[n], dbh = new float[n];
            FusedRowBackward.Run(dyh, xh, dxh, n, RowBackwardFlags.Centered, mean, rstd, 1e-5f, gh, bh, a, dgamma: dgh, dbeta: dbh);
            var rh = ActivationBackwardReference.Backward(a, true, 1e-5, ToDouble(dyh), ToDouble(xh), ToDouble(gh), ToDouble(bh), n, ToDouble(mean), ToDouble(rstd));
            double ezh = RelativeToMax(ToDouble(dbh), rh.Db), egh = RelativeToMax(ToDouble(dgh), rh.Dg);
            Assert.True(ezh <= 1e-5 && egh <= 1e-5, $"Half {a} n={n}: dz {ezh:E2}, dgamma {egh:E2}");
        }
    }
}
