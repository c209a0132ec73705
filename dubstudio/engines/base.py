"""One small Protocol per kind of engine, and the plain data they exchange.

Stages and the pipeline depend on these Protocols only; `dubstudio.engines.factory` builds the real
implementations from the project settings, so the GUI, the CLI and the tests get the same engines.
Audio crossing these interfaces is mono float32 numpy in [-1, 1] with an explicit sample rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from dubstudio.core.progress import CancelToken, ProgressCallback
from dubstudio.core.project import Gender, Word

RECOGNITION_RATE = 16_000


@dataclass
class RecognizedSegment:
    """A recogniser segment with the statistics used to flag likely hallucinations."""

    start: float
    end: float
    text: str
    words: list[Word]
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0


@dataclass
class Transcription:
    language: str
    language_probability: float
    segments: list[RecognizedSegment]


@runtime_checkable
class Transcriber(Protocol):
    name: str

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        language: str | None = None,
        offset: float = 0.0,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Transcription:
        """Recognise 16 kHz mono audio; every time returned is `offset` + position in `audio`."""
        ...


@dataclass
class SpeakerTurn:
    start: float
    end: float
    speaker: str


@dataclass
class Diarization:
    turns: list[SpeakerTurn]
    #: one L2-normalised embedding per speaker label, for reconciliation and voice matching
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)


@runtime_checkable
class Diarizer(Protocol):
    name: str

    def diarize(
        self,
        audio: np.ndarray,
        *,
        min_speakers: int = 0,
        max_speakers: int = 0,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Diarization:
        """Who spoke when, on 16 kHz mono audio; 0 means 'decide automatically'."""
        ...


@runtime_checkable
class Translator(Protocol):
    name: str

    def pairs(self) -> set[tuple[str, str]]:
        """The (source, target) ISO 639-1 pairs this engine can translate now."""
        ...

    def translate(
        self, texts: Sequence[str], source: str, target: str, *, context: Sequence[str] = ()
    ) -> list[str]:
        """Translate each text; `context[i]`, when given, is the source sentence before `texts[i]`
        ("" if none), for engines that translate better knowing it (engines that cannot ignore it)."""
        ...


@dataclass
class Voice:
    """A voice of the catalog. `id` is globally unique: "<engine>:<voice name>"."""

    id: str
    engine: str
    name: str
    languages: list[str]
    gender: Gender = "unknown"
    pitch_hz: float | None = None
    embedding: list[float] = field(default_factory=list)
    clones: bool = False  # speaks with a reference speaker's timbre (XTTS)
    #: language → caveat where the voice speaks it poorly (e.g. Kokoro's German); voice matching warns
    quality_notes: dict[str, str] = field(default_factory=dict)


@dataclass
class SynthesisRequest:
    text: str
    voice: Voice
    language: str
    speed: float = 1.0
    style: str = ""  # emotion / style hint, e.g. "friendly"
    register: str = ""  # "formal" / "informal"
    reference_audio: list[str] = field(default_factory=list)  # wav paths, for cloning engines


@dataclass
class SynthesizedAudio:
    audio: np.ndarray
    sample_rate: int


@runtime_checkable
class Synthesizer(Protocol):
    name: str
    version: str
    #: whether `speed` is honoured natively (otherwise the fitter time-stretches)
    native_speed: bool

    def voices(self) -> list[Voice]:
        ...

    def synthesize(self, request: SynthesisRequest) -> SynthesizedAudio:
        ...


@runtime_checkable
class Separator(Protocol):
    """Source separation (e.g. Demucs): keeps music, effects and room tone, removes the voices."""

    name: str

    def separate_background(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """The input without its speech, same shape and rate."""
        ...
