"""Project glossaries: the file format and keeping terms fixed through a translation engine.

File format (UTF-8): one term per line, `source<TAB>target` (a `.csv` file uses a comma instead,
with CSV quoting); an empty or missing target means "keep the term as is"; blank lines and lines
starting with `#` are ignored.

Enforcement: before translation each term (found by the matching engine the phrasebook shares,
`phrase_matching.py`) is replaced by a placeholder token such as `ZZG0ZZ` that engines pass through
unchanged (Apertium treats it as an unknown word and copies it; neural models copy such tokens);
after translation the placeholders become the fixed renderings. A term whose placeholder did not
come back is a `glossary_miss`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dubstudio.core.errors import UserError
from dubstudio.core.project import GlossaryEntry
from dubstudio.stages.phrase_matching import Phrase, PhraseMatcher

#: tolerant of what engines do to a placeholder: case changes, a space inserted, letters doubled
_PLACEHOLDER = re.compile(r"Z+\s?G\s?(\d+)\s?Z+", re.IGNORECASE)


def placeholder(index: int) -> str:
    return f"ZZG{index}ZZ"


def is_placeholder(word: str) -> bool:
    return _PLACEHOLDER.fullmatch(word) is not None


def read_term_table(path: str | Path, columns: tuple[str, ...], what: str = "glossary") -> list[list[str]]:
    """Rows of a term file (format above; `columns` names the allowed columns, the first required).

    Missing trailing columns are empty strings; a malformed line or a repeated first column is a
    `UserError` naming the file and line.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise UserError(f"the {what} file does not exist", path=path, fix="Check the path.") from None
    except UnicodeDecodeError:
        raise UserError(
            f"the {what} file is not UTF-8 text", path=path, fix="Save it as UTF-8 (plain text or CSV)."
        ) from None
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    separator = "," if delimiter == "," else "<TAB>"
    rows: list[list[str]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = next(csv.reader([line], delimiter=delimiter)) if delimiter == "," else line.split("\t")
        fields = [f.strip() for f in fields]
        where = f"line {number}"
        if len(fields) > len(columns):
            raise UserError(
                f"{where} has {len(fields)} columns, expected '{separator.join(columns)}'",
                path=path,
                fix="Put one term per line: the term, a separator, then its fixed translation (or nothing).",
            )
        if not fields[0]:
            raise UserError(
                f"{where} has an empty source term", path=path, fix="Write the term to fix first."
            )
        key = fields[0].lower()
        if key in seen:
            raise UserError(
                f"{where} repeats the term '{fields[0]}' from line {seen[key]}",
                path=path,
                fix="Keep one line per term.",
            )
        seen[key] = number
        rows.append(fields + [""] * (len(columns) - len(fields)))
    return rows


def load_glossary(path: str | Path) -> list[GlossaryEntry]:
    """Read a glossary file; a malformed line is a `UserError` naming the file and line."""
    return [GlossaryEntry(source=s, target=t) for s, t in read_term_table(path, ("source", "target"))]


def glossary_phrases(glossary: Sequence[GlossaryEntry]) -> list[Phrase]:
    return [Phrase(entry.source, entry.rendering, entry.case_sensitive) for entry in glossary]


@dataclass(frozen=True)
class Protected:
    """A source text with fixed renderings replaced by placeholders (`ZZG<n>ZZ`, n = position here)."""

    text: str
    renderings: tuple[str, ...]
    #: for each placeholder, the glossary term it stands for ("" for phrasebook entries and rules)
    terms: tuple[str, ...]


def protect_spans(text: str, spans: Sequence[tuple[int, int, str, str]], first: int = 0) -> Protected:
    """Replace (start, end, rendering, glossary term) spans, numbering placeholders from `first`."""
    pieces, renderings, terms, position = [], [], [], 0
    for number, (start, end, rendering, term) in enumerate(sorted(spans), start=first):
        pieces += [text[position:start], placeholder(number)]
        renderings.append(rendering)
        terms.append(term)
        position = end
    pieces.append(text[position:])
    return Protected("".join(pieces), tuple(renderings), tuple(terms))


def protect_with(text: str, matcher: PhraseMatcher) -> Protected:
    """Replace every phrase `matcher` finds by a placeholder."""
    spans = [
        (m.start, m.end, m.rendering, p.source if p.kind == "glossary" else "")
        for m in matcher.find(text)
        for p in (matcher.phrases[m.phrase_index],)
    ]
    return protect_spans(text, spans)


def protect(text: str, glossary: Sequence[GlossaryEntry]) -> Protected:
    """Replace glossary terms by placeholders; longer terms first so "New York Times" beats "New York"."""
    return protect_with(text, PhraseMatcher(glossary_phrases(glossary)))


def restore(translated: str, protected: Protected) -> tuple[str, list[str]]:
    """Put the fixed renderings in place of the placeholders; also return the glossary terms lost.

    A term whose placeholder is gone still counts as kept when its rendering is in the text.
    """
    returned: set[int] = set()

    def substitute(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number >= len(protected.renderings):
            return match.group(0)
        returned.add(number)
        return protected.renderings[number]

    text = _PLACEHOLDER.sub(substitute, translated)
    lost = [
        term
        for number, term in enumerate(protected.terms)
        if term
        and number not in returned
        and not PhraseMatcher([Phrase(protected.renderings[number], "")]).find(text)
    ]
    return text, list(dict.fromkeys(lost))
