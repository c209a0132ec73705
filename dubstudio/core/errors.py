"""Errors a user can act on.

Every failure caused by input (a file, a setting, a missing model) is raised as a `UserError` that
names the thing at fault and what to do about it. The CLI prints it as one paragraph and the GUI
shows it in a dialog; neither shows a traceback for a `UserError`.
"""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A problem the user can fix: what is wrong, with which file, and what to do."""

    def __init__(self, problem: str, *, path: str | Path | None = None, fix: str = "") -> None:
        self.problem = problem
        self.path = str(path) if path is not None else None
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f"{self.path}: " if self.path else ""
        advice = f" {self.fix}" if self.fix else ""
        return f"{where}{self.problem.rstrip('.')}.{advice}"

    def __reduce__(self):
        """Pickled with its fields (an error from a stage's child process keeps its path and fix)."""
        return _rebuild_user_error, (type(self), dict(self.__dict__))


def _rebuild_user_error(kind: type[UserError], fields: dict) -> UserError:
    error = kind.__new__(kind)
    error.__dict__.update(fields)
    Exception.__init__(error, error.message)
    return error


class ProjectFileError(UserError):
    """project.json (or a file it refers to) is unreadable, malformed or hostile."""


class MediaError(UserError):
    """The input media cannot be used: unreadable, truncated, without an audio stream…"""


class ModelMissingError(UserError):
    """A model the job needs is not installed or failed verification."""


class UnsupportedLanguageError(UserError):
    """No installed engine handles the requested language or language pair."""


class Cancelled(Exception):
    """The user cancelled a running job; the project is left consistent."""
