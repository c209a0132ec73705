"""The editor's main window: player, review queue and inspector on top, the waveform timeline in
the middle, the segment table below; menus, toolbar, status bar with job progress.

The window owns one `ProjectDocument` (the GUI thread's project), one undo stack and one
`EngineSession` (the engines every job shares, loaded once), and hands the rest to small
collaborators, each in its own module:

- `jobs`: `JobController`, runs every background job with its own callbacks (`ui/jobs.py`);
- `project_jobs`: the editor's jobs: pipeline, re-translate/re-synthesize, preview, export, and the
  background ones (waveform, voice list, engine warm-up) (`ui/project_jobs.py`);
- `actions_by_key`: `ActionRegistry`, every command by id with its enabling rule (`ui/actions.py`);
- `files`: open, save, autosave, recovery (`ui/project_files.py`);
- `editing`: the undoable edits (`ui/editing.py`);
- `playback`: player, dub tracks, playing a segment (`ui/playback.py`).

Extending it: a command is `window.register_action(id, text, slot, shortcut, icon, menu=...,
enabled_when=...)`; a job is `window.jobs.start(name, work, on_done=...)`. While a job owns the
project, editing is disabled and playback and navigation keep working.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QUndoStack
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QSplitter, QStyle, QTabWidget

from dubstudio.core.project import Project
from dubstudio.engines.factory import Engines
from dubstudio.pipeline.session import EngineSession
from dubstudio.ui.actions import MENUS, ActionState, build_toolbar, build_window_actions
from dubstudio.ui.document import ProjectDocument
from dubstudio.ui.editing import SegmentEditing
from dubstudio.ui.inspector import SegmentInspector
from dubstudio.ui.jobs import JobController
from dubstudio.ui.mouths import MouthActivityController
from dubstudio.ui.playback import PlaybackControl
from dubstudio.ui.player import create_player
from dubstudio.ui.player.clip_player import ClipPlayer
from dubstudio.ui.player.panel import PlayerPanel
from dubstudio.ui.progress import JobStatus
from dubstudio.ui.project_files import ProjectFiles
from dubstudio.ui.project_jobs import ProjectJobs
from dubstudio.ui.review import ReviewPanel, next_flagged
from dubstudio.ui.segments import SegmentTableView
from dubstudio.ui.settings import AppSettings
from dubstudio.ui.timeline import TimelineWidget

#: how long closing the window waits for cancelled jobs before leaving them to end in the background
CLOSE_WAIT_MS = 1000
#: how long after a project appears its waveform, voice-list and engine jobs start
PROJECT_JOBS_DELAY_MS = 300


class MainWindow(QMainWindow):
    #: emitted when a user job (pipeline, redo, preview, export) ends (its name), for tests and scripts
    job_finished = Signal(str)

    def __init__(
        self, settings: AppSettings | None = None, engines: Engines | EngineSession | None = None
    ) -> None:
        """`engines`: an engine set (or a whole session) to use instead of the window's own, e.g. one
        a test module shares; by default the window builds its engines from each project's settings."""
        super().__init__()
        self.settings = settings or AppSettings()
        self.session = engines if isinstance(engines, EngineSession) else EngineSession(engines)
        self.doc = ProjectDocument(self)
        self.undo_stack = QUndoStack(self)
        self.player = create_player(self, self.settings.text("ui/player"))
        self.clip_player = ClipPlayer(self)
        #: the voices for the combo boxes, once the background job has listed them
        self.voice_list: list[tuple[str, str]] = []
        self.jobs = JobController(self, self.doc)
        self.files = ProjectFiles(self)
        self.editing = SegmentEditing(self)
        self.playback = PlaybackControl(self)
        self.project_jobs = ProjectJobs(self)
        self.actions_by_key = build_window_actions(self)
        self.setWindowTitle("DubStudio")
        if QApplication.windowIcon().isNull():
            self.setWindowIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaVolume))
        self.resize(1500, 940)
        self._create_widgets()
        self.actions_by_key.build_menus(MENUS)
        self.toolbar = build_toolbar(self)
        self.job_status = JobStatus(self.jobs, self.statusBar())
        self.flag_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.flag_label)
        self.statusBar().addPermanentWidget(QLabel(f"Player: {self.player.backend}", self))
        self._connect()
        self.mouths = MouthActivityController(self)  # lip-sync assist (ui/mouths.py)
        self._project_jobs_timer = QTimer(self)
        self._project_jobs_timer.setSingleShot(True)
        self._project_jobs_timer.setInterval(PROJECT_JOBS_DELAY_MS)
        self._project_jobs_timer.timeout.connect(self.project_jobs.start_project_jobs)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.files.autosave)
        if self.settings.autosave_seconds:
            self.autosave_timer.start(self.settings.autosave_seconds * 1000)
        self.actions_by_key.refresh()
        self._update_title()
        QTimer.singleShot(0, self.project_jobs.warm_up_modules)

    @property
    def quiet_dialogs(self) -> bool:
        """Tests and scripts set this to get job results in the status bar instead of modal dialogs."""
        return self.jobs.quiet_dialogs

    @quiet_dialogs.setter
    def quiet_dialogs(self, quiet: bool) -> None:
        self.jobs.quiet_dialogs = quiet

    def register_action(
        self, action_id: str, text: str, slot: Callable[[], Any], *args: Any, **kwargs: Any
    ) -> QAction:
        """Add a command: see `ActionRegistry.register` (menu, toolbar text, enabling rule)."""
        return self.actions_by_key.register(action_id, text, slot, *args, **kwargs)

    def action_state(self) -> ActionState:
        return ActionState(
            is_open=self.doc.is_open,
            busy=self.doc.busy,
            running=self.jobs.is_running,
            selected=self.doc.selected,
            can_undo=self.undo_stack.canUndo(),
            can_redo=self.undo_stack.canRedo(),
        )

    # ==== construction ===============================================================================
    def _create_widgets(self) -> None:
        act = self.actions_by_key
        player_keys = ["play_pause", "stop", None, "frame_back", "frame_forward", None, "previous_segment",
                       "next_segment"]  # fmt: skip
        self.player_panel = PlayerPanel(self.player, [act[k] if k else None for k in player_keys], self)
        self.review = ReviewPanel(self.doc, self)
        inspector_keys = ["play_original", "play_dub", "retranslate", "resynthesize", "split", "merge"]
        self.inspector = SegmentInspector(
            self.doc, self.voice_choices, [act[k] for k in inspector_keys], self
        )
        icon = self.style().standardIcon
        self.side_tabs = QTabWidget(self)
        self.side_tabs.addTab(self.review, icon(QStyle.StandardPixmap.SP_MessageBoxWarning), "Review queue")
        self.side_tabs.addTab(
            self.inspector, icon(QStyle.StandardPixmap.SP_FileDialogDetailedView), "Segment"
        )
        self.timeline = TimelineWidget(self.doc, self)
        self.table = SegmentTableView(self.doc, self.voice_choices, self)
        self.table.model.edit_handler = self.editing.edit_segment

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

    def _connect(self) -> None:
        doc, edits = self.doc, self.editing
        doc.structure_changed.connect(self._project_changed)
        doc.segments_changed.connect(lambda _ids: self._project_changed())
        doc.dirty_changed.connect(lambda _dirty: self._update_title())
        doc.busy_changed.connect(lambda _busy: self.actions_by_key.refresh())
        doc.selection_changed.connect(self._selection_changed)
        self.undo_stack.cleanChanged.connect(lambda clean: doc.set_dirty(not clean))
        self.undo_stack.indexChanged.connect(lambda _index: self.actions_by_key.refresh())
        self.jobs.started.connect(lambda _name: self.actions_by_key.refresh())
        self.jobs.finished.connect(lambda _name: self.actions_by_key.refresh())
        self.jobs.finished.connect(self.job_finished)
        canvas = self.timeline.canvas
        canvas.seek_requested.connect(self.player.seek)
        canvas.retime_requested.connect(edits.retime_segment)
        self.review.segment_chosen.connect(doc.select)
        self.review.status_requested.connect(edits.set_issue_status)
        self.review.review_cleared.connect(edits.mark_reviewed)
        self.review.navigate.connect(self.go_flagged)
        self.inspector.edit_requested.connect(edits.edit_segment)
        self.inspector.take_requested.connect(edits.pick_take)
        self.inspector.play_take_requested.connect(self.playback.play_clip)
        self.inspector.memory_candidates.apply_requested.connect(edits.use_memory)
        self.inspector.name_speaker_requested.connect(self.show_voices)

    # ==== the project ==============================================================================
    def open_project(self, folder: Path, **options: Any) -> bool:
        """Open a project folder (see `ProjectFiles.open_project`); errors are shown, never raised."""
        return self.files.open_project(folder, **options)

    def save(self) -> bool:
        return self.files.save()

    def set_project(self, project: Project, folder: Path, *, dirty: bool = False) -> None:
        """Show `project` (from `folder`): the views, the media, and later its background jobs."""
        # the waveform and voices of the previous project are obsolete: drop them, do not wait
        self.jobs.stop(("peaks", "voices"))
        self.undo_stack.clear()
        self.voice_list = []
        self.doc.select("")
        self.doc.replace_project(project, folder)
        self.doc.set_dirty(dirty)
        self.playback.load_media()
        self.timeline.canvas.clip_peaks.clear()
        QTimer.singleShot(0, self._initial_zoom)
        if project.segments:
            self.doc.select(project.segments[0].id)
        # the background jobs start once the project has painted (their imports and threads
        # compete with that first paint for the CPU and the GIL: bench/ui_responsiveness.py)
        self._project_jobs_timer.start()
        self._update_title()

    def _initial_zoom(self) -> None:
        """Show the whole media when short, else the first minute (once the layout has its size)."""
        canvas = self.timeline.canvas
        canvas.px_per_s = max(canvas.width() / min(canvas.duration, 60.0), 0.05)
        canvas.view_start = -1.0
        canvas.set_view_start(0.0)

    def voice_choices(self) -> list[tuple[str, str]]:
        """Voices for the combo boxes: the listed catalog plus any voice in use."""
        project = self.doc.project
        used: set[str] = set()
        if project is not None:
            used = {s.effective_voice for s in project.speakers} | {s.voice_id for s in project.segments}
        known = {value for value, _label in self.voice_list}
        return self.voice_list + [(v, v) for v in sorted(used - known - {""})]

    def _project_changed(self) -> None:
        open_issues = self.review.open_issue_count()
        flagged = len(self.doc.project.flagged_segments()) if self.doc.project else 0
        self.flag_label.setText(
            f"⚑ {flagged} to review · {open_issues} open issues" if self.doc.project else ""
        )
        self.actions_by_key.refresh()

    def _update_title(self) -> None:
        name = self.doc.project.name if self.doc.project else ""
        self.setWindowTitle(f"{'• ' if self.doc.dirty else ''}{name + ' — ' if name else ''}DubStudio")
        self.setWindowModified(self.doc.dirty)

    # ==== navigation ================================================================================
    def edit_transcript(self) -> None:
        self.side_tabs.setCurrentWidget(self.inspector)
        self.inspector.original.setFocus()

    def edit_translation(self) -> None:
        self.side_tabs.setCurrentWidget(self.inspector)
        self.inspector.translation.setFocus()

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
        self.actions_by_key.refresh()
        if segment is None or self.playback.following:
            return
        self.timeline.canvas.show_span(segment.start, segment.end)
        if not (segment.start <= self.player.position() < segment.end):
            self.player.seek(segment.start)

    # ==== dialogs ===================================================================================
    def show_models(self) -> None:
        from dubstudio.ui.dialogs.models import ModelManagerDialog

        ModelManagerDialog(self).exec()

    def show_voices(self, speaker_id: str = "") -> None:
        from dubstudio.ui.dialogs.voices import VoicesDialog

        VoicesDialog(self.doc, self.undo_stack, parent=self, speaker_id=speaker_id).exec()

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

        ShortcutsDialog(self.actions_by_key.values(), self).exec()

    def show_about(self) -> None:
        from dubstudio.ui.dialogs.about import AboutDialog

        AboutDialog(self.doc.project, self.player.backend, self).exec()

    # ==== closing ===================================================================================
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.jobs.confirm_cancel("close") or not self.files.maybe_save():
            event.ignore()
            return
        self.shutdown()
        self.settings.set("window/geometry", self.saveGeometry())
        self.settings.set("window/splitter", self.main_splitter.saveState())
        event.accept()

    def shutdown(self) -> None:
        """Stop playback, cancel every background job (waiting at most `CLOSE_WAIT_MS` for them) and
        end the recognition process.

        A job still inside an engine call then ends on its own thread while the window is gone;
        the application waits for it when it exits (`worker.wait_for_detached_jobs`)."""
        self.jobs.shutdown(CLOSE_WAIT_MS)
        self.session.close()
        self.mouths.stop()
        self.player.stop()
        self.clip_player.stop()

    def restore_layout(self) -> None:
        geometry = self.settings.store.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.settings.store.value("window/splitter")
        if isinstance(state, QByteArray):
            self.main_splitter.restoreState(state)
