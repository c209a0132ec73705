"""The status bar's job progress: what the main job is doing, how far it is, and Cancel.

`JobStatus` shows a `JobController`'s main lane: the stage label, the bar and the Cancel button
appear while a job runs.

`JobProgressBar` is a progress bar that never repaints synchronously.

`QProgressBar.setValue` calls `repaint()` whenever the shown value changes, and a synchronous
repaint also paints every other dirty widget of the window there and then: right after a stage's
results arrive (a fresh table, timeline and review list) that made one progress signal cost 20 ms,
and a burst of them a visible stall (bench/ui_responsiveness.py). This bar draws the same native
control, but a new value only schedules a paint, which Qt merges with the window's next one.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QSizePolicy,
    QStatusBar,
    QStyle,
    QStyleOptionProgressBar,
    QWidget,
)

from dubstudio.ui.jobs import JobController, stage_label

#: the status bar shows this much of a progress message
MESSAGE_CHARS = 40


class JobProgressBar(QWidget):
    """Value in [0, maximum]; `format` takes "%p" (percent) and "%v" (value) like QProgressBar's."""

    def __init__(self, parent: QWidget | None = None, *, maximum: int = 1000) -> None:
        super().__init__(parent)
        self._maximum = maximum
        self._value = 0
        self._format = "%p%"
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def value(self) -> int:
        return self._value

    def setValue(self, value: int) -> None:  # Qt naming: a drop-in for QProgressBar
        value = max(0, min(self._maximum, int(value)))
        if value != self._value:
            self._value = value
            self.update()

    def setFormat(self, text_format: str) -> None:
        if text_format != self._format:
            self._format = text_format
            self.update()

    def text(self) -> str:
        percent = round(100 * self._value / self._maximum) if self._maximum else 0
        return self._format.replace("%p", str(percent)).replace("%v", str(self._value))

    def _style_option(self) -> QStyleOptionProgressBar:
        option = QStyleOptionProgressBar()
        option.initFrom(self)
        option.minimum, option.maximum, option.progress = 0, self._maximum, self._value
        # one line, shortened in the middle to fit (a long stage message would wrap)
        room = max(0, self.width() - 16)
        option.text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle, room)
        option.textVisible = True
        option.textAlignment = Qt.AlignmentFlag.AlignCenter
        option.state |= QStyle.StateFlag.State_Horizontal
        return option

    def sizeHint(self) -> QSize:
        option = self._style_option()
        content = QSize(self.fontMetrics().horizontalAdvance("100%") + 40, self.fontMetrics().height() + 4)
        return self.style().sizeFromContents(QStyle.ContentsType.CT_ProgressBar, option, content, self)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        self.style().drawControl(QStyle.ControlElement.CE_ProgressBar, self._style_option(), painter, self)


class JobStatus(QObject):
    """The main job's stage, progress and Cancel button in a status bar (hidden between jobs).

    Between main jobs, a background job's progress shows there too, without Cancel: a first run's
    voice measurement during the editor's engine warm-up takes a minute, and a wait must show."""

    def __init__(self, jobs: JobController, status_bar: QStatusBar) -> None:
        super().__init__(status_bar)
        self.label = QLabel(status_bar)
        self.bar = JobProgressBar(status_bar, maximum=1000)
        self.bar.setFixedWidth(220)
        self.cancel_button = QPushButton(
            status_bar.style().standardIcon(QStyle.StandardPixmap.SP_BrowserStop), "Cancel", status_bar
        )
        self.cancel_button.clicked.connect(jobs.cancel)
        self._widgets = (self.label, self.bar, self.cancel_button)
        for widget in self._widgets:
            status_bar.addPermanentWidget(widget)
            widget.hide()
        jobs.started.connect(self._started)
        jobs.progress.connect(self._progress)
        jobs.cancelling.connect(lambda: self.label.setText("Cancelling…"))
        jobs.finished.connect(self._finished)
        jobs.background_progress.connect(self._background_progress)
        jobs.background_finished.connect(self._background_finished)
        self._jobs = jobs
        self._background_shown = False

    def _started(self, name: str) -> None:
        self._background_shown = False
        self.label.setText(name + "…")
        self.bar.setValue(0)
        self.bar.setFormat("%p%")
        for widget in self._widgets:
            widget.show()

    def _progress(self, stage: str, fraction: float, message: str) -> None:
        self.label.setText(stage_label(stage))
        self.bar.setValue(round(fraction * 1000))
        self.bar.setFormat(f"{message[:MESSAGE_CHARS]}  %p%" if message else "%p%")

    def _finished(self, _name: str) -> None:
        for widget in self._widgets:
            widget.hide()

    def _background_progress(self, stage: str, fraction: float, message: str) -> None:
        if self._jobs.is_running:
            return
        self._background_shown = True
        self.label.show()
        self.bar.show()
        self._progress(stage, fraction, message)

    def _background_finished(self, _lane: str) -> None:
        if self._background_shown and not self._jobs.is_running:
            self._background_shown = False
            self._finished("")
