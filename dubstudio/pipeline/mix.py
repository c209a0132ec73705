"""Post-processing: the dub track on the original timeline, the ducked original under it, mastering.

- Placement is sample-exact: a clip starting at `start` seconds begins at sample
  `round(start * rate)` of a track exactly as long as the source audio; overlapping clips add.
- Ducking lowers the original by `Settings.duck_db` wherever a clip plays, with linear ramps
  (attack before the clip starts, release after it ends) so the background never jumps.
  With a `Separator` the original's voice is removed instead and the background stays at full level.
- Mastering brings a track to the source's integrated loudness (EBU R128 via pyloudnorm) and keeps
  the true peak (4× oversampled) at or below -1 dBTP with a linked look-ahead limiter.

Everything is float32 numpy: `(frames,)` mono or `(frames, channels)`. `render_mix` works in
blocks of `BLOCK_FRAMES`: it reads the source block by block (an array, or a `WavReader` over the
project's source WAV), reads each take only while a block overlaps it (`ClipFile`, `DubTrack`),
measures loudness on the way (`LoudnessMeter`) and writes its two outputs block by block (arrays,
or `ScratchTrack`s: temporary files), so a film mixes in tens of MB whatever its length. Every block
reads enough context around it that the result is the same as processing the whole array at once
(the tests check this across block boundaries).
"""

from __future__ import annotations

import os
import tempfile
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np
import pyloudnorm
from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d
from scipy.signal import firwin, sosfilt

from dubstudio.core.dsp import as_mono_float, resample, resampled_length
from dubstudio.core.media import load_wav, wav_frames, wav_writer
from dubstudio.core.progress import CancelToken
from dubstudio.core.project import Project
from dubstudio.core.store import disk_space_errors, resolve_inside
from dubstudio.core.timeline import seconds_to_samples
from dubstudio.engines.base import Separator

ATTACK_SECONDS = 0.08
RELEASE_SECONDS = 0.15
TRUE_PEAK_CEILING_DB = -1.0
#: the limiter aims a little below the ceiling so the re-measured peak lands under it
LIMITER_MARGIN_DB = 0.1
LIMITER_WINDOW_SECONDS = 0.01
OVERSAMPLING = 4
#: loudness used when the source is silent (EBU R128's broadcast target)
FALLBACK_LUFS = -23.0
_ABSOLUTE_GATE_LUFS = -70.0
_PEAK_BLOCK = 4096
_HOPS_PER_CHUNK = 600
#: seconds of audio a `Separator` sees on each side of a block (its own windows overlap like this)
SEPARATION_CONTEXT_SECONDS = 2.0
#: frames `render_mix` processes at once (about 22 s at 48 kHz); a multiple of `_PEAK_BLOCK`
BLOCK_FRAMES = 256 * _PEAK_BLOCK
#: added to the loudness filters' input (see `LoudnessMeter.add`)
_SUBNORMAL_GUARD = 1e-20
#: BS.1770 channel weights (L, R, C, Ls, Rs)
_CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)


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


class ScratchTrack:
    """A float32 track in an unnamed temporary file, sliced like an array (`track[a:b]` reads a copy,
    `track[a:b] = x` and `track[a:b] *= g` write): a film's mix and dub between the mastering passes.

    The file disappears when closed (or when the process ends); a full disk raises DiskFullError
    naming `for_path`, the output the track becomes.
    """

    def __init__(self, shape: tuple[int, ...], folder: Path, *, for_path: Path) -> None:
        self.shape = shape
        self.ndim = len(shape)
        self._for_path = for_path
        self._frame_bytes = 4 * (shape[1] if self.ndim == 2 else 1)
        self._file = tempfile.TemporaryFile(dir=folder, prefix=".scratch-")  # noqa: SIM115 (see close)
        with disk_space_errors(for_path):
            os.ftruncate(self._file.fileno(), shape[0] * self._frame_bytes)

    def __len__(self) -> int:
        return self.shape[0]

    def _span(self, frames: slice) -> tuple[int, int]:
        start, stop, _step = frames.indices(len(self))
        return start, max(start, stop)

    def __getitem__(self, frames: slice) -> np.ndarray:
        start, stop = self._span(frames)
        block = np.empty((stop - start, *self.shape[1:]), dtype=np.float32)
        view, offset = memoryview(block).cast("B"), start * self._frame_bytes
        while len(view):
            count = os.preadv(self._file.fileno(), [view], offset)
            view, offset = view[count:], offset + count
        return block

    def __setitem__(self, frames: slice, value: np.ndarray | float) -> None:
        start, stop = self._span(frames)
        block = np.empty((stop - start, *self.shape[1:]), dtype=np.float32)
        block[...] = value
        view, offset = memoryview(block).cast("B"), start * self._frame_bytes
        with disk_space_errors(self._for_path):
            while len(view):
                count = os.pwrite(self._file.fileno(), view, offset)
                view, offset = view[count:], offset + count

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ScratchTrack:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


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


