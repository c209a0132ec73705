"""The paths a user takes through the editor, driven as the user drives them: shortcuts as key
events, menu actions by their text, clicks in the table and the inspector, and the modal dialogs
(export, new project, settings, models, unsaved changes) answered through their widgets.

Only what the window shows is asserted (the project in the document and on disk, the views, the
player), never how the window is built (tests/ui/editor_driver.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import soundfile as sf
from editor_driver import (
    JOB_TIMEOUT_MS,
    Dialogs,
    action,
    activate,
    button,
    choose,
    click,
    labelled,
    line_edit,
    message_button,
    press,
    type_into,
)
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QTableView,
    QTableWidget,
)
from suite_timeouts import scaled_ms

from dubstudio.core import store
from dubstudio.ui.player import AudioSource
from dubstudio.ui.progress import JobProgressBar

pytestmark = pytest.mark.gui


def click_row(window, row: int) -> None:
    """Click a cue's row in the segment table (its first column)."""
    view = window.table.findChild(QTableView)
    rect = view.visualRect(view.model().index(row, 0))
    QTest.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center()
    )


def edit_in_inspector(window, label: str, text: str) -> None:
    """Type `text` into the inspector's editor `label` ("Transcript:", "Translation:"), press Apply.

    QTest types ASCII only (other characters abort Qt), so the typed texts are ASCII."""
    window.side_tabs.setCurrentWidget(window.inspector)
    editor = labelled(window.inspector, label)
    assert isinstance(editor, QPlainTextEdit)
    editor.setFocus()
    editor.selectAll()
    QTest.keyClick(editor, Qt.Key.Key_Delete)
    QTest.keyClicks(editor, text)
    button(window.inspector, "Apply text").click()


# ---- keyboard ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_ignore_an_issue_with_its_shortcut_and_undo(window, qtbot):
    activate(window, qtbot)
    open_issues = window.review.open_issue_count()
    press(window, "F8")
    flagged = window.doc.selected
    assert flagged is not None and flagged.is_flagged
    qtbot.waitUntil(lambda: window.review.current_issue() is not None, timeout=scaled_ms(3000))
    issue = window.review.current_issue()
    press(window, "Ctrl+I")
    assert issue.status == "ignored"
    qtbot.waitUntil(lambda: window.review.open_issue_count() == open_issues - 1, timeout=scaled_ms(3000))
    press(window, "Ctrl+Z")
    assert issue.status == "open"
    qtbot.waitUntil(lambda: window.review.open_issue_count() == open_issues, timeout=scaled_ms(3000))


@pytest.mark.slow
def test_split_merge_and_undo_with_their_shortcuts(window, qtbot):
    activate(window, qtbot)
    click_row(window, 7)
    original = window.doc.selected
    assert original.id == "seg-007"
    text = original.original_text
    press(window, "Ctrl+B")
    assert len(window.doc.segments) == 14
    first, second = window.doc.segments[7], window.doc.segments[8]
    assert f"{first.original_text} {second.original_text}" == text and first.end == second.start
    click_row(window, 7)
    press(window, "Ctrl+M")
    assert len(window.doc.segments) == 13 and window.doc.segments[7].original_text == text
    press(window, "Ctrl+Z")
    assert len(window.doc.segments) == 14
    press(window, "Ctrl+Z")
    assert len(window.doc.segments) == 13
    assert window.doc.segments[7].original_text == text and window.doc.segments[7].clip is not None
    assert not window.doc.dirty


# ---- playback ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_play_original_stops_at_the_end_of_the_cue(window, qtbot):
    activate(window, qtbot)
    click_row(window, 7)
    cue = window.doc.selected
    press(window, "Ctrl+Space")
    qtbot.waitUntil(window.player.is_playing, timeout=scaled_ms(3000))
    assert window.player.source == AudioSource.ORIGINAL
    with qtbot.waitSignal(
        window.player.playing_changed, timeout=scaled_ms(cue.duration * 1000 + 8000)
    ) as stopped:
        pass
    assert stopped.args == [False]
    # stopped by the range, not by the end of the media: within the 30 ms poll and VLC's clock step
    assert cue.end - 0.05 <= window.player.position() <= cue.end + 0.35, (window.player.position(), cue.end)


