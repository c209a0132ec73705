"""The voice catalog: every voice the installed engines offer, with measured pitch.

A stock voice's pitch is MEASURED once (synthesize a sentence, track F0 with pYIN) and cached in
`<data dir>/voice_catalog.json`, keyed by engine version, so a new engine or model version is
measured again and nothing else is. Where the caller passes a speaker embedder (the same one that
embedded the project's speakers), each voice's embedding is measured and cached the same way.
Cloning engines add one voice per project speaker ("xtts:clone:<speaker id>").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from dubstudio.core.dsp import median_f0, trim_silence
from dubstudio.core.languages import base_language
from dubstudio.core.project import Speaker
from dubstudio.core.store import atomic_write_bytes
from dubstudio.engines.base import SynthesisRequest, Synthesizer, Voice
from dubstudio.models.paths import data_dir

log = logging.getLogger(__name__)

CATALOG_FILE = "voice_catalog.json"

#: (audio, sample rate) → an L2-normalised speaker embedding; `name` keys the cache
Embedder = Callable[[np.ndarray, int], Sequence[float]]

#: about two seconds of speech: enough voiced frames for a stable median F0, quick to synthesize
_MEASURE_SENTENCES: dict[str, str] = {
    "es": "Buenos días, ¿cómo está usted hoy?",
    "en": "Good morning, how are you today?",
    "fr": "Bonjour, comment allez-vous aujourd'hui ?",
    "it": "Buongiorno, come sta oggi?",
    "pt": "Bom dia, como vai você hoje?",
    "de": "Guten Morgen, wie geht es Ihnen heute?",
}


@runtime_checkable
class CloningSynthesizer(Protocol):
    """A synthesizer that speaks with a project speaker's own timbre from reference clips."""

    name: str

    def clone_voice(self, speaker: Speaker) -> Voice: ...


def catalog_cache_path() -> Path:
    return data_dir() / CATALOG_FILE


def speaks(voice: Voice, language: str) -> bool:
    return base_language(language) in {base_language(code) for code in voice.languages}


def build_catalog(
    synthesizers: Iterable[Synthesizer],
    *,
    language: str | None = None,
    speakers: Sequence[Speaker] = (),
    measure: bool = True,
    embedder: Embedder | None = None,
    embedder_name: str = "",
    cache_path: Path | None = None,
) -> list[Voice]:
    """All voices of the given engines (only those speaking `language` when given).

    With `measure` and a `language` (measuring every espeak-ng voice of every language would take
    minutes), stock voices get `pitch_hz` (and `embedding` with an embedder) from the cache
    or from one synthesized sentence each; cloning voices take their speaker's own values.
    """
    path = cache_path or catalog_cache_path()
    cache = _read_cache(path)
    changed = False
    catalog: list[Voice] = []
    for synthesizer in synthesizers:
        stock = [v for v in synthesizer.voices() if language is None or speaks(v, language)]
        for voice in stock:
            if measure and language is not None:
                changed |= _measure(voice, synthesizer, language, cache, embedder, embedder_name)
            catalog.append(voice)
        if isinstance(synthesizer, CloningSynthesizer):
            for speaker in speakers:
                voice = synthesizer.clone_voice(speaker)
                if language is None or speaks(voice, language):
                    catalog.append(voice)
    if changed:
        _write_cache(path, cache)
    return catalog


def _measure(
    voice: Voice,
    synthesizer: Synthesizer,
    language: str | None,
    cache: dict,
    embedder: Embedder | None,
    embedder_name: str,
) -> bool:
    """Fill pitch/embedding from the cache or by synthesizing; True when the cache grew."""
    entry = cache.setdefault(f"{synthesizer.name}@{synthesizer.version}", {}).setdefault(voice.id, {})
    embeddings = entry.setdefault("embeddings", {})
    wants_embedding = embedder is not None and embedder_name not in embeddings
    if "pitch_hz" not in entry or wants_embedding:
        speech_language = base_language(language or voice.languages[0])
        sentence = _MEASURE_SENTENCES.get(speech_language, _MEASURE_SENTENCES["en"])
        try:
            result = synthesizer.synthesize(SynthesisRequest(sentence, voice, speech_language))
        except Exception as error:  # one broken voice must not hide the rest of the catalog
            log.warning("could not measure voice %s: %s", voice.id, error)
            return False
        audio = trim_silence(result.audio, result.sample_rate)
        if "pitch_hz" not in entry:
            entry["pitch_hz"] = median_f0(audio, result.sample_rate)
        if wants_embedding:
            embeddings[embedder_name] = [float(x) for x in embedder(audio, result.sample_rate)]
        changed = True
    else:
        changed = False
    voice.pitch_hz = entry["pitch_hz"]
    if embedder is not None:
        voice.embedding = list(embeddings.get(embedder_name, []))
    return changed


def _read_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(path: Path, cache: dict) -> None:
    """Atomic write: a crash mid-write leaves the previous cache, never a truncated one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps(cache, indent=1, sort_keys=True).encode("utf-8"))
