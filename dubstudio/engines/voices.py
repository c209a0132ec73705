"""The voice catalog: every voice the installed engines offer, with what is known and measured.

Each voice knows its engine, gender and native language. For a target language the voices fall into
tiers (`tier`): voices made for the language (0), neural voices made for another language, which
speak it with an accent (1), and espeak-ng's formant voices (2). Voice matching picks from the best
tier that has a voice people can understand.

Measured once per voice, engine version and language, and kept in `<data dir>/voice_catalog.sqlite`
(safe for several processes, see `core.userdb`): the voice QA of `voice_qa.py` — round-trip WER
through a fixed judge, speech rate, median pitch — and, with an embedder, the voice's speaker
embedding. Only the tier voice matching would pick from is measured (then the next tier if none of
it is understandable): measuring every voice of every engine would take many minutes. A voice whose
WER is over `HARD_WER` (and clearly worse than the best of its language, should the judge itself
struggle with the language) is hard to understand: never picked automatically, still listed.
Cloning engines add one voice per project speaker ("xtts:clone:<speaker id>").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from dubstudio.core.languages import base_language
from dubstudio.core.progress import CancelToken, ProgressCallback, ignore_progress, stage_reporter
from dubstudio.core.project import Speaker
from dubstudio.core.userdb import UserDatabase, transaction
from dubstudio.engines.base import RECOGNITION_RATE, Synthesizer, Voice
from dubstudio.engines.espeak import ENGINE as ESPEAK_ENGINE
from dubstudio.engines.voice_qa import MEASUREMENT_REVISION, VoiceJudge, measure_voice
from dubstudio.models.paths import data_dir

log = logging.getLogger(__name__)

CATALOG_DB = "voice_catalog.sqlite"
#: progress events of the catalog carry this stage name (it is built while matching voices)
STAGE = "voiceMatching"
#: round-trip WER above which a voice is hard to understand
HARD_WER = 0.25
#: ...unless the judge struggles with the whole language: then only this much worse than the best
WER_MARGIN = 0.15

NATIVE, ACCENTED, FORMANT = 0, 1, 2
TIER_NAMES = {NATIVE: "native", ACCENTED: "non-native", FORMANT: "espeak-ng formant"}

#: (audio, sample rate) → an L2-normalised speaker embedding; `name` keys the cache
Embedder = Callable[[np.ndarray, int], Sequence[float]]

_MIGRATIONS = (
    """
    CREATE TABLE measurements (
        engine TEXT NOT NULL, voice TEXT NOT NULL, language TEXT NOT NULL, judge TEXT NOT NULL,
        data TEXT NOT NULL, measured TEXT NOT NULL,
        PRIMARY KEY (engine, voice, language, judge)
    );
    CREATE TABLE embeddings (
        engine TEXT NOT NULL, voice TEXT NOT NULL, embedder TEXT NOT NULL, vector BLOB NOT NULL,
        PRIMARY KEY (engine, voice, embedder)
    )
    """,
)


@runtime_checkable
class CloningSynthesizer(Protocol):
    """A synthesizer that speaks with a project speaker's own timbre from reference clips."""

    name: str

    def clone_voice(self, speaker: Speaker) -> Voice: ...


def catalog_path() -> Path:
    return data_dir() / CATALOG_DB


def speaks(voice: Voice, language: str) -> bool:
    return base_language(language) in {base_language(code) for code in voice.languages}


def is_native(voice: Voice, language: str) -> bool:
    """Made for the language (voices that do not say, such as clones, count as native)."""
    return not voice.native_language or base_language(voice.native_language) == base_language(language)


def tier(voice: Voice, language: str) -> int:
    if voice.engine == ESPEAK_ENGINE:
        return FORMANT
    return NATIVE if is_native(voice, language) else ACCENTED


def wer_limit(voices: Iterable[Voice]) -> float:
    """The WER above which a voice of these (one language's) is hard to understand."""
    measured = [v.wer for v in voices if v.wer is not None]
    return max(HARD_WER, min(measured) + WER_MARGIN) if measured else HARD_WER


def hard_to_understand(voice: Voice, limit: float) -> bool:
    return voice.wer is not None and voice.wer > limit


class CatalogStore(UserDatabase):
    """The measurements, one row per (engine version, voice, language, judge)."""

    migrations = _MIGRATIONS

    def __init__(self, path: Path | None = None) -> None:
        super().__init__(path or catalog_path())

    def measurement(self, engine: str, voice: str, language: str, judge: str | None) -> dict | None:
        """The stored measurement; with `judge` None, one by any judge (or a pitch-only one)."""
        query = "SELECT data FROM measurements WHERE engine = ? AND voice = ? AND language = ?"
        arguments: tuple = (engine, voice, language)
        if judge is not None:
            query, arguments = query + " AND judge = ?", (*arguments, judge)
        rows = self.db.execute(query + " ORDER BY judge = '' ", arguments).fetchall()
        return json.loads(rows[0][0]) if rows else None

    def put_measurement(self, engine: str, voice: str, language: str, judge: str, data: dict) -> None:
        with transaction(self.db) as db:
            db.execute(
                "INSERT OR REPLACE INTO measurements VALUES (?, ?, ?, ?, ?, ?)",
                (engine, voice, language, judge, json.dumps(data), datetime.now(UTC).isoformat()),
            )

    def embedding(self, engine: str, voice: str, embedder: str) -> list[float] | None:
        row = self.db.execute(
            "SELECT vector FROM embeddings WHERE engine = ? AND voice = ? AND embedder = ?",
            (engine, voice, embedder),
        ).fetchone()
        return np.frombuffer(row[0], dtype="<f4").astype(float).tolist() if row else None

    def put_embedding(self, engine: str, voice: str, embedder: str, vector: Sequence[float]) -> None:
        with transaction(self.db) as db:
            db.execute(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)",
                (engine, voice, embedder, np.asarray(vector, dtype="<f4").tobytes()),
            )


