"""Heavy imports without the garbage collector's rescans.

Importing a stack (onnxruntime, scipy, a whole test suite's modules) creates about half a million
long-lived objects, and each time the heap grows by a quarter a full collection scans them all
again: a third of the suite's collection time, and pauses of 0.2–0.7 s that hold the GIL (measured
in the GUI tests; a cue's preview played on into the next cue). Imported under `paused_collector`,
they are collected never during the imports and frozen out of every later scan.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_collector() -> Iterator[None]:
    """No collection inside the block; what exists at its end is frozen out of later collections."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
