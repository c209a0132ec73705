"""Per-cue numbers the editor's table shows and validation checks: reading speed (characters per
second of the subtitle) and how the dub fits its slot."""

from __future__ import annotations

from dubstudio.core.project import Project, Segment


def subtitle_text(project: Project, segment: Segment) -> str:
    """The text the subtitle shows: the original when subtitles are in the source language."""
    if project.subtitle_language and project.subtitle_language == project.source_language:
        return segment.original_text
    return segment.translated_text or segment.original_text


def characters_per_second(project: Project, segment: Segment) -> float:
    """Characters (line breaks excluded) over the cue's duration, as Subtitle Edit counts them."""
    text = subtitle_text(project, segment).replace("\n", "")
    return len(text) / segment.duration if segment.duration > 0 else 0.0


def cps_level(cps: float, max_cps: float) -> str:
    """ "ok", "warning" (within 10 % of the limit) or "error" (over it)."""
    if cps > max_cps:
        return "error"
    return "warning" if cps > 0.9 * max_cps else "ok"


def fit_level(segment: Segment, length_tolerance: float) -> str:
    """ "none" (no dub yet), "ok", "warning" (sped up beyond the tolerance) or "error" (overflows)."""
    clip = segment.clip
    if clip is None:
        return "none"
    if clip.overflow > 0:
        return "error"
    return "warning" if clip.speed * clip.stretch > 1 + length_tolerance else "ok"


def fit_text(segment: Segment) -> str:
    clip = segment.clip
    if clip is None:
        return "—"
    text = f"{clip.duration:.2f}/{segment.duration:.2f}"
    return f"{text} +{clip.overflow:.2f}s" if clip.overflow > 0 else text
