"""SIGKILL a real `dubstudio dub` at random moments: the project must always load, and resume.

The child process runs the real CLI on 8 s of real speech. Each round starts it again on the same
project folder (which resumes the run), SIGKILLs it after a random delay, and loads the folder:
the load must succeed (never a damaged project.json), and the stages it records as done may only
grow. After the last kill an uninterrupted run must complete and write the dub.

Two schedules: the whole pipeline from imported subtitles (segmentation, translation, voice
matching, synthesis, validation, export: many saves and cache writes to land in), and a few kills
inside recognition, whose model loading and one long stage are where a run spends its time.
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

from dubstudio.core.store import PROJECT_FILE, load_project


def _stages_done(folder: Path) -> int:
    """Loads the project (the assertion of this test) and counts the stages it records as done."""
    if not (folder / PROJECT_FILE).exists():
        assert not (folder / f"{PROJECT_FILE}.bak").exists(), "a backup without project.json"
        return 0
    return len(load_project(folder).diagnostics.stage_keys)


def _kill_rounds(
    arguments: list[str], folder: Path, delays: list[float]
) -> tuple[list[tuple[float, str, int]], int]:
    """Run and SIGKILL the child once per delay; returns (delay, outcome, stages done) per round."""
    log: list[tuple[float, str, int]] = []
    done = 0
    for delay in delays:
        child = subprocess.Popen(
            [sys.executable, "-m", "dubstudio", *arguments],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        try:
            child.wait(timeout=delay)
            outcome = f"finished {child.returncode}"
            assert child.returncode in (0, 1), child.stderr.read() if child.stderr else ""
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait()
            outcome = "killed"
        if child.stderr is not None:
            child.stderr.close()
        now = _stages_done(folder)
        assert now >= done, f"after a kill at {delay:.1f} s the project went back from {done} to {now} stages"
        done = now
        log.append((delay, outcome, now))
    return log, done


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
    rng = random.Random(20261122)
    # Short rounds: each one resumes the last, so on a fast machine the job completes after a few kills
    # and the later rounds merely finish; the first rounds always kill (start-up alone takes seconds).
    delays = sorted(rng.uniform(0.8, 6.0) for _ in range(12))
    started = time.perf_counter()
    log, _done = _kill_rounds(arguments, folder, delays)
    killing = time.perf_counter() - started
    _finish(arguments, folder)
    kills = sum(outcome == "killed" for _d, outcome, _n in log)
    print(f"{kills} kills in {killing:.0f} s, then a full run; rounds: {log}")
    kills_mid_job = sum(outcome == "killed" and stages > 0 for _d, outcome, stages in log)
    assert kills >= 4 and kills_mid_job >= 2, log


@pytest.mark.slow
def test_sigkill_during_recognition_leaves_a_loadable_project(tmp_path: Path, speech_video: Path) -> None:
    folder = tmp_path / "project"
    arguments = ["dub", str(speech_video), "--to", "es", "--out", str(folder)]
    rng = random.Random(7)
    delays = sorted(rng.uniform(2.0, 20.0) for _ in range(3))
    log, _done = _kill_rounds(arguments, folder, delays)
    print(f"kills during recognition: {log}")
    assert all(outcome == "killed" for _d, outcome, _n in log), log
    assert load_project(folder).media is not None
