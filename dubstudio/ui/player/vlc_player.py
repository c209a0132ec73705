"""libvlc backend: the video is drawn by VLC into a native child window of ours.

VLC needs a real window system: it crashes under QT_QPA_PLATFORM=offscreen, so `create_player`
never builds this backend there. Seeking a media that has not started yet only works once VLC has
opened it, so the first seek starts it paused.

libvlc's clock (`get_time`) advances in steps of a quarter to half a second; read directly, a play
range overshot its end by up to that much (into the next cue) and the playhead jumped. Between two
steps the time is interpolated from a monotonic clock while playing (`_Clock`). After a seek
libvlc goes on reporting the old time until its input thread has moved: the clock answers the
seek's target until then, so the playhead does not jump back for a moment.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import vlc
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QWidget

from dubstudio.ui.player.base import PlayerBase

_STARTED = {vlc.State.Playing, vlc.State.Paused}
#: never interpolate further than this past libvlc's last time (its steps are at most 0.5 s)
MAX_INTERPOLATION_S = 0.75


class _Clock:
    """One media player's time: libvlc's last reported time plus the time played since it changed."""

    def __init__(self, player: vlc.MediaPlayer) -> None:
        self.player = player
        self.reported: float | None = None
        self.since = 0.0
        self.extra = 0.0
        #: a seek's target and libvlc's time when it was asked for (answered until that time changes)
        self.target: tuple[float, int] | None = None

    def restart(self, target: float | None = None) -> None:
        """After a seek (to `target`) or a new media: the next readings start from libvlc's time."""
        self.reported = None
        self.target = None if target is None else (target, self.player.get_time())

    def resume(self) -> None:
        """Playback starts: count from where the interpolation stood when it paused."""
        self.since = time.monotonic() - self.extra

    def time(self, playing: bool) -> float:
        milliseconds = self.player.get_time()
        if self.target is not None:
            if milliseconds == self.target[1]:
                return self.target[0]
            self.target = None
        reported = max(0, milliseconds) / 1000
        if reported != self.reported:
            self.reported, self.since, self.extra = reported, time.monotonic(), 0.0
        elif playing:
            self.extra = min(time.monotonic() - self.since, MAX_INTERPOLATION_S)
        return reported + self.extra


def vlc_instance() -> vlc.Instance | None:
    """A libvlc instance, or None when libvlc or its plugins are missing."""
    try:
        return vlc.Instance(["--quiet", "--no-video-title-show", "--no-xlib"])
    except (OSError, NameError, AttributeError):
        return None


class VlcPlayer(PlayerBase):
    backend = "vlc"

    def __init__(self, instance: vlc.Instance, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._instance = instance
        self._frame = QFrame()
        self._frame.setMinimumSize(160, 90)
        self._frame.setAutoFillBackground(True)
        palette = self._frame.palette()
        palette.setColor(QPalette.ColorRole.Window, Qt.GlobalColor.black)
        self._frame.setPalette(palette)
        self._frame.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
        self._video = instance.media_player_new()
        self._video.video_set_mouse_input(False)
        self._video.video_set_key_input(False)
        self._audio = instance.media_player_new()
        self._video_clock, self._audio_clock = _Clock(self._video), _Clock(self._audio)
        self._attached = False
        self._pending_seek: float | None = None

    def _video_widget(self) -> QWidget:
        return self._frame

    def _attach(self) -> None:
        """Give VLC our native window; done lazily because the id exists once the frame is shown."""
        if self._attached:
            return
        window = int(self._frame.winId())
        if sys.platform.startswith("linux"):
            self._video.set_xwindow(window)
        elif sys.platform == "win32":
            self._video.set_hwnd(window)
        elif sys.platform == "darwin":
            self._video.set_nsobject(window)
        self._attached = True

    def _load(self, player: vlc.MediaPlayer, path: Path | None) -> None:
        player.stop()
        player.set_media(self._instance.media_new_path(str(path)) if path else None)
        (self._video_clock if player is self._video else self._audio_clock).restart()

    def _video_load(self, media: Path | None) -> None:
        self._attach()
        self._load(self._video, media)

    def _audio_load(self, path: Path | None) -> None:
        self._load(self._audio, path)

    def _video_play(self) -> None:
        self._attach()
        self._video_clock.resume()
        self._video.play()

    def _video_pause(self) -> None:
        self._video.set_pause(1)

    def _video_stop(self) -> None:
        self._video.set_pause(1)

    def _video_seek(self, seconds: float) -> None:
        self._video_clock.restart(seconds)
        if self._video.get_state() in _STARTED:
            self._pending_seek = None  # a newer seek wins over one still waiting for VLC to open
            self._video.set_time(round(seconds * 1000))
            return
        # not opened yet: start paused, then seek once VLC is ready
        self._pending_seek = seconds
        self._attach()
        self._video.play()
        QTimer.singleShot(200, self._finish_pending_seek)

    def _finish_pending_seek(self) -> None:
        if self._pending_seek is None:
            return
        if self._video.get_state() not in _STARTED or self._video.get_length() <= 0:
            QTimer.singleShot(100, self._finish_pending_seek)
            return
        self._video.set_time(round(self._pending_seek * 1000))
        self._pending_seek = None
        if not self.is_playing():
            # let VLC decode the frame at the new time before pausing, so the seek shows its frame
            QTimer.singleShot(250, self._pause_unless_playing)

    def _pause_unless_playing(self) -> None:
        if not self.is_playing():
            self._video.set_pause(1)

    def _video_position(self) -> float:
        if self._pending_seek is not None:
            return self._pending_seek
        return self._video_clock.time(self.is_playing())

    def _video_duration(self) -> float:
        return max(0, self._video.get_length()) / 1000

    def _video_ended(self) -> bool:
        return self._video.get_state() == vlc.State.Ended

    def _video_set_volume(self, percent: int) -> None:
        self._video.audio_set_volume(percent)

    def _audio_play(self) -> None:
        self._audio_clock.resume()
        self._audio.play()

    def _audio_pause(self) -> None:
        self._audio.set_pause(1)

    def _audio_seek(self, seconds: float) -> None:
        if self._audio.get_state() not in _STARTED and self._audio.get_media() is not None:
            self._audio.play()
            self._audio.set_pause(1)
        self._audio_clock.restart(seconds)
        self._audio.set_time(round(seconds * 1000))

    def _audio_position(self) -> float:
        return self._audio_clock.time(self.is_playing())

    def _audio_set_volume(self, percent: int) -> None:
        self._audio.audio_set_volume(percent)

    def release(self) -> None:
        self._video.stop()
        self._audio.stop()
        self._video.release()
        self._audio.release()
