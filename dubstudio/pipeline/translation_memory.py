"""The translation memory: every translation the editor corrected, reused before machine translation.

One SQLite file in the user data dir (`<data dir>/translation-memory.sqlite`, or the path in
`DUBSTUDIO_TRANSLATION_MEMORY`, e.g. a shared drive). Each entry is a source text, its target,
the language pair, the project it came from and when. Lookups:
- `exact`: the same source text (whitespace-normalised, case-sensitive) for the pair; the most
  recent wins;
- `fuzzy`: the closest entries by rapidfuzz's `fuzz.ratio` (0–100) at or above a threshold.

Several processes may write at once (batch dubbing runs parallel workers): the database is in WAL
mode with a busy timeout, every write is one short transaction, and a connection is opened per
operation, so nothing is held between calls.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dubstudio.core.errors import UserError
from dubstudio.core.project import Project, Segment
from dubstudio.models.paths import data_dir

#: fuzzy matches below this score (rapidfuzz ratio, 0–100) are not offered
FUZZY_THRESHOLD = 75.0
BUSY_TIMEOUT_MS = 10_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    source_language TEXT NOT NULL,
    target_language TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    project TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    UNIQUE (source_language, target_language, source, target)
);
CREATE INDEX IF NOT EXISTS entries_by_source ON entries (source_language, target_language, source);
"""


def default_path() -> Path:
    override = os.environ.get("DUBSTUDIO_TRANSLATION_MEMORY")
    return Path(override) if override else data_dir() / "translation-memory.sqlite"


