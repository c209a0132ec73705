"""The status bar's progress bar paints with the window's next paint, never synchronously."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject
from suite_timeouts import scaled_ms

from dubstudio.ui.progress import JobProgressBar

pytestmark = pytest.mark.gui


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, _watched, event) -> bool:
        self.paints += event.type() == QEvent.Type.Paint
        return False


def test_a_new_value_is_painted_later_and_once(qtbot):
    bar = JobProgressBar(maximum=1000)
    qtbot.addWidget(bar)
    bar.show()
    qtbot.waitExposed(bar)
    counter = PaintCounter()
    bar.installEventFilter(counter)
    for value in (100, 200, 300):
        bar.setValue(value)
    bar.setFormat("take 3/9  %p%")
    assert counter.paints == 0  # QProgressBar would have repainted three times by now
    qtbot.waitUntil(lambda: counter.paints >= 1, timeout=scaled_ms(2000))
    assert bar.value() == 300
    assert bar.text() == "take 3/9  30%"


def test_the_value_is_clamped_to_its_range(qtbot):
    bar = JobProgressBar(maximum=1000)
    qtbot.addWidget(bar)
    bar.setValue(1500)
    assert bar.text() == "100%"
    bar.setValue(-5)
    assert bar.value() == 0


def test_a_long_message_is_shortened_to_one_line(qtbot):
    bar = JobProgressBar(maximum=1000)
    qtbot.addWidget(bar)
    bar.setFixedWidth(220)
    bar.setValue(310)
    bar.setFormat("translating a very long stage message that cannot fit  %p%")
    shown = bar._style_option().text
    assert "…" in shown and shown.endswith("31%")
    assert bar.fontMetrics().horizontalAdvance(shown) <= 220
