"""Spoken-duration estimates for dubbing lines, from speech rates measured on the installed voices.

The rates in `speech_rates.json` were measured by `bench/calibrate_speech_rate.py` (the file says
how). Neural voices other than Kokoro speak at a natural pace too, so an engine without its own
measurement uses Kokoro's rates; a language without a measurement uses the engine's median rate.
"""

from __future__ import annotations

import json
import re
import statistics
from functools import cache
from pathlib import Path

from dubstudio.core.languages import base_language

RATES_PATH = Path(__file__).with_name("speech_rates.json")
DEFAULT_ENGINE = "kokoro"


def count_spoken_chars(text: str) -> int:
    """Characters as the rates count them: whitespace runs collapse to one space, ends stripped."""
    return len(re.sub(r"\s+", " ", text).strip())


@cache
def _rates() -> dict[str, dict[str, float]]:
    document = json.loads(RATES_PATH.read_text(encoding="utf-8"))
    return {
        engine: {language: entry["chars_per_second"] for language, entry in languages.items()}
        for engine, languages in document["engines"].items()
    }


def calibrated_engines() -> set[str]:
    return set(_rates())


def speech_rate(language: str, engine: str = DEFAULT_ENGINE) -> float:
    """Measured characters per second for `language` spoken by `engine` (see the module doc for fallbacks)."""
    rates = _rates()
    per_language = rates.get(engine) or rates[DEFAULT_ENGINE]
    return per_language.get(base_language(language)) or statistics.median(per_language.values())


def estimate_duration(text: str, language: str, engine: str = DEFAULT_ENGINE) -> float:
    """Seconds `engine` needs to speak `text` in `language` at speed 1.0."""
    return count_spoken_chars(text) / speech_rate(language, engine)
