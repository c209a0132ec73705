"""The video area with its transport bar: play/pause, frame step, audio source, volume, time."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dubstudio.core.timeline import format_timecode
from dubstudio.ui.player.base import AudioSource, PlayerBase

SOURCE_LABELS = {AudioSource.ORIGINAL: "Original audio", AudioSource.DUB: "Dub", AudioSource.MIX: "Mix"}


class PlayerPanel(QWidget):
    def __init__(
        self, player: PlayerBase, actions: list[QAction | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.player = player
        video = player.video_widget
        video.setParent(self)
        self.placeholder = QLabel("No video", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("background: #000; color: #777; font-size: 15pt;")
        self.time_label = QLabel("00:00:00.000", self)
        self.time_label.setStyleSheet("font-family: monospace; font-size: 11pt;")
        self.source_combo = QComboBox(self)
        self.source_combo.setToolTip("Which audio plays with the video")
        self.volume = QSlider(Qt.Orientation.Horizontal, self)
        self.volume.setRange(0, 100)
        self.volume.setValue(player.volume)
        self.volume.setFixedWidth(90)
        self.volume.setToolTip("Volume")
        volume_icon = QLabel(self)
        volume_icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaVolume).pixmap(16, 16))
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        for action in actions:
            if action is None:
                bar.addSpacing(8)
                continue
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            bar.addWidget(button)
        bar.addSpacing(8)
        bar.addWidget(self.time_label)
        bar.addStretch(1)
        bar.addWidget(self.source_combo)
        bar.addWidget(volume_icon)
        bar.addWidget(self.volume)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(video, 1)
        layout.addWidget(self.placeholder, 1)
        layout.addLayout(bar)
        self.volume.valueChanged.connect(player.set_volume)
        self.source_combo.activated.connect(lambda: player.set_source(self.source_combo.currentData()))
        player.position_changed.connect(self._show_time)
        self.refresh_sources()
        self.set_has_video(False)

    def set_has_video(self, has_video: bool) -> None:
        """Audio-only media shows a placeholder instead of an empty black video area."""
        self.player.video_widget.setVisible(has_video)
        self.placeholder.setVisible(not has_video)

    def refresh_sources(self) -> None:
        self.source_combo.clear()
        for source in self.player.available_sources():
            self.source_combo.addItem(SOURCE_LABELS[source], source)
        self.source_combo.setCurrentIndex(max(0, self.source_combo.findData(self.player.source)))

    def _show_time(self, seconds: float) -> None:
        total = self.player.duration()
        text = format_timecode(max(seconds, 0.0))
        self.time_label.setText(f"{text} / {format_timecode(total)[:-4]}" if total > 0 else text)
