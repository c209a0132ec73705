"""The voice library: people, matching, export/import, and real concurrent writer processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from dubstudio.core.errors import UserError
from dubstudio.core.voice_library import MATCH_THRESHOLD, VoiceLibrary

MODEL = "campplus-sv-zh-en"


def _vector(seed: int, near: np.ndarray | None = None, noise: float = 0.3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = near if near is not None else rng.standard_normal(192)
    vector = base + noise * rng.standard_normal(192) * np.linalg.norm(base) / np.sqrt(192)
    return vector / np.linalg.norm(vector)


@pytest.fixture
def library(tmp_path: Path) -> VoiceLibrary:
    return VoiceLibrary(tmp_path / "voice_library.sqlite")


def test_remember_rename_voice_and_the_same_name_joins_the_person(library: VoiceLibrary) -> None:
    maya = library.remember("Maya", embedding=_vector(1), model=MODEL, gender="female", language="es",
                            voice="kokoro:ef_dora", clip_wav=b"RIFF", clip_seconds=4.0)  # fmt: skip
    again = library.remember(
        "maya", embedding=_vector(2), model=MODEL, language="fr", voice="kokoro:ff_siwis"
    )
    assert again == maya
    (person,) = library.people()
    assert (person.name, person.gender, person.embeddings, person.clip_seconds) == ("maya", "female", 2, 4.0)
    assert person.voices == {"es": "kokoro:ef_dora", "fr": "kokoro:ff_siwis"}
    library.rename(maya, "Maya López")
    assert library.find("maya lópez").id == maya and library.clip(maya) == b"RIFF"
    with pytest.raises(UserError):
        library.remember("  ")


def test_matching_is_one_to_one_and_keeps_different_people_apart(library: VoiceLibrary) -> None:
    maya_voice, daniel_voice = _vector(10), _vector(20)
    maya = library.remember("Maya", embedding=maya_voice, model=MODEL)
    daniel = library.remember("Daniel", embedding=daniel_voice, model=MODEL)
    speakers = {
        "S1": _vector(11, near=daniel_voice),
        "S2": _vector(12, near=maya_voice),
        "S3": _vector(13, near=maya_voice),  # sounds like Maya too, but less
        "S4": _vector(99),  # a stranger
    }
    matches = library.best_matches(speakers, MODEL)
    assert {k: m.person.id for k, m in matches.items()} == {"S1": daniel, "S2": maya} or {
        k: m.person.id for k, m in matches.items()
    } == {"S1": daniel, "S3": maya}
    assert all(m.similarity >= MATCH_THRESHOLD for m in matches.values())
    assert "S4" not in matches
    rejected = library.best_matches({"S2": speakers["S2"]}, MODEL, exclude={"S2": [maya]})
    assert rejected == {}
    assert library.best_matches({"S1": speakers["S1"]}, "another-model") == {}


def test_merge_and_delete(library: VoiceLibrary) -> None:
    a = library.remember("Dan", embedding=_vector(1), model=MODEL, language="es", voice="kokoro:em_alex")
    b = library.remember("Daniel", embedding=_vector(2), model=MODEL, language="fr", voice="kokoro:ff_siwis")
    library.merge(a, b)
    (person,) = library.people()
    assert person.id == a and person.embeddings == 2
    assert person.voices == {"es": "kokoro:em_alex", "fr": "kokoro:ff_siwis"}
    library.delete(a)
    assert library.people() == []
    assert library.db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 0


def test_export_and_import_round_trip(library: VoiceLibrary, tmp_path: Path) -> None:
    maya = library.remember("Maya", embedding=_vector(1), model=MODEL, gender="female", language="es",
                            voice="kokoro:ef_dora", pitch_semitones=1.5)  # fmt: skip
    library.remember("Daniel", embedding=_vector(2), model=MODEL)
    target = tmp_path / "people.dsvoices"
    assert library.export(target, [maya]) == 1
    other = VoiceLibrary(tmp_path / "other.sqlite")
    assert other.import_file(target) == 1
    (person,) = other.people()
    assert (person.id, person.name, person.pitch_semitones, person.voices) == (
        maya, "Maya", 1.5, {"es": "kokoro:ef_dora"}
    )  # fmt: skip
    assert other.import_file(target) == 1 and other.people()[0].embeddings == 1  # no duplicate
    (tmp_path / "bad.dsvoices").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a DubStudio voice library export"):
        other.import_file(tmp_path / "bad.dsvoices")


def _writer(path: str, worker: int, rounds: int) -> None:
    """One batch worker: names its own speakers and updates a person every worker shares."""
    library = VoiceLibrary(Path(path))
    shared = library.remember("Narrator", person_id="narrator")
    for index in range(rounds):
        library.remember(f"Guest {worker}-{index}", embedding=_vector(worker * 1000 + index), model=MODEL)
        library.remember(
            "Narrator", person_id=shared, embedding=_vector(worker * 1000 + index + 500), model=MODEL
        )
        library.set_voice(shared, f"l{worker}", f"kokoro:v{index}")
    library.close()


def test_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    """Four real processes write at once (WAL, busy timeout, one transaction per change)."""
    path = tmp_path / "voice_library.sqlite"
    VoiceLibrary(path).people()  # created before the workers, as the app does on first use
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), n, 25)) for n in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
    assert [process.exitcode for process in workers] == [0, 0, 0, 0]
    library = VoiceLibrary(path)
    people = {p.name: p for p in library.people()}
    assert len(people) == 1 + 4 * 25
    assert people["Narrator"].embeddings == 4 * 25
    assert people["Narrator"].voices == {f"l{n}": "kokoro:v24" for n in range(4)}
    assert library.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert library.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_damaged_library_file_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "voice_library.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(UserError, match=r"voice_library\.sqlite"):
        VoiceLibrary(path).people()
