"""The editor with lip-sync assist: the mouth job runs in the background on a dubbed scene whose
validation ran without mouths, then the lane, the face picture and the flags appear (real Qt
widgets under Xvfb, the real face model in its child process)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor

from dubstudio.core.store import load_project, save_project
from dubstudio.pipeline.mouths import STAGE
from dubstudio.ui.main_window import MainWindow
from dubstudio.ui.settings import AppSettings

pytestmark = [pytest.mark.gui, pytest.mark.slow]
LIPSYNC = ("offscreen", "lipsync_mismatch")


@pytest.fixture
def scene_without_mouths(dubbed_scene, tmp_path) -> Path:
    """The dubbed scene as a project validated before its mouths were known."""
    folder = Path(shutil.copytree(dubbed_scene[0], tmp_path / "scene"))
    shutil.rmtree(folder / "cache" / STAGE)
    project = load_project(folder)
    for segment in project.segments:
        segment.issues = [i for i in segment.issues if i.code not in LIPSYNC]
    save_project(folder, project)
    return folder


@pytest.fixture
def window(qtbot, tmp_path):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    settings.set("ui/autosave_seconds", 0)
    window = MainWindow(settings)
    window.quiet_dialogs = True
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.doc.set_dirty(False)
    window.close()


def _lipsync_codes(window) -> list[list[str]]:
    return [sorted(i.code for i in s.open_issues if i.code in LIPSYNC) for s in window.doc.segments]


def test_the_mouth_lane_face_and_flags_appear_when_the_background_job_ends(
    window, qtbot, scene_without_mouths
):
    assert window.open_project(scene_without_mouths)
    canvas = window.timeline.canvas
    qtbot.waitUntil(lambda: canvas.mouth_status.startswith("reading"), timeout=15000)
    assert canvas.mouth_lane_rect() is not None  # the lane shows the job's progress meanwhile
    assert _lipsync_codes(window) == [[], [], []]
    qtbot.waitUntil(lambda: canvas.mouths is not None, timeout=240000)
    # the checks ran on the open project and were saved (it had no unsaved edits)
    assert _lipsync_codes(window) == [["lipsync_mismatch"], ["offscreen"], ["lipsync_mismatch"]]
    assert not window.doc.dirty
    saved = load_project(scene_without_mouths)
    assert [i.code for i in saved.segments[1].issues].count("offscreen") == 1
    review = window.review.tree
    texts = [review.topLevelItem(r).child(c).text(0) for r in range(review.topLevelItemCount())
             for c in range(review.topLevelItem(r).childCount())]  # fmt: skip
    assert any(t.startswith("offscreen: no face on screen for 3.6") for t in texts)

    # the lane: bright bars where the man talks (1–3 s), none where no face is (5–8 s)
    canvas.zoom_to_fit()
    image = canvas.grab().toImage()
    lane = canvas.mouth_lane_rect()

    def green_columns(t0: float, t1: float) -> int:
        y = int(lane.bottom()) - 3
        return sum(
            1 for x in range(int(canvas.x_of(t0)), int(canvas.x_of(t1)))
            if QColor(image.pixel(x, y)).green() > 180 and QColor(image.pixel(x, y)).red() < 120
        )  # fmt: skip

    assert green_columns(1.0, 3.0) > 0.8 * (canvas.x_of(3.0) - canvas.x_of(1.0))
    assert green_columns(5.0, 8.0) == 0

    # the inspector's face picture for the grin cue; "no face" for the voice-over cue
    crop = window.inspector.face_crop
    window.doc.select(window.doc.segments[2].id)
    qtbot.waitUntil(lambda: crop.pixmap() is not None and not crop.pixmap().isNull(), timeout=20000)
    assert not crop.isHidden() and crop.pixmap().width() > 60
    assert crop.caption_label.text().startswith("Face on screen 100 %")
    assert "mouth moving" in crop.toolTip() and "still" in crop.toolTip()
    window.doc.select(window.doc.segments[1].id)
    assert "no face" in crop.text()
