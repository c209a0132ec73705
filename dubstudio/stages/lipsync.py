"""Lip-sync assist: where mouths move on screen, and whether the dub matches them.

Data: a `MouthTrack` (the mouth-activity job's output, `pipeline/mouths.py`) holds, per face
track, the frames it was seen in, its box and two mouth measures. Everything else is derived here,
as pure functions.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from dubstudio.core.project import DubClip, Segment, ValidationIssue


@dataclass
class FaceTrack:
    """One face followed across frames; the lists run in step (`boxes` has 4 numbers per frame:
    x0, y0, x1, y1 as fractions of the frame's width and height)."""

    id: int
    frames: list[int] = field(default_factory=list)
    boxes: list[float] = field(default_factory=list)
    jaw_open: list[float] = field(default_factory=list)
    lip_gap: list[float] = field(default_factory=list)


@dataclass
class MouthTrack:
    """The faces of a whole video, sampled at `fps` (frame i shows the time i / fps)."""

    fps: float
    frame_count: int
    width: int
    height: int
    engine: str = ""
    faces: list[FaceTrack] = field(default_factory=list)


# ---- the per-frame signal -------------------------------------------------------------------------
#: the mouth measure is the jawOpen blendshape; a mouth "moves" at a frame when that measure varies by
#: more than `MOVING_RANGE` within ±`MOVEMENT_HALF_WINDOW_S` (speech opens and closes the jaw several
#: times a second; a mouth held open or shut, a grin, a still smile do not)
MOVING_RANGE = 0.04
MOVEMENT_HALF_WINDOW_S = 0.2
#: still gaps shorter than this inside movement are bridged (a closure between syllables), and
#: movement shorter than `MIN_MOVING_S` is dropped (a twitch)
BRIDGE_S = 0.3
MIN_MOVING_S = 0.2
#: a face missing for at most this long (a missed detection) still counts as on screen
FACE_BRIDGE_S = 0.2

Span = tuple[float, float]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, end) frame index pairs of the True runs."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _bridge(mask: np.ndarray, frames: int) -> np.ndarray:
    out = mask.copy()
    runs = _runs(mask)
    for (_s0, e0), (s1, _e1) in itertools.pairwise(runs):
        if s1 - e0 <= frames:
            out[e0:s1] = True
    return out


def _drop_short(mask: np.ndarray, frames: int) -> np.ndarray:
    out = mask.copy()
    for start, end in _runs(mask):
        if end - start < frames:
            out[start:end] = False
    return out


