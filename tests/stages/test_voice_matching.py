"""Stage 4 on the real catalog (Kokoro + espeak-ng, native voices measured by the real voice QA)."""

from __future__ import annotations

import dataclasses

import pytest

from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.core.project import Segment, Speaker, TimeSpan
from dubstudio.engines.base import Voice
from dubstudio.engines.espeak import EspeakSynthesizer
from dubstudio.engines.voice_qa import WhisperJudge
from dubstudio.engines.voices import CatalogStore, build_catalog
from dubstudio.stages.voice_matching import NoVoiceError, auto_candidates, match_voices


@pytest.fixture(scope="module")
def catalog(tmp_path_factory, kokoro) -> list[Voice]:
    store = CatalogStore(tmp_path_factory.getbasetemp() / "voice_catalog.sqlite")
    return build_catalog(
        [kokoro, EspeakSynthesizer()], language="es", judge=WhisperJudge("cpu"), store=store
    )


@pytest.fixture(scope="module")
def by_id(catalog) -> dict[str, Voice]:
    return {v.id: v for v in catalog}


def _segments(*speaker_ids: str) -> list[Segment]:
    return [
        Segment(f"s{i}", i * 3.0, i * 3.0 + 2.5, speaker_id=s, tts_text="Hola.")
        for i, s in enumerate(speaker_ids)
    ]


pytestmark = pytest.mark.slow


def test_speakers_get_native_voices_of_their_gender_with_reasons(catalog, by_id):
    speakers = [
        Speaker("man", gender="male", median_f0=105.0, gender_evidence="low pitch, 105 Hz"),
        Speaker("woman", gender="female", median_f0=205.0),
    ]
    outcome = match_voices(speakers, _segments("man", "woman"), catalog, "es")
    chosen = {s.id: by_id[s.voice_id] for s in outcome.speakers}
    assert chosen["man"].native_language == chosen["woman"].native_language == "es"
    assert (chosen["man"].gender, chosen["woman"].gender) == ("male", "female")
    assert chosen["woman"].name == "ef_dora"
    reason = outcome.speakers[0].voice_reason
    assert "a native Spanish voice" in reason and "low pitch, 105 Hz" in reason and "WER" in reason
    assert [s.voice_id for s in outcome.segments] == [chosen["man"].id, chosen["woman"].id]
    assert outcome.issues == []


def test_two_men_get_the_two_native_male_voices(catalog, by_id):
    speakers = [Speaker("m1", gender="male", median_f0=100.0), Speaker("m2", gender="male", median_f0=140.0)]
    voices = [by_id[s.voice_id] for s in match_voices(speakers, [], catalog, "es").speakers]
    assert {v.name for v in voices} == {"em_alex", "em_santa"}


def test_two_women_share_the_one_native_female_voice_rather_than_take_a_mans(catalog):
    """Spanish has one native female voice: both women get it (an accented or formant voice is not
    picked while natives exist), and the reason says why it is shared."""
    speakers = [Speaker(i, gender="female", median_f0=f0) for i, f0 in (("a", 203.0), ("b", 194.0))]
    outcome = match_voices(speakers, [], catalog, "es")
    assert [s.voice_id for s in outcome.speakers] == ["kokoro:ef_dora", "kokoro:ef_dora"]
    assert all("shared with another speaker" in s.voice_reason for s in outcome.speakers)


def test_a_voice_that_is_hard_to_understand_is_never_picked(catalog):
    muffled = [dataclasses.replace(v, wer=0.6) if v.name == "ef_dora" else v for v in catalog]
    candidates, _tier, all_hard = auto_candidates(muffled, "es")
    assert "kokoro:ef_dora" not in {v.id for v in candidates} and not all_hard
    outcome = match_voices([Speaker("w", gender="female", median_f0=210.0)], [], muffled, "es")
    assert outcome.speakers[0].voice_id != "kokoro:ef_dora"
    # the user may still choose it
    chosen = match_voices([Speaker("w", voice_override="kokoro:ef_dora")], [], muffled, "es")
    assert chosen.speakers[0].voice_id == "kokoro:ef_dora"
    assert chosen.speakers[0].voice_reason == "ef_dora: chosen by you"


