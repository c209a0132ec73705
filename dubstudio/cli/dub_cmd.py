"""`dubstudio dub INPUT --to LANG --out DIR`: the whole pipeline, headless.

DIR becomes the project folder (open it later with `dubstudio open DIR`). It receives
`project.json`, `source.srt`, `target.srt`, `dub.wav` (exactly the source's length), `mix.wav`,
`<name>.dubbed.mp4` when the input has video, and the extras (`.vtt`, `.ass`, `mix.mp3`) in
`DIR/exports/` — see `dubstudio.pipeline.export`. Running the command again on the same DIR resumes:
finished stages are skipped.

Exit codes: 0 on success, even with warnings (they are summarised at the end); 1 when validation
finds contract failures (the outputs are still written, for review in the editor); 2 for a user
error (bad input, missing model, unsupported language), printed as one paragraph by `cli.main`.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from dubstudio.core.progress import ProgressEvent
from dubstudio.core.project import Project
from dubstudio.pipeline.dub_job import (
    DubOutcome,
    DubRequest,
    finish_dub,
    open_pipeline,
    parse_voice_overrides,
)
from dubstudio.pipeline.stage_spec import CLI_LABELS

EXIT_VALIDATION_FAILED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dub",
        help="dub a video or audio file into another language (headless)",
        description="Transcribe, translate, re-voice and mix a media file; write subtitles, dub, mix "
        "and a muxed video into the project folder DIR.",
    )
    parser.add_argument("input", type=Path, help="video or audio file")
    parser.add_argument("--to", dest="target", required=True, help="dub language (ISO 639-1, e.g. es)")
    parser.add_argument("--subtitles", type=Path, help="use this .srt/.vtt/.ass as the transcript")
    add_job_options(parser)
    parser.add_argument("--out", type=Path, required=True, help="output and project folder")
    parser.set_defaults(func=run)


def add_job_options(parser: argparse.ArgumentParser) -> None:
    """The options that shape one dub job (`dubstudio batch` takes them too, as defaults per file)."""
    parser.add_argument("--from", dest="source", help="source language (detected when omitted)")
    parser.add_argument("--subtitle-language", default="", help="subtitle language (default: the dub's)")
    parser.add_argument("--glossary", type=Path, help="term list: 'source<TAB>target' per line (or CSV)")
    parser.add_argument(
        "--voice", action="append", default=[], metavar="SPEAKER=VOICE",
        help="voice for a speaker, e.g. SPEAKER_00=kokoro:jf_alpha (repeatable)",
    )  # fmt: skip
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument(
        "--max-speed", type=float, default=1.25, help="fastest speed-up of a dub line (1.0–1.5)"
    )
    parser.add_argument("--dub-only", action="store_true", help="mix without the original background")
    parser.add_argument(
        "--no-memory", action="store_true", help="do not reuse the translation memory's exact matches"
    )
    parser.add_argument(
        "--voice-library", action=argparse.BooleanOptionalAction, default=True,
        help="give speakers the names and voices the voice library knows them by (default: on)",
    )  # fmt: skip
    parser.add_argument(
        "--no-lipsync", dest="lipsync", action="store_false",
        help="do not read the video's mouths (no lip-sync checks or fitting)",
    )  # fmt: skip
    parser.add_argument(
        "--mouth-fps", type=float, default=None, help="frames per second read for mouth activity (default 10)"
    )


def job_request(
    args: argparse.Namespace, media: Path, out: Path, target: str, subtitles: Path | None
) -> DubRequest:
    """The request `add_job_options`' arguments describe, for one file and one language."""
    return DubRequest(
        media=media,
        out=out,
        target_language=target,
        source_language=args.source,
        subtitle_language=args.subtitle_language,
        subtitles=subtitles,
        glossary=args.glossary,
        voices=parse_voice_overrides(args.voice),
        device=args.device,
        max_speed=args.max_speed,
        keep_background=not args.dub_only,
        use_translation_memory=not args.no_memory,
        voice_library=args.voice_library,
        lipsync=args.lipsync,
        mouth_fps=args.mouth_fps,
    )


