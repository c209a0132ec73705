"""How errors reach the user.

A `UserError` is its message: what is wrong, with which file, what to do (no traceback, no log).
Anything else is a bug: the dialog says so in one line, the report (`core.crash_log`: versions, the
traceback, a child process's traceback) is written to the user log folder and is behind "Show
Details…", and "Copy report" puts it on the clipboard for a bug report.

`install_exception_hook()` makes every exception that escapes a Qt slot or a thread end up here
instead of vanishing into stderr.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget

from dubstudio.core.crash_log import crash_report, error_summary, write_crash_report
from dubstudio.core.errors import UserError

COPY_REPORT = "copy-report"


def error_box(
    parent: QWidget | None, error: BaseException, details: str = "", title: str = "", context: str = ""
) -> QMessageBox:
    """The dialog for `error`; for a bug it also writes the report (`details` are added to it)."""
    box = QMessageBox(parent)
    if isinstance(error, UserError):
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title or "Cannot continue")
        box.setText(error.problem[:1].upper() + error.problem[1:] + ".")
        informative = []
        if error.path:
            informative.append(f"File: {error.path}")
        if error.fix:
            informative.append(error.fix)
        box.setInformativeText("\n\n".join(informative))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        return box
    report = crash_report(error, context)
    if details and details not in report:  # a traceback taken elsewhere (e.g. a worker's)
        report += "\n" + details
    log = write_crash_report(error, context)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(title or "Unexpected error")
    box.setText(f"Something went wrong inside DubStudio: {error_summary(error)}")
    saved = f" The report is saved in {log}." if log is not None else ""
    box.setInformativeText(
        "This is a bug, not a problem with your input. Your project is safe up to the last save or "
        f"autosave.{saved} Please attach the report to a bug report."
    )
    box.setDetailedText(report)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    copy = QPushButton("Copy report", box)
    copy.setObjectName(COPY_REPORT)
    box.addButton(copy, QMessageBox.ButtonRole.ActionRole)
    copy.clicked.disconnect()  # the message box would close on it: copying keeps it open
    copy.clicked.connect(lambda: QApplication.clipboard().setText(report))
    return box


def show_error(
    parent: QWidget | None, error: BaseException, details: str = "", title: str = "", context: str = ""
) -> None:
    error_box(parent, error, details, title, context).exec()


class _ErrorRelay(QObject):
    """Carries an exception from any thread to the GUI thread (a queued signal)."""

    raised = Signal(object, str)


class _Hook:
    def __init__(self) -> None:
        self.relay = _ErrorRelay()
        self.relay.raised.connect(self.show, Qt.ConnectionType.QueuedConnection)
        self.showing = False
        self.previous_hook = sys.excepthook

    def excepthook(
        self, kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        if not isinstance(error, Exception):  # KeyboardInterrupt, SystemExit: not ours to report
            self.previous_hook(kind, error, trace)
            return
        if trace is not None and error.__traceback__ is None:
            error = error.with_traceback(trace)
        self.relay.raised.emit(error, "")

    def thread_hook(self, info: threading.ExceptHookArgs) -> None:
        if info.exc_value is not None and isinstance(info.exc_value, Exception):
            self.relay.raised.emit(info.exc_value, f"the thread {info.thread.name if info.thread else '?'}")

    def show(self, error: BaseException, context: str) -> None:
        if self.showing:  # one dialog at a time; the others are still logged
            if not isinstance(error, UserError):
                write_crash_report(error, context)
            return
        self.showing = True
        try:
            show_error(QApplication.activeWindow(), error, context=context)
        finally:
            self.showing = False


_hook: _Hook | None = None


def install_exception_hook() -> None:
    """Route uncaught exceptions (Qt slots, threads) to the error dialog; once per process."""
    global _hook
    if _hook is None:
        _hook = _Hook()
        sys.excepthook = _hook.excepthook
        threading.excepthook = _hook.thread_hook
