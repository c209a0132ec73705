"""The window's commands, registered by id: text, shortcut, icon, slot, when it is enabled, and
where it appears (menu, toolbar).

Adding a command is one call, anywhere after the window's widgets exist::

    window.register_action(
        "voices", "&Voices…", window.show_voices, "Ctrl+Shift+V", QStyle.StandardPixmap.SP_DirIcon,
        menu="&Tools", enabled_when=lambda state: state.is_open,
    )

It is then in `window.actions_by_key["voices"]`, in the shortcut list (F1), in its menu (appended when the
menus are already built) and enabled by its `enabled_when(ActionState)`; `refresh()` re-evaluates
every action when the window's state changes. `build_window_actions` registers the editor's own
commands; `MENUS` and `TOOLBAR` lay them out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStyle, QToolBar

from dubstudio.core.project import Segment
from dubstudio.ui.player import AudioSource

if TYPE_CHECKING:
    from dubstudio.ui.main_window import MainWindow

Shortcut = str | QKeySequence.StandardKey | None


@dataclass(frozen=True)
class ActionState:
    """What decides which commands are enabled."""

    is_open: bool
    #: a job owns the project (editing is paused)
    busy: bool
    #: a user job runs (the pipeline, a redo, an export…)
    running: bool
    selected: Segment | None
    can_undo: bool
    can_redo: bool

    @property
    def editable(self) -> bool:
        """A segment is selected and can be edited or redone now."""
        return self.is_open and not self.busy and not self.running and self.selected is not None


EnabledWhen = Callable[[ActionState], bool]


class ActionRegistry:
    """Every QAction of a window by id, with its enabling rule and its place in menus/toolbar."""

    def __init__(self, window: QMainWindow, state: Callable[[], ActionState]) -> None:
        self.window = window
        self._state = state
        self._actions: dict[str, QAction] = {}
        self._enabled_when: dict[str, EnabledWhen] = {}
        self._menus: dict[str, QMenu] = {}

    def register(
        self, action_id: str, text: str, slot: Callable[[], Any], *args: Any, **kwargs: Any
    ) -> QAction:
        """Create the action (a window-wide shortcut) running `slot`; the other arguments are `add`'s."""
        action = QAction(text, self.window)
        action.triggered.connect(lambda _checked=False: slot())
        return self.add(action_id, action, *args, **kwargs)

    def add(
        self,
        action_id: str,
        action: QAction,
        shortcut: Shortcut | list[str] = None,
        icon: QStyle.StandardPixmap | None = None,
        tip: str = "",
        *,
        enabled_when: EnabledWhen | None = None,
        menu: str = "",
        toolbar_text: str = "",
    ) -> QAction:
        """Register `action` (made by `register`, or elsewhere: the undo stack's undo/redo) under
        `action_id`, with its shortcut(s), icon, tooltip, enabling rule, menu and toolbar text."""
        if action_id in self._actions:
            raise KeyError(f"an action '{action_id}' is already registered")
        if isinstance(shortcut, list):
            action.setShortcuts([QKeySequence(keys) for keys in shortcut])
        elif shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(self.window.style().standardIcon(icon))
        if tip or shortcut is not None:
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip or action.text().replace('&', '')}" + (f" ({keys})" if keys else ""))
        if toolbar_text:
            action.setIconText(toolbar_text)
        self.window.addAction(action)
        self._actions[action_id] = action
        if enabled_when is not None:
            self._enabled_when[action_id] = enabled_when
        if menu:
            self._menu(menu).addAction(action)
        return action

    def __getitem__(self, action_id: str) -> QAction:
        return self._actions[action_id]

    def __contains__(self, action_id: object) -> bool:
        return action_id in self._actions

    def __iter__(self) -> Iterator[str]:
        return iter(self._actions)

    def values(self) -> list[QAction]:
        return list(self._actions.values())

    def refresh(self) -> None:
        """Enable each action by its rule for the window's current state."""
        state = self._state()
        for action_id, rule in self._enabled_when.items():
            self._actions[action_id].setEnabled(rule(state))

    # ---- layout --------------------------------------------------------------------------------
    def _menu(self, title: str) -> QMenu:
        if title not in self._menus:
            self._menus[title] = self.window.menuBar().addMenu(title)
        return self._menus[title]

    def menu(self, title: str) -> QMenu:
        """The menu bar's menu `title` (created at the end of the bar if new)."""
        return self._menu(title)

    def build_menus(self, layout: dict[str, list[str | None]]) -> None:
        """Fill menus from `layout` (title → action ids, None for a separator)."""
        for title, ids in layout.items():
            menu = self._menu(title)
            for action_id in ids:
                if action_id is None:
                    menu.addSeparator()
                else:
                    menu.addAction(self._actions[action_id])

    def build_toolbar(self, toolbar: QToolBar, ids: list[str | None]) -> None:
        for action_id in ids:
            if action_id is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(self._actions[action_id])


