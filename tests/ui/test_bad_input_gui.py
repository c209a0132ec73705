"""Bad input in the real editor window: the error dialog says which file, what is wrong and what to
do, and it is the "cannot continue" dialog of a user error, never the bug-report one with a
traceback. Crash recovery is offered when an autosave is newer than the saved project.

The dialogs are the real modal QMessageBoxes (`ui.dialogs.error`, `ui.dialogs.recovery`): a timer
reads the active modal widget, records it and presses its button, exactly as a user would
(`gui_driving.ModalCatcher`). The
inputs are the same real files the CLI tests use (tests/reliability/badinput.py).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from badinput import speech_mp4, truncated_copy, video_without_audio, zero_byte
from gui_driving import ModalCatcher
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from suite_timeouts import scaled_ms, scaled_s

from dubstudio.core.project import Project
from dubstudio.core.store import PROJECT_FILE, autosave, create_project_dir, load_project, recover
from dubstudio.ui.dialogs.new_project import NewProjectRequest
from dubstudio.ui.main_window import MainWindow
from dubstudio.ui.settings import AppSettings

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path: Path):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    main = MainWindow(settings)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.doc.set_dirty(False)


def _assert_user_error_dialog(seen: list[dict[str, object]], *, path: Path, says: str, fix: str) -> None:
    assert len(seen) == 1, seen
    dialog = seen[0]
    shown = f"{dialog['text']}\n{dialog['info']}"
    assert dialog["icon"] == QMessageBox.Icon.Warning, f"not a user-error dialog: {dialog}"
    assert "Traceback" not in shown and not dialog["details"], dialog
    assert str(path) in shown, f"the dialog does not name {path}: {shown}"
    assert says.lower() in shown.lower(), shown
    assert fix.lower() in shown.lower(), shown


# ---------------------------------------------------------------------------------------------
# hostile project.json


def _project_document(media: str) -> dict:
    return {
        "format": "dubstudio-project",
        "schemaVersion": 1,
        "project": {
            "name": "hostile",
            "media": {"path": media, "duration": 8.0, "hasVideo": True, "hasAudio": True},
            "speakers": [{"id": "S1"}],
            "segments": [
                {"id": "a", "start": 0.3, "end": 5.2, "speakerId": "S1", "originalText": "Ask not."}
            ],
        },
    }


def _clip(path: str) -> dict:
    return {"path": path, "start": 0.3, "end": 5.0, "voiceId": "espeak:es", "engine": "espeak", "text": "x"}


HOSTILE = {
    "parent-path": (
        lambda d: d["project"]["segments"][0].update(clip=_clip("../../etc/passwd")),
        "parent folder",
    ),
    "absolute-path": (lambda d: d["project"]["segments"][0].update(clip=_clip("/etc/passwd")), "is absolute"),
    "huge-number": (lambda d: d["project"]["segments"][0].update(end=1e300), "out of range"),
    "wrong-type": (lambda d: d["project"]["segments"][0].update(start="zero"), "expected a number"),
    "newer-version": (lambda d: d.update(schemaVersion=99), "newer DubStudio"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_opening_a_hostile_project_shows_what_is_wrong(window: MainWindow, tmp_path: Path, case: str) -> None:
    change, says = HOSTILE[case]
    folder = tmp_path / "hostile.dubstudio"
    folder.mkdir()
    document = _project_document(str(tmp_path / "video.mp4"))
    change(document)
    (folder / PROJECT_FILE).write_text(json.dumps(document), encoding="utf-8")
    catcher = ModalCatcher()
    try:
        assert window.open_project(folder) is False
    finally:
        catcher.stop()
    _assert_user_error_dialog(catcher.seen, path=folder / PROJECT_FILE, says=says, fix="")
    assert not window.doc.is_open


# ---------------------------------------------------------------------------------------------
# bad media for a new project


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad-media")
    whole = speech_mp4(folder / "whole.mp4")
    return {
        "zero-byte": zero_byte(folder / "empty.mp4"),
        "truncated": truncated_copy(whole, folder / "cut.mp4", 0.4),
        "no-audio": video_without_audio(folder / "silent-film.mp4"),
    }


@pytest.mark.parametrize(
    ("case", "says", "fix"),
    [
        ("zero-byte", "empty (0 bytes)", "get the file again"),
        ("truncated", "truncated or corrupt", "get the file again"),
        ("no-audio", "no audio track", "includes its sound"),
    ],
)
def test_a_new_project_from_bad_media_shows_what_is_wrong(
    qtbot, window: MainWindow, tmp_path: Path, media: dict[str, Path], case: str, says: str, fix: str
) -> None:
    request = NewProjectRequest(
        media=media[case], project_dir=tmp_path / "new.dubstudio", source_language="en", target_language="es"
    )
    catcher = ModalCatcher()
    try:
        with qtbot.waitSignal(window.job_finished, timeout=scaled_ms(60_000)):
            assert window.project_jobs.start_new_project(request)
        qtbot.waitUntil(lambda: bool(catcher.seen), timeout=scaled_ms(10_000))
    finally:
        catcher.stop()
    _assert_user_error_dialog(catcher.seen, path=media[case], says=says, fix=fix)
    assert not (tmp_path / "new.dubstudio" / PROJECT_FILE).exists()


# ---------------------------------------------------------------------------------------------
# crash recovery


def test_a_newer_autosave_is_offered_on_open(window: MainWindow, tmp_path: Path) -> None:
    """What a crash leaves: the saved project plus a newer autosave of unsaved edits. Opening it
    offers the recovery; cancelling that question opens nothing and loses nothing."""
    folder = create_project_dir(tmp_path / "crashed.dubstudio", Project(name="saved"))
    autosave(folder, Project(name="edited after the save"))
    later = time.time() + 5
    os.utime(folder / "project.autosave.json", (later, later))
    catcher = ModalCatcher(press="cancel")
    try:
        assert window.open_project(folder) is False
    finally:
        catcher.stop()
    assert [seen["title"] for seen in catcher.seen] == ["Recover unsaved changes?"]
    assert not window.doc.is_open
    assert recover(folder).name == "edited after the save"


def test_recovering_then_closing_does_not_wait_for_background_jobs(
    window: MainWindow, project_dir: Path, qtbot
) -> None:
    """Pressing "Recover" in the real prompt opens the autosaved edits, which starts the waveform
    and voice-catalog jobs; closing the window at once cancels them and returns within seconds,
    even when a job is inside an engine call that cannot be interrupted (it ends in the background).
    """
    project = load_project(project_dir)
    project.segments[0].translated_text = "¿Aló? (recuperado)"
    autosave(project_dir, project)
    later = time.time() + 5
    os.utime(project_dir / "project.autosave.json", (later, later))
    catcher = ModalCatcher(press="recover")
    try:
        assert window.open_project(project_dir)
    finally:
        catcher.stop()
    assert [seen["title"] for seen in catcher.seen] == ["Recover unsaved changes?"]
    assert window.doc.segment("seg-000").translated_text == "¿Aló? (recuperado)"
    assert window.doc.dirty
    lanes = ("main", "peaks", "voices", "engines")
    # opening the project starts its background jobs
    qtbot.waitUntil(lambda: any(window.jobs.is_busy(lane) for lane in lanes), timeout=scaled_ms(5000))
    window.doc.set_dirty(False)  # no "save the changes?" question: the closing is what is timed
    started = time.monotonic()
    assert window.close()
    took = time.monotonic() - started
    assert not window.isVisible()
    assert took < scaled_s(3.0), f"closing took {took:.1f} s"
    assert not any(window.jobs.is_busy(lane) for lane in lanes)  # a job still busy was handed to the app
