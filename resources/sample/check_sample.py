"""Measure the bundled sample: duration, speech time, median F0 per speaker, and Whisper base's WER.

A developer check after make_sample.py, run with the project venv (it uses the installed whisper-base
model and librosa):

    .venv/bin/python resources/sample/check_sample.py [--dir resources/sample]
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

import jiwer
import librosa
import numpy as np
from faster_whisper import WhisperModel

from dubstudio.models.paths import model_dir

HERE = Path(__file__).resolve().parent
RATE = 16_000


def load_audio(video: Path) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(video), "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, np.float32)


def read_rttm(path: Path) -> list[tuple[str, float, float]]:
    turns = []
    for row in path.read_text(encoding="utf-8").splitlines():
        fields = row.split()
        start, duration = float(fields[3]), float(fields[4])
        turns.append((fields[7], start, start + duration))
    return turns


def median_f0(audio: np.ndarray, turns: list[tuple[str, float, float]], speaker: str) -> float:
    speech = np.concatenate(
        [audio[int(start * RATE) : int(end * RATE)] for name, start, end in turns if name == speaker]
    )
    f0, voiced, _ = librosa.pyin(speech, fmin=60, fmax=400, sr=RATE, frame_length=1024)
    return float(np.median(f0[voiced]))


def words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=HERE, help="folder with dialogue.mp4 and reference.rttm")
    parser.add_argument("--script", type=Path, default=HERE / "script.txt")
    args = parser.parse_args()

    audio = load_audio(args.dir / "dialogue.mp4")
    turns = read_rttm(args.dir / "reference.rttm")
    print(f"duration {len(audio) / RATE:.2f} s, speech {sum(end - start for _, start, end in turns):.2f} s")
    for speaker in dict.fromkeys(name for name, _, _ in turns):
        print(f"median F0 {speaker}: {median_f0(audio, turns, speaker):.1f} Hz")

    script = [
        line.partition(":")[2]
        for line in args.script.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    model = WhisperModel(str(model_dir("whisper-base")), device="cpu", compute_type="int8")
    segments = list(model.transcribe(audio, language="en", word_timestamps=True, temperature=0.0)[0])
    hypothesis = " ".join(segment.text for segment in segments)
    word_starts = np.array([word.start for segment in segments for word in segment.words])
    onset_errors = [np.abs(word_starts - start).min() for _, start, _ in turns]
    print(
        f"line onsets vs nearest Whisper word start: median {np.median(onset_errors):.3f} s, "
        f"max {np.max(onset_errors):.3f} s"
    )
    reference = words(" ".join(script))
    print(f"hypothesis: {hypothesis.strip()}")
    print(f"WER vs script: {jiwer.wer(reference, words(hypothesis)):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