class LoudnessMeter:
    """Integrated loudness per ITU-R BS.1770-4, fed block by block (blocks of any size, in order).

    pyloudnorm's K-weighting filters and gating constants. The filters keep their state from one
    block to the next and the 400 ms gating blocks (75 % overlap) are summed from 100 ms sub-blocks
    (one float each), so a film is measured in constant memory and without pyloudnorm's per-block
    Python loop; the tests check the result equals `pyloudnorm.Meter.integrated_loudness`.
    """

    def __init__(self, rate: int, channels: int) -> None:
        meter = pyloudnorm.Meter(rate)
        self._hop = round(meter.block_size * (1.0 - meter.overlap) * rate)
        self._per_block = round(1 / (1.0 - meter.overlap))
        stages = list(meter._filters.values())
        self._sos = np.vstack([np.concatenate([stage.b, stage.a]) for stage in stages])
        gain = np.prod([stage.passband_gain for stage in stages])
        self._weights = np.asarray(_CHANNEL_WEIGHTS[:channels]) * gain**2
        self._state = np.zeros((self._sos.shape[0], 2, channels))
        self._pending = (0.0, 0)  # weighted power and count of the samples after the last sub-block
        self._sub_blocks: list[np.ndarray] = []

    def add(self, block: np.ndarray) -> None:
        data = block[:, None] if block.ndim == 1 else block
        # the offset keeps the filters' state out of subnormal numbers in digital silence (a
        # dub's gaps), which made them ~20x slower; its energy is ~1e-40, far under every gate
        weighted, self._state = sosfilt(self._sos, data + _SUBNORMAL_GUARD, axis=0, zi=self._state)
        power = np.square(weighted, out=weighted) @ self._weights
        pending, count = self._pending
        if count:
            head = power[: self._hop - count]
            pending, count = pending + float(head.sum()), count + len(head)
            power = power[len(head) :]
            if count < self._hop:
                self._pending = (pending, count)
                return
            self._sub_blocks.append(np.array([pending]))
        whole = len(power) - len(power) % self._hop
        self._sub_blocks.append(power[:whole].reshape(-1, self._hop).sum(axis=1))
        self._pending = (float(power[whole:].sum()), len(power) - whole)

    def integrated(self) -> float:
        """LUFS so far (−inf for silence or under one 400 ms block)."""
        sub_blocks = np.concatenate([np.zeros(0), *self._sub_blocks])
        per_block = self._per_block
        if len(sub_blocks) < per_block:
            return float("-inf")
        running = np.concatenate([[0.0], np.cumsum(sub_blocks)])
        energy = (running[per_block:] - running[:-per_block]) / (self._hop * per_block)
        with np.errstate(divide="ignore"):
            block_loudness = -0.691 + 10 * np.log10(energy)
        gated = energy[block_loudness >= _ABSOLUTE_GATE_LUFS]
        if gated.size == 0:
            return float("-inf")
        relative_gate = -0.691 + 10 * np.log10(gated.mean()) - 10.0
        kept = energy[(block_loudness > relative_gate) & (block_loudness > _ABSOLUTE_GATE_LUFS)]
        return float(-0.691 + 10 * np.log10(kept.mean())) if kept.size else float("-inf")


