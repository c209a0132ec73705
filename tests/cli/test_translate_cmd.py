"""`dubstudio translate` on the real dialogue file with Apertium."""

from __future__ import annotations

import argparse

import pysubs2
import pytest

from dubstudio.cli import translate_cmd
from dubstudio.core.errors import UserError


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    translate_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["translate", *argv])
    return args.func(args)


def test_translates_srt_to_vtt_and_reports_flags(data_dir, tmp_path, capsys):
    source = data_dir / "subtitles" / "farmhouse_dialogue_en.srt"
    glossary = tmp_path / "terms.tsv"
    glossary.write_text("# keep the names\nBarbara\nfarmhouse\tgranja\n", encoding="utf-8")
    out = tmp_path / "dialogue.es.vtt"
    assert (
        run(str(source), "--to", "es", "--engine", "apertium", "--glossary", str(glossary), "-o", str(out))
        == 0
    )
    original, translated = pysubs2.load(str(source)), pysubs2.load(str(out))
    assert len(translated) == len(original) == 25
    assert [(e.start, e.end) for e in translated] == [(e.start, e.end) for e in original]
    assert "granja" in translated[5].plaintext
    report = capsys.readouterr().err
    assert "(en→es, engine: apertium)" in report  # the source language was recognised
    assert "cues flagged for review" in report and "idiom:" in report


def test_bad_glossary_and_unknown_pair_are_user_errors(data_dir, tmp_path):
    source = data_dir / "subtitles" / "farmhouse_dialogue_en.srt"
    glossary = tmp_path / "bad.tsv"
    glossary.write_text("a\tb\tc\n", encoding="utf-8")
    with pytest.raises(UserError, match="line 1 has 3 columns"):
        run(str(source), "--to", "es", "--glossary", str(glossary), "-o", str(tmp_path / "o.srt"))
    with pytest.raises(UserError, match="en→ja"):
        run(str(source), "--from", "en", "--to", "ja", "-o", str(tmp_path / "o.srt"))


def test_the_translation_memory_comes_before_the_engine(data_dir, tmp_path, capsys, monkeypatch):
    from dubstudio.pipeline.translation_memory import TranslationMemory

    monkeypatch.setenv("DUBSTUDIO_TRANSLATION_MEMORY", str(tmp_path / "memory.sqlite"))
    source = data_dir / "subtitles" / "farmhouse_dialogue_en.srt"
    first = pysubs2.load(str(source))[0].plaintext
    TranslationMemory().remember(first, "Hace una hora que deberíamos habernos ido.", "en", "es")
    out, plain = tmp_path / "memory.srt", tmp_path / "plain.srt"
    assert run(str(source), "--to", "es", "--engine", "apertium", "-o", str(out)) == 0
    assert pysubs2.load(str(out))[0].plaintext == "Hace una hora que deberíamos habernos ido."
    assert "1 cues came from the translation memory" in capsys.readouterr().err
    assert run(str(source), "--to", "es", "--engine", "apertium", "--no-memory", "-o", str(plain)) == 0
    assert pysubs2.load(str(plain))[0].plaintext.startswith("Tendríamos que haber dejado")
