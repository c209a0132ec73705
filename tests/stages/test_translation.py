"""Stage 3 on a real dialogue subtitle file with the real Apertium en→es engine."""

from __future__ import annotations

import dataclasses
import json

import pytest
from debian_versions import APERTIUM_EN_ES, assert_package_text

from dubstudio.core.errors import Cancelled, UnsupportedLanguageError
from dubstudio.core.progress import CancelToken
from dubstudio.core.project import GlossaryEntry, Segment, Settings, ValidationIssue
from dubstudio.core.subtitles import import_subtitles
from dubstudio.engines.apertium import ApertiumTranslator
from dubstudio.stages.speech_rate import RATES_PATH, estimate_duration, speech_rate
from dubstudio.stages.translation import translate_segments

GLOSSARY = [GlossaryEntry("farmhouse", "granja"), GlossaryEntry("Barbara"), GlossaryEntry("cellar", "sótano")]


def en_to_es(segments, translator, **overrides):
    """translate_segments with this file's usual arguments: en→es, no glossary, default settings."""
    arguments = dict(source="en", subtitle_language="es", tts_language="es", glossary=[], settings=Settings())
    return translate_segments(segments, translator, **{**arguments, **overrides})


@pytest.fixture(scope="module")
def dialogue(data_dir) -> list[Segment]:
    return import_subtitles(data_dir / "subtitles" / "farmhouse_dialogue_en.srt").segments


@pytest.fixture(scope="module")
def apertium() -> ApertiumTranslator:
    return ApertiumTranslator()


@pytest.fixture(scope="module")
def spanish(dialogue, apertium) -> list[Segment]:
    return en_to_es(
        dialogue,
        apertium,
        glossary=GLOSSARY,
    )


def codes(segment: Segment) -> set[str]:
    return {issue.code for issue in segment.issues}


def test_fields_set_and_stage_two_facts_untouched(dialogue, spanish):
    assert len(spanish) == len(dialogue)
    for before, after in zip(dialogue, spanish, strict=True):
        assert after is not before and after.id == before.id
        assert (after.start, after.end, after.speaker_id, after.original_text, after.words) == (
            before.start,
            before.end,
            before.speaker_id,
            before.original_text,
            before.words,
        )
        assert after.translated_text and after.translated_text == after.tts_text
        assert after.tts_language == "es"
        assert all(issue.stage == "translation" and issue.subtitle_id == after.id for issue in after.issues)
    assert_package_text(
        spanish[2].translated_text, "La radio dijo que las carreteras están cerradas.", APERTIUM_EN_ES
    )


def test_glossary_is_enforced(spanish):
    by_text = {s.original_text.replace("\n", " "): s for s in spanish}
    assert "granja" in by_text["Fine. We'll stop at the farmhouse and call it a day."].translated_text
    assert "sótano" in by_text["The cellar is the safest place."].translated_text
    assert "Barbara" in by_text["Relax, Barbara. It's only a two-hour drive."].translated_text
    assert not any("glossary_miss" in codes(s) for s in spanish)


def test_idioms_names_and_numbers_are_flagged(spanish, apertium):
    by_text = {s.original_text.replace("\n", " "): s for s in spanish}
    # idioms the phrasebook knows are translated as such, and need no review
    call_it_a_day = by_text["Fine. We'll stop at the farmhouse and call it a day."]
    assert "dejarlo por hoy" in call_it_a_day.translated_text and "idiom" not in codes(call_it_a_day)
    hold = by_text["Hold your horses. Let's board up the windows first."]
    assert hold.translated_text.startswith("Para el carro.") and "idiom" not in codes(hold)
    assert "idiom" not in codes(by_text["The cellar is the safest place."])
    (price,) = en_to_es([Segment("i1", 0.0, 3.0, "A", "That car costs an arm and a leg.")], apertium)
    assert "idiom" in codes(price) and "costs an arm and a leg" in price.issues[0].message


def test_subtitles_in_the_source_language_and_dub_in_another(dialogue, apertium):
    (cue,) = en_to_es(
        dialogue[:1],
        apertium,
        subtitle_language="en",
    )
    assert cue.translated_text == dialogue[0].original_text
    assert_package_text(cue.tts_text, "Tendríamos que haber dejado la ciudad", APERTIUM_EN_ES, "startswith")


