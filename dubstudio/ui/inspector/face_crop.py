"""The inspector's face picture: a small crop of the face on screen during the selected cue.

The frame is cut by ffmpeg on a worker thread (`pipeline/mouths.face_crop_png`) and cached, so
moving through the cues never waits on the video; a result for a cue no longer selected is dropped.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QWidget

from dubstudio.core.errors import UserError
from dubstudio.core.project import Segment
from dubstudio.stages.lipsync import LIPSYNC_CODES, MouthActivity, MouthTrack, cue_mouths, face_for_cue

SIZE = 120
_CACHE_LIMIT = 64


class FaceCropView(QLabel):
    #: (request number, PNG bytes or None, caption) from the worker thread
    _loaded = Signal(int, object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.video: Path | None = None
        self.track: MouthTrack | None = None
        self.activity: MouthActivity | None = None
        self.caption = ""
        #: one line for the panel's heading: how much of the cue shows a face and a moving mouth
        self.caption_label = QLabel(parent)
        self.caption_label.hide()
        self._request = 0
        self._cache: dict[tuple[float, tuple[float, ...]], bytes] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dubstudio-face")
        self.setFixedSize(SIZE, SIZE)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setStyleSheet("QLabel { background: #15161a; color: #8a8f98; border-radius: 4px; }")
        self._loaded.connect(self._show_loaded)
        self.destroyed.connect(lambda *_: self._pool.shutdown(wait=False, cancel_futures=True))
        self.hide()

    def set_source(
        self, video: Path | None, track: MouthTrack | None, activity: MouthActivity | None
    ) -> None:
        """The project's video and its mouths (None: nothing to show, the picture is hidden)."""
        self.video, self.track, self.activity = video, track, activity
        self._cache.clear()
        self.setVisible(track is not None)
        self.caption_label.setVisible(track is not None)

    def show_segment(self, segment: Segment | None) -> None:
        self._request += 1
        if segment is None or self.track is None or self.activity is None or self.video is None:
            self.clear()
            self.setToolTip("")
            self.caption_label.clear()
            return
        found = face_for_cue(self.track, self.activity, segment.start, segment.end)
        mouths = cue_mouths(self.activity, segment.start, segment.end)
        self.caption = (
            f"Face on screen {mouths.face_fraction:.0%} of the cue, mouth moving {mouths.moving_fraction:.0%}"
        ).replace("%", " %")
        flags = [i.message for i in segment.open_issues if i.code in LIPSYNC_CODES]
        self.caption_label.setText(self.caption)
        self.setToolTip("\n".join([self.caption, *flags]))
        if found is None:
            self.setPixmap(QPixmap())
            self.setText("no face\n(voice-over)")
            return
        key = (round(found[0], 2), tuple(found[1]))
        if key in self._cache:
            self._set_png(self._cache[key])
            return
        self.setText("…")
        request, video = self._request, self.video
        self._pool.submit(self._load, request, video, key)

    def _load(self, request: int, video: Path, key: tuple[float, tuple[float, ...]]) -> None:
        from dubstudio.pipeline.mouths import face_crop_png

        try:
            png = face_crop_png(video, key[0], key[1], SIZE)  # type: ignore[arg-type]
        except UserError as error:
            self._loaded.emit(request, None, error.message)
            return
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = png
        self._loaded.emit(request, png, "")

    def _show_loaded(self, request: int, png: object, problem: str) -> None:
        if request != self._request:
            return  # another cue was selected meanwhile
        if isinstance(png, bytes):
            self._set_png(png)
        else:
            self.setText("no picture")
            self.setToolTip(problem)

    def _set_png(self, png: bytes) -> None:
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        self.setPixmap(pixmap)
