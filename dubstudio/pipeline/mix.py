"""Post-processing: the dub track on the original timeline, the ducked original under it, mastering.

- Placement is sample-exact: a clip starting at `start` seconds begins at sample
  `round(start * rate)` of a track exactly as long as the source audio; overlapping clips add.
- Ducking lowers the original by `Settings.duck_db` wherever a clip plays, with linear ramps
  (attack before the clip starts, release after it ends) so the background never jumps.
  With a `Separator` the original's voice is removed instead and the background stays at full level.
- Mastering brings a track to the source's integrated loudness (EBU R128 via pyloudnorm) and keeps
  the true peak (4× oversampled) at or below -1 dBTP with a linked look-ahead limiter.

Everything is float32 numpy: `(frames,)` mono or `(frames, channels)`. `render_mix` works in
blocks of `BLOCK_FRAMES` written into its two output arrays, so beyond the source and the outputs an
hour of audio needs only tens of MB; every block reads enough context around it that the result is
the same as processing the whole array at once (the tests check this across block boundaries).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pyloudnorm
from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d
from scipy.signal import firwin, sosfilt

from dubstudio.core.dsp import as_mono_float, resample
from dubstudio.core.media import load_wav
from dubstudio.core.progress import CancelToken
from dubstudio.core.project import Project
from dubstudio.core.store import resolve_inside
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
#: how far above its sample peak a block's true peak is assumed to stay at most
INTER_SAMPLE_HEADROOM_DB = 6.0
#: frames `render_mix` processes at once (about 22 s at 48 kHz); a multiple of `_PEAK_BLOCK`
BLOCK_FRAMES = 256 * _PEAK_BLOCK
#: BS.1770 channel weights (L, R, C, Ls, Rs)
_CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)


@dataclass
class PlacedClip:
    """A clip's audio at the mix rate and the sample where it starts."""

    start_sample: int
    audio: np.ndarray


@dataclass
class MixResult:
    dub: np.ndarray
    mix: np.ndarray
    sample_rate: int
    source_lufs: float
    mix_lufs: float
    mix_true_peak_db: float


def load_clips(project: Project, project_dir: Path, rate: int) -> list[PlacedClip]:
    """Every segment's chosen clip, resampled to `rate`, with its start sample on the timeline."""
    placed = []
    for segment in project.segments:
        if segment.clip is None:
            continue
        audio, clip_rate = load_wav(resolve_inside(project_dir, segment.clip.path))
        placed.append(
            PlacedClip(seconds_to_samples(segment.clip.start, rate), resample(audio, clip_rate, rate))
        )
    return placed


def place_clips(clips: Sequence[PlacedClip], length: int) -> np.ndarray:
    """A mono track of exactly `length` samples with every clip added at its start sample."""
    track = np.zeros(length, dtype=np.float32)
    for clip in clips:
        start = clip.start_sample
        if start >= length:
            continue
        audio = as_mono_float(clip.audio)[: length - start]
        track[start : start + len(audio)] += audio
    return track


