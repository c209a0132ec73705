"""Long tracks processed block by block: the block spans, and `ScratchTrack`, a float32 track in a
temporary file that is sliced like an array (a film's mix and dub between the mastering passes).

A track is `(frames,)` mono or `(frames, channels)`, an array or a `ScratchTrack`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from dubstudio.core.store import disk_space_errors

#: frames processed at once (about 22 s at 48 kHz); a multiple of the mastering's 4096-frame sub-blocks
BLOCK_FRAMES = 1 << 20


def block_spans(length: int, block_frames: int) -> list[tuple[int, int]]:
    """(start, stop) of consecutive blocks of `block_frames` covering `length` frames."""
    return [(start, min(length, start + block_frames)) for start in range(0, length, block_frames)]


def channel_count(audio: np.ndarray | ScratchTrack) -> int:
    return 1 if audio.ndim == 1 else audio.shape[1]


class ScratchTrack:
    """A float32 track in an unnamed temporary file, sliced like an array (`track[a:b]` reads a copy,
    `track[a:b] = x` and `track[a:b] *= g` write): a film's mix and dub between the mastering passes.

    `scale(g)` multiplies the whole track at once: the factor is applied as blocks are read (and
    divided out as they are written), so a loudness gain costs no pass over the file.
    The file disappears when closed (or when the process ends); a full disk raises DiskFullError
    naming `for_path`, the output the track becomes.
    """

    def __init__(self, shape: tuple[int, ...], folder: Path, *, for_path: Path) -> None:
        self.shape = shape
        self.ndim = len(shape)
        self._for_path = for_path
        self._frame_bytes = 4 * (shape[1] if self.ndim == 2 else 1)
        self._gain = np.float32(1.0)
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
        if self._gain != 1:
            block *= self._gain
        return block

    def __setitem__(self, frames: slice, value: np.ndarray | float) -> None:
        start, stop = self._span(frames)
        block = np.empty((stop - start, *self.shape[1:]), dtype=np.float32)
        block[...] = value
        if self._gain != 1:
            block /= self._gain
        view, offset = memoryview(block).cast("B"), start * self._frame_bytes
        with disk_space_errors(self._for_path):
            while len(view):
                count = os.pwrite(self._file.fileno(), view, offset)
                view, offset = view[count:], offset + count

    def scale(self, gain: float) -> None:
        """Multiply every sample by `gain` (non-zero) without touching the file."""
        self._gain = np.float32(self._gain * gain)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ScratchTrack:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
