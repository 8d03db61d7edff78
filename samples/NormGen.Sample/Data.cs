using System;

namespace NormGen.Sample;

/// <summary>Small helpers: synthetic activations and per-row statistics (computed in double, independently of NormGen).</summary>
public static class Data
{
    /// <summary>A batch of rows, row r drawn from a normal distribution with mean <paramref name="means"/>[r] and standard deviation <paramref name="scales"/>[r].</summary>
    public static float[] Activations(int hidden, double[] means, double[] scales, int seed = 7)
    {
        var rng = new Random(seed);
        var x = new float[means.Length * hidden];
        for (int r = 0; r < means.Length; r++)
            for (int i = 0; i < hidden; i++)
                x[r * hidden + i] = (float)(means[r] + scales[r] * Gaussian(rng));
        return x;
    }

    /// <summary>A vector filled with <paramref name="value"/>.</summary>
    public static float[] Filled(int length, float value)
    {
        var v = new float[length];
        Array.Fill(v, value);
        return v;
    }

    /// <summary>Mean and biased variance of one row.</summary>
    public static (double Mean, double Variance) MeanVariance(ReadOnlySpan<float> row)
    {
        double mean = 0;
        foreach (float v in row) mean += v;
        mean /= row.Length;
        double sq = 0;
        foreach (float v in row) sq += (v - mean) * (v - mean);
        return (mean, sq / row.Length);
    }

    /// <summary>Root mean square of one row.</summary>
    public static double Rms(ReadOnlySpan<float> row)
    {
        double sq = 0;
        foreach (float v in row) sq += (double)v * v;
        return Math.Sqrt(sq / row.Length);
    }

    /// <summary>
    /// An (n, C, pixels) activation tensor, flattened: channel c drawn from a normal distribution with mean
    /// <paramref name="means"/>[c] and standard deviation <paramref name="scales"/>[c].
    /// </summary>
    public static float[] ChannelTensor(int n, int pixels, double[] means, double[] scales, int seed)
    {
        var rng = new Random(seed);
        int c = means.Length;
        var x = new float[n * c * pixels];
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / pixels % c;
            x[i] = (float)(means[ch] + scales[ch] * Gaussian(rng));
        }
        return x;
    }

    /// <summary>Mean and biased variance of one channel of an (n, C, pixels) tensor, over the samples and the pixels.</summary>
    public static (double Mean, double Variance) ChannelMeanVariance(float[] x, int n, int c, int pixels, int channel)
    {
        var values = new float[n * pixels];
        for (int s = 0; s < n; s++)
            x.AsSpan((s * c + channel) * pixels, pixels).CopyTo(values.AsSpan(s * pixels));
        return MeanVariance(values);
    }

    /// <summary>Mean and biased variance over the channels at one pixel of a (1, C, pixels) tensor.</summary>
    public static (double Mean, double Variance) PixelMeanVariance(float[] x, int c, int pixels, int pixel)
    {
        var values = new float[c];
        for (int ch = 0; ch < c; ch++) values[ch] = x[ch * pixels + pixel];
        return MeanVariance(values);
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    public static double Gaussian(Random rng)
        => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
