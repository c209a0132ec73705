"""The batch queue as a table: one row per job, refreshed from the controller's records."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

from dubstudio.batch.controller import BatchController, LiveProgress
from dubstudio.batch.state import JobRecord
from dubstudio.pipeline.stage_spec import NOUNS

COLUMNS = ("Job", "Language", "Status", "Progress", "Tries", "Seconds", "Warnings", "Details")
PROGRESS_COLUMN = COLUMNS.index("Progress")
STATUS_COLOURS = {
    "done": "#66bb6a", "failed": "#ef5350", "running": "#42a5f5", "pending": "#9e9e9e",
    "cancelled": "#ffa726",
}  # fmt: skip
#: how a job's stage reads in the table
STAGE_NAMES = NOUNS
#: the role the progress delegate reads: the job's progress 0–1, or None (no bar)
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1


class BatchTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.controller: BatchController | None = None
        self.keys: list[str] = []

    def set_controller(self, controller: BatchController | None) -> None:
        self.beginResetModel()
        self.controller = controller
        self.keys = [job.key for job in controller.jobs] if controller else []
        self.endResetModel()

    def refresh(self, job: JobRecord | None = None) -> None:
        """One job's row (appended when new), or every row."""
        if self.controller is None:
            return
        keys = [record.key for record in self.controller.jobs]
        if keys != self.keys or job is None or job.key not in self.keys:
            if keys[: len(self.keys)] == self.keys and len(keys) > len(self.keys):
                self.beginInsertRows(QModelIndex(), len(self.keys), len(keys) - 1)
                self.keys = keys
                self.endInsertRows()
            elif keys != self.keys:
                self.set_controller(self.controller)
            self.dataChanged.emit(self.index(0, 0), self.index(max(0, len(self.keys) - 1), len(COLUMNS) - 1))
            return
        row = self.keys.index(job.key)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def job(self, row: int) -> JobRecord | None:
        if self.controller is None or not 0 <= row < len(self.keys):
            return None
        return self.controller.state.jobs.get(self.keys[row])

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.keys)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        job = self.job(index.row())
        if job is None or self.controller is None:
            return None
        live = self.controller.live.get(job.key)
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(job, live, column)
        if role == PROGRESS_ROLE and column == "Progress":
            if job.status == "done":
                return 1.0
            return live.overall if live is not None else None
        if role == Qt.ItemDataRole.ForegroundRole and column == "Status":
            return QColor(STATUS_COLOURS.get(job.status, "#9e9e9e"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return job.reason or str(job.media)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("Tries", "Seconds"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _text(job: JobRecord, live: LiveProgress | None, column: str) -> str:
    if column == "Job":
        return job.name
    if column == "Language":
        return job.language
    if column == "Status":
        return job.status
    if column == "Progress":
        if live is None:
            return ""
        stage = STAGE_NAMES.get(live.stage, live.stage) or live.message
        return f"{stage} {round(100 * live.fraction)} %" if live.stage else stage
    if column == "Tries":
        return str(len(job.attempts)) if job.attempts else ""
    if column == "Seconds":
        return f"{job.summary.elapsed:.1f}" if job.status == "done" else ""
    if column == "Warnings":
        return ", ".join(
            f"{code} {count}" for code, count in {**job.summary.errors, **job.summary.warnings}.items()
        )
    if job.status == "failed":
        return job.reason
    if job.status == "running":
        return job.worker
    return str(job.project_dir) if job.status == "done" else str(job.media)


class ProgressDelegate(QStyledItemDelegate):
    """A progress bar with the stage as its text, for the Progress column."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        fraction = index.data(PROGRESS_ROLE)
        if fraction is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(option.rect).adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = round(1000 * float(fraction))
        bar.text = index.data(Qt.ItemDataRole.DisplayRole) or f"{round(100 * float(fraction))} %"
        bar.textVisible = True
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)
