"""`dubstudio models import PATH`: add a model the user already has on disk.

Recognised, in this order:
- a folder holding the files of a registry model (same names and sha256, e.g. a copy of
  `whisper-base/` from another machine, or a hub snapshot): installed as that model;
- a `.argosmodel` file (a zip of one folder with `metadata.json` and a CTranslate2 `model/`):
  installed into Argos Translate's package dir, where the translator finds it, and recorded as
  `argos-<from>-<to>/manifest.json` with `location` pointing there;
- a CTranslate2 Whisper folder (`model.bin`, `config.json`, `vocabulary.txt`/`.json` or
  `tokenizer.json`): copied to `whisper-<name>/`;
- a Coqui TTS model folder (`config.json` with `"model"` plus weights such as `model.pth`,
  `model.safetensors` or `model_file.pth`): copied to `coqui-<name>/`; XTTS models are voice-cloning
  ("tts-clone"), the rest plain "tts".
Every imported file is hashed while it is copied; the manifest keeps those sha256 so `verify` can
later detect a damaged copy. `<name>` is the folder name, lower-cased, with a leading
`faster-whisper-`/`whisper-`/`coqui-` dropped; of Coqui's `tts_models--multilingual--multi-dataset--xtts_v2`
only the last part is kept (`coqui-xtts-v2`, the name the Coqui engine looks for).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from dubstudio.core.errors import UserError
from dubstudio.core.progress import CancelToken, ProgressCallback, ignore_progress, stage_reporter
from dubstudio.models.installer import (
    STAGE,
    ModelStatus,
    finalize,
    model_status,
    staging_dir,
)
from dubstudio.models.manifest import Manifest, copy_hashing, sha256_file
from dubstudio.models.registry import REGISTRY, ModelSpec

EXPECTED = (
    "DubStudio can import: an Argos Translate package (.argosmodel file); a CTranslate2 Whisper folder "
    "(model.bin, config.json and vocabulary.txt, vocabulary.json or tokenizer.json); a Coqui TTS model "
    "folder (config.json plus model.pth, model.safetensors or model_file.pth); or a folder with the files "
    "of a built-in model (see 'dubstudio models list')."
)
COQUI_WEIGHTS = ("model.pth", "model.safetensors", "model_file.pth", "best_model.pth", "checkpoint.pth")
_NAME_PREFIXES = ("faster-whisper-", "whisper-", "coqui-")


def import_model(
    path: str | Path, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> ModelStatus:
    """Install a local model file or folder; returns its status (normally "installed")."""
    source = Path(path).expanduser()
    if not source.exists():
        raise UserError("there is no such file or folder", path=source, fix="Check the path and try again.")
    report = stage_reporter(progress or ignore_progress, STAGE)
    if source.is_dir():
        return _import_folder(source.resolve(), report, cancel)
    if source.suffix.lower() == ".argosmodel":
        return _import_argos(source.resolve(), report)
    raise UserError("this file is not a model DubStudio recognises", path=source, fix=EXPECTED)


def _slug(folder: Path) -> str:
    # Coqui's own cache names folders "tts_models--<language>--<dataset>--<model>": keep the model.
    name = folder.name.rsplit("--", 1)[-1]
    slug = re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-.")
    for prefix in _NAME_PREFIXES:
        slug = slug.removeprefix(prefix)
    return slug or "model"


def _visible_files(folder: Path) -> dict[str, int]:
    """Name → size of every non-hidden file directly in `folder` (symlinks followed, as in a hub cache).

    Model folders are flat; not descending keeps a mistaken `import ~` from walking a whole disk.
    """
    return {
        path.name: path.stat().st_size
        for path in sorted(folder.iterdir())
        if not path.name.startswith(".") and path.is_file()
    }


def _matching_spec(files: dict[str, int]) -> ModelSpec | None:
    for spec in REGISTRY.values():
        if all(files.get(f.name) == f.size for f in spec.files):
            return spec
    return None


def _coqui_kind(folder: Path) -> str:
    config_path = folder / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(
            f"the Coqui model config is not valid JSON ({exc})", path=config_path, fix=EXPECTED
        ) from exc
    if not isinstance(config, dict) or not isinstance(config.get("model"), str):
        raise UserError(
            'config.json has no "model" entry, so this is not a Coqui TTS model folder',
            path=config_path,
            fix=EXPECTED,
        )
    return "tts-clone" if config["model"].lower() == "xtts" else "tts"


def _classify(folder: Path, files: dict[str, int]) -> tuple[str, str, str]:
    """(model id, kind, description) for a folder that is not a registry model."""
    top = set(files)
    has_vocabulary = any(n.startswith("vocabulary.") for n in top) or "tokenizer.json" in top
    if {"model.bin", "config.json"} <= top and has_vocabulary:
        model_id, kind, description = f"whisper-{_slug(folder)}", "transcriber", "Whisper (CTranslate2)"
    elif "config.json" in top and top & set(COQUI_WEIGHTS):
        kind = _coqui_kind(folder)
        model_id, description = (
            f"coqui-{_slug(folder)}",
            f"Coqui TTS ({'XTTS' if kind == 'tts-clone' else 'TTS'})",
        )
    else:
        raise UserError("this folder does not hold a model DubStudio recognises", path=folder, fix=EXPECTED)
    if model_id in REGISTRY:
        raise UserError(
            f"importing this folder would replace the built-in model '{model_id}' with different files",
            path=folder,
            fix="Rename the folder (its name becomes the model name) and import it again.",
        )
    return model_id, kind, f"{description} imported from {folder.name}"


def _import_folder(folder: Path, report, cancel: CancelToken | None) -> ModelStatus:
    files = _visible_files(folder)
    spec = _matching_spec(files)
    if spec is not None:
        model_id, kind, description = spec.id, spec.kind, spec.description
        names = [f.name for f in spec.files]
    else:
        model_id, kind, description = _classify(folder, files)
        names = list(files)
    total = sum(files[name] for name in names) or 1
    copied = 0

    def on_bytes(count: int) -> None:
        nonlocal copied
        copied += count
        report(copied / total, f"{model_id}: importing")

    staging = staging_dir(model_id)
    try:
        hashes = {}
        for name in names:
            target = staging / name
            hasher = hashlib.sha256()
            with open(folder / name, "rb") as source, open(target, "wb") as sink:
                copy_hashing(source, sink, hasher, cancel=cancel, on_bytes=on_bytes)
            hashes[name] = hasher.hexdigest()
        if spec is not None:
            wrong = [f.name for f in spec.files if hashes[f.name] != f.sha256]
            if wrong:
                raise UserError(
                    f"these files look like the model '{spec.id}' but {', '.join(wrong)} differ from it",
                    path=folder,
                    fix=f"The copy is damaged: copy it again, or run 'dubstudio models install {spec.id}'.",
                )
        manifest = Manifest(
            model_id, hashes, kind=kind, description=description, source="import", import_path=str(folder)
        )
        finalize(staging, manifest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already unless the import failed
    report(1.0, f"{model_id}: imported")
    return model_status(model_id)


def _argos_root(archive: zipfile.ZipFile, path: Path) -> tuple[str, dict]:
    """The package's single top folder and its metadata, or a UserError saying what is wrong."""
    names = archive.namelist()
    unsafe = [n for n in names if PurePosixPath(n).is_absolute() or ".." in PurePosixPath(n).parts]
    roots = {PurePosixPath(n).parts[0] for n in names if PurePosixPath(n).parts}
    if unsafe or len(roots) != 1:
        raise UserError(
            "this .argosmodel is not one package folder (it must hold exactly one top folder and no "
            "absolute or '..' paths)",
            path=path,
            fix="Use the .argosmodel file as published by Argos Translate.",
        )
    root = roots.pop()
    try:
        metadata = json.loads(archive.read(f"{root}/metadata.json"))
    except KeyError:
        metadata = None
    except ValueError as exc:
        raise UserError(
            f"{root}/metadata.json is not valid JSON ({exc})", path=path, fix="Download the package again."
        ) from exc
    if not isinstance(metadata, dict) or not all(
        isinstance(metadata.get(k), str) for k in ("from_code", "to_code")
    ):
        raise UserError(
            f"this .argosmodel has no {root}/metadata.json naming from_code and to_code",
            path=path,
            fix="Use the .argosmodel file as published by Argos Translate.",
        )
    if not any(n.startswith(f"{root}/model/") for n in names):
        raise UserError(
            f"this .argosmodel has no translation model ({root}/model/ is missing)",
            path=path,
            fix="Use the .argosmodel file as published by Argos Translate.",
        )
    return root, metadata


