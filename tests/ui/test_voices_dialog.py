"""The Voices dialog on a real window and project: name, confirm, reject (undoable), and the library
operations; the voice column's tooltip tells why a voice was chosen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from dubstudio.core.voice_library import VoiceLibrary
from dubstudio.pipeline.library_match import EMBEDDING_MODEL, propose_from_library
from dubstudio.ui.dialogs.voices import VoicesDialog
from dubstudio.ui.segments.model import Column

pytestmark = pytest.mark.gui


def _vector(seed: int) -> list[float]:
    vector = np.random.default_rng(seed).standard_normal(192)
    return list(vector / np.linalg.norm(vector))


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> VoiceLibrary:
    monkeypatch.setenv("DUBSTUDIO_VOICE_LIBRARY", str(tmp_path / "voice_library.sqlite"))
    return VoiceLibrary()


@pytest.fixture
def dialog(window, library, qtbot) -> VoicesDialog:
    project = window.doc.project
    for index, speaker in enumerate(project.speakers):
        speaker.embedding = _vector(index)
        speaker.label = ""
    library.remember("Maya", embedding=project.speakers[1].embedding, model=EMBEDDING_MODEL,
                     gender="female", language="es", voice="kokoro:ef_dora")  # fmt: skip
    propose_from_library(project, library)
    dialog = VoicesDialog(window.doc, window.undo_stack, library, window)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _row_texts(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_name_a_speaker_and_undo(window, dialog, library) -> None:
    dialog.select_speaker("S1")
    dialog.name_speaker("Diane")
    speaker = window.doc.project.speaker("S1")
    assert (speaker.label, speaker.library_status) == ("Diane", "confirmed")
    assert {p.name for p in library.people()} == {"Maya", "Diane"}
    assert "Diane ✓" in _row_texts(dialog.speakers)[0]
    assert all("voiceMatching" in s.stale for s in window.doc.segments if s.speaker_id == "S1")
    window.undo_stack.undo()
    assert window.doc.project.speaker("S1").label == ""
    assert not any("voiceMatching" in s.stale for s in window.doc.segments if s.speaker_id == "S1")


def test_confirm_and_reject_the_librarys_proposal(window, dialog, library) -> None:
    proposed = window.doc.project.speaker("S2")
    assert (proposed.label, proposed.library_status) == ("Maya", "proposed")
    dialog.select_speaker("S2")
    assert dialog.confirm_button.isEnabled() and dialog.reject_button.isEnabled()
    assert "sounds like Maya (similarity 1.00): confirm?" in _row_texts(dialog.speakers)[1]
    dialog.reject_button.click()
    rejected = window.doc.project.speaker("S2")
    assert (rejected.label, rejected.library_status, rejected.library_rejected) == (
        "", "rejected", [library.find("Maya").id]
    )  # fmt: skip
    window.undo_stack.undo()
    dialog.refresh()
    dialog.select_speaker("S2")
    dialog.confirm_button.click()
    assert window.doc.project.speaker("S2").library_status == "confirmed"
    assert library.find("Maya").embeddings == 1  # the same embedding is not stored twice


def test_library_rename_merge_delete_export_import(dialog, library, tmp_path) -> None:
    other = library.remember("Daniel", embedding=_vector(7), model=EMBEDDING_MODEL)
    dialog.refresh()
    names = [row[0] for row in _row_texts(dialog.entries)]
    assert names == ["Daniel", "Maya"]
    dialog.select_entries([other])
    dialog.rename_entry("Dan")
    assert library.person(other).name == "Dan"
    export = tmp_path / "all.dsvoices"
    dialog.entries.clearSelection()
    dialog.export_entries(export)
    assert export.is_file() and "Exported 2" in dialog.status.text()
    everyone = [p.id for p in library.people()]
    dialog.select_entries(everyone)
    dialog.merge_entries()
    assert len(library.people()) == 1
    dialog.select_entries(everyone)
    dialog.delete_entries(ask=False)
    assert library.people() == []
    dialog.import_entries(export)
    assert sorted(p.name for p in library.people()) == ["Dan", "Maya"]


def test_the_voice_column_tooltip_says_why(window) -> None:
    project = window.doc.project
    speaker = project.speaker("S1")
    speaker.voice_reason = "ef_dora: a native Spanish voice, female; understood at round-trip WER 0.04"
    speaker.gender_evidence = "pitch 203 Hz, short vocal tract (formant spacing 1050 Hz)"
    model = window.table.model
    row = next(i for i, s in enumerate(window.doc.segments) if s.speaker_id == "S1")
    tooltip = model.data(model.index(row, Column.VOICE), Qt.ItemDataRole.ToolTipRole)
    assert "a native Spanish voice" in tooltip and "WER 0.04" in tooltip and "vocal tract" in tooltip
    window.doc.segments[row].voice_override = "kokoro:em_alex"
    assert "Chosen by you" in model.data(model.index(row, Column.VOICE), Qt.ItemDataRole.ToolTipRole)


def test_the_window_opens_the_dialog_from_its_action_and_the_inspector(window, qtbot, monkeypatch) -> None:
    opened = []
    monkeypatch.setattr(VoicesDialog, "exec", lambda self: opened.append(self.speakers.rowCount()) or 0)
    window.actions_by_key["voices"].trigger()
    window.doc.select(window.doc.segments[0].id)
    window.inspector.name_speaker.click()
    assert opened == [2, 2]
