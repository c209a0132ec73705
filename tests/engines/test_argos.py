"""The real argostranslate code path on tiny packages built in the test (no weights can be downloaded).

argostranslate reads its package folder from the environment when it is first imported, so the
engine runs in a child Python with ARGOS_PACKAGES_DIR (and its data/cache dirs) in a temp folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tiny_argos import TRAINING_TEXT, build_package  # tests/engines is on sys.path (prepend mode)

CHILD = textwrap.dedent(
    """
    import json
    from dubstudio.core.errors import UnsupportedLanguageError
    from dubstudio.core.project import GlossaryEntry, Segment, Settings
    from dubstudio.engines.argos import ArgosTranslator
    from dubstudio.engines.base import Translator
    from dubstudio.engines.translators import available_translators, pick_translator
    from dubstudio.stages.translation import translate_segments

    argos = ArgosTranslator()
    result = {"protocol": isinstance(argos, Translator), "pairs": sorted(map(list, argos.pairs()))}
    cues = ["Vienen a por ti, Barbara. La radio dice que no.", ""]
    result["direct"] = argos.translate(cues, "es", "en")
    result["direct_again"] = argos.translate(cues, "es", "en")
    sentence = "La radio dice que todo el país tiene problemas."
    result["pivot"] = argos.translate([sentence], "es", "de")
    result["composed"] = argos.translate(argos.translate([sentence], "es", "en"), "en", "de")
    previous, text = "La radio dice que no.", "Vienen a por ti, Barbara."
    result["context"] = {
        "alone": argos.translate([text], "es", "en")[0],
        "previous": argos.translate([previous], "es", "en")[0],
        "with": argos.translate([text, text], "es", "en", context=[previous, ""]),
        "pivot": argos.translate([text], "es", "de", context=[previous]),
    }
    try:
        argos.translate(["Hallo"], "de", "es")
    except UnsupportedLanguageError as error:
        result["unsupported"] = str(error)
    result["available"] = [t.name for t in available_translators()]
    result["picked"] = [pick_translator("es", "en").name, pick_translator("en", "es").name]
    segment = Segment("c1", 0.0, 3.0, "A", "Vienen a por ti, Barbara.")
    (translated,) = translate_segments(
        [segment], argos, source="es", subtitle_language="en", tts_language="de",
        glossary=[GlossaryEntry("Barbara")], settings=Settings(),
    )
    result["stage"] = {
        "translated_text": translated.translated_text, "tts_text": translated.tts_text,
        "tts_language": translated.tts_language, "codes": sorted(i.code for i in translated.issues),
    }
    print(json.dumps(result))
    """
)


@pytest.fixture(scope="module")
def argos_run(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("argos")
    packages = root / "packages"
    build_package(packages, "es", "en", seed=1)
    build_package(packages, "en", "de", seed=2)
    env = {
        **os.environ,
        "ARGOS_PACKAGES_DIR": str(packages),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "ARGOS_INTRA_THREADS": "1",
    }
    repo = Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, cwd=repo, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_pairs_come_from_installed_packages_and_the_pivot_graph(argos_run):
    assert argos_run["protocol"]
    # es→de has no package: argostranslate composes es→en→de
    assert argos_run["pairs"] == [["en", "de"], ["es", "de"], ["es", "en"]]


def _is_detokenized_text(text: str) -> bool:
    """Words of the packages' own vocabulary (trained on TRAINING_TEXT), with no SentencePiece marks."""
    alphabet = set(TRAINING_TEXT) | {" "}
    markers = ("▁", "<unk>", "<s>", "</s>", "ZZG")
    return bool(text.strip()) and set(text) <= alphabet and not any(m in text for m in markers)


def test_translates_through_the_real_code_path(argos_run):
    """The weights are random, so the words are gibberish; what is checked is what argostranslate and
    CTranslate2 must get right: decoded, detokenized text of the target vocabulary, deterministic,
    an empty cue left empty, and a pivot that is exactly the two real translations in a row."""
    direct, empty = argos_run["direct"]
    assert _is_detokenized_text(direct), direct
    assert argos_run["direct_again"] == argos_run["direct"]
    assert empty == ""
    (pivot,) = argos_run["pivot"]
    assert _is_detokenized_text(pivot), pivot
    assert argos_run["composed"] == [pivot]


def test_the_sentence_before_is_real_context(argos_run):
    context = argos_run["context"]
    with_context, without = context["with"]
    assert without == context["alone"]  # an empty context is no context
    # the model read both sentences and wrote on after its forced translation of the first, which
    # is cut off: a different output, not the sentence before again (the tiny model is deterministic)
    assert with_context.strip() and with_context != context["alone"]
    assert not with_context.startswith(context["previous"][:20])
    assert isinstance(context["pivot"][0], str)  # through a pivot: translated on its own


def test_missing_pair_says_what_to_import(argos_run):
    assert "de→es" in argos_run["unsupported"]
    assert "import an .argosmodel for de→es" in argos_run["unsupported"].lower()


def test_argos_is_preferred_when_it_has_the_pair(argos_run):
    assert argos_run["available"] == ["argos", "apertium"]
    assert argos_run["picked"] == ["argos", "apertium"]


def test_stage_three_with_two_languages_on_argos(argos_run):
    stage = argos_run["stage"]
    assert stage["tts_language"] == "de"
    assert _is_detokenized_text(stage["translated_text"]) and _is_detokenized_text(stage["tts_text"])
    assert stage["translated_text"] != stage["tts_text"]  # English subtitles, German dub
    # a random model cannot copy the glossary placeholder: the cue must be flagged, not silently wrong
    assert "glossary_miss" in stage["codes"]
