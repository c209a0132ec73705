"""Kokoro-82M (int8 ONNX): the default synthesizer, natural-sounding and fast on a CPU.

Text → espeak-ng IPA (stress marks and clause punctuation kept) → Kokoro's phoneme vocabulary →
token ids padded with 0 at both ends. The style vector is `voices[name][token count]`, the
model's `speed` input is the native speed control, and the output is 24 kHz mono.
The five installed voice packs are Japanese speakers; with espeak-ng phonemes they speak es, en,
fr, it and pt well; German works but sounds poor (reported as a quality note on the voice).

Speed: the pack's dynamically quantized int8 graph spends half its time in onnxruntime's slow
ConvInteger, so on first load it is rewritten once to float weights with 2-D convolutions
(`dequantize.py`, ~6 s), its vocoder's instance norms, Snake activations and STFT are rewritten
into fewer, multi-threaded passes (`kokoro_graph.py`, another 11 %), and the result is cached
next to it as `kokoro-v1.0.fp32.onnx` with a sidecar recording its sha256 (verified whenever the
file's size or modification time changed). `models verify` only checks the pack's own files, so
the derived file never makes the pack look damaged; a repair reinstalls the folder and the next
load derives it again. Without the `onnx` package or a writable model folder the int8 graph runs.
bench/kokoro_speed.py measures both.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid
from functools import lru_cache
from pathlib import Path

import numpy as np

from dubstudio.core.dsp import pitch_shift, time_stretch
from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.core.languages import base_language
from dubstudio.engines.base import SynthesisRequest, SynthesizedAudio, Voice
from dubstudio.engines.device import cpu_threads, resolve_device
from dubstudio.engines.espeak import espeak_version, phonemize
from dubstudio.engines.prosody import nudge_for
from dubstudio.models.manifest import file_stamp, sha256_file
from dubstudio.models.paths import model_dir

log = logging.getLogger(__name__)

ENGINE = "kokoro"
MODEL_ID = "kokoro-82m-int8"
INT8_MODEL = "kokoro-v1.0.int8.onnx"
FLOAT_MODEL = "kokoro-v1.0.fp32.onnx"
FLOAT_SIDECAR = "kokoro-v1.0.fp32.json"
#: bump when the rewrite changes, so every cached float model is derived again
FLOAT_REWRITE = 4
#: per-phoneme durations in frames at speed 1.0, before the model divides them by `speed` and
#: rounds them: exposed by the float rewrite so a take's true speed is known (see `synthesize`)
DURATIONS_TENSOR = "/encoder/predictor/ReduceSum_output_0"
SAMPLE_RATE = 24_000
MAX_TOKENS = 510
_CHUNK_PAUSE = 0.15
_SPEED_TOLERANCE = 0.005

#: ISO 639-1 → espeak-ng voice whose IPA Kokoro reads well
LANGUAGES: dict[str, str] = {"es": "es", "en": "en-us", "fr": "fr-fr", "it": "it", "pt": "pt-br", "de": "de"}
QUALITY_NOTES: dict[str, str] = {"de": "Kokoro's German is understandable but sounds poor"}

# espeak-ng writes tied diphthongs/affricates ("a^ɪ"); Kokoro has one symbol for each.
_TIED_TO_KOKORO: dict[str, str] = {
    "a^ɪ": "I", "a^ʊ": "W", "d^z": "ʣ", "d^ʒ": "ʤ", "e^ɪ": "A", "o^ʊ": "O",
    "ə^ʊ": "Q", "s^s": "S", "t^s": "ʦ", "t^ʃ": "ʧ", "ɔ^ɪ": "Y",
}  # fmt: skip
_CHUNK_BREAK = re.compile(r"(?<=[.!?;:,…—])\s+")


class KokoroSynthesizer:
    """Loads the ONNX session lazily and once; `synthesize` is thread-safe."""

    name = ENGINE
    native_speed = True

    def __init__(self, folder: Path | None = None, *, device: str = "auto") -> None:
        self.folder = folder if folder is not None else model_dir(MODEL_ID)
        self.device = resolve_device(device)
        manifest = json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))
        self._int8_sha256 = manifest.get("files", {}).get(INT8_MODEL, "")
        model = f"kokoro-v1.0-int8 {self._int8_sha256[:12]} float rewrite {FLOAT_REWRITE}"
        self.version = f"{model}; espeak-ng {espeak_version()}"
        self._vocab: dict[str, int] = json.loads((self.folder / "vocab.json").read_text(encoding="utf-8"))[
            "vocab"
        ]
        with np.load(self.folder / "voices.npz") as pack:
            self._styles = {name: np.asarray(pack[name], dtype=np.float32) for name in pack.files}
        self._session = None
        self.model_path: Path | None = None  # the graph the session runs, set on load
        self._lock = threading.Lock()
        self._phonemes = lru_cache(maxsize=512)(self._phonemize)

    def voices(self) -> list[Voice]:
        return [
            Voice(
                id=f"{ENGINE}:{name}",
                engine=ENGINE,
                name=name,
                languages=list(LANGUAGES),
                gender="male" if name[1:2] == "m" else "female",
                quality_notes=dict(QUALITY_NOTES),
            )
            for name in sorted(self._styles)
        ]

    def _load(self):
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = cpu_threads()
                options.inter_op_num_threads = 1
                # waiting threads spin briefly (onnxruntime's default): 3 % faster on idle cores
                # (bench/kokoro_speed.py); in the editor jobs run at a lower priority than the GUI
                # thread (ui/worker.py), so the spinning never takes the window's core
                options.add_session_config_entry("session.intra_op.allow_spinning", "1")
                providers = ["CPUExecutionProvider"]
                if self.device == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
                    providers.insert(0, "CUDAExecutionProvider")
                self.model_path = self._float_model() or self.folder / INT8_MODEL
                self._session = ort.InferenceSession(
                    str(self.model_path), sess_options=options, providers=providers
                )
            return self._session

    def _float_model(self) -> Path | None:
        """The cached float rewrite of the int8 graph (derived now if missing or stale), or None."""
        path, sidecar = self.folder / FLOAT_MODEL, self.folder / FLOAT_SIDECAR
        try:
            record = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {}
        if (
            isinstance(record, dict)
            and record.get("source_sha256") == self._int8_sha256
            and record.get("rewrite") == FLOAT_REWRITE
            and path.is_file()
            and (record.get("stamp") == file_stamp(path) or sha256_file(path) == record.get("sha256"))
        ):
            return path
        try:
            from dubstudio.engines.dequantize import dequantize_model
            from dubstudio.engines.kokoro_graph import optimize_kokoro_graph

            scratch = self.folder / f".{FLOAT_MODEL}.{uuid.uuid4().hex}.tmp"
            try:
                dequantize_model(
                    self.folder / INT8_MODEL,
                    scratch,
                    expose=[DURATIONS_TENSOR],
                    optimize=optimize_kokoro_graph,
                )
                record = {
                    "source_sha256": self._int8_sha256,
                    "rewrite": FLOAT_REWRITE,
                    "sha256": sha256_file(scratch),
                }
                os.replace(scratch, path)
            finally:
                scratch.unlink(missing_ok=True)
            record["stamp"] = file_stamp(path)
            sidecar_scratch = sidecar.with_name(f".{sidecar.name}.{uuid.uuid4().hex}.tmp")
            sidecar_scratch.write_text(json.dumps(record, indent=1), encoding="utf-8")
            os.replace(sidecar_scratch, sidecar)  # written last: a float model without it is derived again
        except (ImportError, OSError) as exc:
            log.warning("Kokoro runs its int8 graph, the float rewrite failed: %s", exc)
            return None
        return path

    def phonemes(self, text: str, language: str) -> str:
        """Kokoro-ready phoneme string (cached: re-takes of a cue skip the espeak-ng subprocesses)."""
        return self._phonemes(text, language)

    def _phonemize(self, text: str, language: str) -> str:
        """Espeak IPA with tied pairs mapped and symbols outside Kokoro's vocabulary dropped."""
        espeak_language = LANGUAGES.get(base_language(language))
        if espeak_language is None:
            raise UnsupportedLanguageError(
                f"Kokoro does not speak '{language}'",
                fix=f"Choose one of {', '.join(LANGUAGES)}, or an espeak-ng or Coqui voice.",
            )
        ipa = phonemize(text, espeak_language)
        for tied, symbol in _TIED_TO_KOKORO.items():
            ipa = ipa.replace(tied, symbol)
        return "".join(ch for ch in ipa.replace("^", "") if ch in self._vocab)

    def tokenize(self, phonemes: str) -> list[list[int]]:
        """Token id chunks of at most 510, split at punctuation (then at spaces, then hard)."""
        chunks: list[list[int]] = []
        current = ""
        for piece in _CHUNK_BREAK.split(phonemes):
            for part in _split_long(piece):
                candidate = f"{current} {part}".strip()
                if len(candidate) > MAX_TOKENS and current:
                    chunks.append([self._vocab[ch] for ch in current])
                    current = part
                else:
                    current = candidate
        if current:
            chunks.append([self._vocab[ch] for ch in current])
        return chunks

    def synthesize(self, request: SynthesisRequest) -> SynthesizedAudio:
        """Speed = request speed × style nudge; the nudge's pitch is applied as a real pitch shift."""
        style_pack = self._styles.get(request.voice.name)
        if style_pack is None:
            raise UnsupportedLanguageError(
                f"Kokoro has no voice '{request.voice.name}'", fix=f"Choose one of {', '.join(self._styles)}."
            )
        nudge = nudge_for(request.style, request.register)
        speed = float(request.speed * nudge.speed)
        session = self._load()
        with_durations = DURATIONS_TENSOR in {output.name for output in session.get_outputs()}
        pause = np.zeros(int(_CHUNK_PAUSE / speed * SAMPLE_RATE), dtype=np.float32)
        parts: list[np.ndarray] = []
        frames_at_one = frames_at_speed = 0
        for tokens in self.tokenize(self.phonemes(request.text, request.language)):
            style = style_pack[min(len(tokens), len(style_pack) - 1)].reshape(1, 256)
            outputs = session.run(
                ["audio", DURATIONS_TENSOR] if with_durations else ["audio"],
                {
                    "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                    "style": style,
                    "speed": np.array([speed], dtype=np.float32),
                },
            )
            if with_durations:  # the model's own rule: round(duration / speed), at least one frame
                durations = np.asarray(outputs[1], dtype=np.float64)
                frames_at_one += int(np.maximum(1, np.round(durations)).sum())
                frames_at_speed += int(np.maximum(1, np.round(durations / speed)).sum())
            if parts:
                parts.append(pause)
            parts.append(np.asarray(outputs[0], dtype=np.float32).ravel())
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        if frames_at_speed and abs(frames_at_one / frames_at_speed / speed - 1.0) > _SPEED_TOLERANCE:
            # rounding short phonemes makes e.g. speed 1.12 only 1.04× shorter: stretch the rest so
            # the take is exactly `speed` times shorter than at 1.0, as the stage relies on
            audio = time_stretch(audio, SAMPLE_RATE, speed * frames_at_speed / frames_at_one)
        if nudge.semitones:
            audio = pitch_shift(audio, SAMPLE_RATE, nudge.semitones)
        if nudge.loudness != 1.0:
            audio = np.clip(audio * nudge.loudness, -1.0, 1.0)
        return SynthesizedAudio(audio, SAMPLE_RATE)


def _split_long(piece: str) -> list[str]:
    """A clause longer than the model takes, cut at spaces (or hard, for a run-on without any)."""
    if len(piece) <= MAX_TOKENS:
        return [piece]
    words, parts, current = piece.split(" "), [], ""
    for word in words:
        while len(word) > MAX_TOKENS:
            parts.extend([current] if current else [])
            parts.append(word[:MAX_TOKENS])
            word, current = word[MAX_TOKENS:], ""
        candidate = f"{current} {word}".strip()
        if len(candidate) > MAX_TOKENS:
            parts.append(current)
            current = word
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts
