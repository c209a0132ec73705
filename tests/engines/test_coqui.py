"""The Coqui path with a tiny REAL VITS model (random weights: gibberish audio, real code path).

No Coqui weights are installed here, so the model is built from a config with coqui's own
`Vits` class, saved as a checkpoint + config.json into a model folder like the model manager
makes, and loaded back through `TTS.api.TTS`. XTTS-v2 cannot run (no weights): its path is
exercised up to model loading, which must fail with a clear ModelMissingError.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dubstudio.core.errors import ModelMissingError, UserError
from dubstudio.core.project import Speaker, TimeSpan
from dubstudio.engines.base import SynthesisRequest, Synthesizer
from dubstudio.engines.coqui import (
    CoquiVitsSynthesizer,
    XttsSynthesizer,
    coqui_synthesizers,
    installed_coqui_models,
)
from dubstudio.engines.voices import CloningSynthesizer


def _write_tiny_vits(folder: Path) -> None:
    import torch
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs
    from TTS.tts.utils.speakers import SpeakerManager

    folder.mkdir(parents=True)
    speakers_file = folder / "speakers.json"
    speakers_file.write_text(json.dumps({"ana": 0, "luis": 1}))
    args = VitsArgs(
        hidden_channels=16,
        hidden_channels_ffn_text_encoder=32,
        num_layers_text_encoder=1,
        num_layers_posterior_encoder=1,
        num_layers_flow=1,
        upsample_initial_channel_decoder=32,
        init_discriminator=False,
        use_speaker_embedding=True,
        speakers_file=str(speakers_file),
    )
    config = VitsConfig(
        model_args=args,
        use_phonemes=True,
        phonemizer="espeak",
        phoneme_language="es",
        text_cleaner="multilingual_cleaners",
    )
    torch.manual_seed(0)
    model = Vits(config, speaker_manager=SpeakerManager(speaker_id_file_path=str(speakers_file)))
    config.save_json(str(folder / "config.json"))
    torch.save({"model": model.state_dict(), "config": config.to_dict()}, folder / "model.pth")
    (folder / "manifest.json").write_text(json.dumps({"id": folder.name, "files": {"model.pth": "0" * 64}}))


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("dubstudio-data")
    _write_tiny_vits(root / "models" / "coqui-tiny-vits-es")
    return root


@pytest.fixture(scope="module")
def vits(data_root) -> CoquiVitsSynthesizer:
    return CoquiVitsSynthesizer("tiny-vits-es", data_root / "models" / "coqui-tiny-vits-es", device="cpu")


def test_installed_models_are_found_in_the_data_dir(data_root, monkeypatch):
    monkeypatch.setenv("DUBSTUDIO_DATA_DIR", str(data_root))
    assert installed_coqui_models() == ["tiny-vits-es"]
    engines = coqui_synthesizers(device="cpu")
    assert [e.name for e in engines] == ["coqui-tiny-vits-es"]
    assert not isinstance(engines[0], CloningSynthesizer)


def test_vits_voices_come_from_the_speakers_file(vits):
    assert isinstance(vits, Synthesizer)
    voices = vits.voices()
    assert [v.id for v in voices] == ["coqui-tiny-vits-es:ana", "coqui-tiny-vits-es:luis"]
    assert all(v.languages == ["es"] and not v.clones for v in voices)


@pytest.mark.slow
def test_vits_synthesizes_through_tts_api_with_native_speed(vits):
    voice = vits.voices()[1]
    text = "Hola, ¿cómo estás? Bienvenido a la nueva sede."
    slow = vits.synthesize(SynthesisRequest(text, voice, "es", speed=0.5))
    fast = vits.synthesize(SynthesisRequest(text, voice, "es", speed=2.0))
    assert slow.sample_rate == 22050
    assert slow.audio.dtype == np.float32 and slow.audio.size > 0 and np.isfinite(slow.audio).all()
    assert len(fast.audio) < 0.6 * len(slow.audio)  # the duration predictor's length scale follows speed


def test_xtts_without_weights_is_a_clear_model_missing_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DUBSTUDIO_DATA_DIR", str(tmp_path))
    with pytest.raises(ModelMissingError, match="xtts-v2"):
        XttsSynthesizer()


def test_xtts_folder_without_checkpoint_fails_at_model_loading(tmp_path):
    folder = tmp_path / "coqui-xtts-v2"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model": "xtts", "languages": ["en", "es", "fr"]}))
    (folder / "manifest.json").write_text(json.dumps({"id": "coqui-xtts-v2", "files": {}}))
    xtts = XttsSynthesizer(folder=folder, device="cpu")
    speaker = Speaker("spk-1", gender="female", median_f0=200.0, reference_clips=[TimeSpan(1.0, 4.0)])
    voice = xtts.clone_voice(speaker)
    assert isinstance(xtts, CloningSynthesizer)
    assert voice.id == "xtts:clone:spk-1" and voice.clones and voice.languages == ["en", "es", "fr"]
    assert xtts.voices() == []
    with pytest.raises(UserError, match="reference clips"):
        xtts.synthesize(SynthesisRequest("Hola.", voice, "es"))
    reference = tmp_path / "ref.wav"
    reference.write_bytes(b"")
    with pytest.raises(ModelMissingError, match="no checkpoint"):
        xtts.synthesize(SynthesisRequest("Hola.", voice, "es", reference_audio=[str(reference)]))
