"""Stage 1 overhead: our transcription stage vs the bare model calls it is built on.

Runs, on the same audio (default: the 30 s call shipped with pyannote.audio):
  1. a bare faster-whisper call (same model and decode settings, generator fully consumed),
  2. a bare segmentation + CAM++ embedding + clustering run (the pyannote pipeline alone),
  3. `run_transcription` with both engines (preprocessing, chunking, speaker embeddings,
     word assignment, F0, review flags),
and prints real-time factors and the overhead ratio 3 / (1 + 2) − 1 (target ≤ 10 %).

Usage: .venv/bin/python bench/stage1_overhead.py [audio.wav (16 kHz mono)]
"""

from __future__ import annotations

import importlib.resources
import sys
import time

import numpy as np
import soundfile as sf
import torch

from dubstudio.core.project import Settings
from dubstudio.engines.diarization import PyannoteDiarizer
from dubstudio.engines.whisper import FasterWhisperTranscriber
from dubstudio.stages.transcription import run_transcription


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    path = (
        sys.argv[1]
        if len(sys.argv) > 1
        else str(importlib.resources.files("pyannote.audio") / "sample" / "sample.wav")
    )
    audio, rate = sf.read(path, dtype="float32")
    assert rate == 16_000 and audio.ndim == 1, "give a 16 kHz mono wav"
    duration = len(audio) / rate
    transcriber = FasterWhisperTranscriber("whisper-base", temperature=0.0)
    diarizer = PyannoteDiarizer()
    transcriber.transcribe(audio[: 5 * rate], language="en")  # warm-up: first-call allocations
    threads = torch.get_num_threads()

    def bare_whisper() -> None:
        pieces, _ = transcriber.model.transcribe(audio, **transcriber.decode_options())
        list(pieces)

    def bare_diarization() -> None:
        file = {"waveform": torch.from_numpy(audio).unsqueeze(0), "sample_rate": rate, "uri": "bench"}
        torch.set_num_threads(diarizer.threads)  # the thread count PyannoteDiarizer.diarize uses
        try:
            diarizer.pipeline(file)
        finally:
            torch.set_num_threads(threads)

    def stage() -> None:
        run_transcription(audio, transcriber, diarizer, language=None, settings=Settings())

    whisper_s = timed(bare_whisper)
    diarization_s = timed(bare_diarization)
    stage_s = timed(stage)
    bare = whisper_s + diarization_s
    print(f"audio {duration:.1f} s")
    print(f"bare faster-whisper      {whisper_s:7.2f} s  RTF {whisper_s / duration:.3f}")
    print(f"bare embedding+cluster   {diarization_s:7.2f} s  RTF {diarization_s / duration:.3f}")
    print(f"stage 1 (ours)           {stage_s:7.2f} s  RTF {stage_s / duration:.3f}")
    print(f"overhead ratio {stage_s / bare:.3f} ({100 * (stage_s / bare - 1):+.1f} %, target ≤ +10 %)")
    print(f"threads: torch {torch.get_num_threads()}, numpy {np.__version__}")


if __name__ == "__main__":
    main()
