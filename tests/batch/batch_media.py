"""Real inputs for the batch tests: two short real-speech videos with their transcripts (so no
recogniser loads) and one broken video, listed in a manifest; and the checks that compare a batch
job's folder with what `dubstudio dub` wrote for the same file.

Imported by the tests in this folder and by tests/ui/test_batch_window.py (pytest's prepend import
mode puts this folder on sys.path for the former; the latter inserts it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
from badinput import CRASH_MARKERS, DATA, REPO, ffmpeg, jfk_srt, speech_mp4, truncated_copy

from dubstudio.core.media import load_wav
from dubstudio.core.store import load_project

READER_SRT = """1
00:00:00,200 --> 00:00:06,900
And Mister John Dashwood had then leisure to consider how much he could do for them.
"""
#: the files every dub writes, compared byte for byte with `dubstudio dub`'s
SUBTITLE_FILES = (
    "source.srt",
    "target.srt",
    "exports/source.vtt",
    "exports/target.vtt",
    "exports/target.ass",
)


@dataclass
class BatchInputs:
    folder: Path
    manifest: Path
    #: job name -> (media, transcript) of the clips that dub
    good: dict[str, tuple[Path, Path]]
    broken: Path


def make_batch_inputs(folder: Path) -> BatchInputs:
    folder.mkdir(parents=True, exist_ok=True)
    speech = speech_mp4(folder / "speech.mp4")  # JFK, 8 s, two cues
    speech_srt = jfk_srt(folder / "speech.srt")
    reader = folder / "reader.mp4"  # a LibriVox reader, 7 s, one cue
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=7",
        "-i", str(DATA / "en_librivox_sas_0870.wav"), "-t", "7", "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(reader),
    )  # fmt: skip
    reader_srt = folder / "reader.srt"
    reader_srt.write_text(READER_SRT, encoding="utf-8")
    broken = truncated_copy(speech, folder / "broken.mp4", 0.4)  # an interrupted download
    manifest = folder / "manifest.csv"
    manifest.write_text(
        "input,from,subtitles\nspeech.mp4,en,speech.srt\nreader.mp4,en,reader.srt\nbroken.mp4,en,speech.srt\n",
        encoding="utf-8",
    )
    return BatchInputs(
        folder,
        manifest,
        {"speech.es": (speech, speech_srt), "reader.es": (reader, reader_srt)},
        broken,
    )


def dubstudio(*arguments: str | Path) -> subprocess.Popen[str]:
    """`python -m dubstudio ARGS` started as a user starts it (wait with `.communicate()`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "dubstudio", *map(str, arguments)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def read_state(folder: Path) -> dict:
    path = folder / "batch.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"jobs": []}


def job_state(folder: Path, name: str) -> dict:
    return next(job for job in read_state(folder)["jobs"] if job["name"] == name)


def wait_for_worker(
    batch: subprocess.Popen[str],
    folder: Path,
    name: str,
    *,
    attempt: int = 1,
    stage: str = "",
    timeout: float = 300,
) -> int:
    """The pid of the worker process running job `name`'s `attempt`-th try (once in `stage`, when
    given), read from the batch state file as it is written by the `batch` process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if batch.poll() is not None:
            _stdout, stderr = batch.communicate()
            raise AssertionError(
                f"the batch ended (exit code {batch.returncode}) before {name} ran try {attempt}"
                f"{f' in {stage}' if stage else ''}: {read_state(folder)}\n{stderr[-3000:]}"
            )
        job = next((j for j in read_state(folder)["jobs"] if j["name"] == name), None)
        if job and job["status"] == "running" and len(job["attempts"]) == attempt:
            worker = job["attempts"][-1]["worker"]  # "pid 1234 on host"
            if " on " in worker and (not stage or job["stage"] == stage):
                return int(worker.split()[1])
        time.sleep(0.05)
    raise AssertionError(
        f"{name} never ran try {attempt} {f'in {stage} ' if stage else ''}within {timeout} s"
    )


def kill_worker(batch: subprocess.Popen[str], folder: Path, name: str, **when: Any) -> int:
    """SIGKILL the worker running job `name` (what the kernel's OOM killer or a lost node does),
    once `wait_for_worker` with the options `when` found it."""
    pid = wait_for_worker(batch, folder, name, **when)
    os.kill(pid, signal.SIGKILL)
    return pid


def cues(folder: Path) -> list[tuple]:
    """What a project says about every cue (ids are random, so not compared)."""
    project = load_project(folder)
    return [
        (
            s.start,
            s.end,
            s.speaker_id,
            s.original_text,
            s.translated_text,
            s.tts_text,
            s.voice_id,
            s.clip.duration if s.clip else None,
        )
        for s in project.segments
    ]


def assert_no_crash_text(stderr: str) -> None:
    leaked = [marker for marker in CRASH_MARKERS if marker in stderr]
    assert not leaked, f"{leaked} leaked to the user:\n{stderr[-3000:]}"


def assert_same_as_dub(job_dir: Path, dub_dir: Path) -> None:
    """A batch job's folder holds what `dubstudio dub` wrote for the same file and options."""
    for name in SUBTITLE_FILES:
        assert (job_dir / name).read_bytes() == (dub_dir / name).read_bytes(), name
    assert cues(job_dir) == cues(dub_dir)
    for name in ("dub.wav", "mix.wav"):
        ours, rate = load_wav(job_dir / name)
        theirs, their_rate = load_wav(dub_dir / name)
        assert (len(ours), rate) == (len(theirs), their_rate), name
    videos = sorted(p.name for p in job_dir.glob("*.dubbed.*"))
    assert videos and videos == sorted(p.name for p in dub_dir.glob("*.dubbed.*"))
    assert _duration(job_dir / videos[0]) == _duration(dub_dir / videos[0])


def _duration(path: Path) -> float:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return round(float(probe.stdout), 2)


def project_mtimes(folder: Path) -> dict[str, int]:
    """Every file under the job folders of a batch, with its modification time."""
    return {
        str(path.relative_to(folder)): path.stat().st_mtime_ns
        for job in folder.iterdir()
        if job.is_dir()
        for path in job.rglob("*")
        if path.is_file()
    }
