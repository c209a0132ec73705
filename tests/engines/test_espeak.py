"""espeak-ng through real subprocess calls: voices, IPA with punctuation, speed and style controls."""

from __future__ import annotations

import pytest
from debian_versions import ESPEAK, assert_package_text

from dubstudio.core.errors import UserError
from dubstudio.core.languages import base_language
from dubstudio.engines.base import SynthesisRequest, Synthesizer
from dubstudio.engines.espeak import EspeakSynthesizer, espeak_voice_for, phonemize


@pytest.fixture(scope="module")
def espeak() -> EspeakSynthesizer:
    return EspeakSynthesizer()


def _voice(espeak: EspeakSynthesizer, name: str):
    return next(v for v in espeak.voices() if v.name == name)


def test_voices_cover_many_languages_with_both_genders(espeak):
    voices = espeak.voices()
    assert isinstance(espeak, Synthesizer)
    spanish = [v for v in voices if v.languages == ["es"]]
    assert {v.gender for v in spanish} == {"male", "female"}
    assert all(v.id == f"espeak:{v.name}" for v in voices)
    assert len({lang for v in voices for lang in v.languages}) > 80


def test_language_codes_map_to_espeak_voices():
    assert espeak_voice_for("en") == "en-us"
    assert espeak_voice_for("pt") == "pt-br"
    assert espeak_voice_for("es") == "es"
    assert espeak_voice_for("zz") is None
    assert base_language("pt-BR") == "pt"


def test_phonemize_keeps_clause_punctuation_and_numbers():
    ipa = phonemize("Hola, ¿cómo estás? Son 1,5 euros.", "es")
    assert_package_text(ipa, "ˈola,", ESPEAK, "startswith")
    assert "?" in ipa and ipa.endswith(".")
    assert_package_text(ipa, "kˌoma", ESPEAK, "contains")  # "1,5" is read as a number, not cut at the comma


def test_phonemize_rejects_unknown_language():
    with pytest.raises(UserError):
        phonemize("hola", "zz")


def test_synthesis_speed_and_style(espeak):
    voice = _voice(espeak, "es+f3")
    text = "-Buenos días, ¿cómo está usted hoy?"  # a leading dash must not be read as an option
    normal = espeak.synthesize(SynthesisRequest(text, voice, "es"))
    fast = espeak.synthesize(SynthesisRequest(text, voice, "es", speed=1.5))
    whisper = espeak.synthesize(SynthesisRequest(text, voice, "es", style="whisper"))
    assert normal.sample_rate == 22050
    assert len(normal.audio) / normal.sample_rate > 1.0
    assert len(fast.audio) < 0.8 * len(normal.audio)
    assert abs(whisper.audio).max() < abs(normal.audio).max()
