"""File → Batch… driving real batch jobs: add files, start, cancel mid-job, resume, pause, a broken
file reported in its row, and a finished job opened in the editor. The videos carry their
transcripts beside them (the window's sidecar option), so no recogniser loads; one local worker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "batch"))
from batch_media import make_batch_inputs

from dubstudio.batch.report import REPORT_HTML
from dubstudio.core.store import load_project
from dubstudio.ui.app import save_screenshot
from dubstudio.ui.batch import BatchWindow
from dubstudio.ui.batch.model import COLUMNS

pytestmark = [pytest.mark.gui, pytest.mark.slow]
RUN_TIMEOUT_MS = 400_000


@pytest.fixture
def media(tmp_path) -> list[Path]:
    """speech.mp4 with speech.srt beside it, and a truncated broken.mp4."""
    inputs = make_batch_inputs(tmp_path / "inputs")
    speech, _transcript = inputs.good["speech.es"]  # speech.srt, beside it
    return [speech, inputs.broken]


def _cell(window: BatchWindow, name: str, column: str) -> str:
    row = window.model.keys.index(next(job.key for job in window.controller.jobs if job.name == name))
    return window.model.index(row, COLUMNS.index(column)).data() or ""


def _status(window: BatchWindow) -> dict[str, str]:
    return {job.name: job.status for job in window.controller.jobs}


def test_the_batch_window_runs_the_queue(qtbot, make_window, app_settings, media, tmp_path):
    editor = make_window()
    editor.actions_by_key["batch"].trigger()  # File → Batch…
    window = editor.findChild(BatchWindow)
    assert window is not None and window.isVisible()
    qtbot.waitExposed(window)
    window.quiet_dialogs = True
    window.workers_spin.setValue(1)
    window.languages_edit.setText("es")
    window.source_edit.setText("en")
    window.sidecar_check.setChecked(True)
    assert window.set_folder(tmp_path / "batch")
    assert window.add_media(media) == 2
    assert _status(window) == {"speech.es": "pending", "broken.es": "pending"}
    assert window.start_action.isEnabled() and not window.cancel_action.isEnabled()

    stages: list[str] = []

    def cancel_in_translation(event) -> None:
        if event.job is not None and event.job.name == "speech.es" and event.kind == "progress":
            stages.append(_cell(window, "speech.es", "Progress"))
            if event.job.stage == "translation" and window.cancel_action.isEnabled():
                window.cancel()  # the user presses Cancel mid-job

    window.bridge.event.connect(cancel_in_translation)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS):
        assert window.start()
        assert window.cancel_action.isEnabled() and not window.folder_row.isEnabled()
    window.bridge.event.disconnect(cancel_in_translation)
    assert any(text.startswith("translation") for text in stages), stages  # the live stage column
    assert _status(window)["speech.es"] == "cancelled" and _status(window)["broken.es"] == "pending"
    assert window.start_action.isEnabled()

    # Start again: the cancelled job resumes from its stage cache; Pause lets it finish, starts no more
    def pause_once_started(event) -> None:
        if event.kind == "started" and window.pause_action.isEnabled():
            window.pause()
            assert not window.pause_action.isEnabled() and window.start_action.text() == "Resume"

    window.bridge.event.connect(pause_once_started)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS):
        assert window.start()
    window.bridge.event.disconnect(pause_once_started)
    assert _status(window) == {"speech.es": "done", "broken.es": "pending"}
    speech = next(job for job in window.controller.jobs if job.name == "speech.es")
    assert [a.outcome for a in speech.attempts] == ["cancelled", "done"] and speech.summary.resumed
    # the same worker took it again, with the engines its first try loaded
    assert speech.attempts[0].worker == speech.attempts[1].worker and not speech.summary.engines_loaded

    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS):
        assert window.start()
    assert _status(window) == {"speech.es": "done", "broken.es": "failed"}
    assert "is not a media file FFmpeg can read" in _cell(window, "broken.es", "Details")
    assert "Get the file again" in _cell(window, "broken.es", "Details")
    assert window.report_action.isEnabled() and (tmp_path / "batch" / REPORT_HTML).is_file()

    window.table.selectRow(window.model.keys.index(speech.key))
    assert "Try 1" in window.details.text() and "cancelled" in window.details.text()
    shot = tmp_path / "batch_window.png"
    assert save_screenshot(window, shot) and shot.stat().st_size > 10_000
    assert window.open_action.isEnabled()
    window.open_selected()  # opens in the editor through its own Open
    qtbot.waitUntil(lambda: editor.doc.project_dir == speech.project_dir, timeout=10_000)
    assert len(editor.doc.project.segments) == len(load_project(speech.project_dir).segments)
    window.close()
