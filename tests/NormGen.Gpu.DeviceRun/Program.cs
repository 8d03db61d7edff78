using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using NormGen.Gpu.Tests;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace NormGen.Gpu.DeviceRun;

/// <summary>
/// Runs NormGen.Gpu.Tests on a GPU machine without the .NET SDK, the way xunit would: <see cref="CudaTests"/> on its
/// CUDA fixture, and with <c>--all</c> every class built on <see cref="CpuAcceleratorFixture"/> too, on the CUDA device
/// (this program sets <c>NORMGEN_GPU_TESTS_DEVICE=cuda</c>, which that fixture reads). One fixture per class type, a
/// fresh test object per case (each data row of each theory), the case's output printed. A case passes when it returns,
/// is skipped when it throws xunit's skip exception, and fails on any other exception. Exit code: the number of failed
/// cases, or 1 when nothing passed (a run without a GPU is not mistaken for a pass).
/// Usage: <c>./NormGen.Gpu.DeviceRun [--all] [--cpu] [name filter]</c>.
/// </summary>
public static class Program
{
    private sealed class ConsoleOutput : ITestOutputHelper
    {
        public void WriteLine(string message) => Console.WriteLine("    " + message);

        public void WriteLine(string format, params object[] args) => Console.WriteLine("    " + string.Format(format, args));
    }

    private static int passed, failed, skipped;

    public static int Main(string[] args)
    {
        bool all = args.Contains("--all");
        string? filter = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
        if (!args.Contains("--cpu")) // --cpu: the CpuAcceleratorFixture classes stay on ILGPU's CPU accelerator (to check this program)
            Environment.SetEnvironmentVariable("NORMGEN_GPU_TESTS_DEVICE", "cuda");
        using (var cuda = new CudaFixture())
        {
            Console.WriteLine(cuda.SkipReason ?? $"CUDA device: {cuda.Accelerator!.Name}");
            RunClass(typeof(CudaTests), cuda, filter);
        }
        if (all)
        {
            using var fixture = new CpuAcceleratorFixture(); // on CUDA: the variable above
            foreach (Type type in typeof(CudaTests).Assembly.GetTypes().Where(t => t.IsPublic && Takes(t, typeof(CpuAcceleratorFixture))))
                RunClass(type, fixture, filter);
        }
        Console.WriteLine($"NormGen.Gpu.Tests on CUDA: {passed} passed, {failed} failed, {skipped} skipped");
        return failed > 0 ? failed : passed == 0 ? 1 : 0;
    }

    private static bool Takes(Type type, Type fixture) =>
        type.GetConstructors().Any(c => c.GetParameters().Length > 0 && c.GetParameters()[0].ParameterType == fixture);

    private static void RunClass(Type type, object fixture, string? filter)
    {
        ConstructorInfo ctor = type.GetConstructors().Single();
        foreach (MethodInfo method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.GetCustomAttributes<FactAttribute>(true).Any()))
        {
            IEnumerable<object?[]> rows = method.GetCustomAttributes<DataAttribute>(true).SelectMany(a => a.GetData(method)).ToArray();
            if (!rows.Any()) rows = new[] { Array.Empty<object?>() };
            foreach (object?[] row in rows)
            {
                string name = $"{type.Name}.{method.Name}({string.Join(", ", row)})";
                if (filter is not null && !name.Contains(filter, StringComparison.Ordinal)) continue;
                object?[] ctorArgs = ctor.GetParameters().Select(p => p.ParameterType == typeof(ITestOutputHelper) ? new ConsoleOutput() : fixture).ToArray();
                var clock = Stopwatch.StartNew();
                try
                {
                    method.Invoke(ctor.Invoke(ctorArgs), row);
                    passed++;
                    Console.WriteLine($"PASS {name} ({clock.ElapsedMilliseconds} ms)");
                }
                catch (TargetInvocationException e) when (e.InnerException?.GetType().Name == "SkipException")
                {
                    skipped++;
                    Console.WriteLine($"SKIP {name}: {e.InnerException.Message}");
                }
                catch (TargetInvocationException e)
                {
                    failed++;
                    Console.WriteLine($"FAIL {name}: {e.InnerException}");
                }
            }
        }
    }
}
