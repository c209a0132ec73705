"""One device setting for every engine: "auto" picks CUDA when the CUDA runtime sees a GPU, else the CPU."""

from __future__ import annotations

import os
from functools import cache
from typing import Literal

Device = Literal["cuda", "cpu"]


@cache
def cuda_available() -> bool:
    """Asked through CTranslate2 (Whisper's runtime, 0.2 s to import) rather than torch (3 s): a dub
    from subtitles with Kokoro voices never needs torch at all."""
    try:
        import ctranslate2
    except ImportError:
        return False
    return ctranslate2.get_cuda_device_count() > 0


def resolve_device(setting: str = "auto") -> Device:
    if setting == "cuda" or (setting == "auto" and cuda_available()):
        return "cuda"
    return "cpu"


def cpu_threads() -> int:
    """Leave one core to the GUI on small machines; use the rest. OMP_NUM_THREADS, when set (a batch
    worker sharing the machine, a Ray actor given some CPUs), is the number to use."""
    limit = os.environ.get("OMP_NUM_THREADS", "")
    if limit.isdigit() and int(limit) > 0:
        return int(limit)
    cores = os.cpu_count() or 1
    return max(1, cores - 1) if cores > 2 else cores
