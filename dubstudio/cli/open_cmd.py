"""`dubstudio open DIR [--screenshot FILE.png]`: open a project in the editor."""

from __future__ import annotations

import argparse
from pathlib import Path

from dubstudio.core.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "open",
        help="open a project folder in the editor",
        description="Open a DubStudio project folder in the editor. With --screenshot, render the loaded "
        "window to a PNG and exit (needs a display; under CI use xvfb-run).",
    )
    parser.add_argument("project", type=Path, help="the project folder (it holds project.json)")
    parser.add_argument(
        "--screenshot", type=Path, metavar="FILE.png", help="save the window to this PNG and exit"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    folder: Path = args.project
    if not (folder / "project.json").is_file():
        raise UserError(
            "this is not a DubStudio project folder (no project.json)",
            path=folder,
            fix="Pass the folder that 'dubstudio dub' or the editor created.",
        )
    if args.screenshot is not None and args.screenshot.suffix.lower() != ".png":
        raise UserError("the screenshot must be a .png file", path=args.screenshot)
    from dubstudio.core import store
    from dubstudio.engines.factory import check_engine_names

    if not store.recovery_available(folder):
        # a damaged or hostile project, or one naming an unknown engine, is reported here, before any window
        project = store.load_project(folder)
        check_engine_names(project.settings, folder / store.PROJECT_FILE)
    from dubstudio.ui.app import run_gui

    return run_gui(folder, args.screenshot)
