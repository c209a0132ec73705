"""Stage 1 from the recognition wav to its outcome: the call the orchestrator makes in-process, or
(in the editor) in a child process of its own (`isolation.ChildProcess`), which keeps its engines
loaded between calls (`recognize_in_child`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dubstudio.core.media import load_wav
from dubstudio.core.progress import CancelToken, ProgressCallback
from dubstudio.core.project import Settings, Speaker
from dubstudio.engines.factory import Engines, engine_key
from dubstudio.stages.transcription import TranscriptionOutcome, run_transcription

#: the child process's engines, by `engine_key` (one entry: a new key replaces the old engines)
_child_engines: dict[tuple, Engines] = {}


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
        engines.diarizer(),
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
