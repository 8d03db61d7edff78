using System;
using System.Numerics.Tensors;
using static NormGen.Sample.NormalizationDemo;

namespace NormGen.Sample;

/// <summary>Feature scaling of a table whose columns live on wildly different scales: min-max and z-score, per column.</summary>
public static class ScalingDemo
{
    private const int Samples = 200;
    private static readonly string[] Features = ["age (years)", "income (USD)", "height (m)", "clicks per day", "click-through rate"];

    public static void Run()
    {
        float[] table = Table();
        nint[] shape = [Samples, Features.Length];
        float[] minMax = new float[table.Length], zScore = new float[table.Length];
        Kernels.MinMax(new ReadOnlyTensorSpan<float>(table, shape), new TensorSpan<float>(minMax, shape));
        Kernels.ZScore(new ReadOnlyTensorSpan<float>(table, shape), new TensorSpan<float>(zScore, shape));

        Console.WriteLine($"Feature scaling of a table of {Samples} customers × {Features.Length} features whose scales differ by eight orders of magnitude");
        Console.WriteLine("([MinMaxScale]: (x − min)/(max − min) per column; [Standardize]: (x − mean)/std per column, population std):");
        Console.WriteLine($"  {"feature",-18}  {"min",9} {"max",9} {"mean",9} {"std",9}   {"min-max: min",12} {"max",6}   {"z-score: mean",13} {"std",6}");
        for (int f = 0; f < Features.Length; f++)
        {
            var raw = Column(table, f);
            var mm = Column(minMax, f);
            var z = Column(zScore, f);
            Console.WriteLine($"  {Features[f],-18}  {Num(raw.Min),9} {Num(raw.Max),9} {Num(raw.Mean),9} {Num(raw.Std),9}   {Fixed(mm.Min),12} {Fixed(mm.Max),6}   {Fixed(z.Mean),13} {Fixed(z.Std),6}");
        }
        Console.WriteLine("  Customer 0 before, after min-max, after z-score:");
        for (int f = 0; f < Features.Length; f++)
            Console.WriteLine($"    {Features[f],-18}  {Num(table[f]),9}   {Fixed(minMax[f]),7}   {Fixed(zScore[f]),7}");
        Console.WriteLine("  Min-max keeps the shape of each column inside [0, 1] (an outlier squeezes the rest); z-score centres each column and");
        Console.WriteLine("  measures it in its own standard deviations. Either way, no feature dominates a distance or a gradient by its unit.");
        Console.WriteLine();
    }

    /// <summary>Synthetic customers: a normal age, a log-normal income, a normal height, heavy-tailed clicks, a small rate.</summary>
    private static float[] Table()
    {
        var rng = new Random(51);
        var x = new float[Samples * Features.Length];
        for (int s = 0; s < Samples; s++)
        {
            Span<float> row = x.AsSpan(s * Features.Length, Features.Length);
            row[0] = (float)Math.Clamp(42 + 14 * Data.Gaussian(rng), 18, 90);
            row[1] = (float)Math.Exp(10.8 + 0.6 * Data.Gaussian(rng));
            row[2] = (float)(1.72 + 0.09 * Data.Gaussian(rng));
            row[3] = (float)Math.Floor(Math.Exp(3 + 1.2 * Data.Gaussian(rng)));
            row[4] = (float)Math.Abs(0.01 + 0.004 * Data.Gaussian(rng));
        }
        return x;
    }

    private static (double Min, double Max, double Mean, double Std) Column(float[] x, int feature)
    {
        var values = new float[Samples];
        for (int s = 0; s < Samples; s++) values[s] = x[s * Features.Length + feature];
        var (mean, variance) = Data.MeanVariance(values);
        double min = double.MaxValue, max = double.MinValue;
        foreach (float v in values) { min = Math.Min(min, v); max = Math.Max(max, v); }
        return (min, max, mean, Math.Sqrt(variance));
    }
}
