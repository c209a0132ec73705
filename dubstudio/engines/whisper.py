"""Speech recognition with faster-whisper: word timestamps, Silero VAD, chunked long media.

Only the recognition copy of the audio is touched (level normalised, optionally denoised); it keeps
every sample, so each time faster-whisper reports maps to the original timeline by adding the
chunk's start and the caller's `offset`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.ndimage import uniform_filter
from scipy.signal import istft, stft

from dubstudio.core.errors import MediaError
from dubstudio.core.progress import CancelToken, ProgressCallback, ProgressEvent
from dubstudio.core.project import Word
from dubstudio.engines.base import RECOGNITION_RATE, RecognizedSegment, Transcription
from dubstudio.engines.chunking import quiet_windows
from dubstudio.engines.device import cpu_threads, resolve_device
from dubstudio.models.paths import model_dir

#: faster-whisper's own fallback schedule; tests pass 0.0 for deterministic output
DEFAULT_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
#: RMS level of the loud part of the recognition copy after normalisation (−20 dBFS)
_TARGET_RMS = 0.1
#: a chunk whose loudest sample stays under −60 dBFS holds nothing a listener could hear: it is not
#: decoded (normalisation would lift its noise floor to speech level; hours of silence fail at once)
_INAUDIBLE_PEAK = 10 ** (-60 / 20)


def normalize_level(audio: np.ndarray) -> np.ndarray:
    """Scale so the louder half of 20 ms frames sits at −20 dBFS, without clipping peaks."""
    frame = RECOGNITION_RATE // 50
    usable = len(audio) // frame * frame
    if usable == 0:
        return audio.astype(np.float32)
    frame_rms = np.sqrt(np.mean(np.square(audio[:usable].reshape(-1, frame), dtype=np.float64), axis=1))
    loud = frame_rms[frame_rms >= np.median(frame_rms)]
    level = float(np.sqrt(np.mean(np.square(loud)))) if loud.size else 0.0
    peak = float(np.max(np.abs(audio)))
    if level < 1e-6 or peak < 1e-6:
        return audio.astype(np.float32)
    gain = min(_TARGET_RMS / level, 0.99 / peak)
    return (audio * gain).astype(np.float32)


def spectral_gate(audio: np.ndarray, rate: int = RECOGNITION_RATE, reduction_db: float = 12.0) -> np.ndarray:
    """Stationary-noise reduction: attenuate time-frequency bins below a per-band noise threshold.

    The noise profile of each frequency band comes from the quietest 10 % of frames (mean + 1.5 std
    of their magnitude); bins under it are attenuated by `reduction_db`, with a smoothed mask to
    avoid musical noise. Output has exactly the input's length.
    """
    if len(audio) < 1024:
        return audio.astype(np.float32)
    _, _, spectrum = stft(audio, fs=rate, nperseg=512, noverlap=384)
    magnitude = np.abs(spectrum)
    frame_energy = magnitude.sum(axis=0)
    quiet = magnitude[:, frame_energy <= np.quantile(frame_energy, 0.1)]
    threshold = quiet.mean(axis=1, keepdims=True) + 1.5 * quiet.std(axis=1, keepdims=True)
    keep = uniform_filter((magnitude > threshold).astype(np.float64), size=(3, 5))
    floor = 10 ** (-reduction_db / 20)
    _, cleaned = istft(spectrum * (floor + (1 - floor) * keep), fs=rate, nperseg=512, noverlap=384)
    out = np.zeros(len(audio), dtype=np.float32)
    out[: min(len(cleaned), len(audio))] = cleaned[: len(audio)]
    return out


def _check_audio(audio: np.ndarray) -> np.ndarray:
    samples = np.asarray(audio)
    if samples.ndim != 1 or not np.issubdtype(samples.dtype, np.floating):
        raise MediaError(
            f"recognition needs mono float audio, got shape {samples.shape} and type {samples.dtype}",
            fix="Decode the media to 16 kHz mono float32 first.",
        )
    if not np.all(np.isfinite(samples)):
        raise MediaError("the audio contains NaN or infinite samples", fix="Re-extract the audio track.")
    return samples.astype(np.float32, copy=False)


class FasterWhisperTranscriber:
    """The Transcriber engine over a CTranslate2 Whisper model installed under `model_dir(model)`.

    `chunk_seconds` bounds how much audio one faster-whisper call sees; progress and cancellation
    happen between recognised segments and between chunks.
    """

    name = "faster-whisper"

    def __init__(
        self,
        model: str = "whisper-base",
        *,
        device: str = "auto",
        beam_size: int = 5,
        temperature: float | tuple[float, ...] = DEFAULT_TEMPERATURES,
        chunk_seconds: float = 600.0,
        denoise: bool = False,
        vad: bool = True,
        threads: int | None = None,
    ) -> None:
        from faster_whisper import WhisperModel

        self.model_id = model
        self.device = resolve_device(device)
        self.compute_type = "float16" if self.device == "cuda" else "int8"
        self.beam_size = beam_size
        self.temperature = temperature
        self.chunk_seconds = chunk_seconds
        self.denoise = denoise
        self.vad = vad
        folder: Path = model_dir(model)
        self.model = WhisperModel(
            str(folder),
            device=self.device,
            compute_type=self.compute_type,
            cpu_threads=threads or cpu_threads(),
        )

    def decode_options(self) -> dict[str, Any]:
        """The faster-whisper `transcribe` keyword arguments used for every chunk."""
        return {
            "beam_size": self.beam_size,
            "temperature": self.temperature,
            "word_timestamps": True,
            "vad_filter": self.vad,
        }

    def prepare(self, audio: np.ndarray) -> np.ndarray:
        """The recognition copy: same length and timeline, normalised and optionally denoised."""
        samples = spectral_gate(audio) if self.denoise else audio
        return normalize_level(samples)

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        language: str | None = None,
        offset: float = 0.0,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Transcription:
        audio = _check_audio(audio)
        samples = self.prepare(audio)
        total = max(len(samples), 1)
        segments: list[RecognizedSegment] = []
        detected, probability = language, 1.0
        for start, end in quiet_windows(samples, RECOGNITION_RATE, self.chunk_seconds):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if float(np.max(np.abs(audio[start:end]), initial=0.0)) < _INAUDIBLE_PEAK:
                if progress is not None:
                    progress(ProgressEvent("transcription", end / total, "silence"))
                continue
            chunk_offset = offset + start / RECOGNITION_RATE
            pieces, info = self.model.transcribe(
                samples[start:end], language=detected, **self.decode_options()
            )
            if detected is None:
                # later chunks keep the language of the first one: a dub has one source language
                detected, probability = info.language, float(info.language_probability)
            for piece in pieces:
                segments.append(_recognized(piece, chunk_offset))
                if progress is not None:
                    done = start + min(piece.end * RECOGNITION_RATE, end - start)
                    progress(ProgressEvent("transcription", min(1.0, done / total), piece.text.strip()))
                if cancel is not None:
                    cancel.raise_if_cancelled()
            if progress is not None:
                progress(ProgressEvent("transcription", end / total))
        return Transcription(language=detected or "", language_probability=probability, segments=segments)


def _words(raw_words: Iterable[Any] | None, offset: float) -> list[Word]:
    words = []
    for raw in raw_words or ():
        text = raw.word.strip()
        if not text:
            continue
        start = max(0.0, offset + float(raw.start))
        words.append(Word(start, max(start, offset + float(raw.end)), text, float(raw.probability)))
    return words


def _recognized(piece: Any, offset: float) -> RecognizedSegment:
    start = max(0.0, offset + float(piece.start))
    return RecognizedSegment(
        start=start,
        end=max(start, offset + float(piece.end)),
        text=piece.text.strip(),
        words=_words(piece.words, offset),
        avg_logprob=float(piece.avg_logprob),
        no_speech_prob=float(piece.no_speech_prob),
        compression_ratio=float(piece.compression_ratio),
    )
