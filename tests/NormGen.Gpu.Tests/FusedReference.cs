using System;

namespace NormGen.Gpu.Tests;

/// <summary>
/// The fused kernels' semantics in double, written from the formulas (PyTorch's, STYLE.md §5), not from either emitter:
/// h = α·x + residual (+ bias), naive two-pass statistics, (1 + γ) for zero-centred γ, the activations with a
/// series erf and Math.Tanh.
/// </summary>
internal static class FusedReference
{
    public static FusedOutputs Run(FusedSpec s, FusedInputs io)
    {
        int n = io.RowLength;
        var y = new double[io.X.Length];
        var h = new double[io.X.Length];
        var mean = new double[io.Rows];
        var rstd = new double[io.Rows];
        for (int r = 0; r < io.Rows; r++)
        {
            int o = r * n;
            for (int i = 0; i < n; i++)
                h[o + i] = s.Residual ? s.Alpha * io.X[o + i] + io.Residual[o + i] + (s.Bias ? io.Bias[i] : 0) : io.X[o + i];
            double m = 0, v = 0;
            if (s.Kind == Kind.LayerNorm)
            {
                for (int i = 0; i < n; i++) m += h[o + i];
                m /= n;
                for (int i = 0; i < n; i++) v += (h[o + i] - m) * (h[o + i] - m);
                v /= n;
            }
            else
            {
                for (int i = 0; i < n; i++) v += h[o + i] * h[o + i];
                v /= n;
            }
            mean[r] = m;
            rstd[r] = 1 / Math.Sqrt(v + s.Epsilon);
            for (int i = 0; i < n; i++)
            {
                double value = (h[o + i] - m) * rstd[r];
                double g = s.ZeroCentered ? 1 + io.Gamma[i] : io.Gamma[i];
                if (s.Affine >= AffineKind.Scale) value *= g;
                if (s.Affine == AffineKind.ScaleAndBias) value += io.Beta[i];
                y[o + i] = Activate(s.Act, value);
            }
        }
        return new FusedOutputs(y, s.HasResidualOut ? h : null, s.SavesMean ? mean : null, s.SavesRstd ? rstd : null);
    }

    public static double Activate(Act act, double v) => act switch
    {
        Act.Relu => Math.Max(v, 0),
        Act.Gelu => NormGen.Testing.ActivationReference.Gelu(v),
        Act.GeluTanh => NormGen.Testing.ActivationReference.GeluTanh(v),
        Act.Silu => NormGen.Testing.ActivationReference.Silu(v),
        Act.Tanh => NormGen.Testing.ActivationReference.Tanh(v),
        Act.Sigmoid => NormGen.Testing.ActivationReference.Sigmoid(v),
        _ => v,
    };

}
