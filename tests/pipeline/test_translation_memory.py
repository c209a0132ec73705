"""The translation memory (SQLite) under several writing processes, TMX round trips, and the CLI."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dubstudio.core.errors import UserError
from dubstudio.pipeline.tmx import read_tmx, write_tmx
from dubstudio.pipeline.translation_memory import Entry, TranslationMemory, describe_origin

REPO = Path(__file__).resolve().parents[2]


def _writer(path: str, worker: int, count: int) -> None:
    memory = TranslationMemory(Path(path))
    for number in range(count):
        memory.remember(
            f"Line {number} of worker {worker}.", f"Línea {number} del proceso {worker}.", "en", "es"
        )


def test_parallel_processes_write_without_losing_entries(tmp_path):
    path = tmp_path / "memory.sqlite"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), worker, 40)) for worker in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    memory = TranslationMemory(path)
    assert memory.stats() == {("en", "es"): 160}
    assert memory.exact("Line  7 of worker 3.", "en", "es") == "Línea 7 del proceso 3."
    assert memory.exact("Line 7 of worker 3.", "en", "fr") is None


def test_same_pair_twice_is_one_entry_and_the_latest_wins(tmp_path):
    memory = TranslationMemory(tmp_path / "m.sqlite")
    memory.add([Entry("Great.", "Genial.", "en", "es", "a", "2024-01-01T00:00:00+00:00")])
    memory.add([Entry("Great.", "Estupendo.", "en", "es", "b", "2024-02-01T00:00:00+00:00")])
    memory.add([Entry("Great.", "Genial.", "en", "es", "c", "2024-01-01T00:00:00+00:00")])
    assert len(memory.entries()) == 2
    assert memory.exact("Great.", "en", "es") == "Estupendo."
    assert [c.entry.target for c in memory.candidates("Great.", "en", "es")] == ["Estupendo.", "Genial."]
    assert memory.candidates("Something else entirely.", "en", "es") == []


def test_tmx_round_trip_and_foreign_files(tmp_path):
    entries = [
        Entry("Morning, Daniel.", "Buenos días, Daniel.", "en", "es", "sample", "2024-03-04T05:06:07+00:00"),
        Entry("A & B <tags>", "A y B <etiquetas>", "en", "es", "", ""),
    ]
    assert write_tmx(tmp_path / "out.tmx", entries) == 2
    back = list(read_tmx(tmp_path / "out.tmx"))
    assert [(e.source, e.target, e.project, e.created) for e in back] == [
        (e.source, e.target, e.project, e.created) for e in entries
    ]
    foreign = tmp_path / "cat-tool.tmx"
    foreign.write_text(
        '<?xml version="1.0"?><tmx version="1.4"><header srclang="EN-GB" segtype="sentence" '
        'datatype="plaintext" adminlang="en" creationtool="x" creationtoolversion="1" o-tmf="x"/><body>'
        '<tu><tuv xml:lang="es-ES"><seg>Hola <ph x="1">{b}</ph><hi>mundo</hi>.</seg></tuv>'
        '<tuv xml:lang="en-GB"><seg>Hello <ph x="1">{b}</ph><hi>world</hi>.</seg></tuv></tu></body></tmx>',
        encoding="utf-8",
    )
    (entry,) = read_tmx(foreign)
    assert (entry.source, entry.target, entry.source_language, entry.target_language) == (
        "Hello world.",
        "Hola mundo.",
        "en",
        "es",
    )
    broken = tmp_path / "broken.tmx"
    broken.write_text("<tmx><body><tu>", encoding="utf-8")
    with pytest.raises(UserError, match="not well-formed") as error:
        list(read_tmx(broken))
    assert str(broken) in str(error.value)


def test_cli_import_export_stats(tmp_path):
    env_memory = tmp_path / "cli.sqlite"
    source = tmp_path / "in.tmx"
    write_tmx(source, [Entry("Fair point.", "Buena observación.", "en", "es")])

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dubstudio", "tm", *args],
            cwd=REPO,
            env={**os.environ, "DUBSTUDIO_TRANSLATION_MEMORY": str(env_memory)},
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert "empty" in run("stats").stdout
    assert "Imported 1 translation units" in run("import", str(source)).stdout
    assert "en→es: 1 entries" in run("stats").stdout
    assert "Exported 1" in run("export", str(tmp_path / "out.tmx"), "--to", "es").stdout
    assert [e.target for e in read_tmx(tmp_path / "out.tmx")] == ["Buena observación."]
    missing = run("import", str(tmp_path / "none.tmx"))
    assert missing.returncode == 2 and "does not exist" in " ".join(missing.stderr.split())


def test_origins_read_like_the_table():
    assert describe_origin("phrasebook+apertium") == "phrasebook + MT apertium"
    assert describe_origin("tm 92%") == "TM fuzzy 92%"
    assert describe_origin("tm") == "TM exact" and describe_origin("") == ""
