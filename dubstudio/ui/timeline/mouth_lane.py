"""The timeline's third lane: mouth activity under the original and the dub.

Per pixel column it draws the mouth movement of the video (the largest jawOpen change of any face,
`stages/lipsync.MouthActivity.movement`) as bars, stretches where a mouth moves in a strong colour,
and stretches with no face on screen hatched grey (voice-over). Only the visible range is painted.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter

from dubstudio.stages.lipsync import MouthActivity

LANE_HEIGHT = 34
#: the movement drawn at the lane's full height (jawOpen range)
FULL_SCALE = 0.3


def paint_mouth_lane(
    painter: QPainter,
    lane: QRectF,
    activity: MouthActivity | None,
    status: str,
    view_start: float,
    px_per_s: float,
    dark: bool,
) -> None:
    """Paint the lane; `status` (e.g. "reading mouths… 40 %") is shown while there is no activity."""
    painter.fillRect(lane, QColor("#1e2024") if dark else QColor("#eceef1"))
    if activity is not None and len(activity.present):
        _paint_activity(painter, lane, activity, view_start, px_per_s, dark)
    painter.setPen(QColor("#c9ccd1") if dark else QColor("#3b3f45"))
    label = "Mouths" + (f" · {status}" if status and activity is None else "")
    metrics = painter.fontMetrics()
    box = QRectF(4, lane.top() + (lane.height() - 15) / 2, metrics.horizontalAdvance(label) + 10, 15)
    painter.fillRect(box, QColor(0, 0, 0, 110) if dark else QColor(255, 255, 255, 170))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)


def _paint_activity(
    painter: QPainter, lane: QRectF, activity: MouthActivity, view_start: float, px_per_s: float, dark: bool
) -> None:
    width = int(lane.width())
    if width < 1:
        return
    columns = np.arange(width)
    frames = ((view_start + (columns + 0.5) / px_per_s) * activity.fps).astype(int)
    inside = (frames >= 0) & (frames < len(activity.present))
    frames = np.clip(frames, 0, len(activity.present) - 1)
    present = activity.present[frames] & inside
    moving = activity.moving[frames] & inside
    level = np.clip(activity.movement[frames] / FULL_SCALE, 0.0, 1.0) * inside
    no_face = QBrush(QColor(128, 128, 128, 70), Qt.BrushStyle.BDiagPattern)
    still, active = QColor("#7d9f8a") if dark else QColor("#7aa58a"), QColor("#3ddc84")
    bottom, usable = lane.bottom() - 2, lane.height() - 4
    for first, end, kind in _column_runs(present, moving, inside):
        rect = QRectF(lane.left() + first, lane.top() + 1, end - first, lane.height() - 2)
        if kind == "none":
            painter.fillRect(rect, no_face)
            continue
        color = active if kind == "moving" else still
        for column in range(first, end):
            height = max(3.0, float(level[column]) * usable)
            painter.fillRect(QRectF(lane.left() + column, bottom - height, 1, height), color)


def _column_runs(present: np.ndarray, moving: np.ndarray, inside: np.ndarray):
    """(first column, end column, "none" | "still" | "moving") runs; columns outside the video are skipped."""
    kinds = np.where(~inside, 0, np.where(~present, 1, np.where(moving, 3, 2)))
    names = {1: "none", 2: "still", 3: "moving"}
    change = np.flatnonzero(np.diff(kinds)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(kinds)]])
    for first, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if kinds[first]:
            yield first, end, names[int(kinds[first])]
