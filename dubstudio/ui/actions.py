"""The main window's actions, toolbar and menus: one table of every command (text, shortcut, icon,
slot), the toolbar and menu layouts built from it, and which actions are enabled in each state.

`ActionsMixin` is a base class of `MainWindow`; its methods use the window's widgets, document,
player and slots, and fill `actions_by_key` (action key -> `QAction`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle

from dubstudio.ui.player import AudioSource


class ActionsMixin:
    """Action, toolbar and menu construction for `MainWindow` (a `QMainWindow`)."""

    actions_by_key: dict[str, QAction]

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
        a("batch", "&Batch…", self.show_batch, "Ctrl+Shift+B", sp.SP_FileDialogListView, "Dub many files")
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

    def _create_toolbar(self) -> None:
        act = self.actions_by_key
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
        file_menu.addActions([act["save"], act["export"], act["batch"]])
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
