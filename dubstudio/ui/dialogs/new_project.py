"""New project: the video, its languages, the engines and a glossary; the pipeline starts on OK."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dubstudio.core.project import GlossaryEntry, Settings
from dubstudio.ui.dialogs.languages import language_combo
from dubstudio.ui.settings import AppSettings

MEDIA_FILTER = (
    "Media (*.mp4 *.mkv *.mov *.avi *.webm *.m4v *.mp3 *.wav *.flac *.m4a *.ogg *.opus);;All files (*)"
)
SUBTITLE_FILTER = "Subtitles (*.srt *.vtt *.ass *.ssa);;All files (*)"
PROJECT_SUFFIX = ".dubstudio"


@dataclass
class NewProjectRequest:
    media: Path
    project_dir: Path
    source_language: str | None
    target_language: str
    subtitle_language: str = ""
    settings: Settings = field(default_factory=Settings)
    subtitles: Path | None = None


def _path_row(parent: QWidget, edit: QLineEdit, browse) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    button = QPushButton(parent.style().standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon), "Browse…", parent)
    button.clicked.connect(browse)
    row.addWidget(button)
    return row


def _choice_combo(parent: QWidget, values: list[tuple[str, str]], selected: str) -> QComboBox:
    combo = QComboBox(parent)
    for label, value in values:
        combo.addItem(label, value)
    combo.setCurrentIndex(max(0, combo.findData(selected)))
    return combo


def _transcriber_models() -> list[tuple[str, str]]:
    """Installed recogniser models (the default first, even when not installed yet)."""
    from dubstudio.models import list_models
    from dubstudio.models.installer import INSTALLED

    installed = [m.id for m in list_models() if m.kind == "transcriber" and m.status == INSTALLED]
    ids = ["whisper-base", *(m for m in installed if m != "whisper-base")]
    return [(model_id, model_id) for model_id in ids]


class NewProjectDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, settings: AppSettings | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New dubbing project")
        self.setMinimumWidth(640)
        prefs = settings or AppSettings()
        self.media_edit = QLineEdit(self)
        self.media_edit.setPlaceholderText("The video or audio to dub")
        self.folder_edit = QLineEdit(self)
        self.folder_edit.setPlaceholderText("Where the project folder is created")
        self.subtitles_edit = QLineEdit(self)
        self.subtitles_edit.setPlaceholderText(
            "Optional: existing subtitles to start from instead of recognising"
        )
        self.source_combo = language_combo(self, ("Auto-detect", ""), prefs.text("defaults/source_language"))
        self.target_combo = language_combo(self, None, prefs.text("defaults/target_language"))
        self.subtitle_combo = language_combo(self, ("Same as the dub", ""), "")
        self.translator_combo = _choice_combo(
            self,
            [("Automatic", "auto"), ("Argos Translate", "argos"), ("Apertium", "apertium")],
            prefs.text("defaults/translator"),
        )
        self.synthesizer_combo = _choice_combo(
            self,
            [("Automatic", "auto"), ("Kokoro", "kokoro"), ("eSpeak NG", "espeak")],
            prefs.text("defaults/synthesizer"),
        )
        self.whisper_combo = _choice_combo(self, _transcriber_models(), "whisper-base")
        self.device_combo = _choice_combo(
            self,
            [("Automatic (GPU if present)", "auto"), ("CPU", "cpu"), ("CUDA GPU", "cuda")],
            prefs.text("defaults/device"),
        )
        self.min_speakers = QSpinBox(self)
        self.max_speakers = QSpinBox(self)
        for spin in (self.min_speakers, self.max_speakers):
            spin.setRange(0, 20)
            spin.setSpecialValueText("auto")
        self.keep_background = QCheckBox("Keep the original background under the dub (ducked)", self)
        self.keep_background.setChecked(True)
        self.use_memory = QCheckBox("Reuse translations corrected before (translation memory)", self)
        self.use_memory.setChecked(True)

        files = QGroupBox("Media", self)
        files_form = QFormLayout(files)
        files_form.addRow("Video:", _path_row(self, self.media_edit, self._browse_media))
        files_form.addRow("Project folder:", _path_row(self, self.folder_edit, self._browse_folder))
        files_form.addRow("Subtitles:", _path_row(self, self.subtitles_edit, self._browse_subtitles))
        languages = QGroupBox("Languages", self)
        languages_form = QFormLayout(languages)
        languages_form.addRow("Spoken in the video:", self.source_combo)
        languages_form.addRow("Dub into:", self.target_combo)
        languages_form.addRow("Subtitles in:", self.subtitle_combo)
        engines = QGroupBox("Engines", self)
        engines_form = QFormLayout(engines)
        engines_form.addRow("Recogniser:", self.whisper_combo)
        engines_form.addRow("Translator:", self.translator_combo)
        engines_form.addRow("Voices:", self.synthesizer_combo)
        engines_form.addRow("Device:", self.device_combo)
        speakers = QHBoxLayout()
        speakers.addWidget(self.min_speakers)
        speakers.addWidget(self.max_speakers)
        engines_form.addRow("Speakers (min, max):", speakers)
        engines_form.addRow(self.keep_background)
        engines_form.addRow(self.use_memory)

        glossary = QGroupBox(
            "Glossary (terms always translated the same way; empty target keeps the term)", self
        )
        self.glossary = QTableWidget(0, 2, self)
        self.glossary.setHorizontalHeaderLabels(["Source term", "Translation"])
        self.glossary.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.glossary.verticalHeader().setVisible(False)
        self.glossary.setMinimumHeight(110)
        add = QPushButton("Add term", self)
        remove = QPushButton("Remove", self)
        add.clicked.connect(self._add_term)
        remove.clicked.connect(lambda: self.glossary.removeRow(self.glossary.currentRow()))
        glossary_buttons = QHBoxLayout()
        glossary_buttons.addWidget(add)
        glossary_buttons.addWidget(remove)
        glossary_buttons.addStretch(1)
        glossary_layout = QVBoxLayout(glossary)
        glossary_layout.addWidget(self.glossary)
        glossary_layout.addLayout(glossary_buttons)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create and start")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        columns = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(languages)
        left.addWidget(engines)
        columns.addLayout(left)
        layout = QVBoxLayout(self)
        layout.addWidget(files)
        layout.addLayout(columns)
        layout.addWidget(glossary)
        layout.addWidget(self.buttons)
        self.media_edit.textChanged.connect(self._media_changed)
        self._media_changed()

    # ---- browsing ------------------------------------------------------------------------------
    def _browse_media(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the video", "", MEDIA_FILTER)
        if path:
            self.media_edit.setText(path)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Create the project in…")
        if path:
            name = Path(self.media_edit.text()).stem or "project"
            self.folder_edit.setText(str(Path(path) / f"{name}{PROJECT_SUFFIX}"))

    def _browse_subtitles(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Existing subtitles", "", SUBTITLE_FILTER)
        if path:
            self.subtitles_edit.setText(path)

    def _media_changed(self) -> None:
        media = self.media_edit.text().strip()
        if media and not self.folder_edit.isModified():
            source = Path(media)
            self.folder_edit.setText(str(source.with_name(source.stem + PROJECT_SUFFIX)))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(media))

    def _add_term(self) -> None:
        row = self.glossary.rowCount()
        self.glossary.insertRow(row)
        self.glossary.setItem(row, 0, QTableWidgetItem(""))
        self.glossary.setItem(row, 1, QTableWidgetItem(""))
        self.glossary.editItem(self.glossary.item(row, 0))

    # ---- result --------------------------------------------------------------------------------
    def glossary_entries(self) -> list[GlossaryEntry]:
        entries = []
        for row in range(self.glossary.rowCount()):
            source = (self.glossary.item(row, 0) or QTableWidgetItem()).text().strip()
            target = (self.glossary.item(row, 1) or QTableWidgetItem()).text().strip()
            if source:
                entries.append(GlossaryEntry(source, target))
        return entries

    def request(self) -> NewProjectRequest:
        settings = Settings(
            device=self.device_combo.currentData(),
            whisper_model=self.whisper_combo.currentData(),
            translator=self.translator_combo.currentData(),
            synthesizer=self.synthesizer_combo.currentData(),
            min_speakers=self.min_speakers.value(),
            max_speakers=self.max_speakers.value(),
            keep_background=self.keep_background.isChecked(),
            use_translation_memory=self.use_memory.isChecked(),
            glossary=self.glossary_entries(),
        )
        subtitles = self.subtitles_edit.text().strip()
        return NewProjectRequest(
            media=Path(self.media_edit.text().strip()),
            project_dir=Path(self.folder_edit.text().strip()),
            source_language=self.source_combo.currentData() or None,
            target_language=self.target_combo.currentData(),
            subtitle_language=self.subtitle_combo.currentData() or "",
            settings=settings,
            subtitles=Path(subtitles) if subtitles else None,
        )
