"""Neural translation one step away: `dubstudio models install translate-en-es` for users who are online.

`translate-<from>-<to>` fetches the Argos Translate package index (JSON, `DUBSTUDIO_ARGOS_INDEX`
overrides its URL, e.g. a mirror), picks the newest package for the pair, downloads its
`.argosmodel` into the download cache through `download.download_file` (progress, resume after an
interruption, cancel; the sha256 is checked when the index gives one) and installs it as a local
import would (`importer.py`: the archive's layout and metadata are checked, Argos itself must load
it, and every file's sha256 goes into the manifest for `dubstudio models verify`). The result is the
model `argos-<from>-<to>`; from then on everything is offline and the translator picks Argos for
the pair before Apertium.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

from dubstudio import __version__
from dubstudio.core.errors import UserError
from dubstudio.core.progress import CancelToken, ProgressCallback, ignore_progress, stage_reporter
from dubstudio.models.download import download_file
from dubstudio.models.paths import download_cache_dir, models_dir

INDEX_URL = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json"
#: pairs listed in the model manager before anything is installed (any pair of the index installs)
OFFERED_PAIRS = (
    ("en", "es"), ("es", "en"), ("en", "fr"), ("fr", "en"), ("en", "de"), ("de", "en"),
    ("en", "it"), ("it", "en"), ("en", "pt"), ("pt", "en"), ("en", "ca"), ("es", "pt"),
)  # fmt: skip
_ID = re.compile(r"translate-([a-z]{2,3})-([a-z]{2,3})")


def translation_model_id(source: str, target: str) -> str:
    return f"translate-{source}-{target}"


def installed_model_id(source: str, target: str) -> str:
    """The folder an installed (or imported) Argos package of the pair is recorded in."""
    return f"argos-{source}-{target}"


def parse_translation_id(model_id: str) -> tuple[str, str] | None:
    match = _ID.fullmatch(model_id)
    return (match.group(1), match.group(2)) if match else None


def index_url() -> str:
    return os.environ.get("DUBSTUDIO_ARGOS_INDEX", INDEX_URL)


def _fetch_index(url: str) -> list[dict]:
    request = urllib.request.Request(url, headers={"User-Agent": f"DubStudio/{__version__}"})
    fix = (
        "Check the internet connection (or DUBSTUDIO_ARGOS_INDEX), or import a downloaded .argosmodel with "
        "'dubstudio models import FILE'."
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            index = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError) as exc:
        raise UserError(f"the Argos package index cannot be read ({exc})", path=url, fix=fix) from exc
    except ValueError as exc:
        raise UserError(f"the Argos package index is not valid JSON ({exc})", path=url, fix=fix) from exc
    if not isinstance(index, list):
        raise UserError("the Argos package index is not a list of packages", path=url, fix=fix)
    return [entry for entry in index if isinstance(entry, dict)]


def _version(entry: dict) -> tuple:
    return tuple(
        int(part) if part.isdigit() else 0 for part in str(entry.get("package_version", "0")).split(".")
    )


def _package_for(index: list[dict], source: str, target: str, url: str) -> dict:
    candidates = [
        entry
        for entry in index
        if entry.get("from_code") == source
        and entry.get("to_code") == target
        and entry.get("type", "translate") == "translate"
        and isinstance(entry.get("links"), list)
        and entry["links"]
    ]
    if not candidates:
        pairs = sorted({f"{e.get('from_code')}-{e.get('to_code')}" for e in index if e.get("from_code")})
        raise UserError(
            f"the Argos package index has no {source}→{target} package",
            path=url,
            fix=f"Pairs it has: {', '.join(pairs) or 'none'}. Apertium may still cover the pair "
            f"offline (see 'apt-cache search apertium').",
        )
    return max(candidates, key=_version)


def install_translation(
    model_id: str, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> Path:
    """Download and install the Argos package for a `translate-<from>-<to>` id; returns its model folder."""
    from dubstudio.models.importer import import_model

    pair = parse_translation_id(model_id)
    assert pair is not None, model_id
    source, target = pair
    folder = models_dir() / installed_model_id(source, target)
    if (folder / "manifest.json").is_file():
        return folder
    report = stage_reporter(progress or ignore_progress, "models")
    url = index_url()
    report(0.0, f"{model_id}: reading the Argos package index")
    entry = _package_for(_fetch_index(url), source, target, url)
    version = str(entry.get("package_version", "")) or "0"
    dest = download_cache_dir() / "argos" / f"translate-{source}_{target}-{version}.argosmodel"

    def on_bytes(done: int, total: int | None) -> None:
        report(0.9 * done / total if total else 0.0, f"{model_id}: downloading {dest.name}")

    failures = []
    for link in entry["links"]:
        if cancel is not None:
            cancel.raise_if_cancelled()
        try:
            download_file(str(link), dest, sha256=entry.get("sha256"), progress=on_bytes, cancel=cancel)
            break
        except UserError as exc:
            failures.append(exc)
    else:
        raise failures[-1]
    report(0.9, f"{model_id}: installing")
    status = import_model(dest, cancel=cancel)
    report(1.0, f"{model_id}: installed")
    return status.path
