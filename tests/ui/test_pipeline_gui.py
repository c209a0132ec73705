"""The editor running the real pipeline (Apertium, Kokoro) in the background: create, cancel,
resume, re-synthesize one cue, export. The transcript comes from the reference subtitles of the
real two-speaker call, so the recogniser is not loaded."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
from editor_driver import JOB_TIMEOUT_MS
from PySide6.QtCore import Qt

from dubstudio.core.project import Settings
from dubstudio.core.store import load_project
from dubstudio.ui.dialogs.new_project import NewProjectRequest

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def _request(media: Path, folder: Path, transcript: Path) -> NewProjectRequest:
    return NewProjectRequest(media, folder, "en", "es", settings=Settings(device="cpu"), subtitles=transcript)


def test_new_project_fills_in_stage_by_stage_and_cancel_keeps_finished_stages(
    make_window, qtbot, tmp_path, sample_media, opening_transcript, engines
):
    window = make_window(engines=engines)
    stages: list[str] = []
    window.project_jobs.project_created.connect(lambda: stages.append("created"))
    window.project_jobs.stage_done.connect(stages.append)

    def cancel_at_synthesis(stage, _fraction, _message):
        if stage == "synthesis":
            window.jobs.cancel()

    window.jobs.progress.connect(cancel_at_synthesis)
    folder = tmp_path / "call.dubstudio"
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
        assert window.project_jobs.start_new_project(_request(sample_media, folder, opening_transcript))
        qtbot.waitUntil(lambda: window.doc.project is not None, timeout=JOB_TIMEOUT_MS)
        assert window.doc.busy
        editable = window.table.model.flags(window.table.model.index(0, 4)) & Qt.ItemFlag.ItemIsEditable
        assert not editable  # the pipeline owns the project while it runs
    assert stages[0] == "created"  # the window showed the project before any stage ran
    assert "translation" in stages and "synthesis" not in stages
    assert "cancelled" in window.statusBar().currentMessage()
    assert not window.doc.busy
    on_disk = load_project(folder)
    assert all(segment.translated_text for segment in on_disk.segments)
    assert all(segment.clip is None for segment in on_disk.segments)
    assert window.doc.segments[0].translated_text == on_disk.segments[0].translated_text

    window.jobs.progress.disconnect(cancel_at_synthesis)
    stages.clear()
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
        window.project_jobs.run_pipeline()
    assert window.jobs.last_failure is None
    assert "synthesis" in stages and "translation" not in stages  # only the missing work ran
    assert all(segment.clip is not None for segment in window.doc.segments)
    assert not window.doc.dirty


def test_resynthesize_one_segment_and_undo(make_window, qtbot, finished, tmp_path, engines):
    folder = Path(shutil.copytree(finished, tmp_path / "copy.dubstudio"))
    window = make_window(engines=engines)
    assert window.open_project(folder)
    target = window.doc.segments[3]
    window.doc.select(target.id)
    before = copy.deepcopy(target.clip)
    stamps = {s.id: (folder / s.clip.path).stat().st_mtime_ns for s in window.doc.segments}
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
        window.actions_by_key["resynthesize"].trigger()
    assert window.jobs.last_failure is None
    segment = window.doc.segment(target.id)
    assert (folder / segment.clip.path).stat().st_mtime_ns > stamps[target.id]  # a fresh take
    for other in window.doc.segments:
        if other.id != target.id:
            assert (folder / other.clip.path).stat().st_mtime_ns == stamps[other.id]
    assert window.undo_stack.count() == 1
    window.undo_stack.undo()
    assert window.doc.segment(target.id).clip == before


def test_export_writes_subtitles_dub_mix_and_video(make_window, qtbot, finished, tmp_path, engines):
    window = make_window(engines=engines)
    assert window.open_project(finished)
    out = tmp_path / "out"
    with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
        assert window.project_jobs.export(out)
    assert window.jobs.last_failure is None
    files = window.project_jobs.last_export.files
    assert files["dub.wav"] == out / "dub.wav" and files["dub.wav"].is_file()
    assert (out / "mix.wav").is_file()
    assert any(path.suffix in (".mp4", ".mkv") for path in files.values())


def test_the_kokoro_session_loads_once_for_two_resynthesize_actions(
    make_window, qtbot, finished, tmp_path, monkeypatch
):
    """A window builds its engines once (in the background after opening) and every job shares
    them: two re-synthesize actions create one onnxruntime session for Kokoro, not one each."""
    import onnxruntime

    sessions: list[str] = []

    class CountedSession(onnxruntime.InferenceSession):  # the real session, counted
        def __init__(self, path, *args, **kwargs) -> None:
            sessions.append(str(path))
            super().__init__(path, *args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", CountedSession)
    folder = Path(shutil.copytree(finished, tmp_path / "copy.dubstudio"))
    window = make_window()  # the window's own engines, as a user's
    assert window.open_project(folder)
    target = window.doc.segments[3]
    window.doc.select(target.id)
    stamps = []
    for _ in range(2):
        with qtbot.waitSignal(window.job_finished, timeout=JOB_TIMEOUT_MS):
            window.actions_by_key["resynthesize"].trigger()
        assert window.jobs.last_failure is None
        clip = window.doc.segment(target.id).clip
        assert clip.engine == "kokoro"
        stamps.append((folder / clip.path).stat().st_mtime_ns)
    assert stamps[1] > stamps[0]  # two fresh takes
    assert len([path for path in sessions if "kokoro" in path]) == 1, sessions
    assert window.session.builds == 1
