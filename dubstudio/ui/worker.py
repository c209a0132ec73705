"""Background jobs: a QObject worker on a QThread, reporting through queued signals.

The pipeline is plain Python with a progress callback and a cancel token. The worker calls a job
function on its own thread with a `JobContext` (progress, cancel, post) and turns every callback
into a signal, which Qt queues to the GUI thread, so the window never blocks and only the GUI thread
touches its project. Progress is throttled (at most one signal per stage every
`PROGRESS_INTERVAL_S`) so a chatty engine cannot flood the event loop. `JobContext.post(callback,
*args)` runs a callback on the GUI thread with intermediate results (a stage's project, the freshly
created project); whatever is posted must be the job's own copy, since the job goes on working.

An engine call in flight cannot be interrupted (a C extension does not look at the cancel token), so
a window that closes, or opens another project, stops its jobs with `JobRunner.stop`: cancel, wait a
moment, and *detach* a job that is still busy. A detached job's results are dropped; its thread is
handed to the application (a running QThread must never be destroyed with its window) and, at exit,
the process waits for it with every window already closed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEvent, QObject, Qt, QThread, Signal, Slot

from dubstudio.core.crash_log import error_details
from dubstudio.core.errors import Cancelled
from dubstudio.core.progress import CancelToken, ProgressCallback, ProgressEvent

PROGRESS_INTERVAL_S = 0.05
#: how much nicer (Linux) a job's thread is than the GUI thread: when both want a core the GUI gets
#: it first (3:1 weight), and on an idle machine the job still has every core. At 10 the job got a
#: tenth of a core next to another program's busy process (bench/ui_responsiveness.py)
JOB_NICENESS = 5



@dataclass(frozen=True)
class JobContext:
    """What a job function gets on its worker thread."""

    progress: ProgressCallback
    cancel: CancelToken
    #: `post(callback, *args)`: call `callback(*args)` on the GUI thread (dropped once detached)
    post: Callable[..., None]


#: A job: called on the worker thread with its context; returns the result.
JobFunction = Callable[[JobContext], Any]


class JobFailure:
    """An exception from the worker thread with its traceback (and a child process's) for the details."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.details = error_details(error)


class Worker(QObject):
    progress = Signal(str, float, str)
    posted = Signal(object)
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

    def _post(self, callback: Callable[..., None], *args: Any) -> None:
        self.posted.emit((callback, args))

    @Slot()
    def run(self) -> None:
        _yield_cpu_to_gui()
        try:
            result = self.function(JobContext(self._report, self.cancel_token, self._post))
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


def _yield_cpu_to_gui() -> None:
    """Lower the calling thread's CPU priority; the threads it starts inherit it.

    Linux ignores QThread priorities under its default scheduler but schedules each thread by its
    own nice value, and the engines' pools (onnxruntime, torch, CTranslate2) are created by the job.
    Elsewhere `QThread.Priority.LowPriority` (set at start) does this job.
    """
    if sys.platform.startswith("linux"):
        thread_id = threading.get_native_id()
        with contextlib.suppress(OSError):
            niceness = os.getpriority(os.PRIO_PROCESS, thread_id) + JOB_NICENESS
            os.setpriority(os.PRIO_PROCESS, thread_id, min(19, niceness))


#: threads of detached jobs still running, with their workers (kept alive until the thread ends)
_detached: list[tuple[QThread, Worker]] = []


def _forget_finished_detached() -> None:
    _detached[:] = [(t, w) for t, w in _detached if shiboken6.isValid(t) and not t.isFinished()]


@atexit.register  # registered after PySide's own clean-up, so it runs before the QApplication goes
def wait_for_detached_jobs() -> None:
    """Block until every detached job's thread has ended (the process is exiting: nothing is shown)."""
    for thread, _worker in _detached:
        if shiboken6.isValid(thread):
            thread.wait()
    _detached.clear()


class JobRunner(QObject):
    """Runs one job at a time on a fresh QThread; re-emits the worker's signals with the job name."""

    started = Signal(str)
    progress = Signal(str, float, str)
    completed = Signal(str, object)
    failed = Signal(str, object)
    cancelled = Signal(str)
    finished = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: Worker | None = None
        self._links: list[tuple[Any, Any]] = []
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
        # quit() is thread-safe; a direct call lets wait() on the GUI thread return without the event loop
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        self._links = [
            (worker.progress, self.progress),
            (worker.posted, self._on_posted),
            (worker.completed, self._on_completed),
            (worker.failed, self._on_failed),
            (worker.cancelled, self._on_cancelled),
            (thread.finished, self._cleanup),
        ]
        for signal, slot in self._links:
            signal.connect(slot)
        self._thread, self._worker = thread, worker
        thread.start(QThread.Priority.LowPriority)
        self.started.emit(name)
        return True

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel_token.cancel()

    def wait(self, deadline: QDeadlineTimer | int = 30_000) -> bool:
        """Block until the job's thread has ended or `deadline` (or milliseconds) passed; True when
        it has ended."""
        return self._thread.wait(deadline) if self._thread is not None else True

    def stop(self, deadline: QDeadlineTimer) -> bool:
        """Cancel the job and wait for it until `deadline`; detach it if it is still busy then.

        Either way the runner is free afterwards and `finished` has been emitted for the job.
        True when the job had ended (or none ran), False when it was detached.
        """
        self.cancel()
        if self.wait(deadline):
            self._cleanup()
            return True
        self.detach()
        return False

    def _unlink(self) -> None:
        """Drop the job's results: disconnect its worker, and discard the signals it already queued."""
        for signal, slot in self._links:
            signal.disconnect(slot)
        self._links = []
        QCoreApplication.removePostedEvents(self, QEvent.Type.MetaCall)

    def detach(self) -> None:
        """Let the running job end on its own, out of this runner: its results are dropped and its
        thread belongs to the application, so this runner (and its window) can go at once."""
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return
        self._unlink()
        _forget_finished_detached()
        thread.setParent(QCoreApplication.instance())
        thread.finished.connect(worker.deleteLater)
        thread.finished.connect(thread.deleteLater)
        _detached.append((thread, worker))
        name = self.name
        self._thread, self._worker, self.name = None, None, ""
        self.finished.emit(name)

    # queued from the worker thread: these run on the GUI thread
    @Slot(object)
    def _on_posted(self, item: object) -> None:
        callback, args = item  # type: ignore[misc]
        callback(*args)

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
        """The job's thread has ended (queued from it, or called by `stop` after waiting)."""
        if self._thread is None:
            return  # already cleaned up by `stop`, before this queued call arrived
        name = self.name
        self._unlink()  # after a normal end nothing is queued any more; after `stop`, results are dropped
        if self._worker is not None:
            self._worker.deleteLater()
        self._thread.deleteLater()
        self._thread, self._worker, self.name = None, None, ""
        self.finished.emit(name)