def _window_range(values: np.ndarray, half: int) -> np.ndarray:
    """max − min of `values` within ±half frames, ignoring NaN (where the face was not seen)."""
    padded = np.pad(values, half, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    seen = ~np.isnan(windows).all(axis=1)
    out = np.zeros(len(values))
    if seen.any():
        out[seen] = np.nanmax(windows[seen], axis=1) - np.nanmin(windows[seen], axis=1)
    return out


@dataclass
class MouthActivity:
    """Per sampled frame: is a face on screen, how much its mouth moves, is a mouth moving."""

    fps: float
    present: np.ndarray  # bool
    movement: np.ndarray  # float: the largest movement of any face (jawOpen range), for the lane
    moving: np.ndarray  # bool

    @property
    def duration(self) -> float:
        return len(self.present) / self.fps

    def _frames(self, start: float, end: float) -> slice:
        return slice(max(0, round(start * self.fps)), max(0, round(end * self.fps)))

    def spans(self, mask: np.ndarray, start: float = 0.0, end: float | None = None) -> list[Span]:
        """The True runs of a per-frame mask as seconds, clipped to [start, end]."""
        end = self.duration if end is None else end
        first = max(0, int(np.floor(start * self.fps)))
        window = mask[first : max(first, int(np.ceil(end * self.fps)))]
        found = []
        for run_start, run_end in _runs(window):
            a, b = max((first + run_start) / self.fps, start), min((first + run_end) / self.fps, end)
            if b > a:
                found.append((round(a, 3), round(b, 3)))
        return found

    def moving_spans(self, start: float = 0.0, end: float | None = None) -> list[Span]:
        return self.spans(self.moving, start, end)

    def face_spans(self, start: float = 0.0, end: float | None = None) -> list[Span]:
        return self.spans(self.present, start, end)

    def face_fraction(self, start: float, end: float) -> float:
        frames = self.present[self._frames(start, end)]
        return float(frames.mean()) if len(frames) else 0.0


def mouth_activity(track: MouthTrack) -> MouthActivity:
    """Derive the per-frame activity of a video from its faces."""
    count, fps = track.frame_count, track.fps
    half = max(1, round(MOVEMENT_HALF_WINDOW_S * fps))
    present = np.zeros(count, dtype=bool)
    movement = np.zeros(count)
    moving = np.zeros(count, dtype=bool)
    for face in track.faces:
        frames = np.asarray(face.frames, dtype=int)
        frames = frames[(frames >= 0) & (frames < count)]
        if not len(frames):
            continue
        seen = np.zeros(count, dtype=bool)
        seen[frames] = True
        seen = _bridge(seen, round(FACE_BRIDGE_S * fps))
        measure = np.full(count, np.nan)
        measure[frames] = np.asarray(face.jaw_open[: len(frames)], dtype=float)
        face_movement = np.where(seen, _window_range(measure, half), 0.0)
        present |= seen
        movement = np.maximum(movement, face_movement)
        face_moving = _bridge(face_movement > MOVING_RANGE, round(BRIDGE_S * fps))
        moving |= _drop_short(face_moving, round(MIN_MOVING_S * fps)) & seen
    return MouthActivity(fps, present, movement, moving)


# ---- per cue --------------------------------------------------------------------------------------
#: the validation codes of the lip-sync checks
LIPSYNC_CODES = ("lipsync_mismatch", "offscreen")
#: a cue whose face is on screen less than this share of its time is voice-over (`offscreen`)
OFFSCREEN_FACE_FRACTION = 0.2
#: speech and mouth movement are compared with this slack on each side (speech starts a little
#: before the lips part and trails after they close; the detector's edges are ±0.2 s)
SYNC_TOLERANCE_S = 0.25
#: `lipsync_mismatch` when the dub speaks over a visible, still mouth for longer than this...
MAX_SPEECH_OVER_STILL_S = 0.7
#: ...or a visible mouth moves while the dub is silent for longer than this (within the cue)
MAX_MOVING_WHILE_SILENT_S = 0.7
#: mouth onsets/offsets this close to a cue's edges are the cue's own
EDGE_WINDOW_S = 0.6
#: slot fitting: an on-screen cue's dub should end by the mouth's last movement plus this
FIT_TOLERANCE_S = 0.3


def _measure(spans: list[Span]) -> float:
    return sum(b - a for a, b in spans)


def _intersect(a: list[Span], b: list[Span]) -> list[Span]:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _subtract(a: list[Span], b: list[Span]) -> list[Span]:
    out = []
    for lo, hi in a:
        cursor = lo
        for b_lo, b_hi in b:
            if b_hi <= cursor or b_lo >= hi:
                continue
            if b_lo > cursor:
                out.append((cursor, b_lo))
            cursor = max(cursor, b_hi)
        if cursor < hi:
            out.append((cursor, hi))
    return out


def _dilate(spans: list[Span], by: float) -> list[Span]:
    merged: list[Span] = []
    for a, b in sorted(spans):
        a, b = a - by, b + by
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


@dataclass(frozen=True)
class CueMouths:
    """What the video shows during one cue."""

    start: float
    end: float
    face_fraction: float  # share of the cue's time a face is on screen
    moving: tuple[Span, ...]  # mouth-moving stretches within the cue
    onset: float | None  # a mouth starts moving within EDGE_WINDOW_S of the cue's start
    offset: float | None  # a mouth stops moving within EDGE_WINDOW_S of the cue's end

    @property
    def offscreen(self) -> bool:
        return self.face_fraction < OFFSCREEN_FACE_FRACTION

    @property
    def moving_fraction(self) -> float:
        duration = self.end - self.start
        return _measure(list(self.moving)) / duration if duration > 0 else 0.0


def cue_mouths(activity: MouthActivity, start: float, end: float) -> CueMouths:
    moving = activity.moving_spans(start, end)
    near = activity.moving_spans(start - EDGE_WINDOW_S, end + EDGE_WINDOW_S)
    onset = next((a for a, _b in near if abs(a - start) <= EDGE_WINDOW_S), None)
    offset = next((b for _a, b in reversed(near) if abs(b - end) <= EDGE_WINDOW_S), None)
    return CueMouths(start, end, activity.face_fraction(start, end), tuple(moving), onset, offset)


def dub_speech(clip: DubClip | None) -> list[Span]:
    """Where the dub speaks: a take is trimmed of silence and starts at its cue, so its speech runs
    from the clip's start for its spoken length (padding after it is silence)."""
    if clip is None:
        return []
    spoken = clip.raw_duration / clip.speed if clip.raw_duration > 0 and clip.speed > 0 else clip.duration
    return [(clip.start, clip.start + min(spoken, clip.duration))]


def _where(spans: list[Span]) -> str:
    shown = ", ".join(f"{a:.1f}–{b:.1f} s" for a, b in spans[:3])
    return shown + (" …" if len(spans) > 3 else "")


def sync_gaps(
    activity: MouthActivity, speech: list[Span], start: float, end: float
) -> tuple[list[Span], list[Span]]:
    """Where speech runs over a visible still mouth, and where a mouth moves within [start, end]
    while there is no speech (each side given `SYNC_TOLERANCE_S` of slack)."""
    last = max([end, *(b for _a, b in speech)])
    faces = activity.face_spans(start - SYNC_TOLERANCE_S, last)
    moving = activity.moving_spans(start - SYNC_TOLERANCE_S, end + SYNC_TOLERANCE_S)
    over_still = _subtract(_intersect(speech, faces), _dilate(moving, SYNC_TOLERANCE_S))
    silent_moving = _subtract(_intersect(moving, [(start, end)]), _dilate(speech, SYNC_TOLERANCE_S))
    return over_still, silent_moving


def lipsync_findings(
    segment: Segment, activity: MouthActivity, stage: str = "validation"
) -> list[ValidationIssue]:
    """`offscreen` for a voice-over cue; `lipsync_mismatch` when its dub and the visible mouth disagree.

    A video without any face (a title card, a landscape under narration) is voice-over throughout:
    its cues are not flagged one by one."""
    mouths = cue_mouths(activity, segment.start, segment.end)
    duration = segment.end - segment.start
    if mouths.offscreen:
        if not activity.present.any():
            return []
        return [
            ValidationIssue(
                segment.id, "offscreen",
                f"no face on screen for {duration * (1 - mouths.face_fraction):.1f} of {duration:.1f} s: "
                "voice-over, the dub's timing is free",
                stage=stage, value=round(duration * (1 - mouths.face_fraction), 2),
            )
        ]  # fmt: skip
    speech = dub_speech(segment.clip)
    if not speech:
        return []
    over_still, silent_moving = sync_gaps(activity, speech, segment.start, segment.end)
    findings = []
    if _measure(over_still) > MAX_SPEECH_OVER_STILL_S:
        seconds = _measure(over_still)
        findings.append(
            ValidationIssue(
                segment.id, "lipsync_mismatch",
                f"the dub speaks {seconds:.1f} s while the mouth on screen is still ({_where(over_still)})",
                stage=stage, value=round(seconds, 2),
                suggestion="Shorten the dubbing text or move the cue so the dub ends with the mouth.",
            )
        )  # fmt: skip
    if _measure(silent_moving) > MAX_MOVING_WHILE_SILENT_S:
        seconds = _measure(silent_moving)
        findings.append(
            ValidationIssue(
                segment.id, "lipsync_mismatch",
                f"the mouth on screen moves {seconds:.1f} s while the dub is silent "
                f"({_where(silent_moving)})",
                stage=stage, value=round(seconds, 2),
                suggestion="Lengthen the dubbing text to cover the visible speech.",
            )
        )  # fmt: skip
    return findings


def mouth_limits(segments: list[Segment], activity: MouthActivity) -> dict[str, float]:
    """Per on-screen cue whose mouth stops well before the cue ends: the time its dub should end by
    (the mouth's last movement + `FIT_TOLERANCE_S`). Slot fitting speeds the dub up toward it."""
    limits = {}
    for segment in segments:
        mouths = cue_mouths(activity, segment.start, segment.end)
        if mouths.offscreen or not mouths.moving:
            continue
        last = mouths.moving[-1][1]
        # the mouth must be seen still after its last movement, not lost from view
        seen_still = activity.face_fraction(last, segment.end) >= 0.8
        if seen_still and last + FIT_TOLERANCE_S < segment.end:
            limits[segment.id] = round(last + FIT_TOLERANCE_S, 3)
    return limits


def face_for_cue(track: MouthTrack, activity: MouthActivity, start: float, end: float):
    """(seconds, box) of a good face picture for a cue: the largest face seen at the cue's first
    mouth movement (else its middle), nearest in time within the cue; None when no face is seen."""
    moving = activity.moving_spans(start, end)
    wanted = (moving[0][0] + moving[0][1]) / 2 if moving else (start + end) / 2
    best = None
    for face in track.faces:
        for position, frame in enumerate(face.frames):
            seconds = frame / track.fps
            if not start <= seconds <= end:
                continue
            box = tuple(face.boxes[4 * position : 4 * position + 4])
            area = (box[2] - box[0]) * (box[3] - box[1])
            score = (abs(seconds - wanted), -area)
            if best is None or score < best[0]:
                best = (score, seconds, box)
    return (best[1], best[2]) if best is not None else None


@dataclass(frozen=True)
class Agreement:
    """Moving-mouth time the detector and a reference annotation agree on (frames of 1/fps s)."""

    true_positive: int
    false_positive: int
    false_negative: int

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positive + self.false_negative
        return self.true_positive / actual if actual else 1.0

    def __add__(self, other: Agreement) -> Agreement:
        return Agreement(
            self.true_positive + other.true_positive,
            self.false_positive + other.false_positive,
            self.false_negative + other.false_negative,
        )


def agreement(activity: MouthActivity, moving: list[Span], unsure: list[Span] = ()) -> Agreement:
    """Score the detected moving frames against annotated moving spans; `unsure` spans are left out."""
    times = np.arange(len(activity.moving)) / activity.fps

    def mask(spans) -> np.ndarray:
        inside = np.zeros(len(times), dtype=bool)
        for start, end in spans:
            inside |= (times >= start) & (times < end)
        return inside

    truth, counted, found = mask(moving), ~mask(unsure), activity.moving
    return Agreement(
        int((truth & found & counted).sum()),
        int((~truth & found & counted).sum()),
        int((truth & ~found & counted).sum()),
    )
