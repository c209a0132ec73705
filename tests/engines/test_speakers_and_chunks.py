"""Speaker bookkeeping and quiet-point chunking: pure numpy, no model."""

from __future__ import annotations

import itertools

import numpy as np

from dubstudio.engines.base import SpeakerTurn
from dubstudio.engines.chunking import quiet_windows
from dubstudio.engines.speakers import exclusive_spans, match_speakers

RATE = 16_000


def test_quiet_windows_cover_everything_and_cut_in_the_silence() -> None:
    rng = np.random.default_rng(1)
    audio = rng.normal(0, 0.3, 100 * RATE).astype(np.float32)
    audio[27 * RATE : 28 * RATE] = 0.0  # the only silence near the first nominal cut (30 s)
    audio[62 * RATE : 63 * RATE] = 0.0  # and near the second one (60 s)
    windows = quiet_windows(audio, RATE, chunk_seconds=30.0)
    assert windows[0][0] == 0 and windows[-1][1] == len(audio)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))
    assert 27 * RATE <= windows[0][1] <= 28 * RATE
    assert 62 * RATE <= windows[1][1] <= 63 * RATE


def test_short_audio_is_one_window() -> None:
    assert quiet_windows(np.zeros(RATE, dtype=np.float32), RATE, 600.0) == [(0, RATE)]


def test_exclusive_spans_remove_overlap() -> None:
    turns = [SpeakerTurn(0.0, 5.0, "A"), SpeakerTurn(4.0, 9.0, "B"), SpeakerTurn(8.5, 12.0, "A")]
    spans = exclusive_spans(turns)
    assert spans["A"] == [(0.0, 4.0), (9.0, 12.0)]
    assert spans["B"] == [(5.0, 8.5)]


def test_match_speakers_is_one_to_one_and_thresholded() -> None:
    known = {"S1": np.array([1.0, 0.0, 0.0]), "S2": np.array([0.0, 1.0, 0.0])}
    new = {
        "a": np.array([0.1, 0.95, 0.0]),  # S2
        "b": np.array([0.9, 0.2, 0.0]),  # S1
        "c": np.array([0.8, 0.3, 0.1]),  # also closest to S1, but S1 is taken by the better match
        "d": np.array([0.0, 0.0, 1.0]),  # nobody
        "e": np.array([1.0, 0.0]),  # another embedding model: never matches
    }
    assert match_speakers(new, known, threshold=0.5) == {
        "a": "S2",
        "b": "S1",
        "c": None,
        "d": None,
        "e": None,
    }
