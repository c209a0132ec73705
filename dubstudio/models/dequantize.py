"""Rewrite a dynamically quantized ONNX model (onnxruntime `quantize_dynamic`) back to float weights.

Dynamic int8 quantization quantizes every activation at run time (DynamicQuantizeLinear) and runs
ConvInteger/MatMulInteger. onnxruntime's ConvInteger has no fast CPU kernel (im2col + a generic
integer GEMM), so for a convolution-heavy vocoder such as Kokoro's the float model is several times
faster on a CPU, at the cost of 4× the weight memory. The rewrite is exact up to the weights' own
quantization error (the dequantized weights are the int8 ones) and drops the activation rounding.

Patterns rewritten (what `quantize_dynamic` emits):
- DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q, x_zp, W_zp) → Cast → Mul(x_scale·W_scale)
  becomes MatMul(x, W).
- the same with ConvInteger, optionally with an integer bias Add(Floor(b / (x_scale·W_scale)))
  before the Cast, becomes Conv(x, W, b).
- DynamicQuantizeLSTM(x, W_q, R_q, …, scales, zero points) becomes LSTM(x, W, R, …).
- a 1-D Conv becomes Unsqueeze → 2-D Conv (kernel 1×k) → Squeeze: onnxruntime runs 1-D
  convolutions through im2col (a k-times copy of the input: 200 MB for one kernel-11 layer of a
  7 s Kokoro take) but has direct NCHWc kernels for 2-D ones.
Nodes left without consumers (the quantizers, scale products) are removed; everything else —
including quantized embedding lookups, which cost nothing — is kept as it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

_INTEGER_OPS = {"MatMulInteger": "MatMul", "ConvInteger": "Conv"}


def dequantize_model(
    source: Path,
    target: Path,
    *,
    conv2d: bool = True,
    expose: Sequence[str] = (),
    optimize: Callable[[Any], dict[str, int]] | None = None,
    report: Callable[[float, str], None] | None = None,
) -> dict[str, int]:
    """Write the float version of `source` to `target`; returns how many nodes of each kind were rewritten.

    `conv2d=False` keeps 1-D convolutions 1-D (the bench measures that rewrite on its own); `expose`
    names float tensors inside the graph to add as extra outputs after the original ones;
    `optimize` rewrites the float model further in place (a model's own patterns, e.g.
    `kokoro_graph.optimize_kokoro_graph`) and returns its counts; `report(fraction, message)` hears
    each phase start.
    """
    import onnx
    from onnx import helper, numpy_helper

    say = report or (lambda _fraction, _message: None)
    say(0.0, "loading the int8 graph")
    model = onnx.load(str(source))
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    producers = {output: node for node in graph.node for output in node.output}
    consumers: dict[str, list] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)

    def array(name: str) -> np.ndarray:
        return numpy_helper.to_array(initializers[name])

    added: set[str] = set()

    def add_initializer(name: str, values) -> str:
        """`values` is a thunk, computed only the first time a shared weight is dequantized."""
        if name not in added:
            graph.initializer.append(numpy_helper.from_array(values().astype(np.float32), name))
            added.add(name)
        return name

    def only_consumer(name: str, op_type: str):
        users = consumers[name]
        return users[0] if len(users) == 1 and users[0].op_type == op_type else None

    replaced: dict[int, object] = {}  # id of the node ending a pattern → the float node taking its place
    counts: dict[str, int] = defaultdict(int)
    say(0.2, "dequantizing the weights")
    for node in graph.node:
        if node.op_type in _INTEGER_OPS:
            rewrite = _float_node(
                node, producers, initializers, only_consumer, array, add_initializer, helper
            )
            if rewrite is not None:
                rescale, float_node = rewrite
                replaced[id(rescale)] = float_node
                counts[node.op_type] += 1
        elif node.op_type == "DynamicQuantizeLSTM" and node.domain == "com.microsoft":
            replaced[id(node)] = _float_lstm(node, array, add_initializer, helper)
            counts[node.op_type] += 1

    nodes = [replaced.get(id(node), node) for node in graph.node]
    nodes = without_dead_nodes(nodes, {output.name for output in graph.output})
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if conv2d and opset >= 13:  # Unsqueeze/Squeeze take their axes as an input from opset 13 on
        nodes, counts["Conv1d"] = _as_conv2d(nodes, graph, helper, numpy_helper)
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in nodes for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if optimize is not None:
        say(0.5, "rewriting the graph")
        counts.update(optimize(model))
    for name in expose:
        graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    say(0.75, "saving the float graph")
    onnx.save(model, str(target))
    return dict(counts)


def _float_node(node, producers, initializers, only_consumer, array, add_initializer, helper):
    """(the rescaling Mul that ends the pattern, the float MatMul/Conv replacing it), or None if no match."""
    quantizer = producers.get(node.input[0])
    weight, weight_zero = node.input[1], node.input[3] if len(node.input) > 3 else ""
    if quantizer is None or quantizer.op_type != "DynamicQuantizeLinear" or weight not in initializers:
        return None
    bias_name = ""
    after = only_consumer(node.output[0], "Add")
    if node.op_type == "ConvInteger" and after is not None:
        bias_name = _float_bias(after, node.output[0], producers, initializers)
        if not bias_name:
            return None
        cast = only_consumer(after.output[0], "Cast")
    else:
        cast = only_consumer(node.output[0], "Cast")
    rescale = only_consumer(cast.output[0], "Mul") if cast is not None else None
    if rescale is None:
        return None
    scale_product = producers.get(next(name for name in rescale.input if name != cast.output[0]))
    if scale_product is None or quantizer.output[1] not in scale_product.input:
        return None
    weight_scale = next((name for name in scale_product.input if name in initializers), None)
    if weight_scale is None:
        return None

    def dequantized() -> np.ndarray:
        quantized = array(weight).astype(np.float32)
        zero = array(weight_zero).astype(np.float32) if weight_zero else np.zeros((), np.float32)
        scale = array(weight_scale).astype(np.float32)
        if node.op_type == "ConvInteger":  # per-output-channel values broadcast over (out, in, *kernel)
            zero, scale = (np.reshape(v, (-1,) + (1,) * (quantized.ndim - 1)) for v in (zero, scale))
        return (quantized - zero) * scale

    weights = add_initializer(f"{weight}_{weight_scale}_float", dequantized)
    inputs = [quantizer.input[0], weights] + ([bias_name] if bias_name else [])
    float_node = helper.make_node(
        _INTEGER_OPS[node.op_type], inputs, [rescale.output[0]], name=f"{node.name or node.output[0]}_float"
    )
    float_node.attribute.extend(node.attribute)
    return rescale, float_node


def _float_bias(add, integer_output: str, producers, initializers) -> str:
    """The float bias behind Add(Reshape(Cast(Floor(Div(b, scale))))), or "" if the Add is something else."""
    name = next((n for n in add.input if n != integer_output), "")
    chain = ["Reshape", "Cast", "Floor", "Div"]
    node = producers.get(name)
    for op_type in chain:
        if node is None or node.op_type != op_type:
            return ""
        if op_type == "Div":
            return node.input[0] if node.input[0] in initializers else ""
        node = producers.get(node.input[0])
    return ""


def _float_lstm(node, array, add_initializer, helper):
    """Quantized LSTM weights: (directions, input, 4·hidden); ONNX LSTM: (directions, 4·hidden, input)."""
    x, w, r, b, lengths, initial_h, initial_c, peepholes, w_scale, w_zero, r_scale, r_zero = (
        list(node.input) + [""] * 12
    )[:12]

    def dequantized(name: str, scale: str, zero: str) -> str:
        def values() -> np.ndarray:
            per_direction = array(name).astype(np.float32) - array(zero).astype(np.float32)[:, None, None]
            return (per_direction * array(scale).astype(np.float32)[:, None, None]).transpose(0, 2, 1)

        return add_initializer(f"{name}_{scale}_float", values)

    inputs = [x, dequantized(w, w_scale, w_zero), dequantized(r, r_scale, r_zero), b, lengths, initial_h,
              initial_c, peepholes]  # fmt: skip
    while inputs and not inputs[-1]:
        inputs.pop()
    float_node = helper.make_node(
        "LSTM", inputs, list(node.output), name=f"{node.name or node.output[0]}_float"
    )
    float_node.attribute.extend(node.attribute)
    return float_node


def _as_conv2d(nodes: list, graph, helper, numpy_helper) -> tuple[list, int]:
    """Every Conv with a 3-D weight initializer run as a 2-D Conv of height 1; returns (nodes, count)."""
    initializers = {init.name: init for init in graph.initializer}
    axis = "conv2d_height_axis"
    graph.initializer.append(numpy_helper.from_array(np.array([2], dtype=np.int64), axis))
    reshaped: set[str] = set()
    out, count = [], 0
    for node in nodes:
        weight = initializers.get(node.input[1]) if node.op_type == "Conv" else None
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if weight is None or len(weight.dims) != 3 or attributes.get("auto_pad", b"NOTSET") != b"NOTSET":
            out.append(node)
            continue
        if weight.name not in reshaped:
            weight.CopyFrom(
                numpy_helper.from_array(numpy_helper.to_array(weight)[:, :, None, :], weight.name)
            )
            reshaped.add(weight.name)
        begin, end = attributes.get("pads", [0, 0])
        inside, outside = f"{node.output[0]}_2d_in", f"{node.output[0]}_2d_out"
        out.append(helper.make_node("Unsqueeze", [node.input[0], axis], [inside]))
        out.append(
            helper.make_node(
                "Conv",
                [inside, *node.input[1:]],
                [outside],
                name=f"{node.name or node.output[0]}_2d",
                kernel_shape=[1, weight.dims[-1]],
                pads=[0, begin, 0, end],
                strides=[1, *attributes.get("strides", [1])],
                dilations=[1, *attributes.get("dilations", [1])],
                group=attributes.get("group", 1),
            )
        )
        out.append(helper.make_node("Squeeze", [outside, axis], list(node.output)))
        count += 1
    return out, count


def without_dead_nodes(nodes: list, graph_outputs: set[str]) -> list:
    """Drop nodes none of whose outputs is used (repeatedly: a quantizer feeds only dropped nodes)."""
    while True:
        used = graph_outputs | {name for node in nodes for name in node.input}
        alive = [node for node in nodes if any(output in used for output in node.output)]
        if len(alive) == len(nodes):
            return alive
        nodes = alive
