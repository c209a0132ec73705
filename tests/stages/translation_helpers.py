"""Shared by the stage-3 tests and the bench: the bundled sample's cues, and a check that no source
word the engine knows was left in a translation."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

from dubstudio.core.project import Segment
from dubstudio.core.subtitles import import_subtitles
from dubstudio.stages.translation_checks import proper_nouns

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample"
#: the Debian Apertium data the exact-string tests were written against
APERTIUM_ENG_SPA = "0.8.1-2"


def require_apertium_version() -> None:
    """Exact Spanish strings depend on Apertium's dictionaries: fail clearly on another version."""
    found = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", "apertium-eng-spa"], capture_output=True, text=True
    ).stdout.strip()
    assert found == APERTIUM_ENG_SPA, (
        f"these exact translations were written against apertium-eng-spa {APERTIUM_ENG_SPA}, but "
        f"{found or 'no version'} is installed: install that version (packaging/debian-deps.sh) or "
        "update the expected strings after reading the new output"
    )


def sample_cues() -> list[Segment]:
    """The sample's script as cues: one per line, its speaker taken from the 'Name: ' prefix."""
    cues = []
    for cue in import_subtitles(SAMPLE / "reference.srt").segments:
        speaker, _, text = cue.original_text.partition(": ")
        cue.speaker_id, cue.original_text = speaker, text
        cues.append(cue)
    return cues


def _marked(texts: list[str], mode: str) -> list[str]:
    joined = "\n\n".join(texts) + "\n"
    output = subprocess.run(
        ["apertium", "-f", "txt", mode], input=joined, capture_output=True, text=True, check=True
    ).stdout
    return re.split(r"\n[ \t]*\n", output.strip("\n"))


@cache
def _known(word: str, mode: str) -> bool:
    return not _marked([word], mode)[0].strip().startswith("*")


def leftover_source_words(source: str, translation: str) -> list[str]:
    """Words of `translation` that are English words of `source` Apertium knows (it would have
    translated them) and are not Spanish words (its Spanish dictionary does not know them)."""
    source_words = {w.casefold() for w in re.findall(r"[^\W\d_]+", source)}
    names = {w for name in proper_nouns(source) for w in name.split()}
    found = []
    for word in re.findall(r"[^\W\d_]+", translation):
        if (
            word.casefold() in source_words
            and word not in names
            and _known(word, "eng-spa")
            and not _known(word, "spa-eng")
        ):
            found.append(word)
    return found
