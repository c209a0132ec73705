"""Kokoro-82M (ONNX): the default synthesizer, natural-sounding and fast on a CPU.

Text → espeak-ng IPA (stress marks and clause punctuation kept) → Kokoro's phoneme vocabulary →
token ids padded with 0 at both ends. The style vector is `voices[name][token count]`, the
model's `speed` input is the native speed control, and the output is 24 kHz mono.

Voices: the 54 Kokoro v1.0 voices of the `kokoro-v1.0-voices` pack (when installed) and the five
Japanese ones of the model pack itself. A voice's first letter is its native language (a/b American
/ British English, e Spanish, f French, h Hindi, i Italian, j Japanese, p Brazilian Portuguese, z
Mandarin), the second its gender. Every voice speaks every language espeak-ng phonemizes for it
here (`LANGUAGES`); outside its native one it has an accent, which voice matching accounts for.

Phonemes per language follow what Kokoro was trained on: espeak-ng for es, fr-fr, hi, it, pt-br
(like Kokoro's own `EspeakG2P`), and for English espeak-ng's en-us / en-gb rewritten towards the
symbols of Kokoro's English lexicon (`_ENGLISH`): Kokoro's real English G2P (misaki) and its
Japanese and Mandarin ones need dictionaries and taggers that are not installed here, so ja/zh are
no target languages of this engine (their voices still speak the others). espeak-ng's language
switches inside a sentence ("(en)week-end(fr)") are dropped, never read out as phonemes.

Speed: the pack's dynamically quantized int8 graph spends half its time in onnxruntime's slow
ConvInteger; `dubstudio models install` builds its float rewrite (`kokoro-v1.0.fp32.onnx`, see
`models/kokoro_graph.py`) into the pack, and the engine runs that. A pack installed before that
(state "incomplete" in `dubstudio models list`) runs the int8 graph until `models install`
completes it; the engine never writes into the models folder. bench/kokoro_speed.py measures both.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from dubstudio.core.dsp import pitch_shift, time_stretch
from dubstudio.core.errors import ModelMissingError, UnsupportedLanguageError
from dubstudio.core.languages import base_language
from dubstudio.engines.base import SynthesisRequest, SynthesizedAudio, Voice
from dubstudio.engines.device import cpu_threads, resolve_device
from dubstudio.engines.espeak import espeak_version, phonemize
from dubstudio.engines.prosody import nudge_for
from dubstudio.models.kokoro_files import DURATIONS_TENSOR, INT8_MODEL
from dubstudio.models.manifest import read_manifest
from dubstudio.models.paths import model_dir
from dubstudio.models.registry import KOKORO, KOKORO_VOICES

log = logging.getLogger(__name__)

ENGINE = "kokoro"
MODEL_ID = KOKORO.id
VOICES_ID = KOKORO_VOICES.id
FLOAT_MODEL = KOKORO.derived[0].name
SAMPLE_RATE = 24_000
MAX_TOKENS = 510
STYLE_SHAPE = (510, 1, 256)
#: bump when the phonemes of any language change: takes and voice measurements are redone
G2P_REVISION = 2
_CHUNK_PAUSE = 0.15
_SPEED_TOLERANCE = 0.005

#: a voice name's first letter → its native language (ISO 639-1) and, for English, the dialect
NATIVE: dict[str, tuple[str, str]] = {
    "a": ("en", "en-us"), "b": ("en", "en-gb"), "e": ("es", "es"), "f": ("fr", "fr-fr"),
    "h": ("hi", "hi"), "i": ("it", "it"), "j": ("ja", "ja"), "p": ("pt", "pt-br"), "z": ("zh", "cmn"),
}  # fmt: skip
#: target language → espeak-ng voice whose IPA Kokoro reads well (English: the voice's own dialect)
LANGUAGES: dict[str, str] = {
    "es": "es", "en": "en-us", "fr": "fr-fr", "it": "it", "pt": "pt-br", "hi": "hi", "de": "de",
}  # fmt: skip
QUALITY_NOTES: dict[str, str] = {
    "de": "Kokoro has no German voice: espeak-ng's German phonemes read by a voice made for another language"
}

# espeak-ng writes tied diphthongs/affricates ("a^ɪ"); Kokoro has one symbol for each.
_TIED_TO_KOKORO: dict[str, str] = {
    "a^ɪ": "I", "a^ʊ": "W", "d^z": "ʣ", "d^ʒ": "ʤ", "e^ɪ": "A", "o^ʊ": "O",
    "ə^ʊ": "Q", "s^s": "S", "t^s": "ʦ", "t^ʃ": "ʧ", "ɔ^ɪ": "Y",
}  # fmt: skip
# Kokoro's English lexicon differs from espeak-ng's English IPA in a few symbols: the rhotic schwa
# is spelled out, stops and fricatives espeak borrows from other languages are English ones, and
# American English marks no vowel length. Longest patterns first.
_ENGLISH: dict[str, tuple[tuple[str, str], ...]] = {
    "en-us": (
        ("e^ə", "ɛɹ"), ("ə^l", "ᵊl"), ("ɜː", "ɜɹ"), ("ɪə", "iə"), ("ɚ", "əɹ"), ("ɹɹ", "ɹ"),
        ("r", "ɹ"), ("ɐ", "ə"), ("x", "k"), ("ç", "k"), ("ɬ", "l"), ("ʔ", "t"), ("ː", ""),
    ),
    "en-gb": (
        ("e^ə", "ɛː"), ("ə^l", "ᵊl"), ("iə", "ɪə"), ("r", "ɹ"), ("ɐ", "ə"), ("x", "k"), ("ç", "k"),
        ("ɬ", "l"), ("ʔ", "t"),
    ),
}  # fmt: skip
_LANGUAGE_SWITCH = re.compile(r"\([a-z^\-]+\)")
_SYLLABIC = re.compile(r"(\S)\u0329")
_CHUNK_BREAK = re.compile(r"(?<=[.!?;:,…—])\s+")


def _installed_voice_files() -> dict[str, Path]:
    """The voices pack's `<name>.bin` files, when the pack is installed."""
    try:
        folder = model_dir(VOICES_ID)
    except ModelMissingError as missing:
        log.info("Kokoro's native voices are not installed: %s", missing.message)
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.bin"))}