def test_untranslated_and_empty_are_flagged(apertium):
    cues = [
        Segment("u1", 0.0, 3.0, "A", "The zorblax is in the kitchen."),
        Segment("u2", 3.0, 6.0, "A", "♪"),
    ]
    unknown, symbol = en_to_es(
        cues,
        apertium,
    )
    assert "untranslated" in codes(unknown) and "zorblax" in unknown.issues[0].message
    assert symbol.translated_text == "♪" and "empty_translation" not in codes(symbol)


def test_length_overflow_uses_measured_rates(apertium):
    line = "Whatever happens tonight, we stay together and we keep the lights on."
    tight, roomy = en_to_es(
        [Segment("l1", 0.0, 1.5, "A", line), Segment("l2", 2.0, 9.0, "A", line)],
        apertium,
    )
    (overflow,) = [i for i in tight.issues if i.code == "length_overflow"]
    expected = estimate_duration(tight.tts_text, "es") / 1.5
    assert overflow.value == pytest.approx(expected, abs=1e-3) and overflow.value > 1.15
    assert overflow.severity == "warning" and "characters" in overflow.suggestion
    assert "length_overflow" not in codes(roomy)


def test_a_dub_text_too_long_for_its_cue_loses_its_fillers_not_the_subtitle(apertium):
    line = "How long is our talk anyway?"
    tight, roomy = en_to_es(
        [Segment("t1", 0.0, 1.6, "A", line), Segment("t2", 2.0, 6.0, "A", line)],
        apertium,
    )
    assert "por cierto" in roomy.translated_text and roomy.tts_text == roomy.translated_text
    assert tight.translated_text == roomy.translated_text  # the subtitle is never shortened
    assert tight.tts_text == "¿Cuánto dura nuestra charla?"
    (shortened,) = [i for i in tight.issues if i.code == "dub_text_shortened"]
    assert shortened.stage == "translation" and shortened.severity == "warning"
    assert tight.tts_text in shortened.message and "dub_text_shortened" not in codes(roomy)


def test_retranslating_a_selection_keeps_the_rest(spanish, apertium):
    edited = list(spanish)
    edited[4] = dataclasses.replace(
        spanish[4],
        original_text="Johnny, please. I'm not in the mood tonight.",
        issues=[
            *spanish[4].issues,
            ValidationIssue(spanish[4].id, "low_confidence_transcript", "x", stage="transcription"),
        ],
    )
    again = en_to_es(
        edited,
        apertium,
        glossary=GLOSSARY,
        only_ids={spanish[4].id},
    )
    assert all(again[i] is edited[i] for i in range(len(edited)) if i != 4)
    assert "noche" in again[4].translated_text
    assert [i.code for i in again[4].issues if i.stage == "transcription"] == ["low_confidence_transcript"]


def test_progress_cancel_and_unsupported_pairs(dialogue, apertium):
    events = []
    en_to_es(
        dialogue[:3],
        apertium,
        progress=events.append,
    )
    assert events[-1].fraction == 1.0 and all(e.stage == "translation" for e in events)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        en_to_es(
            dialogue,
            apertium,
            cancel=token,
        )
    with pytest.raises(UnsupportedLanguageError, match="en→de"):
        en_to_es(
            dialogue,
            apertium,
            subtitle_language="de",
            tts_language="de",
        )


def test_speech_rates_are_measured_and_documented():
    document = json.loads(RATES_PATH.read_text(encoding="utf-8"))
    assert "calibrate_speech_rate.py" in document["method"]
    for engine in ("kokoro", "espeak-ng"):
        for language in ("en", "es", "fr", "it", "pt"):
            entry = document["engines"][engine][language]
            assert 8 < entry["chars_per_second"] < 30
            assert entry["chars_per_second"] == pytest.approx(entry["chars"] / entry["seconds"], rel=0.02)
    assert speech_rate("es-ES") == speech_rate("es")
    assert estimate_duration("Hola  amigo", "es") == pytest.approx(len("Hola amigo") / speech_rate("es"))
    assert speech_rate("xx", "some-new-engine") > 0  # falls back to Kokoro's median rate
