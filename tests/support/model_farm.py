"""The suite's models folder: verified symlinks to the installed default packs (see tests/conftest.py).

`build_model_farm(source, farm)` makes `farm/<model id>/` a real folder per default model whose files
are symlinks to the files the pack's manifest lists and whose manifest.json is a copy. Files in the
farm that are not links (what an engine derived there, e.g. Kokoro's float model) are kept unless the
pack's manifest now lists a file of that name; files the app derived in the user's folder are not
used, so a run does not depend on them. A model that is missing or fails its check is moved out of
the farm's sight (`.parked-<id>`, derived files kept), so the tests that need it fail with the
app's own "not installed" message. A file lock keeps two runs of the same checkout from rebuilding
the farm at once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from dubstudio.core.errors import UserError
from dubstudio.models.manifest import MANIFEST_NAME, file_stamp, read_manifest, sha256_file
from dubstudio.models.registry import DEFAULT_MODELS, REGISTRY


@dataclass
class FarmReport:
    linked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_pack(folder: Path, model_id: str) -> str:
    """An empty string when the installed pack is complete and intact, else what is wrong and the fix."""
    fix = f"run 'dubstudio models install {model_id}' (or make setup)"
    try:
        manifest = read_manifest(folder)
    except UserError as error:
        return f"{model_id}: {error.message} ({folder}); {fix}"
    if manifest is None:
        return f"{model_id}: not installed in {folder.parent}; {fix}"
    for expected in REGISTRY[model_id].files:
        path = folder / expected.name
        try:
            stamp = file_stamp(path)
        except OSError:
            return f"{model_id}: {expected.name} is missing ({path}); {fix}"
        if stamp[0] != expected.size:
            return f"{model_id}: {expected.name} has {stamp[0]} bytes, expected {expected.size}; {fix}"
        if manifest.stamp.get(expected.name) != stamp and sha256_file(path) != expected.sha256:
            return f"{model_id}: {expected.name} is corrupted (sha256 differs); {fix}"
    return ""


def _link(target: Path, link: Path) -> None:
    """Make `link` a symlink to `target`, replacing whatever is there in one rename."""
    if link.is_symlink() and os.readlink(link) == str(target):
        return
    scratch = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}.link")
    scratch.symlink_to(target)
    os.replace(scratch, link)


def _copy_if_changed(source: Path, target: Path) -> None:
    data = source.read_bytes()
    if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
        return
    scratch = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    scratch.write_bytes(data)
    os.replace(scratch, target)


def _mirror(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(source)
    assert manifest is not None  # check_pack passed
    shipped = set(manifest.files) | {MANIFEST_NAME}
    for name in sorted(shipped - {MANIFEST_NAME}):
        _link(source / name, target / name)
    _copy_if_changed(source / MANIFEST_NAME, target / MANIFEST_NAME)
    for entry in target.iterdir():
        stale_link = entry.is_symlink() and entry.name not in shipped
        leftover = entry.name.startswith(".") and entry.name.endswith((".link", ".tmp"))
        if stale_link or leftover:
            entry.unlink(missing_ok=True)


def build_model_farm(source: Path, farm: Path) -> FarmReport:
    farm.mkdir(parents=True, exist_ok=True)
    report = FarmReport()
    with open(farm / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        parked = {f".parked-{model_id}" for model_id in DEFAULT_MODELS}
        for entry in farm.iterdir():
            if entry.is_dir() and entry.name not in {*DEFAULT_MODELS, *parked}:
                shutil.rmtree(entry, ignore_errors=True)
        for model_id in DEFAULT_MODELS:
            linked, parked = farm / model_id, farm / f".parked-{model_id}"
            problem = check_pack(source / model_id, model_id)
            if problem:
                # out of the suite's sight, its derived files kept for when the pack is back
                report.problems.append(problem)
                if linked.exists():
                    shutil.rmtree(parked, ignore_errors=True)
                    os.replace(linked, parked)
                continue
            if parked.exists() and not linked.exists():
                os.replace(parked, linked)
            _mirror(source / model_id, linked)
            report.linked.append(model_id)
    return report
