"""Bug reports for unexpected errors, written by one writer for the CLI and the editor.

A `UserError` is the user's to fix and is never logged as a crash. Anything else is a bug: its
report (what DubStudio was doing, versions, the traceback, and the traceback from a child process
when the error came from one) goes to a file in the user log folder, which the CLI names in its
message and the editor's error dialog shows behind "Show Details…" and copies with "Copy report".

The folder is `$DUBSTUDIO_LOG_DIR`, else `logs/` in `$DUBSTUDIO_DATA_DIR` when that is set (so a
test run or a portable install keeps everything in one place), else the platform's user log
folder (`platformdirs`, e.g. ~/.local/state/dubstudio/log).
"""

from __future__ import annotations

import os
import platform
import sys
import traceback
from datetime import datetime
from pathlib import Path

LOG_DIR_ENV = "DUBSTUDIO_LOG_DIR"
DATA_DIR_ENV = "DUBSTUDIO_DATA_DIR"
#: a one-line summary longer than this is cut (the details keep everything)
SUMMARY_CHARS = 300


def log_dir() -> Path:
    if os.environ.get(LOG_DIR_ENV):
        return Path(os.environ[LOG_DIR_ENV])
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]) / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir("dubstudio", appauthor=False))


def error_summary(error: BaseException) -> str:
    """`Type: first line of the message`, short enough for a dialog's main text."""
    text = getattr(error, "summary", None) or str(error)
    first = text.strip().splitlines()[0] if text.strip() else ""
    line = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1] + "…"


def error_details(error: BaseException) -> str:
    """The traceback, followed by the child process's own traceback when the error came from one."""
    details = "".join(traceback.format_exception(error))
    child = getattr(error, "details", "")
    if isinstance(child, str) and child:
        details += "\nIn the child process:\n" + child
    return details


def crash_report(error: BaseException, context: str = "") -> str:
    """The text of a bug report: versions, what was being done, the details."""
    from dubstudio import __version__

    lines = [
        f"DubStudio {__version__} crash report, {datetime.now().isoformat(timespec='seconds')}",
        f"Python {platform.python_version()} on {platform.platform()}",
        f"Command: {' '.join(sys.argv)}",
    ]
    if context:
        lines.append(f"While: {context}")
    lines += ["", error_summary(error), "", error_details(error)]
    return "\n".join(lines)


def write_crash_report(error: BaseException, context: str = "") -> Path | None:
    """Write the report to a new file in `log_dir()`; its path, or None when it cannot be written
    (the caller still shows the error; a full or read-only disk must not hide it)."""
    folder = log_dir()
    path = folder / f"crash-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        counter = 1
        while path.exists():
            path = path.with_name(f"{path.stem.rsplit('.', 1)[0]}.{counter}.log")
            counter += 1
        path.write_text(crash_report(error, context), encoding="utf-8")
    except OSError:
        return None
    return path
