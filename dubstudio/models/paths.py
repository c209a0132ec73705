"""Where installed models live: `<user data dir>/models/<model id>/`.

`DUBSTUDIO_DATA_DIR` overrides the platform's user data dir (tests, portable installs);
`DUBSTUDIO_DOWNLOAD_CACHE` overrides where downloaded wheels and partial hub downloads are kept
(default `<data dir>/downloads`), so several data dirs can share one cache.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from dubstudio.core.errors import ModelMissingError


def data_dir() -> Path:
    override = os.environ.get("DUBSTUDIO_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("dubstudio", appauthor=False))


def models_dir() -> Path:
    return data_dir() / "models"


def download_cache_dir() -> Path:
    override = os.environ.get("DUBSTUDIO_DOWNLOAD_CACHE")
    return Path(override) if override else data_dir() / "downloads"


def model_dir(model_id: str) -> Path:
    """The folder of an installed model, or a `ModelMissingError` that says how to install it."""
    folder = models_dir() / model_id
    if not (folder / "manifest.json").is_file():
        raise ModelMissingError(
            f"the model '{model_id}' is not installed",
            path=folder,
            fix=f"Run 'dubstudio models install {model_id}' "
            "(or 'make run', which installs the default models).",
        )
    return folder
