"""Look of the editor: Fusion style with a dark or light palette, speaker and status colours."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

#: distinguishable hues for speakers (colour-blind friendly order, as in Aegisub's defaults)
SPEAKER_COLORS = ("#4e9bde", "#e8a23b", "#5cb85c", "#d65db1", "#9b7fe0", "#3fc1c0", "#e06c5b", "#b5b84a")
WARNING_COLOR = QColor("#e8a23b")
ERROR_COLOR = QColor("#e0524a")
OK_COLOR = QColor("#5cb85c")


def speaker_color(index: int) -> QColor:
    return QColor(SPEAKER_COLORS[index % len(SPEAKER_COLORS)]) if index >= 0 else QColor("#8a8f98")


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2d31",
        QPalette.ColorRole.WindowText: "#e3e5e8",
        QPalette.ColorRole.Base: "#1e1f22",
        QPalette.ColorRole.AlternateBase: "#26282c",
        QPalette.ColorRole.ToolTipBase: "#1e1f22",
        QPalette.ColorRole.ToolTipText: "#e3e5e8",
        QPalette.ColorRole.Text: "#e3e5e8",
        QPalette.ColorRole.Button: "#34363b",
        QPalette.ColorRole.ButtonText: "#e3e5e8",
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: "#3d6fb6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#6ea8fe",
        QPalette.ColorRole.PlaceholderText: "#80848e",
        QPalette.ColorRole.Mid: "#202225",
        QPalette.ColorRole.Dark: "#1a1b1e",
        QPalette.ColorRole.Light: "#44474d",
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6d7079"))
    return palette


def apply_theme(app: QApplication, theme: str = "dark") -> None:
    """`theme` is "dark" or "light" (the Fusion defaults)."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())
    font = app.font()
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128
