"""Glossary files and term protection."""

from __future__ import annotations

import pytest

from dubstudio.core.errors import UserError
from dubstudio.core.project import GlossaryEntry
from dubstudio.stages.glossary import load_glossary, protect, restore


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
    assert protected.text == "The ZZG1ZZ says: stay in the ZZG2ZZ, ZZG0ZZ."
    text, lost = restore("El ZZG1ZZ dice: quedaos en el zzg2zz, ZZG0ZZ.", protected, glossary)
    assert text == "El NYT dice: quedaos en el sótano, New York."
    assert lost == []
    lost = restore("El periódico dice: quedaos en el sótano.", protected, glossary)[1]
    assert lost == ["New York", "New York Times"]  # "sótano" is there even without its placeholder
