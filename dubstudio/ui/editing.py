"""The window's edits: each one an undoable command on the document (`ui.commands`), refused while
a job owns the project."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand

from dubstudio.core.project import ValidationIssue
from dubstudio.core.segment_edits import can_split
from dubstudio.pipeline.translation_memory import remember_correction
from dubstudio.ui import commands

if TYPE_CHECKING:
    from dubstudio.ui.main_window import MainWindow


class SegmentEditing(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.doc = window.doc

    def push(self, command: QUndoCommand) -> None:
        if self.doc.busy:
            self.window.statusBar().showMessage("Editing is paused while the pipeline runs.", 4000)
            return
        self.window.undo_stack.push(command)

    def edit_segment(self, segment_id: str, field: str, value: Any) -> None:
        self.push(commands.EditSegmentCommand(self.doc, segment_id, {field: value}))
        if field == "translated_text" and not self.doc.busy:  # a correction the memory keeps
            remember_correction(self.doc.project, self.doc.segment(segment_id), value)

    def use_memory(self, segment_id: str, changes: dict[str, Any]) -> None:
        """Apply a translation-memory candidate the inspector offered (undoable)."""
        self.push(commands.EditSegmentCommand(self.doc, segment_id, changes, "Use memory"))

    def retime_segment(self, segment_id: str, start: float, end: float) -> None:
        self.push(commands.retime_command(self.doc, segment_id, start, end))

    def pick_take(self, segment_id: str, take_index: int) -> None:
        self.push(commands.pick_take_command(self.doc, segment_id, take_index))

    def set_issue_status(self, issue: ValidationIssue, status: str) -> None:
        self.push(commands.SetIssueStatusCommand(self.doc, issue, status))

    def mark_reviewed(self, segment_id: str) -> None:
        self.push(commands.EditSegmentCommand(self.doc, segment_id, {"needs_review": False}, "Mark reviewed"))

    def split_selected(self) -> None:
        segment = self.doc.selected
        if segment is None:
            return
        if not can_split(segment):
            self.window.statusBar().showMessage("This segment is too short to split.", 4000)
            return
        position = self.window.player.position()
        at = position if segment.start < position < segment.end else None
        self.push(commands.split_command(self.doc, segment.id, at))

    def merge_selected(self) -> None:
        segment = self.doc.selected
        if segment is not None and self.doc.project.next_segment(segment.id) is not None:
            self.push(commands.merge_command(self.doc, segment.id))
