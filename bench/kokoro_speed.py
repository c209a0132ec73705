"""Kokoro speed bench: real-time factor of the raw onnxruntime session, variants interleaved in one run.

The machine is shared, so every variant runs once per round, round after round, and both wall time
and this process's CPU time (all threads) are reported; ratios are against the first variant, the
int8 model as the engine loaded it before the float rewrite (the engine now runs the float model
with 2-D convolutions, the vocoder graph rewrites of `kokoro_graph.py` and spinning threads;
"float 2-D conv" is the model before those graph rewrites). Also times the full engine call
(`KokoroSynthesizer.synthesize`: phonemize + session) against its raw session run.
Run: `.venv/bin/python bench/kokoro_speed.py [rounds]` (default 3; about a minute at load 0).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from dubstudio.engines.base import SynthesisRequest
from dubstudio.engines.kokoro import INT8_MODEL, SAMPLE_RATE, KokoroSynthesizer
from dubstudio.models.dequantize import dequantize_model
from dubstudio.models.paths import model_dir

SENTENCE = (
    "Mañana por la mañana revisaremos juntos el presupuesto del proyecto y decidiremos los próximos pasos."
)


def _session(path: Path, *, spinning: bool, threads: int = 2) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def _timed(run) -> tuple[float, float, float]:
    """(wall s, CPU s, audio s) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    audio = run()
    return time.perf_counter() - wall, time.process_time() - cpu, len(audio) / SAMPLE_RATE


def main(rounds: int) -> None:
    folder = model_dir("kokoro-82m-int8")
    kokoro = KokoroSynthesizer()
    voice = next(v for v in kokoro.voices() if v.name == "jf_alpha")
    tokens = kokoro.tokenize(kokoro.phonemes(SENTENCE, "es"))[0]
    feed = {
        "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
        "style": kokoro.style(voice.name)[len(tokens)].reshape(1, 256),
        "speed": np.array([1.0], dtype=np.float32),
    }
    with tempfile.TemporaryDirectory() as scratch:
        float_1d = Path(scratch) / "float-1d-conv.onnx"
        started = time.perf_counter()
        dequantize_model(folder / INT8_MODEL, float_1d, conv2d=False)
        print(f"float rewrite (1-D convolutions kept): {time.perf_counter() - started:.1f} s")
        float_2d = Path(scratch) / "float-2d-conv.onnx"
        dequantize_model(folder / INT8_MODEL, float_2d)
        engine_session = kokoro._load()
        print(f"engine model: {kokoro.model_path.name}")
        sessions = {
            "int8, spinning (before)": _session(folder / INT8_MODEL, spinning=True),
            "int8, no spinning": _session(folder / INT8_MODEL, spinning=False),
            "float 1-D conv, spinning": _session(float_1d, spinning=True),
            "float 1-D conv, no spinning": _session(float_1d, spinning=False),
            "float 2-D conv, no spinning": _session(float_2d, spinning=False),
            "+ graph rewrites, no spinning": _session(kokoro.model_path, spinning=False),
            "engine session (after)": engine_session,
        }
        runs = {name: (lambda s=s: s.run(None, feed)[0].ravel()) for name, s in sessions.items()}
        request = SynthesisRequest(SENTENCE, voice, "es")
        runs["engine synthesize() (after)"] = lambda: kokoro.synthesize(request).audio
        for run in runs.values():
            run()  # warm-up: first runs allocate arenas and pick kernels
        results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
        for _ in range(rounds):
            for name, run in runs.items():
                results[name].append(_timed(run))
    print(f"{rounds} rounds, load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs, onnxruntime "
          f"{ort.__version__}; audio {results[next(iter(results))][0][2]:.2f} s")  # fmt: skip
    base_wall = statistics.median(r[0] / r[2] for r in results["int8, spinning (before)"])
    base_cpu = statistics.median(r[1] / r[2] for r in results["int8, spinning (before)"])
    print(f"{'variant':32s} {'RTF wall':>9s} {'RTF CPU':>8s} {'wall ×':>7s} {'CPU ×':>6s}")
    for name, timings in results.items():
        wall = statistics.median(r[0] / r[2] for r in timings)
        cpu = statistics.median(r[1] / r[2] for r in timings)
        print(f"{name:32s} {wall:9.3f} {cpu:8.3f} {base_wall / wall:7.2f} {base_cpu / cpu:6.2f}")
    print("quality: bench/synthesis.py round-trips the engine's takes through Whisper (WER)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
