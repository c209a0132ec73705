"""What a speaker's voice is like: median pitch and gender, from every voiced frame they speak alone.

Pitch: the median F0 (fast YIN, `core.dsp.f0_track`) over all of the speaker's single-speaker
stretches (up to `MAX_SECONDS` of them), not a sample of clips, so a speaker who is quiet in one
stretch and animated in another still gets their typical pitch.

Gender, for clear adult speech, never "unknown": a median F0 under `MALE_BELOW` Hz is a man's,
over `FEMALE_ABOVE` a woman's (or a child's). Between them pitch alone is ambiguous — a man
orating (JFK's inaugural address: 253 Hz) overlaps women in conversation (the pyannote call: 194
and 203 Hz) — and the length of the vocal tract decides: the apparent formant spacing
(`core.dsp.formant_spacing`) of men stays near 1000 Hz at any pitch, women's is higher. The
thresholds are measured on real recordings by bench/speaker_gender.py. Only without voiced speech
(or too little of it) is the gender unknown. `evidence` says which cue decided, for the editor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dubstudio.core.dsp import f0_track, formant_spacing
from dubstudio.core.project import Gender

RATE = 16_000
#: seconds of a speaker's speech analysed at most (spread over all their stretches)
MAX_SECONDS = 90.0
#: stretches shorter than this carry too few voiced frames to trust
MIN_STRETCH = 0.3
MALE_BELOW, FEMALE_ABOVE = 150.0, 290.0
#: formant spacing (Hz) from which an ambiguous pitch is a woman's; bench/speaker_gender.py
FEMALE_SPACING = 1010.0
#: a pitch between the bounds is decided by pitch alone (at this F0) when no formants are measured
PITCH_ONLY_SPLIT = 165.0


@dataclass(frozen=True)
class VoiceTraits:
    median_f0: float | None
    gender: Gender
    evidence: str
    formant_spacing: float | None = None


def speech_of(audio: np.ndarray, spans: Sequence[tuple[float, float]]) -> np.ndarray:
    """The speaker's stretches joined, at most `MAX_SECONDS`, taken evenly from all of them."""
    pieces = [audio[int(s * RATE) : int(e * RATE)] for s, e in spans if e - s >= MIN_STRETCH]
    if not pieces:
        return np.zeros(0, dtype=np.float32)
    total = sum(len(p) for p in pieces)
    budget = int(MAX_SECONDS * RATE)
    if total > budget:  # keep the same share of every stretch
        pieces = [p[: max(1, int(len(p) * budget / total))] for p in pieces]
    return np.concatenate(pieces).astype(np.float32)


def voice_traits(speech: np.ndarray) -> VoiceTraits:
    f0, voiced = f0_track(speech, RATE)
    values = f0[voiced]
    if values.size < 30:  # under 0.3 s of voiced frames
        return VoiceTraits(None, "unknown", "too little voiced speech to tell")
    pitch = round(float(np.median(values)), 1)
    if pitch < MALE_BELOW:
        return VoiceTraits(pitch, "male", f"low pitch, {pitch:.0f} Hz")
    if pitch > FEMALE_ABOVE:
        return VoiceTraits(pitch, "female", f"high pitch, {pitch:.0f} Hz")
    spacing = formant_spacing(speech, RATE)
    if spacing is None:
        gender: Gender = "female" if pitch >= PITCH_ONLY_SPLIT else "male"
        return VoiceTraits(pitch, gender, f"pitch {pitch:.0f} Hz (no formants measured)")
    gender = "female" if spacing >= FEMALE_SPACING else "male"
    tract = "short" if gender == "female" else "long"
    evidence = f"pitch {pitch:.0f} Hz, {tract} vocal tract (formant spacing {spacing:.0f} Hz)"
    return VoiceTraits(pitch, gender, evidence, spacing)
