"""`dubstudio tm import FILE.tmx | export FILE.tmx | stats`: the translation memory.

The memory holds every translation corrected in the editor (and whatever was imported); stage 3
reuses its exact matches before machine translation, and the editor offers its close matches.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "tm",
        help="translation memory: import or export TMX, show statistics",
        description="Manage the translation memory (the editor's corrected translations, reused before MT).",
    )
    parser.set_defaults(func=_stats)
    actions = parser.add_subparsers(title="actions", metavar="ACTION")
    importer = actions.add_parser("import", help="add the units of a TMX file")
    importer.add_argument("file", type=Path, help="a .tmx file")
    importer.add_argument("--project", default="", help="project name recorded with the entries")
    importer.set_defaults(func=_import)
    exporter = actions.add_parser("export", help="write the memory (or one language pair) as TMX")
    exporter.add_argument("file", type=Path, help="the .tmx file to write")
    exporter.add_argument("--from", dest="source", default="", help="only this source language")
    exporter.add_argument("--to", dest="target", default="", help="only this target language")
    exporter.set_defaults(func=_export)
    actions.add_parser("stats", help="entries per language pair, and where the memory is").set_defaults(
        func=_stats
    )


def _say(console: Console, text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _import(args: argparse.Namespace) -> int:
    import dataclasses

    from dubstudio.pipeline.tmx import read_tmx
    from dubstudio.pipeline.translation_memory import TranslationMemory

    memory = TranslationMemory()
    entries = [
        dataclasses.replace(entry, project=args.project or entry.project or args.file.stem)
        for entry in read_tmx(args.file)
    ]
    count = memory.add(entries)
    _say(Console(), f"Imported {count} translation units from {args.file} into {memory.path}.")
    return 0


def _export(args: argparse.Namespace) -> int:
    from dubstudio.pipeline.tmx import write_tmx
    from dubstudio.pipeline.translation_memory import TranslationMemory

    memory = TranslationMemory()
    count = write_tmx(args.file, memory.entries(args.source, args.target))
    _say(Console(), f"Exported {count} translation units to {args.file}.")
    return 0


def _stats(_args: argparse.Namespace) -> int:
    from dubstudio.pipeline.translation_memory import TranslationMemory

    memory = TranslationMemory()
    console = Console()
    stats = memory.stats()
    _say(console, f"Translation memory: {memory.path}")
    if not stats:
        _say(console, "It is empty: translations you correct in the editor are added to it.")
    for (source, target), count in stats.items():
        _say(console, f"  {source}→{target}: {count} entries")
    return 0
