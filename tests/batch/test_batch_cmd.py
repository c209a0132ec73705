"""`dubstudio batch` as a user runs it, on three real clips (two dub, one is a truncated download):
on local worker processes and on a local Ray runtime, with a worker SIGKILLed in the middle of a
job. The good jobs must write what `dubstudio dub` writes, the broken one must be reported with its
reason, and running the command again must do no work.

Real engines throughout (Apertium, Kokoro or espeak-ng, ffmpeg); the clips carry their transcripts
(`--subtitles` in the manifest), so no recogniser loads and the whole module takes a few minutes.
"""

from __future__ import annotations

import csv
import json
import signal
import time
from pathlib import Path

import dubstudio_test_guard as guard
import pytest
from batch_media import (
    BatchInputs,
    assert_no_crash_text,
    assert_same_as_dub,
    dubstudio,
    job_state,
    kill_worker,
    project_mtimes,
    read_state,
    wait_for_worker,
)

from dubstudio.batch.state import BatchState

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX only"),
]
BROKEN_REASON = "is not a media file FFmpeg can read"


def _batch(inputs: BatchInputs, out, *extra: str):
    return dubstudio("batch", "--manifest", inputs.manifest, "--to", "es", "--out", out, *extra)


def _check_batch(inputs: BatchInputs, dubbed, out, stderr: str, returncode: int, killed_job: str) -> None:
    assert returncode == 2, stderr[-3000:]  # a job failed: its reason is printed
    assert_no_crash_text(stderr)
    state = {job["name"]: job for job in read_state(out)["jobs"]}
    assert sorted(state) == ["broken.es", "reader.es", "speech.es"]
    for name, reference in dubbed.items():
        assert state[name]["status"] == "done", state[name]
        assert_same_as_dub(out / name, reference)
    killed = state[killed_job]["attempts"]
    assert [a["outcome"] for a in killed] == ["lost", "done"], killed
    assert "SIGKILL" in killed[0]["reason"] or "died" in killed[0]["reason"]
    broken = state["broken.es"]
    assert broken["status"] == "failed" and len(broken["attempts"]) == 1  # a UserError is not retried
    assert str(inputs.broken) in broken["reason"] and BROKEN_REASON in broken["reason"]
    assert "Get the file again" in broken["reason"]  # the fix is part of the paragraph
    assert f"Failed: broken.es: {inputs.broken}" in " ".join(stderr.split())

    report = json.loads((out / "report.json").read_text())
    rows = {row["name"]: row for row in report["jobs"]}
    assert report["summary"]["done"] == 2 and report["summary"]["failed"] == 1
    assert rows[killed_job]["attempts"] == 2 and rows["broken.es"]["reason"] == broken["reason"]
    for name in dubbed:
        assert {"translation", "synthesis", "export"} <= set(rows[name]["stageSeconds"])
        assert rows[name]["open"] == f"dubstudio open {out / name}"
    with (out / "report.csv").open(encoding="utf-8") as handle:
        table = {row["name"]: row for row in csv.DictReader(handle)}
    assert table["broken.es"]["status"] == "failed" and float(table["speech.es"]["synthesis_s"]) > 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'href="speech.es"' in page and "dubstudio open" in page and BROKEN_REASON in page


def _rerun_does_no_work(inputs: BatchInputs, out, *extra: str) -> None:
    before = project_mtimes(out)
    child = _batch(inputs, out, *extra)
    _stdout, stderr = child.communicate(timeout=120)
    assert child.returncode == 2, stderr  # the broken file is still broken: still reported
    assert "Nothing to do" in stderr and "Running on" not in stderr  # no worker, no Ray runtime
    assert project_mtimes(out) == before


def test_local_batch_matches_dub_and_survives_a_killed_worker(batch_inputs, dubbed, tmp_path):
    out = tmp_path / "batch"
    child = _batch(batch_inputs, out, "--workers", "2")
    kill_worker(child, out, "speech.es", stage="synthesis")
    _stdout, stderr = child.communicate(timeout=600)
    _check_batch(batch_inputs, dubbed, out, stderr, child.returncode, killed_job="speech.es")
    assert "2 local worker processes" in stderr
    assert "Retrying speech.es" in " ".join(stderr.split())
    _rerun_does_no_work(batch_inputs, out, "--workers", "2")


