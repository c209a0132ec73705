"""Voice choices for the speaker/voice combo boxes, from the installed synthesizers' catalog.

Only engines whose voice lists load without torch are listed here: importing torch on any thread
holds the GIL for hundreds of milliseconds and would freeze the editor. Voices of other engines
that the project uses are still offered (the main window adds every voice in use).
"""

from __future__ import annotations

import logging

from dubstudio.core.errors import UserError
from dubstudio.engines.base import Synthesizer
from dubstudio.engines.voices import build_catalog

log = logging.getLogger(__name__)


def _light_synthesizers(device: str) -> list[Synthesizer]:
    engines: list[Synthesizer] = []
    try:
        from dubstudio.engines.kokoro import KokoroSynthesizer

        engines.append(KokoroSynthesizer(device=device))
    except (UserError, OSError) as error:
        log.info("Kokoro voices unavailable: %s", error)
    try:
        from dubstudio.engines.espeak import EspeakSynthesizer

        engines.append(EspeakSynthesizer())
    except (UserError, OSError) as error:
        log.info("espeak-ng voices unavailable: %s", error)
    return engines


def catalog_choices(device: str, language: str | None) -> list[tuple[str, str]]:
    """`(voice id, label)` of the voices speaking `language` (all when None), without measuring pitch."""
    try:
        voices = build_catalog(_light_synthesizers(device), language=language or None, measure=False)
    except (UserError, OSError) as error:
        log.info("voice catalog unavailable: %s", error)
        return []
    return [(voice.id, f"{voice.name} ({voice.engine}, {voice.gender})") for voice in voices]
