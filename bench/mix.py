"""Mix speed and memory: place, duck, master and measure one hour of audio (synthetic source + dub clips).

The source is 48 kHz stereo room noise with speech-like bursts; a 2.5 s clip every 4 s (900 clips)
stands in for the dub. Each implementation runs in its own process so its peak RSS
(`getrusage(RUSAGE_SELF).ru_maxrss`) is its own. Prints the time of each step, the real-time factor
(audio seconds per processing second), the peak RSS and, with `--baseline`, the before/after ratios.

Run: `.venv/bin/python bench/mix.py [minutes] [--baseline OLD_MIX_PY]` (default 60 minutes), e.g. with
the committed version: `git show HEAD:dubstudio/pipeline/mix.py > /tmp/mix_old.py`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RATE = 48_000
_NOISE_CHUNK = 10 * 60 * RATE


def synthetic_source(seconds: int, rng: np.random.Generator) -> np.ndarray:
    """Filled in place chunk by chunk, so building it costs no memory beyond the array itself."""
    frames = seconds * RATE
    source = np.empty((frames, 2), dtype=np.float32)
    for start in range(0, frames, _NOISE_CHUNK):
        chunk = source[start : start + _NOISE_CHUNK]
        rng.standard_normal(chunk.shape, dtype=np.float32, out=chunk)
        chunk *= np.float32(0.01)
    t = np.arange(RATE * 2, dtype=np.float32) / RATE
    burst = (0.2 * np.sin(2 * np.pi * 160 * t) * np.sin(np.pi * t / 2) ** 2).astype(np.float32)
    for start in range(0, frames - len(burst), 5 * RATE):
        source[start : start + len(burst)] += burst[:, None]
    return source


def synthetic_clips(seconds: int, rng: np.random.Generator, placed_clip: type) -> list:
    t = np.arange(int(RATE * 2.5), dtype=np.float32) / RATE
    clips = []
    for start in np.arange(0.37, seconds - 3, 4.0):
        freq = rng.uniform(120, 260)
        audio = (0.5 * np.sin(2 * np.pi * freq * t) * np.sin(np.pi * t / 2.5)).astype(np.float32)
        clips.append(placed_clip(round(start * RATE), audio))
    return clips


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _load(path: str | None) -> ModuleType:
    if path is None:
        from dubstudio.pipeline import mix

        return mix
    spec = importlib.util.spec_from_file_location("mix_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def measure(minutes: float, module_path: str | None) -> dict[str, float]:
    """One implementation, in this process: timings, loudness, true peak and peak RSS."""
    mix = _load(module_path)
    seconds = int(minutes * 60)
    rng = np.random.default_rng(0)
    source = synthetic_source(seconds, rng)
    clips = synthetic_clips(seconds, rng, mix.PlacedClip)
    source_rss = _peak_rss_mb()
    started = time.perf_counter()
    result = mix.render_mix(source, RATE, clips, keep_background=True, duck_db=-14.0)
    render_seconds = time.perf_counter() - started
    render_rss = _peak_rss_mb()
    started = time.perf_counter()
    mix_lufs = mix.integrated_loudness(result.mix, RATE)
    peak = mix.true_peak_db(result.mix)
    return {
        "seconds": seconds,
        "clips": len(clips),
        "render_s": render_seconds,
        "check_s": time.perf_counter() - started,
        "source_lufs": result.source_lufs,
        "mix_lufs": mix_lufs,
        "true_peak": peak,
        "source_rss": source_rss,
        "render_rss": render_rss,
        "peak_rss": _peak_rss_mb(),
    }


def _run_worker(minutes: float, module_path: str | None) -> dict[str, float]:
    command = [sys.executable, __file__, str(minutes), "--worker"]
    if module_path is not None:
        command += ["--baseline", module_path]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _report(label: str, run: dict[str, float]) -> None:
    print(
        f"[{label}] render_mix (place + duck + loudness x4 + true-peak limiter x2): {run['render_s']:.1f} s"
    )
    print(f"[{label}] mix speed: {run['seconds'] / run['render_s']:.0f}x real time")
    print(
        f"[{label}] check: source {run['source_lufs']:.2f} LUFS, mix {run['mix_lufs']:.2f} LUFS, "
        f"true peak {run['true_peak']:.2f} dBTP ({run['check_s']:.1f} s)"
    )
    print(
        f"[{label}] peak RSS (MB): {run['peak_rss']:.0f} "
        f"(source alone {run['source_rss']:.0f}, after render_mix {run['render_rss']:.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("minutes", nargs="?", type=float, default=60.0)
    parser.add_argument("--baseline", help="another mix.py to compare with (run first, in its own process)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.minutes, args.baseline)))
        return
    baseline = _run_worker(args.minutes, args.baseline) if args.baseline else None
    current = _run_worker(args.minutes, None)
    print(f"audio: {current['seconds'] / 60:.0f} min, {RATE} Hz stereo, {current['clips']:.0f} clips")
    if baseline is not None:
        _report("before", baseline)
    _report("now", current)
    if baseline is not None:
        print(f"peak RSS before/after: {baseline['peak_rss'] / current['peak_rss']:.2f}x")
        extra_before = baseline["peak_rss"] - baseline["source_rss"]
        extra_now = current["peak_rss"] - current["source_rss"]
        print(f"peak RSS above the source before/after: {extra_before / extra_now:.2f}x")
        print(f"render_mix speed after/before: {baseline['render_s'] / current['render_s']:.2f}x")
        same = all(
            abs(baseline[key] - current[key]) < 1e-6 for key in ("source_lufs", "mix_lufs", "true_peak")
        )
        print(f"same loudness and true peak as before: {same}")


if __name__ == "__main__":
    main()
