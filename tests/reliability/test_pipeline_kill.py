"""SIGKILL a real `dubstudio dub` at moments chosen by what it is doing: the project must always
load, and resume.

The child process runs the real CLI on 8 s of real speech. Each round starts it again on the same
project folder (which resumes the run) and SIGKILLs it right after it was seen making progress: a
save of project.json, or a new file under clips/ or cache/ (the moments a kill can damage
something). Audio extraction, the first thing both schedules do, is not counted: a kill there
restarts the extraction, so its files as triggers would keep every round inside it; the
recognition schedule kills right after it. The folder is then loaded: the load must succeed (never
a damaged project.json), and the stages it records as done may only grow. After the last kill an
uninterrupted run must complete and write the dub. Nothing assumes how fast the machine is: a round
waits for progress, however long it takes (bounded by `suite_timeouts.scaled_s`).

Two schedules: the whole pipeline from imported subtitles (speaker measurement, segmentation,
translation, voice matching, synthesis, validation, export: many saves and cache writes to land
in), and kills inside recognition, the stage a run spends its time in, triggered by its audio
extraction finishing.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf
from badinput import REPO, assert_no_crash, run_dubstudio
from suite_timeouts import scaled_s

from dubstudio.core.media import RECOGNITION_WAV
from dubstudio.core.store import PROJECT_FILE, load_project


def _stages_done(folder: Path) -> int:
    """Loads the project (the assertion of this test) and counts the stages it records as done."""
    if not (folder / PROJECT_FILE).exists():
        assert not (folder / f"{PROJECT_FILE}.bak").exists(), "a backup without project.json"
        return 0
    return len(load_project(folder).diagnostics.stage_keys)


class _Progress:
    """Counts the steps a running dub visibly makes: saves of project.json and new files under
    clips/ and cache/. Calling it polls once and says whether `steps` were seen."""

    def __init__(self, folder: Path, steps: int) -> None:
        self.folder, self.steps, self.seen = folder, steps, 0
        self.last = self._marks()

    def _marks(self) -> tuple[int, int]:
        try:
            saved = (self.folder / PROJECT_FILE).stat().st_mtime_ns
        except FileNotFoundError:
            saved = 0
        parts = [self.folder / name for name in ("clips", "cache")]
        return saved, sum(1 for part in parts for path in part.rglob("*") if path.is_file())

    def __call__(self) -> bool:
        now = self._marks()
        if now != self.last:
            self.seen, self.last = self.seen + 1, now
        return self.seen >= self.steps


def _start(arguments: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dubstudio", *arguments],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def _wait_for(child: subprocess.Popen, ready) -> bool:
    """Poll until `ready()` or the child exits; False when it exited first. Fails after no progress."""
    deadline = time.monotonic() + scaled_s(240)
    while not ready():
        if child.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the dub made no visible progress"
        time.sleep(0.01)
    return True


def _kill(child: subprocess.Popen) -> str:
    if child.poll() is not None:
        outcome = f"finished {child.returncode}"
        assert child.returncode in (0, 1), child.stderr.read() if child.stderr else ""
    else:
        child.send_signal(signal.SIGKILL)
        child.wait()
        outcome = "killed"
    if child.stderr is not None:
        child.stderr.close()
    return outcome


def _kill_rounds(
    arguments: list[str], folder: Path, rounds: int, rng: random.Random
) -> list[tuple[int, str, int]]:
    """Run the child once per round and SIGKILL it after 1–3 observed steps of progress (plus up to
    30 ms); returns (steps waited for, outcome, stages done) per round."""
    log: list[tuple[int, str, int]] = []
    done = 0
    for _ in range(rounds):
        steps = rng.randint(1, 3)
        progressed = _Progress(folder, steps)
        child = _start(arguments)
        if _wait_for(child, progressed):
            time.sleep(rng.uniform(0.0, 0.03))
        outcome = _kill(child)
        now = _stages_done(folder)
        assert now >= done, f"after a kill the project went back from {done} to {now} stages"
        done = now
        log.append((steps, outcome, now))
    return log


def _finish(arguments: list[str], folder: Path) -> None:
    result = run_dubstudio(*arguments, timeout=600)
    assert_no_crash(result)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    project = load_project(folder)
    assert {
        "transcription",
        "segmentation",
        "translation",
        "voiceMatching",
        "synthesis",
        "validation",
    } <= set(project.diagnostics.stage_keys)
    assert sf.info(str(folder / "dub.wav")).duration > 7.5


@pytest.mark.slow
def test_sigkill_during_a_dub_from_subtitles_always_leaves_a_loadable_project(
    tmp_path: Path, speech_video: Path, transcript: Path
) -> None:
    folder = tmp_path / "project"
    arguments = ["dub", str(speech_video), "--to", "es", "--from", "en", "--subtitles", str(transcript)]
    arguments += ["--out", str(folder)]
    started = time.perf_counter()
    log = _kill_rounds(arguments, folder, 4, random.Random(20261122))
    killing = time.perf_counter() - started
    _finish(arguments, folder)
    print(f"{len(log)} rounds in {killing:.0f} s, then a full run; rounds: {log}")
    kills_mid_job = sum(outcome == "killed" and stages > 0 for _steps, outcome, stages in log)
    assert log[0][1] == "killed" and kills_mid_job >= 2, log


@pytest.mark.slow
def test_sigkill_during_recognition_leaves_a_loadable_project(tmp_path: Path, speech_video: Path) -> None:
    """Killed within a second of its audio being extracted, the child is inside recognition (loading
    torch and two models alone takes longer); a kill after the stage finished would not count."""
    folder = tmp_path / "project"
    arguments = ["dub", str(speech_video), "--to", "es", "--out", str(folder)]
    rng = random.Random(7)
    log = []
    for _ in range(3):
        child = _start(arguments)
        extracted = _wait_for(child, (folder / "audio" / RECOGNITION_WAV).is_file)
        delay = rng.uniform(0.0, 1.0)
        if extracted:
            time.sleep(delay)
        outcome = _kill(child)
        stages = load_project(folder).diagnostics.stage_keys
        log.append((round(delay, 2), outcome, sorted(stages)))
    print(f"kills during recognition: {log}")
    assert all(outcome == "killed" and "transcription" not in stages for _d, outcome, stages in log), log
    assert load_project(folder).media is not None
