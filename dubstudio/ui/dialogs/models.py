"""Model manager: the installed and installable models; verify, install, import a file or folder.

Long operations (hashing gigabytes, assembling a model) run on a worker thread with a progress bar.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDeadlineTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dubstudio.models import import_model, install, list_models, verify
from dubstudio.models.installer import INSTALLED, ModelStatus
from dubstudio.models.packages import install_hint, install_packages
from dubstudio.ui.dialogs.error import show_error
from dubstudio.ui.worker import JobContext, JobFailure, JobRunner

COLUMNS = ("Model", "Kind", "Status", "Size", "Source", "License")


def _describe(model: ModelStatus) -> str:
    text = f"{model.description}\n{model.path}"
    if model.needs:
        text += (
            f"\nIts engine needs the Python package {', '.join(model.needs)} (not installed): Install "
            f"adds it with pip (or run {install_hint(model.needs)})."
        )
    return text


def _size(size: int) -> str:
    return f"{size / 2**20:.0f} MB" if size else "—"


class ModelManagerDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(860, 460)
        self.models: list[ModelStatus] = []
        self.runner = JobRunner(self)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.description = QLabel(self)
        self.description.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        style = self.style()
        self.verify_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton), "Verify", self
        )
        self.install_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_ArrowDown), "Install", self
        )
        self.import_file_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_FileIcon), "Import file…", self
        )
        self.import_folder_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DirIcon), "Import folder…", self
        )
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.hide()
        row = QHBoxLayout()
        for button in (
            self.verify_button,
            self.install_button,
            self.import_file_button,
            self.import_folder_button,
        ):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.description)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(buttons)

        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.verify_button.clicked.connect(self.verify_selected)
        self.install_button.clicked.connect(self.install_selected)
        self.import_file_button.clicked.connect(self._import_file)
        self.import_folder_button.clicked.connect(self._import_folder)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.runner.progress.connect(lambda _stage, fraction, message: self._progress(fraction, message))
        self.runner.completed.connect(self._completed)
        self.runner.failed.connect(lambda _name, failure: self._failed(failure))
        self.runner.finished.connect(self._finished)
        self.refresh()

    def refresh(self) -> None:
        self.models = list_models()
        self.table.setRowCount(len(self.models))
        for row, model in enumerate(self.models):
            cells = (
                model.id + (" (default)" if model.default else ""),
                model.kind,
                model.status + (f" (needs {', '.join(model.needs)})" if model.needs else ""),
                _size(model.size),
                model.source,
                model.license,
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self._selection_changed()

    def selected(self) -> ModelStatus | None:
        row = self.table.currentRow()
        return self.models[row] if 0 <= row < len(self.models) else None

    def _selection_changed(self) -> None:
        model = self.selected()
        busy = self.runner.is_running
        self.description.setText(_describe(model) if model else "Select a model.")
        self.verify_button.setEnabled(not busy and model is not None and model.status != "not installed")
        self.install_button.setEnabled(
            not busy and model is not None and (model.status != INSTALLED or bool(model.needs))
        )
        self.import_file_button.setEnabled(not busy)
        self.import_folder_button.setEnabled(not busy)

    # ---- jobs ----------------------------------------------------------------------------------
    def _start(self, name: str, function) -> None:
        if self.runner.start(name, function):
            self.progress.setValue(0)
            self.progress.show()
            self.cancel_button.show()
            self._selection_changed()

    def verify_selected(self) -> None:
        model = self.selected()
        if model is not None:
            self._start("verify", lambda job: verify(model.id, job.progress, job.cancel))

    def install_selected(self) -> None:
        """Install the model's files, and the Python packages its engine needs (`ModelSpec.packages`)."""
        model = self.selected()
        if model is None:
            return

        def work(job: JobContext) -> object:
            if model.needs:
                install_packages(model.needs, cancel=job.cancel)
            return install(model.id, job.progress, job.cancel)

        self._start("install", work)

    def import_path(self, path: Path) -> None:
        self._start("import", lambda job: import_model(path, job.progress, job.cancel))

    def _import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a model file", "", "Models (*.argosmodel);;All files (*)"
        )
        if path:
            self.import_path(Path(path))

    def _import_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Import a model folder")
        if path:
            self.import_path(Path(path))

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        self.progress.setFormat(f"{message}  %p%" if message else "%p%")

    def _completed(self, name: str, result: object) -> None:
        if name == "verify":
            text = result.describe() if hasattr(result, "describe") else str(result)
            QMessageBox.information(self, "Verify", text)
        elif name == "import" and isinstance(result, ModelStatus):
            QMessageBox.information(self, "Import", f"Imported '{result.id}' ({result.status}).")

    def _failed(self, failure: JobFailure) -> None:
        show_error(self, failure.error, failure.details)

    def _finished(self, _name: str) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.refresh()

    def reject(self) -> None:
        self.runner.stop(QDeadlineTimer(1000))  # a job still busy then ends in the background
        super().reject()
