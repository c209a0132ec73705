"""Stage 4 on the real catalog (Kokoro + espeak-ng, pitches measured from real synthesis)."""

from __future__ import annotations

import pytest

from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.core.project import Segment, Speaker, TimeSpan
from dubstudio.engines.base import Voice
from dubstudio.engines.espeak import EspeakSynthesizer
from dubstudio.engines.voices import build_catalog
from dubstudio.stages.voice_matching import NoVoiceError, match_voices


@pytest.fixture(scope="module")
def catalog(tmp_path_factory, kokoro) -> list[Voice]:
    cache = tmp_path_factory.getbasetemp() / "voice_catalog.json"
    return build_catalog([kokoro, EspeakSynthesizer()], language="es", cache_path=cache)


@pytest.fixture(scope="module")
def by_id(catalog) -> dict[str, Voice]:
    return {v.id: v for v in catalog}


def _segments(*speaker_ids: str) -> list[Segment]:
    return [
        Segment(f"s{i}", i * 3.0, i * 3.0 + 2.5, speaker_id=s, tts_text="Hola.")
        for i, s in enumerate(speaker_ids)
    ]


pytestmark = pytest.mark.slow


def test_speakers_get_distinct_voices_of_their_gender_and_pitch(catalog, by_id):
    speakers = [
        Speaker("man", gender="male", median_f0=105.0),
        Speaker("woman-low", gender="female", median_f0=190.0),
        Speaker("woman-high", gender="female", median_f0=300.0),
    ]
    outcome = match_voices(speakers, _segments("man", "woman-low", "woman-high"), catalog, "es")
    chosen = {s.id: by_id[s.voice_id] for s in outcome.speakers}
    assert len({v.id for v in chosen.values()}) == 3
    assert chosen["man"].gender == "male" and chosen["man"].engine == "kokoro"
    assert chosen["woman-low"].gender == chosen["woman-high"].gender == "female"
    assert chosen["woman-low"].pitch_hz < chosen["woman-high"].pitch_hz
    assert [s.voice_id for s in outcome.segments] == [
        chosen[k].id for k in ("man", "woman-low", "woman-high")
    ]
    assert outcome.issues == []


def test_second_male_gets_a_distinct_male_voice_rather_than_a_female_one(catalog, by_id):
    speakers = [Speaker("m1", gender="male", median_f0=100.0), Speaker("m2", gender="male", median_f0=120.0)]
    outcome = match_voices(speakers, [], catalog, "es")
    voices = [by_id[s.voice_id] for s in outcome.speakers]
    assert voices[0].id != voices[1].id
    assert all(v.gender == "male" for v in voices)


def test_overrides_win_and_persist(catalog):
    speakers = [Speaker("a", gender="male", median_f0=100.0, voice_override="espeak:es+f3")]
    segments = _segments("a", "a")
    segments[1].voice_override = "kokoro:jf_alpha"
    outcome = match_voices(speakers, segments, catalog, "es")
    assert outcome.speakers[0].voice_id == "espeak:es+f3"
    assert outcome.speakers[0].voice_override == "espeak:es+f3"
    assert [s.voice_id for s in outcome.segments] == ["espeak:es+f3", "kokoro:jf_alpha"]
    assert outcome.segments[1].voice_override == "kokoro:jf_alpha"


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
    assert outcome.speakers[0].voice_id.startswith("kokoro:")
    assert [i.code for i in outcome.issues] == ["fallback_voice"]


def test_no_voice_for_the_language_is_a_hard_failure(catalog):
    with pytest.raises(UnsupportedLanguageError) as caught:
        match_voices([Speaker("a")], _segments("a"), catalog, "ja")
    assert isinstance(caught.value, NoVoiceError)
    assert [(i.code, i.severity) for i in caught.value.issues] == [("no_voice", "error")]


def test_quality_note_for_german_is_a_warning(kokoro):
    german = build_catalog([kokoro], language="de", measure=False)
    outcome = match_voices([Speaker("a", gender="male")], [], german, "de")
    assert outcome.speakers[0].voice_id == "kokoro:jm_kumo"
    assert any("German" in i.message for i in outcome.issues)


def test_a_speakers_own_clone_is_preferred_and_never_given_to_another(catalog):
    clone = Voice("xtts:clone:a", "xtts", "clone:a", ["es"], gender="female", pitch_hz=210.0, clones=True)
    speakers = [
        Speaker("a", gender="female", median_f0=210.0, reference_clips=[TimeSpan(0.0, 4.0)]),
        Speaker("b", gender="female", median_f0=210.0),
    ]
    outcome = match_voices(speakers, [], [*catalog, clone], "es")
    assert outcome.speakers[0].voice_id == "xtts:clone:a"
    assert outcome.speakers[1].voice_id != "xtts:clone:a"