class KokoroSynthesizer:
    """Loads the ONNX session lazily and once; `synthesize` is thread-safe."""

    name = ENGINE
    native_speed = True

    def __init__(
        self, folder: Path | None = None, *, device: str = "auto", voice_files: dict[str, Path] | None = None
    ) -> None:
        self.folder = folder if folder is not None else model_dir(MODEL_ID)
        self.device = resolve_device(device)
        manifest = read_manifest(self.folder)
        files = manifest.files if manifest is not None else {}
        self._int8_sha256 = files.get(INT8_MODEL, "")
        #: the graph the session runs: the float model the install built, else the int8 graph
        self.model_path = self.folder / (FLOAT_MODEL if FLOAT_MODEL in files else INT8_MODEL)
        graph = "float" if self.model_path.name == FLOAT_MODEL else "int8"
        model = f"kokoro-v1.0-int8 {self._int8_sha256[:12]} {graph} g2p {G2P_REVISION}"
        self.version = f"{model}; espeak-ng {espeak_version()}"
        self._vocab: dict[str, int] = json.loads((self.folder / "vocab.json").read_text(encoding="utf-8"))[
            "vocab"
        ]
        self._styles: dict[str, np.ndarray] = {}
        with np.load(self.folder / "voices.npz") as pack:
            self._styles.update({name: np.asarray(pack[name], dtype=np.float32) for name in pack.files})
        self._voice_files = _installed_voice_files() if voice_files is None else dict(voice_files)
        self._session = None
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
                native_language=NATIVE.get(name[:1], ("", ""))[0],
            )
            for name in sorted({*self._styles, *self._voice_files})
        ]

    def style(self, name: str) -> np.ndarray:
        """The voice's 510 style vectors (one per token count), read from its pack on first use."""
        with self._lock:
            if name not in self._styles:
                path = self._voice_files.get(name)
                if path is None:
                    raise UnsupportedLanguageError(
                        f"Kokoro has no voice '{name}'",
                        fix=f"Choose one of {', '.join(sorted({*self._styles, *self._voice_files}))}.",
                    )
                self._styles[name] = np.fromfile(path, dtype="<f4").reshape(STYLE_SHAPE)
            return self._styles[name]

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
                if self.model_path.name == INT8_MODEL:
                    log.warning(
                        "Kokoro runs its slower int8 graph: run 'dubstudio models install %s' to build "
                        "the float model",
                        MODEL_ID,
                    )
                self._session = ort.InferenceSession(
                    str(self.model_path), sess_options=options, providers=providers
                )
            return self._session

    def phonemes(self, text: str, language: str, voice: str = "") -> str:
        """Kokoro-ready phoneme string (cached: re-takes of a cue skip the espeak-ng subprocesses).

        `voice` picks the English dialect (a British voice speaks British English)."""
        return self._phonemes(text, language, voice[:1] == "b" and base_language(language) == "en")

    def _phonemize(self, text: str, language: str, british: bool) -> str:
        """Espeak IPA with language switches dropped, tied pairs mapped, English spelled as Kokoro's
        lexicon does, and symbols outside Kokoro's vocabulary dropped."""
        espeak_language = "en-gb" if british else LANGUAGES.get(base_language(language))
        if espeak_language is None:
            raise UnsupportedLanguageError(
                f"Kokoro does not speak '{language}' here",
                fix=f"Choose one of {', '.join(LANGUAGES)}, or an espeak-ng or Coqui voice.",
            )
        ipa = _LANGUAGE_SWITCH.sub("", phonemize(text, espeak_language))
        for pattern, symbol in _ENGLISH.get(espeak_language, ()):
            ipa = ipa.replace(pattern, symbol)
        for tied, symbol in _TIED_TO_KOKORO.items():
            ipa = ipa.replace(tied, symbol)
        ipa = _SYLLABIC.sub(r"ᵊ\1", ipa)
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
        style_pack = self.style(request.voice.name)
        nudge = nudge_for(request.style, request.register)
        speed = float(request.speed * nudge.speed)
        session = self._load()
        with_durations = DURATIONS_TENSOR in {output.name for output in session.get_outputs()}
        pause = np.zeros(int(_CHUNK_PAUSE / speed * SAMPLE_RATE), dtype=np.float32)
        parts: list[np.ndarray] = []
        frames_at_one = frames_at_speed = 0
        for tokens in self.tokenize(self.phonemes(request.text, request.language, request.voice.name)):
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
