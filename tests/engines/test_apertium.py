"""The real Apertium en↔es engine: batching, unknown-word marks, placeholders, code mapping, and its
running chains (the same bytes as the one-shot `apertium -f txt`, one chain per mode, ended on close)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from debian_versions import APERTIUM_EN_ES, assert_package_text
from process_groups import group_members, started_groups

from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.core.subtitles import import_subtitles
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


SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample"


@pytest.fixture(scope="module")
def apertium() -> ApertiumTranslator:
    translator = ApertiumTranslator()
    yield translator
    translator.close()


def _one_shot(text: str, mode: str) -> str:
    """What Apertium's own command prints (a fresh process chain for this one call)."""
    return subprocess.run(
        ["apertium", "-f", "txt", mode], input=text, capture_output=True, text=True, check=True
    ).stdout


def _batch(texts: list[str]) -> str:
    """Cues as `translate_marked` sends them: flattened, joined by blank lines."""
    return "\n\n".join(" ".join(text.split()) for text in texts if text.strip()) + "\n"


def _sample_lines(name: str) -> list[str]:
    """The bundled sample's lines without their "Speaker: " prefix."""
    if name.endswith(".srt"):
        lines = [cue.original_text for cue in import_subtitles(SAMPLE / name).segments]
    else:
        lines = (SAMPLE / name).read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("#")]
    return [line.partition(": ")[2] for line in lines if line.strip()]


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


def test_the_running_chain_prints_what_the_one_shot_command_prints(apertium):
    english, spanish = _sample_lines("reference.srt"), _sample_lines("reference_es.txt")
    assert len(english) > 10 and len(spanish) == len(english)
    unknown = "Priya bought a zorblax in Lisbon; *she* said [sic] 50% <maybe> @home #1 ^up$."
    for texts, mode in ((english + LINES + [unknown], "eng-spa"), (spanish, "spa-eng")):
        batch = _batch(texts)
        assert apertium.translate_txt(batch, mode) == _one_shot(batch, mode)
        for text in [*texts[:6], unknown]:
            assert apertium.translate_txt(_batch([text]), mode) == _one_shot(_batch([text]), mode)
    assert "*zorblax" in apertium.translate_txt(_batch([unknown]), "eng-spa")  # the marks stage 3 reads


def test_one_chain_per_mode_serves_every_call_and_close_ends_them():
    before = started_groups()
    translator = ApertiumTranslator()
    morning = translator.translate(["Good morning."], "en", "es")
    (chain,) = started_groups() - before
    members = group_members(chain)
    assert ("lt-proc", "S") in members and len(members) > 10  # the mode's programs, waiting
    translator.translate(["See you tomorrow.", "Thanks."], "en", "es")
    translator.translate(["Buenos días."], "es", "en")
    chains = started_groups() - before
    assert chain in chains and len(chains) == 2
    translator.close()
    assert started_groups() - before == set()
    assert all(group_members(group) == [] for group in chains)  # every program ended and reaped
    assert translator.translate(["Good morning."], "en", "es") == morning  # started again
    translator.close()


def test_a_chain_that_died_is_started_again(apertium):
    before = apertium.translate(["The radio said the roads are closed."], "en", "es")
    for group in started_groups():
        if any(name == "lt-proc" for name, _state in group_members(group)):
            os.killpg(group, signal.SIGKILL)
    assert apertium.translate(["The radio said the roads are closed."], "en", "es") == before
