"""Export: choose where everything goes (subtitles, dub audio, mix, muxed video) and show the result."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

WRITES = (
    "Subtitles: SRT, WebVTT and ASS in the subtitle language",
    "The dub track alone (WAV), on the original timeline",
    "The mix: dub over the ducked original, loudness-matched (WAV and MP3)",
    "The video with the mix as its audio (and the original as a second track)",
)


def result_files(result: object) -> list[Path]:
    """Every path an export result names, whatever its exact shape (dataclass, dict or list)."""
    if isinstance(result, Path):
        return [result]
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        values = [getattr(result, f.name) for f in dataclasses.fields(result)]
    elif isinstance(result, dict):
        values = list(result.values())
    elif isinstance(result, list | tuple):
        values = list(result)
    else:
        return []
    return [path for value in values for path in result_files(value)]


class ExportDialog(QDialog):
    def __init__(self, default_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setMinimumWidth(560)
        self.folder_edit = QLineEdit(str(default_dir), self)
        browse = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon), "Browse…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Export to:", row)
        writes = QLabel("This writes:<ul>" + "".join(f"<li>{item}</li>" for item in WRITES) + "</ul>", self)
        writes.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(writes)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export to…", self.folder_edit.text())
        if path:
            self.folder_edit.setText(path)

    def out_dir(self) -> Path:
        return Path(self.folder_edit.text().strip())


class ExportResultDialog(QDialog):
    """The files an export wrote, with a button to open their folder."""

    def __init__(self, files: list[Path], folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export finished")
        self.setMinimumSize(560, 300)
        self.files = QListWidget(self)
        for path in files:
            self.files.addItem(str(path))
        open_folder = QPushButton(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon), "Open folder", self
        )
        open_folder.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.addButton(open_folder, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{len(files)} files written to {folder}:", self))
        layout.addWidget(self.files)
        layout.addWidget(buttons)
