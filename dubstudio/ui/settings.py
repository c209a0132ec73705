"""The editor's own preferences (QSettings), separate from a project's job Settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10
DEFAULTS: dict[str, object] = {
    "ui/theme": "dark",
    "ui/autosave_seconds": 60,
    "ui/player": "auto",
    "defaults/source_language": "",
    "defaults/target_language": "es",
    "defaults/device": "auto",
    "defaults/translator": "auto",
    "defaults/synthesizer": "auto",
}


class AppSettings:
    def __init__(self, settings: QSettings | None = None) -> None:
        self.store = settings or QSettings()

    def get(self, key: str) -> object:
        value = self.store.value(key, DEFAULTS.get(key))
        default = DEFAULTS.get(key)
        if isinstance(default, int) and not isinstance(value, int):
            try:
                return int(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return default
        return value

    def text(self, key: str) -> str:
        return str(self.get(key) or "")

    def set(self, key: str, value: object) -> None:
        self.store.setValue(key, value)

    @property
    def autosave_seconds(self) -> int:
        return max(0, int(self.get("ui/autosave_seconds")))  # type: ignore[arg-type]

    def recent_projects(self) -> list[Path]:
        raw = self.store.value("recent/projects", [])
        items = [raw] if isinstance(raw, str) else list(raw or [])
        return [Path(item) for item in items if item]

    def add_recent(self, folder: Path) -> None:
        items = [str(folder.resolve())]
        items += [str(p) for p in self.recent_projects() if str(p) != items[0]]
        self.store.setValue("recent/projects", items[:MAX_RECENT])

    def clear_recent(self) -> None:
        self.store.setValue("recent/projects", [])
