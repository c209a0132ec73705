"""Where a dragged region edge snaps to: word boundaries, silences, and the neighbours' edges.

Pure functions (no Qt) over the project and a peaks source, so they are tested on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from dubstudio.core.project import Segment

#: a bucket is silent when its peak amplitude is below this fraction of the view's loudest peak
SILENCE_RATIO = 0.06
#: columns per second used to find silences near a drag
SILENCE_RESOLUTION = 100
MIN_DURATION = 0.1


class PeakSource(Protocol):
    @property
    def duration(self) -> float: ...

    def range(self, start_s: float, end_s: float, buckets: int) -> tuple[np.ndarray, np.ndarray]: ...


def word_edges(segments: Sequence[Segment]) -> list[float]:
    return [edge for s in segments for w in s.words for edge in (w.start, w.end)]


def silence_edges(peaks: PeakSource | None, start: float, end: float) -> list[float]:
    """Times where speech starts or stops (silence boundaries) between `start` and `end`."""
    start, end = max(0.0, start), min(end, peaks.duration if peaks else 0.0)
    if peaks is None or end - start < 0.05:
        return []
    columns = max(2, int((end - start) * SILENCE_RESOLUTION))
    mins, maxs = peaks.range(start, end, columns)
    level = np.maximum(np.abs(mins), np.abs(maxs))
    loudest = float(level.max()) if len(level) else 0.0
    if loudest <= 0:
        return []
    silent = level < loudest * SILENCE_RATIO
    changes = np.flatnonzero(np.diff(silent.astype(np.int8))) + 1
    return [start + (end - start) * index / columns for index in changes]


def snap(value: float, candidates: Sequence[float], tolerance: float) -> float:
    """The candidate nearest `value` within `tolerance`, else `value` itself."""
    best = min(candidates, key=lambda c: abs(c - value), default=None)
    return best if best is not None and abs(best - value) <= tolerance else value


def clamp_span(
    start: float, end: float, previous: Segment | None, following: Segment | None, duration: float
) -> tuple[float, float]:
    """Keep a retimed span inside the media, off its neighbours and at least MIN_DURATION long."""
    low = previous.end if previous else 0.0
    high = following.start if following else max(duration, end)
    start = min(max(start, low), high - MIN_DURATION)
    end = max(min(end, high), start + MIN_DURATION)
    return round(start, 3), round(end, 3)


def dragged_span(
    mode: str,
    start: float,
    end: float,
    delta: float,
    segments: Sequence[Segment],
    row: int,
    *,
    peaks: PeakSource | None,
    tolerance: float,
    duration: float,
    free: bool = False,
) -> tuple[float, float]:
    """Where the segment at `row` (`start`–`end` when the drag began) goes when its "start" edge,
    "end" edge or whole body ("move") is dragged by `delta` seconds: snapped to word edges, its
    neighbours' edges and silences within `tolerance` (unless `free`), never over a neighbour."""
    previous = segments[row - 1] if row > 0 else None
    following = segments[row + 1] if row + 1 < len(segments) else None
    candidates: list[float] = []
    if not free:
        neighbours = [s for s in (previous, segments[row], following) if s is not None]
        candidates = word_edges(neighbours)
        candidates += [edge for s in (previous, following) if s for edge in (s.start, s.end)]
        moved = start + delta if mode != "end" else end + delta
        candidates += silence_edges(peaks, moved - 1.0, moved + 1.0)
    if mode == "start":
        start = snap(start + delta, candidates, tolerance)
    elif mode == "end":
        end = snap(end + delta, candidates, tolerance)
    else:
        length = end - start
        start = snap(start + delta, candidates, tolerance)
        low = previous.end if previous else 0.0
        high = following.start if following else duration
        start = min(max(start, low), max(low, high - length))
        end = start + length
    return clamp_span(start, end, previous, following, duration)
