"""The main window's playback: loading the project's media and dub tracks into the player,
following the playhead, choosing the audio source, and playing a segment's original or dub.

`PlaybackMixin` is a base class of `MainWindow`; its methods use the window's document, player,
player panel, clip player, timeline and actions.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from PySide6.QtWidgets import QStyle

from dubstudio.core import store
from dubstudio.core.errors import ProjectFileError
from dubstudio.core.media import MIX_WAV
from dubstudio.ui.dialogs.error import show_error
from dubstudio.ui.jobs import PREVIEW_DIR
from dubstudio.ui.player import AudioSource


class PlaybackMixin:
    """Player plumbing for `MainWindow` (a `QMainWindow`)."""

    def _load_media(self) -> None:
        project, folder = self.doc.project, self.doc.project_dir
        if project is None or folder is None:
            return
        media = Path(project.media.path) if project.media else None
        fallback = folder / "audio" / MIX_WAV
        has_video = bool(project.media and project.media.has_video and media and media.is_file())
        source = media if media and media.is_file() else (fallback if fallback.is_file() else None)
        self.player.load(source, project.media.fps if project.media else 25.0)
        self.player_panel.set_has_video(has_video)
        self._refresh_tracks()

    def _refresh_tracks(self) -> None:
        folder = self.doc.project_dir
        if folder is None:
            return
        for source, candidates in (
            (AudioSource.DUB, [folder / PREVIEW_DIR / "dub.wav", folder / "dub.wav"]),
            (AudioSource.MIX, [folder / PREVIEW_DIR / "mix.wav", folder / "mix.wav"]),
        ):
            self.player.set_track(source, next((p for p in candidates if p.is_file()), None))
        self.player_panel.refresh_sources()

    def _position_changed(self, seconds: float) -> None:
        self.timeline.canvas.set_playhead(seconds)
        if not self.player.is_playing():
            return
        segments = self.doc.segments
        row = bisect.bisect_right([s.start for s in segments], seconds) - 1 if len(segments) < 5000 else -1
        if row >= 0 and seconds < segments[row].end and segments[row].id != self.doc.selected_id:
            self._following_playback = True
            self.doc.select(segments[row].id)
            self._following_playback = False

    def _playing_changed(self, playing: bool) -> None:
        sp = QStyle.StandardPixmap
        self.actions_by_key["play_pause"].setIcon(
            self.style().standardIcon(sp.SP_MediaPause if playing else sp.SP_MediaPlay)
        )

    def set_audio_source(self, source: AudioSource) -> None:
        if source not in self.player.available_sources():
            self.statusBar().showMessage("No dub audio yet: render the preview (F6) or export first.", 5000)
            return
        self.player.set_source(source)
        self.player_panel.refresh_sources()

    def play_original(self) -> None:
        segment = self.doc.selected
        if segment is not None:
            self.clip_player.stop()
            self.player.set_source(AudioSource.ORIGINAL)
            self.player_panel.refresh_sources()
            self.player.play_range(segment.start, segment.end)

    def play_dub(self) -> None:
        segment = self.doc.selected
        if segment is None or segment.clip is None:
            self.statusBar().showMessage("This segment has no dub yet.", 4000)
            return
        self.player.pause()
        self.player.seek(segment.start)
        self.play_clip(segment.clip.path)

    def play_clip(self, relative: str) -> None:
        try:
            path = store.resolve_inside(self.doc.project_dir, relative)  # type: ignore[arg-type]
        except ProjectFileError as error:
            show_error(self, error)
            return
        self.clip_player.play(path, self.player.volume)
