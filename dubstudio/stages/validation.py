"""Stage 5: check the project's internal consistency and report what a human must look at.

Validation never rewrites content: it only replaces its own issues (`stage="validation"`) in
`Segment.issues`. Issues other stages raised stay as they are and count in the report; when another
stage already reported the same code for a segment, validation does not repeat it. An issue the
user already resolved or ignored keeps that status when the same (code, subtitle id) is found again.

Severity follows the 4+1 contract: "error" is a true contract failure (nothing to speak, a voice that
cannot speak the language, cues on top of each other) and blocks success; everything about quality
is a "warning".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from dubstudio.core.languages import base_language
from dubstudio.core.project import Project, Segment, ValidationIssue
from dubstudio.engines.base import Voice
from dubstudio.stages.cue_metrics import characters_per_second
from dubstudio.stages.lipsync import LIPSYNC_CODES, MouthActivity, lipsync_findings
from dubstudio.stages.speech_rate import estimate_duration

STAGE = "validation"
#: Below this segment confidence (mean word probability) the transcript needs a listen.
LOW_CONFIDENCE = 0.6
#: Overlaps shorter than this are rounding noise of the timestamps, not an overlap.
TIME_EPSILON = 0.005
#: A dub that overflows its slot by less than this is inaudible.
OVERFLOW_EPSILON = 0.05


@dataclass
class ValidationReport:
    """Open issues of the whole project, soft and blocking apart."""

    warnings: list[ValidationIssue] = field(default_factory=list)
    errors: list[ValidationIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing breaks the contract (warnings alone never block success)."""
        return not self.errors


