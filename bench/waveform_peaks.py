"""Waveform peaks speed: compute the pyramid for 1 h of 48 kHz stereo audio, then query views.

Prints the compute time and its ratio to real time, the cache load time, and the time per
`Peaks.range` query for a full-file overview and a zoomed-in view.
Run: .venv/bin/python bench/waveform_peaks.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from dubstudio.core.waveform import ensure_peaks

RATE = 48000
SECONDS = 3600


def make_wav(path: Path) -> None:
    rng = np.random.default_rng(0)
    minute = (rng.standard_normal((RATE * 60, 2)) * 0.1).astype(np.float32)
    with sf.SoundFile(str(path), "w", RATE, 2, subtype="PCM_16") as out:
        for _ in range(SECONDS // 60):
            out.write(minute)


def timed(function, repeat: int = 1) -> tuple[float, object]:
    started = time.perf_counter()
    for _ in range(repeat):
        result = function()
    return (time.perf_counter() - started) / repeat, result


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "mix.wav"
        make_wav(wav)
        compute_s, peaks = timed(lambda: ensure_peaks(wav))
        load_s, _ = timed(lambda: ensure_peaks(wav))
        overview_s, _ = timed(lambda: peaks.range(0, SECONDS, 1920), repeat=200)
        zoom_s, _ = timed(lambda: peaks.range(1800, 1805, 1920), repeat=200)
        print(f"audio: {SECONDS / 3600:.0f} h, {RATE} Hz stereo 16-bit ({wav.stat().st_size / 2**20:.0f} MB)")
        print(f"compute + cache write: {compute_s:.2f} s ({SECONDS / compute_s:.0f}x real time)")
        cache_mb = wav.with_name("peaks.npz").stat().st_size / 2**20
        print(f"cache load: {load_s * 1000:.1f} ms ({cache_mb:.1f} MB)")
        print(f"query, whole hour in 1920 columns: {overview_s * 1000:.3f} ms")
        print(f"query, 5 s in 1920 columns: {zoom_s * 1000:.3f} ms")
        print(f"3 h estimate: compute {3 * compute_s:.1f} s; query cost does not grow with length")


if __name__ == "__main__":
    main()
