"""Glossary files and term protection."""

from __future__ import annotations

import pytest

from dubstudio.core.errors import UserError
from dubstudio.core.project import GlossaryEntry
from dubstudio.stages.glossary import glossary_phrases, load_glossary, protect, protect_with, restore
from dubstudio.stages.phrase_matching import Phrase, PhraseMatcher


def test_tsv_with_comments_and_keep_entries(tmp_path):
    path = tmp_path / "terms.tsv"
    path.write_text("# film terms\nfarmhouse\tgranja\n\nBarbara\nMr. Cooper\t\n", encoding="utf-8")
    assert load_glossary(path) == [
        GlossaryEntry("farmhouse", "granja"),
        GlossaryEntry("Barbara"),
        GlossaryEntry("Mr. Cooper"),
    ]


def test_csv_uses_commas_and_quotes(tmp_path):
    path = tmp_path / "terms.csv"
    path.write_text('cellar,sótano\n"Smith, John",\n', encoding="utf-8")
    assert load_glossary(path) == [GlossaryEntry("cellar", "sótano"), GlossaryEntry("Smith, John")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ok\tbien\na\tb\tc\n", "line 2 has 3 columns"),
        ("ok\tbien\n\tvacío\n", "line 2 has an empty source term"),
        ("radio\tradio\n# x\nRadio\temisora\n", "line 3 repeats the term 'Radio' from line 1"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=message) as error:
        load_glossary(path)
    assert str(path) in str(error.value)


def test_not_utf8_and_missing_file(tmp_path):
    path = tmp_path / "latin1.tsv"
    path.write_bytes("sótano\tcellar\n".encode("latin-1"))
    with pytest.raises(UserError, match="not UTF-8"):
        load_glossary(path)
    with pytest.raises(UserError, match="does not exist"):
        load_glossary(tmp_path / "none.tsv")


def test_protect_and_restore_longest_term_first():
    glossary = [
        GlossaryEntry("New York"),
        GlossaryEntry("New York Times", "NYT"),
        GlossaryEntry("cellar", "sótano"),
    ]
    protected = protect("The New York Times says: stay in the Cellar, New York.", glossary)
    assert protected.text == "The ZZG0ZZ says: stay in the ZZG1ZZ, ZZG2ZZ."  # numbered in text order
    text, lost = restore("El ZZG0ZZ dice: quedaos en el zzg1zz, ZZG2ZZ.", protected)
    assert text == "El NYT dice: quedaos en el sótano, New York."
    assert lost == []
    lost = restore("El periódico dice: quedaos en el sótano.", protected)[1]
    assert lost == ["New York Times", "New York"]  # "sótano" is there even without its placeholder


def test_terms_are_whole_words_and_tolerate_a_plural():
    matcher = PhraseMatcher(
        glossary_phrases([GlossaryEntry("farmhouse", "granja"), GlossaryEntry("cat", "gato")]),
        suffixes=["s", "es"],
        plural_rules=[("([aeiou])$", "\\1s")],
    )
    protected = protect_with("Two farmhouses, a catalogue and the cats.", matcher)
    assert protected.text == "Two ZZG0ZZ, a catalogue and the ZZG1ZZ."
    assert protected.renderings == ("granjas", "gatos")


def test_clause_phrases_only_where_they_fill_a_clause():
    matcher = PhraseMatcher([Phrase("Great", "Genial", scope="clause", adapt_case=True, kind="phrasebook")])
    assert [m.rendering for m in matcher.find("Great. Oh, great!")] == ["Genial", "genial"]
    assert matcher.find("A great idea. That was great.") == []
    assert [m.start for m in matcher.find("Oh, great, thanks.")] == [4]


def test_glossary_wins_over_the_phrasebook():
    matcher = PhraseMatcher(
        [
            Phrase("Morning", "Buenos días", scope="clause", kind="phrasebook"),
            Phrase("Morning", "Morning"),
        ]
    )
    assert [m.rendering for m in matcher.find("Morning, Daniel.")] == ["Morning"]
