"""HTTP download of one model file from a hub: progress, resume, cancel, sha256 check.

Bytes go to `<dest>.part`; an interrupted or cancelled download keeps that file and the next call
asks the server for the rest with a `Range` header (a server that ignores it simply sends the whole
file again). Only a file whose sha256 matches is renamed to `dest`; a mismatch deletes the partial
file, so the next attempt starts clean.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from dubstudio import __version__
from dubstudio.core.errors import UserError
from dubstudio.core.progress import CancelToken
from dubstudio.models.manifest import CHUNK, copy_hashing

# (bytes done, total bytes or None when the server does not say)
ByteProgress = Callable[[int, int | None], None]

_CONTENT_RANGE = re.compile(r"bytes (\d+)-\d+/(\d+|\*)")


def _retry_fix(url: str) -> str:
    return (
        "Check the internet connection (or the mirror set in HF_ENDPOINT) and run the command again; "
        f"it resumes where it stopped. Offline, install from packages or import a local copy of {url}."
    )


def _open(url: str, offset: int, timeout: float):
    headers = {"User-Agent": f"DubStudio/{__version__}"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            return None  # nothing left to send: the partial file is already complete
        raise UserError(
            f"the download failed: HTTP {exc.code} {exc.reason}", path=url, fix=_retry_fix(url)
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UserError(f"the download failed: {reason}", path=url, fix=_retry_fix(url)) from exc


def _resume_offset(response, offset: int) -> tuple[int, int | None]:
    """Where the response body starts in the file and the file's total size (if known)."""
    length = response.headers.get("Content-Length")
    if offset and response.status == 206:
        match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
        if match and int(match.group(1)) == offset:
            total = match.group(2)
            return offset, int(total) if total != "*" else (offset + int(length) if length else None)
    return 0, int(length) if length else None


def download_file(
    url: str,
    dest: Path,
    *,
    sha256: str | None,
    progress: ByteProgress | None = None,
    cancel: CancelToken | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download `url` to `dest` (resuming `<dest>.part`), check its sha256 and return `dest`.

    `sha256=None` (a source that publishes no checksum): the caller verifies the file instead.

    Raises `Cancelled` (keeping the partial file) or `UserError` (network failure, corrupted file).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    hasher = hashlib.sha256()
    offset = 0
    if part.exists():
        with open(part, "rb") as existing:
            offset = copy_hashing(existing, None, hasher, cancel=cancel)
    response = _open(url, offset, timeout)
    if response is not None:
        with response:
            start, total = _resume_offset(response, offset)
            if start != offset:
                hasher, offset = hashlib.sha256(), 0
            done = offset
            with open(part, "ab" if offset else "wb") as target:
                while True:
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    try:
                        chunk = response.read(CHUNK)
                    except OSError as exc:
                        raise UserError(
                            f"the download broke off: {exc}", path=url, fix=_retry_fix(url)
                        ) from exc
                    if not chunk:
                        break
                    target.write(chunk)
                    hasher.update(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
        if total is not None and done < total:
            raise UserError(
                f"the download stopped after {done} of {total} bytes", path=url, fix=_retry_fix(url)
            )
    actual = hasher.hexdigest()
    if sha256 is not None and actual != sha256:
        part.unlink(missing_ok=True)
        raise UserError(
            f"the downloaded file is corrupted (sha256 {actual}, expected {sha256})",
            path=url,
            fix="Run the command again to download it afresh; if it keeps failing, the server holds a "
            "different file: install from packages or import a verified local copy instead.",
        )
    os.replace(part, dest)
    return dest
