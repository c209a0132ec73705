"""The pipeline: runs the five stages and synthesis over one project folder, resumably.

Contracts (`contracts.py`). Each stage owns some Segment fields (`core.project.STAGE_FIELDS`); after
every stage the facts owned by earlier stages are compared with what they were before it ran, and a
difference is a `StageContractError` (a bug, never the user's fault). A stage also may not touch
another stage's issues, the speakers' recognised facts, or (after segmentation) the list of segments. Stage
functions work on deep copies and their output is applied only when they finish, so a cancel or a
failure leaves the project at the last completed stage; the project is saved after every stage.

What runs. Every stage has an input key (`diagnostics.stage_keys` holds the key each stage last
completed with):
- whole-project stages (transcription, segmentation, voice matching) run again when their key
  changes or a segment is stale for them;
- per-cue stages (translation, synthesis) run for the cues that are stale for them
  (`Segment.stale`, set by `Project.mark_stale` on an edit) or whose own inputs changed since the
  last run, so editing one transcript re-translates and re-synthesizes that cue only;
- validation always runs (it is cheap and reads everything).
A stage whose current key has an entry in the stage cache (`cache/<stage>/<key>.json`) is restored
from it instead of running its engines.

Hard failures are `UserError`s (unreadable media, no speech, missing model, unsupported language
pair, invalid stage output); soft findings are issues on the segments and in diagnostics.
"""

from __future__ import annotations

import copy
import time
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dubstudio.core.errors import MediaError
from dubstudio.core.media import duration_note, ensure_project_audio, load_wav, probe
from dubstudio.core.progress import (
    CancelToken,
    ProgressCallback,
    ProgressEvent,
    ignore_progress,
    stage_reporter,
)
from dubstudio.core.project import (
    STAGE_FIELDS,
    STAGES,
    Project,
    Segment,
    Settings,
    Speaker,
    ValidationIssue,
)
from dubstudio.core.schema import from_dict, to_dict
from dubstudio.core.store import create_project_dir, save_project
from dubstudio.core.subtitles import import_subtitles
from dubstudio.engines.factory import Engines
from dubstudio.pipeline.cache import StageCache, input_hash
from dubstudio.pipeline.contracts import check_contract, check_output, stage_facts
from dubstudio.pipeline.export import ExportResult, export_project
from dubstudio.pipeline.isolation import ChildProcess
from dubstudio.pipeline.mouths import current_activity, current_mouth_limits
from dubstudio.stages.validation import ValidationReport, validate

#: per-cue stages: they can run for a selection of cues
PER_CUE_STAGES = ("translation", "synthesis")
#: marks a project whose transcript came from a subtitle file instead of the recogniser
IMPORTED_TRANSCRIPT = "imported subtitles"

StageDone = Callable[[str, Project], None]


class NoSpeechError(MediaError):
    """The recogniser found no speech in the media."""


@dataclass
class _Work:
    """What one stage has to do in this run."""

    mode: str  # "full", "partial", "cached" or "" (up to date)
    only_ids: set[str] | None = None


def _stage_settings(settings: Settings, stage: str) -> dict[str, Any]:
    """The settings that shape a stage's output (part of its input key)."""
    names = {
        "transcription": (
            "whisper_model",
            "beam_size",
            "denoise",
            "min_speakers",
            "max_speakers",
            "diarization_pipeline",
        ),
        "segmentation": (
            "max_chars_per_line",
            "max_lines",
            "max_cps",
            "min_cue_duration",
            "max_cue_duration",
        ),
        "translation": (
            "translator",
            "synthesizer",
            "length_tolerance",
            "glossary",
            "use_translation_memory",
        ),
        "voiceMatching": ("synthesizer", "voice_library"),
        "synthesis": ("synthesizer", "max_speed", "resemblance"),
    }[stage]
    return {name: to_dict(getattr(settings, name)) for name in names}


