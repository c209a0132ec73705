"""The waveform timeline, painted by hand (one widget, no item per segment).

Only the visible time range is painted: segments in view come from a `core.timeline.TimeIndex`,
waveform columns come from the peaks pyramid (`Peaks.range`), so a 3-hour project with
thousands of segments paints as fast as a short one.

Mouse: click seeks (and selects the region under the pointer); dragging a region's edge retimes it,
dragging its body moves it; edges snap to word boundaries, silences and neighbours (hold Alt to
place freely). The drag is previewed locally and reported once on release as `retime_requested`,
which the main window turns into an undoable command. Wheel scrolls, Ctrl+wheel zooms.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QScrollBar, QSizePolicy, QVBoxLayout, QWidget

from dubstudio.core.clip_peaks import COMPUTE_BUDGET_S, MAX_CLIP_WAVEFORMS, ClipPeakCache
from dubstudio.core.project import Segment
from dubstudio.core.snapping import PeakSource, dragged_span
from dubstudio.core.timeline import TimeIndex, format_timecode
from dubstudio.stages.lipsync import MouthActivity
from dubstudio.ui.document import ProjectDocument
from dubstudio.ui.theme import ERROR_COLOR, WARNING_COLOR, is_dark, speaker_color
from dubstudio.ui.timeline.mouth_lane import LANE_HEIGHT as MOUTH_LANE_HEIGHT
from dubstudio.ui.timeline.mouth_lane import paint_mouth_lane

RULER_HEIGHT = 22
EDGE_GRAB_PX = 6
SNAP_PX = 8
DRAG_THRESHOLD_PX = 3
MIN_PX_PER_S = 0.05
MAX_PX_PER_S = 4000.0
ZOOM_STEP = 1.25
TICK_STEPS = (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


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
        palette = self.palette()
        dark = is_dark(palette)
        painter.fillRect(self.rect(), palette.base())
        original_lane, dub_lane = self.lane_rects()
        lane_fill = QColor("#232428") if dark else QColor("#f3f4f6")
        painter.fillRect(original_lane, lane_fill)
        painter.fillRect(dub_lane, lane_fill)
        self._paint_ruler(painter, dark)
        rows = self.visible_rows()
        segments = self.doc.segments
        self._paint_regions(painter, segments, rows, original_lane)
        wave_color = QColor("#9fb7d6") if dark else QColor("#40618f")
        if self.original is not None:
            self._paint_wave(
                painter, self.original, original_lane, wave_color, self.view_start, self.view_end
            )
        self._paint_dub_lane(painter, segments, rows, dub_lane, dark)
        self._paint_lane_labels(painter, original_lane, dub_lane, dark)
        mouth_lane = self.mouth_lane_rect()
        if mouth_lane is not None:
            paint_mouth_lane(
                painter, mouth_lane, self.mouths, self.mouth_status, self.view_start, self.px_per_s, dark
            )
        self._paint_playhead(painter)
        painter.end()

    def _paint_ruler(self, painter: QPainter, dark: bool) -> None:
        painter.fillRect(
            QRectF(0, 0, self.width(), RULER_HEIGHT), QColor("#1b1c1f") if dark else QColor("#e4e6ea")
        )
        step = next((s for s in TICK_STEPS if s * self.px_per_s >= 90), TICK_STEPS[-1])
        painter.setPen(QColor("#8a8f98"))
        font = QFont(self.font())
        font.setPointSizeF(max(7.5, font.pointSizeF() - 1.5))
        painter.setFont(font)
        tick = int(self.view_start / step) * step
        while tick <= self.view_end:
            x = self.x_of(tick)
            painter.drawLine(QPointF(x, RULER_HEIGHT - 7), QPointF(x, RULER_HEIGHT))
            label = format_timecode(max(tick, 0.0))
            label = label[3:] if tick < 3600 else label
            label = label if step < 1 else label.split(".")[0]
            painter.drawText(QPointF(x + 3, RULER_HEIGHT - 8), label)
            minor = step / 5
            for k in range(1, 5):
                mx = self.x_of(tick + k * minor)
                painter.drawLine(QPointF(mx, RULER_HEIGHT - 3), QPointF(mx, RULER_HEIGHT))
            tick += step

    def _span_of(self, segment: Segment) -> tuple[float, float]:
        if self._preview is not None and self._preview[0] == segment.id:
            return self._preview[1], self._preview[2]
        return segment.start, segment.end

    def _paint_regions(self, painter: QPainter, segments: list[Segment], rows: range, lane: QRectF) -> None:
        selected = self.doc.selected_id
        label_font = QFont(self.font())
        label_font.setPointSizeF(max(7.5, label_font.pointSizeF() - 1))
        painter.setFont(label_font)
        metrics = painter.fontMetrics()
        for row in rows:
            segment = segments[row]
            start, end = self._span_of(segment)
            x0, x1 = self.x_of(start), self.x_of(end)
            if x1 < 0 or x0 > self.width():
                continue
            color = speaker_color(self.doc.project.speaker_index(segment.speaker_id))
            is_selected = segment.id == selected
            fill = QColor(color)
            fill.setAlpha(95 if is_selected else 50)
            rect = QRectF(x0, lane.top(), max(x1 - x0, 1.0), lane.height())
            painter.fillRect(rect, fill)
            border = QColor(color)
            border.setAlpha(230)
            painter.setPen(QPen(QColor("#ffffff") if is_selected else border, 2 if is_selected else 1))
            painter.drawLine(QPointF(x0, lane.top()), QPointF(x0, lane.bottom()))
            painter.drawLine(QPointF(x1, lane.top()), QPointF(x1, lane.bottom()))
            if segment.is_flagged:
                flag = (
                    ERROR_COLOR if any(i.severity == "error" for i in segment.open_issues) else WARNING_COLOR
                )
                painter.fillRect(QRectF(x0, lane.top(), max(x1 - x0, 2.0), 4), flag)
            if x1 - x0 > 28:
                text = f"{row + 1}  {segment.translated_text or segment.original_text}"
                painter.setPen(QColor("#ffffff") if is_selected else QColor(color).lighter(150))
                elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(x1 - x0 - 8))
                painter.drawText(QPointF(x0 + 4, lane.top() + 6 + metrics.ascent()), elided)

    def _paint_wave(
        self, painter: QPainter, peaks: PeakSource, lane: QRectF, color: QColor, start: float, end: float
    ) -> None:
        """Fill the min/max envelope of [start, end) across the pixels it covers inside `lane`."""
        start, end = max(start, 0.0), min(end, peaks.duration)
        x0, x1 = max(self.x_of(start), 0.0), min(self.x_of(end), float(self.width()))
        columns = int(x1 - x0)
        if columns < 1 or end <= start:
            return
        t0, t1 = self.time_at(x0), self.view_start + x1 / self.px_per_s
        mins, maxs = peaks.range(t0, t1, columns)
        middle, half = lane.center().y(), lane.height() * 0.46
        xs = x0 + np.arange(columns, dtype=np.float64) + 0.5
        top = middle - np.maximum(maxs, 0.004) * half
        bottom = middle - np.minimum(mins, -0.004) * half
        points = [QPointF(x, y) for x, y in zip(xs, top, strict=True)]
        points += [QPointF(x, y) for x, y in zip(xs[::-1], bottom[::-1], strict=True)]
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawPolygon(QPolygonF(points))
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_dub_lane(
        self, painter: QPainter, segments: list[Segment], rows: range, lane: QRectF, dark: bool
    ) -> None:
        wave_color = QColor("#d9b36c") if dark else QColor("#8a5a00")
        if self.dub_track is not None:
            self._paint_wave(painter, self.dub_track, lane, wave_color, self.view_start, self.view_end)
        draw_waves = self.dub_track is None and len(rows) <= MAX_CLIP_WAVEFORMS and self.doc.project_dir
        compute_until = time.perf_counter() + COMPUTE_BUDGET_S
        self.clip_peaks.deferred = False
        for row in rows:
            segment = segments[row]
            clip = segment.clip
            if clip is None:
                continue
            x0, x1 = self.x_of(clip.start), self.x_of(clip.end)
            if x1 < 0 or x0 > self.width():
                continue
            color = speaker_color(self.doc.project.speaker_index(segment.speaker_id))
            color.setAlpha(45)
            painter.fillRect(QRectF(x0, lane.top() + 2, max(x1 - x0, 1.0), lane.height() - 4), color)
            if draw_waves:
                compute = time.perf_counter() < compute_until
                self._paint_clip_wave(painter, clip.path, clip.start, clip.end, lane, wave_color, compute)
            if clip.overflow > 0:
                over = QRectF(
                    x1 - clip.overflow * self.px_per_s, lane.top() + 2, clip.overflow * self.px_per_s, 4
                )
                painter.fillRect(over, ERROR_COLOR)
            if "synthesis" in segment.stale:
                painter.setPen(QPen(WARNING_COLOR, 1, Qt.PenStyle.DashLine))
                painter.drawRect(QRectF(x0, lane.top() + 2, max(x1 - x0, 1.0), lane.height() - 5))
        if self.clip_peaks.deferred:
            QTimer.singleShot(0, self.update)  # the clips left out come in the next paint

    def _paint_clip_wave(
        self,
        painter: QPainter,
        relative: str,
        start: float,
        end: float,
        lane: QRectF,
        color: QColor,
        compute: bool,
    ) -> None:
        path = self.clip_peaks.path_of(self.doc.project_dir, relative)  # type: ignore[arg-type]
        peaks = self.clip_peaks.get(path, compute=compute) if path is not None else None
        if peaks is None:
            return
        shifted = _ShiftedPeaks(peaks, start)
        self._paint_wave(painter, shifted, lane, color, start, min(end, start + peaks.duration))

    def _paint_lane_labels(self, painter: QPainter, original: QRectF, dub: QRectF, dark: bool) -> None:
        painter.setPen(QColor("#c9ccd1") if dark else QColor("#3b3f45"))
        for lane, text in ((original, "Original"), (dub, "Dub")):
            box = QRectF(4, lane.top() + lane.height() - 18, 58, 15)
            painter.fillRect(box, QColor(0, 0, 0, 110) if dark else QColor(255, 255, 255, 170))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_playhead(self, painter: QPainter) -> None:
        x = self.x_of(self.playhead)
        if -2 <= x <= self.width() + 2:
            painter.setPen(QPen(QColor("#ff4d4d"), 1.5))
            painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
            painter.setBrush(QColor("#ff4d4d"))
            painter.drawPolygon(QPolygonF([QPointF(x - 5, 0), QPointF(x + 5, 0), QPointF(x, 7)]))

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


class _ShiftedPeaks:
    """A clip's peaks placed at `offset` on the timeline."""

    def __init__(self, peaks: PeakSource, offset: float) -> None:
        self.peaks = peaks
        self.offset = offset

    @property
    def duration(self) -> float:
        return self.offset + self.peaks.duration

    def range(self, start_s: float, end_s: float, buckets: int) -> tuple[np.ndarray, np.ndarray]:
        return self.peaks.range(start_s - self.offset, end_s - self.offset, buckets)


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
