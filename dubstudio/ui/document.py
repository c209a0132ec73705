"""The project as the GUI thread sees it: one Project, its folder, and change signals.

Every widget reads the project through this object and every edit goes through an undo command that
calls `segments_changed` / `structure_changed`, so the table, timeline, review queue and inspector
stay in step without knowing about each other. Only the GUI thread touches `project`; background
jobs work on copies and hand results back through `replace_project`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from dubstudio.core.project import Project, Segment


class ProjectDocument(QObject):
    #: these segment ids changed in place (text, times, voice, issues…)
    segments_changed = Signal(list)
    #: segments were added/removed or the whole project was replaced
    structure_changed = Signal()
    #: the selected segment id ("" for none); emitted by whoever changes the selection
    selection_changed = Signal(str)
    dirty_changed = Signal(bool)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.project_dir: Path | None = None
        self.selected_id = ""
        self._dirty = False
        self._busy = False
        self._index: dict[str, int] = {}

    # ---- state -----------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.project is not None and self.project_dir is not None

    @property
    def dirty(self) -> bool:
        return self._dirty

    def set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    @property
    def busy(self) -> bool:
        """True while a background job owns the project: edits are disabled until it finishes."""
        return self._busy

    def set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    # ---- access ----------------------------------------------------------------------------
    @property
    def segments(self) -> list[Segment]:
        return self.project.segments if self.project else []

    def row_of(self, segment_id: str) -> int:
        """Row of a segment id, or -1; O(1) through an index rebuilt on structure changes."""
        row = self._index.get(segment_id, -1)
        segments = self.segments
        if 0 <= row < len(segments) and segments[row].id == segment_id:
            return row
        self._reindex()
        return self._index.get(segment_id, -1)

    def segment(self, segment_id: str) -> Segment | None:
        row = self.row_of(segment_id)
        return self.segments[row] if row >= 0 else None

    @property
    def selected(self) -> Segment | None:
        return self.segment(self.selected_id) if self.selected_id else None

    def _reindex(self) -> None:
        self._index = {segment.id: row for row, segment in enumerate(self.segments)}

    # ---- changes ---------------------------------------------------------------------------
    def replace_project(self, project: Project | None, project_dir: Path | None = None) -> None:
        self.project = project
        if project_dir is not None or project is None:
            self.project_dir = project_dir
        self._reindex()
        if self.selected_id and self.row_of(self.selected_id) < 0:
            self.selected_id = ""
        self.structure_changed.emit()

    def notify_segments(self, segment_ids: list[str]) -> None:
        self.set_dirty(True)
        self.segments_changed.emit(list(segment_ids))

    def notify_structure(self) -> None:
        self._reindex()
        self.set_dirty(True)
        self.structure_changed.emit()

    def select(self, segment_id: str) -> None:
        if segment_id != self.selected_id:
            self.selected_id = segment_id
            self.selection_changed.emit(segment_id)