@pytest.mark.slow
def test_switching_between_original_dub_and_mix(window, qtbot, project_dir):
    activate(window, qtbot)
    press(window, "Ctrl+2")  # no dub audio yet: the original stays and the window says why
    assert window.player.source == AudioSource.ORIGINAL
    assert "No dub audio yet" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
        press(window, "F6")
    sources = window.player_panel.findChild(QComboBox)
    assert [sources.itemText(i) for i in range(sources.count())] == ["Original audio", "Dub", "Mix"]
    assert window.player.source == AudioSource.DUB and sources.currentText() == "Dub"
    assert window.player.tracks[AudioSource.DUB] == project_dir / "cache" / "preview" / "dub.wav"
    press(window, "Ctrl+3")
    assert window.player.source == AudioSource.MIX and sources.currentText() == "Mix"
    press(window, "Ctrl+1")
    assert window.player.source == AudioSource.ORIGINAL and sources.currentText() == "Original audio"
    choose(sources, "Dub")  # the transport bar's own choice
    assert window.player.source == AudioSource.DUB
    click_row(window, 2)
    press(window, "Ctrl+Space")  # playing a cue's original switches back to the original sound
    assert window.player.source == AudioSource.ORIGINAL and sources.currentText() == "Original audio"


# ---- unsaved changes ---------------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "closes", "saved"), [("Save", True, True), ("Discard", True, False),
                                                          ("Cancel", False, False)])  # fmt: skip
@pytest.mark.slow
def test_closing_with_unsaved_changes_asks(window, qtbot, project_dir, answer, closes, saved):
    click_row(window, 0)
    edit_in_inspector(window, "Translation:", "Hola, quien habla?")
    assert window.doc.dirty and "•" in window.windowTitle()
    dialogs = Dialogs()
    question = dialogs.expect("Unsaved changes", message_button(getattr(QMessageBox.StandardButton, answer)))
    window.close()
    dialogs.done(qtbot)
    assert project_dir.name in question["text"]
    assert window.isVisible() is not closes
    on_disk = store.load_project(project_dir).segments[0].translated_text
    assert (on_disk == "Hola, quien habla?") is saved
    if not closes:
        assert window.doc.dirty and window.doc.segment("seg-000").translated_text == "Hola, quien habla?"


# ---- dialogs -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_export_through_its_dialog(window, qtbot, tmp_path):
    window.quiet_dialogs = False  # the user sees the result dialog
    out = tmp_path / "delivery"
    dialogs = Dialogs()

    def fill(dialog) -> None:
        type_into(labelled(dialog, "Export to:"), str(out))
        click("Export")(dialog)

    dialogs.expect("Export", fill)
    listed = dialogs.expect("Export finished", click("Close"))
    press_export = action(window, "Export…")
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
        press_export.trigger()
    dialogs.done(qtbot)
    assert f"files written to {out}" in listed["text"]
    for name in ("source.srt", "target.srt", "dub.wav", "mix.wav", "call.dubbed.mp4", "exports/mix.mp3"):
        assert (out / name).is_file(), name
    source = sf.info(str(window.doc.project_dir / "audio" / "mix.wav"))
    assert sf.info(str(out / "dub.wav")).frames == source.frames


def test_settings_through_their_dialog(window, qtbot, app_settings):
    dialogs = Dialogs()

    def change(dialog) -> None:
        spin = labelled(dialog, "Autosave every:")
        assert isinstance(spin, QSpinBox)
        spin.setFocus()
        spin.selectAll()
        QTest.keyClicks(spin, "5")
        choose(labelled(dialog, "Default dub language:"), "French")
        click("OK")(dialog)

    dialogs.expect("Settings", change)
    action(window, "Settings…").trigger()
    dialogs.done(qtbot)
    assert app_settings.autosave_seconds == 5
    assert app_settings.text("defaults/target_language") == "fr"
    assert window.autosave_timer.isActive() and window.autosave_timer.interval() == 5000

    seen = Dialogs()
    shown: dict[str, str] = {}

    def look(dialog) -> None:
        shown["dub"] = labelled(dialog, "Dub into:").currentText()
        click("Cancel")(dialog)

    seen.expect("New dubbing project", look)
    action(window, "New project…").trigger()
    seen.done(qtbot)
    assert shown["dub"].startswith("French")  # the new default


