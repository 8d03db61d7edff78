using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace NormGen.Testing;

/// <summary>
/// Builds tiny single-node ONNX models in memory (hand-written protobuf, no ONNX package needed) so tests and benchmarks
/// can compare with ONNX Runtime's own normalization kernels. Every model takes all tensors as graph inputs.
/// </summary>
public static class OnnxModels
{
    /// <summary>ONNX element types (TensorProto.DataType).</summary>
    public enum ElementType { Float = 1, Float16 = 10, Double = 11 }

    /// <summary>One graph input or output: name, element type and shape.</summary>
    public readonly record struct Tensor(string Name, ElementType Type, long[] Shape);

    /// <summary>An attribute of the node: a float or an int.</summary>
    public readonly record struct Attribute(string Name, float? F = null, long? I = null);

    /// <summary><c>LayerNormalization</c> (opset 17): inputs X, Scale[, B]; output Y. Normalizes axes [axis, rank).</summary>
    public static byte[] LayerNormalization(long[] shape, int axis, float epsilon, bool withBias, ElementType type = ElementType.Float)
    {
        long[] paramShape = shape[axis..];
        var inputs = new List<Tensor> { new("X", type, shape), new("Scale", type, paramShape) };
        if (withBias) inputs.Add(new("B", type, paramShape));
        return Single("LayerNormalization", "", 17, inputs, [new("Y", type, shape)],
            [new("axis", I: axis), new("epsilon", F: epsilon)]);
    }

    /// <summary>ONNX Runtime's contrib <c>SimplifiedLayerNormalization</c> (RMSNorm): inputs X, scale; output Y.</summary>
    public static byte[] SimplifiedLayerNormalization(long[] shape, int axis, float epsilon, ElementType type = ElementType.Float)
    {
        long[] paramShape = shape[axis..];
        return Single("SimplifiedLayerNormalization", "", 17, [new("X", type, shape), new("scale", type, paramShape)],
            [new("Y", type, shape)], [new("axis", I: axis), new("epsilon", F: epsilon)]);
    }

    /// <summary>
    /// ONNX Runtime's contrib <c>com.microsoft.SkipLayerNormalization</c>: inputs input, skip, gamma[, beta][, bias];
    /// outputs output and input_skip_bias_sum (the pre-norm sum). Shape is (batch, sequence, hidden).
    /// </summary>
    public static byte[] SkipLayerNormalization(long[] shape, float epsilon, bool withBeta, bool withBias, ElementType type = ElementType.Float)
    {
        long[] hidden = [shape[^1]];
        var inputs = new List<Tensor> { new("input", type, shape), new("skip", type, shape), new("gamma", type, hidden) };
        inputs.Add(withBeta ? new("beta", type, hidden) : new("", type, hidden));
        if (withBias) inputs.Add(new("bias", type, hidden));
        return Single("SkipLayerNormalization", "com.microsoft", 1, inputs,
            [new("output", type, shape), new("mean", ElementType.Float, []), new("inv_std_var", ElementType.Float, []), new("input_skip_bias_sum", type, shape)],
            [new("epsilon", F: epsilon)]);
    }

    /// <summary>
    /// ONNX Runtime's contrib <c>com.microsoft.SkipSimplifiedLayerNormalization</c> (residual RMSNorm): inputs input, skip,
    /// gamma[, bias]; outputs output and input_skip_bias_sum.
    /// </summary>
    public static byte[] SkipSimplifiedLayerNormalization(long[] shape, float epsilon, ElementType type = ElementType.Float)
    {
        long[] hidden = [shape[^1]];
        return Single("SkipSimplifiedLayerNormalization", "com.microsoft", 1,
            [new("input", type, shape), new("skip", type, shape), new("gamma", type, hidden)],
            [new("output", type, shape), new("mean", ElementType.Float, []), new("inv_std_var", ElementType.Float, []), new("input_skip_bias_sum", type, shape)],
            [new("epsilon", F: epsilon)]);
    }

    /// <summary>A model with one node. Inputs or outputs with an empty name are passed to the node as "absent" and not declared.</summary>
    public static byte[] Single(string opType, string domain, long opsetVersion, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs, IReadOnlyList<Attribute> attributes)
    {
        var node = new ProtoWriter();
        foreach (Tensor t in inputs) node.String(1, t.Name);
        // Optional outputs that nobody reads are still named, so the runtime computes them.
        foreach (Tensor t in outputs) node.String(2, t.Name);
        node.String(3, "node");
        node.String(4, opType);
        foreach (Attribute a in attributes)
        {
            var attr = new ProtoWriter();
            attr.String(1, a.Name);
            if (a.F is float f) { attr.Fixed32(2, f); attr.Varint(20, 1); }
            else { attr.Varint(3, a.I ?? 0); attr.Varint(20, 2); }
            node.Message(5, attr);
        }
        if (domain.Length > 0) node.String(7, domain);

        var graph = new ProtoWriter();
        graph.Message(1, node);
        graph.String(2, "g");
        foreach (Tensor t in inputs) if (t.Name.Length > 0) graph.Message(11, ValueInfo(t));
        foreach (Tensor t in outputs) if (t.Name.Length > 0) graph.Message(12, ValueInfo(t));

        var model = new ProtoWriter();
        model.Varint(1, 8); // ir_version
        model.String(2, "NormGen.Testing");
        model.Message(7, graph);
        var onnxOpset = new ProtoWriter();
        onnxOpset.String(1, "");
        onnxOpset.Varint(2, 17);
        model.Message(8, onnxOpset);
        if (domain.Length > 0)
        {
            var opset = new ProtoWriter();
            opset.String(1, domain);
            opset.Varint(2, opsetVersion);
            model.Message(8, opset);
        }
        return model.ToArray();
    }

