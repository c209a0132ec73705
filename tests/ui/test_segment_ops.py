"""Splitting, merging and snapping: the pure logic behind the editor's commands (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from dubstudio.core.media import write_wav
from dubstudio.core.project import Segment, Word
from dubstudio.core.segment_edits import merge_segments, split_point, split_segment
from dubstudio.core.snapping import clamp_span, dragged_span, silence_edges, snap, word_edges
from dubstudio.core.waveform import compute_peaks


def _segment() -> Segment:
    words = [Word(1.0, 1.4, "ask"), Word(1.5, 1.9, "not"), Word(2.4, 2.8, "what"), Word(2.9, 3.3, "you")]
    return Segment("seg-a", 1.0, 3.4, "S1", "ask not what you", words, 0.8,
                   translated_text="no preguntes qué tú", tts_text="no preguntes qué tú")  # fmt: skip


def test_split_cuts_in_the_gap_between_words_and_divides_texts():
    first, second = split_segment(_segment(), at=2.0)
    assert first.end == second.start == pytest.approx(2.15)
    assert (first.original_text, second.original_text) == ("ask not", "what you")
    assert f"{first.translated_text} {second.translated_text}" == "no preguntes qué tú"
    assert first.id == "seg-a" and second.id != "seg-a"
    assert first.clip is None and second.clip is None


def test_split_point_without_words_stays_inside():
    segment = Segment("s", 0.0, 1.0, original_text="two words")
    assert 0.2 <= split_point(segment, 0.05) <= 0.8


def test_merge_restores_the_texts_and_spans():
    first, second = split_segment(_segment(), at=2.0)
    merged = merge_segments(first, second)
    assert (merged.start, merged.end) == (1.0, 3.4)
    assert merged.original_text == "ask not what you"
    assert len(merged.words) == 4


def test_snap_goes_to_the_nearest_word_edge_within_tolerance():
    edges = word_edges([_segment()])
    assert snap(1.93, edges, 0.05) == 1.9
    assert snap(2.1, edges, 0.05) == 2.1


def test_clamp_keeps_a_span_off_its_neighbours_and_long_enough():
    previous = Segment("p", 0.0, 0.9)
    following = Segment("f", 3.6, 4.0)
    assert clamp_span(0.5, 3.9, previous, following, 10.0) == (0.9, 3.6)
    start, end = clamp_span(3.7, 3.75, previous, following, 10.0)
    assert end <= 3.6 and end - start == pytest.approx(0.1)


def test_silence_edges_find_where_speech_starts_and_stops(tmp_path):
    rate = 8000
    audio = np.zeros(rate * 3, dtype=np.float32)
    audio[rate : 2 * rate] = 0.5 * np.sin(np.arange(rate) * 0.3)
    write_wav(tmp_path / "a.wav", audio, rate)
    edges = silence_edges(compute_peaks(tmp_path / "a.wav"), 0.0, 3.0)
    assert len(edges) == 2
    assert edges[0] == pytest.approx(1.0, abs=0.05)
    assert edges[1] == pytest.approx(2.0, abs=0.05)


def test_a_dragged_edge_snaps_to_a_word_edge_and_a_moved_body_stops_at_its_neighbour():
    segments = [Segment("p", 0.0, 0.9), _segment(), Segment("f", 3.6, 4.0)]
    common = dict(peaks=None, tolerance=0.05, duration=10.0)
    assert dragged_span("end", 1.0, 3.4, -1.46, segments, 1, **common) == (1.0, 1.9)  # snapped to "not"
    assert dragged_span("end", 1.0, 3.4, -1.46, segments, 1, free=True, **common) == (1.0, 1.94)
    assert dragged_span("move", 1.0, 3.4, 2.0, segments, 1, **common) == (1.2, 3.6)
