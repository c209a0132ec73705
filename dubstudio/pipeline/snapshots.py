"""A stage's output as the plain data of its cache entry, and back.

A stage's spec lists the parts of its entry (`StageSpec.parts`); each part is written and read in
one place here, under the keys of the entries earlier versions wrote (so their caches still hit).
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from dubstudio.core.project import Project, Segment, Speaker, ValidationIssue
from dubstudio.core.schema import from_dict, to_dict
from dubstudio.pipeline.planning import StageKeys
from dubstudio.pipeline.stage_spec import SPECS
from dubstudio.pipeline.steps import replace_project_issues


@cache
def _segment_hints() -> dict[str, Any]:
    return typing.get_type_hints(Segment)


def _dump_transcript(keys: StageKeys, stage: str) -> dict[str, Any]:
    project = keys.project
    return {
        "language": project.source_language,
        "segments": to_dict(project.segments),
        "speakers": to_dict(project.speakers),
    }


def _load_transcript(project: Project, stage: str, data: dict[str, Any]) -> None:
    project.segments = from_dict(list[Segment], data["segments"])
    project.speakers = from_dict(list[Speaker], data["speakers"])
    project.source_language = data["language"]


def _load_segments(project: Project, stage: str, data: dict[str, Any]) -> None:
    project.segments = from_dict(list[Segment], data["segments"])


def _dump_outputs(keys: StageKeys, stage: str) -> dict[str, Any]:
    owned = SPECS[stage].fields.writes
    return {
        "outputs": {
            s.id: {
                "fields": {name: to_dict(getattr(s, name)) for name in owned},
                "issues": to_dict([i for i in s.issues if i.stage == stage]),
            }
            for s in keys.project.segments
        }
    }


def _load_outputs(project: Project, stage: str, data: dict[str, Any]) -> None:
    hints = _segment_hints()
    for segment in project.segments:
        entry = data["outputs"][segment.id]
        for name, value in entry["fields"].items():
            setattr(segment, name, from_dict(hints[name], value))
        segment.issues = [i for i in segment.issues if i.stage != stage] + from_dict(
            list[ValidationIssue], entry["issues"]
        )


def _dump_speaker_voices(keys: StageKeys, stage: str) -> dict[str, Any]:
    speakers = keys.project.speakers
    return {
        "speakers": {s.id: s.voice_id for s in speakers},
        "reasons": {s.id: s.voice_reason for s in speakers},
    }


def _load_speaker_voices(project: Project, stage: str, data: dict[str, Any]) -> None:
    for speaker in project.speakers:
        speaker.voice_id = data["speakers"].get(speaker.id, speaker.voice_id)
        speaker.voice_reason = data.get("reasons", {}).get(speaker.id, speaker.voice_reason)


def _dump_project_issues(keys: StageKeys, stage: str) -> dict[str, Any]:
    return {"projectIssues": to_dict([i for i in keys.project.diagnostics.issues if i.stage == stage])}


def _load_project_issues(project: Project, stage: str, data: dict[str, Any]) -> None:
    replace_project_issues(project, stage, from_dict(list[ValidationIssue], data["projectIssues"]))


@dataclass(frozen=True)
class _Part:
    """One piece of a cache entry: how it is taken from the project and put back."""

    dump: Callable[[StageKeys, str], dict[str, Any]]
    #: None: read by planning (`planning.plan`), not restored
    load: Callable[[Project, str, dict[str, Any]], None] | None


PARTS: dict[str, _Part] = {
    # stage 1's whole result
    "transcript": _Part(_dump_transcript, _load_transcript),
    "segments": _Part(lambda keys, stage: {"segments": to_dict(keys.project.segments)}, _load_segments),
    # per cue: the stage's own fields and issues
    "outputs": _Part(_dump_outputs, _load_outputs),
    # per cue: the input hashes, so the next run knows which cues changed since
    "inputs": _Part(lambda keys, stage: {"inputs": keys.cue_inputs(stage)}, None),
    # per speaker: the voice matched and why
    "speakerVoices": _Part(_dump_speaker_voices, _load_speaker_voices),
    "projectIssues": _Part(_dump_project_issues, _load_project_issues),
}


def snapshot(keys: StageKeys, stage: str) -> dict[str, Any]:
    """Stage `stage`'s output in the project, as the plain data of its cache entry."""
    data: dict[str, Any] = {}
    for part in SPECS[stage].parts:
        data.update(PARTS[part].dump(keys, stage))
    return data


def restore(project: Project, stage: str, data: dict[str, Any]) -> None:
    """Put a cache entry of `stage` back into `project` (the reverse of `snapshot`)."""
    for part in SPECS[stage].parts:
        load = PARTS[part].load
        if load is not None:
            load(project, stage, data)
