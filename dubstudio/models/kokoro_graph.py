"""Speed rewrites of the float Kokoro-82M graph for onnxruntime's CPU provider (applied with the
float rewrite, `dequantize.py`, when `dubstudio models install` builds the pack's float model:
`build_float_model`; bench/kokoro_speed.py measures them).

The vocoder (an iSTFTNet generator) spends most of its non-convolution time in chains of element-wise
ops over [1, C, frames] tensors — each op is one pass over 16 MB for a 6 s take — and in kernels that
onnxruntime runs on a single thread (STFT, the broadcast Sub of a spelled-out instance norm). The
rewrites compute the same function with fewer passes, using standard ONNX ops only:

- AdaIN: the instance norm exported as ReduceMean/Sub/Mul/ReduceMean/Add/Sqrt/Div followed by the
  style affine Mul(1 + γ)/Add(β) becomes one InstanceNormalization with scale 1 + γ and bias β.
- Snake right after an AdaIN, y + (1/α)·sin²(α·y): α goes into the InstanceNormalization's scale and
  bias (u = α·y comes out of it), the snake becomes (u + sin²u)/α and the per-channel 1/α goes into
  the weights of the convolutions that read it: IN, Sin, Mul, Add instead of 12 passes.
- STFT (+ the Transpose and real/imaginary Gathers after it) becomes one strided Conv whose kernel
  is the windowed DFT basis.

Each rewrite matches its whole pattern and leaves anything else untouched; the graph must have batch
size 1 (Kokoro's inputs are [1, …]) because InstanceNormalization takes a per-channel scale only.
Results equal the original up to float rounding (audio within ~5e-6 with the STFT phase features held
equal) — except the STFT's phase in bins 0 and N/2, see `_add_dft_conv`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from dubstudio.models.dequantize import dequantize_model, without_dead_nodes
from dubstudio.models.kokoro_files import DURATIONS_TENSOR, INT8_MODEL

_SNAKE_RECIPROCAL_TOLERANCE = 1e-5  # the exported 1/α is a rounded reciprocal: c·α = 1 within this


def build_float_model(folder: Path, target: Path, report: Callable[[float, str], None]) -> None:
    """The pack's derived float model: `folder`'s int8 graph, dequantized with 2-D convolutions,
    the vocoder rewrites below and the durations exposed (~10 s, 330 MB)."""
    dequantize_model(
        folder / INT8_MODEL, target, expose=[DURATIONS_TENSOR], optimize=optimize_kokoro_graph, report=report
    )


def optimize_kokoro_graph(model: onnx.ModelProto) -> dict[str, int]:
    """Rewrite `model` (a float Kokoro graph) in place; returns how many patterns each rewrite replaced."""
    graph = _Graph(model.graph)
    counts = _adain_as_instance_norm(graph)
    counts["STFT"] = _stft_as_conv(graph)
    graph.commit()
    return counts


class _Graph:
    """Producer/consumer indexes over a GraphProto plus the bookkeeping to replace node patterns.

    Rewrites add nodes and rename the outputs of the nodes they replace; `commit` then drops whatever
    nobody reads any more and puts the nodes back in topological order.
    """

    def __init__(self, graph: onnx.GraphProto) -> None:
        self.proto = graph
        self.initializers = {init.name: init for init in graph.initializer}
        self.producers = {output: node for node in graph.node for output in node.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = defaultdict(list)
        for node in graph.node:
            for name in node.input:
                self.consumers[name].append(node)
        self.shapes = {
            info.name: [dim.dim_value or None for dim in info.type.tensor_type.shape.dim]
            for info in [*graph.value_info, *graph.input, *graph.output]
            if info.type.tensor_type.HasField("shape")
        }
        self.outputs = {output.name for output in graph.output}
        self.added: list[onnx.NodeProto] = []
        self._names = set(self.producers) | set(self.initializers)

    def constant(self, name: str) -> np.ndarray | None:
        """The value of an initializer or Constant node output, else None."""
        if name in self.initializers:
            return numpy_helper.to_array(self.initializers[name])
        node = self.producers.get(name)
        if node is not None and node.op_type == "Constant" and node.attribute[0].name == "value":
            return numpy_helper.to_array(node.attribute[0].t)
        return None

    def rank(self, name: str) -> int | None:
        """The rank value_info records, None when unknown (no shape, or a shape without dims)."""
        return len(self.shapes.get(name, [])) or None

    def producer(self, name: str, op_type: str) -> onnx.NodeProto | None:
        node = self.producers.get(name)
        return node if node is not None and node.op_type == op_type else None

    def only_consumer(self, name: str, op_type: str) -> onnx.NodeProto | None:
        users = self.consumers.get(name, [])
        if len(users) == 1 and users[0].op_type == op_type and name not in self.outputs:
            return users[0]
        return None

    def fresh(self, hint: str) -> str:
        name, index = hint, 0
        while name in self._names:
            index += 1
            name = f"{hint}_{index}"
        self._names.add(name)
        return name

    def add_initializer(self, hint: str, values: np.ndarray) -> str:
        name = self.fresh(hint)
        tensor = numpy_helper.from_array(values, name)
        self.proto.initializer.append(tensor)
        self.initializers[name] = tensor
        return name

    def shared_initializer(self, name: str, values: np.ndarray) -> str:
        """A small constant (a shape, an axis) added once under `name` and reused."""
        if name not in self.initializers:
            self._names.add(name)
            tensor = numpy_helper.from_array(values, name)
            self.proto.initializer.append(tensor)
            self.initializers[name] = tensor
        return name

    def add_node(self, op_type: str, inputs: list[str], outputs: list[str], **attributes) -> None:
        self.added.append(helper.make_node(op_type, inputs, outputs, name=outputs[0], **attributes))

    def retire(self, node: onnx.NodeProto) -> str:
        """Rename `node`'s output so a new node can produce it; the old node is then left unread."""
        name = node.output[0]
        node.output[0] = self.fresh(f"{name}_replaced")
        return name

    def commit(self) -> None:
        nodes = without_dead_nodes([*self.proto.node, *self.added], self.outputs)
        del self.proto.node[:]
        self.proto.node.extend(_topologically_sorted(nodes))
        used = {name for node in self.proto.node for name in node.input}
        kept = [init for init in self.proto.initializer if init.name in used]
        del self.proto.initializer[:]
        self.proto.initializer.extend(kept)
        self.added.clear()


