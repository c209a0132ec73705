"""The batch tests' inputs (built once per session from the real speech in tests/data) and what
`dubstudio dub` writes for the good ones: the reference every batch job is compared with."""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_media import BatchInputs, dubstudio, make_batch_inputs


@pytest.fixture(scope="session")
def batch_inputs(tmp_path_factory: pytest.TempPathFactory) -> BatchInputs:
    return make_batch_inputs(tmp_path_factory.mktemp("batch-inputs"))


@pytest.fixture(scope="session")
def dubbed(
    batch_inputs: BatchInputs, tmp_path_factory: pytest.TempPathFactory, measured_spanish_voices: None
) -> dict[str, Path]:
    """Job name -> the folder `dubstudio dub FILE --subtitles SRT --from en --to es` wrote (both at once)."""
    folder = tmp_path_factory.mktemp("dubbed")
    children = {}
    for name, (media, transcript) in batch_inputs.good.items():
        out = folder / name
        args = ("dub", media, "--subtitles", transcript, "--from", "en", "--to", "es", "--out", out)
        children[name] = (out, dubstudio(*args))
    for name, (_out, child) in children.items():
        _stdout, stderr = child.communicate(timeout=600)
        assert child.returncode == 0, f"dubstudio dub {name}: {stderr[-3000:]}"
    return {name: out for name, (out, _child) in children.items()}