    /// <summary>
    /// <c>BatchNormalization</c> (opset 15, inference: <c>training_mode</c> 0): inputs X (N, C, *), scale, B, input_mean,
    /// input_var (C each); output Y = (X − mean) / √(var + ε) · scale + B.
    /// </summary>
    public static byte[] BatchNormalization(long[] shape, float epsilon, ElementType type = ElementType.Float)
    {
        long[] channels = [shape[1]];
        return SingleAtOpset("BatchNormalization", 15,
            [new("X", type, shape), new("scale", type, channels), new("B", type, channels), new("input_mean", type, channels), new("input_var", type, channels)],
            [new("Y", type, shape)], [new("epsilon", F: epsilon)]);
    }

    /// <summary><c>InstanceNormalization</c> (version 6, imported at opset 17): inputs input (N, C, *), scale, B (C each); output output.</summary>
    public static byte[] InstanceNormalization(long[] shape, float epsilon, ElementType type = ElementType.Float)
    {
        long[] channels = [shape[1]];
        return SingleAtOpset("InstanceNormalization", 17,
            [new("input", type, shape), new("scale", type, channels), new("B", type, channels)],
            [new("output", type, shape)], [new("epsilon", F: epsilon)]);
    }

    /// <summary>
    /// <c>GroupNormalization</c> at opset 21, where scale and bias hold one value per channel (C), as PyTorch's
    /// <c>group_norm</c>; opset 18 took one per group and is deprecated. Inputs X (N, C, *), scale, bias; output Y.
    /// </summary>
    public static byte[] GroupNormalization(long[] shape, int groups, float epsilon, ElementType type = ElementType.Float)
    {
        long[] channels = [shape[1]];
        return SingleAtOpset("GroupNormalization", 21,
            [new("X", type, shape), new("scale", type, channels), new("bias", type, channels)],
            [new("Y", type, shape)], [new("epsilon", F: epsilon), new("num_groups", I: groups)]);
    }

    /// <summary>A model with one node of the default ONNX domain, imported at <paramref name="onnxOpset"/>.</summary>
    public static byte[] SingleAtOpset(string opType, long onnxOpset, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs, IReadOnlyList<Attribute> attributes)
    {
        var node = new ProtoWriter();
        foreach (Tensor t in inputs) node.String(1, t.Name);
        foreach (Tensor t in outputs) node.String(2, t.Name);
        node.String(3, "node");
        node.String(4, opType);
        foreach (Attribute a in attributes)
        {
            var attr = new ProtoWriter();
            attr.String(1, a.Name);
            if (a.F is float f) { attr.Fixed32(2, f); attr.Varint(20, 1); }
            else { attr.Varint(3, a.I ?? 0); attr.Varint(20, 2); }
            node.Message(5, attr);
        }

        var graph = new ProtoWriter();
        graph.Message(1, node);
        graph.String(2, "g");
        foreach (Tensor t in inputs) if (t.Name.Length > 0) graph.Message(11, ValueInfo(t));
        foreach (Tensor t in outputs) if (t.Name.Length > 0) graph.Message(12, ValueInfo(t));

        var model = new ProtoWriter();
        model.Varint(1, onnxOpset >= 21 ? 10 : 8); // ir_version: opset 21 needs IR 10
        model.String(2, "NormGen.Testing");
        model.Message(7, graph);
        var opset = new ProtoWriter();
        opset.String(1, "");
        opset.Varint(2, onnxOpset);
        model.Message(8, opset);
        return model.ToArray();
    }

    private static ProtoWriter ValueInfo(Tensor t)
    {
        var shape = new ProtoWriter();
        foreach (long d in t.Shape)
        {
            var dim = new ProtoWriter();
            dim.Varint(1, d);
            shape.Message(1, dim);
        }
        var tensorType = new ProtoWriter();
        tensorType.Varint(1, (long)t.Type);
        tensorType.Message(2, shape);
        var type = new ProtoWriter();
        type.Message(1, tensorType);
        var info = new ProtoWriter();
        info.String(1, t.Name);
        info.Message(2, type);
        return info;
    }

    /// <summary>The few protobuf wire encodings an ONNX model needs.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream _stream = new();

        public void Varint(int field, long value) { Tag(field, 0); WriteVarint((ulong)value); }

        public void Fixed32(int field, float value) { Tag(field, 5); _stream.Write(BitConverter.GetBytes(value)); }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

        public byte[] ToArray() => _stream.ToArray();

        private void Bytes(int field, byte[] bytes) { Tag(field, 2); WriteVarint((ulong)bytes.Length); _stream.Write(bytes); }

        private void Tag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

        private void WriteVarint(ulong value)
        {
            while (value >= 0x80) { _stream.WriteByte((byte)(value | 0x80)); value >>= 7; }
            _stream.WriteByte((byte)value);
        }
    }
}
