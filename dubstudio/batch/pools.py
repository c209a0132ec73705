"""Worker pools: where the controller's jobs run. `LocalPool` is worker processes on this machine;
`batch.ray_pool.RayPool` is Ray actors. Both speak `WorkerPool` and report `PoolEvent`s.

A local worker is a spawned process (never forked: the editor has Qt and engine threads) that takes
one job at a time from its own inbox and keeps its engines between jobs (`worker.EngineCache`).
Every message it sends carries the ticket of the job it belongs to, so a late message from a job
that was already given up is dropped. A worker that dies (killed, out of memory, crashed in a
native library) is noticed by its exit and reported as `lost`; the pool starts a fresh one for the
next job. Cancelling a job sets the worker's cancel event, which its pipeline checks between steps.

Each worker sends its events through a pipe of its own. A shared `multiprocessing.Queue` would not
survive a SIGKILL: a worker killed while its feeder thread held the queue's write lock leaves the
lock taken for good, and every later worker then blocks on its first message (the batch hung).
A killed worker can only cut its own pipe short, which the pool then reads as closed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import threading
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as connection_wait
from typing import Any, Literal, Protocol

from dubstudio.batch.worker import EngineCache, JobResult, execute_job, limit_threads, worker_label
from dubstudio.core.progress import CancelToken
from dubstudio.pipeline.dub_job import DubRequest

STOP_WAIT_S = 5.0
#: how often a worker checks for a cancel request and that the batch's process is still there
PARENT_CHECK_S = 0.5


@dataclass
class PoolEvent:
    kind: Literal["started", "progress", "result", "lost"]
    key: str
    ticket: str
    worker: str = ""
    stage: str = ""
    fraction: float = 0.0
    message: str = ""
    result: JobResult | None = None


class WorkerPool(Protocol):
    #: what runs the jobs, for messages ("2 local worker processes")
    description: str

    @property
    def size(self) -> int: ...

    def idle(self) -> int:
        """How many more jobs can be submitted now."""
        ...

    def submit(self, key: str, name: str, request: DubRequest) -> str:
        """Start a job on an idle worker; returns its ticket."""
        ...

    def cancel(self, ticket: str) -> None: ...

    def poll(self, timeout: float) -> list[PoolEvent]:
        """What happened since the last poll, waiting up to `timeout` seconds for something."""
        ...

    def close(self) -> None:
        """Stop every worker (a job still running is abandoned; its project stays consistent)."""
        ...


def default_workers() -> int:
    """Local workers for this machine: every engine already uses several cores, so one per two
    cores, and at most one per 4 GiB of memory (a worker holds its models, 1–3 GiB)."""
    cores = os.cpu_count() or 1
    try:
        memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        memory_gib = 8.0
    return max(1, min(cores // 2, int(memory_gib // 4)))


@dataclass
class _Worker:
    process: Any
    inbox: Any
    cancel_event: Any
    #: the read end of the worker's event pipe (None once it is closed)
    events: Connection | None
    label: str = ""
    key: str = ""
    ticket: str = ""


class LocalPool:
    def __init__(self, workers: int, *, threads_per_worker: int | None = None) -> None:
        self.workers = max(1, workers)
        self.threads = threads_per_worker or max(1, (os.cpu_count() or 1) // self.workers)
        self.description = (
            f"{self.workers} local worker process{'es' if self.workers > 1 else ''} "
            f"({self.threads} thread{'s' if self.threads > 1 else ''} each)"
        )
        self._context = multiprocessing.get_context("spawn")
        self._running: list[_Worker] = []

    @property
    def size(self) -> int:
        return self.workers

    def idle(self) -> int:
        return self.workers - sum(1 for worker in self._running if worker.ticket)

    def submit(self, key: str, name: str, request: DubRequest) -> str:
        worker = next((w for w in self._running if not w.ticket), None) or self._start_worker()
        worker.key, worker.ticket = key, uuid.uuid4().hex
        worker.cancel_event.clear()
        worker.inbox.put((worker.ticket, key, name, request))
        return worker.ticket

    def _start_worker(self) -> _Worker:
        inbox, cancel_event = self._context.Queue(), self._context.Event()
        events_in, events_out = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_worker_main,
            args=(inbox, events_out, cancel_event, self.threads),
            name="dubstudio-batch-worker",
            daemon=True,
        )
        process.start()
        events_out.close()  # the worker holds the only write end: its death reads as end of file
        worker = _Worker(process, inbox, cancel_event, events_in, label=f"pid {process.pid}")
        self._running.append(worker)
        return worker

    def cancel(self, ticket: str) -> None:
        for worker in self._running:
            if worker.ticket == ticket:
                worker.cancel_event.set()

    def poll(self, timeout: float) -> list[PoolEvent]:
        dead = [w for w in self._running if not w.process.is_alive()]
        events = self._drain(timeout if not dead else 0.0)
        for worker in dead:  # after the drain: whatever a dead worker managed to send is in
            worker.process.join()
            self._running.remove(worker)
            if worker.ticket:
                reason = f"the worker process ({worker.label}) {_exit_description(worker.process.exitcode)}"
                events.append(PoolEvent("lost", worker.key, worker.ticket, worker.label, message=reason))
        return events

    def _drain(self, timeout: float) -> list[PoolEvent]:
        events: list[PoolEvent] = []
        wait_s: float = timeout
        while True:
            pipes = [w.events for w in self._running if w.events is not None]
            ready = set(connection_wait(pipes, wait_s)) if pipes else set()
            if not ready:
                return events
            wait_s = 0.0
            for worker in self._running:
                pipe = worker.events
                if pipe is None or pipe not in ready:
                    continue
                try:
                    event: PoolEvent = pipe.recv()
                except (EOFError, OSError):  # the worker ended (perhaps in the middle of a message)
                    pipe.close()
                    worker.events = None
                    continue
                if event.ticket != worker.ticket:
                    continue  # the job was given up (its worker was reported lost) or cancelled
                if event.kind == "started":
                    worker.label = event.worker
                elif event.kind == "result":
                    worker.key = worker.ticket = ""
                events.append(event)

    def close(self) -> None:
        for worker in self._running:
            with contextlib.suppress(OSError, ValueError):
                worker.cancel_event.set()
                worker.inbox.put(None)
        for worker in self._running:
            worker.process.join(STOP_WAIT_S if not worker.ticket else 1.0)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(STOP_WAIT_S)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            if worker.events is not None:
                worker.events.close()
        self._running.clear()


def _exit_description(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"was killed by {name}{hint}"
    return f"ended unexpectedly (exit code {code})"


def _worker_main(inbox: Any, events: Connection, cancel_event: Any, threads: int) -> None:
    """The worker process: jobs from `inbox` until None (or until the batch's process is gone),
    events into its pipe (from the job's thread and from engine threads, one message at a time)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is the controller's to handle
    limit_threads(threads)
    engines = EngineCache()
    label = worker_label()
    sending = threading.Lock()

    def send(event: PoolEvent) -> None:
        with sending:
            events.send(event)

    while (message := _next_job(inbox)) is not None:
        ticket, key, name, request = message
        token = CancelToken()
        finished = threading.Event()
        watcher = threading.Thread(target=_watch_cancel, args=(cancel_event, token, finished), daemon=True)
        watcher.start()
        send(PoolEvent("started", key, ticket, label))

        def report(stage: str, fraction: float, text: str, key: str = key, ticket: str = ticket) -> None:
            send(PoolEvent("progress", key, ticket, label, stage, fraction, text))

        result = execute_job(name, request, engines, report, token)
        finished.set()
        send(PoolEvent("result", key, ticket, label, result=result))


def _next_job(inbox: Any) -> Any:
    while _parent_alive():
        try:
            return inbox.get(timeout=PARENT_CHECK_S)
        except queue.Empty:
            continue
    return None


def _parent_alive() -> bool:
    parent = multiprocessing.parent_process()
    return parent is None or parent.is_alive()


def _watch_cancel(cancel_event: Any, token: CancelToken, finished: threading.Event) -> None:
    """Cancel the job when the controller asks, or when its process died (killed, crashed): a
    worker never goes on alone."""
    while not finished.is_set():
        if cancel_event.wait(PARENT_CHECK_S) or not _parent_alive():
            token.cancel()
            return
