"""How a segment's style hint (emotion) and a speaker's register become prosody nudges.

Few offline engines take an emotion input, so styles map to small, natural-sounding changes of
speaking rate, pitch and loudness that each engine applies with its own controls:

- Kokoro: `speed` goes into the model's speed input; `semitones` is a real pitch shift of the output.
- espeak-ng: `speed` scales `-s` (words per minute), `semitones` moves `-p`, `loudness` scales `-a`.
- Coqui VITS: `speed` scales the duration predictor (length scale); pitch/loudness are not applied.
- Coqui XTTS: no emotion input; `speed` goes into its `speed` argument, the rest is ignored (the
  clone carries the reference clip's own delivery).

Unknown styles are neutral. The nudges are small so slot fitting stays predictable.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Nudge:
    speed: float = 1.0
    semitones: float = 0.0
    loudness: float = 1.0


_STYLES: dict[str, Nudge] = {
    "friendly": Nudge(1.03, 0.5, 1.0),
    "happy": Nudge(1.05, 1.0, 1.05),
    "excited": Nudge(1.08, 1.5, 1.1),
    "angry": Nudge(1.05, -0.5, 1.15),
    "urgent": Nudge(1.1, 0.5, 1.1),
    "sad": Nudge(0.92, -1.0, 0.85),
    "calm": Nudge(0.95, -0.5, 0.9),
    "whisper": Nudge(0.95, 0.0, 0.6),
    "serious": Nudge(0.97, -0.5, 1.0),
}

_REGISTERS: dict[str, Nudge] = {
    "formal": Nudge(0.97, -0.25, 1.0),
    "informal": Nudge(1.03, 0.25, 1.0),
}

KNOWN_STYLES = tuple(sorted(_STYLES))


def nudge_for(style: str = "", register: str = "") -> Nudge:
    """The combined nudge of a style hint and a register; unknown or empty values are neutral."""
    first = _STYLES.get(style.strip().lower(), Nudge())
    second = _REGISTERS.get(register.strip().lower(), Nudge())
    return Nudge(
        speed=first.speed * second.speed,
        semitones=first.semitones + second.semitones,
        loudness=first.loudness * second.loudness,
    )
