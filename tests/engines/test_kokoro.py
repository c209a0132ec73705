"""Kokoro-82M int8 through the real ONNX model: phonemes, chunking, speed, and intelligible Spanish."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import jiwer
import numpy as np
import onnx
import pytest
from debian_versions import ESPEAK, assert_package_text

from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.engines.base import SynthesisRequest, Synthesizer
from dubstudio.engines.kokoro import (
    FLOAT_MODEL,
    FLOAT_SIDECAR,
    INT8_MODEL,
    MAX_TOKENS,
    MODEL_ID,
    SAMPLE_RATE,
    KokoroSynthesizer,
)
from dubstudio.models.installer import verify
from dubstudio.models.manifest import sha256_file
from dubstudio.models.paths import model_dir

SENTENCE = "Hola, bienvenidos a la nueva sede de la empresa."


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
    assert_package_text(phonemes, "həlˈO,", ESPEAK, "startswith")  # espeak's tied "o^ʊ" becomes Kokoro's "O"
    assert "!" in phonemes and phonemes.endswith("?")
    assert "^" not in phonemes


def test_long_text_is_chunked_within_the_model_limit(kokoro):
    phonemes = kokoro.phonemes("Esta es una frase bastante larga, con comas y puntos. " * 20, "es")
    chunks = kokoro.tokenize(phonemes)
    assert len(chunks) > 1
    assert all(0 < len(chunk) <= MAX_TOKENS for chunk in chunks)


@pytest.mark.slow  # the session loads before the language is checked
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
def test_spanish_is_intelligible(spanish, whisper_base):
    """Round trip through the installed Whisper model: the words come back."""
    from dubstudio.core.dsp import resample

    assert 1.5 < len(spanish) / SAMPLE_RATE < 5.0
    audio = resample(spanish, SAMPLE_RATE, 16_000)
    segments, _ = whisper_base.model.transcribe(audio, language="es", temperature=0.0)
    heard = " ".join(s.text for s in segments)
    normalise = jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.Strip()])
    assert jiwer.wer(normalise(SENTENCE), normalise(heard)) < 0.3, heard


@pytest.mark.slow
def test_runs_the_float_rewrite_and_the_pack_still_verifies(kokoro, spanish):
    assert kokoro.model_path == kokoro.folder / FLOAT_MODEL
    record = json.loads((kokoro.folder / FLOAT_SIDECAR).read_text(encoding="utf-8"))
    assert record["sha256"] == sha256_file(kokoro.model_path)
    ops = Counter(node.op_type for node in onnx.load(str(kokoro.model_path)).graph.node)
    assert ops["Conv"] >= 87 and ops["MatMul"] >= 148 and ops["LSTM"] == 6  # the int8 pack's 87/148/6
    assert not {"ConvInteger", "MatMulInteger", "DynamicQuantizeLinear", "DynamicQuantizeLSTM"} & set(ops)
    assert verify(MODEL_ID).ok  # the derived files are not part of the pack


@pytest.mark.slow
def test_a_damaged_float_model_is_derived_again(tmp_path):
    installed = model_dir(MODEL_ID)
    for name in (INT8_MODEL, "voices.npz", "vocab.json"):
        (tmp_path / name).symlink_to(installed / name)
    shutil.copy(installed / "manifest.json", tmp_path / "manifest.json")
    KokoroSynthesizer(tmp_path)._load()
    derived = tmp_path / FLOAT_MODEL
    good = sha256_file(derived)
    with open(derived, "r+b") as stream:  # flip bytes in place: same size, new modification time
        stream.seek(1000)
        stream.write(bytes(b ^ 0xFF for b in stream.read(64)))
    again = KokoroSynthesizer(tmp_path)
    again._load()
    assert again.model_path == derived and sha256_file(derived) == good
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
