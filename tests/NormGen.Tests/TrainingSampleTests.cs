using System.Linq;
using NormGen.Training;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Tests;

/// <summary>The training sample's MLP at a reduced size: the normalized variants learn, through NormGen's forward and backward kernels.</summary>
public class TrainingSampleTests(ITestOutputHelper output)
{
    [Fact]
    public void LayerNormAndBatchNorm_LossDecreases_LayerNormReachesTargetAccuracy()
    {
        var options = new TrainingOptions { TrainSamples = 1024, TestSamples = 512, Hidden = 64, Epochs = 6 };
        var data = MlpTrainer.MakeData(options);
        int majority = data.TestY.GroupBy(y => y).Max(g => g.Count());
        double chance = (double)majority / data.TestY.Length;

        var none = MlpTrainer.Train(NormVariant.None, options, data);
        var ln = MlpTrainer.Train(NormVariant.LayerNorm, options, data);
        var bn = MlpTrainer.Train(NormVariant.BatchNorm, options, data);
        foreach (var (name, r) in new[] { ("None", none), ("LayerNorm", ln), ("BatchNorm", bn) })
            output.WriteLine($"{name}: loss {string.Join(" ", r.Select(e => e.TrainLoss.ToString("F3")))}; accuracy {string.Join(" ", r.Select(e => e.TestAccuracy.ToString("P0")))}");

        Assert.True(ln[^1].TrainLoss < 0.9 * ln[0].TrainLoss, "LayerNorm loss decreases");
        Assert.True(bn[^1].TrainLoss < 0.9 * bn[0].TrainLoss, "BatchNorm loss decreases");
        Assert.True(ln[^1].TestAccuracy >= 0.35 && ln[^1].TestAccuracy >= chance + 0.08, $"LayerNorm accuracy {ln[^1].TestAccuracy:P1} (majority class {chance:P1})");
        Assert.True(ln[^1].TrainLoss < none[^1].TrainLoss && bn[^1].TrainLoss < none[^1].TrainLoss, "the normalized variants end below the unnormalized one");
    }
}
