"""Kokoro-82M int8 through the real ONNX model: phonemes, chunking, speed, and intelligible Spanish."""

from __future__ import annotations

import jiwer
import numpy as np
import pytest

from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.engines.base import SynthesisRequest, Synthesizer
from dubstudio.engines.kokoro import MAX_TOKENS, SAMPLE_RATE, KokoroSynthesizer

SENTENCE = "Hola, bienvenidos a la nueva sede de la empresa."


@pytest.fixture(scope="module")
def kokoro() -> KokoroSynthesizer:
    return KokoroSynthesizer()


@pytest.fixture(scope="module")
def spanish(kokoro) -> np.ndarray:
    voice = next(v for v in kokoro.voices() if v.name == "jm_kumo")
    return kokoro.synthesize(SynthesisRequest(SENTENCE, voice, "es")).audio


def test_voices_and_languages(kokoro):
    voices = kokoro.voices()
    assert isinstance(kokoro, Synthesizer)
    assert {v.name for v in voices} == {"jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"}
    assert next(v for v in voices if v.name == "jm_kumo").gender == "male"
    assert all({"es", "en", "fr", "it", "pt"} <= set(v.languages) for v in voices)
    assert all("de" in v.quality_notes for v in voices)


def test_phonemes_map_to_the_vocabulary_and_keep_punctuation(kokoro):
    phonemes = kokoro.phonemes("Hello, my boy! How are you?", "en")
    assert phonemes.startswith("həlˈO,")  # espeak's tied "o^ʊ" becomes Kokoro's "O"
    assert "!" in phonemes and phonemes.endswith("?")
    assert "^" not in phonemes


def test_long_text_is_chunked_within_the_model_limit(kokoro):
    phonemes = kokoro.phonemes("Esta es una frase bastante larga, con comas y puntos. " * 20, "es")
    chunks = kokoro.tokenize(phonemes)
    assert len(chunks) > 1
    assert all(0 < len(chunk) <= MAX_TOKENS for chunk in chunks)


def test_unsupported_language_is_a_user_error(kokoro):
    voice = kokoro.voices()[0]
    with pytest.raises(UnsupportedLanguageError):
        kokoro.synthesize(SynthesisRequest("こんにちは", voice, "ja"))


@pytest.mark.slow
def test_native_speed_shortens_the_take(kokoro, spanish):
    voice = next(v for v in kokoro.voices() if v.name == "jm_kumo")
    fast = kokoro.synthesize(SynthesisRequest(SENTENCE, voice, "es", speed=1.3)).audio
    assert 0.65 < len(fast) / len(spanish) < 0.85


@pytest.mark.slow
def test_spanish_is_intelligible(spanish):
    """Round trip through the installed Whisper model: the words come back."""
    from faster_whisper import WhisperModel

    from dubstudio.core.dsp import resample
    from dubstudio.models.paths import model_dir

    assert 1.5 < len(spanish) / SAMPLE_RATE < 5.0
    model = WhisperModel(str(model_dir("whisper-base")), device="cpu", compute_type="int8")
    segments, _ = model.transcribe(resample(spanish, SAMPLE_RATE, 16_000), language="es", temperature=0.0)
    heard = " ".join(s.text for s in segments)
    normalise = jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.Strip()])
    assert jiwer.wer(normalise(SENTENCE), normalise(heard)) < 0.3, heard
