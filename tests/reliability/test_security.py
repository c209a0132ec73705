"""User data is never code, and a run never goes online.

1. A scan of dubstudio/'s syntax trees for the ways data becomes code or a shell command: pickle
   and friends, `eval`/`exec`, `shell=True`, `os.system`/`os.popen`, `torch.load` without
   `weights_only=True`, `numpy.load(allow_pickle=True)`, `yaml.load`/`yaml.unsafe_load`.
2. A real pipeline run (recognition, diarization, translation, synthesis, export) with a network
   tripwire: any connection to a non-loopback address, or any name lookup other than localhost,
   fails the test. HF_HUB_OFFLINE and its relatives are removed from the environment first, so
   the run proves the code itself never asks a model hub for anything.
"""

from __future__ import annotations

import ast
import ipaddress
import socket
from pathlib import Path

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


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class NetworkTripwire:
    """Records (and refuses) every attempt to reach a non-loopback host from this process.

    Not a mock of a component: nothing is simulated, an outgoing connection is just refused and
    remembered, so the test fails even when the code under test swallows the error.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.attempts: list[str] = []
        original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex
        original_getaddrinfo = socket.getaddrinfo

        def check(address) -> None:
            if isinstance(address, tuple) and not _is_loopback(str(address[0])):
                self.attempts.append(f"connect {address}")
                raise ConnectionRefusedError(f"network tripwire: connection to {address}")

        def connect(sock, address):
            check(address)
            return original_connect(sock, address)

        def connect_ex(sock, address):
            check(address)
            return original_connect_ex(sock, address)

        def getaddrinfo(host, *args, **kwargs):
            if host is not None and not _is_loopback(host.decode() if isinstance(host, bytes) else str(host)):
                self.attempts.append(f"lookup {host}")
                raise socket.gaierror(f"network tripwire: name lookup of {host}")
            return original_getaddrinfo(host, *args, **kwargs)

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_the_tripwire_catches_a_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    tripwire = NetworkTripwire(monkeypatch)
    with pytest.raises(OSError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    with pytest.raises(OSError):
        socket.create_connection(("huggingface.co", 443), timeout=1)
    assert len(tripwire.attempts) == 2


@pytest.mark.slow
def test_a_real_pipeline_run_never_touches_the_network(
    tmp_path: Path, speech_video: Path, installed_models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in OFFLINE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    tripwire = NetworkTripwire(monkeypatch)
    from dubstudio.core.project import Settings
    from dubstudio.pipeline.orchestrator import Pipeline

    pipeline = Pipeline.create(
        speech_video, tmp_path / "project", source_language=None, target_language="es", settings=Settings()
    )
    project = pipeline.run()
    exported = pipeline.export()
    assert tripwire.attempts == []
    assert project.source_language == "en" and project.segments
    assert all(s.clip is not None for s in project.segments if s.tts_text.strip())
    assert exported.files["dub.wav"].is_file()
    names = project.diagnostics.engines
    assert {"transcription", "diarization", "translation", "synthesis"} <= set(names), names
