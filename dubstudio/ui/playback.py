"""The window's playback: loading the project's media and dub tracks into the player, following the
playhead with the selection, choosing the audio source, and playing a segment's original or dub."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QStyle

from dubstudio.core import store
from dubstudio.core.errors import ProjectFileError
from dubstudio.core.media import source_wav_path
from dubstudio.core.timeline import TimeIndex
from dubstudio.pipeline.preview import preview_tracks
from dubstudio.ui.dialogs.error import show_error
from dubstudio.ui.player import AudioSource

if TYPE_CHECKING:
    from dubstudio.ui.main_window import MainWindow


class PlaybackControl(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.doc = window.doc
        self.player = window.player
        self.clip_player = window.clip_player
        #: True while the selection follows the playhead (the selection then does not seek)
        self.following = False
        self._times = TimeIndex([])
        self.doc.structure_changed.connect(self._reindex)
        self.doc.segments_changed.connect(lambda _ids: self._reindex())
        self.player.position_changed.connect(self._position_changed)
        self.player.playing_changed.connect(self._playing_changed)

    def _reindex(self) -> None:
        self._times = TimeIndex(self.doc.segments)

    def load_media(self) -> None:
        project, folder = self.doc.project, self.doc.project_dir
        if project is None or folder is None:
            return
        media = Path(project.media.path) if project.media else None
        fallback = source_wav_path(folder)
        has_video = bool(project.media and project.media.has_video and media and media.is_file())
        source = media if media and media.is_file() else (fallback if fallback.is_file() else None)
        self.player.load(source, project.media.fps if project.media else 25.0)
        self.window.player_panel.set_has_video(has_video)
        self.refresh_tracks()

    def refresh_tracks(self) -> None:
        folder = self.doc.project_dir
        if folder is None:
            return
        tracks = preview_tracks(folder)
        self.player.set_track(AudioSource.DUB, tracks.get("dub"))
        self.player.set_track(AudioSource.MIX, tracks.get("mix"))
        self.window.player_panel.refresh_sources()

    def _position_changed(self, seconds: float) -> None:
        self.window.timeline.canvas.set_playhead(seconds)
        if not self.player.is_playing():
            return
        row = self._times.at(seconds)
        segments = self.doc.segments
        if row >= 0 and segments[row].id != self.doc.selected_id:
            self.following = True
            self.doc.select(segments[row].id)
            self.following = False

    def _playing_changed(self, playing: bool) -> None:
        sp = QStyle.StandardPixmap
        self.window.actions_by_key["play_pause"].setIcon(
            self.window.style().standardIcon(sp.SP_MediaPause if playing else sp.SP_MediaPlay)
        )

    def set_audio_source(self, source: AudioSource) -> None:
        if source not in self.player.available_sources():
            self.window.statusBar().showMessage(
                "No dub audio yet: render the preview (F6) or export first.", 5000
            )
            return
        self.player.set_source(source)
        self.window.player_panel.refresh_sources()

    def play_original(self) -> None:
        segment = self.doc.selected
        if segment is not None:
            self.clip_player.stop()
            self.player.set_source(AudioSource.ORIGINAL)
            self.window.player_panel.refresh_sources()
            self.player.play_range(segment.start, segment.end)

    def play_dub(self) -> None:
        segment = self.doc.selected
        if segment is None or segment.clip is None:
            self.window.statusBar().showMessage("This segment has no dub yet.", 4000)
            return
        self.player.pause()
        self.player.seek(segment.start)
        self.play_clip(segment.clip.path)

    def play_clip(self, relative: str) -> None:
        try:
            path = store.resolve_inside(self.doc.project_dir, relative)  # type: ignore[arg-type]
        except ProjectFileError as error:
            show_error(self.window, error)
            return
        self.clip_player.play(path, self.player.volume)