class Pipeline:
    """One project folder and the engines to work on it. Not thread-safe: one run at a time."""

    def __init__(
        self,
        project_dir: Path,
        project: Project,
        engines: Engines | None = None,
        *,
        recognition_process: ChildProcess | None = None,
    ) -> None:
        self.project_dir = Path(project_dir)
        self.project = project
        self.engines = engines or Engines(project.settings)
        #: the child process recognition runs in (the editor: see pipeline/isolation.py), unless
        #: recognition engines were handed in; None runs it here
        self.recognition_process = None if self.engines.recognition_injected else recognition_process
        self.cache = StageCache(self.project_dir)
        self.report: ValidationReport | None = None
        #: what each stage did in the last run: "full", "partial", "cached" or "" (up to date)
        self.last_run: dict[str, str] = {}
        #: the stage functions, by stage name (a test may replace one to check the contract guard)
        self.steps: dict[str, Callable[[_Work, ProgressCallback, CancelToken | None], None]] = {
            "transcription": self._transcribe,
            "segmentation": self._segment,
            "translation": self._translate,
            "voiceMatching": self._match_voices,
            "synthesis": self._synthesize,
            "validation": self._validate,
        }
        self._fresh_takes: set[str] = set()

    # -----------------------------------------------------------------------------------------
    # creation

    @classmethod
    def create(
        cls,
        media_path: Path,
        project_dir: Path,
        *,
        source_language: str | None,
        target_language: str,
        subtitle_language: str = "",
        settings: Settings | None = None,
        subtitles: Path | None = None,
        engines: Engines | None = None,
        recognition_process: ChildProcess | None = None,
    ) -> Pipeline:
        """Probe the media (MediaError when unusable), create the folder and its project.json.

        With `subtitles`, that file is the transcript: the recogniser does not run.
        """
        media = probe(media_path)
        media.path = str(Path(media_path).resolve())
        note = duration_note(media)
        project = Project(
            name=Path(media_path).stem,
            source_language=source_language or "",
            target_language=target_language,
            subtitle_language=subtitle_language,
            media=media,
            settings=settings or Settings(),
        )
        if note:
            project.diagnostics.issues.append(ValidationIssue("", "media_duration", note, stage="media"))
        if subtitles is not None:
            imported = import_subtitles(subtitles)
            speakers = imported.speakers or [Speaker(id="S1")]
            for segment in imported.segments:
                segment.speaker_id = segment.speaker_id or speakers[0].id
            project.segments, project.speakers = imported.segments, speakers
            project.diagnostics.engines["transcription"] = IMPORTED_TRANSCRIPT
            project.diagnostics.issues.extend(
                ValidationIssue(
                    "", "subtitle_import", f"{Path(subtitles).name} {problem}", stage="transcription"
                )
                for problem in imported.problems
            )
        create_project_dir(project_dir, project)
        return cls(Path(project_dir), project, engines, recognition_process=recognition_process)

    # -----------------------------------------------------------------------------------------
    # public operations

    def run(
        self,
        *,
        progress: ProgressCallback = ignore_progress,
        cancel: CancelToken | None = None,
        on_stage_done: StageDone | None = None,
    ) -> Project:
        """Run every stage that has missing or stale work; save after each stage."""
        self.last_run = {}
        for stage in STAGES:
            if cancel is not None:
                cancel.raise_if_cancelled()
            key = self._stage_key(stage)
            work = self._plan(stage, key)
            self.last_run[stage] = work.mode
            if not work.mode:
                progress(ProgressEvent(stage, 1.0, "up to date"))
                continue
            progress(ProgressEvent(stage, 0.0, "cached" if work.mode == "cached" else "starting"))
            started = time.perf_counter()
            before = stage_facts(self.project, stage)
            if work.mode == "cached":
                self._restore(stage, self.cache.load(stage, key) or {})
            else:
                self.steps[stage](work, progress, cancel)
            check_contract(self.project, stage, before)
            check_output(self.project, self.project_dir, stage)
            self._finish(stage, key, work, time.perf_counter() - started)
            progress(ProgressEvent(stage, 1.0, "done"))
            if on_stage_done is not None:
                on_stage_done(stage, self.project)
        return self.project

    def retranslate(
        self,
        segment_ids: Iterable[str],
        *,
        progress: ProgressCallback = ignore_progress,
        cancel: CancelToken | None = None,
    ) -> Project:
        """Translate these cues again (and re-synthesize them); other cues are left as they are."""
        for segment_id in segment_ids:
            self.project.mark_stale(self.project.segment(segment_id), "translation")
        return self.run(progress=progress, cancel=cancel)  # saved after each stage

    def resynthesize(
        self,
        segment_ids: Iterable[str],
        *,
        progress: ProgressCallback = ignore_progress,
        cancel: CancelToken | None = None,
    ) -> Project:
        """A fresh take for these cues (the clip cache is bypassed; earlier takes stay in history)."""
        ids = list(segment_ids)
        for segment_id in ids:
            self.project.mark_stale(self.project.segment(segment_id), "synthesis")
        self._fresh_takes = set(ids)
        try:  # saved after each stage
            return self.run(progress=progress, cancel=cancel)
        finally:
            self._fresh_takes = set()

    def export(
        self,
        out_dir: Path | None = None,
        *,
        progress: ProgressCallback = ignore_progress,
        cancel: CancelToken | None = None,
    ) -> ExportResult:
        """Write subtitles, dub, mix and muxed video into `out_dir` (default: the project folder)."""
        return export_project(
            self.project,
            self.project_dir,
            Path(out_dir) if out_dir else self.project_dir,
            separator=self.engines.separator(),
            progress=progress,
            cancel=cancel,
        )

    # -----------------------------------------------------------------------------------------
    # planning

    @property
    def _imported_transcript(self) -> bool:
        return self.project.diagnostics.engines.get("transcription") == IMPORTED_TRANSCRIPT

    def _stage_key(self, stage: str, cue_inputs: dict[str, str] | None = None) -> str:
        """The stage's input key; `cue_inputs` replaces the cues' own inputs of a per-cue stage."""
        project = self.project
        settings = project.settings
        if stage == "transcription":
            if self._imported_transcript:
                return IMPORTED_TRANSCRIPT
            media = project.media
            fingerprint = [media.path, media.size_bytes, media.mtime, media.duration] if media else []
            return input_hash(stage, fingerprint, _stage_settings(settings, stage))
        if stage == "segmentation":
            return input_hash(stage, self._stage_key("transcription"), _stage_settings(settings, stage))
        if stage == "voiceMatching":
            speakers = [
                [s.id, s.gender, s.median_f0, s.voice_override, s.register, s.library_id, s.library_status]
                for s in project.speakers
            ]
            cues = [[s.id, s.speaker_id, s.voice_override, s.tts_language] for s in project.segments]
            return input_hash(
                stage, project.target_language, speakers, cues, _stage_settings(settings, stage)
            )
        if stage in PER_CUE_STAGES:
            languages = [project.source_language, project.display_subtitle_language, project.target_language]
            cues = self._cue_inputs(stage) if cue_inputs is None else cue_inputs
            return input_hash(stage, languages, _stage_settings(settings, stage), cues)
        return input_hash(stage, to_dict(project.segments))

    def _cue_inputs(self, stage: str) -> dict[str, str]:
        """Per cue, a hash of what the per-cue stage reads from it."""
        project = self.project
        inputs = {}
        if stage == "translation":  # a cue's translation depends on its whole sentence
            from dubstudio.stages.translation import cue_inputs

            sentence_inputs = cue_inputs(project.segments, project.source_language)
        limits = current_mouth_limits(self.project_dir, project) if stage == "synthesis" else {}
        for index, segment in enumerate(project.segments):
            if stage == "translation":
                parts: list[Any] = sentence_inputs[segment.id]
            else:
                following = project.segments[index + 1].start if index + 1 < len(project.segments) else None
                speaker = project.speaker(segment.speaker_id)
                parts = [
                    segment.tts_text,
                    segment.tts_language,
                    project.voice_for(segment),
                    segment.start,
                    segment.end,
                    following,
                    segment.emotion,
                    speaker.register if speaker else "",
                    speaker.pitch_semitones if speaker else None,
                ]
                parts += [limits[segment.id]] if segment.id in limits else []  # lip-sync assist
            inputs[segment.id] = input_hash(*parts)
        return inputs

    def _plan(self, stage: str, key: str) -> _Work:
        stale = {s.id for s in self.project.segments if stage in s.stale}
        last_key = self.project.diagnostics.stage_keys.get(stage)
        if stage == "validation":
            return _Work("full")
        if last_key == key and not stale:
            return _Work("")
        if self.cache.path(stage, key).is_file() and not stale:
            return _Work("cached")
        if stage in PER_CUE_STAGES and last_key is not None:
            previous = (self.cache.load(stage, last_key) or {}).get("inputs")
            current = self._cue_inputs(stage)
            if previous is not None:
                if self._stage_key(stage, previous) != last_key:
                    return _Work("full")  # the languages or settings every cue depends on changed
                changed = {i for i, h in current.items() if previous.get(i) != h}
                return _Work("partial", stale | changed)
            if stale:
                return _Work("partial", stale)
        return _Work("full")

    def _finish(self, stage: str, key: str, work: _Work, seconds: float) -> None:
        diagnostics = self.project.diagnostics
        if work.mode != "cached":
            diagnostics.stage_durations_ms[stage] = round(seconds * 1000, 1)
        names = self.engines.names()
        if self._imported_transcript:  # a shared engine set may have recognised another project
            names.pop("transcription", None)
        diagnostics.engines.update(names)
        for segment in self.project.segments:
            if stage in segment.stale:
                segment.stale = [s for s in segment.stale if s != stage]
        final_key = self._stage_key(stage)  # the key of the state just produced (validation reads itself)
        diagnostics.stage_keys[stage] = final_key if stage == "validation" else key
        if stage != "validation" and work.mode != "cached":
            self.cache.store(stage, key, self._snapshot(stage))
        save_project(self.project_dir, self.project)

    # -----------------------------------------------------------------------------------------
    # stage outputs in the cache

    def _snapshot(self, stage: str) -> dict[str, Any]:
        project = self.project
        if stage == "transcription":
            return {
                "language": project.source_language,
                "segments": to_dict(project.segments),
                "speakers": to_dict(project.speakers),
            }
        if stage == "segmentation":
            return {"segments": to_dict(project.segments)}
        owned = STAGE_FIELDS[stage]
        outputs = {
            s.id: {
                "fields": {name: to_dict(getattr(s, name)) for name in owned},
                "issues": to_dict([i for i in s.issues if i.stage == stage]),
            }
            for s in project.segments
        }
        data: dict[str, Any] = {"outputs": outputs}
        if stage in PER_CUE_STAGES:
            data["inputs"] = self._cue_inputs(stage)
        if stage == "voiceMatching":
            data["speakers"] = {s.id: s.voice_id for s in project.speakers}
            data["reasons"] = {s.id: s.voice_reason for s in project.speakers}
            data["projectIssues"] = to_dict([i for i in project.diagnostics.issues if i.stage == stage])
        return data

    def _restore(self, stage: str, data: dict[str, Any]) -> None:
        project = self.project
        if stage in ("transcription", "segmentation"):
            project.segments = from_dict(list[Segment], data["segments"])
            if stage == "transcription":
                project.speakers = from_dict(list[Speaker], data["speakers"])
                project.source_language = data["language"]
            return
        hints = typing.get_type_hints(Segment)
        for segment in project.segments:
            entry = data["outputs"][segment.id]
            for name, value in entry["fields"].items():
                setattr(segment, name, from_dict(hints[name], value))
            segment.issues = [i for i in segment.issues if i.stage != stage] + from_dict(
                list[ValidationIssue], entry["issues"]
            )
        if stage == "voiceMatching":
            for speaker in project.speakers:
                speaker.voice_id = data["speakers"].get(speaker.id, speaker.voice_id)
                speaker.voice_reason = data.get("reasons", {}).get(speaker.id, speaker.voice_reason)
            self._replace_project_issues(stage, from_dict(list[ValidationIssue], data["projectIssues"]))

    def _replace_project_issues(self, stage: str, issues: list[ValidationIssue]) -> None:
        diagnostics = self.project.diagnostics
        diagnostics.issues = [i for i in diagnostics.issues if i.stage != stage] + issues

    # -----------------------------------------------------------------------------------------
    # the stages

    def _audio_paths(
        self, cancel: CancelToken | None, progress: ProgressCallback, stage: str
    ) -> tuple[Path, Path]:
        if self.project.media is None:
            raise MediaError(
                "the project has no media file",
                path=self.project_dir,
                fix="Create the project from a video or audio file.",
            )
        report = stage_reporter(progress, stage)
        return ensure_project_audio(
            self.project_dir,
            self.project.media,
            cancel=cancel,
            progress=lambda fraction, message: report(0.1 * fraction, message),
        )

    def _transcribe(self, work: _Work, progress: ProgressCallback, cancel: CancelToken | None) -> None:
        from dubstudio.pipeline.recognition import recognize

        project = self.project
        recognition_wav, _mix = self._audio_paths(cancel, progress, "transcription")
        report = stage_reporter(progress, "transcription")
        if self._imported_transcript:  # nothing to recognise: only who speaks is measured
            from dubstudio.stages.transcription import describe_imported_speakers

            report(0.5, "measuring the speakers' voices")
            audio, _rate = load_wav(recognition_wav)
            project.speakers = describe_imported_speakers(audio, project.segments, project.speakers)
            return

        def scaled(event: ProgressEvent) -> None:
            report(0.1 + 0.9 * event.fraction, event.message)

        language, speakers = project.source_language or None, copy.deepcopy(project.speakers)
        args = (recognition_wav, project.settings, language, speakers)
        if self.recognition_process is not None:
            from dubstudio.pipeline.recognition import recognize_in_child

            outcome = self.recognition_process.call(recognize_in_child, args, progress=scaled, cancel=cancel)
        else:
            outcome = recognize(*args, progress=scaled, cancel=cancel, engines=self.engines)
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
        self._replace_project_issues("transcription", [])  # findings about an earlier transcript

    def _segment(self, work: _Work, progress: ProgressCallback, cancel: CancelToken | None) -> None:
        from dubstudio.stages.segmentation import segment_cues

        media = self.project.media
        self.project.segments = segment_cues(
            copy.deepcopy(self.project.segments),
            self.project.settings,
            media_end=media.duration if media and media.duration > 0 else None,
        )

    def _translate(self, work: _Work, progress: ProgressCallback, cancel: CancelToken | None) -> None:
        from dubstudio.models.paths import language_data_dir
        from dubstudio.pipeline.translation_memory import TranslationMemory
        from dubstudio.stages.translation import translate_segments

        project = self.project
        source = project.source_language
        subtitle_language = project.display_subtitle_language
        translator = self.engines.translator(source, [subtitle_language, project.target_language])
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

    def _match_voices(self, work: _Work, progress: ProgressCallback, cancel: CancelToken | None) -> None:
        from dubstudio.pipeline.library_match import propose_from_library
        from dubstudio.stages.voice_matching import match_voices

        project = self.project
        report = stage_reporter(progress, "voiceMatching")
        report(0.0, "loading the voice catalog")
        catalog = self.engines.catalog(
            project.target_language, project.speakers, progress=progress, cancel=cancel
        )
        preferred = propose_from_library(project) if project.settings.voice_library else {}
        outcome = match_voices(
            copy.deepcopy(project.speakers),
            copy.deepcopy(project.segments),
            catalog,
            project.target_language,
            preferred=preferred,
        )
        by_segment: dict[str, list[ValidationIssue]] = {}
        for issue in outcome.issues:
            by_segment.setdefault(issue.subtitle_id, []).append(issue)
        for segment in outcome.segments:
            segment.issues = [i for i in segment.issues if i.stage != "voiceMatching"] + by_segment.get(
                segment.id, []
            )
        project.speakers, project.segments = outcome.speakers, outcome.segments
        self._replace_project_issues("voiceMatching", by_segment.get("", []))

    def _synthesize(self, work: _Work, progress: ProgressCallback, cancel: CancelToken | None) -> None:
        from dubstudio.stages.synthesis import synthesize_segments

        project = self.project
        _recognition, mix_wav = self._audio_paths(cancel, progress, "synthesis")
        project.segments = synthesize_segments(
            copy.deepcopy(project.segments),
            project,
            self.engines.synthesizers(),
            self.engines.catalog(project.target_language, project.speakers, progress=progress, cancel=cancel),
            self.project_dir,
            only_ids=work.only_ids,
            progress=progress,
            cancel=cancel,
            force=bool(self._fresh_takes),
            source_audio=mix_wav,
            mouth_limits=current_mouth_limits(self.project_dir, project),
        )

    def _validate(self, work: _Work, progress: ProgressCallback, cancel: CancelToken | None) -> None:
        project = self.project
        catalog = (
            self.engines.catalog(project.target_language, project.speakers, progress=progress, cancel=cancel)
            if project.segments
            else []
        )
        self.report = validate(project, catalog, current_activity(self.project_dir, project))

    # -----------------------------------------------------------------------------------------
