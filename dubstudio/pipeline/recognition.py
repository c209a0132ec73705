"""Stage 1 from the recognition wav to its outcome: the call the orchestrator makes in-process, or
(in the editor) in a child process of its own (`isolation.py`), where it builds its own engines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dubstudio.core.media import load_wav
from dubstudio.core.progress import CancelToken, ProgressCallback
from dubstudio.core.project import Settings, Speaker
from dubstudio.engines.factory import Engines
from dubstudio.stages.transcription import TranscriptionOutcome, run_transcription


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
