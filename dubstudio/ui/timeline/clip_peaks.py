"""Peaks of the dub clips, for the dub lane when no rendered dub track exists yet.

Clips are short files; their peaks are computed on first view and kept in memory, keyed by path,
size and modification time (a re-synthesized take is a new file or a new mtime).
"""

from __future__ import annotations

from pathlib import Path

from dubstudio.core.waveform import Peaks, compute_peaks

#: drawing per-clip waveforms stops above this many clips in view (then only blocks are drawn)
MAX_CLIP_WAVEFORMS = 300


class ClipPeakCache:
    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple[int, int], Peaks | None]] = {}

    def get(self, path: Path) -> Peaks | None:
        """The clip's peaks, or None when the file is missing or unreadable (drawn as a block)."""
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_size, stat.st_mtime_ns)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            peaks: Peaks | None = compute_peaks(path)
        except (OSError, RuntimeError, ValueError):
            peaks = None
        self._cache[path] = (key, peaks)
        return peaks

    def clear(self) -> None:
        self._cache.clear()
