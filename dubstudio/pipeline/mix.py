"""Post-processing: the dub track on the original timeline, the ducked original under it, mastering.

- Placement is sample-exact: a clip starting at `start` seconds begins at sample
  `round(start * rate)` of a track exactly as long as the source audio; overlapping clips add.
- Ducking lowers the original by `Settings.duck_db` wherever a clip plays, with linear ramps
  (attack before the clip starts, release after it ends) so the background never jumps.
  With a `Separator` the original's voice is removed instead and the background stays at full level.
- Mastering (`pipeline.mastering`) brings both tracks to the source's integrated loudness and keeps
  their true peak at or below -1 dBTP.

Everything is float32 numpy: `(frames,)` mono or `(frames, channels)`. `render_mix` works in
blocks of `BLOCK_FRAMES`: it reads the source block by block (an array, or a `WavReader` over the
project's source WAV), reads each take only while a block overlaps it (`ClipFile`, `DubTrack`),
measures loudness on the way (`LoudnessMeter`) and writes its two outputs block by block (arrays,
or `ScratchTrack`s: temporary files), so a film mixes in tens of MB whatever its length. Every block
reads enough context around it that the result is the same as processing the whole array at once
(the tests check this across block boundaries).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from dubstudio.core.dsp import as_mono_float, resample, resampled_length
from dubstudio.core.media import load_wav, wav_frames, wav_writer
from dubstudio.core.progress import CancelToken
from dubstudio.core.project import Project
from dubstudio.core.store import resolve_inside
from dubstudio.core.timeline import seconds_to_samples
from dubstudio.engines.base import Separator
from dubstudio.pipeline.mastering import LoudnessMeter, integrated_loudness, master_in_place
from dubstudio.pipeline.tracks import BLOCK_FRAMES, ScratchTrack, block_spans, channel_count

ATTACK_SECONDS = 0.08
RELEASE_SECONDS = 0.15
#: loudness used when the source is silent (EBU R128's broadcast target)
FALLBACK_LUFS = -23.0
#: seconds of audio a `Separator` sees on each side of a block (its own windows overlap like this)
SEPARATION_CONTEXT_SECONDS = 2.0


class Clip(Protocol):
    """A take on the timeline: where it starts, how long it is at the mix rate, its samples."""

    start_sample: int

    @property
    def frames(self) -> int: ...

    def samples(self) -> np.ndarray: ...


@dataclass
class PlacedClip:
    """A clip's audio at the mix rate and the sample where it starts."""

    start_sample: int
    audio: np.ndarray

    @property
    def frames(self) -> int:
        return len(self.audio)

    def samples(self) -> np.ndarray:
        return self.audio


@dataclass
class ClipFile:
    """A take's WAV, read and resampled to the mix rate only while a block needs it."""

    start_sample: int
    frames: int
    path: Path
    rate: int

    def samples(self) -> np.ndarray:
        audio, clip_rate = load_wav(self.path)
        return resample(audio, clip_rate, self.rate)


@dataclass
class MixResult:
    """The two tracks (arrays, or `ScratchTrack`s when `render_mix` was given them) and measurements."""

    dub: np.ndarray | ScratchTrack
    mix: np.ndarray | ScratchTrack
    sample_rate: int
    source_lufs: float
    mix_lufs: float
    mix_true_peak_db: float


def load_clips(project: Project, project_dir: Path, rate: int) -> list[ClipFile]:
    """Every segment's chosen clip at `rate` with its start sample on the timeline (headers only)."""
    placed = []
    for segment in project.segments:
        if segment.clip is None:
            continue
        path = resolve_inside(project_dir, segment.clip.path)
        frames, clip_rate = wav_frames(path)
        placed.append(
            ClipFile(seconds_to_samples(segment.clip.start, rate), resampled_length(frames, clip_rate, rate),
                     path, rate)
        )  # fmt: skip
    return placed


