"""One dub job: create or resume a project folder, apply voice overrides, run, export, summarise.

This is the core of `dubstudio dub` without its terminal output, so every caller that dubs a file
(the `dub` command, each job of `dubstudio batch`, the editor's batch window) writes exactly the
same project folder and exports. The request is plain, picklable data (paths and strings): a batch
sends it to a worker process or a Ray actor as it is.

Engines come from a provider called with the job's settings, so a long-lived worker can hand every
job the engines it already loaded (`dubstudio.batch.worker.EngineCache`); by default each job
builds its own.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dubstudio.core.errors import UserError
from dubstudio.core.progress import CancelToken, ProgressCallback, ignore_progress
from dubstudio.core.project import STAGES, Project, Settings
from dubstudio.core.store import PROJECT_FILE, load_project

if TYPE_CHECKING:  # the pipeline imports the DSP stack: seconds, which `--help` must not wait for
    from dubstudio.engines.factory import Engines
    from dubstudio.pipeline.export import ExportResult
    from dubstudio.pipeline.mouths import BackgroundMouths
    from dubstudio.pipeline.orchestrator import Pipeline
    from dubstudio.stages.validation import ValidationReport

#: the name the export step reports its progress under (pipeline.export.STAGE)
EXPORT_STAGE = "export"
#: the stages of a job in order: the pipeline's, then export
JOB_STAGES = (*STAGES, EXPORT_STAGE)
EngineProvider = Callable[[Settings], "Engines"]


@dataclass
class DubRequest:
    """What to dub and how: the `dub` command's arguments."""

    media: Path
    out: Path
    target_language: str
    source_language: str | None = None
    subtitle_language: str = ""
    #: a .srt/.vtt/.ass used as the transcript (the recogniser does not run)
    subtitles: Path | None = None
    #: a term list: 'source<TAB>target' per line (or CSV)
    glossary: Path | None = None
    #: speaker id or label -> voice id
    voices: dict[str, str] = field(default_factory=dict)
    device: str = "auto"
    max_speed: float = 1.25
    keep_background: bool = True
    #: reuse the translation memory's exact matches
    use_translation_memory: bool = True
    #: give speakers the names and voices the voice library knows them by
    voice_library: bool = True
    #: read the video's mouths beside the pipeline (lip-sync checks and fitting)
    lipsync: bool = True
    #: frames per second read for mouth activity (None: the project's setting)
    mouth_fps: float | None = None


@dataclass
class DubOutcome:
    """A finished job: the project, what was written, and what validation found."""

    project_dir: Path
    project: Project
    exported: ExportResult
    report: ValidationReport | None
    resumed: bool
    elapsed: float
    export_seconds: float
    #: the lip-sync assist's run beside the pipeline (its track, or why it did not run)
    mouths: BackgroundMouths | None = None

    @property
    def warning_counts(self) -> Counter[str]:
        return Counter(issue.code for issue in (self.report.warnings if self.report else []))

    @property
    def error_counts(self) -> Counter[str]:
        return Counter(issue.code for issue in (self.report.errors if self.report else []))

    @property
    def ok(self) -> bool:
        """False when validation found problems that break the dubbing contract (outputs still written)."""
        return self.report is None or self.report.ok

    @property
    def stage_seconds(self) -> dict[str, float]:
        """How long each stage took when it last ran (stages restored from the cache keep their time)."""
        durations = {stage: ms / 1000 for stage, ms in self.project.diagnostics.stage_durations_ms.items()}
        durations[EXPORT_STAGE] = self.export_seconds
        return durations


def project_exists(folder: Path) -> bool:
    """True when `folder` already holds a project (a run there resumes it)."""
    return (Path(folder) / PROJECT_FILE).is_file()


def parse_voice_overrides(pairs: list[str]) -> dict[str, str]:
    """`["SPEAKER_00=kokoro:em_alex", …]` as a dict; a malformed pair is a UserError."""
    overrides = {}
    for pair in pairs:
        speaker, separator, voice = pair.partition("=")
        if not separator or not speaker.strip() or not voice.strip():
            raise UserError(
                f"--voice {pair!r} is not SPEAKER=VOICE", fix="Write e.g. --voice SPEAKER_00=kokoro:jf_alpha."
            )
        overrides[speaker.strip()] = voice.strip()
    return overrides


def job_settings(request: DubRequest, base: Settings | None) -> Settings:
    """The request's settings on top of `base` (a resumed project's own), else the defaults."""
    from dubstudio.stages.glossary import load_glossary

    settings = base or Settings()
    if not 1.0 <= request.max_speed <= 1.5:
        raise UserError(
            f"--max-speed {request.max_speed} is out of range", fix="Use a value from 1.0 to 1.5."
        )
    settings.device = request.device
    settings.max_speed = request.max_speed
    settings.keep_background = request.keep_background
    settings.use_translation_memory = request.use_translation_memory
    settings.voice_library = request.voice_library
    settings.lipsync = request.lipsync
    if request.mouth_fps is not None:
        if not 1.0 <= request.mouth_fps <= 30.0:
            raise UserError(
                f"--mouth-fps {request.mouth_fps} is out of range", fix="Use a value from 1 to 30."
            )
        settings.mouth_fps = request.mouth_fps
    if request.glossary:
        settings.glossary = load_glossary(request.glossary)
    return settings


