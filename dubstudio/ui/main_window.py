"""The editor's main window: player, review queue and inspector on top, the waveform timeline in
the middle, the segment table below; menus, toolbar, status bar with job progress.

The window owns one `ProjectDocument` (the GUI thread's project) and one undo stack. Background
work (pipeline stages, re-translate, re-synthesize, export, preview audio, waveform peaks) runs
through `JobRunner`s on worker threads with deep copies of the project; results come back as
queued signals and replace the document's copy (stage results) or are pushed as undoable commands
(per-segment jobs). While the pipeline owns the project, editing is disabled and playback and
navigation keep working.

The action table, toolbar and menus live in `actions.ActionsMixin`; starting jobs and handling
their signals in `jobs.JobsMixin`. Both are base classes of `MainWindow`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStyle,
    QTabWidget,
    QWidget,
)

from dubstudio.core import store
from dubstudio.core.errors import UserError
from dubstudio.core.media import MIX_WAV
from dubstudio.core.progress import CancelToken, ProgressCallback
from dubstudio.core.project import Project
from dubstudio.pipeline.translation_memory import remember_correction
from dubstudio.ui import commands
from dubstudio.ui.actions import ActionsMixin
from dubstudio.ui.dialogs.error import show_error
from dubstudio.ui.dialogs.recovery import DISCARD, RECOVER, ask_recovery
from dubstudio.ui.document import ProjectDocument
from dubstudio.ui.inspector import SegmentInspector
from dubstudio.ui.jobs import JobsMixin
from dubstudio.ui.playback import PlaybackMixin
from dubstudio.ui.player import create_player
from dubstudio.ui.player.clip_player import ClipPlayer
from dubstudio.ui.player.panel import PlayerPanel
from dubstudio.ui.progress import JobProgressBar
from dubstudio.ui.review import ReviewPanel, next_flagged
from dubstudio.ui.segments import SegmentTableView
from dubstudio.ui.settings import AppSettings
from dubstudio.ui.timeline import TimelineWidget
from dubstudio.ui.worker import JobFailure, JobRunner, StageDone

#: how long closing the window waits for cancelled jobs before leaving them to end in the background
CLOSE_WAIT_MS = 1000
#: how long after a project appears its waveform and voice-catalog jobs start
PROJECT_JOBS_DELAY_MS = 300


class MainWindow(ActionsMixin, JobsMixin, PlaybackMixin, QMainWindow):
    #: emitted when a background job ends (name), for tests and scripts
    job_finished = Signal(str)

    def __init__(self, settings: AppSettings | None = None, engines: Any = None) -> None:
        """`engines`: a `dubstudio.engines.factory.Engines` to share between runs (models load once);
        by default each job builds its own from the project settings."""
        super().__init__()
        self.settings = settings or AppSettings()
        self.engines = engines
        self.doc = ProjectDocument(self)
        self.undo_stack = QUndoStack(self)
        self.runner = JobRunner(self)
        self.peaks_runner = JobRunner(self)
        self.catalog_runner = JobRunner(self)
        self.player = create_player(self, self.settings.text("ui/player"))
        self.clip_player = ClipPlayer(self)
        self._voice_cache: list[tuple[str, str]] | None = None
        self._following_playback = False
        self.last_export: object = None
        self.last_failure: JobFailure | None = None
        #: tests and scripts set this to get results in the status bar instead of modal dialogs
        self.quiet_dialogs = False
        self._new_project_dir: Path | None = None
        self._pending_segment_job = ""
        self._export_dir: Path | None = None
        #: set once the window is closing: no job may start after that
        self._closing = False
        self.setWindowTitle("DubStudio")
        if QApplication.windowIcon().isNull():
            self.setWindowIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaVolume))
        self.resize(1500, 940)
        self._create_actions()
        self._create_widgets()
        self._create_menus()
        self._create_status_bar()
        self._connect()
        self._project_jobs_timer = QTimer(self)
        self._project_jobs_timer.setSingleShot(True)
        self._project_jobs_timer.setInterval(PROJECT_JOBS_DELAY_MS)
        self._project_jobs_timer.timeout.connect(self._start_project_jobs)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)
        if self.settings.autosave_seconds:
            self.autosave_timer.start(self.settings.autosave_seconds * 1000)
        self._update_actions()
        self._update_title()
        QTimer.singleShot(0, self._warm_up)

    # ==== construction ===============================================================================
    def _create_widgets(self) -> None:
        act = self.actions_by_key
        self.player_panel = PlayerPanel(
            self.player,
            [
                act["play_pause"],
                act["stop"],
                None,
                act["frame_back"],
                act["frame_forward"],
                None,
                act["previous_segment"],
                act["next_segment"],
            ],
            self,
        )
        self.review = ReviewPanel(self.doc, self)
        self.inspector = SegmentInspector(
            self.doc,
            self.voice_choices,
            [
                act["play_original"],
                act["play_dub"],
                act["retranslate"],
                act["resynthesize"],
                act["split"],
                act["merge"],
            ],
            self,
        )
        self.side_tabs = QTabWidget(self)
        self.side_tabs.addTab(
            self.review, self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning), "Review queue"
        )
        self.side_tabs.addTab(
            self.inspector,
            self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView),
            "Segment",
        )
        self.timeline = TimelineWidget(self.doc, self)
        self.table = SegmentTableView(self.doc, self.voice_choices, self)
        self.table.model.edit_handler = self.edit_segment

        self.top_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.top_splitter.addWidget(self.player_panel)
        self.top_splitter.addWidget(self.side_tabs)
        self.top_splitter.setStretchFactor(0, 3)
        self.top_splitter.setStretchFactor(1, 2)
        self.top_splitter.setSizes([860, 560])
        self.main_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.main_splitter.addWidget(self.top_splitter)
        self.main_splitter.addWidget(self.timeline)
        self.main_splitter.addWidget(self.table)
        self.main_splitter.setSizes([430, 190, 320])
        self.main_splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.main_splitter)

        self._create_toolbar()

    def _create_status_bar(self) -> None:
        status = self.statusBar()
        self.stage_label = QLabel(self)
        self.progress_bar = JobProgressBar(self, maximum=1000)
        self.progress_bar.setFixedWidth(220)
        self.cancel_button = QPushButton(
            self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserStop), "Cancel", self
        )
        self.cancel_button.clicked.connect(self.cancel_job)
        self.flag_label = QLabel(self)
        self.player_label = QLabel(f"Player: {self.player.backend}", self)
        for widget in (self.stage_label, self.progress_bar, self.cancel_button):
            status.addPermanentWidget(widget)
            widget.hide()
        status.addPermanentWidget(self.flag_label)
        status.addPermanentWidget(self.player_label)

    def _connect(self) -> None:
        doc = self.doc
        doc.structure_changed.connect(self._project_changed)
        doc.segments_changed.connect(lambda _ids: self._project_changed())
        doc.dirty_changed.connect(lambda _dirty: self._update_title())
        doc.busy_changed.connect(lambda _busy: self._update_actions())
        doc.selection_changed.connect(self._selection_changed)
        self.undo_stack.cleanChanged.connect(lambda clean: doc.set_dirty(not clean))
        self.undo_stack.indexChanged.connect(lambda _index: self._update_actions())
        canvas = self.timeline.canvas
        canvas.seek_requested.connect(self.player.seek)
        canvas.retime_requested.connect(self.retime_segment)
        self.player.position_changed.connect(self._position_changed)
        self.player.playing_changed.connect(self._playing_changed)
        self.review.segment_chosen.connect(doc.select)
        self.review.status_requested.connect(self.set_issue_status)
        self.review.review_cleared.connect(self.mark_reviewed)
        self.review.navigate.connect(self.go_flagged)
        self.inspector.edit_requested.connect(self.edit_segment)
        self.inspector.take_requested.connect(self.pick_take)
        self.inspector.play_take_requested.connect(self.play_clip)
        self.inspector.memory_candidates.apply_requested.connect(
            lambda sid, changes: self._push(commands.EditSegmentCommand(self.doc, sid, changes, "Use memory"))
        )
        self._connect_job_signals()
        self.peaks_runner.completed.connect(self._peaks_loaded)
        self.catalog_runner.completed.connect(self._voices_loaded)
        self.peaks_runner.failed.connect(
            lambda _name, failure: self.statusBar().showMessage(
                f"Waveform unavailable: {failure.error}", 8000
            )
        )

    # ==== project files ============================================================================
    def open_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a DubStudio project folder")
        if folder:
            self.open_project(Path(folder))

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for folder in self.settings.recent_projects():
            action = self.recent_menu.addAction(str(folder))
            action.triggered.connect(lambda _checked=False, f=folder: self.open_project(f))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", self.settings.clear_recent)

    def maybe_save(self) -> bool:
        """Ask about unsaved edits; False when the user cancels."""
        if not self.doc.dirty or not self.doc.is_open:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to “{self.doc.project_dir.name}”?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def open_project(self, folder: Path, *, recovery: Callable[[QWidget, Path], str] = ask_recovery) -> bool:
        """Load a project folder (offering crash recovery first); errors are shown, never raised.

        A running job is cancelled (the pipeline after asking) once the new project has loaded."""
        if not self.confirm_cancel_pipeline("open another project") or not self.maybe_save():
            return False
        folder = Path(folder)
        try:
            project = None
            if store.recovery_available(folder):
                choice = recovery(self, folder)
                if choice == RECOVER:
                    project = store.recover(folder)
                elif choice == DISCARD:
                    store.discard_recovery(folder)
                else:
                    return False
            if project is None:
                try:
                    project = store.load_project(folder)
                except store.DamagedProjectError as damaged:
                    if (
                        QMessageBox.question(
                            self, "Damaged project", f"{damaged.message}\n\nOpen the backup?"
                        )
                        != QMessageBox.StandardButton.Yes
                    ):
                        return False
                    project = store.load_project(folder, use_backup=True)
        except UserError as error:
            show_error(self, error, title="Cannot open the project")
            return False
        self.stop_jobs((self.runner,))
        self.set_project(project, folder, dirty=project is not None and store.recovery_available(folder))
        self.settings.add_recent(folder)
        return True

    def set_project(self, project: Project, folder: Path, *, dirty: bool = False) -> None:
        # the waveform and voices of the previous project are obsolete: drop them, do not wait
        self.stop_jobs((self.peaks_runner, self.catalog_runner))
        self.undo_stack.clear()
        self._voice_cache = None
        self.doc.select("")
        self.doc.replace_project(project, folder)
        self.doc.set_dirty(dirty)
        self._load_media()
        self.timeline.canvas.clip_peaks.clear()
        QTimer.singleShot(0, self._initial_zoom)
        if project.segments:
            self.doc.select(project.segments[0].id)
        # the waveform and voice jobs start once the project has painted (their imports and threads
        # compete with that first paint for the CPU and the GIL: bench/ui_responsiveness.py)
        self._project_jobs_timer.start()
        self._update_title()

    def _start_project_jobs(self) -> None:
        self._start_peaks()
        self._load_voice_catalog()

    def _initial_zoom(self) -> None:
        """Show the whole media when short, else the first minute (once the layout has its size)."""
        canvas = self.timeline.canvas
        canvas.px_per_s = max(canvas.width() / min(canvas.duration, 60.0), 0.05)
        canvas.view_start = -1.0
        canvas.set_view_start(0.0)

    def _start_peaks(self) -> None:
        if self._closing:
            return
        folder = self.doc.project_dir
        wav = folder / "audio" / MIX_WAV if folder else None
        if wav is None or not wav.is_file():
            self.timeline.canvas.set_peaks(None)
            return
        from dubstudio.core.waveform import ensure_peaks

        def job(_progress: ProgressCallback, cancel: CancelToken, _done: StageDone) -> Any:
            return wav, ensure_peaks(wav, cancel=cancel)

        if not self.peaks_runner.start("peaks", job):
            QTimer.singleShot(200, self._start_peaks)

    def _peaks_loaded(self, _name: str, result: Any) -> None:
        wav, peaks = result
        if self.doc.project_dir and wav == self.doc.project_dir / "audio" / MIX_WAV:
            self.timeline.canvas.set_peaks(peaks)

    def save(self) -> bool:
        if not self.doc.is_open:
            return False
        try:
            store.save_project(self.doc.project_dir, self.doc.project)
        except UserError as error:
            show_error(self, error, title="Cannot save")
            return False
        self.undo_stack.setClean()
        self.doc.set_dirty(False)
        self.statusBar().showMessage("Saved.", 3000)
        return True

    def autosave(self) -> None:
        """Periodic safety copy (project.autosave.json) while there are unsaved edits."""
        if self.doc.dirty and self.doc.is_open and not self.doc.busy:
            try:
                store.autosave(self.doc.project_dir, self.doc.project)
            except UserError as error:
                self.statusBar().showMessage(error.message, 10000)

    # ==== edits (each one an undoable command) ====================================================
    def _push(self, command: Any) -> None:
        if self.doc.busy:
            self.statusBar().showMessage("Editing is paused while the pipeline runs.", 4000)
            return
        self.undo_stack.push(command)

    def edit_segment(self, segment_id: str, field: str, value: Any) -> None:
        self._push(commands.EditSegmentCommand(self.doc, segment_id, {field: value}))
        if field == "translated_text" and not self.doc.busy:  # a correction the memory keeps
            remember_correction(self.doc.project, self.doc.segment(segment_id), value)

    def retime_segment(self, segment_id: str, start: float, end: float) -> None:
        self._push(commands.retime_command(self.doc, segment_id, start, end))

    def pick_take(self, segment_id: str, take_index: int) -> None:
        self._push(commands.pick_take_command(self.doc, segment_id, take_index))

    def set_issue_status(self, issue: Any, status: str) -> None:
        self._push(commands.SetIssueStatusCommand(self.doc, issue, status))

    def mark_reviewed(self, segment_id: str) -> None:
        self._push(
            commands.EditSegmentCommand(self.doc, segment_id, {"needs_review": False}, "Mark reviewed")
        )

    def split_selected(self) -> None:
        segment = self.doc.selected
        if segment is None:
            return
        from dubstudio.ui.segment_ops import can_split

        if not can_split(segment):
            self.statusBar().showMessage("This segment is too short to split.", 4000)
            return
        position = self.player.position()
        at = position if segment.start < position < segment.end else None
        self._push(commands.split_command(self.doc, segment.id, at))

    def merge_selected(self) -> None:
        segment = self.doc.selected
        if segment is not None and self.doc.project.next_segment(segment.id) is not None:
            self._push(commands.merge_command(self.doc, segment.id))

    def edit_transcript(self) -> None:
        self.side_tabs.setCurrentWidget(self.inspector)
        self.inspector.original.setFocus()

    def edit_translation(self) -> None:
        self.side_tabs.setCurrentWidget(self.inspector)
        self.inspector.translation.setFocus()

    # ==== navigation and playback =================================================================
    def go_flagged(self, step: int) -> None:
        segments = self.doc.segments
        if not segments:
            return
        row = self.doc.row_of(self.doc.selected_id) if self.doc.selected_id else (-1 if step > 0 else 0)
        target = next_flagged(segments, row, step)
        if target is None:
            self.statusBar().showMessage("Nothing left to review.", 4000)
            return
        self.side_tabs.setCurrentWidget(self.review)
        self.doc.select(target.id)

    def go_segment(self, step: int) -> None:
        segments = self.doc.segments
        if segments:
            row = self.doc.row_of(self.doc.selected_id) if self.doc.selected_id else -1
            self.doc.select(segments[min(max(row + step, 0), len(segments) - 1)].id)

    def _selection_changed(self, segment_id: str) -> None:
        segment = self.doc.segment(segment_id) if segment_id else None
        self._update_actions()
        if segment is None or self._following_playback:
            return
        self.timeline.canvas.show_span(segment.start, segment.end)
        if not (segment.start <= self.player.position() < segment.end):
            self.player.seek(segment.start)

    # ==== dialogs ===================================================================================
    def show_models(self) -> None:
        from dubstudio.ui.dialogs.models import ModelManagerDialog

        ModelManagerDialog(self).exec()

    def show_settings(self) -> None:
        from dubstudio.ui.dialogs.settings_dialog import SettingsDialog

        if SettingsDialog(self.settings, self).exec():
            seconds = self.settings.autosave_seconds
            if seconds:
                self.autosave_timer.start(seconds * 1000)
            else:
                self.autosave_timer.stop()

    def show_batch(self) -> None:
        from dubstudio.ui.batch import show_batch_window

        show_batch_window(self)

    def show_shortcuts(self) -> None:
        from dubstudio.ui.dialogs.shortcuts import ShortcutsDialog

        ShortcutsDialog(list(self.actions_by_key.values()), self).exec()

    def show_about(self) -> None:
        from dubstudio.ui.dialogs.about import AboutDialog

        AboutDialog(self.doc.project, self.player.backend, self).exec()

    # ==== helpers ===================================================================================
    def voice_choices(self) -> list[tuple[str, str]]:
        """Voices for the combo boxes: the catalog (loaded in the background) plus any voice in use."""
        project = self.doc.project
        catalog = self._voice_cache or []
        used: set[str] = set()
        if project is not None:
            used = {s.effective_voice for s in project.speakers} | {s.voice_id for s in project.segments}
        known = {value for value, _label in catalog}
        return catalog + [(v, v) for v in sorted(used - known - {""})]

    def _load_voice_catalog(self) -> None:
        """Engines import heavy libraries on first use, so the catalog is built on a worker thread."""
        project = self.doc.project
        if project is None or self._closing:
            return
        device, language = project.settings.device, project.target_language

        def job(_progress: ProgressCallback, cancel: CancelToken, _done: StageDone) -> Any:
            from dubstudio.ui.voices import catalog_choices  # heavy imports: keep them off the GUI thread

            cancel.raise_if_cancelled()
            return catalog_choices(device, language)

        if not self.catalog_runner.start("voices", job):
            QTimer.singleShot(500, self._load_voice_catalog)

    def _voices_loaded(self, name: str, choices: Any) -> None:
        if name != "voices":  # the same runner also does the start-up warm-up
            return
        self._voice_cache = list(choices)
        self.inspector.show_segment(self.doc.selected_id)

    def _project_changed(self) -> None:
        open_issues = self.review.open_issue_count()
        flagged = len(self.doc.project.flagged_segments()) if self.doc.project else 0
        self.flag_label.setText(
            f"⚑ {flagged} to review · {open_issues} open issues" if self.doc.project else ""
        )
        self._update_actions()

    def _update_title(self) -> None:
        name = self.doc.project.name if self.doc.project else ""
        self.setWindowTitle(f"{'• ' if self.doc.dirty else ''}{name + ' — ' if name else ''}DubStudio")
        self.setWindowModified(self.doc.dirty)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirm_cancel_pipeline("close") or not self.maybe_save():
            event.ignore()
            return
        self.shutdown()
        self.settings.set("window/geometry", self.saveGeometry())
        self.settings.set("window/splitter", self.main_splitter.saveState())
        event.accept()

    def shutdown(self) -> None:
        """Stop playback and cancel every background job, waiting at most `CLOSE_WAIT_MS` for them.

        A job still inside an engine call then ends on its own thread while the window is gone;
        the application waits for it when it exits (`worker.wait_for_detached_jobs`)."""
        self._closing = True
        self.stop_jobs((self.runner, self.peaks_runner, self.catalog_runner), CLOSE_WAIT_MS)
        self.player.stop()
        self.clip_player.stop()

    def restore_layout(self) -> None:
        geometry = self.settings.store.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.settings.store.value("window/splitter")
        if isinstance(state, QByteArray):
            self.main_splitter.restoreState(state)