def _adain_as_instance_norm(graph: _Graph) -> dict[str, int]:
    """Every AdaIN → InstanceNormalization(x, 1 + γ, β), with the snake after it folded in where there is one.

    onnxruntime runs the spelled-out norm as ~9 passes over the tensor (the broadcast Sub on one
    thread); InstanceNormalization does it channel by channel in cache. Where several affines share
    one normalization (onnxruntime's common-subexpression elimination merged the statistics of the
    parallel resblocks, which normalize the same input) each gets its own InstanceNormalization.
    """
    counts = {"AdaIN": 0, "Snake": 0}
    flat = graph.shared_initializer("rewrite_flat_shape", np.array([-1], np.int64))
    for div in list(graph.proto.node):
        match = _adain(graph, div)
        if match is None:
            continue
        x, epsilon, affines = match
        for gain, shift, offset in affines:
            snake = _snake(graph, offset.output[0])
            output = graph.retire(offset)
            if snake is not None:  # scale and bias times α: the norm yields u = α·y directly
                alpha = graph.add_initializer(f"{output}_snake_alpha", snake.alpha)
                gain_scaled, shift_scaled = graph.fresh(f"{gain}_x_alpha"), graph.fresh(f"{shift}_x_alpha")
                graph.add_node("Mul", [gain, alpha], [gain_scaled])
                graph.add_node("Mul", [shift, alpha], [shift_scaled])
                gain, shift = gain_scaled, shift_scaled
            scale, bias = graph.fresh(f"{gain}_flat"), graph.fresh(f"{shift}_flat")
            graph.add_node("Reshape", [gain, flat], [scale])  # [1, C, 1] → [C] (batch 1)
            graph.add_node("Reshape", [shift, flat], [bias])
            normalized = [x, scale, bias]
            if snake is None:
                graph.add_node("InstanceNormalization", normalized, [output], epsilon=epsilon)
            else:
                _fold_snake(graph, normalized, epsilon, snake)
                counts["Snake"] += 1
            counts["AdaIN"] += 1
    return counts


