"""Language choices for the dialogs (ISO 639-1 codes, what the engines take)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

LANGUAGES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "ca": "Catalan",
    "gl": "Galician",
    "nl": "Dutch",
    "pl": "Polish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "ja": "Japanese",
    "zh": "Chinese",
    "ko": "Korean",
    "ar": "Arabic",
    "hi": "Hindi",
    "tr": "Turkish",
    "sv": "Swedish",
    "eo": "Esperanto",
}


def language_combo(parent: QWidget, first: tuple[str, str] | None, selected: str) -> QComboBox:
    """A combo of languages; `first` is an extra leading (label, value) such as ("Auto-detect", "")."""
    combo = QComboBox(parent)
    if first is not None:
        combo.addItem(*first)
    for code, name in LANGUAGES.items():
        combo.addItem(f"{name} ({code})", code)
    combo.setCurrentIndex(max(0, combo.findData(selected)))
    return combo
