"""Session-wide inputs for the reliability tests, built once from the real speech in tests/data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from badinput import audio_only, jfk_srt, speech_mp4


@pytest.fixture(scope="session")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("inputs")


@pytest.fixture(scope="session")
def speech_video(inputs: Path) -> Path:
    return speech_mp4(inputs / "speech.mp4")


@pytest.fixture(scope="session")
def speech_audio(inputs: Path) -> Path:
    return audio_only(inputs / "speech.m4a")


@pytest.fixture(scope="session")
def transcript(inputs: Path) -> Path:
    return jfk_srt(inputs / "jfk.srt")


@pytest.fixture(scope="session")
def installed_models(suite_models: Path) -> Path:
    """The suite's models folder (verified links to the installed packs; fails when one is missing)."""
    return suite_models


def data_dir_with_models(target: Path, models: Path, *, damaged: str, action: str) -> Path:
    """A DUBSTUDIO_DATA_DIR whose models link to the installed ones, except one file of one model.

    `damaged` is "model-id/file"; `action` "delete" leaves it out, "corrupt" copies it with one byte
    changed (same size). Links keep the copy instant and the real models untouched.
    """
    model_id, file_name = damaged.split("/")
    (target / "models").mkdir(parents=True)
    for folder in models.iterdir():
        if folder.is_dir() and not folder.name.startswith("."):
            linked = target / "models" / folder.name
            if folder.name != model_id:
                linked.symlink_to(folder, target_is_directory=True)
                continue
            linked.mkdir()
            for file in folder.iterdir():
                if file.name != file_name:
                    (linked / file.name).symlink_to(file)
            if action == "corrupt":
                data = bytearray((folder / file_name).read_bytes())
                data[len(data) // 2] ^= 0xFF
                (linked / file_name).write_bytes(bytes(data))
    manifest = json.loads((target / "models" / model_id / "manifest.json").read_text())
    assert file_name in manifest["files"]
    return target