def _ray_processes() -> set[int]:
    """The Ray runtime's own processes (its GCS server and raylets) now on this machine."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if entry.name.isdigit() and (b"gcs_server" in command or b"raylet" in command):
            found.add(int(entry.name))
    return found


#: Ray's dashboard process asks the cloud metadata servers which cloud it runs on
#: (`usage_lib.get_cloud_from_metadata_requests`), even with RAY_USAGE_STATS_ENABLED=0, which the
#: pool sets; the guard still refuses these lookups, and Ray then reports an unknown cloud
RAY_CLOUD_PROBES = "169.254.169.254,metadata.google.internal"


def test_ray_batch_matches_dub_and_survives_a_killed_actor(batch_inputs, dubbed, tmp_path, monkeypatch):
    monkeypatch.setenv(guard.TOLERATE_VARIABLE, RAY_CLOUD_PROBES)
    out = tmp_path / "batch"
    before = _ray_processes()
    child = _batch(batch_inputs, out, "--workers", "2", "--ray")
    kill_worker(child, out, "reader.es", stage="synthesis")
    _stdout, stderr = child.communicate(timeout=600)
    _check_batch(batch_inputs, dubbed, out, stderr, child.returncode, killed_job="reader.es")
    assert "2 Ray actors on a local Ray runtime (1 CPU each)" in stderr
    deadline = time.monotonic() + 10  # the runtime stops with the batch's process
    while _ray_processes() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _ray_processes() - before, "the local Ray runtime outlived the batch"
    _rerun_does_no_work(batch_inputs, out, "--workers", "2", "--ray")


def test_a_job_whose_worker_keeps_dying_fails_and_the_batch_goes_on(batch_inputs, tmp_path):
    """Killed on each of its two tries, the job fails with a reason that says so; the rest finish."""
    out = tmp_path / "batch"
    speech, transcript = batch_inputs.good["speech.es"]
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        f"input,from,subtitles\n{speech},en,{transcript}\n{batch_inputs.broken},en,{transcript}\n",
        encoding="utf-8",
    )
    child = dubstudio(
        "batch", "--manifest", manifest, "--to", "es", "--out", out, "--workers", "1", "--attempts", "2"
    )
    first = kill_worker(child, out, "speech.es", attempt=1)
    second = kill_worker(child, out, "speech.es", attempt=2)
    _stdout, stderr = child.communicate(timeout=300)
    assert child.returncode == 2 and first != second
    assert_no_crash_text(stderr)
    job = job_state(out, "speech.es")
    assert job["status"] == "failed" and [a["outcome"] for a in job["attempts"]] == ["lost", "lost"]
    assert "stopped on each of its 2 tries" in job["reason"] and "SIGKILL" in job["reason"]
    assert "--workers 1" in job["reason"]  # what to try next
    broken = job_state(out, "broken.es")
    assert broken["status"] == "failed" and BROKEN_REASON in broken["reason"]


def test_killing_the_batch_itself_leaves_no_worker_behind(batch_inputs, tmp_path):
    """SIGKILL of `dubstudio batch` (no clean-up runs): its worker stops by itself, and the job it
    had is queued again by the next run."""
    out = tmp_path / "batch"
    speech, transcript = batch_inputs.good["speech.es"]
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"input,from,subtitles\n{speech},en,{transcript}\n", encoding="utf-8")
    child = dubstudio("batch", "--manifest", manifest, "--to", "es", "--out", out, "--workers", "1")
    worker = wait_for_worker(child, out, "speech.es")
    child.kill()
    child.communicate(timeout=60)
    deadline = time.monotonic() + 120
    while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Path(f"/proc/{worker}").exists(), "the worker outlived its batch"
    state = BatchState.load(out)
    assert [job.status for job in state.jobs.values()] == ["running"]
    state.recover()
    assert [job.status for job in state.jobs.values()] == ["pending"]
