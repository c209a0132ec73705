"""Stage 3 sentence by sentence, with the en-es language data and the translation memory, on the real
Apertium engine and the bundled sample's dialogue."""

from __future__ import annotations

import dataclasses

import pytest
from test_segmentation import stm_segments  # tests/stages is on sys.path (pytest prepend import mode)
from translation_helpers import leftover_source_words, require_apertium_version, sample_cues

from dubstudio.core.project import GlossaryEntry, Segment, Settings, Word
from dubstudio.engines.apertium import ApertiumTranslator
from dubstudio.pipeline.translation_memory import TranslationMemory
from dubstudio.stages.segmentation import segment_cues
from dubstudio.stages.translation import cue_inputs, translate_segments


def en_to_es(segments, **overrides):
    arguments = dict(source="en", subtitle_language="es", tts_language="es", glossary=[], settings=Settings())
    return translate_segments(segments, ApertiumTranslator(), **{**arguments, **overrides})


def cue(identifier: str, start: float, end: float, speaker: str, text: str) -> Segment:
    tokens = text.split()
    step = (end - start) / max(1, len(tokens))
    words = [Word(start + i * step, start + (i + 1) * step - 0.02, f" {t}") for i, t in enumerate(tokens)]
    return Segment(identifier, start, end, speaker, text, words, 0.9)


@pytest.fixture(scope="module")
def sample() -> list[Segment]:
    require_apertium_version()
    return en_to_es(sample_cues())


def test_the_four_lines_read_like_spanish(sample):
    first, _, third, *_ = sample
    assert first.translated_text == "Buenos días, Daniel. ¿Viste el correo sobre la conferencia de Lisboa?"
    assert third.translated_text == "Genial. ¿Volamos el catorce o el quince?"
    assert first.translation_origin == "phrasebook+apertium"
    (digits,) = en_to_es([cue("d", 0, 3, "A", "Great. Should we fly out on the 14th or the 15th?")])
    assert digits.translated_text == "Genial. ¿Volamos el 14 o el 15?"


def test_more_of_the_sample(sample):
    texts = [s.translated_text for s in sample]
    assert texts[3] == "El catorce. El vuelo temprano es mucho más barato, pero sale a las siete."
    assert texts[4] == "¿A las siete de la mañana? Eso significa salir de casa antes de las cinco."
    assert texts[6] == "Buena observación. ¿Cuánto dura nuestra charla, por cierto?"
    assert texts[12] == "Perfecto. Mándame los detalles y me encargo del metro del aeropuerto."
    assert texts[13] == "Hecho. Lisboa, allá vamos."


def test_no_cue_keeps_an_english_word_the_engine_knows(sample, pyannote_sample):
    call = segment_cues(stm_segments(pyannote_sample["stm"]), Settings())
    fragments = [cue("f1", 0, 1, "A", "So I"), cue("f2", 1.2, 3, "B", "don't hear that in New Jersey now.")]
    for translated in [*sample, *en_to_es(call), *en_to_es(fragments)]:
        assert leftover_source_words(translated.original_text, translated.translated_text) == [], (
            translated.original_text,
            translated.translated_text,
        )


def test_a_sentence_across_cues_is_translated_whole_and_shared_out():
    cues = [
        cue("a", 10.0, 11.5, "A", "It's fully booked, so I"),
        cue("b", 11.6, 13.7, "A", "found a small place in Alfama instead."),
        cue("c", 14.5, 16.0, "B", "Perfect."),
    ]
    first, second, third = en_to_es(cues)
    assert (first.translated_text, second.translated_text) == (
        "Está completo, así que",
        "encontré un sitio pequeño en Alfama.",
    )
    assert [(s.start, s.end) for s in (first, second, third)] == [(10.0, 11.5), (11.6, 13.7), (14.5, 16.0)]
    assert third.translated_text == "Perfecto." and third.translation_origin == "phrasebook"


def test_no_sentence_across_a_speaker_change_or_a_long_pause():
    speakers = [cue("a", 0.0, 1.0, "A", "So I"), cue("b", 1.1, 3.0, "B", "don't hear that.")]
    pause = [cue("a", 0.0, 1.0, "A", "So I"), cue("b", 4.0, 6.0, "A", "don't hear that.")]
    for cues in (speakers, pause):
        first, second = en_to_es(cues)
        assert first.translated_text == "Así que yo"
        assert second.translated_text.startswith("no o")  # its own sentence, not "Así que yo no oigo"
    assert cue_inputs(speakers, "en")["a"] == ["So I", "A"]


def test_editing_one_cue_retranslates_its_sentence_only():
    cues = [
        cue("a", 0.0, 1.5, "A", "So I"),
        cue("b", 1.6, 4.0, "A", "found a small place in Alfama."),
        cue("c", 5.0, 6.0, "A", "Great."),
    ]
    before = cue_inputs(cues, "en")
    translated = en_to_es(cues)
    edited = list(translated)
    edited[1] = dataclasses.replace(translated[1], original_text="found a big hotel in Alfama.")
    after = cue_inputs(edited, "en")
    assert [i for i in before if before[i] != after[i]] == ["a", "b"]
    edited[0] = dataclasses.replace(edited[0], translated_text="Entonces yo", translation_origin="manual")
    again = en_to_es(edited, only_ids={"b"})
    assert again[2] is edited[2]  # another sentence: untouched
    assert again[0].translated_text == "Entonces yo"  # a hand translation is never overwritten
    assert "hotel grande" in again[1].translated_text


def test_translation_memory_exact_matches_come_first(tmp_path):
    memory = TranslationMemory(tmp_path / "tm.sqlite")
    memory.remember("Did you see the   email?", "¿Has visto el correo?", "en", "es", "earlier")
    first, second = en_to_es(
        [cue("a", 0, 2, "A", "Did you see the email?"), cue("b", 3, 5, "B", "Great.")], memory=memory
    )
    assert (first.translated_text, first.translation_origin) == ("¿Has visto el correo?", "tm")
    assert second.translation_origin == "phrasebook"
    (candidate, *_) = memory.candidates("Did you see the emails?", "en", "es")
    assert not candidate.exact and candidate.score >= 90 and candidate.origin.startswith("tm 9")


def test_user_phrasebook_and_glossary_share_one_engine(tmp_path):
    (tmp_path / "en-es.phrasebook.tsv").write_text("Great\t¡Estupendo\n", encoding="utf-8")
    (cheer, term) = en_to_es(
        [cue("a", 0, 1, "A", "Great!"), cue("b", 2, 4, "A", "Morning, Johnny. The farmhouses are empty.")],
        rules_dir=tmp_path,
        glossary=[GlossaryEntry("farmhouse", "granja"), GlossaryEntry("Morning", "Morning")],
    )
    assert cheer.translated_text == "¡Estupendo!"
    assert term.translated_text.startswith("Morning, Johnny.") and "granjas" in term.translated_text
