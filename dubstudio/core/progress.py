"""Progress reporting and cooperative cancellation shared by engines, stages and the pipeline.

Plain Python (no Qt): the GUI turns progress callbacks into queued signals, the CLI into rich bars.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from dubstudio.core.errors import Cancelled


@dataclass(frozen=True)
class ProgressEvent:
    stage: str
    fraction: float  # 0–1 within the stage
    message: str = ""


ProgressCallback = Callable[[ProgressEvent], None]


def ignore_progress(_event: ProgressEvent) -> None:
    """The callback for callers that do not show progress."""


class CancelToken:
    """Set from any thread; long-running work checks it between chunks and stops cleanly."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


def stage_reporter(callback: ProgressCallback, stage: str) -> Callable[[float, str], None]:
    """A `(fraction, message)` reporter bound to one stage name, clamped to 0–1."""

    def report(fraction: float, message: str = "") -> None:
        callback(ProgressEvent(stage, min(1.0, max(0.0, fraction)), message))

    return report
