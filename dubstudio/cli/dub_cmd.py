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

from dubstudio.core.errors import UserError
from dubstudio.core.progress import ProgressEvent
from dubstudio.core.project import Project, Settings

EXIT_VALIDATION_FAILED = 1
STAGE_LABELS = {
    "transcription": "1 Transcription",
    "segmentation": "2 Segmentation",
    "translation": "3 Translation",
    "voiceMatching": "4 Voice matching",
    "synthesis": "  Synthesis",
    "validation": "5 Validation",
    "export": "  Mix and export",
    "mouths": "  Mouth activity",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dub",
        help="dub a video or audio file into another language (headless)",
        description="Transcribe, translate, re-voice and mix a media file; write subtitles, dub, mix "
        "and a muxed video into the project folder DIR.",
    )
    parser.add_argument("input", type=Path, help="video or audio file")
    parser.add_argument("--to", dest="target", required=True, help="dub language (ISO 639-1, e.g. es)")
    parser.add_argument("--from", dest="source", help="source language (detected when omitted)")
    parser.add_argument("--subtitle-language", default="", help="subtitle language (default: the dub's)")
    parser.add_argument("--subtitles", type=Path, help="use this .srt/.vtt/.ass as the transcript")
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
    parser.add_argument("--out", type=Path, required=True, help="output and project folder")
    parser.set_defaults(func=run)


def _voice_overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        speaker, separator, voice = pair.partition("=")
        if not separator or not speaker.strip() or not voice.strip():
            raise UserError(
                f"--voice {pair!r} is not SPEAKER=VOICE", fix="Write e.g. --voice SPEAKER_00=kokoro:jf_alpha."
            )
        overrides[speaker.strip()] = voice.strip()
    return overrides


def _settings(args: argparse.Namespace, base: Settings | None) -> Settings:
    from dubstudio.stages.glossary import load_glossary

    settings = base or Settings()
    if not 1.0 <= args.max_speed <= 1.5:
        raise UserError(f"--max-speed {args.max_speed} is out of range", fix="Use a value from 1.0 to 1.5.")
    settings.device = args.device
    settings.max_speed = args.max_speed
    settings.keep_background = not args.dub_only
    settings.use_translation_memory = not args.no_memory
    settings.voice_library = args.voice_library
    settings.lipsync = args.lipsync
    if args.mouth_fps is not None:
        if not 1.0 <= args.mouth_fps <= 30.0:
            raise UserError(f"--mouth-fps {args.mouth_fps} is out of range", fix="Use a value from 1 to 30.")
        settings.mouth_fps = args.mouth_fps
    if args.glossary:
        settings.glossary = load_glossary(args.glossary)
    return settings


def _apply_voices(pipeline, overrides: dict[str, str]) -> None:
    """Set the speakers' voice overrides; unknown speakers or voices are a UserError."""
    project: Project = pipeline.project
    if not overrides or not project.speakers:
        return
    catalog = {voice.id for voice in pipeline.engines.catalog(project.target_language, project.speakers)}
    for name, voice in overrides.items():
        speaker = next((s for s in project.speakers if name in (s.id, s.label)), None)
        if speaker is None:
            known = ", ".join(s.display_name for s in project.speakers)
            raise UserError(
                f"--voice names the speaker '{name}', which is not in the media", fix=f"Speakers: {known}."
            )
        if voice not in catalog:
            examples = ", ".join(sorted(catalog)[:6])
            raise UserError(
                f"--voice asks for '{voice}', not an installed voice for '{project.target_language}'",
                fix=f"Installed voices include: {examples}.",
            )
        speaker.voice_override = voice


