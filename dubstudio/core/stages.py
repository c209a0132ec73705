"""The pipeline's stages as the project file knows them, each defined once: its name (the
vocabulary of a segment's `stale` list and of `diagnostics.stage_keys`), its place in the order,
the Segment fields it writes, and which edits make it run again.

The tables the rest of the program reads (`STAGES`, `STAGE_FIELDS`, `STALE_FROM`) are derived from
`STAGE_DEFINITIONS`. The pipeline's side of each stage (the settings and inputs of its key, its
cache entry, its step, its labels) is `dubstudio.pipeline.stage_spec`, which builds on these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StageFields:
    """What one stage writes into the project and what makes it run again."""

    name: str
    #: the Segment fields it is the first to write; every field has one owner
    owns: tuple[str, ...] = ()
    #: fields of an earlier stage it may write again (segmentation re-cuts the transcript)
    rewrites: tuple[str, ...] = ()
    #: Segment fields whose edit by the user makes this stage and every later one run again for
    #: that segment
    redo_on: tuple[str, ...] = ()
    #: it may add, remove, split or reorder segments (the stages before translation)
    rebuilds_segments: bool = False
    #: it sets the recognised facts: the source language and the speakers (stage 1)
    recognises: bool = False

    @property
    def writes(self) -> tuple[str, ...]:
        """Every Segment field it may change: a later stage that changes one of them is a bug."""
        return self.rewrites + self.owns


_RECOGNISED = ("start", "end", "speaker_id", "original_text", "words", "confidence")

#: the stages in pipeline order; "synthesis" is the TTS + slot fitting step after voice matching
STAGE_DEFINITIONS: tuple[StageFields, ...] = (
    StageFields("transcription", owns=_RECOGNISED, rebuilds_segments=True, recognises=True),
    StageFields("segmentation", rewrites=_RECOGNISED, rebuilds_segments=True),
    StageFields(
        "translation",
        owns=("translated_text", "tts_text", "tts_language", "translation_origin"),
        redo_on=("original_text",),
    ),
    StageFields("voiceMatching", owns=("voice_id",), redo_on=("speaker_id",)),
    StageFields(
        "synthesis",
        owns=("clip", "clip_history"),
        redo_on=("translated_text", "tts_text", "voice_override", "start", "end"),
    ),
    # fields not redone by any stage (clip, issues, review flags) carry no staleness
    StageFields("validation", owns=("issues",)),
)

#: stage names, in pipeline order
STAGES: tuple[str, ...] = tuple(definition.name for definition in STAGE_DEFINITIONS)
#: stage name → its definition
STAGE_BY_NAME: dict[str, StageFields] = {definition.name: definition for definition in STAGE_DEFINITIONS}
#: which Segment fields each stage writes
STAGE_FIELDS: dict[str, tuple[str, ...]] = {d.name: d.writes for d in STAGE_DEFINITIONS}
#: which stage an edit of a Segment field invalidates: that stage and every later one must re-run
#: for the segment (`Project.mark_edited`)
STALE_FROM: dict[str, str] = {field: d.name for d in STAGE_DEFINITIONS for field in d.redo_on}
