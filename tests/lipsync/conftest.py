"""Fixtures of the lip-sync tests (the media and helpers are in lipsync_media.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lipsync_media import CLIPS, FACES, Scene, analyze, dub, make_scene

from dubstudio.stages.lipsync import MouthTrack


@pytest.fixture(scope="session")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    return make_scene(tmp_path_factory.mktemp("scene"))


@pytest.fixture(scope="session")
def clip_tracks() -> dict[str, MouthTrack]:
    """Every annotated clip analyzed once, in one child process."""
    return dict(zip(CLIPS, analyze([FACES / clip for clip in CLIPS]), strict=True))


@pytest.fixture(scope="session")
def dubbed_scene(scene, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The scene dubbed into Spanish by the CLI (its transcript imported: no recogniser)."""
    out = tmp_path_factory.mktemp("lipsync-dub") / "scene"
    result = dub(scene.video, "--subtitles", scene.transcript, "--from", "en", "--to", "es", "--out", out)
    assert result.returncode == 0, result.stderr
    return out, result
