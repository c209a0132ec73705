"""The `dubstudio` command: the editor with no sub-command, the CLI otherwise.

Every command group lives in its own `dubstudio/cli/<name>_cmd.py` module exposing
`register(subparsers)`; this module finds them, so adding a command never touches this file.
Command modules import heavy engines lazily inside their handlers, keeping `--help` instant.

Errors: a `UserError` becomes one paragraph on stderr and exit code 2; cancelling (Ctrl+C) exits
130; anything unexpected is written with its traceback to a crash report in the user log folder
(`core.crash_log`, the editor's writer too), and the user is told where.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import textwrap
from pathlib import Path

from dubstudio import __version__
from dubstudio.core.errors import Cancelled, UserError

EXIT_USER_ERROR = 2
EXIT_CANCELLED = 130
EXIT_INTERNAL_ERROR = 70


def build_parser() -> tuple[argparse.ArgumentParser, set[str]]:
    """The parser and the names of its commands."""
    parser = argparse.ArgumentParser(
        prog="dubstudio",
        description="Offline subtitle-and-dub editor. Run without a command to open the editor.",
    )
    parser.add_argument("--version", action="version", version=f"DubStudio {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    package = importlib.import_module("dubstudio.cli")
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name.endswith("_cmd"):
            importlib.import_module(f"dubstudio.cli.{module_info.name}").register(subparsers)
    return parser, set(subparsers.choices)


def _print_paragraph(text: str) -> None:
    # Paths must stay whole (copyable): never split a long word or break at a hyphen inside a path.
    print(textwrap.fill(text, width=100, break_long_words=False, break_on_hyphens=False), file=sys.stderr)


def run_command(func, args: argparse.Namespace) -> int:
    """Run a handler and turn failures into the exit codes and messages described above."""
    try:
        return int(func(args) or 0)
    except UserError as exc:
        _print_paragraph(f"Error: {exc.message}")
        return EXIT_USER_ERROR
    except (Cancelled, KeyboardInterrupt):
        _print_paragraph(
            "Cancelled. The project keeps every stage that finished; run the command again to resume."
        )
        return EXIT_CANCELLED
    except Exception as exc:
        from dubstudio.core.crash_log import error_details, error_summary, write_crash_report

        log = write_crash_report(exc, context=f"the command {' '.join(sys.argv[1:]) or 'dubstudio'}")
        where = f"The details are in {log}; please attach that file to a bug report." if log else ""
        _print_paragraph(
            f"Internal error: {error_summary(exc)}. This is a bug in DubStudio, not in your input. {where}"
        )
        if log is None:  # the log folder is not writable: the details go to stderr instead
            print(error_details(exc), file=sys.stderr)
        return EXIT_INTERNAL_ERROR


def _gui_target(argv: list[str], commands: set[str]) -> tuple[Path | None, Path | None] | None:
    """`dubstudio` → editor; `dubstudio PATH` (desktop "Open with") → a project or a new one for media."""
    if not argv:
        return None, None
    if len(argv) == 1 and argv[0] not in commands and not argv[0].startswith("-"):
        path = Path(argv[0])
        if path.is_dir() or path.name == "project.json":
            return (path if path.is_dir() else path.parent), None
        if path.is_file():
            return None, path
    return None


def main(argv: list[str]) -> int:
    parser, commands = build_parser()
    target = _gui_target(argv, commands)
    if target is not None:
        from dubstudio.ui.app import run_gui

        project_dir, media = target
        return run_command(lambda _args: run_gui(project_dir, None, media=media), argparse.Namespace())
    args = parser.parse_args(argv)
    return run_command(args.func, args)
