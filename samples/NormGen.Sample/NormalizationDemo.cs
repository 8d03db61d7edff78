using System;
using System.Globalization;
using System.Numerics.Tensors;

namespace NormGen.Sample;

/// <summary>What the kernels do to a batch of token activations: per-row statistics before and after.</summary>
public static class NormalizationDemo
{
    private const int Hidden = 768;

    // Eight "tokens" whose activations sit at very different offsets and scales, as they do between the layers of a
    // transformer; token 6 has a mean of 10 000 (a float keeps only ~3 decimal places there) and token 7 a tiny spread.
    private static readonly double[] Means = [0, 1.5, -3, 0.25, 12, -40, 1e4, 2];
    private static readonly double[] Scales = [1, 0.2, 4, 2.5, 0.5, 25, 3, 0.01];

    public static void LayerNorm()
    {
        Console.WriteLine($"LayerNorm over {Means.Length} tokens × {Hidden} features (γ = 1, β = 0, ε = 1e-5): every row comes out with mean ≈ 0 and variance ≈ 1.");
        float[] x = Data.Activations(Hidden, Means, Scales), y = new float[x.Length];
        Kernels.LayerNorm768(x, Data.Filled(Hidden, 1f), Data.Filled(Hidden, 0f), y);

        Console.WriteLine($"  {"token",5}  {"mean before",12} {"var before",12}   {"mean after",10} {"var after",10}");
        for (int r = 0; r < Means.Length; r++)
        {
            var before = Data.MeanVariance(x.AsSpan(r * Hidden, Hidden));
            var after = Data.MeanVariance(y.AsSpan(r * Hidden, Hidden));
            Console.WriteLine($"  {r,5}  {Num(before.Mean),12} {Num(before.Variance),12}   {Fixed(after.Mean),10} {Fixed(after.Variance),10}");
        }
        Console.WriteLine("  Token 7's variance after is below 1 by design: σ² / (σ² + ε) with σ² = 1e-4 and ε = 1e-5.");

        // With learned parameters the output takes γ's scale and β's offset instead.
        Kernels.LayerNorm768(x, Data.Filled(Hidden, 2f), Data.Filled(Hidden, 0.5f), y);
        var affine = Data.MeanVariance(y.AsSpan(6 * Hidden, Hidden));
        Console.WriteLine($"  With γ = 2 and β = 0.5, token 6 comes out with mean {Fixed(affine.Mean)} and variance {Fixed(affine.Variance)} (β and γ²).");
        Console.WriteLine();
    }

    public static void RmsNorm()
    {
        Console.WriteLine($"RMSNorm over the same tokens (weight = 1, ε = 1e-6): each row is divided by its root mean square, so the RMS becomes ≈ 1; the mean is not removed.");
        float[] x = Data.Activations(Hidden, Means, Scales), y = new float[x.Length];
        Kernels.RmsNorm768(x, Data.Filled(Hidden, 1f), y);

        Console.WriteLine($"  {"token",5}  {"RMS before",12}   {"RMS after",10} {"mean after",10}");
        for (int r = 0; r < Means.Length; r++)
        {
            double before = Data.Rms(x.AsSpan(r * Hidden, Hidden)), after = Data.Rms(y.AsSpan(r * Hidden, Hidden));
            Console.WriteLine($"  {r,5}  {Num(before),12}   {Fixed(after),10} {Fixed(Data.MeanVariance(y.AsSpan(r * Hidden, Hidden)).Mean),10}");
        }
        Console.WriteLine();
    }

    public static void TensorLayerNorm()
    {
        // The row length of this kernel is not compiled in: it is the tensor's last axis, read at run time.
        nint[] shape = [2, 3, 320];
        int hidden = (int)shape[^1], rows = (int)(shape[0] * shape[1]);
        float[] data = Data.Activations(hidden, [5, -5, 100, 0, 7, -1], [1, 2, 10, 0.1, 3, 0.5]), output = new float[data.Length];
        var x = new ReadOnlyTensorSpan<float>(data, shape);
        var y = new TensorSpan<float>(output, shape);
        Kernels.LayerNormLastAxis(x, Data.Filled(hidden, 1f), Data.Filled(hidden, 0f), y);

        Console.WriteLine($"LayerNorm of a tensor of shape [{string.Join(", ", shape)}] over its last axis (shape known at run time): {rows} rows of {hidden}.");
        for (int r = 0; r < rows; r++)
        {
            var before = Data.MeanVariance(data.AsSpan(r * hidden, hidden));
            var after = Data.MeanVariance(output.AsSpan(r * hidden, hidden));
            Console.WriteLine($"  [{r / shape[1]}, {r % shape[1]}, :]  mean {Num(before.Mean),9} → {Fixed(after.Mean),7}   variance {Num(before.Variance),9} → {Fixed(after.Variance),7}");
        }
        Console.WriteLine();
    }

    /// <summary>A value of any magnitude: three decimals, or scientific notation when that would hide it.</summary>
    internal static string Num(double v) => v.ToString(Math.Abs(v) >= 1e5 || (v != 0 && Math.Abs(v) < 1e-2) ? "0.00E+0" : "0.000", CultureInfo.InvariantCulture);

    /// <summary>A value near 0 or 1 with four decimals, without "-0.0000".</summary>
    internal static string Fixed(double v) => (Math.Round(v, 4) + 0.0).ToString("0.0000", CultureInfo.InvariantCulture);
}
