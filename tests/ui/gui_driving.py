"""Driving the real editor as a user does, for the GUI tests and benches: key presses through the
window system (so QAction shortcuts fire), and modal dialogs read and answered by their buttons."""

from __future__ import annotations

import warnings

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox, QWidget


def keyboard(window: QWidget, wait_until=None):
    """`press(key, modifiers)` sending key events to the window's native window.

    Bare Xvfb has no window manager to activate the window, so it is made active by hand;
    `wait_until(predicate, timeout=ms)` (qtbot's) waits for that when given.
    """
    handle = window.windowHandle()
    handle.requestActivate()
    if QApplication.activeWindow() is not window:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            QApplication.setActiveWindow(window)
    if wait_until is not None:
        wait_until(lambda: QApplication.activeWindow() is window, timeout=3000)

    def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        QTest.keyClick(handle, key, modifier)

    return press


class ModalCatcher:
    """Records every modal message box that opens and closes it with the button named `press`
    (else OK, else its first button). Buttons named in `also` are clicked first, and the dialog
    must stay open for them (like "Copy report"); the clipboard after them is kept."""

    def __init__(self, press: str = "", also: tuple[str, ...] = ()) -> None:
        self.press = press
        self.also = also
        self.seen: list[dict[str, object]] = []
        self.clipboard = ""
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def _poll(self) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or not box.isVisible():
            return
        self.seen.append(
            {
                "title": box.windowTitle(),
                "text": box.text(),
                "info": box.informativeText(),
                "details": box.detailedText(),
                "icon": box.icon(),
            }
        )
        for name in self.also:
            extra = box.findChild(QAbstractButton, name)
            if extra is not None:
                extra.click()
                self.clipboard = QApplication.clipboard().text()
                assert box.isVisible(), f"pressing {name} closed the dialog"
        button = box.findChild(QAbstractButton, self.press) if self.press else None
        if button is None:
            button = box.button(QMessageBox.StandardButton.Ok) or box.buttons()[0]
        button.click()

    def stop(self) -> None:
        self.timer.stop()
