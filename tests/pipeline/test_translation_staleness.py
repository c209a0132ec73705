"""The pipeline's per-cue staleness with sentences across cues: editing one cue re-translates its
whole sentence, and only that; a new translation memory entry is used by a new project only."""

from __future__ import annotations

from pathlib import Path

import pytest

from dubstudio.core.project import Settings
from dubstudio.engines.factory import Engines
from dubstudio.pipeline.orchestrator import Pipeline
from dubstudio.pipeline.translation_memory import TranslationMemory

VTT = """WEBVTT

1
00:00:00.300 --> 00:00:03.400
<v Kennedy>And so my fellow Americans, ask not what your country

2
00:00:03.500 --> 00:00:10.900
<v Kennedy>can do for you, ask what you can do for your country.

3
00:00:11.900 --> 00:00:18.800
<v Reader>And Mister John Dashwood had then leisure to consider how much he could do for them.
"""


@pytest.fixture(scope="module")
def engines(whisper_base, diarizer) -> Engines:
    """The run's recogniser and diarizer, in this process (each of the three runs would otherwise
    start a recognition child that loads them again)."""
    return Engines(Settings(device="cpu", synthesizer="espeak"), transcriber=whisper_base, diarizer=diarizer)


def _create(dialogue, folder: Path, engines: Engines) -> Pipeline:
    transcript = folder.parent / "split.vtt"
    transcript.write_text(VTT, encoding="utf-8")
    return Pipeline.create(
        dialogue.video,
        folder,
        source_language="en",
        target_language="es",
        settings=Settings(device="cpu", synthesizer="espeak"),
        subtitles=transcript,
        engines=engines,
    )


@pytest.mark.slow  # recognition aligns the subtitles and the speakers are diarized: real models
def test_an_edit_retranslates_its_sentence_only(dialogue, tmp_path, engines, monkeypatch):
    monkeypatch.setenv("DUBSTUDIO_TRANSLATION_MEMORY", str(tmp_path / "memory.sqlite"))
    pipeline = _create(dialogue, tmp_path / "project", engines)
    project = pipeline.run()
    *kennedy, reader = project.segments
    assert len(kennedy) >= 2 and kennedy[-1].original_text.endswith("for your country.")
    spanish = " ".join(cue.translated_text for cue in kennedy)
    assert not {"your", "country", "ask"} & set(spanish.lower().split())  # one sentence, all Spanish
    before = [cue.translated_text for cue in kennedy]

    kennedy[-1].original_text = kennedy[-1].original_text.replace("your country", "the world")
    project.mark_stale(kennedy[-1], "translation")
    reader.translated_text = "Y el señor John Dashwood tuvo entonces tiempo."  # a hand edit, kept
    reader.translation_origin = "manual"
    pipeline.run()
    *kennedy_after, reader_after = pipeline.project.segments
    assert pipeline.last_run["translation"] == "partial"
    assert "mundo" in kennedy_after[-1].translated_text
    assert [c.translated_text for c in kennedy_after[:-1]] == before[:-1]  # same words, same share
    assert (reader_after.translated_text, reader_after.translation_origin) == (
        "Y el señor John Dashwood tuvo entonces tiempo.",
        "manual",
    )
    third = reader_after

    TranslationMemory().remember(third.original_text, third.translated_text, "en", "es", "earlier")
    fresh = _create(dialogue, tmp_path / "again", engines).run()
    assert (fresh.segments[-1].translated_text, fresh.segments[-1].translation_origin) == (
        "Y el señor John Dashwood tuvo entonces tiempo.",
        "tm",
    )
