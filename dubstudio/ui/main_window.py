"""The editor's main window: player, review queue and inspector on top, the waveform timeline in
the middle, the segment table below; menus, toolbar, status bar with job progress.

The window owns one `ProjectDocument` (the GUI thread's project) and one undo stack. Background
work (pipeline stages, re-translate, re-synthesize, export, preview audio, waveform peaks) runs
through `JobRunner`s on worker threads with deep copies of the project; results come back as
queued signals and replace the document's copy (stage results) or are pushed as undoable commands
(per-segment jobs). While the pipeline owns the project, editing is disabled and playback and
navigation keep working.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QDeadlineTimer, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStyle,
    QTabWidget,
    QWidget,
)

from dubstudio.core import store
from dubstudio.core.errors import ProjectFileError, UserError
from dubstudio.core.media import MIX_WAV
from dubstudio.core.progress import CancelToken, ProgressCallback
from dubstudio.core.project import Project
from dubstudio.ui import commands
from dubstudio.ui.dialogs.error import show_error
from dubstudio.ui.dialogs.recovery import DISCARD, RECOVER, ask_recovery
from dubstudio.ui.document import ProjectDocument
from dubstudio.ui.inspector import SegmentInspector
from dubstudio.ui.player import AudioSource, create_player
from dubstudio.ui.player.clip_player import ClipPlayer
from dubstudio.ui.player.panel import PlayerPanel
from dubstudio.ui.review import ReviewPanel, next_flagged
from dubstudio.ui.segments import SegmentTableView
from dubstudio.ui.settings import AppSettings
from dubstudio.ui.timeline import TimelineWidget
from dubstudio.ui.worker import JobFailure, JobRunner, StageDone

PREVIEW_DIR = "cache/preview"
STAGE_LABELS = {
    "transcription": "Transcribing",
    "segmentation": "Cutting subtitles",
    "translation": "Translating",
    "voiceMatching": "Matching voices",
    "synthesis": "Synthesizing speech",
    "validation": "Validating",
    "export": "Exporting",
    "mix": "Mixing",
    "media": "Reading media",
    "preview": "Rendering preview",
}
#: what a pipeline run without recognition imports, loaded by the start-up warm-up. Recognition's
#: torch-based engines are not: they load on the job's thread when a recognition stage runs.
WARM_UP_MODULES = (
    "dubstudio.pipeline.orchestrator",
    "dubstudio.pipeline.export",
    "dubstudio.ui.preview",
    "dubstudio.ui.voices",
    "dubstudio.engines.translators",
    "dubstudio.engines.kokoro",
    "dubstudio.stages.segmentation",
    "dubstudio.stages.translation",
    "dubstudio.stages.voice_matching",
    "dubstudio.stages.synthesis",
    "onnxruntime",  # imported by the Kokoro engine when it first synthesizes
)
#: how long closing the window waits for cancelled jobs before leaving them to end in the background
CLOSE_WAIT_MS = 1000


class MainWindow(QMainWindow):
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
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)
        if self.settings.autosave_seconds:
            self.autosave_timer.start(self.settings.autosave_seconds * 1000)
        self._update_actions()
        self._update_title()
        QTimer.singleShot(0, self._warm_up)

    def _warm_up(self) -> None:
        """Import the pipeline's modules in the background right after start-up.

        Loading C extensions holds Python's GIL for up to half a second, and every import competes
        with the GUI thread for the GIL; done now, while the user is still choosing what to open, it
        does not freeze the window later when a job starts.
        """
        if self._closing:
            return

        def job(_progress: ProgressCallback, cancel: CancelToken, _done: StageDone) -> Any:
            for module in WARM_UP_MODULES:
                cancel.raise_if_cancelled()
                with contextlib.suppress(ImportError):  # a missing optional engine fails later, clearly
                    importlib.import_module(module)

        self.catalog_runner.start("warm-up", job)

    # ==== construction ===============================================================================
    def _action(
        self,
        key: str,
        text: str,
        slot: Callable[[], Any],
        shortcut: str | QKeySequence.StandardKey | None = None,
        icon: QStyle.StandardPixmap | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        if tip or shortcut is not None:
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip or text.replace('&', '')}" + (f" ({keys})" if keys else ""))
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        self.actions_by_key[key] = action
        return action

    def _create_actions(self) -> None:
        self.actions_by_key: dict[str, QAction] = {}
        sp = QStyle.StandardPixmap
        a = self._action
        a("new", "&New project…", self.new_project, QKeySequence.StandardKey.New, sp.SP_FileIcon)
        a("open", "&Open project…", self.open_dialog, QKeySequence.StandardKey.Open, sp.SP_DialogOpenButton)
        a("save", "&Save", self.save, QKeySequence.StandardKey.Save, sp.SP_DialogSaveButton)
        a("export", "&Export…", self.export_dialog, "Ctrl+E", sp.SP_DriveFDIcon)
        a("quit", "&Quit", self.close, QKeySequence.StandardKey.Quit)
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        undo.setIcon(self.style().standardIcon(sp.SP_ArrowBack))
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        redo.setIcon(self.style().standardIcon(sp.SP_ArrowForward))
        self.actions_by_key["undo"], self.actions_by_key["redo"] = undo, redo
        self.addActions([undo, redo])
        a("edit_transcript", "Edit &transcript", self.edit_transcript, "Ctrl+T")
        a("edit_translation", "Edit tra&nslation", self.edit_translation, "Ctrl+Shift+T")
        a("split", "&Split at playhead", self.split_selected, "Ctrl+B", sp.SP_ToolBarVerticalExtensionButton)
        a("merge", "&Merge with next", self.merge_selected, "Ctrl+M", sp.SP_ToolBarHorizontalExtensionButton)
        a("play_original", "Play &original", self.play_original, "Ctrl+Space", sp.SP_MediaPlay)
        a("play_dub", "Play &dub", self.play_dub, "Ctrl+Shift+Space", sp.SP_MediaVolume)
        a("retranslate", "Re-&translate", self.retranslate_selected, "Ctrl+Shift+R", sp.SP_BrowserReload)
        a("resynthesize", "Re-s&ynthesize", self.resynthesize_selected, "Ctrl+Shift+Y", sp.SP_MediaVolume)
        a("next_flagged", "&Next flagged", lambda: self.go_flagged(1), "F8", sp.SP_ArrowDown)
        a("previous_flagged", "&Previous flagged", lambda: self.go_flagged(-1), "Shift+F8", sp.SP_ArrowUp)
        a(
            "resolve",
            "&Resolve issue",
            lambda: self.review.set_current_status("resolved"),
            "Ctrl+R",
            sp.SP_DialogApplyButton,
        )
        a("ignore", "&Ignore issue", lambda: self.review.set_current_status("ignored"), "Ctrl+I")
        a("next_segment", "Next segment", lambda: self.go_segment(1), "Alt+Down", sp.SP_MediaSkipForward)
        a(
            "previous_segment",
            "Previous segment",
            lambda: self.go_segment(-1),
            "Alt+Up",
            sp.SP_MediaSkipBackward,
        )
        a("play_pause", "Play / pause", self.player.toggle, "Space", sp.SP_MediaPlay)
        a("stop", "Stop", self.player.stop, None, sp.SP_MediaStop)
        a(
            "frame_back",
            "Previous frame",
            lambda: self.player.step_frame(-1),
            "Ctrl+Left",
            sp.SP_MediaSeekBackward,
        )
        a(
            "frame_forward",
            "Next frame",
            lambda: self.player.step_frame(1),
            "Ctrl+Right",
            sp.SP_MediaSeekForward,
        )
        a("back_5s", "Back 5 seconds", lambda: self.player.seek(self.player.position() - 5), "Shift+Left")
        a(
            "forward_5s",
            "Forward 5 seconds",
            lambda: self.player.seek(self.player.position() + 5),
            "Shift+Right",
        )
        a(
            "audio_original",
            "Hear the original",
            lambda: self.set_audio_source(AudioSource.ORIGINAL),
            "Ctrl+1",
        )
        a("audio_dub", "Hear the dub", lambda: self.set_audio_source(AudioSource.DUB), "Ctrl+2")
        a("audio_mix", "Hear the mix", lambda: self.set_audio_source(AudioSource.MIX), "Ctrl+3")
        a("zoom_in", "Zoom &in", lambda: self.timeline.canvas.zoom(1.5), "Ctrl+=", sp.SP_ArrowUp)
        a("zoom_out", "Zoom &out", lambda: self.timeline.canvas.zoom(1 / 1.5), "Ctrl+-", sp.SP_ArrowDown)
        a("zoom_fit", "&Fit whole timeline", lambda: self.timeline.canvas.zoom_to_fit(), "Ctrl+0")
        a("show_flagged", "Show only &flagged", lambda: self.table.set_filter("flagged"), "Ctrl+Shift+F")
        a("show_all", "Show &all segments", lambda: self.table.set_filter("all"), "Ctrl+Shift+A")
        a("run", "&Run pipeline (redo stale work)", self.run_pipeline, "F5", sp.SP_MediaPlay)
        a("cancel", "&Cancel job", self.cancel_job, "Ctrl+.", sp.SP_BrowserStop)
        a("preview", "Render &preview audio (dub and mix)", self.render_preview, "F6", sp.SP_MediaVolume)
        a("models", "&Models…", self.show_models, None, sp.SP_DriveHDIcon)
        a("settings", "&Settings…", self.show_settings, QKeySequence.StandardKey.Preferences)
        a("shortcuts", "&Keyboard shortcuts", self.show_shortcuts, "F1", sp.SP_DialogHelpButton)
        a("about", "&About DubStudio", self.show_about, None, sp.SP_MessageBoxInformation)

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

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        short_names = {
            "new": "New",
            "open": "Open",
            "run": "Run",
            "cancel": "Cancel",
            "preview": "Preview",
            "previous_flagged": "Prev. flagged",
            "next_flagged": "Next flagged",
        }
        for key, text in short_names.items():
            act[key].setIconText(text)
        for key in (
            "new",
            "open",
            "save",
            None,
            "undo",
            "redo",
            None,
            "run",
            "cancel",
            "preview",
            "export",
            None,
            "previous_flagged",
            "next_flagged",
            "resolve",
        ):
            if key is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(act[key])

    def _create_menus(self) -> None:
        act = self.actions_by_key
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([act["new"], act["open"]])
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addActions([act["save"], act["export"]])
        file_menu.addSeparator()
        file_menu.addAction(act["quit"])
        menus = {
            "&Edit": [
                "undo",
                "redo",
                None,
                "edit_transcript",
                "edit_translation",
                "split",
                "merge",
                None,
                "settings",
            ],
            "&Segment": [
                "play_original",
                "play_dub",
                None,
                "retranslate",
                "resynthesize",
                None,
                "previous_segment",
                "next_segment",
                None,
                "previous_flagged",
                "next_flagged",
                "resolve",
                "ignore",
            ],
            "&Playback": [
                "play_pause",
                "stop",
                "frame_back",
                "frame_forward",
                "back_5s",
                "forward_5s",
                None,
                "audio_original",
                "audio_dub",
                "audio_mix",
            ],
            "&View": ["zoom_in", "zoom_out", "zoom_fit", None, "show_flagged", "show_all"],
            "P&ipeline": ["run", "cancel", None, "preview", "export"],
            "&Tools": ["models", "settings"],
            "&Help": ["shortcuts", "about"],
        }
        for title, keys in menus.items():
            menu = bar.addMenu(title)
            for key in keys:
                if key is None:
                    menu.addSeparator()
                else:
                    menu.addAction(act[key])

    def _create_status_bar(self) -> None:
        status = self.statusBar()
        self.stage_label = QLabel(self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setFixedWidth(220)
        self.progress_bar.setTextVisible(True)
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
        self.runner.started.connect(self._job_started)
        self.runner.progress.connect(self._job_progress)
        self.runner.stage_done.connect(self._stage_done)
        self.runner.completed.connect(self._job_completed)
        self.runner.failed.connect(self._job_failed)
        self.runner.cancelled.connect(self._job_cancelled)
        self.runner.finished.connect(self._job_finished)
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

    def confirm_cancel_pipeline(self, then: str) -> bool:
        """Ask before a running pipeline job is cancelled; True when none runs or the user agrees."""
        if not self.runner.is_running or self.quiet_dialogs:
            return True
        label = STAGE_LABELS.get(self.runner.name, self.runner.name.capitalize())
        answer = QMessageBox.question(
            self,
            "A job is running",
            f"A job is running ({label}). Cancel it and {then}?\n\nStages already finished are kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def stop_jobs(self, runners: tuple[JobRunner, ...], wait_ms: int = 0) -> None:
        """Cancel the jobs of `runners`, wait up to `wait_ms` in all, and detach any still busy (an
        engine call in flight cannot be interrupted): the window never waits for an engine."""
        for runner in runners:
            runner.cancel()
        deadline = QDeadlineTimer(wait_ms)
        for runner in runners:
            runner.stop(deadline)

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
        self._start_peaks()
        self._load_voice_catalog()
        self._update_title()

    def _initial_zoom(self) -> None:
        """Show the whole media when short, else the first minute (once the layout has its size)."""
        canvas = self.timeline.canvas
        canvas.px_per_s = max(canvas.width() / min(canvas.duration, 60.0), 0.05)
        canvas.view_start = -1.0
        canvas.set_view_start(0.0)

    def _load_media(self) -> None:
        project, folder = self.doc.project, self.doc.project_dir
        if project is None or folder is None:
            return
        media = Path(project.media.path) if project.media else None
        fallback = folder / "audio" / MIX_WAV
        has_video = bool(project.media and project.media.has_video and media and media.is_file())
        source = media if media and media.is_file() else (fallback if fallback.is_file() else None)
        self.player.load(source, project.media.fps if project.media else 25.0)
        self.player_panel.set_has_video(has_video)
        self._refresh_tracks()

    def _refresh_tracks(self) -> None:
        folder = self.doc.project_dir
        if folder is None:
            return
        for source, candidates in (
            (AudioSource.DUB, [folder / PREVIEW_DIR / "dub.wav", folder / "dub.wav"]),
            (AudioSource.MIX, [folder / PREVIEW_DIR / "mix.wav", folder / "mix.wav"]),
        ):
            self.player.set_track(source, next((p for p in candidates if p.is_file()), None))
        self.player_panel.refresh_sources()

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

    def _position_changed(self, seconds: float) -> None:
        self.timeline.canvas.set_playhead(seconds)
        if not self.player.is_playing():
            return
        segments = self.doc.segments
        row = bisect.bisect_right([s.start for s in segments], seconds) - 1 if len(segments) < 5000 else -1
        if row >= 0 and seconds < segments[row].end and segments[row].id != self.doc.selected_id:
            self._following_playback = True
            self.doc.select(segments[row].id)
            self._following_playback = False

    def _playing_changed(self, playing: bool) -> None:
        sp = QStyle.StandardPixmap
        self.actions_by_key["play_pause"].setIcon(
            self.style().standardIcon(sp.SP_MediaPause if playing else sp.SP_MediaPlay)
        )

    def set_audio_source(self, source: AudioSource) -> None:
        if source not in self.player.available_sources():
            self.statusBar().showMessage("No dub audio yet: render the preview (F6) or export first.", 5000)
            return
        self.player.set_source(source)
        self.player_panel.refresh_sources()

    def play_original(self) -> None:
        segment = self.doc.selected
        if segment is not None:
            self.clip_player.stop()
            self.player.set_source(AudioSource.ORIGINAL)
            self.player_panel.refresh_sources()
            self.player.play_range(segment.start, segment.end)

    def play_dub(self) -> None:
        segment = self.doc.selected
        if segment is None or segment.clip is None:
            self.statusBar().showMessage("This segment has no dub yet.", 4000)
            return
        self.player.pause()
        self.player.seek(segment.start)
        self.play_clip(segment.clip.path)

    def play_clip(self, relative: str) -> None:
        try:
            path = store.resolve_inside(self.doc.project_dir, relative)  # type: ignore[arg-type]
        except ProjectFileError as error:
            show_error(self, error)
            return
        self.clip_player.play(path, self.player.volume)

    # ==== background jobs =========================================================================
    def _pipeline(self, project: Project) -> Any:
        """An orchestrator over a copy of the project (called on the worker thread: heavy imports)."""
        from dubstudio.pipeline.orchestrator import Pipeline

        return Pipeline(self.doc.project_dir, project, self.engines)

    def _start_job(
        self,
        name: str,
        function: Callable[[ProgressCallback, CancelToken, StageDone], Any],
        *,
        owns_project: bool,
    ) -> bool:
        if self.runner.is_running:
            self.statusBar().showMessage(f"Wait for “{self.runner.name}” to finish (or cancel it).", 5000)
            return False
        if owns_project:
            self.doc.set_busy(True)
        return self.runner.start(name, function)

    def run_pipeline(self) -> None:
        """Run every stage that is stale or missing; earlier results are reused."""
        if not self.doc.is_open:
            return
        snapshot = copy.deepcopy(self.doc.project)

        def job(progress: ProgressCallback, cancel: CancelToken, done: StageDone) -> Any:
            return self._pipeline(snapshot).run(progress=progress, cancel=cancel, on_stage_done=done)

        self._start_job("pipeline", job, owns_project=True)

    def new_project(self, media: Path | None = None) -> None:
        from dubstudio.ui.dialogs.new_project import NewProjectDialog

        if not self.confirm_cancel_pipeline("start a new project") or not self.maybe_save():
            return
        dialog = NewProjectDialog(self, self.settings)
        if media is not None:
            dialog.media_edit.setText(str(media))
        if dialog.exec():
            self.stop_jobs((self.runner,))
            self.start_new_project(dialog.request())

    def start_new_project(self, request: Any) -> bool:
        """Create the project folder and run the whole pipeline on it in the background."""
        self.undo_stack.clear()
        self._new_project_dir = request.project_dir

        def job(progress: ProgressCallback, cancel: CancelToken, done: StageDone) -> Any:
            from dubstudio.pipeline.orchestrator import Pipeline

            pipeline = Pipeline.create(
                request.media,
                request.project_dir,
                source_language=request.source_language,
                target_language=request.target_language,
                subtitle_language=request.subtitle_language,
                settings=request.settings,
                subtitles=request.subtitles,
                engines=self.engines,
            )
            done("created", pipeline.project)
            return pipeline.run(progress=progress, cancel=cancel, on_stage_done=done)

        return self._start_job("new", job, owns_project=True)

    def _segment_job(self, name: str, label: str, method: str) -> None:
        segment = self.doc.selected
        if segment is None or not self.doc.is_open:
            return
        ids = [segment.id]
        snapshot = copy.deepcopy(self.doc.project)

        def job(progress: ProgressCallback, cancel: CancelToken, _done: StageDone) -> Any:
            return getattr(self._pipeline(snapshot), method)(ids, progress=progress, cancel=cancel)

        self._pending_segment_job = f"{label} #{self.doc.row_of(segment.id) + 1}"
        self._start_job(name, job, owns_project=True)

    def retranslate_selected(self) -> None:
        self._segment_job("retranslate", "Re-translate", "retranslate")

    def resynthesize_selected(self) -> None:
        self._segment_job("resynthesize", "Re-synthesize", "resynthesize")

    def export_dialog(self) -> None:
        from dubstudio.ui.dialogs.export import ExportDialog

        if not self.doc.is_open:
            return
        dialog = ExportDialog(self.doc.project_dir, self)
        if dialog.exec():
            self.export_project(dialog.out_dir())

    def export_project(self, out_dir: Path | None = None) -> bool:
        if not self.doc.is_open:
            return False
        snapshot = copy.deepcopy(self.doc.project)
        self._export_dir = out_dir or self.doc.project_dir

        def job(progress: ProgressCallback, cancel: CancelToken, _done: StageDone) -> Any:
            return self._pipeline(snapshot).export(out_dir, progress=progress, cancel=cancel)

        return self._start_job("export", job, owns_project=False)

    def render_preview(self) -> bool:
        """Place the current takes on the timeline (dub) and over the ducked original (mix) for playback."""
        if not self.doc.is_open:
            return False
        snapshot, folder = copy.deepcopy(self.doc.project), self.doc.project_dir

        def job(progress: ProgressCallback, cancel: CancelToken, _done: StageDone) -> Any:
            from dubstudio.ui.preview import render_preview

            return render_preview(folder, snapshot, folder / PREVIEW_DIR, progress=progress, cancel=cancel)

        return self._start_job("preview", job, owns_project=False)

    def cancel_job(self) -> None:
        if self.runner.is_running:
            self.stage_label.setText("Cancelling…")
            self.runner.cancel()

    # ---- job signals (GUI thread) ----
    def _job_started(self, name: str) -> None:
        self.stage_label.setText(STAGE_LABELS.get(name, name.capitalize()) + "…")
        self.progress_bar.setValue(0)
        for widget in (self.stage_label, self.progress_bar, self.cancel_button):
            widget.show()
        self._update_actions()

    def _job_progress(self, stage: str, fraction: float, message: str) -> None:
        self.stage_label.setText(STAGE_LABELS.get(stage, stage))
        self.progress_bar.setValue(round(fraction * 1000))
        self.progress_bar.setFormat(f"{message[:40]}  %p%" if message else "%p%")

    def _stage_done(self, stage: str, project: Project) -> None:
        """A stage finished: show its results at once (the worker saved them)."""
        if stage == "created":
            folder = self._new_project_dir
            self.set_project(project, folder)
            self.settings.add_recent(folder)
            return
        selected = self.doc.selected_id
        self.doc.replace_project(project, self.doc.project_dir)
        self.doc.set_dirty(False)
        if selected:
            self.doc.select(selected)
        self.statusBar().showMessage(f"{STAGE_LABELS.get(stage, stage)}: done.", 4000)

    def _job_completed(self, name: str, result: Any) -> None:
        if name in ("pipeline", "new") and isinstance(result, Project):
            selected = self.doc.selected_id
            self.undo_stack.clear()
            self.doc.replace_project(result, self.doc.project_dir)
            self.doc.set_dirty(False)
            self.doc.select(selected if self.doc.segment(selected) else "")
            self._refresh_tracks()
            self.statusBar().showMessage(
                f"Pipeline finished: {len(result.flagged_segments())} segments to review.", 8000
            )
        elif name in ("retranslate", "resynthesize") and isinstance(result, Project):
            self.doc.set_busy(False)
            self.undo_stack.push(commands.ApplyJobResultCommand(self.doc, result, self._pending_segment_job))
            self.timeline.canvas.update()
        elif name == "export":
            from dubstudio.ui.dialogs.export import ExportResultDialog, result_files

            self.last_export = result
            self._refresh_tracks()
            self.statusBar().showMessage(f"Exported to {self._export_dir}.", 8000)
            if not self.quiet_dialogs:
                ExportResultDialog(result_files(result), self._export_dir, self).exec()
        elif name == "preview":
            self._refresh_tracks()
            self.set_audio_source(AudioSource.DUB)
            self.statusBar().showMessage("Preview ready: Ctrl+2 plays the dub, Ctrl+3 the mix.", 8000)

    def _job_failed(self, name: str, failure: JobFailure) -> None:
        if name == "new" and self.doc.project is None:
            self._new_project_dir = None
        if self.quiet_dialogs:
            self.statusBar().showMessage(f"{name} failed: {failure.error}", 10000)
            self.last_failure = failure
            return
        show_error(
            self, failure.error, failure.details, title=f"{STAGE_LABELS.get(name, name.capitalize())} failed"
        )

    def _job_cancelled(self, name: str) -> None:
        self.statusBar().showMessage(
            f"{STAGE_LABELS.get(name, name.capitalize())} cancelled; finished stages are kept.", 8000
        )
        if name in ("pipeline", "new") and self.doc.is_open:
            # the pipeline saved every finished stage; show exactly what is on disk
            try:
                self.doc.replace_project(store.load_project(self.doc.project_dir), self.doc.project_dir)
                self.doc.set_dirty(False)
            except UserError as error:
                self.statusBar().showMessage(error.message, 10000)

    def _job_finished(self, name: str) -> None:
        self.doc.set_busy(False)
        for widget in (self.stage_label, self.progress_bar, self.cancel_button):
            widget.hide()
        self._update_actions()
        self.job_finished.emit(name)

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

    def _update_actions(self) -> None:
        act = self.actions_by_key
        is_open, busy = self.doc.is_open, self.doc.busy
        running = self.runner.is_running
        selected = self.doc.selected
        editable = is_open and not busy and selected is not None
        for key in ("save", "export", "preview"):
            act[key].setEnabled(is_open and not running)
        act["run"].setEnabled(is_open and not running)
        act["cancel"].setEnabled(running)
        for key in ("new", "open"):
            act[key].setEnabled(not running)
        for key in ("retranslate", "resynthesize", "split", "merge", "edit_transcript", "edit_translation"):
            act[key].setEnabled(editable and not running)
        act["play_dub"].setEnabled(selected is not None and selected.clip is not None)
        act["play_original"].setEnabled(selected is not None)
        act["undo"].setEnabled(not busy and self.undo_stack.canUndo())
        act["redo"].setEnabled(not busy and self.undo_stack.canRedo())

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
