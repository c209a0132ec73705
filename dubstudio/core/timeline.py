"""Helpers on the original media timeline.

Times are stored as seconds; sample positions are derived from them at the moment audio is cut or
placed (with the rate of the audio at hand), never stored, so a project stays valid whichever rate
its audio is extracted or mixed at.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from typing import Protocol

_TIMECODE = re.compile(r"^(?:(?:(\d+):)?(\d{1,2}):)?(\d{1,2})(?:[.,](\d{1,3}))?$")


def _check_time(seconds: float) -> None:
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a time on the timeline must be a finite number ≥ 0, got {seconds!r}")


def seconds_to_samples(seconds: float, rate: int) -> int:
    """The sample index nearest to `seconds` at `rate` (rounded, so round trips are stable)."""
    _check_time(seconds)
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate}")
    return round(seconds * rate)


def samples_to_seconds(samples: int, rate: int) -> float:
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate}")
    return samples / rate


def format_timecode(seconds: float, separator: str = ".") -> str:
    """`HH:MM:SS.mmm`, rounded to the millisecond; `separator=","` gives the SRT form."""
    _check_time(seconds)
    total_ms = round(seconds * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def parse_timecode(text: str) -> float:
    """Seconds from `HH:MM:SS.mmm`, `MM:SS.mmm` or `SS.mmm`; `,` is accepted for `.`.

    Fewer than three fraction digits are a decimal fraction (`1.5` is 1.500 s). Raises ValueError
    with the offending text when it is not a timecode.
    """
    match = _TIMECODE.match(text.strip())
    if not match:
        raise ValueError(f"not a timecode: {text.strip()[:40]!r} (expected HH:MM:SS.mmm)")
    hours, minutes, secs, fraction = match.groups()
    if (minutes is not None and int(secs) >= 60) or (hours is not None and int(minutes) >= 60):
        raise ValueError(f"not a timecode: {text.strip()!r} (minutes and seconds must be below 60)")
    milliseconds = int((fraction or "0").ljust(3, "0"))
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(secs) + milliseconds / 1000


class _Span(Protocol):
    start: float
    end: float


class TimeIndex:
    """Which segments lie at a time or in a time range, by bisection over their start times.

    The segments must be sorted by start (the project keeps them so). Built in O(n), it answers in
    O(log n); rebuild it when segments are added, removed or retimed.
    """

    def __init__(self, segments: Sequence[_Span]) -> None:
        self._starts = [s.start for s in segments]
        self._ends = [s.end for s in segments]
        self._max_length = max((s.end - s.start for s in segments), default=0.0)

    def at(self, seconds: float) -> int:
        """The row of the latest-starting segment that covers `seconds` (start ≤ t < end), or -1."""
        row = bisect.bisect_right(self._starts, seconds) - 1
        while row >= 0 and self._starts[row] >= seconds - self._max_length:
            if seconds < self._ends[row]:
                return row
            row -= 1
        return -1

    def overlapping(self, start: float, end: float) -> range:
        """Rows of the segments that may intersect `start`–`end` (every one that does is in it)."""
        first = bisect.bisect_left(self._starts, start - self._max_length)
        return range(first, bisect.bisect_right(self._starts, end))
