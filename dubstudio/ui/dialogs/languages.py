"""Language choices for the dialogs (ISO 639-1 codes, what the engines take; `core.languages`)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from dubstudio.core.languages import LANGUAGES


def language_combo(parent: QWidget, first: tuple[str, str] | None, selected: str) -> QComboBox:
    """A combo of languages; `first` is an extra leading (label, value) such as ("Auto-detect", "")."""
    combo = QComboBox(parent)
    if first is not None:
        combo.addItem(*first)
    for code, language in LANGUAGES.items():
        combo.addItem(f"{language.name} ({code})", code)
    combo.setCurrentIndex(max(0, combo.findData(selected)))
    return combo
