"""The translation memory's candidates for the selected cue, each one click from being applied.

Exact matches (100 %) and close ones (rapidfuzz ratio ≥ the memory's threshold) of the cue's
transcript are listed best first; "Use this translation" (or a double click) asks the main window
to apply the candidate as an undoable edit whose origin says where it came from ("tm 92%").
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dubstudio.core.errors import UserError
from dubstudio.core.project import Project, Segment
from dubstudio.pipeline.translation_memory import Candidate, TranslationMemory


class MemoryCandidates(QWidget):
    #: (segment id, {field: value}) to apply as one edit
    apply_requested = Signal(str, object)

    def __init__(self, parent: QWidget | None = None, memory: TranslationMemory | None = None) -> None:
        super().__init__(parent)
        self.memory = memory
        self.segment_id = ""
        self.candidates: list[Candidate] = []
        self.list = QListWidget(self)
        self.list.setMaximumHeight(96)
        self.list.setWordWrap(True)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.apply_button = QPushButton("Use this translation", self)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(row)
        self.apply_button.clicked.connect(self.apply_selected)
        self.list.itemDoubleClicked.connect(lambda _item: self.apply_selected())
        self.list.currentRowChanged.connect(lambda _row: self._update_button())
        self._update_button()

    def show_segment(self, project: Project | None, segment: Segment | None, enabled: bool = True) -> None:
        """List the memory's matches for the cue's transcript (nothing for a same-language project)."""
        self.segment_id = segment.id if segment is not None else ""
        self.list.clear()
        self.candidates = []
        self.setEnabled(enabled)
        target = project.display_subtitle_language if project else ""
        if segment is None or project is None or not target or target == project.source_language:
            self.status.setText("")
            self._update_button()
            return
        try:
            memory = self.memory or TranslationMemory()
            self.candidates = memory.candidates(segment.original_text, project.source_language, target)
        except UserError as error:
            self.status.setText(error.message)
            self._update_button()
            return
        for candidate in self.candidates:
            kind = "exact" if candidate.exact else f"{candidate.score:.0f} %"
            text = f"{kind}   {candidate.entry.target}"
            if not candidate.exact:
                text += f"\n        for “{candidate.entry.source}”"
            item = QListWidgetItem(text)
            item.setToolTip(
                f"{candidate.entry.source}\n→ {candidate.entry.target}\n"
                f"{candidate.entry.project} · {candidate.entry.created}"
            )
            if candidate.entry.target == segment.translated_text:
                item.setForeground(Qt.GlobalColor.darkGray)
            self.list.addItem(item)
        if self.candidates:
            self.list.setCurrentRow(0)
            self.status.setText(f"{len(self.candidates)} from the translation memory")
        else:
            self.status.setText("No match in the translation memory.")
        self._update_button()

    def _update_button(self) -> None:
        self.apply_button.setEnabled(0 <= self.list.currentRow() < len(self.candidates))

    def apply_selected(self) -> None:
        row = self.list.currentRow()
        if self.segment_id and 0 <= row < len(self.candidates):
            candidate = self.candidates[row]
            changes = {"translated_text": candidate.entry.target, "translation_origin": candidate.origin}
            self.apply_requested.emit(self.segment_id, changes)
