"""The project domain: one dubbing job and everything the stages and the editor know about it.

The field names follow the 4+1 pipeline contracts (TranscriptSegment → SegmentedSubtitle →
TranslatedSubtitle → VoiceMatchedSubtitle, ValidationIssue). All times are seconds on the
**original media timeline**; sample positions are derived from them when audio is cut or placed,
never stored. Each stage owns some fields of `Segment` (`core.stages`); later stages read them
and never write them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from dubstudio.core.stages import STAGES, STALE_FROM

Severity = Literal["warning", "error"]
Gender = Literal["male", "female", "unknown"]
IssueStatus = Literal["open", "resolved", "ignored"]
Register = Literal["", "formal", "informal"]
#: a speaker's link to a person of the voice library: proposed by matching, confirmed or rejected
LibraryStatus = Literal["", "proposed", "confirmed", "rejected"]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _check_span(start: float, end: float) -> None:
    if start < 0 or end < start:
        raise ValueError(f"invalid time span {start:.3f}–{end:.3f} s (start must be ≥ 0 and ≤ end)")


@dataclass
class Word:
    """One recognised word with its own timing and recogniser probability (0–1)."""

    start: float
    end: float
    text: str
    probability: float = 1.0

    def __post_init__(self) -> None:
        _check_span(self.start, self.end)


@dataclass
class TimeSpan:
    """A stretch of the original timeline, e.g. a clean reference clip of a speaker."""

    start: float
    end: float

    def __post_init__(self) -> None:
        _check_span(self.start, self.end)

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class DubClip:
    """A synthesized take of one segment and where it sits on the original timeline.

    `path` is relative to the project folder. `start` is the segment's start, or up to `lead`
    seconds before it when the take starts in the free time before its cue (never after it: no
    drift); `end` is where the fitted audio ends, which may borrow silence up to the next segment.
    """

    path: str
    start: float
    end: float
    voice_id: str
    engine: str
    text: str
    speed: float = 1.0
    engine_speed: float = 1.0
    stretch: float = 1.0
    raw_duration: float = 0.0
    overflow: float = 0.0
    cache_key: str = ""
    created: str = field(default_factory=now_iso)
    #: how the take was fitted before any speed-up: seconds of internal pause cut (at speed 1.0),
    #: seconds of free time after the slot the speech uses, and before the cue's start
    pauses_cut: float = 0.0
    borrowed: float = 0.0
    lead: float = 0.0

    def __post_init__(self) -> None:
        _check_span(self.start, self.end)

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class HistoryEntry:
    """An edit to a segment, for the editor's history view (undo itself lives in the UI)."""

    time: str
    action: str
    detail: str = ""


@dataclass
class ValidationIssue:
    """A finding about one segment (`subtitle_id`) or the whole project (empty id)."""

    subtitle_id: str
    code: str
    message: str
    severity: Severity = "warning"
    stage: str = "validation"
    status: IssueStatus = "open"
    suggestion: str = ""
    value: float | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass
class Segment:
    """One subtitle cue and its dub. Fields are grouped by the stage that owns them."""

    id: str
    start: float
    end: float
    speaker_id: str = ""
    original_text: str = ""
    words: list[Word] = field(default_factory=list)
    confidence: float | None = None
    needs_review: bool = False
    review_reasons: list[str] = field(default_factory=list)
    # stage 3
    translated_text: str = ""
    tts_text: str = ""
    tts_language: str = ""
    #: where `translated_text` came from: "tm", "tm 92%" (a fuzzy match the editor applied),
    #: "phrasebook", an engine name ("apertium", "argos"), joined by "+"; "manual" after a hand edit
    translation_origin: str = ""
    # stage 4 (voice_override is the user's choice and wins over the matched voice)
    voice_id: str = ""
    voice_override: str = ""
    emotion: str = ""
    # synthesis
    clip: DubClip | None = None
    clip_history: list[DubClip] = field(default_factory=list)
    # stage 5
    issues: list[ValidationIssue] = field(default_factory=list)
    # which stages must run again for this segment after an edit
    stale: list[str] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        _check_span(self.start, self.end)

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def effective_voice(self) -> str:
        return self.voice_override or self.voice_id

    @property
    def open_issues(self) -> list[ValidationIssue]:
        return [issue for issue in self.issues if issue.is_open]

    @property
    def is_flagged(self) -> bool:
        return self.needs_review or bool(self.open_issues)

    def note(self, action: str, detail: str = "") -> None:
        self.history.append(HistoryEntry(now_iso(), action, detail))


@dataclass
class Speaker:
    """A voice in the source media, consistent across chunks and re-runs (matched by embedding).

    `gender_evidence` says what the gender was told from (stage 1); `voice_reason` why voice
    matching chose `voice_id` (shown in the editor's voice column and the CLI summary).
    `library_id` links the speaker to a person of the voice library (`library_status` says whether
    the link is a proposal or the user confirmed it; `library_rejected` lists people the user said
    this speaker is not); `pitch_semitones` shifts the dub voice's pitch for this speaker (None:
    the project's resemblance setting decides).
    """

    id: str
    label: str = ""
    gender: Gender = "unknown"
    median_f0: float | None = None
    embedding: list[float] = field(default_factory=list)
    reference_clips: list[TimeSpan] = field(default_factory=list)
    voice_id: str = ""
    voice_override: str = ""
    register: Register = ""
    gender_evidence: str = ""
    voice_reason: str = ""
    library_id: str = ""
    library_status: LibraryStatus = ""
    library_similarity: float | None = None
    library_rejected: list[str] = field(default_factory=list)
    pitch_semitones: float | None = None

    @property
    def display_name(self) -> str:
        return self.label or self.id

    @property
    def effective_voice(self) -> str:
        return self.voice_override or self.voice_id


