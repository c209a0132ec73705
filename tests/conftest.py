"""Fixtures shared by the whole suite: where the real test data lives."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def pyannote_sample() -> dict[str, Path]:
    """The real 30 s two-speaker call that the pyannote.audio wheel ships, with its references."""
    folder = Path(str(importlib.resources.files("pyannote.audio") / "sample"))
    return {"wav": folder / "sample.wav", "rttm": folder / "sample.rttm", "stm": folder / "sample.stm"}