class _StageBars:
    """One rich progress bar per stage, created when the stage first reports."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, event: ProgressEvent) -> None:
        if event.stage not in self.tasks:
            label = CLI_LABELS.get(event.stage, event.stage)
            self.tasks[event.stage] = self.progress.add_task(label, total=1.0, status="")
        self.progress.update(self.tasks[event.stage], completed=event.fraction, status=event.message[:50])


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    started = time.perf_counter()
    request = job_request(args, args.input, args.out, args.target, args.subtitles)
    pipeline, resumed = open_pipeline(request)
    if resumed:
        console.print(f"Resuming the project in {args.out}")
    columns = (
        TextColumn("{task.description:<18}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        outcome = finish_dub(
            pipeline, request, resumed=resumed, started=started, progress=_StageBars(progress)
        )
    return _summarise(console, outcome)


def _summarise(console: Console, outcome: DubOutcome) -> int:
    project, exported = outcome.project, outcome.exported
    duration = project.media.duration if project.media else 0.0
    console.print(
        f"Dubbed {duration:.1f} s of {project.source_language}→{project.target_language} in "
        f"{outcome.elapsed:.1f} s: {len(project.segments)} cues, {len(project.speakers)} speakers."
    )
    console.print(
        f"Loudness: source {exported.source_lufs:.1f} LUFS, mix {exported.mix_lufs:.1f} LUFS, "
        f"true peak {exported.mix_true_peak_db:.1f} dBTP."
    )
    for path in exported.files.values():
        console.print(f"  {path}")
    _print_voices(console, project, outcome.project_dir)
    if outcome.mouths is not None:
        _summarise_lipsync(console, project, outcome.mouths)
    counts = outcome.warning_counts
    if counts:
        summary = ", ".join(f"{code} {count}" for code, count in counts.most_common())
        console.print(
            f"{sum(counts.values())} warnings to review ({summary}): dubstudio open {outcome.project_dir}"
        )
    if not outcome.ok:
        codes = outcome.error_counts
        listed = ", ".join(f"{code} ({count})" for code, count in codes.most_common())
        console.print(
            f"Error: {codes.total()} problems break the dubbing contract: {listed}. The outputs "
            f"were written; fix these cues in the editor: dubstudio open {outcome.project_dir}"
        )
        return EXIT_VALIDATION_FAILED
    return 0


def _print_voices(console: Console, project: Project, project_dir: Path) -> None:
    """Which voice speaks for whom, and why (the same reasons as the editor's voice column)."""
    if project.speakers:
        console.print("Voices:")
    for speaker in project.speakers:
        reason = speaker.voice_reason or "chosen by you"
        console.print(
            f"  {speaker.display_name} → {speaker.effective_voice}: {reason}", markup=False, soft_wrap=True
        )
        if speaker.library_status == "proposed":
            console.print(
                f"    {speaker.id} sounds like {speaker.label} of the voice library (similarity "
                f"{speaker.library_similarity:.2f}): answer with "
                f"'dubstudio voices confirm|reject {project_dir} {speaker.id}'",
                markup=False,
                soft_wrap=True,
            )


def _summarise_lipsync(console: Console, project: Project, mouths) -> None:
    """One line on the lip-sync assist: what the video showed and what was flagged, or why it did not run."""
    if mouths.skipped or mouths.error is not None:
        reason = mouths.skipped or getattr(mouths.error, "message", str(mouths.error))
        console.print(f"Lip sync: not checked ({reason}).", markup=False, highlight=False, soft_wrap=True)
        return
    if mouths.track is not None and not any(face.frames for face in mouths.track.faces):
        console.print("Lip sync: no face anywhere in the video (voice-over throughout).", soft_wrap=True)
        return
    codes = Counter(i.code for s in project.segments for i in s.open_issues)
    offscreen, mismatched = codes["offscreen"], codes["lipsync_mismatch"]
    console.print(
        f"Lip sync: {len(project.segments) - offscreen} cues with a face on screen, {offscreen} offscreen "
        f"(voice-over), {mismatched} lipsync_mismatch.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
