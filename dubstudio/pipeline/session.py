"""The engines an editor window keeps for all its jobs: loaded once, shared, rebuilt only when a
setting that shapes an engine changes.

`EngineSession.engines(settings)` is the same `Engines` for every job while
`factory.engine_key(settings)` stays the same (the pipeline, re-translate, re-synthesize, preview,
export and the voice list all go through it), so the Kokoro session, the translator and the voice
catalog load once. `warm(project)` builds what the project's next redo needs, in the background
after the window has painted. Recognition runs in a child process (`isolation.ChildProcess`) that
stays alive between jobs with its models loaded, as does each Apertium chain the translator started;
`close()` ends them, with the window.

Sharing. The window runs one user job at a time, but a job detached while inside an engine call
(its project was closed) and the background jobs (warm-up, voice list) may use the same engines at
the same time: building them is locked (`Engines`), Kokoro's session is thread-safe, espeak-ng runs
a process per call, and Apertium's running chains and the recognition child take one call at a time.
Replacing the engine set (a setting changed) or closing the session ends the old set's processes.

Nothing here imports the pipeline's stages at import time: the window creates its session on the
GUI thread, and the heavy modules load on the job threads.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dubstudio.core.errors import Cancelled, UserError
from dubstudio.core.progress import CancelToken, ProgressCallback
from dubstudio.core.project import Project, Settings
from dubstudio.engines.factory import Engines, check_engine_names, engine_key
from dubstudio.pipeline.isolation import ChildProcess

if TYPE_CHECKING:
    from dubstudio.pipeline.orchestrator import Pipeline

log = logging.getLogger(__name__)

#: synthesizers whose voice lists load without torch (importing it on any thread holds the GIL for
#: hundreds of milliseconds): the editor's voice list offers these; voices of other engines that a
#: project uses are still offered (the window adds every voice in use)
LIGHT_SYNTHESIZERS = ("kokoro", "espeak")
#: what a warm-up synthesizes when the project has no dub text yet
WARM_UP_TEXT = "Hola."
#: a warm-up speaks a cue of the project's own text of up to this many characters (about 6 s of
#: speech): a one-word warm-up leaves onnxruntime's buffers sized for a few tokens, and the first
#: redo of a real cue paid to grow them (2.3–3.1 s instead of 1.4 s, `bench/editor_redo.py`)
WARM_UP_CHARACTERS = 90
#: what a warm-up translates, for the same reason (a word every source language can carry)
WARM_UP_SOURCE_TEXT = "OK."


def warm_up_text(text: str) -> str:
    """`text` cut after its last word within `WARM_UP_CHARACTERS`, or `WARM_UP_TEXT` when empty."""
    if len(text) > WARM_UP_CHARACTERS:
        cut = text[:WARM_UP_CHARACTERS]
        text = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return text.strip() or WARM_UP_TEXT


class EngineSession:
    """One window's engines and recognition process (see the module docstring)."""

    def __init__(self, engines: Engines | None = None, *, isolate_recognition: bool = True) -> None:
        """`engines`: a ready set used for every job whatever its settings (tests share one)."""
        self._injected = engines
        self._engines: Engines | None = engines
        self._key: tuple | None = None
        self._lock = threading.Lock()
        self.isolate_recognition = isolate_recognition
        self._recognition: ChildProcess | None = None
        self._closed = False
        #: how many engine sets this session has built (one per engine-shaping settings change)
        self.builds = 0

    def engines(self, settings: Settings) -> Engines:
        """The shared engines for `settings`: the same object until an engine setting changes."""
        with self._lock:
            if self._injected is not None:
                return self._injected
            key = engine_key(settings)
            if self._engines is None or key != self._key:
                if self._engines is not None:
                    self._engines.close()  # its helpers start again if a detached job calls it later
                self._engines, self._key = Engines(settings), key
                self.builds += 1
            return self._engines

    def recognition_process(self) -> ChildProcess | None:
        """The long-lived recognition child, or None when recognition runs in-process."""
        if not self.isolate_recognition:
            return None
        with self._lock:
            if self._closed:  # a job that outlived its window
                raise Cancelled("the window was closed")
            if self._recognition is None:
                self._recognition = ChildProcess("recognition")
            return self._recognition

    # ---- pipelines -----------------------------------------------------------------------------
    def pipeline(self, project_dir: Path, project: Project) -> Pipeline:
        """An orchestrator over `project` in `project_dir` with the shared engines."""
        from dubstudio.pipeline.orchestrator import Pipeline

        return Pipeline(
            project_dir,
            project,
            self.engines(project.settings),
            recognition_process=self.recognition_process(),
        )

    def create_pipeline(
        self, media: Path, project_dir: Path, *, settings: Settings, **options: Any
    ) -> Pipeline:
        """`Pipeline.create` (probe, folder, project.json) with the shared engines."""
        from dubstudio.pipeline.orchestrator import Pipeline

        return Pipeline.create(
            media,
            project_dir,
            settings=settings,
            engines=self.engines(settings),
            recognition_process=self.recognition_process(),
            **options,
        )

    # ---- loading ahead -------------------------------------------------------------------------
    def warm(
        self, project: Project, cancel: CancelToken | None = None, progress: ProgressCallback | None = None
    ) -> None:
        """Load what a redo of this project needs: its translator (one short translation per target,
        so Apertium's chains run and Argos's models are loaded), its voices' synthesizers (one short
        synthesis each, so sessions and thread pools exist) and the measured voice catalog
        (`progress` hears its measurement, which only a first run does)."""
        from dubstudio.engines.base import SynthesisRequest

        engines = self.engines(project.settings)
        source, target = project.source_language, project.target_language
        if source and target:
            targets = [project.display_subtitle_language, target]
            translator = engines.translator(source, targets)
            for language in dict.fromkeys(targets):
                if translator is not None and language != source:
                    translator.translate([WARM_UP_SOURCE_TEXT], source, language)
        if cancel is not None:
            cancel.raise_if_cancelled()
        voices = engines.catalog(target, project.speakers, progress=progress, cancel=cancel) if target else []
        catalog = {voice.id: voice for voice in voices}
        synthesizers = engines.synthesizers()
        warmed: set[str] = set()
        for segment in sorted(project.segments, key=lambda s: -len(s.tts_text[:WARM_UP_CHARACTERS])):
            voice = catalog.get(project.voice_for(segment))
            if voice is None or voice.engine in warmed or voice.engine not in synthesizers:
                continue
            if cancel is not None:
                cancel.raise_if_cancelled()
            request = SynthesisRequest(warm_up_text(segment.tts_text), voice, segment.tts_language or target)
            synthesizers[voice.engine].synthesize(request)
            warmed.add(voice.engine)

    def voice_choices(self, settings: Settings, language: str | None) -> list[tuple[str, str]]:
        """`(voice id, label)` of the light engines' voices speaking `language` (all when None),
        without measuring pitch."""
        from dubstudio.engines.voices import build_catalog

        try:
            synthesizers = self.engines(settings).synthesizers()
            light = [synthesizers[name] for name in LIGHT_SYNTHESIZERS if name in synthesizers]
            voices = build_catalog(light, language=language or None, measure=False)
        except (UserError, OSError) as error:  # no voices installed: the combos offer what is in use
            log.info("voice catalog unavailable: %s", error)
            return []
        return [(voice.id, f"{voice.name} ({voice.engine}, {voice.gender})") for voice in voices]

    @staticmethod
    def check_settings(settings: Settings, project_file: Path) -> None:
        """A clear UserError naming `project_file` when its settings name an unknown engine."""
        check_engine_names(settings, project_file)

    def close(self) -> None:
        """End the recognition process and the engines' helper processes (the window is closing);
        engines handed in belong to their caller. The models go with the session."""
        with self._lock:
            recognition, self._recognition, self._closed = self._recognition, None, True
            built = self._engines if self._injected is None else None
        if recognition is not None:
            recognition.close()
        if built is not None:
            built.close()
