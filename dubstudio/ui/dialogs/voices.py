"""The Voices dialog: this project's speakers and the user's voice library.

Top: the project's speakers — name one ("Maya") to keep them in the library with their voice,
confirm or reject what the library proposes ("sounds like Maya, similarity 0.81"). Those changes
to the project are undoable commands (Ctrl+Z) that mark the speaker's cues for voice matching
again; the library itself is a database shared with other projects and processes, changed at once.
Bottom: the library — rename, merge two entries that are one person, delete, export, import.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dubstudio.core.errors import UserError
from dubstudio.core.project import Project, Speaker
from dubstudio.core.voice_library import EXPORT_SUFFIX, Person, VoiceLibrary
from dubstudio.pipeline.library_match import confirm_proposal, reject_proposal, remember_speaker
from dubstudio.ui.dialogs.error import show_error
from dubstudio.ui.document import ProjectDocument

SPEAKER_COLUMNS = ("Speaker", "Name", "Voice library", "Voice", "Why this voice")
LIBRARY_COLUMNS = ("Name", "Gender", "Voices", "Heard in", "Clip")


def library_status_text(speaker: Speaker, people: dict[str, Person]) -> str:
    person = people.get(speaker.library_id)
    if speaker.library_status == "proposed" and person is not None:
        return f"sounds like {person.name} (similarity {speaker.library_similarity or 0:.2f}): confirm?"
    if speaker.library_status == "confirmed" and person is not None:
        return f"{person.name} ✓"
    if speaker.library_status == "rejected":
        return "not in the library (proposal rejected)"
    return "not in the library"


class SpeakersCommand(QUndoCommand):
    """Replace the project's speakers (names, library links); the changed speakers' cues are
    marked for voice matching again. Undo restores both."""

    def __init__(self, doc: ProjectDocument, speakers: list[Speaker], text: str) -> None:
        super().__init__(text)
        assert doc.project is not None
        self.doc = doc
        self.old = copy.deepcopy(doc.project.speakers)
        self.new = copy.deepcopy(speakers)
        changed = {new.id for old, new in zip(self.old, self.new, strict=True) if old != new}
        self.segment_ids = [s.id for s in doc.project.segments if s.speaker_id in changed]
        self.old_stale = {s.id: list(s.stale) for s in doc.project.segments if s.id in self.segment_ids}

    def redo(self) -> None:
        project = self.doc.project
        assert project is not None
        project.speakers = copy.deepcopy(self.new)
        for segment in project.segments:
            if segment.id in self.old_stale:
                project.mark_stale(segment, "voiceMatching")
        self.doc.notify_structure()

    def undo(self) -> None:
        project = self.doc.project
        assert project is not None
        project.speakers = copy.deepcopy(self.old)
        for segment in project.segments:
            if segment.id in self.old_stale:
                segment.stale = list(self.old_stale[segment.id])
        self.doc.notify_structure()


class VoicesDialog(QDialog):
    def __init__(
        self,
        doc: ProjectDocument,
        undo_stack: QUndoStack,
        library: VoiceLibrary | None = None,
        parent: QWidget | None = None,
        *,
        speaker_id: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Voices")
        self.resize(1100, 620)
        self.doc, self.undo_stack = doc, undo_stack
        self.library = library or VoiceLibrary()
        self.people: list[Person] = []

        self.speakers = self._table(SPEAKER_COLUMNS)
        self.speakers.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.name_button = QPushButton("Name speaker…", self)
        self.confirm_button = QPushButton("Confirm", self)
        self.reject_button = QPushButton("Reject", self)
        self.name_button.setToolTip("Keep this speaker in the voice library under a name, with their voice")
        self.confirm_button.setToolTip("The library is right: this is that person (their voice is kept)")
        self.reject_button.setToolTip("This is someone else: drop the proposed name and voice")
        project_box = QGroupBox("Speakers in this project", self)
        project_layout = QVBoxLayout(project_box)
        project_layout.addWidget(self.speakers)
        project_layout.addLayout(self._row(self.name_button, self.confirm_button, self.reject_button))

        self.entries = self._table(LIBRARY_COLUMNS)
        self.entries.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.entries.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.rename_button = QPushButton("Rename…", self)
        self.merge_button = QPushButton("Merge", self)
        self.delete_button = QPushButton("Delete", self)
        self.export_button = QPushButton("Export…", self)
        self.import_button = QPushButton("Import…", self)
        self.merge_button.setToolTip(
            "Two entries are one person: keep the first selected, add the other's voices"
        )
        library_box = QGroupBox(f"Voice library ({self.library.path})", self)
        library_layout = QVBoxLayout(library_box)
        library_layout.addWidget(self.entries)
        library_layout.addLayout(
            self._row(self.rename_button, self.merge_button, self.delete_button, None, self.import_button,
                      self.export_button)
        )  # fmt: skip
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(project_box, 3)
        layout.addWidget(library_box, 2)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

        self.name_button.clicked.connect(self.name_speaker)
        self.confirm_button.clicked.connect(lambda: self._answer(confirm=True))
        self.reject_button.clicked.connect(lambda: self._answer(confirm=False))
        self.rename_button.clicked.connect(self.rename_entry)
        self.merge_button.clicked.connect(self.merge_entries)
        self.delete_button.clicked.connect(self.delete_entries)
        self.export_button.clicked.connect(self.export_entries)
        self.import_button.clicked.connect(self.import_entries)
        self.speakers.itemSelectionChanged.connect(self._update_buttons)
        self.entries.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()
        if speaker_id:
            self.select_speaker(speaker_id)

    # ---- layout helpers --------------------------------------------------------------------------
    def _table(self, columns: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(columns), self)
        table.setHorizontalHeaderLabels(columns)
        table.verticalHeader().setVisible(False)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return table

    def _row(self, *widgets: QWidget | None) -> QHBoxLayout:
        row = QHBoxLayout()
        for widget in widgets:
            if widget is None:
                row.addStretch(1)
            else:
                row.addWidget(widget)
        if widgets[-1] is not None:
            row.addStretch(1)
        return row

    # ---- display ---------------------------------------------------------------------------------
    @property
    def project(self) -> Project | None:
        return self.doc.project

    def refresh(self) -> None:
        try:
            self.people = self.library.people()
        except UserError as error:
            self.people = []
            self.status.setText(error.message)
        by_id = {p.id: p for p in self.people}
        speakers = self.project.speakers if self.project else []
        self.speakers.setRowCount(len(speakers))
        for row, speaker in enumerate(speakers):
            cells = (
                speaker.id,
                speaker.label or "—",
                library_status_text(speaker, by_id),
                speaker.effective_voice or "—",
                speaker.voice_reason or ("chosen by you" if speaker.voice_override else ""),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, speaker.id)
                if column == 4:
                    item.setToolTip(text)
                self.speakers.setItem(row, column, item)
        self.entries.setRowCount(len(self.people))
        for row, person in enumerate(self.people):
            voices = ", ".join(f"{language}: {voice}" for language, voice in sorted(person.voices.items()))
            cells = (
                person.name,
                person.gender,
                voices or "—",
                f"{person.embeddings} project(s)",
                f"{person.clip_seconds:.1f} s" if person.clip_seconds else "—",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, person.id)
                self.entries.setItem(row, column, item)
        self._update_buttons()

    def select_speaker(self, speaker_id: str) -> None:
        self._select(self.speakers, [speaker_id])

    def select_entries(self, person_ids: list[str]) -> None:
        self._select(self.entries, person_ids)

    @staticmethod
    def _select(table: QTableWidget, ids: list[str]) -> None:
        """Select exactly these rows (not `selectRow`, which toggles while a modifier key is down)."""
        model = table.selectionModel()
        model.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in range(table.rowCount()):
            if table.item(row, 0).data(Qt.ItemDataRole.UserRole) in ids:
                model.select(table.model().index(row, 0), flags)

    def _selected(self, table: QTableWidget) -> list[str]:
        rows = sorted({index.row() for index in table.selectionModel().selectedRows()})
        return [table.item(row, 0).data(Qt.ItemDataRole.UserRole) for row in rows]

    def _selected_speaker(self) -> Speaker | None:
        ids = self._selected(self.speakers)
        return self.project.speaker(ids[0]) if ids and self.project else None

    def _update_buttons(self) -> None:
        speaker = self._selected_speaker()
        editable = speaker is not None and not self.doc.busy and self.doc.project_dir is not None
        proposed = editable and speaker is not None and speaker.library_status == "proposed"
        self.name_button.setEnabled(editable)
        self.confirm_button.setEnabled(proposed)
        self.reject_button.setEnabled(proposed)
        entries = self._selected(self.entries)
        self.rename_button.setEnabled(len(entries) == 1)
        self.merge_button.setEnabled(len(entries) == 2)
        self.delete_button.setEnabled(bool(entries))
        if self.doc.busy:
            self.status.setText("Speakers can be named once the running job has finished.")

    # ---- project speakers --------------------------------------------------------------------------
    def _change_speakers(self, text: str, change: Callable[[Project], object]) -> None:
        """Run `change` on a copy of the project's speakers and push the result as one undo step."""
        project = self.project
        assert project is not None and self.doc.project_dir is not None
        trial = dataclasses.replace(project, speakers=copy.deepcopy(project.speakers))
        try:
            change(trial)
        except UserError as error:
            show_error(self, error, title="Voice library")
            return
        self.undo_stack.push(SpeakersCommand(self.doc, trial.speakers, text))
        self.refresh()

    def name_speaker(self, name: str = "") -> None:
        speaker = self._selected_speaker()
        if speaker is None:
            return
        if not name:
            known = [p.name for p in self.people]
            name, accepted = QInputDialog.getItem(
                self,
                "Name speaker",
                f"Who is {speaker.display_name}? (a name already in the library joins that person)",
                [speaker.label, *[n for n in known if n != speaker.label]]
                if speaker.label
                else known or [""],
                0,
                True,
            )
            if not accepted or not name.strip():
                return
        folder = self.doc.project_dir
        self._change_speakers(
            f"Name speaker {speaker.id} '{name.strip()}'",
            lambda trial: remember_speaker(trial, folder, speaker.id, name, self.library),
        )
        voice = speaker.effective_voice or "no voice yet"
        self.status.setText(f"{speaker.id} is {name.strip()} in the voice library, with {voice}.")

    def _answer(self, *, confirm: bool) -> None:
        speaker = self._selected_speaker()
        if speaker is None:
            return
        folder = self.doc.project_dir
        if confirm:
            self._change_speakers(
                f"Confirm speaker {speaker.id}",
                lambda trial: confirm_proposal(trial, folder, speaker.id, self.library),
            )
        else:
            self._change_speakers(
                f"Reject the library's proposal for {speaker.id}",
                lambda trial: reject_proposal(trial, speaker.id, self.library),
            )
            self.status.setText("Rejected: run the pipeline (F5) to match a voice for this speaker again.")

    # ---- the library -------------------------------------------------------------------------------
    def _library_call(self, call: Callable[[], object]) -> None:
        try:
            call()
        except UserError as error:
            show_error(self, error, title="Voice library")
        self.refresh()

    def rename_entry(self, name: str = "") -> None:
        ids = self._selected(self.entries)
        if len(ids) != 1:
            return
        person = next(p for p in self.people if p.id == ids[0])
        if not name:
            name, accepted = QInputDialog.getText(self, "Rename", "New name:", text=person.name)
            if not accepted:
                return
        self._library_call(lambda: self.library.rename(person.id, name))

    def merge_entries(self) -> None:
        ids = self._selected(self.entries)
        if len(ids) == 2:
            self._library_call(lambda: self.library.merge(ids[0], ids[1]))

    def delete_entries(self, *, ask: bool = True) -> None:
        ids = self._selected(self.entries)
        if not ids:
            return
        names = ", ".join(p.name for p in self.people if p.id in ids)
        if ask and (
            QMessageBox.question(self, "Delete", f"Delete {names} from the voice library?")
            != QMessageBox.StandardButton.Yes
        ):
            return
        self._library_call(lambda: [self.library.delete(person_id) for person_id in ids])

    def export_entries(self, target: Path | None = None) -> None:
        if target is None:
            chosen, _filter = QFileDialog.getSaveFileName(
                self, "Export voices", f"voices{EXPORT_SUFFIX}", f"Voice library (*{EXPORT_SUFFIX})"
            )
            if not chosen:
                return
            target = Path(chosen)
        ids = self._selected(self.entries) or None
        self._library_call(
            lambda: self.status.setText(f"Exported {self.library.export(target, ids)} to {target}")
        )

    def import_entries(self, source: Path | None = None) -> None:
        if source is None:
            chosen, _filter = QFileDialog.getOpenFileName(
                self, "Import voices", "", f"Voice library (*{EXPORT_SUFFIX})"
            )
            if not chosen:
                return
            source = Path(chosen)
        self._library_call(
            lambda: self.status.setText(f"Imported {self.library.import_file(source)} from {source}")
        )
