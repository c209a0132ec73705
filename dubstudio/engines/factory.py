"""Build the engines a job needs from its Settings, once and only when a stage asks for them.

The GUI, the CLI and the tests get the same engines from here. Loading a model takes seconds and
memory, so every engine is created on first use and kept for the job's lifetime; a re-run that
only re-synthesizes one cue never loads the recogniser. Every engine uses the one device setting
(`Settings.device`, resolved by `engines.device`).

An engine can be supplied ready-made (tests inject a shared, module-scoped recogniser so a model
loads once per test module); whatever is not supplied is built from the settings.

Sharing. One `Engines` may serve many jobs (the editor keeps one per window:
`pipeline.session.EngineSession`) as long as `engine_key(settings)` is the same: only the settings
in `ENGINE_SETTINGS` shape an engine. Building is locked, so jobs on different threads (a job
detached while inside an engine call, the editor's warm-up) get the same engines, built once.
`close()` ends the processes an engine keeps running between jobs (Apertium's chains).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from dubstudio.core.errors import ModelMissingError, UnsupportedLanguageError, UserError
from dubstudio.core.progress import CancelToken, ProgressCallback, ProgressEvent
from dubstudio.core.project import Settings, Speaker
from dubstudio.engines.base import Diarizer, Separator, Synthesizer, Transcriber, Translator, Voice
from dubstudio.engines.device import Device, resolve_device

#: the synthesizer engines "auto" uses, best first (Coqui models join when installed)
AUTO_SYNTHESIZERS = ("kokoro", "coqui", "espeak")
T = TypeVar("T")
#: the Settings fields that decide which engines are built and how
ENGINE_SETTINGS = (
    "device", "whisper_model", "beam_size", "denoise", "diarization_pipeline", "translator", "synthesizer",
)  # fmt: skip


def engine_key(settings: Settings) -> tuple:
    """Equal for two settings that need the same engines."""
    return tuple(repr(getattr(settings, name)) for name in ENGINE_SETTINGS)


class UnknownEngineError(UserError):
    """The settings name an engine this build does not have."""


def check_engine_names(settings: Settings, path: str | Path | None = None) -> None:
    """Raise UnknownEngineError (naming `path`, the project file) for an unknown engine setting."""
    from dubstudio.engines.translators import ENGINE_NAMES as TRANSLATORS

    known = {"synthesizer": ("auto", *AUTO_SYNTHESIZERS), "translator": ("auto", *TRANSLATORS)}
    for setting, names in known.items():
        value = getattr(settings, setting)
        if value not in names:
            raise UnknownEngineError(
                f"the project's {setting} is '{value}', which this DubStudio does not have",
                path=path,
                fix=f"Set settings.{setting} to one of: {', '.join(names)} (auto picks the best installed).",
            )


def _locked(method: Callable[..., T]) -> Callable[..., T]:
    """Run an `Engines` builder under the set's lock (two threads never build the same engine)."""

    @functools.wraps(method)
    def locked(self: Engines, *args: Any, **kwargs: Any) -> T:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked
#: the speaker-embedding model the catalog embeds voices with (the one diarization uses)
VOICE_EMBEDDER = "campplus-sv-zh-en"


def _voice_embedder(device: str):
    """CAM++ as an `(audio, rate) → embedding` callable, loaded on its first call (torch is heavy)."""
    loaded = []

    def embed(audio, rate: int):
        from dubstudio.core.dsp import resample
        from dubstudio.engines.campplus import SAMPLE_RATE, CamPlusEmbedder
        from dubstudio.models.paths import model_dir

        if not loaded:
            loaded.append(CamPlusEmbedder(model_dir(VOICE_EMBEDDER) / "campplus_cn_en_common.pt", device))
        return loaded[0].embed(resample(audio, rate, SAMPLE_RATE))

    return embed


def _close(engine: object) -> None:
    """End an engine's helper processes, for the engines that keep some (`close()`)."""
    close = getattr(engine, "close", None)
    if close is not None:
        close()


