"""After a crash: offer the autosave that is newer than project.json."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from dubstudio.core.store import AUTOSAVE_FILE

RECOVER, DISCARD, CANCEL = "recover", "discard", "cancel"


def recovery_box(parent: QWidget | None, project_dir: Path) -> QMessageBox:
    autosave = project_dir / AUTOSAVE_FILE
    when = (
        datetime.fromtimestamp(autosave.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        if autosave.exists()
        else "?"
    )
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Recover unsaved changes?")
    box.setText(f"DubStudio was closed without saving “{project_dir.name}”.")
    box.setInformativeText(
        f"An autosave from {when} is newer than the saved project. Recover it (you can then save), "
        "or discard it and open the last saved version."
    )
    box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole).setObjectName(RECOVER)
    box.addButton("Discard autosave", QMessageBox.ButtonRole.DestructiveRole).setObjectName(DISCARD)
    box.addButton(QMessageBox.StandardButton.Cancel).setObjectName(CANCEL)
    return box


def ask_recovery(parent: QWidget | None, project_dir: Path) -> str:
    """ "recover", "discard" or "cancel"."""
    box = recovery_box(parent, project_dir)
    box.exec()
    clicked = box.clickedButton()
    return clicked.objectName() if clicked is not None and clicked.objectName() else CANCEL
