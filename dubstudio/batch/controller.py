"""The batch queue: hands pending jobs to a worker pool, records every change in the state file,
retries jobs whose worker was lost, and tells its subscribers (the CLI's live display, the
editor's Batch window) what happens. Plain Python: the window runs `run()` on a thread and turns
the events into queued signals.

Retries. A job whose worker dies mid-job (process killed, out of memory, Ray node lost) or that
failed unexpectedly is queued again at the front, up to `max_attempts` tries in all; it resumes
from its project's stage cache. A job that keeps failing is marked failed with its reason, and the
batch goes on: one file never stops the others. A UserError (bad input, missing model) is not
retried: it would fail the same way.

Pause stops handing out jobs (running ones finish; the workers keep their models for `run()`
again); cancel also cancels the running jobs (they stop at their next step and stay resumable),
and a worker that does not stop within `CANCEL_WAIT_S` is shut down.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dubstudio.batch.jobs import JobSpec
from dubstudio.batch.pools import PoolEvent, WorkerPool
from dubstudio.batch.report import write_reports
from dubstudio.batch.state import BatchState, JobRecord
from dubstudio.batch.worker import JobResult
from dubstudio.core.project import now_iso
from dubstudio.pipeline.dub_job import JOB_STAGES

DEFAULT_MAX_ATTEMPTS = 3
POLL_S = 0.2
CANCEL_WAIT_S = 10.0

PoolFactory = Callable[[], WorkerPool]


@dataclass
class BatchEvent:
    """kind: "queued", "started", "progress", "retry", "done", "failed", "cancelled" (one job), or
    "pool" (workers ready; `message` says which), "finished" (the run ended)."""

    kind: str
    job: JobRecord | None = None
    message: str = ""


@dataclass
class LiveProgress:
    """A running job's progress (not persisted)."""

    stage: str = ""
    fraction: float = 0.0
    message: str = ""

    @property
    def overall(self) -> float:
        """0–1 over the whole job."""
        index = JOB_STAGES.index(self.stage) if self.stage in JOB_STAGES else 0
        return min(1.0, (index + self.fraction) / len(JOB_STAGES))


@dataclass
class RunStats:
    """This run's numbers (jobs skipped as already done are not in them)."""

    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    finished_jobs: int = 0
    job_seconds: float = 0.0
    media_seconds: float = 0.0

    @property
    def wall_seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started