class Engines:
    """A lazily built engine set for one job's settings (shareable: see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transcriber: Transcriber | None = None,
        diarizer: Diarizer | None = None,
        translator: Translator | None = None,
        synthesizers: Sequence[Synthesizer] | None = None,
        separator: Separator | None = None,
    ) -> None:
        check_engine_names(settings)
        self.settings = settings
        self._transcriber = transcriber
        self._diarizer = diarizer
        self._translator = translator
        self._synthesizers = {s.name: s for s in synthesizers} if synthesizers is not None else None
        self._separator = separator
        self._catalogs: dict[tuple[str, tuple[str, ...]], list[Voice]] = {}
        #: recognition engines handed in (a caller's own, or a test's) cannot be rebuilt elsewhere
        self.recognition_injected = transcriber is not None or diarizer is not None
        self._lock = threading.RLock()
        #: the progress callbacks of every `catalog` call in progress (see there)
        self._catalog_listeners: list[ProgressCallback] = []
        self._listeners_lock = threading.Lock()

    @property
    def device(self) -> Device:
        return resolve_device(self.settings.device)

    @_locked
    def transcriber(self) -> Transcriber:
        if self._transcriber is None:
            from dubstudio.engines.whisper import FasterWhisperTranscriber

            self._transcriber = FasterWhisperTranscriber(
                self.settings.whisper_model,
                device=self.device,
                beam_size=self.settings.beam_size,
                denoise=self.settings.denoise,
            )
        return self._transcriber

    @_locked
    def diarizer(self) -> Diarizer:
        if self._diarizer is None:
            from dubstudio.engines.diarization import PyannoteDiarizer

            self._diarizer = PyannoteDiarizer(
                device=self.device, pipeline_path=self.settings.diarization_pipeline or None
            )
        return self._diarizer

    def translator(self, source: str, targets: Sequence[str]) -> Translator | None:
        """An engine translating `source` into every target that differs from it (None if none does).

        Raises UnsupportedLanguageError naming the pair and how to install it.
        """
        needed = [target for target in dict.fromkeys(targets) if target and target != source]
        if not needed:
            return None
        return self._pick_translator(source, needed)

    @_locked
    def _pick_translator(self, source: str, needed: list[str]) -> Translator:
        if self._translator is None or not all((source, t) in self._translator.pairs() for t in needed):
            from dubstudio.engines.translators import pick_translator

            picked = pick_translator(source, needed[0], self.settings.translator)
            missing = [t for t in needed[1:] if (source, t) not in picked.pairs()]
            if missing:
                raise UnsupportedLanguageError(
                    f"the translation engine {picked.name} translates {source}→{needed[0]} but not "
                    f"{source}→{missing[0]}",
                    fix="Choose the same language for subtitles and dub, or install the missing pair.",
                )
            _close(self._translator)
            self._translator = picked
        return self._translator

    @_locked
    def synthesizers(self) -> dict[str, Synthesizer]:
        """The synthesizers to use, by engine name: the chosen one, or with "auto" all installed."""
        if self._synthesizers is None:
            wanted = (
                AUTO_SYNTHESIZERS if self.settings.synthesizer == "auto" else (self.settings.synthesizer,)
            )
            built: dict[str, Synthesizer] = {}
            for name in wanted:
                try:
                    built.update({s.name: s for s in self._build_synthesizers(name)})
                except ModelMissingError:
                    if self.settings.synthesizer != "auto":
                        raise
            self._synthesizers = built
        return self._synthesizers

    def _build_synthesizers(self, name: str) -> list[Synthesizer]:
        if name == "kokoro":
            from dubstudio.engines.kokoro import KokoroSynthesizer

            return [KokoroSynthesizer(device=self.device)]
        if name == "espeak":
            from dubstudio.engines.espeak import EspeakSynthesizer

            return [EspeakSynthesizer()]
        if name == "coqui":
            from dubstudio.engines.coqui import coqui_synthesizers

            return list(coqui_synthesizers(self.device))
        raise UnsupportedLanguageError(
            f"unknown synthesizer '{name}'", fix=f"Use one of: auto, {', '.join(AUTO_SYNTHESIZERS)}."
        )

    def catalog(
        self,
        language: str,
        speakers: Sequence[Speaker] = (),
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> list[Voice]:
        """The voices speaking `language`, cloning voices included; the ones voice matching may pick
        are measured once (voice QA through Whisper base, pitch, CAM++ embedding) and stored.

        A first measurement takes a while: `progress` hears it, also when another thread is
        measuring and this call waits for it (the editor's warm-up, then a redo)."""
        with self._listeners_lock:
            if progress is not None:
                self._catalog_listeners.append(progress)
        try:
            return self._catalog(language, tuple(speakers), cancel)
        finally:
            with self._listeners_lock:
                if progress is not None:
                    self._catalog_listeners.remove(progress)

    @_locked
    def _catalog(
        self, language: str, speakers: tuple[Speaker, ...], cancel: CancelToken | None
    ) -> list[Voice]:
        key = (language, tuple(s.id for s in speakers))
        if key not in self._catalogs:
            from dubstudio.engines.voice_qa import WhisperJudge
            from dubstudio.engines.voices import build_catalog

            self._catalogs[key] = build_catalog(
                self.synthesizers().values(),
                language=language,
                speakers=speakers,
                measure=True,
                judge=WhisperJudge(self.device),
                embedder=_voice_embedder(self.device),
                embedder_name=VOICE_EMBEDDER,
                progress=self._tell_catalog_listeners,
                cancel=cancel,
            )
        return self._catalogs[key]

    def _tell_catalog_listeners(self, event: ProgressEvent) -> None:
        with self._listeners_lock:
            listeners = list(self._catalog_listeners)
        for listener in listeners:
            listener(event)

    def separator(self) -> Separator | None:
        """The source-separation engine, when one was supplied (none ships with this build)."""
        return self._separator

    def close(self) -> None:
        """End the helper processes the engines keep running (Apertium's chains); the models loaded
        in this process go with the set. An engine used after this starts its helpers again."""
        with self._lock:
            translator = self._translator
        _close(translator)

    def names(self) -> dict[str, str]:
        """Which engine does what, for project.diagnostics.engines (only those built so far)."""
        names = {"device": self.device}
        if self._transcriber is not None:
            names["transcription"] = self._transcriber.name
        if self._diarizer is not None:
            names["diarization"] = self._diarizer.name
        if self._translator is not None:
            names["translation"] = self._translator.name
        if self._synthesizers:
            names["synthesis"] = ", ".join(f"{s.name} {s.version}" for s in self._synthesizers.values())
        return names
