"""Importing local models: registry copies, CTranslate2 Whisper folders, Coqui folders, .argosmodel files."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from dubstudio.core.errors import UserError
from dubstudio.models import import_model, list_models, model_status, verify
from dubstudio.models.paths import model_dir


def _whisper_with_json_vocabulary(installed_data: Path, target: Path) -> Path:
    """The real Whisper base files, with the vocabulary as vocabulary.json (the other CTranslate2 format),
    so it is a valid Whisper folder that is not byte-identical to the built-in model."""
    source = installed_data / "models" / "whisper-base"
    target.mkdir(parents=True)
    for name in ("model.bin", "config.json", "tokenizer.json"):
        shutil.copyfile(source / name, target / name)
    tokens = (source / "vocabulary.txt").read_text(encoding="utf-8").split("\n")
    (target / "vocabulary.json").write_text(json.dumps(tokens), encoding="utf-8")
    (target / ".gitattributes").write_text("*.bin filter=lfs\n")
    return target


def test_a_ctranslate2_whisper_folder_becomes_whisper_name(
    installed_data: Path, fresh_data: Path, tmp_path: Path
):
    folder = _whisper_with_json_vocabulary(installed_data, tmp_path / "faster-whisper-Base_JSON")
    status = import_model(folder)
    assert (status.id, status.kind, status.status, status.source) == (
        "whisper-base-json",
        "transcriber",
        "installed",
        "import",
    )
    installed = model_dir("whisper-base-json")
    assert sorted(p.name for p in installed.iterdir()) == [
        "config.json",
        "manifest.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.json",
    ]
    manifest = json.loads((installed / "manifest.json").read_text())
    assert manifest["import_path"] == str(folder)
    assert verify("whisper-base-json").ok
    assert "whisper-base-json" in {s.id for s in list_models()}

    (installed / "vocabulary.json").write_text("[]")
    result = verify("whisper-base-json")
    assert result.status == "CORRUPTED"
    assert result.fix == f"Re-import it with 'dubstudio models import {folder}'."
    import_model(folder)  # re-importing repairs it
    assert verify("whisper-base-json").ok


def test_a_copy_of_a_builtin_model_is_installed_as_that_model(
    installed_data: Path, fresh_data: Path, tmp_path: Path
):
    copy = tmp_path / "pyannote-backup"
    shutil.copytree(installed_data / "models" / "pyannote-segmentation-3.0", copy)
    (copy / "manifest.json").unlink()
    status = import_model(copy)
    assert (status.id, status.source, status.status) == ("pyannote-segmentation-3.0", "import", "installed")
    assert verify("pyannote-segmentation-3.0").ok


def test_a_damaged_copy_of_a_builtin_model_is_refused(installed_data: Path, fresh_data: Path, tmp_path: Path):
    copy = tmp_path / "pyannote-backup"
    shutil.copytree(installed_data / "models" / "pyannote-segmentation-3.0", copy)
    config = copy / "config.yaml"
    config.write_bytes(config.read_bytes().replace(b"a", b"b", 1))
    with pytest.raises(UserError, match=r"config\.yaml differ") as caught:
        import_model(copy)
    assert "dubstudio models install pyannote-segmentation-3.0" in caught.value.fix
    assert model_status("pyannote-segmentation-3.0").status == "not installed"
    assert list((fresh_data / "models").iterdir()) == []  # no staging folder left behind


def test_a_folder_that_would_shadow_a_builtin_model_is_refused(
    installed_data: Path, fresh_data: Path, tmp_path: Path
):
    folder = _whisper_with_json_vocabulary(installed_data, tmp_path / "base")
    with pytest.raises(UserError, match="built-in model 'whisper-base'") as caught:
        import_model(folder)
    assert "Rename the folder" in caught.value.fix


@pytest.mark.parametrize(
    ("folder_name", "model", "expected_id", "kind"),
    [
        ("tts_models--multilingual--multi-dataset--xtts_v2", "xtts", "coqui-xtts-v2", "tts-clone"),
        ("VITS Spanish", "vits", "coqui-vits-spanish", "tts"),
    ],
)
def test_a_coqui_model_folder_becomes_coqui_name(
    fresh_data: Path, tmp_path: Path, folder_name: str, model: str, expected_id: str, kind: str
):
    folder = tmp_path / folder_name
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model": model, "audio": {"sample_rate": 24000}}))
    (folder / "model.pth").write_bytes(bytes(range(256)) * 64)
    (folder / "vocab.json").write_text("{}")
    status = import_model(folder)
    assert (status.id, status.kind) == (expected_id, kind)
    assert verify(status.id).ok
    assert sorted(json.loads((status.path / "manifest.json").read_text())["files"]) == [
        "config.json",
        "model.pth",
        "vocab.json",
    ]


def test_unrecognised_inputs_name_the_path_and_what_is_expected(tmp_path: Path, fresh_data: Path):
    with pytest.raises(UserError, match="no such file") as caught:
        import_model(tmp_path / "absent")
    assert str(tmp_path / "absent") in caught.value.message

    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(UserError, match="not a model DubStudio recognises") as caught:
        import_model(text)
    assert ".argosmodel" in caught.value.fix and "Coqui" in caught.value.fix
    assert caught.value.path == str(text)

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="does not hold a model"):
        import_model(empty)

    coqui_like = tmp_path / "coqui-like"
    coqui_like.mkdir()
    (coqui_like / "config.json").write_text('{"sample_rate": 22050}')
    (coqui_like / "model.pth").write_bytes(b"weights")
    with pytest.raises(UserError, match='no "model" entry'):
        import_model(coqui_like)


def _argos_package(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


ARGOS_METADATA = {
    "package_version": "1.9",
    "argos_version": "1.9.0",
    "from_code": "en",
    "from_name": "English",
    "to_code": "eo",
    "to_name": "Esperanto",
    "type": "translate",
}


def test_bad_argos_packages_are_user_errors(tmp_path: Path, fresh_data: Path):
    not_zip = tmp_path / "broken.argosmodel"
    not_zip.write_text("not a zip")
    with pytest.raises(UserError, match="not a zip archive"):
        import_model(not_zip)
    two_roots = _argos_package(tmp_path / "two.argosmodel", {"a/metadata.json": b"{}", "b/x": b""})
    with pytest.raises(UserError, match="exactly one top folder"):
        import_model(two_roots)
    no_codes = _argos_package(
        tmp_path / "nocodes.argosmodel", {"p/metadata.json": b"{}", "p/model/model.bin": b""}
    )
    with pytest.raises(UserError, match="from_code and to_code"):
        import_model(no_codes)
    no_model = _argos_package(
        tmp_path / "nomodel.argosmodel", {"p/metadata.json": json.dumps(ARGOS_METADATA).encode()}
    )
    with pytest.raises(UserError, match="model/ is missing"):
        import_model(no_model)


@pytest.mark.slow  # argostranslate.package.install_from_path imports argostranslate.translate (~10 s)
def test_an_argos_package_is_installed_where_argos_finds_it(
    tmp_path: Path, fresh_data: Path, monkeypatch: pytest.MonkeyPatch
):
    from argostranslate import package as argos_package
    from argostranslate import settings as argos_settings

    packages = tmp_path / "argos-packages"
    packages.mkdir()
    # Keep the user's real Argos package dir out of the test.
    monkeypatch.setattr(argos_settings, "package_data_dir", packages)
    monkeypatch.setattr(argos_settings, "package_dirs", [packages])
    # The layout `argospm` packages have: metadata, a CTranslate2 model folder, a SentencePiece model.
    # The weights are placeholders: importing installs and records files, it does not translate.
    root = "translate-en_eo-1_9"
    path = _argos_package(
        tmp_path / "translate-en_eo-1_9.argosmodel",
        {
            f"{root}/metadata.json": json.dumps(ARGOS_METADATA).encode(),
            f"{root}/README.md": b"English to Esperanto",
            f"{root}/model/config.json": b'{"add_source_bos": false}',
            f"{root}/model/model.bin": bytes(range(256)) * 16,
            f"{root}/model/shared_vocabulary.json": b'["<unk>", "<s>", "</s>"]',
            f"{root}/sentencepiece.model": b"\x0a\x00",
        },
    )
    status = import_model(path)
    assert (status.id, status.kind, status.status, status.source) == (
        "argos-en-eo",
        "translation",
        "installed",
        "import",
    )
    installed = [(p.from_code, p.to_code, p.package_path) for p in argos_package.get_installed_packages()]
    assert installed == [("en", "eo", packages / root)]
    manifest = json.loads((status.path / "manifest.json").read_text())
    assert manifest["location"] == str(packages / root)
    assert sorted(manifest["files"]) == [
        "README.md",
        "metadata.json",
        "model/config.json",
        "model/model.bin",
        "model/shared_vocabulary.json",
        "sentencepiece.model",
    ]
    assert verify("argos-en-eo").ok

    (packages / root / "model" / "model.bin").unlink()
    result = verify("argos-en-eo")
    assert result.status == "MISSING"
    assert result.fix == f"Re-import it with 'dubstudio models import {path}'."
    import_model(path)
    assert verify("argos-en-eo").ok