def _adain(graph: _Graph, div: onnx.NodeProto):
    """(x, ε, [(gain, shift, final Add)…]) for Add(Mul(gain, Div(x − mean x, sqrt(var x + ε))), shift).

    Every reader of the Div must be such an affine (else the statistics would still be computed for
    the other reader and nothing saved); gain and shift must be [1, C, 1], what InstanceNormalization's
    per-channel scale and bias can express.
    """
    if div.op_type != "Div":
        return None
    centered, sqrt = graph.producer(div.input[0], "Sub"), graph.producer(div.input[1], "Sqrt")
    if centered is None or sqrt is None:
        return None
    x, mean = centered.input
    mean_node = graph.producer(mean, "ReduceMean")
    if mean_node is None or mean_node.input[0] != x or not _over_time(graph, mean_node, x):
        return None
    plus_epsilon = graph.producer(sqrt.input[0], "Add")
    if plus_epsilon is None:
        return None
    candidates = [graph.producer(name, "ReduceMean") for name in plus_epsilon.input]
    variance = next((node for node in candidates if node is not None), None)
    if variance is None or not _over_time(graph, variance, x):
        return None
    epsilon = graph.constant(_other(plus_epsilon, variance.output[0]))
    square = graph.producers.get(variance.input[0])
    is_square = square is not None and (
        (square.op_type == "Mul" and list(square.input) == [centered.output[0]] * 2)
        or (
            square.op_type == "Pow"
            and square.input[0] == centered.output[0]
            and _is_two(graph, square.input[1])
        )
    )
    readers = graph.consumers.get(div.output[0], [])
    if epsilon is None or epsilon.size != 1 or not is_square or not readers or div.output[0] in graph.outputs:
        return None
    affines = []
    for scale in readers:
        offset = graph.only_consumer(scale.output[0], "Add") if scale.op_type == "Mul" else None
        if offset is None:
            return None
        gain, shift = _other(scale, div.output[0]), _other(offset, scale.output[0])
        if not (_per_channel(graph, gain) and _per_channel(graph, shift)):
            return None
        affines.append((gain, shift, offset))
    return x, float(epsilon.reshape(())), affines


def _over_time(graph: _Graph, reduce_mean: onnx.NodeProto, x: str) -> bool:
    """A mean over axis 2 of [N, C, T] only, keeping dims: what InstanceNormalization computes.

    Most AdaIN inputs have no value_info; for those, the [1, C, 1] affine the caller checks is what
    says the tensor is [N, C, T] (Kokoro's AdaIN1d is 1-D throughout).
    """
    attributes = {a.name: helper.get_attribute_value(a) for a in reduce_mean.attribute}
    axes = attributes.get("axes")
    if axes is None and len(reduce_mean.input) > 1:
        axes = graph.constant(reduce_mean.input[1])
    if axes is None or attributes.get("keepdims", 1) != 1 or graph.rank(x) not in (None, 3):
        return False
    return [int(axis) % 3 for axis in np.ravel(axes)] == [2]


def _per_channel(graph: _Graph, name: str) -> bool:
    shape = graph.shapes.get(name)
    return shape is not None and len(shape) == 3 and shape[0] == 1 and shape[2] == 1


class _Snake:
    """A matched y + c·sin²(α·y): α as [1, C, 1], its final Add, and the Convs reading that Add."""

    def __init__(self, alpha: np.ndarray, total: onnx.NodeProto, convs: list[onnx.NodeProto]) -> None:
        self.alpha, self.total, self.convs = alpha, total, convs


def _snake(graph: _Graph, y: str) -> _Snake | None:
    """The snake reading `y` when y has no other reader, c = 1/α, and only Convs read its output."""
    users = graph.consumers.get(y, [])
    times_alpha = next((node for node in users if node.op_type == "Mul"), None)
    total = next((node for node in users if node.op_type == "Add"), None)
    if len(users) != 2 or y in graph.outputs or times_alpha is None or total is None:
        return None
    alpha = graph.constant(_other(times_alpha, y))
    sine = graph.only_consumer(times_alpha.output[0], "Sin")
    power = graph.only_consumer(sine.output[0], "Pow") if sine is not None else None
    scaled = graph.only_consumer(power.output[0], "Mul") if power is not None else None
    if alpha is None or alpha.ndim != 3 or alpha.shape[::2] != (1, 1) or scaled is None:
        return None
    reciprocal = graph.constant(_other(scaled, power.output[0]))
    if (
        not _is_two(graph, power.input[1])
        or reciprocal is None
        or reciprocal.shape != alpha.shape
        or _other(total, y) != scaled.output[0]
        or np.abs(reciprocal * alpha - 1).max() > _SNAKE_RECIPROCAL_TOLERANCE
    ):
        return None
    convs = _conv_readers(graph, total.output[0], alpha.size)
    return _Snake(alpha.astype(np.float32), total, convs) if convs else None


