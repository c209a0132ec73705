"""Filtering of the segment table: all, flagged, needing a re-run, one speaker; plus text search."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel

from dubstudio.ui.segments.model import SegmentTableModel

ALL, FLAGGED, STALE = "all", "flagged", "stale"
SPEAKER_PREFIX = "speaker:"


class SegmentFilterProxy(QSortFilterProxyModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.mode = ALL
        self.search = ""

    def set_mode(self, mode: str) -> None:
        """`mode` is "all", "flagged", "stale" or "speaker:<id>"."""
        self.beginFilterChange()
        self.mode = mode
        self.endFilterChange()

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self.search = text.strip().casefold()
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, _parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        if not isinstance(model, SegmentTableModel):
            return True
        segment = model.segment_at(source_row)
        if self.mode == FLAGGED and not segment.is_flagged:
            return False
        if self.mode == STALE and not segment.stale:
            return False
        if self.mode.startswith(SPEAKER_PREFIX) and segment.speaker_id != self.mode[len(SPEAKER_PREFIX) :]:
            return False
        if self.search:
            haystack = f"{segment.original_text}\n{segment.translated_text}".casefold()
            return self.search in haystack
        return True
