"""The jobs of a batch: one per (input file, dub language), named after the file.

A job's project folder is `DIR/<stem>.<language>` (`<stem>-2.<language>` when two inputs share a
stem); it is exactly what `dubstudio dub FILE --to LANGUAGE --out DIR/<stem>.<language>` writes.

Inputs come from the command line (every file gets the command's options) or from a manifest CSV,
one row per file, whose columns override the command's options for that file:

    input,from,to,subtitles,subtitle_language,glossary,voices
    ep01.mp4,en,es;fr,ep01.srt,,terms.tsv,SPEAKER_00=kokoro:em_alex;SPEAKER_01=kokoro:ef_dora

Only `input` is required; relative paths are relative to the manifest's folder; `to` and `voices`
hold several values separated by ";". A job that cannot run (missing file, bad media) fails on its
own with its reason; a manifest that cannot be read at all is a UserError before anything starts.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dubstudio.core.errors import UserError
from dubstudio.pipeline.dub_job import DubRequest, parse_voice_overrides

MANIFEST_COLUMNS = ("input", "from", "to", "subtitles", "subtitle_language", "glossary", "voices")
#: subtitle files looked for beside an input when sidecar subtitles are asked for, in this order
SIDECAR_SUFFIXES = (".srt", ".vtt", ".ass")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_PATH_FIELDS = {"media", "out", "subtitles", "glossary"}


@dataclass
class FileEntry:
    """One input file and what its manifest row overrides (empty: the command's option applies)."""

    media: Path
    source_language: str = ""
    targets: list[str] = field(default_factory=list)
    subtitles: Path | None = None
    subtitle_language: str = ""
    glossary: Path | None = None
    voices: dict[str, str] = field(default_factory=dict)


@dataclass
class JobSpec:
    """A job: its stable identity, its project folder's name and the request it runs."""

    key: str
    name: str
    request: DubRequest


def parse_languages(text: str, *, what: str = "--to") -> list[str]:
    """ "es,fr" or "es;fr" → ["es", "fr"]; an ill-formed code is a UserError."""
    languages = [part.strip().lower() for part in re.split(r"[,;]", text or "") if part.strip()]
    for language in languages:
        if not _LANGUAGE.match(language):
            raise UserError(
                f"{what} names '{language}', which is not a language code",
                fix="Use ISO 639-1 codes such as es or fr, separated by commas.",
            )
    return list(dict.fromkeys(languages))


def sidecar_subtitles(media: Path) -> Path | None:
    """`episode.srt` (or .vtt, .ass) beside `episode.mp4`, if there is one."""
    return next((p for s in SIDECAR_SUFFIXES if (p := Path(media).with_suffix(s)).is_file()), None)


def read_manifest(path: Path) -> list[FileEntry]:
    """The manifest's rows as entries; an unreadable file, unknown column or empty input is a UserError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError("the manifest does not exist", path=path, fix="Check the path.") from None
    except UnicodeDecodeError:
        raise UserError("the manifest is not UTF-8 text", path=path, fix="Save it as UTF-8 CSV.") from None
    reader = csv.DictReader(text.splitlines())
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if "input" not in header:
        raise UserError(
            "the manifest has no 'input' column",
            path=path,
            fix=f"Its first line names the columns: {','.join(MANIFEST_COLUMNS)} (only input is required).",
        )
    unknown = [name for name in header if name not in MANIFEST_COLUMNS]
    if unknown:
        raise UserError(
            f"the manifest has the unknown column '{unknown[0]}'",
            path=path,
            fix=f"The columns are: {', '.join(MANIFEST_COLUMNS)}.",
        )
    base = path.resolve().parent
    entries = []
    for raw in reader:
        number = reader.line_num
        row = {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items()}
        if not any(row.values()):
            continue
        where = f"{path.name} line {number}"
        if not row.get("input"):
            raise UserError(f"{where} has no input file", path=path, fix="Fill its 'input' column.")

        def local(name: str, row: dict[str, str] = row) -> Path | None:
            return (base / row[name]) if row.get(name) else None

        voices = [pair for pair in row.get("voices", "").split(";") if pair.strip()]
        try:
            entries.append(
                FileEntry(
                    media=base / row["input"],
                    source_language=(parse_languages(row.get("from", ""), what=f"{where}: from") or [""])[0],
                    targets=parse_languages(row.get("to", ""), what=f"{where}: to"),
                    subtitles=local("subtitles"),
                    subtitle_language=row.get("subtitle_language", ""),
                    glossary=local("glossary"),
                    voices=parse_voice_overrides(voices),
                )
            )
        except UserError as error:
            raise UserError(f"{where}: {error.problem}", path=path, fix=error.fix) from None
    if not entries:
        raise UserError("the manifest lists no files", path=path, fix="Add one row per input file.")
    return entries


def plan_jobs(
    entries: list[FileEntry],
    defaults: DubRequest,
    targets: list[str],
    out_dir: Path,
    *,
    names: dict[str, str] | None = None,
    sidecars: bool = False,
) -> list[JobSpec]:
    """One job per entry and language. `defaults` holds the command's options (its media and out
    are ignored); `names` maps the keys of jobs already in the batch to their folder names, which
    they keep. With `sidecars`, an entry without subtitles uses the subtitle file beside it."""
    taken = dict(names or {})
    used = set(taken.values())
    jobs = []
    for entry in entries:
        media = Path(entry.media).expanduser().resolve()
        languages = entry.targets or targets
        if not languages:
            raise UserError(
                f"no dub language for {media.name}",
                fix="Pass --to LANG (e.g. --to es,fr) or fill the manifest's 'to' column.",
            )
        subtitles = entry.subtitles or (sidecar_subtitles(media) if sidecars else None) or defaults.subtitles
        for language in languages:
            key = f"{media}|{language}"
            name = taken.get(key) or _free_name(media.stem, language, used)
            taken[key] = name
            used.add(name)
            request = replace(
                defaults,
                media=media,
                out=Path(out_dir).resolve() / name,
                target_language=language,
                source_language=entry.source_language or defaults.source_language,
                subtitles=Path(subtitles).resolve() if subtitles else None,
                subtitle_language=entry.subtitle_language or defaults.subtitle_language,
                glossary=Path(entry.glossary or defaults.glossary).resolve()
                if (entry.glossary or defaults.glossary)
                else None,
                voices={**defaults.voices, **entry.voices},
            )
            jobs.append(JobSpec(key, name, request))
    return jobs


def _free_name(stem: str, language: str, used: set[str]) -> str:
    safe = re.sub(r"[^\w.-]+", "_", stem).strip("._") or "input"
    number = 1
    while True:
        name = f"{safe}{'' if number == 1 else f'-{number}'}.{language}"
        if name not in used:
            return name
        number += 1


def request_to_dict(request: DubRequest) -> dict[str, Any]:
    data = {}
    for item in fields(DubRequest):
        value = getattr(request, item.name)
        data[item.name] = str(value) if isinstance(value, Path) else value
    return data


def request_from_dict(data: dict[str, Any]) -> DubRequest:
    known = {item.name for item in fields(DubRequest)}
    values = {name: value for name, value in data.items() if name in known}
    for name in _PATH_FIELDS & set(values):
        values[name] = Path(values[name]) if values[name] else None
    return DubRequest(**values)


def request_digest(request: DubRequest) -> str:
    """Changes when anything the job is asked to do changes."""
    encoded = json.dumps(request_to_dict(request), sort_keys=True).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:16]


def input_fingerprint(request: DubRequest) -> list[Any]:
    """Size and modification time of every file the job reads ("missing" for a missing one): a job
    that finished, or failed on its input, runs again when one of them changes."""
    marks: list[Any] = []
    for path in (request.media, request.subtitles, request.glossary):
        if path is None:
            continue
        try:
            stat = Path(path).stat()
            marks.append([str(path), stat.st_size, stat.st_mtime_ns])
        except OSError:
            marks.append([str(path), "missing"])
    return marks
