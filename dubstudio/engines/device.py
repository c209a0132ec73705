"""One device setting for every engine: "auto" picks CUDA when torch sees a GPU, else the CPU."""

from __future__ import annotations

import os
from functools import cache
from typing import Literal

Device = Literal["cuda", "cpu"]


@cache
def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


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
