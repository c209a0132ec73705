"""The batch state file, `DIR/batch.json`: every job of the batch and how far it got.

It is what makes a batch resumable. Running the batch again reads it: a finished job whose inputs
and options are unchanged (and whose project is still there) is skipped; a job that was running
when the batch stopped, or was cancelled, runs again and resumes from its project's stage cache;
a job that failed runs again only when its input files or options changed, or when asked to.
The file is replaced atomically after every change of a job's state (the previous one is kept as
`batch.json.bak`), so killing the batch at any moment leaves a readable state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dubstudio.batch.jobs import (
    JobSpec,
    input_fingerprint,
    request_digest,
    request_from_dict,
    request_to_dict,
)
from dubstudio.batch.worker import JobSummary
from dubstudio.core.errors import UserError
from dubstudio.core.project import now_iso
from dubstudio.core.schema import SchemaError, from_dict, to_dict
from dubstudio.core.store import PROJECT_FILE, atomic_write_bytes
from dubstudio.pipeline.dub_job import DubRequest

STATE_FILE = "batch.json"
BACKUP_FILE = "batch.json.bak"
FORMAT = "dubstudio-batch"
VERSION = 1
Status = Literal["pending", "running", "done", "failed", "cancelled"]
#: statuses a new run starts again
UNFINISHED = ("pending", "running", "cancelled")


@dataclass
class Attempt:
    """One try at a job, by one worker."""

    number: int
    worker: str
    started_at: str
    outcome: str = ""  # "done", "failed", "lost" (the worker died), "cancelled"; "" while running
    reason: str = ""


@dataclass
class JobRecord:
    key: str
    name: str
    request: dict[str, Any]
    request_digest: str
    input_fingerprint: list[Any]
    status: Status = "pending"
    #: the stage running now (while running), or the last one reached
    stage: str = ""
    #: attempts since the job was last (re)queued: what the retry limit counts
    tries: int = 0
    attempts: list[Attempt] = field(default_factory=list)
    #: why the job failed: one paragraph (the problem, the file and the fix)
    reason: str = ""
    #: what the try that finished the job did
    summary: JobSummary = field(default_factory=JobSummary)
    finished_at: str = ""

    @property
    def dub_request(self) -> DubRequest:
        return request_from_dict(self.request)

    @property
    def project_dir(self) -> Path:
        return Path(self.request["out"])

    @property
    def media(self) -> Path:
        return Path(self.request["media"])

    @property
    def language(self) -> str:
        return str(self.request["target_language"])

    @property
    def worker(self) -> str:
        return self.attempts[-1].worker if self.attempts else ""


@dataclass
class _Document:
    format: str = FORMAT
    version: int = VERSION
    jobs: list[JobRecord] = field(default_factory=list)


class BatchState:
    """The jobs of the batch folder `folder`, in queue order, keyed by `JobSpec.key`."""

    def __init__(self, folder: Path, jobs: list[JobRecord] | None = None) -> None:
        self.folder = Path(folder)
        self.jobs: dict[str, JobRecord] = {job.key: job for job in jobs or []}

    @property
    def path(self) -> Path:
        return self.folder / STATE_FILE

    @classmethod
    def load(cls, folder: Path) -> BatchState:
        """The state in `folder` (empty when there is none yet); a damaged file is a UserError."""
        path = Path(folder) / STATE_FILE
        if not path.is_file():
            return cls(folder)
        try:
            document = from_dict(_Document, json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, SchemaError) as error:
            raise UserError(
                f"the batch state file is damaged ({error})",
                path=path,
                fix=f"Replace it with {BACKUP_FILE} from the same folder, or delete it: the projects keep "
                "their stage caches, so running the batch again redoes little.",
            ) from None
        if document.format != FORMAT or document.version > VERSION:
            raise UserError(
                "the batch state file was written by another program or a newer DubStudio",
                path=path,
                fix="Use a newer DubStudio, or choose another output folder.",
            )
        return cls(folder, document.jobs)

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = json.dumps(to_dict(_Document(jobs=list(self.jobs.values()))), indent=1, ensure_ascii=False)
        atomic_write_bytes(self.path, data.encode("utf-8"), backup=self.folder / BACKUP_FILE)

    def names(self) -> dict[str, str]:
        return {key: job.name for key, job in self.jobs.items()}

    def merge(self, specs: list[JobSpec], *, retry_failed: bool = False) -> list[JobRecord]:
        """Add these jobs (or update those already in the batch); returns their records.

        A job whose request or input files changed, whose project went missing, or that was left
        unfinished is queued again; see the module docstring."""
        records = []
        for spec in specs:
            digest, fingerprint = request_digest(spec.request), input_fingerprint(spec.request)
            record = self.jobs.get(spec.key)
            if record is None:
                record = JobRecord(spec.key, spec.name, request_to_dict(spec.request), digest, fingerprint)
                self.jobs[spec.key] = record
            changed = record.request_digest != digest or record.input_fingerprint != fingerprint
            record.request, record.request_digest, record.input_fingerprint = (
                request_to_dict(spec.request),
                digest,
                fingerprint,
            )
            if record.status == "done" and not (record.project_dir / PROJECT_FILE).is_file():
                changed = True
            if changed or record.status in UNFINISHED or (record.status == "failed" and retry_failed):
                self.requeue(record)
            records.append(record)
        return records

    def recover(self) -> None:
        """Jobs recorded as running when their batch stopped (killed, power cut) are queued again."""
        for record in self.jobs.values():
            if record.status in ("running", "cancelled"):
                self.requeue(record)

    @staticmethod
    def requeue(record: JobRecord) -> None:
        if record.status != "pending":
            record.tries = 0
        record.status, record.reason, record.stage = "pending", "", ""

    def pending(self) -> list[JobRecord]:
        return [job for job in self.jobs.values() if job.status == "pending"]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("pending", "running", "done", "failed", "cancelled"), 0)
        for job in self.jobs.values():
            counts[job.status] += 1
        return counts

    def start_attempt(self, record: JobRecord, worker: str) -> Attempt:
        record.tries += 1
        attempt = Attempt(len(record.attempts) + 1, worker, now_iso())
        record.attempts.append(attempt)
        record.status, record.reason, record.stage = "running", "", ""
        return attempt
