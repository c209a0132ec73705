"""`dubstudio voices list | export FILE | import FILE | name PROJECT SPEAKER NAME | confirm | reject`.

The voice library (see `core.voice_library`): the people named in earlier projects, with the dub
voice chosen for each language. `dubstudio dub` matches a new project's speakers with it (unless
`--no-voice-library`); `name` stores a speaker of a project under a name, as the editor's Voices
dialog does; `confirm` / `reject` answer the library's proposal for a speaker.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "voices",
        help="the voice library: people named in earlier projects and their dub voices",
        description="List, export or import the voice library, or name a project's speaker in it.",
    )
    parser.set_defaults(func=_list)
    actions = parser.add_subparsers(title="actions", metavar="ACTION")
    actions.add_parser("list", help="the people in the library").set_defaults(func=_list)
    export = actions.add_parser("export", help="write the library (or some people) to a .dsvoices file")
    export.add_argument("file", type=Path)
    export.add_argument("--name", action="append", default=[], help="only this person (repeatable)")
    export.set_defaults(func=_export)
    importer = actions.add_parser("import", help="add the people of a .dsvoices file")
    importer.add_argument("file", type=Path)
    importer.set_defaults(func=_import)
    name = actions.add_parser("name", help="store a project's speaker in the library under a name")
    name.add_argument("project", type=Path, help="project folder")
    name.add_argument("speaker", help="speaker id (e.g. S1) or current name")
    name.add_argument("name", help="the person's name, e.g. Maya")
    name.set_defaults(func=_name)
    for verb, text in (("confirm", "accept"), ("reject", "refuse")):
        answer = actions.add_parser(verb, help=f"{text} the library's proposal for a project's speaker")
        answer.add_argument("project", type=Path, help="project folder")
        answer.add_argument("speaker", help="speaker id (e.g. S1) or current name")
        answer.set_defaults(func=_answer, verb=verb)


def _list(_args: argparse.Namespace) -> int:
    from dubstudio.core.voice_library import VoiceLibrary

    library = VoiceLibrary()
    console = Console()
    if not console.is_terminal:
        console.width = 140
    table = Table(title=f"Voice library {library.path}")
    for column in ("Name", "Gender", "Voices", "Pitch", "Heard in", "Clip", "ID"):
        table.add_column(column, no_wrap=column in ("ID", "Name"))
    for person in library.people():
        voices = ", ".join(f"{language}: {voice}" for language, voice in sorted(person.voices.items()))
        pitch = "" if person.pitch_semitones is None else f"{person.pitch_semitones:+.1f} st"
        table.add_row(
            person.name, person.gender, voices or "—", pitch, f"{person.embeddings} project(s)",
            f"{person.clip_seconds:.1f} s" if person.clip_seconds else "—", person.id,
        )  # fmt: skip
    console.print(table)
    if not library.people():
        console.print("No one yet: name a speaker in the editor, or with 'dubstudio voices name'.")
    return 0


def _export(args: argparse.Namespace) -> int:
    from dubstudio.core.errors import UserError
    from dubstudio.core.voice_library import EXPORT_SUFFIX, VoiceLibrary

    library = VoiceLibrary()
    ids = None
    if args.name:
        ids = []
        for name in args.name:
            person = library.find(name)
            if person is None:
                raise UserError(
                    f"the voice library has no one named '{name}'", fix="See 'dubstudio voices list'."
                )
            ids.append(person.id)
    target = args.file
    if not target.name.endswith(EXPORT_SUFFIX):
        target = target.with_name(target.name + EXPORT_SUFFIX)
    count = library.export(target, ids)
    Console().print(f"Exported {count} people to {target}", markup=False, highlight=False)
    return 0


def _import(args: argparse.Namespace) -> int:
    from dubstudio.core.voice_library import VoiceLibrary

    count = VoiceLibrary().import_file(args.file)
    Console().print(f"Imported {count} people from {args.file}", markup=False, highlight=False)
    return 0


def _name(args: argparse.Namespace) -> int:
    from dubstudio.core.store import load_project, save_project
    from dubstudio.pipeline.library_match import remember_speaker

    project = load_project(args.project)
    person_id = remember_speaker(project, args.project, args.speaker, args.name)
    save_project(args.project, project)
    speaker = next(s for s in project.speakers if s.library_id == person_id)
    Console().print(
        f"{speaker.id} is {speaker.label} in the voice library ({speaker.effective_voice or 'no voice yet'} "
        f"for {project.target_language}).",
        markup=False,
        highlight=False,
    )
    return 0


def _answer(args: argparse.Namespace) -> int:
    from dubstudio.core.store import load_project, save_project
    from dubstudio.pipeline.library_match import confirm_proposal, reject_proposal

    project = load_project(args.project)
    if args.verb == "confirm":
        confirm_proposal(project, args.project, args.speaker)
    else:
        speaker = reject_proposal(project, args.speaker)
        for segment in project.segments:  # the speaker's voice is matched again on the next run
            if segment.speaker_id == speaker.id:
                project.mark_stale(segment, "voiceMatching")
    save_project(args.project, project)
    Console().print(f"{args.verb.capitalize()}ed.", markup=False, highlight=False)
    return 0
