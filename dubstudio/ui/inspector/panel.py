"""Edit one segment in full: transcript and translation in multi-line editors, speaker and voice,
the per-segment actions, and the take history (earlier dubs of this segment, any can be picked).

Edits are not applied here: `edit_requested` / `take_requested` go to the main window, which
pushes undoable commands; the panel refreshes from the document's change signals.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dubstudio.core.project import DubClip, Segment
from dubstudio.core.timeline import format_timecode
from dubstudio.ui.document import ProjectDocument
from dubstudio.ui.inspector.memory import MemoryCandidates

Choices = Callable[[], list[tuple[str, str]]]


def _tool_button(parent: QWidget, action: QAction) -> QToolButton:
    button = QToolButton(parent)
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    return button


class SegmentInspector(QWidget):
    edit_requested = Signal(str, str, object)
    #: (segment id, index in clip_history)
    take_requested = Signal(str, int)
    #: play an earlier take: (clip path relative to the project)
    play_take_requested = Signal(str)

    def __init__(
        self,
        doc: ProjectDocument,
        voice_choices: Choices,
        actions: list[QAction],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc = doc
        self.voice_choices = voice_choices
        self.segment_id = ""
        self.heading = QLabel(self)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.stale_label = QLabel(self)
        self.original = QPlainTextEdit(self)
        self.translation = QPlainTextEdit(self)
        for editor in (self.original, self.translation):
            editor.setTabChangesFocus(True)
            editor.setMaximumHeight(74)
        self.original.setPlaceholderText("Transcript (original language)")
        self.translation.setPlaceholderText("Translation (spoken by the dub)")
        self.apply_button = QPushButton(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton), "Apply text", self
        )
        self.apply_button.setToolTip("Apply the edited texts (Ctrl+Return)")
        self.speaker = QComboBox(self)
        self.voice = QComboBox(self)
        self.memory_candidates = MemoryCandidates(self)
        self.takes = QListWidget(self)
        self.takes.setMaximumHeight(110)
        self.use_take = QPushButton("Use this take", self)
        self.play_take = QPushButton(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play take", self
        )

        action_row = QHBoxLayout()
        for action in actions:
            action_row.addWidget(_tool_button(self, action))
        action_row.addStretch(1)
        form = QFormLayout()
        form.addRow("Transcript:", self.original)
        form.addRow("Translation:", self.translation)
        apply_row = QHBoxLayout()
        apply_row.addStretch(1)
        apply_row.addWidget(self.apply_button)
        form.addRow(apply_row)
        form.addRow("Memory:", self.memory_candidates)
        form.addRow("Speaker:", self.speaker)
        form.addRow("Voice:", self.voice)
        take_buttons = QHBoxLayout()
        take_buttons.addWidget(self.play_take)
        take_buttons.addWidget(self.use_take)
        take_buttons.addStretch(1)
        form.addRow("Takes:", self.takes)
        form.addRow(take_buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.heading)
        layout.addWidget(self.stale_label)
        layout.addLayout(action_row)
        layout.addLayout(form)
        layout.addStretch(1)

        self.apply_button.clicked.connect(self.apply_texts)
        QShortcut(
            QKeySequence("Ctrl+Return"),
            self,
            self.apply_texts,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self.speaker.activated.connect(self._speaker_chosen)
        self.voice.activated.connect(self._voice_chosen)
        self.use_take.clicked.connect(self._use_take)
        self.play_take.clicked.connect(self._play_take)
        self.takes.currentRowChanged.connect(lambda _row: self._update_take_buttons())
        doc.selection_changed.connect(self.show_segment)
        doc.segments_changed.connect(self._segments_changed)
        doc.structure_changed.connect(lambda: self.show_segment(doc.selected_id))
        doc.busy_changed.connect(lambda _busy: self.show_segment(self.segment_id))
        self.show_segment("")

    # ---- display -------------------------------------------------------------------------------
    def _segments_changed(self, ids: list[str]) -> None:
        if self.segment_id in ids:
            self.show_segment(self.segment_id)

    def show_segment(self, segment_id: str) -> None:
        self.segment_id = segment_id
        segment = self.doc.segment(segment_id) if segment_id else None
        enabled = segment is not None and not self.doc.busy
        for widget in (
            self.original,
            self.translation,
            self.apply_button,
            self.speaker,
            self.voice,
            self.takes,
        ):
            widget.setEnabled(enabled)
        if segment is None:
            self.heading.setText("<i>No segment selected</i>")
            self.stale_label.clear()
            for editor in (self.original, self.translation):
                editor.setPlainText("")
            self.takes.clear()
            self._update_take_buttons()
            self.memory_candidates.show_segment(None, None)
            return
        row = self.doc.row_of(segment_id)
        self.heading.setText(
            f"<b>#{row + 1}</b> &nbsp; {format_timecode(segment.start)} → {format_timecode(segment.end)}"
            f" &nbsp; ({segment.duration:.2f} s)"
            + (f" &nbsp; confidence {segment.confidence:.2f}" if segment.confidence is not None else "")
        )
        self.stale_label.setText(f"Needs re-run: {', '.join(segment.stale)}" if segment.stale else "")
        if self.original.toPlainText() != segment.original_text:
            self.original.setPlainText(segment.original_text)
        if self.translation.toPlainText() != segment.translated_text:
            self.translation.setPlainText(segment.translated_text)
        self._fill_combos(segment)
        self._fill_takes(segment)
        self.memory_candidates.show_segment(self.doc.project, segment, enabled)

    def _fill_combos(self, segment: Segment) -> None:
        project = self.doc.project
        self.speaker.clear()
        for speaker in project.speakers if project else []:
            self.speaker.addItem(speaker.display_name, speaker.id)
        self.speaker.setCurrentIndex(self.speaker.findData(segment.speaker_id))
        self.voice.clear()
        current = project.voice_for(segment) if project else segment.effective_voice
        for value, label in self.voice_choices():
            self.voice.addItem(label, value)
        if current and self.voice.findData(current) < 0:
            self.voice.addItem(current, current)
        self.voice.setCurrentIndex(self.voice.findData(current))

    @staticmethod
    def _take_label(clip: DubClip, current: bool) -> str:
        prefix = "● current" if current else "earlier"
        return f"{prefix}  {clip.created}  {clip.voice_id}  ×{clip.speed:.2f}  “{clip.text[:40]}”"

    def _fill_takes(self, segment: Segment) -> None:
        self.takes.clear()
        if segment.clip is not None:
            item = QListWidgetItem(self._take_label(segment.clip, True))
            item.setData(Qt.ItemDataRole.UserRole, -1)
            self.takes.addItem(item)
        for index in range(len(segment.clip_history) - 1, -1, -1):
            item = QListWidgetItem(self._take_label(segment.clip_history[index], False))
            item.setData(Qt.ItemDataRole.UserRole, index)
            self.takes.addItem(item)
        self._update_take_buttons()

    def _selected_take(self) -> int | None:
        item = self.takes.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _update_take_buttons(self) -> None:
        take = self._selected_take()
        self.play_take.setEnabled(take is not None)
        self.use_take.setEnabled(take is not None and take >= 0 and not self.doc.busy)

    # ---- edits ---------------------------------------------------------------------------------
    def apply_texts(self) -> None:
        segment = self.doc.segment(self.segment_id) if self.segment_id else None
        if segment is None or self.doc.busy:
            return
        original, translation = self.original.toPlainText().strip(), self.translation.toPlainText().strip()
        if original != segment.original_text:
            self.edit_requested.emit(segment.id, "original_text", original)
        if translation != segment.translated_text:
            self.edit_requested.emit(segment.id, "translated_text", translation)

    def _speaker_chosen(self) -> None:
        segment = self.doc.segment(self.segment_id)
        value = self.speaker.currentData()
        if segment is not None and value and value != segment.speaker_id:
            self.edit_requested.emit(segment.id, "speaker_id", value)

    def _voice_chosen(self) -> None:
        segment = self.doc.segment(self.segment_id)
        value = self.voice.currentData()
        if (
            segment is not None
            and self.doc.project
            and value
            and value != self.doc.project.voice_for(segment)
        ):
            self.edit_requested.emit(segment.id, "voice_override", value)

    def _use_take(self) -> None:
        take = self._selected_take()
        if take is not None and take >= 0:
            self.take_requested.emit(self.segment_id, take)

    def _play_take(self) -> None:
        segment = self.doc.segment(self.segment_id)
        take = self._selected_take()
        if segment is None or take is None:
            return
        clip = segment.clip if take < 0 else segment.clip_history[take]
        if clip is not None:
            self.play_take_requested.emit(clip.path)