def _has_project(state: ActionState) -> bool:
    return state.is_open and not state.running


def _idle(state: ActionState) -> bool:
    return not state.running


def _editable(state: ActionState) -> bool:
    return state.editable


def _selected(state: ActionState) -> bool:
    return state.selected is not None


MENUS: dict[str, list[str | None]] = {
    "&File": ["new", "open", "open_recent", "save", "export", "batch", None, "quit"],
    "&Edit": [
        "undo", "redo", None, "edit_transcript", "edit_translation", "split", "merge", None, "settings",
    ],
    "&Segment": [
        "play_original", "play_dub", None, "retranslate", "resynthesize", None, "previous_segment",
        "next_segment", None, "previous_flagged", "next_flagged", "resolve", "ignore",
    ],
    "&Playback": [
        "play_pause", "stop", "frame_back", "frame_forward", "back_5s", "forward_5s", None,
        "audio_original", "audio_dub", "audio_mix",
    ],
    "&View": ["zoom_in", "zoom_out", "zoom_fit", None, "show_flagged", "show_all"],
    "P&ipeline": ["run", "cancel", None, "preview", "export"],
    "&Tools": ["models", "voices", "settings"],
    "&Help": ["shortcuts", "about"],
}  # fmt: skip
TOOLBAR: list[str | None] = [
    "new", "open", "save", None, "undo", "redo", None, "run", "cancel", "preview", "export", None,
    "previous_flagged", "next_flagged", "resolve",
]  # fmt: skip


