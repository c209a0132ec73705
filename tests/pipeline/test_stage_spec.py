"""The stage specs and the tables derived from them agree with each other and with the model: every
stage has one spec, every field one owner, every edit a stage to redo, every setting a key it
changes. Pure data, no engines: a plain project in memory and a cache folder."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest

from dubstudio.core.project import (
    STAGES,
    STALE_FROM,
    GlossaryEntry,
    MediaInfo,
    Project,
    Segment,
    Settings,
    Speaker,
)
from dubstudio.core.stages import STAGE_BY_NAME, STAGE_DEFINITIONS, STAGE_FIELDS
from dubstudio.pipeline import steps
from dubstudio.pipeline.cache import StageCache
from dubstudio.pipeline.dub_job import JOB_STAGES
from dubstudio.pipeline.planning import StageKeys, plan
from dubstudio.pipeline.snapshots import PARTS, restore, snapshot
from dubstudio.pipeline.stage_spec import CLI_LABELS, GUI_LABELS, NOUNS, PER_CUE_STAGES, SPECS

SEGMENT_FIELDS = {f.name for f in dataclasses.fields(Segment)}
SETTINGS_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
SPEC_SETTINGS = [(name, setting) for name, spec in SPECS.items() for setting in spec.settings]


def _project() -> Project:
    project = Project(
        name="talk",
        source_language="en",
        target_language="es",
        media=MediaInfo(path="/media/talk.mp4", duration=9.0, size_bytes=1000, mtime=1.0),
        speakers=[Speaker(id="S1"), Speaker(id="S2")],
        segments=[
            Segment("c1", 0.5, 2.5, "S1", "Ask not what your country can do for you.", tts_text="No."),
            Segment("c2", 3.0, 5.0, "S1", "Ask what you can do.", tts_text="Pregunta."),
            Segment("c3", 6.0, 8.0, "S2", "He had leisure.", tts_text="Tenía tiempo."),
        ],
    )
    project.diagnostics.engines["transcription"] = "faster-whisper"  # recognised, not imported
    return project


def _changed(settings: Settings, name: str) -> Settings:
    """`settings` with `name` set to another valid value."""
    value = getattr(settings, name)
    if name == "glossary":
        other = [GlossaryEntry("country", "patria")]
    elif isinstance(value, bool):
        other = not value
    elif isinstance(value, int | float):
        other = value + 1 if isinstance(value, int) else round(value + 0.05, 2)
    else:
        other = f"{value}-other"
    return dataclasses.replace(settings, **{name: other})


def _all_keys(project: Project, folder: Path) -> dict[str, str]:
    keys = StageKeys(project, folder)
    return {stage: keys.key(stage) for stage in STAGES}


def test_every_stage_has_one_spec_in_pipeline_order():
    assert tuple(SPECS) == STAGES == tuple(d.name for d in STAGE_DEFINITIONS)
    for name, spec in SPECS.items():
        assert spec.fields is STAGE_BY_NAME[name]
        assert inspect.isfunction(getattr(steps, spec.step)), f"{name}: no step {spec.step}"
        assert set(spec.parts) <= set(PARTS), f"{name}: unknown cache parts"
        assert set(spec.settings) <= set(SETTINGS_FIELDS), f"{name}: unknown settings"
        assert ("inputs" in spec.parts) == spec.per_cue  # the plan reads a per-cue stage's inputs
    assert PER_CUE_STAGES == ("translation", "synthesis")


def test_every_field_has_one_owner_and_only_later_stages_redo_work_for_it():
    owners: dict[str, str] = {}
    for definition in STAGE_DEFINITIONS:
        for name in definition.owns:
            assert name in SEGMENT_FIELDS, f"{definition.name} owns {name}, which Segment lacks"
            assert name not in owners, f"{name} is owned by {owners.get(name)} and {definition.name}"
            owners[name] = definition.name
        for name in definition.rewrites:  # only an earlier stage's fields
            assert STAGES.index(owners[name]) < STAGES.index(definition.name)
    assert {d.name: d.rewrites + d.owns for d in STAGE_DEFINITIONS} == STAGE_FIELDS
    redone = [name for d in STAGE_DEFINITIONS for name in d.redo_on]
    assert len(redone) == len(set(redone)) == len(STALE_FROM), "a field redoes two stages"
    for name, stage in STALE_FROM.items():
        assert name in SEGMENT_FIELDS
        if name in owners:  # an edit of a stage's output redoes what comes after, never the stage
            assert STAGES.index(owners[name]) < STAGES.index(stage), name


def test_every_stage_and_job_step_has_its_labels():
    for stage in JOB_STAGES:
        assert CLI_LABELS[stage].strip() and GUI_LABELS[stage] and NOUNS[stage]
    numbered = [CLI_LABELS[s].split()[0] for s in STAGES if CLI_LABELS[s][0].isdigit()]
    assert numbered == ["1", "2", "3", "4", "5"]  # the contracts' 4+1 stages, synthesis unnumbered


@pytest.mark.parametrize(("stage", "setting"), SPEC_SETTINGS, ids=[f"{s}.{n}" for s, n in SPEC_SETTINGS])
def test_a_setting_changes_the_key_of_its_stages_and_no_earlier_one(stage, setting, tmp_path):
    project = _project()
    before = _all_keys(project, tmp_path)
    project.settings = _changed(project.settings, setting)
    after = _all_keys(project, tmp_path)
    first = min((s for s, spec in SPECS.items() if setting in spec.settings), key=STAGES.index)
    for name in STAGES:
        if setting in SPECS[name].settings:
            assert after[name] != before[name], f"{setting} does not change the {name} key"
        elif STAGES.index(name) < STAGES.index(first):
            assert after[name] == before[name], f"{setting} changes the earlier {name} key"
    if stage == "transcription":  # segmentation cuts what transcription produced
        assert after["segmentation"] != before["segmentation"]


def test_every_setting_shapes_a_stage_or_is_known_not_to():
    """A new setting must be placed: in the spec of the stages it shapes, or here."""
    outside_stages = {"device", "keep_background", "duck_db", "lipsync", "mouth_fps"}  # engines, mix, mouths
    assert set(SETTINGS_FIELDS) - {s for _, s in SPEC_SETTINGS} == outside_stages


def _completed(project: Project, folder: Path) -> StageCache:
    """Record every stage as done with its current key, its cache entry written."""
    cache = StageCache(folder)
    keys = StageKeys(project, folder)
    for stage in STAGES:
        project.diagnostics.stage_keys[stage] = keys.key(stage)
        if SPECS[stage].cached:
            cache.store(stage, keys.key(stage), snapshot(keys, stage))
    return cache


@pytest.mark.parametrize("field", sorted(STALE_FROM))
def test_an_edit_redoes_its_stage_and_every_later_one_for_that_cue(field, tmp_path):
    project = _project()
    cache = _completed(project, tmp_path)
    keys = StageKeys(project, tmp_path)
    assert all(plan(keys, cache, s, keys.key(s)).mode == "" for s in STAGES if SPECS[s].cached)
    segment = project.segments[1]
    assert project.mark_edited(segment, [field])
    first = STALE_FROM[field]
    for stage in STAGES:
        work = plan(keys, cache, stage, keys.key(stage))
        if STAGES.index(stage) < STAGES.index(first):
            assert work.mode == "", f"editing {field} redoes the earlier {stage}"
        elif stage in PER_CUE_STAGES:
            assert work.mode == "partial" and segment.id in (work.only_ids or set()), stage
        else:
            assert work.mode == "full", stage


def test_a_cache_entry_restores_what_its_stage_wrote(tmp_path):
    project = _project()
    for segment, voice in zip(
        project.segments, ("kokoro:em_alex", "kokoro:em_alex", "kokoro:ef_dora"), strict=True
    ):
        segment.voice_id = voice
        segment.translated_text = segment.tts_text
        segment.tts_language = "es"
    project.speakers[0].voice_id, project.speakers[0].voice_reason = "kokoro:em_alex", "male, 110 Hz"
    keys = StageKeys(project, tmp_path)
    saved = {stage: snapshot(keys, stage) for stage in STAGES if SPECS[stage].cached}
    blank = _project()
    for stage, data in saved.items():
        restore(blank, stage, data)
    for name in ("voice_id", "translated_text", "tts_text", "tts_language", "original_text", "start"):
        assert [getattr(s, name) for s in blank.segments] == [getattr(s, name) for s in project.segments]
    assert (blank.speakers[0].voice_id, blank.speakers[0].voice_reason) == ("kokoro:em_alex", "male, 110 Hz")
