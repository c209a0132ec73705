"""Every edit of the project is one QUndoCommand, so Ctrl+Z undoes anything the editor did.

Commands keep deep copies of what they replace; redo/undo swap values in place and tell the
document which segments changed. An edit also marks the dependent pipeline stages stale, and undo
restores the previous stale list, so re-running after an undo redoes nothing extra.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from dubstudio.core.project import STAGES, Project, Segment, ValidationIssue
from dubstudio.ui.document import ProjectDocument
from dubstudio.ui.segment_ops import merge_segments, split_segment

#: which stage an edited field invalidates (that stage and every later one must re-run)
STALE_FROM: dict[str, str] = {
    "original_text": "translation",
    "translated_text": "synthesis",
    "tts_text": "synthesis",
    "speaker_id": "voiceMatching",
    "voice_override": "synthesis",
    "start": "synthesis",
    "end": "synthesis",
}

FIELD_LABELS = {
    "original_text": "transcript",
    "translated_text": "translation",
    "tts_text": "spoken text",
    "speaker_id": "speaker",
    "voice_override": "voice",
    "start": "timing",
    "end": "timing",
}


class EditSegmentCommand(QUndoCommand):
    """Set some fields of one segment; `clip` / `issues` changes carry no staleness."""

    def __init__(
        self, doc: ProjectDocument, segment_id: str, changes: dict[str, Any], text: str = ""
    ) -> None:
        segment = doc.segment(segment_id)
        if segment is None:
            raise KeyError(segment_id)
        label = text or "Edit " + ", ".join(sorted({FIELD_LABELS.get(k, k) for k in changes}))
        super().__init__(f"{label} (#{doc.row_of(segment_id) + 1})")
        self.doc = doc
        self.segment_id = segment_id
        self.new = copy.deepcopy(changes)
        if "translated_text" in changes and "tts_text" not in changes:
            # the spoken text follows an edited translation unless set on its own
            self.new["tts_text"] = changes["translated_text"]
        if "translated_text" in changes:
            self.new.setdefault("translation_origin", "manual")
        self.old = {name: copy.deepcopy(getattr(segment, name)) for name in self.new}
        self.old_stale = list(segment.stale)

    def _segment(self) -> Segment:
        segment = self.doc.segment(self.segment_id)
        if segment is None:
            raise KeyError(self.segment_id)
        return segment

    def redo(self) -> None:
        segment = self._segment()
        for name, value in self.new.items():
            setattr(segment, name, copy.deepcopy(value))
        stages = [STALE_FROM[name] for name in self.new if name in STALE_FROM]
        if stages and self.doc.project is not None:
            self.doc.project.mark_stale(segment, min(stages, key=STAGES.index))
            segment.note(self.text())
        self.doc.notify_segments([self.segment_id])

    def undo(self) -> None:
        segment = self._segment()
        for name, value in self.old.items():
            setattr(segment, name, copy.deepcopy(value))
        segment.stale = list(self.old_stale)
        self.doc.notify_segments([self.segment_id])


def retime_command(doc: ProjectDocument, segment_id: str, start: float, end: float) -> EditSegmentCommand:
    return EditSegmentCommand(doc, segment_id, {"start": start, "end": end}, "Retime")


def pick_take_command(doc: ProjectDocument, segment_id: str, take_index: int) -> EditSegmentCommand:
    """Make an earlier take (from clip_history) the current clip; the current one goes to history."""
    segment = doc.segment(segment_id)
    if segment is None:
        raise KeyError(segment_id)
    history = copy.deepcopy(segment.clip_history)
    chosen = history.pop(take_index)
    if segment.clip is not None:
        history.append(copy.deepcopy(segment.clip))
    return EditSegmentCommand(doc, segment_id, {"clip": chosen, "clip_history": history}, "Use earlier take")


class SetIssueStatusCommand(QUndoCommand):
    """Resolve, ignore or reopen one validation issue (the human review checkpoint).

    The issue is found again by segment id and position at every redo/undo, because other commands
    replace segment objects. When the last open issue of a segment is closed, its review flag is
    cleared too (the reviewer has looked at it); undo restores both.
    """

    def __init__(self, doc: ProjectDocument, issue: ValidationIssue, status: str) -> None:
        super().__init__(f"Mark '{issue.code}' {status}")
        self.doc = doc
        self.segment_id = issue.subtitle_id if doc.segment(issue.subtitle_id) else ""
        owner = self._owner_issues()
        self.position = next(i for i, candidate in enumerate(owner) if candidate is issue)
        self.old_status = issue.status
        self.new_status = status
        segment = doc.segment(self.segment_id) if self.segment_id else None
        self.old_needs_review = segment.needs_review if segment else False

    def _owner_issues(self) -> list[ValidationIssue]:
        if self.segment_id:
            segment = self.doc.segment(self.segment_id)
            return segment.issues if segment else []
        return self.doc.project.diagnostics.issues if self.doc.project else []

    def _set(self, status: str, needs_review: bool | None) -> None:
        self._owner_issues()[self.position].status = status  # type: ignore[assignment]
        segment = self.doc.segment(self.segment_id) if self.segment_id else None
        if segment is not None and needs_review is not None:
            segment.needs_review = needs_review
        elif segment is not None and status != "open" and not segment.open_issues:
            segment.needs_review = False
        self.doc.notify_segments([self.segment_id] if self.segment_id else [])

    def redo(self) -> None:
        self._set(self.new_status, None)

    def undo(self) -> None:
        self._set(self.old_status, self.old_needs_review)


class _StructureCommand(QUndoCommand):
    """Replace the segments at rows [row, row + len(old)) by `new`, and back on undo."""

    def __init__(
        self, doc: ProjectDocument, row: int, old: list[Segment], new: list[Segment], text: str
    ) -> None:
        super().__init__(text)
        self.doc = doc
        self.row = row
        self.old = old
        self.new = new

    def _swap(self, remove: list[Segment], insert: list[Segment]) -> None:
        segments = self.doc.segments
        segments[self.row : self.row + len(remove)] = copy.deepcopy(insert)
        self.doc.notify_structure()
        self.doc.select(insert[0].id)

    def redo(self) -> None:
        self._swap(self.old, self.new)

    def undo(self) -> None:
        self._swap(self.new, self.old)


def split_command(doc: ProjectDocument, segment_id: str, at: float | None = None) -> _StructureCommand:
    row = doc.row_of(segment_id)
    original = doc.segments[row]
    first, second = split_segment(original, at)
    for piece in (first, second):
        doc.project.mark_stale(piece, "translation")  # type: ignore[union-attr]
    return _StructureCommand(doc, row, [copy.deepcopy(original)], [first, second], f"Split #{row + 1}")


def merge_command(doc: ProjectDocument, segment_id: str) -> _StructureCommand:
    """Merge a segment with the next one."""
    row = doc.row_of(segment_id)
    first, second = doc.segments[row], doc.segments[row + 1]
    merged = merge_segments(first, second)
    doc.project.mark_stale(merged, "translation")  # type: ignore[union-attr]
    return _StructureCommand(
        doc, row, [copy.deepcopy(first), copy.deepcopy(second)], [merged], f"Merge #{row + 1} and #{row + 2}"
    )


class ApplyJobResultCommand(QUndoCommand):
    """Take the project a background re-translate / re-synthesize produced; undo brings back the old.

    The whole project is swapped, because such a run also redoes other stale cues and re-validates
    everything. Earlier takes stay on disk (and in clip history), so undo is always possible.
    """

    def __init__(self, doc: ProjectDocument, result: Project, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.before = copy.deepcopy(doc.project)
        self.after = copy.deepcopy(result)

    def _put(self, project: Project | None) -> None:
        selected = self.doc.selected_id
        self.doc.replace_project(copy.deepcopy(project), self.doc.project_dir)
        self.doc.set_dirty(True)
        if self.doc.segment(selected) is not None:
            self.doc.select(selected)

    def redo(self) -> None:
        self._put(self.after)

    def undo(self) -> None:
        self._put(self.before)
