"""Voice choices for the speaker/voice combo boxes, from the installed synthesizers' catalog."""

from __future__ import annotations

import logging

from dubstudio.core.errors import UserError
from dubstudio.core.project import Settings
from dubstudio.engines.factory import Engines
from dubstudio.engines.voices import build_catalog

log = logging.getLogger(__name__)


def catalog_choices(settings: Settings, language: str | None) -> list[tuple[str, str]]:
    """`(voice id, label)` of the voices speaking `language` (all when None), without measuring pitch.

    Engines load their models lazily, so listing voices is quick; a missing engine leaves its
    voices out instead of failing the editor.
    """
    try:
        synthesizers = Engines(settings).synthesizers().values()
        voices = build_catalog(synthesizers, language=language or None, measure=False)
    except (UserError, OSError) as error:
        log.info("voice catalog unavailable: %s", error)
        return []
    return [(voice.id, f"{voice.name} ({voice.engine}, {voice.gender})") for voice in voices]
