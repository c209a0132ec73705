"""`manifest.json`: the record that makes a model folder count as installed.

Layout: `{"id": ..., "files": {name: sha256}, "kind": ..., "description": ..., "source": "packages" |
"hub" | "import", "import_path": ..., "location": ..., "installed": ISO time, "stamp": {name: [size,
mtime_ns]}, "derived": {name: builder version}}`. Only `id` and `files` are required (hand-assembled
folders have just those). `files` also lists the files built at install time (`derived`), with the
sha256 they had when built.

`location` is set when the files live outside the model folder (an Argos Translate package lives in
Argos's own package dir). `stamp` is written after a full sha256 check and lets `install` confirm an
installed model in milliseconds: same sizes and modification times as when last verified.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from dubstudio.core.errors import UserError
from dubstudio.core.progress import CancelToken
from dubstudio.core.store import atomic_write_bytes

MANIFEST_NAME = "manifest.json"
CHUNK = 1 << 20


def copy_hashing(
    source: BinaryIO,
    target: BinaryIO | None,
    hasher: hashlib._Hash,
    *,
    cancel: CancelToken | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> int:
    """Stream `source` into `target` (if any) and `hasher` in 1 MiB chunks; returns the byte count."""
    count = 0
    while chunk := source.read(CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if target is not None:
            target.write(chunk)
        hasher.update(chunk)
        count += len(chunk)
        if on_bytes is not None:
            on_bytes(len(chunk))
    return count


def sha256_file(
    path: Path, *, cancel: CancelToken | None = None, on_bytes: Callable[[int], None] | None = None
) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as stream:
        copy_hashing(stream, None, hasher, cancel=cancel, on_bytes=on_bytes)
    return hasher.hexdigest()


def file_stamp(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


@dataclass
class Manifest:
    id: str
    files: dict[str, str]
    kind: str = ""
    description: str = ""
    source: str = ""
    import_path: str = ""
    location: str = ""
    installed: str = ""
    stamp: dict[str, list[int]] = field(default_factory=dict)
    derived: dict[str, int] = field(default_factory=dict)

    def files_dir(self, folder: Path) -> Path:
        return Path(self.location) if self.location else folder

    def to_json(self) -> dict:
        data: dict = {"id": self.id, "files": self.files}
        for key in ("kind", "description", "source", "import_path", "location", "installed"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.stamp:
            data["stamp"] = self.stamp
        if self.derived:
            data["derived"] = self.derived
        return data


def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest, or None when there is none (the model is not installed)."""
    path = folder / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UserError(
            f"the model manifest is unreadable ({exc})",
            path=path,
            fix=f"Reinstall the model with 'dubstudio models install {folder.name}' or re-import it.",
        ) from exc
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise UserError(
            "the model manifest has no valid 'files' table",
            path=path,
            fix=f"Reinstall the model with 'dubstudio models install {folder.name}' or re-import it.",
        )
    stamp, derived = data.get("stamp"), data.get("derived")
    derived = derived if isinstance(derived, dict) else {}
    return Manifest(
        id=str(data.get("id", folder.name)),
        files=dict(files),
        kind=str(data.get("kind", "")),
        description=str(data.get("description", "")),
        source=str(data.get("source", "")),
        import_path=str(data.get("import_path", "")),
        location=str(data.get("location", "")),
        installed=str(data.get("installed", "")),
        stamp=dict(stamp) if isinstance(stamp, dict) else {},
        derived={str(name): version for name, version in derived.items() if isinstance(version, int)},
    )


def write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON to a temporary sibling and rename it over `path`, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, (json.dumps(data, indent=1) + "\n").encode("utf-8"))


def write_manifest(folder: Path, manifest: Manifest) -> None:
    write_json_atomic(folder / MANIFEST_NAME, manifest.to_json())