def _import_argos(path: Path, report) -> ModelStatus:
    try:
        with zipfile.ZipFile(path) as archive:
            root, metadata = _argos_root(archive, path)
    except zipfile.BadZipFile as exc:
        raise UserError(
            "this .argosmodel is not a zip archive", path=path, fix="Download the package again."
        ) from exc
    from argostranslate import package as argos_package
    from argostranslate import settings as argos_settings

    report(0.0, f"installing {path.name} into Argos Translate")
    argos_package.install_from_path(path)
    installed = Path(argos_settings.package_data_dir) / root
    argos_package.Package(installed)  # Argos itself must accept the installed package
    model_id = f"argos-{metadata['from_code']}-{metadata['to_code']}"
    hashes = {
        file.relative_to(installed).as_posix(): sha256_file(file)
        for file in sorted(installed.rglob("*"))
        if file.is_file()
    }
    from_name = metadata.get("from_name") or metadata["from_code"]
    to_name = metadata.get("to_name") or metadata["to_code"]
    manifest = Manifest(
        model_id,
        hashes,
        kind="translation",
        description=f"Argos Translate {from_name} → {to_name} {metadata.get('package_version', '')}".strip(),
        source="import",
        import_path=str(path),
        location=str(installed),
    )
    finalize(staging_dir(model_id), manifest)
    report(1.0, f"{model_id}: imported")
    return model_status(model_id)