def apply_voices(pipeline: Pipeline, overrides: dict[str, str]) -> None:
    """Set the speakers' voice overrides; unknown speakers or voices are a UserError."""
    project: Project = pipeline.project
    if not overrides or not project.speakers:
        return
    from dubstudio.engines.voices import build_catalog

    # which voices exist needs no measurement (that runs in voice matching, with its progress)
    voices = build_catalog(
        pipeline.engines.synthesizers().values(),
        language=project.target_language,
        speakers=project.speakers,
        measure=False,
    )
    catalog = {voice.id for voice in voices}
    for name, voice in overrides.items():
        speaker = next((s for s in project.speakers if name in (s.id, s.label)), None)
        if speaker is None:
            known = ", ".join(s.display_name for s in project.speakers)
            raise UserError(
                f"--voice names the speaker '{name}', which is not in the media", fix=f"Speakers: {known}."
            )
        if voice not in catalog:
            examples = ", ".join(sorted(catalog)[:6])
            raise UserError(
                f"--voice asks for '{voice}', not an installed voice for '{project.target_language}'",
                fix=f"Installed voices include: {examples}.",
            )
        speaker.voice_override = voice


def new_engines(settings: Settings) -> Engines:
    """The default provider: a fresh engine set for this job alone."""
    from dubstudio.engines.factory import Engines

    return Engines(settings)


def open_pipeline(request: DubRequest, engines: EngineProvider = new_engines) -> tuple[Pipeline, bool]:
    """The job's pipeline, ready to run: the project in `request.out` resumed, or a new one created
    from the media, with the request's voice overrides applied.

    Returns (pipeline, resumed). A new project probes the media first (MediaError when unusable).
    """
    from dubstudio.engines.factory import check_engine_names
    from dubstudio.pipeline.orchestrator import Pipeline

    if project_exists(request.out):
        project = load_project(request.out)
        project.settings = job_settings(request, project.settings)
        project.target_language = request.target_language
        check_engine_names(project.settings, request.out / PROJECT_FILE)  # before any engine loads
        pipeline, resumed = Pipeline(request.out, project, engines(project.settings)), True
    else:
        settings = job_settings(request, None)
        pipeline = Pipeline.create(
            request.media,
            request.out,
            source_language=request.source_language,
            target_language=request.target_language,
            subtitle_language=request.subtitle_language,
            settings=settings,
            subtitles=request.subtitles,
            engines=engines(settings),
        )
        resumed = False
    apply_voices(pipeline, request.voices)
    return pipeline, resumed


def run_dub(
    request: DubRequest,
    *,
    engines: EngineProvider = new_engines,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> DubOutcome:
    """Dub `request.media` into the project folder `request.out` and write every export there.

    Resumes a project already in the folder (finished stages are skipped). Raises UserError for bad
    input, Cancelled when `cancel` fires; validation findings are in the outcome, not raised.
    """
    started = time.perf_counter()
    pipeline, resumed = open_pipeline(request, engines)
    return finish_dub(pipeline, request, resumed=resumed, started=started, progress=progress, cancel=cancel)


def finish_dub(
    pipeline: Pipeline,
    request: DubRequest,
    *,
    resumed: bool,
    started: float,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> DubOutcome:
    """`run_dub` after `open_pipeline`: every stage, then the exports (`started`: perf_counter() when
    the job began). The `dub` command opens first, so that bad input is reported before its bars.

    The video's mouths are read beside the pipeline (`BackgroundMouths`); when they arrive during
    the run, the pipeline runs once more so the lip-sync checks and fitting see them (only cues whose
    mouth limit changed are re-synthesized, so the result does not depend on which finished first)."""
    from dubstudio.pipeline.mouths import BackgroundMouths

    def on_stage_done(stage: str, _project: Project) -> None:
        if stage == "segmentation":  # speakers of a fresh transcript: their overrides apply now
            apply_voices(pipeline, request.voices)

    mouths = BackgroundMouths(pipeline.project_dir, pipeline.project, progress)
    try:
        pipeline.run(progress=progress, cancel=cancel, on_stage_done=on_stage_done)
        if mouths.wait() is not None and mouths.analyzed:
            pipeline.run(progress=progress, cancel=cancel)
    finally:
        mouths.stop()
    export_started = time.perf_counter()
    exported = pipeline.export(request.out, progress=progress, cancel=cancel)
    finished = time.perf_counter()
    return DubOutcome(
        project_dir=Path(request.out),
        project=pipeline.project,
        exported=exported,
        report=pipeline.report,
        resumed=resumed,
        elapsed=finished - started,
        export_seconds=finished - export_started,
        mouths=mouths,
    )
