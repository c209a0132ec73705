"""User data is never code, and a run never goes online.

1. A scan of dubstudio/'s syntax trees for the ways data becomes code or a shell command: pickle
   and friends, `eval`/`exec`, `shell=True`, `os.system`/`os.popen`, `torch.load` without
   `weights_only=True`, `numpy.load(allow_pickle=True)`, `yaml.load`/`yaml.unsafe_load`.
2. A network tripwire: any connection to a non-loopback address, or any name lookup other than
   localhost, is refused and recorded. The suite runs every test under the same guard, in its own
   process and in every child (tests/support/guard/), with HF_HUB_OFFLINE and its relatives
   removed: the real pipeline runs all over the suite prove the code never asks a model hub.
"""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
from pathlib import Path

import dubstudio_test_guard as guard
import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "dubstudio"
PICKLING_MODULES = {"pickle", "cPickle", "_pickle", "dill", "shelve", "marshal", "joblib", "cloudpickle"}
SHELL_CALLS = {
    ("os", "system"),
    ("os", "popen"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
}
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _keyword_is(call: ast.Call, name: str, value: object) -> bool:
    return any(
        k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is value for k in call.keywords
    )


def unsafe_constructs(source: str, filename: str) -> list[str]:
    """Every construct in `source` that could turn data into code or into a shell command."""
    findings = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            )
            findings += [f"{where}: imports {m}" for m in modules if m.split(".")[0] in PICKLING_MODULES]
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        parts = tuple(name.split("."))
        if isinstance(node.func, ast.Name) and name in ("eval", "exec", "compile", "__import__"):
            findings.append(f"{where}: calls {name}()")
        if _keyword_is(node, "shell", True):
            findings.append(f"{where}: {name}(shell=True)")
        if parts[-2:] in SHELL_CALLS:
            findings.append(f"{where}: calls {name}()")
        if parts[-1:] == ("load",) and parts[0] == "torch" and not _keyword_is(node, "weights_only", True):
            findings.append(f"{where}: torch.load() without weights_only=True")
        if (
            parts[-1:] == ("load",)
            and parts[0] in ("np", "numpy")
            and _keyword_is(node, "allow_pickle", True)
        ):
            findings.append(f"{where}: {name}(allow_pickle=True)")
        if parts[0] == "yaml" and parts[-1] in ("load", "unsafe_load", "full_load", "load_all"):
            findings.append(f"{where}: {name}() (use yaml.safe_load)")
    return findings


def test_the_scanner_finds_what_it_looks_for() -> None:
    """The scan below passes only because it finds nothing; prove it would find each construct."""
    bad = """
import pickle
from shelve import open
import subprocess, os, torch, numpy as np, yaml
eval(text)
exec(code)
subprocess.run(command, shell=True)
os.system(command)
torch.load(path)
torch.load(path, weights_only=False)
np.load(path, allow_pickle=True)
yaml.load(stream)
"""
    good = """
import subprocess, torch, numpy as np, yaml
subprocess.run(["ffmpeg", "-i", path], check=True)
torch.load(path, map_location="cpu", weights_only=True)
np.load(path, allow_pickle=False)
yaml.safe_load(stream)
model.eval()
dialog.exec()
"""
    assert len(unsafe_constructs(bad, "bad.py")) == 10
    assert unsafe_constructs(good, "good.py") == []


def test_no_pickle_eval_or_shell_in_dubstudio() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 30
    findings = [
        finding
        for path in files
        for finding in unsafe_constructs(
            path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent))
        )
    ]
    assert findings == [], "\n".join(findings)


# ---------------------------------------------------------------------------------------------
# network tripwire


def test_the_guard_refuses_and_records_a_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's guard in this process: nothing is simulated, an outgoing connection or lookup is
    refused and recorded, so a test fails even when the code under test swallows the error."""
    log = tmp_path / "guard.log"
    monkeypatch.setenv(guard.LOG_VARIABLE, str(log))  # this test's own record, checked here
    with socket.socket() as sock, pytest.raises(OSError, match="test network guard"):
        sock.connect(("192.0.2.1", 443))
    with pytest.raises(OSError, match="test network guard"):
        socket.create_connection(("huggingface.co", 443), timeout=1)
    assert [event[:2] for event in guard.read_log(log)] == [
        ["network", "connect 192.0.2.1:443"],
        ["network", "lookup huggingface.co"],
    ]
    assert guard.is_loopback("127.0.0.1") and guard.is_loopback("::1") and guard.is_loopback("localhost")


def test_the_suite_guard_refuses_and_reports_a_childs_connection(tmp_path: Path) -> None:
    """Every test runs under the suite's network guard (tests/support/guard/), the `dubstudio`
    children included, with HF_HUB_OFFLINE and its relatives removed: the real pipeline runs of the
    suite (CLI, editor, kill and corpus tests) are what proves a run never goes online. This checks
    that the guard itself works in a child process: the attempt fails and is reported."""
    log = tmp_path / "guard.log"
    child = (
        "import socket\n"
        "try:\n    socket.create_connection(('huggingface.co', 443), timeout=2)\n"
        "except OSError as error:\n    print('refused:', error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", child],
        env={**os.environ, guard.LOG_VARIABLE: str(log)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "refused: " in result.stdout and "test network guard" in result.stdout
    assert [event[:2] for event in guard.read_log(log)] == [["network", "lookup huggingface.co"]]
    assert not {name for name in os.environ if name in OFFLINE_VARIABLES}
