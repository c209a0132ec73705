"""The job controller: every background job of a window, each carrying its own callbacks.

Adding a job is one call, from the GUI thread::

    folder, snapshot = doc.project_dir, copy.deepcopy(doc.project)   # captured now, on the GUI thread

    def work(job: JobContext) -> Result:                 # runs on a worker thread
        return do_something(folder, snapshot, progress=job.progress, cancel=job.cancel)

    window.jobs.start("Do something", work, on_done=show_result)             # the user's job
    window.jobs.start_background("peaks", work, on_done=show_peaks)           # a quiet one

A job may only use what it captured when it was created: by the time it runs, or ends, the window
may show another project. `on_done(result)` runs on the GUI thread when it succeeds; on a failure
`on_failed(failure)` runs (if given) and then the failure is reported (the error dialog, or the
status bar with `quiet_dialogs`); on a cancel `on_cancelled()` runs and the status bar says so.
`JobContext.post(callback, *args)` hands intermediate results to the GUI thread.

Lanes. The *main* lane runs the user's jobs (pipeline, re-translate, re-synthesize, preview,
export) one at a time, with the status-bar progress and Cancel; `start` refuses a second one (and
says so). A job with `owns_project=True` disables editing while it runs. *Background* lanes, by
name ("peaks", "voices", "engines"), run quiet jobs; a job started while its lane is busy waits
for it (only the newest waiting job per lane is kept). A background job that reports progress
(the engine warm-up while a first run measures the voices) shows it in the status bar while no
main job runs.

Stopping a lane cancels its job and, when it is inside an engine call that cannot be interrupted,
detaches it (`worker.JobRunner.detach`): none of its callbacks or posts ever run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QDeadlineTimer, QObject, Signal
from PySide6.QtWidgets import QMainWindow, QMessageBox

from dubstudio.core.crash_log import error_summary, write_crash_report
from dubstudio.core.errors import UserError
from dubstudio.pipeline.stage_spec import GUI_LABELS
from dubstudio.ui.dialogs.error import show_error
from dubstudio.ui.document import ProjectDocument
from dubstudio.ui.worker import JobContext, JobFailure, JobFunction, JobRunner

__all__ = ["Job", "JobContext", "JobController", "stage_label"]

MAIN_LANE = "main"


def describe(failure: JobFailure) -> str:
    """One line for the status bar; a bug's report is written to the log folder."""
    error = failure.error
    if isinstance(error, UserError):
        return error.message
    log = write_crash_report(error)
    return error_summary(error) + (f" (report: {log})" if log is not None else "")


def stage_label(stage: str) -> str:
    return GUI_LABELS.get(stage, stage[:1].upper() + stage[1:])


@dataclass
class Job:
    """One background job: what to run and what to do with its outcome (on the GUI thread)."""

    name: str
    work: JobFunction
    on_done: Callable[[Any], None] | None = None
    on_failed: Callable[[JobFailure], None] | None = None
    on_cancelled: Callable[[], None] | None = None
    owns_project: bool = False


class _Lane:
    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner
        self.job: Job | None = None
        self.waiting: Job | None = None


