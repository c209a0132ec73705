"""Mix speed: place, duck, master and measure one hour of audio (synthetic source + dub clips).

The source is 48 kHz stereo room noise with speech-like bursts; a 2.5 s clip every 4 s (900 clips)
stands in for the dub. Prints the time of each step and the real-time factor (audio seconds per
processing second). Run: `.venv/bin/python bench/mix.py [minutes]` (default 60).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dubstudio.pipeline.mix import PlacedClip, integrated_loudness, render_mix, true_peak_db

RATE = 48_000


def synthetic_source(seconds: int, rng: np.random.Generator) -> np.ndarray:
    frames = seconds * RATE
    source = (rng.standard_normal((frames, 2), dtype=np.float32) * 0.01).astype(np.float32)
    t = np.arange(RATE * 2, dtype=np.float32) / RATE
    burst = (0.2 * np.sin(2 * np.pi * 160 * t) * np.sin(np.pi * t / 2) ** 2).astype(np.float32)
    for start in range(0, frames - len(burst), 5 * RATE):
        source[start : start + len(burst)] += burst[:, None]
    return source


def synthetic_clips(seconds: int, rng: np.random.Generator) -> list[PlacedClip]:
    t = np.arange(int(RATE * 2.5), dtype=np.float32) / RATE
    clips = []
    for start in np.arange(0.37, seconds - 3, 4.0):
        freq = rng.uniform(120, 260)
        audio = (0.5 * np.sin(2 * np.pi * freq * t) * np.sin(np.pi * t / 2.5)).astype(np.float32)
        clips.append(PlacedClip(round(start * RATE), audio))
    return clips


def main() -> None:
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    seconds = int(minutes * 60)
    rng = np.random.default_rng(0)
    source = synthetic_source(seconds, rng)
    clips = synthetic_clips(seconds, rng)
    started = time.perf_counter()
    result = render_mix(source, RATE, clips, keep_background=True, duck_db=-14.0)
    elapsed = time.perf_counter() - started
    print(f"audio: {seconds / 60:.0f} min, {RATE} Hz stereo, {len(clips)} clips")
    print(f"render_mix (place + duck + loudness x4 + true-peak limiter x2): {elapsed:.1f} s")
    print(f"mix speed: {seconds / elapsed:.0f}x real time")
    check = time.perf_counter()
    mix_lufs = integrated_loudness(result.mix, RATE)
    peak = true_peak_db(result.mix)
    print(
        f"check: source {result.source_lufs:.2f} LUFS, mix {mix_lufs:.2f} LUFS, true peak {peak:.2f} dBTP "
        f"({time.perf_counter() - check:.1f} s)"
    )


if __name__ == "__main__":
    main()
