"""The voice catalog from the installed engines: native language and gender known, the voices
matching may pick measured once (voice QA through Whisper base) and stored by engine version."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from dubstudio.core.project import Speaker, TimeSpan
from dubstudio.engines.espeak import EspeakSynthesizer
from dubstudio.engines.voice_qa import MEASUREMENT_REVISION, WhisperJudge
from dubstudio.engines.voices import ACCENTED, FORMANT, NATIVE, CatalogStore, build_catalog, tier


@pytest.fixture(scope="module")
def engines(counting_synthesizer, kokoro):
    return counting_synthesizer(kokoro), counting_synthesizer(EspeakSynthesizer())


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> CatalogStore:
    # shared with the voice-matching tests of the same session, so voices are measured once
    return CatalogStore(tmp_path_factory.getbasetemp() / "voice_catalog.sqlite")


@pytest.fixture(scope="module")
def judge() -> WhisperJudge:
    return WhisperJudge("cpu")


def test_tiers_put_native_voices_first(engines) -> None:
    kokoro, espeak = engines
    voices = {v.id: v for v in build_catalog([kokoro, espeak], language="es", measure=False)}
    assert tier(voices["kokoro:ef_dora"], "es") == NATIVE
    assert tier(voices["kokoro:jf_alpha"], "es") == ACCENTED
    assert tier(voices["espeak:es+f3"], "es") == FORMANT


@pytest.mark.slow
def test_native_voices_are_measured_once_and_understood(engines, store, judge) -> None:
    kokoro, espeak = engines
    catalog = build_catalog([kokoro, espeak], language="es", judge=judge, store=store)
    by_id = {v.id: v for v in catalog}
    natives = [by_id[f"kokoro:{name}"] for name in ("ef_dora", "em_alex", "em_santa")]
    assert all(v.wer is not None and v.wer <= 0.15 for v in natives), [(v.id, v.wer) for v in natives]
    assert all(v.speech_rate and 8 < v.speech_rate < 20 for v in natives)
    pitch = {name: by_id[f"kokoro:{name}"].pitch_hz for name in ("ef_dora", "em_alex", "em_santa")}
    assert max(pitch["em_santa"], pitch["em_alex"]) < 150 < pitch["ef_dora"]
    # only the tier matching picks from is measured: an accent or espeak-ng waits until needed
    assert by_id["kokoro:jf_alpha"].wer is None and by_id["espeak:es+f3"].wer is None
    row = store.db.execute("SELECT data FROM measurements WHERE voice = 'kokoro:ef_dora'").fetchone()
    assert len(json.loads(row[0])["heard"]) == 3

    calls = kokoro.calls + espeak.calls
    again = build_catalog([kokoro, espeak], language="es", judge=judge, store=store)
    assert kokoro.calls + espeak.calls == calls
    assert [(v.id, v.wer, v.pitch_hz) for v in again] == [(v.id, v.wer, v.pitch_hz) for v in catalog]


@pytest.mark.slow
def test_progress_names_each_voice_measured(engines, tmp_path, judge) -> None:
    kokoro, _ = engines
    events = []
    store = CatalogStore(tmp_path / "c.sqlite")
    build_catalog([kokoro], language="it", judge=judge, store=store, progress=events.append)
    assert list(dict.fromkeys(e.message for e in events)) == [
        "checking native voice 1 of 2: if_sara", "checking native voice 2 of 2: im_nicola", "2 voices checked"
    ]  # fmt: skip
    assert events[-1].fraction == 1.0 and {e.stage for e in events} == {"voiceMatching"}
    # the bar moves within a voice too: after each QA sentence spoken and once its takes are heard
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and len(set(fractions)) >= 2 * 4


def test_catalog_filters_by_language_without_measuring(engines, tmp_path) -> None:
    kokoro, espeak = engines
    calls = kokoro.calls + espeak.calls
    german = build_catalog([kokoro, espeak], language="de", measure=False)
    assert {v.engine for v in german} == {"kokoro", "espeak"}
    assert all("de" in v.languages for v in german)
    assert not [v for v in german if v.engine == "kokoro" and tier(v, "de") == NATIVE]  # no German voice
    assert build_catalog([kokoro], language="ja", measure=False) == []  # no Japanese G2P here
    assert kokoro.calls + espeak.calls == calls


@pytest.mark.slow
def test_embedder_fills_voice_embeddings(engines, tmp_path) -> None:
    """A speaker embedder (here: a tiny spectral-centroid feature) is applied to each measured take."""
    kokoro, _ = engines

    def centroid(audio, rate):
        spectrum = np.abs(np.fft.rfft(audio))
        frequencies = np.fft.rfftfreq(len(audio), 1 / rate)
        return [float((spectrum * frequencies).sum() / spectrum.sum()) / 4000.0, 1.0]

    store = CatalogStore(tmp_path / "c.sqlite")
    catalog = build_catalog([kokoro], language="pt", embedder=centroid, embedder_name="centroid", store=store)
    natives = [v for v in catalog if v.native_language == "pt"]
    assert len(natives) >= 2 and all(len(v.embedding) == 2 for v in natives)
    # the feature of each voice's own measured take: real speech, a different spectrum per voice
    assert all(v.embedding[1] == 1.0 and 0.1 < v.embedding[0] < 0.8 for v in natives), natives
    assert len({round(v.embedding[0], 4) for v in natives}) == len(natives)
    key = f"kokoro@{kokoro.version}#m{MEASUREMENT_REVISION}"
    assert store.embedding(key, natives[0].id, "centroid") == pytest.approx(natives[0].embedding, rel=1e-6)


def test_cloning_engines_add_one_voice_per_speaker(tmp_path) -> None:
    from dubstudio.engines.coqui import XttsSynthesizer

    folder = tmp_path / "coqui-xtts-v2"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model": "xtts", "languages": ["es", "en"]}))
    (folder / "manifest.json").write_text(json.dumps({"id": "coqui-xtts-v2", "files": {}}))
    speakers = [Speaker("a", reference_clips=[TimeSpan(0, 3)]), Speaker("b")]
    catalog = build_catalog(
        [XttsSynthesizer(folder=folder, device="cpu")],
        language="es",
        speakers=speakers,
        store=CatalogStore(tmp_path / "c.sqlite"),
    )
    assert [v.id for v in catalog] == ["xtts:clone:a", "xtts:clone:b"]


@pytest.fixture
def first_run(tmp_path, monkeypatch, suite_models):
    """A data dir with the run's models and no voice measurements yet, as on a fresh machine."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to(suite_models, target_is_directory=True)
    monkeypatch.setenv("DUBSTUDIO_DATA_DIR", str(data))
    return data


