"""What each stage has to do in a run: its input key and the plan made from it.

Every stage has an input key, the hash of everything it reads (`stage_spec.SPECS`: its inputs, its
settings and, for a per-cue stage, each cue's own inputs); `diagnostics.stage_keys` holds the key
each stage last completed with:
- whole-project stages (transcription, segmentation, voice matching) run again when their key
  changes or a segment is stale for them;
- per-cue stages (translation, synthesis) run for the cues that are stale for them
  (`Segment.stale`, set by `Project.mark_stale` on an edit) or whose own inputs changed since the
  last run, so editing one transcript re-translates and re-synthesizes that cue only;
- a stage without a cache entry (validation) always runs.
A stage whose current key has an entry in the stage cache is restored from it instead of running.
"""

from __future__ import annotations

from pathlib import Path

from dubstudio.core.project import Project
from dubstudio.pipeline.cache import StageCache, input_hash
from dubstudio.pipeline.stage_spec import SPECS, stage_settings
from dubstudio.pipeline.steps import Work


class StageKeys:
    """The input keys of one project's stages, computed from its current state."""

    def __init__(self, project: Project, project_dir: Path) -> None:
        self.project = project
        self.project_dir = project_dir

    def key(self, stage: str, cue_inputs: dict[str, str] | None = None) -> str:
        """The stage's input key; `cue_inputs` replaces the cues' own inputs of a per-cue stage."""
        spec = SPECS[stage]
        fixed = spec.fixed_key(self.project) if spec.fixed_key else None
        if fixed is not None:
            return fixed
        parts = spec.key_inputs(self)
        if spec.settings:
            parts.append(stage_settings(self.project.settings, stage))
        if spec.per_cue:
            parts.append(self.cue_inputs(stage) if cue_inputs is None else cue_inputs)
        return input_hash(stage, *parts)

    def cue_inputs(self, stage: str) -> dict[str, str]:
        """Per cue, a hash of what the per-cue stage reads from it."""
        read = SPECS[stage].cue_inputs
        if read is None:
            raise ValueError(f"{stage} is not a per-cue stage")
        return {segment_id: input_hash(*parts) for segment_id, parts in read(self).items()}


def plan(keys: StageKeys, cache: StageCache, stage: str, key: str) -> Work:
    """What `stage` has to do to be up to date with `key`."""
    project = keys.project
    spec = SPECS[stage]
    stale = {s.id for s in project.segments if stage in s.stale}
    last_key = project.diagnostics.stage_keys.get(stage)
    if not spec.cached:
        return Work("full")
    if last_key == key and not stale:
        return Work("")
    if cache.path(stage, key).is_file() and not stale:
        return Work("cached")
    if spec.per_cue and last_key is not None:
        previous = (cache.load(stage, last_key) or {}).get("inputs")
        if previous is not None:
            if keys.key(stage, previous) != last_key:
                return Work("full")  # the languages or settings every cue depends on changed
            changed = {i for i, h in keys.cue_inputs(stage).items() if previous.get(i) != h}
            return Work("partial", stale | changed)
        if stale:
            return Work("partial", stale)
    return Work("full")