def build_window_actions(window: MainWindow) -> ActionRegistry:
    """Register the editor's commands (before the menus and toolbar are laid out)."""
    registry = ActionRegistry(window, window.action_state)
    sp = QStyle.StandardPixmap
    a = registry.register
    files, jobs, run = window.files, window.jobs, window.project_jobs
    edits, playback, player = window.editing, window.playback, window.player
    canvas = lambda: window.timeline.canvas  # noqa: E731 (the timeline is built after the actions)
    # fmt: off
    a("new", "&New project…", run.new_project, QKeySequence.StandardKey.New, sp.SP_FileIcon,
      enabled_when=_idle, toolbar_text="New")
    a("open", "&Open project…", files.open_dialog, QKeySequence.StandardKey.Open, sp.SP_DialogOpenButton,
      enabled_when=_idle, toolbar_text="Open")
    recent = registry.add("open_recent", files.recent_menu.menuAction())
    recent.setText("Open &recent")
    a("save", "&Save", files.save, QKeySequence.StandardKey.Save, sp.SP_DialogSaveButton,
      enabled_when=_has_project)
    a("export", "&Export…", run.export_dialog, "Ctrl+E", sp.SP_DriveFDIcon, enabled_when=_has_project)
    a("batch", "&Batch…", window.show_batch, "Ctrl+Shift+B", sp.SP_FileDialogListView, "Dub many files")
    a("quit", "&Quit", window.close, QKeySequence.StandardKey.Quit)
    registry.add("undo", window.undo_stack.createUndoAction(window, "&Undo"), QKeySequence.StandardKey.Undo,
                 sp.SP_ArrowBack, enabled_when=lambda s: not s.busy and s.can_undo)
    registry.add("redo", window.undo_stack.createRedoAction(window, "&Redo"), ["Ctrl+Shift+Z", "Ctrl+Y"],
                 sp.SP_ArrowForward, enabled_when=lambda s: not s.busy and s.can_redo)
    a("edit_transcript", "Edit &transcript", window.edit_transcript, "Ctrl+T", enabled_when=_editable)
    a("edit_translation", "Edit tra&nslation", window.edit_translation, "Ctrl+Shift+T",
      enabled_when=_editable)
    a("split", "&Split at playhead", edits.split_selected, "Ctrl+B", sp.SP_ToolBarVerticalExtensionButton,
      enabled_when=_editable)
    a("merge", "&Merge with next", edits.merge_selected, "Ctrl+M", sp.SP_ToolBarHorizontalExtensionButton,
      enabled_when=_editable)
    a("play_original", "Play &original", playback.play_original, "Ctrl+Space", sp.SP_MediaPlay,
      enabled_when=_selected)
    a("play_dub", "Play &dub", playback.play_dub, "Ctrl+Shift+Space", sp.SP_MediaVolume,
      enabled_when=lambda s: s.selected is not None and s.selected.clip is not None)
    a("retranslate", "Re-&translate", run.retranslate_selected, "Ctrl+Shift+R", sp.SP_BrowserReload,
      enabled_when=_editable)
    a("resynthesize", "Re-s&ynthesize", run.resynthesize_selected, "Ctrl+Shift+Y", sp.SP_MediaVolume,
      enabled_when=_editable)
    a("next_flagged", "&Next flagged", lambda: window.go_flagged(1), "F8", sp.SP_ArrowDown,
      toolbar_text="Next flagged")
    a("previous_flagged", "&Previous flagged", lambda: window.go_flagged(-1), "Shift+F8", sp.SP_ArrowUp,
      toolbar_text="Prev. flagged")
    a("resolve", "&Resolve issue", lambda: window.review.set_current_status("resolved"), "Ctrl+R",
      sp.SP_DialogApplyButton)
    a("ignore", "&Ignore issue", lambda: window.review.set_current_status("ignored"), "Ctrl+I")
    a("next_segment", "Next segment", lambda: window.go_segment(1), "Alt+Down", sp.SP_MediaSkipForward)
    a("previous_segment", "Previous segment", lambda: window.go_segment(-1), "Alt+Up",
      sp.SP_MediaSkipBackward)
    a("play_pause", "Play / pause", player.toggle, "Space", sp.SP_MediaPlay)
    a("stop", "Stop", player.stop, None, sp.SP_MediaStop)
    a("frame_back", "Previous frame", lambda: player.step_frame(-1), "Ctrl+Left", sp.SP_MediaSeekBackward)
    a("frame_forward", "Next frame", lambda: player.step_frame(1), "Ctrl+Right", sp.SP_MediaSeekForward)
    a("back_5s", "Back 5 seconds", lambda: player.seek(player.position() - 5), "Shift+Left")
    a("forward_5s", "Forward 5 seconds", lambda: player.seek(player.position() + 5), "Shift+Right")
    a("audio_original", "Hear the original", lambda: playback.set_audio_source(AudioSource.ORIGINAL),
      "Ctrl+1")
    a("audio_dub", "Hear the dub", lambda: playback.set_audio_source(AudioSource.DUB), "Ctrl+2")
    a("audio_mix", "Hear the mix", lambda: playback.set_audio_source(AudioSource.MIX), "Ctrl+3")
    a("zoom_in", "Zoom &in", lambda: canvas().zoom(1.5), "Ctrl+=", sp.SP_ArrowUp)
    a("zoom_out", "Zoom &out", lambda: canvas().zoom(1 / 1.5), "Ctrl+-", sp.SP_ArrowDown)
    a("zoom_fit", "&Fit whole timeline", lambda: canvas().zoom_to_fit(), "Ctrl+0")
    a("show_flagged", "Show only &flagged", lambda: window.table.set_filter("flagged"), "Ctrl+Shift+F")
    a("show_all", "Show &all segments", lambda: window.table.set_filter("all"), "Ctrl+Shift+A")
    a("run", "&Run pipeline (redo stale work)", run.run_pipeline, "F5", sp.SP_MediaPlay,
      enabled_when=_has_project, toolbar_text="Run")
    a("cancel", "&Cancel job", jobs.cancel, "Ctrl+.", sp.SP_BrowserStop,
      enabled_when=lambda s: s.running, toolbar_text="Cancel")
    a("preview", "Render &preview audio (dub and mix)", run.render_preview, "F6", sp.SP_MediaVolume,
      enabled_when=_has_project, toolbar_text="Preview")
    a("models", "&Models…", window.show_models, None, sp.SP_DriveHDIcon)
    a("voices", "&Voices…", window.show_voices, "Ctrl+Shift+V", sp.SP_DirHomeIcon, tip="Voice library")
    a("settings", "&Settings…", window.show_settings, QKeySequence.StandardKey.Preferences)
    a("shortcuts", "&Keyboard shortcuts", window.show_shortcuts, "F1", sp.SP_DialogHelpButton)
    a("about", "&About DubStudio", window.show_about, None, sp.SP_MessageBoxInformation)
    # fmt: on
    return registry


def build_toolbar(window: MainWindow) -> QToolBar:
    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("main-toolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    window.actions_by_key.build_toolbar(toolbar, TOOLBAR)
    return toolbar