class _StageBars:
    """One rich progress bar per stage, created when the stage first reports."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, event: ProgressEvent) -> None:
        if event.stage not in self.tasks:
            label = STAGE_LABELS.get(event.stage, event.stage)
            self.tasks[event.stage] = self.progress.add_task(label, total=1.0, status="")
        self.progress.update(self.tasks[event.stage], completed=event.fraction, status=event.message[:50])


def run(args: argparse.Namespace) -> int:
    from dubstudio.core.store import PROJECT_FILE, load_project
    from dubstudio.engines.factory import check_engine_names
    from dubstudio.pipeline.mouths import BackgroundMouths
    from dubstudio.pipeline.orchestrator import Pipeline

    console = Console(stderr=True)
    overrides = _voice_overrides(args.voice)
    started = time.perf_counter()
    if (args.out / PROJECT_FILE).is_file():
        project = load_project(args.out)
        project.settings = _settings(args, project.settings)
        project.target_language = args.target
        check_engine_names(project.settings, args.out / PROJECT_FILE)  # before any engine loads
        pipeline = Pipeline(args.out, project)
        console.print(f"Resuming the project in {args.out}")
    else:
        pipeline = Pipeline.create(
            args.input,
            args.out,
            source_language=args.source,
            target_language=args.target,
            subtitle_language=args.subtitle_language,
            settings=_settings(args, None),
            subtitles=args.subtitles,
        )

    def on_stage_done(stage: str, _project: Project) -> None:
        if stage == "segmentation":
            _apply_voices(pipeline, overrides)

    _apply_voices(pipeline, overrides)
    columns = (
        TextColumn("{task.description:<18}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bars = _StageBars(progress)
        mouths = BackgroundMouths(pipeline.project_dir, pipeline.project, bars)
        try:
            pipeline.run(progress=bars, on_stage_done=on_stage_done)
            if mouths.wait() is not None and mouths.analyzed:
                pipeline.run(progress=bars)  # the mouths came during the run: lip-sync checks and fitting
        finally:
            mouths.stop()
        exported = pipeline.export(args.out, progress=bars)
    elapsed = time.perf_counter() - started
    code = _summarise(console, pipeline, exported, elapsed)
    _summarise_lipsync(console, pipeline, mouths)
    return code


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


def _summarise(console: Console, pipeline, exported, elapsed: float) -> int:
    project: Project = pipeline.project
    report = pipeline.report
    duration = project.media.duration if project.media else 0.0
    console.print(
        f"Dubbed {duration:.1f} s of {project.source_language}→{project.target_language} in {elapsed:.1f} s: "
        f"{len(project.segments)} cues, {len(project.speakers)} speakers."
    )
    console.print(
        f"Loudness: source {exported.source_lufs:.1f} LUFS, mix {exported.mix_lufs:.1f} LUFS, "
        f"true peak {exported.mix_true_peak_db:.1f} dBTP."
    )
    for path in exported.files.values():
        console.print(f"  {path}")
    _print_voices(console, project, pipeline.project_dir)
    counts = Counter(issue.code for issue in (report.warnings if report else []))
    if counts:
        summary = ", ".join(f"{code} {count}" for code, count in counts.most_common())
        console.print(
            f"{sum(counts.values())} warnings to review ({summary}): dubstudio open {pipeline.project_dir}"
        )
    if report is not None and not report.ok:
        codes = Counter(issue.code for issue in report.errors)
        listed = ", ".join(f"{code} ({count})" for code, count in codes.most_common())
        console.print(
            f"Error: {len(report.errors)} problems break the dubbing contract: {listed}. The outputs "
            f"were written; fix these cues in the editor: dubstudio open {pipeline.project_dir}"
        )
        return EXIT_VALIDATION_FAILED
    return 0


def _summarise_lipsync(console: Console, pipeline, mouths) -> None:
    """One line on the lip-sync assist: what the video showed and what was flagged, or why it did not run."""
    if mouths.skipped or mouths.error is not None:
        reason = mouths.skipped or getattr(mouths.error, "message", str(mouths.error))
        console.print(f"Lip sync: not checked ({reason}).", markup=False, highlight=False, soft_wrap=True)
        return
    project: Project = pipeline.project
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
