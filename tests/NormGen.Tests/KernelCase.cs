using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;

namespace NormGen.Tests;

public enum NormKind { LayerNorm, RmsNorm }

/// <summary>
/// Every generated kernel under test seen through one signature: x, run-time row length (ignored by static-shape
/// kernels), gamma, beta (ignored where the affine mode has none) and y.
/// </summary>
public delegate void KernelFn<T>(ReadOnlySpan<T> x, int rowLength, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y);

/// <summary>
/// One generated kernel with what the tests need to know about it: kind, affine mode, element type, ε and the
/// static row length (0 for run-time row length). Inputs and outputs cross the boundary as double arrays, converted
/// to and from the element type with round-to-nearest, so one test body serves float, double and Half.
/// </summary>
public abstract class KernelCase
{
    protected KernelCase(string name, NormKind kind, Affine affine, int staticRowLength)
    {
        Name = name;
        Kind = kind;
        Affine = affine;
        StaticRowLength = staticRowLength;
    }

    public string Name { get; }
    public NormKind Kind { get; }
    public Affine Affine { get; }
    /// <summary>The compile-time row length, or 0 when the kernel takes the row length at run time.</summary>
    public int StaticRowLength { get; }
    public abstract Type Element { get; }

    /// <summary>ε as the kernel's compute type holds it: float kernels (and Half) use the float literal, double kernels the decimal value.</summary>
    public double Epsilon => Kind == NormKind.LayerNorm
        ? (Element == typeof(double) ? 1e-5 : (double)1e-5f)
        : (Element == typeof(double) ? Math.Pow(2, -52) : (double)1.1920929e-07f); // RMSNorm: finfo(compute type).eps

    /// <summary>The unit roundoff of the type the kernel computes in (Half computes in float).</summary>
    public double ComputeEpsilon => Element == typeof(double) ? Math.Pow(2, -53) : Math.Pow(2, -24);

    public bool IsHalf => Element == typeof(Half);

    /// <summary>Rounds values to the element type and back.</summary>
    public abstract double[] Round(double[] values);

    /// <summary>Runs the kernel on <paramref name="x"/> (already representable in the element type) and returns y.</summary>
    public abstract double[] Run(double[] x, int rowLength, double[] gamma, double[] beta);

    /// <summary>Runs the kernel in place (y is x) and returns the result.</summary>
    public abstract double[] RunInPlace(double[] x, int rowLength, double[] gamma, double[] beta);

    /// <summary>Runs the kernel with explicit spans of the element type.</summary>
    public abstract void Invoke(Array x, int rowLength, Array gamma, Array beta, Array y);

    public override string ToString() => Name;

    public static KernelCase Static<T>(string name, NormKind kind, Affine affine, int rowLength, KernelFn<T> fn)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => new KernelCase<T>(name, kind, affine, rowLength, fn);

    public static KernelCase Dynamic<T>(string name, NormKind kind, Affine affine, KernelFn<T> fn)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => new KernelCase<T>(name, kind, affine, 0, fn);

    private static readonly Lazy<Dictionary<string, KernelCase>> s_all = new(() =>
        StaticKernels.All().Concat(DynKernels.All()).ToDictionary(c => c.Name));

    public static KernelCase Get(string name) => s_all.Value[name];

    public static IEnumerable<KernelCase> AllStatic => StaticKernels.All();
    public static IEnumerable<KernelCase> AllDynamic => DynKernels.All();
}

public sealed class KernelCase<T> : KernelCase where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly KernelFn<T> _fn;

    public KernelCase(string name, NormKind kind, Affine affine, int staticRowLength, KernelFn<T> fn)
        : base(name, kind, affine, staticRowLength) => _fn = fn;

    public override Type Element => typeof(T);

    public static T[] To(double[] values) => values.Select(T.CreateTruncating).ToArray();

    public static double[] From(ReadOnlySpan<T> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = double.CreateTruncating(values[i]);
        return result;
    }

    public override double[] Round(double[] values) => From(To(values));

    public override double[] Run(double[] x, int rowLength, double[] gamma, double[] beta)
    {
        var y = new T[x.Length];
        _fn(To(x), rowLength, To(gamma), To(beta), y);
        return From(y);
    }

    public override double[] RunInPlace(double[] x, int rowLength, double[] gamma, double[] beta)
    {
        T[] xy = To(x);
        _fn(xy, rowLength, To(gamma), To(beta), xy);
        return From(xy);
    }

    public override void Invoke(Array x, int rowLength, Array gamma, Array beta, Array y) =>
        _fn((T[])x, rowLength, (T[])gamma, (T[])beta, (T[])y);

    public void Invoke(ReadOnlySpan<T> x, int rowLength, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y) =>
        _fn(x, rowLength, gamma, beta, y);
}
