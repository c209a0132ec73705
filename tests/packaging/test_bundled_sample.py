"""The bundled sample (resources/sample/) is what its README promises: a small H.264/AAC video of two
clearly different voices, with a script and reference SRT/RTTM that agree with each other and the audio."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

import numpy as np
import pysubs2
import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample"
VIDEO = SAMPLE / "dialogue.mp4"
RATE = 16_000


def script_lines() -> list[tuple[str, str]]:
    lines = []
    for raw in (SAMPLE / "script.txt").read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            speaker, _, text = raw.partition(":")
            lines.append((speaker.strip(), text.strip()))
    return lines


def rttm_turns() -> list[tuple[str, float, float]]:
    turns = []
    for row in (SAMPLE / "reference.rttm").read_text(encoding="utf-8").splitlines():
        fields = row.split()
        assert fields[0] == "SPEAKER" and len(fields) == 10
        start, duration = float(fields[3]), float(fields[4])
        turns.append((fields[7], start, start + duration))
    return turns


@pytest.fixture(scope="module")
def probe() -> dict:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(VIDEO)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def audio() -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(VIDEO), "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.float32)


def test_video_is_small_h264_aac_between_30_and_60_seconds(probe):
    streams = {stream["codec_type"]: stream for stream in probe["streams"]}
    assert streams["video"]["codec_name"] == "h264"
    assert (streams["video"]["width"], streams["video"]["height"]) in {(1280, 720), (960, 540)}
    assert streams["audio"]["codec_name"] == "aac"
    assert 30.0 <= float(probe["format"]["duration"]) <= 60.0
    assert VIDEO.stat().st_size < 3_000_000


def test_reference_srt_matches_script_line_by_line(probe):
    cues = pysubs2.load(str(SAMPLE / "reference.srt"), encoding="utf-8")
    lines = script_lines()
    assert 12 <= len(lines) <= 16
    assert [cue.plaintext for cue in cues] == [f"{speaker}: {text}" for speaker, text in lines]
    assert all(cue.start < cue.end for cue in cues)
    gaps = [(nxt.start - cue.end) / 1000 for cue, nxt in itertools.pairwise(cues)]
    assert all(0.3 <= gap <= 0.8 for gap in gaps), gaps
    assert cues[-1].end / 1000 <= float(probe["format"]["duration"])


def test_reference_rttm_has_the_srt_timings_and_two_speakers():
    cues = pysubs2.load(str(SAMPLE / "reference.srt"), encoding="utf-8")
    turns = rttm_turns()
    assert [speaker for speaker, _, _ in turns] == [speaker for speaker, _ in script_lines()]
    assert len({speaker for speaker, _, _ in turns}) == 2
    for cue, (_, start, end) in zip(cues, turns, strict=True):
        assert abs(cue.start / 1000 - start) <= 0.001
        assert abs(cue.end / 1000 - end) <= 0.002
    spoken = sum(end - start for _, start, end in turns)
    assert 40.0 <= spoken <= 50.0


def test_speech_sits_inside_the_turns_and_room_tone_between_them(audio):
    turns = rttm_turns()

    def rms_db(start: float, end: float) -> float:
        part = audio[int(start * RATE) : int(end * RATE)]
        return 10 * np.log10(np.mean(part**2) + 1e-12)

    speech = [rms_db(start, end) for _, start, end in turns]
    gaps = [rms_db(turns[i][2] + 0.05, turns[i + 1][1] - 0.05) for i in range(len(turns) - 1)]
    assert min(speech) > -30.0
    assert max(gaps) < -50.0  # quiet room tone, not digital silence and not speech
    assert min(gaps) > -90.0


def median_f0(speech: np.ndarray) -> float:
    """Median pitch of the loud frames by autocorrelation: plenty to tell a low voice from a high one,
    and fast (no librosa/numba start-up)."""
    frame, hop = int(0.04 * RATE), int(0.02 * RATE)
    shortest, longest = RATE // 400, RATE // 60
    pitches = []
    for start in range(0, len(speech) - frame, hop):
        window = speech[start : start + frame] * np.hanning(frame)
        if np.sqrt(np.mean(window**2)) < 0.03:
            continue
        correlation = np.correlate(window, window, "full")[frame - 1 :]
        lag = shortest + int(np.argmax(correlation[shortest:longest]))
        if correlation[lag] > 0.5 * correlation[0]:
            pitches.append(RATE / lag)
    return float(np.median(pitches))


def test_the_two_voices_have_clearly_different_pitch(audio):
    medians = {
        speaker: median_f0(
            np.concatenate(
                [
                    audio[int(start * RATE) : int(end * RATE)]
                    for name, start, end in rttm_turns()
                    if name == speaker
                ]
            )
        )
        for speaker in ("Maya", "Daniel")
    }
    assert medians["Maya"] > 160.0, medians
    assert medians["Daniel"] < 130.0, medians


def test_readme_names_voices_licences_and_how_to_regenerate():
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    for needle in ("en_US-joe-medium", "hibari", "CC0", "Apache-2.0", "make_sample.py", "check_sample.py"):
        assert needle in readme
