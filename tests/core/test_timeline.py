"""Timeline helpers: seconds ↔ samples, timecodes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dubstudio.core.timeline import format_timecode, parse_timecode, samples_to_seconds, seconds_to_samples


def test_seconds_to_samples_rounds() -> None:
    assert seconds_to_samples(1.0, 48000) == 48000
    assert seconds_to_samples(0.1, 16000) == 1600  # 0.1 * 16000 is 1600.0000000000002 in floats
    assert seconds_to_samples(1 / 3, 3) == 1
    assert samples_to_seconds(24000, 48000) == 0.5


@pytest.mark.parametrize(("seconds", "rate"), [(-0.1, 16000), (float("nan"), 16000), (1.0, 0)])
def test_seconds_to_samples_rejects_nonsense(seconds: float, rate: int) -> None:
    with pytest.raises(ValueError):
        seconds_to_samples(seconds, rate)


@given(st.integers(0, 10**9), st.sampled_from([8000, 16000, 22050, 44100, 48000]))
def test_samples_round_trip(samples: int, rate: int) -> None:
    assert seconds_to_samples(samples_to_seconds(samples, rate), rate) == samples


def test_format_timecode() -> None:
    assert format_timecode(0) == "00:00:00.000"
    assert format_timecode(3723.4567) == "01:02:03.457"
    assert format_timecode(59.9996) == "00:01:00.000"
    assert format_timecode(1.5, ",") == "00:00:01,500"
    assert format_timecode(100 * 3600) == "100:00:00.000"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("01:02:03.457", 3723.457), ("01:02:03,457", 3723.457), ("02:03.5", 123.5), ("7", 7.0),
     (" 00:00:01.05 ", 1.05), ("1:02:03", 3723.0)],
)
def test_parse_timecode(text: str, seconds: float) -> None:
    assert parse_timecode(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["", "abc", "00:61:00.000", "00:00:75.000", "1.2.3", "-00:00:01.000", "00:00:01.0000"]
)
def test_parse_timecode_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a timecode"):
        parse_timecode(text)


@given(st.integers(0, 200 * 3600 * 1000))
def test_timecode_round_trip(milliseconds: int) -> None:
    assert round(parse_timecode(format_timecode(milliseconds / 1000)) * 1000) == milliseconds


def test_the_time_index_finds_the_segment_at_a_time_and_those_in_a_range():
    from dubstudio.core.project import Segment
    from dubstudio.core.timeline import TimeIndex

    segments = [
        Segment("a", 0.0, 6.0), Segment("b", 2.0, 3.0), Segment("c", 7.0, 8.0), Segment("d", 9.0, 9.5),
    ]  # fmt: skip
    index = TimeIndex(segments)
    assert [index.at(t) for t in (0.5, 2.5, 3.5, 6.5, 7.0, 8.0, 9.2, 12.0)] == [0, 1, 0, -1, 2, -1, 3, -1]
    rows = index.overlapping(6.5, 7.5)
    assert {segments[r].id for r in rows} <= {"b", "c"} and 2 in rows
    assert 0 in index.overlapping(5.5, 7.5)  # the long cue starting earlier reaches into the range
    assert TimeIndex([]).at(1.0) == -1 and list(TimeIndex([]).overlapping(0, 1)) == []
