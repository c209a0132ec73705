"""Drive the editor as a user does: menu actions by their text, shortcuts as key events, modal dialogs
through their widgets (found by what the user reads: titles, labels, placeholders, button texts).

Tests written with these helpers depend on what the window shows, not on how it is built, so they
survive a restructuring of ui/main_window.py, jobs.py and actions.py.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QWidget,
)
from suite_timeouts import scaled_ms

#: how long a pipeline job in a GUI test may take before the test gives up
JOB_TIMEOUT_MS = scaled_ms(300_000)


def plain(text: str) -> str:
    return text.replace("&", "").rstrip("…").strip()


def action(window: QWidget, text: str) -> QAction:
    """The window's action whose menu text (without mnemonics and dots) is `text`."""
    actions = window.findChildren(QAction)
    found = [a for a in actions if plain(a.text()) == plain(text)]
    assert found, f"no action {text!r}; the window has: {sorted({plain(a.text()) for a in actions})}"
    return found[0]


def activate(window: QWidget, qtbot) -> None:
    """Make the window the active one, so its shortcuts receive key events (bare Xvfb has no window
    manager to do it)."""
    handle = window.windowHandle()
    handle.requestActivate()
    if QApplication.activeWindow() is not window:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            QApplication.setActiveWindow(window)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=scaled_ms(3000))


def press(window: QWidget, keys: str) -> None:
    """Send the key sequence `keys` ("Ctrl+Shift+R", "F8") through the window system."""
    combination = QKeySequence(keys)[0]
    QTest.keyClick(window.windowHandle(), combination.key(), combination.keyboardModifiers())


def button(parent: QWidget, text: str) -> QAbstractButton:
    buttons = parent.findChildren(QAbstractButton)
    found = [b for b in buttons if plain(b.text()) == plain(text) and b.isVisible()]
    assert found, f"no button {text!r} in {parent.windowTitle()!r}: {[b.text() for b in buttons]}"
    return found[0]


def labelled(dialog: QWidget, label: str) -> QWidget:
    """The field a form row shows next to the label `label` (e.g. "Dub into:")."""
    for form in dialog.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            widget = item.widget() if item is not None else None
            if isinstance(widget, QLabel) and plain(widget.text()) == plain(label):
                field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
                if field_item.widget() is not None:
                    return field_item.widget()
                layout = field_item.layout()
                widgets = [layout.itemAt(i).widget() for i in range(layout.count())]
                return next(widget for widget in widgets if widget is not None)
    raise AssertionError(f"no field labelled {label!r} in {dialog.windowTitle()!r}")


def line_edit(dialog: QWidget, placeholder: str) -> QLineEdit:
    found = [e for e in dialog.findChildren(QLineEdit) if e.placeholderText().startswith(placeholder)]
    assert found, f"no text field {placeholder!r} in {dialog.windowTitle()!r}"
    return found[0]


def type_into(edit: QLineEdit, text: str) -> None:
    """Replace the field's text by typing, as a user does (editing signals fire)."""
    edit.setFocus()
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key.Key_Delete)
    QTest.keyClicks(edit, text)


def choose(combo: QComboBox, label: str) -> None:
    """Pick the entry whose text starts with `label` with the keyboard, which emits `activated`."""
    index = next((i for i in range(combo.count()) if combo.itemText(i).startswith(label)), -1)
    assert index >= 0, f"no entry {label!r}: {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setFocus()
    steps = index - combo.currentIndex()
    for _ in range(abs(steps)):
        QTest.keyClick(combo, Qt.Key.Key_Down if steps > 0 else Qt.Key.Key_Up)
    assert combo.currentIndex() == index


@dataclass
class _Step:
    title: str
    act: Callable[[QWidget], None]
    seen: dict = field(default_factory=dict)


class Dialogs:
    """Answers the modal dialogs that open, in order, as a user would.

    `expect(title, act)` queues a step: when a modal dialog with that window title is active, `act(dialog)`
    fills it and clicks its button. A modal dialog nobody expected is recorded and closed (the test
    then fails in `done`), so a test never hangs on one.
    """

    def __init__(self) -> None:
        self.steps: list[_Step] = []
        self.unexpected: list[str] = []
        self.handled: list[QDialog] = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def expect(self, title: str, act: Callable[[QWidget], None]) -> dict:
        """Queue a step; returns a dict the step fills with what the dialog showed ("text", "title")."""
        step = _Step(title, act)
        self.steps.append(step)
        return step.seen

    def _poll(self) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog) or not dialog.isVisible():
            return
        pending = [s for s in self.steps if not s.seen]
        if pending and dialog.windowTitle() == pending[0].title:
            step = pending[0]
            step.seen.update(title=dialog.windowTitle(), text=_dialog_text(dialog))
            self.handled.append(dialog)
            step.act(dialog)
            return
        if any(dialog is seen for seen in self.handled):
            return  # answered already and still open: it is working (a job it started)
        self.unexpected.append(f"{dialog.windowTitle()}: {_dialog_text(dialog)}")
        dialog.reject()

    def answered(self) -> bool:
        return all(step.seen for step in self.steps)

    def done(self, qtbot, timeout_ms: int = 10_000) -> None:
        qtbot.waitUntil(self.answered, timeout=scaled_ms(timeout_ms))
        self.timer.stop()
        assert not self.unexpected, self.unexpected


def _dialog_text(dialog: QWidget) -> str:
    if isinstance(dialog, QMessageBox):
        return f"{dialog.text()}\n{dialog.informativeText()}"
    return "\n".join(label.text() for label in dialog.findChildren(QLabel) if label.isVisible())


def click(text: str) -> Callable[[QWidget], None]:
    """A step action that clicks the dialog's button `text`."""
    return lambda dialog: button(dialog, text).click()


def message_button(which: QMessageBox.StandardButton) -> Callable[[QWidget], None]:
    """A step action that clicks one of a message box's standard buttons (Save, Discard, Cancel…)."""

    def act(dialog: QWidget) -> None:
        assert isinstance(dialog, QMessageBox), dialog
        dialog.button(which).click()

    return act