class JobController(QObject):
    """Runs the window's jobs on worker threads; see the module docstring."""

    #: a main-lane job started (its name)
    started = Signal(str)
    #: main-lane progress: (stage, fraction 0–1, message)
    progress = Signal(str, float, str)
    #: the main lane's job was asked to stop
    cancelling = Signal()
    #: a main-lane job ended, however it ended (its name)
    finished = Signal(str)
    #: progress of a background job, when it reports any (a first run's voice measurement)
    background_progress = Signal(str, float, str)
    #: a background lane's job ended (the lane's name)
    background_finished = Signal(str)

    def __init__(self, window: QMainWindow, doc: ProjectDocument) -> None:
        super().__init__(window)
        self.window = window
        self.doc = doc
        self._lanes: dict[str, _Lane] = {}
        #: set by `shutdown`: no job starts after that
        self.closed = False
        #: tests and scripts: failures go to the status bar (and here) instead of a dialog
        self.quiet_dialogs = False
        self.last_failure: JobFailure | None = None
        self._lane(MAIN_LANE)

    # ---- starting ------------------------------------------------------------------------------
    def start(
        self,
        name: str,
        work: JobFunction,
        *,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[JobFailure], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        owns_project: bool = False,
    ) -> bool:
        """Run a user's job on the main lane; False (and a status message) while another runs."""
        lane = self._lanes[MAIN_LANE]
        if self.closed:
            return False
        if lane.job is not None:
            self._status(f"Wait for “{lane.job.name}” to finish (or cancel it).", 5000)
            return False
        self.last_failure = None
        job = Job(name, work, on_done, on_failed, on_cancelled, owns_project)
        if owns_project:
            self.doc.set_busy(True)
        self._run(lane, job)
        return True

    def start_background(
        self,
        lane_name: str,
        work: JobFunction,
        *,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[JobFailure], None] | None = None,
    ) -> None:
        """Run a quiet job on its own lane, after the lane's current job if one runs.

        Without `on_failed` a failure is only logged to the status bar (a background job never
        opens a dialog by itself)."""
        if self.closed:
            return
        lane = self._lane(lane_name)
        job = Job(lane_name, work, on_done, on_failed or self._background_failed)
        if lane.job is None:
            self._run(lane, job)
        else:
            lane.waiting = job

    # ---- state ---------------------------------------------------------------------------------
    @property
    def current(self) -> Job | None:
        """The main lane's job, if one runs."""
        return self._lanes[MAIN_LANE].job

    @property
    def is_running(self) -> bool:
        return self.current is not None

    def is_busy(self, lane_name: str = MAIN_LANE) -> bool:
        lane = self._lanes.get(lane_name)
        return lane is not None and (lane.job is not None or lane.waiting is not None)

    # ---- stopping ------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Ask the main lane's job to stop (it ends at its next check, keeping finished stages)."""
        if self.current is not None:
            self.cancelling.emit()
            self._lanes[MAIN_LANE].runner.cancel()

    def confirm_cancel(self, then: str) -> bool:
        """Ask before a running main-lane job is cancelled; True when none runs or the user agrees."""
        job = self.current
        if job is None or self.quiet_dialogs:
            return True
        answer = QMessageBox.question(
            self.window,
            "A job is running",
            f"A job is running ({job.name}). Cancel it and {then}?\n\nStages already finished are kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def stop(self, lanes: Iterable[str] = (MAIN_LANE,), wait_ms: int = 0) -> None:
        """Cancel the jobs of `lanes` (and drop their waiting ones), wait up to `wait_ms` in all, and
        detach any still busy: the window never waits for an engine."""
        stopping = [self._lanes[name] for name in lanes if name in self._lanes]
        for lane in stopping:
            lane.waiting = None
            lane.runner.cancel()
        deadline = QDeadlineTimer(wait_ms)
        for lane in stopping:
            lane.runner.stop(deadline)

    def shutdown(self, wait_ms: int) -> None:
        """Stop every lane; no job starts afterwards."""
        self.closed = True
        self.stop(list(self._lanes), wait_ms)

    # ---- plumbing ------------------------------------------------------------------------------
    def _lane(self, name: str) -> _Lane:
        if name not in self._lanes:
            lane = _Lane(JobRunner(self))
            runner = lane.runner
            runner.completed.connect(lambda _name, result, lane=lane: self._completed(lane, result))
            runner.failed.connect(lambda _name, failure, lane=lane: self._failed(lane, failure))
            runner.cancelled.connect(lambda _name, lane=lane: self._cancelled(lane))
            runner.finished.connect(lambda _name, lane=lane: self._finished(lane))
            runner.progress.connect(self.progress if name == MAIN_LANE else self.background_progress)
            self._lanes[name] = lane
        return self._lanes[name]

    def _run(self, lane: _Lane, job: Job) -> None:
        lane.job = job
        lane.runner.start(job.name, job.work)
        if lane is self._lanes[MAIN_LANE]:
            self.started.emit(job.name)

    def _completed(self, lane: _Lane, result: Any) -> None:
        job = lane.job
        if job is None:
            return
        self._release(job)
        if job.on_done is not None:
            job.on_done(result)

    def _failed(self, lane: _Lane, failure: JobFailure) -> None:
        job = lane.job
        if job is None:
            return
        self._release(job)
        if job.on_failed is not None:
            job.on_failed(failure)
        if lane is self._lanes[MAIN_LANE]:
            self.report_failure(job.name, failure)

    def _cancelled(self, lane: _Lane) -> None:
        job = lane.job
        if job is None:
            return
        self._release(job)
        if job.on_cancelled is not None:
            job.on_cancelled()
        if lane is self._lanes[MAIN_LANE]:
            self._status(f"{job.name} cancelled; finished stages are kept.", 8000)

    def _release(self, job: Job) -> None:
        """The job is over: the project is editable again before its callbacks run."""
        if job.owns_project:
            self.doc.set_busy(False)

    def _finished(self, lane: _Lane) -> None:
        job, lane.job = lane.job, None
        if job is not None:
            self._release(job)
        if lane is self._lanes[MAIN_LANE]:
            self.finished.emit(job.name if job else "")
        else:
            self.background_finished.emit(job.name if job else "")
        if lane.waiting is not None and not self.closed:
            waiting, lane.waiting = lane.waiting, None
            self._run(lane, waiting)

    def report_failure(self, name: str, failure: JobFailure) -> None:
        """The error dialog: a user error's message, or a bug's one line with its report (logged)."""
        self.last_failure = failure
        if self.quiet_dialogs:
            self._status(f"{name} failed: {describe(failure)}", 10000)
            return
        show_error(self.window, failure.error, failure.details, title=f"{name} failed", context=name)

    def _background_failed(self, failure: JobFailure) -> None:
        self._status(f"Background job failed: {describe(failure)}", 8000)

    def _status(self, message: str, timeout_ms: int) -> None:
        self.window.statusBar().showMessage(message, timeout_ms)
