"""Application entry: QApplication setup, theme, the main window, and headless screenshots.

`run_gui(project_dir, screenshot)` is what `dubstudio` (no command) and `dubstudio open` call.
With `screenshot`, the window is shown, given time to lay out and load the project, rendered to
a PNG and the application exits: through `QScreen.grabWindow(0)` on a real (or Xvfb) display, so
VLC's native video area is captured too; through `QWidget.grab()` on the offscreen platform.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QGuiApplication, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from dubstudio import __version__
from dubstudio.ui.theme import apply_theme

#: Python's GIL hand-over interval in the editor (default 5 ms). Qt calls into Python for every
#: slot, paint and model cell, taking the GIL each time; with a job's Python code running on a
#: worker thread each take can wait a whole interval, and one repaint takes it hundreds of times.
GUI_SWITCH_INTERVAL_S = 0.001

#: how long a screenshot run waits for layout, peaks and the first video frame (ms)
SCREENSHOT_DELAY_MS = 2500


def ensure_app() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    QCoreApplication.setOrganizationName("DubStudio")
    QCoreApplication.setApplicationName("DubStudio")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(sys.argv[:1])
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
    QGuiApplication.setDesktopFileName("dubstudio")
    icon = app_icon_path()
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))
    from dubstudio.ui.settings import AppSettings

    apply_theme(app, AppSettings().text("ui/theme") or "dark")
    from dubstudio.ui.dialogs.error import install_exception_hook

    install_exception_hook()
    return app


def app_icon_path() -> Path | None:
    """resources/icons/dubstudio.svg of a source checkout or of a PyInstaller bundle, if present."""
    roots = [Path(__file__).resolve().parents[2], Path(getattr(sys, "_MEIPASS", "."))]
    return next((p for r in roots if (p := r / "resources" / "icons" / "dubstudio.svg").is_file()), None)


def grab_window(widget: QWidget) -> QPixmap:
    """The window as the user sees it (native children such as VLC's video included when possible)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if QGuiApplication.platformName() != "offscreen" and screen is not None:
        frame = widget.frameGeometry()
        shot = screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
        if not shot.isNull():
            return shot
    return widget.grab()


def save_screenshot(widget: QWidget, path: Path) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    return grab_window(widget).save(str(path), "PNG")


def run_gui(project_dir: Path | None, screenshot: Path | None, *, media: Path | None = None) -> int:
    """Open the editor (with a project, or the new-project dialog for `media`); with `screenshot`,
    save a PNG and exit."""
    app = ensure_app()
    from dubstudio.ui.main_window import MainWindow

    window = MainWindow()
    if screenshot is None:
        window.restore_layout()
    window.show()
    if project_dir is not None:
        QTimer.singleShot(0, lambda: window.open_project(Path(project_dir)))
    elif media is not None:
        QTimer.singleShot(0, lambda: window.new_project(Path(media)))
    if screenshot is not None:
        result = {"ok": False}

        def shoot() -> None:
            result["ok"] = save_screenshot(window, Path(screenshot))
            window.doc.set_dirty(False)
            window.close()
            app.quit()

        QTimer.singleShot(SCREENSHOT_DELAY_MS, shoot)
        app.exec()
        if not result["ok"]:
            print(f"Could not write the screenshot {screenshot}", file=sys.stderr)
            return 1
        print(f"Screenshot saved to {screenshot}")
        return 0
    return app.exec()
