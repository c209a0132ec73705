"""Stage 4 — pick one catalog voice per speaker, then resolve each segment's voice.

Which voices may be picked automatically: those of the best tier of the language
(`engines.voices.tier`) that people understand. Voices made for the language come first; a voice
made for another language (an accent) only when the language has no native one, and then the
speaker gets a `voice_language_mismatch` warning; espeak-ng's formant voices only when no neural
voice speaks the language (a `fallback_voice` warning). A voice whose measured round-trip WER says
it is hard to understand is never picked automatically (the user may still choose it).

Among those, a voice's cost for a speaker adds: gender mismatch, pitch distance in semitones between
the speaker's median F0 and the voice's measured pitch, embedding distance (cosine, when both have
one from the same embedder), a quality caveat for the language, and intelligibility (WER). Speakers
are assigned jointly (Hungarian algorithm) with a growing penalty for each re-use of a voice, so
distinct speakers get distinct voices when the tier has enough of the right gender, and the
closest voice otherwise — never a man's voice for a woman just to be distinct.

Every speaker gets `voice_reason`, a sentence saying why (the editor's voice column and the CLI
summary show it). User overrides (Speaker.voice_override, Segment.voice_override) win when the voice
is in the catalog and speaks the language; otherwise they are ignored with a `fallback_voice`
warning. A voice the voice library remembers for the speaker (`preferred`) comes next. No catalog
voice for the language is a hard failure: a `no_voice` error, raised as `NoVoiceError` (an
`UnsupportedLanguageError`) so the pipeline stops with a clear message.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from dubstudio.core.errors import UnsupportedLanguageError
from dubstudio.core.languages import base_language, language_name
from dubstudio.core.project import Segment, Speaker, ValidationIssue
from dubstudio.engines.base import Voice
from dubstudio.engines.voices import (
    ACCENTED,
    FORMANT,
    NATIVE,
    hard_to_understand,
    speaks,
    tier,
    wer_limit,
)

STAGE = "voiceMatching"

GENDER_MISMATCH_COST = 3.0
UNKNOWN_GENDER_COST = 0.3
UNKNOWN_PITCH_COST = 0.5
SEMITONES_PER_COST = 4.0
EMBEDDING_WEIGHT = 2.0
CLONE_BONUS = -2.0
QUALITY_NOTE_COST = 1.0
#: cost per unit of WER, so a clearer voice wins between two that fit the speaker alike
WER_WEIGHT = 2.0
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
            fix="Install a voice for it (Kokoro speaks es, en, fr, it, pt, hi; espeak-ng ~130 languages; "
            "a Coqui model for others) or choose another target language.",
        )
        self.issues = issues


def auto_candidates(catalog: list[Voice], language: str) -> tuple[list[Voice], int, bool]:
    """(voices matching may pick on its own, their tier, whether they are all hard to understand).

    The best tier with a voice people understand; if every tier's voices are hard to understand,
    the best tier's voices after all (the dub must be spoken), flagged by the third value.
    """
    for level in (NATIVE, ACCENTED, FORMANT):
        members = [v for v in catalog if tier(v, language) == level]
        limit = wer_limit(members)
        clear = [v for v in members if v.clones or not hard_to_understand(v, limit)]
        if clear:
            return clear, level, False
    level = min(tier(v, language) for v in catalog)
    return [v for v in catalog if tier(v, language) == level], level, True


def match_voices(
    speakers: list[Speaker],
    segments: list[Segment],
    catalog: list[Voice],
    language: str,
    *,
    preferred: Mapping[str, tuple[str, str]] | None = None,
) -> VoiceMatchOutcome:
    """Speakers with `voice_id` and `voice_reason` set, segments with `voice_id` set, and the issues.

    `preferred` maps a speaker id to (voice id, why): e.g. the voice the voice library keeps for a
    known person; it wins over matching when the voice is in the catalog.
    """
    spoken = [voice for voice in catalog if speaks(voice, language)]
    if not spoken:
        issue = ValidationIssue(
            "", "no_voice", f"No catalog voice speaks '{language}'.", severity="error", stage=STAGE
        )
        raise NoVoiceError(language, [issue])
    by_id = {voice.id: voice for voice in spoken}
    candidates, level, all_hard = auto_candidates(spoken, language)
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

    fixed: dict[str, tuple[str, str]] = {}
    for speaker in speakers:
        override = valid_override(speaker.voice_override, f"speaker {speaker.display_name}")
        if override:
            fixed[speaker.id] = (override, "chosen by you")
        elif preferred and (choice := preferred.get(speaker.id)) and choice[0] in by_id:
            fixed[speaker.id] = choice
    free = [s for s in speakers if s.id not in fixed]
    matched = _assign(free, candidates, language, Counter(voice for voice, _why in fixed.values()))
    chosen_by = {s.id: fixed[s.id][0] if s.id in fixed else matched[s.id] for s in speakers}
    uses = Counter(chosen_by.values())
    new_speakers = []
    for speaker in speakers:
        voice = by_id[chosen_by[speaker.id]]
        if speaker.id in fixed:
            reason = f"{voice.name}: {fixed[speaker.id][1]}"
        else:
            reason = _reason(speaker, voice, language, candidates, uses[voice.id] > 1, level)
            issues.extend(_speaker_warnings(speaker, voice, language, level, all_hard))
        new_speakers.append(replace(speaker, voice_id=voice.id, voice_reason=reason))

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
        cost += min(abs(_semitones(voice.pitch_hz, speaker.median_f0)), 12) / SEMITONES_PER_COST
    else:
        cost += UNKNOWN_PITCH_COST
    similarity = _cosine(speaker.embedding, voice.embedding)
    if similarity is not None:
        cost += (1.0 - similarity) * EMBEDDING_WEIGHT
    return cost


def _semitones(voice_hz: float, speaker_hz: float) -> float:
    return 12 * math.log2(voice_hz / speaker_hz)


def _prior(voice: Voice, language: str) -> float:
    cost = QUALITY_NOTE_COST if _quality_note(voice, language) else 0.0
    return cost + WER_WEIGHT * (voice.wer or 0.0)


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


def _reason(
    speaker: Speaker, voice: Voice, language: str, candidates: list[Voice], shared: bool, level: int
) -> str:
    """One sentence: what kind of voice, how it fits the speaker's gender and pitch, how clear it is."""
    name = language_name(language)
    if level == NATIVE:
        kind = f"a native {name} voice"
    elif level == ACCENTED:
        native = language_name(voice.native_language)
        kind = f"a {native} voice speaking {name} (no native {name} voice is installed)"
    else:
        kind = f"espeak-ng's formant voice (no neural voice speaks {name})"
    if voice.clones:
        return f"{voice.name}: a clone of the speaker's own voice from their reference clips"
    parts = [f"{voice.name}: {kind}, {voice.gender}"]
    if speaker.gender in ("male", "female"):
        heard = f"the speaker sounds {speaker.gender}"
        parts.append(f"{heard} ({speaker.gender_evidence})" if speaker.gender_evidence else heard)
    if speaker.median_f0 and voice.pitch_hz:
        shift = _semitones(voice.pitch_hz, speaker.median_f0)
        parts.append(
            f"voice pitch {voice.pitch_hz:.0f} Hz vs the speaker's {speaker.median_f0:.0f} Hz "
            f"({shift:+.1f} st)"
        )
    if voice.wer is not None:
        parts.append(f"understood at round-trip WER {voice.wer:.2f}")
    if shared:
        same = [v for v in candidates if v.gender == voice.gender]
        parts.append(
            f"shared with another speaker: only {len(same)} {voice.gender} voice"
            f"{'s' if len(same) != 1 else ''} of this kind"
        )
    return "; ".join(parts)


