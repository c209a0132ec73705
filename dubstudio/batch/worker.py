"""What a batch worker does with one job, wherever it runs (a local worker process or a Ray actor).

A worker lives for the whole batch and takes one job after another. Loading the recogniser and the
voices takes seconds, so it keeps its engines: `EngineCache` hands every job the engine set built
for the first job with the same engine settings (`engines.factory.engine_key`).

`execute_job` never raises: a UserError (bad input, missing model) ends the job as failed with its
one-paragraph message, which would be the same on another try; anything else (a bug, an engine
that crashed) is failed too, but retryable, with its traceback in `DIR/logs/<job>.log`.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dubstudio.core.errors import Cancelled, UserError
from dubstudio.core.progress import CancelToken, ProgressEvent
from dubstudio.core.project import Settings, now_iso
from dubstudio.pipeline.dub_job import JOB_STAGES, DubRequest, run_dub

if TYPE_CHECKING:
    from dubstudio.engines.factory import Engines

#: the Settings fields that decide which engines are built and how (equal for two settings → the
#: same engines serve both)
#: engine sets a worker keeps (a batch mixing a few engine settings does not reload for each job)
KEPT_ENGINE_SETS = 2
#: the shortest interval between two progress reports of one stage (stage changes always go)
PROGRESS_INTERVAL_S = 0.25
LOG_DIR = "logs"
#: environment variables that size the thread pools of the engines' native libraries
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

#: (stage, fraction, message) from a running job
StageReport = Callable[[str, float, str], None]


@dataclass
class JobSummary:
    """What a job did: the numbers of the report (a failed try has its time only)."""

    #: wall-clock seconds of the try
    elapsed: float = 0.0
    media_seconds: float = 0.0
    cues: int = 0
    speakers: int = 0
    #: the project was already there (a retry, a cancelled job started again)
    resumed: bool = False
    #: the worker built a new engine set for this job (False: it reused the one an earlier job loaded)
    engines_loaded: bool = False
    stage_seconds: dict[str, float] = field(default_factory=dict)
    #: validation findings by code: to review, and (errors) breaking the dubbing contract
    warnings: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    #: the exports by kind ("target.srt", "video", …)
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class JobResult:
    """The outcome of one try at a job; plain data, sent back from the worker."""

    status: Literal["done", "failed", "cancelled"]
    reason: str = ""
    #: worth another try (an unexpected error; a UserError would fail the same way again)
    retryable: bool = False
    summary: JobSummary = field(default_factory=JobSummary)


class EngineCache:
    """The engine sets of one worker, by engine settings; the least recently used one is dropped."""

    def __init__(self, keep: int = KEPT_ENGINE_SETS) -> None:
        self.keep = keep
        self._sets: OrderedDict[tuple[str, ...], Engines] = OrderedDict()
        #: how many engine sets were built (1 for a batch whose jobs share their engine settings)
        self.built = 0

    def __call__(self, settings: Settings) -> Engines:
        from dubstudio.engines.factory import Engines, engine_key

        key = engine_key(settings)
        if key not in self._sets:
            self._sets[key] = Engines(settings)
            self.built += 1
            while len(self._sets) > self.keep:
                self._sets.popitem(last=False)
        self._sets.move_to_end(key)
        return self._sets[key]


def worker_label() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


def limit_threads(threads: int) -> None:
    """Size the engines' thread pools for a worker that shares the machine with others. Called
    before any engine loads (the native libraries read these once; `engines.device.cpu_threads`
    reads OMP_NUM_THREADS for the pools DubStudio sizes itself)."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(max(1, threads))


class _Throttled:
    """Forwards a job's progress in its own stages (`JOB_STAGES`), at most every
    `PROGRESS_INTERVAL_S` within one.

    The mouth analysis beside the pipeline reports under a name of its own: forwarded, it made a
    running job's stage flicker between it and the real one, and the job's bar jump back to 0 (a job
    whose one cue took 9 s to speak showed "mouths" for nearly all of those 9 s)."""

    def __init__(self, report: StageReport) -> None:
        self.report = report
        self.stage = ""
        self.last = 0.0

    def __call__(self, event: ProgressEvent) -> None:
        if event.stage not in JOB_STAGES:
            return
        now = time.monotonic()
        if event.stage != self.stage or event.fraction >= 1.0 or now - self.last >= PROGRESS_INTERVAL_S:
            self.stage, self.last = event.stage, now
            self.report(event.stage, event.fraction, event.message)


def execute_job(
    name: str,
    request: DubRequest,
    engines: EngineCache,
    report: StageReport,
    cancel: CancelToken | None = None,
) -> JobResult:
    """Dub one job exactly as `dubstudio dub` would (see `pipeline.dub_job.run_dub`)."""
    started, sets_before = time.perf_counter(), engines.built
    try:
        outcome = run_dub(request, engines=engines, progress=_Throttled(report), cancel=cancel)
    except UserError as error:
        return JobResult("failed", error.message, summary=JobSummary(time.perf_counter() - started))
    except Cancelled:
        return JobResult("cancelled", "cancelled", summary=JobSummary(time.perf_counter() - started))
    except Exception as error:
        log = _write_log(request.out.parent / LOG_DIR / f"{name}.log", name)
        return JobResult(
            "failed",
            f"Internal error: {type(error).__name__}: {error}. This is a bug in DubStudio, not in the "
            f"input; the details are in {log}.",
            retryable=True,
            summary=JobSummary(time.perf_counter() - started),
        )
    project = outcome.project
    summary = JobSummary(
        elapsed=outcome.elapsed,
        media_seconds=project.media.duration if project.media else 0.0,
        cues=len(project.segments),
        speakers=len(project.speakers),
        resumed=outcome.resumed,
        engines_loaded=engines.built > sets_before,
        stage_seconds={stage: round(seconds, 3) for stage, seconds in outcome.stage_seconds.items()},
        warnings=dict(outcome.warning_counts.most_common()),
        errors=dict(outcome.error_counts.most_common()),
        files={kind: str(path) for kind, path in outcome.exported.files.items()},
    )
    return JobResult("done", summary=summary)


def _write_log(path: Path, name: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(f"--- {now_iso()} {name}, {worker_label()}\n{traceback.format_exc()}\n")
    return path
