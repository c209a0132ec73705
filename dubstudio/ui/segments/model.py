"""A table model over the project's segments (no widget per row: 2,000+ rows stay instant).

Edits do not touch the project here: `setData` hands `(segment id, field, value)` to the edit
handler (the main window), which pushes an undoable command; the command's change notification
comes back through the document and refreshes the affected rows.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from dubstudio.core.project import Segment
from dubstudio.core.timeline import format_timecode
from dubstudio.pipeline.translation_memory import describe_origin
from dubstudio.ui.document import ProjectDocument
from dubstudio.ui.segments.metrics import characters_per_second, cps_level, fit_level, fit_text
from dubstudio.ui.theme import ERROR_COLOR, WARNING_COLOR

SEGMENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
EditHandler = Callable[[str, str, Any], None]
AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NUMBER = 0
    START = 1
    END = 2
    SPEAKER = 3
    ORIGINAL = 4
    TRANSLATION = 5
    VOICE = 6
    CPS = 7
    FIT = 8
    FLAGS = 9
    ORIGIN = 10


#: column index → member, without `Column(i)` (an enum call per cell and role is slow)
COLUMNS = tuple(Column)
_RIGHT_ALIGNED = frozenset({Column.NUMBER, Column.START, Column.END, Column.CPS, Column.FIT})
_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

HEADERS = {
    Column.NUMBER: "#",
    Column.START: "Start",
    Column.END: "End",
    Column.SPEAKER: "Speaker",
    Column.ORIGINAL: "Original",
    Column.TRANSLATION: "Translation",
    Column.VOICE: "Voice",
    Column.CPS: "CPS",
    Column.FIT: "Fit (dub/slot s)",
    Column.FLAGS: "Flags",
    Column.ORIGIN: "Translated by",
}
#: the Segment field each editable column writes
EDITABLE = {
    Column.SPEAKER: "speaker_id",
    Column.ORIGINAL: "original_text",
    Column.TRANSLATION: "translated_text",
    Column.VOICE: "voice_override",
}
_LEVEL_BACKGROUND = {
    "warning": QColor(WARNING_COLOR.red(), WARNING_COLOR.green(), WARNING_COLOR.blue(), 70),
    "error": QColor(ERROR_COLOR.red(), ERROR_COLOR.green(), ERROR_COLOR.blue(), 90),
}


class SegmentTableModel(QAbstractTableModel):
    def __init__(self, doc: ProjectDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.edit_handler: EditHandler | None = None
        doc.structure_changed.connect(self._reset)
        doc.segments_changed.connect(self._rows_changed)
        doc.busy_changed.connect(lambda _busy: self._rows_changed([]))

    # ---- shape -----------------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self.doc.segments)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[COLUMNS[section]]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and COLUMNS[index.column()] in EDITABLE and not self.doc.busy:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def segment_at(self, row: int) -> Segment:
        return self.doc.segments[row]

    # ---- data ------------------------------------------------------------------------------------
    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """One dict lookup before any work: painting a cell asks for ~10 roles, most unanswered."""
        answer = self._role_answers.get(role)
        if answer is None or not index.isValid():
            return None
        row = index.row()
        return answer(self, row, self.doc.segments[row], COLUMNS[index.column()])

    def _alignment(self, _row: int, _segment: Segment, column: Column) -> int | None:
        return _ALIGN_RIGHT if column in _RIGHT_ALIGNED else None

    def _foreground(self, _row: int, segment: Segment, column: Column) -> QBrush | None:
        if column != Column.FLAGS or not segment.is_flagged:
            return None
        is_error = any(i.severity == "error" for i in segment.open_issues)
        return QBrush(ERROR_COLOR if is_error else WARNING_COLOR)

    def _display(self, row: int, segment: Segment, column: Column) -> Any:
        project = self.doc.project
        match column:
            case Column.NUMBER:
                return str(row + 1) + (" •" if segment.stale else "")
            case Column.START:
                return format_timecode(segment.start)
            case Column.END:
                return format_timecode(segment.end)
            case Column.SPEAKER:
                speaker = project.speaker(segment.speaker_id) if project else None
                return speaker.display_name if speaker else segment.speaker_id
            case Column.ORIGINAL:
                return segment.original_text
            case Column.TRANSLATION:
                return segment.translated_text
            case Column.VOICE:
                voice = project.voice_for(segment) if project else segment.effective_voice
                return voice + (" ✎" if segment.voice_override else "")
            case Column.CPS:
                return f"{characters_per_second(project, segment):.1f}" if project else ""
            case Column.FIT:
                return fit_text(segment)
            case Column.ORIGIN:
                return describe_origin(segment.translation_origin)
            case Column.FLAGS:
                codes = [issue.code for issue in segment.open_issues]
                if segment.needs_review and not codes:
                    codes = segment.review_reasons or ["needs review"]
                return ", ".join(codes)
        return None

    def _edit_value(self, _row: int, segment: Segment, column: Column) -> Any:
        field = EDITABLE.get(column)
        if field == "voice_override":
            return self.doc.project.voice_for(segment) if self.doc.project else segment.effective_voice
        return getattr(segment, field) if field else None

    def _background(self, _row: int, segment: Segment, column: Column) -> Any:
        project = self.doc.project
        if project is None:
            return None
        if column == Column.CPS:
            level = cps_level(characters_per_second(project, segment), project.settings.max_cps)
            return _LEVEL_BACKGROUND.get(level)
        if column == Column.FIT:
            return _LEVEL_BACKGROUND.get(fit_level(segment, project.settings.length_tolerance))
        return None

    def _tooltip(self, _row: int, segment: Segment, column: Column) -> str | None:
        if column == Column.FLAGS and segment.is_flagged:
            lines = [f"[{i.severity}] {i.code}: {i.message}" for i in segment.open_issues]
            lines += [f"needs review: {reason}" for reason in segment.review_reasons]
            return "\n".join(lines)
        if column == Column.FIT and segment.clip is not None:
            clip = segment.clip
            return (
                f"slot {segment.duration:.2f} s, dub {clip.duration:.2f} s, "
                f"raw TTS {clip.raw_duration:.2f} s\n"
                f"speed ×{clip.speed:.2f}, stretch ×{clip.stretch:.2f}, overflow {clip.overflow:.2f} s"
            )
        if column == Column.NUMBER and segment.stale:
            return "Needs re-run: " + ", ".join(segment.stale)
        if column in (Column.ORIGINAL, Column.TRANSLATION):
            return segment.original_text if column == Column.ORIGINAL else segment.translated_text
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        column = COLUMNS[index.column()]
        field = EDITABLE.get(column)
        if role != Qt.ItemDataRole.EditRole or field is None or self.edit_handler is None:
            return False
        segment = self.doc.segments[index.row()]
        current = self._edit_value(index.row(), segment, column)
        if value == current:
            return False
        self.edit_handler(segment.id, field, value)
        return True

    _role_answers: ClassVar[dict[int, Callable[[SegmentTableModel, int, Segment, Column], Any]]] = {
        Qt.ItemDataRole.DisplayRole: _display,
        Qt.ItemDataRole.EditRole: _edit_value,
        SEGMENT_ID_ROLE: lambda _self, _row, segment, _column: segment.id,
        Qt.ItemDataRole.BackgroundRole: _background,
        Qt.ItemDataRole.ToolTipRole: _tooltip,
        Qt.ItemDataRole.TextAlignmentRole: _alignment,
        Qt.ItemDataRole.ForegroundRole: _foreground,
    }

    # ---- change notifications --------------------------------------------------------------------
    def _reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def _rows_changed(self, segment_ids: list[str]) -> None:
        rows = [r for r in (self.doc.row_of(sid) for sid in segment_ids) if r >= 0]
        if not self.doc.segments:
            return
        first, last = (min(rows), max(rows)) if rows else (0, len(self.doc.segments) - 1)
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(Column) - 1))
