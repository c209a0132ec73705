"""Plays one dub take on its own (audio only), independent of the main player's tracks."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer


class ClipPlayer(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._player = QMediaPlayer(self)
        self._output = QAudioOutput(self)
        self._player.setAudioOutput(self._output)

    def play(self, path: Path, volume: int = 80) -> None:
        self._player.stop()
        self._output.setVolume(volume / 100)
        self._player.setSource(QUrl.fromLocalFile(str(path)))
        self._player.play()

    def stop(self) -> None:
        self._player.stop()

    @property
    def source(self) -> Path | None:
        url = self._player.source()
        return Path(url.toLocalFile()) if url.isLocalFile() else None