def _normalized(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def _issue(segment: Segment, code: str, message: str, severity: str = "warning", **extra) -> ValidationIssue:
    return ValidationIssue(segment.id, code, message, severity=severity, stage=STAGE, **extra)


def _check_transcript(segment: Segment) -> Iterable[ValidationIssue]:
    if segment.confidence is not None and segment.confidence < LOW_CONFIDENCE:
        yield _issue(
            segment,
            "low_confidence_transcript",
            f"the recogniser was unsure of this transcript (confidence {segment.confidence:.2f})",
            value=segment.confidence,
        )


def _check_timing(
    segment: Segment, previous: Segment | None, following: Segment | None
) -> Iterable[ValidationIssue]:
    if previous is not None and segment.start < previous.end - TIME_EPSILON:
        yield _issue(
            segment,
            "timing_overlap",
            f"starts {previous.end - segment.start:.2f} s before the previous cue ends",
            severity="error",
            value=previous.end - segment.start,
        )
    clip = segment.clip
    # the next cue's dub may start a little before its cue (`DubClip.lead`): this one ends before both
    next_start = following.start if following is not None else None
    if following is not None and following.clip is not None:
        next_start = min(following.start, following.clip.start)
    if clip is not None and next_start is not None and clip.end > next_start + TIME_EPSILON:
        yield _issue(
            segment,
            "timing_overlap",
            f"the dub runs {clip.end - next_start:.2f} s into the next cue",
            severity="error",
            value=clip.end - next_start,
        )
    if clip is not None and clip.overflow > OVERFLOW_EPSILON:
        yield _issue(
            segment,
            "timing_overflow",
            f"the dub is {clip.overflow:.2f} s too long for its slot even at the maximum speed",
            value=clip.overflow,
            suggestion=_shorten_hint(segment.tts_text, clip.overflow, clip.duration + clip.overflow),
        )


def _shorten_hint(text: str, excess_seconds: float, spoken_seconds: float) -> str:
    if spoken_seconds <= 0 or not text:
        return "Shorten the dubbing text."
    keep = max(1, int(len(text) * (1 - excess_seconds / spoken_seconds)))
    return f"Shorten the dubbing text to about {keep} characters (now {len(text)})."


def _check_translation(project: Project, segment: Segment) -> Iterable[ValidationIssue]:
    if not segment.original_text.strip():
        return
    if not segment.translated_text.strip():
        yield _issue(segment, "empty_translation", "the subtitle translation is empty", severity="error")
    if not segment.tts_text.strip():
        yield _issue(segment, "missing_tts_text", "there is no dubbing text to synthesize", severity="error")
        return
    source = base_language(project.source_language)
    target = base_language(segment.tts_language or project.target_language)
    if source and source != target and _normalized(segment.tts_text) == _normalized(segment.original_text):
        letters = sum(ch.isalpha() for ch in segment.original_text)
        if letters >= 4:
            yield _issue(segment, "untranslated", "the dubbing text is the same as the original")
    slot = segment.duration
    if slot > 0:
        spoken = estimate_duration(segment.tts_text, target)
        tolerance = project.settings.length_tolerance
        if spoken > slot * (1 + tolerance):
            yield _issue(
                segment,
                "length_overflow",
                f"the dub needs about {spoken:.1f} s, {spoken / slot - 1:.0%} over its {slot:.1f} s slot",
                value=spoken - slot,
                suggestion=_shorten_hint(segment.tts_text, spoken - slot * (1 + tolerance), spoken),
            )
    yield from _check_glossary(project, segment)


def _check_glossary(project: Project, segment: Segment) -> Iterable[ValidationIssue]:
    for entry in project.settings.glossary:
        flags = 0 if entry.case_sensitive else re.IGNORECASE
        if not re.search(rf"(?<!\w){re.escape(entry.source)}(?!\w)", segment.original_text, flags):
            continue
        rendered = re.compile(rf"(?<!\w){re.escape(entry.rendering)}(?!\w)", flags)
        texts = [segment.tts_text]
        if base_language(project.display_subtitle_language) == base_language(project.target_language):
            texts.append(segment.translated_text)
        if not all(rendered.search(text) for text in texts):
            yield _issue(
                segment,
                "glossary_miss",
                f"the glossary renders '{entry.source}' as '{entry.rendering}'; the translation does not",
                suggestion=f"Use '{entry.rendering}'.",
            )


def _check_voice(
    project: Project, segment: Segment, catalog: dict[str, Voice] | None
) -> Iterable[ValidationIssue]:
    if not segment.tts_text.strip():
        return
    voice_id = project.voice_for(segment)
    if not voice_id:
        yield _issue(segment, "no_voice", "no voice is assigned to this cue", severity="error")
        return
    if catalog is None:
        return
    voice = catalog.get(voice_id)
    if voice is None:
        yield _issue(
            segment,
            "no_voice",
            f"the voice '{voice_id}' is not installed",
            severity="error",
            suggestion="Choose another voice for this speaker.",
        )
        return
    language = base_language(segment.tts_language or project.target_language)
    if language not in {base_language(code) for code in voice.languages}:
        yield _issue(
            segment,
            "voice_language_mismatch",
            f"the voice '{voice_id}' does not speak '{language}'",
            severity="error",
            suggestion="Choose a voice of the catalog for this language.",
        )


def _segment_findings(
    project: Project, index: int, catalog: dict[str, Voice] | None, mouths: MouthActivity | None = None
) -> list[ValidationIssue]:
    segments = project.segments
    segment = segments[index]
    previous = segments[index - 1] if index > 0 else None
    following = segments[index + 1] if index + 1 < len(segments) else None
    return [
        *_check_transcript(segment),
        *_check_timing(segment, previous, following),
        *_check_translation(project, segment),
        *_check_voice(project, segment, catalog),
        *_check_reading_speed(project, segment),
        *(lipsync_findings(segment, mouths, STAGE) if mouths is not None else ()),
    ]


def _check_reading_speed(project: Project, segment: Segment) -> Iterable[ValidationIssue]:
    """The subtitle's characters per second over `Settings.max_cps` (the table's red CPS cell)."""
    cps = characters_per_second(project, segment)
    limit = project.settings.max_cps
    if cps > limit:
        yield _issue(
            segment,
            "reading_speed",
            f"the subtitle reads at {cps:.1f} characters per second, over the limit of {limit:g}",
            value=cps,
            suggestion="Shorten the subtitle, or lengthen the cue or merge it with the next one.",
        )


def _merge_findings(segment: Segment, findings: list[ValidationIssue]) -> None:
    """Replace the segment's stage-5 issues, keeping user decisions and skipping other stages' repeats."""
    handled = {
        (i.code, i.subtitle_id): i.status for i in segment.issues if i.stage == STAGE and not i.is_open
    }
    reported_elsewhere = {i.code for i in segment.issues if i.stage != STAGE}
    kept = [i for i in segment.issues if i.stage != STAGE]
    seen: set[str] = set()
    for finding in findings:
        if finding.code in reported_elsewhere or finding.code in seen:
            continue
        seen.add(finding.code)
        finding.status = handled.get((finding.code, finding.subtitle_id), "open")
        kept.append(finding)
    segment.issues = kept


def validate(
    project: Project, catalog: list[Voice] | None = None, mouths: MouthActivity | None = None
) -> ValidationReport:
    """Refresh the stage-5 issues of every segment and report all open issues of the project.

    `catalog` is the list of installed voices; without it, voices are only checked for presence.
    `mouths` (the video's mouth activity, when analyzed) adds the lip-sync checks (`stages/lipsync.py`).
    """
    voices = {voice.id: voice for voice in catalog} if catalog is not None else None
    for index, segment in enumerate(project.segments):
        _merge_findings(segment, _segment_findings(project, index, voices, mouths))
    report = ValidationReport()
    for issue in project.all_issues():
        if issue.is_open:
            (report.errors if issue.severity == "error" else report.warnings).append(issue)
    return report


def refresh_lipsync(project: Project, mouths: MouthActivity) -> list[str]:
    """Redo only the lip-sync checks, for when the video's mouths become known after the last
    validation (they are analyzed beside the pipeline); the ids of the cues whose issues changed."""
    changed = []
    for segment in project.segments:
        before = sorted((i.stage, i.code, i.message, i.status) for i in segment.issues)
        others = [i for i in segment.issues if i.stage == STAGE and i.code not in LIPSYNC_CODES]
        _merge_findings(segment, others + lipsync_findings(segment, mouths, STAGE))
        if sorted((i.stage, i.code, i.message, i.status) for i in segment.issues) != before:
            changed.append(segment.id)
    return changed