class DubTrack:
    """The dub track (mono, `length` samples, clips added at their start samples), built block by
    block: a block reads only the clips it overlaps and keeps those that reach into the next block,
    so blocks asked for in order read each take once."""

    def __init__(self, clips: Sequence[Clip], length: int) -> None:
        self._clips = sorted(clips, key=lambda clip: clip.start_sample)
        self._starts = [clip.start_sample for clip in self._clips]
        self._longest = max((clip.frames for clip in self._clips), default=0)
        self._length = length
        self._loaded: dict[int, np.ndarray] = {}

    def block(self, start: int, stop: int) -> np.ndarray:
        track = np.zeros(max(0, stop - start), dtype=np.float32)
        kept = {}
        first = bisect_left(self._starts, start - self._longest + 1)
        for index in range(first, bisect_left(self._starts, stop)):
            clip = self._clips[index]
            end = min(self._length, clip.start_sample + clip.frames)
            if end <= start:
                continue
            audio = self._loaded.get(index)
            if audio is None:
                audio = as_mono_float(clip.samples())
            lo = max(start, clip.start_sample)
            piece = audio[lo - clip.start_sample : min(stop, end) - clip.start_sample]
            track[lo - start : lo - start + len(piece)] += piece
            if end > stop:
                kept[index] = audio
        self._loaded = kept
        return track


def place_clips(clips: Sequence[Clip], length: int) -> np.ndarray:
    """A mono track of exactly `length` samples with every clip added at its start sample."""
    return DubTrack(clips, length).block(0, length)


def duck_gain(
    clips: Sequence[Clip],
    length: int,
    rate: int,
    duck_db: float,
    *,
    attack: float = ATTACK_SECONDS,
    release: float = RELEASE_SECONDS,
    start: int = 0,
    stop: int | None = None,
) -> np.ndarray:
    """Per-sample gain for the original: 1 in the clear, `duck_db` under clips, ramped in between.

    Only samples `start`..`stop` of the `length`-sample track are built (the same values as the
    matching slice of the whole track), so a long mix never needs the whole envelope at once.
    """
    stop = length if stop is None else min(stop, length)
    depth = np.zeros(max(0, stop - start), dtype=np.float32)  # 0 = untouched, 1 = fully ducked
    attack_n, release_n = max(1, round(attack * rate)), max(1, round(release * rate))
    ramp_in = np.linspace(0.0, 1.0, attack_n + 1, dtype=np.float32)[1:]
    ramp_out = np.linspace(1.0, 0.0, release_n + 1, dtype=np.float32)[1:]
    for clip in clips:
        clip_start, clip_end = clip.start_sample, min(length, clip.start_sample + clip.frames)
        if clip_start >= length or clip_end <= clip_start:
            continue
        if clip_end + release_n <= start or clip_start - attack_n >= stop:
            continue
        hold_lo, hold_hi = max(clip_start, start), min(clip_end, stop)
        if hold_lo < hold_hi:
            depth[hold_lo - start : hold_hi - start] = 1.0
        ramp_origin = clip_start - attack_n
        _raise_to(depth, start, max(0, ramp_origin, start), min(clip_start, stop), ramp_in, ramp_origin)
        release_hi = min(length, clip_end + release_n, stop)
        _raise_to(depth, start, max(clip_end, start), release_hi, ramp_out, clip_end)
    floor = np.float32(10 ** (duck_db / 20))
    return 1.0 - depth * (1.0 - floor)


def _raise_to(depth: np.ndarray, offset: int, lo: int, hi: int, ramp: np.ndarray, ramp_origin: int) -> None:
    """Raise track samples lo..hi (`depth` starts at `offset`) to the ramp that starts at `ramp_origin`."""
    if lo < hi:
        part = depth[lo - offset : hi - offset]
        np.maximum(part, ramp[lo - ramp_origin : hi - ramp_origin], out=part)


Progress = Callable[[float, str], None]


