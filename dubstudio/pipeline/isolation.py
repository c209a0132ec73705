"""Run one heavy stage in a child process, so that loading its engines cannot freeze the caller.

Importing torch, CTranslate2 and pyannote and loading their models runs C code that holds Python's
GIL for a third of a second at a time; on the editor's job thread that froze the window
(bench/ui_responsiveness.py --recognition). In a child process it costs the caller nothing, and a
cancel ends an engine in the middle of a call (the process is stopped), which a thread cannot do.
The child is spawned, not forked (the parent has Qt and engine threads), runs a module-level
function and sends its progress, then its result or its error, back through a pipe.
"""

from __future__ import annotations

import multiprocessing
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


def run_isolated(
    function: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    progress: ProgressCallback,
    cancel: CancelToken | None = None,
    name: str = "stage",
) -> Any:
    """`function(*args, progress=…)` in a child process; its result, or its exception re-raised here.

    `function` and `args` must pickle (a module-level function, dataclasses, paths). Cancelling
    stops the child and raises `Cancelled`.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child, args=(function, args, sender), name=f"dubstudio-{name}", daemon=True
    )
    process.start()
    sender.close()  # the child holds the only writing end: a dead child reads as EOF
    try:
        while True:
            if cancel is not None:
                cancel.raise_if_cancelled()
            if not receiver.poll(POLL_S):
                continue
            try:
                kind, payload = receiver.recv()
            except EOFError:
                process.join(STOP_WAIT_S)
                raise IsolatedStageError(
                    f"the {name} process ended unexpectedly (exit code {process.exitcode})",
                    fix="The machine may be out of memory: close other programs, or choose a smaller "
                    "model or the CPU in Settings, and run the pipeline again.",
                ) from None
            if kind == "progress":
                progress(payload)
            elif kind == "result":
                return payload
            else:
                raise payload
    finally:
        receiver.close()
        if process.is_alive():  # cancelled, or still flushing its answer: nothing more is read
            process.terminate()
            process.join(STOP_WAIT_S)
        if process.is_alive():
            process.kill()
        process.join()


def _child(function: Callable[..., Any], args: tuple[Any, ...], sender: Connection) -> None:
    def report(event: ProgressEvent) -> None:
        sender.send(("progress", event))

    try:
        result = function(*args, progress=report)
    except (UserError, Cancelled) as error:
        sender.send(("error", error))
    except BaseException as error:  # engines raise anything; keep its traceback for the details pane
        details = "".join(traceback.format_exception(error))
        summary = f"{type(error).__name__}: {error}"
        sender.send(("error", RuntimeError(f"{summary}\n\nIn the {function.__name__} process:\n{details}")))
    else:
        sender.send(("result", result))
    finally:
        sender.close()
