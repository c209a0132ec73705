"""Coqui TTS (coqui-tts 0.28) models the user installed: XTTS-v2 voice cloning and VITS voices.

Models live in `model_dir("coqui-<name>")` with `config.json` and a checkpoint (the model manager
imports them; nothing is downloaded here). Both kinds load through `TTS.api.TTS(model_path=...,
config_path=...)`, the library's own loader:

- XTTS-v2 (`config.json` "model": "xtts"): a folder checkpoint (model.pth, vocab.json, …). Engine
  "xtts"; one cloning voice per project speaker ("xtts:clone:<speaker id>") that speaks with the
  timbre of the speaker's reference clips (`SynthesisRequest.reference_audio`). Native speed is
  XTTS's `speed` argument; it has no emotion input, so a style only nudges the speed.
- VITS (any other model): engine "coqui-<name>", one voice per speaker of a multi-speaker model
  (or "default"). Native speed scales the duration predictor (`length_scale`); a style only nudges
  the speed.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from dubstudio.core.dsp import as_mono_float
from dubstudio.core.errors import ModelMissingError, UserError
from dubstudio.core.languages import base_language
from dubstudio.core.project import Speaker
from dubstudio.engines.base import SynthesisRequest, SynthesizedAudio, Voice
from dubstudio.engines.device import resolve_device
from dubstudio.engines.prosody import nudge_for
from dubstudio.models.paths import model_dir, models_dir

MODEL_PREFIX = "coqui-"
XTTS_ENGINE = "xtts"
XTTS_MODEL = "xtts-v2"
_CHECKPOINT_NAMES = ("model.pth", "best_model.pth", "model_file.pth", "checkpoint.pth")


def installed_coqui_models() -> list[str]:
    """Names (without the "coqui-" prefix) of the installed Coqui models."""
    root = models_dir()
    if not root.is_dir():
        return []
    return sorted(
        folder.name.removeprefix(MODEL_PREFIX)
        for folder in root.iterdir()
        if folder.name.startswith(MODEL_PREFIX)
        and (folder / "manifest.json").is_file()
        and (folder / "config.json").is_file()
    )


def coqui_synthesizers(device: str = "auto") -> list[CoquiVitsSynthesizer | XttsSynthesizer]:
    """One synthesizer per installed Coqui model (models load lazily, on first synthesis)."""
    return [
        XttsSynthesizer(name, device=device) if _model_kind(model_dir(MODEL_PREFIX + name)) == "xtts"
        else CoquiVitsSynthesizer(name, device=device)
        for name in installed_coqui_models()
    ]  # fmt: skip


def _model_kind(folder: Path) -> str:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelMissingError(
            f"the Coqui model config is unreadable ({error})",
            path=folder / "config.json",
            fix="Re-import the model with 'dubstudio models install'.",
        ) from error
    return str(config.get("model", "")).lower()


class _CoquiModel:
    """Shared loading of one Coqui model folder through `TTS.api.TTS`."""

    def __init__(self, model_name: str, folder: Path | None, device: str) -> None:
        self.model_name = model_name
        self.folder = folder if folder is not None else model_dir(MODEL_PREFIX + model_name)
        self.config_path = self.folder / "config.json"
        self.kind = _model_kind(self.folder)
        self.config = json.loads(self.config_path.read_text(encoding="utf-8"))
        self.manifest = json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))
        self.device = resolve_device(device)
        self._tts = None
        self._lock = threading.Lock()
        import TTS

        digest = "".join(sorted(self.manifest.get("files", {}).values()))[:12]
        self.version = f"coqui-tts {TTS.__version__}; {model_name} {digest}"

    def checkpoint(self) -> Path:
        found = next((self.folder / n for n in _CHECKPOINT_NAMES if (self.folder / n).is_file()), None)
        if found is None:
            raise ModelMissingError(
                f"the Coqui model '{self.model_name}' has no checkpoint ({', '.join(_CHECKPOINT_NAMES)})",
                path=self.folder,
                fix=f"Re-import the model with 'dubstudio models install {MODEL_PREFIX}{self.model_name}'.",
            )
        return found

    def tts(self):
        """The loaded `TTS.api.TTS`, created once."""
        if self._tts is None:
            from TTS.api import TTS

            model_path = self.folder if self.kind == "xtts" else self.checkpoint()
            self._tts = TTS(model_path=str(model_path), config_path=str(self.config_path), progress_bar=False)
            self._tts.to(self.device)
        return self._tts

    def languages(self) -> list[str]:
        """ISO codes: the manifest's "languages", else the config's languages / phoneme language."""
        declared = self.manifest.get("languages") or self.config.get("languages") or []
        if not declared and self.config.get("phoneme_language"):
            declared = [self.config["phoneme_language"]]
        if not declared:
            raise UserError(
                f"the Coqui model '{self.model_name}' does not say which language it speaks",
                path=self.folder / "manifest.json",
                fix='Add "languages": ["<code>"] to its manifest.json.',
            )
        return sorted({base_language(code) for code in declared})

    def run(self, text: str, **kwargs) -> SynthesizedAudio:
        with self._lock:
            tts = self.tts()
            wav = tts.tts(text, **kwargs)
            rate = int(tts.synthesizer.output_sample_rate)
        return SynthesizedAudio(as_mono_float(np.asarray(wav, dtype=np.float32)), rate)


class CoquiVitsSynthesizer:
    """A VITS (or other single-pass Coqui) model; multi-speaker models offer one voice per speaker."""

    native_speed = True

    def __init__(self, model_name: str, folder: Path | None = None, *, device: str = "auto") -> None:
        self._model = _CoquiModel(model_name, folder, device)
        self.name = MODEL_PREFIX + model_name
        self.version = self._model.version

    def speaker_names(self) -> list[str]:
        """From the model's speakers file (name → id JSON) when it has one, without loading weights."""
        args = self._model.config.get("model_args", {})
        if not args.get("use_speaker_embedding"):
            return []
        candidates = [self._model.folder / "speakers.json"]
        if args.get("speakers_file"):
            candidates.append(self._model.folder / Path(args["speakers_file"]).name)
        for path in candidates:
            if path.is_file():
                return sorted(json.loads(path.read_text(encoding="utf-8")))
        return []

    def voices(self) -> list[Voice]:
        languages = self._model.languages()
        names = self.speaker_names() or ["default"]
        return [Voice(id=f"{self.name}:{n}", engine=self.name, name=n, languages=languages) for n in names]

    def synthesize(self, request: SynthesisRequest) -> SynthesizedAudio:
        tts = self._model.tts()
        model = tts.synthesizer.tts_model
        speed = request.speed * nudge_for(request.style, request.register).speed
        base_scale = float(self._model.config.get("model_args", {}).get("length_scale", 1.0))
        model.length_scale = base_scale / speed
        kwargs = {}
        if tts.is_multi_speaker and request.voice.name != "default":
            kwargs["speaker"] = request.voice.name
        if tts.is_multi_lingual:
            kwargs["language"] = base_language(request.language)
        return self._model.run(request.text, **kwargs)


