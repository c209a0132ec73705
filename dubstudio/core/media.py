"""Media I/O through ffprobe/ffmpeg (argument lists, never a shell) and WAV files through soundfile.

The source media is decoded once per project into two WAV files in ``audio/``:

- ``recognition.wav``: 16 kHz mono 16-bit, what the recogniser and diarizer expect;
- ``mix.wav``: the original sample rate for mixing, 16-bit, mono or stereo. More than two channels
  are downmixed to stereo (ffmpeg's standard matrix), because the dub is mixed and exported in
  stereo. Rates above 48 kHz (88.2/96/192 kHz) are resampled to 48 kHz: they carry nothing
  audible for speech or a video soundtrack, and a 3-hour 192 kHz file would be 8 GB.
  16-bit keeps 96 dB of range, more than any lossy source holds, at half the size of float.

Both are reused while the source file's size and modification time are unchanged.

The media timeline starts at the file's start time. Audio that starts later than the video (a
leading offset) is padded with silence up to its first timestamp, and gaps in its timestamps are
filled, so a time in the WAVs is the same time in the video. The media duration is the longer of the
container's and the audio's own end (read from the last audio packets): containers get it wrong in
the wild (an AVI whose AC-3 stream states no duration, a muxer that stops counting at the video's
end), and cues must be allowed to reach the end of the speech. A disagreement is recorded in
`MediaInfo.container_duration` and reported as a warning (`duration_note`), never an error.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from dubstudio.core.errors import MediaError, UserError
from dubstudio.core.progress import CancelToken
from dubstudio.core.project import MediaInfo
from dubstudio.core.store import DiskFullError, atomic_path, atomic_write_bytes, resolve_inside

RECOGNITION_RATE = 16000
MAX_MIX_RATE = 48000
RECOGNITION_WAV = "recognition.wav"
#: the source's audio at its own rate (what the mix ducks under the dub, what the player falls back
#: to); the file keeps its first name so existing projects are not extracted again
SOURCE_WAV = "mix.wav"
#: Remembers which source (path, size, mtime) the extracted WAVs came from.
SOURCE_STAMP = "source.json"
#: Bump when the extraction settings change so old extractions are redone.
EXTRACTION_VERSION = 2
#: Extracted audio shorter than the container's audio duration by more than this is truncated.
TRUNCATION_TOLERANCE_S = 1.0
#: The audio's end is read from its packets in this last stretch of the container's duration.
AUDIO_END_SCAN_S = 20.0
#: A container duration further than this from the audio's end is worth a warning.
DURATION_MISMATCH_S = 0.5
#: Pads a leading audio offset with silence and fills timestamp gaps: WAV time = media time.
_TIMELINE_FILTER = "aresample=async=1:first_pts=0"

PROBE_TIMEOUT_S = 120
Reporter = Callable[[float, str], None]

_FIX_REPLACE = "Get the file again (the copy or download may be incomplete) or convert it with another tool."
#: how ffmpeg reports a full disk or a file-size limit on its output
_FFMPEG_NO_SPACE = ("No space left on device", "File too large", "Disk quota exceeded")


@dataclass(frozen=True)
class _ProbeResult:
    info: MediaInfo
    audio_duration: float | None  # the audio stream's own duration, when the container states it


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise UserError(
            f"{name} is not installed or not on the PATH",
            fix="Install FFmpeg (it provides ffmpeg and ffprobe) and start DubStudio again.",
        )
    return found


def _check_input_file(path: Path) -> os.stat_result:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise MediaError(
            "the file does not exist", path=path, fix="Check the path, or choose the file again."
        ) from None
    except OSError as exc:
        raise MediaError(f"the file cannot be read ({exc.strerror})", path=path) from None
    if not path.is_file():
        raise MediaError("this is not a file", path=path, fix="Choose a video or audio file.")
    if stat.st_size == 0:
        raise MediaError("the file is empty (0 bytes)", path=path, fix=_FIX_REPLACE)
    return stat


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no details"


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and number not in (float("inf"), float("-inf")) else None


def _fps(stream: dict[str, Any]) -> float:
    for key in ("avg_frame_rate", "r_frame_rate"):
        with contextlib.suppress(ValueError, ZeroDivisionError, TypeError):
            rate = Fraction(stream.get(key, ""))
            if rate > 0:
                return round(float(rate), 3)
    return 0.0


def _probe(path: Path) -> _ProbeResult:
    stat = _check_input_file(path)
    command = [
        _tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
        "--", str(path),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise MediaError("reading the file's format took too long", path=path, fix=_FIX_REPLACE) from None
    try:
        report = json.loads(result.stdout) if result.returncode == 0 else {}
    except json.JSONDecodeError:
        report = {}
    streams = report.get("streams") or []
    if result.returncode != 0 or "format" not in report:
        raise MediaError(
            f"this is not a media file FFmpeg can read, or it is truncated or corrupt "
            f"({_last_line(result.stderr)})",
            path=path, fix=_FIX_REPLACE,
        )
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    video = [
        s for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    if not audio:
        raise MediaError(
            "the file has no audio track; DubStudio needs speech to dub", path=path,
            fix="Open the version of the video that includes its sound.",
        )
    first_audio = audio[0]
    stream_durations = [d for d in (_float(s.get("duration")) for s in streams) if d]
    container = _float(report["format"].get("duration")) or max(stream_durations, default=0.0)
    start = _float(report["format"].get("start_time")) or 0.0
    audio_end = _audio_end(path, start, container)
    duration = round(max(container, audio_end or 0.0), 3)
    if duration <= 0:
        raise MediaError("the file reports no duration; it is probably truncated or corrupt", path=path,
                         fix=_FIX_REPLACE)
    first_video = video[0] if video else {}
    info = MediaInfo(
        path=str(path),
        duration=duration,
        has_video=bool(video),
        has_audio=True,
        sample_rate=int(_float(first_audio.get("sample_rate")) or 0),
        channels=int(first_audio.get("channels") or 0),
        audio_codec=str(first_audio.get("codec_name", "")),
        video_codec=str(first_video.get("codec_name", "")),
        width=int(first_video.get("width") or 0),
        height=int(first_video.get("height") or 0),
        fps=_fps(first_video) if video else 0.0,
        size_bytes=stat.st_size,
        mtime=stat.st_mtime,
        container_duration=round(container, 3),
    )
    return _ProbeResult(info, _float(first_audio.get("duration")) or None)


def _audio_end(path: Path, start: float, container: float) -> float | None:
    """Where the first audio stream's last packet ends, in seconds from the file's start time.

    Only the packets of the last `AUDIO_END_SCAN_S` of the container's duration are read (all of
    them when the container states none); None when ffprobe reports no packet times.
    """
    command = [
        _tool("ffprobe"), "-v", "error", "-select_streams", "a:0",
        "-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0",
    ]
    if container > AUDIO_END_SCAN_S:
        command += ["-read_intervals", f"{container - AUDIO_END_SCAN_S:.3f}%"]
    try:
        result = subprocess.run(
            [*command, "--", str(path)], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    end = None
    for line in result.stdout.splitlines():
        pts, _, length = line.partition(",")
        at = _float(pts)
        if at is not None:
            finish = at + (_float(length.split(",")[0]) or 0.0)
            end = finish if end is None else max(end, finish)
    return end - start if end is not None else None


def duration_note(info: MediaInfo) -> str:
    """A warning when the container's duration is missing or disagrees with the audio's, else ""."""
    declared = info.container_duration
    if declared <= 0:
        return (
            f"the file states no duration; its audio lasts {info.duration:.2f} s, which is used as the "
            "media's length"
        )
    if abs(info.duration - declared) > DURATION_MISMATCH_S:
        return (
            f"the file says it lasts {declared:.2f} s but its audio runs to {info.duration:.2f} s; cues and "
            "the dub are timed to the audio's end"
        )
    return ""


def probe(path: str | Path) -> MediaInfo:
    """What the media file holds. Raises MediaError (with the path and the fix) when it is missing,
    empty, not media, truncated/corrupt beyond reading, or has no audio stream."""
    return _probe(Path(path)).info


def _mix_rate(source_rate: int) -> int:
    return min(source_rate, MAX_MIX_RATE) if source_rate > 0 else MAX_MIX_RATE


def extract_audio(
    path: str | Path,
    out_wav: str | Path,
    rate: int | None = RECOGNITION_RATE,
    channels: int | None = 1,
    *,
    progress: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> MediaInfo:
    """Decode the first audio stream of `path` to a 16-bit WAV at `out_wav` (written atomically).

    `rate=None` keeps the source rate (capped at 48 kHz); `channels=None` keeps mono or stereo and
    downmixes more channels to stereo. Returns the source's MediaInfo. Raises MediaError when the
    file is unusable or the decoded audio is much shorter than the file claims (truncated).
    """
    source = Path(path)
    target = Path(out_wav)
    probed = _probe(source)
    info = probed.info
    out_rate = rate if rate is not None else _mix_rate(info.sample_rate)
    out_channels = channels if channels is not None else min(info.channels or 2, 2)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as temporary:
        command = [
            _tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-i", str(source), "-map", "0:a:0", "-vn", "-sn", "-dn", "-af", _TIMELINE_FILTER,
            "-ac", str(out_channels), "-ar", str(out_rate), "-c:a", "pcm_s16le",
            "-rf64", "auto", "-f", "wav", "-progress", "pipe:1", "-nostats", str(temporary),
        ]  # fmt: skip
        _run_ffmpeg(command, source, info.duration, progress, cancel, target)
        decoded = sf.info(str(temporary)).duration
        claimed = probed.audio_duration
        if claimed is not None and decoded < claimed - TRUNCATION_TOLERANCE_S:
            raise MediaError(
                f"the file is truncated: its audio should last {claimed:.1f} s but only {decoded:.1f} s "
                "could be decoded",
                path=source, fix=_FIX_REPLACE,
            )  # fmt: skip
    return info


def _run_ffmpeg(
    command: list[str],
    source: Path,
    duration: float,
    progress: Reporter | None,
    cancel: CancelToken | None,
    output: Path,
) -> None:
    """Run ffmpeg, reporting `-progress` output and stopping it when `cancel` is set.

    A full disk (or a file-size limit, which kills ffmpeg with SIGXFSZ) is a DiskFullError naming
    `output`, not a problem with the source.
    """
    with tempfile.TemporaryFile() as stderr, subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if cancel is not None and cancel.cancelled:
                process.kill()
                process.wait()
                cancel.raise_if_cancelled()
            key, _, value = line.strip().partition("=")
            if progress is not None and key == "out_time_us" and value.isdigit() and duration > 0:
                progress(int(value) / 1e6 / duration, "extracting audio")
        process.wait()
        if process.returncode != 0:
            stderr.seek(0)
            details = _last_line(stderr.read().decode("utf-8", "replace"))
            file_size_limit = getattr(signal, "SIGXFSZ", None)
            if any(text in details for text in _FFMPEG_NO_SPACE) or (
                file_size_limit is not None and process.returncode == -file_size_limit
            ):
                raise DiskFullError(output)
            raise MediaError(f"the audio could not be decoded ({details})", path=source, fix=_FIX_REPLACE)


def ensure_project_audio(
    project_dir: str | Path,
    media: MediaInfo,
    *,
    progress: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> tuple[Path, Path]:
    """`(recognition_wav, source_wav)` in the project's ``audio/``, extracted once per source version."""
    source = Path(media.path)
    stat = _check_input_file(source)
    audio_dir = resolve_inside(project_dir, "audio")
    audio_dir.mkdir(parents=True, exist_ok=True)
    recognition, mix = audio_dir / RECOGNITION_WAV, audio_dir / SOURCE_WAV
    stamp_file = audio_dir / SOURCE_STAMP
    stamp = {
        "source": str(source.resolve()), "size": stat.st_size, "mtimeNs": stat.st_mtime_ns,
        "version": EXTRACTION_VERSION,
    }
    try:
        previous = json.loads(stamp_file.read_text("utf-8"))
    except (OSError, ValueError):
        previous = None
    if previous == stamp and recognition.is_file() and mix.is_file():
        return recognition, mix
    with contextlib.suppress(FileNotFoundError):
        stamp_file.unlink()
    report = progress or (lambda _fraction, _message: None)
    extract_audio(source, recognition, RECOGNITION_RATE, 1, cancel=cancel,
                  progress=lambda f, m: report(f / 2, m))
    extract_audio(source, mix, None, None, cancel=cancel, progress=lambda f, m: report(0.5 + f / 2, m))
    atomic_write_bytes(stamp_file, json.dumps(stamp).encode("utf-8"))
    report(1.0, "audio ready")
    return recognition, mix


