"""The editor driven through its real widgets under Xvfb: a real project folder, real media."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from editor_driver import activate, press
from gui_driving import keyboard
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from suite_timeouts import scaled_ms

from dubstudio.core import store
from dubstudio.core.errors import ProjectFileError
from dubstudio.ui.dialogs.recovery import RECOVER
from dubstudio.ui.player import AudioSource
from dubstudio.ui.segments import Column

pytestmark = pytest.mark.gui


def _keyboard(window, qtbot):
    """Key presses that go through the window system, so shortcuts fire as for a user."""
    return keyboard(window, qtbot.waitUntil)


def _row_index(window, row: int, column: Column):
    table = window.table
    return table.proxy.mapFromSource(table.model.index(row, column))


def test_opening_a_project_fills_every_view(window):
    assert window.table.proxy.rowCount() == 13
    assert window.review.open_issue_count() == 8
    assert "7 to review" in window.flag_label.text()
    assert len(window.timeline.canvas.visible_rows()) > 0
    assert window.doc.selected_id == "seg-000"
    assert window.player.backend in ("vlc", "qt")
    assert {AudioSource.ORIGINAL} == set(window.player.available_sources())
    assert "call" in window.windowTitle()


@pytest.mark.slow
def test_editing_a_transcript_marks_work_stale_and_undo_restores_it(window):
    segment = window.doc.segment("seg-004")
    index = _row_index(window, 4, Column.ORIGINAL)
    assert window.table.proxy.setData(index, "Neither did we.")
    assert segment.original_text == "Neither did we."
    assert segment.stale == ["translation", "voiceMatching", "synthesis", "validation"]
    assert window.doc.dirty
    assert index.data() == "Neither did we."
    window.actions_by_key["undo"].trigger()
    assert segment.original_text == "Neither did I."
    assert segment.stale == []
    assert not window.doc.dirty
    window.actions_by_key["redo"].trigger()
    assert segment.original_text == "Neither did we."


def test_editing_a_translation_changes_the_spoken_text_and_only_needs_synthesis(window):
    segment = window.doc.segment("seg-006")
    window.table.proxy.setData(_row_index(window, 6, Column.TRANSLATION), "Aquí Diane, desde Nueva Jersey.")
    assert segment.tts_text == "Aquí Diane, desde Nueva Jersey."
    assert segment.stale == ["synthesis", "validation"]


def test_dragging_a_region_edge_retimes_the_segment(window, qtbot):
    canvas = window.timeline.canvas
    segment = window.doc.segment("seg-007")
    old_start, old_end = segment.start, segment.end
    canvas.show_span(segment.start, segment.end)
    lane, _dub = canvas.lane_rects()
    y = int(lane.center().y())
    edge = QPoint(round(canvas.x_of(segment.end)), y)
    assert canvas.hit_test(edge.x(), y) == ("end", "seg-007")
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, edge)
    for step in range(1, 7):
        QTest.mouseMove(canvas, QPoint(edge.x() - 10 * step, y))
    QTest.mouseRelease(
        canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(edge.x() - 60, y)
    )
    expected = old_end - 60 / canvas.px_per_s
    assert segment.start == old_start
    assert abs(segment.end - expected) <= 8 / canvas.px_per_s + 1e-3
    assert segment.end < old_end
    assert "synthesis" in segment.stale and "translation" not in segment.stale
    window.undo_stack.undo()
    assert (segment.start, segment.end) == (old_start, old_end)


def test_dragging_a_region_moves_it_without_overlapping_its_neighbour(window):
    canvas = window.timeline.canvas
    segment = window.doc.segment("seg-007")
    following = window.doc.segment("seg-008")
    length = segment.duration
    canvas.show_span(segment.start, following.end)
    lane, _dub = canvas.lane_rects()
    y = int(lane.center().y())
    inside = QPoint(round(canvas.x_of((segment.start + segment.end) / 2)), y)
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, inside)
    far = QPoint(inside.x() + round(3.0 * canvas.px_per_s), y)
    QTest.mouseMove(canvas, QPoint(inside.x() + 5, y))
    QTest.mouseMove(canvas, far)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, far)
    assert segment.end <= following.start + 1e-6
    assert segment.duration == pytest.approx(length, abs=2e-3)
    assert window.undo_stack.count() == 1


@pytest.mark.slow
def test_f8_walks_the_review_queue_and_resolving_updates_the_count(window, qtbot):
    activate(window, qtbot)
    press(window, "F8")
    assert window.doc.selected_id == "seg-002"
    press(window, "F8")
    assert window.doc.selected_id == "seg-003"
    press(window, "Shift+F8")
    assert window.doc.selected_id == "seg-002"
    qtbot.waitUntil(lambda: window.review.current_issue() is not None, timeout=scaled_ms(5000))
    window.review.resolve_button.click()
    segment = window.doc.segment("seg-002")
    assert segment.issues[0].status == "resolved"
    assert not segment.is_flagged
    qtbot.waitUntil(lambda: window.review.open_issue_count() == 7, timeout=scaled_ms(5000))
    assert "6 to review" in window.flag_label.text()
    window.undo_stack.undo()
    assert segment.issues[0].status == "open"


def test_a_segment_flagged_without_issues_can_be_marked_reviewed(window, qtbot):
    window.doc.select("seg-008")
    qtbot.waitUntil(lambda: window.review.resolve_button.isEnabled(), timeout=scaled_ms(5000))
    window.review.resolve_button.click()
    assert not window.doc.segment("seg-008").needs_review


def test_split_then_merge_and_undo_both(window):
    window.doc.select("seg-007")
    original = window.doc.segment("seg-007")
    text = original.original_text
    window.actions_by_key["split"].trigger()
    assert len(window.doc.segments) == 14
    first, second = window.doc.segments[7], window.doc.segments[8]
    assert first.end == second.start
    assert f"{first.original_text} {second.original_text}" == text
    assert first.stale[0] == "translation" and first.clip is None
    window.doc.select(first.id)
    window.actions_by_key["merge"].trigger()
    assert len(window.doc.segments) == 13
    assert window.doc.segments[7].original_text == text
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert len(window.doc.segments) == 13
    assert window.doc.segments[7].original_text == text
    assert window.doc.segments[7].clip is not None
    assert window.table.proxy.rowCount() == 13


@pytest.mark.slow
def test_picking_an_earlier_take(window):
    segment = window.doc.segment("seg-003")
    current = segment.clip.path
    window.doc.select("seg-003")
    inspector = window.inspector
    assert inspector.takes.count() == 2
    inspector.takes.setCurrentRow(1)
    inspector.use_take.click()
    assert segment.clip.path.endswith("take-0.wav")
    assert [c.path for c in segment.clip_history] == [current]
    window.undo_stack.undo()
    assert segment.clip.path == current


def test_inspector_applies_text_edits_as_one_undo_step_each(window):
    window.doc.select("seg-001")
    window.inspector.translation.setPlainText("¿Diga?")
    window.inspector.apply_texts()
    assert window.doc.segment("seg-001").translated_text == "¿Diga?"
    assert window.undo_stack.count() == 1


def test_filtering_the_table(window):
    window.table.set_filter("flagged")
    assert window.table.proxy.rowCount() == 7
    window.table.set_filter("speaker:S2")
    assert window.table.proxy.rowCount() == 5
    window.table.set_filter("all")
    window.table.search.setText("chicago")
    assert window.table.proxy.rowCount() == 2


def test_cps_and_fit_cells_warn(window):
    model = window.table.model
    fast = model.index(3, Column.CPS)  # 25 characters in 0.88 s
    assert float(fast.data()) > window.doc.project.settings.max_cps
    assert fast.data(Qt.ItemDataRole.BackgroundRole) is not None
    overflow = model.index(3, Column.FIT)
    assert "+" in overflow.data()
    assert model.index(0, Column.CPS).data(Qt.ItemDataRole.BackgroundRole) is None


@pytest.mark.slow
def test_save_autosave_and_recovery(window, make_window, project_dir):
    window.table.proxy.setData(_row_index(window, 0, Column.TRANSLATION), "¿Aló?")
    window.files.autosave()
    assert store.recovery_available(project_dir)
    second = make_window()
    assert second.open_project(project_dir, recovery=lambda _parent, _folder: RECOVER)
    assert second.doc.segment("seg-000").translated_text == "¿Aló?"
    assert second.doc.dirty
    assert second.save()
    assert not store.recovery_available(project_dir)
    assert store.load_project(project_dir).segments[0].translated_text == "¿Aló?"


def test_a_broken_project_is_reported_not_raised(make_window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(
        "dubstudio.ui.dialogs.error.show_error", lambda _parent, error, **_kw: shown.append(error)
    )
    window = make_window()
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "project.json").write_text("{not json")
    assert not window.open_project(folder)
    assert isinstance(shown[0], ProjectFileError)
    assert window.doc.project is None


@pytest.mark.slow
def test_preview_renders_dub_and_mix_tracks(window, qtbot, project_dir):
    with qtbot.waitSignal(window.job_finished, timeout=scaled_ms(60000)):
        assert window.project_jobs.render_preview()
    assert (project_dir / "cache/preview/dub.wav").is_file()
    assert set(window.player.available_sources()) == {AudioSource.ORIGINAL, AudioSource.DUB, AudioSource.MIX}
    assert window.player.source == AudioSource.DUB


def test_shortcuts_dialog_lists_the_review_keys(window):
    from dubstudio.ui.dialogs.shortcuts import shortcut_rows

    rows = dict((text, keys) for keys, text in shortcut_rows(list(window.actions_by_key.values())))
    assert rows["Next flagged"] == "F8"
    assert rows["Previous flagged"] == "Shift+F8"


def test_about_lists_versions(window):
    from dubstudio.ui.dialogs.about import version_rows

    names = dict(version_rows(window.doc.project, window.player.backend))
    assert names["DubStudio"]
    assert "Model: kokoro-82m-int8" in names


def test_screenshot_of_the_loaded_window(window, tmp_path, qtbot):
    from dubstudio.ui.app import save_screenshot

    qtbot.waitUntil(lambda: window.table.proxy.rowCount() == 13, timeout=scaled_ms(5000))
    target = tmp_path / "shot.png"
    assert save_screenshot(window, target)
    assert target.stat().st_size > 10_000
    assert Path(target).read_bytes()[:4] == b"\x89PNG"


def test_the_start_up_modules_are_frozen_out_of_the_garbage_collector(make_window, qtbot):
    """Once the editor's start-up imports are done, their objects leave the collector's scans:
    full collections of them held the GIL for up to 0.7 s, freezing the GUI thread."""
    frozen_before = gc.get_freeze_count()
    make_window()
    qtbot.waitUntil(lambda: gc.get_freeze_count() > frozen_before, timeout=scaled_ms(30_000))
