"""`dubstudio` with no sub-command opens the editor; with one, runs the CLI."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    from dubstudio.cli.main import main as cli_main

    # a frozen bundle starts the editor's stage processes (pipeline/isolation.py) through this entry
    multiprocessing.freeze_support()

    return cli_main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
