"""Each pipeline stage defined once: the settings and inputs of its key, what its cache entry
holds, the step that runs it, and what the CLI and the editor call it.

What the project file knows of a stage (its name, order, the fields it writes, which edits redo it)
is `core.stages.STAGE_DEFINITIONS`; a `StageSpec` adds the pipeline's side. Derived from `SPECS`:
- the input key of a stage (`planning.StageKeys`) from `key_inputs`, `settings` and, for per-cue
  stages, `cue_inputs`;
- its cache entry (`snapshots.snapshot` / `restore`) from `parts`; a stage without parts is not
  cached and runs every time (validation: it is cheap and reads everything);
- the orchestrator's step table (`Pipeline.steps`) from `step`;
- the progress labels of the CLI, the editor and the batch views (`CLI_LABELS`, `GUI_LABELS`,
  `NOUNS`), with those of the job steps that are not stages (`STEP_LABELS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dubstudio.core.project import Project, Settings
from dubstudio.core.schema import to_dict
from dubstudio.core.stages import STAGE_BY_NAME, STAGES, StageFields

if TYPE_CHECKING:
    from dubstudio.pipeline.planning import StageKeys

#: marks a project whose transcript came from a subtitle file instead of the recogniser
IMPORTED_TRANSCRIPT = "imported subtitles"


@dataclass(frozen=True)
class Labels:
    """What a stage or job step is called while it runs."""

    #: the CLI's progress bar ("3 Translation")
    cli: str
    #: the editor's status line ("Translating")
    gui: str
    #: in a sentence or a table column ("voice matching")
    noun: str


@dataclass(frozen=True)
class StageSpec:
    """One stage of the pipeline (see the module docstring for what is derived from it)."""

    fields: StageFields
    labels: Labels
    #: the function of `pipeline.steps` that runs it (by name: that module loads the engines'
    #: stack, which the CLI's `--help` and the labels' users must not wait for)
    step: str
    #: the Settings fields that shape its output (part of its input key)
    settings: tuple[str, ...]
    #: the project's inputs it reads, as JSON-able values (part of its input key)
    key_inputs: Callable[[StageKeys], list[Any]]
    #: a per-cue stage runs for the cues whose inputs changed: per cue id, what it reads of that cue
    cue_inputs: Callable[[StageKeys], dict[str, list[Any]]] | None = None
    #: what its cache entry holds (`snapshots.PARTS`)
    parts: tuple[str, ...] = ()
    #: a fixed key instead of the hash of its inputs (an imported transcript is never recognised)
    fixed_key: Callable[[Project], str | None] | None = None

    @property
    def name(self) -> str:
        return self.fields.name

    @property
    def per_cue(self) -> bool:
        return self.cue_inputs is not None

    @property
    def cached(self) -> bool:
        return bool(self.parts)


def imported_transcript(project: Project) -> bool:
    return project.diagnostics.engines.get("transcription") == IMPORTED_TRANSCRIPT


def _media_fingerprint(keys: StageKeys) -> list[Any]:
    media = keys.project.media
    return [[media.path, media.size_bytes, media.mtime, media.duration] if media else []]


def _languages(keys: StageKeys) -> list[Any]:
    project = keys.project
    return [[project.source_language, project.display_subtitle_language, project.target_language]]


def _voice_matching_inputs(keys: StageKeys) -> list[Any]:
    project = keys.project
    speakers = [
        [s.id, s.gender, s.median_f0, s.voice_override, s.register, s.library_id, s.library_status]
        for s in project.speakers
    ]
    cues = [[s.id, s.speaker_id, s.voice_override, s.tts_language] for s in project.segments]
    return [project.target_language, speakers, cues]


def _translation_cues(keys: StageKeys) -> dict[str, list[Any]]:
    """A cue's translation depends on its whole sentence."""
    from dubstudio.stages.translation import cue_inputs

    return dict(cue_inputs(keys.project.segments, keys.project.source_language))


