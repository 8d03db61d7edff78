using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using NormGen.Training;

// Trains the same MLP three ways (no normalization, LayerNorm, BatchNorm) on badly scaled raw features, through NormGen's
// forward and backward kernels, and writes the loss curves (PNG with ScottPlot, and a CSV).
var options = new TrainingOptions();
if (args.Contains("--quick")) options = options with { TrainSamples = 1024, TestSamples = 512, Hidden = 64, Epochs = 4 };
for (int i = 0; i + 1 < args.Length; i++)
{
    if (args[i] == "--lr") options = options with { LearningRate = float.Parse(args[i + 1], CultureInfo.InvariantCulture) };
    if (args[i] == "--epochs") options = options with { Epochs = int.Parse(args[i + 1], CultureInfo.InvariantCulture) };
    if (args[i] == "--hidden") options = options with { Hidden = int.Parse(args[i + 1], CultureInfo.InvariantCulture) };
}
var data = MlpTrainer.MakeData(options);
Console.WriteLine($"MLP {options.Features} → {options.HiddenLayers} × {options.Hidden} → {options.Classes}, {options.TrainSamples} training / {options.TestSamples} test samples, " +
                  $"batch {options.BatchSize}, SGD lr {options.LearningRate.ToString(CultureInfo.InvariantCulture)} (gradient norm clipped at {options.ClipNorm.ToString(CultureInfo.InvariantCulture)}), feature scales 1e-2 … 1e3");

var curves = new (NormVariant Variant, System.Collections.Generic.List<EpochResult> Results)[3];
var variants = new[] { NormVariant.None, NormVariant.LayerNorm, NormVariant.BatchNorm };
for (int v = 0; v < variants.Length; v++)
{
    var clock = Stopwatch.StartNew();
    var results = MlpTrainer.Train(variants[v], options, data);
    Console.WriteLine($"\n{variants[v]} ({clock.Elapsed.TotalSeconds:F1} s)");
    foreach (EpochResult r in results)
        Console.WriteLine($"  epoch {r.Epoch,2}: loss {r.TrainLoss.ToString("F4", CultureInfo.InvariantCulture),9}  test accuracy {(100 * r.TestAccuracy).ToString("F1", CultureInfo.InvariantCulture),5} %");
    curves[v] = (variants[v], results);
}

string csv = "epoch," + string.Join(",", curves.Select(c => $"{c.Variant}_loss,{c.Variant}_accuracy")) + "\n" +
    string.Join("\n", Enumerable.Range(0, options.Epochs).Select(e => (e + 1).ToString(CultureInfo.InvariantCulture) + "," +
        string.Join(",", curves.Select(c => $"{c.Results[e].TrainLoss.ToString("R", CultureInfo.InvariantCulture)},{c.Results[e].TestAccuracy.ToString("R", CultureInfo.InvariantCulture)}")))) + "\n";
File.WriteAllText("loss-curves.csv", csv);
Console.WriteLine("\nWrote loss-curves.csv");

try
{
    var plot = new ScottPlot.Plot();
    foreach (var (variant, results) in curves)
    {
        double[] xs = results.Select(r => (double)r.Epoch).ToArray();
        double[] ys = results.Select(r => double.IsFinite(r.TrainLoss) ? r.TrainLoss : double.NaN).ToArray();
        var line = plot.Add.Scatter(xs, ys);
        line.LegendText = variant.ToString();
    }
    plot.Title("MLP on badly scaled features: training loss (None starts off the chart)");
    plot.XLabel("epoch");
    plot.YLabel("cross-entropy");
    plot.ShowLegend();
    // The unnormalized network starts far above (tens); keep the axis where the curves can be told apart.
    plot.Axes.SetLimitsY(0, 2.5);
    plot.SavePng("loss-curves.png", 800, 500);
    Console.WriteLine("Wrote loss-curves.png");
}
catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
{
    Console.WriteLine($"No PNG: ScottPlot could not load its native renderer here ({e.GetType().Name}); the CSV has the same numbers.");
}
