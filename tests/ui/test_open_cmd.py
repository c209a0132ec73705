"""`dubstudio open DIR --screenshot FILE.png` renders the loaded window and exits."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from suite_timeouts import scaled_s

from dubstudio.cli.main import main

pytestmark = pytest.mark.gui


@pytest.mark.slow
def test_open_with_screenshot_writes_a_png(project_dir, tmp_path):
    """Run as the user does, in its own process (on the test's Xvfb display): running the editor's
    event loop inside the test process left later tests' background-job results undelivered."""
    shot = tmp_path / "shot.png"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    command = [sys.executable, "-m", "dubstudio", "open", str(project_dir), "--screenshot", str(shot)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=scaled_s(180))
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:4] == b"\x89PNG"
    assert shot.stat().st_size > 20_000


def test_open_refuses_a_folder_without_a_project(tmp_path, capsys):
    assert main(["open", str(tmp_path)]) == 2
    assert "no project.json" in capsys.readouterr().err
