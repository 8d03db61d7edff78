using System;
using System.Linq;
using Xunit;
using static NormGen.Tests.ShortRowPipelineTests;

namespace NormGen.Tests;

/// <summary>Residual row kernels whose long rows in cache run two at a time (RowEngine.LongPairedRows with a residual).</summary>
public static partial class PairedResidualKernels
{
    [LayerNorm(Residual = true, SaveStatistics = true)]
    public static partial void AddLnF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> y, Span<float> residualOut, Span<float> mean, Span<float> rstd);

    [LayerNorm(Residual = true, ResidualBias = true)]
    public static partial void AddLnBiasD(ReadOnlySpan<double> x, int rowLength, ReadOnlySpan<double> residual, ReadOnlySpan<double> bias,
        ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, Span<double> y, Span<double> residualOut);

    [DeepNorm(Alpha = 2.5f, SaveStatistics = true)]
    public static partial void DeepF(ReadOnlySpan<float> x, int rowLength, ReadOnlySpan<float> sublayer, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> y, Span<float> mean, Span<float> rstd);
}

/// <summary>
/// Residual LayerNorm (with and without a bias, with residualOut) and DeepNorm rows of 16 KiB and more in cache run two at
/// a time (RowEngine.LongPairedRows: each row's pass 1 forms h into residualOut or y, then both last passes in one loop
/// that loads γ and β once). Every row of 2, 3 and 9 rows must be bitwise the row computed alone (the one-row path): y,
/// residualOut and the saved statistics, with a huge row (its sums overflow: HugeRow) first of a pair, second (the first
/// row's last pass then runs alone: LastOfPair) or the odd last row, out of place, in place (y over x) and with the
/// residual stream updated in place (residualOut over residual); residualOut must be exactly h = α·x + residual (+ bias)
/// formed in the element type.
/// </summary>
public class PairedResidualRowTests
{
    [Theory]
    [InlineData("AddLnF", 4096)]
    [InlineData("AddLnF", 5000)]
    [InlineData("AddLnF", 8192)]
    [InlineData("AddLnBiasD", 2048)]
    [InlineData("DeepF", 4096)]
    public void LongResidualRowsInCache_EqualRowsAlone_Bitwise(string kernel, int n)
    {
        var rng = new Random(n + kernel.Length);
        foreach (int rows in new[] { 2, 3, 9 })
            foreach (int huge in new[] { 0, 1, rows - 1 })
                CheckResidualRows(kernel, n, rows, huge, rng);
    }

    /// <summary>
    /// <paramref name="rows"/> rows of <paramref name="n"/>, row <paramref name="huge"/> huge: each row of the batch against
    /// the row alone for every placement, and residualOut against h formed here.
    /// </summary>
    private static void CheckResidualRows(string kernel, int n, int rows, int huge, Random rng)
    {
        bool isFloat = kernel.EndsWith('F');
        var (g, b) = Reference.AffineParameters(rng, n);
        double[] bias = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        double[] x = Enumerable.Range(0, rows * n).Select(_ => 3 * rng.NextDouble() - 1).ToArray();
        double[] r = Enumerable.Range(0, rows * n).Select(_ => 2 * rng.NextDouble() + 100).ToArray();
        for (int i = 0; i < n; i++)
            x[huge * n + i] = (i % 3 == 0 ? 1 : -0.4) * (isFloat ? 1e37 : 1e300); // α·x + residual's squares overflow: HugeRow
        foreach (string place in new[] { "out of place", "y over x", "residualOut over residual" })
        {
            if (place == "residualOut over residual" && kernel == "DeepF") continue; // no residualOut
            var batch = Run(kernel, x, r, bias, g, b, n, place);
            for (int row = 0; row < rows; row++)
            {
                double[] Row(double[] a) => a.AsSpan(row * n, n).ToArray();
                var alone = Run(kernel, Row(x), Row(r), bias, g, b, n, "out of place");
                string what = $"{kernel} n={n} rows={rows}, huge row {huge}, {place}, row {row}";
                AssertBitwise($"{what}: y", alone.Y, Row(batch.Y));
                if (batch.H.Length > 0) AssertBitwise($"{what}: residualOut", alone.H, Row(batch.H));
                if (batch.Mean.Length > 0)
                {
                    AssertBitwise($"{what}: mean", alone.Mean, [batch.Mean[row]]);
                    AssertBitwise($"{what}: rstd", alone.Rstd, [batch.Rstd[row]]);
                }
            }
            // h formed in the element type, independently of the kernel.
            for (int i = 0; i < rows * n && kernel != "DeepF"; i++)
            {
                double h = isFloat ? (float)((float)x[i] + (float)r[i]) : x[i] + r[i] + bias[i % n];
                if (batch.H[i] != h) Assert.Fail($"{kernel} n={n}, {place}: residualOut[{i}] = {batch.H[i]:R}, h = {h:R}");
            }
        }
    }

    /// <summary>
    /// One call of <paramref name="kernel"/> over the rows of <paramref name="x"/> and <paramref name="r"/>: y, residualOut (for
    /// DeepNorm, none: empty) and the saved statistics (where the kernel saves none: empty), widened to double.
    /// </summary>
    internal static (double[] Y, double[] H, double[] Mean, double[] Rstd) Run(string kernel, double[] x, double[] r, double[] bias, double[] g, double[] b,
        int n, string place)
    {
        int rows = x.Length / n;
        static float[] F(double[] a) => a.Select(v => (float)v).ToArray();
        static double[] D(ReadOnlySpan<float> a) => a.ToArray().Select(v => (double)v).ToArray();
        switch (kernel)
        {
            case "AddLnF":
            {
                float[] xs = F(x), rs = F(r), mean = new float[rows], rstd = new float[rows];
                Span<float> y = place == "y over x" ? xs : new float[x.Length], h = place == "residualOut over residual" ? rs : new float[x.Length];
                PairedResidualKernels.AddLnF(xs, n, rs, F(g), F(b), y, h, mean, rstd);
                return (D(y), D(h), D(mean), D(rstd));
            }
            case "AddLnBiasD":
            {
                double[] xs = (double[])x.Clone(), rs = (double[])r.Clone();
                Span<double> y = place == "y over x" ? xs : new double[x.Length], h = place == "residualOut over residual" ? rs : new double[x.Length];
                PairedResidualKernels.AddLnBiasD(xs, n, rs, bias, g, b, y, h);
                return (y.ToArray(), h.ToArray(), [], []);
            }
            case "DeepF":
            {
                float[] xs = F(x), mean = new float[rows], rstd = new float[rows];
                Span<float> y = place == "y over x" ? xs : new float[x.Length];
                PairedResidualKernels.DeepF(xs, n, F(r), F(g), F(b), y, mean, rstd);
                return (D(y), [], D(mean), D(rstd));
            }
            default:
                throw new ArgumentException($"unknown kernel {kernel}", nameof(kernel));
        }
    }
}
