"""What every player backend offers, and the behaviour they share.

A player shows the video of the source media and plays one audio source: the original sound, the
dub or the mix. The simplest robust way to switch audio on both backends is two engines: the video
engine plays the media (muted unless the original is chosen) and an audio engine plays the chosen
wav, kept in sync with the video clock. `play_range` plays one segment and stops at its end.

Opening media is deferred: `load` only remembers it, and the backend opens it `OPEN_DELAY_MS`
later (or at once when asked to play). Opening starts the backend's demuxer and decoder threads,
and on two cores they took the CPU from the GUI thread just when a new project paints its table
and timeline for the first time: deferred, that paint stays under 50 ms (bench/ui_responsiveness.py).
A seek meanwhile is remembered and shown when the media opens.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

#: the audio engine is re-seeked when it drifts further than this from the video (seconds)
MAX_DRIFT = 0.12
POLL_MS = 30
OPEN_DELAY_MS = 250


class AudioSource(Enum):
    ORIGINAL = "original"
    DUB = "dub"
    MIX = "mix"


class PlayerBase(QObject):
    """Shared logic; a backend implements the `_video_*` and `_audio_*` primitives."""

    position_changed = Signal(float)
    playing_changed = Signal(bool)
    backend = "none"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.media: Path | None = None
        self.fps = 25.0
        self.volume = 80
        self.source = AudioSource.ORIGINAL
        self.tracks: dict[AudioSource, Path] = {}
        self._external: Path | None = None
        self._range_end: float | None = None
        self._playing = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._opened = True  # nothing loaded counts as open: there is nothing to wait for
        self._pending_position = 0.0
        self._open_timer = QTimer(self)
        self._open_timer.setSingleShot(True)
        self._open_timer.setInterval(OPEN_DELAY_MS)
        self._open_timer.timeout.connect(self.ensure_open)

    # ---- what a backend provides -------------------------------------------------------------
    @property
    def video_widget(self) -> QWidget:
        return self._video_widget()

    # ---- public API ------------------------------------------------------------------------------
    def load(self, media: Path | None, fps: float = 25.0) -> None:
        """Take `media` (None unloads); the backend opens it shortly after, see the module doc."""
        self.stop()
        self.media = media
        self.fps = fps if fps > 0 else 25.0
        self._pending_position = 0.0
        self._opened = False
        if media is None:
            self.ensure_open()
        else:
            self._open_timer.start()

    def ensure_open(self) -> None:
        """Open the loaded media now if it still waits, and show the frame at the last seek."""
        self._open_timer.stop()
        if self._opened:
            return
        self._opened = True
        self._video_load(self.media)
        self._apply_source()
        if self.media is not None:
            self.seek(self._pending_position)

    def set_track(self, source: AudioSource, path: Path | None) -> None:
        """Register the wav for the dub or the mix (None removes it)."""
        if path is None:
            self.tracks.pop(source, None)
        else:
            self.tracks[source] = path
        if source == self.source:
            self._apply_source()

    def set_source(self, source: AudioSource) -> None:
        self.source = source
        self._apply_source()

    def available_sources(self) -> list[AudioSource]:
        return [AudioSource.ORIGINAL, *(s for s in (AudioSource.DUB, AudioSource.MIX) if s in self.tracks)]

    def _apply_source(self) -> None:
        if not self._opened:
            return  # applied when the media opens
        position, was_playing = self.position(), self._playing
        external = self.tracks.get(self.source) if self.source != AudioSource.ORIGINAL else None
        if external != self._external:
            self._external = external
            self._audio_load(external)
        self._video_set_volume(0 if external else self.volume)
        self._audio_set_volume(self.volume)
        if external:
            self._audio_seek(position)
            if was_playing:
                self._audio_play()

    def play(self) -> None:
        if self.media is None:
            return
        self.ensure_open()
        self._video_play()
        if self._external:
            self._audio_seek(self.position())
            self._audio_play()
        self._set_playing(True)

    def pause(self) -> None:
        self._range_end = None
        self._video_pause()
        if self._external:
            self._audio_pause()
        self._set_playing(False)

    def stop(self) -> None:
        self._range_end = None
        self._video_stop()
        self._audio_pause()
        self._set_playing(False)

    def toggle(self) -> None:
        if self._playing:
            self.pause()
        else:
            self.play()

    def seek(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        if not self._opened:
            self._pending_position = seconds
            self.position_changed.emit(seconds)
            return
        self._video_seek(seconds)
        if self._external:
            self._audio_seek(seconds)
        self.position_changed.emit(seconds)

    def play_range(self, start: float, end: float) -> None:
        """Play [start, end) and pause at the end (segment preview), the playhead parked on `end`.

        The end is found by the GUI thread's poll, so a GUI thread held up (by the GIL: another
        thread loading a C extension, a garbage collection) notices it late; the playhead and the
        picture then go back to `end` rather than stay in the next cue."""
        self.seek(start)
        self.play()
        self._range_end = end

    def step_frame(self, frames: int) -> None:
        self.pause()
        self.seek(self.position() + frames / self.fps)

    def set_volume(self, percent: int) -> None:
        self.volume = max(0, min(100, percent))
        self._video_set_volume(0 if self._external else self.volume)
        self._audio_set_volume(self.volume)

    def is_playing(self) -> bool:
        return self._playing

    def position(self) -> float:
        return self._video_position() if self._opened else self._pending_position

    def duration(self) -> float:
        return self._video_duration() if self._opened else 0.0

    # ---- internals -------------------------------------------------------------------------------
    def _set_playing(self, playing: bool) -> None:
        if playing:
            self._timer.start()
        else:
            self._timer.stop()
        if playing != self._playing:
            self._playing = playing
            self.playing_changed.emit(playing)

    def _poll(self) -> None:
        position = self._video_position()
        self.position_changed.emit(position)
        if self._range_end is not None and position >= self._range_end:
            end = self._range_end
            self.pause()
            self.seek(end)
            return
        if self._external and abs(self._audio_position() - position) > MAX_DRIFT:
            self._audio_seek(position)
        if self._video_ended():
            self.pause()
