"""File → Batch…: the batch queue of an output folder, the same one `dubstudio batch` runs.

Add media files (or a manifest CSV), choose the dub languages, Start: the jobs run on local worker
processes, or on Ray, through `dubstudio.batch.controller.BatchController` on a background thread;
its events come back as queued signals and refresh the table. Pause lets the running jobs finish
and starts no more; Cancel stops them too (they resume on the next Start). A finished job opens in
the editor (double-click or Open project). The folder keeps the batch's state, so opening the
same folder later shows the same queue, and the CLI can resume it, and the other way round.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStyle,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from dubstudio.batch.controller import CANCEL_WAIT_S, BatchController, BatchEvent, format_duration
from dubstudio.batch.jobs import FileEntry, parse_languages, plan_jobs, read_manifest
from dubstudio.batch.pools import LocalPool, WorkerPool, default_workers
from dubstudio.batch.report import REPORT_HTML
from dubstudio.batch.state import JobRecord
from dubstudio.core.errors import UserError
from dubstudio.pipeline.dub_job import DubRequest
from dubstudio.ui.batch.model import PROGRESS_COLUMN, STAGE_NAMES, BatchTableModel, ProgressDelegate
from dubstudio.ui.dialogs.error import show_error
from dubstudio.ui.settings import AppSettings

MEDIA_FILTER = (
    "Video and audio (*.mp4 *.mkv *.mov *.avi *.webm *.m4v *.mpg *.ts *.m4a *.mp3 *.wav *.flac *.ogg *.opus)"
    ";;All files (*)"
)
BACKENDS = ("This machine", "Ray: local runtime", "Ray: cluster at")
SUMMARY_INTERVAL_MS = 1000


@dataclass(frozen=True)
class PoolOptions:
    """Where the jobs run, read from the window when a run starts (the pool is built off the GUI thread)."""

    workers: int
    backend: int  # index into BACKENDS
    address: str = ""

    def make_pool(self) -> WorkerPool:
        if self.backend == 0:
            return LocalPool(self.workers)
        from dubstudio.batch.ray_pool import LOCAL, RayPool

        return RayPool(LOCAL if self.backend == 1 else self.address, workers=self.workers)


class _Bridge(QObject):
    """Carries the controller's events from its thread to the window (queued signals)."""

    event = Signal(object)
    ended = Signal(object)  # None, or the exception that stopped the run


