"""The one knob for the waits that remain in tests: `DUBSTUDIO_TEST_TIME_SCALE` (default 1).

Tests wait on signals and state (qtbot.waitSignal / waitUntil, progress lines), never on fixed
delays; the bounds of those waits only say when to give up. On a slow or heavily loaded machine,
`DUBSTUDIO_TEST_TIME_SCALE=3 make test` stretches every such bound at once. Unset, it is the number
of pytest-xdist workers: `make test` runs two, which share the cores.
"""

from __future__ import annotations

import os


def time_scale() -> float:
    """DUBSTUDIO_TEST_TIME_SCALE; unset, the number of pytest-xdist workers sharing the machine."""
    default = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")
    try:
        return max(1.0, float(os.environ.get("DUBSTUDIO_TEST_TIME_SCALE", default)))
    except ValueError:
        return 1.0


def scaled_ms(milliseconds: float) -> int:
    """A wait bound in milliseconds, stretched by DUBSTUDIO_TEST_TIME_SCALE."""
    return round(milliseconds * time_scale())


def scaled_s(seconds: float) -> float:
    """A wait bound in seconds, stretched by DUBSTUDIO_TEST_TIME_SCALE."""
    return seconds * time_scale()
