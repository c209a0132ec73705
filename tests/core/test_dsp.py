"""The slot-fitting DSP on real speech: WSOLA keeps pitch, pitch shift moves it, trim finds speech."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from dubstudio.core.dsp import median_f0, pad_to, pitch_shift, semitones_between, time_stretch, trim_silence


@pytest.fixture(scope="module")
def speech(data_dir) -> tuple[np.ndarray, int]:
    audio, rate = sf.read(data_dir / "en_librivox_sas_0870.wav", dtype="float32")
    return audio, rate


@pytest.fixture(scope="module")
def speech_f0(speech) -> float:
    value = median_f0(*speech)
    assert value is not None
    return value


@pytest.mark.parametrize("factor", [0.8, 1.1, 1.25, 1.5])
def test_time_stretch_changes_duration_by_the_factor(speech, factor):
    audio, rate = speech
    stretched = time_stretch(audio, rate, factor)
    assert abs(len(stretched) - len(audio) / factor) <= 1


def test_time_stretch_keeps_the_pitch(speech, speech_f0):
    audio, rate = speech
    faster = median_f0(time_stretch(audio, rate, 1.25), rate)
    assert faster is not None
    assert abs(semitones_between(speech_f0, faster)) < 0.6


def test_time_stretch_keeps_energy_without_clipping(speech):
    audio, rate = speech
    stretched = time_stretch(audio, rate, 1.2)
    rms_in, rms_out = np.sqrt(np.mean(audio**2)), np.sqrt(np.mean(stretched**2))
    assert 0.8 < rms_out / rms_in < 1.25
    assert np.abs(stretched).max() <= 1.0


def test_pitch_shift_moves_f0_and_keeps_duration(speech, speech_f0):
    audio, rate = speech
    shifted = pitch_shift(audio, rate, 3.0)
    assert len(shifted) == len(audio)
    measured = median_f0(shifted, rate)
    assert measured is not None
    assert abs(semitones_between(speech_f0, measured) - 3.0) < 0.8


def test_trim_silence_drops_padding_but_keeps_the_speech(speech):
    audio, rate = speech
    padded = np.concatenate([np.zeros(rate, np.float32), audio, np.zeros(2 * rate, np.float32)])
    trimmed = trim_silence(padded, rate)
    assert len(trimmed) < len(audio) + int(0.5 * rate)
    assert len(trimmed) > 0.8 * len(trim_silence(audio, rate))
    assert trim_silence(np.zeros(rate, np.float32), rate).size == 0


def test_pad_to_never_shortens():
    audio = np.ones(10, np.float32)
    assert len(pad_to(audio, 25)) == 25 and pad_to(audio, 25)[10:].sum() == 0
    assert len(pad_to(audio, 5)) == 10


def test_shorten_pauses_cuts_long_internal_silences_only():
    from dubstudio.core.dsp import shorten_pauses

    rate = 16_000
    tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(rate // 2) / rate)).astype(np.float32)
    silence = np.zeros(rate, dtype=np.float32)  # a 1 s pause
    short = np.zeros(rate // 10, dtype=np.float32)  # a 0.1 s pause stays
    audio = np.concatenate([silence[: rate // 5], tone, silence, tone, short, tone])
    out = shorten_pauses(audio, rate, longest=0.25)
    assert len(audio) - len(out) == pytest.approx(0.75 * rate, abs=0.03 * rate)
    assert out[: rate // 5].max() == 0.0  # leading silence is trim_silence's business, kept here
    assert np.abs(out).max() <= 0.31  # the crossfade never adds level
    assert len(shorten_pauses(tone, rate)) == len(tone)