def _conv_readers(graph: _Graph, name: str, channels: int) -> list[onnx.NodeProto] | None:
    """The ungrouped Convs with constant weights reading `name` (directly or through the 2-D
    Unsqueeze of dequantize's conv2d rewrite), or None if anything else reads it."""
    convs = []
    for user in graph.consumers.get(name, []):
        if user.op_type == "Unsqueeze":
            axes = graph.constant(user.input[1]) if len(user.input) > 1 else None
            if axes is None or list(np.ravel(axes)) != [2] or user.output[0] in graph.outputs:
                return None
            data, readers = user.output[0], graph.consumers.get(user.output[0], [])
        else:
            data, readers = name, [user]
        for conv in readers:
            if conv.op_type != "Conv" or conv.input[0] != data:
                return None
            group = next((helper.get_attribute_value(a) for a in conv.attribute if a.name == "group"), 1)
            weight = graph.constant(conv.input[1])
            if group != 1 or weight is None or weight.shape[1] != channels:
                return None
            convs.append(conv)
    return convs


def _fold_snake(graph: _Graph, normalized: list[str], epsilon: float, snake: _Snake) -> None:
    """u = InstanceNorm(x; α(1 + γ), αβ); the snake's output becomes u + sin²u, its 1/α moves into the convs.

    Scaling a conv's input channel c by 1/α_c is the same as scaling its weights W[:, c]; exact even
    at the zero-padded borders, where a scaled zero is still zero.
    """
    output = graph.retire(snake.total)
    u, sine, square = (graph.fresh(f"{output}_{part}") for part in ("alpha_y", "sin", "sin2"))
    graph.add_node("InstanceNormalization", normalized, [u], epsilon=epsilon)
    graph.add_node("Sin", [u], [sine])
    graph.add_node("Mul", [sine, sine], [square])
    graph.add_node("Add", [u, square], [output])
    for conv in snake.convs:
        weight = graph.constant(conv.input[1]).astype(np.float64)
        per_input_channel = (1.0 / snake.alpha.astype(np.float64)).reshape((1, -1) + (1,) * (weight.ndim - 2))
        folded = (weight * per_input_channel).astype(np.float32)
        conv.input[1] = graph.add_initializer(f"{conv.input[1]}_snake_folded", folded)


def _stft_as_conv(graph: _Graph) -> int:
    """STFT → Conv with the windowed DFT basis, for the layout Kokoro reads it in.

    onnxruntime's STFT kernel runs on one thread (70 ms for a 6 s take); the same frames as a strided
    convolution with 2·(N/2 + 1) output channels take a few ms. Rewritten only when the STFT is one
    sided, has a constant hop, window and length, a [1, L] signal, and is read through Transpose
    [0, 2, 1, 3] by Gathers (axis 3) of the real and imaginary parts — each Gather's [1, bins, frames]
    output is then produced straight from the Conv.
    """
    count = 0
    for stft in list(graph.proto.node):
        if stft.op_type != "STFT" or len(stft.input) < 4:
            continue
        onesided = next((helper.get_attribute_value(a) for a in stft.attribute if a.name == "onesided"), 1)
        hop, window, length = (graph.constant(name) for name in stft.input[1:4])
        if onesided != 1 or hop is None or window is None or length is None:
            continue
        if window.shape != (int(length),) or graph.rank(stft.input[0]) != 2:
            continue
        transpose = graph.only_consumer(stft.output[0], "Transpose")
        if transpose is None or list(helper.get_attribute_value(transpose.attribute[0])) != [0, 2, 1, 3]:
            continue
        parts = _complex_parts(graph, transpose.output[0])
        if parts:
            _add_dft_conv(graph, stft, window.astype(np.float64), int(length), int(hop), parts)
            count += 1
    return count


