"""Diarization with its CAM++ chunk embeddings on one thread vs on every core, alternated in one run.

Decodes the bundled sample (or MEDIA) to 16 kHz mono, diarizes it `--rounds` times with 1 and with
`--workers` embedding workers in turn, and prints each run's wall and CPU seconds, the ratio of the
medians, and whether the turns and speaker embeddings are identical (they must be: the same torch
operations run, only on more threads).
Run: `.venv/bin/python bench/diarization_workers.py [MEDIA] [--workers 2] [--rounds 2]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dubstudio.core.media import load_wav  # noqa: E402
from dubstudio.engines.diarization import PyannoteDiarizer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("media", nargs="?", type=Path, default=REPO / "resources" / "sample" / "dialogue.mp4")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "speech.wav"
        command = ["ffmpeg", "-v", "error", "-i", str(args.media), "-ac", "1", "-ar", "16000", str(wav)]
        subprocess.run(command, check=True)
        audio, _rate = load_wav(wav)
    diarizer = PyannoteDiarizer(device="cpu")
    embedding = diarizer.pipeline._embedding
    wall: dict[int, list[float]] = {1: [], args.workers: []}
    results = {}
    for _round in range(args.rounds):
        for workers in wall:
            embedding.workers = workers
            started, cpu = time.perf_counter(), time.process_time()
            outcome = diarizer.diarize(audio)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            wall[workers].append(seconds)
            results[workers] = outcome
            print(
                f"  {workers} worker(s): {seconds:6.1f} s wall, {cpu:6.1f} s CPU, {len(outcome.turns)} turns"
            )
    one, many = results[1], results[args.workers]
    same_turns = [(t.start, t.end, t.speaker) for t in one.turns] == [
        (t.start, t.end, t.speaker) for t in many.turns
    ]
    same_embeddings = one.embeddings.keys() == many.embeddings.keys() and all(
        np.array_equal(one.embeddings[k], many.embeddings[k]) for k in one.embeddings
    )
    duration = len(audio) / 16_000
    ratio = statistics.median(wall[args.workers]) / statistics.median(wall[1])
    print(
        f"{args.media.name}, {duration:.1f} s: {args.workers} workers take {ratio:.2f}× the time of 1 "
        f"(real-time factor {statistics.median(wall[args.workers]) / duration:.2f} vs "
        f"{statistics.median(wall[1]) / duration:.2f}); identical turns {same_turns}, embeddings "
        f"{same_embeddings}; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
