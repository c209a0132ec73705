"""Stage outputs stored in the project folder, keyed by a hash of the stage's inputs.

`cache/<stage>/<input hash>.json` holds what a stage produced from exactly those inputs, so a job
that was stopped resumes without recomputing, and going back to earlier settings (say, a target
language tried before) restores the earlier result instead of running the engines again. Files are
written atomically; a damaged or unreadable entry counts as a miss, never as an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from dubstudio.core.schema import to_dict
from dubstudio.core.store import atomic_write_bytes, resolve_inside

#: entries kept per stage; older ones are removed when a new one is written
KEEP_PER_STAGE = 8


def input_hash(*parts: Any) -> str:
    """A stable hash of JSON-compatible values and dataclasses (key order does not matter)."""
    canonical = json.dumps(to_dict(list(parts)), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]


class StageCache:
    def __init__(self, project_dir: Path) -> None:
        self.root = resolve_inside(project_dir, "cache")

    def path(self, stage: str, key: str) -> Path:
        return self.root / stage / f"{key}.json"

    def load(self, stage: str, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path(stage, key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def store(self, stage: str, key: str, data: dict[str, Any]) -> None:
        folder = self.root / stage
        folder.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(to_dict(data), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        target = self.path(stage, key)
        atomic_write_bytes(target, payload)
        others = [p for p in folder.glob("*.json") if p != target]
        others.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in others[KEEP_PER_STAGE - 1 :]:
            with contextlib.suppress(OSError):
                old.unlink()
