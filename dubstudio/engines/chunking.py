"""Cutting long audio into windows at quiet points, so no word is cut in half.

Windows are contiguous and cover the whole input (nothing is trimmed), so a position inside a window
maps back to the original timeline by adding the window's start — the only way times stay exact.
"""

from __future__ import annotations

import numpy as np

#: RMS is measured on frames of this length when looking for a quiet cut point
_FRAME_SECONDS = 0.1


def quiet_windows(audio: np.ndarray, rate: int, chunk_seconds: float) -> list[tuple[int, int]]:
    """(start, end) sample ranges of about `chunk_seconds`, each cut at the quietest 100 ms nearby.

    The cut for a boundary is searched within ±25 % of `chunk_seconds` around its nominal position.
    """
    total = len(audio)
    chunk = int(chunk_seconds * rate)
    if chunk <= 0 or total <= chunk:
        return [(0, total)]
    frame = max(1, int(_FRAME_SECONDS * rate))
    usable = total // frame * frame
    energy = np.sqrt(np.mean(np.square(audio[:usable].reshape(-1, frame), dtype=np.float64), axis=1))
    search = chunk // 4
    windows: list[tuple[int, int]] = []
    start = 0
    while total - start > chunk + search:
        low = (start + chunk - search) // frame
        high = min((start + chunk + search) // frame, len(energy))
        quietest = low + int(np.argmin(energy[low:high]))
        cut = quietest * frame + frame // 2
        windows.append((start, cut))
        start = cut
    windows.append((start, total))
    return windows
