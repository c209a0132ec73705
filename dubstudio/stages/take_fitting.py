"""Fitting takes into their slots (pure functions, no engines): one take's speed-up, padding and cut
(`fit_clip`), the speeds and places of consecutive takes that share free time (`plan_takes`), and
how a finished dub's takes sit (`fit_report`). `stages/synthesis.py` speaks the takes and applies
these; its docstring describes the fitting steps in order."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dubstudio.core.dsp import pad_to, time_stretch
from dubstudio.core.project import Segment

#: the least silence between a take's end and the next cue or take (seconds)
GUARD_SECONDS = 0.1
#: free time after the slot a take may use before it is sped up (past it the dub drifts off the
#: speaker's lips); at the maximum speed it may still use all the free time to the next cue
BORROW_SECONDS = 1.0
#: speeds this close to 1.0 are 1.0: no stretch, no second synthesis
SPEED_EPSILON = 1e-3
_OUT_FADE = 0.05
#: a take this little over its room loses only the silence margin trimming left (30 ms): no overflow
_SILENT_CUT = 0.01


@dataclass
class FittedClip:
    """A take fitted into its slot; `audio` starts `lead` seconds before the cue's start."""

    audio: np.ndarray
    sample_rate: int
    speech_duration: float  # the speech after speed-up, before any padding or cut
    speed: float  # effective speed against the speed-1.0 reading (engine speed × stretch)
    stretch: float  # the time-stretch applied here on top of the engine's speed
    overflow: float  # seconds of speech that did not fit and were cut
    borrowed: float = 0.0  # seconds of speech past the slot (free time before the next cue)
    lead: float = 0.0  # seconds of speech before the cue's start (free time before it)

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


def fit_budget(slot: float, room: float, borrow: float = BORROW_SECONDS) -> float:
    """Seconds after the cue's start the speech may take before it is sped up: the slot plus the
    time it may borrow (a negative `borrow` ends it before the slot does, to leave the next take
    its lead)."""
    return max(0.0, min(max(0.0, room), max(0.0, slot) + borrow))


def fit_clip(
    audio: np.ndarray,
    sample_rate: int,
    *,
    slot: float,
    room: float,
    max_speed: float = 1.25,
    raw_duration: float | None = None,
    borrow: float = BORROW_SECONDS,
    lead: float = 0.0,
) -> FittedClip:
    """Fit trimmed speech into `slot` seconds, using free time up to `room` (pure function).

    `audio` may already be sped up by the engine; `raw_duration` is the speech's duration at speed
    1.0 (defaults to the audio's own), so the combined speed stays ≤ `max_speed` even when the engine
    overshot. Speech up to `lead` + `fit_budget` (the free time before the cue, the slot and what
    it may borrow after it) keeps its pace; longer speech is time-stretched just enough to fit it,
    up to the cap, then may run on up to `room`; what is left over is cut with a fade and counted
    as overflow. The speech starts before the cue only as far as it needs (`FittedClip.lead`).
    Shorter speech is padded to the slot, never slowed below 1.0×.
    """
    if not 1.0 <= max_speed <= 1.5:
        raise ValueError(f"max_speed must be between 1.0 and 1.5, got {max_speed}")
    room = max(0.0, room)
    after = fit_budget(slot, room, borrow)
    slot = max(0.0, min(slot, room))
    lead = max(0.0, lead)
    budget = lead + after
    current = len(audio) / sample_rate
    raw = raw_duration if raw_duration is not None else current
    engine_speed = raw / current if current > 0 else 1.0
    # the combined speed the budget needs, within [1, cap]; a stretch below 1 only undoes an engine
    # that overshot the speed it was asked for, it never slows the speech below its natural pace
    wanted = raw / budget if budget > 0 else math.inf
    stretch = min(max(wanted, 1.0), max_speed) / engine_speed
    if current > 0 and abs(stretch - 1.0) > SPEED_EPSILON:
        audio = time_stretch(audio, sample_rate, stretch)
    else:
        stretch = 1.0
    speech = len(audio) / sample_rate
    used_lead = min(lead, max(0.0, speech - after))  # ends where planned, starts no earlier than needed
    room_samples = round((used_lead + room) * sample_rate)
    overflow = 0.0
    if len(audio) > room_samples:
        excess = (len(audio) - room_samples) / sample_rate
        overflow = excess if excess > _SILENT_CUT else 0.0  # within the trimmed silence margin
        audio = _fade_out(audio[:room_samples], sample_rate)
    audio = pad_to(np.asarray(audio, dtype=np.float32), round((used_lead + slot) * sample_rate))
    speed = raw / speech if speech > 0 else 1.0
    borrowed = max(0.0, min(speech - used_lead, room) - slot)
    return FittedClip(audio, sample_rate, speech, speed, stretch, overflow, borrowed, used_lead)


@dataclass(frozen=True)
class TakeSpan:
    """One take as `plan_takes` sees it, in seconds on the timeline."""

    cue_start: float
    need: float  # the speech at speed 1.0
    earliest: float  # the earliest start: the lead limit, or just after a take kept as it is
    soft_end: float  # the latest end before the speed cap: slot + borrow limit
    hard_end: float  # the latest end at the cap: the next cue's start minus the guard


@dataclass(frozen=True)
class PlannedTake:
    start: float
    end: float  # where the speech ends at `speed`
    limit: float  # the latest the speech may end: the hard end, or before the next take's start
    speed: float


