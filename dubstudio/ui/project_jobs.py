"""The editor's jobs on its project: the pipeline, a new project, re-translate and re-synthesize of
the selected cue, preview audio, export, and the background ones (waveform peaks, the voice list,
loading the engines ahead of the first redo).

Every job is started through `window.jobs` (`ui.jobs.JobController`) with its own callbacks, and
captures on the GUI thread what it works on: the project folder and a copy of the project. Each
callback first checks that the window still shows that folder (`_on`): a job never touches another
project than its own, even when it outlives it. All engines come from the window's
`EngineSession`, so they load once per window.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from dubstudio.core import store
from dubstudio.core.collector import paused_collector
from dubstudio.core.errors import UserError
from dubstudio.core.media import source_wav_path
from dubstudio.core.progress import stage_reporter
from dubstudio.core.project import Project
from dubstudio.ui import commands
from dubstudio.ui.jobs import stage_label
from dubstudio.ui.player import AudioSource
from dubstudio.ui.worker import JobContext

if TYPE_CHECKING:
    from dubstudio.ui.dialogs.new_project import NewProjectRequest
    from dubstudio.ui.main_window import MainWindow

#: stage results arriving closer together than this are shown once, the latest: each is the whole
#: project, and showing one rebuilds the table, timeline and review list (quick stages finish within
#: a few milliseconds of each other)
STAGE_RESULT_COALESCE_MS = 150
#: what a pipeline run without recognition imports, loaded by the start-up warm-up. Recognition's
#: torch-based engines are not: they load in the recognition process when a recognition stage runs.
WARM_UP_MODULES = (
    "dubstudio.pipeline.orchestrator",
    "dubstudio.pipeline.export",
    "dubstudio.pipeline.preview",
    "dubstudio.engines.translators",
    "dubstudio.engines.kokoro",
    "dubstudio.engines.voices",
    "dubstudio.stages.segmentation",
    "dubstudio.stages.translation",
    "dubstudio.stages.voice_matching",
    "dubstudio.stages.synthesis",
    "onnxruntime",  # imported by the Kokoro engine when it first synthesizes
)


class ProjectJobs(QObject):
    #: a stage's result arrived from the pipeline (its name), before it is shown
    stage_done = Signal(str)
    #: a new project's folder was created and is shown (before any stage ran)
    project_created = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.doc = window.doc
        self.jobs = window.jobs
        self.session = window.session
        #: the last export's result (`pipeline.export.ExportResult`), for tests and scripts
        self.last_export: Any = None
        self._pending_stage: tuple[str, Project] | None = None
        self._stage_timer = QTimer(self)
        self._stage_timer.setSingleShot(True)
        self._stage_timer.setInterval(STAGE_RESULT_COALESCE_MS)
        self._stage_timer.timeout.connect(self._show_stage_result)

    def _on(self, folder: Path, callback: Callable[..., None]) -> Callable[..., None]:
        """`callback`, run only while the window shows `folder` (the job's own project)."""

        def guarded(*args: Any) -> None:
            if self.doc.project_dir == folder:
                callback(*args)

        return guarded

    def _status(self, message: str, timeout_ms: int = 8000) -> None:
        self.window.statusBar().showMessage(message, timeout_ms)

    # ---- the pipeline ----------------------------------------------------------------------------
    def run_pipeline(self) -> bool:
        """Run every stage that is stale or missing; earlier results are reused."""
        if not self.doc.is_open:
            return False
        folder, snapshot, session = self.doc.project_dir, copy.deepcopy(self.doc.project), self.session
        shown = self._on(folder, self._stage_arrived)

        def work(job: JobContext) -> Project:
            pipeline = session.pipeline(folder, snapshot)
            return pipeline.run(
                progress=job.progress,
                cancel=job.cancel,
                on_stage_done=lambda stage, project: job.post(shown, stage, copy.deepcopy(project)),
            )

        return self._start_pipeline_job("Pipeline", work, folder)

    def new_project(self, media: Path | None = None) -> None:
        from dubstudio.ui.dialogs.new_project import NewProjectDialog

        files = self.window.files
        if not self.jobs.confirm_cancel("start a new project") or not files.maybe_save():
            return
        dialog = NewProjectDialog(self.window, self.window.settings)
        if media is not None:
            dialog.media_edit.setText(str(media))
        if dialog.exec():
            self.jobs.stop()
            self.start_new_project(dialog.request())

    def start_new_project(self, request: NewProjectRequest) -> bool:
        """Create the project folder (shown at once) and run the whole pipeline on it."""
        folder, session = Path(request.project_dir), self.session
        created, shown = self._created, self._on(folder, self._stage_arrived)

        def work(job: JobContext) -> Project:
            pipeline = session.create_pipeline(
                request.media,
                folder,
                settings=request.settings,
                source_language=request.source_language,
                target_language=request.target_language,
                subtitle_language=request.subtitle_language,
                subtitles=request.subtitles,
            )
            job.post(created, folder, copy.deepcopy(pipeline.project))
            return pipeline.run(
                progress=job.progress,
                cancel=job.cancel,
                on_stage_done=lambda stage, project: job.post(shown, stage, copy.deepcopy(project)),
            )

        self.window.undo_stack.clear()
        return self._start_pipeline_job("New project", work, folder)

    def _start_pipeline_job(self, name: str, work: Callable[[JobContext], Project], folder: Path) -> bool:
        return self.jobs.start(
            name,
            work,
            on_done=self._on(folder, self._pipeline_done),
            on_failed=self._on(folder, lambda _failure: self._show_stage_result()),
            on_cancelled=self._on(folder, self._reload_from_disk),
            owns_project=True,
        )

    def _created(self, folder: Path, project: Project) -> None:
        self.window.set_project(project, folder)
        self.window.settings.add_recent(folder)
        self.project_created.emit()

    def _stage_arrived(self, stage: str, project: Project) -> None:
        """A stage finished (the job saved it): show it now, or with the next ones if they are close
        behind (`STAGE_RESULT_COALESCE_MS`)."""
        self.stage_done.emit(stage)
        self._pending_stage = (stage, project)
        if not self._stage_timer.isActive():
            self._stage_timer.start()

    def _show_stage_result(self) -> None:
        self._stage_timer.stop()
        pending, self._pending_stage = self._pending_stage, None
        if pending is None:
            return
        stage, project = pending
        self._replace(project)
        self._status(f"{stage_label(stage)}: done.", 4000)

    def _replace(self, project: Project) -> None:
        """Show the pipeline's saved project, keeping the selection."""
        selected = self.doc.selected_id
        self.doc.replace_project(project, self.doc.project_dir)
        self.doc.set_dirty(False)
        self.doc.select(selected if self.doc.segment(selected) else "")

    def _pipeline_done(self, result: Project) -> None:
        self._pending_stage = None  # the result is newer than any stage result
        self._stage_timer.stop()
        self.window.undo_stack.clear()
        self._replace(result)
        self.window.playback.refresh_tracks()
        self._status(f"Pipeline finished: {len(result.flagged_segments())} segments to review.")

    def _reload_from_disk(self) -> None:
        """After a cancel: the pipeline saved every finished stage; show exactly what is on disk."""
        self._pending_stage = None
        try:
            self._replace(store.load_project(self.doc.project_dir))
        except UserError as error:
            self._status(error.message, 10000)

    # ---- one cue ---------------------------------------------------------------------------------
    def retranslate_selected(self) -> bool:
        return self._redo_selected("Re-translate", "retranslate")

    def resynthesize_selected(self) -> bool:
        return self._redo_selected("Re-synthesize", "resynthesize")

    def _redo_selected(self, label: str, method: str) -> bool:
        """Redo one stage for the selected cue; the result is one undoable step."""
        segment = self.doc.selected
        if segment is None or not self.doc.is_open:
            return False
        folder, snapshot, session, ids = (
            self.doc.project_dir,
            copy.deepcopy(self.doc.project),
            self.session,
            [segment.id],
        )
        name = f"{label} #{self.doc.row_of(segment.id) + 1}"

        def work(job: JobContext) -> Project:
            pipeline = session.pipeline(folder, snapshot)
            return getattr(pipeline, method)(ids, progress=job.progress, cancel=job.cancel)

        def apply(result: Project) -> None:
            self.window.undo_stack.push(commands.ApplyJobResultCommand(self.doc, result, name))
            self.window.timeline.canvas.update()

        return self.jobs.start(name, work, on_done=self._on(folder, apply), owns_project=True)

    # ---- outputs ---------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        from dubstudio.ui.dialogs.export import ExportDialog

        if not self.doc.is_open:
            return
        dialog = ExportDialog(self.doc.project_dir, self.window)
        if dialog.exec():
            self.export(dialog.out_dir())

    def export(self, out_dir: Path | None = None) -> bool:
        """Subtitles, dub, mix and video into `out_dir` (default: the project folder)."""
        if not self.doc.is_open:
            return False
        folder, snapshot, session = self.doc.project_dir, copy.deepcopy(self.doc.project), self.session
        target = out_dir or folder

        def work(job: JobContext) -> Any:
            return session.pipeline(folder, snapshot).export(target, progress=job.progress, cancel=job.cancel)

        def exported(result: Any) -> None:
            from dubstudio.ui.dialogs.export import ExportResultDialog, result_files

            self.last_export = result
            self.window.playback.refresh_tracks()
            self._status(f"Exported to {target}.")
            if not self.jobs.quiet_dialogs:
                ExportResultDialog(result_files(result), target, self.window).exec()

        return self.jobs.start("Export", work, on_done=self._on(folder, exported))

    def render_preview(self) -> bool:
        """Place the current takes on the timeline (dub) and over the ducked original (mix) for playback."""
        if not self.doc.is_open:
            return False
        folder, snapshot = self.doc.project_dir, copy.deepcopy(self.doc.project)

        def work(job: JobContext) -> Any:
            from dubstudio.pipeline.preview import render_preview

            return render_preview(folder, snapshot, progress=job.progress, cancel=job.cancel)

        def rendered(_paths: Any) -> None:
            self.window.playback.refresh_tracks()
            self.window.playback.set_audio_source(AudioSource.DUB)
            self._status("Preview ready: Ctrl+2 plays the dub, Ctrl+3 the mix.")

        return self.jobs.start("Preview", work, on_done=self._on(folder, rendered))

    # ---- in the background -----------------------------------------------------------------------
    def warm_up_modules(self) -> None:
        """Import the pipeline's modules right after start-up.

        Loading C extensions holds Python's GIL for up to half a second, and every import competes
        with the GUI thread for the GIL; done now, while the user is still choosing what to open, it
        does not freeze the window later when a job starts.

        The garbage collector waits meanwhile, and then leaves the modules' objects alone
        (`core/collector.py`): its pauses would otherwise hold the GIL too.
        """

        def work(job: JobContext) -> None:
            with paused_collector():
                for module in WARM_UP_MODULES:
                    job.cancel.raise_if_cancelled()
                    with contextlib.suppress(ImportError):  # a missing optional engine fails later, clearly
                        importlib.import_module(module)

        self.jobs.start_background("engines", work)

    def start_project_jobs(self) -> None:
        """What a freshly shown project needs in the background: its waveform, the voice list, the
        engines of its next redo and its mouth activity (started once the project has painted)."""
        if not self.doc.is_open:
            return
        self.load_peaks()
        self.load_voice_list()
        self.warm_engines()
        self.window.mouths.open()

    def load_peaks(self) -> None:
        folder = self.doc.project_dir
        wav = source_wav_path(folder)
        canvas = self.window.timeline.canvas
        if not wav.is_file():
            canvas.set_peaks(None)
            return
        from dubstudio.core.waveform import ensure_peaks

        self.jobs.start_background(
            "peaks",
            lambda job: ensure_peaks(
                wav, progress=stage_reporter(job.progress, "waveform"), cancel=job.cancel
            ),  # a first open of a long film takes a while: the status bar shows it
            on_done=self._on(folder, canvas.set_peaks),
            on_failed=lambda failure: self._status(f"Waveform unavailable: {failure.error}"),
        )

    def load_voice_list(self) -> None:
        """The voices for the combo boxes (engines import heavy libraries: a worker thread)."""
        folder, project, session = self.doc.project_dir, self.doc.project, self.session
        settings, language = copy.deepcopy(project.settings), project.target_language

        def loaded(choices: list[tuple[str, str]]) -> None:
            self.window.voice_list = list(choices)
            self.window.inspector.show_segment(self.doc.selected_id)

        self.jobs.start_background(
            "voices", lambda _job: session.voice_choices(settings, language), on_done=self._on(folder, loaded)
        )

    def warm_engines(self) -> None:
        """Load the engines a redo of this project needs, so the first redo is as quick as the next."""
        project, session = self.doc.project, self.session
        # what warming reads, copied now: segments only for their voices (no deep copy of them all)
        light = copy.copy(project)
        light.settings, light.speakers = copy.deepcopy(project.settings), copy.deepcopy(project.speakers)
        light.segments = [copy.copy(segment) for segment in project.segments]
        self.jobs.start_background("engines", lambda job: session.warm(light, job.cancel, job.progress))
