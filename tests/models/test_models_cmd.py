"""`dubstudio models …`: through an argparse parser built here and through `python -m dubstudio`."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dubstudio.cli import models_cmd
from dubstudio.models import DEFAULT_MODELS, verify
from dubstudio.models.paths import model_dir


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dubstudio")
    models_cmd.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_list_prints_every_model_with_its_state(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["models", "list"]) == 0
    out = capsys.readouterr().out
    for model_id in ("whisper-base", "pyannote-segmentation-3.0", "campplus-sv-zh-en", "kokoro-82m-int8"):
        line = next(line for line in out.splitlines() if f" {model_id} " in line)
        assert "installed" in line and "packages" in line and "yes" in line
    assert "not installed" in next(line for line in out.splitlines() if " piper-joe-en " in line)
    assert _run(["models"]) == 0  # `models` alone lists too


def test_install_without_ids_confirms_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["models", "install"]) == 0
    out = capsys.readouterr().out
    assert f"whisper-base: installed in {model_dir('whisper-base')}" in out
    assert out.count("installed in") == len(DEFAULT_MODELS)


def test_verify_exits_1_and_says_how_to_fix_a_corrupted_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["models", "verify"]) == 0
    assert capsys.readouterr().out.count(": OK") == len(DEFAULT_MODELS)

    model_id = "pyannote-segmentation-3.0"
    config = model_dir(model_id) / "config.yaml"
    original = config.read_bytes()
    config.write_bytes(original.replace(b"a", b"b", 1))
    try:
        assert _run(["models", "verify", model_id]) == 1
        out = capsys.readouterr().out
        assert f"{model_id}: CORRUPTED" in out
        assert "config.yaml: corrupted" in out
        assert f"Fix: Run 'dubstudio models install {model_id}' to repair it." in out
        assert _run(["models", "install", model_id]) == 0
    finally:
        if not verify(model_id).ok:
            config.write_bytes(original)
    assert _run(["models", "verify", model_id]) == 0


def test_the_dubstudio_command_runs_models(installed_data: Path, tmp_path: Path) -> None:
    def dubstudio(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dubstudio", "models", *argv],
            capture_output=True,
            text=True,
            env=os.environ,
            timeout=120,
        )

    listing = dubstudio("list")
    assert listing.returncode == 0, listing.stderr
    assert "kokoro-82m-int8" in listing.stdout
    checked = dubstudio("verify", "campplus-sv-zh-en")
    assert (checked.returncode, checked.stdout.strip()) == (0, "campplus-sv-zh-en: OK")
    unknown = dubstudio("install", "whisper-huge")
    assert unknown.returncode == 2
    assert "not a model DubStudio can install" in unknown.stderr and "Traceback" not in unknown.stderr
    bad_import = dubstudio("import", str(tmp_path))
    assert bad_import.returncode == 2
    assert str(tmp_path) in bad_import.stderr