def build_catalog(
    synthesizers: Iterable[Synthesizer],
    *,
    language: str | None = None,
    speakers: Sequence[Speaker] = (),
    measure: bool = True,
    judge: VoiceJudge | None = None,
    embedder: Embedder | None = None,
    embedder_name: str = "",
    store: CatalogStore | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[Voice]:
    """All voices of the given engines (only those speaking `language` when given).

    With `measure` and a `language`, the voices voice matching may pick are measured (voice QA with
    a `judge`, else pitch only; embeddings with an `embedder`), each once: later calls read the
    store. Stored measurements fill every other voice too. `progress` hears one step per voice
    measured now (first runs take a while: a few seconds per voice).
    """
    synthesizers = list(synthesizers)
    catalog: list[Voice] = []
    engine_of: dict[str, Synthesizer] = {}
    for synthesizer in synthesizers:
        for voice in synthesizer.voices():
            if language is None or speaks(voice, language):
                catalog.append(voice)
                engine_of[voice.id] = synthesizer
        if isinstance(synthesizer, CloningSynthesizer):
            for speaker in speakers:
                voice = synthesizer.clone_voice(speaker)
                if language is None or speaks(voice, language):
                    catalog.append(voice)
    if not measure or language is None:
        return catalog
    own_store = store is None
    store = store or CatalogStore()
    try:
        _Measurer(store, engine_of, base_language(language), judge, embedder, embedder_name).run(
            catalog, stage_reporter(progress or ignore_progress, STAGE), cancel
        )
    finally:
        if own_store:
            store.close()
    return catalog


class _Measurer:
    def __init__(
        self,
        store: CatalogStore,
        engine_of: dict[str, Synthesizer],
        language: str,
        judge: VoiceJudge | None,
        embedder: Embedder | None,
        embedder_name: str,
    ) -> None:
        self.store, self.engine_of, self.language = store, engine_of, language
        self.judge, self.embedder, self.embedder_name = judge, embedder, embedder_name

    def _key(self, voice: Voice) -> str:
        synthesizer = self.engine_of[voice.id]
        return f"{synthesizer.name}@{synthesizer.version}#m{MEASUREMENT_REVISION}"

    def _fill(self, voice: Voice) -> bool:
        """Stored values into `voice`; True when nothing needs measuring."""
        judge = self.judge.name if self.judge is not None else None
        data = self.store.measurement(self._key(voice), voice.id, self.language, judge)
        if data is not None:
            voice.pitch_hz, voice.wer, voice.speech_rate = data["pitch_hz"], data["wer"], data["speech_rate"]
        if self.embedder is not None:
            voice.embedding = self.store.embedding(self._key(voice), voice.id, self.embedder_name) or []
        return data is not None and (self.embedder is None or bool(voice.embedding))

    def run(self, catalog: list[Voice], report, cancel: CancelToken | None) -> None:
        """Measure the best tier's voices; go on to the next tier only if none of them is understood."""
        pending = {v.id for v in catalog if v.id in self.engine_of and not v.clones and not self._fill(v)}
        for level in (NATIVE, ACCENTED, FORMANT):
            members = [v for v in catalog if tier(v, self.language) == level]
            queue = [v for v in members if v.id in pending]
            count = len(queue)
            for index, voice in enumerate(queue):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                message = f"checking {TIER_NAMES[level]} voice {index + 1} of {count}: {voice.name}"
                report(index / count, message)
                self._measure(voice, lambda part, i=index, m=message, n=count: report((i + part) / n, m))
            if queue:
                report(1.0, f"{len(queue)} voices checked")
            limit = wer_limit(members)
            if any(v.clones or not hard_to_understand(v, limit) for v in members):
                return

    def _measure(self, voice: Voice, on_step: Callable[[float], None]) -> None:
        synthesizer = self.engine_of[voice.id]
        try:
            measurement = measure_voice(voice, synthesizer, self.language, self.judge, on_step)
        except Exception as error:  # one broken voice must not hide the rest of the catalog
            log.warning("could not measure voice %s: %s", voice.id, error)
            return
        voice.pitch_hz, voice.wer, voice.speech_rate = (
            measurement.pitch_hz,
            measurement.wer,
            measurement.speech_rate,
        )
        judge = self.judge.name if self.judge is not None else ""
        self.store.put_measurement(self._key(voice), voice.id, self.language, judge, measurement.to_json())
        if self.embedder is not None and measurement.audio_16k is not None:
            voice.embedding = [float(x) for x in self.embedder(measurement.audio_16k, RECOGNITION_RATE)]
            self.store.put_embedding(self._key(voice), voice.id, self.embedder_name, voice.embedding)
