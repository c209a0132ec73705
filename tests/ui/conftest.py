"""Fixtures for the editor tests.

- `sample_media`, `project_dir`: the real 30 s two-speaker call as a video, and a fresh copy per test of
  a project over it (extracted audio, hand-written Spanish, espeak-ng takes: no model loads).
- `window` / `make_window`: main windows with preferences in a temporary file instead of the user's.
- `transcript`: the call's reference transcript as WebVTT (`opening_transcript`: its first 14 s);
  `finished` (session): a project the real
  pipeline completed from that transcript with the suite's shared `engines` (Apertium, Kokoro).
  Tests copy it (`finished_copy`) before changing it.
Remaining wait bounds go through `suite_timeouts.scaled_ms` (DUBSTUDIO_TEST_TIME_SCALE).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from suite_timeouts import scaled_ms
from ui_builders import SAMPLE, make_video, sample_project

from dubstudio.core.project import Settings
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
    qtbot.waitUntil(lambda: window.timeline.canvas.original is not None, timeout=scaled_ms(15000))
    return window


def _timestamp(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"00:{int(minutes):02d}:{rest:06.3f}"


def _webvtt(path: Path, until: float | None = None) -> Path:
    """The call's reference transcript (sample.stm) as WebVTT with speaker voice tags (the turns
    that end by `until` seconds, when given)."""
    lines = ["WEBVTT", ""]
    for number, line in enumerate((SAMPLE / "sample.stm").read_text().splitlines(), start=1):
        _file, _channel, who, start, end, *words = line.split()
        if until is not None and float(end) > until:
            break
        lines += [
            str(number),
            f"{_timestamp(float(start))} --> {_timestamp(float(end))}",
            f"<v {who}>{' '.join(words)}",
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def transcript(tmp_path_factory) -> Path:
    """The call's reference transcript as WebVTT."""
    return _webvtt(tmp_path_factory.mktemp("vtt") / "call.vtt")


@pytest.fixture(scope="session")
def opening_transcript(tmp_path_factory) -> Path:
    """The call's first 14 s of turns (7 cues, both callers): a pipeline run over it is short."""
    return _webvtt(tmp_path_factory.mktemp("vtt") / "opening.vtt", until=14.2)


@pytest.fixture(scope="session")
def finished(tmp_path_factory, sample_media, transcript, engines) -> Path:
    """A project the real pipeline finished (from the reference transcript); copy it to change it."""
    from dubstudio.pipeline.orchestrator import Pipeline

    folder = tmp_path_factory.mktemp("finished") / "call.dubstudio"
    Pipeline.create(
        sample_media,
        folder,
        source_language="en",
        target_language="es",
        settings=Settings(device="cpu"),
        subtitles=transcript,
        engines=engines,
    ).run()
    return folder


@pytest.fixture
def finished_copy(finished, tmp_path) -> Path:
    return Path(shutil.copytree(finished, tmp_path / "copy.dubstudio"))
