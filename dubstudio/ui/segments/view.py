"""The segment table view: filter bar on top, rows synced with the document's selection."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from dubstudio.ui.document import ProjectDocument
from dubstudio.ui.segments.delegates import Choices, ComboDelegate
from dubstudio.ui.segments.model import SEGMENT_ID_ROLE, Column, SegmentTableModel
from dubstudio.ui.segments.proxy import ALL, FLAGGED, SPEAKER_PREFIX, STALE, SegmentFilterProxy

_WIDTHS = {
    Column.NUMBER: 52,
    Column.START: 104,
    Column.END: 104,
    Column.SPEAKER: 96,
    Column.ORIGINAL: 300,
    Column.TRANSLATION: 300,
    Column.VOICE: 150,
    Column.CPS: 50,
    Column.FIT: 120,
    Column.FLAGS: 180,
    Column.ORIGIN: 170,
}


class SegmentTableView(QWidget):
    """Table + filter; emits `segment_activated` when the user picks a row (click or keyboard)."""

    segment_activated = Signal(str)

    def __init__(self, doc: ProjectDocument, voice_choices: Choices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.model = SegmentTableModel(doc, self)
        self.proxy = SegmentFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        for column, width in _WIDTHS.items():
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(Column.TRANSLATION, QHeaderView.ResizeMode.Stretch)
        self.table.setItemDelegateForColumn(Column.SPEAKER, ComboDelegate(self._speaker_choices, self.table))
        self.table.setItemDelegateForColumn(Column.VOICE, ComboDelegate(voice_choices, self.table))

        self.filter_combo = QComboBox(self)
        self.filter_combo.setMinimumWidth(170)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search text…")
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel(self)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(QLabel("Show:"))
        bar.addWidget(self.filter_combo)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.table)

        self.filter_combo.currentIndexChanged.connect(self._filter_changed)
        self.search.textChanged.connect(self._search_changed)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        doc.selection_changed.connect(self.show_segment)
        doc.structure_changed.connect(self._refresh_filters)
        doc.segments_changed.connect(lambda _ids: self._update_count())
        self._refresh_filters()

    # ---- filter --------------------------------------------------------------------------------
    def _speaker_choices(self) -> list[tuple[str, str]]:
        project = self.doc.project
        return [(s.id, s.display_name) for s in project.speakers] if project else []

    def _refresh_filters(self) -> None:
        current = self.filter_combo.currentData() or ALL
        self.filter_combo.blockSignals(True)
        self.filter_combo.clear()
        self.filter_combo.addItem("All segments", ALL)
        self.filter_combo.addItem("Flagged for review", FLAGGED)
        self.filter_combo.addItem("Needing a re-run", STALE)
        for speaker_id, label in self._speaker_choices():
            self.filter_combo.addItem(f"Speaker: {label}", SPEAKER_PREFIX + speaker_id)
        self.filter_combo.setCurrentIndex(max(0, self.filter_combo.findData(current)))
        self.filter_combo.blockSignals(False)
        self.proxy.set_mode(self.filter_combo.currentData())
        self._update_count()
        self.show_segment(self.doc.selected_id)

    def set_filter(self, mode: str) -> None:
        self.filter_combo.setCurrentIndex(max(0, self.filter_combo.findData(mode)))

    def _filter_changed(self) -> None:
        self.proxy.set_mode(self.filter_combo.currentData() or ALL)
        self._update_count()
        self.show_segment(self.doc.selected_id)

    def _search_changed(self, text: str) -> None:
        self.proxy.set_search(text)
        self._update_count()

    def _update_count(self) -> None:
        self.count_label.setText(f"{self.proxy.rowCount()} of {self.model.rowCount()}")

    # ---- selection -----------------------------------------------------------------------------
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            segment_id = current.data(SEGMENT_ID_ROLE)
            if segment_id != self.doc.selected_id:
                self.doc.select(segment_id)
                self.segment_activated.emit(segment_id)

    def show_segment(self, segment_id: str) -> None:
        """Select and scroll to a segment's row (if it passes the filter)."""
        row = self.doc.row_of(segment_id) if segment_id else -1
        if row < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(row, Column.NUMBER))
        if not index.isValid():
            return
        if self.table.currentIndex().row() != index.row():
            self.table.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def edit_cell(self, segment_id: str, column: Column) -> None:
        row = self.doc.row_of(segment_id)
        index = self.proxy.mapFromSource(self.model.index(row, column))
        if index.isValid():
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            self.table.edit(index)
