"""Stage 4 — pick one catalog voice per speaker, then resolve each segment's voice.

A voice's cost for a speaker adds: gender mismatch, pitch distance in semitones between the
speaker's median F0 and the voice's measured pitch, embedding distance (cosine, when both have
one from the same embedder), and an engine prior (a clone of the speaker's own timbre is best,
espeak-ng's formant voice is the last resort, a voice with a quality caveat for the language is
penalised). Speakers are assigned jointly (Hungarian algorithm) with a growing penalty for each
re-use of a voice, so distinct speakers get distinct voices when the catalog allows, without
giving a man a woman's voice just to be distinct.

User overrides (Speaker.voice_override, Segment.voice_override) win when the voice is in the
catalog and speaks the language; otherwise they are ignored with a `fallback_voice` warning.
No catalog voice for the language is a hard failure: a `no_voice` error, raised as
`NoVoiceError` (an `UnsupportedLanguageError`) so the pipeline stops with a clear message.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.core.languages import base_language
from dubstudio.core.project import Segment, Speaker, ValidationIssue
from dubstudio.engines.base import Voice
from dubstudio.engines.espeak import ENGINE as ESPEAK_ENGINE
from dubstudio.engines.voices import speaks

STAGE = "voiceMatching"

GENDER_MISMATCH_COST = 3.0
UNKNOWN_GENDER_COST = 0.3
UNKNOWN_PITCH_COST = 0.5
SEMITONES_PER_COST = 4.0
EMBEDDING_WEIGHT = 2.0
CLONE_BONUS = -2.0
ESPEAK_COST = 1.5
QUALITY_NOTE_COST = 1.0
REUSE_COST = 2.0
_FORBIDDEN = 1e6


@dataclass
class VoiceMatchOutcome:
    speakers: list[Speaker]
    segments: list[Segment]
    issues: list[ValidationIssue]


class NoVoiceError(UnsupportedLanguageError):
    """No catalog voice speaks the target language; `issues` holds the `no_voice` error."""

    def __init__(self, language: str, issues: list[ValidationIssue]) -> None:
        super().__init__(
            f"no installed voice speaks the target language '{language}'",
            fix="Install a voice for it (Kokoro speaks es, en, fr, it, pt; espeak-ng ~130 languages; "
            "a Coqui model for others) or choose another target language.",
        )
        self.issues = issues


def match_voices(
    speakers: list[Speaker], segments: list[Segment], catalog: list[Voice], language: str
) -> VoiceMatchOutcome:
    """Speakers with `voice_id` set, segments with `voice_id` set, and the voice issues found."""
    candidates = [voice for voice in catalog if speaks(voice, language)]
    if not candidates:
        issue = ValidationIssue(
            "", "no_voice", f"No catalog voice speaks '{language}'.", severity="error", stage=STAGE
        )
        raise NoVoiceError(language, [issue])
    by_id = {voice.id: voice for voice in candidates}
    issues: list[ValidationIssue] = []

    def valid_override(voice_id: str, owner: str, subtitle_id: str = "") -> str:
        if not voice_id or voice_id in by_id:
            return voice_id
        issues.append(
            _warning(
                subtitle_id,
                f"The voice '{voice_id}' chosen for {owner} is not installed or does not speak "
                f"'{language}'; the matched voice is used instead.",
                "Pick a voice from the catalog.",
            )
        )
        return ""

    overrides = {s.id: valid_override(s.voice_override, f"speaker {s.display_name}") for s in speakers}
    matched = _assign(
        [s for s in speakers if not overrides[s.id]], candidates, language, Counter(overrides.values())
    )
    new_speakers = []
    for speaker in speakers:
        chosen = overrides[speaker.id] or matched[speaker.id]
        new_speakers.append(replace(speaker, voice_id=chosen))
        if not overrides[speaker.id]:
            issues.extend(_speaker_warnings(speaker, by_id[chosen], language))

    speaker_voice = {s.id: s.voice_id for s in new_speakers}
    default_voice = min(candidates, key=lambda v: _prior(v, language))
    new_segments = []
    for segment in segments:
        chosen = valid_override(segment.voice_override, f"segment {segment.id}", segment.id)
        if not chosen:
            chosen = speaker_voice.get(segment.speaker_id, "")
        if not chosen:
            chosen = default_voice.id
            issues.append(
                _warning(
                    segment.id,
                    f"The segment's speaker '{segment.speaker_id or '?'}' is unknown; the default voice "
                    f"'{chosen}' is used.",
                    "Assign the segment to a speaker or choose a voice for it.",
                )
            )
        new_segments.append(replace(segment, voice_id=chosen))
    return VoiceMatchOutcome(new_speakers, new_segments, issues)


def voice_cost(speaker: Speaker, voice: Voice, language: str) -> float:
    """How badly `voice` suits `speaker` (lower is better); a clone of another speaker is forbidden."""
    if voice.clones and voice.name != f"clone:{speaker.id}":
        return _FORBIDDEN
    cost = _prior(voice, language)
    if voice.clones:
        return cost + (CLONE_BONUS if speaker.reference_clips else _FORBIDDEN)
    if speaker.gender == "unknown" or voice.gender == "unknown":
        cost += UNKNOWN_GENDER_COST
    elif speaker.gender != voice.gender:
        cost += GENDER_MISMATCH_COST
    if speaker.median_f0 and voice.pitch_hz:
        cost += min(abs(12 * math.log2(voice.pitch_hz / speaker.median_f0)), 12) / SEMITONES_PER_COST
    else:
        cost += UNKNOWN_PITCH_COST
    similarity = _cosine(speaker.embedding, voice.embedding)
    if similarity is not None:
        cost += (1.0 - similarity) * EMBEDDING_WEIGHT
    return cost


def _prior(voice: Voice, language: str) -> float:
    cost = ESPEAK_COST if voice.engine == ESPEAK_ENGINE else 0.0
    return cost + (QUALITY_NOTE_COST if _quality_note(voice, language) else 0.0)


def _quality_note(voice: Voice, language: str) -> str:
    return voice.quality_notes.get(base_language(language), "")


def _cosine(a: list[float], b: list[float]) -> float | None:
    if not a or not b or len(a) != len(b):
        return None
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norm = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb / norm) if norm > 0 else None


def _assign(speakers: list[Speaker], voices: list[Voice], language: str, used: Counter) -> dict[str, str]:
    """Jointly optimal speaker → voice map; column k of a voice costs its k-th (re)use."""
    if not speakers:
        return {}
    base = np.array([[voice_cost(s, v, language) for v in voices] for s in speakers])
    copies = len(speakers)
    columns = [
        base[:, j] + REUSE_COST * (used[voice.id] + k)
        for k in range(copies)
        for j, voice in enumerate(voices)
    ]
    rows, cols = linear_sum_assignment(np.stack(columns, axis=1))
    return {speakers[r].id: voices[c % len(voices)].id for r, c in zip(rows, cols, strict=True)}


def _speaker_warnings(speaker: Speaker, voice: Voice, language: str) -> list[ValidationIssue]:
    found = []
    name = speaker.display_name
    if not voice.clones and speaker.gender == "unknown" and not speaker.median_f0 and not speaker.embedding:
        found.append(
            _warning(
                "",
                f"Nothing is known about speaker {name}'s voice; the default voice '{voice.id}' is used.",
                "Choose a voice for this speaker.",
            )
        )
    elif speaker.gender in ("male", "female") and voice.gender not in (speaker.gender, "unknown"):
        found.append(
            _warning(
                "",
                f"No {speaker.gender} voice is free for {name}; '{voice.id}' ({voice.gender}) is used.",
                f"Install more {speaker.gender} voices or choose one for this speaker.",
            )
        )
    note = _quality_note(voice, language)
    if note:
        found.append(_warning("", f"Speaker {name}: {note}.", "Install a voice made for this language."))
    return found


def _warning(subtitle_id: str, message: str, suggestion: str) -> ValidationIssue:
    return ValidationIssue(subtitle_id, "fallback_voice", message, stage=STAGE, suggestion=suggestion)