@pytest.mark.slow
def test_a_caller_waiting_for_the_first_measurement_hears_its_progress(first_run, kokoro) -> None:
    """The editor's warm-up measures the catalog; a redo asking for it meanwhile waits, and its
    progress bar moves with the warm-up's measurement instead of standing still."""
    from dubstudio.core.project import Settings
    from dubstudio.engines.factory import Engines

    shared = Engines(Settings(device="cpu"), synthesizers=[kokoro])
    warm_up: list = []
    waiting: list = []
    waiter_started = threading.Event()

    def redo() -> None:
        waiter_started.set()
        shared.catalog("it", progress=waiting.append)

    def first_event(event) -> None:
        warm_up.append(event)
        if len(warm_up) == 1:  # the measurement has begun: now the redo asks for the catalog too
            threading.Thread(target=redo, name="redo").start()
            waiter_started.wait(10)
            time.sleep(0.2)  # inside catalog() by now; the first voice takes seconds to measure

    catalog = shared.catalog("it", progress=first_event)
    deadline = time.monotonic() + 30
    while not (waiting and waiting[-1].fraction == 1.0) and time.monotonic() < deadline:
        time.sleep(0.05)
    heard = [(e.message, e.fraction) for e in waiting]
    assert heard and heard == [(e.message, e.fraction) for e in warm_up[len(warm_up) - len(waiting) :]]
    assert "checking native voice 2 of 2: im_nicola" in {message for message, _ in heard}
    assert waiting[-1].fraction == 1.0 and {e.stage for e in waiting} == {"voiceMatching"}
    assert (first_run / "voice_catalog.sqlite").is_file()
    assert {v.id for v in catalog if v.wer is not None} == {"kokoro:if_sara", "kokoro:im_nicola"}
    measured_again: list = []
    shared.catalog("it", progress=measured_again.append)  # measured once: nothing to report
    assert measured_again == []
