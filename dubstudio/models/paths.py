"""Where installed models live: `<user data dir>/models/<model id>/`.

`DUBSTUDIO_DATA_DIR` overrides the platform's user data dir (tests, portable installs);
`DUBSTUDIO_DOWNLOAD_CACHE` overrides where downloaded wheels and partial hub downloads are kept
(default `<data dir>/downloads`), so several data dirs can share one cache.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from dubstudio.core.errors import ModelMissingError, UserError
from dubstudio.models.manifest import file_stamp, read_manifest, sha256_file
from dubstudio.models.registry import REGISTRY


def data_dir() -> Path:
    override = os.environ.get("DUBSTUDIO_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("dubstudio", appauthor=False))


def models_dir() -> Path:
    return data_dir() / "models"


def language_data_dir() -> Path:
    """The user's additions to the translation rules and phrasebooks (stages/language_rules.py)."""
    return data_dir() / "language_data"


def download_cache_dir() -> Path:
    override = os.environ.get("DUBSTUDIO_DOWNLOAD_CACHE")
    return Path(override) if override else data_dir() / "downloads"


def _repair_fix(model_id: str, import_path: str) -> str:
    if model_id in REGISTRY:
        return f"Run 'dubstudio models install {model_id}' to repair it."
    return f"Re-import it with 'dubstudio models import {import_path or 'PATH'}'."


def _check_files(model_id: str, folder: Path) -> None:
    """Every file the manifest lists exists; one changed since its last full check still has its sha256.

    Sizes and modification times are compared with the stamp `verify`/`install` recorded, so an
    intact model costs a few `stat` calls; only a changed file is hashed. An engine would otherwise
    fail on a damaged file with a library error that names neither the model nor the fix.
    """
    try:
        manifest = read_manifest(folder)
    except UserError as exc:
        raise ModelMissingError(
            f"the model '{model_id}' is damaged: {exc.problem}", path=exc.path, fix=_repair_fix(model_id, "")
        ) from None
    assert manifest is not None  # model_dir checked that manifest.json exists
    spec = REGISTRY.get(model_id)
    sizes = {f.name: f.size for f in spec.files} if spec else {}
    files_dir = manifest.files_dir(folder)
    for name, sha256 in manifest.files.items():
        path = files_dir / name
        problem = ""
        try:
            stamp = file_stamp(path)
        except OSError:
            problem = f"its file {name} is missing"
        else:
            if name in sizes and stamp[0] != sizes[name]:
                problem = f"its file {name} has the wrong size ({stamp[0]} bytes, expected {sizes[name]})"
            elif manifest.stamp.get(name, stamp) != stamp and sha256_file(path) != sha256:
                problem = f"its file {name} is corrupted (its sha256 does not match)"
        if problem:
            raise ModelMissingError(
                f"the model '{model_id}' is damaged: {problem}",
                path=path,
                fix=_repair_fix(model_id, manifest.import_path),
            )


def model_dir(model_id: str) -> Path:
    """The folder of an installed model, or a `ModelMissingError` that says how to install or repair it."""
    folder = models_dir() / model_id
    if not (folder / "manifest.json").is_file():
        raise ModelMissingError(
            f"the model '{model_id}' is not installed",
            path=folder,
            fix=f"Run 'dubstudio models install {model_id}' "
            "(or 'make run', which installs the default models).",
        )
    _check_files(model_id, folder)
    return folder