@pytest.mark.slow
def test_model_manager_lists_and_verifies_the_installed_models(window, qtbot, suite_models):
    dialogs = Dialogs()
    rows: dict[str, str] = {}

    def verify_whisper(dialog) -> None:
        table = dialog.findChild(QTableWidget)
        for row in range(table.rowCount()):
            rows[table.item(row, 0).text().removesuffix(" (default)")] = table.item(row, 2).text()
        row = next(r for r in range(table.rowCount()) if table.item(r, 0).text().startswith("whisper-base "))
        table.selectRow(row)
        click("Verify")(dialog)

    dialogs.expect("Models", verify_whisper)
    result = dialogs.expect("Verify", click("OK"))
    dialogs.expect("Models", click("Close"))  # the manager stays open after the result: close it
    action(window, "Models…").trigger()
    dialogs.done(qtbot, timeout_ms=60_000)
    for model_id in ("whisper-base", "pyannote-segmentation-3.0", "campplus-sv-zh-en", "kokoro-82m-int8"):
        assert rows[model_id] == "installed", rows
    assert rows["piper-joe-en"] == "not installed"
    assert result["text"].strip().startswith("OK")


# ---- jobs the user starts ------------------------------------------------------------------------


@pytest.mark.slow
def test_retranslate_one_cue_and_undo(make_window, qtbot, finished_copy, engines):
    window = make_window(engines=engines)
    assert window.open_project(finished_copy)
    activate(window, qtbot)
    click_row(window, 4)
    cue = window.doc.selected
    before = {s.id: (s.translated_text, s.clip.path) for s in window.doc.segments}
    edit_in_inspector(window, "Transcript:", "My dog is very old.")
    assert cue.id == window.doc.selected_id and "translation" in window.doc.selected.stale
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
        press(window, "Ctrl+Shift+R")
    assert window.jobs.last_failure is None
    redone = window.doc.segment(cue.id)
    assert "perro" in redone.translated_text.lower() and redone.tts_text == redone.translated_text
    assert redone.clip.path != before[cue.id][1] and redone.stale == []
    for segment in window.doc.segments:
        if segment.id != cue.id:
            assert (segment.translated_text, segment.clip.path) == before[segment.id]
    press(window, "Ctrl+Z")  # the re-translation
    assert window.doc.segment(cue.id).translated_text == before[cue.id][0]
    assert window.doc.segment(cue.id).original_text == "My dog is very old."
    press(window, "Ctrl+Z")  # the transcript edit
    assert window.doc.segment(cue.id).original_text != "My dog is very old."


@pytest.mark.slow
def test_speaker_and_voice_chosen_in_the_inspector(make_window, qtbot, finished_copy, engines):
    window = make_window(engines=engines)
    assert window.open_project(finished_copy)
    activate(window, qtbot)
    click_row(window, 1)
    cue = window.doc.selected
    inspector = window.inspector
    window.side_tabs.setCurrentWidget(inspector)
    speaker = labelled(inspector, "Speaker:")
    other = next(s for s in window.doc.project.speakers if s.id != cue.speaker_id)
    old_speaker = cue.speaker_id
    choose(speaker, other.display_name)
    assert window.doc.segment(cue.id).speaker_id == other.id
    press(window, "Ctrl+Z")
    assert window.doc.segment(cue.id).speaker_id == old_speaker

    voice = labelled(inspector, "Voice:")
    qtbot.waitUntil(lambda: any(voice.itemText(i).startswith("es+m3 ") for i in range(voice.count())),
                    timeout=scaled_ms(30_000))  # fmt: skip
    choose(voice, "es+m3 ")
    chosen = window.doc.segment(cue.id)
    assert chosen.voice_override == "espeak:es+m3" and "synthesis" in chosen.stale
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
        press(window, "Ctrl+Shift+Y")
    assert window.jobs.last_failure is None
    take = window.doc.segment(cue.id).clip
    assert (take.voice_id, take.engine) == ("espeak:es+m3", "espeak")
    assert sf.info(str(finished_copy / take.path)).duration > 0.3


