"""`dubstudio dub` on real-world media quirks (tests/support/media_corpus.py): each must dub, with its
cues, dub and mix on the media's own timeline, and a container that misstates its duration is a
warning in the project, never a failed job.

The runs use `--subtitles` with JFK's real timing and an espeak-ng voice, so neither the recogniser
nor Kokoro loads for each file: what differs between them is the media. One run takes the default
path (recognition, Kokoro) on the AVI whose audio outlasts what its container says, the file that
failed with "segment … ends at … s, after the media end".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from media_corpus import CORPUS, CorpusFile, build, ffprobe

from dubstudio.core.media import RECOGNITION_WAV, SOURCE_WAV, load_wav
from dubstudio.core.store import load_project

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _dub(media: Path, out: Path, *extra: str | Path) -> subprocess.CompletedProcess[str]:
    """`python -m dubstudio dub MEDIA --to es --out OUT EXTRA…` in a child process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "dubstudio", "dub", media, "--to", "es", "--out", out, *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media-corpus")


def _speech_onset(audio: np.ndarray, rate: int) -> float:
    """When the first loud 10 ms frame starts (JFK's clip: 0.33 s after its first sample)."""
    frames = np.abs(audio[: len(audio) // (rate // 100) * (rate // 100)]).reshape(-1, rate // 100).max(axis=1)
    return float(np.argmax(frames > 0.05) / 100)


def _check_dubbed(out: Path, entry: CorpusFile, result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    project = load_project(out)
    media = project.media
    assert media is not None and media.has_video is entry.has_video
    # the media's length reaches the end of its audio, whatever the container says
    assert media.duration >= entry.audio_end - 0.1, (media.duration, entry.audio_end)
    assert project.segments
    for segment in project.segments:
        assert 0.0 <= segment.start < segment.end <= media.duration + 1e-6, segment
        assert segment.clip is not None and segment.clip.end <= media.duration + 0.05
    # the extracted audio keeps the media timeline: JFK's first word where the video has it
    recognition, rate = load_wav(out / "audio" / RECOGNITION_WAV)
    assert _speech_onset(recognition, rate) == pytest.approx(entry.speech_offset + 0.33, abs=0.06)
    assert len(recognition) / rate == pytest.approx(entry.audio_end, abs=0.1)
    # the dub is placed on that timeline, sample-exactly as long as the original sound
    source, source_rate = load_wav(out / "audio" / SOURCE_WAV)
    dub, dub_rate = load_wav(out / "dub.wav")
    assert (dub_rate, len(dub)) == (source_rate, len(source))
    first = project.segments[0]
    assert _speech_onset(dub, dub_rate) == pytest.approx(first.clip.start, abs=0.3)
    assert sf.info(str(out / "mix.wav")).frames == len(source)
    if entry.has_video:
        video = next(out.glob("*.dubbed.*"))
        streams = ffprobe(video)["streams"]
        assert [s["codec_type"] for s in streams].count("audio") == 2
        decoded = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(video), "-f", "null", "-"], capture_output=True, text=True
        )
        assert decoded.returncode == 0 and not decoded.stderr.strip(), decoded.stderr


@pytest.mark.parametrize("entry", CORPUS, ids=[entry.name for entry in CORPUS])
def test_each_file_is_dubbed_on_its_own_timeline(corpus: Path, tmp_path: Path, entry: CorpusFile) -> None:
    media = build(corpus, entry)
    out = tmp_path / "project"
    transcript = entry.write_srt(tmp_path / "jfk.srt")
    result = _dub(media, out, "--from", "en", "--subtitles", transcript, "--voice", "S1=espeak:es+m3")
    _check_dubbed(out, entry, result)


def test_a_container_that_misstates_its_duration_is_a_warning(corpus: Path, tmp_path: Path) -> None:
    """The AVI's AC-3 stream states no duration and its container the video's 8 s, while the speech
    runs to 10.4 s: recognised from the real audio, every cue stays on the media, and the project
    carries one warning naming both durations."""
    entry = CORPUS[0]
    media = build(corpus, entry)
    out = tmp_path / "project"
    result = _dub(media, out)
    _check_dubbed(out, entry, result)
    project = load_project(out)
    assert project.segments[-1].end > 9.0  # the speech after the container's 8 s is there
    (warning,) = [issue for issue in project.diagnostics.issues if issue.code == "media_duration"]
    assert warning.severity == "warning" and "8.00 s" in warning.message and "11.0" in warning.message
    assert "media_duration 1" in result.stderr  # the CLI's summary lists it for review
