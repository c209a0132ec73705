"""The editor's job layer on real projects: a job detached by opening another project never writes
into it, the window shares one engine set, and errors reach the user as a dialog (a bug's report
in the log folder, a user error's clear message: an unknown engine in project.json, a full disk
while writing a take).

The projects are made by the real pipeline (Apertium, espeak-ng) from the call's reference
transcript, so no recogniser loads.
"""

from __future__ import annotations

import resource
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
from gui_driving import ModalCatcher
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from dubstudio.core.progress import ProgressEvent
from dubstudio.core.project import Settings
from dubstudio.core.store import PROJECT_FILE, DiskFullError, load_project, save_project
from dubstudio.engines.espeak import EspeakSynthesizer
from dubstudio.engines.factory import Engines
from dubstudio.pipeline.isolation import run_isolated
from dubstudio.pipeline.orchestrator import Pipeline
from dubstudio.ui.dialogs.error import COPY_REPORT, install_exception_hook
from dubstudio.ui.worker import wait_for_detached_jobs

pytestmark = pytest.mark.gui
JOB_TIMEOUT_MS = 120_000
LANES = ("main", "peaks", "voices", "engines")


@pytest.fixture(scope="module")
def espeak_dub(tmp_path_factory, sample_media, transcript) -> Path:
    """The call dubbed into Spanish by the real pipeline with espeak-ng voices (quick to redo)."""
    folder = tmp_path_factory.mktemp("espeak") / "call.dubstudio"
    settings = Settings(device="cpu", synthesizer="espeak")
    Pipeline.create(
        sample_media, folder, source_language="en", target_language="es", settings=settings,
        subtitles=transcript,
    ).run()  # fmt: skip
    return folder


@pytest.fixture
def dubbed(espeak_dub, tmp_path) -> Path:
    return Path(shutil.copytree(espeak_dub, tmp_path / "a.dubstudio"))


@pytest.fixture
def log_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "logs"
    monkeypatch.setenv("DUBSTUDIO_LOG_DIR", str(folder))
    return folder


def _wait_idle(window, qtbot) -> None:
    qtbot.waitUntil(lambda: not window._project_jobs_timer.isActive(), timeout=JOB_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not any(window.jobs.is_busy(lane) for lane in LANES), timeout=JOB_TIMEOUT_MS)


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# a detached job keeps to its own project


class GatedSynthesizer(EspeakSynthesizer):
    """espeak-ng that, once armed, waits at a gate before speaking (or, with `after`, after
    speaking): it stands for an engine call that does not look at the cancel token (a C extension
    in flight), which no engine here does on demand, or marks the moment in a take's making when
    the disk fills. The take it makes is real."""

    def __init__(self, *, after: bool = False) -> None:
        super().__init__()
        self.after = after
        self.armed, self.entered, self.release = threading.Event(), threading.Event(), threading.Event()

    def synthesize(self, request):
        spoken = super().synthesize(request) if self.after else None
        if self.armed.is_set():  # only the first call after arming waits: the window's other jobs pass
            self.armed.clear()
            self.entered.set()
            self.release.wait(60)
        return spoken if spoken is not None else super().synthesize(request)


@pytest.mark.slow
def test_a_job_detached_by_opening_another_project_never_writes_into_it(
    make_window, qtbot, dubbed, espeak_dub, tmp_path
):
    gated = GatedSynthesizer()
    window = make_window(engines=Engines(Settings(device="cpu", synthesizer="espeak"), synthesizers=[gated]))
    assert window.open_project(dubbed)
    _wait_idle(window, qtbot)
    cue = window.doc.segments[3]
    old_take = cue.clip
    old_stamp = (dubbed / old_take.path).stat().st_mtime_ns
    window.doc.select(cue.id)
    gated.armed.set()
    window.actions_by_key["resynthesize"].trigger()
    assert gated.entered.wait(60), "the re-synthesize job did not reach the engine"

    other = Path(shutil.copytree(espeak_dub, tmp_path / "b.dubstudio"))
    assert window.open_project(other)  # cancels the job; it is inside the engine, so it is detached
    assert window.doc.project_dir == other and not window.doc.busy and not window.jobs.is_running
    _wait_idle(window, qtbot)
    before = _files(other)
    project_file = (other / PROJECT_FILE).read_bytes()

    gated.release.set()  # the engine call returns: the job finishes the stage it was in
    wait_for_detached_jobs()
    qtbot.wait(300)  # anything the detached job queued for the window would arrive now
    assert _files(other) == before
    assert (other / PROJECT_FILE).read_bytes() == project_file
    assert window.undo_stack.count() == 0
    assert window.doc.segment(cue.id).clip == old_take
    redone = load_project(dubbed).segment(cue.id).clip  # the job saved its fresh take in its own project
    assert redone.created >= old_take.created and (dubbed / redone.path).stat().st_mtime_ns > old_stamp