def _new_project_from_the_dialog(window, qtbot, media: Path) -> Path:
    """File → New project…, the video typed into its field, English → Spanish on the CPU, "Create
    and start". Returns the project folder the dialog proposed."""
    dialogs = Dialogs()
    folder = media.with_suffix(".dubstudio")

    def fill(dialog) -> None:
        type_into(line_edit(dialog, "The video or audio to dub"), str(media))
        assert line_edit(dialog, "Where the project folder is created").text() == str(folder)
        choose(labelled(dialog, "Spoken in the video:"), "English")
        choose(labelled(dialog, "Dub into:"), "Spanish")
        choose(labelled(dialog, "Device:"), "CPU")
        click("Create and start")(dialog)

    dialogs.expect("New dubbing project", fill)
    action(window, "New project…").trigger()
    dialogs.done(qtbot)
    return folder


def _status_bar_progress(window) -> tuple[str, int]:
    """The job's stage label and progress (0–1000) as the status bar shows them."""
    bar = window.statusBar()
    labels = [label.text() for label in bar.findChildren(QLabel) if label.isVisible()]
    progress = [p.value() for p in bar.findChildren(JobProgressBar) if p.isVisible()]
    return " ".join(labels), max(progress, default=0)


@pytest.mark.slow
def test_new_project_dialog_recognises_in_a_child_process(
    measured_spanish_voices, make_window, qtbot, tmp_path, model_loads
):
    """Through the New-project dialog on a video without subtitles: recognition runs in its own
    process (the window's process never loads the recogniser), its transcript appears, and the
    status bar's Cancel button then stops the rest of the pipeline with the finished stages kept."""
    from badinput import speech_mp4

    window = make_window()
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
        folder = _new_project_from_the_dialog(window, qtbot, speech_mp4(tmp_path / "speech.mp4"))
        qtbot.waitUntil(
            lambda: any("country" in s.original_text.lower() for s in window.doc.segments),
            timeout=JOB_TIMEOUT_MS,
        )
        button(window.statusBar(), "Cancel").click()
    assert "cancelled" in window.statusBar().currentMessage()
    text = " ".join(s.original_text for s in window.doc.segments).lower()
    assert "ask not what your country can do for you" in text
    loads = model_loads()
    recognisers = {pid for model, pid in loads if model == "whisper-base"}
    assert recognisers and os.getpid() not in recognisers, loads
    assert "transcription" in store.load_project(folder).diagnostics.stage_keys


@pytest.mark.slow
def test_cancelling_recognition_stops_its_child_process(make_window, qtbot, tmp_path):
    from badinput import speech_mp4

    window = make_window()
    children_before = _children()
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
        folder = _new_project_from_the_dialog(window, qtbot, speech_mp4(tmp_path / "speech.mp4"))

        def recognising() -> bool:  # past the audio extraction (the first 10 %): the child reports
            label, progress = _status_bar_progress(window)
            return "Transcribing" in label and progress > 100

        qtbot.waitUntil(recognising, timeout=JOB_TIMEOUT_MS)
        recogniser = window.session.recognition_process().pid
        assert recogniser in _children() - children_before, "recognition does not run in a child process"
        button(window.statusBar(), "Cancel").click()
    assert "cancelled" in window.statusBar().currentMessage()
    # the mouth reader (a background lane of its own) may go on: only the recogniser must stop
    qtbot.waitUntil(lambda: recogniser not in _children(), timeout=scaled_ms(10_000))
    project = store.load_project(folder)
    assert "transcription" not in project.diagnostics.stage_keys and not project.segments


def _children() -> set[int]:
    """Process ids of this process's live children (Linux /proc)."""
    me = str(os.getpid())
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] != "Z":
                found.add(int(entry.name))
    return found
