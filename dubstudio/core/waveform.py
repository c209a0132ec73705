"""Waveform peaks for drawing: a min/max pyramid over the mix audio, cached in ``audio/peaks.npz``.

Level 0 holds the minimum and maximum of every `BASE_BUCKET` samples (all channels together);
each further level halves the resolution. A view asks for `buckets` columns between two times and
gets them from the coarsest level that still has at least one bucket per column, so drawing a
3-hour file costs the same as drawing 3 seconds. The cache is keyed by the WAV's size and
modification time and is recomputed when they change or the cache is unreadable.
"""

from __future__ import annotations

import contextlib
import io
import math
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from dubstudio.core.progress import CancelToken
from dubstudio.core.store import atomic_write_bytes

BASE_BUCKET = 256
#: Frames read per block: a multiple of BASE_BUCKET, about 1.4 s of 48 kHz stereo per 1 MB of int16.
BLOCK_FRAMES = BASE_BUCKET * 4096
PEAKS_FILE = "peaks.npz"
#: Part of the cache key; bump when the computation changes.
PEAKS_VERSION = 1


@dataclass(frozen=True)
class Peaks:
    """`mins[k]`/`maxs[k]` are level k: one value per `base * 2**k` samples at `rate`."""

    rate: int
    frames: int
    base: int
    mins: tuple[np.ndarray, ...]
    maxs: tuple[np.ndarray, ...]

    @property
    def duration(self) -> float:
        return self.frames / self.rate

    def samples_per_bucket(self, level: int) -> int:
        return self.base * 2**level

    def level_for(self, samples_per_column: float) -> int:
        """The coarsest level whose buckets are no wider than one column."""
        if samples_per_column < 2 * self.base:
            return 0
        return min(int(math.log2(samples_per_column / self.base)), len(self.mins) - 1)

    def range(self, start_s: float, end_s: float, buckets: int) -> tuple[np.ndarray, np.ndarray]:
        """`buckets` (min, max) columns covering `start_s`–`end_s`; columns outside the audio are 0.

        When zoomed in beyond level 0 several columns share one bucket.
        """
        if buckets <= 0 or not end_s > start_s:
            raise ValueError(f"need buckets > 0 and end > start, got {buckets}, {start_s}–{end_s}")
        level = self.level_for((end_s - start_s) * self.rate / buckets)
        level_mins, level_maxs = self.mins[level], self.maxs[level]
        count = len(level_mins)
        out_mins = np.zeros(buckets, dtype=np.float32)
        out_maxs = np.zeros(buckets, dtype=np.float32)
        if count == 0:
            return out_mins, out_maxs
        edges = np.linspace(start_s, end_s, buckets + 1) * self.rate / self.samples_per_bucket(level)
        inside = (edges[1:] > 0) & (edges[:-1] < count)
        if not inside.any():
            return out_mins, out_maxs
        first = np.clip(np.floor(edges[:-1][inside]).astype(np.int64), 0, count - 1)
        # the bucket holding a column's last sample, which the next column's start may share
        last = np.clip(np.ceil(edges[1:][inside]).astype(np.int64) - 1, first, count - 1)
        stop = int(last[-1]) + 1
        offset = int(first[0])
        # reduceat over [first[i], first[i+1]); equal neighbours (zoomed in) give that one bucket
        starts = first - offset
        out_mins[inside] = np.minimum(np.minimum.reduceat(level_mins[offset:stop], starts), level_mins[last])
        out_maxs[inside] = np.maximum(np.maximum.reduceat(level_maxs[offset:stop], starts), level_maxs[last])
        return out_mins, out_maxs


def _build_levels(level0_mins: np.ndarray, level0_maxs: np.ndarray) -> tuple[list, list]:
    mins, maxs = [level0_mins], [level0_maxs]
    while len(mins[-1]) > 1:
        lower_min, lower_max = mins[-1], maxs[-1]
        if len(lower_min) % 2:
            lower_min = np.append(lower_min, lower_min[-1])
            lower_max = np.append(lower_max, lower_max[-1])
        mins.append(lower_min.reshape(-1, 2).min(axis=1))
        maxs.append(lower_max.reshape(-1, 2).max(axis=1))
    return mins, maxs


