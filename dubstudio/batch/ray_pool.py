"""Batch jobs on Ray: one actor per worker, so each keeps its models loaded from job to job.

`--ray` starts a small local Ray runtime (this machine's cores, a small object store, no
dashboard); `--ray ADDRESS` joins a running cluster (`ray start --head` on one node, `ray start
--address HEAD:6379` on the others; "auto" finds the cluster this node belongs to). Ray places the
actors: each declares what one job needs, `num_cpus` CPUs and, when the cluster has GPUs, one GPU
(DubStudio's engines then run on that GPU: `Settings.device` "auto" sees the one Ray gives the
actor). This module only hands each idle actor its next job; placement, restarts of the runtime
and node failures are Ray's.

Media travel by path, not through Ray's object store: a job sends its request (a few paths and
options) and gets back a small summary, while the worker reads the media and writes the project
folder itself. So the inputs and the output folder must be on storage every node mounts at the same
path (NFS, CephFS, a cloud file system), and every node needs DubStudio and its models installed.

An actor that dies mid-job (its process killed, its node lost) makes the job's result an actor
error: the pool reports the job `lost`, drops the actor and starts a new one when the next job
needs it (Ray places it wherever there is room); the controller decides about the retry.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from dataclasses import dataclass
from typing import Any

from dubstudio.batch.pools import PoolEvent
from dubstudio.batch.worker import EngineCache, JobResult, execute_job, limit_threads, worker_label
from dubstudio.core.errors import UserError
from dubstudio.core.progress import CancelToken
from dubstudio.pipeline.dub_job import DubRequest

#: the object store of a local runtime: only requests and summaries go through it
LOCAL_OBJECT_STORE_BYTES = 100 * 2**20
#: the address that starts a local runtime instead of joining a cluster
LOCAL = "local"
EVENTS_PER_POLL = 1000


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError(
            "Ray is not installed, so --ray cannot run the batch",
            fix="Install it with: pip install 'dubstudio[cluster]' (or run the batch without --ray, on "
            "local worker processes).",
        ) from None
    return ray


class DubWorkerActor:
    """The body of a Ray worker actor: jobs one at a time, engines kept (see `worker.py`)."""

    def __init__(self, events: Any, threads: int) -> None:
        limit_threads(threads)
        self.events = events
        self.engines = EngineCache()
        self.token: CancelToken | None = None
        self.label = worker_label()

    def run(self, ticket: str, key: str, name: str, request: DubRequest) -> JobResult:
        self.token = CancelToken()
        self.events.put(PoolEvent("started", key, ticket, self.label))

        def report(stage: str, fraction: float, text: str) -> None:
            self.events.put(PoolEvent("progress", key, ticket, self.label, stage, fraction, text))

        return execute_job(name, request, self.engines, report, self.token)

    def cancel(self) -> None:
        if self.token is not None:
            self.token.cancel()


@dataclass
class _Actor:
    handle: Any
    key: str = ""
    ticket: str = ""
    reference: Any = None
    label: str = ""


class RayPool:
    """`WorkerPool` over Ray actors, on a local runtime or a cluster (see the module docstring)."""

    def __init__(
        self,
        address: str = LOCAL,
        *,
        workers: int | None = None,
        cpus_per_worker: int | None = None,
        use_gpus: bool = True,
    ) -> None:
        """`use_gpus` False (jobs forced onto the CPU) reserves no GPU even where the cluster has some."""
        ray = _ray()
        self.ray = ray
        self.address = address
        self.started_runtime = address == LOCAL
        self._connect(workers, cpus_per_worker)
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0)) if use_gpus else 0
        cpus = int(resources.get("CPU", 1))
        if workers is None:
            workers = gpus or max(1, cpus // (cpus_per_worker or 2))
        self.workers = max(1, workers)
        self.cpus = cpus_per_worker or max(1, cpus // self.workers)
        self.gpus = 1 if gpus else 0
        from ray.util.queue import Queue

        self.events = Queue(actor_options={"num_cpus": 0})
        self._remote = ray.remote(DubWorkerActor).options(
            num_cpus=self.cpus, num_gpus=self.gpus, max_restarts=0, max_task_retries=0, max_concurrency=2
        )
        self._actors: list[_Actor] = []
        where = "a local Ray runtime" if self.started_runtime else f"the Ray cluster at {address}"
        self.description = (
            f"{self.workers} Ray actor{'s' if self.workers > 1 else ''} on {where} ({self.cpus} CPU"
            f"{'s' if self.cpus > 1 else ''}{', 1 GPU' if self.gpus else ''} each)"
        )

    def _connect(self, workers: int | None, cpus_per_worker: int | None) -> None:
        ray = self.ray
        quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
        # Ray's usage statistics probe cloud metadata servers and report home: an offline tool
        # opts out (a user's own setting wins; the runtime's processes inherit it)
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        try:
            if self.started_runtime:
                cpus = os.cpu_count() or 1
                if workers and cpus_per_worker:
                    cpus = max(cpus, workers * cpus_per_worker)
                ray.init(num_cpus=cpus, object_store_memory=LOCAL_OBJECT_STORE_BYTES, **quiet)
            else:
                ray.init(address=self.address, **quiet)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise UserError(
                f"cannot reach the Ray cluster at {self.address} ({error})",
                fix="Start it with 'ray start --head' on the head node (and 'ray start --address HEAD:6379' "
                "on the others), check the address, or leave out --ray to run on this machine.",
            ) from None

    @property
    def size(self) -> int:
        return self.workers

    def idle(self) -> int:
        return self.workers - sum(1 for actor in self._actors if actor.ticket)

    def submit(self, key: str, name: str, request: DubRequest) -> str:
        actor = next((a for a in self._actors if not a.ticket), None)
        if actor is None:
            actor = _Actor(self._remote.remote(self.events, self.cpus))
            self._actors.append(actor)
        actor.key, actor.ticket = key, uuid.uuid4().hex
        actor.reference = actor.handle.run.remote(actor.ticket, key, name, request)
        return actor.ticket

    def cancel(self, ticket: str) -> None:
        for actor in self._actors:
            if actor.ticket == ticket:
                actor.handle.cancel.remote()

    def poll(self, timeout: float) -> list[PoolEvent]:
        ray = self.ray
        running = [a for a in self._actors if a.ticket]
        done: list[Any] = []
        if running:
            done, _ = ray.wait([a.reference for a in running], num_returns=len(running), timeout=timeout)
        events = self._drain()
        for actor in running:
            if actor.reference not in done:
                continue
            try:
                result: JobResult = ray.get(actor.reference)
                events.append(PoolEvent("result", actor.key, actor.ticket, actor.label, result=result))
            except ray.exceptions.RayActorError as error:
                events.append(
                    PoolEvent(
                        "lost", actor.key, actor.ticket, actor.label,
                        message=f"the Ray actor ({actor.label or 'starting'}) died: {_first_line(error)}",
                    )
                )  # fmt: skip
                self._actors.remove(actor)
                with contextlib.suppress(Exception):
                    ray.kill(actor.handle, no_restart=True)
                continue
            except ray.exceptions.RayError as error:
                failed = JobResult(
                    "failed", f"Ray could not run the job: {_first_line(error)}", retryable=True
                )
                events.append(PoolEvent("result", actor.key, actor.ticket, actor.label, result=failed))
            actor.key = actor.ticket = ""
            actor.reference = None
        return events

    def _drain(self) -> list[PoolEvent]:
        from ray.util.queue import Empty

        events = []
        try:
            items = self.events.get_nowait_batch(min(self.events.qsize(), EVENTS_PER_POLL))
        except Empty:
            items = []
        current = {a.ticket: a for a in self._actors if a.ticket}
        for event in items:
            actor = current.get(event.ticket)
            if actor is None:
                continue
            if event.kind == "started":
                actor.label = event.worker
            events.append(event)
        return events

    def close(self) -> None:
        ray = self.ray
        for actor in self._actors:
            with contextlib.suppress(Exception):
                ray.kill(actor.handle, no_restart=True)
        self._actors.clear()
        with contextlib.suppress(Exception):
            ray.kill(self.events.actor, no_restart=True)
        ray.shutdown()  # stops a runtime we started; from a cluster it only disconnects


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
