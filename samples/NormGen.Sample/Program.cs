using System;
using System.Text;

namespace NormGen.Sample;

/// <summary>
/// A tour of NormGen: each section is one static method in its own file, so further sections are a new file and one line here.
/// </summary>
public static class Program
{
    public static void Main()
    {
        Console.OutputEncoding = Encoding.UTF8;
        Console.WriteLine("NormGen sample: normalization kernels written by a source generator from attribute declarations (see Kernels.cs and TensorKernels.cs).");
        Console.WriteLine();

        NormalizationDemo.LayerNorm();
        NormalizationDemo.RmsNorm();
        NormalizationDemo.TensorLayerNorm();
        TensorDemo.BatchNorm();
        TensorDemo.GroupNorm();
        TensorDemo.InstanceNorm();
        TensorDemo.ChannelLayerNorms();
        ScalingDemo.Run();
        Pictures.LayerNormVsBatchNorm();
        BlocksDemo.PreNorm();
        BlocksDemo.DeepNorm();
        TimingDemo.Run();
        GpuDemo.Run();
    }
}
