"""Fixtures for the editor tests: a real project folder (video, extracted audio, espeak takes) and
a main window on it, with preferences in a temporary file instead of the user's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from ui_builders import make_video, sample_project

from dubstudio.ui.main_window import MainWindow
from dubstudio.ui.settings import AppSettings


@pytest.fixture(scope="session")
def sample_media(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "call.mp4")


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory, sample_media) -> Path:
    return sample_project(tmp_path_factory.mktemp("template") / "call.dubstudio", sample_media)


@pytest.fixture
def project_dir(tmp_path, sample_template) -> Path:
    """A fresh copy of the sample project for each test."""
    return Path(shutil.copytree(sample_template, tmp_path / "call.dubstudio"))


@pytest.fixture
def app_settings(tmp_path) -> AppSettings:
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    settings.set("ui/autosave_seconds", 0)
    return settings


@pytest.fixture
def make_window(qtbot, app_settings):
    """Build main windows; closed here after the test (not by qtbot, which would close them before
    this teardown and meet the unsaved-changes question)."""
    windows: list[MainWindow] = []

    def make(**kwargs) -> MainWindow:
        window = MainWindow(app_settings, **kwargs)
        window.quiet_dialogs = True
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.undo_stack.clear()
        window.doc.set_dirty(False)
        assert window.close()
        window.deleteLater()


@pytest.fixture
def window(make_window, project_dir, qtbot) -> MainWindow:
    window = make_window()
    assert window.open_project(project_dir)
    qtbot.waitUntil(lambda: window.timeline.canvas.original is not None, timeout=15000)
    return window