def _no_progress(_fraction: float, _message: str) -> None:
    pass


@dataclass
class _Levels:
    """Loudness of the source, the unmastered mix (and its meter) and the unmastered dub."""

    source: float
    mix: float
    dub: float
    mix_meter: LoudnessMeter


def _background(
    source: np.ndarray | SourceAudio,
    original: np.ndarray,
    rate: int,
    start: int,
    stop: int,
    clips: Sequence[Clip],
    duck_db: float,
    separator: Separator | None,
) -> np.ndarray:
    """The original under the dub for frames start..stop: ducked, or with its voices separated out
    (the separator sees `SEPARATION_CONTEXT_SECONDS` more on each side, so blocks join seamlessly)."""
    length = source.shape[0]
    if separator is None:
        gain = duck_gain(clips, length, rate, duck_db, start=start, stop=stop)
        return original * (gain if original.ndim == 1 else gain[:, None])
    context = round(SEPARATION_CONTEXT_SECONDS * rate)
    lo, hi = max(0, start - context), min(length, stop + context)
    separated = separator.separate_background(source[lo:hi], rate)
    return np.asarray(separated, dtype=np.float32)[start - lo : stop - lo]


@dataclass
class MixBlock:
    """Frames `start`..`stop` of the unmastered mix: the source there, the dub, their mix."""

    start: int
    stop: int
    original: np.ndarray
    dub: np.ndarray
    mix: np.ndarray


def mix_blocks(
    source: np.ndarray | SourceAudio,
    rate: int,
    clips: Sequence[Clip],
    *,
    keep_background: bool = True,
    duck_db: float = -14.0,
    separator: Separator | None = None,
    block_frames: int = BLOCK_FRAMES,
    cancel: CancelToken | None = None,
) -> Iterator[MixBlock]:
    """The unmastered mix in order, block by block: the source is read once, each take while a
    block overlaps it (the export masters it, the editor's preview plays it as it is)."""
    length = source.shape[0]
    track = DubTrack(clips, length)
    for start, stop in block_spans(length, block_frames):
        if cancel is not None:
            cancel.raise_if_cancelled()
        original = source[start:stop]
        dub = track.block(start, stop)
        on_channels = dub if original.ndim == 1 else dub[:, None]
        if keep_background:
            mixed = _background(source, original, rate, start, stop, clips, duck_db, separator) + on_channels
        else:
            mixed = np.broadcast_to(on_channels, original.shape).astype(np.float32)
        yield MixBlock(start, stop, original, dub, mixed)


def _combine(
    source: np.ndarray | SourceAudio,
    rate: int,
    clips: Sequence[Clip],
    dub: np.ndarray | ScratchTrack,
    mix: np.ndarray | ScratchTrack,
    keep_background: bool,
    duck_db: float,
    separator: Separator | None,
    block_frames: int,
    cancel: CancelToken | None,
    progress: Progress,
) -> _Levels:
    """Fill `dub` and the unmastered `mix`, measuring all three loudnesses on the way.

    The meters run on a thread of their own, a block behind the mixing: their filters release the
    GIL, so on two cores measuring costs almost no time of its own. One thread keeps each meter's
    blocks in order; waiting for the block before last bounds what is held to a few blocks.
    """
    length = source.shape[0]
    source_meter, mix_meter = (LoudnessMeter(rate, channel_count(source)) for _copy in range(2))
    dub_meter = LoudnessMeter(rate, 1)
    blocks = mix_blocks(
        source, rate, clips, keep_background=keep_background, duck_db=duck_db, separator=separator,
        block_frames=block_frames, cancel=cancel,
    )  # fmt: skip

    def measure(block: MixBlock) -> None:
        source_meter.add(block.original)
        mix_meter.add(block.mix)
        dub_meter.add(block.dub)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="loudness") as meters:
        pending: deque[Future[None]] = deque()
        for block in blocks:
            progress(block.start / max(1, length), "placing the takes over the original")
            pending.append(meters.submit(measure, block))
            dub[block.start : block.stop] = block.dub
            mix[block.start : block.stop] = block.mix
            while len(pending) > 1:
                pending.popleft().result()
        for measured in pending:
            measured.result()
    return _Levels(source_meter.integrated(), mix_meter.integrated(), dub_meter.integrated(), mix_meter)