def _complex_parts(graph: _Graph, name: str) -> dict[int, list[onnx.NodeProto]] | None:
    """{0: Gathers of the real part, 1: of the imaginary part} when only such Gathers read `name`."""
    parts: dict[int, list[onnx.NodeProto]] = {}
    for gather in graph.consumers.get(name, []):
        index = graph.constant(gather.input[1]) if gather.op_type == "Gather" else None
        axis = next((helper.get_attribute_value(a) for a in gather.attribute if a.name == "axis"), 0)
        if index is None or index.ndim != 0 or axis not in (3, -1):
            return None
        parts.setdefault(int(index) % 2, []).append(gather)
    return parts or None


def _add_dft_conv(graph: _Graph, stft, window: np.ndarray, length: int, hop: int, parts) -> None:
    """Real part Σ x·w·cos(2πkn/N), imaginary part −Σ x·w·sin(2πkn/N), k = 0 … N/2 (onnxruntime's sign).

    The imaginary parts of bins 0 and N/2 are exactly zero here, where onnxruntime's STFT leaves ±1e-6
    of rounding noise. Kokoro's exported atan2 — Where(imag > 0, atan + π, atan − π) when real < 0 —
    turns the sign of that noise into a phase of ±π, a coin flip per frame that changes the audio. A
    +1e-30 bias on those two channels gives +π: what torch.angle gives for these real-valued bins
    (upstream Kokoro's ONNX STFT corrects to +π for the same reason).
    """
    bins = length // 2 + 1
    angle = 2 * np.pi * np.outer(np.arange(bins), np.arange(length)) / length
    cosine, sine = np.cos(angle), -np.sin(angle)
    cosine[np.abs(cosine) < 1e-9] = 0.0
    sine[np.abs(sine) < 1e-9] = 0.0
    basis = (np.concatenate([cosine, sine]) * window)[:, None, None, :].astype(np.float32)
    bias = np.zeros(2 * bins, np.float32)
    bias[bins + np.flatnonzero(np.all(sine == 0, axis=1))] = 1e-30
    as_image = graph.shared_initializer("rewrite_signal_as_image", np.array([1, 1, 1, -1], np.int64))
    image, frames = graph.fresh(f"{stft.input[0]}_image"), graph.fresh(f"{stft.output[0]}_conv")
    graph.add_node("Reshape", [stft.input[0], as_image], [image])
    kernel = graph.add_initializer(f"{stft.output[0]}_dft_basis", basis)
    offsets = graph.add_initializer(f"{stft.output[0]}_dft_bias", bias)
    graph.add_node("Conv", [image, kernel, offsets], [frames], kernel_shape=[1, length], strides=[1, hop])
    halves = [graph.fresh(f"{frames}_real"), graph.fresh(f"{frames}_imag")]
    sizes = graph.add_initializer(f"{frames}_split", np.array([bins, bins], np.int64))
    graph.add_node("Split", [frames, sizes], halves, axis=1)
    height = graph.shared_initializer("rewrite_height_axis", np.array([2], np.int64))
    for index, gathers in parts.items():
        for gather in gathers:
            graph.add_node("Squeeze", [halves[index], height], [graph.retire(gather)])


def _is_two(graph: _Graph, name: str) -> bool:
    value = graph.constant(name)
    return value is not None and value.size == 1 and float(value.reshape(())) == 2.0


def _other(node: onnx.NodeProto, name: str) -> str:
    """The other input of a binary node (both inputs equal → that input)."""
    first, second = node.input
    return second if first == name else first


def _topologically_sorted(nodes: list) -> list:
    """`nodes` with every producer before its readers; untouched nodes keep their relative order."""
    producer_of = {output: index for index, node in enumerate(nodes) for output in node.output}
    ordered, placed, entered = [], set(), set()
    for start in range(len(nodes)):
        stack = [(start, False)]
        while stack:
            index, inputs_placed = stack.pop()
            if index in placed:
                continue
            if inputs_placed:
                placed.add(index)
                ordered.append(nodes[index])
                continue
            if index in entered:
                raise ValueError(f"the rewritten graph has a cycle through {nodes[index].name}")
            entered.add(index)
            stack.append((index, True))
            stack.extend(
                (producer_of[name], False)
                for name in nodes[index].input
                if name in producer_of and producer_of[name] not in placed
            )
    return ordered
