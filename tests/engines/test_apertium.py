"""The real Apertium en↔es engine: batching, unknown-word marks, placeholders, code mapping."""

from __future__ import annotations

import pytest
from debian_versions import APERTIUM_EN_ES, assert_package_text

from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.engines.apertium import ApertiumTranslator, debian_package_for, to_apertium_code, to_iso_code
from dubstudio.engines.base import Translator

LINES = [
    "We should have left the city an hour ago.",
    "The radio said the roads are closed.",
    "Is anybody home?",
    "Wait...",
    "",
    '"Yes," he said.',
    "I see the",
    "big house",
    "About 40 nails and 3 hammers.",
]


@pytest.fixture(scope="module")
def apertium() -> ApertiumTranslator:
    return ApertiumTranslator()


def test_is_a_translator_listing_installed_pairs(apertium):
    assert isinstance(apertium, Translator)
    assert {("en", "es"), ("es", "en")} <= apertium.pairs()


def test_batch_gives_the_same_cues_as_one_call_per_cue(apertium):
    batch = apertium.translate(LINES, "en", "es")
    one_by_one = [apertium.translate([line], "en", "es")[0] for line in LINES]
    assert batch == one_by_one
    assert_package_text(batch[0], "Tendríamos que haber dejado la ciudad hace una hora.", APERTIUM_EN_ES)
    assert batch[4] == ""
    assert_package_text(batch[8], "Aproximadamente 40", APERTIUM_EN_ES, "startswith")
    assert "3" in batch[8]


def test_two_line_cue_is_one_text(apertium):
    assert (
        apertium.translate(["Relax, Barbara. It's only\na two-hour drive."], "en", "es")[0].count("\n") == 0
    )


def test_unknown_words_are_reported_and_unmarked(apertium):
    (marked,) = apertium.translate_marked(["I bought a zorblax yesterday."], "en", "es")
    assert marked.unknown_words == ("zorblax",)
    assert "zorblax" in marked.text and "*" not in marked.text


def test_glossary_placeholders_pass_through(apertium):
    (text,) = apertium.translate(["Meet ZZG0ZZ and ZZG12ZZ at the ZZG3ZZ tonight."], "en", "es")
    for token in ("ZZG0ZZ", "ZZG12ZZ", "ZZG3ZZ"):
        assert token in text


def test_unsupported_pair_names_pair_and_package(apertium):
    with pytest.raises(UnsupportedLanguageError) as error:
        apertium.translate(["Hello"], "en", "de")
    assert "en→de" in str(error.value)
    with pytest.raises(UnsupportedLanguageError, match="apt install apertium-eng-spa"):
        ApertiumTranslator(executable="apertium-not-installed").translate(["Hello"], "en", "es")


def test_language_code_mapping():
    assert [to_apertium_code(c) for c in ("en", "es", "ca", "fr", "pt", "gl")] == [
        "eng",
        "spa",
        "cat",
        "fra",
        "por",
        "glg",
    ]
    assert [to_iso_code(c) for c in ("eng", "spa", "eng_US", "glg")] == ["en", "es", "en", "gl"]
    assert debian_package_for("en", "es") == "apertium-eng-spa"
    assert debian_package_for("es", "pt") == "apertium-es-pt"
    assert debian_package_for("en", "ja") is None
