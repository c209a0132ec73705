"""Post-processing: the dub track on the original timeline, the ducked original under it, mastering.

- Placement is sample-exact: a clip starting at `start` seconds begins at sample
  `round(start * rate)` of a track exactly as long as the source audio; overlapping clips add.
- Ducking lowers the original by `Settings.duck_db` wherever a clip plays, with linear ramps
  (attack before the clip starts, release after it ends) so the background never jumps.
  With a `Separator` the original's voice is removed instead and the background stays at full level.
- Mastering brings a track to the source's integrated loudness (EBU R128 via pyloudnorm) and keeps
  the true peak (4× oversampled) at or below -1 dBTP with a linked look-ahead limiter.

Everything is float32 numpy: `(frames,)` mono or `(frames, channels)`.
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
) -> np.ndarray:
    """Per-sample gain for the original: 1 in the clear, `duck_db` under clips, ramped in between."""
    depth = np.zeros(length, dtype=np.float32)  # 0 = untouched, 1 = fully ducked
    attack_n, release_n = max(1, round(attack * rate)), max(1, round(release * rate))
    for clip in clips:
        start, end = clip.start_sample, min(length, clip.start_sample + len(clip.audio))
        if start >= length or end <= start:
            continue
        depth[start:end] = 1.0
        ramp_start = max(0, start - attack_n)
        ramp_in = np.linspace(0.0, 1.0, attack_n + 1, dtype=np.float32)[1:]
        ramp_in = ramp_in[attack_n - (start - ramp_start) :]
        np.maximum(depth[ramp_start:start], ramp_in, out=depth[ramp_start:start])
        ramp_end = min(length, end + release_n)
        ramp_out = np.linspace(1.0, 0.0, release_n + 1, dtype=np.float32)[1:][: ramp_end - end]
        np.maximum(depth[end:ramp_end], ramp_out, out=depth[end:ramp_end])
    floor = np.float32(10 ** (duck_db / 20))
    return 1.0 - depth * (1.0 - floor)


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


def true_peak_db(audio: np.ndarray) -> float:
    if len(audio) == 0:
        return float("-inf")
    sample_peak = float(np.abs(audio).max())
    if sample_peak == 0:
        return float("-inf")
    return float(20 * np.log10(oversampled_peaks(audio, refine_above=sample_peak).max()))


def limit_true_peak(audio: np.ndarray, rate: int, ceiling_db: float = TRUE_PEAK_CEILING_DB) -> np.ndarray:
    """Keep the oversampled peak at or below `ceiling_db` with a smooth, channel-linked gain.

    The gain needed at each sample is spread by a minimum filter over ±window and then averaged
    over one window, so every sample's gain stays at or below what it needs and never steps.
    """
    ceiling = 10 ** ((ceiling_db - LIMITER_MARGIN_DB) / 20)
    out = audio
    for _attempt in range(4):
        peaks = oversampled_peaks(out, refine_above=ceiling)
        if peaks.max(initial=0.0) <= 10 ** (ceiling_db / 20):
            return out
        needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12)).astype(np.float32)
        window = max(1, round(LIMITER_WINDOW_SECONDS * rate))
        gain = uniform_filter1d(minimum_filter1d(needed, 2 * window + 1), window + 1)
        out = np.multiply(out, gain if out.ndim == 1 else gain[:, None], dtype=np.float32)
        ceiling *= 10 ** (-LIMITER_MARGIN_DB / 20)
    return out


def master(audio: np.ndarray, rate: int, target_lufs: float) -> np.ndarray:
    """Gain to `target_lufs`, then the true-peak limiter. Silence stays silence."""
    current = integrated_loudness(audio, rate)
    if not np.isfinite(current):
        return limit_true_peak(audio.astype(np.float32), rate)
    gained = np.multiply(audio, np.float32(10 ** ((target_lufs - current) / 20)), dtype=np.float32)
    return limit_true_peak(gained, rate)


def render_mix(
    source: np.ndarray,
    rate: int,
    clips: Sequence[PlacedClip],
    *,
    keep_background: bool = True,
    duck_db: float = -14.0,
    separator: Separator | None = None,
    cancel: CancelToken | None = None,
) -> MixResult:
    """The dub track and the final mix, both exactly as long as `source` and mastered to its loudness.

    The mix keeps the source's channel layout; the mono dub is added equally to every channel.
    """
    length = source.shape[0]
    source_lufs = integrated_loudness(source, rate)
    target = source_lufs if np.isfinite(source_lufs) else FALLBACK_LUFS
    dub = place_clips(clips, length)
    if cancel is not None:
        cancel.raise_if_cancelled()
    if not keep_background:
        combined = dub if source.ndim == 1 else np.repeat(dub[:, None], source.shape[1], axis=1)
    elif separator is not None:
        background = separator.separate_background(source, rate)
        combined = background + (dub if background.ndim == 1 else dub[:, None])
    else:
        gain = duck_gain(clips, length, rate, duck_db)
        combined = source * (gain if source.ndim == 1 else gain[:, None])
        combined += dub if source.ndim == 1 else dub[:, None]
    if cancel is not None:
        cancel.raise_if_cancelled()
    mix = master(combined, rate, target)
    mastered_dub = master(dub, rate, target)
    return MixResult(
        dub=mastered_dub,
        mix=mix,
        sample_rate=rate,
        source_lufs=source_lufs,
        mix_lufs=integrated_loudness(mix, rate),
        mix_true_peak_db=true_peak_db(mix),
    )
