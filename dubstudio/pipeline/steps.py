"""The stage steps: what each stage runs over the project when it is not up to date or cached.

A step reads and replaces the project's segments and speakers through its context (the
`Pipeline`); it works on deep copies, so its output lands only when it finishes. The orchestrator
checks the stage's contract and saves after it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from dubstudio.core.errors import MediaError
from dubstudio.core.media import ensure_project_audio, load_wav
from dubstudio.core.progress import CancelToken, ProgressCallback, ProgressEvent, stage_reporter
from dubstudio.core.project import Project, ValidationIssue
from dubstudio.pipeline.mouths import current_activity, current_mouth_limits
from dubstudio.pipeline.stage_spec import imported_transcript

if TYPE_CHECKING:
    from dubstudio.engines.factory import Engines
    from dubstudio.pipeline.isolation import ChildProcess
    from dubstudio.stages.validation import ValidationReport


class NoSpeechError(MediaError):
    """The recogniser found no speech in the media."""


@dataclass
class Work:
    """What one stage has to do in this run."""

    mode: str  # "full", "partial", "cached" or "" (up to date)
    only_ids: set[str] | None = None


class StageContext(Protocol):
    """What a step works with: the pipeline's project, folder and engines."""

    project: Project
    project_dir: Path
    engines: Engines
    recognition_process: ChildProcess | None
    #: the cues whose takes must be new (the clip cache is bypassed for them)
    fresh_takes: set[str]
    report: ValidationReport | None


StepFunction = Callable[[StageContext, Work, ProgressCallback, "CancelToken | None"], None]


def replace_project_issues(project: Project, stage: str, issues: list[ValidationIssue]) -> None:
    """The stage's project-wide issues become `issues`; other stages' issues stay."""
    diagnostics = project.diagnostics
    diagnostics.issues = [i for i in diagnostics.issues if i.stage != stage] + issues


def _audio_paths(
    context: StageContext, cancel: CancelToken | None, progress: ProgressCallback, stage: str
) -> tuple[Path, Path]:
    if context.project.media is None:
        raise MediaError(
            "the project has no media file",
            path=context.project_dir,
            fix="Create the project from a video or audio file.",
        )
    report = stage_reporter(progress, stage)
    return ensure_project_audio(
        context.project_dir,
        context.project.media,
        cancel=cancel,
        progress=lambda fraction, message: report(0.1 * fraction, message),
    )


def transcribe(
    context: StageContext, work: Work, progress: ProgressCallback, cancel: CancelToken | None
) -> None:
    from dubstudio.pipeline.recognition import recognize

    project = context.project
    recognition_wav, _source = _audio_paths(context, cancel, progress, "transcription")
    report = stage_reporter(progress, "transcription")
    if imported_transcript(project):  # nothing to recognise: only who speaks is measured
        from dubstudio.stages.transcription import describe_imported_speakers

        report(0.5, "measuring the speakers' voices")
        audio, _rate = load_wav(recognition_wav)
        project.speakers = describe_imported_speakers(audio, project.segments, project.speakers)
        return

    def scaled(event: ProgressEvent) -> None:
        report(0.1 + 0.9 * event.fraction, event.message)

    language, speakers = project.source_language or None, copy.deepcopy(project.speakers)
    args = (recognition_wav, project.settings, language, speakers)
    if context.recognition_process is not None:
        from dubstudio.pipeline.recognition import recognize_in_child

        outcome = context.recognition_process.call(recognize_in_child, args, progress=scaled, cancel=cancel)
    else:
        outcome = recognize(*args, progress=scaled, cancel=cancel, engines=context.engines)
    if not outcome.segments:
        raise NoSpeechError(
            "no speech was found in the audio",
            path=project.media.path if project.media else None,
            fix="Check that the file has dialogue and that its language is supported, or import "
            "subtitles with --subtitles.",
        )
    project.source_language = outcome.language
    project.segments = list(outcome.segments)
    project.speakers = list(outcome.speakers)
    replace_project_issues(project, "transcription", [])  # findings about an earlier transcript


def segment(
    context: StageContext, work: Work, progress: ProgressCallback, cancel: CancelToken | None
) -> None:
    from dubstudio.stages.segmentation import segment_cues

    project = context.project
    media = project.media
    project.segments = segment_cues(
        copy.deepcopy(project.segments),
        project.settings,
        media_end=media.duration if media and media.duration > 0 else None,
    )


def translate(
    context: StageContext, work: Work, progress: ProgressCallback, cancel: CancelToken | None
) -> None:
    from dubstudio.models.paths import language_data_dir
    from dubstudio.pipeline.translation_memory import TranslationMemory
    from dubstudio.stages.translation import translate_segments

    project = context.project
    source = project.source_language
    subtitle_language = project.display_subtitle_language
    translator = context.engines.translator(source, [subtitle_language, project.target_language])
    project.segments = translate_segments(
        copy.deepcopy(project.segments),
        translator,
        source=source,
        subtitle_language=subtitle_language,
        tts_language=project.target_language,
        glossary=project.settings.glossary,
        settings=project.settings,
        only_ids=work.only_ids,
        memory=TranslationMemory() if project.settings.use_translation_memory else None,
        rules_dir=language_data_dir(),
        progress=progress,
        cancel=cancel,
    )


def match_voices(
    context: StageContext, work: Work, progress: ProgressCallback, cancel: CancelToken | None
) -> None:
    from dubstudio.pipeline.library_match import propose_from_library
    from dubstudio.stages.voice_matching import match_voices as match

    project = context.project
    report = stage_reporter(progress, "voiceMatching")
    report(0.0, "loading the voice catalog")
    catalog = context.engines.catalog(
        project.target_language, project.speakers, progress=progress, cancel=cancel
    )
    preferred = propose_from_library(project) if project.settings.voice_library else {}
    outcome = match(
        copy.deepcopy(project.speakers),
        copy.deepcopy(project.segments),
        catalog,
        project.target_language,
        preferred=preferred,
    )
    by_segment: dict[str, list[ValidationIssue]] = {}
    for issue in outcome.issues:
        by_segment.setdefault(issue.subtitle_id, []).append(issue)
    for matched in outcome.segments:
        matched.issues = [i for i in matched.issues if i.stage != "voiceMatching"] + by_segment.get(
            matched.id, []
        )
    project.speakers, project.segments = outcome.speakers, outcome.segments
    replace_project_issues(project, "voiceMatching", by_segment.get("", []))


def synthesize(
    context: StageContext, work: Work, progress: ProgressCallback, cancel: CancelToken | None
) -> None:
    from dubstudio.stages.synthesis import synthesize_segments

    project = context.project
    _recognition, source_wav = _audio_paths(context, cancel, progress, "synthesis")
    project.segments = synthesize_segments(
        copy.deepcopy(project.segments),
        project,
        context.engines.synthesizers(),
        context.engines.catalog(project.target_language, project.speakers, progress=progress, cancel=cancel),
        context.project_dir,
        only_ids=work.only_ids,
        progress=progress,
        cancel=cancel,
        force=bool(context.fresh_takes),
        source_audio=source_wav,
        mouth_limits=current_mouth_limits(context.project_dir, project),
    )


def validate(
    context: StageContext, work: Work, progress: ProgressCallback, cancel: CancelToken | None
) -> None:
    from dubstudio.stages.validation import validate as validate_project

    project = context.project
    catalog = (
        context.engines.catalog(project.target_language, project.speakers, progress=progress, cancel=cancel)
        if project.segments
        else []
    )
    context.report = validate_project(project, catalog, current_activity(context.project_dir, project))
