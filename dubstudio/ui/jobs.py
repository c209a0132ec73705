"""The main window's background jobs: starting them on the job runner (pipeline, new project,
per-segment re-translate and re-synthesize, export, preview audio, start-up warm-up), asking before
a running pipeline is cancelled, stopping runners, and showing the runner's signals (progress,
stage results, completion, failure, cancellation) in the window.

`JobsMixin` is a base class of `MainWindow`; its methods use the window's document, undo stack,
runners, status-bar widgets and `job_finished` signal.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDeadlineTimer, QTimer
from PySide6.QtWidgets import QMessageBox

from dubstudio.core import store
from dubstudio.core.errors import UserError
from dubstudio.core.progress import CancelToken, ProgressCallback
from dubstudio.core.project import Project
from dubstudio.ui import commands
from dubstudio.ui.dialogs.error import show_error
from dubstudio.ui.player import AudioSource
from dubstudio.ui.worker import JobFailure, JobRunner, StageDone

PREVIEW_DIR = "cache/preview"
STAGE_LABELS = {
    "transcription": "Transcribing",
    "segmentation": "Cutting subtitles",
    "translation": "Translating",
    "voiceMatching": "Matching voices",
    "synthesis": "Synthesizing speech",
    "validation": "Validating",
    "export": "Exporting",
    "mix": "Mixing",
    "media": "Reading media",
    "preview": "Rendering preview",
}
#: stage results arriving closer together than this are shown once, the latest: each is the whole
#: project, and showing one rebuilds the table, timeline and review list (quick stages finish within
#: a few milliseconds of each other)
STAGE_RESULT_COALESCE_MS = 150
#: what a pipeline run without recognition imports, loaded by the start-up warm-up. Recognition's
#: torch-based engines are not: they load on the job's thread when a recognition stage runs.
WARM_UP_MODULES = (
    "dubstudio.pipeline.orchestrator",
    "dubstudio.pipeline.export",
    "dubstudio.ui.preview",
    "dubstudio.ui.voices",
    "dubstudio.engines.translators",
    "dubstudio.engines.kokoro",
    "dubstudio.stages.segmentation",
    "dubstudio.stages.translation",
    "dubstudio.stages.voice_matching",
    "dubstudio.stages.synthesis",
    "onnxruntime",  # imported by the Kokoro engine when it first synthesizes
)


class JobsMixin:
    """Background-job plumbing for `MainWindow` (a `QMainWindow`)."""

    def _connect_job_signals(self) -> None:
        self._pending_stage_result: tuple[str, Project] | None = None
        self._stage_result_timer = QTimer(self)
        self._stage_result_timer.setSingleShot(True)
        self._stage_result_timer.setInterval(STAGE_RESULT_COALESCE_MS)
        self._stage_result_timer.timeout.connect(self._show_stage_result)
        self.runner.started.connect(self._job_started)
        self.runner.progress.connect(self._job_progress)
        self.runner.stage_done.connect(self._stage_done)
        self.runner.completed.connect(self._job_completed)
        self.runner.failed.connect(self._job_failed)
        self.runner.cancelled.connect(self._job_cancelled)
        self.runner.finished.connect(self._job_finished)

    def _warm_up(self) -> None:
        """Import the pipeline's modules in the background right after start-up.

        Loading C extensions holds Python's GIL for up to half a second, and every import competes
        with the GUI thread for the GIL; done now, while the user is still choosing what to open, it
        does not freeze the window later when a job starts.
        """
        if self._closing:
            return

        def job(_progress: ProgressCallback, cancel: CancelToken, _done: StageDone) -> Any:
            for module in WARM_UP_MODULES:
                cancel.raise_if_cancelled()
                with contextlib.suppress(ImportError):  # a missing optional engine fails later, clearly
                    importlib.import_module(module)

        self.catalog_runner.start("warm-up", job)

    def confirm_cancel_pipeline(self, then: str) -> bool:
        """Ask before a running pipeline job is cancelled; True when none runs or the user agrees."""
        if not self.runner.is_running or self.quiet_dialogs:
            return True
        label = STAGE_LABELS.get(self.runner.name, self.runner.name.capitalize())
        answer = QMessageBox.question(
            self,
            "A job is running",
            f"A job is running ({label}). Cancel it and {then}?\n\nStages already finished are kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def stop_jobs(self, runners: tuple[JobRunner, ...], wait_ms: int = 0) -> None:
        """Cancel the jobs of `runners`, wait up to `wait_ms` in all, and detach any still busy (an
        engine call in flight cannot be interrupted): the window never waits for an engine."""
        for runner in runners:
            runner.cancel()
        deadline = QDeadlineTimer(wait_ms)
        for runner in runners:
            runner.stop(deadline)

    def _pipeline(self, project: Project) -> Any:
        """An orchestrator over a copy of the project (called on the worker thread: heavy imports).

        Recognition runs in a child process: loading torch and its models would freeze the window.
        """
        from dubstudio.pipeline.orchestrator import Pipeline

        return Pipeline(self.doc.project_dir, project, self.engines, isolate_recognition=True)

    def _start_job(
        self,
        name: str,
        function: Callable[[ProgressCallback, CancelToken, StageDone], Any],
        *,
        owns_project: bool,
    ) -> bool:
        if self.runner.is_running:
            self.statusBar().showMessage(f"Wait for “{self.runner.name}” to finish (or cancel it).", 5000)
            return False
        if owns_project:
            self.doc.set_busy(True)
        return self.runner.start(name, function)

    def run_pipeline(self) -> None:
        """Run every stage that is stale or missing; earlier results are reused."""
        if not self.doc.is_open:
            return
        snapshot = copy.deepcopy(self.doc.project)

        def job(progress: ProgressCallback, cancel: CancelToken, done: StageDone) -> Any:
            return self._pipeline(snapshot).run(progress=progress, cancel=cancel, on_stage_done=done)

        self._start_job("pipeline", job, owns_project=True)

    def new_project(self, media: Path | None = None) -> None:
        from dubstudio.ui.dialogs.new_project import NewProjectDialog

        if not self.confirm_cancel_pipeline("start a new project") or not self.maybe_save():
            return
        dialog = NewProjectDialog(self, self.settings)
        if media is not None:
            dialog.media_edit.setText(str(media))
        if dialog.exec():
            self.stop_jobs((self.runner,))
            self.start_new_project(dialog.request())

    def start_new_project(self, request: Any) -> bool:
        """Create the project folder and run the whole pipeline on it in the background."""
        self.undo_stack.clear()
        self._new_project_dir = request.project_dir

        def job(progress: ProgressCallback, cancel: CancelToken, done: StageDone) -> Any:
            from dubstudio.pipeline.orchestrator import Pipeline

            pipeline = Pipeline.create(
                request.media,
                request.project_dir,
                source_language=request.source_language,
                target_language=request.target_language,
                subtitle_language=request.subtitle_language,
                settings=request.settings,
                subtitles=request.subtitles,
                engines=self.engines,
                isolate_recognition=True,
            )
            done("created", pipeline.project)
            return pipeline.run(progress=progress, cancel=cancel, on_stage_done=done)

        return self._start_job("new", job, owns_project=True)

    def _segment_job(self, name: str, label: str, method: str) -> None:
        segment = self.doc.selected
        if segment is None or not self.doc.is_open:
            return
        ids = [segment.id]
        snapshot = copy.deepcopy(self.doc.project)

        def job(progress: ProgressCallback, cancel: CancelToken, _done: StageDone) -> Any:
            return getattr(self._pipeline(snapshot), method)(ids, progress=progress, cancel=cancel)

        self._pending_segment_job = f"{label} #{self.doc.row_of(segment.id) + 1}"
        self._start_job(name, job, owns_project=True)

    def retranslate_selected(self) -> None:
        self._segment_job("retranslate", "Re-translate", "retranslate")

    def resynthesize_selected(self) -> None:
        self._segment_job("resynthesize", "Re-synthesize", "resynthesize")

    def export_dialog(self) -> None:
        from dubstudio.ui.dialogs.export import ExportDialog

        if not self.doc.is_open:
            return
        dialog = ExportDialog(self.doc.project_dir, self)
        if dialog.exec():
            self.export_project(dialog.out_dir())

    def export_project(self, out_dir: Path | None = None) -> bool:
        if not self.doc.is_open:
            return False
        snapshot = copy.deepcopy(self.doc.project)
        self._export_dir = out_dir or self.doc.project_dir

        def job(progress: ProgressCallback, cancel: CancelToken, _done: StageDone) -> Any:
            return self._pipeline(snapshot).export(out_dir, progress=progress, cancel=cancel)

        return self._start_job("export", job, owns_project=False)

    def render_preview(self) -> bool:
        """Place the current takes on the timeline (dub) and over the ducked original (mix) for playback."""
        if not self.doc.is_open:
            return False
        snapshot, folder = copy.deepcopy(self.doc.project), self.doc.project_dir

        def job(progress: ProgressCallback, cancel: CancelToken, _done: StageDone) -> Any:
            from dubstudio.ui.preview import render_preview

            return render_preview(folder, snapshot, folder / PREVIEW_DIR, progress=progress, cancel=cancel)

        return self._start_job("preview", job, owns_project=False)

    def cancel_job(self) -> None:
        if self.runner.is_running:
            self.stage_label.setText("Cancelling…")
            self.runner.cancel()

    # ---- job signals (GUI thread) ----
    def _job_started(self, name: str) -> None:
        self.stage_label.setText(STAGE_LABELS.get(name, name.capitalize()) + "…")
        self.progress_bar.setValue(0)
        for widget in (self.stage_label, self.progress_bar, self.cancel_button):
            widget.show()
        self._update_actions()

    def _job_progress(self, stage: str, fraction: float, message: str) -> None:
        self.stage_label.setText(STAGE_LABELS.get(stage, stage))
        self.progress_bar.setValue(round(fraction * 1000))
        self.progress_bar.setFormat(f"{message[:40]}  %p%" if message else "%p%")

    def _stage_done(self, stage: str, project: Project) -> None:
        """A stage finished (the worker saved it): show it now, or with the next ones if they are
        close behind (`STAGE_RESULT_COALESCE_MS`)."""
        if stage == "created":
            folder = self._new_project_dir
            self.set_project(project, folder)
            self.settings.add_recent(folder)
            return
        self._pending_stage_result = (stage, project)
        if not self._stage_result_timer.isActive():
            self._stage_result_timer.start()

    def _show_stage_result(self) -> None:
        self._stage_result_timer.stop()
        pending, self._pending_stage_result = self._pending_stage_result, None
        if pending is None:
            return
        stage, project = pending
        selected = self.doc.selected_id
        self.doc.replace_project(project, self.doc.project_dir)
        self.doc.set_dirty(False)
        if selected:
            self.doc.select(selected)
        self.statusBar().showMessage(f"{STAGE_LABELS.get(stage, stage)}: done.", 4000)

    def _job_completed(self, name: str, result: Any) -> None:
        self._pending_stage_result = None  # the result is newer than any stage result
        if name in ("pipeline", "new") and isinstance(result, Project):
            selected = self.doc.selected_id
            self.undo_stack.clear()
            self.doc.replace_project(result, self.doc.project_dir)
            self.doc.set_dirty(False)
            self.doc.select(selected if self.doc.segment(selected) else "")
            self._refresh_tracks()
            self.statusBar().showMessage(
                f"Pipeline finished: {len(result.flagged_segments())} segments to review.", 8000
            )
        elif name in ("retranslate", "resynthesize") and isinstance(result, Project):
            self.doc.set_busy(False)
            self.undo_stack.push(commands.ApplyJobResultCommand(self.doc, result, self._pending_segment_job))
            self.timeline.canvas.update()
        elif name == "export":
            from dubstudio.ui.dialogs.export import ExportResultDialog, result_files

            self.last_export = result
            self._refresh_tracks()
            self.statusBar().showMessage(f"Exported to {self._export_dir}.", 8000)
            if not self.quiet_dialogs:
                ExportResultDialog(result_files(result), self._export_dir, self).exec()
        elif name == "preview":
            self._refresh_tracks()
            self.set_audio_source(AudioSource.DUB)
            self.statusBar().showMessage("Preview ready: Ctrl+2 plays the dub, Ctrl+3 the mix.", 8000)

    def _job_failed(self, name: str, failure: JobFailure) -> None:
        self._show_stage_result()  # the stages before the failure are kept: show them
        if name == "new" and self.doc.project is None:
            self._new_project_dir = None
        if self.quiet_dialogs:
            self.statusBar().showMessage(f"{name} failed: {failure.error}", 10000)
            self.last_failure = failure
            return
        show_error(
            self, failure.error, failure.details, title=f"{STAGE_LABELS.get(name, name.capitalize())} failed"
        )

    def _job_cancelled(self, name: str) -> None:
        self._pending_stage_result = None  # what is on disk is shown below
        self.statusBar().showMessage(
            f"{STAGE_LABELS.get(name, name.capitalize())} cancelled; finished stages are kept.", 8000
        )
        if name in ("pipeline", "new") and self.doc.is_open:
            # the pipeline saved every finished stage; show exactly what is on disk
            try:
                self.doc.replace_project(store.load_project(self.doc.project_dir), self.doc.project_dir)
                self.doc.set_dirty(False)
            except UserError as error:
                self.statusBar().showMessage(error.message, 10000)

    def _job_finished(self, name: str) -> None:
        self.doc.set_busy(False)
        for widget in (self.stage_label, self.progress_bar, self.cancel_button):
            widget.hide()
        self._update_actions()
        self.job_finished.emit(name)
