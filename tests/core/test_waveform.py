"""Waveform peaks: the pyramid matches a brute-force min/max, views pick the right level, caching."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dubstudio.core.waveform import BASE_BUCKET, PEAKS_FILE, compute_peaks, ensure_peaks

RATE = 8000


@pytest.fixture
def tone_wav(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """10 s stereo: silence, then a rising ramp on the left and a burst on the right."""
    frames = 10 * RATE + 77  # not a multiple of the bucket size
    left = np.zeros(frames, np.float32)
    right = np.zeros(frames, np.float32)
    left[RATE * 2:RATE * 6] = np.linspace(0, 0.9, RATE * 4)
    right[RATE * 7:RATE * 7 + 100] = -0.7
    audio = np.stack([left, right], axis=1)
    path = tmp_path / "mix.wav"
    sf.write(str(path), audio, RATE, subtype="PCM_16")
    stored, _ = sf.read(str(path), dtype="float32")
    return path, stored


def brute_force(audio: np.ndarray, start: int, stop: int) -> tuple[float, float]:
    part = audio[start:stop]
    return float(part.min()), float(part.max())


def test_level0_matches_brute_force(tone_wav: tuple[Path, np.ndarray]) -> None:
    path, audio = tone_wav
    peaks = compute_peaks(path)
    assert peaks.rate == RATE and peaks.frames == len(audio)
    assert len(peaks.mins[0]) == -(-len(audio) // BASE_BUCKET)
    for bucket in (0, 70, 100, 218, len(peaks.mins[0]) - 1):
        expected = brute_force(audio, bucket * BASE_BUCKET, (bucket + 1) * BASE_BUCKET)
        assert (peaks.mins[0][bucket], peaks.maxs[0][bucket]) == pytest.approx(expected, abs=1e-6)
    assert len(peaks.mins[-1]) == 1
    assert peaks.mins[-1][0] == pytest.approx(-0.7, abs=1e-4)
    assert peaks.maxs[-1][0] == pytest.approx(0.9, abs=1e-4)


@pytest.mark.parametrize("buckets", [1, 7, 100, 800, 5000])
def test_range_bounds_the_true_envelope(tone_wav: tuple[Path, np.ndarray], buckets: int) -> None:
    """Each column covers at least its own samples (and at most a few buckets more)."""
    path, audio = tone_wav
    peaks = compute_peaks(path)
    start_s, end_s = 1.3, 8.1
    mins, maxs = peaks.range(start_s, end_s, buckets)
    assert mins.shape == maxs.shape == (buckets,)
    edges = np.linspace(start_s * RATE, end_s * RATE, buckets + 1)
    level = peaks.level_for((end_s - start_s) * RATE / buckets)
    slack = 2 * peaks.samples_per_bucket(level)
    for column in range(0, buckets, max(1, buckets // 50)):
        a, b = int(edges[column]), max(int(edges[column + 1]), int(edges[column]) + 1)
        true_min, true_max = brute_force(audio, a, b)
        assert mins[column] <= true_min + 1e-6 and maxs[column] >= true_max - 1e-6
        wide_min, wide_max = brute_force(audio, max(0, a - slack), b + slack)
        assert mins[column] >= wide_min - 1e-6 and maxs[column] <= wide_max + 1e-6


def test_range_picks_coarse_levels_for_wide_views(tone_wav: tuple[Path, np.ndarray]) -> None:
    peaks = compute_peaks(tone_wav[0])
    assert peaks.level_for(100) == 0
    assert peaks.level_for(BASE_BUCKET * 8) == 3
    assert peaks.level_for(1e12) == len(peaks.mins) - 1


def test_range_outside_the_audio_is_zero(tone_wav: tuple[Path, np.ndarray]) -> None:
    peaks = compute_peaks(tone_wav[0])
    mins, maxs = peaks.range(-5.0, 15.0, 20)
    assert not mins[:5].any() and not maxs[:5].any()
    assert not mins[-4:].any() and not maxs[-4:].any()
    assert maxs.max() == pytest.approx(0.9, abs=1e-3)
    with pytest.raises(ValueError):
        peaks.range(2.0, 2.0, 10)


def test_cache_is_reused_and_invalidated(tone_wav: tuple[Path, np.ndarray]) -> None:
    path, _ = tone_wav
    first = ensure_peaks(path)
    cache = path.with_name(PEAKS_FILE)
    assert cache.exists()
    stamp = cache.stat().st_mtime_ns
    second = ensure_peaks(path)
    assert cache.stat().st_mtime_ns == stamp
    assert all(np.array_equal(a, b) for a, b in zip(first.maxs, second.maxs, strict=True))

    sf.write(str(path), np.full((RATE, 2), 0.25, np.float32), RATE, subtype="PCM_16")
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))
    changed = ensure_peaks(path)
    assert changed.frames == RATE and changed.maxs[-1][0] == pytest.approx(0.25, abs=1e-4)


def test_corrupt_cache_is_recomputed(tone_wav: tuple[Path, np.ndarray]) -> None:
    path, _ = tone_wav
    path.with_name(PEAKS_FILE).write_bytes(b"PK\x03\x04 not really a zip")
    assert ensure_peaks(path).maxs[-1][0] == pytest.approx(0.9, abs=1e-3)


def test_float_and_silent_audio(tmp_path: Path) -> None:
    path = tmp_path / "float.wav"
    sf.write(str(path), np.zeros(1000, np.float32), RATE, subtype="FLOAT")
    peaks = compute_peaks(path)
    assert not peaks.maxs[0].any() and not peaks.mins[0].any()
    mins, maxs = peaks.range(0, 0.1, 50)
    assert not mins.any() and not maxs.any()