def normalize(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Entry:
    source: str
    target: str
    source_language: str
    target_language: str
    project: str = ""
    created: str = ""


@dataclass(frozen=True)
class Candidate:
    """A remembered translation offered for a text, with how close its source is (100 = exact)."""

    entry: Entry
    score: float

    @property
    def exact(self) -> bool:
        return self.score >= 100.0

    @property
    def origin(self) -> str:
        """The `Segment.translation_origin` of a cue that takes this candidate."""
        return "tm" if self.exact else f"tm {self.score:.0f}%"


#: (path, source language, target language) → ((max id, count), entries by source text)
_GROUPED: dict[tuple[str, str, str], tuple[tuple, dict[str, list[Entry]]]] = {}


class TranslationMemory:
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        except (OSError, sqlite3.Error) as exc:
            raise UserError(
                f"the translation memory cannot be opened ({exc})",
                path=self.path,
                fix="Check that the folder is writable, or set DUBSTUDIO_TRANSLATION_MEMORY to another file.",
            ) from exc
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not self._ready:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.executescript(_SCHEMA)
                self._ready = True
            with connection:  # one transaction: committed on success, rolled back on error
                yield connection
        except sqlite3.DatabaseError as exc:
            raise UserError(
                f"the translation memory is damaged or locked ({exc})",
                path=self.path,
                fix="Close other DubStudio windows using it and try again; if it is damaged, export what "
                "you can with 'dubstudio tm export', then move the file away.",
            ) from exc
        finally:
            connection.close()

    def add(self, entries: Iterable[Entry]) -> int:
        """Store entries (an identical source/target pair only refreshes its date); returns how many."""
        rows = [
            (
                e.source_language,
                e.target_language,
                normalize(e.source),
                e.target.strip(),
                e.project,
                e.created or datetime.now(UTC).isoformat(timespec="seconds"),
            )
            for e in entries
            if normalize(e.source) and e.target.strip()
        ]
        if rows:
            with self._connect() as connection:
                connection.executemany(
                    "INSERT INTO entries (source_language, target_language, source, target, project,"
                    " created) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_language, target_language,"
                    " source, target) DO UPDATE SET created = excluded.created, project = excluded.project",
                    rows,
                )
        return len(rows)

    def remember(
        self, source: str, target: str, source_language: str, target_language: str, project: str = ""
    ) -> None:
        self.add([Entry(source, target, source_language, target_language, project)])

    def exact(self, source: str, source_language: str, target_language: str) -> str | None:
        return self.exact_many([source], source_language, target_language).get(normalize(source))

    def exact_many(
        self, sources: Iterable[str], source_language: str, target_language: str
    ) -> dict[str, str]:
        """The most recent target of each source text the memory has verbatim, by normalised source."""
        wanted = sorted({normalize(text) for text in sources} - {""})
        if not wanted or not self.path.exists():
            return {}
        found: dict[str, str] = {}
        with self._connect() as connection:
            for first in range(0, len(wanted), 500):  # SQLite's limit on bound variables
                chunk = wanted[first : first + 500]
                rows = connection.execute(
                    "SELECT source, target FROM entries WHERE source_language = ? AND target_language = ?"
                    f" AND source IN ({', '.join('?' * len(chunk))}) ORDER BY created, id",
                    (source_language, target_language, *chunk),
                ).fetchall()
                found.update(rows)  # later rows (more recent) win
        return found

    def candidates(
        self,
        source: str,
        source_language: str,
        target_language: str,
        *,
        threshold: float = FUZZY_THRESHOLD,
        limit: int = 5,
    ) -> list[Candidate]:
        """Exact and fuzzy matches for `source`, best first."""
        from rapidfuzz import fuzz, process

        text = normalize(source)
        if not text or not self.path.exists():
            return []
        by_source = self._by_source(source_language, target_language)
        found = process.extract(text, list(by_source), scorer=fuzz.ratio, score_cutoff=threshold, limit=limit)
        candidates = [
            Candidate(entry, 100.0 if match == text else min(float(score), 99.0))
            for match, score, _index in found
            for entry in sorted(by_source[match], key=lambda e: e.created, reverse=True)
        ]
        return sorted(candidates, key=lambda c: -c.score)[:limit]

    def _by_source(self, source_language: str, target_language: str) -> dict[str, list[Entry]]:
        """The pair's entries grouped by source text, read again only when entries were added (the
        editor asks on every selection change; a big imported memory must not be re-read each time)."""
        with self._connect() as connection:
            version = connection.execute(
                "SELECT MAX(id), COUNT(*) FROM entries WHERE source_language = ? AND target_language = ?",
                (source_language, target_language),
            ).fetchone()
        key = (str(self.path), source_language, target_language)
        cached = _GROUPED.get(key)
        if cached is None or cached[0] != version:
            grouped: dict[str, list[Entry]] = {}
            for entry in self.entries(source_language, target_language):
                grouped.setdefault(entry.source, []).append(entry)
            cached = _GROUPED[key] = (version, grouped)
        return cached[1]

    def entries(self, source_language: str = "", target_language: str = "") -> list[Entry]:
        if not self.path.exists():
            return []
        query = "SELECT source, target, source_language, target_language, project, created FROM entries"
        conditions, values = [], []
        if source_language:
            conditions.append("source_language = ?")
            values.append(source_language)
        if target_language:
            conditions.append("target_language = ?")
            values.append(target_language)
        if conditions:
            query += " WHERE " + " AND ".join(conditions)
        with self._connect() as connection:
            rows = connection.execute(query + " ORDER BY id", values).fetchall()
        return [Entry(*row) for row in rows]

    def stats(self) -> dict[tuple[str, str], int]:
        """Number of entries per language pair."""
        if not self.path.exists():
            return {}
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT source_language, target_language, COUNT(*) FROM entries GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall()
        return {(source, target): count for source, target, count in rows}


def remember_correction(
    project: Project, segment: Segment, target: str, memory: TranslationMemory | None = None
) -> None:
    """Store a hand-corrected translation of a cue (the editor calls this on every translation edit)."""
    language = project.display_subtitle_language
    if project.source_language and language and language != project.source_language and target.strip():
        (memory or TranslationMemory()).remember(
            segment.original_text, target, project.source_language, language, project.name
        )


def describe_origin(origin: str) -> str:
    """What the segment table shows for a `Segment.translation_origin`."""
    labels = {"tm": "TM exact", "manual": "edited", "phrasebook": "phrasebook", "source": "source text"}
    parts = []
    for part in origin.split("+") if origin else []:
        parts.append(labels.get(part, f"TM fuzzy {part[3:]}" if part.startswith("tm ") else f"MT {part}"))
    return " + ".join(parts)
