"""`dubstudio open DIR --screenshot FILE.png` renders the loaded window and exits."""

from __future__ import annotations

import pytest

from dubstudio.cli.main import main

pytestmark = pytest.mark.gui


def test_open_with_screenshot_writes_a_png(project_dir, tmp_path, qapp, monkeypatch):
    monkeypatch.setattr("dubstudio.ui.app.SCREENSHOT_DELAY_MS", 1500)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    shot = tmp_path / "shot.png"
    assert main(["open", str(project_dir), "--screenshot", str(shot)]) == 0
    assert shot.read_bytes()[:4] == b"\x89PNG"
    assert shot.stat().st_size > 20_000


def test_open_refuses_a_folder_without_a_project(tmp_path, capsys):
    assert main(["open", str(tmp_path)]) == 2
    assert "no project.json" in capsys.readouterr().err
