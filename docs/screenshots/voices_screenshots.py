"""Screenshots of the Voices dialog and of the voice column's tooltip on a dubbed project.

Run under Xvfb on a project `dubstudio dub` made (the sample: `dubstudio dub
resources/sample/dialogue.mp4 --to es --out /tmp/voices-sample`):
`xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots/voices_screenshots.py
/tmp/voices-sample docs/screenshots`. The first speaker is named (into a voice library in a temporary
file, not the user's) so the dialog shows a library entry next to an unnamed speaker.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QToolTip

from dubstudio.ui.app import ensure_app, save_screenshot
from dubstudio.ui.segments.model import Column


def main(project_dir: Path, out: Path) -> None:
    os.environ.setdefault("DUBSTUDIO_VOICE_LIBRARY", str(Path(tempfile.mkdtemp()) / "voice_library.sqlite"))
    app = ensure_app()
    from dubstudio.ui.dialogs.voices import VoicesDialog
    from dubstudio.ui.main_window import MainWindow

    window = MainWindow()
    window.quiet_dialogs = True
    window.show()
    window.open_project(project_dir)

    def dialog_shot() -> None:
        dialog = VoicesDialog(window.doc, window.undo_stack, parent=window)
        dialog.show()
        dialog.select_speaker(window.doc.project.speakers[0].id)
        dialog.name_speaker("Maya")
        dialog.select_speaker(window.doc.project.speakers[-1].id)
        QTimer.singleShot(800, lambda: (save_screenshot(dialog, out / "voices_dialog.png"), dialog.close()))

    def tooltip_shot() -> None:
        table = window.table.table
        index = window.table.proxy.index(1, Column.VOICE)
        rect = table.visualRect(index)
        where = table.viewport().mapToGlobal(rect.center())
        text = index.data(3)  # Qt.ToolTipRole
        QToolTip.showText(where, text, table.viewport())
        QTimer.singleShot(800, lambda: save_area(where))

    def save_area(where: QPoint) -> None:
        screen = QGuiApplication.primaryScreen()
        left, top = max(0, where.x() - 700), max(0, where.y() - 160)
        shot = screen.grabWindow(0, left, top, 1100, 420)
        shot.save(str(out / "voice_column_tooltip.png"), "PNG")
        window.undo_stack.clear()
        window.doc.set_dirty(False)
        window.close()
        app.quit()

    QTimer.singleShot(3000, dialog_shot)
    QTimer.singleShot(6000, tooltip_shot)
    app.exec()
    print(f"wrote {out / 'voices_dialog.png'} and {out / 'voice_column_tooltip.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else Path("docs/screenshots"))