# ---------------------------------------------------------------------------------------------
# errors


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_shows_the_error_dialog_and_writes_a_report(qtbot, log_dir, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    install_exception_hook()

    def broken_slot() -> None:
        {}["missing key"]

    dialogs = ModalCatcher(also=(COPY_REPORT,))
    try:
        QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: bool(dialogs.seen), timeout=10_000)
    finally:
        dialogs.stop()
    shown = dialogs.seen[0]
    assert shown["icon"] == QMessageBox.Icon.Critical
    assert shown["text"] == "Something went wrong inside DubStudio: KeyError: 'missing key'"
    assert "Traceback" not in f"{shown['text']}{shown['info']}"
    assert "Traceback (most recent call last)" in shown["details"] and "broken_slot" in shown["details"]
    assert dialogs.clipboard == shown["details"]
    (log,) = log_dir.glob("crash-*.log")
    assert str(log) in shown["info"]
    assert "broken_slot" in log.read_text() and "KeyError" in log.read_text()


def dividing(*, progress) -> float:
    return 1 / 0


def test_a_child_process_traceback_goes_into_the_details_only(make_window, qtbot, log_dir):
    window = make_window()
    window.quiet_dialogs = False
    dialogs = ModalCatcher()
    try:
        with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
            work = lambda job: run_isolated(dividing, (), progress=job.progress, name="recognition")  # noqa: E731
            window.jobs.start("Recognition", work)
        qtbot.waitUntil(lambda: bool(dialogs.seen), timeout=10_000)
    finally:
        dialogs.stop()
    shown = dialogs.seen[0]
    assert shown["title"] == "Recognition failed"
    assert shown["text"] == (
        "Something went wrong inside DubStudio: ChildProcessFailure: ZeroDivisionError: division by zero "
        "(in the dividing process)"
    )
    assert "Traceback" not in f"{shown['text']}{shown['info']}"
    assert "In the child process:" in shown["details"] and "return 1 / 0" in shown["details"]
    assert list(log_dir.glob("crash-*.log"))


@pytest.mark.slow
def test_a_project_naming_an_unknown_engine_is_a_clear_error(make_window, dubbed, log_dir):
    project = load_project(dubbed)
    project.settings.synthesizer = "festival"
    save_project(dubbed, project)
    window = make_window()
    dialogs = ModalCatcher()
    try:
        assert not window.open_project(dubbed)
    finally:
        dialogs.stop()
    (shown,) = dialogs.seen
    assert shown["icon"] == QMessageBox.Icon.Warning and not shown["details"]
    assert "synthesizer is 'festival'" in shown["text"]
    assert str(dubbed / PROJECT_FILE) in shown["info"] and "kokoro, coqui, espeak" in shown["info"]
    assert not window.doc.is_open
    assert not list(log_dir.glob("*"))  # a user error is not a crash


