using System;
using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NormGen;

// The block kinds over Half tensors (GroupNorm, InstanceNorm, BatchNorm evaluation and training): the tensor is cut into
// units that the float kernel can take whole (whole samples; whole channels of a sample; for training, channels over
// all samples), about UnitElements each, and the units are spread over the pool. A thread widens each of its units
// into a float buffer of its own, normalizes it there with the float driver (on that thread: RowScheduler keeps a
// kernel called inside one of its blocks off the pool) and narrows it once into y. Each unit is computed as in a
// whole-tensor float call, so the results are the float kernel's, rounded once, on any thread count and any unit size.
// The slab loop before widened and narrowed 2²⁰ elements at a time on the calling thread, so a second core ran only the
// float kernel between: InstanceNorm (1, 64, 256, 256) took 1.10 ms on one thread and 1.46 on two.
public static partial class BlockEngine
{
    /// <summary>
    /// The elements a Half unit aims at: an eighth of the tensor (so two or more threads get several units each), at least
    /// 2¹⁶ and at most 2²⁰; a unit holds at least one sample, channel, or channel over the batch. Large units widen and
    /// narrow faster: one thread, InstanceNorm (16, 64, 112, 112) took 5.3–5.7 ms in units of 2¹⁶ and 3.4–3.5 in 2²⁰ (a
    /// plain widening loop of 12.8M Halfs: 3.0 ms into a 2¹⁶-float buffer, 1.2 into a 2²⁰ one, on this 2-core EPYC).
    /// </summary>
    private static long UnitElements(long total) => Math.Clamp(total / 8, 1 << 16, 1 << 20);

    /// <summary>What a unit of a Half call is.</summary>
    private enum HalfUnit
    {
        /// <summary>Whole samples, <see cref="HalfLayout.PerUnit"/> of them (GroupNorm; the others when a sample fits a unit).</summary>
        Samples,
        /// <summary>Whole channels of one sample, <see cref="HalfLayout.PerUnit"/> of them (InstanceNorm, BatchNorm evaluation).</summary>
        Channels,
        /// <summary>Whole channels over every sample, <see cref="HalfLayout.PerUnit"/> of them (BatchNorm training: its statistics need them all).</summary>
        Training,
        /// <summary>Whole groups of one sample, <see cref="HalfLayout.PerUnit"/> of them (GroupNorm, when a sample is larger than a unit).</summary>
        Groups,
    }

    /// <summary>How a Half call's (batch × channels × spatial) tensor is cut into units.</summary>
    private readonly struct HalfLayout
    {
        public readonly HalfUnit Unit;
        public readonly int Batch, Channels, Spatial, PerUnit, Count, Largest;

        /// <summary>Units per sample of <see cref="HalfUnit.Channels"/> and <see cref="HalfUnit.Groups"/> layouts (unit u is of sample u / UnitsPerSample).</summary>
        public readonly int UnitsPerSample;

        public HalfLayout(HalfUnit unit, int batch, int channels, int spatial, int groups = 1)
        {
            (Batch, Channels, Spatial) = (batch, channels, spatial);
            long sample = (long)channels * spatial, target = UnitElements(batch * sample);
            if (unit is HalfUnit.Channels or HalfUnit.Groups && sample <= target)
                unit = HalfUnit.Samples; // small samples: several per unit
            Unit = unit;
            (int of, long each) = unit switch
            {
                HalfUnit.Samples => (batch, sample),
                HalfUnit.Channels => (channels, spatial),
                HalfUnit.Groups => (groups, sample / groups),
                _ => (channels, (long)batch * spatial),
            };
            PerUnit = (int)Math.Clamp(target / each, 1, of);
            UnitsPerSample = (of + PerUnit - 1) / PerUnit;
            Count = unit is HalfUnit.Channels or HalfUnit.Groups ? batch * UnitsPerSample : UnitsPerSample;
            Largest = (int)(PerUnit * each);
        }
    }

    /// <summary>
    /// GroupNorm, InstanceNorm or BatchNorm evaluation of a Half tensor: the per-channel parameters widened once, then the
    /// units (whole samples; for InstanceNorm and BatchNorm evaluation of samples past a unit, whole channels of one) over
    /// the pool.
    /// </summary>
    private static void StagedSamples<TSpec>(ReadOnlySpan<Half> x, Span<Half> y, int batch, int channels, int spatial,
        ReadOnlySpan<Half> gamma, ReadOnlySpan<Half> beta, ReadOnlySpan<Half> runningMean, ReadOnlySpan<Half> runningVar,
        Span<float> saveMean, Span<float> saveRstd)
        where TSpec : struct, IBlockSpec<float>
    {
        float[] parameters = ArrayPool<float>.Shared.Rent(4 * channels);
        Span<float> gammaSingle = Widen(gamma, parameters, 0, channels), betaSingle = Widen(beta, parameters, 1, channels);
        Span<float> meanSingle = Widen(runningMean, parameters, 2, channels), varSingle = Widen(runningVar, parameters, 3, channels);
        var layout = TSpec.Kind == BlockKind.GroupNorm
            ? new HalfLayout(HalfUnit.Groups, batch, channels, spatial, TSpec.Groups)
            : new HalfLayout(HalfUnit.Channels, batch, channels, spatial);
        try
        {
            RunHalf<TSpec>(layout, 0f, x, y, gammaSingle, betaSingle, meanSingle, varSingle, saveMean, saveRstd);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(parameters);
        }
    }