def _channels(audio: np.ndarray | ScratchTrack) -> int:
    return 1 if audio.ndim == 1 else audio.shape[1]


def integrated_loudness(
    audio: np.ndarray | ScratchTrack, rate: int, *, block_frames: int = BLOCK_FRAMES
) -> float:
    """Integrated loudness in LUFS per ITU-R BS.1770-4 (−inf for silence or under one 400 ms block),
    read block by block (see `LoudnessMeter`)."""
    audio = audio if hasattr(audio, "ndim") else np.asarray(audio)
    meter = LoudnessMeter(rate, _channels(audio))
    for start, stop in _block_spans(audio.shape[0], block_frames):
        meter.add(audio[start:stop])
    return meter.integrated()


@cache
def _interpolation_phases() -> np.ndarray:
    """The 4 polyphase branches of a 4× interpolation low-pass (12 taps each, as in BS.1770-4)."""
    taps = firwin(OVERSAMPLING * 12, 0.9 / OVERSAMPLING, window=("kaiser", 8.0)) * OVERSAMPLING
    return taps.reshape(-1, OVERSAMPLING).T.astype(np.float32)


@cache
def _interpolation_gain() -> float:
    """How far the interpolated signal can exceed its sample peak at most: no phase's output is
    larger than the sum of its taps' magnitudes times the largest input sample (about 4 dB)."""
    return float(np.abs(_interpolation_phases()).sum(axis=1).max())


def oversampled_peaks(audio: np.ndarray, refine_above: float = 0.0) -> np.ndarray:
    """Per input sample, the largest magnitude of the 4× oversampled signal near it (all channels).

    Interpolation only runs on blocks whose sample peak times `_interpolation_gain()` reaches
    `refine_above`: quieter blocks cannot reach it between their samples either (this makes an hour
    take seconds).
    """
    data = np.asarray(audio, dtype=np.float32)
    data = data[:, None] if data.ndim == 1 else data
    phases = _interpolation_phases()
    taps = phases.shape[1]
    peaks = np.abs(data[:, 0])
    for channel in range(1, data.shape[1]):  # faster than a max over the short axis
        np.maximum(peaks, np.abs(data[:, channel]), out=peaks)
    threshold = refine_above / _interpolation_gain()
    for start in range(0, len(peaks), _PEAK_BLOCK):
        end = min(len(peaks), start + _PEAK_BLOCK)
        if peaks[start:end].max() < threshold:
            continue
        lo, hi = max(0, start - taps), min(len(peaks), end + taps)
        for channel in range(data.shape[1]):
            signal = data[lo:hi, channel]
            for phase in phases:
                branch = np.abs(np.convolve(signal, phase, mode="same"))
                np.maximum(peaks[start:end], branch[start - lo : end - lo], out=peaks[start:end])
    return maximum_filter1d(peaks, 3)


def _block_spans(length: int, block_frames: int) -> list[tuple[int, int]]:
    return [(start, min(length, start + block_frames)) for start in range(0, length, block_frames)]