def compute_peaks(
    wav_path: str | Path,
    *,
    base: int = BASE_BUCKET,
    progress: Callable[[float, str], None] | None = None,
    cancel: CancelToken | None = None,
) -> Peaks:
    """Read the WAV block by block (memory stays small for hours of audio) and build the pyramid."""
    info = sf.info(str(wav_path))
    integer = info.subtype == "PCM_16"
    dtype, scale = ("int16", 1 / 32768) if integer else ("float32", 1.0)
    block_frames = max(base, BLOCK_FRAMES // base * base)
    chunk_mins: list[np.ndarray] = []
    chunk_maxs: list[np.ndarray] = []
    done = 0
    for block in sf.blocks(str(wav_path), blocksize=block_frames, dtype=dtype, always_2d=True):
        if cancel is not None:
            cancel.raise_if_cancelled()
        whole = len(block) // base * base
        if whole:
            shaped = block[:whole].reshape(-1, base * block.shape[1])
            chunk_mins.append(shaped.min(axis=1))
            chunk_maxs.append(shaped.max(axis=1))
        if whole < len(block):
            chunk_mins.append(block[whole:].min(keepdims=True).reshape(1))
            chunk_maxs.append(block[whole:].max(keepdims=True).reshape(1))
        done += len(block)
        if progress is not None and info.frames:
            progress(done / info.frames, "computing waveform")
    empty = np.zeros(0, np.float32)
    level0_mins = np.concatenate(chunk_mins).astype(np.float32) * scale if chunk_mins else empty
    level0_maxs = np.concatenate(chunk_maxs).astype(np.float32) * scale if chunk_maxs else empty
    mins, maxs = _build_levels(level0_mins, level0_maxs)
    return Peaks(info.samplerate, info.frames, base, tuple(mins), tuple(maxs))


def _cache_key(wav_path: Path, base: int) -> np.ndarray:
    stat = wav_path.stat()
    return np.array([PEAKS_VERSION, stat.st_size, stat.st_mtime_ns, base], dtype=np.int64)


def _load_cache(cache_path: Path, key: np.ndarray) -> Peaks | None:
    try:
        with np.load(cache_path, allow_pickle=False) as data:
            if not np.array_equal(data["key"], key):
                return None
            rate, frames, base, levels = (int(v) for v in data["meta"])
            mins = tuple(data[f"min{k}"] for k in range(levels))
            maxs = tuple(data[f"max{k}"] for k in range(levels))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return Peaks(rate, frames, base, mins, maxs)


def _save_cache(cache_path: Path, key: np.ndarray, peaks: Peaks) -> None:
    arrays = {f"min{k}": level for k, level in enumerate(peaks.mins)}
    arrays |= {f"max{k}": level for k, level in enumerate(peaks.maxs)}
    meta = np.array([peaks.rate, peaks.frames, peaks.base, len(peaks.mins)], dtype=np.int64)
    buffer = io.BytesIO()
    np.savez(buffer, key=key, meta=meta, **arrays)
    with contextlib.suppress(OSError):  # a cache that cannot be written is only slower next time
        atomic_write_bytes(cache_path, buffer.getvalue())


def ensure_peaks(
    wav_path: str | Path,
    cache_path: str | Path | None = None,
    *,
    progress: Callable[[float, str], None] | None = None,
    cancel: CancelToken | None = None,
) -> Peaks:
    """Peaks of `wav_path`, from the cache (default: ``peaks.npz`` beside the WAV) when still valid."""
    wav = Path(wav_path)
    cache = Path(cache_path) if cache_path is not None else wav.with_name(PEAKS_FILE)
    key = _cache_key(wav, BASE_BUCKET)
    cached = _load_cache(cache, key)
    if cached is not None:
        return cached
    peaks = compute_peaks(wav, progress=progress, cancel=cancel)
    _save_cache(cache, key, peaks)
    return peaks
