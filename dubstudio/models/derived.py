"""Builders of the files a model pack derives at install time (`registry.DerivedFile.builder`).

A builder is called as `build(folder, target, report)`: `folder` holds the pack's assembled and
sha256-checked files, `target` is where the derived file goes, `report(fraction, message)` hears its
progress (and raises `Cancelled` when the install is cancelled). Heavy libraries are imported inside.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

Builder = Callable[[Path, Path, Callable[[float, str], None]], None]


def _kokoro_float(folder: Path, target: Path, report: Callable[[float, str], None]) -> None:
    from dubstudio.models.kokoro_graph import build_float_model

    build_float_model(folder, target, report)


BUILDERS: dict[str, Builder] = {"kokoro-float": _kokoro_float}
