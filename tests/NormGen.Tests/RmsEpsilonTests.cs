using System;
using System.Linq;
using Xunit;

namespace NormGen.Tests;

/// <summary>
/// RMSNorm's default ε is PyTorch's <c>eps=None</c>: <c>torch.finfo(opmath dtype).eps</c>, 2⁻⁵² for double and 2⁻²³
/// for float and Half (computed in float).
/// </summary>
public class RmsEpsilonTests
{
    /// <summary>
    /// Rows whose mean square (1e-12) is far below 1.19e-7 but far above 2.2e-16: with 2⁻⁵² each element of a constant
    /// row is 1 − 1.1e-4 (ε/2ms), with 1.19e-7 it would be 2.9e-3. The double reference adds 2⁻⁵².
    /// </summary>
    [Fact]
    public void DoubleDefaultIsFloat64MachineEpsilon()
    {
        const int n = 8;
        double[] x = Enumerable.Range(0, 2 * n).Select(i => (i % 3 - 1) * 1e-6 + (i < n ? 1e-6 : 0)).ToArray();
        var y = new double[x.Length];
        DynKernels.RmsDNone(x, n, y);
        for (int r = 0; r < 2; r++)
        {
            double ms = Enumerable.Range(0, n).Sum(i => x[r * n + i] * x[r * n + i]) / n;
            double rstd = 1 / Math.Sqrt(ms + 2.220446049250313e-16);
            for (int i = 0; i < n; i++)
            {
                double expected = x[r * n + i] * rstd;
                Assert.True(Math.Abs(y[r * n + i] - expected) <= 1e-14 * (1 + Math.Abs(expected)), $"y[{r * n + i}] = {y[r * n + i]:R}, expected {expected:R} (ε = 2⁻⁵²)");
            }
        }
    }

    /// <summary>Float and Half keep 2⁻²³ = 1.1920929e-07 (float32's machine ε).</summary>
    [Fact]
    public void FloatAndHalfDefaultIsFloat32MachineEpsilon()
    {
        const int n = 8;
        float[] x = Enumerable.Range(0, n).Select(i => 1e-4f * (i + 1)).ToArray();
        var y = new float[n];
        DynKernels.RmsFNone(x, n, y);
        double ms = x.Sum(v => (double)v * v) / n;
        for (int i = 0; i < n; i++)
        {
            double expected = x[i] / Math.Sqrt(ms + Math.Pow(2, -23));
            Assert.True(Math.Abs(y[i] - expected) <= 1e-6 * Math.Abs(expected), $"float y[{i}] = {y[i]:R}, expected {expected:R}");
        }

        Half[] xh = x.Select(v => (Half)(v * 100)).ToArray();
        var yh = new Half[n];
        DynKernels.RmsHNone(xh, n, yh);
        double msh = xh.Sum(v => (double)v * (double)v) / n;
        for (int i = 0; i < n; i++)
        {
            double expected = (double)xh[i] / Math.Sqrt(msh + Math.Pow(2, -23));
            Assert.True(Math.Abs((double)yh[i] - expected) <= 1e-3 * Math.Abs(expected), $"Half y[{i}] = {yh[i]}, expected {expected:R}");
        }
    }
}
