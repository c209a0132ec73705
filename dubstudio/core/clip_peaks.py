"""Peaks of the dub clips, for the dub lane when no rendered dub track exists yet.

Clips are short files; their peaks are computed on first view and kept in memory, keyed by path,
size and modification time (a re-synthesized take is a new file or a new mtime). Paints happen
many times a second (the playhead moves), so each clip's path is checked once, and a paint
computes new peaks only for a few milliseconds: the rest follow in the next paints, so a stage
that delivers hundreds of new clips does not freeze the window.
"""

from __future__ import annotations

from pathlib import Path

from dubstudio.core.errors import ProjectFileError
from dubstudio.core.store import resolve_inside
from dubstudio.core.waveform import Peaks, compute_peaks

#: drawing per-clip waveforms stops above this many clips in view (then only blocks are drawn)
MAX_CLIP_WAVEFORMS = 300
#: how long one paint may spend computing the peaks of clips it has not seen yet
COMPUTE_BUDGET_S = 0.01


class ClipPeakCache:
    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple[int, int], Peaks | None]] = {}
        self._paths: dict[tuple[Path, str], Path | None] = {}
        #: set when `get` left peaks uncomputed (compute=False): the caller should paint again soon
        self.deferred = False

    def path_of(self, project_dir: Path, relative: str) -> Path | None:
        """The clip file inside the project, or None for a path the store refuses (not drawn)."""
        key = (project_dir, relative)
        if key not in self._paths:
            try:
                self._paths[key] = resolve_inside(project_dir, relative)
            except ProjectFileError:  # the store reports bad paths on load; here it is just not drawn
                self._paths[key] = None
        return self._paths[key]

    def get(self, path: Path, *, compute: bool = True) -> Peaks | None:
        """The clip's peaks, or None when the file is missing or unreadable (drawn as a block), or
        when they are not known yet and `compute` is False (then `deferred` is set)."""
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_size, stat.st_mtime_ns)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        if not compute:
            self.deferred = True
            return None
        try:
            peaks: Peaks | None = compute_peaks(path)
        except (OSError, RuntimeError, ValueError):
            peaks = None
        self._cache[path] = (key, peaks)
        return peaks

    def clear(self) -> None:
        self._cache.clear()
        self._paths.clear()
