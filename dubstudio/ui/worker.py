"""Background jobs: a QObject worker on a QThread, reporting through queued signals.

The pipeline is plain Python with a progress callback and a cancel token. The worker calls it on
its own thread and turns every callback into a signal, which Qt queues to the GUI thread, so the
window never blocks and only the GUI thread touches its project. Progress is throttled (at most one
signal per stage every `PROGRESS_INTERVAL_S`) so a chatty engine cannot flood the event loop.
Results handed over (stage snapshots) are deep copies: the worker keeps mutating its own project.
"""

from __future__ import annotations

import copy
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from dubstudio.core.errors import Cancelled
from dubstudio.core.progress import CancelToken, ProgressCallback, ProgressEvent
from dubstudio.core.project import Project

PROGRESS_INTERVAL_S = 0.05

StageDone = Callable[[str, Project], None]
#: A job: called on the worker thread with (progress, cancel, on_stage_done); returns the result.
JobFunction = Callable[[ProgressCallback, CancelToken, StageDone], Any]


class JobFailure:
    """An exception from the worker thread with its formatted traceback (for the details pane)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.details = "".join(traceback.format_exception(error))


class Worker(QObject):
    progress = Signal(str, float, str)
    stage_done = Signal(str, object)
    completed = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, function: JobFunction) -> None:
        super().__init__()
        self.function = function
        self.cancel_token = CancelToken()
        self._last_emit: dict[str, float] = {}

    def _report(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        if event.fraction < 1.0 and now - self._last_emit.get(event.stage, 0.0) < PROGRESS_INTERVAL_S:
            return
        self._last_emit[event.stage] = now
        self.progress.emit(event.stage, event.fraction, event.message)

    def _stage_done(self, stage: str, project: Project) -> None:
        self.stage_done.emit(stage, copy.deepcopy(project))

    @Slot()
    def run(self) -> None:
        try:
            result = self.function(self._report, self.cancel_token, self._stage_done)
        except Cancelled:
            self.cancelled.emit()
        except Exception as error:  # every failure reaches the GUI as a dialog, never a crash
            self.failed.emit(JobFailure(error))
        else:
            if self.cancel_token.cancelled:
                self.cancelled.emit()
            else:
                self.completed.emit(result)
        finally:
            self.finished.emit()


class JobRunner(QObject):
    """Runs one job at a time on a fresh QThread; re-emits the worker's signals with the job name."""

    started = Signal(str)
    progress = Signal(str, float, str)
    stage_done = Signal(str, object)
    completed = Signal(str, object)
    failed = Signal(str, object)
    cancelled = Signal(str)
    finished = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: Worker | None = None
        self.name = ""

    @property
    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, name: str, function: JobFunction) -> bool:
        """Start `function` in the background; False (nothing started) if a job is already running."""
        if self.is_running:
            return False
        self.name = name
        thread = QThread(self)
        thread.setObjectName(f"job:{name}")
        worker = Worker(function)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self.progress)
        worker.stage_done.connect(self.stage_done)
        worker.completed.connect(self._on_completed)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        # quit() is thread-safe; a direct call lets wait() on the GUI thread return without the event loop
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._cleanup)
        self._thread, self._worker = thread, worker
        thread.start()
        self.started.emit(name)
        return True

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel_token.cancel()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the job's thread has ended (used when closing the window)."""
        return self._thread.wait(timeout_ms) if self._thread is not None else True

    # queued from the worker thread: these run on the GUI thread
    @Slot(object)
    def _on_completed(self, result: object) -> None:
        self.completed.emit(self.name, result)

    @Slot(object)
    def _on_failed(self, failure: object) -> None:
        self.failed.emit(self.name, failure)

    @Slot()
    def _on_cancelled(self) -> None:
        self.cancelled.emit(self.name)

    @Slot()
    def _cleanup(self) -> None:
        name = self.name
        if self._worker is not None:
            self._worker.deleteLater()
        if self._thread is not None:
            self._thread.deleteLater()
        self._thread, self._worker, self.name = None, None, ""
        self.finished.emit(name)
