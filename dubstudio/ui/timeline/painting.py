"""Painting the timeline canvas: ruler, regions, waveforms, the dub lane, labels and the playhead.

`TimelinePainter` draws one frame of a `TimelineCanvas` (built per paint event): the canvas keeps
the state and the geometry (view range, lanes, `x_of`), this draws it. Only the visible range is
drawn: regions from the canvas's time index, waveform columns from the peaks pyramid.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPolygonF

from dubstudio.core.clip_peaks import COMPUTE_BUDGET_S, MAX_CLIP_WAVEFORMS
from dubstudio.core.project import Segment
from dubstudio.core.snapping import PeakSource
from dubstudio.core.timeline import format_timecode
from dubstudio.ui.theme import ERROR_COLOR, WARNING_COLOR, is_dark, speaker_color
from dubstudio.ui.timeline.mouth_lane import paint_mouth_lane

if TYPE_CHECKING:
    from dubstudio.ui.timeline.widget import TimelineCanvas

RULER_HEIGHT = 22
TICK_STEPS = (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


class TimelinePainter:
    """Draws one frame of `canvas` with `painter` (the paint event's)."""

    def __init__(self, canvas: TimelineCanvas, painter: QPainter) -> None:
        self.canvas = canvas
        self.painter = painter

    def paint(self) -> None:
        painter, canvas = self.painter, self.canvas
        palette = canvas.palette()
        dark = is_dark(palette)
        painter.fillRect(canvas.rect(), palette.base())
        original_lane, dub_lane = canvas.lane_rects()
        lane_fill = QColor("#232428") if dark else QColor("#f3f4f6")
        painter.fillRect(original_lane, lane_fill)
        painter.fillRect(dub_lane, lane_fill)
        self._paint_ruler(dark)
        rows = canvas.visible_rows()
        segments = canvas.doc.segments
        self._paint_regions(segments, rows, original_lane)
        wave_color = QColor("#9fb7d6") if dark else QColor("#40618f")
        if canvas.original is not None:
            self._paint_wave(canvas.original, original_lane, wave_color, canvas.view_start, canvas.view_end)
        self._paint_dub_lane(segments, rows, dub_lane, dark)
        self._paint_lane_labels(original_lane, dub_lane, dark)
        mouth_lane = canvas.mouth_lane_rect()
        if mouth_lane is not None:
            paint_mouth_lane(
                painter,
                mouth_lane,
                canvas.mouths,
                canvas.mouth_status,
                canvas.view_start,
                canvas.px_per_s,
                dark,
            )
        self._paint_playhead()

    def _paint_ruler(self, dark: bool) -> None:
        painter, canvas = self.painter, self.canvas
        painter.fillRect(
            QRectF(0, 0, canvas.width(), RULER_HEIGHT), QColor("#1b1c1f") if dark else QColor("#e4e6ea")
        )
        step = next((s for s in TICK_STEPS if s * canvas.px_per_s >= 90), TICK_STEPS[-1])
        painter.setPen(QColor("#8a8f98"))
        font = QFont(canvas.font())
        font.setPointSizeF(max(7.5, font.pointSizeF() - 1.5))
        painter.setFont(font)
        tick = int(canvas.view_start / step) * step
        while tick <= canvas.view_end:
            x = canvas.x_of(tick)
            painter.drawLine(QPointF(x, RULER_HEIGHT - 7), QPointF(x, RULER_HEIGHT))
            label = format_timecode(max(tick, 0.0))
            label = label[3:] if tick < 3600 else label
            label = label if step < 1 else label.split(".")[0]
            painter.drawText(QPointF(x + 3, RULER_HEIGHT - 8), label)
            minor = step / 5
            for k in range(1, 5):
                mx = canvas.x_of(tick + k * minor)
                painter.drawLine(QPointF(mx, RULER_HEIGHT - 3), QPointF(mx, RULER_HEIGHT))
            tick += step

    def _paint_regions(self, segments: list[Segment], rows: range, lane: QRectF) -> None:
        painter, canvas = self.painter, self.canvas
        selected = canvas.doc.selected_id
        label_font = QFont(canvas.font())
        label_font.setPointSizeF(max(7.5, label_font.pointSizeF() - 1))
        painter.setFont(label_font)
        metrics = painter.fontMetrics()
        for row in rows:
            segment = segments[row]
            start, end = canvas.span_of(segment)
            x0, x1 = canvas.x_of(start), canvas.x_of(end)
            if x1 < 0 or x0 > canvas.width():
                continue
            color = speaker_color(canvas.doc.project.speaker_index(segment.speaker_id))
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

    def _paint_wave(self, peaks: PeakSource, lane: QRectF, color: QColor, start: float, end: float) -> None:
        """Fill the min/max envelope of [start, end) across the pixels it covers inside `lane`."""
        painter, canvas = self.painter, self.canvas
        start, end = max(start, 0.0), min(end, peaks.duration)
        x0, x1 = max(canvas.x_of(start), 0.0), min(canvas.x_of(end), float(canvas.width()))
        columns = int(x1 - x0)
        if columns < 1 or end <= start:
            return
        t0, t1 = canvas.time_at(x0), canvas.view_start + x1 / canvas.px_per_s
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

    def _paint_dub_lane(self, segments: list[Segment], rows: range, lane: QRectF, dark: bool) -> None:
        painter, canvas = self.painter, self.canvas
        wave_color = QColor("#d9b36c") if dark else QColor("#8a5a00")
        if canvas.dub_track is not None:
            self._paint_wave(canvas.dub_track, lane, wave_color, canvas.view_start, canvas.view_end)
        draw_waves = canvas.dub_track is None and len(rows) <= MAX_CLIP_WAVEFORMS and canvas.doc.project_dir
        compute_until = time.perf_counter() + COMPUTE_BUDGET_S
        canvas.clip_peaks.deferred = False
        for row in rows:
            segment = segments[row]
            clip = segment.clip
            if clip is None:
                continue
            x0, x1 = canvas.x_of(clip.start), canvas.x_of(clip.end)
            if x1 < 0 or x0 > canvas.width():
                continue
            color = speaker_color(canvas.doc.project.speaker_index(segment.speaker_id))
            color.setAlpha(45)
            painter.fillRect(QRectF(x0, lane.top() + 2, max(x1 - x0, 1.0), lane.height() - 4), color)
            if draw_waves:
                compute = time.perf_counter() < compute_until
                self._paint_clip_wave(clip.path, clip.start, clip.end, lane, wave_color, compute)
            if clip.overflow > 0:
                over = QRectF(
                    x1 - clip.overflow * canvas.px_per_s, lane.top() + 2, clip.overflow * canvas.px_per_s, 4
                )
                painter.fillRect(over, ERROR_COLOR)
            if "synthesis" in segment.stale:
                painter.setPen(QPen(WARNING_COLOR, 1, Qt.PenStyle.DashLine))
                painter.drawRect(QRectF(x0, lane.top() + 2, max(x1 - x0, 1.0), lane.height() - 5))
        if canvas.clip_peaks.deferred:
            QTimer.singleShot(0, canvas.update)  # the clips left out come in the next paint

    def _paint_clip_wave(
        self,
        relative: str,
        start: float,
        end: float,
        lane: QRectF,
        color: QColor,
        compute: bool,
    ) -> None:
        canvas = self.canvas
        path = canvas.clip_peaks.path_of(canvas.doc.project_dir, relative)  # type: ignore[arg-type]
        peaks = canvas.clip_peaks.get(path, compute=compute) if path is not None else None
        if peaks is None:
            return
        shifted = _ShiftedPeaks(peaks, start)
        self._paint_wave(shifted, lane, color, start, min(end, start + peaks.duration))

    def _paint_lane_labels(self, original: QRectF, dub: QRectF, dark: bool) -> None:
        painter = self.painter
        painter.setPen(QColor("#c9ccd1") if dark else QColor("#3b3f45"))
        for lane, text in ((original, "Original"), (dub, "Dub")):
            box = QRectF(4, lane.top() + lane.height() - 18, 58, 15)
            painter.fillRect(box, QColor(0, 0, 0, 110) if dark else QColor(255, 255, 255, 170))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_playhead(self) -> None:
        painter, canvas = self.painter, self.canvas
        x = canvas.x_of(canvas.playhead)
        if -2 <= x <= canvas.width() + 2:
            painter.setPen(QPen(QColor("#ff4d4d"), 1.5))
            painter.drawLine(QPointF(x, 0), QPointF(x, canvas.height()))
            painter.setBrush(QColor("#ff4d4d"))
            painter.drawPolygon(QPolygonF([QPointF(x - 5, 0), QPointF(x + 5, 0), QPointF(x, 7)]))


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