    /// <summary>
    /// <see cref="Train{TSpec, T}"/> for Half tensors: the per-channel parameters and running statistics are widened
    /// once, then units of whole channels over all samples go over the pool (each gathered into a float buffer, computed
    /// there by the float kernel and narrowed once on store); the running statistics are narrowed back at the end and the
    /// saved statistics stay float.
    /// </summary>
    public static void Train<TSpec>(ReadOnlySpan<Half> x, Span<Half> y, int batch, int channels, int spatial,
        Span<Half> runningMean, Span<Half> runningVar, Span<long> batchesTracked = default,
        ReadOnlySpan<Half> gamma = default, ReadOnlySpan<Half> beta = default, Span<float> saveMean = default, Span<float> saveRstd = default)
        where TSpec : struct, IBlockSpec<float>
    {
        float[] parameters = ArrayPool<float>.Shared.Rent(4 * channels);
        Span<float> gammaSingle = Widen(gamma, parameters, 0, channels), betaSingle = Widen(beta, parameters, 1, channels);
        Span<float> meanSingle = Widen(runningMean, parameters, 2, channels), varSingle = Widen(runningVar, parameters, 3, channels);
        float momentum = Momentum<TSpec, float>(batchesTracked);
        try
        {
            RunHalf<TSpec>(new HalfLayout(HalfUnit.Training, batch, channels, spatial), momentum, x, y, gammaSingle, betaSingle, meanSingle, varSingle, saveMean, saveRstd);
            HalfNarrowing.ToHalf(meanSingle, runningMean);
            HalfNarrowing.ToHalf(varSingle, runningVar);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(parameters);
        }
    }

    /// <summary>The units of <paramref name="layout"/> over the pool (on the calling thread when they do not spread).</summary>
    private static void RunHalf<TSpec>(HalfLayout layout, float momentum, ReadOnlySpan<Half> x, Span<Half> y, Span<float> gamma, Span<float> beta,
        Span<float> runningMean, Span<float> runningVar, Span<float> saveMean, Span<float> saveRstd)
        where TSpec : struct, IBlockSpec<float>
    {
        int threads = RowScheduler.DegreeOfParallelism(layout.Count, layout.Largest);
        RowScheduler.Run(threads, layout.Count, new HalfWork<TSpec>(layout, momentum), MemoryMarshal.AsBytes(x), MemoryMarshal.AsBytes(y),
            MemoryMarshal.AsBytes(gamma), MemoryMarshal.AsBytes(beta), MemoryMarshal.AsBytes(runningMean), MemoryMarshal.AsBytes(runningVar),
            MemoryMarshal.AsBytes(saveMean), MemoryMarshal.AsBytes(saveRstd));
    }

