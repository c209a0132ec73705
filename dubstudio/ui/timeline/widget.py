"""The waveform timeline, painted by hand (one widget, no item per segment; `painting.py` draws it).

Only the visible time range is painted: segments in view come from a `core.timeline.TimeIndex`,
waveform columns come from the peaks pyramid (`Peaks.range`), so a 3-hour project with
thousands of segments paints as fast as a short one.

Mouse: click seeks (and selects the region under the pointer); dragging a region's edge retimes it,
dragging its body moves it; edges snap to word boundaries, silences and neighbours (hold Alt to
place freely). The drag is previewed locally and reported once on release as `retime_requested`,
which the main window turns into an undoable command. Wheel scrolls, Ctrl+wheel zooms.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import (
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QScrollBar, QSizePolicy, QVBoxLayout, QWidget

from dubstudio.core.clip_peaks import ClipPeakCache
from dubstudio.core.project import Segment
from dubstudio.core.snapping import PeakSource, dragged_span
from dubstudio.core.timeline import TimeIndex
from dubstudio.stages.lipsync import MouthActivity
from dubstudio.ui.document import ProjectDocument
from dubstudio.ui.timeline.mouth_lane import LANE_HEIGHT as MOUTH_LANE_HEIGHT
from dubstudio.ui.timeline.painting import RULER_HEIGHT, TimelinePainter

EDGE_GRAB_PX = 6
SNAP_PX = 8
DRAG_THRESHOLD_PX = 3
MIN_PX_PER_S = 0.05
MAX_PX_PER_S = 4000.0
ZOOM_STEP = 1.25


@dataclass
class _Drag:
    mode: str  # "seek" | "start" | "end" | "move"
    segment_id: str
    press_x: float
    press_time: float
    start: float
    end: float
    moved: bool = False


class TimelineCanvas(QWidget):
    seek_requested = Signal(float)
    segment_clicked = Signal(str)
    retime_requested = Signal(str, float, float)
    view_changed = Signal()

    def __init__(self, doc: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.original: PeakSource | None = None
        self.dub_track: PeakSource | None = None
        self.clip_peaks = ClipPeakCache()
        self.media_duration = 0.0
        self.view_start = 0.0
        self.px_per_s = 100.0
        self.playhead = 0.0
        self.follow_playhead = True
        self._drag: _Drag | None = None
        self._preview: tuple[str, float, float] | None = None
        self._times = TimeIndex([])
        #: lip-sync assist: the video's mouth activity (third lane), and a status while it is read
        self.mouths: MouthActivity | None = None
        self.mouth_status = ""
        self.setMinimumHeight(140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        doc.structure_changed.connect(self._reindex)
        doc.segments_changed.connect(lambda _ids: self._reindex())
        doc.selection_changed.connect(lambda _sid: self.update())

    # ---- data ----------------------------------------------------------------------------------
    def set_peaks(self, original: PeakSource | None, dub_track: PeakSource | None = None) -> None:
        self.original = original
        self.dub_track = dub_track
        self._reindex()

    def _reindex(self) -> None:
        segments = self.doc.segments
        self._times = TimeIndex(segments)
        media = self.doc.project.media if self.doc.project else None
        ends = [segments[-1].end] if segments else []
        sources = [p.duration for p in (self.original, self.dub_track) if p is not None]
        self.media_duration = max([media.duration if media else 0.0, *ends, *sources, 0.0])
        self.view_changed.emit()
        self.update()

    @property
    def duration(self) -> float:
        return max(self.media_duration, 1.0)

    # ---- geometry ------------------------------------------------------------------------------
    @property
    def visible_seconds(self) -> float:
        return max(self.width(), 1) / self.px_per_s

    @property
    def view_end(self) -> float:
        return self.view_start + self.visible_seconds

    def x_of(self, seconds: float) -> float:
        return (seconds - self.view_start) * self.px_per_s

    def time_at(self, x: float) -> float:
        return min(max(self.view_start + x / self.px_per_s, 0.0), self.duration)

    def set_mouths(self, activity: MouthActivity | None, status: str = "") -> None:
        self.mouths, self.mouth_status = activity, status
        self.update()

    def mouth_lane_rect(self) -> QRectF | None:
        """The mouth-activity lane at the bottom, while there is mouth data or a status to show."""
        if self.mouths is None and not self.mouth_status:
            return None
        return QRectF(0, self.height() - MOUTH_LANE_HEIGHT, self.width(), MOUTH_LANE_HEIGHT)

    def lane_rects(self) -> tuple[QRectF, QRectF]:
        height = self.height() - RULER_HEIGHT - (MOUTH_LANE_HEIGHT + 1 if self.mouth_lane_rect() else 0)
        original_height = round(height * 0.58)
        original = QRectF(0, RULER_HEIGHT, self.width(), original_height)
        dub = QRectF(0, RULER_HEIGHT + original_height + 1, self.width(), height - original_height - 1)
        return original, dub

    def visible_rows(self) -> range:
        return self._times.overlapping(self.view_start, self.view_end)

    # ---- view control --------------------------------------------------------------------------
    def set_view_start(self, seconds: float) -> None:
        latest = max(0.0, self.duration - self.visible_seconds)
        seconds = min(max(seconds, 0.0), latest)
        if seconds != self.view_start:
            self.view_start = seconds
            self.view_changed.emit()
            self.update()

    def zoom(self, factor: float, anchor_time: float | None = None) -> None:
        anchor = self.playhead if anchor_time is None else anchor_time
        anchor_x = self.x_of(anchor)
        zoomed_out_fully = max(self.width() / self.duration, MIN_PX_PER_S)
        self.px_per_s = min(max(self.px_per_s * factor, zoomed_out_fully), MAX_PX_PER_S)
        self.view_start = -1.0  # force the clamp and signal below
        self.set_view_start(anchor - anchor_x / self.px_per_s)

    def zoom_to_fit(self) -> None:
        self.px_per_s = max(self.width() / self.duration, MIN_PX_PER_S)
        self.view_start = -1.0
        self.set_view_start(0.0)

    def show_span(self, start: float, end: float) -> None:
        """Scroll (zoom out if needed) so that start–end is in view with some margin."""
        span = end - start
        if span * 1.2 > self.visible_seconds:
            self.px_per_s = max(self.width() / (span * 1.5), MIN_PX_PER_S)
        if start < self.view_start or end > self.view_end:
            self.set_view_start(start - 0.15 * self.visible_seconds)
        else:
            self.update()

    def set_playhead(self, seconds: float) -> None:
        old_x = self.x_of(self.playhead)
        self.playhead = seconds
        if (
            self.follow_playhead
            and self._drag is None
            and not (self.view_start <= seconds <= self.view_start + 0.95 * self.visible_seconds)
        ):
            self.set_view_start(seconds - 0.1 * self.visible_seconds)
            return
        new_x = self.x_of(seconds)
        left, right = min(old_x, new_x) - 8, max(old_x, new_x) + 8
        self.update(int(left), 0, int(right - left) + 1, self.height())

    # ---- painting ------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        TimelinePainter(self, painter).paint()
        painter.end()

    def span_of(self, segment: Segment) -> tuple[float, float]:
        """The segment's span as shown: the drag's preview while it is being dragged."""
        if self._preview is not None and self._preview[0] == segment.id:
            return self._preview[1], self._preview[2]
        return segment.start, segment.end

    # ---- mouse ---------------------------------------------------------------------------------
    def hit_test(self, x: float, y: float) -> tuple[str, str]:
        """(`mode`, segment id) under a point: edge "start"/"end", "move" inside, else ("seek", "")."""
        original_lane, _dub_lane = self.lane_rects()
        if y < RULER_HEIGHT:
            return "seek", ""
        segments = self.doc.segments
        best: tuple[str, str] = ("seek", "")
        for row in self.visible_rows():
            segment = segments[row]
            x0, x1 = self.x_of(segment.start), self.x_of(segment.end)
            if original_lane.top() <= y <= original_lane.bottom():
                if abs(x - x0) <= EDGE_GRAB_PX:
                    return "start", segment.id
                if abs(x - x1) <= EDGE_GRAB_PX:
                    return "end", segment.id
            if x0 <= x <= x1:
                best = ("move" if y <= original_lane.bottom() else "select", segment.id)
        return best

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        x, y = event.position().x(), event.position().y()
        mode, segment_id = self.hit_test(x, y)
        segment = self.doc.segment(segment_id) if segment_id else None
        if self.doc.busy and mode in ("start", "end", "move"):
            mode = "select"  # no retiming while a background job owns the project
        if segment_id:
            self.doc.select(segment_id)
            self.segment_clicked.emit(segment_id)
        self._drag = _Drag(
            mode,
            segment_id,
            x,
            self.time_at(x),
            segment.start if segment else 0.0,
            segment.end if segment else 0.0,
        )
        if mode in ("seek", "select", "move"):
            self.seek_requested.emit(self.time_at(x))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        x = event.position().x()
        drag = self._drag
        if drag is None:
            mode, _ = self.hit_test(x, event.position().y())
            cursor = {"start": Qt.CursorShape.SizeHorCursor, "end": Qt.CursorShape.SizeHorCursor}
            self.setCursor(cursor.get(mode, Qt.CursorShape.ArrowCursor))
            return
        if abs(x - drag.press_x) >= DRAG_THRESHOLD_PX:
            drag.moved = True
        if not drag.moved:
            return
        if drag.mode in ("seek", "select"):
            self.seek_requested.emit(self.time_at(x))
            return
        free = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        span = dragged_span(
            drag.mode, drag.start, drag.end, self.time_at(x) - drag.press_time, self.doc.segments,
            self.doc.row_of(drag.segment_id), peaks=self.original, tolerance=SNAP_PX / self.px_per_s,
            duration=self.duration, free=free,
        )  # fmt: skip
        self._preview = (drag.segment_id, *span)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, preview = self._drag, self._preview
        self._drag, self._preview = None, None
        if drag is None or event.button() != Qt.MouseButton.LeftButton:
            return
        if drag.moved and preview is not None:
            _sid, start, end = preview
            if (round(start, 3), round(end, 3)) != (round(drag.start, 3), round(drag.end, 3)):
                self.retime_requested.emit(drag.segment_id, start, end)
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120 or event.angleDelta().x() / 120
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(ZOOM_STEP**steps, self.time_at(event.position().x()))
        else:
            self.set_view_start(self.view_start - steps * 0.15 * self.visible_seconds)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom(1 / ZOOM_STEP)
        elif key == Qt.Key.Key_Left:
            self.set_view_start(self.view_start - 0.2 * self.visible_seconds)
        elif key == Qt.Key.Key_Right:
            self.set_view_start(self.view_start + 0.2 * self.visible_seconds)
        elif key == Qt.Key.Key_Home:
            self.set_view_start(0.0)
        elif key == Qt.Key.Key_End:
            self.set_view_start(self.duration)
        else:
            super().keyPressEvent(event)


class TimelineWidget(QWidget):
    """The canvas with its horizontal scroll bar."""

    def __init__(self, doc: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = TimelineCanvas(doc, self)
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        row = QHBoxLayout()
        row.addWidget(self.canvas)
        layout.addLayout(row)
        layout.addWidget(self.scrollbar)
        self.canvas.view_changed.connect(self._sync_scrollbar)
        self.scrollbar.valueChanged.connect(lambda ms: self.canvas.set_view_start(ms / 1000))

    def _sync_scrollbar(self) -> None:
        canvas = self.canvas
        visible_ms = int(canvas.visible_seconds * 1000)
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, max(0, int(canvas.duration * 1000) - visible_ms))
        self.scrollbar.setPageStep(max(1, visible_ms))
        self.scrollbar.setSingleStep(max(1, visible_ms // 10))
        self.scrollbar.setValue(int(canvas.view_start * 1000))
        self.scrollbar.blockSignals(False)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._sync_scrollbar()
