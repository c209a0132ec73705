"""The window's project files: open (with crash recovery and the backup of a damaged file), save,
autosave, the unsaved-changes question and the recent-projects menu.

Opening another project first asks before a running job is cancelled, then stops (or detaches)
it: a job keeps the folder it was started on, so a detached one never writes into the new project.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from dubstudio.core import store
from dubstudio.core.errors import UserError
from dubstudio.ui.dialogs import error as error_dialogs
from dubstudio.ui.dialogs.recovery import DISCARD, RECOVER, ask_recovery

if TYPE_CHECKING:
    from dubstudio.ui.main_window import MainWindow


class ProjectFiles(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.doc = window.doc
        self.recent_menu = QMenu("Open &recent", window)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)

    def open_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Open a DubStudio project folder")
        if folder:
            self.open_project(Path(folder))

    def _fill_recent_menu(self) -> None:
        settings = self.window.settings
        self.recent_menu.clear()
        for folder in settings.recent_projects():
            action = self.recent_menu.addAction(str(folder))
            action.triggered.connect(lambda _checked=False, f=folder: self.open_project(f))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", settings.clear_recent)

    def maybe_save(self) -> bool:
        """Ask about unsaved edits; False when the user cancels."""
        if not self.doc.dirty or not self.doc.is_open:
            return True
        answer = QMessageBox.question(
            self.window,
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

        A running job is cancelled (after asking) once the new project has loaded."""
        window = self.window
        if not window.jobs.confirm_cancel("open another project") or not self.maybe_save():
            return False
        folder = Path(folder)
        try:
            project = None
            if store.recovery_available(folder):
                choice = recovery(window, folder)
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
                            window, "Damaged project", f"{damaged.message}\n\nOpen the backup?"
                        )
                        != QMessageBox.StandardButton.Yes
                    ):
                        return False
                    project = store.load_project(folder, use_backup=True)
            window.session.check_settings(project.settings, folder / store.PROJECT_FILE)
        except UserError as error:
            error_dialogs.show_error(window, error, title="Cannot open the project")
            return False
        window.jobs.stop()
        window.set_project(project, folder, dirty=store.recovery_available(folder))
        window.settings.add_recent(folder)
        return True

    def save(self) -> bool:
        if not self.doc.is_open:
            return False
        try:
            store.save_project(self.doc.project_dir, self.doc.project)
        except UserError as error:
            error_dialogs.show_error(self.window, error, title="Cannot save")
            return False
        self.window.undo_stack.setClean()
        self.doc.set_dirty(False)
        self.window.statusBar().showMessage("Saved.", 3000)
        return True

    def autosave(self) -> None:
        """Periodic safety copy (project.autosave.json) while there are unsaved edits."""
        if self.doc.dirty and self.doc.is_open and not self.doc.busy:
            try:
                store.autosave(self.doc.project_dir, self.doc.project)
            except UserError as error:
                self.window.statusBar().showMessage(error.message, 10000)
