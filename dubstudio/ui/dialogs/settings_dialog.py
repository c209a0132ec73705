"""Preferences of the editor (stored with QSettings)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dubstudio.ui.dialogs.languages import language_combo
from dubstudio.ui.settings import AppSettings


def _combo(parent: QWidget, items: list[tuple[str, str]], current: str) -> QComboBox:
    combo = QComboBox(parent)
    for label, value in items:
        combo.addItem(label, value)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(460)
        self.settings = settings
        self.theme = _combo(self, [("Dark", "dark"), ("Light", "light")], settings.text("ui/theme"))
        self.autosave = QSpinBox(self)
        self.autosave.setRange(0, 3600)
        self.autosave.setSuffix(" s")
        self.autosave.setSpecialValueText("off")
        self.autosave.setValue(settings.autosave_seconds)
        self.player = _combo(
            self,
            [("Automatic (VLC when available)", "auto"), ("VLC", "vlc"), ("Qt Multimedia", "qt")],
            settings.text("ui/player"),
        )
        self.source = language_combo(self, ("Auto-detect", ""), settings.text("defaults/source_language"))
        self.target = language_combo(self, None, settings.text("defaults/target_language"))
        self.device = _combo(
            self,
            [("Automatic", "auto"), ("CPU", "cpu"), ("CUDA GPU", "cuda")],
            settings.text("defaults/device"),
        )
        form = QFormLayout()
        form.addRow("Theme (after restart):", self.theme)
        form.addRow("Autosave every:", self.autosave)
        form.addRow("Player (after restart):", self.player)
        form.addRow("Default source language:", self.source)
        form.addRow("Default dub language:", self.target)
        form.addRow("Default device:", self.device)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def accept(self) -> None:
        values = {
            "ui/theme": self.theme.currentData(),
            "ui/autosave_seconds": self.autosave.value(),
            "ui/player": self.player.currentData(),
            "defaults/source_language": self.source.currentData() or "",
            "defaults/target_language": self.target.currentData(),
            "defaults/device": self.device.currentData(),
        }
        for key, value in values.items():
            self.settings.set(key, value)
        super().accept()
