"""The pipeline: runs the five stages and synthesis over one project folder, resumably.

Contracts (`contracts.py`). Each stage owns some Segment fields (`core.stages`); after
every stage the facts owned by earlier stages are compared with what they were before it ran, and a
difference is a `StageContractError` (a bug, never the user's fault). A stage also may not touch
another stage's issues, the speakers' recognised facts, or (after segmentation) the list of segments. Stage
functions work on deep copies and their output is applied only when they finish, so a cancel or a
failure leaves the project at the last completed stage; the project is saved after every stage.

What runs is planned from each stage's input key (`planning.py`); the stages themselves are
defined once in `stage_spec.py` (their keys, cache entries, steps and labels), their steps are in
`steps.py` and their cache entries in `snapshots.py`. A stage whose current key has an entry in the
stage cache (`cache/<stage>/<key>.json`) is restored from it instead of running its engines.

Hard failures are `UserError`s (unreadable media, no speech, missing model, unsupported language
pair, invalid stage output); soft findings are issues on the segments and in diagnostics.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from dubstudio.core.media import duration_note, probe
from dubstudio.core.progress import CancelToken, ProgressCallback, ProgressEvent, ignore_progress
from dubstudio.core.project import STAGES, Project, Settings, Speaker, ValidationIssue
from dubstudio.core.store import create_project_dir, save_project
from dubstudio.core.subtitles import import_subtitles
from dubstudio.engines.factory import Engines
from dubstudio.pipeline import steps
from dubstudio.pipeline.cache import StageCache
from dubstudio.pipeline.contracts import check_contract, check_output, stage_facts
from dubstudio.pipeline.isolation import ChildProcess
from dubstudio.pipeline.planning import StageKeys, plan
from dubstudio.pipeline.snapshots import restore, snapshot
from dubstudio.pipeline.stage_spec import IMPORTED_TRANSCRIPT, SPECS, imported_transcript
from dubstudio.pipeline.steps import Work
from dubstudio.stages.validation import ValidationReport

if TYPE_CHECKING:  # the export (mix, mastering: scipy.signal) is imported when a run exports
    from dubstudio.pipeline.export import ExportResult

StageDone = Callable[[str, Project], None]


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
        self.steps: dict[str, Callable[[Work, ProgressCallback, CancelToken | None], None]] = {
            name: functools.partial(getattr(steps, spec.step), self) for name, spec in SPECS.items()
        }
        #: the cues whose takes must be new in this run (`resynthesize`)
        self.fresh_takes: set[str] = set()

    @property
    def keys(self) -> StageKeys:
        """The input keys of the project's stages in its current state."""
        return StageKeys(self.project, self.project_dir)

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
            keys = self.keys
            key = keys.key(stage)
            work = plan(keys, self.cache, stage, key)
            self.last_run[stage] = work.mode
            if not work.mode:
                progress(ProgressEvent(stage, 1.0, "up to date"))
                continue
            progress(ProgressEvent(stage, 0.0, "cached" if work.mode == "cached" else "starting"))
            started = time.perf_counter()
            before = stage_facts(self.project, stage)
            if work.mode == "cached":
                restore(self.project, stage, self.cache.load(stage, key) or {})
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
        self.fresh_takes = set(ids)
        try:  # saved after each stage
            return self.run(progress=progress, cancel=cancel)
        finally:
            self.fresh_takes = set()

    def export(
        self,
        out_dir: Path | None = None,
        *,
        progress: ProgressCallback = ignore_progress,
        cancel: CancelToken | None = None,
    ) -> ExportResult:
        """Write subtitles, dub, mix and muxed video into `out_dir` (default: the project folder)."""
        from dubstudio.pipeline.export import export_project

        return export_project(
            self.project,
            self.project_dir,
            Path(out_dir) if out_dir else self.project_dir,
            separator=self.engines.separator(),
            progress=progress,
            cancel=cancel,
        )

    # -----------------------------------------------------------------------------------------
    # after a stage

    def _finish(self, stage: str, key: str, work: Work, seconds: float) -> None:
        diagnostics = self.project.diagnostics
        if work.mode != "cached":
            diagnostics.stage_durations_ms[stage] = round(seconds * 1000, 1)
        names = self.engines.names()
        if imported_transcript(self.project):  # a shared engine set may have recognised another project
            names.pop("transcription", None)
        diagnostics.engines.update(names)
        for segment in self.project.segments:
            if stage in segment.stale:
                segment.stale = [s for s in segment.stale if s != stage]
        if SPECS[stage].cached:
            diagnostics.stage_keys[stage] = key
            if work.mode != "cached":
                self.cache.store(stage, key, snapshot(self.keys, stage))
        else:  # a stage that reads everything, itself included: the key of the state it produced
            diagnostics.stage_keys[stage] = self.keys.key(stage)
        save_project(self.project_dir, self.project)
