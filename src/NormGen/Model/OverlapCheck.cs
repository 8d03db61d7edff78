using System.Collections.Generic;

namespace NormGen.Generator.Model;

/// <summary>How a pair of buffers may share memory.</summary>
internal enum OverlapRule
{
    /// <summary>The written buffer may be the read one exactly (in place), but not shifted: y or residualOut over x or residual.</summary>
    SameOrDisjoint,

    /// <summary>A read buffer and a written one that must not share any memory (y over γ, mean over x, …).</summary>
    DisjointFromInput,

    /// <summary>Two written buffers: no shared memory at all.</summary>
    DisjointOutputs,
}

/// <summary>One aliasing check a kernel makes before it writes anything: <see cref="First"/> is read or written, <see cref="Written"/> is written.</summary>
internal sealed record OverlapCheck(ParameterSpec First, ParameterSpec Written, OverlapRule Rule)
{
    /// <summary>
    /// Every pair of a kernel's span parameters in which at least one is written, in declaration order: the one table
    /// of aliasing rules that the CPU row, tensor and GPU emitters all render. Inputs may share memory with each other.
    /// </summary>
    public static List<OverlapCheck> For(KernelSpec spec)
    {
        var list = new List<OverlapCheck>();
        var ps = spec.Parameters;
        for (int j = 0; j < ps.Count; j++)
        {
            if (ps[j].Role == ParamRole.RowLength) continue;
            for (int i = 0; i < j; i++)
            {
                ParameterSpec a = ps[i], b = ps[j];
                if (a.Role == ParamRole.RowLength) continue;
                bool aWritten = IsWritten(spec, a.Role), bWritten = IsWritten(spec, b.Role);
                if (aWritten && bWritten) list.Add(new OverlapCheck(a, b, OverlapRule.DisjointOutputs));
                else if (aWritten) list.Add(new OverlapCheck(b, a, RuleFor(b.Role, a.Role)));
                else if (bWritten) list.Add(new OverlapCheck(a, b, RuleFor(a.Role, b.Role)));
            }
        }
        return list;
    }

    /// <summary>True for the parameters the kernel writes: y, residualOut, the statistics, and the running statistics in training; for a backward kernel dx, dγ and dβ.</summary>
    public static bool IsWritten(KernelSpec spec, ParamRole role) => spec.Backward
        ? role is ParamRole.InputGradient or ParamRole.GammaGradient or ParamRole.BetaGradient or ParamRole.ResidualGradient or ParamRole.BiasGradient
        : role is ParamRole.Output or ParamRole.ResidualOut or ParamRole.Mean or ParamRole.Rstd or ParamRole.BatchesTracked
          || (spec.Training && role is ParamRole.RunningMean or ParamRole.RunningVar);

    // The exact aliases the kernels support: each element of the written buffer is stored after the same element of
    // the read one was last read (y or residualOut over x or residual: one row, element by element, in the last pass).
    private static OverlapRule RuleFor(ParamRole read, ParamRole written) =>
        read is ParamRole.Input or ParamRole.Residual or ParamRole.OutputGradient && written is ParamRole.Output or ParamRole.ResidualOut or ParamRole.InputGradient or ParamRole.ResidualGradient
            ? OverlapRule.SameOrDisjoint
            : OverlapRule.DisjointFromInput;
}