class XttsSynthesizer:
    """XTTS-v2 voice cloning from each speaker's reference clips (needs the user-installed weights)."""

    name = XTTS_ENGINE
    native_speed = True

    def __init__(
        self, model_name: str = XTTS_MODEL, folder: Path | None = None, *, device: str = "auto"
    ) -> None:
        self._model = _CoquiModel(model_name, folder, device)
        self.version = self._model.version

    def voices(self) -> list[Voice]:
        """No stock voices: XTTS speaks through `clone_voice` voices, one per project speaker."""
        return []

    def clone_voice(self, speaker: Speaker) -> Voice:
        return Voice(
            id=f"{XTTS_ENGINE}:clone:{speaker.id}",
            engine=XTTS_ENGINE,
            name=f"clone:{speaker.id}",
            languages=self._model.languages(),
            gender=speaker.gender,
            pitch_hz=speaker.median_f0,
            embedding=list(speaker.embedding),
            clones=True,
        )

    def synthesize(self, request: SynthesisRequest) -> SynthesizedAudio:
        if not request.reference_audio:
            raise UserError(
                f"the cloning voice '{request.voice.id}' needs reference clips of the speaker",
                fix="Mark a clean stretch of the speaker's speech as a reference clip or pick a stock voice.",
            )
        self._model.checkpoint()
        speed = request.speed * nudge_for(request.style, request.register).speed
        return self._model.run(
            request.text,
            language=base_language(request.language),
            speaker_wav=list(request.reference_audio),
            speed=speed,
            split_sentences=True,
        )
