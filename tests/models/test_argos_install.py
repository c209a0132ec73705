"""`dubstudio models install translate-en-es` against a local HTTP server (no network here): the
server holds an Argos-style package index and a real (tiny) .argosmodel built by the test.

argostranslate reads its package folder from the environment when first imported, so the install
and the translator run in a child Python with its own data dirs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engines"))
from tiny_argos import argos_index_server, isolated_argos_env

CHILD = textwrap.dedent(
    """
    import json, sys
    from dubstudio.core.errors import Cancelled, UserError
    from dubstudio.core.progress import CancelToken
    from dubstudio.models import install, list_models
    from dubstudio.engines.translators import pick_translator

    result = {}
    token = CancelToken()
    token.cancel()
    try:
        install("translate-en-es", cancel=token)
    except Cancelled:
        result["cancelled"] = True
    try:
        install("translate-en-fr")
    except UserError as error:
        result["missing_pair"] = error.message + " " + error.fix
    events = []
    folder = install("translate-en-es", progress=events.append)
    result["folder"] = str(folder)
    result["fractions"] = [round(e.fraction, 2) for e in events]
    result["messages"] = sorted({e.message.split(":")[1].split()[0] for e in events if ":" in e.message})
    statuses = {s.id: s.status for s in list_models()}
    result["argos_status"] = statuses.get("argos-en-es")
    result["offered"] = "translate-en-es" in statuses
    result["engine"] = pick_translator("en", "es").name
    result["again"] = str(install("translate-en-es"))
    print(json.dumps(result))
    """
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    with argos_index_server(tmp_path / "index") as base:
        yield base


def test_install_from_the_index_makes_argos_the_engine(served, tmp_path):
    env = isolated_argos_env(tmp_path, served)
    repo = Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, cwd=repo, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["cancelled"]
    assert "no en→fr package" in result["missing_pair"] and "en-es" in result["missing_pair"]
    assert Path(result["folder"]).name == "argos-en-es"
    assert result["fractions"][-1] == 1.0 and result["fractions"] == sorted(result["fractions"])
    assert {"downloading", "installing", "installed"} <= set(result["messages"])
    assert result["argos_status"] == "installed" and not result["offered"]
    assert result["engine"] == "argos"  # the neural model is the default once installed
    assert result["again"] == result["folder"]
    # the newest package was taken (0.1 over 0.0.9), its dead first link skipped
    assert (tmp_path / "downloads" / "argos" / "translate-en_es-0.1.argosmodel").is_file()
