"""The voice catalog from the installed engines, with pitch measured once and cached by version."""

from __future__ import annotations

import json

import pytest

from dubstudio.core.project import Speaker, TimeSpan
from dubstudio.engines.espeak import EspeakSynthesizer
from dubstudio.engines.voices import build_catalog


@pytest.fixture(scope="module")
def engines(counting_synthesizer, kokoro):
    return counting_synthesizer(kokoro), counting_synthesizer(EspeakSynthesizer())


@pytest.fixture(scope="module")
def cache_path(tmp_path_factory):
    # shared with the voice-matching tests of the same session, so voices are measured once
    return tmp_path_factory.getbasetemp() / "voice_catalog.json"


@pytest.mark.slow
def test_catalog_measures_pitch_once_and_caches_it_by_engine_version(engines, cache_path):
    kokoro, espeak = engines
    catalog = build_catalog([kokoro, espeak], language="es", cache_path=cache_path)
    by_id = {v.id: v for v in catalog}
    assert {"kokoro:jm_kumo", "kokoro:jf_alpha", "espeak:es+m3", "espeak:es+f3"} <= set(by_id)
    assert all(v.pitch_hz for v in catalog)
    assert by_id["kokoro:jm_kumo"].pitch_hz < 150 < by_id["kokoro:jf_alpha"].pitch_hz
    assert by_id["espeak:es+m3"].pitch_hz < by_id["espeak:es+f3"].pitch_hz
    stored = json.loads(cache_path.read_text())
    assert f"kokoro@{kokoro.version}" in stored and f"espeak@{espeak.version}" in stored

    calls = kokoro.calls + espeak.calls
    again = build_catalog([kokoro, espeak], language="es", cache_path=cache_path)
    assert kokoro.calls + espeak.calls == calls
    assert [(v.id, v.pitch_hz) for v in again] == [(v.id, v.pitch_hz) for v in catalog]


def test_catalog_filters_by_language_without_measuring(engines, tmp_path):
    kokoro, espeak = engines
    calls = kokoro.calls + espeak.calls
    german = build_catalog([kokoro, espeak], language="de", measure=False, cache_path=tmp_path / "c.json")
    assert {v.engine for v in german} == {"kokoro", "espeak"}
    assert all("de" in v.languages for v in german)
    assert build_catalog([kokoro], language="ja", measure=False, cache_path=tmp_path / "c.json") == []
    assert kokoro.calls + espeak.calls == calls


@pytest.mark.slow
def test_embedder_fills_voice_embeddings(engines, tmp_path):
    """A speaker embedder (here: a tiny spectral-centroid feature) is applied to each voice's own
    measured take, its values stored per voice and cached under the embedder's name."""
    import numpy as np

    kokoro, _ = engines
    takes: list[tuple[int, float]] = []

    def centroid(audio, rate):
        spectrum = np.abs(np.fft.rfft(audio))
        frequencies = np.fft.rfftfreq(len(audio), 1 / rate)
        value = float((spectrum * frequencies).sum() / spectrum.sum())
        takes.append((rate, len(audio) / rate))
        return [value / 4000.0, 1.0]

    cache = tmp_path / "c.json"
    catalog = build_catalog(
        [kokoro], language="es", embedder=centroid, embedder_name="centroid", cache_path=cache
    )
    assert len(takes) == len(catalog) == 5  # one take per voice, each a sentence of real speech
    assert all(rate == 24_000 and 1.0 < seconds < 8.0 for rate, seconds in takes)
    values = {v.name: v.embedding for v in catalog}
    assert all(embedding[1] == 1.0 and 0.1 < embedding[0] < 0.8 for embedding in values.values()), values
    assert len({round(e[0], 4) for e in values.values()}) == 5  # five voices, five different spectra
    stored = json.loads(cache.read_text())[f"kokoro@{kokoro.version}"]
    assert {v.id: stored[v.id]["embeddings"]["centroid"] for v in catalog} == {
        v.id: v.embedding for v in catalog
    }
    again = build_catalog(
        [kokoro], language="es", embedder=centroid, embedder_name="centroid", cache_path=cache
    )
    assert len(takes) == 5 and [v.embedding for v in again] == [v.embedding for v in catalog]


def test_cloning_engines_add_one_voice_per_speaker(tmp_path):
    import json as _json

    from dubstudio.engines.coqui import XttsSynthesizer

    folder = tmp_path / "coqui-xtts-v2"
    folder.mkdir()
    (folder / "config.json").write_text(_json.dumps({"model": "xtts", "languages": ["es", "en"]}))
    (folder / "manifest.json").write_text(_json.dumps({"id": "coqui-xtts-v2", "files": {}}))
    speakers = [Speaker("a", reference_clips=[TimeSpan(0, 3)]), Speaker("b")]
    catalog = build_catalog(
        [XttsSynthesizer(folder=folder, device="cpu")],
        language="es",
        speakers=speakers,
        cache_path=tmp_path / "c",
    )
    assert [v.id for v in catalog] == ["xtts:clone:a", "xtts:clone:b"]