@dataclass
class MediaInfo:
    """What ffprobe said about the source. `path` is the user's file (outside the project)."""

    path: str
    duration: float
    has_video: bool = False
    has_audio: bool = True
    sample_rate: int = 0
    channels: int = 0
    audio_codec: str = ""
    video_codec: str = ""
    width: int = 0
    height: int = 0
    fps: float = 0.0
    size_bytes: int = 0
    mtime: float = 0.0
    #: what the container itself states (0 when it states nothing); `duration` is the longer of this
    #: and the audio's own end (core.media)
    container_duration: float = 0.0


@dataclass
class GlossaryEntry:
    """`source` is always rendered as `target`; an empty target means keep the term as is."""

    source: str
    target: str = ""
    case_sensitive: bool = False

    @property
    def rendering(self) -> str:
        return self.target or self.source


@dataclass
class Settings:
    """Job settings. Defaults are what a user gets from the new-project dialog or `dubstudio dub`."""

    device: Literal["auto", "cuda", "cpu"] = "auto"
    whisper_model: str = "whisper-base"
    beam_size: int = 5
    denoise: bool = False
    min_speakers: int = 0
    max_speakers: int = 0
    #: a downloaded official pyannote pipeline (folder or config.yaml); empty = built-in offline one
    diarization_pipeline: str = ""
    translator: str = "auto"
    synthesizer: str = "auto"
    max_chars_per_line: int = 42
    max_lines: int = 2
    max_cps: float = 17.0
    min_cue_duration: float = 1.0
    max_cue_duration: float = 7.0
    length_tolerance: float = 0.15
    #: reuse the translation memory's exact matches before the engine translates
    use_translation_memory: bool = True
    max_speed: float = 1.25
    resemblance: bool = False
    #: match speakers with the people of the user's voice library (names and voices carry over)
    voice_library: bool = True
    keep_background: bool = True
    duck_db: float = -14.0
    glossary: list[GlossaryEntry] = field(default_factory=list)
    #: lip-sync assist: read the video's mouths (frames per second) and flag dubs that do not match
    lipsync: bool = True
    mouth_fps: float = 10.0

    def __post_init__(self) -> None:
        if not 1.0 <= self.mouth_fps <= 30.0:
            raise ValueError(f"mouthFps must be between 1 and 30, got {self.mouth_fps}")
        if not 1.0 <= self.max_speed <= 1.5:
            raise ValueError(f"maxSpeed must be between 1.0 and 1.5, got {self.max_speed}")


@dataclass
class Diagnostics:
    """What the last runs measured and found; project-wide issues have an empty subtitle id."""

    stage_durations_ms: dict[str, float] = field(default_factory=dict)
    issues: list[ValidationIssue] = field(default_factory=list)
    engines: dict[str, str] = field(default_factory=dict)
    #: the input hash each stage last completed with; the pipeline re-runs a stage when it changes
    stage_keys: dict[str, str] = field(default_factory=dict)


@dataclass
class Project:
    """The whole document saved as project.json."""

    name: str
    source_language: str = ""
    target_language: str = ""
    subtitle_language: str = ""
    media: MediaInfo | None = None
    speakers: list[Speaker] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    created: str = field(default_factory=now_iso)
    modified: str = field(default_factory=now_iso)

    @property
    def display_subtitle_language(self) -> str:
        return self.subtitle_language or self.target_language

    def segment(self, segment_id: str) -> Segment:
        for segment in self.segments:
            if segment.id == segment_id:
                return segment
        raise KeyError(segment_id)

    def speaker(self, speaker_id: str) -> Speaker | None:
        return next((s for s in self.speakers if s.id == speaker_id), None)

    def speaker_index(self, speaker_id: str) -> int:
        """The speaker's position (it picks the speaker's colour in the editor), or -1."""
        return next((i for i, s in enumerate(self.speakers) if s.id == speaker_id), -1)

    def segment_index(self, segment_id: str) -> int:
        return next(i for i, s in enumerate(self.segments) if s.id == segment_id)

    def next_segment(self, segment_id: str) -> Segment | None:
        index = self.segment_index(segment_id)
        return self.segments[index + 1] if index + 1 < len(self.segments) else None

    def voice_for(self, segment: Segment) -> str:
        """Per-segment override, else per-speaker override, else the matched voice."""
        speaker = self.speaker(segment.speaker_id)
        return segment.voice_override or (speaker.voice_override if speaker else "") or segment.voice_id

    def all_issues(self) -> list[ValidationIssue]:
        return [*self.diagnostics.issues, *(i for s in self.segments for i in s.issues)]

    def flagged_segments(self) -> list[Segment]:
        return [s for s in self.segments if s.is_flagged]

    def mark_stale(self, segment: Segment, from_stage: str) -> None:
        """Mark `from_stage` and every later stage as needing a re-run for this segment."""
        later = STAGES[STAGES.index(from_stage) :]
        segment.stale = sorted(set(segment.stale) | set(later), key=STAGES.index)

    def mark_edited(self, segment: Segment, fields: Iterable[str]) -> bool:
        """Mark what an edit of these fields invalidates (`STALE_FROM`); True when anything was."""
        stages = [STALE_FROM[name] for name in fields if name in STALE_FROM]
        if stages:
            self.mark_stale(segment, min(stages, key=STAGES.index))
        return bool(stages)
