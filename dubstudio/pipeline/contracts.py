"""The pipeline's contract guard: what a stage may not change, and the structural rules every
stage's output keeps (see the orchestrator's docstring)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dubstudio.core.errors import UserError
from dubstudio.core.project import Project
from dubstudio.core.schema import to_dict
from dubstudio.core.stages import STAGE_BY_NAME, STAGE_FIELDS, STAGES

#: cue ends may pass the probed media duration by this much (container rounding)
DURATION_SLACK = 0.5


class StageContractError(RuntimeError):
    """A stage changed a fact owned by an earlier stage: a bug in that stage, not a user error."""


class InvalidStageOutputError(UserError):
    """A stage produced output that breaks the pipeline's structural rules."""


def stage_facts(project: Project, stage: str) -> dict[str, Any]:
    """What earlier stages own (minus what `stage` owns itself), as comparable plain data."""
    index = STAGES.index(stage)
    own = set(STAGE_FIELDS[stage])
    earlier = [f for s in STAGES[:index] for f in STAGE_FIELDS[s] if f not in own and f != "issues"]
    fields = list(dict.fromkeys(earlier))
    facts: dict[str, Any] = {}
    definition = STAGE_BY_NAME[stage]
    if not definition.rebuilds_segments:
        facts["segments"] = {
            s.id: {
                **{name: to_dict(getattr(s, name)) for name in fields},
                "otherIssues": to_dict([i for i in s.issues if i.stage not in (stage, "validation")]),
            }
            for s in project.segments
        }
        facts["order"] = [s.id for s in project.segments]
    if not definition.recognises:
        facts["sourceLanguage"] = project.source_language
        facts["speakers"] = [
            [s.id, s.gender, s.median_f0, s.embedding, to_dict(s.reference_clips)] for s in project.speakers
        ]
    return facts


def check_contract(project: Project, stage: str, before: dict[str, Any]) -> None:
    """Raise StageContractError when `stage` changed what `before` (its `stage_facts`) recorded."""
    after = stage_facts(project, stage)
    if after == before:
        return
    if before.get("order") != after.get("order"):
        raise StageContractError(f"stage {stage} added, removed or reordered segments")
    for segment_id, facts in before.get("segments", {}).items():
        for name, value in facts.items():
            if after["segments"][segment_id][name] != value:
                raise StageContractError(
                    f"stage {stage} changed {name} of segment {segment_id}, which an earlier stage owns"
                )
    changed = next(name for name in before if before[name] != after.get(name))
    raise StageContractError(f"stage {stage} changed {changed}, which an earlier stage owns")


def check_output(project: Project, project_dir: Path, stage: str) -> None:
    """Structural rules every stage's output must keep: unique ids, order, spans on the media."""
    duration = project.media.duration if project.media else None
    seen: set[str] = set()
    previous_start = 0.0
    for segment in project.segments:
        problem = ""
        if segment.id in seen:
            problem = f"the segment id {segment.id!r} appears twice"
        elif segment.start < previous_start:
            problem = f"segment {segment.id} starts before the previous one"
        elif duration and segment.end > duration + DURATION_SLACK:
            problem = f"segment {segment.id} ends at {segment.end:.2f} s, after the media end"
        if problem:
            raise InvalidStageOutputError(
                f"the {stage} stage produced invalid output: {problem}",
                path=project_dir,
                fix="Re-run the job; if it happens again, report it with this project folder.",
            )
        seen.add(segment.id)
        previous_start = segment.start
