"""The project folder on disk: atomic saves with a backup, autosave/recovery, strict loading.

Layout of a project folder (e.g. ``MyVideo.dubstudio/``)::

    project.json            the document (versioned envelope, see `SCHEMA_VERSION`)
    project.json.bak        the previous save, kept by every `save_project`
    project.autosave.json   the editor's periodic autosave, newer than project.json after a crash
    audio/                  extracted source audio, waveform peaks cache
    cache/<stage>/          stage outputs
    clips/<segment id>/     synthesized takes
    exports/                subtitle files, dub audio, mixes, muxed video

A save never leaves a half-written project.json: the new content goes to a temporary file in the
same folder, is flushed and fsynced, the current file is kept as the backup, and only then is the
temporary file renamed over project.json (an atomic rename) and the folder fsynced. Killing the
process at any moment leaves either the previous or the new document.

The file is user data that can be hand-edited, damaged or hostile, so loading is strict: the JSON
is checked field by field against the dataclasses (`core.schema`), then for consistency (unique ids,
sorted segments, existing speakers, clip paths inside the folder). No pickle, no eval.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from dubstudio.core.errors import ProjectFileError, UserError
from dubstudio.core.project import Project
from dubstudio.core.schema import SchemaError, from_dict, to_dict

FORMAT = "dubstudio-project"
#: Version of the document inside the envelope; bump it and register a migration on any change
#: that an older file would not load under.
SCHEMA_VERSION = 1

PROJECT_FILE = "project.json"
BACKUP_FILE = "project.json.bak"
AUTOSAVE_FILE = "project.autosave.json"
SUBFOLDERS = ("audio", "cache", "clips", "exports")

#: A project with hours of word timings is a few tens of MB; anything far bigger is not ours.
MAX_PROJECT_BYTES = 512 * 1024 * 1024
#: Temporary files older than this are leftovers of a killed save and are removed.
STALE_TEMP_SECONDS = 600

Migration = Callable[[dict[str, Any]], dict[str, Any]]
#: `MIGRATIONS[n]` turns the `project` object of schema version n into version n + 1. Version 1 is
#: the first released format, so there is nothing to migrate yet; the chain runs on load.
MIGRATIONS: dict[int, Migration] = {}


class NewerProjectError(ProjectFileError):
    """The file was written by a newer DubStudio with a format this version does not know."""


class DamagedProjectError(ProjectFileError):
    """project.json cannot be loaded but project.json.bak (the previous save) can."""

    def __init__(self, problem: str, *, path: Path, backup_path: Path) -> None:
        self.backup_path = backup_path
        super().__init__(
            problem,
            path=path,
            fix=(
                f"The backup {backup_path.name} (the previous save) is intact: open the project from "
                "the backup (load_project(folder, use_backup=True)); edits made after that save are lost."
            ),
        )


# ---------------------------------------------------------------------------------------------
# paths


def resolve_inside(project_dir: str | Path, relative: str) -> Path:
    """The absolute path of `relative` inside the project folder, refusing anything that escapes.

    Project files store paths relative to the folder with `/` separators. Absolute paths, drive
    letters, backslashes, `..` parts and symlinks pointing outside the folder are refused, because
    a shared project.json must not make DubStudio read or overwrite files elsewhere.
    """
    root = Path(project_dir).resolve()
    problem = ""
    if not relative or "\x00" in relative:
        problem = "is empty or contains a NUL character"
    elif "\\" in relative:
        problem = "contains a backslash; paths inside a project use '/'"
    elif PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).drive:
        problem = "is absolute; paths inside a project are relative to its folder"
    elif ".." in PurePosixPath(relative).parts:
        problem = "climbs to a parent folder; paths must stay inside the project folder"
    if not problem:
        candidate = (root / relative).resolve()
        if candidate != root and root not in candidate.parents:
            problem = "leads outside the project folder (through a symbolic link)"
        else:
            return candidate
    raise ProjectFileError(
        f"the path {relative[:200]!r} {problem}",
        path=root,
        fix="Correct or remove this path in project.json.",
    )


# ---------------------------------------------------------------------------------------------
# atomic writing

#: "No space left on device", "Disk quota exceeded" and "File too large" (a file-size limit): the
#: user's remedy is the same for all three.
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class DiskFullError(UserError):
    """A write failed for lack of space (or a file-size limit) on the target's file system."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(
            f"not enough disk space to write {Path(path).name}",
            path=path,
            fix="Free some disk space or choose another folder, then try again.",
        )


@contextlib.contextmanager
def disk_space_errors(path: str | Path) -> Iterator[None]:
    """Turn an OSError meaning "no space" while writing `path` into a DiskFullError naming it."""
    try:
        yield
    except OSError as exc:
        if exc.errno in NO_SPACE_ERRNOS:
            raise DiskFullError(path) from None
        raise