class SourceAudio(Protocol):
    """The source read in slices: an array, or a `WavReader` over a film's source WAV."""

    shape: tuple[int, ...]
    ndim: int

    def __getitem__(self, frames: slice) -> np.ndarray: ...


def render_mix(
    source: np.ndarray | SourceAudio,
    rate: int,
    clips: Sequence[Clip],
    *,
    keep_background: bool = True,
    duck_db: float = -14.0,
    separator: Separator | None = None,
    cancel: CancelToken | None = None,
    block_frames: int = BLOCK_FRAMES,
    outputs: tuple[ScratchTrack, ScratchTrack] | None = None,
    write_to: tuple[Path, Path] | None = None,
    progress: Progress = _no_progress,
) -> MixResult:
    """The dub track and the final mix, both exactly as long as `source` and mastered to its loudness.

    The mix keeps the source's channel layout; the mono dub is added equally to every channel.
    The tracks go into `outputs` (dub, mix) when given, else into new arrays; with `write_to`
    (dub.wav, mix.wav) they are written there as 16-bit WAVs, the mix measured on the way. Memory
    beyond them: a few blocks of `block_frames` (the result does not depend on it). `progress` gets
    the fraction done (0..1) and what is being done.
    """
    length = source.shape[0]
    dub, mix = outputs or (np.zeros(length, np.float32), np.empty(source.shape, np.float32))
    levels = _combine(
        source, rate, clips, dub, mix, keep_background, duck_db, separator, block_frames, cancel,
        lambda fraction, message: progress(0.5 * fraction, message),
    )  # fmt: skip
    target = levels.source if np.isfinite(levels.source) else FALLBACK_LUFS
    mastered = []
    for fraction, message, track, current in (
        (0.5, "matching the loudness of the mix", mix, levels.mix),
        (0.7, "matching the loudness of the dub", dub, levels.dub),
    ):
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(fraction, message)
        mastered.append(master_in_place(track, rate, target, block_frames, current))
    gain, limited, true_peak = mastered[0]
    # a mix the limiter changed is measured while it is written (else measured again); unlimited, it
    # is its unmastered self times the gain, so its loudness follows from the meter
    mix_meter = LoudnessMeter(rate, channel_count(mix)) if limited and write_to is not None else None
    if write_to is not None:
        progress(0.8, "writing the dub and the mix")
        write_track(write_to[0], dub, rate, block_frames=block_frames)
        write_track(write_to[1], mix, rate, block_frames=block_frames, meter=mix_meter)
    if not limited:
        mix_lufs = levels.mix_meter.integrated(gain)
    elif mix_meter is not None:
        mix_lufs = mix_meter.integrated()
    else:
        progress(0.8, "measuring the mix")
        mix_lufs = integrated_loudness(mix, rate, block_frames=block_frames)
    return MixResult(
        dub=dub,
        mix=mix,
        sample_rate=rate,
        source_lufs=levels.source,
        mix_lufs=mix_lufs,
        mix_true_peak_db=true_peak,
    )


def write_track(
    path: Path,
    track: np.ndarray | ScratchTrack,
    rate: int,
    *,
    block_frames: int = BLOCK_FRAMES,
    meter: LoudnessMeter | None = None,
) -> None:
    """A track as a 16-bit WAV, written atomically block by block (each block also fed to `meter`)."""
    with wav_writer(path, rate, channel_count(track), track.shape[0]) as write:
        for start, stop in block_spans(track.shape[0], block_frames):
            block = track[start:stop]
            write(block)
            if meter is not None:
                meter.add(block)
