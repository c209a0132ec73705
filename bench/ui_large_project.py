"""The editor with 2,000 segments over 3 hours of audio: open, paint, scroll, filter, edit, navigate.

Prints one line per measurement (ms) and the ratio to a 50 ms budget (a frame-free interaction).
Run: `xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python bench/ui_large_project.py`
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ui"))

from PySide6.QtCore import QSettings
from PySide6.QtGui import QPixmap
from ui_builders import large_project

from dubstudio.core.waveform import ensure_peaks
from dubstudio.ui.app import ensure_app
from dubstudio.ui.main_window import MainWindow
from dubstudio.ui.segments import Column
from dubstudio.ui.settings import AppSettings

BUDGET_MS = 50.0
SEGMENTS, HOURS = 2000, 3.0


def timed(label: str, action, repeat: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        action()
    ms = (time.perf_counter() - started) * 1000 / repeat
    print(f"{label:<48} {ms:9.1f} ms   ratio to {BUDGET_MS:.0f} ms: {ms / BUDGET_MS:.2f}")
    return ms


def main() -> int:
    app = ensure_app()
    work = Path(tempfile.mkdtemp(prefix="ui-large-"))
    started = time.perf_counter()
    folder = large_project(work / "large.dubstudio", segments=SEGMENTS, hours=HOURS)
    print(
        f"built {SEGMENTS} segments over {HOURS:.0f} h of 8 kHz audio "
        f"in {time.perf_counter() - started:.1f} s"
    )
    wav = folder / "audio" / "mix.wav"
    timed("waveform peaks, first time (worker thread)", lambda: ensure_peaks(wav))
    timed("waveform peaks, from the cache", lambda: ensure_peaks(wav))
    window = MainWindow(AppSettings(QSettings(str(work / "s.ini"), QSettings.Format.IniFormat)))
    window.quiet_dialogs = True
    window.show()
    app.processEvents()
    timed(
        "open project (load + fill table, timeline, queue)",
        lambda: (window.open_project(folder), app.processEvents()),
    )
    canvas = window.timeline.canvas
    canvas.set_peaks(ensure_peaks(wav))
    pixmap = QPixmap(canvas.size())

    def paint() -> None:
        canvas.render(pixmap)

    canvas.zoom_to_fit()
    timed(f"paint timeline, whole 3 h ({len(canvas.visible_rows())} regions)", paint, 5)
    canvas.px_per_s = canvas.width() / 60
    canvas.set_view_start(5000)
    timed(f"paint timeline, 1 minute ({len(canvas.visible_rows())} regions)", paint, 20)
    timed("scroll timeline by a page + paint", lambda: (canvas.set_view_start(canvas.view_end), paint()), 20)
    table = window.table.table
    timed("table: scroll to the last row", lambda: (table.scrollToBottom(), app.processEvents()))
    timed("table: filter to flagged", lambda: (window.table.set_filter("flagged"), app.processEvents()))
    timed("table: back to all", lambda: (window.table.set_filter("all"), app.processEvents()))
    timed("table: text search", lambda: (window.table.search.setText("1999"), app.processEvents()))
    window.table.search.clear()
    index = window.table.proxy.mapFromSource(window.table.model.index(1500, Column.TRANSLATION))
    timed(
        "edit a translation (undoable) + repaint",
        lambda: (window.table.proxy.setData(index, "Editado."), app.processEvents()),
    )
    timed("undo it", lambda: (window.undo_stack.undo(), app.processEvents()))
    timed(
        "F8 next flagged (select, scroll table and timeline)",
        lambda: (window.go_flagged(1), app.processEvents()),
        20,
    )
    timed(
        "split + merge (two structure changes)",
        lambda: (window.editing.split_selected(), window.editing.merge_selected(), app.processEvents()),
    )
    window.doc.set_dirty(False)
    timed("autosave (project.autosave.json)", lambda: window.doc.set_dirty(True) or window.files.autosave())
    window.undo_stack.clear()
    window.doc.set_dirty(False)
    window.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
