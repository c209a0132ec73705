"""The voice library: named people who speak in the user's videos, so a speaker keeps the same dub
voice from one episode to the next.

One SQLite file in the user data dir (`voice_library.sqlite`, or where `DUBSTUDIO_VOICE_LIBRARY`
points, e.g. a library a team shares; see `core.userdb`: several processes may write at once — the
editor, the CLI and batch workers). Each person has a name, a gender, a
pitch setting for their dub voice (semitones, or none), the speaker embeddings heard so far (one per
project they were confirmed in, keyed by the embedding model), the dub voice chosen per language,
and a short reference clip (16 kHz mono WAV, at most `CLIP_SECONDS`).

A new project's speakers are compared with every person (`best_matches`: the highest cosine
similarity over the person's embeddings, one person per speaker and one speaker per person); a
similarity of at least `MATCH_THRESHOLD` proposes that person. The threshold is calibrated on real
recordings (same person in two recordings vs different people) by bench/voice_library_threshold.py.

Export/import: a `.dsvoices` file, a zip of `library.json` (people, voices, embeddings) and
`clips/<id>.wav`; importing a person already in the library (same id) merges into them.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from dubstudio.core.errors import UserError
from dubstudio.core.userdb import UserDatabase, transaction

LIBRARY_DB = "voice_library.sqlite"
EXPORT_SUFFIX = ".dsvoices"
EXPORT_FORMAT = 1
#: cosine similarity (CAM++) from which a speaker is taken for a person of the library, midway
#: between the lowest same-person score (0.742, JFK's two halves) and the highest different-people
#: score (0.480, the two women of one phone call) of bench/voice_library_threshold.py (15 and 90
#: pairs of real recordings)
MATCH_THRESHOLD = 0.6
CLIP_SECONDS = 10.0

_MIGRATIONS = (
    """
    CREATE TABLE people (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, gender TEXT NOT NULL DEFAULT 'unknown',
        pitch_semitones REAL, created TEXT NOT NULL, modified TEXT NOT NULL
    );
    CREATE TABLE embeddings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        person TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        model TEXT NOT NULL, vector BLOB NOT NULL, source TEXT NOT NULL DEFAULT '', added TEXT NOT NULL
    );
    CREATE INDEX embeddings_person ON embeddings(person);
    CREATE TABLE voices (
        person TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        language TEXT NOT NULL, voice TEXT NOT NULL, PRIMARY KEY (person, language)
    );
    CREATE TABLE clips (
        person TEXT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
        wav BLOB NOT NULL, seconds REAL NOT NULL
    )
    """,
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _unit(vector: Sequence[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float64)
    return array / max(float(np.linalg.norm(array)), 1e-12)


@dataclass
class Person:
    id: str
    name: str
    gender: str = "unknown"
    pitch_semitones: float | None = None
    voices: dict[str, str] = field(default_factory=dict)  # language → voice id
    embeddings: int = 0
    clip_seconds: float = 0.0
    modified: str = ""


@dataclass(frozen=True)
class LibraryMatch:
    person: Person
    similarity: float


class VoiceLibrary(UserDatabase):
    """The library at `path` (default: the user data dir). Cheap to create; connects on first use."""

    migrations = _MIGRATIONS

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from dubstudio.models.paths import data_dir

            path = Path(os.environ.get("DUBSTUDIO_VOICE_LIBRARY") or data_dir() / LIBRARY_DB)
        super().__init__(path)

    # ---- reading -------------------------------------------------------------------------------
    def people(self) -> list[Person]:
        rows = self.db.execute(
            "SELECT p.id, p.name, p.gender, p.pitch_semitones, p.modified,"
            " (SELECT COUNT(*) FROM embeddings e WHERE e.person = p.id),"
            " COALESCE((SELECT seconds FROM clips c WHERE c.person = p.id), 0)"
            " FROM people p ORDER BY p.name COLLATE NOCASE, p.created"
        ).fetchall()
        voices: dict[str, dict[str, str]] = {}
        for person, language, voice in self.db.execute("SELECT person, language, voice FROM voices"):
            voices.setdefault(person, {})[language] = voice
        return [
            Person(pid, name, gender, pitch, voices.get(pid, {}), count, seconds, modified)
            for pid, name, gender, pitch, modified, count, seconds in rows
        ]

    def person(self, person_id: str) -> Person:
        found = next((p for p in self.people() if p.id == person_id), None)
        if found is None:
            raise UserError(
                f"the voice library has no entry '{person_id}'",
                path=self.path,
                fix="Run 'dubstudio voices list' to see the entries.",
            )
        return found

    def find(self, name: str) -> Person | None:
        """The person of that name (case-insensitive), if there is exactly one."""
        named = [p for p in self.people() if p.name.casefold() == name.strip().casefold()]
        return named[0] if len(named) == 1 else None

    def clip(self, person_id: str) -> bytes | None:
        row = self.db.execute("SELECT wav FROM clips WHERE person = ?", (person_id,)).fetchone()
        return bytes(row[0]) if row else None

    def _embeddings(self, model: str) -> dict[str, list[np.ndarray]]:
        found: dict[str, list[np.ndarray]] = {}
        for person, vector in self.db.execute(
            "SELECT person, vector FROM embeddings WHERE model = ?", (model,)
        ):
            found.setdefault(person, []).append(_unit(np.frombuffer(vector, dtype="<f4")))
        return found

    def best_matches(
        self,
        speakers: Mapping[str, Sequence[float]],
        model: str,
        *,
        threshold: float = MATCH_THRESHOLD,
        exclude: Mapping[str, Iterable[str]] | None = None,
    ) -> dict[str, LibraryMatch]:
        """Speaker id → the person it most likely is, one-to-one, from `threshold` on.

        Two speakers of one project are different people by construction, so a person is proposed
        for at most one of them (the most similar); `exclude` lists people a speaker must not be
        matched to (proposals the user rejected)."""
        known = self._embeddings(model)
        people = {p.id: p for p in self.people()}
        pairs = []
        for speaker_id, embedding in speakers.items():
            if not len(embedding):
                continue
            vector = _unit(embedding)
            skip = set((exclude or {}).get(speaker_id, ()))
            for person_id, vectors in known.items():
                if person_id in skip or person_id not in people or len(vectors[0]) != len(vector):
                    continue
                pairs.append((max(float(v @ vector) for v in vectors), speaker_id, person_id))
        matches: dict[str, LibraryMatch] = {}
        taken: set[str] = set()
        for similarity, speaker_id, person_id in sorted(pairs, reverse=True):
            if similarity < threshold:
                break
            if speaker_id not in matches and person_id not in taken:
                matches[speaker_id] = LibraryMatch(people[person_id], round(similarity, 4))
                taken.add(person_id)
        return matches

    # ---- writing -------------------------------------------------------------------------------
    def remember(
        self,
        name: str,
        *,
        embedding: Sequence[float] = (),
        model: str = "",
        person_id: str = "",
        gender: str = "unknown",
        language: str = "",
        voice: str = "",
        pitch_semitones: float | None = None,
        clip_wav: bytes | None = None,
        clip_seconds: float = 0.0,
        source: str = "",
    ) -> str:
        """Add what a project knows about a speaker to a person (`person_id`, else the one person of
        that `name`, else a new one), in one transaction; returns the person's id."""
        name = name.strip()
        if not name:
            raise UserError("a speaker's name cannot be empty", fix="Type a name, e.g. Maya.")
        with transaction(self.db) as db:
            if not person_id:
                same = db.execute("SELECT id FROM people WHERE name = ? COLLATE NOCASE", (name,)).fetchall()
                person_id = same[0][0] if len(same) == 1 else ""
            exists = person_id and db.execute("SELECT 1 FROM people WHERE id = ?", (person_id,)).fetchone()
            if not exists:
                person_id = person_id or uuid.uuid4().hex[:12]
                db.execute(
                    "INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)",
                    (person_id, name, gender, pitch_semitones, _now(), _now()),
                )
            else:
                db.execute(
                    "UPDATE people SET name = ?, gender = CASE WHEN ? = 'unknown' THEN gender ELSE ? END,"
                    " pitch_semitones = COALESCE(?, pitch_semitones), modified = ? WHERE id = ?",
                    (name, gender, gender, pitch_semitones, _now(), person_id),
                )
            if len(embedding) and model:
                vector = np.asarray(embedding, dtype="<f4")
                if not self._has_embedding(db, person_id, model, vector):
                    db.execute(
                        "INSERT INTO embeddings (person, model, vector, source, added)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (person_id, model, vector.tobytes(), source, _now()),
                    )
            if language and voice:
                db.execute("INSERT OR REPLACE INTO voices VALUES (?, ?, ?)", (person_id, language, voice))
            if clip_wav:
                db.execute(
                    "INSERT OR REPLACE INTO clips VALUES (?, ?, ?)", (person_id, clip_wav, clip_seconds)
                )
        return person_id

    @staticmethod
    def _has_embedding(db: sqlite3.Connection, person_id: str, model: str, vector: np.ndarray) -> bool:
        rows = db.execute("SELECT vector FROM embeddings WHERE person = ? AND model = ?", (person_id, model))
        return any(np.array_equal(np.frombuffer(row[0], dtype="<f4"), vector) for row in rows)

    def rename(self, person_id: str, name: str) -> None:
        if not name.strip():
            raise UserError("a name cannot be empty", fix="Type a name, e.g. Maya.")
        with transaction(self.db) as db:
            db.execute(
                "UPDATE people SET name = ?, modified = ? WHERE id = ?", (name.strip(), _now(), person_id)
            )

    def set_voice(self, person_id: str, language: str, voice: str) -> None:
        with transaction(self.db) as db:
            db.execute("INSERT OR REPLACE INTO voices VALUES (?, ?, ?)", (person_id, language, voice))
            db.execute("UPDATE people SET modified = ? WHERE id = ?", (_now(), person_id))

    def merge(self, keep_id: str, other_id: str) -> None:
        """`other` was the same person: their embeddings join `keep`'s; `keep`'s voices and clip win."""
        if keep_id == other_id:
            return
        with transaction(self.db) as db:
            db.execute("UPDATE embeddings SET person = ? WHERE person = ?", (keep_id, other_id))
            db.execute(
                "INSERT OR IGNORE INTO voices SELECT ?, language, voice FROM voices WHERE person = ?",
                (keep_id, other_id),
            )
            db.execute(
                "INSERT OR IGNORE INTO clips SELECT ?, wav, seconds FROM clips WHERE person = ?",
                (keep_id, other_id),
            )
            db.execute("DELETE FROM people WHERE id = ?", (other_id,))
            db.execute("UPDATE people SET modified = ? WHERE id = ?", (_now(), keep_id))

    def delete(self, person_id: str) -> None:
        with transaction(self.db) as db:
            db.execute("DELETE FROM people WHERE id = ?", (person_id,))

    # ---- export / import -----------------------------------------------------------------------
    def export(self, target: Path, person_ids: Sequence[str] | None = None) -> int:
        """Write the people (all, or `person_ids`) to a `.dsvoices` file; returns how many."""
        people = [p for p in self.people() if person_ids is None or p.id in person_ids]
        records = []
        for person in people:
            rows = self.db.execute(
                "SELECT model, vector, source FROM embeddings WHERE person = ?", (person.id,)
            ).fetchall()
            records.append({
                "id": person.id, "name": person.name, "gender": person.gender,
                "pitchSemitones": person.pitch_semitones, "voices": person.voices,
                "embeddings": [
                    {"model": model, "vector": np.frombuffer(vector, dtype="<f4").tolist(), "source": source}
                    for model, vector, source in rows
                ],
            })  # fmt: skip
        target = Path(target)
        scratch = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with zipfile.ZipFile(scratch, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("library.json", json.dumps({"format": EXPORT_FORMAT, "people": records}))
                for person in people:
                    wav = self.clip(person.id)
                    if wav:
                        archive.writestr(f"clips/{person.id}.wav", wav)
            scratch.replace(target)
        except OSError as exc:
            raise UserError(
                f"cannot write the export ({exc})", path=target, fix="Choose a writable folder."
            ) from exc
        finally:
            scratch.unlink(missing_ok=True)
        return len(records)

    def import_file(self, source: Path) -> int:
        """Add the people of a `.dsvoices` file (merging into entries with the same id); how many."""
        source = Path(source)
        try:
            with zipfile.ZipFile(source) as archive:
                data = json.loads(archive.read("library.json"))
                clips = {
                    name[len("clips/") : -len(".wav")]: archive.read(name)
                    for name in archive.namelist()
                    if name.startswith("clips/") and name.endswith(".wav")
                }
            people = data["people"]
            if data.get("format") != EXPORT_FORMAT or not isinstance(people, list):
                raise ValueError("unknown format")
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise UserError(
                f"this is not a DubStudio voice library export ({exc})",
                path=source,
                fix=f"Choose a {EXPORT_SUFFIX} file written by 'dubstudio voices export'.",
            ) from exc
        for record in people:
            person_id = str(record["id"])
            for index, item in enumerate(record.get("embeddings") or [{}]):
                self.remember(
                    str(record["name"]),
                    person_id=person_id,
                    embedding=item.get("vector", ()),
                    model=item.get("model", ""),
                    gender=str(record.get("gender", "unknown")),
                    pitch_semitones=record.get("pitchSemitones"),
                    clip_wav=clips.get(person_id) if index == 0 else None,
                    clip_seconds=_wav_seconds(clips.get(person_id)),
                    source=item.get("source", ""),
                )
            for language, voice in (record.get("voices") or {}).items():
                self.set_voice(person_id, language, voice)
        return len(people)


def _wav_seconds(wav: bytes | None) -> float:
    if not wav:
        return 0.0
    import soundfile as sf

    info = sf.info(io.BytesIO(wav))
    return round(info.frames / info.samplerate, 2)
