"""About: DubStudio's version and the versions of the libraries, engines and models in use."""

from __future__ import annotations

import platform
from importlib import metadata

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from dubstudio import __version__
from dubstudio.core.project import Project

LIBRARIES = (
    "faster-whisper",
    "ctranslate2",
    "pyannote.audio",
    "argostranslate",
    "coqui-tts",
    "onnxruntime",
    "torch",
    "numpy",
    "python-vlc",
)


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _libvlc_version() -> str:
    try:
        import vlc

        raw = vlc.libvlc_get_version()
    except (ImportError, OSError, AttributeError):
        return "not available"
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def version_rows(project: Project | None, player_backend: str) -> list[tuple[str, str]]:
    rows = [
        ("DubStudio", __version__),
        ("Python", platform.python_version()),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("libvlc", _libvlc_version()),
        ("Player", player_backend),
    ]
    rows += [(name, _package_version(name)) for name in LIBRARIES]
    if project is not None:
        rows += [
            (f"Engine: {stage}", engine) for stage, engine in sorted(project.diagnostics.engines.items())
        ]
    from dubstudio.models import list_models
    from dubstudio.models.installer import INSTALLED

    rows += [
        (f"Model: {m.id}", f"{m.kind}, {m.source or 'installed'}, {m.license}")
        for m in list_models()
        if m.status == INSTALLED
    ]
    return rows


class AboutDialog(QDialog):
    def __init__(self, project: Project | None, player_backend: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About DubStudio")
        self.resize(560, 560)
        heading = QLabel(
            f"<h2>DubStudio {__version__}</h2><p>Offline subtitle-and-dub editor: transcribe, translate, "
            "re-voice and mix video, with a human review queue.</p>",
            self,
        )
        heading.setWordWrap(True)
        rows = "".join(
            f"<tr><td><b>{name}</b></td><td>&nbsp;{value}</td></tr>"
            for name, value in version_rows(project, player_backend)
        )
        self.versions = QTextBrowser(self)
        self.versions.setHtml(f"<table>{rows}</table>")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.versions)
        layout.addWidget(buttons)