def test_overrides_win_and_persist(catalog):
    speakers = [Speaker("a", gender="male", median_f0=100.0, voice_override="espeak:es+f3")]
    segments = _segments("a", "a")
    segments[1].voice_override = "kokoro:jf_alpha"
    outcome = match_voices(speakers, segments, catalog, "es")
    assert outcome.speakers[0].voice_id == "espeak:es+f3"
    assert outcome.speakers[0].voice_override == "espeak:es+f3"
    assert [s.voice_id for s in outcome.segments] == ["espeak:es+f3", "kokoro:jf_alpha"]
    assert outcome.segments[1].voice_override == "kokoro:jf_alpha"


def test_a_preferred_voice_from_the_library_comes_with_its_reason(catalog):
    speakers = [Speaker("a", gender="male", median_f0=100.0)]
    preferred = {"a": ("kokoro:em_santa", "Maya's voice in the voice library")}
    outcome = match_voices(speakers, [], catalog, "es", preferred=preferred)
    assert outcome.speakers[0].voice_id == "kokoro:em_santa"
    assert outcome.speakers[0].voice_reason == "em_santa: Maya's voice in the voice library"


def test_invalid_override_and_unknown_speaker_are_fallback_warnings(catalog, by_id):
    speakers = [Speaker("a", gender="female", median_f0=220.0, voice_override="kokoro:not-a-voice")]
    outcome = match_voices(speakers, _segments("a", "ghost"), catalog, "es")
    codes = [(i.code, i.severity, i.subtitle_id) for i in outcome.issues]
    assert ("fallback_voice", "warning", "") in codes  # the ignored override
    assert ("fallback_voice", "warning", "s1") in codes  # the unknown speaker's segment
    assert by_id[outcome.speakers[0].voice_id].gender == "female"
    assert outcome.segments[1].voice_id in by_id


def test_speaker_without_any_information_gets_a_default_with_warning(catalog):
    outcome = match_voices([Speaker("x")], _segments("x"), catalog, "es")
    assert outcome.speakers[0].voice_id in {"kokoro:ef_dora", "kokoro:em_alex", "kokoro:em_santa"}
    assert [i.code for i in outcome.issues] == ["fallback_voice"]


def test_no_voice_for_the_language_is_a_hard_failure(catalog):
    with pytest.raises(UnsupportedLanguageError) as caught:
        match_voices([Speaker("a")], _segments("a"), catalog, "ja")
    assert isinstance(caught.value, NoVoiceError)
    assert [(i.code, i.severity) for i in caught.value.issues] == [("no_voice", "error")]


def test_german_has_no_native_kokoro_voice_an_accent_is_honest_about_it(kokoro):
    german = build_catalog([kokoro, EspeakSynthesizer()], language="de", measure=False)
    outcome = match_voices([Speaker("a", gender="male", median_f0=110.0)], [], german, "de")
    voice = next(v for v in german if v.id == outcome.speakers[0].voice_id)
    assert voice.engine == "kokoro" and voice.native_language != "de"
    mismatch = [i for i in outcome.issues if i.code == "voice_language_mismatch"]
    assert len(mismatch) == 1 and mismatch[0].severity == "warning" and mismatch[0].subtitle_id == ""
    assert "espeak-ng" in mismatch[0].suggestion and "Coqui" in mismatch[0].suggestion
    assert "no native German voice" in outcome.speakers[0].voice_reason


def test_a_speakers_own_clone_is_preferred_and_never_given_to_another(catalog):
    clone = Voice("xtts:clone:a", "xtts", "clone:a", ["es"], gender="female", pitch_hz=210.0, clones=True)
    speakers = [
        Speaker("a", gender="female", median_f0=210.0, reference_clips=[TimeSpan(0.0, 4.0)]),
        Speaker("b", gender="female", median_f0=210.0),
    ]
    outcome = match_voices(speakers, [], [*catalog, clone], "es")
    assert outcome.speakers[0].voice_id == "xtts:clone:a"
    assert outcome.speakers[1].voice_id != "xtts:clone:a"
