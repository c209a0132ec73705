"""The cues behind a speaker's gender on real recordings: median pitch over all voiced frames and
the formant spacing (vocal tract length), with the decision `stages.speaker_traits` takes.

Recordings: JFK (a man orating at 253 Hz), the LibriVox reader's five clips (a man), the pyannote
call's Diane and Sheila (women, a phone line), the bundled sample's Maya and Daniel (synthetic).
The thresholds `MALE_BELOW`, `FEMALE_ABOVE` and `FEMALE_SPACING` sit in the gaps this prints.
Run: `.venv/bin/python bench/speaker_gender.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dubstudio.core.dsp import formant_spacing
from dubstudio.stages.speaker_traits import FEMALE_ABOVE, FEMALE_SPACING, MALE_BELOW, voice_traits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from voice_library_threshold import recordings  # the same recordings, one loader

EXPECTED = {"JFK": "male", "LibriVox reader": "male", "Diane": "female", "Sheila": "female",
            "Maya (synthetic)": "female", "Daniel (synthetic)": "male"}  # fmt: skip


def main() -> None:
    print(f"thresholds: male below {MALE_BELOW} Hz, female above {FEMALE_ABOVE} Hz, between: female from a "
          f"formant spacing of {FEMALE_SPACING} Hz")  # fmt: skip
    print(f"{'recording':18s} {'person':20s} {'F0 Hz':>6s} {'spacing Hz':>10s} {'decided':>8s}  evidence")
    wrong = 0
    for name, (person, speech) in recordings().items():
        traits = voice_traits(speech)
        spacing = traits.formant_spacing or formant_spacing(speech, 16_000)
        wrong += traits.gender != EXPECTED[person]
        row = f"{name:18s} {person:20s} {traits.median_f0 or 0:6.1f} {spacing or 0:10.1f} {traits.gender:>8s}"
        print(f"{row}  {traits.evidence}")
    print(f"{wrong} wrong")


if __name__ == "__main__":
    main()
