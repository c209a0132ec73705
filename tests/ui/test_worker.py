"""Background jobs end or are let go without blocking the GUI thread (`JobRunner.stop`).

The slow job waits on an event the test sets: it stands for an engine call that does not look at
the cancel token (a C extension in flight), which no real engine here does on demand.
"""

from __future__ import annotations

import os
import threading

import pytest
from PySide6.QtCore import QDeadlineTimer
from suite_timeouts import scaled_ms, scaled_s

from dubstudio.ui.worker import JOB_NICENESS, JobRunner

pytestmark = pytest.mark.gui


def _recorded(runner: JobRunner) -> dict[str, list]:
    seen: dict[str, list] = {"completed": [], "cancelled": [], "finished": []}
    runner.completed.connect(lambda name, result: seen["completed"].append((name, result)))
    runner.cancelled.connect(seen["cancelled"].append)
    runner.finished.connect(seen["finished"].append)
    return seen


def test_a_job_that_ignores_cancel_is_detached_and_its_result_dropped(qtbot):
    runner = JobRunner()
    seen = _recorded(runner)
    release, ended = threading.Event(), threading.Event()

    def engine_call(_job):
        try:
            return release.wait(30) and "late result"
        finally:
            ended.set()

    runner.start("slow", engine_call)
    timer = QDeadlineTimer(100)
    assert runner.stop(timer) is False
    assert timer.hasExpired()
    assert not runner.is_running
    assert seen["finished"] == ["slow"]
    assert runner.start("next", lambda _job: "fresh result")
    release.set()
    assert ended.wait(scaled_s(10))
    qtbot.waitUntil(lambda: not runner.is_running, timeout=scaled_ms(10_000))
    qtbot.wait(scaled_ms(100))  # anything the detached job queued would arrive now
    assert seen["completed"] == [("next", "fresh result")]
    assert seen["finished"] == ["slow", "next"]


def test_a_job_that_checks_cancel_ends_within_the_wait(qtbot):
    runner = JobRunner()
    seen = _recorded(runner)
    started = threading.Event()

    def job(context):
        started.set()
        while True:
            context.cancel.raise_if_cancelled()
            threading.Event().wait(0.01)

    runner.start("polite", job)
    assert started.wait(scaled_s(10))
    assert runner.stop(QDeadlineTimer(scaled_ms(5000))) is True
    assert not runner.is_running
    assert seen["finished"] == ["polite"]
    qtbot.wait(scaled_ms(50))
    assert seen["cancelled"] == []  # the caller that stopped the job does not want its outcome


def test_a_job_runs_nicer_than_the_gui_thread(qtbot):
    """The GUI thread wins the CPU when both want it (the engines' thread pools inherit this; per-thread
    nice values are Linux's, the platform DubStudio is packaged for)."""
    runner = JobRunner()
    seen = _recorded(runner)
    runner.start("nice", lambda _job: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
    qtbot.waitUntil(lambda: bool(seen["completed"]), timeout=scaled_ms(10_000))
    gui = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen["completed"] == [("nice", min(19, gui + JOB_NICENESS))]
