"""The per-pair language data: shipped files, the user's additions, and clear errors for bad files."""

from __future__ import annotations

import pytest

from dubstudio.core.errors import UserError
from dubstudio.stages.language_rules import SHIPPED_DIR, condense, finish, load_pair_rules, prepare


def engine_free(text: str, folder=None) -> tuple[str, str]:
    """(what the engine would see, the result if the engine copied its input)."""
    rules = load_pair_rules("en", "es", folder)
    prepared = prepare(text, rules, rules.matcher([]))
    return prepared.text, finish(prepared.text, prepared, rules)[0]


def test_shipped_files_are_valid_and_documented():
    rules = load_pair_rules("en", "es")
    assert {p.name for p in rules.files} == {"en.toml", "es.toml", "en-es.toml", "en-es.phrasebook.tsv"}
    assert all(rule.why for rule in (*rules.source_rewrites, *rules.pre, *rules.post, *rules.condense))
    assert rules.inverted_marks and rules.contractions["didn't"] == "did not"
    assert (SHIPPED_DIR / "en-es.phrasebook.tsv").read_text(encoding="utf-8").startswith("# English")


def test_contractions_dates_clock_times_and_marks():
    seen, _ = engine_free("We didn't fly out on the 3rd, it's been ages.")
    assert seen == "We did not fly ZZG0ZZ, it has been ages."
    _, done = engine_free("Is it at seven in the morning?")
    assert done == "¿Is it a las siete de la mañana?"  # the engine would translate the rest
    _, done = engine_free("Great!")
    assert done == "¡Genial!"


@pytest.mark.parametrize(
    ("dub", "shorter"),
    [
        (
            "Buena observación. ¿Cuánto dura nuestra charla, por cierto?",
            "Buena observación. ¿Cuánto dura nuestra charla?",
        ),
        ("Genial. Por cierto, ¿volamos el 14?", "Genial. ¿Volamos el 14?"),
        ("Bueno, la verdad es que no lo sé.", "No lo sé."),
        (
            "Está completo, así que encontré otro sitio.",
            "Está completo, así que encontré otro sitio.",
        ),  # no filler
        ("Por cierto.", "Por cierto."),  # nothing would be left
    ],
)
def test_condense_drops_fillers_and_keeps_sentences_capitalised(dub, shorter):
    assert condense(dub, load_pair_rules("en", "es")) == shorter


def test_the_users_rules_extend_and_override(tmp_path):
    (tmp_path / "en-es.phrasebook.tsv").write_text("Great\tEstupendo\nCheers\tSalud\n", encoding="utf-8")
    (tmp_path / "en-es.toml").write_text(
        '[[post]]\npattern = "Salud"\nreplace = "¡Salud"\nwhy = "a toast"\n', encoding="utf-8"
    )
    assert engine_free("Great.", tmp_path)[1] == "Estupendo."
    assert engine_free("Cheers!", tmp_path)[1] == "¡Salud!"
    assert engine_free("Morning.", tmp_path)[1] == "Buenos días."  # the shipped entries stay


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("en-es.toml", "[[pre]]\npattern = '(unclosed'\n", "bad regular expression"),
        ("en-es.toml", "[[pre\n", "not valid TOML"),
        ("en-es.toml", "[[post]]\nreplace = 'x'\n", "has no 'pattern'"),
        ("en-es.phrasebook.tsv", "Great\tGenial\teverywhere\n", "has the place 'everywhere'"),
    ],
)
def test_a_bad_user_file_is_named(tmp_path, name, content, message):
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=message) as error:
        load_pair_rules("en", "es", tmp_path)
    assert str(tmp_path / name) in str(error.value)