def _synthesis_cues(keys: StageKeys) -> dict[str, list[Any]]:
    from dubstudio.pipeline.mouths import current_mouth_limits

    project = keys.project
    limits = current_mouth_limits(keys.project_dir, project)
    segments = project.segments
    inputs = {}
    for index, segment in enumerate(segments):
        following = segments[index + 1].start if index + 1 < len(segments) else None
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
        inputs[segment.id] = parts + ([limits[segment.id]] if segment.id in limits else [])  # lip-sync assist
    return inputs


SPECS: dict[str, StageSpec] = {
    spec.name: spec
    for spec in (
        StageSpec(
            STAGE_BY_NAME["transcription"],
            Labels("1 Transcription", "Transcribing", "transcription"),
            "transcribe",
            settings=(
                "whisper_model",
                "beam_size",
                "denoise",
                "min_speakers",
                "max_speakers",
                "diarization_pipeline",
            ),
            key_inputs=_media_fingerprint,
            parts=("transcript",),
            fixed_key=lambda project: IMPORTED_TRANSCRIPT if imported_transcript(project) else None,
        ),
        StageSpec(
            STAGE_BY_NAME["segmentation"],
            Labels("2 Segmentation", "Cutting subtitles", "segmentation"),
            "segment",
            settings=("max_chars_per_line", "max_lines", "max_cps", "min_cue_duration", "max_cue_duration"),
            key_inputs=lambda keys: [keys.key("transcription")],
            parts=("segments",),
        ),
        StageSpec(
            STAGE_BY_NAME["translation"],
            Labels("3 Translation", "Translating", "translation"),
            "translate",
            settings=("translator", "synthesizer", "length_tolerance", "glossary", "use_translation_memory"),
            key_inputs=_languages,
            cue_inputs=_translation_cues,
            parts=("outputs", "inputs"),
        ),
        StageSpec(
            STAGE_BY_NAME["voiceMatching"],
            Labels("4 Voice matching", "Matching voices", "voice matching"),
            "match_voices",
            settings=("synthesizer", "voice_library"),
            key_inputs=_voice_matching_inputs,
            parts=("outputs", "speakerVoices", "projectIssues"),
        ),
        StageSpec(
            STAGE_BY_NAME["synthesis"],
            Labels("  Synthesis", "Synthesizing speech", "synthesis"),
            "synthesize",
            settings=("synthesizer", "max_speed", "resemblance"),
            key_inputs=_languages,
            cue_inputs=_synthesis_cues,
            parts=("outputs", "inputs"),
        ),
        StageSpec(
            STAGE_BY_NAME["validation"],
            Labels("5 Validation", "Validating", "validation"),
            "validate",
            settings=(),
            key_inputs=lambda keys: [to_dict(keys.project.segments)],
        ),
    )
}
if tuple(SPECS) != STAGES:
    raise RuntimeError("SPECS must follow core.stages.STAGES")

#: per-cue stages: they can run for a selection of cues
PER_CUE_STAGES = tuple(spec.name for spec in SPECS.values() if spec.per_cue)

#: the steps of a job that are not pipeline stages but report progress under their own name
STEP_LABELS: dict[str, Labels] = {
    "export": Labels("  Mix and export", "Exporting", "mix and export"),
    "mix": Labels("  Mix", "Mixing", "mix"),
    "media": Labels("  Media", "Reading media", "media"),
    "preview": Labels("  Preview", "Rendering preview", "preview"),
    "waveform": Labels("  Waveform", "Reading the waveform", "waveform"),
    "project": Labels("  Project", "Creating the project", "project"),
}
_ALL_LABELS = {name: spec.labels for name, spec in SPECS.items()} | STEP_LABELS
#: the CLI's progress bar label of every stage and step
CLI_LABELS: dict[str, str] = {name: labels.cli for name, labels in _ALL_LABELS.items()}
#: the editor's status line of every stage and step
GUI_LABELS: dict[str, str] = {name: labels.gui for name, labels in _ALL_LABELS.items()}
#: every stage and step in a sentence or a column head
NOUNS: dict[str, str] = {name: labels.noun for name, labels in _ALL_LABELS.items()}


def stage_settings(settings: Settings, name: str) -> dict[str, Any]:
    """The settings that shape stage `name`'s output, as plain data (part of its input key)."""
    return {field: to_dict(getattr(settings, field)) for field in SPECS[name].settings}
