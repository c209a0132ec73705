"""How errors reach the user: a UserError is its message (no traceback); anything else is a bug
report with the traceback behind "Show Details…"."""

from __future__ import annotations

import traceback

from PySide6.QtWidgets import QMessageBox, QWidget

from dubstudio.core.errors import UserError


def error_box(
    parent: QWidget | None, error: BaseException, details: str = "", title: str = ""
) -> QMessageBox:
    box = QMessageBox(parent)
    if isinstance(error, UserError):
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title or "Cannot continue")
        box.setText(error.problem[:1].upper() + error.problem[1:] + ".")
        informative = []
        if error.path:
            informative.append(f"File: {error.path}")
        if error.fix:
            informative.append(error.fix)
        box.setInformativeText("\n\n".join(informative))
    else:
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(title or "Unexpected error")
        box.setText(f"Something went wrong inside DubStudio: {type(error).__name__}: {error}")
        box.setInformativeText(
            "This is a bug, not a problem with your input. Your project is safe up to the last save or "
            "autosave. The details below help fix it."
        )
        box.setDetailedText(details or "".join(traceback.format_exception(error)))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    return box


def show_error(parent: QWidget | None, error: BaseException, details: str = "", title: str = "") -> None:
    error_box(parent, error, details, title).exec()
