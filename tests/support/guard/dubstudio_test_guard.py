"""Guards for a test run, active in the test process and in every Python process it starts.

`tests/conftest.py` installs them in the test process and puts this folder first on PYTHONPATH, so
the `sitecustomize.py` beside this file installs them in each child (`dubstudio dub`, the editor's
recognition process, pip). They are active while `DUBSTUDIO_TEST_GUARD_LOG` names a file, which the
conftest sets per test; each event is one tab-separated line appended to that file:

- `network <what>`: a connection to an address off this machine (neither loopback nor one of its
  own interfaces) or a lookup of a non-local name. It is refused (ConnectionRefusedError /
  socket.gaierror) as well as logged, so a test fails even when the code under test swallows the
  error. Tests never reach the network.
- `model <id> <path> <pid>`: weights opened from the suite's models folder (`DUBSTUDIO_TEST_GUARD_MODELS`,
  os.pathsep-separated) by onnxruntime, faster-whisper or torch.load: a test that does this must be
  marked `@pytest.mark.slow`.

Nothing is simulated: connections go through when allowed and models load as usual.
"""

from __future__ import annotations

import importlib.abc
import ipaddress
import itertools
import os
import socket
import sys
from pathlib import Path

LOG_VARIABLE = "DUBSTUDIO_TEST_GUARD_LOG"
MODELS_VARIABLE = "DUBSTUDIO_TEST_GUARD_MODELS"
TOLERATE_VARIABLE = "DUBSTUDIO_TEST_GUARD_TOLERATE"
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


def _own_addresses() -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses of this machine's own interfaces (Linux /proc): traffic to them never leaves it.

    A local Ray runtime, for one, listens on the machine's primary address rather than loopback."""
    found: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    try:
        lines = Path("/proc/net/fib_trie").read_text(encoding="ascii").splitlines()
        found |= {
            ipaddress.IPv4Address(previous.split()[-1])
            for previous, line in itertools.pairwise(lines)
            if line.strip() == "/32 host LOCAL"
        }
        for line in Path("/proc/net/if_inet6").read_text(encoding="ascii").splitlines():
            found.add(ipaddress.IPv6Address(int(line.split()[0], 16)))
    except (OSError, ValueError, IndexError):
        pass
    return found


_OWN_ADDRESSES = _own_addresses()


def is_loopback(host: str) -> bool:
    """True for a name or address that stays on this machine (loopback or one of its own)."""
    if host in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address in _OWN_ADDRESSES


def _tolerated() -> set[str]:
    """Hosts a test named in TOLERATE_VARIABLE: still refused, but not reported (for a library's own
    probe the product cannot switch off; the test says which and why)."""
    return set(filter(None, os.environ.get(TOLERATE_VARIABLE, "").split(",")))


def _install_network_guard() -> None:
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def refuse(address) -> None:
        if os.environ.get(LOG_VARIABLE) and isinstance(address, tuple) and not is_loopback(str(address[0])):
            if str(address[0]) not in _tolerated():
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
            if str(name) not in _tolerated():
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

    #: marks every copy of this finder (a second copy of this module must not ask the first)
    patches_on_import = True

    def find_spec(self, name, path=None, target=None):
        patch = _PATCHES.get(name)
        if patch is None:
            return None
        spec = None
        for finder in sys.meta_path:
            if not getattr(finder, "patches_on_import", False) and hasattr(finder, "find_spec"):
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
