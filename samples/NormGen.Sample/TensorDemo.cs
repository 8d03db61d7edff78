using System;
using System.Numerics.Tensors;
using static NormGen.Sample.NormalizationDemo;

namespace NormGen.Sample;

/// <summary>
/// The tensor normalizations of convolutional nets on (N, C, H, W) activations: which elements share statistics,
/// shown by the statistics of exactly those groups before and after (computed in double by Data, not by NormGen).
/// </summary>
public static class TensorDemo
{
    // Six channels at very different offsets and scales, as after a convolution.
    private static readonly double[] ChannelMeans = [0, 5, -3, 100, 0.5, -20];
    private static readonly double[] ChannelScales = [1, 3, 0.5, 10, 0.1, 4];

    public static void BatchNorm()
    {
        const int n = 16, c = 6, h = 5, w = 5;
        nint[] shape = [n, c, h, w];
        float[] gamma = Data.Filled(c, 1f), beta = Data.Filled(c, 0f);
        float[] runningMean = Data.Filled(c, 0f), runningVar = Data.Filled(c, 1f);

        float[] x = Data.ChannelTensor(n, h * w, ChannelMeans, ChannelScales, seed: 11), y = new float[x.Length];
        Kernels.BatchNormTrain(new ReadOnlyTensorSpan<float>(x, shape), gamma, beta, runningMean, runningVar, new TensorSpan<float>(y, shape));

        Console.WriteLine($"BatchNorm, training step on a batch of shape [{string.Join(", ", shape)}] (γ = 1, β = 0, momentum 0.1): each channel is normalized");
        Console.WriteLine("over the batch and the pixels with the batch's statistics; the running statistics (from 0 and 1) move a tenth of the way");
        Console.WriteLine("to the batch's mean and unbiased variance.");
        Console.WriteLine($"  {"channel",7}  {"mean before",12} {"var before",12}   {"mean after",10} {"var after",10}   {"running mean",12} {"running var",12}");
        for (int ch = 0; ch < c; ch++)
        {
            var before = Data.ChannelMeanVariance(x, n, c, h * w, ch);
            var after = Data.ChannelMeanVariance(y, n, c, h * w, ch);
            Console.WriteLine($"  {ch,7}  {Num(before.Mean),12} {Num(before.Variance),12}   {Fixed(after.Mean),10} {Fixed(after.Variance),10}   {Num(runningMean[ch]),12} {Num(runningVar[ch]),12}");
        }

        // More training steps on fresh batches from the same distribution: the running statistics converge to it.
        for (int step = 1; step < 60; step++)
        {
            float[] batch = Data.ChannelTensor(n, h * w, ChannelMeans, ChannelScales, seed: 11 + step);
            Kernels.BatchNormTrain(new ReadOnlyTensorSpan<float>(batch, shape), gamma, beta, runningMean, runningVar, new TensorSpan<float>(y, shape));
        }

        // Evaluation: a single new sample, normalized with the running statistics (a batch of one has no statistics of its own).
        nint[] one = [1, c, h, w];
        float[] sample = Data.ChannelTensor(1, h * w, ChannelMeans, ChannelScales, seed: 999), z = new float[sample.Length];
        Kernels.BatchNormEval(new ReadOnlyTensorSpan<float>(sample, one), gamma, beta, runningMean, runningVar, new TensorSpan<float>(z, one));
        Console.WriteLine("  After 60 training steps, evaluation of one new sample [1, 6, 5, 5] with the running statistics (y = x·s[c] + t[c]):");
        Console.WriteLine($"  {"channel",7}  {"running mean",12} {"running var",12}   {"true mean",10} {"true var",10}   {"mean after",10} {"var after",10}");
        for (int ch = 0; ch < c; ch++)
        {
            var after = Data.ChannelMeanVariance(z, 1, c, h * w, ch);
            Console.WriteLine($"  {ch,7}  {Num(runningMean[ch]),12} {Num(runningVar[ch]),12}   {Num(ChannelMeans[ch]),10} {Num(ChannelScales[ch] * ChannelScales[ch]),10}   {Fixed(after.Mean),10} {Fixed(after.Variance),10}");
        }
        Console.WriteLine("  One sample's 25 pixels per channel scatter around mean 0 and variance 1: evaluation does not renormalize, it applies what training learned.");
        Console.WriteLine();
    }

