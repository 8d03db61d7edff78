using System;
using System.IO;
using System.Linq;
using System.Numerics.Tensors;
using ScottPlot;

namespace NormGen.Sample;

/// <summary>
/// The classic LayerNorm-vs-BatchNorm picture, drawn from the kernels' own output: a batch of samples × features where
/// the features sit at different offsets and scales and each sample has its own gain. LayerNorm standardizes each
/// sample (row) and leaves the features unequal; BatchNorm standardizes each feature (column) and leaves the samples
/// unequal. Written with ScottPlot (SkiaSharp; the Linux native library comes from SkiaSharp.NativeAssets.Linux.NoDependencies).
/// </summary>
public static class Pictures
{
    private const int Samples = 512, FeatureCount = 32, ShownSample = 3;

    public static void LayerNormVsBatchNorm()
    {
        float[] x = Batch();
        nint[] shape = [Samples, FeatureCount];
        float[] ln = new float[x.Length], bn = new float[x.Length];
        Kernels.LayerNormFeatures(new ReadOnlyTensorSpan<float>(x, shape), new TensorSpan<float>(ln, shape));
        float[] runningMean = Data.Filled(FeatureCount, 0f), runningVar = Data.Filled(FeatureCount, 1f);
        Kernels.BatchNormFeatures(new ReadOnlyTensorSpan<float>(x, shape), runningMean, runningVar, new TensorSpan<float>(bn, shape));

        (string Title, float[] Values, Color Color)[] columns =
        [
            ("before", x, Colors.Gray),
            ("after LayerNorm", ln, Colors.SteelBlue),
            ("after BatchNorm", bn, Colors.DarkOrange),
        ];
        var figure = new Multiplot();
        figure.Layout = new ScottPlot.MultiplotLayouts.Grid(rows: 3, columns: 3);
        while (figure.Count() < 9) figure.AddPlot(); // a new Multiplot already holds one plot
        Plot[] plots = figure.GetPlots();
        for (int col = 0; col < columns.Length; col++)
        {
            var (title, values, color) = columns[col];
            Histogram(plots[col], title, values, color);
            FeatureVariance(plots[3 + col], title, values, color);
            OneSample(plots[6 + col], title, values, color);
        }

        string path = Path.Combine(Environment.CurrentDirectory, "out", "layernorm-vs-batchnorm.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        figure.SavePng(path, 1500, 1050);
        Console.WriteLine($"Picture: {path}");
        Console.WriteLine($"  {Samples} samples × {FeatureCount} features; rows: histogram of all values, variance of each feature (log scale), sample {ShownSample}'s values;");
        Console.WriteLine("  columns: before, after LayerNorm, after BatchNorm. LayerNorm equalizes the samples, BatchNorm the features.");
        Console.WriteLine();
    }

    /// <summary>Feature j has its own offset and scale; sample i has its own gain, so both normalizations have work to do.</summary>
    private static float[] Batch()
    {
        var rng = new Random(61);
        double[] offset = Enumerable.Range(0, FeatureCount).Select(j => 3 * Math.Sin(j * 0.7) + j * 0.15).ToArray();
        double[] scale = Enumerable.Range(0, FeatureCount).Select(j => Math.Exp(-1.2 + 2.4 * j / (FeatureCount - 1) + 0.3 * Data.Gaussian(rng))).ToArray();
        var x = new float[Samples * FeatureCount];
        for (int i = 0; i < Samples; i++)
        {
            double gain = Math.Exp(0.6 * Data.Gaussian(rng));
            for (int j = 0; j < FeatureCount; j++)
                x[i * FeatureCount + j] = (float)(gain * (offset[j] + scale[j] * Data.Gaussian(rng)));
        }
        return x;
    }

    private static void Histogram(Plot plot, string title, float[] values, Color color)
    {
        var histogram = ScottPlot.Statistics.Histogram.WithBinCount(60, values.Select(v => (double)v));
        plot.Add.Histogram(histogram, color);
        plot.Title($"{title}: all values");
        plot.XLabel("value");
        plot.YLabel("count");
    }

    private static void FeatureVariance(Plot plot, string title, float[] values, Color color)
    {
        double[] log10Variance = Enumerable.Range(0, FeatureCount).Select(j =>
        {
            var column = new float[Samples];
            for (int i = 0; i < Samples; i++) column[i] = values[i * FeatureCount + j];
            return Math.Log10(Data.MeanVariance(column).Variance);
        }).ToArray();
        plot.Add.HorizontalLine(0, 1, Colors.Black, LinePattern.Dashed);
        var points = plot.Add.Scatter(Enumerable.Range(0, FeatureCount).Select(j => (double)j).ToArray(), log10Variance, color);
        points.LineWidth = 0;
        points.MarkerSize = 8;
        plot.Axes.SetLimitsY(-2, 2.5);
        plot.Title($"{title}: variance per feature");
        plot.XLabel("feature");
        plot.YLabel("log10 variance");
    }

    private static void OneSample(Plot plot, string title, float[] values, Color color)
    {
        double[] row = values.Skip(ShownSample * FeatureCount).Take(FeatureCount).Select(v => (double)v).ToArray();
        var line = plot.Add.Scatter(Enumerable.Range(0, FeatureCount).Select(j => (double)j).ToArray(), row, color);
        line.LineWidth = 1.5f;
        var (mean, variance) = Data.MeanVariance(values.AsSpan(ShownSample * FeatureCount, FeatureCount));
        plot.Title($"{title}: sample {ShownSample} (mean {mean:0.00}, var {variance:0.00})");
        plot.XLabel("feature");
        plot.YLabel("value");
    }
}
