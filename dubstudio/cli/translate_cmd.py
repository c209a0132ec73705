"""`dubstudio translate IN.srt --to es -o OUT.srt`: translate a subtitle file, sentence by sentence.

Formats follow the file extensions (.srt, .vtt, .ass). The flagged cues (idioms, untranslated
words, glossary misses, dubs too long for their cue…) are counted at the end so the user knows
what to review.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rich.console import Console

from dubstudio.core.errors import UserError
from dubstudio.core.project import Settings
from dubstudio.core.subtitles import export_subtitles, import_subtitles
from dubstudio.engines.translators import ENGINE_NAMES, pick_translator
from dubstudio.models.paths import language_data_dir
from dubstudio.pipeline.translation_memory import TranslationMemory
from dubstudio.stages.glossary import load_glossary
from dubstudio.stages.translation import translate_segments
from dubstudio.stages.translation_checks import guess_language


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "translate",
        help="translate a subtitle file (.srt/.vtt/.ass)",
        description="Translate every cue of a subtitle file offline and report the cues to review.",
    )
    parser.add_argument("input", type=Path, help="subtitle file to translate")
    parser.add_argument("--to", dest="target", required=True, help="target language (ISO 639-1, e.g. es)")
    parser.add_argument("--from", dest="source", help="source language (guessed from the text if omitted)")
    parser.add_argument("--engine", choices=("auto", *ENGINE_NAMES), default="auto")
    parser.add_argument("--glossary", type=Path, help="term list: 'source<TAB>target' per line")
    parser.add_argument("-o", "--output", type=Path, required=True, help="translated subtitle file")
    parser.add_argument(
        "--no-memory", action="store_true", help="do not reuse the translation memory's exact matches"
    )
    parser.set_defaults(func=run)


def _source_language(args: argparse.Namespace, texts: list[str]) -> str:
    if args.source:
        return args.source
    guessed = guess_language(" ".join(texts))
    if guessed is None:
        raise UserError(
            "the language of the subtitles could not be recognised",
            path=args.input,
            fix="Give it with --from (e.g. --from en).",
        )
    return guessed


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    imported = import_subtitles(args.input)
    for problem in imported.problems:
        console.print(f"[yellow]{args.input}: skipped {problem}[/yellow]")
    segments = imported.segments
    source = _source_language(args, [s.original_text for s in segments])
    glossary = load_glossary(args.glossary) if args.glossary else []
    translator = pick_translator(source, args.target, args.engine) if source != args.target else None
    memory = None if args.no_memory else TranslationMemory()
    with console.status(f"Translating {len(segments)} cues {source}→{args.target}…"):
        translated = translate_segments(
            segments,
            translator,
            source=source,
            subtitle_language=args.target,
            tts_language=args.target,
            glossary=glossary,
            settings=Settings(),
            memory=memory,
            rules_dir=language_data_dir(),
        )
    written = export_subtitles(translated, args.output, text_field="translated_text")
    flagged = [s for s in translated if s.open_issues]
    codes = Counter(issue.code for s in translated for issue in s.open_issues)
    engine = translator.name if translator else "none (same language)"
    console.print(f"Wrote {written} cues to {args.output} ({source}→{args.target}, engine: {engine}).")
    remembered = sum(s.translation_origin == "tm" for s in translated)
    if remembered:
        console.print(f"{remembered} cues came from the translation memory ({memory.path}).")
    console.print(f"{len(flagged)} of {len(translated)} cues flagged for review.")
    for code, count in codes.most_common():
        console.print(f"  {code}: {count}")
    return 0