@pytest.mark.slow
def test_a_disk_filling_up_while_writing_a_take_is_a_clear_error(make_window, qtbot, dubbed, log_dir):
    """A file-size limit is the unprivileged way to make writes fail like on a full disk (see
    tests/reliability: EFBIG, like ENOSPC). It is set once espeak-ng has spoken (the program itself
    needs a large shared-memory file for its audio set-up) and before the take is written."""
    gated = GatedSynthesizer(after=True)
    window = make_window(engines=Engines(Settings(device="cpu", synthesizer="espeak"), synthesizers=[gated]))
    assert window.open_project(dubbed)
    _wait_idle(window, qtbot)  # the engines and the voice catalog are loaded before the limit
    cue = max(window.doc.segments, key=lambda s: (dubbed / s.clip.path).stat().st_size)
    take_bytes = (dubbed / cue.clip.path).stat().st_size
    window.doc.select(cue.id)
    window.quiet_dialogs = False
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    dialogs = ModalCatcher()
    try:
        gated.armed.set()
        with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
            window.actions_by_key["resynthesize"].trigger()
            assert gated.entered.wait(60)
            resource.setrlimit(resource.RLIMIT_FSIZE, (take_bytes // 2, hard))
            gated.release.set()
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        qtbot.waitUntil(lambda: bool(dialogs.seen), timeout=10_000)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        dialogs.stop()
    (shown,) = dialogs.seen
    assert isinstance(window.jobs.last_failure.error, DiskFullError)
    assert shown["icon"] == QMessageBox.Icon.Warning and not shown["details"]
    assert shown["text"].startswith("Not enough disk space to write") and shown["text"].endswith(".wav.")
    assert str(dubbed / "clips") in shown["info"] and "Free some disk space" in shown["info"]
    assert not list((dubbed / "clips").glob("*/.*.tmp")), "the partial take must be removed"
    assert window.doc.segment(cue.id).clip == cue.clip and not window.doc.busy
    assert not list(log_dir.glob("*"))  # a user error is not a crash


def child_pid(*, progress) -> int:
    import os

    return os.getpid()


def test_the_recognition_process_lives_between_jobs_and_ends_with_the_window(make_window, qtbot):
    window = make_window()
    pids = []
    for _ in range(2):
        work = lambda job: window.session.recognition_process().call(child_pid, (), progress=job.progress)  # noqa: E731
        with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
            window.jobs.start("Recognition", work, on_done=pids.append)
    child = window.session.recognition_process()
    assert pids[0] == pids[1] and child.alive  # one process served both jobs
    window.doc.set_dirty(False)
    assert window.close()
    assert not child.alive


# ---------------------------------------------------------------------------------------------
# a first run's one-time steps show their progress


def test_a_background_jobs_progress_shows_in_the_status_bar_between_main_jobs(make_window, qtbot):
    """The engine warm-up passes its progress on (a first run's voice measurement, seconds per
    voice; tests/engines/test_voices.py checks the measurement reports it): the window's status bar
    shows it without Cancel, moving, hides it when the job ends, and a main job takes it over."""
    window = make_window()
    status, shown = window.job_status, []
    release = threading.Event()

    def seen(_stage: str, _fraction: float, _message: str) -> None:  # after JobStatus's own slot
        shown.append((status.label.text(), status.bar.text(), status.bar.isVisible(),
                      status.cancel_button.isVisible()))  # fmt: skip

    def warm_up(job) -> None:  # the steps `EngineSession.warm` reports on a first run
        for index in range(3):
            job.progress(ProgressEvent("voiceMatching", index / 3, f"checking native voice {index + 1} of 3"))
            time.sleep(0.2)  # longer than the worker's progress throttle
        release.wait(JOB_TIMEOUT_MS / 1000)

    window.jobs.background_progress.connect(seen)
    window.jobs.start_background("engines", warm_up)
    qtbot.waitUntil(lambda: len(shown) == 3, timeout=JOB_TIMEOUT_MS)
    assert {(label, visible, cancel) for label, _bar, visible, cancel in shown} == {
        ("Matching voices", True, False)
    }
    assert [bar for _label, bar, *_ in shown] == [
        "checking native voice 1 of 3  0%", "checking native voice 2 of 3  33%",
        "checking native voice 3 of 3  67%",
    ]  # fmt: skip
    with qtbot.waitSignal(window.jobs.finished, timeout=JOB_TIMEOUT_MS):
        window.jobs.start("Export", lambda job: job.progress(ProgressEvent("export", 0.5, "mixing")))
    assert not status.bar.isVisible()  # the main job's end hides the bar; the warm-up is still on
    release.set()
    qtbot.waitUntil(lambda: not window.jobs.is_busy("engines"), timeout=JOB_TIMEOUT_MS)
    assert not status.bar.isVisible() and not status.label.isVisible()
