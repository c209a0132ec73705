"""The batch state file: what a second run skips, what it runs again, and a damaged file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dubstudio.batch.jobs import FileEntry, plan_jobs
from dubstudio.batch.report import write_reports
from dubstudio.batch.state import BACKUP_FILE, STATE_FILE, BatchState
from dubstudio.batch.worker import JobSummary
from dubstudio.core.errors import UserError
from dubstudio.core.store import PROJECT_FILE
from dubstudio.pipeline.dub_job import DubRequest


def _jobs(folder: Path, media: Path, **changes):
    defaults = DubRequest(Path(), Path(), "", source_language="en", **changes)
    return plan_jobs([FileEntry(media)], defaults, ["es"], folder)


def _finish(state: BatchState, folder: Path) -> None:
    """Record every job as done, with the project folder a finished job leaves."""
    for record in state.jobs.values():
        state.start_attempt(record, "pid 1 on test")
        record.status = "done"
        record.project_dir.mkdir(parents=True, exist_ok=True)
        (record.project_dir / PROJECT_FILE).write_text("{}")
    state.save()


@pytest.fixture
def media(tmp_path) -> Path:
    path = tmp_path / "ep01.mp4"
    path.write_bytes(b"not really a video; the state only looks at its size and time")
    return path


def test_a_finished_job_is_skipped_until_something_it_reads_changes(tmp_path, media):
    out = tmp_path / "batch"
    state = BatchState(out)
    (record,) = state.merge(_jobs(out, media))
    assert record.status == "pending"
    _finish(state, out)

    again = BatchState.load(out)
    (same,) = again.merge(_jobs(out, media))
    assert same.status == "done" and not again.pending()

    (changed,) = BatchState.load(out).merge(_jobs(out, media, max_speed=1.1))  # another option
    assert changed.status == "pending"

    stat = media.stat()
    os.utime(media, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # the file was replaced
    (touched,) = BatchState.load(out).merge(_jobs(out, media))
    assert touched.status == "pending" and touched.tries == 0

    state = BatchState.load(out)
    state.merge(_jobs(out, media))
    _finish(state, out)
    (record.project_dir / PROJECT_FILE).unlink()  # the project was deleted
    (gone,) = BatchState.load(out).merge(_jobs(out, media))
    assert gone.status == "pending"


def test_failed_jobs_run_again_only_when_asked_or_changed_and_running_ones_resume(tmp_path, media):
    out = tmp_path / "batch"
    state = BatchState(out)
    (record,) = state.merge(_jobs(out, media))
    state.start_attempt(record, "pid 1 on test")
    record.status, record.reason = "failed", "ep01.mp4: the file is truncated."
    state.save()
    (failed,) = BatchState.load(out).merge(_jobs(out, media))
    assert failed.status == "failed" and failed.reason
    (retried,) = BatchState.load(out).merge(_jobs(out, media), retry_failed=True)
    assert retried.status == "pending" and not retried.reason and retried.tries == 0

    state = BatchState.load(out)
    state.merge(_jobs(out, media), retry_failed=True)
    state.start_attempt(state.pending()[0], "pid 2 on test")
    state.save()  # … and the batch was killed here
    resumed = BatchState.load(out)
    resumed.recover()
    assert [job.status for job in resumed.jobs.values()] == ["pending"]
    assert len(resumed.pending()[0].attempts) == 2  # the history is kept


def test_the_state_is_replaced_atomically_and_a_damaged_one_is_reported(tmp_path, media):
    out = tmp_path / "batch"
    state = BatchState(out)
    state.merge(_jobs(out, media))
    state.save()
    state.save()
    assert json.loads((out / BACKUP_FILE).read_text())["format"] == "dubstudio-batch"
    assert not list(out.glob(".*.tmp"))
    (out / STATE_FILE).write_text('{"format": "dubstudio-batch", "jobs": [{"key": 3}]}')
    with pytest.raises(UserError) as raised:
        BatchState.load(out)
    assert raised.value.path == str(out / STATE_FILE) and BACKUP_FILE in raised.value.fix


def test_reports_list_every_job_with_its_reason_and_link(tmp_path, media):
    out = tmp_path / "batch"
    state = BatchState(out)
    state.merge(_jobs(out, media) + _jobs(out, tmp_path / "<b>odd</b>.mp4"))
    done, failed = state.jobs.values()
    _finish(state, out)
    done.summary = JobSummary(5.5, stage_seconds={"synthesis": 3.25, "export": 1.0}, warnings={"idiom": 2})
    failed.status, failed.reason = "failed", "<b>odd</b>.mp4: the file is empty. Get the file again."
    write_reports(state)
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["done"] == 1 and report["summary"]["failed"] == 1
    assert report["jobs"][0]["stageSeconds"] == {"synthesis": 3.25, "export": 1.0}
    assert report["jobs"][0]["open"] == f"dubstudio open {done.project_dir}"
    csv_text = (out / "report.csv").read_text()
    assert "synthesis_s" in csv_text.splitlines()[0] and "idiom 2" in csv_text
    page = (out / "report.html").read_text()
    assert 'href="ep01.es"' in page and "&lt;b&gt;odd&lt;/b&gt;" in page and "<b>odd</b>" not in page
