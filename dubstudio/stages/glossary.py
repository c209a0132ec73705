"""Project glossaries: the file format and keeping terms fixed through a translation engine.

File format (UTF-8): one term per line, `source<TAB>target` (a `.csv` file uses a comma instead,
with CSV quoting); an empty or missing target means "keep the term as is"; blank lines and lines
starting with `#` are ignored.

Enforcement: before translation each term is replaced by a placeholder token such as `ZZG0ZZ`
that engines pass through unchanged (Apertium treats it as an unknown word and copies it; neural
models copy such tokens); after translation the placeholders become the fixed renderings. A term
whose placeholder did not come back is a `glossary_miss`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dubstudio.core.errors import UserError
from dubstudio.core.project import GlossaryEntry

#: tolerant of what engines do to a placeholder: case changes, a space inserted, letters doubled
_PLACEHOLDER = re.compile(r"Z+\s?G\s?(\d+)\s?Z+", re.IGNORECASE)


def placeholder(index: int) -> str:
    return f"ZZG{index}ZZ"


def is_placeholder(word: str) -> bool:
    return _PLACEHOLDER.fullmatch(word) is not None


def load_glossary(path: str | Path) -> list[GlossaryEntry]:
    """Read a glossary file; a malformed line is a `UserError` naming the file and line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise UserError("the glossary file does not exist", path=path, fix="Check the path.") from None
    except UnicodeDecodeError:
        raise UserError(
            "the glossary file is not UTF-8 text", path=path, fix="Save it as UTF-8 (plain text or CSV)."
        ) from None
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    separator = "," if delimiter == "," else "<TAB>"
    entries: list[GlossaryEntry] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = next(csv.reader([line], delimiter=delimiter)) if delimiter == "," else line.split("\t")
        fields = [f.strip() for f in fields]
        where = f"line {number}"
        if len(fields) > 2:
            raise UserError(
                f"{where} has {len(fields)} columns, expected 'source{separator}target'",
                path=path,
                fix="Put one term per line: the term, a separator, then its fixed translation (or nothing).",
            )
        source, target = fields[0], fields[1] if len(fields) == 2 else ""
        if not source:
            raise UserError(
                f"{where} has an empty source term", path=path, fix="Write the term to fix first."
            )
        key = source.lower()
        if key in seen:
            raise UserError(
                f"{where} repeats the term '{source}' from line {seen[key]}",
                path=path,
                fix="Keep one line per term.",
            )
        seen[key] = number
        entries.append(GlossaryEntry(source=source, target=target))
    return entries


def _term_pattern(entry: GlossaryEntry) -> re.Pattern[str]:
    flags = 0 if entry.case_sensitive else re.IGNORECASE
    return re.compile(rf"(?<!\w){re.escape(entry.source)}(?!\w)", flags)


@dataclass(frozen=True)
class Protected:
    """A source text with its glossary terms replaced by placeholders, and which entries it uses."""

    text: str
    entries: tuple[int, ...]  # glossary indexes, once per occurrence


def protect(text: str, glossary: Sequence[GlossaryEntry]) -> Protected:
    """Replace glossary terms by placeholders; longer terms first so "New York Times" beats "New York"."""
    used: list[int] = []
    order = sorted(range(len(glossary)), key=lambda i: -len(glossary[i].source))
    for index in order:
        pattern = _term_pattern(glossary[index])

        def substitute(_match: re.Match[str], index: int = index) -> str:
            used.append(index)
            return placeholder(index)

        text = pattern.sub(substitute, text)
    return Protected(text, tuple(sorted(used)))


def restore(
    translated: str, protected: Protected, glossary: Sequence[GlossaryEntry]
) -> tuple[str, list[str]]:
    """Put the fixed renderings in place of the placeholders; also return the terms that were lost.

    A term whose placeholder is gone still counts as kept when its rendering is in the text.
    """
    returned: list[int] = []

    def substitute(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(glossary):
            return match.group(0)
        returned.append(index)
        return glossary[index].rendering

    text = _PLACEHOLDER.sub(substitute, translated)
    missing = list(protected.entries)
    for index in returned:
        if index in missing:
            missing.remove(index)
    lost = [
        index
        for index in dict.fromkeys(missing)
        if not _term_pattern(GlossaryEntry(glossary[index].rendering, case_sensitive=False)).search(text)
    ]
    return text, [glossary[i].source for i in lost]
