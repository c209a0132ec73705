"""Qt Multimedia backend (QMediaPlayer + QVideoWidget): used when libvlc is missing or unsafe."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import QWidget

from dubstudio.ui.player.base import PlayerBase


def _engine(parent: QObject) -> tuple[QMediaPlayer, QAudioOutput]:
    player = QMediaPlayer(parent)
    output = QAudioOutput(parent)
    player.setAudioOutput(output)
    return player, output


class QtPlayer(PlayerBase):
    backend = "qt"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._widget = QVideoWidget()
        self._widget.setMinimumSize(160, 90)
        self._video, self._video_out = _engine(self)
        self._video.setVideoOutput(self._widget)
        self._audio, self._audio_out = _engine(self)

    def _video_widget(self) -> QWidget:
        return self._widget

    @staticmethod
    def _source(player: QMediaPlayer, path: Path | None) -> None:
        player.setSource(QUrl.fromLocalFile(str(path)) if path else QUrl())

    def _video_load(self, media: Path | None) -> None:
        self._source(self._video, media)

    def _audio_load(self, path: Path | None) -> None:
        self._source(self._audio, path)

    def _video_play(self) -> None:
        self._video.play()

    def _video_pause(self) -> None:
        self._video.pause()

    def _video_stop(self) -> None:
        self._video.pause()

    def _video_seek(self, seconds: float) -> None:
        self._video.setPosition(round(seconds * 1000))

    def _video_position(self) -> float:
        return self._video.position() / 1000

    def _video_duration(self) -> float:
        return self._video.duration() / 1000

    def _video_ended(self) -> bool:
        return self._video.mediaStatus() == QMediaPlayer.MediaStatus.EndOfMedia

    def _video_set_volume(self, percent: int) -> None:
        self._video_out.setVolume(percent / 100)

    def _audio_play(self) -> None:
        self._audio.play()

    def _audio_pause(self) -> None:
        self._audio.pause()

    def _audio_seek(self, seconds: float) -> None:
        self._audio.setPosition(round(seconds * 1000))

    def _audio_position(self) -> float:
        return self._audio.position() / 1000

    def _audio_set_volume(self, percent: int) -> None:
        self._audio_out.setVolume(percent / 100)