def _limiter_context(rate: int) -> int:
    """Frames of context a block needs so its limiter gain equals the whole-array gain.

    One `_PEAK_BLOCK` (its interpolation sees clipped edges) plus the reach of the gain filters,
    rounded to whole `_PEAK_BLOCK`s so the refine decisions stay aligned with the whole array's.
    """
    window = max(1, round(LIMITER_WINDOW_SECONDS * rate))
    reach = window + (window + 1) // 2 + 1
    return _PEAK_BLOCK * (1 + -(-reach // _PEAK_BLOCK))


def _block_size(block_frames: int, context: int) -> int:
    return max(context, -(-block_frames // _PEAK_BLOCK) * _PEAK_BLOCK)


def _sub_block_peaks(audio: np.ndarray, refine_above: float, context: int, block_frames: int) -> np.ndarray:
    """Per `_PEAK_BLOCK` of `audio`, the largest `oversampled_peaks` value, computed block by block."""
    length = audio.shape[0]
    result = np.zeros(-(-length // _PEAK_BLOCK), dtype=np.float32)
    for start, stop in _block_spans(length, _block_size(block_frames, context)):
        lo, hi = max(0, start - context), min(length, stop + context)
        peaks = oversampled_peaks(audio[lo:hi], refine_above)[start - lo : stop - lo]
        padded = np.zeros(-(-len(peaks) // _PEAK_BLOCK) * _PEAK_BLOCK, dtype=np.float32)
        padded[: len(peaks)] = peaks
        result[start // _PEAK_BLOCK : start // _PEAK_BLOCK + len(padded) // _PEAK_BLOCK] = padded.reshape(
            -1, _PEAK_BLOCK
        ).max(axis=1)
    return result


def _peak_abs(audio: np.ndarray, block_frames: int = BLOCK_FRAMES) -> float:
    return max(
        (float(np.abs(audio[start:stop]).max()) for start, stop in _block_spans(len(audio), block_frames)),
        default=0.0,
    )


def true_peak_db(audio: np.ndarray, *, block_frames: int = BLOCK_FRAMES) -> float:
    """The 4× oversampled peak in dBTP (−inf for silence), measured block by block."""
    sample_peak = _peak_abs(audio, block_frames)
    if sample_peak == 0:
        return float("-inf")
    peaks = _sub_block_peaks(audio, sample_peak, _PEAK_BLOCK, block_frames)
    return float(20 * np.log10(peaks.max()))


def _limiter_gain(peaks: np.ndarray, ceiling: float, rate: int) -> np.ndarray:
    """The gain needed at each sample spread by a minimum filter over ±window, then averaged over one
    window, so every sample's gain stays at or below what it needs and never steps."""
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12)).astype(np.float32)
    window = max(1, round(LIMITER_WINDOW_SECONDS * rate))
    return uniform_filter1d(minimum_filter1d(needed, 2 * window + 1), window + 1)


def _apply_limiter_gain(
    audio: np.ndarray, rate: int, ceiling: float, over: np.ndarray, context: int, block_frames: int
) -> None:
    """One limiter pass in place; blocks with no sub-block over `ceiling` in reach are left alone.

    A changed block keeps an unchanged copy of its last `context` frames: the next block's gain
    must see the input as it was, exactly as a whole-array pass would.
    """
    length = audio.shape[0]
    unchanged_left: np.ndarray | None = None
    for start, stop in _block_spans(length, block_frames):
        lo, hi = max(0, start - context), min(length, stop + context)
        if not over[lo // _PEAK_BLOCK : -(-hi // _PEAK_BLOCK)].any():
            unchanged_left = None
            continue
        segment = (
            audio[lo:hi] if unchanged_left is None else np.concatenate([unchanged_left, audio[start:hi]])
        )
        peaks = oversampled_peaks(segment, refine_above=ceiling)
        gain = _limiter_gain(peaks, ceiling, rate)[start - lo : stop - lo]
        unchanged_left = np.array(segment[stop - context - lo : stop - lo])
        audio[start:stop] *= gain if audio.ndim == 1 else gain[:, None]


def _limit_in_place(
    audio: np.ndarray, rate: int, ceiling_db: float = TRUE_PEAK_CEILING_DB, block_frames: int = BLOCK_FRAMES
) -> None:
    """Up to 4 limiter passes over the whole signal, each a little lower, until the true peak fits."""
    ceiling = 10 ** ((ceiling_db - LIMITER_MARGIN_DB) / 20)
    context = _limiter_context(rate)
    block_frames = _block_size(block_frames, context)
    for _attempt in range(4):
        peaks = _sub_block_peaks(audio, ceiling, context, block_frames)
        if peaks.max(initial=0.0) <= 10 ** (ceiling_db / 20):
            return
        _apply_limiter_gain(audio, rate, ceiling, peaks > ceiling, context, block_frames)
        ceiling *= 10 ** (-LIMITER_MARGIN_DB / 20)


def limit_true_peak(
    audio: np.ndarray,
    rate: int,
    ceiling_db: float = TRUE_PEAK_CEILING_DB,
    *,
    block_frames: int = BLOCK_FRAMES,
) -> np.ndarray:
    """A copy of `audio` whose oversampled peak is at or below `ceiling_db` (smooth, channel-linked gain)."""
    out = np.array(audio, dtype=np.float32)
    _limit_in_place(out, rate, ceiling_db, block_frames)
    return out


def _master_in_place(
    audio: np.ndarray | ScratchTrack, rate: int, target_lufs: float, block_frames: int, current: float
) -> None:
    """Gain from the `current` loudness to `target_lufs`, then the true-peak limiter."""
    if np.isfinite(current):
        gain = np.float32(10 ** ((target_lufs - current) / 20))
        for start, stop in _block_spans(audio.shape[0], block_frames):
            audio[start:stop] *= gain
    _limit_in_place(audio, rate, block_frames=block_frames)


def master(
    audio: np.ndarray, rate: int, target_lufs: float, *, block_frames: int = BLOCK_FRAMES
) -> np.ndarray:
    """Gain to `target_lufs`, then the true-peak limiter, on a float32 copy. Silence stays silence."""
    out = np.array(audio, dtype=np.float32)
    _master_in_place(out, rate, target_lufs, block_frames, integrated_loudness(out, rate))
    return out


Progress = Callable[[float, str], None]


def _no_progress(_fraction: float, _message: str) -> None:
    pass


@dataclass
class _Levels:
    """Loudness of the source, the unmastered mix and the unmastered dub."""

    source: float
    mix: float
    dub: float


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
    for start, stop in _block_spans(length, block_frames):
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
    """Fill `dub` and the unmastered `mix`, measuring all three loudnesses on the way."""
    length = source.shape[0]
    source_meter, mix_meter = LoudnessMeter(rate, _channels(source)), LoudnessMeter(rate, _channels(source))
    dub_meter = LoudnessMeter(rate, 1)
    blocks = mix_blocks(
        source, rate, clips, keep_background=keep_background, duck_db=duck_db, separator=separator,
        block_frames=block_frames, cancel=cancel,
    )  # fmt: skip
    for block in blocks:
        progress(block.start / max(1, length), "placing the takes over the original")
        source_meter.add(block.original)
        dub[block.start : block.stop] = block.dub
        mix[block.start : block.stop] = block.mix
        mix_meter.add(block.mix)
        dub_meter.add(block.dub)
    return _Levels(source_meter.integrated(), mix_meter.integrated(), dub_meter.integrated())


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
    progress: Progress = _no_progress,
) -> MixResult:
    """The dub track and the final mix, both exactly as long as `source` and mastered to its loudness.

    The mix keeps the source's channel layout; the mono dub is added equally to every channel.
    The tracks go into `outputs` (dub, mix) when given, else into new arrays. Memory beyond them:
    a few blocks of `block_frames` (the result does not depend on it). `progress` gets the fraction
    done (0..1) and what is being done.
    """
    length = source.shape[0]
    dub, mix = outputs or (np.zeros(length, np.float32), np.empty(source.shape, np.float32))
    levels = _combine(
        source, rate, clips, dub, mix, keep_background, duck_db, separator, block_frames, cancel,
        lambda fraction, message: progress(0.5 * fraction, message),
    )  # fmt: skip
    target = levels.source if np.isfinite(levels.source) else FALLBACK_LUFS
    for fraction, message, track, current in (
        (0.5, "matching the loudness of the mix", mix, levels.mix),
        (0.7, "matching the loudness of the dub", dub, levels.dub),
    ):
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(fraction, message)
        _master_in_place(track, rate, target, block_frames, current)
    progress(0.8, "measuring the mix")
    return MixResult(
        dub=dub,
        mix=mix,
        sample_rate=rate,
        source_lufs=levels.source,
        mix_lufs=integrated_loudness(mix, rate, block_frames=block_frames),
        mix_true_peak_db=true_peak_db(mix, block_frames=block_frames),
    )


def write_track(
    path: Path, track: np.ndarray | ScratchTrack, rate: int, *, block_frames: int = BLOCK_FRAMES
) -> None:
    """A track as a 16-bit WAV, written atomically block by block."""
    with wav_writer(path, rate, _channels(track), track.shape[0]) as write:
        for start, stop in _block_spans(track.shape[0], block_frames):
            write(track[start:stop])
