"""Run heavy stage calls in a child process, so that loading their engines cannot freeze the caller.

Importing torch, CTranslate2 and pyannote and loading their models runs C code that holds Python's
GIL for a third of a second at a time; on the editor's job thread that froze the window
(bench/ui_responsiveness.py --recognition). In a child process it costs the caller nothing, and a
cancel ends an engine in the middle of a call (the process is stopped), which a thread cannot do.

`ChildProcess` is one such process that stays alive between calls: what a call loads (the
recognition models, kept by `recognition.recognize_in_child`) is ready for the next one. It is
spawned, not forked (the parent has Qt and engine threads), on the first call and again after a
cancel or a crash; `close()` ends it. Each call runs a module-level function and sends its progress,
then its result or its error, back through a pipe. `run_isolated` is a one-call process.

Errors: a `UserError` (or `Cancelled`) from the child is re-raised as it is, fields included; any
other exception becomes a `ChildProcessFailure` whose message is one line and whose `details` hold
the child's traceback (the error dialog shows them behind "Show Details…").
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from dubstudio.core.errors import Cancelled, UserError
from dubstudio.core.progress import CancelToken, ProgressCallback, ProgressEvent

POLL_S = 0.05
STOP_WAIT_S = 5.0


class IsolatedStageError(UserError):
    """The child process ended without an answer (killed, out of memory, crashed in an engine)."""


class ChildProcessFailure(RuntimeError):
    """An unexpected exception inside the child: `summary` is one line, `details` its traceback."""

    def __init__(self, summary: str, details: str = "") -> None:
        super().__init__(summary)
        self.summary = summary
        self.details = details

    def __reduce__(self):
        return type(self), (self.summary, self.details)


class ChildProcess:
    """A spawned process that runs one call at a time and stays alive between calls."""

    def __init__(self, name: str = "stage") -> None:
        self.name = name
        self._process: Any = None
        self._requests: Connection | None = None
        self._replies: Connection | None = None
        self._lock = threading.Lock()
        #: how many processes this object has started (a restart follows a cancel or a crash)
        self.starts = 0

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.alive else None

    def call(
        self,
        function: Callable[..., Any],
        args: tuple[Any, ...],
        *,
        progress: ProgressCallback,
        cancel: CancelToken | None = None,
    ) -> Any:
        """`function(*args, progress=…)` in the child; its result, or its exception re-raised here.

        `function` and `args` must pickle (a module-level function, dataclasses, paths). Calls from
        several threads wait for each other. Cancelling stops the child and raises `Cancelled`.
        """
        with self._lock:
            if cancel is not None:
                cancel.raise_if_cancelled()
            self._ensure_started()
            assert self._requests is not None and self._replies is not None
            answered = False
            try:
                self._requests.send((function, args))
                while True:
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    if not self._replies.poll(POLL_S):
                        continue
                    try:
                        kind, payload = self._replies.recv()
                    except EOFError:
                        exit_code = self._stop()
                        raise IsolatedStageError(
                            f"the {self.name} process ended unexpectedly (exit code {exit_code})",
                            fix="The machine may be out of memory: close other programs, or choose a "
                            "smaller model or the CPU in Settings, and run the pipeline again.",
                        ) from None
                    if kind == "progress":
                        progress(payload)
                        continue
                    answered = True
                    if kind == "result":
                        return payload
                    raise payload
            finally:
                if not answered:  # cancelled, or the caller's progress callback raised: it is mid-call
                    self._stop()

    def close(self) -> None:
        """End the child (it finishes its current call first only if that takes < STOP_WAIT_S)."""
        with self._lock:
            self._stop()

    def _ensure_started(self) -> None:
        if self.alive:
            return
        self._stop()
        context = multiprocessing.get_context("spawn")
        requests_out, requests_in = context.Pipe(duplex=False)
        replies_out, replies_in = context.Pipe(duplex=False)
        process = context.Process(
            target=_serve, args=(requests_out, replies_in), name=f"dubstudio-{self.name}", daemon=True
        )
        process.start()
        # the child holds the only other ends: a dead child reads as EOF, a closed parent ends it
        requests_out.close()
        replies_in.close()
        self._process, self._requests, self._replies = process, requests_in, replies_out
        self.starts += 1

    def _stop(self) -> int | None:
        """Stop the child (if any) and forget it; its exit code."""
        process, self._process = self._process, None
        for connection in (self._requests, self._replies):
            if connection is not None:
                connection.close()
        self._requests = self._replies = None
        if process is None:
            return None
        process.join(0.2)  # a child whose requests pipe closed ends on its own when idle
        if process.is_alive():
            process.terminate()
            process.join(STOP_WAIT_S)
        if process.is_alive():
            process.kill()
        process.join()
        return process.exitcode


def run_isolated(
    function: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    progress: ProgressCallback,
    cancel: CancelToken | None = None,
    name: str = "stage",
) -> Any:
    """One call in a child process of its own (see `ChildProcess.call`), which then ends."""
    child = ChildProcess(name)
    try:
        return child.call(function, args, progress=progress, cancel=cancel)
    finally:
        child.close()


def _serve(requests: Connection, replies: Connection) -> None:
    """The child: answer calls until the parent closes its end."""

    def report(event: ProgressEvent) -> None:
        replies.send(("progress", event))

    while True:
        try:
            function, args = requests.recv()
        except (EOFError, OSError):
            break
        try:
            result = function(*args, progress=report)
        except (UserError, Cancelled) as error:
            replies.send(("error", error))
        except BaseException as error:  # engines raise anything; keep its traceback for the details pane
            details = "".join(traceback.format_exception(error))
            summary = f"{type(error).__name__}: {error}".splitlines()[0]
            replies.send(
                ("error", ChildProcessFailure(f"{summary} (in the {function.__name__} process)", details))
            )
        else:
            replies.send(("result", result))
    replies.close()