def plan_takes(
    spans: Sequence[TakeSpan], max_speed: float, guard: float = GUARD_SECONDS
) -> list[PlannedTake]:
    """Speeds and places for consecutive takes that share free time (pure function).

    1. Each take ends by its soft end; where the run cannot fit like that even at `max_speed`, the
       first take that does not fit may use its whole room (hard end), until the run fits.
    2. The largest speed-up of the run is made as small as possible, then each other take's as
       small as its neighbours allow (progressive filling): a take that fits is not sped up, and
       one that does not takes its neighbours' spare time before any speed.
    3. Each take starts at its cue's start if it can, else as late as it can (its lead).
    A take that does not fit even at the cap with its whole room keeps the earliest place it can
    get at the cap (the takes before it help at the cap too); the render cuts what is left.
    """
    count = len(spans)
    ends = [span.soft_end for span in spans]
    earliest = [min(span.earliest, span.cue_start) for span in spans]
    fixed: dict[int, float] = {}  # take → planned duration

    def durations(speed: float) -> list[float]:
        return [fixed.get(i, spans[i].need / speed) for i in range(count)]

    while (misfit := _first_misfit(earliest, ends, durations(max_speed), guard)) is not None:
        if ends[misfit] < spans[misfit].hard_end:
            ends[misfit] = spans[misfit].hard_end
            continue
        starts = _earliest_starts(earliest, durations(max_speed), guard)
        earliest[misfit] = starts[misfit]  # pinned where it starts at the earliest, cut at its end
        fixed[misfit] = max(0.0, ends[misfit] - starts[misfit])
    speeds = dict.fromkeys(fixed, max_speed)  # at the cap, cut by the render
    free = [i for i in range(count) if i not in fixed]
    while free:
        if _first_misfit(earliest, ends, durations(1.0), guard) is None:
            speeds.update(dict.fromkeys(free, 1.0))
            break
        low, high = 1.0, max_speed
        for _ in range(30):
            middle = (low + high) / 2
            low, high = (
                (low, middle)
                if _first_misfit(earliest, ends, durations(middle), guard) is None
                else (middle, high)
            )
        lengths = durations(high)
        first = _earliest_starts(earliest, lengths, guard)
        last = _latest_starts(ends, lengths, guard)
        critical = [i for i in free if last[i] - first[i] <= 1e-6] or free
        for i in critical:
            fixed[i], speeds[i] = lengths[i], high
        free = [i for i in free if i not in critical]
    lengths = durations(1.0)
    last = _latest_starts(ends, lengths, guard)
    starts, previous_end = [], -math.inf
    for i, span in enumerate(spans):
        # never before 0: the bisected speed leaves `last` up to 1e-9 s before an earliest of 0
        start = max(0.0, min(max(span.cue_start, earliest[i], previous_end + guard), last[i]))
        starts.append(start)
        previous_end = start + lengths[i]
    limits = [min(spans[i].hard_end, starts[i + 1] - guard) for i in range(count - 1)]
    limits += [spans[-1].hard_end] if spans else []
    return [
        PlannedTake(starts[i], starts[i] + lengths[i], max(limits[i], starts[i] + lengths[i]), speeds[i])
        for i in range(count)
    ]


def _earliest_starts(earliest: Sequence[float], lengths: Sequence[float], guard: float) -> list[float]:
    starts, previous_end = [], -math.inf
    for first, length in zip(earliest, lengths, strict=True):
        starts.append(max(first, previous_end + guard))
        previous_end = starts[-1] + length
    return starts


def _latest_starts(ends: Sequence[float], lengths: Sequence[float], guard: float) -> list[float]:
    starts, next_start = [0.0] * len(ends), math.inf
    for i in reversed(range(len(ends))):
        starts[i] = min(ends[i], next_start - guard) - lengths[i]
        next_start = starts[i]
    return starts


def _first_misfit(
    earliest: Sequence[float], ends: Sequence[float], lengths: Sequence[float], guard: float
) -> int | None:
    """The first take that cannot end by its end even when every take starts as early as it can."""
    for i, start in enumerate(_earliest_starts(earliest, lengths, guard)):
        if start + lengths[i] > ends[i] + 1e-9:
            return i
    return None


def _fade_out(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    length = min(len(audio), int(_OUT_FADE * sample_rate))
    out = audio.copy()
    if length:
        out[-length:] *= np.linspace(1.0, 0.0, length, dtype=np.float32)
    return out


@dataclass(frozen=True)
class FitReport:
    """How a dub's takes sit in their slots (bench/dub_intelligibility.py and the tests read it)."""

    takes: int
    fitted: int  # inside slot + borrowed time, at ≤ max speed, nothing cut
    borrowed: int  # takes that use free time after their slot
    overlapping: int  # takes running into the next cue or the next take (never, by construction)
    leading: int = 0  # takes that start in the free time before their cue

    @property
    def fitted_share(self) -> float:
        return self.fitted / self.takes if self.takes else 1.0


def fit_report(segments: Sequence[Segment], max_speed: float) -> FitReport:
    ordered = sorted(segments, key=lambda s: (s.start, s.end))
    clips = [s.clip for s in ordered if s.clip is not None]
    fitted = sum(1 for c in clips if c.overflow <= 0.005 and c.speed <= max_speed + 0.01)
    into_cue = {
        current.id
        for current, following in itertools.pairwise(ordered)
        if current.clip is not None and current.clip.end > following.start + 0.005
    }
    taken = [s for s in ordered if s.clip is not None]
    into_take = {
        current.id
        for current, following in itertools.pairwise(taken)
        if current.clip.end > following.clip.start + 0.005
    }
    return FitReport(
        len(clips),
        fitted,
        sum(1 for c in clips if c.borrowed > 0.005),
        len(into_cue | into_take),
        sum(1 for c in clips if c.lead > 0.005),
    )