def source_wav_path(project_dir: str | Path) -> Path:
    """Where a project keeps its source audio (see `ensure_project_audio`)."""
    return Path(project_dir) / "audio" / SOURCE_WAV


@contextlib.contextmanager
def _wav_errors(path: str | Path) -> Iterator[None]:
    """A missing or unreadable WAV as a MediaError naming it."""
    if not Path(path).is_file():
        raise MediaError("the audio file does not exist", path=path, fix="Run the step that makes it again.")
    try:
        yield
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise MediaError(f"the audio file cannot be read ({exc})", path=path, fix=_FIX_REPLACE) from None


def load_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """`(samples, rate)` as float32 in −1…1: shape `(frames,)` for mono, `(frames, channels)` otherwise."""
    with _wav_errors(path):
        audio, rate = sf.read(str(path), dtype="float32", always_2d=False)
    return audio, rate


def wav_frames(path: str | Path) -> tuple[int, int]:
    """`(frames, rate)` of a WAV, from its header."""
    with _wav_errors(path):
        info = sf.info(str(path))
    return info.frames, info.samplerate


class WavReader:
    """A WAV read in slices, like a read-only array: `reader[start:stop]` is float32, `(frames,)` for
    mono, `(frames, channels)` otherwise. For audio too long to hold in memory (a film's source)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with _wav_errors(path):
            self._file = sf.SoundFile(str(path))
        self.rate = self._file.samplerate
        channels = self._file.channels
        self.shape: tuple[int, ...] = (self._file.frames,) if channels == 1 else (self._file.frames, channels)
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, frames: slice) -> np.ndarray:
        start, stop, _step = frames.indices(len(self))
        with _wav_errors(self.path):
            self._file.seek(start)
            return self._file.read(max(0, stop - start), dtype="float32", always_2d=False)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> WavReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class _KeepWriteError:
    """The file object soundfile writes through, keeping a write's OSError for `write_wav` to raise.

    libsndfile calls `write` from C; an exception raised there would only be printed as an
    "ignored" traceback and the WAV silently cut short. Returning 0 makes libsndfile stop instead.
    """

    def __init__(self, handle) -> None:
        self.handle = handle
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        if self.error is None:
            view = memoryview(data)
            written = 0
            try:
                while written < len(view):  # a raw file may write part of the data
                    written += self.handle.write(view[written:])
            except OSError as exc:
                self.error = exc
                return 0
            return written
        return 0

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        return self.handle.tell()

    def read(self, size: int = -1) -> bytes:
        return self.handle.read(size)


def _checked_samples(audio: np.ndarray) -> np.ndarray:
    samples = np.asarray(audio, dtype=np.float32)
    if not np.isfinite(samples).all():
        raise ValueError("audio contains NaN or infinite samples")
    return samples


def _as_pcm16(samples: np.ndarray) -> np.ndarray:
    """16-bit samples on the grid readers use (`q / 32768`, as libsndfile and FFmpeg read them),
    rounded to the nearest step and clipped. Converted in numpy: libsndfile's own float conversion
    took as long as mixing a film's blocks."""
    scaled = np.multiply(samples, np.float32(32768))
    np.rint(scaled, out=scaled)
    np.clip(scaled, -32768, 32767, out=scaled)
    return scaled.astype(np.int16)