class BatchWindow(QMainWindow):
    #: a run ended (all done, paused or cancelled), for tests and scripts
    run_finished = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        open_project: Callable[[Path], Any] | None = None,
        settings: AppSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setWindowTitle("Batch — DubStudio")
        self.resize(1280, 640)
        self.settings = settings or AppSettings()
        self.open_project_handler = open_project
        self.controller: BatchController | None = None
        self._pool_options = PoolOptions(default_workers(), 0)
        self._thread: threading.Thread | None = None
        self._editors: list[QMainWindow] = []
        #: tests and scripts set this: errors go to the status bar instead of dialogs
        self.quiet_dialogs = False
        self.bridge = _Bridge(self)
        self.bridge.event.connect(self._on_event)
        self.bridge.ended.connect(self._on_run_ended)
        self._build()
        self._summary_timer = QTimer(self)
        self._summary_timer.setInterval(SUMMARY_INTERVAL_MS)
        self._summary_timer.timeout.connect(self._update_summary)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        folder = self.settings.text("batch/folder")
        if folder:
            self.folder_edit.setText(folder)
        self._update_actions()

    # ==== construction ==========================================================================
    def _build(self) -> None:
        style = self.style()
        sp = QStyle.StandardPixmap
        toolbar = QToolBar("Batch", self)
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(toolbar)

        def action(text: str, icon: QStyle.StandardPixmap, slot: Callable[[], Any], tip: str) -> QAction:
            item = QAction(style.standardIcon(icon), text, self)
            item.setToolTip(tip)
            item.triggered.connect(lambda _checked=False: slot())
            toolbar.addAction(item)
            return item

        self.add_files_action = action(
            "Add files…", sp.SP_FileIcon, self.add_files_dialog, "Queue media files"
        )
        self.add_manifest_action = action(
            "Add manifest…", sp.SP_FileDialogDetailedView, self.add_manifest_dialog,
            "Queue the files of a manifest CSV (per-file languages, subtitles, glossary, voices)",
        )  # fmt: skip
        toolbar.addSeparator()
        self.start_action = action("Start", sp.SP_MediaPlay, self.start, "Run the queued jobs")
        self.pause_action = action(
            "Pause", sp.SP_MediaPause, self.pause, "Let the running jobs finish, start no more"
        )
        self.cancel_action = action(
            "Cancel", sp.SP_BrowserStop, self.cancel, "Stop the running jobs too (they resume on Start)"
        )
        toolbar.addSeparator()
        self.open_action = action(
            "Open project", sp.SP_DialogOpenButton, self.open_selected, "Open the finished job in the editor"
        )
        self.report_action = action(
            "Report", sp.SP_FileDialogInfoView, self.open_report, "The batch report (HTML) in the browser"
        )

        self.folder_edit = QLineEdit(self)
        self.folder_edit.setPlaceholderText("where the projects, the state and the report go")
        self.folder_edit.editingFinished.connect(lambda: self.set_folder(Path(self.folder_edit.text())))
        browse = QPushButton(style.standardIcon(sp.SP_DirOpenIcon), "Choose…", self)
        browse.clicked.connect(self.choose_folder)
        self.folder_row = QWidget(self)
        folder_layout = QHBoxLayout(self.folder_row)
        folder_layout.setContentsMargins(0, 0, 0, 0)
        folder_layout.addWidget(self.folder_edit, 1)
        folder_layout.addWidget(browse)
        self.languages_edit = QLineEdit(self.settings.text("defaults/target_language") or "es", self)
        self.languages_edit.setPlaceholderText("es, fr, …")
        self.languages_edit.setToolTip(
            "Dub languages for the files you add (ISO 639-1 codes, comma-separated)"
        )
        self.source_edit = QLineEdit(self.settings.text("defaults/source_language"), self)
        self.source_edit.setPlaceholderText("detect")
        self.source_edit.setMaximumWidth(90)
        self.sidecar_check = QCheckBox("Use the subtitle file beside each video as its transcript", self)
        self.sidecar_check.setToolTip("episode.srt (.vtt, .ass) next to episode.mp4: no speech recognition")
        self.workers_spin = QSpinBox(self)
        self.workers_spin.setRange(1, 256)
        self.workers_spin.setValue(default_workers())
        self.backend_combo = QComboBox(self)
        self.backend_combo.addItems(BACKENDS)
        self.address_edit = QLineEdit(self)
        self.address_edit.setPlaceholderText("head-node:6379, ray://…, auto")
        self.backend_combo.currentIndexChanged.connect(lambda _i: self._update_actions())
        run_row = QWidget(self)
        run_layout = QHBoxLayout(run_row)
        run_layout.setContentsMargins(0, 0, 0, 0)
        for widget in (QLabel("Workers", self), self.workers_spin, QLabel("on", self), self.backend_combo):
            run_layout.addWidget(widget)
        run_layout.addWidget(self.address_edit, 1)
        language_row = QWidget(self)
        language_layout = QHBoxLayout(language_row)
        language_layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.languages_edit, QLabel("from", self), self.source_edit, self.sidecar_check):
            language_layout.addWidget(widget)
        language_layout.addStretch(1)
        form = QFormLayout()
        form.addRow("Output folder", self.folder_row)
        form.addRow("Dub into", language_row)
        form.addRow("Run", run_row)

        self.model = BatchTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in enumerate((170, 84, 80, 220, 45, 65, 190)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(PROGRESS_COLUMN, QHeaderView.ResizeMode.Fixed)
        self.table.doubleClicked.connect(self._row_activated)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setMinimumHeight(64)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self.overall = QProgressBar(self)
        self.overall.setRange(0, 1)
        self.overall.setFormat("%v of %m jobs")
        self.summary = QLabel(self)
        bottom = QHBoxLayout()
        bottom.addWidget(self.overall, 1)
        bottom.addWidget(self.summary, 2)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(bottom)
        self.setCentralWidget(central)

    # ==== the batch folder ======================================================================
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Batch output folder", self.folder_edit.text())
        if folder:
            self.set_folder(Path(folder))

    def set_folder(self, folder: Path) -> bool:
        """Show the batch in `folder` (its queue when it has one); False when it cannot be read."""
        folder = Path(folder).expanduser()
        if self.controller is not None and folder.resolve() == self.controller.folder.resolve():
            return True
        if self.running:
            self._report(UserError("the batch is running", fix="Pause or cancel it before changing folders."))
            self.folder_edit.setText(str(self.controller.folder) if self.controller else "")
            return False
        try:
            # the controller builds its pool on its own thread, from the options read when the run started
            controller = BatchController(folder, lambda: self._pool_options.make_pool())
        except UserError as error:
            self._report(error, "Cannot open the batch")
            return False
        if self.controller is not None:
            self.controller.close()
        self.controller = controller
        controller.subscribe(self.bridge.event.emit)
        self.folder_edit.setText(str(folder))
        self.settings.set("batch/folder", str(folder))
        self.model.set_controller(controller)
        self._update_actions()
        self._update_summary()
        return True

    def _ensure_folder(self) -> bool:
        if self.controller is not None:
            return True
        if self.folder_edit.text().strip():
            return self.set_folder(Path(self.folder_edit.text().strip()))
        self.choose_folder()
        return self.controller is not None

    # ==== adding jobs ===========================================================================
    def add_files_dialog(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(self, "Add media files", "", MEDIA_FILTER)
        if paths:
            self.add_media([Path(p) for p in paths])

    def add_manifest_dialog(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Add a manifest", "", "CSV (*.csv);;All files (*)")
        if path:
            self.add_manifest(Path(path))

    def add_media(self, paths: list[Path]) -> int:
        """Queue every file for every dub language; returns how many jobs were queued or updated."""
        return self._add([FileEntry(media=path) for path in paths])

    def add_manifest(self, path: Path) -> int:
        try:
            entries = read_manifest(path)
        except UserError as error:
            self._report(error, "Cannot read the manifest")
            return 0
        return self._add(entries)

    def _add(self, entries: list[FileEntry]) -> int:
        if not entries or not self._ensure_folder() or self.controller is None:
            return 0
        try:
            languages = parse_languages(self.languages_edit.text(), what="Dub into")
            source = parse_languages(self.source_edit.text(), what="from")
            defaults = DubRequest(Path(), Path(), "", source_language=source[0] if source else None)
            specs = plan_jobs(
                entries,
                defaults,
                languages,
                self.controller.folder,
                names=self.controller.state.names(),
                sidecars=self.sidecar_check.isChecked(),
            )
            records = self.controller.add(specs)
        except UserError as error:
            self._report(error, "Cannot add these files")
            return 0
        self.model.refresh()
        self._update_actions()
        self._update_summary()
        self.statusBar().showMessage(f"{len(records)} jobs queued.", 4000)
        return len(records)

    # ==== running ===============================================================================
    def _read_pool_options(self) -> PoolOptions:
        return PoolOptions(
            self.workers_spin.value(), self.backend_combo.currentIndex(), self.address_edit.text().strip()
        )

    def start(self) -> bool:
        """Run the queue on a background thread (resumes a paused or cancelled batch)."""
        if self.running or not self._ensure_folder() or self.controller is None:
            return False
        options = self._read_pool_options()
        if options.backend == 2 and not options.address:
            self._report(
                UserError("no Ray cluster address", fix="Type the head node's address, e.g. head:6379.")
            )
            return False
        if options != self._pool_options:
            self.controller.close()  # the next job starts workers with the new options
            self._pool_options = options
        self.controller.resume()
        if not self.controller.has_work:
            self.statusBar().showMessage("Nothing to run: every job is done or failed.", 5000)
            return False
        controller = self.controller
        self._thread = threading.Thread(
            target=self._run, args=(controller,), name="dubstudio-batch", daemon=True
        )
        self._thread.start()
        self._summary_timer.start()
        self._update_actions()
        return True

    def _run(self, controller: BatchController) -> None:
        try:
            controller.run()
        except Exception as error:  # a pool that cannot start (Ray missing, cluster unreachable)
            self.bridge.ended.emit(error)
            return
        self.bridge.ended.emit(None)

    def pause(self) -> None:
        if self.controller is not None and self.running:
            self.controller.pause()
            self.statusBar().showMessage("Pausing: the running jobs finish, no new one starts.", 5000)
            self._update_actions()

    def cancel(self) -> None:
        if self.controller is not None and self.running:
            self.controller.cancel()
            self.statusBar().showMessage("Cancelling the running jobs…", 5000)
            self._update_actions()

    def shutdown(self) -> None:
        """Cancel a running batch, wait for it, stop the workers (the application is quitting)."""
        if self.controller is None:
            return
        if self.running and self._thread is not None:
            self.controller.cancel()
            self._thread.join(CANCEL_WAIT_S + 5)
        self.controller.close()

    def _selection_changed(self) -> None:
        self._update_actions()
        self._show_details()

    def _show_details(self) -> None:
        job = self.selected_job()
        self.details.setText(job_details(job) if job is not None else "")

    def _on_event(self, event: BatchEvent) -> None:
        if event.kind == "pool":
            self.statusBar().showMessage(f"Running on {event.message}.", 6000)
        elif event.kind == "failed" and event.job is not None:
            self.statusBar().showMessage(f"{event.job.name} failed: {event.job.reason}", 10000)
        self.model.refresh(event.job)
        if event.job is not None and event.job is self.selected_job():
            self._show_details()
        if event.kind in ("done", "failed", "retry", "cancelled", "queued", "started"):
            self._update_summary()
            self._update_actions()

    def _on_run_ended(self, error: BaseException | None) -> None:
        if self._thread is not None:
            self._thread.join()
        self._thread = None
        self._summary_timer.stop()
        if self.controller is not None and (error is not None or not self.controller.has_work):
            self.controller.close()  # nothing left to run: free the workers' memory (a pause keeps them)
        if error is not None:
            self._report(error, "The batch could not run")
        self.model.refresh()
        self._update_summary()
        self._update_actions()
        self.run_finished.emit()

    # ==== finished jobs =========================================================================
    def selected_job(self):
        rows = self.table.selectionModel().selectedRows()
        return self.model.job(rows[0].row()) if rows else None

    def _row_activated(self, index: QModelIndex) -> None:
        job = self.model.job(index.row())
        if job is not None and job.status == "done":
            self.open_job(job)

    def open_selected(self) -> None:
        job = self.selected_job()
        if job is not None and job.status == "done":
            self.open_job(job)

    def open_job(self, job) -> None:
        """A finished job's project in the editor (the main window's own Open, or a new editor)."""
        if self.open_project_handler is not None:
            self.open_project_handler(job.project_dir)
            return
        from dubstudio.ui.main_window import MainWindow

        editor = MainWindow(self.settings)
        editor.show()
        editor.open_project(job.project_dir)
        self._editors.append(editor)

    def open_report(self) -> None:
        if self.controller is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.controller.folder / REPORT_HTML)))

    # ==== state =================================================================================
    def _update_actions(self) -> None:
        controller = self.controller
        running = self.running
        paused = controller is not None and controller.paused
        job = self.selected_job()
        self.start_action.setEnabled(controller is not None and not running and controller.has_work)
        self.start_action.setText("Resume" if paused else "Start")
        self.pause_action.setEnabled(running and not paused)
        self.cancel_action.setEnabled(running)
        self.open_action.setEnabled(job is not None and job.status == "done")
        self.report_action.setEnabled(controller is not None and (controller.folder / REPORT_HTML).is_file())
        for widget in (self.folder_row, self.workers_spin, self.backend_combo):
            widget.setEnabled(not running)
        self.address_edit.setEnabled(not running and self.backend_combo.currentIndex() == 2)

    def _update_summary(self) -> None:
        controller = self.controller
        if controller is None:
            self.summary.setText("Choose an output folder, then add files.")
            return
        counts = controller.state.counts()
        total = len(controller.jobs)
        self.overall.setRange(0, max(total, 1))
        self.overall.setValue(counts["done"] + counts["failed"])
        parts = [f"{counts['done']} done", f"{counts['running']} running", f"{counts['failed']} failed"]
        waiting = counts["pending"] + counts["cancelled"]
        if waiting:
            parts.append(f"{waiting} waiting")
        eta = controller.eta_seconds() if self.running else None
        if eta is not None:
            parts.append(f"ETA {format_duration(eta)}")
        if self.running and controller.pool_description:
            parts.append(controller.pool_description)
        elif self.running and controller.paused:
            parts.append("pausing")
        self.summary.setText(" · ".join(parts))

    def _report(self, error: BaseException, title: str = "Batch") -> None:
        if self.quiet_dialogs:
            message = error.message if isinstance(error, UserError) else f"{type(error).__name__}: {error}"
            self.statusBar().showMessage(message, 15000)
            return
        show_error(self, error, title=title)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Inside the editor the window only hides (the batch goes on); on its own, closing cancels."""
        if self.parent() is None and self.running:
            answer = QMessageBox.question(
                self, "Batch running", "Cancel the running batch? Its jobs resume the next time it starts."
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.shutdown()
        event.accept()


def job_details(job: JobRecord) -> str:
    """The selected job in a few lines: what, where, each try, and why it failed."""
    lines = [f"<b>{html.escape(job.name)}</b> — {html.escape(str(job.media))} → {html.escape(job.language)}"]
    if job.status == "done":
        stages = ", ".join(
            f"{STAGE_NAMES.get(stage, stage)} {seconds:.1f} s"
            for stage, seconds in job.summary.stage_seconds.items()
        )
        summary = job.summary
        lines.append(
            f"Project: {html.escape(str(job.project_dir))} ({summary.cues} cues, {summary.speakers} "
            f"speakers; {html.escape(stages)})"
        )
    for attempt in job.attempts:
        outcome = attempt.outcome or "running"
        detail = f": {attempt.reason}" if attempt.reason and attempt.outcome != "failed" else ""
        lines.append(
            html.escape(f"Try {attempt.number} on {attempt.worker or 'a worker'} — {outcome}{detail}")
        )
    if job.reason:
        lines.append(f"<span style='color:#ef5350'>{html.escape(job.reason)}</span>")
    return "<br>".join(lines)


def show_batch_window(main_window: QMainWindow) -> BatchWindow:
    """The main window's Batch window (created once, shown and raised each time)."""
    window = main_window.findChild(BatchWindow)
    if window is None:
        window = BatchWindow(
            main_window,
            open_project=main_window.open_project,  # type: ignore[attr-defined]
            settings=getattr(main_window, "settings", None),
        )
    window.show()
    window.raise_()
    window.activateWindow()
    return window
