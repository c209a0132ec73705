"""Splitting and merging segments (no Qt): what the editor's split/merge commands do, for any caller."""

from __future__ import annotations

import copy

from dubstudio.core.project import Segment, new_id

#: a split never leaves a piece shorter than this (seconds)
MIN_PIECE = 0.2


def _split_text(text: str, fraction: float) -> tuple[str, str]:
    """Cut `text` at the word boundary nearest to `fraction` of its length."""
    words = text.split()
    if len(words) < 2:
        return (text.strip(), "") if fraction >= 0.5 else ("", text.strip())
    target = fraction * len(text)
    best, best_distance, position = 1, float("inf"), 0
    for count, word in enumerate(words[:-1], start=1):
        position = text.find(word, position) + len(word)
        if abs(position - target) < best_distance:
            best, best_distance = count, abs(position - target)
    return " ".join(words[:best]), " ".join(words[best:])


def _words_text(segment: Segment, words: list) -> str:
    return " ".join(word.text.strip() for word in words).strip()


def split_point(segment: Segment, at: float | None) -> float:
    """Where to cut: `at` (else the middle), moved to the nearest gap between words."""
    target = (segment.start + segment.end) / 2 if at is None else at
    gaps = [(a.end + b.start) / 2 for a, b in zip(segment.words, segment.words[1:], strict=False)]
    inside = [g for g in gaps if segment.start + MIN_PIECE <= g <= segment.end - MIN_PIECE]
    if inside:
        target = min(inside, key=lambda g: abs(g - target))
    return min(max(target, segment.start + MIN_PIECE), segment.end - MIN_PIECE)


def can_split(segment: Segment) -> bool:
    return segment.duration >= 2 * MIN_PIECE


def split_segment(segment: Segment, at: float | None = None) -> tuple[Segment, Segment]:
    """Two new segments covering `segment`; texts are divided at the cut, both need re-translation."""
    cut = split_point(segment, at)
    fraction = (cut - segment.start) / segment.duration
    first = copy.deepcopy(segment)
    second = copy.deepcopy(segment)
    second.id = new_id("seg")
    first.end, second.start = cut, cut
    first.words = [w for w in segment.words if (w.start + w.end) / 2 < cut]
    second.words = [w for w in segment.words if (w.start + w.end) / 2 >= cut]
    if first.words and second.words:
        first.original_text = _words_text(segment, first.words)
        second.original_text = _words_text(segment, second.words)
    else:
        first.original_text, second.original_text = _split_text(segment.original_text, fraction)
    first.translated_text, second.translated_text = _split_text(segment.translated_text, fraction)
    first.tts_text, second.tts_text = first.translated_text, second.translated_text
    for piece in (first, second):
        piece.clip = None
        piece.clip_history = []
        piece.issues = []
        piece.stale = []
        piece.note("split", f"{segment.start:.2f}–{segment.end:.2f} at {cut:.2f}")
    second.history = list(first.history)
    return first, second


def merge_segments(first: Segment, second: Segment) -> Segment:
    """One segment spanning both; texts joined, the first one's speaker and voice kept."""
    merged = copy.deepcopy(first)
    merged.end = max(first.end, second.end)
    merged.words = [*first.words, *second.words]
    merged.original_text = f"{first.original_text} {second.original_text}".strip()
    merged.translated_text = f"{first.translated_text} {second.translated_text}".strip()
    merged.tts_text = f"{first.tts_text} {second.tts_text}".strip()
    confidences = [c for c in (first.confidence, second.confidence) if c is not None]
    merged.confidence = min(confidences) if confidences else None
    merged.needs_review = first.needs_review or second.needs_review
    merged.review_reasons = sorted(set(first.review_reasons) | set(second.review_reasons))
    merged.clip = None
    merged.clip_history = []
    merged.issues = []
    merged.stale = []
    merged.note("merge", f"{first.id} + {second.id}")
    return merged