def write_wav(path: str | Path, audio: np.ndarray, rate: int, subtype: str = "PCM_16") -> None:
    """Write a WAV atomically (temp file + rename). Use `subtype="FLOAT"` to keep headroom above 0 dBFS.

    A full disk raises DiskFullError naming `path`.
    """
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim not in (1, 2):
        raise ValueError(f"audio must be (frames,) or (frames, channels), got shape {samples.shape}")
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with wav_writer(path, rate, channels, samples.shape[0], subtype) as write:
        write(samples)


@contextlib.contextmanager
def wav_writer(
    path: str | Path, rate: int, channels: int, frames: int, subtype: str = "PCM_16"
) -> Iterator[Callable[[np.ndarray], None]]:
    """Write a WAV of `frames` frames block by block through the function this yields; the file
    appears atomically when the block ends (see `write_wav`). `frames` picks WAV or RF64 (over 4 GB)."""
    bytes_per_sample = {"PCM_16": 2, "PCM_24": 3}.get(subtype, 4)
    container = "RF64" if frames * channels * bytes_per_sample > 2**32 - 2**20 else "WAV"
    with atomic_path(path) as temporary, open(temporary, "wb", buffering=0) as handle:
        writer = _KeepWriteError(handle)

        def write(block: np.ndarray) -> None:
            samples = _checked_samples(block)
            sound.write(_as_pcm16(samples) if subtype == "PCM_16" else samples)
            if writer.error is not None:
                raise writer.error

        try:
            with sf.SoundFile(writer, "w", rate, channels, subtype, format=container) as sound:
                yield write
        except Exception:  # soundfile reports a short write as LibsndfileError or AssertionError
            if writer.error is None:
                raise
        if writer.error is not None:
            raise writer.error
        os.fsync(handle.fileno())
