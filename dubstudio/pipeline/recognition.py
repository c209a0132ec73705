"""Stage 1 from the recognition wav to its outcome: the call the orchestrator makes in-process, or
(in the editor) in a child process of its own (`isolation.ChildProcess`), which keeps its engines
loaded between calls (`recognize_in_child`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dubstudio.core.media import load_wav
from dubstudio.core.progress import CancelToken, ProgressCallback
from dubstudio.core.project import Settings, Speaker
from dubstudio.engines.base import Diarization
from dubstudio.engines.factory import Engines, engine_key
from dubstudio.stages.transcription import TranscriptionOutcome, run_transcription

#: the child process's engines, by `engine_key` (one entry: a new key replaces the old engines)
_child_engines: dict[tuple, Engines] = {}


class _DiarizerOnFirstUse:
    """The engine set's diarizer, built when the stage first asks it to diarize: a recording in which
    nothing is heard never does, and building it imports pyannote.audio and torch and loads two
    models (10 of the 28 s that `dubstudio dub` took to say three hours of silence hold no speech)."""

    def __init__(self, engines: Engines) -> None:
        self._engines = engines

    @property
    def name(self) -> str:
        return self._engines.diarizer().name

    def diarize(self, audio: np.ndarray, **options: Any) -> Diarization:
        return self._engines.diarizer().diarize(audio, **options)


def recognize(
    wav: Path,
    settings: Settings,
    language: str | None,
    known_speakers: Sequence[Speaker],
    *,
    progress: ProgressCallback,
    cancel: CancelToken | None = None,
    engines: Engines | None = None,
) -> TranscriptionOutcome:
    engines = engines or Engines(settings)
    audio, _rate = load_wav(wav)
    return run_transcription(
        audio,
        engines.transcriber(),
        _DiarizerOnFirstUse(engines),
        language=language,
        settings=settings,
        known_speakers=known_speakers,
        progress=progress,
        cancel=cancel,
    )


def recognize_in_child(
    wav: Path, settings: Settings, language: str | None, known_speakers: Sequence[Speaker], *, progress
) -> TranscriptionOutcome:
    """`recognize` with the models kept loaded for the next call (run in a long-lived child process)."""
    key = engine_key(settings)
    if key not in _child_engines:
        _child_engines.clear()
        _child_engines[key] = Engines(settings)
    return recognize(wav, settings, language, known_speakers, progress=progress, engines=_child_engines[key])
