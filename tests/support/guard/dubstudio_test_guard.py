"""Guards for a test run, active in the test process and in every Python process it starts.

`tests/conftest.py` installs them in the test process and puts this folder first on PYTHONPATH, so
the `sitecustomize.py` beside this file installs them in each child (`dubstudio dub`, the editor's
recognition process, pip). They are active while `DUBSTUDIO_TEST_GUARD_LOG` names a file, which the
conftest sets per test; each event is one tab-separated line appended to that file:

- `network <what>`: a connection to a non-loopback address or a lookup of a non-local name. It is
  refused (ConnectionRefusedError / socket.gaierror) as well as logged, so a test fails even when the
  code under test swallows the error. Tests never reach the network.
- `model <id> <path> <pid>`: weights opened from the suite's models folder (`DUBSTUDIO_TEST_GUARD_MODELS`,
  os.pathsep-separated) by onnxruntime, faster-whisper or torch.load: a test that does this must be
  marked `@pytest.mark.slow`.

Nothing is simulated: connections go through when allowed and models load as usual.
"""

from __future__ import annotations

import importlib.abc
import ipaddress
import os
import socket
import sys

LOG_VARIABLE = "DUBSTUDIO_TEST_GUARD_LOG"
MODELS_VARIABLE = "DUBSTUDIO_TEST_GUARD_MODELS"
_LOCAL_NAMES = {"", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _log(kind: str, *fields: str) -> None:
    target = os.environ.get(LOG_VARIABLE)
    if not target:
        return
    line = "\t".join((kind, *(str(f).replace("\t", " ").replace("\n", " ") for f in fields)))
    try:
        with open(target, "a", encoding="utf-8") as stream:
            stream.write(line + "\n")
    except OSError:
        pass


def is_loopback(host: str) -> bool:
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _install_network_guard() -> None:
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def refuse(address) -> None:
        if os.environ.get(LOG_VARIABLE) and isinstance(address, tuple) and not is_loopback(str(address[0])):
            _log("network", f"connect {address[0]}:{address[1] if len(address) > 1 else ''}")
            raise ConnectionRefusedError(f"test network guard: no connection to {address} during tests")

    def connect(sock, address):
        refuse(address)
        return original_connect(sock, address)

    def connect_ex(sock, address):
        refuse(address)
        return original_connect_ex(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if os.environ.get(LOG_VARIABLE) and name is not None and not is_loopback(str(name)):
            _log("network", f"lookup {name}")
            raise socket.gaierror(socket.EAI_NONAME, f"test network guard: no lookup of {name} during tests")
        return original_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo


def _model_id(path: object) -> str | None:
    """The model id when `path` lies in one of the suite's model folders."""
    if not isinstance(path, str | os.PathLike):
        return None
    absolute = os.path.abspath(os.fspath(path))
    for root in filter(None, os.environ.get(MODELS_VARIABLE, "").split(os.pathsep)):
        if absolute.startswith(root.rstrip(os.sep) + os.sep):
            return absolute[len(root.rstrip(os.sep)) + 1 :].split(os.sep)[0]
    return None


def _note_model(path: object) -> None:
    model = _model_id(path)
    if model:
        _log("model", model, os.fspath(path), str(os.getpid()))  # type: ignore[arg-type]


def _patch_onnxruntime(module) -> None:
    session = module.InferenceSession
    original = session.__init__

    def __init__(self, path_or_bytes, *args, **kwargs):
        _note_model(path_or_bytes)
        original(self, path_or_bytes, *args, **kwargs)

    session.__init__ = __init__


def _patch_faster_whisper(module) -> None:
    model = module.WhisperModel
    original = model.__init__

    def __init__(self, model_size_or_path, *args, **kwargs):
        _note_model(model_size_or_path)
        original(self, model_size_or_path, *args, **kwargs)

    model.__init__ = __init__


def _patch_torch(module) -> None:
    original = module.load

    def load(f, *args, **kwargs):
        _note_model(f)
        return original(f, *args, **kwargs)

    module.load = load


_PATCHES = {
    "onnxruntime": _patch_onnxruntime,
    "faster_whisper.transcribe": _patch_faster_whisper,
    "torch": _patch_torch,
}


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Applies a patch to a module right after it executes (before anyone uses it)."""

    def find_spec(self, name, path=None, target=None):
        patch = _PATCHES.get(name)
        if patch is None:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        original_exec = loader.exec_module

        def exec_module(module):
            original_exec(module)
            patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_installed = False


def install() -> None:
    """Install both guards once in this process (already imported modules are patched at once)."""
    global _installed
    if _installed:
        return
    _installed = True
    _install_network_guard()
    for name, patch in _PATCHES.items():
        if name in sys.modules:
            patch(sys.modules[name])
    sys.meta_path.insert(0, _PatchOnImport())


def read_log(path: str | os.PathLike) -> list[list[str]]:
    try:
        with open(path, encoding="utf-8") as stream:
            return [line.rstrip("\n").split("\t") for line in stream if line.strip()]
    except FileNotFoundError:
        return []
