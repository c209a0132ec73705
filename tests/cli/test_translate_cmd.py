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