    /// <summary>
    /// A range of a Half call's units for one thread, through one pooled float buffer. Buffers: x, y (Half); γ, β, the
    /// running mean and variance (float, widened; training updates its units' channels of the latter two); the saved
    /// mean and rstd (float).
    /// </summary>
    private readonly struct HalfWork<TSpec>(HalfLayout layout, float momentum) : IRowKernel where TSpec : struct, IBlockSpec<float>
    {
        public void Execute(in PinnedBuffers buffers, int firstRow, int rowCount)
        {
            float[] buffer = ArrayPool<float>.Shared.Rent(layout.Largest);
            for (int unit = firstRow; unit < firstRow + rowCount; unit++)
            {
                if (layout.Unit == HalfUnit.Training)
                    TrainingUnit(in buffers, unit, buffer);
                else if (layout.Unit == HalfUnit.Groups)
                    GroupUnit(in buffers, unit, buffer);
                else
                    SampleUnit(in buffers, unit, buffer);
            }
            ArrayPool<float>.Shared.Return(buffer);
        }

        /// <summary>Whole samples, or whole channels of one sample: contiguous in x, widened, normalized, narrowed.</summary>
        private void SampleUnit(in PinnedBuffers buffers, int unit, float[] buffer)
        {
            int channels = layout.Channels, spatial = layout.Spatial, perSample = TSpec.Kind == BlockKind.GroupNorm ? TSpec.Groups : channels;
            int samples, first, c0, count;
            if (layout.Unit == HalfUnit.Samples)
            {
                (first, c0, count) = (unit * layout.PerUnit, 0, channels);
                samples = Math.Min(layout.PerUnit, layout.Batch - first);
            }
            else
            {
                (first, samples, c0) = (unit / layout.UnitsPerSample, 1, unit % layout.UnitsPerSample * layout.PerUnit);
                count = Math.Min(layout.PerUnit, channels - c0);
            }
            int at = (first * channels + c0) * spatial, length = samples * count * spatial;
            Span<float> data = buffer.AsSpan(0, length);
            HalfWidening.ToSingle(buffers.Get<Half>(0).Slice(at, length), data);
            // Saved statistics per (sample, group): whole samples take theirs, channels of one sample (InstanceNorm) theirs.
            int saved = layout.Unit == HalfUnit.Samples ? first * perSample : first * channels + c0, savedCount = layout.Unit == HalfUnit.Samples ? samples * perSample : count;
            Span<float> saveMean = TSpec.SaveStatistics ? buffers.Get<float>(6).Slice(saved, savedCount) : default;
            Span<float> saveRstd = TSpec.SaveStatistics ? buffers.Get<float>(7).Slice(saved, savedCount) : default;
            if (TSpec.Kind == BlockKind.BatchNormEvaluation)
                Evaluate<TSpec, float>(data, data, samples, count, spatial, Part(buffers.Get<float>(4), c0, count), Part(buffers.Get<float>(5), c0, count),
                    Part(buffers.Get<float>(2), c0, count), Part(buffers.Get<float>(3), c0, count));
            else
                Groups<TSpec, float>(data, data, samples, count, spatial, Part(buffers.Get<float>(2), c0, count), Part(buffers.Get<float>(3), c0, count), saveMean, saveRstd);
            HalfNarrowing.ToHalf(data, buffers.Get<Half>(1).Slice(at, length));
        }

        /// <summary>
        /// Whole groups g0 … g0 + k − 1 of sample n: widened into the buffer, normalized there by GroupBlocks as blocks
        /// 0 … k − 1 with γ, β and the saved statistics taken from the unit's first group on (GroupBlocks indexes γ and β
        /// by the block's group in its sample and the saved statistics by the block: counted from the unit's first group,
        /// they name the same values), narrowed.
        /// </summary>
        private void GroupUnit(in PinnedBuffers buffers, int unit, float[] buffer)
        {
            int groups = TSpec.Groups, channels = layout.Channels, spatial = layout.Spatial, perGroup = channels / groups, groupLength = perGroup * spatial;
            int n = unit / layout.UnitsPerSample, g0 = unit % layout.UnitsPerSample * layout.PerUnit;
            int count = Math.Min(layout.PerUnit, groups - g0), at = n * channels * spatial + g0 * groupLength, length = count * groupLength;
            Span<float> data = buffer.AsSpan(0, length);
            HalfWidening.ToSingle(buffers.Get<Half>(0).Slice(at, length), data);
            GroupBlocks<TSpec, float>(0, count, data, Part(buffers.Get<float>(2), g0 * perGroup, count * perGroup), Part(buffers.Get<float>(3), g0 * perGroup, count * perGroup), data,
                TSpec.SaveStatistics ? buffers.Get<float>(6).Slice(n * groups + g0, count) : default, TSpec.SaveStatistics ? buffers.Get<float>(7).Slice(n * groups + g0, count) : default,
                channels, spatial);
            HalfNarrowing.ToHalf(data, buffers.Get<Half>(1).Slice(at, length));
        }

        /// <summary>Whole channels over every sample: gathered from each sample, trained (running statistics of those channels updated), scattered back.</summary>
        private void TrainingUnit(in PinnedBuffers buffers, int unit, float[] buffer)
        {
            int batch = layout.Batch, channels = layout.Channels, spatial = layout.Spatial, c0 = unit * layout.PerUnit;
            int count = Math.Min(layout.PerUnit, channels - c0), part = count * spatial, sampleLength = channels * spatial;
            Span<float> data = buffer.AsSpan(0, batch * part);
            ReadOnlySpan<Half> x = buffers.Get<Half>(0);
            for (int n = 0; n < batch; n++)
                HalfWidening.ToSingle(x.Slice(n * sampleLength + c0 * spatial, part), data.Slice(n * part, part));
            TrainWith<TSpec, float>(data, Part(buffers.Get<float>(2), c0, count), Part(buffers.Get<float>(3), c0, count),
                buffers.Get<float>(4).Slice(c0, count), buffers.Get<float>(5).Slice(c0, count), data,
                TSpec.SaveStatistics ? buffers.Get<float>(6).Slice(c0, count) : default, TSpec.SaveStatistics ? buffers.Get<float>(7).Slice(c0, count) : default,
                batch, count, spatial, momentum);
            Span<Half> y = buffers.Get<Half>(1);
            for (int n = 0; n < batch; n++)
                HalfNarrowing.ToHalf(data.Slice(n * part, part), y.Slice(n * sampleLength + c0 * spatial, part));
        }
    }

    /// <summary>The Half span widened into slot <paramref name="slot"/> (of <paramref name="channels"/> floats) of the buffer; empty stays empty.</summary>
    private static Span<float> Widen(ReadOnlySpan<Half> values, float[] buffer, int slot, int channels)
    {
        if (values.IsEmpty) return default;
        Span<float> widened = buffer.AsSpan(slot * channels, channels);
        HalfWidening.ToSingle(values, widened);
        return widened;
    }

    /// <summary>Elements from … from + count − 1 of an optional span (empty stays empty).</summary>
    private static Span<float> Part(Span<float> values, int from, int count) => values.IsEmpty ? default : values.Slice(from, count);
}