def _speaker_warnings(
    speaker: Speaker, voice: Voice, language: str, level: int, all_hard: bool
) -> list[ValidationIssue]:
    found = []
    name = speaker.display_name
    spoken = language_name(language)
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
    if level == ACCENTED:
        found.append(
            ValidationIssue(
                "",
                "voice_language_mismatch",
                f"Speaker {name} is dubbed in {spoken} by '{voice.id}', a voice made for "
                f"{language_name(voice.native_language)}: no native {spoken} voice is installed, so it has "
                "an accent.",
                stage=STAGE,
                suggestion=f"Import a Coqui model made for {spoken} ('dubstudio models import PATH'), or "
                f"choose an espeak-ng {spoken} voice (robotic, but native pronunciation).",
            )
        )
    elif level == FORMANT:
        found.append(
            _warning(
                "",
                f"Only espeak-ng's formant voices speak {spoken}: speaker {name} sounds robotic.",
                f"Import a Coqui model made for {spoken} ('dubstudio models import PATH').",
            )
        )
    if all_hard:
        found.append(
            _warning(
                "",
                f"Every installed {spoken} voice is hard to understand (round-trip WER "
                f"{voice.wer:.2f} for '{voice.id}'); speaker {name} uses the clearest.",
                f"Import a better voice for {spoken}.",
            )
        )
    note = _quality_note(voice, language)
    if note:
        found.append(_warning("", f"Speaker {name}: {note}.", "Install a voice made for this language."))
    return found


def _warning(subtitle_id: str, message: str, suggestion: str) -> ValidationIssue:
    return ValidationIssue(subtitle_id, "fallback_voice", message, stage=STAGE, suggestion=suggestion)
