"""Fixtures shared by the whole suite: where the real test data lives."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest

from dubstudio.engines.base import SynthesisRequest, SynthesizedAudio, Voice

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def pyannote_sample() -> dict[str, Path]:
    """The real 30 s two-speaker call that the pyannote.audio wheel ships, with its references."""
    folder = Path(str(importlib.resources.files("pyannote.audio") / "sample"))
    return {"wav": folder / "sample.wav", "rttm": folder / "sample.rttm", "stm": folder / "sample.stm"}


class CountingSynthesizer:
    """Delegates to a real engine and counts calls (instrumentation, not a stand-in)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.version, self.native_speed = inner.name, inner.version, inner.native_speed
        self.calls = 0

    def voices(self) -> list[Voice]:
        return self.inner.voices()

    def synthesize(self, request: SynthesisRequest) -> SynthesizedAudio:
        self.calls += 1
        return self.inner.synthesize(request)


@pytest.fixture(scope="session")
def counting_synthesizer() -> type[CountingSynthesizer]:
    """Wraps a real synthesizer to count its calls (e.g. to prove a cache hit synthesizes nothing)."""
    return CountingSynthesizer