class BatchController:
    def __init__(
        self, folder: Path, pool_factory: PoolFactory, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ) -> None:
        self.folder = Path(folder)
        self.pool_factory = pool_factory
        self.max_attempts = max(1, max_attempts)
        self.state = BatchState.load(self.folder)
        self.state.recover()
        self.pool: WorkerPool | None = None
        #: what ran the jobs ("2 local worker processes (1 thread each)"), once a pool started
        self.pool_description = ""
        self.live: dict[str, LiveProgress] = {}
        self.stats = RunStats()
        self._tickets: dict[str, str] = {}  # job key -> ticket of its running attempt
        self._queue: deque[str] = deque(job.key for job in self.state.pending())
        self._subscribers: list[Callable[[BatchEvent], None]] = []
        self._lock = threading.RLock()
        self._paused = threading.Event()
        self._cancelled = threading.Event()

    # ---- the queue ------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[BatchEvent], None]) -> None:
        self._subscribers.append(callback)

    def _emit(self, kind: str, job: JobRecord | None = None, message: str = "") -> None:
        event = BatchEvent(kind, job, message)
        for callback in list(self._subscribers):
            callback(event)

    def add(self, specs: list[JobSpec], *, retry_failed: bool = False) -> list[JobRecord]:
        """Put these jobs in the batch (any time, also while it runs); returns their records."""
        with self._lock:
            idle = [spec for spec in specs if spec.key not in self._tickets]  # running ones stay as they are
            records = self.state.merge(idle, retry_failed=retry_failed)
            records += [self.state.jobs[spec.key] for spec in specs if spec.key in self._tickets]
            for record in records:
                if record.status == "pending" and record.key not in self._queue:
                    self._queue.append(record.key)
                    self._emit("queued", record)
            self.state.save()
            write_reports(self.state)
        return records

    @property
    def jobs(self) -> list[JobRecord]:
        return list(self.state.jobs.values())

    @property
    def running(self) -> list[JobRecord]:
        return [self.state.jobs[key] for key in self._tickets]

    @property
    def has_work(self) -> bool:
        return bool(self._queue) or bool(self._tickets)

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def pause(self) -> None:
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()
        self._cancelled.clear()

    def cancel(self) -> None:
        """Stop the batch: nothing more starts and the running jobs are cancelled."""
        self._cancelled.set()

    # ---- running --------------------------------------------------------------------------------
    def run(self) -> RunStats:
        """Run until no job is left, or until paused or cancelled and the running jobs ended."""
        self._cancelled.clear()
        self.stats = RunStats()
        try:
            while True:
                if self._cancelled.is_set():
                    self._cancel_running()
                    break
                stopping = self._paused.is_set()
                if not stopping:
                    self._dispatch()
                if not self._tickets and (stopping or not self._queue):
                    break
                self._handle(self.pool.poll(POLL_S) if self.pool is not None else [])
        except KeyboardInterrupt:
            self._cancel_running()
            raise
        finally:
            self.stats.ended = time.monotonic()
            with self._lock:
                self.state.save()
                write_reports(self.state)
            self._emit("finished")
        return self.stats

    def close(self) -> None:
        """Stop the workers (their models are unloaded)."""
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def _dispatch(self) -> None:
        if self._queue and self.pool is None:  # outside the lock: starting Ray takes seconds
            self.pool = self.pool_factory()
            self.pool_description = self.pool.description
            self._emit("pool", message=self.pool.description)
        with self._lock:
            while self._queue and self.pool is not None and self.pool.idle() > 0:
                record = self.state.jobs[self._queue.popleft()]
                if record.status not in ("pending", "cancelled"):
                    continue
                self._tickets[record.key] = self.pool.submit(record.key, record.name, record.dub_request)
                self.state.start_attempt(record, worker="")
                self.live[record.key] = LiveProgress(message="waiting for a worker")
                self.state.save()
                self._emit("started", record)

    def _handle(self, events: list[PoolEvent]) -> None:
        with self._lock:
            for event in events:
                if self._tickets.get(event.key) != event.ticket:
                    continue
                record = self.state.jobs[event.key]
                if event.kind == "started":
                    record.attempts[-1].worker = event.worker
                    self.live[event.key].message = ""
                    self.state.save()
                    self._emit("progress", record)
                elif event.kind == "progress":
                    live = self.live[event.key]
                    live.stage, live.fraction, live.message = event.stage, event.fraction, event.message
                    if record.stage != event.stage:
                        record.stage = event.stage
                        self.state.save()
                    self._emit("progress", record)
                elif event.kind == "result" and event.result is not None:
                    self._finish(record, event.result)
                elif event.kind == "lost":
                    self._retry_or_fail(record, "lost", event.message)

    def _finish(self, record: JobRecord, result: JobResult) -> None:
        self._tickets.pop(record.key, None)
        self.live.pop(record.key, None)
        attempt = record.attempts[-1]
        attempt.outcome, attempt.reason = result.status, result.reason
        if result.status == "failed" and result.retryable:
            self._retry_or_fail(record, "failed", result.reason, ended=True)
            return
        record.status, record.reason = result.status, result.reason
        if result.status == "done":
            record.summary, record.stage, record.finished_at = result.summary, "", now_iso()
            self.stats.finished_jobs += 1
            self.stats.job_seconds += result.summary.elapsed
            self.stats.media_seconds += result.summary.media_seconds
        elif result.status == "failed":
            record.finished_at = now_iso()
        else:
            record.tries -= 1  # a cancelled try does not count against the retries
        self._record_change(record, result.status)

    def _retry_or_fail(self, record: JobRecord, outcome: str, reason: str, *, ended: bool = False) -> None:
        """After a lost worker or an unexpected error: the job again (at the front), or failed for good."""
        self._tickets.pop(record.key, None)
        self.live.pop(record.key, None)
        if not ended:
            record.attempts[-1].outcome, record.attempts[-1].reason = outcome, reason
        if self._cancelled.is_set():  # lost while cancelling: the job simply did not finish
            record.status, record.tries = "cancelled", record.tries - 1
            self._record_change(record, "cancelled")
            return
        if record.tries < self.max_attempts:
            record.status, record.reason = "pending", ""
            self._queue.appendleft(record.key)
            self._record_change(record, "retry", f"try {record.tries + 1} of {self.max_attempts}: {reason}")
            return
        record.status, record.finished_at = "failed", now_iso()
        if outcome == "lost":
            record.reason = (
                f"The worker dubbing {record.media.name} stopped on each of its {record.tries} tries (last: "
                f"{reason}). The file may need more memory than a worker has, or crash an engine: run the "
                f"batch again with fewer workers (--workers 1), or dub it alone with 'dubstudio dub' to see "
                "the error."
            )
        else:
            record.reason = f"{reason} (failed on each of {record.tries} tries)"
        self._record_change(record, "failed")

    def _record_change(self, record: JobRecord, kind: str, message: str = "") -> None:
        self.state.save()
        write_reports(self.state)
        self._emit(kind, record, message)

    def _cancel_running(self) -> None:
        """Cancel the running jobs and wait for them to stop; the slow ones go with their workers."""
        if self.pool is None:
            return
        with self._lock:
            for ticket in self._tickets.values():
                self.pool.cancel(ticket)
        deadline = time.monotonic() + CANCEL_WAIT_S
        while self._tickets and time.monotonic() < deadline:
            self._handle(self.pool.poll(POLL_S))
        with self._lock:
            if self._tickets:
                self.close()
                for key in list(self._tickets):
                    record = self.state.jobs[key]
                    record.attempts[-1].outcome = "cancelled"
                    self._finish(record, JobResult("cancelled", "cancelled"))
            cancelled = [
                r.key
                for r in self.state.jobs.values()
                if r.status == "cancelled" and r.key not in self._queue
            ]
            self._queue.extendleft(reversed(cancelled))  # first again on the next `run()`

    # ---- numbers ---------------------------------------------------------------------------------
    def eta_seconds(self) -> float | None:
        """Seconds until the queue is done at this run's pace (None before a job finished)."""
        pool = self.pool
        if not self.stats.finished_jobs or pool is None:
            return None
        per_job = self.stats.job_seconds / self.stats.finished_jobs
        with self._lock:  # the run's thread changes `live`
            remaining = len(self._queue) + sum(1 - live.overall for live in self.live.values())
        return remaining * per_job / max(1, pool.size)


def format_duration(seconds: float) -> str:
    """ "45 s", "12 min", "3.5 h"."""
    whole = round(seconds)
    if whole < 90:
        return f"{whole} s"
    if whole < 5400:
        return f"{round(whole / 60)} min"
    return f"{whole / 3600:.1f} h"