def duck_gain(
    clips: Sequence[PlacedClip],
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
        clip_start, clip_end = clip.start_sample, min(length, clip.start_sample + len(clip.audio))
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


def integrated_loudness(audio: np.ndarray, rate: int) -> float:
    """Integrated loudness in LUFS per ITU-R BS.1770-4 (−inf for silence or under one 400 ms block).

    pyloudnorm's K-weighting filters and gating constants, with the 400 ms blocks (75 % overlap)
    summed from 100 ms sub-blocks instead of pyloudnorm's per-block Python loop, so an hour takes
    seconds, not minutes; the tests check the result equals `pyloudnorm.Meter.integrated_loudness`.
    """
    data = np.asarray(audio)
    data = data[:, None] if data.ndim == 1 else data
    meter = pyloudnorm.Meter(rate)
    hop = round(meter.block_size * (1.0 - meter.overlap) * rate)
    per_block = round(1 / (1.0 - meter.overlap))
    hops = data.shape[0] // hop
    if hops < per_block:
        return float("-inf")
    sos = np.vstack([np.concatenate([stage.b, stage.a]) for stage in meter._filters.values()])
    gain = np.prod([stage.passband_gain for stage in meter._filters.values()])
    energy = np.zeros(hops - per_block + 1)
    chunk = hop * _HOPS_PER_CHUNK
    for channel in range(data.shape[1]):
        sub_blocks = np.empty(hops)
        state = np.zeros((sos.shape[0], 2))
        for first in range(0, hops * hop, chunk):  # in chunks: an hour never needs a float64 copy
            piece = data[first : min(first + chunk, hops * hop), channel]
            weighted, state = sosfilt(sos, piece, zi=state)
            sub_blocks[first // hop : first // hop + len(piece) // hop] = (
                np.square(weighted * gain).reshape(-1, hop).sum(axis=1)
            )
        running = np.concatenate([[0.0], np.cumsum(sub_blocks)])
        energy += _CHANNEL_WEIGHTS[channel] * (running[per_block:] - running[:-per_block]) / (hop * per_block)
    with np.errstate(divide="ignore"):
        block_loudness = -0.691 + 10 * np.log10(energy)
    gated = energy[block_loudness >= _ABSOLUTE_GATE_LUFS]
    if gated.size == 0:
        return float("-inf")
    relative_gate = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    kept = energy[(block_loudness > relative_gate) & (block_loudness > _ABSOLUTE_GATE_LUFS)]
    return float(-0.691 + 10 * np.log10(kept.mean())) if kept.size else float("-inf")


@cache
def _interpolation_phases() -> np.ndarray:
    """The 4 polyphase branches of a 4× interpolation low-pass (12 taps each, as in BS.1770-4)."""
    taps = firwin(OVERSAMPLING * 12, 0.9 / OVERSAMPLING, window=("kaiser", 8.0)) * OVERSAMPLING
    return taps.reshape(-1, OVERSAMPLING).T.astype(np.float32)


def oversampled_peaks(audio: np.ndarray, refine_above: float = 0.0) -> np.ndarray:
    """Per input sample, the largest magnitude of the 4× oversampled signal near it (all channels).

    Interpolation only runs on blocks whose sample peak reaches `refine_above`: between samples a
    band-limited signal overshoots its sample peak by far less than `INTER_SAMPLE_HEADROOM_DB`, so
    quieter blocks can never reach a ceiling that far above them (this makes an hour take seconds).
    """
    data = np.asarray(audio, dtype=np.float32)
    data = data[:, None] if data.ndim == 1 else data
    phases = _interpolation_phases()
    taps = phases.shape[1]
    peaks = np.abs(data).max(axis=1)
    threshold = refine_above * 10 ** (-INTER_SAMPLE_HEADROOM_DB / 20)
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


def _master_in_place(audio: np.ndarray, rate: int, target_lufs: float, block_frames: int) -> None:
    current = integrated_loudness(audio, rate)
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
    _master_in_place(out, rate, target_lufs, block_frames)
    return out


def _combine(
    source: np.ndarray,
    rate: int,
    clips: Sequence[PlacedClip],
    dub: np.ndarray,
    keep_background: bool,
    duck_db: float,
    separator: Separator | None,
    block_frames: int,
) -> np.ndarray:
    """The unmastered mix, built block by block into one float32 array."""
    if keep_background and separator is not None:
        mix = np.array(separator.separate_background(source, rate), dtype=np.float32)
    else:
        mix = np.empty(source.shape, dtype=np.float32)
    length = source.shape[0]
    for start, stop in _block_spans(length, block_frames):
        dub_part = dub[start:stop] if mix.ndim == 1 else dub[start:stop, None]
        if not keep_background:
            mix[start:stop] = dub_part
            continue
        if separator is None:
            gain = duck_gain(clips, length, rate, duck_db, start=start, stop=stop)
            np.multiply(source[start:stop], gain if source.ndim == 1 else gain[:, None], out=mix[start:stop])
        mix[start:stop] += dub_part
    return mix


def render_mix(
    source: np.ndarray,
    rate: int,
    clips: Sequence[PlacedClip],
    *,
    keep_background: bool = True,
    duck_db: float = -14.0,
    separator: Separator | None = None,
    cancel: CancelToken | None = None,
    block_frames: int = BLOCK_FRAMES,
) -> MixResult:
    """The dub track and the final mix, both exactly as long as `source` and mastered to its loudness.

    The mix keeps the source's channel layout; the mono dub is added equally to every channel.
    Memory: the two outputs plus a few blocks of `block_frames` (the result does not depend on it).
    """
    source_lufs = integrated_loudness(source, rate)
    target = source_lufs if np.isfinite(source_lufs) else FALLBACK_LUFS
    dub = place_clips(clips, source.shape[0])
    if cancel is not None:
        cancel.raise_if_cancelled()
    mix = _combine(source, rate, clips, dub, keep_background, duck_db, separator, block_frames)
    if cancel is not None:
        cancel.raise_if_cancelled()
    _master_in_place(mix, rate, target, block_frames)
    _master_in_place(dub, rate, target, block_frames)
    return MixResult(
        dub=dub,
        mix=mix,
        sample_rate=rate,
        source_lufs=source_lufs,
        mix_lufs=integrated_loudness(mix, rate),
        mix_true_peak_db=true_peak_db(mix, block_frames=block_frames),
    )
