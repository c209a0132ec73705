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
from tiny_argos import build_package  # tests/engines is on sys.path (pytest prepend import mode)

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
    result["direct"] = argos.translate(["Vienen a por ti, Barbara. La radio dice que no.", ""], "es", "en")
    result["pivot"] = argos.translate(["La radio dice que todo el país tiene problemas."], "es", "de")
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


def test_translates_through_the_real_code_path(argos_run):
    direct, empty = argos_run["direct"]
    assert isinstance(direct, str) and direct.strip()
    assert empty == ""
    (pivot,) = argos_run["pivot"]
    assert isinstance(pivot, str)


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
    assert isinstance(stage["translated_text"], str) and isinstance(stage["tts_text"], str)
    # a random model cannot copy the glossary placeholder: the cue must be flagged, not silently wrong
    assert "glossary_miss" in stage["codes"]
