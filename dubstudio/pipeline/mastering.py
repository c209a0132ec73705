"""Mastering: integrated loudness (EBU R128 / ITU-R BS.1770-4, the gating and K-weighting of
pyloudnorm), the true peak (4× oversampled) and a linked look-ahead limiter that keeps it at or below
-1 dBTP. Every pass reads its track block by block (an array or a `ScratchTrack`), with enough
context around each block that the result equals the whole-array computation.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import numpy as np
import pyloudnorm
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import firwin, sosfilt

from dubstudio.pipeline.tracks import BLOCK_FRAMES, ScratchTrack, block_spans, channel_count

TRUE_PEAK_CEILING_DB = -1.0
#: the limiter aims a little below the ceiling so the re-measured peak lands under it
LIMITER_MARGIN_DB = 0.1
LIMITER_WINDOW_SECONDS = 0.01
#: how far under the limiter's ceiling its checking pass still measures the true peak exactly
EXACT_PEAK_DB = 1.0
OVERSAMPLING = 4
_ABSOLUTE_GATE_LUFS = -70.0
_PEAK_BLOCK = 4096
#: samples `oversampled_peaks` interpolates together, and how many such chunks at once (in cache)
_REFINE_CHUNK = 256
_CHUNKS_PER_GROUP = 64
#: added to the loudness filters' input (see `LoudnessMeter.add`)
_SUBNORMAL_GUARD = 1e-20
#: BS.1770 channel weights (L, R, C, Ls, Rs)
_CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)


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

    def integrated(self, gain: float = 1.0) -> float:
        """LUFS so far (−inf for silence or under one 400 ms block); with `gain`, of what was fed
        multiplied by it (the filters are linear: the powers scale by gain², the gates follow)."""
        sub_blocks = np.concatenate([np.zeros(0), *self._sub_blocks]) * (gain * gain)
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


def integrated_loudness(
    audio: np.ndarray | ScratchTrack, rate: int, *, block_frames: int = BLOCK_FRAMES
) -> float:
    """Integrated loudness in LUFS per ITU-R BS.1770-4 (−inf for silence or under one 400 ms block),
    read block by block (see `LoudnessMeter`)."""
    audio = audio if hasattr(audio, "ndim") else np.asarray(audio)
    meter = LoudnessMeter(rate, channel_count(audio))
    for start, stop in block_spans(audio.shape[0], block_frames):
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
    """Per input sample, the largest magnitude of the 4× oversampled signal near it (all channels),
    wherever that can reach `refine_above`; elsewhere at least the sample magnitude (and under it).

    Interpolation only runs on the `_REFINE_CHUNK`s next to a sample at or above
    `refine_above / _interpolation_gain()`: elsewhere no branch can reach `refine_above`. In mastered
    speech that is a few percent of a film, so measuring its true peak takes seconds.
    """
    data = np.asarray(audio, dtype=np.float32)
    data = data[:, None] if data.ndim == 1 else data
    peaks = np.abs(data[:, 0])
    for channel in range(1, data.shape[1]):  # faster than a max over the short axis
        np.maximum(peaks, np.abs(data[:, channel]), out=peaks)
    chunks = _chunks_to_refine(peaks >= refine_above / _interpolation_gain())
    if len(chunks):
        length, chunk_count = len(peaks), -(-len(peaks) // _REFINE_CHUNK)
        by_chunk = np.zeros(chunk_count * _REFINE_CHUNK, np.float32)
        by_chunk[:length] = peaks
        by_chunk = by_chunk.reshape(chunk_count, _REFINE_CHUNK)
        half = _interpolation_phases().shape[1] // 2
        padded = np.zeros(chunk_count * _REFINE_CHUNK + 2 * half, np.float32)  # zeros beyond the ends
        for channel in range(data.shape[1]):
            padded[half : half + length] = data[:, channel]
            for group in range(0, len(chunks), _CHUNKS_PER_GROUP):
                rows = chunks[group : group + _CHUNKS_PER_GROUP]
                by_chunk[rows] = np.maximum(by_chunk[rows], _branch_peaks(padded, rows))
        peaks = by_chunk.reshape(-1)[:length]
    return _max_of_neighbours(peaks)


def _chunks_to_refine(hot: np.ndarray) -> np.ndarray:
    """The `_REFINE_CHUNK`s holding a `hot` sample and their neighbours (a chunk's interpolation
    reads 6 samples beyond each edge)."""
    if not hot.any():
        return np.zeros(0, dtype=np.intp)
    chunk_count = -(-len(hot) // _REFINE_CHUNK)
    padded = np.zeros(chunk_count * _REFINE_CHUNK, dtype=bool)
    padded[: len(hot)] = hot
    holding = padded.reshape(chunk_count, _REFINE_CHUNK).any(axis=1)
    near = holding.copy()
    near[1:] |= holding[:-1]
    near[:-1] |= holding[1:]
    return np.flatnonzero(near)


def _branch_peaks(padded: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """`(len(rows), _REFINE_CHUNK)`: per sample of those chunks, the largest magnitude of the 4
    interpolation branches there; `padded` is the signal after 6 zeros (and zeros after it)."""
    phases = _interpolation_phases()
    span = _REFINE_CHUNK + phases.shape[1]
    # np.convolve(x, phase, "same")[n] reads x[n - 6 : n + 6] against the reversed taps
    windows = padded[rows[:, None] * _REFINE_CHUNK + np.arange(span)]
    result = np.zeros((len(rows), _REFINE_CHUNK), np.float32)
    branch, term = np.empty_like(result), np.empty_like(result)
    for phase in phases[:, ::-1]:
        np.multiply(windows[:, :_REFINE_CHUNK], phase[0], out=branch)
        for offset in range(1, len(phase)):
            np.multiply(windows[:, offset : offset + _REFINE_CHUNK], phase[offset], out=term)
            branch += term
        np.maximum(result, np.abs(branch, out=branch), out=result)
    return result


def _max_of_neighbours(peaks: np.ndarray) -> np.ndarray:
    """`maximum_filter1d(peaks, 3)` (edges reflected), in three vector operations."""
    out = peaks.copy()
    np.maximum(out[1:], peaks[:-1], out=out[1:])
    np.maximum(out[:-1], peaks[1:], out=out[:-1])
    return out


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
    for start, stop in block_spans(length, _block_size(block_frames, context)):
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
        (float(np.abs(audio[start:stop]).max()) for start, stop in block_spans(len(audio), block_frames)),
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
    for start, stop in block_spans(length, block_frames):
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


class Mastered(NamedTuple):
    """What mastering did to a track: its gain, whether the limiter changed it, its true peak."""

    gain: float
    limited: bool
    true_peak_db: float


def _limit_in_place(
    audio: np.ndarray | ScratchTrack,
    rate: int,
    ceiling_db: float = TRUE_PEAK_CEILING_DB,
    block_frames: int = BLOCK_FRAMES,
) -> tuple[bool, float]:
    """Up to 4 limiter passes over the whole signal, each a little lower, until the true peak fits;
    returns whether it changed anything and the true peak of the result in dBTP.

    The pass that checks the peak also measures it: it interpolates every chunk that could reach
    `EXACT_PEAK_DB` under the ceiling, so a true peak that high is exact (an unrefined chunk stays
    under the threshold). Only a quieter track is measured again (`true_peak_db`).
    """
    ceiling = 10 ** ((ceiling_db - LIMITER_MARGIN_DB) / 20)
    context = _limiter_context(rate)
    block_frames = _block_size(block_frames, context)
    for attempt in range(4):
        exact_above = ceiling * 10 ** (-EXACT_PEAK_DB / 20)
        peaks = _sub_block_peaks(audio, exact_above, context, block_frames)
        highest = peaks.max(initial=np.float32(0))
        if highest <= 10 ** (ceiling_db / 20):
            if highest >= exact_above:
                return attempt > 0, float(20 * np.log10(highest))
            return attempt > 0, true_peak_db(audio, block_frames=block_frames)
        _apply_limiter_gain(audio, rate, ceiling, peaks > ceiling, context, block_frames)
        ceiling *= 10 ** (-LIMITER_MARGIN_DB / 20)
    return True, true_peak_db(audio, block_frames=block_frames)


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


def master_in_place(
    audio: np.ndarray | ScratchTrack, rate: int, target_lufs: float, block_frames: int, current: float
) -> Mastered:
    """Gain from the `current` loudness to `target_lufs`, then the true-peak limiter.
    A `ScratchTrack` takes the gain without a pass over its file."""
    gain = np.float32(10 ** ((target_lufs - current) / 20) if np.isfinite(current) else 1.0)
    if gain != 1 and isinstance(audio, ScratchTrack):
        audio.scale(gain)
    elif gain != 1:
        for start, stop in block_spans(audio.shape[0], block_frames):
            audio[start:stop] *= gain
    limited, peak = _limit_in_place(audio, rate, block_frames=block_frames)
    return Mastered(float(gain), limited, peak)


def master(
    audio: np.ndarray, rate: int, target_lufs: float, *, block_frames: int = BLOCK_FRAMES
) -> np.ndarray:
    """Gain to `target_lufs`, then the true-peak limiter, on a float32 copy. Silence stays silence."""
    out = np.array(audio, dtype=np.float32)
    master_in_place(out, rate, target_lufs, block_frames, integrated_loudness(out, rate))
    return out