def _fsync_dir(folder: Path) -> None:
    """Make a rename durable. Windows cannot open a directory, and there renames are durable anyway."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_temp_files(folder: Path, prefix: str) -> None:
    cutoff = time.time() - STALE_TEMP_SECONDS
    for leftover in folder.glob(f"{prefix}*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def _keep_backup(target: Path, backup: Path) -> None:
    """Make `backup` a copy of `target` without ever leaving a partial backup in place."""
    staging = backup.with_name(f".{backup.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        staging.unlink()
    try:
        os.link(target, staging)
    except OSError:  # a file system without hard links: copy and sync instead
        shutil.copyfile(target, staging)
        with open(staging, "rb+") as handle:
            os.fsync(handle.fileno())
    os.replace(staging, backup)


@contextlib.contextmanager
def atomic_path(target: str | Path, *, backup: Path | None = None) -> Iterator[Path]:
    """A temporary file next to `target` to write by any means (Python, soundfile, ffmpeg); when the
    block ends without an error it replaces `target` in one durable rename, else it is removed.

    So a crash leaves either the old or the new content. With `backup`, the previous `target` (if
    any) becomes `backup` just before the switch. A full disk raises DiskFullError naming `target`.
    This is the one way the program writes a file atomically.
    """
    target = Path(target)
    folder = target.parent
    prefix = f".{target.name}."
    _remove_stale_temp_files(folder, prefix)
    fd, temp_name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        with disk_space_errors(target):
            yield Path(temp_name)
            if backup is not None and target.exists():
                _keep_backup(target, backup)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_dir(folder)


def atomic_write_bytes(target: str | Path, data: bytes, *, backup: Path | None = None) -> None:
    """Write `data` to `target` atomically and durably (see `atomic_path`)."""
    with atomic_path(target, backup=backup) as temporary, open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


# ---------------------------------------------------------------------------------------------
# encoding and decoding


def encode_project(project: Project) -> bytes:
    envelope = {"format": FORMAT, "schemaVersion": SCHEMA_VERSION, "project": to_dict(project)}
    return json.dumps(envelope, ensure_ascii=False, allow_nan=False, indent=1).encode("utf-8")


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid number in a project file")


def migrate(
    data: dict[str, Any],
    version: int,
    *,
    migrations: dict[int, Migration] | None = None,
    target: int = SCHEMA_VERSION,
) -> dict[str, Any]:
    """Upgrade a `project` object from `version` to `target`, one registered step at a time."""
    steps = MIGRATIONS if migrations is None else migrations
    while version < target:
        if version not in steps:
            raise SchemaError("schemaVersion", f"version {version} is too old to open (no upgrade from it)")
        data = steps[version](data)
        version += 1
    return data


def _parse_document(raw: bytes) -> Project:
    """Bytes of a project file → Project; raises SchemaError (with the field) or ValueError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"it is not UTF-8 text (byte {exc.start})") from None
    try:
        document = json.loads(
            text.removeprefix("\ufeff"),
            object_pairs_hook=_reject_duplicate_keys,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as exc:
        raise ValueError(f"it is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"it is not a DubStudio project (no \"format\": \"{FORMAT}\")")
    version = document.get("schemaVersion")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise SchemaError("schemaVersion", f"expected a whole number, got {version!r}")
    if version > SCHEMA_VERSION:
        raise NewerProjectError(
            f"the project was made by a newer DubStudio (file format {version}, this version reads up "
            f"to {SCHEMA_VERSION})",
            fix="Update DubStudio to open it.",
        )
    unknown = sorted(set(document) - {"format", "schemaVersion", "project"})
    if unknown:
        raise SchemaError("", f"unknown field {unknown[0]!r}")
    if "project" not in document:
        raise SchemaError("project", "is missing")
    data = migrate(document["project"], version)
    project = from_dict(Project, data)
    _check_consistency(project)
    return project


def _check_consistency(project: Project) -> None:
    """What the types cannot say: unique ids, time order, references that exist."""
    speaker_ids: set[str] = set()
    for i, speaker in enumerate(project.speakers):
        if not speaker.id:
            raise SchemaError(f"speakers[{i}].id", "must not be empty")
        if speaker.id in speaker_ids:
            raise SchemaError(f"speakers[{i}].id", f"the id {speaker.id!r} is used twice")
        speaker_ids.add(speaker.id)
    segment_ids: set[str] = set()
    previous_start = 0.0
    for i, segment in enumerate(project.segments):
        where = f"segments[{i}]"
        if not segment.id:
            raise SchemaError(f"{where}.id", "must not be empty")
        if segment.id in segment_ids:
            raise SchemaError(f"{where}.id", f"the id {segment.id!r} is used twice")
        segment_ids.add(segment.id)
        if segment.start < previous_start:
            raise SchemaError(f"{where}.start", "segments must be sorted by start time")
        previous_start = segment.start
        if segment.speaker_id and segment.speaker_id not in speaker_ids:
            raise SchemaError(f"{where}.speakerId", f"no speaker has the id {segment.speaker_id!r}")


def _check_clip_paths(project: Project, project_dir: Path) -> None:
    for i, segment in enumerate(project.segments):
        clips = [("clip", segment.clip)] if segment.clip else []
        clips += [(f"clipHistory[{k}]", clip) for k, clip in enumerate(segment.clip_history)]
        for name, clip in clips:
            try:
                resolve_inside(project_dir, clip.path)
            except ProjectFileError as exc:
                raise SchemaError(f"segments[{i}].{name}.path", exc.problem) from None


def _read_project_file(file: Path, project_dir: Path) -> Project:
    """Load one document file; every failure is a ProjectFileError naming the file (and field)."""
    try:
        size = file.stat().st_size
        if size > MAX_PROJECT_BYTES:
            raise ProjectFileError(
                f"the file is {size // 2**20} MB, far larger than any project", path=file,
                fix="Check that this is the right folder.",
            )
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ProjectFileError(
            "the file does not exist", path=file,
            fix="Open a folder that DubStudio created (it holds project.json).",
        ) from None
    except OSError as exc:
        raise ProjectFileError(f"the file cannot be read ({exc.strerror})", path=file) from None
    try:
        project = _parse_document(raw)
        _check_clip_paths(project, project_dir)
    except ProjectFileError as exc:
        if exc.path is None:
            raise type(exc)(exc.problem, path=file, fix=exc.fix) from None
        raise
    except SchemaError as exc:
        raise ProjectFileError(
            f"{exc.where or '(document)'}: {exc.problem}", path=file,
            fix="Correct that field, or restore the file from a backup.",
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ProjectFileError(f"the file is damaged: {exc}", path=file) from None
    return project


# ---------------------------------------------------------------------------------------------
# public API


def create_project_dir(path: str | Path, project: Project) -> Path:
    """Create a new project folder with its subfolders and first project.json; returns the folder."""
    folder = Path(path)
    if (folder / PROJECT_FILE).exists():
        raise ProjectFileError(
            "a project already exists here", path=folder, fix="Open it, or choose another folder name."
        )
    try:
        for name in SUBFOLDERS:
            (folder / name).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectFileError(
            f"the project folder cannot be created ({exc.strerror})", path=folder,
            fix="Choose a folder you can write to.",
        ) from None
    save_project(folder, project)
    return folder


def save_project(project_dir: str | Path, project: Project) -> None:
    """Write project.json atomically, keeping the previous one as project.json.bak.

    The autosave is removed afterwards: project.json is now the newest state.
    """
    folder = Path(project_dir)
    data = encode_project(project)
    try:
        atomic_write_bytes(folder / PROJECT_FILE, data, backup=folder / BACKUP_FILE)
    except OSError as exc:
        raise ProjectFileError(
            f"the project could not be saved ({exc.strerror})", path=folder / PROJECT_FILE,
            fix="Free some disk space or check the folder's permissions, then save again.",
        ) from None
    discard_recovery(folder)


def load_project(project_dir: str | Path, *, use_backup: bool = False) -> Project:
    """Load and validate project.json (or project.json.bak with `use_backup`).

    Raises `DamagedProjectError` (a ProjectFileError) when project.json is broken but the backup
    loads, so the caller can offer to open the backup; otherwise a plain ProjectFileError.
    """
    folder = Path(project_dir)
    if not folder.is_dir():
        raise ProjectFileError(
            "the project folder does not exist", path=folder,
            fix="Choose an existing DubStudio project folder.",
        )
    main_file = folder / (BACKUP_FILE if use_backup else PROJECT_FILE)
    try:
        return _read_project_file(main_file, folder)
    except ProjectFileError as exc:
        backup = folder / BACKUP_FILE
        if use_backup or isinstance(exc, NewerProjectError) or not backup.exists():
            raise
        try:
            _read_project_file(backup, folder)
        except ProjectFileError:
            raise exc from None
        raise DamagedProjectError(exc.problem, path=main_file, backup_path=backup) from None


def autosave(project_dir: str | Path, project: Project) -> None:
    """Write project.autosave.json atomically; project.json is left untouched."""
    folder = Path(project_dir)
    try:
        atomic_write_bytes(folder / AUTOSAVE_FILE, encode_project(project))
    except OSError as exc:
        raise ProjectFileError(
            f"autosave failed ({exc.strerror})", path=folder / AUTOSAVE_FILE,
            fix="Free some disk space or check the folder's permissions.",
        ) from None


def recovery_available(project_dir: str | Path) -> bool:
    """True when an autosave exists that is newer than project.json (the editor was not saved)."""
    folder = Path(project_dir)
    try:
        autosaved = (folder / AUTOSAVE_FILE).stat().st_mtime_ns
    except FileNotFoundError:
        return False
    try:
        saved = (folder / PROJECT_FILE).stat().st_mtime_ns
    except FileNotFoundError:
        return True
    return autosaved > saved


def recover(project_dir: str | Path) -> Project:
    """The autosaved project, validated like project.json. Save it to make it permanent."""
    folder = Path(project_dir)
    return _read_project_file(folder / AUTOSAVE_FILE, folder)


def discard_recovery(project_dir: str | Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (Path(project_dir) / AUTOSAVE_FILE).unlink()