    public static void GroupNorm()
    {
        const int n = 2, c = 8, hw = 16;
        nint[] shape = [n, c, 4, 4];
        double[] means = [0, 5, -3, 100, 0.5, -20, 7, 1], scales = [1, 3, 0.5, 10, 0.1, 4, 2, 0.3];
        float[] x = Data.ChannelTensor(n, hw, means, scales, seed: 21), y = new float[x.Length];
        Kernels.GroupNorm4(new ReadOnlyTensorSpan<float>(x, shape), Data.Filled(c, 1f), Data.Filled(c, 0f), new TensorSpan<float>(y, shape));

        Console.WriteLine($"GroupNorm with 4 groups on [{string.Join(", ", shape)}]: statistics per sample and group of 2 channels × 16 pixels, so it");
        Console.WriteLine("does not depend on the batch; each group comes out with mean 0 and variance 1 (its channels need not).");
        Console.WriteLine($"  {"sample",6} {"group",5}  {"mean before",12} {"var before",12}   {"mean after",10} {"var after",10}");
        for (int s = 0; s < n; s++)
            for (int g = 0; g < 4; g++)
            {
                int start = (s * c + g * 2) * hw;
                var before = Data.MeanVariance(x.AsSpan(start, 2 * hw));
                var after = Data.MeanVariance(y.AsSpan(start, 2 * hw));
                Console.WriteLine($"  {s,6} {g,5}  {Num(before.Mean),12} {Num(before.Variance),12}   {Fixed(after.Mean),10} {Fixed(after.Variance),10}");
            }
        Console.WriteLine();
    }

    public static void InstanceNorm()
    {
        const int n = 2, c = 3, hw = 36;
        nint[] shape = [n, c, 6, 6];
        float[] x = Data.ChannelTensor(n, hw, [10, -4, 0.5], [5, 0.2, 2], seed: 31), y = new float[x.Length];
        Kernels.InstanceNorm(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(y, shape));

        Console.WriteLine($"InstanceNorm on [{string.Join(", ", shape)}] (no affine, PyTorch's default): statistics per sample and channel over its 36 pixels,");
        Console.WriteLine("as style transfer uses it to remove each image's contrast.");
        Console.WriteLine($"  {"sample",6} {"channel",7}  {"mean before",12} {"var before",12}   {"mean after",10} {"var after",10}");
        for (int s = 0; s < n; s++)
            for (int ch = 0; ch < c; ch++)
            {
                var before = Data.MeanVariance(x.AsSpan((s * c + ch) * hw, hw));
                var after = Data.MeanVariance(y.AsSpan((s * c + ch) * hw, hw));
                Console.WriteLine($"  {s,6} {ch,7}  {Num(before.Mean),12} {Num(before.Variance),12}   {Fixed(after.Mean),10} {Fixed(after.Variance),10}");
            }
        Console.WriteLine();
    }

    public static void ChannelLayerNorms()
    {
        const int c = 6, hw = 9;
        nint[] shape = [1, c, 3, 3];
        float[] x = Data.ChannelTensor(1, hw, ChannelMeans, ChannelScales, seed: 41), y = new float[x.Length];
        Kernels.ChannelLayerNormWithBias(new ReadOnlyTensorSpan<float>(x, shape), Data.Filled(c, 1f), Data.Filled(c, 0f), new TensorSpan<float>(y, shape));

        Console.WriteLine($"Restormer's WithBias_LayerNorm ([ChannelLayerNorm]) on [{string.Join(", ", shape)}]: LayerNorm over the 6 channels at every pixel,");
        Console.WriteLine("in one pass over the NCHW tensor (no to_3d/to_4d transposes); weight = 1, bias = 0.");
        Console.WriteLine($"  {"pixel",5}  {"mean before",12} {"var before",12}   {"mean after",10} {"var after",10}");
        for (int p = 0; p < hw; p++)
        {
            var before = Data.PixelMeanVariance(x, c, hw, p);
            var after = Data.PixelMeanVariance(y, c, hw, p);
            Console.WriteLine($"  {$"({p / 3},{p % 3})",5}  {Num(before.Mean),12} {Num(before.Variance),12}   {Fixed(after.Mean),10} {Fixed(after.Variance),10}");
        }
        Console.WriteLine();

        // Restormer's BiasFree_LayerNorm: the variance is taken around the mean, but the mean is NOT subtracted, so every
        // pixel keeps mean / σ and comes out with variance ≈ 1 (the variance of x/σ is σ²/(σ² + ε)).
        Kernels.ChannelLayerNormBiasFree(new ReadOnlyTensorSpan<float>(x, shape), Data.Filled(c, 1f), new TensorSpan<float>(y, shape));
        Console.WriteLine($"Restormer's BiasFree_LayerNorm ([ChannelLayerNorm(BiasFree = true)]) on the same tensor: x / sqrt(var + 1e-5) * weight,");
        Console.WriteLine("the variance around the mean but the mean not subtracted: mean after = mean before / sigma, variance after = 1; weight = 1.");
        Console.WriteLine($"  {"pixel",5}  {"mean before",12} {"var before",12}   {"mean after",10} {"mean/sigma",10} {"var after",10}");
        for (int p = 0; p < hw; p++)
        {
            var before = Data.PixelMeanVariance(x, c, hw, p);
            var after = Data.PixelMeanVariance(y, c, hw, p);
            double expected = before.Mean / Math.Sqrt(before.Variance + 1e-5);
            Console.WriteLine($"  {$"({p / 3},{p % 3})",5}  {Num(before.Mean),12} {Num(before.Variance),12}   {Fixed(after.Mean),10} {Fixed(expected),10} {Fixed(after.Variance),10}");
        }
        Console.WriteLine();
    }
}
